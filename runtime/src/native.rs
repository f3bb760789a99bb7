//! Native evaluation: rules compiled by Cranelift to machine code over a compact
//! record layout (`layout`), with codes interned to integers and every table
//! lookup resolved per distinct code (`intern`).
//!
//! Division of labour: native code decides whether a rule fires on a visit or a
//! line, the hot path where nearly every answer is "no"; the reference interpreter
//! renders the findings (severity, amount, message, evidence) of the few that fire
//! and reports faults with its spans and messages. So both engines produce the same
//! bytes wherever a rule fires, and the differential tests check the rest: that
//! native code says "no" exactly where the interpreter does. What native code hands
//! to rendering (`eval::Fired`): the `let`s a line rule kept where it fired
//! (`codegen::kept_lets`), and that the rule's conditions hold there, so the
//! interpreter computes neither again (only conditions that bind a name).
//!
//! A rule using a construct the code generator does not handle, or a pack on a host
//! Cranelift does not support, runs interpreted; [`NativeEngine::report`] says which.

mod codegen;
mod dec_words;
mod indicators;
mod intern;
mod layout;
mod machine;
mod prepare;
mod settle;

pub use prepare::Prepared;

use crate::engine::Engine;
use crate::eval::{
    EvalError, Evaluator, Fired, KeysAndTotals, RuleOutcome, Settled, Totals, merge_groups,
};
use crate::history::{Patient, TimeFields};
use crate::pack::Pack;
use crate::value::Value;
use cranelift_frontend::FunctionBuilderContext;
use cranelift_module::{Linkage, Module};
use heng_compiler::ir::{LocalId, Scope, Settlement};
use heng_compiler::types::TableId;
use intern::{Interner, LookupSlot};
use layout::{Encoder, Layout, MAX_FIELDS, Of, PrefixSets, PrefixSetsRef};
use machine::{CtxHold, RuleFn};
use rust_decimal::Decimal;

/// How the pack was compiled.
#[derive(Clone, Debug, Default)]
pub struct CompileReport {
    /// Rule ids running as native code.
    pub native: Vec<String>,
    /// Rule ids running interpreted, with the reason.
    pub interpreted: Vec<(String, String)>,
    /// Cranelift IR of each native rule, for inspection and golden tests (only
    /// from [`NativeEngine::showing_clif`]: writing it out costs more than
    /// checking the pack): each line rule as built, the other rules and
    /// `line_rules` (the line rules fused into one loop) as optimized.
    pub clif: Vec<(String, String)>,
}

/// A `let` a fused line rule keeps where it fires: its local, type and words.
type KeptLet<'p> = (LocalId, &'p heng_compiler::types::Type, usize);

/// How one active rule is evaluated.
#[derive(Clone, Copy)]
enum Plan {
    Interpret,
    /// A native `each visit` rule.
    Visit(RuleFn),
    /// The `j`th rule of the fused native line loop.
    Line(usize),
}

/// The engine that runs compiled rules.
pub struct NativeEngine<'p> {
    pack: &'p Pack,
    evaluator: Evaluator<'p>,
    interner: Interner<'p>,
    layout: Layout,
    sets: PrefixSets,
    /// One arena per table; compiled code holds their addresses.
    _tables: Vec<Vec<u64>>,
    _code: Option<machine::Code>,
    /// The active rules in order, with how each is evaluated.
    plan: Vec<(usize, Plan)>,
    /// Every native `each line` rule, fused into one loop over the lines.
    lines_fn: Option<RuleFn>,
    /// Native `each group` rules: (rule index, keys and totals, words they take).
    group_fns: Vec<(usize, RuleFn, usize)>,
    n_line_rules: usize,
    /// Per fused line rule `j`: where its kept `let`s start among a line's words,
    /// and the `let`s with the words each takes (see `codegen::kept_lets`).
    line_lets: Vec<(usize, Vec<KeptLet<'p>>)>,
    /// Words of kept `let`s per fee line, all fused rules together.
    lets_per_line: usize,
    /// Word index of the visit's fee-line list in an encoded visit.
    feedetail_slot: Option<usize>,
    /// The fee-line record type.
    line_record: Option<heng_compiler::types::RecordId>,
    /// Where visits and lines keep their times (for a visit's one-visit history).
    times: TimeFields,
    /// The compiled settlement's passes (second, first) and where they write.
    settle_fns: Option<settle::SettleFns>,
    /// Visits the interpreter settled (native code deferred, or no settlement
    /// compiled).
    settled_interpreted: std::sync::atomic::AtomicU64,
    pub report: CompileReport,
}

