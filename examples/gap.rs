//! The Generalized Assignment Problem benchmark (OR-Library and Yagiura instances).
//!
//! ```sh
//! cargo run --release --example gap -- FILE... [--minimize] [--seed N] [--time-limit S]
//! ```
//!
//! Reads OR-Library files (a count of problems, then each problem) and single-problem files
//! (Yagiura's types A–E): `m n`, the m × n profit (or cost) matrix, the m × n resource
//! matrix, the m capacities. Maximises profit by default; with `--minimize`, minimises cost
//! with every job assigned. Prints CSV `instance,value,seconds,bound,gap_pct`: the instance
//! is the file stem, with `-K` for the K-th problem of a multi-problem file; `bound` is the
//! Lagrangian bound (an upper bound on profit, a lower bound on cost) and `gap_pct` how far
//! the value is from it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use leadroute::assign::solver::{Dense, SolveSettings, lagrangian_bound, solve, verify};

fn main() -> Result<()> {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut minimize = false;
    let mut settings = SolveSettings { time_limit: Some(1.8), rounds: 400, ..SolveSettings::default() };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--minimize" => minimize = true,
            "--seed" => settings.seed = args.next().context("--seed needs a number")?.parse()?,
            "--time-limit" => settings.time_limit = Some(args.next().context("--time-limit needs seconds")?.parse()?),
            "--rounds" => settings.rounds = args.next().context("--rounds needs a number")?.parse()?,
            _ => files.push(PathBuf::from(a)),
        }
    }
    if files.is_empty() {
        bail!("usage: gap FILE... [--minimize] [--seed N] [--time-limit S] [--rounds N]");
    }
    println!("instance,value,seconds,bound,gap_pct");
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
            println!("{name},{value},{seconds:.3},{bound:.2},{gap:.3}");
        }
    }
    Ok(())
}

type Problem = (usize, usize, Vec<f64>, Vec<f64>, Vec<f64>);

/// Every problem in an OR-Library or Yagiura file.
fn read(path: &Path) -> Result<Vec<Problem>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let nums: Vec<f64> = text
        .split_whitespace()
        .map(|t| t.parse::<f64>().with_context(|| format!("{}: {t:?} is not a number", path.display())))
        .collect::<Result<_>>()?;
    let single = |at: usize| -> Option<usize> {
        let (m, n) = (*nums.get(at)? as usize, *nums.get(at + 1)? as usize);
        Some(2 + 2 * m * n + m)
    };
    // A single problem fills the file exactly; otherwise the first number counts problems.
    let (mut at, count) = if single(0) == Some(nums.len()) { (0, 1) } else { (1, nums[0] as usize) };
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let len = single(at).with_context(|| format!("{}: truncated", path.display()))?;
        if at + len > nums.len() {
            bail!("{}: truncated problem", path.display());
        }
        let (m, n) = (nums[at] as usize, nums[at + 1] as usize);
        let body = &nums[at + 2..at + len];
        out.push((m, n, body[..m * n].to_vec(), body[m * n..2 * m * n].to_vec(), body[2 * m * n..].to_vec()));
        at += len;
    }
    Ok(out)
}
