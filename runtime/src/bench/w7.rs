//! W7 of spec/performance.md without any peer engine: the five line rules peers
//! can express (gender_limit, age_limit, tier_limit, visit_limit, excluded_item),
//! the flat records every peer is given, Heng's own run of those rules, and the
//! check that a peer flags exactly the (line, rule) pairs Heng flags. The peers
//! themselves (`peers`, `--features peers`) build on this; it is always compiled
//! so that the test suite covers it without building a peer.
//!
//! **What peers are given.** One flat record per fee line: the line's number, its
//! item code, the patient's gender, age on the day of the line, the hospital tier,
//! the visit class and the line's chrgitm_lv, plus every table lookup the rules
//! make *already resolved*: the item_limits row that the longest code prefix picks
//! (gender, age_min, age_max, min_tier, visit; absent when the row, or its cell,
//! is empty) and whether the exclusions table has a prefix of the code. So a peer
//! only compares fields; Heng reads the visits and does its own prefix lookups.
//! That is in the peers' favour, on purpose: a policy that searched the tables by
//! prefix would measure the engines' string loops, not rule evaluation. (DuckDB is
//! also timed doing the lookups itself, as SQL would.)

use super::handwritten;
use crate::native::{NativeEngine, Verdict};
use crate::pack::Pack;
use crate::value::Value;
use serde::Serialize;
use std::time::Duration;

/// The rules of W7, in the order peers report them.
pub const RULES: [&str; 5] = [
    "gender_limit",
    "age_limit",
    "tier_limit",
    "visit_limit",
    "excluded_item",
];

/// A (fee line, rule) pair that fires: the line's number among W7's lines and
/// the rule's index in [`RULES`].
pub type Flag = (u32, u8);

/// One fee line as every peer sees it (see the module doc).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlatLine {
    /// Position among W7's fee lines, from 0.
    pub line: u32,
    pub item_code: String,
    /// `gend` of the visit: "1" male, "2" female, other codes unknown.
    pub gend: Option<String>,
    /// Whole years on the day of the line.
    pub age: i64,
    /// 0 to 3, from hosp_lv.
    pub tier: i64,
    /// The VisitClass variant of the visit, by name.
    pub visit_class: String,
    pub chrgitm_lv: Option<String>,
    /// item_limits, by longest code prefix: the gender the item is limited to.
    pub limit_gender: Option<String>,
    pub age_min: Option<i64>,
    pub age_max: Option<i64>,
    pub min_tier: Option<i64>,
    /// The VisitClass variant the item is limited to, by name.
    pub visit_allowed: Option<String>,
    /// Whether exclusions has a prefix of the item code.
    pub excluded: bool,
}

/// The first whole visits whose fee lines add up to at most `cap` (at least one
/// visit), and their fee line count.
pub fn take_lines(pack: &Pack, visits: &[Value], cap: usize) -> (usize, usize) {
    let mut lines = 0;
    for (i, v) in visits.iter().enumerate() {
        let n = line_count(pack, v);
        if i > 0 && lines + n > cap {
            return (i, lines);
        }
        lines += n;
    }
    (visits.len(), lines)
}

fn line_count(pack: &Pack, visit: &Value) -> usize {
    visit
        .as_record()
        .map_or(0, |r| r.fields[pack.feedetail].as_list().len())
}

/// Disables every rule of the pack but the five of [`RULES`]; an error if one of
/// them is missing.
pub fn keep_only_w7_rules(pack: &mut Pack) -> Result<(), String> {
    for id in RULES {
        if !pack.program.rules.iter().any(|r| r.id == id) {
            return Err(format!(
                "W7 needs the standard pack's rule `{id}`, not in this pack"
            ));
        }
    }
    pack.disabled = pack
        .program
        .rules
        .iter()
        .map(|r| r.id.clone())
        .filter(|id| !RULES.contains(&id.as_str()))
        .collect();
    Ok(())
}

