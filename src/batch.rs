//! The batch to route, read and checked: config, leads (with today's owners), reps (with any
//! share cap) and the eligibility classes that bind them.

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;

use crate::config::{Config, Label};
use crate::data::find_column;
use crate::data::{Leads, Reps};
use crate::eligibility::Eligibility;
use crate::io::Table;
use crate::join;
use crate::timing::{ClockInput, Timing};

/// The input files of a batch.
#[derive(Debug, Clone, Copy)]
pub struct BatchFiles<'a> {
    pub leads: &'a Path,
    pub reps: &'a Path,
    pub config: Option<&'a Path>,
    /// Today's owners (lead id, rep id), replacing the leads file's rep_id column.
    pub current: Option<&'a Path>,
    /// Every rep's capacity lowered to this share of the batch's workload.
    pub max_share: Option<f64>,
    /// When the plan takes effect (`--at`): routing is time-aware with it, or when the reps
    /// have calendars or the config a `[timing]` or `[availability]` section (then from now).
    pub at: Option<crate::calendar::Secs>,
}

/// A batch ready to route.
#[derive(Debug)]
pub struct Batch {
    pub cfg: Config,
    pub leads: Leads,
    pub reps: Reps,
    pub elig: Eligibility,
    /// The batch's clock, when routing is time-aware.
    pub timing: Option<Arc<Timing>>,
}

impl Batch {
    /// Reads and validates the batch's files; the rows of the owners file that name no lead
    /// of the batch are counted in a warning.
    pub fn load(f: &BatchFiles, warnings: &mut Vec<String>) -> Result<Batch> {
        let cfg = Config::load_or_default(f.config)?;
        let mut leads = Leads::from_table(join::read(f.leads, "leads", &cfg, warnings)?, &cfg)?;
        let mut current: Option<(Table, Vec<Option<usize>>)> = None;
        if let Some(path) = f.current {
            let table = Table::read(path, "current owners")?;
            let (unknown, rows) = leads.set_owners(&table, &cfg)?;
            current = Some((table, rows));
            if unknown > 0 {
                warnings.push(format!(
                    "{}: {unknown} rows name a lead that is not in {}; they are ignored",
                    path.display(),
                    f.leads.display()
                ));
            }
        }
        // A leads file that carries outcomes (a CRM pipeline export): its won and lost deals
        // stay in the output, unrouted.
        if let Some(c) = find_column(&leads.table, &cfg, "outcome") {
            leads.closed = (0..leads.len()).map(|l| cfg.outcome.label(leads.table.cell(l, c)) != Label::Open).collect();
            let n = leads.closed.iter().filter(|&&c| c).count();
            // Who worked a closed deal is history, not a claim on it.
            for l in (0..leads.len()).filter(|&l| leads.closed[l]) {
                leads.owner[l] = None;
            }
            if n > 0 {
                warnings.push(format!(
                    "{}: {n} of {} leads are already closed ({} is one of the won or lost values): they are not \
                     routed (reason closed_deal)",
                    f.leads.display(),
                    leads.len(),
                    leads.table.headers()[c]
                ));
            }
        }
        let mut reps = Reps::from_table(join::read(f.reps, "reps", &cfg, warnings)?, &cfg)?;
        let open_workload = (0..leads.len()).filter(|&l| !leads.closed[l]).map(|l| leads.workload[l]).sum();
        warnings.extend(reps.settle_capacity(&cfg, open_workload));
        if let Some(share) = f.max_share {
            // A share cap is a capacity: every policy and the checker see the lower one.
            let cap = (share * leads.workload.iter().sum::<f64>()).ceil();
            for c in reps.capacity.iter_mut() {
                *c = c.min(cap);
            }
        }
        let mut elig = Eligibility::new(&cfg, &leads, &reps)?;
        let timing = if f.at.is_some() || reps.has_calendar || cfg.time_aware() {
            let at = f.at.unwrap_or_else(crate::timing::now);
            let own_rows: Vec<Option<usize>>;
            let owners = match &current {
                Some((t, rows)) => Some((t, rows.as_slice())),
                None => {
                    own_rows = (0..leads.len()).map(Some).collect();
                    Some((&leads.table, own_rows.as_slice()))
                }
            };
            let timing = Timing::build(&ClockInput { at, cfg: &cfg, leads: &leads, reps: &reps, owners }, warnings)?;
            timing.bar(&mut elig, &reps);
            Some(Arc::new(timing))
        } else {
            None
        };
        Ok(Batch { cfg, leads, reps, elig, timing })
    }

    /// Things in otherwise valid inputs that are probably mistakes: config entries naming
    /// columns the leads do not have (for `exclude`, nor the history: a column known only at
    /// training is excluded there), and current owners missing from the reps file.
    pub fn input_warnings(&self, history: Option<&Table>) -> Vec<String> {
        let (cfg, leads, reps) = (&self.cfg, &self.leads, &self.reps);
        let mut out = Vec::new();
        let lists = [("exclude", &cfg.features.exclude), ("segments", &cfg.features.segments)];
        for (key, list) in lists {
            let in_history = |c: &String| key == "exclude" && history.is_some_and(|h| h.column(c).is_some());
            for col in list.iter().filter(|c| leads.table.column(c).is_none() && !in_history(c)) {
                out.push(format!(
                    "{}: [features] {key} names {col:?}, which {} does not have",
                    cfg.describe(),
                    leads.table.path().display()
                ));
            }
        }
        out.extend(self.elig.unmatched_warnings(leads, reps, history));
        if cfg.source.is_none() && cfg.eligibility.is_empty() {
            out.extend(crate::eligibility::suggested_rules(cfg, leads, reps));
        }
        let unknown: Vec<&str> =
            leads.owner.iter().flatten().filter(|o| reps.find(o).is_none()).map(String::as_str).collect();
        if !unknown.is_empty() {
            let mut examples: Vec<&str> = unknown.clone();
            examples.sort_unstable();
            examples.dedup();
            examples.truncate(3);
            out.push(format!(
                "{} leads name a current owner that is not in {} (e.g. {})",
                unknown.len(),
                reps.table.path().display(),
                examples.join(", ")
            ));
        }
        out
    }

    /// Leads of the batch that leave their current owner in `decisions` (rep per lead).
    pub fn moved_from_owner(&self, decisions: &[Option<usize>]) -> usize {
        (0..self.leads.len())
            .filter(|&l| {
                self.leads.owner[l]
                    .as_deref()
                    .is_some_and(|o| decisions[l].map(|r| self.reps.id[r].as_str()) != Some(o))
            })
            .count()
    }
}
