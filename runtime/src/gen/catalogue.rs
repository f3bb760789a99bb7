//! The item catalogue the generator draws fee lines from, read from the pack's
//! loaded tables so that it stays in step with them: every code of item_limits,
//! exclusions and price_caps, and every allowed prefix of special_diseases,
//! extended to a full national code (drugs 23 characters, services 15 digits,
//! materials C + 19). Each item carries what the standard line rules look up for
//! it (found by the same longest-prefix lookups the rules use), a name, and a
//! plausible price.
//!
//! Names come from the tables: item_limits `name`, else the exclusion `reason`
//! (without its trailing 不予支付), else the special disease's `name` (高血压用药);
//! codes with none of these get the name of their charge category (化验费).
//! Prices are not in the tables: each item gets a base price from a hash of its
//! code within a range for its kind, capped by price_caps for each tier.
//!
//! The codes of item_pairs rows with relation `requires` are items too (A: a
//! material or drug that is billed only with procedure B). An A item is in no
//! pool and no candidate list: it is billed only beside its B (`pairs`), or
//! alone on purpose (requires_item).

use super::codes::{
    base_price, category_name, fnv, full_code, json_escape, kind_of, service_category,
};
use super::rng::Weighted;
use super::tables::TableRef;
use crate::pack::Pack;
use crate::value::Value;
use std::collections::HashMap;

/// What an item is, by the shape of its code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// X… 西药 or Z… 中成药 (list_type 101).
    Drug,
    /// 15 digits (list_type 201).
    Service,
    /// C… (list_type 301).
    Material,
}

/// Visit class, as the standard pack's `class` function derives it from med_type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Outpatient,
    Inpatient,
    SpecialOutpatient,
    Pharmacy,
}

/// A restriction on the setting (item_limits `visit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VisitReq {
    Outpatient,
    Inpatient,
}

/// A restriction on the insurance (item_limits `insurance`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Insurance {
    WorkInjury,
    Maternity,
}

/// The item_limits row that applies to an item (longest prefix), as the line
/// rules read it.
#[derive(Clone, Debug, Default)]
pub struct Limit {
    /// b'1' or b'2'.
    pub gender: Option<u8>,
    pub age_min: Option<i64>,
    pub age_max: Option<i64>,
    pub newborn: bool,
    pub min_tier: Option<i64>,
    pub visit: Option<VisitReq>,
    pub insurance: Option<Insurance>,
    pub indication: Option<Vec<Box<str>>>,
    pub max_days: Option<i64>,
    pub dept: Option<Vec<Box<str>>>,
    /// freq (whole units) and whether its period is the day; not a line rule,
    /// but background lines keep to it within a visit.
    pub freq: Option<(i64, bool)>,
    /// A second-line item (second_line is not modelled: pairs leave such a B
    /// out of the background).
    pub second_line: bool,
}

/// One catalogue item.
#[derive(Clone, Debug)]
pub struct Item {
    pub code: Box<str>,
    /// The name, already escaped for a JSON string (without quotes).
    pub name_json: Box<str>,
    /// The hospital's own code for it (medins_list_codg).
    pub local: Box<str>,
    pub kind: Kind,
    pub list_type: &'static str,
    pub chrgitm_type: &'static str,
    /// chrgitm_lv when billed correctly: 03 (self-paid) for excluded items.
    pub lv: &'static str,
    /// Unit price in fen at hospitals of tier 0..=3, within the tier's price cap;
    /// 0 when the cap leaves no positive price.
    pub price: [i64; 4],
    /// The price cap in fen, rounded down, per tier 0..=3 (tier 0 uses tier1).
    pub cap: [Option<i64>; 4],
    pub limit: Option<Limit>,
    pub excluded: bool,
    /// Sold per tablet or ampoule (cheap unit): quantities of 10–60.
    pub per_unit: bool,
    /// Where the name came from: 0 item_limits, 1 exclusions, 2 a special
    /// disease, 3 the charge category. Items with their own names are drawn more.
    pub source: u8,
    /// The `requires` pairs (indexes into [`Catalogue::pairs`]) whose code_a
    /// the item matches: it is billed only with its B.
    pub pair_a: Box<[u16]>,
    /// The `requires` pairs whose code_b the item matches.
    pub pair_b: Box<[u16]>,
}

impl Item {
    pub fn is_drug(&self) -> bool {
        self.kind == Kind::Drug
    }

