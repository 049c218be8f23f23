//! A batch's clock: when each rep can start on each lead, what the wait costs, and which
//! owned leads missed their SLA.
//!
//! A plan takes effect at `at` (`assign --at`, default now). A lead's clock starts at
//! max(`at`, its `created_at`), rounded up to a whole minute; `available_at(lead, rep)` is the
//! first minute from then when the rep is on shift and not away ([`crate::calendar`]). A rep
//! who cannot start within `[timing] horizon_hours` of the lead's start may not take it (an
//! eligibility bar, so every policy and the checker see it). Leads that start at the same
//! minute form one *time class* and share their availability, computed once per class × rep:
//! a batch routed at `at` whose leads all arrived before it is one class.
//!
//! Speed-to-lead: p_win with a rep is multiplied by 0.5^(delay / half-life), the delay being
//! the hours from `created_at` to `available_at`. It splits into the lead's age when its clock
//! starts (a factor per lead) and its wait for the rep (a factor per class × rep), which is
//! how [`Decay`] keeps it without a lead × rep table.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use jiff::tz::TimeZone;
use rayon::prelude::*;

use crate::calendar::{self, Availability, Calendar, HOUR, Secs, When};
use crate::config::{Config, DEFAULT_HALF_LIFE_HOURS, SlaClock};
use crate::data::{DateReader, Leads, Reps, find_column};
use crate::eligibility::{Bar, Eligibility};
use crate::error::InputError;
use crate::io::Table;

/// Largest class × rep table of availability kept; beyond it each is computed when asked.
const MAX_TABLE: usize = 16 << 20;

/// No available minute within the horizon.
const NONE: Secs = Secs::MIN;

/// Most class × rep labels of `available_at` kept.
const MAX_LABELS: usize = 1 << 20;

/// Where the half-life of p_win came from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HalfLifeSource {
    /// `[timing] response_half_life_hours`.
    Config,
    /// Estimated from the history's first responses.
    History,
    /// Neither: the default.
    Default,
}

/// The half-life of p_win in hours of waiting (`inf`: no decay), and why that one.
#[derive(Debug, Clone, PartialEq)]
pub struct HalfLife {
    pub hours: f64,
    pub source: HalfLifeSource,
    /// What was estimated from the history, whether or not it is used.
    pub estimate: Option<DecayEstimate>,
}

impl HalfLife {
    /// What the lead scores' log-odds are shifted by before the decay applies: the history's
    /// own waits undone ([`DecayEstimate::shifts`]), at this half-life; 0 when the history
    /// does not say when its deals were answered.
    pub fn shift(&self) -> f64 {
        self.estimate.as_ref().map_or(0.0, |e| e.shift_at(self.hours))
    }
}

impl HalfLife {
    /// The config's half-life, else the history's estimate when it can be used, else the
    /// default; with a warning when the default decides or the config and history disagree.
    pub fn resolve(cfg: &Config, estimate: Option<DecayEstimate>, warnings: &mut Vec<String>) -> HalfLife {
        if let Some(h) = cfg.timing.as_ref().and_then(|t| t.response_half_life_hours) {
            if let Some(e) = estimate.as_ref().filter(|e| e.supported) {
                let (lo, hi) = e.interval_hours();
                if h < lo || h > hi {
                    warnings.push(format!(
                        "[timing] response_half_life_hours = {} in {}, but the history's first responses put it at {} \
                         (90 % interval {} to {}); the config's value is used",
                        fmt_hours(h),
                        cfg.describe(),
                        fmt_hours(e.half_life_hours),
                        fmt_hours(lo),
                        fmt_hours(hi)
                    ));
                }
            }
            return HalfLife { hours: h, source: HalfLifeSource::Config, estimate };
        }
        match estimate {
            Some(e) if e.supported => {
                HalfLife { hours: e.half_life_hours, source: HalfLifeSource::History, estimate: Some(e) }
            }
            other => {
                let why = match &other {
                    Some(e) => format!("the history's first responses cannot pin it down ({})", e.why_not()),
                    None => "neither [timing] response_half_life_hours nor the history's first_response_at says".into(),
                };
                warnings.push(format!(
                    "p_win halves every {} hours a lead waits (the default): {why}; set [timing] \
                     response_half_life_hours to change it",
                    fmt_hours(DEFAULT_HALF_LIFE_HOURS)
                ));
                HalfLife { hours: DEFAULT_HALF_LIFE_HOURS, source: HalfLifeSource::Default, estimate: other }
            }
        }
    }

    /// "24 h (the default)", "12.3 h (from the history)", "none (config)".
    pub fn describe(&self) -> String {
        format!("{} ({})", self.hours_text(), self.source_text())
    }

    /// "12.5 h", or "none" for no decay.
    pub fn hours_text(&self) -> String {
        if self.hours.is_finite() { format!("{} h", fmt_hours(self.hours)) } else { "none".into() }
    }

    /// Where the half-life came from, in words.
    pub fn source_text(&self) -> &'static str {
        match self.source {
            HalfLifeSource::Config => "set by [timing] response_half_life_hours",
            HalfLifeSource::History => "estimated from the history's first responses",
            HalfLifeSource::Default => "the default, as neither the config nor the history says",
        }
    }
}

/// Hours for a person: `24`, `12.5`, `0.75`.
pub fn fmt_hours(h: f64) -> String {
    if !h.is_finite() {
        return "∞".into();
    }
    let r = (h * 100.0).round() / 100.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else if (r * 10.0).fract() == 0.0 {
        format!("{r:.1}")
    } else {
        format!("{r:.2}")
    }
}

