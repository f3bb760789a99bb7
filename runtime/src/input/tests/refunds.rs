//! Refunds: reversal lines applied to the lines they name.

use super::*;

#[test]
fn full_refund_removes_both_lines() {
    let json = with_lines(vec![
        fee_line("1", None, "2", "25.00"),
        fee_line("2", None, "1", "3.00"),
        fee_line("3", Some("1"), "-2", "-25.00"),
    ]);
    let visit = read(&json).unwrap();
    assert_eq!(amounts(&visit), vec![("2".into(), dec("1"), dec("3.00"))]);
}

#[test]
fn partial_refunds_leave_the_rest() {
    let json = with_lines(vec![
        // A refund may come before the line it reverses.
        fee_line("r1", Some("1"), "-1", "-12.50"),
        fee_line("1", None, "4", "50.00"),
        fee_line("2", None, "1", "3.00"),
        fee_line("r2", Some("1"), "-1", "-12.50"),
        fee_line("r3", Some("2"), "0", "-1.00"),
    ]);
    let visit = read(&json).unwrap();
    assert_eq!(
        amounts(&visit),
        vec![
            ("1".into(), dec("2"), dec("25.00")),
            ("2".into(), dec("1"), dec("2.00")),
        ]
    );
    // The other fields of a partly reversed line are kept.
    let first = &lines(&visit)[0];
    assert_eq!(first.fields[l::PRIC], dec("12.5"));
}

#[test]
fn empty_init_feedetl_sn_is_no_refund() {
    let json = with_lines(vec![fee_line("1", Some(""), "2", "25.00")]);
    let visit = read(&json).unwrap();
    assert_eq!(amounts(&visit).len(), 1);
}

#[test]
fn refund_of_a_missing_line() {
    let json = with_lines(vec![
        fee_line("1", None, "2", "25.00"),
        fee_line("2", Some("9"), "-1", "-12.50"),
    ]);
    let e = reject(&json, "feedetail[1].init_feedetl_sn");
    assert!(
        e.reason.en.contains("\"9\", which is not in this visit"),
        "{}",
        e.reason.en
    );
}

#[test]
fn refund_of_a_refund() {
    let json = with_lines(vec![
        fee_line("1", None, "2", "25.00"),
        fee_line("2", Some("1"), "-1", "-12.50"),
        fee_line("3", Some("2"), "-1", "-12.50"),
    ]);
    reject(&json, "feedetail[2].init_feedetl_sn");
}

#[test]
fn refund_reversing_more_than_the_original() {
    let json = with_lines(vec![
        fee_line("1", None, "2", "25.00"),
        fee_line("2", Some("1"), "-3", "-37.50"),
    ]);
    let e = reject(&json, "feedetail[1].cnt");
    assert!(
        e.reason.en.contains("reverses more than the original"),
        "{}",
        e.reason.en
    );

    // Two refunds that together reverse too much; the amount this time.
    let json = with_lines(vec![
        fee_line("1", None, "2", "25.00"),
        fee_line("2", Some("1"), "-1", "-20.00"),
        fee_line("3", Some("1"), "-1", "-5.01"),
    ]);
    let e = reject(&json, "feedetail[2].det_item_fee_sumamt");
    assert!(e.reason.zh.starts_with("退费超过原明细"), "{}", e.reason.zh);
}

#[test]
fn a_serial_number_repeated_in_a_visit_names_both_lines() {
    // a few lines are compared pairwise, many through a table: the same error
    for n in [3, 12] {
        let mut lines: Vec<_> = (0..n)
            .map(|k| fee_line(&format!("L{k}"), None, "1", "1.00"))
            .collect();
        lines.push(fee_line("L1", None, "1", "1.00"));
        let e = read(&with_lines(lines)).unwrap_err();
        assert_eq!(e.field, format!("feedetail[{n}].feedetl_sn"), "{n} lines");
        assert_eq!(
            e.reason.en,
            "fee line serial number \"L1\" appears twice in this visit (first at feedetail[1])"
        );
    }
}
