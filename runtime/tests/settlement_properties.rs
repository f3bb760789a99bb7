//! The standard settlement over random patients (stdlib.md §Settlement): whatever
//! the bill, the money adds up to the fen and the yearly limits hold.
//!
//! - per line and per visit, medfee = own-pay + over-limit + first-pay + in-scope,
//!   each a 2-decimal amount and none negative;
//! - psn_part_amt = medfee_sumamt − fund_pay_sumamt, fund = basic + major;
//! - the deductible paid is within the in-scope amount, and within a patient's
//!   scheme year the outpatient deductible never passes 300, the special one 500,
//!   the basic fund 30,000 and the major-illness insurance 70,000;
//! - the fund never pays more than (in-scope − deductible) × the visit's ratio;
//! - a visit's settlement does not depend on the input order: visits are settled
//!   in each patient's time order whatever order they come in;
//! - native code and the interpreter settle every visit alike, to the byte, in
//!   both passes, and native code settles each one itself.
#![allow(clippy::unwrap_used)]

use heng_compiler::diagnostic::Lang;
use heng_runtime::engine::{Engine, Interpreter};
use heng_runtime::input::{Visit, check_schema, read_visit};
use heng_runtime::native::NativeEngine;
use heng_runtime::pack::{self, Pack};
use heng_runtime::settle::{SettledLine, Settler, StartValues};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

type Loaded = (Pack, heng_compiler::source::SourceMap);

fn load(params: &[(String, String)]) -> Loaded {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stdlib-rules");
    let loaded = pack::load(&dir, params);
    (
        loaded.pack.expect("the standard pack loads"),
        loaded.sources,
    )
}

fn stdlib() -> &'static Loaded {
    static PACK: OnceLock<Loaded> = OnceLock::new();
    PACK.get_or_init(|| load(&[]))
}

/// The standard pack with a DIP budget.
fn with_dip() -> &'static Loaded {
    static PACK: OnceLock<Loaded> = OnceLock::new();
    PACK.get_or_init(|| load(&[("dip_budget".into(), "1000000".into())]))
}

/// One generated fee line: code, level, count, price in fen.
type Line = (usize, usize, u32, u64);
/// One generated visit: patient, hospital level, medical type, day of the two
/// years, resident or not, years of contribution, lines.
type Gen = (usize, usize, usize, u32, bool, u32, Vec<Line>);

const CODES: [&str; 4] = [
    "311300002000000",         // a service in no table
    "250101015000000",         // 血细胞分析: price-capped 18 / 20 / 22
    "110100001000000",         // 挂号费: excluded
    "XR05CBA107A001010100001", // a drug in no table
];
const LEVELS: [&str; 3] = ["01", "02", "03"];
const HOSP_LV: [&str; 5] = ["01", "05", "08", "11", "13"];
const MED_TYPE: [&str; 5] = ["11", "14", "21", "23", "41"];
/// Main diagnoses and procedures: DIP groups with and without procedures, the
/// longest prefix, and none.
const DIAG: [(&str, &str); 5] = [
    ("J18.000", ""),
    ("J18.000", "33.2200"),
    ("S82.001", "79.3601"),
    ("I63.900", ""),
    ("Z99.900", ""),
];

fn visit_json(n: usize, g: &Gen) -> String {
    let (psn, lv, mt, day, resident, years, lines) = g;
    let (diag, oprn) = DIAG[(*day as usize + lines.len()) % DIAG.len()];
    let date =
        chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(*day as u64);
    // distinct times per visit, so that time order is total
    let begn = format!("{date}T{:02}:{:02}:00", 8 + n / 60 % 10, n % 60);
    let feedetail: Vec<serde_json::Value> = lines
        .iter()
        .enumerate()
        .map(|(i, (code, level, cnt, fen))| {
            let pric = Decimal::new(*fen as i64, 2);
            serde_json::json!({
                "feedetl_sn": (i + 1).to_string(), "fee_ocur_time": begn,
                "med_list_codg": CODES[*code], "hilist_name": "项目",
                "chrgitm_lv": LEVELS[*level], "cnt": cnt.to_string(), "pric": pric.to_string(),
                "det_item_fee_sumamt": (pric * Decimal::from(*cnt)).to_string(),
            })
        })
        .collect();
    serde_json::json!({
        "mdtrt_id": format!("V{n}"), "psn_no": format!("P{psn}"), "brdy": "1970-01-01",
        "insutype": if *resident { "390" } else { "310" }, "cont_years": years,
        "hosp_lv": HOSP_LV[*lv], "med_type": MED_TYPE[*mt], "begntime": begn,
        "endtime": format!("{date}T23:00:00"), "feedetail": feedetail,
        "diseinfo": [{"diag_code": diag, "maindiag_flag": "1"}],
        "oprninfo": if oprn.is_empty() { serde_json::json!([]) }
            else { serde_json::json!([{"oprn_oprt_code": oprn, "main_oprn_flag": "1"}]) },
    })
    .to_string()
}

