//! `heng run` as a user runs it: the sample batch, malformed input, determinism
//! across thread counts, strict mode, and the README's commands.
#![allow(clippy::unwrap_used)]

#[path = "support/heng.rs"]
mod heng_bin;
use heng_bin::{heng, root, summary};
#[path = "support/declarations_pack.rs"]
mod support;

use std::path::PathBuf;

fn out_dir(name: &str) -> PathBuf {
    heng_bin::out_dir("run", name)
}

#[test]
fn sample_batch_findings_are_exact() {
    let dir = out_dir("sample");
    let findings = dir.join("findings.ndjson");
    let sum = dir.join("summary.json");
    let out = heng(&[
        "run",
        "stdlib-rules",
        "--input",
        "examples/sample-batch.ndjson",
        "--findings",
        findings.to_str().unwrap(),
        "--summary",
        sum.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&sum);
    assert_eq!(s["records_read"], 119);
    assert_eq!(s["records_evaluated"], 119);
    assert_eq!(s["records_rejected"], 0);
    assert_eq!(s["eval_errors"], 0);
    // the sample's visits are in time order, not grouped by patient: the summary
    // says where that shows first
    assert_eq!(s["patients"], 30);
    assert_eq!(s["grouped_by_patient"], false);
    assert_eq!(
        s["not_grouped_at"],
        serde_json::json!({"line": 9, "psn_no": "P020", "first_line": 3})
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("records read 119: evaluated 119, rejected 0"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "patients 30; input not grouped by patient (P020 again on line 9, first on line 3"
        ),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\r'),
        "no progress bar when stderr is not a terminal"
    );
    let written = std::fs::read_to_string(&findings).unwrap();
    assert_eq!(
        findings_in_brief(&written),
        examples_readme_findings(),
        "the findings differ from the table in examples/README.md"
    );
    insta::assert_snapshot!("sample_batch_findings", written);
    assert_eq!(
        std::fs::read_to_string(dir.join("findings.errors.ndjson")).unwrap(),
        ""
    );
}

/// Findings as `mdtrt_id rule severity [feedetl_sn] amount`, in output order.
fn findings_in_brief(ndjson: &str) -> Vec<String> {
    ndjson
        .lines()
        .map(|l| {
            let f: serde_json::Value = serde_json::from_str(l).unwrap();
            let sns: Vec<&str> = f["feedetl_sn"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect();
            format!(
                "{} {} {} [{}] {}",
                f["mdtrt_id"].as_str().unwrap(),
                f["rule"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                sns.join(","),
                f["amount"].as_str().unwrap()
            )
        })
        .collect()
}

/// The expected findings that examples/README.md lists for the sample batch, per
/// visit in file order: cells like `` `rule` severity [sn,sn] **amount** ``.
fn examples_readme_findings() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("examples/README.md")).unwrap();
    let mut out = Vec::new();
    for row in text.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
        if cells.len() < 6 || !cells[1].starts_with("MD") {
            continue;
        }
        for finding in cells[5].split("<br>").filter(|c| c.starts_with('`')) {
            let (rule, rest) = finding[1..].split_once("` ").unwrap();
            let (severity, rest) = rest.split_once(" [").unwrap();
            let (sns, rest) = rest.split_once("] ").unwrap();
            let amount = rest.trim_matches('*');
            out.push(format!("{} {rule} {severity} [{sns}] {amount}", cells[1]));
        }
    }
    assert!(out.len() > 40, "the README table was not read: {out:?}");
    out
}

