//! Tests of loading knowledge-base tables from CSV: typed cells, lookups, and the
//! diagnostics (code, exact cell span, row and column in the message) for bad input.

use heng_compiler::diagnostic::{Diagnostic, codes};
use heng_compiler::ir::{EnumDecl, FieldDecl, Program, TableDecl, Variant};
use heng_compiler::source::{FileId, SourceMap, Span};
use heng_compiler::types::{EnumId, TableId, Type};
use heng_runtime::table::{Table, load_table};
use heng_runtime::value::Value;
use rust_decimal::Decimal;
use std::str::FromStr;

fn field(name: &str, ty: Type) -> FieldDecl {
    FieldDecl {
        name: name.into(),
        ty,
        doc: String::new(),
        span: Span::default(),
    }
}

fn opt(ty: Type) -> Type {
    ty.option()
}

/// A program with one enum (`VisitKind`) and one table shaped like item_limits.
fn program() -> Program {
    let visit = EnumDecl {
        name: "VisitKind".into(),
        doc: String::new(),
        variants: vec![
            Variant {
                name: "outpatient".into(),
                label: "门诊".into(),
            },
            Variant {
                name: "inpatient".into(),
                label: "住院".into(),
            },
        ],
        span: Span::default(),
    };
    let table = TableDecl {
        name: "item_limits".into(),
        file: "item_limits".into(),
        doc: String::new(),
        many: false,
        key: 0,
        columns: vec![
            field("code", Type::Code),
            field("name", Type::Text),
            field("gender", opt(Type::Code)),
            field("age_min", opt(Type::Int)),
            field("age_max", opt(Type::Int)),
            field("visit", opt(Type::Enum(EnumId(0)))),
            field("indication", opt(Type::Prefixes)),
            field("max_amount_year", opt(Type::Decimal)),
            field("newborn_only", opt(Type::Bool)),
            field("since", opt(Type::Date)),
        ],
        span: Span::default(),
    };
    Program {
        enums: vec![visit],
        tables: vec![table],
        ..Program::default()
    }
}

const CODE: usize = 0;
const NAME: usize = 1;
const GENDER: usize = 2;
const AGE_MIN: usize = 3;
const AGE_MAX: usize = 4;
const VISIT: usize = 5;
const INDICATION: usize = 6;
const MAX_AMOUNT: usize = 7;
const NEWBORN: usize = 8;
const SINCE: usize = 9;

const HEADER: &str =
    "code,name,gender,age_min,age_max,visit,indication,max_amount_year,newborn_only,since\n";

fn load(text: &str) -> Result<Table, Vec<Diagnostic>> {
    load_table(&program(), TableId(0), FileId(0), text)
}

fn errors(text: &str) -> Vec<Diagnostic> {
    match load(text) {
        Ok(t) => panic!("expected errors, loaded {} rows", t.len()),
        Err(d) => d,
    }
}

fn dec(s: &str) -> Value {
    Value::Decimal(Decimal::from_str(s).expect("test decimal"))
}

fn prefixes(items: &[&str]) -> Value {
    Value::Prefixes(items.iter().map(|s| (*s).into()).collect::<Vec<_>>().into())
}

/// The text a span covers and its 1-based line and column (in characters).
fn at(text: &str, span: Span) -> (String, usize, usize) {
    let mut map = SourceMap::default();
    let file = map.add("item_limits.csv", text);
    assert_eq!(file, span.file);
    let (line, col) = map.line_col(file, span.start);
    (text[span.range()].to_owned(), line, col)
}

fn only(diags: &[Diagnostic]) -> &Diagnostic {
    assert_eq!(diags.len(), 1, "{diags:#?}");
    &diags[0]
}

#[test]
fn happy_path_with_bom_crlf_quotes_chinese_and_extra_columns() {
    let text = "\u{feff}code,name,gender,age_min,age_max,visit,indication,max_amount_year,newborn_only,since,备注\r\n\
        XJ01DD, 头孢呋辛酯片 ,1,18,65,inpatient, J01 ; J02;;,1234.50,0,2024-03-01,随便写\r\n\
        \"A,1\",\"带\"\"引号\"\"的名称\",,,,住院,,40%,TRUE,,\r\n\
        \r\n\
        ,,,,,,,,,,\r\n\
        B2,名称,,,,,,,,,";
    let t = load(text).expect("loads");
    assert_eq!(t.len(), 3, "blank and all-empty rows are skipped");
    let r = t.get("XJ01DD").expect("row");
    assert_eq!(t.cell(r, CODE), &Value::text("XJ01DD"));
    assert_eq!(t.cell(r, NAME), &Value::text("头孢呋辛酯片"));
    assert_eq!(t.cell(r, GENDER), &Value::text("1"));
    assert_eq!(t.cell(r, AGE_MIN), &Value::Int(18));
    assert_eq!(t.cell(r, AGE_MAX), &Value::Int(65));
    assert_eq!(t.cell(r, VISIT), &Value::Enum(1));
    assert_eq!(t.cell(r, INDICATION), &prefixes(&["J01", "J02"]));
    assert_eq!(t.cell(r, MAX_AMOUNT), &dec("1234.50"));
    assert_eq!(t.cell(r, NEWBORN), &Value::Bool(false));
    let date = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).expect("date");
    assert_eq!(t.cell(r, SINCE), &Value::Date(date));
    assert_eq!(t.row(r).len(), 10, "the extra column 备注 is ignored");

    let r = t.get("A,1").expect("quoted key");
    assert_eq!(t.cell(r, NAME), &Value::text("带\"引号\"的名称"));
    assert_eq!(t.cell(r, GENDER), &Value::Absent);
    assert_eq!(t.cell(r, VISIT), &Value::Enum(1), "Chinese label accepted");
    assert_eq!(t.cell(r, INDICATION), &Value::Absent);
    let Value::Decimal(d) = t.cell(r, MAX_AMOUNT) else {
        panic!("decimal")
    };
    assert_eq!(d.to_string(), "0.40", "40% is exactly 0.40");
    assert_eq!(t.cell(r, NEWBORN), &Value::Bool(true));
    assert_eq!(t.get("B2"), Some(2));
}

