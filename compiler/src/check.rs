//! The checker: resolves names and types of a whole pack and lowers it to the
//! typed IR. It never stops at the first problem: every item is checked, an
//! expression that is wrong gets `Type::Error` so the mistake is reported once.

mod expr;
mod forms;
mod history;
mod items;
mod names;
mod param_map;
mod rule;
mod scope;
pub mod settlement;
pub mod similar;
pub mod value_text;

use crate::diagnostic::{self, Diagnostic};
use crate::ir::{ParamId, Program};
use crate::source::{FileId, SourceMap};
use crate::syntax::{self, ast};
use crate::types::{EnumId, RecordId, TableId, Type};
use std::collections::HashMap;

/// The built-in declarations every pack sees (the `Severity` enum).
pub const PRELUDE: &str = include_str!("check/prelude.heng");
/// Path under which the prelude appears in diagnostics.
pub const PRELUDE_PATH: &str = "<prelude>";

/// The result of checking a pack: the program (usable even with errors, e.g. for
/// the editor) and every diagnostic, sorted by position.
#[derive(Debug)]
pub struct Checked {
    pub program: Program,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Checks every `.heng` file of `sources` (in their order) together with the prelude.
pub fn check(sources: &mut SourceMap) -> Checked {
    let prelude = sources.add(PRELUDE_PATH, PRELUDE);
    let mut files: Vec<FileId> = sources
        .files()
        .filter(|(_, f)| f.path.ends_with(".heng"))
        .map(|(id, _)| id)
        .collect();
    files.retain(|f| *f != prelude);
    files.insert(0, prelude);

    let mut diags = Vec::new();
    let mut modules = Vec::new();
    for &file in &files {
        let (module, d) = syntax::parse(file, &sources.get(file).text);
        diags.extend(d);
        modules.push((file, module));
    }
    let mut checker = Checker::new(sources);
    checker.check_modules(&modules);
    diags.extend(checker.diags);
    diagnostic::sort(&mut diags);
    Checked {
        program: checker.program,
        diagnostics: diags,
    }
}

/// Global names of the pack.
#[derive(Default)]
struct Names {
    records: HashMap<String, RecordId>,
    enums: HashMap<String, EnumId>,
    tables: HashMap<String, TableId>,
    params: HashMap<String, ParamId>,
    funcs: HashMap<String, crate::ir::FuncId>,
    /// Variant name → every enum that has it.
    variants: HashMap<String, Vec<(EnumId, u32)>>,
}

struct Checker<'s> {
    sources: &'s SourceMap,
    diags: Vec<Diagnostic>,
    program: Program,
    names: Names,
    used_params: Vec<bool>,
    used_tables: Vec<bool>,
    /// Calls made by each function's body (for the recursion check).
    calls: Vec<Vec<(crate::ir::FuncId, crate::source::Span)>>,
    current_fn: Option<crate::ir::FuncId>,
}

impl<'s> Checker<'s> {
    fn new(sources: &'s SourceMap) -> Self {
        Checker {
            sources,
            diags: Vec::new(),
            program: Program::default(),
            names: Names::default(),
            used_params: Vec::new(),
            used_tables: Vec::new(),
            calls: Vec::new(),
            current_fn: None,
        }
    }

    fn check_modules(&mut self, modules: &[(FileId, ast::Module)]) {
        let items: Vec<(FileId, &ast::Item)> = modules
            .iter()
            .flat_map(|(f, m)| m.items.iter().map(move |i| (*f, i)))
            .collect();
        self.declare(&items);
        self.define_types(&items);
        self.define_params(&items);
        self.define_function_bodies(&items);
        self.check_recursion();
        for (file, item) in &items {
            match item {
                ast::Item::Rule(r) => {
                    let source = &self.sources.get(*file).text;
                    if let Some(rule) = self.rule(r, source) {
                        self.program.rules.push(rule);
                    }
                }
                ast::Item::Settlement(s) => {
                    let Some(settlement) = self.settlement(s) else {
                        continue;
                    };
                    match &self.program.settlement {
                        Some(first) => self.diags.push(
                            diagnostic::Diagnostic::error(
                                diagnostic::codes::ONE_SETTLEMENT,
                                s.name.span,
                                crate::text!(
                                    "规则包已有结算 `{}`",
                                    "the pack already has the settlement `{}`",
                                    first.id
                                ),
                            )
                            .label(crate::text!("第二个结算", "a second settlement"))
                            .secondary(
                                first.span,
                                crate::text!("第一个在这里", "the first is here"),
                            ),
                        ),
                        None => self.program.settlement = Some(settlement),
                    }
                }
                _ => {}
            }
        }
        self.warn_unused(&items);
    }

    fn type_names(&self) -> &Program {
        &self.program
    }

    fn show(&self, ty: &Type) -> String {
        crate::types::Display(ty, self.type_names()).to_string()
    }
}
