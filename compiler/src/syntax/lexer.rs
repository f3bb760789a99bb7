//! The lexer (logos): turns source text into tokens with byte spans. Comments
//! (`# …`) and whitespace are skipped; characters that fit no token become
//! [`Tok::Invalid`] or, for full-width punctuation, [`Tok::FullWidth`], so the parser
//! can report them precisely and go on.

use logos::Logos;

#[derive(Logos, Clone, Debug, PartialEq, Eq)]
#[logos(skip r"[ \t\r\n\f]+")]
#[logos(skip(r"#[^\n]*", allow_greedy = true))]
pub enum Tok {
    #[token("record")]
    Record,
    #[token("enum")]
    Enum,
    #[token("table")]
    Table,
    #[token("param")]
    Param,
    #[token("fn")]
    Fn,
    #[token("rule")]
    Rule,
    #[token("settlement")]
    Settlement,
    #[token("match")]
    Match,
    #[token("if")]
    If,
    #[token("then")]
    Then,
    #[token("else")]
    Else,
    #[token("and")]
    And,
    #[token("or")]
    Or,
    #[token("not")]
    Not,
    #[token("is")]
    Is,
    #[token("some")]
    Some,
    #[token("none")]
    None,
    #[token("otherwise")]
    Otherwise,
    #[token("in")]
    In,
    #[token("for")]
    For,
    #[token("where")]
    Where,
    #[token("true")]
    True,
    #[token("false")]
    False,
    #[token("let")]
    Let,
    #[token("when")]
    When,
    #[token("unless")]
    Unless,

    #[regex(r"[\p{XID_Start}_]\p{XID_Continue}*", |lex| lex.slice().to_string())]
    Ident(String),
    #[regex(r"[0-9][0-9_]*", |lex| lex.slice().to_string())]
    Int(String),
    #[regex(r"[0-9][0-9_]*\.[0-9][0-9_]*", |lex| lex.slice().to_string())]
    Decimal(String),
    #[regex(r"[0-9][0-9_]*(\.[0-9][0-9_]*)?%", |lex| lex.slice().to_string())]
    Percent(String),
    /// A number with several decimal points, such as `1.500.00`.
    #[regex(r"[0-9][0-9_]*(\.[0-9][0-9_]*){2,}%?", |lex| lex.slice().to_string())]
    BadNumber(String),
    /// A string literal, without its quotes, escapes not yet processed.
    #[regex(r#""([^"\\\n]|\\.)*""#, |lex| { let s = lex.slice(); s[1..s.len() - 1].to_string() })]
    Str(String),
    #[regex(r#""([^"\\\n]|\\.)*"#)]
    UnterminatedStr,
    /// A string typed between full-width quotes `“…”`, without its quotes.
    #[regex(r#"“[^“”"\n]*”"#, |lex| { let s = lex.slice(); s["“".len()..s.len() - "”".len()].to_string() })]
    FullWidthStr(String),

    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token(".")]
    Dot,
    #[token("..")]
    DotDot,
    #[token("=>")]
    FatArrow,
    #[token("->")]
    Arrow,
    #[token("|")]
    Bar,
    #[token("?")]
    Question,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("=")]
    Eq,

    /// Full-width punctuation typed by mistake (an IME left on).
    #[regex(r"[，（）：“”；【】！＝＞＜　。、‘’｛｝？＋－＊／｜]", |lex| lex.slice().chars().next())]
    FullWidth(char),
    /// Any other character that starts no token.
    Invalid,
    /// End of input (added by [`lex`]).
    Eof,
}

/// What a full-width character was probably meant to be.
pub fn ascii_for(c: char) -> &'static str {
    match c {
        '，' | '、' => ",",
        '（' => "(",
        '）' => ")",
        '：' => ":",
        '“' | '”' => "\"",
        '‘' | '’' => "'",
        '；' => ";",
        '【' => "[",
        '】' => "]",
        '！' => "!",
        '＝' => "=",
        '＞' => ">",
        '＜' => "<",
        '　' => " ",
        '。' => ".",
        '｛' => "{",
        '｝' => "}",
        '？' => "?",
        '＋' => "+",
        '－' => "-",
        '＊' => "*",
        '／' => "/",
        '｜' => "|",
        _ => "?",
    }
}

