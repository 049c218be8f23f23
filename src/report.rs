//! What a routing run did, for people and machines: the summary figures (`--summary-json`),
//! the CRM owner file (`--owner-csv`) and the Markdown report (`--report`).
//!
//! One [`Summary`] is built per run from the plan; every output renders from it, so the
//! figures agree everywhere.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::assign::rules::fmt_num;
use crate::assign::{EPS, Plan};
use crate::data::{Leads, Reps};
use crate::io::write_atomic;
use crate::output::neutralise;

/// Expected results of one policy's plan for the batch.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyResult {
    pub policy: String,
    pub assigned: usize,
    pub expected_wins: f64,
    pub expected_value: f64,
}

/// One rep's part of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct RepLine {
    pub rep_id: String,
    pub active: bool,
    pub capacity: f64,
    pub load: f64,
    pub leads: usize,
    pub min_leads: u32,
    pub expected_wins: f64,
    pub expected_value: f64,
    /// Share of the batch's assigned leads and of its expected value.
    pub share_leads: f64,
    pub share_value: f64,
    /// No lead of the batch still fits in the remaining capacity.
    pub at_capacity: bool,
    /// What one more workload unit of capacity is worth to the objective (the bound's
    /// multiplier); 0 where capacity does not bind.
    pub shadow_price: Option<f64>,
}

/// The run's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub policy: String,
    pub objective: Option<String>,
    pub leads: usize,
    pub assigned: usize,
    pub unassigned: BTreeMap<String, usize>,
    pub expected_wins: Option<f64>,
    pub expected_value: Option<f64>,
    /// This plan and the rule-based ones on the same batch, scored with the same p_win.
    pub policies: Vec<PolicyResult>,
    /// The optimizer's objective, its upper bound and the gap between them (%).
    pub objective_value: Option<f64>,
    pub bound: Option<f64>,
    pub gap_pct: Option<f64>,
    pub reps: Vec<RepLine>,
    /// Gini coefficient of leads, and of expected value, over active reps (0 = equal).
    pub gini_leads: f64,
    pub gini_value: Option<f64>,
}

/// Gini coefficient of non-negative amounts (0 when all are equal or all are 0).
pub fn gini(xs: &[f64]) -> f64 {
    let n = xs.len();
    let total: f64 = xs.iter().sum();
    if n == 0 || total <= 0.0 {
        return 0.0;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let weighted: f64 = v.iter().enumerate().map(|(i, x)| (2.0 * (i as f64 + 1.0) - n as f64 - 1.0) * x).sum();
    weighted / (n as f64 * total)
}

/// Inputs of [`summarise`] beyond the plan.
pub struct SummaryInput<'a> {
    pub leads: &'a Leads,
    pub reps: &'a Reps,
    pub plan: &'a Plan,
    pub p_win: &'a [Option<f64>],
    pub objective: Option<&'a str>,
    /// Other policies' results on the same batch.
    pub others: Vec<PolicyResult>,
    pub optimum: Option<(f64, f64)>,
    pub shadow_price: Option<&'a [f64]>,
}

pub fn summarise(s: &SummaryInput) -> Summary {
    let (leads, reps, plan) = (s.leads, s.reps, s.plan);
    let scored = s.p_win.iter().any(Option::is_some);
    let n_reps = reps.len();
    let mut load = vec![0.0; n_reps];
    let mut count = vec![0usize; n_reps];
    let mut wins = vec![0.0; n_reps];
    let mut value = vec![0.0; n_reps];
    for (l, d) in plan.decisions.iter().enumerate() {
        if let Some(r) = d.rep {
            load[r] += leads.workload[l];
            count[r] += 1;
            let p = s.p_win[l].unwrap_or(0.0);
            wins[r] += p;
            value[r] += p * leads.value[l];
        }
    }
    let assigned = plan.assigned();
    let total_wins: f64 = wins.iter().sum();
    let total_value: f64 = value.iter().sum();
    // The smallest workload still waiting decides whether a rep can take more.
    let smallest_left = plan
        .decisions
        .iter()
        .enumerate()
        .filter(|(_, d)| d.rep.is_none())
        .map(|(l, _)| leads.workload[l])
        .fold(f64::INFINITY, f64::min)
        .min(leads.workload.iter().copied().fold(f64::INFINITY, f64::min));
    let rep_lines: Vec<RepLine> = (0..n_reps)
        .map(|r| RepLine {
            rep_id: reps.id[r].clone(),
            active: reps.active[r],
            capacity: reps.capacity[r],
            load: load[r],
            leads: count[r],
            min_leads: reps.min_leads[r],
            expected_wins: wins[r],
            expected_value: value[r],
            share_leads: if assigned > 0 { count[r] as f64 / assigned as f64 } else { 0.0 },
            share_value: if total_value > 0.0 { value[r] / total_value } else { 0.0 },
            at_capacity: reps.active[r] && reps.capacity[r] - load[r] + EPS < smallest_left,
            shadow_price: s.shadow_price.map(|sp| sp.get(r).copied().unwrap_or(0.0)),
        })
        .collect();
    let active: Vec<usize> = (0..n_reps).filter(|&r| reps.active[r]).collect();
    let mut policies = vec![PolicyResult {
        policy: plan.policy.name().to_string(),
        assigned,
        expected_wins: total_wins,
        expected_value: total_value,
    }];
    policies.extend(s.others.iter().cloned());
    Summary {
        policy: plan.policy.name().to_string(),
        objective: s.objective.map(str::to_string),
        leads: leads.len(),
        assigned,
        unassigned: plan.unassigned_by_reason().into_iter().map(|(r, n)| (r.code().to_string(), n)).collect(),
        expected_wins: scored.then_some(total_wins),
        expected_value: scored.then_some(total_value),
        policies: if scored { policies } else { Vec::new() },
        objective_value: s.optimum.map(|o| o.0),
        bound: s.optimum.map(|o| o.1),
        gap_pct: s.optimum.map(|(v, b)| if b.abs() > 0.0 { 100.0 * (b - v) / b.abs() } else { 0.0 }),
        reps: rep_lines,
        gini_leads: gini(&active.iter().map(|&r| count[r] as f64).collect::<Vec<_>>()),
        gini_value: scored.then(|| gini(&active.iter().map(|&r| value[r]).collect::<Vec<_>>())),
    }
}

