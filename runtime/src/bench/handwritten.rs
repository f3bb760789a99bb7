//! The 15 standard line rules written by hand, as an engineer would without Heng:
//! typed structs with codes interned to integers and every table lookup resolved
//! per distinct code before evaluation. The W3 baseline for native code; it decides
//! which (line, rule) pairs fire, like native code does. It applies to the standard
//! pack only: [`fits`] checks the declarations it reads, and the benchmark checks
//! that it agrees with the interpreter rule by rule before timing it.

use crate::pack::Pack;
use crate::table::Table;
use crate::value::Value;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use std::collections::HashMap;

#[derive(Default)]
pub struct Interner {
    ids: HashMap<String, u32>,
    pub texts: Vec<String>,
}

impl Interner {
    pub fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        self.texts.push(s.to_string());
        self.ids.insert(s.to_string(), self.texts.len() as u32 - 1);
        self.texts.len() as u32 - 1
    }
}

pub(super) struct Limit {
    pub(super) gender: Option<String>,
    pub(super) age_min: Option<i64>,
    pub(super) age_max: Option<i64>,
    newborn: bool,
    pub(super) min_tier: Option<i64>,
    pub(super) visit: Option<u32>,
    insurance: Option<u32>,
    indication: Option<Vec<String>>,
    max_days: Option<i64>,
    dept: Option<Vec<String>>,
}

pub struct Line {
    pub(super) code: u32,
    pub(super) code_text: String,
    list_type: Option<String>,
    chrgitm_type: Option<String>,
    pub(super) lv: Option<String>,
    pric: Decimal,
    pub(super) day: NaiveDate,
    dept: Option<String>,
    dscg: Option<String>,
    prd_days: Option<i64>,
}

pub struct Visit {
    pub(super) gend: Option<String>,
    pub(super) brdy: NaiveDate,
    insutype: Option<String>,
    pub(super) tier: i64,
    pub(super) class: u8,
    med_type: String,
    begin: NaiveDate,
    end: Option<NaiveDate>,
    dise: Option<String>,
    diags: Vec<String>,
    pub(super) lines: Vec<Line>,
}

/// Tables resolved per code id.
pub struct Resolved {
    pub(super) limits: Vec<Option<usize>>,
    pub(super) excluded: Vec<bool>,
    caps: Vec<Option<[Option<Decimal>; 3]>>,
    pub(super) limit_rows: Vec<Limit>,
    diseases: HashMap<String, Option<Vec<String>>>,
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}
fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        _ => None,
    }
}
fn dec(v: &Value) -> Option<Decimal> {
    v.as_decimal()
}
fn prefixes(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Prefixes(p) => Some(p.iter().map(|s| s.to_string()).collect()),
        _ => None,
    }
}
fn enum_ix(v: &Value) -> Option<u32> {
    match v {
        Value::Enum(e) => Some(*e),
        _ => None,
    }
}

fn col(pack: &Pack, table: &str, name: &str) -> Option<(usize, usize)> {
    let t = pack.program.tables.iter().position(|t| t.name == table)?;
    let c = pack.program.tables[t]
        .columns
        .iter()
        .position(|c| c.name == name)?;
    Some((t, c))
}

/// Table and column of a name [`fits`] has checked.
fn checked(pack: &Pack, table: &str, name: &str) -> (usize, usize) {
    col(pack, table, name).unwrap_or_default()
}

fn tier(hosp_lv: Option<&str>) -> i64 {
    match hosp_lv.unwrap_or("") {
        "01" | "02" | "03" | "04" | "12" => 3,
        "05" | "06" | "07" | "13" => 2,
        "08" | "09" | "10" | "14" => 1,
        _ => 0,
    }
}

/// Visit classes: 0 outpatient, 1 inpatient, 2 special outpatient, 3 pharmacy (the enum order).
fn class(med_type: &str) -> u8 {
    match med_type {
        "21" | "22" | "23" | "24" | "26" | "28" | "52" => 1,
        "14" | "15" => 2,
        "41" => 3,
        _ => 0,
    }
}

