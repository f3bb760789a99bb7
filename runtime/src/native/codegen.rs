//! Typed IR → Cranelift IR for one rule's decision: the rule's `let`, `when` and
//! `unless` steps compiled to a native function over the compact layout that says
//! whether the rule fires on a visit (or one of its lines), does not, or meets a
//! runtime fault. Values live in SSA form, one or more machine values per IR type
//! ([`repr`]); an optional value carries a leading presence flag.
//!
//! What a rule decides is computed here; what a finding says (severity, amount,
//! message, evidence, lines) is rendered by the reference interpreter for the rare
//! lines that fire, so both engines share one renderer. Status 2 hands the decision
//! to the interpreter: on a fault, which it reports with its span and message, and
//! on values native code does not handle (a date before year 1, a month outside
//! 1900–2100).

mod dates;
mod decimals;
mod expr;
mod history;
mod lists;
mod param_map;
mod plan;
mod select;
mod settle;

pub use plan::{defers, fires_once, group_words, kept_lets, kept_words, lookups};
pub use settle::{Pass, SettleWords};

use super::dec_words::dec_words;
use super::intern::Interner;
use super::layout::{Layout, Of, PrefixSets, days, secs};
use super::machine;
use crate::value::Value;
use cranelift_codegen::ir::Value as Val;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    AbiParam, Block, FuncRef, InstBuilder, MemFlagsData, Signature, UserFuncName, types,
};
use cranelift_codegen::packed_option::ReservedValue;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::JITModule;
use cranelift_module::{FuncId, Linkage, Module};
use heng_compiler::ir::{
    Const, Expr, LINE_LOCAL, Program, Rule, Scope, Settlement, Step, VISIT_LOCAL,
};
use heng_compiler::types::Type;
use std::collections::HashMap;

/// A construct this backend does not compile; the rule then runs interpreted.
#[derive(Debug)]
pub struct Unsupported(pub String);

type R<T> = Result<T, Unsupported>;

fn unsupported<T>(what: &str) -> R<T> {
    Err(Unsupported(what.to_string()))
}

/// Machine values of an IR type.
pub fn repr(ty: &Type) -> Vec<types::Type> {
    match ty {
        Type::Bool => vec![types::I8],
        Type::Int | Type::DateTime => vec![types::I64],
        Type::Decimal => vec![types::I64, types::I64],
        Type::Text | Type::Code | Type::Prefixes | Type::Enum(_) | Type::Date | Type::Row(_) => {
            vec![types::I32]
        }
        Type::Record(_) => vec![types::I64],
        Type::List(_) => vec![types::I64, types::I64],
        Type::Option(t) => {
            let mut v = vec![types::I8];
            v.extend(repr(t));
            v
        }
        Type::Error => vec![],
    }
}

/// What compiled code may depend on, fixed when the engine is built.
pub struct Env<'a> {
    pub program: &'a Program,
    pub params: &'a [Value],
    pub interner: &'a Interner<'a>,
    pub sets: &'a mut PrefixSets,
    pub layout: &'a Layout,
    /// Address of each table's first row.
    pub table_bases: Vec<i64>,
    /// The visit's fee-line list field.
    pub feedetail: usize,
    /// Whether [`compile`] writes out the Cranelift IR it builds.
    pub clif: bool,
}

/// What one compiled function computes.
pub enum Unit<'r> {
    /// A single `each visit` or `each group` rule, or `each line` rules fused.
    Rules(&'r [&'r Rule]),
    /// One pass of a settlement.
    Settlement(&'r Settlement, Pass),
}

/// Helper functions declared in the module, by name.
pub struct Helpers {
    ids: HashMap<&'static str, FuncId>,
}

const I64: types::Type = types::I64;
const I32: types::Type = types::I32;
const I8: types::Type = types::I8;

