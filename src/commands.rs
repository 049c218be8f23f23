//! The commands, as functions of validated settings. The command-line parser lives in the
//! binary; nothing here knows about flags.

use std::path::PathBuf;

use anyhow::{Context, Result};
use rayon::prelude::*;

use crate::assign::optimize::{self, Objective, OptimizeSettings};
use crate::assign::solver::SolveSettings;
use crate::assign::{self, Policy, Reason};
use crate::config::Config;
use crate::data::{Leads, Reps};
use crate::eligibility::Eligibility;
use crate::error::UsageError;
use crate::features::Binned;
use crate::io::{Table, check_output_path};
use crate::model::metrics::sigmoid;
use crate::model::{self, Model, Params};
use crate::output::{write_assignments, write_scores};
use crate::progress::{Progress, Stages};
use crate::skill::{self, Skill, SkillSettings};
use crate::whatif::WhatIf;
use crate::{report, scoring};

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
    /// How the optimizer got there (for `--verbose`).
    pub method: Option<String>,
    /// Leads that had a current owner, and how many of them moved.
    pub owned: usize,
    pub moved: usize,
    /// The what-if scenarios against this plan.
    pub what_if: Vec<report::WhatIfLine>,
}

impl std::fmt::Display for AssignSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: assigned {} of {} leads to {} reps", self.policy, self.assigned, self.leads, self.reps_used)?;
        if !self.unassigned.is_empty() {
            let parts: Vec<String> = self.unassigned.iter().map(|(r, n)| format!("{n} {}", r.code())).collect();
            write!(f, "; unassigned: {}", parts.join(", "))?;
        }
        if let Some((wins, value)) = self.expected {
            write!(f, "; expected wins {wins:.1}, expected value {value:.0}")?;
        }
        if let Some((v, bound)) = self.optimum {
            let gap = if bound.abs() > 0.0 { 100.0 * (bound - v) / bound.abs() } else { 0.0 };
            write!(f, "; within {gap:.2} % of the best possible plan (bound)")?;
        }
        if self.owned > 0 {
            write!(f, "; {} of {} owned leads move", self.moved, self.owned)?;
        }
        for w in &self.what_if {
            write!(f, "\nwhat-if {w}")?;
        }
        Ok(())
    }
}

/// Loads the config named on the command line, or the defaults.
pub fn load_config(path: Option<&std::path::Path>) -> Result<Config> {
    match path {
        Some(p) => Config::load(p),
        None => Ok(Config::default()),
    }
}

/// What the optimizer knows beyond the plan, for the outputs.
struct Extras {
    runner_up: Vec<Option<(usize, f64)>>,
    shadow_price: Vec<f64>,
    p_win_of: optimize::PWin,
}

