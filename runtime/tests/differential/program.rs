//! The program generator: random well-typed rule packs as `.heng` source text.
//!
//! Generation is by type: for a wanted type, pick one form that produces it, and
//! generate its operands by their types. Every choice comes from a [`Choices`]
//! stream where 0 is the simplest form (a leaf), so shrinking the stream shrinks
//! the program. Past `MAX_DEPTH`, only leaves are picked. Compound expressions
//! are always parenthesised, so precedence never decides what a program means.

use crate::Choices;

mod exprs;

const MAX_DEPTH: u32 = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    ItemLimits,
    SpecialDiseases,
    PriceCaps,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::ItemLimits => "item_limits",
            Table::SpecialDiseases => "special_diseases",
            Table::PriceCaps => "price_caps",
        }
    }
}

/// The types the generator knows about (optionality is kept beside it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Bool,
    Int,
    Dec,
    Text,
    Code,
    Date,
    DateTime,
    Sev,
    Class,
    Prefixes,
    Visit,
    Line,
    Diag,
    Row(Table),
    Lines,
    Diags,
}

impl Ty {
    /// A value a message placeholder or evidence can show.
    fn shown(self) -> bool {
        !matches!(
            self,
            Ty::Visit | Ty::Line | Ty::Diag | Ty::Row(_) | Ty::Lines | Ty::Diags
        )
    }
    fn ordered(self) -> bool {
        matches!(
            self,
            Ty::Int | Ty::Dec | Ty::Text | Ty::Code | Ty::Date | Ty::DateTime
        )
    }
}

type Field = (&'static str, Ty, bool);

/// The fields of record and row types (a subset of schema.heng and tables.heng).
fn fields(ty: Ty) -> &'static [Field] {
    use Ty::*;
    match ty {
        Visit => &[
            ("mdtrt_id", Text, false),
            ("psn_no", Code, false),
            ("gend", Code, true),
            ("brdy", Date, false),
            ("insutype", Code, true),
            ("cont_years", Int, true),
            ("hosp_lv", Code, true),
            ("med_type", Code, false),
            ("begntime", DateTime, false),
            ("endtime", DateTime, true),
            ("dise_codg", Code, true),
            ("adm_dept_codg", Code, true),
        ],
        Line => &[
            ("feedetl_sn", Text, false),
            ("drord_no", Text, true),
            ("fee_ocur_time", DateTime, false),
            ("med_list_codg", Code, false),
            ("hilist_name", Text, false),
            ("list_type", Code, true),
            ("med_chrgitm_type", Code, true),
            ("chrgitm_lv", Code, true),
            ("cnt", Dec, false),
            ("pric", Dec, false),
            ("det_item_fee_sumamt", Dec, false),
            ("bilg_dept_codg", Code, true),
            ("hosp_appr_flag", Code, true),
            ("dscg_tkdrug_flag", Code, true),
            ("prd_days", Int, true),
            ("sin_dos_dscr", Text, true),
        ],
        Diag => &[
            ("diag_code", Code, false),
            ("diag_name", Text, true),
            ("maindiag_flag", Code, true),
        ],
        Row(Table::ItemLimits) => &[
            ("code", Code, false),
            ("name", Text, true),
            ("gender", Code, true),
            ("age_min", Int, true),
            ("age_max", Int, true),
            ("newborn_only", Bool, true),
            ("min_tier", Int, true),
            ("visit", Class, true),
            ("indication", Prefixes, true),
            ("indication_grade", Sev, true),
            ("max_days", Int, true),
            ("freq", Dec, true),
            ("max_amount_year", Dec, true),
            ("dept", Prefixes, true),
        ],
        Row(Table::SpecialDiseases) => &[
            ("dise_codg", Code, false),
            ("name", Text, true),
            ("allowed", Prefixes, true),
            ("max_month_amount", Dec, true),
        ],
        Row(Table::PriceCaps) => &[
            ("code", Code, false),
            ("tier1", Dec, true),
            ("tier2", Dec, true),
            ("tier3", Dec, true),
        ],
        _ => &[],
    }
}

const INT_LITERALS: &[&str] = &[
    "0",
    "1",
    "2",
    "7",
    "30",
    "365",
    "1_000",
    "(-1)",
    "(-30)",
    "3037000500",
    "4611686018427387904",
    "9223372036854775807",
    "(-9223372036854775807)",
    "(-9223372036854775807 - 1)",
];

