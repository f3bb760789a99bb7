//! Schema-driven NDJSON input: one visit (claim) per line, read into [`Record`]s
//! following the pack's `record` declarations, with refunds applied
//! (`spec/records.md`). A line that cannot be read becomes an [`InputError`] and
//! the batch goes on.
//!
//! [`check_schema`] resolves the schema once; [`read_visit`] reads one line of
//! text; [`NdjsonReader`] reads a whole stream and rejects duplicate `mdtrt_id`s.

pub mod blocks;
mod csv_files;
mod fast;
mod refund;
mod scalar;
#[cfg(test)]
mod tests;

use crate::value::{Record, Value};
use blocks::{Block, BlockReader, Chunk};
pub use csv_files::CsvVisits;
use heng_compiler::diagnostic::{Lang, Text};
use heng_compiler::ir::{FieldDecl, Program, RecordDecl};
use heng_compiler::text;
use heng_compiler::types::{self, RecordId, Type};
use scalar::ScalarError;
use serde_json::{Map, Value as Json};
use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::Arc;

/// National field names the runtime itself needs (visit).
pub const MDTRT_ID: &str = "mdtrt_id";
pub const PSN_NO: &str = "psn_no";
pub const FEEDETAIL: &str = "feedetail";
/// National field names the runtime itself needs (fee line).
pub const FEEDETL_SN: &str = "feedetl_sn";
pub const INIT_FEEDETL_SN: &str = "init_feedetl_sn";
pub const CNT: &str = "cnt";
pub const DET_ITEM_FEE_SUMAMT: &str = "det_item_fee_sumamt";

/// Default limit on the length of one input line (64 MiB); longer lines are rejected
/// without being held in memory.
pub const DEFAULT_MAX_LINE_BYTES: usize = 64 << 20;

/// One visit read from one input line, refunds applied.
#[derive(Clone, Debug, PartialEq)]
pub struct Visit {
    /// A record of the pack's visit type (`Program::visit`).
    pub record: Arc<Record>,
    /// 1-based input line number.
    pub line: u64,
    pub mdtrt_id: String,
    pub psn_no: String,
}

/// A record that cannot be read: it is rejected, not dropped, and the batch goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    /// 1-based input line number (blank lines count).
    pub line: u64,
    /// The visit id, when the line is a JSON object with a textual `mdtrt_id`.
    pub mdtrt_id: Option<String>,
    /// Path of the offending field, e.g. `feedetail[3].cnt` (0-based index); empty
    /// when the line as a whole is unreadable.
    pub field: String,
    pub reason: Text,
}

impl InputError {
    /// The error as one line of the errors file: `line`, `mdtrt_id` (null when not
    /// readable), `field`, `reason`.
    pub fn to_json(&self, lang: Lang) -> Json {
        serde_json::json!({
            "line": self.line,
            "mdtrt_id": self.mdtrt_id,
            "field": self.field,
            "reason": self.reason.get(lang),
        })
    }
}

/// Field indices of the national fields the runtime needs, resolved by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NationalFields {
    pub visit: RecordId,
    pub mdtrt_id: usize,
    pub psn_no: usize,
    pub feedetail: usize,
    /// The record type of `feedetail` elements.
    pub fee_line: RecordId,
    pub feedetl_sn: usize,
    pub init_feedetl_sn: usize,
    pub cnt: usize,
    pub det_item_fee_sumamt: usize,
}

/// The input schema of a pack, resolved once by [`check_schema`]. Cheap to clone
/// and shareable between threads.
#[derive(Clone, Debug)]
pub struct Schema {
    inner: Arc<SchemaInner>,
}

#[derive(Debug)]
struct SchemaInner {
    /// Indexed by `RecordId`; `None` for record types not reachable from the visit.
    records: Vec<Option<RecordReader>>,
    fields: NationalFields,
}

#[derive(Debug)]
struct RecordReader {
    fields: Vec<FieldReader>,
}

#[derive(Debug)]
struct FieldReader {
    name: String,
    /// The name as a JSON key, quotes included: what the fast reader matches.
    quoted: Box<[u8]>,
    kind: Kind,
    optional: bool,
}

/// How to read one JSON value.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Code,
    Decimal,
    Int,
    Bool,
    Date,
    DateTime,
    Record(usize),
    List(Box<Kind>),
}

impl Schema {
    pub fn fields(&self) -> &NationalFields {
        &self.inner.fields
    }
}

