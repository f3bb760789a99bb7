//! Knowledge-base tables: typed rows loaded from CSV, with exact and longest-prefix
//! lookup by the key column.

use crate::value::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// A loaded table. Rows keep their file order; lookups return row indices.
#[derive(Clone, Debug, Default)]
pub struct Table {
    rows: Vec<Vec<Value>>,
    /// Key text → row index.
    index: HashMap<Arc<str>, u32>,
    /// Distinct key lengths in bytes, longest first (for prefix lookups).
    key_lengths: Vec<usize>,
}

impl Table {
    /// Builds a table from typed rows; `key` is the key column. Duplicate keys keep
    /// the first row (the loader reports duplicates as pack errors before this).
    pub fn from_rows(key: usize, rows: Vec<Vec<Value>>) -> Table {
        let mut index = HashMap::with_capacity(rows.len());
        let mut key_lengths = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            if let Some(Value::Text(k)) = row.get(key) {
                index.entry(k.clone()).or_insert(i as u32);
                if !key_lengths.contains(&k.len()) {
                    key_lengths.push(k.len());
                }
            }
        }
        key_lengths.sort_unstable_by(|a, b| b.cmp(a));
        Table {
            rows,
            index,
            key_lengths,
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The row whose key equals `key`.
    pub fn get(&self, key: &str) -> Option<u32> {
        self.index.get(key).copied()
    }

    /// The row with the longest key that `code` starts with.
    pub fn prefix(&self, code: &str) -> Option<u32> {
        self.key_lengths
            .iter()
            .filter(|&&n| n <= code.len() && code.is_char_boundary(n))
            .find_map(|&n| self.index.get(&code[..n]).copied())
    }

    pub fn cell(&self, row: u32, column: usize) -> &Value {
        &self.rows[row as usize][column]
    }

    pub fn row(&self, row: u32) -> &[Value] {
        &self.rows[row as usize]
    }
}
