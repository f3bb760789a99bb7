//! `heng run --settlement` as a user runs it: the sample batch settled exactly
//! (both identities on every visit), the same bytes whatever the grouping, block
//! size or thread count, starting accumulators, and clear errors.
#![allow(clippy::unwrap_used)]

#[path = "support/heng.rs"]
mod heng_bin;
use heng_bin::{heng, root};

use rust_decimal::Decimal;
use std::path::PathBuf;

fn out_dir(name: &str) -> PathBuf {
    heng_bin::out_dir("settle", name)
}

/// `heng run stdlib-rules --input INPUT --settlement OUT EXTRA…`: the settlement
/// text, or the failed run's stderr.
fn settle(dir: &std::path::Path, input: &str, extra: &[&str]) -> Result<String, String> {
    let (settlement, errors) = settle_reporting(dir, input, extra)?;
    assert_eq!(errors, "", "no evaluation errors");
    Ok(settlement)
}

/// [`settle`], with the rejected records and evaluation errors; the findings
/// are in `DIR/findings.ndjson`.
fn settle_reporting(
    dir: &std::path::Path,
    input: &str,
    extra: &[&str],
) -> Result<(String, String), String> {
    let out = dir.join("settlement.ndjson");
    let findings = dir.join("findings.ndjson");
    let mut args = vec![
        "run",
        "stdlib-rules",
        "--input",
        input,
        "--findings",
        findings.to_str().unwrap(),
        "--settlement",
        out.to_str().unwrap(),
        "--scratch",
        dir.to_str().unwrap(),
    ];
    let summary = dir.join("summary.json");
    args.extend(["--summary", summary.to_str().unwrap()]);
    args.extend(extra);
    let o = heng(&args);
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).into_owned());
    }
    let errors = std::fs::read_to_string(dir.join("findings.errors.ndjson")).unwrap();
    Ok((std::fs::read_to_string(out).unwrap(), errors))
}

fn money(v: &serde_json::Value, field: &str) -> Decimal {
    let s = v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {v}"));
    let (_, decimals) = s.split_once('.').unwrap();
    assert_eq!(decimals.len(), 2, "{field} = {s}: exactly two decimals");
    s.parse().unwrap()
}

#[test]
fn sample_batch_is_settled_in_input_order_with_both_identities() {
    let dir = out_dir("sample");
    let text = settle(&dir, "examples/sample-batch.ndjson", &[]).unwrap();
    let input = std::fs::read_to_string(root().join("examples/sample-batch.ndjson")).unwrap();
    let ids: Vec<String> = input
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["mdtrt_id"].to_string())
        .collect();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 119);
    for (v, id) in lines.iter().zip(&ids) {
        assert_eq!(&v["mdtrt_id"].to_string(), id, "input order");
        let sum = |f: &str| money(v, f);
        assert_eq!(
            sum("medfee_sumamt"),
            sum("fulamt_ownpay_amt")
                + sum("overlmt_selfpay")
                + sum("preselfpay_amt")
                + sum("inscp_scp_amt"),
            "{v}"
        );
        assert_eq!(
            sum("psn_part_amt"),
            sum("medfee_sumamt") - sum("fund_pay_sumamt"),
            "{v}"
        );
        assert_eq!(sum("fund_pay_sumamt"), sum("hifp_pay") + sum("hifmi_pay"));
        for line in v["feedetail"].as_array().unwrap() {
            for f in [
                "fulamt_ownpay_amt",
                "overlmt_amt",
                "preselfpay_amt",
                "inscp_scp_amt",
            ] {
                money(line, f);
            }
        }
    }
    insta::assert_snapshot!("sample_batch_settlement", text);
}

