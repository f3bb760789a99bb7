//! Top-level declarations: records, enums, tables, parameters and functions.
//! Names are declared first (so order in the pack does not matter), then defined.

use super::scope::Scope;
use super::similar::closest;
use super::{Checker, value_text};
use crate::diagnostic::{Diagnostic, codes};
use crate::ir::{
    Const, EnumDecl, Expr, ExprKind, FieldDecl, FuncId, Function, ParamDecl, ParamId, RecordDecl,
    TableDecl, Variant,
};
use crate::source::{FileId, Span};
use crate::syntax::ast::{self, Item, TypeExpr};
use crate::text;
use crate::types::{EnumId, RecordId, TableId, Type};

const SCALARS: &[(&str, Type)] = &[
    ("Bool", Type::Bool),
    ("Int", Type::Int),
    ("Decimal", Type::Decimal),
    ("Text", Type::Text),
    ("Code", Type::Code),
    ("Prefixes", Type::Prefixes),
    ("Date", Type::Date),
    ("DateTime", Type::DateTime),
];

fn doc(s: &Option<ast::Str>) -> String {
    s.as_ref().map(|s| s.value.clone()).unwrap_or_default()
}

impl Checker<'_> {
    /// Registers every global name; reports duplicates.
    pub(super) fn declare(&mut self, items: &[(FileId, &Item)]) {
        let mut seen: std::collections::HashMap<String, Span> = std::collections::HashMap::new();
        let mut rule_ids: std::collections::HashMap<String, Span> =
            std::collections::HashMap::new();
        for (_, item) in items {
            let name = item.name();
            if self.replaced.contains(&name.span) {
                continue; // a rule an importing pack replaces
            }
            let map = if matches!(item, Item::Rule(_) | Item::Settlement(_)) {
                &mut rule_ids
            } else {
                &mut seen
            };
            if let Some(first) = map.get(&name.name) {
                self.duplicate_definition(name, *first);
                continue;
            }
            map.insert(name.name.clone(), name.span);
            match item {
                Item::Record(r) => {
                    let id = RecordId(self.program.records.len() as u32);
                    self.program.records.push(RecordDecl {
                        name: r.name.name.clone(),
                        doc: doc(&r.doc),
                        fields: Vec::new(),
                        span: r.name.span,
                    });
                    self.names.records.insert(r.name.name.clone(), id);
                    if r.name.name == "Visit" {
                        self.program.visit = Some(id);
                    }
                }
                Item::Enum(e) => {
                    let id = EnumId(self.program.enums.len() as u32);
                    let mut variants: Vec<Variant> = Vec::new();
                    for (v, label) in &e.variants {
                        if variants.iter().any(|x| x.name == v.name) {
                            self.diags.push(
                                Diagnostic::error(
                                    codes::DUPLICATE_DEFINITION,
                                    v.span,
                                    text!(
                                        "枚举取值 `{}` 重复",
                                        "variant `{}` is listed twice",
                                        v.name
                                    ),
                                )
                                .label(text!("重复的取值", "duplicate variant")),
                            );
                            continue;
                        }
                        self.names
                            .variants
                            .entry(v.name.clone())
                            .or_default()
                            .push((id, variants.len() as u32));
                        variants.push(Variant {
                            name: v.name.clone(),
                            label: doc(label),
                        });
                    }
                    self.program.enums.push(EnumDecl {
                        name: e.name.name.clone(),
                        doc: doc(&e.doc),
                        variants,
                        span: e.name.span,
                    });
                    self.names.enums.insert(e.name.name.clone(), id);
                    if e.name.name == "Severity" {
                        self.program.severity = Some(id);
                    }
                }
                Item::Table(t) => {
                    let id = TableId(self.program.tables.len() as u32);
                    self.program.tables.push(TableDecl {
                        name: t.name.name.clone(),
                        file: t.file.as_ref().unwrap_or(&t.name).name.clone(),
                        doc: doc(&t.doc),
                        many: t.many,
                        key: 0,
                        columns: Vec::new(),
                        span: t.name.span,
                    });
                    self.used_tables.push(false);
                    self.names.tables.insert(t.name.name.clone(), id);
                }
                Item::Param(p) => {
                    let id = ParamId(self.program.params.len() as u32);
                    self.program.params.push(ParamDecl {
                        name: p.name.name.clone(),
                        ty: Type::Error,
                        key: None,
                        default: Const::Bool(false),
                        doc: doc(&p.doc),
                        span: p.name.span,
                    });
                    self.used_params.push(false);
                    self.names.params.insert(p.name.name.clone(), id);
                }
                Item::Fn(f) => {
                    let id = FuncId(self.program.functions.len() as u32);
                    self.program.functions.push(Function {
                        name: f.name.name.clone(),
                        doc: doc(&f.doc),
                        params: Vec::new(),
                        ret: Type::Error,
                        body: Expr {
                            kind: ExprKind::None,
                            ty: Type::Error,
                            span: f.span,
                        },
                        frame_size: 0,
                        span: f.name.span,
                    });
                    self.calls.push(Vec::new());
                    self.names.funcs.insert(f.name.name.clone(), id);
                }
                Item::Rule(_) | Item::Settlement(_) => {}
            }
        }
    }

    pub(super) fn resolve_type(&mut self, t: &TypeExpr) -> Type {
        match t {
            TypeExpr::Error(_) => Type::Error,
            TypeExpr::Option(inner, span) => {
                let ty = self.resolve_type(inner);
                if matches!(ty, Type::Option(_)) {
                    self.diags.push(
                        Diagnostic::error(
                            codes::UNKNOWN_TYPE,
                            *span,
                            text!("`??` 没有意义", "`??` is meaningless"),
                        )
                        .label(text!("只写一个 `?`", "write a single `?`")),
                    );
                }
                ty.option()
            }
            TypeExpr::List(inner, _) => Type::List(Box::new(self.resolve_type(inner))),
            TypeExpr::Named(id) => {
                if let Some((_, t)) = SCALARS.iter().find(|(n, _)| *n == id.name) {
                    return t.clone();
                }
                if let Some(r) = self.names.records.get(&id.name) {
                    return Type::Record(*r);
                }
                if let Some(e) = self.names.enums.get(&id.name) {
                    return Type::Enum(*e);
                }
                if let Some(t) = self.names.tables.get(&id.name) {
                    return Type::Row(*t);
                }
                let mut candidates: Vec<&str> = SCALARS.iter().map(|(n, _)| *n).collect();
                candidates.extend(self.names.records.keys().map(String::as_str));
                candidates.extend(self.names.enums.keys().map(String::as_str));
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_TYPE,
                    id.span,
                    text!("未知类型 `{}`", "unknown type `{}`", id.name),
                )
                .label(text!("没有这个类型", "no such type"));
                d = match closest(&id.name, candidates) {
                    Some(s) => d.help(text!("是不是 `{}`?", "did you mean `{}`?", s)),
                    None => d.help(text!(
                        "可用的类型:Bool、Int、Decimal、Text、Code、Prefixes、Date、DateTime、List<T>、记录名和枚举名;可缺失的值写作 `T?`",
                        "types are Bool, Int, Decimal, Text, Code, Prefixes, Date, DateTime, List<T>, records and enums; optional values are `T?`"
                    )),
                };
                self.diags.push(d);
                Type::Error
            }
        }
    }

    fn fields(&mut self, items: &[ast::FieldItem], what_zh: &str, what_en: &str) -> Vec<FieldDecl> {
        let mut out: Vec<FieldDecl> = Vec::new();
        for f in items {
            if let Some(first) = out.iter().find(|x| x.name == f.name.name) {
                let first = first.span;
                self.diags.push(
                    Diagnostic::error(
                        codes::DUPLICATE_DEFINITION,
                        f.name.span,
                        crate::diagnostic::Text::new(
                            format!("{what_zh} `{}` 重复", f.name.name),
                            format!("{what_en} `{}` is declared twice", f.name.name),
                        ),
                    )
                    .label(text!("重复声明", "declared again here"))
                    .secondary(first, text!("第一次声明", "first declared here")),
                );
                continue;
            }
            let ty = self.resolve_type(&f.ty);
            out.push(FieldDecl {
                name: f.name.name.clone(),
                ty,
                doc: doc(&f.doc),
                span: f.name.span,
            });
        }
        out
    }

    pub(super) fn define_types(&mut self, items: &[(FileId, &Item)]) {
        for (_, item) in items {
            match item {
                Item::Record(r) => {
                    let Some(&id) = self.names.records.get(&r.name.name) else {
                        continue;
                    };
                    if self.program.record(id).span != r.name.span {
                        continue; // a duplicate, already reported
                    }
                    let fields = self.fields(&r.fields, "字段", "field");
                    self.program.records[id.0 as usize].fields = fields;
                }
                Item::Table(t) => {
                    let Some(&id) = self.names.tables.get(&t.name.name) else {
                        continue;
                    };
                    if self.program.table(id).span != t.name.span {
                        continue;
                    }
                    let columns = self.fields(&t.columns, "列", "column");
                    for c in &columns {
                        let ok = c.value_type().is_plain();
                        if !ok {
                            let shown = self.show(&c.ty);
                            self.diags.push(
                                Diagnostic::error(codes::TYPE_MISMATCH, c.span, text!("表的列不能是 {} 类型", "a table column cannot have type {}", shown))
                                    .label(text!("列类型", "column type"))
                                    .help(text!("表的列只能是简单值:Bool、Int、Decimal、Text、Code、Prefixes、Date 或枚举", "table columns hold plain values: Bool, Int, Decimal, Text, Code, Prefixes, Date or an enum")),
                            );
                        }
                    }
                    let key = match &t.key {
                        None => 0,
                        Some(k) => match columns.iter().position(|c| c.name == k.name) {
                            Some(i) => i,
                            None => {
                                self.diags.push(
                                    Diagnostic::error(
                                        codes::UNKNOWN_FIELD,
                                        k.span,
                                        text!(
                                            "主键 `{}` 不是表的列",
                                            "key `{}` is not a column of the table",
                                            k.name
                                        ),
                                    )
                                    .label(text!("没有这一列", "no such column")),
                                );
                                0
                            }
                        },
                    };
                    if let Some(c) = columns.get(key)
                        && (!matches!(c.ty, Type::Code | Type::Text | Type::Error))
                    {
                        let span = t.key.as_ref().map_or(c.span, |k| k.span);
                        self.diags.push(
                            Diagnostic::error(
                                codes::TYPE_MISMATCH,
                                span,
                                text!(
                                    "主键列 `{}` 必须是必填的 Code 或 Text",
                                    "key column `{}` must be a required Code or Text",
                                    c.name
                                ),
                            )
                            .label(text!("主键列", "key column")),
                        );
                    }
                    let decl = &mut self.program.tables[id.0 as usize];
                    decl.columns = columns;
                    decl.key = key;
                }
                _ => {}
            }
        }
    }

    pub(super) fn define_params(&mut self, items: &[(FileId, &Item)]) {
        for (_, item) in items {
            let Item::Param(p) = item else { continue };
            let Some(&id) = self.names.params.get(&p.name.name) else {
                continue;
            };
            if self.program.params[id.0 as usize].span != p.name.span {
                continue;
            }
            let ty = self.resolve_type(&p.ty);
            let default = match (&p.key, &p.default) {
                (None, ast::ParamDefault::Value(e)) => e,
                _ => {
                    self.define_map_param(p, id, ty);
                    continue;
                }
            };
            let default = self.const_expr(default, &ty);
            let decl = &mut self.program.params[id.0 as usize];
            decl.ty = ty;
            if let Some(d) = default {
                decl.default = d;
            }
        }
    }

    /// A parameter default: a literal of the declared type.
    pub(super) fn const_expr(&mut self, e: &ast::Expr, ty: &Type) -> Option<Const> {
        let mut scope = Scope::new();
        let checked = self.expr(e, &mut scope);
        let value = super::expr::literal(&checked);
        let Some(value) = value else {
            if !checked.ty.is_error() {
                self.diags.push(
                    Diagnostic::error(
                        codes::NOT_CONSTANT,
                        e.span,
                        text!(
                            "参数默认值必须是常量",
                            "a parameter default must be a constant"
                        ),
                    )
                    .label(text!(
                        "这里需要一个常量值",
                        "a constant value is needed here"
                    ))
                    .help(text!(
                        "写一个数字、百分比、字符串、日期或枚举取值",
                        "write a number, percentage, string, date or enum variant"
                    )),
                );
            }
            return None;
        };
        let text_for_code = checked.ty == Type::Text && matches!(ty, Type::Code | Type::Prefixes);
        if !(checked.ty.fits(ty) || text_for_code) {
            let (want, got) = (self.show(ty), self.show(&checked.ty));
            self.diags.push(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    e.span,
                    text!(
                        "默认值应为 {} 类型,却是 {}",
                        "the default should be {}, found {}",
                        want,
                        got
                    ),
                )
                .label(text!("类型是 {}", "this is {}", got)),
            );
            return None;
        }
        Some(match (value, ty) {
            (Const::Int(i), Type::Decimal) => Const::Decimal(i.into()),
            (Const::Text(s), Type::Code) => Const::Code(s),
            (Const::Text(s), Type::Prefixes) => {
                match value_text::parse_const(&self.program, &Type::Prefixes, &s) {
                    Ok(c) => c,
                    Err(_) => Const::Prefixes(Vec::new()),
                }
            }
            (v, _) => v,
        })
    }

    pub(super) fn define_function_bodies(&mut self, items: &[(FileId, &Item)]) {
        // signatures first, so bodies can call any function
        for (_, item) in items {
            let Item::Fn(f) = item else { continue };
            let Some(&id) = self.names.funcs.get(&f.name.name) else {
                continue;
            };
            if self.program.functions[id.0 as usize].span != f.name.span {
                continue;
            }
            let params: Vec<(String, Type)> = f
                .params
                .iter()
                .map(|(n, t)| (n.name.clone(), self.resolve_type(t)))
                .collect();
            let ret = self.resolve_type(&f.ret);
            let func = &mut self.program.functions[id.0 as usize];
            func.params = params;
            func.ret = ret;
        }
        for (_, item) in items {
            let Item::Fn(f) = item else { continue };
            let Some(&id) = self.names.funcs.get(&f.name.name) else {
                continue;
            };
            if self.program.functions[id.0 as usize].span != f.name.span {
                continue;
            }
            let mut scope = Scope::new();
            for ((name, ty), (ident, _)) in self.program.functions[id.0 as usize]
                .params
                .clone()
                .iter()
                .zip(&f.params)
            {
                scope.bind(name, ty.clone(), ident.span, false);
            }
            self.current_fn = Some(id);
            let body = self.expr(&f.body, &mut scope);
            self.current_fn = None;
            let ret = self.program.functions[id.0 as usize].ret.clone();
            self.expect_type(&body, &ret);
            let func = &mut self.program.functions[id.0 as usize];
            func.frame_size = scope.size();
            func.body = body;
        }
    }

    /// Reports every function that can reach itself through calls.
    pub(super) fn check_recursion(&mut self) {
        let n = self.calls.len();
        for start in 0..n {
            // depth-first search from `start` looking for a path back to it
            let mut stack: Vec<usize> = self.calls[start]
                .iter()
                .map(|(f, _)| f.0 as usize)
                .collect();
            let mut seen = vec![false; n];
            let mut recursive = false;
            while let Some(f) = stack.pop() {
                if f == start {
                    recursive = true;
                    break;
                }
                if std::mem::replace(&mut seen[f], true) {
                    continue;
                }
                stack.extend(self.calls[f].iter().map(|(g, _)| g.0 as usize));
            }
            if recursive {
                let func = &self.program.functions[start];
                let mut d = Diagnostic::error(
                    codes::RECURSION,
                    func.span,
                    text!("函数 `{}` 直接或间接调用了自己", "function `{}` calls itself, directly or indirectly", func.name),
                )
                .label(text!("递归的函数", "recursive function"))
                .help(text!("规则必须总能算完:把递归改写成汇总(sum、count、any……)", "rules must always terminate: rewrite the recursion with an aggregate (sum, count, any, …)"));
                if let Some((_, span)) = self.calls[start].first() {
                    d = d.secondary(*span, text!("在这里调用", "called here"));
                }
                self.diags.push(d);
            }
        }
    }

    /// `name` is defined a second time; `first` is where it was defined first.
    pub(super) fn duplicate_definition(&mut self, name: &ast::Ident, first: Span) {
        self.diags.push(
            Diagnostic::error(
                codes::DUPLICATE_DEFINITION,
                name.span,
                text!("`{}` 重复定义", "`{}` is defined more than once", name.name),
            )
            .label(text!("再次定义在这里", "defined again here"))
            .secondary(first, text!("第一次定义在这里", "first defined here"))
            .help(text!(
                "改用另一个名字,或删除其中一个定义",
                "rename one of them or remove the duplicate"
            )),
        );
    }

    pub(super) fn warn_unused(&mut self, items: &[(FileId, &Item)]) {
        let has_rules = items
            .iter()
            .any(|(_, i)| matches!(i, Item::Rule(_) | Item::Settlement(_)));
        if !has_rules {
            return; // a library of declarations only: nothing is "unused" yet
        }
        for (i, p) in self.program.params.iter().enumerate() {
            if !self.used_params[i] {
                self.diags.push(
                    Diagnostic::warning(
                        codes::UNUSED_PARAM,
                        p.span,
                        text!(
                            "参数 `{}` 没有被任何规则使用",
                            "parameter `{}` is never used",
                            p.name
                        ),
                    )
                    .label(text!("未使用", "unused"))
                    .help(text!(
                        "删除它,或在规则中使用它",
                        "remove it or use it in a rule"
                    )),
                );
            }
        }
        for (i, t) in self.program.tables.iter().enumerate() {
            if !self.used_tables[i] {
                self.diags.push(
                    Diagnostic::warning(
                        codes::UNUSED_TABLE,
                        t.span,
                        text!(
                            "知识库表 `{}` 没有被任何规则使用",
                            "table `{}` is never used",
                            t.name
                        ),
                    )
                    .label(text!("未使用", "unused"))
                    .help(text!(
                        "删除它,或在规则中查询它",
                        "remove it or look it up in a rule"
                    )),
                );
            }
        }
    }
}
