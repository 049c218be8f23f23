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
use crate::data::{DateReader, Resolver, created_dates, find_column};
use crate::io::Table;
use crate::model::metrics::sigmoid;
use crate::model::{self, Model, Params};
use crate::progress::Progress;
use crate::timing::{self, DecayEstimate};

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
    /// Each spread with its test against zero: overall first, then each segment column.
    #[serde(default)]
    pub spreads: Vec<Spread>,
    /// Out-of-fold or in-sample scores (for the report).
    pub out_of_fold: bool,
    /// The effects judged on the newest closed deals, fitted without them.
    #[serde(default)]
    pub holdout: Option<Holdout>,
    /// Why the effects are not used for routing (every rep then counts as equally good);
    /// `None` when they are.
    #[serde(default)]
    pub unused_because: Option<String>,
    /// The speed-to-lead decay estimated from the same deals' first responses, with the same
    /// out-of-fold scores as offsets (when the history has `first_response_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decay: Option<DecayEstimate>,
}

/// The estimated spread of one variance component (log-odds), with the likelihood-ratio
/// test of "no spread at all".
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// The spread's posterior mean (flat prior), what the effects are shrunk with.
    pub sd: f64,
    /// 2 × (log marginal likelihood at its maximum − with this spread at zero).
    pub lr: f64,
    pub p_value: f64,
}

impl Spread {
    /// Distinguishable from no spread at the 5 % level.
    pub fn distinguishable(&self) -> bool {
        self.p_value < 0.05
    }
}

/// Rep effects checked by cross-validation: how much better than the lead scores alone
/// they predict the outcomes of deals they were not fitted on (log-likelihood, natural log
/// units, summed over every closed deal).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Holdout {
    pub deals: usize,
    /// Folds of the cross-validation.
    pub folds: usize,
    /// Times the cross-validation was run, each with its own random folds; a deal's gain is
    /// the mean over them.
    #[serde(default = "one")]
    pub repeats: usize,
    pub gain: f64,
    /// Standard error of `gain`.
    pub se: f64,
}

fn one() -> usize {
    1
}

impl Holdout {
    /// How the check was run, e.g. "5-fold cross-validation repeated 3 times over 2000
    /// closed deals".
    pub fn method(&self) -> String {
        format!("{}-fold cross-validation{} over {} closed deals", self.folds, self.repeated(), self.deals)
    }

    /// " repeated N times" when the cross-validation was, else nothing.
    pub fn repeated(&self) -> String {
        if self.repeats > 1 { format!(" repeated {} times", self.repeats) } else { String::new() }
    }
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
        if self.unused_because.is_some() {
            return (0.0, 0.0);
        }
        // A rep or segment value without history: no effect, with the prior's uncertainty.
        let prior = |c: usize| self.spreads.get(c).map_or(0.0, |s| s.sd * s.sd);
        let Some(o) = self.overall.get(rep) else {
            return (0.0, (0..=self.segments.len()).map(prior).sum::<f64>().sqrt());
        };
        let (mut e, mut var) = (o.effect, o.sd * o.sd);
        for (k, (s, v)) in self.segments.iter().zip(values).enumerate() {
            match self.by_segment.get(&(rep.to_string(), s.clone(), v.trim().to_lowercase())) {
                Some(b) => {
                    e += b.effect;
                    var += b.sd * b.sd;
                }
                None => var += prior(1 + k),
            }
        }
        (e, var.sqrt())
    }

    /// The warning a run prints when the effects are not used for routing.
    pub fn unused_warning(&self) -> Option<String> {
        self.unused_because.as_ref().map(|why| {
            format!("rep skill is not used for routing: {why}; every rep is taken as equally good for every lead")
        })
    }

    /// The rep's effect in one segment value, if the history has any.
    pub fn segment_effect(&self, rep: &str, segment: &str, value: &str) -> Option<&Effect> {
        if self.unused_because.is_some() {
            return None;
        }
        self.by_segment.get(&(rep.to_string(), segment.to_string(), value.trim().to_lowercase()))
    }
}

/// Settings of the skill estimate.
#[derive(Debug, Clone)]
pub struct SkillSettings {
    pub half_life_days: f64,
    pub params: Params,
}

impl SkillSettings {
    /// The config's `[skill]` half-life, with `params` for the fold models.
    pub fn new(cfg: &Config, params: &Params) -> SkillSettings {
        SkillSettings { half_life_days: cfg.skill.half_life_days, params: params.clone() }
    }
}

/// The closed rows of a history with their rep, label, weight and segment values.
struct Rows {
    rep: Vec<String>,
    y: Vec<bool>,
    w: Vec<f64>,
    offset: Vec<f64>,
    seg: Vec<Vec<String>>,
}

