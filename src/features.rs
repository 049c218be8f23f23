//! Lead columns → a binned feature matrix (the one place polars lives).
//!
//! A [`Schema`] is learned from the training rows of a history and stored with the model:
//! - numeric columns are kept as numbers, bucketed into at most [`MAX_BINS`] quantile bins;
//!   a missing value is its own bin (0), below every number, so a tree can split it off;
//! - yes/no (true/false) columns become 0/1;
//! - other text columns are categorical: levels seen fewer than `max(10, n/500)` times are
//!   pooled into `(other)`, which also takes levels first seen when scoring; `(missing)` is a
//!   level of its own; levels are ordered by their smoothed training win rate, so a tree
//!   split on the order is a split on the categories (as LightGBM does);
//! - date columns become "days before the lead was created" (or before the newest training
//!   date without `created_at`); `created_at` itself gives weekday and hour of day;
//! - id-like columns (a distinct value on nearly every row), constant columns, the canonical
//!   bookkeeping columns and `[features] exclude` are left out, each with its reason.

use std::borrow::Cow;
use std::collections::HashMap;

use anyhow::Result;
use chrono::{Datelike, NaiveDateTime, Timelike};
use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::data::{DateReader, created_dates, find_column};
use crate::io::Table;
use crate::parse::{self, DateStyle};

/// Most bins a numeric feature is bucketed into (plus one for missing).
pub const MAX_BINS: usize = 100;
/// Most levels a categorical feature keeps (the rest are pooled).
const MAX_LEVELS: usize = 200;
/// Smoothing strength (pseudo-rows at the overall rate) of a level's win rate.
const LEVEL_PRIOR_ROWS: f64 = 20.0;

/// Canonical columns that are bookkeeping, never features (when a deal was first answered,
/// assigned or touched is known only after routing).
const NOT_FEATURES: [&str; 8] =
    ["lead_id", "rep_id", "outcome", "closed_at", "workload", "first_response_at", "assigned_at", "touched_at"];

/// How one feature is computed from its column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Kind {
    /// A number; `edges` are the upper bounds of bins 1, 2, … (bin 0 is missing).
    Numeric { edges: Vec<f64> },
    /// yes/no: bin 1 no, bin 2 yes, bin 0 missing.
    Boolean,
    /// Levels (lower-cased) and their bins; `other` takes rare and unseen levels.
    Categorical { levels: Vec<String>, bins: Vec<u8>, other: u8, missing: u8 },
    /// Days from this date to the lead's creation (or to `reference`), bucketed; `style` is
    /// how the column wrote its dates in training when not ISO (the config's
    /// `date_format`, when set, wins).
    DaysBefore {
        edges: Vec<f64>,
        reference: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        style: Option<DateStyle>,
    },
    /// Weekday of `created_at`, Monday = bin 1.
    Weekday,
    /// Hour of day of `created_at`, bin = hour + 1.
    Hour,
}

/// One model input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    /// Name shown in factors (`page_views`, `created_at:weekday`).
    pub name: String,
    /// The lead column it is computed from.
    pub column: String,
    #[serde(flatten)]
    pub kind: Kind,
}

/// A column the model does not use, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dropped {
    pub column: String,
    pub reason: String,
}

/// The features a model was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    pub features: Vec<Feature>,
    pub dropped: Vec<Dropped>,
}

/// Binned features, row-major: `bins[row * n_features + feature]`.
#[derive(Debug, Clone)]
pub struct Binned {
    pub n_rows: usize,
    pub n_features: usize,
    pub bins: Vec<u8>,
}

impl Binned {
    pub fn row(&self, r: usize) -> &[u8] {
        &self.bins[r * self.n_features..(r + 1) * self.n_features]
    }
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

/// The cells of column `col` for `rows`, trimmed, `None` when empty.
fn cells<'a>(table: &'a Table, col: usize, rows: &'a [usize]) -> impl Iterator<Item = Option<&'a str>> + 'a {
    rows.iter().map(move |&r| {
        let c = table.cell(r, col).trim();
        (!c.is_empty()).then_some(c)
    })
}

