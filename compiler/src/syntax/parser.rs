//! The error-tolerant recursive-descent parser. Every syntax error is reported with
//! a span and the parser resynchronises at the next clause or item, so one broken
//! rule never hides the errors of another. Full-width punctuation is reported once
//! and then read as the ASCII character it stands for.

use super::ast::*;
use super::lexer::{Tok, ascii_for, lex};
use crate::diagnostic::{Diagnostic, Text, codes};
use crate::source::{FileId, Span};
use crate::text;

/// Parses one source file. Never fails: returns the tree and every syntax error.
pub fn parse(file: FileId, text: &str) -> (Module, Vec<Diagnostic>) {
    let mut p = Parser::new(file, text, 0);
    let module = p.module();
    (module, p.diags)
}

/// Parses one expression that starts at byte `offset` of a file (message
/// placeholders). Spans point into the file.
pub fn parse_expr_at(file: FileId, text: &str, offset: usize) -> (Expr, Vec<Diagnostic>) {
    let mut p = Parser::new(file, text, offset);
    let e = p.expr();
    if !p.at(&Tok::Eof) {
        let span = p.span();
        p.error_unexpected(span, "the end of the placeholder", "占位符结束");
    }
    (e, p.diags)
}

mod expr;
mod map;
mod rule;

/// The words that start a clause of a rule or settlement; they are names
/// anywhere else.
pub const CLAUSES: &[&str] = &[
    "each",
    "severity",
    "amount",
    "lines",
    "message",
    "evidence",
    "doc",
    "group",
    "key",
    "total",
    "output",
    "accumulator",
    "add",
];

struct Parser {
    toks: Vec<(Tok, Span)>,
    pos: usize,
    diags: Vec<Diagnostic>,
}

impl Parser {
    fn new(file: FileId, text: &str, offset: usize) -> Parser {
        let mut diags = Vec::new();
        let mut toks = Vec::new();
        for (tok, range) in lex(text) {
            let span = Span::new(file, range.start + offset, range.end + offset);
            match tok {
                Tok::FullWidth(c) => {
                    let ascii = ascii_for(c);
                    diags.push(
                        Diagnostic::error(
                            codes::FULL_WIDTH,
                            span,
                            text!("误用了全角标点 `{}`", "full-width punctuation `{}`", c),
                        )
                        .label(text!("这里应为半角 `{}`", "did you mean `{}`?", ascii))
                        .help(text!(
                            "把 `{}` 改为半角的 `{}`(切换输入法到英文标点)",
                            "replace `{}` with the ASCII `{}` (switch the input method to English punctuation)",
                            c,
                            ascii
                        )),
                    );
                    if let Some(t) = ascii_token(ascii) {
                        toks.push((t, span));
                    }
                }
                Tok::FullWidthStr(inner) => {
                    diags.push(
                        Diagnostic::error(
                            codes::FULL_WIDTH,
                            span,
                            text!(
                                "字符串用了全角引号 `“…”`",
                                "string in full-width quotes `“…”`"
                            ),
                        )
                        .label(text!("这里应为半角引号 `\"…\"`", "did you mean `\"…\"`?"))
                        .help(text!(
                            "把两端的 `“` 和 `”` 都改为半角的 `\"`(切换输入法到英文标点)",
                            "replace both `“` and `”` with the ASCII `\"` (switch the input method to English punctuation)"
                        )),
                    );
                    toks.push((Tok::Str(inner), span));
                }
                Tok::BadNumber(s) => {
                    diags.push(
                        Diagnostic::error(
                            codes::INVALID_NUMBER,
                            span,
                            text!("数字 `{}` 有多个小数点", "number `{}` has more than one decimal point", s),
                        )
                        .label(text!("数字写法有误", "malformed number"))
                        .help(text!(
                            "数字只能有一个小数点,且不写千位分隔符,例如 1500.00",
                            "a number has at most one decimal point and no thousands separators, e.g. 1500.00"
                        )),
                    );
                    toks.push((Tok::BadNumber(s), span));
                }
                Tok::Invalid => {
                    let ch = &text[range.clone()];
                    diags.push(
                        Diagnostic::error(
                            codes::INVALID_CHARACTER,
                            span,
                            text!("无法识别的字符 `{}`", "invalid character `{}`", ch),
                        )
                        .label(text!(
                            "这个字符不属于规则语言",
                            "this character is not part of the language"
                        )),
                    );
                }
                Tok::UnterminatedStr => {
                    diags.push(
                        Diagnostic::error(
                            codes::UNTERMINATED_STRING,
                            span,
                            text!(
                                "字符串缺少结束的引号",
                                "string is missing its closing quote"
                            ),
                        )
                        .label(text!("字符串从这里开始", "the string starts here"))
                        .help(text!(
                            "在这一行末尾加上 `\"`",
                            "add `\"` at the end of the string"
                        )),
                    );
                    let s = &text[range.start + 1..range.end];
                    toks.push((Tok::Str(s.to_string()), span));
                }
                t => toks.push((t, span)),
            }
        }
        Parser {
            toks,
            pos: 0,
            diags,
        }
    }

