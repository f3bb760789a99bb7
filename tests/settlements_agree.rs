//! The native engine and the interpreter settle alike: faults and settlements
//! native code cannot compile go to the interpreter with the same bytes, and a
//! settlement with batch totals gives the same lines in one pass and in two.
#![allow(clippy::unwrap_used)]

#[path = "support/declarations_pack.rs"]
mod support;
use heng_compiler::diagnostic::Lang;
use heng_runtime::engine::{Engine, Interpreter};
use heng_runtime::input;
use heng_runtime::native::NativeEngine;
use support::{checked, load_rules};

/// A settlement native code settles except where it meets a fault (a division
/// by zero on one visit): that visit goes to the interpreter, which words the
/// error, and the accumulators carry on from the visits settled, so both
/// engines write the same lines. A settlement native code cannot compile
/// (`left`) runs interpreted, with the same bytes, and says so.
#[test]
fn settlement_faults_and_fallbacks_agree() {
    use heng_runtime::settle::{SettledLine, Settler, StartValues};
    let settlement = |extra: &str| {
        format!(
            r#"settlement pay "结算" {{
  accumulator paid "已付"
  each line
  output share = line.det_item_fee_sumamt / (line.cnt - 1)
  each visit
  output total = sum(l.share for l in settled_lines)
  output before = paid{extra}
  add total to paid
}}
"#
        )
    };
    let visits = [
        // cnt 2, 3: shares 12 and 0.5; cnt 1: a division by zero
        r#"{"mdtrt_id":"V1","psn_no":"P1","brdy":"1980-01-01","med_type":"11","begntime":"2026-10-01T08:00:00","feedetail":[{"feedetl_sn":"1","fee_ocur_time":"2026-10-01T09:00:00","med_list_codg":"X1","hilist_name":"甲","cnt":"2","pric":"6","det_item_fee_sumamt":"12.00"}]}"#,
        r#"{"mdtrt_id":"V2","psn_no":"P1","brdy":"1980-01-01","med_type":"11","begntime":"2026-10-02T08:00:00","feedetail":[{"feedetl_sn":"1","fee_ocur_time":"2026-10-02T09:00:00","med_list_codg":"X1","hilist_name":"甲","cnt":"1","pric":"6","det_item_fee_sumamt":"6.00"}]}"#,
        r#"{"mdtrt_id":"V3","psn_no":"P1","brdy":"1980-01-01","med_type":"11","begntime":"2026-10-03T08:00:00","feedetail":[{"feedetl_sn":"1","fee_ocur_time":"2026-10-03T09:00:00","med_list_codg":"X1","hilist_name":"甲","cnt":"3","pric":"0.5","det_item_fee_sumamt":"1.00"}]}"#,
    ];
    for (name, extra, compiles) in [
        ("settle_fault", "", true),
        (
            "settle_left",
            "\n  output id = left(visit.mdtrt_id, 1)",
            false,
        ),
    ] {
        let loaded = load_rules(name, &settlement(extra));
        let pack = checked(&loaded);
        let schema = input::check_schema(&pack.program).unwrap();
        let parsed: Vec<_> = visits
            .iter()
            .enumerate()
            .map(|(i, t)| input::read_visit(&schema, i as u64 + 1, t).unwrap())
            .collect();
        let refs: Vec<_> = parsed.iter().collect();
        let settle = |engine: &dyn Engine| -> Vec<String> {
            let settler = Settler::new(pack, StartValues::default()).unwrap().unwrap();
            let (lines, sums) = settler.settle_part(engine, &refs, &loaded.sources, Lang::En);
            settler.add_totals(&sums);
            lines
                .into_iter()
                .map(|s| match s {
                    SettledLine::Ok(l) | SettledLine::Failed(l) => l,
                    SettledLine::Skipped => "skipped".into(),
                })
                .collect()
        };
        let native = NativeEngine::with_settlement(pack);
        assert_eq!(native.report.interpreted.is_empty(), compiles, "{name}");
        let (a, b) = (settle(&Interpreter::new(pack)), settle(&native));
        assert_eq!(a, b, "{name}");
        assert!(a[1].contains("division by zero"), "{name}: {}", a[1]);
        // V3 sees only V1's payment: the failed V2 added nothing
        assert!(a[2].contains(r#""before":"12.00""#), "{name}: {}", a[2]);
        let interpreted = if compiles { 1 } else { 3 };
        assert_eq!(native.settlements_interpreted(), interpreted, "{name}");
    }
}

/// A settlement whose outputs after a batch total read only the total and
/// values saved with the visit is settled in one pass, those outputs filled in
/// at the end; one whose outputs after the total read the visit too needs a
/// first pass. Both give the same lines with both engines, and a fault after the
/// total (a division by a zero total) is the visit's evaluation error either way.
#[test]
fn settlements_with_totals_in_one_pass_and_in_two_agree() {
    use heng_runtime::settle::{SettledLine, Settler, StartValues};
    let settlement = |share: &str| {
        format!(
            r#"settlement share "份额" {{
  each line
  output amount = line.det_item_fee_sumamt
  each visit
  let fee = sum(l.amount for l in settled_lines)
  output fee_out = fee
  total fees = fee
  output share = {share}
  output half = round(fee / fees / 2, 0.0001)
}}
"#
        )
    };
    let visit = |id: &str, fee: &str| {
        format!(
            r#"{{"mdtrt_id":"{id}","psn_no":"P{id}","brdy":"1980-01-01","med_type":"11","begntime":"2026-10-01T08:00:00","feedetail":[{{"feedetl_sn":"1","fee_ocur_time":"2026-10-01T09:00:00","med_list_codg":"X1","hilist_name":"甲","cnt":"1","pric":"{fee}","det_item_fee_sumamt":"{fee}"}}]}}"#
        )
    };
    let one = "round(fee / fees, 0.0001)";
    let two = r#"if visit.med_type == "" then none else round(fee / fees, 0.0001)"#;
    let mut results = Vec::new();
    for (name, share, single) in [("one_pass", one, true), ("two_passes", two, false)] {
        let loaded = load_rules(name, &settlement(share));
        let pack = checked(&loaded);
        assert_eq!(
            pack.program.settlement.as_ref().unwrap().single_pass,
            single,
            "{name}"
        );
        let schema = input::check_schema(&pack.program).unwrap();
        for fees in [["12.00", "6.00", "2.00"], ["0.00", "0.00", "0.00"]] {
            let parsed: Vec<_> = fees
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    input::read_visit(&schema, i as u64 + 1, &visit(&format!("V{i}"), f)).unwrap()
                })
                .collect();
            let refs: Vec<_> = parsed.iter().collect();
            let settle = |engine: &dyn Engine| -> (String, Vec<String>) {
                let mut settler = Settler::new(pack, StartValues::default()).unwrap().unwrap();
                if settler.collecting() {
                    let (_, sums) = settler.settle_part(engine, &refs, &loaded.sources, Lang::En);
                    settler.add_totals(&sums);
                    settler = settler.with_totals();
                }
                assert_eq!(settler.deferring(), single, "{name}");
                let (mut text, mut errors) = (String::new(), Vec::new());
                let (lines, sums) = settler.settle_part(engine, &refs, &loaded.sources, Lang::En);
                settler.add_totals(&sums);
                for s in lines {
                    match s {
                        SettledLine::Ok(l) => text.extend([l, "\n".into()]),
                        SettledLine::Failed(e) => errors.push(e),
                        SettledLine::Skipped => panic!("skipped"),
                    }
                }
                if settler.deferring() {
                    let (resolved, late, summary) =
                        resolve(&settler, text.as_bytes(), refs.len(), &loaded.sources);
                    text = resolved;
                    errors.extend(late.lines().map(str::to_string));
                    assert_eq!(summary.eval_errors as usize, errors.len());
                    assert_eq!(summary.settled as usize, text.lines().count());
                }
                // where the fault is differs between the two settlements
                let errors = errors
                    .iter()
                    .map(|e| {
                        let v: serde_json::Value = serde_json::from_str(e).unwrap();
                        format!("{} {} {}", v["line"], v["mdtrt_id"], v["reason"])
                    })
                    .collect();
                (text, errors)
            };
            let native = NativeEngine::with_settlement(pack);
            assert!(native.report.interpreted.is_empty(), "{name}");
            let interpreted = settle(&Interpreter::new(pack));
            assert_eq!(settle(&native), interpreted, "{name}");
            results.push(interpreted);
        }
    }
    assert_eq!(
        results[0], results[2],
        "the same lines in one pass and in two"
    );
    assert_eq!(results[1], results[3]);
    let (text, errors) = &results[0];
    assert!(
        text.contains(r#""fee_out":"12.00","share":"0.6000","half":"0.3000""#),
        "{text}"
    );
    assert!(errors.is_empty(), "{errors:?}");
    let (text, errors) = &results[1];
    assert_eq!(text, "");
    assert_eq!(errors.len(), 3);
    assert!(errors[0].contains("division by zero"), "{errors:?}");
}

