//! The rule-based policies CRMs use today: round robin, weighted shares, least loaded.
//!
//! Leads are taken in arrival order (`created_at`, then file order; undated leads last).
//! Each goes to one eligible, active rep with room for its workload, chosen by the policy;
//! ties fall to the rep next in a rotation. With seed 0 the rotation is the reps file's
//! order; any other seed shuffles it (a seeded ChaCha permutation), so the same inputs and
//! seed always give the same plan.

use std::cmp::Ordering;

use super::{Decision, EPS, Plan, Reason, Rule, blocked_reason};
use crate::data::{Leads, Reps};
use crate::eligibility::Eligibility;
use crate::fmt::fmt_num;

/// Routes the batch with a rule-based policy.
pub fn route_by_rule(policy: Rule, leads: &Leads, reps: &Reps, elig: &Eligibility, seed: u64) -> Plan {
    route_by_rule_keeping(policy, leads, reps, elig, seed, false)
}

/// Routes the batch with a rule-based policy; with `keep_owners`, current owners first keep
/// their leads (see [`super::keep_owners`]) and the policy routes the rest.
pub fn route_by_rule_keeping(
    policy: Rule,
    leads: &Leads,
    reps: &Reps,
    elig: &Eligibility,
    seed: u64,
    keep_owners: bool,
) -> Plan {
    let n_reps = reps.len();
    let mut remaining = reps.capacity.clone();
    let mut assigned = vec![0.0f64; n_reps];
    let mut decisions: Vec<Option<Decision>> = vec![None; leads.len()];
    let mut runner_up: Vec<Option<usize>> = vec![None; leads.len()];
    if keep_owners {
        let (kept, _) = super::keep_owners(leads, reps, elig);
        for (l, r) in kept.iter().enumerate() {
            if let Some(r) = *r {
                remaining[r] -= leads.workload[l];
                assigned[r] += leads.workload[l];
                decisions[l] = Some(Decision {
                    rep: Some(r),
                    reason: None,
                    explanation: format!("Kept with its current owner {}.", reps.id[r]),
                });
            }
        }
    }
    let slot = rotation(n_reps, seed);
    // `pointer` is the rotation slot whose turn is next.
    let mut pointer = 0;
    let turn_distance = |rep: usize, pointer: usize| {
        let s = slot[rep];
        if s >= pointer { s - pointer } else { s + n_reps - pointer }
    };

    for lead in arrival_order(leads) {
        if decisions[lead].is_some() {
            continue;
        }
        if let Some(reason) = blocked_reason(lead, leads, reps, elig, &remaining) {
            decisions[lead] = Some(unassigned(reason, lead, leads, reps, elig));
            continue;
        }
        let w = leads.workload[lead];
        // The policy's order of preference among the candidates, as a key (smallest first):
        // its choice, then the runner-up; ties go to the rep next in the rotation.
        let key = |r: usize| -> (f64, f64, usize) {
            let turn = turn_distance(r, pointer);
            match policy {
                Rule::RoundRobin => (0.0, 0.0, turn),
                // Sainte-Laguë: the rep furthest below its weighted share after half a lead.
                Rule::Weighted => ((assigned[r] + w / 2.0) / reps.weight[r], 0.0, turn),
                Rule::LeastLoaded => (reps.open_leads[r] + assigned[r], -remaining[r], turn),
            }
        };
        let before = |a: (f64, f64, usize), b: (f64, f64, usize)| {
            a.0.partial_cmp(&b.0)
                .unwrap_or(Ordering::Equal)
                .then_with(|| a.1.partial_cmp(&b.1).unwrap_or(Ordering::Equal))
                .then(a.2.cmp(&b.2))
                == Ordering::Less
        };
        // One pass over the eligible reps with room: how many, the first and the second.
        let (mut n_candidates, mut first, mut second) = (0usize, None::<(usize, (f64, f64, usize))>, None);
        for &r in elig.reps_for(lead) {
            if !(reps.active[r] && remaining[r] + EPS >= w) {
                continue;
            }
            n_candidates += 1;
            let k = key(r);
            match first {
                Some((_, fk)) if !before(k, fk) => {
                    if second.is_none_or(|(_, sk)| before(k, sk)) {
                        second = Some((r, k));
                    }
                }
                _ => {
                    second = first;
                    first = Some((r, k));
                }
            }
        }
        let (first, second) = (first.map(|f| f.0), second.map(|s| s.0));
        let chosen = first.expect("blocked_reason found a rep with room");
        runner_up[lead] = second;
        let explanation = explain(policy, chosen, n_candidates, lead, reps, elig, assigned[chosen]);
        remaining[chosen] -= w;
        assigned[chosen] += w;
        pointer = (slot[chosen] + 1) % n_reps;
        decisions[lead] = Some(Decision { rep: Some(chosen), reason: None, explanation });
    }
    Plan {
        policy: policy.into(),
        decisions: decisions.into_iter().map(|d| d.expect("every lead decided")).collect(),
        runner_up,
    }
}

