//! Settlement of a batch: each patient's visits settled in time order (begntime,
//! ties in input order), with accumulators carried per patient and scheme year,
//! written one NDJSON line per visit in input order (records.md, "Output:
//! settlement").
//!
//! A patient's visits must reach [`Settler::settle_part`] together (the batch
//! driver groups the input by patient first when it is not). Accumulators start
//! from the values of an accumulators CSV ([`StartValues`]) or zero.
//!
//! A settlement with batch totals (`total`) whose later steps read only the
//! totals and a few saved values (`Settlement::single_pass`, as DIP's point value
//! and payments) is settled in one pass: the settler is [`Settler::deferring`]:
//! each line is written with a hole where those outputs go, holding the values
//! they read, and [`Settler::resolve`] fills the holes once the totals are
//! known. Other settlements with totals need two passes: a new settler is then
//! [`Settler::collecting`]: it sums them over a first pass, writing nothing; then
//! [`Settler::with_totals`] settles with their values.

use crate::engine::Engine;
use crate::eval::{EvalError, Evaluator, Settled, Totals, evidence_json};
use crate::input::Visit;
use crate::json_text;
use crate::pack::Pack;
use crate::value::Value;
use chrono::Datelike;
use heng_compiler::diagnostic::Lang;
use heng_compiler::ir::{Const, ExprKind, SettleStep, Settlement};
use heng_compiler::source::SourceMap;
use heng_compiler::types::Type;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

/// Accumulator values at the start of a scheme year, per patient: what the
/// platform's accumulator query returns.
#[derive(Clone, Debug, Default)]
pub struct StartValues {
    /// Per (psn_no, year the scheme year starts in), one value per accumulator.
    values: HashMap<(String, i32), Vec<Decimal>>,
}

impl StartValues {
    /// Reads a CSV with the columns `psn_no`, `year` and any of the settlement's
    /// accumulators (missing ones start at zero). Errors name the line and column.
    pub fn read_csv(path: &Path, settlement: &Settlement) -> Result<StartValues, String> {
        let mut reader = csv::Reader::from_path(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let headers = reader
            .headers()
            .map_err(|e| format!("{}: {e}", path.display()))?
            .clone();
        let column = |name: &str| headers.iter().position(|h| h.trim() == name);
        let (Some(psn), Some(year)) = (column("psn_no"), column("year")) else {
            return Err(format!(
                "{}: the header needs `psn_no` and `year` columns",
                path.display()
            ));
        };
        let mut columns = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            let h = h.trim();
            if i == psn || i == year {
                continue;
            }
            match settlement.accumulators.iter().position(|(n, _)| n == h) {
                Some(k) => columns.push((i, k)),
                None => {
                    let known: Vec<&str> = settlement
                        .accumulators
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect();
                    return Err(format!(
                        "{}: column `{h}` is not an accumulator of settlement `{}` (it has: {})",
                        path.display(),
                        settlement.id,
                        known.join(", ")
                    ));
                }
            }
        }
        let mut values = HashMap::new();
        for (n, row) in reader.records().enumerate() {
            let line = n + 2;
            let row = row.map_err(|e| format!("{} line {line}: {e}", path.display()))?;
            let cell = |i: usize| row.get(i).unwrap_or("").trim();
            let y: i32 = cell(year).parse().map_err(|_| {
                format!(
                    "{} line {line}, column `year`: `{}` is not a year",
                    path.display(),
                    cell(year)
                )
            })?;
            let mut v = vec![Decimal::ZERO; settlement.accumulators.len()];
            for &(i, k) in &columns {
                let text = cell(i);
                if text.is_empty() {
                    continue;
                }
                v[k] = text.parse().map_err(|_| {
                    format!(
                        "{} line {line}, column `{}`: `{text}` is not an amount",
                        path.display(),
                        settlement.accumulators[k].0
                    )
                })?;
            }
            if values.insert((cell(psn).to_string(), y), v).is_some() {
                return Err(format!(
                    "{} line {line}: patient {} year {y} is given twice",
                    path.display(),
                    cell(psn)
                ));
            }
        }
        Ok(StartValues { values })
    }
}

