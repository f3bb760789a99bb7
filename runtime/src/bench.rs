//! `heng bench`: the workloads of spec/performance.md that Heng measures so far,
//! each paired with its baseline in the same run (this machine's speed drifts, so
//! the ratios are what count):
//!
//! - W3, evaluation only: the pack's rules over visits already in memory, one
//!   thread, by the interpreter, by native code (deciding only, and with findings
//!   rendered), and, for the standard pack, by a hand-written Rust implementation
//!   of its 15 line rules (`handwritten`). Before timing, the engines must give the
//!   same findings and the hand-written code the interpreter's count per rule.
//! - W5, build: load and check the pack, compile it natively; load a synthetic
//!   item_limits table of many rows (`catalogue`).
//! - W6, editor: the language server's diagnostics after a one-character edit
//!   in a 5,000-line pack (`w6`).
//! - W7, peers: the five line rules that rule engines can express, run by Heng
//!   and, on the same records, by regorus, cel, zen and DuckDB (`w7`, and `peers`
//!   when built with `--features peers`).

mod catalogue;
mod handwritten;
#[cfg(any(
    feature = "peer-rego",
    feature = "peer-cel",
    feature = "peer-zen",
    feature = "peer-zen-engine"
))]
mod peers;
pub mod w2;
pub mod w6;
pub mod w7;

use crate::engine::{Engine, Interpreter};
use crate::native::NativeEngine;
use crate::pack::{self, Pack};
use crate::value::Value;
use crate::{input, table};
use heng_compiler::ir::Scope;
use heng_compiler::source::FileId;
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// Sizes of generated data (`heng bench --scale`): the "month" of
/// spec/performance.md is 1.6 million visits, "small" a hundredth of it, "tiny" a
/// thousandth (what the test suite runs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    Tiny,
    Small,
    Month,
}

impl Scale {
    pub fn name(self) -> &'static str {
        match self {
            Scale::Tiny => "tiny",
            Scale::Small => "small",
            Scale::Month => "month",
        }
    }

    pub fn visits(self) -> u64 {
        match self {
            Scale::Tiny => 1_600,
            Scale::Small => 16_000,
            Scale::Month => 1_600_000,
        }
    }
}

/// Visits of a generated batch held in memory for W3 (and W7: about 200,000 fee
/// lines), and checked one by one for W4.
const W3_VISITS: usize = 30_000;
const W4_VISITS: usize = 2_000;

/// What to measure on.
#[derive(Clone, Debug)]
pub struct Options {
    /// Generate a batch of this size and measure on it (W1, W2, W3, W4) instead of
    /// the given input.
    pub scale: Option<Scale>,
    /// Seed of the generated batch.
    pub seed: u64,
    /// Copies of the input batch held in memory for W3.
    pub copies: usize,
    /// Rounds of the native and hand-written timings (the best counts).
    pub rounds: usize,
    /// Rows of the synthetic item_limits table for W5.
    pub table_rows: usize,
    /// The NDJSON batch W1 audits, if any.
    pub w1_input: Option<std::path::PathBuf>,
    /// Worker threads for W1.
    pub threads: usize,
    /// At most this many fee lines for W7 (whole visits), the same for every engine.
    pub w7_lines: usize,
}

/// Every figure of one run; times in milliseconds, rates per second.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub w1: Option<W1>,
    /// With W1, when the pack has a settlement.
    pub w2: Option<w2::W2>,
    pub w3: W3,
    pub w4: W4,
    pub w5: W5,
    /// `None` when W6 could not run (see `w6_note`: its generated rules read
    /// fields of the standard schema).
    pub w6: Option<w6::W6>,
    pub w6_note: Option<String>,
    /// `None` without a peer built in, or when W7 cannot run (see `w7_note`).
    pub w7: Option<w7::W7>,
    pub w7_note: Option<String>,
}

/// What the report says where W7 did not run.
pub const W7_NEEDS_PEERS: &str =
    "W7 needs the peer engines: cargo run --release --features peers -- bench";

