//! Native evaluation: rules compiled by Cranelift to machine code over a compact
//! record layout (`layout`), with codes interned to integers and every table
//! lookup resolved per distinct code (`intern`).
//!
//! Division of labour: native code decides whether a rule fires on a visit or a
//! line, the hot path where nearly every answer is "no"; the reference interpreter
//! renders the findings (severity, amount, message, evidence) of the few that fire
//! and reports faults with its spans and messages. So both engines produce the same
//! bytes by construction wherever a rule fires, and the differential tests check the
//! rest: that native code says "no" exactly where the interpreter does.
//!
//! A rule using a construct the code generator does not handle, or a pack on a host
//! Cranelift does not support, runs interpreted; [`NativeEngine::report`] says which.

mod codegen;
mod intern;
mod layout;
mod machine;

use crate::engine::Engine;
use crate::eval::{Evaluator, RuleOutcome};
use crate::pack::Pack;
use crate::value::Value;
use cranelift_frontend::FunctionBuilderContext;
use cranelift_module::{Linkage, Module};
use heng_compiler::ir::Scope;
use intern::{Interner, LookupSlot};
use layout::{Encoder, MAX_FIELDS, PrefixSets, PrefixSetsRef};
use machine::{CtxHold, RuleFn};

/// How the pack was compiled.
#[derive(Clone, Debug, Default)]
pub struct CompileReport {
    /// Rule ids running as native code.
    pub native: Vec<String>,
    /// Rule ids running interpreted, with the reason.
    pub interpreted: Vec<(String, String)>,
    /// Cranelift IR of each native rule, for inspection and golden tests.
    pub clif: Vec<(String, String)>,
}

/// The engine that runs compiled rules.
pub struct NativeEngine<'p> {
    pack: &'p Pack,
    evaluator: Evaluator<'p>,
    interner: Interner<'p>,
    sets: PrefixSets,
    /// One arena per table; compiled code holds their addresses.
    _tables: Vec<Vec<u64>>,
    _code: Option<machine::Code>,
    /// Per rule of the program: its native function, if compiled.
    rules: Vec<Option<RuleFn>>,
    pub report: CompileReport,
}

impl<'p> NativeEngine<'p> {
    /// Compiles every active rule of the pack it can; the rest run interpreted.
    pub fn new(pack: &'p Pack) -> Self {
        let program = &pack.program;
        let slots: Vec<LookupSlot> = codegen::lookups(program)
            .into_iter()
            .map(|(table, mode)| LookupSlot { table, mode })
            .collect();
        let interner = Interner::new(slots, &pack.tables);
        // `month(d)` yields interned text; the months of any plausible claim are
        // interned up front (others defer to the interpreter).
        for y in 1900..=2100 {
            for m in 1..=12 {
                interner.intern(&format!("{y:04}-{m:02}"));
            }
        }
        let mut sets = PrefixSets::default();
        let mut report = CompileReport::default();
        let mut rules = vec![None; program.rules.len()];

        let too_wide = program.records.iter().any(|r| r.fields.len() > MAX_FIELDS)
            || program.tables.iter().any(|t| t.columns.len() > MAX_FIELDS);
        let mut tables = Vec::new();
        let mut code = None;
        let outcome: Result<(), String> = (|| {
            if too_wide {
                return Err(format!(
                    "a record or table has more than {MAX_FIELDS} fields"
                ));
            }
            {
                let encoder = Encoder {
                    program,
                    interner: &interner,
                };
                for (t, table) in pack.tables.iter().enumerate() {
                    let mut arena = Vec::new();
                    let columns = &program.tables[t].columns;
                    for r in 0..table.len() {
                        encoder.record(
                            columns,
                            table.row(r as u32),
                            &mut arena,
                            &mut PrefixSetsRef::Build(&mut sets),
                        );
                    }
                    tables.push(arena);
                }
            }
            let mut module = machine::new_module()?;
            let helpers = codegen::Helpers::declare(&mut module)?;
            let mut env = codegen::Env {
                program,
                params: &pack.params,
                interner: &interner,
                sets: &mut sets,
                table_bases: tables
                    .iter()
                    .map(|a: &Vec<u64>| a.as_ptr() as i64)
                    .collect(),
            };
            let mut fctx = FunctionBuilderContext::new();
            let sig = codegen::rule_signature(&module);
            let mut ids = Vec::new();
            for (i, rule) in pack.active_rules() {
                let id = module
                    .declare_function(&format!("rule_{i}_{}", rule.id), Linkage::Local, &sig)
                    .map_err(|e| e.to_string())?;
                match codegen::compile_rule(&mut module, &mut fctx, &helpers, &mut env, rule, id) {
                    Ok(clif) => {
                        report.native.push(rule.id.clone());
                        report.clif.push((rule.id.clone(), clif));
                        ids.push((i, id));
                    }
                    Err(codegen::Unsupported(why)) => {
                        report.interpreted.push((rule.id.clone(), why))
                    }
                }
            }
            let fns = machine::finalize(
                &mut module,
                &ids.iter().map(|(_, id)| *id).collect::<Vec<_>>(),
            )?;
            for ((i, _), f) in ids.iter().zip(fns) {
                rules[*i] = Some(f);
            }
            code = Some(machine::Code::new(module));
            Ok(())
        })();
        if let Err(why) = outcome {
            rules.iter_mut().for_each(|r| *r = None);
            report.native.clear();
            report.clif.clear();
            report.interpreted = pack
                .active_rules()
                .map(|(_, r)| (r.id.clone(), why.clone()))
                .collect();
        }
        NativeEngine {
            pack,
            evaluator: Evaluator::new(program, &pack.params, &pack.tables),
            interner,
            sets,
            _tables: tables,
            _code: code,
            rules,
            report,
        }
    }
}

