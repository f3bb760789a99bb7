//! W2 (performance.md): the pack's settlement with accumulators and DIP over the
//! batch W1 audits, as `heng run --no-audit --settlement FILE --param
//! dip_budget=…` does it (a first pass for DIP's batch total, then the
//! settlement; no audit rule runs), on every thread. Its baseline is W1 on the same batch in the same process. The
//! identities of records.md are checked on every visit settled.

use super::w1::audit_file;
use crate::native::NativeEngine;
use crate::pack;
use crate::settle::{Settler, StartValues};
use rust_decimal::Decimal;
use serde::Serialize;
use std::io::BufRead;
use std::path::Path;

/// The DIP budget W2 settles with (yuan): DIP runs only with one.
pub const DIP_BUDGET: &str = "4000000000";

#[derive(Clone, Debug, Serialize)]
pub struct W2 {
    pub visits: u64,
    /// Visits with a settlement line.
    pub settled: u64,
    pub threads: usize,
    /// The best of `rounds` runs, and their median.
    pub seconds: f64,
    pub rounds: usize,
    pub median_seconds: f64,
    pub visits_per_sec: f64,
    /// W1's time on the same batch and threads (the baseline), and W2 / W1.
    pub audit_seconds: f64,
    pub ratio_to_audit: f64,
    /// The batch totals by name (DIP's: the sum of the case scores).
    pub totals: Vec<(String, String)>,
    /// Settled visits whose money does not add up (records.md's identities).
    pub identities_failed: u64,
}

/// Settles `input` with the pack in `dir` and a DIP budget on `threads` threads,
/// `rounds` times, writing into `out`; `audit_seconds` is W1's time on the same
/// batch.
pub fn w2(
    dir: &Path,
    input: &Path,
    threads: usize,
    rounds: usize,
    out: &Path,
    audit_seconds: f64,
) -> Result<W2, String> {
    let loaded = pack::load(dir, &[("dip_budget".into(), DIP_BUDGET.into())]);
    let pack = &loaded
        .pack
        .as_ref()
        .filter(|_| !loaded.has_errors())
        .ok_or("W2: the pack does not check with a DIP budget")?
        .only(|_| false);
    let engine = NativeEngine::with_settlement(pack);
    let rounds = rounds.max(1);
    let ((summary, settler), seconds, median_seconds) = super::timed_rounds(rounds, || {
        // every round from the start values: a settler's accumulators move
        let settler =
            Settler::new(pack, StartValues::default())?.ok_or("W2: the pack has no settlement")?;
        audit_file(
            pack,
            &loaded.sources,
            &engine,
            input,
            threads,
            out,
            Some(settler),
        )
        .map(|(summary, seconds, settler)| ((summary, settler), seconds))
    })?;
    let (settled, identities_failed) = check_identities(&out.join("settlement.ndjson"))?;
    let totals = settler
        .map(|s| {
            s.totals()
                .into_iter()
                .map(|(name, t)| (name.to_string(), t.to_string()))
                .collect()
        })
        .unwrap_or_default();
    Ok(W2 {
        visits: summary.evaluated,
        settled,
        threads,
        seconds,
        rounds,
        median_seconds,
        visits_per_sec: summary.evaluated as f64 / seconds,
        audit_seconds,
        ratio_to_audit: seconds / audit_seconds,
        totals,
        identities_failed,
    })
}

/// Reads a settlement file: how many visits it settles, and on how many
/// medfee = own-pay + over-limit + first-pay + in-scope, psn_part = medfee −
/// fund, or fund = basic + major does not hold exactly.
fn check_identities(path: &Path) -> Result<(u64, u64), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("W2: {}: {e}", path.display()))?;
    let (mut settled, mut failed) = (0, 0);
    for line in std::io::BufReader::with_capacity(1 << 20, file).lines() {
        let line = line.map_err(|e| format!("W2: {}: {e}", path.display()))?;
        settled += 1;
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        let m = |k: &str| v[k].as_str().and_then(|s| s.parse::<Decimal>().ok());
        let holds = (|| {
            let medfee = m("medfee_sumamt")?;
            let parts = m("fulamt_ownpay_amt")?
                + m("overlmt_selfpay")?
                + m("preselfpay_amt")?
                + m("inscp_scp_amt")?;
            let fund = m("fund_pay_sumamt")?;
            Some(
                medfee == parts
                    && m("psn_part_amt")? == medfee - fund
                    && fund == m("hifp_pay")? + m("hifmi_pay")?,
            )
        })();
        failed += u64::from(holds != Some(true));
    }
    Ok((settled, failed))
}