impl Rows {
    fn subset(&self, idx: &[usize]) -> Rows {
        Rows {
            rep: idx.iter().map(|&i| self.rep[i].clone()).collect(),
            y: idx.iter().map(|&i| self.y[i]).collect(),
            w: idx.iter().map(|&i| self.w[i]).collect(),
            offset: idx.iter().map(|&i| self.offset[i]).collect(),
            seg: idx.iter().map(|&i| self.seg[i].clone()).collect(),
        }
    }
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
    let h = ClosedDeals::read(table, cfg)?;
    for name in cfg.features.segments.iter().filter(|n| table.column(n).is_none()) {
        warnings.push(format!("[features] segments names {name:?}, which the history does not have"));
    }
    let (labels, closed) = (&h.labels, &h.closed);
    // The fold models stand in for the scoring model on deals it has not seen: they take its
    // tree depth instead of choosing one again (half the trees to grow).
    let fold_params = Params { depths: vec![model.metrics.depth], ..s.params.clone() };
    let (offsets, out_of_fold) = match out_of_fold_logits(table, cfg, &fold_params, labels, closed) {
        Ok(z) => (z, true),
        Err(e) => {
            warnings.push(format!(
                "rep skill uses in-sample lead scores (folds could not be trained: {e:#}); effects may be understated"
            ));
            let (x, _) = model.schema.bin_rows(table, cfg, closed)?;
            (model.logit(&x), false)
        }
    };
    let weights = recency_weights(&created_dates(table, cfg, closed)?, s.half_life_days);
    let rows = h.rows(table, weights, offsets);
    let mut skill = fit(&rows, h.segment_names(), out_of_fold);
    skill.holdout = holdout(&rows, h.segment_names(), s.params.seed);
    skill.unused_because = unused_because(&skill, rows.y.len());
    skill.decay = decay_from(table, cfg, closed, &rows.offset, &rows.w, warnings)?;
    warnings.extend(skill.unused_warning());
    Ok(skill)
}

/// The speed-to-lead decay from the history's closed deals that carry `created_at` and
/// `first_response_at`, each deal's log-odds (`offsets`, aligned with `rows`) as its offset
/// and `weights` as its weight ([`timing::estimate_decay`]); `None` without the column. A
/// response before its lead's creation is left out, counted in a warning.
pub fn decay_from(
    table: &Table,
    cfg: &Config,
    rows: &[usize],
    offsets: &[f64],
    weights: &[f64],
    warnings: &mut Vec<String>,
) -> Result<Option<DecayEstimate>> {
    let (Some(rc), Some(cc)) = (find_column(table, cfg, "first_response_at"), find_column(table, cfg, "created_at"))
    else {
        return Ok(None);
    };
    let labels = model::labels(table, cfg)?;
    let zone = cfg.default_zone()?;
    let (reader_r, reader_c) = (DateReader::for_column(table, cfg, rc)?, DateReader::for_column(table, cfg, cc)?);
    let (mut z, mut won, mut delay, mut w) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut before = 0;
    for (i, &r) in rows.iter().enumerate() {
        let (Some(y), Some(c), Some(f)) = (
            labels[r],
            timing::instant_cell(table, r, cc, &reader_c, &zone)?,
            timing::instant_cell(table, r, rc, &reader_r, &zone)?,
        ) else {
            continue;
        };
        if f < c {
            before += 1;
            continue;
        }
        z.push(offsets[i]);
        won.push(y);
        delay.push((f - c) as f64 / 3600.0);
        w.push(weights[i]);
    }
    if before > 0 {
        warnings.push(format!(
            "{}: {before} closed deals were first answered before they were created; they are left out of the \
             speed-to-lead estimate",
            table.path().display()
        ));
    }
    Ok(Some(timing::estimate_decay(&z, &won, &delay, &w)))
}

/// [`decay_from`] over every closed deal of the history with the model's own (in-sample)
/// log-odds as offsets, for when rep skill is not learned.
pub fn decay_in_sample(
    table: &Table,
    cfg: &Config,
    model: &Model,
    s: &SkillSettings,
    warnings: &mut Vec<String>,
) -> Result<Option<DecayEstimate>> {
    if find_column(table, cfg, "first_response_at").is_none() {
        return Ok(None);
    }
    let labels = model::labels(table, cfg)?;
    let closed: Vec<usize> = (0..table.len()).filter(|&r| labels[r].is_some()).collect();
    let (x, _) = model.schema.bin_rows(table, cfg, &closed)?;
    let z = model.logit(&x);
    let weights = recency_weights(&created_dates(table, cfg, &closed)?, s.half_life_days);
    decay_from(table, cfg, &closed, &z, &weights, warnings)
}

/// The rep skill `optimize` routes with: learned from the history when there is one (the
/// model scores its deals), else what the model file stores (`stored`); equal skill, with a
/// warning saying why, when the config switches skill off or neither holds any.
pub fn for_routing(
    history: Option<&Table>,
    model: &Model,
    stored: Option<&Skill>,
    cfg: &Config,
    params: &Params,
    progress: &Progress,
    warnings: &mut Vec<String>,
) -> Result<Skill> {
    if !cfg.skill.enabled {
        warnings.push(format!(
            "{}: [skill] enabled = false, so every rep is taken as equally good and leads go by score alone",
            cfg.describe()
        ));
        let decay = match history {
            Some(h) => decay_in_sample(h, cfg, model, &SkillSettings::new(cfg, params), warnings)?,
            None => stored.and_then(|s| s.decay.clone()),
        };
        return Ok(Skill { decay, ..Skill::default() });
    }
    match (history, stored) {
        (Some(h), _) => {
            let settings = SkillSettings::new(cfg, params);
            let spinner = progress.spinner("learning rep skill");
            let learned = learn(h, cfg, &settings, model, warnings);
            spinner.finish();
            learned
        }
        (None, Some(stored)) => {
            warnings.extend(stored.unused_warning());
            Ok(stored.clone())
        }
        (None, None) => {
            warnings.push(
                "no history given and the model file holds no rep skill: p_win is the lead score for every rep".into(),
            );
            Ok(Skill::default())
        }
    }
}

