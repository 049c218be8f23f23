//! What a routing run did, for people and machines: the summary figures (`--summary-json`),
//! the CRM owner file (`--owner-csv`) and the Markdown report (`--report`).
//!
//! One [`Summary`] is built per run from the plan; every output renders from it, so the
//! figures agree everywhere.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::assign::{EPS, Plan};
use crate::data::{Leads, Reps};
use crate::fmt::{amount, fmt_num, gap_words, grouped, pct, thousands};
use crate::io::write_atomic;
use crate::output::neutralise;
use crate::parse;

/// Expected results of one policy's plan for the batch.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyLine {
    pub policy: String,
    pub assigned: usize,
    pub expected_wins: f64,
    pub expected_value: f64,
}

/// One rep's part of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct RepLine {
    pub rep_id: String,
    pub active: bool,
    pub capacity: f64,
    pub load: f64,
    pub leads: usize,
    pub min_leads: u32,
    pub expected_wins: f64,
    pub expected_value: f64,
    /// Share of the batch's assigned leads and of its expected value.
    pub share_leads: f64,
    pub share_value: f64,
    /// No lead of the batch still fits in the remaining capacity.
    pub at_capacity: bool,
    /// What one more workload unit of capacity is worth to the objective (the bound's
    /// multiplier); 0 where capacity does not bind.
    pub shadow_price: Option<f64>,
}

/// A lead that leaves its current owner.
#[derive(Debug, Clone, Serialize)]
pub struct MoveLine {
    pub lead_id: String,
    pub from: String,
    /// The new rep; `None` when nobody could take it.
    pub to: Option<String>,
    pub why: String,
}

/// A what-if scenario against the plan: what changes if the reps change so.
#[derive(Debug, Clone, Serialize)]
pub struct WhatIfLine {
    pub change: String,
    pub assigned_change: i64,
    pub expected_wins_change: Option<f64>,
    pub expected_value_change: Option<f64>,
    /// Leads whose rep differs from the plan's.
    pub leads_changing_rep: usize,
    /// Change in how many leads leave their current owner (when leads have owners): a
    /// scenario can raise expected value by moving more of them.
    pub moves_change: Option<i64>,
}

impl std::fmt::Display for WhatIfLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {:+} assigned", self.change, self.assigned_change)?;
        if let (Some(w), Some(v)) = (self.expected_wins_change, self.expected_value_change) {
            write!(
                f,
                ", expected wins {w:+.2}, expected value {}{}",
                if v < 0.0 { "-" } else { "+" },
                fmt_num((v.abs() * 100.0).round() / 100.0)
            )?;
        }
        write!(f, "; {} leads change rep", self.leads_changing_rep)?;
        if let Some(m) = self.moves_change.filter(|&m| m != 0) {
            write!(f, ", {m:+} leaving their current owner")?;
        }
        Ok(())
    }
}

/// The run's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub policy: String,
    pub objective: Option<String>,
    pub leads: usize,
    pub assigned: usize,
    pub unassigned: BTreeMap<String, usize>,
    pub expected_wins: Option<f64>,
    pub expected_value: Option<f64>,
    /// This plan and the rule-based ones on the same batch, scored with the same p_win.
    pub policies: Vec<PolicyLine>,
    /// The optimizer's objective, its upper bound and the gap between them (%).
    pub objective_value: Option<f64>,
    pub bound: Option<f64>,
    pub gap_pct: Option<f64>,
    pub reps: Vec<RepLine>,
    /// Gini coefficient of leads, and of expected value, over active reps (0 = equal).
    pub gini_leads: f64,
    pub gini_value: Option<f64>,
    /// Leads that leave their current owner.
    pub moves: Vec<MoveLine>,
    pub what_if: Vec<WhatIfLine>,
    /// What the run warned about (stale model, drifted features, unmet floors …).
    pub warnings: Vec<String>,
    /// How the optimizer's rules shaped the plan and what they cost, in plain sentences
    /// (coverage first, owners kept within the noise, equal skill).
    pub notes: Vec<String>,
    /// How the run was made; set by the caller.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<RunInfo>,
    /// What time did to the plan, when routing is time-aware.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeSummary>,
}

/// What time did to a time-aware plan: the clock, what waiting costs, who is not at work, the
/// waits the plan accepted and the SLAs missed.
#[derive(Debug, Clone, Serialize)]
pub struct TimeSummary {
    /// When the plan takes effect (UTC), and the horizon a rep must be able to start within.
    pub at: String,
    pub horizon_hours: f64,
    /// The half-life of p_win in hours of waiting (`null`: no decay), in words with its
    /// source, and what the history's first responses say of it.
    pub half_life_hours: Option<f64>,
    pub half_life: String,
    pub half_life_source: String,
    pub estimate: Option<String>,
    /// Assigned leads by how long they wait for their rep once their clock starts.
    pub waits: Vec<(String, usize)>,
    pub median_wait_hours: Option<f64>,
    pub p90_wait_hours: Option<f64>,
    /// Hours from a lead's creation to when its rep can start, median over assigned leads.
    pub median_delay_hours: Option<f64>,
    /// Active reps not on shift when the plan takes effect, and when they are back.
    pub reps_not_at_work: Vec<RepTime>,
    /// Active reps who cannot start within the horizon: they get no leads.
    pub away_for_horizon: Vec<String>,
    /// Owned leads untouched past the SLA, when one is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla: Option<SlaLine>,
}

/// An active rep not at work when the plan takes effect.
#[derive(Debug, Clone, Serialize)]
pub struct RepTime {
    pub rep_id: String,
    pub time_zone: String,
    pub working_hours: String,
    /// "off shift until Mon 30 Nov 09:00 New York time", "away for the whole horizon" …
    pub state: String,
    pub leads: usize,
}

/// The SLA and the owned leads that missed it.
#[derive(Debug, Clone, Serialize)]
pub struct SlaLine {
    pub hours: f64,
    /// "plain" (every hour counts) or "working" (the owner's working hours only).
    pub clock: String,
    pub missed: usize,
    /// Of those, how many went to another rep (the rest found none).
    pub reassigned: usize,
    /// Owned leads without an assigned_at, not checked.
    pub unchecked: usize,
}

