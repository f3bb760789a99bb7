//! The fast path of reading a visit: one pass over the JSON text guided by the
//! schema, straight into a [`Record`], without building a JSON tree first (no map
//! per object, no string per key, no copy of unknown fields).
//!
//! It only ever succeeds where the reference reader (`serde_json` into a tree, then
//! `read_record`) succeeds with the same record, and returns `None` at the first
//! doubt: any error, a repeated key, nesting deeper than 100, anything unusual.
//! `read_visit` then runs the reference reader, which decides and words the error.
//! So errors are the reference reader's by construction, and the differential test
//! checks that the two agree wherever the fast path answers.

mod string_stop;
mod top_level;
pub(super) use top_level::{leading_strings, top_level_strings};

use super::texts::Texts;
use super::{Kind, SchemaInner, scalar};
use crate::value::{Record, Value};
use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;
use string_stop::string_stop;

/// Reads `text` (one whole line) as record type `r`, or `None` to defer.
pub(super) fn read(s: &SchemaInner, r: usize, text: &str) -> Option<Record> {
    SCRATCH.with_borrow_mut(|scratch| {
        let mut p = Parser {
            b: text.as_bytes(),
            text,
            at: 0,
            depth: 0,
            scratch,
        };
        p.ws();
        if p.peek()? != b'{' {
            return None;
        }
        let record = p.record(s, r)?;
        p.ws();
        (p.at == p.b.len()).then_some(record)
    })
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// What the reader keeps on each thread from line to line.
#[derive(Default)]
struct Scratch {
    texts: Texts,
    /// Per nesting depth, room for the elements of a list being read (a list is
    /// then allocated once, at its length).
    lists: Vec<Vec<Value>>,
}

/// A field's name as the fast reader looks for it: `"name":`, and its first
/// [`Key::BYTES`] bytes as little-endian words with masks of the bytes it has.
#[derive(Debug)]
pub(super) struct Key {
    bytes: Box<[u8]>,
    words: [u64; 3],
    masks: [u64; 3],
}

impl Key {
    /// Keys up to this long are compared as words; longer ones as slices.
    const BYTES: usize = 24;

    pub(super) fn new(name: &str) -> Key {
        let bytes: Box<[u8]> = format!("\"{name}\":").into_bytes().into();
        let mut padded = [0u8; Self::BYTES];
        let mut mask = [0u8; Self::BYTES];
        let n = bytes.len().min(Self::BYTES);
        padded[..n].copy_from_slice(&bytes[..n]);
        mask[..n].fill(0xff);
        Key {
            words: std::array::from_fn(|k| Self::word(&padded, k)),
            masks: std::array::from_fn(|k| Self::word(&mask, k)),
            bytes,
        }
    }

    fn word(b: &[u8; Self::BYTES], k: usize) -> u64 {
        let mut w = [0; 8];
        w.copy_from_slice(&b[8 * k..8 * k + 8]);
        u64::from_le_bytes(w)
    }
}

struct Parser<'t, 'c> {
    b: &'t [u8],
    text: &'t str,
    at: usize,
    depth: u32,
    scratch: &'c mut Scratch,
}

/// Writes `value` where the reader left [`Value::Absent`] for it, without
/// dropping the absent value first (an assignment calls the drop glue, out of
/// line, for every field read).
#[inline(always)]
fn put(out: &mut Value, value: Value) {
    debug_assert!(matches!(out, Value::Absent));
    // forgetting an absent value leaks nothing
    std::mem::forget(std::mem::replace(out, value));
}

/// serde_json's own limit is 128; stay well inside it.
const MAX_DEPTH: u32 = 100;

impl<'t> Parser<'t, '_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.at).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// Whether the text at `self.at` starts with `key`: the next 24 bytes
    /// compared with the key's words under its masks, without a branch per
    /// byte or a bounds check per word (slice equality would call `memcmp`).
    #[inline(always)]
    fn looking_at(&self, key: &Key) -> bool {
        let here = &self.b[self.at.min(self.b.len())..];
        match here.first_chunk::<{ Key::BYTES }>() {
            Some(next) if key.bytes.len() <= Key::BYTES => {
                let word = |k: usize| {
                    let (w, m) = (key.words[k], key.masks[k]);
                    (Key::word(next, k) ^ w) & m
                };
                word(0) | word(1) | word(2) == 0
            }
            _ => here.starts_with(&key.bytes),
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.ws();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.b[self.at..]
            .starts_with(word)
            .then(|| self.at += word.len())
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// A JSON object as record type `r`: known fields read, others skipped.
    fn record(&mut self, s: &SchemaInner, r: usize) -> Option<Record> {
        let reader = s.records.get(r)?.as_ref()?;
        self.enter()?;
        self.eat(b'{')?;
        // records of more than 64 fields defer (the masks below are one word)
        if reader.fields.len() > 64 {
            return None;
        }
        let n = reader.fields.len();
        // the record's one allocation, its fields written in place
        let mut record: Arc<[Value]> = (0..n).map(|_| Value::Absent).collect();
        let fields = Arc::get_mut(&mut record)?;
        // keys seen, to defer on a repeated key (the reference keeps the last),
        // and fields given a value
        let (mut seen, mut given) = (0u64, 0u64);
        // exporters write fields in a fixed order: try the one after the last match
        let mut next = 0;
        self.ws();
        if self.peek()? == b'}' {
            self.at += 1;
        } else {
            loop {
                self.ws();
                // the expected key (the field after the last) and its colon,
                // compared as bytes, else the next ones (optional fields left out);
                // any other spelling (an unknown key, an escape, a space before the
                // colon) is read as a string and looked up
                // (`looking_at` written out at each use: a closure around it
                // was left a call per field)
                let found = match next < n && self.looking_at(&reader.fields[next].key) {
                    true => Some(next),
                    false => (next + 1..n)
                        .chain(0..next.min(n))
                        .find(|&i| self.looking_at(&reader.fields[i].key)),
                };
                let at = match found {
                    Some(i) => {
                        self.at += reader.fields[i].key.bytes.len();
                        Some(i)
                    }
                    None => {
                        let key = self.string()?;
                        let i = reader.fields.iter().position(|f| f.name == *key);
                        self.eat(b':')?;
                        i
                    }
                };
                self.ws();
                match at {
                    Some(i) => {
                        next = i + 1;
                        if seen & (1 << i) != 0 {
                            return None;
                        }
                        seen |= 1 << i;
                        let f = &reader.fields[i];
                        if self.peek()? == b'n' {
                            self.literal(b"null")?;
                        } else if !f.keep && matches!(f.kind, Kind::Text | Kind::Code) {
                            // checked as `value` checks a text, not kept
                            self.pass_string()?;
                            given |= 1 << i;
                        } else if f.keep {
                            self.value_into(s, &f.kind, f.optional, &mut fields[i])?;
                            given |= 1 << i;
                        } else {
                            // checked as strictly, not kept
                            self.value(s, &f.kind, f.optional)?;
                            given |= 1 << i;
                        }
                    }
                    None => self.skip()?,
                }
                self.ws();
                match self.peek()? {
                    b',' => self.at += 1,
                    b'}' => {
                        self.at += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        // missing or null: absent when optional, an empty list, or an error
        if reader.required & !given != 0 {
            return None;
        }
        let mut lists = reader.required_lists & !given;
        while lists != 0 {
            fields[lists.trailing_zeros() as usize] = Value::List(Arc::from([]));
            lists &= lists - 1;
        }
        Some(Record { fields: record })
    }

    /// One value of `kind` (not null).
    fn value(&mut self, s: &SchemaInner, kind: &Kind, optional: bool) -> Option<Value> {
        let mut v = Value::Absent;
        self.value_into(s, kind, optional, &mut v)?;
        Some(v)
    }

    /// [`Parser::value`] written into `out` (absent until then): a record's
    /// field is written once, where it stays, rather than returned through the
    /// stack and copied (each copy a 24-byte load of what was just stored in
    /// pieces, which the processor cannot forward). Inlined where a record
    /// reads its fields: nested values are read out of line
    /// ([`Parser::nested_into`]), so a scalar costs no call of a function that
    /// saves every register for the recursion.
    #[inline(always)]
    fn value_into(
        &mut self,
        s: &SchemaInner,
        kind: &Kind,
        optional: bool,
        out: &mut Value,
    ) -> Option<()> {
        let value = match (self.peek()?, kind) {
            (b'"', _) => {
                let start = self.at + 1;
                let t = self.string()?;
                if let Kind::Text | Kind::Code = kind {
                    // a short text's key read straight from the input
                    if let Cow::Borrowed(short) = t
                        && short.len() <= 15
                        && let Some(bytes) = self.b.get(start..).and_then(|r| r.first_chunk())
                    {
                        put(out, Value::Text(self.scratch.texts.tiny_at(bytes, short)));
                        return Some(());
                    }
                    put(out, self.scratch.texts.get(&t));
                    return Some(());
                }
                // trimmed only when it needs to be: `trim` walks chars
                let padded = |c: Option<&u8>| c.is_none_or(|c| c.is_ascii_whitespace());
                let b = t.as_bytes();
                let t = if padded(b.first()) || padded(b.last()) {
                    t.trim()
                } else {
                    &t
                };
                if t.is_empty() {
                    return optional.then_some(());
                }
                match kind {
                    Kind::Decimal => Value::Decimal(scalar::decimal(t).ok()?),
                    Kind::Int => Value::Int(scalar::int(t).ok()?),
                    Kind::Bool => match t {
                        "0" => Value::Bool(false),
                        "1" => Value::Bool(true),
                        _ => return None,
                    },
                    Kind::Date => Value::Date(scalar::date(t).ok()?),
                    Kind::DateTime => Value::DateTime(scalar::datetime(t).ok()?),
                    Kind::Text | Kind::Code | Kind::Record(_) | Kind::List(_) => return None,
                }
            }
            (b'-' | b'0'..=b'9', _) => {
                let n = self.number()?;
                match kind {
                    Kind::Decimal => Value::Decimal(scalar::decimal(n).ok()?),
                    Kind::Int => Value::Int(scalar::int(n).ok()?),
                    Kind::Bool if n == "0" || n == "1" => Value::Bool(n == "1"),
                    _ => return None,
                }
            }
            (b't', Kind::Bool) => {
                self.literal(b"true")?;
                Value::Bool(true)
            }
            (b'f', Kind::Bool) => {
                self.literal(b"false")?;
                Value::Bool(false)
            }
            (b'{' | b'[', Kind::Record(_) | Kind::List(_)) => {
                return self.nested_into(s, kind, out);
            }
            _ => return None,
        };
        put(out, value);
        Some(())
    }

    /// [`Parser::value_into`] for a record or a list.
    #[inline(never)]
    fn nested_into(&mut self, s: &SchemaInner, kind: &Kind, out: &mut Value) -> Option<()> {
        let value = match (self.peek()?, kind) {
            (b'{', Kind::Record(r)) => Value::Record(self.record(s, *r)?),
            (b'[', Kind::List(element)) => {
                self.enter()?;
                self.at += 1;
                let depth = self.depth as usize;
                if self.scratch.lists.len() <= depth {
                    self.scratch.lists.resize_with(depth + 1, Vec::new);
                }
                let mut items = std::mem::take(&mut self.scratch.lists[depth]);
                items.clear();
                self.ws();
                if self.peek()? == b']' {
                    self.at += 1;
                } else {
                    loop {
                        self.ws();
                        // a null element is an error: the reference reader words it
                        if self.peek()? == b'n' {
                            return None;
                        }
                        items.push(Value::Absent);
                        let last = items.last_mut()?;
                        self.value_into(s, element, false, last)?;
                        self.ws();
                        match self.peek()? {
                            b',' => self.at += 1,
                            b']' => {
                                self.at += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                self.depth -= 1;
                let list = Value::List(items.drain(..).collect());
                self.scratch.lists[depth] = items;
                list
            }
            _ => return None,
        };
        put(out, value);
        Some(())
    }

    /// A JSON string at `self.at` (the opening quote): borrowed when it has no
    /// escapes. Control characters defer. Inlined where it is read (a string
    /// without escapes is a scan and a slice); escapes are decoded out of line.
    #[inline(always)]
    fn string(&mut self) -> Option<Cow<'t, str>> {
        let (start, i) = self.plain_run()?;
        match self.b[i] {
            b'"' => {
                self.at = i + 1;
                // quotes are ASCII, so these are char boundaries of a `str`
                self.text.get(start..i).map(Cow::Borrowed)
            }
            b'\\' => self.escaped(start, i),
            _ => None,
        }
    }

    /// [`Parser::string`] checked and passed over: a string nobody keeps needs
    /// no slice of the text (a call each, 1.5% of settling a batch).
    #[inline(always)]
    fn pass_string(&mut self) -> Option<()> {
        let (start, i) = self.plain_run()?;
        match self.b[i] {
            b'"' => {
                self.at = i + 1;
                Some(())
            }
            b'\\' => self.escaped(start, i).map(drop),
            _ => None,
        }
    }

    /// The plain run of the string at `self.at` (the opening quote): where its
    /// text starts, and where the closing quote, a backslash or a control
    /// character stops it.
    #[inline(always)]
    fn plain_run(&self) -> Option<(usize, usize)> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.at + 1;
        Some((start, start + string_stop(self.b.get(start..)?)?))
    }

    /// The rest of [`Parser::string`] from the first backslash at `i`.
    #[inline(never)]
    fn escaped(&mut self, start: usize, mut i: usize) -> Option<Cow<'t, str>> {
        let mut out = String::from(self.text.get(start..i)?);
        loop {
            match *self.b.get(i)? {
                b'"' => {
                    self.at = i + 1;
                    return Some(Cow::Owned(out));
                }
                b'\\' => {
                    let (c, len) = self.escape(i)?;
                    out.push(c);
                    i += len;
                }
                c if c < 0x20 => return None,
                _ => {
                    // copy up to the next quote or backslash in one piece
                    let end = string_stop(&self.b[i..]).map_or(self.b.len(), |k| i + k);
                    out.push_str(self.text.get(i..end)?);
                    i = end;
                }
            }
        }
    }

    /// The character of the escape at `i` (a backslash) and the bytes it spans.
    fn escape(&self, i: usize) -> Option<(char, usize)> {
        let c = match *self.b.get(i + 1)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4(i + 2)?;
                if (0xD800..0xDC00).contains(&hi) {
                    // a surrogate pair: \uD8xx\uDCxx
                    if self.b.get(i + 6..i + 8)? != b"\\u" {
                        return None;
                    }
                    let lo = self.hex4(i + 8)?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return None;
                    }
                    let code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    return Some((char::from_u32(code)?, 12));
                }
                return Some((char::from_u32(hi)?, 6));
            }
            _ => return None,
        };
        Some((c, 2))
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.text.get(at..at + 4)?;
        if !digits.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    }

    /// A JSON number, strictly by the grammar, as its text.
    fn number(&mut self) -> Option<&'t str> {
        let start = self.at;
        let digits = |p: &mut Self| {
            let from = p.at;
            while let Some(b'0'..=b'9') = p.peek() {
                p.at += 1;
            }
            p.at > from
        };
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !digits(self) {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if !digits(self) {
                return None;
            }
        }
        self.text.get(start..self.at)
    }

    /// Skips any JSON value, checking its syntax.
    fn skip(&mut self) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => self.pass_string(),
            b'-' | b'0'..=b'9' => self.number().map(drop),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            open @ (b'{' | b'[') => {
                self.enter()?;
                self.at += 1;
                let close = if open == b'{' { b'}' } else { b']' };
                self.ws();
                if self.peek()? == close {
                    self.at += 1;
                } else {
                    loop {
                        if open == b'{' {
                            self.ws();
                            self.pass_string()?;
                            self.eat(b':')?;
                        }
                        self.skip()?;
                        self.ws();
                        match self.peek()? {
                            b',' => self.at += 1,
                            c if c == close => {
                                self.at += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                self.depth -= 1;
                Some(())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Key, Parser, Scratch};

    #[test]
    fn a_key_is_found_exactly_where_its_bytes_are_whatever_its_length() {
        // names around the 24 bytes compared as words, the key at the end of the
        // text or cut short by it, and one byte changed at every position
        for len in 1..40 {
            let name: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            let key = Key::new(&name);
            let quoted = format!("\"{name}\":");
            for tail in ["", "\"x\",\"y\":1}", "1"] {
                let text = format!("{quoted}{tail}");
                let mut scratch = Scratch::default();
                let mut at = |text: &str, at: usize| {
                    let p = Parser {
                        b: text.as_bytes(),
                        text,
                        at,
                        depth: 0,
                        scratch: &mut scratch,
                    };
                    p.looking_at(&key)
                };
                assert!(at(&text, 0), "{text}");
                assert!(!at(&text, 1), "{text}");
                assert!(!at(&quoted[..quoted.len() - 1], 0), "cut short: {quoted}");
                assert!(!at(&text, text.len()), "at the end: {text}");
                for i in 0..quoted.len() {
                    let mut changed = text.clone().into_bytes();
                    changed[i] ^= 0x20;
                    let changed = String::from_utf8(changed).expect("ASCII");
                    assert!(!at(&changed, 0), "{changed}");
                }
            }
        }
    }
}
