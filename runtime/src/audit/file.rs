//! An NDJSON file through a pack, in the order history rules and settlement need.
//!
//! When no active rule reads the patient's history and the run does not settle,
//! the file streams straight through [`run_source`]. Otherwise each patient's
//! visits must reach the workers together: a file grouped by patient streams as it
//! is (its results are held, in memory up to the budget and then in a scratch file
//! ([`Held`]), and copied to the sinks at the end, in case the run finds it is not
//! grouped after all). A file that is not grouped is grouped first
//! ([`crate::group`], spilling to disk past the memory budget), evaluated patient by
//! patient with the visits' input line numbers, and its results are put back in
//! input order ([`Reorder`]) before they are written. Either way the output is
//! the same bytes, in input order. A settler settling in one pass
//! ([`crate::settle::Settler::deferring`]) has the holes of its lines filled as
//! they are copied out at the end.

use super::batch::{Order, Sinks, Source, run_source, write_reordered};
use super::held::Held;
use super::{Summary, input_error_json};
use crate::engine::Engine;
use crate::group::{Options as GroupOptions, Reorder, group_lines};
use crate::history::HistorySource;
use crate::input::Schema;
use crate::input::blocks::BlockReader;
use crate::pack::Pack;
use heng_compiler::source::SourceMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// How to run a file.
pub struct FileRun<'a> {
    pub threads: usize,
    /// Bytes of whole lines handed to a worker at a time.
    pub block_bytes: usize,
    /// Memory for grouping and reordering before spilling to `scratch`.
    pub memory_budget: u64,
    pub scratch: PathBuf,
    /// Earlier visits (a history file), for rules that read history.
    pub history: &'a dyn HistorySource,
}

/// A scratch folder of one run, removed when dropped.
pub(super) struct Scratch(pub(super) PathBuf);

