//! Settlements: outputs per fee line and per visit, accumulators carried per
//! patient and scheme year, and the day the scheme year starts.

use super::Checker;
use super::scope::Scope;
use crate::diagnostic::{Diagnostic, codes};
use crate::ir::{
    Const, Expr, ExprKind, FieldDecl, LocalId, RecordDecl, SETTLED_LINES_LOCAL, SettleStep,
    Settlement,
};
use crate::source::Span;
use crate::syntax::ast::{self, ClauseKind};
use crate::text;
use crate::types::{RecordId, Type};

/// Which part of a settlement a clause is in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Head,
    Line,
    Visit,
}

/// The month and day of a scheme-year start written "MM-DD" (29 February
/// excluded); `None` when it is not one.
pub fn year_start(s: &str) -> Option<(u32, u32)> {
    let (m, d) = s.split_once('-')?;
    if m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (m, d) = (m.parse().ok()?, d.parse().ok()?);
    let valid = (m, d) != (2, 29) && chrono::NaiveDate::from_ymd_opt(2024, m, d).is_some();
    valid.then_some((m, d))
}

impl Checker<'_> {
    pub(super) fn settlement(&mut self, s: &ast::RuleItem) -> Option<Settlement> {
        let visit_ty = self.program.visit.map_or(Type::Error, Type::Record);
        let line_ty = match self.program.fee_line_record() {
            Some(r) => Type::Record(r),
            None => Type::Error,
        };
        let mut accumulators: Vec<(String, String, Span)> = Vec::new();
        for c in &s.clauses {
            if let ClauseKind::Accumulator(name, doc) = &c.kind {
                if let Some((_, _, first)) = accumulators.iter().find(|a| a.0 == name.name) {
                    self.duplicate_definition(name, *first);
                    continue;
                }
                let doc = doc.as_ref().map(|d| d.value.clone()).unwrap_or_default();
                accumulators.push((name.name.clone(), doc, name.span));
            }
        }

        let mut part = Part::Head;
        let mut doc = String::new();
        let mut year_start = None;
        let mut line_scope = Scope::new();
        line_scope.bind("visit", visit_ty.clone(), s.name.span, false);
        line_scope.bind("line", line_ty.clone(), s.name.span, false);
        let mut visit_scope: Option<Scope> = None;
        let (mut line_steps, mut visit_steps) = (Vec::new(), Vec::new());
        let mut line_outputs: Vec<FieldDecl> = Vec::new();
        let mut line_record = None;
        let mut seen_each: Vec<(&str, Span)> = Vec::new();
        let mut totals: Vec<String> = Vec::new();
        for c in &s.clauses {
            match &c.kind {
                ClauseKind::Doc(d) => doc = d.value.clone(),
                ClauseKind::Accumulator(..) => {
                    if part != Part::Head {
                        self.out_of_place(c.span, "accumulator");
                    }
                }
                ClauseKind::YearStarts(e) => {
                    if part != Part::Head || year_start.is_some() {
                        self.out_of_place(c.span, "year starts");
                        continue;
                    }
                    let mut scope = Scope::new();
                    let x = self.expr(e, &mut scope);
                    self.year_start(&x);
                    year_start = Some(x);
                }
                ClauseKind::Each(id) => {
                    let next = match id.name.as_str() {
                        "line" => Part::Line,
                        "visit" => Part::Visit,
                        _ => {
                            self.diags.push(
                                Diagnostic::error(codes::BAD_SCOPE, id.span, text!("未知的结算范围 `{}`", "unknown settlement part `{}`", id.name))
                                    .label(text!("应为 `line` 或 `visit`", "expected `line` or `visit`"))
                                    .help(text!("结算先写 `each line`(每条明细的输出),再写 `each visit`(每次就诊的输出)", "a settlement has `each line` (outputs per fee line), then `each visit` (outputs per visit)")),
                            );
                            continue;
                        }
                    };
                    if let Some((_, first)) =
                        seen_each.iter().find(|(n, _)| *n == id.name).or_else(|| {
                            (next == Part::Line && part == Part::Visit).then(|| &seen_each[0])
                        })
                    {
                        self.diags.push(
                            Diagnostic::error(
                                codes::SETTLEMENT_CLAUSE,
                                c.span,
                                text!("`each {}` 放错了位置", "`each {}` is out of place", id.name),
                            )
                            .label(text!("这里", "here"))
                            .secondary(
                                *first,
                                text!("之前的部分在这里", "the earlier part is here"),
                            )
                            .help(text!(
                                "结算先写一次 `each line`,再写一次 `each visit`",
                                "a settlement has one `each line` part, then one `each visit` part"
                            )),
                        );
                        continue;
                    }
                    seen_each.push((if next == Part::Line { "line" } else { "visit" }, c.span));
                    part = next;
                    if part == Part::Visit {
                        let id = self.settled_line_record(&line_ty, &line_outputs);
                        line_record = Some(id);
                        let mut scope = Scope::new();
                        scope.bind("visit", visit_ty.clone(), s.name.span, false);
                        let lines = scope.bind(
                            "settled_lines",
                            Type::List(Box::new(Type::Record(id))),
                            s.name.span,
                            false,
                        );
                        debug_assert_eq!(lines, SETTLED_LINES_LOCAL);
                        for (name, _, span) in &accumulators {
                            scope.bind(name, Type::Decimal, *span, false);
                        }
                        visit_scope = Some(scope);
                    }
                }
                ClauseKind::Total(name, e) => {
                    let Some(scope) = visit_scope.as_mut().filter(|_| part == Part::Visit) else {
                        self.out_of_place(c.span, "total");
                        continue;
                    };
                    scope.push();
                    let x = self.expr(e, scope);
                    scope.pop();
                    self.expect_type(&x, &Type::Decimal);
                    let local = scope.bind(&name.name, Type::Decimal, name.span, false);
                    totals.push(name.name.clone());
                    visit_steps.push(SettleStep::Total {
                        total: totals.len() - 1,
                        local,
                        expr: x,
                    });
                }
                ClauseKind::Let(name, e) | ClauseKind::Output(name, e) => {
                    let output = matches!(c.kind, ClauseKind::Output(..));
                    let (scope, steps) = match part {
                        Part::Line => (&mut line_scope, &mut line_steps),
                        Part::Visit => (
                            visit_scope.as_mut().expect("bound at `each visit`"),
                            &mut visit_steps,
                        ),
                        Part::Head => {
                            self.out_of_place(c.span, if output { "output" } else { "let" });
                            continue;
                        }
                    };
                    scope.push();
                    let x = self.expr(e, scope);
                    scope.pop();
                    if output {
                        self.displayable(&x);
                        if part == Part::Line {
                            line_outputs.push(FieldDecl {
                                name: name.name.clone(),
                                ty: x.ty.clone(),
                                doc: String::new(),
                                span: name.span,
                            });
                        }
                    }
                    let local = scope.bind(&name.name, x.ty.clone(), name.span, !output);
                    steps.push(SettleStep::Bind {
                        local,
                        name: name.name.clone(),
                        expr: x,
                        output,
                        first_pass: false,
                        after_totals: false,
                        saved: false,
                    });
                }
                ClauseKind::Add(e, acc) => {
                    let Some(scope) = visit_scope.as_mut().filter(|_| part == Part::Visit) else {
                        self.out_of_place(c.span, "add");
                        continue;
                    };
                    let x = self.expr(e, scope);
                    self.expect_type(&x, &Type::Decimal);
                    match accumulators.iter().position(|a| a.0 == acc.name) {
                        Some(accumulator) => visit_steps.push(SettleStep::Add {
                            accumulator,
                            expr: x,
                            first_pass: false,
                        }),
                        None => {
                            let closest = super::similar::closest(
                                &acc.name,
                                accumulators.iter().map(|a| a.0.as_str()),
                            );
                            let help = match closest {
                                Some(c) => text!("是不是 `{}`?", "did you mean `{}`?", c),
                                None => text!(
                                    "在结算开头声明它:`accumulator {} \"说明\"`",
                                    "declare it at the top of the settlement: `accumulator {} \"doc\"`",
                                    acc.name
                                ),
                            };
                            self.diags.push(
                                Diagnostic::error(
                                    codes::UNKNOWN_NAME,
                                    acc.span,
                                    text!(
                                        "没有名为 `{}` 的累计值",
                                        "there is no accumulator `{}`",
                                        acc.name
                                    ),
                                )
                                .label(text!("未声明", "not declared"))
                                .help(help),
                            );
                        }
                    }
                }
                _ => self.out_of_place(c.span, "rule clause"),
            }
        }
        let line_frame = line_scope.size();
        let line_record =
            line_record.unwrap_or_else(|| self.settled_line_record(&line_ty, &line_outputs));
        let (visit_frame, visit_scope) = match visit_scope {
            Some(scope) => (scope.size(), Some(scope)),
            None => (2 + accumulators.len() as u32, None),
        };
        for scope in [Some(line_scope), visit_scope].into_iter().flatten() {
            self.warn_unused_locals(scope);
        }
        self.check_reads_of_totals(&visit_steps);
        Some(single_pass(first_pass(Settlement {
            id: s.name.name.clone(),
            name: s
                .title
                .as_ref()
                .map(|t| t.value.clone())
                .unwrap_or_default(),
            doc,
            year_start,
            accumulators: accumulators.into_iter().map(|(n, d, _)| (n, d)).collect(),
            totals,
            line_steps,
            line_frame,
            line_record,
            visit_steps,
            visit_frame,
            lines_in_first_pass: false,
            single_pass: false,
            span: s.name.span,
        })))
    }

    /// The record of a settled line: the fee line, then the line outputs.
    fn settled_line_record(&mut self, line_ty: &Type, outputs: &[FieldDecl]) -> RecordId {
        let mut fields = vec![FieldDecl {
            name: "line".into(),
            ty: line_ty.clone(),
            doc: "费用明细 / the fee line".into(),
            span: Span::default(),
        }];
        fields.extend(outputs.iter().cloned());
        self.program.records.push(RecordDecl {
            name: "SettledLine".into(),
            doc: "结算后的费用明细 / a settled fee line".into(),
            fields,
            span: Span::default(),
        });
        RecordId(self.program.records.len() as u32 - 1)
    }

    /// Finds the steps whose value reads a batch total (directly or through a
    /// `let`); a total or an `add` that reads one is an error (H0083): the first
    /// pass could not compute it.
    fn check_reads_of_totals(&mut self, steps: &[SettleStep]) {
        let mut tainted: Vec<LocalId> = Vec::new();
        for step in steps {
            let mut reads = false;
            step.expr().walk(&mut |e| {
                if let ExprKind::Local(l) = &e.kind {
                    reads |= tainted.contains(l);
                }
            });
            match step {
                SettleStep::Bind { local, .. } => {
                    if reads {
                        tainted.push(*local);
                    }
                }
                SettleStep::Total { local, expr, .. } => {
                    if reads {
                        self.reads_total(expr.span, "total");
                    }
                    tainted.push(*local);
                }
                SettleStep::Add { expr, .. } => {
                    if reads {
                        self.reads_total(expr.span, "add");
                    }
                }
            }
        }
    }

    fn reads_total(&mut self, span: Span, what: &str) {
        self.diags.push(
            Diagnostic::error(
                codes::READS_TOTAL,
                span,
                text!(
                    "`{}` 不能依赖批次合计(total)",
                    "`{}` cannot depend on a batch total",
                    what
                ),
            )
            .label(text!("这里用到了批次合计", "this reads a batch total"))
            .help(text!(
                "批次合计在第一遍计算,只有普通输出能使用它;累计值和其他合计必须不依赖任何合计",
                "batch totals are summed in a first pass, so only outputs and lets may read them; accumulators and other totals must not"
            )),
        );
    }

    /// `year starts` takes "MM-DD" as a string or a Text parameter.
    fn year_start(&mut self, x: &Expr) {
        let value = match &x.kind {
            ExprKind::Const(Const::Text(t)) => Some(t.clone()),
            ExprKind::Param(p) => match &self.program.params[p.0 as usize].default {
                Const::Text(t) => Some(t.clone()),
                _ => None,
            },
            _ => None,
        };
        if x.ty == Type::Error {
            return;
        }
        if value.as_deref().is_none_or(|v| year_start(v).is_none()) {
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_YEAR_START,
                    x.span,
                    text!(
                        "结算年度起始日应为 \"月-日\" 文本",
                        "the scheme year's start must be \"MM-DD\" text"
                    ),
                )
                .label(text!(
                    "不是 \"01-01\" 这样的月-日",
                    "not a month-day such as \"01-01\""
                ))
                .help(text!(
                    "写成字符串或 Text 参数,如 `year starts \"09-01\"`",
                    "write a string or a Text parameter, e.g. `year starts \"09-01\"`"
                )),
            );
        }
    }

    fn out_of_place(&mut self, span: Span, what: &str) {
        self.diags.push(
            Diagnostic::error(codes::SETTLEMENT_CLAUSE, span, text!("`{}` 不能用在结算的这个位置", "`{}` does not belong here in a settlement", what))
                .label(text!("放错了位置", "out of place"))
                .help(text!(
                    "结算先写 doc、year starts 和 accumulator,再写 `each line` 部分(let、output),最后写 `each visit` 部分(let、output、total、add … to)",
                    "a settlement has doc, year starts and accumulators first, then an `each line` part (let, output), then an `each visit` part (let, output, total, add … to)"
                )),
        );
    }
}

