//! The routing state a batch plan leaves for the leads that arrive after it: every rep's
//! remaining capacity and the price of one more unit of it (the optimizer's shadow price),
//! what the prices were computed with (model and config fingerprints, objective), the
//! arrival mix of the batch (leads per eligibility class and per segment value) and the
//! leads already routed, so that a later lead-by-lead router can price capacity as the
//! night's plan did, check it runs with the same model, and never route a lead twice.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::assign::optimize::Objective;
use crate::assign::route::Routed;
use crate::batch::Batch;
use crate::io::write_atomic;

pub const FORMAT: &str = "leadroute-routing-state";
pub const VERSION: u32 = 1;

/// One rep's capacity after the plan, and its price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepState {
    pub rep_id: String,
    pub active: bool,
    pub capacity: f64,
    /// Capacity the plan left (workload units).
    pub remaining: f64,
    /// What one more unit of this rep's capacity is worth to the objective (the plan's
    /// Lagrangian multiplier; 0 where capacity does not bind).
    pub price: f64,
}

/// How the batch's leads were spread: per eligibility class and per segment value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArrivalMix {
    /// Eligibility class ("region=EMEA") → leads; "all" without eligibility rules.
    pub classes: BTreeMap<String, usize>,
    /// Segment column → value → leads.
    pub segments: BTreeMap<String, BTreeMap<String, usize>>,
}

/// A lead the plan decided: its rep, or the reason it has none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutedLead {
    pub lead_id: String,
    pub rep_id: Option<String>,
    pub reason: Option<String>,
}

/// The state file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutingState {
    pub format: String,
    pub version: u32,
    /// SHA-256 of the model file the plan was scored with (scorer and rep skill).
    pub model_sha256: String,
    /// SHA-256 of the config file, if any.
    pub config_sha256: Option<String>,
    /// "value" or "wins": the units of the prices.
    pub objective: String,
    pub seed: u64,
    /// Leads expected to arrive over the period the remaining capacity is for.
    pub expected_arrivals: usize,
    pub reps: Vec<RepState>,
    pub mix: ArrivalMix,
    /// Every lead of the batch, in input order.
    pub routed: Vec<RoutedLead>,
}

/// What the state is made from beyond the routed batch.
pub struct StateInput<'a> {
    pub model_file: &'a Path,
    pub config_file: Option<&'a Path>,
    pub objective: Objective,
    pub seed: u64,
    /// Leads expected after the batch; `None`: as many as the batch had.
    pub expected_arrivals: Option<usize>,
}

impl RoutingState {
    /// The state after the optimizer's plan of `batch`.
    pub fn of(batch: &Batch, routed: &Routed, input: &StateInput) -> Result<RoutingState> {
        let (leads, reps, elig) = (&batch.leads, &batch.reps, &batch.elig);
        let load = routed.plan.load(leads, reps.len());
        let prices = routed.optimizer.as_ref().map(|o| o.shadow_price.as_slice());
        let rep_states = (0..reps.len())
            .map(|r| RepState {
                rep_id: reps.id[r].clone(),
                active: reps.active[r],
                capacity: reps.capacity[r],
                remaining: (reps.capacity[r] - load[r]).max(0.0),
                price: prices.and_then(|p| p.get(r).copied()).unwrap_or(0.0).max(0.0),
            })
            .collect();
        let mut mix = ArrivalMix::default();
        for l in 0..leads.len() {
            let class = if elig.has_rules() { elig.describe(l) } else { "all".to_string() };
            *mix.classes.entry(class).or_default() += 1;
            for seg in &batch.cfg.features.segments {
                if let Some(c) = leads.table.column(seg) {
                    let value = leads.table.cell(l, c).trim().to_lowercase();
                    *mix.segments.entry(seg.clone()).or_default().entry(value).or_default() += 1;
                }
            }
        }
        let routed_leads = routed
            .plan
            .decisions
            .iter()
            .enumerate()
            .map(|(l, d)| RoutedLead {
                lead_id: leads.id[l].clone(),
                rep_id: d.rep.map(|r| reps.id[r].clone()),
                reason: d.reason.map(|x| x.code().to_string()),
            })
            .collect();
        Ok(RoutingState {
            format: FORMAT.into(),
            version: VERSION,
            model_sha256: crate::model::file_sha256(input.model_file)?,
            config_sha256: input.config_file.map(crate::model::file_sha256).transpose()?,
            objective: match input.objective {
                Objective::Value => "value",
                Objective::Wins => "wins",
            }
            .into(),
            seed: input.seed,
            expected_arrivals: input.expected_arrivals.unwrap_or(leads.len()),
            reps: rep_states,
            mix,
            routed: routed_leads,
        })
    }

    /// Writes the state as pretty JSON, atomically (a reader never sees half a state).
    pub fn save(&self, path: &Path) -> Result<()> {
        write_atomic(path, |w| {
            serde_json::to_writer_pretty(&mut *w, self)?;
            w.write_all(b"\n")?;
            Ok(())
        })
    }

    /// Reads a state file, refusing other formats and versions.
    pub fn load(path: &Path) -> Result<RoutingState> {
        use anyhow::Context;
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read the state file {}", path.display()))?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            crate::error::InputError::at(path, Some(e.line() as u64), format!("not a routing state file ({e})"))
        })?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(crate::error::InputError::at(
                path,
                None,
                format!("not a routing state file (expected \"format\": \"{FORMAT}\", as `assign --state-out` writes)"),
            )
            .into());
        }
        if value.get("version").and_then(|v| v.as_u64()) != Some(VERSION as u64) {
            return Err(crate::error::InputError::at(
                path,
                None,
                format!("routing state version {} is not {VERSION}, the one this leadroute reads", value["version"]),
            )
            .into());
        }
        serde_json::from_value(value)
            .map_err(|e| crate::error::InputError::at(path, None, format!("damaged routing state: {e}")).into())
    }
}