impl<'p> NativeEngine<'p> {
    /// Compiles every active rule of the pack it can; the rest run interpreted.
    pub fn new(pack: &'p Pack) -> Self {
        Self::build(pack, false, false)
    }

    /// [`NativeEngine::new`], keeping the Cranelift IR of each rule in
    /// [`CompileReport::clif`].
    pub fn showing_clif(pack: &'p Pack) -> Self {
        Self::build(pack, false, true)
    }

    /// [`NativeEngine::new`], with the pack's settlement compiled too (visits
    /// then also carry the fields it reads).
    pub fn with_settlement(pack: &'p Pack) -> Self {
        Self::build(pack, true, false)
    }

    /// How many visits the interpreter settled so far: those on which native
    /// code met a fault (which the interpreter words) or that it could not settle.
    pub fn settlements_interpreted(&self) -> u64 {
        self.settled_interpreted
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    fn build(pack: &'p Pack, settling: bool, clif: bool) -> Self {
        let program = &pack.program;
        let settlement = program.settlement.as_ref().filter(|_| settling);
        let slots: Vec<LookupSlot> = codegen::lookups(program)
            .into_iter()
            .map(|(table, mode)| LookupSlot { table, mode })
            .collect();
        let interner = Interner::new(slots, &pack.tables);
        // `month(d)` yields interned text; the months of any plausible claim are
        // interned up front (others defer to the interpreter).
        for y in 1900..=2100 {
            for m in 1..=12 {
                interner.intern(&format!("{y:04}-{m:02}"));
            }
        }
        let mut sets = PrefixSets::default();
        let mut report = CompileReport::default();
        let mut plan = vec![Plan::Interpret; program.rules.len()];
        let mut lines_fn = None;
        let mut group_fns = Vec::new();
        let mut settle_fns = None;

        let too_wide = program.records.iter().any(|r| r.fields.len() > MAX_FIELDS)
            || program.tables.iter().any(|t| t.columns.len() > MAX_FIELDS);
        let mut tables = Vec::new();
        let mut code = None;
        let active: Vec<_> = pack.active_rules().map(|(_, r)| r).collect();
        let layout = Layout::new(program, &active, settlement, pack.feedetail);
        let outcome: Result<(), String> = (|| {
            if cfg!(target_endian = "big") {
                return Err("the record layout assumes a little-endian host".into());
            }
            if too_wide {
                return Err(format!(
                    "a record or table has more than {MAX_FIELDS} fields"
                ));
            }
            {
                let encoder = Encoder::new(&layout, &interner);
                for (t, table) in pack.tables.iter().enumerate() {
                    let of = Of::Table(TableId(t as u32));
                    // the blank record at row -1 (see `Layout::pad_words`)
                    let mut arena = vec![0; layout.shape(of).words];
                    for r in 0..table.len() {
                        encoder.record(
                            of,
                            table.row(r as u32),
                            &mut arena,
                            &mut PrefixSetsRef::Build(&mut sets),
                        );
                    }
                    arena.resize(arena.len() + layout.pad_words, 0);
                    tables.push(arena);
                }
            }
            let mut module = machine::new_module()?;
            let helpers = codegen::Helpers::declare(&mut module)?;
            let mut env = codegen::Env {
                program,
                params: &pack.params,
                interner: &interner,
                sets: &mut sets,
                layout: &layout,
                table_bases: tables
                    .iter()
                    .enumerate()
                    .map(|(t, a)| {
                        let blank = layout.shape(Of::Table(TableId(t as u32))).words;
                        a.as_ptr() as i64 + 8 * blank as i64
                    })
                    .collect(),
                feedetail: pack.feedetail,
                clif,
            };
            let mut fctx = FunctionBuilderContext::new();
            let sig = codegen::rule_signature(&module);
            let mut ids = Vec::new();
            let mut line_rules = Vec::new();
            for (i, rule) in pack.visit_rules() {
                let define = match rule.scope {
                    Scope::Visit => Some(
                        module
                            .declare_function(
                                &format!("rule_{i}_{}", rule.id),
                                Linkage::Local,
                                &sig,
                            )
                            .map_err(|e| e.to_string())?,
                    ),
                    Scope::Line => None,
                    Scope::Group => unreachable!("group rules are not per visit"),
                };
                let built = codegen::compile(
                    &mut module,
                    &mut fctx,
                    &helpers,
                    &mut env,
                    codegen::Unit::Rules(&[rule]),
                    define,
                );
                match built {
                    Ok(clif) => {
                        report.native.push(rule.id.clone());
                        report.clif.extend(clif.map(|c| (rule.id.clone(), c)));
                        match define {
                            Some(id) => ids.push((Some(i), id)),
                            None => line_rules.push((i, rule)),
                        }
                    }
                    Err(codegen::Unsupported(why)) => {
                        report.interpreted.push((rule.id.clone(), why))
                    }
                }
            }
            let mut group_ids = Vec::new();
            for (i, rule) in pack.group_rules() {
                let id = module
                    .declare_function(&format!("group_{i}_{}", rule.id), Linkage::Local, &sig)
                    .map_err(|e| e.to_string())?;
                match codegen::compile(
                    &mut module,
                    &mut fctx,
                    &helpers,
                    &mut env,
                    codegen::Unit::Rules(&[rule]),
                    Some(id),
                ) {
                    Ok(clif) => {
                        report.native.push(rule.id.clone());
                        report.clif.extend(clif.map(|c| (rule.id.clone(), c)));
                        group_ids.push((i, id));
                    }
                    Err(codegen::Unsupported(why)) => {
                        report.interpreted.push((rule.id.clone(), why))
                    }
                }
            }
            if !line_rules.is_empty() {
                let id = module
                    .declare_function("line_rules", Linkage::Local, &sig)
                    .map_err(|e| e.to_string())?;
                let rules: Vec<_> = line_rules.iter().map(|(_, r)| *r).collect();
                let clif = codegen::compile(
                    &mut module,
                    &mut fctx,
                    &helpers,
                    &mut env,
                    codegen::Unit::Rules(&rules),
                    Some(id),
                )
                .map_err(|codegen::Unsupported(why)| why)?;
                report
                    .clif
                    .extend(clif.map(|c| ("line_rules".to_string(), c)));
                ids.push((None, id));
            }
            let settle_ids = match settlement {
                Some(s) => settle::compile(s, &mut module, &mut fctx, &helpers, &mut env, &sig)?
                    .map_err(|why| report.interpreted.push((s.id.clone(), why)))
                    .ok(),
                None => None,
            };
            let mut fns = machine::finalize(
                &mut module,
                &ids.iter()
                    .map(|(_, id)| *id)
                    .chain(group_ids.iter().map(|(_, id)| *id))
                    .chain(settle_ids.iter().flat_map(|s| s.ids()))
                    .collect::<Vec<_>>(),
            )?;
            if let (Some(s), Some(ids)) = (settlement, &settle_ids) {
                let n = ids.ids().count();
                settle_fns = ids.finish(fns.split_off(fns.len() - n), s);
                report.native.push(s.id.clone());
            }
            for ((i, _), f) in group_ids.iter().zip(fns.split_off(ids.len())) {
                let of = program.rules[*i].group_of.as_ref();
                let words = of.map_or(0, |g| {
                    g.keys
                        .iter()
                        .chain(&g.totals)
                        .filter_map(|(_, e)| codegen::group_words(&e.ty))
                        .sum()
                });
                group_fns.push((*i, f, words));
            }
            for ((rule, _), f) in ids.iter().zip(fns) {
                match rule {
                    Some(i) => plan[*i] = Plan::Visit(f),
                    None => lines_fn = Some(f),
                }
            }
            for (j, (i, _)) in line_rules.iter().enumerate() {
                plan[*i] = Plan::Line(j);
            }
            code = Some(machine::Code::new(module));
            Ok(())
        })();
        if let Err(why) = outcome {
            plan.iter_mut().for_each(|p| *p = Plan::Interpret);
            lines_fn = None;
            group_fns.clear();
            settle_fns = None;
            report.native.clear();
            report.clif.clear();
            report.interpreted = pack
                .active_rules()
                .map(|(_, r)| (r.id.clone(), why.clone()))
                .collect();
        }
        let plan: Vec<_> = pack.visit_rules().map(|(i, _)| (i, plan[i])).collect();
        let n_line_rules = plan
            .iter()
            .filter(|(_, p)| matches!(p, Plan::Line(_)))
            .count();
        let mut line_lets = vec![(0, Vec::new()); n_line_rules];
        for (i, p) in &plan {
            if let Plan::Line(j) = p {
                line_lets[*j].1 = codegen::kept_lets(&program.rules[*i]);
            }
        }
        let mut lets_per_line = 0;
        for (before, kept) in &mut line_lets {
            *before = lets_per_line;
            lets_per_line += kept.iter().map(|(_, _, w)| w).sum::<usize>();
        }
        let feedetail_slot = program
            .visit
            .and_then(|v| layout.slot_offset(Of::Record(v), pack.feedetail))
            .map(|bytes| bytes as usize / 8);
        NativeEngine {
            pack,
            plan,
            lines_fn,
            group_fns,
            n_line_rules,
            line_lets,
            lets_per_line,
            feedetail_slot,
            line_record: program.fee_line_record(),
            times: TimeFields::of(program),
            settle_fns,
            settled_interpreted: Default::default(),
            evaluator: Evaluator::new(program, &pack.params, &pack.tables),
            interner,
            layout,
            sets,
            _tables: tables,
            _code: code,
            report,
        }
    }
}

impl Engine for NativeEngine<'_> {
    /// Reuses per-thread memory for the encoded visit and the decisions, so a
    /// visit on which no rule fires allocates nothing but the outcome list.
    /// When rules read history, the whole patient is encoded once and kept for the
    /// patient's next visits.
    fn eval_visit_in(&self, visit: &Value, patient: Option<&Patient>) -> Vec<(usize, RuleOutcome)> {
        WORK.with_borrow_mut(|(prepared, decided)| {
            self.prepare_in(visit, patient, prepared);
            self.decide(prepared, decided);
            self.render(decided, prepared, visit, patient)
        })
    }

