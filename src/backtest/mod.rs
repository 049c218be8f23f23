//! `backtest`: train on the earlier part of a history, replay the later part, and judge the
//! scoring model, the rep-skill estimate and the routing policies on outcomes the training
//! never saw.
//!
//! Policies are judged *off-policy*: the held-out leads really went to one rep each, and we
//! only see the outcome with that rep. Each policy's expected wins are estimated with the
//! doubly robust estimator (Dudík, Langford & Li, 2011):
//!
//!   V̂(π) = Σ_i [ q̂(i, π(i)) + 1{a_i = π(i)} / ê(a_i | x_i) · (y_i − q̂(i, a_i)) ]
//!
//! where `a_i` is the rep who really worked lead `i`, `y_i` its outcome, `q̂` the p_win model
//! learned from the training part, and `ê` the logging policy's propensity, estimated as the
//! share of each rep among held-out leads of the same eligibility class and score quintile.
//! The estimate is unbiased when either `q̂` or `ê` is right. Intervals are percentile
//! bootstraps over leads with the plans held fixed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::NaiveDateTime;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::assign::optimize::{self, Objective, OptimizeSettings};
use crate::assign::solver::SolveSettings;
use crate::assign::{self, Plan, Rule};
use crate::config::Config;
use crate::data::{Leads, Reps, TimeOrder, time_order};
use crate::eligibility::Eligibility;
use crate::error::{GateError, InputError};
use crate::fmt::signed_pct;
use crate::io::Table;
use crate::join;
use crate::model::metrics::{self, HeldOutQuality, sigmoid};
use crate::model::{self, Model, Params};
use crate::progress::{Progress, Stages};
use crate::skill::{self, Skill, SkillSettings};

/// The backtest file's format name and version.
pub const FORMAT: &str = "leadroute-backtest";
pub const VERSION: u32 = 1;

/// Where the history is cut into training and test parts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Split {
    /// Leads created at or after this moment are the test part.
    From(NaiveDateTime),
    /// The most recent share of the history (by `created_at`, else file order).
    Fraction(f64),
}

/// Quality gates: any violated one fails the run with exit code 3.
#[derive(Debug, Clone, Default)]
pub struct Gates {
    pub min_auc: Option<f64>,
    /// Least relative uplift of optimize's expected wins over round robin's (0.05 = 5 %).
    pub min_uplift: Option<f64>,
    /// An earlier backtest's JSON to compare with …
    pub baseline: Option<PathBuf>,
    /// … allowing each figure to be worse by this share of the baseline's.
    pub max_regression: f64,
}

/// Settings of `backtest`.
#[derive(Debug, Clone)]
pub struct BacktestSettings {
    pub history: PathBuf,
    pub reps: PathBuf,
    pub config: Option<PathBuf>,
    pub split: Split,
    pub seed: u64,
    pub objective: Objective,
    /// Bootstrap replicates for the intervals.
    pub bootstrap: usize,
    pub json: Option<PathBuf>,
    pub report: Option<PathBuf>,
    pub gates: Gates,
}

/// An estimate with its 90 % bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

/// What the history's cut followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SplitBy {
    /// At a date given (`--test-from`).
    #[serde(rename = "date")]
    Date,
    /// The most recent share by created_at.
    #[serde(rename = "time")]
    Time,
    /// The last share of the file (too few rows carry a date).
    #[serde(rename = "file order")]
    FileOrder,
}

impl std::fmt::Display for SplitBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SplitBy::Date => "date",
            SplitBy::Time => "time",
            SplitBy::FileOrder => "file order",
        })
    }
}

/// A policy replayed in the backtest, or what really happened on the test deals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Replayed {
    #[serde(rename = "optimize")]
    Optimize,
    #[serde(rename = "round-robin")]
    RoundRobin,
    #[serde(rename = "least-loaded")]
    LeastLoaded,
    /// The reps who really worked the deals, with the observed outcomes.
    #[serde(rename = "actual")]
    Actual,
}

impl std::fmt::Display for Replayed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Replayed::Optimize => "optimize",
            Replayed::RoundRobin => "round-robin",
            Replayed::LeastLoaded => "least-loaded",
            Replayed::Actual => "actual",
        })
    }
}

/// How the history was cut.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitInfo {
    pub by: SplitBy,
    /// The first test lead's created_at, when known.
    pub test_from: Option<String>,
    pub train_rows: usize,
    pub test_rows: usize,
    /// Test rows with a won or lost outcome (the ones judged).
    pub test_closed: usize,
}

/// Held-out log loss of p_win with and without the learned rep effects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillResult {
    /// Whether skill was learned at all (`[skill] enabled`).
    pub enabled: bool,
    /// Test deals with a rep.
    pub rows: usize,
    pub log_loss_with: f64,
    pub log_loss_without: f64,
    /// log_loss_without − log_loss_with: what knowing the rep adds (nats per deal).
    pub gain: f64,
    /// How far apart the reps learned on the training part are, overall and per segment.
    #[serde(default)]
    pub spreads: Vec<crate::report::SpreadRow>,
}

