//! Cells to values: the one parser of numbers, booleans and ISO dates, which reading
//! files, binning features and reading flags all use, so that they agree on what a number is.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};

/// A finite decimal number; NaN and infinities are not numbers here.
pub fn number(cell: &str) -> Option<f64> {
    cell.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Why a cell is not an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberError {
    /// Not a number at all.
    NotANumber,
    /// `inf`, `NaN` and the like.
    NotFinite,
    /// A comma where the decimal point is expected (`12,5`): the files use a decimal comma,
    /// which the config must say.
    DecimalComma,
}

impl NumberError {
    /// What is wrong, after "found …", for messages.
    pub fn hint(self) -> &'static str {
        match self {
            NumberError::NotANumber => "",
            NumberError::NotFinite => " (not a finite number)",
            NumberError::DecimalComma => {
                " (a comma as the decimal separator needs [columns] decimal = \",\" in the config)"
            }
        }
    }
}

/// Currency signs an amount may carry before or after it.
const CURRENCY: [char; 12] = ['$', '€', '£', '¥', '₹', '₩', '₽', '₺', '₪', '₫', '¢', '₱'];

/// A number as CRM exports write amounts: `1234.5`, `-3`, `1,234.50`, `$349,938`,
/// `USD 1,200`, `1 200 €`, `(1,234)` (negative), and with `decimal_comma` `1.234,50`.
/// Thousands separators must group by three; `inf` and `NaN` are errors.
pub fn amount(cell: &str, decimal_comma: bool) -> Result<f64, NumberError> {
    let t = cell.trim();
    if !decimal_comma && let Ok(v) = t.parse::<f64>() {
        return if v.is_finite() { Ok(v) } else { Err(NumberError::NotFinite) };
    }
    let (mut s, mut negative) = match t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        Some(inner) => (inner.trim(), true),
        None => (t, false),
    };
    let mut signed = false;
    let mut sign = |s: &mut &str, negative: &mut bool| {
        for (p, neg) in [("-", true), ("−", true), ("+", false)] {
            if let Some(r) = s.strip_prefix(p) {
                if signed {
                    return false;
                }
                (*s, signed) = (r.trim_start(), true);
                *negative ^= neg;
            }
        }
        true
    };
    if !sign(&mut s, &mut negative) {
        return Err(NumberError::NotANumber);
    }
    s = strip_currency(s);
    if !sign(&mut s, &mut negative) {
        return Err(NumberError::NotANumber);
    }
    let (point, groups): (char, &[char]) = if decimal_comma {
        (',', &['.', ' ', '\u{a0}', '\u{202f}', '\''])
    } else {
        ('.', &[',', ' ', '\u{a0}', '\u{202f}', '\''])
    };
    let (int, frac) = match s.split_once(point) {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if let Some(f) = frac
        && (f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(NumberError::NotANumber);
    }
    let mut digits = String::with_capacity(s.len());
    match int.find(groups) {
        None if int.bytes().all(|b| b.is_ascii_digit()) && !(int.is_empty() && frac.is_none()) => digits.push_str(int),
        None => {
            let lower = int.to_ascii_lowercase();
            let finite = !["inf", "infinity", "nan"].contains(&lower.as_str());
            return Err(if finite { NumberError::NotANumber } else { NumberError::NotFinite });
        }
        Some(at) => {
            let sep = int[at..].chars().next().expect("found a separator");
            let parts: Vec<&str> = int.split(sep).collect();
            let grouped = (1..=3).contains(&parts[0].len())
                && parts[1..].iter().all(|p| p.len() == 3)
                && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()));
            if !grouped {
                // `12,5` or `0,75`: a decimal comma, unless the config says so.
                let comma_decimal = !decimal_comma
                    && sep == ','
                    && parts.len() == 2
                    && frac.is_none()
                    && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
                return Err(if comma_decimal { NumberError::DecimalComma } else { NumberError::NotANumber });
            }
            parts.iter().for_each(|p| digits.push_str(p));
        }
    }
    if let Some(f) = frac {
        digits.push('.');
        digits.push_str(f);
    }
    let v: f64 = digits.parse().map_err(|_| NumberError::NotANumber)?;
    Ok(if negative { -v } else { v })
}

