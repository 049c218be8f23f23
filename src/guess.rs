//! A starter config guessed from the exports themselves (`leadroute init`): which column is
//! the id, the owner, the outcome (and its won and lost values), the created date and the
//! value; which lookups join on which key; which columns to leave out of the score (ids, and
//! columns filled only on closed deals); which segments reps' records differ on. Each guess
//! is written with the reason for it, as a comment a person can check.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::data::DateReader;
use crate::io::Table;
use crate::parse::{self, DateStyle};

/// Outcome values that mean won / lost (lower case).
const WON: [&str; 11] =
    ["won", "closed won", "closed-won", "closed_won", "win", "yes", "y", "true", "converted", "success", "successful"];
const LOST: [&str; 11] = [
    "lost",
    "closed lost",
    "closed-lost",
    "closed_lost",
    "loss",
    "no",
    "n",
    "false",
    "failed",
    "failure",
    "unsuccessful",
];

/// The exports `init` reads.
pub struct Exports<'a> {
    /// Past deals with outcomes (may also be the leads file, as in a pipeline export).
    pub history: Option<(&'a Path, &'a Table)>,
    pub leads: Option<(&'a Path, &'a Table)>,
    pub reps: Option<(&'a Path, &'a Table)>,
    /// Lookup tables, with the path to write into the config for each.
    pub lookups: Vec<(PathBuf, &'a Table)>,
}

/// One guess: the TOML line(s) and why.
struct Line {
    toml: String,
    why: String,
}

/// The non-empty, trimmed cells of a column.
fn values(t: &Table, c: usize) -> impl Iterator<Item = &str> {
    (0..t.len()).map(move |r| t.cell(r, c).trim()).filter(|v| !v.is_empty())
}

fn distinct(t: &Table, c: usize) -> HashSet<String> {
    values(t, c).map(str::to_lowercase).collect()
}

fn filled(t: &Table, c: usize, rows: &[usize]) -> f64 {
    rows.iter().filter(|&&r| !t.cell(r, c).trim().is_empty()).count() as f64 / rows.len().max(1) as f64
}

fn has_word(header: &str, words: &[&str]) -> bool {
    let h = header.to_lowercase();
    words.iter().any(|w| h.split(|c: char| !c.is_alphanumeric()).any(|part| part == *w) || h == *w)
}

/// The outcome column and its values.
struct OutcomeGuess {
    col: usize,
    won: Vec<String>,
    lost: Vec<String>,
    open: Vec<String>,
}

/// The outcome column and its won / lost / open values: a column whose values include a
/// won-like and a lost-like word (a yes/no or 1/0 column only under an outcome-like name).
fn outcome(t: &Table) -> Option<OutcomeGuess> {
    let named = ["outcome", "stage", "status", "result", "won", "converted", "y", "deal", "is_won", "subscribed"];
    let mut best: Option<(i32, OutcomeGuess)> = None;
    for (c, h) in t.headers().iter().enumerate() {
        let mut seen: Vec<String> = Vec::new();
        for v in values(t, c) {
            if !seen.iter().any(|s| s.eq_ignore_ascii_case(v)) {
                seen.push(v.to_string());
                if seen.len() > 20 {
                    break;
                }
            }
        }
        if seen.len() > 20 || seen.len() < 2 {
            continue;
        }
        let is = |v: &String, words: &[&str]| words.contains(&v.to_lowercase().as_str());
        let won: Vec<String> = seen.iter().filter(|v| is(v, &WON) || v.as_str() == "1").cloned().collect();
        let lost: Vec<String> = seen.iter().filter(|v| is(v, &LOST) || v.as_str() == "0").cloned().collect();
        if won.is_empty() || lost.is_empty() {
            continue;
        }
        let generic = won
            .iter()
            .chain(&lost)
            .all(|v| matches!(v.to_lowercase().as_str(), "yes" | "no" | "1" | "0" | "true" | "false" | "y" | "n"));
        let score = if has_word(h, &named) { 2 } else { 0 } + if generic { 0 } else { 1 };
        if generic && !has_word(h, &named) {
            continue;
        }
        let open: Vec<String> = seen.iter().filter(|v| !won.contains(v) && !lost.contains(v)).cloned().collect();
        if best.as_ref().is_none_or(|b| score > b.0) {
            best = Some((score, OutcomeGuess { col: c, won, lost, open }));
        }
    }
    best.map(|(_, g)| g)
}

