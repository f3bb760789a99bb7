//! Overrides of map parameters (`param NAME: V by K = {…}`), from heng.toml
//! (`"NAME" = { 3 = 700, else = 300 }`, or the command-line text as a string) and
//! from `--param 'NAME=3: 700, else: 300'`.
//!
//! An override merges into the map: each key it names gets the new value (a key
//! the map lacked is added), `else` sets the `else` value, and every other key
//! keeps its value. A key in double quotes is the key as written: `"else"` is a
//! text key (in heng.toml, `'"else"' = …`). The command line is applied after
//! heng.toml, so it wins.

use crate::value::{Value, ValueMap};
use heng_compiler::check::value_text::{map_entries, parse_const, unquote};
use heng_compiler::diagnostic::Text;
use heng_compiler::ir::{ParamDecl, Program};
use std::sync::Arc;

/// What an override gives a parameter.
pub(super) enum Given {
    /// A value as text: a plain parameter's value, or a map's `key: value, …`.
    Text(String),
    /// A TOML table's entries (key, value as text).
    Entries(Vec<(String, String)>),
}

/// `current` (a map parameter's value) with the entries of `given` merged in.
pub(super) fn merge(
    program: &Program,
    decl: &ParamDecl,
    key_ty: &heng_compiler::types::Type,
    current: &Value,
    given: &Given,
) -> Result<Value, Text> {
    let entries = match given {
        Given::Text(t) => map_entries(t)?,
        Given::Entries(e) => e.clone(),
    };
    let mut map = match current {
        Value::Map(m) => ValueMap::clone(m),
        _ => ValueMap::default(),
    };
    for (key, value) in &entries {
        let v = parse_const(program, &decl.ty, value).map_err(|e| {
            Text::new(
                format!("键 {key} 的值:{}", e.zh),
                format!("the value for key {key}: {}", e.en),
            )
        })?;
        let v = crate::eval::const_value(&v);
        if key == "else" {
            map.otherwise = Some(v);
            continue;
        }
        let k = parse_const(program, key_ty, &unquote(key))
            .map_err(|e| Text::new(format!("键:{}", e.zh), format!("key: {}", e.en)))?;
        map.insert(crate::eval::const_value(&k), v);
    }
    Ok(Value::Map(Arc::new(map)))
}
