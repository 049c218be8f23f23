//! Turning a batch of leads into a plan: who gets which lead, or why nobody does.
//!
//! A [`Plan`] holds one [`Decision`] per input lead, in input order, so no lead can be lost
//! or doubled by construction. [`check`] re-verifies any plan against the raw inputs —
//! eligibility, `active`, capacity in workload units — independently of the policy that
//! made it, and runs after every solve.

pub mod auction;
pub mod flow;
pub mod optimize;
#[cfg(any(test, feature = "testing"))]
pub mod orlib;
#[cfg(test)]
mod proptests;
pub mod route;
pub mod rules;
pub mod solver;

use std::fmt;

use anyhow::{Result, bail};

use crate::data::{Leads, Reps};
use crate::eligibility::Eligibility;

pub use rules::{available_round_robin, route_by_rule, route_by_rule_keeping, route_choices};

/// Capacity comparisons tolerate this much floating-point slack.
pub const EPS: f64 = 1e-9;

/// How leads are handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Each lead goes to the next eligible rep with room, in a fixed rotation.
    RoundRobin,
    /// Leads are shared in proportion to the reps' `weight`.
    Weighted,
    /// Each lead goes to the eligible rep with the fewest open plus newly assigned leads.
    LeastLoaded,
    /// The whole batch at once, maximising expected wins or value.
    Optimize,
}

impl Policy {
    pub fn name(self) -> &'static str {
        match self {
            Policy::RoundRobin => "round-robin",
            Policy::Weighted => "weighted",
            Policy::LeastLoaded => "least-loaded",
            Policy::Optimize => "optimize",
        }
    }
}

impl Policy {
    /// The rule this policy follows, or `None` for the optimizer.
    pub fn rule(self) -> Option<Rule> {
        match self {
            Policy::RoundRobin => Some(Rule::RoundRobin),
            Policy::Weighted => Some(Rule::Weighted),
            Policy::LeastLoaded => Some(Rule::LeastLoaded),
            Policy::Optimize => None,
        }
    }
}

/// The rule policies: each lead decided in turn by a fixed rule, blind to p_win.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    RoundRobin,
    Weighted,
    LeastLoaded,
}

impl From<Rule> for Policy {
    fn from(r: Rule) -> Policy {
        match r {
            Rule::RoundRobin => Policy::RoundRobin,
            Rule::Weighted => Policy::Weighted,
            Rule::LeastLoaded => Policy::LeastLoaded,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Policy::from(*self).name())
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a lead was not assigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// The reps file has no rep the eligibility rules allow for this lead.
    NoEligibleRep,
    /// Reps are eligible, but none of them is active.
    NoActiveRep,
    /// Eligible active reps exist, but none can start on the lead within the planning
    /// horizon (away, or off shift for that long).
    NoAvailableRep,
    /// The lead's workload is larger than the whole capacity of every eligible active rep.
    WorkloadExceedsCapacity,
    /// Eligible active reps exist, but their remaining capacity was used up.
    AllEligibleAtCapacity,
    /// The leads file marks the deal won or lost already.
    ClosedDeal,
    /// A streamed lead: eligible active reps have room, but the capacity it would take is
    /// priced above what the lead would bring (kept for better leads expected later).
    CapacityReserved,
}

impl Reason {
    /// The reason code written in the output.
    pub fn code(self) -> &'static str {
        match self {
            Reason::NoEligibleRep => "no_eligible_rep",
            Reason::NoActiveRep => "no_active_rep",
            Reason::NoAvailableRep => "no_available_rep",
            Reason::WorkloadExceedsCapacity => "workload_exceeds_capacity",
            Reason::AllEligibleAtCapacity => "all_eligible_at_capacity",
            Reason::ClosedDeal => "closed_deal",
            Reason::CapacityReserved => "capacity_reserved",
        }
    }
}

/// What happened to one lead.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub rep: Option<usize>,
    pub reason: Option<Reason>,
    /// One plain sentence for a person.
    pub explanation: String,
}

/// One decision per lead, in input order.
#[derive(Debug, Clone)]
pub struct Plan {
    pub policy: Policy,
    pub decisions: Vec<Decision>,
    /// Per lead, the rep the policy ranked next after its choice (empty when the policy
    /// does not say).
    pub runner_up: Vec<Option<usize>>,
}

impl Plan {
    pub fn assigned(&self) -> usize {
        self.decisions.iter().filter(|d| d.rep.is_some()).count()
    }

    /// Workload units assigned to each rep.
    pub fn load(&self, leads: &Leads, n_reps: usize) -> Vec<f64> {
        let mut load = vec![0.0; n_reps];
        for (lead, d) in self.decisions.iter().enumerate() {
            if let Some(r) = d.rep {
                load[r] += leads.workload[lead];
            }
        }
        load
    }

    /// Count of unassigned leads per reason, in reason order.
    pub fn unassigned_by_reason(&self) -> Vec<(Reason, usize)> {
        let mut counts = std::collections::BTreeMap::new();
        for d in &self.decisions {
            if let Some(r) = d.reason {
                *counts.entry(r).or_insert(0) += 1;
            }
        }
        counts.into_iter().collect()
    }
}

