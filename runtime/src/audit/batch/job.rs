//! What a worker does with a part of the input: every line parsed, evaluated,
//! settled and rendered, ready for the writer ([`Done`]).

use super::Part;
use crate::audit::{audit_visit, eval_failure_json, finding_json};
use crate::engine::Engine;
use crate::history::{HistorySource, Patient, TimeFields};
use crate::input::{InputError, Schema, Visit, VisitIds, read_visit};
use crate::pack::Pack;
use crate::settle::{SettledLine, Settler};
use crate::value::{SmolStr, Value};
use heng_compiler::diagnostic::Lang;
use heng_compiler::source::SourceMap;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// One input line after a worker is done with it: everything the writer needs,
/// rendered, so that records are built and dropped on the worker's thread.
pub(super) enum Done {
    Rejected(InputError),
    Evaluated {
        line: u64,
        mdtrt_id: SmolStr,
        psn_no: SmolStr,
        fee_lines: u64,
        /// Per finding: rule, severity, amount.
        totals: Vec<(usize, u32, Decimal)>,
        /// Findings as NDJSON lines.
        findings: String,
        /// Evaluation failures as NDJSON lines, and how many.
        failures: String,
        failure_count: u64,
        /// Keys and totals of `each group` rules.
        groups: Vec<crate::audit::groups::Contribution>,
        /// The visit's settlement line, when the run settles.
        settlement: String,
    },
}

/// Per patient (`psn_no`) of a part.
type ByPatient<V> = HashMap<SmolStr, V, foldhash::fast::RandomState>;

/// A part's results, and its sums of the settlement's batch totals (added once
/// the writer has found that no visit of it repeats an earlier part's).
pub(super) struct Worked {
    pub(super) done: Vec<Done>,
    pub(super) totals: Vec<Decimal>,
}

/// Per input line, the error of a visit whose id an earlier part had.
pub(super) type Repeats = HashMap<u64, InputError>;

/// Rejects the visits of `parsed` whose lines `repeats` names and those whose id
/// an earlier visit of `parsed` has.
fn reject_repeats(parsed: &mut [Result<Visit, InputError>], repeats: &Repeats) {
    let mut first = VisitIds::default();
    let rejected: Vec<Option<InputError>> = parsed
        .iter()
        .map(|v| {
            let v = v.as_ref().ok()?;
            match repeats.get(&v.line) {
                Some(e) => Some(e.clone()),
                None => first.accept(v.line, &v.mdtrt_id).err(),
            }
        })
        .collect();
    for (v, e) in parsed.iter_mut().zip(rejected) {
        if let Some(e) = e {
            *v = Err(e);
        }
    }
}

/// What every worker needs to evaluate a part.
pub(super) struct Job<'a> {
    pub(super) pack: &'a Pack,
    /// The `each group` rules, whose keys and totals the engine computes per visit.
    pub(super) group_rules: Vec<usize>,
    /// Whether the pack has rules evaluated visit by visit.
    pub(super) audits: bool,
    pub(super) engine: &'a dyn Engine,
    pub(super) schema: &'a Schema,
    pub(super) sources: &'a SourceMap,
    pub(super) lang: Lang,
    /// Earlier visits, when a rule reads history (`None`: no rule does).
    pub(super) history: Option<&'a dyn HistorySource>,
    pub(super) times: TimeFields,
    pub(super) renumber: Option<&'a [u64]>,
    pub(super) settler: Option<&'a Settler<'a>>,
}

