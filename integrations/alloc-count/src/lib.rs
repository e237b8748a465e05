//! The allocation counter of the companion crates' tests (not published): a
//! global allocator that forwards to the system allocator and counts the
//! allocations and reallocations of the calling thread while asked to.
//!
//! A test binary installs it and counts a closure:
//!
//! ```
//! use tracecontext_alloc_count::{Counting, allocations};
//!
//! #[global_allocator]
//! static ALLOCATOR: Counting = Counting;
//!
//! # fn main() {
//! assert_eq!(allocations(|| 1 + 1), 0);
//! // A doc test is its own binary, with its own allocator: counted here.
//! assert_eq!(allocations(|| vec![1u8; 4]), 1);
//! # }
//! ```
//!
//! The core crate keeps its own copy in `tests/alloc.rs`, so that its packaged
//! tests need nothing outside it.
#![deny(missing_docs)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting this thread's allocations while
/// [`allocations`] runs a closure. Install it with `#[global_allocator]`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    if COUNTING.with(Cell::get) {
        COUNT.with(|c| c.set(c.get() + 1));
    }
}

// SAFETY: every call goes to the system allocator unchanged; the counters are
// const-initialised thread-locals, which do not allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        note();
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, size) }
    }
}

/// The allocations and reallocations `f` makes on this thread, when [`Counting`]
/// is the global allocator (0 otherwise). What `f` returns is dropped after the
/// count, so that freeing it is not counted either way.
pub fn allocations<R>(f: impl FnOnce() -> R) -> usize {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    let result = f();
    COUNTING.with(|c| c.set(false));
    drop(result);
    COUNT.with(Cell::get)
}