/// Writes the summary as pretty JSON, atomically.
pub fn write_json(path: &Path, summary: &Summary) -> Result<()> {
    write_atomic(path, |w| {
        serde_json::to_writer_pretty(&mut *w, summary)?;
        w.write_all(b"\n")?;
        Ok(())
    })
}

/// Writes `lead id header, rep id header` rows for the assigned leads, for a CRM's data
/// loader, atomically.
pub fn write_owner_csv(path: &Path, headers: (&str, &str), plan: &Plan, leads: &Leads, reps: &Reps) -> Result<()> {
    write_atomic(path, |w| {
        let mut out = csv::WriterBuilder::new().from_writer(w);
        out.write_record([neutralise(headers.0).as_ref(), neutralise(headers.1).as_ref()])?;
        for (l, d) in plan.decisions.iter().enumerate() {
            if let Some(r) = d.rep {
                out.write_record([neutralise(&leads.id[l]).as_ref(), neutralise(&reps.id[r]).as_ref()])?;
            }
        }
        out.flush()?;
        Ok(())
    })
}

/// Per-lead details for the report.
pub struct LeadDetail<'a> {
    pub rank: &'a [usize],
    pub tier: &'a [char],
    pub scores: Option<&'a [f64]>,
    pub factors: Option<&'a [String]>,
    pub runner_up: Option<&'a [Option<(usize, f64)>]>,
}

/// Text safe inside a Markdown table cell.
fn md(cell: &str) -> String {
    let mut out = String::with_capacity(cell.len());
    for ch in cell.chars() {
        match ch {
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' | '*' | '_' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(ch);
            }
            c => out.push(c),
        }
    }
    out
}

