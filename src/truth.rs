//! The hidden truth of a generated world, read back for tests and benchmarks.
//!
//! `generate` writes `truth/leads.csv` (lead_id, base_logit, then one column per segment)
//! and `truth/rep_effects.csv` (rep_id, segment, value, effect; segment `*` is the rep's
//! overall effect). From these the true P(win) of any lead × rep follows without a lead ×
//! rep table:  p = sigmoid(base + overall + Σ effect[segment value]).

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Result, anyhow};

use crate::io::Table;
use crate::parse;

/// The true conversion model of a generated world.
#[derive(Debug, Clone)]
pub struct Truth {
    segments: Vec<String>,
    /// lead_id → (base logit, segment values in `segments` order).
    leads: HashMap<String, (f64, Vec<String>)>,
    /// (rep_id, segment, value) → effect; segment "*" for the overall effect.
    effects: HashMap<(String, String, String), f64>,
    /// A calendar world's clock: when its batch is routed and the true half-life of p_win in
    /// hours of waiting (`truth/timing.toml`).
    pub timing: Option<(i64, f64)>,
}

impl Truth {
    /// Reads `DIR/truth/` of a generated world.
    pub fn load(world: &Path) -> Result<Truth> {
        let lt = Table::read(&world.join("truth").join("leads.csv"), "truth leads")?;
        if lt.headers().len() < 2 || lt.headers()[0] != "lead_id" || lt.headers()[1] != "base_logit" {
            return Err(anyhow!("{}: expected columns lead_id, base_logit, segments…", lt.path().display()));
        }
        let segments = lt.headers()[2..].to_vec();
        let mut leads = HashMap::with_capacity(lt.len());
        for row in 0..lt.len() {
            let base = parse::number(lt.cell(row, 1)).ok_or_else(|| lt.cell_error(row, 1, "expected a number"))?;
            let values = (2..lt.headers().len()).map(|c| lt.cell(row, c).to_string()).collect();
            leads.insert(lt.cell(row, 0).to_string(), (base, values));
        }
        let et = Table::read(&world.join("truth").join("rep_effects.csv"), "truth rep effects")?;
        let mut effects = HashMap::with_capacity(et.len());
        for row in 0..et.len() {
            let e = parse::number(et.cell(row, 3)).ok_or_else(|| et.cell_error(row, 3, "expected a number"))?;
            effects.insert((et.cell(row, 0).to_string(), et.cell(row, 1).to_string(), et.cell(row, 2).to_string()), e);
        }
        let timing_file = world.join("truth").join("timing.toml");
        let timing = if timing_file.exists() {
            #[derive(serde::Deserialize)]
            struct T {
                at: String,
                response_half_life_hours: f64,
            }
            let t: T = toml::from_str(&std::fs::read_to_string(&timing_file)?)
                .map_err(|e| anyhow!("{}: {e}", timing_file.display()))?;
            let at = crate::calendar::instant(&t.at)
                .ok_or_else(|| anyhow!("{}: at is not an instant", timing_file.display()))?;
            Some((at, t.response_half_life_hours))
        } else {
            None
        };
        Ok(Truth { segments, leads, effects, timing })
    }

    /// The true probability that `rep` wins `lead` when it waits `delay` seconds from its
    /// creation for the rep (a calendar world; without one, no decay).
    pub fn p_win_after(&self, lead: &str, rep: &str, delay: i64) -> Option<f64> {
        let p = self.p_win(lead, rep)?;
        Some(match self.timing {
            Some((_, h)) => p * 0.5f64.powf(delay as f64 / 3600.0 / h),
            None => p,
        })
    }

    /// The lead's true log-odds of converting with an average rep.
    pub fn base_logit(&self, lead: &str) -> Option<f64> {
        self.leads.get(lead).map(|(b, _)| *b)
    }

    /// The rep's true total effect on this lead, in log-odds.
    pub fn rep_effect(&self, lead: &str, rep: &str) -> Option<f64> {
        let (_, values) = self.leads.get(lead)?;
        let key = |s: &str, v: &str| (rep.to_string(), s.to_string(), v.to_string());
        let mut e = *self.effects.get(&key("*", "*"))?;
        for (seg, v) in self.segments.iter().zip(values) {
            e += self.effects.get(&key(seg, v)).copied().unwrap_or(0.0);
        }
        Some(e)
    }

    /// The true probability that `rep` wins `lead`.
    pub fn p_win(&self, lead: &str, rep: &str) -> Option<f64> {
        Some(crate::generate::sigmoid(self.base_logit(lead)? + self.rep_effect(lead, rep)?))
    }

    pub fn segments(&self) -> &[String] {
        &self.segments
    }
}
