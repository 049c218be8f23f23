//! The lead-scoring model: training from history, the versioned model file, and scoring.
//!
//! Training reads won/lost outcomes (open deals are counted, not learned from), holds out
//! the most recent share of history (by `created_at`; a seeded random share without it),
//! learns the feature schema on the rest, boosts smartcore trees with early stopping on the
//! held-out rows, calibrates with Platt scaling on them, and reports AUC, log loss, a
//! calibration table and top-decile lift there.

pub mod boost;
pub mod metrics;
pub mod monitor;
pub mod report;
pub mod tree;

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use boost::Params;
use metrics::{HeldOutQuality, sigmoid};
use tree::Tree;

use crate::config::{Config, Label};
use crate::data::{Resolver, TimeOrder, find_column, time_order};
use crate::error::InputError;
use crate::features::{Binned, Kind, Schema};
use crate::io::Table;
use crate::progress::Progress;

/// The model file's format name and version; a file of another version is refused.
pub const FORMAT: &str = "leadroute-model";
pub const VERSION: u32 = 1;
/// Fewest won and fewest lost deals the history must have.
pub const MIN_PER_CLASS: usize = 40;

/// Held-out quality of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// "time" (most recent rows held out) or "random".
    pub split: String,
    pub train_rows: usize,
    pub valid_rows: usize,
    #[serde(flatten)]
    pub quality: HeldOutQuality,
    pub rounds: usize,
    pub depth: u16,
}

/// A model's trees packed for scoring one row at a time, as a stream of leads needs: the
/// packing [`Model::raw`] does per call is done once.
pub struct RowScorer {
    trees: Vec<tree::PackedTree>,
    base: f64,
    learning_rate: f64,
    calibration: [f64; 2],
}

impl RowScorer {
    /// Calibrated log-odds of winning of one binned row (the same as [`Model::logit`]).
    pub fn logit(&self, row: &[u8]) -> f64 {
        let mut sum = [0.0];
        for t in &self.trees {
            t.add_to(row, row.len(), &mut sum);
        }
        let [a, b] = self.calibration;
        a * (self.base + self.learning_rate * sum[0]) + b
    }
}

/// Counts of the history's outcomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcomes {
    pub won: usize,
    pub lost: usize,
    pub open: usize,
}

/// A trained model, as stored in the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub format: String,
    pub version: u32,
    pub trained_at: String,
    pub data_sha256: String,
    pub outcomes: Outcomes,
    pub params: Params,
    pub metrics: Metrics,
    pub schema: Schema,
    /// Platt scaling of the raw log-odds: p = sigmoid(a · raw + b).
    pub calibration: [f64; 2],
    pub base: f64,
    pub learning_rate: f64,
    pub trees: Vec<Tree>,
    /// Every training run behind this model, oldest first; the last one is this file's
    /// (stored as `history`).
    #[serde(default, rename = "history")]
    pub runs: Vec<TrainingRun>,
    /// Per feature, the share of training rows in each bin (for the drift check).
    #[serde(default)]
    pub train_distribution: Vec<Vec<f64>>,
}

/// One training run of a model: its data and its held-out quality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingRun {
    pub trained_at: String,
    pub data_sha256: String,
    pub won: usize,
    pub lost: usize,
    /// Trees the run added (all of them for a fresh model).
    pub new_trees: usize,
    pub auc: f64,
    pub log_loss: f64,
    pub top_decile_lift: f64,
}

/// Share of rows in each bin, per feature.
pub fn bin_distribution(x: &Binned) -> Vec<Vec<f64>> {
    let mut counts: Vec<Vec<f64>> = vec![Vec::new(); x.n_features];
    for r in 0..x.n_rows {
        for (f, &b) in x.row(r).iter().enumerate() {
            let c = &mut counts[f];
            if c.len() <= b as usize {
                c.resize(b as usize + 1, 0.0);
            }
            c[b as usize] += 1.0;
        }
    }
    let n = x.n_rows.max(1) as f64;
    counts.into_iter().map(|c| c.into_iter().map(|k| k / n).collect()).collect()
}

