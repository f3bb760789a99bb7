//! A settlement in native code: one function per pass settles one visit, its line
//! steps in a loop over the fee lines, then its visit steps, writing every output,
//! `add` and (first pass) `total` as words ([`SettleWords`]); `native/settle.rs`
//! turns them back into values and applies the `add`s, as the interpreter does.
//!
//! - Input words: each accumulator's value before the visit (two words each), then
//!   in the second pass each batch total (two words each).
//! - Output words: the visit part's outputs, `add`s and `total`s in step order (a
//!   slot per step), then an offsets array of the lines' settled records, then the
//!   records: word 0 the fee line's address, then the line outputs. The visit
//!   steps read `settled_lines` through those offsets, like any record list.
//! - A first pass binds the steps no total depends on to zeros (the interpreter
//!   binds them to absent) and skips the `add`s no total depends on; the checker
//!   guarantees nothing it computes reads them. A single pass binds the steps
//!   after the totals to zeros (nothing else reads them) and writes the `saved`
//!   lets too.
//! - Status 0: settled; 2: a fault, or an output buffer too small; the
//!   interpreter then settles the visit and words any error.

use super::{Gen, R, group_words, mem_rw, repr, unsupported};
use crate::native::layout::Of;
use cranelift_codegen::ir::InstBuilder;
use cranelift_codegen::ir::Value as Val;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types;
use heng_compiler::ir::{SETTLED_LINES_LOCAL, SettleStep, Settlement, VISIT_LOCAL};
use heng_compiler::types::{RecordId, Type};
use std::collections::HashMap;

const I64: types::Type = types::I64;

/// Which pass of a settlement a function computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// The totals and what they need (`first_pass` steps), collecting the totals.
    First,
    /// Everything, the totals known (also a settlement without totals).
    Second,
    /// Everything but the steps after the totals, collecting the totals
    /// (`Settlement::single_pass`).
    Single,
}

impl Pass {
    /// Whether this pass skips `step` (binding it to zeros, or absent).
    pub fn skips(self, step: &SettleStep) -> bool {
        match (self, step) {
            (Pass::First, SettleStep::Bind { first_pass, .. })
            | (Pass::First, SettleStep::Add { first_pass, .. }) => !first_pass,
            (Pass::Single, SettleStep::Bind { after_totals, .. }) => *after_totals,
            _ => false,
        }
    }

    /// The pass of the line steps: a first pass whose totals read line outputs
    /// runs all of them (their `first_pass` marks are for visit steps).
    pub fn of_lines(self, s: &Settlement) -> Pass {
        match self {
            Pass::First if s.lines_in_first_pass => Pass::Second,
            pass => pass,
        }
    }

    /// Whether this pass sums the totals (rather than reading them).
    pub fn collects(self) -> bool {
        self != Pass::Second
    }
}

/// Where a settlement function writes its words (in words from the start of the
/// output buffer), shared by the code generator and the reader of the words.
#[derive(Clone, Debug)]
pub struct SettleWords {
    /// Per visit step: the word its output, saved `let`, `add` or collected
    /// `total` is written at (`None` for another `let`).
    pub visit_slots: Vec<Option<usize>>,
    /// Words of the visit part: the offsets array starts here.
    pub fixed: usize,
    /// Per line step: the word of its output within a settled-line record (word 0
    /// is the fee line), `None` for a `let`.
    pub line_slots: Vec<Option<usize>>,
    /// Words of one settled-line record.
    pub stride: usize,
    /// The settled-line record type, and each of its fields' word within a record.
    pub line_record: RecordId,
    pub line_fields: Vec<usize>,
}

impl SettleWords {
    /// `None` when an output is of a type that cannot be handed back as words.
    pub fn of(s: &Settlement) -> Option<SettleWords> {
        let mut at = 0;
        let mut visit_slots = Vec::new();
        for step in &s.visit_steps {
            let words = match step {
                SettleStep::Bind {
                    output: false,
                    saved: false,
                    ..
                } => None,
                SettleStep::Bind { expr, .. } => Some(group_words(&expr.ty)?),
                SettleStep::Add { .. } | SettleStep::Total { .. } => Some(2),
            };
            visit_slots.push(words.map(|w| {
                at += w;
                at - w
            }));
        }
        let fixed = at;
        let mut at = 1;
        let mut line_slots = Vec::new();
        let mut line_fields = vec![0];
        for step in &s.line_steps {
            let words = match step {
                SettleStep::Bind { output: false, .. } => None,
                SettleStep::Bind { expr, .. } => Some(group_words(&expr.ty)?),
                _ => return None,
            };
            line_slots.push(words.map(|w| {
                line_fields.push(at);
                at += w;
                at - w
            }));
        }
        Some(SettleWords {
            visit_slots,
            fixed,
            line_slots,
            stride: at,
            line_record: s.line_record,
            line_fields,
        })
    }
}