/// `assign`: read, validate, score, learn skill, route, check, write.
pub fn assign(
    s: &AssignSettings,
    progress: &Progress,
    warnings: &mut Vec<String>,
    stages: &mut Stages,
) -> Result<AssignSummary> {
    if s.policy == Policy::Optimize && s.model.is_none() && s.history.is_none() {
        return Err(UsageError(
            "--policy optimize needs --history FILE (to learn lead scores and rep skill) or --model FILE; \
             or choose a rule-based --policy (round-robin, weighted, least-loaded)"
                .into(),
        )
        .into());
    }
    check_output_path(&s.out)?;
    for extra in [&s.report, &s.html, &s.summary_json, &s.owner_csv].into_iter().flatten() {
        check_output_path(extra)?;
    }
    if s.move_penalty.is_some() && s.policy != Policy::Optimize {
        return Err(UsageError(format!(
            "--move-penalty weighs a move against what it gains, which only --policy optimize knows; \
             with --policy {} use --lock to keep current owners",
            s.policy
        ))
        .into());
    }
    let cfg = load_config(s.config.as_deref())?;
    let mut leads = Leads::from_table(Table::read(&s.leads, "leads")?, &cfg)?;
    if let Some(path) = &s.current {
        let unknown = leads.set_owners(&Table::read(path, "current owners")?, &cfg)?;
        if unknown > 0 {
            warnings.push(format!(
                "{}: {unknown} rows name a lead that is not in {}; they are ignored",
                path.display(),
                s.leads.display()
            ));
        }
    }
    let mut reps = Reps::from_table(Table::read(&s.reps, "reps")?, &cfg)?;
    if let Some(share) = s.max_share {
        // A share cap is a capacity: every policy and the checker see the lower one.
        let cap = (share * leads.workload.iter().sum::<f64>()).ceil();
        for c in reps.capacity.iter_mut() {
            *c = c.min(cap);
        }
    }
    let elig = Eligibility::new(&cfg, &leads, &reps)?;
    stages.mark("read");
    let params = Params { seed: s.seed, ..Params::default() };
    let history = match &s.history {
        Some(h) => Some(Table::read(h, "history")?),
        None => None,
    };
    warnings.extend(input_warnings(&cfg, &leads, &reps, history.as_ref()));
    let model = match (&s.model, &history) {
        (Some(m), _) => Some(Model::load(m)?),
        (None, Some(h)) => {
            let hash = model::file_sha256(h.path())?;
            let trained = model::train(h, &cfg, &params, hash, progress)?;
            warnings.extend(trained.warnings);
            Some(trained.model)
        }
        (None, None) => None,
    };
    let (binned, logits) = match &model {
        Some(m) => {
            let (x, w) = m.bin_leads(&leads.table, &cfg)?;
            warnings.extend(w);
            warnings.extend(monitoring_warnings(m, &x, &cfg, s.model.as_deref()));
            let z = m.logit(&x);
            (Some(x), Some(z))
        }
        None => (None, None),
    };
    let scores: Option<Vec<f64>> = logits.as_ref().map(|z| z.iter().map(|&v| sigmoid(v)).collect());
    stages.mark("score");

    let mut optimized = None;
    let mut learned = None;
    let mut notes = Vec::new();
    let optimize_settings = OptimizeSettings {
        objective: s.objective,
        keep_owners: s.keep_owners,
        move_penalty: s.move_penalty,
        anchor: None,
        solve: SolveSettings { seed: s.seed, time_limit: s.time_limit, rounds: 5, ..SolveSettings::default() },
        bound_iterations: 100,
    };
    let (plan, p_win, optimum, method) = match (s.policy, &logits, &model) {
        (Policy::Optimize, Some(z), Some(m)) => {
            let skill = match (&history, m.skill.as_ref()) {
                (_, _) if !cfg.skill.enabled => {
                    warnings.push(format!(
                        "{}: [skill] enabled = false, so every rep is taken as equally good and leads go by score alone",
                        cfg.describe()
                    ));
                    Skill::default()
                }
                (Some(h), _) => {
                    let settings = SkillSettings { half_life_days: cfg.skill.half_life_days, params: params.clone() };
                    let spinner = progress.spinner("learning rep skill");
                    let learned = skill::learn(h, &cfg, &settings, m, warnings);
                    spinner.finish();
                    learned?
                }
                (None, Some(stored)) => {
                    warnings.extend(stored.unused_warning());
                    stored.clone()
                }
                (None, None) => {
                    warnings.push(
                        "no --history and the model file holds no rep skill: p_win is the lead score for every rep"
                            .into(),
                    );
                    Skill::default()
                }
            };
            stages.mark("skill");
            let spinner = progress.spinner(&format!("optimizing {} leads × {} reps", leads.len(), reps.len()));
            let o = optimize::optimize(&leads, &reps, &elig, z, &skill, &optimize_settings);
            spinner.finish();
            for &(r, given) in &o.short_of_floor {
                warnings.push(format!(
                    "rep {} gets {given} leads, short of its min_leads {}: no more eligible leads could be moved to it within the capacities",
                    reps.id[r], reps.min_leads[r]
                ));
            }
            stages.mark("optimize");
            notes = o.notes;
            optimized = Some(Extras { runner_up: o.runner_up, shadow_price: o.shadow_price, p_win_of: o.p_win_of });
            learned = Some(skill);
            (o.plan, o.p_win, Some((o.objective_value, o.bound)), Some(o.method))
        }
        _ => {
            let plan = assign::route_by_rule_keeping(s.policy, &leads, &reps, &elig, s.seed, s.keep_owners);
            let p_win =
                plan.decisions.iter().enumerate().map(|(l, d)| d.rep.and(scores.as_ref().map(|p| p[l]))).collect();
            (plan, p_win, None, None)
        }
    };
    let mut plan = plan;
    stages.mark("route");
    assign::check(&plan, &leads, &reps, &elig)?;
    stages.mark("check");
    // Leads that leave their current owner, and why.
    let p_with = |l: usize, r: usize| -> Option<f64> {
        match (&optimized, &scores) {
            (Some(o), _) => Some(o.p_win_of.p(l, r)),
            (None, Some(sc)) => Some(sc[l]),
            (None, None) => None,
        }
    };
    let moves = moves(&mut plan, &leads, &reps, &elig, s, &p_with);
    stages.mark("moves");
    let moved_from_owner = |p: &assign::Plan| -> i64 {
        (0..leads.len())
            .filter(|&l| {
                leads.owner[l].as_deref().is_some_and(|o| p.decisions[l].rep.map(|r| reps.id[r].as_str()) != Some(o))
            })
            .count() as i64
    };
    // What-if scenarios: the same policy on changed reps, against this plan.
    let mut what_if = Vec::new();
    for w in &s.what_if {
        let alt = w.apply(&reps)?;
        let (alt_plan, alt_p): (assign::Plan, Vec<Option<f64>>) = match (&learned, &logits) {
            (Some(skill), Some(z)) => {
                let anchored = OptimizeSettings {
                    anchor: Some(plan.decisions.iter().map(|d| d.rep).collect()),
                    ..optimize_settings.clone()
                };
                let o = optimize::optimize(&leads, &alt, &elig, z, skill, &anchored);
                (o.plan, o.p_win)
            }
            _ => {
                let alt_plan = assign::route_by_rule_keeping(s.policy, &leads, &alt, &elig, s.seed, s.keep_owners);
                let alt_p = alt_plan
                    .decisions
                    .iter()
                    .enumerate()
                    .map(|(l, d)| d.rep.and(scores.as_ref().map(|p| p[l])))
                    .collect();
                (alt_plan, alt_p)
            }
        };
        assign::check(&alt_plan, &leads, &alt, &elig).with_context(|| format!("the plan of --what-if {w}"))?;
        let totals = |p: &[Option<f64>]| -> (f64, f64) {
            p.iter()
                .enumerate()
                .filter_map(|(l, p)| p.map(|p| (p, p * leads.value[l])))
                .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1))
        };
        let ((w0, v0), (w1, v1)) = (totals(&p_win), totals(&alt_p));
        what_if.push(report::WhatIfLine {
            change: w.to_string(),
            assigned_change: alt_plan.assigned() as i64 - plan.assigned() as i64,
            expected_wins_change: scores.as_ref().map(|_| w1 - w0),
            expected_value_change: scores.as_ref().map(|_| v1 - v0),
            leads_changing_rep: (0..leads.len())
                .filter(|&l| alt_plan.decisions[l].rep != plan.decisions[l].rep)
                .count(),
            moves_change: leads
                .owner
                .iter()
                .any(Option::is_some)
                .then(|| moved_from_owner(&alt_plan) - moved_from_owner(&plan)),
        });
    }
    if !what_if.is_empty() {
        stages.mark("what-if");
    }
    // Rule policies: the rep the rule ranked next; p_win there is the score (rep-blind), or
    // unknown (NaN, written empty) without a model.
    let rule_runner_up: Vec<Option<(usize, f64)>> = plan
        .runner_up
        .iter()
        .enumerate()
        .map(|(l, ru)| ru.map(|r| (r, scores.as_ref().map_or(f64::NAN, |sc| sc[l]))))
        .collect();
    let runner_up = Some(optimized.as_ref().map_or(rule_runner_up.as_slice(), |o| o.runner_up.as_slice()));
    // Priority: by score; without a model, by deal value.
    let rank = match &scores {
        Some(sc) => scoring::rank(sc),
        None => crate::output::priority_rank(&leads),
    };
    write_assignments(&s.out, &plan, &leads, &reps, scores.as_deref(), &p_win, &rank, runner_up)?;
    stages.mark("write csv");
    if s.report.is_some() || s.html.is_some() || s.summary_json.is_some() {
        // The rule-based plans on the same batch, scored with the same p_win.
        // Independent of each other: routed side by side.
        let others: Vec<report::PolicyResult> = [Policy::RoundRobin, Policy::LeastLoaded]
            .into_par_iter()
            .filter(|&p| p != s.policy && scores.is_some())
            .map(|p| {
                let other = assign::route_choices(p, &leads, &reps, &elig, s.seed);
                let mut res = report::PolicyResult {
                    policy: p.name().into(),
                    assigned: other.iter().flatten().count(),
                    expected_wins: 0.0,
                    expected_value: 0.0,
                };
                for (l, rep) in other.iter().enumerate() {
                    if let Some(pw) = rep.and_then(|r| p_with(l, r)) {
                        res.expected_wins += pw;
                        res.expected_value += pw * leads.value[l];
                    }
                }
                res
            })
            .collect();
        let objective = optimized.as_ref().map(|_| match s.objective {
            Objective::Value => "value",
            Objective::Wins => "wins",
        });
        let mut summary = report::summarise(&report::SummaryInput {
            leads: &leads,
            reps: &reps,
            plan: &plan,
            p_win: &p_win,
            objective,
            others,
            optimum,
            shadow_price: optimized.as_ref().map(|o| o.shadow_price.as_slice()),
        });
        summary.moves = moves.clone();
        summary.what_if = what_if.clone();
        summary.warnings = warnings.clone();
        summary.notes = notes.clone();
        stages.mark("summarise");
        if let Some(path) = &s.summary_json {
            report::write_json(path, &summary)?;
            stages.mark("write json");
        }
        if s.report.is_some() || s.html.is_some() {
            let tier: Vec<char> = rank.iter().map(|&k| scoring::tier(k, leads.len())).collect();
            let factor_lists: Option<Vec<Vec<scoring::Factor>>> = match (&model, &binned) {
                (Some(m), Some(x)) => {
                    let explainer = m.explainer();
                    // Only for the leads the per-lead sections show.
                    Some(
                        (0..leads.len())
                            .into_par_iter()
                            .map(|l| {
                                if rank[l] <= s.report_leads {
                                    scoring::factors(m, &explainer, x, &leads.table, &cfg, l, 3)
                                } else {
                                    Vec::new()
                                }
                            })
                            .collect(),
                    )
                }
                _ => None,
            };
            let factors: Option<Vec<String>> =
                factor_lists.as_ref().map(|fl| fl.iter().map(|f| scoring::format_factors(f)).collect());
            let talking: Option<Vec<String>> = match (&factor_lists, &model) {
                (Some(fl), Some(m)) => Some(report::talking_points(fl, m, &leads, &reps, &plan, learned.as_ref())),
                _ => None,
            };
            let csv_name = s.out.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            let mix = report::segment_mix(&plan, &leads, reps.len(), &cfg.features.segments);
            let detail = report::LeadDetail {
                rank: &rank,
                tier: &tier,
                scores: scores.as_deref(),
                factors: factors.as_deref(),
                runner_up,
                talking: talking.as_deref(),
                segment_mix: &mix,
                limit: s.report_leads,
                csv_name: &csv_name,
            };
            if let Some(path) = &s.report {
                report::write_text(
                    path,
                    &report::markdown(&summary, &plan, &leads, &reps, &p_win, &detail, learned.as_ref()),
                )?;
            }
            if let Some(path) = &s.html {
                let page = crate::html::render(&crate::html::HtmlInput {
                    summary: &summary,
                    plan: &plan,
                    leads: &leads,
                    reps: &reps,
                    p_win: &p_win,
                    detail: &detail,
                    skill: learned.as_ref(),
                });
                report::write_text(path, &page)?;
            }
        }
    }
    if let Some(path) = &s.owner_csv {
        // The header the leads file uses for the column, else the config's first name for it.
        let header = |name: &str| -> String {
            let names = cfg.columns.headers(name);
            names
                .iter()
                .find_map(|h| leads.table.column(h).map(|c| leads.table.headers()[c].clone()))
                .unwrap_or_else(|| names[0].to_string())
        };
        report::write_owner_csv(path, (&header("lead_id"), &header("rep_id")), &plan, &leads, &reps)?;
    }
    stages.mark("write reports");
    let mut used: Vec<usize> = plan.decisions.iter().filter_map(|d| d.rep).collect();
    used.sort_unstable();
    used.dedup();
    let expected_wins = p_win.iter().flatten().sum();
    let expected_value = p_win.iter().enumerate().filter_map(|(l, p)| p.map(|p| p * leads.value[l])).sum();
    Ok(AssignSummary {
        policy: s.policy,
        leads: leads.len(),
        assigned: plan.assigned(),
        reps_used: used.len(),
        unassigned: plan.unassigned_by_reason(),
        expected: logits.as_ref().map(|_| (expected_wins, expected_value)),
        optimum,
        method,
        owned: leads.owner.iter().filter(|o| o.is_some()).count(),
        moved: moves.len(),
        what_if,
    })
}

