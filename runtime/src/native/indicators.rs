//! Indicators (`each group` rules) in native code: a visit's keys and totals are
//! computed by compiled code into words (`codegen::group_words`) and turned back
//! into values here; adding them up per group and judging each group stay with
//! the audit driver and the interpreter (`eval::indicator`).

use super::intern::{LOCAL_IDS, Locals};
use super::machine;
use super::{NativeEngine, SCRATCH, WORK, layout};
use crate::history::Patient;
use crate::value::Value;
use heng_compiler::types::Type;

impl NativeEngine<'_> {
    /// The keys and totals of `each group` rule `rule` for one visit, when the rule
    /// is compiled and its code answers; `None`: the interpreter computes them
    /// (and reports any error with its span).
    pub(super) fn native_group_contribution(
        &self,
        rule: usize,
        visit: &Value,
        patient: Option<&Patient>,
    ) -> Option<(Vec<Value>, Vec<Value>)> {
        let &(_, f, words) = self.group_fns.iter().find(|(i, ..)| *i == rule)?;
        let of = self.pack.program.rules[rule].group_of.as_ref()?;
        let mut out = vec![0u64; words];
        WORK.with_borrow_mut(|(prepared, _)| {
            // encoding may intern new texts (the interner's write lock): before
            // the read guard is taken
            self.prepare_in(visit, patient, prepared);
            let guard = self.interner.read();
            let status = SCRATCH.with(|scratch| {
                scratch.reset();
                let ctx = self.ctx(&guard, scratch, prepared);
                machine::call_group(f, &ctx, &prepared.arena, prepared.at, &mut out)
            });
            if status != 0 {
                return None;
            }
            let mut words = out.into_iter();
            let mut values = |exprs: &[(String, heng_compiler::ir::Expr)]| {
                exprs
                    .iter()
                    .map(|(_, e)| value_of_words(&e.ty, &mut words, &guard.texts, &prepared.locals))
                    .collect::<Option<Vec<Value>>>()
            };
            let keys = values(&of.keys)?;
            Some((keys, values(&of.totals)?))
        })
    }
}

/// The value of type `ty` that compiled code wrote as the next words of `words`
/// (see `codegen::group_words`); `None` for a word no value of the type has.
pub(super) fn value_of_words(
    ty: &Type,
    words: &mut impl Iterator<Item = u64>,
    texts: &[crate::value::SmolStr],
    locals: &Locals,
) -> Option<Value> {
    let mut next = || words.next();
    Some(match ty {
        Type::Option(inner) => {
            if next()? != 0 {
                value_of_words(inner, words, texts, locals)?
            } else {
                // an absent value's words are not a value of the type
                for _ in 0..super::codegen::group_words(inner)? {
                    words.next()?;
                }
                Value::Absent
            }
        }
        Type::Bool => Value::Bool(next()? != 0),
        Type::Int => Value::Int(next()? as i64),
        Type::Decimal => {
            let (lo, hi) = (next()?, next()?);
            Value::Decimal(super::dec_words::dec(lo as i64, hi as i64))
        }
        Type::Text | Type::Code => match next()? as u32 {
            id if id < LOCAL_IDS => Value::Text(locals.text(id)?),
            id => Value::Text(texts.get(id as usize)?.clone()),
        },
        Type::Enum(_) => Value::Enum(next()? as u32),
        Type::Date => Value::Date(layout::date_from_days(next()? as u32 as i32)?),
        Type::DateTime => {
            Value::DateTime(chrono::DateTime::from_timestamp(next()? as i64, 0)?.naive_utc())
        }
        _ => return None,
    })
}
