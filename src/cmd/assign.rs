//! `assign`: read the batch, score it, learn rep skill, route, check, explain, write.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};

use crate::assign::optimize::{Objective, OptimizeSettings};
use crate::assign::route::{self, Routed};
use crate::assign::solver::SolveSettings;
use crate::assign::{self, Policy, Reason};
use crate::batch::{Batch, BatchFiles};
use crate::error::UsageError;
use crate::fmt::{gap_words, grouped};
use crate::io::check_output_path;
use crate::join;
use crate::model::Params;
use crate::outputs::{self, OutputFiles};
use crate::progress::{Progress, Stages};
use crate::report::{RunInfo, WhatIfLine};
use crate::scoring::Scored;
use crate::stream::{RoutingState, StateInput};
use crate::whatif::{self, WhatIf};
use crate::{explain, scoring, skill, timing};

/// Settings of `assign`.
#[derive(Debug, Clone)]
pub struct AssignSettings {
    pub leads: PathBuf,
    pub reps: PathBuf,
    pub config: Option<PathBuf>,
    pub policy: Policy,
    pub seed: u64,
    pub out: PathBuf,
    /// Score leads with this model file …
    pub model: Option<PathBuf>,
    /// … or with a model trained on the fly from this history (also where rep skill is
    /// learned for `optimize`).
    pub history: Option<PathBuf>,
    pub objective: Objective,
    pub keep_owners: bool,
    /// Today's owners (lead id, rep id), replacing the leads file's rep_id column.
    pub current: Option<PathBuf>,
    /// Move a lead from its current owner only when the gain beats this (optimize).
    pub move_penalty: Option<f64>,
    /// Hypothetical changes to the reps, each compared with the plan.
    pub what_if: Vec<WhatIf>,
    pub max_share: Option<f64>,
    pub time_limit: Option<f64>,
    /// Optional outputs: Markdown report, summary JSON, CRM owner file.
    pub report: Option<PathBuf>,
    pub html: Option<PathBuf>,
    /// Most leads the reports' per-lead sections show.
    pub report_leads: usize,
    pub summary_json: Option<PathBuf>,
    pub owner_csv: Option<PathBuf>,
    /// The routing state for later arrivals (optimize with a model file).
    pub state_out: Option<PathBuf>,
    /// Leads expected after the batch, for the state; default the batch's size.
    pub expect_arrivals: Option<usize>,
    /// The batch is a forecast of the coming arrivals (the state keeps whole capacities).
    pub forecast: bool,
    /// When the plan takes effect (time-aware routing), seconds since the epoch.
    pub at: Option<i64>,
}

impl AssignSettings {
    /// Settings that contradict each other, as a usage error.
    pub fn check(&self) -> std::result::Result<(), UsageError> {
        if self.policy == Policy::Optimize && self.model.is_none() && self.history.is_none() {
            return Err(UsageError(
                "the optimize policy needs a history (to learn lead scores and rep skill) or a model file; \
                 the rule policies (round-robin, weighted, least-loaded) need neither"
                    .into(),
            ));
        }
        if self.state_out.is_some() && (self.policy != Policy::Optimize || self.model.is_none()) {
            return Err(UsageError(
                "the routing state holds the optimizer's prices and the fingerprint of the model file they were \
                 computed with: it needs the optimize policy and a model file (from `leadroute train`)"
                    .into(),
            ));
        }
        if self.move_penalty.is_some() && self.policy != Policy::Optimize {
            return Err(UsageError(format!(
                "a move penalty weighs a move against what it gains, which only the optimize policy knows; \
                 {} can keep current owners by locking them",
                self.policy
            )));
        }
        Ok(())
    }

