//! The typed IR: what the checker produces and what both backends (the reference
//! interpreter and, later, the Cranelift JIT) consume. Every name is resolved to an
//! index, every expression carries its type and source span.
//!
//! Architecture invariant: an IR [`Program`] is well typed. Backends may assume the
//! operand types the checker guarantees (documented on each node) and never need
//! to report type errors; they only report runtime faults (division by zero,
//! overflow) as `eval_error` records.

use crate::source::Span;
use crate::types::{EnumId, RecordId, TableId, Type, TypeNames};
use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

mod settlement;
pub use settlement::{SETTLED_LINES_LOCAL, SettleStep, Settlement};

/// A checked pack, ready to evaluate.
#[derive(Clone, Debug, Default)]
pub struct Program {
    pub records: Vec<RecordDecl>,
    pub enums: Vec<EnumDecl>,
    pub tables: Vec<TableDecl>,
    pub params: Vec<ParamDecl>,
    pub functions: Vec<Function>,
    /// In pack order: files sorted by path, rules in file order.
    pub rules: Vec<Rule>,
    /// The record type of one input line (`record Visit`).
    pub visit: Option<RecordId>,
    /// The built-in `Severity` enum: variants `violation`, `high`, `low` in that order.
    pub severity: Option<EnumId>,
    /// The pack's coverage settlement (`settlement`), at most one.
    pub settlement: Option<Settlement>,
}

impl Program {
    pub fn record(&self, id: RecordId) -> &RecordDecl {
        &self.records[id.0 as usize]
    }
    pub fn enum_decl(&self, id: EnumId) -> &EnumDecl {
        &self.enums[id.0 as usize]
    }
    pub fn table(&self, id: TableId) -> &TableDecl {
        &self.tables[id.0 as usize]
    }
    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }

    /// The record type of the visit's fee lines (`Visit.feedetail: List<FeeLine>`).
    pub fn fee_line_record(&self) -> Option<RecordId> {
        let visit = self.record(self.visit?);
        let field = &visit.fields[visit.field("feedetail")?];
        match field.value_type() {
            Type::List(t) => match **t {
                Type::Record(r) => Some(r),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether `e`, or a function it calls, has a node for which `pred` holds.
    pub fn mentions(&self, e: &Expr, pred: &dyn Fn(&ExprKind) -> bool) -> bool {
        let mut found = false;
        e.walk(&mut |x| {
            found |= pred(&x.kind)
                || matches!(&x.kind, ExprKind::Call { func, .. }
                    if self.functions.get(func.0 as usize)
                        .is_some_and(|f| self.mentions(&f.body, pred)));
        });
        found
    }

    /// Visits every node of `exprs` and of the bodies of the functions they call
    /// (transitively, each function once): what evaluating them can touch.
    pub fn walk_with_calls<'e>(
        &'e self,
        exprs: impl IntoIterator<Item = &'e Expr>,
        visit: &mut dyn FnMut(&Expr),
    ) {
        let mut todo: Vec<&Expr> = exprs.into_iter().collect();
        let mut called = vec![false; self.functions.len()];
        while let Some(e) = todo.pop() {
            e.walk(&mut |x| {
                visit(x);
                if let ExprKind::Call { func, .. } = &x.kind
                    && let Some(seen @ false) = called.get_mut(func.0 as usize)
                {
                    *seen = true;
                    todo.push(&self.functions[func.0 as usize].body);
                }
            });
        }
    }

    /// The input fields (record type, field index) that `exprs`, or the functions
    /// they call, read.
    pub fn fields_read<'e>(
        &'e self,
        exprs: impl IntoIterator<Item = &'e Expr>,
    ) -> std::collections::HashSet<(RecordId, usize)> {
        let mut fields = std::collections::HashSet::new();
        self.walk_with_calls(exprs, &mut |x| {
            if let ExprKind::Field { base, index } = &x.kind {
                let ty = match &base.ty {
                    Type::Option(t) => &**t,
                    t => t,
                };
                if let Type::Record(r) = ty {
                    fields.insert((*r, *index as usize));
                }
            }
        });
        fields
    }

    /// Whether a rule reads the patient's history (directly or through a function),
    /// so that its findings on a visit depend on the patient's other visits.
    pub fn reads_history(&self, rule: &Rule) -> bool {
        let history = |k: &ExprKind| matches!(k, ExprKind::History { .. });
        rule.exprs().any(|e| self.mentions(e, &history))
    }
}

