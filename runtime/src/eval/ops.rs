//! Operators of the interpreter: checked arithmetic, comparisons and equality.
//! Faults come back as message-only [`Text`]s; the caller attaches the span.

use super::internal;
use crate::value::Value;
use heng_compiler::diagnostic::Text;
use heng_compiler::ir::{BinOp, Const};
use heng_compiler::text;
use heng_compiler::types::Type;
use rust_decimal::Decimal;
use std::cmp::Ordering;

pub(super) fn division_by_zero() -> Text {
    text!("除数为零", "division by zero")
}

pub(super) fn int_overflow() -> Text {
    text!("整数运算溢出", "integer overflow")
}

pub(super) fn decimal_overflow() -> Text {
    text!(
        "小数运算溢出(超出 28 位有效数字)",
        "decimal overflow (beyond 28 significant digits)"
    )
}

/// Unary minus.
pub(super) fn neg(v: &Value) -> Result<Value, Text> {
    match v {
        Value::Int(i) => i.checked_neg().map(Value::Int).ok_or_else(int_overflow),
        Value::Decimal(d) => Ok(Value::Decimal(-*d)),
        _ => Err(internal("negation of a non-number")),
    }
}

/// A binary operator other than `and`/`or`. `ty` is the type of the result node:
/// arithmetic stays in Int only when the node is Int and both operands are Int.
pub(super) fn binary(op: BinOp, a: &Value, b: &Value, ty: &Type) -> Result<Value, Text> {
    match op {
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => arith(op, a, b, ty),
        BinOp::Eq => Ok(Value::Bool(equals(a, b))),
        BinOp::Ne => Ok(Value::Bool(!equals(a, b))),
        BinOp::Lt => Ok(Value::Bool(compare(a, b)?.is_lt())),
        BinOp::Le => Ok(Value::Bool(compare(a, b)?.is_le())),
        BinOp::Gt => Ok(Value::Bool(compare(a, b)?.is_gt())),
        BinOp::Ge => Ok(Value::Bool(compare(a, b)?.is_ge())),
        BinOp::And | BinOp::Or => match (a, b) {
            (Value::Bool(x), Value::Bool(y)) => Ok(Value::Bool(if op == BinOp::And {
                *x && *y
            } else {
                *x || *y
            })),
            _ => Err(internal("`and`/`or` of non-Bool values")),
        },
    }
}

fn arith(op: BinOp, a: &Value, b: &Value, ty: &Type) -> Result<Value, Text> {
    if let (Value::Int(x), Value::Int(y), Type::Int) = (a, b, ty) {
        let r = match op {
            BinOp::Add => x.checked_add(*y),
            BinOp::Sub => x.checked_sub(*y),
            BinOp::Mul => x.checked_mul(*y),
            // `/` is always Decimal; an Int-typed division is a checker bug.
            _ => return Err(internal("integer-typed division")),
        };
        return r.map(Value::Int).ok_or_else(int_overflow);
    }
    let (Some(x), Some(y)) = (a.as_decimal(), b.as_decimal()) else {
        return Err(internal("arithmetic on non-numbers"));
    };
    let r = match op {
        BinOp::Add => x.checked_add(y),
        BinOp::Sub => x.checked_sub(y),
        BinOp::Mul => x.checked_mul(y),
        _ => {
            if y.is_zero() {
                return Err(division_by_zero());
            }
            x.checked_div(y)
        }
    };
    r.map(Value::Decimal).ok_or_else(decimal_overflow)
}

/// Ordering of two values of the same comparable type (Int and Decimal compare
/// numerically with each other).
pub(crate) fn compare(a: &Value, b: &Value) -> Result<Ordering, Text> {
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Int(_) | Value::Decimal(_), Value::Int(_) | Value::Decimal(_)) => {
            match (a.as_decimal(), b.as_decimal()) {
                (Some(x), Some(y)) => x.cmp(&y),
                _ => return Err(internal("comparison of non-numbers")),
            }
        }
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        (Value::DateTime(x), Value::DateTime(y)) => x.cmp(y),
        (Value::Enum(x), Value::Enum(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Absent, _) | (_, Value::Absent) => {
            return Err(internal("ordering comparison of an absent value"));
        }
        _ => return Err(internal("ordering comparison of incomparable values")),
    })
}

/// Equality: numeric across Int and Decimal; absent equals only absent; otherwise
/// structural.
pub(super) fn equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Decimal(y)) | (Value::Decimal(y), Value::Int(x)) => {
            Decimal::from(*x) == *y
        }
        _ => a == b,
    }
}

/// Equality of a value with a `match` arm's constant, without building a value.
pub(super) fn equals_const(v: &Value, c: &Const) -> bool {
    match (v, c) {
        (Value::Text(s), Const::Text(t) | Const::Code(t)) => **s == **t,
        (Value::Int(x), Const::Int(y)) => x == y,
        (Value::Int(x), Const::Decimal(y)) => Decimal::from(*x) == *y,
        (Value::Decimal(x), Const::Decimal(y)) => x == y,
        (Value::Decimal(x), Const::Int(y)) => *x == Decimal::from(*y),
        (Value::Enum(x), Const::Enum(_, y)) => x == y,
        (Value::Bool(x), Const::Bool(y)) => x == y,
        (Value::Date(x), Const::Date(y)) => x == y,
        (Value::DateTime(x), Const::DateTime(y)) => x == y,
        (Value::Prefixes(x), Const::Prefixes(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| **a == **b)
        }
        _ => false,
    }
}

/// Decimal division as the interpreter does it: `None` for a zero divisor or overflow.
pub(crate) fn decimal_div(x: Decimal, y: Decimal) -> Option<Decimal> {
    if y.is_zero() { None } else { x.checked_div(y) }
}
