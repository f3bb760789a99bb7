//! Message templates: `"{line.hilist_name} 限 {max} 岁"` split into text and
//! placeholder expressions (parsed with spans inside the file). `{{` and `}}` are
//! literal braces.

use super::ast::{Expr, Str};
use super::parser::{parse_expr_at, unescape};
use crate::diagnostic::{Diagnostic, codes};
use crate::source::Span;
use crate::text;

#[derive(Clone, Debug)]
pub enum TemplatePiece {
    Text(String),
    Expr(Expr),
}

/// Splits a message string. `source` is the whole file text; the string's span
/// includes its quotes.
pub fn parse_template(s: &Str, source: &str) -> (Vec<TemplatePiece>, Vec<Diagnostic>) {
    let mut pieces = Vec::new();
    let mut diags = Vec::new();
    // the quotes are `"`, or the full-width `“”` (3 bytes each) already reported
    let quote_len = |q: Option<char>| q.map_or(1, char::len_utf8);
    let open = source
        .get(s.span.start as usize..)
        .and_then(|t| t.chars().next());
    let close = source
        .get(..s.span.end as usize)
        .and_then(|t| t.chars().next_back());
    let start = s.span.start as usize + quote_len(open);
    let end = (s.span.end as usize)
        .saturating_sub(quote_len(close))
        .max(start);
    let raw = source.get(start..end).unwrap_or("");
    // The raw text keeps escapes; placeholders are located in it so spans are exact.
    let mut text = String::new();
    let mut i = 0;
    let bytes = raw.as_bytes();
    while i < raw.len() {
        let rest = &raw[i..];
        if rest.starts_with("{{") || rest.starts_with("}}") {
            text.push(bytes[i] as char);
            i += 2;
        } else if rest.starts_with('{') {
            let Some(close) = rest.find('}') else {
                let span = Span::new(s.span.file, start + i, end);
                diags.push(
                    Diagnostic::error(
                        codes::BAD_PLACEHOLDER,
                        span,
                        text!("占位符缺少 `}}`", "placeholder is missing its `}}`"),
                    )
                    .label(text!("占位符从这里开始", "the placeholder starts here"))
                    .help(text!(
                        "写成 `{{字段}}`;要显示 `{{` 本身请写 `{{{{`",
                        "write `{{field}}`; to show a literal `{{` write `{{{{`"
                    )),
                );
                break;
            };
            if !text.is_empty() {
                pieces.push(TemplatePiece::Text(unescape(&std::mem::take(&mut text))));
            }
            let inner_start = start + i + 1;
            let inner = &source[inner_start..inner_start + close - 1];
            if inner.trim().is_empty() {
                let span = Span::new(s.span.file, start + i, start + i + close + 1);
                diags.push(
                    Diagnostic::error(
                        codes::BAD_PLACEHOLDER,
                        span,
                        text!("占位符是空的", "empty placeholder"),
                    )
                    .label(text!("这里需要一个值", "a value is needed here")),
                );
            } else {
                // Parse within the file text so spans point at the placeholder.
                let (e, d) = parse_expr_at(s.span.file, inner, inner_start);
                diags.extend(d);
                pieces.push(TemplatePiece::Expr(e));
            }
            i += close + 1;
        } else {
            let ch = rest.chars().next().unwrap_or(' ');
            text.push(ch);
            i += ch.len_utf8();
        }
    }
    if !text.is_empty() {
        pieces.push(TemplatePiece::Text(unescape(&text)));
    }
    (pieces, diags)
}
