//! The trace context propagator: `traceparent` and `tracestate` by the core's rules.

use std::fmt;
use std::sync::LazyLock;

use opentelemetry::propagation::text_map_propagator::FieldIter;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{SpanContext, TraceContextExt as _, TraceState};
use opentelemetry::{Context, trace::TraceId as OtelTraceId};
use tracecontext::tracestate::MAX_MEMBERS;
use tracecontext::{
    Error, Extracted, TRACEPARENT, TRACESTATE, TraceParent, TraceStateView, Validation,
};

use crate::baggage::{Dropped, DroppedBaggage};
use crate::carrier::Incoming;
use crate::convert;

static FIELDS: LazyLock<[String; 2]> =
    LazyLock::new(|| [TRACEPARENT.to_owned(), TRACESTATE.to_owned()]);

/// A `TextMapPropagator` for W3C Trace Context with the core's rules, in place of
/// `opentelemetry_sdk::propagation::TraceContextPropagator`.
///
/// Extraction:
///
/// - reads every `traceparent` field: two or more restart the trace (rule [T7](tracecontext::rules#t7)), as
///   does an invalid one ([T9](tracecontext::rules#t9)); a restart leaves the given context as it was;
/// - reads every `tracestate` field as one list ([S2](tracecontext::rules#s2)); an invalid member, or more
///   than 32 members, drops the whole list by default ([S5](tracecontext::rules#s5), [S6](tracecontext::rules#s6)), while the trace
///   continues; [`lenient`](Self::lenient) keeps the valid members instead;
/// - keeps the random flag ([T11](tracecontext::rules#t11), [T12](tracecontext::rules#t12)) in the remote `SpanContext`, so the SDK's
///   spans carry it on;
/// - says what happened: [`ExtractionExt::extraction`] on the returned context.
///
/// Injection writes the current span's context: `traceparent` with the sampled
/// and random flags, and `tracestate` only when it has members (rule
/// [S10](tracecontext::rules#s10)), checked by the core's grammar. A `tracestate`
/// that arrived in one field, was read strictly and was not changed on the way
/// is sent exactly as received, even the members OpenTelemetry's `TraceState`
/// could not hold (see [`convert`](crate::convert)); one read leniently or from
/// several fields is sent as the valid members joined by commas.
///
/// ```
/// use opentelemetry::propagation::TextMapPropagator;
/// use opentelemetry::trace::TraceContextExt;
/// use std::collections::HashMap;
/// use tracecontext_opentelemetry::TraceContextPropagator;
///
/// let propagator = TraceContextPropagator::new();
/// let mut incoming = HashMap::new();
/// incoming.insert("traceparent".to_owned(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03".to_owned());
/// incoming.insert("tracestate".to_owned(), "congo=t61rcWkgMzE".to_owned());
///
/// let cx = propagator.extract(&incoming);
/// assert_eq!(cx.span().span_context().trace_flags().to_u8(), 0x03); // random kept
///
/// let mut outgoing = HashMap::new();
/// propagator.inject_context(&cx, &mut outgoing);
/// assert_eq!(outgoing["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
/// assert_eq!(outgoing["tracestate"], "congo=t61rcWkgMzE");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceContextPropagator {
    validation: Validation,
}

impl TraceContextPropagator {
    /// The propagator with strict `tracestate` validation: one invalid member drops
    /// the whole list (rule [S6](tracecontext::rules#s6)).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            validation: Validation::Strict,
        }
    }

    /// The propagator that drops only the invalid members of a `tracestate` and
    /// keeps the others (rule [S6](tracecontext::rules#s6), lenient).
    #[must_use]
    pub const fn lenient() -> Self {
        Self {
            validation: Validation::Lenient,
        }
    }
}

impl Default for TraceContextPropagator {
    /// [`TraceContextPropagator::new`].
    fn default() -> Self {
        Self::new()
    }
}