/// One policy replayed on the held-out leads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyResult {
    pub policy: Replayed,
    pub assigned: usize,
    /// Leads routed to the rep who really worked them.
    pub same_rep: usize,
    /// Doubly robust estimates of the wins and the won value on the held-out leads.
    pub wins: Estimate,
    pub value: Estimate,
    /// What the p_win model alone predicts (the direct method; optimistic for optimize,
    /// which chose its plan by that model).
    pub model_wins: f64,
    pub model_value: f64,
}

/// A quality gate and how it came out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateResult {
    pub gate: String,
    pub value: f64,
    pub threshold: f64,
    /// Whether the value must be at least (true) or at most (false) the threshold.
    pub at_least: bool,
    pub passed: bool,
}

impl GateResult {
    fn new(gate: impl Into<String>, value: f64, threshold: f64, at_least: bool) -> GateResult {
        let passed = if at_least { value >= threshold } else { value <= threshold };
        GateResult { gate: gate.into(), value, threshold, at_least, passed }
    }
}

/// Everything a backtest measured; also the `--json` file and a later run's `--baseline`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backtest {
    pub format: String,
    pub version: u32,
    pub history_sha256: String,
    pub seed: u64,
    pub objective: Objective,
    pub split: SplitInfo,
    /// Held-out quality of the lead scores on the test deals.
    pub scoring: HeldOutQuality,
    pub skill: SkillResult,
    /// optimize, round-robin, least-loaded, then what really happened.
    pub policies: Vec<PolicyResult>,
    /// Relative uplift of optimize over round robin in wins and in value.
    pub uplift_wins: Estimate,
    pub uplift_value: Estimate,
    /// How rep capacities were scaled to the test period.
    pub capacity_scale: f64,
    pub assumptions: Vec<String>,
    pub gates: Vec<GateResult>,
}

impl Backtest {
    pub fn policy(&self, which: Replayed) -> Option<&PolicyResult> {
        self.policies.iter().find(|p| p.policy == which)
    }

    pub fn load(path: &Path) -> Result<Backtest> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the baseline backtest {}", path.display()))?;
        let b: Backtest = serde_json::from_str(&text).map_err(|e| {
            InputError::at(
                path,
                Some(e.line() as u64),
                format!("not a leadroute backtest JSON file (written by `backtest --json`): {e}"),
            )
        })?;
        if b.format != FORMAT || b.version != VERSION {
            return Err(InputError::file(
                path,
                format!("is {} version {}; expected {FORMAT} version {VERSION}", b.format, b.version),
            )
            .into());
        }
        Ok(b)
    }
}

/// Cuts the history into (training rows, test rows, how).
fn split_history(table: &Table, cfg: &Config, split: Split) -> Result<(Vec<usize>, Vec<usize>, SplitInfo)> {
    let rows: Vec<usize> = (0..table.len()).collect();
    let TimeOrder { order, dates, by_time } = time_order(table, cfg, &rows)?;
    let (train, test, by): (Vec<usize>, Vec<usize>, SplitBy) = match split {
        Split::From(from) => {
            if !by_time {
                return Err(InputError::file(
                    table.path(),
                    "a cut at a date needs a created_at date on (nearly) every history row; cut at a share of the history instead",
                )
                .into());
            }
            let (test, train): (Vec<usize>, Vec<usize>) =
                order.iter().partition(|&&r| dates[r].is_some_and(|d| d >= from));
            (train, test, SplitBy::Date)
        }
        Split::Fraction(x) => {
            let n_test = ((table.len() as f64) * x).round() as usize;
            let cut = table.len() - n_test.min(table.len());
            (order[..cut].to_vec(), order[cut..].to_vec(), if by_time { SplitBy::Time } else { SplitBy::FileOrder })
        }
    };
    let test_from = test.first().and_then(|&r| dates[r]).map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string());
    let info = SplitInfo { by, test_from, train_rows: train.len(), test_rows: test.len(), test_closed: 0 };
    Ok((train, test, info))
}

/// Percentile interval (5 %, 95 %) of bootstrap replicates.
fn interval(point: f64, mut reps: Vec<f64>) -> Estimate {
    reps.retain(|x| x.is_finite());
    if reps.is_empty() {
        return Estimate { estimate: point, low: point, high: point };
    }
    reps.sort_by(f64::total_cmp);
    let at = |q: f64| reps[((reps.len() - 1) as f64 * q).round() as usize];
    Estimate { estimate: point, low: at(0.05), high: at(0.95) }
}

/// Per-lead contributions of one plan: doubly robust wins and value, model wins and value.
struct Contributions {
    dr_wins: Vec<f64>,
    dr_value: Vec<f64>,
    model_wins: f64,
    model_value: f64,
    same_rep: usize,
}

