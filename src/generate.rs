//! `generate`: a synthetic sales world with a hidden ground truth.
//!
//! Reps have territories, capacities and a true skill by industry and company size. Leads
//! have features whose true conversion depends on them non-linearly. History was logged by
//! a *confounded* policy: senior reps were handed the hot leads, so raw win rates flatter
//! them although seniority carries no skill. The truth is written in factored form, so the
//! true P(win) of any lead × rep is
//!
//! ```text
//! p = sigmoid(base_logit[lead] + effect[rep, "*"] + effect[rep, industry] + effect[rep, company_size])
//! ```
//!
//! and no lead × rep table is ever built. Rows are generated in fixed-size chunks, each from
//! its own seeded random stream, in parallel; the output depends only on the seed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::error::UsageError;
use crate::io::write_atomic;
use crate::progress::Progress;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateSettings {
    pub out: PathBuf,
    pub seed: u64,
    pub leads: usize,
    pub reps: usize,
    pub history: usize,
    /// Standard deviation of the reps' true effect per industry (log-odds).
    pub skill_spread: f64,
    /// Large and enterprise leads cost 2 and 3 workload units instead of 1.
    pub varied_workload: bool,
    /// Extra columns of pure noise (alternately numeric and categorical) that carry no
    /// signal, for benchmarks and for checking that the model ignores them.
    pub noise_features: usize,
    /// Which segments carry the reps' skill.
    pub skill_in: SkillIn,
    /// The last this many reps of `reps.csv` are new: no history row names them.
    pub new_reps: usize,
    /// Reps with time zones, working hours (one night shift among them) and absences, a
    /// batch of a weekend's leads routed on Monday morning ([`CALENDAR_AT`]), and p_win
    /// halving every this many hours a lead waits (the history records first responses).
    pub calendars: Option<f64>,
}

impl GenerateSettings {
    /// Settings that cannot make a world, as a usage error.
    pub fn check(&self) -> std::result::Result<(), UsageError> {
        if !(self.skill_spread.is_finite() && self.skill_spread >= 0.0) {
            return Err(UsageError(format!("the skill spread must be a finite number ≥ 0, got {}", self.skill_spread)));
        }
        if self.new_reps >= self.reps && self.reps > 0 {
            return Err(UsageError(format!(
                "new reps must be fewer than all reps ({}), got {}",
                self.reps, self.new_reps
            )));
        }
        if let Some(h) = self.calendars.filter(|h| !(h.is_finite() && *h > 0.0)) {
            return Err(UsageError(format!("the true half-life must be a number of hours > 0, got {h}")));
        }
        Ok(())
    }
}

/// When a calendar world's batch is routed: Monday 30 November 2026, 08:00 UTC.
pub const CALENDAR_AT: &str = "2026-11-30T08:00:00Z";

/// Time zones by region (weights within the region).
const ZONES: [&[(&str, f64)]; 4] = [
    &[("America/New_York", 0.6), ("America/Chicago", 0.25), ("America/Los_Angeles", 0.15)],
    &[("Europe/London", 0.5), ("Europe/Berlin", 0.5)],
    &[("Asia/Singapore", 0.6), ("Australia/Sydney", 0.4)],
    &[("America/Sao_Paulo", 1.0)],
];
/// Weekly hours and how often reps keep them; one is a night shift.
const HOURS: [(&str, f64); 5] = [
    ("Mon-Fri 09:00-17:00", 0.60),
    ("Mon-Fri 08:00-12:30; Mon-Fri 13:30-17:30", 0.12),
    ("Mon-Fri 07:00-15:00", 0.10),
    ("Tue-Sat 10:00-18:00", 0.08),
    ("Sun-Thu 22:00-06:00", 0.10),
];

/// A rep's calendar in a calendar world: zone, hours, and an absence around the batch.
#[derive(Debug, Clone)]
struct RepCalendar {
    zone: &'static str,
    hours: &'static str,
    /// (start, end) as the absences file writes them.
    away: Option<(&'static str, &'static str)>,
}

