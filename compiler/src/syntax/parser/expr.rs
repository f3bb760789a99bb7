//! Expressions: precedence climbing from `or` down to primaries, aggregates,
//! `match` and `if`.

use super::{Parser, unescape};
use crate::diagnostic::{Diagnostic, codes};
use crate::source::Span;
use crate::syntax::ast::*;
use crate::syntax::lexer::Tok;
use crate::text;
use rust_decimal::Decimal;
use std::str::FromStr;

impl Parser {
    fn mk(&self, kind: ExprKind, start: Span) -> Expr {
        Expr {
            kind,
            span: start.to(self.prev_span()),
        }
    }

    pub(crate) fn expr(&mut self) -> Expr {
        let mut lhs = self.and_expr();
        while self.eat(&Tok::Or) {
            let rhs = self.and_expr();
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary(BinaryOp::Or, Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
        lhs
    }

    fn and_expr(&mut self) -> Expr {
        let mut lhs = self.not_expr();
        while self.eat(&Tok::And) {
            let rhs = self.not_expr();
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary(BinaryOp::And, Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
        lhs
    }

    fn not_expr(&mut self) -> Expr {
        if self.at(&Tok::Not) {
            let start = self.bump().1;
            let e = self.not_expr();
            return self.mk(ExprKind::Unary(UnaryOp::Not, Box::new(e)), start);
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Expr {
        let lhs = self.otherwise();
        let start = lhs.span;
        let op = match self.peek() {
            Tok::EqEq => BinaryOp::Eq,
            Tok::NotEq => BinaryOp::Ne,
            Tok::Lt => BinaryOp::Lt,
            Tok::Le => BinaryOp::Le,
            Tok::Gt => BinaryOp::Gt,
            Tok::Ge => BinaryOp::Ge,
            Tok::Ident(w) if w == "before" => BinaryOp::Before,
            Tok::Eq => {
                let span = self.span();
                self.diags.push(
                    Diagnostic::error(
                        codes::UNEXPECTED_TOKEN,
                        span,
                        text!("比较相等要用 `==`", "comparison uses `==`"),
                    )
                    .label(text!("这里应为 `==`", "did you mean `==`?"))
                    .help(text!(
                        "`=` 只用于 let 和参数默认值;比较写作 `==`",
                        "`=` only appears in `let` and parameter defaults; compare with `==`"
                    )),
                );
                BinaryOp::Eq
            }
            Tok::Is => {
                self.bump();
                if self.eat(&Tok::None) {
                    return self.mk(ExprKind::IsNone(Box::new(lhs)), start);
                }
                if !self.expect(Tok::Some, "`some` or `none`", " `some` 或 `none`") {
                    return self.mk(ExprKind::Error, start);
                }
                let mut bind = None;
                if self.eat(&Tok::LParen) {
                    bind = self.ident("a name for the value", "值的名称");
                    self.expect(Tok::RParen, "`)`", " `)`");
                }
                return self.mk(ExprKind::IsSome(Box::new(lhs), bind), start);
            }
            Tok::In => {
                self.bump();
                if self.eat(&Tok::LBracket) {
                    let mut items = Vec::new();
                    while !self.at(&Tok::RBracket) && !self.at(&Tok::Eof) {
                        let first = self.otherwise();
                        if self.eat(&Tok::DotDot) {
                            let last = self.otherwise();
                            items.push(ListItem::Range(first, last));
                        } else {
                            items.push(ListItem::One(first));
                        }
                        if !self.eat(&Tok::Comma) {
                            break;
                        }
                    }
                    self.expect(Tok::RBracket, "`]`", " `]`");
                    return self.mk(ExprKind::InList(Box::new(lhs), items), start);
                }
                let rhs = self.otherwise();
                return self.mk(ExprKind::In(Box::new(lhs), Box::new(rhs)), start);
            }
            _ => return lhs,
        };
        self.bump();
        let rhs = self.otherwise();
        self.mk(ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), start)
    }

    fn otherwise(&mut self) -> Expr {
        let mut lhs = self.additive();
        while self.eat(&Tok::Otherwise) {
            let rhs = self.additive();
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Otherwise(Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
        lhs
    }

    fn additive(&mut self) -> Expr {
        let mut lhs = self.multiplicative();
        loop {
            let op = match self.peek() {
                Tok::Plus => BinaryOp::Add,
                Tok::Minus => BinaryOp::Sub,
                _ => return lhs,
            };
            self.bump();
            let rhs = self.multiplicative();
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
    }

    fn multiplicative(&mut self) -> Expr {
        let mut lhs = self.unary();
        loop {
            let op = match self.peek() {
                Tok::Star => BinaryOp::Mul,
                Tok::Slash => BinaryOp::Div,
                _ => return lhs,
            };
            self.bump();
            let rhs = self.unary();
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
    }

    fn unary(&mut self) -> Expr {
        if self.at(&Tok::Minus) {
            let start = self.bump().1;
            // the one Int whose magnitude is not an Int: read `-9223372036854775808`
            // as a literal rather than as `-` applied to an out-of-range number
            if let Tok::Int(s) = self.peek()
                && s.replace('_', "") == "9223372036854775808"
            {
                self.bump();
                return self.mk(ExprKind::Int(i64::MIN), start);
            }
            let e = self.unary();
            return self.mk(ExprKind::Unary(UnaryOp::Neg, Box::new(e)), start);
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Expr {
        let mut e = self.primary();
        loop {
            if self.eat(&Tok::Dot) {
                let Some(field) = self.ident("a field name", "字段名") else {
                    return e;
                };
                let span = e.span.to(field.span);
                e = Expr {
                    kind: ExprKind::Field(Box::new(e), field),
                    span,
                };
            } else if self.at(&Tok::LParen) {
                let open = self.bump().1;
                let (args, closed) = self.call_args(open);
                let span = e.span.to(self.prev_span());
                e = Expr {
                    kind: if closed {
                        ExprKind::Call(Box::new(e), args)
                    } else {
                        // reported as unclosed; its type would only add noise
                        ExprKind::Error
                    },
                    span,
                };
            } else {
                return e;
            }
        }
    }

    /// Arguments after `(`, through `)`.
    /// Arguments after the `(` at `open`, and whether the `)` was found. A missing `)`
    /// is reported as an unclosed `(`, pointing at the `(`.
    fn call_args(&mut self, open: Span) -> (Vec<Expr>, bool) {
        let mut args = Vec::new();
        while !self.at(&Tok::RParen) && !self.at(&Tok::Eof) && !self.at_item_start() {
            args.push(self.expr());
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        if self.eat(&Tok::RParen) {
            return (args, true);
        }
        let here = self.span();
        self.diags.push(
            Diagnostic::error(
                codes::UNCLOSED_DELIMITER,
                open,
                text!("`(` 没有对应的 `)`", "unclosed `(`"),
            )
            .label(text!("这个 `(` 没有闭合", "this `(` is never closed"))
            .secondary(here, text!("到这里还没有 `)`", "no `)` before this"))
            .help(text!(
                "在参数的末尾加上 `)`",
                "add `)` after the last argument"
            )),
        );
        (args, false)
    }

    fn args(&mut self) -> Vec<Expr> {
        let mut args = Vec::new();
        while !self.at(&Tok::RParen) && !self.at(&Tok::Eof) && !self.at_item_start() {
            args.push(self.expr());
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.expect(Tok::RParen, "`)`", " `)`");
        args
    }

    fn number(&mut self, text: &str, span: Span, percent: bool) -> ExprKind {
        let clean: String = text.chars().filter(|c| *c != '_' && *c != '%').collect();
        let parsed = if !percent && !clean.contains('.') {
            clean.parse::<i64>().ok().map(ExprKind::Int)
        } else {
            Decimal::from_str(&clean).ok().map(|d| {
                if percent {
                    ExprKind::Percent(d / Decimal::ONE_HUNDRED)
                } else {
                    ExprKind::Decimal(d)
                }
            })
        };
        parsed.unwrap_or_else(|| {
            self.diags.push(
                Diagnostic::error(
                    codes::INVALID_NUMBER,
                    span,
                    text!("数字 `{}` 超出范围", "number `{}` is out of range", text),
                )
                .label(text!("超出范围", "out of range")),
            );
            ExprKind::Error
        })
    }

    fn primary(&mut self) -> Expr {
        let start = self.span();
        let kind = match self.peek().clone() {
            Tok::Int(s) | Tok::Decimal(s) => {
                self.bump();
                self.number(&s, start, false)
            }
            Tok::Percent(s) => {
                self.bump();
                self.number(&s, start, true)
            }
            Tok::BadNumber(_) => {
                // reported by the lexer pass
                self.bump();
                ExprKind::Error
            }
            Tok::Str(s) => {
                self.bump();
                ExprKind::Str(unescape(&s))
            }
            Tok::True => {
                self.bump();
                ExprKind::Bool(true)
            }
            Tok::False => {
                self.bump();
                ExprKind::Bool(false)
            }
            Tok::None => {
                self.bump();
                ExprKind::None
            }
            Tok::LParen => {
                self.bump();
                let e = self.expr();
                self.expect(Tok::RParen, "`)`", " `)`");
                return Expr {
                    kind: e.kind,
                    span: start.to(self.prev_span()),
                };
            }
            Tok::If => {
                self.bump();
                let c = self.expr();
                self.expect(Tok::Then, "`then`", " `then`");
                let a = self.expr();
                self.expect(Tok::Else, "`else`", " `else`");
                let b = self.expr();
                ExprKind::If(Box::new(c), Box::new(a), Box::new(b))
            }
            Tok::Match => return self.match_expr(),
            Tok::Ident(name) if name == "date" && matches!(self.peek_at(1), Tok::Str(_)) => {
                self.bump();
                let Tok::Str(s) = self.bump().0 else {
                    unreachable!("checked above")
                };
                ExprKind::Date(s)
            }
            // `date("2026-03-01")` is the same date literal, written like a call
            Tok::Ident(name)
                if name == "date"
                    && self.peek_at(1) == &Tok::LParen
                    && matches!(self.peek_at(2), Tok::Str(_))
                    && self.peek_at(3) == &Tok::RParen =>
            {
                self.bump();
                self.bump();
                let Tok::Str(s) = self.bump().0 else {
                    unreachable!("checked above")
                };
                self.bump();
                ExprKind::Date(s)
            }
            Tok::Ident(name)
                if AGGREGATES.contains(&name.as_str()) && self.peek_at(1) == &Tok::LParen =>
            {
                return self.aggregate_or_call();
            }
            Tok::Ident(name) => {
                let span = self.bump().1;
                ExprKind::Name(Ident { name, span })
            }
            _ => {
                self.error_unexpected(start, "a value", "一个值(字段、数字、字符串、函数调用……)");
                return Expr {
                    kind: ExprKind::Error,
                    span: start,
                };
            }
        };
        self.mk(kind, start)
    }

    fn aggregate_or_call(&mut self) -> Expr {
        let (Tok::Ident(name), start) = self.bump() else {
            unreachable!("caller checked")
        };
        let kind = Ident { name, span: start };
        self.bump(); // (
        let binder_form = matches!(self.peek(), Tok::Ident(_)) && self.peek_at(1) == &Tok::In;
        let body = if binder_form { None } else { Some(self.expr()) };
        if binder_form || self.at(&Tok::For) {
            if !binder_form {
                self.bump(); // for
            }
            let var = self.ident("the element name", "元素名");
            self.expect(Tok::In, "`in`", " `in`");
            let list = self.expr();
            let filter = if self.eat(&Tok::Where) {
                Some(self.expr())
            } else {
                None
            };
            self.expect(Tok::RParen, "`)`", " `)`");
            let Some(var) = var else {
                return self.mk(ExprKind::Error, start);
            };
            let agg = Aggregate {
                kind,
                body,
                var,
                list,
                filter,
            };
            return self.mk(ExprKind::Aggregate(Box::new(agg)), start);
        }
        // a plain call such as min(a, b)
        let mut args: Vec<Expr> = body.into_iter().collect();
        if self.eat(&Tok::Comma) {
            args.extend(self.args());
        } else {
            self.expect(Tok::RParen, "`)`", " `)`");
        }
        let callee = Expr {
            span: kind.span,
            kind: ExprKind::Name(kind),
        };
        self.mk(ExprKind::Call(Box::new(callee), args), start)
    }

    fn match_expr(&mut self) -> Expr {
        let start = self.bump().1;
        let scrutinee = self.expr();
        let mut arms = Vec::new();
        let mut default = None;
        self.braced(|p| {
            if p.eat(&Tok::Else) {
                p.expect(Tok::FatArrow, "`=>`", " `=>`");
                default = Some(Box::new(p.expr()));
                p.eat(&Tok::Comma);
                return true;
            }
            let mut patterns = vec![p.unary()];
            while p.eat(&Tok::Bar) {
                patterns.push(p.unary());
            }
            if !p.expect(Tok::FatArrow, "`=>`", " `=>`") {
                return false;
            }
            let body = p.expr();
            p.eat(&Tok::Comma);
            arms.push(MatchArm { patterns, body });
            true
        });
        self.mk(ExprKind::Match(Box::new(scrutinee), arms, default), start)
    }
}
