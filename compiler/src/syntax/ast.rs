//! The syntax tree: what the source says, with spans, before names are resolved.
//! Any node may be incomplete: `Error` nodes stand where the parser recovered.

use crate::source::Span;
use rust_decimal::Decimal;

#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal with its span (escapes processed).
#[derive(Clone, Debug, PartialEq)]
pub struct Str {
    pub value: String,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct Module {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug)]
pub enum Item {
    Record(RecordItem),
    Enum(EnumItem),
    Table(TableItem),
    Param(ParamItem),
    Fn(FnItem),
    Rule(RuleItem),
    Settlement(RuleItem),
}

impl Item {
    pub fn name(&self) -> &Ident {
        match self {
            Item::Record(i) => &i.name,
            Item::Enum(i) => &i.name,
            Item::Table(i) => &i.name,
            Item::Param(i) => &i.name,
            Item::Fn(i) => &i.name,
            Item::Rule(i) | Item::Settlement(i) => &i.name,
        }
    }
}

/// `record Visit "就诊" { field: Type "doc" … }`
#[derive(Clone, Debug)]
pub struct RecordItem {
    pub name: Ident,
    pub doc: Option<Str>,
    pub fields: Vec<FieldItem>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct FieldItem {
    pub name: Ident,
    pub ty: TypeExpr,
    pub doc: Option<Str>,
}

#[derive(Clone, Debug)]
pub enum TypeExpr {
    Named(Ident),
    /// `List<T>` is written `List<T>`.
    List(Box<TypeExpr>, Span),
    /// `T?`
    Option(Box<TypeExpr>, Span),
    Error(Span),
}

impl TypeExpr {
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Named(i) => i.span,
            TypeExpr::List(_, s) | TypeExpr::Option(_, s) | TypeExpr::Error(s) => *s,
        }
    }
}

/// `enum VisitClass "就诊类别" { outpatient "门诊" … }`
#[derive(Clone, Debug)]
pub struct EnumItem {
    pub name: Ident,
    pub doc: Option<Str>,
    pub variants: Vec<(Ident, Option<Str>)>,
    pub span: Span,
}

/// `table item_limits "限定支付范围" key code { column: Type "doc" … }`
#[derive(Clone, Debug)]
pub struct TableItem {
    pub name: Ident,
    pub doc: Option<Str>,
    /// `from other`: read `tables/other.csv` (default: the table's own name).
    pub file: Option<Ident>,
    pub key: Option<Ident>,
    /// `key code many`: several rows may share a key (looked up with `.all(code)`).
    pub many: bool,
    pub columns: Vec<FieldItem>,
    pub span: Span,
}

/// `param name: Type = default "doc"`, or a map parameter
/// `param name: Type by KeyType = {key: value, …, else: value} "doc"`.
#[derive(Clone, Debug)]
pub struct ParamItem {
    pub name: Ident,
    pub ty: TypeExpr,
    /// `by KeyType`: the key type of a map parameter.
    pub key: Option<TypeExpr>,
    pub default: ParamDefault,
    pub doc: Option<Str>,
    pub span: Span,
}

/// What follows a parameter's `=`.
#[derive(Clone, Debug)]
pub enum ParamDefault {
    Value(Expr),
    /// `{key: value, …, else: value}`
    Map(Vec<MapEntry>, Span),
}

/// One entry of a map parameter's literal.
#[derive(Clone, Debug)]
pub struct MapEntry {
    /// `None` for `else` (its span is `key_span`).
    pub key: Option<Expr>,
    pub key_span: Span,
    pub value: Expr,
}

/// `fn name(a: T, b: U) -> R = body`
#[derive(Clone, Debug)]
pub struct FnItem {
    pub name: Ident,
    pub doc: Option<Str>,
    pub params: Vec<(Ident, TypeExpr)>,
    pub ret: TypeExpr,
    pub body: Expr,
    pub span: Span,
}

/// `rule id "中文名" code "GZ…" { clauses }`
#[derive(Clone, Debug)]
pub struct RuleItem {
    pub name: Ident,
    pub title: Option<Str>,
    pub code: Option<Str>,
    pub clauses: Vec<Clause>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Clause {
    pub kind: ClauseKind,
    /// The clause keyword's span.
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ClauseKind {
    /// `each line` / `each visit`
    Each(Ident),
    Severity(Expr),
    Let(Ident, Expr),
    When(Expr),
    Unless(Expr),
    Amount(Expr),
    Lines(Expr),
    /// `for x in list where c`: the clauses after it run once per element.
    For(Ident, Expr, Option<Expr>),
    /// `group by a, b`: findings of one visit with equal keys become one.
    GroupBy(Vec<Expr>),
    /// `key { name: expr, … }`: in an `each group` rule, what groups the visits.
    Key(Vec<(Ident, Expr)>),
    /// `total name = expr`: in an `each group` rule, a per-visit value summed over
    /// the group.
    Total(Ident, Expr),
    Message(Str),
    Evidence(Vec<(Ident, Expr)>),
    /// `doc "…"`: the rule's documentation.
    Doc(Str),
    /// Settlement: `output name = expr`, a named result written to the output.
    Output(Ident, Expr),
    /// Settlement: `accumulator name "说明"`, carried per patient and scheme year.
    Accumulator(Ident, Option<Str>),
    /// Settlement: `add expr to accumulator`.
    Add(Expr, Ident),
    /// Settlement: `year starts expr`, the first day of the scheme year ("MM-DD").
    YearStarts(Expr),
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Int(i64),
    Decimal(Decimal),
    /// `70%`, already divided by 100.
    Percent(Decimal),
    Str(String),
    Bool(bool),
    None,
    /// `date "2026-01-01"`
    Date(String),
    Name(Ident),
    Field(Box<Expr>, Ident),
    Call(Box<Expr>, Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Match(Box<Expr>, Vec<MatchArm>, Option<Box<Expr>>),
    IsSome(Box<Expr>, Option<Ident>),
    IsNone(Box<Expr>),
    Otherwise(Box<Expr>, Box<Expr>),
    /// `x in [a, b, "C00".."C97"]`
    InList(Box<Expr>, Vec<ListItem>),
    /// `x in e` where `e` is not a list literal (e.g. a Prefixes value).
    In(Box<Expr>, Box<Expr>),
    Aggregate(Box<Aggregate>),
    Error,
}

/// An item of a list literal after `in`: one value, or an inclusive code range.
#[derive(Clone, Debug)]
pub enum ListItem {
    One(Expr),
    /// `"C00".."C97"`: codes whose first characters fall between the bounds.
    Range(Expr, Expr),
}

#[derive(Clone, Debug)]
pub struct MatchArm {
    pub patterns: Vec<Expr>,
    pub body: Expr,
}

/// `sum(body for var in list where filter)`, `any(var in list where filter)`.
#[derive(Clone, Debug)]
pub struct Aggregate {
    pub kind: Ident,
    pub body: Option<Expr>,
    pub var: Ident,
    pub list: Expr,
    pub filter: Option<Expr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    /// `a before b`: in the patient's time order.
    Before,
}

/// Aggregate names the parser recognises before `(`.
pub const AGGREGATES: &[&str] = &[
    "any", "all", "count", "sum", "min", "max", "filter", "first", "last",
];