    /// How many of the line rules' restrictions the item carries (max_days and
    /// price caps not counted: a hospital keeps to those without changing item).
    fn restrictions(&self) -> usize {
        let Some(l) = &self.limit else {
            return usize::from(self.excluded);
        };
        [
            l.gender.is_some(),
            l.age_min.is_some() || l.age_max.is_some(),
            l.newborn,
            l.min_tier.is_some(),
            l.visit.is_some(),
            l.insurance.is_some(),
            l.indication.is_some(),
            l.dept.is_some(),
            self.excluded,
        ]
        .iter()
        .filter(|&&b| b)
        .count()
    }
}

/// A special disease (special_diseases row).
#[derive(Clone, Debug)]
pub struct Disease {
    pub code: Box<str>,
    /// Escaped for JSON.
    pub name_json: Option<Box<str>>,
    pub allowed: Option<Vec<Box<str>>>,
    /// Drugs and materials the disease allows, most common first.
    pub drugs: Pool,
}

/// Items to draw from, most common first, with Zipf weights.
#[derive(Clone, Debug, Default)]
pub struct Pool {
    pub items: Vec<u32>,
    pub weights: Weighted,
}

impl Pool {
    fn new(cat: &[Item], mut items: Vec<u32>) -> Pool {
        items.sort_by_cached_key(|&i| {
            let it = &cat[i as usize];
            let kind = match (it.kind, it.chrgitm_type) {
                (_, "02" | "04") => 0,
                (Kind::Drug, _) => 1,
                (_, "03" | "05") => 2,
                _ => 3,
            };
            let expensive = it.price[3] > 30_000;
            (
                it.restrictions(),
                expensive,
                it.source,
                kind,
                fnv(it.code.as_bytes()),
            )
        });
        let weights = Weighted::zipf(items.len());
        Pool { items, weights }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn draw(&self, rng: &mut super::rng::Rng) -> Option<u32> {
        (!self.items.is_empty()).then(|| self.items[self.weights.sample(rng)])
    }
}

/// An item_pairs row with relation `requires`: A is billed only with B.
#[derive(Clone, Debug)]
pub struct Pair {
    /// The catalogue items for code_a and code_b (filled out to full codes),
    /// when their codes make items.
    pub a: Option<u32>,
    pub b: Option<u32>,
    /// window `day`: B must be billed on the A line's day (else in the visit).
    pub same_day: bool,
}

/// Parameters of the pack the line rules read.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub discharge_max_days: i64,
    /// expensive_material_price in fen, rounded down.
    pub expensive_material_price: i64,
    pub newborn_max_days: i64,
}

/// Everything the generator draws from.
#[derive(Debug)]
pub struct Catalogue {
    pub items: Vec<Item>,
    pub diseases: Vec<Disease>,
    pub params: Params,
    /// Clean-line pools by setting.
    pub outpatient: Pool,
    pub pharmacy: Pool,
    pub inpatient: Pool,
    pub bed: Pool,
    pub nursing: Pool,
    pub drugs: Pool,
    pub tests: Pool,
    /// item_pairs rows with relation `requires`, in table order (at most
    /// `u16::MAX`).
    pub pairs: Vec<Pair>,
    /// Pairs whose A and B can both be billed in the background (items with
    /// prices, B not second-line nor never payable).
    pub background_pairs: Vec<u16>,
    /// Pairs whose A can be billed alone (requires_item).
    pub injectable_pairs: Vec<u16>,
    /// Items that can be made to break each kind of restriction.
    pub candidates: Candidates,
}

/// Items by the restriction they carry, for injecting violations.
#[derive(Debug, Default)]
pub struct Candidates {
    pub men_only: Vec<u32>,
    pub women_only: Vec<u32>,
    pub age: Vec<u32>,
    pub newborn: Vec<u32>,
    pub min_tier: Vec<u32>,
    pub outpatient_only: Vec<u32>,
    pub inpatient_only: Vec<u32>,
    pub work_injury: Vec<u32>,
    pub maternity: Vec<u32>,
    pub indication: Vec<u32>,
    pub max_days: Vec<u32>,
    pub dept: Vec<u32>,
    pub excluded: Vec<u32>,
    pub capped: Vec<u32>,
    pub materials: Vec<u32>,
    pub drugs: Vec<u32>,
}

