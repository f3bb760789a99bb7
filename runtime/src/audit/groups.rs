//! Indicators: `each group` rules over groups of the batch's visits.
//!
//! Workers evaluate each visit's keys and totals ([`Evaluator::group_contribution`]);
//! the writer adds them up per rule and key in a [`Groups`] (memory: one entry per
//! group, e.g. hospital × department × month); after the last visit, each group's
//! steps run once and its findings follow every visit finding, by rule order and
//! then by key (records.md).

use super::{EvalFailure, Finding, Summary, eval_failure_json, finding_json, money};
use crate::eval::{Evaluator, KeysAndTotals, evidence_json};
use crate::pack::Pack;
use crate::value::Value;
use heng_compiler::diagnostic::{Lang, Text};
use heng_compiler::source::SourceMap;
use std::collections::HashMap;
use std::io::Write;

/// Writes the indicator findings of a finished run (its `summary.groups`) to the
/// sinks, after every visit finding.
pub fn write_groups(
    pack: &Pack,
    sources: &SourceMap,
    summary: &mut Summary,
    sinks: &mut super::Sinks,
) -> std::io::Result<()> {
    let groups = std::mem::take(&mut summary.groups);
    groups.write(
        pack,
        sources,
        summary,
        sinks.findings,
        sinks.errors,
        sinks.lang,
    )?;
    summary.groups = groups;
    Ok(())
}

/// One visit's keys and totals for one `each group` rule.
pub type Contribution = (usize, Vec<Value>, Vec<Value>);

/// The groups of a batch so far: per rule and key, the summed totals.
#[derive(Clone, Debug, Default)]
pub struct Groups {
    /// rule → sortable key → (key values, totals); sorted when written.
    groups: HashMap<usize, HashMap<String, KeysAndTotals, Hasher>, Hasher>,
    /// Room for the sortable key of the visit being added (allocated once, not
    /// per visit: a group met again needs no key of its own).
    key: String,
    /// The first rule whose totals could not be added (a decimal overflow), with why;
    /// written as an evaluation error with the rule's findings.
    pub overflow: Option<(usize, Text)>,
}

/// Key values in the order group findings are written: codes and text as they
/// are, numbers and dates in an order-preserving form, joined by a separator that
/// sorts before any character they hold.
fn sort_key(keys: &[Value], out: &mut String) {
    use std::fmt::Write;
    out.clear();
    for v in keys {
        let _ = match v {
            Value::Text(t) => {
                out.push_str(t);
                Ok(())
            }
            Value::Int(i) => write!(out, "{:020}", (*i as i128 - i64::MIN as i128)),
            Value::Enum(i) => write!(out, "{i:010}"),
            Value::Bool(b) => write!(out, "{b}"),
            Value::Date(d) => write!(out, "{d}"),
            Value::DateTime(t) => write!(out, "{t}"),
            Value::Decimal(d) => write!(out, "{d}"),
            _ => Ok(()),
        };
        out.push('\u{1}');
    }
}

type Hasher = foldhash::fast::RandomState;

impl Groups {
    /// Adds one visit's contribution.
    pub fn add(&mut self, (rule, keys, totals): Contribution) {
        sort_key(&keys, &mut self.key);
        let groups = self.groups.entry(rule).or_default();
        match groups.get_mut(self.key.as_str()) {
            Some(g) => {
                if let Err(e) = Evaluator::add_totals(&mut g.1, &totals) {
                    self.overflow.get_or_insert((rule, e));
                }
            }
            None => {
                groups.insert(self.key.clone(), (keys, totals));
            }
        }
    }

