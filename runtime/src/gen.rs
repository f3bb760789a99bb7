//! `heng gen`: a deterministic synthetic batch of claims (spec/performance.md,
//! "Data") in the input format of records.md, with violations of the standard
//! pack's 15 line rules and of two counting rules (requires_item,
//! billing_vs_orders) injected at known rates.
//!
//! # Shape
//! - October 2026. Patients (`P00000001`, …) have 1–11 visits in the month (mean
//!   3.4), in time order; the output is grouped by patient, each patient's visits
//!   by begntime, each visit's lines by fee_ocur_time (refund lines last).
//! - About 85% outpatient (med_type 11, 13 急诊, 51 生育门诊), special-disease (14,
//!   15, patients with a special_diseases disease) and pharmacy (41) visits with
//!   2–8 fee lines (mean 4.1); about 15% inpatient stays (21, 22, 24, 28, 52)
//!   with 20–200 lines (mean about 25, a long tail: a bed and a nursing line per
//!   night, tests, drugs, materials, sometimes discharge medication), so about
//!   7.3 lines per visit: 1.6 million visits make about 11.6 million lines.
//! - Patients: 0.5% newborns, 14% children, 56% adults, 30% over 60; genders
//!   1 and 2 alike, 1% 0 or 9; 310 职工 or 390 居民, 510 for maternity visits of
//!   employees.
//! - Items come from the pack's tables (`catalogue`), drawn with Zipf weights
//!   (rank k has weight 1/k) so a few codes are very common; items without
//!   restrictions, cheap ones and ones with their own names rank first. An
//!   outpatient visit does not repeat an item, and background lines keep within
//!   an item's item_limits `freq` inside a visit (the counting rules are not
//!   modelled beyond that, but for the two below). Diagnoses (医保版 ICD-10), departments and
//!   hospitals come from `reference`. Prices are in fen, within the price cap:
//!   det_item_fee_sumamt = cnt × pric exactly, with 2 decimals.
//! - 0.5% of background lines with cnt ≥ 2 have one unit refunded by a later
//!   line (init_feedetl_sn).
//! - Doctor's orders (`orders`) for every inpatient stay with a drug line and
//!   for 10% of the outpatient and special-disease visits with one: each drug
//!   line's drord_no names an order with its code and the quantity of its lines
//!   before refunds; in a stay one order per drug, long-term when billed on
//!   several days, and one per discharge-medication drug (drord_bhvr 1).
//! - item_pairs `requires` rows: their A items are billed only beside B (15%
//!   of stays bill a pair, B and A at the same time) or on purpose alone; a B
//!   that is a second-line item (second_line is not modelled) is never billed
//!   as a pair.
//!
//! # Violations
//! Background lines are drawn until the generator's model of the rules
//! (`rules::fires`) says they fire nothing. Violations are injected at these
//! rates (an attempt that finds no suitable item leaves a clean line, so the
//! manifest's counts are what was really injected):
//!
//! | rule | rate |
//! |---|---|
//! | over_price | 0.50% of ordinary fee lines |
//! | gender_limit, indication_limit, max_days | 0.40% of ordinary fee lines each |
//! | age_limit, dept_limit, excluded_item, tier_limit, visit_limit | 0.30% each |
//! | expensive_material, insurance_limit, newborn_limit | 0.20% each |
//! | discharge_overdose | 5% of discharge-medication lines |
//! | billing_outside_stay | 3% of inpatient stays (one line moved outside the stay) |
//! | special_disease_scope | 3% of drug and material lines of special-disease visits |
//! | requires_item | 3% of inpatient stays (an A item alone, in a stay without its B) |
//! | billing_vs_orders | 0.5% of drug lines of visits with orders (no order); 1% of orders billed at least 2 units (ordered fewer) |
//!
//! "Ordinary" lines are all lines but discharge medication (a drug or material
//! line of a special-disease visit not chosen for special_disease_scope is
//! ordinary too). Some attempts cannot succeed (gender_limit for gender 0 or 9,
//! tier_limit at a tier-3 hospital, newborn_limit for a newborn, dept_limit in a
//! pharmacy), so the realised rates are a little lower.
//!
//! # Determinism
//! The generator's own PRNG (`rng`), one stream per patient, integer arithmetic
//! only: the same pack, visit count and seed give the same bytes on any machine
//! and with any number of threads.
//!
//! Besides the batch, [`generate`] returns a [`Manifest`]: the seed, the counts
//! of visits, lines and patients, and per rule the violations injected and the
//! lines the model expects to fire (injected ones plus accidental ones); for
//! requires_item and billing_vs_orders, findings rather than lines (one per
//! visit and pair row; one per visit with drug lines without an order, and one
//! per order billed over). The other counting and visit rules are not modelled:
//! they fire by accident.