/// Leads whose current owner does not keep them, with the reason; the reason is also put in
/// front of the lead's explanation.
fn moves(
    plan: &mut assign::Plan,
    leads: &Leads,
    reps: &Reps,
    elig: &Eligibility,
    s: &AssignSettings,
    p_with: &dyn Fn(usize, usize) -> Option<f64>,
) -> Vec<report::MoveLine> {
    let load = plan.load(leads, reps.len());
    // Each rep's workload of leads it owns and keeps in this plan.
    let mut own_kept = vec![0.0; reps.len()];
    for (l, d) in plan.decisions.iter().enumerate() {
        if let Some(r) = d.rep.filter(|&r| leads.owner[l].as_deref() == Some(reps.id[r].as_str())) {
            own_kept[r] += leads.workload[l];
        }
    }
    let mut out = Vec::new();
    for l in 0..leads.len() {
        let Some(owner) = leads.owner[l].as_deref() else { continue };
        let owner_rep = reps.find(owner);
        let to = plan.decisions[l].rep;
        if to.is_some() && to == owner_rep {
            continue;
        }
        let why = if let Some(w) = assign::why_not_kept(l, leads, reps, elig) {
            w
        } else {
            let r0 = owner_rep.expect("why_not_kept covers unknown owners");
            let cap = assign::rules::fmt_num(reps.capacity[r0]);
            if load[r0] + leads.workload[l] > reps.capacity[r0] + assign::EPS {
                // Full: with its own leads (capacity forced the move), or with leads the
                // optimizer found worth more there.
                if s.policy != Policy::Optimize || own_kept[r0] + leads.workload[l] > reps.capacity[r0] + assign::EPS {
                    format!("its current owner {owner} has no room left: its own leads fill its capacity ({cap})")
                } else {
                    match to.and_then(|r| Some((r, p_with(l, r)?, p_with(l, r0)?))) {
                        Some((r, p1, p0)) if p1 > p0 => format!(
                            "p_win {p1:.2} with {} against {p0:.2} with {owner}, whose capacity ({cap}) goes to \
                             leads it gains more on",
                            reps.id[r]
                        ),
                        _ => format!("its current owner {owner}'s capacity ({cap}) goes to leads worth more there"),
                    }
                }
            } else {
                match (to, s.policy) {
                    (Some(r), Policy::Optimize) => {
                        let (p0, p1) = (p_with(l, r0).unwrap_or(0.0), p_with(l, r).unwrap_or(0.0));
                        let unit = |p: f64| match s.objective {
                            Objective::Value => p * leads.value[l],
                            Objective::Wins => p,
                        };
                        let gain = unit(p1) - unit(p0);
                        let mut why = format!("p_win {p1:.2} with {} against {p0:.2} with {owner}", reps.id[r]);
                        match s.move_penalty {
                            Some(x) if gain > x => why.push_str(&format!(
                                "; the gain ({}) beats the move penalty ({})",
                                assign::rules::fmt_num((gain * 100.0).round() / 100.0),
                                assign::rules::fmt_num(x)
                            )),
                            Some(_) => why.push_str("; moving it frees its owner for leads worth more"),
                            None if p1 > p0 => why.push_str(", better by more than the noise of the skill estimates"),
                            None => why.push_str("; moving it frees its owner for leads worth more"),
                        }
                        why
                    }
                    (Some(_), _) => format!("{} ignores current owners (use --lock to keep them)", s.policy),
                    (None, _) => "no eligible active rep had room".to_string(),
                }
            }
        };
        let d = &mut plan.decisions[l];
        d.explanation = format!("Moved from {owner}: {why}. {}", d.explanation);
        out.push(report::MoveLine {
            lead_id: leads.id[l].clone(),
            from: owner.to_string(),
            to: to.map(|r| reps.id[r].clone()),
            why,
        });
    }
    out
}

