//! What makes a stream's decisions exactly-once: an append-only journal beside the routing
//! state, and an exclusive lock on the state.
//!
//! Every decision is a record of the journal (`<state>.journal`), written and synced to disk
//! — a group at a time — *before* its row goes to standard output: a lead whose answer was
//! delivered is on disk. The state file is a compaction of the journal: every `--save-every`
//! decisions, and at the end, it is saved (atomically) and the journal starts afresh from
//! it. A restart replays the records the state does not hold yet (their sequence numbers
//! are above the state's count), so capacity is spent once whether the input is replayed,
//! resumed or overlaps; a record cut short by a crash mid-write is dropped with a warning,
//! anything else damaged is refused.
//!
//! A line of the journal is `CHECKSUM JSON`: the first 16 hex digits of the SHA-256 of the
//! JSON text, a space, the JSON, a newline. The first line is the header: format, version,
//! the state's id and the count of decisions the state held when the journal began.
//!
//! The lock is an exclusive advisory lock (flock) on `<state>.lock`: the state itself is
//! replaced by every save, so it cannot carry the lock. The operating system releases it
//! when its holder dies, so a killed stream never blocks its restart.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::SampleLead;
use crate::error::InputError;

pub const JOURNAL_FORMAT: &str = "leadroute-journal";
pub const JOURNAL_VERSION: u32 = 1;

/// The exclusive right to a routing state, held while alive.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

impl StateLock {
    /// Takes the lock of the state at `state` for `who` ("stream", "assign --state-out"):
    /// waiting for it with `wait`, else refusing with an error when another process holds it.
    pub fn acquire(state: &Path, wait: bool, who: &str) -> Result<StateLock> {
        let path = sidecar(state, "lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        if wait {
            file.lock().with_context(|| format!("cannot lock {}", path.display()))?;
        } else {
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(InputError::file(
                        state,
                        format!(
                            "is in use by another leadroute (a stream, or assign --state-out, holds {}); {who} refuses \
                             to spend its capacity twice: wait for the other to finish, or pass --wait to queue behind \
                             it",
                            path.display()
                        ),
                    )
                    .into());
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(anyhow::Error::new(e).context(format!("cannot lock {}", path.display())));
                }
            }
        }
        Ok(StateLock { _file: file })
    }
}

/// A file beside the state: `<state>.<ext>`.
pub fn sidecar(state: &Path, ext: &str) -> PathBuf {
    let mut name = state.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".{ext}"));
    state.with_file_name(name)
}

/// The journal's first line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    /// The id of the state it continues.
    state_id: String,
    /// How many stream decisions the state held when the journal began.
    from: usize,
}

/// A set of eligible reps first seen with a decision: its rep ids, or every rep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSet {
    pub reps: Option<Vec<String>>,
}

/// One decision, as much as a restart needs to hold it again without deciding it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The decision's number among the stream's decisions (the state's count after it).
    pub seq: usize,
    pub lead: String,
    /// The rep it went to (its capacity is spent), or none.
    pub rep: Option<String>,
    pub reason: Option<String>,
    /// The capacity units it took (its workload).
    pub w: f64,
    /// The output row it was answered with.
    pub row: Vec<String>,
    /// What the price re-solves learn from it.
    pub sample: SampleLead,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decay: Option<f64>,
    /// A set of eligible reps or segment values it was the first to have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_set: Option<NewSet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_sig: Option<Vec<String>>,
}

/// The journal, open for appending, with the records written but not yet synced.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    state_id: String,
    pending: Vec<u8>,
    pending_records: usize,
}