#[test]
fn settlement_does_not_depend_on_grouping_blocks_or_threads() {
    let dir = out_dir("same");
    let first = settle(&dir, "examples/sample-batch.ndjson", &[]).unwrap();
    for extra in [
        &["--threads", "1"][..],
        &["--threads", "3", "--block-kib", "1", "--memory-budget", "1"][..],
        &["--engine", "interp"][..],
    ] {
        assert_eq!(
            settle(&dir, "examples/sample-batch.ndjson", extra).unwrap(),
            first,
            "{extra:?}"
        );
    }
    // the same visits grouped by patient settle the same, line for line
    let grouped = dir.join("grouped.ndjson");
    let o = heng(&[
        "group",
        "--input",
        "examples/sample-batch.ndjson",
        "--out",
        grouped.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut a: Vec<&str> = first.lines().collect();
    let again = settle(&dir, grouped.to_str().unwrap(), &[]).unwrap();
    let mut b: Vec<&str> = again.lines().collect();
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b);
    // with DIP's first pass, which also finds whether the input is grouped (the
    // sample is not, its grouped copy is): the same lines either way
    let dip = ["--param", "dip_budget=1000000"];
    let sorted = |text: String| {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines.sort_unstable();
        lines
    };
    let ungrouped = settle(&dir, "examples/sample-batch.ndjson", &dip).unwrap();
    assert!(ungrouped.contains("point_value"), "{ungrouped}");
    assert_eq!(
        sorted(settle(&dir, grouped.to_str().unwrap(), &dip).unwrap()),
        sorted(ungrouped)
    );
}

#[test]
fn accumulators_start_from_the_file() {
    let dir = out_dir("accumulators");
    let csv = dir.join("acc.csv");
    // P025's first visit (line 1) is outpatient at tier 3 in 2026: 299.99 of its
    // yearly deductible already paid elsewhere leaves 0.01
    std::fs::write(&csv, "psn_no,year,outpatient_dedc_used\nP025,2026,299.99\n").unwrap();
    let text = settle(
        &dir,
        "examples/sample-batch.ndjson",
        &["--accumulators", csv.to_str().unwrap()],
    )
    .unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["psn_no"], "P025");
    assert_eq!(first["act_pay_dedc"], "0.01");
    assert_eq!(first["hifp_pay"], "22.00"); // (55.00 − 0.01) × 40% = 21.996, half-up
}

#[test]
fn bad_accumulators_and_packs_without_settlement_are_usage_errors() {
    let dir = out_dir("errors");
    let csv = dir.join("acc.csv");
    for (content, expected) in [
        (
            "psn_no,year,basic_used\nP025,2026,12x\n",
            "line 2, column `basic_used`: `12x` is not an amount",
        ),
        (
            "psn_no,year,deductible\nP025,2026,1\n",
            "column `deductible` is not an accumulator of settlement `basic_insurance`",
        ),
        ("psn,year\n", "the header needs `psn_no` and `year` columns"),
        (
            "psn_no,year\nP025,2026\nP025,2026\n",
            "line 3: patient P025 year 2026 is given twice",
        ),
    ] {
        std::fs::write(&csv, content).unwrap();
        let err = settle(
            &dir,
            "examples/sample-batch.ndjson",
            &["--accumulators", csv.to_str().unwrap()],
        )
        .unwrap_err();
        assert!(err.contains(expected), "{err}");
    }
    let err = settle(
        &dir,
        "examples/sample-batch.ndjson",
        &["--param", "scheme_year_start=9-1"],
    )
    .unwrap_err();
    assert!(err.contains("`9-1` is not \"MM-DD\""), "{err}");
}

#[test]
fn dip_scores_stays_when_a_budget_is_given() {
    let dir = out_dir("dip");
    // examples/dip-stays.ndjson: low, normal, high, a procedure's own group, the
    // longest prefix, ungrouped stays, r exactly 0.5 and 2, an outpatient visit
    let without = settle(&dir, "examples/dip-stays.ndjson", &[]).unwrap();
    assert!(
        !without.contains("case_type"),
        "no budget, no DIP: {without}"
    );
    let text = settle(
        &dir,
        "examples/dip-stays.ndjson",
        &["--param", "dip_budget=1000000"],
    )
    .unwrap();
    let brief: Vec<String> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let f = |k: &str| {
                v.get(k)
                    .map_or("-".to_string(), |x| x.as_str().unwrap().to_string())
            };
            format!(
                "{} {} {} {} {} {}",
                v["mdtrt_id"].as_str().unwrap(),
                f("dip_group"),
                f("case_type"),
                f("case_score"),
                f("point_value"),
                f("dip_payment")
            )
        })
        .collect();
    // the same figures as a hand computation of stdlib.md §DIP: the point value is
    // 1,000,000 / 5485.5752 (the sum of the grouped stays' scores)
    assert_eq!(
        brief,
        [
            "DIP-normal-r-1-pneumonia-conservative J18-0 normal 520.0000 182.2963 94794.08",
            "DIP-low-r-0.39-copd J44-0 low 240.7895 182.2963 43895.03",
            "DIP-high-r-2.23-stroke I63-0 high 1084.2857 182.2963 197661.27",
            "DIP-procedure-picks-its-row-bronchoscopy J18-1 normal 780.5000 182.2963 142282.26",
            "DIP-unlisted-procedure-falls-back-to-conservative J18-0 normal 520.0000 182.2963 94794.08",
            "DIP-longest-prefix-S82.0-patella S82.0-1 normal 1420.0000 182.2963 258860.75",
            "DIP-longest-prefix-without-conservative-row-ungrouped - ungrouped - 182.2963 -",
            "DIP-diagnosis-in-no-group-ungrouped - ungrouped - 182.2963 -",
            "DIP-r-exactly-0.5-is-normal E11-0 normal 450.0000 182.2963 82033.34",
            "DIP-r-exactly-2-is-normal K25-0 normal 470.0000 182.2963 85679.26",
            "DIP-outpatient-visit-not-scored - - - - -",
        ]
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["settlement"],
        serde_json::json!({"visits": 11, "batch_totals": {"dip_scores": "5485.5752"}})
    );
    insta::assert_snapshot!("dip_stays_settlement", text);
}

