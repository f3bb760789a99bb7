//! Exact parsing of the scalar forms the input accepts: decimals (never through
//! binary floating point), integers, booleans, dates and date-times.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;

/// Why a scalar text could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ScalarError {
    /// Not of the expected form at all (`abc` for a number, `2026/10/01` for a date).
    Malformed,
    /// A number of the right form that does not fit (too many digits, too large).
    OutOfRange,
    /// A date or time of the right form that does not exist (`2026-02-30`, `25:00:00`).
    Impossible,
}

/// Largest exponent worth trying: beyond it no `Decimal` can hold the value.
const MAX_EXPONENT: u32 = 60;

/// An exact decimal from the text of a JSON number or a numeric string:
/// `-?digits[.digits][e[+-]digits]` (a leading `+` and a leading or trailing `.`
/// are tolerated in strings). Too many digits is an error, never a rounding.
pub(super) fn decimal(s: &str) -> Result<Decimal, ScalarError> {
    if let Some(d) = short_decimal(s.as_bytes()) {
        return Ok(d);
    }
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    if !is_plain_decimal(mantissa) {
        return Err(ScalarError::Malformed);
    }
    let mantissa = mantissa.strip_prefix('+').unwrap_or(mantissa);
    let base = Decimal::from_str_exact(mantissa).map_err(|_| ScalarError::OutOfRange)?;
    let Some(exponent) = exponent else {
        return Ok(base);
    };
    let (negative, digits) = match exponent.as_bytes().first() {
        Some(b'-') => (true, &exponent[1..]),
        Some(b'+') => (false, &exponent[1..]),
        _ => (false, exponent),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ScalarError::Malformed);
    }
    let digits = digits.trim_start_matches('0');
    if digits.len() > 3 {
        return Err(ScalarError::OutOfRange);
    }
    let exp: u32 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| ScalarError::OutOfRange)?
    };
    if exp > MAX_EXPONENT {
        return Err(ScalarError::OutOfRange);
    }
    scale_by_power_of_ten(base, exp, negative)
}

/// The common case read directly: `-?digits[.digits]` with at most 18 digits,
/// the scale kept (`25.00` has scale 2, as `from_str_exact` gives). `None` for
/// anything else, including a negative zero, whose sign rust_decimal keeps.
fn short_decimal(b: &[u8]) -> Option<Decimal> {
    let (negative, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    let (mut mantissa, mut count, mut scale) = (0i64, 0, None);
    for (i, &c) in digits.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                count += 1;
                if count > 18 {
                    return None;
                }
                mantissa = mantissa * 10 + i64::from(c - b'0');
            }
            b'.' if scale.is_none() && i > 0 && i + 1 < digits.len() => {
                scale = Some((digits.len() - i - 1) as u32);
            }
            _ => return None,
        }
    }
    if count == 0 || (negative && mantissa == 0) {
        return None;
    }
    let signed = if negative { -mantissa } else { mantissa };
    // from an i64: at most 18 digits, so the scale is at most 17
    Decimal::try_new(signed, scale.unwrap_or(0)).ok()
}

/// `base × 10^±exp`, exactly.
fn scale_by_power_of_ten(base: Decimal, exp: u32, negative: bool) -> Result<Decimal, ScalarError> {
    let mut value = base;
    if negative {
        let mut scale = value.scale() + exp;
        if scale > Decimal::MAX_SCALE {
            // Trailing zeros of the mantissa may make room (1.000e-28).
            value = value.normalize();
            scale = value.scale() + exp;
        }
        value
            .set_scale(scale)
            .map_err(|_| ScalarError::OutOfRange)?;
        return Ok(value);
    }
    let scale = value.scale();
    if exp <= scale {
        value
            .set_scale(scale - exp)
            .map_err(|_| ScalarError::OutOfRange)?;
        return Ok(value);
    }
    value.set_scale(0).map_err(|_| ScalarError::OutOfRange)?;
    for _ in 0..exp - scale {
        value = value
            .checked_mul(Decimal::TEN)
            .ok_or(ScalarError::OutOfRange)?;
    }
    Ok(value)
}