impl TimeSummary {
    /// "A lead's p_win halves with every 12 h it waits for its rep", or that it does not decay.
    pub fn decay_words(&self) -> String {
        match self.half_life_hours {
            Some(_) => format!("A lead's p_win halves with every {} it waits for its rep", self.half_life),
            None => "A lead's p_win does not decay while it waits for its rep".into(),
        }
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The time section of a time-aware plan's summary.
pub fn time_summary(
    timing: &crate::timing::Timing,
    decay: Option<&crate::timing::Decay>,
    plan: &Plan,
    reps: &Reps,
) -> TimeSummary {
    use crate::calendar::{HOUR, fmt_instant};
    let hours = |s: i64| s as f64 / HOUR as f64;
    let mut waits: Vec<f64> = Vec::new();
    let mut delays: Vec<f64> = Vec::new();
    let mut given = vec![0usize; reps.len()];
    for (l, d) in plan.decisions.iter().enumerate() {
        if let Some(r) = d.rep {
            given[r] += 1;
            if let Some(a) = timing.available_at(l, r) {
                waits.push(hours(a - timing.start(l)));
                delays.push(hours(timing.delay(l, r).unwrap_or(0)));
            }
        }
    }
    let quantile = |v: &mut Vec<f64>, q: f64| -> Option<f64> {
        v.sort_by(f64::total_cmp);
        (!v.is_empty()).then(|| v[((v.len() - 1) as f64 * q).round() as usize])
    };
    let band = |lo: f64, hi: f64| waits.iter().filter(|&&w| w >= lo && w < hi).count();
    let bands = vec![
        ("at once".to_string(), waits.iter().filter(|&&w| w == 0.0).count()),
        ("within 4 h".to_string(), band(1e-9, 4.0)),
        ("4–24 h".to_string(), band(4.0, 24.0)),
        ("over a day".to_string(), band(24.0, f64::INFINITY)),
    ];
    let at_work_now = |r: usize| timing.available(r, crate::calendar::ceil_minute(timing.at));
    let reps_not_at_work = (0..reps.len())
        .filter(|&r| reps.active[r] && !at_work_now(r))
        .map(|r| RepTime {
            rep_id: reps.id[r].clone(),
            time_zone: timing.calendars[r].zone.iana_name().unwrap_or("UTC").to_string(),
            working_hours: timing.calendars[r].hours.to_string(),
            state: timing.status(r),
            leads: given[r],
        })
        .collect();
    let sla = timing.sla_hours.map(|(h, clock)| {
        let missed: Vec<usize> = (0..timing.sla.len()).filter(|&l| timing.sla[l].is_some()).collect();
        SlaLine {
            hours: h,
            clock: match clock {
                crate::config::SlaClock::Plain => "plain".into(),
                crate::config::SlaClock::Working => "working".into(),
            },
            missed: missed.len(),
            reassigned: missed.iter().filter(|&&l| plan.decisions[l].rep.is_some()).count(),
            unchecked: timing.sla_unchecked,
        }
    });
    let half_life_hours = decay.map(|d| d.half_life_hours).filter(|h| h.is_finite());
    TimeSummary {
        at: fmt_instant(timing.at),
        horizon_hours: hours(timing.horizon),
        half_life_hours,
        half_life_source: String::new(),
        half_life: decay.map_or_else(String::new, |d| {
            if d.half_life_hours.is_finite() {
                format!("{} h", crate::timing::fmt_hours(d.half_life_hours))
            } else {
                "none".into()
            }
        }),
        estimate: None,
        median_wait_hours: quantile(&mut waits.clone(), 0.5).map(round1),
        p90_wait_hours: quantile(&mut waits.clone(), 0.9).map(round1),
        median_delay_hours: quantile(&mut delays, 0.5).map(round1),
        waits: bands,
        reps_not_at_work,
        away_for_horizon: timing.away_for_horizon.iter().map(|&r| reps.id[r].clone()).collect(),
        sla,
    }
}

/// One sentence on which capacities bind and where one more unit is worth most, e.g.
/// "Capacity binds for 9 of 12 active reps; one more unit is worth most at R007 (343.8),
/// R005 (219.6) and R008 (212.6)."
pub fn binding_caps(summary: &Summary) -> Option<String> {
    let active = summary.reps.iter().filter(|r| r.active).count();
    let bound: Vec<&RepLine> = summary.reps.iter().filter(|r| r.at_capacity).collect();
    if active == 0 {
        return None;
    }
    let mut s = format!("Capacity binds for {} of {active} active reps", bound.len());
    let mut priced: Vec<(&str, f64)> =
        bound.iter().filter_map(|r| r.shadow_price.filter(|p| *p > 0.0).map(|p| (r.rep_id.as_str(), p))).collect();
    priced.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let top: Vec<String> = priced.iter().take(3).map(|(id, p)| format!("{id} ({})", amount(*p))).collect();
    match top.len() {
        0 => s.push('.'),
        1 => s.push_str(&format!("; one more unit is worth most at {}.", top[0])),
        _ => {
            let (last, first) = top.split_last().expect("two or more");
            s.push_str(&format!("; one more unit is worth most at {} and {last}.", first.join(", ")));
        }
    }
    Some(s)
}

/// Drops repeated warnings, first occurrences kept in order (the same file read as leads and
/// as history would otherwise warn twice about the same rows).
pub fn dedup_warnings(warnings: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    warnings.retain(|w| seen.insert(w.clone()));
}

/// Gini coefficient of non-negative amounts (0 when all are equal or all are 0).
pub fn gini(xs: &[f64]) -> f64 {
    let n = xs.len();
    let total: f64 = xs.iter().sum();
    if n == 0 || total <= 0.0 {
        return 0.0;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let weighted: f64 = v.iter().enumerate().map(|(i, x)| (2.0 * (i as f64 + 1.0) - n as f64 - 1.0) * x).sum();
    weighted / (n as f64 * total)
}

/// Inputs of [`summarise`] beyond the plan.
pub struct SummaryInput<'a> {
    pub leads: &'a Leads,
    pub reps: &'a Reps,
    pub plan: &'a Plan,
    pub p_win: &'a [Option<f64>],
    pub objective: Option<&'a str>,
    /// Other policies' results on the same batch.
    pub others: Vec<PolicyLine>,
    pub optimum: Option<(f64, f64)>,
    pub shadow_price: Option<&'a [f64]>,
}

pub fn summarise(s: &SummaryInput) -> Summary {
    let (leads, reps, plan) = (s.leads, s.reps, s.plan);
    let scored = s.p_win.iter().any(Option::is_some);
    let n_reps = reps.len();
    let mut load = vec![0.0; n_reps];
    let mut count = vec![0usize; n_reps];
    let mut wins = vec![0.0; n_reps];
    let mut value = vec![0.0; n_reps];
    for (l, d) in plan.decisions.iter().enumerate() {
        if let Some(r) = d.rep {
            load[r] += leads.workload[l];
            count[r] += 1;
            let p = s.p_win[l].unwrap_or(0.0);
            wins[r] += p;
            value[r] += p * leads.value[l];
        }
    }
    let assigned = plan.assigned();
    let total_wins: f64 = wins.iter().sum();
    let total_value: f64 = value.iter().sum();
    // A rep is at capacity when not even the batch's smallest lead would still fit.
    let smallest = leads.workload.iter().copied().fold(f64::INFINITY, f64::min);
    let rep_lines: Vec<RepLine> = (0..n_reps)
        .map(|r| RepLine {
            rep_id: reps.id[r].clone(),
            active: reps.active[r],
            capacity: reps.capacity[r],
            load: load[r],
            leads: count[r],
            min_leads: reps.min_leads[r],
            expected_wins: wins[r],
            expected_value: value[r],
            share_leads: if assigned > 0 { count[r] as f64 / assigned as f64 } else { 0.0 },
            share_value: if total_value > 0.0 { value[r] / total_value } else { 0.0 },
            at_capacity: reps.active[r] && smallest.is_finite() && reps.capacity[r] - load[r] + EPS < smallest,
            shadow_price: s.shadow_price.map(|sp| sp.get(r).copied().unwrap_or(0.0)),
        })
        .collect();
    let active: Vec<usize> = (0..n_reps).filter(|&r| reps.active[r]).collect();
    let mut policies = vec![PolicyLine {
        policy: plan.policy.name().to_string(),
        assigned,
        expected_wins: total_wins,
        expected_value: total_value,
    }];
    policies.extend(s.others.iter().cloned());
    Summary {
        policy: plan.policy.name().to_string(),
        objective: s.objective.map(str::to_string),
        leads: leads.len(),
        assigned,
        unassigned: plan.unassigned_by_reason().into_iter().map(|(r, n)| (r.code().to_string(), n)).collect(),
        expected_wins: scored.then_some(total_wins),
        expected_value: scored.then_some(total_value),
        policies: if scored { policies } else { Vec::new() },
        objective_value: s.optimum.map(|o| o.0),
        bound: s.optimum.map(|o| o.1),
        gap_pct: s.optimum.map(|(v, b)| if b.abs() > 0.0 { 100.0 * (b - v) / b.abs() } else { 0.0 }),
        reps: rep_lines,
        gini_leads: gini(&active.iter().map(|&r| count[r] as f64).collect::<Vec<_>>()),
        gini_value: scored.then(|| gini(&active.iter().map(|&r| value[r]).collect::<Vec<_>>())),
        moves: Vec::new(),
        what_if: Vec::new(),
        warnings: Vec::new(),
        notes: Vec::new(),
        run: None,
        time: None,
    }
}

/// Writes `lead id header, rep id header` rows for the assigned leads, for a CRM's data
/// loader, atomically.
pub fn write_owner_csv(path: &Path, headers: (&str, &str), plan: &Plan, leads: &Leads, reps: &Reps) -> Result<()> {
    write_atomic(path, |w| {
        let mut out = csv::WriterBuilder::new().from_writer(w);
        out.write_record([neutralise(headers.0).as_ref(), neutralise(headers.1).as_ref()])?;
        for (l, d) in plan.decisions.iter().enumerate() {
            if let Some(r) = d.rep {
                out.write_record([neutralise(&leads.id[l]).as_ref(), neutralise(&reps.id[r]).as_ref()])?;
            }
        }
        out.flush()?;
        Ok(())
    })
}

/// Per-lead details for the report.
pub struct LeadDetail<'a> {
    pub rank: &'a [usize],
    pub tier: &'a [char],
    pub scores: Option<&'a [f64]>,
    pub factors: Option<&'a [String]>,
    pub runner_up: Option<&'a [Option<(usize, f64)>]>,
    /// What a rep could open the conversation with, per lead.
    pub talking: Option<&'a [String]>,
    /// Per rep, the segment values of its leads ([`segment_mix`]).
    pub segment_mix: &'a [String],
    /// Leads with a priority rank above this are left out of the per-lead sections (work
    /// queues and the lead table): a report of a million rows helps nobody, and every lead
    /// is in the assignment CSV anyway.
    pub limit: usize,
    /// The assignment CSV's file name, for the note that says where the rest are.
    pub csv_name: &'a str,
}

impl LeadDetail<'_> {
    /// Whether the per-lead sections show this lead.
    pub fn shows(&self, lead: usize) -> bool {
        self.rank[lead] <= self.limit
    }