/// The column's numbers (non-numbers become `None`), read by the same parser that bins
/// them, and how many non-empty cells were not numbers. A column of numbers in which some
/// cells are `inf` or `NaN` is an error naming the first of them.
fn numeric_column(table: &Table, cfg: &Config, col: usize, rows: &[usize]) -> Result<(Vec<Option<f64>>, usize)> {
    let comma = cfg.columns.decimal_comma();
    let parsed: Vec<Option<Result<f64, parse::NumberError>>> =
        cells(table, col, rows).map(|c| c.map(|c| parse::amount(c, comma))).collect();
    let not_finite = parsed.iter().position(|p| matches!(p, Some(Err(parse::NumberError::NotFinite))));
    let other = parsed.iter().filter(|p| matches!(p, Some(Err(e)) if *e != parse::NumberError::NotFinite)).count();
    if let (Some(i), 0) = (not_finite, other) {
        let cell = table.cell(rows[i], col);
        return Err(table
            .cell_error(rows[i], col, format!("found {cell:?} in a column of numbers; expected a finite number"))
            .into());
    }
    let values: Vec<Option<f64>> = parsed.iter().map(|p| p.and_then(Result::ok)).collect();
    Ok((values, parsed.iter().filter(|p| matches!(p, Some(Err(_)))).count()))
}

fn distinct_count(table: &Table, col: usize, rows: &[usize]) -> Result<usize> {
    let text: Vec<Option<&str>> = cells(table, col, rows).collect();
    let s = Series::new(PlSmallStr::from("c"), text).drop_nulls();
    Ok(s.n_unique()?)
}

/// Quantile bin edges of `values` (at most `MAX_BINS` bins).
fn quantile_edges(values: &mut [f64]) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let mut edges: Vec<f64> = Vec::new();
    if n == 0 {
        return edges;
    }
    for k in 1..MAX_BINS {
        let v = values[(k * n / MAX_BINS).min(n - 1)];
        if edges.last().is_none_or(|&e| v > e) {
            edges.push(v);
        }
    }
    // The last edge must not cut off the maximum: values above it go to the last bin.
    if edges.last() == values.last() {
        edges.pop();
    }
    edges
}

/// Bin of a number: 1 + how many edges lie below it.
fn numeric_bin(edges: &[f64], x: f64) -> u8 {
    (1 + edges.partition_point(|&e| e < x)) as u8
}

