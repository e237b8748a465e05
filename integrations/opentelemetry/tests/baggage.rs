//! The baggage propagator on real carriers, each case beside what the SDK's
//! `BaggagePropagator` does with the same request (the README's differences table).

use std::collections::HashMap;

use http::{HeaderMap, HeaderValue};
use opentelemetry::baggage::{Baggage, BaggageExt as _};
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::{Context, KeyValue};
use opentelemetry_http::HeaderExtractor;
use opentelemetry_sdk::propagation::BaggagePropagator as SdkPropagator;
use tracecontext_opentelemetry::{BaggagePropagator, ExtractionExt as _};

fn headers(fields: &[&str]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for value in fields {
        map.append(
            "baggage",
            HeaderValue::from_str(value).expect("a header value"),
        );
    }
    map
}

fn extract(propagator: &dyn TextMapPropagator, fields: &[&str]) -> Context {
    propagator.extract_with_context(&Context::new(), &HeaderExtractor(&headers(fields)))
}

/// The entries, sorted, as `key=value;metadata`.
fn entries(cx: &Context) -> Vec<String> {
    let mut all: Vec<String> = cx
        .baggage()
        .iter()
        .map(|(k, (v, m))| format!("{}={};{}", k.as_str(), v.as_str(), m.as_str()))
        .collect();
    all.sort();
    all
}

fn get(cx: &Context, key: &str) -> Option<String> {
    cx.baggage().get(key).map(|v| v.as_str().to_owned())
}

/// The `baggage` field `propagator` sends for `cx`, its members sorted.
fn sent(propagator: &dyn TextMapPropagator, cx: &Context) -> Option<Vec<String>> {
    let mut out = HashMap::new();
    propagator.inject_context(cx, &mut out);
    let field = out.remove("baggage")?;
    let mut members: Vec<String> = field.split(',').map(str::to_owned).collect();
    members.sort();
    Some(members)
}

#[test]
fn b1_several_fields_are_one_list() {
    let cx = extract(&BaggagePropagator::new(), &["a=1", "b=2"]);
    assert_eq!(entries(&cx), ["a=1;", "b=2;"]);
    assert_eq!(
        entries(&extract(&SdkPropagator::new(), &["a=1", "b=2"])),
        ["a=1;"]
    );
}

#[test]
fn b2_a_value_may_hold_equals_signs() {
    let cx = extract(&BaggagePropagator::new(), &["q=a=1=b"]);
    assert_eq!(get(&cx, "q").as_deref(), Some("a=1=b"));
    let sdk = extract(&SdkPropagator::new(), &["q=a=1=b"]);
    assert_eq!(get(&sdk, "q").as_deref(), Some("a"));
}

#[test]
fn b5_bad_utf8_decodes_to_the_replacement_character() {
    let cx = extract(&BaggagePropagator::new(), &["k=%C3%28x,ok=1"]);
    assert_eq!(get(&cx, "k").as_deref(), Some("\u{fffd}(x"));
    let sdk = extract(&SdkPropagator::new(), &["k=%C3%28x,ok=1"]);
    assert_eq!(get(&sdk, "k"), None, "the SDK drops the entry");
    assert_eq!(get(&sdk, "ok").as_deref(), Some("1"));
}

#[test]
fn b5_values_are_encoded_exactly_where_needed() {
    let cx = Context::new().with_baggage([KeyValue::new("k", "50% \\ é=ok")]);
    assert_eq!(
        sent(&BaggagePropagator::new(), &cx).unwrap(),
        ["k=50%25%20%5C%20%C3%A9=ok"]
    );
    // The SDK leaves `%` and `\` as they are: an invalid member.
    assert_eq!(
        sent(&SdkPropagator::new(), &cx).unwrap(),
        ["k=50%%20\\%20%C3%A9%3Dok"]
    );
    // What we send reads back as what was put in.
    let mut out = HashMap::new();
    BaggagePropagator::new().inject_context(&cx, &mut out);
    let back = BaggagePropagator::new().extract(&out);
    assert_eq!(get(&back, "k").as_deref(), Some("50% \\ é=ok"));
}

