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
    let logits = match &model {
        Some(m) => {
            let (x, w) = m.bin_leads(&leads.table, &cfg)?;
            warnings.extend(w);
            Some(m.logit(&x))
        }
        None => None,
    };
    let scores: Option<Vec<f64>> = logits.as_ref().map(|z| z.iter().map(|&v| sigmoid(v)).collect());
    stages.mark("score");

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
    write_assignments(&s.out, &plan, &leads, &reps, scores.as_deref(), &p_win)?;
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
