//! One of Heng's two modules with `unsafe` code (the other maps input files,
//! `input/mapped.rs`): turning generated machine code into
//! callable functions, calling them, and the `extern "C"` helpers that compiled
//! rules call for decimal arithmetic and text operations.
//!
//! # Safety
//! The argument for every `unsafe` block here rests on three facts:
//! 1. Compiled rule functions only read memory: the visit arena and the table
//!    arenas (`Vec<u64>` kept alive by the caller for the whole call; codegen only
//!    emits loads at offsets the layout defines within a record's stride), and the
//!    arrays a [`Ctx`] points at. They write only the status bytes of line rules
//!    and the output words of an indicator ([`call_group`]), each sized by the
//!    caller for exactly what codegen writes.
//! 2. A [`Ctx`] is built from a read guard of the interner that outlives every call
//!    made with it (see `Ctx::new`), so the row arrays and texts cannot move.
//! 3. Ids passed to helpers come from the same interner (codegen and encoding
//!    intern every code), so they index within `ntexts`; helpers still check bounds
//!    and treat a bad id as an empty string rather than reading out of range.
#![allow(
    unsafe_code,
    reason = "the JIT's single unsafe module; see the safety notes above"
)]

use super::intern::{Interned, LOCAL_IDS, Locals};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::FuncId;
use rust_decimal::{Decimal, RoundingStrategy};
use std::cell::RefCell;
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
use crate::value::SmolStr;
use std::sync::Arc;

/// What compiled code needs at run time, passed as its first argument.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Ctx {
    /// Per lookup slot, a pointer to the `row + 1` array indexed by code id.
    lookups: *const *const u32,
    texts: *const SmolStr,
    ntexts: usize,
    sets: *const Vec<Arc<str>>,
    nsets: usize,
    interned: *const Interned,
    scratch: *const Scratch,
    lines_index: *const LinesIndex,
    /// The arena's local texts (ids below `intern::LOCAL_IDS`).
    locals: *const Vec<SmolStr>,
    /// Where fused `each line` rules keep the values of their `let`s for the lines
    /// they fire on (see `codegen::kept_lets`); null for other code.
    lets: *mut u64,
}

/// Memory for lists built while a rule runs (`filter`): chunks that never move
/// once handed out, reused from visit to visit.
#[derive(Default)]
pub struct Scratch {
    chunks: std::cell::RefCell<Vec<Vec<u64>>>,
    /// (chunk, words used in it)
    at: std::cell::Cell<(usize, usize)>,
}

impl Scratch {
    /// Forgets every allocation (call between visits).
    pub fn reset(&self) {
        self.at.set((0, 0));
    }

    fn alloc(&self, words: usize) -> *mut u64 {
        let mut chunks = self.chunks.borrow_mut();
        let (mut c, mut used) = self.at.get();
        loop {
            if c == chunks.len() {
                chunks.push(vec![0; words.max(1 << 12)]);
            }
            if chunks[c].len() - used >= words {
                break;
            }
            c += 1;
            used = 0;
        }
        self.at.set((c, used + words));
        chunks[c][used..].as_mut_ptr()
    }
}

/// The fee lines of the patient encoded in an arena, by the text of one field:
/// what an index scan in compiled code (`eval::index_scan::IndexScan`) reads
/// instead of every line. Built per field on first use; the lines found under
/// each prefix are kept until [`LinesIndex::clear`] (a new patient).
#[derive(Default)]
pub struct LinesIndex {
    /// Per field byte offset: (text id, rank in `history.lines`), sorted by text.
    sorted: RefCell<HashMap<u32, Vec<(u32, u32)>>>,
    /// Per (field byte offset, prefix id): the byte offsets of the lines whose field
    /// starts with the prefix, in time order. Boxed slices never move once made,
    /// so compiled code may hold a pointer to one while more are added.
    found: RefCell<Found>,
}

/// (field byte offset, prefix id) → the lines' byte offsets.
type Found = HashMap<(u32, u32), Box<[u64]>>;

impl LinesIndex {
    /// Forgets everything (call when the arena holds another patient).
    pub fn clear(&self) {
        self.sorted.borrow_mut().clear();
        self.found.borrow_mut().clear();
    }
}

