//! `heng bench`: the workloads of spec/performance.md, each paired with its
//! baseline in the same run (this machine's speed drifts, so the ratios are what
//! count), one module each: W1 the whole pack over a batch on every thread
//! against one (`w1`), W2 settlement with DIP against W1 (`w2`), W3 evaluation
//! only against the interpreter and hand-written Rust (`w3`, `handwritten`), W4
//! one visit at a time (`w4`), W6 the language server after an edit against the
//! same check called directly (`w6`), W7 the rule-engine peers (`w7`, and
//! `peers` when built with `--features peers`). W5, build (check, compile, load
//! a synthetic item_limits table of many rows: `catalogue`), is timed here in
//! [`run`], which runs them all.

mod catalogue;
mod handwritten;
#[cfg(any(
    feature = "peer-rego",
    feature = "peer-cel",
    feature = "peer-zen",
    feature = "peer-zen-engine"
))]
mod peers;
pub mod w1;
pub mod w2;
pub mod w3;
pub mod w4;
pub mod w6;
pub mod w7;

use crate::native::NativeEngine;
use crate::pack::{self, Pack};
use crate::value::Value;
use crate::{input, table};
use heng_compiler::ir::Scope;
use heng_compiler::source::FileId;
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, Instant};
pub use w1::W1;
pub use w3::W3;
pub use w4::W4;

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
    /// Runs of W1 on every thread and of W2 (the best counts; the median is
    /// reported too): a run of the month takes seconds, and one run can meet a
    /// stall of the machine's disk or a noisy neighbour.
    pub batch_rounds: usize,
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

/// A batch `heng gen` made for the run.
#[derive(Clone, Debug, Serialize)]
pub struct Generated {
    pub scale: Scale,
    pub seed: u64,
    pub visits: u64,
    pub bytes: u64,
    pub seconds: f64,
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

/// Removes a folder when dropped.
struct RemoveOnDrop(std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
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

/// `run` (a result and its seconds) `rounds` times, at least once: the last
/// result, and the best and the median of the times.
fn timed_rounds<T>(
    rounds: usize,
    mut run: impl FnMut() -> Result<(T, f64), String>,
) -> Result<(T, f64, f64), String> {
    let mut seconds = Vec::with_capacity(rounds);
    let mut last = run()?;
    seconds.push(last.1);
    for _ in 1..rounds {
        last = run()?;
        seconds.push(last.1);
    }
    seconds.sort_by(f64::total_cmp);
    let n = seconds.len();
    let median = match n % 2 {
        1 => seconds[n / 2],
        _ => (seconds[n / 2 - 1] + seconds[n / 2]) / 2.0,
    };
    Ok((last.0, seconds[0], median))
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
            let mut w1 = w1::w1(
                pack,
                &loaded.sources,
                path,
                opts.threads,
                opts.batch_rounds,
                &scratch,
            )?;
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
            Some(w2::w2(
                dir,
                path,
                opts.threads,
                opts.batch_rounds,
                &out,
                w1.seconds,
            )?)
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
    let w3 = w3::w3(
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
    let w4 = w4::w4(
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