/// Settles visits with a pack's settlement.
pub struct Settler<'p> {
    pack: &'p Pack,
    settlement: &'p Settlement,
    /// Month and day the scheme year starts.
    year_start: (u32, u32),
    start: StartValues,
    begntime: usize,
    /// `feedetl_sn` in the fee-line record.
    sn: Option<usize>,
    /// The batch totals once known; `None` while a first pass collects them.
    totals: Option<Vec<Decimal>>,
    /// The sums of a first pass so far.
    collected: Mutex<Vec<Decimal>>,
    /// Whether a first pass found the input grouped by patient (so the second
    /// can write its results as they come, without holding them).
    grouped: bool,
    /// The `,"name":` and type of each visit output and line output.
    visit_outputs: Vec<(String, Type)>,
    line_outputs: Vec<(String, Type)>,
    /// Per visit output, whether it comes after the totals (`after_totals`).
    after_totals: Vec<bool>,
}

/// What marks a hole in a deferring settler's lines: a control character, which
/// JSON text never holds raw (and not NUL, which separates held results).
const HOLE: char = '\u{1}';

/// What separates, in the first hole, the saved values from the visit they are
/// of (`[input line, mdtrt_id]`).
const VISIT: char = '\u{2}';

/// One visit's settlement: its NDJSON line, the evaluation error as an NDJSON
/// error line, or nothing (in a first pass). A deferring settler's lines hold
/// holes ([`HOLE`]) that [`Settler::resolve`] fills.
pub enum SettledLine {
    Ok(String),
    Failed(String),
    Skipped,
}

impl<'p> Settler<'p> {
    /// `None` when the pack has no settlement; an error when its scheme-year start
    /// (after parameter overrides) is not "MM-DD".
    pub fn new(pack: &'p Pack, start: StartValues) -> Result<Option<Settler<'p>>, String> {
        let Some(settlement) = &pack.program.settlement else {
            return Ok(None);
        };
        let text = match settlement.year_start.as_ref().map(|e| &e.kind) {
            None => "01-01".to_string(),
            Some(ExprKind::Const(Const::Text(t))) => t.clone(),
            Some(ExprKind::Param(p)) => match &pack.params[p.0 as usize] {
                Value::Text(t) => t.to_string(),
                _ => String::new(),
            },
            Some(_) => String::new(),
        };
        let Some(year_start) = heng_compiler::check::settlement::year_start(&text) else {
            return Err(format!(
                "settlement `{}`: the scheme year's start `{text}` is not \"MM-DD\" (such as \"09-01\")",
                settlement.id
            ));
        };
        let program = &pack.program;
        let begntime = program
            .visit
            .and_then(|v| program.record(v).field("begntime"))
            .ok_or("the Visit record has no `begntime`")?;
        Ok(Some(Settler {
            pack,
            settlement,
            year_start,
            start,
            begntime,
            sn: program
                .fee_line_record()
                .and_then(|r| program.record(r).field("feedetl_sn")),
            // known without a first pass when each is zero whatever the visits
            totals: Evaluator::new(program, &pack.params, &pack.tables)
                .totals_are_zero(settlement)
                .then(|| vec![Decimal::ZERO; settlement.totals.len()]),
            collected: Mutex::new(vec![Decimal::ZERO; settlement.totals.len()]),
            grouped: false,
            visit_outputs: output_keys(settlement.visit_steps.iter().filter_map(|s| match s {
                SettleStep::Bind {
                    name,
                    expr,
                    output: true,
                    ..
                } => Some((name.as_str(), &expr.ty)),
                _ => None,
            })),
            line_outputs: output_keys(
                program.record(settlement.line_record).fields[1..]
                    .iter()
                    .map(|f| (f.name.as_str(), &f.ty)),
            ),
            after_totals: settlement
                .visit_steps
                .iter()
                .filter_map(|s| match s {
                    SettleStep::Bind {
                        output: true,
                        after_totals,
                        ..
                    } => Some(*after_totals),
                    _ => None,
                })
                .collect(),
        }))
    }

    /// Whether this settler is collecting batch totals (a first pass) and
    /// writes nothing.
    pub fn collecting(&self) -> bool {
        self.totals.is_none() && !self.settlement.single_pass
    }

    /// Whether this settler settles in one pass, summing the batch totals as it
    /// goes and leaving holes for the outputs that read them ([`Settler::resolve`]).
    pub fn deferring(&self) -> bool {
        self.totals.is_none() && self.settlement.single_pass
    }

    /// Forgets the sums a first pass collected so far (a run over the input
    /// abandoned for one over it grouped by patient).
    pub fn forget_collected(&self) {
        if let Ok(mut c) = self.collected.lock() {
            c.iter_mut().for_each(|t| *t = Decimal::ZERO);
        }
    }

    /// After the first pass: a settler that settles with the totals collected.
    pub fn with_totals(self) -> Settler<'p> {
        let collected = self.collected.lock().map(|c| c.clone()).unwrap_or_default();
        Settler {
            totals: Some(collected),
            ..self
        }
    }