impl Helpers {
    pub fn declare(module: &mut JITModule) -> Result<Helpers, String> {
        let dec2 = (vec![I64, I64, I64, I64], vec![I64, I64]);
        type Sig = (Vec<types::Type>, Vec<types::Type>);
        let list: Vec<(&'static str, Sig)> = vec![
            ("heng_dec_add", dec2.clone()),
            ("heng_dec_sub", dec2.clone()),
            ("heng_dec_mul", dec2.clone()),
            ("heng_dec_div", dec2.clone()),
            ("heng_dec_round", dec2),
            ("heng_dec_neg", (vec![I64, I64], vec![I64, I64])),
            ("heng_dec_from_int", (vec![I64], vec![I64, I64])),
            ("heng_dec_cmp", (vec![I64, I64, I64, I64], vec![I32])),
            ("heng_text_cmp", (vec![I64, I32, I32], vec![I32])),
            ("heng_starts_with", (vec![I64, I32, I32], vec![I8])),
            ("heng_matches_any", (vec![I64, I32, I32], vec![I8])),
            ("heng_in_code_range", (vec![I64, I32, I32, I32], vec![I8])),
            ("heng_add_days", (vec![I32, I64], vec![I64])),
            ("heng_add_days_secs", (vec![I64, I64], vec![I64])),
            ("heng_week_start", (vec![I32], vec![I64])),
            ("heng_month_start", (vec![I32], vec![I64])),
            ("heng_year_start", (vec![I32], vec![I64])),
            ("heng_scratch", (vec![I64, I64], vec![I64])),
            (
                "heng_lines_with_prefix",
                (vec![I64, I64, I64, I32], vec![I64, I64]),
            ),
            ("heng_all_rows", (vec![I64, I64, I32], vec![I64, I64])),
            ("heng_month", (vec![I64, I32], vec![I64])),
        ];
        let mut ids = HashMap::new();
        for (name, (params, returns)) in list {
            let mut sig = module.make_signature();
            sig.params.extend(params.into_iter().map(AbiParam::new));
            sig.returns.extend(returns.into_iter().map(AbiParam::new));
            let id = module
                .declare_function(name, Linkage::Import, &sig)
                .map_err(|e| e.to_string())?;
            ids.insert(name, id);
        }
        Ok(Helpers { ids })
    }
}

/// The signature of every compiled rule (see `machine::RuleFn`).
pub fn rule_signature(module: &JITModule) -> Signature {
    let mut sig = module.make_signature();
    sig.params
        .extend([I64, I64, I64, I64, I64, I64].map(AbiParam::new));
    sig.returns.push(AbiParam::new(I64));
    sig
}

/// Builds the native decision of `rules`: a single `each visit` rule, or `each line`
/// rules fused into one loop over the fee lines (so what they share, like a lookup
/// of the line's code or the visit's class, is computed once per line or once per
/// call). With `define`, the function is defined in the module (and its Cranelift
/// IR, with `Env::clif`, is as optimized); without, it is only built, to learn
/// whether the rules compile (and for their Cranelift IR as built). On an
/// unsupported construct nothing is defined: the caller runs the rule interpreted.
pub fn compile(
    module: &mut JITModule,
    fctx: &mut FunctionBuilderContext,
    helpers: &Helpers,
    env: &mut Env,
    unit: Unit,
    define: Option<FuncId>,
) -> R<Option<String>> {
    let target = module.target_config();
    let mut ctx = module.make_context();
    ctx.func.signature = rule_signature(module);
    ctx.func.name = UserFuncName::user(0, define.map_or(0, |f| f.as_u32()));
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let params = b.block_params(entry).to_vec();
        let mut g = Gen {
            b,
            module,
            helpers,
            env,
            refs: HashMap::new(),
            ctx: params[0],
            base: params[1],
            // each rule gets its own (see `enter_rule`)
            fault: Block::reserved_value(),
            frames: Vec::new(),
            settled: None,
        };
        let built = match unit {
            Unit::Rules([rule]) if rule.scope == Scope::Visit => g.visit_rule(rule, params[2]),
            Unit::Rules([rule]) if rule.scope == Scope::Group => {
                g.group_rule(rule, params[2], params[3])
            }
            Unit::Rules(rules) => g.line_rules(rules, &params),
            Unit::Settlement(s, pass) => g.settlement(s, pass, &params),
        };
        if let Err(e) = built {
            // the builder stopped half way: its context must not be reused as it is
            drop(g);
            *fctx = FunctionBuilderContext::new();
            return Err(e);
        }
        g.b.seal_all_blocks();
        g.b.finalize(target);
    }
    if let Some(func) = define {
        // defining optimizes `ctx.func` in place
        module
            .define_function(func, &mut ctx)
            .map_err(|e| Unsupported(format!("code generation failed: {e}")))?;
    }
    let clif = env.clif.then(|| ctx.func.display().to_string());
    module.clear_context(&mut ctx);
    Ok(clif)
}