/// Columns with a distinct value on every row.
fn unique_columns(t: &Table) -> Vec<usize> {
    (0..t.headers().len())
        .filter(|&c| {
            let n = values(t, c).count();
            n == t.len() && n > 0 && values(t, c).collect::<HashSet<_>>().len() == n
        })
        .collect()
}

/// Writes the starter config for `ex` as commented TOML; the second value lists the guesses
/// in a line each, for the terminal.
pub fn starter_config(ex: &Exports) -> (String, Vec<String>) {
    let (path, main) = match (ex.history, ex.leads) {
        (Some(h), _) => h,
        (None, Some(l)) => l,
        (None, None) => unreachable!("init reads a history or a leads file"),
    };
    let mut columns: Vec<Line> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut exclude: Vec<(String, String)> = Vec::new();
    let headers = main.headers();
    // Joins first: their columns count for the guesses below.
    // Each column's distinct values, once: the owner and the joins are found by overlap.
    let sets: Vec<HashSet<&str>> = (0..headers.len()).map(|c| values(main, c).collect()).collect();
    let joins = joins(main, &sets, &ex.lookups);
    let outcome = outcome(main);
    let (closed, open): (Vec<usize>, Vec<usize>) = match &outcome {
        Some(g) => {
            let is_closed = |r: usize| {
                let v = main.cell(r, g.col).trim();
                g.won.iter().chain(&g.lost).any(|x| x.eq_ignore_ascii_case(v))
            };
            (0..main.len()).partition(|&r| is_closed(r))
        }
        None => ((0..main.len()).collect(), Vec::new()),
    };
    let mut taken: HashSet<usize> = HashSet::new();
    if let Some(OutcomeGuess { col: c, won: w, lost: l, open: o }) = &outcome {
        taken.insert(*c);
        columns.push(Line {
            toml: format!("outcome = {:?}", headers[*c]),
            why: format!(
                "its values include won ({}) and lost ({}){}",
                w.join(", "),
                l.join(", "),
                if o.is_empty() { String::new() } else { format!("; open: {}", o.join(", ")) }
            ),
        });
    } else {
        notes.push("no outcome column found (won/lost, yes/no values): set [columns] outcome by hand".into());
    }
    let unique = unique_columns(main);
    let id = unique
        .iter()
        .copied()
        .find(|&c| {
            has_word(&headers[c], &["id", "lead_id", "opportunity_id", "deal_id", "key"])
                || headers[c].to_lowercase().ends_with("id")
        })
        .or_else(|| unique.iter().copied().find(|&c| parse::number(main.cell(0, c)).is_none()));
    if let Some(c) = id {
        taken.insert(c);
        columns.push(Line { toml: format!("lead_id = {:?}", headers[c]), why: "a distinct value on every row".into() });
    } else {
        notes.push(
            "no id column (a distinct value on every row): assign and score need one; add it to the exports".into(),
        );
    }
    let owner_col = owner(main, &sets, ex.reps, &mut taken).map(|(line, c)| {
        columns.push(line);
        c
    });
    dates(main, &closed, &open, &mut taken, &mut columns, &mut exclude);
    value(main, &ex.lookups, &joins, &closed, &open, &mut taken, &mut columns, &mut exclude);
    leaky_and_ids(main, &closed, &open, &taken, &mut exclude);
    let won: Vec<bool> = match &outcome {
        Some(g) => {
            closed.iter().map(|&r| g.won.iter().any(|x| x.eq_ignore_ascii_case(main.cell(r, g.col).trim()))).collect()
        }
        None => Vec::new(),
    };
    let segments = if won.is_empty() {
        Vec::new()
    } else {
        segments(main, ex, &joins, owner_col, &closed, &won, &taken, &exclude)
    };
    let text = render(path, ex, &columns, &outcome, &joins, &exclude, &segments, &notes);
    let mut summary: Vec<String> = columns.iter().map(|l| format!("{} ({})", l.toml, l.why)).collect();
    summary.extend(joins.iter().map(|j| format!("join {} on {} ({})", j.file.display(), j.key_text(), j.why)));
    if !exclude.is_empty() {
        summary.push(format!("exclude {}", exclude.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>().join(", ")));
    }
    if !segments.is_empty() {
        summary.push(format!("segments {}", segments.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>().join(", ")));
    }
    summary.extend(notes);
    (text, summary)
}

