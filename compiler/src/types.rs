//! The types of the language, shared by the checker, the IR and both backends.

use std::fmt;

/// Index of a record type (Visit, FeeLine, …) in [`crate::ir::Program::records`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RecordId(pub u32);
/// Index of an enumeration in [`crate::ir::Program::enums`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EnumId(pub u32);
/// Index of a table in [`crate::ir::Program::tables`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TableId(pub u32);

/// A type. `Option` never nests; `Error` is the type of an expression that already
/// produced a diagnostic, and unifies with everything so one mistake is reported once.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Bool,
    Int,
    /// Exact decimal: money, ratios, quantities.
    Decimal,
    Text,
    /// Catalogue or ICD code: compared exactly or by prefix.
    Code,
    /// A `;`-separated list of code prefixes from a table cell.
    Prefixes,
    Date,
    DateTime,
    Enum(EnumId),
    Record(RecordId),
    /// A row of a knowledge-base table.
    Row(TableId),
    List(Box<Type>),
    Option(Box<Type>),
    Error,
}

impl Type {
    pub fn option(self) -> Type {
        match self {
            Type::Option(_) | Type::Error => self,
            t => Type::Option(Box::new(t)),
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Type::Error)
    }

    /// A plain value: what a table column, a parameter or a map entry can hold
    /// (no lists, records or options; `Error` passes, already reported).
    pub fn is_plain(&self) -> bool {
        matches!(
            self,
            Type::Bool
                | Type::Int
                | Type::Decimal
                | Type::Text
                | Type::Code
                | Type::Prefixes
                | Type::Date
                | Type::Enum(_)
                | Type::Error
        )
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Int | Type::Decimal | Type::Error)
    }

    /// Whether `self` can be used where `want` is expected (Int widens to Decimal).
    pub fn fits(&self, want: &Type) -> bool {
        match (self, want) {
            (Type::Error, _) | (_, Type::Error) => true,
            (Type::Int, Type::Decimal) => true,
            (Type::Option(a), Type::Option(b)) | (Type::List(a), Type::List(b)) => a.fits(b),
            (a, Type::Option(b)) => a.fits(b),
            (a, b) => a == b,
        }
    }
}

/// Names needed to print a type for users.
pub trait TypeNames {
    fn record_name(&self, id: RecordId) -> &str;
    fn enum_name(&self, id: EnumId) -> &str;
    fn table_name(&self, id: TableId) -> &str;
}

/// A type with the names to print it.
pub struct Display<'a>(pub &'a Type, pub &'a dyn TypeNames);

impl fmt::Display for Display<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Type::Bool => f.write_str("Bool"),
            Type::Int => f.write_str("Int"),
            Type::Decimal => f.write_str("Decimal"),
            Type::Text => f.write_str("Text"),
            Type::Code => f.write_str("Code"),
            Type::Prefixes => f.write_str("Prefixes"),
            Type::Date => f.write_str("Date"),
            Type::DateTime => f.write_str("DateTime"),
            Type::Enum(e) => f.write_str(self.1.enum_name(*e)),
            Type::Record(r) => f.write_str(self.1.record_name(*r)),
            Type::Row(t) => write!(f, "Row<{}>", self.1.table_name(*t)),
            Type::List(t) => write!(f, "List<{}>", Display(t, self.1)),
            Type::Option(t) => write!(f, "{}?", Display(t, self.1)),
            Type::Error => f.write_str("?"),
        }
    }
}
