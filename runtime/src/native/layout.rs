//! The compact record layout native code reads. A record is one header word (bit
//! `i` set = field `i` present) followed by the fields that compiled rules read:
//! first the 8- and 16-byte ones (Int, DateTime, a nested record; a Decimal's 16
//! serialised bytes, a list), then the 4-byte ones packed in pairs (Bool, Code,
//! Text, Prefixes, Date, an enum), little-endian. Fields read only to render
//! findings, which the interpreter does, are left out: a fee line of the standard
//! pack takes 8 words, not 41. Field values: Bool 0/1, Int as i64, Code and Text as interned ids,
//! Prefixes as a prefix-set id, Date as days from the common era, DateTime as
//! seconds, an enum as its variant index, a list as (byte offset from the arena
//! start of an array of its elements' byte offsets, length), a nested record as its
//! byte offset. A list of offsets lets `filter` build a sub-list without copying.

use super::dec_words::dec_words;
use super::intern::{Interned, Interner, Locals};
use crate::value::Value;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use heng_compiler::ir::{Expr, ExprKind, FieldDecl, Program, Rule, Settlement};
use heng_compiler::types::{RecordId, TableId, Type};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::RwLockReadGuard;

/// Records and tables with more fields than this are left to the interpreter.
pub const MAX_FIELDS: usize = 64;

/// A record type or a table's row type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Of {
    Record(RecordId),
    Table(TableId),
}

impl Of {
    /// The record or row type of a value of type `ty`, if it has fields.
    pub fn of_type(ty: &Type) -> Option<Of> {
        match ty {
            Type::Record(r) => Some(Of::Record(*r)),
            Type::Row(t) => Some(Of::Table(*t)),
            _ => None,
        }
    }

    pub fn fields(self, program: &Program) -> &[FieldDecl] {
        match self {
            Of::Record(r) => &program.record(r).fields,
            Of::Table(t) => &program.table(t).columns,
        }
    }
}

/// Bytes a field of type `ty` takes in a record.
fn width(ty: &Type) -> u32 {
    match ty {
        Type::Decimal | Type::List(_) => 16,
        Type::Int | Type::DateTime | Type::Record(_) => 8,
        _ => 4,
    }
}

/// Where the fields of one record type live.
#[derive(Clone, Debug, Default)]
pub struct Shape {
    /// Per field: its byte offset within the record, if compiled rules read it.
    slots: Vec<Option<u32>>,
    /// The fields compiled rules read, in field order: how each is encoded.
    used: Vec<Used>,
    /// Words per record, header included.
    pub words: usize,
    /// Byte offset of the hidden history word of visits and fee lines, when rules
    /// read history: the record's rank in the patient's time order (low 32 bits)
    /// and, for a fee line, its visit's byte offset (high 32 bits).
    pub hidden: Option<u32>,
}

/// A field compiled rules read, and how the encoder writes it.
#[derive(Clone, Copy, Debug)]
struct Used {
    field: usize,
    /// Byte offset within the record.
    slot: u32,
    /// Bytes it takes ([`width`]).
    width: u32,
    /// The record type of a nested record, or of a list's elements.
    nested: Option<RecordId>,
}

/// The shape of every record type and table of a pack, for the fields its compiled
/// rules read.
#[derive(Clone, Debug)]
pub struct Layout {
    records: Vec<Shape>,
    tables: Vec<Shape>,
    /// Zero words after every arena, and one blank record before a table's rows:
    /// compiled code may load a field before checking that it exists (of an absent
    /// nested record, whose offset is 0, or of a missing row, -1), and such a load
    /// stays inside the arena and reads zeros or the visit.
    pub pad_words: usize,
    /// Words before the first visit of an arena: [`HISTORY_WORDS`] when rules read
    /// history, else 0.
    pub header_words: usize,
}

/// When rules read history, an arena holds a whole patient and starts with
/// `history.visits` and `history.lines` as two lists (offsets array byte offset,
/// length), then the visits.
pub const HISTORY_WORDS: usize = 4;

