//! Every fixture of the standard pack passes under both engines, and together the
//! fixtures exercise every rule: a rule that changes what it flags shows up here as
//! a failing fixture.

use heng_runtime::engine::{Engine, Interpreter};
use heng_runtime::native::NativeEngine;
use heng_runtime::{fixture, input, pack};
use std::path::Path;

#[test]
fn standard_pack_fixtures_pass_and_cover_every_rule() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stdlib-rules");
    let loaded = pack::load(&dir, &[]);
    let pack = loaded.pack.as_ref().expect("the standard pack loads");
    let schema = input::check_schema(&pack.program).expect("schema");
    let native = NativeEngine::new(pack);
    assert!(
        native.report.interpreted.is_empty(),
        "every standard rule compiles natively: {:?}",
        native.report.interpreted
    );
    let engines: [(&str, &dyn Engine); 2] = [("interp", &Interpreter::new(pack)), ("jit", &native)];
    let inputs = fixture::fixture_inputs(&dir).expect("fixtures folder");
    assert!(!inputs.is_empty(), "the standard pack has fixtures");
    for (name, engine) in engines {
        let mut failures = Vec::new();
        let mut hit = std::collections::BTreeSet::new();
        for input in &inputs {
            let r = fixture::run_fixture(pack, engine, &schema, &loaded.sources, input)
                .expect("fixture runs");
            if !r.passed() {
                failures.push(format!("{}:\n{}", r.name, r.diff()));
            }
            hit.extend(r.rules_hit);
        }
        assert!(
            failures.is_empty(),
            "{name}: failing fixtures:\n{}",
            failures.join("\n")
        );
        let missing: Vec<&str> = pack
            .program
            .rules
            .iter()
            .map(|r| r.id.as_str())
            .filter(|id| !hit.contains(*id))
            .collect();
        assert!(
            missing.is_empty(),
            "{name}: rules no fixture exercises: {missing:?}"
        );
    }
}
