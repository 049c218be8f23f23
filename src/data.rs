//! Typed views of the input files: leads, reps and (later) history.
//!
//! A [`Table`] knows CSV; this module knows what the canonical columns mean. It resolves
//! each canonical column through the config's `[columns]` mapping, parses its cells
//! (numbers, booleans, dates, ids) and reports any bad cell with file, line and column.
//! Empty cells are missing values; the literal `NA` is a value like any other.

use std::collections::HashMap;

use anyhow::Result;
use chrono::{NaiveDate, NaiveDateTime};
use rayon::prelude::*;

use crate::calendar::{self, Calendar, WorkingHours};
use crate::config::{CapacitySetting, Config};
use crate::error::InputError;
use crate::fmt::fmt_num;
use crate::io::Table;
use crate::parse::{self, DateStyle, Detected};

/// The batch of leads to route.
#[derive(Debug, Clone)]
pub struct Leads {
    pub table: Table,
    pub id: Vec<String>,
    /// Deal value, ≥ 0 (default 1).
    pub value: Vec<f64>,
    /// Capacity units the lead costs, > 0 (default 1).
    pub workload: Vec<f64>,
    /// Current owner's rep id, if any.
    pub owner: Vec<Option<String>>,
    pub created_at: Vec<Option<NaiveDateTime>>,
    /// Deals the leads file already marks won or lost (set when a batch to route is loaded:
    /// they are not routed).
    pub closed: Vec<bool>,
}

/// The sales reps who can take leads.
#[derive(Debug, Clone)]
pub struct Reps {
    pub table: Table,
    pub id: Vec<String>,
    /// Workload units the rep can take in this batch, ≥ 0.
    pub capacity: Vec<f64>,
    /// Leads the rep already works, ≥ 0 (default 0).
    pub open_leads: Vec<f64>,
    pub active: Vec<bool>,
    /// Share for weighted policies, > 0 (default 1).
    pub weight: Vec<f64>,
    /// Fewest leads the optimizer should give the rep in this batch (default 0).
    pub min_leads: Vec<u32>,
    /// The file has no capacity column: [`Reps::settle_capacity`] gives the config's default.
    pub capacity_missing: bool,
    /// When each rep works: time zone (default `[timing] time_zone`, else UTC) and weekly
    /// hours (default always); absences are added by the batch.
    pub calendar: Vec<Calendar>,
    /// The file has a `time_zone` or `working_hours` column.
    pub has_calendar: bool,
    index: HashMap<String, usize>,
}

/// One lead row's parsed cells.
struct LeadRow {
    id: String,
    value: f64,
    workload: f64,
    owner: Option<String>,
    created_at: Option<NaiveDateTime>,
}