/// `[+-]?(digits[.digits?] | .digits)`.
fn is_plain_decimal(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) {
        return false;
    }
    match frac {
        None => !int.is_empty(),
        Some(f) => digits(f) && !(int.is_empty() && f.is_empty()),
    }
}

/// A whole number: `[+-]?digits`.
pub(super) fn int(s: &str) -> Result<i64, ScalarError> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ScalarError::Malformed);
    }
    s.parse().map_err(|_| ScalarError::OutOfRange)
}

/// A date: `YYYY-MM-DD`, or one of the date-time forms (the time is checked and dropped).
pub(super) fn date(s: &str) -> Result<NaiveDate, ScalarError> {
    match s.len() {
        10 => ymd(s.as_bytes()),
        19 => datetime(s).map(|t| t.date()),
        _ => Err(ScalarError::Malformed),
    }
}

/// A date-time: `YYYY-MM-DDTHH:MM:SS`, `YYYY-MM-DD HH:MM:SS`, or `YYYY-MM-DD` (midnight).
pub(super) fn datetime(s: &str) -> Result<NaiveDateTime, ScalarError> {
    let b = s.as_bytes();
    match b.len() {
        10 => Ok(ymd(b)?.and_time(NaiveTime::MIN)),
        19 => {
            if b[10] != b'T' && b[10] != b' ' {
                return Err(ScalarError::Malformed);
            }
            // Check the form of both parts before whether they exist.
            let time = &b[11..];
            if time[2] != b':' || time[5] != b':' {
                return Err(ScalarError::Malformed);
            }
            let (h, m, sec) = (
                number(&time[0..2])?,
                number(&time[3..5])?,
                number(&time[6..8])?,
            );
            let date = last_date(&b[..10])?;
            let time = NaiveTime::from_hms_opt(h, m, sec).ok_or(ScalarError::Impossible)?;
            Ok(date.and_time(time))
        }
        _ => Err(ScalarError::Malformed),
    }
}

/// [`ymd`], remembering the last date read on this thread: a visit's lines are
/// mostly of one day, and the calendar check costs more than comparing the text.
fn last_date(b: &[u8]) -> Result<NaiveDate, ScalarError> {
    thread_local! {
        static LAST: std::cell::Cell<Option<([u8; 10], NaiveDate)>> = const { std::cell::Cell::new(None) };
    }
    LAST.with(|last| match last.get() {
        Some((text, date)) if text[..] == *b => Ok(date),
        _ => {
            let date = ymd(b)?;
            if let Ok(text) = <[u8; 10]>::try_from(b) {
                last.set(Some((text, date)));
            }
            Ok(date)
        }
    })
}

/// `YYYY-MM-DD` exactly (10 bytes).
fn ymd(b: &[u8]) -> Result<NaiveDate, ScalarError> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(ScalarError::Malformed);
    }
    let (y, m, d) = (number(&b[0..4])?, number(&b[5..7])?, number(&b[8..10])?);
    NaiveDate::from_ymd_opt(y as i32, m, d).ok_or(ScalarError::Impossible)
}

