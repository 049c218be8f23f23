//! Scoring a batch, and from model probabilities to what people read: priority rank, tier
//! and top factors.

use std::fmt::Write;
use std::path::Path;

use anyhow::Result;
use rayon::prelude::*;

use crate::batch::Batch;
use crate::config::Config;
use crate::features::Binned;
use crate::io::Table;
use crate::model::metrics::sigmoid;
use crate::model::{self, Explainer, Model, Params};
use crate::modelfile::ModelFile;
use crate::progress::Progress;
use crate::skill::Skill;

/// A batch's lead scores, when there is a model to give them.
#[derive(Debug, Default)]
pub struct Scored {
    pub model: Option<Model>,
    /// The leads' features, binned as the model reads them.
    pub binned: Option<Binned>,
    /// Log-odds and probability to convert of every lead.
    pub logits: Option<Vec<f64>>,
    pub scores: Option<Vec<f64>>,
    /// The rep skill the model file holds, if it was read from one that does.
    pub stored_skill: Option<Skill>,
    /// The speed-to-lead decay the model file holds, likewise.
    pub stored_decay: Option<crate::timing::DecayEstimate>,
}

/// Scores the batch with the model file, or with a model trained on the history first;
/// without either, the batch has no scores. Adds the binning and monitoring warnings.
pub fn score_batch(
    batch: &Batch,
    model_file: Option<&Path>,
    history: Option<&Table>,
    params: &Params,
    progress: &Progress,
    warnings: &mut Vec<String>,
) -> Result<Scored> {
    let (model, stored_skill, stored_decay) = match (model_file, history) {
        (Some(m), _) => {
            let file = ModelFile::load(m)?;
            (file.scorer, file.skill, file.decay)
        }
        (None, Some(h)) => {
            let hash = model::file_sha256(h.path())?;
            let trained = model::train(h, &batch.cfg, params, hash, progress)?;
            warnings.extend(trained.warnings);
            (trained.model, None, None)
        }
        (None, None) => return Ok(Scored::default()),
    };
    let (x, w) = model.bin_leads(&batch.leads.table, &batch.cfg)?;
    warnings.extend(w);
    warnings.extend(model::monitor::warnings(&model, &x, &batch.cfg, model_file));
    let z = model.logit(&x);
    let scores = z.iter().map(|&v| sigmoid(v)).collect();
    Ok(Scored {
        model: Some(model),
        binned: Some(x),
        logits: Some(z),
        scores: Some(scores),
        stored_skill,
        stored_decay,
    })
}

/// Priority rank of each score (1 = highest; ties in input order).
pub fn rank(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    // A total order (ties by index): the parallel sort gives the one result.
    order.par_sort_unstable_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let mut rank = vec![0; scores.len()];
    for (pos, i) in order.into_iter().enumerate() {
        rank[i] = pos + 1;
    }
    rank
}

/// Tier by batch quartile of rank: A is the top quarter, D the bottom.
pub fn tier(rank: usize, n: usize) -> char {
    ['A', 'B', 'C', 'D'][((rank - 1) * 4 / n.max(1)).min(3)]
}

/// One feature's push on a lead's score.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    /// Index into the model's features.
    pub feature: usize,
    pub name: String,
    /// The lead's value as a person reads it.
    pub value: String,
    /// Change of the log-odds.
    pub contribution: f64,
}

/// The `k` features that moved this lead's log-odds most, largest first. Contributions
/// smaller than 0.005 are left out. One `format_factors` line reads e.g.
/// `demo_requested=yes +0.21; page_views=14 +0.08; lead_source=outbound -0.05`.
pub fn factors(
    model: &Model,
    explainer: &Explainer,
    x: &Binned,
    table: &Table,
    cfg: &Config,
    row: usize,
    k: usize,
) -> Vec<Factor> {
    factors_of(&explainer.contributions(x.row(row)), x.row(row), model, table, cfg, row, k)
}

/// [`factors`] from the row's contributions (as [`Explainer::contributions`] gives them).
pub fn factors_of(
    c: &[f64],
    bins: &[u8],
    model: &Model,
    table: &Table,
    cfg: &Config,
    row: usize,
    k: usize,
) -> Vec<Factor> {
    let mut idx = Vec::new();
    top_indices(c, k, &mut idx);
    idx.iter()
        .map(|&f| Factor {
            feature: f,
            name: model.schema.features[f].name.clone(),
            value: model.schema.display_value(f, table, cfg, row, bins[f]),
            contribution: c[f],
        })
        .collect()
}

/// Every row's calibrated probability (as [`Model::predict`] gives it) and its top `k`
/// factors as one line (as [`format_factors`] writes them), from one walk down the trees;
/// rows in parallel in blocks.
pub fn predict_explained(model: &Model, x: &Binned, table: &Table, cfg: &Config, k: usize) -> (Vec<f64>, Vec<String>) {
    const BLOCK: usize = 256;
    let nf = x.n_features;
    if k == 0 || nf == 0 {
        return (model.predict(x), vec![String::new(); x.n_rows]);
    }
    let explainer = model.explainer();
    let schema = &model.schema;
    let cols: Vec<Option<usize>> = (0..nf).map(|f| schema.display_column(f, table, cfg)).collect();
    x.bins
        .par_chunks(BLOCK * nf)
        .enumerate()
        .flat_map_iter(|(b, bins)| {
            let (c, p) = explainer.contributions_many(bins);
            let mut idx: Vec<usize> = Vec::with_capacity(nf);
            let lines: Vec<String> = (0..bins.len() / nf)
                .map(|r| {
                    let (row, c) = (b * BLOCK + r, &c[r * nf..(r + 1) * nf]);
                    top_indices(c, k, &mut idx);
                    let mut line = String::new();
                    for (n, &f) in idx.iter().enumerate() {
                        let value = schema.display_cell(f, cols[f].map(|col| table.cell(row, col)), bins[r * nf + f]);
                        let sep = if n == 0 { "" } else { "; " };
                        let _ = write!(line, "{sep}{}={value} ", schema.features[f].name);
                        crate::fmt::push_fixed(&mut line, c[f], 2, true);
                    }
                    line
                })
                .collect();
            p.into_iter().zip(lines)
        })
        .unzip()
}

/// Into `idx`: the indices of the `k` largest `|c|` of at least 0.005, largest first (ties
/// to the lower index).
fn top_indices(c: &[f64], k: usize, idx: &mut Vec<usize>) {
    idx.clear();
    idx.extend((0..c.len()).filter(|&f| c[f].abs() >= 0.005));
    let by_size = |a: &usize, b: &usize| c[*b].abs().total_cmp(&c[*a].abs()).then(a.cmp(b));
    if idx.len() > k {
        idx.select_nth_unstable_by(k - 1, by_size);
        idx.truncate(k);
    }
    idx.sort_unstable_by(by_size);
}

pub fn format_factors(fs: &[Factor]) -> String {
    fs.iter().map(|f| format!("{}={} {:+.2}", f.name, f.value, f.contribution)).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_tiers() {
        let r = rank(&[0.2, 0.9, 0.5, 0.9]);
        assert_eq!(r, vec![4, 1, 3, 2]);
        let tiers: Vec<char> = (1..=8).map(|k| tier(k, 8)).collect();
        assert_eq!(tiers, vec!['A', 'A', 'B', 'B', 'C', 'C', 'D', 'D']);
        assert_eq!(tier(1, 1), 'A');
    }
}