fn gen_calendars(seed: u64, reps: &[Rep]) -> Vec<RepCalendar> {
    let mut rng = rng_for(seed, 5, 0);
    reps.iter()
        .map(|r| {
            let region = match r.territories.first() {
                Some(&t) => t,
                None => pick(&mut rng, &REGION_W),
            };
            let zones = ZONES[region];
            let zone = zones[pick(&mut rng, &zones.iter().map(|z| z.1).collect::<Vec<_>>())].0;
            let hours = HOURS[pick(&mut rng, &HOURS.map(|h| h.1))].0;
            let u = rng.random::<f64>();
            // A tenth on a three-week holiday (away the whole horizon), a tenth back on
            // Wednesday, a few out on Monday morning.
            let away = if u < 0.10 {
                Some(("2026-11-21", "2026-12-13"))
            } else if u < 0.20 {
                Some(("2026-11-26", "2026-12-01"))
            } else if u < 0.24 {
                Some(("2026-11-30T00:00:00Z", "2026-11-30T16:00:00Z"))
            } else {
                None
            };
            RepCalendar { zone, hours, away }
        })
        .collect()
}

/// Each rep's calendar as the tool reads it (zone, hours; absences left out: the history
/// predates them).
fn calendars_of(cals: &[RepCalendar]) -> Vec<crate::calendar::Calendar> {
    cals.iter()
        .map(|c| {
            crate::calendar::Calendar::new(
                crate::calendar::zone(c.zone).expect("a known zone"),
                crate::calendar::WorkingHours::parse(c.hours).expect("valid hours"),
            )
        })
        .collect()
}

/// Which segments carry the reps' true skill (the overall effect is there in every case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SkillIn {
    /// Industry (spread × N(0,1)) and company size (0.6 × spread × N(0,1)).
    #[default]
    Both,
    /// Industry only.
    Industry,
    /// Company size only, at the full spread.
    CompanySize,
}

/// Counts of what was written.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateSummary {
    pub leads: usize,
    pub reps: usize,
    pub history: usize,
    pub history_won: usize,
    pub history_lost: usize,
    pub history_open: usize,
}

pub const INDUSTRIES: [&str; 8] =
    ["fintech", "healthcare", "retail", "manufacturing", "software", "education", "logistics", "media"];
const INDUSTRY_W: [f64; 8] = [0.14, 0.13, 0.14, 0.13, 0.16, 0.09, 0.11, 0.10];
const INDUSTRY_EFFECT: [f64; 8] = [0.2, -0.1, -0.3, 0.0, 0.3, -0.4, -0.1, 0.0];
pub const SIZES: [&str; 5] = ["micro", "small", "mid", "large", "enterprise"];
const SIZE_W: [f64; 5] = [0.25, 0.30, 0.25, 0.13, 0.07];
const SIZE_EFFECT: [f64; 5] = [-0.3, 0.1, 0.3, 0.1, -0.2];
const SIZE_EMPLOYEES: [(f64, f64); 5] = [(1.0, 10.0), (11.0, 50.0), (51.0, 200.0), (201.0, 1000.0), (1001.0, 20000.0)];
const SIZE_VALUE: [f64; 5] = [2_000.0, 6_000.0, 15_000.0, 40_000.0, 120_000.0];
/// "NA" is North America: a value, never a missing cell.
pub const REGIONS: [&str; 4] = ["NA", "EMEA", "APAC", "LATAM"];
const REGION_W: [f64; 4] = [0.40, 0.30, 0.20, 0.10];
const PRODUCTS: [&str; 3] = ["core", "analytics", "enterprise_suite"];
const PRODUCT_VALUE: [f64; 3] = [1.0, 1.4, 2.2];
const SOURCES: [&str; 5] = ["inbound", "outbound", "referral", "event", "partner"];
const SOURCE_W: [f64; 5] = [0.35, 0.25, 0.12, 0.13, 0.15];
const SOURCE_EFFECT: [f64; 5] = [0.3, -0.7, 0.9, 0.1, 0.4];
const TITLES: [&str; 5] = ["c_level", "vp", "director", "manager", "individual"];
const TITLE_W: [f64; 5] = [0.08, 0.14, 0.22, 0.30, 0.26];
const TITLE_EFFECT: [f64; 5] = [0.3, 0.35, 0.2, 0.0, -0.4];
const SENIORITY: [&str; 3] = ["junior", "mid", "senior"];
const SENIORITY_W: [f64; 3] = [0.3, 0.4, 0.3];
const FIRST: [&str; 16] = [
    "Ava", "Ben", "Chloe", "Diego", "Emma", "Farid", "Grace", "Hiro", "Isla", "Jonas", "Kemi", "Liam", "Maya",
    "Nikolai", "Olivia", "Priya",
];
const LAST: [&str; 16] = [
    "Chen", "Okafor", "Novak", "Garcia", "Schmidt", "Haddad", "Kim", "Tanaka", "Murphy", "Berg", "Adeyemi", "Walsh",
    "Rossi", "Ivanov", "Dubois", "Sharma",
];

