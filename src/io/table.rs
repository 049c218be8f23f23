//! A CSV file read whole into memory, with every record's line number kept.
//!
//! This is the one place CSV syntax is dealt with: BOM, CRLF, quoted fields (commas and
//! newlines inside quotes), ragged rows, invalid UTF-8, duplicate headers and unterminated
//! quotes all end here either as a clean table or as an [`InputError`] naming the line.
//! Typed meaning (numbers, booleans, ids) is given to the cells by `crate::data`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};

use crate::error::InputError;

/// A CSV file: its headers and records, each record knowing its line. All cells live in
/// one string; each row keeps where it starts and where each of its fields ends.
#[derive(Debug, Clone)]
pub struct Table {
    path: PathBuf,
    headers: Vec<String>,
    data: String,
    /// Start of each row in `data`, plus the end of the last row.
    row_start: Vec<usize>,
    /// End of each field relative to its row's start, row-major.
    field_end: Vec<u32>,
    /// Bytes between one field's end and the next one's start: 0 when the fields are
    /// packed, 1 when `data` is the file itself (a field, then its delimiter).
    sep: usize,
    lines: Vec<u64>,
    /// Per column: where a joined column's cells come from (`None`: this file).
    origins: Vec<Option<Arc<Origin>>>,
}

/// A joined column's source: the lookup file, the column there (0-based), and per row the
/// line of the lookup record it took (`None`: no match).
#[derive(Debug)]
struct Origin {
    path: PathBuf,
    col: usize,
    lines: Arc<Vec<Option<u64>>>,
}

impl Table {
    /// Reads a whole CSV file. `what` names the file's role ("leads", "reps") in messages.
    pub fn read(path: &Path, what: &str) -> Result<Table> {
        if super::is_stdio(path) {
            use std::sync::atomic::{AtomicBool, Ordering};
            static TAKEN: AtomicBool = AtomicBool::new(false);
            let name = Path::new("(standard input)");
            if TAKEN.swap(true, Ordering::SeqCst) {
                return Err(InputError::file(
                    name,
                    format!("standard input is read once; give the {what} file by name"),
                )
                .into());
            }
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
                .with_context(|| format!("cannot read the {what} file from standard input"))?;
            return Table::parse(name, what, bytes, PART);
        }
        if path.is_dir() {
            return Err(InputError::file(path, format!("is a folder, expected a {what} CSV file")).into());
        }
        let bytes = std::fs::read(path).with_context(|| format!("cannot open the {what} file {}", path.display()))?;
        Table::parse(path, what, bytes, PART)
    }

    /// A CSV file's bytes as a table (`path` names it in messages), as [`Table::read`] would
    /// read them.
    pub fn from_bytes(path: &Path, what: &str, bytes: Vec<u8>) -> Result<Table> {
        Table::parse(path, what, bytes, PART)
    }

    /// [`Table::from_bytes`], read in parts of about `part` bytes when there is no quote:
    /// for checking that the parallel read agrees with the one-piece read (fuzzing).
    #[doc(hidden)]
    pub fn from_bytes_in_parts(path: &Path, what: &str, bytes: Vec<u8>, part: usize) -> Result<Table> {
        Table::parse(path, what, bytes, part.max(1))
    }

    fn parse(path: &Path, what: &str, bytes: Vec<u8>, part: usize) -> Result<Table> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(sniff_delimiter(&bytes))
            .from_reader(bytes.as_slice());
        // The csv crate does not count newlines inside quoted fields; count them here.
        let mut lines = LineCounter::new(&bytes);

