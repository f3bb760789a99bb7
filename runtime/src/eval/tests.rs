//! Tests of the interpreter over a small hand-built program (see [`ir`] below).

use super::*;
use crate::value::Record;
use chrono::NaiveDate;
use heng_compiler::ir::{Builtin, Const, FuncId, Function, ParamId};
use rust_decimal::Decimal;
use std::str::FromStr;

/// A small schema and IR builders, so the hand-written rules stay readable.
mod ir {
    use heng_compiler::ir::*;
    use heng_compiler::source::{FileId, Span};
    use heng_compiler::types::{EnumId, RecordId, TableId, Type};
    use rust_decimal::Decimal;
    use std::str::FromStr;

    pub const VISIT: RecordId = RecordId(0);
    pub const FEE_LINE: RecordId = RecordId(1);
    pub const SEVERITY: EnumId = EnumId(0);
    pub const ITEM_LIMITS: TableId = TableId(0);

    // Visit fields.
    pub const MDTRT_ID: u32 = 0;
    pub const BRDY: u32 = 1;
    pub const FEEDETAIL: u32 = 2;
    // FeeLine fields.
    pub const FEEDETL_SN: u32 = 0;
    pub const CODE: u32 = 1;
    pub const AMOUNT: u32 = 2;
    pub const PRD_DAYS: u32 = 3;
    // item_limits columns.
    pub const MAX_DAYS: u32 = 1;

    pub const VIOLATION: u32 = 0;
    pub const HIGH: u32 = 1;

    fn field(name: &str, ty: Type) -> FieldDecl {
        FieldDecl {
            name: name.into(),
            ty,
            doc: String::new(),
            span: Span::default(),
        }
    }

    /// Visit{mdtrt_id, brdy, feedetail}, FeeLine{feedetl_sn, med_list_codg,
    /// det_item_fee_sumamt, prd_days?}, Severity, table item_limits{code, max_days?}.
    pub fn program() -> Program {
        let record = |name: &str, fields| RecordDecl {
            name: name.into(),
            doc: String::new(),
            fields,
            span: Span::default(),
        };
        let variant = |name: &str, label: &str| Variant {
            name: name.into(),
            label: label.into(),
        };
        Program {
            records: vec![
                record(
                    "Visit",
                    vec![
                        field("mdtrt_id", Type::Text),
                        field("brdy", Type::Date),
                        field("feedetail", Type::List(Box::new(Type::Record(FEE_LINE)))),
                    ],
                ),
                record(
                    "FeeLine",
                    vec![
                        field("feedetl_sn", Type::Text),
                        field("med_list_codg", Type::Code),
                        field("det_item_fee_sumamt", Type::Decimal),
                        field("prd_days", Type::Int.option()),
                    ],
                ),
            ],
            enums: vec![EnumDecl {
                name: "Severity".into(),
                doc: String::new(),
                variants: vec![
                    variant("violation", "违规"),
                    variant("high", "高度可疑"),
                    variant("low", ""),
                ],
                span: Span::default(),
            }],
            tables: vec![TableDecl {
                name: "item_limits".into(),
                file: "item_limits".into(),
                doc: String::new(),
                many: false,
                key: 0,
                columns: vec![
                    field("code", Type::Code),
                    field("max_days", Type::Int.option()),
                ],
                span: Span::default(),
            }],
            visit: Some(VISIT),
            severity: Some(SEVERITY),
            ..Program::default()
        }
    }

    /// A span that identifies an expression in assertions.
    pub fn sp(n: u32) -> Span {
        Span {
            file: FileId(0),
            start: n,
            end: n + 1,
        }
    }

    pub fn ex(kind: ExprKind, ty: Type) -> Expr {
        Expr {
            kind,
            ty,
            span: Span::default(),
        }
    }

    pub fn spanned(mut e: Expr, span: Span) -> Expr {
        e.span = span;
        e
    }