#[test]
fn missing_optional_columns_are_absent() {
    let t = load("name,code\n阿莫西林,X01\n").expect("loads");
    let r = t.get("X01").expect("row");
    assert_eq!(t.cell(r, NAME), &Value::text("阿莫西林"));
    for c in [GENDER, AGE_MIN, VISIT, INDICATION, MAX_AMOUNT, SINCE] {
        assert_eq!(t.cell(r, c), &Value::Absent);
    }
}

#[test]
fn repeated_cells_are_equal_values() {
    let t = load("code,name,indication\nA,药,J01;J02\nB,药,J01;J02\n").expect("loads");
    assert_eq!(t.row(0)[1..], t.row(1)[1..]);
    assert_eq!(t.cell(1, INDICATION), &prefixes(&["J01", "J02"]));
}

#[test]
fn exact_and_longest_prefix_lookup() {
    let text =
        format!("{HEADER}X,甲,,,,,,,,\nXJ01,乙,,,,,,,,\nXJ01DD,丙,,,,,,,,\n中药,丁,,,,,,,,\n");
    let t = load(&text).expect("loads");
    assert_eq!(t.get("XJ01"), Some(1));
    assert_eq!(t.get("XJ0"), None);
    assert_eq!(t.prefix("XJ01DDA0"), Some(2));
    assert_eq!(t.prefix("XJ01DD"), Some(2));
    assert_eq!(t.prefix("XJ01D"), Some(1));
    assert_eq!(t.prefix("XK"), Some(0));
    assert_eq!(t.prefix("Y"), None);
    assert_eq!(t.prefix(""), None);
    assert_eq!(t.prefix("中药饮片"), Some(3));
    assert_eq!(t.prefix("中"), None);
}

#[test]
fn bad_int_points_at_the_cell() {
    let text = format!("{HEADER}X,甲,,18,65,,,,,\nY,乙,,十八,65,,,,,\n");
    let d = errors(&text);
    let d = only(&d);
    assert_eq!(d.code, codes::TABLE_BAD_VALUE);
    assert_eq!(at(&text, d.primary.span), ("十八".into(), 3, 6));
    assert!(d.message.zh.contains("第 3 行") && d.message.zh.contains("age_min"));
    assert!(d.message.en.contains("row 3") && d.message.en.contains("age_min"));
    assert!(d.help.as_ref().is_some_and(|h| h.en.contains("empty")));
}

#[test]
fn quoted_and_chinese_cells_have_exact_spans() {
    // The bad cell is quoted, contains a comma, and follows Chinese text.
    let text = format!("{HEADER}\"X,1\",\"头孢,片\",,\"1,5\",65,,,,,\n");
    let d = errors(&text);
    let d = only(&d);
    assert_eq!(d.code, codes::TABLE_BAD_VALUE);
    assert_eq!(at(&text, d.primary.span), ("\"1,5\"".into(), 2, 15));
    assert!(d.message.en.contains("\"1,5\""), "{}", d.message.en);
}

#[test]
fn bom_shifts_spans() {
    let text = format!("\u{feff}{HEADER}X,甲,,,,,,abc,,\n");
    let d = errors(&text);
    let d = only(&d);
    assert_eq!(at(&text, d.primary.span), ("abc".into(), 2, 10));
    assert!(d.message.en.contains("max_amount_year"));
}

