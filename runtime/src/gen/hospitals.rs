//! The designated institutions of a batch: hospitals of three tiers, with more
//! patients at the bigger ones, and pharmacies (tier 0).

use super::reference;
use super::rng::Weighted;

/// A designated institution.
#[derive(Clone, Debug)]
pub struct Hospital {
    pub code: String,
    pub lv: &'static str,
    pub tier: u8,
}

/// Hospitals and pharmacies of the batch: about one hospital per 5,000 visits
/// (8 to 320), a third as many pharmacies. One in ten hospitals is tier 3, three
/// in ten tier 2, the rest tier 1; bigger hospitals see more patients.
#[derive(Clone, Debug)]
pub struct Hospitals {
    pub hospitals: Vec<Hospital>,
    pub weights: Weighted,
    pub pharmacies: Vec<Hospital>,
}

impl Hospitals {
    pub fn for_visits(visits: u64) -> Hospitals {
        let n = (visits / 5_000).clamp(8, 320) as usize;
        let hospitals: Vec<Hospital> = (0..n)
            .map(|i| {
                let tier = match i % 10 {
                    0 => 3,
                    1..=3 => 2,
                    _ => 1,
                };
                let levels = reference::LEVELS[tier as usize - 1];
                Hospital {
                    code: format!("H3301{:04}", i + 1),
                    lv: levels[(i / 10) % levels.len()],
                    tier,
                }
            })
            .collect();
        let weights = Weighted::new(hospitals.iter().map(|h| match h.tier {
            3 => 12,
            2 => 5,
            _ => 2,
        }));
        let pharmacies = (0..(n / 3).max(2))
            .map(|i| Hospital {
                code: format!("P3301{:04}", i + 1),
                lv: reference::PHARMACY_LEVEL,
                tier: 0,
            })
            .collect();
        Hospitals {
            hospitals,
            weights,
            pharmacies,
        }
    }
}
