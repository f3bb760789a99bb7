//! Interning for native code: every Code and Text value becomes a `u32` id, so
//! equality is one integer compare, and every table lookup the pack makes is
//! resolved once per distinct code (when the code is first seen) into a dense
//! array indexed by id: a lookup in compiled code is two loads.

use crate::table::Table;
use heng_compiler::ir::LookupMode;
use smol_str::SmolStr;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard};

/// One table lookup the pack performs: which table, exact or by longest prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LookupSlot {
    pub table: usize,
    pub mode: LookupMode,
}

/// The interned strings and, per lookup slot, `row + 1` (0 = no row) for every id.
#[derive(Default)]
pub struct Interned {
    /// foldhash: several times faster than SipHash on short codes, and seeded.
    ids: HashMap<SmolStr, u32, foldhash::fast::RandomState>,
    pub texts: Vec<SmolStr>,
    /// Per lookup slot and id: `row + 1` of an exact or prefix lookup (0: none);
    /// for an `.all(code)` lookup, `offset + 1` in `all_rows` (0: no rows).
    pub rows: Vec<Vec<u32>>,
    /// The rows of `.all(code)` lookups: at each offset a count, then that many
    /// row numbers.
    pub all_rows: Vec<u32>,
    /// The address of each `rows` array (what compiled code indexes), kept current
    /// as the arrays grow so a visit's context needs no allocation.
    pub row_addrs: Vec<usize>,
}

impl Interned {
    pub fn id_of(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }
}

/// Thread-safe interner. Evaluation holds a read guard for a whole visit, so the
/// arrays native code reads cannot move underneath it.
pub struct Interner<'t> {
    /// Tells this interner's entries in [`RECENT`] from another's.
    uid: u64,
    inner: RwLock<Interned>,
    lookups: Vec<LookupSlot>,
    tables: &'t [Table],
}

impl<'t> Interner<'t> {
    pub fn new(lookups: Vec<LookupSlot>, tables: &'t [Table]) -> Self {
        // the ids below LOCAL_IDS are per arena: no text of their own, no rows
        let rows: Vec<Vec<u32>> = vec![vec![0; LOCAL_IDS as usize]; lookups.len()];
        let texts = vec![SmolStr::default(); LOCAL_IDS as usize];
        static NEXT_UID: AtomicU64 = AtomicU64::new(0);
        Interner {
            uid: NEXT_UID.fetch_add(1, Ordering::Relaxed),
            inner: RwLock::new(Interned {
                row_addrs: rows.iter().map(|r| r.as_ptr() as usize).collect(),
                rows,
                texts,
                ..Interned::default()
            }),
            lookups,
            tables,
        }
    }

    /// Index of a lookup slot.
    pub fn slot(&self, table: usize, mode: LookupMode) -> Option<usize> {
        self.lookups
            .iter()
            .position(|l| l.table == table && l.mode == mode)
    }

    /// The id of `s`, interning it (and resolving its lookups) if it is new.
    pub fn intern(&self, s: &str) -> u32 {
        if let Some(&id) = self.read().ids.get(s) {
            return id;
        }
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if let Some(&id) = inner.ids.get(s) {
            return id;
        }
        let id = inner.texts.len() as u32;
        let text = SmolStr::new(s);
        inner.texts.push(text.clone());
        inner.ids.insert(text, id);
        for (k, l) in self.lookups.iter().enumerate() {
            let table = &self.tables[l.table];
            let entry = match l.mode {
                LookupMode::Exact => table.get(s).map_or(0, |r| r + 1),
                LookupMode::Prefix => table.prefix(s).map_or(0, |r| r + 1),
                LookupMode::All => match table.all(s) {
                    rows if rows.is_empty() => 0,
                    rows => {
                        let at = inner.all_rows.len() as u32;
                        inner.all_rows.push(rows.len() as u32);
                        inner.all_rows.extend(rows);
                        at + 1
                    }
                },
            };
            inner.rows[k].push(entry);
        }
        let inner = &mut *inner;
        for (addr, rows) in inner.row_addrs.iter_mut().zip(&inner.rows) {
            *addr = rows.as_ptr() as usize;
        }
        id
    }