/// Fixed-width ASCII digits.
fn number(b: &[u8]) -> Result<u32, ScalarError> {
    b.iter().try_fold(0u32, |n, &c| {
        if c.is_ascii_digit() {
            Ok(n * 10 + u32::from(c - b'0'))
        } else {
            Err(ScalarError::Malformed)
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(decimal("25.00").unwrap().to_string(), "25.00");
        assert_eq!(decimal("0.1").unwrap() + decimal("0.2").unwrap(), d("0.3"));
        assert_eq!(decimal("-12.5").unwrap(), d("-12.5"));
        assert_eq!(decimal("+3").unwrap(), d("3"));
        assert_eq!(decimal(".5").unwrap(), d("0.5"));
        assert_eq!(decimal("1e2").unwrap(), d("100"));
        assert_eq!(decimal("1E+2").unwrap(), d("100"));
        assert_eq!(decimal("1.25e1").unwrap(), d("12.5"));
        assert_eq!(decimal("1.5E-2").unwrap(), d("0.015"));
        assert_eq!(
            decimal("1.000e-28").unwrap(),
            d("0.0000000000000000000000000001")
        );
        assert_eq!(decimal("0e0").unwrap(), d("0"));
        // the direct reading takes the usual amounts and leaves the rest
        assert_eq!(short_decimal(b"5600.02"), Some(d("5600.02")));
        assert_eq!(short_decimal(b"-3"), Some(d("-3")));
        for other in ["-0.00", ".5", "1.", "+3", "1e2", "1234567890123456789"] {
            assert_eq!(short_decimal(other.as_bytes()), None, "{other}");
        }
    }

    proptest::proptest! {
        /// The direct reading of short decimals gives what rust_decimal's exact
        /// parser gives, scale and sign included.
        #[test]
        fn short_decimals_read_as_rust_decimal_reads_them(
            s in "-?[0-9]{0,12}(\\.[0-9]{0,8})?|[-+.0-9e]{1,8}"
        ) {
            if let Some(d) = short_decimal(s.as_bytes()) {
                let exact = Decimal::from_str_exact(&s).unwrap();
                proptest::prop_assert_eq!(d, exact);
                proptest::prop_assert_eq!(d.to_string(), exact.to_string());
                proptest::prop_assert_eq!(d.serialize(), exact.serialize());
            }
        }
    }

    #[test]
    fn decimal_errors() {
        for s in [
            "abc", "", "-", ".", "1.2.3", "1_000", "1,5", "0x10", "1e", "e5", "1e+-2", "NaN", " 1",
        ] {
            assert_eq!(decimal(s), Err(ScalarError::Malformed), "{s}");
        }
        for s in [
            "123456789012345678901234567890",
            "0.12345678901234567890123456789",
            "1e30",
            "1e-40",
            "1e99999999999999999999",
        ] {
            assert_eq!(decimal(s), Err(ScalarError::OutOfRange), "{s}");
        }
    }

    #[test]
    fn ints() {
        assert_eq!(int("7"), Ok(7));
        assert_eq!(int("-7"), Ok(-7));
        assert_eq!(int("7.5"), Err(ScalarError::Malformed));
        assert_eq!(int("1e2"), Err(ScalarError::Malformed));
        assert_eq!(int("99999999999999999999"), Err(ScalarError::OutOfRange));
    }

    #[test]
    fn dates_and_times() {
        let day = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        assert_eq!(date("2026-10-01"), Ok(day));
        assert_eq!(date("2026-10-01T08:30:00"), Ok(day));
        assert_eq!(date("2026-10-01 08:30:00"), Ok(day));
        assert_eq!(
            datetime("2026-10-01"),
            Ok(day.and_hms_opt(0, 0, 0).unwrap())
        );
        assert_eq!(
            datetime("2026-10-01 08:30:05"),
            Ok(day.and_hms_opt(8, 30, 5).unwrap())
        );
        assert_eq!(date("2026-02-30"), Err(ScalarError::Impossible));
        assert_eq!(
            date("2024-02-29"),
            Ok(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap())
        );
        assert_eq!(
            datetime("2026-10-01T25:00:00"),
            Err(ScalarError::Impossible)
        );
        for s in [
            "2026/10/01",
            "2026-1-01",
            "20261001",
            "2026-10-01T08:30",
            "2026-10-01X08:30:00",
            "2026-10-01T08-30-00",
            "2026-10-01T08:30:00Z",
            "+026-10-01",
        ] {
            assert_eq!(datetime(s), Err(ScalarError::Malformed), "{s}");
        }
    }

    #[test]
    fn a_day_read_again_is_the_same_day_and_an_impossible_one_stays_an_error() {
        let at = |s: &str| datetime(s).map(|t| t.to_string());
        for _ in 0..2 {
            assert_eq!(at("2026-10-18T01:05:00"), Ok("2026-10-18 01:05:00".into()));
            assert_eq!(at("2026-10-18 23:59:59"), Ok("2026-10-18 23:59:59".into()));
            assert_eq!(at("2026-02-30T00:00:00"), Err(ScalarError::Impossible));
            assert_eq!(at("2026-10-19T00:00:00"), Ok("2026-10-19 00:00:00".into()));
            assert_eq!(at("2026-10-19T24:00:00"), Err(ScalarError::Impossible));
        }
    }
}
