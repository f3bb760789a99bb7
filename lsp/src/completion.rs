//! Completion: the names that can go where the cursor is, from the pack's last
//! checked program, each with its type and meaning (the national field names are
//! codes; `det_item_fee_sumamt` is offered with 明细项目费用总额).
//!
//! After `name.` come fields: of the fee line after `line.`, of a record whose
//! name is `name` in lower case (`visit.`), else every record field and table
//! column (a table row bound by `is some(row)` has no name the server can type
//! here). Elsewhere: parameters, tables, functions, the words of the language,
//! and records and enums. Only names starting with what is typed are offered.

use crate::hover::{signature, word_start};
use heng_compiler::ir::{FieldDecl, Program, RecordDecl};
use heng_compiler::types::Display;
use std::collections::BTreeMap;

/// A name offered, as the protocol's completion item has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    pub label: String,
    pub kind: Kind,
    /// Type or signature.
    pub detail: String,
    pub doc: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Rule,
    Field,
    Param,
    Table,
    Function,
    Keyword,
    Type,
}

/// What may complete the text before byte `offset` of `text`.
pub fn complete(program: &Program, text: &str, offset: usize) -> Vec<Offer> {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let typed_start = word_start(before);
    let typed = &before[typed_start..];
    let mut offers = match before[..typed_start].strip_suffix('.') {
        Some(owner) => fields(program, &owner[word_start(owner)..]),
        None => names(program),
    };
    offers.retain(|o| o.label.starts_with(typed));
    offers
}

/// The fields of `r`, each with its record's name.
fn of_record(r: &RecordDecl) -> Vec<(&str, &FieldDecl)> {
    r.fields.iter().map(|f| (r.name.as_str(), f)).collect()
}

/// The fields after `owner.`.
fn fields(program: &Program, owner: &str) -> Vec<Offer> {
    let record = match owner {
        "line" => program.fee_line_record().map(|r| program.record(r)),
        _ => program
            .records
            .iter()
            .find(|r| r.name.to_lowercase() == owner),
    };

    let candidates: Vec<(&str, &FieldDecl)> = match record {
        Some(r) => of_record(r),
        None => {
            let fields = program.records.iter().flat_map(of_record);
            let columns = program
                .tables
                .iter()
                .flat_map(|t| t.columns.iter().map(move |c| (t.name.as_str(), c)));
            fields.chain(columns).collect()
        }
    };
    // one offer per name: a field several records have shows each
    let mut by_name: BTreeMap<&str, Offer> = BTreeMap::new();
    for (owner, f) in candidates {
        let ty = format!("{owner}.{}: {}", f.name, Display(&f.ty, program));
        by_name
            .entry(&f.name)
            .and_modify(|o| {
                o.detail.push_str(" · ");
                o.detail.push_str(&ty);
            })
            .or_insert_with(|| Offer {
                label: f.name.clone(),
                kind: Kind::Field,
                detail: ty,
                doc: f.doc.clone(),
            });
    }
    by_name.into_values().collect()
}

/// The names an expression or a rule's clause may start with.
fn names(program: &Program) -> Vec<Offer> {
    let ty = |t| Display(t, program).to_string();
    let mut offers = Vec::new();
    for p in &program.params {
        let offer = (p.name.clone(), Kind::Param, ty(&p.ty), p.doc.clone());
        offers.push(offer);
    }
    for t in &program.tables {
        let detail = format!("tables/{}.csv", t.file);
        offers.push((t.name.clone(), Kind::Table, detail, t.doc.clone()));
    }
    for f in &program.functions {
        let detail = format!("fn {}", signature(f, program));
        offers.push((f.name.clone(), Kind::Function, detail, f.doc.clone()));
    }
    for r in &program.records {
        offers.push((r.name.clone(), Kind::Type, "record".into(), r.doc.clone()));
    }
    for e in &program.enums {
        offers.push((e.name.clone(), Kind::Type, "enum".into(), e.doc.clone()));
    }
    // the words of the language: reserved, and those that start a clause
    let words = heng_compiler::syntax::lexer::RESERVED.iter();
    for w in words.chain(heng_compiler::syntax::parser::CLAUSES) {
        offers.push((w.to_string(), Kind::Keyword, String::new(), String::new()));
    }
    offers
        .into_iter()
        .map(|(label, kind, detail, doc)| Offer {
            label,
            kind,
            detail,
            doc,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_text_typed_and_the_name_before_its_dot_are_read_back_from_the_cursor() {
        // without a program: nothing to offer but the words of the language
        let program = heng_compiler::ir::Program::default();
        let labels = |text: &str| -> Vec<String> {
            let offers = super::complete(&program, text, text.len());
            offers.into_iter().map(|o| o.label).collect()
        };
        assert_eq!(labels("  wh"), ["where", "when"]);
        assert_eq!(labels("  当 un"), ["unless"]);
        assert!(labels("line.wh").is_empty(), "after a dot only fields");
    }
}
