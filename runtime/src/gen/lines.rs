//! A visit's fee lines: how many, on which days and at what times, drawn from
//! the catalogue pools and kept clean (the rules' model says they fire nothing),
//! with the fields a careful hospital fills in. Which lines break a rule on
//! purpose is decided in `inject`.

use super::calendar::Day;
use super::catalogue::{Class, Kind, Pool, starts_any};
use super::patient::{MONTH_DAYS, MONTH_START};
use super::reference::{self, DEPARTMENTS};
use super::rng::{Rng, Weighted};
use super::rules::{self, Diag, Line, OUTSIDE_STAY_RATE, PAIR_RATE, REQUIRES_RATE, Rule};
use super::visit::{Visit, VisitGen};
use std::borrow::Cow;

/// Fee lines of an outpatient, special-disease or pharmacy visit, 2–8 (mean 4.1).
const OUTPATIENT_LINES: [u64; 7] = [20, 25, 20, 14, 10, 6, 5];

impl<'c> VisitGen<'_, 'c> {
    /// Draws the visit's fee lines.
    pub fn fill(&mut self, v: &mut Visit<'c>) {
        let cat = self.cat;
        let mut forbidden: Vec<&'c str> = Vec::new();
        let class = v.facts.class;
        match class {
            Class::Inpatient => self.fill_stay(v, &mut forbidden),
            _ => {
                thread_local! {
                    static W: Weighted = Weighted::new(OUTPATIENT_LINES);
                }
                let n = W.with(|w| w.sample(self.rng)) + 2;
                let begin = v.facts.begin;
                let mut minute = v.begin_minute;
                for _ in 0..n {
                    minute = (minute + self.rng.range(1, 12) as u32).min(1_439);
                    let slot = Slot {
                        day: begin,
                        minute,
                        discharge: false,
                    };
                    let line = match (class, v.facts.disease) {
                        (Class::SpecialOutpatient, Some(dz)) if self.rng.chance(6_500) => {
                            self.special_drug_line(v, dz, slot, &mut forbidden)
                        }
                        (Class::SpecialOutpatient, _) => {
                            self.ordinary_line(v, &cat.tests, slot, &mut forbidden)
                        }
                        (Class::Pharmacy, _) => {
                            self.ordinary_line(v, &cat.pharmacy, slot, &mut forbidden)
                        }
                        _ => self.ordinary_line(v, &cat.outpatient, slot, &mut forbidden),
                    };
                    v.lines.push(line);
                }
            }
        }
        // A few partial refunds of background lines (one unit reversed).
        for line in &mut v.lines {
            if line.injected.is_none() && line.cnt >= 2 && self.rng.chance(50) {
                line.refund = true;
            }
        }
        v.lines.sort_by_key(|l| (l.day, l.minute));
        self.orders(v);
    }

    /// An inpatient stay: a bed and nursing line per night, other lines spread
    /// over the stay, sometimes a requires pair (or an A item alone), and
    /// sometimes discharge medication.
    fn fill_stay(&mut self, v: &mut Visit<'c>, forbidden: &mut Vec<&'c str>) {
        let cat = self.cat;
        let begin = v.facts.begin;
        let end = v.facts.end.unwrap_or(begin);
        let total = 20 + lomax_extra(self.rng, 6, 180);
        let nights = (end - begin).max(1);
        let daily_pools: Vec<&Pool> = [&cat.bed, &cat.nursing]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect();
        let daily = (nights as usize * daily_pools.len()).min(total / 2);
        let discharge = if end > begin && self.rng.chance(4_000) {
            self.rng.range(1, 3) as usize
        } else {
            0
        };
        let pair = !cat.background_pairs.is_empty() && self.rng.chance(PAIR_RATE);
        let alone = !cat.injectable_pairs.is_empty() && self.rng.chance(REQUIRES_RATE);
        let others =
            total.saturating_sub(daily + discharge + 2 * usize::from(pair) + usize::from(alone));
        let (begin_minute, end_minute) = (v.begin_minute, v.end_minute);
        let within = |rng: &mut Rng, day: Day| -> u32 {
            let lo = if day == begin { begin_minute } else { 420 };
            let hi = if day == end { end_minute } else { 1_260 };
            rng.range(i64::from(lo), i64::from(hi.max(lo))) as u32
        };
        for k in 0..daily {
            let day = begin + (k / daily_pools.len()) as i32;
            let slot = Slot {
                day,
                minute: within(self.rng, day),
                discharge: false,
            };
            let line = self.ordinary_line(v, daily_pools[k % daily_pools.len()], slot, forbidden);
            v.lines.push(line);
        }
        for _ in 0..others {
            let day = begin + self.rng.range(0, i64::from(end - begin)) as i32;
            let slot = Slot {
                day,
                minute: within(self.rng, day),
                discharge: false,
            };
            let line = self.ordinary_line(v, &cat.inpatient, slot, forbidden);
            v.lines.push(line);
        }
        for _ in 0..discharge {
            let slot = Slot {
                day: end,
                minute: within(self.rng, end),
                discharge: true,
            };
            let line = self.discharge_line(v, slot, forbidden);
            v.lines.push(line);
        }
        // A requires pair, then (not to be followed by a B) an A alone.
        for (wanted, both) in [(pair, true), (alone, false)] {
            if !wanted {
                continue;
            }
            let day = begin + self.rng.range(0, i64::from(end - begin)) as i32;
            let slot = Slot {
                day,
                minute: within(self.rng, day),
                discharge: false,
            };
            if both {
                self.pair_lines(v, slot, forbidden);
            } else {
                self.requires_alone(v, slot, forbidden);
            }
        }
        // billing_outside_stay: move one background line out of the stay.
        if v.facts.end.is_some() && self.rng.chance(OUTSIDE_STAY_RATE) {
            let outside = if end < MONTH_START + MONTH_DAYS - 1 {
                end + 1
            } else {
                begin - 1
            };
            // pair lines stay on their day (a window may be the day)
            let paired = |l: &Line| {
                let it = cat.item(l.item);
                !it.pair_a.is_empty() || !it.pair_b.is_empty()
            };
            let clean: Vec<usize> = (0..v.lines.len())
                .filter(|&i| {
                    let l = &v.lines[i];
                    l.injected.is_none() && !l.discharge && !paired(l)
                })
                .collect();
            if !clean.is_empty() {
                let i = *self.rng.pick(&clean);
                let mut moved = v.lines[i];
                moved.day = outside;
                moved.minute = self.rng.range(480, 1_200) as u32;
                moved.injected = Some(Rule::BillingOutsideStay);
                if rules::fires(cat, &v.facts, &moved, None) == Rule::BillingOutsideStay.bit() {
                    v.lines[i] = moved;
                }
            }
        }
    }

    /// A background line from `pool` that fires no rule, redrawn up to 12 times;
    /// after that the last draft is kept (an accidental finding).
    pub(super) fn clean_line(
        &mut self,
        v: &mut Visit<'c>,
        pool: &Pool,
        slot: Slot,
        forbidden: &mut Vec<&'c str>,
    ) -> Line {
        let cat = self.cat;
        let mut last = None;
        let mut repeated = None;
        for _ in 0..12 {
            let Some(item) = pool.draw(self.rng) else {
                break;
            };
            let Some((line, extra)) = self.draft(v, item, slot, forbidden, false) else {
                continue;
            };
            if rules::fires(cat, &v.facts, &line, None) != 0 {
                last = Some(line);
                continue;
            }
            if repeats(v, &line, cat.item(item).limit.as_ref().and_then(|l| l.freq)) {
                repeated = repeated.or(Some((line, extra)));
                continue;
            }
            if let Some(d) = extra {
                v.diags.push(d);
            }
            return line;
        }
        if let Some((line, extra)) = repeated {
            if let Some(d) = extra {
                v.diags.push(d);
            }
            return line;
        }
        last.unwrap_or(Line {
            item: pool.items.first().copied().unwrap_or(0),
            day: slot.day,
            minute: slot.minute,
            cnt: 1,
            pric: cat.item(pool.items.first().copied().unwrap_or(0)).price
                [usize::from(v.facts.tier.min(3))],
            lv: "01",
            dept: v.dept,
            discharge: slot.discharge,
            prd_days: None,
            approved: false,
            injected: None,
            refund: false,
            drord: 0,
        })
    }

    /// A line of `item` at `slot` with the fields a careful hospital would fill:
    /// a price within the cap, 丙类 for excluded items, an allowed billing
    /// department, days of supply within the limit, and a diagnosis for a
    /// restricted indication (returned, to add when the line is kept). `None`
    /// when no diagnosis can show the indication without matching a prefix an
    /// injected indication_limit line of the visit must not match.
    pub(super) fn draft(
        &mut self,
        v: &Visit<'c>,
        item: u32,
        slot: Slot,
        forbidden: &[&'c str],
        skip_indication: bool,
    ) -> Option<(Line, Option<Diag<'c>>)> {
        let cat = self.cat;
        let it = cat.item(item);
        let rng = &mut *self.rng;
        let f = &v.facts;
        let tier = usize::from(f.tier.min(3));
        let limit = it.limit.as_ref();
        let mut extra = None;
        let mut approved = false;
        if !skip_indication && let Some(ind) = limit.and_then(|l| l.indication.as_ref()) {
            if !v.diags.iter().any(|d| starts_any(&d.code, ind)) {
                let start = rng.below(ind.len() as u64) as usize;
                let found = (0..ind.len())
                    .map(|k| &ind[(start + k) % ind.len()])
                    .filter(|p| !p.is_empty())
                    .map(|p| reference::diagnosis_for_prefix(p))
                    .find(|(code, _)| {
                        !forbidden
                            .iter()
                            .any(|x| !x.is_empty() && code.starts_with(x))
                    })?;
                extra = Some(Diag {
                    code: Cow::Owned(found.0),
                    name: found.1,
                });
            }
            approved = rng.chance(5_000);
        } else if skip_indication {
            approved = rng.chance(2_000);
        }
        let dept = match limit.and_then(|l| l.dept.as_ref()) {
            Some(d) if !starts_any(v.dept, d) => {
                if f.class == Class::Pharmacy {
                    return None;
                }
                d.iter()
                    .map(|x| &**x)
                    .find(|x| !x.is_empty())
                    .and_then(|x| DEPARTMENTS.iter().copied().find(|dep| dep.starts_with(x)))
                    .unwrap_or(v.dept)
            }
            _ => v.dept,
        };
        let cnt = match it.kind {
            Kind::Drug if it.per_unit => *rng.pick(&[10, 12, 14, 20, 24, 28, 30, 42, 60]),
            Kind::Drug => rng.range(1, 3),
            Kind::Material => rng.range(1, 4),
            Kind::Service => match it.chrgitm_type {
                "05" if rng.chance(3_000) => rng.range(2, 3),
                _ => 1,
            },
        };
        let prd_days = it.is_drug().then(|| {
            let days = match f.class {
                _ if slot.discharge => rng.range(3, cat.params.discharge_max_days.max(3)),
                Class::Inpatient => 1,
                Class::Pharmacy | Class::SpecialOutpatient => rng.range(7, 30),
                Class::Outpatient => rng.range(3, 14),
            };
            let days = match limit.and_then(|l| l.max_days) {
                Some(max) => days.min(max.max(1)),
                None => days,
            };
            if slot.discharge {
                days.min(cat.params.discharge_max_days.max(1))
            } else {
                days
            }
        });
        let line = Line {
            item,
            day: slot.day,
            minute: slot.minute,
            cnt,
            pric: it.price[tier],
            lv: it.lv,
            dept,
            discharge: slot.discharge,
            prd_days,
            approved,
            injected: None,
            refund: false,
            drord: 0,
        };
        Some((line, extra))
    }
}

/// Whether a background line would repeat an item of an outpatient visit, or
/// take an item past its `freq` (per day, else per visit) within the visit.
pub(super) fn repeats(v: &Visit, line: &Line, freq: Option<(i64, bool)>) -> bool {
    if v.facts.class != Class::Inpatient && v.lines.iter().any(|l| l.item == line.item) {
        return true;
    }
    freq.is_some_and(|(max, per_day)| {
        let before: i64 = v
            .lines
            .iter()
            .filter(|l| l.item == line.item && (!per_day || l.day == line.day))
            .map(|l| l.cnt)
            .sum();
        before + line.cnt > max
    })
}

/// Where and when a line goes.
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    pub day: Day,
    pub minute: u32,
    pub discharge: bool,
}

/// A heavy-tailed count: `scale` × (1/√u − 1) for u uniform in (0, 1], at most
/// `max` (a Lomax distribution with shape 2: mean `scale`, rare long stays), in
/// integer arithmetic only.
fn lomax_extra(rng: &mut Rng, scale: u64, max: u64) -> usize {
    let u = rng.below(1 << 32) + 1;
    let s = ((1u64 << 48) / u).isqrt(); // 2⁸ / √(u / 2³²)
    (scale * (s - 256) / 256).min(max) as usize
}
