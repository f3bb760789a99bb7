//! The generator's model of the standard pack's 15 line rules (stdlib.md, and
//! `stdlib-rules/rules/*.heng`): which of them a drafted fee line would fire.
//! Background lines are redrawn until the model says they fire nothing, and an
//! injected violation is counted only when the model says it fires its rule; the
//! tests hold the model to the real rules by running `heng run` on the output.
//! Two counting rules, requires_item and billing_vs_orders, are modelled per
//! visit (`pairs::findings`, `orders::findings`); the rest are not modelled.

use super::calendar::{Day, years_between};
use super::catalogue::{Catalogue, Class, Disease, Insurance, Item, VisitReq, starts_any};

/// The 15 standard line rules, in the pack's order (rule files sorted by name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    AgeLimit,
    BillingOutsideStay,
    DeptLimit,
    DischargeOverdose,
    ExcludedItem,
    ExpensiveMaterial,
    GenderLimit,
    IndicationLimit,
    InsuranceLimit,
    MaxDays,
    NewbornLimit,
    OverPrice,
    SpecialDiseaseScope,
    TierLimit,
    VisitLimit,
}

pub const ALL: [Rule; 15] = [
    Rule::AgeLimit,
    Rule::BillingOutsideStay,
    Rule::DeptLimit,
    Rule::DischargeOverdose,
    Rule::ExcludedItem,
    Rule::ExpensiveMaterial,
    Rule::GenderLimit,
    Rule::IndicationLimit,
    Rule::InsuranceLimit,
    Rule::MaxDays,
    Rule::NewbornLimit,
    Rule::OverPrice,
    Rule::SpecialDiseaseScope,
    Rule::TierLimit,
    Rule::VisitLimit,
];

/// Rules injected into any ordinary fee line (not discharge medication, not the
/// drug lines of a special-disease visit), with their rates per 10,000 lines.
pub const LINE_RATES: [(Rule, u32); 12] = [
    (Rule::AgeLimit, 30),
    (Rule::DeptLimit, 30),
    (Rule::ExcludedItem, 30),
    (Rule::ExpensiveMaterial, 20),
    (Rule::GenderLimit, 40),
    (Rule::IndicationLimit, 40),
    (Rule::InsuranceLimit, 20),
    (Rule::MaxDays, 40),
    (Rule::NewbornLimit, 20),
    (Rule::OverPrice, 50),
    (Rule::TierLimit, 30),
    (Rule::VisitLimit, 30),
];

/// discharge_overdose: per 10,000 discharge-medication lines.
pub const DISCHARGE_RATE: u32 = 500;
/// billing_outside_stay: per 10,000 inpatient stays (one line moved outside).
pub const OUTSIDE_STAY_RATE: u32 = 300;
/// special_disease_scope: per 10,000 drug and material lines of special-disease
/// visits whose disease restricts them.
pub const SCOPE_RATE: u32 = 300;

impl Rule {
    pub fn id(self) -> &'static str {
        match self {
            Rule::AgeLimit => "age_limit",
            Rule::BillingOutsideStay => "billing_outside_stay",
            Rule::DeptLimit => "dept_limit",
            Rule::DischargeOverdose => "discharge_overdose",
            Rule::ExcludedItem => "excluded_item",
            Rule::ExpensiveMaterial => "expensive_material",
            Rule::GenderLimit => "gender_limit",
            Rule::IndicationLimit => "indication_limit",
            Rule::InsuranceLimit => "insurance_limit",
            Rule::MaxDays => "max_days",
            Rule::NewbornLimit => "newborn_limit",
            Rule::OverPrice => "over_price",
            Rule::SpecialDiseaseScope => "special_disease_scope",
            Rule::TierLimit => "tier_limit",
            Rule::VisitLimit => "visit_limit",
        }
    }

    pub fn bit(self) -> u16 {
        1 << self as u16
    }

    /// The injection rate, as the manifest states it.
    pub fn rate(self) -> String {
        let pct = |bp: u32| format!("{}.{:02}%", bp / 100, bp % 100);
        match self {
            Rule::DischargeOverdose => {
                format!("{} of discharge-medication lines", pct(DISCHARGE_RATE))
            }
            Rule::BillingOutsideStay => format!("{} of inpatient stays", pct(OUTSIDE_STAY_RATE)),
            Rule::SpecialDiseaseScope => format!(
                "{} of drug and material lines of special-disease visits",
                pct(SCOPE_RATE)
            ),
            r => {
                let bp = LINE_RATES
                    .iter()
                    .find(|(x, _)| *x == r)
                    .map_or(0, |(_, bp)| *bp);
                format!("{} of ordinary fee lines", pct(bp))
            }
        }
    }
}