impl Leads {
    pub fn from_table(table: Table, cfg: &Config) -> Result<Leads> {
        let cols = Resolver::new(&table, cfg, "leads");
        let id_col = cols.required("lead_id")?;
        let value_col = cols.optional("value")?;
        let workload_col = cols.optional("workload")?;
        let owner_col = cols.optional("rep_id")?;
        let created_col = cols.optional("created_at")?;
        let created_reader = created_col.map(|c| DateReader::for_column(&table, cfg, c)).transpose()?;

        let n = table.len();
        // Rows are parsed in parallel; the first bad one in file order is reported.
        let parsed: Vec<Result<LeadRow>> = (0..n)
            .into_par_iter()
            .with_min_len(4096)
            .map(|row| {
                Ok(LeadRow {
                    id: parse_id(&table, row, id_col, "lead_id")?,
                    value: number(
                        &table,
                        row,
                        cfg,
                        NumberCell {
                            col: value_col,
                            default: 1.0,
                            bound: Bound::NonNegative,
                            expected: "a deal value ≥ 0",
                        },
                    )?,
                    workload: number(
                        &table,
                        row,
                        cfg,
                        NumberCell {
                            col: workload_col,
                            default: 1.0,
                            bound: Bound::Positive,
                            expected: "a workload > 0",
                        },
                    )?,
                    owner: owner_col.and_then(|c| non_empty(table.cell(row, c))),
                    created_at: match (&created_reader, created_col) {
                        (Some(reader), Some(c)) => reader.cell(&table, row, c)?,
                        _ => None,
                    },
                })
            })
            .collect();
        // Duplicate ids by sorting (a million-entry hash map is slower): the row where one
        // first repeats, with where it first appeared.
        let mut by_id: Vec<(&str, usize)> = (0..n).map(|row| (table.cell(row, id_col).trim(), row)).collect();
        by_id.par_sort_unstable();
        let repeat = by_id.windows(2).filter(|p| p[0].0 == p[1].0).map(|p| p[1].1).min().map(|row| {
            // Rows sort after their id's earlier rows: the group's first is where it appeared.
            let id = table.cell(row, id_col).trim();
            (row, by_id[by_id.partition_point(|&(s, _)| s < id)].1)
        });
        let first_bad = parsed.iter().position(Result::is_err);
        if let Some((row, first)) = repeat.filter(|&(row, _)| first_bad.is_none_or(|bad| row < bad)) {
            return Err(table
                .cell_error(
                    row,
                    id_col,
                    format!(
                        "duplicate lead_id {:?}; it first appears on line {}; expected every lead_id once",
                        table.cell(row, id_col).trim(),
                        table.line(first).unwrap_or(0)
                    ),
                )
                .into());
        }
        let mut id = Vec::with_capacity(n);
        let mut value = Vec::with_capacity(n);
        let mut workload = Vec::with_capacity(n);
        let mut owner = Vec::with_capacity(n);
        let mut created_at = Vec::with_capacity(n);
        for r in parsed {
            let r = r?;
            id.push(r.id);
            value.push(r.value);
            workload.push(r.workload);
            owner.push(r.owner);
            created_at.push(r.created_at);
        }
        let closed = vec![false; n];
        Ok(Leads { table, id, value, workload, owner, created_at, closed })
    }

