//! Expressions by type, and the `and` chains of conditions that bind names.
//!
//! Each generator lists its forms with the leaves first: `form` picks among the
//! leaves only past `MAX_DEPTH`.

use super::{
    CODE_LITERALS, COMPARE, DATE_LITERALS, DEC_LITERALS, EQUALITY, Env, Gen, INT_LITERALS,
    MAX_DEPTH, TEXT_LITERALS, Table, Ty, Var,
};

impl Gen<'_> {
    // ---- conditions that bind ----------------------------------------------

    /// An `and` chain whose `is some(v)` bindings flow to its right and out of it
    /// (for `when`, `if` conditions and `where`).
    pub(super) fn cond(&mut self, env: &Env, d: u32) -> (String, Vec<Var>) {
        let mut parts = Vec::new();
        let mut binds = Vec::new();
        for _ in 0..=self.c.pick(3) {
            let inner = env.with(binds.clone());
            if d < MAX_DEPTH && self.c.pick(2) == 1 {
                let ty = self.bindable(&inner);
                let value = self.opt(ty, &inner, d + 1);
                let name = self.fresh(if matches!(ty, Ty::Row(_)) { "r" } else { "v" });
                parts.push(format!("{value} is some({name})"));
                binds.push(Var {
                    name,
                    ty,
                    opt: false,
                });
            } else {
                parts.push(self.bool(&inner, d + 1));
            }
        }
        (parts.join(" and "), binds)
    }

    /// An optional type that has a source in `env`.
    fn bindable(&mut self, env: &Env) -> Ty {
        let mut tys = vec![
            Ty::Row(Table::ItemLimits),
            Ty::Int,
            Ty::Dec,
            Ty::Code,
            Ty::Text,
            Ty::DateTime,
            Ty::Row(Table::SpecialDiseases),
            Ty::Row(Table::PriceCaps),
            Ty::Date,
        ];
        for t in [Ty::Bool, Ty::Sev, Ty::Class, Ty::Prefixes] {
            if !env.paths(t, true).is_empty() {
                tys.push(t);
            }
        }
        tys[self.c.pick(tys.len())]
    }

    // ---- expressions by type ------------------------------------------------

    pub(super) fn expr(&mut self, ty: Ty, env: &Env, d: u32) -> String {
        match ty {
            Ty::Bool => self.bool(env, d),
            Ty::Int => self.int(env, d),
            Ty::Dec => self.dec(env, d),
            Ty::Code => self.code(env, d),
            Ty::Text => self.text(env, d),
            Ty::Date => self.date(env, d),
            Ty::DateTime => self.datetime(env, d),
            Ty::Sev => self.sev(env, d),
            Ty::Class => self.class(env, d),
            Ty::Prefixes => self.prefixes(env, d),
            Ty::Lines | Ty::Diags => self.list(ty, env, d),
            Ty::Visit | Ty::Line | Ty::Diag | Ty::Row(_) => env
                .first(ty)
                .map_or_else(|| "visit".to_owned(), str::to_owned),
        }
    }

    /// How many forms to pick from: only the `leaves` first ones when deep.
    fn form(&mut self, d: u32, leaves: usize, all: usize) -> usize {
        self.c.pick(if d >= MAX_DEPTH { leaves } else { all })
    }

    /// A call of a generated function returning `ty`, if there is one.
    fn call(&mut self, ty: Ty, env: &Env, d: u32) -> Option<String> {
        let names: Vec<String> = self
            .fns
            .iter()
            .filter(|f| f.ret == ty)
            .map(|f| f.name.clone())
            .collect();
        if names.is_empty() {
            return None;
        }
        let name = names[self.c.pick(names.len())].clone();
        let v = env.first(Ty::Visit)?.to_owned();
        Some(format!(
            "{name}({v}, {}, {}, {})",
            self.int(env, d + 1),
            self.dec(env, d + 1),
            self.code(env, d + 1)
        ))
    }

    /// `(if c then a else b)` for a non-optional type.
    fn if_expr(&mut self, ty: Ty, env: &Env, d: u32) -> String {
        let (c, binds) = self.cond(env, d + 1);
        let then = self.expr(ty, &env.with(binds), d + 1);
        let els = self.expr(ty, env, d + 1);
        format!("(if {c} then {then} else {els})")
    }

    /// `(match …)` over a code, an Int or the visit class, with arms of type `ty`.
    fn match_expr(&mut self, ty: Ty, env: &Env, d: u32) -> String {
        let mut arms = Vec::new();
        let scrutinee = match self.c.pick(3) {
            0 => {
                for _ in 0..=self.c.pick(3) {
                    let pats: Vec<&str> = (0..=self.c.pick(2))
                        .map(|_| self.one(CODE_LITERALS))
                        .collect();
                    arms.push(format!(
                        "{} => {}",
                        pats.join(" | "),
                        self.expr(ty, env, d + 1)
                    ));
                }
                arms.push(format!("else => {}", self.expr(ty, env, d + 1)));
                self.code(env, d + 1)
            }
            1 => {
                for _ in 0..=self.c.pick(3) {
                    let pats: Vec<&str> = (0..=self.c.pick(2))
                        .map(|_| self.one(&["0", "1", "2", "7", "-1", "9223372036854775807"]))
                        .collect();
                    arms.push(format!(
                        "{} => {}",
                        pats.join(" | "),
                        self.expr(ty, env, d + 1)
                    ));
                }
                arms.push(format!("else => {}", self.expr(ty, env, d + 1)));
                self.int(env, d + 1)
            }
            _ => {
                arms.push(format!(
                    "inpatient | pharmacy => {}",
                    self.expr(ty, env, d + 1)
                ));
                arms.push(format!(
                    "VisitClass.outpatient => {}",
                    self.expr(ty, env, d + 1)
                ));
                if self.c.pick(2) == 0 {
                    arms.push(format!(
                        "special_outpatient => {}",
                        self.expr(ty, env, d + 1)
                    ));
                } else {
                    arms.push(format!("else => {}", self.expr(ty, env, d + 1)));
                }
                self.class(env, d + 1)
            }
        };
        format!("(match {scrutinee} {{ {} }})", arms.join(", "))
    }

    /// An aggregate binder over a list of fee lines or diagnoses: the element
    /// name, the list, the `where` condition (if any) and the names it binds.
    fn binder(&mut self, env: &Env, d: u32) -> (Var, String, String, Env) {
        let ty = if self.c.pick(3) == 2 {
            Ty::Diags
        } else {
            Ty::Lines
        };
        let list = self.list(ty, env, d + 1);
        let elem = if ty == Ty::Lines { Ty::Line } else { Ty::Diag };
        let v = Var {
            name: self.fresh(if elem == Ty::Line { "l" } else { "d" }),
            ty: elem,
            opt: false,
        };
        let inner = env.with([v.clone()]);
        let (where_, inner) = if self.c.pick(3) == 0 {
            (String::new(), inner)
        } else {
            let (c, binds) = self.cond(&inner, d + 1);
            (format!(" where {c}"), inner.with(binds))
        };
        (v, list, where_, inner)
    }

    /// `sum`/`min`/`max` of an expression of type `ty` over a list.
    fn fold(&mut self, kind: &str, ty: Ty, env: &Env, d: u32) -> String {
        let (v, list, where_, inner) = self.binder(env, d);
        let body = self.expr(ty, &inner, d + 1);
        format!("{kind}({body} for {} in {list}{where_})", v.name)
    }

    fn list(&mut self, ty: Ty, env: &Env, d: u32) -> String {
        let (field, elem) = if ty == Ty::Lines {
            ("feedetail", Ty::Line)
        } else {
            ("diseinfo", Ty::Diag)
        };
        let visit = env.first(Ty::Visit).unwrap_or("visit").to_owned();
        let mut sources = env.paths(ty, false);
        sources.push(format!("{visit}.{field}"));
        if self.form(d, 1, 2) == 0 {
            return sources[self.c.pick(sources.len())].clone();
        }
        let list = self.list(ty, env, d + 1);
        let v = Var {
            name: self.fresh(if elem == Ty::Line { "l" } else { "d" }),
            ty: elem,
            opt: false,
        };
        let (c, _) = self.cond(&env.with([v.clone()]), d + 1);
        format!("filter({} in {list} where {c})", v.name)
    }

    fn bool(&mut self, env: &Env, d: u32) -> String {
        match self.form(d, 3, 22) {
            0 => self.one(&["true", "false"]).to_owned(),
            1 => self.path_or(env.paths(Ty::Bool, false), |g| {
                g.one(&["true", "false"]).to_owned()
            }),
            2 => "(gen_int > 0)".to_owned(),
            3 => {
                let op = self.one(COMPARE);
                format!("({} {op} {})", self.int(env, d + 1), self.int(env, d + 1))
            }
            4 => {
                let op = self.one(COMPARE);
                let a = self.dec(env, d + 1);
                let b = if self.c.pick(2) == 0 {
                    self.dec(env, d + 1)
                } else {
                    self.int(env, d + 1)
                };
                format!("({a} {op} {b})")
            }
            5 => {
                let op = self.one(COMPARE);
                let a = if self.c.pick(2) == 0 {
                    self.code(env, d + 1)
                } else {
                    self.text(env, d + 1)
                };
                let b = if self.c.pick(2) == 0 {
                    self.code(env, d + 1)
                } else {
                    self.text(env, d + 1)
                };
                format!("({a} {op} {b})")
            }
            6 => {
                let op = self.one(COMPARE);
                if self.c.pick(2) == 0 {
                    format!("({} {op} {})", self.date(env, d + 1), self.date(env, d + 1))
                } else {
                    format!(
                        "({} {op} {})",
                        self.datetime(env, d + 1),
                        self.datetime(env, d + 1)
                    )
                }
            }
            7 => {
                let op = self.one(&["and", "or"]);
                format!("({} {op} {})", self.bool(env, d + 1), self.bool(env, d + 1))
            }
            8 => format!("(not {})", self.bool(env, d + 1)),
            9 => {
                let ty = self.bindable(env);
                let test = self.one(&["is some", "is none"]);
                format!("({} {test})", self.opt(ty, env, d + 1))
            }
            10 => {
                let mut items = Vec::new();
                for _ in 0..=self.c.pick(4) {
                    items.push(if self.c.pick(3) == 0 {
                        self.one(&[
                            r#""C00".."C97""#,
                            r#""D00".."D09""#,
                            r#""X".."XJ""#,
                            r#""2".."3""#,
                        ])
                        .to_owned()
                    } else {
                        self.code(env, d + 1)
                    });
                }
                format!("({} in [{}])", self.code(env, d + 1), items.join(", "))
            }
            11 => format!(
                "({} in {})",
                self.code(env, d + 1),
                self.prefixes(env, d + 1)
            ),
            12 => {
                let kind = self.one(&["any", "all"]);
                let (v, list, where_, _) = self.binder(env, d);
                format!("{kind}({} in {list}{where_})", v.name)
            }
            13 => format!(
                "starts_with({}, {})",
                self.code(env, d + 1),
                self.code(env, d + 1)
            ),
            14 => format!(
                "matches_any({}, {})",
                self.code(env, d + 1),
                self.prefixes(env, d + 1)
            ),
            15 => self.if_expr(Ty::Bool, env, d),
            16 => {
                let op = self.one(EQUALITY);
                if self.c.pick(2) == 0 {
                    format!(
                        "({} {op} {})",
                        self.class(env, d + 1),
                        self.class(env, d + 1)
                    )
                } else {
                    format!("({} {op} {})", self.sev(env, d + 1), self.sev(env, d + 1))
                }
            }
            17 => {
                let items: Vec<String> =
                    (0..=self.c.pick(3)).map(|_| self.int(env, d + 1)).collect();
                format!("({} in [{}])", self.int(env, d + 1), items.join(", "))
            }
            18 => match env.first(Ty::Line).map(str::to_owned) {
                Some(l) => format!("is_drug({l})"),
                None => format!("(len({}) > 1)", self.list(Ty::Lines, env, d + 1)),
            },
            19 => {
                let paths = env.paths(Ty::Bool, true);
                if paths.is_empty() {
                    "false".into()
                } else {
                    let p = self.c.pick(paths.len());
                    format!("({} otherwise {})", paths[p], self.bool(env, d + 1))
                }
            }
            20 => self.call(Ty::Bool, env, d).unwrap_or_else(|| "true".into()),
            _ => self.match_expr(Ty::Bool, env, d),
        }
    }

    fn int(&mut self, env: &Env, d: u32) -> String {
        match self.form(d, 3, 16) {
            0 => self.one(INT_LITERALS).to_owned(),
            1 => self.path_or(env.paths(Ty::Int, false), |g| {
                g.one(INT_LITERALS).to_owned()
            }),
            2 => match self.c.pick(3) {
                0 => self
                    .one(&["gen_int", "discharge_max_days", "newborn_max_days"])
                    .to_owned(),
                1 => format!(
                    "(gen_code_int({}) otherwise {})",
                    self.code(env, d + 1),
                    self.int(env, d + 1)
                ),
                _ => format!("gen_class_int({})", self.class(env, d + 1)),
            },
            3 => {
                let op = self.one(&["+", "-", "*"]);
                format!("({} {op} {})", self.int(env, d + 1), self.int(env, d + 1))
            }
            4 => format!("(-{})", self.int(env, d + 1)),
            5 => {
                let (v, list, where_, _) = self.binder(env, d);
                format!("count({} in {list}{where_})", v.name)
            }
            6 => {
                let f = self.one(&["years_between", "days_between"]);
                format!("{f}({}, {})", self.date(env, d + 1), self.date(env, d + 1))
            }
            7 => format!(
                "({} otherwise {})",
                self.opt(Ty::Int, env, d + 1),
                self.int(env, d + 1)
            ),
            8 => self.match_expr(Ty::Int, env, d),
            9 => {
                let v = env.first(Ty::Visit).unwrap_or("visit").to_owned();
                match (self.c.pick(4), env.first(Ty::Line).map(str::to_owned)) {
                    (0, Some(l)) => format!("age({v}, {l})"),
                    (1, Some(l)) => format!("age_days({v}, {l})"),
                    (2, _) => format!("len({})", self.list(Ty::Lines, env, d + 1)),
                    _ => format!("tier({v})"),
                }
            }
            10 => self.fold("sum", Ty::Int, env, d),
            11 => {
                let f = self.one(&["min", "max"]);
                format!("{f}({}, {})", self.int(env, d + 1), self.int(env, d + 1))
            }
            12 => self.if_expr(Ty::Int, env, d),
            13 => self.call(Ty::Int, env, d).unwrap_or_else(|| "0".into()),
            14 => {
                let items: Vec<String> =
                    (0..=self.c.pick(2)).map(|_| self.int(env, d + 1)).collect();
                format!(
                    "(if {} in [{}] then 1 else 0)",
                    self.int(env, d + 1),
                    items.join(", ")
                )
            }
            _ => format!("len({})", self.list(Ty::Diags, env, d + 1)),
        }
    }

    fn dec(&mut self, env: &Env, d: u32) -> String {
        match self.form(d, 3, 15) {
            0 => self.one(DEC_LITERALS).to_owned(),
            1 => self.path_or(env.paths(Ty::Dec, false), |g| {
                g.one(DEC_LITERALS).to_owned()
            }),
            2 => match self.c.pick(3) {
                0 => self
                    .one(&["gen_dec", "expensive_material_price"])
                    .to_owned(),
                1 => format!("gen_tier_dec({})", self.int(env, d + 1)),
                _ => format!(
                    "(gen_class_dec({}) otherwise {})",
                    self.class(env, d + 1),
                    self.dec(env, d + 1)
                ),
            },
            3 => {
                let op = self.one(&["+", "-", "*"]);
                let a = self.dec(env, d + 1);
                let b = if self.c.pick(3) == 0 {
                    self.int(env, d + 1)
                } else {
                    self.dec(env, d + 1)
                };
                if self.c.pick(2) == 0 {
                    format!("({a} {op} {b})")
                } else {
                    format!("({b} {op} {a})")
                }
            }
            // Division: Int / Int is a Decimal too, and divisors can be zero.
            4 => {
                let a = if self.c.pick(3) == 0 {
                    self.int(env, d + 1)
                } else {
                    self.dec(env, d + 1)
                };
                let b = if self.c.pick(3) == 0 {
                    self.int(env, d + 1)
                } else {
                    self.dec(env, d + 1)
                };
                format!("({a} / {b})")
            }
            5 => {
                if self.c.pick(2) == 0 {
                    format!("round({})", self.dec(env, d + 1))
                } else {
                    let step = self.one(&["0.01", "1", "0.05", "10", "0.0000001", "0.0"]);
                    let step = if self.c.pick(4) == 3 {
                        self.dec(env, d + 1)
                    } else {
                        step.to_owned()
                    };
                    format!("round({}, {step})", self.dec(env, d + 1))
                }
            }
            6 => self.fold("sum", Ty::Dec, env, d),
            7 => {
                let f = self.one(&["min", "max"]);
                format!("{f}({}, {})", self.dec(env, d + 1), self.dec(env, d + 1))
            }
            8 => format!(
                "({} otherwise {})",
                self.opt(Ty::Dec, env, d + 1),
                self.dec(env, d + 1)
            ),
            9 => self.if_expr(Ty::Dec, env, d),
            10 => format!("(-{})", self.dec(env, d + 1)),
            11 => self.match_expr(Ty::Dec, env, d),
            12 => self.call(Ty::Dec, env, d).unwrap_or_else(|| "0.0".into()),
            13 => format!(
                "({} * {})",
                self.dec(env, d + 1),
                self.one(&["70%", "12.5%", "100%"])
            ),
            _ => format!(
                "({} / {})",
                self.dec(env, d + 1),
                self.one(&["3", "7.0", "0", "0.000"])
            ),
        }
    }

    fn code(&mut self, env: &Env, d: u32) -> String {
        match self.form(d, 3, 8) {
            0 => self.one(CODE_LITERALS).to_owned(),
            1 => self.path_or(env.paths(Ty::Code, false), |g| {
                g.one(CODE_LITERALS).to_owned()
            }),
            2 => "gen_code".to_owned(),
            3 => format!(
                "({} otherwise {})",
                self.opt(Ty::Code, env, d + 1),
                self.one(CODE_LITERALS)
            ),
            4 => self.if_expr(Ty::Code, env, d),
            5 => self.match_expr(Ty::Code, env, d),
            6 => self
                .call(Ty::Code, env, d)
                .unwrap_or_else(|| "gen_code".into()),
            _ => format!(
                "({} otherwise {})",
                self.opt(Ty::Code, env, d + 1),
                self.code(env, d + 1)
            ),
        }
    }

    fn text(&mut self, env: &Env, d: u32) -> String {
        match self.form(d, 3, 7) {
            0 => self.one(TEXT_LITERALS).to_owned(),
            1 => self.path_or(env.paths(Ty::Text, false), |g| {
                g.one(TEXT_LITERALS).to_owned()
            }),
            2 => "gen_text".to_owned(),
            3 => format!(
                "({} otherwise {})",
                self.opt(Ty::Text, env, d + 1),
                self.one(TEXT_LITERALS)
            ),
            4 => self.if_expr(Ty::Text, env, d),
            5 => {
                if self.c.pick(2) == 0 {
                    format!("month({})", self.date(env, d + 1))
                } else {
                    format!("month({})", self.datetime(env, d + 1))
                }
            }
            _ => self.match_expr(Ty::Text, env, d),
        }
    }

    fn date(&mut self, env: &Env, d: u32) -> String {
        match self.form(d, 3, 8) {
            0 => self.one(DATE_LITERALS).to_owned(),
            1 => self.path_or(env.paths(Ty::Date, false), |g| {
                g.one(DATE_LITERALS).to_owned()
            }),
            2 => "gen_date".to_owned(),
            3 => format!("date({})", self.datetime(env, d + 1)),
            4 => format!(
                "add_days({}, {})",
                self.date(env, d + 1),
                self.int(env, d + 1)
            ),
            5 => match env.first(Ty::Line).map(str::to_owned) {
                Some(l) => format!("day({l})"),
                None => format!("date({})", self.date(env, d + 1)),
            },
            6 => self.if_expr(Ty::Date, env, d),
            _ => self
                .call(Ty::Date, env, d)
                .unwrap_or_else(|| "gen_date".into()),
        }
    }

    fn datetime(&mut self, env: &Env, d: u32) -> String {
        match self.form(d, 1, 3) {
            0 => {
                let v = env.first(Ty::Visit).unwrap_or("visit").to_owned();
                self.path_or(env.paths(Ty::DateTime, false), |_| format!("{v}.begntime"))
            }
            1 => {
                let v = env.first(Ty::Visit).unwrap_or("visit").to_owned();
                format!(
                    "({} otherwise {v}.begntime)",
                    self.opt(Ty::DateTime, env, d + 1)
                )
            }
            _ => self.if_expr(Ty::DateTime, env, d),
        }
    }

    fn sev(&mut self, env: &Env, d: u32) -> String {
        match self.form(d, 2, 6) {
            0 => self
                .one(&["violation", "high", "low", "Severity.high"])
                .to_owned(),
            1 => {
                if self.c.pick(2) == 0 {
                    "gen_sev".to_owned()
                } else {
                    format!("gen_text_sev({})", self.text(env, d + 1))
                }
            }
            2 => self.if_expr(Ty::Sev, env, d),
            3 => self.match_expr(Ty::Sev, env, d),
            4 => {
                let paths = env.paths(Ty::Sev, true);
                if paths.is_empty() {
                    "low".into()
                } else {
                    let p = self.c.pick(paths.len());
                    format!("({} otherwise {})", paths[p], self.sev(env, d + 1))
                }
            }
            _ => self.call(Ty::Sev, env, d).unwrap_or_else(|| "high".into()),
        }
    }

    fn class(&mut self, env: &Env, d: u32) -> String {
        match self.form(d, 3, 5) {
            0 => self
                .one(&[
                    "inpatient",
                    "outpatient",
                    "VisitClass.pharmacy",
                    "special_outpatient",
                ])
                .to_owned(),
            1 => {
                let v = env.first(Ty::Visit).unwrap_or("visit").to_owned();
                format!("class({v})")
            }
            2 => "gen_class".to_owned(),
            3 => self.if_expr(Ty::Class, env, d),
            _ => {
                let paths = env.paths(Ty::Class, true);
                if paths.is_empty() {
                    "inpatient".into()
                } else {
                    let p = self.c.pick(paths.len());
                    format!("({} otherwise {})", paths[p], self.class(env, d + 1))
                }
            }
        }
    }

    fn prefixes(&mut self, env: &Env, d: u32) -> String {
        let mut paths = env.paths(Ty::Prefixes, false);
        paths.push("gen_prefs".into());
        for p in env.paths(Ty::Prefixes, true) {
            paths.push(format!("({p} otherwise gen_prefs)"));
        }
        let _ = d;
        paths[self.c.pick(paths.len())].clone()
    }

    /// An expression of type `ty?`.
    pub(super) fn opt(&mut self, ty: Ty, env: &Env, d: u32) -> String {
        let paths = env.paths(ty, true);
        if let Ty::Row(t) = ty {
            if !paths.is_empty() && self.c.pick(3) == 0 {
                return paths[self.c.pick(paths.len())].clone();
            }
            let lookup = match t {
                Table::SpecialDiseases => "get",
                _ => self.one(&["prefix", "get"]),
            };
            return format!("{}.{lookup}({})", t.name(), self.code(env, d + 1));
        }
        if !paths.is_empty() && (self.c.pick(3) != 2 || !ty.ordered() || d >= MAX_DEPTH) {
            return paths[self.c.pick(paths.len())].clone();
        }
        if !ty.ordered() {
            panic!("generator bug: no source of an optional {ty:?} (see `bindable`)");
        }
        let kind = self.one(&["min", "max"]);
        self.fold(kind, ty, env, d)
    }
}
