//! `each group` rules in the interpreter: a visit's keys and totals, the sum of
//! two visits' totals, and a group's steps once its totals are known.

use super::{Cx, Eval, EvalError, Evaluator, RuleOutcome, merge_groups, ops};
use crate::history::Patient;
use crate::value::Value;
use heng_compiler::diagnostic::Text;
use heng_compiler::ir::{BinOp, Expr, Rule, VISIT_LOCAL};
use heng_compiler::types::Type;

/// An `each group` rule's key values and totals for one visit.
pub type KeysAndTotals = (Vec<Value>, Vec<Value>);

impl Evaluator<'_> {
    /// An `each group` rule's keys and totals for one visit (see
    /// [`heng_compiler::ir::GroupOf`]); `None` for other rules.
    pub fn group_contribution(
        &self,
        rule: &Rule,
        visit: &Value,
        patient: Option<&Patient>,
    ) -> Option<Result<KeysAndTotals, EvalError>> {
        let of = rule.group_of.as_ref()?;
        let cx = Cx::new(self, visit, patient);
        let mut frame = vec![Value::Absent; (of.visit_frame as usize).max(1)];
        frame[VISIT_LOCAL.0 as usize] = visit.clone();
        let mut values = |exprs: &[(String, Expr)]| -> Eval<Vec<Value>> {
            exprs.iter().map(|(_, e)| cx.eval(e, &mut frame)).collect()
        };
        Some(
            values(&of.keys)
                .and_then(|k| Ok((k, values(&of.totals)?)))
                .map_err(|f| EvalError {
                    span: f.span,
                    line: None,
                    message: f.message,
                }),
        )
    }

    /// Runs an `each group` rule's steps for one group, given its keys and summed
    /// totals. A finding names no lines.
    pub fn eval_group(&self, rule: &Rule, keys: &[Value], totals: &[Value]) -> RuleOutcome {
        let none = Value::Absent;
        let cx = Cx::new(self, &none, None);
        let mut frame =
            vec![Value::Absent; (rule.frame_size as usize).max(keys.len() + totals.len())];
        for (slot, v) in frame.iter_mut().zip(keys.iter().chain(totals)) {
            *slot = v.clone();
        }
        let mut outcome = RuleOutcome::default();
        let mut hits = Vec::new();
        match cx.steps(rule, &rule.steps, &mut frame, None, &[], &mut hits) {
            Ok(()) => outcome.hits = merge_groups(hits),
            Err(f) => outcome.errors.push(EvalError {
                span: f.span,
                line: None,
                message: f.message,
            }),
        }
        outcome
    }

    /// Adds a visit's totals into a group's (same types: Int or Decimal).
    pub fn add_totals(into: &mut [Value], more: &[Value]) -> Result<(), Text> {
        for (a, b) in into.iter_mut().zip(more) {
            let ty = if matches!(a, Value::Int(_)) && matches!(b, Value::Int(_)) {
                Type::Int
            } else {
                Type::Decimal
            };
            *a = ops::binary(BinOp::Add, a, b, &ty)?;
        }
        Ok(())
    }
}
