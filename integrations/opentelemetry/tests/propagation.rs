//! The trace context propagator on real carriers, each case beside what the SDK's
//! `TraceContextPropagator` does with the same request (the README's differences
//! table), so that a row that stops holding fails here.

use std::collections::HashMap;

use http::{HeaderMap, HeaderValue};
use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{Context, global};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::propagation::TraceContextPropagator as SdkPropagator;
use tracecontext::ErrorKind;
use tracecontext_opentelemetry::{
    BaggagePropagator, Extraction, ExtractionExt as _, TraceContextPropagator,
};

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const OTHER: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

/// Request headers, in order, repeated names kept as separate fields.
fn headers(fields: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for &(name, value) in fields {
        map.append(name, HeaderValue::from_str(value).expect("a header value"));
    }
    map
}

fn extract(propagator: &dyn TextMapPropagator, fields: &[(&'static str, &str)]) -> Context {
    propagator.extract_with_context(&Context::new(), &HeaderExtractor(&headers(fields)))
}

fn span_context(cx: &Context) -> SpanContext {
    cx.span().span_context().clone()
}

/// What `propagator` sends for `cx`.
fn inject(propagator: &dyn TextMapPropagator, cx: &Context) -> HashMap<String, String> {
    let mut out = HashMap::new();
    propagator.inject_context(cx, &mut out);
    out
}

/// Asserts a continuation with no `tracestate` error and `refused` members not
/// held by OpenTelemetry.
fn assert_clean(extraction: Option<&Extraction>, refused: usize) {
    assert!(
        matches!(
            extraction,
            Some(Extraction::Continued {
                tracestate_error: None,
                refused_members,
                ..
            }) if *refused_members == refused
        ),
        "{extraction:?}"
    );
}

fn remote(flags: u8, state: TraceState) -> Context {
    Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
        SpanId::from_hex("00f067aa0ba902b7").unwrap(),
        TraceFlags::new(flags),
        true,
        state,
    ))
}

