//! Branch-free code for choices between pure values: `match`, `if`, `otherwise`,
//! `and`, `or` and `in [...]` over operands that cannot fault and call nothing are
//! compiled to `select`s instead of branches. The result is a pure expression, so
//! Cranelift computes it once where several rules share it and hoists it out of
//! the line loop when it depends only on the visit (the `class(visit)` and
//! `tier(visit)` of the standard pack: a dozen code comparisons, once per visit).

use super::{Gen, R};
use cranelift_codegen::ir::InstBuilder;
use cranelift_codegen::ir::Value as Val;
use heng_compiler::ir::{BinOp, Builtin, Expr, ExprKind, UnOp};
use heng_compiler::types::Type;

/// Values compared by one integer comparison.
fn integer_like(ty: &Type, ordered: bool) -> bool {
    match ty {
        Type::Int | Type::Date | Type::DateTime | Type::Bool | Type::Enum(_) => true,
        Type::Code | Type::Text => !ordered,
        _ => false,
    }
}

impl Gen<'_, '_, '_> {
    /// Whether `e` evaluates without branches, faults or calls (loads are pure: see
    /// `mem_ro`), so that evaluating it unconditionally changes nothing.
    pub(super) fn branch_free(&self, e: &Expr) -> bool {
        let all = |es: &[Expr]| es.iter().all(|x| self.branch_free(x));
        match &e.kind {
            ExprKind::Const(_) | ExprKind::None | ExprKind::Local(_) | ExprKind::Param(_) => true,
            ExprKind::Field { base, .. } => {
                matches!(base.ty, Type::Record(_) | Type::Row(_)) && self.branch_free(base)
            }
            ExprKind::Call { func, args } => {
                all(args) && self.branch_free(&self.env.program.functions[func.0 as usize].body)
            }
            ExprKind::Unary {
                op: UnOp::Not,
                expr,
            } => self.branch_free(expr),
            ExprKind::Binary { op, lhs, rhs } => {
                let operands = self.branch_free(lhs) && self.branch_free(rhs);
                operands
                    && match op {
                        BinOp::And | BinOp::Or => true,
                        BinOp::Eq | BinOp::Ne => integer_like(&lhs.ty, false) && lhs.ty == rhs.ty,
                        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                            integer_like(&lhs.ty, true) && lhs.ty == rhs.ty
                        }
                        _ => false,
                    }
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => self.branch_free(cond) && self.branch_free(then) && self.branch_free(otherwise),
            ExprKind::Match {
                scrutinee,
                arms,
                default: Some(default),
            } => {
                integer_like(&scrutinee.ty, false)
                    && self.branch_free(scrutinee)
                    && arms.iter().all(|(_, body)| self.branch_free(body))
                    && self.branch_free(default)
            }
            ExprKind::Lookup { key, .. } | ExprKind::ParamLookup { key, .. } => {
                self.branch_free(key)
            }
            ExprKind::IsSome { expr, .. } | ExprKind::IsNone { expr } => self.branch_free(expr),
            ExprKind::Otherwise { expr, default } => {
                self.branch_free(expr) && self.branch_free(default)
            }
            ExprKind::InList { expr, items } => {
                integer_like(&expr.ty, false)
                    && self.branch_free(expr)
                    && all(items)
                    && items.iter().all(|i| i.ty == expr.ty)
            }
            ExprKind::Builtin {
                op: Builtin::DaysBetween | Builtin::Len,
                args,
            } => all(args),
            _ => false,
        }
    }

    /// The branch-free form of a choice, when `e` is one and [`Gen::branch_free`].
    pub(super) fn select_form(&mut self, e: &Expr) -> R<Option<Vec<Val>>> {
        let choice = matches!(
            e.kind,
            ExprKind::Match { .. }
                | ExprKind::If { .. }
                | ExprKind::Otherwise { .. }
                | ExprKind::InList { .. }
                | ExprKind::Binary {
                    op: BinOp::And | BinOp::Or,
                    ..
                }
        );
        if !choice || !self.branch_free(e) {
            return Ok(None);
        }
        Ok(Some(match &e.kind {
            ExprKind::Binary { op, lhs, rhs } => {
                let (a, b) = (self.cond_value(lhs)?, self.cond_value(rhs)?);
                vec![match op {
                    BinOp::And => self.b.ins().band(a, b),
                    _ => self.b.ins().bor(a, b),
                }]
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let c = self.cond_value(cond)?;
                let t = self.value_as(then, &e.ty)?;
                let o = self.value_as(otherwise, &e.ty)?;
                self.select(c, &t, &o)
            }
            ExprKind::Otherwise { expr, default } => {
                let v = self.expr(expr)?;
                let Type::Option(inner) = &expr.ty else {
                    return Ok(None);
                };
                let some = self.coerce(v[1..].to_vec(), inner, &e.ty)?;
                let d = self.value_as(default, &e.ty)?;
                self.select(v[0], &some, &d)
            }
            ExprKind::InList { expr, items } => {
                let x = self.expr(expr)?;
                let mut any = self.b.ins().iconst(cranelift_codegen::ir::types::I8, 0);
                for item in items {
                    let v = self.expr(item)?;
                    let eq = self.equal(&x, &expr.ty, &v, &item.ty)?;
                    any = self.b.ins().bor(any, eq);
                }
                vec![any]
            }
            ExprKind::Match {
                scrutinee,
                arms,
                default: Some(default),
            } => {
                let s = self.expr(scrutinee)?;
                let mut result = self.value_as(default, &e.ty)?;
                // later arms first, so that the first matching arm wins
                for (consts, body) in arms.iter().rev() {
                    let mut hit = self.b.ins().iconst(cranelift_codegen::ir::types::I8, 0);
                    for c in consts {
                        let cv = self.konst(c)?;
                        let eq = self.equal(&s, &scrutinee.ty, &cv, &scrutinee.ty)?;
                        hit = self.b.ins().bor(hit, eq);
                    }
                    let v = self.value_as(body, &e.ty)?;
                    result = self.select(hit, &v, &result);
                }
                result
            }
            _ => return Ok(None),
        }))
    }

    fn value_as(&mut self, e: &Expr, ty: &Type) -> R<Vec<Val>> {
        let v = self.expr(e)?;
        self.coerce(v, &e.ty, ty)
    }

    fn select(&mut self, c: Val, a: &[Val], b: &[Val]) -> Vec<Val> {
        a.iter()
            .zip(b)
            .map(|(x, y)| self.b.ins().select(c, *x, *y))
            .collect()
    }
}