/// Why the effects should not route leads, if they should not. Two pieces of evidence: the
/// cross-validated gain (noisy: on 2,000 deals its standard error is as large as the gain
/// a real spread of 0.3 brings) and the likelihood-ratio tests of the spreads (the more
/// powerful test of "reps differ at all"; a spread counts when its p-value is below 5 %
/// divided by the number of spreads tested, so that testing several does not find one by
/// chance). The effects route leads when the held-out gain is beyond its noise, or when it
/// is not below zero beyond its noise and a spread counts. Switching real skill off gives
/// away most of what routing can win; keeping effects that are noise costs little, as
/// owned leads stay with their owners unless a rep is better beyond the noise.
fn unused_because(skill: &Skill, closed: usize) -> Option<String> {
    let tested = skill.spreads.len().max(1);
    let counts = skill.spreads.iter().any(|s| s.p_value < 0.05 / tested as f64);
    let smallest = skill.spreads.iter().map(|s| s.p_value).fold(1.0, f64::min);
    let spreads = format!(
        "allowing for the {tested} spreads tested, none is distinguishable from zero (likelihood-ratio test: smallest p = {smallest:.3}, needed below {:.3})",
        0.05 / tested as f64
    );
    match &skill.holdout {
        Some(c) if c.gain > c.se => None,
        Some(c) if c.gain + c.se > 0.0 && counts => None,
        Some(c) if c.gain + c.se <= 0.0 => Some(format!(
            "fitted without the deals they predict ({}), the rep effects predicted the outcomes worse than the lead scores alone, beyond the noise (log-likelihood {:+.1} ± {:.1})",
            c.method(),
            c.gain,
            c.se
        )),
        Some(c) => Some(format!(
            "fitted without the deals they predict ({}), the rep effects predicted the outcomes no better than the lead scores alone beyond the noise (log-likelihood {:+.1} ± {:.1}), and {spreads}",
            c.method(),
            c.gain,
            c.se
        )),
        None if counts => None,
        None => Some(format!("{spreads}, and {closed} closed deals are too few to cross-validate the effects")),
    }
}

/// Closed rows below which the effects are not cross-validated (each fold would hold too
/// few deals to say anything).
const MIN_CHECKED: usize = 200;

/// Folds of the cross-validation that checks the effects.
const CHECK_FOLDS: usize = 5;

/// Closed deals × repeats the cross-validation aims at: a small history is cross-validated
/// several times over with different folds, because which deals share a fold moves its
/// result by as much as its standard error (on 2,000 deals, +22 or +5 for one world); a
/// large one, once, its folds already holding thousands of deals.
const CHECK_WORK: usize = 30_000;

/// Most repeats of the cross-validation.
const MAX_REPEATS: usize = 5;

/// Cross-validates the effects: the closed rows in five seeded random folds, each fold's
/// outcomes predicted by effects fitted on the other four (spreads chosen on those four),
/// against the lead scores alone; repeated with fresh folds when the history is small (see
/// [`CHECK_WORK`]), each deal's gain averaged over the repeats.
/// Every closed deal is predicted once per repeat, so the check has the power of the whole
/// history (a single time split of a fifth would have a fifth of it).
fn holdout(rows: &Rows, segments: Vec<String>, seed: u64) -> Option<Holdout> {
    let n = rows.y.len();
    if n < MIN_CHECKED {
        return None;
    }
    let repeats = CHECK_WORK.div_ceil(n).clamp(1, MAX_REPEATS);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x401D);
    let folds: Vec<Vec<usize>> = (0..repeats)
        .map(|_| {
            let mut order: Vec<usize> = (0..n).collect();
            order.shuffle(&mut rng);
            let mut fold = vec![0usize; n];
            for (k, &i) in order.iter().enumerate() {
                fold[i] = k % CHECK_FOLDS;
            }
            fold
        })
        .collect();
    let jobs: Vec<(usize, usize)> = (0..repeats).flat_map(|r| (0..CHECK_FOLDS).map(move |f| (r, f))).collect();
    let per_fold: Vec<Vec<(usize, f64)>> = jobs
        .par_iter()
        .map(|&(r, f)| {
            let fold = &folds[r];
            let train: Vec<usize> = (0..n).filter(|&i| fold[i] != f).collect();
            let skill = fit_with(&rows.subset(&train), segments.clone(), true, false);
            (0..n)
                .filter(|&i| fold[i] == f)
                .map(|i| {
                    let values: Vec<&str> = rows.seg[i].iter().map(String::as_str).collect();
                    let e = skill.effect(&rows.rep[i], &values).0;
                    let y = if rows.y[i] { 1.0 } else { 0.0 };
                    let ll = |eta: f64| y * eta - softplus(eta);
                    (i, ll(rows.offset[i] + e) - ll(rows.offset[i]))
                })
                .collect()
        })
        .collect();
    // Summed in job order, so the result does not depend on the thread count.
    let mut diffs = vec![0.0; n];
    for (i, d) in per_fold.into_iter().flatten() {
        diffs[i] += d / repeats as f64;
    }
    let gain: f64 = diffs.iter().sum();
    let mean = gain / n as f64;
    let var = diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    Some(Holdout { deals: n, folds: CHECK_FOLDS, repeats, gain, se: (var * n as f64).sqrt() })
}

