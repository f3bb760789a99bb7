//! The holes of a settlement settled in one pass (`Settlement::single_pass`):
//! where a line's outputs after the batch totals go, written while the totals
//! are still being summed, and filled once they are known.
//!
//! A hole is a control byte, which JSON text never holds raw. The first hole of a
//! line holds the values the late steps read (`saved`, as a JSON array), then
//! the visit (`[input line, mdtrt_id]`) for an error; the others are empty.
//! [`Settler::resolve`] computes the late outputs once per distinct saved values
//! (an outpatient visit has no case score: most visits save the same).
//!
//! Held lines are also shorter: each key is coded in two bytes ([`code`]),
//! written out in full as the holes are filled. A month's held lines are a
//! third of the size, and memory not yet touched costs more than writing the
//! keys twice.

use super::{Settler, push_output};
use crate::eval::{EvalError, Evaluator};
use crate::input::Visit;
use crate::json_text;
use crate::value::Value;
use heng_compiler::diagnostic::Lang;
use heng_compiler::ir::SettleStep;
use heng_compiler::source::SourceMap;
use heng_compiler::types::Type;
use std::collections::HashMap;

/// What marks a hole in a deferring settler's lines: a control character, which
/// JSON text never holds raw (and not NUL, which separates held results).
const HOLE: char = '\u{1}';

/// What separates, in the first hole, the saved values from the visit they are
/// of (`[input line, mdtrt_id]`).
const VISIT: char = '\u{2}';

/// What starts a coded key in a held line: another control character.
const CODE: u8 = 3;

/// The held form of `key`, the `index`-th of the settler's keys: [`CODE`] and a
/// printable ASCII byte telling which (the key itself past the 95th).
pub(super) fn code(index: usize, key: &str) -> String {
    match u8::try_from(index + 0x20) {
        Ok(b) if b < 0x7f => String::from_utf8(vec![CODE, b]).unwrap_or_default(),
        _ => key.to_string(),
    }
}

/// Bytes [`expand`] copies at once: a key, or the text between two codes, that
/// fits is copied as this many bytes in one fixed-size move and the excess cut
/// off (a third faster than a copy of its own length, which is a call each).
const WINDOW: usize = 32;

/// A key as [`expand`] writes it: its bytes, padded to at least [`WINDOW`].
pub(super) struct HeldKey {
    padded: Vec<u8>,
    len: usize,
}

impl HeldKey {
    pub(super) fn new(key: &str) -> HeldKey {
        let mut padded = key.as_bytes().to_vec();
        padded.resize(WINDOW.max(key.len()), 0);
        HeldKey {
            padded,
            len: key.len(),
        }
    }
}

/// Appends the first `len` bytes of `window`.
fn put(to: &mut Vec<u8>, window: &[u8], len: usize) {
    let n = to.len();
    match window.get(..WINDOW) {
        Some(w) if len <= WINDOW => {
            to.extend_from_slice(w);
            to.truncate(n + len);
        }
        _ => to.extend_from_slice(&window[..len]),
    }
}

/// Appends `held` with its coded keys written out from `keys`.
fn expand(to: &mut Vec<u8>, held: &[u8], keys: &[HeldKey]) -> std::io::Result<()> {
    // codes are a few bytes apart: a plain scan beats a search per code
    let mut start = 0;
    let mut i = 0;
    while i < held.len() {
        if held[i] != CODE {
            i += 1;
            continue;
        }
        put(to, &held[start..], i - start);
        let key = held
            .get(i + 1)
            .and_then(|b| keys.get(usize::from(b.wrapping_sub(0x20))))
            .ok_or_else(|| std::io::Error::other("a held settlement line has a bad key code"))?;
        put(to, &key.padded, key.len);
        i += 2;
        start = i;
    }
    to.extend_from_slice(&held[start..]);
    Ok(())
}

/// Appends a hole: the first of a line holds `saved`, the values the late steps
/// read, and the visit they are of.
pub(super) fn push(out: &mut String, first: Option<(&Visit, &[Value])>) {
    out.push(HOLE);
    if let Some((visit, saved)) = first {
        out.push('[');
        for (i, v) in saved.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            match v {
                Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                Value::Int(i) => out.push_str(&i.to_string()),
                Value::Enum(e) => out.push_str(&e.to_string()),
                Value::Decimal(d) => {
                    out.push('"');
                    json_text::push_decimal(out, *d);
                    out.push('"');
                }
                Value::Text(t) => json_text::push_string(out, t),
                // `single_pass` saves scalars only
                _ => out.push_str("null"),
            }
        }
        // written in place (`format!` would allocate a string per visit)
        let _ = std::fmt::Write::write_fmt(out, format_args!("]{VISIT}[{},", visit.line));
        json_text::push_string(out, &visit.mdtrt_id);
        out.push(']');
    }
    out.push(HOLE);
}

