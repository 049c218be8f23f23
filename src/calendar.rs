//! When a rep can work: an IANA time zone, weekly working hours and absences.
//!
//! Instants are whole seconds since the Unix epoch (UTC), [`Secs`]. A rep is **on shift** at
//! an instant when the clock on their wall — the local time in their zone, DST included —
//! shows a weekday and time inside one of their blocks (`Mon-Fri 09:00-17:00`); a block whose
//! end is not after its start runs past midnight into the next day (`Sun-Thu 22:00-06:00`
//! covers Monday 05:00). A rep is **available** when on shift and not away. On a day the
//! clocks skip an hour, a block starting inside the skipped hour starts when the clock jumps
//! past it; on a day they repeat one, the wall clock is read as it is, both times round.
//!
//! [`Calendar::spans`] turns that rule into the available intervals of a window, exactly:
//! the zone's offset is constant between its transitions, so within each such piece local
//! time is the instant plus the offset and a block's local interval maps back by subtracting
//! it. No minute is enumerated; the tests compare it minute by minute with a direct reading
//! of the wall clock through jiff.
//!
//! Time zones come from jiff with its bundled copy of the IANA database (`tzdb-bundle-always`),
//! so the same inputs give the same plan on every machine, whatever its system zoneinfo.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// Seconds since the Unix epoch, UTC.
pub type Secs = i64;

pub const MINUTE: Secs = 60;
pub const HOUR: Secs = 3600;
pub const DAY: Secs = 86_400;

const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const FULL_DAY_NAMES: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// The first whole minute at or after `t`.
pub fn ceil_minute(t: Secs) -> Secs {
    t.div_euclid(MINUTE) * MINUTE + if t.rem_euclid(MINUTE) == 0 { 0 } else { MINUTE }
}

/// The whole minute at or before `t`.
pub fn floor_minute(t: Secs) -> Secs {
    t.div_euclid(MINUTE) * MINUTE
}

/// A time zone by its IANA name (`America/New_York`), or what was expected, with the
/// closest known names when the name is a near miss.
pub fn zone(name: &str) -> Result<TimeZone, String> {
    let name = name.trim();
    if name.eq_ignore_ascii_case("utc") || name == "Etc/UTC" || name == "Z" {
        return Ok(TimeZone::UTC);
    }
    jiff::tz::db().get(name).map_err(|_| {
        let near = closest_zones(name);
        let hint = if near.is_empty() { String::new() } else { format!(" (did you mean {}?)", near.join(" or ")) };
        format!("{name:?} is not a time zone; expected an IANA name like America/New_York or Europe/Berlin{hint}")
    })
}

/// Up to two IANA names within a small edit distance of `name` (ignoring case).
fn closest_zones(name: &str) -> Vec<String> {
    let target = name.to_lowercase();
    let mut scored: Vec<(usize, String)> = jiff::tz::db()
        .available()
        .map(|n| n.as_str().to_string())
        .map(|n| (edit_distance(&target, &n.to_lowercase()), n))
        .filter(|(d, _)| *d <= 3.max(target.len() / 5))
        .collect();
    scored.sort();
    scored.into_iter().take(2).map(|(_, n)| n).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The zone's name as people say it: the city of an IANA name (`New York` for
/// `America/New_York`), else the name.
pub fn zone_label(tz: &TimeZone) -> String {
    match tz.iana_name() {
        Some(n) if n.contains('/') => n.rsplit('/').next().unwrap_or(n).replace('_', " "),
        Some(n) => n.to_string(),
        None => "UTC".into(),
    }
}

/// One block of weekly hours: the days it starts on (bit 0 Monday … bit 6 Sunday) and its
/// local start and end, in minutes of the day; an end not after the start is on the next day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    days: u8,
    start: u16,
    end: u16,
}

impl Block {
    fn overnight(&self) -> bool {
        self.end <= self.start
    }

    fn starts_on(&self, weekday: usize) -> bool {
        self.days & (1 << weekday) != 0
    }
}

/// A rep's weekly working hours; none means always available.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkingHours {
    blocks: Vec<Block>,
}

