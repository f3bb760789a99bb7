//! item_pairs rows with relation `requires` (A: a material or drug used only
//! with procedure B) in inpatient stays: some stays bill a pair, B and A at the
//! same time (background); a few bill an A alone (requires_item). Both lines
//! are drafted clean for the line rules, and an A is billed alone only in a stay
//! without any B of its row.

use super::catalogue::Catalogue;
use super::lines::{Slot, repeats};
use super::rules::{self, Counting, Line};
use super::visit::{Visit, VisitGen};

impl<'c> VisitGen<'_, 'c> {
    /// Bills a background pair, B then A, at `slot`, when one can be drafted
    /// clean in a few tries.
    pub(super) fn pair_lines(&mut self, v: &mut Visit<'c>, slot: Slot, forbidden: &[&'c str]) {
        let cat = self.cat;
        for _ in 0..4 {
            let k = *self.rng.pick(&cat.background_pairs);
            let p = &cat.pairs[usize::from(k)];
            let (Some(a), Some(b)) = (p.a, p.b) else {
                return;
            };
            let Some((bl, bx)) = self.clean_draft(v, b, slot, forbidden) else {
                continue;
            };
            let Some((al, ax)) = self.clean_draft(v, a, slot, forbidden) else {
                continue;
            };
            v.diags.extend(bx);
            v.diags.extend(ax);
            v.lines.push(bl);
            v.lines.push(al);
            return;
        }
    }

    /// Bills an A item alone at `slot`, in a stay without a B of its row
    /// (requires_item); false when none could be drafted clean.
    pub(super) fn requires_alone(
        &mut self,
        v: &mut Visit<'c>,
        slot: Slot,
        forbidden: &[&'c str],
    ) -> bool {
        let cat = self.cat;
        for _ in 0..4 {
            let k = *self.rng.pick(&cat.injectable_pairs);
            let Some(a) = cat.pairs[usize::from(k)].a else {
                continue;
            };
            let has_b = |row: &u16| {
                v.lines
                    .iter()
                    .any(|l| cat.item(l.item).pair_b.contains(row))
            };
            if cat.item(a).pair_a.iter().any(has_b) {
                continue;
            }
            let Some((line, extra)) = self.clean_draft(v, a, slot, forbidden) else {
                continue;
            };
            v.diags.extend(extra);
            v.lines.push(line);
            v.injected[Counting::RequiresItem as usize] += 1;
            return true;
        }
        false
    }

    /// A line of `item` that fires no line rule and keeps within its freq.
    fn clean_draft(
        &mut self,
        v: &Visit<'c>,
        item: u32,
        slot: Slot,
        forbidden: &[&'c str],
    ) -> Option<(Line, Option<rules::Diag<'c>>)> {
        let (line, extra) = self.draft(v, item, slot, forbidden, false)?;
        let limit = self.cat.item(item).limit.as_ref();
        (rules::fires(self.cat, &v.facts, &line, None) == 0
            && !repeats(v, &line, limit.and_then(|l| l.freq)))
        .then_some((line, extra))
    }
}

/// The model of requires_item: the findings the visit gives, one per pair row
/// with an A line and no B in the visit (on the A line's day for window day).
/// B lines in other visits of the same day are not seen.
pub fn findings(cat: &Catalogue, v: &Visit) -> u64 {
    let mut fired: Vec<u16> = Vec::new();
    for l in &v.lines {
        for &k in cat.item(l.item).pair_a.iter() {
            if fired.contains(&k) {
                continue;
            }
            let same_day = cat.pairs[usize::from(k)].same_day;
            let has_b = v
                .lines
                .iter()
                .any(|b| cat.item(b.item).pair_b.contains(&k) && (!same_day || b.day == l.day));
            if !has_b {
                fired.push(k);
            }
        }
    }
    fired.len() as u64
}