/// Current owners keep their leads, in arrival order, while the owner is a known, active,
/// eligible rep with room. Returns each lead's kept rep and the capacity left.
pub(crate) fn keep_owners(leads: &Leads, reps: &Reps, elig: &Eligibility) -> (Vec<Option<usize>>, Vec<f64>) {
    let mut remaining: Vec<f64> =
        (0..reps.len()).map(|r| if reps.active[r] { reps.capacity[r] } else { 0.0 }).collect();
    let mut kept = vec![None; leads.len()];
    for l in rules::arrival_order(leads) {
        if let Some(r) = leads.owner[l].as_deref().and_then(|o| reps.find(o))
            && reps.active[r]
            && elig.allows(l, r)
            && remaining[r] + EPS >= leads.workload[l]
        {
            remaining[r] -= leads.workload[l];
            kept[l] = Some(r);
        }
    }
    (kept, remaining)
}

/// Why a lead's current owner did not keep it (for leads that move or stay unassigned).
pub fn why_not_kept(lead: usize, leads: &Leads, reps: &Reps, elig: &Eligibility) -> Option<String> {
    let owner = leads.owner[lead].as_deref()?;
    let Some(r) = reps.find(owner) else {
        return Some(format!("its current owner {owner} is not in the reps file"));
    };
    if !reps.active[r] {
        return Some(format!("its current owner {owner} is inactive"));
    }
    match elig.bar(lead, r) {
        Some(crate::eligibility::Bar::Sla(words)) => return Some(words.clone()),
        Some(crate::eligibility::Bar::Time(words)) => return Some(format!("its current owner {words}")),
        None => {}
    }
    if let Some(rule) = elig.blocking_rule(lead, r) {
        return Some(format!("its current owner {owner} is no longer eligible: {rule}"));
    }
    None
}

/// Why `lead` cannot go to any rep right now, given each rep's remaining capacity; `None`
/// when some eligible active rep has room.
pub(crate) fn blocked_reason(
    lead: usize,
    leads: &Leads,
    reps: &Reps,
    elig: &Eligibility,
    remaining: &[f64],
) -> Option<Reason> {
    if leads.closed[lead] {
        return Some(Reason::ClosedDeal);
    }
    let eligible = elig.reps_for(lead);
    if eligible.is_empty() || !eligible.iter().any(|&r| reps.active[r]) {
        // Reps the rules admit but time or an SLA bars: no_available_rep when an active one
        // is away (or off shift) for the whole horizon.
        let barred = &elig.class(lead).barred;
        let active_barred = |time: bool| {
            barred.iter().any(|(r, b)| reps.active[*r] && matches!(b, crate::eligibility::Bar::Time(_)) == time)
        };
        if active_barred(true) {
            return Some(Reason::NoAvailableRep);
        }
        if eligible.is_empty() {
            return Some(if barred.is_empty() || active_barred(false) {
                Reason::NoEligibleRep
            } else {
                Reason::NoActiveRep
            });
        }
    }
    let w = leads.workload[lead];
    let mut any_active = false;
    let mut any_big_enough = false;
    for &r in eligible {
        if !reps.active[r] {
            continue;
        }
        any_active = true;
        if remaining[r] + EPS >= w {
            return None;
        }
        any_big_enough |= reps.capacity[r] + EPS >= w;
    }
    Some(if !any_active {
        Reason::NoActiveRep
    } else if !any_big_enough {
        Reason::WorkloadExceedsCapacity
    } else {
        Reason::AllEligibleAtCapacity
    })
}

/// Re-verifies a plan against the inputs: one decision per lead, assigned leads go to
/// active eligible reps, no rep over capacity, unassigned leads carry a reason that is true.
pub fn check(plan: &Plan, leads: &Leads, reps: &Reps, elig: &Eligibility) -> Result<()> {
    if plan.decisions.len() != leads.len() {
        bail!("plan has {} decisions for {} leads", plan.decisions.len(), leads.len());
    }
    let load = plan.load(leads, reps.len());
    for (r, &l) in load.iter().enumerate() {
        if l > reps.capacity[r] + 1e-6 {
            bail!("rep {} is given {l} workload units, over its capacity {}", reps.id[r], reps.capacity[r]);
        }
    }
    let remaining: Vec<f64> = (0..reps.len()).map(|r| reps.capacity[r] - load[r]).collect();
    for (lead, d) in plan.decisions.iter().enumerate() {
        match (d.rep, d.reason) {
            (Some(r), None) => {
                if !reps.active[r] {
                    bail!("lead {} is given to inactive rep {}", leads.id[lead], reps.id[r]);
                }
                if !elig.allows(lead, r) {
                    bail!(
                        "lead {} is given to rep {}, which the eligibility rules exclude",
                        leads.id[lead],
                        reps.id[r]
                    );
                }
            }
            (None, Some(reason)) => {
                let actual = blocked_reason(lead, leads, reps, elig, &remaining);
                // Capacity only shrinks as leads are placed, so whatever blocked the lead
                // when it was decided still blocks it against the final loads.
                let consistent = actual == Some(reason);
                if !consistent {
                    bail!("lead {} is unassigned as {} but the inputs say {:?}", leads.id[lead], reason.code(), actual);
                }
            }
            _ => bail!("lead {} has an inconsistent decision {d:?}", leads.id[lead]),
        }
    }
    Ok(())
}