impl Schema {
    /// Learns the schema from `rows` of `table` whose labels (won = true) are given.
    pub fn infer(table: &Table, cfg: &Config, rows: &[usize], labels: &[bool]) -> Result<Schema> {
        debug_assert_eq!(rows.len(), labels.len());
        let n = rows.len();
        let mut features = Vec::new();
        let mut dropped = Vec::new();
        let canonical: Vec<Option<usize>> = NOT_FEATURES.iter().map(|name| find_column(table, cfg, name)).collect();
        let created_col = find_column(table, cfg, "created_at");
        let created = created_dates(table, cfg, rows)?;
        let prior = (labels.iter().filter(|&&y| y).count() as f64 + 1.0) / (n as f64 + 2.0);
        let min_level = (n / 500).max(10);

        for (col, header) in table.headers().iter().enumerate() {
            if header.is_empty() || canonical.contains(&Some(col)) {
                continue;
            }
            let drop = |reason: &str, dropped: &mut Vec<Dropped>| {
                dropped.push(Dropped { column: header.clone(), reason: reason.to_string() })
            };
            if cfg.features.exclude.iter().any(|e| e.trim().eq_ignore_ascii_case(header)) {
                drop("excluded by the config", &mut dropped);
                continue;
            }
            if Some(col) == created_col {
                let hours: std::collections::HashSet<u32> = created.iter().flatten().map(|t| t.hour()).collect();
                // When routing models the wait (time-aware), or the history records it, the
                // weekday and hour a lead arrived would stand in for how long it waited —
                // counted twice once routing applies the decay of the wait itself.
                if cfg.time_aware() || find_column(table, cfg, "first_response_at").is_some() {
                    drop(
                        "its weekday and hour stand for how long a lead waited, which time-aware routing models \
                         apart ([timing], or first_response_at in the history)",
                        &mut dropped,
                    );
                    continue;
                }
                if created.iter().any(|t| t.is_some()) {
                    features.push(Feature {
                        name: format!("{header}:weekday"),
                        column: header.clone(),
                        kind: Kind::Weekday,
                    });
                    if hours.len() > 1 {
                        features.push(Feature {
                            name: format!("{header}:hour"),
                            column: header.clone(),
                            kind: Kind::Hour,
                        });
                    }
                }
                continue;
            }
            let non_empty = cells(table, col, rows).filter(|c| c.is_some()).count();
            if non_empty == 0 {
                drop("always empty", &mut dropped);
                continue;
            }
            let distinct = distinct_count(table, col, rows)?;
            if distinct < 2 && non_empty == n {
                drop("the same value on every row", &mut dropped);
                continue;
            }
            let (numbers, not_numbers) = numeric_column(table, cfg, col, rows)?;
            if not_numbers == 0 {
                let mut values: Vec<f64> = numbers.iter().flatten().copied().collect();
                let integers = values.iter().all(|v| v.fract() == 0.0);
                let (lo, hi) = values.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
                if integers && distinct == non_empty && non_empty >= 20 && hi - lo < 2.0 * non_empty as f64 {
                    drop("id-like: a distinct whole number on every row", &mut dropped);
                    continue;
                }
                let edges = quantile_edges(&mut values);
                features.push(Feature { name: header.clone(), column: header.clone(), kind: Kind::Numeric { edges } });
                continue;
            }
            let texts: Vec<Option<&str>> = cells(table, col, rows).collect();
            if texts.iter().flatten().all(|c| parse::boolean(c).is_some() && !matches!(*c, "0" | "1")) {
                features.push(Feature { name: header.clone(), column: header.clone(), kind: Kind::Boolean });
                continue;
            }
            let reader = DateReader::detect(table, cfg, col).ok();
            let dates: Option<Vec<Option<NaiveDateTime>>> =
                reader.as_ref().map(|r| texts.iter().map(|c| c.and_then(|c| r.read(c))).collect());
            if let Some(dates) = dates.filter(|d| texts.iter().zip(d).all(|(t, d)| t.is_none() || d.is_some())) {
                let reference =
                    if created_col.is_some() { None } else { dates.iter().flatten().max().map(|t| t.to_string()) };
                let ref_time = reference.as_deref().and_then(parse::datetime);
                let mut days: Vec<f64> =
                    dates.iter().zip(&created).filter_map(|(&d, t)| days_before(d, t.or(ref_time))).collect();
                let edges = quantile_edges(&mut days);
                let style = match reader {
                    Some(DateReader::Style(s)) if s != DateStyle::Iso => Some(s),
                    _ => None,
                };
                features.push(Feature {
                    name: format!("{header}:days_before"),
                    column: header.clone(),
                    kind: Kind::DaysBefore { edges, reference, style },
                });
                continue;
            }
            if distinct as f64 >= 0.9 * non_empty as f64 && non_empty >= 20 {
                drop("id-like: a distinct value on nearly every row", &mut dropped);
                continue;
            }
            features.push(categorical(header, &texts, labels, prior, min_level));
        }
        Ok(Schema { features, dropped })
    }

    /// Bins every row of `table` (a lead batch or a history). Columns are found by header
    /// (ignoring case); a column the schema needs but the table lacks is all-missing and
    /// reported in the returned list.
    pub fn bin(&self, table: &Table, cfg: &Config) -> Result<(Binned, Vec<String>)> {
        let rows: Vec<usize> = (0..table.len()).collect();
        self.bin_rows(table, cfg, &rows)
    }

