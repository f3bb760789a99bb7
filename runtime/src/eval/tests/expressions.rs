//! Expressions: match, arithmetic and its faults, logic, lists, functions, parameters and builtins.

use super::*;

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
