//! Rep skill by segment, controlled for lead quality.
//!
//! Every closed history row gets an out-of-fold lead score: the log-odds a model trained
//! without that row's fold gives the lead, before knowing who worked it. A rep's effect is
//! how much better or worse than those scores the rep did — observed wins against the wins
//! the lead scores expected — so a rep who was handed the hot leads is expected to win more
//! and is not credited for it.
//!
//! Effects are fitted on the log-odds scale with each row's score as an offset: first each
//! rep's overall effect, then, for each `[features] segments` column, the rep's extra effect
//! on each of its values (two backfitting passes). Each estimate is shrunk by empirical
//! Bayes: overall effects toward none, segment effects toward the rep's overall effect, by
//! the ratio of the spread between reps to the estimate's own noise. Recent outcomes weigh
//! more: a row's weight halves every `half_life_days` before the newest row.

use std::collections::HashMap;

use anyhow::Result;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::data::{Resolver, parse_datetime};
use crate::io::Table;
use crate::model::metrics::sigmoid;
use crate::model::{self, Model, Params};
use crate::progress::Progress;

/// Number of folds for the out-of-fold lead scores.
const FOLDS: usize = 5;

/// One estimated effect, in log-odds, with its evidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    /// Posterior mean (shrunk) effect.
    pub effect: f64,
    /// Posterior standard deviation.
    pub sd: f64,
    /// Closed deals behind it, and how many were won (unweighted).
    pub deals: usize,
    pub wins: usize,
    /// Wins the lead scores alone expected.
    pub expected_wins: f64,
}

impl Effect {
    /// A 90 % interval.
    pub fn interval(&self) -> (f64, f64) {
        (self.effect - 1.645 * self.sd, self.effect + 1.645 * self.sd)
    }
}

/// Learned rep effects.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Skill {
    pub segments: Vec<String>,
    /// rep id → overall effect.
    #[serde(with = "sorted_overall")]
    pub overall: HashMap<String, Effect>,
    /// (rep id, segment, lower-cased value) → extra effect on top of the overall one.
    #[serde(with = "sorted_by_segment")]
    pub by_segment: HashMap<(String, String, String), Effect>,
    /// How far apart reps are (standard deviation of true effects, estimated).
    pub spread_overall: f64,
    pub spread_segment: Vec<f64>,
    /// Out-of-fold or in-sample scores (for the report).
    pub out_of_fold: bool,
}

/// The maps as lists sorted by key, so a model file holding them is byte-identical run to run.
mod sorted_overall {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(m: &HashMap<String, Effect>, s: S) -> Result<S::Ok, S::Error> {
        let mut v: Vec<(&String, &Effect)> = m.iter().collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<HashMap<String, Effect>, D::Error> {
        Ok(Vec::<(String, Effect)>::deserialize(d)?.into_iter().collect())
    }
}

mod sorted_by_segment {
    use super::*;
    use serde::{Deserializer, Serializer};

    type Key = (String, String, String);

    pub fn serialize<S: Serializer>(m: &HashMap<Key, Effect>, s: S) -> Result<S::Ok, S::Error> {
        let mut v: Vec<(&Key, &Effect)> = m.iter().collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<HashMap<Key, Effect>, D::Error> {
        Ok(Vec::<(Key, Effect)>::deserialize(d)?.into_iter().collect())
    }
}

impl Skill {
    /// The rep's total effect (log-odds) on a lead with these segment values (in
    /// `self.segments` order), with its standard deviation.
    pub fn effect(&self, rep: &str, values: &[&str]) -> (f64, f64) {
        let Some(o) = self.overall.get(rep) else { return (0.0, 0.0) };
        let (mut e, mut var) = (o.effect, o.sd * o.sd);
        for (s, v) in self.segments.iter().zip(values) {
            if let Some(b) = self.by_segment.get(&(rep.to_string(), s.clone(), v.trim().to_lowercase())) {
                e += b.effect;
                var += b.sd * b.sd;
            }
        }
        (e, var.sqrt())
    }

