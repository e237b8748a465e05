//! With the real SDK: tracer providers, an in-memory exporter, spans made under
//! extracted contexts, and a chain of services sampling at different rates.

use std::collections::{HashMap, HashSet};

use opentelemetry::Context;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{
    Span as _, SpanId, TraceContextExt as _, TraceId, TraceState, Tracer as _, TracerProvider as _,
};
use opentelemetry_sdk::trace::{
    InMemorySpanExporter, Sampler as SdkSampler, SdkTracerProvider, ShouldSample, SpanData,
};
use tracecontext::sampling::{AlwaysOn, Configured, ParentBased, Probability, Rule};
use tracecontext_opentelemetry::{ConsistentSampler, ExtractionExt as _, TraceContextPropagator};

/// One service: a tracer provider that exports into memory.
struct Service {
    provider: SdkTracerProvider,
    exporter: InMemorySpanExporter,
}

impl Service {
    fn new(sampler: impl ShouldSample + 'static) -> Self {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .with_sampler(sampler)
            .build();
        Self { provider, exporter }
    }

    /// Handles a request with these headers: a span under the extracted context,
    /// and the headers it sends on.
    fn handle(&self, incoming: &HashMap<String, String>) -> HashMap<String, String> {
        let propagator = TraceContextPropagator::new();
        let parent = propagator.extract_with_context(&Context::new(), incoming);
        let span = self
            .provider
            .tracer("service")
            .start_with_context("handle", &parent);
        let cx = parent.with_span(span);
        let mut outgoing = HashMap::new();
        propagator.inject_context(&cx, &mut outgoing);
        cx.span().end();
        outgoing
    }

    fn spans(&self) -> Vec<SpanData> {
        self.exporter.get_finished_spans().expect("in memory")
    }
}

fn incoming(traceparent: &str, tracestate: Option<&str>) -> HashMap<String, String> {
    let mut map = HashMap::new();
    map.insert("traceparent".to_owned(), traceparent.to_owned());
    if let Some(state) = tracestate {
        map.insert("tracestate".to_owned(), state.to_owned());
    }
    map
}

#[test]
fn spans_under_an_extracted_context_have_its_trace_parent_and_random_flag() {
    let service = Service::new(ConsistentSampler::new(Configured::default()));
    let out = service.handle(&incoming(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
        Some("congo=t61rcWkgMzE"),
    ));
    let spans = service.spans();
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    assert_eq!(
        span.span_context.trace_id(),
        TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap()
    );
    assert_eq!(
        span.parent_span_id,
        SpanId::from_hex("00f067aa0ba902b7").unwrap()
    );
    assert!(span.parent_span_is_remote);
    assert_eq!(
        span.span_context.trace_flags().to_u8(),
        0x03,
        "random flag exported"
    );
    assert_eq!(
        span.span_context.trace_state().header(),
        "congo=t61rcWkgMzE"
    );
    // And sent on, from the new span.
    let traceparent = &out["traceparent"];
    assert_eq!(
        traceparent,
        &format!(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-{}-03",
            span.span_context.span_id()
        )
    );
    assert_eq!(out["tracestate"], "congo=t61rcWkgMzE");
}

#[test]
fn the_extraction_outcome_stays_in_the_contexts_of_spans_made_under_it() {
    let service = Service::new(ConsistentSampler::new(Configured::default()));
    let propagator = TraceContextPropagator::new();
    for (headers, expected) in [
        (
            incoming(
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                None,
            ),
            "continued",
        ),
        (HashMap::new(), "no traceparent, new trace"),
    ] {
        let parent = propagator.extract_with_context(&Context::new(), &headers);
        let span = service
            .provider
            .tracer("t")
            .start_with_context("s", &parent);
        let cx = parent.with_span(span);
        assert!(!cx.span().span_context().is_remote());
        assert_eq!(
            cx.extraction().map(ToString::to_string).as_deref(),
            Some(expected)
        );
        cx.span().end();
    }
}

#[test]
fn an_unchanged_tracestate_goes_on_exactly_through_an_sdk_span() {
    let service = Service::new(ConsistentSampler::new(Configured::default()));
    let list = "a=1 , foo@@bar=2";
    let out = service.handle(&incoming(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        Some(list),
    ));
    assert_eq!(out["tracestate"], list);
}

