//! zen-engine (GoRules' rules engine) as a W7 peer: the five rules as one JSON
//! Decision Model graph, request → decision table → response, evaluated by its
//! `DecisionEngine`. This is the engine the zen-expression row stands beside:
//! here the graph walker, the table's hit policy and its cell tests (run on the
//! same expression VM) all count.
//!
//! **The table** ([`jdm`], built in code). Hit policy `collect`: every row whose
//! cells all pass contributes its output, the id of the rule it stands for, in
//! the field `rule`. Input columns read the record's fields by name (`gend`,
//! `visit_allowed`, `visit_class`, `excluded`, `chrgitm_lv`, cells are unary
//! tests such as `"1", "2"` or `$ != "03"`); one column without a field holds the
//! comparisons between two fields (`age_min != null and age < age_min`), as a
//! table author writes them. A rule with two ways to fire (age below the minimum
//! or above the maximum; an inpatient-only or outpatient-only item) has two rows;
//! a line's ids become a bit mask, so a rule counts once.
//!
//! **The data.** Each flat record of `w7::flatten` (lookups pre-resolved) becomes
//! a zen `Variable` once, before timing, from the JSON of [`record_json`] (absent
//! values are left out and read as `null`; numbers pass zen's own
//! `arbitrary_precision` switch, as for zen-expression). Per record the timed loop
//! evaluates the decision, created and compiled once (`Decision::compile`: the
//! cells' opcodes and the table index are built in advance), with
//! `Decision::evaluate`, which is async: `pollster::block_on` drives it (nothing
//! in the graph awaits I/O, so the future is ready on the first poll).

use super::{Peer, mask_flags, named_flag, record_json};
use crate::bench::w7::{Flag, FlatLine};
use serde_json::{Value as Json, json};
use std::sync::Arc;
use zen_engine::model::DecisionContent;
use zen_engine::{Decision, DecisionEngine, Variable};

