//! The OpenTelemetry bridge's propagators against the SDK's, on the same requests,
//! as a service using OpenTelemetry calls them: through `&dyn TextMapPropagator`,
//! `opentelemetry_http::HeaderExtractor` over the request's `http::HeaderMap`, and
//! `HeaderInjector` into a new `HeaderMap` for the outgoing request. Beside them,
//! the core's own hop on the same headers.
//!
//! | operation | what is measured |
//! |---|---|
//! | extract | `extract_with_context` into a new OpenTelemetry `Context` (conversion into `SpanContext`/`TraceState` included) |
//! | inject | `inject_context` of that context into a new `HeaderMap` |
//! | hop | extract, then inject (the bridge and the SDK); the core: `extract`, `child_or_root`, `inject` into a new `HeaderMap` |
//! | baggage extract / inject | the same for `baggage`, 4 members |
//! | OpenTelemetry's types | the part of extract no propagator avoids: OpenTelemetry's `TraceState` from members split beforehand, the `SpanContext`, the `Context` |
//! | OpenTelemetry's API, as required | the part of extract no propagator doing the bridge's job avoids: `get_all` of both headers, OpenTelemetry's types, one value kept in the `Context` |
//! | OpenTelemetry's injector | the part of inject no propagator avoids: the finished values, copied into `String`s, through `HeaderInjector` |
//!
//! Every function returns what it read or wrote, so that the benchmark and the
//! allocation count (in `tests/stacks.rs`) run the same code and can check it.

use http::{HeaderMap, HeaderValue};
use opentelemetry::Context;
use opentelemetry::baggage::{BaggageExt as _, KeyValueMetadata};
use opentelemetry::propagation::{Extractor as _, Injector as _, TextMapPropagator};
use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use tracecontext::sampling::{ParentBased, Probability};
use tracecontext::{TRACEPARENT as TRACEPARENT_NAME, TRACESTATE as TRACESTATE_NAME, ThreadIds};

/// The incoming `traceparent`, with the random flag.
pub const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03";
/// A 4-member `tracestate`.
pub const TRACESTATE: &str = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7,ot=th:8,vendor@tenant=x";

/// Request headers: `traceparent`, and the 4-member `tracestate` when asked.
///
/// # Panics
///
/// Never: the values are valid.
#[must_use]
pub fn headers(tracestate: bool) -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert("traceparent", HeaderValue::from_static(TRACEPARENT));
    if tracestate {
        map.insert("tracestate", HeaderValue::from_static(TRACESTATE));
    }
    map
}

/// Request headers with a `baggage` field.
#[must_use]
pub fn baggage_headers() -> HeaderMap {
    crate::baggage::headers(crate::baggage::FOUR)
}

/// `propagator`'s extraction from `headers` into a new context.
#[must_use]
pub fn extract(propagator: &dyn TextMapPropagator, headers: &HeaderMap) -> Context {
    propagator.extract_with_context(&Context::new(), &HeaderExtractor(headers))
}

/// `propagator`'s injection of `cx` into a new `HeaderMap`.
#[must_use]
pub fn inject(propagator: &dyn TextMapPropagator, cx: &Context) -> HeaderMap {
    let mut outgoing = HeaderMap::new();
    propagator.inject_context(cx, &mut HeaderInjector(&mut outgoing));
    outgoing
}

/// Extract, then inject, with one propagator.
#[must_use]
pub fn hop(propagator: &dyn TextMapPropagator, headers: &HeaderMap) -> HeaderMap {
    inject(propagator, &extract(propagator, headers))
}

/// The core's own hop: extract, a child decided by a parent-based sampler, inject.
///
/// # Panics
///
/// Never: a `HeaderMap` takes the crate's headers.
#[must_use]
pub fn core_hop(headers: &HeaderMap) -> HeaderMap {
    let sampler = ParentBased::new(Probability::new(0.25));
    let (child, _) = tracecontext::extract(headers).child_or_root(&mut ThreadIds, &sampler);
    let mut outgoing = HeaderMap::new();
    child.inject(&mut outgoing).expect("a HeaderMap takes it");
    outgoing
}

