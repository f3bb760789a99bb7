//! Type checking of expressions and their lowering to IR.

use super::Checker;
use super::scope::Scope;
use super::similar::closest;
use crate::diagnostic::{Diagnostic, Text, codes};
use crate::ir::{AggKind, BinOp, Builtin, Const, Expr, ExprKind, LookupMode, UnOp};
use crate::source::Span;
use crate::syntax::ast::{self, BinaryOp, UnaryOp};
use crate::text;
use crate::types::Type;
use chrono::NaiveDate;
use rust_decimal::Decimal;

fn error(span: Span) -> Expr {
    Expr {
        kind: ExprKind::None,
        ty: Type::Error,
        span,
    }
}

/// The common type of two branches (if/match/otherwise), if any.
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

fn comparable(a: &Type, b: &Type) -> bool {
    match (a, b) {
        (Type::Error, _) | (_, Type::Error) => true,
        (Type::Int | Type::Decimal, Type::Int | Type::Decimal) => true,
        (Type::Text | Type::Code, Type::Text | Type::Code) => true,
        _ => a == b,
    }
}

fn ordered(t: &Type) -> bool {
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

    pub(super) fn expr(&mut self, e: &ast::Expr, scope: &mut Scope) -> Expr {
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
                let items: Vec<Expr> = items
                    .iter()
                    .map(|i| {
                        let i = self.expr(i, scope);
                        if !comparable(&x.ty, &i.ty) {
                            self.not_comparable(&x, &i);
                        }
                        i
                    })
                    .collect();
                mk(
                    ExprKind::InList {
                        expr: Box::new(x),
                        items,
                    },
                    Type::Bool,
                )
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

    fn numeric(&mut self, e: &Expr) -> bool {
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

    fn no_option(&mut self, e: &Expr) {
        if matches!(e.ty, Type::Option(_)) {
            self.option_error(e.span, &e.ty);
        }
    }

    /// The value type of an option; reports when `e` is not an option.
    fn option_inner(&mut self, e: &Expr) -> Type {
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

    fn not_comparable(&mut self, a: &Expr, b: &Expr) {
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

    fn branches(&mut self, a: &Expr, b: &Expr) -> Type {
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

    fn name(&mut self, id: &ast::Ident, scope: &mut Scope) -> Expr {
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

    fn field(
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

    fn args(&mut self, args: &[ast::Expr], scope: &mut Scope) -> Vec<Expr> {
        args.iter().map(|a| self.expr(a, scope)).collect()
    }

    fn arity(&mut self, span: Span, name: &str, want: usize, got: usize) -> bool {
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

    fn call(
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
                other => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::UNKNOWN_METHOD,
                            method.span,
                            text!("表不支持 `{}` 查询", "tables have no lookup `{}`", other),
                        )
                        .label(text!("未知的查询方式", "unknown lookup"))
                        .help(text!(
                            "用 `{}.get(编码)` 精确查询,或 `{}.prefix(编码)` 按最长前缀查询",
                            "use `{}.get(code)` (exact key) or `{}.prefix(code)` (longest prefix)",
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
            return Expr {
                kind: ExprKind::Lookup {
                    table,
                    mode,
                    key: Box::new(key),
                },
                ty: Type::Option(Box::new(Type::Row(table))),
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
            Builtin::DateOf => (&[Type::DateTime], Type::Date),
            Builtin::YearsBetween | Builtin::DaysBetween => (&[Type::Date, Type::Date], Type::Int),
            Builtin::AddDays => (&[Type::Date, Type::Int], Type::Date),
            Builtin::Round => (&[Type::Decimal, Type::Decimal], Type::Decimal),
            Builtin::Min | Builtin::Max => (&[Type::Decimal, Type::Decimal], Type::Decimal),
            Builtin::Len => (&[Type::Error], Type::Int),
            Builtin::MonthOf => (&[Type::Error], Type::Text),
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
            Builtin::MonthOf => {
                if !matches!(a[0].ty, Type::Date | Type::DateTime | Type::Error) {
                    self.expect_type(&a[0], &Type::Date);
                }
                Type::Text
            }
            Builtin::DateOf if a[0].ty == Type::Date => Type::Date,
            _ => sig.1,
        };
        Expr {
            kind: ExprKind::Builtin { op, args: a },
            ty,
            span,
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

    fn match_expr(
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
                match &pe.kind {
                    ExprKind::Const(c) => {
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
                    _ if pe.ty.is_error() => {}
                    _ => self.diags.push(
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

    fn aggregate(&mut self, agg: &ast::Aggregate, span: Span, scope: &mut Scope) -> Expr {
        let kind = match agg.kind.name.as_str() {
            "any" => AggKind::Any,
            "all" => AggKind::All,
            "count" => AggKind::Count,
            "sum" => AggKind::Sum,
            "min" => AggKind::Min,
            "max" => AggKind::Max,
            _ => AggKind::Filter,
        };
        let list = self.expr(&agg.list, scope);
        let elem = match &list.ty {
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
        };
        scope.push();
        let var = scope.bind(&agg.var.name, elem.clone(), agg.var.span, false);
        let filter = agg.filter.as_ref().map(|f| Box::new(self.cond(f, scope)));
        let body = agg.body.as_ref().map(|b| self.expr(b, scope));
        scope.pop();
        let ty = match kind {
            AggKind::Any | AggKind::All => Type::Bool,
            AggKind::Count => Type::Int,
            AggKind::Filter => Type::List(Box::new(elem.clone())),
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
