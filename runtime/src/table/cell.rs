//! One CSV cell of a knowledge-base table as a typed value: the column's kind,
//! the cell syntax of each type (stdlib.md, "Knowledge-base tables"), and what is
//! wrong with a cell that does not parse (the loader words the diagnostic).

use super::FxBuild;
use crate::value::Value;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use heng_compiler::ir::EnumDecl;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Arc;

/// Columns with more distinct values than this stop being interned (names, keys …).
const INTERN_LIMIT: usize = 4096;

/// What is wrong with one cell.
#[derive(Clone, Copy, Debug)]
pub(super) enum Problem {
    Empty,
    NotInt,
    NotDecimal,
    NotBool,
    NotDate,
    NotDateTime,
    BadEnum,
    NotUtf8,
}

/// How a column's cells are read.
#[derive(Clone, Copy)]
pub(super) enum Kind<'a> {
    Text,
    Int,
    Decimal,
    Bool,
    Date,
    DateTime,
    Enum(&'a EnumDecl),
    Prefixes,
    /// A type that cannot come from a CSV cell (reported once at the header).
    Unsupported,
}

/// One declared column and where it sits in the CSV.
pub(super) struct Column<'a> {
    pub(super) name: &'a str,
    pub(super) kind: Kind<'a>,
    /// Empty cells are errors (the key column is always required).
    pub(super) required: bool,
    /// Index of the CSV field, `None` when the header lacks this (optional) column.
    pub(super) source: Option<usize>,
    /// Shares the `Arc`s of repeated Text/Code/Prefixes cells.
    pub(super) interner: Option<HashMap<Box<str>, Value, FxBuild>>,
}

impl Column<'_> {
    #[inline]
    pub(super) fn parse(&mut self, s: &str) -> Result<Value, Problem> {
        if s.is_empty() {
            return if self.required {
                Err(Problem::Empty)
            } else {
                Ok(Value::Absent)
            };
        }
        match self.kind {
            Kind::Text => Ok(self.intern(s, |s| Value::Text(s.into()))),
            Kind::Int => s.parse().map(Value::Int).map_err(|_| Problem::NotInt),
            Kind::Decimal => parse_decimal(s)
                .map(Value::Decimal)
                .ok_or(Problem::NotDecimal),
            Kind::Bool => parse_bool(s).map(Value::Bool).ok_or(Problem::NotBool),
            Kind::Date => parse_date(s).map(Value::Date).ok_or(Problem::NotDate),
            Kind::DateTime => parse_datetime(s)
                .map(Value::DateTime)
                .ok_or(Problem::NotDateTime),
            Kind::Enum(e) => e
                .variants
                .iter()
                .position(|v| v.name == s || v.label == s)
                .map(|i| Value::Enum(i as u32))
                .ok_or(Problem::BadEnum),
            Kind::Prefixes => {
                let value = self.intern(s, parse_prefixes);
                match &value {
                    Value::Prefixes(p) if p.is_empty() && self.required => Err(Problem::Empty),
                    Value::Prefixes(p) if p.is_empty() => Ok(Value::Absent),
                    _ => Ok(value),
                }
            }
            // Already reported at the header.
            Kind::Unsupported => Ok(Value::Absent),
        }
    }

    /// The value for `s`, shared with earlier equal cells of this column.
    #[inline]
    fn intern(&mut self, s: &str, make: impl Fn(&str) -> Value) -> Value {
        let Some(map) = &mut self.interner else {
            return make(s);
        };
        if let Some(v) = map.get(s) {
            return v.clone();
        }
        let v = make(s);
        if map.len() >= INTERN_LIMIT {
            // Mostly distinct values: interning costs more than it saves.
            self.interner = None;
        } else {
            map.insert(Box::from(s), v.clone());
        }
        v
    }
}

/// `12`, `-3.50`, `0.125`; `40%` is `0.40`. Exact: never through binary floating point.
fn parse_decimal(s: &str) -> Option<Decimal> {
    let (number, percent) = match s.strip_suffix('%').or_else(|| s.strip_suffix('％')) {
        Some(n) => (n.trim_end(), true),
        None => (s, false),
    };
    if !number
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+'))
    {
        return None;
    }
    let mut d = Decimal::from_str_exact(number).ok()?;
    if percent {
        d.set_scale(d.scale() + 2).ok()?;
    }
    Some(d)
}

fn parse_bool(s: &str) -> Option<bool> {
    if s == "1" || s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s == "0" || s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// `YYYY-MM-DD`, a date that exists.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

/// `YYYY-MM-DD HH:MM:SS` (or with `T`), or a bare date meaning midnight.
fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    if s.len() == 10 {
        return parse_date(s).map(|d| d.and_time(NaiveTime::MIN));
    }
    let (date, time) = s.split_at_checked(10)?;
    let time = time.strip_prefix([' ', 'T'])?;
    let time = NaiveTime::parse_from_str(time, "%H:%M:%S").ok()?;
    Some(parse_date(date)?.and_time(time))
}

/// `A01;B02 ; C` → `[A01, B02, C]`: items trimmed, empty items dropped. The
/// full-width `；` also separates, as Chinese input methods type it.
fn parse_prefixes(s: &str) -> Value {
    let items: Vec<Arc<str>> = s
        .split([';', '；'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(Arc::from)
        .collect();
    Value::Prefixes(items.into())
}
