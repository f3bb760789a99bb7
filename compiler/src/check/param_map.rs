//! Map parameters (`param NAME: V by K = {key: value, …, else: value}`): the
//! declaration's literal (H0035: a repeated key or `else`, a key of the wrong type,
//! `else` not last) and lookups `NAME(key)` (H0036: a map without a key, a plain
//! parameter with one, a key of the wrong type).

use super::Checker;
use super::expr::{error, literal};
use super::scope::Scope;
use crate::diagnostic::{Diagnostic, codes};
use crate::ir::{Const, ConstMap, Expr, ExprKind, ParamId};
use crate::source::Span;
use crate::syntax::ast;
use crate::text;
use crate::types::Type;
use std::collections::HashMap;

impl Checker<'_> {
    /// Defines parameter `id`, declared with `by K` or a `{…}` literal (or both):
    /// its key type, value type `ty` and entries.
    pub(super) fn define_map_param(&mut self, p: &ast::ParamItem, id: ParamId, ty: Type) {
        let key_ty = match &p.key {
            Some(k) => {
                let t = self.resolve_type(k);
                if matches!(
                    t,
                    Type::Int | Type::Code | Type::Text | Type::Enum(_) | Type::Error
                ) {
                    t
                } else {
                    let shown = self.show(&t);
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_MAP_LITERAL,
                            k.span(),
                            text!(
                                "参数的键不能是 {} 类型",
                                "a parameter cannot be keyed by {}",
                                shown
                            ),
                        )
                        .label(text!("键的类型", "key type"))
                        .help(text!(
                            "键可以是 Int、Code、Text 或一个枚举",
                            "keys can be Int, Code, Text or an enum"
                        )),
                    );
                    Type::Error
                }
            }
            None => Type::Error,
        };
        if !ty.is_plain() {
            let shown = self.show(&ty);
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_MAP_LITERAL,
                    p.ty.span(),
                    text!(
                        "按键取值的参数不能取 {} 类型的值",
                        "a parameter keyed by something cannot hold {} values",
                        shown
                    ),
                )
                .label(text!("取值的类型", "value type"))
                .help(text!(
                    "取值可以是 Decimal、Int、Text、Code、Date、Bool、Prefixes 或一个枚举",
                    "values can be Decimal, Int, Text, Code, Date, Bool, Prefixes or an enum"
                )),
            );
        }
        let map = match &p.default {
            ast::ParamDefault::Map(entries, span) => {
                if p.key.is_none() {
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_MAP_LITERAL,
                            *span,
                            text!(
                                "参数 `{}` 的默认值是按键取值的表,但没有写键的类型",
                                "parameter `{}` has a map default but no key type",
                                p.name.name
                            ),
                        )
                        .label(text!("按键取值", "a map"))
                        .help(text!(
                            "在类型后写明键的类型,例如 `param {}: Decimal by Int = {{3: 700, else: 300}}`",
                            "write the key type after the type, e.g. `param {}: Decimal by Int = {{3: 700, else: 300}}`",
                            p.name.name
                        )),
                    );
                }
                self.map_literal(entries, &key_ty, &ty)
            }
            ast::ParamDefault::Value(e) => {
                let shown = self.show(&key_ty);
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_MAP_LITERAL,
                        e.span,
                        text!(
                            "参数 `{}` 按 {} 取值,默认值应是 `{{键: 值, …, else: 值}}`",
                            "parameter `{}` is keyed by {}: its default should be `{{key: value, …, else: value}}`",
                            p.name.name,
                            shown
                        ),
                    )
                    .label(text!("不是按键取值的表", "not a map"))
                    .help(text!(
                        "所有键取同一个值时写 `{{else: 值}}`",
                        "for one value whatever the key, write `{{else: value}}`"
                    )),
                );
                // read as `{else: value}`, so that lookups report nothing more
                ConstMap {
                    entries: Vec::new(),
                    otherwise: self.const_expr(e, &ty).map(Box::new),
                }
            }
        };
        let decl = &mut self.program.params[id.0 as usize];
        decl.ty = ty;
        decl.key = Some(key_ty);
        decl.default = Const::Map(map);
    }

    /// The entries of `{key: value, …, else: value}`, each problem reported once.
    fn map_literal(&mut self, entries: &[ast::MapEntry], key_ty: &Type, ty: &Type) -> ConstMap {
        let mut map = ConstMap::default();
        let mut seen: HashMap<Const, Span> = HashMap::new();
        let mut first_else: Option<Span> = None;
        for (i, entry) in entries.iter().enumerate() {
            let value = self.const_expr(&entry.value, ty);
            let Some(key) = &entry.key else {
                if let Some(first) = first_else {
                    let d = map_error(
                        entry.key_span,
                        text!("`else` 写了两次", "`else` is given twice"),
                        text!("重复的 `else`", "second `else`"),
                    )
                    .secondary(first, text!("第一个 `else`", "first `else`"));
                    self.diags.push(d);
                } else {
                    first_else = Some(entry.key_span);
                    let later_else = entries[i + 1..].iter().any(|e| e.key.is_none());
                    if i + 1 < entries.len() && !later_else {
                        let d = map_error(
                            entry.key_span,
                            text!("`else` 必须写在最后", "`else` must come last"),
                            text!("后面还有键", "keys follow it"),
                        )
                        .help(text!(
                            "把 `else: …` 移到最后一项",
                            "move `else: …` to the end of the map"
                        ));
                        self.diags.push(d);
                    }
                    map.otherwise = value.map(Box::new);
                }
                continue;
            };
            let Some(k) = self.map_key(key, key_ty) else {
                continue;
            };
            if let Some(&first) = seen.get(&k) {
                let shown = self.key_text(&k);
                let d = map_error(
                    key.span,
                    text!("键 {} 重复", "duplicate key {}", shown),
                    text!("重复的键", "repeated key"),
                )
                .secondary(first, text!("第一次出现", "first given here"));
                self.diags.push(d);
                continue;
            }
            seen.insert(k.clone(), key.span);
            if let Some(v) = value {
                map.entries.push((k, v));
            }
        }
        map
    }

    /// A key of the literal: a constant of the key type (an enum key may be a bare
    /// variant name of that enum, even one other enums share).
    fn map_key(&mut self, key: &ast::Expr, key_ty: &Type) -> Option<Const> {
        if let (ast::ExprKind::Name(n), Type::Enum(e)) = (&key.kind, key_ty) {
            let decl = self.program.enum_decl(*e);
            if let Some(v) = decl.variant(&n.name) {
                return Some(Const::Enum(*e, v));
            }
        }
        let checked = self.expr(key, &mut Scope::new());
        if checked.ty.is_error() {
            return None;
        }
        let c = literal(&checked);
        let fits = match (&c, key_ty) {
            (_, Type::Error) => true,
            (Some(Const::Int(_)), Type::Int) => true,
            (Some(Const::Text(_)), Type::Text | Type::Code) => true,
            (Some(Const::Enum(a, _)), Type::Enum(b)) => a == b,
            _ => false,
        };
        if !fits {
            let (want, got) = (self.show(key_ty), self.show(&checked.ty));
            let mut d = map_error(
                key.span,
                text!(
                    "键应为 {} 常量,却是 {}",
                    "the key should be a {} constant, found {}",
                    want,
                    got
                ),
                text!("这是 {}", "this is {}", got),
            );
            if let Type::Enum(e) = key_ty {
                let names: Vec<&str> = self
                    .program
                    .enum_decl(*e)
                    .variants
                    .iter()
                    .map(|v| v.name.as_str())
                    .collect();
                d = d.help(text!("可用的键:{}", "keys: {}", names.join(", ")));
            }
            self.diags.push(d);
            return None;
        }
        match (c?, key_ty) {
            (Const::Text(s), Type::Code) => Some(Const::Code(s)),
            (c, _) => Some(c),
        }
    }

    /// A lookup `NAME(args)` where NAME is a parameter.
    pub(super) fn param_lookup(
        &mut self,
        p: ParamId,
        name: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
        scope: &mut Scope,
    ) -> Expr {
        self.used_params[p.0 as usize] = true;
        let a = self.args(args, scope);
        let decl = &self.program.params[p.0 as usize];
        let (decl_span, ty) = (decl.span, decl.ty.clone());
        let (Some(key_ty), Const::Map(map)) = (decl.key.clone(), &decl.default) else {
            self.diags.push(
                Diagnostic::error(
                    codes::MAP_PARAM_USE,
                    span,
                    text!(
                        "参数 `{}` 不按键取值,不能写 `{}(…)`",
                        "parameter `{}` is not keyed: it cannot be used as `{}(…)`",
                        name.name,
                        name.name
                    ),
                )
                .label(text!("不是按键取值的参数", "not a keyed parameter"))
                .secondary(
                    decl_span,
                    text!("参数在这里声明", "parameter declared here"),
                )
                .help(text!("直接写 `{}`", "write just `{}`", name.name)),
            );
            return error(span);
        };
        let has_else = map.otherwise.is_some();
        if a.len() != 1 {
            self.diags.push(
                Diagnostic::error(
                    codes::MAP_PARAM_USE,
                    span,
                    text!(
                        "参数 `{}` 需要一个键,这里给了 {} 个",
                        "parameter `{}` takes one key, {} given",
                        name.name,
                        a.len()
                    ),
                )
                .label(text!("应给一个键", "one key expected"))
                .secondary(
                    decl_span,
                    text!("参数在这里声明", "parameter declared here"),
                ),
            );
            return error(span);
        }
        let key = a.into_iter().next().expect("one argument");
        let fits = key.ty.fits(&key_ty)
            || (matches!(key.ty, Type::Text | Type::Code)
                && matches!(key_ty, Type::Text | Type::Code));
        if !fits {
            if let Type::Option(inner) = &key.ty
                && inner.fits(&key_ty)
            {
                self.option_error(key.span, &key.ty);
            } else {
                let (want, got) = (self.show(&key_ty), self.show(&key.ty));
                self.diags.push(
                    Diagnostic::error(
                        codes::MAP_PARAM_USE,
                        key.span,
                        text!(
                            "参数 `{}` 的键应为 {},却是 {}",
                            "the key of parameter `{}` should be {}, found {}",
                            name.name,
                            want,
                            got
                        ),
                    )
                    .label(text!("这是 {}", "this is {}", got))
                    .secondary(decl_span, text!("按 {} 取值", "keyed by {}", want)),
                );
            }
            return error(span);
        }
        let ty = if has_else { ty } else { ty.option() };
        Expr {
            kind: ExprKind::ParamLookup {
                param: p,
                key: Box::new(key),
            },
            ty,
            span,
        }
    }

    /// `NAME` alone where NAME is a map parameter.
    pub(super) fn map_without_key(&mut self, p: ParamId, name: &str, span: Span) -> Expr {
        let decl = &self.program.params[p.0 as usize];
        let key = decl.key.clone().unwrap_or(Type::Error);
        let (decl_span, shown) = (decl.span, self.show(&key));
        self.diags.push(
            Diagnostic::error(
                codes::MAP_PARAM_USE,
                span,
                text!(
                    "参数 `{}` 按 {} 取值,使用时要给出键",
                    "parameter `{}` is keyed by {}: give a key",
                    name,
                    shown
                ),
            )
            .label(text!("缺少键", "key missing"))
            .secondary(
                decl_span,
                text!("参数在这里声明", "parameter declared here"),
            )
            .help(text!(
                "写 `{}(键)`,例如 `{}(tier(visit))`",
                "write `{}(key)`, e.g. `{}(tier(visit))`",
                name,
                name
            )),
        );
        error(span)
    }
}

impl Checker<'_> {
    /// A key as the source writes it: `3`, `"A01"`, `inpatient`.
    fn key_text(&self, k: &Const) -> String {
        match k {
            Const::Int(i) => i.to_string(),
            Const::Text(t) | Const::Code(t) => format!("{t:?}"),
            Const::Enum(e, v) => self.program.enum_decl(*e).variants[*v as usize]
                .name
                .clone(),
            other => format!("{other:?}"),
        }
    }
}

fn map_error(
    span: Span,
    msg: crate::diagnostic::Text,
    label: crate::diagnostic::Text,
) -> Diagnostic {
    Diagnostic::error(codes::BAD_MAP_LITERAL, span, msg).label(label)
}