impl Tok {
    /// How the token is shown in "expected … found …" messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Int(s) | Tok::Decimal(s) | Tok::Percent(s) => format!("`{s}`"),
            Tok::Str(s) => format!("\"{s}\""),
            Tok::FullWidthStr(s) => format!("“{s}”"),
            Tok::BadNumber(s) => format!("`{s}`"),
            Tok::UnterminatedStr => "\"…".into(),
            Tok::FullWidth(c) => format!("`{c}`"),
            Tok::Invalid => "?".into(),
            Tok::Eof => "end of file".into(),
            other => format!("`{}`", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Tok::Record => "record",
            Tok::Enum => "enum",
            Tok::Table => "table",
            Tok::Param => "param",
            Tok::Fn => "fn",
            Tok::Rule => "rule",
            Tok::Settlement => "settlement",
            Tok::Match => "match",
            Tok::If => "if",
            Tok::Then => "then",
            Tok::Else => "else",
            Tok::And => "and",
            Tok::Or => "or",
            Tok::Not => "not",
            Tok::Is => "is",
            Tok::Some => "some",
            Tok::None => "none",
            Tok::Otherwise => "otherwise",
            Tok::In => "in",
            Tok::For => "for",
            Tok::Where => "where",
            Tok::True => "true",
            Tok::False => "false",
            Tok::Let => "let",
            Tok::When => "when",
            Tok::Unless => "unless",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBrace => "{",
            Tok::RBrace => "}",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Comma => ",",
            Tok::Colon => ":",
            Tok::Dot => ".",
            Tok::DotDot => "..",
            Tok::FatArrow => "=>",
            Tok::Arrow => "->",
            Tok::Bar => "|",
            Tok::Question => "?",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::EqEq => "==",
            Tok::NotEq => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::Eq => "=",
            _ => "",
        }
    }
}

/// The reserved words: each lexes as its own token, never as a name.
pub const RESERVED: &[&str] = &[
    "record",
    "enum",
    "table",
    "param",
    "fn",
    "rule",
    "settlement",
    "match",
    "if",
    "then",
    "else",
    "and",
    "or",
    "not",
    "is",
    "some",
    "none",
    "otherwise",
    "in",
    "for",
    "where",
    "true",
    "false",
    "let",
    "when",
    "unless",
];

/// Lexes a whole file; the last token is always [`Tok::Eof`].
pub fn lex(text: &str) -> Vec<(Tok, std::ops::Range<usize>)> {
    let mut out: Vec<(Tok, std::ops::Range<usize>)> = Tok::lexer(text)
        .spanned()
        .map(|(t, span)| (t.unwrap_or(Tok::Invalid), span))
        .collect();
    out.push((Tok::Eof, text.len()..text.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reserved_word_is_a_token_of_its_own() {
        for word in RESERVED {
            let toks = lex(word);
            assert!(!matches!(toks[0].0, Tok::Ident(_)), "{word}");
            assert_eq!(toks[0].1, 0..word.len(), "{word}");
        }
    }

    #[test]
    fn chinese_identifiers_and_full_width_punctuation() {
        let toks: Vec<Tok> = lex("let 年龄 = f（x）").into_iter().map(|t| t.0).collect();
        assert_eq!(
            toks,
            vec![
                Tok::Let,
                Tok::Ident("年龄".into()),
                Tok::Eq,
                Tok::Ident("f".into()),
                Tok::FullWidth('（'),
                Tok::Ident("x".into()),
                Tok::FullWidth('）'),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn numbers_percent_strings() {
        let toks: Vec<Tok> = lex(r#"7 0.01 70% "限 {x} 岁" "open"#)
            .into_iter()
            .map(|t| t.0)
            .collect();
        assert_eq!(
            toks,
            vec![
                Tok::Int("7".into()),
                Tok::Decimal("0.01".into()),
                Tok::Percent("70%".into()),
                Tok::Str("限 {x} 岁".into()),
                Tok::UnterminatedStr,
                Tok::Eof
            ]
        );
    }
}
