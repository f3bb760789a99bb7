//! The visit generator: random visits as NDJSON lines in the records.md format.
//!
//! Optional fields come and go, lists may be empty, decimals run from 0 and
//! 0.0000001 to 28 significant digits (as JSON strings and numbers), texts are
//! Chinese, dates include 29 February and year ends, and codes are drawn both
//! from the standard tables (so lookups hit) and from nowhere (so they miss).

use crate::Choices;
use std::path::Path;

/// Codes of the standard knowledge-base tables, read from their CSV files.
pub struct Pools {
    items: Vec<String>,
    diseases: Vec<String>,
}

impl Pools {
    pub fn load(tables: &Path) -> Pools {
        let keys = |file: &str| -> Vec<String> {
            let text = std::fs::read_to_string(tables.join(file)).expect("a standard table");
            text.lines()
                .skip(1)
                .filter_map(|l| l.split(',').next())
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let mut items = keys("item_limits.csv");
        items.extend(keys("price_caps.csv"));
        items.extend(keys("exclusions.csv"));
        Pools {
            items,
            diseases: keys("special_diseases.csv"),
        }
    }
}

const RANDOM_CODES: &[&str] = &[
    "",
    "X",
    "XJ01",
    "XJ01ZZZ999Z999999999999",
    "999999999999999",
    "C34.900",
    "C97",
    "C98.000",
    "D00.1",
    "D09",
    "Z51.1",
    "J18.900",
    "I10.x00",
    "编码",
    "M99999",
];

const DATES: &[&str] = &[
    "2000-02-29",
    "2024-02-29",
    "1960-01-01",
    "2025-12-31",
    "2026-01-01",
    "2026-10-01",
    "2026-12-31",
    "2027-02-28",
    "1900-01-01",
    "2026-02-28",
    // the edges of native date arithmetic: the first day of the era, the day
    // before the Unix epoch, the last four-digit year
    "0001-01-01",
    "1969-12-31",
    "9999-12-31",
];

const TIMES: &[&str] = &["00:00:00", "09:30:00", "23:59:59", "12:00:00"];

const DECIMALS: &[&str] = &[
    "0",
    "0.00",
    "-0",
    "0.0000001",
    "1",
    "12.50",
    "-12.50",
    "20.00",
    "1000",
    "1234567890123456789012345678",
    "-1234567890123456789012345678",
    "0.1234567890123456789012345678",
    "123456789012345.6789012345678",
    "3.333333",
];

const INTS: &[&str] = &[
    "0",
    "1",
    "7",
    "8",
    "30",
    "-1",
    "9223372036854775807",
    "-9223372036854775808",
];

const TEXTS: &[&str] = &[
    "阿莫西林胶囊",
    "普通病房床位费",
    "",
    "a \"quoted\" name",
    "换行\n名称",
    "𠀀扩展区汉字",
    "{花括号}",
];

/// A JSON object written field by field (values already JSON text).
struct Object(Vec<String>);

impl Object {
    fn raw(&mut self, key: &str, json: String) {
        self.0.push(format!("{}:{json}", string(key)));
    }
    fn text(&mut self, key: &str, value: &str) {
        self.raw(key, string(value));
    }
    fn finish(self) -> String {
        format!("{{{}}}", self.0.join(","))
    }
}

fn string(s: &str) -> String {
    serde_json::to_string(s).expect("a string is JSON")
}

struct VisitGen<'a> {
    c: Choices<'a>,
    pools: &'a Pools,
}

/// One visit as one NDJSON line; `n` makes the ids unique.
pub fn visit(pools: &Pools, choices: &[u32], n: usize) -> String {
    let mut g = VisitGen {
        c: Choices::new(choices),
        pools,
    };
    let mut o = Object(Vec::new());
    o.text("mdtrt_id", &format!("MD{n:04}"));
    o.text("psn_no", g.one(&["P001", "P002", "人员"]));
    g.maybe_code(&mut o, "gend", &["1", "2", "0", "9"]);
    o.text("brdy", g.one(DATES));
    g.maybe_code(&mut o, "insutype", &["310", "390", "510"]);
    if g.c.pick(3) == 1 {
        let v = g.int();
        o.raw("cont_years", v);
    }
    g.maybe_code(&mut o, "hosp_lv", &["01", "05", "08", "11", "13", ""]);
    o.text(
        "med_type",
        g.one(&["11", "14", "15", "21", "41", "52", "99"]),
    );
    let day = g.one(DATES);
    let begin = g.datetime(day);
    o.text("begntime", &begin);
    if g.c.pick(2) == 1 {
        let end_day = g.one(DATES);
        let end = g.datetime(end_day);
        o.text("endtime", &end);
    }
    if g.c.pick(2) == 1 {
        let d = g.disease();
        o.text("dise_codg", &d);
    } else if g.c.pick(2) == 1 {
        o.raw("dise_codg", "null".into());
    }
    g.maybe_code(&mut o, "adm_dept_codg", &["A03", "B01"]);
    let diags: Vec<String> = (0..g.c.pick(4)).map(|_| g.diagnosis()).collect();
    if !diags.is_empty() || g.c.pick(2) == 1 {
        o.raw("diseinfo", format!("[{}]", diags.join(",")));
    }
    let mut lines: Vec<String> = Vec::new();
    // Refunds reverse an earlier line fully: (serial number, cnt, amount).
    let mut refundable: Vec<(String, String, String)> = Vec::new();
    for i in 0..g.c.pick(6) {
        let sn = format!("{}", i + 1);
        if g.c.pick(6) == 5
            && let Some((target, cnt, amount)) = refundable.pop()
        {
            lines.push(g.fee_line(&sn, Some((&target, &cnt, &amount))));
        } else {
            lines.push(g.fee_line(&sn, None));
            if let Some(last) = lines.last()
                && let (Some(cnt), Some(amount)) =
                    (field(last, "cnt"), field(last, "det_item_fee_sumamt"))
                && !cnt.starts_with('-')
                && !amount.starts_with('-')
            {
                refundable.push((sn, cnt, amount));
            }
        }
    }
    if !lines.is_empty() || g.c.pick(2) == 1 {
        o.raw("feedetail", format!("[{}]", lines.join(",")));
    }
    o.finish()
}