/// The rows of the table: (rule id, cells by input column id). A cell left out
/// passes.
const ROWS: &[(&str, &[(&str, &str)])] = &[
    (
        "gender_limit",
        &[
            ("gend", r#""1", "2""#),
            ("cond", "limit_gender != null and gend != limit_gender"),
        ],
    ),
    (
        "age_limit",
        &[("cond", "age_min != null and age < age_min")],
    ),
    (
        "age_limit",
        &[("cond", "age_max != null and age > age_max")],
    ),
    (
        "tier_limit",
        &[("cond", "min_tier != null and tier < min_tier")],
    ),
    (
        "visit_limit",
        &[
            ("visit_allowed", r#""outpatient""#),
            ("visit_class", r#""inpatient""#),
        ],
    ),
    (
        "visit_limit",
        &[
            ("visit_allowed", r#""inpatient""#),
            ("visit_class", r#"$ != "inpatient""#),
        ],
    ),
    (
        "excluded_item",
        &[("excluded", "true"), ("chrgitm_lv", r#"$ != "03""#)],
    ),
];

/// The input columns: (id, the record field it reads; "" for none, where cells
/// are whole expressions over the record).
const INPUTS: &[(&str, &str)] = &[
    ("gend", "gend"),
    ("visit_allowed", "visit_allowed"),
    ("visit_class", "visit_class"),
    ("excluded", "excluded"),
    ("chrgitm_lv", "chrgitm_lv"),
    ("cond", ""),
];

/// The five rules as a JDM graph: an input node, one decision table (hit policy
/// `collect`, output field `rule`) and an output node.
pub fn jdm() -> Json {
    let inputs: Vec<Json> = INPUTS
        .iter()
        .map(|(id, field)| json!({"id": id, "name": id, "field": field}))
        .collect();
    let rules: Vec<Json> = ROWS
        .iter()
        .enumerate()
        .map(|(i, (rule, cells))| {
            let mut row = serde_json::Map::new();
            row.insert("_id".into(), format!("row{i}").into());
            for (id, _) in INPUTS {
                let cell = cells.iter().find(|(c, _)| c == id).map_or("", |(_, v)| v);
                row.insert((*id).into(), cell.into());
            }
            row.insert("out_rule".into(), format!("\"{rule}\"").into());
            Json::Object(row)
        })
        .collect();
    json!({
        "nodes": [
            {"id": "request", "name": "request", "type": "inputNode"},
            {
                "id": "table",
                "name": "w7_line_rules",
                "type": "decisionTableNode",
                "content": {
                    "hitPolicy": "collect",
                    "inputs": inputs,
                    "outputs": [{"id": "out_rule", "name": "rule", "field": "rule"}],
                    "rules": rules,
                    "passThrough": false,
                    "executionMode": "single"
                }
            },
            {"id": "response", "name": "response", "type": "outputNode"}
        ],
        "edges": [
            {"id": "e1", "sourceId": "request", "targetId": "table"},
            {"id": "e2", "sourceId": "table", "targetId": "response"}
        ]
    })
}

struct ZenEngine {
    decision: Decision,
    records: Vec<(u32, Variable)>,
}

/// The decision created (and compiled) once, the records as zen variables.
pub fn build(lines: &[FlatLine]) -> Result<Box<dyn Peer>, String> {
    let content: DecisionContent = serde_json::from_value(jdm())
        .map_err(|e| format!("zen-engine does not read the JDM graph: {e}"))?;
    let mut decision = DecisionEngine::default()
        .create_decision(Arc::new(content))
        .map_err(|e| format!("zen-engine: {e}"))?;
    decision.compile();
    decision
        .validate()
        .map_err(|e| format!("zen-engine rejects the graph: {e}"))?;
    Ok(Box::new(ZenEngine {
        decision,
        records: lines
            .iter()
            .map(|l| (l.line, Variable::from(record_json(l))))
            .collect(),
    }))
}

impl Peer for ZenEngine {
    fn run(&mut self) -> Result<Vec<Flag>, String> {
        let mut out = Vec::new();
        for (line, r) in &self.records {
            let response = pollster::block_on(self.decision.evaluate(r.clone()))
                .map_err(|e| format!("zen-engine: {e}"))?;
            let rows = response
                .result
                .as_array()
                .ok_or_else(|| format!("zen-engine gave {}, not a list", response.result))?;
            // a rule with two rows counts once
            let mut mask = 0;
            for row in rows.borrow().iter() {
                let rule = row
                    .dot("rule")
                    .ok_or_else(|| format!("zen-engine gave the row {row}, without `rule`"))?;
                let name = rule
                    .as_str()
                    .ok_or_else(|| format!("zen-engine gave the rule {rule}, not a name"))?;
                mask |= 1 << named_flag(*line, name)?.1;
            }
            mask_flags(*line, mask, &mut out);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::bench::w7;

    fn line(n: u32) -> FlatLine {
        FlatLine {
            tier: 2,
            ..w7::plain_line(n)
        }
    }

    /// The decision table flags what the reference rules flag, on lines where
    /// each rule fires through each of its rows, and where nothing fires.
    #[test]
    fn the_decision_table_flags_what_the_rules_say() {
        let lines = vec![
            line(0),
            FlatLine {
                age: 70,
                age_max: Some(60),
                min_tier: Some(3),
                excluded: true,
                ..line(1)
            },
            FlatLine {
                limit_gender: Some("2".into()),
                age: 3,
                age_min: Some(6),
                visit_allowed: Some("inpatient".into()),
                ..line(2)
            },
            FlatLine {
                gend: Some("9".into()),
                limit_gender: Some("2".into()),
                visit_class: "inpatient".into(),
                visit_allowed: Some("outpatient".into()),
                excluded: true,
                chrgitm_lv: Some("03".into()),
                ..line(3)
            },
            FlatLine {
                gend: None,
                limit_gender: Some("1".into()),
                visit_class: "inpatient".into(),
                visit_allowed: Some("inpatient".into()),
                min_tier: Some(2),
                ..line(4)
            },
        ];
        let flags = build(&lines).unwrap().run().unwrap();
        assert_eq!(flags, w7::reference(&lines));
        assert_eq!(
            flags,
            [(1, 1), (1, 2), (1, 4), (2, 0), (2, 1), (2, 3), (3, 3)]
        );
    }
}