    /// [`Interner::intern`] through a read guard held across many calls (one
    /// visit's texts), so the shared lock is taken once per visit rather than per
    /// text; a new text drops the guard, interns it and takes the guard again.
    pub fn intern_held<'g>(
        &'g self,
        guard: &mut Option<RwLockReadGuard<'g, Interned>>,
        s: &str,
    ) -> u32 {
        let held = guard.get_or_insert_with(|| self.read());
        if let Some(&id) = held.ids.get(s) {
            return id;
        }
        *guard = None;
        let id = self.intern(s);
        *guard = Some(self.read());
        id
    }

    /// [`Interner::intern_held`] for a text value, remembered on this thread (see
    /// [`RECENT`]).
    pub fn intern_shared<'g>(
        &'g self,
        guard: &mut Option<RwLockReadGuard<'g, Interned>>,
        s: &SmolStr,
    ) -> u32 {
        match self.recall(s) {
            Some(id) if id != PLAIN && id != UNFOUND => id,
            _ => {
                let id = self.intern_held(guard, s);
                self.remember(s, id);
                id
            }
        }
    }

    /// The id of a text of an arena with per-arena `locals`: its local id if it
    /// has one, else its shared id if it has one. A new text gets a local id when
    /// no lookup finds it and this thread has not met it in an earlier arena (a
    /// visit's id, an order number); one met again (a doctor's code, an item's
    /// name) is worth a shared id, as is any text once the arena's local ids run
    /// out.
    pub fn intern_local<'g>(
        &'g self,
        guard: &mut Option<RwLockReadGuard<'g, Interned>>,
        s: &SmolStr,
        locals: &Locals,
    ) -> u32 {
        // by address first: a shared id remembered on this thread is the text's
        // id in every arena (a text that has one never gets a local id)
        let recalled = self.recall(s);
        let met_before = match recalled {
            Some(PLAIN) => !locals.again,
            Some(UNFOUND) => false,
            Some(id) => return id,
            None => false,
        };
        if let Some(&id) = locals.ids.borrow().get(s) {
            return id;
        }
        let held = guard.get_or_insert_with(|| self.read());
        if let Some(&id) = held.ids.get(&**s) {
            self.remember(s, id);
            return id;
        }
        let mut texts = locals.texts.borrow_mut();
        if !met_before
            && (texts.len() as u32) < LOCAL_IDS
            && (recalled.is_some() || !self.looked_up(s))
        {
            let id = texts.len() as u32;
            texts.push(s.clone());
            locals.ids.borrow_mut().insert(s.clone(), id);
            if !locals.again {
                self.remember(s, PLAIN);
            } else if recalled.is_none() {
                self.remember(s, UNFOUND);
            }
            return id;
        }
        self.intern_shared(guard, s)
    }

    /// Whether any lookup of the pack finds a row for `s`.
    fn looked_up(&self, s: &str) -> bool {
        self.lookups.iter().any(|l| {
            let table = &self.tables[l.table];
            match l.mode {
                LookupMode::Exact => table.get(s).is_some(),
                // `.all(code)` finds rows exactly when the longest prefix does
                LookupMode::Prefix | LookupMode::All => table.prefix(s).is_some(),
            }
        })
    }

    /// The shared id this thread remembers for `s`, or [`PLAIN`] or [`UNFOUND`].
    fn recall(&self, s: &SmolStr) -> Option<u32> {
        RECENT.with_borrow(|recent| match recent.get(recent_slot(s)) {
            Some(Some((text, uid, id))) if *uid == self.uid && same(text, s) => Some(*id),
            _ => None,
        })
    }

    fn remember(&self, s: &SmolStr, id: u32) {
        RECENT.with_borrow_mut(|recent| {
            if recent.is_empty() {
                recent.resize(RECENT_SLOTS, None);
            }
            recent[recent_slot(s)] = Some((s.clone(), self.uid, id));
        })
    }

    pub fn read(&self) -> RwLockReadGuard<'_, Interned> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }
}

const RECENT_SLOTS: usize = 4096;