/// Replays the policies on the held-out part of the history. Gates are not evaluated
/// here ([`gates`] does, from the result).
pub fn estimate(
    s: &BacktestSettings,
    progress: &Progress,
    warnings: &mut Vec<String>,
    stages: &mut Stages,
) -> Result<Backtest> {
    let cfg = Config::load_or_default(s.config.as_deref())?;
    let (h, test_table) = held_out(s, &cfg, warnings)?;
    stages.mark("read");
    let params = Params { seed: s.seed, ..Params::default() };
    let t = score_test(&h, test_table, &cfg, &params, progress, warnings)?;
    stages.mark("score");
    let k = skill_check(&h, &t, &cfg, &params, warnings)?;
    stages.mark("skill");
    let mut reps = h.reps.clone();
    // Capacities are scaled to the test batch in `route_test`; without a capacity column the
    // config's default is settled on the test batch first.
    warnings.extend(reps.settle_capacity(&cfg, t.leads.workload.iter().sum()));
    let r = route_test(s, &cfg, &t, &k.skill, &mut reps)?;
    stages.mark("route");
    let e = policy_estimates(s, &h, &t, &k, &reps, &r);
    stages.mark("estimate");
    let assumptions = assumptions(&h.info, r.scale, t.leads.workload.iter().sum(), s.bootstrap);
    Ok(Backtest {
        format: FORMAT.into(),
        version: VERSION,
        history_sha256: h.hash,
        seed: s.seed,
        objective: s.objective,
        split: h.info,
        scoring: t.result,
        skill: k.result,
        policies: e.policies,
        uplift_wins: e.uplift_wins,
        uplift_value: e.uplift_value,
        capacity_scale: r.scale,
        assumptions,
        gates: Vec::new(),
    })
}

/// The history cut in two: the earlier part to learn from, the closed deals of the later
/// part to test on.
struct HeldOut {
    hash: String,
    reps: Reps,
    info: SplitInfo,
    train_table: Table,
    /// Outcome of each test deal.
    y: Vec<bool>,
}

/// Also returns the test deals' rows, which become the test batch.
fn held_out(s: &BacktestSettings, cfg: &Config, warnings: &mut Vec<String>) -> Result<(HeldOut, Table)> {
    let table = join::read(&s.history, "history", cfg, warnings)?;
    let hash = model::file_sha256(&s.history)?;
    let reps = Reps::from_table(join::read(&s.reps, "reps", cfg, warnings)?, cfg)?;
    let (train_rows, test_rows, mut info) = split_history(&table, cfg, s.split)?;
    let labels = model::labels(&table, cfg)?;
    let test_closed: Vec<usize> = {
        let mut rows: Vec<usize> = test_rows.iter().copied().filter(|&r| labels[r].is_some()).collect();
        rows.sort_unstable();
        rows
    };
    info.test_closed = test_closed.len();
    let won = test_closed.iter().filter(|&&r| labels[r] == Some(true)).count();
    if won == 0 || won == test_closed.len() {
        return Err(InputError::file(
            &s.history,
            format!(
                "the test part has {} closed deals, {won} of them won: it needs both won and lost deals; \
                 move the cut (an earlier date or a larger test share)",
                test_closed.len()
            ),
        )
        .into());
    }
    let mut train_sorted = train_rows.clone();
    train_sorted.sort_unstable();
    let train_table = table.subset(&train_sorted);
    let test_table = table.subset(&test_closed);
    let y: Vec<bool> = test_closed.iter().map(|&r| labels[r] == Some(true)).collect();
    Ok((HeldOut { hash, reps, info, train_table, y }, test_table))
}

/// The test deals scored by a model trained on the earlier part only.
struct TestScores {
    model: Model,
    leads: Leads,
    /// Log-odds and probability to convert of each test deal.
    z: Vec<f64>,
    p: Vec<f64>,
    result: HeldOutQuality,
}

fn score_test(
    h: &HeldOut,
    test_table: Table,
    cfg: &Config,
    params: &Params,
    progress: &Progress,
    warnings: &mut Vec<String>,
) -> Result<TestScores> {
    let (train_table, y) = (&h.train_table, &h.y);
    let trained = model::train(train_table, cfg, params, h.hash.clone(), progress)
        .context("training on the earlier part of the history")?;
    warnings.extend(trained.warnings);
    let m = trained.model;
    let leads = Leads::from_table(test_table, cfg).context("reading the test part of the history as leads")?;
    let (x, w) = m.bin_leads(&leads.table, cfg)?;
    warnings.extend(w);
    let z = m.logit(&x);
    let p: Vec<f64> = z.iter().map(|&v| sigmoid(v)).collect();
    let train_labels = model::labels(train_table, cfg)?;
    let train_won = train_labels.iter().filter(|l| **l == Some(true)).count();
    let train_closed = train_labels.iter().filter(|l| l.is_some()).count();
    let rate = train_won as f64 / train_closed.max(1) as f64;
    let result = HeldOutQuality::of(&p, y, rate);
    Ok(TestScores { model: m, leads, z, p, result })
}

/// Rep skill learned on the earlier part, judged on the test deals worked by a known rep.
struct SkillCheck {
    skill: Skill,
    result: SkillResult,
    /// The test deals with a rep, and their p_win with that rep (skill included).
    owned: Vec<usize>,
    with: Vec<f64>,
}

