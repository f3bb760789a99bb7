//! What the code generator decides about a program before compiling it: the
//! lookups the interner resolves, the steps it leaves to the interpreter, and the
//! names (`let`s and what `when`s bind) whose values compiled code keeps for rendering.

use heng_compiler::ir::{
    BinOp, Builtin, Expr, ExprKind, LocalId, LookupMode, Program, Rule, Settlement, Step,
};
use heng_compiler::types::Type;

/// How many words a key or total of type `ty` takes in a compiled indicator's
/// output (one per part of its [`repr`](super::repr), counted without building
/// it: native settlement asks for every absent output of every visit); `None`
/// for types it cannot hand back as values (records, lists, rows, prefix lists).
pub fn group_words(ty: &Type) -> Option<usize> {
    match ty {
        Type::Decimal => Some(2),
        Type::Bool
        | Type::Int
        | Type::Text
        | Type::Code
        | Type::Enum(_)
        | Type::Date
        | Type::DateTime => Some(1),
        Type::Option(t) => group_words(t).map(|n| n + 1),
        _ => None,
    }
}

/// The names of an `each line` rule whose values its compiled code keeps for each
/// line it fires on, so that rendering the finding need not compute them again:
/// its `let`s and the names its `when`s bind (`is some(x)`), those of a type that
/// can be handed back as a value ([`kept_value_words`]), in a rule without `for`
/// (which fires once per element). With the words each takes.
pub fn kept_lets<'a>(rule: &'a Rule) -> Vec<(LocalId, &'a Type, usize)> {
    if !fires_once(rule) {
        return Vec::new();
    }
    let mut kept = Vec::new();
    for s in &rule.steps {
        let mut keep = |l: LocalId, ty: &'a Type| {
            if let Some(w) = kept_value_words(ty) {
                kept.push((l, ty, w));
            }
        };
        match s {
            Step::Let(l, e) => keep(*l, &e.ty),
            Step::When(c) => c.names_bound(&mut |l| {
                if let Some(ty) = bound_type(c, l) {
                    keep(l, ty)
                }
            }),
            _ => {}
        }
    }
    kept
}

/// The type of the value `is some(l)` binds in condition `c` (in its `and` chain,
/// where [`Expr::names_bound`] finds the names).
fn bound_type(c: &Expr, l: LocalId) -> Option<&Type> {
    match &c.kind {
        ExprKind::IsSome {
            expr,
            bind: Some(b),
        } if *b == l => match &expr.ty {
            Type::Option(inner) => Some(inner),
            _ => None,
        },
        ExprKind::Binary {
            op: BinOp::And,
            lhs,
            rhs,
        } => bound_type(lhs, l).or_else(|| bound_type(rhs, l)),
        _ => None,
    }
}

/// Words a kept value of type `ty` takes: those of [`group_words`], and one for a
/// table row (its number) or a record (its byte offset in the arena), which
/// rendering maps back to the row or the record's value.
pub fn kept_value_words(ty: &Type) -> Option<usize> {
    match ty {
        Type::Row(_) | Type::Record(_) => Some(1),
        Type::Option(t) => kept_value_words(t).map(|n| n + 1),
        t => group_words(t),
    }
}

/// Whether `rule` fires at most once per line or visit (it has no `for`): where
/// native code says it fires, all its steps passed once.
pub fn fires_once(rule: &Rule) -> bool {
    !rule.steps.iter().any(|s| matches!(s, Step::For { .. }))
}

/// Words per line the [`kept_lets`] of `rule` take.
pub fn kept_words(rule: &Rule) -> usize {
    kept_lets(rule).iter().map(|(_, _, w)| w).sum()
}

/// Every (table, mode) lookup a program makes, for the interner to resolve.
pub fn lookups(program: &Program) -> Vec<(usize, LookupMode)> {
    let mut out = Vec::new();
    let mut visit = |e: &Expr| {
        if let ExprKind::Lookup { table, mode, .. } = &e.kind
            && !out.contains(&(table.0 as usize, *mode))
        {
            out.push((table.0 as usize, *mode));
        }
    };
    for f in &program.functions {
        f.body.walk(&mut visit);
    }
    for r in &program.rules {
        for s in &r.steps {
            s.exprs().into_iter().for_each(|e| e.walk(&mut visit));
        }
    }
    for e in program.settlement.iter().flat_map(Settlement::exprs) {
        e.walk(&mut visit);
    }
    out
}