/// Each lead's rep under a rule policy — [`route_by_rule`]'s choices, without its
/// explanations and runner-ups, and without looking at every eligible rep for every lead:
/// what comparing policies on a large batch needs. Round robin walks the rotation from its
/// pointer to the first rep that can take the lead; least loaded keeps each eligibility
/// class's reps with room in the policy's order (load, then more room, then rotation slot)
/// when the classes are few enough for that to pay. Other policies take the full route.
pub fn route_choices(policy: Rule, leads: &Leads, reps: &Reps, elig: &Eligibility, seed: u64) -> Vec<Option<usize>> {
    let full = || route_by_rule(policy, leads, reps, elig, seed).decisions.into_iter().map(|d| d.rep).collect();
    let n = reps.len();
    let slot = rotation(n, seed);
    let mut remaining = reps.capacity.clone();
    let mut out = vec![None; leads.len()];
    let can_take = |r: usize, remaining: &[f64], w: f64| reps.active[r] && remaining[r] + EPS >= w;
    match policy {
        Rule::RoundRobin => {
            let mut at = vec![0; n];
            for (r, &s) in slot.iter().enumerate() {
                at[s] = r;
            }
            let member: Vec<Vec<bool>> = elig
                .classes()
                .iter()
                .map(|c| {
                    let mut m = vec![false; n];
                    c.reps.iter().for_each(|&r| m[r] = true);
                    m
                })
                .collect();
            let mut pointer = 0;
            for lead in arrival_order(leads) {
                let (w, m) = (leads.workload[lead], &member[elig.class_id(lead)]);
                let pick = (0..n).map(|k| at[(pointer + k) % n]).find(|&r| m[r] && can_take(r, &remaining, w));
                if let Some(r) = pick {
                    remaining[r] -= w;
                    pointer = (slot[r] + 1) % n;
                    out[lead] = Some(r);
                }
            }
            out
        }
        Rule::LeastLoaded => {
            use std::collections::BTreeSet;
            use std::ops::Bound::{Excluded, Unbounded};
            // Each rep sits in the set of every class it belongs to: updates cost that many
            // set operations, which beats a scan only while the classes are few.
            let memberships: usize = elig.classes().iter().map(|c| c.reps.len()).sum();
            if memberships > 64 * n.max(1) {
                return full();
            }
            // Floats as order-preserving integers (−0 as 0, like the comparisons).
            let ord = |x: f64| {
                let b = (x + 0.0).to_bits();
                if b >> 63 == 1 { !b } else { b | (1 << 63) }
            };
            let mut assigned = vec![0.0f64; n];
            let key = |r: usize, assigned: &[f64], remaining: &[f64]| {
                (ord(reps.open_leads[r] + assigned[r]), ord(-remaining[r]), slot[r], r)
            };
            let min_w = leads.workload.iter().copied().fold(f64::INFINITY, f64::min);
            let mut classes_of: Vec<Vec<usize>> = vec![Vec::new(); n];
            let mut sets: Vec<BTreeSet<(u64, u64, usize, usize)>> = Vec::new();
            for (c, class) in elig.classes().iter().enumerate() {
                let mut set = BTreeSet::new();
                for &r in &class.reps {
                    classes_of[r].push(c);
                    if can_take(r, &remaining, min_w) {
                        set.insert(key(r, &assigned, &remaining));
                    }
                }
                sets.push(set);
            }
            let mut pointer = 0;
            for lead in arrival_order(leads) {
                let (w, set) = (leads.workload[lead], &sets[elig.class_id(lead)]);
                // The lightest group of reps (same load and room) that has room for this
                // lead; in it, the first rep from the rotation's pointer on, wrapping round.
                let mut from = Unbounded;
                let mut pick = None;
                while let Some(&(load, room, _, r)) = set.range((from, Unbounded)).next() {
                    let (lo, hi) = ((load, room, 0, 0), (load, room, usize::MAX, usize::MAX));
                    if remaining[r] + EPS >= w {
                        let next = set.range((load, room, pointer, 0)..=hi).next();
                        pick = next.or_else(|| set.range(lo..=hi).next()).map(|k| k.3);
                        break;
                    }
                    from = Excluded(hi);
                }
                let Some(r) = pick else { continue };
                let old = key(r, &assigned, &remaining);
                remaining[r] -= w;
                assigned[r] += w;
                let new = key(r, &assigned, &remaining);
                for &c in &classes_of[r] {
                    sets[c].remove(&old);
                    if remaining[r] + EPS >= min_w {
                        sets[c].insert(new);
                    }
                }
                pointer = (slot[r] + 1) % n;
                out[lead] = Some(r);
            }
            out
        }
        Rule::Weighted => full(),
    }
}