/// Rep effects from raw win rates: the same fit with every lead given the history's overall
/// win rate instead of its own score, so it cannot tell a skilled rep from one handed the
/// hot leads. A baseline for comparisons, not for routing.
#[cfg(any(test, feature = "testing"))]
pub fn learn_raw(table: &Table, cfg: &Config, half_life_days: f64) -> Result<Skill> {
    let h = ClosedDeals::read(table, cfg)?;
    let won = h.closed.iter().filter(|&&r| h.labels[r] == Some(true)).count();
    let rate = (won as f64 / h.closed.len().max(1) as f64).clamp(1e-6, 1.0 - 1e-6);
    let weights = recency_weights(&created_dates(table, cfg, &h.closed)?, half_life_days);
    let rows = h.rows(table, weights, vec![(rate / (1.0 - rate)).ln(); h.closed.len()]);
    Ok(fit(&rows, h.segment_names(), false))
}

/// The closed, attributed rows of a history and where its rep and segment columns are.
struct ClosedDeals {
    labels: Vec<Option<bool>>,
    rep_col: usize,
    segments: Vec<(String, usize)>,
    closed: Vec<usize>,
}

impl ClosedDeals {
    fn read(table: &Table, cfg: &Config) -> Result<ClosedDeals> {
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
        Ok(ClosedDeals { labels, rep_col, segments, closed })
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

/// A row's weight halves every `half_life_days` before the newest row (undated rows: 1).
/// The weights are then scaled so that they add up to the history's effective number of
/// rows (Kish: (Σw)² / Σw²): the likelihood carries as much information as the weighted
/// data really hold. Unscaled, weights below 1 would make every estimate look noisier than
/// it is, and the spread between reps would be read as noise.
fn recency_weights(dates: &[Option<chrono::NaiveDateTime>], half_life_days: f64) -> Vec<f64> {
    let Some(newest) = dates.iter().flatten().max().copied() else { return vec![1.0; dates.len()] };
    if !(half_life_days.is_finite() && half_life_days > 0.0) {
        return vec![1.0; dates.len()];
    }
    let w: Vec<f64> = dates
        .iter()
        .map(|d| match d {
            Some(d) => 0.5f64.powf((newest - *d).num_seconds() as f64 / 86_400.0 / half_life_days),
            None => 1.0,
        })
        .collect();
    let (sum, sum2) = w.iter().fold((0.0, 0.0), |(a, b), x| (a + x, b + x * x));
    let scale = if sum2 > 0.0 { sum / sum2 } else { 1.0 };
    w.into_iter().map(|x| x * scale).collect()
}

/// One rep's rows, in the hierarchical model's terms: parameter 0 is the rep's overall
/// effect; each segment column's values the rep has worked get one parameter each.
struct RepBlock {
    rows: Vec<usize>,
    /// Per row, the `1 + segments` parameters it touches (overall first).
    params: Vec<u32>,
    /// Per parameter, which variance component (0 overall, `1 + s` segment column `s`) and
    /// its segment value (empty for the overall effect).
    component: Vec<usize>,
    value: Vec<String>,
}

impl RepBlock {
    fn dim(&self) -> usize {
        self.component.len()
    }
}

/// A rep's fit at given spreads: the effects (log-odds), their posterior covariance's
/// diagonal, and the Laplace approximation of the rep's log marginal likelihood.
#[derive(Clone)]
struct BlockFit {
    theta: Vec<f64>,
    var: Vec<f64>,
    log_marginal: f64,
}

/// Penalised Newton fit of one rep's effects with every row's lead score as an offset and
/// Gaussian priors of standard deviation `tau[component]`, in the non-centred form
/// θ = τ·u, u ~ N(0, 1) (so a spread of zero fixes its effects at zero). Returns the
/// posterior mode, the posterior variances, and the Laplace log marginal likelihood
/// log p(y) ≈ ℓ(θ̂) − |û|²/2 − log det(I + τ H τ)/2.
fn fit_block(b: &RepBlock, rows: &Rows, tau: &[f64], start: Option<&BlockFit>) -> BlockFit {
    let d = b.dim();
    let k = b.params.len() / b.rows.len().max(1);
    let scale: Vec<f64> = b.component.iter().map(|&c| tau[c]).collect();
    // Warm start from an earlier fit's effects (the search moves the spreads a little).
    let mut u: Vec<f64> = match start {
        Some(f) => (0..d).map(|q| if scale[q] > 0.0 { f.theta[q] / scale[q] } else { 0.0 }).collect(),
        None => vec![0.0; d],
    };
    let mut chol = vec![0.0; d * d];
    let mut grad = vec![0.0; d];
    let mut loglik = 0.0;
    for iter in 0..40 {
        // Gradient and Hessian of the log posterior in u.
        let mut h = vec![0.0; d * d];
        grad.iter_mut().for_each(|g| *g = 0.0);
        loglik = 0.0;
        for (j, &i) in b.rows.iter().enumerate() {
            let ps = &b.params[j * k..(j + 1) * k];
            let eta = rows.offset[i] + ps.iter().map(|&q| scale[q as usize] * u[q as usize]).sum::<f64>();
            let p = sigmoid(eta);
            let w = rows.w[i];
            let y = if rows.y[i] { 1.0 } else { 0.0 };
            loglik += w * (y * eta - softplus(eta));
            let (r, c) = (w * (y - p), w * p * (1.0 - p));
            for &q in ps {
                grad[q as usize] += r * scale[q as usize];
                for &q2 in ps {
                    h[q as usize * d + q2 as usize] += c * scale[q as usize] * scale[q2 as usize];
                }
            }
        }
        for q in 0..d {
            grad[q] -= u[q];
            h[q * d + q] += 1.0;
        }
        cholesky(&h, d, &mut chol);
        let mut step = grad.clone();
        cholesky_solve(&chol, d, &mut step);
        let largest = step.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let damp = if largest > 3.0 { 3.0 / largest } else { 1.0 };
        for q in 0..d {
            u[q] += damp * step[q];
        }
        if largest < 1e-7 || iter == 39 {
            // The last step was tiny: the Hessian at the mode is the one just factored.
            break;
        }
    }
    let log_det: f64 = (0..d).map(|q| 2.0 * chol[q * d + q].ln()).sum();
    let uu: f64 = u.iter().map(|x| x * x).sum();
    // Posterior variance of θ_q = τ_q² · (H_u⁻¹)_qq.
    let var = (0..d)
        .map(|q| {
            let mut e = vec![0.0; d];
            e[q] = 1.0;
            cholesky_solve(&chol, d, &mut e);
            scale[q] * scale[q] * e[q]
        })
        .collect();
    BlockFit { theta: (0..d).map(|q| scale[q] * u[q]).collect(), var, log_marginal: loglik - 0.5 * uu - 0.5 * log_det }
}

fn softplus(x: f64) -> f64 {
    if x > 0.0 { x + (-x).exp().ln_1p() } else { x.exp().ln_1p() }
}

/// Lower-triangular Cholesky factor of the symmetric positive definite `a` (d × d).
fn cholesky(a: &[f64], d: usize, l: &mut [f64]) {
    l.iter_mut().for_each(|x| *x = 0.0);
    for i in 0..d {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * d + k] * l[j * d + k]).sum();
            if i == j {
                l[i * d + i] = (a[i * d + i] - s).max(1e-12).sqrt();
            } else {
                l[i * d + j] = (a[i * d + j] - s) / l[j * d + j];
            }
        }
    }
}

