//! The literal of a map parameter: `{key: value, …, else: value}` (commas between
//! entries are optional, as in `evidence`). Keys and
//! values are parsed as expressions; the checker decides whether they are
//! constants of the right types, whether a key repeats and whether `else` is last.

use super::Parser;
use crate::syntax::ast::{MapEntry, ParamDefault};
use crate::syntax::lexer::Tok;

impl Parser {
    /// At `{`: the entries up to the matching `}`.
    pub(super) fn map_literal(&mut self) -> ParamDefault {
        let start = self.span();
        let mut entries = Vec::new();
        self.braced(|p| {
            let key_span = p.span();
            let key = if p.eat(&Tok::Else) {
                None
            } else {
                Some(p.expr())
            };
            if !p.expect(Tok::Colon, "`:` and a value", " `:` 和取值") {
                return false;
            }
            let value = p.expr();
            let key_span = key.as_ref().map_or(key_span, |k| k.span);
            entries.push(MapEntry {
                key,
                key_span,
                value,
            });
            p.eat(&Tok::Comma);
            true
        });
        ParamDefault::Map(entries, start.to(self.prev_span()))
    }
}