impl Engine for NativeEngine<'_> {
    fn eval_visit(&self, visit: &Value) -> Vec<(usize, RuleOutcome)> {
        self.eval_prepared(&self.prepare(visit), visit)
    }
}

/// A visit in the compact layout, ready for compiled rules.
pub struct Prepared {
    arena: Vec<u64>,
}

impl NativeEngine<'_> {
    /// Encodes a visit into the compact layout (interning its codes).
    pub fn prepare(&self, visit: &Value) -> Prepared {
        let mut arena = Vec::new();
        if let (Some(v), Value::Record(rec)) = (self.pack.program.visit, visit) {
            let encoder = Encoder {
                program: &self.pack.program,
                interner: &self.interner,
            };
            let fields = &self.pack.program.record(v).fields;
            encoder.record(
                fields,
                &rec.fields,
                &mut arena,
                &mut PrefixSetsRef::Fixed(&self.sets),
            );
        }
        Prepared { arena }
    }

    /// Evaluates the active rules on a prepared visit; `visit` is the same visit as a
    /// value, for rendering the findings of rules that fire.
    pub fn eval_prepared(&self, prepared: &Prepared, visit: &Value) -> Vec<(usize, RuleOutcome)> {
        let guard = self.interner.read();
        SCRATCH.with(|scratch| {
            let ctx = CtxHold::new(&guard, &self.sets.sets, scratch);
            self.run(&ctx, scratch, &prepared.arena, visit)
        })
    }
}

thread_local! {
    /// Per-thread memory for lists that compiled rules build.
    static SCRATCH: machine::Scratch = machine::Scratch::default();
}

impl NativeEngine<'_> {
    /// Runs every active rule on an encoded visit (word 0 of `arena`).
    fn run(
        &self,
        ctx: &CtxHold,
        scratch: &machine::Scratch,
        arena: &[u64],
        visit: &Value,
    ) -> Vec<(usize, RuleOutcome)> {
        let fd = self.pack.feedetail;
        let (offsets, n_lines) = match arena.get(1 + 2 * fd..3 + 2 * fd) {
            Some(&[off, len]) if arena.first().is_some_and(|h| h & (1 << fd) != 0) => {
                ((off / 8) as usize, len as usize)
            }
            _ => (0, 0),
        };
        let mut status = vec![0u8; n_lines];
        let mut out = Vec::new();
        for (i, rule) in self.pack.active_rules() {
            scratch.reset();
            let outcome = match (self.rules[i], rule.scope) {
                (None, _) => self.evaluator.eval_rule(rule, visit, fd),
                (Some(f), Scope::Visit) => match machine::call_visit(f, ctx, arena) {
                    0 => RuleOutcome::default(),
                    _ => self.evaluator.eval_rule_at(rule, visit, fd, None),
                },
                (Some(f), Scope::Line) => {
                    let mut outcome = RuleOutcome::default();
                    if n_lines > 0 {
                        machine::call_lines(f, ctx, arena, offsets, &mut status);
                    }
                    for (k, _) in status.iter().enumerate().filter(|(_, s)| **s != 0) {
                        let o = self.evaluator.eval_rule_at(rule, visit, fd, Some(k));
                        outcome.hits.extend(o.hits);
                        outcome.errors.extend(o.errors);
                    }
                    outcome
                }
            };
            out.push((i, outcome));
        }
        out
    }
}
