//! The propagation procedure: extract, continue or restart, inject.

use core::fmt;

use crate::carrier::{Extractor, InjectError, Injector};
use crate::encoded::Encoded;
use crate::error::{Error, ErrorKind, Reason};
use crate::flags::TraceFlags;
use crate::id::{SpanId, TraceId};
use crate::random::IdSource;
use crate::sampling::{Decision, Parent, Sampler};
use crate::traceparent::{TraceParent, trim_ows};
use crate::tracestate::{TraceState, TraceStateView, Validation};
use crate::{TRACEPARENT, TRACESTATE};

/// Reads the trace context of an incoming request, strictly.
///
/// Follows rules T1, T7, T9, T10, S1, S2 and S6: the result says whether the
/// request [continues](Extracted::Continued) a trace, carries
/// [none](Extracted::Missing), or carries an [invalid](Extracted::Invalid) one, and
/// in the last two cases the incoming `tracestate` is not even read. Nothing is
/// allocated: a single valid `tracestate` field is kept as a borrowed slice of the
/// carrier and forwarded verbatim, several fields are joined into an inline
/// [`TraceState`] of 512 bytes (cut by rule S9 if longer).
///
/// ```
/// use tracecontext::{Extracted, SpanId, TraceFlags, TraceId};
///
/// let incoming = [
///     ("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
///     ("tracestate", "congo=t61rcWkgMzE"),
/// ];
/// let span_id = SpanId::from_u64(0x53995c3f42cd8ad8).unwrap();
/// let context = match tracecontext::extract(&incoming) {
///     Extracted::Continued { parent, .. } => parent.child(span_id),
///     restart => {
///         // Missing or invalid: start a new trace, and say why.
///         eprintln!("{restart}");
///         let trace_id = TraceId::from_u128(0x0af7651916cd43dd8448eb211c80319c).unwrap();
///         tracecontext::Context::root(trace_id, span_id, TraceFlags::SAMPLED)
///     }
/// };
///
/// // Borrowed pairs take the encoded headers without a copy; a `Vec`, a map or an
/// // `http::HeaderMap` works the same way with `context.inject(&mut carrier)`.
/// let headers = context.headers();
/// let mut outgoing = [("", ""); 2];
/// headers.inject(&mut outgoing)?;
/// assert_eq!(outgoing, [
///     ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-53995c3f42cd8ad8-01"),
///     ("tracestate", "congo=t61rcWkgMzE"),
/// ]);
/// # Ok::<(), tracecontext::InjectError>(())
/// ```
#[inline]
pub fn extract<E: Extractor + ?Sized>(carrier: &E) -> Extracted<'_> {
    Extracted::from_carrier(carrier, Validation::Strict)
}

/// What [`extract`] found in a request.
///
/// `Display` gives a one-line account for logs, such as
/// `invalid traceparent, new trace: traceparent: all zeros is not allowed in trace-id at byte 3`.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // inline on purpose: extraction never allocates
pub enum Extracted<'a> {
    /// A valid `traceparent`: continue its trace from `parent`.
    Continued {
        /// The caller's context: its trace-id, span-id (the parent of this service's
        /// spans), flags and `tracestate`.
        parent: Context<'a>,
        /// Why the incoming `tracestate` was dropped, if it was (rule S6). The trace
        /// continues regardless (T9: a tracestate error never invalidates the
        /// traceparent).
        tracestate_error: Option<Error>,
    },
    /// No `traceparent`: start a new trace (rule T10). Any `tracestate` was ignored.
    Missing,
    /// An invalid `traceparent`, or more than one (rule T7): start a new trace
    /// (rule T9). The `tracestate` was ignored unread.
    Invalid(Error),
}

