//! The reference interpreter: a tree-walking evaluator over the typed IR.
//!
//! It is the semantic reference the Cranelift backend must match, so every choice
//! that could differ between backends is written down here:
//!
//! - A rule frame has `frame_size` slots (at least two); local 0 is the visit
//!   ([`VISIT_LOCAL`]), and in `each line` rules local 1 is the current fee line
//!   ([`LINE_LOCAL`]). Line rules run once per element of the visit's fee-line list,
//!   in list order, each with a fresh frame.
//! - Steps run in source order; `when` false or `unless` true ends the rule without a
//!   hit. Then severity, amount, lines, message pieces and evidence are evaluated in
//!   that order.
//! - A runtime fault (division by zero, overflow, a field of an absent value, a
//!   `match` without a matching arm) stops the rule for that line (line rules go on
//!   with the next line) or for the visit, and becomes an [`EvalError`] carrying the
//!   span of the failing expression. The evaluator never panics on any input.
//! - Evaluation order inside expressions is left to right; `and`/`or` short-circuit;
//!   `in [..]` stops at the first equal item; `any`/`all` stop at the first deciding
//!   element. Faults in parts that are not evaluated therefore do not occur.
//! - Arithmetic: Int op Int stays Int (checked) except `/`, which is always Decimal;
//!   a mixed Int/Decimal operation widens to Decimal; Decimal operations are checked
//!   and division keeps rust_decimal's full 28-digit precision.
//! - `min`/`max` aggregates and builtins keep the first of equal values.
//! - The `lines` of a hit are mapped back to indices of the visit's fee-line list by
//!   pointer identity; a record that is not one of this visit's lines (e.g. a line of
//!   another visit of the patient) is not named. Indices are sorted and deduplicated.

pub(crate) mod builtins;
pub use builtins::years_between;
mod group;
pub use group::merge_groups;
mod aggregate;
pub(crate) mod index_scan;
mod indicator;
pub use indicator::KeysAndTotals;
mod expr;
pub(crate) mod ops;
mod render;
pub(crate) mod settle;
pub use settle::{Settled, Totals};
#[cfg(test)]
mod tests;

pub use render::{const_value, display, evidence_json};

use crate::history::Patient;
use crate::table::Table;
use crate::value::Value;
use heng_compiler::diagnostic::Text;
use heng_compiler::ir::{
    BinOp, Expr, ExprKind, HistoryOp, LINE_LOCAL, LocalId, LookupMode, Piece, Program, Rule, Scope,
    Step, UnOp, VISIT_LOCAL,
};
use heng_compiler::source::Span;
use heng_compiler::text;
use rust_decimal::Decimal;
use std::cell::OnceCell;
use std::ops::Deref;

/// Evaluates the rules of one checked program against visits.
///
/// `params` holds the parameter values in [`Program::params`] order (defaults or
/// overrides); `tables` holds the loaded tables in [`Program::tables`] order.
pub struct Evaluator<'a> {
    program: &'a Program,
    params: &'a [Value],
    tables: &'a [Table],
}

/// Everything one rule produced on one visit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleOutcome {
    pub hits: Vec<Hit>,
    pub errors: Vec<EvalError>,
}

/// One finding of a rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// Indices into the visit's fee-line list, in list order, deduplicated.
    pub lines: Vec<usize>,
    /// Variant index of the `Severity` enum.
    pub severity: u32,
    pub amount: Decimal,
    pub message: String,
    pub evidence: Vec<(String, Value)>,
    /// The `group by` key (empty without one).
    pub group: Vec<Value>,
}

/// A runtime fault while evaluating a rule.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError {
    /// The failing expression.
    pub span: Span,
    /// The fee-line index, for `each line` rules.
    pub line: Option<usize>,
    pub message: Text,
}

/// A fault on its way up from the failing expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Fault {
    span: Span,
    message: Text,
}

pub(crate) type Eval<T> = Result<T, Fault>;

/// Attaches a span to a message-only fault from the helpers in `ops`/`builtins`.
fn at(span: Span) -> impl FnOnce(Text) -> Fault {
    move |message| Fault { span, message }
}

/// A fault that a well-typed program cannot produce; reported, never panicked on.
fn internal(what: &str) -> Text {
    text!(
        "内部错误:{}(类型检查应已排除)",
        "internal error: {} (the checker should have ruled this out)",
        what
    )
}

impl<'a> Evaluator<'a> {
    pub fn new(program: &'a Program, params: &'a [Value], tables: &'a [Table]) -> Self {
        Evaluator {
            program,
            params,
            tables,
        }
    }