/// The owner column, matched against the reps file's id column when there is one.
fn owner(
    main: &Table,
    sets: &[HashSet<&str>],
    reps: Option<(&Path, &Table)>,
    taken: &mut HashSet<usize>,
) -> Option<(Line, usize)> {
    let headers = main.headers();
    if let Some((rpath, rt)) = reps {
        let mut best: Option<(usize, usize, usize)> = None;
        for rc in unique_columns(rt) {
            // Rep ids are matched as `assign` matches them: exactly, after trimming.
            let ids: HashSet<&str> = values(rt, rc).collect();
            for c in (0..headers.len()).filter(|c| !taken.contains(c)) {
                let vals = &sets[c];
                let shared = vals.intersection(&ids).count();
                if shared * 2 >= vals.len().max(1) && shared > 0 && best.is_none_or(|b| shared > b.2) {
                    best = Some((c, rc, shared));
                }
            }
        }
        let (c, rc, shared) = best?;
        taken.insert(c);
        let (lh, rh) = (&headers[c], &rt.headers()[rc]);
        let toml = if lh == rh { format!("rep_id = {lh:?}") } else { format!("rep_id = [{lh:?}, {rh:?}]") };
        let why = format!("{shared} of its values are the ids in {}'s {rh:?}", rpath.display());
        return Some((Line { toml, why }, c));
    }
    let c = (0..headers.len()).filter(|c| !taken.contains(c)).find(|&c| {
        has_word(&headers[c], &["owner", "rep", "agent", "assigned", "salesperson", "rep_id", "owner_id"])
    })?;
    taken.insert(c);
    Some((Line { toml: format!("rep_id = {:?}", headers[c]), why: "its name says it is the owner".into() }, c))
}

/// created_at (a date filled on open deals too) and closed_at (filled on closed deals only).
fn dates(
    main: &Table,
    closed: &[usize],
    open: &[usize],
    taken: &mut HashSet<usize>,
    columns: &mut Vec<Line>,
    exclude: &mut Vec<(String, String)>,
) {
    let headers = main.headers();
    let cfg = Config::default();
    let mut found: Vec<(usize, DateStyle, f64, f64)> = Vec::new();
    for c in (0..headers.len()).filter(|c| !taken.contains(c)) {
        if values(main, c).next().is_none_or(|v| parse::number(v).is_some()) {
            continue;
        }
        if let Ok(DateReader::Style(style)) = DateReader::detect(main, &cfg, c) {
            found.push((c, style, filled(main, c, closed), filled(main, c, open)));
        }
    }
    let created_words =
        ["created", "engage", "engaged", "open", "opened", "start", "date", "created_at", "createddate"];
    let created = found.iter().filter(|d| open.is_empty() || d.3 >= 0.5 * d.2).max_by_key(|d| {
        (has_word(&headers[d.0], &created_words), (100.0 * (d.2 + d.3)) as i64, std::cmp::Reverse(d.0))
    });
    if let Some(&(c, style, _, _)) = created {
        taken.insert(c);
        columns.push(Line {
            toml: format!("created_at = {:?}", headers[c]),
            why: format!("dates written {style}, on open deals as on closed ones"),
        });
    }
    for &(c, _, on_closed, on_open) in &found {
        if !taken.contains(&c) && !open.is_empty() && on_closed >= 0.9 && on_open <= 0.1 {
            taken.insert(c);
            columns.push(Line {
                toml: format!("closed_at = {:?}", headers[c]),
                why: format!(
                    "a date on {:.0} % of closed deals and {:.0} % of open ones",
                    100.0 * on_closed,
                    100.0 * on_open
                ),
            });
            exclude.push((headers[c].clone(), "known only when the deal closes".into()));
        }
    }
}

/// A lookup joined on a key.
struct Join {
    file: PathBuf,
    left: String,
    right: String,
    /// The lookup's index in the exports, and its key column.
    lookup: usize,
    key_col: usize,
    why: String,
}

impl Join {
    fn key_text(&self) -> String {
        if self.left == self.right { format!("{:?}", self.left) } else { format!("{:?} = {:?}", self.left, self.right) }
    }
}

