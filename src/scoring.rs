//! From model probabilities to what people read: priority rank, tier and top factors.

use crate::config::Config;
use crate::features::Binned;
use crate::io::Table;
use crate::model::{Explainer, Model};

/// Priority rank of each score (1 = highest; ties in input order).
pub fn rank(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
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
/// smaller than 0.005 are left out.
pub fn factors(
    model: &Model,
    explainer: &Explainer,
    x: &Binned,
    table: &Table,
    cfg: &Config,
    row: usize,
    k: usize,
) -> Vec<Factor> {
    let c = explainer.contributions(x.row(row));
    let mut idx: Vec<usize> = (0..c.len()).filter(|&f| c[f].abs() >= 0.005).collect();
    idx.sort_by(|&a, &b| c[b].abs().total_cmp(&c[a].abs()).then(a.cmp(&b)));
    idx.truncate(k);
    idx.iter()
        .map(|&f| Factor {
            feature: f,
            name: model.schema.features[f].name.clone(),
            value: model.schema.display_value(f, table, cfg, row),
            contribution: c[f],
        })
        .collect()
}

/// [`factors`] as one line, signed, e.g.
/// `demo_requested=yes +0.21; page_views=14 +0.08; lead_source=outbound -0.05`.
pub fn top_factors(
    model: &Model,
    explainer: &Explainer,
    x: &Binned,
    table: &Table,
    cfg: &Config,
    row: usize,
    k: usize,
) -> String {
    format_factors(&factors(model, explainer, x, table, cfg, row, k))
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
