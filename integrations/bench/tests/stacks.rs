//! Each stack compared in the benchmark does its job (the caller's trace is
//! continued in a new span, in the extensions and as the current context), and
//! what each allocates per request, side by side; and the same for baggage (see
//! `tracecontext_bench::baggage`).

use tower_layer::Layer;
use tracecontext_alloc_count::{Counting, allocations};
use tracecontext_bench::stacks::{
    self, Bare, OtelLayer, OtelTracingLayer, Probe, Seen, TRACE_ID, serve,
};
use tracecontext_tower::ServerLayer;

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
    allocations(|| serve(&mut service, request))
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

#[test]
fn baggage_allocations_side_by_side() {
    use http::HeaderMap;
    use opentelemetry_sdk::propagation::BaggagePropagator;
    use tracecontext_bench::baggage as b;

    let propagator = BaggagePropagator::new();
    // One row per contender: its allocations on extract_4, extract_64, update_inject
    // (`None` where it does not take part).
    let mut table: Vec<(&str, [Option<usize>; 3])> = vec![
        ("tracecontext view", [None; 3]),
        ("tracecontext Baggage", [None; 3]),
        ("tracecontext Baggage, array carrier", [None; 3]),
        ("tracecontext Baggage in place", [None; 3]),
        ("tracecontext Baggage in place, array", [None; 3]),
        ("tracecontext SharedBaggage", [None; 3]),
        ("opentelemetry_sdk", [None; 3]),
        ("naive split", [None; 3]),
    ];
    for (column, list) in [b::FOUR.to_owned(), b::sixty_four()].iter().enumerate() {
        let headers = b::headers(list);
        // Once outside the count, as the benchmark does before timing.
        let _ = (b::read_otel(&propagator, &headers), b::read_naive(&headers));
        let counts = [
            Some(allocations(|| b::read_view(&headers))),
            Some(allocations(|| b::read_owned(&headers))),
            None,
            Some(allocations(|| b::read_owned_in_place(&headers))),
            None,
            Some(allocations(|| b::read_shared(&headers))),
            Some(allocations(|| b::read_otel(&propagator, &headers))),
            Some(allocations(|| b::read_naive(&headers))),
        ];
        for (row, count) in table.iter_mut().zip(counts) {
            row.1[column] = count;
        }
    }
    let headers = b::headers(b::FOUR);
    // Into a new outgoing `HeaderMap`, made and dropped outside the count.
    let into_map = |update: &dyn Fn(&mut HeaderMap) -> usize| {
        let mut outgoing = HeaderMap::new();
        let count = allocations(|| update(&mut outgoing));
        assert!(outgoing.contains_key("baggage"));
        count
    };
    let counts = [
        into_map(&|out| b::update_owned(&headers, out)),
        allocations(|| b::update_owned_array(&headers)),
        into_map(&|out| b::update_owned_in_place(&headers, out)),
        allocations(|| b::update_owned_array_in_place(&headers)),
        into_map(&|out| b::update_shared(&headers, out).1),
        into_map(&|out| b::update_otel(&propagator, &headers, out)),
        into_map(&|out| b::update_naive(&headers, out)),
    ];
    for (row, count) in table.iter_mut().skip(1).zip(counts) {
        row.1[2] = Some(count);
    }

    // Shown with `cargo test -p tracecontext-bench --test stacks baggage -- --nocapture`.
    println!("baggage: heap allocations per operation");
    println!(
        "| {:<36} | {:>9} | {:>10} | {:>13} |",
        "contender", "extract_4", "extract_64", "update_inject"
    );
    println!("|{:-<38}|{:->11}|{:->12}|{:->15}|", "", "", "", "");
    let cell = |count: Option<usize>| count.map_or_else(|| "-".to_owned(), |n| n.to_string());
    for (name, counts) in &table {
        println!(
            "| {name:<36} | {:>9} | {:>10} | {:>13} |",
            cell(counts[0]),
            cell(counts[1]),
            cell(counts[2])
        );
    }

    let row = |name: &str| table.iter().find(|row| row.0 == name).unwrap().1;
    assert_eq!(row("tracecontext view")[..2], [Some(0); 2]);
    assert_eq!(row("tracecontext Baggage")[..2], [Some(0); 2]);
    assert_eq!(row("tracecontext Baggage, array carrier")[2], Some(0));
    assert_eq!(row("tracecontext Baggage in place")[..2], [Some(0); 2]);
    assert_eq!(row("tracecontext Baggage in place, array")[2], Some(0));
    // One `Arc` for a list that came in one field (as documented).
    assert_eq!(row("tracecontext SharedBaggage")[..2], [Some(1); 2]);
}

