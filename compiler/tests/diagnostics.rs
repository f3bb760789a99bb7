//! Diagnostics as an analyst meets them: each test is one realistic mistake in a rule
//! file checked together with the standard pack's declarations, snapshotted as the
//! source beside its Chinese and English rendering.

#[path = "support/report.rs"]
mod report;
use report::report;

// ---- lexical mistakes ----

#[test]
fn full_width_parenthesis() {
    assert_diagnostic!(
        "H0002",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  severity violation
  when age（visit, line) > 14
  message "{line.hilist_name} 限儿童使用"
}
"#
    );
}

#[test]
fn full_width_comma_between_arguments() {
    assert_diagnostic!(
        "H0002",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  severity violation
  when age(visit， line) > 14
  message "{line.hilist_name} 限儿童使用"
}
"#
    );
}

#[test]
fn full_width_colon_in_param() {
    assert_diagnostic!(
        "H0002",
        r#"param 慢病带药天数：Int = 14 "慢病出院带药最多天数"
"#
    );
}

#[test]
fn full_width_quotes_around_message() {
    assert_diagnostic!(
        "H0002",
        r#"rule discharge_long "出院带药超量" code "GZ10000101009000" {
  each line
  severity violation
  when line.prd_days is some(days) and days > discharge_max_days
  message “{line.hilist_name} 出院带药超量”
}
"#
    );
}

#[test]
fn yen_sign_before_amount() {
    assert_diagnostic!(
        "H0001",
        r#"rule big_line "单笔费用过高" code "GZ10000102001000" {
  each line
  severity low
  when line.det_item_fee_sumamt > ¥5000
  message "{line.hilist_name} 单笔费用过高"
}
"#
    );
}

#[test]
fn unterminated_string_in_message() {
    assert_diagnostic!(
        "H0004",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  severity violation
  when age(visit, line) > 14
  message "{line.hilist_name} 限儿童使用
}
"#
    );
}

#[test]
fn number_with_thousands_separator_dot() {
    assert_diagnostic!(
        "H0005",
        r#"param 起付线: Decimal = 1.500.00 "住院起付线(元)"
"#
    );
}

// ---- syntax ----

#[test]
fn comparison_with_single_equals() {
    assert_diagnostic!(
        "H0003",
        r#"rule discharge_flag "出院带药" code "GZ10000101009000" {
  each line
  severity low
  when line.dscg_tkdrug_flag otherwise "" = "1"
  message "{line.hilist_name} 为出院带药"
}
"#
    );
}

#[test]
fn unclosed_parenthesis_in_condition() {
    assert_diagnostic!(
        "H0006",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  severity violation
  when age(visit, line > 14
  message "{line.hilist_name} 限儿童使用"
}
"#
    );
}

#[test]
fn param_without_equals() {
    assert_diagnostic!(
        "H0003",
        r#"param chronic_days: Int 14 "慢病出院带药最多天数"
"#
    );
}

// ---- names ----

#[test]
fn unknown_field_with_typo_suggestion() {
    assert_diagnostic!(
        "H0012",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  severity violation
  when age(visit, line) > 14
  message "药品:{line.hilst_name} 限儿童使用"
}
"#
    );
}

#[test]
fn unknown_param_with_typo_suggestion() {
    assert_diagnostic!(
        "H0011",
        r#"rule discharge_long "出院带药超量" code "GZ10000101009000" {
  each line
  severity violation
  when line.prd_days is some(days) and days > discharge_max_day
  message "{line.hilist_name} 出院带药 {days} 天"
}
"#
    );
}

#[test]
fn chinese_variable_misspelt() {
    assert_diagnostic!(
        "H0011",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  severity violation
  let 患者年龄 = age(visit, line)
  when 患者年纪 > 14
  message "{line.hilist_name} 限儿童使用,患者 {患者年龄} 岁"
}
"#
    );
}

#[test]
fn each_patient_is_not_a_scope() {
    assert_diagnostic!(
        "H0031",
        r#"rule many_visits "频繁就诊" code "GZ10000201001000" {
  each patient
  severity low
  when count(v in history) > 10
  message "患者就诊过于频繁"
}
"#
    );
}

#[test]
fn unknown_severity_variant() {
    assert_diagnostic!(
        "H0015",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  severity medium
  when age(visit, line) > 14
  message "{line.hilist_name} 限儿童使用"
}
"#
    );
}

#[test]
fn table_find_is_not_a_lookup() {
    assert_diagnostic!(
        "H0014",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  severity violation
  when item_limits.find(line.med_list_codg) is some(limit)
    and limit.age_max is some(max) and age(visit, line) > max
  message "{line.hilist_name} 限 {max} 岁及以下使用"
}
"#
    );
}

