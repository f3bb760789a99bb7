//! Go to definition: where the name under the cursor is declared in the pack,
//! from its last checked program. The same names as hover ([`crate::hover`]):
//! rules, parameters, tables, functions, records, enums, and every record field
//! or table column of that name (each is a place to go).

use heng_compiler::ir::Program;
use heng_compiler::source::Span;

/// The spans of every declaration named `word`.
pub fn declarations(program: &Program, word: &str) -> Vec<Span> {
    let named = |name: &str| name == word;
    let rules = program
        .rules
        .iter()
        .filter(|r| named(&r.id))
        .map(|r| r.span);
    let params = program
        .params
        .iter()
        .filter(|p| named(&p.name))
        .map(|p| p.span);
    let tables = program
        .tables
        .iter()
        .filter(|t| named(&t.name))
        .map(|t| t.span);
    let functions = program.functions.iter().filter(|f| named(&f.name));
    let records = program.records.iter().filter(|r| named(&r.name));
    let enums = program
        .enums
        .iter()
        .filter(|e| named(&e.name))
        .map(|e| e.span);
    let fields = program.records.iter().flat_map(|r| &r.fields);
    let columns = program.tables.iter().flat_map(|t| &t.columns);
    let fields = fields.chain(columns).filter(|f| named(&f.name));
    rules
        .chain(params)
        .chain(tables)
        .chain(functions.map(|f| f.span))
        .chain(records.map(|r| r.span))
        .chain(enums)
        .chain(fields.map(|f| f.span))
        .collect()
}
