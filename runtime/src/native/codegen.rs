//! Typed IR → Cranelift IR for one rule's decision: the rule's `let`, `when` and
//! `unless` steps compiled to a native function over the compact layout that says
//! whether the rule fires on a visit (or one of its lines), does not, or meets a
//! runtime fault. Values live in SSA form, one or more machine values per IR type
//! ([`repr`]); an optional value carries a leading presence flag.
//!
//! What a rule decides is computed here; what a finding says (severity, amount,
//! message, evidence, lines) is rendered by the reference interpreter for the rare
//! lines that fire, so both engines share one renderer. Faults return status 2 and
//! are likewise reported by the interpreter, with its span and message.

mod expr;
mod lists;

use super::intern::Interner;
use super::layout::{PrefixSets, days, secs, slot_offset, stride_words};
use super::machine::dec_words;
use crate::value::Value;
use cranelift_codegen::ir::Value as Val;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    AbiParam, Block, FuncRef, InstBuilder, MemFlagsData, Signature, UserFuncName, types,
};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::JITModule;
use cranelift_module::{FuncId, Linkage, Module};
use heng_compiler::ir::{
    Const, Expr, ExprKind, LINE_LOCAL, LookupMode, Program, Rule, Scope, Step, VISIT_LOCAL,
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
    /// Address of each table's arena.
    pub table_bases: Vec<i64>,
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
            ("heng_years_between", (vec![I32, I32], vec![I64])),
            ("heng_date_of", (vec![I64], vec![I64])),
            ("heng_add_days", (vec![I32, I64], vec![I64])),
            ("heng_scratch", (vec![I64, I64], vec![I64])),
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
    sig.returns.push(AbiParam::new(I32));
    sig
}

/// Defines `func` as the native decision of `rule`. On an unsupported construct
/// nothing is defined and the caller falls back to the interpreter for this rule.
pub fn compile_rule(
    module: &mut JITModule,
    fctx: &mut FunctionBuilderContext,
    helpers: &Helpers,
    env: &mut Env,
    rule: &Rule,
    func: FuncId,
) -> R<String> {
    let target = module.target_config();
    let mut ctx = module.make_context();
    ctx.func.signature = rule_signature(module);
    ctx.func.name = UserFuncName::user(0, func.as_u32());
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let params = b.block_params(entry).to_vec();
        let fault = b.create_block();
        let no = b.create_block();
        b.set_cold_block(fault);
        let mut g = Gen {
            b,
            module,
            helpers,
            env,
            refs: HashMap::new(),
            ctx: params[0],
            base: params[1],
            fault,
            frames: vec![HashMap::new()],
        };
        let visit_ty = g.env.program.visit.map(Type::Record).unwrap_or(Type::Error);
        g.bind(VISIT_LOCAL.0, &visit_ty, &[params[2]]);
        let line_ty = Type::Record(heng_compiler::types::RecordId(u32::MAX));
        if rule.scope == Scope::Visit {
            g.steps(rule, no)?;
            let one = g.b.ins().iconst(I32, 1);
            g.b.ins().return_(&[one]);
            g.b.switch_to_block(no);
            let zero = g.b.ins().iconst(I32, 0);
            g.b.ins().return_(&[zero]);
            g.b.switch_to_block(fault);
            let two = g.b.ins().iconst(I32, 2);
            g.b.ins().return_(&[two]);
        } else {
            // every fee line in one call: status byte k = 0 (no), 1 (fires), 2 (fault)
            let (offsets, n, out) = (params[3], params[4], params[5]);
            let i = g.b.declare_var(I64);
            let zero = g.b.ins().iconst(I64, 0);
            g.b.def_var(i, zero);
            let (head, body, next, exit) = (
                g.b.create_block(),
                g.b.create_block(),
                g.b.create_block(),
                g.b.create_block(),
            );
            g.b.ins().jump(head, &[]);
            g.b.switch_to_block(head);
            let iv = g.b.use_var(i);
            let more = g.b.ins().icmp(IntCC::SignedLessThan, iv, n);
            g.b.ins().brif(more, body, &[], exit, &[]);
            g.b.switch_to_block(body);
            let iv = g.b.use_var(i);
            let at = g.b.ins().ishl_imm_s(iv, 3);
            let slot = g.b.ins().iadd(offsets, at);
            let rel = g.b.ins().load(I64, mem(), slot, 0);
            let line = g.b.ins().iadd(g.base, rel);
            g.bind(LINE_LOCAL.0, &line_ty, &[line]);
            g.steps(rule, no)?;
            for (block, status) in [(None, 1), (Some(no), 0), (Some(fault), 2)] {
                if let Some(block) = block {
                    g.b.switch_to_block(block);
                }
                let iv = g.b.use_var(i);
                let addr = g.b.ins().iadd(out, iv);
                let st = g.b.ins().iconst(I8, status);
                g.b.ins().store(mem(), st, addr, 0);
                g.b.ins().jump(next, &[]);
            }
            g.b.switch_to_block(next);
            let iv = g.b.use_var(i);
            let i1 = g.b.ins().iadd_imm_s(iv, 1);
            g.b.def_var(i, i1);
            g.b.ins().jump(head, &[]);
            g.b.switch_to_block(exit);
            let zero = g.b.ins().iconst(I32, 0);
            g.b.ins().return_(&[zero]);
        }
        g.b.seal_all_blocks();
        g.b.finalize(target);
    }
    let clif = ctx.func.display().to_string();
    module
        .define_function(func, &mut ctx)
        .map_err(|e| Unsupported(format!("code generation failed: {e}")))?;
    module.clear_context(&mut ctx);
    Ok(clif)
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
}