    pub fn len(&self) -> usize {
        self.id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    /// Replaces the current owners with those of a `lead_id,rep_id` file (headers as the
    /// config maps them); leads it does not list, or lists with an empty rep, are unowned.
    /// Returns how many of its rows name a lead not in the batch, and each lead's row there.
    pub fn set_owners(&mut self, table: &Table, cfg: &Config) -> Result<(usize, Vec<Option<usize>>)> {
        let cols = Resolver::new(table, cfg, "current owners");
        let (lead_col, rep_col) = (cols.required("lead_id")?, cols.required("rep_id")?);
        let index: HashMap<&str, usize> = self.id.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
        let mut owner: Vec<Option<String>> = vec![None; self.len()];
        let mut rows: Vec<Option<usize>> = vec![None; self.len()];
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut unknown = 0;
        for row in 0..table.len() {
            let id = table.cell(row, lead_col).trim();
            if id.is_empty() {
                return Err(table
                    .cell_error(row, lead_col, "empty lead_id; expected the id of a lead in the batch")
                    .into());
            }
            if let Some(first) = seen.insert(id, row) {
                return Err(table
                    .cell_error(
                        row,
                        lead_col,
                        format!(
                            "lead {id:?} is listed twice (first on line {}); expected one current owner per lead",
                            table.line(first).unwrap_or(0)
                        ),
                    )
                    .into());
            }
            match index.get(id) {
                Some(&l) => {
                    owner[l] = non_empty(table.cell(row, rep_col));
                    rows[l] = Some(row);
                }
                None => unknown += 1,
            }
        }
        drop(index);
        self.owner = owner;
        Ok((unknown, rows))
    }
}

impl Reps {
    pub fn from_table(table: Table, cfg: &Config) -> Result<Reps> {
        let cols = Resolver::new(&table, cfg, "reps");
        let id_col = cols.required("rep_id")?;
        let cap_col = cols.optional("capacity")?;
        let open_col = cols.optional("open_leads")?;
        let active_col = cols.optional("active")?;
        let weight_col = cols.optional("weight")?;
        let floor_col = cols.optional("min_leads")?;
        let zone_col = cols.optional("time_zone")?;
        let hours_col = cols.optional("working_hours")?;
        let default_zone = cfg.default_zone()?;

        let n = table.len();
        if n == 0 {
            return Err(InputError::file(
                table.path(),
                "the reps file has a header but no reps; expected one row per rep (an export that failed?)",
            )
            .into());
        }
        let mut min_leads = Vec::with_capacity(n);
        let mut id = Vec::with_capacity(n);
        let mut capacity = Vec::with_capacity(n);
        let mut open_leads = Vec::with_capacity(n);
        let mut active = Vec::with_capacity(n);
        let mut weight = Vec::with_capacity(n);
        let mut cals = Vec::with_capacity(n);
        let mut index = HashMap::with_capacity(n);
        for row in 0..n {
            let rep_id = parse_id(&table, row, id_col, "rep_id")?;
            if let Some(first) = index.insert(rep_id.clone(), row) {
                return Err(table
                    .cell_error(
                        row,
                        id_col,
                        format!(
                            "duplicate rep_id {rep_id:?}; it first appears on line {}; expected every rep_id once",
                            table.line(first).unwrap_or(0)
                        ),
                    )
                    .into());
            }
            id.push(rep_id);
            match cap_col {
                Some(c) if table.cell(row, c).trim().is_empty() => {
                    return Err(table
                        .cell_error(row, c, "capacity is missing; expected the workload units ≥ 0 this rep can take")
                        .into());
                }
                Some(c) => capacity.push(number(
                    &table,
                    row,
                    cfg,
                    NumberCell { col: Some(c), default: 0.0, bound: Bound::NonNegative, expected: "a capacity ≥ 0" },
                )?),
                // Settled for the batch by `settle_capacity`.
                None => capacity.push(f64::NAN),
            }
            open_leads.push(number(
                &table,
                row,
                cfg,
                NumberCell {
                    col: open_col,
                    default: 0.0,
                    bound: Bound::NonNegative,
                    expected: "a count of open leads ≥ 0",
                },
            )?);
            active.push(match active_col {
                Some(c) => parse_bool_cell(&table, row, c, true)?,
                None => true,
            });
            weight.push(number(
                &table,
                row,
                cfg,
                NumberCell { col: weight_col, default: 1.0, bound: Bound::Positive, expected: "a weight > 0" },
            )?);
            let floor = number(
                &table,
                row,
                cfg,
                NumberCell {
                    col: floor_col,
                    default: 0.0,
                    bound: Bound::NonNegative,
                    expected: "a whole number of leads ≥ 0",
                },
            )?;
            if floor.fract() != 0.0 || floor > f64::from(u32::MAX) {
                let col = floor_col.expect("a non-default floor comes from its column");
                return Err(table.cell_error(row, col, "expected min_leads as a whole number of leads ≥ 0").into());
            }
            min_leads.push(floor as u32);
            cals.push(calendar_cell(&table, row, zone_col, hours_col, &default_zone)?);
        }
        let capacity_missing = cap_col.is_none();
        Ok(Reps {
            table,
            id,
            capacity,
            open_leads,
            active,
            weight,
            min_leads,
            capacity_missing,
            calendar: cals,
            has_calendar: zone_col.is_some() || hours_col.is_some(),
            index,
        })
    }

    /// Without a capacity column, gives every rep the config's `[reps] capacity` for a batch
    /// of `batch_workload` units and says what it gave (a default that shapes the plan is
    /// never silent); `None` when the file has the column.
    pub fn settle_capacity(&mut self, cfg: &Config, batch_workload: f64) -> Option<String> {
        if !self.capacity_missing {
            return None;
        }
        let file = self.table.path().display();
        let active = self.active.iter().filter(|&&a| a).count();
        let (cap, how) = match &cfg.reps.capacity {
            Some(CapacitySetting::Units(u)) => (*u, format!("[reps] capacity = {} in {}", fmt_num(*u), cfg.describe())),
            _ => {
                let even = batch_workload / active.max(1) as f64;
                let cap = (even * (1.0 + cfg.reps.slack)).ceil();
                let how = format!(
                    "the batch's {} workload units shared evenly over {active} active reps, plus {} % slack; set \
                     [reps] capacity in the config to change it",
                    fmt_num(batch_workload),
                    fmt_num(100.0 * cfg.reps.slack)
                );
                (cap, how)
            }
        };
        self.capacity = vec![cap; self.len()];
        self.capacity_missing = false;
        Some(format!("{file} has no capacity column: every rep may take up to {} workload units ({how})", fmt_num(cap)))
    }