/// Resolves the input schema of `program`: the visit record type, the national
/// fields the runtime needs (with the types it needs them to have), and how to read
/// every field of every record type reachable from the visit. The error names the
/// missing or mistyped field.
pub fn check_schema(program: &Program) -> Result<Schema, Text> {
    let visit = program.visit.ok_or_else(|| {
        text!(
            "包中没有声明就诊记录类型(每行输入一条的 record)",
            "the pack declares no visit record type (the record of one input line)"
        )
    })?;
    let text = |t: &Type| matches!(t, Type::Text | Type::Code).then_some(());
    let decimal = |t: &Type| (*t == Type::Decimal).then_some(());
    let visit_decl = program.record(visit);
    let (mdtrt_id, ()) = national_field(program, visit_decl, MDTRT_ID, "Text", text)?;
    let (psn_no, ()) = national_field(program, visit_decl, PSN_NO, "Text", text)?;
    let (feedetail, fee_line) =
        national_field(program, visit_decl, FEEDETAIL, "List<FeeLine>", |t| {
            let t = match t {
                Type::Option(t) => &**t,
                t => t,
            };
            match t {
                Type::List(e) => match **e {
                    Type::Record(r) => Some(r),
                    _ => None,
                },
                _ => None,
            }
        })?;
    let line_decl = program.record(fee_line);
    let (feedetl_sn, ()) = national_field(program, line_decl, FEEDETL_SN, "Text", text)?;
    let (init_feedetl_sn, ()) =
        national_field(program, line_decl, INIT_FEEDETL_SN, "Text?", |t| match t {
            Type::Option(t) => text(t),
            _ => None,
        })?;
    let (cnt, ()) = national_field(program, line_decl, CNT, "Decimal", decimal)?;
    let (det_item_fee_sumamt, ()) =
        national_field(program, line_decl, DET_ITEM_FEE_SUMAMT, "Decimal", decimal)?;

    let mut records: Vec<Option<RecordReader>> = program.records.iter().map(|_| None).collect();
    let mut todo = vec![visit];
    while let Some(id) = todo.pop() {
        let index = id.0 as usize;
        if records[index].is_some() {
            continue;
        }
        let decl = program.record(id);
        // Reserve the slot first so recursive record types terminate.
        records[index] = Some(RecordReader { fields: Vec::new() });
        let mut fields = Vec::with_capacity(decl.fields.len());
        for field in &decl.fields {
            let kind = kind_of(field.value_type(), &mut todo).ok_or_else(|| {
                text!(
                    "输入记录 {}.{} 的类型 {} 无法从 JSON 读取",
                    "input record field {}.{} has type {}, which cannot be read from JSON",
                    decl.name,
                    field.name,
                    types::Display(&field.ty, program)
                )
            })?;
            fields.push(FieldReader {
                name: field.name.clone(),
                quoted: format!("\"{}\"", field.name).into_bytes().into(),
                kind,
                optional: field.optional(),
            });
        }
        records[index] = Some(RecordReader { fields });
    }

    Ok(Schema {
        inner: Arc::new(SchemaInner {
            records,
            fields: NationalFields {
                visit,
                mdtrt_id,
                psn_no,
                feedetail,
                fee_line,
                feedetl_sn,
                init_feedetl_sn,
                cnt,
                det_item_fee_sumamt,
            },
        }),
    })
}

/// The index of the field `name` of `decl`, and what `ok` makes of its type
/// (`None`: the wrong type).
fn national_field<T>(
    program: &Program,
    decl: &RecordDecl,
    name: &str,
    want: &str,
    ok: impl Fn(&Type) -> Option<T>,
) -> Result<(usize, T), Text> {
    let index = decl.field(name).ok_or_else(|| {
        text!(
            "输入记录 {} 缺少运行时需要的国家标准字段 {}",
            "input record {} lacks the national field {}, which the runtime needs",
            decl.name,
            name
        )
    })?;
    let field: &FieldDecl = &decl.fields[index];
    ok(&field.ty).map(|t| (index, t)).ok_or_else(|| {
        text!(
            "输入记录 {}.{} 的类型应为 {},实际为 {}",
            "input record field {}.{} must have type {}, not {}",
            decl.name,
            name,
            want,
            types::Display(&field.ty, program)
        )
    })
}

/// How to read a value of type `ty` (not an option); `None` when JSON input cannot
/// hold it. Record types met are pushed on `todo`.
fn kind_of(ty: &Type, todo: &mut Vec<RecordId>) -> Option<Kind> {
    Some(match ty {
        Type::Text => Kind::Text,
        Type::Code => Kind::Code,
        Type::Decimal => Kind::Decimal,
        Type::Int => Kind::Int,
        Type::Bool => Kind::Bool,
        Type::Date => Kind::Date,
        Type::DateTime => Kind::DateTime,
        Type::Record(r) => {
            todo.push(*r);
            Kind::Record(r.0 as usize)
        }
        Type::List(e) => Kind::List(Box::new(kind_of(e, todo)?)),
        Type::Prefixes | Type::Enum(_) | Type::Row(_) | Type::Option(_) | Type::Error => {
            return None;
        }
    })
}