/// `s` without a currency sign or a three-letter currency code before or after it.
fn strip_currency(s: &str) -> &str {
    let mut s = s.trim();
    if let Some(r) = s.strip_prefix(CURRENCY) {
        s = r.trim_start();
    } else if let Some(r) = s.strip_suffix(CURRENCY) {
        s = r.trim_end();
    }
    let code = |c: &str| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase());
    if s.len() > 3 && code(&s[..3]) && s.is_char_boundary(3) {
        s = s[3..].trim_start();
    } else if s.len() > 3 && s.is_char_boundary(s.len() - 3) && code(&s[s.len() - 3..]) {
        s = s[..s.len() - 3].trim_end();
    }
    s
}

/// true/false, yes/no, 1/0 (any case); `None` for anything else.
pub fn boolean(cell: &str) -> Option<bool> {
    let t = cell.trim();
    if ["true", "yes", "1"].iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Some(true)
    } else if ["false", "no", "0"].iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Some(false)
    } else {
        None
    }
}

/// An ISO 8601 date (`2024-03-01`) or date-time (`2024-03-01T09:30:00`, a space instead of
/// `T`, optional seconds, fractions and `Z` or offset; offsets are converted to UTC).
pub fn datetime(cell: &str) -> Option<NaiveDateTime> {
    let t = cell.trim();
    if let Some(quick) = parse_iso_quick(t.as_bytes()) {
        return quick;
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.naive_utc());
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(dt);
        }
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"] {
        if let Ok(dt) = DateTime::parse_from_str(t, fmt) {
            return Some(dt.naive_utc());
        }
    }
    None
}

/// The common shapes `YYYY-MM-DD`, `YYYY-MM-DD[T ]HH:MM[:SS]` without fractions or
/// offsets, parsed by hand: `Some(result)` when the shape is one of these, `None` to let
/// chrono handle anything else.
fn parse_iso_quick(b: &[u8]) -> Option<Option<NaiveDateTime>> {
    fn num(b: &[u8]) -> Option<u32> {
        b.iter().try_fold(0u32, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32))
    }
    if !(b.len() == 10 || b.len() == 16 || b.len() == 19) || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (num(&b[0..4])?, num(&b[5..7])?, num(&b[8..10])?);
    let (mut hh, mut mm, mut ss) = (0, 0, 0);
    if b.len() > 10 {
        if !matches!(b[10], b'T' | b' ') || b[13] != b':' {
            return None;
        }
        hh = num(&b[11..13])?;
        mm = num(&b[14..16])?;
        if b.len() == 19 {
            if b[16] != b':' {
                return None;
            }
            ss = num(&b[17..19])?;
        }
    }
    Some(NaiveDate::from_ymd_opt(y as i32, m, d).and_then(|date| date.and_hms_opt(hh, mm, ss)))
}

/// How a column writes its dates, as detected from its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateStyle {
    /// `2024-03-01`, `2024-03-01T09:30:00`, … (see [`datetime`]).
    Iso,
    /// `3/1/2024` (US), with this separator; an optional time follows.
    MonthFirst(char),
    /// `1/3/2024` or `1.3.2024`, with this separator; an optional time follows.
    DayFirst(char),
}

impl DateStyle {
    /// The style as a strftime pattern, for messages and configs.
    pub fn pattern(self) -> String {
        match self {
            DateStyle::Iso => "%Y-%m-%d".into(),
            DateStyle::MonthFirst(s) => format!("%m{s}%d{s}%Y"),
            DateStyle::DayFirst(s) => format!("%d{s}%m{s}%Y"),
        }
    }
}

