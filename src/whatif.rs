//! What-if scenarios: a hypothetical change to the reps ("R007:capacity=+5",
//! "R012:active=false") whose plan is compared with the real one.

use std::fmt;
use std::str::FromStr;

use anyhow::{Context, Result};

use crate::assign::optimize::{self, OptimizeSettings};
use crate::assign::route::Routed;
use crate::assign::{self, Plan, route_by_rule_keeping};
use crate::batch::Batch;
use crate::data::Reps;
use crate::error::UsageError;
use crate::parse;
use crate::report::WhatIfLine;

/// One change to one rep's numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// `capacity=20` sets, `capacity=+5` / `capacity=-5` adjusts (never below 0).
    Capacity {
        value: f64,
        relative: bool,
    },
    Active(bool),
    MinLeads(u32),
}

/// A scenario: changes to one rep, as written on the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatIf {
    pub rep: String,
    pub changes: Vec<Change>,
    text: String,
}

impl fmt::Display for WhatIf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

const EXPECTED: &str = "expected REP:FIELD=VALUE[,FIELD=VALUE…] with FIELD capacity (20, +5 or -5), active (true/false) \
     or min_leads (a whole number), e.g. \"R007:capacity=+5\" or \"R012:active=false\"";

impl FromStr for WhatIf {
    type Err = String;

    fn from_str(s: &str) -> Result<WhatIf, String> {
        let (rep, rest) = s.rsplit_once(':').ok_or_else(|| format!("{s:?}: {EXPECTED}"))?;
        let rep = rep.trim();
        if rep.is_empty() || rest.trim().is_empty() {
            return Err(format!("{s:?}: {EXPECTED}"));
        }
        let mut changes = Vec::new();
        for part in rest.split(',') {
            let (field, value) = part.split_once('=').ok_or_else(|| format!("{s:?}: {EXPECTED}"))?;
            let value = value.trim();
            let bad = || format!("{s:?}: {value:?} is not a valid {} value; {EXPECTED}", field.trim());
            let change = match field.trim().to_ascii_lowercase().as_str() {
                "capacity" => {
                    let relative = value.starts_with('+') || value.starts_with('-');
                    let v = parse::number(value).ok_or_else(bad)?;
                    if !relative && v < 0.0 {
                        return Err(bad());
                    }
                    Change::Capacity { value: v, relative }
                }
                "active" => Change::Active(parse::boolean(value).ok_or_else(bad)?),
                "min_leads" => Change::MinLeads(value.parse().map_err(|_| bad())?),
                other => return Err(format!("{s:?}: unknown field {other:?}; {EXPECTED}")),
            };
            changes.push(change);
        }
        Ok(WhatIf { rep: rep.to_string(), changes, text: s.trim().to_string() })
    }
}

impl WhatIf {
    /// The reps with this scenario applied; a rep id the reps file does not have is a usage error.
    pub fn apply(&self, reps: &Reps) -> Result<Reps> {
        let r = reps.find(&self.rep).ok_or_else(|| {
            UsageError(format!("what-if {:?}: no rep {:?} in {}", self.text, self.rep, reps.table.path().display()))
        })?;
        let mut out = reps.clone();
        for c in &self.changes {
            match *c {
                Change::Capacity { value, relative: true } => out.capacity[r] = (out.capacity[r] + value).max(0.0),
                Change::Capacity { value, relative: false } => out.capacity[r] = value,
                Change::Active(a) => out.active[r] = a,
                Change::MinLeads(m) => out.min_leads[r] = m,
            }
        }
        Ok(out)
    }
}

/// Re-plans the batch under each scenario with the policy of `routed` (the optimizer anchored
/// to the plan, so that only what the change makes worth moving moves) and compares.
/// `z`/`scores`: the leads' log-odds and scores, if any.
pub fn compare(
    scenarios: &[WhatIf],
    batch: &Batch,
    routed: &Routed,
    z: Option<&[f64]>,
    scores: Option<&[f64]>,
    settings: &OptimizeSettings,
    seed: u64,
) -> Result<Vec<WhatIfLine>> {
    let (leads, plan) = (&batch.leads, &routed.plan);
    let decisions = |p: &Plan| -> Vec<Option<usize>> { p.decisions.iter().map(|d| d.rep).collect() };
    let mut out = Vec::new();
    for w in scenarios {
        let alt = w.apply(&batch.reps)?;
        let (alt_plan, alt_p): (Plan, Vec<Option<f64>>) = match (&routed.optimizer, z) {
            (Some(o), Some(z)) => {
                let anchored = OptimizeSettings { anchor: Some(decisions(plan)), ..settings.clone() };
                let o =
                    optimize::optimize_timed(leads, &alt, &batch.elig, z, &o.skill, &anchored, routed.decay.as_ref());
                (o.plan, o.p_win)
            }
            _ => {
                let rule = routed.policy.rule().context("a plan without the optimizer's context is a rule's")?;
                let alt_plan = route_by_rule_keeping(rule, leads, &alt, &batch.elig, seed, settings.keep_owners);
                let alt_p = alt_plan
                    .decisions
                    .iter()
                    .enumerate()
                    .map(|(l, d)| d.rep.and_then(|r| routed.p_with(scores, l, r)))
                    .collect();
                (alt_plan, alt_p)
            }
        };
        assign::check(&alt_plan, leads, &alt, &batch.elig).with_context(|| format!("the plan of what-if {w}"))?;
        let totals = |p: &[Option<f64>]| -> (f64, f64) {
            p.iter()
                .enumerate()
                .filter_map(|(l, p)| p.map(|p| (p, p * leads.value[l])))
                .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1))
        };
        let ((w0, v0), (w1, v1)) = (totals(&routed.p_win), totals(&alt_p));
        let moved = |p: &Plan| batch.moved_from_owner(&decisions(p)) as i64;
        out.push(WhatIfLine {
            change: w.to_string(),
            assigned_change: alt_plan.assigned() as i64 - plan.assigned() as i64,
            expected_wins_change: scores.map(|_| w1 - w0),
            expected_value_change: scores.map(|_| v1 - v0),
            leads_changing_rep: (0..leads.len())
                .filter(|&l| alt_plan.decisions[l].rep != plan.decisions[l].rep)
                .count(),
            moves_change: leads.owner.iter().any(Option::is_some).then(|| moved(&alt_plan) - moved(plan)),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let w: WhatIf = "R007:capacity=+5".parse().unwrap();
        assert_eq!(w.rep, "R007");
        assert_eq!(w.changes, vec![Change::Capacity { value: 5.0, relative: true }]);
        let w: WhatIf = "R012:active=false,min_leads=0".parse().unwrap();
        assert_eq!(w.changes, vec![Change::Active(false), Change::MinLeads(0)]);
        let w: WhatIf = "rep:with:colons:capacity=3".parse().unwrap();
        assert_eq!(
            (w.rep.as_str(), w.changes[0].clone()),
            ("rep:with:colons", Change::Capacity { value: 3.0, relative: false })
        );
    }

    #[test]
    fn rejects_what_it_cannot_mean() {
        for bad in [
            "R007",
            "R007:",
            ":capacity=1",
            "R007:capacity=lots",
            "R007:capacity=-inf",
            "R007:speed=2",
            "R007:active=maybe",
            "R007:min_leads=1.5",
            "R007:capacity=-3x",
        ] {
            assert!(bad.parse::<WhatIf>().is_err(), "{bad} should be refused");
        }
    }
}
