//! Measures how long `load_table` takes on a generated item_limits-shaped table
//! (18 columns, most cells empty). A measurement, not a test:
//! `cargo run --release -p heng-runtime --example table_load [ROWS]`.

use heng_compiler::ir::{EnumDecl, FieldDecl, Program, TableDecl, Variant};
use heng_compiler::source::{FileId, Span};
use heng_compiler::types::{EnumId, TableId, Type};
use heng_runtime::table::load_table;
use std::fmt::Write;
use std::time::Instant;

fn field(name: &str, ty: Type) -> FieldDecl {
    FieldDecl {
        name: name.into(),
        ty,
        doc: String::new(),
        span: Span::default(),
    }
}

fn enum_decl(name: &str, variants: &[(&str, &str)]) -> EnumDecl {
    EnumDecl {
        name: name.into(),
        doc: String::new(),
        variants: variants
            .iter()
            .map(|(n, l)| Variant {
                name: (*n).into(),
                label: (*l).into(),
            })
            .collect(),
        span: Span::default(),
    }
}

/// The item_limits table of the standard pack (stdlib.md).
fn program() -> Program {
    let o = |t: Type| t.option();
    let columns = vec![
        field("code", Type::Code),
        field("name", Type::Text),
        field("gender", o(Type::Code)),
        field("age_min", o(Type::Int)),
        field("age_max", o(Type::Int)),
        field("newborn_only", o(Type::Bool)),
        field("min_tier", o(Type::Int)),
        field("visit", o(Type::Enum(EnumId(0)))),
        field("insurance", o(Type::Enum(EnumId(1)))),
        field("indication", o(Type::Prefixes)),
        field("indication_grade", o(Type::Enum(EnumId(2)))),
        field("second_line", o(Type::Prefixes)),
        field("second_line_days", o(Type::Int)),
        field("max_days", o(Type::Int)),
        field("freq", o(Type::Int)),
        field("freq_period", o(Type::Enum(EnumId(3)))),
        field("max_amount_year", o(Type::Decimal)),
        field("dept", o(Type::Prefixes)),
    ];
    Program {
        enums: vec![
            enum_decl(
                "VisitLimit",
                &[("outpatient", "门诊"), ("inpatient", "住院")],
            ),
            enum_decl(
                "Insurance",
                &[("work_injury", "工伤"), ("maternity", "生育")],
            ),
            enum_decl(
                "Severity",
                &[("violation", "违规"), ("high", "高度可疑"), ("low", "可疑")],
            ),
            enum_decl(
                "Period",
                &[
                    ("day", "日"),
                    ("week", "周"),
                    ("month", "月"),
                    ("year", "年"),
                    ("visit", "次"),
                ],
            ),
        ],
        tables: vec![TableDecl {
            name: "item_limits".into(),
            doc: String::new(),
            key: 0,
            columns,
            span: Span::default(),
        }],
        ..Program::default()
    }
}

/// A CSV of `rows` rows: every row has a code and a name; each other column is
/// filled in a minority of rows, as in real catalogues.
fn generate(program: &Program, rows: usize) -> String {
    let decl = &program.tables[0];
    let mut csv = String::with_capacity(rows * 80);
    let names: Vec<&str> = decl.columns.iter().map(|c| c.name.as_str()).collect();
    csv.push_str(&names.join(","));
    csv.push('\n');
    for i in 0..rows {
        let r = i % 97;
        let _ = write!(csv, "XJ{:02}{:02}A{:07},", i % 90, i % 13, i);
        let _ = write!(csv, "药品名称{}片,", i % 5000);
        csv.push_str(match r % 10 {
            0 => "1,",
            1 => "2,",
            _ => ",",
        });
        if r % 7 == 0 {
            csv.push_str("18,65,");
        } else {
            csv.push_str(",,");
        }
        csv.push_str(if r == 3 { "1," } else { "," });
        csv.push_str(if r % 11 == 0 { "2," } else { "," });
        csv.push_str(match r % 13 {
            0 => "inpatient,",
            1 => "门诊,",
            _ => ",",
        });
        csv.push_str(if r == 5 { "work_injury," } else { "," });
        csv.push_str(match r % 6 {
            0 => "J01;J02;J03,low,",
            1 => "C18;C19,,",
            _ => ",,",
        });
        csv.push_str(if r % 17 == 0 { "XJ01;XJ02,90," } else { ",," });
        csv.push_str(if r % 5 == 0 { "7," } else { "," });
        csv.push_str(if r % 9 == 0 { "3,day," } else { ",," });
        csv.push_str(if r % 8 == 0 { "1500.00," } else { "," });
        csv.push_str(if r % 19 == 0 { "A03;A04" } else { "" });
        csv.push('\n');
    }
    csv
}

fn main() {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(500_000);
    let program = program();
    let csv = generate(&program, rows);
    println!(
        "item_limits: {rows} rows, 18 columns, {}.{} MB of CSV",
        csv.len() / 1_000_000,
        csv.len() / 100_000 % 10
    );
    let mut best = u128::MAX;
    for run in 1..=5 {
        let start = Instant::now();
        let table = match load_table(&program, TableId(0), FileId(0), &csv) {
            Ok(t) => t,
            Err(d) => {
                eprintln!("load failed: {:#?}", &d[..d.len().min(3)]);
                std::process::exit(1);
            }
        };
        let ms = start.elapsed().as_millis();
        best = best.min(ms);
        println!("run {run}: {ms} ms ({} rows)", table.len());
        drop(table);
    }
    println!("best: {best} ms");
}
