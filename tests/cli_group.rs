//! `heng group` as a user runs it: a batch in any order comes out grouped by
//! patient, each patient's visits in time order, the same whether it fitted the
//! memory budget or was spilled to disk; nothing is lost (lines read = written +
//! rejected); auditing the grouped batch finds exactly what the original gives.
#![allow(clippy::unwrap_used)]

#[path = "support/heng.rs"]
mod heng_bin;
use heng_bin::heng;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn out_dir(name: &str) -> PathBuf {
    heng_bin::out_dir("group", name)
}

fn ok(args: &[&str]) -> String {
    let out = heng(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stderr).unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Findings of `heng run` on a batch, sorted (grouping changes their order), and
/// whether the run saw the batch grouped by patient.
fn findings(dir: &Path, batch: &Path) -> (Vec<String>, bool) {
    let name = batch.file_name().unwrap().to_str().unwrap();
    let f = dir.join(format!("{name}.findings"));
    let s = dir.join(format!("{name}.summary"));
    ok(&[
        "run",
        "stdlib-rules",
        "--input",
        path(batch),
        "--findings",
        path(&f),
        "--summary",
        path(&s),
        // blocks smaller than a patient's visits: still cut between patients
        "--block-kib",
        "4",
    ]);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s).unwrap()).unwrap();
    let mut lines: Vec<String> = std::fs::read_to_string(f)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    lines.sort();
    (lines, summary["grouped_by_patient"].as_bool().unwrap())
}

#[test]
fn a_shuffled_batch_comes_out_grouped_and_audits_the_same() {
    let dir = out_dir("shuffled");
    let batch = dir.join("batch.ndjson");
    ok(&[
        "gen",
        "--visits",
        "600",
        "--seed",
        "3",
        "--out",
        path(&batch),
    ]);
    // heng gen writes patients together in time order: grouping changes nothing
    let same = dir.join("same.ndjson");
    ok(&["group", "--input", path(&batch), "--out", path(&same)]);
    assert_eq!(
        std::fs::read(&batch).unwrap(),
        std::fs::read(&same).unwrap()
    );

    // the visits interleaved (every third line first, ...), a blank line and a
    // line that is not UTF-8 added
    let text = std::fs::read_to_string(&batch).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut shuffled: Vec<u8> = Vec::new();
    for start in 0..3 {
        for l in lines.iter().skip(start).step_by(3) {
            shuffled.extend_from_slice(l.as_bytes());
            shuffled.push(b'\n');
        }
    }
    shuffled.extend_from_slice(b"\n{\"mdtrt_id\": \"\xff\"}\n");
    let shuffled_path = dir.join("shuffled.ndjson");
    std::fs::write(&shuffled_path, &shuffled).unwrap();

    let mut outputs = Vec::new();
    for budget in ["1G", "64K"] {
        let grouped = dir.join(format!("grouped-{budget}.ndjson"));
        let errors = dir.join(format!("errors-{budget}.ndjson"));
        let said = ok(&[
            "group",
            "--input",
            path(&shuffled_path),
            "--out",
            path(&grouped),
            "--errors",
            path(&errors),
            "--memory-budget",
            budget,
            "--scratch",
            path(&dir),
        ]);
        assert!(
            said.contains("read 601 lines = written 600 + rejected 1"),
            "{said}"
        );
        assert_eq!(said.contains("0 runs spilled"), budget == "1G", "{said}");
        let e = std::fs::read_to_string(&errors).unwrap();
        assert!(
            e.contains("\"line\":602") && e.contains("not valid UTF-8"),
            "{e}"
        );
        outputs.push(std::fs::read_to_string(&grouped).unwrap());
    }
    assert_eq!(outputs[0], outputs[1], "spilled or not, the same bytes");
    let grouped: Vec<serde_json::Value> = outputs[0]
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // each patient's visits together and in time order
    let mut last: HashMap<String, (usize, String)> = HashMap::new();
    for (i, v) in grouped.iter().enumerate() {
        let psn = v["psn_no"].as_str().unwrap().to_string();
        let time = v["begntime"].as_str().unwrap().to_string();
        if let Some((at, before)) = last.get(&psn) {
            assert_eq!(*at, i - 1, "{psn} is not together");
            assert!(*before <= time, "{psn}: {before} after {time}");
        }
        last.insert(psn, (i, time));
    }
    assert!(last.len() < 600, "some patients have several visits");
    // no scratch files left behind
    assert!(std::fs::read_dir(&dir).unwrap().all(|e| {
        !e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("heng-group-")
    }),);
    let grouped_path = dir.join("grouped-64K.ndjson");
    let (original, original_grouped) = findings(&dir, &batch);
    let (grouped, grouped_grouped) = findings(&dir, &grouped_path);
    assert_eq!(original, grouped);
    assert!(original_grouped && grouped_grouped);
    let (_, shuffled_grouped) = findings(&dir, &shuffled_path);
    assert!(!shuffled_grouped, "the shuffled batch is not grouped");
}

#[test]
fn group_explains_bad_arguments() {
    let out = heng(&["group", "--input", "no/such.ndjson", "--out", "x.ndjson"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such.ndjson"));
    let out = heng(&[
        "group",
        "--input",
        "examples/sample-batch.ndjson",
        "--out",
        "x.ndjson",
        "--memory-budget",
        "lots",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a size"));
}