    /// The rep's effect in one segment value, if the history has any.
    pub fn segment_effect(&self, rep: &str, segment: &str, value: &str) -> Option<&Effect> {
        self.by_segment.get(&(rep.to_string(), segment.to_string(), value.trim().to_lowercase()))
    }
}

/// Settings of the skill estimate.
#[derive(Debug, Clone)]
pub struct SkillSettings {
    pub half_life_days: f64,
    pub params: Params,
}

/// The closed rows of a history with their rep, label, weight and segment values.
struct Rows {
    rep: Vec<String>,
    y: Vec<bool>,
    w: Vec<f64>,
    offset: Vec<f64>,
    seg: Vec<Vec<String>>,
}

/// Learns rep effects from a history. `model` (trained on the same history) gives the
/// lead scores when the folds cannot be trained (too little history per fold).
pub fn learn(
    table: &Table,
    cfg: &Config,
    s: &SkillSettings,
    model: &Model,
    warnings: &mut Vec<String>,
) -> Result<Skill> {
    let h = History::read(table, cfg)?;
    for name in cfg.features.segments.iter().filter(|n| table.column(n).is_none()) {
        warnings.push(format!("[features] segments names {name:?}, which the history does not have"));
    }
    let (labels, closed) = (&h.labels, &h.closed);
    let (offsets, out_of_fold) = match out_of_fold_logits(table, cfg, &s.params, labels, closed) {
        Ok(z) => (z, true),
        Err(e) => {
            warnings.push(format!(
                "rep skill uses in-sample lead scores (folds could not be trained: {e:#}); effects may be understated"
            ));
            let (x, _) = model.schema.bin_rows(table, cfg, closed)?;
            (model.logit(&x), false)
        }
    };
    let weights = recency_weights(table, cfg, closed, s.half_life_days);
    let rows = h.rows(table, weights, offsets);
    Ok(fit(&rows, h.segment_names(), out_of_fold))
}

/// Rep effects from raw win rates: the same fit with every lead given the history's overall
/// win rate instead of its own score, so it cannot tell a skilled rep from one handed the
/// hot leads. A baseline for comparisons, not for routing.
pub fn learn_raw(table: &Table, cfg: &Config, half_life_days: f64) -> Result<Skill> {
    let h = History::read(table, cfg)?;
    let won = h.closed.iter().filter(|&&r| h.labels[r] == Some(true)).count();
    let rate = (won as f64 / h.closed.len().max(1) as f64).clamp(1e-6, 1.0 - 1e-6);
    let weights = recency_weights(table, cfg, &h.closed, half_life_days);
    let rows = h.rows(table, weights, vec![(rate / (1.0 - rate)).ln(); h.closed.len()]);
    Ok(fit(&rows, h.segment_names(), false))
}

/// The closed, attributed rows of a history and where its rep and segment columns are.
struct History {
    labels: Vec<Option<bool>>,
    rep_col: usize,
    segments: Vec<(String, usize)>,
    closed: Vec<usize>,
}

impl History {
    fn read(table: &Table, cfg: &Config) -> Result<History> {
        let labels = model::labels(table, cfg)?;
        let rep_col = Resolver::new(table, cfg, "history").required("rep_id")?;
        let segments = cfg
            .features
            .segments
            .iter()
            .filter_map(|name| table.column(name).map(|c| (table.headers()[c].clone(), c)))
            .collect();
        let closed =
            (0..table.len()).filter(|&r| labels[r].is_some() && !table.cell(r, rep_col).trim().is_empty()).collect();
        Ok(History { labels, rep_col, segments, closed })
    }

    fn segment_names(&self) -> Vec<String> {
        self.segments.iter().map(|(n, _)| n.clone()).collect()
    }

