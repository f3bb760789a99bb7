//! An input file mapped into memory, so that its blocks are slices of the page
//! cache rather than copies of it: reading a month through `read` copies 5.7 GB
//! out of the cache on the reading thread. Mapped, settling the month takes about
//! 3% less CPU time and a third of the system time (see docs/performance-log.md).
//!
//! # Safety
//! This module, `native/machine.rs`, the command's allocator (`allocator.rs`)
//! and the call of SSE2 compares in `input/fast/string_stop.rs` are Heng's only
//! `unsafe` code. A mapping is sound while the mapped bytes do not change under the reader; Heng only
//! reads the file and keeps no pointer into it past the mapping's life (blocks
//! hold the mapping by a shared count). Another process writing the file while
//! Heng reads it is outside what Heng promises for any input (a file changed
//! while it is read gives torn lines with `read` too); one truncating it makes
//! the kernel stop the process (`SIGBUS`) where `read` would see a short file.
//! That is the trade ripgrep makes for the same gain, and why only regular files
//! are mapped.
//!
//! Pages ahead of the reader are asked for before it gets there, and pages read
//! are let go as the reader passes them ([`Mapped::release_before`]):
//! a private, read-only file mapping whose pages are let go reads them again from
//! the file if touched, so letting go early costs a page fault, never a wrong byte.
#![allow(
    unsafe_code,
    reason = "mapping an input file; see the safety notes above"
)]

use bytes::Bytes;
use memmap2::Mmap;
use std::fs::File;
use std::sync::Arc;

/// A whole file mapped read-only.
pub struct Mapped {
    map: Arc<Mmap>,
    /// The mapped bytes, shared: slices of it keep the mapping alive.
    all: Bytes,
    /// Where the pages not yet let go begin.
    released: usize,
    /// Where the pages not yet asked for ahead of the reader begin.
    fetched: usize,
}

/// Bytes the reader keeps mapped behind it before letting them go: far more than
/// the blocks in flight (a few MiB), so that a worker rarely faults a page back.
const KEEP_BEHIND: usize = 64 << 20;

/// Bytes ahead of the reader asked of the kernel before the reader gets there:
/// pages the page cache no longer holds (this VM's drops pieces of a 5.7 GB
/// file between runs) are then read from disk while the workers are busy,
/// rather than each stopping a worker that faults on it.
const FETCH_AHEAD: usize = 32 << 20;

impl Mapped {
    /// `file` mapped, or `None` where it cannot be (not a regular file, empty, or
    /// the mapping fails): the caller reads it instead.
    pub fn new(file: &File) -> Option<Mapped> {
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.len() == 0 {
            return None;
        }
        // SAFETY: see the module's notes: a regular file, only read.
        let map = unsafe { Mmap::map(file) }.ok()?;
        // read once, front to back: the kernel reads ahead and drops behind
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        let map = Arc::new(map);
        Some(Mapped {
            all: Bytes::from_owner(Owner(Arc::clone(&map))),
            map,
            released: 0,
            fetched: 0,
        })
    }

    /// The mapped bytes, shared: slices of it keep the mapping alive.
    pub fn bytes(&self) -> &Bytes {
        &self.all
    }

    /// Asks the kernel for the pages up to [`FETCH_AHEAD`] bytes after `at`
    /// (the reader's position), and lets go of those more than [`KEEP_BEHIND`]
    /// bytes before it, so that the process's memory does not grow with the file.
    pub fn release_before(&mut self, at: usize) {
        let len = self.all.len();
        let ahead = at.saturating_add(FETCH_AHEAD).min(len);
        // a grain at a time, and the file's last piece
        if ahead > self.fetched && (ahead - self.fetched >= GRAIN || ahead == len) {
            #[cfg(unix)]
            let _ = self.map.advise_range(
                memmap2::Advice::WillNeed,
                self.fetched,
                ahead - self.fetched,
            );
            self.fetched = ahead;
        }
        let end = at.saturating_sub(KEEP_BEHIND) / GRAIN * GRAIN;
        if end < self.released + KEEP_BEHIND {
            return;
        }
        #[cfg(unix)]
        // SAFETY: a private read-only file mapping: a page let go is read again
        // from the file if touched (see the module's notes); none is written.
        let _ = unsafe {
            self.map.unchecked_advise_range(
                memmap2::UncheckedAdvice::DontNeed,
                self.released,
                end - self.released,
            )
        };
        self.released = end;
    }
}

/// Pages are let go in multiples of this: a multiple of every page size Linux
/// uses (4 KiB, 16 KiB, 64 KiB), as the range must start and end on pages.
const GRAIN: usize = 2 << 20;

/// What keeps a mapping alive for [`Bytes`].
struct Owner(Arc<Mmap>);

impl AsRef<[u8]> for Owner {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}
