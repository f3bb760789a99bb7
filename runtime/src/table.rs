//! Knowledge-base tables: typed rows loaded from CSV, with exact and longest-prefix
//! lookup by the key column.

mod cell;
mod load;

pub use load::load_table;

use crate::value::Value;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

/// What [`Table::cell`] returns for an empty cell.
static ABSENT: Value = Value::Absent;

/// Rows per lazily built block of [`Table::row`] slices.
const BLOCK_ROWS: usize = 64;

/// A loaded table. Rows keep their file order; lookups return row indices.
///
/// Knowledge-base tables are wide and mostly empty (item_limits has 18 columns,
/// most rows fill four or five), so only present cells are stored: row-major in
/// one vector, with a bit mask per row saying which columns they belong to.
/// [`Table::cell`] finds a cell in constant time from the mask; [`Table::row`]
/// expands a block of rows to full width the first time one of them is asked for.
#[derive(Clone, Debug, Default)]
pub struct Table {
    cells: Cells,
    /// Full-width rows, built on demand, [`BLOCK_ROWS`] rows per block.
    blocks: Box<[OnceLock<Box<[Value]>>]>,
    /// Distinct key lengths in bytes, longest first (for prefix lookups).
    key_lengths: Vec<usize>,
    /// The first two bytes of every key of two bytes or more, a bit per pair:
    /// a code that begins like no key (a visit's id, an order number) is looked
    /// up without hashing.
    pairs: Box<[u64]>,
    /// For a key held by several rows (tables declared `many`): the indexed first
    /// row → the later rows, in file order.
    more: std::collections::HashMap<u32, Vec<u32>>,
}

impl Table {
    /// Builds a table from typed rows; `key` is the key column. Duplicate keys keep
    /// the first row (the loader reports duplicates as pack errors before this).
    /// Shorter rows are padded with [`Value::Absent`] to the longest row's width.
    pub fn from_rows(key: usize, rows: Vec<Vec<Value>>) -> Table {
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut cells = Cells::new(width, key, rows.len());
        for row in rows {
            cells.start_row();
            for (c, v) in row.into_iter().enumerate() {
                cells.push(c, v);
            }
        }
        // A duplicate key keeps its cells but only the first row is indexed.
        cells.finish().0
    }

