//! Knowledge-base tables: typed rows loaded from CSV, with exact and longest-prefix
//! lookup by the key column.

mod load;

pub use load::load_table;

use crate::value::Value;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

/// A loaded table. Rows keep their file order; lookups return row indices.
///
/// Cells are stored row-major in one vector (`width` cells per row), so a table of
/// half a million rows is one allocation, not half a million.
#[derive(Clone, Debug, Default)]
pub struct Table {
    cells: Vec<Value>,
    /// Cells per row.
    width: usize,
    /// Number of rows (kept apart from `cells` so zero-width tables count rows).
    len: usize,
    /// Key text → row index.
    index: HashMap<Arc<str>, u32, FxBuild>,
    /// Distinct key lengths in bytes, longest first (for prefix lookups).
    key_lengths: Vec<usize>,
}

impl Table {
    /// Builds a table from typed rows; `key` is the key column. Duplicate keys keep
    /// the first row (the loader reports duplicates as pack errors before this).
    /// Shorter rows are padded with [`Value::Absent`] to the longest row's width.
    pub fn from_rows(key: usize, rows: Vec<Vec<Value>>) -> Table {
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        let len = rows.len();
        let mut cells = Vec::with_capacity(width * len);
        let mut index = HashMap::with_capacity_and_hasher(len, FxBuild);
        let mut lengths = KeyLengths::default();
        for (i, row) in rows.into_iter().enumerate() {
            if let Some(Value::Text(k)) = row.get(key) {
                index.entry(k.clone()).or_insert(i as u32);
                lengths.add(k.len());
            }
            let n = row.len();
            cells.extend(row);
            cells.extend((n..width).map(|_| Value::Absent));
        }
        Table {
            cells,
            width,
            len,
            index,
            key_lengths: lengths.finish(),
        }
    }

    /// Assembles a table from parts the loader already checked (one key per row).
    fn from_parts(
        cells: Vec<Value>,
        width: usize,
        index: HashMap<Arc<str>, u32, FxBuild>,
        lengths: KeyLengths,
    ) -> Table {
        let len = cells.len().checked_div(width).unwrap_or(0);
        Table {
            cells,
            width,
            len,
            index,
            key_lengths: lengths.finish(),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The row whose key equals `key`.
    pub fn get(&self, key: &str) -> Option<u32> {
        self.index.get(key).copied()
    }

    /// The row with the longest key that `code` starts with. Costs one hash lookup
    /// per distinct key length, whatever the number of rows.
    pub fn prefix(&self, code: &str) -> Option<u32> {
        self.key_lengths
            .iter()
            .filter(|&&n| n <= code.len() && code.is_char_boundary(n))
            .find_map(|&n| self.index.get(&code[..n]).copied())
    }

    /// One cell. Panics if the row or column is out of range.
    pub fn cell(&self, row: u32, column: usize) -> &Value {
        &self.row(row)[column]
    }

    /// All cells of a row, in column order. Panics if the row is out of range.
    pub fn row(&self, row: u32) -> &[Value] {
        let start = row as usize * self.width;
        &self.cells[start..start + self.width]
    }
}

/// The distinct key lengths seen while building an index.
#[derive(Default)]
struct KeyLengths(Vec<usize>);

impl KeyLengths {
    fn add(&mut self, n: usize) {
        if !self.0.contains(&n) {
            self.0.push(n);
        }
    }

    /// Longest first, as [`Table::prefix`] wants them.
    fn finish(mut self) -> Vec<usize> {
        self.0.sort_unstable_by(|a, b| b.cmp(a));
        self.0
    }
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
        self.0
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
        assert_eq!(t.cell(2, 1), &Value::Int(2));
        assert_eq!(t.row(3), &[Value::text("中药"), Value::Int(3)]);
    }

    #[test]
    fn ragged_rows_are_padded() {
        let t = Table::from_rows(0, vec![vec![Value::text("A")], row("B", 1)]);
        assert_eq!(t.row(0), &[Value::text("A"), Value::Absent]);
        assert_eq!(t.cell(1, 1), &Value::Int(1));
        assert!(Table::default().is_empty());
    }
}
