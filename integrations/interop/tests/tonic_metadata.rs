//! tonic's `MetadataMap` is a carrier with no adapter: it lends out the
//! `http::HeaderMap` inside it (`AsRef`/`AsMut`), and the core's `http` feature
//! implements the carrier traits for that (gRPC metadata keys are lowercase,
//! rule C1 in docs/RULES.md).

use tonic::metadata::MetadataValue;
use tracecontext::sampling::{AlwaysOn, ParentBased};
use tracecontext::{Context, ErrorKind, SeededIds, SpanId, TraceFlags, TraceId};

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn context() -> Context {
    let mut context = Context::new(
        TraceId::from_static("4bf92f3577b34da6a3ce929d0e0e4736"),
        SpanId::from_static("00f067aa0ba902b7"),
        TraceFlags::SAMPLED | TraceFlags::RANDOM,
    );
    context
        .edit_tracestate(|state| state.insert("congo", "t61rcWkgMzE"))
        .unwrap();
    context
}

#[test]
fn a_client_request_carries_the_context_in_its_metadata() {
    let mut request = tonic::Request::new(());
    let context = context();
    context.inject(request.metadata_mut().as_mut()).unwrap();

    let metadata = request.metadata();
    assert_eq!(
        metadata.get("traceparent").unwrap(),
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03"
    );
    assert_eq!(metadata.get("tracestate").unwrap(), "congo=t61rcWkgMzE");
}

#[test]
fn a_server_reads_the_context_from_the_metadata() {
    let mut request = tonic::Request::new(());
    let metadata = request.metadata_mut();
    metadata.insert("traceparent", MetadataValue::from_static(TRACEPARENT));
    metadata.append("tracestate", MetadataValue::from_static("a=1"));
    metadata.append("tracestate", MetadataValue::from_static("b=2"));

    let extracted = tracecontext::extract(request.metadata().as_ref());
    let parent = extracted.parent().expect("a valid traceparent");
    assert_eq!(parent.traceparent().to_string(), TRACEPARENT);
    // Two metadata values of one key are one list (rule S2).
    assert_eq!(parent.tracestate().as_str(), "a=1,b=2");

    let sampler = ParentBased::new(AlwaysOn);
    let (child, decision) = extracted.child_or_root(&mut SeededIds::new(1), &sampler);
    assert!(decision.is_sampled());
    assert_eq!(child.trace_id(), parent.trace_id());
    assert_eq!(child.parent_span_id(), Some(parent.span_id()));
}

#[test]
fn duplicate_traceparent_metadata_restarts_the_trace() {
    let mut request = tonic::Request::new(());
    let metadata = request.metadata_mut();
    metadata.append("traceparent", MetadataValue::from_static(TRACEPARENT));
    metadata.append("traceparent", MetadataValue::from_static(TRACEPARENT));
    let extracted = tracecontext::extract(request.metadata().as_ref());
    let error = extracted.traceparent_error().expect("restart");
    assert_eq!(error.kind(), ErrorKind::Duplicate);
}

#[test]
fn injecting_twice_leaves_one_value_and_removes_a_stale_tracestate() {
    let mut request = tonic::Request::new(());
    context().inject(request.metadata_mut().as_mut()).unwrap();
    // A context with no tracestate: the old one must go (rule S10).
    let bare = Context::new(
        TraceId::from_static("0af7651916cd43dd8448eb211c80319c"),
        SpanId::from_static("b7ad6b7169203331"),
        TraceFlags::NONE,
    );
    bare.inject(request.metadata_mut().as_mut()).unwrap();
    let metadata = request.metadata();
    assert_eq!(metadata.get_all("traceparent").iter().count(), 1);
    assert_eq!(
        metadata.get("traceparent").unwrap(),
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
    );
    assert!(metadata.get("tracestate").is_none());
}