/// Population stability index of `actual` against `expected` bin shares. Neighbouring bins
/// are first merged into groups of at least 5 % of the training rows (the usual ten-to-twenty
/// groups: with fine bins, a small batch's sampling noise alone would read as drift); bins
/// the training never saw join the last group; shares are floored at 10⁻⁴.
pub fn psi(expected: &[f64], actual: &[f64]) -> f64 {
    let k = expected.len().max(actual.len());
    let mut group = vec![0usize; k];
    let (mut g, mut mass) = (0usize, 0.0);
    for (i, slot) in group.iter_mut().enumerate() {
        *slot = g;
        mass += expected.get(i).copied().unwrap_or(0.0);
        if mass >= 0.05 {
            g += 1;
            mass = 0.0;
        }
    }
    // A short tail joins the group before it.
    let groups = if mass > 0.0 || g == 0 { g + 1 } else { g };
    let last = groups - 1;
    let (mut e, mut a) = (vec![0.0; groups], vec![0.0; groups]);
    for (i, &g) in group.iter().enumerate().take(k) {
        let gi = g.min(last);
        e[gi] += expected.get(i).copied().unwrap_or(0.0);
        a[gi] += actual.get(i).copied().unwrap_or(0.0);
    }
    if groups > 1 && e[last] < 0.05 {
        e[last - 1] += e[last];
        a[last - 1] += a[last];
        e.pop();
        a.pop();
    }
    e.iter()
        .zip(&a)
        .map(|(&e, &a)| {
            let (e, a) = (e.max(1e-4), a.max(1e-4));
            (a - e) * (a / e).ln()
        })
        .sum()
}

/// Per-feature contributions to calibrated log-odds, over packed trees.
pub struct Explainer {
    /// The trees with their scaled changes of value.
    scaled: Vec<tree::AttributionTree>,
    base: f64,
    learning_rate: f64,
    calibration: [f64; 2],
    n_features: usize,
}

impl Explainer {
    /// Each feature's contribution to one row's calibrated log-odds.
    pub fn contributions(&self, row: &[u8]) -> Vec<f64> {
        self.contributions_many(row).0
    }

    /// [`Explainer::contributions`] of consecutive rows (row-major bins), `n_features`
    /// entries per row, and each row's calibrated probability — the same as
    /// [`Model::predict`] gives, from the same walk down the trees.
    pub fn contributions_many(&self, bins: &[u8]) -> (Vec<f64>, Vec<f64>) {
        let mut c = vec![0.0; bins.len()];
        let mut sum = vec![0.0; bins.len() / self.n_features.max(1)];
        for t in &self.scaled {
            t.attribute_many(bins, self.n_features, &mut c, &mut sum);
        }
        let [a, b] = self.calibration;
        let p = sum.into_iter().map(|s| sigmoid(a * (self.base + self.learning_rate * s) + b)).collect();
        (c, p)
    }
}

/// A trained model and what a person should hear about its training.
pub struct Trained {
    pub model: Model,
    pub warnings: Vec<String>,
}

/// Labels of a history: `Some(true)` won, `Some(false)` lost, `None` open.
pub fn labels(table: &Table, cfg: &Config) -> Result<Vec<Option<bool>>> {
    let col = Resolver::new(table, cfg, "history").required("outcome")?;
    Ok((0..table.len())
        .map(|r| match cfg.outcome.label(table.cell(r, col)) {
            Label::Won => Some(true),
            Label::Lost => Some(false),
            Label::Open => None,
        })
        .collect())
}

/// Now, as `2026-12-03T02:50:00Z`, or the time `SOURCE_DATE_EPOCH` names (reproducible runs).
pub fn timestamp() -> String {
    let from_env = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.trim().parse::<i64>().ok());
    let t = match from_env.and_then(|s| chrono::DateTime::from_timestamp(s, 0)) {
        Some(t) => t,
        None => chrono::Utc::now(),
    };
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Trains a model on a history table. `data_sha256` identifies the training data.
pub fn train(
    table: &Table,
    cfg: &Config,
    params: &Params,
    data_sha256: String,
    progress: &Progress,
) -> Result<Trained> {
    train_on(table, cfg, params, data_sha256, progress, labels(table, cfg)?)
}

/// Trains on the rows whose label is given (`None` rows are left out, like open deals).
pub fn train_on(
    table: &Table,
    cfg: &Config,
    params: &Params,
    data_sha256: String,
    progress: &Progress,
    labels: Vec<Option<bool>>,
) -> Result<Trained> {
    train_continuing(table, cfg, params, data_sha256, progress, labels, None)
}

