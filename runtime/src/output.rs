//! Output files of a run (findings, errors, settlement lines), which can be
//! gigabytes: written in large blocks by a background thread, so that the thread
//! producing them never waits on the disk, and on Linux with direct I/O
//! (`O_DIRECT`), so that the blocks go from a few reused buffers to the disk
//! without being copied into the page cache. That copy is most of what writing
//! costs on virtual machines, where every page the cache takes is memory touched
//! for the first time: a 2 GB settlement cost 2–5 s of system time buffered, and
//! 0.2 s direct (performance log, 2026-12-07).
//!
//! Direct I/O needs block-aligned buffers, lengths and offsets. Whole blocks are
//! written directly; the rest of the file (after the last whole block, at a flush)
//! through an ordinary handle, which every later write then uses too. Where the
//! file system refuses direct I/O (tmpfs, some network file systems) the file is
//! written through an ordinary handle from the start (newer Linux takes direct
//! I/O on tmpfs too). The bytes are the same either way.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Alignment of buffers, lengths and offsets for direct I/O: the largest logical
/// block size in common use.
const ALIGN: usize = 4096;

/// Bytes per block handed to the writing thread.
const BLOCK: usize = 4 << 20;

/// Blocks in flight: one being filled, the others queued or being written.
const BLOCKS: usize = 3;

/// A buffer whose usable bytes start at an [`ALIGN`]ed address.
struct Buffer {
    bytes: Vec<u8>,
    start: usize,
}

impl Buffer {
    fn new() -> Buffer {
        let bytes = vec![0u8; BLOCK + ALIGN];
        let start = bytes.as_ptr().align_offset(ALIGN);
        Buffer { bytes, start }
    }

    fn block(&mut self) -> &mut [u8] {
        &mut self.bytes[self.start..self.start + BLOCK]
    }
}

/// What the writing thread is asked to do, in order.
enum Job {
    /// Write the first `len` bytes of the block at the end of the file.
    Write(Buffer, usize),
    /// Report the first error so far (and clear it) once everything before is written.
    Flush(SyncSender<io::Result<()>>),
}

/// A file being written in blocks by a background thread (see the module's doc).
pub struct OutputFile {
    buffer: Buffer,
    filled: usize,
    jobs: Option<SyncSender<Job>>,
    /// Blocks back from the writing thread, to be filled again.
    free: Receiver<Buffer>,
    thread: Option<JoinHandle<()>>,
    /// Set by the writing thread when a write fails, so that the next block
    /// handed over reports it rather than the run going on to its end.
    failed: Arc<AtomicBool>,
}

/// Creates (or truncates) `path` for writing.
pub fn create(path: &Path) -> io::Result<OutputFile> {
    create_from(path, open_direct(path))
}

/// [`create`] given `path` opened for direct I/O, or `None` to write it through
/// an ordinary handle.
fn create_from(path: &Path, direct: Option<File>) -> io::Result<OutputFile> {
    let (file, direct) = match direct {
        Some(f) => (f, true),
        None => (File::create(path)?, false),
    };
    let (jobs, queue) = sync_channel::<Job>(BLOCKS);
    let (give_back, free) = sync_channel::<Buffer>(BLOCKS);
    for _ in 1..BLOCKS {
        give_back.send(Buffer::new()).map_err(io::Error::other)?;
    }
    let failed = Arc::new(AtomicBool::new(false));
    let fail = failed.clone();
    let mut writer = Writer {
        path: path.to_path_buf(),
        file,
        direct,
        at: 0,
        error: None,
    };
    let thread = std::thread::Builder::new()
        .name("heng-output".into())
        .spawn(move || {
            for job in queue {
                match job {
                    Job::Write(mut buffer, len) => {
                        if writer.error.is_none()
                            && let Err(e) = writer.write(&buffer.block()[..len])
                        {
                            writer.error = Some(e);
                            fail.store(true, Ordering::Relaxed);
                        }
                        // the owner may be gone: nothing to give back to then
                        let _ = give_back.try_send(buffer);
                    }
                    Job::Flush(reply) => {
                        let _ = reply.send(writer.error.take().map_or(Ok(()), Err));
                    }
                }
            }
        })?;
    Ok(OutputFile {
        buffer: Buffer::new(),
        filled: 0,
        jobs: Some(jobs),
        free,
        thread: Some(thread),
        failed,
    })
}

