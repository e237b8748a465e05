//! The current context: which trace the code running now belongs to, and the
//! baggage that goes with it.
//!
//! Each thread has one slot for the trace context and one for the baggage.
//! [`scope`] fills the first for a closure, [`enter`] until a guard drops, and
//! [`WithContext`] both for every poll of a future, so a future keeps its context
//! and baggage across `.await` points and onto whatever thread an executor moves it
//! to. The baggage slot is filled by the [`ServerLayer`](crate::ServerLayer) with
//! the request's baggage, read with [`baggage`] and changed for a closure with
//! [`scope_baggage`] or for a future with [`FutureExt::with_baggage`]. Nothing here knows about a runtime: a task spawned with `tokio::spawn`,
//! `async_std::task::spawn` or a `smol` executor carries its context when it is
//! wrapped with [`FutureExt::in_current_context`]; a plain thread, when its closure
//! is wrapped with [`bind`].
//!
//! ```
//! use tracecontext::{Context, SpanId, TraceFlags, TraceId};
//! use tracecontext_tower::current::{self, FutureExt};
//!
//! let context = Context::new(
//!     TraceId::from_static("4bf92f3577b34da6a3ce929d0e0e4736"),
//!     SpanId::from_static("00f067aa0ba902b7"),
//!     TraceFlags::SAMPLED,
//! );
//! assert!(current::get().is_none());
//!
//! // For a closure.
//! let seen = current::scope(context.clone(), || current::get().map(|c| c.trace_id()));
//! assert_eq!(seen, Some(context.trace_id()));
//!
//! // For a future, on every poll; and for a thread.
//! let task = async { current::get().map(|c| c.span_id()) }.with_context(context.clone());
//! let thread = current::scope(context.clone(), || std::thread::spawn(current::bind(|| current::get())));
//! assert_eq!(thread.join().unwrap().map(|c| c.span_id()), Some(context.span_id()));
//! # drop(task);
//! ```

use core::future::Future;
use core::pin::Pin;
use core::task::{Context as TaskContext, Poll};
use std::cell::RefCell;

use tracecontext::Context;
use tracecontext::baggage::SharedBaggage;

use crate::log::LogSpan;

std::thread_local! {
    static CURRENT: RefCell<Option<Context>> = const { RefCell::new(None) };
    static BAGGAGE: RefCell<SharedBaggage> = const { RefCell::new(SharedBaggage::EMPTY) };
}

/// Puts `context` in this thread's slot and returns what was there.
fn swap(context: Option<Context>) -> Option<Context> {
    CURRENT.with(|slot| slot.replace(context))
}

/// Puts `baggage` in this thread's baggage slot and returns what was there.
fn swap_baggage(baggage: SharedBaggage) -> SharedBaggage {
    BAGGAGE.with(|slot| slot.replace(baggage))
}

/// The current baggage: a clone (an `Arc` count), empty when there is none.
///
/// ```
/// use tracecontext::baggage::{Baggage, SharedBaggage};
/// use tracecontext_tower::current;
///
/// assert!(current::baggage().is_empty());
/// let mut edited = Baggage::from(&current::baggage());
/// edited.insert("tenant", "acme")?;
/// let tenant = current::scope_baggage(SharedBaggage::from(&edited), || {
///     current::baggage().get("tenant").map(|m| m.value().into_owned())
/// });
/// assert_eq!(tenant.as_deref(), Some("acme"));
/// # Ok::<(), tracecontext::Error>(())
/// ```
#[must_use]
pub fn baggage() -> SharedBaggage {
    BAGGAGE.with(|slot| slot.borrow().clone())
}

/// Runs `f` with the current baggage borrowed, without cloning it.
pub fn with_baggage<R>(f: impl FnOnce(&SharedBaggage) -> R) -> R {
    BAGGAGE.with(|slot| f(&slot.borrow()))
}

/// Runs `f` with `baggage` as the current baggage (what outgoing calls send);
/// the previous baggage is current again afterwards, also when `f` panics.
pub fn scope_baggage<R>(baggage: SharedBaggage, f: impl FnOnce() -> R) -> R {
    let _restore = RestoreBaggage {
        previous: swap_baggage(baggage),
    };
    f()
}

/// Puts the previous baggage back when dropped.
struct RestoreBaggage {
    previous: SharedBaggage,
}

impl Drop for RestoreBaggage {
    fn drop(&mut self) {
        swap_baggage(core::mem::take(&mut self.previous));
    }
}

/// The current context, if any: a clone of it (an `Arc` count, no tracestate copy).
#[must_use]
pub fn get() -> Option<Context> {
    CURRENT.with(|slot| slot.borrow().clone())
}

/// Runs `f` with the current context borrowed, without cloning it.
///
/// ```
/// use tracecontext_tower::current;
///
/// let sampled = current::with(|context| context.is_some_and(|c| c.is_sampled()));
/// assert!(!sampled); // nothing is current here
/// ```
pub fn with<R>(f: impl FnOnce(Option<&Context>) -> R) -> R {
    CURRENT.with(|slot| f(slot.borrow().as_ref()))
}