/// Rows per generated chunk; each chunk has its own random stream.
const CHUNK: usize = 20_000;

/// Lead columns shared by the batch and the history, after the canonical ones.
const FEATURE_HEADER: [&str; 13] = [
    "industry",
    "company_size",
    "region",
    "product",
    "lead_source",
    "job_title",
    "employees",
    "page_views",
    "demo_requested",
    "email_opens",
    "webinar_attended",
    "last_touch_days",
    "email",
];

#[derive(Debug, Clone)]
struct Rep {
    id: String,
    name: String,
    seniority: usize,
    /// Region indices covered; empty means all ('*').
    territories: Vec<usize>,
    capacity: u64,
    open_leads: u32,
    active: bool,
    weight: f64,
    general: f64,
    by_industry: [f64; 8],
    by_size: [f64; 5],
}

impl Rep {
    fn covers(&self, region: usize) -> bool {
        self.territories.is_empty() || self.territories.contains(&region)
    }

    fn effect(&self, lead: &Lead) -> f64 {
        self.general + self.by_industry[lead.industry] + self.by_size[lead.size]
    }
}

#[derive(Debug, Clone)]
struct Lead {
    industry: usize,
    size: usize,
    region: usize,
    product: usize,
    source: usize,
    title: Option<usize>,
    employees: u64,
    page_views: Option<u32>,
    demo: bool,
    email_opens: u32,
    webinar: bool,
    last_touch_days: u32,
    value: f64,
    base_logit: f64,
}

fn rng_for(seed: u64, stream: u64, chunk: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(stream + 1));
    rng.set_stream(stream.wrapping_mul(1 << 40) ^ chunk);
    rng
}