/// Where [`RECENT`] keeps `s`: by the address of a shared string, by the bytes
/// of one held inline (at most 23: its first, middle and last eight, or four,
/// read where they are, with its length, mixed; catalogue codes of 20 to 23
/// bytes often differ only in the middle).
fn recent_slot(s: &SmolStr) -> usize {
    let b = s.as_bytes();
    let word = |at: usize| {
        b.get(at..)
            .and_then(|w| w.first_chunk::<8>())
            .map_or(0, |w| u64::from_le_bytes(*w))
    };
    let mixed = match (s.is_heap_allocated(), b.len()) {
        (true, _) => {
            let addr = b.as_ptr() as u64;
            (addr >> 4) ^ (addr >> 16)
        }
        (false, n) => {
            let (first, middle, last) = match n {
                8.. => (word(0), word((n - 8) / 2), word(n - 8)),
                _ => match (b.first_chunk::<4>(), b.last_chunk::<4>()) {
                    (Some(f), Some(l)) => (
                        u64::from(u32::from_le_bytes(*f)),
                        0,
                        u64::from(u32::from_le_bytes(*l)),
                    ),
                    _ => b
                        .iter()
                        .fold((0, 0, 0), |(f, ..), &c| (f << 8 | u64::from(c), 0, 0)),
                },
            };
            let folded = first ^ middle.rotate_left(19) ^ last.rotate_left(41) ^ n as u64;
            folded.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40
        }
    };
    mixed as usize & (RECENT_SLOTS - 1)
}

/// Whether two texts of [`RECENT`] are the same: one shared string (its entry
/// holds it, so no other text can take its address), or equal inline bytes.
fn same(a: &SmolStr, b: &SmolStr) -> bool {
    match b.is_heap_allocated() {
        true => a.as_ptr() == b.as_ptr(),
        false => a.as_str() == b.as_str(),
    }
}

/// What [`RECENT`] holds for a text given a local id (see `intern_local`).
const PLAIN: u32 = u32::MAX;

/// What [`RECENT`] holds for a text given a local id in a second arena
/// ([`Locals::again`]): no lookup finds it (so the tables need not be searched
/// again), but it does not count as met before.
const UNFOUND: u32 = u32::MAX - 1;

/// Ids below this are per arena ([`Locals`]); no lookup finds a row for them.
pub const LOCAL_IDS: u32 = 4096;

/// The texts of one arena that no lookup finds (visit and order ids, doctors'
/// codes, free text), numbered per arena with the ids below [`LOCAL_IDS`]: the
/// shared interner does not grow with every visit of a batch, so memory stays
/// bounded by the largest patient and no thread waits for the interner's write
/// lock to add them. Within an arena a text keeps one id, so equality holds;
/// such a text equals no constant of the pack, which all have shared ids.
#[derive(Default)]
pub struct Locals {
    ids: RefCell<HashMap<SmolStr, u32, foldhash::fast::RandomState>>,
    texts: RefCell<Vec<SmolStr>>,
    /// A second arena for visits another arena of this thread encodes too (the
    /// settlement's): meeting a text here does not make it "met before", or
    /// every visit id would be promoted to a shared id.
    pub again: bool,
}

impl Locals {
    /// Forgets every text (call when the arena is encoded afresh).
    pub fn clear(&self) {
        self.ids.borrow_mut().clear();
        self.texts.borrow_mut().clear();
    }

    /// The text of local id `id`.
    pub fn text(&self, id: u32) -> Option<SmolStr> {
        self.texts.borrow().get(id as usize).cloned()
    }

    /// The local texts, for compiled code's helpers (see `machine::Ctx`).
    pub fn texts_ptr(&self) -> *const Vec<SmolStr> {
        self.texts.as_ptr()
    }
}

/// A remembered text: the string, the interner's uid and the id.
type Recent = (SmolStr, u64, u32);

thread_local! {
    /// Ids of texts this thread interned lately: a text held inline (codes,
    /// flags, ids: at most 23 bytes) by its bytes, a longer one by the address of
    /// its shared string (the input reader shares one per repeated text), so
    /// lookups compare words or an address instead of hashing the text. Each
    /// entry holds its string, so no other text can take that address while the
    /// entry stands; the interner's uid keeps engines apart.
    static RECENT: RefCell<Vec<Option<Recent>>> = const { RefCell::new(Vec::new()) };
}

#[cfg(test)]
mod tests {
    use super::{Interner, LOCAL_IDS, Locals};
    use smol_str::SmolStr;

