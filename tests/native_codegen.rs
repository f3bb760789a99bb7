//! What the code generator produces: the Cranelift IR of representative standard
//! rules (golden snapshots), and the native engine compiling the whole standard pack.

use heng_runtime::native::NativeEngine;
use heng_runtime::pack;
use std::path::Path;

fn clif_of(rule: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stdlib-rules");
    let loaded = pack::load(&dir, &[]);
    let pack = loaded.pack.as_ref().expect("the standard pack loads");
    let engine = NativeEngine::showing_clif(pack);
    assert!(
        engine.report.interpreted.is_empty(),
        "{:?}",
        engine.report.interpreted
    );
    // every rule: the per-visit ones, and the indicators' (`each group`) keys
    // and totals
    assert_eq!(engine.report.native.len(), pack.active_rules().count());
    engine
        .report
        .clif
        .iter()
        .find(|(id, _)| id == rule)
        .map(|(_, c)| c.clone())
        .expect("rule compiled")
}

/// A line rule over fields and a parameter: `(list_type == 301 or
/// med_chrgitm_type == 08) and pric > 1000`, with decimal comparison by helper call.
#[test]
fn clif_expensive_material() {
    insta::assert_snapshot!(clif_of("expensive_material"));
}

/// A rule with an inlined function (`class(visit)`: a match over codes), an optional
/// field and date arithmetic.
#[test]
fn clif_billing_outside_stay() {
    insta::assert_snapshot!(clif_of("billing_outside_stay"));
}
