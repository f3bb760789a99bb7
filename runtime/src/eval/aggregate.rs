//! Aggregates over lists (`sum`, `count`, `min`, `max`, `any`, `all`, `first`,
//! `last`, `filter`): the elements, through an index scan where one applies,
//! with the filter run on each, in list order.

use super::{Cx, Eval, at, internal, ops, store};
use crate::value::Value;
use heng_compiler::ir::{AggKind, BinOp, Expr, LocalId};
use heng_compiler::types::Type;
use rust_decimal::Decimal;

impl Cx<'_, '_, '_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn aggregate(
        &self,
        e: &Expr,
        kind: AggKind,
        var: LocalId,
        list: &Expr,
        filter: Option<&Expr>,
        body: Option<&Expr>,
        frame: &mut [Value],
    ) -> Eval<Value> {
        let mut list_value = self.eval(list, frame)?;
        if let Some(found) = self.indexed_lines(list, var, filter, frame) {
            list_value = Value::List(found.into());
        }
        let Value::List(items) = &list_value else {
            return Err(at(list.span)(internal("aggregate over a non-list")));
        };
        let mut count: i64 = 0;
        let mut sum = if e.ty == Type::Int {
            Value::Int(0)
        } else {
            Value::Decimal(Decimal::ZERO)
        };
        let mut best: Option<Value> = None;
        let mut kept: Vec<Value> = Vec::new();
        for item in items.iter() {
            store(frame, var, item.clone(), e.span)?;
            let passes = match filter {
                Some(f) => self.eval_bool(f, frame)?,
                None => true,
            };
            match kind {
                AggKind::Any if passes => return Ok(Value::Bool(true)),
                AggKind::First | AggKind::Last if passes => {
                    let v = match body {
                        Some(b) => self.eval(b, frame)?,
                        None => item.clone(),
                    };
                    if kind == AggKind::First {
                        return Ok(v);
                    }
                    best = Some(v);
                }
                AggKind::All if !passes => return Ok(Value::Bool(false)),
                _ if !passes => {}
                AggKind::Any | AggKind::All | AggKind::First | AggKind::Last => {}
                AggKind::Count => count += 1,
                AggKind::Filter => kept.push(item.clone()),
                AggKind::Sum | AggKind::Min | AggKind::Max => {
                    let v = match body {
                        Some(b) => self.eval(b, frame)?,
                        None => item.clone(),
                    };
                    let span = body.map_or(e.span, |b| b.span);
                    match kind {
                        AggKind::Sum => {
                            sum = ops::binary(BinOp::Add, &sum, &v, &e.ty).map_err(at(span))?;
                        }
                        _ => {
                            let better = match &best {
                                None => true,
                                Some(b) => {
                                    let ord = ops::compare(&v, b).map_err(at(span))?;
                                    if kind == AggKind::Min {
                                        ord.is_lt()
                                    } else {
                                        ord.is_gt()
                                    }
                                }
                            };
                            if better {
                                best = Some(v);
                            }
                        }
                    }
                }
            }
        }
        Ok(match kind {
            AggKind::Any => Value::Bool(false),
            AggKind::All => Value::Bool(true),
            AggKind::Count => Value::Int(count),
            AggKind::Sum => sum,
            AggKind::Min | AggKind::Max | AggKind::Last => best.unwrap_or(Value::Absent),
            AggKind::First => Value::Absent,
            // Every element kept: share the original list instead of copying it.
            AggKind::Filter if kept.len() == items.len() => list_value.clone(),
            AggKind::Filter => Value::List(kept.into()),
        })
    }
}