    #[test]
    fn texts_no_lookup_finds_are_numbered_per_arena_until_met_again() {
        let interner = Interner::new(vec![], &[]);
        let (locals, mut guard) = (Locals::default(), None);
        let visit: SmolStr = SmolStr::new("MD0001");
        let doctor: SmolStr = SmolStr::new("D2021");
        let v = interner.intern_local(&mut guard, &visit, &locals);
        let d = interner.intern_local(&mut guard, &doctor, &locals);
        assert!(
            v < LOCAL_IDS && d < LOCAL_IDS && v != d,
            "local ids: {v} {d}"
        );
        assert_eq!(
            interner.intern_local(&mut guard, &visit, &locals),
            v,
            "one id per arena"
        );
        assert_eq!(locals.text(v).as_deref(), Some("MD0001"));
        // the next arena: the doctor met again gets a shared id, kept from then on
        locals.clear();
        let shared = interner.intern_local(&mut guard, &doctor, &locals);
        assert!(shared >= LOCAL_IDS);
        guard = None;
        assert_eq!(&*interner.read().texts[shared as usize], "D2021");
        assert_eq!(interner.intern_local(&mut guard, &doctor, &locals), shared);
        // a text the pack's constants already named has its shared id
        guard = None;
        let constant = interner.intern("14");
        assert_eq!(
            interner.intern_local(&mut guard, &SmolStr::new("14"), &locals),
            constant
        );
    }

    #[test]
    fn texts_of_second_arenas_stay_local_however_often_they_are_met() {
        let interner = Interner::new(vec![], &[]);
        let mut guard = None;
        let locals = Locals {
            again: true,
            ..Locals::default()
        };
        let visit: SmolStr = SmolStr::new("MD0002");
        for _ in 0..3 {
            locals.clear();
            let id = interner.intern_local(&mut guard, &visit, &locals);
            assert!(id < LOCAL_IDS, "still local: {id}");
            assert_eq!(locals.text(id).as_deref(), Some("MD0002"));
        }
        // what the thread remembers of it is no id: a shared one is made
        guard = None;
        let shared = interner.intern_shared(&mut guard, &visit);
        assert!(shared >= LOCAL_IDS, "{shared}");
        drop(guard);
        assert_eq!(&*interner.read().texts[shared as usize], "MD0002");
    }

    #[test]
    fn shared_strings_get_the_id_of_their_text_in_each_interner() {
        let (a, b) = (Interner::new(vec![], &[]), Interner::new(vec![], &[]));
        let (mut ga, mut gb) = (None, None);
        // b has seen another text first, so the same text has another id there
        b.intern("other");
        let x: SmolStr = SmolStr::new("XJ01");
        let first = super::LOCAL_IDS;
        assert_eq!(a.intern_shared(&mut ga, &x), first);
        assert_eq!(b.intern_shared(&mut gb, &x), first + 1);
        assert_eq!(
            a.intern_shared(&mut ga, &x),
            first,
            "remembered per interner"
        );
        // another allocation of the same text, and another text
        assert_eq!(a.intern_shared(&mut ga, &SmolStr::new("XJ01")), first);
        assert_eq!(a.intern_shared(&mut ga, &SmolStr::new("XJ02")), first + 1);
        drop(x);
        // whatever reuses the freed address is looked up by its text (texts
        // longer than 23 bytes are shared strings; shorter ones are held inline
        // and remembered by their bytes)
        for k in 0..10_000 {
            let t = SmolStr::new(format!("C{k}"));
            let id = a.intern_shared(&mut ga, &t);
            ga = None;
            assert_eq!(a.read().texts[id as usize], t);
            let t = SmolStr::new(format!("an order's note, longer than inline: {k}"));
            assert!(t.is_heap_allocated());
            let id = a.intern_shared(&mut ga, &t);
            ga = None;
            assert_eq!(a.read().texts[id as usize], t);
        }
    }

    #[test]
    fn catalogue_codes_differing_only_in_the_middle_are_remembered_apart() {
        let codes = [
            "XB01ACA000A001010100001",
            "XB01ACA035F001010100001",
            "XB01ACA000A002010100001",
        ];
        let slots: std::collections::HashSet<usize> = codes
            .iter()
            .map(|c| super::recent_slot(&SmolStr::new(c)))
            .collect();
        assert_eq!(slots.len(), codes.len(), "{slots:?}");
    }
}