    /// Bins the given rows of `table`, one feature per task in parallel.
    pub fn bin_rows(&self, table: &Table, cfg: &Config, rows: &[usize]) -> Result<(Binned, Vec<String>)> {
        let nf = self.features.len();
        let n = rows.len();
        let created_col = find_column(table, cfg, "created_at");
        let needs_created =
            self.features.iter().any(|f| matches!(f.kind, Kind::Weekday | Kind::Hour | Kind::DaysBefore { .. }));
        let created: Vec<Option<NaiveDateTime>> =
            if needs_created { created_dates(table, cfg, rows)? } else { vec![None; n] };
        let one = |feat: &Feature| {
            let col = match feat.kind {
                Kind::Weekday | Kind::Hour => created_col,
                _ => table.column(&feat.column),
            };
            match col {
                Some(col) => bin_column(feat, table, cfg, col, rows, &created).map(Some),
                None => Ok(None),
            }
        };
        // A few rows (a lead of a stream) are binned on this thread: handing tiny tasks to
        // the pool costs more than the work.
        let columns: Vec<Result<Option<Vec<u8>>>> =
            if n < 64 { self.features.iter().map(one).collect() } else { self.features.par_iter().map(one).collect() };
        let mut missing_columns = Vec::new();
        let mut values: Vec<Option<Vec<u8>>> = Vec::with_capacity(nf);
        for (f, column) in columns.into_iter().enumerate() {
            let column = column?;
            if column.is_none() {
                let name = &self.features[f].column;
                if !missing_columns.contains(name) {
                    missing_columns.push(name.clone());
                }
            }
            values.push(column);
        }
        // Row-major, rows in parallel; a missing column's bin is 0 (missing).
        let mut bins = vec![0u8; n * nf];
        bins.par_chunks_mut(nf.max(1)).with_min_len(4096).enumerate().for_each(|(i, row)| {
            for (b, column) in row.iter_mut().zip(&values) {
                if let Some(column) = column {
                    *b = column[i];
                }
            }
        });
        Ok((Binned { n_rows: n, n_features: nf, bins }, missing_columns))
    }

    /// The lead's own value of feature `f` (its bin `bin`), for factors and talking points.
    pub fn display_value(&self, f: usize, table: &Table, cfg: &Config, row: usize, bin: u8) -> String {
        self.display_cell(f, self.display_column(f, table, cfg).map(|col| table.cell(row, col)), bin).into_owned()
    }

    /// The column feature `f`'s values are read from, if the table has it.
    pub fn display_column(&self, f: usize, table: &Table, cfg: &Config) -> Option<usize> {
        match self.features[f].kind {
            Kind::Weekday | Kind::Hour => find_column(table, cfg, "created_at"),
            _ => table.column(&self.features[f].column),
        }
    }

    /// Feature `f`'s value as a person reads it, from its cell (`None`: no such column) and
    /// its bin (weekday and hour are read from the bin: the date was parsed when binning).
    pub fn display_cell<'a>(&self, f: usize, cell: Option<&'a str>, bin: u8) -> Cow<'a, str> {
        let cell = cell.unwrap_or("").trim();
        if cell.is_empty() {
            return Cow::Borrowed("(missing)");
        }
        const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
        match self.features[f].kind {
            Kind::Weekday => DAYS.get(usize::from(bin).wrapping_sub(1)).copied().unwrap_or_default().into(),
            Kind::Hour if bin > 0 => format!("{:02}h", bin - 1).into(),
            Kind::Hour => Cow::Borrowed(""),
            _ => Cow::Borrowed(cell),
        }
    }
}

