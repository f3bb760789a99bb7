//! Tests of the interpreter over a small hand-built program (see [`ir`] below).

use super::*;
use crate::value::Record;
use chrono::NaiveDate;
use heng_compiler::ir::{AggKind, Builtin, Const, FuncId, Function, ParamId};
use heng_compiler::types::Type;
use rust_decimal::Decimal;
use std::str::FromStr;

/// A small schema and IR builders, so the hand-written rules stay readable.
mod ir {
    use heng_compiler::ir::*;
    use heng_compiler::source::{FileId, Span};
    use heng_compiler::types::{EnumId, RecordId, TableId, Type};
    use rust_decimal::Decimal;
    use std::str::FromStr;

    pub const VISIT: RecordId = RecordId(0);
    pub const FEE_LINE: RecordId = RecordId(1);
    pub const SEVERITY: EnumId = EnumId(0);
    pub const ITEM_LIMITS: TableId = TableId(0);

    // Visit fields.
    pub const MDTRT_ID: u32 = 0;
    pub const BRDY: u32 = 1;
    pub const FEEDETAIL: u32 = 2;
    // FeeLine fields.
    pub const FEEDETL_SN: u32 = 0;
    pub const CODE: u32 = 1;
    pub const AMOUNT: u32 = 2;
    pub const PRD_DAYS: u32 = 3;
    // item_limits columns.
    pub const MAX_DAYS: u32 = 1;

    pub const VIOLATION: u32 = 0;
    pub const HIGH: u32 = 1;

    fn field(name: &str, ty: Type) -> FieldDecl {
        FieldDecl {
            name: name.into(),
            ty,
            doc: String::new(),
            span: Span::default(),
        }
    }

    /// Visit{mdtrt_id, brdy, feedetail}, FeeLine{feedetl_sn, med_list_codg,
    /// det_item_fee_sumamt, prd_days?}, Severity, table item_limits{code, max_days?}.
    pub fn program() -> Program {
        let record = |name: &str, fields| RecordDecl {
            name: name.into(),
            doc: String::new(),
            fields,
            span: Span::default(),
        };
        let variant = |name: &str, label: &str| Variant {
            name: name.into(),
            label: label.into(),
        };
        Program {
            records: vec![
                record(
                    "Visit",
                    vec![
                        field("mdtrt_id", Type::Text),
                        field("brdy", Type::Date),
                        field("feedetail", Type::List(Box::new(Type::Record(FEE_LINE)))),
                    ],
                ),
                record(
                    "FeeLine",
                    vec![
                        field("feedetl_sn", Type::Text),
                        field("med_list_codg", Type::Code),
                        field("det_item_fee_sumamt", Type::Decimal),
                        field("prd_days", Type::Int.option()),
                    ],
                ),
            ],
            enums: vec![EnumDecl {
                name: "Severity".into(),
                doc: String::new(),
                variants: vec![
                    variant("violation", "违规"),
                    variant("high", "高度可疑"),
                    variant("low", ""),
                ],
                span: Span::default(),
            }],
            tables: vec![TableDecl {
                name: "item_limits".into(),
                file: "item_limits".into(),
                doc: String::new(),
                many: false,
                key: 0,
                columns: vec![
                    field("code", Type::Code),
                    field("max_days", Type::Int.option()),
                ],
                span: Span::default(),
            }],
            visit: Some(VISIT),
            severity: Some(SEVERITY),
            ..Program::default()
        }
    }

    /// A span that identifies an expression in assertions.
    pub fn sp(n: u32) -> Span {
        Span {
            file: FileId(0),
            start: n,
            end: n + 1,
        }
    }

    pub fn ex(kind: ExprKind, ty: Type) -> Expr {
        Expr {
            kind,
            ty,
            span: Span::default(),
        }
    }

    pub fn spanned(mut e: Expr, span: Span) -> Expr {
        e.span = span;
        e
    }

