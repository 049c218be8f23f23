//! Logistic-loss gradient boosting on smartcore regression trees.
//!
//! Each round is one Newton step: with p = sigmoid(F), a tree is fitted to the working
//! response z = (y − p)/(p(1 − p)) with weights p(1 − p) on a seeded subsample of rows and
//! columns; its node values are then re-estimated on that sample as G/(H + λ) (the
//! regularised Newton step), and F moves by `learning_rate ×` the tree. Training stops when
//! the validation log loss has not improved for `patience` rounds and keeps the best round.
//! Candidate depths are trained in parallel and the best on validation is kept.

use anyhow::Result;
use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use smartcore::linalg::basic::matrix::DenseMatrix;

use super::metrics::sigmoid;
use super::tree::{PackedTree, Tree};
use crate::error::UsageError;
use crate::features::Binned;
use crate::progress::Bar;

/// Hyperparameters, checked by [`Params::check`] before any fitting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    pub learning_rate: f64,
    /// Split levels per tree; each candidate is trained and the best kept.
    pub depths: Vec<u16>,
    pub min_leaf: usize,
    /// Share of rows each tree is fitted on …
    pub subsample: f64,
    /// … but at most this many: smartcore sorts every column of its sample for each tree,
    /// so the sample size sets the training time.
    pub max_tree_rows: usize,
    /// Share of features each tree may split on.
    pub colsample: f64,
    /// L2 penalty on node values (in Hessian units).
    pub lambda: f64,
    pub max_rounds: usize,
    /// Rounds without validation improvement before stopping.
    pub patience: usize,
    /// Share of labelled history held out for early stopping, calibration and metrics.
    pub valid_fraction: f64,
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            learning_rate: 0.05,
            depths: vec![3, 5],
            min_leaf: 20,
            subsample: 0.7,
            max_tree_rows: 20_000,
            colsample: 0.8,
            lambda: 1.0,
            max_rounds: 800,
            patience: 60,
            valid_fraction: 0.2,
            seed: 42,
        }
    }
}

impl Params {
    /// Every setting in its range; an error here is the caller's misuse (exit code 2), as
    /// the command line checks each flag before it gets here.
    pub fn check(&self) -> std::result::Result<(), UsageError> {
        let bad = |msg: String| Err(UsageError(msg));
        if !(self.learning_rate > 0.0 && self.learning_rate <= 1.0) {
            return bad(format!("learning rate must be in (0, 1], got {}", self.learning_rate));
        }
        if self.depths.is_empty() || self.depths.iter().any(|&d| d == 0 || d > 12) {
            return bad(format!("tree depth must be between 1 and 12, got {:?}", self.depths));
        }
        let share = |x: f64| x > 0.0 && x <= 1.0;
        if !share(self.subsample) || !share(self.colsample) {
            return bad(format!(
                "subsample and colsample must be in (0, 1], got {} and {}",
                self.subsample, self.colsample
            ));
        }
        if !(self.valid_fraction > 0.0 && self.valid_fraction < 0.9) {
            return bad(format!("validation fraction must be in (0, 0.9), got {}", self.valid_fraction));
        }
        if self.max_rounds == 0
            || self.min_leaf == 0
            || self.max_tree_rows == 0
            || !self.lambda.is_finite()
            || self.lambda < 0.0
        {
            return bad("rounds and minimum leaf size must be positive, lambda ≥ 0".into());
        }
        Ok(())
    }
}

/// A fitted ensemble, before calibration.
#[derive(Debug, Clone)]
pub struct Ensemble {
    pub base: f64,
    pub learning_rate: f64,
    pub depth: u16,
    pub trees: Vec<Tree>,
    pub valid_raw: Vec<f64>,
    pub valid_log_loss: f64,
}

/// Raw log-odds of each row: blocks of rows in parallel, each block run through one tree
/// after another so a tree's nodes stay in cache.
pub fn predict_raw(base: f64, learning_rate: f64, trees: &[Tree], x: &Binned) -> Vec<f64> {
    const BLOCK: usize = 1024;
    let packed: Vec<PackedTree> = trees.iter().map(Tree::packed).collect();
    let nf = x.n_features;
    let mut sum = vec![0.0; x.n_rows];
    sum.par_chunks_mut(BLOCK).enumerate().for_each(|(b, chunk)| {
        let first = b * BLOCK;
        let bins = &x.bins[first * nf..(first + chunk.len()) * nf];
        for t in &packed {
            t.add_to(bins, nf, chunk);
        }
    });
    sum.into_iter().map(|s| base + learning_rate * s).collect()
}

fn log_loss_raw(f: &[f64], y: &[bool]) -> f64 {
    let total: f64 = f.iter().zip(y).map(|(&f, &y)| if y { softplus(-f) } else { softplus(f) }).sum();
    total / f.len().max(1) as f64
}

fn softplus(x: f64) -> f64 {
    if x > 30.0 { x } else { x.exp().ln_1p() }
}

/// Where boosting starts: a constant log-odds (a new model), or an earlier model's raw
/// log-odds on every row (continued training).
#[derive(Debug, Clone)]
pub struct Start {
    pub base: f64,
    pub train: Vec<f64>,
    pub valid: Vec<f64>,
}

