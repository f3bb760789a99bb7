//! Diagnostics of parameters keyed by tier or class (docs/language.md §8) as an
//! analyst meets them, snapshotted in Chinese and English.

#[path = "support/report.rs"]
mod report;
use report::report;

#[test]
fn map_param_duplicate_key() {
    assert_diagnostic!(
        "H0035",
        r#"param 起付线: Decimal by Int = {3: 700, 2: 500, 3: 800, else: 300} "按医院等级的起付线"
"#
    );
}

#[test]
fn map_param_two_else() {
    assert_diagnostic!(
        "H0035",
        r#"param 起付线: Decimal by Int = {3: 700, else: 500, else: 300} "按医院等级的起付线"
"#
    );
}

#[test]
fn map_param_else_not_last() {
    assert_diagnostic!(
        "H0035",
        r#"param 起付线: Decimal by Int = {else: 300, 3: 700, 2: 500} "按医院等级的起付线"
"#
    );
}

#[test]
fn map_param_key_of_wrong_type() {
    assert_diagnostic!(
        "H0035",
        r#"param 报销比例: Decimal by VisitClass = {inpatient: 70%, "门诊": 50%} "按就诊类别的报销比例"
"#
    );
}

#[test]
fn map_param_without_key_type() {
    assert_diagnostic!(
        "H0035",
        r#"param 起付线: Decimal = {3: 700, else: 300} "按医院等级的起付线"
"#
    );
}

#[test]
fn map_param_used_without_key() {
    assert_diagnostic!(
        "H0036",
        r#"param 起付线: Decimal by Int = {3: 700, 2: 500, else: 300} "按医院等级的起付线"

rule high_fee "超过起付线" {
  each line
  severity low
  when line.det_item_fee_sumamt > 起付线
  message "{line.hilist_name} 超过起付线"
}
"#
    );
}

#[test]
fn scalar_param_used_with_key() {
    assert_diagnostic!(
        "H0036",
        r#"rule long_supply "出院带药天数超限" {
  each line
  severity high
  when (line.prd_days otherwise 0) > discharge_max_days(tier(visit))
  message "{line.hilist_name} 带药天数超限"
}
"#
    );
}

#[test]
fn map_param_key_of_wrong_type_in_lookup() {
    assert_diagnostic!(
        "H0036",
        r#"param 报销比例: Decimal by VisitClass = {inpatient: 70%, else: 50%} "按就诊类别的报销比例"

rule reimbursed "报销金额" {
  each line
  severity low
  amount line.det_item_fee_sumamt * 报销比例(visit.med_type)
  message "{line.hilist_name}"
}
"#
    );
}

#[test]
fn map_param_lookup_without_else_may_be_absent() {
    assert_diagnostic!(
        "H0021",
        r#"param 起付线: Decimal by Int = {3: 700, 2: 500} "按医院等级的起付线"

rule high_fee "超过起付线" {
  each line
  severity low
  when line.det_item_fee_sumamt > 起付线(tier(visit))
  message "{line.hilist_name} 超过起付线"
}
"#
    );
}

/// Every key type, with and without `else`; an enum key by its bare variant name.
#[test]
fn map_params_accepted() {
    let (codes, out) = report(
        r#"param 起付线: Decimal by Int = {3: 700, 2: 500, else: 300} "按医院等级的起付线"
param 报销比例: Decimal by VisitClass = {
  inpatient: 70%
  outpatient: 50%
} "按就诊类别的报销比例"
param 科室上限: Int by Code = {"A03": 3, "A04": 5,} "按科室的次数上限"
param 名称等级: Severity by Text = {"肺炎": high, else: low} "按名称的严重程度"

rule keyed "按键取值" {
  each line
  severity 名称等级(line.hilist_name)
  when line.det_item_fee_sumamt > 起付线(tier(visit))
  when (科室上限(line.bilg_dept_codg otherwise "") otherwise 0) < 4
  amount line.det_item_fee_sumamt * (报销比例(class(visit)) otherwise 0)
  message "{line.hilist_name} 超过 {起付线(tier(visit))}"
}
"#,
    );
    assert!(codes.is_empty(), "{codes:?}\n{out}");
}