impl WorkingHours {
    /// Parses `Mon-Fri 09:00-17:00`, several blocks joined by `;` (`Mon-Fri 09:00-12:30;
    /// Mon-Fri 13:30-18:00`), days as ranges or lists (`Mon,Wed,Fri`, `Fri-Mon`, `Sat`,
    /// `daily`, `weekdays`, `weekends`), times from `00:00` to `24:00`; a block whose end is
    /// before its start runs past midnight (`Sun-Thu 22:00-06:00`). Empty: always available.
    pub fn parse(text: &str) -> Result<WorkingHours, String> {
        let mut blocks = Vec::new();
        let parts: Vec<&str> = text.split(';').map(str::trim).collect();
        let many = parts.iter().filter(|p| !p.is_empty()).count() > 1;
        for part in parts.iter().filter(|p| !p.is_empty()) {
            let which = if many { format!("block {part:?}: ") } else { String::new() };
            blocks.push(parse_block(part).map_err(|e| format!("{which}{e}"))?);
        }
        Ok(WorkingHours { blocks })
    }

    pub fn is_always(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Whether a wall clock showing minute `minute` of a day that is weekday `weekday`
    /// (0 Monday) is inside a block: a block started that day, or an overnight block
    /// started the day before that has not ended yet.
    pub fn covers(&self, weekday: usize, minute: u16) -> bool {
        if self.blocks.is_empty() {
            return true;
        }
        let yesterday = (weekday + 6) % 7;
        self.blocks.iter().any(|b| {
            if b.overnight() {
                (b.starts_on(weekday) && minute >= b.start) || (b.starts_on(yesterday) && minute < b.end)
            } else {
                b.starts_on(weekday) && minute >= b.start && minute < b.end
            }
        })
    }

    /// Each block's local interval on the day `day` (days since 1970-01-01) as local
    /// seconds (the civil time read as if it were UTC), when the block starts that day.
    fn local_spans(&self, day: i64, mut each: impl FnMut(Secs, Secs)) {
        let weekday = (day + 3).rem_euclid(7) as usize; // 1970-01-01 was a Thursday
        for b in &self.blocks {
            if b.starts_on(weekday) {
                let start = day * DAY + Secs::from(b.start) * MINUTE;
                let end_day = if b.overnight() { day + 1 } else { day };
                each(start, end_day * DAY + Secs::from(b.end) * MINUTE);
            }
        }
    }
}

impl std::fmt::Display for WorkingHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.blocks.is_empty() {
            return f.write_str("always");
        }
        let shown: Vec<String> = self
            .blocks
            .iter()
            .map(|b| {
                let t = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
                format!("{} {}-{}", day_ranges(b.days), t(b.start), t(b.end))
            })
            .collect();
        f.write_str(&shown.join("; "))
    }
}

/// Days as ranges of consecutive days, wrapping round the week: `Mon-Fri`, `Sun-Thu`,
/// `Mon,Wed,Fri`, `daily`.
fn day_ranges(days: u8) -> String {
    if days & 0x7f == 0x7f {
        return "daily".into();
    }
    let on = |d: usize| days & (1 << (d % 7)) != 0;
    // Start where a run begins after a day off, so a run across Sunday–Monday stays whole.
    let Some(first) = (0..7).find(|&d| on(d) && !on(d + 6)) else { return String::new() };
    let mut runs = Vec::new();
    let mut d = first;
    while d < first + 7 {
        if on(d) {
            let start = d;
            while d + 1 < first + 7 && on(d + 1) {
                d += 1;
            }
            runs.push(match d - start {
                0 => DAY_NAMES[start % 7].to_string(),
                1 => format!("{},{}", DAY_NAMES[start % 7], DAY_NAMES[d % 7]),
                _ => format!("{}-{}", DAY_NAMES[start % 7], DAY_NAMES[d % 7]),
            });
        }
        d += 1;
    }
    runs.join(",")
}

fn parse_block(text: &str) -> Result<Block, String> {
    const EXAMPLE: &str = "expected days and hours like \"Mon-Fri 09:00-17:00\"";
    let (days, hours) = match text.split_once(char::is_whitespace) {
        Some((d, h)) => (d.trim(), h.trim()),
        None if text.contains(':') => {
            return Err(format!("{text:?} has hours but no days; {EXAMPLE}"));
        }
        None => return Err(format!("{text:?} has no hours; {EXAMPLE}")),
    };
    let days = parse_days(days)?;
    let (from, to) = hours
        .split_once('-')
        .ok_or_else(|| format!("{hours:?} is not a span of hours; {EXAMPLE} (start-end, 24-hour clock)"))?;
    let (start, end) = (parse_time(from.trim())?, parse_time(to.trim())?);
    if start == 24 * 60 {
        return Err(format!("{hours:?} starts at 24:00; a block starts at 23:59 at the latest"));
    }
    if start == end {
        return Err(format!("{hours:?} starts and ends at the same time; write 00:00-24:00 for a whole day"));
    }
    Ok(Block { days, start, end })
}

