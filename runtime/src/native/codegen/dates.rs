//! Dates in native code without calls or divisions: the date of a date-time and
//! whole years between dates, as pure arithmetic that Cranelift can share between
//! rules and hoist out of the line loop (a patient's birth date is taken apart
//! once per visit). Division by a constant `d` is a multiply-high by ⌈2^64 / d⌉,
//! exact for every dividend and divisor below 2^32 (see [`Gen::udiv_const`]).
//! Dates before 0000-03-01 hand the decision to the interpreter (status 2).

use super::Gen;
use cranelift_codegen::ir::InstBuilder;
use cranelift_codegen::ir::Value as Val;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types;

const I64: types::Type = types::I64;
const I32: types::Type = types::I32;

/// ⌈2^64 / d⌉ for d ≥ 2 (⌊(2^64 − 1)/d⌋ + 1 is 2^64/d when d divides 2^64, and the
/// ceiling otherwise).
const fn reciprocal(d: u64) -> u64 {
    u64::MAX / d + 1
}

impl Gen<'_, '_, '_> {
    /// ⌊n / d⌋ for 0 ≤ n < 2^32 and 2 ≤ d < 2^32. With m = ⌈2^64/d⌉ = (2^64 + e)/d,
    /// e < d: n·m / 2^64 = q + (r + n·e/2^64)/d where n = qd + r, and
    /// n·e/2^64 < 1 while r ≤ d − 1, so the high word is exactly q.
    pub(super) fn udiv_const(&mut self, n: Val, d: u64) -> Val {
        let m = self.b.ins().iconst(I64, reciprocal(d) as i64);
        self.b.ins().umulhi(n, m)
    }

    /// The date (days from the common era) of a date-time (seconds from 1970): for
    /// date-times from 0001-01-01 on, `secs + 719162 days` is non-negative and its
    /// floor division by 86400 = 128 × 675 is a shift and a multiply-high by
    /// ⌈2^73 / 675⌉ (exact for every dividend below 2^63). Earlier ones defer.
    pub(super) fn date_of(&mut self, secs: Val) -> Val {
        const CE_TO_UNIX_SECS: i64 = 719_162 * 86_400;
        const MAGIC_675: u64 = 0xc22e_4506_7289_4ab7;
        let shifted = self.b.ins().iadd_imm_s(secs, CE_TO_UNIX_SECS);
        let negative = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, shifted, 0);
        self.fault_if(negative);
        let x = self.b.ins().ushr_imm_s(shifted, 7);
        let magic = self.b.ins().iconst(I64, MAGIC_675 as i64);
        let q = self.b.ins().umulhi(x, magic);
        let q = self.b.ins().ushr_imm_s(q, 9);
        let days = self.b.ins().iadd_imm_s(q, 1);
        self.b.ins().ireduce(I32, days)
    }

    /// (year, month, day) of a date, as i64s: Howard Hinnant's civil-from-days
    /// (`layout::civil`) with every division by a constant.
    fn civil(&mut self, days: Val) -> [Val; 3] {
        let days = self.b.ins().sextend(I64, days);
        // days since 0000-03-01, so that leap days end a year
        let z = self.b.ins().iadd_imm_s(days, 719_468 - 719_163);
        let negative = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, z, 0);
        self.fault_if(negative);
        let era = self.udiv_const(z, 146_097);
        let era_days = self.b.ins().imul_imm_s(era, 146_097);
        let doe = self.b.ins().isub(z, era_days);
        let a = self.udiv_const(doe, 1460);
        let b = self.udiv_const(doe, 36_524);
        let c = self.udiv_const(doe, 146_096);
        let t = self.b.ins().isub(doe, a);
        let t = self.b.ins().iadd(t, b);
        let t = self.b.ins().isub(t, c);
        let yoe = self.udiv_const(t, 365);
        let y365 = self.b.ins().imul_imm_s(yoe, 365);
        let y4 = self.b.ins().ushr_imm_s(yoe, 2);
        let y100 = self.udiv_const(yoe, 100);
        let start = self.b.ins().iadd(y365, y4);
        let start = self.b.ins().isub(start, y100);
        let doy = self.b.ins().isub(doe, start);
        let t = self.b.ins().imul_imm_s(doy, 5);
        let t = self.b.ins().iadd_imm_s(t, 2);
        let mp = self.udiv_const(t, 153);
        let t = self.b.ins().imul_imm_s(mp, 153);
        let t = self.b.ins().iadd_imm_s(t, 2);
        let t = self.udiv_const(t, 5);
        let d = self.b.ins().isub(doy, t);
        let d = self.b.ins().iadd_imm_s(d, 1);
        let early = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, mp, 10);
        let m_early = self.b.ins().iadd_imm_s(mp, 3);
        let m_late = self.b.ins().iadd_imm_s(mp, -9);
        let m = self.b.ins().select(early, m_early, m_late);
        let y = self.b.ins().imul_imm_s(era, 400);
        let y = self.b.ins().iadd(y, yoe);
        let jan_feb = self.b.ins().bxor_imm_s(early, 1);
        let jan_feb = self.b.ins().uextend(I64, jan_feb);
        let y = self.b.ins().iadd(y, jan_feb);
        [y, m, d]
    }

    /// `years_between(from, to)` as the interpreter counts it: anniversaries of
    /// `from` reached by `to` (29 February counts on 28 February in other years),
    /// negative when `to` is earlier.
    pub(super) fn years_between(&mut self, from: Val, to: Val) -> Val {
        let backwards = self.b.ins().icmp(IntCC::SignedLessThan, to, from);
        // each date taken apart on its own, then ordered: a birth date depends
        // on the visit only, so it is taken apart once, before the line loop
        let (civil_from, civil_to) = (self.civil(from), self.civil(to));
        let [y1, m1, d1, y2, m2, d2] = std::array::from_fn(|k| {
            let (to, from) = (civil_to[k % 3], civil_from[k % 3]);
            match k < 3 {
                true => self.b.ins().select(backwards, to, from),
                false => self.b.ins().select(backwards, from, to),
            }
        });
        // is y2 a leap year? (y2 ≥ 0 here)
        let by4 = self.b.ins().band_imm_s(y2, 3);
        let div4 = self.b.ins().icmp_imm_s(IntCC::Equal, by4, 0);
        let c = self.udiv_const(y2, 100);
        let c100 = self.b.ins().imul_imm_s(c, 100);
        let not100 = self.b.ins().icmp(IntCC::NotEqual, y2, c100);
        let by400 = self.b.ins().band_imm_s(c, 3);
        // when 100 divides y2, c = y2 / 100 and 400 divides y2 iff 4 divides c
        let div400 = self.b.ins().icmp_imm_s(IntCC::Equal, by400, 0);
        let century_ok = self.b.ins().bor(not100, div400);
        let leap = self.b.ins().band(div4, century_ok);
        // a 29 February birthday counts on 28 February in common years
        let feb = self.b.ins().icmp_imm_s(IntCC::Equal, m1, 2);
        let d29 = self.b.ins().icmp_imm_s(IntCC::Equal, d1, 29);
        let common = self.b.ins().bxor_imm_s(leap, 1);
        let shift = self.b.ins().band(feb, d29);
        let shift = self.b.ins().band(shift, common);
        let shift = self.b.ins().uextend(I64, shift);
        let d1 = self.b.ins().isub(d1, shift);
        let k1 = self.b.ins().ishl_imm_s(m1, 5);
        let k1 = self.b.ins().iadd(k1, d1);
        let k2 = self.b.ins().ishl_imm_s(m2, 5);
        let k2 = self.b.ins().iadd(k2, d2);
        let before = self.b.ins().icmp(IntCC::SignedGreaterThan, k1, k2);
        let before = self.b.ins().uextend(I64, before);
        let years = self.b.ins().isub(y2, y1);
        let years = self.b.ins().isub(years, before);
        let neg = self.b.ins().ineg(years);
        self.b.ins().select(backwards, neg, years)
    }
}
