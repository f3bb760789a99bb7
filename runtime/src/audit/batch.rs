//! The batch driver: a whole input through the pack on several threads, results
//! written in input order.
//!
//! The calling thread reads the input in parts (NDJSON in blocks of whole lines,
//! CSV as the visits its rows make) and writes results; `threads` workers, alive
//! for the whole run, split, parse, evaluate and render a part each, a few parts
//! ahead of the writer. **Invariant:** the bytes written do not depend on the
//! number of threads.

use super::{Regrouped, RuleTotals, Summary, input_error_json};
use crate::engine::Engine;
use crate::group::Reorder;
use crate::history::{HistorySource, NoHistory, TimeFields};
use crate::input::blocks::{Block, BlockReader, Chunk};
use crate::input::{InputError, Schema, VisitIds};
use crate::pack::Pack;
use crate::settle::Settler;
use crate::value::SmolStr;
use heng_compiler::diagnostic::Lang;
use heng_compiler::source::SourceMap;
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::sync::{Mutex, mpsc};

mod job;
use job::{Done, Job, Repeats, Worked};

/// Where a batch run writes.
pub struct Sinks<'a> {
    pub findings: &'a mut dyn Write,
    pub errors: &'a mut dyn Write,
    pub lang: Lang,
    /// Called with the number of input bytes consumed so far.
    pub progress: &'a mut dyn FnMut(u64),
    /// When the run settles visits: the settler and where its lines go.
    pub settlement: Option<Settling<'a>>,
}

impl Sinks<'_> {
    /// Whether the run settles in one pass, its lines' holes filled at the end
    /// ([`Settler::deferring`]).
    pub(super) fn deferring(&self) -> bool {
        self.settlement
            .as_ref()
            .is_some_and(|t| t.settler.deferring())
    }

    /// These sinks, the settlement's lines going to `held` instead.
    pub(super) fn holding<'b>(&'b mut self, held: &'b mut dyn Write) -> Sinks<'b> {
        Sinks {
            findings: &mut *self.findings,
            errors: &mut *self.errors,
            lang: self.lang,
            progress: &mut *self.progress,
            settlement: self.settlement.as_ref().map(|t| Settling {
                settler: t.settler,
                out: held,
            }),
        }
    }

    /// The settlement's lines `held` while the run went, written out with their
    /// holes filled ([`Settler::resolve`]).
    pub(super) fn resolve(
        &mut self,
        held: &mut (dyn std::io::BufRead + Send),
        sources: &SourceMap,
        summary: &mut Summary,
    ) -> std::io::Result<()> {
        match self.settlement.as_mut() {
            Some(t) => t
                .settler
                .resolve(held, t.out, self.errors, sources, self.lang, summary),
            None => Ok(()),
        }
    }
}

/// Settlement in a batch run: one line per evaluated visit, in input order.
pub struct Settling<'a> {
    pub settler: &'a Settler<'a>,
    pub out: &'a mut dyn Write,
}

/// How a run treats the order of its input.
#[derive(Default)]
pub struct Order<'a> {
    /// The input line number of each line of the source (line `n` is
    /// `renumber[n - 1]`), when the source is a regrouped copy of the input.
    pub renumber: Option<&'a [u64]>,
    /// Results go through this to be written in input-line order at the end
    /// (findings, a NUL byte, then errors, per line), when the source is regrouped.
    pub reorder: Option<&'a mut Reorder>,
    /// Stop at the first visit that shows the input is not grouped by patient (the
    /// summary's `not_grouped` says where); what was written is then incomplete.
    pub stop_if_ungrouped: bool,
}

/// Parts read ahead of the one being written, per worker.
const AHEAD: usize = 4;

/// A worker's share of the input.
pub enum Part {
    /// Whole NDJSON lines.
    Block(Block),
    /// A line that cannot be read (too long, or cut short by an I/O error).
    Unread(InputError),
}

impl Part {
    /// Lines the part stands for (see [`Source::numbers_lines`]).
    fn line_count(&self) -> u64 {
        match self {
            Part::Block(block) => block.line_count(),
            Part::Unread(_) => 1,
        }
    }