/// [`train_on`], optionally continuing an earlier model: its feature schema, tree depth and
/// learning rate are kept, new trees are boosted on top of its scores from the new outcomes,
/// calibration and metrics are redone on the new hold-out, and its list of training runs grows
/// by this run.
pub fn train_continuing(
    table: &Table,
    cfg: &Config,
    params: &Params,
    data_sha256: String,
    progress: &Progress,
    labels: Vec<Option<bool>>,
    from: Option<&Model>,
) -> Result<Trained> {
    params.check()?;
    let outcomes = check_outcomes(table, cfg, &labels)?;
    let Outcomes { won, lost, .. } = outcomes;
    // Open deals are normal in a history (the train report counts them): no warning.
    let mut warnings = Vec::new();

    let (train_rows, valid_rows, split) = split_rows(table, cfg, &labels, params)?;
    let y: Vec<bool> = train_rows.iter().map(|&r| labels[r].unwrap_or(false)).collect();
    let yv: Vec<bool> = valid_rows.iter().map(|&r| labels[r].unwrap_or(false)).collect();
    if yv.iter().all(|&v| v) || yv.iter().all(|&v| !v) {
        return Err(InputError::file(
            table.path(),
            "the held-out (most recent) part of the history has only one outcome class; more history is needed",
        )
        .into());
    }
    let schema = match from {
        Some(old) => old.schema.clone(),
        None => Schema::infer(table, cfg, &train_rows, &y)?,
    };
    if schema.features.is_empty() {
        return Err(InputError::file(
            table.path(),
            "no usable feature columns: every column is excluded, empty, constant or id-like",
        )
        .into());
    }
    let (xt, missing) = schema.bin_rows(table, cfg, &train_rows)?;
    let (xv, _) = schema.bin_rows(table, cfg, &valid_rows)?;
    if from.is_some() {
        let needed = schema.features.iter().map(|f| f.column.as_str()).collect::<std::collections::HashSet<_>>().len();
        if missing.len() * 2 > needed {
            return Err(InputError::at(
                table.path(),
                Some(1),
                format!(
                    "this history does not fit the model it continues ({} of its {needed} columns are missing: {}); \
                     train a fresh model instead of continuing this one",
                    missing.len(),
                    missing.join(", ")
                ),
            )
            .into());
        }
    }
    warnings.extend(leakage_warnings(table, cfg, &schema, &labels, &xt, &y));

    // Continuing: the old model's depth and learning rate, starting from its raw scores.
    let (params, start) = match from {
        Some(old) => {
            let p = Params { depths: vec![old.metrics.depth], learning_rate: old.learning_rate, ..params.clone() };
            let start = boost::Start { base: old.base, train: old.raw(&xt), valid: old.raw(&xv) };
            (p, Some(start))
        }
        None => (params.clone(), None),
    };
    let params = &params;
    let bar = progress.bar((params.max_rounds * params.depths.len()) as u64, "training");
    let ens = boost::fit_from(params, &xt, &y, &xv, &yv, &bar, start.as_ref())?;
    bar.finish();
    let new_trees = ens.trees.len();
    let trees: Vec<Tree> = match from {
        Some(old) => old.trees.iter().cloned().chain(ens.trees).collect(),
        None => ens.trees,
    };

    let (a, b) = metrics::fit_platt(&ens.valid_raw, &yv);
    let pv: Vec<f64> = ens.valid_raw.iter().map(|&z| sigmoid(a * z + b)).collect();
    let rate = y.iter().filter(|&&v| v).count() as f64 / y.len() as f64;
    let metrics = Metrics {
        split: split.to_string(),
        train_rows: train_rows.len(),
        valid_rows: valid_rows.len(),
        quality: HeldOutQuality::of(&pv, &yv, rate),
        rounds: trees.len(),
        depth: ens.depth,
    };
    let when = timestamp();
    let mut runs = from.map(|old| old.runs.clone()).unwrap_or_default();
    runs.push(TrainingRun {
        trained_at: when.clone(),
        data_sha256: data_sha256.clone(),
        won,
        lost,
        new_trees,
        auc: metrics.quality.auc,
        log_loss: metrics.quality.log_loss,
        top_decile_lift: metrics.quality.top_decile_lift,
    });
    let model = Model {
        format: FORMAT.into(),
        version: VERSION,
        trained_at: when,
        data_sha256,
        outcomes,
        params: params.clone(),
        metrics,
        schema,
        calibration: [a, b],
        base: ens.base,
        learning_rate: ens.learning_rate,
        trees,
        runs,
        train_distribution: bin_distribution(&xt),
    };
    Ok(Trained { model, warnings })
}