    pub fn len(&self) -> usize {
        self.cells.rows()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The row whose key equals `key`.
    pub fn get(&self, key: &str) -> Option<u32> {
        if key.len() >= 2 && !self.begins_like_a_key(key) {
            return None;
        }
        self.cells.find(key)
    }

    /// Whether the first two bytes of `code` (at least two) begin some key.
    fn begins_like_a_key(&self, code: &str) -> bool {
        let pair = pair(code.as_bytes());
        self.pairs
            .get(pair / 64)
            .is_some_and(|w| w >> (pair % 64) & 1 == 1)
    }

    /// The lengths of keys `code` may start with, longest first.
    fn prefix_lengths<'a>(&'a self, code: &'a str) -> impl Iterator<Item = usize> + 'a {
        // a code that begins like no key can only start with a one-byte key
        let longer = code.len() < 2 || self.begins_like_a_key(code);
        self.key_lengths
            .iter()
            .copied()
            .filter(move |&n| n <= code.len() && code.is_char_boundary(n) && (longer || n < 2))
    }

    /// Whether `code` starts with no key, known from its first two bytes alone
    /// (a visit's id, an order number): no key is shorter than two bytes and
    /// none begins like it.
    fn starts_with_no_key(&self, code: &str) -> bool {
        code.len() >= 2
            && self.key_lengths.last().is_some_and(|&n| n >= 2)
            && !self.begins_like_a_key(code)
    }

    /// The row with the longest key that `code` starts with. Costs one hash lookup
    /// per distinct key length, whatever the number of rows.
    pub fn prefix(&self, code: &str) -> Option<u32> {
        if self.starts_with_no_key(code) {
            return None;
        }
        self.prefix_lengths(code)
            .find_map(|n| self.cells.find(&code[..n]))
    }

    /// Every row whose key `code` starts with: longest key first, rows of one key in
    /// file order (several rows share a key only in tables declared `many`).
    pub fn all(&self, code: &str) -> Vec<u32> {
        let mut out = Vec::new();
        if self.starts_with_no_key(code) {
            return out;
        }
        for n in self.prefix_lengths(code) {
            if let Some(first) = self.cells.find(&code[..n]) {
                out.push(first);
                out.extend(self.more.get(&first).into_iter().flatten());
            }
        }
        out
    }

    /// One cell. Panics if the row or column is out of range.
    pub fn cell(&self, row: u32, column: usize) -> &Value {
        assert!(
            column < self.cells.width,
            "column {column} out of range ({} columns)",
            self.cells.width
        );
        self.cells.get(row as usize, column).unwrap_or(&ABSENT)
    }

    /// All cells of a row, in column order. Panics if the row is out of range.
    pub fn row(&self, row: u32) -> &[Value] {
        let row = row as usize;
        assert!(
            row < self.len(),
            "row {row} out of range ({} rows)",
            self.len()
        );
        let width = self.cells.width;
        let block = row / BLOCK_ROWS;
        let cells = self.blocks[block].get_or_init(|| {
            let rows = block * BLOCK_ROWS..((block + 1) * BLOCK_ROWS).min(self.len());
            rows.flat_map(|r| (0..width).map(move |c| (r, c)))
                .map(|(r, c)| self.cells.get(r, c).unwrap_or(&ABSENT).clone())
                .collect()
        });
        let start = (row % BLOCK_ROWS) * width;
        &cells[start..start + width]
    }
}

/// The compact cells of a table and the index of its key column, built row by
/// row (by the loader and by [`Table::from_rows`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct Cells {
    /// Columns per row.
    width: usize,
    /// Mask words per row: `width.div_ceil(64)`.
    words: usize,
    /// The key column.
    key: usize,
    /// The present (non-absent) cells, row by row, in column order.
    present: Vec<Value>,
    /// Per row: index in `present` of its first present cell.
    starts: Vec<usize>,
    /// Per row, `words` words: bit `c` set when column `c` is present.
    masks: Vec<u64>,
    /// Open-addressing hash index of the key column (see [`Cells::find`]). Each
    /// slot is 0 (empty) or the low 32 bits of the key's hash (high half) and
    /// row + 1 (low half); a key's home slot is given by the hash's high bits.
    /// 8 bytes a row instead of a map entry holding an `Arc` and the row.
    slots: Vec<u64>,
    /// `64 - log2(slots.len())`: shifts a hash down to its home slot.
    shift: u32,
    /// While building: each key's hash and row, indexed all at once by `finish`.
    pending: Vec<(u64, u32)>,
    /// Distinct key lengths in bytes.
    lengths: Vec<usize>,
}

impl Cells {
    /// `rows_hint` sizes the per-row vectors and the index; all grow as needed.
    pub(crate) fn new(width: usize, key: usize, rows_hint: usize) -> Cells {
        let words = width.div_ceil(64);
        Cells {
            width,
            words,
            key,
            present: Vec::with_capacity(rows_hint.saturating_mul(4)),
            starts: Vec::with_capacity(rows_hint),
            masks: Vec::with_capacity(rows_hint.saturating_mul(words)),
            slots: Vec::new(),
            shift: 64,
            pending: Vec::with_capacity(rows_hint),
            lengths: Vec::new(),
        }
    }

    /// Rows started so far.
    pub(crate) fn rows(&self) -> usize {
        self.starts.len()
    }

    pub(crate) fn start_row(&mut self) {
        self.starts.push(self.present.len());
        self.masks.extend(std::iter::repeat_n(0, self.words));
    }

    /// Sets a cell of the current row; columns must come in increasing order. A
    /// text value in the key column will be indexed.
    #[inline(always)]
    pub(crate) fn push(&mut self, column: usize, value: Value) {
        if matches!(value, Value::Absent) || column >= self.width {
            return;
        }
        if column == self.key
            && let Value::Text(k) = &value
        {
            self.pending.push((hash_key(k), (self.rows() - 1) as u32));
            if !self.lengths.contains(&k.len()) {
                self.lengths.push(k.len());
            }
        }
        let at = self.masks.len() - self.words + column / 64;
        self.masks[at] |= 1 << (column % 64);
        self.present.push(value);
    }