    /// The note under a per-lead section when some leads are left out, else `None`.
    pub fn cut_note(&self) -> Option<String> {
        let n = self.rank.len();
        (n > self.limit).then(|| {
            format!(
                "The batch has {} leads; the per-lead sections show the {} of highest priority \
                 (--report-leads). Every lead, with its rep, p_win, runner-up and explanation, is in {}.",
                thousands(n),
                thousands(self.limit),
                self.csv_name
            )
        })
    }
}

/// Per rep, the values of each segment column among the leads it was given, most common
/// first: `industry: fintech 12, software 9; company_size: mid 14, large 7`.
pub fn segment_mix(plan: &Plan, leads: &Leads, n_reps: usize, segments: &[String]) -> Vec<String> {
    let cols: Vec<(&String, usize)> = segments.iter().filter_map(|s| leads.table.column(s).map(|c| (s, c))).collect();
    let mut counts: Vec<Vec<BTreeMap<String, usize>>> = vec![vec![BTreeMap::new(); cols.len()]; n_reps];
    for (l, d) in plan.decisions.iter().enumerate() {
        if let Some(r) = d.rep {
            for (k, (_, c)) in cols.iter().enumerate() {
                *counts[r][k].entry(leads.table.cell(l, *c).trim().to_string()).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .map(|per| {
            per.into_iter()
                .zip(&cols)
                .filter(|(m, _)| !m.is_empty())
                .map(|(m, (name, _))| {
                    let mut v: Vec<(String, usize)> = m.into_iter().collect();
                    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                    let shown: Vec<String> = v.iter().take(4).map(|(val, n)| format!("{val} {n}")).collect();
                    let more = if v.len() > 4 { ", …" } else { "" };
                    format!("{name}: {}{more}", shown.join(", "))
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .collect()
}

/// One line of evidence behind a learned skill effect.
pub struct SkillRow<'a> {
    pub rep: &'a str,
    pub segment: &'a str,
    pub value: &'a str,
    pub deals: usize,
    pub wins: usize,
    /// Wins the lead model expected from these deals (what the leads were worth).
    pub expected_wins: f64,
    pub effect: f64,
    pub interval: (f64, f64),
}

/// The skill model in plain sentences: how far apart reps are per segment column and
/// whether that is distinguishable from no difference at all, the check on held-out deals,
/// and whether the effects route leads.
pub fn skill_summary(skill: &crate::skill::Skill) -> Vec<String> {
    let mut lines = Vec::new();
    for (name, sp) in names_of(skill).zip(&skill.spreads) {
        lines.push(format!(
            "Spread between reps {name}: {:.2} log-odds (one standard deviation ≈ {:.2}× the odds); {}.",
            sp.sd,
            sp.sd.exp(),
            if sp.distinguishable() && sp.p_value < 0.001 {
                "distinguishable from no difference (p < 0.001)".to_string()
            } else if sp.distinguishable() {
                format!("distinguishable from no difference (p = {:.3})", sp.p_value)
            } else if sp.sd == 0.0 {
                "the history shows no difference at all".to_string()
            } else {
                format!("not distinguishable from no difference (p = {:.2})", sp.p_value)
            }
        ));
    }
    if let Some(h) = &skill.holdout {
        lines.push(format!(
            "Checked by {}-fold cross-validation{} over the {} closed deals (each predicted by effects fitted without it): the rep effects predicted the outcomes {} the lead scores alone (log-likelihood {:+.1} ± {:.1}).",
            h.folds,
            h.repeated(),
            thousands(h.deals),
            if h.gain > h.se {
                "better than"
            } else if h.gain > 0.0 {
                "slightly better (within the noise) than"
            } else if h.gain + h.se > 0.0 {
                "no better (within the noise) than"
            } else {
                "worse, beyond the noise, than"
            },
            h.gain,
            h.se
        ));
    }
    // When the held-out check alone would not have let the effects route leads, the spread
    // that did.
    let tested = skill.spreads.len().max(1) as f64;
    let decisive = names_of(skill)
        .zip(&skill.spreads)
        .filter(|(_, sp)| sp.p_value < 0.05 / tested)
        .min_by(|a, b| a.1.p_value.total_cmp(&b.1.p_value))
        .map(|(name, sp)| (name, sp.p_value));
    lines.push(match (&skill.unused_because, &skill.holdout, decisive) {
        (Some(_), _, _) => "So rep skill is not used: every rep counts as equally good, current owners keep their leads and the rest go to the least loaded eligible rep.".into(),
        (None, Some(h), Some((name, p))) if h.gain <= h.se => format!(
            "Rep skill is used for routing: the held-out check is within its noise, but the spread between reps {name} is distinguishable from no difference even allowing for the {} spreads tested ({}). A lead leaves its current owner only for a rep better by more than the noise of these estimates.",
            skill.spreads.len(),
            if p < 0.001 { "p < 0.001".to_string() } else { format!("p = {p:.3}") }
        ),
        _ => "Rep skill is used for routing. A lead leaves its current owner only for a rep better by more than the noise of these estimates.".into(),
    });
    lines
}

/// "overall", then "by <segment>" for each segment column, in the order of `skill.spreads`.
fn names_of(skill: &crate::skill::Skill) -> impl Iterator<Item = String> + '_ {
    std::iter::once("overall".to_string()).chain(skill.segments.iter().map(|s| format!("by {s}")))
}

/// Every rep × segment value the skill model has evidence for, active reps of the file
/// first in file order, then segment and value.
pub fn skill_rows<'a>(skill: &'a crate::skill::Skill, reps: &Reps) -> Vec<SkillRow<'a>> {
    let order = |rep: &str| reps.find(rep).unwrap_or(usize::MAX);
    let mut rows: Vec<SkillRow> = skill
        .by_segment
        .iter()
        .map(|((rep, segment, value), e)| SkillRow {
            rep,
            segment,
            value,
            deals: e.deals,
            wins: e.wins,
            expected_wins: e.expected_wins,
            effect: e.effect,
            interval: e.interval(),
        })
        .collect();
    rows.sort_by(|a, b| (order(a.rep), a.rep, a.segment, a.value).cmp(&(order(b.rep), b.rep, b.segment, b.value)));
    rows
}

/// Talking points for every lead, from its own data: the features that raised its score
/// (numbers placed within this batch, e.g. "page_views 14, top 5 % of this batch") and the
/// assigned rep's record in the lead's segments ("industry fintech: R007 won 9 of 12 such
/// deals").
pub fn talking_points(
    factors: &[Vec<crate::scoring::Factor>],
    model: &crate::model::Model,
    leads: &Leads,
    reps: &Reps,
    plan: &Plan,
    skill: Option<&crate::skill::Skill>,
) -> Vec<String> {
    use crate::features::Kind;
    use std::collections::HashMap;
    let n = leads.len();
    // Each numeric feature's values over the batch, sorted, for "top X %".
    let mut sorted: HashMap<usize, Vec<f64>> = HashMap::new();
    for fs in factors {
        for f in fs {
            let feat = &model.schema.features[f.feature];
            if matches!(feat.kind, Kind::Numeric { .. })
                && !sorted.contains_key(&f.feature)
                && let Some(col) = leads.table.column(&feat.column)
            {
                let mut v: Vec<f64> = (0..n).filter_map(|l| parse::number(leads.table.cell(l, col))).collect();
                v.sort_by(f64::total_cmp);
                sorted.insert(f.feature, v);
            }
        }
    }
    (0..n)
        .map(|l| {
            let mut points: Vec<String> = Vec::new();
            for f in factors[l].iter().filter(|f| f.contribution > 0.0) {
                let feat = &model.schema.features[f.feature];
                let mut point = match feat.kind {
                    Kind::Boolean => format!("{}: {}", f.name, f.value),
                    _ => format!("{} {}", f.name, f.value),
                };
                if let (Some(v), Some(x)) = (sorted.get(&f.feature), parse::number(&f.value)) {
                    let at_least = v.len() - v.partition_point(|&y| y < x);
                    let top = 100.0 * at_least as f64 / v.len().max(1) as f64;
                    if top <= 25.0 {
                        point.push_str(&format!(", top {} % of this batch", top.ceil().max(1.0)));
                    }
                }
                points.push(point);
            }
            if let (Some(skill), Some(r)) = (skill, plan.decisions[l].rep) {
                let id = &reps.id[r];
                let best = skill
                    .segments
                    .iter()
                    .filter_map(|s| {
                        let value = leads.table.column(s).map(|c| leads.table.cell(l, c).trim().to_string())?;
                        skill.segment_effect(id, s, &value).map(|e| (s, value, e))
                    })
                    .filter(|(_, _, e)| e.effect >= 0.05 && e.deals >= 3)
                    .max_by(|a, b| a.2.effect.total_cmp(&b.2.effect));
                if let Some((s, value, e)) = best {
                    // The record says more than the bare value, when both would appear.
                    let bare = format!("{s} {value}");
                    points.retain(|p| !p.eq_ignore_ascii_case(&bare));
                    points.push(format!("{bare}: {id} won {} of {} such deals", e.wins, e.deals));
                }
            }
            points.join("; ")
        })
        .collect()
}

/// One input file of a run, identified by its content.
#[derive(Debug, Clone, Serialize)]
pub struct InputFile {
    /// What the file is to the run: "leads", "reps", "history", "config", "model" …
    pub role: String,
    pub path: String,
    /// SHA-256 of the bytes read; `None` for standard input.
    pub sha256: Option<String>,
}

/// How a run was made: enough to repeat it and to tell two reports apart.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    pub command: String,
    pub version: String,
    /// When the report was written (UTC; `SOURCE_DATE_EPOCH` fixes it for reproducible
    /// reports). Not in the summary JSON, whose bytes depend on the inputs and seed only.
    #[serde(skip)]
    pub generated: String,
    pub inputs: Vec<InputFile>,
    pub seed: u64,
    /// The settings that shape the result, as `name = value`.
    pub settings: Vec<String>,
}

impl RunInfo {
    /// The run of `command` on `inputs` (role, path); each file is hashed (standard input
    /// is named, not hashed).
    pub fn new(command: &str, inputs: &[(&str, &Path)], seed: u64, settings: Vec<String>) -> Result<RunInfo> {
        let inputs = inputs
            .iter()
            .map(|(role, path)| {
                let stdin = crate::io::is_stdio(path);
                Ok(InputFile {
                    role: role.to_string(),
                    path: if stdin { "standard input".into() } else { path.display().to_string() },
                    sha256: if stdin { None } else { Some(crate::model::file_sha256(path)?) },
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(RunInfo {
            command: command.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            generated: crate::model::timestamp().replace('T', " ").replace('Z', " UTC"),
            inputs,
            seed,
            settings,
        })
    }

    /// The sentence on reproducibility every report ends its run section with.
    pub fn repeat_note(&self) -> String {
        format!(
            "The same inputs (same hashes), settings and seed {} give a byte-identical plan at any thread count: \
             parallel work is collected in input order and summed in a fixed order.",
            self.seed
        )
    }
}

/// The run section in Markdown.
pub fn md_run(o: &mut String, run: &RunInfo) {
    let _ = writeln!(o, "\n## Run\n");
    let _ = writeln!(o, "`leadroute {}` {}, written {}; seed {}.\n", run.command, run.version, run.generated, run.seed);
    let _ = writeln!(o, "| input | file | SHA-256 |\n| --- | --- | --- |");
    for f in &run.inputs {
        let _ =
            writeln!(o, "| {} | {} | {} |", f.role, md(&f.path), f.sha256.as_deref().map(short_hash).unwrap_or("—"));
    }
    if !run.settings.is_empty() {
        let _ = writeln!(o, "\nSettings: {}.", md(&run.settings.join(", ")));
    }
    let _ = writeln!(o, "\n{}", run.repeat_note());
}

/// The first 12 hex digits of a hash: enough to tell files apart by eye.
pub fn short_hash(h: &str) -> &str {
    &h[..h.len().min(12)]
}

/// The lead model's held-out quality in sentences: AUC, log loss beside the base rate's and
/// the lift of the top tenth.
pub fn quality_lines(q: &crate::model::metrics::HeldOutQuality, rows: usize) -> Vec<String> {
    let better = q.base_log_loss - q.log_loss;
    vec![
        format!(
            "AUC {:.3} on {} held-out deals: a won deal outscores a lost one {} of the time (0.5 is a coin toss){}.",
            q.auc,
            thousands(rows),
            pct(q.auc),
            if q.auc < 0.55 { "; the scores barely rank these leads" } else { "" }
        ),
        format!(
            "Log loss {:.4} against {:.4} for the win rate alone ({} per deal).",
            q.log_loss,
            q.base_log_loss,
            if better >= 0.0 { format!("{better:.4} better") } else { format!("{:.4} worse", -better) }
        ),
        format!("The top tenth of leads by score won {:.2}× as often as the average lead.", q.top_decile_lift),
    ]
}

/// How far apart reps are over one grouping (overall, or by a segment column), and whether
/// that is distinguishable from no difference.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SpreadRow {
    /// "overall" or "by <segment>".
    pub over: String,
    /// Standard deviation of the reps' effects (log-odds).
    pub sd: f64,
    pub p_value: f64,
}

impl SpreadRow {
    pub fn distinguishable(&self) -> bool {
        self.p_value < 0.05
    }

    /// The p-value as written: `< 0.001` or three decimals.
    pub fn p_text(&self) -> String {
        if self.p_value < 0.001 { "< 0.001".to_string() } else { format!("{:.3}", self.p_value) }
    }
}

/// The skill model's spreads, overall then by segment.
pub fn spread_rows(skill: &crate::skill::Skill) -> Vec<SpreadRow> {
    names_of(skill).zip(&skill.spreads).map(|(over, sp)| SpreadRow { over, sd: sp.sd, p_value: sp.p_value }).collect()
}

/// The model section in Markdown: held-out quality, calibration by tenth, the skill spreads.
pub fn md_model(o: &mut String, q: &crate::model::metrics::HeldOutQuality, rows: usize, spreads: &[SpreadRow]) {
    let _ = writeln!(o, "\n## Model quality\n");
    for line in quality_lines(q, rows) {
        let _ = writeln!(o, "- {line}");
    }
    let _ = writeln!(o, "\nCalibration: predicted against observed win rate, by tenth of the predictions.\n");
    let _ = writeln!(o, "| tenth | predicted | observed | deals |\n| ---: | ---: | ---: | ---: |");
    for (k, c) in q.calibration.iter().enumerate() {
        let _ =
            writeln!(o, "| {} | {} | {} | {} |", k + 1, pct(c.mean_predicted), pct(c.observed_rate), thousands(c.rows));
    }
    if !spreads.is_empty() {
        let _ = writeln!(
            o,
            "\nRep skill: how far apart reps are (standard deviation of their effects, log-odds), and whether \
             that is distinguishable from no difference at the 5 % level.\n"
        );
        let _ = writeln!(
            o,
            "| reps differ | spread | one sd is | p | distinguishable |\n| --- | ---: | --- | ---: | --- |"
        );
        for r in spreads {
            let _ = writeln!(
                o,
                "| {} | {:.2} | {} | {} | {} |",
                r.over,
                r.sd,
                crate::fmt::odds_words(r.sd),
                r.p_text(),
                if r.distinguishable() { "yes" } else { "no" }
            );
        }
    }
}

/// One rep's work queue as the reports show it.
pub struct Queue {
    pub rep: usize,
    /// Its leads the per-lead sections show, in the order to work them.
    pub leads: Vec<usize>,
    /// All its leads, shown or not.
    pub total: usize,
    /// Clauses of the explanation most of its shown leads share, said once for the queue.
    pub common: Vec<String>,
    pub expected_wins: f64,
    pub expected_value: f64,
}

/// What comes first in a queue: most expected value (p_win × value) when the plan maximises
/// value, else the best chance to win; without scores, the priority rank (by value).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum QueueOrder {
    ExpectedValue,
    PWin,
    Priority,
}

impl QueueOrder {
    /// The order for a plan with these p_win and this objective ("value" or "wins").
    pub fn of(p_win: &[Option<f64>], objective: Option<&str>) -> QueueOrder {
        match (p_win.iter().any(Option::is_some), objective) {
            (false, _) => QueueOrder::Priority,
            (true, Some("wins")) => QueueOrder::PWin,
            (true, _) => QueueOrder::ExpectedValue,
        }
    }

    /// The sentence that tells the reader how a queue is ordered.
    pub fn note(self) -> &'static str {
        match self {
            QueueOrder::ExpectedValue => {
                "Each queue starts with the lead worth most to work now: highest expected value with this rep \
                 (p_win × deal value) first."
            }
            QueueOrder::PWin => "Each queue starts with the lead this rep is most likely to win: highest p_win first.",
            QueueOrder::Priority => "Each queue is in priority order: largest deal value first.",
        }
    }
}

/// Every rep's queue (reps without leads left out), in rep file order.
pub fn queues(plan: &Plan, leads: &Leads, p_win: &[Option<f64>], detail: &LeadDetail, order: QueueOrder) -> Vec<Queue> {
    let mut by_rep: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (l, d) in plan.decisions.iter().enumerate() {
        if let Some(r) = d.rep {
            by_rep.entry(r).or_default().push(l);
        }
    }
    let p = |l: usize| p_win[l].unwrap_or(0.0);
    by_rep
        .into_iter()
        .map(|(rep, mut q)| {
            let key = |l: usize| match order {
                QueueOrder::ExpectedValue => p(l) * leads.value[l],
                QueueOrder::PWin => p(l),
                QueueOrder::Priority => -(detail.rank[l] as f64),
            };
            q.sort_by(|&a, &b| key(b).total_cmp(&key(a)).then(detail.rank[a].cmp(&detail.rank[b])));
            let shown: Vec<usize> = q.iter().copied().filter(|&l| detail.shows(l)).collect();
            let common = common_clauses(shown.iter().map(|&l| plan.decisions[l].explanation.as_str()));
            let expected_wins = q.iter().map(|&l| p(l)).sum();
            let expected_value = q.iter().map(|&l| p(l) * leads.value[l]).sum();
            Queue { rep, total: q.len(), leads: shown, common, expected_wins, expected_value }
        })
        .collect()
}

/// An explanation's clauses: split at `; ` outside parentheses, the final full stop dropped.
pub fn clauses(explanation: &str) -> Vec<&str> {
    let text = explanation.trim_end().strip_suffix('.').unwrap_or(explanation.trim_end());
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b';' if depth == 0 && bytes.get(i + 1) == Some(&b' ') => {
                out.push(&text[start..i]);
                start = i + 2;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

/// A clause without its parenthesised figures: what leads share although their numbers
/// differ ("R005 would do better (p_win 0.62) but …" → "R005 would do better but …").
fn clause_key(clause: &str) -> String {
    let mut out = String::with_capacity(clause.len());
    let mut depth = 0i32;
    for ch in clause.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The clauses (other than each explanation's first), figures in parentheses aside, that
/// more than half of the explanations, and at least three, share.
fn common_clauses<'a>(explanations: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut n = 0;
    for e in explanations {
        n += 1;
        let mut seen: Vec<String> = clauses(e).into_iter().skip(1).map(clause_key).collect();
        seen.sort_unstable();
        seen.dedup();
        for c in seen {
            *counts.entry(c).or_default() += 1;
        }
    }
    let mut common: Vec<(String, usize)> = counts.into_iter().filter(|&(_, k)| k >= 3 && 2 * k > n).collect();
    common.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    common.into_iter().map(|(c, _)| c).collect()
}

/// An explanation without the clauses its queue states once.
pub fn own_clauses(explanation: &str, common: &[String]) -> String {
    if common.is_empty() {
        return explanation.to_string();
    }
    let kept: Vec<&str> = clauses(explanation)
        .into_iter()
        .enumerate()
        .filter(|(k, c)| *k == 0 || !common.contains(&clause_key(c)))
        .map(|(_, c)| c)
        .collect();
    format!("{}.", kept.join("; "))
}

/// Text safe inside a Markdown table cell.
fn md(cell: &str) -> String {
    let mut out = String::with_capacity(cell.len());
    for ch in cell.chars() {
        match ch {
            '|' => out.push_str("\\|"),
            '\n' | '\r' | '\t' => out.push(' '),
            // Other control characters (a terminal escape, a bell) would act on whoever
            // `cat`s the report: shown as their code point instead.
            c if c.is_control() => out.push_str(&format!("U+{:04X}", c as u32)),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' | '*' | '_' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(ch);
            }
            c => out.push(c),
        }
    }
    out
}

/// A skill effect: signed, and plain 0 when it rounds to nothing.
pub fn effect_label(e: f64) -> String {
    if e.abs() < 0.005 { "0".into() } else { format!("{e:+.2}") }
}

/// What a report (Markdown or HTML) is made from.
pub struct ReportInput<'a> {
    pub summary: &'a Summary,
    pub plan: &'a Plan,
    pub leads: &'a Leads,
    pub reps: &'a Reps,
    pub p_win: &'a [Option<f64>],
    pub detail: &'a LeadDetail<'a>,
    pub skill: Option<&'a crate::skill::Skill>,
    /// The lead model, when the batch was scored.
    pub model: Option<&'a crate::model::Model>,
    pub run: &'a RunInfo,
    /// Every rep's work queue, built once for both reports ([`queues`]).
    pub queues: &'a [Queue],
}

impl ReportInput<'_> {
    /// How the work queues are ordered.
    pub fn queue_order(&self) -> QueueOrder {
        QueueOrder::of(self.p_win, self.summary.objective.as_deref())
    }

    /// The rep skill the report shows: learned and used (or explained as unused).
    pub fn shown_skill(&self) -> Option<&crate::skill::Skill> {
        self.skill.filter(|s| !s.spreads.is_empty() || !s.by_segment.is_empty())
    }
}

/// The Markdown report: summary, policies compared, reps, model quality, performance by rep
/// and segment, each rep's work queue, every lead, and the run.
pub fn markdown(r: &ReportInput) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Lead routing report\n");
    md_summary(&mut o, r.summary);
    if let Some(t) = &r.summary.time {
        md_time(&mut o, t);
    }
    md_comparisons(&mut o, r.summary);
    md_reps(&mut o, r.summary);
    if let Some(m) = r.model {
        md_model(
            &mut o,
            &m.metrics.quality,
            m.metrics.valid_rows,
            &r.shown_skill().map(spread_rows).unwrap_or_default(),
        );
    }
    if let Some(skill) = r.skill.filter(|s| !s.by_segment.is_empty()) {
        md_skill(&mut o, skill, r.reps);
    }
    md_queues(&mut o, r);
    md_every_lead(&mut o, r.plan, r.leads, r.reps, r.p_win, r.detail);
    md_run(&mut o, r.run);
    o
}

/// The summary table, how the plan was made, and the warnings.
fn md_summary(o: &mut String, summary: &Summary) {
    let _ = writeln!(o, "## Summary\n");
    let _ = writeln!(o, "| | |\n| --- | --- |");
    let _ = writeln!(o, "| policy | {} |", summary.policy);
    if let Some(obj) = &summary.objective {
        let _ = writeln!(o, "| objective | {obj} |");
    }
    let _ = writeln!(o, "| leads in the batch | {} |", thousands(summary.leads));
    let _ = writeln!(o, "| assigned | {} |", thousands(summary.assigned));
    for (reason, n) in &summary.unassigned {
        let label = if reason == "closed_deal" { "closed already, not routed" } else { "unassigned" };
        let _ = writeln!(o, "| {label}: `{reason}` | {} |", thousands(*n));
    }
    if let (Some(w), Some(v)) = (summary.expected_wins, summary.expected_value) {
        let _ = writeln!(o, "| expected wins | {} |", grouped(w, 1));
        let _ = writeln!(o, "| expected value | {} |", grouped(v, 0));
    }
    if let Some(g) = summary.gap_pct {
        let _ = writeln!(o, "| against the best possible plan | {} |", gap_words(g));
    }
    if let Some(caps) = binding_caps(summary) {
        let _ = writeln!(o, "| capacity | {} |", md(&caps));
    }
    let _ = writeln!(o, "| fairness: Gini of leads per active rep | {:.3} |", summary.gini_leads);
    if let Some(g) = summary.gini_value {
        let _ = writeln!(o, "| fairness: Gini of expected value per active rep | {g:.3} |");
    }
    if !summary.notes.is_empty() {
        let _ = writeln!(o, "\n**How the plan was made**\n");
        for n in &summary.notes {
            let _ = writeln!(o, "- {}", md(n));
        }
    }
    if !summary.warnings.is_empty() {
        let _ = writeln!(o, "\n**Warnings**\n");
        for w in &summary.warnings {
            let _ = writeln!(o, "- {}", md(w));
        }
    }
}

/// When reps can work, what waiting costs, the waits the plan accepted, SLAs.
fn md_time(o: &mut String, t: &TimeSummary) {
    let _ = writeln!(o, "\n## Time\n");
    let _ = writeln!(
        o,
        "The plan takes effect at {}; a rep who cannot start on a lead within {} hours of it does not get it. {} \
         ({}).\n",
        t.at,
        crate::timing::fmt_hours(t.horizon_hours),
        md(&t.decay_words()),
        md(&t.half_life_source)
    );
    if let Some(e) = &t.estimate {
        let _ = writeln!(o, "From the history: {}.\n", md(e));
    }
    let _ = writeln!(o, "| wait for the rep | leads |\n| --- | ---: |");
    for (band, n) in &t.waits {
        let _ = writeln!(o, "| {band} | {} |", thousands(*n));
    }
    if let (Some(m), Some(p90)) = (t.median_wait_hours, t.p90_wait_hours) {
        let _ = writeln!(
            o,
            "\nMedian wait {} h (90th percentile {} h){}.",
            crate::timing::fmt_hours(m),
            crate::timing::fmt_hours(p90),
            t.median_delay_hours
                .map(|d| format!("; from creation to the first call, {} h on median", crate::timing::fmt_hours(d)))
                .unwrap_or_default()
        );
    }
    if !t.away_for_horizon.is_empty() {
        let _ = writeln!(
            o,
            "\n**No leads for {} reps who cannot start within the horizon:** {}.",
            t.away_for_horizon.len(),
            t.away_for_horizon.join(", ")
        );
    }
    if !t.reps_not_at_work.is_empty() {
        let _ = writeln!(o, "\nActive reps not at work when the plan takes effect:\n");
        let _ = writeln!(o, "| rep | time zone | hours | state | leads |\n| --- | --- | --- | --- | ---: |");
        for r in &t.reps_not_at_work {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                md(&r.rep_id),
                md(&r.time_zone),
                md(&r.working_hours),
                md(&r.state),
                r.leads
            );
        }
    }
    if let Some(s) = &t.sla {
        let _ = writeln!(
            o,
            "\n**SLA** ({} h, {} hours): {} owned leads untouched past it leave their owner; {} of them go to another \
             rep{}.",
            crate::timing::fmt_hours(s.hours),
            s.clock,
            s.missed,
            s.reassigned,
            if s.unchecked > 0 {
                format!("; {} owned leads have no assigned_at and are not checked", s.unchecked)
            } else {
                String::new()
            }
        );
    }
}

/// The other policies on the same batch, the what-if scenarios and the leads that move.
fn md_comparisons(o: &mut String, summary: &Summary) {
    if !summary.policies.is_empty() {
        let _ = writeln!(o, "\n## Policies on this batch\n");
        let _ = writeln!(o, "Each plan scored with the same p_win.\n");
        let _ = writeln!(o, "| policy | assigned | expected wins | expected value |\n| --- | ---: | ---: | ---: |");
        for p in &summary.policies {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                p.policy,
                thousands(p.assigned),
                grouped(p.expected_wins, 1),
                grouped(p.expected_value, 0)
            );
        }
    }
    if !summary.what_if.is_empty() {
        let _ = writeln!(o, "\n## What if\n");
        let _ = writeln!(o, "Each scenario re-plans the batch with the same policy and compares with this plan.\n");
        let _ = writeln!(
            o,
            "| scenario | assigned | expected wins | expected value | leads changing rep | leaving their owner |\n| --- | ---: | ---: | ---: | ---: | ---: |"
        );
        for w in &summary.what_if {
            let _ = writeln!(
                o,
                "| {} | {:+} | {} | {} | {} | {} |",
                md(&w.change),
                w.assigned_change,
                w.expected_wins_change.map(|x| format!("{x:+.2}")).unwrap_or_default(),
                w.expected_value_change.map(signed_amount).unwrap_or_default(),
                w.leads_changing_rep,
                w.moves_change.map(|m| format!("{m:+}")).unwrap_or_default()
            );
        }
    }
    if !summary.moves.is_empty() {
        let _ = writeln!(o, "\n## Leads that move\n");
        let _ = writeln!(o, "{} leads leave their current owner.\n", summary.moves.len());
        let _ = writeln!(o, "| lead | from | to | why |\n| --- | --- | --- | --- |");
        for m in &summary.moves {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                md(&m.lead_id),
                md(&m.from),
                m.to.as_deref().map(md).unwrap_or_else(|| "— (unassigned)".into()),
                md(&m.why)
            );
        }
    }
}

