//! Values to and from the outside: constants to values, values to message text and
//! to evidence JSON.

use crate::value::{Value, ValueMap};
use chrono::{NaiveDate, NaiveDateTime};
use heng_compiler::ir::{Const, Program, Variant};
use heng_compiler::types::Type;
use std::sync::Arc;

/// The runtime value of a compile-time constant.
pub fn const_value(c: &Const) -> Value {
    match c {
        Const::Bool(b) => Value::Bool(*b),
        Const::Int(i) => Value::Int(*i),
        Const::Decimal(d) => Value::Decimal(*d),
        Const::Text(s) | Const::Code(s) => Value::text(s),
        Const::Date(d) => Value::Date(*d),
        Const::DateTime(dt) => Value::DateTime(*dt),
        Const::Enum(_, v) => Value::Enum(*v),
        Const::Prefixes(ps) => Value::Prefixes(ps.iter().map(|p| Arc::from(p.as_str())).collect()),
        Const::Map(m) => Value::Map(Arc::new(ValueMap {
            entries: m
                .entries
                .iter()
                .map(|(k, v)| (const_value(k), const_value(v)))
                .collect(),
            otherwise: m.otherwise.as_deref().map(const_value),
        })),
    }
}

fn date_text(d: &NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn datetime_text(dt: &NaiveDateTime) -> String {
    dt.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The variant of an enum value, when the type and index are known.
fn variant<'p>(program: &'p Program, ty: &Type, v: u32) -> Option<&'p Variant> {
    let Type::Enum(id) = ty else { return None };
    program.enums.get(id.0 as usize)?.variants.get(v as usize)
}

/// A value as it appears in a message template.
///
/// Decimals keep their own scale (`25.00` stays `25.00`); dates print as
/// `YYYY-MM-DD`, date-times as `YYYY-MM-DD HH:MM:SS`; an enum value prints its
/// Chinese label (its name when the label is empty); Bool prints 是/否; absent
/// prints nothing; prefixes print `;`-separated; a list prints its items separated by
/// `、`; records and table rows print nothing.
pub fn display(value: &Value, ty: &Type, program: &Program) -> String {
    let ty = match ty {
        Type::Option(t) => t,
        t => t,
    };
    match value {
        // `display` has no tables, so a row cannot show its key: name a column instead.
        Value::Absent | Value::Record(_) | Value::Row(..) | Value::Map(_) => String::new(),
        Value::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        Value::Int(i) => i.to_string(),
        Value::Decimal(d) => d.to_string(),
        Value::Text(s) => s.to_string(),
        Value::Prefixes(ps) => ps.join(";"),
        Value::Date(d) => date_text(d),
        Value::DateTime(dt) => datetime_text(dt),
        Value::Enum(v) => match variant(program, ty, *v) {
            Some(var) if !var.label.is_empty() => var.label.clone(),
            Some(var) => var.name.clone(),
            None => v.to_string(),
        },
        Value::List(items) => {
            let elem = match ty {
                Type::List(t) => t.as_ref(),
                _ => &Type::Error,
            };
            items
                .iter()
                .map(|v| display(v, elem, program))
                .collect::<Vec<_>>()
                .join("、")
        }
    }
}

/// A value as it appears in a finding's `evidence` object.
///
/// Int is a JSON number; Decimal a string of its exact text; Text and Code strings;
/// Bool a boolean; dates and date-times strings as in [`display`]; an enum value its
/// variant name; absent `null`; prefixes an array of strings; a list an array;
/// records and table rows `null`.
pub fn evidence_json(value: &Value, ty: &Type, program: &Program) -> serde_json::Value {
    use serde_json::Value as J;
    let ty = match ty {
        Type::Option(t) => t,
        t => t,
    };
    match value {
        Value::Absent | Value::Record(_) | Value::Row(..) | Value::Map(_) => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Decimal(d) => J::String(d.to_string()),
        Value::Text(s) => J::String(s.to_string()),
        Value::Prefixes(ps) => J::Array(ps.iter().map(|p| J::String(p.to_string())).collect()),
        Value::Date(d) => J::String(date_text(d)),
        Value::DateTime(dt) => J::String(datetime_text(dt)),
        Value::Enum(v) => match variant(program, ty, *v) {
            Some(var) => J::String(var.name.clone()),
            None => J::from(*v),
        },
        Value::List(items) => {
            let elem = match ty {
                Type::List(t) => t.as_ref(),
                _ => &Type::Error,
            };
            J::Array(
                items
                    .iter()
                    .map(|v| evidence_json(v, elem, program))
                    .collect(),
            )
        }
    }
}
