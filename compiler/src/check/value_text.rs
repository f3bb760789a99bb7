//! Constants written as text: parameter overrides from heng.toml and
//! `--param NAME=VALUE`, checked against the parameter's declared type.

use crate::diagnostic::Text;
use crate::ir::{Const, Program};
use crate::text;
use crate::types::Type;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::str::FromStr;

/// Parses `value` as a constant of type `ty` (e.g. `40%`, `0.4`, `7`, `2026-09-01`,
/// `violation`, `A03;A04`).
pub fn parse_const(program: &Program, ty: &Type, value: &str) -> Result<Const, Text> {
    let v = value.trim();
    let bad = |what_zh: &str, what_en: &str| {
        Err(Text::new(
            format!("`{v}` 不是{what_zh}"),
            format!("`{v}` is not {what_en}"),
        ))
    };
    match ty {
        Type::Option(t) => parse_const(program, t, v),
        Type::Bool => match v {
            "true" | "1" | "是" => Ok(Const::Bool(true)),
            "false" | "0" | "否" => Ok(Const::Bool(false)),
            _ => bad("真假值(true/false)", "a Bool (true/false)"),
        },
        Type::Int => v
            .parse()
            .map(Const::Int)
            .or_else(|_| bad("整数", "an integer")),
        Type::Decimal => {
            let parsed = match v.strip_suffix('%') {
                Some(p) => Decimal::from_str(p.trim()).map(|d| d / Decimal::ONE_HUNDRED),
                None => Decimal::from_str(v),
            };
            parsed
                .map(Const::Decimal)
                .or_else(|_| bad("数值", "a decimal number"))
        }
        Type::Text => Ok(Const::Text(v.to_string())),
        Type::Code => Ok(Const::Code(v.to_string())),
        Type::Prefixes => Ok(Const::Prefixes(
            v.split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        )),
        Type::Date => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Const::Date)
            .or_else(|_| bad("日期(YYYY-MM-DD)", "a date (YYYY-MM-DD)")),
        Type::Enum(e) => {
            let decl = program.enum_decl(*e);
            decl.variants
                .iter()
                .position(|x| x.name == v || x.label == v)
                .map(|i| Const::Enum(*e, i as u32))
                .ok_or_else(|| {
                    let names: Vec<&str> = decl.variants.iter().map(|x| x.name.as_str()).collect();
                    text!(
                        "`{}` 不是 {} 的取值({})",
                        "`{}` is not a {} ({})",
                        v,
                        decl.name,
                        names.join(", ")
                    )
                })
        }
        _ => Err(text!(
            "这种类型的参数不能用文本覆盖",
            "parameters of this type cannot be set from text"
        )),
    }
}

/// Splits the text of a map parameter's override, `3: 700, 2: 500, else: 300`,
/// into `(key, value)` texts. Entries are separated by `,` and a key from its value
/// by the first `:`; a key or value holding `,` or `:` is written in double quotes
/// (`"A:1": 5`). A value's quotes are removed; a key keeps them, so that the
/// caller tells the default, bare `else`, from a text key `"else"` ([`unquote`]
/// gives the key itself). Empty entries (a trailing `,`) are skipped.
pub fn map_entries(text: &str) -> Result<Vec<(String, String)>, Text> {
    let mut entries = Vec::new();
    for piece in split_outside_quotes(text, ',')? {
        if piece.trim().is_empty() {
            continue;
        }
        let parts = split_outside_quotes(&piece, ':')?;
        let [key, value @ ..] = parts.as_slice() else {
            continue;
        };
        if value.is_empty() {
            let piece = piece.trim();
            return Err(text!(
                "`{}` 不是 `键: 值`",
                "`{}` is not `key: value`",
                piece
            ));
        }
        let value = value.join(":");
        entries.push((key.trim().to_string(), unquote(&value)));
    }
    Ok(entries)
}

/// `text` split at each `sep` that is not between double quotes.
fn split_outside_quotes(text: &str, sep: char) -> Result<Vec<String>, Text> {
    let mut parts = vec![String::new()];
    let mut quoted = false;
    for c in text.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if c == sep && !quoted {
            parts.push(String::new());
        } else if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    if quoted {
        return Err(text!(
            "`{}` 的引号没有闭合",
            "`{}` has an unclosed quote",
            text.trim()
        ));
    }
    Ok(parts)
}

/// `s` trimmed, without the double quotes around it if it has them.
pub fn unquote(s: &str) -> String {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
        .to_string()
}