    pub fn local(n: u32, ty: Type) -> Expr {
        ex(ExprKind::Local(LocalId(n)), ty)
    }
    pub fn visit() -> Expr {
        local(0, Type::Record(VISIT))
    }
    pub fn line() -> Expr {
        local(1, Type::Record(FEE_LINE))
    }
    pub fn lines_of_visit() -> Expr {
        get(
            visit(),
            FEEDETAIL,
            Type::List(Box::new(Type::Record(FEE_LINE))),
        )
    }
    pub fn get(base: Expr, index: u32, ty: Type) -> Expr {
        ex(
            ExprKind::Field {
                base: Box::new(base),
                index,
            },
            ty,
        )
    }
    pub fn amount_of(l: Expr) -> Expr {
        get(l, AMOUNT, Type::Decimal)
    }
    pub fn code_of(l: Expr) -> Expr {
        get(l, CODE, Type::Code)
    }
    pub fn int(i: i64) -> Expr {
        ex(ExprKind::Const(Const::Int(i)), Type::Int)
    }
    pub fn dec(s: &str) -> Expr {
        let d = Decimal::from_str(s).unwrap_or_default();
        ex(ExprKind::Const(Const::Decimal(d)), Type::Decimal)
    }
    pub fn code(s: &str) -> Expr {
        ex(ExprKind::Const(Const::Code(s.into())), Type::Code)
    }
    pub fn severity(v: u32) -> Expr {
        ex(
            ExprKind::Const(Const::Enum(SEVERITY, v)),
            Type::Enum(SEVERITY),
        )
    }
    pub fn bin(op: BinOp, lhs: Expr, rhs: Expr) -> Expr {
        let ty = match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul if lhs.ty == Type::Int && rhs.ty == Type::Int => {
                Type::Int
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => Type::Decimal,
            _ => Type::Bool,
        };
        ex(
            ExprKind::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            ty,
        )
    }
    pub fn builtin(op: Builtin, args: Vec<Expr>, ty: Type) -> Expr {
        ex(ExprKind::Builtin { op, args }, ty)
    }
    pub fn is_some(e: Expr, bind: u32) -> Expr {
        ex(
            ExprKind::IsSome {
                expr: Box::new(e),
                bind: Some(LocalId(bind)),
            },
            Type::Bool,
        )
    }
    pub fn lookup(mode: LookupMode, key: Expr) -> Expr {
        ex(
            ExprKind::Lookup {
                table: ITEM_LIMITS,
                mode,
                key: Box::new(key),
            },
            Type::Row(ITEM_LIMITS).option(),
        )
    }
    pub fn agg(
        kind: AggKind,
        var: u32,
        filter: Option<Expr>,
        body: Option<Expr>,
        ty: Type,
    ) -> Expr {
        ex(
            ExprKind::Aggregate {
                kind,
                var: LocalId(var),
                list: Box::new(lines_of_visit()),
                filter: filter.map(Box::new),
                body: body.map(Box::new),
            },
            ty,
        )
    }
    pub fn text(s: &str) -> Piece {
        Piece::Text(s.into())
    }
    pub fn hole(e: Expr) -> Piece {
        Piece::Expr(e)
    }

    /// A line rule with the given steps: severity violation, amount none, lines none,
    /// no message; adjust fields with struct update syntax.
    pub fn rule(scope: Scope, steps: Vec<Step>, frame_size: u32) -> Rule {
        Rule {
            id: "test_rule".into(),
            name: "测试规则".into(),
            code: None,
            doc: String::new(),
            scope,
            steps,
            severity: severity(VIOLATION),
            amount: None,
            lines: None,
            group_of: None,
            group: Vec::new(),
            message: Vec::new(),
            evidence: Vec::new(),
            frame_size,
            span: Span::default(),
        }
    }
}

use ir::*;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("bad decimal {s}: {e}"))
}

fn date(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_else(|| panic!("bad date {y}-{m}-{day}"))
}

fn fee(sn: &str, code: &str, amount: &str, prd_days: Option<i64>) -> Value {
    Value::Record(Record::new(vec![
        Value::text(sn),
        Value::text(code),
        Value::Decimal(d(amount)),
        prd_days.map_or(Value::Absent, Value::Int),
    ]))
}

fn visit_of(lines: Vec<Value>) -> Value {
    Value::Record(Record::new(vec![
        Value::text("V001"),
        Value::Date(date(2010, 5, 10)),
        Value::List(lines.into()),
    ]))
}

fn item_limits() -> Table {
    let row = |code: &str, max: Option<i64>| {
        vec![Value::text(code), max.map_or(Value::Absent, Value::Int)]
    };
    Table::from_rows(
        0,
        vec![row("X01", Some(7)), row("X01A", Some(10)), row("Y", None)],
    )
}

fn run(rule: &Rule, visit: &Value) -> RuleOutcome {
    let program = program();
    let tables = [item_limits()];
    Evaluator::new(&program, &[], &tables).eval_rule(rule, visit, FEEDETAIL as usize, None)
}

/// Evaluates one expression in a frame holding the visit and one line.
fn eval_expr(e: &Expr, visit: &Value) -> Result<Value, Fault> {
    let program = program();
    let tables = [item_limits()];
    let ev = Evaluator::new(&program, &[], &tables);
    let first_line = match visit {
        Value::Record(r) => r.fields[FEEDETAIL as usize].as_list().first().cloned(),
        _ => None,
    };
    let mut frame = vec![visit.clone(), first_line.unwrap_or(Value::Absent)];
    frame.resize(16, Value::Absent);
    ev.eval(e, &mut frame)
}

fn value(e: Expr) -> Value {
    eval_expr(&e, &visit_of(vec![])).unwrap_or_else(|f| panic!("fault: {}", f.message.en))
}

fn fault(e: Expr) -> Fault {
    match eval_expr(&e, &visit_of(vec![])) {
        Ok(v) => panic!("expected a fault, got {v:?}"),
        Err(f) => f,
    }
}

mod expressions;
mod rendering;
mod rules;
