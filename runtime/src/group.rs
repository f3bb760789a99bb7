//! Grouping a batch by patient: every visit of a patient together and in time
//! order (begntime; ties, and visits without a readable begntime, in input order),
//! patients in the order of their first visit in the input. This is the order
//! history rules need (spec/stdlib.md: a patient's history is ordered by
//! begntime, ties in input order), and the order in which a batch streams with
//! memory bounded by its largest patient.
//!
//! Input of any size: visits are held up to a memory budget, then sorted runs are
//! spilled to a scratch folder and merged at the end (an external merge sort), so
//! memory stays near the budget whatever the batch size. Only `psn_no` and
//! `begntime` are read from each line (`input::top_level_strings`), on every
//! thread; lines are written back byte for byte. A line whose `psn_no` cannot be
//! read is kept as a patient of its own, at its place (auditing rejects it with
//! the reason); a line that is not text or too long becomes an error record.
//! **Invariant:** lines read = lines written + lines rejected.

use crate::input::blocks::{Block, BlockReader, Chunk};
use crate::input::{InputError, parse_datetime, top_level_strings};
use std::collections::{BinaryHeap, HashMap};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// How to group.
#[derive(Clone, Debug)]
pub struct Options {
    /// Bytes of visits held in memory before a sorted run is spilled to disk.
    pub memory_budget: u64,
    /// Folder for spilled runs (created if needed; the runs are removed after).
    pub scratch: PathBuf,
    /// Threads reading `psn_no` and `begntime`.
    pub threads: usize,
}

/// What grouping did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct GroupSummary {
    /// Non-blank input lines.
    pub lines_read: u64,
    pub lines_written: u64,
    /// Lines that are not text or too long (written as error records).
    pub lines_rejected: u64,
    /// Distinct `psn_no`s, plus lines without a readable one.
    pub patients: u64,
    /// Lines whose `psn_no` could not be read, each kept as its own patient.
    pub without_patient: u64,
    /// Visits of the patient with the most.
    pub largest_patient: u64,
    /// Sorted runs spilled to disk (0: the batch fit the budget).
    pub runs_spilled: usize,
    pub bytes_spilled: u64,
}

/// The memory budget when none is given: a quarter of the memory available
/// as the run starts (Linux's `MemAvailable`), between 256 MiB and 4 GiB; 1 GiB
/// where that cannot be read. A machine with memory to spare spills nothing a
/// month's run holds (its 2 GB of settlement lines fit half of 4 GiB); a small
/// one spills sooner rather than swapping.
pub fn default_memory_budget() -> u64 {
    budget_for(
        std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| mem_available(&m)),
    )
}

fn budget_for(available: Option<u64>) -> u64 {
    available.map_or(1 << 30, |a| (a / 4).clamp(256 << 20, 4 << 30))
}

/// `MemAvailable` of a `/proc/meminfo` text, in bytes.
fn mem_available(meminfo: &str) -> Option<u64> {
    let kib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?
        .trim()
        .strip_suffix("kB")?;
    kib.trim().parse::<u64>().ok()?.checked_mul(1024)
}

/// A visit's place in the grouped order, and its line.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    /// Input line number of the patient's first visit: patients in input order.
    first: u64,
    /// begntime in seconds (`i64::MIN` when unreadable: first, in input order).
    time: i64,
    /// The visit's own input line number: ties in input order.
    line: u64,
    text: Vec<u8>,
}

/// Memory an entry is charged against the budget (the text and its bookkeeping).
fn charge(e: &Entry) -> u64 {
    e.text.len() as u64 + 48
}

/// One line's keys, read on a worker thread.
enum Keyed {
    Visit {
        line: u64,
        psn_no: Option<String>,
        time: i64,
        text: Vec<u8>,
    },
    Rejected(InputError),
}

fn key_block(block: &Block) -> Vec<Keyed> {
    block
        .lines()
        .map(|l| match l {
            Err(e) => Keyed::Rejected(e),
            Ok((line, text)) => {
                let keys = top_level_strings(text, &["psn_no", "begntime"]);
                let (psn_no, begntime) = match keys.as_deref() {
                    Some([psn, begn]) => (psn.clone(), begn.clone()),
                    _ => (None, None),
                };
                Keyed::Visit {
                    line,
                    psn_no: psn_no.filter(|p| !p.trim().is_empty()),
                    time: begntime
                        .and_then(|t| parse_datetime(&t))
                        .map_or(i64::MIN, |t| t.and_utc().timestamp()),
                    text: text.as_bytes().to_vec(),
                }
            }
        })
        .collect()
}