impl Layout {
    /// The layout for the decisions of `rules`: the fields their steps and the
    /// functions they call read, and the visit's fee lines (`feedetail`).
    /// With `settlement`, also the fields its steps read.
    pub fn new(
        program: &Program,
        rules: &[&Rule],
        settlement: Option<&Settlement>,
        feedetail: usize,
    ) -> Layout {
        let mut used: HashMap<Of, Vec<bool>> = HashMap::new();
        let mut mark = |of: Of, i: usize| {
            used.entry(of)
                .or_insert_with(|| vec![false; of.fields(program).len()])[i] = true;
        };
        if let Some(v) = program.visit {
            mark(Of::Record(v), feedetail);
        }
        // what compiled code evaluates: the rules' steps, the settlement's, and
        // the bodies of the functions they call (inlined where called), not every
        // function of the pack (a visit's id, read by an audit function, was
        // encoded, and looked up in every table, for each visit settled)
        let mut roots: Vec<&Expr> = Vec::new();
        let mut history = false;
        for r in rules {
            let steps = r.steps.iter().flat_map(|s| s.exprs());
            // an indicator's keys and totals are computed per visit
            let per_visit = r
                .group_of
                .iter()
                .flat_map(|g| g.keys.iter().chain(&g.totals).map(|(_, e)| e));
            for e in steps.chain(per_visit) {
                roots.push(e);
                history |= program.mentions(e, &|k| matches!(k, ExprKind::History { .. }));
            }
        }
        roots.extend(settlement.iter().flat_map(|s| s.exprs()));
        program.walk_with_calls(roots, &mut |x| {
            if let ExprKind::Field { base, index } = &x.kind
                && let Some(of) = Of::of_type(&base.ty)
                && (*index as usize) < of.fields(program).len()
            {
                mark(of, *index as usize);
            }
        });
        let line_record = program.fee_line_record();
        let hidden_in = |of: Of| {
            history
                && (Some(of) == program.visit.map(Of::Record)
                    || Some(of) == line_record.map(Of::Record))
        };
        let shape = |of: Of| {
            let fields = of.fields(program);
            let is_used = |i: usize| used.get(&of).is_some_and(|u| u[i]);
            let mut slots = vec![None; fields.len()];
            let mut bytes = 8;
            for wide in [true, false] {
                for (i, f) in fields.iter().enumerate() {
                    if is_used(i) && (width(f.value_type()) >= 8) == wide {
                        slots[i] = Some(bytes);
                        bytes += width(f.value_type());
                    }
                }
            }
            let mut hidden = None;
            if hidden_in(of) {
                bytes = bytes.div_ceil(8) * 8;
                hidden = Some(bytes);
                bytes += 8;
            }
            let words = (bytes as usize).div_ceil(8);
            let used = (0..slots.len())
                .filter_map(|i| {
                    let ty = fields[i].value_type();
                    Some(Used {
                        field: i,
                        slot: slots[i]?,
                        width: width(ty),
                        nested: match ty {
                            Type::Record(r) => Some(*r),
                            Type::List(elem) => match **elem {
                                Type::Record(r) => Some(r),
                                _ => None,
                            },
                            _ => None,
                        },
                    })
                })
                .collect();
            Shape {
                used,
                slots,
                words,
                hidden,
            }
        };
        let records: Vec<Shape> = (0..program.records.len())
            .map(|r| shape(Of::Record(RecordId(r as u32))))
            .collect();
        let tables: Vec<Shape> = (0..program.tables.len())
            .map(|t| shape(Of::Table(TableId(t as u32))))
            .collect();
        let pad_words = records
            .iter()
            .chain(&tables)
            .map(|s| s.words)
            .max()
            .unwrap_or(1);
        Layout {
            records,
            tables,
            pad_words,
            header_words: if history { HISTORY_WORDS } else { 0 },
        }
    }

    pub fn shape(&self, of: Of) -> &Shape {
        match of {
            Of::Record(r) => &self.records[r.0 as usize],
            Of::Table(t) => &self.tables[t.0 as usize],
        }
    }

