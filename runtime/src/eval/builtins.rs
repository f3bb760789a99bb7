//! Built-in functions of the language: codes, dates, rounding, min/max, lengths.
//! Faults come back as message-only [`Text`]s; the caller attaches the span.

use super::internal;
use super::ops::{self, decimal_overflow, division_by_zero};
use crate::value::Value;
use chrono::{Datelike, NaiveDate, TimeDelta};
use heng_compiler::diagnostic::Text;
use heng_compiler::ir::Builtin;
use heng_compiler::text;
use rust_decimal::{Decimal, RoundingStrategy};

/// `add_days` on a Date or a DateTime.
fn add_days(when: &Value, n: i64) -> Result<Value, Text> {
    let delta = TimeDelta::try_days(n);
    let moved = match when {
        Value::Date(d) => delta.and_then(|t| d.checked_add_signed(t)).map(Value::Date),
        Value::DateTime(t) => delta
            .and_then(|d| t.checked_add_signed(d))
            .map(Value::DateTime),
        _ => return Err(internal("add_days of a non-date")),
    };
    moved.ok_or_else(|| {
        let shown = match when {
            Value::Date(d) => d.to_string(),
            Value::DateTime(t) => t.to_string(),
            _ => String::new(),
        };
        text!(
            "日期超出范围:{} 加 {} 天",
            "date out of range: {} plus {} days",
            shown,
            n
        )
    })
}

/// Applies a builtin to its evaluated arguments.
pub(crate) fn call(op: Builtin, args: &[Value]) -> Result<Value, Text> {
    match (op, args) {
        (Builtin::StartsWith, [Value::Text(s), Value::Text(p)]) => {
            Ok(Value::Bool(s.starts_with(&**p)))
        }
        (Builtin::MatchesAny, [Value::Text(code), Value::Prefixes(ps)]) => {
            Ok(Value::Bool(matches_any(code, ps.iter().map(|p| &**p))))
        }
        (Builtin::InCodeRange, [Value::Text(code), Value::Text(lo), Value::Text(hi)]) => {
            Ok(Value::Bool(in_code_range(code, lo, hi)))
        }
        (Builtin::DateOf, [Value::DateTime(dt)]) => Ok(Value::Date(dt.date())),
        (Builtin::DateOf, [Value::Date(d)]) => Ok(Value::Date(*d)),
        (Builtin::YearsBetween, [Value::Date(a), Value::Date(b)]) => {
            Ok(Value::Int(years_between(*a, *b)))
        }
        (Builtin::DaysBetween, [Value::Date(a), Value::Date(b)]) => {
            Ok(Value::Int(b.signed_duration_since(*a).num_days()))
        }
        (Builtin::AddDays, [when, Value::Int(n)]) => add_days(when, *n),
        (Builtin::Round, [x, step]) => match (x.as_decimal(), step.as_decimal()) {
            (Some(x), Some(step)) => round(x, step).map(Value::Decimal),
            _ => Err(internal("round of non-numbers")),
        },
        (Builtin::Min | Builtin::Max, [a, b]) => {
            let ord = ops::compare(a, b)?;
            let pick_b = if op == Builtin::Min {
                ord.is_gt()
            } else {
                ord.is_lt()
            };
            let v = if pick_b { b } else { a };
            // Mixed Int/Decimal gives a Decimal.
            Ok(match (a, b, v) {
                (Value::Int(_), Value::Decimal(_), Value::Int(i))
                | (Value::Decimal(_), Value::Int(_), Value::Int(i)) => {
                    Value::Decimal(Decimal::from(*i))
                }
                _ => v.clone(),
            })
        }
        (Builtin::Len, [Value::List(l)]) => Ok(Value::Int(l.len() as i64)),
        (Builtin::MonthOf, [Value::DateTime(dt)]) => Ok(month_of(dt.date())),
        (Builtin::MonthOf, [Value::Date(d)]) => Ok(month_of(*d)),
        (Builtin::Left, [Value::Text(s), Value::Int(n)]) => {
            let n = usize::try_from(*n).unwrap_or(0);
            let end = s.char_indices().nth(n).map_or(s.len(), |(i, _)| i);
            Ok(Value::text(&s[..end]))
        }
        (Builtin::WeekStart, [Value::Date(d)]) => d
            .checked_sub_days(chrono::Days::new(d.weekday().num_days_from_monday().into()))
            .map(Value::Date)
            .ok_or_else(|| text!("日期超出范围:{}", "date out of range: {}", d)),
        (Builtin::MonthStart, [Value::Date(d)]) => Ok(Value::Date(d.with_day(1).unwrap_or(*d))),
        (Builtin::YearStart, [Value::Date(d)]) => Ok(Value::Date(d.with_ordinal(1).unwrap_or(*d))),
        _ => Err(internal("builtin applied to arguments of the wrong types")),
    }
}

