//! Type checking of expressions and their lowering to IR.

use super::Checker;
use super::scope::Scope;
use crate::diagnostic::{Diagnostic, codes};
use crate::ir::{BinOp, Builtin, Const, Expr, ExprKind, UnOp};
use crate::source::Span;
use crate::syntax::ast::{self, BinaryOp, UnaryOp};
use crate::text;
use crate::types::Type;
use chrono::NaiveDate;

pub(super) fn error(span: Span) -> Expr {
    Expr {
        kind: ExprKind::None,
        ty: Type::Error,
        span,
    }
}

/// The common type of two branches (if/match/otherwise), if any.
/// The constant a checked literal stands for: a literal, or `-` applied to a
/// number literal (`-1`, `-2.5`), as written in match patterns and parameter
/// defaults. `None` for anything else.
pub(super) fn literal(e: &Expr) -> Option<Const> {
    match &e.kind {
        ExprKind::Const(c) => Some(c.clone()),
        ExprKind::Unary {
            op: UnOp::Neg,
            expr,
        } => match &expr.kind {
            // A literal is never i64::MIN (9223372036854775808 is out of range).
            ExprKind::Const(Const::Int(i)) => i.checked_neg().map(Const::Int),
            ExprKind::Const(Const::Decimal(d)) => Some(Const::Decimal(-*d)),
            _ => None,
        },
        _ => None,
    }
}

pub(super) fn unify(a: &Type, b: &Type) -> Option<Type> {
    match (a, b) {
        _ if a == b => Some(a.clone()),
        (Type::Error, t) | (t, Type::Error) => Some(t.clone()),
        (Type::Int, Type::Decimal) | (Type::Decimal, Type::Int) => Some(Type::Decimal),
        (Type::Text, Type::Code) | (Type::Code, Type::Text) => Some(Type::Code),
        (Type::Option(x), Type::Option(y)) => unify(x, y).map(Type::option),
        (Type::Option(x), y) | (y, Type::Option(x)) => unify(x, y).map(Type::option),
        _ => None,
    }
}

pub(super) fn comparable(a: &Type, b: &Type) -> bool {
    match (a, b) {
        (Type::Error, _) | (_, Type::Error) => true,
        (Type::Int | Type::Decimal, Type::Int | Type::Decimal) => true,
        (Type::Text | Type::Code, Type::Text | Type::Code) => true,
        _ => a == b,
    }
}

pub(super) fn ordered(t: &Type) -> bool {
    matches!(
        t,
        Type::Int
            | Type::Decimal
            | Type::Date
            | Type::DateTime
            | Type::Text
            | Type::Code
            | Type::Error
    )
}