fn mem() -> MemFlagsData {
    MemFlagsData::trusted()
}

impl Gen<'_, '_, '_> {
    /// The rule's `let`, `when` and `unless` steps; a failed condition jumps to `no`.
    fn steps(&mut self, rule: &Rule, no: Block) -> R<()> {
        for step in &rule.steps {
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
            }
        }
        Ok(())
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

    pub(super) fn record_fields(&self, ty: &Type) -> R<Vec<heng_compiler::ir::FieldDecl>> {
        match ty {
            Type::Record(r) => Ok(self.env.program.record(*r).fields.clone()),
            Type::Row(t) => Ok(self.env.program.table(*t).columns.clone()),
            _ => unsupported("a field of this value"),
        }
    }

    /// Address of the record a Record or Row value denotes.
    pub(super) fn record_ptr(&mut self, ty: &Type, v: &[Val]) -> R<Val> {
        match ty {
            Type::Record(_) => Ok(v[0]),
            Type::Row(t) => {
                let stride = stride_words(self.env.program.table(*t).columns.len()) as i64 * 8;
                let row = self.b.ins().uextend(I64, v[0]);
                let off = self.b.ins().imul_imm_s(row, stride);
                let base = self.env.table_bases[t.0 as usize];
                Ok(self.b.ins().iadd_imm_s(off, base))
            }
            _ => unsupported("a field of this value"),
        }
    }

    pub(super) fn load_slot(&mut self, ptr: Val, index: usize, ty: &Type) -> R<Vec<Val>> {
        let off = slot_offset(index);
        let (inner, optional) = match ty {
            Type::Option(t) => (t.as_ref(), true),
            t => (t, false),
        };
        let mut vals = match inner {
            Type::Bool => vec![self.b.ins().load(I8, mem(), ptr, off)],
            Type::Int | Type::DateTime => vec![self.b.ins().load(I64, mem(), ptr, off)],
            Type::Decimal => vec![
                self.b.ins().load(I64, mem(), ptr, off),
                self.b.ins().load(I64, mem(), ptr, off + 8),
            ],
            Type::Text | Type::Code | Type::Prefixes | Type::Enum(_) | Type::Date => {
                vec![self.b.ins().load(I32, mem(), ptr, off)]
            }
            Type::List(_) => {
                let rel = self.b.ins().load(I64, mem(), ptr, off);
                let abs = self.b.ins().iadd(self.base, rel);
                vec![abs, self.b.ins().load(I64, mem(), ptr, off + 8)]
            }
            Type::Record(_) => {
                let rel = self.b.ins().load(I64, mem(), ptr, off);
                vec![self.b.ins().iadd(self.base, rel)]
            }
            _ => return unsupported("a field of this type"),
        };
        if optional {
            let header = self.b.ins().load(I64, mem(), ptr, 0);
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

/// Every (table, mode) lookup a program makes, for the interner to resolve.
pub fn lookups(program: &Program) -> Vec<(usize, LookupMode)> {
    fn walk(e: &Expr, out: &mut Vec<(usize, LookupMode)>) {
        let mut push = |t: usize, m: LookupMode| {
            if !out.contains(&(t, m)) {
                out.push((t, m));
            }
        };
        match &e.kind {
            ExprKind::Lookup { table, mode, key } => {
                push(table.0 as usize, *mode);
                walk(key, out);
            }
            ExprKind::Field { base, .. } => walk(base, out),
            ExprKind::Call { args, .. } | ExprKind::Builtin { args, .. } => {
                args.iter().for_each(|a| walk(a, out))
            }
            ExprKind::Unary { expr, .. }
            | ExprKind::IsSome { expr, .. }
            | ExprKind::IsNone { expr } => walk(expr, out),
            ExprKind::Binary { lhs, rhs, .. } => {
                walk(lhs, out);
                walk(rhs, out);
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                walk(cond, out);
                walk(then, out);
                walk(otherwise, out);
            }
            ExprKind::Match {
                scrutinee,
                arms,
                default,
            } => {
                walk(scrutinee, out);
                arms.iter().for_each(|(_, b)| walk(b, out));
                if let Some(d) = default {
                    walk(d, out);
                }
            }
            ExprKind::Otherwise { expr, default } => {
                walk(expr, out);
                walk(default, out);
            }
            ExprKind::InList { expr, items } => {
                walk(expr, out);
                items.iter().for_each(|i| walk(i, out));
            }
            ExprKind::Aggregate {
                list, filter, body, ..
            } => {
                walk(list, out);
                if let Some(f) = filter {
                    walk(f, out);
                }
                if let Some(b) = body {
                    walk(b, out);
                }
            }
            ExprKind::Const(_) | ExprKind::None | ExprKind::Local(_) | ExprKind::Param(_) => {}
        }
    }
    let mut out = Vec::new();
    for f in &program.functions {
        walk(&f.body, &mut out);
    }
    for r in &program.rules {
        for s in &r.steps {
            match s {
                Step::Let(_, e) | Step::When(e) | Step::Unless(e) => walk(e, &mut out),
            }
        }
    }
    out
}
