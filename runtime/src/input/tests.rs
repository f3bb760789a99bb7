//! Tests of the NDJSON reader against a small hand-built schema.

#![allow(clippy::unwrap_used)]

use super::*;
use chrono::{NaiveDate, NaiveDateTime};
use heng_compiler::source::Span;
use rust_decimal::Decimal;
use std::io::Cursor;
use std::str::FromStr;

const VISIT: u32 = 0;
const FEE_LINE: u32 = 1;
const DIAGNOSIS: u32 = 2;

fn field(name: &str, ty: Type) -> FieldDecl {
    FieldDecl {
        name: name.to_owned(),
        ty,
        doc: String::new(),
        span: Span::default(),
    }
}

fn opt(ty: Type) -> Type {
    Type::Option(Box::new(ty))
}

fn list_of(record: u32) -> Type {
    Type::List(Box::new(Type::Record(RecordId(record))))
}

fn record(name: &str, fields: Vec<FieldDecl>) -> RecordDecl {
    RecordDecl {
        name: name.to_owned(),
        doc: String::new(),
        fields,
        span: Span::default(),
    }
}

/// Visit field indices in the test schema.
mod v {
    pub const MDTRT_ID: usize = 0;
    pub const PSN_NO: usize = 1;
    pub const GEND: usize = 2;
    pub const BRDY: usize = 3;
    pub const BEGNTIME: usize = 4;
    pub const ENDTIME: usize = 5;
    pub const CONT_YEARS: usize = 6;
    pub const DISEINFO: usize = 7;
    pub const FEEDETAIL: usize = 8;
}

/// Fee line field indices in the test schema.
mod l {
    pub const FEEDETL_SN: usize = 0;
    pub const INIT_FEEDETL_SN: usize = 1;
    pub const FEE_OCUR_TIME: usize = 2;
    pub const MED_LIST_CODG: usize = 3;
    pub const CNT: usize = 4;
    pub const PRIC: usize = 5;
    pub const DET_ITEM_FEE_SUMAMT: usize = 6;
    pub const PRD_DAYS: usize = 7;
    pub const DSCG_TKDRUG_FLAG: usize = 8;
}

fn program() -> Program {
    Program {
        records: vec![
            record(
                "Visit",
                vec![
                    field("mdtrt_id", Type::Text),
                    field("psn_no", Type::Code),
                    field("gend", opt(Type::Code)),
                    field("brdy", Type::Date),
                    field("begntime", Type::DateTime),
                    field("endtime", opt(Type::DateTime)),
                    field("cont_years", opt(Type::Int)),
                    field("diseinfo", list_of(DIAGNOSIS)),
                    field("feedetail", list_of(FEE_LINE)),
                ],
            ),
            record(
                "FeeLine",
                vec![
                    field("feedetl_sn", Type::Text),
                    field("init_feedetl_sn", opt(Type::Text)),
                    field("fee_ocur_time", Type::DateTime),
                    field("med_list_codg", Type::Code),
                    field("cnt", Type::Decimal),
                    field("pric", Type::Decimal),
                    field("det_item_fee_sumamt", Type::Decimal),
                    field("prd_days", opt(Type::Int)),
                    field("dscg_tkdrug_flag", opt(Type::Bool)),
                ],
            ),
            record(
                "Diagnosis",
                vec![
                    field("diag_code", Type::Code),
                    field("diag_name", opt(Type::Text)),
                    field("maindiag_flag", opt(Type::Code)),
                ],
            ),
        ],
        visit: Some(RecordId(VISIT)),
        ..Program::default()
    }
}

fn schema() -> Schema {
    check_schema(&program()).unwrap()
}