#[test]
fn malformed_records_are_rejected_without_losing_the_rest() {
    let dir = out_dir("malformed");
    let findings = dir.join("f.ndjson");
    let errors = dir.join("errors.ndjson");
    let sum = dir.join("s.json");
    let args = [
        "run",
        "stdlib-rules",
        "--input",
        "examples/malformed.ndjson",
        "--findings",
        findings.to_str().unwrap(),
        "--errors",
        errors.to_str().unwrap(),
        "--summary",
        sum.to_str().unwrap(),
    ];
    let out = heng(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&sum);
    let (read, evaluated, rejected) = (
        s["records_read"].as_u64().unwrap(),
        s["records_evaluated"].as_u64().unwrap(),
        s["records_rejected"].as_u64().unwrap(),
    );
    assert_eq!(read, evaluated + rejected);
    assert_eq!((read, evaluated, rejected), (10, 2, 8));
    insta::assert_snapshot!(
        "malformed_errors",
        std::fs::read_to_string(&errors).unwrap()
    );
    insta::assert_snapshot!(
        "malformed_findings",
        std::fs::read_to_string(&findings).unwrap()
    );

    let mut strict = args.to_vec();
    strict.push("--strict");
    assert_eq!(
        heng(&strict).status.code(),
        Some(3),
        "--strict exits 3 when records are rejected"
    );
}

