//! Pack-level diagnostics as an analyst meets them: a small pack in a temporary
//! folder with one thing broken (a table cell, a CSV header, heng.toml, a parameter
//! override), snapshotted as the Chinese and English terminal rendering.

#[path = "../../compiler/tests/support/assert_reported.rs"]
mod assert_reported;

use heng_compiler::diagnostic::{Lang, render};
use heng_runtime::pack::load;
use std::path::{Path, PathBuf};

const SCHEMA: &str = include_str!("../../stdlib-rules/schema.heng");

const TABLES: &str = r#"enum Grade "收费等级" {
  a "甲类"
  b "乙类"
}

table limits "限定支付范围" key code {
  code: Code      "医保目录编码"
  age_max: Int?   "最大年龄(岁)"
  grade: Grade?   "收费等级"
}
"#;

const PARAMS: &str = r#"param discharge_max_days: Int = 7 "出院带药最多天数"
"#;

const RULE: &str = r#"rule age_limit "限年龄使用" code "GZ10000101007000" {
  each line
  severity violation
  when limits.prefix(line.med_list_codg) is some(limit)
    and limit.age_max is some(max)
    and line.prd_days is some(days) and days > discharge_max_days + max
  message "{line.hilist_name} 限 {max} 岁使用,等级 {limit.grade otherwise a}"
}
"#;

const MANIFEST: &str = r#"[pack]
name = "example"
version = "0.1.0"
"#;

const LIMITS_CSV: &str = "code,age_max,grade\nXA01,6,a\nXB02,,b\n";

/// A pack folder under the temporary directory, removed when dropped.
struct TempPack {
    dir: PathBuf,
}

