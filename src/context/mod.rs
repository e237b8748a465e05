//! Trace contexts: the owned one a service stores, the borrowed one of a hop, and
//! the procedure that makes them (extract, decide, child, inject).

mod extract;
mod headers;
mod storage;

use core::fmt;
use core::hash::{Hash, Hasher};

pub use extract::{Extracted, extract};
pub use headers::Headers;
#[cfg(feature = "alloc")]
pub use storage::Shared;
pub use storage::{Borrowed, Storage};

use crate::carrier::Injector;
use crate::encoded::Encoded;
use crate::error::Error;
use crate::flags::TraceFlags;
use crate::hex;
use crate::id::{SpanId, TraceId};
use crate::random::IdSource;
use crate::response::SERVER_TIMING_LEN;
use crate::sampling::{Decision, Input, OtUpdate, Parent, Sampler};
use crate::traceparent::{FLAGS_AT, PARENT_ID_AT, TraceParent};
use crate::tracestate::{TraceState, TraceStateView};

/// A context with its tracestate inline, for targets without an allocator: the
/// owned context of `no_std` services. `CAP` is the tracestate's byte capacity.
pub type InlineContext<const CAP: usize = 512> = Context<TraceState<CAP>>;

macro_rules! context_type {
    ($($default:tt)*) => {
        /// A trace context: the `traceparent` a span sends on and the `tracestate` that
        /// goes with it.
        ///
        /// A context either came from a caller ([`extract`],
        /// [`is_remote`](Self::is_remote)) or was made here: a
        /// [`root`](Context::root) for a new trace, or a [`child`](Self::child) of
        /// another context. Its [`span_id`](Self::span_id) is the span that the next
        /// hop sees as its parent.
        ///
        /// `S` is where the `tracestate` is kept ([`Storage`]):
        ///
        /// - [`Shared`] (the default, feature `alloc`): the context a service stores
        ///   and moves, into request extensions, task-locals, spawned tasks and
        ///   queues. It is `'static`, `Send + Sync`, 88 bytes on 64-bit targets,
        ///   and clones without copying the tracestate (an `Arc`).
        /// - [`Borrowed<'a>`](Borrowed): the hop, from [`extract`] to injection,
        ///   which borrows the request's `tracestate` and never allocates.
        ///   [`into_owned`](Self::into_owned) makes the `Shared` form (one allocation,
        ///   none when the tracestate is empty).
        /// - [`TraceState<CAP>`](crate::tracestate::TraceState) ([`InlineContext`]): an owned
        ///   context with no allocator, chosen explicitly.
        ///
        /// The only ways to change a context are the ones rule [T11](crate::rules#t11)
        /// allows: a child takes a new span-id and keeps the trace-id and the random
        /// flag exactly; the sampled flag changes only together with a new span-id
        /// ([`child_decided`](Self::child_decided)); the `tracestate` may be edited
        /// ([`edit_tracestate`](Self::edit_tracestate)); a restart is a new root.
        /// Injection always writes version `00` (rule [T5](crate::rules#t5)).
        ///
        /// ```
        /// use tracecontext::sampling::{ParentBased, Probability};
        /// use tracecontext::{Context, ThreadIds};
        ///
        /// let sampler = ParentBased::new(Probability::new(0.5));
        /// let request = [("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")];
        ///
        /// // The hop: extract, decide, child; borrowed from the request.
        /// let (hop, decision) = tracecontext::extract(&request).child_or_root(&mut ThreadIds, &sampler);
        /// assert!(decision.is_sampled()); // a sampled parent is followed
        ///
        /// // The context to keep: 'static, Send + Sync, cheap to clone.
        /// let context: Context = hop.into_owned();
        /// let task = std::thread::spawn({
        ///     let context = context.clone();
        ///     move || context.trace_id()
        /// });
        /// assert_eq!(task.join().unwrap(), context.trace_id());
        /// ```
        pub struct Context<S $($default)*> {
            /// The encoded traceparent this context sends: version `00`, the trace-id,
            /// the span-id and the known flags.
            header: [u8; TraceParent::LEN],
            /// The flags as read, reserved bits included.
            flags: TraceFlags,
            remote: bool,
            /// The span this context's span is a child of, when it was made here.
            parent_span_id: Option<SpanId>,
            state: S,
        }
    };
}