    /// Numbers the part's lines from `first`.
    fn number_from(&mut self, first: u64) {
        match self {
            Part::Block(block) => block.first_line = first,
            Part::Unread(e) => e.line = first,
        }
    }

    /// Every visit's text with its line number, or why a line has none.
    fn lines(&self) -> Box<dyn Iterator<Item = Result<(u64, &str), InputError>> + '_> {
        match self {
            Part::Block(block) => Box::new(block.lines()),
            Part::Unread(e) => Box::new(std::iter::once(Err(e.clone()))),
        }
    }
}

/// Where a batch's visits come from, a part at a time.
pub trait Source {
    /// The next part, `None` at the end.
    fn next_part(&mut self) -> Option<Part>;
    /// Input bytes consumed so far, for progress.
    fn bytes_read(&self) -> u64;
    /// The input's size, when known: the batch sizes its map of visit ids once
    /// from it and the first part (rehashing it as it grows costs the reading
    /// thread about half a second of a month).
    fn bytes_expected(&self) -> Option<u64> {
        None
    }
    /// The I/O error that ended the input, if one did.
    fn io_error(&self) -> Option<&std::io::Error>;
    /// Whether parts come with their line numbers; else each is numbered by the
    /// worker that takes it, from the parts before it ([`Numbering`]).
    fn numbers_lines(&self) -> bool {
        true
    }
}

/// Line numbers handed from part to part in input order, when the source leaves
/// numbering to the workers: each counts its part's lines, waits for the parts
/// before it to be counted, and hands on where the next begins. A worker
/// counting lines reads the bytes it is about to parse; the reading thread
/// counting them would be the first to read them from memory, a twentieth of a
/// month's time on that thread.
struct Numbering {
    /// The next part to number and its first line.
    next: Mutex<(u64, u64)>,
    turn: std::sync::Condvar,
}

impl Numbering {
    fn new() -> Numbering {
        Numbering {
            next: Mutex::new((0, 1)),
            turn: std::sync::Condvar::new(),
        }
    }

    /// Numbers part `seq` once every part before it is numbered. Parts are taken
    /// in order and each is numbered before anything else is done with it, so
    /// the parts before are always being numbered by someone.
    fn number(&self, seq: u64, part: &mut Part) {
        let lines = part.line_count();
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        while next.0 != seq {
            next = self.turn.wait(next).unwrap_or_else(|e| e.into_inner());
        }
        part.number_from(next.1);
        *next = (seq + 1, next.1 + lines);
        self.turn.notify_all();
    }
}

impl<R: Read> Source for BlockReader<R> {
    fn next_part(&mut self) -> Option<Part> {
        Some(match self.next_chunk()? {
            Chunk::Block(block) => Part::Block(block),
            Chunk::Error(e) => Part::Unread(e),
        })
    }
    fn bytes_read(&self) -> u64 {
        BlockReader::bytes_read(self)
    }
    fn bytes_expected(&self) -> Option<u64> {
        BlockReader::bytes_expected(self)
    }
    fn io_error(&self) -> Option<&std::io::Error> {
        BlockReader::io_error(self)
    }
    fn numbers_lines(&self) -> bool {
        BlockReader::numbers_lines(self)
    }
}

/// Runs the pack over an NDJSON input. Output order does not depend on `threads`.
pub fn run_batch<R: Read>(
    pack: &Pack,
    engine: &dyn Engine,
    schema: &Schema,
    sources: &SourceMap,
    input: R,
    threads: usize,
    sinks: &mut Sinks,
) -> std::io::Result<Summary> {
    let mut blocks = BlockReader::new(input)
        .with_patient_boundaries()
        .numbered_later();
    let mut run = |sinks: &mut Sinks| {
        run_source(
            pack,
            engine,
            schema,
            sources,
            &NoHistory,
            &mut blocks,
            threads,
            Order::default(),
            sinks,
        )
    };
    if !sinks.deferring() {
        return run(sinks);
    }
    // settling in one pass: the lines held until the totals are known
    let mut held = Vec::new();
    let mut summary = run(&mut sinks.holding(&mut held))?;
    sinks.resolve(&mut held.as_slice(), sources, &mut summary)?;
    Ok(summary)
}