/// Solves (L Lᵀ) x = b in place.
fn cholesky_solve(l: &[f64], d: usize, b: &mut [f64]) {
    for i in 0..d {
        let s: f64 = (0..i).map(|k| l[i * d + k] * b[k]).sum();
        b[i] = (b[i] - s) / l[i * d + i];
    }
    for i in (0..d).rev() {
        let s: f64 = (i + 1..d).map(|k| l[k * d + i] * b[k]).sum();
        b[i] = (b[i] - s) / l[i * d + i];
    }
}

/// Every rep's parameter block.
fn blocks(rows: &Rows, n_segments: usize) -> Vec<(String, RepBlock)> {
    let mut by_rep: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in rows.rep.iter().enumerate() {
        by_rep.entry(r.as_str()).or_default().push(i);
    }
    let mut reps: Vec<&str> = by_rep.keys().copied().collect();
    reps.sort_unstable();
    reps.into_iter()
        .map(|rep| {
            let idx = by_rep.remove(rep).unwrap_or_default();
            let mut component = vec![0];
            let mut value = vec![String::new()];
            let mut index: HashMap<(usize, &str), u32> = HashMap::new();
            let mut params = Vec::with_capacity(idx.len() * (1 + n_segments));
            for &i in &idx {
                params.push(0);
                for s in 0..n_segments {
                    let v = rows.seg[i][s].as_str();
                    let q = *index.entry((s, v)).or_insert_with(|| {
                        component.push(1 + s);
                        value.push(v.to_string());
                        component.len() as u32 - 1
                    });
                    params.push(q);
                }
            }
            (rep.to_string(), RepBlock { rows: idx, params, component, value })
        })
        .collect()
}

/// Every rep fitted at the spreads `tau`, in parallel (the sum is taken in rep order, so it
/// is the same at any thread count), each from its `warm` fit when given.
fn fit_all(blocks: &[(String, RepBlock)], rows: &Rows, tau: &[f64], warm: Option<&[BlockFit]>) -> (Vec<BlockFit>, f64) {
    let fits: Vec<BlockFit> =
        blocks.par_iter().enumerate().map(|(k, (_, b))| fit_block(b, rows, tau, warm.map(|w| &w[k]))).collect();
    let total = fits.iter().map(|f| f.log_marginal).sum();
    (fits, total)
}

/// Largest spread searched (log-odds): reps whose effects differ by more are not seen in
/// sales data, and the prior stays proper.
const MAX_TAU: f64 = 3.0;

/// How thoroughly the spreads are searched: the whole history's fit searches finely; each
/// cross-validation fold (whose only use is the check) more coarsely.
#[derive(Debug, Clone, Copy)]
struct Search {
    grid_points: usize,
    golden: usize,
    rounds: usize,
    /// Intervals of the integration over each spread (its posterior mean).
    mean_points: usize,
}

const FINE: Search = Search { grid_points: 10, golden: 10, rounds: 2, mean_points: 24 };
const COARSE: Search = Search { grid_points: 6, golden: 6, rounds: 1, mean_points: 12 };

