//! A rate limit on recording, shared by every thread that decides.

use super::Sampler;
use super::decision::{Decision, Input};

/// A monotonic clock for [`RateLimited`], in nanoseconds from any fixed start.
///
/// Any `Fn() -> u64` is one; [`StdClock`] (feature `std`) reads
/// `std::time::Instant`.
pub trait Clock {
    /// Now.
    fn now_nanos(&self) -> u64;
}

impl<F: Fn() -> u64> Clock for F {
    fn now_nanos(&self) -> u64 {
        self()
    }
}

/// The `std` clock (`std::time::Instant`), from when it was made.
#[cfg(feature = "std")]
#[derive(Clone, Copy, Debug)]
pub struct StdClock(std::time::Instant);

#[cfg(feature = "std")]
impl StdClock {
    /// A clock starting now.
    #[must_use]
    pub fn new() -> Self {
        Self(std::time::Instant::now())
    }
}

#[cfg(feature = "std")]
impl Default for StdClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "std")]
impl Clock for StdClock {
    fn now_nanos(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// Nanoseconds in a second.
const SECOND: u64 = 1_000_000_000;

/// Samples at most `per_second` traces a second on average, with bursts of up to
/// `burst`, whatever the parent says. Its decisions are not probability decisions,
/// so `th` is erased (rule [P6](crate::rules#p6)).
///
/// It takes `&self` and is shared as it is (behind an `Arc`, in a `static`, by
/// reference), and it holds its limit however many threads decide at once: the
/// state is one "theoretical arrival time" (the generic cell rate algorithm, the
/// token bucket's equivalent), updated with a compare-and-swap of one 64-bit atomic.
/// A clock that goes backwards adds nothing, and the bucket never holds more than
/// `burst`. The resolution is one nanosecond per token, so rates above
/// 1 000 000 000 a second are unlimited. It is not `Clone` on purpose: a copy would
/// be a second limit, and sharing is what makes the first one hold.
///
/// On targets without 64-bit atomics (32-bit microcontrollers), the time is kept in
/// two 32-bit atomics behind a flag taken with a compare-and-swap; a decision that
/// finds the flag taken (another thread, or an interrupt, is deciding) does not
/// sample, so the limit still holds and nothing ever waits. Targets with no
/// compare-and-swap at all have no `RateLimited`.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use tracecontext::sampling::{Input, RateLimited, Sampler};
/// use tracecontext::TraceId;
///
/// let now = AtomicU64::new(0);
/// let limiter = RateLimited::new(2, 2, || now.load(Ordering::Relaxed));
/// let input = Input::root(TraceId::from_u128(1).unwrap(), true);
/// let decide = || limiter.decide(&input).is_sampled();
/// assert!(decide() && decide());
/// assert!(!decide()); // the burst is spent
/// now.store(500_000_000, Ordering::Relaxed); // half a second: one more token
/// assert!(decide() && !decide());
/// ```
#[derive(Debug)]
pub struct RateLimited<C> {
    clock: C,
    /// Nanoseconds per token; `u64::MAX` never samples.
    interval: u64,
    /// How far ahead of now the arrival time may run: `burst` intervals.
    tolerance: u64,
    tat: Tat,
}

impl<C: Clock> RateLimited<C> {
    /// At most `per_second` a second on average, `burst` at once (at least 1); the
    /// bucket starts full. A `per_second` of 0 samples nothing.
    #[must_use]
    pub fn new(per_second: u64, burst: u64, clock: C) -> Self {
        let interval = match per_second {
            0 => u64::MAX,
            n => SECOND / n,
        };
        Self {
            clock,
            interval,
            tolerance: interval.saturating_mul(burst.max(1)),
            tat: Tat::new(),
        }
    }

    /// Takes a token if there is one.
    fn take(&self) -> bool {
        if self.interval == u64::MAX {
            return false;
        }
        let (interval, tolerance) = (self.interval, self.tolerance);
        // The arrival time may run `tolerance` ahead of now, and one more interval:
        // so that it never overflows, the clock is read as stopping that far before
        // the end of its range (584 years of nanoseconds), where a stopped clock
        // still allows no more than `burst`.
        let end = u64::MAX - tolerance.saturating_add(interval);
        let now = self.clock.now_nanos().min(end);
        self.tat.update(|tat| {
            // An idle bucket refills to the burst and no further: the arrival time
            // never lags behind now. A clock that went backwards finds it ahead.
            let next = tat.max(now).saturating_add(interval);
            (next - now <= tolerance).then_some(next)
        })
    }
}

impl<C: Clock> Sampler for RateLimited<C> {
    fn decide(&self, input: &Input<'_>) -> Decision {
        input.without_threshold(self.take())
    }
}

#[cfg(target_has_atomic = "64")]
use lock_free::Tat;
#[cfg(not(target_has_atomic = "64"))]
use locked::Tat;

/// The arrival time in one 64-bit atomic.
#[cfg(target_has_atomic = "64")]
mod lock_free {
    use core::sync::atomic::{AtomicU64, Ordering};

    #[derive(Debug)]
    pub(super) struct Tat(AtomicU64);

    impl Tat {
        pub(super) const fn new() -> Self {
            Self(AtomicU64::new(0))
        }

        /// Replaces the time `t` with `f(t)` if that is `Some`; whether it did.
        pub(super) fn update(&self, f: impl Fn(u64) -> Option<u64>) -> bool {
            self.0
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, f)
                .is_ok()
        }
    }
}

/// The arrival time in two 32-bit atomics behind a flag: for targets without 64-bit
/// atomics (and compiled for tests everywhere).
#[cfg(any(test, not(target_has_atomic = "64")))]
mod locked {
    use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