/// Runs `f` with `context` as the current context; the previous one is current
/// again afterwards, also when `f` panics.
pub fn scope<R>(context: Context, f: impl FnOnce() -> R) -> R {
    let _entered = enter(context);
    f()
}

/// Makes `context` the current context until the returned guard drops, which makes
/// the previous one current again. Guards must drop in the reverse order of their
/// making (as they do when they are scoped locals).
///
/// The guard is neither `Send` nor `Sync`: the slot belongs to this thread. Do not
/// hold it across an `.await`; wrap the future with [`FutureExt::with_context`]
/// instead.
pub fn enter(context: Context) -> Entered {
    Entered {
        previous: swap(Some(context)),
        _not_send: core::marker::PhantomData,
    }
}

/// The guard of [`enter`].
#[must_use = "the context is current only while the guard lives"]
pub struct Entered {
    previous: Option<Context>,
    _not_send: core::marker::PhantomData<*const ()>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        swap(self.previous.take());
    }
}

impl core::fmt::Debug for Entered {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Entered").finish_non_exhaustive()
    }
}

/// Wraps `f` so that it runs with the context (and baggage) that is current now: for
/// `std::thread::spawn`, thread pools and callbacks run elsewhere. With the
/// `tracing` feature it also runs in the `tracing` span current now, so its log
/// lines carry the request's ids.
///
/// ```
/// use tracecontext::{Context, SpanId, TraceFlags, TraceId};
/// use tracecontext_tower::current;
///
/// let context = Context::new(
///     TraceId::from_static("4bf92f3577b34da6a3ce929d0e0e4736"),
///     SpanId::from_static("00f067aa0ba902b7"),
///     TraceFlags::SAMPLED,
/// );
/// let worker = current::scope(context.clone(), || {
///     std::thread::spawn(current::bind(|| current::get().map(|c| c.trace_id())))
/// });
/// assert_eq!(worker.join().unwrap(), Some(context.trace_id()));
/// ```
pub fn bind<R>(f: impl FnOnce() -> R) -> impl FnOnce() -> R {
    let context = get();
    let bound_baggage = baggage();
    let span = LogSpan::current();
    move || {
        span.in_scope(|| {
            let _entered = Entered {
                previous: swap(context),
                _not_send: core::marker::PhantomData,
            };
            scope_baggage(bound_baggage, f)
        })
    }
}

pin_project_lite::pin_project! {
    /// A future that runs with a context and baggage: they are current during
    /// every poll of the inner future, on whichever thread polls it. Made by
    /// [`FutureExt`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct WithContext<F> {
        #[pin]
        inner: F,
        context: Option<Context>,
        baggage: SharedBaggage,
        span: LogSpan,
    }
}

impl<F> WithContext<F> {
    /// `inner`, run with `context` current (`None`: with no current context) and
    /// the baggage current now.
    pub fn new(inner: F, context: Option<Context>) -> Self {
        Self::in_span(inner, context, baggage(), LogSpan::none())
    }

    /// `inner`, run with `context` and `baggage` current, in `span`.
    pub(crate) fn in_span(
        inner: F,
        context: Option<Context>,
        baggage: SharedBaggage,
        span: LogSpan,
    ) -> Self {
        Self {
            inner,
            context,
            baggage,
            span,
        }
    }

    /// The baggage the future runs with.
    #[must_use]
    pub fn baggage(&self) -> &SharedBaggage {
        &self.baggage
    }

    /// The context the future runs with.
    #[must_use]
    pub fn context(&self) -> Option<&Context> {
        self.context.as_ref()
    }
}

impl<F: Future> Future for WithContext<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let (inner, context, baggage) = (this.inner, this.context, this.baggage);
        this.span.in_scope(|| {
            // The context and baggage move into the slots for the poll and back
            // out after it, so each poll costs swaps and no clone.
            let restore = Restore {
                previous: swap(context.take()),
                back: context,
                previous_baggage: swap_baggage(core::mem::take(baggage)),
                back_baggage: baggage,
            };
            let poll = inner.poll(cx);
            drop(restore);
            poll
        })
    }
}

/// Puts the slot's context back into the future, and the previous one into the
/// slot, when a poll ends (by returning or by unwinding).
struct Restore<'a> {
    previous: Option<Context>,
    back: &'a mut Option<Context>,
    previous_baggage: SharedBaggage,
    back_baggage: &'a mut SharedBaggage,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        *self.back = swap(self.previous.take());
        *self.back_baggage = swap_baggage(core::mem::take(&mut self.previous_baggage));
    }
}

