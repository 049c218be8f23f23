//! Lookup tables joined onto the input files, as the config's `[[join]]` entries say: a CRM
//! export arrives as several tables (opportunities, accounts, products, users), and each
//! lookup adds its columns to the rows whose key it holds.
//!
//! Many-to-one only: a key twice in a lookup is an input error naming the lookup's file, line
//! and key. Rows whose key the lookup lacks keep empty cells, counted in a warning. The
//! matching itself is a polars left join; the cells are then copied into the [`Table`], so
//! an error about a joined cell names the lookup file and its line.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::*;

use crate::config::{Config, JoinSpec};
use crate::error::InputError;
use crate::io::Table;

/// Reads the input file of `role` ("leads", "history" or "reps") and joins onto it every
/// lookup the config names for that role, in order.
pub fn read(path: &Path, role: &str, cfg: &Config, warnings: &mut Vec<String>) -> Result<Table> {
    let mut table = Table::read(path, role)?;
    for (i, spec) in cfg.joins.iter().enumerate().filter(|(_, j)| j.applies_to(role)) {
        table = join(table, i, spec, role, cfg, warnings)?;
    }
    Ok(table)
}

/// Joins one lookup onto `table`.
fn join(
    table: Table,
    i: usize,
    spec: &JoinSpec,
    role: &str,
    cfg: &Config,
    warnings: &mut Vec<String>,
) -> Result<Table> {
    let (left_on, right_on) = spec.keys();
    let which = format!("[[join]] {} in {}", i + 1, cfg.describe());
    let left_col = table.column(left_on).ok_or_else(|| {
        InputError::at(
            table.path(),
            Some(1),
            format!(
                "{which} joins on {left_on:?}, which this {role} file does not have (it has {}); name its key \
                 column, or limit the join with to = [...]",
                table.headers().iter().map(|h| format!("{h:?}")).collect::<Vec<_>>().join(", ")
            ),
        )
    })?;
    let path = cfg.resolve(&spec.file);
    let lookup = Table::read(&path, "lookup").with_context(|| format!("reading the lookup of {which}"))?;
    let right_col = lookup.column(right_on).ok_or_else(|| {
        InputError::at(&path, Some(1), format!("{which} joins on {right_on:?}, which this lookup file does not have"))
    })?;
    // Many-to-one: each key once in the lookup (checked here, where lines are known).
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(lookup.len());
    for row in 0..lookup.len() {
        let key = lookup.cell(row, right_col).trim();
        if key.is_empty() {
            continue;
        }
        if let Some(f) = first.insert(key, row) {
            return Err(lookup
                .cell_error(
                    row,
                    right_col,
                    format!(
                        "key {key:?} appears twice (first on line {}); a lookup joined by {which} needs each key \
                         once",
                        lookup.line(f).unwrap_or(0)
                    ),
                )
                .into());
        }
    }
    let matched = match_rows(&table, left_col, &lookup, right_col)?;
    // The lookup's other columns, unless the input already has a column of that name.
    let (mut cols, mut clash) = (Vec::new(), Vec::new());
    for (c, h) in lookup.headers().iter().enumerate().filter(|&(c, _)| c != right_col) {
        if table.column(h).is_some() || h.trim().is_empty() {
            clash.push(format!("{h:?}"));
        } else {
            cols.push(c);
        }
    }
    if !clash.is_empty() {
        warnings.push(format!(
            "{}: {} not joined onto {}: it has a column of that name already",
            path.display(),
            clash.join(", "),
            table.path().display()
        ));
    }
    let empty = (0..table.len()).filter(|&r| table.cell(r, left_col).trim().is_empty()).count();
    let unmatched: Vec<usize> =
        (0..table.len()).filter(|&r| matched[r].is_none() && !table.cell(r, left_col).trim().is_empty()).collect();
    if unmatched.is_empty() && empty > 0 {
        warnings.push(format!(
            "{}: {empty} of {} rows have no {left_on}; their columns from {} are empty",
            table.path().display(),
            table.len(),
            path.display()
        ));
    }
    if !unmatched.is_empty() {
        let mut examples: Vec<&str> = unmatched.iter().map(|&r| table.cell(r, left_col).trim()).collect();
        examples.sort_unstable();
        examples.dedup();
        let shown: Vec<String> = examples.iter().take(3).map(|e| format!("{e:?}")).collect();
        warnings.push(format!(
            "{}: {} of {} rows have a {left_on} that {} does not list (e.g. {}); their joined columns are empty{}",
            table.path().display(),
            unmatched.len(),
            table.len(),
            path.display(),
            shown.join(", "),
            if empty > 0 { format!(" (and {empty} rows have no {left_on} at all)") } else { String::new() }
        ));
    }
    Ok(table.joined(&lookup, &cols, &matched))
}

/// For each row of `table`, the lookup row with the same key (trimmed; an empty key matches
/// nothing): a polars left join of the two key columns.
fn match_rows(table: &Table, left_col: usize, lookup: &Table, right_col: usize) -> Result<Vec<Option<u32>>> {
    let key = |t: &Table, c: usize| -> Series {
        let cells: Vec<Option<&str>> = (0..t.len())
            .map(|r| {
                let v = t.cell(r, c).trim();
                (!v.is_empty()).then_some(v)
            })
            .collect();
        Series::new(PlSmallStr::from("key"), cells)
    };
    let row = |name: &str, n: usize| Series::new(PlSmallStr::from(name), (0..n as u32).collect::<Vec<u32>>());
    let left = DataFrame::new(table.len(), vec![key(table, left_col).into(), row("row", table.len()).into()])?;
    let right = DataFrame::new(lookup.len(), vec![key(lookup, right_col).into(), row("match", lookup.len()).into()])?;
    let args = JoinArgs {
        validation: JoinValidation::ManyToOne,
        maintain_order: MaintainOrderJoin::Left,
        ..JoinArgs::new(JoinType::Left)
    };
    let joined = left
        .lazy()
        .join(right.lazy(), [col("key")], [col("key")], args)
        .sort(["row"], SortMultipleOptions::default())
        .collect()?;
    let rows = joined.column("row")?.u32()?;
    let found = joined.column("match")?.u32()?;
    let mut matched = vec![None; table.len()];
    for (r, m) in rows.iter().zip(found.iter()) {
        if let Some(r) = r {
            matched[r as usize] = m;
        }
    }
    Ok(matched)
}