        let mut rec = csv::ByteRecord::new();
        let got = rdr.read_byte_record(&mut rec).map_err(|e| csv_error(path, e, 0, &mut lines))?;
        if !got {
            return Err(InputError::file(
                path,
                format!("the file is empty; expected a header row naming the {what} columns"),
            )
            .into());
        }
        let headers = decode_headers(path, &rec)?;
        let delimiter = sniff_delimiter(&bytes);
        let body = rdr.position().byte() as usize;
        let parts = split_records(&bytes, body, part);
        // The line of each part's first byte: 1 + the newlines before it.
        let counts: Vec<u64> = {
            use rayon::prelude::*;
            let newlines = |b: &[u8]| b.iter().filter(|&&b| b == b'\n').count() as u64;
            let before = newlines(&bytes[..parts[0].0]);
            let mut c: Vec<u64> = parts.par_iter().map(|&(start, end)| newlines(&bytes[start..end])).collect();
            c.insert(0, before);
            c
        };
        let first_line: Vec<u64> = counts
            .iter()
            .scan(1, |line, &c| {
                *line += c;
                Some(*line)
            })
            .collect();
        // Without quotes every field is its bytes in the file: the table keeps the file
        // as it is (no copy), if each part's records confirm it.
        // Otherwise (one part, or a record that is not its bytes — a byte-order mark at a
        // part's start, which a reader drops) the whole body is read in one piece.
        let mut raw = parts.len() > 1;
        let mut read_parts: Vec<Result<Option<Part>>> = Vec::new();
        if raw {
            use rayon::prelude::*;
            read_parts = (0..parts.len())
                .into_par_iter()
                .map(|k| read_part(path, &bytes, parts[k].0, parts[k].1, first_line[k], delimiter, &headers, true))
                .collect();
            raw = !read_parts.iter().any(|p| matches!(p, Ok(None)));
        }
        if !raw {
            let (start, end) = (parts[0].0, parts[parts.len() - 1].1);
            read_parts = vec![read_part(path, &bytes, start, end, first_line[0], delimiter, &headers, false)];
        }
        let mut t = Table {
            path: path.to_path_buf(),
            headers,
            data: String::new(),
            row_start: vec![0],
            field_end: Vec::new(),
            sep: usize::from(raw),
            lines: Vec::new(),
            origins: Vec::new(),
        };
        let mut last_record = None;
        for part in read_parts {
            let part = part?.expect("a part read into its own buffer");
            if raw {
                t.row_start.extend_from_slice(&part.row_start);
            } else {
                let base = t.data.len();
                t.data.push_str(&part.data);
                t.row_start.extend(part.row_start.iter().skip(1).map(|&r| base + r));
            }
            t.field_end.extend_from_slice(&part.field_end);
            t.lines.extend_from_slice(&part.lines);
            last_record = part.last_record.or(last_record);
        }
        if raw {
            // Row starts so far are the records'; the last entry ends the last row.
            t.row_start.remove(0);
            t.row_start.push(bytes.len());
        }
        if let Some((byte, line)) = last_record {
            check_closed_quotes(path, &bytes[byte as usize..], line)?;
        }
        if raw {
            // Every record is valid UTF-8 and the rest is the header and line ends.
            t.data = String::from_utf8(bytes)
                .map_err(|_| InputError::file(path, "not valid UTF-8; save the file as UTF-8"))?;
        }
        Ok(t)
    }

    /// Builds a table from memory (tests and generated data); rows are on lines 2, 3, ….
    pub fn from_rows(path: &Path, headers: Vec<String>, rows: Vec<Vec<String>>) -> Table {
        let mut t = Table {
            path: path.to_path_buf(),
            origins: vec![None; headers.len()],
            headers,
            data: String::new(),
            row_start: vec![0],
            field_end: Vec::new(),
            sep: 0,
            lines: Vec::new(),
        };
        for (i, r) in rows.into_iter().enumerate() {
            let base = t.data.len();
            for c in 0..t.headers.len() {
                t.data.push_str(r.get(c).map(String::as_str).unwrap_or(""));
                t.field_end.push((t.data.len() - base) as u32);
            }
            t.row_start.push(t.data.len());
            t.lines.push(i as u64 + 2);
        }
        t
    }

    /// The same rows, numbered from line `first` on (a record read from a stream, on the
    /// line the stream had it).
    pub fn starting_at(mut self, first: u64) -> Table {
        for (i, line) in self.lines.iter_mut().enumerate() {
            *line = first + i as u64;
        }
        self
    }

    /// The given rows, in the given order, as a table of their own; each row keeps the line
    /// it came from, so errors still point into the original file.
    pub fn subset(&self, rows: &[usize]) -> Table {
        let mut t = Table {
            path: self.path.clone(),
            headers: self.headers.clone(),
            data: String::new(),
            row_start: vec![0],
            field_end: Vec::with_capacity(rows.len() * self.headers.len()),
            sep: self.sep,
            lines: Vec::with_capacity(rows.len()),
            origins: self
                .origins
                .iter()
                .map(|o| {
                    o.as_ref().map(|o| {
                        Arc::new(Origin {
                            path: o.path.clone(),
                            col: o.col,
                            lines: Arc::new(rows.iter().map(|&r| o.lines[r]).collect()),
                        })
                    })
                })
                .collect(),
        };
        let width = self.headers.len();
        for &r in rows {
            let (from, to) = (self.row_start[r], self.row_start[r + 1]);
            t.data.push_str(&self.data[from..to]);
            t.field_end.extend_from_slice(&self.field_end[r * width..(r + 1) * width]);
            t.row_start.push(t.data.len());
            t.lines.push(self.lines[r]);
        }
        t
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The cell at `row`, `col` (both 0-based), exactly as in the file.
    #[inline]
    pub fn cell(&self, row: usize, col: usize) -> &str {
        let base = self.row_start[row];
        let k = row * self.headers.len() + col;
        let start = if col == 0 { 0 } else { self.field_end[k - 1] as usize + self.sep };
        &self.data[base + start..base + self.field_end[k] as usize]
    }

    /// 1-based line where record `row` starts.
    pub fn line(&self, row: usize) -> Option<u64> {
        self.lines.get(row).copied()
    }

    /// Index of the column named `name`: an exact match first, then one ignoring case and
    /// surrounding spaces if that is unique.
    pub fn column(&self, name: &str) -> Option<usize> {
        if let Some(i) = self.headers.iter().position(|h| h == name) {
            return Some(i);
        }
        let want = name.trim().to_lowercase();
        let mut found = self.headers.iter().enumerate().filter(|(_, h)| h.trim().to_lowercase() == want);
        match (found.next(), found.next()) {
            (Some((i, _)), None) => Some(i),
            _ => None,
        }
    }

    /// An error about one cell; a joined column's cell is named in its lookup file.
    pub fn cell_error(&self, row: usize, col: usize, message: impl Into<String>) -> InputError {
        match self.origins.get(col).and_then(Option::as_ref) {
            Some(o) => InputError::cell(&o.path, o.lines[row], o.col, &self.headers[col], message),
            None => InputError::cell(&self.path, self.line(row), col, &self.headers[col], message),
        }
    }

    /// This table with columns `cols` of `lookup` appended: row `r` takes lookup row
    /// `matched[r]`, or empty cells where it has none. Errors about the new cells name the
    /// lookup file and its line.
    pub fn joined(&self, lookup: &Table, cols: &[usize], matched: &[Option<u32>]) -> Table {
        debug_assert_eq!(matched.len(), self.len());
        let width = self.headers.len() + cols.len();
        let mut t = Table {
            path: self.path.clone(),
            headers: self.headers.iter().chain(cols.iter().map(|&c| &lookup.headers[c])).cloned().collect(),
            data: String::with_capacity(self.data.len()),
            row_start: Vec::with_capacity(self.len() + 1),
            field_end: Vec::with_capacity(self.len() * width),
            sep: 0,
            lines: self.lines.clone(),
            origins: Vec::with_capacity(width),
        };
        t.row_start.push(0);
        for (row, m) in matched.iter().enumerate() {
            let base = t.data.len();
            for c in 0..self.headers.len() {
                t.data.push_str(self.cell(row, c));
                t.field_end.push((t.data.len() - base) as u32);
            }
            for &c in cols {
                if let Some(j) = m {
                    t.data.push_str(lookup.cell(*j as usize, c));
                }
                t.field_end.push((t.data.len() - base) as u32);
            }
            t.row_start.push(t.data.len());
        }
        let lines = Arc::new(matched.iter().map(|m| m.and_then(|j| lookup.line(j as usize))).collect::<Vec<_>>());
        t.origins.extend((0..self.headers.len()).map(|c| self.origins.get(c).cloned().flatten()));
        t.origins.extend(
            cols.iter()
                .map(|&c| Some(Arc::new(Origin { path: lookup.path.clone(), col: c, lines: Arc::clone(&lines) }))),
        );
        t
    }
}

