//! Which schemas the reader accepts.

use super::*;

#[test]
fn schema_resolves_national_fields() {
    let f = *schema().fields();
    assert_eq!(
        f,
        NationalFields {
            visit: RecordId(VISIT),
            mdtrt_id: v::MDTRT_ID,
            psn_no: v::PSN_NO,
            feedetail: v::FEEDETAIL,
            fee_line: RecordId(FEE_LINE),
            feedetl_sn: l::FEEDETL_SN,
            init_feedetl_sn: l::INIT_FEEDETL_SN,
            cnt: l::CNT,
            det_item_fee_sumamt: l::DET_ITEM_FEE_SUMAMT,
        }
    );
}

#[test]
fn schema_errors_name_the_field() {
    let mut p = program();
    p.visit = None;
    assert!(
        check_schema(&p)
            .unwrap_err()
            .en
            .contains("no visit record type")
    );

    let mut p = program();
    p.records[FEE_LINE as usize]
        .fields
        .remove(l::INIT_FEEDETL_SN);
    let e = check_schema(&p).unwrap_err();
    assert_eq!(
        e.en,
        "input record FeeLine lacks the national field init_feedetl_sn, which the runtime needs"
    );

    let mut p = program();
    p.records[FEE_LINE as usize].fields[l::CNT].ty = Type::Int;
    let e = check_schema(&p).unwrap_err();
    assert_eq!(
        e.en,
        "input record field FeeLine.cnt must have type Decimal, not Int"
    );

    let mut p = program();
    p.records[DIAGNOSIS as usize].fields[1].ty = opt(Type::Prefixes);
    let e = check_schema(&p).unwrap_err();
    assert_eq!(
        e.en,
        "input record field Diagnosis.diag_name has type Prefixes?, which cannot be read from JSON"
    );
}
