//! NDJSON cut into blocks of whole lines, so that the thread reading the input
//! only moves bytes and counts line breaks, and worker threads split, check and
//! parse the lines of a block in parallel.
//!
//! Line semantics live here once, for the batch driver and [`NdjsonReader`] alike:
//! lines end in `\n` or `\r\n`; blank lines are skipped but counted; a UTF-8 byte
//! order mark on line 1 is ignored; a line that is not UTF-8 or longer than the
//! limit becomes an [`InputError`] naming its line, and a long line is never held
//! whole in memory.
//!
//! [`NdjsonReader`]: super::NdjsonReader

use super::InputError;
use super::mapped::Mapped;
use bytes::Bytes;
use heng_compiler::text;
use std::io::{self, Read};
use std::ops::Deref;

/// Bytes read per block (a block grows past it only to finish its last line).
pub const BLOCK_BYTES: usize = 512 << 10;

/// Whole lines of the input, with the number of the first.
#[derive(Debug, Default)]
pub struct Block {
    /// 1-based number of the block's first line (0 until the consumer numbers
    /// it, from a reader that leaves that to it: [`BlockReader::numbered_later`]).
    pub first_line: u64,
    /// The lines, each ending in `\n` except perhaps the input's last: read
    /// into memory, or a slice of a mapped file.
    pub text: Bytes,
    /// Lines longer than this are rejected.
    pub max_line_bytes: usize,
}

/// What the reader hands on: a block of lines, or the error of one line that was
/// too long to keep or could not be read.
#[derive(Debug)]
pub enum Chunk {
    Block(Block),
    Error(InputError),
}

/// Reads an input as [`Chunk`]s.
pub struct BlockReader<R> {
    reader: R,
    /// The file mapped, when it is read that way ([`BlockReader::mapped`]).
    map: Option<Mapped>,
    /// The start of a line read past the end of the last block.
    carry: Buf,
    /// Number of the next line to hand on.
    next_line: u64,
    /// Whether blocks are numbered here (else their `first_line` is 0 and the
    /// consumer numbers them, see [`BlockReader::numbered_later`]).
    numbers: bool,
    bytes: u64,
    block_bytes: usize,
    max_line_bytes: usize,
    io_error: Option<io::Error>,
    /// Whether the I/O error was handed on.
    reported: bool,
    eof: bool,
    /// Cut blocks between patients (see [`BlockReader::with_patient_boundaries`]).
    patients: bool,
    /// The input's size when known (a file's), to size what grows with it.
    expected: Option<u64>,
}

impl<R: Read> BlockReader<R> {
    pub fn new(reader: R) -> Self {
        BlockReader {
            reader,
            map: None,
            carry: Buf::Owned(Vec::new()),
            next_line: 1,
            numbers: true,
            bytes: 0,
            block_bytes: BLOCK_BYTES,
            max_line_bytes: super::DEFAULT_MAX_LINE_BYTES,
            io_error: None,
            reported: false,
            eof: false,
            patients: false,
            expected: None,
        }
    }

    /// Cuts blocks only where `psn_no` changes, so that a block holds every visit
    /// of its patients when the input is grouped by patient (a block then grows
    /// to hold a patient longer than it). Only the last lines of a block are read
    /// for their `psn_no`; a line without a readable one counts as its own patient.
    pub fn with_patient_boundaries(mut self) -> Self {
        self.patients = true;
        self
    }

    /// Lines longer than `max` bytes (without the line break) are rejected.
    pub fn with_max_line_bytes(mut self, max: usize) -> Self {
        self.max_line_bytes = max;
        self
    }

    /// Blocks of about `bytes` bytes (for tests of the boundaries).
    pub fn with_block_bytes(mut self, bytes: usize) -> Self {
        self.block_bytes = bytes.max(1);
        self
    }

    /// Tells the reader the input's size (a file's length), so that the batch
    /// can size its map of visit ids from the first block.
    pub fn with_expected_bytes(mut self, bytes: Option<u64>) -> Self {
        self.expected = bytes;
        self
    }

    /// The input's size, when known.
    pub fn bytes_expected(&self) -> Option<u64> {
        self.expected
    }

    /// Input bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// The I/O error that ended the input, if one did.
    pub fn io_error(&self) -> Option<&io::Error> {
        self.io_error.as_ref()
    }

    /// Reads up to `want` more bytes onto `buf`; false at the end of the input or
    /// on an error (kept, and reported in place of the line it interrupted).
    fn fill(&mut self, buf: &mut Buf, want: usize) -> bool {
        if self.ended() {
            return false;
        }
        let before = buf.len();
        match buf {
            Buf::Owned(buf) => match (&mut self.reader).take(want as u64).read_to_end(buf) {
                Ok(0) => self.eof = true,
                Ok(_) => {}
                Err(e) => self.io_error = Some(e),
            },
            Buf::Mapped(view) => match &mut self.map {
                Some(map) => {
                    // `view` ends where the reader is: it grows over the mapping
                    let at = self.bytes as usize;
                    let start = at - view.len();
                    let end = at.saturating_add(want).min(map.bytes().len());
                    *view = map.bytes().slice(start..end);
                    map.release_before(start);
                    // as a read: the end is known when nothing more comes
                    self.eof = end == at;
                }
                None => self.eof = true,
            },
        }
        self.bytes += (buf.len() - before) as u64;
        buf.len() > before
    }

