//! Lists: element access through offset arrays, `filter`, and the aggregates.
use super::{Gen, R, mem_rw, unsupported};
use crate::eval::index_scan::IndexScan;
use crate::native::layout::Of;
use cranelift_codegen::ir::Block;
use cranelift_codegen::ir::InstBuilder;
use cranelift_codegen::ir::Value as Val;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types;
use cranelift_frontend::Variable;
use heng_compiler::ir::{AggKind, Expr, ExprKind, LocalId, LookupMode, Step};
use heng_compiler::types::Type;

const I64: types::Type = types::I64;
const I8: types::Type = types::I8;
const I32: types::Type = types::I32;

impl Gen<'_, '_, '_> {
    /// Address of element `i` of a list whose offsets array is at `offsets`.
    pub(super) fn element(&mut self, offsets: Val, i: Val) -> Val {
        let at = self.b.ins().ishl_imm_s(i, 3);
        let slot = self.b.ins().iadd(offsets, at);
        let rel = self.b.ins().load(I64, mem_rw(), slot, 0);
        self.b.ins().iadd(self.base, rel)
    }

    /// Opens a counted loop: `i` runs from 0 while below `len`, then control goes
    /// to `exit`. Leaves the builder in the loop body and returns the loop and
    /// `i`'s value there; [`Gen::next_iteration`] ends an iteration.
    pub(super) fn counted_loop(&mut self, len: Val, exit: Block) -> (Counted, Val) {
        let i = self.b.declare_var(I64);
        let zero = self.b.ins().iconst(I64, 0);
        self.b.def_var(i, zero);
        let (head, body) = (self.b.create_block(), self.b.create_block());
        self.b.ins().jump(head, &[]);
        self.b.switch_to_block(head);
        let iv = self.b.use_var(i);
        // the exit is the branch's first target so that Cranelift's elaboration
        // visits the body first: when it visits the exit first it forgets the
        // loop for the body, which then keeps every loop-invariant value (the
        // visit's fields and what is computed from them) inside the loop
        let done = self.b.ins().icmp(IntCC::SignedGreaterThanOrEqual, iv, len);
        self.b.ins().brif(done, exit, &[], body, &[]);
        self.b.switch_to_block(body);
        (Counted { i, head }, iv)
    }

    /// Ends an iteration of a [`Gen::counted_loop`] (from the current block).
    pub(super) fn next_iteration(&mut self, l: &Counted) {
        let iv = self.b.use_var(l.i);
        let next = self.b.ins().iadd_imm_s(iv, 1);
        self.b.def_var(l.i, next);
        self.b.ins().jump(l.head, &[]);
    }

    /// `filter(x in list where c)`: a new offsets array in the scratch arena.
    pub(super) fn filter(
        &mut self,
        var: u32,
        elem: &Type,
        l: &[Val],
        filter: Option<&Expr>,
    ) -> R<Vec<Val>> {
        let out = self.call("heng_scratch", &[self.ctx, l[1]]);
        let out = out[0];
        let n = self.b.declare_var(I64);
        let zero = self.b.ins().iconst(I64, 0);
        self.b.def_var(n, zero);
        let (take, step, done) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        let (lp, iv) = self.counted_loop(l[1], done);
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
        let iv = self.b.use_var(lp.i);
        let src_at = self.b.ins().ishl_imm_s(iv, 3);
        let src = self.b.ins().iadd(l[0], src_at);
        let rel = self.b.ins().load(I64, mem_rw(), src, 0);
        self.b.ins().store(mem_rw(), rel, dst, 0);
        let n1 = self.b.ins().iadd_imm_s(nv, 1);
        self.b.def_var(n, n1);
        self.b.ins().jump(step, &[]);
        self.b.switch_to_block(step);
        self.next_iteration(&lp);
        self.b.switch_to_block(done);
        let len = self.b.use_var(n);
        Ok(vec![out, len])
    }

    /// A `for` step: the steps after it run once per element of `list` that passes
    /// `filter`, and the rule fires if they pass for some element (native code
    /// only decides; the interpreter renders each element's hit). The elements are
    /// records, or the rows of a table's `.all(code)`. Returns whether the steps
    /// compiled (`false`: the code defers).
    pub(super) fn for_step(
        &mut self,
        var: u32,
        list: &Expr,
        filter: Option<&Expr>,
        rest: &[Step],
        no: Block,
    ) -> R<bool> {
        let Type::List(elem) = &list.ty else {
            return unsupported("`for` over a non-list");
        };
        let (items, len, rows) = match self.all_rows(list)? {
            Some(r) => (r[0], r[1], true),
            None => {
                let l = self.expr(list)?;
                (l[0], l[1], false)
            }
        };
        let (next, fire) = (self.b.create_block(), self.b.create_block());
        let (lp, iv) = self.counted_loop(len, no);
        let item = self.item(items, iv, rows);
        self.bind(var, elem, &[item]);
        if let Some(f) = filter {
            let c = self.cond_value(f)?;
            let pass = self.b.create_block();
            self.b.ins().brif(c, pass, &[], next, &[]);
            self.b.switch_to_block(pass);
        }
        let native = self.steps(rest, next)?;
        if native {
            self.b.ins().jump(fire, &[]);
        }
        self.b.switch_to_block(next);
        self.next_iteration(&lp);
        if native {
            self.b.switch_to_block(fire);
        }
        Ok(native)
    }

    /// The rows of a table's `.all(code)` (an array of 32-bit row numbers and its
    /// length), when `list` is one.
    fn all_rows(&mut self, list: &Expr) -> R<Option<Vec<Val>>> {
        let ExprKind::Lookup {
            table,
            mode: LookupMode::All,
            key,
        } = &list.kind
        else {
            return Ok(None);
        };
        let k = self.expr(key)?;
        let Some(slot) = self.env.interner.slot(table.0 as usize, LookupMode::All) else {
            return unsupported("a lookup the engine did not prepare");
        };
        let slot = self.b.ins().iconst(I64, slot as i64);
        Ok(Some(self.call("heng_all_rows", &[self.ctx, slot, k[0]])))
    }

    /// Element `i` of a list: a row number of `.all(code)`'s rows, or a record's
    /// address through its offsets.
    fn item(&mut self, items: Val, i: Val, rows: bool) -> Val {
        if rows {
            let at = self.b.ins().ishl_imm_s(i, 2);
            let addr = self.b.ins().iadd(items, at);
            self.b.ins().load(I32, mem_rw(), addr, 0)
        } else {
            self.element(items, i)
        }
    }

    /// The lines an index scan keeps (see [`IndexScan`]), when `list` is
    /// `history.lines` and the filter begins with `starts_with` on a required text
    /// field of the line by a prefix that is not optional.
    fn index_scan(
        &mut self,
        line: Of,
        var: u32,
        list: &Expr,
        filter: Option<&Expr>,
    ) -> R<Option<Vec<Val>>> {
        let Some(scan) = IndexScan::of(list, LocalId(var), filter) else {
            return Ok(None);
        };
        let field_ty = &line.fields(self.env.program)[scan.field].ty;
        let (Some(slot), Type::Text | Type::Code, Type::Text | Type::Code) = (
            self.env.layout.slot_offset(line, scan.field),
            field_ty,
            &scan.prefix.ty,
        ) else {
            return Ok(None);
        };
        let prefix = self.expr(scan.prefix)?[0];
        let slot = self.b.ins().iconst(I64, i64::from(slot));
        let found = self.call(
            "heng_lines_with_prefix",
            &[self.ctx, self.base, slot, prefix],
        );
        Ok(Some(found))
    }

    pub(super) fn aggregate(
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
        let (l, rows) = match (elem.as_ref(), self.all_rows(list)?) {
            (Type::Row(_), Some(rows)) if kind != AggKind::Filter => (rows, true),
            (Type::Record(r), None) => match self.index_scan(Of::Record(*r), var, list, filter)? {
                Some(l) => (l, false),
                None => (self.expr(list)?, false),
            },
            _ => return unsupported("an aggregate over a list of plain values"),
        };
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
        let step = self.b.create_block();
        let (lp, iv) = self.counted_loop(l[1], done);
        let elem_ptr = self.item(l[0], iv, rows);
        self.bind(var, elem, &[elem_ptr]);
        let selected = match filter {
            Some(f) => self.cond_value(f)?,
            None => self.b.ins().iconst(I8, 1),
        };
        match kind {
            AggKind::First | AggKind::Last => {
                // hold the (body of the) element; `first` stops at it
                let take = self.b.create_block();
                self.b.ins().brif(selected, take, &[], step, &[]);
                self.b.switch_to_block(take);
                let v = match body {
                    Some(b) => {
                        let inner = match ty {
                            Type::Option(t) => t.as_ref().clone(),
                            t => t.clone(),
                        };
                        let v = self.expr(b)?;
                        self.coerce(v, &b.ty, &inner)?
                    }
                    None => vec![elem_ptr],
                };
                let mut new = vec![self.b.ins().iconst(I8, 1)];
                new.extend(v);
                self.set(&acc, &new);
                let next = if kind == AggKind::First { done } else { step };
                self.b.ins().jump(next, &[]);
            }
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
                            let r = self.dec_arith(super::decimals::Arith::Add, &cur[..2], &x);
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
                            let c = self.dec_cmp(&x, &cur[1..3]);
                            let cc = if kind == AggKind::Min {
                                IntCC::SignedLessThan
                            } else {
                                IntCC::SignedGreaterThan
                            };
                            self.b.ins().icmp_imm_s(cc, c, 0)
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
        self.next_iteration(&lp);
        self.b.switch_to_block(done);
        Ok(self.get(&acc))
    }
}

/// A loop opened by [`Gen::counted_loop`]: its counter and its head block.
pub(super) struct Counted {
    /// The index, a variable (read it where the iteration needs it).
    pub(super) i: Variable,
    head: Block,
}
