//! The input reader's cache of short texts: codes, names and flags repeat from
//! line to line, so a text read again is shared (one `Arc<str>`) rather than
//! allocated again.

use crate::value::Value;
use std::collections::HashSet;
use std::sync::Arc;

/// Short texts read lately on this thread, shared rather than allocated again:
/// codes, names and flags repeat from line to line. Bounded: emptied when full.
#[derive(Default)]
pub(super) struct Texts {
    /// Texts of at most fifteen bytes (nine in ten of the texts a generated
    /// visit holds: flags, types, codes), keyed by their bytes and length packed
    /// in 128 bits: found without hashing or comparing strings. A direct-mapped
    /// cache: a new text takes its slot over.
    tiny: Vec<(u128, Option<Arc<str>>)>,
    seen: HashSet<Arc<str>, foldhash::fast::FixedState>,
}

impl Texts {
    /// Longer texts (free-text names, notes) are rarely repeated.
    const LONGEST: usize = 48;
    const MOST: usize = 1 << 16;

    /// 4,096 slots of `tiny`.
    const TINY_BITS: u32 = 12;

    pub(super) fn get(&mut self, t: &str) -> Value {
        if t.len() <= 15 {
            return self.tiny(t);
        }
        if t.len() > Self::LONGEST {
            return Value::text(t);
        }
        if let Some(shared) = self.seen.get(t) {
            return Value::Text(shared.clone());
        }
        if self.seen.len() >= Self::MOST {
            self.seen.clear();
        }
        let shared: Arc<str> = Arc::from(t);
        self.seen.insert(shared.clone());
        Value::Text(shared)
    }

    /// A text of at most fifteen bytes, through the `tiny` slots.
    fn tiny(&mut self, t: &str) -> Value {
        let mut bytes = [0u8; 16];
        bytes[..t.len()].copy_from_slice(t.as_bytes());
        Value::Text(self.tiny_at(&bytes, t))
    }

    /// [`Texts::tiny`] for the text `t` at the start of `bytes` (the input
    /// after it ignored): its key is the bytes masked to its length, with the
    /// length in the last byte.
    pub(super) fn tiny_at(&mut self, bytes: &[u8; 16], t: &str) -> Arc<str> {
        let mask = (1u128 << (8 * t.len())) - 1;
        let key = (u128::from_le_bytes(*bytes) & mask) | ((t.len() as u128) << 120);
        if self.tiny.is_empty() {
            self.tiny = vec![(0, None); 1 << Self::TINY_BITS];
        }
        // Fibonacci hashing: the top bits of the product pick the slot
        let folded = (key as u64) ^ ((key >> 64) as u64).rotate_left(29);
        let at = (folded.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - Self::TINY_BITS)) as usize;
        let slot = &mut self.tiny[at];
        match &slot.1 {
            Some(shared) if slot.0 == key => shared.clone(),
            _ => {
                let shared: Arc<str> = Arc::from(t);
                *slot = (key, Some(shared.clone()));
                shared
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Texts;
    use crate::value::Value;
    use std::sync::Arc;

    fn shared(v: &Value) -> &Arc<str> {
        match v {
            Value::Text(t) => t,
            other => panic!("not a text: {other:?}"),
        }
    }

    #[test]
    fn a_text_read_again_is_shared_and_texts_that_differ_are_not() {
        let mut texts = Texts::default();
        // around the 15 bytes the packed slots hold, and texts whose bytes differ
        // only by a trailing NUL (the packed length tells them apart)
        let samples = [
            "",
            "1",
            "1\0",
            "01",
            "250101015000000",
            "2501010150000001",
            "中文",
        ];
        let first: Vec<Value> = samples.iter().map(|t| texts.get(t)).collect();
        for (t, v) in samples.iter().zip(&first) {
            assert_eq!(&**shared(v), *t);
            let again = texts.get(t);
            assert!(Arc::ptr_eq(shared(v), shared(&again)), "{t:?} not shared");
        }
    }

    #[test]
    fn a_short_text_keyed_from_the_input_is_the_text_read_alone() {
        let mut texts = Texts::default();
        for t in ["", "1", "A20", "250101015000000"] {
            let mut bytes = [b'"'; 16];
            bytes[..t.len()].copy_from_slice(t.as_bytes());
            let from_input = texts.tiny_at(&bytes, t);
            assert_eq!(&*from_input, t);
            assert!(Arc::ptr_eq(&from_input, shared(&texts.get(t))), "{t:?}");
        }
    }
}
