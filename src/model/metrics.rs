//! Metrics of probabilistic predictions: AUC, log loss, a calibration table, top-decile
//! lift, and Platt scaling (the calibration map fitted on held-out data).

use serde::{Deserialize, Serialize};

/// Area under the ROC curve: the probability that a random won row scores above a random
/// lost row, ties counting half. `None` with only one class.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut rank_sum, mut pos) = (0.0, 0.0);
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if labels[k] {
                rank_sum += avg_rank;
                pos += 1.0;
            }
        }
        i = j + 1;
    }
    let neg = scores.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return None;
    }
    Some((rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

/// Mean negative log-likelihood of the labels.
pub fn log_loss(p: &[f64], labels: &[bool]) -> f64 {
    let eps = 1e-12;
    let total: f64 = p
        .iter()
        .zip(labels)
        .map(|(&p, &y)| {
            let p = p.clamp(eps, 1.0 - eps);
            if y { -p.ln() } else { -(1.0 - p).ln() }
        })
        .sum();
    total / p.len().max(1) as f64
}

/// Held-out quality of probabilities to convert: the one measure the model file (its
/// validation rows) and the backtest (its test deals) report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldOutQuality {
    pub auc: f64,
    pub log_loss: f64,
    /// Log loss of always predicting the training win rate, for comparison.
    pub base_log_loss: f64,
    pub top_decile_lift: f64,
    pub calibration: Vec<CalibrationBin>,
}

impl HeldOutQuality {
    /// Quality of probabilities `p` against outcomes `y`; `base_rate` is the training win rate.
    /// AUC is 0.5 when `y` has one class only.
    pub fn of(p: &[f64], y: &[bool], base_rate: f64) -> HeldOutQuality {
        HeldOutQuality {
            auc: auc(p, y).unwrap_or(0.5),
            log_loss: log_loss(p, y),
            base_log_loss: log_loss(&vec![base_rate; y.len()], y),
            top_decile_lift: top_decile_lift(p, y),
            calibration: calibration_table(p, y, 10),
        }
    }
}

/// One row of a calibration table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    pub rows: usize,
    pub mean_predicted: f64,
    pub observed_rate: f64,
}

/// Rows cut into `k` groups of equal size by predicted probability.
pub fn calibration_table(p: &[f64], labels: &[bool], k: usize) -> Vec<CalibrationBin> {
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let n = idx.len();
    (0..k)
        .filter_map(|g| {
            let part = &idx[g * n / k..(g + 1) * n / k];
            (!part.is_empty()).then(|| CalibrationBin {
                rows: part.len(),
                mean_predicted: part.iter().map(|&i| p[i]).sum::<f64>() / part.len() as f64,
                observed_rate: part.iter().filter(|&&i| labels[i]).count() as f64 / part.len() as f64,
            })
        })
        .collect()
}

/// Win rate of the top 10 % by score over the overall win rate.
pub fn top_decile_lift(p: &[f64], labels: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
    let top = (p.len() / 10).max(1).min(p.len());
    let rate_top = idx[..top].iter().filter(|&&i| labels[i]).count() as f64 / top as f64;
    let rate = labels.iter().filter(|&&y| y).count() as f64 / p.len().max(1) as f64;
    if rate > 0.0 { rate_top / rate } else { 0.0 }
}

/// Platt scaling: p = sigmoid(a·z + b), fitted by Newton's method with step halving on
/// (raw log-odds, label). Falls back to the identity map if the fit is degenerate.
pub fn fit_platt(z: &[f64], labels: &[bool]) -> (f64, f64) {
    let loss = |a: f64, b: f64| -> f64 {
        z.iter()
            .zip(labels)
            .map(|(&zi, &y)| {
                let t = a * zi + b;
                let m = if y { -t } else { t };
                if m > 30.0 { m } else { m.exp().ln_1p() }
            })
            .sum()
    };
    let (mut a, mut b) = (1.0, 0.0);
    let mut current = loss(a, b);
    for _ in 0..100 {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 1e-9, 0.0, 1e-9);
        for (&zi, &y) in z.iter().zip(labels) {
            let p = sigmoid(a * zi + b);
            let r = p - if y { 1.0 } else { 0.0 };
            let w = p * (1.0 - p);
            ga += r * zi;
            gb += r;
            haa += w * zi * zi;
            hab += w * zi;
            hbb += w;
        }
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-12 {
            break;
        }
        let da = (hbb * ga - hab * gb) / det;
        let db = (haa * gb - hab * ga) / det;
        let mut step = 1.0;
        let mut improved = false;
        for _ in 0..40 {
            let (na, nb) = (a - step * da, b - step * db);
            let l = loss(na, nb);
            if l <= current {
                (a, b, current, improved) = (na, nb, l, true);
                break;
            }
            step /= 2.0;
        }
        if !improved || (step * (da.abs() + db.abs())) < 1e-10 {
            break;
        }
    }
    if a.is_finite() && b.is_finite() && a > 0.0 { (a, b) } else { (1.0, 0.0) }
}

pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_ties_half() {
        assert_eq!(auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]), Some(0.75));
        assert_eq!(auc(&[0.5, 0.5], &[false, true]), Some(0.5));
        assert_eq!(auc(&[0.5, 0.6], &[true, true]), None);
    }

    #[test]
    fn platt_recovers_a_known_map() {
        let z: Vec<f64> = (0..4000).map(|i| (i as f64 / 400.0) - 5.0).collect();
        // Deterministic labels whose rate follows sigmoid(0.5 z - 1).
        let labels: Vec<bool> = z
            .iter()
            .enumerate()
            .map(|(i, &zi)| ((i as f64 * 0.618_033_988_7) % 1.0) < sigmoid(0.5 * zi - 1.0))
            .collect();
        let (a, b) = fit_platt(&z, &labels);
        assert!((a - 0.5).abs() < 0.08 && (b + 1.0).abs() < 0.15, "{a} {b}");
    }

    #[test]
    fn lift_and_calibration() {
        let p: Vec<f64> = (0..100).map(|i| i as f64 / 100.0).collect();
        let y: Vec<bool> = (0..100).map(|i| i >= 90).collect();
        assert!((top_decile_lift(&p, &y) - 10.0).abs() < 1e-9);
        let t = calibration_table(&p, &y, 10);
        assert_eq!(t.len(), 10);
        assert_eq!(t[9].observed_rate, 1.0);
        assert!((log_loss(&[0.5, 0.5], &[true, false]) - std::f64::consts::LN_2).abs() < 1e-12);
    }
}