/// The speed-to-lead decay estimated from a history: deals with when they were created and
/// first answered, their out-of-fold lead scores as an offset.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DecayEstimate {
    /// Closed deals with a first response used.
    pub deals: usize,
    /// Median and 90th percentile of their delays, hours.
    pub median_delay_hours: f64,
    pub p90_delay_hours: f64,
    /// The estimated half-life (`inf` when the best fit is no decay) and its 90 % interval
    /// (JSON writes no decay as `null`).
    #[serde(with = "infinite_as_null")]
    pub half_life_hours: f64,
    #[serde(with = "infinite_as_null")]
    pub half_life_low: f64,
    #[serde(with = "infinite_as_null")]
    pub half_life_high: f64,
    /// Whether the data pin it down well enough to route on.
    pub supported: bool,
    /// The lead scores' shift in log-odds that undoes the history's own waits, at each rate
    /// of decay (per hour) tried: (rate, shift), rates increasing. The scores learnt what
    /// leads converted at *after* their historical waits; routing that applies the wait's
    /// decay itself adds the shift back so as not to count the waits twice.
    #[serde(default)]
    pub shifts: Vec<(f64, f64)>,
}

/// An `f64` whose infinity (no decay) is `null` in JSON, which has no infinity.
mod infinite_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if x.is_finite() { s.serialize_f64(*x) } else { s.serialize_none() }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::INFINITY))
    }
}

/// Fewest deals with a first response the estimate needs.
pub const MIN_DECAY_DEALS: usize = 200;

impl DecayEstimate {
    pub fn interval_hours(&self) -> (f64, f64) {
        (self.half_life_low, self.half_life_high)
    }

    /// Why the estimate is not used, in words.
    pub fn why_not(&self) -> String {
        if self.deals < MIN_DECAY_DEALS {
            format!("{} closed deals with a first response, fewer than {MIN_DECAY_DEALS}", self.deals)
        } else if self.p90_delay_hours - self.median_delay_hours < 1.0 {
            format!(
                "their delays hardly differ (median {} h, 90th percentile {} h)",
                fmt_hours(self.median_delay_hours),
                fmt_hours(self.p90_delay_hours)
            )
        } else {
            format!(
                "{} deals put it between {} and {} h (90 %)",
                self.deals,
                fmt_hours(self.half_life_low),
                fmt_hours(self.half_life_high)
            )
        }
    }

    /// The scores' shift at a half-life (interpolated between the rates tried; 0 with none).
    pub fn shift_at(&self, half_life_hours: f64) -> f64 {
        let k = if half_life_hours.is_finite() { std::f64::consts::LN_2 / half_life_hours } else { 0.0 };
        let s = &self.shifts;
        match s.iter().position(|&(r, _)| r >= k) {
            None => s.last().map_or(0.0, |x| x.1),
            Some(0) => s.first().map_or(0.0, |x| x.1),
            Some(i) => {
                let ((k0, c0), (k1, c1)) = (s[i - 1], s[i]);
                c0 + (c1 - c0) * (k - k0) / (k1 - k0).max(1e-300)
            }
        }
    }

    /// One line for reports.
    pub fn describe(&self) -> String {
        format!(
            "{} closed deals with a first response (median delay {} h, 90th percentile {} h): half-life {} h, 90 % \
             interval {} to {} h{}",
            self.deals,
            fmt_hours(self.median_delay_hours),
            fmt_hours(self.p90_delay_hours),
            fmt_hours(self.half_life_hours),
            fmt_hours(self.half_life_low),
            fmt_hours(self.half_life_high),
            if self.supported { "" } else { " — too uncertain to route on" }
        )
    }
}