/// Runs futures with a context; implemented for every future.
///
/// ```
/// use tracecontext_tower::current::{self, FutureExt};
///
/// # async fn work() {}
/// # async fn handler() {
/// // Inside a request: the spawned task carries the request's context.
/// tokio::spawn(async {
///     assert!(current::get().is_some());
///     work().await;
/// }.in_current_context());
/// # }
/// ```
pub trait FutureExt: Future + Sized {
    /// Runs this future with `context` current, and the baggage current now.
    /// (With the `tracing` feature it enters no `tracing` span of its own: its log
    /// lines are in the span of whoever polls it.)
    fn with_context(self, context: Context) -> WithContext<Self> {
        WithContext::new(self, Some(context))
    }

    /// Runs this future with the context and baggage that are current now (if
    /// any): for `spawn`, which runs a future elsewhere, later. With the
    /// `tracing` feature the future also runs in the `tracing` span current now,
    /// so the spawned task's log lines carry the request's ids.
    fn in_current_context(self) -> WithContext<Self> {
        WithContext::in_span(self, get(), baggage(), LogSpan::current())
    }

    /// Runs this future with the context current now and `baggage` current: for
    /// calls that should send other baggage than the request's.
    ///
    /// ```
    /// use tracecontext::baggage::{Baggage, SharedBaggage};
    /// use tracecontext_tower::current::{self, FutureExt};
    ///
    /// # async fn call_downstream() {}
    /// # async fn handler() -> Result<(), tracecontext::Error> {
    /// let mut baggage = Baggage::from(&current::baggage());
    /// baggage.insert("request.class", "batch")?;
    /// call_downstream().with_baggage(SharedBaggage::from(&baggage)).await;
    /// # Ok(())
    /// # }
    /// ```
    fn with_baggage(self, baggage: SharedBaggage) -> WithContext<Self> {
        WithContext::in_span(self, get(), baggage, LogSpan::none())
    }
}

impl<F: Future> FutureExt for F {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::{Wake, Waker};
    use tracecontext::{SpanId, TraceFlags, TraceId};

    fn context(span: u64) -> Context {
        Context::new(
            TraceId::from_u128(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736).unwrap(),
            SpanId::from_u64(span).unwrap(),
            TraceFlags::SAMPLED,
        )
    }

    fn span() -> Option<u64> {
        with(|c| c.map(|c| c.span_id().to_u64()))
    }

    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }

    #[test]
    fn scopes_nest_and_restore() {
        assert_eq!(span(), None);
        scope(context(1), || {
            assert_eq!(span(), Some(1));
            scope(context(2), || assert_eq!(span(), Some(2)));
            assert_eq!(span(), Some(1));
            assert_eq!(get().map(|c| c.span_id().to_u64()), Some(1));
        });
        assert_eq!(span(), None);
    }

    #[test]
    fn a_panic_restores_the_previous_context() {
        let _outer = enter(context(1));
        let caught = std::panic::catch_unwind(|| scope(context(2), || panic!("inside")));
        assert!(caught.is_err());
        assert_eq!(span(), Some(1));
    }

    #[test]
    fn a_future_has_its_context_on_every_poll_and_not_between() {
        let mut polls = 0;
        let future = core::future::poll_fn(|cx| {
            assert_eq!(span(), Some(7));
            polls += 1;
            if polls < 3 {
                cx.waker().wake_by_ref();
                Poll::Pending
            } else {
                Poll::Ready(polls)
            }
        });
        let mut future = core::pin::pin!(future.with_context(context(7)));
        assert_eq!(future.context().map(|c| c.span_id().to_u64()), Some(7));
        let waker = Waker::from(Arc::new(Noop));
        let mut cx = TaskContext::from_waker(&waker);
        let _outer = enter(context(1));
        loop {
            match future.as_mut().poll(&mut cx) {
                Poll::Ready(n) => {
                    assert_eq!(n, 3);
                    break;
                }
                // Between polls the poller's own context is current.
                Poll::Pending => assert_eq!(span(), Some(1)),
            }
        }
        assert_eq!(span(), Some(1));
    }

    #[test]
    fn in_current_context_captures_at_wrapping_time() {
        let future = scope(context(3), || async { span() }.in_current_context());
        assert_eq!(span(), None);
        let waker = Waker::from(Arc::new(Noop));
        let mut cx = TaskContext::from_waker(&waker);
        let mut future = core::pin::pin!(future);
        assert_eq!(future.as_mut().poll(&mut cx), Poll::Ready(Some(3)));
    }

    #[test]
    fn bind_carries_the_context_to_another_thread_only() {
        let job = scope(context(5), || bind(span));
        assert_eq!(std::thread::spawn(job).join().unwrap(), Some(5));
        let unbound = scope(context(5), || std::thread::spawn(span));
        assert_eq!(unbound.join().unwrap(), None);
        // Run here, a bound closure restores this thread's context after it.
        let _outer = enter(context(1));
        assert_eq!(scope(context(5), || bind(span))(), Some(5));
        assert_eq!(span(), Some(1));
    }
}