    pub fn local(n: u32, ty: Type) -> Expr {
        ex(ExprKind::Local(LocalId(n)), ty)
    }
    pub fn visit() -> Expr {
        local(0, Type::Record(VISIT))
    }
    pub fn line() -> Expr {
        local(1, Type::Record(FEE_LINE))
    }
    pub fn lines_of_visit() -> Expr {
        get(
            visit(),
            FEEDETAIL,
            Type::List(Box::new(Type::Record(FEE_LINE))),
        )
    }
    pub fn get(base: Expr, index: u32, ty: Type) -> Expr {
        ex(
            ExprKind::Field {
                base: Box::new(base),
                index,
            },
            ty,
        )
    }
    pub fn amount_of(l: Expr) -> Expr {
        get(l, AMOUNT, Type::Decimal)
    }
    pub fn code_of(l: Expr) -> Expr {
        get(l, CODE, Type::Code)
    }
    pub fn int(i: i64) -> Expr {
        ex(ExprKind::Const(Const::Int(i)), Type::Int)
    }
    pub fn dec(s: &str) -> Expr {
        let d = Decimal::from_str(s).unwrap_or_default();
        ex(ExprKind::Const(Const::Decimal(d)), Type::Decimal)
    }
    pub fn code(s: &str) -> Expr {
        ex(ExprKind::Const(Const::Code(s.into())), Type::Code)
    }
    pub fn severity(v: u32) -> Expr {
        ex(
            ExprKind::Const(Const::Enum(SEVERITY, v)),
            Type::Enum(SEVERITY),
        )
    }
    pub fn bin(op: BinOp, lhs: Expr, rhs: Expr) -> Expr {
        let ty = match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul if lhs.ty == Type::Int && rhs.ty == Type::Int => {
                Type::Int
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => Type::Decimal,
            _ => Type::Bool,
        };
        ex(
            ExprKind::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            ty,
        )
    }
    pub fn builtin(op: Builtin, args: Vec<Expr>, ty: Type) -> Expr {
        ex(ExprKind::Builtin { op, args }, ty)
    }
    pub fn is_some(e: Expr, bind: u32) -> Expr {
        ex(
            ExprKind::IsSome {
                expr: Box::new(e),
                bind: Some(LocalId(bind)),
            },
            Type::Bool,
        )
    }
    pub fn lookup(mode: LookupMode, key: Expr) -> Expr {
        ex(
            ExprKind::Lookup {
                table: ITEM_LIMITS,
                mode,
                key: Box::new(key),
            },
            Type::Row(ITEM_LIMITS).option(),
        )
    }
    pub fn agg(
        kind: AggKind,
        var: u32,
        filter: Option<Expr>,
        body: Option<Expr>,
        ty: Type,
    ) -> Expr {
        ex(
            ExprKind::Aggregate {
                kind,
                var: LocalId(var),
                list: Box::new(lines_of_visit()),
                filter: filter.map(Box::new),
                body: body.map(Box::new),
            },
            ty,
        )
    }
    pub fn text(s: &str) -> Piece {
        Piece::Text(s.into())
    }
    pub fn hole(e: Expr) -> Piece {
        Piece::Expr(e)
    }

    /// A line rule with the given steps: severity violation, amount none, lines none,
    /// no message; adjust fields with struct update syntax.
    pub fn rule(scope: Scope, steps: Vec<Step>, frame_size: u32) -> Rule {
        Rule {
            id: "test_rule".into(),
            name: "测试规则".into(),
            code: None,
            doc: String::new(),
            scope,
            steps,
            severity: severity(VIOLATION),
            amount: None,
            lines: None,
            group_of: None,
            group: Vec::new(),
            message: Vec::new(),
            evidence: Vec::new(),
            frame_size,
            span: Span::default(),
        }
    }
}

use ir::*;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("bad decimal {s}: {e}"))
}

fn date(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_else(|| panic!("bad date {y}-{m}-{day}"))
}

fn fee(sn: &str, code: &str, amount: &str, prd_days: Option<i64>) -> Value {
    Value::Record(Arc::new(Record {
        fields: vec![
            Value::text(sn),
            Value::text(code),
            Value::Decimal(d(amount)),
            prd_days.map_or(Value::Absent, Value::Int),
        ],
    }))
}

fn visit_of(lines: Vec<Value>) -> Value {
    Value::Record(Arc::new(Record {
        fields: vec![
            Value::text("V001"),
            Value::Date(date(2010, 5, 10)),
            Value::List(lines.into()),
        ],
    }))
}

fn item_limits() -> Table {
    let row = |code: &str, max: Option<i64>| {
        vec![Value::text(code), max.map_or(Value::Absent, Value::Int)]
    };
    Table::from_rows(
        0,
        vec![row("X01", Some(7)), row("X01A", Some(10)), row("Y", None)],
    )
}

fn run(rule: &Rule, visit: &Value) -> RuleOutcome {
    let program = program();
    let tables = [item_limits()];
    Evaluator::new(&program, &[], &tables).eval_rule(rule, visit, FEEDETAIL as usize, None)
}

/// Evaluates one expression in a frame holding the visit and one line.
fn eval_expr(e: &Expr, visit: &Value) -> Result<Value, Fault> {
    let program = program();
    let tables = [item_limits()];
    let ev = Evaluator::new(&program, &[], &tables);
    let first_line = match visit {
        Value::Record(r) => r.fields[FEEDETAIL as usize].as_list().first().cloned(),
        _ => None,
    };
    let mut frame = vec![visit.clone(), first_line.unwrap_or(Value::Absent)];
    frame.resize(16, Value::Absent);
    ev.eval(e, &mut frame)
}

fn value(e: Expr) -> Value {
    eval_expr(&e, &visit_of(vec![])).unwrap_or_else(|f| panic!("fault: {}", f.message.en))
}

