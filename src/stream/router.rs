//! The lead-by-lead router: each lead priced against the capacity it would take, the prices
//! moved after every lead and re-solved now and then, every decision recorded for the journal.

use std::path::Path;

use anyhow::Result;

use super::journal::{NewSet, Record};
use super::{RoutedLead, RoutingState, SampleLead};

/// Routes leads one at a time at the prices of the night's plan, updating the prices as
/// capacity is used: each lead goes to the eligible active rep with room whose expected
/// worth (value × p_win, or p_win) net of the price of the capacity it takes is largest.
/// After each lead every rep's price moves by a dual step (online primal-dual allocation,
/// as in Balseiro, Lu and Mirrokni's dual mirror descent): down by the rep's target use per
/// arrival (its remaining capacity over the arrivals still expected), up by what the lead
/// used — a rep filling faster than its capacity lasts gets dearer, an idle one cheaper.
pub struct Router {
    cfg: crate::config::Config,
    model: crate::model::Model,
    scorer: crate::model::RowScorer,
    skill: crate::skill::Skill,
    reps: crate::data::Reps,
    elig: crate::eligibility::Eligibility,
    /// The rules and the model's columns resolved against the stream's header.
    headers: Vec<String>,
    pub state: RoutingState,
    /// Lead id → its position in `state.routed`.
    seen: std::collections::HashMap<String, usize>,
    /// Per rep of the reps file: remaining capacity and price.
    remaining: Vec<f64>,
    price: Vec<f64>,
    /// Leads routed since the state's period began (the batch's own not counted).
    arrived: usize,
    /// Step of the price update, in the objective's units per workload unit.
    step: f64,
    value_objective: bool,
    /// Rep effects per segment column and value, per rep, looked up once per value.
    effects: std::collections::HashMap<(usize, String), Vec<f64>>,
    overall: Vec<f64>,
    /// The sample's eligible sets as reps of the reps file, and each set's index.
    sets: Vec<Vec<usize>>,
    set_index: std::collections::HashMap<Vec<usize>, u32>,
    /// The sample's signatures' indices, and each one's rep effects once computed.
    sig_index: std::collections::HashMap<Vec<String>, u32>,
    sig_effects: Vec<Option<std::sync::Arc<Vec<f64>>>>,
    /// Re-solve the prices after every this many arrivals (0: never).
    resolve_every: usize,
    /// How many arrivals the forecast counts as when mixed with the observed ones.
    prior: f64,
    /// Hold back a lead worth less than the price of the capacity it would take.
    hold: bool,
    /// The price step's multiple of its default (for studying the step).
    step_scale: f64,
    /// When reps can work and what waiting costs (time-aware routing).
    clock: Option<StreamClock>,
    /// A set of eligible reps and segment values the decision being made added to the sample.
    introduced: (Option<NewSet>, Option<Vec<String>>),
    /// Eligible reps by the values of the rule columns, and each set's index in the sample.
    eligible_of: std::collections::HashMap<Vec<String>, std::sync::Arc<Vec<usize>>>,
    set_of_eligible: std::collections::HashMap<usize, u32>,
}

/// A lead read, scored and placed among its reps.
struct Lead {
    id: String,
    /// Score log-odds, and the same with the decay's shift (what p_win is computed from).
    z: f64,
    z_now: f64,
    sig: u32,
    effects: std::sync::Arc<Vec<f64>>,
    w: f64,
    value: f64,
    eligible: std::sync::Arc<Vec<usize>>,
    /// When it arrived (time-aware routing).
    arrival: Option<i64>,
    /// Its values of the eligibility rules' columns, for messages.
    describe: String,
}

/// A lead's reps with room by net worth (rep, p_win, worth − price × workload), the best
/// when held back, when each can start, and the decay of the wait with the best.
struct Ranking {
    ranked: Vec<(usize, f64, f64)>,
    held: Option<(usize, f64, f64)>,
    when: Vec<Option<i64>>,
    decay: f64,
}

/// Leads re-solved against: the forecast's and the observed ones together, at most this many.
const RESOLVE_SAMPLE: usize = 5_000;
/// Re-solves over the expected arrivals, and fewest arrivals between two (a re-solve takes
/// milliseconds: at most one lead in this many waits for one).
const RESOLVES: usize = 25;
const RESOLVE_MIN: usize = 200;
/// The forecast counts as this share of the expected arrivals against the observed ones.
const PRIOR_SHARE: f64 = 0.25;

/// The price step, as a multiple of the mean positive price over √(expected arrivals):
/// the best of 0.25–16 on generated days of 2,000 and 5,000 arrivals (`examples/stream.rs
/// --steps`; BENCHMARKS.md).
const STEP: f64 = 8.0;

/// The re-solve's problem: sample leads × the reps with room, profits tabulated.
#[derive(Default)]
struct SampleProblem {
    capacity: Vec<f64>,
    /// Distinct candidate lists (rep indices, increasing); each item's list and its first
    /// profit's position.
    cands: Vec<Vec<u32>>,
    cand_of: Vec<u32>,
    start: Vec<usize>,
    profit: Vec<f64>,
    weight: Vec<f64>,
}

