//! The settlement in native code: each pass compiled to one function
//! (`codegen/settle.rs`) that writes a visit's outputs, `add`s and totals as
//! words; here they become the same values the interpreter computes, and the
//! `add`s and totals are applied as it applies them (`eval::settle::commit`).
//! A pass that does not compile, a fault, or a value native code cannot hand back
//! leaves the visit to the interpreter.

use super::codegen::{self, Helpers, Pass, SettleWords};
use super::indicators::value_of_words;
use super::machine::{self, RuleFn};
use super::{NativeEngine, Prepared, SCRATCH};
use crate::eval::{Settled, Totals, settle::commit};
use crate::value::Value;
use cranelift_codegen::ir::Signature;
use cranelift_frontend::FunctionBuilderContext;
use cranelift_jit::JITModule;
use cranelift_module::{FuncId, Linkage, Module};
use heng_compiler::ir::{SettleStep, Settlement};
use rust_decimal::Decimal;

/// The functions of a settlement's passes, declared in the module.
pub(super) struct SettleIds {
    second: FuncId,
    collecting: Option<FuncId>,
}

/// The compiled passes of a settlement and where they write.
pub(super) struct SettleFns {
    second: RuleFn,
    /// Only when the settlement has batch totals: the pass that sums them.
    collecting: Option<(Pass, RuleFn)>,
    words: SettleWords,
}

/// The pass of `s` that sums its batch totals: the single pass when it has one.
fn collecting(s: &Settlement) -> Pass {
    match s.single_pass {
        true => Pass::Single,
        false => Pass::First,
    }
}

/// Declares and builds the passes of `s` (the second, and the one that sums its
/// totals when it has some). The outer error is the module's; the inner one says
/// what does not compile.
pub(super) fn compile(
    s: &Settlement,
    module: &mut JITModule,
    fctx: &mut FunctionBuilderContext,
    helpers: &Helpers,
    env: &mut codegen::Env,
    sig: &Signature,
) -> Result<Result<SettleIds, String>, String> {
    let both = [Pass::Second, collecting(s)];
    let passes = &both[..if s.totals.is_empty() { 1 } else { 2 }];
    // built without defining first, so that nothing is defined unless every
    // pass compiles
    for &pass in passes {
        let unit = codegen::Unit::Settlement(s, pass);
        if let Err(codegen::Unsupported(why)) =
            codegen::compile(module, fctx, helpers, env, unit, None)
        {
            return Ok(Err(why));
        }
    }
    let mut ids = Vec::new();
    for &pass in passes {
        let name = format!("settle_{}_{pass:?}", s.id);
        let id = module
            .declare_function(&name, Linkage::Local, sig)
            .map_err(|e| e.to_string())?;
        let unit = codegen::Unit::Settlement(s, pass);
        codegen::compile(module, fctx, helpers, env, unit, Some(id))
            .map_err(|codegen::Unsupported(why)| why)?;
        ids.push(id);
    }
    Ok(Ok(SettleIds {
        second: ids[0],
        collecting: ids.get(1).copied(),
    }))
}

impl SettleIds {
    /// The declared functions, in the order [`SettleIds::finish`] takes them.
    pub(super) fn ids(&self) -> impl Iterator<Item = FuncId> {
        std::iter::once(self.second).chain(self.collecting)
    }

    /// The compiled passes, given the finalized functions in the order of `ids`.
    pub(super) fn finish(&self, fns: Vec<RuleFn>, s: &Settlement) -> Option<SettleFns> {
        Some(SettleFns {
            second: *fns.first()?,
            collecting: fns.get(1).map(|f| (collecting(s), *f)),
            words: SettleWords::of(s)?,
        })
    }
}

thread_local! {
    /// Per-thread encoded visit of a settlement (apart from the audit's, which
    /// holds a whole patient when rules read history).
    static PREPARED: std::cell::RefCell<Prepared> = std::cell::RefCell::default();
}