/// Fewest leads in a batch for the drift check: shares of a handful of leads say nothing.
const MIN_DRIFT_BATCH: usize = 100;

/// A stale model file, and lead features whose distribution has moved since training.
fn monitoring_warnings(m: &Model, x: &Binned, cfg: &Config, file: Option<&std::path::Path>) -> Vec<String> {
    let mut out = Vec::new();
    let max_age = cfg.monitoring.max_model_age_days;
    if let (Some(path), Some(age)) = (file, m.age_days()) {
        if age > max_age {
            out.push(format!(
                "the model {} was trained {:.0} days ago ({}), more than [monitoring] max_model_age_days = {}; \
                 retrain it with the latest outcomes (`leadroute train --from {} --history NEW.csv`)",
                path.display(),
                age.floor(),
                m.trained_at,
                crate::assign::rules::fmt_num(max_age),
                path.display()
            ));
        }
    }
    if x.n_rows >= MIN_DRIFT_BATCH {
        let drifted = m.drift(x, cfg.monitoring.max_psi);
        if !drifted.is_empty() {
            let list: Vec<String> = drifted.iter().take(5).map(|(f, v)| format!("{f} {v:.2}")).collect();
            out.push(format!(
                "{} lead feature{} drifted since training (population stability index above [monitoring] max_psi = {}): {}{}; \
                 scores may be off until the model is retrained",
                drifted.len(),
                if drifted.len() == 1 { " has" } else { "s have" },
                cfg.monitoring.max_psi,
                list.join(", "),
                if drifted.len() > 5 { ", …" } else { "" }
            ));
        }
    }
    out
}

