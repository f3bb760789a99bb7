//! Lookups in map parameters (`NAME(key)`): the parameter's entries are known when
//! the code is generated (overrides included), so a lookup is one comparison of
//! the key per entry and a `select` each, with no branch: Cranelift can share it
//! between rules and hoist it out of the line loop when the key depends only on the
//! visit (`deductible(tier(visit))`).

use super::{Gen, R, unsupported};
use crate::value::Value;
use cranelift_codegen::ir::InstBuilder;
use cranelift_codegen::ir::Value as Val;
use heng_compiler::ir::{Const, Expr, ParamId};
use heng_compiler::types::{EnumId, Type};

impl Gen<'_, '_, '_> {
    /// The value of map parameter `p` for `key`, of type `ty` (the value type, or its
    /// option when the declaration has no `else`).
    pub(super) fn param_lookup(&mut self, p: ParamId, key: &Expr, ty: &Type) -> R<Vec<Val>> {
        let Some(Value::Map(map)) = self.env.params.get(p.0 as usize).cloned() else {
            return unsupported("a map parameter without its entries");
        };
        let k = self.expr(key)?;
        let key_ty = match &key.ty {
            Type::Code => Type::Text,
            t => t.clone(),
        };
        let absent = Value::Absent;
        let mut result = self.value_const(map.otherwise.as_ref().unwrap_or(&absent), ty)?;
        for (entry, value) in map.entries.iter().rev() {
            let c = match entry {
                Value::Int(i) => Const::Int(*i),
                Value::Text(s) => Const::Text(s.to_string()),
                Value::Enum(v) => Const::Enum(EnumId(0), *v),
                _ => return unsupported("a map parameter keyed by this type"),
            };
            let cv = self.konst(&c)?;
            let hit = self.equal(&k, &key_ty, &cv, &key_ty)?;
            let v = self.value_const(value, ty)?;
            result = v
                .iter()
                .zip(&result)
                .map(|(a, b)| self.b.ins().select(hit, *a, *b))
                .collect();
        }
        Ok(result)
    }
}
