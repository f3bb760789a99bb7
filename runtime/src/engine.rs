//! Evaluation engines behind one interface: the reference interpreter and native
//! code (`native`). The audit driver, fixtures and the embedding API run any of them,
//! which is what lets the test suite compare them on the same inputs.

use crate::eval::{
    EvalError, Evaluator, KeysAndTotals, RuleOutcome, Settled, Totals, merge_groups,
};
use crate::history::Patient;
use crate::pack::Pack;
use crate::value::Value;
use heng_compiler::ir::Settlement;
use rust_decimal::Decimal;

/// Evaluates a pack's rules on visits. Implementations are shared across threads.
pub trait Engine: Sync {
    /// Evaluates every active rule but the `each group` ones on one visit (a
    /// `Value::Record` of the pack's Visit type, refunds applied). Returns each rule's index in `program.rules`
    /// with its outcome, in pack order. Rules that read history see this visit alone.
    fn eval_visit(&self, visit: &Value) -> Vec<(usize, RuleOutcome)> {
        self.eval_visit_in(visit, None)
    }

    /// [`Engine::eval_visit`] with the patient's visits in time order (this one
    /// included), which rules reading history see.
    fn eval_visit_in(&self, visit: &Value, patient: Option<&Patient>) -> Vec<(usize, RuleOutcome)>;

    /// The keys and totals one visit adds to its group under `each group` rule
    /// `rule` (an index in `program.rules`); `None` for other rules.
    fn group_contribution(
        &self,
        rule: usize,
        visit: &Value,
        patient: Option<&Patient>,
    ) -> Option<Result<KeysAndTotals, EvalError>>;

    /// Whether rules run as native code (the first pass of a settlement uses
    /// the same kind of engine).
    fn is_native(&self) -> bool {
        false
    }

    /// Settles one visit (refunds applied) with settlement `s`, given each
    /// accumulator's value before it, which the visit's `add`s update on success.
    fn settle(
        &self,
        s: &Settlement,
        visit: &Value,
        accumulators: &mut [Decimal],
        totals: Totals,
    ) -> Result<Settled, EvalError>;
}

impl<E: Engine + ?Sized> Engine for &E {
    fn eval_visit_in(&self, visit: &Value, patient: Option<&Patient>) -> Vec<(usize, RuleOutcome)> {
        (**self).eval_visit_in(visit, patient)
    }

    fn group_contribution(
        &self,
        rule: usize,
        visit: &Value,
        patient: Option<&Patient>,
    ) -> Option<Result<KeysAndTotals, EvalError>> {
        (**self).group_contribution(rule, visit, patient)
    }

    fn is_native(&self) -> bool {
        (**self).is_native()
    }

    fn settle(
        &self,
        s: &Settlement,
        visit: &Value,
        accumulators: &mut [Decimal],
        totals: Totals,
    ) -> Result<Settled, EvalError> {
        (**self).settle(s, visit, accumulators, totals)
    }
}

/// The reference interpreter over the typed IR.
pub struct Interpreter<'p> {
    pack: &'p Pack,
    evaluator: Evaluator<'p>,
}

impl<'p> Interpreter<'p> {
    pub fn new(pack: &'p Pack) -> Self {
        Interpreter {
            pack,
            evaluator: Evaluator::new(&pack.program, &pack.params, &pack.tables),
        }
    }
}

impl Engine for Interpreter<'_> {
    fn eval_visit_in(&self, visit: &Value, patient: Option<&Patient>) -> Vec<(usize, RuleOutcome)> {
        self.pack
            .visit_rules()
            .map(|(i, rule)| {
                let mut o = self
                    .evaluator
                    .eval_rule(rule, visit, self.pack.feedetail, patient);
                o.hits = merge_groups(o.hits);
                (i, o)
            })
            .collect()
    }

    fn group_contribution(
        &self,
        rule: usize,
        visit: &Value,
        patient: Option<&Patient>,
    ) -> Option<Result<KeysAndTotals, EvalError>> {
        let rule = &self.pack.program.rules[rule];
        self.evaluator.group_contribution(rule, visit, patient)
    }

    fn settle(
        &self,
        s: &Settlement,
        visit: &Value,
        accumulators: &mut [Decimal],
        totals: Totals,
    ) -> Result<Settled, EvalError> {
        self.evaluator
            .settle(s, visit, self.pack.feedetail, accumulators, totals)
    }
}