/// What [`TraceContextPropagator`] found in a request: read from the context it
/// returns with [`ExtractionExt::extraction`].
///
/// `Display` gives a one-line account for logs:
///
/// | outcome | `Display` |
/// |---|---|
/// | `Continued`, nothing dropped | `continued` |
/// | `Continued`, `tracestate` dropped | `continued, tracestate dropped: tracestate: invalid character 'B' in key of member 2 at byte 5` |
/// | `Continued`, members OpenTelemetry refused | `continued, 1 tracestate member(s) not held by OpenTelemetry` |
/// | `Missing` | `no traceparent, new trace` |
/// | `Invalid` | `invalid traceparent, new trace: traceparent: all zeros is not allowed in trace-id at byte 3` |
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Extraction {
    /// A valid `traceparent`: the context holds it as its remote span context.
    #[non_exhaustive]
    Continued {
        /// Why the incoming `tracestate` was dropped, if it was (rule [S6](tracecontext::rules#s6)); the
        /// trace continues regardless ([T9](tracecontext::rules#t9)).
        tracestate_error: Option<Error>,
        /// How many `tracestate` members OpenTelemetry's `TraceState` does not hold
        /// (keys it refuses, and later members with a key seen before; see
        /// [`convert`](crate::convert)): they are missing from the span context,
        /// and still forwarded while the tracestate is not changed.
        refused_members: usize,
    },
    /// No `traceparent`: a new trace will start (rule [T10](tracecontext::rules#t10)).
    Missing,
    /// An invalid `traceparent`, or more than one (rules [T7](tracecontext::rules#t7), [T9](tracecontext::rules#t9)): a new trace will
    /// start.
    Invalid(Error),
}

impl fmt::Display for Extraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Continued {
                tracestate_error: None,
                refused_members: 0,
            } => f.write_str("continued"),
            Self::Continued {
                tracestate_error: Some(error),
                ..
            } => write!(f, "continued, tracestate dropped: {error}"),
            Self::Continued {
                refused_members, ..
            } => write!(
                f,
                "continued, {refused_members} tracestate member(s) not held by OpenTelemetry"
            ),
            Self::Missing => f.write_str("no traceparent, new trace"),
            Self::Invalid(error) => write!(f, "invalid traceparent, new trace: {error}"),
        }
    }
}

/// Reads what the propagators found in a request from an OpenTelemetry
/// `Context`: the [`Extraction`] of the trace context, and the
/// [`DroppedBaggage`].
pub trait ExtractionExt {
    /// What [`TraceContextPropagator`] found when it made this context, or the
    /// context it derives from: a span's context made under it (with
    /// `tracing-opentelemetry`, `Span::current().context()` after `set_parent`)
    /// keeps it. `None` when no extraction made the context.
    fn extraction(&self) -> Option<&Extraction>;

    /// What [`BaggagePropagator`](crate::BaggagePropagator) left out of the
    /// request's baggage when it made this context, or the context it derives
    /// from: `None` when it dropped nothing.
    fn dropped_baggage(&self) -> Option<&DroppedBaggage>;
}

impl ExtractionExt for Context {
    fn extraction(&self) -> Option<&Extraction> {
        self.get::<Received>().map(|received| &received.extraction)
    }

    fn dropped_baggage(&self) -> Option<&DroppedBaggage> {
        self.get::<Dropped>()?.0.as_ref()
    }
}

/// What the propagator keeps in the context beside the span context.
#[derive(Debug)]
struct Received {
    extraction: Extraction,
    /// The `tracestate` as it arrived, when OpenTelemetry's form of it differs.
    forward: Option<Forward>,
}

/// A received `tracestate` to send on exactly while the trace and the state stay.
#[derive(Debug)]
struct Forward {
    trace_id: OtelTraceId,
    state: TraceState,
    text: String,
}