/// The bins of one feature for `rows`, from column `col`.
fn bin_column(
    feat: &Feature,
    table: &Table,
    cfg: &Config,
    col: usize,
    rows: &[usize],
    created: &[Option<NaiveDateTime>],
) -> Result<Vec<u8>> {
    Ok(match &feat.kind {
        // Parsed cell by cell (no column copy) by the parser that learned the schema: a cell
        // that is not a number is missing, as when the schema was learned; `inf` or `NaN` is
        // an error.
        Kind::Numeric { edges } => {
            let comma = cfg.columns.decimal_comma();
            let mut out = Vec::with_capacity(rows.len());
            for (c, &row) in cells(table, col, rows).zip(rows) {
                out.push(match c.map(|c| parse::amount(c, comma)) {
                    Some(Ok(x)) => numeric_bin(edges, x),
                    Some(Err(parse::NumberError::NotFinite)) => {
                        let cell = table.cell(row, col);
                        return Err(table
                            .cell_error(row, col, format!("found {cell:?}; expected a finite number or an empty cell"))
                            .into());
                    }
                    _ => 0,
                });
            }
            out
        }
        Kind::Boolean => cells(table, col, rows)
            .map(|c| match c.and_then(parse::boolean) {
                Some(false) => 1,
                Some(true) => 2,
                None => 0,
            })
            .collect(),
        Kind::Categorical { levels, bins, other, missing } => {
            // Few levels: a sorted list searched by halves beats hashing every cell.
            let mut index: Vec<(&str, u8)> = levels.iter().map(String::as_str).zip(bins.iter().copied()).collect();
            index.sort_unstable();
            let find = |key: &str| match index.binary_search_by(|(l, _)| (*l).cmp(key)) {
                Ok(i) => index[i].1,
                Err(_) => *other,
            };
            cells(table, col, rows)
                .map(|c| match c {
                    None => *missing,
                    // Levels are stored lower-cased; most cells already are.
                    Some(c) if c.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) => find(c),
                    Some(c) => find(&norm(c)),
                })
                .collect()
        }
        Kind::DaysBefore { edges, reference, style } => {
            let ref_time = reference.as_deref().and_then(parse::datetime);
            let reader = DateReader::stored(cfg, *style);
            cells(table, col, rows)
                .zip(created)
                .map(|(c, t)| {
                    days_before(c.and_then(|c| reader.read(c)), t.or(ref_time))
                        .map(|x| numeric_bin(edges, x))
                        .unwrap_or(0)
                })
                .collect()
        }
        Kind::Weekday => {
            created.iter().map(|t| t.map(|t| 1 + t.weekday().num_days_from_monday() as u8).unwrap_or(0)).collect()
        }
        Kind::Hour => created.iter().map(|t| t.map(|t| 1 + t.hour() as u8).unwrap_or(0)).collect(),
    })
}

fn days_before(date: Option<NaiveDateTime>, at: Option<NaiveDateTime>) -> Option<f64> {
    Some((at? - date?).num_seconds() as f64 / 86_400.0)
}