/// A list as compiled code holds it: the address of its offsets array and its
/// length.
#[repr(C)]
pub struct List {
    offsets: *const u64,
    len: i64,
}

/// Byte offset of `Ctx::lookups` (codegen loads through it).
pub const CTX_LOOKUPS: i32 = 0;

/// Byte offset of `Ctx::lets` (codegen loads it).
pub const CTX_LETS: i32 = std::mem::offset_of!(Ctx, lets) as i32;

/// A [`Ctx`] with the storage it points into.
pub struct CtxHold<'g> {
    ctx: Ctx,
    _guard: &'g Interned,
}

impl<'g> CtxHold<'g> {
    pub fn new(
        interned: &'g Interned,
        sets: &'g [Vec<Arc<str>>],
        scratch: &'g Scratch,
        lines_index: &'g LinesIndex,
        locals: &'g Locals,
    ) -> Self {
        let ctx = Ctx {
            // `row_addrs` holds the address of each row array as a usize, which has
            // the layout of a pointer.
            lookups: interned.row_addrs.as_ptr().cast::<*const u32>(),
            texts: interned.texts.as_ptr(),
            ntexts: interned.texts.len(),
            sets: sets.as_ptr(),
            nsets: sets.len(),
            interned,
            scratch,
            lines_index,
            locals: locals.texts_ptr(),
            lets: std::ptr::null_mut(),
        };
        CtxHold {
            ctx,
            _guard: interned,
        }
    }
}

/// Signature of a compiled rule: (ctx, arena base, visit record, fee-line offsets,
/// number of lines, status bytes). An `each visit` rule returns 0 (does not fire),
/// 1 (fires) or 2 (fault); an `each line` rule writes that status for every line
/// into the status bytes and returns 0.
pub type RuleFn =
    extern "C" fn(*const Ctx, *const u64, *const u64, *const u64, i64, *mut u8) -> i64;

/// A JIT module with every helper symbol registered.
pub fn new_module() -> Result<JITModule, String> {
    let mut flags = settings::builder();
    flags
        .set("use_colocated_libcalls", "false")
        .map_err(|e| e.to_string())?;
    flags.set("is_pic", "false").map_err(|e| e.to_string())?;
    flags.set("opt_level", "speed").map_err(|e| e.to_string())?;
    // the IR verifier checks codegen's output in debug builds (every test); a
    // release build skips it (a fifth of compiling the standard pack)
    let verify = if cfg!(debug_assertions) {
        "true"
    } else {
        "false"
    };
    flags
        .set("enable_verifier", verify)
        .map_err(|e| e.to_string())?;
    let isa = cranelift_native::builder()
        .map_err(|e| format!("this host is not supported by the code generator: {e}"))?
        .finish(settings::Flags::new(flags))
        .map_err(|e| e.to_string())?;
    let mut builder = JITBuilder::with_isa(isa, cranelift_module::default_libcall_names());
    for (name, ptr) in helper_symbols() {
        builder.symbol(name, ptr);
    }
    Ok(JITModule::new(builder))
}

/// Links the module and returns the rule functions.
pub fn finalize(module: &mut JITModule, ids: &[FuncId]) -> Result<Vec<RuleFn>, String> {
    module.finalize_definitions().map_err(|e| e.to_string())?;
    Ok(ids
        .iter()
        .map(|id| {
            let code = module.get_finalized_function(*id);
            // SAFETY: `code` was defined by codegen with exactly the RuleFn signature
            // (six 64-bit parameters, one i32 result, the host's C ABI), and the
            // module (owning the code memory) lives as long as the engine holding it.
            unsafe { std::mem::transmute::<*const u8, RuleFn>(code) }
        })
        .collect())
}

/// Calls a compiled `each visit` rule on the visit at word `at` of `arena`.
pub fn call_visit(f: RuleFn, ctx: &CtxHold, arena: &[u64], at: usize) -> i64 {
    let base = arena.as_ptr();
    f(
        &ctx.ctx,
        base,
        arena[at..].as_ptr(),
        std::ptr::null(),
        0,
        std::ptr::null_mut(),
    )
}

