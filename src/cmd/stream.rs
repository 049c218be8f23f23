//! `stream`: route leads one at a time as they arrive on standard input, at the prices of
//! the night's plan (`assign --state-out`), one output row per lead on standard output as
//! soon as its decision is in the journal on disk; the state (the journal's compaction) saved
//! atomically every few hundred decisions and at the end; one stream per state at a time.

use std::io::{BufRead, Write};

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::stream::{Answer, Journal, Router, RoutingState, StateLock};

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
    /// Wait for another process holding the state instead of refusing.
    pub wait: bool,
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

/// Most leads decided between two syncs of the journal: a backlog is answered in groups of
/// this many, a lead that comes alone at once.
const GROUP: usize = 1024;

/// Reads leads from `input` until its end, writing a row per lead to `output` — each only
/// after its decision is in the journal on disk. Holds the state's lock throughout.
pub fn run<R: std::io::Read + Send + 'static>(
    s: &StreamSettings,
    input: std::io::BufReader<R>,
    output: &mut dyn Write,
    warnings: &mut Vec<String>,
) -> Result<StreamSummary> {
    let _lock = StateLock::acquire(&s.state, s.wait, "stream")?;
    let state = RoutingState::load(&s.state)?;
    let (mut journal, replay) = Journal::open(&s.state, &state.id, state.arrived, warnings)?;
    // Lines are read on a thread of their own, so that the router sees what has arrived and
    // answers it as one group (one sync) without waiting for more. Not joined: a stream that
    // stops on an error must not wait for input that may never come.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<std::io::Result<String>>>(16);
    std::thread::spawn(move || {
        let mut input = input;
        loop {
            // A line (waiting for it), then every line already buffered: a backlog crosses
            // the channel in chunks, a lone lead at once.
            let mut chunk = Vec::new();
            loop {
                let mut line = String::new();
                match input.read_line(&mut line) {
                    Ok(0) => {
                        let _ = tx.send(chunk);
                        return;
                    }
                    Ok(_) => {
                        while line.ends_with('\n') || line.ends_with('\r') {
                            line.pop();
                        }
                        chunk.push(Ok(line));
                    }
                    Err(e) => {
                        chunk.push(Err(e));
                        let _ = tx.send(chunk);
                        return;
                    }
                }
                if chunk.len() >= GROUP || input.buffer().is_empty() {
                    break;
                }
            }
            if tx.send(chunk).is_err() {
                return;
            }
        }
    });
    {
        let mut queue: std::collections::VecDeque<std::io::Result<String>> = std::collections::VecDeque::new();
        let mut next = |block: bool| -> Result<Option<String>> {
            if queue.is_empty() {
                let got = if block { rx.recv().ok() } else { rx.try_recv().ok() };
                queue.extend(got.into_iter().flatten());
            }
            queue.pop_front().transpose().context("cannot read standard input")
        };
        let mut line_no = 1u64;
        // The header: the CSV's first line, or the first JSON object's keys.
        // No input at all: the journal keeps what it holds for the next stream to replay.
        let Some(first) = next(true)? else { return Ok(StreamSummary::default()) };
        let (headers, first_json) = match s.format {
            Format::Csv => (split_csv(&first).map_err(|e| anyhow::anyhow!("standard input, line 1: {e}"))?, None),
            Format::Jsonl => {
                let obj = json_object(&first).map_err(|e| anyhow::anyhow!("standard input, line 1: {e}"))?;
                (obj.iter().map(|(k, _)| k.clone()).collect(), Some(obj))
            }
        };
        let mut router =
            Router::new(state, &s.model, &s.reps, s.config.as_deref(), headers.clone(), warnings)?.with_fill(s.fill);
        for rec in &replay {
            router.replay(rec).with_context(|| format!("replaying {}", Journal::path_of(&s.state).display()))?;
        }
        if !replay.is_empty() {
            warnings.push(format!(
                "{}: {} decisions made before the last stream stopped were taken from its journal",
                s.state.display(),
                replay.len()
            ));
        }
        let mut out = csv::WriterBuilder::new().from_writer(output);
        out.write_record(router.columns())?;
        out.flush()?;
        let mut summary = StreamSummary::default();
        let mut since_save = 0usize;
        let cells_of = |l: &str| -> Result<Vec<String>, String> {
            match s.format {
                Format::Csv => split_csv(l).and_then(|c| fit(c, headers.len())),
                Format::Jsonl => json_object(l).map(|obj| {
                    headers.iter().map(|h| cell_of(obj.iter().find(|(k, _)| k == h).map(|(_, v)| v))).collect()
                }),
            }
        };
        let mut pending: Vec<Answer> = Vec::new();
        if let Some(obj) = first_json {
            let cells = headers.iter().map(|h| cell_of(obj.iter().find(|(k, _)| k == h).map(|(_, v)| v))).collect();
            since_save += decide(Ok(cells), 1, &mut router, &mut journal, &mut pending, &mut summary)?;
        }
        let mut ended = false;
        while !ended {
            // A group: the lines that have arrived, at least one, at most GROUP.
            let mut block = pending.is_empty();
            while pending.len() < GROUP {
                let Some(l) = next(block)? else {
                    ended = block;
                    break;
                };
                block = false;
                line_no += 1;
                if l.trim().is_empty() {
                    continue;
                }
                since_save += decide(cells_of(&l), line_no, &mut router, &mut journal, &mut pending, &mut summary)?;
            }
            // On disk first, then out.
            journal.commit()?;
            for a in pending.drain(..) {
                out.write_record(&a.cells)?;
            }
            out.flush()?;
            if since_save >= s.save_every {
                router.snapshot().save(&s.state)?;
                journal.reset(router.state.arrived)?;
                since_save = 0;
            }
        }
        journal.commit()?;
        router.snapshot().save(&s.state)?;
        journal.reset(router.state.arrived)?;
        Ok(summary)
    }
}

/// Routes one record (or answers one that could not be read with its error), its journal
/// record appended to the group and its row kept for when the group is on disk; 1 when
/// the lead was decided now.
fn decide(
    cells: Result<Vec<String>, String>,
    line: u64,
    router: &mut Router,
    journal: &mut Journal,
    pending: &mut Vec<Answer>,
    summary: &mut StreamSummary,
) -> Result<usize> {
    summary.read += 1;
    let (a, record) = match cells {
        Ok(cells) => router.route(cells, line),
        Err(e) => {
            (Answer::error(String::new(), format!("standard input, line {line}: {e}"), router.columns().len()), None)
        }
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
    if let Some(rec) = &record {
        journal.append(rec)?;
    }
    let fresh = usize::from(a.fresh);
    pending.push(a);
    Ok(fresh)
}

/// One CSV line's fields.
fn split_csv(line: &str) -> Result<Vec<String>, String> {
    // Without quotes a line is its commas' fields (as csv reads it); a reader is built only
    // for a line with quotes (building one costs more than deciding the lead).
    if !line.contains('"') {
        return Ok(line.split(',').map(str::to_string).collect());
    }
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
