//! A whole NDJSON stream read in order: blank lines skipped, line numbers kept,
//! and a visit id seen earlier rejecting the later visit.

use super::*;
use std::collections::hash_map::Entry;

/// Reads visits from NDJSON, one per non-blank line, in order. Each item is the
/// visit or the error that rejects its line; a visit whose `mdtrt_id` was already
/// read (accepted) earlier in the stream is rejected. Blank lines are skipped (they
/// still count for line numbers); a UTF-8 byte order mark on the first line is
/// ignored; lines may end in `\n` or `\r\n`.
///
/// An I/O error ends the stream: it is yielded once as an error (empty field) and
/// is then available from [`NdjsonReader::io_error`].
pub struct NdjsonReader<R: Read> {
    schema: Schema,
    blocks: BlockReader<R>,
    /// The block being read, and where.
    block: Block,
    cursor: blocks::Cursor,
    /// Accepted visit ids.
    seen: VisitIds,
}

impl<R: Read> NdjsonReader<R> {
    pub fn new(schema: &Schema, reader: R) -> Self {
        NdjsonReader {
            schema: schema.clone(),
            blocks: BlockReader::new(reader),
            block: Block::default(),
            cursor: blocks::Cursor::default(),
            seen: VisitIds::default(),
        }
    }

    /// A reader for `program`'s input schema (see [`check_schema`]).
    pub fn from_program(program: &Program, reader: R) -> Result<Self, Text> {
        Ok(NdjsonReader::new(&check_schema(program)?, reader))
    }

    /// Lines longer than `max` bytes (without the line break) are rejected.
    pub fn with_max_line_bytes(mut self, max: usize) -> Self {
        self.blocks = self.blocks.with_max_line_bytes(max);
        self
    }

    /// Reads the input in blocks of about `bytes` bytes (the default suits batches;
    /// tests use tiny ones to put block boundaries everywhere).
    pub fn with_block_bytes(mut self, bytes: usize) -> Self {
        self.blocks = self.blocks.with_block_bytes(bytes);
        self
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Input bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.blocks.bytes_read()
    }

    /// The I/O error that ended the stream, if one did.
    pub fn io_error(&self) -> Option<&io::Error> {
        self.blocks.io_error()
    }

    /// The next non-blank line as text with its line number, or the reason it is
    /// not one (too long, not UTF-8, unreadable). Parsing it is [`read_visit`], which
    /// may run on another thread; [`NdjsonReader::accept`] then takes the results
    /// back in input order.
    pub fn next_line(&mut self) -> Option<Result<(u64, String), InputError>> {
        loop {
            if let Some(line) = self.block.next_line(&mut self.cursor) {
                return Some(line.map(|(n, text)| (n, text.to_owned())));
            }
            match self.blocks.next_chunk()? {
                Chunk::Block(block) => {
                    self.cursor = block.start();
                    self.block = block;
                }
                Chunk::Error(e) => return Some(Err(e)),
            }
        }
    }

    /// Takes a line's parsed visit back, in input order: a visit id seen earlier in
    /// the batch rejects the later visit.
    pub fn accept(&mut self, line: u64, visit: Visit) -> Result<Visit, InputError> {
        self.seen.accept(line, &visit.mdtrt_id).map(|()| visit)
    }
}

/// The visit ids of a batch so far, with the line that first had each: a visit id
/// seen earlier rejects the later visit.
#[derive(Default)]
pub struct VisitIds {
    /// Ids of up to 15 bytes (the usual), packed with their length in one
    /// 16-byte key of two words (24 bytes a slot, not 32 as a `u128`'s alignment
    /// makes it): a third less memory than a text key, and no text to hash.
    short: ShortIds,
    /// Longer ids.
    long: HashMap<SmolStr, u64, foldhash::fast::RandomState>,
    /// A larger map for the short ids being made ready on another thread.
    coming: Option<std::thread::JoinHandle<ShortIds>>,
}

type ShortIds = HashMap<(u64, u64), u64, foldhash::fast::RandomState>;

impl VisitIds {
    /// Room for `visits` more ids, made ready on another thread while this one
    /// goes on with the map it has. A hash map's slots are touched in no order,
    /// so a month's map (tens of MB) had every page of it faulted in, and
    /// zeroed by the kernel, within its first thousands of ids: a quarter of a
    /// second in which the thread reading the batch fed no worker.
    pub fn expect(&mut self, visits: usize) {
        let hasher = self.short.hasher().clone();
        let ready = move || {
            let mut short = ShortIds::with_capacity_and_hasher(visits, hasher);
            // every slot's page touched now by keys spread as ids will be,
            // then emptied: the pages stay. A quarter of the ids is enough:
            // each page of 170 slots then gets about 18 keys at the emptiest
            // (a page missed is faulted in later, as before)
            short.extend((0..visits as u64 / 4).map(|i| ((i, !i), 0)));
            short.clear();
            short
        };
        match std::thread::Builder::new()
            .name("heng-ids".into())
            .spawn(ready)
        {
            Ok(thread) => self.coming = Some(thread),
            Err(_) => self.short.reserve(visits),
        }
    }

    pub fn accept(&mut self, line: u64, mdtrt_id: &SmolStr) -> Result<(), InputError> {
        if self.coming.as_ref().is_some_and(|t| t.is_finished())
            && let Some(Ok(mut short)) = self.coming.take().map(|t| t.join())
        {
            short.extend(self.short.drain());
            self.short = short;
        }
        let first = match packed(mdtrt_id) {
            Some(key) => first_seen(&mut self.short, key, line),
            None => first_seen(&mut self.long, mdtrt_id.clone(), line),
        };
        match first {
            Some(first) => Err(repeated(line, mdtrt_id, first)),
            None => Ok(()),
        }
    }
}