/// Fits P(won) = sigmoid(z + c) × e^(−k × delay) by maximum likelihood over the rate k ≥ 0
/// and an intercept c (which absorbs the history's average wait, already in the scores),
/// with each deal's out-of-fold log-odds `z` as an offset, so a rep who answered the hot
/// leads fastest does not make speed look better than it is. `delay` in hours. The 90 %
/// interval of k is from the profile likelihood (a drop of 1.35 in log-likelihood).
pub fn estimate_decay(z: &[f64], won: &[bool], delay: &[f64], weight: &[f64]) -> DecayEstimate {
    let n = z.len();
    let mut sorted: Vec<f64> = delay.to_vec();
    sorted.sort_by(f64::total_cmp);
    let q = |p: f64| if sorted.is_empty() { 0.0 } else { sorted[((sorted.len() - 1) as f64 * p).round() as usize] };
    let (median, p90) = (q(0.5), q(0.9));
    // The log-likelihood at rate k, maximised over the intercept c by Newton steps.
    let profile = |k: f64, c0: f64| -> (f64, f64) {
        let mut c = c0;
        let ll = |c: f64| -> (f64, f64, f64) {
            let (mut l, mut g, mut h) = (0.0, 0.0, 0.0);
            for i in 0..n {
                let s = 1.0 / (1.0 + (-(z[i] + c)).exp());
                let d = (-k * delay[i]).exp();
                let p = (s * d).clamp(1e-12, 1.0 - 1e-12);
                let w = weight[i];
                // dp/dc = s(1 − s) d
                let dp = s * (1.0 - s) * d;
                let d2p = dp * (1.0 - 2.0 * s);
                if won[i] {
                    l += w * p.ln();
                    g += w * dp / p;
                    h += w * (d2p / p - (dp / p).powi(2));
                } else {
                    l += w * (1.0 - p).ln();
                    g -= w * dp / (1.0 - p);
                    h -= w * (d2p / (1.0 - p) + (dp / (1.0 - p)).powi(2));
                }
            }
            (l, g, h)
        };
        for _ in 0..30 {
            let (_, g, h) = ll(c);
            if h >= 0.0 || !g.is_finite() {
                break;
            }
            let step = (-g / h).clamp(-2.0, 2.0);
            c += step;
            if step.abs() < 1e-9 {
                break;
            }
        }
        (ll(c).0, c)
    };
    // Search k on a log grid (half-lives from 10 minutes to ~1,000 h, and none), then refine
    // by golden section around the best.
    let rate = |h: f64| std::f64::consts::LN_2 / h;
    let mut grid: Vec<f64> = vec![0.0];
    let mut h = 1.0 / 6.0;
    while h < 2000.0 {
        grid.push(rate(h));
        h *= 1.25;
    }
    grid.sort_by(f64::total_cmp);
    let mut c = 0.0;
    let mut shifts = Vec::with_capacity(grid.len());
    let lls: Vec<(f64, f64)> = grid
        .iter()
        .map(|&k| {
            let (l, c1) = profile(k, c);
            c = c1;
            shifts.push((k, c1));
            (k, l)
        })
        .collect();
    let best = lls.iter().enumerate().max_by(|a, b| a.1.1.total_cmp(&b.1.1)).map_or(0, |(i, _)| i);
    let (mut lo, mut hi) = (grid[best.saturating_sub(1)], grid[(best + 1).min(grid.len() - 1)]);
    let f = |k: f64| profile(k, 0.0).0;
    for _ in 0..40 {
        let (a, b) = (lo + 0.382 * (hi - lo), lo + 0.618 * (hi - lo));
        if f(a) > f(b) {
            hi = b;
        } else {
            lo = a;
        }
    }
    let k_hat = (lo + hi) / 2.0;
    let l_hat = f(k_hat).max(lls[best].1);
    // Profile interval: where the log-likelihood falls 1.35 below its maximum (χ²₁ 90 %).
    let drop = 1.35;
    let cross = |mut a: f64, mut b: f64| {
        // a inside (above the cut), b outside.
        for _ in 0..50 {
            let m = (a + b) / 2.0;
            if f(m) >= l_hat - drop {
                a = m;
            } else {
                b = m;
            }
        }
        (a + b) / 2.0
    };
    let k_low = if f(0.0) >= l_hat - drop { 0.0 } else { cross(k_hat, 0.0) };
    let k_max = rate(1.0 / 60.0);
    let k_high = if f(k_max) >= l_hat - drop { k_max } else { cross(k_hat, k_max) };
    let to_h = |k: f64| if k <= 0.0 { f64::INFINITY } else { std::f64::consts::LN_2 / k };
    let (half_life, low, high) = (to_h(k_hat), to_h(k_high), to_h(k_low));
    // Routed on when there are enough deals whose delays differ, and the interval is
    // narrow: its rates no further apart than a day's half-life from each other.
    let supported = n >= MIN_DECAY_DEALS && p90 - median >= 1.0 && k_high - k_low <= rate(DEFAULT_HALF_LIFE_HOURS);
    DecayEstimate {
        deals: n,
        median_delay_hours: median,
        p90_delay_hours: p90,
        half_life_hours: half_life,
        half_life_low: low,
        half_life_high: high,
        supported,
        shifts,
    }
}

/// An SLA an owned lead missed: its owner and for how long it went untouched.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaMissed {
    pub owner: usize,
    pub untouched: Secs,
}

/// The batch's clock.
#[derive(Debug)]
pub struct Timing {
    /// When the plan takes effect.
    pub at: Secs,
    pub horizon: Secs,
    /// The zone of timestamps without an offset.
    pub zone: TimeZone,
    /// Each lead's `created_at` as an instant (`None` without one: its clock starts at `at`).
    pub created: Vec<Option<Secs>>,
    /// Leads already worked (a `touched_at` in the owners' file): the decay prices the wait
    /// for a first call, which they had; their p_win does not decay (reps who cannot start
    /// within the horizon are still barred).
    pub touched: Vec<bool>,
    /// Each lead's time class, and each class's start and whether its leads were worked.
    class_of: Vec<u32>,
    class_start: Vec<Secs>,
    class_touched: Vec<bool>,
    /// Per class × rep, the first available minute within the horizon ([`NONE`] for none),
    /// when the table is small enough to keep.
    next: Option<Vec<Secs>>,
    n_reps: usize,
    avail: Vec<Availability>,
    /// Each rep's calendar, absences included.
    pub calendars: Vec<Calendar>,
    /// Active reps with no available minute in `[at, at + horizon]`.
    pub away_for_horizon: Vec<usize>,
    /// Owned leads that missed their SLA.
    pub sla: Vec<Option<SlaMissed>>,
    /// The SLA in hours, and how it is counted, when set.
    pub sla_hours: Option<(f64, SlaClock)>,
    /// Owned leads whose SLA could not be checked (no assigned_at).
    pub sla_unchecked: usize,
    /// Per class × rep, `available_at` as written (UTC) and on the rep's wall clock, when the
    /// table is kept: a million leads share a few thousand of them.
    labels: Option<Vec<Labels>>,
}

/// A class × rep's `available_at` in words: as written (UTC) and on the rep's wall clock, and
/// when the rep's absence at the class's start ends, if they are away then.
#[derive(Debug, Clone, Default)]
struct Labels {
    utc: Option<String>,
    local: Option<String>,
    away_until: Option<String>,
}

/// What a batch's clock is built from.
pub struct ClockInput<'a> {
    pub at: Secs,
    pub cfg: &'a Config,
    pub leads: &'a Leads,
    pub reps: &'a Reps,
    /// The table each owned lead's owner came from, and its row there (the leads file, or
    /// `--current`), for `assigned_at` and `touched_at`.
    pub owners: Option<(&'a Table, &'a [Option<usize>])>,
}

