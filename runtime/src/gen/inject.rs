//! Injected violations: a line made to break one standard rule, from an item
//! that carries the restriction (or a field set past its limit), with every
//! other restriction met where the catalogue allows, and kept only if the
//! rules' model says it fires that rule.

use super::calendar::years_between;
use super::catalogue::{Class, Disease, Pool, starts_any};
use super::lines::Slot;
use super::reference::DEPARTMENTS;
use super::rng::Rng;
use super::rules::{self, DISCHARGE_RATE, LINE_RATES, Line, Rule, SCOPE_RATE};
use super::visit::{Visit, VisitGen};

impl<'c> VisitGen<'_, 'c> {
    /// A line that may carry one of the ordinary injected violations.
    pub(super) fn ordinary_line(
        &mut self,
        v: &mut Visit<'c>,
        pool: &Pool,
        slot: Slot,
        forbidden: &mut Vec<&'c str>,
    ) -> Line {
        let r = self.rng.below(10_000) as u32;
        let mut acc = 0;
        for (rule, rate) in LINE_RATES {
            acc += rate;
            if r < acc {
                if let Some(line) = self.inject(v, rule, slot, forbidden) {
                    return line;
                }
                break;
            }
        }
        self.clean_line(v, pool, slot, forbidden)
    }

    /// A drug or material line of a special-disease visit: sometimes one its
    /// disease does not allow (special_disease_scope), else a background line.
    pub(super) fn special_drug_line(
        &mut self,
        v: &mut Visit<'c>,
        dz: &'c Disease,
        slot: Slot,
        forbidden: &mut Vec<&'c str>,
    ) -> Line {
        let cat = self.cat;
        if let Some(allowed) = &dz.allowed
            && !cat.candidates.drugs.is_empty()
            && self.rng.chance(SCOPE_RATE)
        {
            let drugs = &cat.candidates.drugs;
            let line = self.inject_with(v, Rule::SpecialDiseaseScope, slot, forbidden, |rng, _| {
                let item = *rng.pick(drugs);
                (!starts_any(&cat.item(item).code, allowed)).then_some((item, Tweak::Keep))
            });
            if let Some(line) = line {
                return line;
            }
        }
        if dz.drugs.is_empty() {
            self.ordinary_line(v, &cat.tests, slot, forbidden)
        } else {
            self.ordinary_line(v, &dz.drugs, slot, forbidden)
        }
    }

    /// A discharge-medication line: sometimes for more days than allowed
    /// (discharge_overdose), else a background line.
    pub(super) fn discharge_line(
        &mut self,
        v: &mut Visit<'c>,
        slot: Slot,
        forbidden: &mut Vec<&'c str>,
    ) -> Line {
        let cat = self.cat;
        if !cat.candidates.drugs.is_empty() && self.rng.chance(DISCHARGE_RATE) {
            let max = cat.params.discharge_max_days;
            let drugs = &cat.candidates.drugs;
            let line = self.inject_with(v, Rule::DischargeOverdose, slot, forbidden, |rng, _| {
                let item = *rng.pick(drugs);
                Some((item, Tweak::PrdDays(max + rng.range(1, 23))))
            });
            if let Some(line) = line {
                return line;
            }
        }
        self.clean_line(v, &cat.drugs, slot, forbidden)
    }

    /// A line that breaks `rule`, if the catalogue has an item that can.
    fn inject(
        &mut self,
        v: &mut Visit<'c>,
        rule: Rule,
        slot: Slot,
        forbidden: &mut Vec<&'c str>,
    ) -> Option<Line> {
        let cat = self.cat;
        let c = &cat.candidates;
        let f = v.facts;
        let tier = usize::from(f.tier.min(3));
        let age = years_between(f.brdy, slot.day);
        let age_days = i64::from(slot.day - f.brdy);
        let lists: &[&Vec<u32>] = match rule {
            Rule::AgeLimit => &[&c.age],
            Rule::GenderLimit => match f.gend {
                b'1' => &[&c.women_only],
                b'2' => &[&c.men_only],
                _ => return None,
            },
            Rule::NewbornLimit if age_days > cat.params.newborn_max_days => &[&c.newborn],
            Rule::TierLimit => &[&c.min_tier],
            Rule::VisitLimit if f.class == Class::Inpatient => &[&c.outpatient_only],
            Rule::VisitLimit => &[&c.inpatient_only],
            Rule::InsuranceLimit => &[&c.work_injury, &c.maternity],
            Rule::IndicationLimit => &[&c.indication],
            Rule::MaxDays => &[&c.max_days],
            Rule::DeptLimit => &[&c.dept],
            Rule::ExcludedItem => &[&c.excluded],
            Rule::OverPrice => &[&c.capped],
            Rule::ExpensiveMaterial => &[&c.materials],
            _ => return None,
        };
        let total: usize = lists.iter().map(|l| l.len()).sum();
        if total == 0 {
            return None;
        }
        let price_limit = cat.params.expensive_material_price;
        self.inject_with(v, rule, slot, forbidden, |rng, v| {
            let mut k = rng.below(total as u64) as usize;
            let list = lists.iter().find(|l| {
                let here = k < l.len();
                if !here {
                    k -= l.len();
                }
                here
            })?;
            let item = list[k];
            let it = cat.item(item);
            let limit = it.limit.as_ref();
            let over = rng.range(1, 40);
            // What puts the line past the limit; `None` when this item cannot.
            match rule {
                Rule::AgeLimit => limit
                    .is_some_and(|l| {
                        l.age_min.is_some_and(|lo| age < lo) || l.age_max.is_some_and(|hi| age > hi)
                    })
                    .then_some(Tweak::Keep),
                Rule::TierLimit => limit
                    .and_then(|l| l.min_tier)
                    .is_some_and(|t| i64::from(f.tier) < t)
                    .then_some(Tweak::Keep),
                Rule::IndicationLimit => limit
                    .and_then(|l| l.indication.as_ref())
                    .is_some_and(|ind| !v.diags.iter().any(|d| starts_any(&d.code, ind)))
                    .then_some(Tweak::Keep),
                Rule::MaxDays => {
                    let max = limit.and_then(|l| l.max_days)?;
                    Some(Tweak::PrdDays(max + over.min(max.max(3))))
                }
                Rule::DeptLimit => {
                    let depts = limit.and_then(|l| l.dept.as_ref())?;
                    let outside = std::iter::once(v.dept)
                        .chain(DEPARTMENTS.iter().copied())
                        .find(|d| !d.is_empty() && !starts_any(d, depts))?;
                    Some(Tweak::Dept(outside))
                }
                Rule::ExcludedItem => Some(Tweak::Lv(if it.is_drug() { "02" } else { "01" })),
                Rule::OverPrice => {
                    let cap = it.cap[tier]?;
                    Some(Tweak::Pric(cap + (cap * over / 100).max(1)))
                }
                Rule::ExpensiveMaterial => Some(Tweak::Pric(
                    price_limit + 1 + (price_limit * over / 10) % 400_000,
                )),
                _ => Some(Tweak::Keep),
            }
            .map(|tweak| (item, tweak))
        })
    }

    /// Up to 8 tries: `next` picks an item and what puts its line past the limit
    /// (`None`: that item cannot break `rule` here). The line is drafted with
    /// every other restriction met, tweaked, and kept if the model says it fires
    /// `rule`: the first that fires nothing else, else the first that fires it.
    /// indication_limit is judged once the visit's diagnoses are final, so its
    /// line must fire nothing else now, and its prefixes are kept out of the
    /// diagnoses added later.
    fn inject_with(
        &mut self,
        v: &mut Visit<'c>,
        rule: Rule,
        slot: Slot,
        forbidden: &mut Vec<&'c str>,
        mut next: impl FnMut(&mut Rng, &Visit<'c>) -> Option<(u32, Tweak)>,
    ) -> Option<Line> {
        let cat = self.cat;
        let indication = rule == Rule::IndicationLimit;
        let mut fallback = None;
        for _ in 0..8 {
            let Some((item, tweak)) = next(self.rng, v) else {
                continue;
            };
            let Some((mut line, extra)) = self.draft(v, item, slot, forbidden, indication) else {
                continue;
            };
            tweak.apply(&mut line);
            line.injected = Some(rule);
            let bits = rules::fires(cat, &v.facts, &line, None);
            if bits & !rule.bit() == 0 && (indication || bits != 0) {
                fallback = Some((line, extra));
                break;
            }
            if !indication && bits & rule.bit() != 0 && fallback.is_none() {
                fallback = Some((line, extra));
            }
        }
        let (line, extra) = fallback?;
        if indication
            && let Some(ind) = cat
                .item(line.item)
                .limit
                .as_ref()
                .and_then(|l| l.indication.as_ref())
        {
            forbidden.extend(ind.iter().map(|s| &**s));
        }
        if let Some(d) = extra {
            v.diags.push(d);
        }
        Some(line)
    }
}

/// What puts an injected line past its limit, after it is drafted clean.
#[derive(Clone, Copy, Debug)]
enum Tweak {
    /// The item itself breaks the rule here.
    Keep,
    PrdDays(i64),
    Dept(&'static str),
    Lv(&'static str),
    /// Unit price in fen.
    Pric(i64),
}

impl Tweak {
    fn apply(self, line: &mut Line) {
        match self {
            Tweak::Keep => {}
            Tweak::PrdDays(d) => line.prd_days = Some(d),
            Tweak::Dept(d) => line.dept = d,
            Tweak::Lv(lv) => line.lv = lv,
            Tweak::Pric(p) => line.pric = p,
        }
    }
}