fn checksum(json: &str) -> String {
    let digest = Sha256::digest(json.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn line_of<T: Serialize>(value: &T) -> Result<String> {
    let json = serde_json::to_string(value)?;
    Ok(format!("{} {json}\n", checksum(&json)))
}

/// A line's JSON when its checksum is right.
fn checked(line: &str) -> Option<&str> {
    let (sum, json) = line.split_once(' ')?;
    (sum.len() == 16 && checksum(json) == sum).then_some(json)
}

impl Journal {
    /// The journal file of the state at `state`.
    pub fn path_of(state: &Path) -> PathBuf {
        sidecar(state, "journal")
    }

    /// Opens the journal of the state at `state` (id `state_id`, holding `held` stream
    /// decisions), creating it when there is none, and returns the records the state does
    /// not hold yet, in order. A last record cut short (a crash mid-write) is dropped with a
    /// warning; a journal of another state or version, or damaged elsewhere, is refused.
    pub fn open(
        state: &Path,
        state_id: &str,
        held: usize,
        warnings: &mut Vec<String>,
    ) -> Result<(Journal, Vec<Record>)> {
        let path = Journal::path_of(state);
        let text = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot read the journal {}", path.display()))),
        };
        if text.is_empty() {
            let journal = Journal::create(&path, state_id, held)?;
            return Ok((journal, Vec::new()));
        }
        let bad = |line: usize, msg: String| -> anyhow::Error { InputError::at(&path, Some(line as u64), msg).into() };
        let text = String::from_utf8_lossy(&text).into_owned();
        // Whole lines (ending in a newline); a last line without one was cut short.
        let mut lines: Vec<(usize, &str)> = Vec::new();
        let mut at = 0;
        for piece in text.split_inclusive('\n') {
            lines.push((at, piece));
            at += piece.len();
        }
        let header_line = lines.first().map(|l| l.1).unwrap_or("");
        let header: Header = checked(header_line.trim_end_matches('\n'))
            .and_then(|json| serde_json::from_str(json).ok())
            .filter(|_| header_line.ends_with('\n'))
            .ok_or_else(|| {
                bad(1, format!("not a leadroute journal (expected a first line naming \"{JOURNAL_FORMAT}\")"))
            })?;
        if header.format != JOURNAL_FORMAT {
            return Err(bad(1, format!("not a leadroute journal (format {:?})", header.format)));
        }
        if header.version != JOURNAL_VERSION {
            return Err(bad(
                1,
                format!("journal version {} is not {JOURNAL_VERSION}, the one this leadroute reads", header.version),
            ));
        }
        if header.state_id != state_id {
            return Err(bad(
                1,
                format!(
                    "this journal belongs to another routing state than {} (a state written anew by assign \
                     --state-out starts a new journal); move it away if its decisions are not wanted",
                    state.display()
                ),
            ));
        }
        if header.from > held {
            return Err(bad(
                1,
                format!(
                    "the journal continues from decision {} but {} holds {held}: the state is older than its journal \
                     (restored from a copy?); refusing to route from a state that misses decisions already delivered",
                    header.from,
                    state.display()
                ),
            ));
        }
        let mut records = Vec::new();
        let mut keep = lines[0].0 + lines[0].1.len();
        for (k, &(offset, piece)) in lines.iter().enumerate().skip(1) {
            let expected = header.from + k;
            let last = k + 1 == lines.len();
            let whole = piece.ends_with('\n');
            let rec: Option<Record> = checked(piece.trim_end_matches('\n'))
                .and_then(|json| serde_json::from_str(json).ok())
                .filter(|_| whole);
            let Some(rec) = rec else {
                if last {
                    warnings.push(format!(
                        "{}: its last record (line {}) was cut short by a crash while it was written: dropped, as its \
                         row was never answered; the {} records before it are kept",
                        path.display(),
                        k + 1,
                        k - 1
                    ));
                    break;
                }
                return Err(bad(
                    k + 1,
                    "damaged record (its checksum does not match); refusing to route from a journal \
                                     that may have lost decisions"
                        .into(),
                ));
            };
            if rec.seq != expected {
                return Err(bad(k + 1, format!("record number {} where {expected} was expected", rec.seq)));
            }
            keep = offset + piece.len();
            if rec.seq > held {
                records.push(rec);
            }
        }
        if keep < text.len() {
            // Drop the torn tail so that new records follow the last whole one.
            let f = OpenOptions::new()
                .write(true)
                .open(&path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            f.set_len(keep as u64).with_context(|| format!("cannot truncate {}", path.display()))?;
            f.sync_all()?;
        }
        if let Some(first) = records.first()
            && first.seq != held + 1
        {
            return Err(bad(1, format!("the journal skips decisions {} to {}", held + 1, first.seq - 1)));
        }
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .with_context(|| format!("cannot open the journal {}", path.display()))?;
        Ok((Journal { path, file, state_id: state_id.to_string(), pending: Vec::new(), pending_records: 0 }, records))
    }

    /// A new journal holding only its header, written atomically.
    fn create(path: &Path, state_id: &str, from: usize) -> Result<Journal> {
        let header =
            Header { format: JOURNAL_FORMAT.into(), version: JOURNAL_VERSION, state_id: state_id.to_string(), from };
        let line = line_of(&header)?;
        crate::io::write_atomic(path, |w| {
            w.write_all(line.as_bytes())?;
            Ok(())
        })?;
        let file =
            OpenOptions::new().append(true).open(path).with_context(|| format!("cannot open {}", path.display()))?;
        Ok(Journal {
            path: path.to_path_buf(),
            file,
            state_id: state_id.to_string(),
            pending: Vec::new(),
            pending_records: 0,
        })
    }

    /// Adds a record to the group being written (not on disk until [`Journal::commit`]).
    pub fn append(&mut self, rec: &Record) -> Result<()> {
        self.pending.extend_from_slice(line_of(rec)?.as_bytes());
        self.pending_records += 1;
        Ok(())
    }

    /// Writes the group's records and syncs them to disk: after this, their rows may go out.
    pub fn commit(&mut self) -> Result<()> {
        if self.pending_records == 0 {
            return Ok(());
        }
        self.file
            .write_all(&self.pending)
            .and_then(|_| self.file.sync_data())
            .with_context(|| format!("cannot write the journal {}", self.path.display()))?;
        self.pending.clear();
        self.pending_records = 0;
        Ok(())
    }

    /// After the state was saved holding `from` decisions: a fresh journal from there.
    pub fn reset(&mut self, from: usize) -> Result<()> {
        self.commit()?;
        *self = Journal::create(&self.path.clone(), &self.state_id.clone(), from)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(seq: usize) -> Record {
        Record {
            seq,
            lead: format!("L{seq}"),
            rep: Some("R1".into()),
            reason: None,
            w: 1.0,
            row: vec![format!("L{seq}"), "R1".into()],
            sample: SampleLead(0.1, 10.0, 1.0, 0, 0),
            decay: None,
            new_set: None,
            new_sig: None,
        }
    }

    #[test]
    fn records_survive_reopening_and_a_torn_tail_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let mut w = Vec::new();
        let (mut j, replay) = Journal::open(&state, "id1", 0, &mut w).unwrap();
        assert!(replay.is_empty());
        for s in 1..=3 {
            j.append(&rec(s)).unwrap();
        }
        j.commit().unwrap();
        drop(j);
        let (_, replay) = Journal::open(&state, "id1", 0, &mut w).unwrap();
        assert_eq!(replay, vec![rec(1), rec(2), rec(3)]);
        // Held by the state already: not replayed.
        let (_, replay) = Journal::open(&state, "id1", 2, &mut w).unwrap();
        assert_eq!(replay, vec![rec(3)]);
        // A crash mid-write: half a record at the end.
        let path = Journal::path_of(&state);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        let line = line_of(&rec(4)).unwrap();
        f.write_all(&line.as_bytes()[..line.len() / 2]).unwrap();
        drop(f);
        let (mut j, replay) = Journal::open(&state, "id1", 0, &mut w).unwrap();
        assert_eq!(replay.len(), 3);
        assert!(w.iter().any(|m| m.contains("cut short")), "{w:?}");
        j.append(&rec(4)).unwrap();
        j.commit().unwrap();
        let (_, replay) = Journal::open(&state, "id1", 0, &mut Vec::new()).unwrap();
        assert_eq!(replay.len(), 4, "the torn tail was cut before the new record");
    }

    #[test]
    fn damaged_foreign_and_newer_journals_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.json");
        let (mut j, _) = Journal::open(&state, "id1", 0, &mut Vec::new()).unwrap();
        for s in 1..=3 {
            j.append(&rec(s)).unwrap();
        }
        j.commit().unwrap();
        drop(j);
        let path = Journal::path_of(&state);
        let err = Journal::open(&state, "other", 0, &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("another routing state"), "{err}");
        // A changed byte in a middle record.
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen("\"L2\"", "\"L9\"", 1)).unwrap();
        let err = Journal::open(&state, "id1", 0, &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("line 3") && err.to_string().contains("damaged"), "{err}");
        std::fs::write(&path, "garbage\n").unwrap();
        let err = Journal::open(&state, "id1", 0, &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("not a leadroute journal"), "{err}");
        // A journal begun after a later save than the state holds.
        std::fs::remove_file(&path).unwrap();
        let (mut j, _) = Journal::open(&state, "id1", 5, &mut Vec::new()).unwrap();
        j.reset(5).unwrap();
        drop(j);
        let err = Journal::open(&state, "id1", 3, &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("older than its journal"), "{err}");
    }

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.json");
        let first = StateLock::acquire(&state, false, "stream").unwrap();
        let err = StateLock::acquire(&state, false, "stream").unwrap_err();
        assert!(err.to_string().contains("in use by another leadroute"), "{err}");
        drop(first);
        assert!(StateLock::acquire(&state, false, "stream").is_ok());
    }
}
