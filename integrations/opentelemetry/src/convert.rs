//! The core's context to and from OpenTelemetry's `SpanContext` and `TraceState`.
//!
//! What each direction loses:
//!
//! | from → to | lost |
//! |---|---|
//! | core `tracestate` → OpenTelemetry `TraceState` | members whose key OpenTelemetry's key check refuses. It checks keys by the Level 1 grammar: a multi-tenant key must be `tenant@system` with at most 13 characters after one `@` and a system starting with a letter or digit (`foo@@bar`, `a@b@c` and `t@-x` are refused; the core takes them by Level 2), and a later member with a key seen before. The count is returned. |
//! | core flags → OpenTelemetry `TraceFlags` | nothing: the sampled and random bits go through; reserved bits are not sent by either side. |
//! | OpenTelemetry `TraceState` → core `tracestate` | members the core refuses (OpenTelemetry only checks values for `,` and `=`, so it may hold a control character; a space at a value's end is read as whitespace after the member and dropped) and members past 512 bytes (rule S9 cuts from the right, long members first). |
//! | OpenTelemetry `SpanContext` → core `Context` | the parent span-id the core keeps for a context made here (OpenTelemetry does not keep it). |
//!
//! ```
//! use tracecontext::TraceStateView;
//! use tracecontext_opentelemetry::convert;
//!
//! let view = TraceStateView::parse(b"congo=t61rcWkgMzE,foo@@bar=1,rojo=00f067aa0ba902b7")?;
//! let (state, refused) = convert::to_trace_state(&view);
//! assert_eq!(state.header(), "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
//! assert_eq!(refused, 1); // foo@@bar: Level 2 allows it, OpenTelemetry's check does not
//! # Ok::<(), tracecontext::Error>(())
//! ```

use opentelemetry::trace::{
    SpanContext, SpanId as OtelSpanId, TraceFlags as OtelFlags, TraceId as OtelTraceId, TraceState,
};
use tracecontext::context::Storage;
use tracecontext::tracestate::{MAX_MEMBERS, TraceState as OwnedState};
use tracecontext::{
    Context, Extracted, SpanId, TraceFlags, TraceId, TraceParent, TraceStateView, Validation,
};

/// The core's trace-id as OpenTelemetry's.
#[must_use]
pub const fn to_trace_id(trace_id: TraceId) -> OtelTraceId {
    OtelTraceId::from_bytes(trace_id.to_bytes())
}

/// The core's span-id as OpenTelemetry's.
#[must_use]
pub const fn to_span_id(span_id: SpanId) -> OtelSpanId {
    OtelSpanId::from_bytes(span_id.to_bytes())
}

/// The core's flags as OpenTelemetry's: the sampled and random bits (rules [T11](tracecontext::rules#t11),
/// [T12](tracecontext::rules#t12)); reserved bits are dropped.
#[must_use]
pub const fn to_flags(flags: TraceFlags) -> OtelFlags {
    OtelFlags::new(flags.known().bits())
}

/// OpenTelemetry's trace-id as the core's; `None` for the invalid (all-zero) one.
#[must_use]
pub const fn from_trace_id(trace_id: OtelTraceId) -> Option<TraceId> {
    TraceId::from_bytes(trace_id.to_bytes())
}

/// OpenTelemetry's span-id as the core's; `None` for the invalid (all-zero) one.
#[must_use]
pub const fn from_span_id(span_id: OtelSpanId) -> Option<SpanId> {
    SpanId::from_bytes(span_id.to_bytes())
}

/// OpenTelemetry's flags as the core's: the sampled and random bits are kept.
#[must_use]
pub fn from_flags(flags: OtelFlags) -> TraceFlags {
    TraceFlags::from_bits(flags.to_u8()).known()
}

/// The core's `tracestate` as OpenTelemetry's `TraceState`, in the same order,
/// with the number of members it does not hold: those OpenTelemetry refuses (see
/// the module docs), and any later member with a key seen before (only the
/// left-most counts, rule [S7](tracecontext::rules#s7)). The others are kept.
#[must_use]
pub fn to_trace_state(view: &TraceStateView<'_>) -> (TraceState, usize) {
    let mut members = [("", ""); MAX_MEMBERS];
    let count = collect(view, &mut members);
    from_members(&members[..count])
}

