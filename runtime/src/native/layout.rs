//! The compact record layout native code reads. A record is one header word (bit
//! `i` set = field `i` present) followed by two words per field, in declaration
//! order. Field values: Bool 0/1, Int as i64, Decimal as its 16 serialised bytes,
//! Code and Text as interned ids, Prefixes as a prefix-set id, Date as days from
//! the common era, DateTime as seconds, an enum as its variant index, a list as
//! (byte offset from the arena start of an array of its elements' byte offsets,
//! length), a nested record as its byte offset. A list of offsets lets `filter`
//! build a sub-list without copying records.

use super::intern::Interner;
use super::machine::dec_words;
use crate::value::Value;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime};
use heng_compiler::ir::{FieldDecl, Program};
use heng_compiler::types::Type;
use std::collections::HashMap;
use std::sync::Arc;

/// Words in a record with `fields` fields.
pub fn stride_words(fields: usize) -> usize {
    1 + 2 * fields
}

/// Byte offset of field `i`'s slot within its record.
pub fn slot_offset(i: usize) -> i32 {
    (8 + 16 * i) as i32
}

/// Records and tables with more fields than this are left to the interpreter.
pub const MAX_FIELDS: usize = 64;

pub fn days(d: NaiveDate) -> i32 {
    d.num_days_from_ce()
}

pub fn date_from_days(d: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(d)
}

pub fn secs(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp()
}

pub fn datetime_from_secs(s: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp(s, 0).map(|t| t.naive_utc())
}

/// The distinct prefix lists of a pack (table cells, parameters, constants), by id.
#[derive(Default)]
pub struct PrefixSets {
    pub sets: Vec<Vec<Arc<str>>>,
    ids: HashMap<Vec<Arc<str>>, u32>,
}

impl PrefixSets {
    pub fn id(&mut self, items: &[Arc<str>]) -> u32 {
        if let Some(&id) = self.ids.get(items) {
            return id;
        }
        let id = self.sets.len() as u32;
        self.sets.push(items.to_vec());
        self.ids.insert(items.to_vec(), id);
        id
    }

    pub fn lookup(&self, items: &[Arc<str>]) -> Option<u32> {
        self.ids.get(items).copied()
    }
}

/// Writes records into an arena of words.
pub struct Encoder<'a> {
    pub program: &'a Program,
    pub interner: &'a Interner<'a>,
}

impl Encoder<'_> {
    /// Appends a record of `fields` holding `values`; returns its word offset.
    pub fn record(
        &self,
        fields: &[FieldDecl],
        values: &[Value],
        arena: &mut Vec<u64>,
        sets: &mut PrefixSetsRef,
    ) -> usize {
        let at = arena.len();
        arena.resize(at + stride_words(fields.len()), 0);
        self.fill(fields, values, at, arena, sets);
        at
    }

    fn fill(
        &self,
        fields: &[FieldDecl],
        values: &[Value],
        at: usize,
        arena: &mut Vec<u64>,
        sets: &mut PrefixSetsRef,
    ) {
        let mut present = 0u64;
        for (i, (f, v)) in fields.iter().zip(values).enumerate() {
            let slot = at + 1 + 2 * i;
            let (w0, w1) = match (f.value_type(), v) {
                (_, Value::Absent) => continue,
                (_, Value::Bool(b)) => (u64::from(*b), 0),
                (_, Value::Int(x)) => (*x as u64, 0),
                (_, Value::Decimal(d)) => dec_words(*d),
                (_, Value::Text(s)) => (u64::from(self.interner.intern(s)), 0),
                (_, Value::Prefixes(p)) => (u64::from(sets.id(p)), 0),
                (_, Value::Date(d)) => (days(*d) as u32 as u64, 0),
                (_, Value::DateTime(t)) => (secs(*t) as u64, 0),
                (_, Value::Enum(e)) => (u64::from(*e), 0),
                (Type::List(elem), Value::List(items)) => {
                    let Type::Record(r) = **elem else { continue };
                    let decl = &self.program.record(r).fields;
                    let stride = stride_words(decl.len());
                    // the element offsets, then the elements
                    let offsets = arena.len();
                    let first = offsets + items.len();
                    arena.resize(first + stride * items.len(), 0);
                    for (k, item) in items.iter().enumerate() {
                        arena[offsets + k] = ((first + k * stride) * 8) as u64;
                        if let Value::Record(rec) = item {
                            self.fill(decl, &rec.fields, first + k * stride, arena, sets);
                        }
                    }
                    ((offsets * 8) as u64, items.len() as u64)
                }
                (Type::Record(r), Value::Record(rec)) => {
                    let decl = &self.program.record(*r).fields;
                    let off = self.record(decl, &rec.fields, arena, sets);
                    ((off * 8) as u64, 0)
                }
                _ => continue,
            };
            arena[slot] = w0;
            arena[slot + 1] = w1;
            present |= 1 << i;
        }
        arena[at] = present;
    }
}

/// Prefix sets while encoding: tables may add new ones; visits only look them up.
pub enum PrefixSetsRef<'s> {
    Build(&'s mut PrefixSets),
    Fixed(&'s PrefixSets),
}

impl PrefixSetsRef<'_> {
    fn id(&mut self, items: &[Arc<str>]) -> u32 {
        match self {
            PrefixSetsRef::Build(s) => s.id(items),
            PrefixSetsRef::Fixed(s) => s.lookup(items).unwrap_or(u32::MAX),
        }
    }
}
