//! Random IDs for the examples, from std alone: each call hashes a process-wide
//! counter with a randomly keyed hasher. Good enough for demonstrations; the crate's
//! own ID sources are the ones to use in services.

#![allow(dead_code)] // each example uses part of it

use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use tracecontext::{SpanId, TraceId};

fn next() -> u64 {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    KEYS.get_or_init(RandomState::new).hash_one(n)
}

/// A random, non-zero span-id.
pub fn span_id() -> SpanId {
    loop {
        if let Some(id) = SpanId::from_u64(next()) {
            return id;
        }
    }
}

/// A random, non-zero trace-id whose right-most 7 bytes are random, so a new trace
/// may carry the random flag (rule T12).
pub fn trace_id() -> TraceId {
    loop {
        let id = (u128::from(next()) << 64) | u128::from(next());
        if let Some(id) = TraceId::from_u128(id) {
            return id;
        }
    }
}