/// Per rep: load against capacity, shares, expected wins and the price of more capacity.
fn md_reps(o: &mut String, summary: &Summary) {
    let _ = writeln!(o, "\n## Reps\n");
    let _ = writeln!(
        o,
        "| rep | load / capacity | leads | floor | share of leads | expected wins | share of value | at capacity | one more unit is worth |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |"
    );
    for r in &summary.reps {
        let price = match r.shadow_price {
            Some(p) if r.at_capacity && p > 0.0 => amount(p),
            _ => String::new(),
        };
        let _ = writeln!(
            o,
            "| {}{} | {} / {} | {} | {} | {} | {} | {} | {} | {} |",
            md(&r.rep_id),
            if r.active { "" } else { " (inactive)" },
            fmt_num(r.load),
            fmt_num(r.capacity),
            thousands(r.leads),
            if r.min_leads > 0 { r.min_leads.to_string() } else { String::new() },
            pct(r.share_leads),
            grouped(r.expected_wins, 1),
            pct(r.share_value),
            if r.at_capacity { "yes" } else { "" },
            price
        );
    }
}

/// The learned skill: spreads, the held-out check, and every rep × segment cell.
fn md_skill(o: &mut String, skill: &crate::skill::Skill, reps: &Reps) {
    let _ = writeln!(o, "\n## Performance by rep and segment\n");
    for line in skill_summary(skill) {
        let _ = writeln!(o, "- {}", md(&line));
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "Observed wins against what the lead model expected from the same deals; the skill effect is on the log-odds scale, shrunk toward the rep's overall effect, with its 90 % interval.\n"
    );
    let _ = writeln!(
        o,
        "| rep | segment | value | deals | won | win rate | model expected | skill | 90 % interval |\n| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    for r in skill_rows(skill, reps) {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {:.1} | {} | {:+.2} to {:+.2} |",
            md(r.rep),
            md(r.segment),
            md(r.value),
            r.deals,
            r.wins,
            if r.deals > 0 { pct(r.wins as f64 / r.deals as f64) } else { String::new() },
            r.expected_wins,
            effect_label(r.effect),
            r.interval.0,
            r.interval.1
        );
    }
}