/// Groups the NDJSON `input` by patient into `out`; errors of lines that cannot be
/// read go to `errors` (one JSON object per line). `progress` hears the input
/// bytes read so far.
pub fn group(
    input: impl Read,
    opts: &Options,
    out: &mut dyn Write,
    errors: &mut dyn FnMut(InputError) -> io::Result<()>,
    progress: &mut dyn FnMut(u64),
) -> io::Result<GroupSummary> {
    let mut write = |_line: u64, text: &[u8]| -> io::Result<()> {
        out.write_all(text)?;
        out.write_all(b"\n")
    };
    group_lines(input, opts, &mut write, errors, progress)
}

/// [`group`], handing each visit's line to `out` with its input line number.
pub fn group_lines(
    input: impl Read,
    opts: &Options,
    out: &mut dyn FnMut(u64, &[u8]) -> io::Result<()>,
    errors: &mut dyn FnMut(InputError) -> io::Result<()>,
    progress: &mut dyn FnMut(u64),
) -> io::Result<GroupSummary> {
    let mut summary = GroupSummary::default();
    let mut blocks = BlockReader::new(input);
    // per patient: the line of the first visit, and the number of visits
    let mut patients: HashMap<String, (u64, u64), foldhash::fast::RandomState> = HashMap::default();
    let mut held: Vec<Entry> = Vec::new();
    let mut held_bytes = 0u64;
    let mut runs = Runs::new(&opts.scratch)?;
    let threads = opts.threads.max(1);
    let mut eof = false;
    while !eof {
        // a few blocks at a time, keyed on every thread, taken in input order
        let mut batch = Vec::new();
        let mut failed = Vec::new();
        while batch.len() < 2 * threads {
            match blocks.next_chunk() {
                Some(Chunk::Block(b)) => batch.push(b),
                Some(Chunk::Error(e)) => {
                    failed.push(e);
                    break;
                }
                None => {
                    eof = true;
                    break;
                }
            }
        }
        let keyed: Vec<Vec<Keyed>> = std::thread::scope(|s| {
            let chunk = batch.len().div_ceil(threads).max(1);
            let handles: Vec<_> = batch
                .chunks(chunk)
                .map(|part| s.spawn(move || part.iter().flat_map(key_block).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().map_err(|_| {
                        io::Error::other("internal error: a thread reading patients failed")
                    })
                })
                .collect::<io::Result<_>>()
        })?;
        let from_errors = failed.into_iter().map(Keyed::Rejected);
        for k in keyed.into_iter().flatten().chain(from_errors) {
            summary.lines_read += 1;
            match k {
                Keyed::Rejected(e) => {
                    summary.lines_rejected += 1;
                    errors(e)?;
                }
                Keyed::Visit {
                    line,
                    psn_no,
                    time,
                    text,
                } => {
                    let first = match psn_no {
                        Some(p) => {
                            let (first, count) = patients.entry(p).or_insert((line, 0));
                            *count += 1;
                            *first
                        }
                        None => {
                            summary.without_patient += 1;
                            line
                        }
                    };
                    let entry = Entry {
                        first,
                        time,
                        line,
                        text,
                    };
                    held_bytes += charge(&entry);
                    held.push(entry);
                }
            }
            if held_bytes > opts.memory_budget {
                runs.spill(&mut held)?;
                held_bytes = 0;
                if runs.count >= MAX_RUNS {
                    runs.compact(opts.memory_budget)?;
                }
            }
        }
        progress(blocks.bytes_read());
    }
    if let Some(e) = blocks.io_error() {
        return Err(io::Error::new(e.kind(), e.to_string()));
    }
    summary.patients = patients.len() as u64 + summary.without_patient;
    summary.largest_patient = patients
        .values()
        .map(|&(_, n)| n)
        .max()
        .unwrap_or(0)
        .max(u64::from(summary.without_patient > 0));
    drop(patients);
    let mut write = |e: &Entry| out(e.line, &e.text);
    if runs.count == 0 {
        held.sort_unstable();
        for e in &held {
            write(e)?;
        }
        summary.lines_written = held.len() as u64;
    } else {
        runs.spill(&mut held)?;
        summary.lines_written = runs.merge(opts.memory_budget, &mut write)?;
    }
    summary.runs_spilled = runs.total;
    summary.bytes_spilled = runs.bytes;
    Ok(summary)
}

/// Byte strings put back in the order of a key (an input line number), held up to
/// a memory budget and spilled as sorted runs beyond it, like [`group`]'s visits.
pub struct Reorder {
    runs: Runs,
    held: Vec<Entry>,
    held_bytes: u64,
    budget: u64,
}

impl Reorder {
    pub fn new(scratch: &Path, budget: u64) -> io::Result<Reorder> {
        Ok(Reorder {
            runs: Runs::new(scratch)?,
            held: Vec::new(),
            held_bytes: 0,
            budget,
        })
    }