/// Whether the code starts with one of the prefixes. Empty prefixes (from a stray
/// `;` in a table cell) match nothing.
pub(super) fn matches_any<'p>(code: &str, prefixes: impl IntoIterator<Item = &'p str>) -> bool {
    prefixes
        .into_iter()
        .any(|p| !p.is_empty() && code.starts_with(p))
}

/// The anniversary of `birth` in `year`: 29 Feb falls on 28 Feb in other years.
fn anniversary(birth: NaiveDate, year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, birth.month(), birth.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, birth.month(), birth.day() - 1))
}

/// Whole years from `from` to `to`: the number of anniversaries of `from` reached on
/// or before `to` (a birthday counts on its date; 29 Feb counts on 28 Feb in other
/// years). Negative, by the same rule in reverse, when `to` is earlier.
pub fn years_between(from: NaiveDate, to: NaiveDate) -> i64 {
    if to < from {
        return -years_between(to, from);
    }
    let mut years = i64::from(to.year()) - i64::from(from.year());
    // `anniversary` is only `None` outside chrono's year range; then `to` is the limit.
    if anniversary(from, to.year()).is_none_or(|a| a > to) {
        years -= 1;
    }
    years
}

/// Rounds `x` half-up (away from zero at the midpoint) to a multiple of `step`.
pub(crate) fn round(x: Decimal, step: Decimal) -> Result<Decimal, Text> {
    let step = step.abs();
    if step.is_zero() {
        return Err(division_by_zero());
    }
    if step.mantissa() == 1 {
        // a power of ten (0.01, 1): the digits rounded where they are, no division
        if let Some(r) = round_digits(x, step.scale()) {
            return Ok(r);
        }
        let mut r = x.round_dp_with_strategy(step.scale(), RoundingStrategy::MidpointAwayFromZero);
        if r.is_zero() {
            r.set_sign_positive(true);
        }
        r.rescale(step.scale());
        return Ok(r);
    }
    round_by_division(x, step)
}

/// [`round`] to `dp` decimal places of a number with as many (it stays, a zero
/// unsigned) or with 1 to 18 more whose digits fit in an `i64` (money, mostly),
/// in integers; `None` otherwise.
fn round_digits(x: Decimal, dp: u32) -> Option<Decimal> {
    if x.scale() == dp {
        let mut r = x;
        if r.is_zero() {
            r.set_sign_positive(true);
        }
        return Some(r);
    }
    let k = x.scale().checked_sub(dp).filter(|k| (1..=18).contains(k))?;
    let m = i64::try_from(x.mantissa()).ok()?;
    Some(Decimal::new(drop_digits(m, k), dp))
}

/// The mantissa `m` without its last `k` digits (1 to 18), rounded half up:
/// away from zero from the midpoint on.
#[inline]
pub(crate) fn drop_digits(m: i64, k: u32) -> i64 {
    let p = 10i64.pow(k);
    let (q, r) = (m / p, m % p);
    if 2 * r.unsigned_abs() >= p as u64 {
        q + m.signum()
    } else {
        q
    }
}

/// [`round`] to any step (positive, not zero): the nearest number of steps.
fn round_by_division(x: Decimal, step: Decimal) -> Result<Decimal, Text> {
    let units = x
        .checked_div(step)
        .ok_or_else(decimal_overflow)?
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    let mut r = units.checked_mul(step).ok_or_else(decimal_overflow)?;
    if r.is_zero() {
        // rust_decimal drops the scale of a zero product; -0.001 rounds to 0.00.
        r.set_sign_positive(true);
        r.rescale(step.scale());
    }
    Ok(r)
}

fn month_of(d: NaiveDate) -> Value {
    with_month_text(d, Value::text)
}