/// The members of [`TRACESTATE`], split beforehand.
const MEMBERS: [(&str, &str); 4] = [
    ("congo", "t61rcWkgMzE"),
    ("rojo", "00f067aa0ba902b7"),
    ("ot", "th:8"),
    ("vendor@tenant", "x"),
];

/// What any propagator pays to hand this request's context to OpenTelemetry,
/// whatever its parsing: OpenTelemetry's `TraceState` made from the members (split
/// beforehand, nothing parsed), the `SpanContext`, and a new `Context` holding it.
///
/// # Panics
///
/// Never: the members are valid.
#[must_use]
pub fn opentelemetry_types(tracestate: bool) -> Context {
    let state = if tracestate {
        TraceState::from_key_value(MEMBERS).expect("valid members")
    } else {
        TraceState::NONE
    };
    Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
        SpanId::from(0x00f0_67aa_0ba9_02b7),
        TraceFlags::new(3),
        true,
        state,
    ))
}

/// What extraction costs through OpenTelemetry's API when it does what this
/// project's bridge must, whatever its parsing: every field of both headers read
/// with `HeaderExtractor::get_all` (needed to see a second `traceparent`, rule T7,
/// and several `tracestate` fields, S2), [`opentelemetry_types`] (with the
/// members when `headers` has a `tracestate`), and one value kept in the
/// `Context` (where the bridge keeps the extraction's outcome).
///
/// # Panics
///
/// When `headers` has no `traceparent` of [`TRACEPARENT`]'s length.
#[must_use]
pub fn opentelemetry_required(headers: &HeaderMap) -> Context {
    let extractor = HeaderExtractor(headers);
    let fields = [TRACEPARENT_NAME, TRACESTATE_NAME].map(|name| {
        extractor
            .get_all(name)
            .map_or(0, |values| values.iter().map(|v| v.len()).sum::<usize>())
    });
    assert_eq!(fields[0], TRACEPARENT.len());
    opentelemetry_types(fields[1] > 0).with_value(Outcome(fields[1]))
}

/// A value kept in the `Context`, standing in for the extraction's outcome.
#[derive(Debug)]
pub struct Outcome(pub usize);

/// What any propagator pays to write these headers through OpenTelemetry's
/// injector, whatever its formatting: the finished values copied into the
/// `String`s that `Injector::set` takes, through `HeaderInjector` into a new
/// `HeaderMap`.
#[must_use]
pub fn opentelemetry_injector_only(tracestate: bool) -> HeaderMap {
    let mut outgoing = HeaderMap::new();
    let mut injector = HeaderInjector(&mut outgoing);
    injector.set(TRACEPARENT_NAME, TRACEPARENT.to_owned());
    if tracestate {
        injector.set(TRACESTATE_NAME, TRACESTATE.to_owned());
    }
    outgoing
}

/// What any propagator pays to hand this request's baggage to OpenTelemetry: its
/// `Baggage` of the four members, decoded and split beforehand and copied out of
/// the request (as any propagator must), in a new `Context`.
#[must_use]
pub fn opentelemetry_baggage_types() -> Context {
    let member = |key: &str, value: &str, metadata: &str| {
        KeyValueMetadata::new(key.to_owned(), value.to_owned(), metadata)
    };
    Context::new().with_baggage([
        member("userId", "Amélie", ""),
        member("serverNode", "DF 28", ""),
        member("isProduction", "false", ""),
        member("tenant", "acme", "ttl=30"),
    ])
}

/// The trace-id of `cx`'s span context, as text (what the checks compare).
#[must_use]
pub fn trace_id(cx: &Context) -> String {
    cx.span().span_context().trace_id().to_string()
}

/// The decoded value of `userId` in `cx`'s baggage.
#[must_use]
pub fn baggage_value(cx: &Context) -> Option<String> {
    cx.baggage()
        .get(crate::baggage::KEY)
        .map(|v| v.as_str().to_owned())
}