impl Gen<'_, '_, '_> {
    /// A fresh scope and fault block for one rule, binding `visit` (and `line`).
    fn enter_rule(&mut self, visit: Val, line: Option<Val>) {
        self.fault = self.b.create_block();
        self.b.set_cold_block(self.fault);
        self.frames = vec![HashMap::new()];
        let visit_ty = self
            .env
            .program
            .visit
            .map(Type::Record)
            .unwrap_or(Type::Error);
        self.bind(VISIT_LOCAL.0, &visit_ty, &[visit]);
        if let Some(line) = line {
            let line_ty = Type::Record(heng_compiler::types::RecordId(u32::MAX));
            self.bind(LINE_LOCAL.0, &line_ty, &[line]);
        }
    }

    /// An `each visit` rule returns 0 (does not fire), 1 (fires) or 2 (fault).
    fn visit_rule(&mut self, rule: &Rule, visit: Val) -> R<()> {
        self.enter_rule(visit, None);
        let no = self.b.create_block();
        let native = self.steps(&rule.steps, no)?;
        for (block, status) in [(None, 1), (Some(no), 0), (Some(self.fault), 2)] {
            match block {
                Some(block) => self.b.switch_to_block(block),
                None if !native => continue,
                None => {}
            }
            let v = self.b.ins().iconst(I64, status);
            self.b.ins().return_(&[v]);
        }
        Ok(())
    }

    /// An `each group` rule's keys and totals for one visit, in order, written to
    /// `out` as words (each part of a value's [`repr`] widened to a word, see
    /// [`group_words`]). Returns 0, or 2 on a fault.
    fn group_rule(&mut self, rule: &Rule, visit: Val, out: Val) -> R<()> {
        let Some(of) = &rule.group_of else {
            return unsupported("an `each group` rule without keys");
        };
        self.enter_rule(visit, None);
        let mut at = 0;
        for (_, e) in of.keys.iter().chain(&of.totals) {
            let Some(words) = group_words(&e.ty) else {
                return unsupported("a key or total of this type");
            };
            let v = self.expr(e)?;
            self.store_words(&v, out, at);
            at += 8 * words as i32;
        }
        self.return_ok_or_fault();
        Ok(())
    }

    /// Returns 0 from the current block, and 2 from the fault block.
    fn return_ok_or_fault(&mut self) {
        let ok = self.b.ins().iconst(I64, 0);
        self.b.ins().return_(&[ok]);
        self.b.switch_to_block(self.fault);
        let fault = self.b.ins().iconst(I64, 2);
        self.b.ins().return_(&[fault]);
    }

    /// Stores the [`kept_lets`] of `rule`, which fires on line `i`, at word
    /// `i · per_line + before` of `Ctx::lets`.
    fn keep_lets(&mut self, rule: &Rule, i: Variable, per_line: usize, before: usize) -> R<()> {
        let kept = kept_lets(rule);
        if kept.is_empty() {
            return Ok(());
        }
        let lets = self
            .b
            .ins()
            .load(I64, mem_ro(), self.ctx, machine::CTX_LETS);
        let iv = self.b.use_var(i);
        let row = self.b.ins().imul_imm_s(iv, 8 * per_line as i64);
        let to = self.b.ins().iadd(lets, row);
        let mut at = 8 * before as i32;
        for (local, _, words) in kept {
            let Some(vars) = self.frames.last().and_then(|f| f.get(&local.0)).cloned() else {
                return unsupported("a `let` not bound where the rule fires");
            };
            let vals: Vec<Val> = vars.iter().map(|v| self.b.use_var(*v)).collect();
            self.store_words(&vals, to, at);
            at += 8 * words as i32;
        }
        Ok(())
    }

    /// Stores each part of a value (see [`repr`]) as a word from byte `at` of `to`.
    fn store_words(&mut self, vals: &[Val], to: Val, at: i32) {
        for (k, v) in vals.iter().enumerate() {
            let w = match self.b.func.dfg.value_type(*v) {
                I64 => *v,
                _ => self.b.ins().uextend(I64, *v),
            };
            self.b.ins().store(mem_rw(), w, to, at + 8 * k as i32);
        }
    }

    /// `each line` rules: for every fee line `i` and rule `j`, status byte `j·n + i`
    /// becomes 1 (fires) or 2 (fault); the caller zeroes the bytes (0: does not fire).
    /// Returns a mask with bit `min(j, 63)` set if rule `j` fired or faulted on a line.
    fn line_rules(&mut self, rules: &[&Rule], params: &[Val]) -> R<()> {
        let (visit, offsets, n, out) = (params[2], params[3], params[4], params[5]);
        let mask = self.b.declare_var(I64);
        let zero = self.b.ins().iconst(I64, 0);
        self.b.def_var(mask, zero);
        let exit = self.b.create_block();
        let (lp, iv) = self.counted_loop(n, exit);
        let i = lp.i;
        let at = self.b.ins().ishl_imm_s(iv, 3);
        let slot = self.b.ins().iadd(offsets, at);
        let rel = self.b.ins().load(I64, mem_ro(), slot, 0);
        let line = self.b.ins().iadd(self.base, rel);
        let per_line: usize = rules.iter().map(|r| kept_words(r)).sum();
        let mut before = 0;
        for (j, rule) in rules.iter().enumerate() {
            self.enter_rule(visit, Some(line));
            let (done, fault) = (self.b.create_block(), self.fault);
            let native = self.steps(&rule.steps, done)?;
            for (block, status) in [(None, 1), (Some(fault), 2)] {
                match block {
                    Some(block) => self.b.switch_to_block(block),
                    None if !native => continue,
                    None => self.keep_lets(rule, i, per_line, before)?,
                }
                let iv = self.b.use_var(i);
                let row = self.b.ins().imul_imm_s(n, j as i64);
                let k = self.b.ins().iadd(row, iv);
                let addr = self.b.ins().iadd(out, k);
                let st = self.b.ins().iconst(I8, status);
                self.b.ins().store(mem_rw(), st, addr, 0);
                let m = self.b.use_var(mask);
                let m = self.b.ins().bor_imm_s(m, 1 << j.min(63));
                self.b.def_var(mask, m);
                self.b.ins().jump(done, &[]);
            }
            self.b.switch_to_block(done);
            before += kept_words(rule);
        }
        self.next_iteration(&lp);
        self.b.switch_to_block(exit);
        let m = self.b.use_var(mask);
        self.b.ins().return_(&[m]);
        Ok(())
    }
}

