//! The input reader's cache of texts: codes, names and flags repeat from line to
//! line. A text of at most 23 bytes is held in the value itself (no allocation,
//! no shared count to update); the cache hands out a copy of the one read last
//! time, whose bytes are long stored (copying the text's bytes into a new one
//! and reading them back as words stalls the processor). A longer text read
//! again is shared (one string) rather than allocated again.

use crate::value::{SmolStr, Value};
use std::collections::HashSet;

/// Texts read lately on this thread. Bounded: emptied when full.
#[derive(Default)]
pub(super) struct Texts {
    /// Texts of at most fifteen bytes (nine in ten of the texts a generated
    /// visit holds: flags, types, codes), keyed by their bytes and length packed
    /// in 128 bits: found without hashing or comparing strings. A direct-mapped
    /// cache: a new text takes its slot over.
    tiny: Vec<(u128, SmolStr)>,
    seen: HashSet<SmolStr, foldhash::fast::FixedState>,
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
        let shared = SmolStr::new(t);
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
    pub(super) fn tiny_at(&mut self, bytes: &[u8; 16], t: &str) -> SmolStr {
        let mask = (1u128 << (8 * t.len())) - 1;
        let key = (u128::from_le_bytes(*bytes) & mask) | ((t.len() as u128) << 120);
        if self.tiny.is_empty() {
            // a fresh slot holds key 0 and the empty text: the empty text's own
            // key and value, and every other text's key differs from 0
            self.tiny = vec![(0, SmolStr::default()); 1 << Self::TINY_BITS];
        }
        // Fibonacci hashing: the top bits of the product pick the slot
        let folded = (key as u64) ^ ((key >> 64) as u64).rotate_left(29);
        let at = (folded.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - Self::TINY_BITS)) as usize;
        let slot = &mut self.tiny[at];
        if slot.0 != key {
            *slot = (key, SmolStr::new(t));
        }
        slot.1.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::Texts;
    use crate::value::Value;

    fn shared(v: &Value) -> &crate::value::SmolStr {
        match v {
            Value::Text(t) => t,
            other => panic!("not a text: {other:?}"),
        }
    }

    #[test]
    fn a_text_read_again_is_the_same_and_texts_that_differ_are_not() {
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
            assert_eq!(shared(v), shared(&again), "{t:?}");
            assert!(!shared(v).is_heap_allocated(), "{t:?} held inline");
        }
        // a text too long to be held inline is shared when read again
        let long = "阿莫西林胶囊(0.25g×24粒)";
        let (a, b) = (texts.get(long), texts.get(long));
        assert_eq!(shared(&a).as_str(), long);
        assert_eq!(shared(&a).as_ptr(), shared(&b).as_ptr(), "shared");
        assert_ne!(texts.get("阿莫西林胶囊(0.25g×12粒)"), a);
    }

    #[test]
    fn a_short_text_keyed_from_the_input_is_the_text_read_alone() {
        let mut texts = Texts::default();
        for t in ["", "1", "A20", "250101015000000"] {
            let mut bytes = [b'"'; 16];
            bytes[..t.len()].copy_from_slice(t.as_bytes());
            let from_input = texts.tiny_at(&bytes, t);
            assert_eq!(&*from_input, t);
            assert_eq!(&from_input, shared(&texts.get(t)), "{t:?}");
        }
    }
}