pub(super) fn years_between(from: NaiveDate, to: NaiveDate) -> i64 {
    let mut years = i64::from(to.year() - from.year());
    let birthday_passed = (to.month(), to.day())
        >= (
            from.month(),
            if from.month() == 2 && from.day() == 29 && !is_leap(to.year()) {
                28
            } else {
                from.day()
            },
        );
    if !birthday_passed {
        years -= 1;
    }
    years
}

fn is_leap(y: i32) -> bool {
    NaiveDate::from_ymd_opt(y, 2, 29).is_some()
}

fn starts_any(code: &str, prefixes: &[String]) -> bool {
    prefixes
        .iter()
        .any(|p| !p.is_empty() && code.starts_with(p.as_str()))
}

const VISIT_FIELDS: &[&str] = &[
    "gend",
    "brdy",
    "insutype",
    "hosp_lv",
    "med_type",
    "begntime",
    "endtime",
    "dise_codg",
    "diseinfo",
];
const LINE_FIELDS: &[&str] = &[
    "med_list_codg",
    "list_type",
    "med_chrgitm_type",
    "chrgitm_lv",
    "pric",
    "fee_ocur_time",
    "bilg_dept_codg",
    "dscg_tkdrug_flag",
    "prd_days",
];
const COLUMNS: &[(&str, &[&str])] = &[
    (
        "item_limits",
        &[
            "code",
            "gender",
            "age_min",
            "age_max",
            "newborn_only",
            "min_tier",
            "visit",
            "insurance",
            "indication",
            "max_days",
            "dept",
        ],
    ),
    ("exclusions", &["code"]),
    ("price_caps", &["code", "tier1", "tier2", "tier3"]),
    ("special_diseases", &["dise_codg", "allowed"]),
];

/// Whether the pack declares everything the hand-written rules read (the names of
/// the standard pack); what is missing otherwise.
pub fn fits(pack: &Pack) -> Result<(), String> {
    let p = &pack.program;
    let mut missing = Vec::new();
    let visit = p.visit.map(|v| p.record(v));
    let line = visit.and_then(|v| match v.fields.get(pack.feedetail)?.value_type() {
        heng_compiler::types::Type::List(t) => match **t {
            heng_compiler::types::Type::Record(r) => Some(p.record(r)),
            _ => None,
        },
        _ => None,
    });
    for (record, names, what) in [
        (visit, VISIT_FIELDS, "Visit"),
        (line, LINE_FIELDS, "FeeLine"),
    ] {
        for name in names {
            if record.and_then(|r| r.field(name)).is_none() {
                missing.push(format!("{what}.{name}"));
            }
        }
    }
    if !p
        .records
        .iter()
        .any(|r| r.name == "Diagnosis" && r.field("diag_code").is_some())
    {
        missing.push("Diagnosis.diag_code".into());
    }
    for (table, columns) in COLUMNS {
        for c in *columns {
            if col(pack, table, c).is_none() {
                missing.push(format!("{table}.{c}"));
            }
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "not the standard declarations: no {}",
            missing.join(", ")
        ))
    }
}

