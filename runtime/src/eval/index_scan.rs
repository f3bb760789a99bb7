//! An index scan for aggregates over `history.lines`: the same elements a full
//! scan keeps, found through the patient's per-field index.

use super::Cx;
use crate::value::Value;
use heng_compiler::ir::{BinOp, Expr, ExprKind, HistoryOp, LocalId};

impl Cx<'_, '_, '_> {
    /// An index scan: for an aggregate over `history.lines` whose filter starts with
    /// `starts_with(x.field, prefix)` (`prefix` not depending on `x`), the lines that
    /// pass that first test, in time order, found by binary search. The filter still
    /// runs on each of them, so the result is the same as a full scan's; only
    /// elements the first test rejects are skipped. `None`: scan everything.
    pub(super) fn indexed_lines(
        &self,
        list: &Expr,
        var: LocalId,
        filter: Option<&Expr>,
        frame: &mut [Value],
    ) -> Option<Vec<Value>> {
        if !matches!(
            list.kind,
            ExprKind::History {
                op: HistoryOp::Lines,
                ..
            }
        ) {
            return None;
        }
        // the filter's conjuncts, left to right
        let mut conjuncts = Vec::new();
        let mut rest = filter?;
        while let ExprKind::Binary {
            op: BinOp::And,
            lhs,
            rhs,
        } = &rest.kind
        {
            conjuncts.push(&**rhs);
            rest = lhs;
        }
        conjuncts.push(rest);
        conjuncts.reverse();
        let is_var = |e: &Expr| matches!(e.kind, ExprKind::Local(l) if l == var);
        let free_of_var = |e: &Expr| {
            let mut uses = false;
            e.walk(&mut |x| uses |= is_var(x));
            !uses
        };
        let ExprKind::Builtin {
            op: heng_compiler::ir::Builtin::StartsWith,
            args,
        } = &conjuncts[0].kind
        else {
            return None;
        };
        let ExprKind::Field { base, index } = &args[0].kind else {
            return None;
        };
        if !is_var(base) || !free_of_var(&args[1]) {
            return None;
        }
        let Value::Text(prefix) = self.eval(&args[1], frame).ok()? else {
            return None;
        };
        // `x before y` next: only lines earlier than y
        let until = match conjuncts.get(1).map(|c| &c.kind) {
            Some(ExprKind::History {
                op: HistoryOp::Before,
                args,
            }) if is_var(&args[0]) && free_of_var(&args[1]) => {
                let y = self.eval(&args[1], frame).ok()?;
                Some(self.patient().line_rank(&y)?)
            }
            _ => None,
        };
        Some(
            self.patient()
                .lines_starting_with(*index as usize, &prefix, until),
        )
    }
}
