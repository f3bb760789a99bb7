//! A patient's history as rules see it: every visit of one `psn_no` (from the batch
//! and from a history file) in time order, and the questions `history.visits`,
//! `history.lines`, `visit_of(line)` and `a before b` ask of it.
//!
//! Time order (stdlib.md): visits by begntime, ties in the order they were given
//! (history file first, then input order); a visit's lines by fee_ocur_time, ties
//! in input order. A visit or line is recognised by identity (the same record), not
//! by equal contents.
//!
//! For embedding, [`HistorySource`] is how a serving component supplies the earlier
//! visits of a patient when it evaluates one visit.

use crate::value::Value;
use heng_compiler::ir::Program;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::Arc;

/// Looks up the earlier visits of a patient (records of the pack's visit type,
/// refunds applied), for a serving component that evaluates one visit at a time.
pub trait HistorySource: Sync {
    /// The patient's earlier visits, in any order; the engine puts them in time order.
    fn visits(&self, psn_no: &str) -> Vec<Value>;
}

/// No history: rules see only the visit being evaluated.
pub struct NoHistory;

impl HistorySource for NoHistory {
    fn visits(&self, _: &str) -> Vec<Value> {
        Vec::new()
    }
}

/// Where the time-order fields are in the pack's records.
#[derive(Clone, Copy, Debug)]
pub struct TimeFields {
    begntime: Option<usize>,
    feedetail: Option<usize>,
    fee_ocur_time: Option<usize>,
}

impl TimeFields {
    pub fn of(program: &Program) -> TimeFields {
        let visit = program.visit.map(|v| program.record(v));
        let feedetail = visit.and_then(|v| v.field("feedetail"));
        let line = visit
            .zip(feedetail)
            .and_then(|(v, i)| match v.fields[i].value_type() {
                heng_compiler::types::Type::List(t) => match **t {
                    heng_compiler::types::Type::Record(r) => Some(program.record(r)),
                    _ => None,
                },
                _ => None,
            });
        TimeFields {
            begntime: visit.and_then(|v| v.field("begntime")),
            feedetail,
            fee_ocur_time: line.and_then(|l| l.field("fee_ocur_time")),
        }
    }

    fn cell(record: &Value, field: Option<usize>) -> Value {
        match (record, field) {
            (Value::Record(r), Some(i)) => r.fields.get(i).cloned().unwrap_or(Value::Absent),
            _ => Value::Absent,
        }
    }

    fn lines(self, visit: &Value) -> &[Value] {
        match (visit, self.feedetail) {
            (Value::Record(r), Some(i)) => r.fields.get(i).map_or(&[], Value::as_list),
            _ => &[],
        }
    }
}

/// Orders two optional times: absent ones after present ones.
fn time_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    use Value::{Date, DateTime};
    let key = |v: &Value| match v {
        DateTime(t) => Some(*t),
        Date(d) => d.and_hms_opt(0, 0, 0),
        _ => None,
    };
    match (key(a), key(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

fn identity(v: &Value) -> usize {
    match v {
        Value::Record(r) => Arc::as_ptr(r) as usize,
        _ => 0,
    }
}

/// One patient's visits in time order, with the indexes rules need, built on first use.
pub struct Patient {
    visits: Value,
    fields: TimeFields,
    index: OnceCell<Index>,
}

struct Index {
    lines: Value,
    /// Record identity → rank in time order (visits and lines alike).
    rank: HashMap<usize, u32>,
    /// Line identity → position of its visit in `visits`.
    visit_of: HashMap<usize, u32>,
}

impl Patient {
    /// The visits in the order given (history first, then input order), sorted by
    /// begntime (stable, so ties keep that order).
    pub fn new(mut visits: Vec<Value>, fields: TimeFields) -> Patient {
        visits.sort_by(|a, b| {
            time_order(
                &TimeFields::cell(a, fields.begntime),
                &TimeFields::cell(b, fields.begntime),
            )
        });
        Patient {
            visits: Value::List(visits.into()),
            fields,
            index: OnceCell::new(),
        }
    }

    /// The visits in time order.
    pub fn visits(&self) -> &[Value] {
        self.visits.as_list()
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            let mut rank = HashMap::new();
            let mut visit_of = HashMap::new();
            let mut lines = Vec::new();
            for (vi, v) in self.visits().iter().enumerate() {
                rank.insert(identity(v), vi as u32);
                let mut own: Vec<&Value> = self.fields.lines(v).iter().collect();
                own.sort_by(|a, b| {
                    time_order(
                        &TimeFields::cell(a, self.fields.fee_ocur_time),
                        &TimeFields::cell(b, self.fields.fee_ocur_time),
                    )
                });
                for l in own {
                    visit_of.insert(identity(l), vi as u32);
                    lines.push(l.clone());
                }
            }
            for (i, l) in lines.iter().enumerate() {
                rank.insert(identity(l), i as u32);
            }
            Index {
                lines: Value::List(lines.into()),
                rank,
                visit_of,
            }
        })
    }

    /// `history.visits`.
    pub fn visit_list(&self) -> Value {
        self.visits.clone()
    }

    /// `history.lines`: every visit's lines, visits in time order, each visit's lines
    /// by fee_ocur_time, ties in input order.
    pub fn line_list(&self) -> Value {
        self.index().lines.clone()
    }

    /// `visit_of(line)`, `None` for a record that is no line of the patient.
    pub fn visit_of(&self, line: &Value) -> Option<Value> {
        let i = *self.index().visit_of.get(&identity(line))?;
        self.visits().get(i as usize).cloned()
    }

    /// `a before b`, `None` when either is not the patient's (or they are a visit
    /// and a line).
    pub fn before(&self, a: &Value, b: &Value) -> Option<bool> {
        let index = self.index();
        let is_line = |v: &Value| index.visit_of.contains_key(&identity(v));
        if is_line(a) != is_line(b) {
            return None;
        }
        let ra = index.rank.get(&identity(a))?;
        let rb = index.rank.get(&identity(b))?;
        Some(ra < rb)
    }
}
