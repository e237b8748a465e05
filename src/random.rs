//! New trace-ids and span-ids.
//!
//! An [`IdSource`] hands out IDs that are never zero and says whether the
//! right-most 7 bytes of its trace-ids are uniformly random: only then may a new
//! trace carry the random flag (rule T12), which consistent sampling relies on.
//!
//! - [`ThreadIds`] (feature `std`): the default. Per-thread generator state, seeded
//!   once per thread from the operating system's randomness through std's
//!   `RandomState`, so threads and processes started at the same instant still
//!   draw different streams. No locks, no atomics on the hot path.
//! - [`SeededIds`]: works with no features at all; the caller gives the seed (from a
//!   hardware RNG on an embedded target, or a constant for a deterministic test).
//!
//! Both use the same small generator (a 64-bit Weyl sequence through a 128-bit
//! multiply-fold mix). It is fast and statistically uniform, which is what trace IDs
//! need (rule T13: unique and unpredictable to outsiders); it is not a
//! cryptographic generator, so never use these IDs as secrets.
//!
//! ```
//! use tracecontext::{Context, SeededIds};
//!
//! use tracecontext::sampling::AlwaysOn;
//!
//! let mut ids = SeededIds::new(0x5eed);
//! let (root, _) = Context::root(&mut ids, &AlwaysOn);
//! assert!(root.is_random()); // the source promises random trace-ids (T12)
//! let child = root.child(&mut ids);
//! assert_eq!(child.trace_id(), root.trace_id());
//! assert_ne!(child.span_id(), root.span_id());
//! ```

use crate::id::{SpanId, TraceId};

/// A source of new trace-ids and span-ids.
pub trait IdSource {
    /// A new trace-id, never zero.
    fn trace_id(&mut self) -> TraceId;

    /// A new span-id, never zero.
    fn span_id(&mut self) -> SpanId;

    /// Whether the right-most 7 bytes of every trace-id are uniformly random over
    /// `[0, 2^56)`. New traces get the random flag exactly when this is true (rule
    /// [T12](crate::rules#t12)).
    fn random_trace_ids(&self) -> bool;

    /// 56 uniformly random bits (in the low bits of the result), for a source whose
    /// trace-ids are not random: a new trace's probability sampler then records
    /// them as the explicit randomness `rv` (rule [P3](crate::rules#p3)). `None`
    /// (the default) when the source has none to give.
    fn randomness(&mut self) -> Option<u64> {
        None
    }
}

impl<S: IdSource + ?Sized> IdSource for &mut S {
    fn trace_id(&mut self) -> TraceId {
        (**self).trace_id()
    }
    fn span_id(&mut self) -> SpanId {
        (**self).span_id()
    }
    fn random_trace_ids(&self) -> bool {
        (**self).random_trace_ids()
    }
    fn randomness(&mut self) -> Option<u64> {
        (**self).randomness()
    }
}

/// The Weyl increment: odd, with well-mixed bits.
const GAMMA: u64 = 0xa076_1d64_78bd_642f;
/// The second mixing constant.
const MIX: u64 = 0xe703_7ed1_a0b4_28db;

/// One step: advance the state, return a mixed 64-bit output.
#[inline(always)]
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(GAMMA);
    let product = u128::from(*state) * u128::from(*state ^ MIX);
    (product >> 64) as u64 ^ product as u64
}

#[inline(always)]
fn span_id_from(state: &mut u64) -> SpanId {
    loop {
        // Zero comes out once in 2^64 draws; draw again then.
        if let Some(id) = SpanId::from_u64(next(state)) {
            return id;
        }
    }
}

#[inline(always)]
fn trace_id_from(state: &mut u64) -> TraceId {
    loop {
        let high = u128::from(next(state));
        let low = u128::from(next(state));
        if let Some(id) = TraceId::from_u128(high << 64 | low) {
            return id;
        }
    }
}

/// IDs from a caller-given seed, with no features and no allocation: for embedded
/// targets (seed it from a hardware random source) and for deterministic tests.
///
/// The same seed gives the same IDs. Trace-ids are uniform in every bit, so new
/// traces get the random flag; seed it unpredictably in production (rule T13).
///
/// ```
/// use tracecontext::{IdSource, SeededIds};
///
/// let mut a = SeededIds::new(42);
/// let mut b = SeededIds::new(42);
/// assert_eq!(a.span_id(), b.span_id());
/// assert_ne!(a.span_id(), SeededIds::new(43).span_id());
/// ```
#[derive(Clone, Debug)]
pub struct SeededIds {
    state: u64,
}