fn fault(e: Expr) -> Fault {
    match eval_expr(&e, &visit_of(vec![])) {
        Ok(v) => panic!("expected a fault, got {v:?}"),
        Err(f) => f,
    }
}

#[test]
fn line_amount_over_100_hits_each_such_line() {
    let rule = Rule {
        amount: Some(amount_of(line())),
        message: vec![
            hole(get(line(), FEEDETL_SN, Type::Text)),
            text(" 金额 "),
            hole(amount_of(line())),
            text(" 元"),
        ],
        ..rule(
            Scope::Line,
            vec![Step::When(bin(BinOp::Gt, amount_of(line()), int(100)))],
            2,
        )
    };
    let visit = visit_of(vec![
        fee("1", "A", "50", None),
        fee("2", "A", "150.00", None),
        fee("3", "A", "100", None),
        fee("4", "A", "200.5", None),
    ]);
    let out = run(&rule, &visit);
    assert!(out.errors.is_empty());
    assert_eq!(
        out.hits,
        vec![
            Hit {
                lines: vec![1],
                severity: VIOLATION,
                amount: d("150.00"),
                message: "2 金额 150.00 元".into(),
                evidence: vec![],
                group: vec![],
            },
            Hit {
                lines: vec![3],
                severity: VIOLATION,
                amount: d("200.5"),
                message: "4 金额 200.5 元".into(),
                evidence: vec![],
                group: vec![],
            },
        ]
    );
}

/// `max_days`: prefix lookup, `is some` bindings, prorated and rounded amount.
fn max_days_rule() -> Rule {
    let limit = local(2, Type::Row(ITEM_LIMITS).option());
    let row = local(3, Type::Row(ITEM_LIMITS));
    let max = local(4, Type::Int);
    let days = local(5, Type::Int);
    let excess = bin(BinOp::Sub, days.clone(), max.clone());
    let prorated = bin(
        BinOp::Div,
        bin(BinOp::Mul, amount_of(line()), excess),
        days.clone(),
    );
    Rule {
        amount: Some(builtin(
            Builtin::Round,
            vec![prorated, dec("0.01")],
            Type::Decimal,
        )),
        message: vec![
            hole(code_of(line())),
            text(" 开药 "),
            hole(days.clone()),
            text(" 天,超过 "),
            hole(max.clone()),
            text(" 天"),
        ],
        evidence: vec![
            ("max_days".into(), max.clone()),
            ("prd_days".into(), days.clone()),
        ],
        ..rule(
            Scope::Line,
            vec![
                Step::Let(LocalId(2), lookup(LookupMode::Prefix, code_of(line()))),
                Step::When(is_some(limit, 3)),
                Step::When(is_some(get(row, MAX_DAYS, Type::Int.option()), 4)),
                Step::When(is_some(get(line(), PRD_DAYS, Type::Int.option()), 5)),
                Step::When(bin(BinOp::Gt, days, max)),
            ],
            6,
        )
    }
}

#[test]
fn max_days_prorates_with_the_longest_prefix_row() {
    let visit = visit_of(vec![
        fee("1", "X01A99", "100.00", Some(10)), // row X01A: max 10, not over
        fee("2", "X01C", "33.33", Some(9)),     // row X01: 33.33 × 2 / 9 = 7.4066… → 7.41
        fee("3", "Y1", "80.00", Some(30)),      // row Y: no max_days
        fee("4", "Z9", "80.00", Some(30)),      // no row
        fee("5", "X01", "80.00", None),         // no prd_days
        fee("6", "X01A", "10.00", Some(11)),    // 10 × 1 / 11 = 0.909… → 0.91
    ]);
    let out = run(&max_days_rule(), &visit);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let got: Vec<_> = out
        .hits
        .iter()
        .map(|h| (h.lines.clone(), h.amount.to_string(), h.message.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (vec![1], "7.41".to_owned(), "X01C 开药 9 天,超过 7 天"),
            (vec![5], "0.91".to_owned(), "X01A 开药 11 天,超过 10 天"),
        ]
    );
    assert_eq!(
        out.hits[0].evidence,
        vec![
            ("max_days".to_owned(), Value::Int(7)),
            ("prd_days".to_owned(), Value::Int(9))
        ]
    );
}

#[test]
fn division_by_zero_is_an_error_per_line_and_other_lines_go_on() {
    let days = ex(
        ExprKind::Otherwise {
            expr: Box::new(get(line(), PRD_DAYS, Type::Int.option())),
            default: Box::new(int(0)),
        },
        Type::Int,
    );
    let per_day = spanned(bin(BinOp::Div, amount_of(line()), days), sp(40));
    let rule = rule(
        Scope::Line,
        vec![Step::When(bin(BinOp::Gt, per_day, int(10)))],
        2,
    );
    let visit = visit_of(vec![
        fee("1", "A", "100", Some(0)),
        fee("2", "A", "100", Some(5)),
        fee("3", "A", "100", None),
        fee("4", "A", "100", Some(20)),
    ]);
    let out = run(&rule, &visit);
    assert_eq!(
        out.hits.iter().map(|h| h.lines.clone()).collect::<Vec<_>>(),
        vec![vec![1]]
    );
    assert_eq!(out.errors.len(), 2);
    for (err, line) in out.errors.iter().zip([0, 2]) {
        assert_eq!(err.line, Some(line));
        assert_eq!(err.span, sp(40));
        assert_eq!(err.message.en, "division by zero");
        assert_eq!(err.message.zh, "除数为零");
    }
}

