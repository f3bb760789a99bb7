//! W7 with its peers (built with `--features peers`): Heng's native code and each
//! peer engine run the five line rules of [`w7::RULES`] on the same fee lines, one
//! thread each. Heng evaluates the visits as read, with the pack restricted to
//! those rules; every peer gets the flat records of [`w7::flatten`] (lookups
//! pre-resolved, see `w7`), converted once into the engine's own values before
//! any timing. Each peer first runs once and must flag exactly Heng's (line,
//! rule) pairs; only then is it timed (best of a few runs), and checked again
//! after; else the report shows the mismatch. One module per peer; a peer whose feature is off is listed as
//! not built.

#[cfg(feature = "peer-cel")]
mod cel;
mod duckdb;
#[cfg(feature = "peer-rego")]
mod rego;
#[cfg(feature = "peer-zen")]
mod zen;
#[cfg(feature = "peer-zen-engine")]
mod zen_engine;

use super::w7::{self, Flag, FlatLine, W7, W7Peer};
use super::{Options, best, ms};
use crate::native::{NativeEngine, Prepared};
use crate::pack;
use crate::value::Value;
use std::path::Path;

/// A rule engine ready to evaluate the W7 records it was built with.
pub trait Peer {
    /// Evaluates every record once; the (line, rule) pairs that fire.
    fn run(&mut self) -> Result<Vec<Flag>, String>;
}

/// How a peer module builds its engine on the records.
type Build = fn(&[FlatLine]) -> Result<Box<dyn Peer>, String>;

/// The rule-engine peers: (name, feature, builder when the feature is on).
fn rule_engines() -> Vec<(&'static str, &'static str, Option<Build>)> {
    vec![
        (
            "regorus (Rego, RVM)",
            "peer-rego",
            #[cfg(feature = "peer-rego")]
            Some(rego::vm as Build),
            #[cfg(not(feature = "peer-rego"))]
            None,
        ),
        (
            "regorus (Rego, interpreter)",
            "peer-rego",
            #[cfg(feature = "peer-rego")]
            Some(rego::interpreter as Build),
            #[cfg(not(feature = "peer-rego"))]
            None,
        ),
        (
            "cel (CEL)",
            "peer-cel",
            #[cfg(feature = "peer-cel")]
            Some(cel::build as Build),
            #[cfg(not(feature = "peer-cel"))]
            None,
        ),
        (
            "zen-engine (decision table)",
            "peer-zen-engine",
            #[cfg(feature = "peer-zen-engine")]
            Some(zen_engine::build as Build),
            #[cfg(not(feature = "peer-zen-engine"))]
            None,
        ),
        (
            "zen-expression",
            "peer-zen",
            #[cfg(feature = "peer-zen")]
            Some(zen::expression as Build),
            #[cfg(not(feature = "peer-zen"))]
            None,
        ),
    ]
}

/// Runs W7 on the first whole `visits` up to `opts.w7_lines` fee lines, with the
/// pack in `dir`.
pub fn w7(
    dir: &Path,
    visits: &[Value],
    opts: &Options,
    progress: &mut dyn FnMut(&str),
) -> Result<W7, String> {
    progress("W7: Heng, the five rules peers can express");
    let mut pack = pack::load(dir, &[])
        .pack
        .ok_or_else(|| format!("the pack in {} does not check", dir.display()))?;
    w7::keep_only_w7_rules(&mut pack)?;
    let (n, fee_lines) = w7::take_lines(&pack, visits, opts.w7_lines);
    let visits = &visits[..n];
    let native = NativeEngine::new(&pack);
    let heng = w7::heng_flags(&pack, &native, visits)?;
    let lines = w7::flatten(&pack, visits)?;
    w7::agree(&heng, &w7::reference(&lines))
        .map_err(|m| format!("W7: the flat records do not carry what the rules need: {m}"))?;

    let prepared: Vec<Prepared> = visits.iter().map(|v| native.prepare(v)).collect();
    let mut decided = Vec::new();
    let decide = best(opts.rounds, || {
        super::decide_all(&native, &prepared, &mut decided)
    });
    let mut scratch = Prepared::default();
    let with_encoding = best(opts.rounds, || {
        visits
            .iter()
            .map(|v| {
                native.prepare_into(v, &mut scratch);
                native.decide(&scratch, &mut decided);
                decided.len()
            })
            .sum::<usize>()
    });
    let rate = |d: std::time::Duration| fee_lines as f64 / d.as_secs_f64().max(1e-9);
    let heng_rate = rate(decide);

    let rounds = opts.rounds.clamp(1, 3);
    let mut peers = Vec::new();
    for (name, feature, build) in rule_engines() {
        let Some(build) = build else {
            peers.push(W7Peer::failed(
                name,
                true,
                format!("not built: needs `--features {feature}` (or `peers`)"),
            ));
            continue;
        };
        progress(&format!("W7: {name}"));
        peers.push(measure(name, build, &lines, &heng, heng_rate, rounds));
    }
    peers.extend(duckdb::run(dir, &lines, &heng, heng_rate, rounds, progress));
    Ok(W7 {
        visits: visits.len(),
        fee_lines,
        line_cap: opts.w7_lines,
        rules: w7::RULES.iter().map(|r| r.to_string()).collect(),
        flagged: heng.len(),
        heng_ms: ms(decide),
        heng_records_per_sec: heng_rate,
        heng_with_encoding_ms: ms(with_encoding),
        heng_with_encoding_records_per_sec: rate(with_encoding),
        given: "one flat record per fee line (code, gender, age on the line's day, tier, visit class, chrgitm_lv) with the item_limits row of the longest code prefix and the exclusions hit pre-resolved; Heng reads the visits and looks up its tables itself".into(),
        peers,
    })
}