#[test]
fn a_consistent_probability_decision_writes_th_into_the_span_tracestate() {
    // 25% below a parent that sampled at 50% (th:8): the threshold is raised to c.
    let service = Service::new(ConsistentSampler::new(Probability::new(0.25)));
    // R = 0xce929d0e0e4736 (the random trace-id's low 56 bits) >= 0xc: sampled.
    let out = service.handle(&incoming(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
        Some("ot=th:8,congo=t61rcWkgMzE"),
    ));
    let spans = service.spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(
        spans[0].span_context.trace_state().header(),
        "ot=th:c,congo=t61rcWkgMzE"
    );
    assert_eq!(out["tracestate"], "ot=th:c,congo=t61rcWkgMzE");

    // R = 1 < 0xc0000000000000: dropped, nothing exported, `th` erased (P6).
    let service = Service::new(ConsistentSampler::new(Probability::new(0.25)));
    let out = service.handle(&incoming(
        "00-4bf92f3577b34da6a300000000000001-00f067aa0ba902b7-03",
        Some("ot=th:8,congo=t61rcWkgMzE"),
    ));
    assert!(service.spans().is_empty());
    assert_eq!(out["tracestate"], "congo=t61rcWkgMzE");
    // The SDK gives a dropped span flags 00: the random flag is lost there (a
    // difference that remains; a sampler cannot set flags).
    assert!(
        out["traceparent"].ends_with("-00"),
        "{}",
        out["traceparent"]
    );
}

#[test]
fn a_repeated_ot_member_is_not_sent_on_once_th_changes() {
    // Only the left-most `ot` counts (S7); a later one must not survive a
    // decision that rewrites or erases `th` (P6).
    for (trace_id, sampled, sent) in [
        ("4bf92f3577b34da6a3ce929d0e0e4736", true, "ot=th:c,a=1"),
        ("4bf92f3577b34da6a300000000000001", false, "a=1"),
    ] {
        let service = Service::new(ConsistentSampler::new(Probability::new(0.25)));
        let out = service.handle(&incoming(
            &format!("00-{trace_id}-00f067aa0ba902b7-03"),
            Some("ot=th:8,a=1,ot=th:0"),
        ));
        assert_eq!(service.spans().len(), usize::from(sampled));
        assert_eq!(out["tracestate"], sent);
    }
}

#[test]
fn a_new_trace_gets_rv_and_th_from_a_probability_root() {
    let service = Service::new(ConsistentSampler::new(Probability::new(1.0)));
    let span = service.provider.tracer("t").start("root");
    let cx = Context::new().with_span(span);
    let mut out = HashMap::new();
    TraceContextPropagator::new().inject_context(&cx, &mut out);
    cx.span().end();
    // No random flag on an SDK root (it cannot be set), so `rv` is recorded (P3).
    assert!(
        out["traceparent"].ends_with("-01"),
        "{}",
        out["traceparent"]
    );
    let state = &out["tracestate"];
    assert!(state.starts_with("ot=th:0;rv:"), "{state}");
    assert_eq!(state.len(), "ot=th:0;rv:".len() + 14, "{state}");
}

#[test]
fn parent_based_branches_are_all_configurable() {
    // Below a remote parent that was not sampled: a fresh decision at 100%.
    let sampler = ParentBased::new(AlwaysOn).remote_not_sampled(Rule::Root);
    let service = Service::new(ConsistentSampler::new(sampler));
    service.handle(&incoming(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
        None,
    ));
    assert_eq!(service.spans().len(), 1);
    // The default follows it.
    let service = Service::new(ConsistentSampler::new(ParentBased::new(AlwaysOn)));
    service.handle(&incoming(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
        None,
    ));
    assert_eq!(service.spans().len(), 0);
}

#[test]
fn local_children_are_decided_as_local() {
    // Local parents not sampled are sampled afresh, remote ones followed.
    let sampler = ParentBased::new(AlwaysOn).local_not_sampled(Rule::Root);
    let service = Service::new(ConsistentSampler::new(sampler));
    let tracer = service.provider.tracer("t");
    let parent = Context::new().with_remote_span_context(opentelemetry::trace::SpanContext::new(
        TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
        SpanId::from_hex("00f067aa0ba902b7").unwrap(),
        opentelemetry::trace::TraceFlags::NOT_SAMPLED,
        false,
        TraceState::NONE,
    ));
    tracer.start_with_context("child", &parent).end();
    assert_eq!(service.spans().len(), 1);
}

#[test]
fn from_configuration_names() {
    let (sampler, problem) = ConsistentSampler::from_settings(Some("traceidratio"), Some("2"));
    assert_eq!(
        problem.unwrap().to_string(),
        "OTEL_TRACES_SAMPLER_ARG: not a ratio in [0, 1]"
    );
    assert_eq!(sampler.get_ref().to_string(), "traceidratio 1");
    assert_eq!(sampler.to_string(), "traceidratio 1");
    assert_eq!(
        format!("{sampler:?}"),
        "ConsistentSampler(Configured { name: \"traceidratio\", ratio: Some(1.0) })"
    );
    let sampler = ConsistentSampler::parse("parentbased_always_off", None).unwrap();
    assert_eq!(sampler.get_ref().name(), "parentbased_always_off");
    assert!(ConsistentSampler::parse("ratio", None).is_err());
}

