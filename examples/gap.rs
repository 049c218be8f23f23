//! The Generalized Assignment Problem benchmark (OR-Library and Yagiura instances).
//!
//! ```sh
//! cargo run --release --example gap -- FILE... [--minimize] [--seed N] [--time-limit S] [--rounds N]
//! ```
//!
//! Reads OR-Library files (a count of problems, then each problem) and single-problem files
//! (Yagiura's types A–E): `m n`, the m × n profit (or cost) matrix, the m × n resource
//! matrix, the m capacities. Maximises profit by default; with `--minimize`, minimises cost
//! with every job assigned. Prints CSV `instance,value,seconds,bound,gap_pct`: the instance
//! is the file stem, with `-K` for the K-th problem of a multi-problem file; `bound` is the
//! Lagrangian bound (an upper bound on profit, a lower bound on cost) and `gap_pct` how far
//! the value is from it.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use leadroute::assign::orlib::read;
use leadroute::assign::solver::{Dense, SolveSettings, lagrangian_bound, solve, verify};

fn main() -> Result<()> {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut minimize = false;
    let mut settings = SolveSettings { time_limit: Some(1.8), rounds: 1_000_000, ..SolveSettings::default() };
    let mut args = std::env::args().skip(1);
    let (mut limit_given, mut rounds_given) = (false, false);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--minimize" => minimize = true,
            "--seed" => settings.seed = args.next().context("--seed needs a number")?.parse()?,
            "--time-limit" => {
                settings.time_limit = Some(args.next().context("--time-limit needs seconds")?.parse()?);
                limit_given = true;
            }
            "--rounds" => {
                settings.rounds = args.next().context("--rounds needs a number")?.parse()?;
                rounds_given = true;
            }
            _ => files.push(PathBuf::from(a)),
        }
    }
    // A number of rounds alone runs them all, whatever the machine's speed: the same values
    // on any machine (a time limit's results depend on how fast the machine is).
    if rounds_given && !limit_given {
        settings.time_limit = None;
    }
    if files.is_empty() {
        bail!("usage: gap FILE... [--minimize] [--seed N] [--time-limit S] [--rounds N]");
    }
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) ends the run quietly.
    let mut emit = |line: String| -> Result<bool> {
        match writeln!(out, "{line}").and_then(|_| out.flush()) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
            Err(e) => Err(e.into()),
        }
    };
    if !emit("instance,value,seconds,bound,gap_pct".into())? {
        return Ok(());
    }
    for file in &files {
        let problems = read(file)?;
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("instance").to_string();
        let several = problems.len() > 1;
        for (k, (m, n, c, a, b)) in problems.into_iter().enumerate() {
            let name = if several { format!("{stem}-{}", k + 1) } else { stem.clone() };
            let profit: Vec<f64> = if minimize { c.iter().map(|x| -x).collect() } else { c };
            let inst = Dense::new(m, n, profit, a, b, minimize);
            let start = Instant::now();
            let sol = solve(&inst, &settings);
            let seconds = start.elapsed().as_secs_f64();
            let value = verify(&inst, &sol).map_err(|e| anyhow::anyhow!("{name}: infeasible solution: {e}"))?;
            let (bound, _) = lagrangian_bound(&inst, value, 2000, None);
            let (value, bound) = if minimize { (-value, -bound) } else { (value, bound) };
            let gap = 100.0 * (value - bound).abs() / bound.abs().max(1e-9);
            if !emit(format!("{name},{value},{seconds:.3},{bound:.2},{gap:.3}"))? {
                return Ok(());
            }
        }
    }
    Ok(())
}