#[test]
fn a_valid_traceparent_continues() {
    let cx = extract(
        &TraceContextPropagator::new(),
        &[("traceparent", TRACEPARENT)],
    );
    let sc = span_context(&cx);
    assert!(sc.is_valid() && sc.is_remote() && sc.is_sampled());
    assert_eq!(
        sc.trace_id().to_string(),
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
    assert_eq!(sc.span_id().to_string(), "00f067aa0ba902b7");
    assert_clean(cx.extraction(), 0);
    assert_eq!(cx.extraction().unwrap().to_string(), "continued");
    // Same as the SDK's.
    assert_eq!(
        sc,
        span_context(&extract(
            &SdkPropagator::new(),
            &[("traceparent", TRACEPARENT)]
        ))
    );
}

#[test]
fn t7_two_traceparent_fields_restart() {
    let fields = [("traceparent", TRACEPARENT), ("traceparent", OTHER)];
    let cx = extract(&TraceContextPropagator::new(), &fields);
    assert!(!span_context(&cx).is_valid());
    let Some(Extraction::Invalid(error)) = cx.extraction() else {
        panic!("{:?}", cx.extraction());
    };
    assert_eq!(error.kind(), ErrorKind::Duplicate);
    assert_eq!(
        cx.extraction().unwrap().to_string(),
        "invalid traceparent, new trace: traceparent: more than one traceparent field"
    );
    // The SDK continues from the first.
    let sdk = span_context(&extract(&SdkPropagator::new(), &fields));
    assert_eq!(
        sdk.trace_id().to_string(),
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
}

#[test]
fn t9_an_invalid_traceparent_restarts_with_its_reason_and_keeps_the_given_context() {
    let given = remote(0x01, TraceState::NONE);
    let carrier = headers(&[(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0G",
    )]);
    let cx = TraceContextPropagator::new().extract_with_context(&given, &HeaderExtractor(&carrier));
    // The given context stays (OpenTelemetry's contract); the reason is added.
    assert_eq!(span_context(&cx), span_context(&given));
    let Some(Extraction::Invalid(error)) = cx.extraction() else {
        panic!("{:?}", cx.extraction());
    };
    assert_eq!(error.offset(), 54);
    assert_eq!(
        error.to_string(),
        "traceparent: invalid hex digit 'G' in trace-flags at byte 54"
    );
    // The SDK returns the given context too, with nothing to say why.
    let sdk = SdkPropagator::new().extract_with_context(&given, &HeaderExtractor(&carrier));
    assert_eq!(span_context(&sdk), span_context(&given));
}

#[test]
fn t10_no_traceparent_is_missing_and_tracestate_is_ignored() {
    let cx = extract(&TraceContextPropagator::new(), &[("tracestate", "a=1")]);
    assert!(!span_context(&cx).is_valid());
    assert_eq!(cx.extraction(), Some(&Extraction::Missing));
    assert_eq!(
        cx.extraction().unwrap().to_string(),
        "no traceparent, new trace"
    );
    // A context that was never extracted says nothing, even with a span context.
    assert_eq!(Context::new().extraction(), None);
    assert_eq!(remote(0x01, TraceState::NONE).extraction(), None);
}

#[test]
fn a_later_clean_extraction_replaces_an_earlier_outcome() {
    let propagator = TraceContextPropagator::new();
    let missing = extract(&propagator, &[]);
    assert_eq!(missing.extraction(), Some(&Extraction::Missing));
    let again = propagator.extract_with_context(
        &missing,
        &HeaderExtractor(&headers(&[("traceparent", TRACEPARENT)])),
    );
    assert!(matches!(
        again.extraction(),
        Some(Extraction::Continued {
            tracestate_error: None,
            ..
        })
    ));
}

#[test]
fn s2_several_tracestate_fields_are_one_list() {
    let fields = [
        ("traceparent", TRACEPARENT),
        ("tracestate", "a=1"),
        ("tracestate", "b=2"),
    ];
    let cx = extract(&TraceContextPropagator::new(), &fields);
    assert_eq!(span_context(&cx).trace_state().header(), "a=1,b=2");
    assert_eq!(
        inject(&TraceContextPropagator::new(), &cx)["tracestate"],
        "a=1,b=2"
    );
    // The SDK reads the first field only.
    let sdk = extract(&SdkPropagator::new(), &fields);
    assert_eq!(span_context(&sdk).trace_state().header(), "a=1");
}

fn members(n: usize) -> String {
    (0..n)
        .map(|i| format!("k{i}=v"))
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn s5_thirty_three_members_drop_the_list_with_the_reason() {
    let list = members(33);
    let fields = [("traceparent", TRACEPARENT), ("tracestate", list.as_str())];
    let cx = extract(&TraceContextPropagator::new(), &fields);
    let sc = span_context(&cx);
    assert!(sc.is_valid(), "the trace continues (T9)");
    assert_eq!(sc.trace_state().header(), "");
    let Some(Extraction::Continued {
        tracestate_error: Some(error),
        ..
    }) = cx.extraction()
    else {
        panic!("{:?}", cx.extraction());
    };
    assert_eq!(error.kind(), ErrorKind::MemberCount);
    // The SDK cuts to 32.
    let sdk = extract(&SdkPropagator::new(), &fields);
    assert_eq!(span_context(&sdk).trace_state().header(), members(32));
}

#[test]
fn s6_an_invalid_member_drops_the_list_strictly_and_only_itself_leniently() {
    let fields = [
        ("traceparent", TRACEPARENT),
        ("tracestate", "ok=1,Bad=2,fine=3"),
    ];
    let strict = extract(&TraceContextPropagator::new(), &fields);
    assert_eq!(span_context(&strict).trace_state().header(), "");
    let Some(Extraction::Continued {
        tracestate_error: Some(error),
        ..
    }) = strict.extraction()
    else {
        panic!("{:?}", strict.extraction());
    };
    assert_eq!((error.kind(), error.offset()), (ErrorKind::Key, 5));
    assert_eq!(
        strict.extraction().unwrap().to_string(),
        "continued, tracestate dropped: tracestate: invalid character 'B' in key of member 2 at byte 5"
    );

    let lenient = extract(&TraceContextPropagator::lenient(), &fields);
    assert_eq!(span_context(&lenient).trace_state().header(), "ok=1,fine=3");
    // The SDK drops the whole list for an invalid key, silently; it keeps a
    // member whose value is invalid.
    assert_eq!(
        span_context(&extract(&SdkPropagator::new(), &fields))
            .trace_state()
            .header(),
        ""
    );
    // A tab inside a value: valid in a header, not in a tracestate value.
    let bad_value = [("traceparent", TRACEPARENT), ("tracestate", "ok=1,v=a\tb")];
    assert_eq!(
        span_context(&extract(&SdkPropagator::new(), &bad_value))
            .trace_state()
            .header(),
        "ok=1,v=a\tb"
    );
    assert_eq!(
        span_context(&extract(&TraceContextPropagator::new(), &bad_value))
            .trace_state()
            .header(),
        ""
    );
}

#[test]
fn s10_an_empty_tracestate_is_never_sent() {
    let cx = remote(0x01, TraceState::NONE);
    let ours = inject(&TraceContextPropagator::new(), &cx);
    assert_eq!(
        ours.get("traceparent").map(String::as_str),
        Some(TRACEPARENT)
    );
    assert!(!ours.contains_key("tracestate"), "{ours:?}");
    // The SDK sends an empty field.
    let sdk = inject(&SdkPropagator::new(), &cx);
    assert_eq!(sdk.get("tracestate").map(String::as_str), Some(""));
}

#[test]
fn t11_t12_the_random_flag_goes_through() {
    let random = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03";
    let cx = extract(&TraceContextPropagator::new(), &[("traceparent", random)]);
    assert_eq!(span_context(&cx).trace_flags().to_u8(), 0x03);
    assert_eq!(
        inject(&TraceContextPropagator::new(), &cx)["traceparent"],
        random
    );
    // The SDK drops it.
    let sdk = extract(&SdkPropagator::new(), &[("traceparent", random)]);
    assert_eq!(span_context(&sdk).trace_flags().to_u8(), 0x01);
    assert_eq!(
        inject(&SdkPropagator::new(), &sdk)["traceparent"],
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    );
}

#[test]
fn reserved_flag_bits_are_not_sent() {
    let cx = remote(0xff, TraceState::NONE);
    assert_eq!(
        inject(&TraceContextPropagator::new(), &cx)["traceparent"],
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03"
    );
}

#[test]
fn a_tracestate_is_forwarded_exactly_while_unchanged() {
    let propagator = TraceContextPropagator::new();
    // Whitespace, an empty member and a key OpenTelemetry refuses (Level 2 only).
    let list = "a=1 ,, foo@@bar=x,\tb=2";
    let cx = extract(
        &propagator,
        &[("traceparent", TRACEPARENT), ("tracestate", list)],
    );
    assert_eq!(span_context(&cx).trace_state().header(), "a=1,b=2");
    assert_clean(cx.extraction(), 1);
    assert_eq!(
        cx.extraction().unwrap().to_string(),
        "continued, 1 tracestate member(s) not held by OpenTelemetry"
    );
    assert_eq!(inject(&propagator, &cx)["tracestate"], list);
    // The SDK refuses the whole list for the one key it does not take.
    let sdk = extract(
        &SdkPropagator::new(),
        &[("traceparent", TRACEPARENT), ("tracestate", list)],
    );
    assert_eq!(span_context(&sdk).trace_state().header(), "");

    // A child span context in the same trace with the same state: still exact.
    let child = cx.with_remote_span_context(SpanContext::new(
        span_context(&cx).trace_id(),
        SpanId::from_hex("b7ad6b7169203331").unwrap(),
        TraceFlags::SAMPLED,
        false,
        span_context(&cx).trace_state().clone(),
    ));
    assert_eq!(inject(&propagator, &child)["tracestate"], list);

    // Once the state changes, OpenTelemetry's form is sent (the refused member is
    // lost: it was never in the span context).
    let changed = span_context(&cx).trace_state().insert("c", "3").unwrap();
    let edited = cx.with_remote_span_context(SpanContext::new(
        span_context(&cx).trace_id(),
        SpanId::from_hex("b7ad6b7169203331").unwrap(),
        TraceFlags::SAMPLED,
        false,
        changed,
    ));
    assert_eq!(inject(&propagator, &edited)["tracestate"], "c=3,a=1,b=2");

    // Another trace with the same state is not this request's: its own form.
    let other = cx.with_remote_span_context(SpanContext::new(
        TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap(),
        SpanId::from_hex("b7ad6b7169203331").unwrap(),
        TraceFlags::SAMPLED,
        false,
        span_context(&cx).trace_state().clone(),
    ));
    assert_eq!(inject(&propagator, &other)["tracestate"], "a=1,b=2");
}

#[test]
fn a_refused_member_in_a_list_without_spaces_is_still_forwarded() {
    let propagator = TraceContextPropagator::new();
    let list = "a=1,foo@@bar=2,b=3";
    let cx = extract(
        &propagator,
        &[("traceparent", TRACEPARENT), ("tracestate", list)],
    );
    assert_eq!(span_context(&cx).trace_state().header(), "a=1,b=3");
    assert_eq!(inject(&propagator, &cx)["tracestate"], list);
}

#[test]
fn a_canonical_tracestate_is_sent_in_opentelemetrys_form() {
    let cx = extract(
        &TraceContextPropagator::new(),
        &[("traceparent", TRACEPARENT), ("tracestate", "a=1,b=2")],
    );
    // Clean: nothing kept to forward, the text is OpenTelemetry's.
    assert_clean(cx.extraction(), 0);
    assert_eq!(
        inject(&TraceContextPropagator::new(), &cx)["tracestate"],
        "a=1,b=2"
    );
}

#[test]
fn members_the_core_refuses_are_not_sent() {
    // OpenTelemetry checks values only for `,` and `=`: a control character passes
    // its check, not the grammar; a trailing space is whitespace around a member.
    let state = TraceState::from_key_value([("a", "1"), ("b", "x "), ("c", "3"), ("d", "\u{1}")])
        .expect("OpenTelemetry takes it");
    let cx = remote(0x01, state);
    // `b=x ` is valid: the space is whitespace after the member.
    assert_eq!(
        inject(&TraceContextPropagator::new(), &cx)["tracestate"],
        "a=1,b=x ,c=3"
    );
    let sdk = inject(&SdkPropagator::new(), &cx);
    assert_eq!(sdk["tracestate"], "a=1,b=x ,c=3,d=\u{1}");

    let nothing_valid = remote(0x01, TraceState::from_key_value([("d", "\u{1}")]).unwrap());
    assert!(!inject(&TraceContextPropagator::new(), &nothing_valid).contains_key("tracestate"));
}

#[test]
fn a_repeated_key_counts_once_and_the_list_is_forwarded_as_it_came() {
    let propagator = TraceContextPropagator::new();
    let list = "a=1,b=2,a=3";
    let cx = extract(
        &propagator,
        &[("traceparent", TRACEPARENT), ("tracestate", list)],
    );
    assert_eq!(span_context(&cx).trace_state().header(), "a=1,b=2");
    assert_eq!(inject(&propagator, &cx)["tracestate"], list);
    assert!(matches!(
        cx.extraction(),
        Some(Extraction::Continued {
            refused_members: 1,
            ..
        })
    ));
}

#[test]
fn a_changed_list_is_sent_with_the_left_most_member_of_each_key() {
    let state = TraceState::from_key_value([("b", "3"), ("a", "1"), ("a", "2")]).unwrap();
    let cx = remote(0x01, state);
    assert_eq!(
        inject(&TraceContextPropagator::new(), &cx)["tracestate"],
        "b=3,a=1"
    );
}

#[test]
fn one_invalid_member_costs_only_itself_when_sent() {
    // 8 valid members of 100 bytes (807 bytes in all) and one OpenTelemetry
    // takes but the grammar does not: the valid ones all go out, uncut.
    let mut members: Vec<(String, String)> =
        (0..8).map(|i| (format!("k{i}"), "v".repeat(97))).collect();
    members.insert(3, ("bad".to_owned(), "\u{1}".to_owned()));
    let cx = remote(0x01, TraceState::from_key_value(members.clone()).unwrap());
    let sent = &inject(&TraceContextPropagator::new(), &cx)["tracestate"];
    let expected: Vec<String> = members
        .iter()
        .filter(|(k, _)| k != "bad")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    assert_eq!(sent, &expected.join(","));
}

#[test]
fn a_full_list_with_an_invalid_member_sends_the_others() {
    // OpenTelemetry holds at most 32 members: each `insert` into a full list
    // pushes the right-most out.
    let members: Vec<(String, String)> =
        (0..32).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    let state = TraceState::from_key_value(members)
        .unwrap()
        .insert("extra", "1")
        .unwrap()
        .insert("bad", "\u{1}")
        .unwrap();
    let cx = remote(0x01, state);
    let sent = &inject(&TraceContextPropagator::new(), &cx)["tracestate"];
    let keys: Vec<&str> = sent
        .split(',')
        .map(|m| m.split('=').next().unwrap())
        .collect();
    assert_eq!(keys.len(), 31, "{sent}");
    assert_eq!((keys[0], keys[30]), ("extra", "k29"));
    assert!(tracecontext::TraceStateView::parse(sent.as_bytes()).is_ok());
}

#[test]
fn an_invalid_span_context_injects_nothing() {
    assert!(inject(&TraceContextPropagator::new(), &Context::new()).is_empty());
}

#[test]
fn non_utf8_values_are_hidden_by_the_sdks_header_extractor() {
    // A limit of `opentelemetry_http::HeaderExtractor`, not of the propagator: a
    // second `traceparent` that is not UTF-8 never reaches it, so the trace
    // continues where the core's own `HeaderMap` carrier would restart.
    let mut map = headers(&[("traceparent", TRACEPARENT)]);
    map.append("traceparent", HeaderValue::from_bytes(b"00-\xff").unwrap());
    let cx =
        TraceContextPropagator::new().extract_with_context(&Context::new(), &HeaderExtractor(&map));
    assert!(span_context(&cx).is_valid());
    assert!(matches!(
        tracecontext::extract(&map),
        tracecontext::Extracted::Invalid(_)
    ));
}

#[test]
fn works_in_a_composite_and_as_the_global_propagator() {
    let composite = TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ]);
    let mut fields: Vec<String> = composite.fields().map(str::to_owned).collect();
    fields.sort(); // the composite keeps no order
    assert_eq!(fields, ["baggage", "traceparent", "tracestate"]);
    global::set_text_map_propagator(composite);

    let incoming = headers(&[
        (
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
        ),
        ("tracestate", "a=1"),
        ("baggage", "k=v"),
    ]);
    let cx = global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(&incoming)));
    let mut outgoing = HeaderMap::new();
    global::get_text_map_propagator(|p| p.inject_context(&cx, &mut HeaderInjector(&mut outgoing)));
    assert_eq!(
        outgoing["traceparent"],
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03"
    );
    assert_eq!(outgoing["tracestate"], "a=1");
    assert_eq!(outgoing["baggage"], "k=v");
}
