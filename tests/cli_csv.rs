//! `heng run` on CSV input (records.md): the sample batch as CSV files, bad
//! cells and rows, and a batch large enough to span several workers' shares,
//! each giving what the same visits as NDJSON give.
#![allow(clippy::unwrap_used)]

#[path = "support/heng.rs"]
mod heng_bin;
use heng_bin::{heng, summary};

use std::path::{Path, PathBuf};

fn out_dir(name: &str) -> PathBuf {
    heng_bin::out_dir("csv", name)
}

/// The sample batch as CSV files (examples/csv/, one per list, joined on
/// mdtrt_id) gives byte for byte the findings of the NDJSON batch.
#[test]
fn csv_input_gives_the_findings_of_the_same_ndjson() {
    let dir = out_dir("csv");
    let (from_csv, from_ndjson) = (dir.join("csv.ndjson"), dir.join("ndjson.ndjson"));
    let out = heng(&[
        "run",
        "stdlib-rules",
        "--input",
        "examples/csv/visits.csv",
        "--fee-lines",
        "examples/csv/fee-lines.csv",
        "--diagnoses",
        "examples/csv/diagnoses.csv",
        "--operations",
        "examples/csv/operations.csv",
        "--orders",
        "examples/csv/orders.csv",
        "--findings",
        from_csv.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = heng(&[
        "run",
        "stdlib-rules",
        "--input",
        "examples/sample-batch.ndjson",
        "--findings",
        from_ndjson.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let (a, b) = (
        std::fs::read_to_string(&from_csv).unwrap(),
        std::fs::read_to_string(&from_ndjson).unwrap(),
    );
    assert_eq!(a.lines().count(), 48);
    assert_eq!(a, b);
}

/// Bad CSV cells become error records naming the visits file's row and the field;
/// fee lines no visit takes become error records naming their file and row; the
/// other visits are audited. A CSV input without its fee lines is a usage error.
#[test]
fn csv_problems_are_reported_without_losing_the_rest() {
    let dir = out_dir("csv-bad");
    let visits = dir.join("visits.csv");
    let lines = dir.join("lines.csv");
    std::fs::write(
        &visits,
        "mdtrt_id,psn_no,brdy,med_type,begntime\n\
         V1,P1,1980-01-01,11,2026-10-01 08:00:00\n\
         V2,P2,1980-01-01,11,2026-10-01 08:00:00\n\
         V3,P3,1980-02-30,11,2026-10-01 08:00:00\n",
    )
    .unwrap();
    std::fs::write(
        &lines,
        "mdtrt_id,feedetl_sn,fee_ocur_time,med_list_codg,hilist_name,cnt,pric,det_item_fee_sumamt\n\
         V1,1,2026-10-01 09:00:00,X1,甲,1,5.00,5.00\n\
         V2,1,2026-10-01 09:00:00,X1,甲,abc,5.00,5.00\n\
         V9,1,2026-10-01 09:00:00,X1,甲,1,5.00,5.00\n",
    )
    .unwrap();
    let findings = dir.join("f.ndjson");
    let out = heng(&[
        "run",
        "stdlib-rules",
        "--input",
        visits.to_str().unwrap(),
        "--fee-lines",
        lines.to_str().unwrap(),
        "--findings",
        findings.to_str().unwrap(),
        "--summary",
        dir.join("s.json").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let errors = std::fs::read_to_string(dir.join("f.errors.ndjson")).unwrap();
    let errors: Vec<&str> = errors.lines().collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(
        errors[0].contains(r#""field":"feedetail[0].cnt""#) && errors[0].contains(r#""line":3"#),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].contains(r#""field":"brdy""#) && errors[1].contains(r#""line":4"#),
        "{}",
        errors[1]
    );
    assert!(
        errors[2].contains("no visit takes it") && errors[2].contains(r#""mdtrt_id":"V9""#),
        "{}",
        errors[2]
    );
    let s = summary(&dir.join("s.json"));
    assert_eq!(s["records_read"], 4);
    assert_eq!(s["records_evaluated"], 1);
    assert_eq!(s["records_rejected"], 3);

    let out = heng(&["run", "stdlib-rules", "--input", visits.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--fee-lines"));
}

/// The visits of an NDJSON file as the CSV files of records.md in `dir`: the
/// visits' scalar fields in visits.csv, each list in its own file joined on
/// mdtrt_id. Returns the `heng run` arguments naming them.
fn ndjson_to_csv(ndjson: &Path, dir: &Path) -> Vec<String> {
    let lists = [
        ("feedetail", "fee-lines", "--fee-lines"),
        ("diseinfo", "diagnoses", "--diagnoses"),
        ("oprninfo", "operations", "--operations"),
        ("orders", "orders", "--orders"),
    ];
    let visits: Vec<serde_json::Map<String, serde_json::Value>> = std::fs::read_to_string(ndjson)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let cell = |v: Option<&serde_json::Value>| match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    };
    let columns = |rows: &mut dyn Iterator<Item = &serde_json::Map<String, serde_json::Value>>| {
        let mut names: Vec<String> = Vec::new();
        for row in rows {
            for k in row.keys() {
                if !names.contains(k) && !lists.iter().any(|(l, ..)| l == k) {
                    names.push(k.clone());
                }
            }
        }
        names
    };
    let write = |name: &str, header: &[String], rows: Vec<Vec<String>>| {
        let mut w = csv::Writer::from_path(dir.join(format!("{name}.csv"))).unwrap();
        w.write_record(header).unwrap();
        for r in rows {
            w.write_record(&r).unwrap();
        }
        w.flush().unwrap();
    };
    let header = columns(&mut visits.iter());
    let rows = visits
        .iter()
        .map(|v| header.iter().map(|c| cell(v.get(c))).collect())
        .collect();
    write("visits", &header, rows);
    let mut args = vec![
        "--input".to_string(),
        dir.join("visits.csv").display().to_string(),
    ];
    for (list, name, flag) in lists {
        let children = |v: &serde_json::Map<String, serde_json::Value>| {
            v.get(list)
                .and_then(|l| l.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|r| r.as_object())
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        };
        let all: Vec<_> = visits.iter().flat_map(children).collect();
        let mut header = vec!["mdtrt_id".to_string()];
        header.extend(columns(&mut all.iter()));
        let rows = visits
            .iter()
            .flat_map(|v| {
                let id = cell(v.get("mdtrt_id"));
                let header = &header;
                children(v).into_iter().map(move |r| {
                    std::iter::once(id.clone())
                        .chain(header[1..].iter().map(|c| cell(r.get(c))))
                        .collect()
                })
            })
            .collect();
        write(name, &header, rows);
        args.extend([
            flag.to_string(),
            dir.join(format!("{name}.csv")).display().to_string(),
        ]);
    }
    args
}

/// A CSV batch larger than a worker's share (3,000 generated visits) gives byte
/// for byte the findings and the settlement (with DIP's two passes) of the same
/// visits as NDJSON: CSV runs as the NDJSON its rows make, so history rules and
/// accumulators see each patient's visits together.
#[test]
fn a_large_csv_batch_gives_the_findings_and_settlement_of_the_same_ndjson() {
    let dir = out_dir("csv-large");
    let batch = dir.join("batch.ndjson");
    let out = heng(&["gen", "--visits", "3000", "--out", batch.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv_args = ndjson_to_csv(&batch, &dir);
    let run = |input: &[String], name: &str| {
        let (findings, settled) = (dir.join(format!("{name}.f")), dir.join(format!("{name}.s")));
        let mut args: Vec<String> = ["run", "stdlib-rules", "--param", "dip_budget=1000000"]
            .map(String::from)
            .to_vec();
        args.extend(input.iter().cloned());
        args.extend([
            "--findings".into(),
            findings.display().to_string(),
            "--settlement".into(),
            settled.display().to_string(),
        ]);
        let out = heng(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            std::fs::read_to_string(findings).unwrap(),
            std::fs::read_to_string(settled).unwrap(),
        )
    };
    let from_csv = run(&csv_args, "csv");
    let from_ndjson = run(&["--input".into(), batch.display().to_string()], "ndjson");
    assert_eq!(from_csv.1.lines().count(), 3000);
    assert!(from_csv.0.contains(r#""rule":"freq_limit""#));
    assert!(from_csv == from_ndjson, "CSV and NDJSON differ");
}