    /// The run section of the reports: inputs hashed only when a report or summary is asked
    /// for (hashing a large batch costs a read of it).
    fn run_info(&self) -> Result<RunInfo> {
        let mut inputs: Vec<(&str, &std::path::Path)> = vec![("leads", &self.leads), ("reps", &self.reps)];
        for (role, path) in [
            ("config", &self.config),
            ("history", &self.history),
            ("model", &self.model),
            ("current owners", &self.current),
        ] {
            if let Some(p) = path {
                inputs.push((role, p));
            }
        }
        let mut settings = vec![format!("policy = {}", self.policy)];
        if self.policy == Policy::Optimize {
            settings.push(format!(
                "objective = {}",
                match self.objective {
                    Objective::Value => "value",
                    Objective::Wins => "wins",
                }
            ));
        }
        if self.keep_owners {
            settings.push("lock = true".into());
        }
        if let Some(x) = self.move_penalty {
            settings.push(format!("move penalty = {x}"));
        }
        if let Some(x) = self.max_share {
            settings.push(format!("max share = {x}"));
        }
        if let Some(x) = self.time_limit {
            settings.push(format!("time limit = {x} s (the plan may depend on timing)"));
        }
        let wanted = self.report.is_some() || self.html.is_some() || self.summary_json.is_some();
        if wanted {
            RunInfo::new("assign", &inputs, self.seed, settings)
        } else {
            Ok(RunInfo {
                command: "assign".into(),
                version: String::new(),
                generated: String::new(),
                inputs: Vec::new(),
                seed: self.seed,
                settings,
            })
        }
    }

    fn optimize_settings(&self) -> OptimizeSettings {
        OptimizeSettings {
            objective: self.objective,
            keep_owners: self.keep_owners,
            move_penalty: self.move_penalty,
            anchor: None,
            solve: SolveSettings {
                seed: self.seed,
                time_limit: self.time_limit,
                rounds: 5,
                ..SolveSettings::default()
            },
            bound_iterations: 100,
        }
    }
}

/// What `assign` did, for the one-line summary.
#[derive(Debug, Clone)]
pub struct AssignSummary {
    pub policy: Policy,
    pub leads: usize,
    pub assigned: usize,
    pub reps_used: usize,
    pub unassigned: Vec<(Reason, usize)>,
    /// Expected wins and expected value of the plan, with a model.
    pub expected: Option<(f64, f64)>,
    /// The optimizer's objective value and its upper bound.
    pub optimum: Option<(f64, f64)>,
    /// Leads coverage first placed by moving others, and what it cost.
    pub coverage: Option<(usize, f64)>,
    /// How the optimizer got there (for `--verbose`).
    pub method: Option<String>,
    /// Leads that had a current owner, and how many of them moved.
    pub owned: usize,
    pub moved: usize,
    /// The what-if scenarios against this plan.
    pub what_if: Vec<WhatIfLine>,
    /// Time-aware routing: reps away for the whole horizon, the assigned leads' median wait
    /// for their rep (hours) and share that start at once, and owned leads past their SLA.
    pub time: Option<TimeLine>,
}

/// What time did, for the summary line.
#[derive(Debug, Clone)]
pub struct TimeLine {
    pub away: Vec<String>,
    pub median_wait_hours: Option<f64>,
    pub at_once: f64,
    pub sla_missed: Option<(usize, f64)>,
}