impl TypeNames for Program {
    fn record_name(&self, id: RecordId) -> &str {
        &self.record(id).name
    }
    fn enum_name(&self, id: EnumId) -> &str {
        &self.enum_decl(id).name
    }
    fn table_name(&self, id: TableId) -> &str {
        &self.table(id).name
    }
}

/// A record type of the input schema, e.g. `Visit` or `FeeLine`.
#[derive(Clone, Debug)]
pub struct RecordDecl {
    pub name: String,
    pub doc: String,
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

impl RecordDecl {
    pub fn field(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
}

/// A field of a record or a column of a table. `ty` is `Type::Option(_)` when optional.
#[derive(Clone, Debug)]
pub struct FieldDecl {
    pub name: String,
    pub ty: Type,
    pub doc: String,
    pub span: Span,
}

impl FieldDecl {
    pub fn optional(&self) -> bool {
        matches!(self.ty, Type::Option(_))
    }
    /// The type without its option.
    pub fn value_type(&self) -> &Type {
        match &self.ty {
            Type::Option(t) => t,
            t => t,
        }
    }
}

#[derive(Clone, Debug)]
pub struct EnumDecl {
    pub name: String,
    pub doc: String,
    pub variants: Vec<Variant>,
    pub span: Span,
}

impl EnumDecl {
    pub fn variant(&self, name: &str) -> Option<u32> {
        self.variants
            .iter()
            .position(|v| v.name == name)
            .map(|i| i as u32)
    }
}

#[derive(Clone, Debug)]
pub struct Variant {
    pub name: String,
    /// Chinese label shown in messages, e.g. `住院`.
    pub label: String,
}

/// A knowledge-base table, loaded from `tables/<name>.csv`.
#[derive(Clone, Debug)]
pub struct TableDecl {
    pub name: String,
    /// The CSV file's name without `.csv` (in the pack's `tables/`).
    pub file: String,
    pub doc: String,
    /// Several rows may share a key; `.all(code)` returns them all.
    pub many: bool,
    /// Index of the key column: exact lookups compare it, prefix lookups match
    /// the longest key that the looked-up code starts with.
    pub key: usize,
    pub columns: Vec<FieldDecl>,
    pub span: Span,
}

/// A typed constant with its default value.
#[derive(Clone, Debug)]
pub struct ParamDecl {
    pub name: String,
    /// The parameter's type; for a map parameter, the type of its values.
    pub ty: Type,
    /// `Some(K)` for a map parameter (`param NAME: V by K = {…}`), read only as
    /// `NAME(key)` ([`ExprKind::ParamLookup`]); K is Int, Code, Text or an enum, and
    /// `default` is a [`Const::Map`].
    pub key: Option<Type>,
    pub default: Const,
    pub doc: String,
    pub span: Span,
}

/// A compile-time constant value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Const {
    Bool(bool),
    Int(i64),
    Decimal(Decimal),
    Text(String),
    Code(String),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    /// Enum and variant index.
    Enum(EnumId, u32),
    Prefixes(Vec<String>),
    /// The value of a map parameter.
    Map(ConstMap),
}

/// A map parameter's entries (distinct keys, in source order) and its `else` value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct ConstMap {
    pub entries: Vec<(Const, Const)>,
    pub otherwise: Option<Box<Const>>,
}

/// A pure helper function. Parameters occupy locals `0..params.len()`.
#[derive(Clone, Debug)]
pub struct Function {
    pub name: String,
    pub doc: String,
    pub params: Vec<(String, Type)>,
    pub ret: Type,
    pub body: Expr,
    /// Number of local slots the body needs (parameters included).
    pub frame_size: u32,
    pub span: Span,
}

/// A local variable slot in the current rule's or function's frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LocalId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FuncId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParamId(pub u32);

/// In a rule frame, local 0 always holds the visit.
pub const VISIT_LOCAL: LocalId = LocalId(0);
/// In an `each line` rule frame, local 1 holds the current fee line.
pub const LINE_LOCAL: LocalId = LocalId(1);

