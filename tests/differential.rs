//! Differential property test: random well-typed rule programs (as `.heng` source,
//! checked by the real checker beside the standard declarations and tables) and
//! random visits (NDJSON, read by the real reader) give identical findings and
//! identical eval errors under the reference interpreter and the native engine, and
//! the interpreter never meets an "internal error" (which would mean the checker let
//! an ill-typed program through).
//!
//! `cargo test` runs 48 programs × 12 visits. For a larger run:
//! `HENG_DIFF_CASES=2000 cargo test --release --test differential`.
#![allow(clippy::unwrap_used)]

use heng_compiler::diagnostic::Lang;
use heng_runtime::audit::{audit_visit, eval_failure_json, finding_json};
use heng_runtime::engine::{Engine, Interpreter};
use heng_runtime::native::NativeEngine;
use heng_runtime::{input, pack};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

// ---- rule programs ----

const DECIMALS: &[&str] = &[
    "0",
    "0.5",
    "1",
    "10",
    "12.5",
    "1000",
    "-3.25",
    "0.0000001",
    "99999999999999.99",
];
const INTS: &[&str] = &["0", "1", "2", "7", "17", "65", "9223372036854775807"];
const CODES: &[&str] = &[
    "XG04CAT081A012010100001",
    "XJ01MAM077A001010100001",
    "250101015000000",
    "110200001000000",
    "C0306010100000001001",
    "X",
    "",
    "头孢",
];

fn pick(pool: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    prop::sample::select(pool)
}

/// A Bool condition; `line` says whether the rule has a current fee line.
fn cond(line: bool) -> BoxedStrategy<String> {
    let d = || pick(DECIMALS);
    let i = || pick(INTS);
    let c = || pick(CODES);
    let mut leaves: Vec<BoxedStrategy<String>> = vec![
        (d(), d()).prop_map(|(a, b)| format!("sum(l.det_item_fee_sumamt for l in visit.feedetail) / ({a} - {b}) > 1")).boxed(),
        (d(), i()).prop_map(|(a, n)| format!("count(l in visit.feedetail where l.pric > {a}) >= {n}")).boxed(),
        d().prop_map(|a| format!("max(l.pric for l in visit.feedetail) is some(m) and m > {a}")).boxed(),
        d().prop_map(|a| format!("min(l.cnt for l in visit.feedetail where l.cnt > {a}) is none")).boxed(),
        Just("any(d in visit.diseinfo where d.diag_code in [\"C00\"..\"C97\", \"J18.900\"])".to_string()).boxed(),
        Just("all(d in visit.diseinfo where starts_with(d.diag_code, \"I\"))".to_string()).boxed(),
        i().prop_map(|n| format!("(visit.cont_years otherwise 0) * {n} > 3")).boxed(),
        i().prop_map(|n| format!("tier(visit) >= {n}")).boxed(),
        Just("class(visit) == inpatient".to_string()).boxed(),
        Just("visit.endtime is none or month(visit.begntime) == month(visit.endtime otherwise visit.begntime)".to_string()).boxed(),
        (d(), i()).prop_map(|(a, n)| format!("len(filter(l in visit.feedetail where l.cnt > {a})) >= {n}")).boxed(),
        c().prop_map(|c| format!("any(l in visit.feedetail where l.med_list_codg == \"{c}\")")).boxed(),
        Just("special_diseases.get(visit.dise_codg otherwise \"\") is some(sd) and sd.allowed is some(a) and any(l in visit.feedetail where l.med_list_codg in a)".to_string()).boxed(),
        (i(), i()).prop_map(|(a, b)| format!("days_between(visit.brdy, date(visit.begntime)) > {a} * {b}")).boxed(),
    ];
    if line {
        leaves.extend([
            d().prop_map(|a| format!("line.pric > {a}")).boxed(),
            d().prop_map(|a| format!("line.cnt <= {a}")).boxed(),
            d().prop_map(|a| format!("line.det_item_fee_sumamt == {a}")).boxed(),
            (i(), i()).prop_map(|(a, b)| format!("(line.prd_days otherwise {a}) > {b}")).boxed(),
            (c(), c()).prop_map(|(a, b)| format!("line.med_list_codg in [\"{a}\", \"{b}\"]")).boxed(),
            c().prop_map(|c| format!("starts_with(line.med_list_codg, \"{c}\")")).boxed(),
            i().prop_map(|n| format!("item_limits.prefix(line.med_list_codg) is some(r) and (r.age_max otherwise {n}) >= age(visit, line)")).boxed(),
            Just("price_caps.prefix(line.med_list_codg) is some(p) and p.tier1 is some(cap) and line.pric > cap".to_string()).boxed(),
            i().prop_map(|n| format!("years_between(visit.brdy, date(line.fee_ocur_time)) < {n}")).boxed(),
            (d(), d()).prop_map(|(a, b)| format!("round(line.pric * {a}, 0.01) > {b}")).boxed(),
            (d(), d()).prop_map(|(a, b)| format!("line.det_item_fee_sumamt / (line.cnt - {a}) >= {b}")).boxed(),
            (d(), d(), d()).prop_map(|(a, b, e)| format!("if line.pric > {a} then line.cnt > {b} else line.cnt < {e}")).boxed(),
            i().prop_map(|n| format!("add_days(date(line.fee_ocur_time), {n}) > date(visit.begntime)")).boxed(),
            Just("item_limits.prefix(line.med_list_codg) is some(q) and q.dept is some(ds) and (line.bilg_dept_codg otherwise \"A03\") in ds".to_string()).boxed(),
        ]);
    }
    let leaf = prop::strategy::Union::new(leaves).boxed();
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) and ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) or ({b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
    .boxed()
}

/// Binding names of `is some(x)` must be unique within a rule: number them (whole
/// identifiers only, never a field after `.`).
fn rename_bindings(text: &str, k: usize) -> String {
    const NAMES: &[&str] = &["m", "r", "p", "cap", "sd", "a", "q", "ds"];
    let mut out = String::new();
    let mut word = String::new();
    let mut prev = ' ';
    let flush = |word: &mut String, out: &mut String, before: char| {
        if !word.is_empty() {
            out.push_str(word);
            if before != '.' && NAMES.contains(&word.as_str()) {
                out.push_str(&k.to_string());
            }
            word.clear();
        }
    };
    let mut before_word = ' ';
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' {
            if word.is_empty() {
                before_word = prev;
            }
            word.push(c);
        } else {
            flush(&mut word, &mut out, before_word);
            out.push(c);
        }
        prev = c;
    }
    flush(&mut word, &mut out, before_word);
    out
}