/// The history's outcome counts, or why a model cannot learn from them: no deals, one
/// class only, or fewer than [`MIN_PER_CLASS`] of a class.
fn check_outcomes(table: &Table, cfg: &Config, labels: &[Option<bool>]) -> Result<Outcomes> {
    let won = labels.iter().filter(|l| **l == Some(true)).count();
    let lost = labels.iter().filter(|l| **l == Some(false)).count();
    let open = labels.len() - won - lost;
    if labels.is_empty() {
        return Err(InputError::file(
            table.path(),
            "the history has no deals, only a header; expected past leads with their outcomes",
        )
        .into());
    }
    if won == 0 || lost == 0 {
        return Err(InputError::file(
            table.path(),
            format!(
                "the history has only one class ({won} won, {lost} lost, {open} open): a model needs both won and lost deals; \
                 check the [outcome] won/lost values in the config ({:?} / {:?})",
                cfg.outcome.won, cfg.outcome.lost
            ),
        )
        .into());
    }
    if won < MIN_PER_CLASS || lost < MIN_PER_CLASS {
        return Err(InputError::file(
            table.path(),
            format!(
                "the history is too thin to learn from: {won} won and {lost} lost deals; at least {MIN_PER_CLASS} of each are needed"
            ),
        )
        .into());
    }
    Ok(Outcomes { won, lost, open })
}

/// Labelled rows split into training and held-out rows.
fn split_rows(
    table: &Table,
    cfg: &Config,
    labels: &[Option<bool>],
    params: &Params,
) -> Result<(Vec<usize>, Vec<usize>, &'static str)> {
    let labelled: Vec<usize> = (0..labels.len()).filter(|&r| labels[r].is_some()).collect();
    let n_valid = ((labelled.len() as f64 * params.valid_fraction).round() as usize).clamp(1, labelled.len() - 1);
    let TimeOrder { order, by_time, .. } = time_order(table, cfg, &labelled)?;
    if by_time {
        let cut = labelled.len() - n_valid;
        let mut train: Vec<usize> = order[..cut].iter().map(|&i| labelled[i]).collect();
        let mut valid: Vec<usize> = order[cut..].iter().map(|&i| labelled[i]).collect();
        train.sort_unstable();
        valid.sort_unstable();
        Ok((train, valid, "time"))
    } else {
        let mut shuffled = labelled.clone();
        shuffled.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(params.seed));
        let mut valid: Vec<usize> = shuffled[..n_valid].to_vec();
        let mut train: Vec<usize> = shuffled[n_valid..].to_vec();
        train.sort_unstable();
        valid.sort_unstable();
        Ok((train, valid, "random"))
    }
}

/// Columns filled almost only on closed deals, and single features that alone separate won
/// from lost almost perfectly, are likely to leak the outcome.
fn leakage_warnings(
    table: &Table,
    cfg: &Config,
    schema: &Schema,
    labels: &[Option<bool>],
    xt: &Binned,
    y: &[bool],
) -> Vec<String> {
    let mut out = Vec::new();
    let open: Vec<usize> = (0..labels.len()).filter(|&r| labels[r].is_none()).collect();
    let closed: Vec<usize> = (0..labels.len()).filter(|&r| labels[r].is_some()).collect();
    let bookkeeping: Vec<Option<usize>> = ["lead_id", "rep_id", "outcome", "closed_at", "workload", "created_at"]
        .iter()
        .map(|name| find_column(table, cfg, name))
        .collect();
    for (col, header) in table.headers().iter().enumerate() {
        let excluded = cfg.features.exclude.iter().any(|e| e.trim().eq_ignore_ascii_case(header));
        if open.len() < 10 || bookkeeping.contains(&Some(col)) || excluded || header.is_empty() {
            continue;
        }
        let filled = |rows: &[usize]| {
            rows.iter().filter(|&&r| !table.cell(r, col).trim().is_empty()).count() as f64 / rows.len() as f64
        };
        let (fc, fo) = (filled(&closed), filled(&open));
        if fc >= 0.5 && fo <= 0.05 {
            out.push(format!(
                "likely leakage: column {:?} is filled on {:.0} % of closed deals but {:.0} % of open ones; \
                 if it is only known after the outcome, add it to [features] exclude",
                header,
                fc * 100.0,
                fo * 100.0
            ));
        }
    }
    for (f, feat) in schema.features.iter().enumerate() {
        let score: Vec<f64> = (0..xt.n_rows).map(|r| xt.row(r)[f] as f64).collect();
        if let Some(a) = metrics::auc(&score, y) {
            let a = a.max(1.0 - a);
            if a > 0.98 {
                out.push(format!(
                    "likely leakage: feature {:?} alone separates won from lost (AUC {a:.3}); \
                     if it is only known after the outcome, add its column to [features] exclude",
                    feat.name
                ));
            }
        }
    }
    out
}

