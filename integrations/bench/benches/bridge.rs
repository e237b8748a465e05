//! The OpenTelemetry bridge beside the SDK's propagators, and the core's own hop,
//! in one run on the same requests (the contenders are in
//! `tracecontext_bench::bridge`):
//!
//! ```sh
//! cargo bench -p tracecontext-bench --bench bridge
//! ```
//!
//! Before timing, each contender's result is checked against the others'.

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use http::HeaderMap;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry_sdk::propagation::{
    BaggagePropagator as SdkBaggage, TraceContextPropagator as SdkTraceContext,
};
use tracecontext_bench::bridge::{self as b, TRACEPARENT};
use tracecontext_opentelemetry::{BaggagePropagator, TraceContextPropagator};

/// Times `propagator`'s extraction from `headers` and its injection of what it
/// extracted.
fn extract_and_inject(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    propagator: &dyn TextMapPropagator,
    headers: &HeaderMap,
) {
    group.bench_function(format!("extract/{name}"), |bench| {
        bench.iter(|| b::extract(propagator, black_box(headers)));
    });
    let cx = b::extract(propagator, headers);
    group.bench_function(format!("inject/{name}"), |bench| {
        bench.iter(|| b::inject(propagator, black_box(&cx)));
    });
}

fn trace_context(c: &mut Criterion) {
    let ours = TraceContextPropagator::new();
    let sdk = SdkTraceContext::new();
    let contenders: [(&str, &dyn TextMapPropagator); 2] = [
        ("tracecontext_opentelemetry", &ours),
        ("opentelemetry_sdk", &sdk),
    ];
    for (input, tracestate) in [("traceparent", false), ("tracestate_4", true)] {
        let headers = b::headers(tracestate);
        for (name, propagator) in contenders {
            let cx = b::extract(propagator, &headers);
            assert_eq!(b::trace_id(&cx), "4bf92f3577b34da6a3ce929d0e0e4736");
            let out = b::inject(propagator, &cx);
            assert_eq!(
                out["traceparent"].to_str().unwrap()[..53],
                TRACEPARENT[..53]
            );
            // The SDK also sends an empty `tracestate` when there is none.
            let sent = out.get("tracestate").is_some_and(|v| !v.is_empty());
            assert_eq!(sent, tracestate, "{name}");
        }
        assert!(b::core_hop(&headers).contains_key("traceparent"));

        let mut group = c.benchmark_group(format!("bridge/{input}"));
        for (name, propagator) in contenders {
            extract_and_inject(&mut group, name, propagator, &headers);
            group.bench_function(format!("hop/{name}"), |bench| {
                bench.iter(|| b::hop(propagator, black_box(&headers)));
            });
        }
        assert_eq!(
            b::trace_id(&b::opentelemetry_types(tracestate)),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        group.bench_function("extract/opentelemetry_types_only", |bench| {
            bench.iter(|| b::opentelemetry_types(black_box(tracestate)));
        });
        let required = b::opentelemetry_required(&headers);
        assert_eq!(b::trace_id(&required), "4bf92f3577b34da6a3ce929d0e0e4736");
        group.bench_function("extract/opentelemetry_api_required", |bench| {
            bench.iter(|| b::opentelemetry_required(black_box(&headers)));
        });
        let written = b::opentelemetry_injector_only(tracestate);
        assert_eq!(written.contains_key("tracestate"), tracestate);
        group.bench_function("inject/opentelemetry_injector_only", |bench| {
            bench.iter(|| b::opentelemetry_injector_only(black_box(tracestate)));
        });
        group.bench_function("hop/tracecontext_core", |bench| {
            bench.iter(|| b::core_hop(black_box(&headers)));
        });
        group.finish();
    }
}

fn baggage(c: &mut Criterion) {
    let ours = BaggagePropagator::new();
    let sdk = SdkBaggage::new();
    let contenders: [(&str, &dyn TextMapPropagator); 2] = [
        ("tracecontext_opentelemetry", &ours),
        ("opentelemetry_sdk", &sdk),
    ];
    let headers = b::baggage_headers();
    for (_, propagator) in contenders {
        let cx = b::extract(propagator, &headers);
        assert_eq!(b::baggage_value(&cx).as_deref(), Some("Amélie"));
        assert!(b::inject(propagator, &cx).contains_key("baggage"));
    }
    let mut group = c.benchmark_group("bridge/baggage_4");
    for (name, propagator) in contenders {
        extract_and_inject(&mut group, name, propagator, &headers);
    }
    assert_eq!(
        b::baggage_value(&b::opentelemetry_baggage_types()).as_deref(),
        Some("Amélie")
    );
    group.bench_function("extract/opentelemetry_types_only", |bench| {
        bench.iter(b::opentelemetry_baggage_types);
    });
    group.finish();
}

criterion_group!(benches, trace_context, baggage);
criterion_main!(benches);
