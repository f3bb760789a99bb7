//! Hover: what the name under the cursor is in the pack, from its last checked
//! program. A rule (its Chinese name, national code and doc), a parameter (its
//! type, the value in effect after heng.toml, and doc), a table (its CSV file,
//! key and columns), a function (its signature), a record or enum, and every
//! record field or table column of that name (an analyst hovering `cnt` sees it
//! is the fee line's quantity, and the order's).

use heng_compiler::ir::{FieldDecl, Function, Program};
use heng_compiler::types::{Display, Type};

/// Whether `c` can be part of a name.
fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Where the name that ends `before` starts (`before.len()` when it ends in no
/// name).
pub fn word_start(before: &str) -> usize {
    before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_word(c))
        .last()
        .map_or(before.len(), |(i, _)| i)
}

/// A function's signature: `name(a: T, …) -> R`.
pub fn signature(f: &Function, program: &Program) -> String {
    let ty = |t: &Type| Display(t, program).to_string();
    let params: Vec<String> = f
        .params
        .iter()
        .map(|(n, t)| format!("{n}: {}", ty(t)))
        .collect();
    format!("{}({}) -> {}", f.name, params.join(", "), ty(&f.ret))
}

/// The identifier (letters, digits, `_`) that byte `offset` of `text` is in or
/// just after.
pub fn word_at(text: &str, offset: usize) -> Option<&str> {
    let offset = offset.min(text.len());
    if !text.is_char_boundary(offset) {
        return None;
    }
    let start = word_start(&text[..offset]);
    let end = text[offset..]
        .char_indices()
        .find(|&(_, c)| !is_word(c))
        .map_or(text.len(), |(i, _)| offset + i);
    let word = &text[start..end];
    (!word.is_empty() && !word.starts_with(|c: char| c.is_ascii_digit())).then_some(word)
}

/// Markdown describing every declaration named `word`; `param_values` are the
/// parameters' values in effect, in `program.params` order.
pub fn describe(program: &Program, param_values: &[String], word: &str) -> Option<String> {
    let ty = |t: &Type| Display(t, program).to_string();
    let mut parts = Vec::new();
    for r in program.rules.iter().filter(|r| r.id == word) {
        let code = r
            .code
            .as_deref()
            .map_or(String::new(), |c| format!(" · {c}"));
        parts.push(format!("**rule** `{}` {}{code}\n\n{}", r.id, r.name, r.doc));
    }
    for (i, p) in program
        .params
        .iter()
        .enumerate()
        .filter(|(_, p)| p.name == word)
    {
        let key = p
            .key
            .as_ref()
            .map_or(String::new(), |k| format!(" by {}", ty(k)));
        let value = param_values
            .get(i)
            .map_or(String::new(), |v| format!(" = {v}"));
        parts.push(format!(
            "**param** `{}: {}{key}`{value}\n\n{}",
            p.name,
            ty(&p.ty),
            p.doc
        ));
    }
    for t in program.tables.iter().filter(|t| t.name == word) {
        let key = t.columns.get(t.key).map_or("", |c| c.name.as_str());
        let mut text = format!(
            "**table** `{}` (tables/{}.csv, key `{key}`{})\n\n{}\n",
            t.name,
            t.file,
            if t.many { ", several rows per key" } else { "" },
            t.doc
        );
        for c in &t.columns {
            text.push_str(&format!("\n- {}", field("", c, program)));
        }
        parts.push(text);
    }
    for f in program.functions.iter().filter(|f| f.name == word) {
        parts.push(format!("**fn** `{}`\n\n{}", signature(f, program), f.doc));
    }
    for r in program.records.iter().filter(|r| r.name == word) {
        parts.push(format!("**record** `{}` {}", r.name, r.doc));
    }
    for e in program.enums.iter().filter(|e| e.name == word) {
        let variants: Vec<&str> = e.variants.iter().map(|v| v.name.as_str()).collect();
        parts.push(format!(
            "**enum** `{}` {}: {}",
            e.name,
            e.doc,
            variants.join(", ")
        ));
    }
    let fields = program
        .records
        .iter()
        .flat_map(|r| r.fields.iter().map(move |f| (&r.name, f)));
    let columns = program
        .tables
        .iter()
        .flat_map(|t| t.columns.iter().map(move |c| (&t.name, c)));
    for (owner, f) in fields.chain(columns).filter(|(_, f)| f.name == word) {
        parts.push(field(&format!("{owner}."), f, program));
    }
    (!parts.is_empty()).then(|| parts.join("\n\n---\n\n"))
}

/// One field or column (`owner` before its name): name, type and meaning.
fn field(owner: &str, f: &FieldDecl, program: &Program) -> String {
    let doc = if f.doc.is_empty() {
        String::new()
    } else {
        format!(" {}", f.doc)
    };
    format!("`{owner}{}: {}`{doc}", f.name, Display(&f.ty, program))
}

#[cfg(test)]
mod tests {
    use super::word_at;

    #[test]
    fn the_word_under_the_cursor_is_an_identifier_around_it() {
        let text = "when line.med_list_codg 是 x1";
        let at = |s: &str| text.find(s).unwrap_or(0);
        assert_eq!(word_at(text, at("med_list") + 3), Some("med_list_codg"));
        assert_eq!(word_at(text, at(".med")), Some("line"), "just after a word");
        assert_eq!(word_at(text, at("是")), None);
        assert_eq!(word_at(text, text.len()), Some("x1"));
        assert_eq!(word_at("12 ", 1), None, "a number is no name");
    }
}
