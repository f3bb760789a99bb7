//! An index scan for aggregates over `history.lines`: the same elements a full
//! scan keeps, found through the patient's per-field index.

use super::Cx;
use crate::value::Value;
use heng_compiler::ir::{BinOp, Expr, ExprKind, HistoryOp, LocalId};

/// An aggregate over `history.lines` that an index can serve: its filter starts
/// with `starts_with(x.field, prefix)`, `prefix` not depending on `x`, optionally
/// followed by `x before y` (`y` not depending on `x`). Both engines find the
/// lines passing that first test by the patient's index instead of scanning all of
/// them, and still run the whole filter on each, so they keep what a full scan
/// keeps.
pub struct IndexScan<'e> {
    /// The fee-line field `x.field` reads.
    pub field: usize,
    pub prefix: &'e Expr,
    /// `y` of `x before y`, when the second test is one.
    pub before: Option<&'e Expr>,
}

impl<'e> IndexScan<'e> {
    /// The index scan an aggregate over `list` binding `var` allows, if any.
    pub fn of(list: &Expr, var: LocalId, filter: Option<&'e Expr>) -> Option<IndexScan<'e>> {
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
        let before = match conjuncts.get(1).map(|c| &c.kind) {
            Some(ExprKind::History {
                op: HistoryOp::Before,
                args,
            }) if is_var(&args[0]) && free_of_var(&args[1]) => Some(&args[1]),
            _ => None,
        };
        Some(IndexScan {
            field: *index as usize,
            prefix: &args[1],
            before,
        })
    }
}

impl Cx<'_, '_, '_> {
    /// The lines an [`IndexScan`] keeps, in time order, found by binary search;
    /// `None`: scan everything.
    pub(super) fn indexed_lines(
        &self,
        list: &Expr,
        var: LocalId,
        filter: Option<&Expr>,
        frame: &mut [Value],
    ) -> Option<Vec<Value>> {
        let scan = IndexScan::of(list, var, filter)?;
        let Value::Text(prefix) = self.eval(scan.prefix, frame).ok()? else {
            return None;
        };
        // `x before y`: only lines earlier than y
        let until = match scan.before {
            Some(y) => {
                let y = self.eval(y, frame).ok()?;
                Some(self.patient().line_rank(&y)?)
            }
            None => None,
        };
        Some(
            self.patient()
                .lines_starting_with(scan.field, &prefix, until),
        )
    }
}
