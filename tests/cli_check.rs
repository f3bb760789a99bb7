//! The real `heng` binary on packs: `check` reports errors from every file (exit 2)
//! and passes the standard pack (exit 0); `explain-error` knows the codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SCHEMA: &str = include_str!("../stdlib-rules/schema.heng");
const FUNCTIONS: &str = include_str!("../stdlib-rules/functions.heng");
const TABLES: &str = include_str!("../stdlib-rules/tables.heng");
const PARAMS: &str = include_str!("../stdlib-rules/params.heng");

/// One syntax error (a missing `=`), one type error (Text compared with Int) and one
/// unknown name, each in its own file.
const BROKEN: [(&str, &str); 3] = [
    (
        "rules/a_syntax.heng",
        r#"rule syntax_error "限儿童使用" code "GZ10000101007000" {
  each line
  severity violation
  let limit item_limits.prefix(line.med_list_codg)
  message "{line.hilist_name}"
}
"#,
    ),
    (
        "rules/b_type.heng",
        r#"rule type_error "名称有误" code "GZ10000102001000" {
  each line
  severity low
  when line.hilist_name == 14
  message "{line.hilist_name}"
}
"#,
    ),
    (
        "rules/c_name.heng",
        r#"rule name_error "出院带药超量" code "GZ10000101009000" {
  each line
  severity violation
  when line.prd_days is some(days) and days > discharge_max_day
  message "{line.hilist_name} 出院带药 {days} 天"
}
"#,
    ),
];

fn heng(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_heng"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run heng")
}

/// A pack with the standard declarations and tables and the three broken rules.
fn broken_pack() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("heng-cli-check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let stdlib = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stdlib-rules");
    let write = |path: &str, text: &str| {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("create folder");
        std::fs::write(p, text).expect("write");
    };
    write("heng.toml", "[pack]\nname = \"broken\"\n");
    write("schema.heng", SCHEMA);
    write("functions.heng", FUNCTIONS);
    write("tables.heng", TABLES);
    write("params.heng", PARAMS);
    for (path, text) in BROKEN {
        write(path, text);
    }
    std::fs::create_dir_all(dir.join("tables")).expect("tables folder");
    for entry in std::fs::read_dir(stdlib.join("tables")).expect("stdlib tables") {
        let p = entry.expect("entry").path();
        if p.extension().is_some_and(|e| e == "csv") {
            std::fs::copy(&p, dir.join("tables").join(p.file_name().expect("name")))
                .expect("copy table");
        }
    }
    dir
}

#[test]
fn check_reports_errors_in_every_file() {
    let dir = broken_pack();
    let shown = dir.display().to_string();
    let out = heng(&["check", &shown, "--format", "json", "--lang", "en"]);
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    let stdout = stdout
        .replace(&format!("{shown}{}", std::path::MAIN_SEPARATOR), "")
        .replace(&shown, "<pack>");
    for (file, code) in [
        ("rules/a_syntax.heng", "H0003"),
        ("rules/b_type.heng", "H0024"),
        ("rules/c_name.heng", "H0011"),
    ] {
        let json: serde_json::Value = serde_json::from_str(&stdout).expect("json output");
        let found = json
            .as_array()
            .expect("array")
            .iter()
            .any(|d| d.to_string().contains(file) && d["code"].as_str() == Some(code));
        assert!(found, "{code} in {file} not reported:\n{stdout}");
    }
    insta::assert_snapshot!(stdout);
}

#[test]
fn check_passes_the_standard_pack() {
    let stdlib = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stdlib-rules");
    let out = heng(&["check", &stdlib.display().to_string(), "--lang", "en"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn explain_error_prints_the_explanation() {
    let out = heng(&["explain-error", "H0012", "--lang", "en"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    assert!(stdout.starts_with("H0012: unknown field"), "{stdout}");
    assert!(stdout.contains("hilist_name"), "{stdout}");
}

#[test]
fn explain_error_of_unknown_code_fails() {
    let out = heng(&["explain-error", "H9999", "--lang", "en"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert!(stderr.contains("H9999"), "{stderr}");
}