impl Job<'_> {
    /// A worker's part: every line parsed, evaluated and rendered, but for
    /// `repeats` (visits whose ids earlier parts had) and visits repeating an
    /// earlier one of the part, which are rejected before anything is evaluated.
    /// A panic turns the part's lines into error records rather than losing them.
    pub(super) fn work(&self, part: &Part, repeats: &Repeats) -> Worked {
        let (pack, schema) = (self.pack, self.schema);
        let run = std::panic::AssertUnwindSafe(|| {
            let number = |n: u64| match self.renumber {
                Some(r) => r.get(n as usize - 1).copied().unwrap_or(n),
                None => n,
            };
            let mut parsed: Vec<Result<Visit, InputError>> = part
                .lines()
                .map(|l| match l {
                    Ok((line, text)) => read_visit(schema, number(line), text),
                    Err(mut e) => {
                        e.line = number(e.line);
                        Err(e)
                    }
                })
                .collect();
            reject_repeats(&mut parsed, repeats);
            let patients = self.patients(&parsed);
            let (settled, totals) = self.settle(&parsed);
            let mut settled = settled.into_iter();
            let done = parsed
                .into_iter()
                .map(|v| {
                    let visit = match v {
                        Ok(v) => v,
                        Err(e) => return Done::Rejected(e),
                    };
                    let patient = patients.get(visit.psn_no.as_str());
                    let (found, mut failed) = match self.audits {
                        true => {
                            audit_visit(pack, self.engine, schema, self.sources, &visit, patient)
                        }
                        false => Default::default(),
                    };
                    let record = crate::value::Value::Record(visit.record.clone());
                    let mut groups = Vec::new();
                    for &r in &self.group_rules {
                        match self.engine.group_contribution(r, &record, patient) {
                            Some(Ok((keys, totals))) => groups.push((r, keys, totals)),
                            Some(Err(e)) => {
                                let (l, c) = self.sources.line_col(e.span.file, e.span.start);
                                failed.push(crate::audit::EvalFailure {
                                    line: visit.line,
                                    mdtrt_id: visit.mdtrt_id.to_string(),
                                    rule: r,
                                    feedetl_sn: None,
                                    position: format!(
                                        "{}:{l}:{c}",
                                        self.sources.get(e.span.file).path
                                    ),
                                    reason: e.message,
                                });
                            }
                            None => {}
                        }
                    }
                    let mut findings = String::new();
                    for f in &found {
                        findings.push_str(&finding_json(pack, f));
                        findings.push('\n');
                    }
                    let mut failures = String::new();
                    for e in &failed {
                        failures.push_str(&eval_failure_json(pack, e, self.lang));
                        failures.push('\n');
                    }
                    let mut failure_count = failed.len() as u64;
                    let settlement = match settled.next() {
                        Some(SettledLine::Ok(line)) => line + "\n",
                        Some(SettledLine::Failed(error)) => {
                            failures.push_str(&error);
                            failures.push('\n');
                            failure_count += 1;
                            String::new()
                        }
                        Some(SettledLine::Skipped) | None => String::new(),
                    };
                    Done::Evaluated {
                        line: visit.line,
                        fee_lines: visit.record.fields[schema.fields().feedetail]
                            .as_list()
                            .len() as u64,
                        mdtrt_id: visit.mdtrt_id,
                        psn_no: visit.psn_no,
                        totals: found
                            .iter()
                            .map(|f| (f.rule, f.severity, f.amount))
                            .collect(),
                        findings,
                        failures,
                        failure_count,
                        groups,
                        settlement,
                    }
                })
                .collect();
            Worked { done, totals }
        });
        std::panic::catch_unwind(run).unwrap_or_else(|_| {
            let done = part
                .lines()
                .map(|l| {
                    Done::Rejected(InputError {
                        line: l.map_or_else(|e| e.line, |(n, _)| n),
                        mdtrt_id: None,
                        field: String::new(),
                        reason: heng_compiler::text!(
                            "内部错误:该行未能处理",
                            "internal error: this line was not processed"
                        ),
                    })
                })
                .collect();
            Worked {
                done,
                totals: Vec::new(),
            }
        })
    }

    /// The settlement of a part's readable visits, in order, and the part's sums
    /// of the batch totals, when the run settles.
    fn settle(&self, parsed: &[Result<Visit, InputError>]) -> (Vec<SettledLine>, Vec<Decimal>) {
        let Some(settler) = self.settler else {
            return Default::default();
        };
        let visits: Vec<&Visit> = parsed.iter().flatten().collect();
        settler.settle_part(self.engine, &visits, self.sources, self.lang)
    }

    /// The patients of a part, when a rule reads history: each patient's earlier
    /// visits from the history source, then their visits in this part in input order.
    fn patients(&self, parsed: &[Result<Visit, InputError>]) -> ByPatient<Patient> {
        let Some(history) = self.history else {
            return ByPatient::default();
        };
        let mut visits: ByPatient<Vec<Value>> = ByPatient::default();
        for v in parsed.iter().flatten() {
            visits
                .entry(v.psn_no.clone())
                .or_insert_with(|| history.visits(&v.psn_no))
                .push(Value::Record(v.record.clone()));
        }
        visits
            .into_iter()
            .map(|(psn, vs)| (psn, Patient::new(vs, self.times)))
            .collect()
    }
}