fn pct(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

/// The Markdown report: summary, policies compared, capacity and fairness, each rep's work
/// queue, then every lead.
pub fn markdown(
    summary: &Summary,
    plan: &Plan,
    leads: &Leads,
    reps: &Reps,
    p_win: &[Option<f64>],
    detail: &LeadDetail,
) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Lead routing report\n");
    let _ = writeln!(o, "## Summary\n");
    let _ = writeln!(o, "| | |\n| --- | --- |");
    let _ = writeln!(o, "| policy | {} |", summary.policy);
    if let Some(obj) = &summary.objective {
        let _ = writeln!(o, "| objective | {obj} |");
    }
    let _ = writeln!(o, "| leads in the batch | {} |", summary.leads);
    let _ = writeln!(o, "| assigned | {} |", summary.assigned);
    for (reason, n) in &summary.unassigned {
        let _ = writeln!(o, "| unassigned: `{reason}` | {n} |");
    }
    if let (Some(w), Some(v)) = (summary.expected_wins, summary.expected_value) {
        let _ = writeln!(o, "| expected wins | {w:.1} |");
        let _ = writeln!(o, "| expected value | {v:.0} |");
    }
    if let Some(g) = summary.gap_pct {
        let _ = writeln!(o, "| distance to the best possible plan (bound) | at most {g:.2} % |");
    }
    let _ = writeln!(o, "| fairness: Gini of leads per active rep | {:.3} |", summary.gini_leads);
    if let Some(g) = summary.gini_value {
        let _ = writeln!(o, "| fairness: Gini of expected value per active rep | {g:.3} |");
    }
    if !summary.policies.is_empty() {
        let _ = writeln!(o, "\n## Policies on this batch\n");
        let _ = writeln!(o, "Each plan scored with the same p_win.\n");
        let _ = writeln!(o, "| policy | assigned | expected wins | expected value |\n| --- | ---: | ---: | ---: |");
        for p in &summary.policies {
            let _ = writeln!(o, "| {} | {} | {:.1} | {:.0} |", p.policy, p.assigned, p.expected_wins, p.expected_value);
        }
    }
    let _ = writeln!(o, "\n## Reps\n");
    let _ = writeln!(
        o,
        "| rep | load / capacity | leads | floor | share of leads | expected wins | share of value | at capacity | one more unit is worth |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |"
    );
    for r in &summary.reps {
        let price = match r.shadow_price {
            Some(p) if r.at_capacity && p > 0.0 => format!("{p:.3}"),
            _ => String::new(),
        };
        let _ = writeln!(
            o,
            "| {}{} | {} / {} | {} | {} | {} | {:.1} | {} | {} | {} |",
            md(&r.rep_id),
            if r.active { "" } else { " (inactive)" },
            fmt_num(r.load),
            fmt_num(r.capacity),
            r.leads,
            if r.min_leads > 0 { r.min_leads.to_string() } else { String::new() },
            pct(r.share_leads),
            r.expected_wins,
            pct(r.share_value),
            if r.at_capacity { "yes" } else { "" },
            price
        );
    }
    // Each rep's leads in priority order: the morning work queue.
    let _ = writeln!(o, "\n## Work queues\n");
    let mut by_rep: Vec<Vec<usize>> = vec![Vec::new(); reps.len()];
    for (l, d) in plan.decisions.iter().enumerate() {
        if let Some(r) = d.rep {
            by_rep[r].push(l);
        }
    }
    for (r, queue) in by_rep.iter_mut().enumerate() {
        if queue.is_empty() {
            continue;
        }
        queue.sort_by_key(|&l| detail.rank[l]);
        let _ = writeln!(o, "### {}\n", md(&reps.id[r]));
        let _ = writeln!(o, "| # | lead | tier | p_win | value | why |\n| ---: | --- | --- | ---: | ---: | --- |");
        for (k, &l) in queue.iter().enumerate() {
            let p = p_win[l].map(|p| format!("{p:.2}")).unwrap_or_default();
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} |",
                k + 1,
                md(&leads.id[l]),
                detail.tier[l],
                p,
                fmt_num(leads.value[l]),
                md(&plan.decisions[l].explanation)
            );
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "## Every lead\n");
    let _ = writeln!(
        o,
        "| lead | rank | tier | score | top factors | rep | p_win | runner-up | decision |\n| --- | ---: | --- | ---: | --- | --- | ---: | --- | --- |"
    );
    for (l, d) in plan.decisions.iter().enumerate() {
        let rep = d.rep.map(|r| md(&reps.id[r])).unwrap_or_else(|| "—".into());
        let score = detail.scores.map(|s| format!("{:.2}", s[l])).unwrap_or_default();
        let factors = detail.factors.map(|f| md(&f[l])).unwrap_or_default();
        let runner = detail
            .runner_up
            .and_then(|ru| ru[l])
            .map(|(r, p)| format!("{} ({p:.2})", md(&reps.id[r])))
            .unwrap_or_default();
        let decision = match d.reason {
            Some(reason) => format!("`{}`: {}", reason.code(), md(&d.explanation)),
            None => md(&d.explanation),
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            md(&leads.id[l]),
            detail.rank[l],
            detail.tier[l],
            score,
            factors,
            rep,
            p_win[l].map(|p| format!("{p:.2}")).unwrap_or_default(),
            runner,
            decision
        );
    }
    o
}

/// Writes a text report (Markdown or HTML), atomically.
pub fn write_text(path: &Path, text: &str) -> Result<()> {
    write_atomic(path, |w| {
        w.write_all(text.as_bytes())?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gini_of_equal_and_concentrated_shares() {
        assert_eq!(gini(&[5.0, 5.0, 5.0]), 0.0);
        assert!((gini(&[0.0, 0.0, 0.0, 10.0]) - 0.75).abs() < 1e-12);
        assert_eq!(gini(&[]), 0.0);
    }

    #[test]
    fn markdown_cells_cannot_break_the_table_or_inject_html() {
        let s = md("a|b\n<script>*x*");
        assert!(!s.contains('\n') && !s.contains("<script>"), "{s}");
        assert!(s.contains("\\|") && s.contains("\\*x\\*"), "{s}");
    }
}