/// Converts the interpreter's visit values into typed structs (not timed).
/// The pack must [`fits`].
pub fn convert(pack: &Pack, visits: &[Value], interner: &mut Interner) -> Vec<Visit> {
    let p = &pack.program;
    let Some(vr) = p.visit.map(|v| p.record(v)) else {
        return Vec::new();
    };
    let f = |name: &str| vr.field(name).unwrap_or_default();
    let lt = match vr.fields[pack.feedetail].value_type() {
        heng_compiler::types::Type::List(t) => match **t {
            heng_compiler::types::Type::Record(r) => p.record(r),
            _ => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    let g = |name: &str| lt.field(name).unwrap_or_default();
    let diag_code = p
        .records
        .iter()
        .find(|r| r.name == "Diagnosis")
        .and_then(|r| r.field("diag_code"))
        .unwrap_or_default();
    visits
        .iter()
        .filter_map(|v| v.as_record())
        .map(|r| {
            let date = |x: &Value| match x {
                Value::DateTime(t) => Some(t.date()),
                Value::Date(d) => Some(*d),
                _ => None,
            };
            let lines = r.fields[pack.feedetail]
                .as_list()
                .iter()
                .filter_map(|l| l.as_record())
                .map(|l| Line {
                    code: interner.id(l.fields[g("med_list_codg")].as_str().unwrap_or("")),
                    code_text: l.fields[g("med_list_codg")]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                    list_type: text(&l.fields[g("list_type")]),
                    chrgitm_type: text(&l.fields[g("med_chrgitm_type")]),
                    lv: text(&l.fields[g("chrgitm_lv")]),
                    pric: dec(&l.fields[g("pric")]).unwrap_or_default(),
                    day: date(&l.fields[g("fee_ocur_time")]).unwrap_or_default(),
                    dept: text(&l.fields[g("bilg_dept_codg")]),
                    dscg: text(&l.fields[g("dscg_tkdrug_flag")]),
                    prd_days: int(&l.fields[g("prd_days")]),
                })
                .collect();
            let med_type = text(&r.fields[f("med_type")]).unwrap_or_default();
            Visit {
                gend: text(&r.fields[f("gend")]),
                brdy: date(&r.fields[f("brdy")]).unwrap_or_default(),
                insutype: text(&r.fields[f("insutype")]),
                tier: tier(r.fields[f("hosp_lv")].as_str()),
                class: class(&med_type),
                med_type,
                begin: date(&r.fields[f("begntime")]).unwrap_or_default(),
                end: date(&r.fields[f("endtime")]),
                dise: text(&r.fields[f("dise_codg")]),
                diags: r.fields[f("diseinfo")]
                    .as_list()
                    .iter()
                    .filter_map(|d| d.as_record().and_then(|d| text(&d.fields[diag_code])))
                    .collect(),
                lines,
            }
        })
        .collect()
}

/// Resolves every table lookup for every interned code (not timed). The pack must
/// [`fits`].
pub fn resolve(pack: &Pack, interner: &Interner) -> Resolved {
    let (lt, _) = checked(pack, "item_limits", "code");
    let t: &Table = &pack.tables[lt];
    let c = |n: &str| checked(pack, "item_limits", n).1;
    let limit_rows = (0..t.len() as u32)
        .map(|r| Limit {
            gender: text(t.cell(r, c("gender"))),
            age_min: int(t.cell(r, c("age_min"))),
            age_max: int(t.cell(r, c("age_max"))),
            newborn: matches!(t.cell(r, c("newborn_only")), Value::Bool(true)),
            min_tier: int(t.cell(r, c("min_tier"))),
            visit: enum_ix(t.cell(r, c("visit"))),
            insurance: enum_ix(t.cell(r, c("insurance"))),
            indication: prefixes(t.cell(r, c("indication"))),
            max_days: int(t.cell(r, c("max_days"))),
            dept: prefixes(t.cell(r, c("dept"))),
        })
        .collect();
    let (et, _) = checked(pack, "exclusions", "code");
    let (pt, _) = checked(pack, "price_caps", "code");
    let pc = |n: &str| checked(pack, "price_caps", n).1;
    let (st, _) = checked(pack, "special_diseases", "dise_codg");
    let sd = &pack.tables[st];
    let allowed = checked(pack, "special_diseases", "allowed").1;
    Resolved {
        limits: interner
            .texts
            .iter()
            .map(|s| t.prefix(s).map(|r| r as usize))
            .collect(),
        excluded: interner
            .texts
            .iter()
            .map(|s| pack.tables[et].prefix(s).is_some())
            .collect(),
        caps: interner
            .texts
            .iter()
            .map(|s| {
                let p = &pack.tables[pt];
                p.prefix(s).map(|r| {
                    [
                        dec(p.cell(r, pc("tier1"))),
                        dec(p.cell(r, pc("tier2"))),
                        dec(p.cell(r, pc("tier3"))),
                    ]
                })
            })
            .collect(),
        limit_rows,
        diseases: (0..sd.len() as u32)
            .map(|r| {
                (
                    text(sd.cell(r, 0)).unwrap_or_default(),
                    prefixes(sd.cell(r, allowed)),
                )
            })
            .collect(),
    }
}

/// The standard pack's parameters the rules read.
#[derive(Clone, Copy)]
pub struct Params {
    discharge_max_days: i64,
    material_price: Decimal,
    newborn_days: i64,
}

impl Params {
    pub fn of(pack: &Pack) -> Result<Params, String> {
        let param = |name: &str| {
            pack.program
                .param_index(name)
                .map(|i| &pack.params[i])
                .ok_or_else(|| format!("not the standard parameters: no {name}"))
        };
        let int = |name: &str| match param(name)? {
            Value::Int(i) => Ok(*i),
            _ => Err(format!("not the standard parameters: {name} is not an Int")),
        };
        Ok(Params {
            discharge_max_days: int("discharge_max_days")?,
            newborn_days: int("newborn_max_days")?,
            material_price: param("expensive_material_price")?
                .as_decimal()
                .ok_or("not the standard parameters: expensive_material_price")?,
        })
    }
}

/// Counts the (line, rule) pairs that fire, per rule id.
pub fn run(visits: &[Visit], t: &Resolved, params: &Params) -> HashMap<&'static str, usize> {
    let Params {
        discharge_max_days,
        material_price,
        newborn_days,
    } = *params;
    let mut hits: HashMap<&'static str, usize> = HashMap::new();
    let mut hit = |rule: &'static str| *hits.entry(rule).or_default() += 1;
    for v in visits {
        for l in &v.lines {
            let limit = t
                .limits
                .get(l.code as usize)
                .copied()
                .flatten()
                .map(|r| &t.limit_rows[r]);
            let lt = l.list_type.as_deref().unwrap_or("");
            if let Some(limit) = limit {
                if let (Some(want), Some(g)) = (&limit.gender, &v.gend)
                    && (g == "1" || g == "2")
                    && g != want
                {
                    hit("gender_limit");
                }
                let age = years_between(v.brdy, l.day);
                if limit.age_min.is_some_and(|lo| age < lo)
                    || limit.age_max.is_some_and(|hi| age > hi)
                {
                    hit("age_limit");
                }
                if limit.newborn && (l.day - v.brdy).num_days() > newborn_days {
                    hit("newborn_limit");
                }
                if limit.min_tier.is_some_and(|m| v.tier < m) {
                    hit("tier_limit");
                }
                match limit.visit {
                    Some(0) if v.class == 1 => hit("visit_limit"),
                    Some(1) if v.class != 1 => hit("visit_limit"),
                    _ => {}
                }
                match limit.insurance {
                    Some(0) => hit("insurance_limit"),
                    Some(1)
                        if v.insutype.as_deref() != Some("510")
                            && !matches!(v.med_type.as_str(), "51" | "52" | "53") =>
                    {
                        hit("insurance_limit")
                    }
                    _ => {}
                }
                if let Some(ind) = &limit.indication
                    && !v.diags.iter().any(|d| starts_any(d, ind))
                {
                    hit("indication_limit");
                }
                if let (Some(max), Some(days)) = (limit.max_days, l.prd_days)
                    && days > max
                {
                    hit("max_days");
                }
                if let Some(depts) = &limit.dept
                    && !starts_any(l.dept.as_deref().unwrap_or(""), depts)
                {
                    hit("dept_limit");
                }
            }
            if t.excluded.get(l.code as usize).copied().unwrap_or(false)
                && l.lv.as_deref() != Some("03")
            {
                hit("excluded_item");
            }
            if let Some(Some(caps)) = t.caps.get(l.code as usize) {
                let cap = match v.tier {
                    3 => caps[2],
                    2 => caps[1],
                    _ => caps[0],
                };
                if cap.is_some_and(|c| l.pric > c) {
                    hit("over_price");
                }
            }
            if (lt == "301" || l.chrgitm_type.as_deref() == Some("08")) && l.pric > material_price {
                hit("expensive_material");
            }
            if l.dscg.as_deref() == Some("1") && l.prd_days.is_some_and(|d| d > discharge_max_days)
            {
                hit("discharge_overdose");
            }
            if v.class == 1
                && let Some(end) = v.end
                && (l.day < v.begin || l.day > end)
            {
                hit("billing_outside_stay");
            }
            if matches!(v.med_type.as_str(), "14" | "15")
                && let Some(Some(Some(allowed))) = v.dise.as_ref().map(|d| t.diseases.get(d))
                && (matches!(lt, "101" | "102" | "103" | "104" | "105" | "106" | "301"))
                && !starts_any(&l.code_text, allowed)
            {
                hit("special_disease_scope");
            }
        }
    }
    hits
}