#[test]
fn unknown_type_integer() {
    assert_diagnostic!(
        "H0013",
        r#"param chronic_days: Integer = 14 "慢病出院带药最多天数"
"#
    );
}

#[test]
fn ambiguous_variant_shared_by_two_enums() {
    assert_diagnostic!(
        "H0016",
        r#"enum Risk "风险" {
  high "高风险"
  low "低风险"
}

fn risk_of "风险等级" (line: FeeLine) -> Risk =
  if line.pric > 1000 then high else low
"#
    );
}

#[test]
fn placeholder_unknown_name() {
    assert_diagnostic!(
        "H0011",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  severity violation
  when item_limits.prefix(line.med_list_codg) is some(limit)
    and limit.age_max is some(max) and age(visit, line) > max
  message "{line.hilist_name} 限 {maxage} 岁及以下使用"
}
"#
    );
}

#[test]
fn placeholder_brace_not_closed() {
    assert_diagnostic!(
        "H0027",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  severity violation
  when age(visit, line) > 14
  message "药品 {line.hilist_name 限儿童使用"
}
"#
    );
}

#[test]
fn placeholder_shows_a_whole_record() {
    assert_diagnostic!(
        "H0027",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  severity violation
  when age(visit, line) > 14
  message "明细 {line} 限儿童使用"
}
"#
    );
}

// ---- types ----

#[test]
fn optional_used_without_is_some() {
    assert_diagnostic!(
        "H0021",
        r#"rule discharge_long "出院带药超量" code "GZ10000101009000" {
  each line
  severity violation
  when line.prd_days > discharge_max_days
  message "{line.hilist_name} 出院带药超量"
}
"#
    );
}

#[test]
fn text_compared_with_int() {
    assert_diagnostic!(
        "H0024",
        r#"rule long_name "名称过长" code "GZ10000102001000" {
  each line
  severity low
  when line.hilist_name == 14
  message "{line.hilist_name} 名称有误"
}
"#
    );
}

#[test]
fn age_compared_with_birth_date() {
    assert_diagnostic!(
        "H0024",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  severity violation
  when age(visit, line) > visit.brdy
  message "{line.hilist_name} 限儿童使用"
}
"#
    );
}

#[test]
fn param_default_of_wrong_type() {
    assert_diagnostic!(
        "H0020",
        r#"param chronic_days: Int = "14" "慢病出院带药最多天数"
"#
    );
}

#[test]
fn amount_is_text() {
    assert_diagnostic!(
        "H0020",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  severity violation
  when age(visit, line) > 14
  amount line.hilist_name
  message "{line.hilist_name} 限儿童使用"
}
"#
    );
}

#[test]
fn wrong_argument_count() {
    assert_diagnostic!(
        "H0022",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  severity violation
  when age(line) > 14
  message "{line.hilist_name} 限儿童使用"
}
"#
    );
}

#[test]
fn condition_is_a_number() {
    assert_diagnostic!(
        "H0023",
        r#"rule discharge_long "出院带药超量" code "GZ10000101009000" {
  each line
  severity violation
  when line.prd_days is some(days) and days
  message "{line.hilist_name} 出院带药超量"
}
"#
    );
}

#[test]
fn match_not_exhaustive_over_visit_class() {
    assert_diagnostic!(
        "H0025",
        r#"fn class_weight "就诊类别权重" (v: Visit) -> Int =
  match class(v) {
    inpatient => 3
    outpatient => 1
  }
"#
    );
}

#[test]
fn match_over_code_without_else() {
    assert_diagnostic!(
        "H0025",
        r#"fn grade_weight "收费等级权重" (line: FeeLine) -> Int =
  match line.chrgitm_lv otherwise "" {
    "01" => 3
    "02" => 2
  }
"#
    );
}

#[test]
fn recursive_function() {
    assert_diagnostic!(
        "H0026",
        r#"fn supply_days "累计用药天数" (line: FeeLine) -> Int =
  supply_days(line) + 1
"#
    );
}

#[test]
fn mutually_recursive_functions() {
    assert_diagnostic!(
        "H0026",
        r#"fn 甲 "甲" (v: Visit) -> Int = 乙(v) + 1
fn 乙 "乙" (v: Visit) -> Int = 甲(v) - 1
"#
    );
}

#[test]
fn invalid_date() {
    assert_diagnostic!(
        "H0032",
        r#"param policy_start: Date = date("2026-02-30") "政策生效日期"
"#
    );
}

