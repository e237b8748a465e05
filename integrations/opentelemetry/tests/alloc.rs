//! What the propagators allocate themselves: carriers that allocate nothing (an
//! extractor over a fixed array, an injector into a `Vec` with room), each count
//! explained. OpenTelemetry's own types set most of them: a `SpanContext` lives in
//! an `Arc`, its `TraceState` holds a `String` per key and value, and `get_all`
//! returns a `Vec`.

use opentelemetry::Context;
use opentelemetry::baggage::BaggageExt as _;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use tracecontext_alloc_count::{Counting, allocations};
use tracecontext_opentelemetry::{BaggagePropagator, TraceContextPropagator};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Request headers in a fixed array; `get_all` allocates its `Vec`, as
/// OpenTelemetry's trait makes every carrier do.
struct Headers<const N: usize>([(&'static str, &'static str); N]);

impl<const N: usize> Extractor for Headers<N> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(k, _)| *k).collect()
    }

    fn get_all(&self, key: &str) -> Option<Vec<&str>> {
        let all: Vec<&str> = self
            .0
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .collect();
        (!all.is_empty()).then_some(all)
    }
}

/// An outgoing request that keeps the values it is given in a `Vec` with room.
struct Sent(Vec<String>);

impl Injector for Sent {
    fn set(&mut self, _key: &str, value: String) {
        self.0.push(value);
    }
}

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03";

fn extract<const N: usize>(propagator: &dyn TextMapPropagator, headers: &Headers<N>) -> usize {
    // Once outside the count, so that lazily made state is in place.
    drop(propagator.extract_with_context(&Context::new(), headers));
    allocations(|| propagator.extract_with_context(&Context::new(), headers))
}

/// Allocations of injecting what `propagator` extracted from `headers`, and the
/// values it sent.
fn inject<const N: usize>(
    propagator: &dyn TextMapPropagator,
    headers: &Headers<N>,
) -> (usize, Vec<String>) {
    let cx = propagator.extract_with_context(&Context::new(), headers);
    let mut sent = Sent(Vec::with_capacity(4));
    let count = allocations(|| propagator.inject_context(&cx, &mut sent));
    (count, sent.0)
}

#[test]
fn trace_context_extraction() {
    let propagator = TraceContextPropagator::new();
    // Every extraction keeps its outcome in the context: the value's `Arc`, the
    // context map's table and its `Arc`.
    const OUTCOME: usize = 3;
    // The `traceparent` values' `Vec` and the `Arc` of the span context; `get_all`
    // for an absent `tracestate` allocates nothing here.
    assert_eq!(
        extract(&propagator, &Headers([("traceparent", TRACEPARENT)])),
        2 + OUTCOME
    );
    // Two `Vec`s; the `TraceState`: its deque and one `String` per key and per
    // value (1 + 2 × 4); the `Arc`. A list OpenTelemetry writes back the same
    // needs no copy of its text.
    let canonical = Headers([
        ("traceparent", TRACEPARENT),
        ("tracestate", "a=1,b=2,c=3,d=4"),
    ]);
    assert_eq!(extract(&propagator, &canonical), 12 + OUTCOME);
    // With spaces, the text is kept to be forwarded: its `String` and a copy of
    // the `TraceState` (1 + 2 × 4) on top.
    let spaced = Headers([
        ("traceparent", TRACEPARENT),
        ("tracestate", "a=1 ,b=2,c=3,d=4"),
    ]);
    assert_eq!(extract(&propagator, &spaced), 12 + 1 + 9 + OUTCOME);
    // A restart: the `Vec`, and the outcome with the reason.
    assert_eq!(
        extract(&propagator, &Headers([("traceparent", "00-x")])),
        1 + OUTCOME
    );
}

#[test]
fn trace_context_injection() {
    let propagator = TraceContextPropagator::new();
    // One `String` per header sent.
    let (count, sent) = inject(&propagator, &Headers([("traceparent", TRACEPARENT)]));
    assert_eq!((count, sent.len()), (1, 1));
    let headers = Headers([
        ("traceparent", TRACEPARENT),
        ("tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"),
    ]);
    let (count, sent) = inject(&propagator, &headers);
    assert_eq!(
        sent,
        [TRACEPARENT, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"]
    );
    assert_eq!(
        count, 2,
        "the tracestate written into one String of the right size"
    );
    // Forwarded as received: a copy of the kept text.
    let spaced = Headers([("traceparent", TRACEPARENT), ("tracestate", "a=1 , b=2")]);
    let (count, sent) = inject(&propagator, &spaced);
    assert_eq!((count, sent[1].as_str()), (2, "a=1 , b=2"));
}

#[test]
fn baggage_injection_writes_one_string_of_the_right_size() {
    let propagator = BaggagePropagator::new();
    let headers = Headers([(
        "baggage",
        "userId=Am%C3%A9lie,serverNode=DF%2028,isProduction=false,tenant=acme;ttl=30",
    )]);
    let (count, sent) = inject(&propagator, &headers);
    assert_eq!(count, 1, "{sent:?}");
    let mut members: Vec<&str> = sent[0].split(',').collect();
    members.sort_unstable();
    assert_eq!(
        members,
        [
            "isProduction=false",
            "serverNode=DF%2028",
            "tenant=acme;ttl=30",
            "userId=Am%C3%A9lie"
        ]
    );
}

#[test]
fn baggage_extraction() {
    let propagator = BaggagePropagator::new();
    let headers = Headers([("baggage", "a=1,b=%C3%A9,c=3;p")]);
    // The `Vec`; per member a key and a value `String`, and the decoded value
    // shrunk to fit when OpenTelemetry boxes it; the metadata `p`; the map's
    // table; the context value (its `Arc`, the context map's `Arc` and table).
    assert_eq!(extract(&propagator, &headers), 1 + 6 + 1 + 1 + 1 + 3);
    let cx = propagator.extract_with_context(&Context::new(), &headers);
    assert_eq!(
        cx.baggage()
            .get("b")
            .map(|v| v.as_str().to_owned())
            .as_deref(),
        Some("é")
    );
}