const DEC_LITERALS: &[&str] = &[
    "0.01",
    "1.0",
    "0.0",
    "12.50",
    "70%",
    "12.5%",
    "0.5%",
    "0.0000001",
    "(-12.345)",
    "100.00",
    "3.14159265358979323846264338",
    "0.1234567890123456789012345678",
    "1234567890123456.789012345678",
    "999999999999999999999999999.9",
    "(-999999999999999999999999999.9)",
];

const CODE_LITERALS: &[&str] = &[
    r#""XJ01""#,
    r#""XJ01CAA040E001010100001""#,
    r#""XG04CA""#,
    r#""250101015000000""#,
    r#""110900001000000""#,
    r#""1109""#,
    r#""M00500""#,
    r#""M01600""#,
    r#""C34.900""#,
    r#""J18.900""#,
    r#""21""#,
    r#""14""#,
    r#""11""#,
    r#""08""#,
    r#""1""#,
    r#""""#,
    r#""Z""#,
    r#""XL01""#,
];

const TEXT_LITERALS: &[&str] = &[
    r#""肺炎""#,
    r#""""#,
    r#""头孢曲松钠注射剂""#,
    r#""中文\"引号\"""#,
    r#""a\\b""#,
    r#""换行\n第二行""#,
    r#""{不是占位}""#,
    r#""血细胞分析""#,
];

const DATE_LITERALS: &[&str] = &[
    r#"date "2026-01-01""#,
    r#"date "2024-02-29""#,
    r#"date "2025-12-31""#,
    r#"date("2000-02-29")"#,
    r#"date "1900-01-01""#,
    r#"date "9999-12-31""#,
    r#"date "0001-01-01""#,
];

const COMPARE: &[&str] = &["==", "!=", "<", "<=", ">", ">="];
const EQUALITY: &[&str] = &["==", "!="];

/// A name in scope: a `let`, an `is some` binding, an aggregate element, a
/// function parameter, `visit`, `line`.
#[derive(Clone, Debug)]
struct Var {
    name: String,
    ty: Ty,
    opt: bool,
}

#[derive(Clone, Debug, Default)]
struct Env {
    vars: Vec<Var>,
}

impl Env {
    fn with(&self, vars: impl IntoIterator<Item = Var>) -> Env {
        let mut e = self.clone();
        e.vars.extend(vars);
        e
    }
    fn first(&self, ty: Ty) -> Option<&str> {
        self.vars
            .iter()
            .find(|v| v.ty == ty && !v.opt)
            .map(|v| v.name.as_str())
    }
    /// Names and field paths of type `ty` (optional when `opt`).
    fn paths(&self, ty: Ty, opt: bool) -> Vec<String> {
        let mut out = Vec::new();
        for v in &self.vars {
            if v.ty == ty && v.opt == opt {
                out.push(v.name.clone());
            }
            if !v.opt {
                for (f, fty, fopt) in fields(v.ty) {
                    if *fty == ty && *fopt == opt {
                        out.push(format!("{}.{f}", v.name));
                    }
                }
            }
        }
        out
    }
}

/// A generated helper function: `fn NAME (v: Visit, n: Int, x: Decimal, c: Code) -> ret`.
struct FnSig {
    name: String,
    ret: Ty,
}

/// The generator's state: the choice stream, a counter for fresh names and the
/// functions generated so far (a function may call only earlier ones).
pub struct Gen<'a> {
    c: Choices<'a>,
    next: u32,
    fns: Vec<FnSig>,
}

/// One generated pack source: params, functions and rules.
pub fn program(choices: &[u32]) -> String {
    let mut g = Gen {
        c: Choices::new(choices),
        next: 0,
        fns: Vec::new(),
    };
    let mut out = String::from("# generated by runtime/tests/differential\n");
    out.push_str(&g.params());
    for _ in 0..g.c.pick(3) {
        out.push_str(&g.function());
    }
    for i in 0..=g.c.pick(4) {
        out.push_str(&g.rule(i));
    }
    out
}