/// Each spread's posterior mean under a flat prior on [0, MAX_TAU], the others held at the
/// maximum of the marginal likelihood: the Laplace marginal likelihood integrated along
/// that spread (trapezoids from 0 to where it has fallen e^-12 below its peak).
/// The maximum itself sits at zero whenever the data cannot rule zero out, which throws
/// away a component the data only weakly support; the mean cannot collapse so, and where
/// the data pin the spread down the two agree.
fn posterior_mean_spreads(blocks: &[(String, RepBlock)], rows: &Rows, mode: &[f64], points: usize) -> Vec<f64> {
    let (warm, peak) = fit_all(blocks, rows, mode, None);
    let mut mean = mode.to_vec();
    for c in 0..mode.len() {
        let at = |t: f64| {
            let mut v = mode.to_vec();
            v[c] = t;
            fit_all(blocks, rows, &v, Some(&warm)).1
        };
        let mut upper = (2.0 * mode[c]).clamp(0.05, MAX_TAU);
        while upper < MAX_TAU && at(upper) > peak - 12.0 {
            upper = (upper * 1.5).min(MAX_TAU);
        }
        let ts: Vec<f64> = (0..=points).map(|k| upper * k as f64 / points as f64).collect();
        let ls: Vec<f64> = ts.iter().map(|&t| at(t)).collect();
        let top = ls.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = ls.iter().map(|l| (l - top).exp()).collect();
        let (mut num, mut den) = (0.0, 0.0);
        for k in 0..points {
            let h = ts[k + 1] - ts[k];
            num += 0.5 * h * (ts[k] * w[k] + ts[k + 1] * w[k + 1]);
            den += 0.5 * h * (w[k] + w[k + 1]);
        }
        if den > 0.0 {
            mean[c] = num / den;
        }
    }
    mean
}

/// The spreads that maximise the Laplace marginal likelihood, one component at a time
/// (a grid over the log spread and zero, then golden-section refinement), in rounds.
fn choose_spreads(blocks: &[(String, RepBlock)], rows: &Rows, n_components: usize, search: Search) -> (Vec<f64>, f64) {
    let mut tau = vec![0.3; n_components];
    let (mut warm, mut best) = fit_all(blocks, rows, &tau, None);
    let points = search.grid_points;
    let grid: Vec<f64> = (0..points).map(|k| 0.01 * (MAX_TAU / 0.01f64).powf(k as f64 / (points - 1) as f64)).collect();
    for _round in 0..search.rounds {
        let before = best;
        for c in 0..n_components {
            let at = |t: f64, tau: &[f64]| {
                let mut v = tau.to_vec();
                v[c] = t;
                fit_all(blocks, rows, &v, Some(&warm)).1
            };
            // Grid, zero included.
            let mut scores: Vec<(f64, f64)> = grid.iter().map(|&t| (t, at(t, &tau))).collect();
            let zero = at(0.0, &tau);
            let (k, &(mut t_best, mut v_best)) =
                scores.iter().enumerate().max_by(|a, b| a.1.1.total_cmp(&b.1.1).then(b.0.cmp(&a.0))).unwrap();
            // Golden section on log τ between the grid neighbours.
            let (mut lo, mut hi) = (grid[k.saturating_sub(1)].ln(), grid[(k + 1).min(grid.len() - 1)].ln());
            let g = 0.618_033_988_749_895;
            let (mut x1, mut x2) = (hi - g * (hi - lo), lo + g * (hi - lo));
            let (mut f1, mut f2) = (at(x1.exp(), &tau), at(x2.exp(), &tau));
            for _ in 0..search.golden {
                if f1 >= f2 {
                    hi = x2;
                    (x2, f2) = (x1, f1);
                    x1 = hi - g * (hi - lo);
                    f1 = at(x1.exp(), &tau);
                } else {
                    lo = x1;
                    (x1, f1) = (x2, f2);
                    x2 = lo + g * (hi - lo);
                    f2 = at(x2.exp(), &tau);
                }
            }
            scores.push((x1.exp(), f1));
            scores.push((x2.exp(), f2));
            for &(t, v) in &scores {
                if v > v_best {
                    (t_best, v_best) = (t, v);
                }
            }
            if zero >= v_best {
                (t_best, v_best) = (0.0, zero);
            }
            tau[c] = t_best;
            (warm, best) = fit_all(blocks, rows, &tau, Some(&warm));
            debug_assert!((best - v_best).abs() < 1e-3 * best.abs().max(1.0));
        }
        if best - before < 1e-3 {
            break;
        }
    }
    (tau, best)
}