#[test]
fn visit_rule_sums_filtered_lines_and_names_them() {
    let is_x = |var: u32| {
        builtin(
            Builtin::StartsWith,
            vec![code_of(local(var, Type::Record(FEE_LINE))), code("X")],
            Type::Bool,
        )
    };
    let sum = agg(
        AggKind::Sum,
        3,
        Some(is_x(3)),
        Some(amount_of(local(3, Type::Record(FEE_LINE)))),
        Type::Decimal,
    );
    let total = local(2, Type::Decimal);
    let rule = Rule {
        severity: severity(HIGH),
        amount: Some(total.clone()),
        lines: Some(agg(
            AggKind::Filter,
            4,
            Some(is_x(4)),
            None,
            Type::List(Box::new(Type::Record(FEE_LINE))),
        )),
        message: vec![
            hole(get(visit(), MDTRT_ID, Type::Text)),
            text(" 合计 "),
            hole(total.clone()),
        ],
        ..rule(
            Scope::Visit,
            vec![
                Step::Let(LocalId(2), sum),
                Step::When(bin(BinOp::Gt, total, int(100))),
            ],
            5,
        )
    };
    let visit = visit_of(vec![
        fee("1", "X1", "60.00", None),
        fee("2", "A1", "500.00", None),
        fee("3", "X2", "40.50", None),
    ]);
    let out = run(&rule, &visit);
    assert!(out.errors.is_empty());
    assert_eq!(
        out.hits,
        vec![Hit {
            lines: vec![0, 2],
            severity: HIGH,
            amount: d("100.50"),
            message: "V001 合计 100.50".into(),
            evidence: vec![],
            group: vec![],
        }]
    );
    // No lines: the sum is 0, so no hit and no error.
    let out = run(&rule, &visit_of(vec![]));
    assert_eq!(out, RuleOutcome::default());
}

#[test]
fn aggregates_on_empty_and_non_empty_lists() {
    let l3 = || local(3, Type::Record(FEE_LINE));
    let big = || Some(bin(BinOp::Gt, amount_of(l3()), int(100)));
    let days = || Some(get(l3(), PRD_DAYS, Type::Int.option()));
    let cases: Vec<(Expr, Value, Value)> = vec![
        (
            agg(AggKind::Sum, 3, None, Some(amount_of(l3())), Type::Decimal),
            Value::Decimal(Decimal::ZERO),
            Value::Decimal(d("250.00")),
        ),
        (
            agg(AggKind::Sum, 3, None, Some(int(2)), Type::Int),
            Value::Int(0),
            Value::Int(6),
        ),
        (
            agg(AggKind::Count, 3, big(), None, Type::Int),
            Value::Int(0),
            Value::Int(1),
        ),
        (
            agg(AggKind::Any, 3, big(), None, Type::Bool),
            Value::Bool(false),
            Value::Bool(true),
        ),
        (
            agg(AggKind::All, 3, big(), None, Type::Bool),
            Value::Bool(true),
            Value::Bool(false),
        ),
        (
            agg(
                AggKind::Min,
                3,
                None,
                Some(amount_of(l3())),
                Type::Decimal.option(),
            ),
            Value::Absent,
            Value::Decimal(d("50.00")),
        ),
        (
            agg(
                AggKind::Max,
                3,
                None,
                Some(amount_of(l3())),
                Type::Decimal.option(),
            ),
            Value::Absent,
            Value::Decimal(d("150.00")),
        ),
        (
            agg(
                AggKind::Max,
                3,
                Some(bin(BinOp::Lt, amount_of(l3()), int(0))),
                days(),
                Type::Int.option(),
            ),
            Value::Absent,
            Value::Absent,
        ),
    ];
    let visit = visit_of(vec![
        fee("1", "A", "50.00", Some(3)),
        fee("2", "A", "150.00", None),
        fee("3", "A", "50.00", Some(1)),
    ]);
    for (e, empty, full) in cases {
        assert_eq!(value(e.clone()), empty, "{e:?} on no lines");
        assert_eq!(eval_expr(&e, &visit), Ok(full), "{e:?}");
    }
}