impl crate::assign::solver::Instance for SampleProblem {
    fn n_items(&self) -> usize {
        self.cand_of.len()
    }
    fn n_bins(&self) -> usize {
        self.capacity.len()
    }
    fn capacity(&self, bin: usize) -> f64 {
        self.capacity[bin]
    }
    fn candidates(&self, i: usize) -> &[u32] {
        &self.cands[self.cand_of[i] as usize]
    }
    fn profit(&self, i: usize, bin: usize) -> f64 {
        let k = self.candidates(i).binary_search(&(bin as u32)).expect("bin is a candidate of the item");
        self.profit[self.start[i] + k]
    }
    fn weight(&self, i: usize, _bin: usize) -> f64 {
        self.weight[i]
    }
    fn weight_per_item(&self) -> bool {
        true
    }
}

/// One lead's answer: the output row's cells, in `assign`'s columns ([`crate::output::COLUMNS`],
/// or [`crate::output::TIMED_COLUMNS`] when routing is time-aware; the explanation last).
pub struct Answer {
    pub cells: Vec<String>,
    /// Whether it was decided now (not answered from the state).
    pub fresh: bool,
}

impl Answer {
    /// The row of a record that could not be read, `width` cells.
    pub fn error(lead_id: String, message: String, width: usize) -> Answer {
        let mut cells = vec![String::new(); width];
        cells[0] = crate::output::neutralise(&lead_id).into_owned();
        cells[2] = "error".into();
        cells[3] = "bad_input".into();
        cells[width - 1] = message;
        Answer { cells, fresh: false }
    }
}

/// The stream's clock: each rep's calendar (absences included) and availability around the
/// leads arriving now, the horizon, and the decay of p_win with the wait.
struct StreamClock {
    zone: jiff::tz::TimeZone,
    calendars: Vec<crate::calendar::Calendar>,
    /// The window the availability is known for, and each rep's in it.
    window: (i64, i64),
    avail: Vec<crate::calendar::Availability>,
    horizon: i64,
    /// Decay per second of waiting, and the scores' shift that goes with it.
    rate: f64,
    shift: f64,
}

impl StreamClock {
    /// The first minute from `start` the rep is available, within the horizon.
    fn available_at(&mut self, rep: usize, start: i64) -> Option<i64> {
        if start < self.window.0 || start + self.horizon >= self.window.1 {
            // Availability for two weeks beyond the horizon around this lead: arrivals in
            // order reuse it.
            self.window = (start - crate::calendar::DAY, start + self.horizon + 14 * crate::calendar::DAY);
            self.avail = self
                .calendars
                .iter()
                .map(|c| crate::calendar::Availability::new(c, self.window.0, self.window.1))
                .collect();
        }
        self.avail[rep].next(start).filter(|&a| a <= start + self.horizon)
    }

    fn decay(&self, wait: i64) -> f64 {
        (-self.rate * wait as f64).exp()
    }
}