/// `assign`: read, validate, score, learn skill, route, check, explain, write.
pub fn run(
    s: &AssignSettings,
    progress: &Progress,
    warnings: &mut Vec<String>,
    stages: &mut Stages,
) -> Result<AssignSummary> {
    s.check()?;
    check_output_path(&s.out)?;
    // A state being streamed is not written over: its stream holds the lock.
    let _lock = s
        .state_out
        .as_deref()
        .map(|p| crate::stream::StateLock::acquire(p, false, "assign --state-out"))
        .transpose()?;
    for extra in [&s.report, &s.html, &s.summary_json, &s.owner_csv, &s.state_out].into_iter().flatten() {
        check_output_path(extra)?;
    }
    let files = BatchFiles {
        leads: &s.leads,
        reps: &s.reps,
        config: s.config.as_deref(),
        current: s.current.as_deref(),
        max_share: s.max_share,
        at: s.at,
    };
    // The inputs are hashed for the run section beside the routing, on a thread of its own.
    let hashing = {
        let settings = s.clone();
        std::thread::spawn(move || settings.run_info())
    };
    let batch = Batch::load(&files, warnings)?;
    stages.mark("read");
    let params = Params { seed: s.seed, ..Params::default() };
    let history = s.history.as_deref().map(|h| join::read(h, "history", &batch.cfg, warnings)).transpose()?;
    warnings.extend(batch.input_warnings(history.as_ref()));
    let scored = scoring::score_batch(&batch, s.model.as_deref(), history.as_ref(), &params, progress, warnings)?;
    stages.mark("score");
    let settings = s.optimize_settings();
    // Rep skill, for the optimizer.
    let skill = match (s.policy.rule(), &scored.model) {
        (None, Some(m)) => {
            let skill = skill::for_routing(
                history.as_ref(),
                m,
                scored.stored_skill.as_ref(),
                &batch.cfg,
                &params,
                progress,
                warnings,
            )?;
            stages.mark("skill");
            Some(skill)
        }
        _ => None,
    };
    // Speed-to-lead: the half-life from the config, the history's first responses or the
    // default, when routing is time-aware and there are scores to decay.
    let decay = match (&batch.timing, &scored.model) {
        (Some(t), Some(m)) => {
            let estimate = match (&skill, &history) {
                (Some(sk), _) if sk.decay.is_some() => sk.decay.clone(),
                (_, Some(h)) => {
                    skill::decay_in_sample(h, &batch.cfg, m, &skill::SkillSettings::new(&batch.cfg, &params), warnings)?
                }
                _ => scored.stored_decay.clone(),
            };
            let half_life = timing::HalfLife::resolve(&batch.cfg, estimate, warnings);
            Some((Arc::new(t.decay(&half_life)), half_life))
        }
        _ => None,
    };
    let d = decay.as_ref().map(|d| &d.0);
    let mut routed: Routed = match (s.policy.rule(), &scored.logits, skill) {
        (Some(rule), _, _) => route::by_rule(rule, &batch, scored.scores.as_deref(), s.seed, s.keep_owners, d),
        (None, Some(z), Some(skill)) => {
            let routed = route::by_optimizer(&batch, z, skill, &settings, d, progress, warnings);
            stages.mark("optimize");
            routed
        }
        (None, _, _) => {
            return Err(UsageError("the optimize policy needs lead scores: a history or a model file".into()).into());
        }
    };
    stages.mark("route");
    assign::check(&routed.plan, &batch.leads, &batch.reps, &batch.elig)?;
    stages.mark("check");
    let moves = explain::moves(&mut routed, &batch, scored.scores.as_deref(), s.objective, s.move_penalty);
    stages.mark("moves");
    let what_if = whatif::compare(
        &s.what_if,
        &batch,
        &routed,
        scored.logits.as_deref(),
        scored.scores.as_deref(),
        &settings,
        s.seed,
    )?;
    if !what_if.is_empty() {
        stages.mark("what-if");
    }
    let out = OutputFiles {
        out: &s.out,
        report: s.report.as_deref(),
        html: s.html.as_deref(),
        summary_json: s.summary_json.as_deref(),
        owner_csv: s.owner_csv.as_deref(),
        report_leads: s.report_leads,
    };
    crate::report::dedup_warnings(warnings);
    let run = hashing.join().map_err(|_| anyhow::anyhow!("hashing the input files failed"))??;
    let ctx = outputs::Context {
        objective: s.objective,
        seed: s.seed,
        moves: &moves,
        what_if: &what_if,
        warnings,
        run: &run,
        half_life: decay.as_ref().map(|d| &d.1),
        settings: Some(&settings),
    };
    outputs::write_all(&out, &batch, &scored, &routed, &ctx, stages)?;
    if let (Some(path), Some(model)) = (&s.state_out, &s.model) {
        let input = StateInput {
            model_file: model,
            config_file: s.config.as_deref(),
            objective: s.objective,
            seed: s.seed,
            expected_arrivals: s.expect_arrivals,
            forecast: s.forecast,
        };
        RoutingState::of(&batch, &routed, &input)?.save(path)?;
        // The new state begins a new journal; decisions only a crashed stream's journal held
        // belonged to the state it replaces.
        let journal = crate::stream::Journal::path_of(path);
        if let Ok(text) = std::fs::read_to_string(&journal) {
            let records = text.lines().count().saturating_sub(1);
            if records > 0 {
                warnings.push(format!(
                    "{}: the previous state's stream stopped with {records} decisions in its journal (those it had not \
                     saved into that state are dropped with it); the new state starts a new journal",
                    journal.display()
                ));
            }
            std::fs::remove_file(&journal).with_context(|| format!("cannot remove {}", journal.display()))?;
        }
        stages.mark("write state");
    }
    Ok(summary(&batch, &scored, &routed, moves.len(), what_if))
}