/// Runs the pack over the parts of any [`Source`]. Output order does not depend on
/// `threads`. When a rule reads history, each visit is evaluated with the patient's
/// earlier visits from `history` and the patient's visits in the same part (a whole
/// patient, when the input is grouped by patient).
#[allow(clippy::too_many_arguments)]
pub fn run_source(
    pack: &Pack,
    engine: &dyn Engine,
    schema: &Schema,
    sources: &SourceMap,
    history: &dyn HistorySource,
    reader: &mut dyn Source,
    threads: usize,
    mut order: Order,
    sinks: &mut Sinks,
) -> std::io::Result<Summary> {
    let start = std::time::Instant::now();
    let mut ids = VisitIds::default();
    let mut patients = PatientOrder::default();
    let mut summary = Summary {
        rules: vec![RuleTotals::default(); pack.program.rules.len()],
        ..Summary::default()
    };
    let threads = threads.max(1);
    let lang = sinks.lang;
    let (job_tx, job_rx) = mpsc::channel::<(u64, Part)>();
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<(u64, Part, Worked)>();
    let with_history = pack
        .active_rules()
        .any(|(_, r)| pack.program.reads_history(r))
        .then_some(history);
    let task = Job {
        group_rules: pack.group_rules().map(|(i, _)| i).collect(),
        audits: pack.visit_rules().next().is_some(),
        pack,
        engine,
        schema,
        sources,
        lang,
        history: with_history,
        times: TimeFields::of(&pack.program),
        renumber: order.renumber,
        settler: sinks.settlement.as_ref().map(|s| s.settler),
    };
    let numbering = (!reader.numbers_lines()).then(Numbering::new);
    let numbering = numbering.as_ref();
    std::thread::scope(|s| -> std::io::Result<()> {
        for _ in 0..threads {
            let (job_rx, done_tx, task) = (&job_rx, done_tx.clone(), &task);
            s.spawn(move || {
                loop {
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((seq, mut part)) = job else { return };
                    if let Some(numbering) = numbering {
                        numbering.number(seq, &mut part);
                    }
                    let worked = task.work(&part, &Repeats::default());
                    if done_tx.send((seq, part, worked)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let (mut sent, mut written) = (0u64, 0u64);
        let mut waiting: BTreeMap<u64, (Part, Worked)> = BTreeMap::new();
        let (mut eof, mut stopped) = (false, false);
        loop {
            while !eof && sent - written < (threads * AHEAD) as u64 {
                let Some(part) = reader.next_part() else {
                    eof = true;
                    break;
                };
                if job_tx.send((sent, part)).is_err() {
                    return Err(std::io::Error::other("the evaluation threads stopped"));
                }
                sent += 1;
            }
            if written == sent {
                break;
            }
            while !waiting.contains_key(&written) {
                let Ok((seq, part, worked)) = done_rx.recv() else {
                    return Err(std::io::Error::other("the evaluation threads stopped"));
                };
                waiting.insert(seq, (part, worked));
            }
            if let Some((part, mut worked)) = waiting.remove(&written)
                && !stopped
            {
                // the visit-id map sized once, for the visits the input's size
                // and the first part's visits per byte promise
                if written == 0
                    && let (Some(total), Part::Block(first)) = (reader.bytes_expected(), &part)
                {
                    let visits = worked.done.len() as u64 * total / first.text.len().max(1) as u64;
                    let visits = usize::try_from(visits.min(1 << 28)).unwrap_or(0);
                    ids.expect(visits);
                }
                // a visit repeating one of an earlier part is rejected; the part
                // is evaluated again without it, so that it moves no accumulator
                // and is in no patient's history (rare: the ids of bad data)
                let repeats = claim(&mut ids, &worked.done);
                if !repeats.is_empty() {
                    worked = task.work(&part, &repeats);
                }
                if let Some(settler) = task.settler {
                    settler.add_totals(&worked.totals);
                }
                let mut out = Out {
                    sinks: &mut *sinks,
                    reorder: order.reorder.as_deref_mut(),
                };
                write_part(worked.done, &mut patients, &mut summary, &mut out)?;
                if order.stop_if_ungrouped && patients.regrouped.is_some() {
                    // the rest is read and dropped; the caller starts over grouped
                    stopped = true;
                    eof = true;
                }
            }
            written += 1;
            (sinks.progress)(reader.bytes_read());
        }
        drop(job_tx);
        Ok(())
    })?;
    if let Some(e) = reader.io_error() {
        return Err(std::io::Error::new(e.kind(), e.to_string()));
    }
    summary.patients = patients.first_line.len() as u64;
    summary.not_grouped = patients.regrouped;
    if order.reorder.is_none() && !stopped_early(&order, &summary) {
        // indicators follow every visit finding; with a reorder the caller writes
        // them after the reordered visits
        super::groups::write_groups(pack, sources, &mut summary, sinks)?;
    }
    summary.elapsed = start.elapsed();
    Ok(summary)
}

/// Whether a run stopped at input not grouped by patient (its output is dropped).
fn stopped_early(order: &Order, summary: &Summary) -> bool {
    order.stop_if_ungrouped && summary.not_grouped.is_some()
}

/// Whether the visits come grouped by patient, watched in input order.
#[derive(Default)]
struct PatientOrder {
    /// Per patient, the line of the first visit.
    first_line: HashMap<SmolStr, u64, foldhash::fast::RandomState>,
    current: Option<SmolStr>,
    regrouped: Option<Regrouped>,
}

impl PatientOrder {
    fn visit(&mut self, line: u64, psn_no: &SmolStr) {
        if self.current.as_ref() == Some(psn_no) {
            return;
        }
        match self.first_line.get(psn_no) {
            Some(&first_line) => {
                self.regrouped.get_or_insert_with(|| Regrouped {
                    line,
                    psn_no: psn_no.to_string(),
                    first_line,
                });
            }
            None => {
                self.first_line.insert(psn_no.clone(), line);
            }
        }
        self.current = Some(psn_no.clone());
    }
}

/// The visits of `done` whose ids `ids` (the earlier parts') hold; the ids of
/// the others are noted in `ids`.
fn claim(ids: &mut VisitIds, done: &[Done]) -> Repeats {
    done.iter()
        .filter_map(|d| match d {
            Done::Evaluated { line, mdtrt_id, .. } => ids.accept(*line, mdtrt_id).err(),
            Done::Rejected(_) => None,
        })
        .map(|e| (e.line, e))
        .collect()
}

/// Where written results go: the sinks, or a reorder that writes them to the
/// sinks in input-line order at the end.
struct Out<'s, 'a, 'r> {
    sinks: &'s mut Sinks<'a>,
    reorder: Option<&'r mut Reorder>,
}

impl Out<'_, '_, '_> {
    /// Writes one line's findings, errors and settlement.
    fn write(&mut self, line: u64, parts: [&[u8]; 3]) -> std::io::Result<()> {
        match self.reorder.as_deref_mut() {
            Some(r) => r.push(line, parts.join(&0u8)),
            None => write_parts(self.sinks, parts),
        }
    }
}

/// Writes what a [`Reorder`] holds (see [`Order::reorder`]) to the sinks.
/// Each held entry is findings, errors and settlement separated by NUL bytes (the
/// later parts may be missing).
pub fn write_reordered(reorder: Reorder, sinks: &mut Sinks) -> std::io::Result<()> {
    reorder.finish(&mut |_, held| {
        let mut parts = held.split(|&b| b == 0);
        let mut next = || parts.next().unwrap_or_default();
        write_parts(sinks, [next(), next(), next()])
    })
}

/// Findings, errors and settlement of one line to their sinks.
fn write_parts(sinks: &mut Sinks, [findings, errors, settled]: [&[u8]; 3]) -> std::io::Result<()> {
    sinks.findings.write_all(findings)?;
    sinks.errors.write_all(errors)?;
    match sinks.settlement.as_mut() {
        Some(s) => s.out.write_all(settled),
        None => Ok(()),
    }
}

/// Writes a part's results in input order, counting them in `summary`.
fn write_part(
    done: Vec<Done>,
    patients: &mut PatientOrder,
    summary: &mut Summary,
    out: &mut Out,
) -> std::io::Result<()> {
    for d in done {
        summary.records_read += 1;
        match d {
            Done::Rejected(e) => {
                summary.rejected += 1;
                let text = input_error_json(&e, out.sinks.lang) + "\n";
                out.write(e.line, [b"", text.as_bytes(), b""])?;
            }
            Done::Evaluated {
                line,
                psn_no,
                fee_lines,
                totals,
                findings,
                failures,
                failure_count,
                groups,
                settlement,
                ..
            } => {
                summary.evaluated += 1;
                summary.settled += u64::from(!settlement.is_empty());
                for g in groups {
                    summary.groups.add(g);
                }
                summary.fee_lines += fee_lines;
                patients.visit(line, &psn_no);
                out.write(
                    line,
                    [
                        findings.as_bytes(),
                        failures.as_bytes(),
                        settlement.as_bytes(),
                    ],
                )?;
                summary.eval_errors += failure_count;
                for (rule, severity, amount) in totals {
                    let t = &mut summary.rules[rule];
                    let sev = (severity as usize).min(2);
                    t.count[sev] += 1;
                    t.amount[sev] += amount;
                    summary.findings += 1;
                    summary.amount += amount;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Parts numbered by workers, taken in order by several threads that number
    /// them out of step, get the numbers the reader gives them: blocks, blank
    /// lines, a last line without a break, and lines too long to keep.
    #[test]
    fn workers_number_parts_as_the_reader_would() {
        let mut input = String::new();
        for i in 0..300 {
            match i % 37 {
                5 => input.push_str(&"x".repeat(300)),
                9 => input.push_str("  "),
                _ => input.push_str(&format!(r#"{{"psn_no":"P{}","mdtrt_id":"V{i}"}}"#, i / 3)),
            }
            input.push_str(if i % 2 == 0 { "\n" } else { "\r\n" });
        }
        input.push_str("{\"last\":1}");
        let reader = |later: bool| {
            let r = BlockReader::new(input.as_bytes())
                .with_block_bytes(100)
                .with_max_line_bytes(200)
                .with_patient_boundaries();
            if later { r.numbered_later() } else { r }
        };
        let numbers = |part: &Part| match part {
            Part::Block(b) => (b.first_line, b.text.len()),
            Part::Unread(e) => (e.line, 0),
        };
        let mut want = Vec::new();
        let mut by_reader = reader(false);
        while let Some(part) = by_reader.next_part() {
            want.push(numbers(&part));
        }
        assert!(want.iter().any(|&(_, len)| len == 0), "a line too long");

        let mut later = reader(true);
        assert!(!later.numbers_lines());
        let numbering = Numbering::new();
        let (tx, rx) = mpsc::channel::<(u64, Part)>();
        let rx = Mutex::new(rx);
        let got = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for t in 0..3u64 {
                let (rx, got, numbering) = (&rx, &got, &numbering);
                s.spawn(move || {
                    loop {
                        let job = rx.lock().unwrap().recv();
                        let Ok((seq, mut part)) = job else { return };
                        // out of step: some threads take longer than others
                        std::thread::sleep(std::time::Duration::from_micros((seq * 7 + t) % 5));
                        numbering.number(seq, &mut part);
                        got.lock().unwrap().push((seq, numbers(&part)));
                    }
                });
            }
            let mut seq = 0;
            while let Some(part) = later.next_part() {
                tx.send((seq, part)).unwrap();
                seq += 1;
            }
            drop(tx);
        });
        let mut got = got.into_inner().unwrap();
        got.sort();
        let got: Vec<_> = got.into_iter().map(|(_, n)| n).collect();
        assert_eq!(got, want);
    }
}