#[cfg(feature = "alloc")]
context_type!(= Shared);
#[cfg(not(feature = "alloc"))]
context_type!();

#[cfg(feature = "alloc")]
impl Context {
    /// A new trace with these IDs and no `tracestate` (a restart, rules
    /// [T9](crate::rules#t9) and [T10](crate::rules#t10)), for tests and for IDs
    /// chosen elsewhere. Reserved flag bits are dropped.
    ///
    /// Set the random flag in `flags` only when the right-most 7 bytes of
    /// `trace_id` are uniformly random (rule [T12](crate::rules#t12)).
    ///
    /// ```
    /// use tracecontext::{Context, SpanId, TraceFlags, TraceId};
    ///
    /// let context = Context::new(
    ///     TraceId::from_static("4bf92f3577b34da6a3ce929d0e0e4736"),
    ///     SpanId::from_static("00f067aa0ba902b7"),
    ///     TraceFlags::SAMPLED,
    /// );
    /// assert_eq!(context.headers().traceparent(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    /// ```
    #[must_use]
    pub const fn new(trace_id: TraceId, span_id: SpanId, flags: TraceFlags) -> Self {
        Self::with_ids(trace_id, span_id, flags)
    }

    /// A new trace with IDs from `ids`, sampled as `sampler` decides for a span with
    /// no parent; the decision may add `ot=th:...` to the new `tracestate`. The
    /// random flag is set exactly when `ids` promises random trace-ids (rule
    /// [T12](crate::rules#t12)).
    ///
    /// ```
    /// use tracecontext::sampling::AlwaysOn;
    /// use tracecontext::{Context, ThreadIds};
    ///
    /// let (root, decision) = Context::root(&mut ThreadIds, &AlwaysOn);
    /// assert!(decision.is_sampled() && root.is_sampled() && root.flags().is_random());
    /// ```
    pub fn root(
        ids: &mut (impl IdSource + ?Sized),
        sampler: &(impl Sampler + ?Sized),
    ) -> (Self, Decision) {
        Self::make_root(ids, sampler)
    }
}

impl<const CAP: usize> Context<TraceState<CAP>> {
    /// [`Context::new`] with the tracestate inline, for targets without an
    /// allocator.
    #[must_use]
    pub const fn new_inline(trace_id: TraceId, span_id: SpanId, flags: TraceFlags) -> Self {
        Self::with_ids(trace_id, span_id, flags)
    }

    /// [`Context::root`] with the tracestate inline, for targets without an
    /// allocator.
    ///
    /// ```
    /// use tracecontext::sampling::AlwaysOn;
    /// use tracecontext::{InlineContext, SeededIds};
    ///
    /// let (root, _) = InlineContext::<64>::root_inline(&mut SeededIds::new(1), &AlwaysOn);
    /// assert!(root.is_sampled());
    /// ```
    pub fn root_inline(
        ids: &mut (impl IdSource + ?Sized),
        sampler: &(impl Sampler + ?Sized),
    ) -> (Self, Decision) {
        Self::make_root(ids, sampler)
    }
}

impl<S: Storage> Context<S> {
    /// A local context with these IDs and no `tracestate`.
    pub(crate) const fn with_ids(trace_id: TraceId, span_id: SpanId, flags: TraceFlags) -> Self {
        let flags = flags.known();
        Self {
            header: TraceParent::new(trace_id, span_id, flags).encode_array(),
            flags,
            remote: false,
            parent_span_id: None,
            state: S::EMPTY,
        }
    }

    /// The context a caller sent: `traceparent` as read from `text`, and its
    /// `tracestate`.
    #[inline(always)]
    pub(crate) fn remote(
        traceparent: &TraceParent,
        text: &[u8; TraceParent::LEN],
        state: S,
    ) -> Self {
        Self {
            header: traceparent.resend(text),
            flags: traceparent.flags(),
            remote: true,
            parent_span_id: None,
            state,
        }
    }