#[test]
fn the_children_city_pack_localises_the_standard_settlement_by_parameters() {
    // its fixtures (scheme year from 1 September, tier shares, pharmacies,
    // transfers, starting accumulators) pass as `heng test` runs them, with
    // the command the README shows
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains("cargo run --release -- test examples/children-outpatient")
            && readme.contains("cargo run --release -- run examples/children-outpatient"),
        "the README shows how to run the city pack"
    );
    let out = heng(&["test", "examples/children-outpatient", "--lang", "en"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(
            "settlement coverage: 1 fixtures check settlement basic_insurance on 8 visits"
        ),
        "{stdout}"
    );
    // the same visits under the national pack's 1 January scheme year: the
    // 1 September visit finds the deductible already paid in August
    let dir = out_dir("city");
    let input = "examples/children-outpatient/fixtures/children.ndjson";
    let national = settle(&dir, input, &[]).unwrap();
    let city = dir.join("city.ndjson");
    let o = heng(&[
        "run",
        "examples/children-outpatient",
        "--input",
        input,
        "--findings",
        dir.join("city-findings.ndjson").to_str().unwrap(),
        "--settlement",
        city.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let city = std::fs::read_to_string(city).unwrap();
    let third = |text: &str| -> serde_json::Value {
        serde_json::from_str(text.lines().nth(2).unwrap()).unwrap()
    };
    assert_eq!(
        third(&national)["mdtrt_id"],
        "CHILD-Sep-1-new-scheme-year-full-deductible-again"
    );
    assert_eq!(third(&national)["act_pay_dedc"], "0.00");
    assert_eq!(third(&city)["act_pay_dedc"], "300.00");
}

#[test]
fn a_repeated_visit_is_rejected_and_does_not_move_the_accumulators() {
    let dir = out_dir("repeated");
    let fixture = root().join("stdlib-rules/fixtures/settlement_deductible.ndjson");
    let text = std::fs::read_to_string(&fixture).unwrap();
    // the 299.99 visit sent again with its patient's other visits (the input
    // stays grouped by patient): settled, it would take the last fen of
    // P-SD-01's deductible from the visit after it
    let mut lines: Vec<&str> = text.lines().collect();
    let again = lines[1];
    assert!(again.contains("SETTLE-DEDC-first-visit-299.99"));
    lines.insert(3, again);
    let text = lines.join("\n") + "\n";
    let input = dir.join("repeated.ndjson");
    std::fs::write(&input, text).unwrap();
    let (settlement, errors) = settle_reporting(&dir, input.to_str().unwrap(), &[]).unwrap();
    assert_eq!(errors.lines().count(), 1, "{errors}");
    assert!(
        errors.contains("SETTLE-DEDC-first-visit-299.99"),
        "{errors}"
    );
    let expected = std::fs::read_to_string(
        root().join("stdlib-rules/fixtures/settlement_deductible.settlement.expected.ndjson"),
    )
    .unwrap();
    assert_eq!(settlement, expected);
}

/// A visit whose id an earlier part of the batch had (another patient's) is
/// rejected, and its patient's other visits settle and audit exactly as if it
/// had never been sent: its part is evaluated again without it.
#[test]
fn a_visit_repeating_an_earlier_part_s_id_moves_no_accumulator_of_its_patient() {
    let dir = out_dir("repeated-across-parts");
    let fixture = root().join("stdlib-rules/fixtures/settlement_deductible.ndjson");
    let text = std::fs::read_to_string(&fixture).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let repeated = "SETTLE-DEDC-first-visit-299.99-one-fen-below";
    assert!(lines[1].contains(repeated));
    // another patient's visit, first in the batch, takes the id
    let earlier = lines[3]
        .replace("SETTLE-DEDC-exactly-300", repeated)
        .replace("P-SD-02", "P-SD-99");
    // a part per patient
    let parts = ["--block-kib", "1"];
    let run = |name: &str, visits: &[&str], extra: &[&str]| {
        let input = dir.join(format!("{name}.ndjson"));
        std::fs::write(&input, visits.join("\n") + "\n").unwrap();
        let extra = [&parts[..], extra].concat();
        let (settlement, errors) = settle_reporting(&dir, input.to_str().unwrap(), &extra).unwrap();
        let findings = std::fs::read_to_string(dir.join("findings.ndjson")).unwrap();
        (findings, settlement, errors)
    };
    let mut sent = vec![earlier.as_str()];
    sent.extend(&lines);
    let mut without = sent.clone();
    without.remove(2);
    for extra in [
        &[][..],
        &["--threads", "1"][..],
        &["--engine", "interp"][..],
    ] {
        let (findings, settlement, errors) = run("sent", &sent, extra);
        let (findings_without, settlement_without, _) = run("without", &without, extra);
        assert_eq!(errors.lines().count(), 1, "{errors}");
        assert!(
            errors.contains(repeated) && errors.contains("line 1"),
            "{errors}"
        );
        assert_eq!(settlement, settlement_without, "{extra:?}");
        assert_eq!(findings, findings_without, "{extra:?}");
    }
}

/// A stay whose id an earlier part had adds nothing to DIP's batch total: the
/// point value and every payment stay those of the batch without it.
#[test]
fn a_repeated_stay_adds_nothing_to_the_batch_totals() {
    let dir = out_dir("repeated-stay");
    let text = std::fs::read_to_string(root().join("examples/dip-stays.ndjson")).unwrap();
    let stroke = text
        .lines()
        .find(|l| l.contains("DIP-high-r-2.23-stroke"))
        .unwrap();
    let psn = |l: &str| {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        v["psn_no"].as_str().unwrap().to_string()
    };
    // the same stay again, later, as another patient's
    let again = stroke.replace(&psn(stroke), "P-DIP-AGAIN");
    let input = dir.join("again.ndjson");
    std::fs::write(&input, format!("{text}{again}\n")).unwrap();
    let dip = ["--param", "dip_budget=1000000", "--block-kib", "1"];
    let alone = settle(&dir, "examples/dip-stays.ndjson", &dip).unwrap();
    let (settlement, errors) = settle_reporting(&dir, input.to_str().unwrap(), &dip).unwrap();
    assert_eq!(errors.lines().count(), 1, "{errors}");
    assert!(errors.contains("DIP-high-r-2.23-stroke"), "{errors}");
    assert_eq!(settlement, alone);
}

#[test]
fn settling_without_auditing_settles_the_same_and_finds_nothing() {
    let dir = out_dir("no-audit");
    let sample = "examples/sample-batch.ndjson";
    for dip in [&[][..], &["--param", "dip_budget=1000000"][..]] {
        let audited = settle(&dir, sample, dip).unwrap();
        assert_ne!(
            std::fs::read_to_string(dir.join("findings.ndjson")).unwrap(),
            ""
        );
        let only = settle(&dir, sample, &[dip, &["--no-audit"]].concat()).unwrap();
        assert_eq!(only, audited, "{dip:?}");
        assert_eq!(
            std::fs::read_to_string(dir.join("findings.ndjson")).unwrap(),
            "",
            "no rule ran"
        );
    }
    // it settles: without --settlement there is nothing to do
    let o = heng(&["run", "stdlib-rules", "--input", sample, "--no-audit"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--settlement"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
