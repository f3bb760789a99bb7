//! regorus (Rego, v1 syntax) as a W7 peer, twice: compiled for its register VM
//! (RVM) and run by its tree-walking interpreter. Each record becomes a Rego
//! `input` object (built from JSON once, before timing: absent values are left
//! out, so a rule reading one is undefined, as Rego intends); the policy is a
//! partial set `flags` of the rule names that fire. Per record the timed loop
//! sets the input and evaluates `data.w7.flags`.

use super::{Peer, named_flag, record_json};
use crate::bench::w7::{Flag, FlatLine};
use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::vm::RegoVM;
use regorus::{Engine, Rc, Value};

/// The five rules in Rego.
pub const POLICY: &str = r#"package w7

flags contains "gender_limit" if {
	input.gend in {"1", "2"}
	input.gend != input.limit_gender
}

flags contains "age_limit" if input.age < input.age_min

flags contains "age_limit" if input.age > input.age_max

flags contains "tier_limit" if input.tier < input.min_tier

flags contains "visit_limit" if {
	input.visit_allowed == "outpatient"
	input.visit_class == "inpatient"
}

flags contains "visit_limit" if {
	input.visit_allowed == "inpatient"
	input.visit_class != "inpatient"
}

flags contains "excluded_item" if {
	input.excluded
	not input.chrgitm_lv == "03"
}
"#;

const ENTRY: &str = "data.w7.flags";

fn engine() -> Result<Engine, String> {
    let mut engine = Engine::new();
    engine
        .add_policy("w7.rego".into(), POLICY.into())
        .map_err(|e| format!("the Rego policy does not load: {e}"))?;
    Ok(engine)
}

/// One `input` per record; `line` numbers beside them.
fn inputs(lines: &[FlatLine]) -> Vec<(u32, Value)> {
    lines
        .iter()
        .map(|l| (l.line, Value::from(record_json(l))))
        .collect()
}

/// The rule names of a `flags` set.
fn collect(line: u32, result: &Value, out: &mut Vec<Flag>) -> Result<(), String> {
    if *result == Value::Undefined {
        return Ok(());
    }
    let set = result
        .as_set()
        .map_err(|e| format!("`flags` is not a set: {e}"))?;
    for name in set.iter() {
        let name = name
            .as_string()
            .map_err(|e| format!("a flag is not a string: {e}"))?;
        out.push(named_flag(line, name)?);
    }
    Ok(())
}

struct Vm {
    vm: RegoVM,
    inputs: Vec<(u32, Value)>,
}

/// The policy compiled for the RVM.
pub fn vm(lines: &[FlatLine]) -> Result<Box<dyn Peer>, String> {
    let mut engine = engine()?;
    let policy = engine
        .compile_with_entrypoint(&Rc::from(ENTRY))
        .map_err(|e| format!("the Rego policy does not compile: {e}"))?;
    let program = Compiler::compile_from_policy(&policy, &[ENTRY])
        .map_err(|e| format!("the Rego policy does not compile for the RVM: {e}"))?;
    let mut vm = RegoVM::new();
    vm.load_program(program);
    Ok(Box::new(Vm {
        vm,
        inputs: inputs(lines),
    }))
}

impl Peer for Vm {
    fn run(&mut self) -> Result<Vec<Flag>, String> {
        let mut out = Vec::new();
        for (line, input) in &self.inputs {
            self.vm.set_input(input.clone());
            let result = self.vm.execute().map_err(|e| format!("RVM: {e}"))?;
            collect(*line, &result, &mut out)?;
        }
        Ok(out)
    }
}

struct Interpreter {
    engine: Engine,
    inputs: Vec<(u32, Value)>,
}

/// The policy run by regorus's interpreter.
pub fn interpreter(lines: &[FlatLine]) -> Result<Box<dyn Peer>, String> {
    Ok(Box::new(Interpreter {
        engine: engine()?,
        inputs: inputs(lines),
    }))
}

impl Peer for Interpreter {
    fn run(&mut self) -> Result<Vec<Flag>, String> {
        let mut out = Vec::new();
        for (line, input) in &self.inputs {
            self.engine.set_input(input.clone());
            let result = self
                .engine
                .eval_rule(ENTRY.into())
                .map_err(|e| format!("regorus: {e}"))?;
            collect(*line, &result, &mut out)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The workspace's serde_json has `arbitrary_precision`; regorus reads such
    /// numbers as numbers, so `age < age_min` compares ages.
    #[test]
    fn json_numbers_reach_rego_as_numbers() {
        let v = Value::from(serde_json::json!({"age": 7, "age_min": 18}));
        assert_eq!(v["age"].as_i64().unwrap(), 7);
        let line = FlatLine {
            line: 4,
            item_code: "X".into(),
            gend: Some("2".into()),
            age: 7,
            tier: 3,
            visit_class: "inpatient".into(),
            chrgitm_lv: Some("03".into()),
            limit_gender: Some("1".into()),
            age_min: Some(18),
            age_max: None,
            min_tier: None,
            visit_allowed: Some("outpatient".into()),
            excluded: true,
        };
        for build in [vm, interpreter] {
            let mut flags = build(std::slice::from_ref(&line)).unwrap().run().unwrap();
            flags.sort_unstable();
            assert_eq!(flags, [(4, 0), (4, 1), (4, 3)]);
        }
    }
}