/// `path` created for direct I/O, where this system and its file system allow it.
#[cfg(target_os = "linux")]
fn open_direct(path: &Path) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
        .ok()
}

#[cfg(not(target_os = "linux"))]
fn open_direct(_: &Path) -> Option<File> {
    None
}

/// The writing thread's end: the file, and whether it is still written directly.
struct Writer {
    path: PathBuf,
    file: File,
    direct: bool,
    /// Bytes written so far: where the next ones go.
    at: u64,
    error: Option<io::Error>,
}

impl Writer {
    /// Appends `bytes`: whole blocks directly while the file allows it, the rest
    /// through an ordinary handle, which stays.
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let whole = match self.direct {
            true => bytes.len() / ALIGN * ALIGN,
            false => 0,
        };
        let (direct, rest) = bytes.split_at(whole);
        if !direct.is_empty() {
            match self.file.write_all_at(direct, self.at) {
                Ok(()) => self.at += direct.len() as u64,
                // refused after all (or cut short, which leaves `at` unaligned):
                // from here on through an ordinary handle, from the start of the
                // block, which the rewrite makes whole again
                Err(_) => {
                    self.ordinary()?;
                    return self.write(bytes);
                }
            }
        }
        if !rest.is_empty() {
            self.ordinary()?;
            self.file.write_all_at(rest, self.at)?;
            self.at += rest.len() as u64;
        }
        Ok(())
    }

    /// Writes through an ordinary handle from now on.
    fn ordinary(&mut self) -> io::Result<()> {
        if self.direct {
            self.file = OpenOptions::new().write(true).open(&self.path)?;
            self.direct = false;
        }
        Ok(())
    }
}

impl OutputFile {
    /// Hands the filled part of the current block to the writing thread and takes
    /// a free block.
    fn send(&mut self) -> io::Result<()> {
        if self.failed.swap(false, Ordering::Relaxed) {
            self.flush_written()?;
        }
        let gone = || io::Error::other("the output file's writing thread stopped");
        let next = self.free.recv().map_err(|_| gone())?;
        let full = std::mem::replace(&mut self.buffer, next);
        let len = std::mem::take(&mut self.filled);
        let jobs = self.jobs.as_ref().ok_or_else(gone)?;
        jobs.send(Job::Write(full, len)).map_err(|_| gone())
    }
}

impl Write for OutputFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let n = bytes.len().min(BLOCK - self.filled);
        self.buffer.block()[self.filled..self.filled + n].copy_from_slice(&bytes[..n]);
        self.filled += n;
        if self.filled == BLOCK {
            self.send()?;
        }
        Ok(n)
    }

    /// Writes everything so far (a part block through an ordinary handle) and
    /// reports the first error since the last flush.
    fn flush(&mut self) -> io::Result<()> {
        if self.filled > 0 {
            self.send()?;
        }
        self.flush_written()
    }
}

impl OutputFile {
    /// Waits until the blocks handed over are written; the first error since
    /// the last time.
    fn flush_written(&mut self) -> io::Result<()> {
        let (reply, answer) = sync_channel(1);
        let gone = || io::Error::other("the output file's writing thread stopped");
        let jobs = self.jobs.as_ref().ok_or_else(gone)?;
        jobs.send(Job::Flush(reply)).map_err(|_| gone())?;
        answer.recv().map_err(|_| gone())?
    }
}

impl Drop for OutputFile {
    /// Writes what is left, as `BufWriter` does; errors are lost, so callers flush.
    fn drop(&mut self) {
        if self.filled > 0 {
            let _ = self.send();
        }
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ALIGN, BLOCK, OutputFile, create, create_from};
    use proptest::prelude::*;
    use std::io::Write;