impl std::fmt::Display for DateStyle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DateStyle::Iso => f.write_str("ISO (2024-03-01)"),
            DateStyle::MonthFirst(s) => write!(f, "month first (3{s}1{s}2024 is March 1)"),
            DateStyle::DayFirst(s) => write!(f, "day first (1{s}3{s}2024 is March 1)"),
        }
    }
}

/// A date in `style`; ISO dates are read in any style.
pub fn date(style: DateStyle, cell: &str) -> Option<NaiveDateTime> {
    let t = cell.trim();
    match style {
        DateStyle::Iso => datetime(t),
        DateStyle::MonthFirst(sep) | DateStyle::DayFirst(sep) => {
            let (a, b, y, time) = match numeric_date(t, sep) {
                Some(parts) => parts,
                None => return datetime(t),
            };
            let (m, d) = if matches!(style, DateStyle::MonthFirst(_)) { (a, b) } else { (b, a) };
            NaiveDate::from_ymd_opt(y, m, d)?.and_time(time?).into()
        }
    }
}

/// `A<sep>B<sep>YYYY` and an optional ` HH:MM[:SS][ AM|PM]`: (A, B, year, time); the time is
/// `None` when it is there but not a time. `None` for another shape.
fn numeric_date(t: &str, sep: char) -> Option<(u32, u32, i32, Option<NaiveTime>)> {
    let (day, time) = match t.split_once([' ', 'T']) {
        Some((d, rest)) => (d, Some(rest.trim())),
        None => (t, None),
    };
    let mut parts = day.split(sep);
    let (a, b, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || a.is_empty() || b.is_empty() || a.len() > 2 || b.len() > 2 || y.len() != 4 {
        return None;
    }
    let num = |s: &str| s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse::<u32>().ok()).flatten();
    let (a, b, y) = (num(a)?, num(b)?, num(y)?);
    let time = match time {
        None => NaiveTime::from_hms_opt(0, 0, 0),
        Some(t) => clock(t),
    };
    Some((a, b, y as i32, time))
}

/// `HH:MM`, `HH:MM:SS`, either with an optional AM/PM.
fn clock(t: &str) -> Option<NaiveTime> {
    let upper = t.to_ascii_uppercase();
    let (body, pm) = match upper.strip_suffix("PM").or_else(|| upper.strip_suffix("P.M.")) {
        Some(b) => (b.trim_end().to_string(), Some(true)),
        None => match upper.strip_suffix("AM").or_else(|| upper.strip_suffix("A.M.")) {
            Some(b) => (b.trim_end().to_string(), Some(false)),
            None => (upper.clone(), None),
        },
    };
    let mut it = body.split(':');
    let h: u32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let s: u32 = match it.next() {
        Some(s) => s.split('.').next()?.parse().ok()?,
        None => 0,
    };
    if it.next().is_some() {
        return None;
    }
    let h = match pm {
        Some(_) if !(1..=12).contains(&h) => return None,
        Some(true) => h % 12 + 12,
        Some(false) => h % 12,
        None => h,
    };
    NaiveTime::from_hms_opt(h, m, s)
}

/// What the cells of one column say about how it writes dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    /// Every non-empty cell is a date in this style.
    Style(DateStyle),
    /// Every cell reads as month first and as day first, differently (no day above 12):
    /// e.g. this cell.
    Ambiguous { sep: char, example: usize },
    /// Some cell has a first part above 12 and another a second part above 12.
    Conflict { day_first: usize, month_first: usize },
    /// This cell is not a date in the column's style (or in any style).
    Unreadable(usize),
    /// No non-empty cell.
    Empty,
}

