//! The patient's history: `history.visits`, `history.lines`, `visit_of(line)` and
//! `a before b`. They type like any other expression and lower to
//! [`ExprKind::History`], which the runtime answers from the patient's visits.

use super::Checker;
use super::expr::error;
use super::scope::Scope;
use crate::diagnostic::{Diagnostic, codes};
use crate::ir::{Expr, ExprKind, HistoryOp};
use crate::source::Span;
use crate::syntax::ast;
use crate::text;
use crate::types::Type;

impl Checker<'_> {
    /// The visit record type, or `Type::Error` without a schema.
    fn visit_type(&self) -> Type {
        self.program.visit.map_or(Type::Error, Type::Record)
    }

    /// The fee-line record type (the elements of `Visit.feedetail`).
    fn line_type(&self) -> Type {
        self.program
            .fee_line_record()
            .map_or(Type::Error, Type::Record)
    }

    /// `history.visits` / `history.lines`, when `history` is not a local name.
    pub(super) fn history_field(
        &mut self,
        base: &ast::Expr,
        field: &ast::Ident,
        span: Span,
        scope: &mut Scope,
    ) -> Option<Expr> {
        let ast::ExprKind::Name(n) = &base.kind else {
            return None;
        };
        if n.name != "history" || scope.lookup(&n.name).is_some() {
            return None;
        }
        let (op, ty) = match field.name.as_str() {
            "visits" => (HistoryOp::Visits, self.visit_type()),
            "lines" => (HistoryOp::Lines, self.line_type()),
            other => {
                self.diags.push(
                    Diagnostic::error(
                        codes::UNKNOWN_FIELD,
                        field.span,
                        text!("history 没有 `{}`", "history has no `{}`", other),
                    )
                    .label(text!("未知的历史数据", "unknown history list"))
                    .help(text!(
                        "用 `history.visits`(患者的全部就诊)或 `history.lines`(全部费用明细),按时间顺序",
                        "use `history.visits` (the patient's visits) or `history.lines` (all their fee lines), in time order"
                    )),
                );
                return Some(error(span));
            }
        };
        Some(Expr {
            kind: ExprKind::History { op, args: vec![] },
            ty: Type::List(Box::new(ty)),
            span,
        })
    }

    /// `visit_of(line)`: the visit a fee line of the patient belongs to.
    pub(super) fn visit_of(&mut self, args: &[ast::Expr], span: Span, scope: &mut Scope) -> Expr {
        let a = self.args(args, scope);
        if !self.arity(span, "visit_of", 1, a.len()) {
            return error(span);
        }
        self.no_option(&a[0]);
        let line = self.line_type();
        self.expect_type(&a[0], &line);
        Expr {
            kind: ExprKind::History {
                op: HistoryOp::VisitOf,
                args: a,
            },
            ty: self.visit_type(),
            span,
        }
    }

    /// `a before b`: both visits or both fee lines.
    pub(super) fn before(
        &mut self,
        l: &ast::Expr,
        r: &ast::Expr,
        span: Span,
        scope: &mut Scope,
    ) -> Expr {
        let a = self.expr(l, scope);
        let b = self.expr(r, scope);
        self.no_option(&a);
        self.no_option(&b);
        let ok = |t: &Type| t.is_error() || *t == self.visit_type() || *t == self.line_type();
        if !ok(&a.ty) || !ok(&b.ty) || !(a.ty.is_error() || b.ty.is_error() || a.ty == b.ty) {
            self.diags.push(
                Diagnostic::error(
                    codes::NOT_COMPARABLE,
                    span,
                    text!(
                        "`before` 比较两次就诊或两条费用明细的时间顺序",
                        "`before` orders two visits or two fee lines in time"
                    ),
                )
                .label(text!(
                    "这里不是两次就诊或两条明细",
                    "not two visits or two fee lines"
                ))
                .help(text!(
                    "例如 `v before visit` 或 `l before line`",
                    "for example `v before visit` or `l before line`"
                )),
            );
        }
        Expr {
            kind: ExprKind::History {
                op: HistoryOp::Before,
                args: vec![a, b],
            },
            ty: Type::Bool,
            span,
        }
    }
}