/// Trains every candidate depth (in parallel) and returns the best on validation. With
/// `start`, an earlier model's log-odds, new trees are fitted to what it gets wrong, and
/// training stops as soon as they stop helping on validation (so zero new trees is a
/// possible answer).
pub fn fit_from(
    params: &Params,
    train: &Binned,
    y: &[bool],
    valid: &Binned,
    yv: &[bool],
    bar: &Bar,
    start: Option<&Start>,
) -> Result<Ensemble> {
    params.check()?;
    let results: Vec<Result<Ensemble>> =
        params.depths.par_iter().map(|&depth| fit_depth(params, depth, train, y, valid, yv, bar, start)).collect();
    let mut best: Option<Ensemble> = None;
    for r in results {
        let e = r?;
        if best.as_ref().is_none_or(|b| e.valid_log_loss < b.valid_log_loss) {
            best = Some(e);
        }
    }
    best.ok_or_else(|| anyhow::anyhow!("no candidate model"))
}

#[allow(clippy::too_many_arguments)]
fn fit_depth(
    params: &Params,
    depth: u16,
    train: &Binned,
    y: &[bool],
    valid: &Binned,
    yv: &[bool],
    bar: &Bar,
    start: Option<&Start>,
) -> Result<Ensemble> {
    let n = train.n_rows;
    let nf = train.n_features;
    let lr = params.learning_rate;
    let (base, mut f_train, mut f_valid) = match start {
        Some(s) => (s.base, s.train.clone(), s.valid.clone()),
        None => {
            let pos = y.iter().filter(|&&v| v).count() as f64;
            let prior = (pos + 0.5) / (n as f64 + 1.0);
            let base = (prior / (1.0 - prior)).ln();
            (base, vec![base; n], vec![base; valid.n_rows])
        }
    };
    let mut trees: Vec<Tree> = Vec::new();
    let mut best = (log_loss_raw(&f_valid, yv), 0usize, f_valid.clone());
    let n_sub = ((n as f64 * params.subsample).round() as usize).min(params.max_tree_rows).clamp(1, n);
    let n_cols = ((nf as f64 * params.colsample).round() as usize).clamp(1, nf.max(1));
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed ^ (depth as u64).wrapping_mul(0x9E37_79B9));

    let mut rounds_run = 0;
    for round in 0..params.max_rounds {
        rounds_run = round + 1;
        let mut rows: Vec<usize> = sample(&mut rng, n, n_sub).into_vec();
        rows.sort_unstable();
        let mut cols: Vec<usize> = sample(&mut rng, nf, n_cols).into_vec();
        cols.sort_unstable();
        let mut z = Vec::with_capacity(n_sub);
        let mut w = Vec::with_capacity(n_sub);
        let mut g = Vec::with_capacity(n_sub);
        let mut values = Vec::with_capacity(n_sub * cols.len());
        for &r in &rows {
            let p = sigmoid(f_train[r]);
            let h = (p * (1.0 - p)).max(1e-6);
            let grad = if y[r] { 1.0 } else { 0.0 } - p;
            g.push(grad);
            w.push(h);
            z.push(grad / h);
            let row = train.row(r);
            values.extend(cols.iter().map(|&c| row[c] as f64));
        }
        let x = DenseMatrix::new(rows.len(), cols.len(), values, false)
            .map_err(|e| anyhow::anyhow!("building the training matrix: {e}"))?;
        let mut tree = Tree::fit(&x, &z, &w, depth, params.min_leaf)?;
        for f in tree.feature.iter_mut() {
            *f = cols[*f as usize] as u16;
        }
        refit_values(&mut tree, train, &rows, &g, &w, params.lambda);

        f_train.par_iter_mut().enumerate().with_min_len(4096).for_each(|(r, f)| *f += lr * tree.predict(train.row(r)));
        f_valid.par_iter_mut().enumerate().with_min_len(4096).for_each(|(r, f)| *f += lr * tree.predict(valid.row(r)));
        trees.push(tree);
        bar.inc(1);
        let loss = log_loss_raw(&f_valid, yv);
        if loss < best.0 - 1e-7 {
            best = (loss, round + 1, f_valid.clone());
        } else if round + 1 - best.1 >= params.patience {
            break;
        }
    }
    // Stopping early is success, not an abort: the bar is completed and says so.
    if rounds_run < params.max_rounds {
        bar.skip((params.max_rounds - rounds_run) as u64, "trained (stopped early: held-out loss no longer improved)");
    }
    trees.truncate(best.1);
    Ok(Ensemble { base, learning_rate: lr, depth, trees, valid_raw: best.2, valid_log_loss: best.0 })
}

/// Re-estimates every node's value as the regularised Newton step G/(H + λ) over the rows
/// that reach it, so leaves are proper logistic steps and inner nodes their parents' means.
fn refit_values(tree: &mut Tree, x: &Binned, rows: &[usize], g: &[f64], h: &[f64], lambda: f64) {
    let k = tree.nodes();
    let mut gs = vec![0.0; k];
    let mut hs = vec![0.0; k];
    for (i, &r) in rows.iter().enumerate() {
        let row = x.row(r);
        let mut node = 0usize;
        loop {
            gs[node] += g[i];
            hs[node] += h[i];
            let l = tree.left[node];
            if l == 0 {
                break;
            }
            node = if row[tree.feature[node] as usize] <= tree.threshold[node] {
                l as usize
            } else {
                tree.right[node] as usize
            };
        }
    }
    for node in 0..k {
        tree.value[node] = (gs[node] / (hs[node] + lambda)).clamp(-8.0, 8.0);
    }
}