    pub fn len(&self) -> usize {
        self.id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    /// Index of the rep with this id.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.index.get(id.trim()).copied()
    }
}

/// Finds canonical columns in one table, through the config's mapping.
/// The column of `table` holding canonical column `name` (under any header the config gives
/// it), if there is one.
pub fn find_column(table: &Table, cfg: &Config, name: &str) -> Option<usize> {
    cfg.columns.headers(name).into_iter().find_map(|h| table.column(h))
}

pub(crate) struct Resolver<'a> {
    table: &'a Table,
    cfg: &'a Config,
    what: &'a str,
}

impl<'a> Resolver<'a> {
    pub(crate) fn new(table: &'a Table, cfg: &'a Config, what: &'a str) -> Self {
        Resolver { table, cfg, what }
    }

    /// The column holding canonical `name`, or an error saying how to provide it.
    pub(crate) fn required(&self, name: &str) -> Result<usize> {
        match self.optional(name)? {
            Some(c) => Ok(c),
            None => {
                let headers = self.cfg.columns.headers(name);
                let header = headers.join("\" or \"");
                let how = if self.cfg.columns.is_mapped(name) {
                    format!("{} maps {name} to {:?}", self.cfg.describe(), headers)
                } else {
                    format!("rename it, or map it with [columns] {name} = \"Your Header\" in the config")
                };
                Err(InputError::at(
                    self.table.path(),
                    Some(1),
                    format!(
                        "missing required column \"{header}\" ({name}; {how}); the {} file has: {}",
                        self.what,
                        list_headers(self.table.headers())
                    ),
                )
                .into())
            }
        }
    }

    /// The column holding canonical `name`, if the file has it.
    pub(crate) fn optional(&self, name: &str) -> Result<Option<usize>> {
        Ok(find_column(self.table, self.cfg, name))
    }
}

fn list_headers(h: &[String]) -> String {
    let shown: Vec<String> = h.iter().take(20).map(|s| format!("{s:?}")).collect();
    let more = if h.len() > 20 { format!(" and {} more", h.len() - 20) } else { String::new() };
    format!("{}{more}", shown.join(", "))
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn parse_id(table: &Table, row: usize, col: usize, name: &str) -> Result<String> {
    non_empty(table.cell(row, col))
        .ok_or_else(|| table.cell_error(row, col, format!("{name} is empty; expected a non-empty id")).into())
}

#[derive(Clone, Copy)]
enum Bound {
    NonNegative,
    Positive,
}

/// How a numeric cell is read: where, its default when empty, its bound, what it must be.
struct NumberCell<'a> {
    col: Option<usize>,
    default: f64,
    bound: Bound,
    expected: &'a str,
}

fn number(table: &Table, row: usize, cfg: &Config, n: NumberCell) -> Result<f64> {
    let NumberCell { col, default, bound, expected } = n;
    let Some(col) = col else { return Ok(default) };
    let cell = table.cell(row, col);
    if cell.trim().is_empty() {
        return Ok(default);
    }
    let v = parse::amount(cell, cfg.columns.decimal_comma())
        .map_err(|e| table.cell_error(row, col, format!("expected {expected}, found {cell:?}{}", e.hint())))?;
    let ok = match bound {
        Bound::NonNegative => v >= 0.0,
        Bound::Positive => v > 0.0,
    };
    if !ok {
        return Err(table.cell_error(row, col, format!("expected {expected}, found {cell:?}")).into());
    }
    Ok(v)
}