#[derive(Clone, Debug, Serialize)]
pub struct W3 {
    pub visits: usize,
    pub fee_lines: usize,
    pub rules: usize,
    pub findings: usize,
    /// Line-rule evaluations per run: fee lines × rules.
    pub evaluations: usize,
    pub interpreter_ms: f64,
    pub native_ms: f64,
    pub native_decide_ms: f64,
    /// `None` when the pack is not the standard pack (see `handwritten_note`).
    pub handwritten_ms: Option<f64>,
    pub handwritten_note: Option<String>,
    /// Interpreter time / native time (findings rendered): target ≥ 5.
    pub native_speedup: f64,
    /// Native decision time / hand-written time: target ≤ 1.5.
    pub native_vs_handwritten: Option<f64>,
}

/// W1: the whole pack over an NDJSON file, findings written, as `heng run` does,
/// on every thread and (the baseline) on one.
#[derive(Clone, Debug, Serialize)]
pub struct W1 {
    /// The generated batch, when `--scale` made one.
    pub generated: Option<Generated>,
    pub visits: u64,
    pub fee_lines: u64,
    pub findings: u64,
    pub threads: usize,
    pub seconds: f64,
    pub lines_per_sec: f64,
    /// The same run on one thread.
    pub single_thread_seconds: f64,
    /// One thread's time / `threads` threads' time.
    pub speedup: f64,
    /// Whether both runs wrote the same bytes (findings and errors).
    pub identical: bool,
    /// Peak resident memory during the run on every thread (Linux), in MiB.
    pub peak_rss_mib: Option<f64>,
}

/// A batch `heng gen` made for the run.
#[derive(Clone, Debug, Serialize)]
pub struct Generated {
    pub scale: Scale,
    pub seed: u64,
    pub visits: u64,
    pub bytes: u64,
    pub seconds: f64,
}

/// W4: one visit at a time, from its JSON text to its findings, in process,
/// warm, one thread (a check while the doctor types).
#[derive(Clone, Debug, Serialize)]
pub struct W4 {
    pub checks: usize,
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    /// The same, for a visit already read (evaluation and rendering only).
    pub eval_p50_us: f64,
    pub eval_p99_us: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct W5 {
    pub check_ms: f64,
    pub compile_ms: f64,
    pub rules_native: usize,
    pub rules_interpreted: usize,
    pub table_rows: usize,
    pub table_ms: f64,
}

/// Audits `input` with the native engine on `threads` threads and on one, writing
/// findings and errors to `out`, and compares the bytes.
pub fn w1(
    pack: &Pack,
    sources: &heng_compiler::source::SourceMap,
    input: &Path,
    threads: usize,
    out: &Path,
) -> Result<W1, String> {
    let engine = NativeEngine::new(pack);
    reset_peak_rss();
    let (summary, seconds, _) =
        audit_file(pack, sources, &engine, input, threads, &out.join("n"), None)?;
    let peak_rss_mib = peak_rss_mib();
    let (_, single, _) = audit_file(pack, sources, &engine, input, 1, &out.join("1"), None)?;
    let same = |name: &str| -> Result<bool, String> {
        let read = |dir: &str| {
            std::fs::read(out.join(dir).join(name)).map_err(|e| format!("W1: {name}: {e}"))
        };
        Ok(read("n")? == read("1")?)
    };
    Ok(W1 {
        generated: None,
        visits: summary.evaluated,
        fee_lines: summary.fee_lines,
        findings: summary.findings,
        threads,
        seconds,
        lines_per_sec: summary.fee_lines as f64 / seconds,
        single_thread_seconds: single,
        speedup: single / seconds,
        identical: same("findings.ndjson")? && same("errors.ndjson")?,
        peak_rss_mib,
    })
}

/// One `heng run` of `input` into the folder `out` (with `--settlement` when a
/// settler is given, two passes if it has batch totals): its summary, wall
/// seconds and the settler, its totals known.
fn audit_file<'p>(
    pack: &Pack,
    sources: &heng_compiler::source::SourceMap,
    engine: &NativeEngine,
    input: &Path,
    threads: usize,
    out: &Path,
    settler: Option<crate::settle::Settler<'p>>,
) -> Result<
    (
        crate::audit::Summary,
        f64,
        Option<crate::settle::Settler<'p>>,
    ),
    String,