impl<'a> Extracted<'a> {
    /// Reads the trace context from `carrier`, with the given `tracestate`
    /// validation. [`extract`] is this with [`Validation::Strict`].
    ///
    /// ```
    /// use tracecontext::{Extracted, Validation};
    ///
    /// let incoming = [
    ///     ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    ///     ("tracestate", "ok=1,Bad=2"),
    /// ];
    /// let lenient = Extracted::from_carrier(&incoming, Validation::Lenient);
    /// assert_eq!(lenient.parent().unwrap().tracestate(), "ok=1");
    /// // Strict (the default) drops the whole list, and says why.
    /// let strict = tracecontext::extract(&incoming);
    /// assert_eq!(strict.parent().unwrap().tracestate(), "");
    /// assert!(strict.tracestate_error().is_some());
    /// ```
    #[inline]
    pub fn from_carrier<E: Extractor + ?Sized>(carrier: &'a E, validation: Validation) -> Self {
        let mut fields = carrier.get_all(TRACEPARENT);
        let Some(first) = fields.next() else {
            return Self::Missing;
        };
        if fields.next().is_some() {
            return Self::Invalid(Error::new(ErrorKind::Duplicate, Reason::Repeated, 0));
        }
        let traceparent = match TraceParent::parse(first) {
            Ok(traceparent) => traceparent,
            Err(error) => return Self::Invalid(error),
        };
        // Each arm builds the result where it is returned: a state moved through a
        // local would be a 700-byte copy.
        match read_state(carrier, validation) {
            Read::Empty => Self::continued(traceparent, State::Borrowed(""), None),
            Read::Field(text) => Self::continued(traceparent, State::Borrowed(text), None),
            Read::Invalid(error) => Self::continued(traceparent, State::Borrowed(""), Some(error)),
            Read::Fields => match join(carrier, validation) {
                Ok(state) => Self::continued(traceparent, State::Owned(state), None),
                Err(error) => Self::continued(traceparent, State::Borrowed(""), Some(error)),
            },
        }
    }

    #[inline(always)]
    fn continued(traceparent: TraceParent, state: State<'a>, error: Option<Error>) -> Self {
        Self::Continued {
            parent: Context {
                traceparent,
                parent_span_id: None,
                remote: true,
                state,
            },
            tracestate_error: error,
        }
    }

    /// The caller's context, when the trace continues.
    #[must_use]
    pub fn parent(&self) -> Option<&Context<'a>> {
        match self {
            Self::Continued { parent, .. } => Some(parent),
            _ => None,
        }
    }

    /// The caller's context, when the trace continues.
    #[must_use]
    pub fn into_parent(self) -> Option<Context<'a>> {
        match self {
            Self::Continued { parent, .. } => Some(parent),
            _ => None,
        }
    }

    /// Why the trace restarts: the `traceparent` error, for [`Invalid`](Self::Invalid).
    #[must_use]
    pub fn traceparent_error(&self) -> Option<&Error> {
        match self {
            Self::Invalid(error) => Some(error),
            _ => None,
        }
    }

    /// Why the incoming `tracestate` was dropped from a continued trace.
    #[must_use]
    pub fn tracestate_error(&self) -> Option<&Error> {
        match self {
            Self::Continued {
                tracestate_error, ..
            } => tracestate_error.as_ref(),
            _ => None,
        }
    }

    /// This service's context: a [child](Context::child) of the caller's with
    /// `span_id` when the trace continues, else a new [root](Context::root) with
    /// `trace_id`, `span_id` and `root_flags`.
    ///
    /// Give `root_flags` the random flag only when `trace_id` is random (rule T12).
    #[must_use]
    pub fn child_or_root(
        &self,
        span_id: SpanId,
        trace_id: TraceId,
        root_flags: TraceFlags,
    ) -> Context<'a> {
        match self {
            Self::Continued { parent, .. } => parent.child(span_id),
            _ => Context::root(trace_id, span_id, root_flags),
        }
    }
}

impl<'a> Extracted<'a> {
    /// This service's context, with IDs drawn from `ids`: a child of the caller's
    /// (one new span-id) when the trace continues, else a new root (a new trace-id
    /// and span-id, the random flag when `ids` promises random trace-ids, rule T12)
    /// with the sampled flag `sampled_if_root`.
    #[must_use]
    pub fn child_or_root_from(
        &self,
        ids: &mut impl IdSource,
        sampled_if_root: bool,
    ) -> Context<'a> {
        match self {
            Self::Continued { parent, .. } => parent.child_from(ids),
            _ => Context::root_from(ids, sampled_if_root),
        }
    }
}