impl Scratch {
    pub(super) fn new(parent: &Path) -> io::Result<Scratch> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = parent.join(format!("heng-run-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An input that can be read only once (a pipe, a FIFO, standard input) copied
/// to a scratch file, removed when dropped: a run may read its input twice (a
/// settlement's first pass for the batch totals; a file found not grouped by
/// patient, read again to group it), and a pipe read twice is empty the second
/// time.
pub struct Spooled {
    _scratch: Scratch,
    /// The copy to run.
    pub path: PathBuf,
}

impl Spooled {
    /// `None` when `path` is a regular file it can open, which is read where it
    /// is; else a copy of all it gives, in a folder of its own under `scratch`.
    /// It is opened once: a named pipe closed unread would lose what its writer
    /// had written.
    pub fn if_needed(path: &Path, scratch: &Path) -> io::Result<Option<Spooled>> {
        let mut input = File::open(path)?;
        if input.metadata()?.is_file() {
            return Ok(None);
        }
        let scratch = Scratch::new(scratch)?;
        let copy = scratch.0.join("input.ndjson");
        let mut out = BufWriter::with_capacity(1 << 20, File::create(&copy)?);
        io::copy(&mut input, &mut out)?;
        out.flush()?;
        Ok(Some(Spooled {
            _scratch: scratch,
            path: copy,
        }))
    }
}

/// Runs the pack over the NDJSON file at `path`; see the module documentation.
#[allow(clippy::too_many_arguments)]
pub fn run_file(
    pack: &Pack,
    engine: &dyn Engine,
    schema: &Schema,
    sources: &SourceMap,
    path: &Path,
    opts: &FileRun,
    sinks: &mut Sinks,
) -> io::Result<Summary> {
    let start = std::time::Instant::now();
    let blocks = |path: &Path| -> io::Result<BlockReader<File>> {
        let file = File::open(path)?;
        let bytes = file.metadata().ok().map(|m| m.len());
        Ok(BlockReader::new(file)
            .mapped()
            .numbered_later()
            .with_expected_bytes(bytes)
            .with_block_bytes(opts.block_bytes)
            .with_patient_boundaries())
    };
    let run = |source: &mut dyn Source, order: Order, sinks: &mut Sinks| {
        run_source(
            pack,
            engine,
            schema,
            sources,
            opts.history,
            source,
            opts.threads,
            order,
            sinks,
        )
    };
    let reads_history = pack
        .active_rules()
        .any(|(_, r)| pack.program.reads_history(r));
    // a first pass of the settlement may have found the input grouped already
    let grouped = sinks
        .settlement
        .as_ref()
        .is_some_and(|s| s.settler.input_grouped());
    if (!reads_history && sinks.settlement.is_none()) || grouped {
        return run(&mut blocks(path)?, Order::default(), sinks);
    }

    // As it comes, stopping at the first sign that it is not grouped.
    let scratch = Scratch::new(&opts.scratch)?;
    // held in memory up to the budget: half for the settlement's lines (the
    // largest), a quarter each for findings and errors
    let quarter = opts.memory_budget / 4;
    let mut f = Held::new(scratch.0.join("findings"), quarter);
    let mut e = Held::new(scratch.0.join("errors"), quarter);
    let mut s = Held::new(scratch.0.join("settlement"), 2 * quarter);
    let first = {
        let settlement = sinks.settlement.as_ref().map(|t| super::Settling {
            settler: t.settler,
            out: &mut s,
        });
        run(
            &mut blocks(path)?,
            Order {
                stop_if_ungrouped: true,
                ..Order::default()
            },
            &mut Sinks {
                findings: &mut f,
                errors: &mut e,
                lang: sinks.lang,
                progress: &mut *sinks.progress,
                settlement,
            },
        )?
    };
    if first.not_grouped.is_none() {
        io::copy(&mut f.read_back()?, sinks.findings)?;
        io::copy(&mut e.read_back()?, sinks.errors)?;
        let mut first = first;
        let mut held = s.read_back()?;
        match (sinks.deferring(), sinks.settlement.as_mut()) {
            (true, _) => sinks.resolve(&mut held, sources, &mut first)?,
            (false, Some(t)) => drop(io::copy(&mut held, t.out)?),
            (false, None) => {}
        }
        return Ok(first);
    }
    drop((f, e, s));

    // Not grouped: group it, keeping each visit's input line number. What the
    // abandoned run added to a first pass's batch totals is forgotten first.
    if let Some(t) = &sinks.settlement {
        t.settler.forget_collected();
    }
    let grouped_path = scratch.0.join("grouped.ndjson");
    let mut numbers: Vec<u64> = Vec::new();
    let mut rejected = Vec::new();
    {
        let mut grouped = BufWriter::new(File::create(&grouped_path)?);
        group_lines(
            File::open(path)?,
            &GroupOptions {
                memory_budget: opts.memory_budget,
                scratch: scratch.0.clone(),
                threads: opts.threads,
            },
            &mut |line, text| {
                numbers.push(line);
                grouped.write_all(text)?;
                grouped.write_all(b"\n")
            },
            &mut |e| {
                rejected.push(e);
                Ok(())
            },
            &mut |_| {},
        )?;
        grouped.flush()?;
    }
    let mut reorder = Reorder::new(&scratch.0, opts.memory_budget)?;
    for e in &rejected {
        let text = format!("\0{}\n", input_error_json(e, sinks.lang));
        reorder.push(e.line, text.into_bytes())?;
    }
    let regrouped = |sinks: &mut Sinks| -> io::Result<Summary> {
        let summary = run(
            &mut blocks(&grouped_path)?,
            Order {
                renumber: Some(&numbers),
                reorder: Some(&mut reorder),
                stop_if_ungrouped: false,
            },
            sinks,
        )?;
        write_reordered(reorder, sinks)?;
        Ok(summary)
    };
    let mut summary = match sinks.deferring() {
        false => regrouped(sinks)?,
        // settling in one pass: the lines held until the totals are known
        true => {
            let late = scratch.0.join("late-settlement");
            let mut held = Held::new(late, opts.memory_budget / 2);
            let mut summary = regrouped(&mut sinks.holding(&mut held))?;
            sinks.resolve(&mut held.read_back()?, sources, &mut summary)?;
            summary
        }
    };
    super::groups::write_groups(pack, sources, &mut summary, sinks)?;
    summary.records_read += rejected.len() as u64;
    summary.rejected += rejected.len() as u64;
    summary.not_grouped = first.not_grouped;
    summary.regrouped = true;
    summary.elapsed = start.elapsed();
    Ok(summary)
}