/// LeanData-style "available reps only, round robin", for comparison with time-aware
/// routing: leads in arrival order, each to the next rep in the rotation among the eligible
/// active reps with room who are available when its clock starts (on shift, not away); when
/// none is, among those who can start soonest (the lead is held until the first of them is
/// back). Each lead's rep, or `None`.
pub fn available_round_robin(
    leads: &Leads,
    reps: &Reps,
    elig: &Eligibility,
    timing: &crate::timing::Timing,
    seed: u64,
) -> Vec<Option<usize>> {
    let n = reps.len();
    let slot = rotation(n, seed);
    let mut remaining = reps.capacity.clone();
    let mut pointer = 0;
    let mut chosen = vec![None; leads.len()];
    for l in arrival_order(leads) {
        let w = leads.workload[l];
        let with_room = || elig.reps_for(l).iter().copied().filter(|&r| reps.active[r] && remaining[r] + EPS >= w);
        let soonest = with_room().filter_map(|r| timing.available_at(l, r)).min();
        let pick = with_room()
            .filter(|&r| soonest.is_some() && timing.available_at(l, r) == soonest)
            .min_by_key(|&r| (slot[r] + n - pointer) % n);
        if let Some(r) = pick {
            remaining[r] -= w;
            pointer = (slot[r] + 1) % n;
            chosen[l] = Some(r);
        }
    }
    chosen
}

/// Each rep's slot in the rotation: file order for seed 0, a seeded shuffle otherwise.
fn rotation(n_reps: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n_reps).collect();
    if seed != 0 {
        use rand::SeedableRng;
        use rand::seq::SliceRandom;
        order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
    }
    let mut slot = vec![0; n_reps];
    for (pos, rep) in order.into_iter().enumerate() {
        slot[rep] = pos;
    }
    slot
}