#[derive(Clone, Debug)]
pub struct Rule {
    /// Stable snake_case id, e.g. `age_limit`.
    pub id: String,
    /// Chinese name, e.g. `限儿童/限年龄使用`.
    pub name: String,
    /// National rule code (GZ…), when one exists.
    pub code: Option<String>,
    pub doc: String,
    pub scope: Scope,
    /// `let`, `when` and `unless` in source order.
    pub steps: Vec<Step>,
    /// Type: the `Severity` enum.
    pub severity: Expr,
    /// Type: Decimal (Int widened). `None` means 0.
    pub amount: Option<Expr>,
    /// Type: `List<FeeLine>`: the lines the finding names. `None` means the current
    /// line in `each line` rules and no lines in `each visit` rules.
    pub lines: Option<Expr>,
    /// `each group` rules: the key and total expressions, evaluated per visit in a
    /// frame of `visit_frame` slots whose local 0 is the visit (see [`GroupOf`]).
    pub group_of: Option<GroupOf>,
    /// `group by` keys: the hits of one visit with equal keys merge into one finding
    /// (lines united, amounts summed, the most severe severity, the message and
    /// evidence of the group's last hit). Empty: every hit is its own finding.
    pub group: Vec<Expr>,
    pub message: Vec<Piece>,
    /// Named values written to the finding's `evidence` object, in source order.
    pub evidence: Vec<(String, Expr)>,
    pub frame_size: u32,
    pub span: Span,
}

impl Rule {
    /// Every expression of the rule: steps, then severity, amount, lines, group keys,
    /// message pieces and evidence.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.steps
            .iter()
            .flat_map(Step::exprs)
            .chain(std::iter::once(&self.severity))
            .chain(self.amount.iter())
            .chain(self.lines.iter())
            .chain(self.group.iter())
            .chain(
                self.group_of
                    .iter()
                    .flat_map(|g| g.keys.iter().chain(&g.totals).map(|(_, e)| e)),
            )
            .chain(self.message.iter().filter_map(|p| match p {
                Piece::Expr(e) => Some(e),
                Piece::Text(_) => None,
            }))
            .chain(self.evidence.iter().map(|(_, e)| e))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Once per fee line of the visit (after refunds); the line is [`LINE_LOCAL`].
    Line,
    /// Once per visit.
    Visit,
    /// Once per group of the batch's visits (an indicator): see [`GroupOf`].
    Group,
}

/// How an `each group` rule groups the batch's visits. Per visit, the keys and
/// totals are evaluated in a frame whose local 0 is the visit; visits with equal
/// keys form a group, whose totals are summed. Then the rule's steps run once per
/// group in a frame holding the keys in locals `0..keys.len()`, then the totals.
/// Findings name no visit: they carry the group's keys.
#[derive(Clone, Debug)]
pub struct GroupOf {
    pub keys: Vec<(String, Expr)>,
    /// Int or Decimal, summed over the group's visits.
    pub totals: Vec<(String, Expr)>,
    pub visit_frame: u32,
}

#[derive(Clone, Debug)]
pub enum Step {
    Let(LocalId, Expr),
    /// The rule fires only if this Bool holds.
    When(Expr),
    /// The rule does not fire if this Bool holds.
    Unless(Expr),
    /// `for var in list where filter`: the steps after it, and the finding, run once
    /// per element that passes the filter, in list order.
    For {
        var: LocalId,
        list: Expr,
        filter: Option<Expr>,
    },
}

impl Step {
    /// The expressions of the step, in evaluation order.
    pub fn exprs(&self) -> Vec<&Expr> {
        match self {
            Step::Let(_, e) | Step::When(e) | Step::Unless(e) => vec![e],
            Step::For { list, filter, .. } => {
                let mut v = vec![list];
                v.extend(filter);
                v
            }
        }
    }
}

/// A piece of a message template.
#[derive(Clone, Debug)]
pub enum Piece {
    Text(String),
    /// Any non-list type; absent options print as empty text.
    Expr(Expr),
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    pub span: Span,
}

impl Expr {
    /// Calls `f` with each name this expression binds for what follows it: the
    /// `is some(x)` of an `and` chain (names bound inside any other form stay
    /// local to it, as the checker scopes them).
    pub fn names_bound(&self, f: &mut impl FnMut(LocalId)) {
        match &self.kind {
            ExprKind::IsSome { bind: Some(l), .. } => f(*l),
            ExprKind::Binary {
                op: BinOp::And,
                lhs,
                rhs,
            } => {
                lhs.names_bound(f);
                rhs.names_bound(f);
            }
            _ => {}
        }
    }

