//! Cells to values: the one parser of numbers, booleans and ISO dates, which reading
//! files, binning features and reading flags all use, so that they agree on what a number is.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// A finite decimal number; NaN and infinities are not numbers here.
pub fn number(cell: &str) -> Option<f64> {
    cell.trim().parse::<f64>().ok().filter(|v| v.is_finite())
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
}
