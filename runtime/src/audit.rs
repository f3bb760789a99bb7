//! Auditing: a pack evaluated over visits, producing findings and evaluation
//! errors in deterministic order (rule order in the pack, then line order), and
//! the batch driver that streams a whole input through it on several threads.

use crate::engine::Engine;
use crate::eval::evidence_json;
use crate::input::{InputError, NdjsonReader, Schema, Visit, VisitIds, read_visit};
use crate::pack::Pack;
use crate::value::Value;
use heng_compiler::diagnostic::{Lang, Text};
use heng_compiler::source::SourceMap;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::sync::{Mutex, mpsc};

/// One finding, ready to be written.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub mdtrt_id: String,
    pub psn_no: String,
    /// Index of the rule in `program.rules`.
    pub rule: usize,
    pub severity: u32,
    pub feedetl_sn: Vec<String>,
    /// Rounded half-up to the fen.
    pub amount: Decimal,
    pub message: String,
    pub evidence: Vec<(String, serde_json::Value)>,
}

/// A runtime fault of one rule on one visit (or one of its lines).
#[derive(Clone, Debug, PartialEq)]
pub struct EvalFailure {
    pub line: u64,
    pub mdtrt_id: String,
    pub rule: usize,
    pub feedetl_sn: Option<String>,
    /// `file:line:col` of the failing expression.
    pub position: String,
    pub reason: Text,
}

/// Money in output: exactly two decimals, half-up.
pub fn money(d: Decimal) -> Decimal {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

fn sn_of(line: &Value, sn_field: usize) -> String {
    match line.as_record().map(|r| &r.fields[sn_field]) {
        Some(Value::Text(s)) => s.to_string(),
        _ => String::new(),
    }
}

/// Evaluates every rule of the pack on one visit.
pub fn audit_visit(
    pack: &Pack,
    engine: &dyn Engine,
    schema: &Schema,
    sources: &SourceMap,
    visit: &Visit,
) -> (Vec<Finding>, Vec<EvalFailure>) {
    let fields = schema.fields();
    let record = Value::Record(visit.record.clone());
    let lines = visit.record.fields[fields.feedetail].as_list();
    let mut findings = Vec::new();
    let mut failures = Vec::new();
    for (ri, outcome) in engine.eval_visit(&record) {
        let rule = &pack.program.rules[ri];
        for hit in outcome.hits {
            let evidence = hit
                .evidence
                .iter()
                .zip(&rule.evidence)
                .map(|((k, v), (_, e))| (k.clone(), evidence_json(v, &e.ty, &pack.program)))
                .collect();
            findings.push(Finding {
                mdtrt_id: visit.mdtrt_id.clone(),
                psn_no: visit.psn_no.clone(),
                rule: ri,
                severity: hit.severity,
                feedetl_sn: hit
                    .lines
                    .iter()
                    .map(|&i| sn_of(&lines[i], fields.feedetl_sn))
                    .collect(),
                amount: money(hit.amount),
                message: hit.message,
                evidence,
            });
        }
        for e in outcome.errors {
            let (l, c) = sources.line_col(e.span.file, e.span.start);
            failures.push(EvalFailure {
                line: visit.line,
                mdtrt_id: visit.mdtrt_id.clone(),
                rule: ri,
                feedetl_sn: e.line.map(|i| sn_of(&lines[i], fields.feedetl_sn)),
                position: format!("{}:{l}:{c}", sources.get(e.span.file).path),
                reason: e.message,
            });
        }
    }
    (findings, failures)
}

/// The severity's output name (`violation`, `high`, `low`).
pub fn severity_name(pack: &Pack, severity: u32) -> &str {
    pack.program
        .severity
        .map(|s| {
            pack.program.enum_decl(s).variants[severity as usize]
                .name
                .as_str()
        })
        .unwrap_or("")
}

/// One finding as a JSON line, fields in the order of records.md.
pub fn finding_json(pack: &Pack, f: &Finding) -> String {
    let rule = &pack.program.rules[f.rule];
    let mut out = String::with_capacity(256);
    let s = |v: &str| serde_json::to_string(v).unwrap_or_default();
    out.push_str(&format!(
        "{{\"mdtrt_id\":{},\"psn_no\":{},\"rule\":{},\"rule_code\":{},\"rule_name\":{},\"severity\":{},\"feedetl_sn\":[",
        s(&f.mdtrt_id),
        s(&f.psn_no),
        s(&rule.id),
        rule.code.as_deref().map_or("null".to_string(), s),
        s(&rule.name),
        s(severity_name(pack, f.severity)),
    ));
    out.push_str(
        &f.feedetl_sn
            .iter()
            .map(|x| s(x))
            .collect::<Vec<_>>()
            .join(","),
    );
    out.push_str(&format!(
        "],\"amount\":\"{}\",\"message\":{},\"evidence\":{{",
        f.amount,
        s(&f.message)
    ));
    let ev: Vec<String> = f
        .evidence
        .iter()
        .map(|(k, v)| format!("{}:{}", s(k), v))
        .collect();
    out.push_str(&ev.join(","));
    out.push_str("}}");
    out
}

/// An input error as a line of the errors file.
pub fn input_error_json(e: &InputError, lang: Lang) -> String {
    let mut v = e.to_json(lang);
    if let Some(o) = v.as_object_mut() {
        o.insert("kind".into(), "input_error".into());
    }
    v.to_string()
}

/// An evaluation error as a line of the errors file.
pub fn eval_failure_json(pack: &Pack, e: &EvalFailure, lang: Lang) -> String {
    serde_json::json!({
        "kind": "eval_error",
        "line": e.line,
        "mdtrt_id": e.mdtrt_id,
        "rule": pack.program.rules[e.rule].id,
        "feedetl_sn": e.feedetl_sn,
        "position": e.position,
        "reason": e.reason.get(lang),
    })
    .to_string()
}

/// Totals of one rule in the summary.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleTotals {
    /// Findings per severity variant (violation, high, low).
    pub count: [u64; 3],
    pub amount: [Decimal; 3],
}