/// Marks the visit steps that read a batch total (directly or through a `let`)
/// and the values they read, and whether the settlement can be settled in one
/// pass: those steps read nothing else of the visit (no accumulator, no fee line,
/// not the visit itself, no history) and the values they read are scalars (a
/// single pass saves them with the visit's settlement line and computes the steps
/// at the end). The checker has made sure no `total` or `add` reads a total.
fn single_pass(mut s: Settlement) -> Settlement {
    if s.totals.is_empty() {
        return s;
    }
    let step_locals: Vec<u32> = s
        .visit_steps
        .iter()
        .filter_map(|step| match step {
            SettleStep::Bind { local, .. } | SettleStep::Total { local, .. } => Some(local.0),
            SettleStep::Add { .. } => None,
        })
        .collect();
    let visit_locals = 2 + s.accumulators.len() as u32;
    let mut after: Vec<u32> = Vec::new();
    let mut read: Vec<u32> = Vec::new();
    let mut single = true;
    for step in &mut s.visit_steps {
        let mut reads = Vec::new();
        let mut history = false;
        step.expr().walk(&mut |e| match &e.kind {
            ExprKind::Local(l) => reads.push(l.0),
            ExprKind::History { .. } => history = true,
            _ => {}
        });
        match step {
            SettleStep::Total { local, .. } => after.push(local.0),
            SettleStep::Bind {
                local,
                after_totals,
                ..
            } if reads.iter().any(|l| after.contains(l)) => {
                *after_totals = true;
                after.push(local.0);
                single &= !history;
                for l in reads {
                    // the visit, its settled lines or an accumulator
                    single &= l >= visit_locals;
                    if step_locals.contains(&l) && !after.contains(&l) {
                        read.push(l);
                    }
                }
            }
            _ => {}
        }
    }
    for step in &mut s.visit_steps {
        if let SettleStep::Bind {
            local, saved, expr, ..
        } = step
            && read.contains(&local.0)
        {
            *saved = true;
            let scalar = |t: &Type| {
                matches!(
                    t,
                    Type::Bool
                        | Type::Int
                        | Type::Decimal
                        | Type::Text
                        | Type::Code
                        | Type::Enum(_)
                )
            };
            single &= match &expr.ty {
                Type::Option(t) => scalar(t),
                t => scalar(t),
            };
        }
    }
    s.single_pass = single;
    s
}

