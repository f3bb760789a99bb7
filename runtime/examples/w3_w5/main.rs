//! W3 and W5 of spec/performance.md until `heng bench` exists: evaluation only
//! (records in memory, one thread) of the standard line rules by the interpreter and
//! by native code and by a hand-written Rust implementation (`handwritten.rs`), as
//! ratios in one run, after checking they agree; and the time to check and compile the
//! standard pack. A measurement, not a test.
//! Run: `cargo run --release --example w3_w5 -p heng-runtime [COPIES]`

mod handwritten;

use heng_runtime::engine::{Engine, Interpreter};
use heng_runtime::native::NativeEngine;
use heng_runtime::value::Value;
use heng_runtime::{input, pack};
use std::path::Path;
use std::time::{Duration, Instant};

fn best(rounds: usize, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut out = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        out = f();
        best = best.min(t.elapsed());
    }
    (best, out)
}

fn main() {
    let copies: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stdlib-rules");

    // W5: check and compile the standard pack
    let t = Instant::now();
    let loaded = pack::load(&dir, &[]);
    let check = t.elapsed();
    let Some(pack) = loaded.pack.as_ref() else {
        eprintln!("the standard pack does not check");
        std::process::exit(2);
    };
    let t = Instant::now();
    let native = NativeEngine::new(pack);
    let compile = t.elapsed();
    let interp = Interpreter::new(pack);

    // W3: the sample batch replicated in memory
    let schema = input::check_schema(&pack.program).expect("schema");
    let text =
        std::fs::read_to_string(dir.join("../examples/sample-batch.ndjson")).expect("sample batch");
    let mut visits = Vec::new();
    for _ in 0..copies {
        for (i, l) in text.lines().enumerate() {
            let v = input::read_visit(&schema, i as u64 + 1, l).expect("readable");
            visits.push(Value::Record(v.record));
        }
    }
    let lines: usize = visits
        .iter()
        .map(|v| {
            v.as_record()
                .map_or(0, |r| r.fields[pack.feedetail].as_list().len())
        })
        .sum();
    let rules = pack.active_rules().count();
    let prepared: Vec<_> = visits.iter().map(|v| native.prepare(v)).collect();
    let hits = |o: Vec<(usize, heng_runtime::eval::RuleOutcome)>| {
        o.iter().map(|(_, r)| r.hits.len()).sum::<usize>()
    };
    if std::env::var("W3_PROFILE").is_ok() {
        let mut d = Vec::new();
        for _ in 0..600 {
            for p in &prepared {
                native.decide(p, &mut d);
                std::hint::black_box(d.len());
            }
        }
        return;
    }
    let (ti, hi) = best(3, || {
        visits.iter().map(|v| hits(interp.eval_visit(v))).sum()
    });
    let (tj, hj) = best(5, || {
        prepared
            .iter()
            .zip(&visits)
            .map(|(p, v)| hits(native.eval_prepared(p, v)))
            .sum()
    });
    assert_eq!(hi, hj, "the engines disagree");
    // what the hand-written code does: decide which (line, rule) pairs fire
    let mut decided = Vec::new();
    let mut decide_all = || {
        prepared
            .iter()
            .map(|p| {
                native.decide(p, &mut decided);
                decided.len()
            })
            .sum::<usize>()
    };
    assert_eq!(
        decide_all(),
        hi,
        "native decisions disagree with the findings"
    );
    // the hand-written baseline, on typed structs built before timing
    let mut interner = handwritten::Interner::default();
    let typed = handwritten::convert(pack, &visits, &mut interner);
    let resolved = handwritten::resolve(pack, &interner);
    let param = |name: &str| {
        pack.program
            .param_index(name)
            .map(|i| pack.params[i].clone())
    };
    let int_param = |name: &str| match param(name) {
        Some(Value::Int(i)) => i,
        _ => panic!("parameter {name}"),
    };
    let material = param("expensive_material_price")
        .and_then(|v| v.as_decimal())
        .expect("parameter");
    let (dm, nb) = (
        int_param("discharge_max_days"),
        int_param("newborn_max_days"),
    );
    let by_rule = handwritten::run(&typed, &resolved, dm, material, nb);
    // native decisions and the hand-written code in alternate rounds, so that both
    // meet the same machine (this VM's speed drifts by 1.5x over seconds)
    let (mut td, mut th) = (Duration::MAX, Duration::MAX);
    for _ in 0..15 {
        td = td.min(best(1, &mut decide_all).0);
        th = th.min(
            best(1, || {
                handwritten::run(&typed, &resolved, dm, material, nb).len()
            })
            .0,
        );
    }
    let mut interp_by_rule: std::collections::HashMap<&str, usize> = Default::default();
    for v in &visits {
        for (i, o) in interp.eval_visit(v) {
            *interp_by_rule
                .entry(pack.program.rules[i].id.as_str())
                .or_default() += o.hits.len();
        }
    }
    for (rule, n) in &interp_by_rule {
        assert_eq!(
            by_rule.get(rule).copied().unwrap_or(0),
            *n,
            "hand-written {rule} disagrees with the interpreter"
        );
    }
    let per_sec = |d: Duration| (lines * rules) as f64 / d.as_secs_f64() / 1e6;
    println!(
        "W3  {} visits, {lines} fee lines, {rules} rules, {hi} findings",
        visits.len()
    );
    println!(
        "    interpreter  {:>8.1} ms  {:>6.1} M line-rule evaluations/s",
        ti.as_secs_f64() * 1e3,
        per_sec(ti)
    );
    println!(
        "    native (JIT) {:>8.1} ms  {:>6.1} M line-rule evaluations/s",
        tj.as_secs_f64() * 1e3,
        per_sec(tj)
    );
    println!(
        "    JIT, decide  {:>8.1} ms  {:>6.1} M line-rule evaluations/s (no rendering)",
        td.as_secs_f64() * 1e3,
        per_sec(td)
    );
    println!(
        "    hand-written {:>8.1} ms  {:>6.1} M line-rule evaluations/s",
        th.as_secs_f64() * 1e3,
        per_sec(th)
    );
    println!(
        "    ratio JIT/interpreter {:.1}x (target ≥ 5x)",
        ti.as_secs_f64() / tj.as_secs_f64()
    );
    println!(
        "    JIT decide time / hand-written time {:.2} (target ≤ 1.5); with rendering {:.2}",
        td.as_secs_f64() / th.as_secs_f64(),
        tj.as_secs_f64() / th.as_secs_f64()
    );
    println!(
        "W5  load and check the standard pack {:.1} ms; native compile {:.1} ms; total {:.1} ms (target ≤ 300 ms)",
        check.as_secs_f64() * 1e3,
        compile.as_secs_f64() * 1e3,
        (check + compile).as_secs_f64() * 1e3
    );
}