#[test]
fn filter_keeping_everything_shares_the_list() {
    let visit = visit_of(vec![fee("1", "A", "1", None), fee("2", "A", "2", None)]);
    let all = agg(
        AggKind::Filter,
        3,
        None,
        None,
        Type::List(Box::new(Type::Record(FEE_LINE))),
    );
    let (Ok(Value::List(got)), Value::Record(v)) = (eval_expr(&all, &visit), &visit) else {
        panic!("expected a list");
    };
    let Value::List(original) = &v.fields[FEEDETAIL as usize] else {
        panic!("expected a list");
    };
    assert!(Arc::ptr_eq(&got, original));
}

#[test]
fn lines_map_back_by_identity_sorted_and_deduplicated() {
    let lines: Vec<Value> = (0..4)
        .map(|i| fee(&i.to_string(), "A", "1", None))
        .collect();
    // Equal contents, different record: a line of another visit.
    let stranger = fee("1", "A", "1", None);
    let named = Value::List(
        vec![
            lines[3].clone(),
            lines[1].clone(),
            lines[3].clone(),
            stranger,
        ]
        .into(),
    );
    assert_eq!(line_indices(&named, &lines), vec![1, 3]);
    assert_eq!(
        line_indices(&Value::List(Arc::from(vec![])), &lines),
        Vec::<usize>::new()
    );
}

#[test]
fn field_of_an_absent_row_is_an_error_not_a_panic() {
    let max = spanned(
        get(
            lookup(LookupMode::Exact, code_of(line())),
            MAX_DAYS,
            Type::Int.option(),
        ),
        sp(7),
    );
    let rule = rule(
        Scope::Line,
        vec![Step::When(ex(
            ExprKind::IsNone {
                expr: Box::new(max),
            },
            Type::Bool,
        ))],
        2,
    );
    let visit = visit_of(vec![fee("1", "Y", "1", None), fee("2", "NOPE", "1", None)]);
    let out = run(&rule, &visit);
    assert_eq!(out.hits.len(), 1);
    assert_eq!(out.hits[0].lines, vec![0]);
    assert_eq!(out.errors.len(), 1);
    assert_eq!((out.errors[0].line, out.errors[0].span), (Some(1), sp(7)));
    assert!(
        out.errors[0]
            .message
            .en
            .starts_with("field of an absent value")
    );
}

#[test]
fn match_arms_default_and_missing_arm() {
    let m = |default: Option<Expr>| {
        spanned(
            ex(
                ExprKind::Match {
                    scrutinee: Box::new(code_of(line())),
                    arms: vec![
                        (
                            vec![Const::Code("A".into()), Const::Code("B".into())],
                            int(1),
                        ),
                        (vec![Const::Code("C".into())], int(2)),
                    ],
                    default: default.map(Box::new),
                },
                Type::Int,
            ),
            sp(9),
        )
    };
    let on = |c: &str, e: &Expr| eval_expr(e, &visit_of(vec![fee("1", c, "1", None)]));
    assert_eq!(on("B", &m(None)), Ok(Value::Int(1)));
    assert_eq!(on("C", &m(None)), Ok(Value::Int(2)));
    assert_eq!(on("D", &m(Some(int(3)))), Ok(Value::Int(3)));
    let f = on("D", &m(None))
        .err()
        .unwrap_or_else(|| panic!("expected a fault"));
    assert_eq!(f.span, sp(9));
    assert_eq!(f.message.en, "no match arm for the value `D`");
}

#[test]
fn arithmetic_int_decimal_and_faults() {
    assert_eq!(value(bin(BinOp::Add, int(2), int(3))), Value::Int(5));
    assert_eq!(
        value(bin(BinOp::Div, int(7), int(2))),
        Value::Decimal(d("3.5"))
    );
    assert_eq!(
        value(bin(BinOp::Mul, int(2), dec("1.25"))),
        Value::Decimal(d("2.50"))
    );
    // Division keeps at least 10 significant decimal places.
    let third = value(bin(BinOp::Div, int(1), int(3)));
    assert_eq!(third, Value::Decimal(d("0.3333333333333333333333333333")));
    assert_eq!(
        value(bin(BinOp::Eq, int(2), dec("2.00"))),
        Value::Bool(true)
    );
    assert_eq!(
        value(bin(BinOp::Lt, int(2), dec("2.01"))),
        Value::Bool(true)
    );
    assert_eq!(
        value(bin(BinOp::Ge, code("B"), code("A"))),
        Value::Bool(true)
    );
    let overflow = fault(bin(BinOp::Mul, int(i64::MAX), int(2)));
    assert_eq!(overflow.message.en, "integer overflow");
    let big = dec("79228162514264337593543950335");
    let overflow = fault(bin(BinOp::Add, big.clone(), big));
    assert!(overflow.message.en.starts_with("decimal overflow"));
    assert_eq!(
        fault(bin(BinOp::Div, dec("1.5"), dec("0.00"))).message.en,
        "division by zero"
    );
    let none = ex(ExprKind::None, Type::Int.option());
    assert_eq!(
        value(bin(BinOp::Eq, none.clone(), none.clone())),
        Value::Bool(true)
    );
    assert_eq!(value(bin(BinOp::Eq, none, int(0))), Value::Bool(false));
    let neg = ex(
        ExprKind::Unary {
            op: UnOp::Neg,
            expr: Box::new(int(i64::MIN)),
        },
        Type::Int,
    );
    assert_eq!(fault(neg).message.en, "integer overflow");
}