    #[derive(Debug)]
    pub(super) struct Tat {
        busy: AtomicBool,
        high: AtomicU32,
        low: AtomicU32,
    }

    impl Tat {
        pub(super) const fn new() -> Self {
            Self {
                busy: AtomicBool::new(false),
                high: AtomicU32::new(0),
                low: AtomicU32::new(0),
            }
        }

        /// Replaces the time `t` with `f(t)` if that is `Some`; whether it did. When
        /// another decision holds the flag, nothing is taken: no waiting, and no
        /// token beyond the limit.
        pub(super) fn update(&self, f: impl Fn(u64) -> Option<u64>) -> bool {
            if self
                .busy
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                return false;
            }
            let t = (u64::from(self.high.load(Ordering::Relaxed)) << 32)
                + u64::from(self.low.load(Ordering::Relaxed));
            let next = f(t);
            if let Some(next) = next {
                self.high.store((next >> 32) as u32, Ordering::Relaxed);
                self.low.store(next as u32, Ordering::Relaxed);
            }
            self.busy.store(false, Ordering::Release);
            next.is_some()
        }

        #[cfg(test)]
        pub(super) fn hold(&self) -> bool {
            self.busy
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        }

        #[cfg(test)]
        pub(super) fn release(&self) {
            self.busy.store(false, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::locked;

    /// The token rule of `RateLimited::take`, on the locked form of the time.
    fn take(tat: &locked::Tat, now: u64, interval: u64, tolerance: u64) -> bool {
        tat.update(|t| {
            let next = t.max(now).saturating_add(interval);
            (next - now <= tolerance).then_some(next)
        })
    }

    #[test]
    fn the_locked_fallback_keeps_the_limit() {
        let tat = locked::Tat::new();
        // Two a second, burst 2, at a time above 2^32 ns so both halves matter.
        let (interval, tolerance) = (500_000_000, 1_000_000_000);
        let t0 = 10_000_000_000;
        assert!(take(&tat, t0, interval, tolerance));
        assert!(take(&tat, t0, interval, tolerance));
        assert!(!take(&tat, t0, interval, tolerance));
        assert!(take(&tat, t0 + interval, interval, tolerance));
        assert!(!take(&tat, t0 + interval, interval, tolerance));
        // While another decision holds the flag, nothing is taken.
        assert!(tat.hold());
        assert!(!take(&tat, t0 + 10 * interval, interval, tolerance));
        tat.release();
        assert!(take(&tat, t0 + 10 * interval, interval, tolerance));
    }
}