/// Lead indices by `created_at` (undated last), ties in file order.
pub(crate) fn arrival_order(leads: &Leads) -> Vec<usize> {
    let mut order: Vec<usize> = (0..leads.len()).collect();
    order.sort_by_key(|&i| (leads.created_at[i].is_none(), leads.created_at[i]));
    order
}

fn scope(lead: usize, elig: &Eligibility) -> String {
    if elig.has_rules() { format!(" for {}", elig.describe(lead)) } else { String::new() }
}

fn explain(
    policy: Rule,
    rep: usize,
    n_candidates: usize,
    lead: usize,
    reps: &Reps,
    elig: &Eligibility,
    assigned_before: f64,
) -> String {
    let id = &reps.id[rep];
    let among = if n_candidates == 1 {
        format!("the only eligible active rep with room{}", scope(lead, elig))
    } else {
        format!("{n_candidates} eligible active reps with room{}", scope(lead, elig))
    };
    match policy {
        Rule::RoundRobin if n_candidates == 1 => format!("Round robin: {id} was {among}."),
        Rule::RoundRobin => format!("Round robin: {id} was next in the rotation among {among}."),
        Rule::Weighted => format!(
            "Weighted: {id} was furthest below its share (weight {}, {} units assigned before this lead) among {among}.",
            fmt_num(reps.weight[rep]),
            fmt_num(assigned_before)
        ),
        Rule::LeastLoaded => format!(
            "Least loaded: {id} had the lightest load ({} open + {} assigned, capacity {}) among {among}.",
            fmt_num(reps.open_leads[rep]),
            fmt_num(assigned_before),
            fmt_num(reps.capacity[rep])
        ),
    }
}

