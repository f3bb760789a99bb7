//! cel (the current name of cel-interpreter: CEL, Common Expression Language) as
//! a W7 peer. Each record becomes a CEL map bound to `r` (built once, before
//! timing; absent values are left out and tested with `has()`, as CEL intends);
//! one expression gives a bit mask of the rules that fire (bit i: `RULES[i]`).
//! Per record the timed loop binds `r` in a child scope of one root context and
//! executes the compiled program.

use super::{Peer, mask_flags};
use crate::bench::w7::{Flag, FlatLine};
use cel::{Context, Program, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The five rules in CEL, as one bit mask.
pub const EXPRESSION: &str = r#"
  ((has(r.gend) && r.gend in ['1', '2'] && has(r.limit_gender) && r.gend != r.limit_gender) ? 1 : 0)
+ (((has(r.age_min) && r.age < r.age_min) || (has(r.age_max) && r.age > r.age_max)) ? 2 : 0)
+ ((has(r.min_tier) && r.tier < r.min_tier) ? 4 : 0)
+ ((has(r.visit_allowed) && ((r.visit_allowed == 'outpatient' && r.visit_class == 'inpatient')
     || (r.visit_allowed == 'inpatient' && r.visit_class != 'inpatient'))) ? 8 : 0)
+ ((r.excluded && !(has(r.chrgitm_lv) && r.chrgitm_lv == '03')) ? 16 : 0)
"#;

struct Cel {
    program: Program,
    root: Context<'static, 'static>,
    records: Vec<(u32, Value)>,
}

fn record(l: &FlatLine) -> Value {
    let mut m: HashMap<String, Value> = HashMap::new();
    let text = |s: &str| Value::String(Arc::new(s.to_string()));
    m.insert("item_code".into(), text(&l.item_code));
    m.insert("age".into(), Value::Int(l.age));
    m.insert("tier".into(), Value::Int(l.tier));
    m.insert("visit_class".into(), text(&l.visit_class));
    m.insert("excluded".into(), Value::Bool(l.excluded));
    for (k, v) in [
        ("gend", &l.gend),
        ("chrgitm_lv", &l.chrgitm_lv),
        ("limit_gender", &l.limit_gender),
        ("visit_allowed", &l.visit_allowed),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), text(v));
        }
    }
    for (k, v) in [
        ("age_min", l.age_min),
        ("age_max", l.age_max),
        ("min_tier", l.min_tier),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), Value::Int(v));
        }
    }
    Value::from(m)
}

/// The expression compiled, the records as CEL maps.
pub fn build(lines: &[FlatLine]) -> Result<Box<dyn Peer>, String> {
    let program = Program::compile(EXPRESSION)
        .map_err(|e| format!("the CEL expression does not parse: {e}"))?;
    Ok(Box::new(Cel {
        program,
        root: Context::default(),
        records: lines.iter().map(|l| (l.line, record(l))).collect(),
    }))
}

impl Peer for Cel {
    fn run(&mut self) -> Result<Vec<Flag>, String> {
        let mut out = Vec::new();
        for (line, r) in &self.records {
            let mut ctx = self.root.new_inner_scope();
            ctx.add_variable_from_value("r", r.clone());
            match self.program.execute(&ctx) {
                Ok(Value::Int(mask)) => mask_flags(*line, mask, &mut out),
                Ok(other) => return Err(format!("CEL gave {other:?}, not a mask")),
                Err(e) => return Err(format!("CEL: {e}")),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn absent_values_do_not_fire() {
        let line = FlatLine {
            line: 2,
            item_code: "X".into(),
            gend: None,
            age: 70,
            tier: 0,
            visit_class: "pharmacy".into(),
            chrgitm_lv: None,
            limit_gender: Some("2".into()),
            age_min: None,
            age_max: Some(60),
            min_tier: Some(1),
            visit_allowed: Some("inpatient".into()),
            excluded: true,
        };
        let flags = build(&[line]).unwrap().run().unwrap();
        assert_eq!(flags, [(2, 1), (2, 2), (2, 3), (2, 4)]);
    }
}
