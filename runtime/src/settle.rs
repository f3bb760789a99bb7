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
//! [`Settler::with_totals`] settles with their values. Either way a part's sums
//! count once the caller adds them ([`Settler::add_totals`]): the batch driver
//! does so only for parts it keeps (none of whose visits repeats an earlier id).

use crate::engine::Engine;
use crate::eval::{EvalError, Evaluator, Settled, Totals, evidence_json};
use crate::input::Visit;
use crate::json_text;

mod holes;
use crate::pack::Pack;
use crate::value::Value;
use chrono::Datelike;
use heng_compiler::diagnostic::Lang;
use heng_compiler::ir::{Const, ExprKind, SettleStep, Settlement};
use heng_compiler::source::SourceMap;
use heng_compiler::types::Type;
use rust_decimal::Decimal;
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
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
        let mut values = HashMap::default();
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
    /// The visit outputs and the line outputs, in order.
    visit_outputs: Vec<Output>,
    line_outputs: Vec<Output>,
    /// The keys a line is written with ([`FIXED`], then the outputs'), as a
    /// deferring settler's held lines code them (`holes::code`).
    held_keys: Vec<holes::HeldKey>,
    /// [`FIXED`] as held lines code them.
    held_fixed: [String; 4],
}

/// The keys of a settlement line that are not outputs: `{"mdtrt_id":`,
/// `,"psn_no":`, `,"feedetail":[` and a line's `{"feedetl_sn":`.
const FIXED: [&str; 4] = [
    "{\"mdtrt_id\":",
    ",\"psn_no\":",
    ",\"feedetail\":[",
    "{\"feedetl_sn\":",
];

/// Zero money as an output's value is written.
const ZERO: &str = "\"0.00\"";

/// An output as it is written.
struct Output {
    /// `,"name":`
    key: String,
    /// `key` in a deferring settler's held lines (`holes::code`), and `key`
    /// with the value [`ZERO`] (the most frequent by far).
    code: String,
    zero_code: String,
    ty: Type,
    /// It comes after the batch totals (`SettleStep::Bind::after_totals`).
    after_totals: bool,
}