/// Things in otherwise valid inputs that are probably mistakes: config entries naming
/// columns the leads do not have (for `exclude`, nor the history: a column known only at
/// training is excluded there), and current owners missing from the reps file.
fn input_warnings(cfg: &Config, leads: &Leads, reps: &Reps, history: Option<&Table>) -> Vec<String> {
    let mut out = Vec::new();
    let lists = [("exclude", &cfg.features.exclude), ("segments", &cfg.features.segments)];
    for (key, list) in lists {
        let in_history = |c: &String| key == "exclude" && history.is_some_and(|h| h.column(c).is_some());
        for col in list.iter().filter(|c| leads.table.column(c).is_none() && !in_history(c)) {
            out.push(format!(
                "{}: [features] {key} names {col:?}, which {} does not have",
                cfg.describe(),
                leads.table.path().display()
            ));
        }
    }
    let unknown: Vec<&str> =
        leads.owner.iter().flatten().filter(|o| reps.find(o).is_none()).map(String::as_str).collect();
    if !unknown.is_empty() {
        let mut examples: Vec<&str> = unknown.clone();
        examples.sort_unstable();
        examples.dedup();
        examples.truncate(3);
        out.push(format!(
            "{} leads name a current owner that is not in {} (e.g. {})",
            unknown.len(),
            reps.table.path().display(),
            examples.join(", ")
        ));
    }
    out
}