    /// Builds the key index from `pending`. Sorting by hash first puts equal keys
    /// side by side and makes the slot writes sequential: at half a million rows,
    /// random writes into the slot array cost more than all the sorting (each
    /// one a cache and TLB miss). Returns (row, earlier row) for each duplicate
    /// key; the duplicate is not indexed.
    fn build_index(&mut self) -> Vec<(u32, u32)> {
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_unstable();
        let len = slots_for(pending.len());
        self.shift = 64 - len.trailing_zeros();
        self.slots = vec![0; len];
        let mask = len - 1;
        let mut duplicates = Vec::new();
        let mut group = 0;
        for i in 0..pending.len() {
            let (hash, row) = pending[i];
            if pending[group].0 != hash {
                group = i;
            }
            // Equal hashes (almost always equal keys) are adjacent, by row.
            if group < i {
                let key = self.key_of(row as usize);
                let first = pending[group..i]
                    .iter()
                    .find(|&&(_, r)| self.key_of(r as usize) == key);
                if let Some(&(_, first)) = first {
                    duplicates.push((row, first));
                    continue;
                }
            }
            let mut at = (hash >> self.shift) as usize;
            while self.slots[at] != 0 {
                at = (at + 1) & mask;
            }
            self.slots[at] = (hash & 0xffff_ffff) << 32 | (u64::from(row) + 1);
        }
        duplicates.sort_unstable();
        duplicates
    }

    /// The row whose key is `key`.
    fn find(&self, key: &str) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let hash = hash_key(key);
        let tag = hash & 0xffff_ffff;
        let mask = self.slots.len() - 1;
        let mut i = (hash >> self.shift) as usize;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                return None;
            }
            let row = (slot & 0xffff_ffff) as usize - 1;
            if slot >> 32 == tag && self.key_of(row) == Some(key) {
                return Some(row as u32);
            }
            i = (i + 1) & mask;
        }
    }

    fn key_of(&self, row: usize) -> Option<&str> {
        self.get(row, self.key)?.as_str()
    }

    /// A present cell, `None` when absent.
    #[inline]
    fn get(&self, row: usize, column: usize) -> Option<&Value> {
        let mask = &self.masks[row * self.words..(row + 1) * self.words];
        let (word, bit) = (column / 64, column % 64);
        if mask[word] >> bit & 1 == 0 {
            return None;
        }
        let before = mask[..word].iter().map(|m| m.count_ones()).sum::<u32>()
            + (mask[word] & ((1u64 << bit) - 1)).count_ones();
        self.present.get(self.starts[row] + before as usize)
    }

    /// The table, and (row, earlier row) for each duplicate key.
    pub(crate) fn finish(mut self) -> (Table, Vec<(u32, u32)>) {
        let duplicates = self.build_index();
        let blocks = (0..self.rows().div_ceil(BLOCK_ROWS))
            .map(|_| OnceLock::new())
            .collect();
        let mut key_lengths = std::mem::take(&mut self.lengths);
        key_lengths.sort_unstable_by(|a, b| b.cmp(a));
        let mut more = std::collections::HashMap::<u32, Vec<u32>>::new();
        for &(row, first) in &duplicates {
            more.entry(first).or_default().push(row);
        }
        let mut pairs = vec![0u64; (1 << 16) / 64].into_boxed_slice();
        for row in 0..self.rows() {
            if let Some(key) = self.key_of(row).filter(|k| k.len() >= 2) {
                let p = pair(key.as_bytes());
                pairs[p / 64] |= 1 << (p % 64);
            }
        }
        let table = Table {
            cells: self,
            blocks,
            key_lengths,
            pairs,
            more,
        };
        (table, duplicates)
    }
}

/// The first two bytes of `b` (at least two) as one number.
fn pair(b: &[u8]) -> usize {
    usize::from(b[0]) << 8 | usize::from(b[1])
}

/// Index slots for `rows` keys: a power of two, at most half full.
fn slots_for(rows: usize) -> usize {
    rows.saturating_mul(2).max(16).next_power_of_two()
}

/// The 64-bit hash of a key: FxHash words, then a final avalanche so that both
/// the low bits (slot) and the high bits (tag) depend on every byte.
fn hash_key(key: &str) -> u64 {
    let mut h = FxHasher(0);
    h.write(key.as_bytes());
    h.add(key.len() as u64);
    let mut x = h.0;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x
}

/// Builds [`FxHasher`]s. Table keys come from the pack, not from an adversary, so
/// a fast multiplicative hash is fine and much cheaper than SipHash on short codes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FxBuild;

impl BuildHasher for FxBuild {
    type Hasher = FxHasher;
    fn build_hasher(&self) -> FxHasher {
        FxHasher(0)
    }
}