    /// A new trace: IDs from `ids`, the sampler's decision applied.
    pub(crate) fn make_root(
        ids: &mut (impl IdSource + ?Sized),
        sampler: &(impl Sampler + ?Sized),
    ) -> (Self, Decision) {
        let random = ids.random_trace_ids();
        let trace_id = ids.trace_id();
        let flags = TraceFlags::NONE.with_random(random);
        let span_id = ids.span_id();
        let mut input = Input::root(trace_id, random);
        if !random {
            if let Some(bits) = ids.randomness() {
                input = input.with_fresh_randomness(bits);
            }
        }
        let decision = sampler.decide(&input);
        let flags = flags.with_sampled(decision.is_sampled());
        // Built where it is returned, its `ot` written in place.
        let mut made = (Self::with_ids(trace_id, span_id, flags), decision);
        match input.ot_update(&decision) {
            Ok(OtUpdate::Keep) => {}
            update => made.1 = made.0.write_ot(&input, decision, update),
        }
        made
    }

    /// The `traceparent` this context sends: its span-id is the parent-id.
    #[must_use]
    pub fn traceparent(&self) -> TraceParent {
        TraceParent::new(self.trace_id(), self.span_id(), self.flags)
    }

    /// The trace-id.
    #[must_use]
    pub fn trace_id(&self) -> TraceId {
        // The header holds a valid, non-zero trace-id: the fallback is never taken.
        TraceId::from_u128(hex::header_trace_id(&self.header)).unwrap_or(TraceId::MIN)
    }

    /// The span-id: for an extracted context the caller's span, for a child the new
    /// span.
    #[must_use]
    pub fn span_id(&self) -> SpanId {
        // The header holds a valid, non-zero span-id: the fallback is never taken.
        SpanId::from_u64(hex::header_span_id(&self.header)).unwrap_or(SpanId::MIN)
    }

    /// The trace-flags (reserved bits of an extracted context included, as read;
    /// injection writes only the known bits).
    #[must_use]
    pub const fn flags(&self) -> TraceFlags {
        self.flags
    }

    /// Whether the sampled flag is set.
    #[must_use]
    pub const fn is_sampled(&self) -> bool {
        self.flags.is_sampled()
    }

    /// Whether the random flag is set (rule [T12](crate::rules#t12)).
    #[must_use]
    pub const fn is_random(&self) -> bool {
        self.flags.is_random()
    }

    /// For a [child](Self::child), the span-id of the context it was made from (the
    /// parent of its span, for recording spans); `None` for an extracted context or
    /// a root.
    #[must_use]
    pub const fn parent_span_id(&self) -> Option<SpanId> {
        self.parent_span_id
    }

    /// Whether the context came from a caller ([`extract`]) rather than being made
    /// here.
    #[must_use]
    pub const fn is_remote(&self) -> bool {
        self.remote
    }