/// A piece of resolved output: lines with their holes filled, the error lines
/// of visits whose late outputs failed, and how many those are.
#[derive(Default)]
struct Filled {
    out: Vec<u8>,
    errors: Vec<u8>,
    failed: u64,
}

/// Bytes of resolved lines handed on at a time.
const FILLED: usize = 1 << 20;

impl Settler<'_> {
    /// Copies the lines of a deferring settler's run from `from` to `to`, each
    /// hole filled with the outputs after the totals, computed from the values
    /// it holds and the batch's totals, which are now known. A visit whose
    /// outputs fail goes to `errors` instead, counted in `summary` as an
    /// evaluation error rather than as settled.
    ///
    /// One thread cuts `from` into pieces of whole lines, a thread per core
    /// fills them, and this one writes them in order: after the last visit of a
    /// month, filling is all that is left to do.
    pub fn resolve(
        &self,
        from: &mut (dyn std::io::BufRead + Send),
        to: &mut dyn std::io::Write,
        errors: &mut dyn std::io::Write,
        sources: &SourceMap,
        lang: Lang,
        summary: &mut crate::audit::Summary,
    ) -> std::io::Result<()> {
        use std::sync::mpsc::{channel, sync_channel};
        let fillers = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 8));
        // pieces to fill, by number, shared by the fillers
        let (pieces, queue) = sync_channel::<(u64, Vec<u8>)>(2 * fillers);
        // taken away when nobody writes any more, so that the cutting thread stops
        let queue = std::sync::Mutex::new(Some(queue));
        let (done, filled_pieces) = sync_channel::<(u64, std::io::Result<Filled>)>(2 * fillers);
        // what was read and written goes back to be used again (no new memory)
        let (read_back, spare_read) = channel::<Vec<u8>>();
        let (written_back, spare_written) = channel::<Filled>();
        let spare_written = std::sync::Mutex::new(spare_written);
        std::thread::scope(|scope| {
            let failed_read = done.clone();
            scope.spawn(move || cut(from, &pieces, &spare_read, &failed_read));
            for _ in 0..fillers {
                let (queue, done, spare) = (&queue, done.clone(), &spare_written);
                let read_back = read_back.clone();
                scope.spawn(move || {
                    let mut filler = Filler::new(self);
                    loop {
                        let next = queue
                            .lock()
                            .ok()
                            .and_then(|q| q.as_ref().and_then(|q| q.recv().ok()));
                        let Some((n, piece)) = next else { return };
                        let mut filled = spare
                            .lock()
                            .ok()
                            .and_then(|s| s.try_recv().ok())
                            .unwrap_or_default();
                        let result = filler
                            .fill(&piece, &mut filled, sources, lang)
                            .map(|()| filled);
                        let _ = read_back.send(piece);
                        if done.send((n, result)).is_err() {
                            // the writer stopped (an error): so does the cutting
                            let _ = queue.lock().map(|mut q| q.take());
                            return;
                        }
                    }
                });
            }
            drop(done);
            // pieces filled ahead of the next one to write
            let mut ahead = std::collections::BTreeMap::new();
            let mut next = 0;
            for (n, filled) in filled_pieces {
                ahead.insert(n, filled);
                while let Some(filled) = ahead.remove(&next) {
                    let mut filled = filled?;
                    to.write_all(&filled.out)?;
                    errors.write_all(&filled.errors)?;
                    summary.settled = summary.settled.saturating_sub(filled.failed);
                    summary.eval_errors += filled.failed;
                    filled.out.clear();
                    filled.errors.clear();
                    filled.failed = 0;
                    let _ = written_back.send(filled);
                    next += 1;
                }
            }
            Ok(())
        })
    }
}