/// One diagnosis of a visit (diseinfo): its code and, when known, its name
/// (safe to write into a JSON string as it is).
#[derive(Clone, Debug)]
pub struct Diag<'c> {
    pub code: std::borrow::Cow<'static, str>,
    pub name: Option<&'c str>,
}

/// What the line rules read of a visit.
#[derive(Clone, Copy, Debug)]
pub struct VisitFacts<'c> {
    /// b'1', b'2', b'0' or b'9'.
    pub gend: u8,
    pub brdy: Day,
    pub tier: u8,
    pub class: Class,
    pub insutype: &'static str,
    pub med_type: &'static str,
    pub begin: Day,
    pub end: Option<Day>,
    /// The special disease of a med_type 14/15 visit.
    pub disease: Option<&'c Disease>,
}

/// One drafted fee line.
#[derive(Clone, Copy, Debug)]
pub struct Line {
    pub item: u32,
    pub day: Day,
    /// Minute of the day of fee_ocur_time.
    pub minute: u32,
    pub cnt: i64,
    /// Unit price in fen.
    pub pric: i64,
    pub lv: &'static str,
    /// bilg_dept_codg.
    pub dept: &'static str,
    /// Discharge medication (dscg_tkdrug_flag 1).
    pub discharge: bool,
    pub prd_days: Option<i64>,
    /// hosp_appr_flag 1.
    pub approved: bool,
    /// The rule this line was made to break.
    pub injected: Option<Rule>,
    /// One unit of it is refunded by a later line.
    pub refund: bool,
    /// drord_no: 0 for none, else the number of the visit's order (1-based) it
    /// executes; a number past the visit's orders points at no order.
    pub drord: u16,
}

/// The two counting rules the generator injects and models: one finding per
/// visit and pair row (requires_item); one per visit for its drug lines without
/// an order plus one per order billed over (billing_vs_orders).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counting {
    BillingVsOrders,
    RequiresItem,
}

pub const COUNTING: [Counting; 2] = [Counting::BillingVsOrders, Counting::RequiresItem];

/// requires_item: per 10,000 inpatient stays, one A item billed without its B.
pub const REQUIRES_RATE: u32 = 300;
/// Per 10,000 inpatient stays, a requires pair billed together (background).
pub const PAIR_RATE: u32 = 1_500;
/// Per 10,000 outpatient and special-disease visits with a drug line: the
/// visit has orders (every inpatient stay with a drug line has them).
pub const ORDERS_OUTPATIENT_RATE: u32 = 1_000;
/// billing_vs_orders: per 10,000 drug lines of visits with orders, a line
/// without an order.
pub const UNORDERED_RATE: u32 = 50;
/// billing_vs_orders: per 10,000 orders billed at least 2 units, one ordered
/// for fewer than billed.
pub const OVER_ORDER_RATE: u32 = 100;

