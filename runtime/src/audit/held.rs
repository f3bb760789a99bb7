//! Output held back until a run is known to stand (a grouped file's results, in
//! case it turns out not to be grouped; a one-pass settlement's lines, until the
//! batch totals fill their holes): in memory up to a budget, the rest in a
//! scratch file, read back in the order written.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Cursor, Read, Write};
use std::path::PathBuf;

/// Bytes written, held in memory until `budget`, then in the file at `spill`.
pub(super) struct Held {
    /// Pieces of [`PIECE`] bytes: memory grows without copying what it holds.
    memory: Vec<Vec<u8>>,
    held: usize,
    budget: usize,
    spill: PathBuf,
    file: Option<BufWriter<File>>,
}

/// Bytes of one piece of held memory.
const PIECE: usize = 1 << 20;

/// The most a [`Held`] keeps in memory, whatever its budget. Held bytes are
/// written once and read back once, in order, so the page cache serves them as
/// well as the process's own memory; and memory the process touches for the
/// first time costs more than a copy through the cache (the month's settlement
/// held in the scratch file past this: 10.8 s against 11.8 s, peak 300 MiB
/// against 835 MiB, see docs/performance-log.md).
const IN_MEMORY: usize = 64 << 20;

impl Held {
    pub(super) fn new(spill: PathBuf, budget: u64) -> Held {
        Held {
            memory: Vec::new(),
            held: 0,
            budget: usize::try_from(budget).map_or(IN_MEMORY, |b| b.min(IN_MEMORY)),
            spill,
            file: None,
        }
    }

    /// Everything written, in order.
    pub(super) fn read_back(self) -> io::Result<impl BufRead + Send> {
        let rest: Box<dyn BufRead + Send> = match self.file {
            Some(file) => {
                file.into_inner().map_err(|e| e.into_error())?;
                Box::new(BufReader::with_capacity(1 << 20, File::open(&self.spill)?))
            }
            None => Box::new(io::empty()),
        };
        let pieces = Pieces {
            pieces: self.memory.into_iter(),
            current: Cursor::new(Vec::new()),
        };
        Ok(pieces.chain(rest))
    }
}

impl Write for Held {
    fn write(&mut self, mut buf: &[u8]) -> io::Result<usize> {
        let n = buf.len();
        if self.file.is_none() && self.held + n <= self.budget {
            self.held += n;
            while !buf.is_empty() {
                if self.memory.last().is_none_or(|p| p.len() == PIECE) {
                    self.memory.push(Vec::with_capacity(PIECE));
                }
                if let Some(piece) = self.memory.last_mut() {
                    let take = buf.len().min(PIECE - piece.len());
                    piece.extend_from_slice(&buf[..take]);
                    buf = &buf[take..];
                }
            }
            return Ok(n);
        }
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(BufWriter::with_capacity(
                1 << 20,
                File::create(&self.spill)?,
            )),
        };
        file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), |f| f.flush())
    }
}

/// The held pieces read back one after another, each freed once read.
struct Pieces {
    pieces: std::vec::IntoIter<Vec<u8>>,
    current: Cursor<Vec<u8>>,
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.fill_buf()?.read(buf)?;
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Pieces {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.current.position() as usize == self.current.get_ref().len() {
            match self.pieces.next() {
                Some(piece) => self.current = Cursor::new(piece),
                None => break,
            }
        }
        self.current.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.current.consume(amt);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn round_trip(budget: u64, pieces: &[&[u8]]) -> (Vec<u8>, bool) {
        let dir = std::env::temp_dir().join(format!("heng-held-{}-{budget}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut held = Held::new(dir.join("spill"), budget);
        for p in pieces {
            held.write_all(p).unwrap();
        }
        held.flush().unwrap();
        let spilled = dir.join("spill").exists();
        let mut back = Vec::new();
        held.read_back().unwrap().read_to_end(&mut back).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        (back, spilled)
    }

    #[test]
    fn what_fits_the_budget_stays_in_memory() {
        assert_eq!(
            round_trip(100, &[b"ab", b"cd\n"]),
            (b"abcd\n".to_vec(), false)
        );
    }

    #[test]
    fn memory_holds_more_than_one_piece_and_a_write_larger_than_a_piece() {
        let big: Vec<u8> = (0..3 * PIECE + 7).map(|i| (i % 251) as u8).collect();
        let want = [&b"x"[..], &big, b"y"].concat();
        assert_eq!(round_trip(1 << 30, &[b"x", &big, b"y"]), (want, false));
    }

    #[test]
    fn memory_holds_no_more_than_its_cap_whatever_the_budget() {
        let big = vec![b'x'; IN_MEMORY + 1];
        assert_eq!(round_trip(u64::MAX, &[&big]), (big.clone(), true));
    }

    #[test]
    fn past_the_budget_the_rest_goes_to_the_file_and_reads_back_in_order() {
        let pieces: Vec<Vec<u8>> = (0..1000)
            .map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let refs: Vec<&[u8]> = pieces.iter().map(|p| &p[..]).collect();
        let (back, spilled) = round_trip(50, &refs);
        assert!(spilled);
        assert_eq!(back, pieces.concat());
    }
}