    /// The `tracestate` to forward, as a view: [`get`](TraceStateView::get),
    /// [`iter`](TraceStateView::iter), [`as_str`](TraceStateView::as_str) (the exact
    /// text sent; empty when there is none).
    #[must_use]
    pub fn tracestate(&self) -> TraceStateView<'_> {
        TraceStateView::trusted(self.state.as_str())
    }

    /// Edits the `tracestate` (rule [S8](crate::rules#s8)): `f` gets it as an owned
    /// [`TraceState`], and what it leaves is what the context forwards. Cut by rule
    /// [S9](crate::rules#s9) to 512 bytes (or to an inline context's capacity).
    ///
    /// ```
    /// use tracecontext::{Context, SpanId, TraceFlags, TraceId};
    ///
    /// let mut context = Context::new(
    ///     TraceId::from_static("4bf92f3577b34da6a3ce929d0e0e4736"),
    ///     SpanId::from_static("00f067aa0ba902b7"),
    ///     TraceFlags::SAMPLED,
    /// );
    /// context.edit_tracestate(|state| state.insert("vendor", "value"))?;
    /// assert_eq!(context.tracestate().as_str(), "vendor=value");
    /// # Ok::<(), tracecontext::Error>(())
    /// ```
    pub fn edit_tracestate<R>(&mut self, f: impl FnOnce(&mut TraceState) -> R) -> R {
        self.state.edit(f)
    }

    /// A child context: same trace-id and flags, a new span-id from `ids` (the
    /// normal case of rule [T11](crate::rules#t11)), this context's span as its
    /// parent. The `tracestate` is carried over unchanged.
    #[must_use]
    #[inline]
    pub fn child(&self, ids: &mut (impl IdSource + ?Sized)) -> Self {
        self.child_with_span_id(ids.span_id())
    }

    /// A child context with the span-id `span_id` (see [`child`](Self::child)), for
    /// span-ids chosen elsewhere.
    #[must_use]
    #[inline]
    pub fn child_with_span_id(&self, span_id: SpanId) -> Self {
        self.made_child(span_id, None)
    }

    /// A child with the span-id `span_id`, this context's tracestate, and its
    /// flags, or `flags` when given, as one expression so that it is built where
    /// the caller puts it: built in a local and then returned, it would be copied
    /// whole (for the hop's storage, its inline form included).
    #[inline(always)]
    fn made_child(&self, span_id: SpanId, flags: Option<TraceFlags>) -> Self {
        let mut header = self.header;
        hex::encode_words(hex::words_u64(span_id.to_u64()), &mut header, PARENT_ID_AT);
        let flags = match flags {
            Some(flags) => {
                let [hi, lo] = hex::byte_digits(flags.known().bits());
                header[FLAGS_AT] = hi;
                header[FLAGS_AT + 1] = lo;
                flags
            }
            // The header already holds these flags.
            None => self.flags,
        };
        Self {
            header,
            flags,
            remote: false,
            parent_span_id: Some(self.span_id()),
            state: self.state.clone(),
        }
    }

    /// A child context with a new span-id from `ids`, sampled as `sampler` decides
    /// for a span whose parent is this context (rule [T11](crate::rules#t11) allows
    /// the flag to change because the span-id does). The decision may update the
    /// child's `ot` tracestate member (rule [P6](crate::rules#p6)); when it leaves
    /// `ot` as it was, the `tracestate` is forwarded byte for byte.
    ///
    /// On a hot path, bind the pair by reference, `let (child, decision) =
    /// &parent.child_decided(..)`, to use the child where it was made: taken apart
    /// by value, the pair moves the child out of itself, which for the hop's
    /// [`Borrowed`] storage copies 784 bytes.
    ///
    /// ```
    /// use tracecontext::sampling::{ParentBased, Probability};
    /// use tracecontext::SeededIds;
    ///
    /// let incoming = [("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")];
    /// let extracted = tracecontext::extract(&incoming);
    /// let parent = extracted.parent().unwrap();
    /// let sampler = ParentBased::untrusted(Probability::new(0.01));
    /// let (child, decision) = parent.child_decided(&mut SeededIds::new(1), &sampler);
    /// // R = 0xce929d0e0e4736 is below th:fd70a (1%): not sampled (P7).
    /// assert!(!decision.is_sampled() && !child.is_sampled());
    /// ```
    #[inline(always)]
    pub fn child_decided(
        &self,
        ids: &mut (impl IdSource + ?Sized),
        sampler: &(impl Sampler + ?Sized),
    ) -> (Self, Decision) {
        let parent = if self.remote {
            Parent::Remote(self.flags)
        } else {
            Parent::Local(self.flags)
        };
        let input = Input::child(parent, self.trace_id(), self.state.ot_value());
        let decision = sampler.decide(&input);
        let span_id = ids.span_id();
        // A new span-id, so rule T11 lets the sampled flag change.
        let flags = self.flags.with_sampled(decision.is_sampled());
        match input.ot_update(&decision) {
            Ok(OtUpdate::Keep) => (self.made_child(span_id, Some(flags)), decision),
            update => self.child_writing_ot(span_id, flags, &input, decision, update),
        }
    }

    /// The part of [`child_decided`](Self::child_decided) that changes the `ot`
    /// member: apart, so that the common case, which leaves it alone, stays small.
    #[cold]
    #[inline(never)]
    fn child_writing_ot(
        &self,
        span_id: SpanId,
        flags: TraceFlags,
        input: &Input<'_>,
        decision: Decision,
        update: Result<OtUpdate, Error>,
    ) -> (Self, Decision) {
        let mut child = self.made_child(span_id, Some(flags));
        let decision = child.write_ot(input, decision, update);
        (child, decision)
    }

    /// Writes the `ot` member as `update` says, and gives the decision as it
    /// stands then. Cold: the common decision leaves `ot` alone.
    #[cold]
    fn write_ot(
        &mut self,
        input: &Input<'_>,
        decision: Decision,
        update: Result<OtUpdate, Error>,
    ) -> Decision {
        let written = match update {
            Ok(OtUpdate::Keep) => Ok(()),
            Ok(OtUpdate::Remove) => self.state.set_ot(None),
            Ok(OtUpdate::Set(value)) => self.state.set_ot(Some(&value)),
            Err(error) => Err(error),
        };
        match written {
            Ok(()) => decision,
            Err(error) => decision.refused(error, input.threshold()),
        }
    }

    /// The same context, owned: `'static`, `Send + Sync` and cheap to clone, for
    /// keeping past the request (a task, a queue, a retry loop). Copies the
    /// `tracestate` once, into an `Arc` (no allocation when it is empty, none for a
    /// context that is already `Shared`).
    #[cfg(feature = "alloc")]
    #[must_use]
    pub fn into_owned(self) -> Context<Shared> {
        Context {
            header: self.header,
            flags: self.flags,
            remote: self.remote,
            parent_span_id: self.parent_span_id,
            state: self.state.into_shared(),
        }
    }

    /// An owned copy of this context, keeping this one: `Context::from(&hop)` is
    /// `hop.clone().into_owned()` without the intermediate copy.
    #[cfg(feature = "alloc")]
    fn owned_copy(&self) -> Context<Shared> {
        Context {
            header: self.header,
            flags: self.flags,
            remote: self.remote,
            parent_span_id: self.parent_span_id,
            state: Shared::from_text(self.state.as_str()),
        }
    }

    /// The same context with its `tracestate` inline in `CAP` bytes (cut by rule
    /// [S9](crate::rules#s9) if longer): the owned context without an allocator.
    /// The inline form holds the members, so the text it forwards is normalised:
    /// no whitespace around members and no empty ones.
    #[must_use]
    pub fn into_inline<const CAP: usize>(self) -> Context<TraceState<CAP>> {
        let state = TraceState::trusted(self.state.as_str());
        self.with_state(state)
    }

    fn with_state<T: Storage>(self, state: T) -> Context<T> {
        Context {
            header: self.header,
            flags: self.flags,
            remote: self.remote,
            parent_span_id: self.parent_span_id,
            state,
        }
    }

    /// The header values to send: `traceparent` (version `00`, known flags only) and
    /// `tracestate` when it is not empty (rule [S10](crate::rules#s10)). Iterating
    /// gives `(name, value)` pairs, for request builders.
    #[must_use]
    #[inline]
    pub fn headers(&self) -> Headers<'_> {
        Headers::new(header_text(&self.header), self.state.as_str())
    }

    /// Writes this context into a carrier: `traceparent`, and `tracestate` when
    /// there is one, else removes a `tracestate` left in the carrier (rules
    /// [T1](crate::rules#t1), [S1](crate::rules#s1), [S10](crate::rules#s10)). A
    /// carrier of borrowed pairs keeps text borrowed from this context.
    ///
    /// ```
    /// use tracecontext::{Context, SpanId, TraceFlags, TraceId};
    ///
    /// let context = Context::new(
    ///     TraceId::from_static("4bf92f3577b34da6a3ce929d0e0e4736"),
    ///     SpanId::from_static("00f067aa0ba902b7"),
    ///     TraceFlags::SAMPLED,
    /// );
    /// let mut outgoing = [("", ""); 2];
    /// context.inject(&mut outgoing)?;
    /// assert_eq!(outgoing[0], ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    /// assert_eq!(outgoing[1], ("", "")); // no tracestate to send (S10)
    /// # Ok::<(), tracecontext::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When the carrier refuses a header, or has no room for it.
    #[inline]
    pub fn inject<'c, I: Injector<'c> + ?Sized>(&'c self, carrier: &mut I) -> Result<(), Error> {
        self.headers().inject(carrier)
    }

    /// The Server-Timing metric that tells the caller about this context (rule
    /// [R1](crate::rules#r1)): `trace;desc=00-<trace-id>-<span-id>-<flags>`. See
    /// [`response`](crate::response).
    #[must_use]
    pub fn server_timing(&self) -> Encoded<SERVER_TIMING_LEN> {
        crate::response::metric(&self.header)
    }
}

