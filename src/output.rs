//! The assignment CSV: one row per input lead, in input order, written atomically.
//!
//! Cells that came from input files or are free text are neutralised against spreadsheet
//! formula injection (OWASP): a cell starting with `=`, `+`, `-`, `@`, tab or CR gets a
//! leading `'` so a spreadsheet shows it as text instead of running it.

use std::path::Path;

use anyhow::Result;
use rayon::prelude::*;

use crate::assign::Plan;
use crate::data::{Leads, Reps};
use crate::fmt::fmt_p;
use crate::io::write_atomic;
use crate::scoring;
use crate::timing::Timing;

/// The output columns, in order.
pub const COLUMNS: [&str; 12] = [
    "lead_id",
    "rep_id",
    "status",
    "reason",
    "score",
    "p_win",
    "expected_value",
    "rank",
    "tier",
    "runner_up_rep_id",
    "runner_up_p_win",
    "explanation",
];

/// The output columns of a time-aware plan: `available_at` (UTC) before the explanation.
pub const TIMED_COLUMNS: [&str; 13] = with_available_at(COLUMNS);

const fn with_available_at(c: [&'static str; 12]) -> [&'static str; 13] {
    let mut out = [""; 13];
    let mut i = 0;
    while i < 11 {
        out[i] = c[i];
        i += 1;
    }
    out[11] = "available_at";
    out[12] = c[11];
    out
}

/// Makes a text cell safe to open in a spreadsheet.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Priority rank of each lead (1 = work first): without a model, the larger deal first,
/// then the older lead, then file order.
pub fn priority_rank(leads: &Leads) -> Vec<usize> {
    let mut order: Vec<usize> = (0..leads.len()).collect();
    order.sort_by(|&a, &b| {
        leads.value[b]
            .total_cmp(&leads.value[a])
            .then_with(|| {
                (leads.created_at[a].is_none(), leads.created_at[a])
                    .cmp(&(leads.created_at[b].is_none(), leads.created_at[b]))
            })
            .then(a.cmp(&b))
    });
    let mut rank = vec![0; leads.len()];
    for (pos, lead) in order.into_iter().enumerate() {
        rank[lead] = pos + 1;
    }
    rank
}

/// Writes the assignment CSV for `plan` to `path`, atomically, with each lead's priority
/// `rank` ([`scoring::rank`] of the scores, else [`priority_rank`]). With `scores`, the
/// score, p_win and expected value columns are filled; with
/// `runner_up`, the rep the policy ranked next and its p_win (NaN: unknown, left empty); with
/// `timing` (time-aware routing), when each assigned lead's rep can start on it.
#[allow(clippy::too_many_arguments)] // one per output column group; a struct would only rename them
pub fn write_assignments(
    path: &Path,
    plan: &Plan,
    leads: &Leads,
    reps: &Reps,
    scores: Option<&[f64]>,
    p_win: &[Option<f64>],
    rank: &[usize],
    runner_up: Option<&[Option<(usize, f64)>]>,
    timing: Option<&Timing>,
) -> Result<()> {
    let header: &[&str] = if timing.is_some() { &TIMED_COLUMNS } else { &COLUMNS };
    write_csv(path, header, plan.decisions.len(), |lead, out| {
        let d = &plan.decisions[lead];
        let rep = d.rep.map(|r| reps.id[r].as_str()).unwrap_or("");
        let status = if d.rep.is_some() { "assigned" } else { "unassigned" };
        let reason = d.reason.map(|r| r.code()).unwrap_or("");
        let tier = scoring::tier(rank[lead], leads.len()).to_string();
        let rank = rank[lead].to_string();
        let (ru_rep, ru_p) = match runner_up.and_then(|ru| ru[lead]) {
            Some((r, p)) => (reps.id[r].as_str(), if p.is_finite() { fmt_p(p) } else { String::new() }),
            None => ("", String::new()),
        };
        let score = scores.map(|s| fmt_p(s[lead])).unwrap_or_default();
        let (p, ev) = match p_win.get(lead).copied().flatten() {
            Some(p) => (fmt_p(p), format!("{:.2}", p * leads.value[lead])),
            None => (String::new(), String::new()),
        };
        let front = [
            neutralise(&leads.id[lead]),
            neutralise(rep),
            status.into(),
            reason.into(),
            score.into(),
            p.into(),
            ev.into(),
            rank.into(),
            tier.into(),
            neutralise(ru_rep),
            ru_p.into(),
        ];
        match timing {
            Some(t) => {
                let when = d.rep.and_then(|r| t.available_at_text(lead, r)).unwrap_or_default();
                out.write_record(
                    front.iter().map(|c| c.as_ref()).chain([when.as_ref(), neutralise(&d.explanation).as_ref()]),
                )
            }
            None => out.write_record(front.iter().map(|c| c.as_ref()).chain([neutralise(&d.explanation).as_ref()])),
        }
    })
}

/// Writes a CSV atomically: `header`, then rows `0..n` in order, each written by `row`.
/// Blocks of rows are formatted in parallel (the same bytes as one writer would give).
pub fn write_csv<F>(path: &Path, header: &[&str], n: usize, row: F) -> Result<()>
where
    F: Fn(usize, &mut csv::Writer<Vec<u8>>) -> csv::Result<()> + Sync,
{
    const BLOCK: usize = 8192;
    let blocks: Vec<Vec<u8>> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            let mut out = csv::WriterBuilder::new().from_writer(Vec::new());
            for i in b * BLOCK..((b + 1) * BLOCK).min(n) {
                row(i, &mut out)?;
            }
            out.into_inner().map_err(|e| csv::Error::from(e.into_error()))
        })
        .collect::<csv::Result<_>>()?;
    write_atomic(path, |w| {
        let mut out = csv::WriterBuilder::new().from_writer(&mut *w);
        out.write_record(header)?;
        out.flush()?;
        drop(out);
        for block in &blocks {
            w.write_all(block)?;
        }
        Ok(())
    })
}

/// Writes the scores CSV: `lead_id, score, rank, tier, top_factors`, in input order.
pub fn write_scores(path: &Path, leads: &Leads, p: &[f64], explained: &[String]) -> Result<()> {
    let rank = scoring::rank(p);
    let n = leads.len();
    write_csv(path, &["lead_id", "score", "rank", "tier", "top_factors"], n, |i, out| {
        let tier = scoring::tier(rank[i], n).to_string();
        out.write_record([
            neutralise(&leads.id[i]).as_ref(),
            &fmt_p(p[i]),
            &rank[i].to_string(),
            &tier,
            neutralise(&explained[i]).as_ref(),
        ])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        for bad in ["=SUM(A1)", "+1", "-2+3", "@cmd", "\tx", "\rx"] {
            assert_eq!(neutralise(bad), format!("'{bad}"));
        }
        assert_eq!(neutralise("L-001"), "L-001");
        assert_eq!(neutralise(""), "");
    }
}
