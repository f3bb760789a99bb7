//! Doctor's orders (records.md `orders`) for the drug lines of every inpatient
//! stay and of some outpatient and special-disease visits, and the
//! billing_vs_orders violations injected into them.
//!
//! Each drug line of such a visit carries a `drord_no` naming the order it
//! executes. In a stay, the lines of one drug (discharge medication apart) share
//! one order, long-term (long_drord_flag 1) when they fall on more than one day;
//! elsewhere each drug line has its own order. An order's `cnt` is the quantity
//! of its lines before refunds, so a partly refunded line bills less than was
//! ordered, never more. Injected: a drug line with no order (no drord_no, or one
//! naming no order of the visit), and an order for fewer units than its lines
//! bill after refunds.

use super::calendar::Day;
use super::catalogue::{Catalogue, Class};
use super::rules::{Counting, ORDERS_OUTPATIENT_RATE, OVER_ORDER_RATE, UNORDERED_RATE};
use super::visit::{Visit, VisitGen};
use std::cell::RefCell;

/// One order.
#[derive(Clone, Debug)]
pub struct Order {
    /// hilist_code: the item of its lines.
    pub item: u32,
    /// The quantity ordered.
    pub cnt: i64,
    /// drord_begn_date and drord_stop_date: the days of its first and last line.
    pub begin: Day,
    pub stop: Day,
    /// drord_bhvr 1: discharge medication.
    pub discharge: bool,
    /// long_drord_flag 1.
    pub long: bool,
    /// drord_dept_codg: the billing department of its first line (the doctor
    /// follows as for bilg_dr_codg).
    pub dept: &'static str,
}

/// A line chosen to have no order, until the orders are numbered.
const UNORDERED: u16 = u16::MAX;

impl<'c> VisitGen<'_, 'c> {
    /// Writes the visit's orders, once its lines are final (sorted, refunds
    /// marked).
    pub(super) fn orders(&mut self, v: &mut Visit<'c>) {
        let cat = self.cat;
        let inpatient = match v.facts.class {
            Class::Inpatient => true,
            Class::Outpatient | Class::SpecialOutpatient => false,
            Class::Pharmacy => return,
        };
        let is_drug = |l: &super::rules::Line| cat.item(l.item).is_drug();
        let drugs = v.lines.iter().filter(|l| is_drug(l)).count();
        if drugs == 0 || drugs >= usize::from(UNORDERED) - 1 {
            return;
        }
        if !inpatient && !self.rng.chance(ORDERS_OUTPATIENT_RATE) {
            return;
        }
        // Lines without an order; at least one drug line keeps one, as a visit
        // without orders is not judged.
        let mut unordered = 0;
        for l in &mut v.lines {
            if is_drug(l) && self.rng.chance(UNORDERED_RATE) {
                l.drord = UNORDERED;
                unordered += 1;
            }
        }
        if unordered == drugs {
            for l in &mut v.lines {
                l.drord = 0;
            }
            unordered = 0;
        }
        // Units refunded per order, to know what its lines bill.
        let mut refunded: Vec<i64> = Vec::new();
        // A stay's order per item and discharge flag: slot 2 × item + flag holds
        // the order number (0: none yet), cleared again below.
        thread_local! {
            static SHARED: RefCell<Vec<u16>> = const { RefCell::new(Vec::new()) };
        }
        let mut shared_orders = SHARED.take();
        if inpatient {
            shared_orders.resize(2 * cat.items.len(), 0);
        }
        for l in &mut v.lines {
            if l.drord == UNORDERED || !cat.item(l.item).is_drug() {
                continue;
            }
            let slot = 2 * l.item as usize + usize::from(l.discharge);
            let shared = if inpatient {
                usize::from(shared_orders[slot]).checked_sub(1)
            } else {
                None
            };
            let k = match shared {
                Some(k) => {
                    let o = &mut v.orders[k];
                    o.cnt += l.cnt;
                    o.long |= l.day != o.begin;
                    o.stop = o.stop.max(l.day);
                    k
                }
                None => {
                    v.orders.push(Order {
                        item: l.item,
                        cnt: l.cnt,
                        begin: l.day,
                        stop: l.day,
                        discharge: l.discharge,
                        long: false,
                        dept: l.dept,
                    });
                    refunded.push(0);
                    if inpatient {
                        shared_orders[slot] = v.orders.len() as u16;
                    }
                    v.orders.len() - 1
                }
            };
            refunded[k] += i64::from(l.refund);
            l.drord = k as u16 + 1;
        }
        if inpatient {
            for o in &v.orders {
                shared_orders[2 * o.item as usize + usize::from(o.discharge)] = 0;
            }
        }
        SHARED.set(shared_orders);
        if unordered > 0 {
            // half with no drord_no, half naming an order that was not sent
            let missing = v.orders.len() as u16 + 1;
            for l in &mut v.lines {
                if l.drord == UNORDERED {
                    l.drord = if self.rng.chance(5_000) { 0 } else { missing };
                }
            }
            v.injected[Counting::BillingVsOrders as usize] += 1;
        }
        for (o, refunded) in v.orders.iter_mut().zip(refunded) {
            let billed = o.cnt - refunded;
            if billed >= 2 && self.rng.chance(OVER_ORDER_RATE) {
                o.cnt = billed - self.rng.range(1, (billed / 4).max(1));
                v.injected[Counting::BillingVsOrders as usize] += 1;
            }
        }
    }
}

/// The model of billing_vs_orders: the findings the visit gives (one for its
/// drug lines without an order, one per order billed over), refunds applied.
pub fn findings(cat: &Catalogue, v: &Visit) -> u64 {
    if v.orders.is_empty() {
        return 0;
    }
    let mut billed = vec![0i64; v.orders.len()];
    let mut unmatched = false;
    for l in &v.lines {
        match usize::from(l.drord).checked_sub(1) {
            Some(k) if k < v.orders.len() => {
                if v.orders[k].item == l.item {
                    billed[k] += l.cnt - i64::from(l.refund);
                }
            }
            _ => unmatched |= cat.item(l.item).is_drug(),
        }
    }
    let over = v
        .orders
        .iter()
        .zip(&billed)
        .filter(|(o, b)| **b > o.cnt)
        .count();
    u64::from(unmatched) + over as u64
}
