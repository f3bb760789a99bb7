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

use super::intern::Interner;
use super::layout::{PrefixSets, days, secs, slot_offset, stride_words};
use super::machine::{CTX_LOOKUPS, dec_words};
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
    AggKind, BinOp, Builtin, Const, Expr, ExprKind, LINE_LOCAL, LookupMode, Program, Rule, Scope,
    Step, UnOp, VISIT_LOCAL,
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
    sig.params.extend([
        AbiParam::new(I64),
        AbiParam::new(I64),
        AbiParam::new(I64),
        AbiParam::new(I64),
    ]);
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
        if rule.scope == Scope::Line {
            g.bind(
                LINE_LOCAL.0,
                &Type::Record(heng_compiler::types::RecordId(u32::MAX)),
                &[params[3]],
            );
        }
        for step in &rule.steps {
            match step {
                Step::Let(l, e) => {
                    let v = g.expr(e)?;
                    g.bind(l.0, &e.ty, &v);
                }
                Step::When(c) => {
                    let v = g.expr(c)?;
                    let next = g.b.create_block();
                    g.b.ins().brif(v[0], next, &[], no, &[]);
                    g.b.switch_to_block(next);
                }
                Step::Unless(c) => {
                    let v = g.expr(c)?;
                    let next = g.b.create_block();
                    g.b.ins().brif(v[0], no, &[], next, &[]);
                    g.b.switch_to_block(next);
                }
            }
        }
        let one = g.b.ins().iconst(I32, 1);
        g.b.ins().return_(&[one]);
        g.b.switch_to_block(no);
        let zero = g.b.ins().iconst(I32, 0);
        g.b.ins().return_(&[zero]);
        g.b.switch_to_block(fault);
        let two = g.b.ins().iconst(I32, 2);
        g.b.ins().return_(&[two]);
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
    fn bind(&mut self, local: u32, ty: &Type, vals: &[Val]) {
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

    fn call(&mut self, name: &'static str, args: &[Val]) -> Vec<Val> {
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
    fn fault_if(&mut self, cond: Val) {
        let ok = self.b.create_block();
        self.b.ins().brif(cond, self.fault, &[], ok, &[]);
        self.b.switch_to_block(ok);
    }

    /// A decimal helper result: faults on the marker bit.
    fn dec_result(&mut self, r: Vec<Val>) -> Vec<Val> {
        let bit = self.b.ins().band_imm_s(r[0], 1);
        self.fault_if(bit);
        r
    }

    fn zeros(&mut self, ty: &Type) -> Vec<Val> {
        repr(ty)
            .into_iter()
            .map(|t| self.b.ins().iconst(t, 0))
            .collect()
    }

    fn konst(&mut self, c: &Const) -> R<Vec<Val>> {
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

    fn value_const(&mut self, v: &Value, ty: &Type) -> R<Vec<Val>> {
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
    fn coerce(&mut self, vals: Vec<Val>, from: &Type, to: &Type) -> R<Vec<Val>> {
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
    fn join(&mut self, ty: &Type) -> (Vec<Variable>, Block) {
        let vars: Vec<Variable> = repr(ty)
            .into_iter()
            .map(|t| self.b.declare_var(t))
            .collect();
        (vars, self.b.create_block())
    }

    fn set(&mut self, vars: &[Variable], vals: &[Val]) {
        for (var, v) in vars.iter().zip(vals) {
            self.b.def_var(*var, *v);
        }
    }

    fn get(&mut self, vars: &[Variable]) -> Vec<Val> {
        vars.iter().map(|v| self.b.use_var(*v)).collect()
    }

    fn record_fields(&self, ty: &Type) -> R<Vec<heng_compiler::ir::FieldDecl>> {
        match ty {
            Type::Record(r) => Ok(self.env.program.record(*r).fields.clone()),
            Type::Row(t) => Ok(self.env.program.table(*t).columns.clone()),
            _ => unsupported("a field of this value"),
        }
    }

    /// Address of the record a Record or Row value denotes.
    fn record_ptr(&mut self, ty: &Type, v: &[Val]) -> R<Val> {
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

    fn load_slot(&mut self, ptr: Val, index: usize, ty: &Type) -> R<Vec<Val>> {
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

    fn cond_value(&mut self, e: &Expr) -> R<Val> {
        Ok(self.expr(e)?[0])
    }

    pub fn expr(&mut self, e: &Expr) -> R<Vec<Val>> {
        match &e.kind {
            ExprKind::Const(c) => {
                let c = match (c, &e.ty) {
                    (Const::Int(i), Type::Decimal) => Const::Decimal((*i).into()),
                    (c, _) => c.clone(),
                };
                self.konst(&c)
            }
            ExprKind::None => {
                let mut v = vec![self.b.ins().iconst(I8, 0)];
                if let Type::Option(t) = &e.ty {
                    v.extend(self.zeros(t));
                }
                Ok(v)
            }
            ExprKind::Local(l) => {
                let vars = self.frames.last().and_then(|f| f.get(&l.0)).cloned();
                match vars {
                    Some(vars) => Ok(self.get(&vars)),
                    None => unsupported("a local used before it is bound"),
                }
            }
            ExprKind::Param(p) => {
                let v = self
                    .env
                    .params
                    .get(p.0 as usize)
                    .cloned()
                    .unwrap_or(Value::Absent);
                let ty = self.env.program.params[p.0 as usize].ty.clone();
                let vals = self.value_const(&v, &ty)?;
                self.coerce(vals, &ty, &e.ty)
            }
            ExprKind::Field { base, index } => {
                let b = self.expr(base)?;
                let ptr = self.record_ptr(&base.ty, &b)?;
                let fields = self.record_fields(&base.ty)?;
                let ty = fields
                    .get(*index as usize)
                    .map(|f| f.ty.clone())
                    .unwrap_or(Type::Error);
                self.load_slot(ptr, *index as usize, &ty)
            }
            ExprKind::Call { func, args } => {
                let f = self.env.program.functions[func.0 as usize].clone();
                let mut frame = HashMap::new();
                let mut bound = Vec::new();
                for (i, (a, (_, pty))) in args.iter().zip(&f.params).enumerate() {
                    let v = self.expr(a)?;
                    let v = self.coerce(v, &a.ty, pty)?;
                    bound.push((i as u32, pty.clone(), v));
                }
                for (i, _pty, v) in bound {
                    let vars: Vec<Variable> = v
                        .iter()
                        .map(|x| {
                            let t = self.b.func.dfg.value_type(*x);
                            self.b.declare_var(t)
                        })
                        .collect();
                    self.set(&vars, &v);
                    frame.insert(i, vars);
                }
                self.frames.push(frame);
                let r = self.expr(&f.body);
                self.frames.pop();
                let r = r?;
                self.coerce(r, &f.body.ty, &e.ty)
            }
            ExprKind::Builtin { op, args } => self.builtin(*op, args, &e.ty),
            ExprKind::Unary { op, expr } => {
                let v = self.expr(expr)?;
                match op {
                    UnOp::Not => Ok(vec![self.b.ins().bxor_imm_s(v[0], 1)]),
                    UnOp::Neg => match expr.ty {
                        Type::Int => {
                            let zero = self.b.ins().iconst(I64, 0);
                            let (r, of) = self.b.ins().ssub_overflow(zero, v[0]);
                            self.fault_if(of);
                            Ok(vec![r])
                        }
                        _ => {
                            let r = self.call("heng_dec_neg", &[v[0], v[1]]);
                            Ok(r)
                        }
                    },
                }
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, &e.ty),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let c = self.cond_value(cond)?;
                let (vars, done) = self.join(&e.ty);
                let (tb, eb) = (self.b.create_block(), self.b.create_block());
                self.b.ins().brif(c, tb, &[], eb, &[]);
                self.b.switch_to_block(tb);
                let a = self.expr(then)?;
                let a = self.coerce(a, &then.ty, &e.ty)?;
                self.set(&vars, &a);
                self.b.ins().jump(done, &[]);
                self.b.switch_to_block(eb);
                let o = self.expr(otherwise)?;
                let o = self.coerce(o, &otherwise.ty, &e.ty)?;
                self.set(&vars, &o);
                self.b.ins().jump(done, &[]);
                self.b.switch_to_block(done);
                Ok(self.get(&vars))
            }
            ExprKind::Match {
                scrutinee,
                arms,
                default,
            } => {
                let s = self.expr(scrutinee)?;
                let (vars, done) = self.join(&e.ty);
                for (consts, body) in arms {
                    let hit = self.b.create_block();
                    for c in consts {
                        let cv = self.konst(&match (c, &scrutinee.ty) {
                            (Const::Int(i), Type::Decimal) => Const::Decimal((*i).into()),
                            (c, _) => c.clone(),
                        })?;
                        let cty = match c {
                            Const::Int(_) if scrutinee.ty == Type::Decimal => Type::Decimal,
                            _ => scrutinee.ty.clone(),
                        };
                        let eq = self.equal(&s, &scrutinee.ty, &cv, &cty)?;
                        let next = self.b.create_block();
                        self.b.ins().brif(eq, hit, &[], next, &[]);
                        self.b.switch_to_block(next);
                    }
                    let miss = self.b.create_block();
                    self.b.ins().jump(miss, &[]);
                    self.b.switch_to_block(hit);
                    let v = self.expr(body)?;
                    let v = self.coerce(v, &body.ty, &e.ty)?;
                    self.set(&vars, &v);
                    self.b.ins().jump(done, &[]);
                    self.b.switch_to_block(miss);
                }
                match default {
                    Some(d) => {
                        let v = self.expr(d)?;
                        let v = self.coerce(v, &d.ty, &e.ty)?;
                        self.set(&vars, &v);
                        self.b.ins().jump(done, &[]);
                    }
                    None => {
                        self.b.ins().jump(self.fault, &[]);
                    }
                }
                self.b.switch_to_block(done);
                Ok(self.get(&vars))
            }
            ExprKind::Lookup { table, mode, key } => {
                let k = self.expr(key)?;
                let Some(slot) = self.env.interner.slot(table.0 as usize, *mode) else {
                    return unsupported("a lookup the engine did not prepare");
                };
                let arrays = self.b.ins().load(I64, mem(), self.ctx, CTX_LOOKUPS);
                let arr = self.b.ins().load(I64, mem(), arrays, (slot * 8) as i32);
                let id = self.b.ins().uextend(I64, k[0]);
                let off = self.b.ins().ishl_imm_s(id, 2);
                let addr = self.b.ins().iadd(arr, off);
                let r = self.b.ins().load(I32, mem(), addr, 0);
                let present = self.b.ins().icmp_imm_s(IntCC::NotEqual, r, 0);
                let row = self.b.ins().iadd_imm_s(r, -1);
                let _ = LookupMode::Exact;
                Ok(vec![present, row])
            }
            ExprKind::IsSome { expr, bind } => {
                let v = self.expr(expr)?;
                if let (Some(l), Type::Option(inner)) = (bind, &expr.ty) {
                    self.bind(l.0, inner, &v[1..]);
                }
                Ok(vec![v[0]])
            }
            ExprKind::IsNone { expr } => {
                let v = self.expr(expr)?;
                Ok(vec![self.b.ins().bxor_imm_s(v[0], 1)])
            }
            ExprKind::Otherwise { expr, default } => {
                let v = self.expr(expr)?;
                let Type::Option(inner) = &expr.ty else {
                    return unsupported("otherwise on a plain value");
                };
                let (vars, done) = self.join(&e.ty);
                let (some, none) = (self.b.create_block(), self.b.create_block());
                self.b.ins().brif(v[0], some, &[], none, &[]);
                self.b.switch_to_block(some);
                let x = self.coerce(v[1..].to_vec(), inner, &e.ty)?;
                self.set(&vars, &x);
                self.b.ins().jump(done, &[]);
                self.b.switch_to_block(none);
                let d = self.expr(default)?;
                let d = self.coerce(d, &default.ty, &e.ty)?;
                self.set(&vars, &d);
                self.b.ins().jump(done, &[]);
                self.b.switch_to_block(done);
                Ok(self.get(&vars))
            }
            ExprKind::InList { expr, items } => {
                let x = self.expr(expr)?;
                let (vars, done) = self.join(&Type::Bool);
                let yes = self.b.create_block();
                for item in items {
                    let v = self.expr(item)?;
                    let eq = self.equal(&x, &expr.ty, &v, &item.ty)?;
                    let next = self.b.create_block();
                    self.b.ins().brif(eq, yes, &[], next, &[]);
                    self.b.switch_to_block(next);
                }
                let f = self.b.ins().iconst(I8, 0);
                self.set(&vars, &[f]);
                self.b.ins().jump(done, &[]);
                self.b.switch_to_block(yes);
                let t = self.b.ins().iconst(I8, 1);
                self.set(&vars, &[t]);
                self.b.ins().jump(done, &[]);
                self.b.switch_to_block(done);
                Ok(self.get(&vars))
            }
            ExprKind::Aggregate {
                kind,
                var,
                list,
                filter,
                body,
            } => self.aggregate(
                *kind,
                var.0,
                list,
                filter.as_deref(),
                body.as_deref(),
                &e.ty,
            ),
        }
    }

    /// Equality of two values (numeric across Int and Decimal); an `i8` 0/1.
    fn equal(&mut self, a: &[Val], at: &Type, b: &[Val], bt: &Type) -> R<Val> {
        match (at, bt) {
            (Type::Decimal, _) | (_, Type::Decimal) => {
                let x = self.coerce(a.to_vec(), at, &Type::Decimal)?;
                let y = self.coerce(b.to_vec(), bt, &Type::Decimal)?;
                let c = self.call("heng_dec_cmp", &[x[0], x[1], y[0], y[1]]);
                Ok(self.b.ins().icmp_imm_s(IntCC::Equal, c[0], 0))
            }
            (Type::Option(_), _) | (_, Type::Option(_)) => {
                unsupported("equality of optional values")
            }
            _ if a.len() == 1 && b.len() == 1 => Ok(self.b.ins().icmp(IntCC::Equal, a[0], b[0])),
            _ => unsupported("equality of these values"),
        }
    }

    fn binary(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr, ty: &Type) -> R<Vec<Val>> {
        match op {
            BinOp::And | BinOp::Or => {
                let (vars, done) = self.join(&Type::Bool);
                let a = self.cond_value(lhs)?;
                self.set(&vars, &[a]);
                let rest = self.b.create_block();
                if op == BinOp::And {
                    self.b.ins().brif(a, rest, &[], done, &[]);
                } else {
                    self.b.ins().brif(a, done, &[], rest, &[]);
                }
                self.b.switch_to_block(rest);
                let b = self.cond_value(rhs)?;
                self.set(&vars, &[b]);
                self.b.ins().jump(done, &[]);
                self.b.switch_to_block(done);
                Ok(self.get(&vars))
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                let a = self.expr(lhs)?;
                let b = self.expr(rhs)?;
                if *ty == Type::Int {
                    let (r, of) = match op {
                        BinOp::Add => self.b.ins().sadd_overflow(a[0], b[0]),
                        BinOp::Sub => self.b.ins().ssub_overflow(a[0], b[0]),
                        _ => self.b.ins().smul_overflow(a[0], b[0]),
                    };
                    self.fault_if(of);
                    return Ok(vec![r]);
                }
                let x = self.coerce(a, &lhs.ty, &Type::Decimal)?;
                let y = self.coerce(b, &rhs.ty, &Type::Decimal)?;
                let name = match op {
                    BinOp::Add => "heng_dec_add",
                    BinOp::Sub => "heng_dec_sub",
                    BinOp::Mul => "heng_dec_mul",
                    _ => "heng_dec_div",
                };
                let r = self.call(name, &[x[0], x[1], y[0], y[1]]);
                Ok(self.dec_result(r))
            }
            _ => {
                let a = self.expr(lhs)?;
                let b = self.expr(rhs)?;
                let cc = match op {
                    BinOp::Eq => IntCC::Equal,
                    BinOp::Ne => IntCC::NotEqual,
                    BinOp::Lt => IntCC::SignedLessThan,
                    BinOp::Le => IntCC::SignedLessThanOrEqual,
                    BinOp::Gt => IntCC::SignedGreaterThan,
                    _ => IntCC::SignedGreaterThanOrEqual,
                };
                let numeric_mix =
                    matches!(lhs.ty, Type::Decimal) || matches!(rhs.ty, Type::Decimal);
                if numeric_mix {
                    let x = self.coerce(a, &lhs.ty, &Type::Decimal)?;
                    let y = self.coerce(b, &rhs.ty, &Type::Decimal)?;
                    let c = self.call("heng_dec_cmp", &[x[0], x[1], y[0], y[1]]);
                    return Ok(vec![self.b.ins().icmp_imm_s(cc, c[0], 0)]);
                }
                if matches!(lhs.ty, Type::Text | Type::Code) && !matches!(op, BinOp::Eq | BinOp::Ne)
                {
                    let c = self.call("heng_text_cmp", &[self.ctx, a[0], b[0]]);
                    return Ok(vec![self.b.ins().icmp_imm_s(cc, c[0], 0)]);
                }
                if matches!(lhs.ty, Type::Option(_)) || matches!(rhs.ty, Type::Option(_)) {
                    return unsupported("comparison of optional values");
                }
                if a.len() != 1 || b.len() != 1 {
                    return unsupported("comparison of these values");
                }
                Ok(vec![self.b.ins().icmp(cc, a[0], b[0])])
            }
        }
    }

    fn builtin(&mut self, op: Builtin, args: &[Expr], ty: &Type) -> R<Vec<Val>> {
        let mut vals = Vec::new();
        for a in args {
            vals.push(self.expr(a)?);
        }
        Ok(match op {
            Builtin::StartsWith => {
                self.call("heng_starts_with", &[self.ctx, vals[0][0], vals[1][0]])
            }
            Builtin::MatchesAny => {
                self.call("heng_matches_any", &[self.ctx, vals[0][0], vals[1][0]])
            }
            Builtin::InCodeRange => self.call(
                "heng_in_code_range",
                &[self.ctx, vals[0][0], vals[1][0], vals[2][0]],
            ),
            Builtin::DateOf => {
                if args[0].ty == Type::Date {
                    return Ok(vals.remove(0));
                }
                let r = self.call("heng_date_of", &[vals[0][0]]);
                let bad = self.b.ins().icmp_imm_s(IntCC::Equal, r[0], i64::MIN);
                self.fault_if(bad);
                vec![self.b.ins().ireduce(I32, r[0])]
            }
            Builtin::YearsBetween => self.call("heng_years_between", &[vals[0][0], vals[1][0]]),
            Builtin::DaysBetween => {
                let a = self.b.ins().sextend(I64, vals[0][0]);
                let b = self.b.ins().sextend(I64, vals[1][0]);
                vec![self.b.ins().isub(b, a)]
            }
            Builtin::AddDays => {
                let r = self.call("heng_add_days", &[vals[0][0], vals[1][0]]);
                let bad = self.b.ins().icmp_imm_s(IntCC::Equal, r[0], i64::MIN);
                self.fault_if(bad);
                vec![self.b.ins().ireduce(I32, r[0])]
            }
            Builtin::Round => {
                let x = self.coerce(vals[0].clone(), &args[0].ty, &Type::Decimal)?;
                let s = self.coerce(vals[1].clone(), &args[1].ty, &Type::Decimal)?;
                let r = self.call("heng_dec_round", &[x[0], x[1], s[0], s[1]]);
                self.dec_result(r)
            }
            Builtin::Min | Builtin::Max => {
                if *ty == Type::Int {
                    let cc = if op == Builtin::Min {
                        IntCC::SignedLessThanOrEqual
                    } else {
                        IntCC::SignedGreaterThanOrEqual
                    };
                    let keep_first = self.b.ins().icmp(cc, vals[0][0], vals[1][0]);
                    vec![self.b.ins().select(keep_first, vals[0][0], vals[1][0])]
                } else {
                    let x = self.coerce(vals[0].clone(), &args[0].ty, &Type::Decimal)?;
                    let y = self.coerce(vals[1].clone(), &args[1].ty, &Type::Decimal)?;
                    let c = self.call("heng_dec_cmp", &[x[0], x[1], y[0], y[1]]);
                    let cc = if op == Builtin::Min {
                        IntCC::SignedLessThanOrEqual
                    } else {
                        IntCC::SignedGreaterThanOrEqual
                    };
                    let keep_first = self.b.ins().icmp_imm_s(cc, c[0], 0);
                    vec![
                        self.b.ins().select(keep_first, x[0], y[0]),
                        self.b.ins().select(keep_first, x[1], y[1]),
                    ]
                }
            }
            Builtin::Len => vec![vals[0][1]],
            Builtin::MonthOf => {
                let days = if args[0].ty == Type::DateTime {
                    let r = self.call("heng_date_of", &[vals[0][0]]);
                    let bad = self.b.ins().icmp_imm_s(IntCC::Equal, r[0], i64::MIN);
                    self.fault_if(bad);
                    self.b.ins().ireduce(I32, r[0])
                } else {
                    vals[0][0]
                };
                let r = self.call("heng_month", &[self.ctx, days]);
                let bad = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, r[0], 0);
                self.fault_if(bad);
                vec![self.b.ins().ireduce(I32, r[0])]
            }
        })
    }

    /// Address of element `i` of a list whose offsets array is at `offsets`.
    fn element(&mut self, offsets: Val, i: Val) -> Val {
        let at = self.b.ins().ishl_imm_s(i, 3);
        let slot = self.b.ins().iadd(offsets, at);
        let rel = self.b.ins().load(I64, mem(), slot, 0);
        self.b.ins().iadd(self.base, rel)
    }

    /// `filter(x in list where c)`: a new offsets array in the scratch arena.
    fn filter(&mut self, var: u32, elem: &Type, l: &[Val], filter: Option<&Expr>) -> R<Vec<Val>> {
        let out = self.call("heng_scratch", &[self.ctx, l[1]]);
        let out = out[0];
        let n = self.b.declare_var(I64);
        let i = self.b.declare_var(I64);
        let zero = self.b.ins().iconst(I64, 0);
        self.b.def_var(n, zero);
        self.b.def_var(i, zero);
        let (head, body, take, step, done) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        self.b.ins().jump(head, &[]);
        self.b.switch_to_block(head);
        let iv = self.b.use_var(i);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, iv, l[1]);
        self.b.ins().brif(more, body, &[], done, &[]);
        self.b.switch_to_block(body);
        let elem_ptr = self.element(l[0], iv);
        self.bind(var, elem, &[elem_ptr]);
        let selected = match filter {
            Some(f) => self.cond_value(f)?,
            None => self.b.ins().iconst(I8, 1),
        };
        self.b.ins().brif(selected, take, &[], step, &[]);
        self.b.switch_to_block(take);
        let nv = self.b.use_var(n);
        let at = self.b.ins().ishl_imm_s(nv, 3);
        let dst = self.b.ins().iadd(out, at);
        let iv = self.b.use_var(i);
        let src_at = self.b.ins().ishl_imm_s(iv, 3);
        let src = self.b.ins().iadd(l[0], src_at);
        let rel = self.b.ins().load(I64, mem(), src, 0);
        self.b.ins().store(mem(), rel, dst, 0);
        let n1 = self.b.ins().iadd_imm_s(nv, 1);
        self.b.def_var(n, n1);
        self.b.ins().jump(step, &[]);
        self.b.switch_to_block(step);
        let iv = self.b.use_var(i);
        let i1 = self.b.ins().iadd_imm_s(iv, 1);
        self.b.def_var(i, i1);
        self.b.ins().jump(head, &[]);
        self.b.switch_to_block(done);
        let len = self.b.use_var(n);
        Ok(vec![out, len])
    }

    fn aggregate(
        &mut self,
        kind: AggKind,
        var: u32,
        list: &Expr,
        filter: Option<&Expr>,
        body: Option<&Expr>,
        ty: &Type,
    ) -> R<Vec<Val>> {
        let Type::List(elem) = &list.ty else {
            return unsupported("an aggregate over a non-list");
        };
        let Type::Record(r) = elem.as_ref() else {
            return unsupported("an aggregate over a list of plain values");
        };
        let _ = r;
        let l = self.expr(list)?;
        if kind == AggKind::Filter {
            return self.filter(var, elem, &l, filter);
        }
        let (acc, done) = self.join(ty);
        let init: Vec<Val> = match kind {
            AggKind::Any | AggKind::Count | AggKind::Sum => self.zeros(ty),
            AggKind::All => vec![self.b.ins().iconst(I8, 1)],
            _ => self.zeros(ty), // min/max: absent
        };
        let init = if kind == AggKind::Sum && *ty == Type::Decimal {
            let z = self.b.ins().iconst(I64, 0);
            self.call("heng_dec_from_int", &[z])
        } else {
            init
        };
        self.set(&acc, &init);
        let i = self.b.declare_var(I64);
        let zero = self.b.ins().iconst(I64, 0);
        self.b.def_var(i, zero);
        let head = self.b.create_block();
        let step = self.b.create_block();
        self.b.ins().jump(head, &[]);
        self.b.switch_to_block(head);
        let iv = self.b.use_var(i);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, iv, l[1]);
        let body_block = self.b.create_block();
        self.b.ins().brif(more, body_block, &[], done, &[]);
        self.b.switch_to_block(body_block);
        let elem_ptr = self.element(l[0], iv);
        self.bind(var, elem, &[elem_ptr]);
        let selected = match filter {
            Some(f) => self.cond_value(f)?,
            None => self.b.ins().iconst(I8, 1),
        };
        match kind {
            AggKind::Any => {
                let hit = self.b.create_block();
                self.b.ins().brif(selected, hit, &[], step, &[]);
                self.b.switch_to_block(hit);
                let t = self.b.ins().iconst(I8, 1);
                self.set(&acc, &[t]);
                self.b.ins().jump(done, &[]);
            }
            AggKind::All => {
                let miss = self.b.create_block();
                self.b.ins().brif(selected, step, &[], miss, &[]);
                self.b.switch_to_block(miss);
                let f = self.b.ins().iconst(I8, 0);
                self.set(&acc, &[f]);
                self.b.ins().jump(done, &[]);
            }
            AggKind::Count => {
                let cur = self.get(&acc);
                let add = self.b.ins().uextend(I64, selected);
                let n = self.b.ins().iadd(cur[0], add);
                self.set(&acc, &[n]);
                self.b.ins().jump(step, &[]);
            }
            AggKind::Sum | AggKind::Min | AggKind::Max => {
                let take = self.b.create_block();
                self.b.ins().brif(selected, take, &[], step, &[]);
                self.b.switch_to_block(take);
                let Some(body) = body else {
                    return unsupported("an aggregate without a body");
                };
                let v = self.expr(body)?;
                let cur = self.get(&acc);
                match kind {
                    AggKind::Sum => {
                        if *ty == Type::Int {
                            let (n, of) = self.b.ins().sadd_overflow(cur[0], v[0]);
                            self.fault_if(of);
                            self.set(&acc, &[n]);
                        } else {
                            let x = self.coerce(v, &body.ty, &Type::Decimal)?;
                            let r = self.call("heng_dec_add", &[cur[0], cur[1], x[0], x[1]]);
                            let r = self.dec_result(r);
                            self.set(&acc, &r);
                        }
                        self.b.ins().jump(step, &[]);
                    }
                    _ => {
                        // replace when nothing is held yet or the new value is strictly better
                        let inner = match ty {
                            Type::Option(t) => t.as_ref().clone(),
                            t => t.clone(),
                        };
                        let better = if inner == Type::Decimal {
                            let x = self.coerce(v.clone(), &body.ty, &Type::Decimal)?;
                            let c = self.call("heng_dec_cmp", &[x[0], x[1], cur[1], cur[2]]);
                            let cc = if kind == AggKind::Min {
                                IntCC::SignedLessThan
                            } else {
                                IntCC::SignedGreaterThan
                            };
                            self.b.ins().icmp_imm_s(cc, c[0], 0)
                        } else if matches!(inner, Type::Text | Type::Code) {
                            let c = self.call("heng_text_cmp", &[self.ctx, v[0], cur[1]]);
                            let cc = if kind == AggKind::Min {
                                IntCC::SignedLessThan
                            } else {
                                IntCC::SignedGreaterThan
                            };
                            self.b.ins().icmp_imm_s(cc, c[0], 0)
                        } else {
                            let cc = if kind == AggKind::Min {
                                IntCC::SignedLessThan
                            } else {
                                IntCC::SignedGreaterThan
                            };
                            self.b.ins().icmp(cc, v[0], cur[1])
                        };
                        let empty = self.b.ins().icmp_imm_s(IntCC::Equal, cur[0], 0);
                        let replace = self.b.ins().bor(empty, better);
                        let (yes, no) = (self.b.create_block(), step);
                        self.b.ins().brif(replace, yes, &[], no, &[]);
                        self.b.switch_to_block(yes);
                        let v = self.coerce(v, &body.ty, &inner)?;
                        let mut new = vec![self.b.ins().iconst(I8, 1)];
                        new.extend(v);
                        self.set(&acc, &new);
                        self.b.ins().jump(step, &[]);
                    }
                }
            }
            AggKind::Filter => return unsupported("filter(...)"),
        }
        self.b.switch_to_block(step);
        let iv = self.b.use_var(i);
        let next = self.b.ins().iadd_imm_s(iv, 1);
        self.b.def_var(i, next);
        self.b.ins().jump(head, &[]);
        self.b.switch_to_block(done);
        Ok(self.get(&acc))
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