    /// Byte offset of field `i` within a record of `of`, if compiled rules read it.
    pub fn slot_offset(&self, of: Of, i: usize) -> Option<i32> {
        let slot = self.shape(of).slots.get(i).copied().flatten()?;
        Some(slot as i32)
    }
}

pub fn days(d: NaiveDate) -> i32 {
    d.num_days_from_ce()
}

pub fn date_from_days(d: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(d)
}

pub fn secs(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp()
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
    layout: &'a Layout,
    interner: &'a Interner<'a>,
    /// A read guard of the interner, held while encoding (see `intern_held`).
    guard: RefCell<Option<RwLockReadGuard<'a, Interned>>>,
    /// The arena's own texts (visits and patients); tables and constants have
    /// only shared ids.
    locals: Option<&'a Locals>,
}

impl<'a> Encoder<'a> {
    pub fn new(layout: &'a Layout, interner: &'a Interner<'a>) -> Self {
        Encoder {
            layout,
            interner,
            guard: RefCell::new(None),
            locals: None,
        }
    }

    /// An encoder giving texts that no lookup finds ids local to the arena.
    pub fn with_locals(mut self, locals: &'a Locals) -> Self {
        self.locals = Some(locals);
        self
    }

    /// Appends a record of `of` holding `values`; returns its word offset.
    pub fn record(
        &self,
        of: Of,
        values: &[Value],
        arena: &mut Vec<u64>,
        sets: &mut PrefixSetsRef,
    ) -> usize {
        let at = arena.len();
        arena.resize(at + self.layout.shape(of).words, 0);
        self.fill(of, values, at, arena, sets);
        at
    }

    fn fill(
        &self,
        of: Of,
        values: &[Value],
        at: usize,
        arena: &mut Vec<u64>,
        sets: &mut PrefixSetsRef,
    ) {
        let shape = self.layout.shape(of);
        let mut present = 0u64;
        for u in &shape.used {
            let Some(v) = values.get(u.field) else {
                continue;
            };
            let (slot, shift) = (at + u.slot as usize / 8, 8 * (u.slot % 8));
            let (w0, w1) = match (u.nested, v) {
                (_, Value::Absent) => continue,
                (_, Value::Bool(b)) => (u64::from(*b), 0),
                (_, Value::Int(x)) => (*x as u64, 0),
                (_, Value::Decimal(d)) => dec_words(*d),
                (_, Value::Text(s)) => {
                    let mut guard = self.guard.borrow_mut();
                    let id = match self.locals {
                        Some(locals) => self.interner.intern_local(&mut guard, s, locals),
                        None => self.interner.intern_shared(&mut guard, s),
                    };
                    (u64::from(id), 0)
                }
                (_, Value::Prefixes(p)) => (u64::from(sets.id(p)), 0),
                (_, Value::Date(d)) => (days(*d) as u32 as u64, 0),
                (_, Value::DateTime(t)) => (secs(*t) as u64, 0),
                (_, Value::Enum(e)) => (u64::from(*e), 0),
                (Some(r), Value::List(items)) => {
                    let stride = self.layout.shape(Of::Record(r)).words;
                    // the element offsets, then the elements
                    let offsets = arena.len();
                    let first = offsets + items.len();
                    arena.resize(first + stride * items.len(), 0);
                    for (k, item) in items.iter().enumerate() {
                        arena[offsets + k] = ((first + k * stride) * 8) as u64;
                        if let Value::Record(rec) = item {
                            self.fill(Of::Record(r), &rec.fields, first + k * stride, arena, sets);
                        }
                    }
                    ((offsets * 8) as u64, items.len() as u64)
                }
                (Some(r), Value::Record(rec)) => {
                    let off = self.record(Of::Record(r), &rec.fields, arena, sets);
                    ((off * 8) as u64, 0)
                }
                _ => continue,
            };
            match u.width {
                16 => {
                    arena[slot] = w0;
                    arena[slot + 1] = w1;
                }
                8 => arena[slot] = w0,
                // either half of a word (little-endian)
                _ => arena[slot] |= (w0 & 0xffff_ffff) << shift,
            }
            present |= 1 << u.field;
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