/// The field separator: `,` unless the header line has more `;` or tabs (spreadsheets in
/// many locales export with `;`). Quoted parts of the header are not counted.
fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in bytes {
        match b {
            b'\n' if !quoted => break,
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], usize::from(i == 0))).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

fn decode_headers(path: &Path, rec: &csv::ByteRecord) -> Result<Vec<String>> {
    let mut headers = Vec::with_capacity(rec.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, raw) in rec.iter().enumerate() {
        let raw = if i == 0 { raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw) } else { raw };
        let name = std::str::from_utf8(raw).map_err(|_| {
            InputError::cell(
                path,
                Some(1),
                i,
                &String::from_utf8_lossy(raw),
                "the header is not valid UTF-8; save the file as UTF-8",
            )
        })?;
        let name = name.trim().to_string();
        if !name.is_empty()
            && let Some(first) = seen.insert(name.to_lowercase(), i)
        {
            return Err(InputError::cell(
                path,
                Some(1),
                i,
                &name,
                format!("duplicate column name; column {} has the same header", first + 1),
            )
            .into());
        }
        headers.push(name);
    }
    Ok(headers)
}

/// 1-based line numbers of byte offsets, for offsets asked in increasing order.
/// Bytes per part of a large file read in parallel.
const PART: usize = 8 << 20;