impl Checker<'_> {
    /// Reports an error if `e` cannot be used where `want` is expected.
    pub(super) fn expect_type(&mut self, e: &Expr, want: &Type) -> bool {
        if e.ty.fits(want)
            || (matches!(e.ty, Type::Text | Type::Code) && matches!(want, Type::Text | Type::Code))
        {
            return true;
        }
        if let Type::Option(inner) = &e.ty
            && inner.fits(want)
        {
            self.option_error(e.span, &e.ty);
            return false;
        }
        let (w, g) = (self.show(want), self.show(&e.ty));
        self.diags.push(
            Diagnostic::error(
                codes::TYPE_MISMATCH,
                e.span,
                text!(
                    "类型不匹配:应为 {},却是 {}",
                    "type mismatch: expected {}, found {}",
                    w,
                    g
                ),
            )
            .label(text!("这是 {}", "this is {}", g)),
        );
        false
    }

    pub(super) fn option_error(&mut self, span: Span, ty: &Type) {
        let shown = self.show(ty);
        self.diags.push(
            Diagnostic::error(codes::UNHANDLED_OPTION, span, text!("这个值可能缺失({}),不能直接使用", "this value may be absent ({}) and cannot be used directly", shown))
                .label(text!("可能缺失", "may be absent"))
                .help(text!(
                    "先判断是否存在:`when x is some(v)` 之后使用 `v`,或写 `x otherwise 默认值`",
                    "handle absence first: `when x is some(v)` then use `v`, or write `x otherwise default`"
                )),
        );
    }

    /// Checks a condition (must be Bool).
    pub(super) fn cond(&mut self, e: &ast::Expr, scope: &mut Scope) -> Expr {
        let c = self.expr(e, scope);
        if !c.ty.fits(&Type::Bool) || matches!(c.ty, Type::Option(_)) {
            let shown = self.show(&c.ty);
            self.diags.push(
                Diagnostic::error(
                    codes::NOT_BOOL,
                    c.span,
                    text!(
                        "条件必须是真假值,这里却是 {}",
                        "a condition must be a Bool, found {}",
                        shown
                    ),
                )
                .label(text!("这是 {}", "this is {}", shown))
                .help(text!(
                    "写成比较,例如 `x > 0`,或 `x is some(v)`",
                    "write a comparison such as `x > 0`, or `x is some(v)`"
                )),
            );
        }
        c
    }

    /// Checks an expression. Names bound by `is some(x)` flow out of it only through
    /// `and` chains (so a `when` clause can bind for the rest of the rule); inside any
    /// other form they stay local to that form.
    pub(super) fn expr(&mut self, e: &ast::Expr, scope: &mut Scope) -> Expr {
        let binds_outward = matches!(
            e.kind,
            ast::ExprKind::IsSome(..) | ast::ExprKind::Binary(ast::BinaryOp::And, ..)
        );
        if binds_outward {
            return self.expr_form(e, scope);
        }
        scope.push();
        let x = self.expr_form(e, scope);
        scope.pop();
        x
    }

    fn expr_form(&mut self, e: &ast::Expr, scope: &mut Scope) -> Expr {
        let span = e.span;
        let mk = |kind: ExprKind, ty: Type| Expr { kind, ty, span };
        match &e.kind {
            ast::ExprKind::Error => error(span),
            ast::ExprKind::Int(i) => mk(ExprKind::Const(Const::Int(*i)), Type::Int),
            ast::ExprKind::Decimal(d) | ast::ExprKind::Percent(d) => {
                mk(ExprKind::Const(Const::Decimal(*d)), Type::Decimal)
            }
            ast::ExprKind::Str(s) => mk(ExprKind::Const(Const::Text(s.clone())), Type::Text),
            ast::ExprKind::Bool(b) => mk(ExprKind::Const(Const::Bool(*b)), Type::Bool),
            ast::ExprKind::None => mk(ExprKind::None, Type::Option(Box::new(Type::Error))),
            ast::ExprKind::Date(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(d) => mk(ExprKind::Const(Const::Date(d)), Type::Date),
                Err(_) => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_DATE,
                            span,
                            text!("`{}` 不是有效日期", "`{}` is not a valid date", s),
                        )
                        .label(text!(
                            "日期写作 YYYY-MM-DD,且必须真实存在",
                            "dates are YYYY-MM-DD and must exist"
                        )),
                    );
                    error(span)
                }
            },
            ast::ExprKind::Name(id) => self.name(id, scope),
            ast::ExprKind::Field(base, field) => self.field(base, field, span, scope),
            ast::ExprKind::Call(callee, args) => self.call(callee, args, span, scope),
            ast::ExprKind::Unary(op, inner) => match op {
                UnaryOp::Not => {
                    scope.push();
                    let c = self.cond(inner, scope);
                    scope.pop();
                    mk(
                        ExprKind::Unary {
                            op: UnOp::Not,
                            expr: Box::new(c),
                        },
                        Type::Bool,
                    )
                }
                UnaryOp::Neg => {
                    let x = self.expr(inner, scope);
                    self.numeric(&x);
                    let ty = x.ty.clone();
                    mk(
                        ExprKind::Unary {
                            op: UnOp::Neg,
                            expr: Box::new(x),
                        },
                        ty,
                    )
                }
            },
            ast::ExprKind::Binary(op, l, r) => self.binary(*op, l, r, span, scope),
            ast::ExprKind::If(c, a, b) => {
                scope.push();
                let c = self.cond(c, scope);
                let a = self.expr(a, scope);
                scope.pop();
                let b = self.expr(b, scope);
                let ty = self.branches(&a, &b);
                mk(
                    ExprKind::If {
                        cond: Box::new(c),
                        then: Box::new(a),
                        otherwise: Box::new(b),
                    },
                    ty,
                )
            }
            ast::ExprKind::Match(s, arms, default) => {
                self.match_expr(s, arms, default.as_deref(), span, scope)
            }
            ast::ExprKind::IsSome(inner, bind) => {
                let x = self.expr(inner, scope);
                let inner_ty = self.option_inner(&x);
                let bind = bind
                    .as_ref()
                    .map(|b| scope.bind(&b.name, inner_ty, b.span, true));
                mk(
                    ExprKind::IsSome {
                        expr: Box::new(x),
                        bind,
                    },
                    Type::Bool,
                )
            }
            ast::ExprKind::IsNone(inner) => {
                let x = self.expr(inner, scope);
                self.option_inner(&x);
                mk(ExprKind::IsNone { expr: Box::new(x) }, Type::Bool)
            }
            ast::ExprKind::Otherwise(a, b) => {
                let a = self.expr(a, scope);
                let inner = self.option_inner(&a);
                let b = self.expr(b, scope);
                let ty = match unify(&inner, &b.ty) {
                    Some(t) if !matches!(t, Type::Option(_)) || matches!(b.ty, Type::Option(_)) => {
                        t
                    }
                    _ => {
                        self.expect_type(&b, &inner);
                        inner
                    }
                };
                mk(
                    ExprKind::Otherwise {
                        expr: Box::new(a),
                        default: Box::new(b),
                    },
                    ty,
                )
            }
            ast::ExprKind::InList(x, items) => {
                let x = self.expr(x, scope);
                self.no_option(&x);
                let mut singles = Vec::new();
                let mut ranges = Vec::new();
                for item in items {
                    match item {
                        ast::ListItem::One(i) => {
                            let i = self.expr(i, scope);
                            if !comparable(&x.ty, &i.ty) {
                                self.not_comparable(&x, &i);
                            }
                            singles.push(i);
                        }
                        ast::ListItem::Range(lo, hi) => {
                            self.expect_type(&x, &Type::Code);
                            let lo = self.expr(lo, scope);
                            let hi = self.expr(hi, scope);
                            self.expect_type(&lo, &Type::Code);
                            self.expect_type(&hi, &Type::Code);
                            ranges.push(Expr {
                                kind: ExprKind::Builtin {
                                    op: Builtin::InCodeRange,
                                    args: vec![x.clone(), lo, hi],
                                },
                                ty: Type::Bool,
                                span,
                            });
                        }
                    }
                }
                // `x in [a, "C00".."C97"]` is `x in [a] or in_code_range(x, "C00", "C97")`
                let mut result = (!singles.is_empty() || ranges.is_empty()).then(|| {
                    mk(
                        ExprKind::InList {
                            expr: Box::new(x),
                            items: singles,
                        },
                        Type::Bool,
                    )
                });
                for r in ranges {
                    result = Some(match result {
                        None => r,
                        Some(l) => mk(
                            ExprKind::Binary {
                                op: BinOp::Or,
                                lhs: Box::new(l),
                                rhs: Box::new(r),
                            },
                            Type::Bool,
                        ),
                    });
                }
                result.unwrap_or_else(|| error(span))
            }
            ast::ExprKind::In(x, set) => {
                let x = self.expr(x, scope);
                let set = self.expr(set, scope);
                self.no_option(&x);
                self.expect_type(&x, &Type::Code);
                if !self.expect_type(&set, &Type::Prefixes) {
                    return error(span);
                }
                mk(
                    ExprKind::Builtin {
                        op: Builtin::MatchesAny,
                        args: vec![x, set],
                    },
                    Type::Bool,
                )
            }
            ast::ExprKind::Aggregate(agg) => self.aggregate(agg, span, scope),
        }
    }

    pub(super) fn numeric(&mut self, e: &Expr) -> bool {
        if e.ty.is_numeric() {
            return true;
        }
        if let Type::Option(inner) = &e.ty
            && inner.is_numeric()
        {
            self.option_error(e.span, &e.ty);
            return false;
        }
        let shown = self.show(&e.ty);
        self.diags.push(
            Diagnostic::error(
                codes::TYPE_MISMATCH,
                e.span,
                text!(
                    "这里需要数值,却是 {}",
                    "a number is needed here, found {}",
                    shown
                ),
            )
            .label(text!("这是 {}", "this is {}", shown)),
        );
        false
    }

    pub(super) fn no_option(&mut self, e: &Expr) {
        if matches!(e.ty, Type::Option(_)) {
            self.option_error(e.span, &e.ty);
        }
    }

    /// The value type of an option; reports when `e` is not an option.
    pub(super) fn option_inner(&mut self, e: &Expr) -> Type {
        match &e.ty {
            Type::Option(t) => (**t).clone(),
            Type::Error => Type::Error,
            t => {
                let shown = self.show(t);
                self.diags.push(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        e.span,
                        text!(
                            "这个值({})总是存在,不需要判断是否缺失",
                            "this value ({}) is never absent",
                            shown
                        ),
                    )
                    .label(text!("总是有值", "always present"))
                    .help(text!("直接使用它即可", "use it directly")),
                );
                t.clone()
            }
        }
    }

    pub(super) fn not_comparable(&mut self, a: &Expr, b: &Expr) {
        let (x, y) = (self.show(&a.ty), self.show(&b.ty));
        self.diags.push(
            Diagnostic::error(
                codes::NOT_COMPARABLE,
                b.span,
                text!("{} 不能与 {} 比较", "{} cannot be compared with {}", x, y),
            )
            .label(text!("这是 {}", "this is {}", y))
            .secondary(a.span, text!("这是 {}", "this is {}", x)),
        );
    }

    pub(super) fn branches(&mut self, a: &Expr, b: &Expr) -> Type {
        match unify(&a.ty, &b.ty) {
            Some(t) => t,
            None => {
                let (x, y) = (self.show(&a.ty), self.show(&b.ty));
                self.diags.push(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        b.span,
                        text!(
                            "各分支的类型不一致:{} 与 {}",
                            "branches have different types: {} and {}",
                            x,
                            y
                        ),
                    )
                    .label(text!("这是 {}", "this is {}", y))
                    .secondary(a.span, text!("这是 {}", "this is {}", x)),
                );
                Type::Error
            }
        }
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        l: &ast::Expr,
        r: &ast::Expr,
        span: Span,
        scope: &mut Scope,
    ) -> Expr {
        let ir_op = match op {
            BinaryOp::Add => BinOp::Add,
            BinaryOp::Sub => BinOp::Sub,
            BinaryOp::Mul => BinOp::Mul,
            BinaryOp::Div => BinOp::Div,
            BinaryOp::Eq => BinOp::Eq,
            BinaryOp::Ne => BinOp::Ne,
            BinaryOp::Lt => BinOp::Lt,
            BinaryOp::Le => BinOp::Le,
            BinaryOp::Gt => BinOp::Gt,
            BinaryOp::Ge => BinOp::Ge,
            BinaryOp::And => BinOp::And,
            BinaryOp::Or => BinOp::Or,
            BinaryOp::Before => return self.before(l, r, span, scope),
        };
        let (lhs, rhs, ty) = match op {
            BinaryOp::And => {
                // bindings of the left side are visible on the right
                let a = self.cond(l, scope);
                let b = self.cond(r, scope);
                (a, b, Type::Bool)
            }
            BinaryOp::Or => {
                scope.push();
                let a = self.cond(l, scope);
                scope.pop();
                scope.push();
                let b = self.cond(r, scope);
                scope.pop();
                (a, b, Type::Bool)
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                let a = self.expr(l, scope);
                let b = self.expr(r, scope);
                let ok = self.numeric(&a) & self.numeric(&b);
                let ty = if !ok || a.ty.is_error() || b.ty.is_error() {
                    Type::Error
                } else if a.ty == Type::Int && b.ty == Type::Int && op != BinaryOp::Div {
                    Type::Int
                } else {
                    Type::Decimal
                };
                (a, b, ty)
            }
            _ => {
                let a = self.expr(l, scope);
                let b = self.expr(r, scope);
                self.no_option(&a);
                self.no_option(&b);
                let is_eq = matches!(op, BinaryOp::Eq | BinaryOp::Ne);
                let both_plain =
                    !matches!(a.ty, Type::Option(_)) && !matches!(b.ty, Type::Option(_));
                if both_plain && !comparable(&a.ty, &b.ty) {
                    self.not_comparable(&a, &b);
                } else if both_plain && !is_eq && !ordered(&a.ty) {
                    let shown = self.show(&a.ty);
                    self.diags.push(
                        Diagnostic::error(
                            codes::NOT_COMPARABLE,
                            span,
                            text!(
                                "{} 类型的值没有大小之分",
                                "values of type {} have no order",
                                shown
                            ),
                        )
                        .label(text!("不能比较大小", "cannot be ordered"))
                        .help(text!(
                            "只能用 `==` 或 `!=` 比较",
                            "compare with `==` or `!=` only"
                        )),
                    );
                }
                (a, b, Type::Bool)
            }
        };
        Expr {
            kind: ExprKind::Binary {
                op: ir_op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            ty,
            span,
        }
    }
}
