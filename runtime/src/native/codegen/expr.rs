//! Expressions: constants, locals, fields, calls (inlined), operators, control
//! flow, lookups, options and builtins.
use super::super::layout::Of;
use super::super::machine::CTX_LOOKUPS;
use super::decimals::Arith;
use super::{Gen, R, mem_ro, unsupported};
use crate::value::Value;
use cranelift_codegen::ir::InstBuilder;
use cranelift_codegen::ir::Value as Val;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types;
use cranelift_frontend::Variable;
use heng_compiler::ir::{BinOp, Builtin, Const, Expr, ExprKind, LookupMode, UnOp};
use heng_compiler::types::Type;
use std::collections::HashMap;

const I64: types::Type = types::I64;
const I32: types::Type = types::I32;
const I8: types::Type = types::I8;

impl Gen<'_, '_, '_> {
    pub fn expr(&mut self, e: &Expr) -> R<Vec<Val>> {
        if let Some(v) = self.select_form(e)? {
            return Ok(v);
        }
        match &e.kind {
            ExprKind::History { op, args } => self.history(*op, args),
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
            ExprKind::ParamLookup { param, key } => self.param_lookup(*param, key, &e.ty),
            ExprKind::Field { base, index } => {
                let b = self.expr(base)?;
                let ptr = self.record_ptr(&base.ty, &b)?;
                let Some(of) = Of::of_type(&base.ty) else {
                    return unsupported("a field of this value");
                };
                if let Some(v) = self.settled_field(ptr, of, *index as usize) {
                    return Ok(v);
                }
                self.load_slot(ptr, of, *index as usize)
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
                if *mode == LookupMode::All {
                    return unsupported("`.all(code)` outside a `for` or an aggregate");
                }
                let k = self.expr(key)?;
                let Some(slot) = self.env.interner.slot(table.0 as usize, *mode) else {
                    return unsupported("a lookup the engine did not prepare");
                };
                let arrays = self.b.ins().load(I64, mem_ro(), self.ctx, CTX_LOOKUPS);
                let arr = self.b.ins().load(I64, mem_ro(), arrays, (slot * 8) as i32);
                let id = self.b.ins().uextend(I64, k[0]);
                let off = self.b.ins().ishl_imm_s(id, 2);
                let addr = self.b.ins().iadd(arr, off);
                let r = self.b.ins().load(I32, mem_ro(), addr, 0);
                let present = self.b.ins().icmp_imm_s(IntCC::NotEqual, r, 0);
                let row = self.b.ins().iadd_imm_s(r, -1);
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
    pub(super) fn equal(&mut self, a: &[Val], at: &Type, b: &[Val], bt: &Type) -> R<Val> {
        match (at, bt) {
            (Type::Decimal, _) | (_, Type::Decimal) => {
                let x = self.coerce(a.to_vec(), at, &Type::Decimal)?;
                let y = self.coerce(b.to_vec(), bt, &Type::Decimal)?;
                let c = self.dec_cmp(&x, &y);
                Ok(self.b.ins().icmp_imm_s(IntCC::Equal, c, 0))
            }
            (Type::Option(_), _) | (_, Type::Option(_)) => {
                unsupported("equality of optional values")
            }
            _ if a.len() == 1 && b.len() == 1 => Ok(self.b.ins().icmp(IntCC::Equal, a[0], b[0])),
            _ => unsupported("equality of these values"),
        }
    }

    pub(super) fn binary(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr, ty: &Type) -> R<Vec<Val>> {
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
                let arith = match op {
                    BinOp::Add => Arith::Add,
                    BinOp::Sub => Arith::Sub,
                    BinOp::Mul => Arith::Mul,
                    _ => {
                        let r = self.call("heng_dec_div", &[x[0], x[1], y[0], y[1]]);
                        return Ok(self.dec_result(r));
                    }
                };
                Ok(self.dec_arith(arith, &x, &y))
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
                    let c = self.dec_cmp(&x, &y);
                    return Ok(vec![self.b.ins().icmp_imm_s(cc, c, 0)]);
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

    pub(super) fn builtin(&mut self, op: Builtin, args: &[Expr], ty: &Type) -> R<Vec<Val>> {
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
                vec![self.date_of(vals[0][0])]
            }
            Builtin::YearsBetween => vec![self.years_between(vals[0][0], vals[1][0])],
            Builtin::DaysBetween => {
                let a = self.b.ins().sextend(I64, vals[0][0]);
                let b = self.b.ins().sextend(I64, vals[1][0]);
                vec![self.b.ins().isub(b, a)]
            }
            Builtin::AddDays if args[0].ty == Type::DateTime => {
                let r = self.call("heng_add_days_secs", &[vals[0][0], vals[1][0]]);
                let bad = self.b.ins().icmp_imm_s(IntCC::Equal, r[0], i64::MIN);
                self.fault_if(bad);
                vec![r[0]]
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
                    let c = self.dec_cmp(&x, &y);
                    let cc = if op == Builtin::Min {
                        IntCC::SignedLessThanOrEqual
                    } else {
                        IntCC::SignedGreaterThanOrEqual
                    };
                    let keep_first = self.b.ins().icmp_imm_s(cc, c, 0);
                    vec![
                        self.b.ins().select(keep_first, x[0], y[0]),
                        self.b.ins().select(keep_first, x[1], y[1]),
                    ]
                }
            }
            Builtin::Len => vec![vals[0][1]],
            Builtin::Left | Builtin::TextOf => {
                return unsupported("left and text");
            }
            Builtin::WeekStart | Builtin::MonthStart | Builtin::YearStart => {
                let helper = match op {
                    Builtin::WeekStart => "heng_week_start",
                    Builtin::MonthStart => "heng_month_start",
                    _ => "heng_year_start",
                };
                let r = self.call(helper, &[vals[0][0]]);
                let bad = self.b.ins().icmp_imm_s(IntCC::Equal, r[0], i64::MIN);
                self.fault_if(bad);
                vec![self.b.ins().ireduce(I32, r[0])]
            }

            Builtin::MonthOf => {
                let days = if args[0].ty == Type::DateTime {
                    self.date_of(vals[0][0])
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
}