/// A signed amount for people: `+1,234`, `−56`.
pub fn signed_amount(x: f64) -> String {
    let a = amount(x.abs());
    if a.chars().all(|c| c == '0' || c == '.') {
        a
    } else if x < 0.0 {
        format!("−{a}")
    } else {
        format!("+{a}")
    }
}

/// Each rep's leads in the order to work them: the morning work queue.
fn md_queues(o: &mut String, r: &ReportInput) {
    let (plan, leads, reps, detail) = (r.plan, r.leads, r.reps, r.detail);
    let _ = writeln!(o, "\n## Work queues\n");
    let _ = writeln!(o, "{}\n", r.queue_order().note());
    for q in r.queues {
        let total = q.total;
        let _ = writeln!(o, "### {}\n", md(&reps.id[q.rep]));
        let mut head = format!("{} leads", thousands(total));
        if r.p_win.iter().any(Option::is_some) {
            head.push_str(&format!(
                " · {} expected wins · {} expected value",
                grouped(q.expected_wins, 1),
                grouped(q.expected_value, 0)
            ));
        }
        if let Some(mix) = detail.segment_mix.get(q.rep).filter(|m| !m.is_empty()) {
            head.push_str(&format!(" · {}", md(mix)));
        }
        let _ = writeln!(o, "{head}\n");
        if !q.common.is_empty() {
            let _ = writeln!(o, "For most leads here: {}.\n", md(&q.common.join("; ")));
        }
        let _ = writeln!(
            o,
            "| # | lead | tier | p_win | value | talking points | why |\n| ---: | --- | --- | ---: | ---: | --- | --- |"
        );
        for (k, &l) in q.leads.iter().enumerate() {
            let p = r.p_win[l].map(|p| format!("{p:.2}")).unwrap_or_default();
            let talk = detail.talking.map(|t| md(&t[l])).unwrap_or_default();
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} |",
                k + 1,
                md(&leads.id[l]),
                detail.tier[l],
                p,
                grouped(leads.value[l], 0),
                talk,
                md(&own_clauses(&plan.decisions[l].explanation, &q.common))
            );
        }
        if q.leads.len() < total {
            let _ = writeln!(o, "\n… and {} more leads of lower priority.", thousands(total - q.leads.len()));
        }
        let _ = writeln!(o);
    }
}