fn rule() -> impl Strategy<Value = (bool, Vec<String>, bool)> {
    any::<bool>().prop_flat_map(|line| {
        (
            Just(line),
            prop::collection::vec(cond(line), 1..3),
            any::<bool>(),
        )
    })
}

fn program() -> impl Strategy<Value = String> {
    prop::collection::vec(rule(), 1..4).prop_map(|rules| {
        let mut src = String::new();
        for (n, (line, conds, unless)) in rules.into_iter().enumerate() {
            src.push_str(&format!("rule r{n} \"随机规则{n}\" {{\n  each {}\n", if line { "line" } else { "visit" }));
            src.push_str("  severity if len(visit.feedetail) > 2 then high else low\n");
            for (k, c) in conds.iter().enumerate() {
                let kw = if unless && k > 0 { "unless" } else { "when" };
                src.push_str(&format!("  {kw} {}\n", rename_bindings(c, n * 10 + k)));
            }
            if line {
                src.push_str("  amount line.det_item_fee_sumamt\n  message \"{line.hilist_name} 触发 {line.pric}\"\n");
            } else {
                src.push_str("  amount sum(l.det_item_fee_sumamt for l in visit.feedetail)\n  message \"就诊 {visit.mdtrt_id} 触发\"\n");
            }
            src.push_str("}\n");
        }
        src
    })
}

// ---- visits ----

fn visit(n: usize) -> impl Strategy<Value = String> {
    let date = prop_oneof![
        Just("2000-02-29"),
        Just("2008-10-15"),
        Just("1950-01-01"),
        Just("2026-09-20"),
        Just("2026-10-01"),
        Just("2026-12-31")
    ];
    let fee_line = (
        prop::sample::select(CODES),
        pick(DECIMALS),
        pick(DECIMALS),
        pick(DECIMALS),
        prop::option::of(0i64..40),
        prop::option::of(prop::sample::select(&["A03", "A04", "B01"][..])),
        1u32..31,
    );
    (
        date,
        prop::sample::select(&["11", "14", "21", "41", "52"][..]),
        prop::option::of(prop::sample::select(&["01", "05", "08", "11"][..])),
        prop::option::of(0i64..40),
        prop::option::of(prop::sample::select(&["M00500", "M01600", "X999"][..])),
        prop::collection::vec(prop::sample::select(&["C34.900", "J18.900", "I10.x00", "N40.x00", "Z99"][..]), 0..3),
        prop::collection::vec(fee_line, 0..5),
        any::<bool>(),
    )
        .prop_map(move |(brdy, med_type, hosp_lv, cont, dise, diags, lines, ended)| {
            let mut v = serde_json::json!({
                "mdtrt_id": format!("V{n}"), "psn_no": format!("P{}", n % 3), "brdy": brdy, "med_type": med_type,
                "begntime": "2026-10-01T08:00:00",
                "diseinfo": diags.iter().map(|d| serde_json::json!({"diag_code": d})).collect::<Vec<_>>(),
            });
            let o = v.as_object_mut().unwrap();
            if let Some(h) = hosp_lv { o.insert("hosp_lv".into(), h.into()); }
            if let Some(c) = cont { o.insert("cont_years".into(), c.into()); }
            if let Some(d) = dise { o.insert("dise_codg".into(), d.into()); }
            if ended { o.insert("endtime".into(), "2026-11-03T10:00:00".into()); }
            let lines: Vec<serde_json::Value> = lines
                .iter()
                .enumerate()
                .map(|(k, (code, cnt, pric, amt, days, dept, day))| {
                    let mut l = serde_json::json!({
                        "feedetl_sn": (k + 1).to_string(), "fee_ocur_time": format!("2026-10-{day:02}T09:00:00"),
                        "med_list_codg": code, "hilist_name": "药品名称", "cnt": cnt, "pric": pric, "det_item_fee_sumamt": amt,
                    });
                    let m = l.as_object_mut().unwrap();
                    if let Some(d) = days { m.insert("prd_days".into(), (*d).into()); }
                    if let Some(d) = dept { m.insert("bilg_dept_codg".into(), (*d).into()); }
                    l
                })
                .collect();
            o.insert("feedetail".into(), lines.into());
            v.to_string()
        })
}