/// The example record of `spec/records.md`.
const EXAMPLE: &str = r#"{
  "mdtrt_id": "MD20261001001",
  "setl_id": "ST20261005001",
  "psn_no": "P000123",
  "gend": "2",
  "brdy": "2019-03-14",
  "insutype": "390",
  "psn_type": "15",
  "cont_years": 7,
  "fixmedins_code": "H33010001",
  "hosp_lv": "05",
  "med_type": "21",
  "begntime": "2026-10-01T08:30:00",
  "endtime": "2026-10-05T10:00:00",
  "adm_dept_codg": "A03",
  "atddr_no": "D1001",
  "dise_codg": null,
  "diseinfo": [
    {"diag_code": "J18.900", "diag_name": "肺炎", "maindiag_flag": "1", "diag_type": "1"}
  ],
  "oprninfo": [
    {"oprn_oprt_code": "96.0400", "main_oprn_flag": "1", "oprn_date": "2026-10-02"}
  ],
  "feedetail": [
    {
      "feedetl_sn": "1",
      "drord_no": "O1",
      "fee_ocur_time": "2026-10-01T09:00:00",
      "med_list_codg": "XJ01DDA015B002010100001",
      "medins_list_codg": "YP-0001",
      "hilist_name": "头孢曲松钠注射剂",
      "list_type": "101",
      "med_chrgitm_type": "09",
      "chrgitm_lv": "02",
      "cnt": "2",
      "pric": "12.5",
      "det_item_fee_sumamt": "25.00",
      "bilg_dept_codg": "A03",
      "bilg_dr_codg": "D1001",
      "hosp_appr_flag": "0",
      "dscg_tkdrug_flag": "0",
      "prd_days": 1
    }
  ],
  "orders": [
    {"rx_id": "O1", "hilist_code": "XJ01DDA015B002010100001", "cnt": "2",
     "drord_begn_date": "2026-10-01", "drord_stop_date": "2026-10-02",
     "drord_bhvr": "0", "long_drord_flag": "1", "drord_dr_codg": "D1001"}
  ]
}"#;

/// The example as one NDJSON line.
fn example() -> serde_json::Value {
    serde_json::from_str(EXAMPLE).unwrap()
}

fn line_of(json: &serde_json::Value) -> String {
    serde_json::to_string(json).unwrap()
}

fn read(json: &serde_json::Value) -> Result<Visit, InputError> {
    read_visit(&schema(), 1, &line_of(json))
}

fn dec(s: &str) -> Value {
    Value::Decimal(Decimal::from_str(s).unwrap())
}