#[test]
fn output_does_not_depend_on_thread_count() {
    let dir = out_dir("threads");
    let mut outputs = Vec::new();
    for threads in ["1", "2", "5"] {
        let f = dir.join(format!("f{threads}.ndjson"));
        let out = heng(&[
            "run",
            "stdlib-rules",
            "--input",
            "examples/sample-batch.ndjson",
            "--threads",
            threads,
            // the 360 KB sample in 23 blocks, so that every thread has work
            "--block-kib",
            "16",
            "--findings",
            f.to_str().unwrap(),
        ]);
        assert!(out.status.success());
        outputs.push(std::fs::read(&f).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
    assert!(!outputs[0].is_empty());
}

#[test]
fn native_and_interpreted_runs_write_identical_bytes() {
    let dir = out_dir("engines");
    // and a generated batch, where every rule of the pack finds something
    let generated = dir.join("generated.ndjson");
    let generate = heng(&[
        "gen",
        "--visits",
        "3000",
        "--seed",
        "7",
        "--out",
        generated.to_str().unwrap(),
    ]);
    assert!(
        generate.status.success(),
        "{}",
        String::from_utf8_lossy(&generate.stderr)
    );
    let generated = generated.to_str().unwrap();
    for input in [
        "examples/sample-batch.ndjson",
        "examples/malformed.ndjson",
        generated,
    ] {
        let mut outputs = Vec::new();
        for engine in ["jit", "interp"] {
            let f = dir.join(format!("{engine}.ndjson"));
            let e = dir.join(format!("{engine}.errors.ndjson"));
            let out = heng(&[
                "run",
                "stdlib-rules",
                "--input",
                input,
                "--engine",
                engine,
                "--findings",
                f.to_str().unwrap(),
                "--errors",
                e.to_str().unwrap(),
            ]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                !String::from_utf8_lossy(&out.stderr).contains("warning"),
                "every standard rule runs natively"
            );
            outputs.push((std::fs::read(&f).unwrap(), std::fs::read(&e).unwrap()));
        }
        assert_eq!(outputs[0], outputs[1], "{input}");
    }
}

#[test]
fn parameters_can_be_overridden_and_are_type_checked() {
    let dir = out_dir("params");
    let f = dir.join("f.ndjson");
    let out = heng(&[
        "run",
        "stdlib-rules",
        "--input",
        "examples/sample-batch.ndjson",
        "--param",
        "discharge_max_days=30",
        "--findings",
        f.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(
        !text.contains("discharge_overdose"),
        "no take-home supply in the sample exceeds 30 days"
    );

    let bad = heng(&[
        "run",
        "stdlib-rules",
        "--input",
        "examples/sample-batch.ndjson",
        "--param",
        "discharge_max_days=abc",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("H0051") && stderr.contains("discharge_max_days"),
        "{stderr}"
    );
}

/// Map parameters (keyed by tier, class, department code): heng.toml replaces
/// some keys and keeps the others, `--param` then replaces keys again; a bad key
/// is H0051 naming the parameter. Both engines give the same bytes.
#[test]
fn map_parameters_are_overridden_key_by_key() {
    let pack = support::declarations_pack("cli-run-map-params");
    std::fs::write(
        pack.join("keyed.heng"),
        r#"param 复核单价: Decimal by Int = {3: 1000, 2: 500, else: 200} "按医院等级的复核单价(元)"
param 计入比例: Decimal by VisitClass = {inpatient: 70%, else: 100%} "按就诊类别计入的比例"
param 科室等级: Severity by Code = {"A03": high} "按开单科室的严重程度"

rule keyed_price "高价项目复核(按等级)" {
  each line
  severity 科室等级(line.bilg_dept_codg otherwise "") otherwise low
  when line.pric > 复核单价(tier(visit))
  amount line.det_item_fee_sumamt * 计入比例(class(visit))
  message "{line.hilist_name} 单价 {line.pric} 超过 {复核单价(tier(visit))}"
}
"#,
    )
    .unwrap();
    std::fs::write(
        pack.join("heng.toml"),
        "[pack]\nname = \"keyed\"\n\n[params]\n\"复核单价\" = { 3 = 800, else = 100 }\n\"科室等级\" = { '\"else\"' = \"violation\" }\n",
    )
    .unwrap();
    let visit = |id: &str, lv: &str, med_type: &str, dept: &str| {
        format!(
            r#"{{"mdtrt_id":"{id}","psn_no":"P{id}","brdy":"1960-01-01","med_type":"{med_type}","hosp_lv":"{lv}","begntime":"2026-10-01T08:00:00","feedetail":[{{"feedetl_sn":"1","fee_ocur_time":"2026-10-01T09:00:00","med_list_codg":"C03061234567890123456","hilist_name":"吻合器","cnt":"1","pric":"600.00","det_item_fee_sumamt":"600.00","bilg_dept_codg":"{dept}"}}]}}"#
        )
    };
    let visits = [
        visit("T3", "01", "21", "A03"), // tier 3: 800 from heng.toml, 600 passes
        visit("T2", "05", "21", "A03"), // tier 2: 500 kept, inpatient 70%, high
        visit("T1", "08", "11", "B01"), // tier 1: else 100 from heng.toml, 100%, low
        visit("T0", "08", "11", "else"), // as T1, in a department coded "else"
        visit("TZ", "08", "11", "Z99"), // as T1, in a department without a key
    ];
    let dir = out_dir("map-params");
    let input = dir.join("visits.ndjson");
    std::fs::write(&input, visits.join("\n") + "\n").unwrap();
    let run = |engine: &str, params: &[&str]| {
        let f = dir.join(format!("f-{engine}-{}.ndjson", params.len()));
        let mut args = vec![
            "run",
            pack.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--engine",
            engine,
            "--findings",
            f.to_str().unwrap(),
        ];
        args.extend(params);
        let out = heng(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(&f).unwrap()
    };
    let found = |text: &str| -> Vec<(String, String, String)> {
        text.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let s = |k: &str| v[k].as_str().unwrap().to_owned();
                (s("mdtrt_id"), s("severity"), s("amount"))
            })
            .collect()
    };
    let toml_only = run("interp", &[]);
    assert_eq!(toml_only, run("jit", &[]));
    assert_eq!(
        found(&toml_only),
        [
            ("T2".into(), "high".into(), "420.00".into()),
            ("T1".into(), "low".into(), "600.00".into()),
            // heng.toml's '"else"' is the department code
            ("T0".into(), "violation".into(), "600.00".into()),
            ("TZ".into(), "low".into(), "600.00".into()),
        ]
    );
    assert!(toml_only.contains("超过 500"), "{toml_only}");

    // the command line replaces tier 2 and class inpatient, and adds a department
    let cli = [
        "--param",
        "复核单价=2: 50",
        "--param",
        "计入比例=inpatient: 50%",
        "--param",
        "科室等级=B01: violation",
        // a quoted `else` is the department code, not the default
        "--param",
        "科室等级=\"else\": high",
    ];
    let both = run("interp", &cli);
    assert_eq!(both, run("jit", &cli));
    assert_eq!(
        found(&both),
        [
            ("T2".into(), "high".into(), "300.00".into()),
            ("T1".into(), "violation".into(), "600.00".into()),
            ("T0".into(), "high".into(), "600.00".into()),
            // the map still has no default
            ("TZ".into(), "low".into(), "600.00".into()),
        ]
    );

    for bad in ["复核单价=二级: 50", "复核单价=2: 很多", "复核单价=2 50"] {
        let out = heng(&[
            "run",
            pack.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--param",
            bad,
        ]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("H0051") && stderr.contains("复核单价"),
            "{stderr}"
        );
    }
}

#[test]
fn missing_input_is_a_clear_usage_error() {
    let out = heng(&["run", "stdlib-rules", "--input", "no/such/file.ndjson"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read input no/such/file.ndjson"));
}

/// The README's two commands: the main job on the sample batch, and the test command CI runs.
#[test]
fn readme_commands_work() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let run_line = readme
        .lines()
        .find(|l| l.starts_with("cargo run --release -- run "))
        .expect("README shows the main job");
    assert!(
        readme.lines().any(|l| l == "cargo test --workspace"),
        "README shows the test command"
    );
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(
            |l| l == "cargo test --workspace" || l.starts_with("cargo test --workspace 2>&1 |")
        ),
        ".ci/run calls the README's test command"
    );

    // run the main job exactly as written, with the findings redirected to a temp file
    let dir = out_dir("readme");
    let mut args: Vec<String> = run_line
        .trim_start_matches("cargo run --release -- ")
        .split_whitespace()
        .map(String::from)
        .collect();
    let i = args.iter().position(|a| a == "--findings").unwrap();
    args[i + 1] = dir.join("findings.ndjson").to_string_lossy().into_owned();
    let out = heng(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("records read 119") && stderr.contains("total 48 findings"),
        "{stderr}"
    );
}

/// `--history FILE`: earlier visits count as history but are not audited. The
/// sample's P018 reaches the yearly limit of 促红素 with its second visit; with the
/// first visit moved to a history file, the second still carries the excess, and
/// without it, it does not.
#[test]
fn history_file_visits_count_as_history_but_are_not_audited() {
    let dir = out_dir("history");
    let sample = std::fs::read_to_string(root().join("examples/sample-batch.ndjson")).unwrap();
    let (earlier, rest): (Vec<&str>, Vec<&str>) = sample
        .lines()
        .partition(|l| l.contains("\"MD20261006051\""));
    assert_eq!(earlier.len(), 1);
    let (history, input) = (dir.join("history.ndjson"), dir.join("input.ndjson"));
    std::fs::write(&history, earlier.join("\n") + "\n").unwrap();
    std::fs::write(&input, rest.join("\n") + "\n").unwrap();
    let run = |with_history: bool| {
        let out = dir.join(format!("f-{with_history}.ndjson"));
        let mut args = vec![
            "run",
            "stdlib-rules",
            "--input",
            input.to_str().unwrap(),
            "--findings",
            out.to_str().unwrap(),
        ];
        if with_history {
            args.extend(["--history", history.to_str().unwrap()]);
        }
        let o = heng(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        findings_in_brief(&std::fs::read_to_string(out).unwrap())
    };
    let limit = "MD20261020052 amount_limit_year violation [2] 600.00".to_string();
    let with = run(true);
    assert!(with.contains(&limit), "{with:?}");
    assert!(!with.iter().any(|f| f.starts_with("MD20261006051")));
    assert_eq!(
        with,
        examples_readme_findings(),
        "as if the visit were in the batch"
    );
    let without = run(false);
    assert!(!without.contains(&limit));
    assert_eq!(without.len(), with.len() - 1);
}

/// A batch not grouped by patient is grouped before history rules see it, and its
/// findings and errors come out in input order: the same bytes whatever the block
/// size, the memory budget (a 1-byte budget spills every visit) and the threads.
#[test]
fn ungrouped_input_is_grouped_first_and_written_in_input_order() {
    let dir = out_dir("regroup");
    let mut text = std::fs::read_to_string(root().join("examples/sample-batch.ndjson")).unwrap();
    text.push_str(&std::fs::read_to_string(root().join("examples/malformed.ndjson")).unwrap());
    let input = dir.join("mixed.ndjson");
    std::fs::write(&input, &text).unwrap();
    let mut outputs = Vec::new();
    for (name, extra) in [
        ("default", vec![]),
        (
            "tiny",
            vec!["--block-kib", "1", "--memory-budget", "1", "--threads", "3"],
        ),
        ("one", vec!["--threads", "1"]),
    ] {
        let (f, e, s) = (
            dir.join(format!("{name}.ndjson")),
            dir.join(format!("{name}.errors.ndjson")),
            dir.join(format!("{name}.json")),
        );
        let mut args = vec![
            "run",
            "stdlib-rules",
            "--input",
            input.to_str().unwrap(),
            "--findings",
            f.to_str().unwrap(),
            "--summary",
            s.to_str().unwrap(),
            "--scratch",
            dir.to_str().unwrap(),
        ];
        args.extend(extra);
        let o = heng(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let sum = summary(&s);
        assert_eq!(sum["records_read"], 129);
        assert_eq!(sum["records_rejected"], 8);
        assert_eq!(sum["regrouped"], true);
        outputs.push((
            std::fs::read_to_string(f).unwrap(),
            std::fs::read_to_string(e).unwrap(),
        ));
    }
    let (findings, errors) = &outputs[0];
    assert!(outputs.iter().all(|o| o == &outputs[0]));
    let lines: Vec<u64> = errors
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["line"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(
        lines,
        vec![121, 122, 123, 124, 125, 126, 127, 128],
        "input order"
    );
    assert_eq!(
        findings_in_brief(findings)[..48],
        examples_readme_findings()[..],
        "the sample's findings first, as the README lists them"
    );
    // no scratch files are left behind
    assert_no_scratch_left(&dir);
}

/// Nothing a run made in the scratch folder `dir` (its `heng-…` folders) is left.
fn assert_no_scratch_left(dir: &std::path::Path) {
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("heng-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Input from a pipe is read once, into the scratch folder: the sample batch
/// (not grouped by patient, so read twice) gives through a pipe exactly what it
/// gives as a file, findings and settlement alike.
#[test]
fn piped_input_gives_what_the_file_gives() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = out_dir("piped");
    let sample = root().join("examples/sample-batch.ndjson");
    let run = |input: &str, name: &str, stdin: Stdio| {
        let (f, s) = (
            dir.join(format!("{name}.ndjson")),
            dir.join(format!("{name}.settled.ndjson")),
        );
        let child = Command::new(env!("CARGO_BIN_EXE_heng"))
            .current_dir(root())
            .env("HENG_LANG", "en")
            .args(["run", "stdlib-rules", "--input", input, "--findings"])
            .arg(&f)
            .arg("--settlement")
            .arg(&s)
            .arg("--scratch")
            .arg(&dir)
            .stdin(stdin)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        (child, f, s)
    };
    let (file_run, f1, s1) = run(sample.to_str().unwrap(), "file", Stdio::null());
    assert!(file_run.wait_with_output().unwrap().status.success());
    let (mut pipe_run, f2, s2) = run("/dev/stdin", "pipe", Stdio::piped());
    let mut stdin = pipe_run.stdin.take().unwrap();
    stdin.write_all(&std::fs::read(&sample).unwrap()).unwrap();
    drop(stdin);
    let out = pipe_run.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let findings = std::fs::read(&f1).unwrap();
    assert_eq!(findings.iter().filter(|&&b| b == b'\n').count(), 48);
    assert_eq!(std::fs::read(&f2).unwrap(), findings);
    assert_eq!(std::fs::read(&s2).unwrap(), std::fs::read(&s1).unwrap());
    // the copy went with the run
    assert_no_scratch_left(&dir);
}
