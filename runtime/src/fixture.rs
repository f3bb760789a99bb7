//! Pack fixtures: sample visits with the findings they must produce.
//!
//! A fixture is `fixtures/<name>.ndjson` (visits, records.md format) beside
//! `fixtures/<name>.expected.ndjson` (the findings, exactly as `heng run` writes
//! them). `heng test` runs every fixture through the whole pack and compares; with
//! `--update` it records the current findings as the expectation, to be reviewed
//! like a snapshot.
//!
//! A pack with a settlement may also expect settlement results:
//! `fixtures/<name>.settlement.expected.ndjson` holds them exactly as `heng run
//! --settlement` writes them, with starting accumulators from
//! `fixtures/<name>.accumulators.csv` when that exists. Only fixtures with such a
//! file compare settlements (create it empty and run `--update` to start one).

use crate::audit::{Sinks, run_batch};
use crate::engine::Engine;
use crate::input::Schema;
use crate::pack::Pack;
use crate::settle::{Settler, StartValues, first_pass};
use heng_compiler::diagnostic::Lang;
use heng_compiler::source::SourceMap;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The outcome of one fixture.
#[derive(Debug)]
pub struct FixtureResult {
    pub name: String,
    pub input: PathBuf,
    pub expected_path: PathBuf,
    /// The findings the pack produced, one JSON line each.
    pub actual: Vec<String>,
    /// `None` when no expectation file exists yet.
    pub expected: Option<Vec<String>>,
    /// Rejected records and evaluation errors (a fixture must have none).
    pub errors: Vec<String>,
    /// Rule ids that produced a finding.
    pub rules_hit: BTreeSet<String>,
    /// Settlement results, when the fixture expects them.
    pub settlement: Option<Settlements>,
}

/// The settlement side of a fixture.
#[derive(Debug)]
pub struct Settlements {
    pub expected_path: PathBuf,
    pub actual: Vec<String>,
    pub expected: Vec<String>,
}

impl FixtureResult {
    pub fn passed(&self) -> bool {
        self.errors.is_empty()
            && self.expected.as_ref() == Some(&self.actual)
            && self
                .settlement
                .as_ref()
                .is_none_or(|s| s.actual == s.expected)
    }

    /// A readable diff: `-` expected lines that are missing, `+` unexpected lines.
    pub fn diff(&self) -> String {
        let expected = self.expected.clone().unwrap_or_default();
        let mut out = line_diff(&expected, &self.actual, "findings");
        if let Some(s) = &self.settlement {
            out.push_str(&line_diff(&s.expected, &s.actual, "settlements"));
        }
        for e in &self.errors {
            out.push_str(&format!("! {e}\n"));
        }
        out
    }
}

/// `-` expected lines that are missing, `+` unexpected lines.
fn line_diff(expected: &[String], actual: &[String], what: &str) -> String {
    let want: BTreeSet<&String> = expected.iter().collect();
    let got: BTreeSet<&String> = actual.iter().collect();
    let mut out = String::new();
    for l in expected {
        if !got.contains(l) {
            out.push_str(&format!("- {l}\n"));
        }
    }
    for l in actual {
        if !want.contains(l) {
            out.push_str(&format!("+ {l}\n"));
        }
    }
    if out.is_empty() && expected != actual {
        out.push_str(&format!("(same {what} in a different order)\n"));
    }
    out
}

/// The fixture inputs of a pack, sorted by name.
pub fn fixture_inputs(pack_dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let dir = pack_dir.join("fixtures");
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".ndjson") && !name.ends_with(".expected.ndjson")
        })
        .collect();
    inputs.sort();
    Ok(inputs)
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// Runs one fixture input through the pack.
pub fn run_fixture(
    pack: &Pack,
    engine: &dyn Engine,
    schema: &Schema,
    sources: &SourceMap,
    input: &Path,
) -> std::io::Result<FixtureResult> {
    let name = input
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .trim_end_matches(".ndjson")
        .to_string();
    let expected_path = input.with_file_name(format!("{name}.expected.ndjson"));
    let text = std::fs::read(input)?;
    let settlement_path = input.with_file_name(format!("{name}.settlement.expected.ndjson"));
    let settler = match (&pack.program.settlement, settlement_path.exists()) {
        (Some(s), true) => {
            let csv = input.with_file_name(format!("{name}.accumulators.csv"));
            let start = if csv.exists() {
                StartValues::read_csv(&csv, s).map_err(std::io::Error::other)?
            } else {
                StartValues::default()
            };
            match Settler::new(pack, start).map_err(std::io::Error::other)? {
                Some(s) => Some(first_pass(
                    s,
                    Lang::En,
                    engine.is_native(),
                    |pack, schema, engine, sinks| {
                        run_batch(pack, engine, schema, sources, text.as_slice(), 1, sinks)
                    },
                )?),
                None => None,
            }
        }
        _ => None,
    };
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    let mut settled = Vec::new();
    let mut progress = |_| {};
    let mut sinks = Sinks {
        findings: &mut findings,
        errors: &mut errors,
        lang: Lang::En,
        progress: &mut progress,
        settlement: settler.as_ref().map(|settler| crate::audit::Settling {
            settler,
            out: &mut settled,
        }),
    };
    run_batch(
        pack,
        engine,
        schema,
        sources,
        text.as_slice(),
        1,
        &mut sinks,
    )?;
    let actual = lines(&String::from_utf8_lossy(&findings));
    let rules_hit = actual
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("rule").and_then(|r| r.as_str()).map(String::from))
        .collect();
    let expected = match std::fs::read_to_string(&expected_path) {
        Ok(t) => Some(lines(&t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let settlement = match settler {
        Some(_) => Some(Settlements {
            actual: lines(&String::from_utf8_lossy(&settled)),
            expected: lines(&std::fs::read_to_string(&settlement_path)?),
            expected_path: settlement_path,
        }),
        None => None,
    };
    Ok(FixtureResult {
        name,
        input: input.to_path_buf(),
        expected_path,
        actual,
        expected,
        errors: lines(&String::from_utf8_lossy(&errors)),
        rules_hit,
        settlement,
    })
}

/// Records the actual findings as the expectation.
pub fn update(result: &FixtureResult) -> std::io::Result<()> {
    let mut text = result.actual.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    std::fs::write(&result.expected_path, text)?;
    if let Some(s) = &result.settlement {
        let mut text = s.actual.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        std::fs::write(&s.expected_path, text)?;
    }
    Ok(())
}

/// JUnit XML for CI systems: one test case per fixture.
pub fn junit(pack_name: &str, results: &[FixtureResult]) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let failures = results.iter().filter(|r| !r.passed()).count();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n",
        esc(pack_name),
        results.len(),
        failures
    );
    for r in results {
        out.push_str(&format!(
            "  <testcase classname=\"{}\" name=\"{}\"",
            esc(pack_name),
            esc(&r.name)
        ));
        if r.passed() {
            out.push_str("/>\n");
        } else {
            let msg = if r.expected.is_none() {
                "no expected findings recorded"
            } else {
                "findings differ"
            };
            out.push_str(&format!(
                ">\n    <failure message=\"{}\">{}</failure>\n  </testcase>\n",
                msg,
                esc(&r.diff())
            ));
        }
    }
    out.push_str("</testsuite>\n</testsuites>\n");
    out
}