/// Marks what the first pass of a settlement with batch totals computes: the
/// totals, the steps they depend on through lets, the `add`s when one of those
/// reads an accumulator, and the line steps when one reads a line output. The
/// rest is skipped there (bound to absent).
fn first_pass(mut s: Settlement) -> Settlement {
    if s.totals.is_empty() {
        return s;
    }
    let accumulators = 2..2 + s.accumulators.len() as u32;
    let reads = |e: &Expr, into: &mut Vec<u32>| {
        e.walk(&mut |x| {
            if let ExprKind::Local(l) = &x.kind {
                into.push(l.0);
            }
        })
    };
    let mut with_adds = false;
    loop {
        let mut needed: Vec<u32> = Vec::new();
        for step in s.visit_steps.iter_mut().rev() {
            let keep = match step {
                SettleStep::Total { .. } => true,
                SettleStep::Bind {
                    local, first_pass, ..
                } => {
                    *first_pass = needed.contains(&local.0);
                    *first_pass
                }
                SettleStep::Add { first_pass, .. } => {
                    *first_pass = with_adds;
                    with_adds
                }
            };
            if keep {
                reads(step.expr(), &mut needed);
            }
        }
        if with_adds || !needed.iter().any(|l| accumulators.contains(l)) {
            break;
        }
        with_adds = true;
    }
    let line = Type::Record(s.line_record);
    let mut reads_line_output = false;
    for step in &s.visit_steps {
        let kept = match step {
            SettleStep::Bind { first_pass, .. } | SettleStep::Add { first_pass, .. } => *first_pass,
            SettleStep::Total { .. } => true,
        };
        if kept {
            step.expr().walk(&mut |e| {
                if let ExprKind::Field { base, index } = &e.kind {
                    reads_line_output |= base.ty == line && *index >= 1;
                }
            });
        }
    }
    s.lines_in_first_pass = reads_line_output;
    s
}
