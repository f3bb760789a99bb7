//! Where the plain run of a JSON string stops: the first `"`, `\\` or control
//! character. The reader's hottest loop (every string it reads or passes over),
//! sixteen bytes at a time with SSE2 on x86_64, eight at a time elsewhere.

/// The index of the first `"`, `\\` or control character in `b`: where the plain
/// run of a JSON string stops. Sixteen bytes at a time where the processor has
/// SSE2 ([`stops16`]), then eight at a time (SWAR): in each word, the lowest
/// flagged byte is exact (borrows only run upwards), so the first hit is.
#[inline(always)]
pub(super) fn string_stop(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x;
    let mut from = 0;
    #[cfg(target_arch = "x86_64")]
    while let Some(chunk) = b.get(from..).and_then(|r| r.first_chunk::<16>()) {
        let hits = stops16(chunk);
        if hits != 0 {
            return Some(from + hits.trailing_zeros() as usize);
        }
        from += 16;
    }
    let rest = b.get(from..)?;
    let mut words = rest.chunks_exact(8);
    for (k, chunk) in words.by_ref().enumerate() {
        let mut w = [0; 8];
        w.copy_from_slice(chunk);
        let x = u64::from_le_bytes(w);
        let hit = (zero_byte(x ^ (ONES * u64::from(b'"')))
            | zero_byte(x ^ (ONES * u64::from(b'\\')))
            | (x.wrapping_sub(ONES * 0x20) & !x))
            & HIGH;
        if hit != 0 {
            return Some(from + 8 * k + hit.trailing_zeros() as usize / 8);
        }
    }
    let tail = b.len() - words.remainder().len();
    words
        .remainder()
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|k| tail + k)
}

/// A bit per byte of `chunk` that is `"`, `\\` or a control character: three
/// compares of sixteen bytes at once, where the eight-byte SWAR of
/// [`string_stop`] takes two rounds of twenty instructions (scanning strings
/// was 3.5% of the instructions of settling 8,000 visits).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(
    unsafe_code,
    reason = "SSE2 intrinsics are `target_feature` functions; every x86_64 processor has SSE2"
)]
fn stops16(chunk: &[u8; 16]) -> u32 {
    #[target_feature(enable = "sse2")]
    fn stops(chunk: &[u8; 16]) -> u32 {
        use std::arch::x86_64::*;
        let word = |at: usize| {
            let mut w = [0; 8];
            w.copy_from_slice(&chunk[at..at + 8]);
            i64::from_le_bytes(w)
        };
        // one unaligned 16-byte load, as the compiler emits it
        let v = _mm_set_epi64x(word(8), word(0));
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // a byte at most 0x1f is its own minimum with 0x1f (unsigned)
        let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) as u32
    }
    // SAFETY: SSE2 is part of the x86_64 baseline: every processor this code
    // is built for has it (the compiler itself assumes it for floating point)
    unsafe { stops(chunk) }
}

#[cfg(test)]
mod tests {
    use super::string_stop;

    fn naive(b: &[u8]) -> Option<usize> {
        b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20)
    }

    #[test]
    fn string_stop_finds_the_first_quote_backslash_or_control_byte() {
        // every byte value at every offset of a sixteen-byte chunk, a word and
        // their tail, among plain ASCII, UTF-8 bytes and a later stop byte
        for fill in [b'a', 0xE4, 0x7F, 0xFF, 0x20, 0x80] {
            for len in 0..41 {
                for at in 0..len {
                    for byte in 0..=255u8 {
                        let mut b = vec![fill; len];
                        b[at] = byte;
                        assert_eq!(string_stop(&b), naive(&b), "{b:?}");
                        if at + 1 < len {
                            b[len - 1] = b'"';
                            assert_eq!(string_stop(&b), naive(&b), "{b:?}");
                        }
                    }
                }
            }
        }
    }
}
