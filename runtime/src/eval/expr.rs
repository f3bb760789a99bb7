//! One expression evaluated in a rule's frame: the interpreter's core, whose
//! choices (evaluation order, short-circuits, faults, arithmetic) the module
//! documentation of [`crate::eval`] writes down for the native backend to match.

use super::*;

impl Cx<'_, '_, '_> {
    pub(super) fn eval_bool(&self, e: &Expr, frame: &mut [Value]) -> Eval<bool> {
        match self.eval(e, frame)? {
            Value::Bool(b) => Ok(b),
            _ => Err(Fault {
                span: e.span,
                message: internal("condition is not a Bool"),
            }),
        }
    }

    pub(super) fn eval(&self, e: &Expr, frame: &mut [Value]) -> Eval<Value> {
        let span = e.span;
        match &e.kind {
            ExprKind::Const(c) => Ok(const_value(c)),
            ExprKind::None => Ok(Value::Absent),
            ExprKind::Local(l) => frame
                .get(l.0 as usize)
                .cloned()
                .ok_or_else(|| at(span)(internal("local slot out of range"))),
            ExprKind::Param(p) => self
                .params
                .get(p.0 as usize)
                .cloned()
                .ok_or_else(|| at(span)(internal("parameter out of range"))),
            ExprKind::ParamLookup { param, key } => {
                let key = self.eval(key, frame)?;
                match self.params.get(param.0 as usize) {
                    Some(Value::Map(map)) => Ok(map.get(&key).cloned().unwrap_or(Value::Absent)),
                    _ => Err(at(span)(internal("not a map parameter"))),
                }
            }
            ExprKind::Field { base, index } => {
                let base = self.eval(base, frame)?;
                self.field(&base, *index as usize).map_err(at(span))
            }
            ExprKind::Call { func, args } => {
                let f = self
                    .program
                    .functions
                    .get(func.0 as usize)
                    .ok_or_else(|| at(span)(internal("function out of range")))?;
                let size = (f.frame_size as usize).max(args.len());
                // small frames live on the stack: helper calls allocate nothing
                let mut small: [Value; 8] = Default::default();
                let mut large = Vec::new();
                let callee: &mut [Value] = if size <= small.len() {
                    &mut small[..size]
                } else {
                    large.resize(size, Value::Absent);
                    &mut large
                };
                for (slot, arg) in callee.iter_mut().zip(args) {
                    *slot = self.eval(arg, frame)?;
                }
                self.eval(&f.body, callee)
            }
            ExprKind::Builtin { op, args } => {
                // builtins take at most three arguments: no allocation for them
                let mut values: [Value; 3] = Default::default();
                for (slot, arg) in values.iter_mut().zip(args) {
                    *slot = self.eval(arg, frame)?;
                }
                let n = args.len().min(3);
                if *op == heng_compiler::ir::Builtin::TextOf {
                    return Ok(Value::text(&display(&values[0], &args[0].ty, self.program)));
                }
                builtins::call(*op, &values[..n]).map_err(at(span))
            }
            ExprKind::Unary { op, expr } => {
                let v = self.eval(expr, frame)?;
                match op {
                    UnOp::Not => match v {
                        Value::Bool(b) => Ok(Value::Bool(!b)),
                        _ => Err(at(span)(internal("`not` of a non-Bool"))),
                    },
                    UnOp::Neg => ops::neg(&v).map_err(at(span)),
                }
            }
            ExprKind::Binary { op, lhs, rhs } => match op {
                BinOp::And => Ok(Value::Bool(
                    self.eval_bool(lhs, frame)? && self.eval_bool(rhs, frame)?,
                )),
                BinOp::Or => Ok(Value::Bool(
                    self.eval_bool(lhs, frame)? || self.eval_bool(rhs, frame)?,
                )),
                BinOp::Eq | BinOp::Ne if matches!(rhs.kind, ExprKind::Const(_)) => {
                    let a = self.eval(lhs, frame)?;
                    let ExprKind::Const(c) = &rhs.kind else {
                        unreachable!("matched above")
                    };
                    Ok(Value::Bool(ops::equals_const(&a, c) == (*op == BinOp::Eq)))
                }
                _ => {
                    let a = self.eval(lhs, frame)?;
                    let b = self.eval(rhs, frame)?;
                    ops::binary(*op, &a, &b, &e.ty).map_err(at(span))
                }
            },
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                if self.eval_bool(cond, frame)? {
                    self.eval(then, frame)
                } else {
                    self.eval(otherwise, frame)
                }
            }
            ExprKind::Match {
                scrutinee,
                arms,
                default,
            } => {
                let v = self.eval(scrutinee, frame)?;
                for (consts, arm) in arms {
                    if consts.iter().any(|c| ops::equals_const(&v, c)) {
                        return self.eval(arm, frame);
                    }
                }
                match default {
                    Some(d) => self.eval(d, frame),
                    None => {
                        let shown = display(&v, &scrutinee.ty, self.program);
                        Err(Fault {
                            span,
                            message: text!(
                                "没有与值“{}”匹配的分支",
                                "no match arm for the value `{}`",
                                shown
                            ),
                        })
                    }
                }
            }
            ExprKind::Lookup { table, mode, key } => {
                let key = self.eval(key, frame)?;
                let Value::Text(code) = &key else {
                    return Err(at(span)(internal("lookup key is not a code")));
                };
                let t = self
                    .tables
                    .get(table.0 as usize)
                    .ok_or_else(|| at(span)(internal("table out of range")))?;
                let row = match mode {
                    LookupMode::Exact => t.get(code),
                    LookupMode::Prefix => t.prefix(code),
                    LookupMode::All => {
                        let rows = t.all(code).into_iter().map(|r| Value::Row(table.0, r));
                        return Ok(Value::List(rows.collect()));
                    }
                };
                Ok(row.map_or(Value::Absent, |r| Value::Row(table.0, r)))
            }
            ExprKind::IsSome { expr, bind } => {
                let v = self.eval(expr, frame)?;
                if matches!(v, Value::Absent) {
                    return Ok(Value::Bool(false));
                }
                if let Some(b) = bind {
                    store(frame, *b, v, span)?;
                }
                Ok(Value::Bool(true))
            }
            ExprKind::IsNone { expr } => Ok(Value::Bool(matches!(
                self.eval(expr, frame)?,
                Value::Absent
            ))),
            ExprKind::Otherwise { expr, default } => match self.eval(expr, frame)? {
                Value::Absent => self.eval(default, frame),
                v => Ok(v),
            },
            ExprKind::InList { expr, items } => {
                let v = self.eval(expr, frame)?;
                for item in items {
                    // constants are compared as they are, without building a value
                    let equal = match &item.kind {
                        ExprKind::Const(c) => ops::equals_const(&v, c),
                        _ => ops::equals(&v, &self.eval(item, frame)?),
                    };
                    if equal {
                        return Ok(Value::Bool(true));
                    }
                }
                Ok(Value::Bool(false))
            }
            ExprKind::Aggregate {
                kind,
                var,
                list,
                filter,
                body,
            } => self.aggregate(
                e,
                *kind,
                *var,
                list,
                filter.as_deref(),
                body.as_deref(),
                frame,
            ),
            ExprKind::History { op, args } => {
                let mut values: [Value; 2] = Default::default();
                for (slot, arg) in values.iter_mut().zip(args) {
                    *slot = self.eval(arg, frame)?;
                }
                let values = &values[..args.len().min(2)];
                let patient = self.patient();
                let not_patients = || {
                    at(span)(text!(
                        "这条记录不属于该患者的就诊历史",
                        "this record is not part of the patient's history"
                    ))
                };
                match (op, values) {
                    (HistoryOp::Visits, []) => Ok(patient.visit_list()),
                    (HistoryOp::Lines, []) => Ok(patient.line_list()),
                    (HistoryOp::VisitOf, [l]) => patient.visit_of(l).ok_or_else(not_patients),
                    (HistoryOp::Before, [a, b]) => patient
                        .before(a, b)
                        .map(Value::Bool)
                        .ok_or_else(not_patients),
                    _ => Err(at(span)(internal("history arguments"))),
                }
            }
        }
    }

    /// A field of a record or a column of a table row.
    pub(super) fn field(&self, base: &Value, index: usize) -> Result<Value, Text> {
        match base {
            Value::Record(r) => r
                .fields
                .get(index)
                .cloned()
                .ok_or_else(|| internal("record field out of range")),
            Value::Row(t, row) => self
                .tables
                .get(*t as usize)
                .filter(|t| (*row as usize) < t.len())
                .and_then(|t| t.row(*row).get(index))
                .cloned()
                .ok_or_else(|| internal("table cell out of range")),
            Value::Absent => Err(text!(
                "取了缺失值的字段:该值不存在(例如表中没有这个代码),请先用 `is some` 判断",
                "field of an absent value: the value is missing (e.g. the code is not in the table); check it with `is some` first"
            )),
            _ => Err(internal(
                "field of a value that is neither a record nor a row",
            )),
        }
    }
}