/// What a batch run did.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub records_read: u64,
    pub evaluated: u64,
    pub rejected: u64,
    pub fee_lines: u64,
    pub eval_errors: u64,
    pub findings: u64,
    pub amount: Decimal,
    /// Per rule, in pack order.
    pub rules: Vec<RuleTotals>,
    pub elapsed: std::time::Duration,
}

/// Where a batch run writes.
pub struct Sinks<'a> {
    pub findings: &'a mut dyn Write,
    pub errors: &'a mut dyn Write,
    pub lang: Lang,
    /// Called with the number of input bytes consumed so far.
    pub progress: &'a mut dyn FnMut(u64),
}

/// Lines handed to a worker at a time; results are written in input order.
const PART: usize = 256;

/// Parts read ahead of the one being written, per worker.
const AHEAD: usize = 4;

/// One input line after a worker is done with it: everything the writer needs,
/// rendered, so that records are built and dropped on the worker's thread.
enum Done {
    Rejected(InputError),
    Evaluated {
        line: u64,
        mdtrt_id: String,
        fee_lines: u64,
        /// Per finding: rule, severity, amount.
        totals: Vec<(usize, u32, Decimal)>,
        /// Findings as NDJSON lines.
        findings: String,
        /// Evaluation failures as NDJSON lines, and how many.
        failures: String,
        failure_count: u64,
    },
}

/// Where a batch's visits come from: one line of text per visit (an NDJSON line,
/// or the JSON object a CSV row and its child rows make), with its line number.
pub trait Lines {
    /// The next visit's text, or the reason it has none; `None` at the end.
    fn next_line(&mut self) -> Option<Result<(u64, String), InputError>>;
    /// Input bytes consumed so far, for progress.
    fn bytes_read(&self) -> u64;
    /// The I/O error that ended the input, if one did.
    fn io_error(&self) -> Option<&std::io::Error>;
}

impl<R: BufRead> Lines for NdjsonReader<CountingReader<R>> {
    fn next_line(&mut self) -> Option<Result<(u64, String), InputError>> {
        NdjsonReader::next_line(self)
    }
    fn bytes_read(&self) -> u64 {
        self.get_ref().bytes
    }
    fn io_error(&self) -> Option<&std::io::Error> {
        NdjsonReader::io_error(self)
    }
}

impl Lines for crate::input::CsvVisits {
    fn next_line(&mut self) -> Option<Result<(u64, String), InputError>> {
        crate::input::CsvVisits::next_line(self)
    }
    fn bytes_read(&self) -> u64 {
        crate::input::CsvVisits::bytes_read(self)
    }
    fn io_error(&self) -> Option<&std::io::Error> {
        crate::input::CsvVisits::io_error(self)
    }
}

/// Runs the pack over an NDJSON input. Output order does not depend on `threads`.
pub fn run_batch<R: BufRead>(
    pack: &Pack,
    engine: &dyn Engine,
    schema: &Schema,
    sources: &SourceMap,
    input: R,
    threads: usize,
    sinks: &mut Sinks,
) -> std::io::Result<Summary> {
    let counting = CountingReader {
        inner: input,
        bytes: 0,
    };
    let mut reader = NdjsonReader::new(schema, counting);
    run_lines(pack, engine, schema, sources, &mut reader, threads, sinks)
}