    /// Evaluates one rule on one visit (`visit` is a `Value::Record` of
    /// `Program.visit`'s type, refunds already applied). `feedetail_field` is the index
    /// of the fee-line list in the visit record. `patient` holds the patient's visits
    /// in time order (this one included) for rules that read history; without it,
    /// the history is this visit alone.
    pub fn eval_rule(
        &self,
        rule: &Rule,
        visit: &Value,
        feedetail_field: usize,
        patient: Option<&Patient>,
    ) -> RuleOutcome {
        let cx = Cx::new(self, visit, patient);
        let mut outcome = RuleOutcome::default();
        let lines: &[Value] = match visit {
            Value::Record(r) => r.fields.get(feedetail_field).map_or(&[], Value::as_list),
            _ => &[],
        };
        match rule.scope {
            // indicators: see `group_contribution` and `eval_group`
            Scope::Group => {}
            Scope::Visit => match cx.run(rule, None, lines) {
                Ok(hits) => outcome.hits.extend(hits),
                Err(f) => outcome.errors.push(EvalError {
                    span: f.span,
                    line: None,
                    message: f.message,
                }),
            },
            Scope::Line => {
                for (i, line) in lines.iter().enumerate() {
                    match cx.run(rule, Some((i, line)), lines) {
                        Ok(hits) => outcome.hits.extend(hits),
                        Err(f) => outcome.errors.push(EvalError {
                            span: f.span,
                            line: Some(i),
                            message: f.message,
                        }),
                    }
                }
            }
        }
        outcome
    }

    /// Evaluates one rule on the visit alone (`line: None`, for `each visit` rules) or
    /// on one of its fee lines (`Some(index)`, for `each line` rules). Native code
    /// decides quickly which lines need this; the interpreter then renders them,
    /// not establishing again what native code established where the rule fired.
    pub fn eval_rule_at(
        &self,
        rule: &Rule,
        visit: &Value,
        feedetail_field: usize,
        line: Option<usize>,
        patient: Option<&Patient>,
        fired: &Fired,
    ) -> RuleOutcome {
        let mut cx = Cx::new(self, visit, patient);
        cx.fired = fired;
        let mut outcome = RuleOutcome::default();
        let lines: &[Value] = match visit {
            Value::Record(r) => r.fields.get(feedetail_field).map_or(&[], Value::as_list),
            _ => &[],
        };
        let at_line = line.and_then(|i| lines.get(i).map(|l| (i, l)));
        match cx.run(rule, at_line, lines) {
            Ok(hits) => outcome.hits.extend(hits),
            Err(f) => outcome.errors.push(EvalError {
                span: f.span,
                line,
                message: f.message,
            }),
        }
        outcome
    }
}

#[cfg(test)]
impl Evaluator<'_> {
    /// One expression, outside any visit (for unit tests).
    fn eval(&self, e: &Expr, frame: &mut [Value]) -> Eval<Value> {
        let none = Value::Absent;
        Cx::new(self, &none, None).eval(e, frame)
    }
}

/// One evaluation: the evaluator with the visit and the patient it belongs to.
struct Cx<'e, 'a, 'v> {
    ev: &'e Evaluator<'a>,
    visit: &'v Value,
    patient: Option<&'v Patient>,
    /// The history of a visit evaluated without one: the visit alone.
    alone: OnceCell<Patient>,
    /// What native code established (see `eval_rule_at`).
    fired: &'v Fired<'v>,
}

/// What native code established where a rule fired, so that rendering its finding
/// need not establish it again.
pub struct Fired<'a> {
    /// Values of some of the rule's `let`s (those native code kept).
    pub lets: &'a [(LocalId, Value)],
    /// Every `when` of the rule holds and every `unless` fails (a rule without
    /// `for`, which native code decided fires): a condition that binds no name
    /// need not be evaluated.
    pub conditions_hold: bool,
}

impl Fired<'_> {
    /// Nothing established: the rule is evaluated whole.
    pub const NOTHING: Fired<'static> = Fired {
        lets: &[],
        conditions_hold: false,
    };

    /// Whether condition `c` need not be evaluated: it holds, and native code kept
    /// the value of every name it binds.
    fn holds(&self, c: &Expr) -> bool {
        if !self.conditions_hold {
            return false;
        }
        let mut kept = true;
        c.names_bound(&mut |l| kept &= self.value(l).is_some());
        kept
    }

    /// The value native code kept for `local`.
    fn value(&self, local: LocalId) -> Option<&Value> {
        self.lets.iter().find(|(l, _)| *l == local).map(|(_, v)| v)
    }
}

impl<'a> Deref for Cx<'_, 'a, '_> {
    type Target = Evaluator<'a>;
    fn deref(&self) -> &Evaluator<'a> {
        self.ev
    }
}

impl<'e, 'a, 'v> Cx<'e, 'a, 'v> {
    fn new(ev: &'e Evaluator<'a>, visit: &'v Value, patient: Option<&'v Patient>) -> Self {
        Cx {
            ev,
            visit,
            patient,
            alone: OnceCell::new(),
            fired: &Fired::NOTHING,
        }
    }

    fn patient(&self) -> &Patient {
        match self.patient {
            Some(p) => p,
            None => self.alone.get_or_init(|| {
                Patient::new(
                    vec![self.visit.clone()],
                    crate::history::TimeFields::of(self.program),
                )
            }),
        }
    }

