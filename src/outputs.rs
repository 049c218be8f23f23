//! Everything `assign` writes: the assignment CSV, then on request the summary JSON, the
//! Markdown and HTML reports and the owner file for a CRM's loader. Each file is written
//! atomically.

use std::path::Path;

use anyhow::Result;
use rayon::prelude::*;

use crate::assign::optimize::Objective;
use crate::assign::route::Routed;
use crate::assign::{self, Policy, Rule};
use crate::batch::Batch;
use crate::data::find_column;
use crate::output::{priority_rank, write_assignments};
use crate::progress::Stages;
use crate::report::{self, MoveLine, PolicyLine, Summary, WhatIfLine};
use crate::scoring::{self, Scored};

/// Where the outputs go; all but `out` optional.
#[derive(Debug, Clone, Copy)]
pub struct OutputFiles<'a> {
    pub out: &'a Path,
    pub report: Option<&'a Path>,
    pub html: Option<&'a Path>,
    pub summary_json: Option<&'a Path>,
    pub owner_csv: Option<&'a Path>,
    /// Most leads the reports' per-lead sections show.
    pub report_leads: usize,
}

/// What the plan is compared with and told with.
#[derive(Debug)]
pub struct Context<'a> {
    pub objective: Objective,
    pub seed: u64,
    pub moves: &'a [MoveLine],
    pub what_if: &'a [WhatIfLine],
    pub warnings: &'a [String],
    /// How the run was made (inputs, version, seed), for the reports and the summary JSON.
    pub run: &'a report::RunInfo,
    /// Time-aware routing: the half-life of p_win, and the optimizer's settings (to price the
    /// same plan made blind to time beside this one).
    pub half_life: Option<&'a crate::timing::HalfLife>,
    pub settings: Option<&'a crate::assign::optimize::OptimizeSettings>,
}

/// Writes every output asked for.
pub fn write_all(
    files: &OutputFiles,
    batch: &Batch,
    scored: &Scored,
    routed: &Routed,
    ctx: &Context,
    stages: &mut Stages,
) -> Result<()> {
    let (leads, reps) = (&batch.leads, &batch.reps);
    let scores = scored.scores.as_deref();
    // Rule policies: the rep the rule ranked next; p_win there is the score (rep-blind), or
    // unknown (NaN, written empty) without a model.
    let rule_runner_up: Vec<Option<(usize, f64)>> = routed
        .plan
        .runner_up
        .iter()
        .enumerate()
        .map(|(l, ru)| ru.map(|r| (r, scores.map_or(f64::NAN, |sc| sc[l]))))
        .collect();
    let runner_up = Some(routed.optimizer.as_ref().map_or(rule_runner_up.as_slice(), |o| o.runner_up.as_slice()));
    // Priority: by score; without a model, by deal value.
    let rank = match scores {
        Some(sc) => scoring::rank(sc),
        None => priority_rank(leads),
    };
    write_assignments(
        files.out,
        &routed.plan,
        leads,
        reps,
        scores,
        &routed.p_win,
        &rank,
        runner_up,
        batch.timing.as_deref(),
    )?;
    stages.mark("write csv");
    if files.report.is_some() || files.html.is_some() || files.summary_json.is_some() {
        let summary = summarise(batch, scored, routed, ctx)?;
        stages.mark("summarise");
        if let Some(path) = files.summary_json {
            crate::io::write_json(path, &summary)?;
            stages.mark("write json");
        }
        if files.report.is_some() || files.html.is_some() {
            write_reports(files, batch, scored, routed, &summary, &rank, runner_up, ctx.run)?;
        }
    }
    if let Some(path) = files.owner_csv {
        // The header the leads file uses for the column, else the config's first name for it.
        let header = |name: &str| -> String {
            match find_column(&leads.table, &batch.cfg, name) {
                Some(c) => leads.table.headers()[c].clone(),
                None => batch.cfg.columns.headers(name)[0].to_string(),
            }
        };
        report::write_owner_csv(path, (&header("lead_id"), &header("rep_id")), &routed.plan, leads, reps)?;
    }
    stages.mark("write reports");
    Ok(())
}