impl Gen<'_, '_, '_> {
    /// The function of one pass of settlement `s` (see the module notes); its
    /// parameters are the context, the arena, the visit, the input words, the
    /// output buffer's size in words and the output buffer.
    pub(super) fn settlement(&mut self, s: &Settlement, pass: Pass, params: &[Val]) -> R<()> {
        let (visit, input, capacity, out) = (params[2], params[3], params[4], params[5]);
        let Some(words) = SettleWords::of(s) else {
            return unsupported("a settlement output of this type");
        };
        let (Some(visit_record), Some(line_record)) =
            (self.env.program.visit, self.env.program.fee_line_record())
        else {
            return unsupported("a pack without fee lines");
        };
        let visit_ty = Type::Record(visit_record);
        self.fault = self.b.create_block();
        self.b.set_cold_block(self.fault);
        let lines = self.load_slot(visit, Of::Record(visit_record), self.env.feedetail)?;
        let n = lines[1];
        // the buffer must hold the visit part, the offsets and the records
        let per_line = self.b.ins().imul_imm_s(n, 1 + words.stride as i64);
        let need = self.b.ins().iadd_imm_s(per_line, words.fixed as i64);
        let short = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThan, need, capacity);
        self.fault_if(short);
        let offsets = self.b.ins().iadd_imm_s(out, 8 * words.fixed as i64);
        let n8 = self.b.ins().ishl_imm_s(n, 3);
        let records = self.b.ins().iadd(offsets, n8);

        let done = self.b.create_block();
        let (lp, i) = self.counted_loop(n, done);
        let line = self.element(lines[0], i);
        let rec_at = self.b.ins().imul_imm_s(i, 8 * words.stride as i64);
        let rec = self.b.ins().iadd(records, rec_at);
        let rel = self.b.ins().isub(rec, self.base);
        let i8 = self.b.ins().ishl_imm_s(i, 3);
        let slot = self.b.ins().iadd(offsets, i8);
        self.b.ins().store(mem_rw(), rel, slot, 0);
        self.b.ins().store(mem_rw(), line, rec, 0);
        self.frames = vec![HashMap::new()];
        self.bind(VISIT_LOCAL.0, &visit_ty, &[visit]);
        self.bind(1, &Type::Record(line_record), &[line]);
        for (step, slot) in s.line_steps.iter().zip(&words.line_slots) {
            self.settle_step(
                step,
                pass.of_lines(s),
                *slot,
                rec,
                input,
                s.accumulators.len(),
            )?;
        }
        self.next_iteration(&lp);
        self.b.switch_to_block(done);

        self.frames = vec![HashMap::new()];
        self.settled = Some(words.clone());
        self.bind(VISIT_LOCAL.0, &visit_ty, &[visit]);
        let settled_ty = Type::List(Box::new(Type::Record(s.line_record)));
        self.bind(SETTLED_LINES_LOCAL.0, &settled_ty, &[offsets, n]);
        for k in 0..s.accumulators.len() {
            let at = 16 * k as i32;
            let lo = self.b.ins().load(I64, mem_rw(), input, at);
            let hi = self.b.ins().load(I64, mem_rw(), input, at + 8);
            self.bind(2 + k as u32, &Type::Decimal, &[lo, hi]);
        }
        for (step, slot) in s.visit_steps.iter().zip(&words.visit_slots) {
            self.settle_step(step, pass, *slot, out, input, s.accumulators.len())?;
        }
        self.settled = None;
        self.return_ok_or_fault();
        Ok(())
    }

    /// One step: its value bound and, for an output, `add` or `total`, written
    /// at word `slot` of `to`.
    fn settle_step(
        &mut self,
        step: &SettleStep,
        pass: Pass,
        slot: Option<usize>,
        to: Val,
        input: Val,
        accumulators: usize,
    ) -> R<()> {
        let at = slot.map_or(0, |w| 8 * w as i32);
        match step {
            SettleStep::Bind { local, expr, .. } => {
                let v = if pass.skips(step) {
                    self.zeros(&expr.ty)
                } else {
                    let v = self.expr(expr)?;
                    if slot.is_some() {
                        self.store_words(&v, to, at);
                    }
                    v
                };
                self.bind(local.0, &expr.ty, &v);
            }
            SettleStep::Add { expr, .. } => {
                if !pass.skips(step) {
                    let v = self.expr(expr)?;
                    let v = self.coerce(v, &expr.ty, &Type::Decimal)?;
                    self.store_words(&v, to, at);
                }
            }
            SettleStep::Total { total, local, expr } => {
                let v = if pass.collects() {
                    let v = self.expr(expr)?;
                    let v = self.coerce(v, &expr.ty, &Type::Decimal)?;
                    self.store_words(&v, to, at);
                    self.zeros(&Type::Decimal)
                } else {
                    let at = 16 * (accumulators + total) as i32;
                    vec![
                        self.b.ins().load(I64, mem_rw(), input, at),
                        self.b.ins().load(I64, mem_rw(), input, at + 8),
                    ]
                };
                self.bind(local.0, &Type::Decimal, &v);
            }
        }
        Ok(())
    }

    /// Field `index` of a settled-line record at `ptr`, when `of` is the
    /// settlement's settled-line record type; `None` for other records.
    pub(super) fn settled_field(&mut self, ptr: Val, of: Of, index: usize) -> Option<Vec<Val>> {
        let words = self.settled.as_ref()?;
        if of != Of::Record(words.line_record) {
            return None;
        }
        let at = 8 * *words.line_fields.get(index)? as i32;
        let ty = of.fields(self.env.program).get(index)?.ty.clone();
        if index == 0 {
            return Some(vec![self.b.ins().load(I64, mem_rw(), ptr, at)]);
        }
        Some(
            repr(&ty)
                .into_iter()
                .enumerate()
                .map(|(k, t)| {
                    let w = self.b.ins().load(I64, mem_rw(), ptr, at + 8 * k as i32);
                    if t == I64 {
                        w
                    } else {
                        self.b.ins().ireduce(t, w)
                    }
                })
                .collect(),
        )
    }
}