/// Byte ranges of the records after the header, `[start, end)`: one range, or — for a
/// large file without a quote character, where every newline ends a record — several,
/// split at newlines, read in parallel.
fn split_records(bytes: &[u8], body: usize, part: usize) -> Vec<(usize, usize)> {
    let n = bytes.len();
    let rest = &bytes[body.min(n)..];
    // A quote may hold newlines; a reader drops a byte-order mark at the start of its
    // input (0xEF is its first byte, and rare elsewhere): either means one piece.
    if rest.len() < part.saturating_mul(2) || rest.contains(&b'"') || rest.contains(&0xEF) {
        return vec![(body.min(n), n)];
    }
    let mut parts = Vec::new();
    let mut start = body;
    while start < n {
        let target = (start + part).min(n);
        let end = match bytes[target..].iter().position(|&b| b == b'\n') {
            Some(k) => target + k + 1,
            None => n,
        };
        parts.push((start, end));
        start = end;
    }
    parts
}

/// The records of `bytes[start..end]`, whose first byte is on line `line`. With `raw`,
/// the part keeps no copy: row starts are positions in the file and field ends count the
/// delimiters, for a table whose data is the file itself; `None` if a record's fields are
/// not its bytes in the file after all.
struct Part {
    data: String,
    row_start: Vec<usize>,
    field_end: Vec<u32>,
    lines: Vec<u64>,
    /// Where the last record starts (a byte of the whole file) and its line.
    last_record: Option<(u64, u64)>,
}