impl Catalogue {
    /// Reads the catalogue from the pack's tables. Errors when the tables hold
    /// no item to draw from.
    pub fn from_pack(pack: &Pack) -> Result<Catalogue, String> {
        let limits = TableRef::find(pack, "item_limits");
        let exclusions = TableRef::find(pack, "exclusions");
        let caps = TableRef::find(pack, "price_caps");
        let diseases_table = TableRef::find(pack, "special_diseases");
        let pairs_table = TableRef::find(pack, "item_pairs");
        let lookups: Vec<&TableRef> = [&limits, &exclusions, &caps]
            .into_iter()
            .flatten()
            .collect();

        // (source code, name, where the name came from) in table order, then
        // made full and unique.
        let mut sources: Vec<(String, Option<String>, u8)> = Vec::new();
        if let Some(t) = &limits {
            for r in 0..t.rows() {
                if let Some(k) = t.key(r) {
                    let name = t.text(r, "name").map(str::to_string);
                    sources.push((k.to_string(), name, 0));
                }
            }
        }
        if let Some(t) = &exclusions {
            for r in 0..t.rows() {
                if let Some(k) = t.key(r) {
                    let name = t.text(r, "reason").map(|s| {
                        s.trim_end_matches("不予支付")
                            .trim_end_matches('等')
                            .to_string()
                    });
                    sources.push((k.to_string(), name.filter(|n| !n.is_empty()), 1));
                }
            }
        }
        if let Some(t) = &caps {
            for r in 0..t.rows() {
                if let Some(k) = t.key(r) {
                    sources.push((k.to_string(), None, 3));
                }
            }
        }
        if let Some(t) = &diseases_table {
            for r in 0..t.rows() {
                let name = t.text(r, "name");
                for p in t.prefixes(r, "allowed").unwrap_or_default() {
                    let suffix = if p.starts_with('C') {
                        "耗材"
                    } else {
                        "用药"
                    };
                    let name = name.map(|n| format!("{n}{suffix}"));
                    sources.push((p.to_string(), name, 2));
                }
            }
        }

        // requires rows: (code_a, code_b, window day), their codes last so that
        // the items of the other tables keep their places.
        let mut pair_rows: Vec<(Box<str>, Box<str>, bool)> = Vec::new();
        if let Some(t) = &pairs_table {
            for r in 0..t.rows() {
                if t.variant(r, "relation") != Some("requires") {
                    continue;
                }
                let (Some(a), Some(b)) = (t.key(r), t.text(r, "code_b")) else {
                    continue;
                };
                if a.is_empty() || pair_rows.len() >= usize::from(u16::MAX) {
                    continue;
                }
                pair_rows.push((a.into(), b.into(), t.variant(r, "window") == Some("day")));
                sources.push((a.to_string(), None, 3));
                sources.push((b.to_string(), None, 3));
            }
        }
        let sources_len = sources.len();
        let with_pairs: Vec<&TableRef> = lookups
            .iter()
            .copied()
            .chain(pairs_table.as_ref())
            .collect();

        let pair_codes = 2 * pair_rows.len();
        let mut seen = HashMap::new();
        let mut items = Vec::new();
        for (k, (source, name, from)) in sources.into_iter().enumerate() {
            // a pair's prefix is filled out so that it still finds its row
            let from_pairs = k >= sources_len - pair_codes;
            let Some(code) = full_code(&source, if from_pairs { &with_pairs } else { &lookups })
            else {
                continue;
            };
            if seen.contains_key(&code) {
                continue;
            }
            let Some(kind) = kind_of(&code) else {
                continue;
            };
            seen.insert(code.clone(), items.len() as u32);
            items.push(make_item(
                items.len(),
                code,
                name.map(|n| (n, from)),
                kind,
                limits.as_ref(),
                exclusions.as_ref(),
                caps.as_ref(),
            ));
        }
        if items.is_empty() {
            return Err(
                "the pack's tables (item_limits, exclusions, price_caps, special_diseases) hold no item codes to draw fee lines from".into(),
            );
        }

        // The requires pairs, and each item's part in them (by prefix, as the
        // rule matches).
        let mut pairs = Vec::with_capacity(pair_rows.len());
        let mut pair_a: Vec<Vec<u16>> = vec![Vec::new(); items.len()];
        let mut pair_b: Vec<Vec<u16>> = vec![Vec::new(); items.len()];
        for (k, (a, b, same_day)) in pair_rows.iter().enumerate() {
            let find =
                |code: &str| full_code(code, &with_pairs).and_then(|full| seen.get(&full).copied());
            pairs.push(Pair {
                a: find(a),
                b: find(b),
                same_day: *same_day,
            });
            for (i, it) in items.iter().enumerate() {
                if it.code.starts_with(&**a) {
                    pair_a[i].push(k as u16);
                }
                if !b.is_empty() && it.code.starts_with(&**b) {
                    pair_b[i].push(k as u16);
                }
            }
        }
        for (it, (a, b)) in items.iter_mut().zip(pair_a.into_iter().zip(pair_b)) {
            it.pair_a = a.into();
            it.pair_b = b.into();
        }

        let param_int = |name: &str, default: i64| {
            pack.program
                .params
                .iter()
                .position(|p| p.name == name)
                .and_then(|i| match pack.params.get(i) {
                    Some(Value::Int(v)) => Some(*v),
                    _ => None,
                })
                .unwrap_or(default)
        };
        let expensive = pack
            .program
            .params
            .iter()
            .position(|p| p.name == "expensive_material_price")
            .and_then(|i| pack.params.get(i)?.as_decimal())
            .and_then(|d| i64::try_from((d * rust_decimal::Decimal::ONE_HUNDRED).floor()).ok())
            .unwrap_or(100_000);
        let params = Params {
            discharge_max_days: param_int("discharge_max_days", 7),
            expensive_material_price: expensive,
            newborn_max_days: param_int("newborn_max_days", 28),
        };

        // An A item of a requires pair is billed only with its B or on purpose.
        let select = |f: &dyn Fn(&Item) -> bool| -> Vec<u32> {
            (0..items.len() as u32)
                .filter(|&i| items[i as usize].pair_a.is_empty() && f(&items[i as usize]))
                .collect()
        };
        let never_clean = |it: &Item| {
            it.limit
                .as_ref()
                .is_some_and(|l| l.insurance == Some(Insurance::WorkInjury))
        };
        let usable = |it: &Item| !never_clean(it) && it.price.iter().all(|&p| p > 0);
        let cat = |f: &dyn Fn(&Item) -> bool| Pool::new(&items, select(&|it| usable(it) && f(it)));
        let outpatient = cat(&|it| !matches!(it.chrgitm_type, "01" | "06" | "07"));
        let pharmacy = cat(&|it| it.is_drug());
        let inpatient = cat(&|it| !matches!(it.chrgitm_type, "01" | "02" | "07" | "13"));
        let bed = cat(&|it| it.kind == Kind::Service && it.chrgitm_type == "01");
        let nursing = cat(&|it| it.kind == Kind::Service && it.chrgitm_type == "07");
        let drugs = cat(&|it| it.is_drug());
        let tests = cat(&|it| it.kind == Kind::Service && matches!(it.chrgitm_type, "03" | "04"));

        let mut diseases = Vec::new();
        if let Some(t) = &diseases_table {
            for r in 0..t.rows() {
                let Some(code) = t.key(r) else { continue };
                let allowed = t.prefixes(r, "allowed");
                let drugs = cat(&|it| {
                    matches!(it.kind, Kind::Drug | Kind::Material)
                        && allowed.as_ref().is_none_or(|a| starts_any(&it.code, a))
                });
                diseases.push(Disease {
                    code: Box::from(code),
                    name_json: t.text(r, "name").map(json_escape),
                    allowed,
                    drugs,
                });
            }
        }

        let priced = |i: Option<u32>| i.filter(|&i| items[i as usize].price.iter().all(|&p| p > 0));
        let mut background_pairs = Vec::new();
        let mut injectable_pairs = Vec::new();
        for (k, p) in pairs.iter().enumerate() {
            let Some(a) = priced(p.a) else { continue };
            injectable_pairs.push(k as u16);
            let b_ok = priced(p.b).is_some_and(|b| {
                let it = &items[b as usize];
                it.pair_a.is_empty()
                    && !never_clean(it)
                    && !it.limit.as_ref().is_some_and(|l| l.second_line)
            });
            if b_ok && !never_clean(&items[a as usize]) {
                background_pairs.push(k as u16);
            }
        }

        let has = |f: &dyn Fn(&Limit) -> bool| select(&|it| it.limit.as_ref().is_some_and(f));
        let candidates = Candidates {
            men_only: has(&|l| l.gender == Some(b'1')),
            women_only: has(&|l| l.gender == Some(b'2')),
            age: has(&|l| l.age_min.is_some() || l.age_max.is_some()),
            newborn: has(&|l| l.newborn),
            min_tier: has(&|l| l.min_tier.is_some()),
            outpatient_only: has(&|l| l.visit == Some(VisitReq::Outpatient)),
            inpatient_only: has(&|l| l.visit == Some(VisitReq::Inpatient)),
            work_injury: has(&|l| l.insurance == Some(Insurance::WorkInjury)),
            maternity: has(&|l| l.insurance == Some(Insurance::Maternity)),
            indication: has(&|l| l.indication.is_some()),
            max_days: select(&|it| {
                it.is_drug() && it.limit.as_ref().is_some_and(|l| l.max_days.is_some())
            }),
            dept: has(&|l| l.dept.is_some()),
            excluded: select(&|it| it.excluded),
            capped: select(&|it| it.cap.iter().any(Option::is_some)),
            materials: select(&|it| it.kind == Kind::Material),
            drugs: select(&|it| it.is_drug()),
        };

        Ok(Catalogue {
            items,
            diseases,
            params,
            outpatient,
            pharmacy,
            inpatient,
            bed,
            nursing,
            drugs,
            tests,
            pairs,
            background_pairs,
            injectable_pairs,
            candidates,
        })
    }

