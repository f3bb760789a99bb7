//! Decimals as compiled code holds them: two native words, the bytes of
//! `Decimal::serialize` (flags with the scale and sign, then the 96-bit
//! mantissa), read and written without going through bytes, and `round` to a
//! power of ten computed on the words for the common case.

use rust_decimal::Decimal;

/// Two words of a serialised decimal; bit 0 of `lo` set means a fault.
#[repr(C)]
pub struct Dec {
    pub(super) lo: i64,
    pub(super) hi: i64,
}

pub(super) const FAULT: Dec = Dec { lo: 1, hi: 0 };

#[inline]
pub fn dec_words(d: Decimal) -> (u64, u64) {
    let b = d.serialize();
    let mut lo = [0u8; 8];
    let mut hi = [0u8; 8];
    lo.copy_from_slice(&b[..8]);
    hi.copy_from_slice(&b[8..]);
    (u64::from_le_bytes(lo), u64::from_le_bytes(hi))
}

/// The decimal whose two native words are `lo` and `hi` (see `dec_words`).
/// Built from its parts: `Decimal::deserialize` goes through the bytes one at a
/// time and was 2% of a settlement's instructions.
#[inline]
pub(super) fn dec(lo: i64, hi: i64) -> Decimal {
    let (lo, hi) = (lo as u64, hi as u64);
    let flags = lo as u32;
    // the scale's byte of `flags`, bounded as `deserialize` bounds it (a word
    // written by `dec_words` is never above 28)
    let scale = ((flags >> 16) & 0x1F).min(Decimal::MAX_SCALE);
    let mut d = Decimal::from_parts(
        (lo >> 32) as u32,
        hi as u32,
        (hi >> 32) as u32,
        false,
        scale,
    );
    // the sign as written, a negative zero too (`from_parts` would drop it)
    d.set_sign_negative(flags & 0x8000_0000 != 0);
    d
}

/// The words of `d`, or a fault.
#[inline]
pub(super) fn out(d: Option<Decimal>) -> Dec {
    match d {
        Some(d) => {
            let (lo, hi) = dec_words(d);
            Dec {
                lo: lo as i64,
                hi: hi as i64,
            }
        }
        None => FAULT,
    }
}

/// A decimal of native words whose mantissa is below 2^62 (money, counts,
/// ratios): `round` to a power of ten computed on the words in integers, giving
/// exactly the words of `builtins::round`'s answer without building decimals
/// (it was a third of a settlement's helper calls). Anything else returns
/// `None` and goes through `Decimal`. (`add` and `sub` gained nothing this way:
/// rust_decimal has the same fast paths, and many of their operands are zero.)
#[derive(Clone, Copy, Debug)]
pub(super) struct Small {
    /// The signed mantissa.
    m: i64,
    scale: u32,
}

impl Small {
    #[inline]
    pub(super) fn of(lo: i64, hi: i64) -> Option<Small> {
        let (lo, hi) = (lo as u64, hi as u64);
        // the mantissa's top 32 bits (`hi`'s high half) and the top two of its
        // middle 32 bits are zero
        if hi >> 30 != 0 {
            return None;
        }
        let magnitude = ((hi << 32) | (lo >> 32)) as i64;
        let flags = lo as u32;
        let negative = flags & 0x8000_0000 != 0;
        Some(Small {
            m: if negative { -magnitude } else { magnitude },
            scale: (flags >> 16) & 0xFF,
        })
    }

    /// The words of `m` at `scale`, a zero unsigned.
    #[inline]
    fn words(m: i64, scale: u32) -> Dec {
        let magnitude = m.unsigned_abs();
        let sign = if m < 0 { 0x8000_0000u64 } else { 0 };
        Dec {
            lo: (u64::from(scale) << 16 | sign | (magnitude & 0xFFFF_FFFF) << 32) as i64,
            hi: (magnitude >> 32) as i64,
        }
    }

    /// `round(self, step)` for a step that is a power of ten (0.01, 1) and a
    /// number with 1 to 18 more decimals (half away from zero, as
    /// `builtins::round` does) or fewer (the same number at the step's scale:
    /// `round(5, 0.01)` is 5.00, a third of the standard settlement's calls).
    #[inline]
    pub(super) fn round_to(self, step: Small) -> Option<Dec> {
        if step.m.unsigned_abs() != 1 {
            return None;
        }
        if self.scale < step.scale && step.m == 1 {
            let m = self
                .m
                .checked_mul(10i64.checked_pow(step.scale - self.scale)?)?;
            return Some(Self::words(m, step.scale));
        }
        let k = self.scale.checked_sub(step.scale).filter(|k| *k <= 18)?;
        if k == 0 {
            // as it is, a zero unsigned
            return Some(Self::words(self.m, self.scale));
        }
        let q = crate::eval::builtins::drop_digits(self.m, k);
        Some(Self::words(q, step.scale))
    }
}

#[cfg(test)]
mod tests {
    use super::{dec, dec_words};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    /// What native words hold reads back bit for bit: every scale and sign,
    /// negative zero included.
    fn round_trips(d: Decimal) -> bool {
        let (lo, hi) = dec_words(d);
        dec(lo as i64, hi as i64).serialize() == d.serialize()
    }

    #[test]
    fn decimal_words_read_back_exactly_at_the_edges() {
        let mut negative_zero = Decimal::ZERO;
        negative_zero.set_sign_negative(true);
        for d in [
            Decimal::ZERO,
            negative_zero,
            Decimal::MAX,
            Decimal::MIN,
            Decimal::new(1, 28),
        ] {
            assert!(round_trips(d), "{d:?}");
        }
    }

    proptest! {
        #[test]
        fn decimal_words_read_back_exactly(lo: u32, mid: u32, hi: u32, negative: bool, scale in 0u32..=28) {
            prop_assert!(round_trips(Decimal::from_parts(lo, mid, hi, negative, scale)));
        }
    }
}