/// Calls a compiled `each group` rule's keys and totals on the visit at word `at`
/// of `arena`; they are written to `out`, which must hold as many words as the
/// rule's keys and totals take (`codegen::group_words`). Returns 0, or 2 on a
/// fault.
pub fn call_group(f: RuleFn, ctx: &CtxHold, arena: &[u64], at: usize, out: &mut [u64]) -> i64 {
    let base = arena.as_ptr();
    // the fourth parameter, a list's offsets for line rules, is where an `each
    // group` function writes its words
    f(
        &ctx.ctx,
        base,
        arena[at..].as_ptr(),
        out.as_mut_ptr().cast_const(),
        0,
        std::ptr::null_mut(),
    )
}

/// Calls a compiled settlement pass on the visit at word `at` of `arena`, with the
/// accumulators' (and the known totals') words in `input`; the outputs go to
/// `out`, whose length the code checks against what the visit needs before it
/// writes (`codegen::SettleWords`). Returns 0, or 2 on a fault or a short buffer.
pub fn call_settle(
    f: RuleFn,
    ctx: &CtxHold,
    arena: &[u64],
    at: usize,
    input: &[u64],
    out: &mut [u64],
) -> i64 {
    let base = arena.as_ptr();
    f(
        &ctx.ctx,
        base,
        arena[at..].as_ptr(),
        input.as_ptr(),
        out.len() as i64,
        out.as_mut_ptr().cast(),
    )
}

/// Calls the compiled `each line` rules on every fee line; `offsets` is the word
/// index of the `n_lines` lines' offset array in `arena`, and `status` gets one byte
/// per (rule, line) for the `rules` fused rules, rule-major; `lets` gets the kept
/// `let`s of each rule that fires on a line, line-major (see `codegen::kept_lets`).
/// Returns a mask with bit `min(j, 63)` set when rule `j` wrote a non-zero byte.
#[allow(clippy::too_many_arguments)]
pub fn call_lines(
    f: RuleFn,
    ctx: &CtxHold,
    arena: &[u64],
    at: usize,
    (offsets, n_lines): (usize, usize),
    rules: usize,
    status: &mut [u8],
    (lets, words_per_line): (&mut [u64], usize),
) -> u64 {
    let base = arena.as_ptr();
    // The offsets array has `n_lines` entries inside the arena (fact 1), and the
    // compiled code writes one byte per (rule, line) pair into `status`, which the
    // caller sized for every fused rule: check that it did.
    let lines = arena[offsets..offsets + n_lines].as_ptr();
    assert_eq!(
        status.len(),
        rules * n_lines,
        "status bytes per (rule, line)"
    );
    // and it writes the kept `let`s of a rule that fires on a line into `lets`,
    // `words_per_line` words per line for all the rules together
    assert_eq!(lets.len(), words_per_line * n_lines, "let words per line");
    let ctx = Ctx {
        lets: lets.as_mut_ptr(),
        ..ctx.ctx
    };
    f(
        &ctx,
        base,
        arena[at..].as_ptr(),
        lines,
        n_lines as i64,
        status.as_mut_ptr(),
    ) as u64
}

// ---- helpers called from compiled code ----

use super::dec_words::{Dec, Small, dec, out};

extern "C" fn heng_dec_add(a: i64, b: i64, c: i64, d: i64) -> Dec {
    out(dec(a, b).checked_add(dec(c, d)))
}
extern "C" fn heng_dec_sub(a: i64, b: i64, c: i64, d: i64) -> Dec {
    out(dec(a, b).checked_sub(dec(c, d)))
}
extern "C" fn heng_dec_mul(a: i64, b: i64, c: i64, d: i64) -> Dec {
    out(dec(a, b).checked_mul(dec(c, d)))
}
extern "C" fn heng_dec_div(a: i64, b: i64, c: i64, d: i64) -> Dec {
    out(crate::eval::ops::decimal_div(dec(a, b), dec(c, d)))
}
extern "C" fn heng_dec_round(a: i64, b: i64, c: i64, d: i64) -> Dec {
    if let Some(rounded) = Small::of(a, b).and_then(|x| x.round_to(Small::of(c, d)?)) {
        return rounded;
    }
    out(crate::eval::builtins::round(dec(a, b), dec(c, d)).ok())
}

extern "C" fn heng_dec_neg(a: i64, b: i64) -> Dec {
    out(Some(-dec(a, b)))
}
extern "C" fn heng_dec_from_int(i: i64) -> Dec {
    out(Some(Decimal::from(i)))
}
extern "C" fn heng_dec_cmp(a: i64, b: i64, c: i64, d: i64) -> i32 {
    dec(a, b).cmp(&dec(c, d)) as i32
}