> {
    let schema = pack
        .input_schema(settler.is_some())
        .map_err(|e| e.en.to_string())?;
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let open = |p: &Path| {
        std::fs::File::create(p)
            .map(|f| std::io::BufWriter::with_capacity(1 << 20, f))
            .map_err(|e| format!("cannot write {}: {e}", p.display()))
    };
    let mut findings = open(&out.join("findings.ndjson"))?;
    let mut errors = open(&out.join("errors.ndjson"))?;
    let mut settled = open(&out.join("settlement.ndjson"))?;
    let mut progress = |_: u64| {};
    warm(input)?;
    let t = Instant::now();
    // as `heng run` does: grouped by patient first if history rules need it
    let opts = crate::audit::FileRun {
        threads,
        block_bytes: 512 << 10,
        memory_budget: crate::group::default_memory_budget(),
        scratch: out.to_path_buf(),
        history: &crate::history::NoHistory,
    };
    let run = |pack: &Pack,
               schema: &input::Schema,
               engine: &dyn Engine,
               sinks: &mut crate::audit::Sinks| {
        crate::audit::run_file(pack, engine, schema, sources, input, &opts, sinks)
    };
    let lang = heng_compiler::diagnostic::Lang::En;
    let settler = settler
        .map(|s| crate::settle::first_pass(s, lang, true, run))
        .transpose()
        .map_err(|e| format!("the first pass failed: {e}"))?;
    let mut sinks = crate::audit::Sinks {
        findings: &mut findings,
        errors: &mut errors,
        lang,
        progress: &mut progress,
        settlement: settler.as_ref().map(|settler| crate::audit::Settling {
            settler,
            out: &mut settled,
        }),
    };
    let summary = run(pack, &schema, engine, &mut sinks)
        .and_then(|s| {
            use std::io::Write;
            findings.flush()?;
            errors.flush()?;
            settled.flush()?;
            Ok(s)
        })
        .map_err(|e| format!("the run failed: {e}"))?;
    Ok((summary, t.elapsed().as_secs_f64(), settler))
}

/// Reads `input` through once, so that every timed run finds as much of it in the
/// system's page cache as the machine holds: otherwise a run's time depends on what
/// ran before it (on the 2-core machine, after a settlement run had written its
/// 2 GB, a third of the month was no longer cached and the next run read it from
/// disk).
fn warm(input: &Path) -> Result<(), String> {
    std::fs::File::open(input)
        .and_then(|mut f| std::io::copy(&mut f, &mut std::io::sink()))
        .map(drop)
        .map_err(|e| format!("cannot read {}: {e}", input.display()))
}