/// The summary line's part on time, when routing is time-aware.
fn time_line(batch: &Batch, routed: &Routed) -> Option<TimeLine> {
    let t = batch.timing.as_ref()?;
    let ts = crate::report::time_summary(t, routed.decay.as_deref(), &routed.plan, &batch.reps);
    let assigned: usize = ts.waits.iter().map(|w| w.1).sum();
    Some(TimeLine {
        away: ts.away_for_horizon,
        median_wait_hours: ts.median_wait_hours,
        at_once: ts.waits.first().map_or(0.0, |w| w.1 as f64 / assigned.max(1) as f64),
        sla_missed: ts.sla.map(|s| (s.missed, s.hours)),
    })
}

/// The run in figures.
fn summary(batch: &Batch, scored: &Scored, routed: &Routed, moved: usize, what_if: Vec<WhatIfLine>) -> AssignSummary {
    let (leads, plan, p_win) = (&batch.leads, &routed.plan, &routed.p_win);
    let mut used: Vec<usize> = plan.decisions.iter().filter_map(|d| d.rep).collect();
    used.sort_unstable();
    used.dedup();
    let expected_wins = p_win.iter().flatten().sum();
    let expected_value = p_win.iter().enumerate().filter_map(|(l, p)| p.map(|p| p * leads.value[l])).sum();
    AssignSummary {
        policy: routed.policy,
        leads: leads.len(),
        assigned: plan.assigned(),
        reps_used: used.len(),
        unassigned: plan.unassigned_by_reason(),
        expected: scored.logits.as_ref().map(|_| (expected_wins, expected_value)),
        optimum: routed.optimum(),
        coverage: routed.optimizer.as_ref().and_then(|o| o.coverage),
        method: routed.optimizer.as_ref().map(|o| o.method.clone()),
        owned: leads.owner.iter().filter(|o| o.is_some()).count(),
        moved,
        what_if,
        time: time_line(batch, routed),
    }
}

impl std::fmt::Display for AssignSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: assigned {} of {} leads to {} reps", self.policy, self.assigned, self.leads, self.reps_used)?;
        let left: Vec<String> = self
            .unassigned
            .iter()
            .filter(|(r, _)| *r != Reason::ClosedDeal)
            .map(|(r, n)| format!("{n} {}", r.code()))
            .collect();
        if !left.is_empty() {
            write!(f, "; unassigned: {}", left.join(", "))?;
        }
        if let Some((_, n)) = self.unassigned.iter().find(|(r, _)| *r == Reason::ClosedDeal) {
            write!(f, "; {n} closed deals not routed (closed_deal)")?;
        }
        if let Some((wins, value)) = self.expected {
            write!(f, "; expected wins {}, expected value {}", grouped(wins, 1), grouped(value, 0))?;
        }
        if let Some((v, bound)) = self.optimum {
            let gap = if bound.abs() > 0.0 { 100.0 * (bound - v) / bound.abs() } else { 0.0 };
            write!(f, "; {}", gap_words(gap))?;
            if let Some((n, cost)) = self.coverage {
                write!(f, ", before coverage first placed {n} more leads")?;
                if cost > 0.0 {
                    write!(f, " for {} less", grouped(cost, if cost < 100.0 { 1 } else { 0 }))?;
                }
            }
        }
        if self.owned > 0 {
            write!(f, "; {} of {} owned leads move", self.moved, self.owned)?;
        }
        if let Some(t) = &self.time {
            if let Some(m) = t.median_wait_hours {
                write!(
                    f,
                    "; leads wait {} h for their rep on median ({:.0} % at once)",
                    crate::timing::fmt_hours((m * 10.0).round() / 10.0),
                    100.0 * t.at_once
                )?;
            }
            if let Some((n, h)) = t.sla_missed.filter(|s| s.0 > 0) {
                write!(
                    f,
                    "; {n} owned leads untouched past the {} h SLA leave their owner",
                    crate::timing::fmt_hours(h)
                )?;
            }
            if !t.away.is_empty() {
                let shown = t.away.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
                let more = if t.away.len() > 5 { format!(" and {} more", t.away.len() - 5) } else { String::new() };
                let reps = if t.away.len() == 1 { "rep" } else { "reps" };
                write!(f, "; no leads for {} {reps} away for the whole horizon ({shown}{more})", t.away.len())?;
            }
        }
        for w in &self.what_if {
            write!(f, "\nwhat-if {w}")?;
        }
        Ok(())
    }
}