fn gen_visit() -> impl Strategy<Value = Gen> {
    let line = (0..4usize, 0..3usize, 1..5u32, 1..2_000_000u64);
    (
        0..3usize,
        0..5usize,
        0..5usize,
        0..730u32,
        any::<bool>(),
        0..30u32,
        prop::collection::vec(line, 1..5),
    )
}

/// Settles visits given as NDJSON lines; returns the settlement of each by id.
fn settle(lines: &[String]) -> HashMap<String, serde_json::Value> {
    let (pack, _) = stdlib();
    settle_with(stdlib(), &Interpreter::new(pack), lines).0
}

/// Settles visits with a pack in two passes, as `heng run` does; returns the
/// settlement of each by id and the batch totals.
fn settle_with(
    (pack, sources): &Loaded,
    engine: &dyn Engine,
    lines: &[String],
) -> (HashMap<String, serde_json::Value>, Vec<Decimal>) {
    let schema = check_schema(&pack.program).unwrap();
    let visits: Vec<Visit> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| read_visit(&schema, i as u64 + 1, l).unwrap())
        .collect();
    let refs: Vec<&Visit> = visits.iter().collect();
    let mut settler = Settler::new(pack, StartValues::default()).unwrap().unwrap();
    if settler.collecting() {
        let (lines, sums) = settler.settle_part(engine, &refs, sources, Lang::En);
        for s in lines {
            assert!(
                matches!(s, SettledLine::Skipped),
                "the first pass writes nothing"
            );
        }
        settler.add_totals(&sums);
        settler = settler.with_totals();
    }
    let mut text = String::new();
    let (lines, sums) = settler.settle_part(engine, &refs, sources, Lang::En);
    settler.add_totals(&sums);
    for s in lines {
        match s {
            SettledLine::Ok(line) => text.extend([line, "\n".into()]),
            SettledLine::Failed(e) => panic!("evaluation error: {e}"),
            SettledLine::Skipped => panic!("skipped"),
        }
    }
    // a single pass fills in the outputs after the totals at the end
    if settler.deferring() {
        let (mut resolved, mut errors) = (Vec::new(), Vec::new());
        let mut summary = heng_runtime::audit::Summary::default();
        settler
            .resolve(
                &mut text.as_bytes(),
                &mut resolved,
                &mut errors,
                sources,
                Lang::En,
                &mut summary,
            )
            .unwrap();
        assert_eq!((summary.eval_errors, errors.len()), (0, 0));
        text = String::from_utf8(resolved).unwrap();
        settler = settler.with_totals();
    }
    let totals = settler.totals().into_iter().map(|(_, t)| t).collect();
    let settled = text
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            (v["mdtrt_id"].as_str().unwrap().to_string(), v)
        })
        .collect();
    (settled, totals)
}