/// Each lookup's key (a column distinct on every row) and the main file's column whose
/// values are mostly its keys.
fn joins(main: &Table, sets: &[HashSet<&str>], lookups: &[(PathBuf, &Table)]) -> Vec<Join> {
    let mut out = Vec::new();
    for (i, (file, lt)) in lookups.iter().enumerate() {
        let mut best: Option<(usize, usize, usize, usize)> = None;
        for kc in unique_columns(lt) {
            let keys: HashSet<&str> = values(lt, kc).collect();
            for (c, vals) in sets.iter().enumerate() {
                let shared = vals.iter().filter(|v| keys.contains(*v)).count();
                let same_name = main.headers()[c].eq_ignore_ascii_case(&lt.headers()[kc]);
                if shared * 2 >= vals.len().max(1) && shared > 0 {
                    let rank = shared + if same_name { 1_000_000 } else { 0 };
                    if best.is_none_or(|b| rank > b.3) {
                        best = Some((c, kc, shared, rank));
                    }
                }
            }
        }
        if let Some((c, kc, shared, _)) = best {
            let vals = sets[c].len();
            out.push(Join {
                file: file.clone(),
                left: main.headers()[c].clone(),
                right: lt.headers()[kc].clone(),
                lookup: i,
                key_col: kc,
                why: format!("{shared} of the {vals} distinct values of {:?} are its keys", main.headers()[c]),
            });
        }
    }
    out
}

/// The deal value: a money-like numeric column filled on open deals too (in the main file or
/// a joined lookup); one filled on closed deals only is left out instead.
#[allow(clippy::too_many_arguments)]
fn value(
    main: &Table,
    lookups: &[(PathBuf, &Table)],
    joins: &[Join],
    closed: &[usize],
    open: &[usize],
    taken: &mut HashSet<usize>,
    columns: &mut Vec<Line>,
    exclude: &mut Vec<(String, String)>,
) {
    // By preference: a deal's own value before a price list's, a company's revenue last.
    let money = [
        "value",
        "amount",
        "deal_value",
        "deal_size",
        "sales_price",
        "price",
        "acv",
        "arr",
        "mrr",
        "expected_revenue",
        "close_value",
        "revenue",
    ];
    // The money word names the column, not a part of it ("sales_price", not "cons.price.idx").
    let last = |h: &str| h.to_lowercase().rsplit(|c: char| !c.is_alphanumeric()).next().unwrap_or("").to_string();
    let rank = |h: &str| {
        let (whole, tail) = (h.trim().to_lowercase(), last(h));
        money.iter().position(|w| whole == *w || tail == *w)
    };
    let numeric = |t: &Table, c: usize| {
        let mut n = values(t, c).peekable();
        n.peek().is_some() && values(t, c).all(|v| parse::amount(v, false).is_ok())
    };
    let headers = main.headers();
    // (preference, header, why)
    let mut pick: Option<(usize, String, String)> = None;
    let mut money_cols: Vec<(usize, usize)> = (0..headers.len())
        .filter(|c| !taken.contains(c) && numeric(main, *c))
        .filter_map(|c| rank(&headers[c]).map(|k| (k, c)))
        .collect();
    money_cols.sort_unstable();
    for (k, c) in money_cols {
        let (on_closed, on_open) = (filled(main, c, closed), filled(main, c, open));
        if !open.is_empty() && on_closed >= 0.9 && on_open <= 0.1 {
            taken.insert(c);
            exclude.push((headers[c].clone(), "filled on closed deals only (known at close)".into()));
        } else if pick.is_none() {
            taken.insert(c);
            pick = Some((k, headers[c].clone(), "a money column filled on open deals too".into()));
        }
    }
    for j in joins {
        let lt = lookups[j.lookup].1;
        for c in (0..lt.headers().len()).filter(|&c| c != j.key_col && numeric(lt, c)) {
            if let Some(k) = rank(&lt.headers()[c]).filter(|&k| pick.as_ref().is_none_or(|p| k < p.0)) {
                pick = Some((k, lt.headers()[c].clone(), format!("the money column of {} (joined)", j.file.display())));
            }
        }
    }
    let pick = pick.map(|(_, h, why)| (h, why));
    if let Some((h, why)) = pick {
        columns.push(Line { toml: format!("value = {h:?}"), why });
    }
}

