//! Differential test of the evaluation engines: every engine must give the same
//! outcome as the first (the reference interpreter) on random well-typed programs
//! and random visits, hits and runtime faults alike (same span, same message).
//!
//! - `program.rs` generates rule packs as `.heng` source, checked by the real
//!   checker together with the standard pack's declarations (a program that does
//!   not check is a generator bug and fails the test with its source);
//! - `visits.rs` generates visits as NDJSON lines (records.md), read with
//!   `read_visit` (a rejected visit is a generator bug too);
//! - every visit is read twice, by the fast JSON path and the reference reader,
//!   which must agree;
//! - the property below runs every engine of [`engines`] on every visit, and also
//!   asserts that the interpreter never reports an "internal error" (which would
//!   mean the checker let an ill-typed program through).
//!
//! Size: 256 cases (a program and up to 16 visits each) by default, from a fixed
//! seed. More on demand: `HENG_DIFF_CASES=5000 cargo test -p heng-runtime --test
//! differential` (add `--release` for speed); `PROPTEST_RNG_SEED=N` explores
//! another part of the space; `HENG_DIFF_SHOW=1` prints every program, visit and
//! outcome (with `-- --nocapture`). A failure is shrunk to a minimal program and its seed
//! saved in `proptest-regressions.txt` beside this file, which replays it first.

mod program;
mod visits;

#[path = "../../../tests/support/declarations_pack.rs"]
mod support;
use heng_compiler::diagnostic::{Diagnostic, Lang, render};
use heng_compiler::source::Span;
use heng_runtime::engine::{Engine, Interpreter};
use heng_runtime::eval::RuleOutcome;
use heng_runtime::eval::{Evaluator, Fired};
use heng_runtime::input::{check_schema, read_visit, read_visit_with};
use heng_runtime::native::{NativeEngine, Verdict};
use heng_runtime::pack::{self, Loaded, Pack};
use heng_runtime::value::Value;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use support::declarations_pack;

// ---- choices -------------------------------------------------------------

/// A stream of choices both generators draw from. 0 (also when the stream runs
/// out) is always the simplest option, so shrinking the stream toward zeros and
/// shortening it shrinks programs toward leaves and visits toward few fields.
pub struct Choices<'a> {
    data: &'a [u32],
    pos: usize,
}

impl<'a> Choices<'a> {
    pub fn new(data: &'a [u32]) -> Self {
        Choices { data, pos: 0 }
    }

    /// A number in `0..n` (`n` > 0).
    pub fn pick(&mut self, n: usize) -> usize {
        let v = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        v as usize % n.max(1)
    }
}

/// The choices of one program; shown as the program's source.
#[derive(Clone)]
struct ProgramChoices(Vec<u32>);

impl std::fmt::Debug for ProgramChoices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\n{}", program::program(&self.0))
    }
}

/// The choices of a case's visits; shown as NDJSON.
#[derive(Clone)]
struct VisitChoices(Vec<Vec<u32>>);

impl VisitChoices {
    fn texts(&self) -> Vec<String> {
        let pools = pools();
        self.0
            .iter()
            .enumerate()
            .map(|(n, c)| visits::visit(pools, c, n))
            .collect()
    }
}

impl std::fmt::Debug for VisitChoices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\n{}", self.texts().join("\n"))
    }
}

// ---- engines -------------------------------------------------------------

/// Every engine under test; the first is the reference. The native engine must
/// compile every generated rule, or the comparison would test the interpreter twice.
fn engines<'p>(
    pack: &'p Pack,
    native: &'p NativeEngine<'p>,
) -> Vec<(&'static str, Box<dyn Engine + 'p>)> {
    assert!(
        native.report.interpreted.is_empty(),
        "rules not compiled natively: {:?}",
        native.report.interpreted
    );
    vec![
        ("interp", Box::new(Interpreter::new(pack))),
        ("jit", Box::new(native)),
    ]
}

/// Where native code says a rule fires, the interpreter must find a hit or a fault
/// there too. (The outcomes cannot show a wrong "fires": the interpreter renders
/// those and finds nothing.) Native code may defer to the interpreter anywhere.
fn no_false_fires(pack: &Pack, native: &NativeEngine, visit: &Value) -> Result<(), String> {
    let evaluator = Evaluator::new(&pack.program, &pack.params, &pack.tables);
    let mut decided = Vec::new();
    native.decide(&native.prepare(visit), &mut decided);
    for d in decided.iter().filter(|d| d.verdict == Verdict::Fires) {
        let rule = &pack.program.rules[d.rule];
        let o = evaluator.eval_rule_at(rule, visit, pack.feedetail, d.line, None, &Fired::NOTHING);
        if o.hits.is_empty() && o.errors.is_empty() {
            return Err(format!(
                "native code says {} fires on line {:?} where it does not",
                rule.id, d.line
            ));
        }
    }
    Ok(())
}

// ---- the pack ------------------------------------------------------------

fn stdlib() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../stdlib-rules")
}