/// `resolve`'s cutting: `from` in pieces of whole lines of about [`FILLED`]
/// bytes, numbered in order (buffers taken back from `spare` when there are
/// some). Stops at the end, when nobody takes pieces, or at a read error, which
/// goes to `failed` with the number of the piece it cut short.
fn cut(
    from: &mut dyn std::io::BufRead,
    pieces: &std::sync::mpsc::SyncSender<(u64, Vec<u8>)>,
    spare: &std::sync::mpsc::Receiver<Vec<u8>>,
    failed: &std::sync::mpsc::SyncSender<(u64, std::io::Result<Filled>)>,
) {
    for n in 0.. {
        let mut piece = spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(FILLED + (64 << 10)));
        piece.clear();
        let read = (|| {
            while piece.len() < FILLED && read_line(from, &mut piece)? > 0 {}
            Ok(())
        })();
        if let Err(e) = read {
            let _ = failed.send((n, Err(e)));
            return;
        }
        if piece.is_empty() || pieces.send((n, piece)).is_err() {
            return;
        }
    }
}

/// One filling thread's state: what every hole's outputs are computed with.
struct Filler<'s, 'p> {
    settler: &'s Settler<'p>,
    evaluator: Evaluator<'p>,
    totals: Vec<rust_decimal::Decimal>,
    saved_types: Vec<&'p Type>,
    after: Vec<&'s super::Output>,
    /// The outputs of the saved values seen lately (most visits save the same:
    /// an outpatient visit has no case score).
    seen: HashMap<Vec<u8>, Result<Vec<String>, EvalError>, foldhash::fast::FixedState>,
}

impl<'s, 'p> Filler<'s, 'p> {
    fn new(settler: &'s Settler<'p>) -> Self {
        let pack = settler.pack;
        Filler {
            settler,
            evaluator: Evaluator::new(&pack.program, &pack.params, &pack.tables),
            totals: settler
                .collected
                .lock()
                .map(|c| c.clone())
                .unwrap_or_default(),
            saved_types: settler
                .settlement
                .visit_steps
                .iter()
                .filter_map(|s| match s {
                    SettleStep::Bind {
                        saved: true, expr, ..
                    } => Some(&expr.ty),
                    _ => None,
                })
                .collect(),
            after: settler
                .visit_outputs
                .iter()
                .filter(|o| o.after_totals)
                .collect(),
            seen: HashMap::default(),
        }
    }

    /// The held lines of `piece` (whole lines) into `filled`, holes filled.
    fn fill(
        &mut self,
        piece: &[u8],
        filled: &mut Filled,
        sources: &SourceMap,
        lang: Lang,
    ) -> std::io::Result<()> {
        let settler = self.settler;
        let program = &settler.pack.program;
        let bad = |what: &str| std::io::Error::other(format!("a settlement hole {what}"));
        let keys = &settler.held_keys;
        let to = &mut filled.out;
        // lines found with the memchr crate: `split_inclusive` tests each byte
        // in turn (1.6% of the instructions of settling 8,000 visits)
        let mut rest = piece;
        while !rest.is_empty() {
            let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
            let (line, after) = rest.split_at(end);
            rest = after;
            let Some(open) = memchr::memchr(HOLE as u8, line) else {
                expand(to, line, keys)?;
                continue;
            };
            let held_end = memchr::memchr(HOLE as u8, &line[open + 1..])
                .map(|k| open + 1 + k)
                .ok_or_else(|| bad("is not closed"))?;
            let held = &line[open + 1..held_end];
            let split = memchr::memchr(VISIT as u8, held).ok_or_else(|| bad("lacks the visit"))?;
            let (saved, visit) = (&held[..split], &held[split + 1..]);
            if self.seen.len() > 100_000 {
                self.seen.clear();
            }
            if !self.seen.contains_key(saved) {
                let values: Vec<serde_json::Value> =
                    serde_json::from_slice(saved).map_err(|_| bad("does not hold JSON"))?;
                let values: Vec<Value> = values
                    .iter()
                    .zip(&self.saved_types)
                    .map(|(j, ty)| saved_value(j, ty))
                    .collect();
                let outputs = self
                    .evaluator
                    .after_totals(settler.settlement, &values, &self.totals)
                    .map(|values| {
                        let outputs = self.after.iter().zip(&values);
                        outputs
                            .map(|(o, value)| {
                                let mut text = String::new();
                                push_output(&mut text, o, false, value, program);
                                text
                            })
                            .collect()
                    });
                self.seen.insert(saved.to_vec(), outputs);
            }
            match &self.seen[saved] {
                Ok(outputs) => {
                    expand(to, &line[..open], keys)?;
                    // each output, then the text up to the next hole (two HOLE bytes)
                    let mut at = held_end + 1;
                    for o in outputs {
                        to.extend_from_slice(o.as_bytes());
                        let next =
                            memchr::memchr(HOLE as u8, &line[at..]).map_or(line.len(), |k| at + k);
                        expand(to, &line[at..next], keys)?;
                        at = (next + 2).min(line.len());
                    }
                    expand(to, &line[at.min(line.len())..], keys)?;
                }
                Err(e) => {
                    let visit: (u64, String) =
                        serde_json::from_slice(visit).map_err(|_| bad("lacks the visit"))?;
                    filled.failed += 1;
                    let error = settler.failure_line(visit.0, &visit.1, None, e, sources, lang);
                    filled.errors.extend_from_slice(error.as_bytes());
                    filled.errors.push(b'\n');
                }
            }
        }
        Ok(())
    }
}

