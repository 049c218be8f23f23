//! Property tests of the solver, the optimizer and the plan checker, on random instances
//! and random batches (proptest shrinks any failure to a small case).

use std::collections::HashMap;
use std::path::Path;

use proptest::prelude::*;

use super::optimize::{Objective, OptimizeSettings, optimize};
use super::solver::{
    Instance, SolveSettings, Sparse, greedy, lagrangian_bound, lagrangian_value, local_search, solve, verify,
};
use super::{Plan, Reason, Rule, check, route_by_rule};
use crate::config::Config;
use crate::data::{Leads, Reps};
use crate::eligibility::Eligibility;
use crate::io::Table;
use crate::skill::{Effect, Skill};

/// A random generalized assignment instance: items with random candidate bins, profits
/// and weights (all equal with `unit`), bins with random capacities.
fn instance(unit: bool) -> impl Strategy<Value = Sparse> {
    (1usize..6, 0usize..40).prop_flat_map(move |(bins, items)| {
        let item = (
            proptest::collection::vec(any::<bool>(), bins),
            proptest::collection::vec(0.5f64..20.0, bins),
            proptest::collection::vec(1u8..5, bins),
        );
        (proptest::collection::vec(0u8..25, bins), proptest::collection::vec(item, items)).prop_map(
            move |(caps, items)| {
                let mut inst = Sparse { capacity: caps.iter().map(|&c| f64::from(c)).collect(), ..Sparse::default() };
                for (allowed, profit, weight) in items {
                    let cands: Vec<u32> = (0..allowed.len() as u32).filter(|&b| allowed[b as usize]).collect();
                    inst.profit.push(cands.iter().map(|&b| profit[b as usize]).collect());
                    inst.weight
                        .push(cands.iter().map(|&b| if unit { 1.0 } else { f64::from(weight[b as usize]) }).collect());
                    inst.cands.push(cands);
                }
                inst
            },
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Greedy, local search and the full solver never break a capacity or place an item
    /// outside its candidates (`verify`); the local search never loses value against its
    /// greedy start, nor the solver against both; the bound is never below any of them.
    #[test]
    fn solver_plans_are_feasible_improving_and_bounded(inst in instance(false)) {
        let start = greedy(&inst);
        let v0 = verify(&inst, &start).map_err(TestCaseError::fail)?;
        let mut improved = start.clone();
        local_search(&inst, &mut improved, true, None);
        let v1 = verify(&inst, &improved).map_err(TestCaseError::fail)?;
        prop_assert!(v1 >= v0 - 1e-9, "local search lost value: {v0} -> {v1}");
        let best = solve(&inst, &SolveSettings { chains: 2, rounds: 20, ..SolveSettings::default() });
        let v2 = verify(&inst, &best).map_err(TestCaseError::fail)?;
        prop_assert!(v2 >= v1 - 1e-9, "the solver returned less than its start: {v1} -> {v2}");
        let (bound, _) = lagrangian_bound(&inst, v2, 50, None);
        prop_assert!(bound >= v2 - 1e-6, "bound {bound} below the plan's value {v2}");
    }

    /// Weak duality: the Lagrangian value at any non-negative prices bounds every plan.
    #[test]
    fn any_prices_bound_every_plan(inst in instance(false), prices in proptest::collection::vec(0.0f64..10.0, 6)) {
        let best = solve(&inst, &SolveSettings { chains: 1, rounds: 10, ..SolveSettings::default() });
        let value = verify(&inst, &best).map_err(TestCaseError::fail)?;
        let lambda: Vec<f64> = (0..inst.n_bins()).map(|b| prices[b]).collect();
        let (bound, _) = lagrangian_value(&inst, &lambda);
        prop_assert!(bound >= value - 1e-6, "bound {bound} at {lambda:?} below a plan worth {value}");
    }

    /// Coverage first: after `cover`, a plan of equal-weight items places as many as any
    /// plan can (the exact flow's plan with every profit 1), and stays feasible.
    #[test]
    fn cover_places_as_many_items_as_any_plan(inst in instance(true)) {
        let mut sol = greedy(&inst);
        let before = sol.unplaced();
        let placed = super::solver::cover(&inst, &mut sol, &|_, _| false, usize::MAX, &[]);
        verify(&inst, &sol).map_err(TestCaseError::fail)?;
        prop_assert_eq!(sol.unplaced() + placed, before);
        let ones = Sparse { profit: inst.profit.iter().map(|p| vec![1.0; p.len()]).collect(), ..inst.clone() };
        let most = super::flow::exact_unit(&ones).expect("equal weights");
        prop_assert_eq!(sol.unplaced(), most.unplaced(), "placed {} of {}", inst.n_items() - sol.unplaced(), inst.n_items());
    }

    /// The auction (equal weights): feasible, and its prices certify it.
    #[test]
    fn auction_plans_are_feasible_and_certified(inst in instance(true)) {
        let r = super::auction::auction(&inst, 1e-4, Some(8.0)).expect("equal weights");
        let value = verify(&inst, &r.solution).map_err(TestCaseError::fail)?;
        let (bound, _) = lagrangian_value(&inst, &r.lambda);
        prop_assert!(bound >= value - 1e-6, "bound {bound} below the plan's value {value}");
    }
}

/// A random batch: leads in three regions with workloads, reps with territories,
/// capacities, active flags and fairness floors; the eligibility rule region → territories.
#[derive(Debug, Clone)]
struct Batch {
    leads: Vec<(u8, u8, u16)>,
    reps: Vec<(u8, u8, bool, u8, i8)>,
    z: Vec<f64>,
}

const REGIONS: [&str; 3] = ["na", "emea", "apac"];

fn batch() -> impl Strategy<Value = Batch> {
    (0usize..60, 1usize..8).prop_flat_map(|(n, m)| {
        (
            proptest::collection::vec((0u8..3, 1u8..3, 0u16..1000), n),
            proptest::collection::vec((0u8..8, 0u8..15, proptest::bool::weighted(0.85), 0u8..3, -2i8..3), m),
            proptest::collection::vec(-3.0f64..2.0, n),
        )
            .prop_map(|(leads, reps, z)| Batch { leads, reps, z })
    })
}

impl Batch {
    fn build(&self) -> (Leads, Reps, Eligibility) {
        let cfg =
            Config::parse("[[eligibility]]\nlead = \"region\"\nrep = \"territories\"\n", Path::new("c.toml")).unwrap();
        let table = |headers: &[&str], rows: Vec<Vec<String>>| {
            Table::from_rows(Path::new("t.csv"), headers.iter().map(|h| h.to_string()).collect(), rows)
        };
        let lead_rows = self
            .leads
            .iter()
            .enumerate()
            .map(|(i, &(region, w, value))| {
                vec![format!("L{i}"), REGIONS[region as usize].into(), w.to_string(), value.to_string()]
            })
            .collect();
        let leads = Leads::from_table(table(&["lead_id", "region", "workload", "value"], lead_rows), &cfg).unwrap();
        let rep_rows = self
            .reps
            .iter()
            .enumerate()
            .map(|(r, &(mask, cap, active, floor, _))| {
                // Bit k of the mask: covers region k; no bit: covers every region.
                let covers: Vec<&str> = (0..3).filter(|k| mask & (1 << k) != 0).map(|k| REGIONS[k]).collect();
                let territories = if covers.is_empty() { "*".to_string() } else { covers.join(";") };
                vec![format!("R{r}"), territories, cap.to_string(), active.to_string(), floor.to_string()]
            })
            .collect();
        let reps =
            Reps::from_table(table(&["rep_id", "territories", "capacity", "active", "min_leads"], rep_rows), &cfg)
                .unwrap();
        let elig = Eligibility::new(&cfg, &leads, &reps).unwrap();
        (leads, reps, elig)
    }

    /// Rep skill: an overall effect per rep, in log-odds.
    fn skill(&self) -> Skill {
        let overall: HashMap<String, Effect> = self
            .reps
            .iter()
            .enumerate()
            .map(|(r, rep)| {
                let effect = f64::from(rep.4) / 2.0;
                (format!("R{r}"), Effect { effect, sd: 0.1, deals: 10, wins: 5, expected_wins: 5.0 })
            })
            .collect();
        Skill { overall, ..Skill::default() }
    }
}

/// Checks a plan against the batch without the checker: one decision per lead; an
/// assigned lead's rep is active and covers its region; no rep over capacity; a lead left
/// out has a reason, and then no eligible active rep has room for it.
fn independently_valid(b: &Batch, plan: &Plan) -> Result<(), String> {
    if plan.decisions.len() != b.leads.len() {
        return Err(format!("{} decisions for {} leads", plan.decisions.len(), b.leads.len()));
    }
    let covers = |r: usize, region: u8| b.reps[r].0 & 7 == 0 || b.reps[r].0 & (1 << region) != 0;
    let mut load = vec![0u32; b.reps.len()];
    for (l, d) in plan.decisions.iter().enumerate() {
        if let Some(r) = d.rep {
            let (region, w, _) = b.leads[l];
            if !b.reps[r].2 || !covers(r, region) {
                return Err(format!("lead {l} given to rep {r}, inactive or outside its territory"));
            }
            load[r] += u32::from(w);
        }
    }
    for (r, &l) in load.iter().enumerate() {
        if l > u32::from(b.reps[r].1) {
            return Err(format!("rep {r} holds {l} units over its capacity {}", b.reps[r].1));
        }
    }
    for (l, d) in plan.decisions.iter().enumerate() {
        if d.rep.is_none() {
            let (region, w, _) = b.leads[l];
            if d.reason.is_none() {
                return Err(format!("lead {l} left out without a reason"));
            }
            if let Some(r) = (0..b.reps.len())
                .find(|&r| b.reps[r].2 && covers(r, region) && load[r] + u32::from(w) <= u32::from(b.reps[r].1))
            {
                return Err(format!("lead {l} left out while rep {r} had room for it"));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, ..ProptestConfig::default() })]

    /// Every policy's plan — rules and the optimizer, both objectives — keeps caps and
    /// eligibility, decides every lead once, leaves a lead out only when nobody eligible
    /// has room, and passes the checker.
    #[test]
    fn every_policy_makes_valid_plans(b in batch(), seed in 0u64..4) {
        let (leads, reps, elig) = b.build();
        let mut plans: Vec<Plan> = [Rule::RoundRobin, Rule::Weighted, Rule::LeastLoaded]
            .into_iter()
            .map(|p| route_by_rule(p, &leads, &reps, &elig, seed))
            .collect();
        for objective in [Objective::Value, Objective::Wins] {
            let settings = OptimizeSettings {
                objective,
                keep_owners: false,
                move_penalty: None,
                anchor: None,
                solve: SolveSettings { seed, chains: 2, rounds: 10, ..SolveSettings::default() },
                bound_iterations: 50,
            };
            let o = optimize(&leads, &reps, &elig, &b.z, &b.skill(), &settings);
            prop_assert!(o.bound >= o.objective_value - 1e-6 * o.bound.abs().max(1.0), "bound {} below {}", o.bound, o.objective_value);
            // Coverage first: with equal workloads, at least as many leads as any rule places.
            if leads.workload.iter().all(|&w| w == leads.workload[0]) {
                let most = plans[..3].iter().map(Plan::assigned).max().unwrap_or(0);
                prop_assert!(o.plan.assigned() >= most, "optimize placed {} leads, a rule {most}", o.plan.assigned());
            }
            plans.push(o.plan);
        }
        for plan in &plans {
            independently_valid(&b, plan).map_err(|e| TestCaseError::fail(format!("{:?}: {e}", plan.policy)))?;
            check(plan, &leads, &reps, &elig).map_err(|e| TestCaseError::fail(format!("{:?}: {e}", plan.policy)))?;
        }
    }

    /// The checker catches a broken plan: a lead moved to a rep that is inactive, outside
    /// its territory or full; a lead dropped without a reason; a decision missing.
    #[test]
    fn the_checker_rejects_broken_plans(b in batch(), pick in any::<proptest::sample::Index>(), to in any::<proptest::sample::Index>()) {
        let (leads, reps, elig) = b.build();
        let plan = route_by_rule(Rule::RoundRobin, &leads, &reps, &elig, 0);
        prop_assume!(!b.leads.is_empty());
        let l = pick.index(b.leads.len());
        let r = to.index(b.reps.len());
        let mut moved = plan.clone();
        moved.decisions[l].rep = Some(r);
        moved.decisions[l].reason = None;
        let region = b.leads[l].0;
        let covers = b.reps[r].0 & 7 == 0 || b.reps[r].0 & (1 << region) != 0;
        let load_after = moved.load(&leads, reps.len())[r];
        let broken = !b.reps[r].2 || !covers || load_after > f64::from(b.reps[r].1);
        if broken {
            prop_assert!(check(&moved, &leads, &reps, &elig).is_err(), "moving lead {l} to rep {r} breaks the plan; the checker let it pass");
        }
        if plan.decisions[l].rep.is_some() {
            let mut dropped = plan.clone();
            dropped.decisions[l].rep = None;
            prop_assert!(check(&dropped, &leads, &reps, &elig).is_err(), "a lead dropped without a reason passed");
        }
        let mut short = plan.clone();
        short.decisions.pop();
        prop_assert!(check(&short, &leads, &reps, &elig).is_err(), "a plan missing a decision passed");
        // A false reason: an assigned lead unassigned "at capacity" (its own rep now has
        // room for it), or an unassigned lead given any reason but its own.
        let reasons = [Reason::NoEligibleRep, Reason::NoActiveRep, Reason::WorkloadExceedsCapacity, Reason::AllEligibleAtCapacity];
        let mut lied = plan.clone();
        match plan.decisions[l].reason {
            None => {
                lied.decisions[l].rep = None;
                lied.decisions[l].reason = Some(Reason::AllEligibleAtCapacity);
                prop_assert!(check(&lied, &leads, &reps, &elig).is_err(), "lead {l} unassigned at capacity while its rep has room passed");
            }
            Some(true_reason) => {
                for &other in reasons.iter().filter(|&&x| x != true_reason) {
                    lied.decisions[l].reason = Some(other);
                    prop_assert!(check(&lied, &leads, &reps, &elig).is_err(), "lead {l}: {} given for {} passed", other.code(), true_reason.code());
                }
            }
        }
    }
}

/// The regression behind coverage first: the value-best plan gives the only bin item 1 can
/// use to item 0, which has another; `cover` moves item 0 there and places item 1.
#[test]
fn cover_moves_a_lead_to_make_room_for_one_left_out() {
    let inst = Sparse {
        capacity: vec![1.0, 1.0],
        cands: vec![vec![0, 1], vec![0]],
        profit: vec![vec![10.0, 1.0], vec![1.0]],
        weight: vec![vec![1.0, 1.0], vec![1.0]],
    };
    let mut sol = super::solver::Solution::empty(&inst);
    sol.place(&inst, 0, Some(0));
    assert_eq!(super::solver::cover(&inst, &mut sol, &|_, _| false, usize::MAX, &[]), 1);
    assert_eq!(sol.bin, vec![Some(1), Some(0)]);
    // Nothing to gain twice.
    assert_eq!(super::solver::cover(&inst, &mut sol, &|_, _| false, usize::MAX, &[]), 0);
    // A pinned item is never moved: item 1 then stays out.
    let mut sol = super::solver::Solution::empty(&inst);
    sol.place(&inst, 0, Some(0));
    assert_eq!(super::solver::cover(&inst, &mut sol, &|i, b| i == 0 && b == 0, usize::MAX, &[]), 0);
    assert_eq!(sol.bin, vec![Some(0), None]);
}

/// Do no harm at the owner: an owned lead that no rep beats beyond the noise keeps its
/// owner, even when a far more valuable lead would gain (within the noise) from the
/// owner's only slot; one that another rep beats beyond the noise goes to that rep.
#[test]
fn an_owned_lead_within_the_noise_is_not_pushed_out_by_a_richer_lead() {
    let cfg = Config::parse("", Path::new("c.toml")).unwrap();
    let table = |headers: &[&str], rows: Vec<Vec<&str>>| {
        Table::from_rows(
            Path::new("t.csv"),
            headers.iter().map(|h| h.to_string()).collect(),
            rows.into_iter().map(|r| r.into_iter().map(String::from).collect()).collect(),
        )
    };
    let reps = Reps::from_table(table(&["rep_id", "capacity"], vec![vec!["R0", "1"], vec!["R1", "1"]]), &cfg).unwrap();
    let skill = |r1: f64| Skill {
        overall: [("R0", 0.05), ("R1", r1)]
            .into_iter()
            .map(|(r, effect)| (r.to_string(), Effect { effect, sd: 0.3, deals: 40, wins: 20, expected_wins: 20.0 }))
            .collect(),
        ..Skill::default()
    };
    let settings = OptimizeSettings {
        objective: Objective::Value,
        keep_owners: false,
        move_penalty: None,
        anchor: None,
        solve: SolveSettings { seed: 1, chains: 2, rounds: 10, ..SolveSettings::default() },
        bound_iterations: 50,
    };
    // L0 (worth 10) is R0's; L1 (worth 1,000) gains 12.5 at R0 over R1 (p 0.512 vs 0.5),
    // more than L0's noise margin there (10 × 0.25 × √2 × 0.3 ≈ 1.1), but within its own.
    let headers = ["lead_id", "value", "rep_id"];
    let leads = Leads::from_table(table(&headers, vec![vec!["L0", "10", "R0"], vec!["L1", "1000", ""]]), &cfg).unwrap();
    let elig = Eligibility::new(&cfg, &leads, &reps).unwrap();
    let o = optimize(&leads, &reps, &elig, &[0.0, 0.0], &skill(0.0), &settings);
    check(&o.plan, &leads, &reps, &elig).unwrap();
    let rep_of = |o: &super::optimize::Optimized, l: usize| o.plan.decisions[l].rep.map(|r| reps.id[r].clone());
    assert_eq!(rep_of(&o, 0).as_deref(), Some("R0"), "the owned lead stays");
    assert_eq!(rep_of(&o, 1).as_deref(), Some("R1"));
    // Alone, L0 goes to R1 when R1 is better beyond the noise (p 0.73 vs 0.51), and stays
    // when it is better within it (p 0.54 vs 0.51).
    let alone = Leads::from_table(table(&headers, vec![vec!["L0", "10", "R0"]]), &cfg).unwrap();
    let elig = Eligibility::new(&cfg, &alone, &reps).unwrap();
    let o = optimize(&alone, &reps, &elig, &[0.0], &skill(1.0), &settings);
    assert_eq!(rep_of(&o, 0).as_deref(), Some("R1"), "beyond the noise it moves");
    let o = optimize(&alone, &reps, &elig, &[0.0], &skill(0.15), &settings);
    assert_eq!(rep_of(&o, 0).as_deref(), Some("R0"), "within the noise it stays");
    assert!(o.plan.decisions[0].explanation.contains("noise"), "{}", o.plan.decisions[0].explanation);
    assert!(o.notes.iter().any(|n| n.starts_with("Owners first: 1 owned leads")), "{:?}", o.notes);
    // R1 better beyond the noise but taken by the richer L1: L0 stays, and says why.
    let elig = Eligibility::new(&cfg, &leads, &reps).unwrap();
    let o = optimize(&leads, &reps, &elig, &[0.0, 0.0], &skill(1.0), &settings);
    assert_eq!(rep_of(&o, 0).as_deref(), Some("R0"));
    let why = &o.plan.decisions[0].explanation;
    assert!(
        why.starts_with("Stays with its current owner R0") && why.contains("R1 (p_win 0.73) is at capacity"),
        "{why}"
    );
    assert!(!why.contains("noise") && !o.notes.iter().any(|n| n.starts_with("Owners first")), "{why} {:?}", o.notes);
}