/// The summary: the plan's figures, and the rule policies' plans of the same batch scored
/// with the same p_win (routed side by side: they are independent).
fn summarise(batch: &Batch, scored: &Scored, routed: &Routed, ctx: &Context) -> Result<Summary> {
    let (leads, reps, elig) = (&batch.leads, &batch.reps, &batch.elig);
    let scores = scored.scores.as_deref();
    let line = |policy: String, other: &[Option<usize>]| {
        let mut res =
            PolicyLine { policy, assigned: other.iter().flatten().count(), expected_wins: 0.0, expected_value: 0.0 };
        for (l, rep) in other.iter().enumerate() {
            if let Some(pw) = rep.and_then(|r| routed.p_with(scores, l, r)) {
                res.expected_wins += pw;
                res.expected_value += pw * leads.value[l];
            }
        }
        res
    };
    // Beside the rule policies, when routing is time-aware: LeanData-style round robin among
    // the reps available now, and the same optimizer blind to time (no calendars, no decay),
    // each plan priced with the waits it leaves — what knowing the calendar is worth.
    #[derive(Clone, Copy, PartialEq)]
    enum Other {
        Rule(Rule),
        AvailableNow,
        Blind,
    }
    let timed = batch.timing.is_some() && scores.is_some();
    let mut wanted: Vec<Other> = [Rule::RoundRobin, Rule::LeastLoaded]
        .into_iter()
        .filter(|&p| Policy::from(p) != routed.policy && scores.is_some())
        .map(Other::Rule)
        .collect();
    if timed {
        wanted.push(Other::AvailableNow);
        if routed.optimizer.is_some() && ctx.settings.is_some() && scored.logits.is_some() {
            wanted.push(Other::Blind);
        }
    }
    let blind_elig = match wanted.contains(&Other::Blind) {
        true => Some(crate::eligibility::Eligibility::new(&batch.cfg, leads, reps)?),
        false => None,
    };
    let others: Vec<PolicyLine> = wanted
        .into_par_iter()
        .map(|o| match o {
            Other::Rule(p) => line(p.to_string(), &assign::route_choices(p, leads, reps, elig, ctx.seed)),
            Other::AvailableNow => {
                let t = batch.timing.as_ref().expect("time-aware");
                line("available-round-robin".into(), &assign::available_round_robin(leads, reps, elig, t, ctx.seed))
            }
            Other::Blind => {
                let (o, settings, z) = (
                    routed.optimizer.as_ref().expect("optimized"),
                    ctx.settings.expect("settings"),
                    scored.logits.as_deref().expect("scores"),
                );
                let blind = blind_elig.as_ref().expect("compiled above");
                let plan = crate::assign::optimize::optimize(leads, reps, blind, z, &o.skill, settings).plan;
                let choices: Vec<Option<usize>> = plan.decisions.iter().map(|d| d.rep).collect();
                line("optimize, blind to time".into(), &choices)
            }
        })
        .collect();
    let objective = routed.optimizer.as_ref().map(|_| match ctx.objective {
        Objective::Value => "value",
        Objective::Wins => "wins",
    });
    let mut summary = report::summarise(&report::SummaryInput {
        leads,
        reps,
        plan: &routed.plan,
        p_win: &routed.p_win,
        objective,
        others,
        optimum: routed.optimum(),
        shadow_price: routed.optimizer.as_ref().map(|o| o.shadow_price.as_slice()),
    });
    summary.moves = ctx.moves.to_vec();
    summary.what_if = ctx.what_if.to_vec();
    summary.warnings = ctx.warnings.to_vec();
    summary.notes = routed.optimizer.as_ref().map(|o| o.notes.clone()).unwrap_or_default();
    summary.run = Some(ctx.run.clone());
    if let Some(t) = &batch.timing {
        let mut ts = report::time_summary(t, routed.decay.as_deref(), &routed.plan, reps);
        if let Some(h) = ctx.half_life {
            ts.half_life = h.hours_text();
            ts.half_life_source = h.source_text().to_string();
            ts.estimate = h.estimate.as_ref().map(|e| e.describe());
        }
        summary.time = Some(ts);
    }
    Ok(summary)
}

/// The Markdown and HTML reports: the summary, then per lead its factors and talking points
/// (for the leads the per-lead sections show).
#[allow(clippy::too_many_arguments)]
fn write_reports(
    files: &OutputFiles,
    batch: &Batch,
    scored: &Scored,
    routed: &Routed,
    summary: &Summary,
    rank: &[usize],
    runner_up: Option<&[Option<(usize, f64)>]>,
    run: &report::RunInfo,
) -> Result<()> {
    let (leads, reps, cfg) = (&batch.leads, &batch.reps, &batch.cfg);
    let tier: Vec<char> = rank.iter().map(|&k| scoring::tier(k, leads.len())).collect();
    let factor_lists: Option<Vec<Vec<scoring::Factor>>> = match (&scored.model, &scored.binned) {
        (Some(m), Some(x)) => {
            let explainer = m.explainer();
            Some(
                (0..leads.len())
                    .into_par_iter()
                    .map(|l| {
                        if rank[l] <= files.report_leads {
                            scoring::factors(m, &explainer, x, &leads.table, cfg, l, 3)
                        } else {
                            Vec::new()
                        }
                    })
                    .collect(),
            )
        }
        _ => None,
    };
    let skill = routed.optimizer.as_ref().map(|o| &o.skill);
    let factors: Option<Vec<String>> =
        factor_lists.as_ref().map(|fl| fl.iter().map(|f| scoring::format_factors(f)).collect());
    let talking: Option<Vec<String>> = match (&factor_lists, &scored.model) {
        (Some(fl), Some(m)) => Some(report::talking_points(fl, m, leads, reps, &routed.plan, skill)),
        _ => None,
    };
    let csv_name = files.out.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let mix = report::segment_mix(&routed.plan, leads, reps.len(), &cfg.features.segments);
    let detail = report::LeadDetail {
        rank,
        tier: &tier,
        scores: scored.scores.as_deref(),
        factors: factors.as_deref(),
        runner_up,
        talking: talking.as_deref(),
        segment_mix: &mix,
        limit: files.report_leads,
        csv_name: &csv_name,
    };
    let order = report::QueueOrder::of(&routed.p_win, summary.objective.as_deref());
    let queues = report::queues(&routed.plan, leads, &routed.p_win, &detail, order);
    let input = report::ReportInput {
        queues: &queues,
        summary,
        plan: &routed.plan,
        leads,
        reps,
        p_win: &routed.p_win,
        detail: &detail,
        skill,
        model: scored.model.as_ref(),
        run,
    };
    if let Some(path) = files.report {
        report::write_text(path, &report::markdown(&input))?;
    }
    if let Some(path) = files.html {
        report::write_text(path, &crate::html::render(&input))?;
    }
    Ok(())
}