impl SeededIds {
    /// A source whose stream is determined by `seed`.
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }
}

impl IdSource for SeededIds {
    #[inline]
    fn trace_id(&mut self) -> TraceId {
        trace_id_from(&mut self.state)
    }
    #[inline]
    fn span_id(&mut self) -> SpanId {
        span_id_from(&mut self.state)
    }
    fn random_trace_ids(&self) -> bool {
        true
    }
}

#[cfg(feature = "std")]
mod thread {
    use core::cell::Cell;
    use std::hash::{BuildHasher, RandomState};

    use super::{IdSource, span_id_from, trace_id_from};
    use crate::id::{SpanId, TraceId};

    std::thread_local! {
        /// This thread's generator state; 0 until first use.
        static STATE: Cell<u64> = const { Cell::new(0) };
    }

    /// A seed for this thread: std's `RandomState` keys come from the operating
    /// system's randomness (once per thread, then stepped for each new state), and
    /// the thread's id and the time are hashed in as well.
    #[cold]
    fn seed() -> u64 {
        let time = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let seed = RandomState::new().hash_one((std::thread::current().id(), time));
        // Zero marks "unseeded".
        seed | 1
    }

    #[inline(always)]
    fn with_state<R>(f: impl FnOnce(&mut u64) -> R) -> R {
        STATE.with(|cell| {
            let mut state = cell.get();
            if state == 0 {
                state = seed();
            }
            let out = f(&mut state);
            // 0 means "unseeded"; a step lands on it once in 2^64 steps, and is
            // then moved to 1.
            cell.set(state | u64::from(state == 0));
            out
        })
    }

    /// The default ID source (feature `std`): a generator per thread, seeded once
    /// from the operating system's randomness. A zero-sized handle: make one
    /// anywhere with `ThreadIds` (or `ThreadIds::new()`), it costs nothing.
    ///
    /// ```
    /// use tracecontext::{IdSource, ThreadIds};
    ///
    /// let here = ThreadIds.trace_id();
    /// let there = std::thread::spawn(|| ThreadIds.trace_id()).join().unwrap();
    /// assert_ne!(here, there);
    /// assert!(ThreadIds.random_trace_ids());
    /// ```
    #[derive(Clone, Copy, Debug, Default)]
    pub struct ThreadIds;

    impl ThreadIds {
        /// A handle on this thread's generator, the same as writing `ThreadIds`.
        #[must_use]
        pub const fn new() -> Self {
            Self
        }
    }

    impl IdSource for ThreadIds {
        #[inline]
        fn trace_id(&mut self) -> TraceId {
            with_state(trace_id_from)
        }
        #[inline]
        fn span_id(&mut self) -> SpanId {
            with_state(span_id_from)
        }
        fn random_trace_ids(&self) -> bool {
            true
        }
    }
}

#[cfg(feature = "std")]
pub use thread::ThreadIds;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_streams_repeat_and_differ() {
        let mut a = SeededIds::new(7);
        let mut b = SeededIds::new(7);
        let mut c = SeededIds::new(8);
        for _ in 0..100 {
            let (x, y, z) = (a.trace_id(), b.trace_id(), c.trace_id());
            assert_eq!(x, y);
            assert_ne!(x, z);
        }
    }

    #[test]
    fn zero_seed_works() {
        let mut ids = SeededIds::new(0);
        let first = ids.span_id();
        assert_ne!(first, ids.span_id());
    }

    #[test]
    fn bits_are_balanced() {
        // Each of the 64 bits is set in about half of 4096 draws.
        let mut state = 1;
        let mut counts = [0u32; 64];
        for _ in 0..4096 {
            let x = next(&mut state);
            for (bit, count) in counts.iter_mut().enumerate() {
                *count += u32::from((x >> bit) & 1 == 1);
            }
        }
        for (bit, &count) in counts.iter().enumerate() {
            assert!((1848..=2248).contains(&count), "bit {bit}: {count} of 4096");
        }
    }
}