    fn group_contribution(
        &self,
        rule: usize,
        visit: &Value,
        patient: Option<&Patient>,
    ) -> Option<Result<KeysAndTotals, EvalError>> {
        let r = &self.pack.program.rules[rule];
        match self.native_group_contribution(rule, visit, patient) {
            Some(native) => Some(Ok(native)),
            None => self.evaluator.group_contribution(r, visit, patient),
        }
    }

    fn is_native(&self) -> bool {
        true
    }

    fn settle(
        &self,
        s: &Settlement,
        visit: &Value,
        accumulators: &mut [Decimal],
        mut totals: Totals,
    ) -> Result<Settled, EvalError> {
        match self.native_settle(s, visit, accumulators, &mut totals) {
            Some(settled) => Ok(settled),
            None => {
                self.settled_interpreted
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.evaluator
                    .settle(s, visit, self.pack.feedetail, accumulators, totals)
            }
        }
    }
}

thread_local! {
    /// Per-thread memory for lists that compiled rules build.
    static SCRATCH: machine::Scratch = machine::Scratch::default();
    /// Per-thread status bytes of the fee lines and the kept `let`s of the lines
    /// rules fire on, reused from visit to visit.
    static STATUS: std::cell::RefCell<(Vec<u8>, Vec<u64>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
    /// Per-thread encoded visit and decisions of `eval_visit`.
    static WORK: std::cell::RefCell<(Prepared, Vec<Decision>)> = std::cell::RefCell::default();
}

/// Something native code decided on a visit other than "does not fire".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The rule's index in the program.
    pub rule: usize,
    /// The fee line, for an `each line` rule.
    pub line: Option<usize>,
    pub verdict: Verdict,
}

