//! The patient's history in native code: `history.visits` and `history.lines` are
//! the two lists at the start of a patient arena (`layout::HISTORY_WORDS`); a
//! visit's or fee line's rank in time order, and a line's visit, are in the
//! record's hidden word (`layout::Shape::hidden`).

use super::{Gen, R, mem_ro, unsupported};
use crate::native::layout::Of;
use cranelift_codegen::ir::InstBuilder;
use cranelift_codegen::ir::Value as Val;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types;
use heng_compiler::ir::{Expr, HistoryOp};

const I64: types::Type = types::I64;
const I32: types::Type = types::I32;

impl Gen<'_, '_, '_> {
    pub(super) fn history(&mut self, op: HistoryOp, args: &[Expr]) -> R<Vec<Val>> {
        if self.env.layout.header_words == 0 {
            return unsupported("the patient's history outside a patient arena");
        }
        match op {
            HistoryOp::Visits | HistoryOp::Lines => {
                let at = if op == HistoryOp::Visits { 0 } else { 16 };
                let rel = self.b.ins().load(I64, mem_ro(), self.base, at);
                let abs = self.b.ins().iadd(self.base, rel);
                let len = self.b.ins().load(I64, mem_ro(), self.base, at + 8);
                Ok(vec![abs, len])
            }
            HistoryOp::VisitOf => {
                let word = self.hidden_word(&args[0])?;
                let rel = self.b.ins().ushr_imm_s(word, 32);
                Ok(vec![self.b.ins().iadd(self.base, rel)])
            }
            HistoryOp::Before => {
                let a = self.hidden_word(&args[0])?;
                let b = self.hidden_word(&args[1])?;
                let (ra, rb) = (self.b.ins().ireduce(I32, a), self.b.ins().ireduce(I32, b));
                Ok(vec![self.b.ins().icmp(IntCC::UnsignedLessThan, ra, rb)])
            }
        }
    }

    /// The hidden word of the visit or fee line `e` denotes.
    fn hidden_word(&mut self, e: &Expr) -> R<Val> {
        let Some(of) = Of::of_type(&e.ty) else {
            return unsupported("history of a value that is no record");
        };
        let Some(hidden) = self.env.layout.shape(of).hidden else {
            return unsupported("history of a record without ranks");
        };
        let ptr = self.expr(e)?[0];
        Ok(self.b.ins().load(I64, mem_ro(), ptr, hidden as i32))
    }
}