#[test]
fn and_or_short_circuit_over_faults() {
    let boom = bin(BinOp::Gt, bin(BinOp::Div, int(1), int(0)), int(0));
    let f = ex(ExprKind::Const(Const::Bool(false)), Type::Bool);
    let t = ex(ExprKind::Const(Const::Bool(true)), Type::Bool);
    assert_eq!(value(bin(BinOp::And, f, boom.clone())), Value::Bool(false));
    assert_eq!(
        value(bin(BinOp::Or, t.clone(), boom.clone())),
        Value::Bool(true)
    );
    assert_eq!(
        fault(bin(BinOp::And, t, boom)).message.en,
        "division by zero"
    );
}

#[test]
fn in_list_and_otherwise() {
    let is_in = |x: &str| {
        ex(
            ExprKind::InList {
                expr: Box::new(code(x)),
                items: vec![code("11"), code("12")],
            },
            Type::Bool,
        )
    };
    assert_eq!(value(is_in("12")), Value::Bool(true));
    assert_eq!(value(is_in("13")), Value::Bool(false));
    let or = ex(
        ExprKind::Otherwise {
            expr: Box::new(ex(ExprKind::None, Type::Int.option())),
            default: Box::new(int(7)),
        },
        Type::Int,
    );
    assert_eq!(value(or), Value::Int(7));
}

#[test]
fn function_calls_get_a_fresh_frame() {
    // fn excess(amount: Decimal, days: Int) = amount - days
    let mut program = program();
    program.functions.push(Function {
        name: "excess".into(),
        doc: String::new(),
        params: vec![("amount".into(), Type::Decimal), ("days".into(), Type::Int)],
        ret: Type::Decimal,
        body: bin(BinOp::Sub, local(0, Type::Decimal), local(1, Type::Int)),
        frame_size: 2,
        span: Default::default(),
    });
    let call = ex(
        ExprKind::Call {
            func: FuncId(0),
            args: vec![amount_of(line()), int(3)],
        },
        Type::Decimal,
    );
    let ev = Evaluator::new(&program, &[], &[]);
    let visit = visit_of(vec![]);
    let mut frame = vec![visit.clone(), fee("1", "A", "10.5", None)];
    assert_eq!(ev.eval(&call, &mut frame), Ok(Value::Decimal(d("7.5"))));
    // The caller's frame is untouched.
    assert_eq!(frame[0], visit);
}

#[test]
fn params_are_read_by_index() {
    let program = program();
    let params = [Value::Int(7), Value::Decimal(d("0.4"))];
    let ev = Evaluator::new(&program, &params, &[]);
    let e = ex(ExprKind::Param(ParamId(1)), Type::Decimal);
    assert_eq!(ev.eval(&e, &mut []), Ok(Value::Decimal(d("0.4"))));
    let missing = ex(ExprKind::Param(ParamId(5)), Type::Decimal);
    assert!(ev.eval(&missing, &mut []).is_err());
}

#[test]
fn years_between_counts_birthdays_on_their_date() {
    use builtins::years_between as yb;
    assert_eq!(yb(date(2010, 5, 10), date(2020, 5, 9)), 9);
    assert_eq!(yb(date(2010, 5, 10), date(2020, 5, 10)), 10);
    assert_eq!(yb(date(2010, 5, 10), date(2010, 5, 10)), 0);
    assert_eq!(yb(date(2010, 12, 31), date(2011, 1, 1)), 0);
    // 29 Feb birthdays count on 28 Feb in other years.
    assert_eq!(yb(date(2000, 2, 29), date(2001, 2, 27)), 0);
    assert_eq!(yb(date(2000, 2, 29), date(2001, 2, 28)), 1);
    assert_eq!(yb(date(2000, 2, 29), date(2003, 3, 1)), 3);
    assert_eq!(yb(date(2000, 2, 29), date(2004, 2, 28)), 3);
    assert_eq!(yb(date(2000, 2, 29), date(2004, 2, 29)), 4);
    // Earlier second date: negative.
    assert_eq!(yb(date(2020, 5, 10), date(2010, 5, 10)), -10);
    assert_eq!(yb(date(2020, 5, 10), date(2019, 5, 11)), 0);
    // Through the IR.
    let e = builtin(
        Builtin::YearsBetween,
        vec![
            get(visit(), BRDY, Type::Date),
            ex(ExprKind::Const(Const::Date(date(2018, 5, 9))), Type::Date),
        ],
        Type::Int,
    );
    assert_eq!(value(e), Value::Int(7));
}

