//! The commands, as functions of validated settings. The command-line parser lives in the
//! binary; nothing here knows about flags.

use std::path::PathBuf;

use anyhow::Result;

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
    pub max_share: Option<f64>,
    pub time_limit: Option<f64>,
    /// Optional outputs: Markdown report, summary JSON, CRM owner file.
    pub report: Option<PathBuf>,
    pub html: Option<PathBuf>,
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
    let cfg = load_config(s.config.as_deref())?;
    let leads = Leads::from_table(Table::read(&s.leads, "leads")?, &cfg)?;
    let mut reps = Reps::from_table(Table::read(&s.reps, "reps")?, &cfg)?;
    if let Some(share) = s.max_share {
        // A share cap is a capacity: every policy and the checker see the lower one.
        let cap = (share * leads.workload.iter().sum::<f64>()).ceil();
        for c in reps.capacity.iter_mut() {
            *c = c.min(cap);
        }
    }
    let elig = Eligibility::new(&cfg, &leads, &reps)?;
    warnings.extend(input_warnings(&cfg, &leads, &reps));
    stages.mark("read");
    let params = Params { seed: s.seed, ..Params::default() };
    let history = match &s.history {
        Some(h) => Some(Table::read(h, "history")?),
        None => None,
    };
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
            let z = m.logit(&x);
            (Some(x), Some(z))
        }
        None => (None, None),
    };
    let scores: Option<Vec<f64>> = logits.as_ref().map(|z| z.iter().map(|&v| sigmoid(v)).collect());
    stages.mark("score");

    let mut optimized = None;
    let mut learned = None;
    let (plan, p_win, optimum, method) = match (s.policy, &logits, &model) {
        (Policy::Optimize, Some(z), Some(m)) => {
            let skill = match &history {
                Some(h) => {
                    let settings = SkillSettings { half_life_days: cfg.skill.half_life_days, params: params.clone() };
                    skill::learn(h, &cfg, &settings, m, warnings)?
                }
                None => {
                    warnings
                        .push("no --history: rep skill is unknown, so p_win is the lead score for every rep".into());
                    Skill::default()
                }
            };
            stages.mark("skill");
            let settings = OptimizeSettings {
                objective: s.objective,
                keep_owners: s.keep_owners,
                solve: SolveSettings { seed: s.seed, time_limit: s.time_limit, rounds: 5, ..SolveSettings::default() },
                bound_iterations: 100,
            };
            let o = optimize::optimize(&leads, &reps, &elig, z, &skill, &settings);
            for &(r, given) in &o.short_of_floor {
                warnings.push(format!(
                    "rep {} gets {given} leads, short of its min_leads {}: no more eligible leads could be moved to it within the capacities",
                    reps.id[r], reps.min_leads[r]
                ));
            }
            stages.mark("optimize");
            optimized = Some(Extras { runner_up: o.runner_up, shadow_price: o.shadow_price, p_win_of: o.p_win_of });
            learned = Some(skill);
            (o.plan, o.p_win, Some((o.objective_value, o.bound)), Some(o.method))
        }
        _ => {
            let plan = assign::route_by_rule(s.policy, &leads, &reps, &elig, s.seed);
            let p_win =
                plan.decisions.iter().enumerate().map(|(l, d)| d.rep.and(scores.as_ref().map(|p| p[l]))).collect();
            (plan, p_win, None, None)
        }
    };
    stages.mark("route");
    assign::check(&plan, &leads, &reps, &elig)?;
    stages.mark("check");
    let runner_up = optimized.as_ref().map(|o| o.runner_up.as_slice());
    // Priority: by score; without a model, by deal value.
    let rank = match &scores {
        Some(sc) => scoring::rank(sc),
        None => crate::output::priority_rank(&leads),
    };
    write_assignments(&s.out, &plan, &leads, &reps, scores.as_deref(), &p_win, &rank, runner_up)?;
    if s.report.is_some() || s.html.is_some() || s.summary_json.is_some() {
        let p_of = |l: usize, r: usize| -> Option<f64> {
            match (&optimized, &scores) {
                (Some(o), _) => Some(o.p_win_of.p(l, r)),
                (None, Some(sc)) => Some(sc[l]),
                (None, None) => None,
            }
        };
        // The rule-based plans on the same batch, scored with the same p_win.
        let others: Vec<report::PolicyResult> = [Policy::RoundRobin, Policy::LeastLoaded]
            .into_iter()
            .filter(|&p| p != s.policy && scores.is_some())
            .map(|p| {
                let other = assign::route_by_rule(p, &leads, &reps, &elig, s.seed);
                let mut res = report::PolicyResult {
                    policy: p.name().into(),
                    assigned: other.assigned(),
                    expected_wins: 0.0,
                    expected_value: 0.0,
                };
                for (l, d) in other.decisions.iter().enumerate() {
                    if let Some(pw) = d.rep.and_then(|r| p_of(l, r)) {
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
        let summary = report::summarise(&report::SummaryInput {
            leads: &leads,
            reps: &reps,
            plan: &plan,
            p_win: &p_win,
            objective,
            others,
            optimum,
            shadow_price: optimized.as_ref().map(|o| o.shadow_price.as_slice()),
        });
        if let Some(path) = &s.summary_json {
            report::write_json(path, &summary)?;
        }
        if s.report.is_some() || s.html.is_some() {
            let tier: Vec<char> = rank.iter().map(|&k| scoring::tier(k, leads.len())).collect();
            let factor_lists: Option<Vec<Vec<scoring::Factor>>> = match (&model, &binned) {
                (Some(m), Some(x)) => {
                    let explainer = m.explainer();
                    Some(
                        (0..leads.len())
                            .map(|l| scoring::factors(m, &explainer, x, &leads.table, &cfg, l, 3))
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
            let mix = report::segment_mix(&plan, &leads, reps.len(), &cfg.features.segments);
            let detail = report::LeadDetail {
                rank: &rank,
                tier: &tier,
                scores: scores.as_deref(),
                factors: factors.as_deref(),
                runner_up,
                talking: talking.as_deref(),
                segment_mix: &mix,
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
    stages.mark("write");
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
    })
}

/// Things in otherwise valid inputs that are probably mistakes: config entries naming
/// columns the leads do not have, and current owners missing from the reps file.
fn input_warnings(cfg: &Config, leads: &Leads, reps: &Reps) -> Vec<String> {
    let mut out = Vec::new();
    let lists = [("exclude", &cfg.features.exclude), ("segments", &cfg.features.segments)];
    for (key, list) in lists {
        for col in list.iter().filter(|c| leads.table.column(c).is_none()) {
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
    pub params: Params,
}

fn train_from(history: &std::path::Path, cfg: &Config, params: &Params, progress: &Progress) -> Result<model::Trained> {
    let table = Table::read(history, "history")?;
    let hash = model::file_sha256(history)?;
    model::train(&table, cfg, params, hash, progress)
}

/// `train`: learn a scoring model from history and write the model file.
pub fn train(s: &TrainSettings, progress: &Progress, warnings: &mut Vec<String>) -> Result<Model> {
    check_output_path(&s.model)?;
    let cfg = load_config(s.config.as_deref())?;
    let trained = train_from(&s.history, &cfg, &s.params, progress)?;
    warnings.extend(trained.warnings);
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
pub fn score(s: &ScoreSettings, warnings: &mut Vec<String>, stages: &mut Stages) -> Result<usize> {
    check_output_path(&s.out)?;
    let cfg = load_config(s.config.as_deref())?;
    let model = Model::load(&s.model)?;
    stages.mark("model");
    let table = Table::read(&s.leads, "leads")?;
    stages.mark("read");
    let leads = Leads::from_table(table, &cfg)?;
    stages.mark("validate");
    let (x, w): (Binned, Vec<String>) = model.bin_leads(&leads.table, &cfg)?;
    warnings.extend(w);
    stages.mark("features");
    let p = model.predict(&x);
    stages.mark("predict");
    write_scores(&s.out, &model, &x, &leads, &cfg, &p, s.factors)?;
    stages.mark("factors+write");
    Ok(leads.len())
}