/// Puts the members of `view` (at most 32, as validated) into `out`; returns how
/// many.
pub(crate) fn collect<'a>(
    view: &TraceStateView<'a>,
    out: &mut [(&'a str, &'a str); MAX_MEMBERS],
) -> usize {
    let mut count = 0;
    for (slot, member) in out.iter_mut().zip(view.iter()) {
        *slot = member;
        count += 1;
    }
    count
}

/// OpenTelemetry's `TraceState` of these members, and how many it refused.
pub(crate) fn from_members(members: &[(&str, &str)]) -> (TraceState, usize) {
    if members.is_empty() {
        return (TraceState::NONE, 0);
    }
    let first = || first_of_each_key(|| members.iter().copied());
    if first().count() < members.len() {
        // A key that comes again: only the left-most member counts (rule
        // [S7](tracecontext::rules#s7)), and OpenTelemetry's `TraceState` would
        // keep both.
        let first: Vec<(&str, &str)> = first().collect();
        let (state, refused) = from_members(&first);
        return (state, refused + members.len() - first.len());
    }
    if let Ok(state) = TraceState::from_key_value(members.iter().copied()) {
        return (state, 0);
    }
    // One member or more is refused, and OpenTelemetry then refuses the list: ask
    // for each member alone (at most 32) and keep the ones it takes.
    let kept: Vec<(&str, &str)> = members
        .iter()
        .copied()
        .filter(|&(key, value)| TraceState::NONE.insert(key, value).is_ok())
        .collect();
    let refused = members.len() - kept.len();
    let state = TraceState::from_key_value(kept).unwrap_or(TraceState::NONE);
    (state, refused)
}

/// The members whose key no member before them has (rule
/// [S7](tracecontext::rules#s7): only the left-most member of a key counts).
pub(crate) fn first_of_each_key<'a, I>(
    members: impl Fn() -> I,
) -> impl Iterator<Item = (&'a str, &'a str)>
where
    I: Iterator<Item = (&'a str, &'a str)>,
{
    members()
        .enumerate()
        .filter(move |&(index, (key, _))| !members().take(index).any(|(k, _)| k == key))
        .map(|(_, member)| member)
}

/// The core's context as OpenTelemetry's `SpanContext`: the same IDs and flags,
/// remote when the context came from a request, and the `tracestate` as
/// [`to_trace_state`] converts it.
#[must_use]
pub fn to_span_context<S: Storage>(context: &Context<S>) -> SpanContext {
    SpanContext::new(
        to_trace_id(context.trace_id()),
        to_span_id(context.span_id()),
        to_flags(context.flags()),
        context.is_remote(),
        to_trace_state(&context.tracestate()).0,
    )
}

/// OpenTelemetry's `SpanContext` as the core's owned context; `None` when it is
/// not valid. A remote span context gives a remote context (its children are
/// decided as below a remote parent). Members of the `TraceState` the core
/// refuses are dropped, and the list is cut to 512 bytes (see the module docs).
///
/// ```
/// use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
/// use tracecontext_opentelemetry::convert;
///
/// let span_context = SpanContext::new(
///     TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
///     SpanId::from_hex("00f067aa0ba902b7").unwrap(),
///     TraceFlags::new(0x03), // sampled and random
///     true,
///     TraceState::from_key_value([("congo", "t61rcWkgMzE")]).unwrap(),
/// );
/// let context = convert::from_span_context(&span_context).unwrap();
/// assert_eq!(
///     context.headers().traceparent(),
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03"
/// );
/// assert_eq!(context.tracestate().as_str(), "congo=t61rcWkgMzE");
/// assert!(context.is_remote());
/// ```
#[must_use]
pub fn from_span_context(span_context: &SpanContext) -> Option<Context> {
    let trace_id = from_trace_id(span_context.trace_id())?;
    let span_id = from_span_id(span_context.span_id())?;
    let flags = from_flags(span_context.trace_flags());
    let state = span_context.trace_state();
    if span_context.is_remote() {
        // A remote context is one read from a request: read it so.
        let traceparent = TraceParent::new(trace_id, span_id, flags).encode();
        let tracestate = state.header();
        let carrier = [
            ("traceparent", traceparent.as_str()),
            ("tracestate", tracestate.as_str()),
        ];
        let extracted = Extracted::from_carrier(&carrier, Validation::Lenient);
        return extracted.into_parent().map(|parent| parent.into_owned());
    }
    let mut context = Context::new(trace_id, span_id, flags);
    let header = state.header();
    context.edit_tracestate(|edited| {
        *edited = OwnedState::parse_fields_with([header.as_bytes()], Validation::Lenient)
            .unwrap_or_default();
    });
    Some(context)
}