/// Removes a folder when dropped.
struct RemoveOnDrop(std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts measuring the peak resident memory afresh, so that W1 reports its own
/// (Linux: writing 5 to /proc/self/clear_refs resets VmHWM; elsewhere a no-op,
/// and the peak is the process's).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// VmHWM of this process, from /proc (Linux only).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Native decisions on every prepared visit: how many (what W3 and W7 time).
fn decide_all(
    native: &NativeEngine,
    prepared: &[crate::native::Prepared],
    decided: &mut Vec<crate::native::Decision>,
) -> usize {
    prepared
        .iter()
        .map(|p| {
            native.decide(p, decided);
            decided.len()
        })
        .sum()
}

/// The best of `rounds` timings of `f`.
fn best<T>(rounds: usize, mut f: impl FnMut() -> T) -> Duration {
    (0..rounds.max(1))
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Runs W5 and W3 on the pack in `dir` and the NDJSON visits of `input`; `progress`
/// hears which measurement starts.
pub fn run(
    dir: &Path,
    input: &Path,
    opts: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<Report, String> {
    progress("W5: load and check the pack");
    let t = Instant::now();
    let loaded = pack::load(dir, &[]);
    let check = t.elapsed();
    let pack = match &loaded.pack {
        Some(p) if !loaded.has_errors() => p,
        _ => {
            return Err(format!(
                "the pack in {} does not check: run `heng check {}`",
                dir.display(),
                dir.display()
            ));
        }
    };
    let scratch = std::env::temp_dir().join(format!("heng-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)
        .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    let _cleanup = RemoveOnDrop(scratch.clone());
    let generated = match opts.scale {
        Some(scale) => {
            let path = scratch.join("batch.ndjson");
            progress(&format!(
                "generating {} visits (heng gen --seed {})",
                scale.visits(),
                opts.seed
            ));
            Some((generate(pack, scale, opts, &path)?, path))
        }
        None => None,
    };
    let (generated, generated_path) = generated.unzip();
    // a generated batch: W1 over all of it, W3 and W4 over its first visits
    let (input, copies, limit) = match &generated_path {
        Some(path) => (path.as_path(), 1, W3_VISITS),
        None => (input, opts.copies, usize::MAX),
    };
    // W1 first, before anything else is held in memory, so that the peak memory
    // it reports is its own
    let w1_input = generated_path.as_deref();
    let w1 = match w1_input.or(opts.w1_input.as_deref()) {
        Some(path) => {
            progress(&format!(
                "W1: audit the batch on {} threads, then on one",
                opts.threads
            ));
            let mut w1 = w1(pack, &loaded.sources, path, opts.threads, &scratch)?;
            w1.generated = generated;
            Some((w1, path))
        }
        None => None,
    };
    let w2 = match &w1 {
        Some((w1, path)) if pack.program.settlement.is_some() => {
            progress(&format!(
                "W2: settle the batch with DIP (dip_budget={}) on {} threads",
                w2::DIP_BUDGET,
                opts.threads
            ));
            let out = scratch.join("w2");
            Some(w2::w2(dir, path, opts.threads, &out, w1.seconds)?)
        }
        _ => None,
    };
    let w1 = w1.map(|(w1, _)| w1);
    let visits = read_visits(pack, input, copies, limit)?;
    progress("W5: compile the pack");
    let t = Instant::now();
    let native = NativeEngine::new(pack);
    let compile = t.elapsed();
    progress("W5: load the item_limits table");
    let (table_rows, table_ms) = table_load(pack, opts.table_rows)?;
    let w5 = W5 {
        check_ms: ms(check),
        compile_ms: ms(compile),
        rules_native: native.report.native.len(),
        rules_interpreted: native.report.interpreted.len(),
        table_rows,
        table_ms,
    };
    progress("W6: diagnostics after one-character edits, through the language server");
    let (w6, w6_note) = match w6::w6(dir, &scratch, opts.rounds) {
        Ok(w6) => (Some(w6), None),
        Err(e) => (None, Some(e)),
    };
    // W3 measures line rules (those that read no history), as the hand-written
    // baseline has them
    let line_pack = pack.only(|r| r.scope == Scope::Line && !pack.program.reads_history(r));
    let w3 = w3(
        &line_pack,
        &NativeEngine::new(&line_pack),
        &visits,
        opts,
        progress,
    )?;
    progress("W4: one visit at a time");
    let w4_visits = if w1_input.is_some() {
        W4_VISITS
    } else {
        usize::MAX
    };
    let w4 = w4(
        pack,
        &loaded.sources,
        &native,
        input,
        opts.rounds,
        w4_visits,
    )?;
    #[cfg(any(
        feature = "peer-rego",
        feature = "peer-cel",
        feature = "peer-zen",
        feature = "peer-zen-engine"
    ))]
    let (w7, w7_note) = match peers::w7(dir, &visits, opts, progress) {
        Ok(w7) => (Some(w7), None),
        Err(e) => (None, Some(e)),
    };
    #[cfg(not(any(
        feature = "peer-rego",
        feature = "peer-cel",
        feature = "peer-zen",
        feature = "peer-zen-engine"
    )))]
    let (w7, w7_note) = (None, Some(W7_NEEDS_PEERS.to_string()));
    Ok(Report {
        w1,
        w2,
        w3,
        w4,
        w5,
        w6,
        w6_note,
        w7,
        w7_note,
    })
}

