//! `backtest`: replay the policies on held-out history, hold the result to the gates, write
//! the JSON and the report.

use anyhow::Result;

use crate::backtest::{self, Backtest, BacktestSettings, Split};
use crate::error::UsageError;
use crate::io::check_output_path;
use crate::progress::{Progress, Stages};

/// Runs the backtest and writes the JSON and report. Gates are evaluated into the result;
/// [`backtest::gate_failure`] turns violated ones into the error that exits with code 3.
pub fn run(
    s: &BacktestSettings,
    progress: &Progress,
    warnings: &mut Vec<String>,
    stages: &mut Stages,
) -> Result<Backtest> {
    for out in [&s.json, &s.report].into_iter().flatten() {
        check_output_path(out)?;
    }
    if let Split::Fraction(x) = s.split
        && !(x > 0.0 && x < 1.0)
    {
        return Err(UsageError(format!("the test fraction must be between 0 and 1 (exclusive), got {x}")).into());
    }
    if !(s.gates.max_regression.is_finite() && s.gates.max_regression >= 0.0) {
        return Err(
            UsageError(format!("the largest regression must be a share ≥ 0, got {}", s.gates.max_regression)).into()
        );
    }
    let baseline = s.gates.baseline.as_deref().map(Backtest::load).transpose()?;
    let mut result = backtest::estimate(s, progress, warnings, stages)?;
    result.gates = backtest::gates(&result, &s.gates, baseline.as_ref());
    if let Some(path) = &s.json {
        crate::io::write_json(path, &result)?;
    }
    if let Some(path) = &s.report {
        let mut inputs: Vec<(&str, &std::path::Path)> = vec![("history", &s.history), ("reps", &s.reps)];
        if let Some(c) = &s.config {
            inputs.push(("config", c));
        }
        let split = match s.split {
            Split::From(d) => format!("test from {d}"),
            Split::Fraction(x) => format!("test fraction = {x}"),
        };
        let settings = vec![split, format!("bootstrap = {}", s.bootstrap)];
        let run = crate::report::RunInfo::new("backtest", &inputs, s.seed, settings)?;
        crate::report::write_text(path, &backtest::markdown(&result, &run))?;
    }
    stages.mark("write");
    Ok(result)
}