/// The raw text of a decimal field written by `fee_line` (for refunds).
fn field(line: &str, key: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    match v.get(key)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl VisitGen<'_> {
    fn one<'s>(&mut self, items: &[&'s str]) -> &'s str {
        items[self.c.pick(items.len())]
    }

    fn maybe_code(&mut self, o: &mut Object, key: &str, values: &[&str]) {
        match self.c.pick(4) {
            0 => {}
            1 => o.raw(key, "null".into()),
            _ => {
                let v = self.one(values);
                o.text(key, v);
            }
        }
    }

    fn datetime(&mut self, day: &str) -> String {
        let time = self.one(TIMES);
        match self.c.pick(4) {
            0 => format!("{day}T{time}"),
            1 => format!("{day} {time}"),
            2 => day.to_owned(),
            _ => format!("{day}T{time}"),
        }
    }

    /// A decimal as a JSON string or a JSON number.
    fn decimal(&mut self) -> String {
        let d = if self.c.pick(3) == 2 {
            format!("{}.{:02}", self.c.pick(5000), self.c.pick(100))
        } else {
            self.one(DECIMALS).to_owned()
        };
        if self.c.pick(3) == 1 && d != "-0" {
            d
        } else {
            string(&d)
        }
    }

    fn int(&mut self) -> String {
        let i = self.one(INTS).to_owned();
        if self.c.pick(2) == 1 { i } else { string(&i) }
    }

    fn item_code(&mut self) -> String {
        match self.c.pick(4) {
            0 => self.one(RANDOM_CODES).to_owned(),
            1 => {
                // A table key extended: a prefix lookup finds it, a get does not.
                let k = self.c.pick(self.pools.items.len());
                format!("{}A001", self.pools.items[k])
            }
            _ => {
                let k = self.c.pick(self.pools.items.len());
                self.pools.items[k].clone()
            }
        }
    }

    fn disease(&mut self) -> String {
        if self.c.pick(3) == 0 {
            self.one(RANDOM_CODES).to_owned()
        } else {
            let k = self.c.pick(self.pools.diseases.len());
            self.pools.diseases[k].clone()
        }
    }

    fn diagnosis(&mut self) -> String {
        let mut o = Object(Vec::new());
        let code = if self.c.pick(3) == 0 {
            self.disease()
        } else {
            self.one(RANDOM_CODES).to_owned()
        };
        o.text("diag_code", &code);
        if self.c.pick(2) == 1 {
            let t = self.one(TEXTS);
            o.text("diag_name", t);
        }
        self.maybe_code(&mut o, "maindiag_flag", &["1", "0"]);
        o.finish()
    }

    fn fee_line(&mut self, sn: &str, refund: Option<(&str, &str, &str)>) -> String {
        let mut o = Object(Vec::new());
        o.text("feedetl_sn", sn);
        let day = self.one(DATES);
        let time = self.datetime(day);
        o.text("fee_ocur_time", &time);
        let code = self.item_code();
        o.text("med_list_codg", &code);
        let name = self.one(TEXTS);
        o.text("hilist_name", name);
        match refund {
            Some((target, cnt, amount)) => {
                o.text("init_feedetl_sn", target);
                o.text("cnt", &format!("-{cnt}"));
                o.raw("pric", self.decimal());
                o.text("det_item_fee_sumamt", &format!("-{amount}"));
            }
            None => {
                for key in ["cnt", "pric", "det_item_fee_sumamt"] {
                    let v = self.decimal();
                    o.raw(key, v);
                }
            }
        }
        self.maybe_code(&mut o, "list_type", &["101", "102", "201", "301", "106"]);
        self.maybe_code(&mut o, "med_chrgitm_type", &["01", "02", "09", "11"]);
        self.maybe_code(&mut o, "chrgitm_lv", &["01", "02", "03"]);
        self.maybe_code(&mut o, "bilg_dept_codg", &["A03", "B01", ""]);
        self.maybe_code(&mut o, "hosp_appr_flag", &["0", "1", "2"]);
        self.maybe_code(&mut o, "dscg_tkdrug_flag", &["0", "1"]);
        if self.c.pick(2) == 1 {
            let v = self.int();
            o.raw("prd_days", v);
        }
        if self.c.pick(4) == 1 {
            let t = self.one(TEXTS);
            o.text("drord_no", t);
        }
        o.finish()
    }
}