/// Writes a batch of `scale` with `heng gen` to `path`.
fn generate(pack: &Pack, scale: Scale, opts: &Options, path: &Path) -> Result<Generated, String> {
    let t = Instant::now();
    let file =
        std::fs::File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(8 << 20, file);
    let gen_opts = crate::r#gen::Options {
        visits: scale.visits(),
        seed: opts.seed,
        threads: opts.threads,
    };
    crate::r#gen::generate(pack, &gen_opts, &mut out, &mut |_| {})
        .map_err(|e| format!("cannot generate the batch: {e}"))?;
    // on disk before W1 reads it, so that W1 does not compete with the writeback
    out.into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(Generated {
        scale,
        seed: opts.seed,
        visits: scale.visits(),
        bytes: std::fs::metadata(path).map_or(0, |m| m.len()),
        seconds: t.elapsed().as_secs_f64(),
    })
}

/// The first `limit` non-blank lines of an NDJSON file, with their numbers.
fn first_lines(input: &Path, limit: usize) -> Result<Vec<(u64, String)>, String> {
    use std::io::BufRead;
    let file =
        std::fs::File::open(input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let mut lines = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        if lines.len() >= limit {
            break;
        }
        let line = line.map_err(|e| format!("cannot read {}: {e}", input.display()))?;
        if !line.trim().is_empty() {
            lines.push((i as u64 + 1, line));
        }
    }
    Ok(lines)
}

/// Loads a synthetic item_limits table of `rows` rows: (rows, best ms of 3).
fn table_load(pack: &Pack, rows: usize) -> Result<(usize, f64), String> {
    let program = &pack.program;
    let Some(t) = program.tables.iter().position(|t| t.name == "item_limits") else {
        return Ok((0, 0.0));
    };
    let id = heng_compiler::types::TableId(t as u32);
    let csv = catalogue::item_limits_csv(&program.tables[t], rows);
    let mut loaded = 0;
    let mut failure = None;
    let time = best(3, || {
        match table::load_table(program, id, FileId(0), &csv) {
            Ok(t) => loaded = t.len(),
            Err(d) => {
                failure = d
                    .first()
                    .map(|first| format!("{} ({} errors)", first.message.en, d.len()))
            }
        }
    });
    match failure {
        Some(f) => Err(format!(
            "the synthetic item_limits table does not load: {f}"
        )),
        None => Ok((loaded, ms(time))),
    }
}

/// Checks every visit line of `input` `passes` times after one warm-up pass, each
/// timed alone: read, evaluate, render.
fn w4(
    pack: &Pack,
    sources: &heng_compiler::source::SourceMap,
    native: &NativeEngine,
    input: &Path,
    passes: usize,
    limit: usize,
) -> Result<W4, String> {
    let schema = input::check_schema(&pack.program).map_err(|e| e.en.to_string())?;
    let lines = first_lines(input, limit)?;
    let mut times = Vec::with_capacity(lines.len() * passes.max(1));
    let mut eval_times = Vec::with_capacity(lines.len() * passes.max(1));
    for pass in 0..=passes.max(1) {
        for (number, line) in &lines {
            let t = Instant::now();
            if let Ok(visit) = input::read_visit(&schema, *number, line) {
                let e = Instant::now();
                std::hint::black_box(crate::audit::audit_visit(
                    pack, native, &schema, sources, &visit, None,
                ));
                if pass > 0 {
                    eval_times.push(e.elapsed());
                }
            }
            if pass > 0 {
                times.push(t.elapsed());
            }
        }
    }
    let at = |times: &mut Vec<Duration>, q: f64| {
        times.sort_unstable();
        let i = ((times.len() as f64 * q).ceil() as usize).clamp(1, times.len().max(1)) - 1;
        times.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e6)
    };
    Ok(W4 {
        checks: times.len(),
        p50_us: at(&mut times, 0.50),
        p99_us: at(&mut times, 0.99),
        max_us: at(&mut times, 1.0),
        eval_p50_us: at(&mut eval_times, 0.50),
        eval_p99_us: at(&mut eval_times, 0.99),
    })
}