mod calendar;
mod catalogue;
mod codes;
mod hospitals;
mod inject;
mod lines;
mod ndjson;
mod orders;
mod pairs;
mod patient;
mod reference;
mod rng;
mod rules;
mod tables;
mod visit;

use crate::pack::Pack;
use catalogue::Catalogue;
use hospitals::Hospitals;
use patient::Tally;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

/// What to generate.
#[derive(Clone, Debug)]
pub struct Options {
    pub visits: u64,
    pub seed: u64,
    /// Worker threads (at least 1); the output does not depend on it.
    pub threads: usize,
}

/// What was generated.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Manifest {
    pub seed: u64,
    pub month: String,
    pub visits: u64,
    /// Fee lines written, refund lines included (`heng run` counts lines after
    /// refunds are applied, so it reports a few fewer).
    pub fee_lines: u64,
    pub patients: u64,
    /// Per rule id: the 15 line rules, requires_item and billing_vs_orders.
    pub rules: BTreeMap<&'static str, RuleCount>,
}

/// Violations of one rule: fee lines for a line rule; findings for
/// requires_item (visits and pair rows) and billing_vs_orders (visits with drug
/// lines without an order, and orders billed over).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RuleCount {
    /// Lines (or findings) made to break the rule on purpose; each fires it.
    pub injected: u64,
    /// Lines (or findings) the generator's model of the rule expects, injected
    /// or not.
    pub expected: u64,
    /// The injection rate.
    pub rate: String,
}

/// Patients generated per unit of work.
const BLOCK_PATIENTS: u64 = 256;
/// Blocks generated ahead of the one being written, per thread.
const AHEAD_PER_THREAD: usize = 4;

/// The patients of one block: first patient index and visit counts.
struct Block {
    first: u64,
    visits: Vec<u32>,
}

/// Splits the visits into patients (the last one cut short to make exactly
/// `visits`) and the patients into blocks.
fn plan(seed: u64, visits: u64) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut left = visits;
    let mut index = 0u64;
    while left > 0 {
        let mut block = Block {
            first: index,
            visits: Vec::with_capacity(BLOCK_PATIENTS as usize),
        };
        while left > 0 && (block.visits.len() as u64) < BLOCK_PATIENTS {
            let n = u64::from(patient::visit_count(seed, index)).min(left);
            block.visits.push(n as u32);
            left -= n;
            index += 1;
        }
        blocks.push(block);
    }
    blocks
}