    /// The settler once its run is over: a deferring one with the totals it
    /// summed known.
    pub fn finished(self) -> Settler<'p> {
        match self.deferring() {
            true => self.with_totals(),
            false => self,
        }
    }

    /// Whether a first pass over the input found it grouped by patient.
    pub fn input_grouped(&self) -> bool {
        self.grouped
    }

    /// The batch totals by name, once known.
    pub fn totals(&self) -> Vec<(&str, Decimal)> {
        let known = self.totals.as_deref().unwrap_or_default();
        self.settlement
            .totals
            .iter()
            .map(String::as_str)
            .zip(known.iter().copied())
            .collect()
    }

    /// The year in which the scheme year of a visit starting at `begntime` starts.
    fn scheme_year(&self, visit: &Visit) -> i32 {
        let date = match self.begntime(visit) {
            Value::DateTime(t) => t.date(),
            Value::Date(d) => *d,
            _ => return 0,
        };
        if (date.month(), date.day()) >= self.year_start {
            date.year()
        } else {
            date.year() - 1
        }
    }

    fn begntime<'v>(&self, visit: &'v Visit) -> &'v Value {
        visit
            .record
            .fields
            .get(self.begntime)
            .unwrap_or(&Value::Absent)
    }

    /// Settles the visits of a part, whole patients at a time; returns one result
    /// per visit, in the order given (a repeated visit id is skipped).
    pub fn settle_part(
        &self,
        engine: &dyn Engine,
        visits: &[&Visit],
        sources: &SourceMap,
        lang: Lang,
    ) -> Vec<SettledLine> {
        // a visit id seen before in the part is rejected by the writer: it must not
        // move its patient's accumulators either
        let mut seen = std::collections::HashSet::new();
        let mut by_patient: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, v) in visits.iter().enumerate() {
            if seen.insert(v.mdtrt_id.as_str()) {
                by_patient.entry(v.psn_no.as_str()).or_default().push(i);
            }
        }
        let mut out: Vec<Option<SettledLine>> = (0..visits.len()).map(|_| None).collect();
        for (psn, mut order) in by_patient {
            // time order, ties in input order (the sort is stable)
            order.sort_by(|&a, &b| {
                crate::eval::ops::compare(self.begntime(visits[a]), self.begntime(visits[b]))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            let mut years: HashMap<i32, Vec<Decimal>> = HashMap::new();
            let mut sums = vec![Decimal::ZERO; self.settlement.totals.len()];
            for i in order {
                let visit = visits[i];
                let year = self.scheme_year(visit);
                let acc = years.entry(year).or_insert_with(|| {
                    self.start
                        .values
                        .get(&(psn.to_string(), year))
                        .cloned()
                        .unwrap_or_else(|| vec![Decimal::ZERO; self.settlement.accumulators.len()])
                });
                let record = Value::Record(visit.record.clone());
                let totals = match &self.totals {
                    Some(known) => Totals::Known(known),
                    None if self.settlement.single_pass => Totals::Single(&mut sums),
                    None => Totals::Collect(&mut sums),
                };
                let settled = engine.settle(self.settlement, &record, acc, totals);
                out[i] = Some(match settled {
                    _ if self.collecting() => SettledLine::Skipped,
                    Ok(s) => SettledLine::Ok(self.json(visit, &s)),
                    Err(e) => SettledLine::Failed(self.failure_json(visit, &e, sources, lang)),
                });
            }
            if self.totals.is_none()
                && let Ok(mut into) = self.collected.lock()
            {
                for (t, s) in into.iter_mut().zip(sums) {
                    *t += s;
                }
            }
        }
        out.into_iter()
            .map(|o| o.unwrap_or(SettledLine::Skipped))
            .collect()
    }

    /// One visit's settlement line: mdtrt_id, psn_no, the visit outputs, then
    /// `feedetail` with each line's feedetl_sn and outputs. Absent outputs are left
    /// out; amounts have at least two decimals.
    fn json(&self, visit: &Visit, s: &Settled) -> String {
        let program = &self.pack.program;
        let mut out = String::with_capacity(256 + 160 * s.lines.len());
        out.push_str("{\"mdtrt_id\":");
        json_text::push_string(&mut out, &visit.mdtrt_id);
        out.push_str(",\"psn_no\":");
        json_text::push_string(&mut out, &visit.psn_no);
        let mut holes = 0;
        for (((key, ty), value), after) in self
            .visit_outputs
            .iter()
            .zip(&s.visit)
            .zip(&self.after_totals)
        {
            match self.deferring() && *after {
                true => {
                    out.push(HOLE);
                    if holes == 0 {
                        self.push_saved(&mut out, visit, &s.saved);
                    }
                    out.push(HOLE);
                    holes += 1;
                }
                false => push_output(&mut out, key, value, ty, program),
            }
        }
        out.push_str(",\"feedetail\":[");
        let lines = visit.record.fields[self.pack.feedetail].as_list();
        for (i, (line, outs)) in lines.iter().zip(&s.lines).enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"feedetl_sn\":");
            let sn = line
                .as_record()
                .and_then(|r| r.fields.get(self.sn?)?.as_str());
            json_text::push_string(&mut out, sn.unwrap_or_default());
            for ((key, ty), value) in self.line_outputs.iter().zip(outs) {
                push_output(&mut out, key, value, ty, program);
            }
            out.push('}');
        }
        out.push_str("]}");
        out
    }

    fn failure_json(
        &self,
        visit: &Visit,
        e: &EvalError,
        sources: &SourceMap,
        lang: Lang,
    ) -> String {
        let sn = e.line.and_then(|i| {
            let line = visit.record.fields[self.pack.feedetail].as_list().get(i)?;
            line.as_record()?
                .fields
                .get(self.sn?)?
                .as_str()
                .map(str::to_string)
        });
        self.failure_line(visit.line, &visit.mdtrt_id, sn, e, sources, lang)
    }

    /// An evaluation error of the settlement as an NDJSON error line.
    fn failure_line(
        &self,
        line: u64,
        mdtrt_id: &str,
        feedetl_sn: Option<String>,
        e: &EvalError,
        sources: &SourceMap,
        lang: Lang,
    ) -> String {
        let (l, c) = sources.line_col(e.span.file, e.span.start);
        serde_json::json!({
            "kind": "eval_error",
            "line": line,
            "mdtrt_id": mdtrt_id,
            "rule": self.settlement.id,
            "feedetl_sn": feedetl_sn,
            "position": format!("{}:{l}:{c}", sources.get(e.span.file).path),
            "reason": e.message.get(lang),
        })
        .to_string()
    }

    /// The first hole's content: `[line, mdtrt_id, saved values…]` as JSON.
    fn push_saved(&self, out: &mut String, visit: &Visit, saved: &[Value]) {
        out.push('[');
        for (i, v) in saved.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            match v {
                Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                Value::Int(i) => out.push_str(&i.to_string()),
                Value::Enum(e) => out.push_str(&e.to_string()),
                Value::Decimal(d) => {
                    out.push('"');
                    json_text::push_decimal(out, *d);
                    out.push('"');
                }
                Value::Text(t) => json_text::push_string(out, t),
                // `single_pass` saves scalars only
                _ => out.push_str("null"),
            }
        }
        out.push_str(&format!("]{VISIT}[{},", visit.line));
        json_text::push_string(out, &visit.mdtrt_id);
        out.push(']');
    }

    /// Copies the lines of a deferring settler's run from `from` to `to`, each
    /// hole filled with the outputs after the totals, computed from the values
    /// it holds and the batch's totals, which are now known. A visit whose
    /// outputs fail goes to `errors` instead, counted in `summary` as an
    /// evaluation error rather than as settled.
    pub fn resolve(
        &self,
        from: &mut dyn std::io::BufRead,
        to: &mut dyn std::io::Write,
        errors: &mut dyn std::io::Write,
        sources: &SourceMap,
        lang: Lang,
        summary: &mut crate::audit::Summary,
    ) -> std::io::Result<()> {
        let program = &self.pack.program;
        let evaluator = Evaluator::new(program, &self.pack.params, &self.pack.tables);
        let totals = self.collected.lock().map(|c| c.clone()).unwrap_or_default();
        let saved_types: Vec<&Type> = self
            .settlement
            .visit_steps
            .iter()
            .filter_map(|s| match s {
                SettleStep::Bind {
                    saved: true, expr, ..
                } => Some(&expr.ty),
                _ => None,
            })
            .collect();
        let after: Vec<&(String, Type)> = self
            .visit_outputs
            .iter()
            .zip(&self.after_totals)
            .filter_map(|(o, after)| after.then_some(o))
            .collect();
        let bad = |what: &str| std::io::Error::other(format!("a settlement hole {what}"));
        let mut line = Vec::new();
        // the outputs of the saved values seen lately (most visits save the same:
        // an outpatient visit has no case score)
        let mut seen: HashMap<Vec<u8>, Result<Vec<String>, EvalError>, foldhash::fast::FixedState> =
            HashMap::default();
        while from.read_until(b'\n', &mut line)? > 0 {
            let Some(open) = memchr::memchr(HOLE as u8, &line) else {
                to.write_all(&line)?;
                line.clear();
                continue;
            };
            let held_end = memchr::memchr(HOLE as u8, &line[open + 1..])
                .map(|k| open + 1 + k)
                .ok_or_else(|| bad("is not closed"))?;
            let held = &line[open + 1..held_end];
            let split = memchr::memchr(VISIT as u8, held).ok_or_else(|| bad("lacks the visit"))?;
            let (saved, visit) = (&held[..split], &held[split + 1..]);
            if seen.len() > 100_000 {
                seen.clear();
            }
            if !seen.contains_key(saved) {
                let values: Vec<serde_json::Value> =
                    serde_json::from_slice(saved).map_err(|_| bad("does not hold JSON"))?;
                let values: Vec<Value> = values
                    .iter()
                    .zip(&saved_types)
                    .map(|(j, ty)| saved_value(j, ty))
                    .collect();
                let outputs = evaluator
                    .after_totals(self.settlement, &values, &totals)
                    .map(|values| {
                        let outputs = after.iter().zip(&values);
                        outputs
                            .map(|((key, ty), value)| {
                                let mut o = String::new();
                                push_output(&mut o, key, value, ty, program);
                                o
                            })
                            .collect()
                    });
                seen.insert(saved.to_vec(), outputs);
            }
            match &seen[saved] {
                Ok(outputs) => {
                    to.write_all(&line[..open])?;
                    // each output, then the text up to the next hole (two HOLE bytes)
                    let mut at = held_end + 1;
                    for o in outputs {
                        to.write_all(o.as_bytes())?;
                        let next =
                            memchr::memchr(HOLE as u8, &line[at..]).map_or(line.len(), |k| at + k);
                        to.write_all(&line[at..next])?;
                        at = (next + 2).min(line.len());
                    }
                    to.write_all(&line[at.min(line.len())..])?;
                }
                Err(e) => {
                    let visit: (u64, String) =
                        serde_json::from_slice(visit).map_err(|_| bad("lacks the visit"))?;
                    summary.settled = summary.settled.saturating_sub(1);
                    summary.eval_errors += 1;
                    let error = self.failure_line(visit.0, &visit.1, None, e, sources, lang);
                    errors.write_all(error.as_bytes())?;
                    errors.write_all(b"\n")?;
                }
            }
            line.clear();
        }
        Ok(())
    }
}