#[cfg(feature = "alloc")]
impl<S: Storage> From<&Context<S>> for Context<Shared> {
    /// An owned copy of `context` (see [`Context::into_owned`]), for keeping one
    /// while the original is still in use.
    ///
    /// ```
    /// use tracecontext::Context;
    ///
    /// let request = [("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")];
    /// let extracted = tracecontext::extract(&request);
    /// let hop = extracted.parent().unwrap();
    /// let kept = Context::from(hop);
    /// assert_eq!(&kept, hop);
    /// ```
    fn from(context: &Context<S>) -> Self {
        context.owned_copy()
    }
}

/// The encoded traceparent as text.
#[inline(always)]
fn header_text(header: &[u8; TraceParent::LEN]) -> &str {
    // Only ASCII is ever written into it.
    core::str::from_utf8(header).unwrap_or_default()
}

impl<S: Storage> Clone for Context<S> {
    #[inline]
    fn clone(&self) -> Self {
        Self {
            header: self.header,
            flags: self.flags,
            remote: self.remote,
            parent_span_id: self.parent_span_id,
            state: self.state.clone(),
        }
    }
}

/// Every field: the `traceparent` it sends, the flags as read (reserved bits
/// included), the `tracestate` text, the parent span-id and whether it came from a
/// caller. `Display` shows the `traceparent` alone.
impl<S: Storage> fmt::Debug for Context<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("traceparent", &header_text(&self.header))
            .field("flags", &self.flags)
            .field("tracestate", &self.state.as_str())
            .field("parent_span_id", &self.parent_span_id)
            .field("remote", &self.remote)
            .finish()
    }
}