fn parse_days(text: &str) -> Result<u8, String> {
    match text.to_lowercase().as_str() {
        "daily" | "everyday" | "mon-sun" => return Ok(0x7f),
        "weekdays" => return Ok(0x1f),
        "weekends" => return Ok(0x60),
        _ => {}
    }
    let mut days = 0u8;
    for item in text.split(',').map(str::trim) {
        let (a, b) = match item.split_once('-') {
            Some((a, b)) => (day_index(a.trim())?, day_index(b.trim())?),
            None => {
                let d = day_index(item)?;
                (d, d)
            }
        };
        // A range may wrap round the week: Fri-Mon is Friday to Monday.
        let mut d = a;
        loop {
            days |= 1 << d;
            if d == b {
                break;
            }
            d = (d + 1) % 7;
        }
    }
    Ok(days)
}

fn day_index(name: &str) -> Result<usize, String> {
    let n = name.to_lowercase();
    DAY_NAMES
        .iter()
        .position(|d| d.eq_ignore_ascii_case(&n))
        .or_else(|| FULL_DAY_NAMES.iter().position(|d| *d == n))
        .ok_or_else(|| {
            format!("{name:?} is not a day; expected Mon, Tue, Wed, Thu, Fri, Sat or Sun (e.g. Mon-Fri 09:00-17:00)")
        })
}