/// A saved value read back from a hole, as its type says.
fn saved_value(j: &serde_json::Value, ty: &Type) -> Value {
    let ty = match ty {
        Type::Option(t) => &**t,
        t => t,
    };
    match (j, ty) {
        (serde_json::Value::Bool(b), _) => Value::Bool(*b),
        (serde_json::Value::Number(n), Type::Enum(_)) => {
            Value::Enum(n.as_u64().unwrap_or(0) as u32)
        }
        (serde_json::Value::Number(n), _) => Value::Int(n.as_i64().unwrap_or(0)),
        (serde_json::Value::String(d), Type::Decimal) => {
            d.parse().map(Value::Decimal).unwrap_or_default()
        }
        (serde_json::Value::String(t), _) => Value::Text(t.as_str().into()),
        _ => Value::Absent,
    }
}

/// Appends `,"name":value` for an output (`key` is `,"name":`), nothing when it
/// is absent; decimals as strings with at least two decimal places (money is
/// "0.00"; a value rounded to 0.0001 keeps four).
fn push_output(
    out: &mut String,
    key: &str,
    value: &Value,
    ty: &Type,
    program: &heng_compiler::ir::Program,
) {
    match value {
        Value::Absent => return,
        _ => out.push_str(key),
    }
    match value {
        Value::Decimal(d) => {
            let mut d = *d;
            if d.scale() < 2 {
                d.rescale(2);
            }
            out.push('"');
            json_text::push_decimal(out, d);
            out.push('"');
        }
        Value::Int(i) if matches!(ty, Type::Decimal) => {
            out.push_str(&format!("\"{i}.00\""));
        }
        Value::Text(t) => json_text::push_string(out, t),
        v => out.push_str(&evidence_json(v, ty, program).to_string()),
    }
}

