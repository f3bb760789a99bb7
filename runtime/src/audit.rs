//! Auditing: a pack evaluated over visits, producing findings and evaluation
//! errors in deterministic order (rule order in the pack, then line order), and
//! the batch driver that streams a whole input through it on several threads.

mod batch;
mod csv;
mod file;
mod groups;
mod held;

pub use batch::{Order, Part, Settling, Sinks, Source, run_batch, run_source, write_reordered};
pub use csv::CsvAsNdjson;
pub use file::{FileRun, Spooled, run_file};
pub use groups::Groups;

use crate::engine::Engine;
use crate::eval::evidence_json;
use crate::history::Patient;
use crate::input::{InputError, Schema, Visit};
use crate::pack::Pack;
use crate::value::Value;
use heng_compiler::diagnostic::{Lang, Text};
use heng_compiler::source::SourceMap;
use rust_decimal::{Decimal, RoundingStrategy};

/// One finding, ready to be written.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub mdtrt_id: String,
    pub psn_no: String,
    /// The group's keys, for a finding of an `each group` rule (which names no
    /// visit); empty otherwise.
    pub group: Vec<(String, serde_json::Value)>,
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

/// Evaluates every rule of the pack on one visit. `patient` holds the patient's
/// visits in time order, this one included (see [`Patient`]); without it, rules
/// reading history see this visit alone.
pub fn audit_visit(
    pack: &Pack,
    engine: &dyn Engine,
    schema: &Schema,
    sources: &SourceMap,
    visit: &Visit,
    patient: Option<&Patient>,
) -> (Vec<Finding>, Vec<EvalFailure>) {
    let fields = schema.fields();
    let record = Value::Record(visit.record.clone());
    let lines = visit.record.fields[fields.feedetail].as_list();
    let mut findings = Vec::new();
    let mut failures = Vec::new();
    for (ri, outcome) in engine.eval_visit_in(&record, patient) {
        let rule = &pack.program.rules[ri];
        for hit in outcome.hits {
            let evidence = hit
                .evidence
                .iter()
                .zip(&rule.evidence)
                .map(|((k, v), (_, e))| (k.clone(), evidence_json(v, &e.ty, &pack.program)))
                .collect();
            findings.push(Finding {
                mdtrt_id: visit.mdtrt_id.to_string(),
                psn_no: visit.psn_no.to_string(),
                group: Vec::new(),
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
                mdtrt_id: visit.mdtrt_id.to_string(),
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
    use crate::json_text::push_string;
    use std::fmt::Write;
    let rule = &pack.program.rules[f.rule];
    let mut out = String::with_capacity(256 + f.message.len());
    if f.group.is_empty() {
        out.push_str("{\"mdtrt_id\":");
        push_string(&mut out, &f.mdtrt_id);
        out.push_str(",\"psn_no\":");
        push_string(&mut out, &f.psn_no);
    } else {
        out.push_str("{\"group\":");
        push_members(&mut out, &f.group);
    }
    out.push_str(",\"rule\":");
    push_string(&mut out, &rule.id);
    out.push_str(",\"rule_code\":");
    match rule.code.as_deref() {
        Some(code) => push_string(&mut out, code),
        None => out.push_str("null"),
    }
    out.push_str(",\"rule_name\":");
    push_string(&mut out, &rule.name);
    out.push_str(",\"severity\":");
    push_string(&mut out, severity_name(pack, f.severity));
    out.push_str(",\"feedetl_sn\":[");
    for (i, sn) in f.feedetl_sn.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_string(&mut out, sn);
    }
    let _ = write!(out, "],\"amount\":\"{}\",\"message\":", f.amount);
    push_string(&mut out, &f.message);
    out.push_str(",\"evidence\":");
    push_members(&mut out, &f.evidence);
    out.push('}');
    out
}

/// Appends a JSON object of `members`.
fn push_members(out: &mut String, members: &[(String, serde_json::Value)]) {
    use std::fmt::Write;
    out.push('{');
    for (i, (k, v)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        crate::json_text::push_string(out, k);
        let _ = write!(out, ":{v}");
    }
    out.push('}');
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
    /// Distinct `psn_no`s of the visits evaluated.
    pub patients: u64,
    /// Where the input first shows it is not grouped by patient (history rules need
    /// a patient's visits together: `heng group`), `None` when it is.
    pub not_grouped: Option<Regrouped>,
    /// The input was grouped by patient before evaluation (it was not grouped and
    /// the pack's rules read history), and the results put back in input order.
    pub regrouped: bool,
    /// The groups of `each group` rules, added up over the batch.
    pub groups: Groups,
    /// Visits settled (a settlement line written), when the run settles.
    pub settled: u64,
}

/// A visit whose patient had visits before, but not just before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Regrouped {
    pub line: u64,
    pub psn_no: String,
    /// The line of the patient's first visit.
    pub first_line: u64,
}
