//! Compound forms: `match` and aggregates over lists.

use super::Checker;
use super::expr::{comparable, literal, ordered};
use super::scope::Scope;
use crate::diagnostic::{Diagnostic, Text, codes};
use crate::ir::{AggKind, Const, Expr, ExprKind};
use crate::source::Span;
use crate::syntax::ast;
use crate::text;
use crate::types::Type;

impl Checker<'_> {
    pub(super) fn match_expr(
        &mut self,
        scrutinee: &ast::Expr,
        arms: &[ast::MatchArm],
        default: Option<&ast::Expr>,
        span: Span,
        scope: &mut Scope,
    ) -> Expr {
        let s = self.expr(scrutinee, scope);
        self.no_option(&s);
        let mut out_arms = Vec::new();
        let mut ty: Option<Type> = None;
        let mut covered = Vec::new();
        let mut first_body: Option<Expr> = None;
        for arm in arms {
            let mut consts = Vec::new();
            for p in &arm.patterns {
                let pe = self.expr(p, scope);
                // A pattern is a literal, negative numbers included (`-1 => …`).
                match &literal(&pe) {
                    Some(c) => {
                        if !comparable(&s.ty, &pe.ty) {
                            self.not_comparable(&s, &pe);
                        }
                        if let Const::Enum(_, v) = c {
                            covered.push(*v);
                        }
                        let c = match (c, &s.ty) {
                            (Const::Text(t), Type::Code) => Const::Code(t.clone()),
                            (c, _) => c.clone(),
                        };
                        consts.push(c);
                    }
                    None if pe.ty.is_error() => {}
                    None => self.diags.push(
                        Diagnostic::error(
                            codes::NOT_CONSTANT,
                            pe.span,
                            text!("match 的分支必须是常量", "match patterns must be constants"),
                        )
                        .label(text!("不是常量", "not a constant")),
                    ),
                }
            }
            let body = self.expr(&arm.body, scope);
            ty = Some(match (&ty, &first_body) {
                (Some(t), Some(fb)) => {
                    let t2 = Expr {
                        ty: t.clone(),
                        ..fb.clone()
                    };
                    self.branches(&t2, &body)
                }
                _ => body.ty.clone(),
            });
            if first_body.is_none() {
                first_body = Some(body.clone());
            }
            out_arms.push((consts, body));
        }
        let default = default.map(|d| {
            let body = self.expr(d, scope);
            if let (Some(t), Some(fb)) = (&ty, &first_body) {
                let t2 = Expr {
                    ty: t.clone(),
                    ..fb.clone()
                };
                ty = Some(self.branches(&t2, &body));
            } else {
                ty = Some(body.ty.clone());
            }
            Box::new(body)
        });
        if default.is_none() {
            // `match <scrutinee>`, not the whole (multi-line) match with its arms
            let head = Span {
                end: s.span.end.max(span.start),
                ..span
            };
            if let Type::Enum(e) = s.ty {
                let decl = self.program.enum_decl(e);
                let missing: Vec<&crate::ir::Variant> = (0..decl.variants.len())
                    .filter(|v| !covered.contains(&(*v as u32)))
                    .map(|v| &decl.variants[v])
                    .collect();
                if !missing.is_empty() {
                    let zh: Vec<String> = missing
                        .iter()
                        .map(|v| format!("{}({})", v.name, v.label))
                        .collect();
                    let en: Vec<&str> = missing.iter().map(|v| v.name.as_str()).collect();
                    self.diags.push(
                        Diagnostic::error(
                            codes::NON_EXHAUSTIVE,
                            head,
                            crate::diagnostic::Text::new(
                                format!("match 没有覆盖 {}", zh.join("、")),
                                format!("match does not cover {}", en.join(", ")),
                            ),
                        )
                        .label(text!("缺少分支", "missing arms"))
                        .help(text!(
                            "为这些取值各加一个分支,或加上 `else => …`",
                            "add an arm for each of them, or `else => …`"
                        )),
                    );
                }
            } else if !s.ty.is_error() {
                self.diags.push(
                    Diagnostic::error(
                        codes::NON_EXHAUSTIVE,
                        head,
                        text!("match 需要 `else` 分支", "match needs an `else` arm"),
                    )
                    .label(text!("可能没有分支匹配", "a value may match no arm"))
                    .help(text!(
                        "只有枚举能列出全部取值;其他类型请加上 `else => …`",
                        "only enums can list every value; add `else => …`"
                    )),
                );
            }
        }
        let ty = ty.unwrap_or(Type::Error);
        Expr {
            kind: ExprKind::Match {
                scrutinee: Box::new(s),
                arms: out_arms,
                default,
            },
            ty,
            span,
        }
    }

    /// The element type of a list (reported when `list` is not one).
    pub(super) fn list_element(&mut self, list: &Expr) -> Type {
        match &list.ty {
            Type::List(t) => (**t).clone(),
            Type::Error => Type::Error,
            other => {
                let shown = self.show(other);
                self.diags.push(
                    Diagnostic::error(
                        codes::NOT_A_LIST,
                        list.span,
                        text!(
                            "只能对列表汇总,这里却是 {}",
                            "aggregates run over a list, found {}",
                            shown
                        ),
                    )
                    .label(text!("不是列表", "not a list")),
                );
                Type::Error
            }
        }
    }

    pub(super) fn aggregate(
        &mut self,
        agg: &ast::Aggregate,
        span: Span,
        scope: &mut Scope,
    ) -> Expr {
        let kind = match agg.kind.name.as_str() {
            "any" => AggKind::Any,
            "all" => AggKind::All,
            "count" => AggKind::Count,
            "sum" => AggKind::Sum,
            "min" => AggKind::Min,
            "max" => AggKind::Max,
            "first" => AggKind::First,
            "last" => AggKind::Last,
            _ => AggKind::Filter,
        };
        let list = self.expr(&agg.list, scope);
        let elem = self.list_element(&list);
        scope.push();
        let var = scope.bind(&agg.var.name, elem.clone(), agg.var.span, false);
        let filter = agg.filter.as_ref().map(|f| Box::new(self.cond(f, scope)));
        let body = agg.body.as_ref().map(|b| self.expr(b, scope));
        scope.pop();
        let ty = match kind {
            AggKind::Any | AggKind::All => Type::Bool,
            AggKind::Count => Type::Int,
            AggKind::Filter => Type::List(Box::new(elem.clone())),
            AggKind::First | AggKind::Last => body
                .as_ref()
                .map_or(elem.clone(), |b| b.ty.clone())
                .option(),
            AggKind::Sum | AggKind::Min | AggKind::Max => {
                let t = body.as_ref().map_or(elem.clone(), |b| b.ty.clone());
                let probe = body.clone().unwrap_or(Expr {
                    kind: ExprKind::Local(var),
                    ty: t.clone(),
                    span,
                });
                if kind == AggKind::Sum {
                    self.numeric(&probe);
                    t
                } else {
                    self.no_option(&probe);
                    if !ordered(&t) {
                        self.numeric(&probe);
                    }
                    t.option()
                }
            }
        };
        if body.is_some()
            && matches!(
                kind,
                AggKind::Any | AggKind::All | AggKind::Count | AggKind::Filter
            )
        {
            self.diags.push(
                Diagnostic::error(
                    codes::UNEXPECTED_TOKEN,
                    span,
                    Text::new(
                        format!(
                            "`{}` 的写法是 `{}(x in 列表 where 条件)`",
                            agg.kind.name, agg.kind.name
                        ),
                        format!(
                            "`{}` is written `{}(x in list where condition)`",
                            agg.kind.name, agg.kind.name
                        ),
                    ),
                )
                .label(text!("这里不需要 `… for`", "no `… for` here")),
            );
        }
        let body = match kind {
            AggKind::Sum | AggKind::Min | AggKind::Max => Some(body.unwrap_or(Expr {
                kind: ExprKind::Local(var),
                ty: elem,
                span: agg.var.span,
            })),
            _ => body,
        }
        .map(Box::new);
        Expr {
            kind: ExprKind::Aggregate {
                kind,
                var,
                list: Box::new(list),
                filter,
                body,
            },
            ty,
            span,
        }
    }
}
