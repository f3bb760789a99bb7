//! W3 (performance.md): evaluation only, one thread, the visits already in
//! memory: the pack's line rules by the interpreter, by native code (deciding
//! only, and with findings rendered), and, for the standard pack, by the
//! hand-written Rust of `handwritten`. Before timing, the engines must give the
//! same findings and the hand-written code the interpreter's count per rule.

use super::{Options, best, decide_all, handwritten, ms};
use crate::engine::{Engine, Interpreter};
use crate::native::NativeEngine;
use crate::pack::Pack;
use crate::value::Value;
use serde::Serialize;
use std::collections::HashMap;
use std::time::Duration;

#[derive(Clone, Debug, Serialize)]
pub struct W3 {
    pub visits: usize,
    pub fee_lines: usize,
    pub rules: usize,
    pub findings: usize,
    /// Line-rule evaluations per run: fee lines × rules.
    pub evaluations: usize,
    pub interpreter_ms: f64,
    pub native_ms: f64,
    pub native_decide_ms: f64,
    /// `None` when the pack is not the standard pack (see `handwritten_note`).
    pub handwritten_ms: Option<f64>,
    pub handwritten_note: Option<String>,
    /// Interpreter time / native time (findings rendered): target ≥ 5.
    pub native_speedup: f64,
    /// Native decision time / hand-written time: target ≤ 1.5.
    pub native_vs_handwritten: Option<f64>,
}

/// Times the line rules of `pack` over `visits` (see the module's doc).
pub(super) fn w3(
    pack: &Pack,
    native: &NativeEngine,
    visits: &[Value],
    opts: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<W3, String> {
    let fee_lines: usize = visits
        .iter()
        .filter_map(Value::as_record)
        .map(|r| r.fields[pack.feedetail].as_list().len())
        .sum();
    let rules = pack.active_rules().count();
    let interp = Interpreter::new(pack);
    let prepared: Vec<_> = visits.iter().map(|v| native.prepare(v)).collect();

    progress("W3: check that the engines agree");
    let mut per_rule: HashMap<&str, usize> = HashMap::new();
    let mut findings = 0;
    for (v, p) in visits.iter().zip(&prepared) {
        let (a, b) = (interp.eval_visit(v), native.eval_prepared(p, v));
        if a != b {
            return Err("native code and the interpreter disagree: a bug, please report it".into());
        }
        for (i, o) in a {
            *per_rule.entry(&pack.program.rules[i].id).or_default() += o.hits.len();
            findings += o.hits.len();
        }
    }
    let baseline = handwritten::fits(pack).and_then(|()| {
        let mut interner = handwritten::Interner::default();
        let typed = handwritten::convert(pack, visits, &mut interner);
        let resolved = handwritten::resolve(pack, &interner);
        let params = handwritten::Params::of(pack)?;
        let counts = handwritten::run(&typed, &resolved, &params);
        let rule_ids: Vec<&str> = per_rule.keys().copied().collect();
        for id in rule_ids.iter().chain(counts.keys()) {
            let (want, got) = (per_rule.get(id).copied(), counts.get(id).copied());
            if want.unwrap_or(0) != got.unwrap_or(0) || want.is_none() {
                return Err(format!(
                    "the hand-written rules do not match this pack ({id}: {} findings, hand-written {})",
                    want.unwrap_or(0),
                    got.unwrap_or(0)
                ));
            }
        }
        Ok((typed, resolved, params))
    });

    progress("W3: interpreter");
    let interpreter = best(opts.rounds.min(3), || {
        visits
            .iter()
            .map(|v| interp.eval_visit(v).len())
            .sum::<usize>()
    });
    progress("W3: native code, findings rendered");
    let rendered = best(opts.rounds.min(5), || {
        prepared
            .iter()
            .zip(visits)
            .map(|(p, v)| native.eval_prepared(p, v).len())
            .sum::<usize>()
    });
    progress("W3: native decisions and hand-written code, alternately");
    let mut decided = Vec::new();
    let (mut decide, mut hand) = (Duration::MAX, Duration::MAX);
    for _ in 0..opts.rounds.max(1) {
        decide = decide.min(best(1, || decide_all(native, &prepared, &mut decided)));
        if let Ok((typed, resolved, params)) = &baseline {
            hand = hand.min(best(1, || handwritten::run(typed, resolved, params).len()));
        }
    }
    let (handwritten_ms, handwritten_note) = match &baseline {
        Ok(_) => (Some(ms(hand)), None),
        Err(e) => (None, Some(e.clone())),
    };
    Ok(W3 {
        visits: visits.len(),
        fee_lines,
        rules,
        findings,
        evaluations: fee_lines * rules,
        interpreter_ms: ms(interpreter),
        native_ms: ms(rendered),
        native_decide_ms: ms(decide),
        handwritten_ms,
        handwritten_note,
        native_speedup: ms(interpreter) / ms(rendered),
        native_vs_handwritten: handwritten_ms.map(|h| ms(decide) / h),
    })
}