/// Settings of `train`.
#[derive(Debug, Clone)]
pub struct TrainSettings {
    pub history: PathBuf,
    pub config: Option<PathBuf>,
    pub model: PathBuf,
    /// Continue this earlier model with the history's outcomes instead of starting afresh.
    pub from: Option<PathBuf>,
    pub params: Params,
}

/// `train`: learn a scoring model from history (or continue an earlier one with new
/// outcomes) and write the model file.
pub fn train(s: &TrainSettings, progress: &Progress, warnings: &mut Vec<String>) -> Result<Model> {
    check_output_path(&s.model)?;
    let cfg = load_config(s.config.as_deref())?;
    let from = match &s.from {
        Some(p) => Some(Model::load(p)?),
        None => None,
    };
    let table = Table::read(&s.history, "history")?;
    let hash = model::file_sha256(&s.history)?;
    let labels = model::labels(&table, &cfg)?;
    let mut trained = model::train_continuing(&table, &cfg, &s.params, hash, progress, labels, from.as_ref())?;
    warnings.extend(trained.warnings);
    // Rep skill from the same history, stored with the model for `assign --model`.
    let has_reps = cfg.columns.headers("rep_id").into_iter().any(|h| table.column(h).is_some());
    if cfg.skill.enabled && has_reps {
        let settings = SkillSettings { half_life_days: cfg.skill.half_life_days, params: s.params.clone() };
        trained.model.skill = Some(skill::learn(&table, &cfg, &settings, &trained.model, warnings)?);
    }
    trained.model.save(&s.model)?;
    Ok(trained.model)
}