impl Counting {
    pub fn id(self) -> &'static str {
        match self {
            Counting::BillingVsOrders => "billing_vs_orders",
            Counting::RequiresItem => "requires_item",
        }
    }

    /// The injection rate, as the manifest states it.
    pub fn rate(self) -> String {
        let pct = |bp: u32| format!("{}.{:02}%", bp / 100, bp % 100);
        match self {
            Counting::BillingVsOrders => format!(
                "{} of drug lines of visits with orders (one finding per visit), {} of orders",
                pct(UNORDERED_RATE),
                pct(OVER_ORDER_RATE)
            ),
            Counting::RequiresItem => format!(
                "{} of inpatient stays (one finding per visit and pair)",
                pct(REQUIRES_RATE)
            ),
        }
    }
}

/// The rules a line fires (bits of [`Rule::bit`]). `diagnoses`: the visit's
/// diagnosis codes; `None` leaves indication_limit out (not known yet).
pub fn fires(cat: &Catalogue, v: &VisitFacts, line: &Line, diagnoses: Option<&[Diag]>) -> u16 {
    let item: &Item = cat.item(line.item);
    let p = &cat.params;
    let mut bits = 0u16;
    let mut set = |rule: Rule, yes: bool| {
        if yes {
            bits |= rule.bit();
        }
    };
    if let Some(l) = &item.limit {
        let age = years_between(v.brdy, line.day);
        set(
            Rule::AgeLimit,
            l.age_min.is_some_and(|lo| age < lo) || l.age_max.is_some_and(|hi| age > hi),
        );
        set(
            Rule::DeptLimit,
            l.dept.as_ref().is_some_and(|d| !starts_any(line.dept, d)),
        );
        set(
            Rule::GenderLimit,
            l.gender
                .is_some_and(|g| matches!(v.gend, b'1' | b'2') && v.gend != g),
        );
        if let (Some(ind), Some(diags)) = (&l.indication, diagnoses) {
            set(
                Rule::IndicationLimit,
                !diags.iter().any(|d| starts_any(&d.code, ind)),
            );
        }
        set(
            Rule::InsuranceLimit,
            match l.insurance {
                Some(Insurance::WorkInjury) => true,
                Some(Insurance::Maternity) => {
                    v.insutype != "510" && !matches!(v.med_type, "51" | "52" | "53")
                }
                None => false,
            },
        );
        set(
            Rule::MaxDays,
            l.max_days
                .is_some_and(|max| line.prd_days.is_some_and(|d| d > max)),
        );
        set(
            Rule::NewbornLimit,
            l.newborn && i64::from(line.day - v.brdy) > p.newborn_max_days,
        );
        set(
            Rule::TierLimit,
            l.min_tier.is_some_and(|t| i64::from(v.tier) < t),
        );
        set(
            Rule::VisitLimit,
            match l.visit {
                Some(VisitReq::Outpatient) => v.class == Class::Inpatient,
                Some(VisitReq::Inpatient) => v.class != Class::Inpatient,
                None => false,
            },
        );
    }
    set(
        Rule::BillingOutsideStay,
        v.class == Class::Inpatient
            && v.end
                .is_some_and(|end| line.day < v.begin || line.day > end),
    );
    set(
        Rule::DischargeOverdose,
        line.discharge && line.prd_days.is_some_and(|d| d > p.discharge_max_days),
    );
    set(Rule::ExcludedItem, item.excluded && line.lv != "03");
    set(
        Rule::ExpensiveMaterial,
        (item.list_type == "301" || item.chrgitm_type == "08")
            && line.pric > p.expensive_material_price,
    );
    set(
        Rule::OverPrice,
        item.cap[usize::from(v.tier.min(3))].is_some_and(|cap| line.pric > cap),
    );
    set(
        Rule::SpecialDiseaseScope,
        matches!(v.med_type, "14" | "15")
            && v.disease.is_some_and(|d| {
                d.allowed.as_ref().is_some_and(|a| {
                    (item.is_drug() || item.list_type == "301") && !starts_any(&item.code, a)
                })
            }),
    );
    bits
}
