//! `heng bench` at a tiny size, as the performance spec asks of the test suite:
//! it runs, checks that the engines and the hand-written baseline agree, and
//! reports every figure; it explains what it cannot measure. Never timed here.
#![allow(clippy::unwrap_used)]

#[path = "support/heng.rs"]
mod heng_bin;
use heng_bin::heng;

#[path = "support/declarations_pack.rs"]
mod support;

const TINY: &[&str] = &["--copies", "1", "--rounds", "1", "--table-rows", "2000"];

#[test]
fn bench_reports_w3_to_w6_for_the_standard_pack() {
    let out = heng(&[&["bench", "--json"], TINY].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (w3, w5) = (&r["w3"], &r["w5"]);
    // the sample batch: 119 visits; W3 has the 15 line rules, 36 findings
    assert_eq!(w3["visits"], 119);
    assert_eq!(w3["rules"], 15);
    assert_eq!(w3["findings"], 36);
    for figure in [
        "interpreter_ms",
        "native_ms",
        "native_decide_ms",
        "handwritten_ms",
    ] {
        assert!(w3[figure].as_f64().unwrap() > 0.0, "{figure}: {w3}");
    }
    assert!(w3["native_vs_handwritten"].as_f64().is_some(), "{w3}");
    assert!(w3["handwritten_note"].is_null(), "{w3}");
    assert_eq!(r["w4"]["checks"], 119, "one pass over the sample batch");
    assert!(r["w4"]["p99_us"].as_f64().unwrap() >= r["w4"]["p50_us"].as_f64().unwrap());
    assert_eq!(
        w5["rules_native"], 29,
        "every rule: those reading history as native guards, the indicators' keys and totals"
    );
    assert_eq!(w5["rules_interpreted"], 0);
    assert_eq!(w5["table_rows"], 2000);
    assert!(r["w1"].is_null(), "W1 runs only when asked");
    // W6: the language server checked a 5,000-line pack after each edit (the
    // bench fails when an edit does not give the diagnostics it should)
    let w6 = &r["w6"];
    assert!(w6["pack_lines"].as_u64().unwrap() >= 5000, "{w6}");
    assert_eq!(
        w6["edits"], 2,
        "one edit breaking the last rule, one mending it"
    );
    assert!(w6["max_ms"].as_f64().unwrap() >= w6["p50_ms"].as_f64().unwrap());
    assert!(w6["check_p50_ms"].as_f64().unwrap() > 0.0, "{w6}");
    // W7 runs only in a build with the peer engines (`--features peers`)
    if r["w7"].is_null() {
        let note = r["w7_note"].as_str().unwrap();
        assert!(note.contains("--features peers"), "{note}");
    } else {
        let w7 = &r["w7"];
        assert_eq!(
            w7["fee_lines"], 794,
            "the lines of the sample batch the reader accepts"
        );
        assert!(w7["heng_records_per_sec"].as_f64().unwrap() > 0.0, "{w7}");
        for p in w7["peers"].as_array().unwrap() {
            assert!(p["agrees"] == true || p["note"].is_string(), "{p}");
        }
    }
    // the table, in both languages
    let text = heng(&[&["bench"], TINY].concat());
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("hand-written Rust") && text.contains("target ≤ 1.5"),
        "{text}"
    );
    assert!(
        text.contains("\nW6 editor") && text.contains("target ≤ 50 ms"),
        "{text}"
    );
    assert!(text.contains("\nW7 peers"), "{text}");
    let zh = heng(&[&["bench", "--lang", "zh"], TINY].concat());
    let zh = String::from_utf8(zh.stdout).unwrap();
    assert!(
        zh.contains("手写 Rust") && zh.contains("\nW7 同类引擎对比"),
        "{zh}"
    );
}

