//! A synthetic drug and service catalogue for W5: `rows` rows in the shape of the
//! standard item_limits table (stdlib.md), every row with a code and a name and
//! each restriction in a minority of rows, as in real catalogues. Columns the
//! generator does not know are left empty.

use heng_compiler::ir::TableDecl;
use std::fmt::Write;

/// The CSV text of the catalogue, header included.
pub fn item_limits_csv(decl: &TableDecl, rows: usize) -> String {
    let mut csv = String::with_capacity(rows * 80);
    let names: Vec<&str> = decl.columns.iter().map(|c| c.name.as_str()).collect();
    csv.push_str(&names.join(","));
    csv.push('\n');
    for i in 0..rows {
        let r = i % 97;
        for (k, name) in names.iter().enumerate() {
            if k > 0 {
                csv.push(',');
            }
            let cell = |yes: bool, v: &'static str| if yes { v } else { "" };
            match *name {
                "code" => {
                    let _ = write!(csv, "XJ{:02}{:02}A{:07}", i % 90, i % 13, i);
                }
                "name" => {
                    let _ = write!(csv, "药品名称{}片", i % 5000);
                }
                "gender" => csv.push_str(match r % 10 {
                    0 => "1",
                    1 => "2",
                    _ => "",
                }),
                "age_min" => csv.push_str(cell(r % 7 == 0, "18")),
                "age_max" => csv.push_str(cell(r % 7 == 0, "65")),
                "newborn_only" => csv.push_str(cell(r == 3, "1")),
                "min_tier" => csv.push_str(cell(r % 11 == 0, "2")),
                "visit" => csv.push_str(match r % 13 {
                    0 => "inpatient",
                    1 => "普通门诊",
                    _ => "",
                }),
                "insurance" => csv.push_str(cell(r == 5, "work_injury")),
                "indication" => csv.push_str(match r % 6 {
                    0 => "J01;J02;J03",
                    1 => "C18;C19",
                    _ => "",
                }),
                "indication_grade" => csv.push_str(cell(r % 6 == 0, "low")),
                "second_line" => csv.push_str(cell(r % 17 == 0, "XJ01;XJ02")),
                "second_line_days" => csv.push_str(cell(r % 17 == 0, "90")),
                "max_days" => csv.push_str(cell(r % 5 == 0, "7")),
                "freq" => csv.push_str(cell(r % 9 == 0, "3")),
                "freq_period" => csv.push_str(cell(r % 9 == 0, "day")),
                "max_amount_year" => csv.push_str(cell(r % 8 == 0, "1500.00")),
                "dept" => csv.push_str(cell(r % 19 == 0, "A03;A04")),
                _ => {}
            }
        }
        csv.push('\n');
    }
    csv
}