/// Why a value inside a record cannot be read, and where (relative path).
#[derive(Debug)]
struct FieldError {
    path: String,
    reason: Text,
}

impl FieldError {
    fn at(path: impl Into<String>, reason: Text) -> FieldError {
        FieldError {
            path: path.into(),
            reason,
        }
    }

    fn here(reason: Text) -> FieldError {
        FieldError::at(String::new(), reason)
    }

    /// The error inside field `name` of the enclosing record.
    fn in_field(mut self, name: &str) -> FieldError {
        self.path = join(name, &self.path);
        self
    }

    /// The error inside element `index` of the enclosing list.
    fn in_element(mut self, index: usize) -> FieldError {
        self.path = join(&format!("[{index}]"), &self.path);
        self
    }
}

fn join(outer: &str, inner: &str) -> String {
    if inner.is_empty() {
        outer.to_owned()
    } else if inner.starts_with('[') {
        format!("{outer}{inner}")
    } else {
        format!("{outer}.{inner}")
    }
}

/// Reads one visit from one line of NDJSON text (without its line break), applying
/// refunds. `line` is the 1-based line number reported in errors. Duplicate
/// `mdtrt_id`s are not checked here ([`NdjsonReader`] does).
pub fn read_visit(schema: &Schema, line: u64, text: &str) -> Result<Visit, InputError> {
    read_visit_with(schema, line, text, true)
}

/// [`read_visit`], with the fast path (`input/fast.rs`) or with the reference
/// reader only. Public for the tests that compare the two.
#[doc(hidden)]
pub fn read_visit_with(
    schema: &Schema,
    line: u64,
    text: &str,
    fast: bool,
) -> Result<Visit, InputError> {
    let s = &*schema.inner;
    let f = &s.fields;
    let fail = |mdtrt_id: Option<&str>, e: FieldError| InputError {
        line,
        mdtrt_id: mdtrt_id.map(str::to_owned),
        field: e.path,
        reason: e.reason,
    };
    let record = match fast
        .then(|| fast::read(s, f.visit.0 as usize, text))
        .flatten()
    {
        Some(record) => record,
        None => read_reference(s, text).map_err(|(id, e)| fail(id.as_deref(), e))?,
    };
    finish_visit(s, line, record)
}