/// Where `key` was first seen (a line, an index), else `None` with `at` noted
/// as its first place.
pub(super) fn first_seen<K: std::hash::Hash + Eq, V: Copy>(
    seen: &mut HashMap<K, V, foldhash::fast::RandomState>,
    key: K,
    at: V,
) -> Option<V> {
    match seen.entry(key) {
        Entry::Occupied(first) => Some(*first.get()),
        Entry::Vacant(slot) => {
            slot.insert(at);
            None
        }
    }
}

/// An id of at most 15 bytes as its bytes (little-endian, in two words) and its
/// length in the top byte: ids that differ, even by trailing NULs, differ here. Built from
/// loads of the id's own bytes (overlapping where it is short), not by copying
/// them into a buffer read back whole: the processor cannot forward those
/// stores to the load, and stalled a third of the map's time on it.
fn packed(id: &str) -> Option<(u64, u64)> {
    let b = id.as_bytes();
    let n = b.len();
    // the little-endian value of `b[at..at + N]`
    fn load<const N: usize>(b: &[u8], at: usize) -> u64 {
        let mut word = [0u8; 8];
        word[..N].copy_from_slice(&b[at..at + N]);
        u64::from_le_bytes(word)
    }
    // `n` bytes (at most 8) as one word: two loads that overlap when `n` is
    // between their widths; the overlapping bytes are the same
    let short = |b: &[u8], n: usize| match n {
        0 => 0,
        1..=3 => b.iter().rev().fold(0, |w, &x| w << 8 | u64::from(x)),
        4..=7 => load::<4>(b, 0) | load::<4>(b, n - 4) << (8 * (n - 4)),
        _ => load::<8>(b, 0),
    };
    let (lo, hi) = match n {
        0..=8 => (short(b, n), 0),
        9..=15 => (load::<8>(b, 0), short(&b[8..], n - 8)),
        _ => return None,
    };
    Some((lo, hi | (n as u64) << 56))
}

/// The error of the visit on `line` whose id the visit on line `first` had.
pub fn repeated(line: u64, mdtrt_id: &str, first: u64) -> InputError {
    InputError {
        line,
        mdtrt_id: Some(mdtrt_id.to_owned()),
        field: MDTRT_ID.to_owned(),
        reason: text!(
            "就诊ID \"{}\" 在本批次中重复(第一次出现在第 {} 行)",
            "visit id \"{}\" appears twice in this batch (first on line {})",
            mdtrt_id,
            first
        ),
    }
}

impl<R: Read> Iterator for NdjsonReader<R> {
    type Item = Result<Visit, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.next_line()?.and_then(|(line, text)| {
            let visit = read_visit(&self.schema, line, &text)?;
            self.accept(line, visit)
        }))
    }
}

#[cfg(test)]
mod tests {
    /// Ids accepted before the larger map is ready are still known after it
    /// takes over, with the line that first had them, as are ids accepted
    /// after; long ids are kept apart throughout.
    #[test]
    fn a_map_made_ready_on_another_thread_takes_over_the_ids_seen_so_far() {
        use crate::value::SmolStr;
        let mut ids = super::VisitIds::default();
        let id = |i: u64| SmolStr::new(format!("V{i:08}"));
        let long = SmolStr::new("A-VISIT-ID-LONGER-THAN-FIFTEEN-BYTES");
        for i in 0..100 {
            assert!(ids.accept(i + 1, &id(i)).is_ok());
        }
        assert!(ids.accept(101, &long).is_ok());
        ids.expect(10_000);
        let mut line = 102;
        while ids.coming.is_some() {
            assert!(ids.accept(line, &id(line)).is_ok());
            line += 1;
        }
        let after = line;
        assert!(ids.accept(after, &id(u64::MAX)).is_ok());
        line += 1;
        for (repeat, first) in [(id(7), 8), (long, 101), (id(u64::MAX), after)] {
            let e = ids.accept(line, &repeat).expect_err("a repeated id");
            assert_eq!(e, super::repeated(line, &repeat, first));
        }
    }

    /// The key is the id's bytes little-endian with its length in the top
    /// byte, for every length a key holds and none longer.
    #[test]
    fn a_packed_id_is_its_bytes_and_its_length() {
        let bytes: Vec<u8> = (0..16u8).map(|i| i.wrapping_mul(37) ^ 0xa5 | 1).collect();
        for n in 0..=16 {
            for fill in [None, Some(b'0'), Some(0x7f)] {
                let mut b = bytes[..n].to_vec();
                if let Some(f) = fill {
                    b.fill(f);
                }
                let id = String::from_utf8_lossy(&b).into_owned();
                let b = id.as_bytes();
                let want = (b.len() < 16).then(|| {
                    let mut key = [0u8; 16];
                    key[..b.len()].copy_from_slice(b);
                    key[15] = b.len() as u8;
                    let (lo, hi) = key.split_at(8);
                    let word = |w: &[u8]| w.iter().rev().fold(0, |x, &b| x << 8 | u64::from(b));
                    (word(lo), word(hi))
                });
                assert_eq!(super::packed(&id), want, "{n} bytes: {id:?}");
            }
        }
    }
}