/// A temporary pack holding the standard declarations and tables (not its
/// rules); each case writes its program to `generated.heng` in it.
fn pack_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| declarations_pack(&format!("differential-{}", std::process::id())))
}

fn load(source: &str) -> Loaded {
    let dir = pack_dir();
    std::fs::write(dir.join("generated.heng"), source).expect("write generated.heng");
    pack::load(dir, &[])
}

fn errors(loaded: &Loaded) -> String {
    let errors: Vec<Diagnostic> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    render::terminal(&errors, &loaded.sources, Lang::En, false)
}

fn pools() -> &'static visits::Pools {
    static POOLS: OnceLock<visits::Pools> = OnceLock::new();
    POOLS.get_or_init(|| visits::Pools::load(&stdlib().join("tables")))
}

// ---- comparable outcomes ---------------------------------------------------

/// An outcome in a form that compares exactly: Decimals keep their scale (via
/// their text), values are compared through their debug text.
#[derive(Debug, PartialEq)]
enum Seen {
    Hit {
        rule: usize,
        lines: Vec<usize>,
        severity: u32,
        amount: String,
        message: String,
        evidence: Vec<(String, String)>,
    },
    Error {
        rule: usize,
        span: Span,
        line: Option<usize>,
        message: String,
    },
}

fn seen(outcomes: Vec<(usize, RuleOutcome)>) -> Vec<Seen> {
    let mut out = Vec::new();
    for (rule, o) in outcomes {
        for h in o.hits {
            out.push(Seen::Hit {
                rule,
                lines: h.lines,
                severity: h.severity,
                amount: h.amount.to_string(),
                message: h.message,
                evidence: h
                    .evidence
                    .into_iter()
                    .map(|(k, v)| (k, format!("{v:?}")))
                    .collect(),
            });
        }
        for e in o.errors {
            out.push(Seen::Error {
                rule,
                span: e.span,
                line: e.line,
                message: format!("{} | {}", e.message.en, e.message.zh),
            });
        }
    }
    out
}

// ---- the property ----------------------------------------------------------

fn config() -> Config {
    let cases = std::env::var("HENG_DIFF_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    let mut config = Config {
        cases,
        // Programs come from long choice streams: give shrinking room.
        max_shrink_iters: 4096,
        // Beside this file, not in the `tests/` folder (one file per test binary).
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/differential/proptest-regressions.txt",
        ))),
        ..Config::default()
    };
    if matches!(config.rng_seed, RngSeed::Random) {
        config.rng_seed = RngSeed::Fixed(0x4845_4e47);
    }
    config
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn engines_agree_with_the_interpreter(
        program in vec(any::<u32>(), 0..1200).prop_map(ProgramChoices),
        visits in vec(vec(any::<u32>(), 0..400), 1..=16).prop_map(VisitChoices),
    ) {
        let source = program::program(&program.0);
        let show = std::env::var_os("HENG_DIFF_SHOW").is_some();
        if show {
            eprintln!("{source}");
        }
        let loaded = load(&source);
        let Some(pack) = loaded.pack.as_ref().filter(|_| !loaded.has_errors()) else {
            return Err(TestCaseError::fail(format!(
                "generator bug: the program does not check\n{source}\n{}",
                errors(&loaded)
            )));
        };
        let schema = check_schema(&pack.program).expect("the standard schema");
        let native = NativeEngine::new(pack);
        let engines = engines(pack, &native);
        for (n, text) in visits.texts().into_iter().enumerate() {
            // the fast JSON path reads exactly what the reference reader reads
            prop_assert_eq!(
                read_visit_with(&schema, n as u64 + 1, &text, true),
                read_visit_with(&schema, n as u64 + 1, &text, false),
                "the fast input path differs on\n{}",
                text
            );
            let visit = match read_visit(&schema, n as u64 + 1, &text) {
                Ok(v) => v,
                Err(e) => {
                    return Err(TestCaseError::fail(format!(
                        "generator bug: the visit is rejected ({}: {})\n{text}",
                        e.field, e.reason.en
                    )));
                }
            };
            let record = Value::Record(visit.record.clone());
            if let Err(e) = no_false_fires(pack, &native, &record) {
                return Err(TestCaseError::fail(format!("{e}\nprogram:\n{source}\nvisit:\n{text}")));
            }
            let mut reference: Option<(&str, Vec<Seen>)> = None;
            for (name, engine) in &engines {
                let got = seen(engine.eval_visit(&record));
                for s in &got {
                    if let Seen::Error { message, span, .. } = s {
                        prop_assert!(
                            !message.contains("internal error"),
                            "{name} reports an internal error at {span:?}: {message}\n\
                             program:\n{source}\nvisit:\n{text}"
                        );
                    }
                }
                if show {
                    eprintln!("{text}\n  {name}: {got:?}");
                }
                match &reference {
                    None => reference = Some((name, got)),
                    Some((first, want)) => prop_assert_eq!(
                        want,
                        &got,
                        "{} and {} differ\nprogram:\n{}\nvisit:\n{}",
                        first,
                        name,
                        source,
                        text
                    ),
                }
            }
        }
    }
}
