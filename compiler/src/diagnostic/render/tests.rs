//! Snapshot tests of the terminal and JSON renderings, and checks that carets line up
//! under Chinese text.

use unicode_width::UnicodeWidthStr;

use super::*;
use crate::diagnostic::{Diagnostic, codes};
use crate::source::{FileId, SourceMap, Span};
use crate::text;

/// Span of the first occurrence of `needle` in `file`.
fn span_of(map: &SourceMap, file: FileId, needle: &str) -> Span {
    let start = map.get(file).text.find(needle).expect("needle in source");
    Span::new(file, start, start + needle.len())
}

/// Checks, in a plain rendering, that the underline below the excerpt of `source_line`
/// starts at the terminal column where `needle` starts and is as wide as `needle`.
fn assert_underlined(rendered: &str, source_line: &str, needle: &str) {
    let lines: Vec<&str> = rendered.lines().collect();
    let row = lines
        .iter()
        .position(|l| l.ends_with(source_line))
        .expect("excerpt of the source line");
    let excerpt = lines[row];
    let needle_at =
        excerpt.len() - source_line.len() + source_line.find(needle).expect("needle in line");
    let want_col = excerpt[..needle_at].width();

    let underline = lines[row + 1];
    let first = underline
        .find(['─', '┬'])
        .expect("an underline below the excerpt");
    let drawn: String = underline[first..]
        .chars()
        .take_while(|c| matches!(c, '─' | '┬'))
        .collect();
    assert_eq!(
        underline[..first].width(),
        want_col,
        "underline starts under `{needle}`:\n{excerpt}\n{underline}"
    );
    assert_eq!(
        drawn.width(),
        needle.width(),
        "underline as wide as `{needle}`"
    );
}

const AGE_RULE: &str = r#"rule age_limit "限儿童/限年龄使用" code "GZ10000101007000" {
  each line
  severity violation
  message "{line.名称} 限 {max} 岁以下使用,患者 {line.hilst_name} 岁"
}
"#;

const MESSAGE_LINE: &str =
    r#"  message "{line.名称} 限 {max} 岁以下使用,患者 {line.hilst_name} 岁""#;

fn age_rule() -> (SourceMap, FileId) {
    let mut map = SourceMap::default();
    let file = map.add("rules/age.heng", AGE_RULE);
    (map, file)
}

#[test]
fn cjk_span_is_underlined_under_chinese() {
    let (map, file) = age_rule();
    let diag = Diagnostic::error(
        codes::UNKNOWN_FIELD,
        span_of(&map, file, "名称"),
        text!("`FeeLine` 没有字段 `名称`", "`FeeLine` has no field `名称`"),
    )
    .label(text!("不是 `FeeLine` 的字段", "not a field of `FeeLine`"));
    let out = terminal(&[diag], &map, Lang::Zh, false);
    assert_underlined(&out, MESSAGE_LINE, "名称");
    insta::assert_snapshot!(out);
}

#[test]
fn cjk_text_before_the_span_keeps_the_caret_aligned() {
    let (map, file) = age_rule();
    let diag = Diagnostic::error(
        codes::UNKNOWN_FIELD,
        span_of(&map, file, "hilst_name"),
        text!(
            "`FeeLine` 没有字段 `hilst_name`",
            "`FeeLine` has no field `hilst_name`"
        ),
    )
    .label(text!("不是 `FeeLine` 的字段", "not a field of `FeeLine`"))
    .help(text!(
        "是不是想写 `hilist_name`(医保目录名称)?",
        "did you mean `hilist_name` (医保目录名称)?"
    ));
    let out = terminal(&[diag], &map, Lang::Zh, false);
    assert_underlined(&out, MESSAGE_LINE, "hilst_name");
    insta::assert_snapshot!(out);
}

#[test]
fn cjk_alignment_holds_for_every_span_on_the_line() {
    let (map, file) = age_rule();
    let line_start = AGE_RULE.find(MESSAGE_LINE).expect("message line");
    for needle in [
        "名称",
        "限",
        "{max}",
        "岁以下使用",
        "患者",
        "hilst_name",
        "岁\"",
    ] {
        let at = line_start + MESSAGE_LINE.find(needle).expect("needle on line");
        let span = Span::new(file, at, at + needle.len());
        let diag = Diagnostic::error(codes::UNKNOWN_NAME, span, text!("测试", "test"));
        for lang in [Lang::Zh, Lang::En] {
            let out = terminal(std::slice::from_ref(&diag), &map, lang, false);
            assert_underlined(&out, MESSAGE_LINE, needle);
        }
    }
}

