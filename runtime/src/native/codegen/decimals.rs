//! Decimal comparison in native code. A decimal is two words, its serialised
//! rust_decimal bytes: word 0 holds the flags (scale in bits 16–23, sign in bit 31)
//! and the low 32 bits of the mantissa, word 1 the middle and high 32 bits. Two
//! decimals with the same flags and mantissas below 2^64 (every amount and price
//! of a claim) compare as their mantissas, inline, and add and subtract as them;
//! two with mantissas below 2^64 whose product fits 64 bits and whose scales sum
//! to at most 28 multiply as them, unless the result is zero. The rest call
//! rust_decimal, so every result is rust_decimal's, scale and sign included:
//! indicator totals computed natively are shown in findings.

use super::Gen;
use cranelift_codegen::ir::InstBuilder;
use cranelift_codegen::ir::Value as Val;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types;

const I32: types::Type = types::I32;
const I64: types::Type = types::I64;

/// A decimal arithmetic operation with an inline fast path.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Arith {
    Add,
    Sub,
    Mul,
}

impl Gen<'_, '_, '_> {
    /// -1, 0 or 1 (an i32) as `x` is below, equal to or above `y`.
    pub(super) fn dec_cmp(&mut self, x: &[Val], y: &[Val]) -> Val {
        let (mx, my) = (self.mantissa(x), self.mantissa(y));
        let b = &mut self.b;
        // same flags (low 32 bits of word 0), both high words zero
        let flags = b.ins().bxor(x[0], y[0]);
        let flags = b.ins().ireduce(I32, flags);
        let same = b.ins().icmp_imm_s(IntCC::Equal, flags, 0);
        let highs = b.ins().bor(x[1], y[1]);
        let highs = b.ins().ushr_imm_s(highs, 32);
        let small = b.ins().icmp_imm_s(IntCC::Equal, highs, 0);
        let fast = b.ins().band(same, small);
        let gt = b.ins().icmp(IntCC::UnsignedGreaterThan, mx, my);
        let lt = b.ins().icmp(IntCC::UnsignedLessThan, mx, my);
        let gt = b.ins().uextend(I32, gt);
        let lt = b.ins().uextend(I32, lt);
        let up = b.ins().isub(gt, lt);
        let down = b.ins().ineg(up);
        // both have the sign of bit 31 of word 0: the sign of its low half
        let low = b.ins().ireduce(I32, x[0]);
        let negative = b.ins().icmp_imm_s(IntCC::SignedLessThan, low, 0);
        let quick = b.ins().select(negative, down, up);
        let (slow, done) = (b.create_block(), b.create_block());
        let result = b.append_block_param(done, I32);
        b.ins().brif(fast, done, &[quick.into()], slow, &[]);
        b.set_cold_block(slow);
        b.switch_to_block(slow);
        let c = self.call("heng_dec_cmp", &[x[0], x[1], y[0], y[1]]);
        self.b.ins().jump(done, &[c[0].into()]);
        self.b.switch_to_block(done);
        result
    }

    /// The mantissa (below 2^64 when the high word is zero) of a decimal.
    fn mantissa(&mut self, v: &[Val]) -> Val {
        let lo = self.b.ins().ushr_imm_s(v[0], 32);
        let mid = self.b.ins().ishl_imm_s(v[1], 32);
        self.b.ins().bor(mid, lo)
    }

    /// `x op y` on two decimals, inline when it can be (see the module notes),
    /// faulting where rust_decimal fails.
    pub(super) fn dec_arith(&mut self, op: Arith, x: &[Val], y: &[Val]) -> Vec<Val> {
        let (mx, my) = (self.mantissa(x), self.mantissa(y));
        let b = &mut self.b;
        let highs = b.ins().bor(x[1], y[1]);
        let highs = b.ins().ushr_imm_s(highs, 32);
        let small = b.ins().icmp_imm_s(IntCC::Equal, highs, 0);
        let fx = b.ins().band_imm_s(x[0], 0xffff_ffff);
        let fy = b.ins().band_imm_s(y[0], 0xffff_ffff);
        let sign_bit = 1i64 << 31;
        let (ok, m, flags) = match op {
            Arith::Add | Arith::Sub => {
                let same = b.ins().icmp(IntCC::Equal, fx, fy);
                let ok = b.ins().band(same, small);
                if op == Arith::Add {
                    let (sum, carry) = b.ins().uadd_overflow(mx, my);
                    let no_carry = b.ins().bxor_imm_s(carry, 1);
                    (b.ins().band(ok, no_carry), sum, fx)
                } else {
                    // same sign: |x| − |y|, or |y| − |x| with the sign flipped
                    let flip = b.ins().icmp(IntCC::UnsignedLessThan, mx, my);
                    let d1 = b.ins().isub(mx, my);
                    let d2 = b.ins().isub(my, mx);
                    let m = b.ins().select(flip, d2, d1);
                    let flipped = b.ins().bxor_imm_s(fx, sign_bit);
                    (ok, m, b.ins().select(flip, flipped, fx))
                }
            }
            Arith::Mul => {
                let scale_x = b.ins().ushr_imm_s(fx, 16);
                let scale_x = b.ins().band_imm_s(scale_x, 0xff);
                let scale_y = b.ins().ushr_imm_s(fy, 16);
                let scale_y = b.ins().band_imm_s(scale_y, 0xff);
                let scale = b.ins().iadd(scale_x, scale_y);
                let fits_scale = b
                    .ins()
                    .icmp_imm_s(IntCC::UnsignedLessThanOrEqual, scale, 28);
                let high = b.ins().umulhi(mx, my);
                let fits = b.ins().icmp_imm_s(IntCC::Equal, high, 0);
                let ok = b.ins().band(small, fits_scale);
                let ok = b.ins().band(ok, fits);
                let m = b.ins().imul(mx, my);
                let sign = b.ins().bxor(fx, fy);
                let sign = b.ins().band_imm_s(sign, sign_bit);
                let flags = b.ins().ishl_imm_s(scale, 16);
                (ok, m, b.ins().bor(flags, sign))
            }
        };
        // a zero result takes rust_decimal's scale and sign (its `0 × 0.00` is
        // `0`): native totals are shown, not only compared
        let nonzero = b.ins().icmp_imm_s(IntCC::NotEqual, m, 0);
        let ok = b.ins().band(ok, nonzero);
        let low = b.ins().ishl_imm_s(m, 32);
        let w0 = b.ins().bor(flags, low);
        let w1 = b.ins().ushr_imm_s(m, 32);
        let (slow, done) = (b.create_block(), b.create_block());
        let r0 = b.append_block_param(done, I64);
        let r1 = b.append_block_param(done, I64);
        b.ins().brif(ok, done, &[w0.into(), w1.into()], slow, &[]);
        b.set_cold_block(slow);
        b.switch_to_block(slow);
        let name = match op {
            Arith::Add => "heng_dec_add",
            Arith::Sub => "heng_dec_sub",
            Arith::Mul => "heng_dec_mul",
        };
        let r = self.call(name, &[x[0], x[1], y[0], y[1]]);
        let r = self.dec_result(r);
        self.b.ins().jump(done, &[r[0].into(), r[1].into()]);
        self.b.switch_to_block(done);
        vec![r0, r1]
    }
}