impl Timing {
    /// The clock of a batch: absences read, availability computed per time class, SLAs
    /// checked. Leads created after `at` start their clock at creation (counted in a warning).
    pub fn build(input: &ClockInput, warnings: &mut Vec<String>) -> Result<Timing> {
        let ClockInput { at, cfg, leads, reps, owners } = *input;
        let tc = cfg.timing();
        let zone = cfg.default_zone()?;
        let horizon = (tc.horizon_hours * HOUR as f64).round() as Secs;
        let mut calendars = reps.calendar.clone();
        if let Some(path) = cfg.availability.as_ref().and_then(|a| a.away.as_ref()) {
            read_away(&cfg.resolve(path), reps, &mut calendars)?;
        }
        let created = created_instants(leads, cfg, &zone)?;
        let future = created.iter().flatten().filter(|&&c| c > at).count();
        if future > 0 {
            warnings.push(format!(
                "{}: {future} leads were created after --at ({}); their clock starts when they were created (a \
                 created_at without an offset is read in {}: set [timing] time_zone if that is wrong)",
                leads.table.path().display(),
                calendar::fmt_instant(at),
                zone.iana_name().unwrap_or("UTC")
            ));
        }
        // Leads that waited longer than the horizon before the plan: an old batch replayed at
        // today's clock, or deals long in progress, whose every p_win would decay to almost
        // nothing.
        let mut ages: Vec<Secs> = created.iter().flatten().map(|&c| (at - c).max(0)).collect();
        if !ages.is_empty() {
            ages.sort_unstable();
            let old = ages.iter().filter(|&&a| a > horizon).count();
            if old * 2 > ages.len() {
                warnings.push(format!(
                    "{}: {old} of {} dated leads were created more than {} hours before --at ({}; median {} days): \
                     p_win decays with that wait for a first call; to replay an old batch, pass --at at its time; \
                     deals already being worked need a touched_at (then they do not decay)",
                    leads.table.path().display(),
                    ages.len(),
                    fmt_hours(horizon as f64 / HOUR as f64),
                    calendar::fmt_instant(at),
                    fmt_hours((ages[ages.len() / 2] as f64 / calendar::DAY as f64 * 10.0).round() / 10.0)
                ));
            }
        }
        let touched: Vec<bool> =
            match owners.and_then(|(table, rows)| find_column(table, cfg, "touched_at").map(|c| (table, rows, c))) {
                Some((table, rows, c)) => {
                    rows.iter().map(|r| r.is_some_and(|row| !table.cell(row, c).trim().is_empty())).collect()
                }
                None => vec![false; leads.len()],
            };
        // Time classes: leads whose clock starts at the same minute (and worked already, or not).
        let start: Vec<Secs> = created.iter().map(|c| calendar::ceil_minute(c.unwrap_or(at).max(at))).collect();
        let mut index: HashMap<(Secs, bool), u32> = HashMap::new();
        let mut class_start = Vec::new();
        let mut class_touched = Vec::new();
        let class_of: Vec<u32> = start
            .iter()
            .zip(&touched)
            .map(|(&s, &w)| {
                let next = class_start.len() as u32;
                *index.entry((s, w)).or_insert_with(|| {
                    class_start.push(s);
                    class_touched.push(w);
                    next
                })
            })
            .collect();
        let from = class_start.iter().copied().min().unwrap_or(at).min(at);
        let to = class_start.iter().copied().max().unwrap_or(at).max(at) + horizon + calendar::MINUTE;
        let avail: Vec<Availability> = calendars.par_iter().map(|c| Availability::new(c, from, to)).collect();
        let n_reps = reps.len();
        let within = |c: Secs, r: usize| avail[r].next(c).filter(|&x| x <= c + horizon);
        let next = (class_start.len() * n_reps <= MAX_TABLE).then(|| {
            class_start.par_iter().flat_map_iter(|&c| (0..n_reps).map(move |r| within(c, r).unwrap_or(NONE))).collect()
        });
        let away_for_horizon: Vec<usize> =
            (0..n_reps).filter(|&r| reps.active[r] && within(calendar::ceil_minute(at), r).is_none()).collect();
        let mut t = Timing {
            at,
            horizon,
            zone,
            created,
            touched,
            class_of,
            class_start,
            class_touched,
            next,
            n_reps,
            avail,
            calendars,
            away_for_horizon,
            sla: vec![None; leads.len()],
            sla_hours: tc.sla_hours.map(|h| (h, tc.sla_clock)),
            sla_unchecked: 0,
            labels: None,
        };
        if t.next.is_some() && t.n_classes() * n_reps <= MAX_LABELS {
            let labels = (0..t.n_classes() * n_reps)
                .into_par_iter()
                .map(|k| {
                    let (c, r) = (k / n_reps.max(1), k % n_reps.max(1));
                    let zone = &t.calendars[r].zone;
                    let at = t.next_in_class(c, r);
                    Labels {
                        utc: at.map(calendar::fmt_instant),
                        local: at.map(|a| calendar::fmt_local(a, zone)),
                        away_until: t.away_until_words(r, t.class_start[c]),
                    }
                })
                .collect();
            t.labels = Some(labels);
        }
        if let (Some((hours, clock)), Some(owners)) = (t.sla_hours, owners) {
            t.check_slas(cfg, leads, reps, owners, hours, clock, warnings)?;
        }
        Ok(t)
    }

    pub fn n_classes(&self) -> usize {
        self.class_start.len()
    }

    /// The lead's time class.
    pub fn class_of(&self, lead: usize) -> usize {
        self.class_of[lead] as usize
    }

    /// When the lead's clock starts: max(`at`, created_at), to the minute.
    pub fn start(&self, lead: usize) -> Secs {
        self.class_start[self.class_of[lead] as usize]
    }

