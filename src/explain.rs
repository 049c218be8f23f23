//! Why a plan does what it does, beyond each lead's own explanation: the leads that leave
//! their current owner, and why.

use crate::assign::optimize::Objective;
use crate::assign::route::Routed;
use crate::assign::{self, Policy};
use crate::batch::Batch;
use crate::fmt::{Pw, fmt_num};
use crate::report::MoveLine;

/// Leads whose current owner does not keep them, with the reason; the reason is also put in
/// front of the lead's explanation in the plan. `scores`: the leads' scores, if any;
/// `objective` and `move_penalty` as the optimizer was given them.
pub fn moves(
    routed: &mut Routed,
    batch: &Batch,
    scores: Option<&[f64]>,
    objective: Objective,
    move_penalty: Option<f64>,
) -> Vec<MoveLine> {
    let (leads, reps, elig) = (&batch.leads, &batch.reps, &batch.elig);
    let load = routed.plan.load(leads, reps.len());
    // Each rep's workload of leads it owns and keeps in this plan.
    let mut own_kept = vec![0.0; reps.len()];
    for (l, d) in routed.plan.decisions.iter().enumerate() {
        if let Some(r) = d.rep.filter(|&r| leads.owner[l].as_deref() == Some(reps.id[r].as_str())) {
            own_kept[r] += leads.workload[l];
        }
    }
    let policy = routed.policy;
    let p_with = |l: usize, r: usize| routed.p_with(scores, l, r);
    let mut out = Vec::new();
    // A lead's worth at p_win p, in the objective's units, and a gain of it in words.
    let unit_of = |l: usize, p: f64| match objective {
        Objective::Value => p * leads.value[l],
        Objective::Wins => p,
    };
    let gain_words = |g: f64| match objective {
        Objective::Value => format!(" ({} expected value)", crate::report::signed_amount(g)),
        Objective::Wins => format!(" ({g:+.2} expected wins)"),
    };
    let mut explained = Vec::new();
    for l in 0..leads.len() {
        let Some(owner) = leads.owner[l].as_deref() else { continue };
        let owner_rep = reps.find(owner);
        let to = routed.plan.decisions[l].rep;
        if to.is_some() && to == owner_rep {
            continue;
        }
        let unit = |p: f64| unit_of(l, p);
        let sla = batch.timing.as_ref().and_then(|t| t.sla_words(l, reps));
        let why = if let Some(w) = sla.clone() {
            w
        } else if let Some(w) = assign::why_not_kept(l, leads, reps, elig) {
            w
        } else {
            let r0 = owner_rep.expect("why_not_kept covers unknown owners");
            let cap = fmt_num(reps.capacity[r0]);
            if load[r0] + leads.workload[l] > reps.capacity[r0] + assign::EPS {
                // Full: with its own leads (capacity forced the move), or with leads the
                // optimizer found worth more there.
                if policy != Policy::Optimize || own_kept[r0] + leads.workload[l] > reps.capacity[r0] + assign::EPS {
                    format!("its current owner {owner} has no room left: its own leads fill its capacity ({cap})")
                } else {
                    match to.and_then(|r| Some((r, p_with(l, r)?, p_with(l, r0)?))) {
                        Some((r, p1, p0)) if p1 > p0 => format!(
                            "p_win {} with {} instead of {} with {owner}{}; {owner}'s capacity ({cap}) \
                             goes to leads it gains more on",
                            Pw(p1),
                            reps.id[r],
                            Pw(p0),
                            gain_words(unit(p1) - unit(p0))
                        ),
                        _ => format!("its current owner {owner}'s capacity ({cap}) goes to leads worth more there"),
                    }
                }
            } else {
                match (to, policy) {
                    (Some(r), Policy::Optimize) => {
                        let (p0, p1) = (p_with(l, r0).unwrap_or(0.0), p_with(l, r).unwrap_or(0.0));
                        let gain = unit(p1) - unit(p0);
                        let mut why = format!(
                            "p_win {} with {} instead of {} with {owner}{}",
                            Pw(p1),
                            reps.id[r],
                            Pw(p0),
                            if gain > 0.0 { gain_words(gain) } else { String::new() }
                        );
                        match move_penalty {
                            Some(x) if gain > x => why.push_str(&format!(
                                "; the gain ({}) beats the move penalty ({})",
                                fmt_num((gain * 100.0).round() / 100.0),
                                fmt_num(x)
                            )),
                            Some(_) => why.push_str("; moving it frees its owner for leads worth more"),
                            None if p1 > p0 => why.push_str(", better by more than the noise of the skill estimates"),
                            None => why.push_str("; moving it frees its owner for leads worth more"),
                        }
                        why
                    }
                    (Some(_), _) => format!("{policy} does not keep current owners unless they are locked"),
                    (None, _) => "no eligible active rep had room".to_string(),
                }
            }
        };
        explained.push((l, why.clone()));
        out.push(MoveLine {
            lead_id: leads.id[l].clone(),
            from: owner.to_string(),
            to: to.map(|r| reps.id[r].clone()),
            why,
        });
    }
    for (l, why) in explained {
        let owner = leads.owner[l].as_deref().unwrap_or_default();
        let d = &mut routed.plan.decisions[l];
        d.explanation = if why.starts_with("SLA missed") {
            format!("{why}, so it leaves {owner}. {}", d.explanation)
        } else {
            format!("Moved from {owner}: {why}. {}", d.explanation)
        };
    }
    out
}
