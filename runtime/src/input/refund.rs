//! Refunds (退费): a fee line with `init_feedetl_sn` set reverses (part of) the line
//! with that `feedetl_sn` in the same visit. They are applied before any rule sees
//! the visit: the refund line is removed, its quantity and amount are taken off the
//! original, an original reversed to zero quantity and zero amount disappears, a
//! partly reversed one stays with what remains.

use super::{
    CNT, DET_ITEM_FEE_SUMAMT, FEEDETAIL, FEEDETL_SN, FieldError, INIT_FEEDETL_SN, NationalFields,
};
use crate::value::{Record, Value};
use heng_compiler::text;
use rust_decimal::Decimal;
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Checks that serial numbers are unique and applies the refunds among `lines`
/// (the fee line records of one visit, in input order). `None` when nothing changes.
/// Error paths start at the list (`[3].init_feedetl_sn`).
pub(super) fn apply(f: &NationalFields, lines: &[Value]) -> Result<Option<Vec<Value>>, FieldError> {
    let sn = |i: usize| {
        lines[i]
            .as_record()
            .map_or("", |l| text_field(l, f.feedetl_sn))
    };
    if let Some((i, first)) = first_repeat(lines.len(), &sn) {
        return Err(FieldError::at(
            format!("[{i}].{}", FEEDETL_SN),
            text!(
                "费用明细流水号 \"{}\" 在本次就诊中重复(第一次出现在 {}[{}])",
                "fee line serial number \"{}\" appears twice in this visit (first at {}[{}])",
                sn(i),
                FEEDETAIL,
                first
            ),
        ));
    }
    let refund = |v: &Value| v.as_record().is_some_and(|l| refund_target(l, f).is_some());
    if !lines.iter().any(refund) {
        return Ok(None);
    }
    let records: Vec<&Record> = lines.iter().filter_map(Value::as_record).collect();
    debug_assert_eq!(records.len(), lines.len());

    // Quantity and amount still standing on each line reversed so far.
    let mut remaining: HashMap<usize, (Decimal, Decimal)> = HashMap::default();
    for (i, line) in records.iter().enumerate() {
        let Some(target_sn) = refund_target(line, f) else {
            continue;
        };
        let at = |field: &str| format!("[{i}].{field}");
        let Some(target) = (0..records.len()).find(|&k| sn(k) == target_sn) else {
            return Err(FieldError::at(
                at(INIT_FEEDETL_SN),
                text!(
                    "退费行指向的原明细流水号 \"{}\" 在本次就诊中不存在",
                    "the refund reverses fee line \"{}\", which is not in this visit",
                    target_sn
                ),
            ));
        };
        let original = records[target];
        if refund_target(original, f).is_some() {
            return Err(FieldError::at(
                at(INIT_FEEDETL_SN),
                text!(
                    "退费行指向的明细 \"{}\" 本身也是退费行",
                    "the refund reverses fee line \"{}\", which is itself a refund",
                    target_sn
                ),
            ));
        }
        let left = remaining.entry(target).or_insert_with(|| {
            (
                decimal_field(original, f.cnt),
                decimal_field(original, f.det_item_fee_sumamt),
            )
        });
        // Refunds are sent with negative quantity and amount; what they take off
        // the original is their magnitude.
        let cnt = decimal_field(line, f.cnt).abs();
        let amount = decimal_field(line, f.det_item_fee_sumamt).abs();
        let over = |field: &str, have: Decimal, take: Decimal| {
            FieldError::at(
                at(field),
                text!(
                    "退费超过原明细:原明细 {}[{}] 尚余 {} 为 {},本行退 {}",
                    "the refund reverses more than the original: {}[{}] has {} {} left, this line reverses {}",
                    FEEDETAIL,
                    target,
                    field,
                    have,
                    take
                ),
            )
        };
        match left.0.checked_sub(cnt) {
            Some(rest) if rest >= Decimal::ZERO => left.0 = rest,
            _ => return Err(over(CNT, left.0, cnt)),
        }
        match left.1.checked_sub(amount) {
            Some(rest) if rest >= Decimal::ZERO => left.1 = rest,
            _ => return Err(over(DET_ITEM_FEE_SUMAMT, left.1, amount)),
        }
    }

    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in records.iter().enumerate() {
        if refund_target(line, f).is_some() {
            continue;
        }
        match remaining.get(&i) {
            None => out.push(Value::Record(Record::clone(line))),
            Some((cnt, amount)) if cnt.is_zero() && amount.is_zero() => {}
            Some(&(cnt, amount)) => {
                let mut rest = line.fields.to_vec();
                rest[f.cnt] = Value::Decimal(cnt);
                rest[f.det_item_fee_sumamt] = Value::Decimal(amount);
                out.push(Value::Record(Record::new(rest)));
            }
        }
    }
    Ok(Some(out))
}

/// The first of `n` serial numbers (`sn`) that repeats an earlier one, with the
/// index of that earlier one. A visit's few lines are compared pairwise, with no
/// table to allocate; many go through a hash map.
fn first_repeat<'a>(n: usize, sn: &dyn Fn(usize) -> &'a str) -> Option<(usize, usize)> {
    const PAIRWISE: usize = 8;
    if n <= PAIRWISE {
        return (0..n).find_map(|i| (0..i).find(|&j| sn(j) == sn(i)).map(|j| (i, j)));
    }
    let mut by_sn: HashMap<&str, usize> = HashMap::with_capacity_and_hasher(n, Default::default());
    (0..n).find_map(|i| super::stream::first_seen(&mut by_sn, sn(i), i).map(|first| (i, first)))
}

/// The serial number a refund line reverses; `None` for an ordinary line (an empty
/// `init_feedetl_sn`, as some exports send, is no refund).
fn refund_target<'a>(line: &'a Record, f: &NationalFields) -> Option<&'a str> {
    line.fields[f.init_feedetl_sn]
        .as_str()
        .filter(|s| !s.is_empty())
}

fn text_field(line: &Record, index: usize) -> &str {
    line.fields[index].as_str().unwrap_or_default()
}

fn decimal_field(line: &Record, index: usize) -> Decimal {
    line.fields[index].as_decimal().unwrap_or_default()
}
