//! The reference reader: a line parsed into a JSON tree (`serde_json`), then read
//! field by field as the pack's records. It decides, and words, every error; the
//! fast path (`fast.rs`) answers only where it gives the same record.

use super::*;

/// The reference reader: the line parsed into a JSON tree, then read as the visit
/// record. On failure, the visit id if it could be read, and the error.
pub(super) fn read_reference(
    s: &SchemaInner,
    text: &str,
) -> Result<Record, (Option<String>, FieldError)> {
    let f = &s.fields;
    let json: Json = serde_json::from_str(text).map_err(|e| {
        (
            None,
            FieldError::here(text!("JSON 格式错误:{}", "invalid JSON: {}", e)),
        )
    })?;
    let Json::Object(object) = json else {
        let (zh, en) = describe(&json);
        return Err((
            None,
            FieldError::here(Text::new(
                format!("该行不是 JSON 对象,而是{zh}"),
                format!("the line is not a JSON object but {en}"),
            )),
        ));
    };
    let mdtrt_id = object.get(MDTRT_ID).and_then(Json::as_str);
    read_record(s, f.visit.0 as usize, &object).map_err(|e| (mdtrt_id.map(str::to_owned), e))
}

/// Reads a JSON object as record type `r`. Unknown JSON fields are ignored.
fn read_record(
    s: &SchemaInner,
    r: usize,
    object: &Map<String, Json>,
) -> Result<Record, FieldError> {
    let Some(reader) = &s.records[r] else {
        return Err(FieldError::here(text!(
            "内部错误:记录类型未解析",
            "internal error: record type not resolved"
        )));
    };
    let mut fields = Vec::with_capacity(reader.fields.len());
    for field in &reader.fields {
        let value = match object.get(&field.name) {
            None | Some(Json::Null) => missing(field),
            Some(json) => read_value(s, &field.kind, field.optional, json),
        };
        fields.push(value.map_err(|e| e.in_field(&field.name))?);
    }
    Ok(Record::new(fields))
}

/// The value of a missing or null field.
fn missing(field: &FieldReader) -> Result<Value, FieldError> {
    if field.optional {
        Ok(Value::Absent)
    } else if matches!(field.kind, Kind::List(_)) {
        Ok(Value::List(Arc::from([])))
    } else {
        Err(FieldError::here(text!(
            "缺少必填字段",
            "required field is missing"
        )))
    }
}

fn read_value(
    s: &SchemaInner,
    kind: &Kind,
    optional: bool,
    json: &Json,
) -> Result<Value, FieldError> {
    // An empty string stands for "no value" in many exports: absent when optional.
    if let Json::String(t) = json
        && !matches!(kind, Kind::Text | Kind::Code)
        && t.trim().is_empty()
    {
        return if optional {
            Ok(Value::Absent)
        } else {
            Err(FieldError::here(text!(
                "必填字段为空",
                "required field is empty"
            )))
        };
    }
    match (kind, json) {
        (Kind::Text | Kind::Code, Json::String(t)) => Ok(Value::text(t)),
        (Kind::Decimal, Json::Number(n)) => parse_decimal(n.as_str()),
        (Kind::Decimal, Json::String(t)) => parse_decimal(t.trim()),
        (Kind::Int, Json::Number(n)) => parse_int(n.as_str()),
        (Kind::Int, Json::String(t)) => parse_int(t.trim()),
        (Kind::Bool, Json::Bool(b)) => Ok(Value::Bool(*b)),
        (Kind::Bool, Json::Number(n)) if matches!(n.as_str(), "0" | "1") => {
            Ok(Value::Bool(n.as_str() == "1"))
        }
        (Kind::Bool, Json::String(t)) if matches!(t.trim(), "0" | "1") => {
            Ok(Value::Bool(t.trim() == "1"))
        }
        (Kind::Date, Json::String(t)) => scalar::date(t.trim())
            .map(Value::Date)
            .map_err(|e| date_error(e, t.trim(), false)),
        (Kind::DateTime, Json::String(t)) => scalar::datetime(t.trim())
            .map(Value::DateTime)
            .map_err(|e| date_error(e, t.trim(), true)),
        (Kind::Record(r), Json::Object(object)) => read_record(s, *r, object).map(Value::Record),
        (Kind::List(element), Json::Array(items)) => {
            let mut values = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let value = match item {
                    Json::Null => Err(FieldError::here(text!(
                        "列表元素为 null",
                        "list element is null"
                    ))),
                    item => read_value(s, element, false, item),
                };
                values.push(value.map_err(|e| e.in_element(i))?);
            }
            Ok(Value::List(values.into()))
        }
        _ => {
            let (want_zh, want_en) = expected(kind);
            let (got_zh, got_en) = describe(json);
            Err(FieldError::here(Text::new(
                format!("类型错误:应为{want_zh},实际为{got_zh}"),
                format!("wrong type: expected {want_en}, found {got_en}"),
            )))
        }
    }
}