struct Gen<'a, 'b, 'e> {
    b: FunctionBuilder<'b>,
    module: &'a mut JITModule,
    helpers: &'a Helpers,
    env: &'a mut Env<'e>,
    refs: HashMap<&'static str, FuncRef>,
    ctx: Val,
    base: Val,
    fault: Block,
    /// Local slots → variables, one frame per inlined function call.
    frames: Vec<HashMap<u32, Vec<Variable>>>,
    /// In a settlement's visit part: where its settled-line records keep their
    /// fields.
    settled: Option<SettleWords>,
}

/// Loads of memory no compiled code writes while it runs: visit and table arenas,
/// lookup arrays, the context. Such loads are pure, so Cranelift shares them between
/// rules and hoists those that do not depend on the line out of the line loop, even
/// above the checks that guard them; the layout pads every arena so that such a
/// speculative load stays inside it (`layout::PAD_WORDS`).
fn mem_ro() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly().with_can_move()
}

/// Memory compiled code writes or may write: the status bytes, and list element
/// offsets (a `filter` builds its lists in scratch memory).
fn mem_rw() -> MemFlagsData {
    MemFlagsData::trusted()
}

impl Gen<'_, '_, '_> {
    /// The rule's `let`, `when` and `unless` steps; a failed condition jumps to `no`.
    ///
    /// At the first step that needs the interpreter (see [`defers`]) the compiled
    /// code stops and defers: the steps before it are a native guard, so the
    /// interpreter only runs where they all pass.
    /// Returns whether the steps all compiled (`false`: the code defers).
    fn steps(&mut self, steps: &[Step], no: Block) -> R<bool> {
        for (k, step) in steps.iter().enumerate() {
            if defers(step, self.env.program) {
                self.b.ins().jump(self.fault, &[]);
                return Ok(false);
            }
            match step {
                Step::Let(l, e) => {
                    let v = self.expr(e)?;
                    self.bind(l.0, &e.ty, &v);
                }
                Step::When(c) => {
                    let v = self.expr(c)?;
                    let next = self.b.create_block();
                    self.b.ins().brif(v[0], next, &[], no, &[]);
                    self.b.switch_to_block(next);
                }
                Step::Unless(c) => {
                    let v = self.expr(c)?;
                    let next = self.b.create_block();
                    self.b.ins().brif(v[0], no, &[], next, &[]);
                    self.b.switch_to_block(next);
                }
                Step::For { var, list, filter } => {
                    return self.for_step(var.0, list, filter.as_ref(), &steps[k + 1..], no);
                }
            }
        }
        Ok(true)
    }

    pub(super) fn bind(&mut self, local: u32, ty: &Type, vals: &[Val]) {
        let vars: Vec<Variable> = match self.frames.last().and_then(|f| f.get(&local)) {
            Some(v) => v.clone(),
            None => {
                let tys: Vec<types::Type> = vals
                    .iter()
                    .map(|v| self.b.func.dfg.value_type(*v))
                    .collect();
                let _ = ty;
                tys.into_iter().map(|t| self.b.declare_var(t)).collect()
            }
        };
        for (var, v) in vars.iter().zip(vals) {
            self.b.def_var(*var, *v);
        }
        if let Some(f) = self.frames.last_mut() {
            f.insert(local, vars);
        }
    }

    pub(super) fn call(&mut self, name: &'static str, args: &[Val]) -> Vec<Val> {
        let fref = match self.refs.get(name) {
            Some(f) => *f,
            None => {
                let id = self.helpers.ids[name];
                let f = self.module.declare_func_in_func(id, self.b.func);
                self.refs.insert(name, f);
                f
            }
        };
        let inst = self.b.ins().call(fref, args);
        self.b.inst_results(inst).to_vec()
    }

    /// Jumps to the fault block when `cond` (an integer flag) is non-zero.
    pub(super) fn fault_if(&mut self, cond: Val) {
        let ok = self.b.create_block();
        self.b.ins().brif(cond, self.fault, &[], ok, &[]);
        self.b.switch_to_block(ok);
    }

    /// A decimal helper result: faults on the marker bit.
    pub(super) fn dec_result(&mut self, r: Vec<Val>) -> Vec<Val> {
        let bit = self.b.ins().band_imm_s(r[0], 1);
        self.fault_if(bit);
        r
    }

    pub(super) fn zeros(&mut self, ty: &Type) -> Vec<Val> {
        repr(ty)
            .into_iter()
            .map(|t| self.b.ins().iconst(t, 0))
            .collect()
    }

    pub(super) fn konst(&mut self, c: &Const) -> R<Vec<Val>> {
        Ok(match c {
            Const::Bool(b) => vec![self.b.ins().iconst(I8, i64::from(*b))],
            Const::Int(i) => vec![self.b.ins().iconst(I64, *i)],
            Const::Decimal(d) => {
                let (lo, hi) = dec_words(*d);
                vec![
                    self.b.ins().iconst(I64, lo as i64),
                    self.b.ins().iconst(I64, hi as i64),
                ]
            }
            Const::Text(s) | Const::Code(s) => {
                let id = self.env.interner.intern(s);
                vec![self.b.ins().iconst(I32, i64::from(id))]
            }
            Const::Date(d) => vec![self.b.ins().iconst(I32, i64::from(days(*d)))],
            Const::DateTime(t) => vec![self.b.ins().iconst(I64, secs(*t))],
            Const::Enum(_, v) => vec![self.b.ins().iconst(I32, i64::from(*v))],
            Const::Prefixes(p) => {
                let items: Vec<std::sync::Arc<str>> = p
                    .iter()
                    .filter(|s| !s.is_empty())
                    .map(|s| std::sync::Arc::from(s.as_str()))
                    .collect();
                let id = self.env.sets.id(&items);
                vec![self.b.ins().iconst(I32, i64::from(id))]
            }
            Const::Map(_) => return unsupported("a map constant"),
        })
    }

    pub(super) fn value_const(&mut self, v: &Value, ty: &Type) -> R<Vec<Val>> {
        let inner = match ty {
            Type::Option(t) => t.as_ref(),
            t => t,
        };
        let body = match v {
            Value::Absent => None,
            Value::Bool(b) => Some(Const::Bool(*b)),
            Value::Int(i) => Some(Const::Int(*i)),
            Value::Decimal(d) => Some(Const::Decimal(*d)),
            Value::Text(s) => Some(Const::Text(s.to_string())),
            Value::Date(d) => Some(Const::Date(*d)),
            Value::DateTime(t) => Some(Const::DateTime(*t)),
            Value::Enum(e) => Some(Const::Enum(heng_compiler::types::EnumId(0), *e)),
            Value::Prefixes(p) => Some(Const::Prefixes(p.iter().map(|s| s.to_string()).collect())),
            _ => return unsupported("a parameter of this type"),
        };
        let mut vals = match &body {
            Some(c) => {
                let c = match (c, inner) {
                    (Const::Int(i), Type::Decimal) => Const::Decimal((*i).into()),
                    (c, _) => c.clone(),
                };
                self.konst(&c)?
            }
            None => self.zeros(inner),
        };
        if matches!(ty, Type::Option(_)) {
            let p = self.b.ins().iconst(I8, i64::from(body.is_some()));
            vals.insert(0, p);
        }
        Ok(vals)
    }

    /// Converts values of type `from` to the representation of `to`.
    pub(super) fn coerce(&mut self, vals: Vec<Val>, from: &Type, to: &Type) -> R<Vec<Val>> {
        Ok(match (from, to) {
            _ if from == to => vals,
            (Type::Error, t) => self.zeros(t),
            (Type::Int, Type::Decimal) => self.call("heng_dec_from_int", &[vals[0]]),
            (Type::Text | Type::Code, Type::Text | Type::Code) => vals,
            (Type::Option(a), Type::Option(b)) => {
                let inner = self.coerce(vals[1..].to_vec(), a, b)?;
                let mut out = vec![vals[0]];
                out.extend(inner);
                out
            }
            (a, Type::Option(b)) => {
                let inner = self.coerce(vals, a, b)?;
                let mut out = vec![self.b.ins().iconst(I8, 1)];
                out.extend(inner);
                out
            }
            _ => return unsupported("a value conversion"),
        })
    }

    /// Evaluates `f` in a new block structure and returns its values through variables.
    pub(super) fn join(&mut self, ty: &Type) -> (Vec<Variable>, Block) {
        let vars: Vec<Variable> = repr(ty)
            .into_iter()
            .map(|t| self.b.declare_var(t))
            .collect();
        (vars, self.b.create_block())
    }

    pub(super) fn set(&mut self, vars: &[Variable], vals: &[Val]) {
        for (var, v) in vars.iter().zip(vals) {
            self.b.def_var(*var, *v);
        }
    }

    pub(super) fn get(&mut self, vars: &[Variable]) -> Vec<Val> {
        vars.iter().map(|v| self.b.use_var(*v)).collect()
    }

    /// Address of the record a Record or Row value denotes.
    pub(super) fn record_ptr(&mut self, ty: &Type, v: &[Val]) -> R<Val> {
        match ty {
            Type::Record(_) => Ok(v[0]),
            Type::Row(t) => {
                let stride = self.env.layout.shape(Of::Table(*t)).words as i64 * 8;
                // a missing row is -1: the blank record before the table
                let row = self.b.ins().sextend(I64, v[0]);
                let off = self.b.ins().imul_imm_s(row, stride);
                let base = self.env.table_bases[t.0 as usize];
                Ok(self.b.ins().iadd_imm_s(off, base))
            }
            _ => unsupported("a field of this value"),
        }
    }

    /// Field `index` of the record at `ptr`, of record type `of`.
    pub(super) fn load_slot(&mut self, ptr: Val, of: Of, index: usize) -> R<Vec<Val>> {
        let Some(off) = self.env.layout.slot_offset(of, index) else {
            return unsupported("a field the layout left out");
        };
        let ty = of.fields(self.env.program)[index].ty.clone();
        let ty = &ty;
        let (inner, optional) = match ty {
            Type::Option(t) => (t.as_ref(), true),
            t => (t, false),
        };
        let mut vals = match inner {
            Type::Bool => vec![self.b.ins().load(I8, mem_ro(), ptr, off)],
            Type::Int | Type::DateTime => vec![self.b.ins().load(I64, mem_ro(), ptr, off)],
            Type::Decimal => vec![
                self.b.ins().load(I64, mem_ro(), ptr, off),
                self.b.ins().load(I64, mem_ro(), ptr, off + 8),
            ],
            Type::Text | Type::Code | Type::Prefixes | Type::Enum(_) | Type::Date => {
                vec![self.b.ins().load(I32, mem_ro(), ptr, off)]
            }
            Type::List(_) => {
                let rel = self.b.ins().load(I64, mem_ro(), ptr, off);
                let abs = self.b.ins().iadd(self.base, rel);
                vec![abs, self.b.ins().load(I64, mem_ro(), ptr, off + 8)]
            }
            Type::Record(_) => {
                let rel = self.b.ins().load(I64, mem_ro(), ptr, off);
                vec![self.b.ins().iadd(self.base, rel)]
            }
            _ => return unsupported("a field of this type"),
        };
        if optional {
            let header = self.b.ins().load(I64, mem_ro(), ptr, 0);
            let bit = self.b.ins().band_imm_s(header, 1i64 << index);
            let present = self.b.ins().icmp_imm_s(IntCC::NotEqual, bit, 0);
            vals.insert(0, present);
        }
        Ok(vals)
    }

    pub(super) fn cond_value(&mut self, e: &Expr) -> R<Val> {
        Ok(self.expr(e)?[0])
    }
}