    /// Holds `text` under key `line` (keys are distinct).
    pub fn push(&mut self, line: u64, text: Vec<u8>) -> io::Result<()> {
        let entry = Entry {
            first: line,
            time: 0,
            line,
            text,
        };
        self.held_bytes += charge(&entry);
        self.held.push(entry);
        if self.held_bytes > self.budget {
            self.runs.spill(&mut self.held)?;
            self.held_bytes = 0;
            if self.runs.count >= MAX_RUNS {
                self.runs.compact(self.budget)?;
            }
        }
        Ok(())
    }

    /// Hands every text to `write` in key order.
    pub fn finish(mut self, write: &mut dyn FnMut(u64, &[u8]) -> io::Result<()>) -> io::Result<()> {
        let mut each = |e: &Entry| write(e.line, &e.text);
        if self.runs.count == 0 {
            self.held.sort_unstable();
            self.held.iter().try_for_each(&mut each)
        } else {
            self.runs.spill(&mut self.held)?;
            self.runs.merge(self.budget, &mut each).map(|_| ())
        }
    }
}

/// Runs merged at once at most (open files, read buffers); more are first merged
/// into one.
const MAX_RUNS: usize = 128;

/// Sorted runs spilled to a scratch folder, removed when dropped.
struct Runs {
    dir: PathBuf,
    /// Runs on disk now.
    count: usize,
    /// Runs written (merged ones included), and their bytes.
    total: usize,
    bytes: u64,
}

impl Runs {
    fn new(scratch: &Path) -> io::Result<Runs> {
        // one folder per grouping, even for several at once in one process
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = scratch.join(format!("heng-group-{}-{n}", std::process::id()));
        Ok(Runs {
            dir,
            count: 0,
            total: 0,
            bytes: 0,
        })
    }

    fn path(&self, run: usize) -> PathBuf {
        self.dir.join(format!("run-{run:05}"))
    }

    /// Sorts the held entries and writes them as the next run.
    fn spill(&mut self, held: &mut Vec<Entry>) -> io::Result<()> {
        held.sort_unstable();
        std::fs::create_dir_all(&self.dir)?;
        let mut w =
            BufWriter::with_capacity(1 << 20, std::fs::File::create(self.path(self.count))?);
        for e in held.drain(..) {
            self.bytes += write_entry(&mut w, &e)?;
        }
        w.flush()?;
        self.count += 1;
        self.total += 1;
        Ok(())
    }

    /// Merges every run into one.
    fn compact(&mut self, budget: u64) -> io::Result<()> {
        let merged = self.dir.join("merged");
        let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&merged)?);
        let mut bytes = 0;
        self.merge(budget, &mut |e| {
            bytes += write_entry(&mut w, e)?;
            Ok(())
        })?;
        w.flush()?;
        for r in 0..self.count {
            std::fs::remove_file(self.path(r))?;
        }
        std::fs::rename(&merged, self.path(0))?;
        self.count = 1;
        self.bytes += bytes;
        Ok(())
    }

    /// Merges every run in order into `write`; returns the entries written. Read
    /// buffers share the budget.
    fn merge(
        &self,
        budget: u64,
        write: &mut dyn FnMut(&Entry) -> io::Result<()>,
    ) -> io::Result<u64> {
        let buffer = (budget as usize / self.count.max(1)).clamp(4 << 10, 1 << 20);
        let mut readers = (0..self.count)
            .map(|r| std::fs::File::open(self.path(r)).map(|f| BufReader::with_capacity(buffer, f)))
            .collect::<io::Result<Vec<_>>>()?;
        let mut heap = BinaryHeap::new();
        for (r, reader) in readers.iter_mut().enumerate() {
            if let Some(e) = read_entry(reader)? {
                heap.push(std::cmp::Reverse((e, r)));
            }
        }
        let mut written = 0;
        while let Some(std::cmp::Reverse((e, r))) = heap.pop() {
            write(&e)?;
            written += 1;
            if let Some(next) = read_entry(&mut readers[r])? {
                heap.push(std::cmp::Reverse((next, r)));
            }
        }
        Ok(written)
    }
}

/// Writes an entry of a run; returns its size.
fn write_entry(w: &mut impl Write, e: &Entry) -> io::Result<u64> {
    w.write_all(&e.first.to_le_bytes())?;
    w.write_all(&e.time.to_le_bytes())?;
    w.write_all(&e.line.to_le_bytes())?;
    w.write_all(&(e.text.len() as u64).to_le_bytes())?;
    w.write_all(&e.text)?;
    Ok(32 + e.text.len() as u64)
}

