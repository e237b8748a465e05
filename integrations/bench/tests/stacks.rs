//! Each stack compared in the benchmark does its job (the caller's trace is
//! continued in a new span, in the extensions and as the current context), and
//! what each allocates per request, side by side.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use tower_layer::Layer;
use tracecontext_bench::stacks::{
    self, Bare, OtelLayer, OtelTracingLayer, Probe, Seen, TRACE_ID, serve,
};
use tracecontext_tower::ServerLayer;

/// The system allocator, counting this thread's allocations while asked to.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call goes to the system allocator unchanged; the counters are
// const-initialised thread-locals, which do not allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations of one request through `layer` around [`Bare`], made after a first
/// request (so that lazily made state is in place), the request built beforehand.
fn per_request<L>(layer: &L, tracestate: bool) -> usize
where
    L: Layer<Bare>,
    L::Service: tower_service::Service<
            http::Request<()>,
            Response = http::Response<()>,
            Error = std::convert::Infallible,
        >,
{
    let mut service = layer.layer(Bare);
    serve(&mut service, stacks::request(tracestate));
    let request = stacks::request(tracestate);
    COUNT.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    let response = serve(&mut service, request);
    COUNTING.with(|c| c.set(false));
    drop(response);
    COUNT.with(Cell::get)
}

/// What a service behind `layer` sees of a request with the caller's context.
fn seen<L: Layer<Probe>>(layer: &L) -> Seen
where
    L::Service: tower_service::Service<
            http::Request<()>,
            Response = http::Response<()>,
            Error = std::convert::Infallible,
        >,
{
    let probe = Probe::default();
    serve(&mut layer.layer(probe.clone()), stacks::request(true));
    probe.0.lock().unwrap().clone()
}

fn assert_continued(stack: &str, seen: &Seen) {
    assert_eq!(seen.extension.as_deref(), Some(TRACE_ID), "{stack}");
    assert_eq!(seen.current.as_deref(), Some(TRACE_ID), "{stack}");
    let span = seen.span_id.as_deref().unwrap();
    assert_ne!(span, "00f067aa0ba902b7", "{stack}: a new span");
}

#[test]
fn every_stack_continues_the_callers_trace() {
    assert_eq!(seen(&tower_layer::Identity::new()), Seen::default());
    assert_continued("tracecontext", &seen(&ServerLayer::default()));
    let provider = stacks::provider();
    assert_continued("opentelemetry", &seen(&OtelLayer::new(&provider)));
    tracing::dispatcher::with_default(&stacks::plain_subscriber(), || {
        assert_continued("tracecontext + tracing", &seen(&ServerLayer::default()));
    });
    tracing::dispatcher::with_default(&stacks::otel_subscriber(&provider), || {
        assert_continued(
            "tracing + tracing-opentelemetry",
            &seen(&OtelTracingLayer::default()),
        );
    });
}

#[test]
fn allocations_per_request_side_by_side() {
    let provider = stacks::provider();
    let mut rows = Vec::new();
    for tracestate in [false, true] {
        let bare = per_request(&tower_layer::Identity::new(), tracestate);
        let ours = per_request(&ServerLayer::default(), tracestate);
        let theirs = per_request(&OtelLayer::new(&provider), tracestate);
        let ours_traced = tracing::dispatcher::with_default(&stacks::plain_subscriber(), || {
            per_request(&ServerLayer::default(), tracestate)
        });
        let theirs_traced =
            tracing::dispatcher::with_default(&stacks::otel_subscriber(&provider), || {
                per_request(&OtelTracingLayer::default(), tracestate)
            });
        rows.push(format!(
            "tracestate {tracestate:5}: bare {bare}, tracecontext {ours}, opentelemetry {theirs}, \
             tracecontext + tracing span {ours_traced}, tracing + tracing-opentelemetry {theirs_traced}"
        ));
        assert!(ours * 2 <= theirs, "{}", rows.last().unwrap());
        assert!(ours_traced * 2 <= theirs_traced, "{}", rows.last().unwrap());
    }
    // Shown with `cargo test -p tracecontext-bench -- --nocapture`.
    for row in rows {
        println!("allocations per request, {row}");
    }
}