    pub fn item(&self, i: u32) -> &Item {
        &self.items[i as usize]
    }
}

/// Whether `code` starts with one of `prefixes` (empty prefixes match nothing),
/// as the rules' `in` does.
pub fn starts_any(code: &str, prefixes: &[Box<str>]) -> bool {
    prefixes
        .iter()
        .any(|p| !p.is_empty() && code.starts_with(&**p))
}

fn make_item(
    index: usize,
    code: String,
    name: Option<(String, u8)>,
    kind: Kind,
    limits: Option<&TableRef>,
    exclusions: Option<&TableRef>,
    caps: Option<&TableRef>,
) -> Item {
    let (list_type, chrgitm_type) = match kind {
        Kind::Drug if code.starts_with('Z') => ("101", "11"),
        Kind::Drug => ("101", "09"),
        Kind::Material => ("301", "08"),
        Kind::Service => ("201", service_category(&code)),
    };
    let limit = limits.and_then(|t| {
        let r = t.table.prefix(&code)?;
        Some(Limit {
            gender: t.text(r, "gender").and_then(|g| match g {
                "1" => Some(b'1'),
                "2" => Some(b'2'),
                _ => None,
            }),
            age_min: t.int(r, "age_min"),
            age_max: t.int(r, "age_max"),
            newborn: t.cell(r, "newborn_only").as_bool(),
            min_tier: t.int(r, "min_tier"),
            visit: match t.variant(r, "visit") {
                Some("outpatient") => Some(VisitReq::Outpatient),
                Some("inpatient") => Some(VisitReq::Inpatient),
                _ => None,
            },
            insurance: match t.variant(r, "insurance") {
                Some("work_injury") => Some(Insurance::WorkInjury),
                Some("maternity") => Some(Insurance::Maternity),
                _ => None,
            },
            indication: t.prefixes(r, "indication"),
            max_days: t.int(r, "max_days"),
            dept: t.prefixes(r, "dept"),
            freq: t
                .whole(r, "freq")
                .map(|f| (f, t.variant(r, "freq_period") == Some("day"))),
            second_line: t.prefixes(r, "second_line").is_some(),
        })
    });
    let excluded = exclusions.is_some_and(|t| t.table.prefix(&code).is_some());
    let cap_row = caps.and_then(|t| Some((t, t.table.prefix(&code)?)));
    let cap_of = |column: &str| cap_row.and_then(|(t, r)| t.fen(r, column));
    let (c1, c2, c3) = (cap_of("tier1"), cap_of("tier2"), cap_of("tier3"));
    let cap = [c1, c1, c2, c3];
    let base = base_price(&code, kind, chrgitm_type);
    let price: [i64; 4] = std::array::from_fn(|t| {
        let p = base * (94 + 3 * t as i64) / 100;
        cap[t].map_or(p, |c| p.min(c)).max(0)
    });
    let lv = if excluded {
        "03"
    } else {
        match kind {
            Kind::Drug if fnv(code.as_bytes()) % 5 < 2 => "02",
            Kind::Drug | Kind::Service => "01",
            Kind::Material => "02",
        }
    };
    let (name, source) = name.unwrap_or_else(|| (category_name(kind, chrgitm_type).to_string(), 3));
    let local = format!(
        "{}{:05}",
        match kind {
            Kind::Drug => "YP",
            Kind::Service => "XM",
            Kind::Material => "HC",
        },
        index + 1
    );
    Item {
        per_unit: kind == Kind::Drug && price[2] < 200,
        source,
        name_json: json_escape(&name),
        local: local.into(),
        code: code.into(),
        kind,
        list_type,
        chrgitm_type,
        lv,
        price,
        cap,
        limit,
        excluded,
        pair_a: Box::new([]),
        pair_b: Box::new([]),
    }
}