fn categorical(header: &str, texts: &[Option<&str>], labels: &[bool], prior: f64, min_level: usize) -> Feature {
    // (count, wins) per level; None is the missing level.
    let mut stats: HashMap<Option<String>, (f64, f64)> = HashMap::new();
    for (c, &y) in texts.iter().zip(labels) {
        let e = stats.entry(c.map(norm)).or_insert((0.0, 0.0));
        e.0 += 1.0;
        e.1 += if y { 1.0 } else { 0.0 };
    }
    let mut kept: Vec<(String, f64, f64)> = Vec::new();
    let mut other = (0.0, 0.0);
    let mut missing = (0.0, 0.0);
    let mut named: Vec<(String, (f64, f64))> = stats.iter().filter_map(|(k, v)| k.clone().map(|k| (k, *v))).collect();
    named.sort_by(|a, b| b.1.0.total_cmp(&a.1.0).then_with(|| a.0.cmp(&b.0)));
    for (i, (level, (count, wins))) in named.into_iter().enumerate() {
        if count >= min_level as f64 && i < MAX_LEVELS {
            kept.push((level, count, wins));
        } else {
            other.0 += count;
            other.1 += wins;
        }
    }
    if let Some(m) = stats.get(&None) {
        missing = *m;
    }
    let rate = |(count, wins): (f64, f64)| (wins + LEVEL_PRIOR_ROWS * prior) / (count + LEVEL_PRIOR_ROWS);
    // Order every level (and the pooled and missing ones) by smoothed win rate.
    let mut order: Vec<(f64, usize)> = kept.iter().enumerate().map(|(i, k)| (rate((k.1, k.2)), i)).collect();
    order.push((rate(other), usize::MAX - 1));
    order.push((rate(missing), usize::MAX));
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut bins = vec![0u8; kept.len()];
    let (mut other_bin, mut missing_bin) = (0u8, 0u8);
    for (pos, (_, who)) in order.into_iter().enumerate() {
        let b = (pos + 1) as u8;
        match who {
            w if w == usize::MAX => missing_bin = b,
            w if w == usize::MAX - 1 => other_bin = b,
            w => bins[w] = b,
        }
    }
    Feature {
        name: header.to_string(),
        column: header.to_string(),
        kind: Kind::Categorical {
            levels: kept.into_iter().map(|k| k.0).collect(),
            bins,
            other: other_bin,
            missing: missing_bin,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn table(headers: &[&str], rows: Vec<Vec<String>>) -> Table {
        Table::from_rows(Path::new("h.csv"), headers.iter().map(|s| s.to_string()).collect(), rows)
    }

    #[test]
    fn kinds_are_inferred_and_ids_dropped() {
        let rows: Vec<Vec<String>> = (0..200)
            .map(|i| {
                vec![
                    format!("H{i}"),
                    format!("{}", i % 7),
                    if i % 3 == 0 { "yes" } else { "no" }.into(),
                    ["a", "b", "c"][i % 3].into(),
                    format!("user{i}@x.com"),
                    format!("2024-01-{:02}", 1 + i % 28),
                    if i % 10 == 0 { String::new() } else { "NA".into() },
                ]
            })
            .collect();
        let t = table(&["lead_id", "views", "demo", "tier", "email", "created_at", "region"], rows);
        let labels: Vec<bool> = (0..200).map(|i| i % 3 == 0).collect();
        let rows: Vec<usize> = (0..200).collect();
        let s = Schema::infer(&t, &Config::default(), &rows, &labels).unwrap();
        let kinds: Vec<(&str, &str)> = s
            .features
            .iter()
            .map(|f| {
                (
                    f.name.as_str(),
                    match f.kind {
                        Kind::Numeric { .. } => "num",
                        Kind::Boolean => "bool",
                        Kind::Categorical { .. } => "cat",
                        Kind::DaysBefore { .. } => "days",
                        Kind::Weekday => "weekday",
                        Kind::Hour => "hour",
                    },
                )
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("views", "num"),
                ("demo", "bool"),
                ("tier", "cat"),
                ("created_at:weekday", "weekday"),
                ("region", "cat")
            ]
        );
        assert!(s.dropped.iter().any(|d| d.column == "email" && d.reason.starts_with("id-like")));

        let (b, missing) = s.bin(&t, &Config::default()).unwrap();
        assert!(missing.is_empty());
        // "NA" is a level, not a missing value; the empty cell is the missing level.
        let Kind::Categorical { missing: missing_bin, .. } = &s.features[4].kind else { panic!() };
        assert_eq!(b.row(0)[4], *missing_bin);
        assert_ne!(b.row(1)[4], *missing_bin);
    }

    #[test]
    fn unseen_levels_go_to_other_and_numbers_bin_in_order() {
        let rows: Vec<Vec<String>> =
            (0..100).map(|i| vec![["x", "y"][i % 2].to_string(), (i as f64 * 1.5).to_string()]).collect();
        let t = table(&["color", "amount"], rows);
        let idx: Vec<usize> = (0..100).collect();
        let labels: Vec<bool> = (0..100).map(|i| i % 2 == 0).collect();
        let s = Schema::infer(&t, &Config::default(), &idx, &labels).unwrap();
        let new = table(&["amount", "color"], vec![vec!["1000".into(), "z".into()], vec!["".into(), "X".into()]]);
        let (b, _) = s.bin(&new, &Config::default()).unwrap();
        let Kind::Categorical { other, levels, bins, .. } = &s.features[0].kind else { panic!() };
        assert_eq!(b.row(0)[0], *other);
        let x = bins[levels.iter().position(|l| l == "x").unwrap()];
        assert_eq!(b.row(1)[0], x, "levels match ignoring case");
        assert!(b.row(0)[1] > 1, "a large amount falls in a high bin");
        assert_eq!(b.row(1)[1], 0, "missing is bin 0");
    }

    #[test]
    fn quantile_edges_are_increasing_and_bins_monotone() {
        let mut v: Vec<f64> = (0..1000).map(|i| ((i * 37) % 1000) as f64).collect();
        let e = quantile_edges(&mut v);
        assert!(e.windows(2).all(|w| w[0] < w[1]));
        assert!(e.len() < MAX_BINS);
        let bins: Vec<u8> = [0.0, 10.0, 500.0, 999.0, 5000.0].iter().map(|&x| numeric_bin(&e, x)).collect();
        assert!(bins.windows(2).all(|w| w[0] <= w[1]), "{bins:?}");
    }
}
