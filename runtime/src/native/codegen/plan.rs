//! What the code generator decides about a program before compiling it: the
//! lookups the interner resolves, the steps it leaves to the interpreter, and the
//! `let`s whose values compiled code keeps for rendering.

use super::repr;
use heng_compiler::ir::{
    Builtin, Expr, ExprKind, LocalId, LookupMode, Program, Rule, Settlement, Step,
};
use heng_compiler::types::Type;

/// How many words a key or total of type `ty` takes in a compiled indicator's
/// output (one per part of its [`repr`]); `None` for types it cannot hand back as
/// values (records, lists, rows, prefix lists).
pub fn group_words(ty: &Type) -> Option<usize> {
    match ty {
        Type::Bool
        | Type::Int
        | Type::Decimal
        | Type::Text
        | Type::Code
        | Type::Enum(_)
        | Type::Date
        | Type::DateTime => Some(repr(ty).len()),
        Type::Option(t) => group_words(t).map(|n| n + 1),
        _ => None,
    }
}

/// The `let`s of an `each line` rule whose values its compiled code keeps for each
/// line it fires on, so that rendering the finding need not compute them again:
/// those of a type that can be handed back as a value ([`group_words`]), in a rule
/// without `for` (which fires once per element). With the words each takes.
pub fn kept_lets(rule: &Rule) -> Vec<(LocalId, &Type, usize)> {
    if !fires_once(rule) {
        return Vec::new();
    }
    rule.steps
        .iter()
        .filter_map(|s| match s {
            Step::Let(l, e) => group_words(&e.ty).map(|w| (*l, &e.ty, w)),
            _ => None,
        })
        .collect()
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
