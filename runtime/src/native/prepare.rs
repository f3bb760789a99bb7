//! Visits encoded for compiled code: a visit alone, or (when rules read
//! history) its whole patient in one arena, encoded once for all of the
//! patient's visits.

use super::layout::{self, Encoder, Of, PrefixSetsRef};
use super::{NativeEngine, RuleOutcome, intern, machine};
use crate::history::Patient;
use crate::value::Value;

/// A visit in the compact layout, ready for compiled rules: when rules read
/// history, with the rest of its patient.
#[derive(Default)]
pub struct Prepared {
    pub(super) arena: Vec<u64>,
    /// Word offset of the visit that `decide` judges.
    pub(super) at: usize,
    /// The encoded patient's visits: (record identity, word offset).
    pub(super) visits: Vec<(usize, usize)>,
    /// Which patient the arena holds (`Patient::id`).
    pub(super) patient: Option<u64>,
    /// The arena's fee lines by text, for index scans in compiled code.
    pub(super) lines_index: machine::LinesIndex,
    /// The arena's texts that no lookup finds, numbered per arena.
    pub(super) locals: intern::Locals,
}

impl NativeEngine<'_> {
    /// Makes `prepared` hold `visit` (with its patient, when rules read history),
    /// encoding only what it does not hold yet: a patient's arena serves all of
    /// the patient's visits.
    pub(super) fn prepare_in(
        &self,
        visit: &Value,
        patient: Option<&Patient>,
        prepared: &mut Prepared,
    ) {
        match patient.filter(|_| self.layout.header_words > 0) {
            Some(p) => {
                if prepared.patient != Some(p.id()) {
                    self.prepare_patient_into(p, prepared);
                }
                let id = crate::history::identity(visit);
                match prepared.visits.iter().find(|(v, _)| *v == id) {
                    Some(&(_, at)) => prepared.at = at,
                    None => self.prepare_into(visit, prepared),
                }
            }
            None => self.prepare_into(visit, prepared),
        }
    }

    /// Encodes a visit into the compact layout (interning its codes).
    pub fn prepare(&self, visit: &Value) -> Prepared {
        let mut prepared = Prepared::default();
        self.prepare_into(visit, &mut prepared);
        prepared
    }

    /// [`NativeEngine::prepare`] into memory held from an earlier visit.
    pub fn prepare_into(&self, visit: &Value, prepared: &mut Prepared) {
        if self.layout.header_words > 0 {
            // the visit's history is the visit alone
            let alone = Patient::new(vec![visit.clone()], self.times);
            self.prepare_patient_into(&alone, prepared);
            prepared.patient = None;
            return;
        }
        prepared.at = 0;
        prepared.patient = None;
        prepared.lines_index.clear();
        prepared.locals.clear();
        let arena = &mut prepared.arena;
        arena.clear();
        if let (Some(v), Value::Record(rec)) = (self.pack.program.visit, visit) {
            let encoder = Encoder::new(&self.layout, &self.interner).with_locals(&prepared.locals);
            encoder.record(
                Of::Record(v),
                &rec.fields,
                arena,
                &mut PrefixSetsRef::Fixed(&self.sets),
            );
        }
        arena.resize(arena.len() + self.layout.pad_words, 0);
    }

    /// Encodes a whole patient: the history header ([`layout::HISTORY_WORDS`]: the
    /// lists `history.visits` and `history.lines`), then every visit, each visit and
    /// fee line with its rank in time order and each line with its visit (the
    /// hidden word of [`layout::Shape`]). `prepared.at` is the first visit.
    pub(super) fn prepare_patient_into(&self, patient: &Patient, prepared: &mut Prepared) {
        let program = &self.pack.program;
        prepared.lines_index.clear();
        prepared.locals.clear();
        let arena = &mut prepared.arena;
        arena.clear();
        arena.resize(self.layout.header_words, 0);
        prepared.visits.clear();
        let Some(v) = program.visit else { return };
        let encoder = Encoder::new(&self.layout, &self.interner).with_locals(&prepared.locals);
        let vshape = self.layout.shape(Of::Record(v));
        let mut offsets = Vec::with_capacity(patient.visits().len());
        for (rank, visit) in patient.visits().iter().enumerate() {
            let Value::Record(rec) = visit else { continue };
            let at = encoder.record(
                Of::Record(v),
                &rec.fields,
                arena,
                &mut PrefixSetsRef::Fixed(&self.sets),
            );
            if let Some(h) = vshape.hidden {
                arena[at + h as usize / 8] = rank as u64;
            }
            offsets.push(at);
            prepared.visits.push((crate::history::identity(visit), at));
        }
        // each line's word offset, from its visit's fee-line offsets array
        let line_at = |arena: &[u64], vi: u32, li: u32| -> Option<usize> {
            let at = *offsets.get(vi as usize)?;
            let list = arena.get(at + self.feedetail_slot?)?;
            arena
                .get(*list as usize / 8 + li as usize)
                .map(|&b| b as usize / 8)
        };
        let lshape = self.line_record.map(|r| self.layout.shape(Of::Record(r)));
        let mut lines = Vec::with_capacity(patient.line_order().len());
        for (rank, &(vi, li)) in patient.line_order().iter().enumerate() {
            let Some(at) = line_at(arena, vi, li) else {
                continue;
            };
            if let Some(h) = lshape.and_then(|s| s.hidden) {
                let visit_bytes = (offsets[vi as usize] * 8) as u64;
                arena[at + h as usize / 8] = rank as u64 | (visit_bytes << 32);
            }
            lines.push((at * 8) as u64);
        }
        let visits_at = arena.len();
        arena.extend(offsets.iter().map(|&at| (at * 8) as u64));
        let lines_at = arena.len();
        arena.extend_from_slice(&lines);
        if self.layout.header_words >= layout::HISTORY_WORDS {
            arena[0] = (visits_at * 8) as u64;
            arena[1] = offsets.len() as u64;
            arena[2] = (lines_at * 8) as u64;
            arena[3] = lines.len() as u64;
        }
        arena.resize(arena.len() + self.layout.pad_words, 0);
        prepared.at = offsets.first().copied().unwrap_or(self.layout.header_words);
        prepared.patient = Some(patient.id());
    }

    /// Evaluates the active rules on a prepared visit; `visit` is the same visit as a
    /// value, for rendering the findings of rules that fire.
    pub fn eval_prepared(&self, prepared: &Prepared, visit: &Value) -> Vec<(usize, RuleOutcome)> {
        let mut decided = Vec::new();
        self.decide(prepared, &mut decided);
        self.render(&decided, prepared, visit, None)
    }
}