const TABLES: &str = r#"table item_limits "限定支付范围" key code {
  code: Code "编码"
  age_max: Int? "最大年龄"
  indication: Prefixes? "适应症ICD前缀"
}
"#;

const LIMIT_RULE: &str = r#"rule age_limit "限儿童/限年龄使用" code "GZ10000101007000" {
  each line
  severity violation
  let limit = item_limits.prefix(line.med_list_codg)
  when limit is some(l) and l.age_max is some(max) and max > line.med_list_codg
  message "{line.hilist_name} 限 {max} 岁及以下使用"
}
"#;

/// A type mismatch whose secondary labels point into the rule and into the table
/// declaration in another file.
fn type_mismatch() -> (SourceMap, Diagnostic) {
    let mut map = SourceMap::default();
    let tables = map.add("schema/tables.heng", TABLES);
    let rule = map.add("rules/age.heng", LIMIT_RULE);
    let diag = Diagnostic::error(
        codes::TYPE_MISMATCH,
        {
            let at = LIMIT_RULE.find("max > line").expect("comparison");
            let len = "max > line.med_list_codg".len();
            Span::new(rule, at, at + len)
        },
        text!(
            "不能把 `Int` 和 `Code` 比较大小",
            "cannot compare `Int` with `Code`"
        ),
    )
    .label(text!(
        "这里是 `Int` 与 `Code`",
        "`Int` compared with `Code` here"
    ))
    .secondary(
        span_of(&map, rule, "some(max)"),
        text!("`max` 是整数(`Int`)", "`max` is an `Int`"),
    )
    .secondary(
        span_of(&map, tables, "age_max: Int?"),
        text!(
            "`age_max` 在这里声明为 `Int?`",
            "`age_max` is declared `Int?` here"
        ),
    )
    .help(text!(
        "比较年龄请用 `age(visit, line) > max`",
        "to compare ages write `age(visit, line) > max`"
    ));
    (map, diag)
}

#[test]
fn secondary_label_in_another_file_zh() {
    let (map, diag) = type_mismatch();
    let out = terminal(&[diag], &map, Lang::Zh, false);
    // The other file's excerpt is headed by its own line and column (3:3), counted
    // after the Chinese text on its line 1.
    assert!(out.contains("├─[ schema/tables.heng:3:3 ]"), "{out}");
    assert_underlined(&out, "  age_max: Int? \"最大年龄\"", "age_max: Int?");
    insta::assert_snapshot!(out);
}

#[test]
fn secondary_label_in_another_file_en() {
    let (map, diag) = type_mismatch();
    insta::assert_snapshot!(terminal(&[diag], &map, Lang::En, false));
}

const PARAMS: &str = r#"param discharge_max_days: Int = 7 "出院带药最多天数"
param 住院天数上限: Int = 15 "住院天数上限"
"#;

fn warnings() -> (SourceMap, Vec<Diagnostic>) {
    let mut map = SourceMap::default();
    let file = map.add("rules/params.heng", PARAMS);
    let unused = |name: &str| {
        Diagnostic::warning(
            codes::UNUSED_PARAM,
            span_of(&map, file, name),
            text!("参数 `{}` 未被使用", "parameter `{}` is never used", name),
        )
        .label(text!("没有规则用到它", "no rule uses it"))
        .note(text!(
            "参数可以在 heng.toml 的 [params] 中或用 --param {}=值 覆盖",
            "parameters can be overridden in heng.toml [params] or with --param {}=VALUE",
            name
        ))
        .note(text!(
            "未使用的参数不影响结果,\n但常常说明规则里写错了名字",
            "an unused parameter does not change results,\nbut often means a rule misspells its name"
        ))
        .help(text!(
            "删除这个参数,或在规则中使用它",
            "remove the parameter or use it in a rule"
        ))
    };
    let diags = vec![unused("discharge_max_days"), unused("住院天数上限")];
    (map, diags)
}

#[test]
fn warnings_with_help_and_notes_zh() {
    let (map, diags) = warnings();
    let out = terminal(&diags, &map, Lang::Zh, false);
    assert_underlined(
        &out,
        "param 住院天数上限: Int = 15 \"住院天数上限\"",
        "住院天数上限",
    );
    insta::assert_snapshot!(out);
}

#[test]
fn warnings_with_help_and_notes_en() {
    let (map, diags) = warnings();
    insta::assert_snapshot!(terminal(&diags, &map, Lang::En, false));
}