/// Settings of `score`.
#[derive(Debug, Clone)]
pub struct ScoreSettings {
    pub leads: PathBuf,
    pub model: PathBuf,
    pub config: Option<PathBuf>,
    pub out: PathBuf,
    /// How many factors to list per lead.
    pub factors: usize,
}

/// `score`: probability to convert, rank, tier and top factors for every lead.
pub fn score(s: &ScoreSettings, progress: &Progress, warnings: &mut Vec<String>, stages: &mut Stages) -> Result<usize> {
    check_output_path(&s.out)?;
    let cfg = load_config(s.config.as_deref())?;
    let model = Model::load(&s.model)?;
    stages.mark("model");
    let table = Table::read(&s.leads, "leads")?;
    stages.mark("read");
    let leads = Leads::from_table(table, &cfg)?;
    stages.mark("validate");
    let spinner = progress.spinner(&format!("scoring {} leads", leads.len()));
    let (x, w): (Binned, Vec<String>) = model.bin_leads(&leads.table, &cfg)?;
    warnings.extend(w);
    stages.mark("features");
    let (p, explained) = scoring::predict_explained(&model, &x, &leads.table, &cfg, s.factors);
    stages.mark("predict+factors");
    write_scores(&s.out, &leads, &p, &explained)?;
    spinner.finish();
    stages.mark("write");
    Ok(leads.len())
}