/// The reference reader: the line parsed into a JSON tree, then read as the visit
/// record. On failure, the visit id if it could be read, and the error.
fn read_reference(s: &SchemaInner, text: &str) -> Result<Record, (Option<String>, FieldError)> {
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

/// The string values of top-level `keys` of one line of NDJSON, read without
/// parsing the rest (see `fast::top_level_strings`); `None` when the line is not a
/// JSON object.
pub fn top_level_strings(text: &str, keys: &[&str]) -> Option<Vec<Option<String>>> {
    fast::top_level_strings(text, keys)
}

/// A date-time of the input (records.md formats), or `None`.
pub fn parse_datetime(text: &str) -> Option<chrono::NaiveDateTime> {
    scalar::datetime(text.trim()).ok()
}

/// Refunds applied, the visit's id and person checked.
fn finish_visit(s: &SchemaInner, line: u64, mut record: Record) -> Result<Visit, InputError> {
    let f = &s.fields;
    let mdtrt_id = record.fields[f.mdtrt_id].as_str().map(str::to_owned);
    let mdtrt_id = mdtrt_id.as_deref();
    let fail = |mdtrt_id: Option<&str>, e: FieldError| InputError {
        line,
        mdtrt_id: mdtrt_id.map(str::to_owned),
        field: e.path,
        reason: e.reason,
    };
    if let Value::List(lines) = &record.fields[f.feedetail]
        && let Some(after) =
            refund::apply(f, lines).map_err(|e| fail(mdtrt_id, e.in_field(FEEDETAIL)))?
    {
        record.fields[f.feedetail] = Value::List(after.into());
    }
    let required_text = |index: usize, name: &str| -> Result<String, InputError> {
        match record.fields[index].as_str() {
            Some(t) if !t.trim().is_empty() => Ok(t.to_owned()),
            _ => Err(fail(
                mdtrt_id,
                FieldError::at(name, text!("不能为空", "must not be empty")),
            )),
        }
    };
    let mdtrt_id = required_text(f.mdtrt_id, MDTRT_ID)?;
    let psn_no = required_text(f.psn_no, PSN_NO)?;
    Ok(Visit {
        record: Arc::new(record),
        line,
        mdtrt_id,
        psn_no,
    })
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
    Ok(Record { fields })
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
        (Kind::Record(r), Json::Object(object)) => {
            read_record(s, *r, object).map(|r| Value::Record(Arc::new(r)))
        }
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

/// Reads visits from NDJSON, one per non-blank line, in order. Each item is the
/// visit or the error that rejects its line; a visit whose `mdtrt_id` was already
/// read (accepted) earlier in the stream is rejected. Blank lines are skipped (they
/// still count for line numbers); a UTF-8 byte order mark on the first line is
/// ignored; lines may end in `\n` or `\r\n`.
///
/// An I/O error ends the stream: it is yielded once as an error (empty field) and
/// is then available from [`NdjsonReader::io_error`].
pub struct NdjsonReader<R: Read> {
    schema: Schema,
    blocks: BlockReader<R>,
    /// The block being read, and where.
    block: Block,
    cursor: blocks::Cursor,
    /// Accepted visit ids.
    seen: VisitIds,
}

impl<R: Read> NdjsonReader<R> {
    pub fn new(schema: &Schema, reader: R) -> Self {
        NdjsonReader {
            schema: schema.clone(),
            blocks: BlockReader::new(reader),
            block: Block::default(),
            cursor: blocks::Cursor::default(),
            seen: VisitIds::default(),
        }
    }

    /// A reader for `program`'s input schema (see [`check_schema`]).
    pub fn from_program(program: &Program, reader: R) -> Result<Self, Text> {
        Ok(NdjsonReader::new(&check_schema(program)?, reader))
    }

    /// Lines longer than `max` bytes (without the line break) are rejected.
    pub fn with_max_line_bytes(mut self, max: usize) -> Self {
        self.blocks = self.blocks.with_max_line_bytes(max);
        self
    }

    /// Reads the input in blocks of about `bytes` bytes (the default suits batches;
    /// tests use tiny ones to put block boundaries everywhere).
    pub fn with_block_bytes(mut self, bytes: usize) -> Self {
        self.blocks = self.blocks.with_block_bytes(bytes);
        self
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Input bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.blocks.bytes_read()
    }

    /// The I/O error that ended the stream, if one did.
    pub fn io_error(&self) -> Option<&io::Error> {
        self.blocks.io_error()
    }

    /// The next non-blank line as text with its line number, or the reason it is
    /// not one (too long, not UTF-8, unreadable). Parsing it is [`read_visit`], which
    /// may run on another thread; [`NdjsonReader::accept`] then takes the results
    /// back in input order.
    pub fn next_line(&mut self) -> Option<Result<(u64, String), InputError>> {
        loop {
            if let Some(line) = self.block.next_line(&mut self.cursor) {
                return Some(line.map(|(n, text)| (n, text.to_owned())));
            }
            match self.blocks.next_chunk()? {
                Chunk::Block(block) => {
                    self.cursor = block.start();
                    self.block = block;
                }
                Chunk::Error(e) => return Some(Err(e)),
            }
        }
    }

    /// Takes a line's parsed visit back, in input order: a visit id seen earlier in
    /// the batch rejects the later visit.
    pub fn accept(&mut self, line: u64, visit: Visit) -> Result<Visit, InputError> {
        self.seen.accept(line, &visit.mdtrt_id).map(|()| visit)
    }
}

/// The visit ids of a batch so far, with the line that first had each: a visit id
/// seen earlier rejects the later visit.
#[derive(Default)]
pub struct VisitIds {
    seen: HashMap<Box<str>, u64, foldhash::fast::RandomState>,
}

impl VisitIds {
    pub fn accept(&mut self, line: u64, mdtrt_id: &str) -> Result<(), InputError> {
        if let Some(&first) = self.seen.get(mdtrt_id) {
            return Err(InputError {
                line,
                mdtrt_id: Some(mdtrt_id.to_owned()),
                field: MDTRT_ID.to_owned(),
                reason: text!(
                    "就诊ID \"{}\" 在本批次中重复(第一次出现在第 {} 行)",
                    "visit id \"{}\" appears twice in this batch (first on line {})",
                    mdtrt_id,
                    first
                ),
            });
        }
        self.seen.insert(mdtrt_id.into(), line);
        Ok(())
    }
}

impl<R: Read> Iterator for NdjsonReader<R> {
    type Item = Result<Visit, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.next_line()?.and_then(|(line, text)| {
            let visit = read_visit(&self.schema, line, &text)?;
            self.accept(line, visit)
        }))
    }
}