    /// One run of a rule: for the visit, or for one of its lines. Without `for`
    /// steps it yields at most one hit; each `for` multiplies the runs after it.
    fn run(
        &self,
        rule: &Rule,
        line: Option<(usize, &Value)>,
        all_lines: &[Value],
    ) -> Eval<Vec<Hit>> {
        let mut frame = vec![Value::Absent; (rule.frame_size as usize).max(2)];
        frame[VISIT_LOCAL.0 as usize] = self.visit.clone();
        if let Some((_, l)) = line {
            frame[LINE_LOCAL.0 as usize] = l.clone();
        }
        let mut hits = Vec::new();
        self.steps(rule, &rule.steps, &mut frame, line, all_lines, &mut hits)?;
        Ok(hits)
    }

    /// Runs `steps` (the rest of the rule's steps) and, if they all pass, the hit.
    fn steps(
        &self,
        rule: &Rule,
        steps: &[Step],
        frame: &mut [Value],
        line: Option<(usize, &Value)>,
        all_lines: &[Value],
        hits: &mut Vec<Hit>,
    ) -> Eval<()> {
        for (k, step) in steps.iter().enumerate() {
            match step {
                Step::Let(local, e) => {
                    let v = match self.fired.value(*local) {
                        Some(v) => v.clone(),
                        None => self.eval(e, frame)?,
                    };
                    store(frame, *local, v, e.span)?;
                }
                Step::When(c) | Step::Unless(c) if self.fired.holds(c) => {
                    let mut kept = Ok(());
                    c.names_bound(&mut |l| {
                        if let (Ok(()), Some(v)) = (&kept, self.fired.value(l)) {
                            kept = store(frame, l, v.clone(), c.span);
                        }
                    });
                    kept?;
                }
                Step::When(c) => {
                    if !self.eval_bool(c, frame)? {
                        return Ok(());
                    }
                }
                Step::Unless(c) => {
                    if self.eval_bool(c, frame)? {
                        return Ok(());
                    }
                }
                Step::For { var, list, filter } => {
                    let items = self.eval(list, frame)?;
                    for item in items.as_list() {
                        store(frame, *var, item.clone(), list.span)?;
                        if let Some(f) = filter
                            && !self.eval_bool(f, frame)?
                        {
                            continue;
                        }
                        self.steps(rule, &steps[k + 1..], frame, line, all_lines, hits)?;
                    }
                    return Ok(());
                }
            }
        }
        hits.push(self.hit(rule, frame, line, all_lines)?);
        Ok(())
    }

    /// The finding of a run whose steps all passed.
    fn hit(
        &self,
        rule: &Rule,
        frame: &mut [Value],
        line: Option<(usize, &Value)>,
        all_lines: &[Value],
    ) -> Eval<Hit> {
        let frame = &mut *frame;
        let severity = match self.eval(&rule.severity, frame)? {
            Value::Enum(v) => v,
            _ => {
                return Err(Fault {
                    span: rule.severity.span,
                    message: internal("severity is not an enum value"),
                });
            }
        };
        let amount = match &rule.amount {
            None => Decimal::ZERO,
            Some(e) => self.eval(e, frame)?.as_decimal().ok_or_else(|| Fault {
                span: e.span,
                message: internal("amount is not a number"),
            })?,
        };
        let lines = match &rule.lines {
            None => line.map(|(i, _)| vec![i]).unwrap_or_default(),
            Some(e) => line_indices(&self.eval(e, frame)?, all_lines),
        };
        let mut group = Vec::with_capacity(rule.group.len());
        for e in &rule.group {
            group.push(self.eval(e, frame)?);
        }
        let mut message = String::new();
        for piece in &rule.message {
            match piece {
                Piece::Text(t) => message.push_str(t),
                Piece::Expr(e) => {
                    let v = self.eval(e, frame)?;
                    message.push_str(&display(&v, &e.ty, self.program));
                }
            }
        }
        let mut evidence = Vec::with_capacity(rule.evidence.len());
        for (name, e) in &rule.evidence {
            evidence.push((name.clone(), self.eval(e, frame)?));
        }
        Ok(Hit {
            lines,
            severity,
            amount,
            message,
            evidence,
            group,
        })
    }
}

/// Stores a value into a frame slot.
fn store(frame: &mut [Value], local: LocalId, value: Value, span: Span) -> Eval<()> {
    match frame.get_mut(local.0 as usize) {
        Some(slot) => {
            *slot = value;
            Ok(())
        }
        None => Err(at(span)(internal("local slot out of range"))),
    }
}

/// Maps a list of fee-line records back to indices of the visit's fee-line list by
/// pointer identity: sorted, deduplicated; records of other visits are skipped.
fn line_indices(named: &Value, all_lines: &[Value]) -> Vec<usize> {
    let mut out = Vec::new();
    // Named lines usually come in list order, so search from the last match onwards.
    let mut from = 0;
    for v in named.as_list() {
        let Value::Record(r) = v else { continue };
        let same = |l: &Value| matches!(l, Value::Record(x) if x.same(r));
        let found = all_lines[from..]
            .iter()
            .position(same)
            .map(|i| i + from)
            .or_else(|| all_lines[..from].iter().position(same));
        if let Some(i) = found {
            out.push(i);
            from = i;
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}
