//! The fast path agrees with the reference reader, or defers to it.

use super::*;

/// Reads `text` with the fast path and with the reference reader only; both must
/// give the same visit or the same error. Returns whether the fast path answered.
fn fast_agrees(text: &str) -> bool {
    let s = schema();
    let fast = read_visit_with(&s, 1, text, true);
    let reference = read_visit_with(&s, 1, text, false);
    assert_eq!(fast, reference, "{text}");
    super::fast::read(&s.inner, s.inner.fields.visit.0 as usize, text).is_some()
}

/// The compact example line with `from` replaced by `to` (once).
fn edited(from: &str, to: &str) -> String {
    let line = line_of(&example());
    assert!(line.contains(from), "{from} not in {line}");
    line.replacen(from, to, 1)
}

#[test]
fn the_fast_path_reads_well_formed_lines_as_the_reference_does() {
    let answered = [
        EXAMPLE.to_owned(),
        line_of(&example()),
        // escapes: Chinese as \u, a surrogate pair, quotes and backslashes
        edited("肺炎", r"\u80ba\u708e"),
        edited("肺炎", r#"\ud83d\ude00 \" \\ \/ \n \t"#),
        // numbers in every JSON form, and as strings
        edited(r#""cnt":"2""#, r#""cnt":2"#),
        edited(r#""cnt":"2""#, r#""cnt":-0.50"#),
        edited(r#""cnt":"2""#, r#""cnt":1E2"#),
        edited(r#""cnt":"2""#, r#""cnt":2.5e-1"#),
        edited(r#""cont_years":7"#, r#""cont_years":"7""#),
        edited(r#""cont_years":7"#, r#""cont_years":"""#),
        edited(r#""cont_years":7"#, r#""cont_years":null"#),
        // unknown fields of any shape are skipped
        edited(
            r#""gend":"2""#,
            r##""gend":"2","extra":{"a":[1,{"b":null}],"c":true,"d":"\u00e9"}"##,
        ),
        // keys spelled with an escape, and unknown keys that begin like known ones
        edited(r#""gend":"2""#, r#""g\u0065nd":"2""#),
        edited(r#""cnt":"2""#, r#""cnt_x":"9","cnt":"2""#),
        edited(r#""cnt":"2""#, r#""cn":"9","cnt":"2""#),
        // padded and unpadded scalars, and amounts of every length
        edited(r#""cnt":"2""#, r#""cnt":" 2 ""#),
        edited(r#""cnt":"2""#, r#""cnt":"-0.00""#),
        edited(r#""cnt":"2""#, r#""cnt":"123456789012345678.5""#),
        // whitespace everywhere
        format!(
            "  {}\t ",
            line_of(&example())
                .replace(",\"", " ,\n \"")
                .replace("\":", "\" : ")
                .replace('[', "[ ")
        ),
    ];
    for text in &answered {
        assert!(fast_agrees(text), "the fast path deferred on {text}");
    }
}

#[test]
fn the_fast_path_defers_on_anything_unusual_and_errors_stay_the_same() {
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let deferred = [
        edited(r#""gend":"2""#, r#""gend":"1","gend":"2""#),
        format!("{} x", line_of(&example())),
        "[1]".to_owned(),
        "".to_owned(),
        edited(r#""diseinfo":["#, r#""diseinfo":[null,"#),
        edited("肺炎", "肺\t炎"),
        edited("肺炎", r"\x"),
        edited("肺炎", r"\ud800"),
        edited(r#""cont_years":7"#, r#""cont_years":07"#),
        edited(r#""cont_years":7"#, r#""cont_years":7.5"#),
        edited(r#""cnt":"2""#, r#""cnt":"two""#),
        // padded with a space that is not ASCII: the reference reader trims it
        edited(r#""cnt":"2""#, r#""cnt":"\u30002""#),
        edited(r#""cnt":"2""#, r#""cnt":true"#),
        edited(r#""brdy":"2019-03-14""#, r#""brdy":"2019-02-30""#),
        edited(r#""psn_no":"P000123","#, ""),
        edited(r#""gend":"2""#, &format!(r#""gend":"2","extra":{deep}"#)),
        edited(r#""feedetail":["#, r#""feedetail":{"#),
    ];
    for text in &deferred {
        assert!(!fast_agrees(text), "the fast path answered {text}");
    }
}

/// A schema keeping only some fields (a settlement's first pass) accepts and
/// rejects exactly what the full one does, with the same errors, and leaves the
/// other fields absent but for those the runtime reads (ids, fee lines, times).
#[test]
fn a_schema_keeping_some_fields_reads_as_strictly() {
    let program = program();
    let full = check_schema(&program).unwrap();
    let visit = program.visit.unwrap();
    let decl = program.record(visit);
    let gend = decl.field("gend").unwrap();
    let pruned = check_schema_keeping(&program, &|r, i| r == visit && i == gend).unwrap();
    let lines = [
        line_of(&example()),
        edited("肺炎", r"\u80ba\u708e"),
        edited("肺炎", "肺\t炎"),
        edited("肺炎", r"\x"),
        edited(r#""gend":"2""#, r#""gend":5"#),
        edited(r#""cont_years":7"#, r#""cont_years":7.5"#),
        edited(
            r#""endtime":"2026-10-05T10:00:00""#,
            r#""endtime":"2026-10-05""#,
        ),
        edited(r#""diag_name":"肺炎""#, r#""diag_name":3"#),
        edited(r#""cnt":"2""#, r#""cnt":"two""#),
        edited(r#""brdy":"2019-03-14""#, r#""brdy":"2019-02-30""#),
        edited(r#""psn_no":"P000123","#, ""),
        edited(r#""hilist_name":"头孢曲松钠注射剂","#, ""),
    ];
    for text in &lines {
        let (a, b) = (read_visit(&full, 1, text), read_visit(&pruned, 1, text));
        match (&a, &b) {
            (Err(x), Err(y)) => assert_eq!(x, y, "{text}"),
            (Ok(x), Ok(y)) => {
                for (i, (f, (kept, all))) in decl
                    .fields
                    .iter()
                    .zip(y.record.fields.iter().zip(x.record.fields.iter()))
                    .enumerate()
                {
                    match f.name.as_str() {
                        "gend" | "mdtrt_id" | "psn_no" | "begntime" => {
                            assert_eq!(kept, all, "{}", f.name)
                        }
                        "feedetail" => assert_eq!(kept.as_list().len(), all.as_list().len()),
                        _ => assert!(
                            matches!(kept, Value::Absent | Value::List(_)) || i == gend,
                            "{} kept: {kept:?}",
                            f.name
                        ),
                    }
                }
            }
            _ => panic!("{text}: {a:?} against {b:?}"),
        }
    }
}