    /// Calls `f` on this expression and every expression inside it, parents first.
    pub fn walk(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        let mut each = |es: &[&Expr]| es.iter().for_each(|e| e.walk(f));
        match &self.kind {
            ExprKind::Const(_) | ExprKind::None | ExprKind::Local(_) | ExprKind::Param(_) => {}
            ExprKind::Field { base: e, .. }
            | ExprKind::Unary { expr: e, .. }
            | ExprKind::Lookup { key: e, .. }
            | ExprKind::ParamLookup { key: e, .. }
            | ExprKind::IsSome { expr: e, .. }
            | ExprKind::IsNone { expr: e } => each(&[e]),
            ExprKind::Call { args, .. }
            | ExprKind::Builtin { args, .. }
            | ExprKind::History { args, .. } => each(&args.iter().collect::<Vec<_>>()),
            ExprKind::Binary { lhs, rhs, .. } => each(&[lhs, rhs]),
            ExprKind::Otherwise { expr, default } => each(&[expr, default]),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => each(&[cond, then, otherwise]),
            ExprKind::Match {
                scrutinee,
                arms,
                default,
            } => {
                let mut all = vec![scrutinee.as_ref()];
                all.extend(arms.iter().map(|(_, b)| b));
                all.extend(default.as_deref());
                each(&all)
            }
            ExprKind::InList { expr, items } => {
                let mut all = vec![expr.as_ref()];
                all.extend(items);
                each(&all)
            }
            ExprKind::Aggregate {
                list, filter, body, ..
            } => {
                let mut all = vec![list.as_ref()];
                all.extend(filter.as_deref());
                all.extend(body.as_deref());
                each(&all)
            }
        }
    }
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Const(Const),
    /// The absent value (`none`); type `Option<_>`.
    None,
    Local(LocalId),
    /// A plain parameter (never a map parameter).
    Param(ParamId),
    /// `NAME(key)`: the value of map parameter `param` for `key` (of the map's key
    /// type, never an option), or its `else` value. Type: the value type when the
    /// declaration has an `else`, otherwise its option (absent for a key not in the
    /// map). An override may add keys or an `else`, never remove them.
    ParamLookup {
        param: ParamId,
        key: Box<Expr>,
    },
    /// Field of a record or column of a table row; `base` is never an option.
    Field {
        base: Box<Expr>,
        index: u32,
    },
    Call {
        func: FuncId,
        args: Vec<Expr>,
    },
    Builtin {
        op: Builtin,
        args: Vec<Expr>,
    },
    Unary {
        op: UnOp,
        expr: Box<Expr>,
    },
    /// Arithmetic on Int/Decimal (Int op Int stays Int except `/`, which is always
    /// Decimal); comparisons on two values of the same non-option type (Int and
    /// Decimal compare with each other); `and`/`or` short-circuit.
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// Compares the scrutinee (Code, Text, Int or an enum) with each arm's
    /// constants in order; an enum match without `default` is exhaustive.
    Match {
        scrutinee: Box<Expr>,
        arms: Vec<(Vec<Const>, Expr)>,
        default: Option<Box<Expr>>,
    },
    /// Table lookup by a Code key; type `Option<Row<table>>`.
    Lookup {
        table: TableId,
        mode: LookupMode,
        key: Box<Expr>,
    },
    /// `expr is some(x)`: true when the option is present, and then the value is
    /// stored into `bind` (when given) before evaluation continues.
    IsSome {
        expr: Box<Expr>,
        bind: Option<LocalId>,
    },
    /// `expr is none`.
    IsNone {
        expr: Box<Expr>,
    },
    /// `expr otherwise default`: the option's value, or the default when absent.
    Otherwise {
        expr: Box<Expr>,
        default: Box<Expr>,
    },
    /// `expr in [a, b, c]`: exact equality with any item.
    InList {
        expr: Box<Expr>,
        items: Vec<Expr>,
    },
    /// An aggregate over a list. `var` is bound to each element in turn, `filter`
    /// (Bool) selects elements, `body` is the value aggregated (`sum`, `min`, `max`).
    Aggregate {
        kind: AggKind,
        var: LocalId,
        list: Box<Expr>,
        filter: Option<Box<Expr>>,
        body: Option<Box<Expr>>,
    },
    /// The patient's history (see [`HistoryOp`]); needs the patient's visits, so
    /// native code defers a rule to the interpreter where it meets one.
    History {
        op: HistoryOp,
        args: Vec<Expr>,
    },
}

