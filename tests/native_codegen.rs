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

/// The fused line loop keeps what depends only on the visit out of the loop:
/// Cranelift hoists such pure values and loads into the function's entry block
/// (the visit's class and tier, the birth date taken apart), which it does only
/// when it visits the loop's body before its exit (`Gen::counted_loop` branches
/// to the exit first). The entry block holds the loads of the visit's fields.
#[test]
fn the_line_loop_computes_what_depends_on_the_visit_once() {
    let clif = clif_of("line_rules");
    let entry: Vec<&str> = clif
        .lines()
        .skip_while(|l| !l.starts_with("block0"))
        .skip(1)
        .take_while(|l| !l.starts_with("block"))
        .collect();
    let loads = entry.iter().filter(|l| l.contains(" = load.")).count();
    assert!(
        loads >= 10,
        "{loads} loads before the loop:\n{}",
        entry.join("\n")
    );
    // the visit's class (`class(visit)`: a match over med_type codes) among them
    let compares = entry.iter().filter(|l| l.contains("icmp eq")).count();
    assert!(compares >= 10, "{compares} comparisons before the loop");
}