/// The flat records of every fee line of `visits`, in order (see the module doc).
/// Needs the standard pack's declarations.
pub fn flatten(pack: &Pack, visits: &[Value]) -> Result<Vec<FlatLine>, String> {
    handwritten::fits(pack)?;
    let mut interner = handwritten::Interner::default();
    let typed = handwritten::convert(pack, visits, &mut interner);
    let resolved = handwritten::resolve(pack, &interner);
    let classes: Vec<String> = pack
        .program
        .enums
        .iter()
        .find(|e| e.name == "VisitClass")
        .map(|e| e.variants.iter().map(|v| v.name.clone()).collect())
        .unwrap_or_default();
    let class = |i: usize| classes.get(i).cloned().unwrap_or_else(|| i.to_string());
    let mut out = Vec::new();
    for v in &typed {
        for l in &v.lines {
            let limit = resolved.limits[l.code as usize].map(|r| &resolved.limit_rows[r]);
            out.push(FlatLine {
                line: out.len() as u32,
                item_code: l.code_text.clone(),
                gend: v.gend.clone(),
                age: handwritten::years_between(v.brdy, l.day),
                tier: v.tier,
                visit_class: class(usize::from(v.class)),
                chrgitm_lv: l.lv.clone(),
                limit_gender: limit.and_then(|x| x.gender.clone()),
                age_min: limit.and_then(|x| x.age_min),
                age_max: limit.and_then(|x| x.age_max),
                min_tier: limit.and_then(|x| x.min_tier),
                visit_allowed: limit.and_then(|x| x.visit).map(|i| class(i as usize)),
                excluded: resolved.excluded[l.code as usize],
            });
        }
    }
    Ok(out)
}

/// The five rules over flat records, in plain Rust: what every peer's policy says.
/// W7 checks it against Heng before any peer runs, so that the records handed to
/// the peers carry what the rules need.
pub fn reference(lines: &[FlatLine]) -> Vec<Flag> {
    let mut flags = Vec::new();
    for l in lines {
        let gend = l.gend.as_deref();
        let fires = [
            matches!(gend, Some("1" | "2"))
                && l.limit_gender.is_some()
                && gend != l.limit_gender.as_deref(),
            l.age_min.is_some_and(|lo| l.age < lo) || l.age_max.is_some_and(|hi| l.age > hi),
            l.min_tier.is_some_and(|m| l.tier < m),
            match l.visit_allowed.as_deref() {
                Some("outpatient") => l.visit_class == "inpatient",
                Some("inpatient") => l.visit_class != "inpatient",
                _ => false,
            },
            l.excluded && l.chrgitm_lv.as_deref() != Some("03"),
        ];
        for (rule, fired) in fires.into_iter().enumerate() {
            if fired {
                flags.push((l.line, rule as u8));
            }
        }
    }
    flags
}

/// What Heng's native code decides on the visits (the pack restricted to the W7
/// rules), as flags; an error where it would defer to the interpreter.
pub fn heng_flags(
    pack: &Pack,
    native: &NativeEngine,
    visits: &[Value],
) -> Result<Vec<Flag>, String> {
    let mut flags = Vec::new();
    let mut decided = Vec::new();
    let mut first_line = 0u32;
    for v in visits {
        native.decide(&native.prepare(v), &mut decided);
        for d in &decided {
            let id = &pack.program.rules[d.rule].id;
            let (Some(rule), Some(line)) = (RULES.iter().position(|r| r == id), d.line) else {
                return Err(format!("W7: unexpected decision of rule `{id}`"));
            };
            if d.verdict != Verdict::Fires {
                return Err(format!(
                    "W7: native code defers `{id}` on a line to the interpreter"
                ));
            }
            flags.push((first_line + line as u32, rule as u8));
        }
        first_line += line_count(pack, v) as u32;
    }
    flags.sort_unstable();
    Ok(flags)
}

/// How a peer's flags differ from Heng's.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    pub only_heng: usize,
    pub only_peer: usize,
    /// The first few differences, worded.
    pub examples: Vec<String>,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "disagrees with Heng on {} (line, rule) pairs ({} only Heng flags, {} only the peer flags), first: {}",
            self.only_heng + self.only_peer,
            self.only_heng,
            self.only_peer,
            self.examples.join("; ")
        )
    }
}