impl<'a> Extracted<'a> {
    /// This service's context and the sampler's decision for it: a child of the
    /// caller's ([`Context::child_decided`]) when the trace continues, else a new
    /// root ([`Context::root_decided`]).
    pub fn child_or_root_decided(
        &self,
        ids: &mut impl IdSource,
        sampler: &mut impl Sampler,
    ) -> (Context<'a>, Decision) {
        match self {
            Self::Continued { parent, .. } => parent.child_decided(ids, sampler),
            _ => Context::root_decided(ids, sampler),
        }
    }
}

impl fmt::Display for Extracted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Continued {
                parent,
                tracestate_error: None,
            } => write!(f, "continued trace {}", parent.trace_id()),
            Self::Continued {
                parent,
                tracestate_error: Some(error),
            } => write!(
                f,
                "continued trace {}, tracestate dropped: {error}",
                parent.trace_id()
            ),
            Self::Missing => f.write_str("no traceparent, new trace"),
            Self::Invalid(error) => write!(f, "invalid traceparent, new trace: {error}"),
        }
    }
}

/// What the `tracestate` fields of a request hold, found without copying them.
enum Read<'a> {
    /// No members.
    Empty,
    /// One valid field, to forward as it is.
    Field(&'a str),
    /// Several fields, or a lenient read: the list must be built ([`join`]).
    Fields,
    /// An invalid list.
    Invalid(Error),
}

/// Reads the `tracestate` fields of a request whose traceparent is valid.
#[inline]
fn read_state<'a, E: Extractor + ?Sized>(carrier: &'a E, validation: Validation) -> Read<'a> {
    let mut fields = carrier.get_all(TRACESTATE);
    let Some(first) = fields.next() else {
        return Read::Empty;
    };
    if fields.next().is_some() || validation != Validation::Strict {
        return Read::Fields;
    }
    // One field, valid as a whole: forward it as it came (less the whitespace around
    // it), with no copy.
    match TraceStateView::parse(first) {
        Ok(view) if view.is_empty() => Read::Empty,
        // Valid members are ASCII, so this never fails.
        Ok(_) => Read::Field(core::str::from_utf8(trim_ows(first).1).unwrap_or_default()),
        Err(error) => Read::Invalid(error),
    }
}

/// Several fields are joined (S2), and a lenient read keeps only the valid members:
/// either way the list to forward is a new one.
#[inline(never)]
fn join<E: Extractor + ?Sized>(carrier: &E, validation: Validation) -> Result<TraceState, Error> {
    let fields = Refetch {
        fetch: || carrier.get_all(TRACESTATE),
        fields: carrier.get_all(TRACESTATE),
        taken: 0,
    };
    TraceState::parse_fields_with(fields, validation)
}

/// An iterator over a carrier's fields that clones by asking the carrier again, so
/// that carriers need not hand out cloneable iterators.
struct Refetch<F, I> {
    fetch: F,
    fields: I,
    taken: usize,
}

impl<'a, F: Fn() -> I, I: Iterator<Item = &'a [u8]>> Iterator for Refetch<F, I> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let field = self.fields.next()?;
        self.taken += 1;
        Some(field)
    }
}

impl<'a, F: Fn() -> I + Clone, I: Iterator<Item = &'a [u8]>> Clone for Refetch<F, I> {
    fn clone(&self) -> Self {
        let mut fields = (self.fetch)();
        for _ in 0..self.taken {
            fields.next();
        }
        Self {
            fetch: self.fetch.clone(),
            fields,
            taken: self.taken,
        }
    }
}

/// The tracestate a context forwards.
#[allow(clippy::large_enum_variant)] // inline on purpose: no allocator needed
enum State<'a> {
    /// A validated single field, forwarded verbatim; `""` when there is none.
    Borrowed(&'a str),
    /// A list that was joined, filtered or changed.
    Owned(TraceState),
}

impl Clone for State<'_> {
    /// Copies only what the variant holds: a derived `clone` copies the whole enum,
    /// 700 bytes, even for a borrowed slice.
    #[inline]
    fn clone(&self) -> Self {
        match self {
            Self::Borrowed(text) => Self::Borrowed(text),
            Self::Owned(state) => Self::Owned(copy_state(state)),
        }
    }
}

#[cold]
#[inline(never)]
fn copy_state(state: &TraceState) -> TraceState {
    state.clone()
}

impl State<'_> {
    fn as_str(&self) -> &str {
        match self {
            Self::Borrowed(text) => text,
            Self::Owned(state) => state.as_str(),
        }
    }
}