fn text(ctx: *const Ctx, id: u32) -> &'static str {
    // SAFETY: `ctx` points at the Ctx of a live CtxHold (fact 2); the texts array has
    // `ntexts` elements, checked before indexing, and the arena's local texts are
    // not changed while compiled code runs (encoding is done before). The
    // 'static lifetime does not escape the helper call, during which the guard
    // is held.
    unsafe {
        let ctx = &*ctx;
        if id < LOCAL_IDS {
            let locals: &Vec<SmolStr> = &*ctx.locals;
            return locals.get(id as usize).map_or("", |t| &**t);
        }
        if (id as usize) < ctx.ntexts {
            &(*ctx.texts.add(id as usize))
        } else {
            ""
        }
    }
}

fn set(ctx: *const Ctx, id: u32) -> &'static [Arc<str>] {
    // SAFETY: as in `text`: a live Ctx, index checked against `nsets`.
    unsafe {
        let ctx = &*ctx;
        if (id as usize) < ctx.nsets {
            &*ctx.sets.add(id as usize)
        } else {
            &[]
        }
    }
}

extern "C" fn heng_text_cmp(ctx: *const Ctx, a: u32, b: u32) -> i32 {
    text(ctx, a).cmp(text(ctx, b)) as i32
}
extern "C" fn heng_starts_with(ctx: *const Ctx, a: u32, b: u32) -> i8 {
    i8::from(text(ctx, a).starts_with(text(ctx, b)))
}
extern "C" fn heng_matches_any(ctx: *const Ctx, code: u32, set_id: u32) -> i8 {
    let code = text(ctx, code);
    i8::from(
        set(ctx, set_id)
            .iter()
            .any(|p| !p.is_empty() && code.starts_with(&**p)),
    )
}
extern "C" fn heng_in_code_range(ctx: *const Ctx, code: u32, lo: u32, hi: u32) -> i8 {
    i8::from(crate::eval::builtins::in_code_range(
        text(ctx, code),
        text(ctx, lo),
        text(ctx, hi),
    ))
}
/// `add_days`, or `i64::MIN` when the result is out of range.
extern "C" fn heng_add_days(d: i32, n: i64) -> i64 {
    super::layout::date_from_days(d)
        .and_then(|d| chrono::TimeDelta::try_days(n).and_then(|t| d.checked_add_signed(t)))
        .map_or(i64::MIN, |d| super::layout::days(d) as i64)
}

/// `add_days` on a date and time (seconds), or `i64::MIN` when out of range.
extern "C" fn heng_add_days_secs(t: i64, n: i64) -> i64 {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|t| t.naive_utc())
        .and_then(|t| chrono::TimeDelta::try_days(n).and_then(|d| t.checked_add_signed(d)))
        .map_or(i64::MIN, super::layout::secs)
}

/// The builtin `op` (week_start, month_start, year_start) on a date, as the
/// interpreter computes it, or `i64::MIN` when it faults.
fn calendar(op: heng_compiler::ir::Builtin, d: i32) -> i64 {
    let Some(date) = super::layout::date_from_days(d) else {
        return i64::MIN;
    };
    match crate::eval::builtins::call(op, &[crate::value::Value::Date(date)]) {
        Ok(crate::value::Value::Date(r)) => super::layout::days(r) as i64,
        _ => i64::MIN,
    }
}

extern "C" fn heng_week_start(d: i32) -> i64 {
    calendar(heng_compiler::ir::Builtin::WeekStart, d)
}

extern "C" fn heng_month_start(d: i32) -> i64 {
    calendar(heng_compiler::ir::Builtin::MonthStart, d)
}

extern "C" fn heng_year_start(d: i32) -> i64 {
    calendar(heng_compiler::ir::Builtin::YearStart, d)
}