#[test]
fn param_default_reads_a_field() {
    assert_diagnostic!(
        "H0011",
        r#"param chronic_days: Int = line.prd_days "慢病出院带药最多天数"
"#
    );
}

#[test]
fn sum_over_a_single_line() {
    assert_diagnostic!(
        "H0034",
        r#"rule big_visit "单次就诊费用过高" code "GZ10000102001000" {
  each line
  severity low
  let total = sum(l.det_item_fee_sumamt for l in line)
  when total > 50000
  message "本次就诊费用 {total} 元"
}
"#
    );
}

// ---- rules ----

#[test]
fn bad_national_rule_code() {
    assert_diagnostic!(
        "H0030",
        r#"rule child_only "限儿童使用" code "GZ1000010107000" {
  each line
  severity violation
  when age(visit, line) > 14
  message "{line.hilist_name} 限儿童使用"
}
"#
    );
}

#[test]
fn missing_severity() {
    assert_diagnostic!(
        "H0028",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  when age(visit, line) > 14
  message "{line.hilist_name} 限儿童使用"
}
"#
    );
}

#[test]
fn missing_each() {
    assert_diagnostic!(
        "H0028",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  severity violation
  when age(visit, line) > 14
  message "{line.hilist_name} 限儿童使用"
}
"#
    );
}

#[test]
fn severity_written_twice() {
    assert_diagnostic!(
        "H0029",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  severity violation
  when age(visit, line) > 14
  severity high
  message "{line.hilist_name} 限儿童使用"
}
"#
    );
}

#[test]
fn duplicate_rule_id() {
    assert_diagnostic!(
        "H0010",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  severity violation
  when age(visit, line) > 14
  message "{line.hilist_name} 限儿童使用"
}

rule child_only "限新生儿使用" code "GZ10000101006000" {
  each line
  severity violation
  when age_days(visit, line) > newborn_max_days
  message "{line.hilist_name} 限新生儿使用"
}
"#
    );
}

#[test]
fn param_redefines_a_standard_param() {
    assert_diagnostic!(
        "H0010",
        r#"param discharge_max_days: Int = 14 "慢病出院带药最多天数"
"#
    );
}

#[test]
fn unused_let_warning() {
    assert_diagnostic!(
        "H0042",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  severity violation
  let limit = item_limits.prefix(line.med_list_codg)
  when item_limits.prefix(line.med_list_codg) is some(l)
    and l.age_max is some(max) and age(visit, line) > max
  message "{line.hilist_name} 限 {max} 岁及以下使用"
}
"#
    );
}

#[test]
fn unused_param_warning() {
    assert_diagnostic!(
        "H0040",
        r#"param 慢病带药天数: Int = 14 "慢病出院带药最多天数"

rule chronic_discharge "慢病出院带药超量" code "GZ10000101009000" {
  each line
  severity violation
  when line.prd_days is some(days) and days > 14
  message "{line.hilist_name} 出院带药 {days} 天"
}
"#
    );
}

#[test]
fn rule_can_never_fire() {
    assert_diagnostic!(
        "H0043",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  severity violation
  when false
  message "{line.hilist_name} 限儿童使用"
}
"#
    );
}

#[test]
fn several_errors_in_one_rule_all_reported() {
    assert_diagnostic!(
        "H0012",
        r#"rule child_only "限儿童使用" code "GZ1000010100700" {
  each line
  severity medium
  when age(visit) > 14 and line.prd_days > 3
  message "{line.hilst_name} 限儿童使用,患者 {年龄} 岁"
}
"#
    );
}

#[test]
fn broken_rule_does_not_hide_errors_in_the_next() {
    assert_diagnostic!(
        "H0012",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  severity violation
  when age(visit, line) > > 14
  message "{line.hilist_name} 限儿童使用"
}

rule newborn_only "限新生儿使用" code "GZ10000101006000" {
  each line
  severity violation
  when age_days(visit, line) > newborn_max_days
  message "{line.hilist_nam} 限新生儿使用"
}
"#
    );
}

// ---- accepted forms ----

/// A match pattern is a literal, and a negative number (`-1`, the grammar's
/// `unary`) is one: found by the differential test's program generator.
#[test]
fn negative_number_match_patterns_are_constants() {
    let (codes, out) = report(
        r#"fn sign_name "符号" (n: Int, x: Decimal) -> Text =
  match n {
    -1 | -2 => "负"
    0 => "零"
    else => match x { -0.5 => "负半", else => "其他" }
  }
"#,
    );
    assert!(codes.is_empty(), "{codes:?}\n{out}");
}