/// Columns to leave out of the score: id-like ones (a distinct value on nearly every row),
/// ones filled on closed deals only, and ones whose name says they are known only after the
/// outcome (a call's duration, a close reason).
fn leaky_and_ids(
    main: &Table,
    closed: &[usize],
    open: &[usize],
    taken: &HashSet<usize>,
    exclude: &mut Vec<(String, String)>,
) {
    let after = ["duration", "close", "closed", "closing", "reason", "won", "lost", "loss"];
    for (c, h) in main.headers().iter().enumerate().filter(|(c, _)| !taken.contains(c)) {
        if exclude.iter().any(|(e, _)| e == h) {
            continue;
        }
        let n = values(main, c).count();
        let d = distinct(main, c).len();
        let numeric = values(main, c).all(|v| parse::number(v).is_some());
        if n >= 20 && d as f64 >= 0.95 * n as f64 && !numeric {
            exclude.push((h.clone(), "id-like: a distinct value on nearly every row".into()));
        } else if !open.is_empty() && filled(main, c, closed) >= 0.9 && filled(main, c, open) <= 0.1 {
            exclude.push((h.clone(), "filled on closed deals only (known at close)".into()));
        } else if has_word(h, &after) {
            exclude.push((h.clone(), "its name says it is known only after the outcome; remove it here if not".into()));
        }
    }
}

/// Segments for rep skill: lead columns of 2–20 values (each on at least 1 % of closed deals)
/// on which reps' win rates differ most beyond their own overall rates and the values' (the
/// rep × value interaction, as a z-score), at most three and only those above 2.
#[allow(clippy::too_many_arguments)]
fn segments(
    main: &Table,
    ex: &Exports,
    joins: &[Join],
    owner: Option<usize>,
    closed: &[usize],
    won: &[bool],
    taken: &HashSet<usize>,
    exclude: &[(String, String)],
) -> Vec<(String, f64)> {
    let Some(oc) = owner else { return Vec::new() };
    let mut cands: Vec<(String, Vec<String>)> = main
        .headers()
        .iter()
        .enumerate()
        .filter(|(c, h)| !taken.contains(c) && !exclude.iter().any(|(e, _)| e == *h))
        .map(|(c, h)| (h.clone(), closed.iter().map(|&r| main.cell(r, c).trim().to_lowercase()).collect()))
        .collect();
    // Joined columns, by key.
    for j in joins {
        let lt = ex.lookups[j.lookup].1;
        let lc = main.column(&j.left).expect("the join's key is a main column");
        let index: HashMap<&str, usize> = (0..lt.len()).map(|r| (lt.cell(r, j.key_col).trim(), r)).collect();
        for (c, h) in lt.headers().iter().enumerate().filter(|&(c, _)| c != j.key_col) {
            if main.column(h).is_some() {
                continue;
            }
            let col = closed
                .iter()
                .map(|&r| {
                    index.get(main.cell(r, lc).trim()).map(|&k| lt.cell(k, c).trim().to_lowercase()).unwrap_or_default()
                })
                .collect();
            cands.push((h.clone(), col));
        }
    }
    let rep: Vec<&str> = closed.iter().map(|&r| main.cell(r, oc).trim()).collect();
    let mut scored: Vec<(String, f64)> = cands
        .into_iter()
        .filter_map(|(h, col)| {
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for v in col.iter().filter(|v| !v.is_empty()) {
                *counts.entry(v).or_default() += 1;
            }
            let n = col.iter().filter(|v| !v.is_empty()).count();
            if n * 2 < col.len()
                || !(2..=20).contains(&counts.len())
                || counts.values().any(|&k| k * 100 < n)
                || col.iter().all(|v| parse::number(v).is_some())
                // A yes/no flag describes a lead's quality, not a segment of the market.
                || col.iter().filter(|v| !v.is_empty()).all(|v| parse::boolean(v).is_some())
            {
                return None;
            }
            Some((h, interaction_z(&rep, &col, won)))
        })
        .filter(|(_, z)| *z > 2.0)
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.truncate(3);
    scored
}