/// The decision and sentence for a lead nobody can take.
pub(crate) fn unassigned(reason: Reason, lead: usize, leads: &Leads, reps: &Reps, elig: &Eligibility) -> Decision {
    let eligible = elig.reps_for(lead);
    let explanation = match reason {
        Reason::ClosedDeal => "Not routed: the leads file marks this deal won or lost already.".to_string(),
        Reason::NoEligibleRep if reps.is_empty() => "Not assigned: the reps file lists no reps.".to_string(),
        Reason::NoEligibleRep if !elig.class(lead).barred.is_empty() => {
            let words: Vec<&str> = elig.class(lead).barred.iter().map(|(_, b)| b.words()).collect();
            format!(
                "Not assigned: no other rep's eligibility lists admit this lead ({}): {}.",
                elig.describe(lead),
                words.join("; ")
            )
        }
        Reason::NoEligibleRep => {
            format!("Not assigned: no rep's eligibility lists admit this lead ({}).", elig.describe(lead))
        }
        Reason::NoActiveRep if eligible.len() == reps.len() => {
            "Not assigned: no rep in the reps file is active.".to_string()
        }
        Reason::NoActiveRep => {
            format!("Not assigned: the {} eligible reps{} are all inactive.", eligible.len(), scope(lead, elig))
        }
        Reason::WorkloadExceedsCapacity => {
            let largest = eligible.iter().filter(|&&r| reps.active[r]).map(|&r| reps.capacity[r]).fold(0.0, f64::max);
            format!(
                "Not assigned: its workload of {} is more than any eligible active rep's whole capacity (largest {}).",
                fmt_num(leads.workload[lead]),
                fmt_num(largest)
            )
        }
        Reason::NoAvailableRep => {
            let barred: Vec<&str> = elig
                .class(lead)
                .barred
                .iter()
                .filter(|(r, b)| reps.active[*r] && matches!(b, crate::eligibility::Bar::Time(_)))
                .map(|(_, b)| b.words())
                .collect();
            let shown = barred.iter().take(3).copied().collect::<Vec<_>>().join("; ");
            let more = if barred.len() > 3 { format!("; {} more likewise", barred.len() - 3) } else { String::new() };
            format!(
                "Not assigned: none of the {} eligible active reps{} can start on it within the planning horizon: {shown}{more}.",
                barred.len(),
                scope(lead, elig)
            )
        }
        Reason::CapacityReserved => {
            "Not assigned: the capacity left is kept for better leads expected later.".to_string()
        }
        Reason::AllEligibleAtCapacity => {
            let n = eligible.iter().filter(|&&r| reps.active[r]).count();
            format!(
                "Not assigned: all {n} eligible active reps{} were at capacity (it needs {} units).",
                scope(lead, elig),
                fmt_num(leads.workload[lead])
            )
        }
    };
    Decision { rep: None, reason: Some(reason), explanation }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assign::check;
    use crate::config::Config;
    use crate::io::Table;
    use std::path::Path;

    fn t(headers: &[&str], rows: Vec<Vec<String>>) -> Table {
        Table::from_rows(Path::new("t.csv"), headers.iter().map(|s| s.to_string()).collect(), rows)
    }

    fn world(n_leads: usize, caps: &[(&str, f64, bool, f64)]) -> (Leads, Reps, Eligibility) {
        let cfg = Config::default();
        let leads =
            Leads::from_table(t(&["lead_id"], (0..n_leads).map(|i| vec![format!("L{i}")]).collect()), &cfg).unwrap();
        let reps = Reps::from_table(
            t(
                &["rep_id", "capacity", "active", "weight"],
                caps.iter()
                    .map(|(id, c, a, w)| vec![id.to_string(), c.to_string(), a.to_string(), w.to_string()])
                    .collect(),
            ),
            &cfg,
        )
        .unwrap();
        let elig = Eligibility::new(&cfg, &leads, &reps).unwrap();
        (leads, reps, elig)
    }

    #[test]
    fn round_robin_rotates_and_respects_capacity() {
        let (leads, reps, elig) = world(7, &[("a", 2.0, true, 1.0), ("b", 10.0, true, 1.0), ("c", 10.0, false, 1.0)]);
        let plan = route_by_rule(Rule::RoundRobin, &leads, &reps, &elig, 0);
        check(&plan, &leads, &reps, &elig).unwrap();
        let ids: Vec<_> = plan.decisions.iter().map(|d| d.rep.map(|r| reps.id[r].as_str())).collect();
        assert_eq!(ids, vec![Some("a"), Some("b"), Some("a"), Some("b"), Some("b"), Some("b"), Some("b")]);
    }

    #[test]
    fn weighted_shares_follow_weights() {
        let (leads, reps, elig) = world(30, &[("a", 100.0, true, 2.0), ("b", 100.0, true, 1.0)]);
        let plan = route_by_rule(Rule::Weighted, &leads, &reps, &elig, 3);
        check(&plan, &leads, &reps, &elig).unwrap();
        let load = plan.load(&leads, 2);
        assert_eq!(load, vec![20.0, 10.0]);
    }

    #[test]
    fn least_loaded_fills_the_emptiest() {
        let cfg = Config::default();
        let leads = Leads::from_table(t(&["lead_id"], (0..4).map(|i| vec![format!("L{i}")]).collect()), &cfg).unwrap();
        let reps = Reps::from_table(
            t(
                &["rep_id", "capacity", "open_leads"],
                vec![vec!["a".into(), "10".into(), "5".into()], vec!["b".into(), "10".into(), "2".into()]],
            ),
            &cfg,
        )
        .unwrap();
        let elig = Eligibility::new(&cfg, &leads, &reps).unwrap();
        let plan = route_by_rule(Rule::LeastLoaded, &leads, &reps, &elig, 0);
        check(&plan, &leads, &reps, &elig).unwrap();
        // b starts 3 lighter and takes three leads; at a tie of 5 each, a has more room left.
        assert_eq!(plan.load(&leads, 2), vec![1.0, 3.0]);
    }

    #[test]
    fn reasons_when_nobody_can_take_a_lead() {
        let (leads, reps, elig) = world(3, &[("a", 1.0, true, 1.0), ("c", 5.0, false, 1.0)]);
        let plan = route_by_rule(Rule::RoundRobin, &leads, &reps, &elig, 0);
        check(&plan, &leads, &reps, &elig).unwrap();
        assert_eq!(plan.assigned(), 1);
        assert_eq!(plan.unassigned_by_reason(), vec![(Reason::AllEligibleAtCapacity, 2)]);

        let (leads, reps, elig) = world(2, &[("c", 5.0, false, 1.0)]);
        let plan = route_by_rule(Rule::Weighted, &leads, &reps, &elig, 0);
        assert_eq!(plan.unassigned_by_reason(), vec![(Reason::NoActiveRep, 2)]);
    }

    #[test]
    fn fast_choices_are_the_full_routes_choices() {
        use rand::{RngExt, SeedableRng};
        let cfg =
            Config::parse("[[eligibility]]\nlead = \"region\"\nrep = \"regions\"\n", Path::new("c.toml")).unwrap();
        let regions = ["emea", "na", "apac"];
        for seed in 0..12u64 {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let n_leads = rng.random_range(1..300);
            let n_reps = rng.random_range(1..25);
            // Some equal workloads (ties of load and room), some uneven ones.
            let uneven = seed % 3 == 0;
            let lead_rows = (0..n_leads)
                .map(|i| {
                    let w = if uneven { rng.random_range(1..4) } else { 1 };
                    let day = rng.random_range(1..28);
                    vec![
                        format!("L{i}"),
                        regions[rng.random_range(0..3)].to_string(),
                        w.to_string(),
                        format!("2026-01-{day:02}"),
                    ]
                })
                .collect();
            let leads =
                Leads::from_table(t(&["lead_id", "region", "workload", "created_at"], lead_rows), &cfg).unwrap();
            let rep_rows = (0..n_reps)
                .map(|i| {
                    let covers: Vec<&str> = regions.iter().copied().filter(|_| rng.random::<f64>() < 0.6).collect();
                    vec![
                        format!("R{i}"),
                        rng.random_range(0..30).to_string(),
                        rng.random_range(0..4).to_string(),
                        (rng.random::<f64>() < 0.9).to_string(),
                        if rng.random::<f64>() < 0.2 { "*".to_string() } else { covers.join(";") },
                    ]
                })
                .collect();
            let reps = Reps::from_table(t(&["rep_id", "capacity", "open_leads", "active", "regions"], rep_rows), &cfg)
                .unwrap();
            let elig = Eligibility::new(&cfg, &leads, &reps).unwrap();
            for policy in [Rule::RoundRobin, Rule::LeastLoaded, Rule::Weighted] {
                let full: Vec<Option<usize>> =
                    route_by_rule(policy, &leads, &reps, &elig, seed).decisions.iter().map(|d| d.rep).collect();
                assert_eq!(route_choices(policy, &leads, &reps, &elig, seed), full, "seed {seed}, {policy:?}");
            }
        }
    }

    #[test]
    fn seed_shuffles_the_rotation() {
        let caps: Vec<(&str, f64, bool, f64)> =
            ["a", "b", "c", "d", "e", "f"].iter().map(|id| (*id, 5.0, true, 1.0)).collect();
        let (leads, reps, elig) = world(6, &caps);
        let order = |seed| -> Vec<usize> {
            route_by_rule(Rule::RoundRobin, &leads, &reps, &elig, seed)
                .decisions
                .iter()
                .map(|d| d.rep.unwrap())
                .collect()
        };
        assert_eq!(order(0), vec![0, 1, 2, 3, 4, 5]);
        let shuffled = order(1);
        assert_ne!(shuffled, order(0));
        let mut sorted = shuffled.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, vec![0, 1, 2, 3, 4, 5], "each rep once per turn of the rotation");
        assert_eq!(shuffled, order(1));
    }
}