#[test]
fn bridge_allocations_side_by_side() {
    use opentelemetry::propagation::TextMapPropagator;
    use opentelemetry_sdk::propagation::{
        BaggagePropagator as SdkBaggage, TraceContextPropagator as SdkTraceContext,
    };
    use tracecontext_bench::bridge as b;
    use tracecontext_opentelemetry::{BaggagePropagator, TraceContextPropagator};

    let (ours, sdk) = (TraceContextPropagator::new(), SdkTraceContext::new());
    let (our_baggage, sdk_baggage) = (BaggagePropagator::new(), SdkBaggage::new());
    // Per operation: allocations of the bridge, of the SDK.
    let mut rows: Vec<(String, usize, usize)> = Vec::new();
    let mut count = |name: &str,
                     headers: &http::HeaderMap,
                     a: &dyn TextMapPropagator,
                     z: &dyn TextMapPropagator| {
        // Once outside the count, so that lazily made state is in place.
        let _ = (b::hop(a, headers), b::hop(z, headers));
        let (cx_a, cx_z) = (b::extract(a, headers), b::extract(z, headers));
        rows.push((
            format!("{name} extract"),
            allocations(|| b::extract(a, headers)),
            allocations(|| b::extract(z, headers)),
        ));
        rows.push((
            format!("{name} inject"),
            allocations(|| b::inject(a, &cx_a)),
            allocations(|| b::inject(z, &cx_z)),
        ));
        rows.push((
            format!("{name} hop"),
            allocations(|| b::hop(a, headers)),
            allocations(|| b::hop(z, headers)),
        ));
    };
    count("traceparent", &b::headers(false), &ours, &sdk);
    count("tracestate_4", &b::headers(true), &ours, &sdk);
    count(
        "baggage_4",
        &b::baggage_headers(),
        &our_baggage,
        &sdk_baggage,
    );
    let _ = (
        b::opentelemetry_types(true),
        b::opentelemetry_baggage_types(),
    );
    let floors = [
        allocations(|| b::opentelemetry_types(false)),
        allocations(|| b::opentelemetry_types(true)),
        allocations(b::opentelemetry_baggage_types),
    ];
    let required = [false, true].map(|state| {
        let headers = b::headers(state);
        let _ = b::opentelemetry_required(&headers);
        allocations(|| b::opentelemetry_required(&headers))
    });
    let injector = [false, true].map(|state| {
        let _ = b::opentelemetry_injector_only(state);
        allocations(|| b::opentelemetry_injector_only(state))
    });
    let core_hops = [false, true].map(|state| {
        let headers = b::headers(state);
        let _ = b::core_hop(&headers);
        allocations(|| b::core_hop(&headers))
    });

    // Shown with `cargo test -p tracecontext-bench --test stacks bridge -- --nocapture`.
    println!("OpenTelemetry propagators: heap allocations per operation (HeaderMap carriers)");
    println!(
        "| {:<22} | {:>26} | {:>17} |",
        "operation", "tracecontext-opentelemetry", "opentelemetry_sdk"
    );
    println!("|{:-<24}|{:->28}|{:->19}|", "", "", "");
    for (name, a, z) in &rows {
        println!("| {name:<22} | {a:>26} | {z:>17} |");
    }
    println!(
        "core hop (extract, child, inject): {} (traceparent), {} (tracestate_4)",
        core_hops[0], core_hops[1]
    );
    println!(
        "OpenTelemetry's types alone: {} (traceparent), {} (tracestate_4), {} (baggage_4)",
        floors[0], floors[1], floors[2]
    );
    println!(
        "OpenTelemetry's API as the bridge must use it (get_all, types, one value): {} (traceparent), {} (tracestate_4)",
        required[0], required[1]
    );
    println!(
        "OpenTelemetry's injector alone: {} (traceparent), {} (tracestate_4)",
        injector[0], injector[1]
    );

    let row = |name: &str| {
        rows.iter()
            .find(|row| row.0 == name)
            .map(|r| (r.1, r.2))
            .unwrap()
    };
    // Injection: one `String` per header written, where the SDK formats and joins.
    let (ours_inject, sdk_inject) = row("tracestate_4 inject");
    assert!(
        ours_inject * 2 <= sdk_inject,
        "{ours_inject} vs {sdk_inject}"
    );
    for operation in ["extract", "hop"] {
        for input in ["tracestate_4", "baggage_4"] {
            let (a, z) = row(&format!("{input} {operation}"));
            assert!(a < z, "{input} {operation}: {a} vs {z}");
        }
    }
    // The bridge allocates only what OpenTelemetry's API makes any propagator
    // doing its job allocate.
    for (i, input) in ["traceparent", "tracestate_4"].into_iter().enumerate() {
        assert_eq!(row(&format!("{input} extract")).0, required[i], "{input}");
        assert_eq!(row(&format!("{input} inject")).0, injector[i], "{input}");
    }
    // The core's own hop allocates only what the outgoing `HeaderMap` takes.
    assert!(
        core_hops[1] <= row("tracestate_4 inject").0,
        "{core_hops:?}"
    );
}