    fn rows(&self, table: &Table, w: Vec<f64>, offset: Vec<f64>) -> Rows {
        Rows {
            rep: self.closed.iter().map(|&r| table.cell(r, self.rep_col).trim().to_string()).collect(),
            y: self.closed.iter().map(|&r| self.labels[r] == Some(true)).collect(),
            w,
            offset,
            seg: self
                .closed
                .iter()
                .map(|&r| self.segments.iter().map(|(_, c)| table.cell(r, *c).trim().to_lowercase()).collect())
                .collect(),
        }
    }
}

/// Log-odds each closed row gets from a model trained without its fold.
fn out_of_fold_logits(
    table: &Table,
    cfg: &Config,
    params: &Params,
    labels: &[Option<bool>],
    closed: &[usize],
) -> Result<Vec<f64>> {
    let mut order: Vec<usize> = (0..closed.len()).collect();
    order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(params.seed ^ 0x5EED));
    let mut fold = vec![0usize; closed.len()];
    for (k, &i) in order.iter().enumerate() {
        fold[i] = k % FOLDS;
    }
    let per_fold: Vec<Result<Vec<(usize, f64)>>> = (0..FOLDS)
        .into_par_iter()
        .map(|f| {
            let mut l = labels.to_vec();
            for (i, &r) in closed.iter().enumerate() {
                if fold[i] == f {
                    l[r] = None;
                }
            }
            let trained = model::train_on(table, cfg, params, String::new(), &Progress::hidden(), l)?;
            let rows: Vec<usize> = (0..closed.len()).filter(|&i| fold[i] == f).collect();
            let table_rows: Vec<usize> = rows.iter().map(|&i| closed[i]).collect();
            let (x, _) = trained.model.schema.bin_rows(table, cfg, &table_rows)?;
            Ok(rows.into_iter().zip(trained.model.logit(&x)).collect())
        })
        .collect();
    let mut z = vec![0.0; closed.len()];
    for part in per_fold {
        for (i, v) in part? {
            z[i] = v;
        }
    }
    Ok(z)
}

fn recency_weights(table: &Table, cfg: &Config, rows: &[usize], half_life_days: f64) -> Vec<f64> {
    let col = cfg.columns.headers("created_at").into_iter().find_map(|h| table.column(h));
    let dates: Vec<Option<chrono::NaiveDateTime>> = match col {
        Some(c) => rows.iter().map(|&r| parse_datetime(table.cell(r, c))).collect(),
        None => return vec![1.0; rows.len()],
    };
    let Some(newest) = dates.iter().flatten().max().copied() else { return vec![1.0; rows.len()] };
    if !(half_life_days.is_finite() && half_life_days > 0.0) {
        return vec![1.0; rows.len()];
    }
    dates
        .iter()
        .map(|d| match d {
            Some(d) => 0.5f64.powf((newest - *d).num_seconds() as f64 / 86_400.0 / half_life_days),
            None => 1.0,
        })
        .collect()
}

/// Penalised maximum-likelihood effect of one group with offsets: (estimate, its variance
/// from the likelihood alone, wins the lead scores alone expected).
fn group_mle(idx: &[usize], rows: &Rows, extra: &[f64]) -> (f64, f64, f64) {
    let prior_var = 9.0;
    let mut b = 0.0;
    for _ in 0..30 {
        let (mut g, mut h) = (-b / prior_var, 1.0 / prior_var);
        for &i in idx {
            let p = sigmoid(rows.offset[i] + extra[i] + b);
            g += rows.w[i] * (if rows.y[i] { 1.0 } else { 0.0 } - p);
            h += rows.w[i] * p * (1.0 - p);
        }
        let step = (g / h).clamp(-2.0, 2.0);
        b += step;
        if step.abs() < 1e-8 {
            break;
        }
    }
    // Sampling variance of a weighted estimate (sandwich form): with recency weights below 1,
    // 1 / Σ w·p(1−p) would overstate it, and empirical Bayes would then take real spread
    // between reps for noise.
    let (info, info2) = idx.iter().fold((0.0, 0.0), |(a, b2), &i| {
        let p = sigmoid(rows.offset[i] + extra[i] + b);
        let pq = p * (1.0 - p);
        (a + rows.w[i] * pq, b2 + rows.w[i] * rows.w[i] * pq)
    });
    let expected: f64 = idx.iter().map(|&i| sigmoid(rows.offset[i])).sum();
    (b, info2.max(1e-12) / info.max(1e-9).powi(2), expected)
}

/// Shrinks raw estimates toward 0 by empirical Bayes: the spread of true effects is what
/// the estimates vary by beyond their own noise.
fn shrink(raw: &[(f64, f64)]) -> (Vec<(f64, f64)>, f64) {
    if raw.is_empty() {
        return (Vec::new(), 0.0);
    }
    let total_w: f64 = raw.iter().map(|(_, v)| 1.0 / (v + 0.05)).sum();
    let second: f64 = raw.iter().map(|(b, v)| b * b / (v + 0.05)).sum::<f64>() / total_w;
    let noise: f64 = raw.iter().map(|(_, v)| v / (v + 0.05)).sum::<f64>() / total_w;
    let tau2 = (second - noise).max(1e-4);
    let post = raw
        .iter()
        .map(|&(b, v)| {
            let k = tau2 / (tau2 + v);
            (b * k, (tau2 * v / (tau2 + v)).sqrt())
        })
        .collect();
    (post, tau2.sqrt())
}

fn fit(rows: &Rows, segments: Vec<String>, out_of_fold: bool) -> Skill {
    let n = rows.y.len();
    let mut by_rep: HashMap<&str, Vec<usize>> = HashMap::new();
    for i in 0..n {
        by_rep.entry(rows.rep[i].as_str()).or_default().push(i);
    }
    let mut reps: Vec<&str> = by_rep.keys().copied().collect();
    reps.sort_unstable();

    let count = |idx: &[usize]| (idx.len(), idx.iter().filter(|&&i| rows.y[i]).count());
    let mut seg_extra = vec![vec![0.0; n]; segments.len()];
    let mut overall: HashMap<String, Effect> = HashMap::new();
    let mut by_segment: HashMap<(String, String, String), Effect> = HashMap::new();
    let mut spread_overall = 0.0;
    let mut spread_segment = vec![0.0; segments.len()];
    for _pass in 0..2 {
        // Overall effects, given the current segment effects.
        let extra: Vec<f64> = (0..n).map(|i| seg_extra.iter().map(|e| e[i]).sum()).collect();
        let raw: Vec<(f64, f64, f64)> = reps.iter().map(|r| group_mle(&by_rep[r], rows, &extra)).collect();
        let (post, tau) = shrink(&raw.iter().map(|(b, v, _)| (*b, *v)).collect::<Vec<_>>());
        spread_overall = tau;
        overall.clear();
        let mut rep_effect: HashMap<&str, f64> = HashMap::new();
        for (k, r) in reps.iter().enumerate() {
            let (deals, wins) = count(&by_rep[r]);
            overall.insert(
                r.to_string(),
                Effect { effect: post[k].0, sd: post[k].1, deals, wins, expected_wins: raw[k].2 },
            );
            rep_effect.insert(r, post[k].0);
        }
        // Segment effects, one column at a time, given everything else.
        for (s, name) in segments.iter().enumerate() {
            let extra: Vec<f64> = (0..n)
                .map(|i| {
                    rep_effect[rows.rep[i].as_str()]
                        + (0..segments.len()).filter(|&t| t != s).map(|t| seg_extra[t][i]).sum::<f64>()
                })
                .collect();
            let mut cells: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
            for i in 0..n {
                cells.entry((rows.rep[i].as_str(), rows.seg[i][s].as_str())).or_default().push(i);
            }
            let mut keys: Vec<(&str, &str)> = cells.keys().copied().collect();
            keys.sort_unstable();
            let raw: Vec<(f64, f64, f64)> = keys.iter().map(|k| group_mle(&cells[k], rows, &extra)).collect();
            let (post, tau) = shrink(&raw.iter().map(|(b, v, _)| (*b, *v)).collect::<Vec<_>>());
            spread_segment[s] = tau;
            for (k, key) in keys.iter().enumerate() {
                for &i in &cells[key] {
                    seg_extra[s][i] = post[k].0;
                }
                let (deals, wins) = count(&cells[key]);
                by_segment.insert(
                    (key.0.to_string(), name.clone(), key.1.to_string()),
                    Effect { effect: post[k].0, sd: post[k].1, deals, wins, expected_wins: raw[k].2 },
                );
            }
        }
    }
    Skill { segments, overall, by_segment, spread_overall, spread_segment, out_of_fold }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    /// Rows where rep "a" truly adds `effect` in segment value "x" and nothing elsewhere, and
    /// rep "hot" is handed leads with high offsets but has no skill.
    fn synthetic(effect: f64) -> Rows {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut rows = Rows { rep: vec![], y: vec![], w: vec![], offset: vec![], seg: vec![] };
        for i in 0..12_000 {
            let rep = ["a", "b", "hot"][i % 3];
            let value = if i % 2 == 0 { "x" } else { "y" };
            let offset = if rep == "hot" { 1.0 } else { -1.0 } + rng.random::<f64>() - 0.5;
            let truth = if rep == "a" && value == "x" { effect } else { 0.0 };
            rows.y.push(rng.random::<f64>() < sigmoid(offset + truth));
            rows.rep.push(rep.into());
            rows.w.push(1.0);
            rows.offset.push(offset);
            rows.seg.push(vec![value.into()]);
        }
        rows
    }

    #[test]
    fn hot_leads_do_not_make_a_rep_skilled_and_real_skill_is_found() {
        let skill = fit(&synthetic(0.8), vec!["industry".into()], true);
        let (hot, _) = skill.effect("hot", &["x"]);
        assert!(hot.abs() < 0.15, "hot-lead rep gets no credit: {hot}");
        let (ax, sd) = skill.effect("a", &["x"]);
        let (ay, _) = skill.effect("a", &["y"]);
        assert!(ax > 0.5 && ax < 1.0, "a in x: {ax} ± {sd}");
        assert!(ax - ay > 0.4, "the skill is specific to x: {ax} vs {ay}");
        let e = skill.segment_effect("a", "industry", "X").unwrap();
        assert_eq!(e.deals, 2000);
        assert!(e.interval().0 < e.effect && e.effect < e.interval().1);
    }

    #[test]
    fn no_skill_means_effects_near_zero() {
        let skill = fit(&synthetic(0.0), vec!["industry".into()], true);
        for rep in ["a", "b", "hot"] {
            for v in ["x", "y"] {
                let (e, _) = skill.effect(rep, &[v]);
                assert!(e.abs() < 0.12, "{rep}/{v}: {e}");
            }
        }
        assert_eq!(skill.effect("nobody", &["x"]), (0.0, 0.0));
    }
}