fn skill_check(
    h: &HeldOut,
    t: &TestScores,
    cfg: &Config,
    params: &Params,
    warnings: &mut Vec<String>,
) -> Result<SkillCheck> {
    let (leads, z, p, y) = (&t.leads, &t.z, &t.p, &h.y);
    let skill = if cfg.skill.enabled {
        let settings = SkillSettings::new(cfg, params);
        skill::learn(&h.train_table, cfg, &settings, &t.model, warnings)?
    } else {
        Skill::default()
    };
    let seg_cols: Vec<Option<usize>> = skill.segments.iter().map(|c| leads.table.column(c)).collect();
    // p_win of each worked lead with the rep who really worked it, with and without skill.
    let (mut owned, mut with, mut without, mut yk) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for l in 0..leads.len() {
        let Some(rep) = &leads.owner[l] else { continue };
        let values: Vec<&str> = seg_cols.iter().map(|c| c.map(|c| leads.table.cell(l, c)).unwrap_or("")).collect();
        owned.push(l);
        with.push(sigmoid(z[l] + skill.effect(rep, &values).0));
        without.push(p[l]);
        yk.push(y[l]);
    }
    let (ll_with, ll_without) = (metrics::log_loss(&with, &yk), metrics::log_loss(&without, &yk));
    let skill_result = SkillResult {
        enabled: cfg.skill.enabled,
        rows: yk.len(),
        log_loss_with: ll_with,
        log_loss_without: ll_without,
        gain: if yk.is_empty() { 0.0 } else { ll_without - ll_with },
        spreads: crate::report::spread_rows(&skill),
    };

    Ok(SkillCheck { skill, result: skill_result, owned, with })
}

/// The test deals routed as one batch by each policy.
struct TestPlans {
    plans: Vec<(Replayed, Plan)>,
    p_win_of: optimize::PWin,
    elig: Eligibility,
    /// What the reps' capacities were multiplied by to fit the test period.
    scale: f64,
}

/// Routes the test deals with capacities scaled to the test period (`reps` is scaled).
fn route_test(s: &BacktestSettings, cfg: &Config, t: &TestScores, skill: &Skill, reps: &mut Reps) -> Result<TestPlans> {
    let (leads, z) = (&t.leads, &t.z);
    let workload: f64 = leads.workload.iter().sum();
    let room: f64 = (0..reps.len()).filter(|&r| reps.active[r]).map(|r| reps.capacity[r]).sum();
    if room <= 0.0 {
        return Err(
            InputError::file(&s.reps, "no active rep has capacity; a backtest needs someone to route to").into()
        );
    }
    let scale = workload / room;
    for r in 0..reps.len() {
        reps.capacity[r] = (reps.capacity[r] * scale).ceil();
        reps.min_leads[r] = (reps.min_leads[r] as f64 * scale).floor() as u32;
    }
    let elig = Eligibility::new(cfg, leads, reps)?;
    let settings = OptimizeSettings {
        objective: s.objective,
        keep_owners: false,
        move_penalty: None,
        anchor: None,
        solve: SolveSettings { seed: s.seed, rounds: 5, ..SolveSettings::default() },
        bound_iterations: 100,
    };
    let o = optimize::optimize(leads, reps, &elig, z, skill, &settings);
    let plans: Vec<(Replayed, Plan)> = vec![
        (Replayed::Optimize, o.plan),
        (Replayed::RoundRobin, assign::route_by_rule(Rule::RoundRobin, leads, reps, &elig, s.seed)),
        (Replayed::LeastLoaded, assign::route_by_rule(Rule::LeastLoaded, leads, reps, &elig, s.seed)),
    ];
    for (name, plan) in &plans {
        assign::check(plan, leads, reps, &elig).with_context(|| format!("the {name} plan of the backtest"))?;
    }

    Ok(TestPlans { plans, p_win_of: o.p_win_of, elig, scale })
}

/// The held-out leads as they were really worked: who worked each (a rep of the reps
/// file, or none), its outcome, and the logging policy's propensities — each rep's share
/// of the leads in the lead's cell (eligibility class × score quintile).
struct Logged<'a, C> {
    cell: &'a [C],
    owner: &'a [Option<usize>],
    y: &'a [bool],
    n_cell: HashMap<&'a C, f64>,
    n_cell_rep: HashMap<(&'a C, usize), f64>,
}