/// The holes of a one-pass settlement are filled on several threads, a piece of
/// about a megabyte each: a batch of many pieces comes out in input order, and a
/// visit whose outputs fault after the totals (here a division by its own zero
/// fee) is an error line in its place in the order of errors.
#[test]
fn holes_filled_in_pieces_keep_the_input_order() {
    use heng_runtime::settle::{SettledLine, Settler, StartValues};
    let loaded = load_rules(
        "many_pieces",
        r#"settlement share "份额" {
  each line
  output amount = line.det_item_fee_sumamt
  each visit
  let fee = sum(l.amount for l in settled_lines)
  total fees = fee
  output times = round(fees / fee, 0.01)
}
"#,
    );
    let pack = checked(&loaded);
    let schema = input::check_schema(&pack.program).unwrap();
    let n = 60_000;
    let fee = |i: usize| i % 7;
    let visits: Vec<_> = (0..n)
        .map(|i| {
            let text = format!(
                r#"{{"mdtrt_id":"V{i}","psn_no":"P{i}","brdy":"1980-01-01","med_type":"11","begntime":"2026-10-01T08:00:00","feedetail":[{{"feedetl_sn":"1","fee_ocur_time":"2026-10-01T09:00:00","med_list_codg":"X1","hilist_name":"甲","cnt":"1","pric":"{0}.00","det_item_fee_sumamt":"{0}.00"}}]}}"#,
                fee(i)
            );
            input::read_visit(&schema, i as u64 + 1, &text).unwrap()
        })
        .collect();
    let refs: Vec<_> = visits.iter().collect();
    let settler = Settler::new(pack, StartValues::default()).unwrap().unwrap();
    assert!(settler.deferring());
    let (lines, sums) =
        settler.settle_part(&Interpreter::new(pack), &refs, &loaded.sources, Lang::En);
    settler.add_totals(&sums);
    let mut held = Vec::new();
    for l in lines {
        let SettledLine::Ok(l) = l else {
            panic!("a line not held for its holes")
        };
        held.extend_from_slice(l.as_bytes());
        held.push(b'\n');
    }
    assert!(held.len() > 3 << 20, "{} bytes: too few pieces", held.len());
    let (out, late, summary) = resolve(&settler, &held, n, &loaded.sources);
    let fees: usize = (0..n).map(fee).sum();
    let want: Vec<String> = (0..n)
        .filter(|&i| fee(i) > 0)
        .map(|i| {
            let times = rust_decimal::Decimal::from(fees) / rust_decimal::Decimal::from(fee(i));
            format!("V{i} {:.2}", times.round_dp(2))
        })
        .collect();
    let got: Vec<String> = out
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            format!(
                "{} {}",
                v["mdtrt_id"].as_str().unwrap(),
                v["times"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(got.len(), want.len());
    assert!(got == want, "the lines are not in input order");
    let errors: Vec<String> = late
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["mdtrt_id"].to_string())
        .collect();
    let zero: Vec<String> = (0..n)
        .filter(|&i| fee(i) == 0)
        .map(|i| format!("\"V{i}\""))
        .collect();
    assert!(errors == zero, "the errors are not in input order");
    assert_eq!(summary.eval_errors as usize, zero.len());
    assert_eq!(summary.settled as usize, want.len());
}

/// A deferring settler's held lines with their holes filled: the lines, the
/// error lines, and the summary of `settled` visits after it.
fn resolve(
    settler: &heng_runtime::settle::Settler,
    held: &[u8],
    settled: usize,
    sources: &heng_compiler::source::SourceMap,
) -> (String, String, heng_runtime::audit::Summary) {
    let (mut out, mut late) = (Vec::new(), Vec::new());
    let mut summary = heng_runtime::audit::Summary {
        settled: settled as u64,
        ..Default::default()
    };
    let mut from = held;
    settler
        .resolve(
            &mut from,
            &mut out,
            &mut late,
            sources,
            Lang::En,
            &mut summary,
        )
        .unwrap();
    (
        String::from_utf8(out).unwrap(),
        String::from_utf8(late).unwrap(),
        summary,
    )
}