/// A rep's zone and weekly hours from its cells (empty: the default zone, always available).
fn calendar_cell(
    table: &Table,
    row: usize,
    zone_col: Option<usize>,
    hours_col: Option<usize>,
    default_zone: &jiff::tz::TimeZone,
) -> Result<Calendar> {
    let zone = match zone_col.map(|c| (c, table.cell(row, c).trim())) {
        Some((c, z)) if !z.is_empty() => calendar::zone(z).map_err(|e| table.cell_error(row, c, e))?,
        _ => default_zone.clone(),
    };
    let hours = match hours_col {
        Some(c) => WorkingHours::parse(table.cell(row, c)).map_err(|e| {
            table.cell_error(
                row,
                c,
                format!("{e}; working hours are blocks like \"Mon-Fri 09:00-17:00\" joined by \";\" (empty: always)"),
            )
        })?,
        None => WorkingHours::default(),
    };
    Ok(Calendar::new(zone, hours))
}

fn parse_bool_cell(table: &Table, row: usize, col: usize, default: bool) -> Result<bool> {
    let cell = table.cell(row, col);
    if cell.trim().is_empty() {
        return Ok(default);
    }
    parse::boolean(cell)
        .ok_or_else(|| table.cell_error(row, col, format!("expected true/false, yes/no or 1/0, found {cell:?}")).into())
}

/// Rows of a table in time order, as the one rule every time split follows.
#[derive(Debug, Clone)]
pub struct TimeOrder {
    /// Positions into the rows given, oldest first (undated last, ties in file order); the
    /// rows' own order when they are not ordered by time.
    pub order: Vec<usize>,
    /// Each row's `created_at`, by position.
    pub dates: Vec<Option<NaiveDateTime>>,
    /// Whether at least 90 % of the rows carry a date, so that time can order them.
    pub by_time: bool,
}

/// Orders `rows` of `table` by their `created_at` when at least 90 % of them have one. A
/// `created_at` cell that is not a date is an error.
pub fn time_order(table: &Table, cfg: &Config, rows: &[usize]) -> Result<TimeOrder> {
    let dates = created_dates(table, cfg, rows)?;
    let dated = dates.iter().filter(|d| d.is_some()).count();
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let by_time = !rows.is_empty() && dated * 10 >= rows.len() * 9;
    if by_time {
        order.sort_by_key(|&i| (dates[i].is_none(), dates[i], i));
    }
    Ok(TimeOrder { order, dates, by_time })
}

/// The `created_at` of each of `rows` (`None` without the column or in an empty cell); a
/// cell that is not a date in the column's style is an error naming it.
pub fn created_dates(table: &Table, cfg: &Config, rows: &[usize]) -> Result<Vec<Option<NaiveDateTime>>> {
    match find_column(table, cfg, "created_at") {
        Some(c) => DateReader::for_column(table, cfg, c)?.column(table, c, rows),
        None => Ok(vec![None; rows.len()]),
    }
}

/// How one column's dates are read: the config's `[columns] date_format` when it is set
/// (it always wins; ISO dates are read too), else the style detected from the column.
#[derive(Debug, Clone, PartialEq)]
pub enum DateReader {
    Format(String),
    Style(DateStyle),
}

impl DateReader {
    /// The reader of column `col`: the config's format, or the style its cells show; a
    /// column whose cells could be month or day first, mix styles or hold a non-date is an
    /// error naming the file, line and column.
    pub fn for_column(table: &Table, cfg: &Config, col: usize) -> Result<DateReader> {
        DateReader::detect(table, cfg, col).map_err(Into::into)
    }