/// The first `limit` visits of an NDJSON file, `copies` times over; rejected lines
/// are skipped.
fn read_visits(
    pack: &Pack,
    input: &Path,
    copies: usize,
    limit: usize,
) -> Result<Vec<Value>, String> {
    let schema = input::check_schema(&pack.program).map_err(|e| e.en.to_string())?;
    let once: Vec<Value> = first_lines(input, limit)?
        .iter()
        .filter_map(|(n, l)| input::read_visit(&schema, *n, l).ok())
        .map(|v| Value::Record(v.record))
        .collect();
    if once.is_empty() {
        return Err(format!("no readable visit in {}", input.display()));
    }
    Ok((0..copies.max(1))
        .flat_map(|_| once.iter().cloned())
        .collect())
}

fn w3(
    pack: &Pack,
    native: &NativeEngine,
    visits: &[Value],
    opts: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<W3, String> {
    let fee_lines: usize = visits
        .iter()
        .filter_map(Value::as_record)
        .map(|r| r.fields[pack.feedetail].as_list().len())
        .sum();
    let rules = pack.active_rules().count();
    let interp = Interpreter::new(pack);
    let prepared: Vec<_> = visits.iter().map(|v| native.prepare(v)).collect();

    progress("W3: check that the engines agree");
    let mut per_rule: HashMap<&str, usize> = HashMap::new();
    let mut findings = 0;
    for (v, p) in visits.iter().zip(&prepared) {
        let (a, b) = (interp.eval_visit(v), native.eval_prepared(p, v));
        if a != b {
            return Err("native code and the interpreter disagree: a bug, please report it".into());
        }
        for (i, o) in a {
            *per_rule.entry(&pack.program.rules[i].id).or_default() += o.hits.len();
            findings += o.hits.len();
        }
    }
    let baseline = handwritten::fits(pack).and_then(|()| {
        let mut interner = handwritten::Interner::default();
        let typed = handwritten::convert(pack, visits, &mut interner);
        let resolved = handwritten::resolve(pack, &interner);
        let params = handwritten::Params::of(pack)?;
        let counts = handwritten::run(&typed, &resolved, &params);
        let rule_ids: Vec<&str> = per_rule.keys().copied().collect();
        for id in rule_ids.iter().chain(counts.keys()) {
            let (want, got) = (per_rule.get(id).copied(), counts.get(id).copied());
            if want.unwrap_or(0) != got.unwrap_or(0) || want.is_none() {
                return Err(format!(
                    "the hand-written rules do not match this pack ({id}: {} findings, hand-written {})",
                    want.unwrap_or(0),
                    got.unwrap_or(0)
                ));
            }
        }
        Ok((typed, resolved, params))
    });

    progress("W3: interpreter");
    let interpreter = best(opts.rounds.min(3), || {
        visits
            .iter()
            .map(|v| interp.eval_visit(v).len())
            .sum::<usize>()
    });
    progress("W3: native code, findings rendered");
    let rendered = best(opts.rounds.min(5), || {
        prepared
            .iter()
            .zip(visits)
            .map(|(p, v)| native.eval_prepared(p, v).len())
            .sum::<usize>()
    });
    progress("W3: native decisions and hand-written code, alternately");
    let mut decided = Vec::new();
    let (mut decide, mut hand) = (Duration::MAX, Duration::MAX);
    for _ in 0..opts.rounds.max(1) {
        decide = decide.min(best(1, || decide_all(native, &prepared, &mut decided)));
        if let Ok((typed, resolved, params)) = &baseline {
            hand = hand.min(best(1, || handwritten::run(typed, resolved, params).len()));
        }
    }
    let (handwritten_ms, handwritten_note) = match &baseline {
        Ok(_) => (Some(ms(hand)), None),
        Err(e) => (None, Some(e.clone())),
    };
    Ok(W3 {
        visits: visits.len(),
        fee_lines,
        rules,
        findings,
        evaluations: fee_lines * rules,
        interpreter_ms: ms(interpreter),
        native_ms: ms(rendered),
        native_decide_ms: ms(decide),
        handwritten_ms,
        handwritten_note,
        native_speedup: ms(interpreter) / ms(rendered),
        native_vs_handwritten: handwritten_ms.map(|h| ms(decide) / h),
    })
}