/// A trace context: a `traceparent` and the `tracestate` that goes with it.
///
/// A context either came from a caller ([`extract`], [`is_remote`](Self::is_remote))
/// or was made here: a [`root`](Self::root) for a new trace, or a
/// [`child`](Self::child) of another context. Its [`span_id`](Self::span_id) is the
/// span that the next hop sees as its parent.
///
/// The only ways to change a context are the ones rule T11 allows: a child takes a
/// new span-id and keeps the trace-id and the random flag exactly; the sampled flag
/// changes only together with a new span-id
/// ([`child_with_sampled`](Self::child_with_sampled)); the `tracestate` may be
/// edited ([`tracestate_mut`](Self::tracestate_mut)); a restart is a new root.
/// Injection always writes version `00` (T5).
///
/// The `'a` lifetime is that of the carrier the context was extracted from, whose
/// `tracestate` it forwards without copying; [`into_owned`](Self::into_owned) copies
/// it to keep the context longer (for a queue, a task, a retry loop).
#[derive(Clone)]
pub struct Context<'a> {
    traceparent: TraceParent,
    /// The span this context's span is a child of, when it was made here.
    parent_span_id: Option<SpanId>,
    remote: bool,
    state: State<'a>,
}

impl Context<'static> {
    /// A new trace (a restart, rule T9/T10), with no `tracestate`.
    ///
    /// Set the random flag in `flags` only when the right-most 7 bytes of
    /// `trace_id` are uniformly random (rule T12). Reserved flag bits are dropped.
    #[must_use]
    pub const fn root(trace_id: TraceId, span_id: SpanId, flags: TraceFlags) -> Self {
        Self::new(TraceParent::new(trace_id, span_id, flags.known()))
    }

    /// A new trace with IDs from `ids`: the random flag is set exactly when `ids`
    /// promises random trace-ids (rule T12), the sampled flag as given.
    #[must_use]
    pub fn root_from(ids: &mut impl IdSource, sampled: bool) -> Self {
        let flags = TraceFlags::NONE
            .with_random(ids.random_trace_ids())
            .with_sampled(sampled);
        let trace_id = ids.trace_id();
        Self::root(trace_id, ids.span_id(), flags)
    }

    /// A new trace with IDs from `ids`, sampled as `sampler` decides for a span
    /// with no parent; the decision may add `ot=th:...` to the new `tracestate`.
    pub fn root_decided(ids: &mut impl IdSource, sampler: &mut impl Sampler) -> (Self, Decision) {
        let mut root = Self::root_from(ids, false);
        let decision = root.decide(Parent::None, sampler);
        (root, decision)
    }

    /// A local context with this `traceparent` and no `tracestate`.
    #[must_use]
    pub const fn new(traceparent: TraceParent) -> Self {
        Self {
            traceparent,
            parent_span_id: None,
            remote: false,
            state: State::Borrowed(""),
        }
    }
}

impl<'a> Context<'a> {
    /// This context with `tracestate` as its state.
    #[must_use]
    pub fn with_tracestate(self, tracestate: TraceState) -> Self {
        Self {
            state: State::Owned(tracestate),
            ..self
        }
    }

    /// The `traceparent` this context sends: its span-id is the parent-id.
    #[must_use]
    pub const fn traceparent(&self) -> TraceParent {
        self.traceparent
    }

    /// The trace-id.
    #[must_use]
    pub const fn trace_id(&self) -> TraceId {
        self.traceparent.trace_id()
    }

    /// The span-id: for an extracted context the caller's span, for a child the new
    /// span.
    #[must_use]
    pub const fn span_id(&self) -> SpanId {
        self.traceparent.parent_id()
    }

    /// The trace-flags (reserved bits of an extracted context included, as read;
    /// injection writes only the known bits).
    #[must_use]
    pub const fn flags(&self) -> TraceFlags {
        self.traceparent.flags()
    }