    /// The first minute from a class's start when the rep is available, within the horizon.
    pub fn next_in_class(&self, class: usize, rep: usize) -> Option<Secs> {
        match &self.next {
            Some(t) => Some(t[class * self.n_reps + rep]).filter(|&x| x != NONE),
            None => {
                let s = self.class_start[class];
                self.avail[rep].next(s).filter(|&x| x <= s + self.horizon)
            }
        }
    }

    /// `available_at`: the first minute from the lead's start when the rep is on shift and
    /// not away, if within the horizon.
    pub fn available_at(&self, lead: usize, rep: usize) -> Option<Secs> {
        self.next_in_class(self.class_of(lead), rep)
    }

    /// `available_at` of the lead with the rep as written in output files (UTC).
    pub fn available_at_text(&self, lead: usize, rep: usize) -> Option<std::borrow::Cow<'_, str>> {
        let c = self.class_of(lead);
        match &self.labels {
            Some(l) => l[c * self.n_reps + rep].utc.as_deref().map(Into::into),
            None => self.next_in_class(c, rep).map(|a| calendar::fmt_instant(a).into()),
        }
    }

    /// `available_at` of the lead with the rep on the rep's wall clock, for people.
    pub fn available_at_local(&self, lead: usize, rep: usize) -> Option<std::borrow::Cow<'_, str>> {
        let c = self.class_of(lead);
        match &self.labels {
            Some(l) => l[c * self.n_reps + rep].local.as_deref().map(Into::into),
            None => self.next_in_class(c, rep).map(|a| calendar::fmt_local(a, &self.calendars[rep].zone).into()),
        }
    }

    /// When the rep's absence at the lead's start ends, on the rep's wall clock ("Mon 14 Dec
    /// 00:00 London time"), if they are away then (an open-ended absence: "further notice").
    pub fn away_until(&self, lead: usize, rep: usize) -> Option<std::borrow::Cow<'_, str>> {
        let c = self.class_of(lead);
        match &self.labels {
            Some(l) => l[c * self.n_reps + rep].away_until.as_deref().map(Into::into),
            None => self.away_until_words(rep, self.class_start[c]).map(Into::into),
        }
    }

    fn away_until_words(&self, rep: usize, t: Secs) -> Option<String> {
        self.away_at(rep, t).map(|end| {
            if end < Secs::MAX / 2 {
                calendar::fmt_local(end, &self.calendars[rep].zone)
            } else {
                "further notice".to_string()
            }
        })
    }

    /// Seconds from the lead's creation (its start without one, or when it was worked
    /// already) to `available_at`: the delay the decay prices.
    pub fn delay(&self, lead: usize, rep: usize) -> Option<Secs> {
        let a = self.available_at(lead, rep)?;
        Some(a - self.born(lead).min(a))
    }

    /// When the wait the decay prices began: the lead's creation, or its start when it has
    /// none or was worked already.
    pub fn born(&self, lead: usize) -> Secs {
        let start = self.start(lead);
        match self.created[lead] {
            Some(c) if !self.touched[lead] => c.min(start),
            _ => start,
        }
    }

    /// The first minute at or after `t` the rep is available, however far (within the
    /// window the clock was built for).
    pub fn next_available(&self, rep: usize, t: Secs) -> Option<Secs> {
        self.avail[rep].next(t)
    }

    /// Whether the rep is available at `t`.
    pub fn available(&self, rep: usize, t: Secs) -> bool {
        self.avail[rep].at(t)
    }

    /// Whether a rep is away (not merely off shift) at `t`.
    pub fn away_at(&self, rep: usize, t: Secs) -> Option<Secs> {
        self.calendars[rep].away().iter().filter(|&&(s, e)| s <= t && t < e).map(|s| s.1).max()
    }

    /// A rep's state at the plan's start in words: "on shift", "off shift until Mon 30 Nov
    /// 09:00 New York time", "away until …", "away for the whole horizon".
    pub fn status(&self, rep: usize) -> String {
        let at = calendar::ceil_minute(self.at);
        let cal = &self.calendars[rep];
        match self.next_available(rep, at) {
            Some(t) if t == at => "on shift".into(),
            Some(t) if t <= at + self.horizon => {
                let state = if self.away_at(rep, at).is_some() { "away" } else { "off shift" };
                format!("{state} until {}", calendar::fmt_local(t, &cal.zone))
            }
            _ => match self.away_at(rep, at) {
                Some(end) if end < Secs::MAX / 2 => {
                    format!("away for the whole horizon (until {})", calendar::fmt_local(end, &cal.zone))
                }
                Some(_) => "away for the whole horizon".into(),
                None => "not on shift within the horizon".into(),
            },
        }
    }

    /// Each lead's eligibility group (its class's set of reps available within the horizon,
    /// and an SLA-missed owner), and what bars a rep from a group, for
    /// [`Eligibility::restrict`].
    pub fn bar(&self, elig: &mut Eligibility, reps: &Reps) {
        let n = self.n_reps;
        // Reps reachable from each class, as a bit set; classes with the same set share a group.
        let mut sets: HashMap<Vec<u64>, u32> = HashMap::new();
        let mut set_of_class = Vec::with_capacity(self.n_classes());
        let mut members: Vec<Vec<u64>> = Vec::new();
        for c in 0..self.n_classes() {
            let mut bits = vec![0u64; n.div_ceil(64)];
            for r in 0..n {
                if self.next_in_class(c, r).is_some() {
                    bits[r / 64] |= 1 << (r % 64);
                }
            }
            let next = members.len() as u32;
            let id = *sets.entry(bits.clone()).or_insert_with(|| {
                members.push(bits);
                next
            });
            set_of_class.push(id);
        }
        let mut groups: HashMap<(u32, u32), u32> = HashMap::new();
        let mut group_key: Vec<(u32, u32, usize)> = Vec::new();
        let group_of: Vec<u32> = (0..self.class_of.len())
            .map(|l| {
                let c = self.class_of[l] as usize;
                let sla = self.sla[l].as_ref().map_or(u32::MAX, |s| s.owner as u32);
                let key = (set_of_class[c], sla);
                let next = group_key.len() as u32;
                *groups.entry(key).or_insert_with(|| {
                    group_key.push((key.0, key.1, c));
                    next
                })
            })
            .collect();
        let horizon_h = fmt_hours(self.horizon as f64 / HOUR as f64);
        let barred = |g: u32, r: usize| -> Option<Bar> {
            let (set, sla, class) = group_key[g as usize];
            if sla == r as u32 {
                return Some(Bar::Sla(format!("{} missed the SLA on it", reps.id[r])));
            }
            if members[set as usize][r / 64] & (1 << (r % 64)) == 0 {
                let start = self.class_start[class];
                let why = match self.away_at(r, start) {
                    Some(end) if end < Secs::MAX / 2 => {
                        format!("is away until {}", calendar::fmt_local(end, &self.calendars[r].zone))
                    }
                    Some(_) => "is away".to_string(),
                    None => "is not on shift".to_string(),
                };
                return Some(Bar::Time(format!(
                    "{} {why}: it cannot start within the {horizon_h}-hour horizon",
                    reps.id[r]
                )));
            }
            None
        };
        elig.restrict(&group_of, barred);
    }

    /// The decay of p_win at this half-life (and the scores' shift that goes with it).
    pub fn decay(self: &Arc<Self>, half_life: &HalfLife) -> Decay {
        Decay::new(Arc::clone(self), half_life.hours, half_life.shift())
    }

    #[allow(clippy::too_many_arguments)]
    fn check_slas(
        &mut self,
        cfg: &Config,
        leads: &Leads,
        reps: &Reps,
        (table, rows): (&Table, &[Option<usize>]),
        hours: f64,
        clock: SlaClock,
        warnings: &mut Vec<String>,
    ) -> Result<()> {
        let owned: Vec<usize> = (0..leads.len()).filter(|&l| leads.owner[l].is_some() && rows[l].is_some()).collect();
        if owned.is_empty() {
            return Ok(());
        }
        let assigned_col = find_column(table, cfg, "assigned_at");
        let touched_col = find_column(table, cfg, "touched_at");
        let (Some(ac), Some(tc)) = (assigned_col, touched_col) else {
            let missing: Vec<&str> = [("assigned_at", assigned_col), ("touched_at", touched_col)]
                .into_iter()
                .filter(|(_, c)| c.is_none())
                .map(|(n, _)| n)
                .collect();
            return Err(InputError::at(
                table.path(),
                Some(1),
                format!(
                    "[timing] sla_hours = {} in {} needs the owners' {} (the columns {}), which {} does not have; \
                     expected when each owner got its lead and first worked it (empty: not yet)",
                    fmt_hours(hours),
                    cfg.describe(),
                    missing.join(" and "),
                    missing.join(", "),
                    table.path().display()
                ),
            )
            .into());
        };
        let reader_a = DateReader::for_column(table, cfg, ac)?;
        let limit = (hours * HOUR as f64).round() as Secs;
        let mut unchecked = 0;
        for &l in &owned {
            let row = rows[l].expect("owned rows are known");
            let Some(assigned) = instant_cell(table, row, ac, &reader_a, &self.zone)? else {
                unchecked += 1;
                continue;
            };
            if !table.cell(row, tc).trim().is_empty() {
                continue;
            }
            let Some(owner) = leads.owner[l].as_deref().and_then(|o| reps.find(o)) else { continue };
            let untouched = match clock {
                SlaClock::Plain => self.at - assigned,
                SlaClock::Working => {
                    let cal = &self.calendars[owner];
                    Availability::new(cal, assigned, self.at.max(assigned)).within(assigned, self.at)
                }
            };
            if untouched > limit {
                self.sla[l] = Some(SlaMissed { owner, untouched });
            }
        }
        if unchecked > 0 {
            warnings.push(format!(
                "{}: {unchecked} owned leads have no assigned_at, so their SLA is not checked",
                table.path().display()
            ));
        }
        self.sla_unchecked = unchecked;
        Ok(())
    }

    /// "SLA missed: untouched 26 h after R003 got it" for a lead that missed it.
    pub fn sla_words(&self, lead: usize, reps: &Reps) -> Option<String> {
        let s = self.sla[lead].as_ref()?;
        let counted = match self.sla_hours {
            Some((_, SlaClock::Working)) => " working",
            _ => "",
        };
        Some(format!(
            "SLA missed: untouched {}{counted} h after {} got it",
            fmt_hours((s.untouched as f64 / HOUR as f64 * 10.0).round() / 10.0),
            reps.id[s.owner]
        ))
    }
}