/// Every lead shown: rank, score, factors, rep, runner-up and the decision.
fn md_every_lead(o: &mut String, plan: &Plan, leads: &Leads, reps: &Reps, p_win: &[Option<f64>], detail: &LeadDetail) {
    let _ = writeln!(o, "## Every lead\n");
    if let Some(note) = detail.cut_note() {
        let _ = writeln!(o, "{}\n", md(&note));
    }
    let _ = writeln!(
        o,
        "| lead | rank | tier | score | top factors | rep | p_win | runner-up | decision |\n| --- | ---: | --- | ---: | --- | --- | ---: | --- | --- |"
    );
    for (l, d) in plan.decisions.iter().enumerate().filter(|&(l, _)| detail.shows(l)) {
        let rep = d.rep.map(|r| md(&reps.id[r])).unwrap_or_else(|| "—".into());
        let score = detail.scores.map(|s| format!("{:.2}", s[l])).unwrap_or_default();
        let factors = detail.factors.map(|f| md(&f[l])).unwrap_or_default();
        let runner = detail
            .runner_up
            .and_then(|ru| ru[l])
            .map(|(r, p)| if p.is_finite() { format!("{} ({p:.2})", md(&reps.id[r])) } else { md(&reps.id[r]) })
            .unwrap_or_default();
        let decision = match d.reason {
            Some(reason) => format!("`{}`: {}", reason.code(), md(&d.explanation)),
            None => md(&d.explanation),
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            md(&leads.id[l]),
            detail.rank[l],
            detail.tier[l],
            score,
            factors,
            rep,
            p_win[l].map(|p| format!("{p:.2}")).unwrap_or_default(),
            runner,
            decision
        );
    }
}