impl Drop for Runs {
    fn drop(&mut self) {
        if self.count > 0 {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The next entry of a run, `None` at its end.
fn read_entry(r: &mut impl Read) -> io::Result<Option<Entry>> {
    let mut word = [0u8; 8];
    match r.read_exact(&mut word) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let first = u64::from_le_bytes(word);
    let mut next = || -> io::Result<u64> {
        r.read_exact(&mut word)?;
        Ok(u64::from_le_bytes(word))
    };
    let time = next()? as i64;
    let line = next()?;
    let len = next()? as usize;
    let mut text = vec![0; len];
    r.read_exact(&mut text)?;
    Ok(Some(Entry {
        first,
        time,
        line,
        text,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_default_budget_is_a_quarter_of_the_memory_available_within_bounds() {
        let meminfo =
            |kib: u64| format!("MemTotal: 99 kB\nMemFree: 1 kB\nMemAvailable: {kib:>12} kB\n");
        let gib = 1u64 << 30;
        assert_eq!(mem_available(&meminfo(24 << 20)), Some(24 * gib));
        assert_eq!(budget_for(mem_available(&meminfo(8 << 20))), 2 * gib);
        assert_eq!(
            budget_for(mem_available(&meminfo(64 << 20))),
            4 * gib,
            "at most 4 GiB"
        );
        assert_eq!(
            budget_for(mem_available(&meminfo(512 << 10))),
            256 << 20,
            "at least 256 MiB"
        );
        assert_eq!(mem_available("MemTotal: 99 kB\n"), None);
        assert_eq!(budget_for(None), gib, "1 GiB when unknown");
    }

    /// What grouping must produce: a stable sort by (the patient's first line,
    /// begntime, line), lines without a patient on their own.
    fn expected(lines: &[String]) -> Vec<String> {
        let mut first: HashMap<String, usize> = HashMap::new();
        let mut keyed: Vec<(usize, i64, usize, &String)> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let keys =
                    top_level_strings(l, &["psn_no", "begntime"]).unwrap_or(vec![None, None]);
                let f = match &keys[0] {
                    Some(p) if !p.trim().is_empty() => *first.entry(p.clone()).or_insert(i),
                    _ => i,
                };
                let t = keys[1]
                    .as_deref()
                    .and_then(parse_datetime)
                    .map_or(i64::MIN, |t| t.and_utc().timestamp());
                (f, t, i, l)
            })
            .collect();
        keyed.sort();
        keyed.into_iter().map(|(.., l)| l.clone()).collect()
    }

    fn run(lines: &[String], budget: u64) -> (Vec<String>, GroupSummary) {
        let input = lines.join("\n");
        let mut out = Vec::new();
        let opts = Options {
            memory_budget: budget,
            scratch: std::env::temp_dir().join("heng-group-tests"),
            threads: 2,
        };
        let summary = group(
            input.as_bytes(),
            &opts,
            &mut out,
            &mut |_| Ok(()),
            &mut |_| {},
        )
        .expect("groups");
        let text = String::from_utf8(out).expect("utf-8");
        (text.lines().map(str::to_owned).collect(), summary)
    }

    fn visit() -> impl Strategy<Value = String> {
        (
            prop::option::weighted(0.9, 0..6u8),
            prop::option::weighted(0.9, (1..4u8, 0..3u8)),
            0..3u8,
        )
            .prop_map(|(psn, time, shape)| {
                let psn = psn.map_or("null".into(), |p| format!("\"P{p}\""));
                let begn = time.map_or("null".into(), |(d, h)| {
                    // two formats of the same instant sort together
                    let sep = if h % 2 == 0 { 'T' } else { ' ' };
                    format!("\"2026-10-0{d}{sep}0{h}:00:00\"")
                });
                match shape {
                    0 => format!(
                        "{{\"psn_no\":{psn},\"begntime\":{begn},\"x\":[1,{{\"psn_no\":\"Z\"}}]}}"
                    ),
                    1 => format!("{{\"begntime\": {begn} , \"psn_no\" : {psn}}}"),
                    _ => "{not json".to_string(),
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn grouping_is_a_stable_sort_by_patient_then_time_in_memory_or_spilled(
            lines in prop::collection::vec(visit(), 0..300)
        ) {
            let want = expected(&lines);
            let (in_memory, s) = run(&lines, 1 << 30);
            prop_assert_eq!(&in_memory, &want);
            prop_assert_eq!(s.runs_spilled, 0);
            prop_assert_eq!(s.lines_read, lines.len() as u64);
            prop_assert_eq!(s.lines_written, lines.len() as u64);
            // a budget of one byte spills every visit: more than MAX_RUNS runs,
            // so runs are also merged before the end
            let (spilled, s) = run(&lines, 1);
            prop_assert_eq!(&spilled, &want);
            prop_assert_eq!(s.runs_spilled > 0, !lines.is_empty());
        }
    }
}