/// Room for `n` list offsets in the scratch arena.
/// The lines of `history.lines` whose text field at byte offset `slot` starts with
/// the text `prefix`, in time order (see [`LinesIndex`]).
extern "C" fn heng_lines_with_prefix(
    ctx: *const Ctx,
    base: *const u64,
    slot: i64,
    prefix: u32,
) -> List {
    // SAFETY: a live Ctx (fact 2) whose lines index belongs to the arena at `base`
    // (both come from the same `Prepared`); `base` is a patient arena, whose words
    // 2 and 3 are the byte offset and length of `history.lines`, an array of byte
    // offsets of fee-line records within the arena, each holding a text id at byte
    // offset `slot` (fact 1: the layout defines these offsets).
    unsafe {
        let index = &*(*ctx).lines_index;
        let slot = slot as u32;
        let mut found = index.found.borrow_mut();
        let lines =
            std::slice::from_raw_parts(base.add(*base.add(2) as usize / 8), *base.add(3) as usize);
        let hits = found.entry((slot, prefix)).or_insert_with(|| {
            let mut sorted = index.sorted.borrow_mut();
            let by_text = sorted.entry(slot).or_insert_with(|| {
                // (text, id, rank), sorted by text then rank
                let mut v: Vec<(&str, u32, u32)> = lines
                    .iter()
                    .enumerate()
                    .map(|(rank, &off)| {
                        let at = base.cast::<u8>().add(off as usize + slot as usize);
                        let id = at.cast::<u32>().read_unaligned();
                        (text(ctx, id), id, rank as u32)
                    })
                    .collect();
                v.sort_unstable_by(|a, b| a.0.cmp(b.0).then(a.2.cmp(&b.2)));
                v.into_iter().map(|(_, id, rank)| (id, rank)).collect()
            });
            let p = text(ctx, prefix);
            let from = by_text.partition_point(|&(id, _)| text(ctx, id) < p);
            let mut ranks: Vec<u32> = by_text[from..]
                .iter()
                .take_while(|&&(id, _)| text(ctx, id).starts_with(p))
                .map(|&(_, rank)| rank)
                .collect();
            ranks.sort_unstable();
            ranks.iter().map(|&r| lines[r as usize]).collect()
        });
        List {
            offsets: hits.as_ptr(),
            len: hits.len() as i64,
        }
    }
}

/// The rows of `.all(code)` lookup slot `slot` for the code with id `code`: the
/// address of their row numbers (u32) and their count.
extern "C" fn heng_all_rows(ctx: *const Ctx, slot: i64, code: u32) -> List {
    // SAFETY: a live Ctx (fact 2), whose interned arrays cannot change while its
    // guard is held; the slot and id are checked against them.
    unsafe {
        let interned = &*(*ctx).interned;
        let entry = interned
            .rows
            .get(slot as usize)
            .and_then(|r| r.get(code as usize))
            .copied()
            .unwrap_or(0);
        match entry.checked_sub(1).map(|at| at as usize) {
            Some(at) if at < interned.all_rows.len() => {
                let n = interned.all_rows[at] as usize;
                let rows = &interned.all_rows[at + 1..(at + 1 + n).min(interned.all_rows.len())];
                List {
                    offsets: rows.as_ptr().cast::<u64>(),
                    len: rows.len() as i64,
                }
            }
            _ => List {
                offsets: std::ptr::null(),
                len: 0,
            },
        }
    }
}

extern "C" fn heng_scratch(ctx: *const Ctx, n: i64) -> *mut u64 {
    // SAFETY: a live Ctx (fact 2) whose scratch arena lives in the calling thread
    // for the whole call; chunks never move once handed out.
    unsafe { (*(*ctx).scratch).alloc(n.max(0) as usize) }
}

/// The interned id of the month `YYYY-MM` of a date, or -1 when it was not interned
/// in advance (native code then defers to the interpreter).
extern "C" fn heng_month(ctx: *const Ctx, d: i32) -> i64 {
    let Some(date) = super::layout::date_from_days(d) else {
        return -1;
    };
    // SAFETY: a live Ctx (fact 2) pointing at the interner's guarded state.
    let interned = unsafe { &*(*ctx).interned };
    crate::eval::builtins::with_month_text(date, |text| interned.id_of(text)).map_or(-1, i64::from)
}

