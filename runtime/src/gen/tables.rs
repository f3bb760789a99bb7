//! Reading the pack's loaded tables by table and column name, as the generator
//! needs them: key codes, texts, integers, amounts in fen, prefix lists and enum
//! variant names. A table or column the pack does not declare reads as absent.

use crate::pack::Pack;
use crate::table::Table;
use crate::value::Value;
use heng_compiler::ir::TableDecl;
use heng_compiler::types::Type;

/// A table of the pack with its declaration.
pub struct TableRef<'p> {
    pack: &'p Pack,
    decl: &'p TableDecl,
    pub table: &'p Table,
}

impl<'p> TableRef<'p> {
    pub fn find(pack: &'p Pack, name: &str) -> Option<TableRef<'p>> {
        let i = pack.program.tables.iter().position(|t| t.name == name)?;
        Some(TableRef {
            pack,
            decl: &pack.program.tables[i],
            table: pack.tables.get(i)?,
        })
    }

    pub fn rows(&self) -> u32 {
        self.table.len() as u32
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.decl.columns.iter().position(|c| c.name == name)
    }

    pub fn cell(&self, row: u32, name: &str) -> &'p Value {
        static ABSENT: Value = Value::Absent;
        match self.column(name) {
            Some(c) => self.table.cell(row, c),
            None => &ABSENT,
        }
    }

    pub fn key(&self, row: u32) -> Option<&'p str> {
        self.table.cell(row, self.decl.key).as_str()
    }

    pub fn text(&self, row: u32, name: &str) -> Option<&'p str> {
        self.cell(row, name).as_str().filter(|s| !s.is_empty())
    }

    pub fn int(&self, row: u32, name: &str) -> Option<i64> {
        match self.cell(row, name) {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// A decimal in fen, rounded down.
    pub fn fen(&self, row: u32, name: &str) -> Option<i64> {
        let d = self.cell(row, name).as_decimal()?;
        let fen = (d * rust_decimal::Decimal::ONE_HUNDRED).floor();
        i64::try_from(fen).ok()
    }

    /// A decimal cell's whole part (rounded down).
    pub fn whole(&self, row: u32, name: &str) -> Option<i64> {
        let d = self.cell(row, name).as_decimal()?;
        i64::try_from(d.floor()).ok()
    }

    pub fn prefixes(&self, row: u32, name: &str) -> Option<Vec<Box<str>>> {
        match self.cell(row, name) {
            Value::Prefixes(p) => Some(p.iter().map(|s| Box::from(&**s)).collect()),
            Value::Text(s) => Some(s.split(';').map(Box::from).collect()),
            _ => None,
        }
    }

    /// The variant name of an enum cell.
    pub fn variant(&self, row: u32, name: &str) -> Option<&'p str> {
        let c = self.column(name)?;
        let Value::Enum(v) = self.table.cell(row, c) else {
            return None;
        };
        let Type::Enum(e) = self.decl.columns[c].value_type() else {
            return None;
        };
        let decl = self.pack.program.enums.get(e.0 as usize)?;
        decl.variants.get(*v as usize).map(|v| v.name.as_str())
    }
}