impl<'a, C: std::hash::Hash + Eq> Logged<'a, C> {
    fn new(cell: &'a [C], owner: &'a [Option<usize>], y: &'a [bool]) -> Logged<'a, C> {
        let mut n_cell: HashMap<&C, f64> = HashMap::new();
        let mut n_cell_rep: HashMap<(&C, usize), f64> = HashMap::new();
        for (c, o) in cell.iter().zip(owner) {
            *n_cell.entry(c).or_default() += 1.0;
            if let Some(rep) = *o {
                *n_cell_rep.entry((c, rep)).or_default() += 1.0;
            }
        }
        Logged { cell, owner, y, n_cell, n_cell_rep }
    }

    /// Each lead's doubly robust expected wins under a plan giving lead `l` to `target[l]`
    /// (0 where it gives none): the model's `q(l, rep)`, plus, where the plan's rep is the
    /// one who really worked the lead, the model's error on the outcome weighted by the
    /// inverse propensity. Also how many leads keep their real rep.
    fn doubly_robust(&self, target: &[Option<usize>], q: impl Fn(usize, usize) -> f64) -> (Vec<f64>, usize) {
        let mut same = 0;
        let dr = target
            .iter()
            .enumerate()
            .map(|(l, rep)| {
                let Some(rep) = *rep else { return 0.0 };
                let q = q(l, rep);
                if self.owner[l] != Some(rep) {
                    return q;
                }
                same += 1;
                let c = &self.cell[l];
                let e = self.n_cell_rep[&(c, rep)] / self.n_cell[c];
                q + (if self.y[l] { 1.0 } else { 0.0 } - q) / e
            })
            .collect();
        (dr, same)
    }
}

/// Bootstrap over rows: per replicate, the sum of each column over as many rows drawn with
/// replacement. Replicate k draws from its own seeded stream, so the sums do not depend on
/// the thread count.
fn bootstrap_sums(columns: &[&[f64]], replicates: usize, seed: u64) -> Vec<Vec<f64>> {
    let n = columns.first().map_or(0, |c| c.len());
    (0..replicates)
        .into_par_iter()
        .map(|k| {
            let mut rng =
                ChaCha8Rng::seed_from_u64(seed ^ 0xB007_57A9 ^ (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let mut sums = vec![0.0; columns.len()];
            for _ in 0..n {
                let l = rng.random_range(0..n);
                for (s, c) in sums.iter_mut().zip(columns) {
                    *s += c[l];
                }
            }
            sums
        })
        .collect()
}

/// Each policy's doubly robust estimates, and what really happened.
struct Estimates {
    policies: Vec<PolicyResult>,
    uplift_wins: Estimate,
    uplift_value: Estimate,
}

fn policy_estimates(
    s: &BacktestSettings,
    h: &HeldOut,
    t: &TestScores,
    k: &SkillCheck,
    reps: &Reps,
    r: &TestPlans,
) -> Estimates {
    let (leads, p, y, elig, plans) = (&t.leads, &t.p, &h.y, &r.elig, &r.plans);
    let (owned, with) = (&k.owned, &k.with);
    // The logging policy's propensities: each rep's share within (eligibility class, score quintile).
    let quintile = {
        let rank = crate::scoring::rank(p);
        let n = leads.len();
        move |l: usize| ((rank[l] - 1) * 5 / n.max(1)) as u32
    };
    let cell: Vec<(usize, u32)> = (0..leads.len()).map(|l| (elig.class_id(l), quintile(l))).collect();
    let owner: Vec<Option<usize>> = leads.owner.iter().map(|o| o.as_deref().and_then(|id| reps.find(id))).collect();
    let logged = Logged::new(&cell, &owner, y);
    let contributions = |plan: &Plan| -> Contributions {
        let target: Vec<Option<usize>> = plan.decisions.iter().map(|d| d.rep).collect();
        let (dr_wins, same_rep) = logged.doubly_robust(&target, |l, rep| r.p_win_of.p(l, rep));
        let mut c = Contributions {
            dr_value: (0..leads.len()).map(|l| dr_wins[l] * leads.value[l]).collect(),
            dr_wins,
            model_wins: 0.0,
            model_value: 0.0,
            same_rep,
        };
        for (l, rep) in target.iter().enumerate() {
            let Some(rep) = *rep else { continue };
            let q = r.p_win_of.p(l, rep);
            c.model_wins += q;
            c.model_value += q * leads.value[l];
        }
        c
    };
    let mut parts: Vec<(Replayed, usize, Contributions)> =
        plans.iter().map(|(which, plan)| (*which, plan.assigned(), contributions(plan))).collect();
    // What really happened: the observed outcomes.
    let actual_wins: Vec<f64> = y.iter().map(|&v| if v { 1.0 } else { 0.0 }).collect();
    let actual_value: Vec<f64> = (0..leads.len()).map(|l| actual_wins[l] * leads.value[l]).collect();
    let actual_assigned = leads.owner.iter().filter(|o| o.is_some()).count();
    parts.push((
        Replayed::Actual,
        actual_assigned,
        Contributions {
            model_wins: with.iter().sum(),
            model_value: owned.iter().zip(with).map(|(&l, &pw)| pw * leads.value[l]).sum(),
            dr_wins: actual_wins,
            dr_value: actual_value,
            same_rep: actual_assigned,
        },
    ));

    let columns: Vec<&[f64]> =
        parts.iter().flat_map(|(_, _, c)| [c.dr_wins.as_slice(), c.dr_value.as_slice()]).collect();
    let sums = bootstrap_sums(&columns, s.bootstrap, s.seed);
    let boot: Vec<Vec<(f64, f64)>> =
        sums.iter().map(|b| (0..parts.len()).map(|j| (b[2 * j], b[2 * j + 1])).collect()).collect();
    let policies: Vec<PolicyResult> = parts
        .iter()
        .enumerate()
        .map(|(j, (which, assigned, c))| PolicyResult {
            policy: *which,
            assigned: *assigned,
            same_rep: c.same_rep,
            wins: interval(c.dr_wins.iter().sum(), boot.iter().map(|b| b[j].0).collect()),
            value: interval(c.dr_value.iter().sum(), boot.iter().map(|b| b[j].1).collect()),
            model_wins: c.model_wins,
            model_value: c.model_value,
        })
        .collect();
    // Optimize's uplift over round robin, both of which are always replayed.
    let at = |which: Replayed| parts.iter().position(|p| p.0 == which).expect("replayed");
    let (opt, rr) = (at(Replayed::Optimize), at(Replayed::RoundRobin));
    let uplift = |a: f64, b: f64| if b.abs() > 0.0 { a / b - 1.0 } else { 0.0 };
    let uplift_wins = interval(
        uplift(policies[opt].wins.estimate, policies[rr].wins.estimate),
        boot.iter().map(|b| uplift(b[opt].0, b[rr].0)).collect(),
    );
    let uplift_value = interval(
        uplift(policies[opt].value.estimate, policies[rr].value.estimate),
        boot.iter().map(|b| uplift(b[opt].1, b[rr].1)).collect(),
    );

    Estimates { policies, uplift_wins, uplift_value }
}

/// What the estimates assume, in words for the report.
fn assumptions(info: &SplitInfo, scale: f64, workload: f64, bootstrap: usize) -> Vec<String> {
    vec![
        format!(
            "The model and the rep skill were learned from the {} training rows only; the {} test leads' outcomes were never seen by them.",
            info.train_rows, info.test_closed
        ),
        "Policy figures are doubly robust estimates: the p_win model's prediction for the policy's rep, corrected by \
         the observed outcome wherever the policy picks the rep who really worked the lead, weighted by the inverse \
         of how often that rep got such leads. They are unbiased if either the p_win model or those propensities are right."
            .into(),
        "Propensities are each rep's share of the test leads in the same eligibility class and score quintile: \
         assignment is assumed to depend on nothing else that also drives the outcome (no hidden confounding)."
            .into(),
        "A rep's results are assumed not to depend on how many leads they get (no workload effect) nor on the other leads' reps."
            .into(),
        format!(
            "Capacities are the reps file's, scaled by {scale:.2} so the active reps can take the whole test period's {} workload units; \
             departed reps are not routed to; round robin and least-loaded see the same capacities and rules.",
            crate::fmt::fmt_num(workload)
        ),
        format!(
            "Intervals are 90 % percentile intervals from {} bootstrap resamples of the test leads, with the plans held fixed.",
            bootstrap
        ),
    ]
}

/// The violated gates as one error (exit code 3), if any.
pub fn gate_failure(b: &Backtest) -> Option<GateError> {
    let failed: Vec<String> = b
        .gates
        .iter()
        .filter(|g| !g.passed)
        .map(|g| {
            let (rel, by) =
                if g.at_least { ("below", g.threshold - g.value) } else { ("above", g.value - g.threshold) };
            format!("{} is {:.4}, {by:.4} {rel} its threshold {:.4}", g.gate, g.value, g.threshold)
        })
        .collect();
    (!failed.is_empty()).then(|| GateError(failed.join("; ")))
}

/// What a person reads on the terminal: the headline figures and every gate.
pub fn headline(b: &Backtest) -> String {
    let mut lines = vec![format!(
        "backtest on {} held-out deals: AUC {:.3}, log loss {:.4} (base rate {:.4}); rep skill {} log loss by {:.4} nats per deal",
        b.split.test_closed,
        b.scoring.auc,
        b.scoring.log_loss,
        b.scoring.base_log_loss,
        if b.skill.gain >= 0.0 { "lowers" } else { "raises" },
        b.skill.gain.abs()
    )];
    let cells: Vec<String> = b
        .policies
        .iter()
        .map(|p| format!("{} {:.1} ({:.1} to {:.1})", p.policy, p.wins.estimate, p.wins.low, p.wins.high))
        .collect();
    lines.push(format!("expected wins: {}", cells.join(", ")));
    lines.push(format!(
        "optimize vs round robin: wins {}, value {}",
        b.uplift_wins.pct_interval(),
        b.uplift_value.pct_interval()
    ));
    for g in &b.gates {
        lines.push(format!(
            "gate {}: {:.4} against {:.4}: {}",
            g.gate,
            g.value,
            g.threshold,
            if g.passed { "passed" } else { "FAILED" }
        ));
    }
    lines.join("\n")
}

impl Estimate {
    /// As a signed percentage with its interval: `+12.3 % (+4.0 % to +20.1 %)`.
    fn pct_interval(&self) -> String {
        format!("{} ({} to {})", signed_pct(self.estimate), signed_pct(self.low), signed_pct(self.high))
    }
}

/// Evaluates the gates. Figures compared with a baseline: AUC, skill log loss, and
/// optimize's expected wins and value (each may be worse by `max_regression` of the
/// baseline's figure).
pub fn gates(b: &Backtest, g: &Gates, baseline: Option<&Backtest>) -> Vec<GateResult> {
    let mut out = Vec::new();
    if let Some(min) = g.min_auc {
        out.push(GateResult::new("min-auc", b.scoring.auc, min, true));
    }
    if let Some(min) = g.min_uplift {
        out.push(GateResult::new("min-uplift (optimize's wins over round robin's)", b.uplift_wins.estimate, min, true));
    }
    if let Some(old) = baseline {
        let x = g.max_regression;
        let higher = |name: &str, new: f64, old: f64| {
            GateResult::new(format!("baseline {name}"), new, old - x * old.abs(), true)
        };
        let lower = |name: &str, new: f64, old: f64| {
            GateResult::new(format!("baseline {name}"), new, old + x * old.abs(), false)
        };
        out.push(higher("auc", b.scoring.auc, old.scoring.auc));
        out.push(lower("log loss", b.scoring.log_loss, old.scoring.log_loss));
        out.push(lower("p_win log loss", b.skill.log_loss_with, old.skill.log_loss_with));
        if let (Some(new), Some(prev)) = (b.policy(Replayed::Optimize), old.policy(Replayed::Optimize)) {
            out.push(higher("optimize expected wins", new.wins.estimate, prev.wins.estimate));
            out.push(higher("optimize expected value", new.value.estimate, prev.value.estimate));
        }
    }
    out
}

/// The backtest as a Markdown report.
pub fn markdown(b: &Backtest, run: &crate::report::RunInfo) -> String {
    use crate::fmt::{grouped, thousands};
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(o, "# Backtest\n");
    let sp = &b.split;
    let _ = writeln!(
        o,
        "Trained on {} history rows, tested on the {} later ones ({} closed), cut by {}{}. Objective: {}. Seed {}.\n",
        thousands(sp.train_rows),
        thousands(sp.test_rows),
        thousands(sp.test_closed),
        sp.by,
        sp.test_from.as_ref().map(|d| format!(", test part from {d}")).unwrap_or_default(),
        b.objective,
        b.seed
    );
    if !b.gates.is_empty() {
        let _ = writeln!(o, "## Gates\n\n| gate | value | threshold | result |\n| --- | ---: | ---: | --- |");
        for g in &b.gates {
            let _ = writeln!(
                o,
                "| {} | {:.4} | {:.4} | {} |",
                g.gate,
                g.value,
                g.threshold,
                if g.passed { "passed" } else { "**FAILED**" }
            );
        }
        let _ = writeln!(o);
    }
    crate::report::md_model(&mut o, &b.scoring, b.split.test_closed, &b.skill.spreads);
    let k = &b.skill;
    let _ = writeln!(o, "\n## Rep skill on held-out deals\n");
    if k.enabled {
        let _ = writeln!(
            o,
            "Log loss of p_win on {} deals: {:.4} with the learned rep effects, {:.4} with the lead score alone \
             ({}).\n",
            k.rows,
            k.log_loss_with,
            k.log_loss_without,
            if k.gain >= 0.0 {
                format!("better by {:.4} nats per deal", k.gain)
            } else {
                format!("worse by {:.4} nats per deal", -k.gain)
            }
        );
    } else {
        let _ = writeln!(o, "Skill is switched off in the config (`[skill] enabled = false`).\n");
    }
    let _ = writeln!(o, "## Policies on the held-out leads\n");
    let _ = writeln!(
        o,
        "| policy | assigned | same rep as really | expected wins (90 % interval) | expected won value (90 % interval) | model's own estimate of wins |\n| --- | ---: | ---: | --- | --- | ---: |"
    );
    for p in &b.policies {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} ({} to {}) | {} ({} to {}) | {} |",
            if p.policy == Replayed::Actual { "what really happened".to_string() } else { p.policy.to_string() },
            thousands(p.assigned),
            thousands(p.same_rep),
            grouped(p.wins.estimate, 1),
            grouped(p.wins.low, 1),
            grouped(p.wins.high, 1),
            grouped(p.value.estimate, 0),
            grouped(p.value.low, 0),
            grouped(p.value.high, 0),
            grouped(p.model_wins, 1)
        );
    }
    let _ = writeln!(
        o,
        "\nUplift of optimize over round robin: wins {}, value {}.\n",
        b.uplift_wins.pct_interval(),
        b.uplift_value.pct_interval()
    );
    let _ = writeln!(o, "## Assumptions\n");
    for a in &b.assumptions {
        let _ = writeln!(o, "- {a}");
    }
    crate::report::md_run(&mut o, run);
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A held-out set whose truth is known: lead base log-odds, true rep effects
    /// `[0.5, 0, −0.3, −0.8]`, a skill-blind model (q = sigmoid(base), biased for every rep but
    /// rep 1), and a logging policy that gives rep 0 the better leads and rep 3 the worse,
    /// differently in two eligibility classes. Returns the cells, the reps who worked the
    /// leads, the outcomes, and the true and modelled p_win of every lead × rep.
    #[allow(clippy::type_complexity)]
    fn logged_world(
        seed: u64,
        n: usize,
    ) -> (Vec<(usize, u32)>, Vec<Option<usize>>, Vec<bool>, Vec<[f64; 4]>, Vec<[f64; 4]>) {
        const EFFECT: [f64; 4] = [0.5, 0.0, -0.3, -0.8];
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (mut cell, mut owner, mut y, mut truth, mut model) = (vec![], vec![], vec![], vec![], vec![]);
        for l in 0..n {
            let base = -2.0 + 3.0 * rng.random::<f64>();
            let quintile = (((base + 2.0) / 3.0 * 5.0) as u32).min(4);
            let class = l % 2;
            let q = f64::from(quintile);
            let mut w = [1.0 + q, 2.0, 2.0, 3.0 - 0.5 * q];
            if class == 1 {
                w.swap(1, 3);
            }
            let mut u = rng.random::<f64>() * w.iter().sum::<f64>();
            let rep = (0..4).find(|&r| {
                u -= w[r];
                u < 0.0
            });
            let rep = rep.unwrap_or(3);
            let p: [f64; 4] = std::array::from_fn(|r| sigmoid(base + EFFECT[r]));
            y.push(rng.random::<f64>() < p[rep]);
            cell.push((class, quintile));
            owner.push(Some(rep));
            truth.push(p);
            model.push([sigmoid(base); 4]);
        }
        (cell, owner, y, truth, model)
    }

    /// Target plans: every lead to rep 3, every lead to rep 0, round robin.
    fn targets(n: usize) -> Vec<Vec<Option<usize>>> {
        vec![vec![Some(3); n], vec![Some(0); n], (0..n).map(|l| Some(l % 4)).collect()]
    }

    #[test]
    fn doubly_robust_estimates_are_unbiased_where_the_model_is_not() {
        let (n, worlds) = (4000, 80);
        let mut rel_error = [0.0; 3];
        let mut model_error = [0.0; 3];
        for seed in 0..worlds {
            let (cell, owner, y, truth, model) = logged_world(seed, n);
            let logged = Logged::new(&cell, &owner, &y);
            for (k, target) in targets(n).iter().enumerate() {
                let (dr, same) = logged.doubly_robust(target, |l, r| model[l][r]);
                assert_eq!(same, (0..n).filter(|&l| owner[l] == target[l]).count());
                let truth: f64 = (0..n).map(|l| truth[l][target[l].unwrap()]).sum();
                rel_error[k] += (dr.iter().sum::<f64>() / truth - 1.0) / worlds as f64;
                model_error[k] +=
                    ((0..n).map(|l| model[l][target[l].unwrap()]).sum::<f64>() / truth - 1.0) / worlds as f64;
            }
        }
        // The model alone is far off for the reps it does not know (the test has teeth)...
        assert!(model_error[0] > 0.25 && model_error[1] < -0.1, "model alone: {model_error:?}");
        // ... the doubly robust estimate is not: within 1 % on average over 80 worlds.
        for (k, e) in rel_error.iter().enumerate() {
            assert!(e.abs() < 0.01, "plan {k}: mean relative error {e:+.4} (model alone {:+.4})", model_error[k]);
        }
    }

    #[test]
    fn the_doubly_robust_interval_covers_the_truth_nine_times_in_ten() {
        let (n, worlds) = (2000, 120);
        let mut covered = [0usize; 3];
        for seed in 0..worlds {
            let (cell, owner, y, truth, model) = logged_world(1000 + seed, n);
            let logged = Logged::new(&cell, &owner, &y);
            for (k, target) in targets(n).iter().enumerate() {
                let (dr, _) = logged.doubly_robust(target, |l, r| model[l][r]);
                let sums = bootstrap_sums(&[&dr], 200, seed);
                let e = interval(dr.iter().sum(), sums.iter().map(|s| s[0]).collect());
                let truth: f64 = (0..n).map(|l| truth[l][target[l].unwrap()]).sum();
                covered[k] += usize::from(e.low <= truth && truth <= e.high);
            }
        }
        // 90 % intervals: 108 of 120 expected; fewer than 96 (80 %) means they are too narrow.
        for (k, c) in covered.iter().enumerate() {
            assert!(*c >= 96, "plan {k}: the 90 % interval covered the truth in {c} of {worlds} worlds");
        }
    }

    #[test]
    fn interval_brackets_the_replicates() {
        let e = interval(5.0, (0..=100).map(f64::from).collect());
        assert_eq!((e.low, e.high), (5.0, 95.0));
        let empty = interval(3.0, vec![f64::NAN]);
        assert_eq!((empty.low, empty.high), (3.0, 3.0));
    }
}