#[allow(clippy::too_many_arguments)]
fn read_part(
    path: &Path,
    bytes: &[u8],
    start: usize,
    end: usize,
    line: u64,
    delimiter: u8,
    headers: &[String],
    raw: bool,
) -> Result<Option<Part>> {
    let ncols = headers.len();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(&bytes[start..end]);
    let mut lines = LineCounter { bytes, at: start, line };
    let mut part = Part {
        data: if raw { String::new() } else { String::with_capacity(end - start) },
        row_start: if raw { Vec::new() } else { vec![0] },
        field_end: Vec::new(),
        lines: Vec::new(),
        last_record: None,
    };
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(path, e, start as u64, &mut lines)),
        }
        let byte = start as u64 + rec.position().map(|p| p.byte()).unwrap_or(0);
        let line = lines.line_at(byte);
        part.last_record = Some((byte, line));
        if ncols > 1 && rec.len() == 1 && rec.get(0) == Some(b"") {
            // A blank line: the csv crate skips most, this catches the rest.
            continue;
        }
        if rec.len() != ncols {
            let spans = rec.iter().any(|f| f.contains(&b'\n'));
            let hint = if spans { " (an unbalanced quote may have joined several lines)" } else { "" };
            return Err(InputError::at(
                path,
                Some(line),
                format!("expected {ncols} fields as in the header, found {}{hint}", rec.len()),
            )
            .into());
        }
        let text = std::str::from_utf8(rec.as_slice()).map_err(|e| {
            let bad = (0..rec.len()).find(|&i| rec.range(i).is_some_and(|r| r.end > e.valid_up_to())).unwrap_or(0);
            InputError {
                file: path.to_path_buf(),
                line: Some(line),
                column: Some((bad + 1, headers[bad].clone())),
                message: "not valid UTF-8; save the file as UTF-8".into(),
            }
        })?;
        if raw {
            // The record's first byte: the reported position may be a line end before it.
            let mut rs = byte as usize;
            while rs < end && matches!(bytes[rs], b'\r' | b'\n') {
                rs += 1;
            }
            let mut from = 0;
            for i in 0..rec.len() {
                let to = rec.range(i).map_or(0, |r| r.end) + i;
                if bytes.get(rs + from..rs + to) != rec.get(i) {
                    return Ok(None);
                }
                part.field_end.push(to as u32);
                from = to + 1;
            }
            part.row_start.push(rs);
        } else {
            part.data.push_str(text);
            part.field_end.extend((0..rec.len()).map(|i| rec.range(i).map_or(0, |r| r.end) as u32));
            part.row_start.push(part.data.len());
        }
        part.lines.push(line);
    }
    Ok(Some(part))
}

struct LineCounter<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter { bytes, at: 0, line: 1 }
    }

    /// The line where the record reported at `byte` starts. The csv crate may report the
    /// offset of the previous line's terminator (with CRLF), so line ends are skipped first.
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut byte = (byte as usize).min(self.bytes.len());
        while byte < self.bytes.len() && matches!(self.bytes[byte], b'\r' | b'\n') {
            byte += 1;
        }
        if byte < self.at {
            self.at = 0;
            self.line = 1;
        }
        self.line += self.bytes[self.at..byte].iter().filter(|&&b| b == b'\n').count() as u64;
        self.at = byte;
        self.line
    }
}

/// `offset`: where the reader's input starts in the file.
fn csv_error(path: &Path, err: csv::Error, offset: u64, lines: &mut LineCounter) -> anyhow::Error {
    use csv::ErrorKind;
    match err.kind() {
        ErrorKind::Utf8 { pos, err } => {
            let line = pos.as_ref().map(|p| lines.line_at(offset + p.byte()));
            InputError {
                file: path.to_path_buf(),
                line,
                column: Some((err.field() + 1, format!("field {}", err.field() + 1))),
                message: "not valid UTF-8; save the file as UTF-8".into(),
            }
            .into()
        }
        ErrorKind::UnequalLengths { pos, expected_len, len } => InputError::at(
            path,
            pos.as_ref().map(|p| lines.line_at(offset + p.byte())),
            format!("expected {expected_len} fields as in the header, found {len}"),
        )
        .into(),
        ErrorKind::Io(e) => anyhow::anyhow!("cannot read {}: {e}", path.display()),
        _ => InputError::file(path, format!("malformed CSV: {err}")).into(),
    }
}

