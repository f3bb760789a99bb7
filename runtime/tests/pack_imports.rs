//! Pack imports (`[pack] imports` in heng.toml): a city pack builds on a base pack
//! in a temporary folder, overriding its parameters, tables and rules; what goes
//! wrong (a missing import, a cycle, clashing rule ids) is a diagnostic, whose
//! Chinese and English renderings are snapshotted. The last test builds a city pack
//! as `examples/<name>/` beside a copy of the standard pack and runs the `heng`
//! command on it.

#[path = "../../compiler/tests/support/assert_reported.rs"]
mod assert_reported;

use heng_compiler::diagnostic::{Lang, render};
use heng_runtime::audit::{Sinks, run_batch};
use heng_runtime::engine::Interpreter;
use heng_runtime::input::check_schema;
use heng_runtime::pack::{Loaded, load};
use std::path::{Path, PathBuf};
use std::process::Command;

const SCHEMA: &str = include_str!("../../stdlib-rules/schema.heng");

const BASE_MANIFEST: &str = r#"[pack]
name = "base"

[params]
price_max = 200
"#;

const BASE_DECLS: &str = r#"table limits "限定支付范围" key code {
  code: Code      "医保目录编码"
  age_max: Int?   "最大年龄(岁)"
}

param price_max: Decimal = 100 "单价上限(元)"

fn costly "单价超过上限" (l: FeeLine) -> Bool = l.pric > price_max
"#;

const BASE_RULES: &str = r#"rule over_price "超单价上限" {
  each line
  severity high
  when costly(line)
  message "{line.hilist_name} 单价 {line.pric} 超过 {price_max}"
}

rule age_cap "限年龄" {
  each line
  severity low
  when limits.prefix(line.med_list_codg) is some(l) and l.age_max is some(max)
  message "{line.hilist_name} 限 {max} 岁"
}

rule visit_note "就诊提示" {
  each visit
  severity low
  message "base {visit.mdtrt_id}"
}

rule noisy "噪声规则" {
  each visit
  severity low
  message "noisy {visit.mdtrt_id}"
}
"#;

const CITY_MANIFEST: &str = r#"[pack]
name = "city"
imports = ["../base"]

[params]
price_max = 300

[rules]
disable = ["noisy"]
"#;

const CITY_RULES: &str = r#"rule visit_note "就诊提示(本市)" {
  each visit
  severity high
  message "city {visit.mdtrt_id}"
}

rule double_price "两倍单价超过上限" {
  each line
  severity low
  when line.pric * 2 > price_max and not costly(line)
  message "{line.hilist_name} 两倍单价超过 {price_max}"
}
"#;

/// One visit with one line: code XA0123 (a prefix of XA01 in `limits`), 250.00.
const VISIT: &str = r#"{"mdtrt_id":"V1","psn_no":"P1","brdy":"1980-01-01","med_type":"11","begntime":"2026-10-01T08:00:00","feedetail":[{"feedetl_sn":"1","fee_ocur_time":"2026-10-01T09:00:00","med_list_codg":"XA0123","hilist_name":"药甲","cnt":"1","pric":"250.00","det_item_fee_sumamt":"250.00"}]}
"#;

/// A temporary folder holding packs (`base/`, `city/`, …), removed when dropped.
struct Folder {
    root: PathBuf,
}

