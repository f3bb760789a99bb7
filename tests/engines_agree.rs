//! The native engine and the interpreter agree on rules written to stress the
//! native path: runtime faults (division by zero, integer overflow) are reported
//! identically, and decisions over absent
//! values, empty lists, code ranges, filters, month() and the least Int match.
#![allow(clippy::unwrap_used)]

#[path = "support/declarations_pack.rs"]
mod support;
use heng_compiler::diagnostic::Lang;
use heng_runtime::audit::{audit_visit, eval_failure_json, finding_json};
use heng_runtime::engine::{Engine, Interpreter};
use heng_runtime::native::NativeEngine;
use heng_runtime::{input, pack};
use support::{checked, load_rules};

const RULES: &str = r#"
rule zero_division "除零" {
  each line
  severity low
  when line.det_item_fee_sumamt / (line.cnt - line.cnt) > 1
  message "x"
}

rule int_overflow "整数溢出" {
  each line
  severity low
  when (line.prd_days otherwise 0) * 9223372036854775807 > 1
  message "x"
}

rule least_int "最小整数" {
  each line
  severity low
  when -9223372036854775808 < (line.prd_days otherwise 0)
    and -(-9223372036854775808 + (line.prd_days otherwise 0)) > 0
  message "x"
}

rule absent_and_empty "缺失与空列表" {
  each visit
  severity high
  when not any(d in visit.diseinfo where d.diag_code in ["C00".."C97"])
    and count(l in visit.feedetail where l.prd_days is none) >= 1
    and (visit.endtime is none or month(visit.begntime) == month(visit.endtime otherwise visit.begntime))
  let big = filter(l in visit.feedetail where l.det_item_fee_sumamt > 10)
  when len(big) >= 1 and sum(l.det_item_fee_sumamt for l in big) > 10.5
  lines big
  amount sum(l.det_item_fee_sumamt for l in big)
  message "{len(big)} 条超过 10 元"
}
"#;

/// The native engine of a pack, every rule compiled.
fn native_of(pack: &pack::Pack) -> NativeEngine<'_> {
    let native = NativeEngine::new(pack);
    assert!(
        native.report.interpreted.is_empty(),
        "{:?}",
        native.report.interpreted
    );
    native
}

/// The fee lines on which native code says each rule fires, for a visit of
/// `lines` (JSON objects) with birth date `brdy`; and how many decisions it
/// left to the interpreter.
fn fired_lines(
    native: &NativeEngine,
    pack: &pack::Pack,
    brdy: &str,
    lines: &[String],
) -> (Vec<Vec<usize>>, usize) {
    let schema = input::check_schema(&pack.program).unwrap();
    let text = format!(
        r#"{{"mdtrt_id":"V","psn_no":"P","brdy":"{brdy}","med_type":"11","begntime":"2026-10-01T08:00:00","feedetail":[{}]}}"#,
        lines.join(",")
    );
    let visit = input::read_visit(&schema, 1, &text).unwrap();
    let mut decided = Vec::new();
    native.decide(
        &native.prepare(&heng_runtime::value::Value::Record(visit.record)),
        &mut decided,
    );
    let mut fired = vec![Vec::new(); pack.program.rules.len()];
    let mut deferred = 0;
    for d in decided {
        match d.verdict {
            heng_runtime::native::Verdict::Fires => fired[d.rule].push(d.line.unwrap()),
            _ => deferred += 1,
        }
    }
    (fired, deferred)
}