    fn ended(&self) -> bool {
        self.eof || self.io_error.is_some()
    }

    /// The next chunk, `None` at the end (after an I/O error's chunk, too).
    pub fn next_chunk(&mut self) -> Option<Chunk> {
        let mut buf = self.carry.take();
        buf.reserve(self.block_bytes);
        // bytes of `buf` known to hold no line break, and the end of its whole lines
        let mut scanned = 0;
        let mut whole = 0;
        loop {
            while buf.len() < self.block_bytes {
                let want = self.block_bytes - buf.len();
                if !self.fill(&mut buf, want) {
                    break;
                }
            }
            if let Some(end) = memchr::memrchr(b'\n', &buf[scanned..]) {
                whole = scanned + end + 1;
                let cut = if self.patients {
                    patient_cut(&buf[..whole])
                } else {
                    whole
                };
                if cut > 0 {
                    return Some(self.cut(buf, cut));
                }
                // one patient so far: read on to its end
            }
            scanned = buf.len();
            if self.ended() {
                if self.io_error.is_some() && whole > 0 {
                    // the whole lines first; the line the error cut short after
                    return Some(self.cut(buf, whole));
                }
                if let Some(e) = &self.io_error
                    && !self.reported
                {
                    // the line the error interrupted is lost: say so in its place
                    self.reported = true;
                    let reason = text!("读取输入失败:{}", "cannot read the input: {}", e);
                    return Some(Chunk::Error(self.error(self.numbered(), reason)));
                }
                return (!buf.is_empty() && self.io_error.is_none())
                    .then(|| self.block(buf.into_bytes()));
            }
            if buf.len() - whole > self.max_line_bytes.saturating_add(1) {
                if whole > 0 {
                    // the whole lines before a line too long to keep
                    return Some(self.cut(buf, whole));
                }
                return Some(self.skip_long_line(buf));
            }
            // a line (or a patient) longer than a block
            self.fill(&mut buf, self.block_bytes);
        }
    }

    /// `buf[..at]` as a block; the rest is read again next time.
    fn cut(&mut self, buf: Buf, at: usize) -> Chunk {
        let (block, rest) = buf.split(at);
        self.carry = rest;
        self.block(block)
    }

    /// A line longer than the limit: counted to its end, not kept.
    fn skip_long_line(&mut self, mut buf: Buf) -> Chunk {
        let mut len = 0;
        let mut last = 0;
        loop {
            if let Some(end) = memchr::memchr(b'\n', &buf) {
                len += end as u64;
                last = if end > 0 { buf[end - 1] } else { last };
                self.carry = buf.split(end + 1).1;
                break;
            }
            len += buf.len() as u64;
            last = buf.last().copied().unwrap_or(last);
            buf.clear();
            if !self.fill(&mut buf, self.block_bytes) {
                break;
            }
        }
        // a `\r` before the line break is not part of the line
        len -= u64::from(last == b'\r');
        let line = self.numbered();
        self.next_line += 1;
        Chunk::Error(too_long(line, len, self.max_line_bytes))
    }

    fn block(&mut self, text: Bytes) -> Chunk {
        let block = Block {
            first_line: self.numbered(),
            text,
            max_line_bytes: self.max_line_bytes,
        };
        if self.numbers {
            self.next_line += block.line_count();
        }
        Chunk::Block(block)
    }

    /// The next line's number, or 0 when the consumer numbers lines.
    fn numbered(&self) -> u64 {
        if self.numbers { self.next_line } else { 0 }
    }

    fn error(&self, line: u64, reason: heng_compiler::diagnostic::Text) -> InputError {
        InputError {
            line,
            mdtrt_id: None,
            field: String::new(),
            reason,
        }
    }
}

impl<R> BlockReader<R> {
    /// Leaves numbering lines to the consumer: blocks come with `first_line` 0
    /// and errors with line 0; a block stands for [`Block::line_count`] lines and
    /// an error for one.
    /// The reader then never reads a block's bytes but where it cuts them: a
    /// worker counting its block's lines reads them while it parses them anyway.
    pub fn numbered_later(mut self) -> Self {
        self.numbers = false;
        self
    }

    /// Whether blocks and errors come numbered.
    pub fn numbers_lines(&self) -> bool {
        self.numbers
    }
}

impl BlockReader<std::fs::File> {
    /// Reads the file mapped into memory, its blocks slices of the mapping,
    /// where it can be mapped ([`Mapped::new`]); else as it is read. The reader
    /// must not have read anything yet.
    pub fn mapped(mut self) -> Self {
        if self.bytes == 0
            && let Some(m) = Mapped::new(&self.reader)
        {
            self.carry = Buf::Mapped(Bytes::new());
            self.map = Some(m);
        }
        self
    }
}

/// Bytes being cut into blocks: read into memory, or a view of a mapped file
/// that grows over it as it is "read".
enum Buf {
    Owned(Vec<u8>),
    Mapped(Bytes),
}