impl Gen<'_> {
    fn fresh(&mut self, prefix: &str) -> String {
        self.next += 1;
        // Some names are Chinese: identifiers are Unicode words.
        if self.c.pick(4) == 3 {
            format!("值{}", self.next)
        } else {
            format!("{prefix}{}", self.next)
        }
    }

    fn one<'s>(&mut self, items: &[&'s str]) -> &'s str {
        items[self.c.pick(items.len())]
    }

    /// One of `paths`, or `fallback` when there is none.
    fn path_or(
        &mut self,
        paths: Vec<String>,
        fallback: impl FnOnce(&mut Self) -> String,
    ) -> String {
        if paths.is_empty() {
            fallback(self)
        } else {
            paths[self.c.pick(paths.len())].clone()
        }
    }

    // ---- items ------------------------------------------------------------

    fn params(&mut self) -> String {
        let int = self.one(&[
            "0",
            "7",
            "-5",
            "9223372036854775807",
            "-9223372036854775807",
        ]);
        let dec = self.one(&["0", "0.0000001", "1000", "-2.5", "12.5%"]);
        let code = self.one(&[r#""XJ01""#, r#""""#, r#""M00500""#]);
        let prefs = self.one(&[r#""XJ01;M0;1109;C""#, r#""""#, r#""X;Z;2""#]);
        let date = self.one(&[r#"date "2024-02-29""#, r#"date "2026-10-01""#]);
        let sev = self.one(&["violation", "high", "low"]);
        let class = self.one(&["inpatient", "VisitClass.pharmacy"]);
        let tier = [
            self.one(&["500", "70%", "-2.5", "0.0000001"]),
            self.one(&["1000", "0", "12.5%"]),
            self.one(&["300", "999999999999999999999999999.9"]),
        ];
        let by_code = self.one(&["7", "-5", "9223372036854775807"]);
        let by_class = self.one(&["70%", "0.5", "-1"]);
        let by_text = self.one(&["high", "violation"]);
        format!(
            "param gen_tier_dec: Decimal by Int = {{3: {}, 2: {}, -1: 1, else: {}}} \"按等级\"\n\
             param gen_code_int: Int by Code = {{\"XJ01\": {by_code}, \"M00500\": 3, \"\": 0}} \"按编码\"\n\
             param gen_class_dec: Decimal by VisitClass = {{inpatient: {by_class}, pharmacy: 2}} \"按类别\"\n\
             param gen_class_int: Int by VisitClass = {{outpatient: 1, special_outpatient: 2, else: 3}} \"按类别(整数)\"\n\
             param gen_text_sev: Severity by Text = {{\"肺炎\": {by_text}, \"\": low, else: high}} \"按文本\"\n\n",
            tier[0], tier[1], tier[2]
        ) + &format!(
            "param gen_int: Int = {int} \"整数参数\"\n\
             param gen_dec: Decimal = {dec} \"小数参数\"\n\
             param gen_code: Code = {code} \"编码参数\"\n\
             param gen_prefs: Prefixes = {prefs} \"前缀参数\"\n\
             param gen_date: Date = {date} \"日期参数\"\n\
             param gen_sev: Severity = {sev} \"严重程度参数\"\n\
             param gen_class: VisitClass = {class} \"就诊类别参数\"\n\
             param gen_text: Text = \"中文参数\" \"文本参数\"\n\n"
        )
    }

    fn function(&mut self) -> String {
        let ret = [Ty::Int, Ty::Dec, Ty::Bool, Ty::Code, Ty::Date, Ty::Sev][self.c.pick(6)];
        let env = Env::default().with([
            var("v", Ty::Visit),
            var("n", Ty::Int),
            var("x", Ty::Dec),
            var("c", Ty::Code),
        ]);
        let body = self.expr(ret, &env, 1);
        let name = format!("gen_f{}", self.fns.len() + 1);
        let src = format!(
            "fn {name} \"生成的函数\" (v: Visit, n: Int, x: Decimal, c: Code) -> {} =\n  {body}\n\n",
            type_name(ret)
        );
        self.fns.push(FnSig { name, ret });
        src
    }

    fn rule(&mut self, i: usize) -> String {
        let line_scope = self.c.pick(2) == 0;
        let mut env = Env::default().with([var("visit", Ty::Visit)]);
        if line_scope {
            env.vars.push(var("line", Ty::Line));
        }
        let mut out = format!(
            "rule gen_{i} \"生成的规则 {i}\" {{\n  each {}\n",
            if line_scope { "line" } else { "visit" }
        );
        let early_severity = self.c.pick(3) == 1;
        if early_severity {
            out.push_str(&format!("  severity {}\n", self.expr(Ty::Sev, &env, 1)));
        }
        for _ in 0..self.c.pick(5) {
            match self.c.pick(3) {
                0 => {
                    let (c, binds) = self.cond(&env, 1);
                    out.push_str(&format!("  when {c}\n"));
                    env = env.with(binds);
                }
                1 => {
                    let (ty, opt) = self.let_type();
                    let value = if opt {
                        self.opt(ty, &env, 1)
                    } else {
                        self.expr(ty, &env, 1)
                    };
                    let name = self.fresh("x");
                    out.push_str(&format!("  let {name} = {value}\n"));
                    env.vars.push(Var { name, ty, opt });
                }
                _ => out.push_str(&format!("  unless {}\n", self.expr(Ty::Bool, &env, 1))),
            }
        }
        if !early_severity {
            out.push_str(&format!("  severity {}\n", self.expr(Ty::Sev, &env, 1)));
        }
        if self.c.pick(3) != 0 {
            let ty = if self.c.pick(3) == 2 {
                Ty::Int
            } else {
                Ty::Dec
            };
            out.push_str(&format!("  amount {}\n", self.expr(ty, &env, 1)));
        }
        if self.c.pick(3) == 1 {
            out.push_str(&format!("  lines {}\n", self.expr(Ty::Lines, &env, 1)));
        }
        out.push_str(&format!("  message \"{}\"\n", self.message(&env)));
        if self.c.pick(2) == 1 {
            let mut items = Vec::new();
            for _ in 0..=self.c.pick(4) {
                let (ty, opt) = self.shown_type();
                let value = if opt {
                    self.opt(ty, &env, 2)
                } else {
                    self.expr(ty, &env, 2)
                };
                items.push(format!("{}: {value}", self.fresh("e")));
            }
            out.push_str(&format!("  evidence {{ {} }}\n", items.join(", ")));
        }
        out.push_str("}\n\n");
        out
    }

    fn let_type(&mut self) -> (Ty, bool) {
        match self.c.pick(6) {
            0 => self.shown_type(),
            1 => (Ty::Lines, false),
            2 => (Ty::Row(Table::ItemLimits), true),
            3 => (Ty::Int, true),
            4 => (Ty::Dec, false),
            _ => (Ty::Bool, false),
        }
    }

    fn shown_type(&mut self) -> (Ty, bool) {
        let ty = [
            Ty::Int,
            Ty::Dec,
            Ty::Bool,
            Ty::Code,
            Ty::Text,
            Ty::Date,
            Ty::DateTime,
            Ty::Sev,
            Ty::Class,
        ][self.c.pick(9)];
        let opt = ty.ordered() && self.c.pick(3) == 2;
        (ty, opt)
    }

    /// A message template: literal text with placeholders that name values (no
    /// string literals or braces inside a placeholder).
    fn message(&mut self, env: &Env) -> String {
        let mut out = String::new();
        for _ in 0..=self.c.pick(4) {
            out.push_str(self.one(&[
                "违规",
                " ",
                "{{字面}}",
                "金额 ",
                "\\\"引号\\\"",
                "a\\\\b",
                "\\n",
            ]));
            let mut shown: Vec<String> = Vec::new();
            for v in &env.vars {
                if v.ty.shown() {
                    shown.push(v.name.clone());
                    if v.ty == Ty::Dec && !v.opt {
                        shown.push(format!("round({})", v.name));
                    }
                    if v.ty == Ty::Int && v.opt {
                        shown.push(format!("{} otherwise 0", v.name));
                    }
                } else if !v.opt {
                    for (f, fty, _) in fields(v.ty) {
                        if fty.shown() {
                            shown.push(format!("{}.{f}", v.name));
                        }
                    }
                }
            }
            shown.push("class(visit)".into());
            shown.push("tier(visit)".into());
            shown.push("gen_prefs".into());
            shown.push("gen_tier_dec(tier(visit))".into());
            shown.push("gen_class_dec(class(visit))".into());
            let p = self.c.pick(shown.len());
            out.push_str(&format!("{{{}}}", shown[p]));
        }
        out
    }
}

fn var(name: &str, ty: Ty) -> Var {
    Var {
        name: name.to_owned(),
        ty,
        opt: false,
    }
}

fn type_name(ty: Ty) -> &'static str {
    match ty {
        Ty::Bool => "Bool",
        Ty::Int => "Int",
        Ty::Dec => "Decimal",
        Ty::Text => "Text",
        Ty::Code => "Code",
        Ty::Date => "Date",
        Ty::DateTime => "DateTime",
        Ty::Sev => "Severity",
        Ty::Class => "VisitClass",
        _ => "Visit",
    }
}
