//! The `heng` command's allocator: mimalloc rather than the system allocator. A
//! batch run allocates and frees millions of small values (texts, records,
//! findings) across threads, where glibc's malloc spent a fifth of the time
//! consolidating and unlinking chunks.
//!
//! mimalloc's C library is called directly. The `mimalloc` crate's allocator
//! asks for every block by its alignment (`mi_malloc_aligned`), and mimalloc 3
//! serves an aligned request over 1 KiB whose size is not a power of two by
//! allocating more and marking the page as holding interior pointers, on its
//! slow path: 61,000 times per 8,000 visits settled (a visit's output text, its
//! records). Every block of 16 bytes or more that `mi_malloc` returns is already
//! 16-byte aligned, and a smaller one is aligned to its size class (a multiple
//! of 8), so a request aligned to at most 16 and to no more than its size,
//! which is every Rust type's that is not over-aligned, needs no aligned call:
//! the rule the standard library's own `System` allocator follows for `malloc`.
//!
//! # Safety
//! Each method keeps `GlobalAlloc`'s contract by passing it on to the mimalloc
//! function for the same request, aligned or not as above; every block, however
//! it was allocated, is freed by `mi_free`, as mimalloc documents.
#![allow(
    unsafe_code,
    reason = "a global allocator is an unsafe trait; see the safety notes above"
)]

use libmimalloc_sys as mi;
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// mimalloc, asked for alignment only when a request needs more than it gives.
pub struct Mimalloc;

/// The alignment every mimalloc block of at least this size has.
const MIN_ALIGN: usize = 16;

/// Whether a block of `size` bytes from `mi_malloc` is aligned enough for `align`.
fn plain(size: usize, align: usize) -> bool {
    align <= MIN_ALIGN && align <= size
}

/// A block for `layout` from mimalloc's `plain` function, or from its `aligned`
/// one when the layout needs more alignment than a plain block has.
///
/// # Safety
/// As the mimalloc functions given: none beyond their own contracts.
unsafe fn either(
    layout: Layout,
    plain_fn: unsafe extern "C" fn(usize) -> *mut c_void,
    aligned_fn: unsafe extern "C" fn(usize, usize) -> *mut c_void,
) -> *mut u8 {
    // SAFETY: mimalloc's allocation functions accept any size and alignment
    unsafe {
        match plain(layout.size(), layout.align()) {
            true => plain_fn(layout.size()),
            false => aligned_fn(layout.size(), layout.align()),
        }
    }
    .cast()
}

// SAFETY: see the module's notes.
unsafe impl GlobalAlloc for Mimalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see `either`
        unsafe { either(layout, mi::mi_malloc, mi::mi_malloc_aligned) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see `either`
        unsafe { either(layout, mi::mi_zalloc, mi::mi_zalloc_aligned) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator, which only hands out mimalloc blocks
        unsafe { mi::mi_free(ptr.cast::<c_void>()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` is a mimalloc block of this allocator; the new block keeps
        // the alignment as `alloc` would give it
        unsafe {
            match plain(new_size, layout.align()) {
                true => mi::mi_realloc(ptr.cast::<c_void>(), new_size),
                false => mi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()),
            }
        }
        .cast()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn blocks_are_aligned_as_asked_whatever_their_size() {
        let a = Mimalloc;
        for size in [1, 7, 8, 15, 16, 24, 40, 1000, 1025, 1500, 4097, 100_000] {
            for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: a nonzero size; each block is freed once, by this allocator
                unsafe {
                    let p = a.alloc(layout);
                    assert!(
                        !p.is_null() && (p as usize).is_multiple_of(align),
                        "{size} {align}"
                    );
                    p.write_bytes(1, size);
                    let z = a.alloc_zeroed(layout);
                    assert!((z as usize).is_multiple_of(align));
                    assert!((0..size).all(|i| *z.add(i) == 0));
                    let bigger = a.realloc(p, layout, 3 * size);
                    assert!((bigger as usize).is_multiple_of(align));
                    assert!((0..size).all(|i| *bigger.add(i) == 1));
                    a.dealloc(bigger, Layout::from_size_align(3 * size, align).unwrap());
                    a.dealloc(z, layout);
                }
            }
        }
    }
}