#[test]
fn date_builtins() {
    let dconst = |y, m, day| ex(ExprKind::Const(Const::Date(date(y, m, day))), Type::Date);
    let dt = NaiveDate::and_hms_opt(&date(2024, 2, 29), 23, 59, 1).unwrap_or_default();
    let dtconst = ex(ExprKind::Const(Const::DateTime(dt)), Type::DateTime);
    let b = |op, args| value(builtin(op, args, Type::Error));
    assert_eq!(
        b(
            Builtin::DaysBetween,
            vec![dconst(2024, 2, 28), dconst(2024, 3, 1)]
        ),
        Value::Int(2)
    );
    assert_eq!(
        b(
            Builtin::DaysBetween,
            vec![dconst(2024, 3, 1), dconst(2024, 2, 28)]
        ),
        Value::Int(-2)
    );
    assert_eq!(
        b(Builtin::AddDays, vec![dconst(2023, 12, 31), int(1)]),
        Value::Date(date(2024, 1, 1))
    );
    assert_eq!(
        b(Builtin::AddDays, vec![dconst(2024, 3, 1), int(-1)]),
        Value::Date(date(2024, 2, 29))
    );
    assert!(
        fault(builtin(
            Builtin::AddDays,
            vec![dconst(2024, 3, 1), int(i64::MAX)],
            Type::Date
        ))
        .message
        .en
        .starts_with("date out of range")
    );
    assert_eq!(
        b(Builtin::DateOf, vec![dtconst.clone()]),
        Value::Date(date(2024, 2, 29))
    );
    assert_eq!(b(Builtin::MonthOf, vec![dtconst]), Value::text("2024-02"));
    assert_eq!(
        b(Builtin::MonthOf, vec![dconst(2024, 11, 3)]),
        Value::text("2024-11")
    );
}

#[test]
fn round_is_half_up_away_from_zero_to_a_step() {
    let r = |x: &str, step: &str| builtins::round(d(x), d(step)).map(|v| v.to_string());
    assert_eq!(r("2.345", "0.01"), Ok("2.35".into()));
    assert_eq!(r("-2.345", "0.01"), Ok("-2.35".into()));
    assert_eq!(r("2.3449", "0.01"), Ok("2.34".into()));
    assert_eq!(r("2.3", "0.01"), Ok("2.30".into()));
    assert_eq!(r("2.5", "1"), Ok("3".into()));
    assert_eq!(r("-2.5", "1"), Ok("-3".into()));
    assert_eq!(r("2.4999", "1"), Ok("2".into()));
    assert_eq!(r("-0.001", "0.01"), Ok("0.00".into()));
    assert_eq!(r("1.26", "0.05"), Ok("1.25".into()));
    assert_eq!(r("1.275", "0.05"), Ok("1.30".into()));
    assert_eq!(r("0.12345", "0.0001"), Ok("0.1235".into()));
    assert_eq!(
        r("1", "0").map_err(|t| t.en),
        Err("division by zero".into())
    );
    // Int argument through the IR.
    assert_eq!(
        value(builtin(
            Builtin::Round,
            vec![int(3), dec("0.01")],
            Type::Decimal
        )),
        Value::Decimal(d("3.00"))
    );
}

#[test]
fn min_max_len_and_code_builtins() {
    let b = |op, args| value(builtin(op, args, Type::Error));
    assert_eq!(b(Builtin::Min, vec![int(2), int(3)]), Value::Int(2));
    assert_eq!(b(Builtin::Max, vec![int(2), int(3)]), Value::Int(3));
    assert_eq!(
        b(Builtin::Max, vec![int(3), dec("2.5")]),
        Value::Decimal(d("3"))
    );
    assert_eq!(
        b(Builtin::Min, vec![int(3), dec("2.5")]),
        Value::Decimal(d("2.5"))
    );
    assert_eq!(b(Builtin::Len, vec![lines_of_visit()]), Value::Int(0));
    assert_eq!(
        b(Builtin::StartsWith, vec![code("XB01"), code("XB")]),
        Value::Bool(true)
    );
    assert_eq!(
        b(Builtin::StartsWith, vec![code("XB01"), code("XC")]),
        Value::Bool(false)
    );
    let prefixes = |ps: &[&str]| {
        ex(
            ExprKind::Const(Const::Prefixes(ps.iter().map(|p| p.to_string()).collect())),
            Type::Prefixes,
        )
    };
    assert_eq!(
        b(
            Builtin::MatchesAny,
            vec![code("J18.9"), prefixes(&["I10", "J18"])]
        ),
        Value::Bool(true)
    );
    assert_eq!(
        b(Builtin::MatchesAny, vec![code("J18.9"), prefixes(&["I10"])]),
        Value::Bool(false)
    );
    // An empty prefix from a stray `;` matches nothing.
    assert_eq!(
        b(
            Builtin::MatchesAny,
            vec![code("J18.9"), prefixes(&["I10", ""])]
        ),
        Value::Bool(false)
    );
    assert_eq!(
        b(Builtin::MatchesAny, vec![code("J18.9"), prefixes(&[])]),
        Value::Bool(false)
    );
}