/// Upper tail of the standard normal.
fn normal_upper(x: f64) -> f64 {
    // Abramowitz & Stegun 7.1.26 for erfc, |error| < 1.5e-7.
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly =
        t * (0.254_829_592 + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erfc = poly * (-z * z).exp();
    if x >= 0.0 { 0.5 * erfc } else { 1.0 - 0.5 * erfc }
}

/// Fits the hierarchical model: spreads by marginal likelihood, then every rep's effects at
/// those spreads, and for each spread a likelihood-ratio test against zero.
fn fit(rows: &Rows, segments: Vec<String>, out_of_fold: bool) -> Skill {
    fit_with(rows, segments, out_of_fold, true)
}

/// [`fit`]; with `test` false the spreads are searched more coarsely and not tested (each
/// cross-validation fold chooses its own spreads: the whole history's would leak the
/// held-out deals into the check).
fn fit_with(rows: &Rows, segments: Vec<String>, out_of_fold: bool, test: bool) -> Skill {
    let n_components = 1 + segments.len();
    let blocks = blocks(rows, segments.len());
    let search = if test { FINE } else { COARSE };
    let (mode, best) = choose_spreads(&blocks, rows, n_components, search);
    let tau = posterior_mean_spreads(&blocks, rows, &mode, search.mean_points);
    let spreads: Vec<Spread> = (0..n_components)
        .map(|c| {
            let lr = if mode[c] > 0.0 && test {
                let mut t = mode.clone();
                t[c] = 0.0;
                (2.0 * (best - fit_all(&blocks, rows, &t, None).1)).max(0.0)
            } else {
                0.0
            };
            // Against a spread of zero (on the boundary): half a χ²₁ tail.
            let p_value = if lr > 0.0 { normal_upper(lr.sqrt()) } else { 1.0 };
            Spread { sd: tau[c], lr, p_value }
        })
        .collect();
    // The effects at the estimated spreads: posterior means, shrunk as far as the data say
    // (a spread not distinguishable from zero still shrinks hard, and the cross-validation
    // decides whether the effects route leads at all).
    let (fits, _) = fit_all(&blocks, rows, &tau, None);

    let mut overall = HashMap::new();
    let mut by_segment = HashMap::new();
    for ((rep, b), f) in blocks.iter().zip(&fits) {
        for q in 0..b.dim() {
            let members: Vec<usize> = b
                .rows
                .iter()
                .enumerate()
                .filter(|(j, _)| q == 0 || b.params[j * n_components + b.component[q]] as usize == q)
                .map(|(_, &i)| i)
                .collect();
            let e = Effect {
                effect: f.theta[q],
                sd: f.var[q].max(0.0).sqrt(),
                deals: members.len(),
                wins: members.iter().filter(|&&i| rows.y[i]).count(),
                expected_wins: members.iter().map(|&i| sigmoid(rows.offset[i])).sum(),
            };
            if q == 0 {
                overall.insert(rep.clone(), e);
            } else {
                by_segment.insert((rep.clone(), segments[b.component[q] - 1].clone(), b.value[q].clone()), e);
            }
        }
    }
    Skill {
        segments,
        overall,
        by_segment,
        spread_overall: spreads[0].sd,
        spread_segment: spreads[1..].iter().map(|s| s.sd).collect(),
        spreads,
        out_of_fold,
        holdout: None,
        unused_because: None,
        decay: None,
    }
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
        assert_eq!(skill.effect("nobody", &["x"]).0, 0.0);
    }

    /// A team of real size: `reps` reps with `per_rep` closed deals each over 8 industries,
    /// true effects per rep × industry of standard deviation `spread`, lead scores spread
    /// like a real model's. Returns the rows and the true effect of each (rep, industry).
    fn team(reps: usize, per_rep: usize, spread: f64, seed: u64) -> (Rows, HashMap<(String, String), f64>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let normal = |rng: &mut rand_chacha::ChaCha8Rng| {
            let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        };
        let mut truth = HashMap::new();
        for r in 0..reps {
            for k in 0..8 {
                truth.insert((format!("r{r}"), format!("i{k}")), spread * normal(&mut rng));
            }
        }
        let mut rows = Rows { rep: vec![], y: vec![], w: vec![], offset: vec![], seg: vec![] };
        for r in 0..reps {
            for _ in 0..per_rep {
                let industry = format!("i{}", rng.random_range(0..8));
                let offset = -0.5 + 1.2 * normal(&mut rng);
                let effect = truth[&(format!("r{r}"), industry.clone())];
                rows.y.push(rng.random::<f64>() < sigmoid(offset + effect));
                rows.rep.push(format!("r{r}"));
                rows.w.push(1.0);
                rows.offset.push(offset);
                rows.seg.push(vec![industry]);
            }
        }
        (rows, truth)
    }

    fn correlation(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
        let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
        let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
        cov / (va * vb).sqrt()
    }

    /// The regression behind the rewrite: at 150 deals per rep and 8 segment values the old
    /// moment estimate read real differences as noise and shrank every effect to zero.
    #[test]
    fn skill_at_real_team_sizes_is_found_not_shrunk_away() {
        let (rows, truth) = team(40, 150, 0.5, 3);
        let skill = fit(&rows, vec!["industry".into()], true);
        let industry = skill.spreads[1];
        assert!(industry.sd > 0.25 && industry.sd < 0.8, "spread by industry {:?}", industry);
        assert!(industry.distinguishable(), "{industry:?}");
        let (mut est, mut real) = (Vec::new(), Vec::new());
        for ((rep, value), t) in &truth {
            est.push(skill.effect(rep, &[value.as_str()]).0);
            real.push(*t);
        }
        let c = correlation(&est, &real);
        assert!(c > 0.55, "estimated and true effects correlate: {c}");
        // Shrunk, but not to nothing: the estimates spread about as the truth does, less.
        let sd = (est.iter().map(|e| e * e).sum::<f64>() / est.len() as f64).sqrt();
        assert!(sd > 0.15 && sd < 0.5, "spread of the estimates {sd}");
    }

    #[test]
    fn no_difference_between_reps_is_not_distinguishable_and_effects_vanish() {
        let (rows, _) = team(35, 190, 0.0, 5);
        let skill = fit(&rows, vec!["industry".into()], true);
        for sp in &skill.spreads {
            assert!(!sp.distinguishable(), "{sp:?}");
            assert!(sp.sd < 0.15, "{sp:?}");
        }
        let largest = skill.by_segment.values().map(|e| e.effect.abs()).fold(0.0, f64::max);
        assert!(largest < 0.1, "largest effect {largest}");
    }

    #[test]
    fn held_out_check_sees_real_skill_and_not_its_absence() {
        let (rows, _) = team(40, 150, 0.6, 9);
        let h = holdout(&rows, vec!["industry".into()], 1).unwrap();
        assert_eq!((h.deals, h.folds, h.repeats), (6000, 5, 5));
        assert!(h.gain > 2.0 * h.se, "real skill predicts deals it was not fitted on: {h:?}");
        let (rows, _) = team(40, 150, 0.0, 9);
        let h = holdout(&rows, vec!["industry".into()], 1).unwrap();
        assert!(h.gain <= 0.0, "no skill, no gain: {h:?}");
        assert!(holdout(&rows.subset(&(0..150).collect::<Vec<_>>()), vec![], 1).is_none());
    }

    /// The posterior mean of a spread: positive where the maximum is at zero (weak support
    /// is not thrown away), and where the data pin the spread down, close to the maximum.
    #[test]
    fn a_spread_is_its_posterior_mean_which_cannot_collapse() {
        // Small true spread, few deals: the maximum of the marginal likelihood at zero.
        let mut collapsed = 0;
        for seed in 0..6 {
            let (rows, _) = team(20, 60, 0.15, 100 + seed);
            let b = blocks(&rows, 1);
            let (mode, _) = choose_spreads(&b, &rows, 2, COARSE);
            let mean = posterior_mean_spreads(&b, &rows, &mode, 24);
            assert!(mean[1] > 0.0 && mean[1] < 0.6, "seed {seed}: mode {mode:?}, mean {mean:?}");
            if mode[1] == 0.0 {
                collapsed += 1;
                assert!(mean[1] > 0.03, "seed {seed}: a maximum at zero, a mean of {}", mean[1]);
            }
        }
        assert!(collapsed > 0, "some of these small teams have their maximum at zero");
        // Plenty of deals: the mean sits near the maximum.
        let (rows, _) = team(40, 400, 0.5, 7);
        let b = blocks(&rows, 1);
        let (mode, _) = choose_spreads(&b, &rows, 2, FINE);
        let mean = posterior_mean_spreads(&b, &rows, &mode, 24);
        assert!((mean[1] - mode[1]).abs() < 0.1 * mode[1], "mode {mode:?}, mean {mean:?}");
    }

    /// The rule that switches skill off, read off the evidence.
    #[test]
    fn skill_is_switched_off_only_when_the_evidence_is_against_it() {
        // Three spreads tested: one counts below 0.05 / 3.
        let with = |gain: f64, se: f64, p_value: f64| Skill {
            spreads: vec![
                Spread { sd: 0.1, lr: 0.5, p_value: 0.4 },
                Spread { sd: 0.3, lr: 1.0, p_value },
                Spread { sd: 0.1, lr: 0.5, p_value: 0.3 },
            ],
            holdout: Some(Holdout { deals: 2000, folds: 5, repeats: 1, gain, se }),
            ..Skill::default()
        };
        // Better than the lead scores beyond the noise: on, whatever the spreads say.
        assert!(unused_because(&with(4.0, 3.0, 0.5), 2000).is_none());
        // Worse beyond the noise: off, whatever the spreads say.
        assert!(unused_because(&with(-5.0, 3.0, 0.001), 2000).unwrap().contains("worse"));
        // Within the noise: a spread that counts decides.
        assert!(unused_because(&with(-1.0, 3.0, 0.01), 2000).is_none());
        assert!(unused_because(&with(1.0, 3.0, 0.01), 2000).is_none());
        let off = unused_because(&with(1.0, 3.0, 0.04), 2000).unwrap();
        assert!(off.contains("no better") && off.contains("smallest p = 0.040, needed below 0.017"), "{off}");
        assert!(unused_because(&with(-1.0, 3.0, 0.3), 2000).is_some());
        // Too few deals to cross-validate: the spreads alone decide.
        let few = |p_value: f64| Skill { holdout: None, ..with(0.0, 0.0, p_value) };
        assert!(unused_because(&few(0.3), 150).unwrap().contains("150 closed deals"));
        assert!(unused_because(&few(0.01), 150).is_none());
    }

    #[test]
    fn laplace_marginal_likelihood_of_one_block_matches_numerical_integration() {
        // One rep, one parameter (overall), prior sd 0.7: ∫ Π p(y|θ) N(θ; 0, 0.7²) dθ.
        let mut rows = Rows { rep: vec![], y: vec![], w: vec![], offset: vec![], seg: vec![] };
        for i in 0..60 {
            rows.rep.push("a".into());
            rows.y.push(i % 3 == 0);
            rows.w.push(1.0);
            rows.offset.push(-0.4 + 0.02 * i as f64);
            rows.seg.push(vec![]);
        }
        let b = &blocks(&rows, 0)[0].1;
        let f = fit_block(b, &rows, &[0.7], None);
        let loglik = |t: f64| -> f64 {
            (0..60)
                .map(|i| {
                    let eta = rows.offset[i] + t;
                    (if rows.y[i] { eta } else { 0.0 }) - softplus(eta)
                })
                .sum()
        };
        let (mut integral, step) = (0.0, 0.001);
        let mut t: f64 = -5.0;
        while t < 5.0 {
            let prior = (-(t * t) / (2.0 * 0.49)).exp() / (0.7 * (std::f64::consts::TAU).sqrt());
            integral += (loglik(t)).exp() * prior * step;
            t += step;
        }
        assert!((f.log_marginal - integral.ln()).abs() < 0.02, "{} vs {}", f.log_marginal, integral.ln());
        assert!(f.theta[0] < 0.0 && f.var[0] > 0.0 && f.var[0] < 0.49);
    }
}