/// Builds a peer, checks its flags against Heng's, then times it.
fn measure(
    name: &str,
    build: Build,
    lines: &[FlatLine],
    heng: &[Flag],
    heng_rate: f64,
    rounds: usize,
) -> W7Peer {
    let mut peer = match build(lines) {
        Ok(p) => p,
        Err(e) => return W7Peer::failed(name, true, e),
    };
    let flags = match peer.run() {
        Ok(f) => f,
        Err(e) => return W7Peer::failed(name, true, e),
    };
    if let Err(m) = w7::agree(heng, &flags) {
        return W7Peer::failed(name, true, m.to_string());
    }
    let mut failure = None;
    let time = best(rounds, || match peer.run() {
        Ok(f) => f.len(),
        Err(e) => {
            failure = Some(e);
            0
        }
    });
    if let Some(e) = failure {
        return W7Peer::failed(name, true, e);
    }
    // and once more after timing, in case repeated runs changed anything
    match peer.run().map(|f| w7::agree(heng, &f)) {
        Ok(Ok(())) => W7Peer::timed(name, true, time, lines.len(), heng_rate),
        Ok(Err(m)) => W7Peer::failed(name, true, format!("after timing: {m}")),
        Err(e) => W7Peer::failed(name, true, e),
    }
}

/// A flat record as JSON: absent values are left out, as a policy author expects
/// of optional fields. Peers whose values deserialise from JSON start here (and so
/// meet the workspace's `arbitrary_precision` numbers).
pub fn record_json(l: &FlatLine) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    let mut put = |k: &str, v: serde_json::Value| {
        m.insert(k.to_string(), v);
    };
    put("line", l.line.into());
    put("item_code", l.item_code.clone().into());
    put("age", l.age.into());
    put("tier", l.tier.into());
    put("visit_class", l.visit_class.clone().into());
    put("excluded", l.excluded.into());
    for (k, v) in [
        ("gend", &l.gend),
        ("chrgitm_lv", &l.chrgitm_lv),
        ("limit_gender", &l.limit_gender),
        ("visit_allowed", &l.visit_allowed),
    ] {
        if let Some(v) = v {
            put(k, v.clone().into());
        }
    }
    for (k, v) in [
        ("age_min", l.age_min),
        ("age_max", l.age_max),
        ("min_tier", l.min_tier),
    ] {
        if let Some(v) = v {
            put(k, v.into());
        }
    }
    serde_json::Value::Object(m)
}

/// The rule indices set in a bit mask (bit i: `RULES[i]` fires).
pub fn mask_flags(line: u32, mask: i64, out: &mut Vec<Flag>) {
    for rule in 0..w7::RULES.len() {
        if mask & (1 << rule) != 0 {
            out.push((line, rule as u8));
        }
    }
}

/// The rule named `name`, as a flag of `line`.
pub fn named_flag(line: u32, name: &str) -> Result<Flag, String> {
    w7::RULES
        .iter()
        .position(|r| *r == name)
        .map(|r| (line, r as u8))
        .ok_or_else(|| format!("the policy named an unknown rule `{name}`"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Every built peer agrees with Heng on the sample batch (the same check W7
    /// makes before timing), and DuckDB does where it is available.
    #[test]
    fn every_peer_agrees_with_heng_on_the_sample_batch() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let dir = root.join("stdlib-rules");
        let pack = pack::load(&dir, &[]).pack.unwrap();
        let visits = super::super::read_visits(
            &pack,
            &root.join("examples/sample-batch.ndjson"),
            2,
            usize::MAX,
        )
        .unwrap();
        let opts = Options {
            scale: None,
            seed: 1,
            copies: 2,
            rounds: 1,
            table_rows: 0,
            w1_input: None,
            batch_rounds: 1,
            threads: 1,
            w7_lines: 1000,
        };
        let r = w7(&dir, &visits, &opts, &mut |_| {}).unwrap();
        assert!(r.fee_lines <= 1000 && r.fee_lines > 500, "{}", r.fee_lines);
        assert!(r.flagged > 0);
        for p in &r.peers {
            let not_here = p.note.as_deref().is_some_and(|n| {
                ["not built", "not available"]
                    .iter()
                    .any(|w| n.starts_with(w))
            });
            assert!(p.agrees || not_here, "{}: {:?}", p.engine, p.note);
            assert_eq!(p.agrees, p.records_per_sec.is_some(), "{p:?}");
        }
        assert!(r.peers.iter().filter(|p| p.rule_engine).any(|p| p.agrees));
    }

    #[test]
    fn absent_values_are_left_out_of_the_json_record() {
        let lines = w7_sample_line();
        let j = record_json(&lines);
        assert_eq!(j["age"], 40);
        assert!(j.get("limit_gender").is_none() && j.get("gend").is_some());
        let mut out = Vec::new();
        mask_flags(3, 0b10010, &mut out);
        assert_eq!(out, [(3, 1), (3, 4)]);
        assert_eq!(named_flag(3, "tier_limit"), Ok((3, 2)));
    }

    fn w7_sample_line() -> FlatLine {
        crate::bench::w7::plain_line(0)
    }
}