/// The csv crate reads an unterminated quoted field to the end of the file without
/// complaint. Re-scan the last record's bytes and reject a quote that never closes.
fn check_closed_quotes(path: &Path, tail: &[u8], line: u64) -> Result<()> {
    let skip = tail.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
    let tail = &tail[skip..];
    let mut in_quotes = false;
    let mut at_field_start = true;
    let mut i = 0;
    while i < tail.len() {
        let b = tail[i];
        if in_quotes {
            if b == b'"' {
                if tail.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quotes = false;
                }
            }
        } else if b == b'"' && at_field_start {
            in_quotes = true;
        } else if b == b'\n' && !in_quotes {
            break;
        }
        at_field_start = !in_quotes && (b == b',' || b == b'\n' || b == b'\r');
        i += 1;
    }
    if in_quotes {
        return Err(InputError::at(
            path,
            Some(line),
            "a quoted field is never closed: expected a closing '\"' before the end of the file",
        )
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn table_of(bytes: &[u8]) -> Result<Table> {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        Table::read(f.path(), "test")
    }

    #[test]
    fn reads_bom_crlf_and_quoted_newlines() {
        let t = table_of(b"\xEF\xBB\xBFid,note\r\n1,\"a, b\"\r\n2,\"two\nlines\"\r\n3,x\r\n").unwrap();
        assert_eq!(t.headers(), &["id", "note"]);
        assert_eq!(t.len(), 3);
        assert_eq!(t.cell(0, 1), "a, b");
        assert_eq!(t.cell(1, 1), "two\nlines");
        assert_eq!(t.line(2), Some(5));
    }

    #[test]
    fn semicolons_and_tabs_are_detected() {
        let t = table_of(b"\"age\";\"job\";\"y\"\n56;\"house, maid\";\"no\"\n").unwrap();
        assert_eq!(t.headers(), &["age", "job", "y"]);
        assert_eq!(t.cell(0, 1), "house, maid");
        let t = table_of(b"a\tb\n1\t2\n").unwrap();
        assert_eq!(t.cell(0, 1), "2");
        let t = table_of(b"a,\"b;c\"\n1,2\n").unwrap();
        assert_eq!(t.headers(), &["a", "b;c"]);
    }

    /// The same file read in one piece and in parts of a few bytes (the file itself as
    /// the table's data): the same cells, lines and errors.
    #[test]
    fn a_file_read_in_parts_reads_as_in_one_piece() {
        let read =
            |bytes: &[u8], part: usize| Table::from_bytes_in_parts(Path::new("t.csv"), "test", bytes.to_vec(), part);
        let mut file = b"\xEF\xBB\xBFid,city,n\r\n".to_vec();
        for i in 0..300 {
            file.extend(format!("L{i},caf\u{e9} {},{}\r\n", i % 7, i * 3).bytes());
            if i % 50 == 0 {
                file.extend(b"\r\n"); // a blank line
            }
            if i % 70 == 0 {
                file.extend(format!("L{i}b,,\n").bytes()); // empty cells, a bare LF
            }
        }
        file.extend(b"last,x,1"); // no final line end
        let one = read(&file, usize::MAX).unwrap();
        for part in [16, 100, 1000] {
            let parts = read(&file, part).unwrap();
            assert_eq!(parts.sep, 1, "part {part}: the file itself is the data");
            assert_eq!(parts.len(), one.len());
            for r in 0..one.len() {
                assert_eq!(parts.line(r), one.line(r), "part {part}, row {r}");
                for c in 0..3 {
                    assert_eq!(parts.cell(r, c), one.cell(r, c), "part {part}, row {r}, column {c}");
                }
            }
            let subset = parts.subset(&[5, 0, one.len() - 1]);
            assert_eq!(subset.cell(0, 1), one.cell(5, 1));
            assert_eq!(subset.cell(2, 2), "1");
        }
        // A ragged row and invalid UTF-8 far into the file: the same message and line.
        for bad in [b"oops\n".to_vec(), b"x,\xff\xfe,1\n".to_vec()] {
            let mut broken = file[..file.len() - 8].to_vec();
            let at = broken.len() * 2 / 3;
            let at = at + broken[at..].iter().position(|&b| b == b'\n').unwrap() + 1;
            broken.splice(at..at, bad);
            let e1 = read(&broken, usize::MAX).unwrap_err().to_string();
            let e2 = read(&broken, 64).unwrap_err().to_string();
            assert_eq!(e1, e2);
            assert!(e1.contains("line"), "{e1}");
        }
    }

    /// Found by fuzzing: a byte-order mark at the start of a line in the middle of a file,
    /// before a value or alone on its line.
    #[test]
    fn a_mark_mid_file_reads_the_same_in_parts() {
        for bytes in [
            b"le_dai,dcreated_at\na,8-02-30\nb,209:30led2region\n\xEF\xBB\xBFa-01 09:30:00,02:00\n".to_vec(),
            b"lead_id\nl\n\n\n\nid\nl\n\n\xEF\xBB\xBF\n\n\ned3reg\n\n\n".to_vec(),
            b"lead_id\n\xEF\xBB\xBF\n\n\n\n\n\n\xff\nb,x\n".to_vec(),
        ] {
            let one = Table::from_bytes(Path::new("f.csv"), "leads", bytes.clone());
            for part in [1, 2, 3, 7] {
                let parts = Table::from_bytes_in_parts(Path::new("f.csv"), "leads", bytes.clone(), part);
                match (&one, parts) {
                    (Ok(a), Ok(b)) => {
                        assert_eq!(a.len(), b.len(), "part {part}");
                        for r in 0..a.len() {
                            assert_eq!(a.line(r), b.line(r), "part {part}, row {r}");
                            for c in 0..a.headers().len() {
                                assert_eq!(a.cell(r, c), b.cell(r, c), "part {part}, row {r}, column {c}");
                            }
                        }
                    }
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                    (a, b) => panic!("{:?} / {:?}", a.as_ref().map(|t| t.len()), b.map(|t| t.len())),
                }
            }
        }
    }

    #[test]
    fn ragged_row_names_its_line() {
        let err = table_of(b"a,b\n1,2\n3\n").unwrap_err();
        let e = err.downcast_ref::<InputError>().unwrap();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("expected 2 fields"), "{e}");
    }

    #[test]
    fn duplicate_header_is_rejected() {
        let err = table_of(b"a,b,A\n1,2,3\n").unwrap_err();
        let e = err.downcast_ref::<InputError>().unwrap();
        assert_eq!(e.line, Some(1));
        assert_eq!(e.column.as_ref().unwrap().0, 3);
    }

    #[test]
    fn unterminated_quote_is_rejected() {
        let err = table_of(b"a,b\n1,2\n3,\"open\n4,5\n").unwrap_err();
        let e = err.downcast_ref::<InputError>().unwrap();
        assert!(e.message.contains("never closed"), "{e}");
        assert_eq!(e.line, Some(3));
    }

    #[test]
    fn invalid_utf8_names_line_and_field() {
        let err = table_of(b"a,b\n1,2\n3,caf\xe9\n").unwrap_err();
        let e = err.downcast_ref::<InputError>().unwrap();
        assert_eq!(e.line, Some(3));
        assert_eq!(e.column.as_ref().unwrap().0, 2);
    }

    #[test]
    fn empty_file_and_header_only() {
        assert!(table_of(b"").is_err());
        let t = table_of(b"a,b\n").unwrap();
        assert!(t.is_empty());
    }

    #[test]
    fn column_lookup_ignores_case_when_unique() {
        let t = table_of(b"Lead ID,value\nx,1\n").unwrap();
        assert_eq!(t.column("lead id"), Some(0));
        assert_eq!(t.column("Lead ID"), Some(0));
        assert_eq!(t.column("nope"), None);
    }
}
