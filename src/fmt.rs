//! Numbers for people and for output files: the one place they are formatted. A leaf:
//! it uses nothing else in the crate.

use std::fmt::Write as _;

/// A number without a trailing `.0` when it is whole, else with two decimals.
pub fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x:.2}") }
}

/// A probability as written in outputs: four decimals.
pub fn fmt_p(p: f64) -> String {
    let mut s = String::with_capacity(8);
    push_fixed(&mut s, p, 4, false);
    s
}

/// A probability in a sentence: two decimals (`0.31`), or two significant digits when that
/// would show a non-zero chance as `0.00` (`0.0033`: a lead three days old).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pw(pub f64);

impl std::fmt::Display for Pw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = self.0;
        if p > 0.0 && p < 0.005 {
            let digits = (1 - p.log10().floor() as i32).clamp(3, 12) as usize;
            write!(f, "{p:.digits$}")
        } else {
            write!(f, "{p:.2}")
        }
    }
}

/// Appends `x` with `decimals` digits after the point (at most 6), a `+` before a
/// non-negative number with `plus`: exactly what `format!("{x:.4}")` (or `{x:+.2}`) writes,
/// without its exact-decimal machinery in the common case, which millions of cells pay
/// for. Near a rounding tie, or for large or odd values, it defers to `format!`.
pub fn push_fixed(out: &mut String, x: f64, decimals: u32, plus: bool) {
    let scale = 10f64.powi(decimals as i32);
    let scaled = x.abs() * scale;
    let frac = scaled - scaled.floor();
    if decimals > 6 || !scaled.is_finite() || scaled >= 1e12 || (frac - 0.5).abs() < 1e-6 || x == 0.0 {
        let _ = match (plus, decimals) {
            (true, d) => write!(out, "{x:+.d$}", d = d as usize),
            (false, d) => write!(out, "{x:.d$}", d = d as usize),
        };
        return;
    }
    let units = scaled.round() as u64;
    let (whole, part) = (units / scale as u64, units % scale as u64);
    if x < 0.0 {
        out.push('-');
    } else if plus {
        out.push('+');
    }
    let _ = write!(out, "{whole}.{part:0width$}", width = decimals as usize);
}

/// An integer with separators between thousands: 1,000,000.
pub fn thousands(n: usize) -> String {
    grouped(n as f64, 0)
}

/// A number for people: thousands separated, `decimals` decimals, no "-0".
pub fn grouped(x: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::with_capacity(s.len() + int.len() / 3 + 1);
    for (k, ch) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    if x < 0.0 && x.abs() >= 0.5 * 10f64.powi(-(decimals as i32)) { format!("-{out}") } else { out }
}

/// A share as a percentage with one decimal: `12.5 %`.
pub fn pct(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

/// A change as a signed percentage with one decimal: `+12.5 %`.
pub fn signed_pct(x: f64) -> String {
    format!("{:+.1} %", 100.0 * x)
}

/// An amount for people at a precision its size deserves: thousands separated and whole
/// from 100 up, one decimal from 1, two significant digits below (`2,410`, `35.2`, `0.043`).
pub fn amount(x: f64) -> String {
    let a = x.abs();
    if a >= 100.0 || a == 0.0 {
        grouped(x, 0)
    } else if a >= 1.0 {
        grouped(x, 1)
    } else {
        let decimals = (1.0 - a.log10().floor()).clamp(2.0, 6.0) as usize;
        grouped(x, decimals)
    }
}

/// The distance between a plan and the bound on the best possible plan, in words: "at
/// most 0.12 % below the best possible plan". The percentage is rounded up, so the words
/// never claim more than the bound proves.
pub fn gap_words(gap_pct: f64) -> String {
    if gap_pct <= 0.0 {
        return "as good as the best possible plan (its value meets the bound)".to_string();
    }
    if gap_pct < 0.01 {
        return "less than 0.01 % below the best possible plan".to_string();
    }
    let up = (gap_pct * 100.0).ceil() / 100.0;
    format!("at most {up:.2} % below the best possible plan")
}

/// A log-odds effect as an odds ratio in words: `+0.30` → "1.35× the odds".
pub fn odds_words(effect: f64) -> String {
    format!("{:.2}× the odds", effect.exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_numbers_are_written_as_format_writes_them() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut values: Vec<f64> =
            vec![0.0, -0.0, 0.005, -0.005, 0.125, 0.00005, 0.99995, 1.0, 2.5e-5, -1e-9, 1e13, f64::NAN];
        values.extend((0..20_000).map(|_| rng.random_range(-3.0..3.0)));
        values.extend((0..20_000).map(|_| rng.random::<f64>()));
        // Values on and next to ties of the last digit.
        values.extend((0..2_000).map(|k| k as f64 / 20_000.0 + 0.00005));
        values.extend((0..2_000).map(|k| (k as f64 + 0.5) / 100.0));
        for &x in &values {
            let mut s = String::new();
            push_fixed(&mut s, x, 4, false);
            assert_eq!(s, format!("{x:.4}"), "{x:e}");
            let mut s = String::new();
            push_fixed(&mut s, x, 2, true);
            assert_eq!(s, format!("{x:+.2}"), "{x:e}");
        }
    }

    #[test]
    fn thousands_are_separated_and_small_negatives_lose_their_sign() {
        for (n, s) in [(0, "0"), (999, "999"), (1000, "1,000"), (2_873_331, "2,873,331"), (1_000_000, "1,000,000")] {
            assert_eq!(thousands(n), s);
        }
        assert_eq!(grouped(-1234.56, 1), "-1,234.6");
        assert_eq!(grouped(-0.04, 1), "0.0");
        assert_eq!(grouped(12_345.0, 0), "12,345");
    }

    #[test]
    fn numbers_drop_a_whole_number_s_point() {
        assert_eq!(fmt_num(22.0), "22");
        assert_eq!(fmt_num(2.5), "2.50");
        assert_eq!(fmt_num(-3.0), "-3");
        assert_eq!(pct(0.125), "12.5 %");
        assert_eq!(signed_pct(0.125), "+12.5 %");
        assert_eq!(signed_pct(-0.02), "-2.0 %");
    }

    #[test]
    fn amounts_gaps_and_odds_read_as_words() {
        assert_eq!(amount(2410.4), "2,410");
        assert_eq!(amount(35.24), "35.2");
        assert_eq!(amount(0.04321), "0.043");
        assert_eq!(amount(0.5), "0.50");
        assert_eq!(amount(0.0), "0");
        assert_eq!(gap_words(0.0), "as good as the best possible plan (its value meets the bound)");
        assert_eq!(gap_words(0.004), "less than 0.01 % below the best possible plan");
        assert_eq!(gap_words(0.1201), "at most 0.13 % below the best possible plan");
        assert_eq!(odds_words(0.3), "1.35× the odds");
        assert_eq!(odds_words(-0.3), "0.74× the odds");
    }
}
