//! The language manual's examples are executed, so the manual cannot rot.
//!
//! Every fenced block of `docs/language.md` tagged `heng` becomes an extra source
//! file (`example.heng`) of a temporary pack holding the standard pack's
//! declarations (schema, tables, params, functions and their CSV tables, but not
//! its rules) and must check without errors. A block tagged `heng-error H0021`
//! must produce diagnostic H0021 and no error with another code.
//!
//! Blocks that follow a `heng` block (before the next `heng` block) belong to it:
//! - ` ```csv NAME ` is written to `tables/NAME.csv` of the temporary pack;
//! - ` ```toml ` replaces the pack's `heng.toml`;
//! - ` ```json `: visits, one per line (records.md), run through the pack;
//! - ` ```findings `: the findings those visits must produce, exactly as
//!   `heng run` writes them (NDJSON, in output order);
//! - ` ```settlement `: the settlement lines those visits must produce, exactly
//!   as `heng run --settlement` writes them.

#[path = "support/declarations_pack.rs"]
mod support;
use heng_compiler::diagnostic::{Diagnostic, Lang, render};
use heng_runtime::audit::{Sinks, run_batch};
use heng_runtime::engine::{Engine, Interpreter};
use heng_runtime::input::check_schema;
use heng_runtime::native::NativeEngine;
use heng_runtime::pack::{self, Loaded};
use heng_runtime::settle::{Settler, StartValues, first_pass};
use std::fs;
use std::path::{Path, PathBuf};
use support::declarations_pack;

/// A fenced code block: its info string split into words, its text and the
/// 1-based line of its opening fence.
#[derive(Debug)]
struct Block {
    info: Vec<String>,
    text: String,
    line: usize,
}

impl Block {
    fn tag(&self) -> &str {
        self.info.first().map_or("", String::as_str)
    }
}

/// Every fenced block (```…```) of a Markdown text, in order.
fn fenced_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in markdown.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Block {
                    info: info.split_whitespace().map(String::from).collect(),
                    text: String::new(),
                    line: i + 1,
                });
            }
            (Some(_), Some(rest)) if rest.trim().is_empty() => {
                blocks.extend(open.take());
            }
            (Some(block), _) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(
        open.is_none(),
        "docs/language.md has an unclosed code block"
    );
    blocks
}

/// A `heng` or `heng-error` block with the blocks that belong to it.
struct Example<'a> {
    source: &'a Block,
    attached: Vec<&'a Block>,
}

fn examples(blocks: &[Block]) -> Vec<Example<'_>> {
    let mut out: Vec<Example> = Vec::new();
    for b in blocks {
        match b.tag() {
            "heng" | "heng-error" => out.push(Example {
                source: b,
                attached: Vec::new(),
            }),
            "csv" | "toml" | "json" | "findings" | "settlement" => {
                if let Some(last) = out.last_mut() {
                    last.attached.push(b);
                }
            }
            _ => {}
        }
    }
    out
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Writes the temporary pack of one example and loads it.
fn load_example(ex: &Example) -> Loaded {
    let dir = declarations_pack(&format!("language_docs/line-{}", ex.source.line));
    let mut manifest = "[pack]\nname = \"doc-example\"\n".to_string();
    for b in &ex.attached {
        match b.tag() {
            "toml" => manifest = b.text.clone(),
            "csv" => {
                let name = b.info.get(1).expect("```csv NAME names its table");
                fs::write(dir.join("tables").join(format!("{name}.csv")), &b.text)
                    .expect("write a table");
            }
            _ => {}
        }
    }
    fs::write(dir.join("heng.toml"), manifest).expect("write heng.toml");
    fs::write(dir.join("example.heng"), &ex.source.text).expect("write the example");
    pack::load(&dir, &[])
}

/// The errors of a load, rendered for a failure message (warnings left out).
fn rendered(loaded: &Loaded) -> String {
    let errors: Vec<Diagnostic> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    render::terminal(&errors, &loaded.sources, Lang::En, false)
}