fn parse_time(text: &str) -> Result<u16, String> {
    let bad = || format!("{text:?} is not a time of day; expected HH:MM from 00:00 to 24:00");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m > 59 || h > 24 || (h == 24 && m > 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// A stretch of time, `[start, end)`.
pub type Span = (Secs, Secs);

/// Where a rep works and when: zone, weekly hours, absences.
#[derive(Debug, Clone)]
pub struct Calendar {
    pub zone: TimeZone,
    pub hours: WorkingHours,
    /// Absences as instants, `[start, end)`, in the order given.
    away: Vec<Span>,
}

impl Calendar {
    pub fn new(zone: TimeZone, hours: WorkingHours) -> Calendar {
        Calendar { zone, hours, away: Vec::new() }
    }

    /// Always available, in UTC.
    pub fn always() -> Calendar {
        Calendar::new(TimeZone::UTC, WorkingHours::default())
    }

    pub fn add_away(&mut self, span: Span) {
        if span.1 > span.0 {
            self.away.push(span);
        }
    }

    pub fn away(&self) -> &[Span] {
        &self.away
    }

    /// Whether the calendar says anything: hours or absences.
    pub fn is_trivial(&self) -> bool {
        self.hours.is_always() && self.away.is_empty()
    }

    /// The instant a local civil date's midnight falls on in this zone (the first instant
    /// of that day on the wall clock).
    pub fn day_start(&self, date: Date) -> Secs {
        self.local_to_instants(local_secs(date.at(0, 0, 0, 0)), local_secs(date.at(0, 0, 0, 0)) + DAY)
            .first()
            .map_or_else(|| local_secs(date.at(0, 0, 0, 0)), |s| s.0)
    }

    /// The instants whose wall-clock time lies in the local interval `[ls, le)` (local
    /// seconds), as sorted disjoint spans.
    pub fn local_to_instants(&self, ls: Secs, le: Secs) -> Vec<Span> {
        let mut out = Vec::new();
        // The pieces of constant offset around the interval; local time never runs more than
        // a day from UTC, so two days either side cover every instant that could map into it.
        for (ps, pe, off) in self.pieces(ls - 2 * DAY, le + 2 * DAY) {
            let (s, e) = ((ps + off).max(ls) - off, (pe + off).min(le) - off);
            if s < e {
                out.push((s, e));
            }
        }
        merge(out)
    }

    /// `[from, to)` cut where the zone's offset changes: (start, end, offset in seconds).
    fn pieces(&self, from: Secs, to: Secs) -> Vec<(Secs, Secs, Secs)> {
        let ts = |s: Secs| Timestamp::from_second(s).unwrap_or(if s < 0 { Timestamp::MIN } else { Timestamp::MAX });
        let mut out = Vec::new();
        let mut at = from;
        let mut off = Secs::from(self.zone.to_offset(ts(from)).seconds());
        for t in self.zone.following(ts(from)) {
            let when = t.timestamp().as_second();
            if when >= to {
                break;
            }
            if when > at {
                out.push((at, when, off));
                at = when;
            }
            off = Secs::from(t.offset().seconds());
        }
        out.push((at, to, off));
        out
    }

    /// The spans of `[from, to)` when the rep is on shift and not away, in whole minutes,
    /// sorted and disjoint.
    pub fn spans(&self, from: Secs, to: Secs) -> Vec<Span> {
        if from >= to {
            return Vec::new();
        }
        let mut on: Vec<Span> = if self.hours.is_always() {
            vec![(from, to)]
        } else {
            let mut v = Vec::new();
            for (ps, pe, off) in self.pieces(from, to) {
                let (ls, le) = (ps + off, pe + off);
                // Blocks starting the day before may run into the piece (overnight).
                for day in ls.div_euclid(DAY) - 1..=le.div_euclid(DAY) {
                    self.hours.local_spans(day, |bs, be| {
                        let (s, e) = (bs.max(ls) - off, be.min(le) - off);
                        if s < e {
                            v.push((s, e));
                        }
                    });
                }
            }
            merge(v)
        };
        if !self.away.is_empty() {
            on = subtract(&on, &merge(self.away.clone()));
        }
        on.into_iter()
            .map(|(s, e)| (ceil_minute(s.max(from)), floor_minute(e.min(to))))
            .filter(|(s, e)| s < e)
            .collect()
    }

    /// The local civil time of an instant, in this zone.
    pub fn local(&self, t: Secs) -> DateTime {
        self.zone.to_datetime(Timestamp::from_second(t).unwrap_or(Timestamp::UNIX_EPOCH))
    }

    /// An absence given by dates or date-times: a date is a whole local day (the end date
    /// included), a date-time with an offset an instant, one without a local time.
    pub fn absence(&self, start: &When, end: &When) -> Span {
        let s = match start {
            When::Date(d) => self.day_start(*d),
            When::Local(dt) => self.local_instant(*dt),
            When::Instant(t) => *t,
        };
        let e = match end {
            When::Date(d) => self.day_start(d.checked_add(1.day()).unwrap_or(*d)),
            When::Local(dt) => self.local_instant(*dt),
            When::Instant(t) => *t,
        };
        (s, e)
    }

    /// The first instant whose wall clock shows `dt` or later (the clock may skip it).
    pub fn local_instant(&self, dt: DateTime) -> Secs {
        let ls = local_secs(dt);
        self.local_to_instants(ls, ls + DAY).first().map_or(ls, |s| s.0)
    }
}

/// Local seconds of a civil date-time: the civil time read as if it were UTC.
pub fn local_secs(dt: DateTime) -> Secs {
    TimeZone::UTC.to_timestamp(dt).map_or(0, Timestamp::as_second)
}

/// A date or time as an absence file writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum When {
    /// A whole local day.
    Date(Date),
    /// A wall-clock time in the rep's zone.
    Local(DateTime),
    /// An instant (the cell had `Z` or an offset).
    Instant(Secs),
}

/// Reads `2026-12-24`, `2026-12-24T13:00` (local) or `2026-12-24T13:00:00+01:00` (an
/// instant); `None` for anything else.
pub fn parse_when(cell: &str) -> Option<When> {
    let t = cell.trim();
    if let Some(ts) = instant(t) {
        return Some(When::Instant(ts));
    }
    if let Ok(d) = t.parse::<Date>()
        && t.len() == 10
    {
        return Some(When::Date(d));
    }
    t.parse::<DateTime>().ok().map(When::Local)
}

/// An ISO 8601 date-time with `Z` or an offset (`2026-11-30T14:00:00Z`,
/// `2026-11-30 09:00-05:00`) as an instant; `None` without an offset.
pub fn instant(cell: &str) -> Option<Secs> {
    let t = cell.trim();
    // jiff reads a date-time with an offset as a timestamp and refuses one without.
    t.parse::<Timestamp>().ok().map(Timestamp::as_second)
}

/// The instant `2026-11-30T14:00:00Z` as written in output files.
pub fn fmt_instant(t: Secs) -> String {
    match Timestamp::from_second(t) {
        Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Err(_) => String::new(),
    }
}

/// The wall-clock time of an instant for a person: `Mon 30 Nov 09:00 New York time`.
pub fn fmt_local(t: Secs, tz: &TimeZone) -> String {
    let dt = tz.to_datetime(Timestamp::from_second(t).unwrap_or(Timestamp::UNIX_EPOCH));
    format!("{} {} time", dt.strftime("%a %-d %b %H:%M"), zone_label(tz))
}

/// A delay in hours for a person: `40 min`, `3.5 h`, `2.1 days`.
pub fn fmt_delay(secs: Secs) -> String {
    let h = secs as f64 / HOUR as f64;
    if secs < HOUR {
        format!("{} min", (secs as f64 / 60.0).round())
    } else if h < 48.0 {
        format!("{:.1} h", h)
    } else {
        format!("{:.1} days", h / 24.0)
    }
}

/// Sorts spans and joins those that overlap or touch.
pub fn merge(mut v: Vec<Span>) -> Vec<Span> {
    v.sort_unstable();
    let mut out: Vec<Span> = Vec::with_capacity(v.len());
    for (s, e) in v {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// `a` without `b` (both sorted and disjoint).
fn subtract(a: &[Span], b: &[Span]) -> Vec<Span> {
    let mut out = Vec::new();
    let mut j = 0;
    for &(mut s, e) in a {
        while j < b.len() && b[j].1 <= s {
            j += 1;
        }
        let mut k = j;
        while k < b.len() && b[k].0 < e {
            if b[k].0 > s {
                out.push((s, b[k].0));
            }
            s = s.max(b[k].1);
            k += 1;
        }
        if s < e {
            out.push((s, e));
        }
    }
    out
}

/// A rep's available spans over a window, for the questions routing asks.
#[derive(Debug, Clone)]
pub struct Availability {
    spans: Vec<Span>,
    /// The window's end: nothing is known beyond it.
    to: Secs,
}

impl Availability {
    pub fn new(cal: &Calendar, from: Secs, to: Secs) -> Availability {
        Availability { spans: cal.spans(from, to), to }
    }

    /// The first whole minute at or after `t` when the rep is available, if there is one
    /// before the window's end.
    pub fn next(&self, t: Secs) -> Option<Secs> {
        let t = ceil_minute(t);
        let i = self.spans.partition_point(|s| s.1 <= t);
        self.spans.get(i).map(|s| s.0.max(t)).filter(|&x| x < self.to)
    }

    /// Whether the rep is available at instant `t`.
    pub fn at(&self, t: Secs) -> bool {
        let i = self.spans.partition_point(|s| s.1 <= t);
        self.spans.get(i).is_some_and(|s| s.0 <= t)
    }

    /// Seconds of `[a, b)` when the rep is available.
    pub fn within(&self, a: Secs, b: Secs) -> Secs {
        let i = self.spans.partition_point(|s| s.1 <= a);
        self.spans[i..].iter().take_while(|s| s.0 < b).map(|s| s.1.min(b) - s.0.max(a)).filter(|&d| d > 0).sum()
    }

    /// When the current absence or time off shift ends: the end of the gap `t` is in.
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Secs {
        instant(s).unwrap_or_else(|| panic!("{s} is not an instant"))
    }

    fn cal(zone_name: &str, hours: &str) -> Calendar {
        Calendar::new(zone(zone_name).unwrap(), WorkingHours::parse(hours).unwrap())
    }

    /// The first available minute at or after `t`, read off the wall clock minute by minute
    /// through jiff (independent of [`Calendar::spans`]).
    fn brute_next(c: &Calendar, t: Secs, limit: Secs) -> Option<Secs> {
        let mut m = ceil_minute(t);
        while m < limit {
            let dt = c.local(m);
            let on = c
                .hours
                .covers(dt.weekday().to_monday_zero_offset() as usize, (dt.hour() as u16) * 60 + dt.minute() as u16);
            let away = c.away().iter().any(|&(s, e)| s <= m && m < e);
            if on && !away {
                return Some(m);
            }
            m += MINUTE;
        }
        None
    }

    #[test]
    fn hours_parse_and_print() {
        let h = WorkingHours::parse("Mon-Fri 09:00-12:30; mon-fri 13:30-18:00").unwrap();
        assert_eq!(h.to_string(), "Mon-Fri 09:00-12:30; Mon-Fri 13:30-18:00");
        assert_eq!(WorkingHours::parse("Sun-Thu 22:00-06:00").unwrap().to_string(), "Sun-Thu 22:00-06:00");
        assert_eq!(WorkingHours::parse("Mon,Wed,Fri 09:00-12:00").unwrap().to_string(), "Mon,Wed,Fri 09:00-12:00");
        assert_eq!(WorkingHours::parse("Sat,Sun 10:00-14:00").unwrap().to_string(), "Sat,Sun 10:00-14:00");
        assert_eq!(WorkingHours::parse("Mon-Sun 10:00-14:00").unwrap().to_string(), "daily 10:00-14:00");
        assert!(h.covers(0, 9 * 60) && !h.covers(0, 12 * 60 + 30) && !h.covers(5, 10 * 60));
        let night = WorkingHours::parse("Sun-Thu 22:00-06:00").unwrap();
        assert!(night.covers(6, 23 * 60), "Sunday 23:00");
        assert!(night.covers(0, 5 * 60), "Monday 05:00, from Sunday's block");
        assert!(!night.covers(6, 5 * 60), "Sunday 05:00: Saturday has no block");
        assert!(night.covers(4, 5 * 60) && !night.covers(4, 22 * 60), "Friday: Thursday's block only");
        assert_eq!(WorkingHours::parse("Fri-Mon 10:00-24:00").unwrap().to_string(), "Fri-Mon 10:00-24:00");
        assert!(WorkingHours::parse("").unwrap().is_always());
        assert_eq!(
            WorkingHours::parse("weekdays 08:00-16:00").unwrap(),
            WorkingHours::parse("Mon-Fri 8:00-16:00").unwrap()
        );
        for (bad, says) in [
            ("Mon-Fry 09:00-17:00", "\"Fry\" is not a day"),
            ("09:00-17:00", "no days"),
            ("Mon-Fri 9-17", "not a time of day"),
            ("Mon-Fri 09:00-25:00", "not a time of day"),
            ("Mon-Fri 09:00 17:00", "not a span"),
            ("Mon-Fri 09:00-09:00", "same time"),
            ("Mon-Fri", "no hours"),
            ("Mon-Fri 09:00-17:00; Sat 10:00-1400", "block \"Sat 10:00-1400\""),
        ] {
            let e = WorkingHours::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn zones_are_iana_names_and_near_misses_are_named() {
        assert!(zone("America/New_York").is_ok());
        assert!(zone("UTC").is_ok());
        let e = zone("America/New_Yrok").unwrap_err();
        assert!(e.contains("did you mean America/New_York"), "{e}");
        let e = zone("Mars/Olympus").unwrap_err();
        assert!(e.contains("not a time zone"), "{e}");
        assert_eq!(zone_label(&zone("America/Sao_Paulo").unwrap()), "Sao Paulo");
    }

    #[test]
    fn known_answers_across_zones_and_dst() {
        // Berlin, Mon-Fri 09:00-17:00. Friday 27 March 2026, 20:00 UTC: next shift is Monday
        // 30 March, after the EU change to summer time (29 March): 09:00 CEST = 07:00 UTC.
        let berlin = cal("Europe/Berlin", "Mon-Fri 09:00-17:00");
        let a = Availability::new(&berlin, ts("2026-03-01T00:00:00Z"), ts("2026-04-15T00:00:00Z"));
        assert_eq!(a.next(ts("2026-03-27T20:00:00Z")), Some(ts("2026-03-30T07:00:00Z")));
        // A week earlier, still winter time: 09:00 CET = 08:00 UTC.
        assert_eq!(a.next(ts("2026-03-20T20:00:00Z")), Some(ts("2026-03-23T08:00:00Z")));
        // New York moved on 8 March: the week of 9 March is five hours from Berlin, not six.
        let ny = cal("America/New_York", "Mon-Fri 09:00-17:00");
        let n = Availability::new(&ny, ts("2026-03-01T00:00:00Z"), ts("2026-04-15T00:00:00Z"));
        assert_eq!(n.next(ts("2026-03-06T23:00:00Z")), Some(ts("2026-03-09T13:00:00Z")), "09:00 EDT");
        assert_eq!(n.next(ts("2026-03-02T00:00:00Z")), Some(ts("2026-03-02T14:00:00Z")), "09:00 EST");
        // On shift: the lead's own minute, rounded up to a whole minute.
        assert_eq!(n.next(ts("2026-03-10T15:00:30Z")), Some(ts("2026-03-10T15:01:00Z")));
        // Singapore night desk, Sun-Thu 22:00-06:00 (no DST): Friday 03:00 local is inside
        // Thursday's block; Friday 07:00 waits for Sunday 22:00.
        let sg = cal("Asia/Singapore", "Sun-Thu 22:00-06:00");
        let s = Availability::new(&sg, ts("2026-11-01T00:00:00Z"), ts("2026-12-15T00:00:00Z"));
        assert_eq!(s.next(ts("2026-11-26T19:00:00Z")), Some(ts("2026-11-26T19:00:00Z")), "Fri 03:00 SGT");
        assert_eq!(s.next(ts("2026-11-26T23:00:00Z")), Some(ts("2026-11-29T14:00:00Z")), "Sun 22:00 SGT");
        // São Paulo has no DST since 2019: 09:00 is always 12:00 UTC.
        let sp = cal("America/Sao_Paulo", "Mon-Fri 09:00-18:00");
        let p = Availability::new(&sp, ts("2026-11-01T00:00:00Z"), ts("2026-12-15T00:00:00Z"));
        assert_eq!(p.next(ts("2026-11-28T12:00:00Z")), Some(ts("2026-11-30T12:00:00Z")));
    }

    #[test]
    fn dst_change_days_read_the_wall_clock() {
        // New York, 8 March 2026: 02:00 EST jumps to 03:00 EDT. A block from 02:30 starts when
        // the clock jumps past it (07:00 UTC); 01:00–01:59 is still EST.
        let c = cal("America/New_York", "daily 02:30-04:00");
        let a = Availability::new(&c, ts("2026-03-07T00:00:00Z"), ts("2026-03-10T00:00:00Z"));
        assert_eq!(a.next(ts("2026-03-08T05:00:00Z")), Some(ts("2026-03-08T07:00:00Z")));
        assert_eq!(a.next(ts("2026-03-08T07:59:00Z")), Some(ts("2026-03-08T07:59:00Z")));
        assert_eq!(a.next(ts("2026-03-08T08:00:00Z")), Some(ts("2026-03-09T06:30:00Z")), "02:30 EDT");
        // 1 November 2026: 02:00 EDT falls back to 01:00 EST, so 01:00–01:59 shows twice.
        // A night shift 22:00-06:00 covers both; a block from 01:30 is on for each 01:30–01:59.
        let night = cal("America/New_York", "Sat 22:00-06:00");
        let a = Availability::new(&night, ts("2026-10-30T00:00:00Z"), ts("2026-11-03T00:00:00Z"));
        assert_eq!(a.within(ts("2026-11-01T02:00:00Z"), ts("2026-11-01T12:00:00Z")), 9 * HOUR, "a nine-hour night");
        let c = cal("America/New_York", "Sun 01:30-03:00");
        let a = Availability::new(&c, ts("2026-10-30T00:00:00Z"), ts("2026-11-03T00:00:00Z"));
        assert_eq!(
            a.spans(),
            &[
                (ts("2026-11-01T05:30:00Z"), ts("2026-11-01T06:00:00Z")),
                (ts("2026-11-01T06:30:00Z"), ts("2026-11-01T08:00:00Z"))
            ]
        );
    }

    #[test]
    fn absences_by_day_are_local_days_and_by_instant_exact() {
        let mut c = cal("Asia/Singapore", "Mon-Fri 09:00-17:00");
        // Away Mon 30 Nov to Tue 1 Dec (whole local days, end included): back Wednesday 09:00.
        let s = c.absence(&When::Date(Date::constant(2026, 11, 30)), &When::Date(Date::constant(2026, 12, 1)));
        assert_eq!(s, (ts("2026-11-29T16:00:00Z"), ts("2026-12-01T16:00:00Z")));
        c.add_away(s);
        let a = Availability::new(&c, ts("2026-11-27T00:00:00Z"), ts("2026-12-10T00:00:00Z"));
        assert_eq!(a.next(ts("2026-11-29T00:00:00Z")), Some(ts("2026-12-02T01:00:00Z")));
        // An absence ending at an instant mid-shift: back at that minute.
        c.add_away((ts("2026-12-02T00:00:00Z"), ts("2026-12-02T03:30:00Z")));
        let a = Availability::new(&c, ts("2026-11-27T00:00:00Z"), ts("2026-12-10T00:00:00Z"));
        assert_eq!(a.next(ts("2026-11-29T00:00:00Z")), Some(ts("2026-12-02T03:30:00Z")));
        assert_eq!(parse_when("2026-12-24"), Some(When::Date(Date::constant(2026, 12, 24))));
        assert_eq!(parse_when("2026-12-24T13:00:00+01:00"), Some(When::Instant(ts("2026-12-24T12:00:00Z"))));
        assert!(matches!(parse_when("2026-12-24 13:00"), Some(When::Local(_))));
        assert_eq!(parse_when("24/12/2026"), None);
    }

    #[test]
    fn spans_match_the_wall_clock_minute_by_minute() {
        // Every zone kind (DST north and south, none, half-hour offsets), day and night
        // blocks, absences: the first available minute from every quarter hour of three
        // weeks that include both the EU and the US autumn change, against a direct reading.
        let zones = ["America/New_York", "Europe/London", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "UTC"];
        let hours = [
            "Mon-Fri 09:00-17:00",
            "Sun-Thu 22:00-06:00",
            "Mon-Fri 08:00-12:30; Mon-Fri 13:30-18:00",
            "Sat,Sun 01:15-02:45",
            "",
        ];
        let (from, to) = (ts("2026-10-20T00:00:00Z"), ts("2026-11-10T00:00:00Z"));
        for z in zones {
            for h in hours {
                let mut c = cal(z, h);
                c.add_away((ts("2026-10-28T13:07:00Z"), ts("2026-10-30T02:00:00Z")));
                let a = Availability::new(&c, from, to);
                let mut t = from;
                while t < ts("2026-11-05T00:00:00Z") {
                    assert_eq!(a.next(t), brute_next(&c, t, to), "{z} {h:?} from {}", fmt_instant(t));
                    t += 15 * MINUTE + 7;
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Random weekly hours (day and overnight blocks), zone, absence and start: the first
        /// available minute is the wall clock's.
        #[test]
        fn next_is_the_wall_clocks_first_available_minute(
            zone_k in 0usize..6,
            blocks in proptest::collection::vec((1u8..128, 0u16..1440, 0u16..1440), 0..3),
            away in (0i64..20 * DAY, 0i64..4 * DAY),
            start in 0i64..21 * DAY,
        ) {
            let zones = ["America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kathmandu", "America/Sao_Paulo", "UTC"];
            let blocks: Vec<Block> = blocks
                .into_iter()
                .filter(|b| b.1 != b.2)
                .map(|(days, a, b)| Block { days, start: a / 15 * 15, end: b / 15 * 15 })
                .filter(|b| b.start != b.end)
                .collect();
            let base = ts("2026-10-15T00:00:00Z");
            let mut c = Calendar::new(zone(zones[zone_k]).unwrap(), WorkingHours { blocks });
            c.add_away((base + away.0, base + away.0 + away.1));
            let (from, to) = (base, base + 30 * DAY);
            let a = Availability::new(&c, from, to);
            let t = base + start;
            proptest::prop_assert_eq!(a.next(t), brute_next(&c, t, to));
        }
    }

    #[test]
    fn within_counts_available_seconds() {
        let c = cal("UTC", "Mon-Fri 09:00-17:00");
        let a = Availability::new(&c, ts("2026-11-27T00:00:00Z"), ts("2026-12-10T00:00:00Z"));
        // Friday 16:00 to Monday 10:00: one hour Friday, one Monday.
        assert_eq!(a.within(ts("2026-11-27T16:00:00Z"), ts("2026-11-30T10:00:00Z")), 2 * HOUR);
        assert!(a.at(ts("2026-11-30T09:00:00Z")) && !a.at(ts("2026-11-30T17:00:00Z")));
        assert_eq!(fmt_instant(ts("2026-11-30T14:00:00+00:00")), "2026-11-30T14:00:00Z");
        assert_eq!(
            fmt_local(ts("2026-11-30T14:00:00Z"), &zone("America/New_York").unwrap()),
            "Mon 30 Nov 09:00 New York time"
        );
    }
}
