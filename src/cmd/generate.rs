//! `generate`: a synthetic sales world with a hidden truth, for trying the tool, tests and
//! benchmarks.

use anyhow::Result;

use crate::generate::{self, GenerateSettings, GenerateSummary};
use crate::progress::Progress;

/// `generate`: check the settings, write the world into `s.out`.
pub fn run(s: &GenerateSettings, progress: &Progress) -> Result<GenerateSummary> {
    s.check()?;
    generate::generate(s, progress)
}

impl std::fmt::Display for GenerateSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} leads, {} reps, {} history rows ({} won, {} lost, {} open)",
            self.leads, self.reps, self.history, self.history_won, self.history_lost, self.history_open
        )
    }
}