/// How much reps' win rates by value differ from what each rep's overall rate and each
/// value's predict: Pearson's X² over the (rep, value) cells of at least 5 deals, as a
/// z-score against its degrees of freedom (0 when nothing can be said).
fn interaction_z(rep: &[&str], col: &[String], won: &[bool]) -> f64 {
    let mut cell: HashMap<(&str, &str), (f64, f64)> = HashMap::new();
    // (deals, wins) per rep and per value.
    let mut by_rep: HashMap<&str, (f64, f64)> = HashMap::new();
    let mut by_val: HashMap<&str, (f64, f64)> = HashMap::new();
    let (mut n, mut w) = (0.0, 0.0);
    for ((r, v), &y) in rep.iter().zip(col).zip(won).filter(|((r, v), _)| !r.is_empty() && !v.is_empty()) {
        let y = f64::from(u8::from(y));
        let e = cell.entry((r, v.as_str())).or_default();
        (e.0, e.1) = (e.0 + 1.0, e.1 + y);
        let e = by_rep.entry(r).or_default();
        (e.0, e.1) = (e.0 + 1.0, e.1 + y);
        let e = by_val.entry(v.as_str()).or_default();
        (e.0, e.1) = (e.0 + 1.0, e.1 + y);
        (n, w) = (n + 1.0, w + y);
    }
    if n == 0.0 || w == 0.0 || w == n {
        return 0.0;
    }
    let rate = w / n;
    let (mut x2, mut cells) = (0.0, 0.0);
    for (&(r, v), &(k, o)) in cell.iter().filter(|(_, c)| c.0 >= 5.0) {
        let (rr, vr) = (by_rep[r].1 / by_rep[r].0, by_val[v].1 / by_val[v].0);
        // No interaction: the rep's and the value's log-odds add up.
        let logit = |q: f64| (q.clamp(0.01, 0.99) / (1.0 - q.clamp(0.01, 0.99))).ln();
        let p = (1.0 / (1.0 + (-(logit(rr) + logit(vr) - logit(rate))).exp())).clamp(0.01, 0.99);
        x2 += (o - k * p).powi(2) / (k * p * (1.0 - p));
        cells += 1.0;
    }
    let df = cells - (by_rep.len() + by_val.len()) as f64 + 1.0;
    if df < 1.0 { 0.0 } else { (x2 - df) / (2.0 * df).sqrt() }
}

#[allow(clippy::too_many_arguments)]
fn render(
    path: &Path,
    ex: &Exports,
    columns: &[Line],
    outcome: &Option<OutcomeGuess>,
    joins: &[Join],
    exclude: &[(String, String)],
    segments: &[(String, f64)],
    notes: &[String],
) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# leadroute config guessed by `leadroute init` from {}", path.display());
    let _ = writeln!(o, "# Every guess says why; check them, then run train / backtest / assign with --config.\n");
    for n in notes {
        let _ = writeln!(o, "# NOTE: {n}");
    }
    let _ = writeln!(o, "[columns]");
    for l in columns {
        let _ = writeln!(o, "{:<40} # {}", l.toml, l.why);
    }
    if let Some(OutcomeGuess { won, lost, open, .. }) = outcome {
        let _ = writeln!(o, "\n[outcome]");
        let _ = writeln!(o, "won = {won:?}");
        let _ = writeln!(o, "lost = {lost:?}");
        if !open.is_empty() {
            let _ = writeln!(o, "# open deals (routed by assign, ignored by train): {}", open.join(", "));
        }
    }
    let _ = writeln!(o, "\n[features]");
    let _ = writeln!(o, "exclude = [");
    for (c, why) in exclude {
        let _ = writeln!(o, "    {:<36} # {why}", format!("{c:?},"));
    }
    let _ = writeln!(o, "]");
    if segments.is_empty() {
        let _ =
            writeln!(o, "# segments = []  # no lead column on which reps' win rates differ beyond chance was found");
    } else {
        let _ = writeln!(o, "# where reps' win rates differ most beyond their own and the value's (z of rep × value):");
        let shown: Vec<String> = segments.iter().map(|(s, v)| format!("{s} {v:.1}")).collect();
        let _ = writeln!(o, "# {}", shown.join(", "));
        let names: Vec<&String> = segments.iter().map(|(s, _)| s).collect();
        let _ = writeln!(o, "segments = {names:?}");
    }
    for j in joins {
        let _ = writeln!(o, "\n[[join]]  # {}", j.why);
        let _ = writeln!(o, "file = {:?}", j.file.display().to_string());
        if j.left == j.right {
            let _ = writeln!(o, "on = {:?}", j.left);
        } else {
            let _ = writeln!(o, "left_on = {:?}\nright_on = {:?}", j.left, j.right);
        }
    }
    if let Some((rpath, rt)) = ex.reps {
        let has_cap = rt.headers().iter().any(|h| has_word(h, &["capacity", "cap", "max_leads", "quota"]));
        if !has_cap {
            let _ = writeln!(o, "\n[reps]");
            let _ = writeln!(
                o,
                "# {} has no capacity column: each batch is shared evenly over the active reps, plus 10 %.",
                rpath.display()
            );
            let _ = writeln!(o, "capacity = \"even\"\nslack = 0.1");
        }
    }
    o
}