fn money(v: &serde_json::Value, field: &str) -> Decimal {
    let s = v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {v}"));
    assert_eq!(
        s.split_once('.').map(|(_, d)| d.len()),
        Some(2),
        "{field} = {s}"
    );
    s.parse().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn settlements_add_up_and_keep_their_limits(
        visits in prop::collection::vec(gen_visit(), 1..12),
        order in any::<prop::sample::Index>(),
    ) {
        let lines: Vec<String> = visits.iter().enumerate().map(|(n, g)| visit_json(n, g)).collect();
        let settled = settle(&lines);
        let mut used: HashMap<(String, String), [Decimal; 4]> = HashMap::new();
        let mut by_time: Vec<(&String, &Gen, usize)> =
            lines.iter().zip(&visits).enumerate().map(|(n, (l, g))| (l, g, n)).collect();
        by_time.sort_by_key(|(_, g, n)| (g.3, *n));
        for (_, g, n) in by_time {
            let v = &settled[&format!("V{n}")];
            let m = |f: &str| money(v, f);
            let parts = m("fulamt_ownpay_amt") + m("overlmt_selfpay") + m("preselfpay_amt") + m("inscp_scp_amt");
            prop_assert_eq!(m("medfee_sumamt"), parts, "{}", v);
            prop_assert_eq!(m("psn_part_amt"), m("medfee_sumamt") - m("fund_pay_sumamt"));
            prop_assert_eq!(m("fund_pay_sumamt"), m("hifp_pay") + m("hifmi_pay"));
            for line in v["feedetail"].as_array().unwrap() {
                for f in ["fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt"] {
                    prop_assert!(money(line, f) >= Decimal::ZERO, "{}", line);
                }
            }
            prop_assert!(m("act_pay_dedc") >= Decimal::ZERO && m("act_pay_dedc") <= m("inscp_scp_amt").max(Decimal::ZERO));
            let ratio: Decimal = v["pool_prop_selfpay"].as_str().unwrap().parse().unwrap();
            let due = ((m("inscp_scp_amt") - m("act_pay_dedc")) * ratio)
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            prop_assert!(m("fund_pay_sumamt") <= due.max(Decimal::ZERO), "{}", v);
            let key = (format!("P{}", g.0), format!("{}", 2026 + (g.3 >= 365) as u32));
            let acc = used.entry(key).or_default();
            match MED_TYPE[g.2] {
                "14" => acc[0] += m("act_pay_dedc"),
                "11" | "41" => acc[1] += m("act_pay_dedc"),
                _ => {}
            }
            acc[2] += m("hifp_pay");
            acc[3] += m("hifmi_pay");
            prop_assert!(acc[0] <= Decimal::from(500) && acc[1] <= Decimal::from(300));
            prop_assert!(acc[2] <= Decimal::from(30_000) && acc[3] <= Decimal::from(70_000));
        }
        // the same visits in another input order settle the same
        let mut shuffled = lines.clone();
        shuffled.rotate_left(order.index(lines.len()));
        shuffled.reverse();
        prop_assert_eq!(settle(&shuffled), settled);
    }

    /// The first pass, which computes only what DIP's total needs, sums exactly the
    /// case scores the second pass writes; the payments follow from them.
    #[test]
    fn the_first_pass_sums_the_case_scores_the_second_writes(
        visits in prop::collection::vec(gen_visit(), 1..12),
    ) {
        let lines: Vec<String> = visits.iter().enumerate().map(|(n, g)| visit_json(n, g)).collect();
        let interp = Interpreter::new(&with_dip().0);
        let (settled, totals) = settle_with(with_dip(), &interp, &lines);
        let scores: Decimal = settled
            .values()
            .filter_map(|v| v.get("case_score")?.as_str()?.parse::<Decimal>().ok())
            .sum();
        prop_assert_eq!(&totals, &vec![scores]);
        for v in settled.values() {
            if let (Some(s), Some(p)) = (v.get("case_score"), v.get("point_value")) {
                let s: Decimal = s.as_str().unwrap().parse().unwrap();
                let p: Decimal = p.as_str().unwrap().parse().unwrap();
                let want = (s * p).round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
                prop_assert_eq!(money(v, "dip_payment"), want);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Differential: the compiled settlement writes the interpreter's bytes for
    /// every visit, with and without DIP's first pass, and never hands a visit
    /// back to the interpreter.
    #[test]
    fn native_code_settles_as_the_interpreter_does(
        visits in prop::collection::vec(gen_visit(), 1..12),
    ) {
        let lines: Vec<String> = visits.iter().enumerate().map(|(n, g)| visit_json(n, g)).collect();
        for loaded in [stdlib(), with_dip()] {
            let native = NativeEngine::with_settlement(&loaded.0);
            prop_assert!(native.report.interpreted.is_empty(), "{:?}", native.report.interpreted);
            let interpreted = settle_with(loaded, &Interpreter::new(&loaded.0), &lines);
            prop_assert_eq!(settle_with(loaded, &native, &lines), interpreted);
            prop_assert_eq!(native.settlements_interpreted(), 0);
        }
    }
}

/// Without a DIP budget every case score is none, so DIP's total is zero
/// whatever the visits: the settlement needs no first pass. With one, its point
/// value and payments read only the total and the case score, so it is settled
/// in one pass, those outputs filled in at the end.
#[test]
fn without_a_dip_budget_there_is_no_first_pass() {
    let new =
        |(pack, _): &'static Loaded| Settler::new(pack, StartValues::default()).unwrap().unwrap();
    let plain = new(stdlib());
    assert!(!plain.collecting() && !plain.deferring());
    assert_eq!(plain.totals(), vec![("dip_scores", Decimal::ZERO)]);
    let dip = new(with_dip());
    assert!(!dip.collecting() && dip.deferring());
}

/// The first pass of the standard settlement (for DIP's batch total) computes only
/// what the case scores need: no line splits, no fund payments, no accumulators;
/// and it needs none: only the point value and payment read the total.
#[test]
fn the_first_pass_computes_only_what_the_totals_need() {
    use heng_compiler::ir::SettleStep;
    let s = stdlib().0.program.settlement.as_ref().unwrap();
    assert!(!s.lines_in_first_pass);
    let mut kept = Vec::new();
    for step in &s.visit_steps {
        match step {
            SettleStep::Bind {
                name,
                first_pass: true,
                ..
            } => kept.push(name.as_str()),
            SettleStep::Add { first_pass, .. } => assert!(!first_pass),
            _ => {}
        }
    }
    assert_eq!(
        kept,
        [
            "kind",
            "medfee_sumamt",
            "dip",
            "diag",
            "oprn",
            "prefix",
            "with_oprn",
            "conservative",
            "cost_ratio",
            "base_score",
            "case_score"
        ]
    );
    // settled in one pass: the point value and payment wait for the total, from
    // the two values they read
    assert!(s.single_pass);
    let names = |pick: fn(&SettleStep) -> bool| -> Vec<&str> {
        s.visit_steps
            .iter()
            .filter(|step| pick(step))
            .filter_map(|step| match step {
                SettleStep::Bind { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect()
    };
    let after = names(|s| {
        matches!(
            s,
            SettleStep::Bind {
                after_totals: true,
                ..
            }
        )
    });
    assert_eq!(after, ["point_value", "dip_payment"]);
    let saved = names(|s| matches!(s, SettleStep::Bind { saved: true, .. }));
    assert_eq!(saved, ["dip", "case_score"]);
}
