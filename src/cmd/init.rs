//! `init`: read the exports and write a commented starter config.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::error::UsageError;
use crate::guess::{self, Exports};
use crate::io::{Table, check_output_path, write_atomic};

/// Settings of `init`.
#[derive(Debug, Clone)]
pub struct InitSettings {
    pub history: Option<PathBuf>,
    pub leads: Option<PathBuf>,
    pub reps: Option<PathBuf>,
    pub lookups: Vec<PathBuf>,
    pub out: PathBuf,
    pub force: bool,
}

/// Reads the exports, writes the config; returns the guesses, a line each.
pub fn run(s: &InitSettings) -> Result<Vec<String>> {
    if s.out.exists() && !s.force {
        return Err(UsageError(format!(
            "{} exists; it is left as it is (pass --force to replace it)",
            s.out.display()
        ))
        .into());
    }
    check_output_path(&s.out)?;
    let read = |p: &Option<PathBuf>, what: &str| p.as_deref().map(|p| Table::read(p, what)).transpose();
    let history = read(&s.history, "history")?;
    let leads = read(&s.leads, "leads")?;
    let reps = read(&s.reps, "reps")?;
    let lookups: Vec<Table> = s.lookups.iter().map(|p| Table::read(p, "lookup")).collect::<Result<_>>()?;
    let dir = s.out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let ex = Exports {
        history: s.history.as_deref().zip(history.as_ref()),
        leads: s.leads.as_deref().zip(leads.as_ref()),
        reps: s.reps.as_deref().zip(reps.as_ref()),
        lookups: s.lookups.iter().map(|p| relative_to(dir, p)).zip(&lookups).collect(),
    };
    let (text, summary) = guess::starter_config(&ex);
    write_atomic(&s.out, |w| Ok(w.write_all(text.as_bytes())?))?;
    Ok(summary)
}

/// `path` as the config in `dir` names it: relative to `dir` when `dir` is the current
/// folder, else absolute.
fn relative_to(dir: &Path, path: &Path) -> PathBuf {
    if dir == Path::new(".") || path.is_absolute() {
        path.to_path_buf()
    } else {
        std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
    }
}
