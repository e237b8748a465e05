//! Each loss of the conversions, as the `convert` module's table lists it.

use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
use tracecontext::{Context, TraceStateView};
use tracecontext_opentelemetry::convert;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID: &str = "00f067aa0ba902b7";

fn span_context(flags: u8, remote: bool, state: TraceState) -> SpanContext {
    SpanContext::new(
        TraceId::from_hex(TRACE_ID).unwrap(),
        SpanId::from_hex(SPAN_ID).unwrap(),
        TraceFlags::new(flags),
        remote,
        state,
    )
}

#[test]
fn level_2_keys_opentelemetry_refuses_are_counted_and_left_out() {
    for key in ["foo@@bar", "a@b@c", "t@-x", "tenant@abcdefghijklmno"] {
        let text = format!("a=1,{key}=2,b=3");
        let view = TraceStateView::parse(text.as_bytes()).expect("the core takes it");
        assert!(TraceState::from_key_value([(key, "2")]).is_err(), "{key}");
        let (state, refused) = convert::to_trace_state(&view);
        assert_eq!((state.header().as_str(), refused), ("a=1,b=3", 1), "{key}");
    }
}

#[test]
fn several_refused_members_are_all_counted() {
    let view = TraceStateView::parse(b"a=1,x@@y=2,b=3,p@@q=4,c=5").unwrap();
    let (state, refused) = convert::to_trace_state(&view);
    assert_eq!((state.header().as_str(), refused), ("a=1,b=3,c=5", 2));
}

#[test]
fn a_key_that_comes_again_counts_once() {
    let view = TraceStateView::parse(b"a=1,a=2,b=3,a=4,a=5").unwrap();
    let (state, refused) = convert::to_trace_state(&view);
    assert_eq!((state.header().as_str(), refused), ("a=1,b=3", 3));
}

#[test]
fn a_list_opentelemetry_takes_whole_is_kept_whole() {
    let view = TraceStateView::parse(b"a=1, t@vendor=2 ,b=x y").unwrap();
    let (state, refused) = convert::to_trace_state(&view);
    assert_eq!(
        (state.header().as_str(), refused),
        ("a=1,t@vendor=2,b=x y", 0)
    );
    let empty = TraceStateView::parse(b"").unwrap();
    assert_eq!(convert::to_trace_state(&empty), (TraceState::NONE, 0));
}

#[test]
fn ids_and_flags_go_both_ways() {
    let trace_id = tracecontext::TraceId::from_static(TRACE_ID);
    let span_id = tracecontext::SpanId::from_static(SPAN_ID);
    assert_eq!(convert::to_trace_id(trace_id).to_string(), TRACE_ID);
    assert_eq!(convert::to_span_id(span_id).to_string(), SPAN_ID);
    assert_eq!(
        convert::from_trace_id(convert::to_trace_id(trace_id)),
        Some(trace_id)
    );
    assert_eq!(
        convert::from_span_id(convert::to_span_id(span_id)),
        Some(span_id)
    );
    assert_eq!(convert::from_trace_id(TraceId::INVALID), None);
    assert_eq!(convert::from_span_id(SpanId::INVALID), None);
    for bits in [0x00, 0x01, 0x02, 0x03] {
        let flags = tracecontext::TraceFlags::from_bits(bits);
        assert_eq!(convert::to_flags(flags).to_u8(), bits);
        assert_eq!(convert::from_flags(TraceFlags::new(bits)), flags);
    }
    // Reserved bits go neither way.
    assert_eq!(
        convert::to_flags(tracecontext::TraceFlags::from_bits(0xff)).to_u8(),
        0x03
    );
    assert_eq!(convert::from_flags(TraceFlags::new(0xfd)).bits(), 0x01);
}

#[test]
fn a_context_goes_there_and_back() {
    let incoming = [
        (
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
        ),
        ("tracestate", "congo=t61rcWkgMzE,rojo=1"),
    ];
    let remote = tracecontext::extract(&incoming).into_parent().unwrap();
    let sc = convert::to_span_context(&remote);
    assert!(sc.is_remote() && sc.is_sampled());
    assert_eq!(sc.trace_flags().to_u8(), 0x03);
    assert_eq!(sc.trace_state().header(), "congo=t61rcWkgMzE,rojo=1");
    let back = convert::from_span_context(&sc).unwrap();
    assert_eq!(back, remote.into_owned());

    let local = Context::new(
        tracecontext::TraceId::from_static(TRACE_ID),
        tracecontext::SpanId::from_static(SPAN_ID),
        tracecontext::TraceFlags::SAMPLED,
    );
    let sc = convert::to_span_context(&local);
    assert!(!sc.is_remote());
    let back = convert::from_span_context(&sc).unwrap();
    assert!(!back.is_remote());
    assert_eq!(back.traceparent(), local.traceparent());
}

#[test]
fn an_invalid_span_context_has_no_core_context() {
    assert!(convert::from_span_context(&SpanContext::empty_context()).is_none());
    let no_span = SpanContext::new(
        TraceId::from_hex(TRACE_ID).unwrap(),
        SpanId::INVALID,
        TraceFlags::SAMPLED,
        false,
        TraceState::NONE,
    );
    assert!(convert::from_span_context(&no_span).is_none());
}

#[test]
fn members_the_core_refuses_are_dropped_on_the_way_in() {
    let state = TraceState::from_key_value([("a", "1"), ("b", "\u{1}"), ("c", "3")]).unwrap();
    for remote in [true, false] {
        let context =
            convert::from_span_context(&span_context(0x01, remote, state.clone())).unwrap();
        assert_eq!(context.tracestate().as_str(), "a=1,c=3", "remote: {remote}");
        assert_eq!(context.is_remote(), remote);
    }
}

#[test]
fn a_long_list_is_cut_to_512_bytes_on_the_way_in() {
    // 8 members of 100 bytes: 807 bytes, past the owned context's 512.
    let members: Vec<(String, String)> =
        (0..8).map(|i| (format!("k{i}"), "v".repeat(97))).collect();
    let state = TraceState::from_key_value(members).unwrap();
    for remote in [true, false] {
        let context =
            convert::from_span_context(&span_context(0x01, remote, state.clone())).unwrap();
        let kept = context.tracestate();
        assert!(kept.as_str().len() <= 512, "{}", kept.as_str().len());
        assert!(
            kept.len() >= 4,
            "whole members from the left are kept: {}",
            kept.len()
        );
        assert!(kept.as_str().starts_with("k0="));
    }
}
