//! `group by`: the hits of one rule on one visit with equal keys become one finding.
//! Both engines render hits with the interpreter and merge them here, so they merge
//! identically.

use super::{Hit, ops};

/// Merges hits with equal `group` keys, in order of each group's first hit: the lines
/// are united (sorted, deduplicated), the amounts summed, the severity is the most
/// severe (lowest variant index), and the message and evidence are those of the
/// group's last hit (which has seen the most, e.g. the whole running total).
/// Hits without a key are left as they are.
pub fn merge_groups(hits: Vec<Hit>) -> Vec<Hit> {
    if hits.iter().all(|h| h.group.is_empty()) {
        return hits;
    }
    let mut out: Vec<Hit> = Vec::with_capacity(hits.len());
    for hit in hits {
        let same = |o: &&mut Hit| {
            !o.group.is_empty()
                && o.group.len() == hit.group.len()
                && o.group
                    .iter()
                    .zip(&hit.group)
                    .all(|(a, b)| ops::equals(a, b))
        };
        match out.iter_mut().find(same) {
            Some(into) => {
                into.lines.extend(hit.lines);
                into.lines.sort_unstable();
                into.lines.dedup();
                into.amount += hit.amount;
                into.severity = into.severity.min(hit.severity);
                into.message = hit.message;
                into.evidence = hit.evidence;
            }
            None => out.push(hit),
        }
    }
    out
}