#[test]
fn bench_explains_a_pack_the_hand_written_rules_do_not_fit() {
    let dir = support::declarations_pack("bench_other_pack");
    std::fs::write(
        dir.join("one.heng"),
        "rule big \"大额\" {\n  each line\n  severity low\n  when line.pric > 100\n  message \"x\"\n}\n",
    )
    .unwrap();
    let out = heng(&[&["bench", "--json", "--pack", dir.to_str().unwrap()], TINY].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r["w3"]["handwritten_ms"].is_null());
    let note = r["w3"]["handwritten_note"].as_str().unwrap();
    assert!(note.contains("do not match this pack"), "{note}");
}

#[test]
fn bench_reports_a_missing_input() {
    let out = heng(&["bench", "--input", "no/such.ndjson"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot read no/such.ndjson"), "{err}");
}

#[test]
fn bench_runs_w1_on_a_batch() {
    let out = heng(
        &[
            &[
                "bench",
                "--json",
                "--w1",
                "examples/sample-batch.ndjson",
                "--threads",
                "2",
                "--batch-rounds",
                "3",
            ],
            TINY,
        ]
        .concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let w1 = &r["w1"];
    assert_eq!(w1["visits"], 119);
    assert_eq!(w1["findings"], 48);
    assert_eq!(w1["threads"], 2);
    assert!(w1["lines_per_sec"].as_f64().unwrap() > 0.0, "{w1}");
    // W2 settles the same batch with DIP, W1's time its baseline
    let w2 = &r["w2"];
    assert_eq!(
        (&w2["visits"], &w2["settled"]),
        (&119.into(), &119.into()),
        "{w2}"
    );
    assert_eq!(w2["identities_failed"], 0, "{w2}");
    assert_eq!(w2["audit_seconds"], w1["seconds"], "{w2}");
    assert_eq!(w2["totals"][0][0], "dip_scores", "{w2}");
    // each timed three times: the best counts, the median is reported too,
    // and every round settles from the start (the same totals as one run)
    for w in [w1, w2] {
        assert_eq!(w["rounds"], 3, "{w}");
        let (best, median) = (w["seconds"].as_f64(), w["median_seconds"].as_f64());
        assert!(best.unwrap() <= median.unwrap(), "{w}");
    }
    assert_eq!(w2["totals"][0][1], "3607.5793", "{w2}");
}

#[test]
fn bench_at_a_scale_generates_the_batch_and_runs_every_workload_on_it() {
    let out = heng(
        &[
            &["bench", "--json", "--scale", "tiny", "--threads", "2"],
            TINY,
        ]
        .concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let w1 = &r["w1"];
    assert_eq!(w1["generated"]["scale"], "tiny");
    assert_eq!(w1["generated"]["visits"], 1600);
    assert_eq!(w1["visits"], 1600, "every generated visit is read: {w1}");
    assert_eq!(w1["threads"], 2);
    assert_eq!(
        w1["identical"], true,
        "one thread and two write the same bytes"
    );
    for figure in [
        "seconds",
        "single_thread_seconds",
        "speedup",
        "lines_per_sec",
    ] {
        assert!(w1[figure].as_f64().unwrap() > 0.0, "{figure}: {w1}");
    }
    // W3 and W4 run on the generated visits (all 1,600 at this scale)
    assert_eq!(r["w3"]["visits"], 1600);
    // W3 has the line rules that read no history; W1 the whole pack
    let (w3_found, w1_found) = (
        r["w3"]["findings"].as_u64().unwrap(),
        w1["findings"].as_u64().unwrap(),
    );
    assert!(w3_found > 0 && w3_found < w1_found, "{w3_found} {w1_found}");
    assert_eq!(r["w4"]["checks"], 1600);
    let text = heng(&[&["bench", "--scale", "tiny", "--lang", "en"], TINY].concat());
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("data (heng gen, scale tiny, seed 1): 1600 visits")
            && text.contains("identical output")
            && text.contains(
                "W2 settlement and DIP (the same batch, settled without auditing, dip_budget=4000000000): 1600 visits settled"
            )
            && text.contains("the identities hold on every visit"),
        "{text}"
    );
}
