//! Output held back until a run is known to stand (a grouped file's results, in
//! case it turns out not to be grouped; a one-pass settlement's lines, until the
//! batch totals fill their holes): in memory up to a budget, the rest in a
//! scratch file, read back in the order written.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Cursor, Read, Write};
use std::path::PathBuf;

/// Bytes written, held in memory until `budget`, then in the file at `spill`.
pub(super) struct Held {
    memory: Vec<u8>,
    budget: usize,
    spill: PathBuf,
    file: Option<BufWriter<File>>,
}

impl Held {
    pub(super) fn new(spill: PathBuf, budget: u64) -> Held {
        Held {
            memory: Vec::new(),
            budget: usize::try_from(budget).unwrap_or(usize::MAX),
            spill,
            file: None,
        }
    }

    /// Everything written, in order.
    pub(super) fn read_back(self) -> io::Result<impl BufRead> {
        let rest: Box<dyn BufRead> = match self.file {
            Some(file) => {
                file.into_inner().map_err(|e| e.into_error())?;
                Box::new(BufReader::with_capacity(1 << 20, File::open(&self.spill)?))
            }
            None => Box::new(io::empty()),
        };
        Ok(Cursor::new(self.memory).chain(rest))
    }
}

impl Write for Held {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.file.is_none() && self.memory.len() + buf.len() <= self.budget {
            self.memory.extend_from_slice(buf);
            return Ok(buf.len());
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
