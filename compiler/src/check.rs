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

/// Which pack each source file comes from, when a pack imports others. A rule (or
/// settlement) of a pack replaces the one with the same id in a pack it imports;
/// within one pack, or between packs neither of which imports the other, the same
/// id twice stays a duplicate definition.
#[derive(Clone, Debug, Default)]
pub struct Packs {
    /// The pack of each file; files not listed belong to pack 0.
    pub of_file: HashMap<FileId, usize>,
    /// `imports[p]`: the packs `p` imports, directly or through other packs.
    pub imports: Vec<Vec<usize>>,
}

impl Packs {
    fn of(&self, file: FileId) -> usize {
        self.of_file.get(&file).copied().unwrap_or(0)
    }

    /// Whether pack `p` imports pack `q` (directly or not).
    fn imports(&self, p: usize, q: usize) -> bool {
        self.imports.get(p).is_some_and(|i| i.contains(&q))
    }
}

/// Checks every `.heng` file of `sources` (in their order) together with the prelude.
pub fn check(sources: &mut SourceMap) -> Checked {
    check_packs(sources, &Packs::default())
}

/// [`check`] for a pack and the packs it imports, their files in `sources`: a
/// rule replaces an imported rule with the same id (see [`Packs`]).
pub fn check_packs(sources: &mut SourceMap, packs: &Packs) -> Checked {
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
    checker.check_modules(&modules, packs);
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
    /// Rules and settlements replaced by one of an importing pack (by the span
    /// of their name): checked, but left out of the program.
    replaced: std::collections::HashSet<crate::source::Span>,
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
            replaced: Default::default(),
        }
    }

    fn check_modules(&mut self, modules: &[(FileId, ast::Module)], packs: &Packs) {
        let items: Vec<(FileId, &ast::Item)> = modules
            .iter()
            .flat_map(|(f, m)| m.items.iter().map(move |i| (*f, i)))
            .collect();
        self.replaced = replaced(&items, packs);
        self.declare(&items);
        self.define_types(&items);
        self.define_params(&items);
        self.define_function_bodies(&items);
        self.check_recursion();
        for (file, item) in &items {
            match item {
                ast::Item::Rule(r) => {
                    let source = &self.sources.get(*file).text;
                    if let Some(rule) = self.rule(r, source)
                        && !self.replaced.contains(&r.name.span)
                    {
                        self.program.rules.push(rule);
                    }
                }
                ast::Item::Settlement(s) => {
                    let Some(settlement) = self.settlement(s) else {
                        continue;
                    };
                    if self.replaced.contains(&s.name.span) {
                        continue;
                    }
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

/// The rules and settlements (by the span of their name) that a rule or settlement
/// of the same kind and id replaces, from a pack importing theirs.
fn replaced(
    items: &[(FileId, &ast::Item)],
    packs: &Packs,
) -> std::collections::HashSet<crate::source::Span> {
    let kind = |i: &ast::Item| match i {
        ast::Item::Rule(_) => Some(0),
        ast::Item::Settlement(_) => Some(1),
        _ => None,
    };
    let mut out = std::collections::HashSet::new();
    if packs.imports.is_empty() {
        return out;
    }
    for (file, item) in items {
        let Some(k) = kind(item) else { continue };
        let name = item.name();
        let pack = packs.of(*file);
        let overridden = items.iter().any(|(f, other)| {
            kind(other) == Some(k)
                && other.name().name == name.name
                && packs.imports(packs.of(*f), pack)
        });
        if overridden {
            out.insert(name.span);
        }
    }
    out
}
