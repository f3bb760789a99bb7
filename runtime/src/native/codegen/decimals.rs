//! Decimal comparison in native code. A decimal is two words, its serialised
//! rust_decimal bytes: word 0 holds the flags (scale in bits 16–23, sign in bit 31)
//! and the low 32 bits of the mantissa, word 1 the middle and high 32 bits. Two
//! decimals with the same flags and mantissas below 2^64 (every amount and price
//! of a claim) compare as their mantissas, inline; the rest call rust_decimal.

use super::Gen;
use cranelift_codegen::ir::InstBuilder;
use cranelift_codegen::ir::Value as Val;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types;

const I32: types::Type = types::I32;

impl Gen<'_, '_, '_> {
    /// -1, 0 or 1 (an i32) as `x` is below, equal to or above `y`.
    pub(super) fn dec_cmp(&mut self, x: &[Val], y: &[Val]) -> Val {
        let b = &mut self.b;
        // same flags (low 32 bits of word 0), both high words zero
        let flags = b.ins().bxor(x[0], y[0]);
        let flags = b.ins().ireduce(I32, flags);
        let same = b.ins().icmp_imm_s(IntCC::Equal, flags, 0);
        let highs = b.ins().bor(x[1], y[1]);
        let highs = b.ins().ushr_imm_s(highs, 32);
        let small = b.ins().icmp_imm_s(IntCC::Equal, highs, 0);
        let fast = b.ins().band(same, small);
        let mantissa = |b: &mut cranelift_frontend::FunctionBuilder, v: &[Val]| {
            let lo = b.ins().ushr_imm_s(v[0], 32);
            let mid = b.ins().ishl_imm_s(v[1], 32);
            b.ins().bor(mid, lo)
        };
        let (mx, my) = (mantissa(b, x), mantissa(b, y));
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
}