/// Runs the pack over visits from any [`Lines`]. Output order does not depend on
/// `threads`.
///
/// The calling thread reads lines and writes results; `threads` workers, alive
/// for the whole run, parse, evaluate and render parts of `PART` lines, a few
/// parts ahead of the writer.
pub fn run_lines(
    pack: &Pack,
    engine: &dyn Engine,
    schema: &Schema,
    sources: &SourceMap,
    reader: &mut dyn Lines,
    threads: usize,
    sinks: &mut Sinks,
) -> std::io::Result<Summary> {
    let start = std::time::Instant::now();
    let mut ids = VisitIds::default();
    let mut summary = Summary {
        rules: vec![RuleTotals::default(); pack.program.rules.len()],
        ..Summary::default()
    };
    let threads = threads.max(1);
    let lang = sinks.lang;
    type Part = (u64, Vec<Result<(u64, String), InputError>>);
    let (job_tx, job_rx) = mpsc::channel::<Part>();
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<(u64, Vec<Done>)>();
    std::thread::scope(|s| -> std::io::Result<()> {
        for _ in 0..threads {
            let (job_rx, done_tx) = (&job_rx, done_tx.clone());
            s.spawn(move || {
                loop {
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((seq, lines)) = job else { return };
                    let done = work(pack, engine, schema, sources, lang, lines);
                    if done_tx.send((seq, done)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let (mut sent, mut written) = (0u64, 0u64);
        let mut waiting: BTreeMap<u64, Vec<Done>> = BTreeMap::new();
        let mut eof = false;
        loop {
            while !eof && sent - written < (threads * AHEAD) as u64 {
                let mut lines = Vec::with_capacity(PART);
                while lines.len() < PART {
                    match reader.next_line() {
                        Some(l) => lines.push(l),
                        None => {
                            eof = true;
                            break;
                        }
                    }
                }
                if lines.is_empty() {
                    break;
                }
                if job_tx.send((sent, lines)).is_err() {
                    return Err(std::io::Error::other("the evaluation threads stopped"));
                }
                sent += 1;
            }
            if written == sent {
                break;
            }
            while !waiting.contains_key(&written) {
                let Ok((seq, done)) = done_rx.recv() else {
                    return Err(std::io::Error::other("the evaluation threads stopped"));
                };
                waiting.insert(seq, done);
            }
            if let Some(done) = waiting.remove(&written) {
                write_part(done, &mut ids, &mut summary, sinks)?;
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
    summary.elapsed = start.elapsed();
    Ok(summary)
}

/// A worker's part: every line parsed, evaluated and rendered. A panic turns the
/// part's lines into error records rather than losing them.
fn work(
    pack: &Pack,
    engine: &dyn Engine,
    schema: &Schema,
    sources: &SourceMap,
    lang: Lang,
    lines: Vec<Result<(u64, String), InputError>>,
) -> Vec<Done> {
    let numbers: Vec<u64> = lines
        .iter()
        .map(|l| l.as_ref().map_or(0, |(n, _)| *n))
        .collect();
    let run = std::panic::AssertUnwindSafe(|| {
        lines
            .into_iter()
            .map(|l| {
                let (line, text) = l.map_err(Done::Rejected)?;
                let visit = read_visit(schema, line, &text).map_err(Done::Rejected)?;
                let (found, failed) = audit_visit(pack, engine, schema, sources, &visit);
                let mut findings = String::new();
                for f in &found {
                    findings.push_str(&finding_json(pack, f));
                    findings.push('\n');
                }
                let mut failures = String::new();
                for e in &failed {
                    failures.push_str(&eval_failure_json(pack, e, lang));
                    failures.push('\n');
                }
                Ok(Done::Evaluated {
                    line,
                    fee_lines: visit.record.fields[schema.fields().feedetail]
                        .as_list()
                        .len() as u64,
                    mdtrt_id: visit.mdtrt_id,
                    totals: found
                        .iter()
                        .map(|f| (f.rule, f.severity, f.amount))
                        .collect(),
                    findings,
                    failures,
                    failure_count: failed.len() as u64,
                })
            })
            .map(|r: Result<Done, Done>| r.unwrap_or_else(|d| d))
            .collect()
    });
    std::panic::catch_unwind(run).unwrap_or_else(|_| {
        numbers
            .into_iter()
            .map(|line| {
                Done::Rejected(InputError {
                    line,
                    mdtrt_id: None,
                    field: String::new(),
                    reason: heng_compiler::text!(
                        "内部错误:该行未能处理",
                        "internal error: this line was not processed"
                    ),
                })
            })
            .collect()
    })
}

/// Writes a part in input order, rejecting visit ids seen earlier in the batch.
fn write_part(
    done: Vec<Done>,
    ids: &mut VisitIds,
    summary: &mut Summary,
    sinks: &mut Sinks,
) -> std::io::Result<()> {
    for d in done {
        summary.records_read += 1;
        let d = match d {
            Done::Evaluated {
                line, ref mdtrt_id, ..
            } => match ids.accept(line, mdtrt_id) {
                Ok(()) => d,
                Err(e) => Done::Rejected(e),
            },
            d => d,
        };
        match d {
            Done::Rejected(e) => {
                summary.rejected += 1;
                writeln!(sinks.errors, "{}", input_error_json(&e, sinks.lang))?;
            }
            Done::Evaluated {
                fee_lines,
                totals,
                findings,
                failures,
                failure_count,
                ..
            } => {
                summary.evaluated += 1;
                summary.fee_lines += fee_lines;
                sinks.findings.write_all(findings.as_bytes())?;
                sinks.errors.write_all(failures.as_bytes())?;
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

/// Counts bytes read, for the progress bar.
pub struct CountingReader<R> {
    inner: R,
    bytes: u64,
}

impl<R: BufRead> std::io::Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for CountingReader<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.bytes += amt as u64;
        self.inner.consume(amt);
    }
}