/// Calls `f` with `month(d)`'s text, `YYYY-MM` (a year outside 0–9999 written
/// as `{:04}` writes it), formatted without allocating in the common case.
pub(crate) fn with_month_text<R>(d: NaiveDate, f: impl FnOnce(&str) -> R) -> R {
    let (y, m) = (d.year(), d.month());
    match u32::try_from(y).ok().filter(|y| *y <= 9999) {
        Some(y) => {
            let digit = |n: u32| b'0' + (n % 10) as u8;
            let text = [
                digit(y / 1000),
                digit(y / 100),
                digit(y / 10),
                digit(y),
                b'-',
                digit(m / 10),
                digit(m),
            ];
            f(std::str::from_utf8(&text).unwrap_or_default())
        }
        None => f(&format!("{y:04}-{m:02}")),
    }
}

/// Whether the code's leading characters fall within `lo..hi` (inclusive), each
/// bound compared with as many leading characters of the code as it has.
pub(crate) fn in_code_range(code: &str, lo: &str, hi: &str) -> bool {
    let head = |n: usize| code.char_indices().nth(n).map_or(code, |(i, _)| &code[..i]);
    head(lo.chars().count()) >= lo && head(hi.chars().count()) <= hi
}

#[cfg(test)]
mod round_tests {
    use super::*;

    #[test]
    fn rounding_to_a_power_of_ten_is_half_up_with_an_unsigned_zero() {
        for (x, step, rounded) in [
            ("2.345", "0.01", "2.35"),
            ("-2.345", "0.01", "-2.35"),
            ("2.3449", "0.01", "2.34"),
            ("-0.005", "0.01", "-0.01"),
            ("-0.004", "0.01", "0.00"),
            ("-0.00", "0.01", "0.00"),
            ("0", "0.01", "0.00"),
            ("7.10", "0.01", "7.10"),
            ("7.1", "0.01", "7.10"),
            ("1.5", "1", "2"),
            ("-1.5", "1", "-2"),
            ("0.0000000000000000005", "0.01", "0.00"),
        ] {
            let d = |t: &str| t.parse::<Decimal>().expect("a decimal");
            let r = round(d(x), d(step)).map(|r| r.to_string());
            assert_eq!(r.as_deref(), Ok(rounded), "round({x}, {step})");
        }
    }

    proptest::proptest! {
        /// Rounding to a power of ten without dividing gives the very decimal
        /// (digits, scale and sign) that dividing gives.
        #[test]
        fn a_power_of_ten_step_rounds_as_the_division_does(
            mantissa in proptest::num::i64::ANY,
            scale in 0u32..12,
            step_scale in 0u32..6,
        ) {
            let x = Decimal::new(mantissa, scale);
            let step = Decimal::new(1, step_scale);
            let fast = round(x, step).map(|r| r.to_string()).map_err(|t| t.en);
            let slow = round_by_division(x, step).map(|r| r.to_string()).map_err(|t| t.en);
            proptest::prop_assert_eq!(fast, slow);
        }
    }
}

#[cfg(test)]
mod month_tests {
    use super::*;

    #[test]
    fn month_text_is_the_year_and_month_as_format_writes_them() {
        let text = |d: NaiveDate| with_month_text(d, str::to_string);
        for (y, m) in [
            (2026, 3),
            (2026, 12),
            (1, 1),
            (999, 7),
            (9999, 12),
            (10000, 1),
            (-1, 5),
        ] {
            let d = NaiveDate::from_ymd_opt(y, m, 28).expect("a date");
            assert_eq!(text(d), format!("{y:04}-{m:02}"));
        }
        assert_eq!(
            text(NaiveDate::from_ymd_opt(2026, 3, 1).expect("a date")),
            "2026-03"
        );
    }
}

#[cfg(test)]
mod range_tests {
    use super::in_code_range;

    #[test]
    fn icd_chapter_ranges() {
        assert!(in_code_range("C34.900", "C00", "C97"));
        assert!(in_code_range("C00", "C00", "C97"));
        assert!(in_code_range("C97.x01", "C00", "C97"));
        assert!(!in_code_range("C98.000", "C00", "C97"));
        assert!(!in_code_range("B99", "C00", "C97"));
        assert!(!in_code_range("D00.1", "C00", "C97"));
        assert!(!in_code_range("C", "C00", "C97"));
    }
}