    /// Whether the sampled flag is set.
    #[must_use]
    pub const fn is_sampled(&self) -> bool {
        self.traceparent.is_sampled()
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

    /// The encoded `tracestate` to forward; empty when there is none.
    #[must_use]
    pub fn tracestate(&self) -> &str {
        self.state.as_str()
    }

    /// The `tracestate`, for editing (rule S8). The first call on an extracted
    /// context copies the forwarded text into an inline state, cut by rule S9 if it
    /// is longer than 512 bytes.
    pub fn tracestate_mut(&mut self) -> &mut TraceState {
        if let State::Borrowed(text) = self.state {
            // Only validated text is borrowed, so parsing cannot fail.
            self.state = State::Owned(TraceState::parse(text.as_bytes()).unwrap_or_default());
        }
        match &mut self.state {
            State::Owned(state) => state,
            State::Borrowed(_) => unreachable!("converted above"),
        }
    }

    /// A child context: same trace-id and flags, `span_id` as the new span (the
    /// normal case of rule T11). The `tracestate` is carried over.
    #[must_use]
    #[inline]
    pub fn child(&self, span_id: SpanId) -> Self {
        self.derive(self.traceparent.with_parent_id(span_id))
    }

    /// A child context with a new span-id from `ids` (see [`child`](Self::child)).
    #[must_use]
    #[inline]
    pub fn child_from(&self, ids: &mut impl IdSource) -> Self {
        self.child(ids.span_id())
    }

    /// A child context with a new span-id from `ids`, sampled as `sampler` decides
    /// for a span whose parent is this context (rule T11 allows the flag to change
    /// because the span-id does). The decision may update the child's `ot`
    /// tracestate member (P6), which copies the `tracestate` into the child.
    ///
    /// ```
    /// use tracecontext::sampling::{ParentBased, Probability};
    /// use tracecontext::SeededIds;
    ///
    /// let incoming = [("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")];
    /// let extracted = tracecontext::extract(&incoming);
    /// let parent = extracted.parent().unwrap();
    /// let mut ids = SeededIds::new(1);
    /// let mut sampler = ParentBased::untrusted(Probability::new(0.01));
    /// let (child, decision) = parent.child_decided(&mut ids, &mut sampler);
    /// // R = 0xce929d0e0e4736 is below th:fd70a (1%): not sampled (P7).
    /// assert!(!decision.sampled() && !child.is_sampled());
    /// ```
    pub fn child_decided(
        &self,
        ids: &mut impl IdSource,
        sampler: &mut impl Sampler,
    ) -> (Self, Decision) {
        let mut child = self.child_from(ids);
        let decision = child.decide(Parent::of(self), sampler);
        (child, decision)
    }

    /// Applies `sampler`'s decision to a context just made (a new span-id, so T11
    /// allows the sampled flag to change): its flag and its `tracestate`.
    fn decide(&mut self, parent: Parent, sampler: &mut impl Sampler) -> Decision {
        let decision = sampler.decide(parent, self.trace_id(), self.tracestate_mut());
        self.traceparent = self
            .traceparent
            .with_flags(self.flags().with_sampled(decision.sampled()));
        decision
    }

    /// A child context whose sampled flag is `sampled`: the only way to change the
    /// flag, together with a new span-id (rule T11). The random flag is kept.
    #[must_use]
    pub fn child_with_sampled(&self, span_id: SpanId, sampled: bool) -> Self {
        let flags = self.flags().with_sampled(sampled);
        self.derive(self.traceparent.with_parent_id(span_id).with_flags(flags))
    }

    /// A local context with `traceparent`, this context's span as its parent, and
    /// this context's state. Each arm builds the whole result: going through a cloned
    /// `State` would copy all 700 bytes of it even for a borrowed slice.
    #[inline]
    fn derive(&self, traceparent: TraceParent) -> Self {
        let parent_span_id = Some(self.span_id());
        match &self.state {
            State::Borrowed(text) => Self {
                traceparent,
                parent_span_id,
                remote: false,
                state: State::Borrowed(text),
            },
            State::Owned(state) => Self {
                traceparent,
                parent_span_id,
                remote: false,
                state: State::Owned(copy_state(state)),
            },
        }
    }

    /// The same context, with its `tracestate` copied so that it no longer borrows
    /// from the carrier.
    #[must_use]
    pub fn into_owned(self) -> Context<'static> {
        let state = match self.state {
            State::Borrowed("") => State::Borrowed(""),
            State::Borrowed(text) => {
                State::Owned(TraceState::parse(text.as_bytes()).unwrap_or_default())
            }
            State::Owned(state) => State::Owned(state),
        };
        Context {
            traceparent: self.traceparent,
            parent_span_id: self.parent_span_id,
            remote: self.remote,
            state,
        }
    }

