//! A settlement in the typed IR: its head (year start, accumulators, batch
//! totals), the steps run per fee line and per visit, and what the first pass of
//! a settlement with batch totals computes, or which steps a single pass leaves
//! until the totals are known.

use super::{Expr, LocalId};
use crate::source::Span;
use crate::types::RecordId;

/// A coverage settlement (待遇计算): named outputs per fee line and per visit,
/// with accumulators carried across a patient's visits within a scheme year.
///
/// Per visit, in the patient's time order: the line steps run once per fee line
/// (local 0 the visit, local 1 the line), each line's outputs forming one
/// `line_record`; then the visit steps run once (local 0 the visit, local 1 the
/// list of settled lines, locals `2..2 + accumulators.len()` each accumulator's
/// value before this visit); then every `add` is applied to its accumulator.
///
/// Batch totals (`total NAME = expr` in the visit steps) sum `expr` over every
/// settled visit of the batch: a first pass computes them (skipping the steps
/// that read a total), the second pass settles with their values known.
#[derive(Clone, Debug)]
pub struct Settlement {
    pub id: String,
    pub name: String,
    pub doc: String,
    /// `year starts`: Text "MM-DD", a constant or a parameter; `None` is "01-01".
    pub year_start: Option<Expr>,
    /// Names and docs, in declaration order.
    pub accumulators: Vec<(String, String)>,
    /// Names of the batch totals, in declaration order.
    pub totals: Vec<String>,
    pub line_steps: Vec<SettleStep>,
    pub line_frame: u32,
    /// The record type of a settled line: field 0 `line` (the fee line), then the
    /// line outputs in order.
    pub line_record: RecordId,
    pub visit_steps: Vec<SettleStep>,
    pub visit_frame: u32,
    /// A batch total depends on a line output, so the first pass runs the line
    /// steps.
    pub lines_in_first_pass: bool,
    /// The batch totals can be summed while settling, in one pass: the steps after
    /// the totals (`after_totals`) read only the totals, each other and `saved`
    /// values of scalar types, so they can be computed once the totals are known.
    pub single_pass: bool,
    pub span: Span,
}

/// The frame slot of the settled lines in a settlement's visit steps.
pub const SETTLED_LINES_LOCAL: LocalId = LocalId(1);

/// One step of a settlement section.
#[derive(Clone, Debug)]
pub enum SettleStep {
    /// `let name = expr`, or `output name = expr` (`output` true): the value is
    /// bound to `local`; an output is also written. `first_pass`: a batch total
    /// depends on it, so the first pass computes it (the others are bound to
    /// absent there).
    Bind {
        local: LocalId,
        name: String,
        expr: Expr,
        output: bool,
        first_pass: bool,
        /// It reads a batch total (directly or through a `let`): a settlement
        /// settled in one pass (`Settlement::single_pass`) computes it once the
        /// totals are known, from the `saved` values.
        after_totals: bool,
        /// A step after the totals reads it: a single pass saves its value.
        saved: bool,
    },
    /// `total name = expr`: the batch's sum of `expr` (Decimal) over all settled
    /// visits, index `total` in `totals`, bound to `local` in the second pass.
    Total {
        total: usize,
        local: LocalId,
        expr: Expr,
    },
    /// `add expr to accumulator` (Decimal; index into `accumulators`);
    /// `first_pass`: a batch total depends on the accumulator.
    Add {
        accumulator: usize,
        expr: Expr,
        first_pass: bool,
    },
}

impl SettleStep {
    pub fn expr(&self) -> &Expr {
        match self {
            SettleStep::Bind { expr, .. }
            | SettleStep::Add { expr, .. }
            | SettleStep::Total { expr, .. } => expr,
        }
    }
}

impl Settlement {
    /// Every expression: year start, line steps, visit steps.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.year_start
            .iter()
            .chain(self.line_steps.iter().map(SettleStep::expr))
            .chain(self.visit_steps.iter().map(SettleStep::expr))
    }

    /// Names of the visit outputs, in order.
    pub fn visit_outputs(&self) -> impl Iterator<Item = &str> {
        outputs(&self.visit_steps)
    }

    /// Names of the line outputs, in order.
    pub fn line_outputs(&self) -> impl Iterator<Item = &str> {
        outputs(&self.line_steps)
    }
}

fn outputs(steps: &[SettleStep]) -> impl Iterator<Item = &str> {
    steps.iter().filter_map(|s| match s {
        SettleStep::Bind {
            name, output: true, ..
        } => Some(name.as_str()),
        _ => None,
    })
}
