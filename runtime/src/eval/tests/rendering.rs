//! What findings show: messages, evidence, constants, and malformed input.

use super::*;

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
