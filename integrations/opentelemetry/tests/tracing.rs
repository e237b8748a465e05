//! The common stack: `tracing` spans exported through `tracing-opentelemetry` and
//! the SDK, with the bridge's propagators and sampler.

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{SpanId, TraceId, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use tracecontext_opentelemetry::{ConsistentSampler, ExtractionExt as _, TraceContextPropagator};
use tracing::subscriber::with_default;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;

#[test]
fn tracing_spans_under_an_extracted_context_have_the_right_parentage() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .with_sampler(ConsistentSampler::from_settings(None, None).0)
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("service")));
    let propagator = TraceContextPropagator::new();

    let mut incoming = HashMap::new();
    incoming.insert(
        "traceparent".to_owned(),
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03".to_owned(),
    );
    incoming.insert("tracestate".to_owned(), "congo=t61rcWkgMzE".to_owned());

    let mut outgoing = HashMap::new();
    with_default(subscriber, || {
        let request = tracing::info_span!("request");
        request
            .set_parent(propagator.extract(&incoming))
            .expect("the span is new");
        let _entered = request.enter();
        let call = tracing::info_span!("call");
        let _in_call = call.enter();
        propagator.inject_context(&call.context(), &mut outgoing);
        // The outcome of the extraction, read where a handler is.
        let outcome = tracing::Span::current().context().extraction().cloned();
        assert_eq!(outcome.map(|o| o.to_string()).as_deref(), Some("continued"));
    });

    let spans = exporter.get_finished_spans().expect("in memory");
    let by_name = |name: &str| {
        spans
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no span {name} in {spans:?}"))
    };
    let (request, call) = (by_name("request"), by_name("call"));
    let trace_id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
    assert_eq!(request.span_context.trace_id(), trace_id);
    assert_eq!(call.span_context.trace_id(), trace_id);
    assert_eq!(
        request.parent_span_id,
        SpanId::from_hex("00f067aa0ba902b7").unwrap()
    );
    assert!(request.parent_span_is_remote);
    assert_eq!(call.parent_span_id, request.span_context.span_id());
    assert_eq!(call.span_context.trace_flags().to_u8(), 0x03);
    assert_eq!(
        outgoing["traceparent"],
        format!("00-{trace_id}-{}-03", call.span_context.span_id())
    );
    assert_eq!(outgoing["tracestate"], "congo=t61rcWkgMzE");
}