fn pick(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    // Box–Muller; 1 - u keeps the logarithm finite.
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn gen_lead(rng: &mut ChaCha8Rng) -> Lead {
    let region = pick(rng, &REGION_W);
    let industry = pick(rng, &INDUSTRY_W);
    let size = pick(rng, &SIZE_W);
    let (lo, hi) = SIZE_EMPLOYEES[size];
    let employees = (lo.ln() + rng.random::<f64>() * (hi.ln() - lo.ln())).exp().round() as u64;
    let product = match size {
        0 | 1 => pick(rng, &[0.7, 0.25, 0.05]),
        2 => pick(rng, &[0.45, 0.4, 0.15]),
        _ => pick(rng, &[0.2, 0.35, 0.45]),
    };
    let source = pick(rng, &SOURCE_W);
    let title = (rng.random::<f64>() >= 0.03).then(|| pick(rng, &TITLE_W));
    let pv_mean = if source == 0 { 1.9 } else { 1.3 };
    let pv = (pv_mean + 0.9 * normal(rng)).exp().floor().min(400.0) as u32;
    let page_views = (rng.random::<f64>() >= 0.06).then_some(pv);
    let demo = rng.random::<f64>() < sigmoid(-2.2 + 0.12 * pv.min(25) as f64);
    let email_opens = (1.0 + 0.8 * normal(rng)).exp().floor().min(60.0) as u32;
    let webinar = rng.random::<f64>() < 0.15;
    let last_touch_days = (-(1.0 - rng.random::<f64>()).ln() * 12.0).floor().min(120.0) as u32;
    let value = (SIZE_VALUE[size] * PRODUCT_VALUE[product] * (0.35 * normal(rng)).exp()).round();

    // The hidden conversion model: saturating in page views, an interaction between a demo
    // request and a senior contact, a non-monotone company-size effect, decaying recency.
    let pv_eff = 1.3 * (1.0 - (-(pv as f64) / 8.0).exp()) - 0.35;
    let mut z = -1.75
        + SOURCE_EFFECT[source]
        + if page_views.is_some() { pv_eff } else { 0.0 }
        + if demo { 0.8 } else { 0.0 }
        + title.map(|t| TITLE_EFFECT[t]).unwrap_or(-0.1)
        + INDUSTRY_EFFECT[industry]
        + SIZE_EFFECT[size]
        + 0.07 * email_opens.min(10) as f64
        + if webinar { 0.25 } else { 0.0 }
        - 0.015 * last_touch_days as f64;
    if demo && matches!(title, Some(0 | 1)) {
        z += 0.45;
    }
    Lead {
        industry,
        size,
        region,
        product,
        source,
        title,
        employees,
        page_views,
        demo,
        email_opens,
        webinar,
        last_touch_days,
        value,
        base_logit: z,
    }
}

fn gen_reps(s: &GenerateSettings, departed: usize) -> Vec<Rep> {
    let mut rng = rng_for(s.seed, 1, 0);
    let total = s.reps + departed;
    let width = total.to_string().len().max(3);
    let mut reps: Vec<Rep> = (0..total)
        .map(|i| {
            let seniority = pick(&mut rng, &SENIORITY_W);
            let territories = if rng.random::<f64>() < 0.08 {
                Vec::new()
            } else {
                let first = pick(&mut rng, &REGION_W);
                let mut t = vec![first];
                if rng.random::<f64>() < 0.25 {
                    let second = pick(&mut rng, &REGION_W);
                    if second != first {
                        t.push(second);
                        t.sort_unstable();
                    }
                }
                t
            };
            let spread = s.skill_spread;
            // The same draws whatever `skill_in` says, scaled afterwards.
            let (industry_scale, size_scale) = match s.skill_in {
                SkillIn::Both => (1.0, 0.6),
                SkillIn::Industry => (1.0, 0.0),
                SkillIn::CompanySize => (0.0, 1.0),
            };
            let mut by_industry = [0.0; 8];
            for e in &mut by_industry {
                *e = industry_scale * spread * normal(&mut rng);
            }
            let mut by_size = [0.0; 5];
            for e in &mut by_size {
                *e = size_scale * spread * normal(&mut rng);
            }
            Rep {
                id: format!("R{:0width$}", i + 1),
                name: format!("{} {}", FIRST[rng.random_range(0..FIRST.len())], LAST[rng.random_range(0..LAST.len())]),
                seniority,
                territories,
                capacity: 0,
                open_leads: rng.random_range(0..=25),
                active: i >= s.reps || rng.random::<f64>() < 0.93,
                weight: [0.75, 1.0, 1.5][seniority],
                general: 0.25 * spread * normal(&mut rng),
                by_industry,
                by_size,
            }
        })
        .collect();
    if s.reps > 0 && !reps[..s.reps].iter().any(|r| r.active) {
        reps[0].active = true;
    }
    // Every region is covered by at least one active current rep.
    for region in 0..REGIONS.len() {
        let covered = reps[..s.reps].iter().any(|r| r.active && r.covers(region));
        if !covered && s.reps > 0 {
            let actives: Vec<usize> = (0..s.reps).filter(|&i| reps[i].active).collect();
            let r = actives[region % actives.len()];
            reps[r].territories.push(region);
            reps[r].territories.sort_unstable();
        }
    }
    // Capacity: about 10 % more than the batch needs, shared by weight with some noise.
    let expected_units = s.leads as f64 * if s.varied_workload { 1.25 } else { 1.0 };
    let shares: Vec<f64> = reps[..s.reps].iter().map(|r| r.weight * (0.7 + 0.6 * rng.random::<f64>())).collect();
    let active_share: f64 = shares.iter().zip(&reps).filter(|(_, r)| r.active).map(|(s, _)| s).sum();
    for (r, share) in reps.iter_mut().zip(&shares) {
        r.capacity = (1.1 * expected_units * share / active_share.max(1e-9)).ceil().max(1.0) as u64;
    }
    reps
}

/// The base-logit threshold above which a lead counts as hot for the logging policy: the
/// 70th percentile of a pilot sample.
fn hot_threshold(seed: u64) -> f64 {
    let mut rng = rng_for(seed, 2, 0);
    let mut z: Vec<f64> = (0..20_000).map(|_| gen_lead(&mut rng).base_logit).collect();
    z.sort_by(f64::total_cmp);
    z[z.len() * 7 / 10]
}

fn dt(s: &str) -> NaiveDateTime {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("valid constant date").and_hms_opt(0, 0, 0).expect("midnight")
}

fn fmt_dt(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn lead_fields(l: &Lead, n: usize) -> [String; 13] {
    [
        INDUSTRIES[l.industry].to_string(),
        SIZES[l.size].to_string(),
        REGIONS[l.region].to_string(),
        PRODUCTS[l.product].to_string(),
        SOURCES[l.source].to_string(),
        l.title.map(|t| TITLES[t].to_string()).unwrap_or_default(),
        l.employees.to_string(),
        l.page_views.map(|p| p.to_string()).unwrap_or_default(),
        if l.demo { "yes" } else { "no" }.to_string(),
        l.email_opens.to_string(),
        if l.webinar { "yes" } else { "no" }.to_string(),
        l.last_touch_days.to_string(),
        format!("contact{n}@company{}.example", n % 9973),
    ]
}

fn noise_header(n: usize) -> impl Iterator<Item = String> {
    (1..=n).map(|k| format!("noise_{k}"))
}

/// Appends `n` noise cells: odd columns a standard normal number, even ones one of six levels.
fn push_noise(text: &mut String, rng: &mut ChaCha8Rng, n: usize) {
    for k in 1..=n {
        if k % 2 == 1 {
            let _ = write!(text, ",{:.3}", normal(rng));
        } else {
            let _ = write!(text, ",n{k}_{}", ["a", "b", "c", "d", "e", "f"][rng.random_range(0..6)]);
        }
    }
}

/// Generates the world into `s.out` (created if missing).
pub fn generate(s: &GenerateSettings, progress: &Progress) -> Result<GenerateSummary> {
    s.check()?;
    std::fs::create_dir_all(s.out.join("truth"))
        .with_context(|| format!("cannot create the output folder {}", s.out.display()))?;
    let departed = if s.reps >= 4 { s.reps.div_ceil(12) } else { 0 };
    let reps = gen_reps(s, departed);
    let current = &reps[..s.reps];
    let cals = s.calendars.map(|_| gen_calendars(s.seed, &reps));

    write_reps(&s.out.join("reps.csv"), current, cals.as_deref())?;
    write_truth_effects(&s.out.join("truth").join("rep_effects.csv"), current)?;
    write_config(&s.out.join("leadroute.toml"), cals.is_some())?;
    write_truth_readme(&s.out.join("truth").join("README.md"), s.calendars)?;
    if let (Some(cals), Some(h)) = (&cals, s.calendars) {
        write_away(&s.out.join("away.csv"), current, cals)?;
        write_atomic(&s.out.join("truth").join("timing.toml"), |w| {
            writeln!(w, "# When the batch is routed, and how fast p_win decays while a lead waits.")?;
            writeln!(w, "at = {CALENDAR_AT:?}")?;
            writeln!(w, "response_half_life_hours = {h}")?;
            Ok(())
        })?;
    }

    let bar = progress.bar((s.history + s.leads) as u64, "generating");
    let (won, lost) = write_history(s, &reps, cals.as_deref(), &bar)?;
    write_batch(s, current, &bar)?;
    bar.finish();
    Ok(GenerateSummary {
        leads: s.leads,
        reps: s.reps,
        history: s.history,
        history_won: won,
        history_lost: lost,
        history_open: s.history - won - lost,
    })
}

fn write_reps(path: &Path, reps: &[Rep], cals: Option<&[RepCalendar]>) -> Result<()> {
    write_atomic(path, |w| {
        let mut out = csv::Writer::from_writer(w);
        let mut header =
            vec!["rep_id", "name", "seniority", "territories", "capacity", "open_leads", "active", "weight"];
        if cals.is_some() {
            header.extend(["time_zone", "working_hours"]);
        }
        out.write_record(&header)?;
        for (i, r) in reps.iter().enumerate() {
            let territories = if r.territories.is_empty() {
                "*".to_string()
            } else {
                r.territories.iter().map(|&t| REGIONS[t]).collect::<Vec<_>>().join(";")
            };
            let (capacity, open, weight) = (r.capacity.to_string(), r.open_leads.to_string(), r.weight.to_string());
            let mut row = vec![
                r.id.as_str(),
                &r.name,
                SENIORITY[r.seniority],
                &territories,
                &capacity,
                &open,
                if r.active { "true" } else { "false" },
                &weight,
            ];
            if let Some(c) = cals.map(|c| &c[i]) {
                row.extend([c.zone, c.hours]);
            }
            out.write_record(&row)?;
        }
        out.flush()?;
        Ok(())
    })
}

fn write_away(path: &Path, reps: &[Rep], cals: &[RepCalendar]) -> Result<()> {
    write_atomic(path, |w| {
        writeln!(w, "rep_id,start,end")?;
        for (r, c) in reps.iter().zip(cals) {
            if let Some((a, b)) = c.away {
                writeln!(w, "{},{a},{b}", r.id)?;
            }
        }
        // A company holiday: nobody works that Thursday, in any office.
        writeln!(w, "*,2026-12-03,2026-12-03")?;
        Ok(())
    })
}

fn write_truth_effects(path: &Path, reps: &[Rep]) -> Result<()> {
    write_atomic(path, |w| {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(["rep_id", "segment", "value", "effect"])?;
        for r in reps {
            out.write_record([r.id.as_str(), "*", "*", &format!("{:.6}", r.general)])?;
            for (i, e) in r.by_industry.iter().enumerate() {
                out.write_record([r.id.as_str(), "industry", INDUSTRIES[i], &format!("{e:.6}")])?;
            }
            for (i, e) in r.by_size.iter().enumerate() {
                out.write_record([r.id.as_str(), "company_size", SIZES[i], &format!("{e:.6}")])?;
            }
        }
        out.flush()?;
        Ok(())
    })
}

fn write_config(path: &Path, calendars: bool) -> Result<()> {
    write_atomic(path, |w| {
        w.write_all(
            br#"# leadroute config for a generated world.
[outcome]
won = ["won"]
lost = ["lost"]          # anything else ("open") is a deal still in progress

[features]
exclude = ["email"]      # an id-like contact column, never a feature
segments = ["industry", "company_size"]

[[eligibility]]          # a rep takes only leads from the regions in their territories
lead = "region"
rep = "territories"
"#,
        )?;
        if calendars {
            w.write_all(
                br#"
[timing]
time_zone = "UTC"        # created_at is written without an offset, in UTC
# response_half_life_hours is left to the history's first_response_at to estimate

[availability]
away = "away.csv"        # rep_id,start,end; * for everyone
"#,
            )?;
        }
        Ok(())
    })
}

fn write_truth_readme(path: &Path, half_life: Option<f64>) -> Result<()> {
    write_atomic(path, |w| {
        if let Some(h) = half_life {
            writeln!(
                w,
                "# Hidden truth of this generated world\n\nRouted at {CALENDAR_AT} (`timing.toml`), a lead that waits \
                 `delay` hours from its creation until its rep can start on it (the rep's working hours in their \
                 time zone, absences in `../away.csv`) is won with probability\n\n    p = sigmoid(base_logit[L] + \
                 effect[R, *] + effect[R, industry] + effect[R, company_size]) × 0.5^(delay / {h})\n\nIn the \
                 history, delay runs to `first_response_at`.\n"
            )?;
        }
        w.write_all(
            b"# Hidden truth of this generated world\n\n\
The true probability that rep R wins new lead L is\n\n\
    p = sigmoid(base_logit[L] + effect[R, *] + effect[R, industry of L] + effect[R, company_size of L])\n\n\
- `leads.csv`: lead_id, base_logit, industry, company_size for every lead of the batch.\n\
- `rep_effects.csv`: rep_id, segment, value, effect; segment `*` is the rep's overall effect.\n\n\
Seniority carries no skill: the history was logged by a policy that handed senior reps the\n\
hot leads, so their raw win rates look better than their skill.\n",
        )?;
        Ok(())
    })
}

/// Generates rows `[0, n)` in chunks on the rayon pool, a window of chunks at a time, and
/// hands each chunk's text to `sink` in order.
fn chunked<T, F, S>(n: usize, make: F, mut sink: S) -> Result<()>
where
    T: Send,
    F: Fn(usize, std::ops::Range<usize>) -> T + Sync,
    S: FnMut(T) -> Result<()>,
{
    let chunks = n.div_ceil(CHUNK);
    let window = 4 * rayon::current_num_threads().max(1);
    let mut c = 0;
    while c < chunks {
        let end = (c + window).min(chunks);
        let parts: Vec<T> = (c..end).into_par_iter().map(|k| make(k, k * CHUNK..((k + 1) * CHUNK).min(n))).collect();
        for t in parts {
            sink(t)?;
        }
        c = end;
    }
    Ok(())
}

fn write_history(
    s: &GenerateSettings,
    reps: &[Rep],
    cals: Option<&[RepCalendar]>,
    bar: &crate::progress::Bar,
) -> Result<(usize, usize)> {
    let hot = hot_threshold(s.seed);
    let start = dt("2024-07-01");
    let end = dt("2026-01-01");
    let span_secs = (end - start).num_seconds() as f64;
    // With calendars, when each rep could first answer a lead: their working hours.
    let epoch = |t: NaiveDateTime| t.and_utc().timestamp();
    let avail: Option<Vec<crate::calendar::Availability>> = cals.map(|c| {
        calendars_of(c)
            .iter()
            .map(|cal| crate::calendar::Availability::new(cal, epoch(start) - 86_400, epoch(end) + 30 * 86_400))
            .collect()
    });
    let by_region: Vec<(Vec<usize>, Vec<usize>, Vec<usize>)> = (0..REGIONS.len())
        .map(|g| {
            // New reps (the last `new_reps` current ones) have no past deals.
            let new = s.reps.saturating_sub(s.new_reps)..s.reps;
            let all: Vec<usize> = (0..reps.len()).filter(|&r| reps[r].covers(g) && !new.contains(&r)).collect();
            let senior = all.iter().copied().filter(|&r| reps[r].seniority == 2).collect();
            let other = all.iter().copied().filter(|&r| reps[r].seniority != 2).collect();
            (all, senior, other)
        })
        .collect();
    let n = s.history;
    let mut won = 0;
    let mut lost = 0;
    let first: &[&str] = if cals.is_some() {
        &["lead_id", "created_at", "closed_at", "first_response_at", "rep_id", "outcome", "value"]
    } else {
        &["lead_id", "created_at", "closed_at", "rep_id", "outcome", "value"]
    };
    let header: Vec<String> =
        first.iter().copied().chain(FEATURE_HEADER).map(String::from).chain(noise_header(s.noise_features)).collect();
    write_atomic(&s.out.join("history.csv"), |w| {
        writeln!(w, "{}", header.join(","))?;
        chunked(
            n,
            |k, rows| {
                let mut rng = rng_for(s.seed, 3, k as u64);
                let mut text = String::with_capacity(rows.len() * 220);
                let mut counts = [0usize; 2];
                for i in rows {
                    let lead = gen_lead(&mut rng);
                    let (all, senior, other) = &by_region[lead.region];
                    let pool = if rng.random::<f64>() < 0.85 {
                        let preferred = if lead.base_logit > hot { senior } else { other };
                        if preferred.is_empty() { all } else { preferred }
                    } else {
                        all
                    };
                    let created =
                        start + Duration::seconds(((i as f64 + rng.random::<f64>()) / n as f64 * span_secs) as i64);
                    let mut answered = None;
                    let (rep, outcome, closed) = if pool.is_empty() {
                        (None, "lost", created + Duration::days(30))
                    } else {
                        let ri = pool[rng.random_range(0..pool.len())];
                        let r = &reps[ri];
                        let mut p = sigmoid(lead.base_logit + r.effect(&lead));
                        if let (Some(avail), Some(h)) = (&avail, s.calendars) {
                            // First answered when the rep is next at work, after a lag: shorter
                            // for hot leads (reps pick them first), so speed and quality go
                            // together in the history as they do in real ones.
                            let mean_lag = if lead.base_logit > hot { 600.0 } else { 2400.0 };
                            let lag = (-(1.0 - rng.random::<f64>()).ln() * mean_lag) as i64;
                            let t0 = epoch(created);
                            let t = avail[ri].next(t0).unwrap_or(t0) + lag;
                            p *= 0.5f64.powf((t - t0) as f64 / 3600.0 / h);
                            answered = Some(created + Duration::seconds(t - t0));
                        }
                        let win = rng.random::<f64>() < p;
                        let days = 3.0 + (-(1.0 - rng.random::<f64>()).ln()) * 25.0;
                        let mut closed = created + Duration::seconds((days * 86_400.0) as i64);
                        if let Some(a) = answered {
                            closed = closed.max(a + Duration::hours(1));
                        }
                        (Some(r), if win { "won" } else { "lost" }, closed)
                    };
                    let open = closed >= end;
                    let outcome = if open { "open" } else { outcome };
                    match outcome {
                        "won" => counts[0] += 1,
                        "lost" => counts[1] += 1,
                        _ => {}
                    }
                    let fields = lead_fields(&lead, i);
                    let _ = write!(
                        text,
                        "H{:07},{},{}",
                        i + 1,
                        fmt_dt(created),
                        if open { String::new() } else { fmt_dt(closed) }
                    );
                    if avail.is_some() {
                        let _ = write!(text, ",{}", answered.map(fmt_dt).unwrap_or_default());
                    }
                    let _ = write!(text, ",{},{},{}", rep.map(|r| r.id.as_str()).unwrap_or(""), outcome, lead.value);
                    for f in fields {
                        text.push(',');
                        text.push_str(&f);
                    }
                    push_noise(&mut text, &mut rng, s.noise_features);
                    text.push('\n');
                }
                (text, counts)
            },
            |(text, counts): (String, [usize; 2])| {
                won += counts[0];
                lost += counts[1];
                bar.inc(text.lines().count() as u64);
                w.write_all(text.as_bytes())?;
                Ok(())
            },
        )
    })?;
    Ok((won, lost))
}

fn write_batch(s: &GenerateSettings, reps: &[Rep], bar: &crate::progress::Bar) -> Result<()> {
    // A calendar world's batch is the three days up to Monday 08:00 UTC (CALENDAR_AT).
    let start = if s.calendars.is_some() { dt("2026-11-27") + Duration::hours(8) } else { dt("2026-01-01") };
    let owners: Vec<Vec<usize>> = (0..REGIONS.len())
        .map(|g| (0..reps.len()).filter(|&r| reps[r].active && reps[r].covers(g)).collect())
        .collect();
    let n = s.leads;
    let header: Vec<String> = ["lead_id", "created_at", "value", "workload", "rep_id"]
        .into_iter()
        .chain(FEATURE_HEADER)
        .map(String::from)
        .chain(noise_header(s.noise_features))
        .collect();
    let mut truth_chunks: Vec<String> = Vec::new();
    write_atomic(&s.out.join("leads.csv"), |w| {
        writeln!(w, "{}", header.join(","))?;
        chunked(
            n,
            |k, rows| {
                let mut rng = rng_for(s.seed, 4, k as u64);
                let mut text = String::with_capacity(rows.len() * 200);
                let mut truth = String::with_capacity(rows.len() * 48);
                for i in rows {
                    let lead = gen_lead(&mut rng);
                    let created = start
                        + Duration::seconds(((i as f64 + rng.random::<f64>()) / n.max(1) as f64 * 259_200.0) as i64);
                    let workload = if s.varied_workload { [1, 1, 1, 2, 3][lead.size] } else { 1 };
                    let pool = &owners[lead.region];
                    let owner = if !pool.is_empty() && rng.random::<f64>() < 0.08 {
                        reps[pool[rng.random_range(0..pool.len())]].id.as_str()
                    } else {
                        ""
                    };
                    let id = format!("L{:07}", i + 1);
                    let _ = write!(text, "{id},{},{},{workload},{owner}", fmt_dt(created), lead.value);
                    for f in lead_fields(&lead, 10_000_000 + i) {
                        text.push(',');
                        text.push_str(&f);
                    }
                    push_noise(&mut text, &mut rng, s.noise_features);
                    text.push('\n');
                    let _ = writeln!(
                        truth,
                        "{id},{:.6},{},{}",
                        lead.base_logit, INDUSTRIES[lead.industry], SIZES[lead.size]
                    );
                }
                (text, truth)
            },
            |(text, truth): (String, String)| {
                truth_chunks.push(truth);
                bar.inc(text.lines().count() as u64);
                w.write_all(text.as_bytes())?;
                Ok(())
            },
        )
    })?;
    write_atomic(&s.out.join("truth").join("leads.csv"), |w| {
        writeln!(w, "lead_id,base_logit,industry,company_size")?;
        for t in &truth_chunks {
            w.write_all(t.as_bytes())?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_is_deterministic_per_stream() {
        let a: Vec<f64> = (0..5).map(|_| gen_lead(&mut rng_for(7, 4, 3)).base_logit).collect();
        let b: Vec<f64> = (0..5).map(|_| gen_lead(&mut rng_for(7, 4, 3)).base_logit).collect();
        assert_eq!(a, b);
        let c = gen_lead(&mut rng_for(7, 4, 4)).base_logit;
        assert_ne!(a[0], c);
    }

    #[test]
    fn every_region_is_covered_by_an_active_rep() {
        for seed in 0..20 {
            let s = GenerateSettings {
                out: PathBuf::new(),
                seed,
                leads: 100,
                reps: 3,
                history: 0,
                skill_spread: 0.5,
                varied_workload: false,
                noise_features: 0,
                skill_in: SkillIn::Both,
                new_reps: 0,
                calendars: None,
            };
            let reps = gen_reps(&s, 0);
            for g in 0..REGIONS.len() {
                assert!(reps.iter().any(|r| r.active && r.covers(g)), "seed {seed} region {g}");
            }
        }
    }

    #[test]
    fn pick_follows_weights() {
        let mut rng = rng_for(1, 0, 0);
        let mut counts = [0usize; 3];
        for _ in 0..30_000 {
            counts[pick(&mut rng, &[0.2, 0.3, 0.5])] += 1;
        }
        let share = counts[2] as f64 / 30_000.0;
        assert!((share - 0.5).abs() < 0.02, "{share}");
    }
}
