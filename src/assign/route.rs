//! One routing of a batch, by the optimizer or by a rule, with what each knows beyond the
//! plan (p_win of every lead with its rep, and the optimizer's runner-ups, prices and bound).

use std::sync::Arc;

use super::optimize::{self, OptimizeSettings, PWin};
use super::{Plan, Policy, Rule, route_by_rule_keeping};
use crate::batch::Batch;
use crate::progress::Progress;
use crate::skill::Skill;
use crate::timing::Decay;

/// A routed batch.
#[derive(Debug, Clone)]
pub struct Routed {
    pub policy: Policy,
    pub plan: Plan,
    /// p_win of each lead with its rep (the lead's score under a rule, which is rep-blind;
    /// none without a model).
    pub p_win: Vec<Option<f64>>,
    /// What the optimizer knows beyond its plan, when it routed.
    pub optimizer: Option<OptimizerView>,
    /// The decay of p_win with each rep's wait, when routing is time-aware.
    pub decay: Option<Arc<Decay>>,
}

/// The optimizer's plan's context.
#[derive(Debug, Clone)]
pub struct OptimizerView {
    /// The best other eligible active rep of each lead and its p_win.
    pub runner_up: Vec<Option<(usize, f64)>>,
    pub shadow_price: Vec<f64>,
    pub p_win_of: PWin,
    pub objective_value: f64,
    /// The objective before coverage first, which the bound certifies.
    pub certified_value: f64,
    /// Leads coverage first placed by moving others, and its cost in the objective's units.
    pub coverage: Option<(usize, f64)>,
    pub bound: f64,
    pub method: String,
    /// How coverage, owners and equal skill shaped the plan, and what that cost.
    pub notes: Vec<String>,
    /// The rep skill it routed with.
    pub skill: Skill,
}

impl Routed {
    /// The optimizer's objective value (before coverage first placed more leads, whose cost
    /// the notes and the summary state apart) and its upper bound.
    pub fn optimum(&self) -> Option<(f64, f64)> {
        self.optimizer.as_ref().map(|o| (o.certified_value, o.bound))
    }

    /// p_win of lead `l` with rep `r`: the optimizer's, else the lead's score (rep-blind),
    /// decayed by the wait for the rep when routing is time-aware.
    pub fn p_with(&self, scores: Option<&[f64]>, l: usize, r: usize) -> Option<f64> {
        match (&self.optimizer, scores) {
            (Some(o), _) => Some(o.p_win_of.p(l, r)),
            (None, Some(sc)) => Some(self.decay.as_ref().map_or(sc[l], |d| d.rescore(sc[l]) * d.factor(l, r))),
            (None, None) => None,
        }
    }
}

/// Routes the batch with the optimizer: lead log-odds `z`, rep `skill`. Reps short of their
/// `min_leads` are named in warnings.
pub fn by_optimizer(
    batch: &Batch,
    z: &[f64],
    skill: Skill,
    settings: &OptimizeSettings,
    decay: Option<&Arc<Decay>>,
    progress: &Progress,
    warnings: &mut Vec<String>,
) -> Routed {
    let (leads, reps) = (&batch.leads, &batch.reps);
    let spinner = progress.spinner(&format!("optimizing {} leads × {} reps", leads.len(), reps.len()));
    let o = optimize::optimize_timed(leads, reps, &batch.elig, z, &skill, settings, decay);
    spinner.finish();
    for &(r, given) in &o.short_of_floor {
        warnings.push(format!(
            "rep {} gets {given} leads, short of its min_leads {}: no more eligible leads could be moved to it within the capacities",
            reps.id[r], reps.min_leads[r]
        ));
    }
    Routed {
        policy: Policy::Optimize,
        plan: o.plan,
        p_win: o.p_win,
        optimizer: Some(OptimizerView {
            runner_up: o.runner_up,
            shadow_price: o.shadow_price,
            p_win_of: o.p_win_of,
            objective_value: o.objective_value,
            certified_value: o.certified_value,
            coverage: o.coverage,
            bound: o.bound,
            method: o.method,
            notes: o.notes,
            skill,
        }),
        decay: decay.cloned(),
    }
}

/// Routes the batch by a rule; p_win is each lead's score where there are scores, decayed
/// by the wait for its rep when routing is time-aware.
pub fn by_rule(
    rule: Rule,
    batch: &Batch,
    scores: Option<&[f64]>,
    seed: u64,
    keep_owners: bool,
    decay: Option<&Arc<Decay>>,
) -> Routed {
    let plan = route_by_rule_keeping(rule, &batch.leads, &batch.reps, &batch.elig, seed, keep_owners);
    let p = |l: usize, r: usize, s: f64| decay.map_or(s, |d| d.rescore(s) * d.factor(l, r));
    let p_win =
        plan.decisions.iter().enumerate().map(|(l, d)| d.rep.and_then(|r| scores.map(|sc| p(l, r, sc[l])))).collect();
    Routed { policy: rule.into(), plan, p_win, optimizer: None, decay: decay.cloned() }
}