impl TraceContextPropagator {
    fn extract_from(&self, cx: &Context, carrier: Incoming<'_>) -> Context {
        let extracted = Extracted::from_carrier(carrier, self.validation);
        let (parent, tracestate_error) = match extracted {
            Extracted::Continued {
                parent,
                tracestate_error,
            } => (parent, tracestate_error),
            Extracted::Missing => return remember(cx, Extraction::Missing, None),
            Extracted::Invalid(error) => return remember(cx, Extraction::Invalid(error), None),
        };
        let view = parent.tracestate();
        let mut members = [("", ""); MAX_MEMBERS];
        let count = convert::collect(&view, &mut members);
        let members = &members[..count];
        let (state, refused_members) = convert::from_members(members);
        // OpenTelemetry's `TraceState` writes `key=value` joined by commas: a list
        // that arrived otherwise (spaces, empty members, refused members) is kept
        // as it came, to be forwarded exactly.
        let text = view.as_str();
        let forward = (refused_members > 0 || !is_canonical(members, text)).then(|| Forward {
            trace_id: convert::to_trace_id(parent.trace_id()),
            state: state.clone(),
            text: text.to_owned(),
        });
        let span_context = SpanContext::new(
            convert::to_trace_id(parent.trace_id()),
            convert::to_span_id(parent.span_id()),
            convert::to_flags(parent.flags()),
            true,
            state,
        );
        let cx = cx.with_remote_span_context(span_context);
        let extraction = Extraction::Continued {
            tracestate_error,
            refused_members,
        };
        remember(&cx, extraction, forward)
    }
}

fn remember(cx: &Context, extraction: Extraction, forward: Option<Forward>) -> Context {
    cx.with_value(Received {
        extraction,
        forward,
    })
}

/// Whether `members`, written as OpenTelemetry writes them (`key=value` joined
/// by commas), are `text`: no whitespace, no empty member.
fn is_canonical(members: &[(&str, &str)], text: &str) -> bool {
    let written: usize = members.iter().map(|(k, v)| k.len() + 1 + v.len()).sum();
    written + members.len().saturating_sub(1) == text.len()
}

impl TextMapPropagator for TraceContextPropagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let span = cx.span();
        let span_context = span.span_context();
        let (Some(trace_id), Some(span_id)) = (
            convert::from_trace_id(span_context.trace_id()),
            convert::from_span_id(span_context.span_id()),
        ) else {
            return;
        };
        let flags = convert::from_flags(span_context.trace_flags());
        let traceparent = TraceParent::new(trace_id, span_id, flags).encode();
        injector.set(TRACEPARENT, traceparent.as_str().to_owned());

        let state = span_context.trace_state();
        let forward = cx
            .get::<Received>()
            .and_then(|received| received.forward.as_ref())
            .filter(|f| f.trace_id == span_context.trace_id() && f.state == *state);
        if let Some(forward) = forward {
            injector.set(TRACESTATE, forward.text.clone());
        } else if let Some(text) = tracestate_text(state) {
            injector.set(TRACESTATE, text);
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        self.extract_from(cx, Incoming(extractor))
    }

    fn fields(&self) -> FieldIter<'_> {
        FieldIter::new(FIELDS.as_slice())
    }
}

/// The `tracestate` to send for OpenTelemetry's `TraceState`: `None` when it has
/// no members (rule [S10](tracecontext::rules#s10)). A key that comes again is
/// left out (the left-most member is kept, [S7](tracecontext::rules#s7)), and so
/// are members the core's grammar refuses (OpenTelemetry checks values only for
/// `,` and `=`) and members past the 32nd ([S5](tracecontext::rules#s5)), so what
/// is sent is always valid.
fn tracestate_text(state: &TraceState) -> Option<String> {
    let mut len = 0;
    for (key, value) in state {
        len += key.len() + value.len() + 2;
    }
    if len == 0 {
        return None;
    }
    let mut text = String::with_capacity(len - 1);
    for (key, value) in convert::first_of_each_key(|| state.into_iter()) {
        if !text.is_empty() {
            text.push(',');
        }
        text.push_str(key);
        text.push('=');
        text.push_str(value);
    }
    if TraceStateView::parse(text.as_bytes()).is_ok() {
        return Some(text);
    }
    // Rare: some member is not valid. Keep the members valid on their own.
    text.clear();
    let mut member = String::new();
    let mut kept = 0;
    for (key, value) in convert::first_of_each_key(|| state.into_iter()) {
        member.clear();
        member.push_str(key);
        member.push('=');
        member.push_str(value);
        let one = TraceStateView::parse(member.as_bytes()).is_ok_and(|view| view.len() == 1);
        if one && kept < MAX_MEMBERS {
            if kept > 0 {
                text.push(',');
            }
            text.push_str(&member);
            kept += 1;
        }
    }
    (kept > 0).then_some(text)
}