/// [`std::io::BufRead::read_until`] a newline, searching with the memchr crate
/// (std's byte search was a fifth of the filling thread's time on the month).
fn read_line(from: &mut dyn std::io::BufRead, line: &mut Vec<u8>) -> std::io::Result<usize> {
    let start = line.len();
    loop {
        let buf = match from.fill_buf() {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            read => read?,
        };
        let (take, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i + 1, true),
            None => (buf.len(), buf.is_empty()),
        };
        line.extend_from_slice(&buf[..take]);
        from.consume(take);
        if done {
            return Ok(line.len() - start);
        }
    }
}

/// A saved value read back from a hole, as its type says.
fn saved_value(j: &serde_json::Value, ty: &Type) -> Value {
    let ty = match ty {
        Type::Option(t) => &**t,
        t => t,
    };
    match (j, ty) {
        (serde_json::Value::Bool(b), _) => Value::Bool(*b),
        (serde_json::Value::Number(n), Type::Enum(_)) => {
            Value::Enum(n.as_u64().unwrap_or(0) as u32)
        }
        (serde_json::Value::Number(n), _) => Value::Int(n.as_i64().unwrap_or(0)),
        (serde_json::Value::String(d), Type::Decimal) => {
            d.parse().map(Value::Decimal).unwrap_or_default()
        }
        (serde_json::Value::String(t), _) => Value::Text(t.as_str().into()),
        _ => Value::Absent,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[test]
    fn a_line_is_read_whole_across_buffer_ends_and_the_last_without_its_newline() {
        let text = b"first line\n\nthird, longer than the buffer\nlast";
        let mut from = std::io::BufReader::with_capacity(4, &text[..]);
        let mut lines = Vec::new();
        let mut line = Vec::new();
        while super::read_line(&mut from, &mut line).unwrap() > 0 {
            lines.push(String::from_utf8(std::mem::take(&mut line)).unwrap());
        }
        assert_eq!(
            lines,
            [
                "first line\n",
                "\n",
                "third, longer than the buffer\n",
                "last"
            ]
        );
    }
    #[test]
    fn coded_keys_are_written_out_in_full_and_keys_past_the_95th_stay_as_they_are() {
        let keys: Vec<String> = (0..100).map(|i| format!(",\"k{i}\":")).collect();
        let held_keys: Vec<super::HeldKey> = keys.iter().map(|k| super::HeldKey::new(k)).collect();
        let held: String = [0, 94, 95, 99]
            .iter()
            .map(|&i| super::code(i, &keys[i]) + "1")
            .collect();
        assert_eq!(
            held.len(),
            2 * 2 + ",\"k95\":".len() + ",\"k99\":".len() + 4
        );
        let mut out = Vec::new();
        super::expand(&mut out, held.as_bytes(), &held_keys).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert_eq!(out, ",\"k0\":1,\"k94\":1,\"k95\":1,\"k99\":1");
        let bad = super::expand(&mut Vec::new(), &[super::CODE], &held_keys);
        assert!(bad.unwrap_err().to_string().contains("bad key code"));
    }

    #[test]
    fn keys_and_texts_longer_than_the_window_are_written_whole() {
        let long = format!(",\"{}\":", "k".repeat(super::WINDOW));
        let keys = [",\"a\":".to_string(), long.clone()];
        let held_keys: Vec<super::HeldKey> = keys.iter().map(|k| super::HeldKey::new(k)).collect();
        let text = "\"".to_string() + &"v".repeat(super::WINDOW + 5) + "\"";
        let held = [
            &super::code(1, &long),
            &text[..],
            &super::code(0, &keys[0]),
            "1}",
        ]
        .concat();
        let mut out = Vec::new();
        super::expand(&mut out, held.as_bytes(), &held_keys).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("{long}{text},\"a\":1}}")
        );
    }
}