/// Checks (and, with visits, runs) one example; `Err` says what went wrong.
fn run_example(ex: &Example) -> Result<(), String> {
    let loaded = load_example(ex);
    if ex.source.tag() == "heng-error" {
        let want = ex.source.info.get(1).ok_or("heng-error needs a code")?;
        let has = loaded.diagnostics.iter().any(|d| d.code == want);
        let others = loaded
            .diagnostics
            .iter()
            .any(|d| d.is_error() && d.code != want);
        return if has && !others {
            Ok(())
        } else {
            Err(format!("expected only {want}, got:\n{}", rendered(&loaded)))
        };
    }
    if loaded.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(format!("does not check:\n{}", rendered(&loaded)));
    }
    let Some(pack) = &loaded.pack else {
        return Err("the pack did not load".into());
    };
    let visits = ex.attached.iter().find(|b| b.tag() == "json");
    let expected = ex.attached.iter().find(|b| b.tag() == "findings");
    let settled = ex.attached.iter().find(|b| b.tag() == "settlement");
    let (visits, expected) = match (visits, expected.or(settled)) {
        (None, None) => return Ok(()),
        (Some(v), Some(_)) => (v, expected),
        _ => {
            return Err(
                "a ```json block needs a ```findings or ```settlement block and back".into(),
            );
        }
    };
    let schema = check_schema(&pack.program).map_err(|e| e.en)?;
    // a settler per engine: settling sums its batch totals
    let settler = || -> Result<Option<Settler>, String> {
        let Some(s) = Settler::new(pack, StartValues::default())? else {
            return Ok(None);
        };
        first_pass(s, Lang::En, false, |pack, schema, engine, sinks| {
            run_batch(
                pack,
                engine,
                schema,
                &loaded.sources,
                visits.text.as_bytes(),
                1,
                sinks,
            )
        })
        .map(Some)
        .map_err(|e| e.to_string())
    };
    let mut settled_lines = Vec::new();
    let native = NativeEngine::with_settlement(pack);
    if let Some((id, why)) = native.report.interpreted.first() {
        return Err(format!("rule {id} does not compile to native code: {why}"));
    }
    let engines: [(&str, &dyn Engine); 2] = [("interp", &Interpreter::new(pack)), ("jit", &native)];
    let mut actual = Vec::new();
    for (engine_name, engine) in engines {
        // as `heng run` does: patient by patient, so that history rules see history
        let (mut found, mut errors) = (Vec::new(), Vec::new());
        settled_lines.clear();
        let settler = settler()?;
        let mut sinks = Sinks {
            findings: &mut found,
            errors: &mut errors,
            lang: Lang::En,
            progress: &mut |_| {},
            settlement: settler
                .as_ref()
                .map(|settler| heng_runtime::audit::Settling {
                    settler,
                    out: &mut settled_lines,
                }),
        };
        let summary = run_batch(
            pack,
            engine,
            &schema,
            &loaded.sources,
            visits.text.as_bytes(),
            1,
            &mut sinks,
        )
        .map_err(|e| e.to_string())?;
        if summary.rejected > 0 || !errors.is_empty() {
            return Err(format!(
                "{engine_name}: errors: {}",
                String::from_utf8_lossy(&errors)
            ));
        }
        let lines: Vec<String> = String::from_utf8_lossy(&found)
            .lines()
            .map(str::to_owned)
            .collect();
        if engine_name == "interp" {
            actual = lines;
        } else if lines != actual {
            return Err(format!(
                "{engine_name} differs from the interpreter:\n{}\nvs\n{}",
                lines.join("\n"),
                actual.join("\n")
            ));
        }
    }
    let settled_text = String::from_utf8_lossy(&settled_lines);
    let settled_actual: Vec<String> = settled_text.lines().map(str::to_owned).collect();
    for (what, block, actual) in [
        ("findings", expected, &actual),
        ("settlement", settled, &settled_actual),
    ] {
        let Some(block) = block else { continue };
        let want: Vec<&str> = block
            .text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        if *actual != want {
            return Err(format!(
                "{what} differ\nexpected:\n{}\nactual:\n{}",
                want.join("\n"),
                actual.join("\n")
            ));
        }
    }
    Ok(())
}

#[test]
fn every_manual_example_checks_and_runs() {
    let manual = fs::read_to_string(repo().join("docs/language.md")).expect("docs/language.md");
    let blocks = fenced_blocks(&manual);
    let examples = examples(&blocks);
    let failures: Vec<String> = examples
        .iter()
        .filter_map(|ex| {
            run_example(ex)
                .err()
                .map(|e| format!("docs/language.md:{}: {e}", ex.source.line))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));

    let executed = examples
        .iter()
        .filter(|ex| ex.attached.iter().any(|b| b.tag() == "findings"))
        .count();
    let errors = examples
        .iter()
        .filter(|ex| ex.source.tag() == "heng-error")
        .count();
    assert!(executed >= 8, "only {executed} examples are executed");
    let settled = examples
        .iter()
        .filter(|ex| ex.attached.iter().any(|b| b.tag() == "settlement"))
        .count();
    assert!(settled >= 1, "no settlement example is executed");
    assert!(errors >= 3, "only {errors} error examples");
}
