//! Rules: scope, clauses in order, message templates and evidence.

use super::Checker;
use super::scope::Scope;
use crate::diagnostic::{Diagnostic, Text, codes};
use crate::ir::{Const, Expr, ExprKind, GroupOf, Piece, Rule, Scope as RuleScope, Step};
use crate::source::Span;
use crate::syntax::ast::{self, ClauseKind};
use crate::syntax::template::{TemplatePiece, parse_template};
use crate::text;
use crate::types::Type;

fn valid_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 16
        && (code.starts_with("GZ") || code.starts_with("ZB"))
        && b[2..].iter().all(u8::is_ascii_digit)
}

impl Checker<'_> {
    pub(super) fn rule(&mut self, r: &ast::RuleItem, source: &str) -> Option<Rule> {
        if let Some(code) = &r.code
            && !valid_code(&code.value)
        {
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_RULE_CODE,
                    code.span,
                    text!(
                        "`{}` 不是有效的国家规则编码",
                        "`{}` is not a valid national rule code",
                        code.value
                    ),
                )
                .label(text!("编码格式有误", "malformed code"))
                .help(text!(
                    "国家规则编码是 GZ 或 ZB 加 14 位数字,例如 GZ10000101007000",
                    "national rule codes are GZ or ZB followed by 14 digits, e.g. GZ10000101007000"
                )),
            );
        }
        let mut once: Vec<(&'static str, Span)> = Vec::new();
        let mut duplicate = |this: &mut Self, key: &'static str, span: Span| {
            if let Some((_, first)) = once.iter().find(|(k, _)| *k == key) {
                this.diags.push(
                    Diagnostic::error(
                        codes::DUPLICATE_CLAUSE,
                        span,
                        text!(
                            "规则里 `{}` 只能写一次",
                            "`{}` may appear only once in a rule",
                            key
                        ),
                    )
                    .label(text!("重复的子句", "repeated clause"))
                    .secondary(*first, text!("第一次在这里", "first here")),
                );
                true
            } else {
                once.push((key, span));
                false
            }
        };

        // the scope decides which names exist, so find it first
        let mut scope_kind = None;
        for c in &r.clauses {
            if let ClauseKind::Each(id) = &c.kind {
                if duplicate(self, "each", c.span) {
                    continue;
                }
                scope_kind = match id.name.as_str() {
                    "line" => Some(RuleScope::Line),
                    "visit" => Some(RuleScope::Visit),
                    "group" => Some(RuleScope::Group),
                    other => {
                        self.diags.push(
                            Diagnostic::error(codes::BAD_SCOPE, id.span, text!("未知的规则范围 `{}`", "unknown rule scope `{}`", other))
                                .label(text!("应为 `line`、`visit` 或 `group`", "expected `line`, `visit` or `group`"))
                                .help(text!("`each line` 对每条费用明细检查一次;`each visit` 对每次就诊检查一次;`each group` 对按 key 分组的就诊检查一次", "`each line` checks every fee line; `each visit` checks every visit once; `each group` checks each group of visits (by `key`) once")),
                        );
                        Some(RuleScope::Line)
                    }
                };
            }
        }
        let scope_kind = scope_kind.unwrap_or_else(|| {
            self.diags.push(
                Diagnostic::error(
                    codes::MISSING_CLAUSE,
                    r.name.span,
                    text!(
                        "规则 `{}` 缺少 `each` 子句",
                        "rule `{}` has no `each` clause",
                        r.name.name
                    ),
                )
                .label(text!("不知道对什么检查", "what does it check?"))
                .help(text!(
                    "加上 `each line`(每条费用明细)或 `each visit`(每次就诊)",
                    "add `each line` (every fee line) or `each visit` (every visit)"
                )),
            );
            RuleScope::Line
        });

        let mut scope = Scope::new();
        let visit_ty = match self.program.visit {
            Some(v) => Type::Record(v),
            None => {
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_SCHEMA,
                        r.name.span,
                        text!(
                            "规则包没有声明 `record Visit`",
                            "the pack declares no `record Visit`"
                        ),
                    )
                    .label(text!(
                        "规则需要就诊记录的结构",
                        "rules need the visit schema"
                    ))
                    .help(text!(
                        "导入标准规则包,或声明 `record Visit {{ … }}`",
                        "use the standard pack, or declare `record Visit {{ … }}`"
                    )),
                );
                Type::Error
            }
        };
        scope.bind("visit", visit_ty.clone(), r.name.span, false);
        if scope_kind == RuleScope::Line {
            let line_ty = match &visit_ty {
                Type::Record(v) => {
                    let decl = self.program.record(*v);
                    decl.field("feedetail").map(|i| decl.fields[i].ty.clone())
                }
                _ => None,
            };
            let line_ty = match line_ty {
                Some(Type::List(t)) => *t,
                _ => Type::Error,
            };
            scope.bind("line", line_ty, r.name.span, false);
        }

        // `each group`: keys and totals are per visit; the other clauses see them
        let mut group_of = None;
        for c in &r.clauses {
            if let ClauseKind::Key(_) | ClauseKind::Total(..) = &c.kind
                && scope_kind != RuleScope::Group
            {
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_SCOPE,
                        c.span,
                        text!(
                            "`key` 和 `total` 只用于 `each group` 规则",
                            "`key` and `total` belong to `each group` rules"
                        ),
                    )
                    .label(text!("这条规则不是按组检查", "this rule does not check groups"))
                    .help(text!(
                        "要按医院、科室、月份等分组统计,写 `each group`",
                        "to check groups of visits (by hospital, department, month…), write `each group`"
                    )),
                );
            }
        }
        if scope_kind == RuleScope::Group {
            let (mut keys, mut totals) = (Vec::new(), Vec::new());
            for c in &r.clauses {
                match &c.kind {
                    ClauseKind::Key(entries) => {
                        if duplicate(self, "key", c.span) {
                            continue;
                        }
                        for (k, e) in entries {
                            let x = self.expr(e, &mut scope);
                            self.no_option(&x);
                            self.displayable(&x);
                            keys.push((k.clone(), x));
                        }
                    }
                    ClauseKind::Total(k, e) => {
                        let x = self.expr(e, &mut scope);
                        self.numeric(&x);
                        totals.push((k.clone(), x));
                    }
                    _ => {}
                }
            }
            let visit_frame = scope.size();
            let mut group_scope = Scope::new();
            for (k, x) in keys.iter().chain(&totals) {
                group_scope.bind(&k.name, x.ty.clone(), k.span, false);
            }
            scope = group_scope;
            let named =
                |v: Vec<(ast::Ident, Expr)>| v.into_iter().map(|(k, x)| (k.name, x)).collect();
            group_of = Some(GroupOf {
                keys: named(keys),
                totals: named(totals),
                visit_frame,
            });
        }

        let mut steps = Vec::new();
        let mut severity = None;
        let mut amount = None;
        let mut lines = None;
        let mut group = Vec::new();
        let mut message = None;
        let mut evidence = Vec::new();
        let mut doc = String::new();
        for c in &r.clauses {
            match &c.kind {
                ClauseKind::Each(_) | ClauseKind::Key(_) | ClauseKind::Total(..) => {}
                ClauseKind::Output(..)
                | ClauseKind::Accumulator(..)
                | ClauseKind::Add(..)
                | ClauseKind::YearStarts(_) => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::SETTLEMENT_CLAUSE,
                            c.span,
                            text!("这个子句只用于结算(settlement)", "this clause belongs to a settlement"),
                        )
                        .label(text!("规则里不能用", "not in a rule"))
                        .help(text!(
                            "output、accumulator、add 和 year starts 写在 `settlement` 里;规则用 amount、message、evidence 报告发现",
                            "output, accumulator, add and year starts go in a `settlement`; a rule reports with amount, message and evidence"
                        )),
                    );
                }
                ClauseKind::Doc(s) => doc = s.value.clone(),
                ClauseKind::Let(name, e) => {
                    // `let ok = x is some(v)` binds `ok`, not `v`
                    scope.push();
                    let x = self.expr(e, &mut scope);
                    scope.pop();
                    let id = scope.bind(&name.name, x.ty.clone(), name.span, true);
                    steps.push(Step::Let(id, x));
                }
                ClauseKind::When(e) => {
                    let x = self.cond(e, &mut scope);
                    if matches!(x.kind, ExprKind::Const(Const::Bool(false))) {
                        self.diags.push(
                            Diagnostic::warning(
                                codes::UNREACHABLE_RULE,
                                x.span,
                                text!(
                                    "规则 `{}` 永远不会触发",
                                    "rule `{}` can never fire",
                                    r.name.name
                                ),
                            )
                            .label(text!("条件总是 false", "this condition is always false"))
                            .help(text!(
                                "要停用规则,请在 heng.toml 的 `disable` 中列出它",
                                "to disable a rule, list it under `disable` in heng.toml"
                            )),
                        );
                    }
                    steps.push(Step::When(x));
                }
                ClauseKind::Unless(e) => {
                    scope.push();
                    let x = self.cond(e, &mut scope);
                    scope.pop();
                    steps.push(Step::Unless(x));
                }
                ClauseKind::For(var, list, filter) => {
                    let list = self.expr(list, &mut scope);
                    let elem = self.list_element(&list);
                    let id = scope.bind(&var.name, elem, var.span, false);
                    let filter = filter.as_ref().map(|f| {
                        scope.push();
                        let x = self.cond(f, &mut scope);
                        scope.pop();
                        x
                    });
                    steps.push(Step::For {
                        var: id,
                        list,
                        filter,
                    });
                }
                ClauseKind::GroupBy(keys) => {
                    if duplicate(self, "group by", c.span) {
                        continue;
                    }
                    for k in keys {
                        let x = self.expr(k, &mut scope);
                        self.displayable(&x);
                        group.push(x);
                    }
                }
                ClauseKind::Severity(e) => {
                    if duplicate(self, "severity", c.span) {
                        continue;
                    }
                    if let Some(x) = self.unknown_severity(e, &mut scope) {
                        severity = Some(x);
                        continue;
                    }
                    let x = self.expr(e, &mut scope);
                    if let Some(sev) = self.program.severity {
                        self.expect_type(&x, &Type::Enum(sev));
                    }
                    severity = Some(x);
                }
                ClauseKind::Amount(e) => {
                    if duplicate(self, "amount", c.span) {
                        continue;
                    }
                    let x = self.expr(e, &mut scope);
                    self.expect_type(&x, &Type::Decimal);
                    amount = Some(x);
                }
                ClauseKind::Lines(e) => {
                    if duplicate(self, "lines", c.span) {
                        continue;
                    }
                    let x = self.expr(e, &mut scope);
                    if let Type::Record(v) = visit_ty {
                        let decl = self.program.record(v);
                        if let Some(i) = decl.field("feedetail") {
                            let want = decl.fields[i].ty.clone();
                            self.expect_type(&x, &want);
                        }
                    }
                    lines = Some(x);
                }
                ClauseKind::Message(s) => {
                    if duplicate(self, "message", c.span) {
                        continue;
                    }
                    let (pieces, diags) = parse_template(s, source);
                    self.diags.extend(diags);
                    let mut out = Vec::new();
                    for p in pieces {
                        match p {
                            TemplatePiece::Text(t) => out.push(Piece::Text(t)),
                            TemplatePiece::Expr(e) => {
                                let x = self.expr(&e, &mut scope);
                                self.displayable(&x);
                                out.push(Piece::Expr(x));
                            }
                        }
                    }
                    message = Some(out);
                }
                ClauseKind::Evidence(entries) => {
                    if duplicate(self, "evidence", c.span) {
                        continue;
                    }
                    for (k, e) in entries {
                        let x = self.expr(e, &mut scope);
                        self.displayable(&x);
                        evidence.push((k.name.clone(), x));
                    }
                }
            }
        }
        let severity = severity.unwrap_or_else(|| {
            self.diags.push(
                Diagnostic::error(
                    codes::MISSING_CLAUSE,
                    r.name.span,
                    text!(
                        "规则 `{}` 缺少 `severity` 子句",
                        "rule `{}` has no `severity` clause",
                        r.name.name
                    ),
                )
                .label(text!("没有严重程度", "no severity"))
                .help(text!(
                    "加上 `severity violation`、`severity high` 或 `severity low`",
                    "add `severity violation`, `severity high` or `severity low`"
                )),
            );
            Expr {
                kind: ExprKind::None,
                ty: Type::Error,
                span: r.name.span,
            }
        });
        let message = message.unwrap_or_else(|| {
            self.diags.push(
                Diagnostic::error(
                    codes::MISSING_CLAUSE,
                    r.name.span,
                    text!(
                        "规则 `{}` 缺少 `message` 子句",
                        "rule `{}` has no `message` clause",
                        r.name.name
                    ),
                )
                .label(text!("没有提示信息", "no message"))
                .help(text!(
                    "加上 `message \"…\"`,告诉审核人员发现了什么",
                    "add `message \"…\"` telling the reviewer what was found"
                )),
            );
            Vec::new()
        });
        let frame_size = scope.size();
        self.warn_unused_locals(scope);
        Some(Rule {
            id: r.name.name.clone(),
            name: r
                .title
                .as_ref()
                .map(|t| t.value.clone())
                .unwrap_or_default(),
            code: r.code.as_ref().map(|c| c.value.clone()),
            doc,
            scope: scope_kind,
            steps,
            severity,
            amount,
            lines,
            group_of,
            group,
            message,
            evidence,
            frame_size,
            span: r.name.span,
        })
    }

    /// Warns about `let` bindings of a finished body that nothing reads.
    pub(super) fn warn_unused_locals(&mut self, scope: Scope) {
        for local in scope.finish() {
            if local.warn_unused && !local.used && !local.name.starts_with('_') {
                self.diags.push(
                    Diagnostic::warning(
                        codes::UNUSED_LET,
                        local.span,
                        text!("变量 `{}` 没有被使用", "`{}` is never used", local.name),
                    )
                    .label(text!("未使用", "unused"))
                    .help(text!(
                        "删除它;如果是有意不用,名字以 `_` 开头",
                        "remove it, or start its name with `_` if that is intended"
                    )),
                );
            }
        }
    }

    /// `severity medium`: a bare word that names nothing is read as a misspelt
    /// severity, reported with the variants of `Severity` rather than as an unknown name.
    fn unknown_severity(&mut self, e: &ast::Expr, scope: &mut Scope) -> Option<Expr> {
        let ast::ExprKind::Name(n) = &e.kind else {
            return None;
        };
        let sev = self.program.severity?;
        if scope.lookup(&n.name).is_some()
            || self.names.params.contains_key(&n.name)
            || self.names.variants.contains_key(&n.name)
        {
            return None;
        }
        let decl = self.program.enum_decl(sev);
        let zh: Vec<String> = decl
            .variants
            .iter()
            .map(|v| format!("{}({})", v.name, v.label))
            .collect();
        let en: Vec<&str> = decl.variants.iter().map(|v| v.name.as_str()).collect();
        self.diags.push(
            Diagnostic::error(
                codes::UNKNOWN_VARIANT,
                n.span,
                text!("没有严重程度 `{}`", "there is no severity `{}`", n.name),
            )
            .label(text!("不是 Severity 的取值", "not a variant of Severity"))
            .help(Text::new(
                format!("严重程度可以是:{}", zh.join("、")),
                format!("a severity is one of: {}", en.join(", ")),
            )),
        );
        Some(Expr {
            kind: ExprKind::None,
            ty: Type::Error,
            span: n.span,
        })
    }

    pub(super) fn displayable(&mut self, x: &Expr) {
        let inner = match &x.ty {
            Type::Option(t) => t.as_ref(),
            t => t,
        };
        if matches!(inner, Type::List(_) | Type::Record(_) | Type::Row(_)) {
            let shown = self.show(&x.ty);
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_PLACEHOLDER,
                    x.span,
                    text!(
                        "{} 类型的值不能直接显示",
                        "a value of type {} cannot be shown",
                        shown
                    ),
                )
                .label(text!("请选择其中的某个字段", "pick one of its fields"))
                .help(text!(
                    "例如 `{{line.hilist_name}}`",
                    "for example `{{line.hilist_name}}`"
                )),
            );
        }
    }
}