    /// The header values to send: `traceparent` encoded on the stack (version `00`,
    /// known flags only) and `tracestate` when it is not empty (rule S10).
    #[must_use]
    #[inline]
    pub fn headers(&self) -> Headers<'_> {
        let tracestate = self.state.as_str();
        Headers {
            traceparent: self.traceparent.encode(),
            tracestate: if tracestate.is_empty() {
                None
            } else {
                Some(tracestate)
            },
        }
    }

    /// Writes this context into a carrier that copies what it is given: `traceparent`,
    /// and `tracestate` when there is one, else removes a `tracestate` left in the
    /// carrier (rules T1, S1, S10). For a carrier of borrowed pairs, use
    /// [`headers`](Self::headers) and [`Headers::inject`].
    ///
    /// # Errors
    ///
    /// When the carrier refuses a header, or has no room for it.
    pub fn inject<I: for<'v> Injector<'v> + ?Sized>(
        &self,
        carrier: &mut I,
    ) -> Result<(), InjectError> {
        self.headers().inject(carrier)
    }

    /// The Server-Timing metric that tells the caller about this context (rule R1):
    /// `trace;desc=00-<trace-id>-<span-id>-<flags>`. See
    /// [`response`](crate::response).
    #[must_use]
    pub fn server_timing(&self) -> Encoded<{ crate::response::SERVER_TIMING_LEN }> {
        crate::response::server_timing(&self.traceparent)
    }
}

impl fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("traceparent", &self.traceparent)
            .field("tracestate", &self.state.as_str())
            .field("parent_span_id", &self.parent_span_id)
            .field("remote", &self.remote)
            .finish()
    }
}

impl PartialEq for Context<'_> {
    /// Contexts are equal when they send the same headers and have the same origin
    /// (remote, or local with the same parent span).
    fn eq(&self, other: &Self) -> bool {
        self.traceparent == other.traceparent
            && self.parent_span_id == other.parent_span_id
            && self.remote == other.remote
            && self.state.as_str() == other.state.as_str()
    }
}

impl Eq for Context<'_> {}

/// The encoded headers of a [`Context`], ready to write: from
/// [`Context::headers`].
///
/// ```
/// use tracecontext::{Context, SpanId, TraceFlags, TraceId};
///
/// let context = Context::root(
///     TraceId::from_u128(0x4bf92f3577b34da6a3ce929d0e0e4736).unwrap(),
///     SpanId::from_u64(0x00f067aa0ba902b7).unwrap(),
///     TraceFlags::SAMPLED,
/// );
/// let headers = context.headers();
///
/// // A fixed carrier of borrowed pairs: no allocation, no copy.
/// let mut outgoing = [("", ""); 4];
/// headers.inject(&mut outgoing)?;
/// assert_eq!(outgoing[0], ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
/// assert_eq!(outgoing[1], ("", "")); // no tracestate to send (S10)
/// # Ok::<(), tracecontext::InjectError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Headers<'s> {
    traceparent: Encoded<{ TraceParent::LEN }>,
    tracestate: Option<&'s str>,
}

impl<'s> Headers<'s> {
    /// The `traceparent` value.
    #[must_use]
    pub fn traceparent(&self) -> &str {
        self.traceparent.as_str()
    }

    /// The `tracestate` value, or `None` when there is none to send (rule S10).
    #[must_use]
    pub const fn tracestate(&self) -> Option<&'s str> {
        self.tracestate
    }

    /// Writes the headers into `carrier` under lowercase names; when there is no
    /// `tracestate`, removes one left in the carrier.
    ///
    /// # Errors
    ///
    /// When the carrier refuses a header, or has no room for it.
    pub fn inject<'v, I: Injector<'v> + ?Sized>(
        &'v self,
        carrier: &mut I,
    ) -> Result<(), InjectError> {
        carrier.set(TRACEPARENT, self.traceparent.as_str())?;
        match self.tracestate {
            Some(tracestate) => carrier.set(TRACESTATE, tracestate),
            None => {
                carrier.remove(TRACESTATE);
                Ok(())
            }
        }
    }
}