/// The traces a chain of three services keeps, sampling at `rates` with the
/// sampler `make` builds: for each service, the trace-ids it exported, and the
/// spans whose parent span was not exported by the service before.
fn chain(
    make: impl Fn(f64) -> Box<dyn ShouldSample>,
    rates: [f64; 3],
    traces: usize,
) -> ([HashSet<TraceId>; 3], usize) {
    let services = rates.map(|rate| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .with_sampler(make(rate))
            .build();
        Service { provider, exporter }
    });
    let propagator = TraceContextPropagator::new();
    for _ in 0..traces {
        // The first service starts the trace.
        let span = services[0].provider.tracer("a").start("a");
        let cx = Context::new().with_span(span);
        let mut headers = HashMap::new();
        propagator.inject_context(&cx, &mut headers);
        cx.span().end();
        for service in &services[1..] {
            headers = service.handle(&headers);
        }
    }
    let spans = services.each_ref().map(Service::spans);
    let kept = spans
        .each_ref()
        .map(|spans| spans.iter().map(|s| s.span_context.trace_id()).collect());
    let mut orphans = 0;
    for hop in 1..3 {
        let parents: HashSet<SpanId> = spans[hop - 1]
            .iter()
            .map(|s| s.span_context.span_id())
            .collect();
        orphans += spans[hop]
            .iter()
            .filter(|s| !parents.contains(&s.parent_span_id))
            .count();
    }
    (kept, orphans)
}

fn consistent(rate: f64) -> Box<dyn ShouldSample> {
    Box::new(ConsistentSampler::parse("traceidratio", Some(&rate.to_string())).unwrap())
}

fn sdk_ratio(rate: f64) -> Box<dyn ShouldSample> {
    Box::new(SdkSampler::TraceIdRatioBased(rate))
}

const TRACES: usize = 4000;

/// Within 6 standard deviations of `rate` over `TRACES` traces.
fn near(kept: usize, rate: f64) -> bool {
    let expected = rate * TRACES as f64;
    let sd = (TRACES as f64 * rate * (1.0 - rate)).sqrt();
    (kept as f64 - expected).abs() <= 6.0 * sd
}

#[test]
fn consistent_sampling_keeps_nested_sets_of_whole_traces() {
    let (kept, orphans) = chain(consistent, [0.5, 0.25, 0.1], TRACES);
    assert!(kept[1].is_subset(&kept[0]) && kept[2].is_subset(&kept[1]));
    assert_eq!(orphans, 0, "no span exported whose parent was dropped");
    assert!(near(kept[0].len(), 0.5), "{}", kept[0].len());
    assert!(near(kept[1].len(), 0.25), "{}", kept[1].len());
    assert!(near(kept[2].len(), 0.1), "{}", kept[2].len());
}

#[test]
fn rising_rates_keep_whole_traces_with_consistent_sampling_not_with_the_sdk() {
    // Downstream services sampling more than their caller: the SDK's ratio
    // sampler keeps spans whose parents were dropped (partial traces); the
    // consistent sampler never keeps a trace its caller dropped (rule P9).
    let (kept, orphans) = chain(consistent, [0.1, 0.25, 0.5], TRACES);
    assert_eq!(orphans, 0);
    assert!(kept[1].is_subset(&kept[0]) && kept[2].is_subset(&kept[1]));

    let (kept, orphans) = chain(sdk_ratio, [0.1, 0.25, 0.5], TRACES);
    assert!(!kept[1].is_subset(&kept[0]));
    // About 15% + 25% of the traces lose their parent at the next hop.
    assert!(orphans > TRACES / 4, "{orphans}");
}

#[test]
fn falling_rates_with_the_sdk_ratio_sampler() {
    // With falling rates the SDK's ratio sampler also keeps nested sets (every
    // service compares the same trace-id bits), but writes no threshold: nothing
    // downstream can tell at which rate a span was kept.
    let (kept, orphans) = chain(sdk_ratio, [0.5, 0.25, 0.1], TRACES);
    assert_eq!(orphans, 0);
    assert!(kept[1].is_subset(&kept[0]) && kept[2].is_subset(&kept[1]));
    let service = Service::new(SdkSampler::TraceIdRatioBased(0.5));
    let span = service.provider.tracer("t").start("root");
    let cx = Context::new().with_span(span);
    assert_eq!(cx.span().span_context().trace_state().header(), "");
    cx.span().end();
}