/// The `,"name":` of each output, with its type.
fn output_keys<'a>(outputs: impl Iterator<Item = (&'a str, &'a Type)>) -> Vec<(String, Type)> {
    outputs
        .map(|(name, ty)| {
            let mut key = String::from(",");
            json_text::push_string(&mut key, name);
            key.push(':');
            (key, ty.clone())
        })
        .collect()
}

/// The first pass of a settlement with batch totals: `run` goes once over the
/// input with a copy of the pack whose rules are all disabled and sinks that keep
/// nothing, while `settler` sums the totals; returns the settler with them known.
/// A settler that needs no first pass (no totals, or settling in one pass) is
/// returned as it is.
pub fn first_pass<'p>(
    settler: Settler<'p>,
    lang: Lang,
    native: bool,
    run: impl FnOnce(
        &Pack,
        &crate::input::Schema,
        &dyn crate::engine::Engine,
        &mut crate::audit::Sinks,
    ) -> std::io::Result<crate::audit::Summary>,
) -> std::io::Result<Settler<'p>> {
    if !settler.collecting() {
        return Ok(settler);
    }
    let quiet = settler.pack.only(|_| false);
    // the input read for only what the first pass needs
    let fields = first_pass_fields(&quiet.program, settler.settlement);
    let schema =
        crate::input::check_schema_keeping(&quiet.program, &|r, i| fields.contains(&(r, i)))
            .map_err(|e| std::io::Error::other(e.en))?;
    let engine: Box<dyn Engine> = match native {
        true => Box::new(crate::native::NativeEngine::with_settlement(&quiet)),
        false => Box::new(crate::engine::Interpreter::new(&quiet)),
    };
    let (mut findings, mut errors, mut settled) =
        (std::io::sink(), std::io::sink(), std::io::sink());
    let mut sinks = crate::audit::Sinks {
        findings: &mut findings,
        errors: &mut errors,
        lang,
        progress: &mut |_| {},
        settlement: Some(crate::audit::Settling {
            settler: &settler,
            out: &mut settled,
        }),
    };
    let summary = run(&quiet, &schema, &*engine, &mut sinks)?;
    Ok(Settler {
        grouped: summary.not_grouped.is_none(),
        ..settler.with_totals()
    })
}

/// The input fields (record type, field index) a settlement's first pass reads:
/// those of its `total`s and of the steps they depend on (see
/// `SettleStep::Bind::first_pass`), and of the functions those call.
fn first_pass_fields(
    program: &heng_compiler::ir::Program,
    s: &Settlement,
) -> std::collections::HashSet<(heng_compiler::types::RecordId, usize)> {
    let exprs = s
        .line_steps
        .iter()
        .chain(&s.visit_steps)
        .filter(|step| match step {
            SettleStep::Bind { first_pass, .. } | SettleStep::Add { first_pass, .. } => *first_pass,
            SettleStep::Total { .. } => true,
        })
        .map(SettleStep::expr)
        .chain(&s.year_start);
    program.fields_read(exprs)
}
