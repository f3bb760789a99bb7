//! Go to definition: where the name under the cursor is declared in the pack,
//! from its last checked program. The same names as hover ([`crate::hover`]):
//! rules, parameters, tables, functions, records, enums, and every record field
//! or table column of that name (each is a place to go). And the outline of a
//! file: the declarations in it ([`outline`]).

use crate::completion::Kind;
use heng_compiler::ir::Program;
use heng_compiler::source::{FileId, Span};

/// Every declaration at the top of a file: name, kind and span.
fn top_level(program: &Program) -> impl Iterator<Item = (&String, Kind, Span)> {
    let rules = program.rules.iter().map(|r| (&r.id, Kind::Rule, r.span));
    let params = program
        .params
        .iter()
        .map(|p| (&p.name, Kind::Param, p.span));
    let tables = program
        .tables
        .iter()
        .map(|t| (&t.name, Kind::Table, t.span));
    let functions = program
        .functions
        .iter()
        .map(|f| (&f.name, Kind::Function, f.span));
    let records = program
        .records
        .iter()
        .map(|r| (&r.name, Kind::Type, r.span));
    let enums = program.enums.iter().map(|e| (&e.name, Kind::Type, e.span));
    rules
        .chain(params)
        .chain(tables)
        .chain(functions)
        .chain(records)
        .chain(enums)
}

/// The declarations of `file`, in the order they are written: name, kind and
/// span.
pub fn outline(program: &Program, file: FileId) -> Vec<(String, Kind, Span)> {
    let mut found: Vec<(String, Kind, Span)> = top_level(program)
        .filter(|(_, _, span)| span.file == file)
        .map(|(name, kind, span)| (name.clone(), kind, span))
        .collect();
    found.sort_by_key(|(_, _, span)| span.start);
    found
}

/// The spans of every declaration named `word`.
pub fn declarations(program: &Program, word: &str) -> Vec<Span> {
    let fields = program.records.iter().flat_map(|r| &r.fields);
    let columns = program.tables.iter().flat_map(|t| &t.columns);
    let fields = fields.chain(columns).filter(|f| f.name == word);
    top_level(program)
        .filter(|(name, ..)| *name == word)
        .map(|(_, _, span)| span)
        .chain(fields.map(|f| f.span))
        .collect()
}