#[test]
fn b6_whole_members_are_kept_up_to_the_limits() {
    // 80 members of 120 bytes: more than 64 members and more than 8192 bytes.
    let list: Vec<String> = (0..80)
        .map(|i| format!("m{i:02}={}", "v".repeat(116)))
        .collect();
    let field = list.join(",");
    let cx = extract(&BaggagePropagator::new(), &[&field]);
    // 8192 bytes hold 67 members of 120 (with commas); the member limit, 64, binds.
    assert_eq!(cx.baggage().len(), 64);
    assert!(get(&cx, "m63").is_some() && get(&cx, "m64").is_none());
    // The SDK drops the whole header past 8192 bytes.
    assert_eq!(extract(&SdkPropagator::new(), &[&field]).baggage().len(), 0);
}

#[test]
fn b7_the_first_member_with_a_key_wins() {
    let cx = extract(&BaggagePropagator::new(), &["k=first,k=second"]);
    assert_eq!(get(&cx, "k").as_deref(), Some("first"));
    let sdk = extract(&SdkPropagator::new(), &["k=first,k=second"]);
    assert_eq!(get(&sdk, "k").as_deref(), Some("second"));
}

#[test]
fn b8_an_invalid_member_is_dropped_and_the_others_kept_with_the_reason() {
    let cx = extract(&BaggagePropagator::new(), &["a=1,bad key=2,c=%zz,d=4"]);
    assert_eq!(entries(&cx), ["a=1;", "d=4;"]);
    let dropped = cx.dropped_baggage().expect("reported");
    assert_eq!(dropped.count(), 2);
    // `bad`, a space, then an `=` was due where `key` starts.
    assert_eq!(
        (dropped.first().member(), dropped.first().offset()),
        (Some(2), 8)
    );
    assert_eq!(
        dropped.to_string(),
        format!(
            "2 baggage member(s) dropped, the first: {}",
            dropped.first()
        )
    );
    // The SDK drops the bad key without a word and keeps `%zz` as it came.
    let sdk = extract(&SdkPropagator::new(), &["a=1,bad key=2,c=%zz,d=4"]);
    assert_eq!(entries(&sdk), ["a=1;", "c=%zz;", "d=4;"]);
    // Nothing dropped, nothing said.
    assert_eq!(
        extract(&BaggagePropagator::new(), &["a=1"]).dropped_baggage(),
        None
    );
}

#[test]
fn b8_strict_takes_nothing_from_a_list_with_an_invalid_member() {
    let cx = extract(&BaggagePropagator::strict(), &["a=1,bad key=2,c=3"]);
    assert!(cx.baggage().is_empty());
    let dropped = cx.dropped_baggage().expect("reported");
    assert_eq!(dropped.count(), 3);
    assert_eq!(dropped.first().member(), Some(2));
    let clean = extract(&BaggagePropagator::strict(), &["a=1,c=3"]);
    assert_eq!(entries(&clean), ["a=1;", "c=3;"]);
    assert_eq!(BaggagePropagator::default(), BaggagePropagator::new());
}

#[test]
fn a_later_extraction_replaces_what_was_dropped() {
    let propagator = BaggagePropagator::new();
    let first = extract(&propagator, &["bad key=1"]);
    assert!(first.dropped_baggage().is_some());
    let again = propagator.extract_with_context(&first, &HeaderExtractor(&headers(&["a=1"])));
    assert_eq!(again.dropped_baggage(), None);
    assert_eq!(get(&again, "a").as_deref(), Some("1"));
}

#[test]
fn b5_bytes_that_are_not_utf8_are_not_sent_on_as_they_came() {
    // OpenTelemetry's `Baggage` holds decoded text: the replacement character is
    // what is sent on (a difference the README lists).
    let cx = extract(&BaggagePropagator::new(), &["k=%FF%c3%a9"]);
    assert_eq!(
        sent(&BaggagePropagator::new(), &cx).unwrap(),
        ["k=%EF%BF%BD%C3%A9"]
    );
}