    /// `data` written in pieces of the given sizes (cycled), with a flush after
    /// the pieces flagged, then read back.
    fn round_trip(dir: &std::path::Path, data: &[u8], pieces: &[usize], flushes: &[bool]) {
        let path = dir.join("out.ndjson");
        let mut out = create(&path).expect("created");
        write_pieces(&mut out, data, pieces, flushes);
        drop(out);
        let back = std::fs::read(&path).expect("read back");
        assert!(
            back == data,
            "{} bytes written, {} read",
            data.len(),
            back.len()
        );
    }

    fn write_pieces(out: &mut OutputFile, data: &[u8], pieces: &[usize], flushes: &[bool]) {
        let (mut at, mut k) = (0, 0);
        while at < data.len() {
            let n = pieces[k % pieces.len()].min(data.len() - at);
            out.write_all(&data[at..at + n]).expect("written");
            if flushes[k % flushes.len()] {
                out.flush().expect("flushed");
            }
            at += n;
            k += 1;
        }
        out.flush().expect("flushed");
    }

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    #[test]
    fn the_file_holds_exactly_the_bytes_written_around_block_boundaries() {
        let dir = std::env::temp_dir().join(format!("heng-output-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        for n in [
            0,
            1,
            ALIGN - 1,
            ALIGN,
            ALIGN + 1,
            BLOCK - 1,
            BLOCK,
            BLOCK + 1,
            3 * BLOCK + 17,
        ] {
            round_trip(&dir, &bytes(n), &[n.max(1)], &[false]);
            round_trip(&dir, &bytes(n), &[1000, 1 << 20, 3], &[false]);
        }
        // a flush in the middle leaves a part block: what follows goes on
        // through an ordinary handle
        round_trip(
            &dir,
            &bytes(2 * BLOCK + 5),
            &[ALIGN + 3],
            &[true, false, false],
        );
        std::fs::remove_dir_all(&dir).expect("removed");
    }

    #[test]
    fn a_file_written_without_direct_io_gets_the_same_bytes() {
        // as where the file system refuses direct I/O
        let path = std::env::temp_dir().join(format!("heng-output-o-{}", std::process::id()));
        let data = bytes(BLOCK + ALIGN + 9);
        let mut out = create_from(&path, None).expect("created");
        write_pieces(&mut out, &data, &[5000], &[false, true]);
        drop(out);
        assert!(std::fs::read(&path).expect("read back") == data);
        std::fs::remove_file(&path).expect("removed");
    }

    #[test]
    fn a_file_that_cannot_be_created_is_an_error_naming_why() {
        let e = create(std::path::Path::new("/nonexistent-heng-dir/out.ndjson"))
            .err()
            .expect("an error");
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    }

    #[test]
    fn a_failed_write_is_reported_before_the_run_ends() {
        // /dev/full refuses every write: no space left
        let full = std::path::Path::new("/dev/full");
        if !full.exists() {
            return;
        }
        let mut out = create(full).expect("opened");
        let block = bytes(BLOCK);
        // the first block fails on the writing thread; handing over a later one
        // reports it (a block comes back only once it is written)
        let failed = (0..8).find_map(|_| out.write_all(&block).err());
        let e = failed.expect("reported by a write, not only at the end");
        assert_eq!(e.kind(), std::io::ErrorKind::StorageFull, "{e}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Any sizes of writes and any flushes give back exactly the bytes.
        #[test]
        fn any_pieces_and_flushes_give_the_same_bytes(
            len in 0usize..(2 * BLOCK + 3 * ALIGN),
            pieces in proptest::collection::vec(1usize..(3 * ALIGN), 1..6),
            flushes in proptest::collection::vec(any::<bool>(), 1..6),
        ) {
            let dir = std::env::temp_dir().join(format!("heng-output-p-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("a scratch folder");
            round_trip(&dir, &bytes(len), &pieces, &flushes);
            std::fs::remove_dir_all(&dir).expect("removed");
        }
    }
}