impl Router {
    /// A router for leads with these `headers`, at `state`'s prices. The model file must be
    /// the one the state was made with, and the config too.
    pub fn new(
        state: RoutingState,
        model_file: &Path,
        reps_file: &Path,
        config_file: Option<&Path>,
        headers: Vec<String>,
        warnings: &mut Vec<String>,
    ) -> Result<Router> {
        use crate::error::InputError;
        let cfg = crate::config::Config::load_or_default(config_file)?;
        // Streamed leads are read one by one, not joined: a lookup the plan's leads were
        // joined with would leave its columns empty here, quietly changing scores and values.
        let joined: Vec<String> = cfg
            .joins
            .iter()
            .filter(|j| j.to.as_ref().is_none_or(|to| to.iter().any(|t| t == "leads")))
            .map(|j| j.file.display().to_string())
            .collect();
        if !joined.is_empty() {
            return Err(crate::error::UsageError(format!(
                "the config joins {} onto the leads; the stream reads each lead as it arrives and does not join \
                 lookups: send leads that carry those columns, with a config whose [[join]] tables have \
                 to = [\"history\", \"reps\"]",
                joined.join(", ")
            ))
            .into());
        }
        let sha = crate::model::file_sha256(model_file)?;
        if sha != state.model_sha256 {
            return Err(InputError::file(
                model_file,
                "is not the model file the routing state was made with (its SHA-256 differs): the prices belong to \
                 that model's scores; run `assign --state-out` again with this model",
            )
            .into());
        }
        let config_sha = config_file.map(crate::model::file_sha256).transpose()?;
        if config_sha != state.config_sha256 {
            return Err(anyhow::anyhow!(
                "the config ({}) is not the one the routing state was made with: eligibility and features must be \
                 the plan's",
                config_file.map_or("none given".to_string(), |p| p.display().to_string())
            ));
        }
        let file = crate::modelfile::ModelFile::load(model_file)?;
        let skill = file.skill.clone().unwrap_or_default();
        let reps = crate::data::Reps::from_table(crate::join::read(reps_file, "reps", &cfg, warnings)?, &cfg)?;
        let empty = crate::io::Table::from_rows(Path::new("standard input"), headers.clone(), Vec::new());
        let leads = crate::data::Leads::from_table(empty, &cfg)?;
        let elig = crate::eligibility::Eligibility::new(&cfg, &leads, &reps)?;
        let mut remaining = reps.capacity.clone();
        let mut price = vec![0.0; reps.len()];
        let mut unknown = Vec::new();
        for (r, id) in reps.id.iter().enumerate() {
            match state.reps.iter().find(|s| &s.rep_id == id) {
                Some(s) => {
                    remaining[r] = s.remaining;
                    price[r] = s.price;
                }
                None => unknown.push(id.as_str()),
            }
        }
        if !unknown.is_empty() {
            warnings.push(format!(
                "{} reps of {} are not in the routing state (e.g. {}): they start with their whole capacity at price 0",
                unknown.len(),
                reps_file.display(),
                unknown[0]
            ));
        }
        let seen = state.routed.iter().enumerate().map(|(k, r)| (r.lead_id.clone(), k)).collect();
        // Skill the model's own check found no better than chance is not used, as in a batch.
        let skill = if skill.unused_because.is_some() { crate::skill::Skill::default() } else { skill };
        let overall = reps.id.iter().map(|id| skill.overall.get(id).map_or(0.0, |e| e.effect)).collect();
        let value_objective = state.objective == "value";
        let step = state.step.unwrap_or(0.0);
        let sample = &state.sample;
        let (n_sets, n_sigs) = (sample.sets.len() as u32, sample.signatures.len() as u32);
        if let Some(bad) = sample.forecast.iter().chain(&sample.observed).find(|x| x.3 >= n_sets || x.4 >= n_sigs) {
            return Err(anyhow::anyhow!(
                "damaged routing state: a sample lead refers to eligible set {} or signature {} of {n_sets} and \
                 {n_sigs}; write the state again with `assign --state-out`",
                bad.3,
                bad.4
            ));
        }
        let sets: Vec<Vec<usize>> = state
            .sample
            .sets
            .iter()
            .map(|s| match s {
                None => (0..reps.len()).collect(),
                Some(ids) => {
                    let mut v: Vec<usize> = ids.iter().filter_map(|id| reps.find(id)).collect();
                    v.sort_unstable();
                    v
                }
            })
            .collect();
        let set_index = sets.iter().enumerate().map(|(k, s)| (s.clone(), k as u32)).collect();
        let sig_index = state.sample.signatures.iter().enumerate().map(|(k, s)| (s.clone(), k as u32)).collect();
        let sig_effects = vec![None; state.sample.signatures.len()];
        let resolve_every = state.expected_arrivals.div_ceil(RESOLVES).max(RESOLVE_MIN);
        let prior = PRIOR_SHARE * state.expected_arrivals as f64;
        let clock = if cfg.time_aware() || reps.has_calendar || state.time.is_some() {
            let mut calendars = reps.calendar.clone();
            if let Some(path) = crate::timing::away_path(&cfg) {
                crate::timing::read_away(&path, &reps, &mut calendars)?;
            }
            // The plan's decay, so the stream prices waits as the night did.
            let (hours, shift) = match state.time {
                Some(t) => (t.half_life_hours.unwrap_or(f64::INFINITY), t.shift),
                None => {
                    let h = crate::timing::HalfLife::resolve(&cfg, file.decay.clone(), warnings);
                    (h.hours, h.shift())
                }
            };
            Some(StreamClock {
                zone: cfg.default_zone()?,
                calendars,
                window: (i64::MAX, i64::MIN),
                avail: Vec::new(),
                horizon: (cfg.timing().horizon_hours * 3600.0).round() as i64,
                rate: if hours.is_finite() { std::f64::consts::LN_2 / (hours * 3600.0) } else { 0.0 },
                shift,
            })
        } else {
            None
        };
        Ok(Router {
            cfg,
            scorer: file.scorer.row_scorer(),
            model: file.scorer,
            skill,
            reps,
            elig,
            headers,
            arrived: state.arrived,
            state,
            seen,
            remaining,
            price,
            step,
            value_objective,
            effects: std::collections::HashMap::new(),
            overall,
            sets,
            set_index,
            sig_index,
            sig_effects,
            resolve_every,
            prior,
            hold: true,
            step_scale: 1.0,
            clock,
            introduced: (None, None),
            eligible_of: std::collections::HashMap::new(),
            set_of_eligible: std::collections::HashMap::new(),
        })
    }