#[test]
fn summary_counts_errors_and_warnings() {
    let (map, mut diags) = warnings();
    let (_, error) = type_mismatch();
    assert_eq!(summary(&[], Lang::Zh), None);
    assert_eq!(terminal(&[], &map, Lang::En, false), "");
    assert_eq!(summary(&diags[..1], Lang::En).as_deref(), Some("1 warning"));
    assert_eq!(summary(&diags, Lang::Zh).as_deref(), Some("2 个警告"));
    diags.push(error.clone());
    diags.push(error);
    assert_eq!(
        summary(&diags, Lang::Zh).as_deref(),
        Some("2 个错误,2 个警告")
    );
    assert_eq!(
        summary(&diags, Lang::En).as_deref(),
        Some("2 errors, 2 warnings")
    );
    assert_eq!(summary(&diags[2..3], Lang::En).as_deref(), Some("1 error"));
}

#[test]
fn color_only_when_asked() {
    let (map, diag) = type_mismatch();
    let plain = terminal(std::slice::from_ref(&diag), &map, Lang::Zh, false);
    let colored = terminal(&[diag], &map, Lang::Zh, true);
    assert!(!plain.contains('\x1b'));
    assert!(colored.contains('\x1b'));
    assert!(colored.contains("帮助"), "help relabelled in colour too");
    assert!(!colored.contains("Help"));
}

#[test]
fn odd_spans_do_not_panic() {
    let (map, file) = age_rule();
    let name = AGE_RULE.find("名称").expect("名称");
    let eof = Span::new(file, AGE_RULE.len(), AGE_RULE.len());
    let diags = [
        // Unexpected end of file: shown at the end of the last line.
        Diagnostic::error(
            codes::UNCLOSED_DELIMITER,
            eof,
            text!("缺少 `}}`", "missing `}}`"),
        ),
        // Inside a Chinese character, past the end, and in no known file.
        Diagnostic::error(
            codes::UNKNOWN_NAME,
            Span::new(file, name + 1, name + 4),
            text!("a", "a"),
        ),
        Diagnostic::error(
            codes::UNKNOWN_NAME,
            Span::new(file, 9_000, 9_999),
            text!("b", "b"),
        ),
        Diagnostic::error(
            codes::UNKNOWN_NAME,
            Span::new(FileId(7), 0, 1),
            text!("c", "c"),
        )
        .help(text!("帮", "help")),
    ];
    let out = terminal(&diags, &map, Lang::En, false);
    assert!(out.contains("rules/age.heng:5:2"), "{out}");
    assert!(out.ends_with("4 errors\n"));
    let json = json_diagnostics(&diags, &map, Lang::En);
    assert_eq!((json[0].line, json[0].column), (5, 2));
    assert_eq!(
        (json[1].line, json[1].column, json[1].end_column),
        (4, 18, 20)
    );
    assert_eq!(json[3].file, "");
}

#[test]
fn json_output() {
    let (map, diag) = type_mismatch();
    let records = json_diagnostics(std::slice::from_ref(&diag), &map, Lang::Zh);
    assert_eq!(
        json(&[diag], &map, Lang::Zh),
        serde_json::to_value(&records).expect("serializes")
    );
    let text = serde_json::to_string_pretty(&records).expect("serializes");
    insta::assert_snapshot!(text);
}

#[test]
fn json_output_en_warnings() {
    let (map, diags) = warnings();
    let text = serde_json::to_string_pretty(&json_diagnostics(&diags, &map, Lang::En))
        .expect("serializes");
    insta::assert_snapshot!(text);
}

/// `heng explain-error` prints these: each code explains itself in both languages, in
/// 3 to 8 lines, with an example.
#[test]
fn every_code_is_explained() {
    for info in crate::diagnostic::codes::CODES {
        for lang in [Lang::Zh, Lang::En] {
            let text = info.explanation(lang);
            let lines = text.lines().count();
            assert!(
                (3..=8).contains(&lines),
                "{} {lang:?}: {lines} lines",
                info.code
            );
            assert!(
                text.lines().any(|l| l.starts_with("    ")),
                "{} {lang:?}: an indented example",
                info.code
            );
            // Full-width punctuation appears only where it is the subject (H0002, and
            // H0004's full-width closing quote).
            if !["H0002", "H0004"].contains(&info.code) {
                assert!(
                    !text.contains(['，', '（', '）', '：', '“', '”']),
                    "{} {lang:?}: full-width punctuation",
                    info.code
                );
            }
        }
    }
}
