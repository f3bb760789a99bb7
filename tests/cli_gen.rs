//! `heng gen` as a user runs it: the same seed gives the same bytes (whatever the
//! thread count) and another seed other bytes; the batch is read by `heng run`
//! without a rejected record, every injected violation of the 15 standard line
//! rules is found, and requires_item and billing_vs_orders give exactly the
//! findings the manifest expects; the shape (grouping, time order, exact
//! amounts, doctor's orders); clear errors.
#![allow(clippy::unwrap_used)]

#[path = "support/heng.rs"]
mod heng_bin;
use heng_bin::heng;

use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::str::FromStr;

fn out_dir(name: &str) -> PathBuf {
    heng_bin::out_dir("gen", name)
}

/// Runs `heng gen` and returns the batch and its manifest.
fn generate(path: &Path, visits: u64, seed: u64, extra: &[&str]) -> (Vec<u8>, serde_json::Value) {
    let visits = visits.to_string();
    let seed = seed.to_string();
    let args = [
        &[
            "gen",
            "--visits",
            &visits,
            "--seed",
            &seed,
            "--out",
            path.to_str().unwrap(),
        ],
        extra,
    ]
    .concat();
    let out = heng(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest = std::fs::read_to_string(format!("{}.manifest.json", path.display())).unwrap();
    (
        std::fs::read(path).unwrap(),
        serde_json::from_str(&manifest).unwrap(),
    )
}

const LINE_RULES: [&str; 15] = [
    "age_limit",
    "billing_outside_stay",
    "dept_limit",
    "discharge_overdose",
    "excluded_item",
    "expensive_material",
    "gender_limit",
    "indication_limit",
    "insurance_limit",
    "max_days",
    "newborn_limit",
    "over_price",
    "special_disease_scope",
    "tier_limit",
    "visit_limit",
];

/// Counting rules the generator injects; the manifest counts their findings.
const COUNTING_RULES: [&str; 2] = ["billing_vs_orders", "requires_item"];

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_others() {
    let dir = out_dir("determinism");
    let (a, ma) = generate(&dir.join("a.ndjson"), 400, 11, &[]);
    let (b, mb) = generate(&dir.join("b.ndjson"), 400, 11, &["--threads", "1"]);
    let (c, mc) = generate(&dir.join("c.ndjson"), 400, 11, &["--threads", "3"]);
    let (d, md) = generate(&dir.join("d.ndjson"), 400, 12, &[]);
    assert!(!a.is_empty());
    assert!(a == b && a == c, "same seed, any thread count: same bytes");
    assert!(ma == mb && ma == mc);
    assert_ne!(a, d, "another seed gives another batch");
    assert_eq!(md["seed"], 12);
    assert_eq!(md["visits"], 400);
}

#[test]
fn heng_run_reads_every_record_and_finds_every_injected_violation() {
    let dir = out_dir("audit");
    let batch = dir.join("batch.ndjson");
    let (_, manifest) = generate(&batch, 2_000, 1, &[]);
    assert_eq!(manifest["visits"], 2_000);
    let summary = dir.join("summary.json");
    let out = heng(&[
        "run",
        "stdlib-rules",
        "--input",
        batch.to_str().unwrap(),
        "--findings",
        dir.join("findings.ndjson").to_str().unwrap(),
        "--summary",
        summary.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(s["records_read"], 2_000);
    assert_eq!(s["records_evaluated"], 2_000);
    assert_eq!(s["records_rejected"], 0);
    assert_eq!(s["eval_errors"], 0);
    let findings = |rule: &str| -> u64 {
        s["rules"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["rule"] == rule)
            .flat_map(|r| r["by_severity"].as_object().unwrap().values())
            .map(|v| v["findings"].as_u64().unwrap())
            .sum()
    };
    for rule in LINE_RULES {
        let injected = manifest["rules"][rule]["injected"].as_u64().unwrap();
        let found = findings(rule);
        assert!(injected >= 1, "{rule}: nothing injected");
        assert!(
            found >= injected,
            "{rule}: {found} findings, {injected} injected"
        );
    }
    for rule in COUNTING_RULES {
        let injected = manifest["rules"][rule]["injected"].as_u64().unwrap();
        let expected = manifest["rules"][rule]["expected"].as_u64().unwrap();
        assert!(injected >= 1, "{rule}: nothing injected");
        assert!(expected >= injected, "{rule}: {expected} < {injected}");
        assert_eq!(findings(rule), expected, "{rule}: the model's findings");
    }
}

#[test]
fn visits_are_grouped_by_patient_in_time_order_with_exact_amounts() {
    let dir = out_dir("shape");
    let (bytes, manifest) = generate(&dir.join("batch.ndjson"), 600, 3, &[]);
    let text = String::from_utf8(bytes).unwrap();
    let visits: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(visits.len(), 600);
    let mut seen = std::collections::HashSet::new();
    let mut lines = 0;
    let mut inpatient = 0;
    let (mut drug_lines, mut ordered_lines) = (0, 0);
    for (i, v) in visits.iter().enumerate() {
        let psn = v["psn_no"].as_str().unwrap();
        let same_patient = i > 0 && visits[i - 1]["psn_no"] == psn;
        if same_patient {
            let before = visits[i - 1]["begntime"].as_str().unwrap();
            assert!(before <= v["begntime"].as_str().unwrap(), "time order: {v}");
        } else {
            assert!(seen.insert(psn.to_string()), "{psn} appears in two groups");
        }
        assert!(v["begntime"].as_str().unwrap().starts_with("2026-10-"));
        let fee = v["feedetail"].as_array().unwrap();
        lines += fee.len();
        if ["21", "22", "24", "28", "52"].contains(&v["med_type"].as_str().unwrap()) {
            inpatient += 1;
            assert!(fee.len() >= 20, "{}", v["mdtrt_id"]);
        } else {
            assert!((2..=16).contains(&fee.len()), "{}", v["mdtrt_id"]);
        }
        for l in fee {
            let d = |f: &str| Decimal::from_str(l[f].as_str().unwrap()).unwrap();
            assert_eq!(d("cnt") * d("pric"), d("det_item_fee_sumamt"), "{l}");
            assert_eq!(d("det_item_fee_sumamt").scale(), 2, "{l}");
        }
        // Orders: every stay with a drug line has them; each names a drug and
        // a positive quantity, once; almost every drug line points at one.
        let orders = v["orders"].as_array().cloned().unwrap_or_default();
        let is_drug = |l: &serde_json::Value| l["list_type"] == "101";
        let inpatient_class =
            ["21", "22", "24", "28", "52"].contains(&v["med_type"].as_str().unwrap());
        if inpatient_class && fee.iter().any(is_drug) {
            assert!(
                !orders.is_empty(),
                "a stay without orders: {}",
                v["mdtrt_id"]
            );
        }
        let mut rx = std::collections::HashSet::new();
        for o in &orders {
            assert!(rx.insert(o["rx_id"].as_str().unwrap()), "{o}");
            assert!(
                o["hilist_code"].as_str().unwrap().starts_with(['X', 'Z']),
                "{o}"
            );
            assert!(Decimal::from_str(o["cnt"].as_str().unwrap()).unwrap() >= Decimal::ONE);
            assert!(
                o["drord_begn_date"].as_str().unwrap() <= o["drord_stop_date"].as_str().unwrap()
            );
        }
        if !orders.is_empty() {
            for l in fee
                .iter()
                .filter(|l| is_drug(l) && l["init_feedetl_sn"].is_null())
            {
                drug_lines += 1;
                ordered_lines +=
                    usize::from(l["drord_no"].as_str().is_some_and(|n| rx.contains(n)));
            }
        }
    }
    assert!(drug_lines > 0);
    assert!(
        ordered_lines * 100 >= drug_lines * 97,
        "drug lines with an order: {ordered_lines} of {drug_lines}"
    );
    assert_eq!(manifest["patients"], seen.len());
    assert_eq!(manifest["fee_lines"], lines);
    assert!(
        (40..=150).contains(&inpatient),
        "about 15% inpatient: {inpatient}"
    );
}

#[test]
fn zero_visits_give_an_empty_file_and_an_unwritable_path_exit_2() {
    let dir = out_dir("edges");
    let (bytes, manifest) = generate(&dir.join("empty.ndjson"), 0, 1, &[]);
    assert!(bytes.is_empty());
    assert_eq!(manifest["visits"], 0);
    assert_eq!(manifest["fee_lines"], 0);

    let missing = dir.join("no-such-dir").join("batch.ndjson");
    let out = heng(&["gen", "--visits", "10", "--out", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot write") && stderr.contains(missing.to_str().unwrap()),
        "{stderr}"
    );
}