/// The decay factor of p_win for every lead × rep: the lead's age factor × its class's wait
/// factor for the rep (0 when the rep cannot start within the horizon).
#[derive(Debug, Clone)]
pub struct Decay {
    timing: Arc<Timing>,
    pub half_life_hours: f64,
    /// Added to the lead scores' log-odds before the decay applies ([`HalfLife::shift`]).
    pub shift: f64,
    age: Vec<f64>,
    /// Per class × rep, when small enough to keep.
    wait: Option<Vec<f64>>,
    /// Every rep that can start waits the same in each class (see [`Decay::uniform`]).
    uniform: bool,
}

impl Decay {
    pub fn new(timing: Arc<Timing>, half_life_hours: f64, shift: f64) -> Decay {
        let k =
            if half_life_hours.is_finite() { std::f64::consts::LN_2 / (half_life_hours * HOUR as f64) } else { 0.0 };
        let age = (0..timing.created.len()).map(|l| (-k * (timing.start(l) - timing.born(l)) as f64).exp()).collect();
        let worked = |c: usize| timing.class_touched[c];
        let n = timing.n_reps;
        let wait = timing.next.as_ref().map(|next| {
            next.par_iter()
                .enumerate()
                .map(|(i, &x)| {
                    let c = i / n.max(1);
                    match x {
                        NONE => 0.0,
                        _ if worked(c) => 1.0,
                        _ => (-k * (x - timing.class_start[c]) as f64).exp(),
                    }
                })
                .collect()
        });
        let mut d = Decay { timing, half_life_hours, shift, age, wait, uniform: false };
        d.uniform = d.rate() == 0.0
            || (0..d.timing.n_classes()).all(|c| {
                let mut waits = (0..d.timing.n_reps).map(|r| d.wait_factor(c, r)).filter(|&w| w > 0.0);
                let first = waits.next();
                waits.all(|w| Some(w) == first)
            });
        d
    }