    /// Runs each group's steps and writes its findings (and evaluation errors),
    /// counting them in the summary.
    pub fn write(
        &self,
        pack: &Pack,
        sources: &SourceMap,
        summary: &mut Summary,
        findings: &mut dyn Write,
        errors: &mut dyn Write,
        lang: Lang,
    ) -> std::io::Result<()> {
        let evaluator = Evaluator::new(&pack.program, &pack.params, &pack.tables);
        if let Some((rule, reason)) = &self.overflow {
            let failure = EvalFailure {
                line: 0,
                mdtrt_id: String::new(),
                rule: *rule,
                feedetl_sn: None,
                position: String::new(),
                reason: reason.clone(),
            };
            writeln!(errors, "{}", eval_failure_json(pack, &failure, lang))?;
            summary.eval_errors += 1;
        }
        let mut sorted: Vec<_> = self
            .groups
            .iter()
            .flat_map(|(rule, groups)| groups.iter().map(move |(key, g)| ((*rule, key), g)))
            .collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        for ((rule_index, _), (keys, totals)) in sorted {
            let rule = &pack.program.rules[rule_index];
            let Some(of) = &rule.group_of else { continue };
            let outcome = evaluator.eval_group(rule, keys, totals);
            let group: Vec<(String, serde_json::Value)> = of
                .keys
                .iter()
                .zip(keys)
                .map(|((name, e), v)| (name.clone(), evidence_json(v, &e.ty, &pack.program)))
                .collect();
            for hit in outcome.hits {
                let f = Finding {
                    mdtrt_id: String::new(),
                    psn_no: String::new(),
                    group: group.clone(),
                    rule: rule_index,
                    severity: hit.severity,
                    feedetl_sn: Vec::new(),
                    amount: money(hit.amount),
                    message: hit.message,
                    evidence: hit
                        .evidence
                        .iter()
                        .zip(&rule.evidence)
                        .map(|((k, v), (_, e))| (k.clone(), evidence_json(v, &e.ty, &pack.program)))
                        .collect(),
                };
                writeln!(findings, "{}", finding_json(pack, &f))?;
                let t = &mut summary.rules[rule_index];
                let sev = (f.severity as usize).min(2);
                t.count[sev] += 1;
                t.amount[sev] += f.amount;
                summary.findings += 1;
                summary.amount += f.amount;
            }
            for e in outcome.errors {
                let (l, c) = sources.line_col(e.span.file, e.span.start);
                let failure = EvalFailure {
                    line: 0,
                    mdtrt_id: group
                        .iter()
                        .map(|(_, v)| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                        .collect::<Vec<_>>()
                        .join("/"),
                    rule: rule_index,
                    feedetl_sn: None,
                    position: format!("{}:{l}:{c}", sources.get(e.span.file).path),
                    reason: e.message,
                };
                writeln!(errors, "{}", eval_failure_json(pack, &failure, lang))?;
                summary.eval_errors += 1;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn visits_with_equal_keys_add_up_and_an_overflow_is_kept_for_the_errors() {
        let mut g = Groups::default();
        let key = || vec![Value::text("H1"), Value::text("2026-10")];
        g.add((
            3,
            key(),
            vec![Value::Int(1), Value::Decimal(Decimal::new(150, 2))],
        ));
        g.add((
            3,
            key(),
            vec![Value::Int(1), Value::Decimal(Decimal::new(250, 2))],
        ));
        g.add((
            3,
            vec![Value::text("H2"), Value::text("2026-10")],
            vec![Value::Int(1), Value::Decimal(Decimal::ONE)],
        ));
        let mut h1_key = String::new();
        sort_key(&key(), &mut h1_key);
        let h1 = &g.groups[&3][&h1_key].1;
        assert_eq!(
            h1,
            &vec![Value::Int(2), Value::Decimal(Decimal::new(400, 2))]
        );
        assert_eq!(g.groups[&3].len(), 2);
        assert!(g.overflow.is_none());
        let big = || vec![Value::Int(1), Value::Decimal(Decimal::MAX)];
        g.add((5, key(), big()));
        g.add((5, key(), big()));
        assert_eq!(g.overflow.as_ref().map(|(rule, _)| *rule), Some(5));
    }
}
