//! `stream`: route leads one at a time as they arrive on standard input, at the prices of
//! the night's plan (`assign --state-out`), one output row per lead on standard output as
//! soon as it is decided; the state saved atomically every few leads and at the end.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::stream::{Router, RoutingState};

/// How leads arrive on standard input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CSV with a header line.
    Csv,
    /// One JSON object per line, keys as column names.
    Jsonl,
}

/// Settings of `stream`.
#[derive(Debug, Clone)]
pub struct StreamSettings {
    pub state: PathBuf,
    pub model: PathBuf,
    pub reps: PathBuf,
    pub config: Option<PathBuf>,
    pub format: Format,
    /// Save the state after this many new decisions (and at the end).
    pub save_every: usize,
    /// Route every lead while an eligible active rep has room (never hold one back).
    pub fill: bool,
}

/// What the stream did.
#[derive(Debug, Clone, Default)]
pub struct StreamSummary {
    pub read: usize,
    /// Decided now: assigned, held back, or without a rep.
    pub routed: usize,
    pub assigned: usize,
    /// Held back: worth less than the price of the capacity they would take.
    pub held: usize,
    pub answered_before: usize,
    /// Won or lost deals in the input, not routed.
    pub closed: usize,
    pub errors: usize,
}

impl std::fmt::Display for StreamSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "stream: {} leads read, {} decided now ({} assigned, {} held back for better leads expected later, {} \
             without an eligible rep with room), {} answered from earlier decisions, {} closed deals not routed, {} \
             rows in error",
            self.read,
            self.routed,
            self.assigned,
            self.held,
            self.routed - self.assigned - self.held,
            self.answered_before,
            self.closed,
            self.errors
        )
    }
}

/// Reads leads from `input` until its end, writing a row per lead to `output`.
pub fn run(
    s: &StreamSettings,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    warnings: &mut Vec<String>,
) -> Result<StreamSummary> {
    let state = RoutingState::load(&s.state)?;
    let mut lines = input.lines();
    let mut line_no = 0u64;
    let mut next_line = |line_no: &mut u64| -> Result<Option<String>> {
        *line_no += 1;
        lines.next().transpose().context("cannot read standard input")
    };
    // The header: the CSV's first line, or the first JSON object's keys.
    let (headers, first_json) = match s.format {
        Format::Csv => match next_line(&mut line_no)? {
            Some(h) => (split_csv(&h).map_err(|e| anyhow::anyhow!("standard input, line 1: {e}"))?, None),
            None => return Ok(StreamSummary::default()),
        },
        Format::Jsonl => match next_line(&mut line_no)? {
            Some(l) => {
                let obj = json_object(&l).map_err(|e| anyhow::anyhow!("standard input, line 1: {e}"))?;
                (obj.iter().map(|(k, _)| k.clone()).collect(), Some(obj))
            }
            None => return Ok(StreamSummary::default()),
        },
    };
    let mut router =
        Router::new(state, &s.model, &s.reps, s.config.as_deref(), headers.clone(), warnings)?.with_fill(s.fill);
    let mut out = csv::WriterBuilder::new().from_writer(output);
    out.write_record(router.columns())?;
    out.flush()?;
    let mut summary = StreamSummary::default();
    let mut since_save = 0usize;
    if let Some(obj) = first_json {
        let cells = headers.iter().map(|h| cell_of(obj.iter().find(|(k, _)| k == h).map(|(_, v)| v))).collect();
        if answer(Ok(cells), 1, &mut out, &mut summary, &mut router)? {
            since_save += 1;
        }
    }
    while let Some(l) = next_line(&mut line_no)? {
        if l.trim().is_empty() {
            continue;
        }
        let cells = match s.format {
            Format::Csv => split_csv(&l).and_then(|c| fit(c, headers.len())),
            Format::Jsonl => json_object(&l)
                .map(|obj| headers.iter().map(|h| cell_of(obj.iter().find(|(k, _)| k == h).map(|(_, v)| v))).collect()),
        };
        if answer(cells, line_no, &mut out, &mut summary, &mut router)? {
            since_save += 1;
        }
        if since_save >= s.save_every {
            router.snapshot().save(&s.state)?;
            since_save = 0;
        }
    }
    router.snapshot().save(&s.state)?;
    Ok(summary)
}

/// Routes one record (or writes the error of one that could not be read) and writes its
/// row, flushed; whether the lead was decided now.
fn answer(
    cells: Result<Vec<String>, String>,
    line: u64,
    out: &mut csv::Writer<&mut dyn Write>,
    summary: &mut StreamSummary,
    router: &mut Router,
) -> Result<bool> {
    summary.read += 1;
    let a = match cells {
        Ok(cells) => router.route(cells, line),
        Err(e) => crate::stream::Answer::error(
            String::new(),
            format!("standard input, line {line}: {e}"),
            router.columns().len(),
        ),
    };
    match (a.fresh, a.cells[2].as_str(), a.cells[3].as_str()) {
        (_, "error", _) => summary.errors += 1,
        (false, _, "closed_deal") => summary.closed += 1,
        (true, status, reason) => {
            summary.routed += 1;
            summary.assigned += usize::from(status == "assigned");
            summary.held += usize::from(reason == crate::assign::Reason::CapacityReserved.code());
        }
        (false, _, _) => summary.answered_before += 1,
    }
    out.write_record(&a.cells)?;
    out.flush()?;
    Ok(a.fresh)
}

/// One CSV line's fields.
fn split_csv(line: &str) -> Result<Vec<String>, String> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(line.as_bytes());
    match r.records().next() {
        Some(Ok(rec)) => Ok(rec.iter().map(str::to_string).collect()),
        Some(Err(e)) => Err(format!("not a CSV record ({e})")),
        None => Ok(Vec::new()),
    }
}

/// The fields of a record, as many as the header has.
fn fit(cells: Vec<String>, width: usize) -> Result<Vec<String>, String> {
    if cells.len() == width {
        Ok(cells)
    } else {
        Err(format!("{} fields, expected {width} as in the header", cells.len()))
    }
}

/// One JSON line's keys and values, in the order written.
fn json_object(line: &str) -> Result<Vec<(String, serde_json::Value)>, String> {
    match serde_json::from_str::<serde_json::Value>(line) {
        Ok(serde_json::Value::Object(map)) => Ok(map.into_iter().collect()),
        Ok(_) => Err("expected a JSON object of column names and values".into()),
        Err(e) => Err(format!("not JSON ({e})")),
    }
}

/// A JSON value as a CSV cell: strings as they are, numbers and booleans written out,
/// null or absent empty.
fn cell_of(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}