    pub fn timing(&self) -> &Timing {
        &self.timing
    }

    /// A lead score with the history's waits undone ([`Decay::shift`]), before the decay of
    /// this wait applies.
    pub fn rescore(&self, score: f64) -> f64 {
        if self.shift == 0.0 {
            return score;
        }
        let e = self.shift.exp();
        score * e / (1.0 - score + score * e)
    }

    /// Whether the class × rep wait factors are tabulated.
    pub fn has_table(&self) -> bool {
        self.wait.is_some()
    }

    /// The class × rep wait factors, when tabulated (row `class × reps`).
    pub fn wait_table(&self) -> Option<&[f64]> {
        self.wait.as_deref()
    }

    fn rate(&self) -> f64 {
        if self.half_life_hours.is_finite() {
            std::f64::consts::LN_2 / (self.half_life_hours * HOUR as f64)
        } else {
            0.0
        }
    }

    /// The factor p_win of `lead` with `rep` is multiplied by.
    #[inline]
    pub fn factor(&self, lead: usize, rep: usize) -> f64 {
        self.age[lead] * self.wait_factor(self.timing.class_of(lead), rep)
    }

    /// The lead's age factor: what it lost before its clock started.
    pub fn age(&self, lead: usize) -> f64 {
        self.age[lead]
    }

    /// A class's wait factor for a rep.
    #[inline]
    pub fn wait_factor(&self, class: usize, rep: usize) -> f64 {
        match &self.wait {
            Some(w) => w[class * self.timing.n_reps + rep],
            None => match self.timing.next_in_class(class, rep) {
                Some(_) if self.timing.class_touched[class] => 1.0,
                Some(x) => (-self.rate() * (x - self.timing.class_start[class]) as f64).exp(),
                None => 0.0,
            },
        }
    }

    /// Whether, in every time class, every rep that can start within the horizon waits the
    /// same (so time does not tell reps apart).
    pub fn uniform(&self) -> bool {
        self.uniform
    }
}

/// Each lead's `created_at` as an instant: a cell with `Z` or an offset as written, one
/// without in `zone`.
pub fn created_instants(leads: &Leads, cfg: &Config, zone: &TimeZone) -> Result<Vec<Option<Secs>>> {
    let Some(col) = find_column(&leads.table, cfg, "created_at") else { return Ok(vec![None; leads.len()]) };
    Ok((0..leads.len())
        .into_par_iter()
        .with_min_len(4096)
        .map(|l| {
            let naive = leads.created_at[l]?;
            Some(with_offset(leads.table.cell(l, col)).unwrap_or_else(|| zoned(naive, zone)))
        })
        .collect())
}

/// The instant of a cell that carries `Z` or an offset after its time.
fn with_offset(cell: &str) -> Option<Secs> {
    let t = cell.trim().as_bytes();
    let offset =
        t.len() > 16 && (matches!(t[t.len() - 1], b'Z' | b'z') || t[16..].iter().any(|&b| b == b'+' || b == b'-'));
    if offset { calendar::instant(cell) } else { None }
}

/// A wall-clock time in `zone` as an instant (a time the clocks skip is read as the one
/// after the jump; a repeated one as the first).
pub fn zoned(dt: chrono::NaiveDateTime, zone: &TimeZone) -> Secs {
    use chrono::{Datelike, Timelike};
    let civil = jiff::civil::date(dt.year() as i16, dt.month() as i8, dt.day() as i8).at(
        dt.hour() as i8,
        dt.minute() as i8,
        dt.second() as i8,
        0,
    );
    zone.to_timestamp(civil).map_or(0, jiff::Timestamp::as_second)
}

/// A timestamp cell as an instant: with an offset as written, else a date in the column's
/// style read in `zone`; `None` when empty.
pub fn instant_cell(
    table: &Table,
    row: usize,
    col: usize,
    reader: &DateReader,
    zone: &TimeZone,
) -> Result<Option<Secs>> {
    let cell = table.cell(row, col);
    if cell.trim().is_empty() {
        return Ok(None);
    }
    if let Some(t) = with_offset(cell) {
        return Ok(Some(t));
    }
    Ok(reader.cell(table, row, col)?.map(|dt| zoned(dt, zone)))
}