impl Folder {
    /// The base and city packs above, then `files` (path, contents) replacing or
    /// adding files; `None` contents delete the file.
    fn new(test: &str, files: &[(&str, Option<&str>)]) -> Folder {
        let root =
            std::env::temp_dir().join(format!("heng-pack-imports-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let folder = Folder { root };
        let defaults = [
            ("base/heng.toml", BASE_MANIFEST),
            ("base/schema.heng", SCHEMA),
            ("base/decls.heng", BASE_DECLS),
            ("base/rules.heng", BASE_RULES),
            ("base/tables/limits.csv", "code,age_max\nXA01,6\n"),
            ("city/heng.toml", CITY_MANIFEST),
            ("city/rules.heng", CITY_RULES),
            ("city/tables/limits.csv", "code,age_max\nXA01,12\n"),
        ];
        for (path, text) in defaults {
            folder.write(path, text);
        }
        for (path, text) in files {
            match text {
                Some(t) => folder.write(path, t),
                None => std::fs::remove_file(folder.root.join(path)).expect("file to delete"),
            }
        }
        folder
    }

    fn write(&self, path: &str, text: &str) {
        let p = self.root.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("create folder");
        std::fs::write(p, text).expect("write file");
    }

    fn load(&self, pack: &str, overrides: &[(&str, &str)]) -> Loaded {
        let overrides: Vec<(String, String)> = overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        load(&self.root.join(pack), &overrides)
    }

    /// The codes of loading `pack` and its diagnostics in both languages, paths
    /// shown relative to the temporary folder.
    fn report(&self, pack: &str) -> (Vec<&'static str>, String) {
        let loaded = self.load(pack, &[]);
        let codes = loaded.diagnostics.iter().map(|d| d.code).collect();
        let zh = render::terminal(&loaded.diagnostics, &loaded.sources, Lang::Zh, false);
        let en = render::terminal(&loaded.diagnostics, &loaded.sources, Lang::En, false);
        let out = format!("----- 中文 -----\n{zh}\n----- English -----\n{en}");
        let root = self.root.display().to_string();
        let out = out
            .replace(&format!("{root}{}", std::path::MAIN_SEPARATOR), "")
            .replace(&root, "<tmp>");
        (codes, out)
    }

    /// `(rule, message)` of every finding `pack` gives for [`VISIT`], sorted.
    fn findings(&self, pack: &str, overrides: &[(&str, &str)]) -> Vec<(String, String)> {
        let loaded = self.load(pack, overrides);
        let errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        let pack = loaded.pack.as_ref().expect("the pack loads");
        let schema = check_schema(&pack.program).expect("schema");
        let (mut found, mut errors) = (Vec::new(), Vec::new());
        let mut sinks = Sinks {
            findings: &mut found,
            errors: &mut errors,
            lang: Lang::En,
            progress: &mut |_| {},
            settlement: None,
        };
        let engine = Interpreter::new(pack);
        run_batch(
            pack,
            &engine,
            &schema,
            &loaded.sources,
            VISIT.as_bytes(),
            1,
            &mut sinks,
        )
        .expect("run");
        assert!(errors.is_empty(), "{}", String::from_utf8_lossy(&errors));
        let mut out: Vec<(String, String)> = String::from_utf8_lossy(&found)
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("a finding");
                (
                    v["rule"].as_str().unwrap_or("").to_string(),
                    v["message"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        out.sort();
        out
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    v.sort();
    v
}

/// `assert_imports_diagnostic!(CODE, folder, pack)`: `CODE` is reported when
/// loading `pack`; the rendering is snapshotted under the test's name.
macro_rules! assert_imports_diagnostic {
    ($code:literal, $folder:expr, $pack:literal) => {
        crate::assert_reported!($code, $folder.report($pack))
    };
}

#[test]
fn the_base_pack_alone_uses_its_own_manifest_and_tables() {
    let folder = Folder::new("base_alone", &[]);
    assert_eq!(
        folder.findings("base", &[]),
        pairs(&[
            ("age_cap", "药甲 限 6 岁"),
            ("noisy", "noisy V1"),
            ("over_price", "药甲 单价 250.00 超过 200"),
            ("visit_note", "base V1"),
        ])
    );
}

/// The city's heng.toml beats the base's (price_max 300, not 200), its CSV replaces
/// the base's table (12, not 6), `noisy` is disabled, its `visit_note` replaces the
/// base's, and its own rule uses the base's function, table and parameter.
#[test]
fn a_city_pack_overrides_what_it_imports() {
    let folder = Folder::new("city", &[]);
    let loaded = folder.load("city", &[]);
    let (codes, out) = folder.report("city");
    assert!(codes.is_empty(), "{out}");
    let pack = loaded.pack.expect("the city pack loads");
    assert_eq!(pack.name, "city");
    let ids: Vec<&str> = pack.program.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "over_price",
            "age_cap",
            "noisy",
            "visit_note",
            "double_price"
        ],
        "imported rules first, the replaced one left out"
    );
    assert_eq!(pack.imported_rules, ["over_price", "age_cap", "noisy"]);
    assert_eq!(pack.disabled, ["noisy"]);
    assert_eq!(
        folder.findings("city", &[]),
        pairs(&[
            ("age_cap", "药甲 限 12 岁"),
            ("double_price", "药甲 两倍单价超过 300"),
            ("visit_note", "city V1"),
        ])
    );
}

#[test]
fn the_command_line_beats_every_manifest() {
    let folder = Folder::new("cli_param", &[]);
    assert_eq!(
        folder.findings("city", &[("price_max", "240")]),
        pairs(&[
            ("age_cap", "药甲 限 12 岁"),
            ("over_price", "药甲 单价 250.00 超过 240"),
            ("visit_note", "city V1"),
        ])
    );
}

/// The base's heng.toml still applies when the city leaves a parameter alone, and
/// its table is read from the base when the city has no CSV of its own.
#[test]
fn what_the_city_does_not_override_comes_from_the_base() {
    let folder = Folder::new(
        "no_override",
        &[
            (
                "city/heng.toml",
                Some("[pack]\nname = \"city\"\nimports = [\"../base\"]\n"),
            ),
            ("city/tables/limits.csv", None),
        ],
    );
    assert_eq!(
        folder.findings("city", &[]),
        pairs(&[
            ("age_cap", "药甲 限 6 岁"),
            ("noisy", "noisy V1"),
            ("over_price", "药甲 单价 250.00 超过 200"),
            ("visit_note", "city V1"),
        ])
    );
}

/// city → mid → base: each pack's heng.toml beats those of the packs it imports, a
/// table comes from the nearest pack that has a CSV for it, and the city's rule
/// replaces mid's, which replaced base's.
#[test]
fn imports_are_transitive() {
    let folder = Folder::new(
        "transitive",
        &[
            (
                "mid/heng.toml",
                Some(
                    "[pack]\nname = \"mid\"\nimports = [\"../base\"]\n\n[params]\nprice_max = 220\n\n[rules]\ndisable = [\"noisy\"]\n",
                ),
            ),
            (
                "mid/rules.heng",
                Some(
                    "rule visit_note \"就诊提示(省)\" {\n  each visit\n  severity low\n  message \"mid {visit.mdtrt_id}\"\n}\n",
                ),
            ),
            ("mid/tables/limits.csv", Some("code,age_max\nXA01,9\n")),
            (
                "city/heng.toml",
                Some("[pack]\nname = \"city\"\nimports = [\"../mid\"]\n"),
            ),
            ("city/tables/limits.csv", None),
        ],
    );
    assert_eq!(
        folder.findings("mid", &[]),
        pairs(&[
            ("age_cap", "药甲 限 9 岁"),
            ("over_price", "药甲 单价 250.00 超过 220"),
            ("visit_note", "mid V1"),
        ])
    );
    assert_eq!(
        folder.findings("city", &[]),
        pairs(&[
            ("age_cap", "药甲 限 9 岁"),
            ("over_price", "药甲 单价 250.00 超过 220"),
            ("visit_note", "city V1"),
        ])
    );
}

/// city imports `a` and `b`, both importing base: base is loaded once.
#[test]
fn a_pack_imported_twice_is_loaded_once() {
    let folder = Folder::new(
        "diamond",
        &[
            (
                "a/heng.toml",
                Some("[pack]\nname = \"a\"\nimports = [\"../base\"]\n"),
            ),
            (
                "b/heng.toml",
                Some("[pack]\nname = \"b\"\nimports = [\"../base/\", \"../a\"]\n"),
            ),
            (
                "city/heng.toml",
                Some("[pack]\nname = \"city\"\nimports = [\"../a\", \"../b\"]\n"),
            ),
        ],
    );
    let (codes, out) = folder.report("city");
    assert!(codes.is_empty(), "{out}");
    assert_eq!(
        folder.findings("city", &[]),
        pairs(&[
            ("age_cap", "药甲 限 12 岁"),
            ("noisy", "noisy V1"),
            ("over_price", "药甲 单价 250.00 超过 200"),
            ("visit_note", "city V1"),
        ])
    );
}

#[test]
fn a_city_disables_an_unknown_rule() {
    let folder = Folder::new(
        "disable_unknown",
        &[(
            "city/heng.toml",
            Some(
                "[pack]\nname = \"city\"\nimports = [\"../base\"]\n\n[rules]\ndisable = [\"nosy\"]\n",
            ),
        )],
    );
    assert_imports_diagnostic!("H0050", folder, "city");
}

/// The city overrides a parameter of the base with a value of the wrong type: the
/// diagnostic points at the city's heng.toml and the declaration in the base.
#[test]
fn a_city_overrides_a_base_parameter_with_a_wrong_value() {
    let folder = Folder::new(
        "wrong_param",
        &[(
            "city/heng.toml",
            Some(
                "[pack]\nname = \"city\"\nimports = [\"../base\"]\n\n[params]\nprice_max = \"很多\"\n",
            ),
        )],
    );
    assert_imports_diagnostic!("H0051", folder, "city");
}

/// `import =` for `imports =`: a misspelt key under `[pack]` is an error, not
/// silently ignored (the city's rules would otherwise fail with unknown names).
#[test]
fn a_misspelt_pack_key() {
    let folder = Folder::new(
        "misspelt",
        &[(
            "city/heng.toml",
            Some("[pack]\nname = \"city\"\nimport = [\"../base\"]\n"),
        )],
    );
    assert_imports_diagnostic!("H0050", folder, "city");
}

#[test]
fn a_missing_import() {
    let folder = Folder::new(
        "missing",
        &[(
            "city/heng.toml",
            Some("[pack]\nname = \"city\"\nimports = [\"../base\", \"../bsae\"]\n"),
        )],
    );
    assert_imports_diagnostic!("H0070", folder, "city");
}

#[test]
fn an_import_without_heng_toml() {
    let folder = Folder::new(
        "no_manifest",
        &[
            ("base/heng.toml", None),
            (
                "city/heng.toml",
                Some("[pack]\nname = \"city\"\nimports = [\"../base\"]\n"),
            ),
        ],
    );
    assert_imports_diagnostic!("H0070", folder, "city");
}

#[test]
fn an_import_cycle() {
    let folder = Folder::new(
        "cycle",
        &[(
            "base/heng.toml",
            Some("[pack]\nname = \"base\"\nimports = [\"../city\"]\n"),
        )],
    );
    assert_imports_diagnostic!("H0071", folder, "city");
}

/// Within one pack a rule id twice is still an error, imported or not.
#[test]
fn the_same_rule_id_twice_in_the_city_pack() {
    let folder = Folder::new(
        "dup_in_city",
        &[(
            "city/more.heng",
            Some(
                "rule visit_note \"又一个\" {\n  each visit\n  severity low\n  message \"again\"\n}\n",
            ),
        )],
    );
    let (codes, out) = folder.report("city");
    assert_eq!(codes, ["H0010"], "{out}");
}

/// Two imported packs, neither importing the other, define the same rule id: which
/// one applies is unclear, an error; unless the importing pack replaces it too.
#[test]
fn the_same_rule_id_in_two_imported_packs() {
    let other_rule =
        "rule visit_note \"别的提示\" {\n  each visit\n  severity low\n  message \"other\"\n}\n";
    let folder = Folder::new(
        "dup_siblings",
        &[
            ("other/heng.toml", Some("[pack]\nname = \"other\"\n")),
            ("other/rules.heng", Some(other_rule)),
            (
                "city/heng.toml",
                Some("[pack]\nname = \"city\"\nimports = [\"../base\", \"../other\"]\n"),
            ),
            ("city/rules.heng", Some("")),
        ],
    );
    assert_imports_diagnostic!("H0010", folder, "city");
    folder.write("city/rules.heng", CITY_RULES);
    let (codes, out) = folder.report("city");
    assert!(codes.is_empty(), "{out}");
}

/// A sub-folder with its own heng.toml is a pack of its own: importing it does
/// not read its files twice.
#[test]
fn a_pack_imports_a_pack_in_its_own_folder() {
    let folder = Folder::new(
        "nested",
        &[
            ("city/base/heng.toml", Some(BASE_MANIFEST)),
            ("city/base/schema.heng", Some(SCHEMA)),
            ("city/base/decls.heng", Some(BASE_DECLS)),
            ("city/base/rules.heng", Some(BASE_RULES)),
            (
                "city/base/tables/limits.csv",
                Some("code,age_max\nXA01,6\n"),
            ),
            (
                "city/heng.toml",
                Some("[pack]\nname = \"city\"\nimports = [\"base\"]\n"),
            ),
        ],
    );
    let (codes, out) = folder.report("city");
    assert!(codes.is_empty(), "{out}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

/// A city pack at `examples/city/` importing `../../stdlib-rules`, as the
/// repository's example packs do, run through the `heng` command from the folder
/// above: it checks, its rule uses the standard function and table, the standard
/// `age_limit` is disabled, `heng test` runs the city's fixture only and counts
/// only the city's rules for coverage, and diagnostics show the standard pack's
/// files by their path.
#[test]
fn a_city_pack_importing_the_standard_pack_runs() {
    let folder = Folder::new("stdlib", &[]);
    let stdlib = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stdlib-rules");
    copy_dir(&stdlib, &folder.root.join("stdlib-rules"));
    let manifest = "[pack]\nname = \"杭州\"\nimports = [\"../../stdlib-rules\"]\n\n[params]\nexpensive_material_price = 500\n\n[rules]\ndisable = [\"age_limit\"]\n";
    folder.write("examples/city/heng.toml", manifest);
    folder.write(
        "examples/city/rules/child_only.heng",
        r#"rule child_only "本市:限儿童药品" {
  each line
  severity high
  when item_limits.prefix(line.med_list_codg) is some(limit)
    and limit.age_max is some(max)
  let age = age(visit, line)
  when age > max
  message "{line.hilist_name} 限 {max} 岁,患者 {age} 岁"
}
"#,
    );
    let visit = r#"{"mdtrt_id":"MD001","psn_no":"P001","gend":"1","brdy":"1981-05-02","med_type":"11","begntime":"2026-10-08T09:00:00","feedetail":[{"feedetl_sn":"1","fee_ocur_time":"2026-10-08T09:10:00","med_list_codg":"ZA09AAX035F001010100001","hilist_name":"小儿肺咳颗粒","cnt":"2","pric":"24.00","det_item_fee_sumamt":"48.00"}]}"#;
    folder.write("examples/city/fixtures/child.ndjson", &format!("{visit}\n"));
    let heng = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_heng"))
            .current_dir(&folder.root)
            .env("HENG_LANG", "en")
            .args(args)
            .output()
            .expect("run heng");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    let (status, _, err) = heng(&["check", "examples/city"]);
    assert_eq!(status, Some(0), "{err}");
    let (status, findings, err) = heng(&[
        "run",
        "examples/city",
        "--input",
        "examples/city/fixtures/child.ndjson",
    ]);
    assert_eq!(status, Some(0), "{err}");
    assert!(findings.contains(r#""rule":"child_only""#), "{findings}");
    assert!(!findings.contains(r#""rule":"age_limit""#), "{findings}");
    folder.write("examples/city/fixtures/child.expected.ndjson", &findings);

    let (status, out, err) = heng(&["test", "examples/city"]);
    assert_eq!(status, Some(0), "{out}{err}");
    assert!(out.contains("1 fixtures: 1 passed, 0 failed"), "{out}");
    assert!(out.contains("rule coverage: 1/1 rules"), "{out}");
    // the imported settlement, which no fixture of the city pack compares
    assert!(
        out.contains("settlement coverage: no fixture checks settlement basic_insurance"),
        "{out}"
    );

    folder.write(
        "examples/city/heng.toml",
        &manifest.replace("= 500", "= \"很贵\""),
    );
    let (status, _, err) = heng(&["check", "examples/city"]);
    assert_eq!(status, Some(2), "{err}");
    assert!(err.contains("examples/city/heng.toml"), "{err}");
    assert!(err.contains("stdlib-rules/params.heng"), "{err}");
}

/// A settlement with the id of an imported one replaces it, as a rule does; a
/// settlement with another id is a second settlement (H0082).
#[test]
fn a_city_replaces_the_imported_settlement_by_its_id() {
    let settlement = |id: &str, output: &str| {
        format!(
            "settlement {id} \"结算\" {{\n  each visit\n  output {output} = sum(l.det_item_fee_sumamt for l in visit.feedetail)\n}}\n"
        )
    };
    let base = settlement("pay", "base_total");
    let city = settlement("pay", "city_total");
    let folder = Folder::new(
        "settlement_replaced",
        &[
            ("base/settle.heng", Some(&base)),
            ("city/settle.heng", Some(&city)),
        ],
    );
    let loaded = folder.load("city", &[]);
    let pack = loaded.pack.as_ref().expect("the city pack loads");
    let s = pack.program.settlement.as_ref().expect("a settlement");
    let outputs: Vec<&str> = s
        .visit_steps
        .iter()
        .filter_map(|step| match step {
            heng_compiler::ir::SettleStep::Bind {
                name, output: true, ..
            } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!((s.id.as_str(), outputs), ("pay", vec!["city_total"]));

    let other = settlement("city_pay", "city_total");
    let folder = Folder::new(
        "settlement_twice",
        &[
            ("base/settle.heng", Some(&base)),
            ("city/settle.heng", Some(&other)),
        ],
    );
    let (codes, out) = folder.report("city");
    assert_eq!(codes, ["H0082"], "{out}");
}
