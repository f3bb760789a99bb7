//! Settlement (待遇计算) of one visit: the line steps once per fee line, then the
//! visit steps once, then the `add`s to the patient's accumulators.
//!
//! - Line steps run per fee line in list order, each with a fresh frame (local 0
//!   the visit, local 1 the line); a line's outputs, with the line itself as field
//!   0, make one settled-line record.
//! - Visit steps run once with local 0 the visit, local 1 the settled lines, and
//!   locals `2..` each accumulator's value before this visit.
//! - An `add` is evaluated where it stands; the additions are applied only when
//!   every step succeeded, so a fault leaves the accumulators as they were.
//! - Batch totals: in the first pass ([`Totals::Collect`]) a `total` adds its
//!   value to the batch's sums, and only the steps the totals depend on run (the
//!   others are bound to absent; see `SettleStep::Bind::first_pass`); in the
//!   second ([`Totals::Known`]) everything runs and a `total` binds the batch's sum.
//!   A settlement settled in one pass ([`Totals::Single`]; see
//!   `Settlement::single_pass`) sums the totals as a first pass does and runs
//!   every step but those after the totals, handing back the values they read;
//!   [`Evaluator::after_totals`] computes them once the totals are known.

use super::{Cx, EvalError, Evaluator, Fault, at, internal, store};
use crate::value::{Record, Value};
use heng_compiler::ir::{
    BinOp, Expr, ExprKind, SETTLED_LINES_LOCAL, SettleStep, Settlement, VISIT_LOCAL,
};
use rust_decimal::Decimal;