    /// [`DateReader::for_column`], with the reason as an [`InputError`] (for callers that
    /// only ask whether a column is dates).
    pub fn detect(table: &Table, cfg: &Config, col: usize) -> std::result::Result<DateReader, InputError> {
        if let Some(f) = &cfg.columns.date_format {
            return Ok(DateReader::Format(f.clone()));
        }
        let cells = (0..table.len()).map(|r| (r, table.cell(r, col)));
        // A first date in ISO: the column is ISO, and any other cell is an error when read.
        if let Some((_, first)) = (0..table.len()).map(|r| (r, table.cell(r, col))).find(|(_, c)| !c.trim().is_empty())
            && parse::datetime(first).is_some()
        {
            return Ok(DateReader::Style(DateStyle::Iso));
        }
        let header = &table.headers()[col];
        match parse::detect_dates(cells) {
            Detected::Style(style) => Ok(DateReader::Style(style)),
            Detected::Empty => Ok(DateReader::Style(DateStyle::Iso)),
            Detected::Ambiguous { sep, example } => Err(table.cell_error(
                example,
                col,
                format!(
                    "the dates in {header:?} could be month first or day first (no part of any of them is above 12, \
                     e.g. {:?}); expected the config to say which: [columns] date_format = \"%m{sep}%d{sep}%Y\" (or \
                     \"%d{sep}%m{sep}%Y\")",
                    table.cell(example, col).trim()
                ),
            )),
            Detected::Conflict { day_first, month_first } => Err(table.cell_error(
                month_first,
                col,
                format!(
                    "{:?} is month first but line {} ({:?}) is day first; expected one date style per column \
                     (or set [columns] date_format)",
                    table.cell(month_first, col).trim(),
                    table.line(day_first).unwrap_or(0),
                    table.cell(day_first, col).trim()
                ),
            )),
            Detected::Unreadable(row) => Err(table.cell_error(
                row,
                col,
                format!(
                    "expected a date (ISO like 2024-03-01, or 10/20/2016, 20.10.2016 with an optional time, one style \
                     per column; set [columns] date_format for others), found {:?}",
                    table.cell(row, col).trim()
                ),
            )),
        }
    }

    /// The reader of a column read in training with `style` (`None`: ISO): the config's
    /// format when it sets one.
    pub fn stored(cfg: &Config, style: Option<DateStyle>) -> DateReader {
        match &cfg.columns.date_format {
            Some(f) => DateReader::Format(f.clone()),
            None => DateReader::Style(style.unwrap_or(DateStyle::Iso)),
        }
    }