impl Buf {
    /// What the buffer holds, leaving an empty buffer of the same kind.
    fn take(&mut self) -> Buf {
        let empty = match self {
            Buf::Owned(_) => Buf::Owned(Vec::new()),
            Buf::Mapped(_) => Buf::Mapped(Bytes::new()),
        };
        std::mem::replace(self, empty)
    }

    fn reserve(&mut self, bytes: usize) {
        if let Buf::Owned(v) = self {
            v.reserve(bytes);
        }
    }

    fn clear(&mut self) {
        match self {
            Buf::Owned(v) => v.clear(),
            Buf::Mapped(b) => b.clear(),
        }
    }

    /// The first `at` bytes, and the rest as a buffer of the same kind (a
    /// mapped view is sliced; read bytes past `at` are copied).
    fn split(self, at: usize) -> (Bytes, Buf) {
        match self {
            Buf::Owned(mut v) => {
                let rest = v[at..].to_vec();
                v.truncate(at);
                (Bytes::from(v), Buf::Owned(rest))
            }
            Buf::Mapped(mut b) => {
                let rest = b.split_off(at);
                (b, Buf::Mapped(rest))
            }
        }
    }

    fn into_bytes(self) -> Bytes {
        match self {
            Buf::Owned(v) => Bytes::from(v),
            Buf::Mapped(b) => b,
        }
    }
}

impl Deref for Buf {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Buf::Owned(v) => v,
            Buf::Mapped(b) => b,
        }
    }
}

/// Where the last patient of `text` (whole lines, the last ending in `\n`)
/// begins, by `psn_no`; 0 when all of it is one patient.
fn patient_cut(text: &[u8]) -> usize {
    let psn_of = |line: &[u8]| {
        // line 1 may begin with a byte order mark
        let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        std::str::from_utf8(line)
            .ok()
            .and_then(|t| super::fast::leading_strings(t, &["psn_no"]))
            .and_then(|mut keys| keys.pop().flatten())
    };
    // the trailing patient's psn_no, once a non-blank line has given it
    let mut last: Option<Option<String>> = None;
    // `end`: the index of the line break ending the line looked at
    let mut end = text.len() - 1;
    loop {
        let start = memchr::memrchr(b'\n', &text[..end]).map_or(0, |i| i + 1);
        let line = &text[start..end];
        if !line.iter().all(u8::is_ascii_whitespace) {
            let psn = psn_of(line);
            match &last {
                None => last = Some(psn),
                Some(p) if p.is_some() && *p == psn => {}
                Some(_) => return end + 1,
            }
        }
        if start == 0 {
            return 0;
        }
        end = start - 1;
    }
}

fn too_long(line: u64, len: u64, max: usize) -> InputError {
    InputError {
        line,
        mdtrt_id: None,
        field: String::new(),
        reason: text!(
            "该行过长:{} 字节,上限 {} 字节",
            "line too long: {} bytes, the limit is {}",
            len,
            max
        ),
    }
}

/// A position in a block's lines.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cursor {
    at: usize,
    line: u64,
}

impl Block {
    /// Lines the block holds (its last may have no line break).
    pub fn line_count(&self) -> u64 {
        let breaks = memchr::memchr_iter(b'\n', &self.text).count() as u64;
        breaks + u64::from(self.text.last() != Some(&b'\n'))
    }

    pub fn start(&self) -> Cursor {
        Cursor {
            at: 0,
            line: self.first_line,
        }
    }

    /// The next non-blank line from `cursor` as text with its number, or the reason
    /// it is not one; `None` after the last line.
    pub fn next_line<'b>(
        &'b self,
        cursor: &mut Cursor,
    ) -> Option<Result<(u64, &'b str), InputError>> {
        loop {
            let rest = self.text.get(cursor.at..).filter(|r| !r.is_empty())?;
            let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
            let line = cursor.line;
            cursor.at += end + 1;
            cursor.line += 1;
            let mut bytes = &rest[..end];
            if let [head @ .., b'\r'] = bytes {
                bytes = head;
            }
            if bytes.len() > self.max_line_bytes {
                return Some(Err(too_long(line, bytes.len() as u64, self.max_line_bytes)));
            }
            if line == 1 {
                bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            }
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            // the fast check first; std's says where a bad line goes wrong
            if let Ok(t) = simdutf8::basic::from_utf8(bytes) {
                return Some(Ok((line, t)));
            }
            return Some(match std::str::from_utf8(bytes) {
                Ok(t) => Ok((line, t)),
                Err(e) => Err(InputError {
                    line,
                    mdtrt_id: None,
                    field: String::new(),
                    reason: text!(
                        "该行不是有效的 UTF-8 文本(第 {} 字节处)",
                        "the line is not valid UTF-8 (at byte {})",
                        e.valid_up_to() + 1
                    ),
                }),
            });
        }
    }

    /// Every non-blank line of the block, in order.
    pub fn lines(&self) -> impl Iterator<Item = Result<(u64, &str), InputError>> {
        let mut cursor = self.start();
        std::iter::from_fn(move || self.next_line(&mut cursor))
    }
}