/// The batch totals during a settlement pass.
pub enum Totals<'t> {
    /// First pass: each `total` adds to these sums (one per total).
    Collect(&'t mut [Decimal]),
    /// Second pass (or no totals): the batch's sums.
    Known(&'t [Decimal]),
    /// The only pass: each `total` adds to these sums; the steps after the totals
    /// are left absent.
    Single(&'t mut [Decimal]),
}

/// What a settlement produced for one visit.
#[derive(Clone, Debug, PartialEq)]
pub struct Settled {
    /// The visit outputs, in declaration order.
    pub visit: Vec<Value>,
    /// Every fee line's outputs in declaration order, line after line in list
    /// order: [`Settled::line_outputs`] apart.
    pub lines: Vec<Value>,
    /// How many outputs a fee line has.
    pub line_outputs: usize,
    /// In a single pass, the `saved` values (those the steps after the totals
    /// read), in step order.
    pub saved: Vec<Value>,
}

impl Settled {
    /// The outputs of the `i`-th fee line.
    pub fn line(&self, i: usize) -> &[Value] {
        let k = self.line_outputs;
        self.lines.get(i * k..(i + 1) * k).unwrap_or_default()
    }
}

impl Evaluator<'_> {
    /// Settles one visit (refunds applied) given the accumulators' values before it,
    /// which are updated by the visit's `add`s on success.
    pub fn settle(
        &self,
        s: &Settlement,
        visit: &Value,
        feedetail_field: usize,
        accumulators: &mut [Decimal],
        mut totals: Totals,
    ) -> Result<Settled, EvalError> {
        let cx = Cx::new(self, visit, None);
        let lines: &[Value] = match visit {
            Value::Record(r) => r.fields.get(feedetail_field).map_or(&[], Value::as_list),
            _ => &[],
        };
        let mut settled = Vec::with_capacity(lines.len());
        let mut line_outputs = Vec::new();
        let mut per_line = 0;
        // a first pass whose totals read no line output skips the line steps
        let mut no_sums = [];
        let line_totals = match totals {
            Totals::Collect(_) if !s.lines_in_first_pass => Totals::Collect(&mut no_sums),
            _ => Totals::Known(&[]),
        };
        for (i, line) in lines.iter().enumerate() {
            let mut frame = vec![Value::Absent; (s.line_frame as usize).max(2)];
            frame[VISIT_LOCAL.0 as usize] = visit.clone();
            frame[1] = line.clone();
            let fail = |f: Fault| EvalError {
                span: f.span,
                line: Some(i),
                message: f.message,
            };
            let (outputs, ..) = cx
                .settle_steps(&s.line_steps, &mut frame, &line_totals)
                .map_err(fail)?;
            let mut fields = Vec::with_capacity(1 + outputs.len());
            fields.push(line.clone());
            fields.extend(outputs.iter().cloned());
            settled.push(Value::Record(Record::new(fields)));
            per_line = outputs.len();
            line_outputs.extend(outputs);
        }
        let mut frame = vec![Value::Absent; (s.visit_frame as usize).max(2 + accumulators.len())];
        frame[VISIT_LOCAL.0 as usize] = visit.clone();
        frame[SETTLED_LINES_LOCAL.0 as usize] = Value::List(settled.into());
        for (slot, value) in frame[2..].iter_mut().zip(accumulators.iter()) {
            *slot = Value::Decimal(*value);
        }
        let fail = |f: Fault| EvalError {
            span: f.span,
            line: None,
            message: f.message,
        };
        let (outputs, adds, sums, saved) = cx
            .settle_steps(&s.visit_steps, &mut frame, &totals)
            .map_err(fail)?;
        commit(accumulators, &mut totals, adds, sums).map_err(fail)?;
        Ok(Settled {
            visit: outputs,
            lines: line_outputs,
            line_outputs: per_line,
            saved,
        })
    }

    /// The outputs of the steps after the totals of a visit settled in a single
    /// pass, from its `saved` values and the batch's totals.
    pub fn after_totals(
        &self,
        s: &Settlement,
        saved: &[Value],
        totals: &[Decimal],
    ) -> Result<Vec<Value>, EvalError> {
        let cx = Cx::new(self, &Value::Absent, None);
        let mut frame = vec![Value::Absent; s.visit_frame as usize];
        let mut saved = saved.iter();
        let mut outputs = Vec::new();
        let fail = |f: Fault| EvalError {
            span: f.span,
            line: None,
            message: f.message,
        };
        for step in &s.visit_steps {
            match step {
                SettleStep::Total { total, local, expr } => {
                    let v = Value::Decimal(totals.get(*total).copied().unwrap_or_default());
                    store(&mut frame, *local, v, expr.span).map_err(fail)?;
                }
                SettleStep::Bind {
                    local,
                    expr,
                    output,
                    after_totals: true,
                    ..
                } => {
                    let v = cx.eval(expr, &mut frame).map_err(fail)?;
                    if *output {
                        outputs.push(v.clone());
                    }
                    store(&mut frame, *local, v, expr.span).map_err(fail)?;
                }
                SettleStep::Bind {
                    local,
                    expr,
                    saved: true,
                    ..
                } => {
                    let v = saved.next().cloned().unwrap_or_default();
                    store(&mut frame, *local, v, expr.span).map_err(fail)?;
                }
                _ => {}
            }
        }
        Ok(outputs)
    }
}

impl Evaluator<'_> {
    /// Whether every batch total of `s` is zero whatever the visits, given the
    /// pack's parameters: then no first pass is needed to know them. So the
    /// standard settlement without a DIP budget (`dip` is false, so each case
    /// score is none and each total `case_score otherwise 0`) is settled in one
    /// pass. Decided by folding the visit steps: a value is known when it reads
    /// only parameters, constants and known values, or when a known part
    /// decides it (`false and …`, `if` with a known condition, `none otherwise
    /// …`).
    pub fn totals_are_zero(&self, s: &Settlement) -> bool {
        let mut known: Vec<Option<Value>> = vec![None; s.visit_frame as usize];
        for step in &s.visit_steps {
            match step {
                SettleStep::Bind { local, expr, .. } => {
                    let v = self.fold(expr, &known);
                    if let Some(slot) = known.get_mut(local.0 as usize) {
                        *slot = v;
                    }
                }
                SettleStep::Total { local, expr, .. } => {
                    let zero = match self.fold(expr, &known) {
                        Some(Value::Int(0)) => true,
                        Some(Value::Decimal(d)) => d.is_zero(),
                        _ => false,
                    };
                    if !zero {
                        return false;
                    }
                    if let Some(slot) = known.get_mut(local.0 as usize) {
                        *slot = Some(Value::Decimal(Decimal::ZERO));
                    }
                }
                SettleStep::Add { .. } => {}
            }
        }
        true
    }

    /// The value of `expr` whatever the visit, when [`Evaluator::totals_are_zero`]
    /// can tell it; `known` holds the frame's known locals.
    fn fold(&self, expr: &Expr, known: &[Option<Value>]) -> Option<Value> {
        let fold = |e: &Expr| self.fold(e, known);
        let as_bool = |v: Option<Value>| match v {
            Some(Value::Bool(b)) => Some(b),
            _ => None,
        };
        match &expr.kind {
            ExprKind::Binary {
                op: op @ (BinOp::And | BinOp::Or),
                lhs,
                rhs,
            } => {
                // the operand that decides: false for `and`, true for `or`
                let decides = *op == BinOp::Or;
                match (as_bool(fold(lhs)), as_bool(fold(rhs))) {
                    (Some(b), _) | (_, Some(b)) if b == decides => Some(Value::Bool(decides)),
                    (Some(_), Some(_)) => Some(Value::Bool(!decides)),
                    _ => None,
                }
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => match as_bool(fold(cond))? {
                true => fold(then),
                false => fold(otherwise),
            },
            ExprKind::Otherwise { expr, default } => match fold(expr)? {
                Value::Absent => fold(default),
                v => Some(v),
            },
            _ => {
                // closed: every local it reads is known
                let mut closed = true;
                expr.walk(&mut |e| {
                    if let ExprKind::Local(l) = &e.kind {
                        closed &= known.get(l.0 as usize).is_some_and(Option::is_some);
                    }
                    closed &= !matches!(e.kind, ExprKind::History { .. });
                });
                if !closed {
                    return None;
                }
                let mut frame: Vec<Value> = known
                    .iter()
                    .map(|v| v.clone().unwrap_or_default())
                    .collect();
                Cx::new(self, &Value::Absent, None)
                    .eval(expr, &mut frame)
                    .ok()
            }
        }
    }
}

/// An amount for an accumulator or a total (by index), and where it was written.
pub(crate) type Amounts = Vec<(usize, Decimal, heng_compiler::source::Span)>;

/// Applies a visit's `add`s to the accumulators and, in a first pass, its totals'
/// values to the batch's sums: all of them, or (on an overflow) none.
pub(crate) fn commit(
    accumulators: &mut [Decimal],
    totals: &mut Totals,
    adds: Amounts,
    sums: Amounts,
) -> super::Eval<()> {
    let mut after = accumulators.to_vec();
    add_into(&mut after, adds)?;
    if let Totals::Collect(into) | Totals::Single(into) = totals {
        let mut summed = into.to_vec();
        add_into(&mut summed, sums)?;
        into.copy_from_slice(&summed);
    }
    accumulators.copy_from_slice(&after);
    Ok(())
}

/// The outputs of a run of steps, the `add`s to apply, in a first or single pass
/// the totals' values, and in a single pass the saved values.
type StepsDone = (Vec<Value>, Amounts, Amounts, Vec<Value>);

/// Adds each amount to its slot of `into` (accumulators or batch totals).
fn add_into(into: &mut [Decimal], amounts: Amounts) -> super::Eval<()> {
    for (k, amount, span) in amounts {
        let slot = into
            .get_mut(k)
            .ok_or_else(|| at(span)(internal("accumulator or total out of range")))?;
        *slot = slot
            .checked_add(amount)
            .ok_or_else(|| at(span)(super::ops::decimal_overflow()))?;
    }
    Ok(())
}

impl Cx<'_, '_, '_> {
    fn settle_steps(
        &self,
        steps: &[SettleStep],
        frame: &mut [Value],
        totals: &Totals,
    ) -> super::Eval<StepsDone> {
        let mut outputs = Vec::new();
        let mut adds = Vec::new();
        let mut sums = Vec::new();
        let mut saved = Vec::new();
        let first_pass = matches!(totals, Totals::Collect(_));
        let single = matches!(totals, Totals::Single(_));
        for step in steps {
            match step {
                SettleStep::Total { total, local, expr } => {
                    let v = match totals {
                        Totals::Collect(_) | Totals::Single(_) => {
                            let amount = self.eval(expr, frame)?.as_decimal().ok_or_else(|| {
                                at(expr.span)(internal("a total's value is not a number"))
                            })?;
                            sums.push((*total, amount, expr.span));
                            Value::Absent
                        }
                        Totals::Known(known) => {
                            Value::Decimal(known.get(*total).copied().unwrap_or(Decimal::ZERO))
                        }
                    };
                    store(frame, *local, v, expr.span)?;
                }
                // skipped: what no total needs in a first pass, what reads one in
                // a single pass
                SettleStep::Bind {
                    local,
                    expr,
                    output,
                    first_pass: needed,
                    after_totals,
                    ..
                } if (first_pass && !needed) || (single && *after_totals) => {
                    if *output {
                        outputs.push(Value::Absent);
                    }
                    store(frame, *local, Value::Absent, expr.span)?;
                }
                SettleStep::Bind {
                    local,
                    expr,
                    output,
                    saved: save,
                    ..
                } => {
                    let v = self.eval(expr, frame)?;
                    if *output {
                        outputs.push(v.clone());
                    }
                    if single && *save {
                        saved.push(v.clone());
                    }
                    store(frame, *local, v, expr.span)?;
                }
                SettleStep::Add {
                    first_pass: false, ..
                } if first_pass => {}
                SettleStep::Add {
                    accumulator, expr, ..
                } => {
                    let amount = self.eval(expr, frame)?.as_decimal().ok_or_else(|| {
                        at(expr.span)(internal("an accumulator's addition is not a number"))
                    })?;
                    adds.push((*accumulator, amount, expr.span));
                }
            }
        }
        Ok((outputs, adds, sums, saved))
    }
}