/// Reads the absences file into the reps' calendars: `rep_id,start,end`, `*` for everyone;
/// dates are whole days in the rep's zone (end included), date-times with an offset instants,
/// without one the rep's wall clock; an empty end is open-ended.
pub fn read_away(path: &Path, reps: &Reps, calendars: &mut [Calendar]) -> Result<()> {
    let table = Table::read(path, "absences")?;
    let col = |name: &str| -> Result<usize> {
        table.column(name).ok_or_else(|| {
            InputError::at(
                path,
                Some(1),
                format!(
                    "missing column {name:?}; an absences file has the columns rep_id,start,end (one absence per \
                     row, * as rep_id for everyone); this one has: {}",
                    table.headers().join(", ")
                ),
            )
            .into()
        })
    };
    let (rc, sc, ec) = (col("rep_id")?, col("start")?, col("end")?);
    const EXPECTED: &str = "a date like 2026-12-24 (a whole day in the rep's time zone) or a date-time like \
                            2026-12-24T13:00:00+01:00";
    for row in 0..table.len() {
        let id = table.cell(row, rc).trim();
        let who: Vec<usize> = match id {
            "" => {
                return Err(table
                    .cell_error(row, rc, "rep_id is empty; expected a rep of the reps file or * for everyone")
                    .into());
            }
            "*" => (0..reps.len()).collect(),
            _ => vec![reps.find(id).ok_or_else(|| {
                table.cell_error(
                    row,
                    rc,
                    format!(
                        "{id:?} is not a rep in {}; expected a rep_id of the reps file, or * for everyone",
                        reps.table.path().display()
                    ),
                )
            })?],
        };
        let when = |c: usize, open: bool| -> Result<Option<When>> {
            let cell = table.cell(row, c);
            if cell.trim().is_empty() {
                return if open {
                    Ok(None)
                } else {
                    Err(table.cell_error(row, c, format!("start is empty; expected {EXPECTED}")).into())
                };
            }
            calendar::parse_when(cell)
                .map(Some)
                .ok_or_else(|| table.cell_error(row, c, format!("expected {EXPECTED}, found {:?}", cell.trim())).into())
        };
        let start = when(sc, false)?.expect("a start is required");
        let end = when(ec, true)?;
        for r in who {
            let cal = &mut calendars[r];
            let span = match &end {
                Some(e) => cal.absence(&start, e),
                None => (cal.absence(&start, &start).0, Secs::MAX / 2),
            };
            if span.1 <= span.0 {
                return Err(table
                    .cell_error(
                        row,
                        ec,
                        format!(
                            "the absence ends ({}) before it starts ({}); expected an end on or after the start",
                            table.cell(row, ec).trim(),
                            table.cell(row, sc).trim()
                        ),
                    )
                    .into());
            }
            cal.add_away(span);
        }
    }
    Ok(())
}

/// `--at`: an ISO 8601 date-time with `Z` or an offset, as an instant; what was wrong otherwise.
pub fn parse_at(text: &str) -> std::result::Result<Secs, String> {
    if let Some(t) = calendar::instant(text) {
        return Ok(t);
    }
    let bare = text.trim().parse::<jiff::civil::DateTime>().is_ok() || text.trim().parse::<jiff::civil::Date>().is_ok();
    Err(if bare {
        format!(
            "--at {text:?} has no UTC offset; expected a date-time with one, like 2026-11-30T09:00:00Z or \
             2026-11-30T09:00:00-05:00 (a plan starts at one instant, wherever its reps are)"
        )
    } else {
        format!("--at {text:?} is not a date-time; expected ISO 8601 with an offset, like 2026-11-30T09:00:00Z")
    })
}

/// The instant `now`: `SOURCE_DATE_EPOCH` when set (reproducible runs), else the clock.
pub fn now() -> Secs {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| jiff::Timestamp::now().as_second())
}

/// The path of the absences file a config names, resolved, if any.
pub fn away_path(cfg: &Config) -> Option<PathBuf> {
    cfg.availability.as_ref().and_then(|a| a.away.as_ref()).map(|p| cfg.resolve(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decay_is_estimated_with_scores_as_an_offset() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let truth_h = 12.0;
        let n = 8000;
        let (mut z, mut won, mut delay) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..n {
            let zi: f64 = rng.random_range(-2.5..0.5);
            // Hot leads answered faster: confounding the naive estimate.
            let d: f64 = if zi > -0.5 { rng.random_range(0.0..6.0) } else { rng.random_range(0.0..48.0) };
            let p = 1.0 / (1.0 + (-zi).exp()) * 0.5f64.powf(d / truth_h);
            z.push(zi);
            delay.push(d);
            won.push(rng.random::<f64>() < p);
        }
        let e = estimate_decay(&z, &won, &delay, &vec![1.0; n]);
        assert!(e.supported, "{e:?}");
        assert!(e.half_life_low < truth_h && truth_h < e.half_life_high, "{e:?}");
        assert!((e.half_life_hours - truth_h).abs() < 4.0, "{e:?}");
        // No decay at all: the estimate's interval reaches no decay, or very long half-lives.
        let won0: Vec<bool> = z.iter().map(|&zi| rng.random::<f64>() < 1.0 / (1.0 + (-zi).exp())).collect();
        let e0 = estimate_decay(&z, &won0, &delay, &vec![1.0; n]);
        assert!(e0.half_life_high > 200.0, "{e0:?}");
        // Too few deals: not supported.
        let e1 = estimate_decay(&z[..100], &won[..100], &delay[..100], &[1.0; 100]);
        assert!(!e1.supported && e1.why_not().contains("fewer than"), "{e1:?}");
    }

    #[test]
    fn at_needs_an_offset() {
        assert_eq!(parse_at("2026-11-30T14:00:00Z"), Ok(1_796_047_200));
        assert_eq!(parse_at("2026-11-30T09:00:00-05:00"), Ok(1_796_047_200));
        assert!(parse_at("2026-11-30T09:00:00").unwrap_err().contains("no UTC offset"));
        assert!(parse_at("next monday").unwrap_err().contains("not a date-time"));
        assert_eq!(with_offset("2026-11-30T09:00:00-05:00"), Some(1_796_047_200));
        assert_eq!(with_offset("2026-11-30T09:00:00"), None);
        assert_eq!(with_offset("2026-11-30"), None);
    }
}