/// Detects a column's date style from its non-empty cells (as (position, text)): ISO, or
/// `A/B/YYYY`, `A.B.YYYY`, `A-B-YYYY` with month or day first, decided by a part above 12
/// (a `.` separator with neither is taken as day first, as it is written in Europe).
pub fn detect_dates<'a>(cells: impl Iterator<Item = (usize, &'a str)>) -> Detected {
    let mut sep: Option<char> = None;
    let mut iso = 0usize;
    let (mut first_big, mut second_big) = (None, None);
    let mut example = None;
    let mut numeric = 0usize;
    for (pos, cell) in cells {
        let t = cell.trim();
        if t.is_empty() {
            continue;
        }
        if numeric == 0 && datetime(t).is_some() {
            iso += 1;
            continue;
        }
        let s = match sep {
            Some(s) => s,
            None => match t.bytes().find(|b| matches!(b, b'/' | b'.' | b'-')) {
                Some(b) => b as char,
                None => return Detected::Unreadable(pos),
            },
        };
        let Some((a, b, y, time)) = numeric_date(t, s) else { return Detected::Unreadable(pos) };
        if iso > 0 || time.is_none() || a == 0 || b == 0 || a > 31 || b > 31 || (a > 12 && b > 12) || y == 0 {
            return Detected::Unreadable(pos);
        }
        sep = Some(s);
        numeric += 1;
        if a > 12 {
            first_big.get_or_insert(pos);
        }
        if b > 12 {
            second_big.get_or_insert(pos);
        }
        if a != b && a <= 12 && b <= 12 {
            example.get_or_insert(pos);
        }
    }
    let Some(sep) = sep else { return if iso > 0 { Detected::Style(DateStyle::Iso) } else { Detected::Empty } };
    match (first_big, second_big) {
        (Some(d), Some(m)) => Detected::Conflict { day_first: d, month_first: m },
        (Some(_), None) => Detected::Style(DateStyle::DayFirst(sep)),
        (None, Some(_)) => Detected::Style(DateStyle::MonthFirst(sep)),
        (None, None) => match example {
            None => Detected::Style(DateStyle::MonthFirst(sep)),
            Some(_) if sep == '.' => Detected::Style(DateStyle::DayFirst(sep)),
            Some(e) => Detected::Ambiguous { sep, example: e },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_reject_nan_inf_and_words() {
        assert_eq!(number(" 12.5 "), Some(12.5));
        assert_eq!(number("-3"), Some(-3.0));
        // What learning a numeric column and binning it both accept, being this function.
        assert_eq!(number("+5"), Some(5.0));
        assert_eq!(number(".5"), Some(0.5));
        assert_eq!(number("1e3"), Some(1000.0));
        for bad in ["NaN", "inf", "-Infinity", "abc", "1,000", ""] {
            assert_eq!(number(bad), None, "{bad}");
        }
    }

    #[test]
    fn booleans() {
        for (s, v) in [("TRUE", true), ("yes", true), ("1", true), ("No", false), ("0", false), ("false", false)] {
            assert_eq!(boolean(s), Some(v), "{s}");
        }
        assert_eq!(boolean("maybe"), None);
    }

    #[test]
    fn dates_and_datetimes() {
        let d = datetime("2024-03-01").unwrap();
        assert_eq!(d.to_string(), "2024-03-01 00:00:00");
        assert_eq!(datetime("2024-03-01T09:30:00").unwrap().to_string(), "2024-03-01 09:30:00");
        assert_eq!(datetime("2024-03-01 09:30").unwrap().to_string(), "2024-03-01 09:30:00");
        assert_eq!(datetime("2024-03-01T09:30:00Z").unwrap().to_string(), "2024-03-01 09:30:00");
        assert_eq!(datetime("2024-03-01T09:30:00+02:00").unwrap().to_string(), "2024-03-01 07:30:00");
        assert!(datetime("03/01/2024").is_none());
        assert!(datetime("2024-13-01").is_none());
    }

    fn detect(cells: &[&str]) -> Detected {
        detect_dates(cells.iter().copied().enumerate())
    }

    #[test]
    fn date_styles_are_decided_by_a_part_above_12() {
        assert_eq!(detect(&["2024-03-01", "", "2024-03-02T10:00:00"]), Detected::Style(DateStyle::Iso));
        assert_eq!(detect(&["10/20/2016", "3/1/2017"]), Detected::Style(DateStyle::MonthFirst('/')));
        assert_eq!(detect(&["20/10/2016", "3/1/2017"]), Detected::Style(DateStyle::DayFirst('/')));
        assert_eq!(detect(&["1.3.2017", "2.4.2017"]), Detected::Style(DateStyle::DayFirst('.')));
        assert_eq!(detect(&["3/1/2017", "4/2/2017"]), Detected::Ambiguous { sep: '/', example: 0 });
        assert_eq!(detect(&["20/10/2016", "10/20/2016"]), Detected::Conflict { day_first: 0, month_first: 1 });
        assert_eq!(detect(&["10/20/2016", "2016-10-21"]), Detected::Unreadable(1));
        assert_eq!(detect(&["10/20/2016", "soon"]), Detected::Unreadable(1));
        assert_eq!(detect(&["", " "]), Detected::Empty);
    }

    #[test]
    fn dates_in_a_style_with_times() {
        let us = DateStyle::MonthFirst('/');
        assert_eq!(date(us, "10/20/2016").unwrap().to_string(), "2016-10-20 00:00:00");
        assert_eq!(date(us, "3/1/2017 2:05 PM").unwrap().to_string(), "2017-03-01 14:05:00");
        assert_eq!(date(us, "3/1/2017 12:30 am").unwrap().to_string(), "2017-03-01 00:30:00");
        assert_eq!(date(us, "3/1/2017 09:30:15").unwrap().to_string(), "2017-03-01 09:30:15");
        assert_eq!(date(DateStyle::DayFirst('.'), "1.3.2017").unwrap().to_string(), "2017-03-01 00:00:00");
        assert!(date(us, "2/30/2017").is_none());
        assert!(date(us, "13/1/2017").is_none());
        assert!(date(us, "3/1/2017 25:00").is_none());
        // ISO is read in any style.
        assert_eq!(date(us, "2017-03-01").unwrap().to_string(), "2017-03-01 00:00:00");
    }

    #[test]
    fn amounts_as_crm_exports_write_them() {
        let a = |s: &str| amount(s, false);
        assert_eq!(a("349938"), Ok(349938.0));
        assert_eq!(a("$349,938"), Ok(349938.0));
        assert_eq!(a("$ 1,234.50"), Ok(1234.5));
        assert_eq!(a("-$5"), Ok(-5.0));
        assert_eq!(a("$-5"), Ok(-5.0));
        assert_eq!(a("(1,234)"), Ok(-1234.0));
        assert_eq!(a("USD 1,200"), Ok(1200.0));
        assert_eq!(a("1 200 €"), Ok(1200.0));
        assert_eq!(a("1'000'000"), Ok(1e6));
        assert_eq!(a(".5"), Ok(0.5));
        assert_eq!(a("inf"), Err(NumberError::NotFinite));
        assert_eq!(a("NaN"), Err(NumberError::NotFinite));
        assert_eq!(a("-Infinity"), Err(NumberError::NotFinite));
        assert_eq!(a("12,5"), Err(NumberError::DecimalComma));
        assert_eq!(a("1,2345"), Err(NumberError::DecimalComma));
        for bad in ["abc", "1,23,4", "$", "", "--5", "12 apples", "1.2.3", "(5"] {
            assert_eq!(a(bad), Err(NumberError::NotANumber), "{bad}");
        }
        let c = |s: &str| amount(s, true);
        assert_eq!(c("1.234,50 €"), Ok(1234.5));
        assert_eq!(c("12,5"), Ok(12.5));
        assert_eq!(c("1234"), Ok(1234.0));
        assert_eq!(c("1.234"), Ok(1234.0));
        assert_eq!(c("1,2,3"), Err(NumberError::NotANumber));
    }
}