/// Whether `peer` flags exactly the pairs `heng` flags (neither needs to be sorted).
pub fn agree(heng: &[Flag], peer: &[Flag]) -> Result<(), Mismatch> {
    let sorted = |f: &[Flag]| {
        let mut f = f.to_vec();
        f.sort_unstable();
        f.dedup();
        f
    };
    let (h, p) = (sorted(heng), sorted(peer));
    let only_h: Vec<_> = h.iter().filter(|f| p.binary_search(f).is_err()).collect();
    let only_p: Vec<_> = p.iter().filter(|f| h.binary_search(f).is_err()).collect();
    if only_h.is_empty() && only_p.is_empty() && heng.len() == h.len() && peer.len() == p.len() {
        return Ok(());
    }
    let word = |(line, rule): &Flag, who: &str| {
        format!(
            "line {line} {} ({who})",
            RULES.get(usize::from(*rule)).unwrap_or(&"?")
        )
    };
    let mut examples: Vec<String> = only_h
        .iter()
        .take(3)
        .map(|f| word(f, "Heng only"))
        .chain(only_p.iter().take(3).map(|f| word(f, "peer only")))
        .collect();
    if examples.is_empty() {
        examples.push("a pair flagged twice".into());
    }
    Err(Mismatch {
        only_heng: only_h.len(),
        only_peer: only_p.len(),
        examples,
    })
}

/// W7: Heng against rule-engine peers on the same records, in the same run.
/// Times in milliseconds, rates in records (fee lines) per second.
#[derive(Clone, Debug, Serialize)]
pub struct W7 {
    pub visits: usize,
    /// Fee lines every engine evaluates (the first whole visits up to the cap).
    pub fee_lines: usize,
    /// `--w7-lines`.
    pub line_cap: usize,
    pub rules: Vec<String>,
    /// (line, rule) pairs that fire.
    pub flagged: usize,
    /// Native code deciding on visits already encoded (as W3 measures it).
    pub heng_ms: f64,
    pub heng_records_per_sec: f64,
    /// The same, encoding each visit from the reader's values included.
    pub heng_with_encoding_ms: f64,
    pub heng_with_encoding_records_per_sec: f64,
    /// What every peer is given, in one sentence.
    pub given: String,
    pub peers: Vec<W7Peer>,
}

/// One peer's figures, or why it has none.
#[derive(Clone, Debug, Serialize)]
pub struct W7Peer {
    pub engine: String,
    /// A rule engine (the ≥ 10× target) rather than SQL (the ≥ 1× target).
    pub rule_engine: bool,
    /// Flags exactly Heng's (line, rule) pairs; the time counts only then.
    pub agrees: bool,
    pub ms: Option<f64>,
    pub records_per_sec: Option<f64>,
    /// Heng's records/s over the peer's.
    pub heng_ratio: Option<f64>,
    /// Loading the records into the peer (DuckDB), not part of `ms`.
    pub load_ms: Option<f64>,
    /// A mismatch, or why the peer did not run.
    pub note: Option<String>,
}

impl W7Peer {
    /// A peer that could not run or did not agree.
    pub fn failed(engine: &str, rule_engine: bool, note: String) -> W7Peer {
        W7Peer {
            engine: engine.into(),
            rule_engine,
            agrees: false,
            ms: None,
            records_per_sec: None,
            heng_ratio: None,
            load_ms: None,
            note: Some(note),
        }
    }

    /// A peer that agreed, timed at `time` over `lines` records.
    pub fn timed(
        engine: &str,
        rule_engine: bool,
        time: Duration,
        lines: usize,
        heng_rate: f64,
    ) -> W7Peer {
        let rate = lines as f64 / time.as_secs_f64().max(1e-9);
        W7Peer {
            engine: engine.into(),
            rule_engine,
            agrees: true,
            ms: Some(time.as_secs_f64() * 1e3),
            records_per_sec: Some(rate),
            heng_ratio: Some(heng_rate / rate),
            load_ms: None,
            note: None,
        }
    }
}

impl W7 {
    /// Heng's ratio to the fastest rule engine that agreed (target ≥ 10).
    pub fn ratio_to_fastest_rule_engine(&self) -> Option<f64> {
        self.peers
            .iter()
            .filter(|p| p.rule_engine)
            .filter_map(|p| p.heng_ratio)
            .min_by(f64::total_cmp)
    }