    /// The date in `cell`, if it is one in this reader's style (ISO is read either way).
    pub fn read(&self, cell: &str) -> Option<NaiveDateTime> {
        match self {
            DateReader::Style(style) => parse::date(*style, cell),
            DateReader::Format(fmt) => parse::datetime(cell).or_else(|| {
                let t = cell.trim();
                NaiveDateTime::parse_from_str(t, fmt)
                    .ok()
                    .or_else(|| NaiveDate::parse_from_str(t, fmt).ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
            }),
        }
    }

    /// What a cell must look like, for messages.
    pub fn expected(&self) -> String {
        match self {
            DateReader::Format(f) => {
                format!("a date in the format {f:?} ([columns] date_format) or an ISO date like 2024-03-01")
            }
            DateReader::Style(DateStyle::Iso) => "an ISO date like 2024-03-01 or 2024-03-01T09:30:00, as the \
                                                  column's other dates are (set [columns] date_format, e.g. \
                                                  \"%m/%d/%Y\", for dates written otherwise)"
                .into(),
            DateReader::Style(style) => format!(
                "a date written {style} with an optional time, as the column's other dates are ({})",
                style.pattern()
            ),
        }
    }

    /// The dates of `rows` in column `col`: `None` for an empty cell; a cell that is not a
    /// date in this style is an error naming it.
    pub fn column(&self, table: &Table, col: usize, rows: &[usize]) -> Result<Vec<Option<NaiveDateTime>>> {
        rows.par_iter().with_min_len(4096).map(|&r| self.cell(table, r, col)).collect::<Result<Vec<_>>>()
    }

    /// One cell's date: `None` when empty, an error when not a date in this style.
    pub fn cell(&self, table: &Table, row: usize, col: usize) -> Result<Option<NaiveDateTime>> {
        let cell = table.cell(row, col);
        if cell.trim().is_empty() {
            return Ok(None);
        }
        self.read(cell)
            .map(Some)
            .ok_or_else(|| table.cell_error(row, col, format!("expected {}, found {cell:?}", self.expected())).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn table(headers: &[&str], rows: &[&[&str]]) -> Table {
        Table::from_rows(
            Path::new("t.csv"),
            headers.iter().map(|s| s.to_string()).collect(),
            rows.iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect(),
        )
    }

    #[test]
    fn leads_defaults_and_na_is_a_value() {
        let t = table(&["lead_id", "region", "value"], &[&["a", "NA", ""], &["b", "EMEA", "250"]]);
        let leads = Leads::from_table(t, &Config::default()).unwrap();
        assert_eq!(leads.value, vec![1.0, 250.0]);
        assert_eq!(leads.workload, vec![1.0, 1.0]);
        assert_eq!(leads.table.cell(0, 1), "NA");
    }

    #[test]
    fn duplicate_lead_id_names_both_lines() {
        let t = table(&["lead_id"], &[&["a"], &["b"], &["a"]]);
        let err = Leads::from_table(t, &Config::default()).unwrap_err();
        let e = err.downcast_ref::<InputError>().unwrap();
        assert_eq!(e.line, Some(4));
        assert!(e.message.contains("line 2"), "{e}");
    }

    #[test]
    fn negative_value_and_zero_workload_are_rejected() {
        let t = table(&["lead_id", "value"], &[&["a", "-5"]]);
        assert!(Leads::from_table(t, &Config::default()).is_err());
        let t = table(&["lead_id", "workload"], &[&["a", "0"]]);
        let err = Leads::from_table(t, &Config::default()).unwrap_err();
        assert!(err.to_string().contains("workload > 0"), "{err}");
    }

    #[test]
    fn reps_capacity_defaults_are_stated_and_active_is_parsed() {
        // No capacity column: the batch shared evenly over the active reps, plus the slack.
        let t = table(&["rep_id", "active"], &[&["r1", "yes"], &["r2", "no"], &["r3", ""]]);
        let mut reps = Reps::from_table(t.clone(), &Config::default()).unwrap();
        let note = reps.settle_capacity(&Config::default(), 20.0).unwrap();
        assert_eq!(reps.capacity, vec![11.0; 3]);
        assert!(note.contains("no capacity column") && note.contains("up to 11 workload units"), "{note}");
        assert_eq!(reps.settle_capacity(&Config::default(), 20.0), None);
        let cfg = Config::parse("[reps]\ncapacity = 4\n", Path::new("c.toml")).unwrap();
        let mut reps = Reps::from_table(t, &cfg).unwrap();
        assert!(reps.settle_capacity(&cfg, 20.0).unwrap().contains("[reps] capacity = 4"));
        assert_eq!(reps.capacity, vec![4.0; 3]);
        assert!(Config::parse("[reps]\ncapacity = \"lots\"\n", Path::new("c.toml")).is_err());
        // A header and no reps: a failed export, never a night of unassigned leads.
        let err = Reps::from_table(table(&["rep_id", "capacity"], &[]), &Config::default()).unwrap_err();
        assert!(err.to_string().contains("no reps"), "{err}");
        let t = table(&["rep_id", "capacity", "active"], &[&["r1", "3", "no"], &["r2", "2", ""]]);
        let reps = Reps::from_table(t, &Config::default()).unwrap();
        assert_eq!(reps.active, vec![false, true]);
        assert_eq!(reps.find("r2"), Some(1));
    }

    #[test]
    fn mapped_headers_are_used() {
        let cfg = Config::parse("[columns]\nlead_id = \"Lead ID\"\n", Path::new("c.toml")).unwrap();
        let t = table(&["Lead ID"], &[&["x"]]);
        assert_eq!(Leads::from_table(t, &cfg).unwrap().id, vec!["x"]);
        let t = table(&["lead_id"], &[&["x"]]);
        let err = Leads::from_table(t, &cfg).unwrap_err();
        assert!(err.to_string().contains("c.toml maps lead_id"), "{err}");
    }
}