/// One visit's settlement: its NDJSON line, the evaluation error as an NDJSON
/// error line, or nothing (in a first pass). A deferring settler's lines hold
/// holes (`holes.rs`) that [`Settler::resolve`] fills.
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
        let mut visit_outputs = outputs(settlement.visit_steps.iter().filter_map(|s| match s {
            SettleStep::Bind {
                name,
                expr,
                output: true,
                after_totals,
                ..
            } => Some((name.as_str(), &expr.ty, *after_totals)),
            _ => None,
        }));
        let line_fields = program.record(settlement.line_record).fields[1..].iter();
        let mut line_outputs = outputs(line_fields.map(|f| (f.name.as_str(), &f.ty, false)));
        let held_keys = held_codes(visit_outputs.iter_mut().chain(&mut line_outputs));
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
            visit_outputs,
            line_outputs,
            held_keys,
            held_fixed: std::array::from_fn(|i| holes::code(i, FIXED[i])),
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

    /// Whether a first pass over the input found it grouped by patient.
    pub fn input_grouped(&self) -> bool {
        self.grouped
    }

    /// The batch totals by name: known, or (while settling in one pass or in a
    /// first pass) summed so far.
    pub fn totals(&self) -> Vec<(&str, Decimal)> {
        let summed = self.collected.lock().map(|c| c.clone()).unwrap_or_default();
        let values = self.totals.clone().unwrap_or(summed);
        self.settlement
            .totals
            .iter()
            .map(String::as_str)
            .zip(values)
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

    /// Settles the visits of a part, whole patients at a time (the caller has
    /// rejected repeated visit ids: they must not move accumulators); returns one
    /// result per visit, in the order given, and what the part adds to the batch
    /// totals, which the caller adds with [`Settler::add_totals`] once it knows
    /// the part stands (no visit of it repeats one of an earlier part).
    #[must_use = "a part's sums count once added with `add_totals`"]
    pub fn settle_part(
        &self,
        engine: &dyn Engine,
        visits: &[&Visit],
        sources: &SourceMap,
        lang: Lang,
    ) -> (Vec<SettledLine>, Vec<Decimal>) {
        let mut by_patient: HashMap<&str, Vec<usize>> = HashMap::default();
        for (i, v) in visits.iter().enumerate() {
            by_patient.entry(v.psn_no.as_str()).or_default().push(i);
        }
        let mut part_sums = vec![Decimal::ZERO; self.settlement.totals.len()];
        let mut out: Vec<Option<SettledLine>> = (0..visits.len()).map(|_| None).collect();
        for (psn, mut order) in by_patient {
            // time order, ties in input order (the sort is stable)
            order.sort_by(|&a, &b| {
                crate::eval::ops::compare(self.begntime(visits[a]), self.begntime(visits[b]))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            // per scheme year the patient's visits fall in (one or two)
            let mut years: Vec<(i32, Vec<Decimal>)> = Vec::new();
            for i in order {
                let visit = visits[i];
                let year = self.scheme_year(visit);
                let at = match years.iter().position(|(y, _)| *y == year) {
                    Some(at) => at,
                    None => {
                        years.push((year, self.start_values(psn, year)));
                        years.len() - 1
                    }
                };
                let acc = &mut years[at].1;
                let record = Value::Record(visit.record.clone());
                let totals = match &self.totals {
                    Some(known) => Totals::Known(known),
                    None if self.settlement.single_pass => Totals::Single(&mut part_sums),
                    None => Totals::Collect(&mut part_sums),
                };
                let settled = engine.settle(self.settlement, &record, acc, totals);
                out[i] = Some(match settled {
                    _ if self.collecting() => SettledLine::Skipped,
                    Ok(s) => SettledLine::Ok(self.json(visit, &s)),
                    Err(e) => SettledLine::Failed(self.failure_json(visit, &e, sources, lang)),
                });
            }
        }
        let lines = out
            .into_iter()
            .map(|o| o.unwrap_or(SettledLine::Skipped))
            .collect();
        (lines, part_sums)
    }

    /// The accumulators of `psn` at the start of scheme year `year`: the start
    /// values given for them, else zero.
    fn start_values(&self, psn: &str, year: i32) -> Vec<Decimal> {
        let given = match self.start.values.is_empty() {
            true => None,
            false => self.start.values.get(&(psn.to_string(), year)),
        };
        given
            .cloned()
            .unwrap_or_else(|| vec![Decimal::ZERO; self.settlement.accumulators.len()])
    }

    /// Adds a part's sums ([`Settler::settle_part`]) to the batch totals, when
    /// they are being summed.
    pub fn add_totals(&self, sums: &[Decimal]) {
        if self.totals.is_none()
            && let Ok(mut into) = self.collected.lock()
        {
            for (t, s) in into.iter_mut().zip(sums) {
                *t += *s;
            }
        }
    }

    /// One visit's settlement line: mdtrt_id, psn_no, the visit outputs, then
    /// `feedetail` with each line's feedetl_sn and outputs. Absent outputs are left
    /// out; amounts have at least two decimals.
    fn json(&self, visit: &Visit, s: &Settled) -> String {
        let program = &self.pack.program;
        let deferring = self.deferring();
        // a held line codes its keys
        let fixed = |i: usize| match deferring {
            true => self.held_fixed[i].as_str(),
            false => FIXED[i],
        };
        let lines = visit.record.fields[self.pack.feedetail].as_list();
        let mut out = String::with_capacity(256 + 160 * lines.len());
        out.push_str(fixed(0));
        json_text::push_string(&mut out, &visit.mdtrt_id);
        out.push_str(fixed(1));
        json_text::push_string(&mut out, &visit.psn_no);
        let mut holes = 0;
        for (o, value) in self.visit_outputs.iter().zip(&s.visit) {
            match deferring && o.after_totals {
                true => {
                    holes::push(&mut out, (holes == 0).then_some((visit, &s.saved[..])));
                    holes += 1;
                }
                false => push_output(&mut out, o, deferring, value, program),
            }
        }
        out.push_str(fixed(2));
        for (i, line) in lines.iter().enumerate() {
            let outs = s.line(i);
            if i > 0 {
                out.push(',');
            }
            out.push_str(fixed(3));
            let sn = line
                .as_record()
                .and_then(|r| r.fields.get(self.sn?)?.as_str());
            json_text::push_string(&mut out, sn.unwrap_or_default());
            for (o, value) in self.line_outputs.iter().zip(outs) {
                push_output(&mut out, o, deferring, value, program);
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
}

/// Appends `,"name":value` for an output `o` (coded when `held`), nothing when
/// it is absent; decimals as strings with at least two decimal places (money is
/// "0.00"; a value rounded to 0.0001 keeps four).
fn push_output(
    out: &mut String,
    o: &Output,
    held: bool,
    value: &Value,
    program: &heng_compiler::ir::Program,
) {
    let zero = match value {
        Value::Absent => return,
        Value::Decimal(d) => d.is_zero() && d.scale() <= 2 && !d.is_sign_negative(),
        Value::Int(i) => *i == 0 && matches!(o.ty, Type::Decimal),
        _ => false,
    };
    match held {
        true if zero => return push_code(out, &o.zero_code),
        true => push_code(out, &o.code),
        false => out.push_str(&o.key),
    }
    let ty = &o.ty;
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

/// Appends a held code (`holes::code`): two ASCII bytes pushed as they are, where
/// `push_str` calls `memcpy` for its unknown length (a third of a million calls
/// per 8,000 visits); a key past the 95th, which stays as it is, with `push_str`.
#[inline]
fn push_code(out: &mut String, code: &str) {
    match *code.as_bytes() {
        [a @ 0..=0x7f, b @ 0..=0x7f] => {
            out.push(char::from(a));
            out.push(char::from(b));
        }
        _ => out.push_str(code),
    }
}

/// Gives each output its held codes (its key, and its key with zero money),
/// numbered after [`FIXED`]; returns every key held lines code, in that order.
fn held_codes<'o>(outputs: impl Iterator<Item = &'o mut Output>) -> Vec<holes::HeldKey> {
    let mut keys: Vec<String> = FIXED.iter().map(|k| k.to_string()).collect();
    for o in outputs {
        o.code = holes::code(keys.len(), &o.key);
        keys.push(o.key.clone());
        let zero = format!("{}{ZERO}", o.key);
        o.zero_code = holes::code(keys.len(), &zero);
        keys.push(zero);
    }
    keys.iter().map(|k| holes::HeldKey::new(k)).collect()
}

/// The outputs named, typed and placed by `outputs`, as they are written.
fn outputs<'a>(outputs: impl Iterator<Item = (&'a str, &'a Type, bool)>) -> Vec<Output> {
    outputs
        .map(|(name, ty, after_totals)| {
            let mut key = String::from(",");
            json_text::push_string(&mut key, name);
            key.push(':');
            Output {
                key,
                code: String::new(),
                zero_code: String::new(),
                ty: ty.clone(),
                after_totals,
            }
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