fn parse_decimal(t: &str) -> Result<Value, FieldError> {
    scalar::decimal(t).map(Value::Decimal).map_err(|e| match e {
        ScalarError::OutOfRange => FieldError::here(text!(
            "数值超出精确小数的范围(最多 28 位有效数字、28 位小数):{}",
            "number out of range for an exact decimal (at most 28 significant digits and 28 decimal places): {}",
            shorten(t)
        )),
        ScalarError::Malformed | ScalarError::Impossible => FieldError::here(text!(
            "不是数值:\"{}\"",
            "not a number: \"{}\"",
            shorten(t)
        )),
    })
}

fn parse_int(t: &str) -> Result<Value, FieldError> {
    scalar::int(t).map(Value::Int).map_err(|e| match e {
        ScalarError::OutOfRange => FieldError::here(text!(
            "整数超出范围:{}",
            "integer out of range: {}",
            shorten(t)
        )),
        ScalarError::Malformed | ScalarError::Impossible => FieldError::here(text!(
            "不是整数:\"{}\"",
            "not a whole number: \"{}\"",
            shorten(t)
        )),
    })
}

fn date_error(e: ScalarError, t: &str, datetime: bool) -> FieldError {
    let t = shorten(t);
    FieldError::here(match (e, datetime) {
        (ScalarError::Impossible, false) => text!("日期不存在:{}", "no such date: {}", t),
        (ScalarError::Impossible, true) => {
            text!("日期或时刻不存在:{}", "no such date or time: {}", t)
        }
        (_, false) => text!(
            "日期格式错误:\"{}\",应为 YYYY-MM-DD",
            "malformed date \"{}\": expected YYYY-MM-DD",
            t
        ),
        (_, true) => text!(
            "时间格式错误:\"{}\",应为 YYYY-MM-DDTHH:MM:SS、YYYY-MM-DD HH:MM:SS 或 YYYY-MM-DD",
            "malformed date-time \"{}\": expected YYYY-MM-DDTHH:MM:SS, YYYY-MM-DD HH:MM:SS or YYYY-MM-DD",
            t
        ),
    })
}

/// What a field of this kind must hold, in Chinese and English.
fn expected(kind: &Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Text => ("文本(JSON 字符串)", "a text (JSON string)"),
        Kind::Code => (
            "代码(JSON 字符串,如 \"05\")",
            "a code (JSON string such as \"05\")",
        ),
        Kind::Decimal => (
            "数值(JSON 数字或字符串)",
            "a number (JSON number or string)",
        ),
        Kind::Int => (
            "整数(JSON 数字或字符串)",
            "a whole number (JSON number or string)",
        ),
        Kind::Bool => (
            "布尔值(true/false 或 \"0\"/\"1\")",
            "a boolean (true/false or \"0\"/\"1\")",
        ),
        Kind::Date => ("日期字符串 YYYY-MM-DD", "a date string YYYY-MM-DD"),
        Kind::DateTime => (
            "时间字符串 YYYY-MM-DDTHH:MM:SS",
            "a date-time string YYYY-MM-DDTHH:MM:SS",
        ),
        Kind::Record(_) => ("JSON 对象", "a JSON object"),
        Kind::List(_) => ("JSON 数组", "a JSON array"),
    }
}

/// What a JSON value is, for messages, in Chinese and English.
fn describe(json: &Json) -> (String, String) {
    match json {
        Json::Null => ("null".into(), "null".into()),
        Json::Bool(b) => (format!("布尔值 {b}"), format!("the boolean {b}")),
        Json::Number(n) => (
            format!("数字 {}", shorten(n.as_str())),
            format!("the number {}", shorten(n.as_str())),
        ),
        Json::String(t) => (
            format!("字符串 \"{}\"", shorten(t)),
            format!("the string \"{}\"", shorten(t)),
        ),
        Json::Array(_) => ("数组".into(), "an array".into()),
        Json::Object(_) => ("对象".into(), "an object".into()),
    }
}

/// At most 40 characters of `t`, for messages.
fn shorten(t: &str) -> String {
    const MAX: usize = 40;
    match t.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &t[..end]),
        None => t.to_owned(),
    }
}