#[test]
fn properties_are_kept_as_they_arrived_and_sent_on() {
    let cx = extract(&BaggagePropagator::new(), &["k=v ; ttl=30 ;p=%3B; flag"]);
    assert_eq!(entries(&cx), ["k=v;ttl=30 ;p=%3B; flag"]);
    assert_eq!(
        sent(&BaggagePropagator::new(), &cx).unwrap(),
        ["k=v;ttl=30 ;p=%3B; flag"]
    );
    // The SDK decodes the property, and sends `p=;`, which reads back otherwise.
    let sdk = extract(&SdkPropagator::new(), &["k=v;p=%3B"]);
    assert_eq!(sent(&SdkPropagator::new(), &sdk).unwrap(), ["k=v;p=;"]);
}

#[test]
fn members_the_grammar_refuses_are_not_sent() {
    let mut baggage = Baggage::new();
    baggage.insert("ok", "1");
    baggage.insert_with_metadata("badmeta", "2", "a b");
    baggage.insert("bad(key)", "3");
    let cx = Context::new().with_baggage(baggage);
    assert_eq!(sent(&BaggagePropagator::new(), &cx).unwrap(), ["ok=1"]);
}

#[test]
fn metadata_with_a_comma_cannot_add_members() {
    let mut baggage = Baggage::new();
    baggage.insert_with_metadata("k1", "v", "p,k2=evil");
    baggage.insert("k2", "good");
    let cx = Context::new().with_baggage(baggage);
    // Whatever the map's order, only the honest member goes out.
    for _ in 0..8 {
        assert_eq!(sent(&BaggagePropagator::new(), &cx).unwrap(), ["k2=good"]);
    }
    let only = Context::new().with_baggage({
        let mut b = Baggage::new();
        b.insert_with_metadata("k1", "v", "p,x=1");
        b
    });
    assert_eq!(sent(&BaggagePropagator::new(), &only), None);
}

#[test]
fn what_is_sent_stays_within_8192_bytes() {
    // 64 members of 30 `é`: OpenTelemetry counts 63 decoded bytes each and holds
    // all 64; encoded, each is 184 bytes, 11 839 in all.
    let cx = Context::new()
        .with_baggage((0..64).map(|i| KeyValue::new(format!("k{i:02}"), "é".repeat(30))));
    let mut out = HashMap::new();
    BaggagePropagator::new().inject_context(&cx, &mut out);
    let field = &out["baggage"];
    assert!(field.len() <= 8192, "{}", field.len());
    let back = BaggagePropagator::new().extract(&out);
    assert_eq!(back.baggage().len(), field.split(',').count());
    assert!(back.baggage().len() < 64);
    assert_eq!(cx.baggage().len(), 64, "OpenTelemetry holds all 64");
}

#[test]
fn empty_baggage_sends_nothing() {
    assert_eq!(sent(&BaggagePropagator::new(), &Context::new()), None);
    let cx = extract(&BaggagePropagator::new(), &["bad key=1"]);
    assert!(cx.baggage().is_empty());
    assert_eq!(sent(&BaggagePropagator::new(), &cx), None);
}

#[test]
fn hostile_inputs_are_bounded() {
    let huge = "k=v,".repeat(262_144); // 1 MiB, 262 144 members
    let cx = extract(&BaggagePropagator::new(), &[&huge]);
    assert_eq!(cx.baggage().len(), 1, "one key, the first member kept");
    let many: Vec<String> = (0..10_000).map(|i| format!("k{i}=v")).collect();
    let fields: Vec<&str> = many.iter().map(String::as_str).collect();
    let cx = extract(&BaggagePropagator::new(), &fields);
    assert_eq!(cx.baggage().len(), 64);
}
