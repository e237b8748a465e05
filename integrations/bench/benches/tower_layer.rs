//! The cost per request of the server-side layer, beside what a user would pick
//! instead, in one run on the same requests (see `tracecontext_bench::stacks`):
//!
//! ```sh
//! cargo bench -p tracecontext-bench --bench tower_layer
//! ```
//!
//! Each routine serves one request, built outside the timed part, through the
//! stack around a bare service and checks the response; a stack's overhead is its
//! time less the bare service's. The `tracing` rows run under a subscriber: a bare
//! registry for this crate's span, the registry with the OpenTelemetry layer for
//! `tracing-opentelemetry`.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http::Request;
use tower_layer::Layer;
use tower_service::Service;
use tracecontext_bench::stacks::{self, Bare, OtelLayer, OtelTracingLayer, serve};
use tracecontext_tower::ServerLayer;

fn time<L>(c: &mut Criterion, group: &str, name: &str, layer: &L, tracestate: bool)
where
    L: Layer<Bare>,
    L::Service:
        Service<Request<()>, Response = http::Response<()>, Error = std::convert::Infallible>,
{
    let mut service = layer.layer(Bare);
    c.benchmark_group(group).bench_function(name, |b| {
        b.iter_batched(
            || stacks::request(tracestate),
            |request| {
                let response = serve(&mut service, request);
                assert!(response.status().is_success());
                response
            },
            BatchSize::SmallInput,
        );
    });
}

fn server_layer(c: &mut Criterion) {
    let provider = stacks::provider();
    for (group, tracestate) in [
        ("server_layer/traceparent", false),
        ("server_layer/traceparent+tracestate_4", true),
    ] {
        time(c, group, "bare", &tower_layer::Identity::new(), tracestate);
        time(
            c,
            group,
            "tracecontext",
            &ServerLayer::default(),
            tracestate,
        );
        time(
            c,
            group,
            "opentelemetry_sdk",
            &OtelLayer::new(&provider),
            tracestate,
        );
        tracing::dispatcher::with_default(&stacks::plain_subscriber(), || {
            time(
                c,
                group,
                "tracecontext+tracing",
                &ServerLayer::default(),
                tracestate,
            );
        });
        tracing::dispatcher::with_default(&stacks::otel_subscriber(&provider), || {
            let layer = OtelTracingLayer::default();
            time(c, group, "tracing_opentelemetry", &layer, tracestate);
        });
    }
}

criterion_group!(benches, server_layer);
criterion_main!(benches);
