//! Names, fields and calls: locals, parameters, enum variants, record fields,
//! table lookups, user functions and builtins.

use super::Checker;
use super::expr::error;
use super::scope::Scope;
use super::similar::closest;
use crate::diagnostic::{Diagnostic, codes};
use crate::ir::{Builtin, Const, Expr, ExprKind, LookupMode};
use crate::source::Span;
use crate::syntax::ast;
use crate::text;
use crate::types::Type;
use rust_decimal::Decimal;

impl Checker<'_> {
    pub(super) fn name(&mut self, id: &ast::Ident, scope: &mut Scope) -> Expr {
        let span = id.span;
        if let Some((local, ty)) = scope.lookup(&id.name) {
            return Expr {
                kind: ExprKind::Local(local),
                ty,
                span,
            };
        }
        if let Some(&p) = self.names.params.get(&id.name) {
            self.used_params[p.0 as usize] = true;
            if self.program.params[p.0 as usize].key.is_some() {
                return self.map_without_key(p, &id.name, span);
            }
            let ty = self.program.params[p.0 as usize].ty.clone();
            return Expr {
                kind: ExprKind::Param(p),
                ty,
                span,
            };
        }
        if let Some(vs) = self.names.variants.get(&id.name).cloned() {
            if vs.len() > 1 {
                let names: Vec<String> = vs
                    .iter()
                    .map(|(e, _)| format!("{}.{}", self.program.enum_decl(*e).name, id.name))
                    .collect();
                self.diags.push(
                    Diagnostic::error(
                        codes::AMBIGUOUS_VARIANT,
                        span,
                        text!(
                            "`{}` 是多个枚举的取值",
                            "`{}` is a variant of several enums",
                            id.name
                        ),
                    )
                    .label(text!("不明确", "ambiguous"))
                    .help(text!(
                        "写明是哪一个:{}",
                        "say which one: {}",
                        names.join(", ")
                    )),
                );
                return error(span);
            }
            let (e, v) = vs[0];
            return Expr {
                kind: ExprKind::Const(Const::Enum(e, v)),
                ty: Type::Enum(e),
                span,
            };
        }
        if self.names.tables.contains_key(&id.name) {
            self.diags.push(
                Diagnostic::error(codes::UNKNOWN_METHOD, span, text!("知识库表 `{}` 要通过查询使用", "table `{}` must be looked up", id.name))
                    .label(text!("这是一张表", "this is a table"))
                    .help(text!("写 `{}.get(编码)` 精确查询,或 `{}.prefix(编码)` 按最长前缀查询", "write `{}.get(code)` for an exact key or `{}.prefix(code)` for the longest prefix", id.name, id.name)),
            );
            return error(span);
        }
        let mut candidates = scope.names();
        candidates.extend(self.names.params.keys().cloned());
        candidates.extend(self.names.variants.keys().cloned());
        candidates.extend(self.names.funcs.keys().cloned());
        let mut d = Diagnostic::error(
            codes::UNKNOWN_NAME,
            span,
            text!("未定义的名称 `{}`", "unknown name `{}`", id.name),
        )
        .label(text!("找不到这个名称", "not found in this scope"));
        if let Some(s) = closest(&id.name, candidates.iter().map(String::as_str)) {
            d = d.help(text!("是不是 `{}`?", "did you mean `{}`?", s));
        } else {
            d = d.help(text!(
                "名称必须先定义:用 `let` 定义变量,或用 `is some(名称)` 取出可能缺失的值",
                "names must be defined first: with `let`, or by `is some(name)` on an optional value"
            ));
        }
        self.diags.push(d);
        error(span)
    }

    pub(super) fn field(
        &mut self,
        base: &ast::Expr,
        field: &ast::Ident,
        span: Span,
        scope: &mut Scope,
    ) -> Expr {
        // `Enum.variant`
        if let ast::ExprKind::Name(n) = &base.kind
            && scope.lookup(&n.name).is_none()
            && let Some(&e) = self.names.enums.get(&n.name)
        {
            let decl = self.program.enum_decl(e);
            return match decl.variant(&field.name) {
                Some(v) => Expr {
                    kind: ExprKind::Const(Const::Enum(e, v)),
                    ty: Type::Enum(e),
                    span,
                },
                None => {
                    let names: Vec<String> = decl.variants.iter().map(|v| v.name.clone()).collect();
                    let d = Diagnostic::error(
                        codes::UNKNOWN_VARIANT,
                        field.span,
                        text!(
                            "枚举 {} 没有取值 `{}`",
                            "enum {} has no variant `{}`",
                            decl.name,
                            field.name
                        ),
                    )
                    .label(text!("没有这个取值", "no such variant"))
                    .help(text!(
                        "可用的取值:{}",
                        "variants: {}",
                        names.join(", ")
                    ));
                    self.diags.push(d);
                    error(span)
                }
            };
        }
        if let Some(h) = self.history_field(base, field, span, scope) {
            return h;
        }
        let b = self.expr(base, scope);
        let fields = match &b.ty {
            Type::Error => return error(span),
            Type::Record(r) => {
                let decl = self.program.record(*r);
                (decl.name.clone(), decl.fields.clone())
            }
            Type::Row(t) => {
                let decl = self.program.table(*t);
                (decl.name.clone(), decl.columns.clone())
            }
            Type::Option(inner) if matches!(**inner, Type::Record(_) | Type::Row(_)) => {
                self.option_error(b.span, &b.ty);
                return error(span);
            }
            other => {
                let shown = self.show(other);
                self.diags.push(
                    Diagnostic::error(
                        codes::UNKNOWN_FIELD,
                        field.span,
                        text!(
                            "{} 类型的值没有字段",
                            "a value of type {} has no fields",
                            shown
                        ),
                    )
                    .label(text!(
                        "不能取字段 `{}`",
                        "cannot take field `{}`",
                        field.name
                    ))
                    .secondary(b.span, text!("这是 {}", "this is {}", shown)),
                );
                return error(span);
            }
        };
        match fields.1.iter().position(|f| f.name == field.name) {
            Some(i) => Expr {
                kind: ExprKind::Field {
                    base: Box::new(b),
                    index: i as u32,
                },
                ty: fields.1[i].ty.clone(),
                span,
            },
            None => {
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_FIELD,
                    field.span,
                    text!(
                        "{} 没有字段 `{}`",
                        "{} has no field `{}`",
                        fields.0,
                        field.name
                    ),
                )
                .label(text!("没有这个字段", "unknown field"));
                d = match closest(&field.name, fields.1.iter().map(|f| f.name.as_str())) {
                    Some(s) => d.help(text!("是不是 `{}`?", "did you mean `{}`?", s)),
                    None => {
                        let names: Vec<&str> =
                            fields.1.iter().map(|f| f.name.as_str()).take(12).collect();
                        d.help(text!("可用的字段:{}", "fields: {}", names.join(", ")))
                    }
                };
                self.diags.push(d);
                error(span)
            }
        }
    }

    pub(super) fn args(&mut self, args: &[ast::Expr], scope: &mut Scope) -> Vec<Expr> {
        args.iter().map(|a| self.expr(a, scope)).collect()
    }

    pub(super) fn arity(&mut self, span: Span, name: &str, want: usize, got: usize) -> bool {
        if want == got {
            return true;
        }
        self.diags.push(
            Diagnostic::error(
                codes::ARGUMENT_COUNT,
                span,
                text!(
                    "`{}` 需要 {} 个参数,这里给了 {} 个",
                    "`{}` takes {} arguments, {} given",
                    name,
                    want,
                    got
                ),
            )
            .label(text!("参数个数不对", "wrong number of arguments")),
        );
        false
    }

    pub(super) fn call(
        &mut self,
        callee: &ast::Expr,
        args: &[ast::Expr],
        span: Span,
        scope: &mut Scope,
    ) -> Expr {
        // table lookups: `item_limits.prefix(code)`
        if let ast::ExprKind::Field(base, method) = &callee.kind
            && let ast::ExprKind::Name(t) = &base.kind
            && let Some(&table) = self.names.tables.get(&t.name)
        {
            self.used_tables[table.0 as usize] = true;
            let mode = match method.name.as_str() {
                "get" => LookupMode::Exact,
                "prefix" => LookupMode::Prefix,
                "all" => LookupMode::All,
                other => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::UNKNOWN_METHOD,
                            method.span,
                            text!("表不支持 `{}` 查询", "tables have no lookup `{}`", other),
                        )
                        .label(text!("未知的查询方式", "unknown lookup"))
                        .help(text!(
                            "用 `{}.get(编码)` 精确查询,`{}.prefix(编码)` 按最长前缀查询,`{}.all(编码)` 取前缀匹配的全部行",
                            "use `{}.get(code)` (exact key), `{}.prefix(code)` (longest prefix) or `{}.all(code)` (every row whose key prefixes the code)",
                            t.name,
                            t.name,
                            t.name
                        )),
                    );
                    return error(span);
                }
            };
            let mut a = self.args(args, scope);
            if !self.arity(span, &method.name, 1, a.len()) {
                return error(span);
            }
            let key = a.remove(0);
            self.no_option(&key);
            self.expect_type(&key, &Type::Code);
            let ty = match mode {
                LookupMode::All => Type::List(Box::new(Type::Row(table))),
                _ => Type::Option(Box::new(Type::Row(table))),
            };
            return Expr {
                kind: ExprKind::Lookup {
                    table,
                    mode,
                    key: Box::new(key),
                },
                ty,
                span,
            };
        }
        let ast::ExprKind::Name(name) = &callee.kind else {
            self.diags.push(
                Diagnostic::error(
                    codes::UNKNOWN_NAME,
                    callee.span,
                    text!("这不是可以调用的函数", "this is not a function"),
                )
                .label(text!("不能调用", "cannot be called")),
            );
            return error(span);
        };
        if let Some(&p) = self.names.params.get(&name.name) {
            return self.param_lookup(p, name, args, span, scope);
        }
        if let Some(&f) = self.names.funcs.get(&name.name) {
            let a = self.args(args, scope);
            let (params, ret) = {
                let func = &self.program.functions[f.0 as usize];
                (func.params.clone(), func.ret.clone())
            };
            if let Some(cur) = self.current_fn {
                self.calls[cur.0 as usize].push((f, name.span));
            }
            if self.arity(span, &name.name, params.len(), a.len()) {
                for (arg, (_, ty)) in a.iter().zip(&params) {
                    self.expect_type(arg, ty);
                }
            }
            return Expr {
                kind: ExprKind::Call { func: f, args: a },
                ty: ret,
                span,
            };
        }
        if name.name == "visit_of" {
            return self.visit_of(args, span, scope);
        }
        if let Some(&(_, op)) = Builtin::ALL.iter().find(|(n, _)| *n == name.name) {
            return self.builtin(op, &name.name, args, span, scope);
        }
        let candidates = self
            .names
            .funcs
            .keys()
            .map(String::as_str)
            .chain(Builtin::ALL.iter().map(|(n, _)| *n));
        let mut d = Diagnostic::error(
            codes::UNKNOWN_NAME,
            name.span,
            text!("未定义的函数 `{}`", "unknown function `{}`", name.name),
        )
        .label(text!("没有这个函数", "no such function"));
        if let Some(s) = closest(&name.name, candidates) {
            d = d.help(text!("是不是 `{}`?", "did you mean `{}`?", s));
        }
        self.diags.push(d);
        error(span)
    }

    fn builtin(
        &mut self,
        op: Builtin,
        name: &str,
        args: &[ast::Expr],
        span: Span,
        scope: &mut Scope,
    ) -> Expr {
        let mut a = self.args(args, scope);
        if op == Builtin::Round && a.len() == 1 {
            a.push(Expr {
                kind: ExprKind::Const(Const::Decimal(Decimal::new(1, 2))),
                ty: Type::Decimal,
                span,
            });
        }
        let sig: (&[Type], Type) = match op {
            Builtin::StartsWith => (&[Type::Code, Type::Code], Type::Bool),
            Builtin::MatchesAny => (&[Type::Code, Type::Prefixes], Type::Bool),
            Builtin::InCodeRange => (&[Type::Code, Type::Code, Type::Code], Type::Bool),
            Builtin::DateOf => (&[Type::Error], Type::Date),
            Builtin::YearsBetween | Builtin::DaysBetween => (&[Type::Date, Type::Date], Type::Int),
            Builtin::AddDays => (&[Type::Error, Type::Int], Type::Date),
            Builtin::Left => (&[Type::Error, Type::Int], Type::Code),
            Builtin::TextOf => (&[Type::Error], Type::Text),
            Builtin::Round => (&[Type::Decimal, Type::Decimal], Type::Decimal),
            Builtin::Min | Builtin::Max => (&[Type::Decimal, Type::Decimal], Type::Decimal),
            Builtin::Len => (&[Type::Error], Type::Int),
            Builtin::MonthOf => (&[Type::Error], Type::Text),
            Builtin::WeekStart | Builtin::MonthStart | Builtin::YearStart => {
                (&[Type::Date], Type::Date)
            }
        };
        if !self.arity(span, name, sig.0.len(), a.len()) {
            return error(span);
        }
        for (arg, want) in a.iter().zip(sig.0) {
            self.no_option(arg);
            if !want.is_error() {
                self.expect_type(arg, want);
            }
        }
        let ty = match op {
            Builtin::Min | Builtin::Max if a.iter().all(|x| x.ty == Type::Int) => Type::Int,
            Builtin::Len => {
                if !matches!(a[0].ty, Type::List(_) | Type::Error) {
                    self.expect_type(&a[0], &Type::List(Box::new(Type::Error)));
                }
                Type::Int
            }
            Builtin::AddDays => {
                if !matches!(a[0].ty, Type::Date | Type::DateTime | Type::Error) {
                    self.expect_type(&a[0], &Type::Date);
                }
                a[0].ty.clone()
            }
            Builtin::TextOf => {
                self.displayable(&a[0]);
                Type::Text
            }
            Builtin::Left => {
                if !matches!(a[0].ty, Type::Code | Type::Text | Type::Error) {
                    self.expect_type(&a[0], &Type::Code);
                }
                a[0].ty.clone()
            }
            Builtin::MonthOf => {
                if !matches!(a[0].ty, Type::Date | Type::DateTime | Type::Error) {
                    self.expect_type(&a[0], &Type::Date);
                }
                Type::Text
            }
            Builtin::DateOf => {
                if !matches!(a[0].ty, Type::Date | Type::DateTime | Type::Error) {
                    self.expect_type(&a[0], &Type::DateTime);
                }
                Type::Date
            }
            _ => sig.1,
        };
        Expr {
            kind: ExprKind::Builtin { op, args: a },
            ty,
            span,
        }
    }
}
