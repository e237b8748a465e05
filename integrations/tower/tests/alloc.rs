//! Heap allocations the layers add to a request, counted.
//!
//! The server layer adds none of its own to a request without `tracestate`: what
//! it adds is the request's `http::Extensions` map taking the context, which
//! `http` allocates for any extension. With a `tracestate`, the owned context
//! shares its bytes in one more allocation. The client layer allocates what
//! writing the same header values into a `HeaderMap` by hand allocates. With the
//! `tracing` feature and no subscriber (the test runs both ways) the request's
//! span allocates nothing either.

use std::convert::Infallible;
use std::future::{Future, Ready};
use std::task::{Context as TaskContext, Poll, Waker};

use http::{HeaderName, HeaderValue, Request, Response};
use tower::{Layer, Service};
use tracecontext::baggage::SharedBaggage;
use tracecontext::{Context, SpanId, TraceFlags, TraceId};
use tracecontext_alloc_count::{Counting, allocations};
use tracecontext_tower::{ClientLayer, ServerLayer, current};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs a future that is ready at its first poll (the services here are).
fn now<F: Future>(future: F) -> F::Output {
    let mut cx = TaskContext::from_waker(Waker::noop());
    match std::pin::pin!(future).poll(&mut cx) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the service was not ready at once"),
    }
}

type Bare = fn(Request<()>) -> Ready<Result<Response<()>, Infallible>>;

/// A service that answers at once, allocating nothing.
fn bare() -> tower::util::ServiceFn<Bare> {
    tower::service_fn((|_| std::future::ready(Ok(Response::new(())))) as Bare)
}

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const TRACESTATE: &str = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7,ot=th:8,vendor=x";

fn request(tracestate: bool) -> Request<()> {
    with_baggage(tracestate, None)
}

fn with_baggage(tracestate: bool, baggage: Option<&str>) -> Request<()> {
    let mut request = Request::builder().header("traceparent", TRACEPARENT);
    if tracestate {
        request = request.header("tracestate", TRACESTATE);
    }
    if let Some(baggage) = baggage {
        request = request.header("baggage", baggage);
    }
    request.body(()).unwrap()
}

/// Allocations of one call of `service` with a request made beforehand.
fn per_call<S>(service: &mut S, tracestate: bool) -> usize
where
    S: Service<Request<()>, Response = Response<()>, Error = Infallible>,
{
    per_request(service, || request(tracestate))
}

fn per_request<S>(service: &mut S, request: impl Fn() -> Request<()>) -> usize
where
    S: Service<Request<()>, Response = Response<()>, Error = Infallible>,
{
    // Once first, so that thread-locals and lazily made state are in place.
    now(service.call(request())).unwrap();
    let request = request();
    allocations(|| now(service.call(request)).unwrap())
}

/// What `http` allocates to put a context into a request's empty extensions.
fn extensions_insert() -> usize {
    let context = Context::new(
        TraceId::from_static("4bf92f3577b34da6a3ce929d0e0e4736"),
        SpanId::from_static("00f067aa0ba902b7"),
        TraceFlags::SAMPLED,
    );
    let mut request = request(false);
    allocations(|| request.extensions_mut().insert(context))
}

/// What `http` allocates to put a second value into a request's extensions.
fn second_extension() -> usize {
    let mut request = request(false);
    request.extensions_mut().insert(1u8);
    let baggage = SharedBaggage::EMPTY;
    allocations(|| request.extensions_mut().insert(baggage))
}

#[test]
fn baggage_costs_the_server_layer_its_arc_and_extension() {
    let baggage = || with_baggage(false, Some("tenant=acme,class=batch;ttl=30"));
    let layered = ServerLayer::default().layer(bare());
    let with = per_request(&mut layered.clone(), baggage);
    let without = per_request(&mut layered.clone(), || request(false));
    assert_eq!(with - without, 1 + second_extension());
    // Turned off, the baggage is not read at all.
    let off = ServerLayer::default().baggage(false).layer(bare());
    assert_eq!(per_request(&mut off.clone(), baggage), without);
}

#[test]
fn the_server_layer_adds_only_the_extension_without_tracestate() {
    let bare_cost = per_call(&mut bare(), false);
    let layered = per_call(&mut ServerLayer::default().layer(bare()), false);
    let extension = extensions_insert();
    assert!(extension > 0, "http allocates its extension map");
    assert_eq!(
        layered - bare_cost,
        extension,
        "bare {bare_cost}, layered {layered}"
    );
}

#[test]
fn a_tracestate_costs_the_server_layer_one_allocation_more() {
    let bare_cost = per_call(&mut bare(), true);
    let layered = per_call(&mut ServerLayer::default().layer(bare()), true);
    assert_eq!(layered - bare_cost, extensions_insert() + 1);
}

/// What writing the same values into a request's headers by hand allocates
/// (names made once, as constants).
fn by_hand(parent: &Context) -> usize {
    let child = parent.child(&mut tracecontext::SeededIds::new(1));
    let mut request = Request::new(());
    allocations(|| {
        let headers = request.headers_mut();
        for (name, value) in child.headers() {
            let name = match name {
                "traceparent" => HeaderName::from_static("traceparent"),
                _ => HeaderName::from_static("tracestate"),
            };
            headers.insert(name, HeaderValue::from_str(value).unwrap());
        }
    })
}

#[test]
fn the_client_layer_allocates_what_the_headers_take() {
    for tracestate in [false, true] {
        let parent = tracecontext::extract(request(tracestate).headers())
            .into_parent()
            .unwrap()
            .into_owned();
        let mut client = ClientLayer::new().layer(bare());
        let cost = current::scope(parent.clone(), || {
            now(client.call(Request::new(()))).unwrap();
            let request = Request::new(());
            allocations(|| now(client.call(request)).unwrap())
        });
        assert_eq!(cost, by_hand(&parent), "tracestate: {tracestate}");
        assert!(cost > 0, "the header map allocates its table and values");
    }
}
