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

mod file;

pub use file::HistoryFile;

use crate::value::Value;
use heng_compiler::ir::Program;
use std::cell::OnceCell;
type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

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
        let line = program.fee_line_record().map(|r| program.record(r));
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

/// A record's identity (its address): the same record, not equal contents.
pub(crate) fn identity(v: &Value) -> usize {
    match v {
        Value::Record(r) => r.identity(),
        _ => 0,
    }
}

/// One patient's visits in time order, with the indexes rules need, built on first use.
pub struct Patient {
    /// Distinct for every patient built in this process (native code caches the
    /// encoded patient by it).
    id: u64,
    visits: Value,
    fields: TimeFields,
    index: OnceCell<Index>,
    /// (visit position, line index in that visit's list) of `history.lines`.
    order: OnceCell<Vec<(u32, u32)>>,
    /// Per fee-line field: (text, rank) of every line, sorted by text, built on
    /// first use by [`Patient::lines_starting_with`].
    by_text: std::cell::RefCell<Map<usize, std::rc::Rc<SortedTexts>>>,
}

/// (text, rank) of lines, sorted by text.
type SortedTexts = Vec<(crate::value::SmolStr, u32)>;

struct Index {
    lines: Value,
    /// Record identity → rank in time order (visits and lines alike).
    rank: Map<usize, u32>,
    /// Line identity → position of its visit in `visits`.
    visit_of: Map<usize, u32>,
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
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Patient {
            id: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            visits: Value::List(visits.into()),
            fields,
            index: OnceCell::new(),
            order: OnceCell::new(),
            by_text: Default::default(),
        }
    }

    /// The history of one visit for a serving component: the patient's earlier
    /// visits from `source`, then the visit.
    pub fn of_visit(
        program: &Program,
        visit: &Value,
        psn_no: &str,
        source: &dyn HistorySource,
    ) -> Patient {
        let mut visits = source.visits(psn_no);
        visits.push(visit.clone());
        Patient::new(visits, TimeFields::of(program))
    }

    /// Distinct for every patient built in this process.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// `history.lines` as (visit position in [`Patient::visits`], index in that
    /// visit's fee-line list), in time order.
    pub fn line_order(&self) -> &[(u32, u32)] {
        self.order()
    }

    /// The line of `history.lines` at `rank` (its position in time order).
    pub fn line_at(&self, rank: usize) -> Option<&Value> {
        let &(vi, li) = self.order().get(rank)?;
        self.fields
            .lines(self.visits().get(vi as usize)?)
            .get(li as usize)
    }

    /// The visits in time order.
    pub fn visits(&self) -> &[Value] {
        self.visits.as_list()
    }

    /// `history.lines` as (visit position, line index), in time order.
    fn order(&self) -> &[(u32, u32)] {
        self.order.get_or_init(|| {
            let mut order = Vec::new();
            for (vi, v) in self.visits().iter().enumerate() {
                let mut own: Vec<(usize, &Value)> =
                    self.fields.lines(v).iter().enumerate().collect();
                own.sort_by(|(_, a), (_, b)| {
                    time_order(
                        &TimeFields::cell(a, self.fields.fee_ocur_time),
                        &TimeFields::cell(b, self.fields.fee_ocur_time),
                    )
                });
                order.extend(own.into_iter().map(|(li, _)| (vi as u32, li as u32)));
            }
            order
        })
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            let mut rank = Map::default();
            let mut visit_of = Map::default();
            let mut lines = Vec::with_capacity(self.order().len());
            for (vi, v) in self.visits().iter().enumerate() {
                rank.insert(identity(v), vi as u32);
            }
            for (i, &(vi, li)) in self.order().iter().enumerate() {
                let l = &self.fields.lines(&self.visits()[vi as usize])[li as usize];
                visit_of.insert(identity(l), vi);
                rank.insert(identity(l), i as u32);
                lines.push(l.clone());
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

    /// The lines of `history.lines` whose text field `field` starts with `prefix`, in
    /// time order: what a scan of `history.lines` filtered by
    /// `starts_with(l.field, prefix)` keeps, found by binary search.
    /// With `until`, only lines of a lower rank (earlier in time order) are kept.
    pub fn lines_starting_with(
        &self,
        field: usize,
        prefix: &str,
        until: Option<u32>,
    ) -> Vec<Value> {
        let lines = self.index().lines.as_list();
        let sorted = self
            .by_text
            .borrow_mut()
            .entry(field)
            .or_insert_with(|| {
                let mut v: SortedTexts = lines
                    .iter()
                    .enumerate()
                    .filter_map(|(i, l)| match TimeFields::cell(l, Some(field)) {
                        Value::Text(t) => Some((t, i as u32)),
                        _ => None,
                    })
                    .collect();
                v.sort();
                std::rc::Rc::new(v)
            })
            .clone();
        let from = sorted.partition_point(|(t, _)| &**t < prefix);
        let mut ranks: Vec<u32> = sorted[from..]
            .iter()
            .take_while(|(t, _)| t.starts_with(prefix))
            .map(|(_, r)| *r)
            .filter(|&r| until.is_none_or(|u| r < u))
            .collect();
        ranks.sort_unstable();
        ranks.iter().map(|&r| lines[r as usize].clone()).collect()
    }

    /// The rank of a line of the patient in `history.lines` (`None` for a record
    /// that is no line of the patient).
    pub fn line_rank(&self, line: &Value) -> Option<u32> {
        let index = self.index();
        let id = identity(line);
        index
            .visit_of
            .contains_key(&id)
            .then(|| index.rank.get(&id).copied())?
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