#[test]
fn faults_and_edge_cases_agree() {
    let loaded = load_rules("engines_agree", RULES);
    let pack = checked(&loaded);
    let schema = input::check_schema(&pack.program).unwrap();
    let native = native_of(pack);
    let interp = Interpreter::new(pack);
    let visits = [
        r#"{"mdtrt_id":"V1","psn_no":"P1","brdy":"1980-01-01","med_type":"21","begntime":"2026-10-30T08:00:00","endtime":"2026-11-02T08:00:00","feedetail":[{"feedetl_sn":"1","fee_ocur_time":"2026-10-30T09:00:00","med_list_codg":"X1","hilist_name":"甲","cnt":"2","pric":"6","det_item_fee_sumamt":"12.00","prd_days":3},{"feedetl_sn":"2","fee_ocur_time":"2026-10-31T09:00:00","med_list_codg":"X2","hilist_name":"乙","cnt":"1","pric":"1","det_item_fee_sumamt":"1.00"}]}"#,
        r#"{"mdtrt_id":"V2","psn_no":"P2","brdy":"1990-02-28","med_type":"14","begntime":"2026-10-01T08:00:00","diseinfo":[{"diag_code":"C34.900"}],"feedetail":[]}"#,
        r#"{"mdtrt_id":"V3","psn_no":"P3","brdy":"2000-01-01","med_type":"11","begntime":"2026-10-01T08:00:00","feedetail":[{"feedetl_sn":"1","fee_ocur_time":"2026-10-01T09:00:00","med_list_codg":"X1","hilist_name":"丙","cnt":"1","pric":"30","det_item_fee_sumamt":"30.00"}]}"#,
    ];
    let run = |engine: &dyn Engine| -> Vec<String> {
        let mut out = Vec::new();
        for (i, text) in visits.iter().enumerate() {
            let v = input::read_visit(&schema, i as u64 + 1, text).unwrap();
            let (findings, failures) =
                audit_visit(pack, engine, &schema, &loaded.sources, &v, None);
            out.extend(findings.iter().map(|f| finding_json(pack, f)));
            out.extend(
                failures
                    .iter()
                    .map(|e| eval_failure_json(pack, e, Lang::En)),
            );
        }
        out
    };
    let a = run(&interp);
    let b = run(&native);
    assert_eq!(a, b);
    let text = a.join("\n");
    for expected in [
        "zero_division",
        "int_overflow",
        "absent_and_empty",
        "division by zero",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    // the least Int: a finding where prd_days is 3, an overflow negating it alone
    let least_int = |what: &str| {
        a.iter()
            .filter(|l| l.contains(r#""rule":"least_int""#) && l.contains(what))
            .count()
    };
    assert_eq!(least_int(r#""feedetl_sn":["1"]"#), 1, "{text}");
    assert_eq!(least_int("integer overflow"), 2, "{text}");
}

/// Native date arithmetic (the date of a date-time, whole years between dates)
/// decides exactly as the interpreter computes, over every pair of a spread of
/// birth dates and fee dates: each line carries the interpreter's answer in
/// `prd_days`, and native code must fire on it (and not on the answer plus one).
#[test]
fn native_dates_match_the_interpreter() {
    const RULES: &str = r#"
rule years_are_right "年龄" {
  each line
  severity low
  when years_between(visit.brdy, date(line.fee_ocur_time)) == (line.prd_days otherwise -1)
  message "x"
}

rule days_are_right "日龄" {
  each line
  severity low
  when days_between(visit.brdy, date(line.fee_ocur_time)) == (line.prd_days otherwise -1)
  message "x"
}
"#;
    let loaded = load_rules("native_dates", RULES);
    let pack = checked(&loaded);
    let native = native_of(pack);
    let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let births = [
        "0001-01-01",
        "1899-12-31",
        "1900-02-28",
        "1960-02-29",
        "1969-12-31",
        "1970-01-01",
        "1999-03-01",
        "2000-02-29",
        "2004-02-29",
        "2023-12-31",
        "2024-02-29",
        "9999-12-31",
    ];
    let fee_days = [
        "0001-01-01",
        "1900-03-01",
        "1969-12-31",
        "2000-02-28",
        "2000-02-29",
        "2001-02-28",
        "2001-03-01",
        "2023-02-28",
        "2024-02-28",
        "2024-02-29",
        "2024-03-01",
        "2026-12-31",
        "2100-02-28",
        "2100-03-01",
        "2400-02-29",
        "9999-12-31",
    ];
    let times = ["00:00:00", "23:59:59"];
    for birth in births {
        let mut lines = Vec::new();
        let mut want = [Vec::new(), Vec::new()];
        for day in fee_days {
            for time in times {
                let (b, d) = (date(birth), date(day));
                let years = heng_runtime::eval::years_between(b, d);
                let days = (d - b).num_days();
                for guess in [years, years + 1, days, days + 1] {
                    for (rule, answer) in [(0, years), (1, days)] {
                        if guess == answer {
                            want[rule].push(lines.len());
                        }
                    }
                    lines.push(format!(
                        r#"{{"feedetl_sn":"{}","fee_ocur_time":"{day}T{time}","med_list_codg":"X","hilist_name":"x","cnt":"1","pric":"1","det_item_fee_sumamt":"1","prd_days":{guess}}}"#,
                        lines.len()
                    ));
                }
            }
        }
        let (fired, deferred) = fired_lines(&native, pack, birth, &lines);
        assert_eq!(deferred, 0, "every date here is handled natively");
        for (rule, want) in want.iter().enumerate() {
            assert_eq!(&fired[rule], want, "rule {rule}, birth {birth}");
        }
    }
}

/// Native decimal arithmetic (inline when the operands allow, rust_decimal
/// otherwise) decides as rust_decimal computes: each line carries an operation's
/// exact result, or that result plus a cent, over operands of every sign, scale
/// and size, including mantissas near 2^64 and beyond.
#[test]
fn native_decimals_match_rust_decimal() {
    use rust_decimal::Decimal;
    use std::str::FromStr;
    const RULES: &str = r#"
rule adds "加" {
  each line
  severity low
  when line.pric + line.cnt == line.det_item_fee_sumamt
  message "x"
}

rule subtracts "减" {
  each line
  severity low
  when line.pric - line.cnt == line.det_item_fee_sumamt
  message "x"
}

rule multiplies "乘" {
  each line
  severity low
  when line.pric * line.cnt == line.det_item_fee_sumamt
  message "x"
}
"#;
    let loaded = load_rules("native_decimals", RULES);
    let pack = checked(&loaded);
    let native = native_of(pack);
    let values = [
        "0",
        "-0",
        "0.00",
        "1",
        "-1",
        "2.50",
        "-2.50",
        "12.345",
        "0.01",
        "-0.01",
        "1000000",
        "18446744073709551615",
        "18446744073709551616",
        "-18446744073709551615",
        "4294967296.5",
        "0.0000000000000000000000000001",
        "99999999999.99",
        "3.3333333333",
    ];
    let cent = Decimal::from_str("0.01").unwrap();
    let mut lines = Vec::new();
    let mut want = [Vec::new(), Vec::new(), Vec::new()];
    for a in values {
        for b in values {
            let (x, y) = (Decimal::from_str(a).unwrap(), Decimal::from_str(b).unwrap());
            let results = [x.checked_add(y), x.checked_sub(y), x.checked_mul(y)];
            for r in results.iter().flatten() {
                for guess in [Some(*r), r.checked_add(cent)].into_iter().flatten() {
                    for (k, other) in results.iter().enumerate() {
                        if *other == Some(guess) {
                            want[k].push(lines.len());
                        }
                    }
                    lines.push(format!(
                        r#"{{"feedetl_sn":"{}","fee_ocur_time":"2026-10-01T09:00:00","med_list_codg":"X","hilist_name":"x","cnt":"{b}","pric":"{a}","det_item_fee_sumamt":"{guess}"}}"#,
                        lines.len()
                    ));
                }
            }
        }
    }
    for w in &mut want {
        w.sort_unstable();
        w.dedup();
    }
    let (fired, _) = fired_lines(&native, pack, "1980-01-01", &lines);
    for (rule, want) in want.iter().enumerate() {
        assert_eq!(&fired[rule], want, "rule {rule}");
    }
}

/// An indicator's keys and totals for a visit (what its group adds up) are the
/// same values from native code as from the interpreter, down to a decimal's
/// scale and a zero's sign, over amounts of every sign and scale, and keys of
/// every kind (text, enum, month, date, date-time, Int, Bool).
#[test]
fn native_indicator_keys_and_totals_match_the_interpreter() {
    use heng_runtime::value::Value;
    const RULES: &str = r#"
rule per_group "分组" {
  each group
  key {
    hospital: visit.fixmedins_code otherwise "",
    class: class(visit),
    month: month(visit.begntime),
    day: date(visit.begntime),
    discharged: visit.endtime otherwise visit.begntime,
    tier: tier(visit),
    many: len(visit.feedetail) > 1,
  }
  total fees = sum(l.det_item_fee_sumamt for l in visit.feedetail)
  total net = sum(l.det_item_fee_sumamt - l.pric * l.cnt for l in visit.feedetail)
  total drugs = sum(amount_of(l) for l in visit.feedetail where is_drug(l))
  total visits = 1
  severity low
  when visits >= 1
  message "x"
}
"#;
    let loaded = load_rules("native_indicators", RULES);
    let pack = checked(&loaded);
    let native = native_of(pack);
    let interpreter = Interpreter::new(pack);
    let schema = input::check_schema(&pack.program).unwrap();
    let amounts = [
        "0",
        "-0",
        "0.00",
        "-0.00",
        "5.00",
        "-5.00",
        "2.5",
        "-2.50",
        "0.01",
        "12.345",
        "99999999999.99",
        "-18446744073709551615",
    ];
    // a decimal shown with its scale and sign, so `0.00` and `-0` differ
    let shown = |v: &Value| match v {
        Value::Decimal(d) => format!("{d}/{:?}", d.serialize()),
        other => format!("{other:?}"),
    };
    let mut checked_visits = 0;
    for (k, a) in amounts.iter().enumerate() {
        for b in &amounts {
            let line = |sn: usize, code: &str, amount: &str| {
                format!(
                    r#"{{"feedetl_sn":"{sn}","fee_ocur_time":"2026-10-01T09:00:00","med_list_codg":"{code}","hilist_name":"x","med_chrgitm_type":"09","cnt":"{b}","pric":"{a}","det_item_fee_sumamt":"{amount}"}}"#
                )
            };
            let endtime = if k % 2 == 0 {
                r#","endtime":"2026-10-03T10:00:00""#
            } else {
                ""
            };
            let hospital = if k % 3 == 0 {
                ""
            } else {
                r#","fixmedins_code":"H1","hosp_lv":"05""#
            };
            let text = format!(
                r#"{{"mdtrt_id":"V{k}","psn_no":"P","brdy":"1980-01-01","med_type":"{}","begntime":"2026-10-01T08:00:00"{endtime}{hospital},"feedetail":[{},{}]}}"#,
                ["11", "21", "41"][k % 3],
                line(1, "XJ01", a),
                line(2, "250101", b),
            );
            let visit = input::read_visit(&schema, 1, &text).unwrap();
            let record = Value::Record(visit.record);
            // an overflow is the same error (native code hands it to the interpreter)
            let by = |e: &dyn Engine| match e.group_contribution(0, &record, None).unwrap() {
                Ok((keys, totals)) => keys.iter().chain(&totals).map(shown).collect::<Vec<_>>(),
                Err(error) => vec![error.message.en],
            };
            assert_eq!(by(&native), by(&interpreter), "{text}");
            checked_visits += 1;
        }
    }
    assert_eq!(checked_visits, amounts.len() * amounts.len());
}

/// Native `for` loops (over a visit's records, and over the rows of a table's
/// `.all(code)`) and aggregates over those rows decide exactly where the
/// interpreter finds something, without deferring: no line or visit more, none
/// less.
#[test]
fn native_for_loops_decide_where_the_interpreter_finds() {
    use heng_runtime::native::Verdict;
    use heng_runtime::value::Value;
    const RULES: &str = r#"
rule for_records "逐条" {
  each visit
  severity low
  for l in visit.feedetail where l.cnt > 1
  when l.det_item_fee_sumamt > 100
  message "x"
}

rule for_rows "逐行" {
  each line
  severity low
  for pair in item_pairs.all(line.med_list_codg) where pair.relation == exclusive
  let partner = pair.code_a
  when any(a in visit.feedetail where starts_with(a.med_list_codg, partner))
  message "x"
}

rule aggregate_rows "聚合" {
  each line
  severity low
  when count(p in item_pairs.all(line.med_list_codg) where p.relation == exclusive
             and any(a in visit.feedetail where starts_with(a.med_list_codg, p.code_a))) >= 1
  message "x"
}
"#;
    let loaded = load_rules("native_for", RULES);
    let pack = checked(&loaded);
    let native = native_of(pack);
    let interpreter = Interpreter::new(pack);
    let schema = input::check_schema(&pack.program).unwrap();
    // B codes of exclusive pairs, their A codes, a code in no pair
    let codes = [
        "250101001000000",
        "250101015000000",
        "330100005000000",
        "330100001000000",
        "X1",
    ];
    let (mut visits, mut fires) = (0, vec![0; pack.program.rules.len()]);
    for mask in 0..32u32 {
        for (cnt, amount) in [("1", "500.00"), ("2", "50.00"), ("3", "150.00")] {
            let lines: Vec<String> = codes
                .iter()
                .enumerate()
                .filter(|(k, _)| mask & (1 << k) != 0)
                .map(|(k, code)| {
                    format!(
                        r#"{{"feedetl_sn":"{k}","fee_ocur_time":"2026-10-01T09:00:00","med_list_codg":"{code}","hilist_name":"x","cnt":"{cnt}","pric":"1","det_item_fee_sumamt":"{amount}"}}"#
                    )
                })
                .collect();
            let text = format!(
                r#"{{"mdtrt_id":"V","psn_no":"P","brdy":"1980-01-01","med_type":"11","begntime":"2026-10-01T08:00:00","feedetail":[{}]}}"#,
                lines.join(",")
            );
            let visit = input::read_visit(&schema, 1, &text).unwrap();
            let record = Value::Record(visit.record);
            let mut decided = Vec::new();
            native.decide(&native.prepare(&record), &mut decided);
            let mut fired: Vec<(usize, Option<usize>)> = decided
                .iter()
                .map(|d| {
                    assert_eq!(d.verdict, Verdict::Fires, "no deferral: {text}");
                    (d.rule, d.line)
                })
                .collect();
            let mut found: Vec<(usize, Option<usize>)> = interpreter
                .eval_visit(&record)
                .into_iter()
                .flat_map(|(rule, o)| {
                    let per_line = pack.program.rules[rule].scope == heng_compiler::ir::Scope::Line;
                    o.hits.into_iter().flat_map(move |h| {
                        if per_line {
                            h.lines
                                .into_iter()
                                .map(|l| (rule, Some(l)))
                                .collect::<Vec<_>>()
                        } else {
                            vec![(rule, None)]
                        }
                    })
                })
                .collect();
            fired.sort_unstable();
            fired.dedup();
            found.sort_unstable();
            found.dedup();
            assert_eq!(fired, found, "{text}");
            for (rule, _) in &fired {
                fires[*rule] += 1;
            }
            visits += 1;
        }
    }
    assert_eq!(visits, 96);
    assert!(
        fires.iter().all(|&n| n > 0),
        "each rule fires somewhere: {fires:?}"
    );
}
