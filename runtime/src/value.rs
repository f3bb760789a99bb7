//! Runtime values: what records, table rows, parameters and expressions hold while
//! the interpreter runs. A record is a vector of field values in the order its
//! `record` declaration lists them.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
pub use smol_str::SmolStr;
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    /// An absent optional value.
    #[default]
    Absent,
    Bool(bool),
    Int(i64),
    Decimal(Decimal),
    /// Text and Code values: up to 23 bytes held inline (codes, flags, ids: no
    /// allocation, no shared count to update from thread to thread), longer
    /// ones shared.
    Text(SmolStr),
    Prefixes(Arc<[Arc<str>]>),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    /// Variant index of an enum.
    Enum(u32),
    Record(Record),
    /// A row of a table: table index, row index.
    Row(u32, u32),
    List(Arc<[Value]>),
    /// The value of a map parameter (`param NAME: V by K = {…}`).
    Map(Arc<ValueMap>),
}

/// A map parameter's entries (distinct keys) and its `else` value.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ValueMap {
    pub entries: Vec<(Value, Value)>,
    pub otherwise: Option<Value>,
}

impl ValueMap {
    /// The value for `key`, else the `else` value; `None` when there is neither.
    pub fn get(&self, key: &Value) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .or(self.otherwise.as_ref())
    }

    /// Sets `key` to `value`, replacing the key's entry if there is one.
    pub fn insert(&mut self, key: Value, value: Value) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key, value)),
        }
    }
}

/// One record (a visit, a fee line, a diagnosis …): field values in declaration
/// order, shared: a clone is the same record, and the record and its fields are
/// one allocation (a fee line read is one, not a record and a vector of fields).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Record {
    pub fields: Arc<[Value]>,
}

impl Record {
    pub fn new(fields: Vec<Value>) -> Record {
        Record {
            fields: fields.into(),
        }
    }

    /// Whether `self` and `other` are the same record (not only equal ones).
    pub fn same(&self, other: &Record) -> bool {
        Arc::ptr_eq(&self.fields, &other.fields)
    }

    /// The record's identity while it lives: the address of its fields.
    pub fn identity(&self) -> usize {
        self.fields.as_ptr() as usize
    }
}

impl Value {
    pub fn text(s: &str) -> Value {
        Value::Text(SmolStr::new(s))
    }

    pub fn as_bool(&self) -> bool {
        matches!(self, Value::Bool(true))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Value::Decimal(d) => Some(*d),
            Value::Int(i) => Some(Decimal::from(*i)),
            _ => None,
        }
    }

    pub fn as_record(&self) -> Option<&Record> {
        match self {
            Value::Record(r) => Some(r),
            _ => None,
        }
    }

    pub fn as_list(&self) -> &[Value] {
        match self {
            Value::List(l) => l,
            _ => &[],
        }
    }
}