impl<S: Storage> fmt::Display for Context<S> {
    /// The `traceparent` this context sends, as a log line would show it; the
    /// tracestate is left out (it is [`tracestate`](Context::tracestate)).
    ///
    /// ```
    /// use tracecontext::{Context, SpanId, TraceFlags, TraceId};
    ///
    /// let context = Context::new(
    ///     TraceId::from_static("4bf92f3577b34da6a3ce929d0e0e4736"),
    ///     SpanId::from_static("00f067aa0ba902b7"),
    ///     TraceFlags::SAMPLED,
    /// );
    /// assert_eq!(
    ///     context.to_string(),
    ///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    /// );
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(header_text(&self.header))
    }
}

impl<S: Storage, T: Storage> PartialEq<Context<T>> for Context<S> {
    /// Contexts are equal when they send the same headers, have the same flags as
    /// read, and have the same origin (remote, or local with the same parent span),
    /// wherever they keep their tracestate.
    fn eq(&self, other: &Context<T>) -> bool {
        self.header == other.header
            && self.flags == other.flags
            && self.parent_span_id == other.parent_span_id
            && self.remote == other.remote
            && self.state.as_str() == other.state.as_str()
    }
}

impl<S: Storage> Eq for Context<S> {}

impl<S: Storage> Hash for Context<S> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.header.hash(state);
        self.flags.hash(state);
        self.parent_span_id.hash(state);
        self.remote.hash(state);
        self.state.as_str().hash(state);
    }
}