#[test]
fn bad_decimal_bool_date() {
    let text = format!(
        "{HEADER}X,甲,,,,,,1e5,,\nY,乙,,,,,,12.5,yes,\nZ,丙,,,,,,,,2024-02-30\nW,丁,,,,,,,,2024/03/01\n"
    );
    let d = errors(&text);
    assert_eq!(d.len(), 4, "{d:#?}");
    let cells: Vec<_> = d.iter().map(|d| at(&text, d.primary.span)).collect();
    assert_eq!(cells[0], ("1e5".into(), 2, 10));
    assert_eq!(cells[1], ("yes".into(), 3, 15));
    assert_eq!(cells[2], ("2024-02-30".into(), 4, 12));
    assert_eq!(cells[3], ("2024/03/01".into(), 5, 12));
    assert!(d[0].message.en.contains("max_amount_year"));
    assert!(d[1].message.en.contains("newborn_only") && d[1].message.en.contains("row 3"));
    assert!(d[2].message.en.contains("since") && d[2].message.zh.contains("第 4 行"));
    assert!(
        d.iter()
            .all(|d| d.code == codes::TABLE_BAD_VALUE && d.help.is_some())
    );
}

#[test]
fn bad_enum_lists_allowed_values() {
    let text = format!("{HEADER}X,甲,,,,急诊,,,,\n");
    let d = errors(&text);
    let d = only(&d);
    assert_eq!(d.code, codes::TABLE_BAD_ENUM);
    assert_eq!(at(&text, d.primary.span), ("急诊".into(), 2, 8));
    assert!(d.message.en.contains("visit") && d.message.en.contains("VisitKind"));
    let help = d.help.as_ref().expect("help");
    assert!(help.en.contains("outpatient (门诊)") && help.en.contains("inpatient (住院)"));
    assert!(help.zh.contains("outpatient(门诊)"));
}

#[test]
fn empty_required_cells() {
    let text = format!("{HEADER} ,甲,,,,,,,,\nY,  ,,,,,,,,\n");
    let d = errors(&text);
    assert_eq!(d.len(), 2, "{d:#?}");
    assert_eq!(d[0].code, codes::TABLE_BAD_VALUE);
    assert_eq!(at(&text, d[0].primary.span), (" ".into(), 2, 1));
    assert!(d[0].message.en.contains("key column code"));
    assert_eq!(at(&text, d[1].primary.span), ("  ".into(), 3, 3));
    assert!(d[1].message.en.contains("column name") && d[1].message.en.contains("row 3"));
}

#[test]
fn duplicate_key_points_at_both_rows() {
    let text = format!("{HEADER}X,甲,,,,,,,,\nY,乙,,,,,,,,\n\" X\",丙,,,,,,,,\n");
    let d = errors(&text);
    let d = only(&d);
    assert_eq!(d.code, codes::TABLE_DUPLICATE_KEY);
    assert_eq!(at(&text, d.primary.span), ("\" X\"".into(), 4, 1));
    assert_eq!(d.secondary.len(), 1);
    assert_eq!(at(&text, d.secondary[0].span), ("X".into(), 2, 1));
    assert!(d.message.en.contains("row 4") && d.message.en.contains("row 2"));
}

#[test]
fn missing_required_column_points_at_header() {
    let text = "code,gender,Name\nX,1,甲\n";
    let d = errors(text);
    let d = only(&d);
    assert_eq!(d.code, codes::TABLE_MISSING_COLUMN);
    assert_eq!(at(text, d.primary.span), ("code,gender,Name".into(), 1, 1));
    assert!(d.message.en.contains("name"));
    assert!(
        d.help
            .as_ref()
            .is_some_and(|h| h.en.contains("case-sensitive"))
    );
}

#[test]
fn wrong_field_count_is_bad_csv() {
    let text = format!("{HEADER}X,甲,,,,,,,,\nY,乙,,,\nZ,丙,,,,,,,,,多\n");
    let d = errors(&text);
    assert_eq!(d.len(), 2, "{d:#?}");
    assert!(d.iter().all(|d| d.code == codes::TABLE_BAD_CSV));
    assert_eq!(at(&text, d[0].primary.span), ("Y,乙,,,".into(), 3, 1));
    assert!(d[0].message.en.contains("row 3"));
    assert_eq!(
        at(&text, d[1].primary.span),
        ("Z,丙,,,,,,,,,多".into(), 4, 1)
    );
}

#[test]
fn empty_file_is_bad_csv() {
    let d = errors("");
    assert_eq!(only(&d).code, codes::TABLE_BAD_CSV);
    let d = errors("\u{feff}");
    assert_eq!(only(&d).code, codes::TABLE_BAD_CSV);
}

#[test]
fn all_errors_reported_up_to_a_cap() {
    let mut text = HEADER.to_owned();
    for i in 0..80 {
        text.push_str(&format!("K{i},名,,x,,,,,,\n"));
    }
    let d = errors(&text);
    assert_eq!(d.len(), 50);
    assert_eq!(at(&text, d[49].primary.span).1, 51);
    assert!(d[49].notes.iter().any(|n| n.en.contains("30 more")));
    // A handful of errors: all reported, no note.
    let text = format!("{HEADER}A,名,,x,y,,,z,,\n");
    let d = errors(&text);
    assert_eq!(d.len(), 3);
    assert!(d.iter().all(|d| d.notes.is_empty()));
}

#[test]
fn header_only_loads_empty() {
    let t = load(HEADER).expect("loads");
    assert!(t.is_empty());
    assert_eq!(t.prefix("X"), None);
}