/// Helper names as codegen declares them, with their addresses.
fn helper_symbols() -> Vec<(&'static str, *const u8)> {
    vec![
        ("heng_dec_add", heng_dec_add as *const u8),
        ("heng_dec_sub", heng_dec_sub as *const u8),
        ("heng_dec_mul", heng_dec_mul as *const u8),
        ("heng_dec_div", heng_dec_div as *const u8),
        ("heng_dec_round", heng_dec_round as *const u8),
        ("heng_dec_neg", heng_dec_neg as *const u8),
        ("heng_dec_from_int", heng_dec_from_int as *const u8),
        ("heng_dec_cmp", heng_dec_cmp as *const u8),
        ("heng_text_cmp", heng_text_cmp as *const u8),
        ("heng_starts_with", heng_starts_with as *const u8),
        ("heng_matches_any", heng_matches_any as *const u8),
        ("heng_in_code_range", heng_in_code_range as *const u8),
        ("heng_add_days", heng_add_days as *const u8),
        ("heng_add_days_secs", heng_add_days_secs as *const u8),
        ("heng_week_start", heng_week_start as *const u8),
        ("heng_month_start", heng_month_start as *const u8),
        ("heng_year_start", heng_year_start as *const u8),
        ("heng_scratch", heng_scratch as *const u8),
        (
            "heng_lines_with_prefix",
            heng_lines_with_prefix as *const u8,
        ),
        ("heng_all_rows", heng_all_rows as *const u8),
        ("heng_month", heng_month as *const u8),
    ]
}

#[allow(
    dead_code,
    reason = "documents the rounding the helpers share with the interpreter"
)]
const ROUNDING: RoundingStrategy = RoundingStrategy::MidpointAwayFromZero;

/// The JIT module, kept only to own the code memory of the compiled rules.
pub struct Code(#[allow(dead_code, reason = "owns the executable memory")] JITModule);

impl Code {
    pub fn new(module: JITModule) -> Code {
        Code(module)
    }
}

// SAFETY: after `finalize`, nothing calls a method of the module again; it only
// keeps the executable memory alive until it is dropped with the engine. The
// compiled functions themselves are plain code reading immutable memory.
unsafe impl Send for Code {}
// SAFETY: as above: no shared access to the module's state ever happens.
unsafe impl Sync for Code {}

#[cfg(test)]
mod tests {
    use crate::native::dec_words::{Dec, FAULT, dec, dec_words};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    /// What a helper returns, as a decimal (a fault as `None`).
    fn answer(r: Dec) -> Option<Decimal> {
        (r.lo != FAULT.lo || r.hi != FAULT.hi).then(|| dec(r.lo, r.hi))
    }

    fn words(d: Decimal) -> (i64, i64) {
        let (lo, hi) = dec_words(d);
        (lo as i64, hi as i64)
    }

    /// The integer paths of `add`, `sub` and `round` give rust_decimal's
    /// words exactly (scale and the sign of a zero included).
    fn helpers_agree(x: Decimal, y: Decimal) -> Result<(), TestCaseError> {
        let ((a, b), (c, d)) = (words(x), words(y));
        let same = |got: Option<Decimal>, want: Option<Decimal>| {
            got.map(|g| g.serialize()) == want.map(|w| w.serialize())
        };
        prop_assert!(
            same(answer(super::heng_dec_add(a, b, c, d)), x.checked_add(y)),
            "{x} + {y}"
        );
        prop_assert!(
            same(answer(super::heng_dec_sub(a, b, c, d)), x.checked_sub(y)),
            "{x} - {y}"
        );
        prop_assert!(
            same(
                answer(super::heng_dec_round(a, b, c, d)),
                crate::eval::builtins::round(x, y).ok()
            ),
            "round({x}, {y})"
        );
        Ok(())
    }

    proptest! {
        #[test]
        fn integer_paths_of_decimal_helpers_agree_with_rust_decimal(
            m in -(1i64 << 62)..(1i64 << 62), n in -10_000i64..10_000,
            scale in 0u32..=6, other in 0u32..=6, negative_zero: bool,
        ) {
            let x = Decimal::new(m >> (m.unsigned_abs() % 60), scale);
            let mut y = Decimal::new(n, other);
            if n == 0 && negative_zero {
                y.set_sign_negative(true);
            }
            helpers_agree(x, y)?;
            helpers_agree(y, x)?;
            helpers_agree(x, Decimal::new(1, other))?;
            helpers_agree(x, -x)?;
            helpers_agree(x, Decimal::new(i64::MAX, scale))?;
        }
    }
}