#[test]
fn display_for_messages() {
    let program = program();
    let show = |v: Value, ty: Type| display(&v, &ty, &program);
    assert_eq!(show(Value::Decimal(d("25.00")), Type::Decimal), "25.00");
    assert_eq!(show(Value::Int(-3), Type::Int), "-3");
    assert_eq!(show(Value::text("阿莫西林"), Type::Text), "阿莫西林");
    assert_eq!(
        show(Value::Date(date(2024, 3, 5)), Type::Date),
        "2024-03-05"
    );
    let dt = date(2024, 3, 5).and_hms_opt(8, 0, 9).unwrap_or_default();
    assert_eq!(
        show(Value::DateTime(dt), Type::DateTime),
        "2024-03-05 08:00:09"
    );
    assert_eq!(show(Value::Enum(HIGH), Type::Enum(SEVERITY)), "高度可疑");
    assert_eq!(show(Value::Enum(2), Type::Enum(SEVERITY).option()), "low");
    assert_eq!(show(Value::Absent, Type::Int.option()), "");
    assert_eq!(show(Value::Bool(true), Type::Bool), "是");
    assert_eq!(show(Value::Bool(false), Type::Bool), "否");
    let ps = const_value(&Const::Prefixes(vec!["A01".into(), "B".into()]));
    assert_eq!(show(ps, Type::Prefixes), "A01;B");
}

#[test]
fn evidence_as_json() {
    use serde_json::json;
    let program = program();
    let j = |v: Value, ty: Type| evidence_json(&v, &ty, &program);
    assert_eq!(j(Value::Int(7), Type::Int), json!(7));
    assert_eq!(j(Value::Decimal(d("7.50")), Type::Decimal), json!("7.50"));
    assert_eq!(j(Value::text("X01"), Type::Code), json!("X01"));
    assert_eq!(j(Value::Bool(true), Type::Bool), json!(true));
    assert_eq!(
        j(Value::Date(date(2024, 3, 5)), Type::Date),
        json!("2024-03-05")
    );
    assert_eq!(j(Value::Enum(HIGH), Type::Enum(SEVERITY)), json!("high"));
    assert_eq!(j(Value::Absent, Type::Int.option()), json!(null));
    assert_eq!(j(Value::Row(0, 0), Type::Row(ITEM_LIMITS)), json!(null));
    let list = Value::List(vec![Value::Int(1), Value::Int(2)].into());
    assert_eq!(j(list, Type::List(Box::new(Type::Int))), json!([1, 2]));
}

#[test]
fn const_values() {
    assert_eq!(const_value(&Const::Code("X".into())), Value::text("X"));
    assert_eq!(const_value(&Const::Text("文".into())), Value::text("文"));
    assert_eq!(const_value(&Const::Enum(SEVERITY, 2)), Value::Enum(2));
    assert_eq!(
        const_value(&Const::Decimal(d("1.10"))),
        Value::Decimal(d("1.10"))
    );
}

#[test]
fn malformed_input_gives_errors_not_panics() {
    // A frame too small for the rule's locals, a visit that is not a record.
    let bad = Rule {
        amount: Some(local(9, Type::Decimal)),
        ..rule(Scope::Visit, vec![], 0)
    };
    let out = run(&bad, &visit_of(vec![]));
    assert!(out.hits.is_empty());
    assert_eq!(out.errors.len(), 1);
    let line_rule = rule(Scope::Line, vec![], 0);
    assert_eq!(run(&line_rule, &Value::Absent), RuleOutcome::default());
}

proptest::proptest! {
    /// `round` lands on a multiple of the step, within half a step, with ties away
    /// from zero.
    #[test]
    fn round_lands_on_the_nearest_multiple(
        mantissa in -10_000_000_000i64..10_000_000_000,
        scale in 0u32..7,
        step in proptest::sample::select(vec!["0.01", "0.05", "0.1", "1", "0.0001"]),
    ) {
        let x = Decimal::new(mantissa, scale);
        let step = d(step);
        let r = builtins::round(x, step).map_err(|t| t.en);
        let r = r.map_err(proptest::test_runner::TestCaseError::fail)?;
        proptest::prop_assert!((r % step).is_zero());
        let gap = (x - r).abs() * Decimal::TWO;
        proptest::prop_assert!(gap <= step);
        if gap == step {
            proptest::prop_assert!(r.abs() > x.abs());
        }
        proptest::prop_assert_eq!(r.scale(), step.scale());
    }
}
