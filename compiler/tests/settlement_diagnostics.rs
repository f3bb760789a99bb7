//! Diagnostics of settlements as an analyst meets them (docs/language.md §20):
//! each test one realistic mistake, snapshotted in Chinese and English.

#[path = "support/report.rs"]
mod report;

#[test]
fn settlement_add_under_each_line() {
    assert_diagnostic!(
        "H0080",
        r#"settlement resident "居民医保门诊结算" {
  accumulator 起付线已用 "本年度已付起付线"
  each line
  output 合规费用 = line.det_item_fee_sumamt
  add line.det_item_fee_sumamt to 起付线已用
  each visit
  output 本次起付线 = min(300 - 起付线已用, sum(l.合规费用 for l in settled_lines))
  add 本次起付线 to 起付线已用
}
"#
    );
}

#[test]
fn settlement_clause_in_a_rule() {
    assert_diagnostic!(
        "H0080",
        r#"rule child_only "限儿童使用" code "GZ10000101007000" {
  each line
  severity violation
  when age(visit, line) > 14
  output 违规金额 = line.det_item_fee_sumamt
  message "{line.hilist_name} 限儿童使用"
}
"#
    );
}

#[test]
fn settlement_year_start_not_month_day() {
    assert_diagnostic!(
        "H0081",
        r#"settlement children "少儿门诊结算" {
  year starts "9月1日"
  each visit
  output 费用总额 = sum(l.det_item_fee_sumamt for l in visit.feedetail)
}
"#
    );
}

#[test]
fn settlement_accumulator_not_declared() {
    assert_diagnostic!(
        "H0011",
        r#"settlement resident "居民医保门诊结算" {
  accumulator 起付线已用 "本年度已付起付线"
  each visit
  output 本次起付线 = min(300 - 起付线已用, sum(l.det_item_fee_sumamt for l in visit.feedetail))
  add 本次起付线 to 起付线已付
}
"#
    );
}

#[test]
fn two_settlements() {
    assert_diagnostic!(
        "H0082",
        r#"settlement resident "居民医保结算" {
  each visit
  output 费用总额 = sum(l.det_item_fee_sumamt for l in visit.feedetail)
}

settlement children "少儿医保结算" {
  each visit
  output 费用总额 = sum(l.det_item_fee_sumamt for l in visit.feedetail)
}
"#
    );
}

#[test]
fn settlement_accumulator_reads_a_batch_total() {
    assert_diagnostic!(
        "H0083",
        r#"settlement dip "DIP" {
  accumulator 已付 "本年度已付"
  each visit
  output 费用 = sum(l.det_item_fee_sumamt for l in visit.feedetail)
  total 总费用 = 费用
  output 占比 = 费用 / 总费用
  add 占比 to 已付
}
"#
    );
}