impl TempPack {
    /// A valid pack named after the test; `files` then replace or add files
    /// (path relative to the pack, contents); `None` contents delete the file.
    fn new(test: &str, files: &[(&str, Option<&str>)]) -> TempPack {
        let dir =
            std::env::temp_dir().join(format!("heng-pack-diag-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let pack = TempPack { dir };
        let defaults = [
            ("heng.toml", MANIFEST),
            ("schema.heng", SCHEMA),
            ("tables.heng", TABLES),
            ("params.heng", PARAMS),
            ("rules/age_limit.heng", RULE),
            ("tables/limits.csv", LIMITS_CSV),
        ];
        for (path, text) in defaults {
            pack.write(path, text);
        }
        for (path, text) in files {
            match text {
                Some(t) => pack.write(path, t),
                None => std::fs::remove_file(pack.dir.join(path)).expect("file to delete"),
            }
        }
        pack
    }

    fn write(&self, path: &str, text: &str) {
        let p = self.dir.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("create folder");
        std::fs::write(p, text).expect("write file");
    }

    /// Loads the pack with `overrides` and renders its diagnostics in both languages,
    /// paths shown relative to the pack folder. Returns the codes and the text.
    fn report(&self, overrides: &[(&str, &str)]) -> (Vec<&'static str>, String) {
        let overrides: Vec<(String, String)> = overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let loaded = load(&self.dir, &overrides);
        let codes = loaded.diagnostics.iter().map(|d| d.code).collect();
        let zh = render::terminal(&loaded.diagnostics, &loaded.sources, Lang::Zh, false);
        let en = render::terminal(&loaded.diagnostics, &loaded.sources, Lang::En, false);
        let out = format!("----- 中文 -----\n{zh}\n----- English -----\n{en}");
        (codes, strip(&out, &self.dir))
    }
}

impl Drop for TempPack {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The rendered text with the pack folder's prefix removed from every path.
fn strip(text: &str, dir: &Path) -> String {
    let dir = dir.display().to_string();
    text.replace(&format!("{dir}{}", std::path::MAIN_SEPARATOR), "")
        .replace(&dir, "<pack>")
}

/// `assert_pack_diagnostic!(CODE, pack, overrides)`: asserts `CODE` is reported and
/// snapshots the rendering under the test's name.
macro_rules! assert_pack_diagnostic {
    ($code:literal, $pack:expr, $overrides:expr) => {
        crate::assert_reported!($code, $pack.report($overrides))
    };
}

#[test]
fn the_example_pack_loads_clean() {
    let pack = TempPack::new("clean", &[]);
    let (codes, out) = pack.report(&[]);
    assert!(codes.is_empty(), "{out}");
}

#[test]
fn table_int_cell_written_in_chinese() {
    let pack = TempPack::new(
        "bad_int",
        &[(
            "tables/limits.csv",
            Some("code,age_max,grade\nXA01,六,a\nXB02,,b\n"),
        )],
    );
    assert_pack_diagnostic!("H0062", pack, &[]);
}

#[test]
fn table_unknown_enum_value() {
    let pack = TempPack::new(
        "bad_enum",
        &[(
            "tables/limits.csv",
            Some("code,age_max,grade\nXA01,6,丙类\nXB02,,b\n"),
        )],
    );
    assert_pack_diagnostic!("H0064", pack, &[]);
}

#[test]
fn table_duplicate_key() {
    let pack = TempPack::new(
        "dup_key",
        &[(
            "tables/limits.csv",
            Some("code,age_max,grade\nXA01,6,a\nXB02,,b\nXA01,12,b\n"),
        )],
    );
    assert_pack_diagnostic!("H0063", pack, &[]);
}

#[test]
fn table_key_column_missing_from_header() {
    let pack = TempPack::new(
        "missing_column",
        &[(
            "tables/limits.csv",
            Some("med_list_codg,age_max,grade\nXA01,6,a\nXB02,,b\n"),
        )],
    );
    assert_pack_diagnostic!("H0061", pack, &[]);
}

/// A misspelt header of an optional column would silently lift its restriction
/// (`agemax` for `age_max`: every row without an age limit), so it is an error that
/// names the close column.
#[test]
fn misspelt_optional_column() {
    let pack = TempPack::new(
        "misspelt_optional",
        &[(
            "tables/limits.csv",
            Some("code,agemax,grade\nXA01,6,a\nXB02,,b\n"),
        )],
    );
    assert_pack_diagnostic!("H0061", pack, &[]);
}

#[test]
fn table_row_with_an_extra_cell() {
    let pack = TempPack::new(
        "extra_cell",
        &[(
            "tables/limits.csv",
            Some("code,age_max,grade\nXA01,6,a,J18\nXB02,,b\n"),
        )],
    );
    assert_pack_diagnostic!("H0065", pack, &[]);
}

#[test]
fn table_file_missing() {
    let pack = TempPack::new("missing_table", &[("tables/limits.csv", None)]);
    assert_pack_diagnostic!("H0060", pack, &[]);
}

#[test]
fn manifest_is_not_toml() {
    let pack = TempPack::new(
        "bad_toml",
        &[(
            "heng.toml",
            Some("[pack]\nname = \"example\"\n\n[params]\ndischarge_max_days: 14\n"),
        )],
    );
    assert_pack_diagnostic!("H0050", pack, &[]);
}

#[test]
fn manifest_overrides_an_unknown_param() {
    let pack = TempPack::new(
        "unknown_param",
        &[(
            "heng.toml",
            Some("[pack]\nname = \"example\"\n\n[params]\ndischarge_max_day = 14\n"),
        )],
    );
    assert_pack_diagnostic!("H0051", pack, &[]);
}

#[test]
fn manifest_override_of_wrong_type() {
    let pack = TempPack::new(
        "wrong_type",
        &[(
            "heng.toml",
            Some("[pack]\nname = \"example\"\n\n[params]\ndischarge_max_days = \"十四天\"\n"),
        )],
    );
    assert_pack_diagnostic!("H0051", pack, &[]);
}

#[test]
fn command_line_override_not_a_number() {
    let pack = TempPack::new("cli_override", &[]);
    assert_pack_diagnostic!("H0051", pack, &[("discharge_max_days", "abc")]);
}

#[test]
fn command_line_override_of_unknown_param() {
    let pack = TempPack::new("cli_unknown", &[]);
    assert_pack_diagnostic!("H0051", pack, &[("max_days", "10")]);
}

const KEYED: &str = r#"param 年龄上限: Int by Grade = {a: 6, else: 14} "按收费等级的年龄上限"
"#;

#[test]
fn manifest_map_override_with_an_unknown_key() {
    let manifest = format!("{MANIFEST}\n[params]\n\"年龄上限\" = {{ a = 8, c = 10 }}\n");
    let pack = TempPack::new(
        "map_override",
        &[("keyed.heng", Some(KEYED)), ("heng.toml", Some(&manifest))],
    );
    assert_pack_diagnostic!("H0051", pack, &[]);
}

#[test]
fn manifest_table_for_a_plain_param() {
    let manifest = format!("{MANIFEST}\n[params]\ndischarge_max_days = {{ a = 8 }}\n");
    let pack = TempPack::new("table_for_plain", &[("heng.toml", Some(&manifest))]);
    assert_pack_diagnostic!("H0051", pack, &[]);
}

#[test]
fn pack_folder_without_manifest() {
    let pack = TempPack::new("no_manifest", &[("heng.toml", None)]);
    assert_pack_diagnostic!("H0070", pack, &[]);
}