/// What a rule can ask of the patient's history: every visit of the same `psn_no`
/// (batch and history file) in time order: visits by begntime, lines by
/// fee_ocur_time, ties in input order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryOp {
    /// `history.visits`: List<Visit>, the current visit included.
    Visits,
    /// `history.lines`: List<FeeLine>, every visit's lines in time order.
    Lines,
    /// `visit_of(line)`: the visit a fee line belongs to.
    VisitOf,
    /// `a before b` (two visits or two fee lines): Bool, a comes earlier in time order.
    Before,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookupMode {
    /// The row whose key equals the code.
    Exact,
    /// The row with the longest key that the code starts with.
    Prefix,
    /// Every row whose key the code starts with (longest key first, then file
    /// order); type `List<Row<table>>`.
    All,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggKind {
    /// Bool: some element passes the filter.
    Any,
    /// Bool: every element passes the filter.
    All,
    /// Int: elements passing the filter.
    Count,
    /// Sum of `body` (Int or Decimal) over elements passing the filter; 0 when none.
    Sum,
    /// Option of the least `body`; absent when no element passes.
    Min,
    /// Option of the greatest `body`; absent when no element passes.
    Max,
    /// List of the elements passing the filter, in order.
    Filter,
    /// Option of the first element passing the filter (of `body` on it, if given).
    First,
    /// Option of the last element passing the filter (of `body` on it, if given).
    Last,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
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
}

/// Built-in functions. Argument types are guaranteed by the checker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    /// (Code|Text, Code|Text) -> Bool
    StartsWith,
    /// (Code, Prefixes) -> Bool: the code starts with one of the prefixes.
    MatchesAny,
    /// (Code, Code lo, Code hi) -> Bool: the code's first `len(lo)` characters are
    /// ≥ lo and its first `len(hi)` characters are ≤ hi (`"C00".."C97"` holds C34.900).
    InCodeRange,
    /// (DateTime) -> Date
    DateOf,
    /// (Date, Date) -> Int: whole years from the first to the second (birthday rule:
    /// counted on its date; 29 Feb counts on 28 Feb in other years).
    YearsBetween,
    /// (Date, Date) -> Int: days from the first to the second (negative if earlier).
    DaysBetween,
    /// (Date, Int) -> Date, or (DateTime, Int) -> DateTime
    AddDays,
    /// (Decimal, Decimal step) -> Decimal: half-up to a multiple of step (e.g. 0.01).
    Round,
    /// (n, n) -> n
    Min,
    /// (n, n) -> n
    Max,
    /// (List<_>) -> Int
    Len,
    /// (DateTime|Date) -> Text `YYYY-MM`
    MonthOf,
    /// (Date) -> Date: the Monday of its ISO week.
    WeekStart,
    /// (Date) -> Date: the first day of its month.
    MonthStart,
    /// (Date) -> Date: 1 January of its year.
    YearStart,
    /// (Code|Text, Int n) -> same type: the first n characters (all if shorter).
    Left,
    /// (any plain value) -> Text: as a message shows it.
    TextOf,
}

impl Builtin {
    pub const ALL: &[(&'static str, Builtin)] = &[
        ("starts_with", Builtin::StartsWith),
        ("matches_any", Builtin::MatchesAny),
        ("in_code_range", Builtin::InCodeRange),
        ("date", Builtin::DateOf),
        ("years_between", Builtin::YearsBetween),
        ("days_between", Builtin::DaysBetween),
        ("add_days", Builtin::AddDays),
        ("round", Builtin::Round),
        ("min", Builtin::Min),
        ("max", Builtin::Max),
        ("len", Builtin::Len),
        ("month", Builtin::MonthOf),
        ("week_start", Builtin::WeekStart),
        ("month_start", Builtin::MonthStart),
        ("year_start", Builtin::YearStart),
        ("left", Builtin::Left),
        ("text", Builtin::TextOf),
    ];
}