    // ---- token helpers ----

    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }
    fn peek_at(&self, n: usize) -> &Tok {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)].0
    }
    fn span(&self) -> Span {
        self.toks[self.pos].1
    }
    fn prev_span(&self) -> Span {
        self.toks[self.pos.saturating_sub(1)].1
    }
    fn at(&self, t: &Tok) -> bool {
        self.peek() == t
    }
    fn at_ident(&self, name: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s == name)
    }
    fn bump(&mut self) -> (Tok, Span) {
        let t = self.toks[self.pos].clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }
    fn eat(&mut self, t: &Tok) -> bool {
        if self.at(t) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn error_unexpected(&mut self, span: Span, expected_en: &str, expected_zh: &str) {
        let found = self.peek().describe();
        let found_zh = if self.at(&Tok::Eof) {
            "文件结尾".to_string()
        } else {
            found.clone()
        };
        self.diags.push(
            Diagnostic::error(
                codes::UNEXPECTED_TOKEN,
                span,
                Text::new(
                    format!("此处应为{expected_zh},却是 {found_zh}"),
                    format!("expected {expected_en}, found {found}"),
                ),
            )
            .label(Text::new(
                format!("应为{expected_zh}"),
                format!("expected {expected_en}"),
            )),
        );
    }

    /// Consumes `t` or reports what was expected; returns whether it was there.
    fn expect(&mut self, t: Tok, what_en: &str, what_zh: &str) -> bool {
        if self.eat(&t) {
            return true;
        }
        let span = self.span();
        self.error_unexpected(span, what_en, what_zh);
        false
    }

    fn ident(&mut self, what_en: &str, what_zh: &str) -> Option<Ident> {
        if let Tok::Ident(name) = self.peek().clone() {
            let span = self.bump().1;
            Some(Ident { name, span })
        } else {
            let span = self.span();
            self.error_unexpected(span, what_en, what_zh);
            None
        }
    }

    fn opt_str(&mut self) -> Option<Str> {
        if let Tok::Str(s) = self.peek().clone() {
            let span = self.bump().1;
            Some(Str {
                value: unescape(&s),
                span,
            })
        } else {
            None
        }
    }

    fn at_item_start(&self) -> bool {
        matches!(
            self.peek(),
            Tok::Record
                | Tok::Enum
                | Tok::Table
                | Tok::Param
                | Tok::Fn
                | Tok::Rule
                | Tok::Settlement
                | Tok::Eof
        )
    }

    // ---- items ----

    fn module(&mut self) -> Module {
        let mut items = Vec::new();
        while !self.at(&Tok::Eof) {
            let start = self.pos;
            match self.peek() {
                Tok::Record => items.extend(self.record().map(Item::Record)),
                Tok::Enum => items.extend(self.enum_item().map(Item::Enum)),
                Tok::Table => items.extend(self.table().map(Item::Table)),
                Tok::Param => items.extend(self.param().map(Item::Param)),
                Tok::Fn => items.extend(self.function().map(Item::Fn)),
                Tok::Rule => items.extend(self.rule().map(Item::Rule)),
                Tok::Settlement => items.extend(self.rule().map(Item::Settlement)),
                _ => {
                    let span = self.span();
                    self.error_unexpected(
                        span,
                        "`rule`, `settlement`, `fn`, `param`, `table`, `record` or `enum`",
                        " `rule`、`settlement`、`fn`、`param`、`table`、`record` 或 `enum`",
                    );
                }
            }
            if self.pos == start {
                self.bump();
            }
            while !self.at_item_start() {
                self.bump();
            }
        }
        Module { items }
    }

    /// `{` … `}` containing members parsed by `member`; recovers at `}` or the next item.
    fn braced(&mut self, mut member: impl FnMut(&mut Parser) -> bool) -> bool {
        let open = self.span();
        if !self.expect(Tok::LBrace, "`{`", " `{`") {
            return false;
        }
        loop {
            if self.eat(&Tok::RBrace) {
                return true;
            }
            if self.at_item_start() {
                self.diags.push(
                    Diagnostic::error(
                        codes::UNCLOSED_DELIMITER,
                        open,
                        text!("`{{` 没有对应的 `}}`", "unclosed `{{`"),
                    )
                    .label(text!("这个 `{{` 没有闭合", "this `{{` is never closed"))
                    .help(text!(
                        "在下一项之前加上 `}}`",
                        "add `}}` before the next item"
                    )),
                );
                return false;
            }
            let before = self.pos;
            if !member(self) {
                // skip to something that can start a member or close the block
                while self.pos == before
                    || !(self.at(&Tok::RBrace) || self.at_item_start() || self.at_member_start())
                {
                    if self.at_item_start() {
                        break;
                    }
                    self.bump();
                }
            }
        }
    }

    fn at_member_start(&self) -> bool {
        match self.peek() {
            Tok::Let | Tok::When | Tok::Unless => true,
            Tok::Ident(s) => CLAUSES.contains(&s.as_str()) || matches!(self.peek_at(1), Tok::Colon),
            _ => false,
        }
    }

    fn fields(&mut self) -> Vec<FieldItem> {
        let mut fields = Vec::new();
        self.braced(|p| {
            let Some(name) = p.ident("a field name", "字段名") else {
                return false;
            };
            if !p.expect(Tok::Colon, "`:` and a type", " `:` 和类型") {
                return false;
            }
            let ty = p.type_expr();
            let doc = p.opt_str();
            p.eat(&Tok::Comma);
            fields.push(FieldItem { name, ty, doc });
            true
        });
        fields
    }

    fn record(&mut self) -> Option<RecordItem> {
        let start = self.bump().1;
        let name = self.ident("a record name", "记录名")?;
        let doc = self.opt_str();
        let fields = self.fields();
        Some(RecordItem {
            name,
            doc,
            fields,
            span: start.to(self.prev_span()),
        })
    }

    fn enum_item(&mut self) -> Option<EnumItem> {
        let start = self.bump().1;
        let name = self.ident("an enum name", "枚举名")?;
        let doc = self.opt_str();
        let mut variants = Vec::new();
        self.braced(|p| {
            let Some(v) = p.ident("a variant name", "枚举取值名") else {
                return false;
            };
            let label = p.opt_str();
            p.eat(&Tok::Comma);
            variants.push((v, label));
            true
        });
        Some(EnumItem {
            name,
            doc,
            variants,
            span: start.to(self.prev_span()),
        })
    }

    fn table(&mut self) -> Option<TableItem> {
        let start = self.bump().1;
        let name = self.ident("a table name", "表名")?;
        let doc = self.opt_str();
        let file = if self.at_ident("from") {
            self.bump();
            self.ident("the name of the table file", "表文件名")
        } else {
            None
        };
        let key = if self.at_ident("key") {
            self.bump();
            self.ident("the key column", "主键列名")
        } else {
            None
        };
        let many = self.at_ident("many");
        if many {
            self.bump();
        }
        let columns = self.fields();
        Some(TableItem {
            name,
            doc,
            file,
            key,
            many,
            columns,
            span: start.to(self.prev_span()),
        })
    }

    fn param(&mut self) -> Option<ParamItem> {
        let start = self.bump().1;
        let name = self.ident("a parameter name", "参数名")?;
        self.expect(Tok::Colon, "`:` and a type", " `:` 和类型");
        let ty = self.type_expr();
        let key = if self.at_ident("by") {
            self.bump();
            Some(self.type_expr())
        } else {
            None
        };
        self.expect(Tok::Eq, "`=` and a default value", " `=` 和默认值");
        let default = if self.at(&Tok::LBrace) {
            self.map_literal()
        } else {
            ParamDefault::Value(self.expr())
        };
        let doc = self.opt_str();
        Some(ParamItem {
            name,
            ty,
            key,
            default,
            doc,
            span: start.to(self.prev_span()),
        })
    }

    fn function(&mut self) -> Option<FnItem> {
        let start = self.bump().1;
        let name = self.ident("a function name", "函数名")?;
        let doc = self.opt_str();
        let mut params = Vec::new();
        if self.expect(Tok::LParen, "`(`", " `(`") {
            while !self.at(&Tok::RParen) && !self.at_item_start() {
                let Some(p) = self.ident("a parameter name", "参数名") else {
                    break;
                };
                self.expect(Tok::Colon, "`:` and a type", " `:` 和类型");
                let ty = self.type_expr();
                params.push((p, ty));
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
            self.expect(Tok::RParen, "`)`", " `)`");
        }
        self.expect(Tok::Arrow, "`->` and the result type", " `->` 和返回类型");
        let ret = self.type_expr();
        self.expect(Tok::Eq, "`=` and the function body", " `=` 和函数体");
        let body = self.expr();
        Some(FnItem {
            name,
            doc,
            params,
            ret,
            body,
            span: start.to(self.prev_span()),
        })
    }

    fn type_expr(&mut self) -> TypeExpr {
        let mut ty = match self.peek().clone() {
            Tok::Ident(name) if name == "List" && self.peek_at(1) == &Tok::Lt => {
                let start = self.bump().1;
                self.bump();
                let inner = self.type_expr();
                self.expect(Tok::Gt, "`>`", " `>`");
                TypeExpr::List(Box::new(inner), start.to(self.prev_span()))
            }
            Tok::Ident(name) => {
                let span = self.bump().1;
                TypeExpr::Named(Ident { name, span })
            }
            _ => {
                let span = self.span();
                self.error_unexpected(span, "a type", "类型");
                return TypeExpr::Error(span);
            }
        };
        while self.at(&Tok::Question) {
            let q = self.bump().1;
            let span = ty.span().to(q);
            ty = TypeExpr::Option(Box::new(ty), span);
        }
        ty
    }
}

fn ascii_token(s: &str) -> Option<Tok> {
    Some(match s {
        "," => Tok::Comma,
        "(" => Tok::LParen,
        ")" => Tok::RParen,
        ":" => Tok::Colon,
        "[" => Tok::LBracket,
        "]" => Tok::RBracket,
        "{" => Tok::LBrace,
        "}" => Tok::RBrace,
        "=" => Tok::Eq,
        ">" => Tok::Gt,
        "<" => Tok::Lt,
        "." => Tok::Dot,
        "?" => Tok::Question,
        "+" => Tok::Plus,
        "-" => Tok::Minus,
        "*" => Tok::Star,
        "/" => Tok::Slash,
        "|" => Tok::Bar,
        _ => return None,
    })
}

/// Processes the `\n`, `\t`, `\"` and `\\` escapes of a string literal.
pub(crate) fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}
