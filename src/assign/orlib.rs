//! Reading the standard Generalized Assignment Problem files: OR-Library (a count of
//! problems, then each problem) and Yagiura's single-problem files. A problem is `m n`,
//! the m × n profit (or cost) matrix, the m × n resource matrix, then the m capacities.

use std::path::Path;

use anyhow::{Context, Result, bail};

/// One problem: agents `m`, jobs `n`, profit or cost `[agent * n + job]`, resource use in
/// the same layout, capacities.
pub type Problem = (usize, usize, Vec<f64>, Vec<f64>, Vec<f64>);

/// Every problem in an OR-Library or Yagiura file.
pub fn read(path: &Path) -> Result<Vec<Problem>> {
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