    /// Heng's ratio to the fastest SQL peer that agreed (target ≥ 1).
    pub fn ratio_to_sql(&self) -> Option<f64> {
        self.peers
            .iter()
            .filter(|p| !p.rule_engine)
            .filter_map(|p| p.heng_ratio)
            .min_by(f64::total_cmp)
    }
}

/// A fee line that no W7 rule flags (a man of 40, tier 1, outpatient, no
/// limits), for tests to change one field of.
#[cfg(test)]
pub(crate) fn plain_line(line: u32) -> FlatLine {
    FlatLine {
        line,
        item_code: "X".into(),
        gend: Some("1".into()),
        age: 40,
        tier: 1,
        visit_class: "outpatient".into(),
        chrgitm_lv: None,
        limit_gender: None,
        age_min: None,
        age_max: None,
        min_tier: None,
        visit_allowed: None,
        excluded: false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn agreement_names_the_first_differences() {
        assert_eq!(agree(&[(1, 0), (2, 4)], &[(2, 4), (1, 0)]), Ok(()));
        let m = agree(&[(1, 0), (2, 4)], &[(1, 0), (3, 1)]).unwrap_err();
        assert_eq!((m.only_heng, m.only_peer), (1, 1));
        assert_eq!(
            m.to_string(),
            "disagrees with Heng on 2 (line, rule) pairs (1 only Heng flags, 1 only the peer flags), first: line 2 excluded_item (Heng only); line 3 age_limit (peer only)"
        );
        let twice = agree(&[(1, 0)], &[(1, 0), (1, 0)]).unwrap_err();
        assert_eq!(twice.examples, ["a pair flagged twice"]);
    }

    fn line() -> FlatLine {
        FlatLine {
            gend: Some("2".into()),
            ..plain_line(7)
        }
    }

    #[test]
    fn the_reference_rules_fire_on_their_conditions_only() {
        assert!(reference(&[line()]).is_empty());
        let all = FlatLine {
            limit_gender: Some("1".into()),
            age_max: Some(18),
            min_tier: Some(2),
            visit_allowed: Some("inpatient".into()),
            excluded: true,
            ..line()
        };
        assert_eq!(
            reference(std::slice::from_ref(&all)),
            [(7, 0), (7, 1), (7, 2), (7, 3), (7, 4)]
        );
        let none = FlatLine {
            gend: Some("0".into()),
            age_min: Some(41),
            age_max: None,
            tier: 2,
            visit_class: "inpatient".into(),
            chrgitm_lv: Some("03".into()),
            ..all
        };
        assert_eq!(reference(&[none]), [(7, 1)]);
    }

    /// The flat records carry what the rules need: over the sample batch, the
    /// plain-Rust rules on them flag exactly what Heng's native code flags.
    #[test]
    fn flat_records_give_heng_s_flags_on_the_sample_batch() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut pack = crate::pack::load(&root.join("stdlib-rules"), &[])
            .pack
            .unwrap();
        keep_only_w7_rules(&mut pack).unwrap();
        assert_eq!(pack.active_rules().count(), 5);
        let visits = super::super::read_visits(
            &pack,
            &root.join("examples/sample-batch.ndjson"),
            1,
            usize::MAX,
        )
        .unwrap();
        let native = NativeEngine::new(&pack);
        let heng = heng_flags(&pack, &native, &visits).unwrap();
        let lines = flatten(&pack, &visits).unwrap();
        assert_eq!(
            lines.len(),
            794,
            "the lines of the visits the reader accepts"
        );
        assert!(heng.len() >= 5, "{heng:?}");
        for rule in 0..5 {
            assert!(
                heng.iter().any(|f| f.1 == rule),
                "rule {} never fires",
                RULES[rule as usize]
            );
        }
        assert_eq!(agree(&heng, &reference(&lines)), Ok(()));
        let (n, lines) = take_lines(&pack, &visits, 100);
        assert!(n >= 1 && lines <= 100, "{n} {lines}");
    }
}