/// Writes a text report (Markdown or HTML), atomically.
pub fn write_text(path: &Path, text: &str) -> Result<()> {
    write_atomic(path, |w| {
        w.write_all(text.as_bytes())?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The skill section says which evidence let the effects route leads when the held-out
    /// check alone would not have.
    #[test]
    fn skill_summary_names_the_spread_that_decided() {
        use crate::skill::{Holdout, Skill, Spread};
        let skill = |gain: f64| Skill {
            segments: vec!["industry".into(), "company_size".into()],
            spreads: vec![
                Spread { sd: 0.1, lr: 0.5, p_value: 0.3 },
                Spread { sd: 0.4, lr: 8.0, p_value: 0.004 },
                Spread { sd: 0.2, lr: 3.0, p_value: 0.04 },
            ],
            holdout: Some(Holdout { deals: 2000, folds: 5, repeats: 1, gain, se: 4.0 }),
            ..Skill::default()
        };
        let lines = skill_summary(&skill(1.5));
        let last = lines.last().unwrap();
        assert!(
            last.contains("within its noise") && last.contains("by industry") && last.contains("(p = 0.004)"),
            "{last}"
        );
        assert!(lines.iter().any(|l| l.contains("slightly better (within the noise)")), "{lines:?}");
        let lines = skill_summary(&skill(9.0));
        let last = lines.last().unwrap();
        assert!(last.starts_with("Rep skill is used for routing.") && !last.contains("by industry"), "{last}");
        let off = Skill { unused_because: Some("x".into()), ..skill(-9.0) };
        assert!(skill_summary(&off).last().unwrap().starts_with("So rep skill is not used"));
        assert!(skill_summary(&off).iter().any(|l| l.contains("worse, beyond the noise")));
    }

    fn rep(id: &str, at_capacity: bool, price: f64) -> RepLine {
        RepLine {
            rep_id: id.into(),
            active: true,
            capacity: 10.0,
            load: 10.0,
            leads: 10,
            min_leads: 0,
            expected_wins: 1.0,
            expected_value: 1.0,
            share_leads: 0.25,
            share_value: 0.25,
            at_capacity,
            shadow_price: Some(price),
        }
    }

    #[test]
    fn binding_caps_name_the_dearest_reps() {
        let mut s = Summary {
            policy: "optimize".into(),
            objective: None,
            leads: 40,
            assigned: 40,
            unassigned: BTreeMap::new(),
            expected_wins: None,
            expected_value: None,
            policies: Vec::new(),
            objective_value: None,
            bound: None,
            gap_pct: None,
            reps: Vec::new(),
            gini_leads: 0.0,
            gini_value: None,
            moves: Vec::new(),
            what_if: Vec::new(),
            warnings: Vec::new(),
            notes: Vec::new(),
            run: None,
            time: None,
        };
        s.reps = vec![rep("A", true, 2.0), rep("B", false, 0.0), rep("C", true, 9.5), rep("D", true, 0.0)];
        assert_eq!(
            binding_caps(&s).unwrap(),
            "Capacity binds for 3 of 4 active reps; one more unit is worth most at C (9.5) and A (2.0)."
        );
    }

    #[test]
    fn a_queue_says_once_what_most_of_its_leads_share() {
        let e = [
            "R1 has the best chance to win it (p_win 0.58; runner-up R3 0.56); R5 would do better (p_win 0.62) but region \"NA\" is not in the rep's territories list.",
            "R1 has the best chance to win it (p_win 0.40; runner-up R3 0.36); R5 would do better (p_win 0.41) but region \"NA\" is not in the rep's territories list.",
            "Moved from R2: p_win 0.78 with R1 instead of 0.58 with R2 (+4,005 expected value); R2's capacity (22) goes to leads it gains more on. R1 (p_win 0.78); R5 would do better (p_win 0.80) but region \"NA\" is not in the rep's territories list.",
            "R1 is the only eligible active rep (p_win 0.31).",
        ];
        let common = common_clauses(e.iter().copied());
        assert_eq!(common, ["R5 would do better but region \"NA\" is not in the rep's territories list"]);
        // The clause goes, the lead's own reasons stay, parentheses with semicolons intact.
        assert_eq!(own_clauses(e[0], &common), "R1 has the best chance to win it (p_win 0.58; runner-up R3 0.56).");
        assert_eq!(own_clauses(e[3], &common), e[3]);
        assert!(
            own_clauses(e[2], &common).contains("R2's capacity (22) goes to leads it gains more on. R1 (p_win 0.78).")
        );
        // Fewer than three sharing: nothing is common.
        assert!(common_clauses(e[..2].iter().copied()).is_empty());
    }

    #[test]
    fn gini_of_equal_and_concentrated_shares() {
        assert_eq!(gini(&[5.0, 5.0, 5.0]), 0.0);
        assert!((gini(&[0.0, 0.0, 0.0, 10.0]) - 0.75).abs() < 1e-12);
        assert_eq!(gini(&[]), 0.0);
    }

    #[test]
    fn markdown_cells_cannot_break_the_table_or_inject_html() {
        let s = md("a|b\n<script>*x*");
        assert!(!s.contains('\n') && !s.contains("<script>"), "{s}");
        assert!(s.contains("\\|") && s.contains("\\*x\\*"), "{s}");
        assert_eq!(md("a\u{1b}[31mb\u{7}"), "aU+001B\\[31mbU+0007");
    }
}