/// Writes `opts.visits` visits generated from the pack's tables to `out`.
/// `progress` is called with the number of visits written so far.
pub fn generate(
    pack: &Pack,
    opts: &Options,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> Result<Manifest, GenError> {
    let cat = Catalogue::from_pack(pack).map_err(GenError::Pack)?;
    let hospitals = Hospitals::for_visits(opts.visits);
    let blocks = plan(opts.seed, opts.visits);
    let threads = opts.threads.max(1).min(blocks.len().max(1));
    let window = threads * AHEAD_PER_THREAD;

    let run_block = |b: &Block| -> (Vec<u8>, Tally) {
        let mut buf = Vec::with_capacity(b.visits.len() * 3_000);
        let mut tally = Tally::default();
        for (k, &n) in b.visits.iter().enumerate() {
            patient::patient(
                &cat,
                &hospitals,
                opts.seed,
                b.first + k as u64,
                n,
                &mut buf,
                &mut tally,
            );
        }
        (buf, tally)
    };

    let mut total = Tally::default();
    if threads == 1 {
        for b in &blocks {
            let (buf, tally) = run_block(b);
            out.write_all(&buf).map_err(GenError::Write)?;
            total.add(&tally);
            progress(total.visits);
        }
    } else {
        // Workers take blocks in order, at most `window` ahead of the writer;
        // the writer puts them back in order.
        let next = AtomicUsize::new(0);
        let written = (Mutex::new(0usize), Condvar::new());
        let failed = std::sync::atomic::AtomicBool::new(false);
        let (tx, rx) = mpsc::channel::<(usize, Vec<u8>, Tally)>();
        let result = std::thread::scope(|s| -> Result<(), GenError> {
            for _ in 0..threads {
                let tx = tx.clone();
                let (next, written, failed, blocks, run_block) =
                    (&next, &written, &failed, &blocks, &run_block);
                s.spawn(move || {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= blocks.len() || failed.load(Ordering::Relaxed) {
                            break;
                        }
                        {
                            let (lock, cv) = written;
                            let mut done = lock.lock().unwrap_or_else(|e| e.into_inner());
                            while i >= *done + window && !failed.load(Ordering::Relaxed) {
                                done = cv.wait(done).unwrap_or_else(|e| e.into_inner());
                            }
                        }
                        let (buf, tally) = run_block(&blocks[i]);
                        if tx.send((i, buf, tally)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            let mut pending = std::collections::BTreeMap::new();
            let mut expect = 0usize;
            let stop = |failed: &std::sync::atomic::AtomicBool| {
                failed.store(true, Ordering::Relaxed);
                written.1.notify_all();
            };
            for (i, buf, tally) in rx.iter() {
                pending.insert(i, (buf, tally));
                while let Some((buf, tally)) = pending.remove(&expect) {
                    if let Err(e) = out.write_all(&buf) {
                        stop(&failed);
                        return Err(GenError::Write(e));
                    }
                    total.add(&tally);
                    progress(total.visits);
                    expect += 1;
                    let (lock, cv) = &written;
                    *lock.lock().unwrap_or_else(|e| e.into_inner()) = expect;
                    cv.notify_all();
                }
            }
            Ok(())
        });
        result?;
    }
    out.flush().map_err(GenError::Write)?;

    Ok(Manifest {
        seed: opts.seed,
        month: "2026-10".into(),
        visits: total.visits,
        fee_lines: total.lines,
        patients: total.patients,
        rules: rules::ALL
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let count = RuleCount {
                    injected: total.injected[k],
                    expected: total.predicted[k],
                    rate: r.rate(),
                };
                (r.id(), count)
            })
            .chain(rules::COUNTING.iter().enumerate().map(|(k, r)| {
                let count = RuleCount {
                    injected: total.counting_injected[k],
                    expected: total.counting_predicted[k],
                    rate: r.rate(),
                };
                (r.id(), count)
            }))
            .collect(),
    })
}

/// Why generation stopped.
#[derive(Debug)]
pub enum GenError {
    /// The pack's tables cannot supply a catalogue.
    Pack(String),
    /// Writing the output failed.
    Write(io::Error),
}

impl std::fmt::Display for GenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GenError::Pack(m) => f.write_str(m),
            GenError::Write(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for GenError {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::collections::HashMap;

    fn standard_pack() -> Pack {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        crate::pack::load(&root.join("stdlib-rules"), &[])
            .pack
            .unwrap()
    }

    #[test]
    fn requires_pairs_are_items_and_their_a_items_are_drawn_only_as_pairs() {
        let cat = Catalogue::from_pack(&standard_pack()).unwrap();
        assert_eq!(cat.pairs.len(), 6, "the requires rows of item_pairs.csv");
        for (k, p) in cat.pairs.iter().enumerate() {
            let (a, b) = (p.a.unwrap(), p.b.unwrap());
            assert!(cat.item(a).pair_a.contains(&(k as u16)));
            assert!(cat.item(b).pair_b.contains(&(k as u16)));
            assert!(!p.same_day, "every standard requires row has window visit");
        }
        let c = &cat.candidates;
        let lists: [&[u32]; 18] = [
            &cat.outpatient.items,
            &cat.pharmacy.items,
            &cat.inpatient.items,
            &cat.drugs.items,
            &cat.tests.items,
            &c.age,
            &c.men_only,
            &c.women_only,
            &c.newborn,
            &c.min_tier,
            &c.outpatient_only,
            &c.inpatient_only,
            &c.maternity,
            &c.indication,
            &c.dept,
            &c.excluded,
            &c.capped,
            &c.materials,
        ];
        for list in lists.iter().chain([&c.drugs[..], &c.max_days[..]].iter()) {
            assert!(list.iter().all(|&i| cat.item(i).pair_a.is_empty()));
        }
        assert_eq!(cat.injectable_pairs.len(), 6);
        // the insulin pen needle's B is a second-line drug: never a background pair
        assert_eq!(cat.background_pairs.len(), 5);
    }

    /// Orders as written: each drug line of a visit with orders names one with
    /// its own code; an order's cnt is its lines' quantity before refunds unless
    /// it was made short on purpose; the findings add up to the manifest's.
    #[test]
    fn orders_cover_their_lines_and_the_manifest_counts_what_was_made_wrong() {
        let pack = standard_pack();
        let opts = Options {
            visits: 3_000,
            seed: 5,
            threads: 1,
        };
        let mut out = Vec::new();
        let m = generate(&pack, &opts, &mut out, &mut |_| {}).unwrap();
        let (mut unmatched_visits, mut short, mut stays_with_orders) = (0, 0, 0);
        for text in String::from_utf8(out).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(text).unwrap();
            let Some(orders) = v["orders"].as_array() else {
                continue;
            };
            assert!(!orders.is_empty());
            stays_with_orders += usize::from(v["endtime"].is_string());
            let by_rx: HashMap<&str, &serde_json::Value> = orders
                .iter()
                .map(|o| (o["rx_id"].as_str().unwrap(), o))
                .collect();
            assert_eq!(by_rx.len(), orders.len(), "rx_id unique in the visit");
            let int = |x: &serde_json::Value| x.as_str().unwrap().parse::<i64>().unwrap();
            let mut gross: HashMap<&str, i64> = HashMap::new();
            let mut net: HashMap<&str, i64> = HashMap::new();
            let mut unmatched = false;
            for l in v["feedetail"].as_array().unwrap() {
                let order = l["drord_no"]
                    .as_str()
                    .and_then(|n| by_rx.get(n).map(|o| (n, o)));
                match order {
                    Some((n, o)) => {
                        assert_eq!(o["hilist_code"], l["med_list_codg"]);
                        *net.entry(n).or_default() += int(&l["cnt"]);
                        if l["init_feedetl_sn"].is_null() {
                            *gross.entry(n).or_default() += int(&l["cnt"]);
                        }
                    }
                    None => unmatched |= l["list_type"] == "101",
                }
            }
            unmatched_visits += usize::from(unmatched);
            for (rx, o) in &by_rx {
                let ordered = int(&o["cnt"]);
                if ordered != gross[rx] {
                    assert!(net[rx] > ordered, "short only on purpose: {o}");
                    short += 1;
                }
                let long = o["drord_begn_date"] != o["drord_stop_date"];
                assert_eq!(o["long_drord_flag"] == "1", long, "{o}");
            }
        }
        assert!(stays_with_orders > 100, "{stays_with_orders}");
        let counted = &m.rules["billing_vs_orders"];
        assert!(unmatched_visits > 0 && short > 0);
        assert_eq!((unmatched_visits + short) as u64, counted.expected);
        assert_eq!(counted.injected, counted.expected);
    }

    #[test]
    fn the_plan_makes_exactly_the_visits_asked_for() {
        for n in [0, 1, 7, 1_000, 3_001] {
            let blocks = plan(9, n);
            let sum: u64 = blocks
                .iter()
                .flat_map(|b| b.visits.iter())
                .map(|&v| u64::from(v))
                .sum();
            assert_eq!(sum, n);
            assert!(blocks.iter().all(|b| b.visits.iter().all(|&v| v > 0)));
        }
    }
}
