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
use sha2::Digest;

use crate::assign::optimize::Objective;
use crate::assign::route::Routed;
use crate::batch::Batch;

pub mod journal;
mod router;

pub use journal::{Journal, StateLock};
pub use router::{Answer, Router};

pub const FORMAT: &str = "leadroute-routing-state";
pub const VERSION: u32 = 2;

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
    /// The output row the stream answered with (absent for the batch's own leads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<Vec<String>>,
}

/// The state file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutingState {
    pub format: String,
    pub version: u32,
    /// What the state descends from (fixed when `assign --state-out` writes it): a journal
    /// continues the state of its id only.
    #[serde(default)]
    pub id: String,
    /// SHA-256 of the model file the plan was scored with (scorer and rep skill).
    pub model_sha256: String,
    /// SHA-256 of the config file, if any.
    pub config_sha256: Option<String>,
    /// "value" or "wins": the units of the prices.
    pub objective: String,
    pub seed: u64,
    /// Leads expected to arrive over the period the remaining capacity is for.
    pub expected_arrivals: usize,
    /// Leads the stream has routed since (the batch's own not counted).
    #[serde(default)]
    pub arrived: usize,
    /// The stream's price step, fixed when it starts on this state (so a restart continues
    /// with the same step, and the same decisions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<f64>,
    pub reps: Vec<RepState>,
    pub mix: ArrivalMix,
    /// Every lead of the batch, in input order.
    pub routed: Vec<RoutedLead>,
    /// The leads the prices are re-solved against: the batch's (the forecast of the
    /// arrivals) and those the stream has seen.
    pub sample: Sample,
    /// Time-aware routing: the decay of p_win with waiting the plan used (the stream routes
    /// with the same).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<StateClock>,
}

/// The decay of p_win the plan routed with: its half-life (`None`: no decay) and the scores'
/// shift that goes with it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StateClock {
    pub half_life_hours: Option<f64>,
    pub shift: f64,
}

/// Leads as the price re-solve needs them, without their cells: log-odds, value, workload,
/// eligible reps and segment values (the last two as indices into shared lists).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// The skill's segment columns, the order of each signature's values.
    pub segments: Vec<String>,
    /// Distinct sets of eligible reps (ids; `None`: every rep).
    pub sets: Vec<Option<Vec<String>>>,
    /// Distinct segment values, one per segment column.
    pub signatures: Vec<Vec<String>>,
    /// The batch's leads (at most [`FORECAST_MAX`], evenly spaced), in input order.
    pub forecast: Vec<SampleLead>,
    /// The leads the stream has routed or left unassigned, in arrival order.
    pub observed: Vec<SampleLead>,
    /// Time-aware: each forecast and observed lead's decay with its rep (its best when it
    /// had none), which scales its worth in a re-solve (empty: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forecast_decay: Vec<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observed_decay: Vec<f64>,
}

/// One lead of a [`Sample`]: score log-odds, value, workload, eligible set, signature.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SampleLead(pub f64, pub f64, pub f64, pub u32, pub u32);

impl Sample {
    /// The batch's leads (at most [`FORECAST_MAX`], evenly spaced) with their log-odds from
    /// `p_win` and their values of the skill's `segments`.
    fn of_batch(
        batch: &Batch,
        p_win: &crate::assign::optimize::PWin,
        segments: &[String],
        chosen: &[Option<usize>],
    ) -> Sample {
        let (leads, reps, elig) = (&batch.leads, &batch.reps, &batch.elig);
        let mut sample = Sample { segments: segments.to_vec(), ..Sample::default() };
        let n = leads.len();
        let keep = n.min(FORECAST_MAX);
        let cols: Vec<Option<usize>> = segments.iter().map(|s| leads.table.column(s)).collect();
        let mut set_of_class = std::collections::HashMap::new();
        let mut sig_index = std::collections::HashMap::new();
        for j in 0..keep {
            let l = j * n / keep;
            let class = elig.class_id(l);
            let set = *set_of_class.entry(class).or_insert_with(|| {
                let ids = elig.reps_for(l);
                sample.sets.push((ids.len() < reps.len()).then(|| ids.iter().map(|&r| reps.id[r].clone()).collect()));
                sample.sets.len() as u32 - 1
            });
            let values: Vec<String> = cols
                .iter()
                .map(|c| c.map(|c| leads.table.cell(l, c).trim().to_lowercase()).unwrap_or_default())
                .collect();
            let sig = *sig_index.entry(values.clone()).or_insert_with(|| {
                sample.signatures.push(values);
                sample.signatures.len() as u32 - 1
            });
            sample.forecast.push(SampleLead(p_win.logit(l), leads.value[l], leads.workload[l], set, sig));
            if let Some(d) = p_win.decay() {
                // The wait with its rep, or with the rep it would wait least for.
                let factor = match chosen[l] {
                    Some(r) => d.factor(l, r),
                    None => elig.reps_for(l).iter().map(|&r| d.factor(l, r)).fold(0.0, f64::max),
                };
                sample.forecast_decay.push(factor);
            }
        }
        sample
    }
}

/// Most batch leads kept in the state as the forecast of the arrivals.
pub const FORECAST_MAX: usize = 20_000;

/// What the state is made from beyond the routed batch.
pub struct StateInput<'a> {
    pub model_file: &'a Path,
    pub config_file: Option<&'a Path>,
    pub objective: Objective,
    pub seed: u64,
    /// Leads expected after the batch; `None`: as many as the batch had.
    pub expected_arrivals: Option<usize>,
    /// The batch is a forecast of the coming arrivals, not leads routed now: the state keeps
    /// every rep's whole capacity, prices it as the forecast's plan did, and lists no lead.
    pub forecast: bool,
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
                remaining: if input.forecast { reps.capacity[r] } else { (reps.capacity[r] - load[r]).max(0.0) },
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
        let routed_leads = if input.forecast {
            Vec::new()
        } else {
            routed
                .plan
                .decisions
                .iter()
                .enumerate()
                .map(|(l, d)| RoutedLead {
                    lead_id: leads.id[l].clone(),
                    rep_id: d.rep.map(|r| reps.id[r].clone()),
                    reason: d.reason.map(|x| x.code().to_string()),
                    row: None,
                })
                .collect()
        };
        let chosen: Vec<Option<usize>> = routed.plan.decisions.iter().map(|d| d.rep).collect();
        let sample = match &routed.optimizer {
            Some(o) => Sample::of_batch(batch, &o.p_win_of, &o.skill.segments, &chosen),
            None => Sample::default(),
        };
        let time = routed.decay.as_ref().map(|d| StateClock {
            half_life_hours: d.half_life_hours.is_finite().then_some(d.half_life_hours),
            shift: d.shift,
        });
        let mut state = RoutingState {
            format: FORMAT.into(),
            version: VERSION,
            id: String::new(),
            model_sha256: crate::model::file_sha256(input.model_file)?,
            config_sha256: input.config_file.map(crate::model::file_sha256).transpose()?,
            objective: match input.objective {
                Objective::Value => "value",
                Objective::Wins => "wins",
            }
            .into(),
            seed: input.seed,
            expected_arrivals: input.expected_arrivals.unwrap_or(leads.len()),
            arrived: 0,
            step: None,
            reps: rep_states,
            mix,
            routed: routed_leads,
            sample,
            time,
        };
        // Its id: a digest of the state as first written.
        let digest = sha2::Sha256::digest(serde_json::to_vec(&state)?);
        state.id = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        Ok(state)
    }

    /// Writes the state as pretty JSON, atomically (a reader never sees half a state).
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::io::write_json(path, self)
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