impl NativeEngine<'_> {
    /// Settles `visit` in native code, updating the accumulators (and, in a first
    /// pass, the totals) as the interpreter does; `None`: the interpreter settles
    /// it, and words any error.
    pub(super) fn native_settle(
        &self,
        s: &Settlement,
        visit: &Value,
        accumulators: &mut [Decimal],
        totals: &mut Totals,
    ) -> Option<Settled> {
        let fns = self.settle_fns.as_ref()?;
        let pass = match totals {
            Totals::Collect(_) => Pass::First,
            Totals::Single(_) => Pass::Single,
            Totals::Known(_) => Pass::Second,
        };
        let f = match fns.collecting {
            _ if pass == Pass::Second => fns.second,
            Some((collects, f)) if collects == pass => f,
            _ => return None,
        };
        let w = &fns.words;
        let n = match visit {
            Value::Record(r) => r.fields.get(self.pack.feedetail)?.as_list().len(),
            _ => return None,
        };
        let mut input: Vec<u64> = Vec::with_capacity(2 * accumulators.len() + 2);
        let known = match totals {
            Totals::Known(k) => &k[..],
            Totals::Collect(_) | Totals::Single(_) => &[],
        };
        for d in accumulators.iter().chain(known) {
            let (lo, hi) = super::dec_words::dec_words(*d);
            input.extend([lo, hi]);
        }
        let mut out = vec![0u64; w.fixed + n * (1 + w.stride)];
        PREPARED.with_borrow_mut(|prepared| {
            // a second arena of the visit only when the audit's encodes it too:
            // settling alone, a code met in an earlier visit is worth a shared id
            // (else each visit numbers its `med_type` afresh)
            prepared.locals.again = !self.plan.is_empty();
            // encoding may intern new texts (the interner's write lock): before
            // the read guard is taken
            self.prepare_into(visit, prepared);
            let guard = self.interner.read();
            let status = SCRATCH.with(|scratch| {
                scratch.reset();
                let ctx = self.ctx(&guard, scratch, prepared);
                machine::call_settle(f, &ctx, &prepared.arena, prepared.at, &input, &mut out)
            });
            if status != 0 {
                return None;
            }
            let read = |ty, at: usize| {
                value_of_words(
                    ty,
                    &mut out[at..].iter().copied(),
                    &guard.texts,
                    &prepared.locals,
                )
            };
            let mut lines = Vec::with_capacity(n * w.line_slots.len());
            for i in 0..n {
                let rec = w.fixed + n + i * w.stride;
                for (step, slot) in s.line_steps.iter().zip(&w.line_slots) {
                    if let (SettleStep::Bind { expr, .. }, Some(at)) = (step, slot) {
                        lines.push(match pass.of_lines(s).skips(step) {
                            true => Value::Absent,
                            false => read(&expr.ty, rec + at)?,
                        });
                    }
                }
            }
            // every line has as many outputs
            let per_line = lines.len().checked_div(n).unwrap_or(0);
            // room for every step: pushing from empty grows each a few times
            let steps = s.visit_steps.len();
            let mut outputs = Vec::with_capacity(steps);
            let (mut adds, mut sums) = (Vec::with_capacity(steps), Vec::with_capacity(steps));
            let mut saved = Vec::with_capacity(steps);
            for (step, slot) in s.visit_steps.iter().zip(&w.visit_slots) {
                let Some(at) = *slot else { continue };
                let decimal = || match read(&heng_compiler::types::Type::Decimal, at)? {
                    Value::Decimal(d) => Some(d),
                    _ => None,
                };
                let skipped = pass.skips(step);
                match step {
                    SettleStep::Bind {
                        expr,
                        output,
                        saved: save,
                        ..
                    } => {
                        let v = match skipped {
                            true => Value::Absent,
                            false => read(&expr.ty, at)?,
                        };
                        if *save && pass == Pass::Single {
                            saved.push(v.clone());
                        }
                        if *output {
                            outputs.push(v);
                        }
                    }
                    SettleStep::Add {
                        accumulator, expr, ..
                    } if !skipped => adds.push((*accumulator, decimal()?, expr.span)),
                    SettleStep::Total { total, expr, .. } if pass.collects() => {
                        sums.push((*total, decimal()?, expr.span))
                    }
                    _ => {}
                }
            }
            commit(accumulators, totals, adds, sums).ok()?;
            Some(Settled {
                visit: outputs,
                lines,
                line_outputs: per_line,
                saved,
            })
        })
    }
}