fn visits() -> impl Strategy<Value = Vec<String>> {
    (0..12usize).map(visit).collect::<Vec<_>>()
}

// ---- the property ----

static CASE: AtomicUsize = AtomicUsize::new(0);
static HITS: AtomicUsize = AtomicUsize::new(0);
static FAULTS: AtomicUsize = AtomicUsize::new(0);

/// The generators are not vacuous: over a run, rules fire and rules fault.
#[test]
fn generated_programs_fire_and_fault() {
    interpreter_and_native_code_agree();
    assert!(
        HITS.load(Ordering::Relaxed) > 0,
        "no generated rule ever fired"
    );
    assert!(
        FAULTS.load(Ordering::Relaxed) > 0,
        "no generated rule ever faulted"
    );
}

fn temp_pack(rules: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stdlib-rules");
    let dir = std::env::temp_dir().join(format!(
        "heng-diff-{}-{}",
        std::process::id(),
        CASE.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(dir.join("tables")).unwrap();
    for f in [
        "heng.toml",
        "schema.heng",
        "tables.heng",
        "params.heng",
        "functions.heng",
    ] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    for e in std::fs::read_dir(src.join("tables")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.join("tables").join(p.file_name().unwrap())).unwrap();
    }
    std::fs::write(dir.join("generated.heng"), rules).unwrap();
    dir
}

fn outputs(
    engine: &dyn Engine,
    pack: &pack::Pack,
    schema: &input::Schema,
    sources: &heng_compiler::source::SourceMap,
    visits: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    for (i, text) in visits.iter().enumerate() {
        let v = input::read_visit(schema, i as u64 + 1, text).unwrap_or_else(|e| {
            panic!(
                "generated visit unreadable: {} {}\n{text}",
                e.field, e.reason.en
            )
        });
        let (findings, failures) = audit_visit(pack, engine, schema, sources, &v);
        out.extend(findings.iter().map(|f| finding_json(pack, f)));
        out.extend(
            failures
                .iter()
                .map(|e| eval_failure_json(pack, e, Lang::En)),
        );
    }
    out
}

fn cases() -> u32 {
    std::env::var("HENG_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn interpreter_and_native_code_agree(rules in program(), visits in visits()) {
        let dir = temp_pack(&rules);
        let loaded = pack::load(&dir, &[]);
        let errors: Vec<String> = loaded.diagnostics.iter().filter(|d| d.is_error()).map(|d| format!("{} {}", d.code, d.message.en)).collect();
        prop_assert!(errors.is_empty(), "generated program does not check: {errors:?}\n{rules}");
        let pack = loaded.pack.as_ref().unwrap();
        let schema = input::check_schema(&pack.program).unwrap();
        let native = NativeEngine::new(pack);
        prop_assert!(native.report.interpreted.is_empty(), "{:?}\n{rules}", native.report.interpreted);
        let a = outputs(&Interpreter::new(pack), pack, &schema, &loaded.sources, &visits);
        let b = outputs(&native, pack, &schema, &loaded.sources, &visits);
        let _ = std::fs::remove_dir_all(&dir);
        prop_assert!(!a.iter().any(|l| l.contains("internal error")), "internal error:\n{}\n{rules}", a.join("\n"));
        HITS.fetch_add(a.iter().filter(|l| !l.contains("eval_error")).count(), Ordering::Relaxed);
        FAULTS.fetch_add(a.iter().filter(|l| l.contains("eval_error")).count(), Ordering::Relaxed);
        prop_assert_eq!(a, b, "engines differ on\n{}", rules);
    }
}