/// Whether native code hands a rule to the interpreter at this step: an expression
/// (or a function it calls) using what the code generator leaves to the
/// interpreter (see [`needs_interpreter`]), or a `for` over a list other than a
/// record list or a table's `.all(code)`.
pub fn defers(step: &Step, program: &Program) -> bool {
    let uses = |e: &Expr| needs_interpreter(e, program);
    match step {
        Step::For { list, filter, .. } => {
            let list_ok = match &list.kind {
                ExprKind::Lookup {
                    mode: LookupMode::All,
                    key,
                    ..
                } => !uses(key),
                _ => {
                    matches!(&list.ty, Type::List(e) if matches!(**e, Type::Record(_)))
                        && !uses(list)
                }
            };
            !list_ok || filter.as_ref().is_some_and(uses)
        }
        _ => step.exprs().into_iter().any(uses),
    }
}

/// Whether `e`, or a function it calls, uses what the code generator leaves to the
/// interpreter: `left`, `text`, or a table's `.all(code)` other than as the list
/// of an aggregate (whose rows native code loops over).
fn needs_interpreter(e: &Expr, program: &Program) -> bool {
    // the lists of the aggregates met so far (`walk` visits parents first)
    let mut looped: Vec<*const Expr> = Vec::new();
    let mut found = false;
    e.walk(&mut |x| match &x.kind {
        ExprKind::Aggregate { list, .. } => looped.push(&**list),
        ExprKind::Lookup {
            mode: LookupMode::All,
            ..
        } => found |= !looped.contains(&std::ptr::from_ref(x)),
        ExprKind::Builtin { op, .. } => found |= matches!(op, Builtin::Left | Builtin::TextOf),
        ExprKind::Call { func, .. } => {
            found |= program
                .functions
                .get(func.0 as usize)
                .is_some_and(|f| needs_interpreter(&f.body, program))
        }
        _ => {}
    });
    found
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::repr;
    use super::*;

    #[test]
    fn a_value_handed_back_takes_a_word_per_part_of_its_repr() {
        use heng_compiler::types::EnumId;
        for ty in [
            Type::Bool,
            Type::Int,
            Type::Decimal,
            Type::Text,
            Type::Code,
            Type::Enum(EnumId(0)),
            Type::Date,
            Type::DateTime,
        ] {
            let optional = Type::Option(Box::new(ty.clone()));
            assert_eq!(group_words(&ty), Some(repr(&ty).len()), "{ty:?}");
            assert_eq!(group_words(&optional), Some(repr(&optional).len()));
        }
        assert_eq!(group_words(&Type::List(Box::new(Type::Int))), None);
    }

    #[test]
    fn a_rule_keeps_its_lets_and_the_names_its_whens_bind_for_rendering() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let pack = crate::pack::load(&root.join("stdlib-rules"), &[])
            .pack
            .unwrap();
        let kept = |id: &str| -> Vec<String> {
            let rule = pack.program.rules.iter().find(|r| r.id == id).unwrap();
            kept_lets(rule)
                .iter()
                .map(|(_, ty, words)| format!("{ty:?} in {words}"))
                .collect()
        };
        // `when drug_classes.prefix(…) is some(cls)` and `… is some(earlier)`:
        // a table row (its number) and a fee line (its address), a word each
        assert_eq!(
            kept("duplicate_medication"),
            ["Row(TableId(7)) in 1", "Record(RecordId(3)) in 1"]
        );
        // `limit`, `freq`, `period` from the `when`s, then the `let`s `before`, `after`
        assert_eq!(kept("freq_limit").len(), 5);
        // a rule with `for` fires once per element: nothing is kept
        assert!(kept("exclusive_items").is_empty());
    }
}