/// SHA-256 of a file's bytes, in hex.
pub fn file_sha256(path: &Path) -> Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    // In blocks: a large batch is hashed without holding it in memory.
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

impl Model {
    /// Reads a model file's JSON, refusing other formats and versions; `path` is for
    /// messages. The caller deserializes it (the scorer alone, or the whole file).
    pub fn read_checked(path: &Path) -> Result<serde_json::Value> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read the model file {}", path.display()))?;
        let head: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            InputError::at(path, Some(e.line() as u64), format!("not a leadroute model file (invalid JSON: {e})"))
        })?;
        if head.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(
                InputError::file(path, "not a leadroute model file (no \"format\": \"leadroute-model\")").into()
            );
        }
        let version = head.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if version != VERSION as u64 {
            return Err(InputError::file(
                path,
                format!("model format version {version}; this leadroute reads version {VERSION}: retrain with `leadroute train`"),
            )
            .into());
        }
        Ok(head)
    }

    /// Checks what JSON cannot: tree arrays that fit together, finite parameters.
    pub fn validate(&self) -> Result<()> {
        let nf = self.schema.features.len();
        for (i, t) in self.trees.iter().enumerate() {
            let k = t.nodes();
            if k == 0 || [t.feature.len(), t.threshold.len(), t.left.len(), t.right.len()].iter().any(|&l| l != k) {
                return Err(anyhow!("tree {i} has arrays of different lengths"));
            }
            for n in 0..k {
                let (l, r) = (t.left[n] as usize, t.right[n] as usize);
                if l != 0 && (l <= n || r <= n || l >= k || r >= k || t.feature[n] as usize >= nf) {
                    return Err(anyhow!("tree {i} node {n} points outside the tree"));
                }
            }
        }
        if !self.calibration.iter().all(|c| c.is_finite()) || !self.base.is_finite() {
            return Err(anyhow!("non-finite parameters"));
        }
        Ok(())
    }

    /// Days since the model was trained, against `SOURCE_DATE_EPOCH` or the clock.
    pub fn age_days(&self) -> Option<f64> {
        let trained = chrono::NaiveDateTime::parse_from_str(&self.trained_at, "%Y-%m-%dT%H:%M:%SZ").ok()?;
        let now = chrono::NaiveDateTime::parse_from_str(&timestamp(), "%Y-%m-%dT%H:%M:%SZ").ok()?;
        Some((now - trained).num_seconds() as f64 / 86_400.0)
    }

    /// Features whose distribution in `x` has moved away from training: (feature, PSI),
    /// largest first, those above `max_psi` only. Weekday and hour of arrival are left out:
    /// a day's batch always arrives on one weekday, which is not drift.
    pub fn drift(&self, x: &Binned, max_psi: f64) -> Vec<(String, f64)> {
        if self.train_distribution.len() != self.schema.features.len() {
            return Vec::new();
        }
        let now = bin_distribution(x);
        let mut out: Vec<(String, f64)> = self
            .schema
            .features
            .iter()
            .zip(&self.train_distribution)
            .zip(&now)
            .filter(|((f, _), _)| !matches!(f.kind, crate::features::Kind::Weekday | crate::features::Kind::Hour))
            .map(|((f, e), a)| (f.name.clone(), psi(e, a)))
            .filter(|(_, v)| *v > max_psi)
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// Raw (uncalibrated) log-odds of every row.
    pub fn raw(&self, x: &Binned) -> Vec<f64> {
        boost::predict_raw(self.base, self.learning_rate, &self.trees, x)
    }

    /// The trees packed once, for scoring rows one at a time ([`RowScorer::logit`]).
    pub fn row_scorer(&self) -> RowScorer {
        RowScorer {
            trees: self.trees.iter().map(tree::Tree::packed).collect(),
            base: self.base,
            learning_rate: self.learning_rate,
            calibration: self.calibration,
        }
    }

    /// Calibrated log-odds of winning for every row.
    pub fn logit(&self, x: &Binned) -> Vec<f64> {
        let [a, b] = self.calibration;
        self.raw(x).into_iter().map(|z| a * z + b).collect()
    }

    /// Calibrated probability of winning for every row.
    pub fn predict(&self, x: &Binned) -> Vec<f64> {
        let [a, b] = self.calibration;
        self.raw(x).into_par_iter().map(|z| sigmoid(a * z + b)).collect()
    }

    /// An explainer of this model's scores, built once per batch.
    pub fn explainer(&self) -> Explainer {
        let scale = self.calibration[0] * self.learning_rate;
        Explainer {
            scaled: self.trees.iter().map(|t| t.packed().for_attribution(scale)).collect(),
            base: self.base,
            learning_rate: self.learning_rate,
            calibration: self.calibration,
            n_features: self.schema.features.len(),
        }
    }

    /// Bins a lead table for this model; columns the model needs but the table lacks are
    /// treated as missing (returned for a warning), unless most of them are absent.
    pub fn bin_leads(&self, table: &Table, cfg: &Config) -> Result<(Binned, Vec<String>)> {
        let (x, missing) = self.schema.bin(table, cfg)?;
        let needed: std::collections::HashSet<&str> = self.schema.features.iter().map(|f| f.column.as_str()).collect();
        if !needed.is_empty() && missing.len() * 2 > needed.len() {
            return Err(InputError::at(
                table.path(),
                Some(1),
                format!(
                    "these leads do not fit the model: {} of its {} columns are missing ({}); was it trained on another CRM's export?",
                    missing.len(),
                    needed.len(),
                    missing.join(", ")
                ),
            )
            .into());
        }
        let mut warnings: Vec<String> = missing
            .iter()
            .map(|c| {
                format!("{}: column {c:?} used by the model is missing; treated as missing", table.path().display())
            })
            .collect();
        // A cell of a numeric feature that is not a number is scored as missing: say so.
        let nf = x.n_features;
        for (f, feat) in self.schema.features.iter().enumerate() {
            let (Kind::Numeric { .. }, Some(col)) = (&feat.kind, table.column(&feat.column)) else { continue };
            let bad: Vec<usize> =
                (0..x.n_rows).filter(|&r| x.bins[r * nf + f] == 0 && !table.cell(r, col).trim().is_empty()).collect();
            if let Some(&first) = bad.first() {
                warnings.push(format!(
                    "{}: {} cells of {:?} are not numbers (e.g. line {}: {:?}); scored as missing",
                    table.path().display(),
                    bad.len(),
                    feat.column,
                    table.line(first).unwrap_or(0),
                    table.cell(first, col).trim()
                ));
            }
        }
        Ok((x, warnings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psi_is_zero_for_the_same_population_and_large_for_a_shift() {
        let even = vec![0.1; 10];
        assert!(psi(&even, &even).abs() < 1e-12);
        let mut shifted = vec![0.0; 10];
        shifted[9] = 1.0;
        assert!(psi(&even, &shifted) > 1.0);
        // Fine bins are grouped: one sparse bin emptying into its neighbour is not drift.
        let fine = vec![0.01; 100];
        let mut moved = fine.clone();
        moved[3] = 0.0;
        moved[4] = 0.02;
        assert!(psi(&fine, &moved) < 0.01, "{}", psi(&fine, &moved));
        // A bin training never saw still counts.
        let mut new_bin = even.clone();
        new_bin[0] = 0.0;
        new_bin.push(0.1);
        assert!(psi(&even, &new_bin) > 0.0);
    }
}
