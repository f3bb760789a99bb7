//! Rules over a visit and its lines: hits, amounts, errors per line, aggregates, filters.

use super::*;
use std::sync::Arc;

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
