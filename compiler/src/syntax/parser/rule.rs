//! Rules and settlements: an id, a title, an optional national code, and clauses
//! (`each`, `let`, `when`, `for`, `severity`, `amount`, `message` … and a
//! settlement's steps), each resynchronised on its own after an error.

use super::{CLAUSES, Parser};
use crate::syntax::ast::*;
use crate::syntax::lexer::Tok;

impl Parser {
    /// A `rule` or a `settlement`: both are an id, a title and clauses.
    pub(super) fn rule(&mut self) -> Option<RuleItem> {
        let (start_tok, start) = self.bump();
        let settlement = start_tok == Tok::Settlement;
        let name = self.ident("the rule id", "规则标识")?;
        let title = self.opt_str();
        let code = if self.at_ident("code") {
            self.bump();
            let c = self.opt_str();
            if c.is_none() {
                let span = self.span();
                self.error_unexpected(
                    span,
                    "the national rule code as a string",
                    "字符串形式的国家规则编码",
                );
            }
            c
        } else {
            None
        };
        let mut clauses = Vec::new();
        self.braced(|p| match p.clause(settlement) {
            Some(c) => {
                clauses.push(c);
                true
            }
            None => false,
        });
        Some(RuleItem {
            name,
            title,
            code,
            clauses,
            span: start.to(self.prev_span()),
        })
    }

    /// One clause; `settlement` says which clauses the error for a stray token lists.
    fn clause(&mut self, settlement: bool) -> Option<Clause> {
        let span = self.span();
        let kind = match self.peek().clone() {
            Tok::Let => {
                self.bump();
                let name = self.ident("a name", "变量名")?;
                if !self.expect(Tok::Eq, "`=`", " `=`") {
                    return None;
                }
                ClauseKind::Let(name, self.expr())
            }
            Tok::When => {
                self.bump();
                ClauseKind::When(self.expr())
            }
            Tok::Unless => {
                self.bump();
                ClauseKind::Unless(self.expr())
            }
            Tok::For => {
                self.bump();
                let var = self.ident("a name for each element", "元素的名称")?;
                if !self.expect(Tok::In, "`in`", " `in`") {
                    return None;
                }
                let list = self.expr();
                let filter = self.eat(&Tok::Where).then(|| self.expr());
                ClauseKind::For(var, list, filter)
            }
            Tok::Ident(word)
                if word == "year" && self.peek_at(1) == &Tok::Ident("starts".into()) =>
            {
                self.bump();
                self.bump();
                ClauseKind::YearStarts(self.expr())
            }
            Tok::Ident(word) if CLAUSES.contains(&word.as_str()) => {
                self.bump();
                match word.as_str() {
                    "output" => {
                        let name = self.ident("the output's name", "输出项名称")?;
                        if !self.expect(Tok::Eq, "`=`", " `=`") {
                            return None;
                        }
                        ClauseKind::Output(name, self.expr())
                    }
                    "accumulator" => {
                        let name = self.ident("the accumulator's name", "累计值名称")?;
                        ClauseKind::Accumulator(name, self.opt_str())
                    }
                    "add" => {
                        let value = self.expr();
                        if !self.at_ident("to") {
                            let span = self.span();
                            self.error_unexpected(
                                span,
                                "`to` and an accumulator",
                                " `to` 和累计值名称",
                            );
                            return None;
                        }
                        self.bump();
                        ClauseKind::Add(value, self.ident("an accumulator", "累计值名称")?)
                    }
                    "each" => {
                        ClauseKind::Each(self.ident("`line` or `visit`", " `line` 或 `visit`")?)
                    }
                    "severity" => ClauseKind::Severity(self.expr()),
                    "amount" => ClauseKind::Amount(self.expr()),
                    "lines" => ClauseKind::Lines(self.expr()),
                    "group" => {
                        if !self.at_ident("by") {
                            let span = self.span();
                            self.error_unexpected(span, "`by`", " `by`");
                            return None;
                        }
                        self.bump();
                        let mut keys = vec![self.expr()];
                        while self.eat(&Tok::Comma) {
                            keys.push(self.expr());
                        }
                        ClauseKind::GroupBy(keys)
                    }
                    "total" => {
                        let name = self.ident("a name for the total", "合计的名称")?;
                        if !self.expect(Tok::Eq, "`=`", " `=`") {
                            return None;
                        }
                        ClauseKind::Total(name, self.expr())
                    }
                    "message" | "doc" => {
                        let Some(s) = self.opt_str() else {
                            let span = self.span();
                            self.error_unexpected(span, "a string", "字符串");
                            return None;
                        };
                        if word == "doc" {
                            ClauseKind::Doc(s)
                        } else {
                            ClauseKind::Message(s)
                        }
                    }
                    _ => {
                        let mut entries = Vec::new();
                        let (en, zh) = if word == "key" {
                            ("a key name", "分组键名")
                        } else {
                            ("an evidence name", "证据名")
                        };
                        self.braced(|p| {
                            let Some(k) = p.ident(en, zh) else {
                                return false;
                            };
                            if !p.expect(Tok::Colon, "`:`", " `:`") {
                                return false;
                            }
                            let v = p.expr();
                            p.eat(&Tok::Comma);
                            entries.push((k, v));
                            true
                        });
                        if word == "key" {
                            ClauseKind::Key(entries)
                        } else {
                            ClauseKind::Evidence(entries)
                        }
                    }
                }
            }
            _ if settlement => {
                self.error_unexpected(
                    span,
                    "a settlement clause (`doc`, `year starts`, `accumulator`, `each`, `let`, `output`, `add`)",
                    "结算子句(doc、year starts、accumulator、each、let、output、add)",
                );
                return None;
            }
            _ => {
                self.error_unexpected(
                    span,
                    "a rule clause (`each`, `severity`, `let`, `when`, `unless`, `for`, `group by`, `key`, `total`, `amount`, `lines`, `message`, `evidence`, `doc`)",
                    "规则子句(each、severity、let、when、unless、for、group by、key、total、amount、lines、message、evidence、doc)",
                );
                return None;
            }
        };
        Some(Clause { kind, span })
    }
}