/// The hash rustc uses (`FxHash`): rotate, xor, multiply, eight bytes at a time.
pub(crate) struct FxHasher(u64);

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The multiply mixes upward: bring the well-mixed high bits down to where
        // the table takes its bucket index.
        self.0.rotate_left(26)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, n: i64) -> Vec<Value> {
        vec![Value::text(key), Value::Int(n)]
    }

    #[test]
    fn from_rows_exact_and_prefix() {
        let t = Table::from_rows(
            0,
            vec![
                row("X", 0),
                row("XJ01", 1),
                row("XJ01DD", 2),
                row("中药", 3),
                row("X", 4),
            ],
        );
        assert_eq!(t.len(), 5);
        assert_eq!(t.get("XJ01"), Some(1));
        assert_eq!(t.get("X"), Some(0), "duplicates keep the first row");
        assert_eq!(t.prefix("XJ01DDA0"), Some(2));
        assert_eq!(t.prefix("XJ01"), Some(1));
        assert_eq!(t.prefix("XK"), Some(0));
        assert_eq!(t.prefix("Y"), None);
        assert_eq!(t.prefix(""), None);
        // "中" is 3 bytes: a 1-byte key must not be tried inside it.
        assert_eq!(t.prefix("中药饮片"), Some(3));
        assert_eq!(t.prefix("中"), None);
        // codes beginning like no key of two bytes or more (a visit's id) still
        // find a one-byte key, and nothing else
        assert_eq!(t.prefix("XZ99"), Some(0));
        assert_eq!(t.all("XZ99"), vec![0, 4]);
        assert_eq!(t.prefix("MD000101"), None);
        assert_eq!(t.get("MD000101"), None);
        assert_eq!(t.get("XK"), None);
        assert_eq!(t.cell(2, 1), &Value::Int(2));
        assert_eq!(t.row(3), &[Value::text("中药"), Value::Int(3)]);
    }

    #[test]
    fn without_one_byte_keys_a_code_beginning_like_no_key_finds_nothing_at_once() {
        let t = Table::from_rows(0, vec![row("XJ01", 0), row("中药", 1), row("MX", 2)]);
        assert_eq!(t.prefix("MD000101"), None);
        assert_eq!(t.all("MD000101"), Vec::<u32>::new());
        assert_eq!(t.prefix("XJ01DD"), Some(0));
        assert_eq!(t.all("MX1"), vec![2]);
        assert_eq!(t.prefix("中药饮片"), Some(1));
        assert_eq!(t.prefix("X"), None);
        assert_eq!(Table::default().prefix("MD1"), None);
    }

    #[test]
    fn ragged_rows_are_padded() {
        let t = Table::from_rows(0, vec![vec![Value::text("A")], row("B", 1)]);
        assert_eq!(t.row(0), &[Value::text("A"), Value::Absent]);
        assert_eq!(t.cell(1, 1), &Value::Int(1));
        assert!(Table::default().is_empty());
    }

    #[test]
    fn many_rows_wide_rows_and_blocks() {
        // 70 columns (two mask words), 1000 rows (several row blocks), sparse cells.
        let rows: Vec<Vec<Value>> = (0..1000)
            .map(|i| {
                let mut r = vec![Value::Absent; 70];
                r[0] = Value::text(&format!("K{i}"));
                if i % 3 == 0 {
                    r[63] = Value::Int(i);
                }
                r[64] = Value::Int(-i);
                if i % 2 == 0 {
                    r[69] = Value::Bool(true);
                }
                r
            })
            .collect();
        let t = Table::from_rows(0, rows.clone());
        assert_eq!(t.len(), 1000);
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(t.get(&format!("K{i}")), Some(i as u32));
            assert_eq!(t.row(i as u32), r.as_slice());
            for (c, v) in r.iter().enumerate() {
                assert_eq!(t.cell(i as u32, c), v);
            }
        }
        assert_eq!(t.get("K1000"), None);
        assert_eq!(t.prefix("K999X"), Some(999));
        assert_eq!(t.prefix("K12"), Some(12));
    }

    #[test]
    fn repeated_keys_keep_the_first() {
        let t = Table::from_rows(0, vec![row("A", 0), row("B", 1), row("A", 2), row("A", 3)]);
        assert_eq!(t.get("A"), Some(0));
        assert_eq!(t.get("B"), Some(1));
        assert_eq!(t.cell(3, 1), &Value::Int(3));
    }
}
