//! W1 (performance.md): the whole pack over an NDJSON batch, findings written,
//! as `heng run` does, on every thread and (the baseline) on one, with the peak
//! memory of the first run and a check that both wrote the same bytes.

use super::Generated;
use crate::engine::Engine;
use crate::input;
use crate::native::NativeEngine;
use crate::pack::Pack;
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

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
    /// The best of `rounds` runs on `threads` threads, and their median.
    pub seconds: f64,
    pub rounds: usize,
    pub median_seconds: f64,
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

/// Audits `input` with the native engine on `threads` threads (`rounds` times)
/// and on one, writing findings and errors to `out`, and compares the bytes.
pub fn w1(
    pack: &Pack,
    sources: &heng_compiler::source::SourceMap,
    input: &Path,
    threads: usize,
    rounds: usize,
    out: &Path,
) -> Result<W1, String> {
    let engine = NativeEngine::new(pack);
    let rounds = rounds.max(1);
    reset_peak_rss();
    let (summary, seconds, median_seconds) = super::timed_rounds(rounds, || {
        audit_file(pack, sources, &engine, input, threads, &out.join("n"), None)
            .map(|(summary, seconds, _)| (summary, seconds))
    })?;
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
        rounds,
        median_seconds,
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
pub(super) fn audit_file<'p>(
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
        crate::output::create(p).map_err(|e| format!("cannot write {}: {e}", p.display()))
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
