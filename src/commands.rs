//! The commands, as functions of validated settings. The command-line parser lives in the
//! binary; nothing here knows about flags.

use std::path::PathBuf;

use anyhow::Result;

use crate::assign::{self, Plan, Policy, Reason};
use crate::config::Config;
use crate::data::{Leads, Reps};
use crate::eligibility::Eligibility;
use crate::io::{Table, check_output_path};
use crate::output::write_assignments;

/// Settings of `assign`.
#[derive(Debug, Clone)]
pub struct AssignSettings {
    pub leads: PathBuf,
    pub reps: PathBuf,
    pub config: Option<PathBuf>,
    pub policy: Policy,
    pub seed: u64,
    pub out: PathBuf,
}

/// What `assign` did, for the one-line summary.
#[derive(Debug, Clone)]
pub struct AssignSummary {
    pub policy: Policy,
    pub leads: usize,
    pub assigned: usize,
    pub reps_used: usize,
    pub unassigned: Vec<(Reason, usize)>,
}

impl std::fmt::Display for AssignSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: assigned {} of {} leads to {} reps", self.policy, self.assigned, self.leads, self.reps_used)?;
        if !self.unassigned.is_empty() {
            let parts: Vec<String> = self.unassigned.iter().map(|(r, n)| format!("{n} {}", r.code())).collect();
            write!(f, "; unassigned: {}", parts.join(", "))?;
        }
        Ok(())
    }
}

/// Loads the config named on the command line, or the defaults.
pub fn load_config(path: Option<&std::path::Path>) -> Result<Config> {
    match path {
        Some(p) => Config::load(p),
        None => Ok(Config::default()),
    }
}

/// `assign`: read, validate, route, check, write.
pub fn assign(s: &AssignSettings) -> Result<AssignSummary> {
    check_output_path(&s.out)?;
    let cfg = load_config(s.config.as_deref())?;
    let leads = Leads::from_table(Table::read(&s.leads, "leads")?, &cfg)?;
    let reps = Reps::from_table(Table::read(&s.reps, "reps")?, &cfg)?;
    let elig = Eligibility::new(&cfg, &leads, &reps)?;
    let plan: Plan = assign::route_by_rule(s.policy, &leads, &reps, &elig, s.seed);
    assign::check(&plan, &leads, &reps, &elig)?;
    write_assignments(&s.out, &plan, &leads, &reps)?;
    let mut used: Vec<usize> = plan.decisions.iter().filter_map(|d| d.rep).collect();
    used.sort_unstable();
    used.dedup();
    Ok(AssignSummary {
        policy: s.policy,
        leads: leads.len(),
        assigned: plan.assigned(),
        reps_used: used.len(),
        unassigned: plan.unassigned_by_reason(),
    })
}