fn datetime(s: &str) -> Value {
    Value::DateTime(NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").unwrap())
}

fn lines(visit: &Visit) -> Vec<Record> {
    visit.record.fields[v::FEEDETAIL]
        .as_list()
        .iter()
        .map(|l| l.as_record().unwrap().clone())
        .collect()
}

fn fee_line(sn: &str, init: Option<&str>, cnt: &str, amount: &str) -> serde_json::Value {
    let mut line = serde_json::json!({
        "feedetl_sn": sn,
        "fee_ocur_time": "2026-10-01T09:00:00",
        "med_list_codg": "XJ01DDA015B002010100001",
        "cnt": cnt,
        "pric": "12.5",
        "det_item_fee_sumamt": amount,
    });
    if let Some(init) = init {
        line["init_feedetl_sn"] = init.into();
    }
    line
}

fn with_lines(fee_lines: Vec<serde_json::Value>) -> serde_json::Value {
    let mut visit = example();
    visit["feedetail"] = fee_lines.into();
    visit
}

/// Reads `json` expecting an error; checks the field path and returns the error.
fn reject(json: &serde_json::Value, field: &str) -> InputError {
    let e = read(json).unwrap_err();
    assert_eq!(e.field, field, "{e:?}");
    assert_eq!(e.line, 1);
    e
}

// ---- happy path ---------------------------------------------------------------

#[test]
fn reads_the_example_record() {
    let visit = read(&example()).unwrap();
    assert_eq!(visit.line, 1);
    assert_eq!(visit.mdtrt_id, "MD20261001001");
    assert_eq!(visit.psn_no, "P000123");
    let f = &visit.record.fields;
    assert_eq!(f.len(), 9);
    assert_eq!(f[v::MDTRT_ID], Value::text("MD20261001001"));
    assert_eq!(f[v::GEND], Value::text("2"));
    assert_eq!(
        f[v::BRDY],
        Value::Date(NaiveDate::from_ymd_opt(2019, 3, 14).unwrap())
    );
    assert_eq!(f[v::BEGNTIME], datetime("2026-10-01T08:30:00"));
    assert_eq!(f[v::ENDTIME], datetime("2026-10-05T10:00:00"));
    assert_eq!(f[v::CONT_YEARS], Value::Int(7));

    let diagnoses = f[v::DISEINFO].as_list();
    assert_eq!(diagnoses.len(), 1);
    let diagnosis = diagnoses[0].as_record().unwrap();
    assert_eq!(
        diagnosis.fields[..],
        [
            Value::text("J18.900"),
            Value::text("肺炎"),
            Value::text("1")
        ]
    );

    let lines = lines(&visit);
    assert_eq!(lines.len(), 1);
    let line = &lines[0].fields;
    assert_eq!(line[l::FEEDETL_SN], Value::text("1"));
    assert_eq!(line[l::INIT_FEEDETL_SN], Value::Absent);
    assert_eq!(line[l::FEE_OCUR_TIME], datetime("2026-10-01T09:00:00"));
    assert_eq!(
        line[l::MED_LIST_CODG],
        Value::text("XJ01DDA015B002010100001")
    );
    assert_eq!(line[l::CNT], dec("2"));
    assert_eq!(line[l::PRIC], dec("12.5"));
    assert_eq!(line[l::DET_ITEM_FEE_SUMAMT], dec("25.00"));
    // The scale is kept as sent.
    assert_eq!(
        line[l::DET_ITEM_FEE_SUMAMT]
            .as_decimal()
            .unwrap()
            .to_string(),
        "25.00"
    );
    assert_eq!(line[l::PRD_DAYS], Value::Int(1));
    assert_eq!(line[l::DSCG_TKDRUG_FLAG], Value::Bool(false));
}

#[test]
fn missing_optional_fields_are_absent_and_missing_lists_empty() {
    let json = serde_json::json!({
        "mdtrt_id": "M1",
        "psn_no": "P1",
        "brdy": "2000-01-01",
        "begntime": "2026-10-01 08:30:00",
        "endtime": null,
        "diseinfo": null,
    });
    let visit = read(&json).unwrap();
    let f = &visit.record.fields;
    assert_eq!(f[v::GEND], Value::Absent);
    assert_eq!(f[v::ENDTIME], Value::Absent);
    assert_eq!(f[v::CONT_YEARS], Value::Absent);
    assert_eq!(f[v::DISEINFO], Value::List(Arc::from([])));
    assert_eq!(f[v::FEEDETAIL], Value::List(Arc::from([])));
    assert_eq!(f[v::BEGNTIME], datetime("2026-10-01T08:30:00"));
}

#[test]
fn accepted_forms() {
    let mut json = example();
    json["brdy"] = "2019-03-14T10:11:12".into();
    json["begntime"] = "2026-10-01".into();
    json["cont_years"] = "7".into();
    json["endtime"] = "".into();
    let line = &mut json["feedetail"][0];
    line["cnt"] = serde_json::from_str("2.0000").unwrap();
    line["pric"] = serde_json::from_str("1.25e1").unwrap();
    line["det_item_fee_sumamt"] = serde_json::from_str("0.1").unwrap();
    line["dscg_tkdrug_flag"] = true.into();
    line["prd_days"] = "3".into();
    let visit = read(&json).unwrap();
    let f = &visit.record.fields;
    assert_eq!(
        f[v::BRDY],
        Value::Date(NaiveDate::from_ymd_opt(2019, 3, 14).unwrap())
    );
    assert_eq!(f[v::BEGNTIME], datetime("2026-10-01T00:00:00"));
    assert_eq!(f[v::CONT_YEARS], Value::Int(7));
    // An empty string for an optional non-text field is absent.
    assert_eq!(f[v::ENDTIME], Value::Absent);
    let line = &lines(&visit)[0].fields;
    assert_eq!(line[l::CNT].as_decimal().unwrap().to_string(), "2.0000");
    assert_eq!(line[l::PRIC], dec("12.5"));
    // Numbers are read from their text, never through f64.
    assert_eq!(
        line[l::DET_ITEM_FEE_SUMAMT].as_decimal().unwrap() + Decimal::from_str("0.2").unwrap(),
        Decimal::from_str("0.3").unwrap()
    );
    assert_eq!(line[l::DSCG_TKDRUG_FLAG], Value::Bool(true));
    assert_eq!(line[l::PRD_DAYS], Value::Int(3));
}

#[test]
fn codes_stay_strings_exactly() {
    let mut json = example();
    json["gend"] = "02".into();
    let visit = read(&json).unwrap();
    assert_eq!(visit.record.fields[v::GEND], Value::text("02"));
}

// ---- rejected lines -------------------------------------------------------------

#[test]
fn broken_json() {
    let e = read_visit(&schema(), 7, r#"{"mdtrt_id": "M1", "psn_no": "#).unwrap_err();
    assert_eq!(e.line, 7);
    assert_eq!(e.field, "");
    assert_eq!(e.mdtrt_id, None);
    assert!(e.reason.en.starts_with("invalid JSON"), "{}", e.reason.en);
    assert!(e.reason.zh.starts_with("JSON 格式错误"), "{}", e.reason.zh);
}

#[test]
fn not_an_object() {
    for (text, what) in [
        ("[1, 2]", "an array"),
        ("42", "the number 42"),
        ("\"x\"", "the string"),
    ] {
        let e = read_visit(&schema(), 1, text).unwrap_err();
        assert_eq!(e.field, "");
        assert!(e.reason.en.contains(what), "{}", e.reason.en);
        assert!(e.reason.zh.contains("不是 JSON 对象"), "{}", e.reason.zh);
    }
}

#[test]
fn required_field_missing_or_null() {
    let mut json = example();
    json.as_object_mut().unwrap().remove("psn_no");
    let e = reject(&json, "psn_no");
    assert_eq!(e.mdtrt_id.as_deref(), Some("MD20261001001"));
    assert_eq!(e.reason.en, "required field is missing");
    assert_eq!(e.reason.zh, "缺少必填字段");

    let mut json = example();
    json["brdy"] = serde_json::Value::Null;
    reject(&json, "brdy");

    let mut json = example();
    json["feedetail"][0].as_object_mut().unwrap().remove("cnt");
    reject(&json, "feedetail[0].cnt");

    let mut json = example();
    json["feedetail"][0]["cnt"] = "".into();
    let e = reject(&json, "feedetail[0].cnt");
    assert_eq!(e.reason.en, "required field is empty");

    let mut json = example();
    json["psn_no"] = " ".into();
    let e = reject(&json, "psn_no");
    assert_eq!(e.reason.en, "must not be empty");
}

#[test]
fn mdtrt_id_of_an_unreadable_visit() {
    let mut json = example();
    json["mdtrt_id"] = 5.into();
    let e = reject(&json, "mdtrt_id");
    assert_eq!(e.mdtrt_id, None);
}

#[test]
fn wrong_types() {
    let cases: Vec<(&str, serde_json::Value, &str, &str)> = vec![
        (
            "cnt",
            serde_json::json!({"n": 1}),
            "feedetail[1].cnt",
            "found an object",
        ),
        (
            "cnt",
            true.into(),
            "feedetail[1].cnt",
            "found the boolean true",
        ),
        (
            "cnt",
            serde_json::json!([1]),
            "feedetail[1].cnt",
            "found an array",
        ),
        (
            "med_list_codg",
            5.into(),
            "feedetail[1].med_list_codg",
            "expected a code",
        ),
        (
            "feedetl_sn",
            2.into(),
            "feedetail[1].feedetl_sn",
            "found the number 2",
        ),
        (
            "prd_days",
            1.5.into(),
            "feedetail[1].prd_days",
            "not a whole number",
        ),
        (
            "dscg_tkdrug_flag",
            "2".into(),
            "feedetail[1].dscg_tkdrug_flag",
            "expected a boolean",
        ),
        (
            "fee_ocur_time",
            20261001.into(),
            "feedetail[1].fee_ocur_time",
            "expected a date-time",
        ),
    ];
    for (name, value, path, message) in cases {
        let mut second = fee_line("2", None, "1", "12.5");
        second[name] = value;
        let json = with_lines(vec![fee_line("1", None, "1", "12.5"), second]);
        let e = reject(&json, path);
        assert!(e.reason.en.contains(message), "{path}: {}", e.reason.en);
        assert!(e.reason.zh.starts_with("类型错误") || e.reason.zh.starts_with("不是整数"));
    }

    let mut json = example();
    json["psn_no"] = 123.into();
    let e = reject(&json, "psn_no");
    assert_eq!(
        e.reason.en,
        "wrong type: expected a code (JSON string such as \"05\"), found the number 123"
    );

    let mut json = example();
    json["feedetail"] = serde_json::json!({"feedetl_sn": "1"});
    reject(&json, "feedetail");

    let mut json = example();
    json["diseinfo"] = serde_json::json!([{"diag_code": "J18.900"}, "J20"]);
    reject(&json, "diseinfo[1]");

    let mut json = example();
    json["diseinfo"] = serde_json::json!([null]);
    reject(&json, "diseinfo[0]");
}

#[test]
fn impossible_date() {
    let mut json = example();
    json["brdy"] = "2026-02-30".into();
    let e = reject(&json, "brdy");
    assert_eq!(e.reason.en, "no such date: 2026-02-30");
    assert_eq!(e.reason.zh, "日期不存在:2026-02-30");

    let mut json = example();
    json["feedetail"][0]["fee_ocur_time"] = "2026-10-01T24:00:00".into();
    let e = reject(&json, "feedetail[0].fee_ocur_time");
    assert!(
        e.reason.en.starts_with("no such date or time"),
        "{}",
        e.reason.en
    );
}

#[test]
fn malformed_datetime() {
    for bad in [
        "2026/10/01 08:30:00",
        "2026-10-01T8:30:00",
        "2026-10-01T08:30",
        "yesterday",
    ] {
        let mut json = example();
        json["begntime"] = bad.into();
        let e = reject(&json, "begntime");
        assert!(
            e.reason.en.starts_with("malformed date-time"),
            "{}",
            e.reason.en
        );
        assert!(e.reason.zh.starts_with("时间格式错误"), "{}", e.reason.zh);
    }
    let mut json = example();
    json["brdy"] = "14/03/2019".into();
    let e = reject(&json, "brdy");
    assert!(e.reason.en.starts_with("malformed date"), "{}", e.reason.en);
}

#[test]
fn line_total_not_a_number() {
    let mut json = example();
    json["feedetail"][0]["det_item_fee_sumamt"] = "abc".into();
    let e = reject(&json, "feedetail[0].det_item_fee_sumamt");
    assert_eq!(e.reason.en, "not a number: \"abc\"");
    assert_eq!(e.reason.zh, "不是数值:\"abc\"");
    assert_eq!(e.mdtrt_id.as_deref(), Some("MD20261001001"));
}

#[test]
fn decimal_overflow() {
    for bad in [
        "123456789012345678901234567890",
        "0.12345678901234567890123456789",
        "1e40",
    ] {
        // As a JSON number and as a string.
        for value in [
            serde_json::from_str(bad).unwrap(),
            serde_json::Value::from(bad),
        ] {
            let mut json = example();
            json["feedetail"][0]["pric"] = value;
            let e = reject(&json, "feedetail[0].pric");
            assert!(
                e.reason.en.starts_with("number out of range"),
                "{}",
                e.reason.en
            );
        }
    }
}

#[test]
fn duplicate_feedetl_sn() {
    let json = with_lines(vec![
        fee_line("1", None, "1", "12.5"),
        fee_line("2", None, "1", "12.5"),
        fee_line("1", None, "1", "12.5"),
    ]);
    let e = reject(&json, "feedetail[2].feedetl_sn");
    assert!(
        e.reason.en.contains("first at feedetail[0]"),
        "{}",
        e.reason.en
    );
}

mod fast_path;
mod properties;

fn amounts(visit: &Visit) -> Vec<(String, Value, Value)> {
    lines(visit)
        .iter()
        .map(|l| {
            (
                l.fields[l::FEEDETL_SN].as_str().unwrap().to_owned(),
                l.fields[l::CNT].clone(),
                l.fields[l::DET_ITEM_FEE_SUMAMT].clone(),
            )
        })
        .collect()
}

mod refunds;
mod schema;
mod stream;