/// Native code's answer where it is not "does not fire".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Fires,
    /// A runtime fault, or a value native code does not handle (a date before year
    /// 1): the interpreter decides, and reports the fault.
    Defers,
    /// The rule is not compiled: the interpreter evaluates it whole.
    Interpret,
}

impl Verdict {
    fn of_status(status: u8) -> Verdict {
        if status == 1 {
            Verdict::Fires
        } else {
            Verdict::Defers
        }
    }
}

impl NativeEngine<'_> {
    /// Decides, without rendering anything, where the active rules fire on a
    /// prepared visit: the hot path, and what W3 measures. Fills `out` (cleared
    /// first; reuse it to avoid allocating) in pack order, then line order.
    pub fn decide(&self, prepared: &Prepared, out: &mut Vec<Decision>) {
        out.clear();
        let guard = self.interner.read();
        SCRATCH.with(|scratch| {
            let ctx = self.ctx(&guard, scratch, prepared);
            STATUS.with_borrow_mut(|(status, lets)| {
                self.decide_with(&ctx, scratch, prepared, (status, lets), out)
            })
        })
    }

    /// What compiled code runs with on the arena `prepared` holds.
    fn ctx<'g>(
        &'g self,
        interned: &'g intern::Interned,
        scratch: &'g machine::Scratch,
        prepared: &'g Prepared,
    ) -> CtxHold<'g> {
        CtxHold::new(
            interned,
            &self.sets.sets,
            scratch,
            &prepared.lines_index,
            &prepared.locals,
        )
    }

    /// Runs every active rule on the visit `prepared` holds.
    fn decide_with(
        &self,
        ctx: &CtxHold,
        scratch: &machine::Scratch,
        prepared: &Prepared,
        (status, lets): (&mut Vec<u8>, &mut Vec<u64>),
        out: &mut Vec<Decision>,
    ) {
        let (arena, at) = (&prepared.arena[..], prepared.at);
        let fd = self.pack.feedetail;
        let slot = self.feedetail_slot.map(|s| at + s);
        let (offsets, n_lines) = match slot.and_then(|s| arena.get(s..s + 2)) {
            Some(&[off, len]) if arena.get(at).is_some_and(|h| h & (1 << fd) != 0) => {
                ((off / 8) as usize, len as usize)
            }
            _ => (0, 0),
        };
        let mut fired = 0;
        if let Some(f) = self.lines_fn
            && n_lines > 0
        {
            status.clear();
            status.resize(n_lines * self.n_line_rules, 0);
            // only read where a rule fired, after it wrote them: not cleared
            let lets_len = n_lines * self.lets_per_line;
            if lets.len() < lets_len {
                lets.resize(lets_len, 0);
            }
            scratch.reset();
            fired = machine::call_lines(
                f,
                ctx,
                arena,
                at,
                (offsets, n_lines),
                self.n_line_rules,
                status,
                (&mut lets[..lets_len], self.lets_per_line),
            );
        }
        for &(rule, plan) in &self.plan {
            match plan {
                Plan::Interpret => out.push(Decision {
                    rule,
                    line: None,
                    verdict: Verdict::Interpret,
                }),
                Plan::Visit(f) => {
                    scratch.reset();
                    let status = machine::call_visit(f, ctx, arena, at) as u8;
                    if status != 0 {
                        out.push(Decision {
                            rule,
                            line: None,
                            verdict: Verdict::of_status(status),
                        });
                    }
                }
                Plan::Line(j) if fired & (1 << j.min(63)) != 0 => {
                    let row = &status[j * n_lines..(j + 1) * n_lines];
                    for (k, s) in row.iter().enumerate().filter(|(_, s)| **s != 0) {
                        out.push(Decision {
                            rule,
                            line: Some(k),
                            verdict: Verdict::of_status(*s),
                        });
                    }
                }
                Plan::Line(_) => {}
            }
        }
    }

    /// Renders the findings of what native code decided, with the interpreter; every
    /// active rule gets an outcome, in pack order.
    fn render(
        &self,
        decided: &[Decision],
        prepared: &Prepared,
        visit: &Value,
        patient: Option<&Patient>,
    ) -> Vec<(usize, RuleOutcome)> {
        let fd = self.pack.feedetail;
        let rules = &self.pack.program.rules;
        let mut out: Vec<(usize, RuleOutcome)> = self
            .plan
            .iter()
            .map(|(i, _)| (*i, RuleOutcome::default()))
            .collect();
        let mut at = 0;
        for d in decided {
            while out[at].0 != d.rule {
                at += 1;
            }
            let rule = &rules[d.rule];
            let lets = match (d.verdict, d.line, self.plan[at].1) {
                (Verdict::Fires, Some(k), Plan::Line(j)) => self.kept_lets(j, k, prepared, patient),
                _ => Vec::new(),
            };
            let fired = Fired {
                lets: &lets,
                conditions_hold: d.verdict == Verdict::Fires && codegen::fires_once(rule),
            };
            let o = match d.verdict {
                Verdict::Interpret => self.evaluator.eval_rule(rule, visit, fd, patient),
                _ => self
                    .evaluator
                    .eval_rule_at(rule, visit, fd, d.line, patient, &fired),
            };
            out[at].1.hits.extend(o.hits);
            out[at].1.errors.extend(o.errors);
        }
        for (_, o) in &mut out {
            o.hits = merge_groups(std::mem::take(&mut o.hits));
        }
        out
    }

    /// The names fused line rule `j` kept when it fired on line `k` of the visit
    /// last decided on this thread, as values: those that can be read back (a
    /// record only as one of the patient's visits or lines); the interpreter
    /// computes the others.
    fn kept_lets(
        &self,
        j: usize,
        k: usize,
        prepared: &Prepared,
        patient: Option<&Patient>,
    ) -> Vec<(LocalId, Value)> {
        let (before, kept) = &self.line_lets[j];
        if kept.is_empty() {
            return Vec::new();
        }
        let from = k * self.lets_per_line + before;
        let words: usize = kept.iter().map(|(_, _, w)| w).sum();
        STATUS.with_borrow(|(_, lets)| {
            let Some(mut stored) = lets.get(from..from + words) else {
                return Vec::new();
            };
            let guard = self.interner.read();
            let mut out = Vec::with_capacity(kept.len());
            for &(local, ty, w) in kept {
                let (words, rest) = stored.split_at(w.min(stored.len()));
                stored = rest;
                if let Some(v) = self.kept_value(ty, words, &guard.texts, prepared, patient) {
                    out.push((local, v));
                }
            }
            out
        })
    }

    /// A kept value of type `ty` from its `words`.
    fn kept_value(
        &self,
        ty: &heng_compiler::types::Type,
        words: &[u64],
        texts: &[crate::value::SmolStr],
        prepared: &Prepared,
        patient: Option<&Patient>,
    ) -> Option<Value> {
        use heng_compiler::types::Type;
        match ty {
            Type::Option(inner) => match words.split_first()? {
                (0, _) => Some(Value::Absent),
                (_, rest) => self.kept_value(inner, rest, texts, prepared, patient),
            },
            Type::Row(t) => Some(Value::Row(t.0, *words.first()? as u32)),
            Type::Record(r) => {
                // compiled code holds a record as its address in the arena; the
                // hidden word of a patient's visit or line is its rank in time order
                let hidden = self.layout.shape(Of::Record(*r)).hidden? as usize / 8;
                let base = prepared.arena.as_ptr() as u64;
                let at = words.first()?.checked_sub(base)? as usize / 8;
                let rank = (*prepared.arena.get(at + hidden)? & 0xffff_ffff) as usize;
                let patient = patient?;
                match Some(*r) {
                    v if v == self.pack.program.visit => patient.visits().get(rank).cloned(),
                    l if l == self.line_record => patient.line_at(rank).cloned(),
                    _ => None,
                }
            }
            ty => {
                indicators::value_of_words(ty, &mut words.iter().copied(), texts, &prepared.locals)
            }
        }
    }
}