    /// The output's columns: `assign`'s, with `available_at` when routing is time-aware.
    pub fn columns(&self) -> &'static [&'static str] {
        if self.clock.is_some() { &crate::output::TIMED_COLUMNS } else { &crate::output::COLUMNS }
    }

    /// The same router routing every lead while an eligible active rep has room (`fill`),
    /// or holding back those worth less than the capacity they would take (the default).
    pub fn with_fill(mut self, fill: bool) -> Router {
        self.hold = !fill;
        self
    }

    /// The same router re-solving every `every` arrivals (0: never) with the forecast
    /// counting as `prior` arrivals (for studying both).
    pub fn with_resolve(mut self, every: usize, prior: f64) -> Router {
        self.resolve_every = every;
        self.prior = prior;
        self
    }

    /// The same router with its price step multiplied by `k` (for studying the step; the
    /// default is [`STEP`] × the mean positive price over √(expected arrivals)).
    pub fn with_step_scale(mut self, k: f64) -> Router {
        self.step_scale = k;
        self
    }

    /// On the state's first stream, before its first lead: the prices re-solved against the
    /// forecast (the plan's own prices carry what the batch alone knew — its owners kept,
    /// its move penalty — which says nothing about new arrivals), then the step fixed from
    /// them and kept in the state, so a restart goes on with the same step.
    fn start(&mut self) {
        if self.state.step.is_some() {
            return;
        }
        if self.resolve_every > 0 {
            self.resolve();
        }
        let priced: Vec<f64> = self.price.iter().copied().filter(|&p| p > 0.0).collect();
        let scale = if priced.is_empty() { 0.0 } else { priced.iter().sum::<f64>() / priced.len() as f64 };
        self.step = STEP * scale / (self.state.expected_arrivals.max(1) as f64).sqrt() * self.step_scale;
        self.state.step = Some(self.step);
    }

    /// Each rep's effect for a lead with these segment values.
    fn rep_effects(&mut self, values: &[String]) -> Vec<f64> {
        let mut e = self.overall.clone();
        for (k, v) in values.iter().enumerate() {
            let key = (k, v.clone());
            if !self.effects.contains_key(&key) {
                let seg = &self.skill.segments[k];
                let per_rep = self
                    .reps
                    .id
                    .iter()
                    .map(|id| self.skill.segment_effect(id, seg, v).map_or(0.0, |x| x.effect))
                    .collect();
                self.effects.insert(key.clone(), per_rep);
            }
            for (x, y) in e.iter_mut().zip(&self.effects[&key]) {
                *x += y;
            }
        }
        e
    }

    /// Routes one record (cells in header order, read from line `line` of the stream): its
    /// answer, and for a lead decided now the journal's record of the decision.
    pub fn route(&mut self, cells: Vec<String>, line: u64) -> (Answer, Option<Record>) {
        let table = crate::io::Table::from_rows(Path::new("standard input"), self.headers.clone(), vec![cells])
            .starting_at(line);
        match self.decide(table) {
            Ok(decided) => decided,
            Err((id, e)) => (Answer::error(id, format!("{e:#}"), self.columns().len()), None),
        }
    }

    /// A lead: read and scored, answered from the state when seen before, else ranked among
    /// its reps with room, assigned or held back or left without a rep, explained, and its
    /// decision taken into the prices and the sample.
    fn decide(
        &mut self,
        table: crate::io::Table,
    ) -> std::result::Result<(Answer, Option<Record>), (String, anyhow::Error)> {
        let raw_id = crate::data::find_column(&table, &self.cfg, "lead_id")
            .map(|c| table.cell(0, c).trim().to_string())
            .unwrap_or_default();
        let fail = |e: anyhow::Error| (raw_id.clone(), e);
        let leads = crate::data::Leads::from_table(table, &self.cfg).map_err(fail)?;
        let id = leads.id[0].clone();
        if let Some(&k) = self.seen.get(&id) {
            return Ok((self.earlier(k), None));
        }
        self.start();
        if let Some(answer) = self.closed_deal(&leads, &id) {
            return Ok((answer, None));
        }
        let lead = self.read(&leads).map_err(fail)?;
        let ranking = self.rank(&lead);
        let (cells, chosen) = match ranking.ranked.first().copied() {
            Some(best) => (self.assigned_row(&lead, &ranking, best), Some(best.0)),
            None => (self.unassigned_row(&leads, &lead, &ranking), None),
        };
        Ok(self.commit(&lead, &ranking, cells, chosen))
    }

    /// A won or lost deal in the input: not routed, as in a batch.
    fn closed_deal(&self, leads: &crate::data::Leads, id: &str) -> Option<Answer> {
        let c = crate::data::find_column(&leads.table, &self.cfg, "outcome")?;
        if self.cfg.outcome.label(leads.table.cell(0, c)) == crate::config::Label::Open {
            return None;
        }
        let width = self.columns().len();
        let mut cells = vec![String::new(); width];
        cells[0] = crate::output::neutralise(id).into_owned();
        cells[2] = "unassigned".into();
        cells[3] = crate::assign::Reason::ClosedDeal.code().into();
        cells[width - 1] = "Not routed: the lead is marked won or lost already.".into();
        Some(Answer { cells, fresh: false })
    }

    /// The lead's score, segment values, rep effects, eligible reps and, time-aware, arrival.
    fn read(&mut self, leads: &crate::data::Leads) -> Result<Lead> {
        let (x, _) = self.model.schema.bin(&leads.table, &self.cfg)?;
        let z = self.scorer.logit(x.row(0));
        let values: Vec<String> = self
            .skill
            .segments
            .iter()
            .map(|s| leads.table.column(s).map(|c| leads.table.cell(0, c).trim().to_lowercase()).unwrap_or_default())
            .collect();
        // Leads with the same values of the rule columns share their eligible reps.
        let key = self.elig.row_key(&leads.table, 0);
        let eligible = match self.eligible_of.get(&key) {
            Some(e) => e.clone(),
            None => {
                let e = std::sync::Arc::new(self.elig.reps_for_key(&key, self.reps.len()));
                self.eligible_of.insert(key, e.clone());
                e
            }
        };
        // Time-aware: the lead arrives at its created_at (now without one).
        let arrival = match &self.clock {
            Some(c) => {
                let created = crate::timing::created_instants(leads, &self.cfg, &c.zone)?;
                Some(created[0].unwrap_or_else(crate::timing::now))
            }
            None => None,
        };
        // Last, as it adds to the sample (a journal record then says so).
        let sig = self.signature(values);
        let effects = self.sig_effects(sig);
        Ok(Lead {
            id: leads.id[0].clone(),
            z,
            z_now: z + self.clock.as_ref().map_or(0.0, |c| c.shift),
            sig,
            effects,
            w: leads.workload[0],
            value: leads.value[0],
            eligible,
            arrival,
            describe: self.elig.describe_row(&leads.table, 0),
        })
    }

    /// The eligible active reps with room (and time-aware, able to start within the horizon)
    /// by worth net of the price of the capacity, and whether the best is held back.
    fn rank(&mut self, lead: &Lead) -> Ranking {
        use crate::model::metrics::sigmoid;
        let unit = if self.value_objective { lead.value } else { 1.0 };
        let mut when: Vec<Option<i64>> = vec![None; self.reps.len()];
        let mut ranked: Vec<(usize, f64, f64)> = Vec::new();
        for &r in lead.eligible.iter() {
            if !(self.reps.active[r] && self.remaining[r] + crate::assign::EPS >= lead.w) {
                continue;
            }
            // Time-aware: from the first minute the rep is available, within the horizon; p_win
            // decays with the wait from the lead's arrival.
            let factor = match (lead.arrival, self.clock.as_mut()) {
                (Some(t), Some(c)) => match c.available_at(r, crate::calendar::ceil_minute(t)) {
                    Some(a) => {
                        when[r] = Some(a);
                        c.decay(a - t)
                    }
                    None => continue,
                },
                _ => 1.0,
            };
            let p = sigmoid(lead.z_now + lead.effects[r]) * factor;
            ranked.push((r, p, unit * p - self.price[r] * lead.w));
        }
        // Equal worth (reps the skill cannot tell apart): the rep with the most of its
        // capacity left, so ties spread the load instead of filling reps in file order. Only
        // the best two matter (the choice and its runner-up).
        let room = |r: usize| self.remaining[r] / self.reps.capacity[r].max(crate::assign::EPS);
        let before = |a: &(usize, f64, f64), b: &(usize, f64, f64)| {
            b.2.total_cmp(&a.2).then(room(b.0).total_cmp(&room(a.0))).then(a.0.cmp(&b.0))
        };
        if ranked.len() > 2 {
            ranked.select_nth_unstable_by(1, before);
            ranked.truncate(2);
        }
        ranked.sort_by(before);
        // Worth less than the capacity it would take is worth to the leads still expected:
        // held back (for the next batch), as the best plan in hindsight would leave it out.
        let held = if self.hold && ranked.first().is_some_and(|x| x.2 < 0.0) { ranked.first().copied() } else { None };
        // The decay the re-solves price this lead's worth with: its rep's, or its best's.
        let decay = ranked.first().map_or(1.0, |&(r, p, _)| {
            let p0 = sigmoid(lead.z_now + lead.effects[r]);
            if p0 > 0.0 { p / p0 } else { 1.0 }
        });
        if held.is_some() {
            ranked.clear();
        }
        Ranking { ranked, held, when, decay }
    }

    /// The row of a lead assigned to `best`, with why.
    fn assigned_row(&self, lead: &Lead, ranking: &Ranking, (r, p, _): (usize, f64, f64)) -> Vec<String> {
        let (f4, pw) = (crate::fmt::fmt_p, crate::fmt::Pw);
        let width = self.columns().len();
        let mut cells = vec![String::new(); width];
        cells[0] = lead.id.clone();
        cells[1] = self.reps.id[r].clone();
        cells[2] = "assigned".into();
        cells[4] = f4(crate::model::metrics::sigmoid(lead.z));
        cells[5] = f4(p);
        cells[6] = crate::fmt::fmt_num((lead.value * p * 100.0).round() / 100.0);
        let mut why = match ranking.ranked.get(1).copied() {
            Some((r2, p2, _)) => {
                cells[9] = self.reps.id[r2].clone();
                cells[10] = f4(p2);
                if p2 > p {
                    format!(
                        "{} (p_win {}) has the most to gain net of the price of its capacity ({} per unit against {} \
                         for {} at p_win {}).",
                        self.reps.id[r],
                        pw(p),
                        crate::fmt::amount(self.price[r]),
                        crate::fmt::amount(self.price[r2]),
                        self.reps.id[r2],
                        pw(p2)
                    )
                } else {
                    format!(
                        "{} has the best chance to win it (p_win {}; runner-up {} {}) among the eligible reps with \
                         room.",
                        self.reps.id[r],
                        pw(p),
                        self.reps.id[r2],
                        pw(p2)
                    )
                }
            }
            None => format!("{} (p_win {}) is the only eligible active rep with room.", self.reps.id[r], pw(p)),
        };
        if let (Some(t), Some(a), Some(c)) = (lead.arrival, ranking.when[r], self.clock.as_ref()) {
            cells[width - 2] = crate::calendar::fmt_instant(a);
            why.pop();
            if a <= crate::calendar::ceil_minute(t) {
                why.push_str(&format!("; {} can call at once.", self.reps.id[r]));
            } else {
                why.push_str(&format!(
                    "; {} can call from {} ({} after it came in: × {:.2} for the wait).",
                    self.reps.id[r],
                    crate::calendar::fmt_local(a, &c.calendars[r].zone),
                    crate::calendar::fmt_delay(a - t),
                    c.decay(a - t)
                ));
            }
        }
        cells[width - 1] = why;
        cells
    }

    /// The row of a lead nobody takes now: held back, or why no rep can.
    fn unassigned_row(&mut self, leads: &crate::data::Leads, lead: &Lead, ranking: &Ranking) -> Vec<String> {
        use crate::assign::Reason;
        let (f4, pw) = (crate::fmt::fmt_p, crate::fmt::Pw);
        let width = self.columns().len();
        let mut cells = vec![String::new(); width];
        cells[0] = lead.id.clone();
        cells[4] = f4(crate::model::metrics::sigmoid(lead.z));
        // No eligible active rep, with room or not, can start within the horizon.
        let none_in_time = match (lead.arrival, self.clock.as_mut()) {
            (Some(t), Some(c)) => {
                let active: Vec<usize> = lead.eligible.iter().copied().filter(|&r| self.reps.active[r]).collect();
                !active.is_empty()
                    && active.iter().all(|&r| c.available_at(r, crate::calendar::ceil_minute(t)).is_none())
            }
            _ => false,
        };
        let reason = if ranking.held.is_some() {
            Reason::CapacityReserved
        } else if none_in_time {
            Reason::NoAvailableRep
        } else {
            self.no_rep_reason(&lead.eligible, lead.w)
        };
        let w = lead.w;
        cells[2] = "unassigned".into();
        cells[3] = reason.code().into();
        cells[width - 1] = match reason {
            Reason::CapacityReserved => {
                let (r, p, _) = ranking.held.expect("held");
                cells[9] = self.reps.id[r].clone();
                cells[10] = f4(p);
                let (worth, what) = if self.value_objective {
                    (crate::fmt::amount(lead.value * p), "expected value")
                } else {
                    (format!("{p:.2}"), "expected wins")
                };
                format!(
                    "Not assigned now: its best rep with room, {} (p_win {}, {what} {worth}), has capacity priced at {} \
                     for the leads still expected today; the lead waits for the next batch (`--fill` routes every \
                     lead while a rep has room).",
                    self.reps.id[r],
                    pw(p),
                    crate::fmt::amount(self.price[r] * w)
                )
            }
            Reason::NoAvailableRep => {
                let active: Vec<&str> =
                    lead.eligible.iter().filter(|&&r| self.reps.active[r]).map(|&r| self.reps.id[r].as_str()).collect();
                format!(
                    "Not assigned: none of its eligible active reps ({}{}) can start on it within the {}-hour horizon \
                     (away or off shift).",
                    active.iter().take(3).copied().collect::<Vec<_>>().join(", "),
                    if active.len() > 3 { ", …" } else { "" },
                    crate::timing::fmt_hours(self.clock.as_ref().map_or(0, |c| c.horizon) as f64 / 3600.0)
                )
            }
            Reason::NoEligibleRep => {
                format!("Not assigned: no rep's eligibility lists admit this lead ({}).", lead.describe)
            }
            Reason::NoActiveRep => "Not assigned: its eligible reps are all inactive.".into(),
            Reason::WorkloadExceedsCapacity => format!(
                "Not assigned: its workload of {} is more than any eligible active rep's capacity.",
                crate::fmt::fmt_num(w)
            ),
            _ => format!(
                "Not assigned: all {} eligible active reps have used their capacity for the day (it needs {}).",
                lead.eligible.iter().filter(|&&r| self.reps.active[r]).count(),
                if (w - 1.0).abs() < crate::assign::EPS {
                    "1 unit".to_string()
                } else {
                    format!("{} units", crate::fmt::fmt_num(w))
                }
            ),
        };
        let _ = leads;
        cells
    }

    /// Takes a decision into the state: the rep's capacity spent, the lead seen and
    /// sampled, the prices stepped (and re-solved when due); its row and journal record.
    fn commit(
        &mut self,
        lead: &Lead,
        ranking: &Ranking,
        cells: Vec<String>,
        chosen: Option<usize>,
    ) -> (Answer, Option<Record>) {
        if let Some(r) = chosen {
            self.remaining[r] -= lead.w;
        }
        let sample = self.observe(&lead.eligible, lead.sig, lead.z_now, lead.value, lead.w, ranking.decay);
        self.update_prices(chosen, lead.w);
        let cells: Vec<String> = cells.iter().map(|c| crate::output::neutralise(c).into_owned()).collect();
        let routed = RoutedLead {
            lead_id: lead.id.clone(),
            rep_id: chosen.map(|r| self.reps.id[r].clone()),
            reason: (!cells[3].is_empty()).then(|| cells[3].clone()),
            row: Some(cells.clone()),
        };
        let (new_set, new_sig) = std::mem::take(&mut self.introduced);
        let record = Record {
            seq: self.arrived,
            lead: lead.id.clone(),
            rep: routed.rep_id.clone(),
            reason: routed.reason.clone(),
            w: lead.w,
            row: cells.clone(),
            sample,
            decay: self.clock.as_ref().map(|_| ranking.decay),
            new_set,
            new_sig,
        };
        self.seen.insert(lead.id.clone(), self.state.routed.len());
        self.state.routed.push(routed);
        (Answer { cells, fresh: true }, Some(record))
    }

    /// Holds a decision of the journal again, as when it was first made (its rep's capacity
    /// spent, the lead seen and sampled, the prices stepped and re-solved alike), without
    /// deciding it again: the reps file may have changed since.
    pub fn replay(&mut self, rec: &Record) -> Result<()> {
        self.start();
        if rec.seq != self.arrived + 1 {
            anyhow::bail!("journal record {} does not follow decision {}", rec.seq, self.arrived);
        }
        if let Some(values) = &rec.new_sig {
            self.signature(values.clone());
        }
        if let Some(set) = &rec.new_set {
            let reps: Vec<usize> = match &set.reps {
                None => (0..self.reps.len()).collect(),
                Some(ids) => {
                    let mut v: Vec<usize> = ids.iter().filter_map(|id| self.reps.find(id)).collect();
                    v.sort_unstable();
                    v
                }
            };
            self.add_set(reps, set.reps.clone());
        }
        let chosen = rec.rep.as_deref().and_then(|id| self.reps.find(id));
        if let Some(r) = chosen {
            self.remaining[r] -= rec.w;
        }
        self.state.sample.observed.push(rec.sample);
        if let Some(d) = rec.decay {
            self.state.sample.observed_decay.push(d);
        }
        self.update_prices(chosen, rec.w);
        self.seen.insert(rec.lead.clone(), self.state.routed.len());
        self.state.routed.push(RoutedLead {
            lead_id: rec.lead.clone(),
            rep_id: rec.rep.clone(),
            reason: rec.reason.clone(),
            row: Some(rec.row.clone()),
        });
        Ok(())
    }

    /// The answer given earlier to a lead routed before (by the stream, or in the batch).
    fn earlier(&self, k: usize) -> Answer {
        let width = self.columns().len();
        let r = &self.state.routed[k];
        let cells = match &r.row {
            Some(row) => {
                let mut cells = row.clone();
                cells.resize(width, String::new());
                cells
            }
            None => {
                let mut cells = vec![String::new(); width];
                cells[0] = r.lead_id.clone();
                cells[1] = r.rep_id.clone().unwrap_or_default();
                cells[2] = if r.rep_id.is_some() { "assigned" } else { "unassigned" }.into();
                cells[3] = r.reason.clone().unwrap_or_default();
                cells[width - 1] = "Routed already in the batch the routing state was made from.".into();
                cells
            }
        };
        Answer { cells, fresh: false }
    }

    fn no_rep_reason(&self, eligible: &[usize], w: f64) -> crate::assign::Reason {
        use crate::assign::Reason;
        let active: Vec<usize> = eligible.iter().copied().filter(|&r| self.reps.active[r]).collect();
        if eligible.is_empty() {
            Reason::NoEligibleRep
        } else if active.is_empty() {
            Reason::NoActiveRep
        } else if active.iter().all(|&r| self.reps.capacity[r] + crate::assign::EPS < w) {
            Reason::WorkloadExceedsCapacity
        } else {
            Reason::AllEligibleAtCapacity
        }
    }

    /// Adds a routed lead to the sample the prices are re-solved against, with the decay
    /// of its wait (time-aware; 1 otherwise); what it added.
    fn observe(
        &mut self,
        eligible: &std::sync::Arc<Vec<usize>>,
        sig: u32,
        z: f64,
        value: f64,
        w: f64,
        decay: f64,
    ) -> SampleLead {
        // The set's index, looked up once per distinct eligible list (by its address: lists
        // are shared per key of the rule columns).
        let addr = std::sync::Arc::as_ptr(eligible) as usize;
        let cached = self.set_of_eligible.get(&addr).copied();
        let set = match cached.or_else(|| self.set_index.get(eligible.as_slice()).copied()) {
            Some(k) => {
                self.set_of_eligible.insert(addr, k);
                k
            }
            None => {
                let ids = (eligible.len() < self.reps.len())
                    .then(|| eligible.iter().map(|&r| self.reps.id[r].clone()).collect::<Vec<_>>());
                self.introduced.0 = Some(NewSet { reps: ids.clone() });
                let k = self.add_set(eligible.to_vec(), ids);
                self.set_of_eligible.insert(addr, k);
                k
            }
        };
        let lead = SampleLead(z, value, w, set, sig);
        self.state.sample.observed.push(lead);
        if self.clock.is_some() {
            self.state.sample.observed_decay.push(decay);
        }
        lead
    }

    /// A new set of eligible reps in the sample: its index.
    fn add_set(&mut self, reps: Vec<usize>, ids: Option<Vec<String>>) -> u32 {
        let k = self.sets.len() as u32;
        self.state.sample.sets.push(ids);
        self.set_index.insert(reps.clone(), k);
        self.sets.push(reps);
        k
    }

    /// The dual step after a lead that used `w` of rep `chosen` (none: placed nowhere), and
    /// the re-solve when one is due.
    fn update_prices(&mut self, chosen: Option<usize>, w: f64) {
        self.arrived += 1;
        self.state.arrived = self.arrived;
        let left = self.state.expected_arrivals.saturating_sub(self.arrived).max(1) as f64;
        for r in 0..self.reps.len() {
            if !self.reps.active[r] {
                continue;
            }
            let target = self.remaining[r].max(0.0) / left;
            let used = if chosen == Some(r) { w } else { 0.0 };
            self.price[r] = (self.price[r] + self.step * (used - target)).max(0.0);
        }
        if self.resolve_every > 0 && self.arrived.is_multiple_of(self.resolve_every) {
            self.resolve();
        }
    }

    /// The index of these segment values among the sample's signatures (added if new).
    fn signature(&mut self, values: Vec<String>) -> u32 {
        if let Some(&k) = self.sig_index.get(&values) {
            return k;
        }
        let k = self.state.sample.signatures.len() as u32;
        self.state.sample.signatures.push(values.clone());
        self.sig_effects.push(None);
        self.introduced.1 = Some(values.clone());
        self.sig_index.insert(values, k);
        k
    }

    /// Rep effects of the sample's signature `sig`.
    fn sig_effects(&mut self, sig: u32) -> std::sync::Arc<Vec<f64>> {
        if let Some(e) = &self.sig_effects[sig as usize] {
            return e.clone();
        }
        let values = self.state.sample.signatures[sig as usize].clone();
        let e = std::sync::Arc::new(if values.len() == self.skill.segments.len() {
            self.rep_effects(&values)
        } else {
            self.overall.clone()
        });
        self.sig_effects[sig as usize] = Some(e.clone());
        e
    }

    /// Re-solves the prices: the plan of the remaining capacity for a sample of the arrivals
    /// still expected — the forecast's leads and the observed ones, mixed by how many have
    /// been observed (the forecast counting as `prior` arrivals), capacities scaled from the
    /// arrivals expected to the sample's size — and each rep's price set to that plan's
    /// multiplier of its capacity.
    fn resolve(&mut self) {
        let left = self.state.expected_arrivals.saturating_sub(self.arrived);
        let (f, o) = (self.state.sample.forecast.len(), self.state.sample.observed.len());
        if left == 0 || f + o == 0 {
            return;
        }
        // The observed leads' share of the sample is o / (o + prior); the side with too few
        // leads for its share shrinks the other.
        let m = RESOLVE_SAMPLE.min(f + o) as f64;
        let share = o as f64 / (o as f64 + self.prior);
        let (mut m_o, mut m_f) = ((m * share).min(o as f64), (m * (1.0 - share)).min(f as f64));
        if o > 0 && f > 0 {
            if m_f * share > m_o * (1.0 - share) {
                m_f = m_o * (1.0 - share) / share;
            } else {
                m_o = m_f * share / (1.0 - share);
            }
        }
        let (m_o, m_f) = (m_o.round() as usize, m_f.round() as usize);
        let pick = |n: usize, k: usize| (0..k).map(move |j| j * n / k);
        // Each lead's worth scaled by the decay of its wait (time-aware states keep it).
        let sample = &self.state.sample;
        let factor = |v: &Vec<f64>, j: usize| v.get(j).copied().unwrap_or(1.0);
        let items: Vec<(SampleLead, f64)> = pick(f, m_f)
            .map(|j| (sample.forecast[j], factor(&sample.forecast_decay, j)))
            .chain(pick(o, m_o).map(|j| (sample.observed[j], factor(&sample.observed_decay, j))))
            .collect();
        let scale = items.len() as f64 / left as f64;
        let usable: Vec<bool> = (0..self.reps.len()).map(|r| self.reps.active[r] && self.remaining[r] > 0.0).collect();
        let mut problem = SampleProblem {
            capacity: (0..self.reps.len())
                .map(|r| if usable[r] { (self.remaining[r] * scale).round().max(0.0) } else { 0.0 })
                .collect(),
            ..SampleProblem::default()
        };
        let mut set_cands: Vec<Option<u32>> = vec![None; self.sets.len()];
        for &(it, decay) in &items {
            let SampleLead(z, value, w, set, sig) = it;
            let c = *set_cands[set as usize].get_or_insert_with(|| {
                problem.cands.push(self.sets[set as usize].iter().filter(|&&r| usable[r]).map(|&r| r as u32).collect());
                problem.cands.len() as u32 - 1
            });
            let effects = self.sig_effects(sig);
            let unit = decay * if self.value_objective { value } else { 1.0 };
            problem.start.push(problem.profit.len());
            problem.cand_of.push(c);
            problem.weight.push(w);
            for &r in &problem.cands[c as usize] {
                problem.profit.push(unit * crate::model::metrics::sigmoid(z + effects[r as usize]));
            }
        }
        let lambda = match crate::assign::auction::auction(&problem, 1e-3, Some(8.0)) {
            Some(a) => a.lambda,
            None => {
                let greedy = crate::assign::solver::greedy(&problem);
                let lower = crate::assign::solver::verify(&problem, &greedy).unwrap_or(0.0);
                crate::assign::solver::lagrangian_bound(&problem, lower, 100, Some(&self.price)).1
            }
        };
        for r in 0..self.reps.len() {
            if usable[r] && lambda[r].is_finite() {
                self.price[r] = lambda[r].max(0.0);
            }
        }
    }

    /// The state as it stands: remaining capacity and prices now, every lead routed.
    pub fn snapshot(&mut self) -> &RoutingState {
        for s in self.state.reps.iter_mut() {
            if let Some(r) = self.reps.find(&s.rep_id) {
                s.remaining = self.remaining[r];
                s.price = self.price[r];
            }
        }
        &self.state
    }
}
