//! zen-expression (GoRules' expression language, the one its decision-table cells
//! are written in) as a W7 peer. Each record becomes a zen `Variable` object
//! (built from JSON once, before timing, through zen's own conversion, so the
//! workspace's `arbitrary_precision` numbers meet zen's switch for them; absent
//! values are left out and read as `null`); one compiled standard expression
//! gives a bit mask of the rules that fire (bit i: `RULES[i]`). Per record the
//! timed loop evaluates the expression on one reused VM.
//!
//! zen-engine's decision table (`zen_engine`) evaluates its cells on this same
//! expression VM; this row shows the VM alone, without the graph and the table.

use super::{Peer, mask_flags, record_json};
use crate::bench::w7::{Flag, FlatLine};
use zen_expression::expression::{Expression, Standard};
use zen_expression::vm::VM;
use zen_expression::{Isolate, Variable};

/// The five rules as one zen expression.
pub const EXPRESSION: &str = r#"
  (gend in ["1", "2"] and limit_gender != null and gend != limit_gender ? 1 : 0)
+ ((age_min != null and age < age_min) or (age_max != null and age > age_max) ? 2 : 0)
+ (min_tier != null and tier < min_tier ? 4 : 0)
+ ((visit_allowed == "outpatient" and visit_class == "inpatient")
    or (visit_allowed == "inpatient" and visit_class != "inpatient") ? 8 : 0)
+ (excluded and chrgitm_lv != "03" ? 16 : 0)
"#;

struct Zen {
    expression: Expression<Standard>,
    vm: VM,
    records: Vec<(u32, Variable)>,
}

/// The expression compiled, the records as zen variables.
pub fn expression(lines: &[FlatLine]) -> Result<Box<dyn Peer>, String> {
    let expression = Isolate::new()
        .compile_standard(EXPRESSION)
        .map_err(|e| format!("the zen expression does not compile: {e}"))?;
    Ok(Box::new(Zen {
        expression,
        vm: VM::new(),
        records: lines
            .iter()
            .map(|l| (l.line, Variable::from(record_json(l))))
            .collect(),
    }))
}

impl Peer for Zen {
    fn run(&mut self) -> Result<Vec<Flag>, String> {
        let mut out = Vec::new();
        for (line, r) in &self.records {
            let v = self
                .expression
                .evaluate_with(r.clone(), &mut self.vm)
                .map_err(|e| format!("zen: {e}"))?;
            let mask = v
                .as_number()
                .and_then(|d| i64::try_from(d).ok())
                .ok_or_else(|| format!("zen gave {v}, not a mask"))?;
            mask_flags(*line, mask, &mut out);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// With `arbitrary_precision` on (the workspace's serde_json), JSON numbers
    /// still reach zen as numbers, so `age > age_max` compares ages.
    #[test]
    fn json_numbers_reach_zen_as_numbers() {
        let v = Variable::from(serde_json::json!({"age": 70}));
        assert_eq!(v.dot("age").and_then(|a| a.as_number()), Some(70.into()));
        let line = FlatLine {
            line: 9,
            item_code: "X".into(),
            gend: Some("1".into()),
            age: 70,
            tier: 2,
            visit_class: "inpatient".into(),
            chrgitm_lv: None,
            limit_gender: None,
            age_min: None,
            age_max: Some(60),
            min_tier: Some(3),
            visit_allowed: None,
            excluded: true,
        };
        let flags = expression(&[line]).unwrap().run().unwrap();
        assert_eq!(flags, [(9, 1), (9, 2), (9, 4)]);
    }
}
