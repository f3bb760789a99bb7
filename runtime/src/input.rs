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
mod mapped;
mod reference;
mod refund;
mod scalar;
mod stream;
#[cfg(test)]
mod tests;
mod texts;

use crate::value::{Record, SmolStr, Value};
use blocks::{Block, BlockReader, Chunk};
pub use csv_files::CsvVisits;
use heng_compiler::diagnostic::{Lang, Text};
use heng_compiler::ir::{FieldDecl, Program, RecordDecl};
use heng_compiler::text;
use heng_compiler::types::{self, RecordId, Type};
use reference::read_reference;
use scalar::ScalarError;
use serde_json::{Map, Value as Json};
use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::Arc;
pub use stream::{NdjsonReader, VisitIds, repeated};

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
    pub record: Record,
    /// 1-based input line number.
    pub line: u64,
    pub mdtrt_id: SmolStr,
    pub psn_no: SmolStr,
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
    /// Bit `i`: field `i` is required, and not a list (a list left out is empty).
    required: u64,
    /// Bit `i`: field `i` is a required list.
    required_lists: u64,
}

impl RecordReader {
    fn new(fields: Vec<FieldReader>) -> RecordReader {
        let bits = |keep: &dyn Fn(&FieldReader) -> bool| {
            fields
                .iter()
                .take(64)
                .enumerate()
                .filter(|(_, f)| !f.optional && keep(f))
                .fold(0u64, |m, (i, _)| m | 1 << i)
        };
        RecordReader {
            required: bits(&|f| !matches!(f.kind, Kind::List(_))),
            required_lists: bits(&|f| matches!(f.kind, Kind::List(_))),
            fields,
        }
    }
}

#[derive(Debug)]
struct FieldReader {
    name: String,
    /// The name as a JSON key, quotes and colon included: what the fast reader
    /// matches.
    key: fast::Key,
    kind: Kind,
    optional: bool,
    /// Whether the value is kept; otherwise the fast reader only checks it (as
    /// strictly) and leaves it absent (see [`check_schema_keeping`]).
    keep: bool,
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
    check_schema_keeping(program, &|_, _| true)
}

/// [`check_schema`], keeping only the values of the fields `keep` (record type,
/// field index) names and those the runtime itself reads (ids, fee lines,
/// refunds' fields, times); the others are checked as strictly but left absent,
/// for a pass that reads only some fields (a settlement's first pass). A record
/// is rejected exactly when it would be with every field kept.
pub fn check_schema_keeping(
    program: &Program,
    keep: &dyn Fn(RecordId, usize) -> bool,
) -> Result<Schema, Text> {
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

    let runtime = |r: RecordId, i: usize| {
        (r == visit && [mdtrt_id, psn_no, feedetail].contains(&i))
            || (r == fee_line
                && [feedetl_sn, init_feedetl_sn, cnt, det_item_fee_sumamt].contains(&i))
            || ["begntime", "fee_ocur_time"].contains(&program.record(r).fields[i].name.as_str())
    };
    let mut records: Vec<Option<RecordReader>> = program.records.iter().map(|_| None).collect();
    let mut todo = vec![visit];
    while let Some(id) = todo.pop() {
        let index = id.0 as usize;
        if records[index].is_some() {
            continue;
        }
        let decl = program.record(id);
        // Reserve the slot first so recursive record types terminate.
        records[index] = Some(RecordReader::new(Vec::new()));
        let mut fields = Vec::with_capacity(decl.fields.len());
        for (i, field) in decl.fields.iter().enumerate() {
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
                key: fast::Key::new(&field.name),
                kind,
                optional: field.optional(),
                keep: keep(id, i) || runtime(id, i),
            });
        }
        records[index] = Some(RecordReader::new(fields));
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
    let mdtrt_id = match &record.fields[f.mdtrt_id] {
        Value::Text(t) => Some(t.clone()),
        _ => None,
    };
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
        let mut fields = record.fields.to_vec();
        fields[f.feedetail] = Value::List(after.into());
        record = Record::new(fields);
    }
    let required_text = |index: usize, name: &str| -> Result<SmolStr, InputError> {
        match &record.fields[index] {
            Value::Text(t) if !t.trim().is_empty() => Ok(t.clone()),
            _ => Err(fail(
                mdtrt_id,
                FieldError::at(name, text!("不能为空", "must not be empty")),
            )),
        }
    };
    let mdtrt_id = required_text(f.mdtrt_id, MDTRT_ID)?;
    let psn_no = required_text(f.psn_no, PSN_NO)?;
    Ok(Visit {
        record,
        line,
        mdtrt_id,
        psn_no,
    })
}
