//! One patient's month: who they are (gender, birth date, insurance, a special
//! disease or a pregnancy for some), the days of their visits, and each visit
//! checked against the rules' model and written. Everything a patient gets comes
//! from that patient's own random stream, so patients can be generated on any
//! thread in any order and the bytes stay the same.

use super::calendar::Day;
use super::catalogue::Catalogue;
use super::hospitals::Hospitals;
use super::ndjson;
use super::rng::{Rng, Weighted};
use super::rules;
use super::visit::VisitGen;
use super::{orders, pairs};

/// 2026-10-01, the first day of the generated month.
pub const MONTH_START: Day = super::calendar::day(2026, 10, 1);
/// October has 31 days.
pub const MONTH_DAYS: i32 = 31;

/// Visits per patient in the month (1–11, mean 3.4), weights per 100.
const VISITS_PER_PATIENT: [u64; 11] = [22, 22, 18, 12, 9, 6, 4, 3, 2, 1, 1];

/// What is counted while generating.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub patients: u64,
    pub visits: u64,
    /// Fee lines written, refund lines included.
    pub lines: u64,
    /// Per rule (in [`rules::ALL`] order): violations injected on purpose.
    pub injected: [u64; 15],
    /// Per rule: lines the generator's model says fire it, injected or not.
    pub predicted: [u64; 15],
    /// Per counting rule (in [`rules::COUNTING`] order): findings injected on
    /// purpose, and findings the model expects.
    pub counting_injected: [u64; 2],
    pub counting_predicted: [u64; 2],
}

impl Tally {
    pub fn add(&mut self, other: &Tally) {
        self.patients += other.patients;
        self.visits += other.visits;
        self.lines += other.lines;
        for i in 0..15 {
            self.injected[i] += other.injected[i];
            self.predicted[i] += other.predicted[i];
        }
        for i in 0..2 {
            self.counting_injected[i] += other.counting_injected[i];
            self.counting_predicted[i] += other.counting_predicted[i];
        }
    }
}

/// The number of visits patient `index` has, drawn first from its stream.
pub fn visit_count(seed: u64, index: u64) -> u32 {
    let mut rng = Rng::new(seed, index);
    draw_visit_count(&mut rng)
}

fn draw_visit_count(rng: &mut Rng) -> u32 {
    thread_local! {
        static W: Weighted = Weighted::new(VISITS_PER_PATIENT);
    }
    W.with(|w| w.sample(rng) as u32 + 1)
}

/// A patient.
pub struct Patient {
    pub index: u64,
    /// b'1', b'2', b'0' or b'9'.
    pub gend: u8,
    pub brdy: Day,
    pub insutype: &'static str,
    pub psn_type: &'static str,
    pub cont_years: i64,
    pub home: usize,
    pub disease: Option<usize>,
    pub pregnant: bool,
}

/// Generates one patient's visits into `out`, one NDJSON line per visit.
pub fn patient(
    cat: &Catalogue,
    hospitals: &Hospitals,
    seed: u64,
    index: u64,
    visits: u32,
    out: &mut Vec<u8>,
    tally: &mut Tally,
) {
    let mut rng = Rng::new(seed, index);
    let _ = draw_visit_count(&mut rng);
    let p = make_patient(cat, hospitals, &mut rng, index);
    tally.patients += 1;

    // Visit days (0-based within the month), in order, none before birth.
    let first = (p.brdy - MONTH_START).clamp(0, MONTH_DAYS - 1);
    let mut days: Vec<i32> = (0..visits)
        .map(|_| rng.range(i64::from(first), i64::from(MONTH_DAYS - 1)) as i32)
        .collect();
    days.sort_unstable();

    let mut previous: Option<(i32, u32)> = None;
    for (i, &d) in days.iter().enumerate() {
        let next = days.get(i + 1).copied().unwrap_or(MONTH_DAYS - 1);
        let mut g = VisitGen {
            cat,
            rng: &mut rng,
            p: &p,
        };
        let mut v = g.skeleton(hospitals, i as u32 + 1, d, next, previous);
        previous = Some((v.facts.begin - MONTH_START, v.begin_minute));
        g.fill(&mut v);
        let mut predicted = [0u64; 15];
        let mut injected = [0u64; 15];
        for line in &v.lines {
            let bits = rules::fires(cat, &v.facts, line, Some(&v.diags));
            for (k, rule) in rules::ALL.iter().enumerate() {
                if bits & rule.bit() != 0 {
                    predicted[k] += 1;
                }
            }
            if let Some(rule) = line.injected {
                debug_assert!(
                    bits & rule.bit() != 0,
                    "an injected {} must fire: {line:?}",
                    rule.id()
                );
                if bits & rule.bit() != 0 {
                    injected[rule as usize] += 1;
                }
            }
        }
        for k in 0..15 {
            tally.predicted[k] += predicted[k];
            tally.injected[k] += injected[k];
        }
        let counted = [orders::findings(cat, &v), pairs::findings(cat, &v)];
        for (k, &expected) in counted.iter().enumerate() {
            debug_assert!(
                expected >= v.injected[k],
                "{}: {} injected, {expected} expected",
                rules::COUNTING[k].id(),
                v.injected[k],
            );
            tally.counting_injected[k] += v.injected[k];
            tally.counting_predicted[k] += expected;
        }
        tally.visits += 1;
        tally.lines += ndjson::write_visit(out, cat, &p, &v);
    }
}

fn make_patient(cat: &Catalogue, hospitals: &Hospitals, rng: &mut Rng, index: u64) -> Patient {
    let newborn = rng.chance(50);
    let age = if newborn {
        0
    } else {
        match rng.below(100) {
            0..14 => rng.range(1, 17),
            14..70 => rng.range(18, 59),
            _ => rng.range(60, 92),
        }
    };
    let brdy = if newborn {
        MONTH_START - 20 + rng.range(0, 40) as i32
    } else {
        MONTH_START - (age * 365 + rng.range(0, 364)) as i32
    };
    let gend = match rng.below(200) {
        0 => b'0',
        1 => b'9',
        x if x % 2 == 0 => b'1',
        _ => b'2',
    };
    let employee = age >= 18 && rng.chance(5_500);
    let (insutype, psn_type) = match (employee, age >= 60) {
        (true, true) => ("310", "12"),
        (true, false) => ("310", "11"),
        (false, _) => ("390", "15"),
    };
    let cont_years = if employee {
        rng.range(1, (age - 18).clamp(1, 40))
    } else {
        rng.range(0, age.min(20))
    };
    let home = hospitals.weights.sample(rng);
    let disease = (age >= 35 && !cat.diseases.is_empty() && rng.chance(1_200))
        .then(|| rng.below(cat.diseases.len() as u64) as usize);
    let pregnant = gend == b'2' && (20..=40).contains(&age) && rng.chance(800);
    Patient {
        index,
        gend,
        brdy,
        insutype,
        psn_type,
        cont_years,
        home,
        disease,
        pregnant,
    }
}
