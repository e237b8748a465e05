//! The propagation procedure through every carrier: extract (T1, T7, T9, T10, S1,
//! S2, S6, C3), continue or restart (T5, T8, T11), inject (T1, S1, S10), and the
//! response side (R1, R2).
//!
//! The `Vec` and map carriers need the `std` feature (the default).
#![cfg(feature = "std")]

use std::collections::{BTreeMap, HashMap};

use tracecontext::{
    Context, ErrorKind, Extracted, Extractor, InjectError, Injector, SpanId, TraceFlags, TraceId,
    TraceParent, Validation, extract, response,
};

const TP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const OTHER_TP: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

fn span(n: u64) -> SpanId {
    SpanId::from_u64(n).unwrap()
}

fn trace(n: u128) -> TraceId {
    TraceId::from_u128(n).unwrap()
}

fn parent<'a>(extracted: &'a Extracted<'_>) -> &'a Context<'a> {
    match extracted.parent() {
        Some(parent) => parent,
        None => panic!("expected a continued trace, got: {extracted}"),
    }
}

// ---------------------------------------------------------------- extraction

#[test]
fn t1_s1_names_match_in_any_case() {
    for (tp_name, ts_name) in [
        ("traceparent", "tracestate"),
        ("TRACEPARENT", "TRACESTATE"),
        ("TraceParent", "TraceState"),
    ] {
        let incoming = [(tp_name, TP), (ts_name, "a=1")];
        let extracted = extract(&incoming);
        let parent = parent(&extracted);
        assert_eq!(parent.trace_id().to_string(), TRACE);
        assert_eq!(parent.tracestate(), "a=1");
        assert!(parent.is_remote());
    }
}

#[test]
fn t1_other_names_are_not_traceparent() {
    for name in [
        "trace-parent",
        "trace.parent",
        "traceparent ",
        "traceparents",
        "trace_parent",
    ] {
        let incoming = [(name, TP), ("tracestate", "a=1")];
        assert!(matches!(extract(&incoming), Extracted::Missing), "{name}");
    }
}

#[test]
fn t10_missing_traceparent_discards_tracestate() {
    let incoming = [("tracestate", "a=1")];
    let extracted = extract(&incoming);
    assert!(matches!(extracted, Extracted::Missing));
    assert_eq!(extracted.to_string(), "no traceparent, new trace");
    let empty: [(&str, &str); 0] = [];
    assert!(matches!(extract(&empty), Extracted::Missing));
}

#[test]
fn t7_two_traceparent_fields_are_invalid() {
    // Same value twice, different values, different spellings of the name.
    for incoming in [
        [("traceparent", TP), ("traceparent", TP)],
        [("traceparent", TP), ("traceparent", OTHER_TP)],
        [("traceparent", TP), ("TraceParent", TP)],
    ] {
        let extracted = extract(&incoming);
        let error = extracted.traceparent_error().expect("invalid");
        assert_eq!(error.kind(), ErrorKind::Duplicate);
        assert_eq!(
            error.to_string(),
            "traceparent: more than one traceparent field in the request"
        );
    }
    // A map whose keys differ only in case holds two fields too.
    let mut map = HashMap::new();
    map.insert("traceparent".to_string(), TP.to_string());
    map.insert("Traceparent".to_string(), TP.to_string());
    assert!(matches!(extract(&map), Extracted::Invalid(e) if e.kind() == ErrorKind::Duplicate));
}

#[test]
fn t9_invalid_traceparent_restarts_and_ignores_tracestate() {
    let bad = "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01";
    // The tracestate is invalid too, but it is never read: the error is about the
    // traceparent.
    let incoming = [("traceparent", bad), ("tracestate", "BAD")];
    let extracted = extract(&incoming);
    let error = extracted.traceparent_error().expect("invalid");
    assert_eq!(error.kind(), ErrorKind::ParentId);
    assert_eq!(extracted.tracestate_error(), None);
    assert!(extracted.parent().is_none());
    assert_eq!(
        extracted.to_string(),
        "invalid traceparent, new trace: traceparent: all zeros is not allowed in parent-id at byte 36"
    );
}

#[test]
fn t9_tracestate_error_drops_only_the_tracestate() {
    for bad in ["foo=bar=baz", "FOO=1", "a=1,,b", "@foo=1", "foo =1"] {
        let incoming = [("traceparent", TP), ("tracestate", bad)];
        let extracted = extract(&incoming);
        let parent = parent(&extracted);
        assert_eq!(parent.trace_id().to_string(), TRACE, "{bad}");
        assert_eq!(parent.tracestate(), "", "{bad}");
        assert!(parent.headers().tracestate().is_none());
        let error = extracted.tracestate_error().expect("dropped");
        assert_eq!(error.kind().header(), "tracestate");
        assert!(
            extracted.to_string().starts_with(
                "continued trace 4bf92f3577b34da6a3ce929d0e0e4736, tracestate dropped: tracestate: "
            ),
            "{extracted}"
        );
    }
}

#[test]
fn s2_several_tracestate_fields_are_one_list() {
    let incoming = [
        ("tracestate", "a=1,b=2"),
        ("traceparent", TP),
        ("Tracestate", " c=3 "),
        ("tracestate", ""),
        ("tracestate", "d=4"),
    ];
    let extracted = extract(&incoming);
    assert_eq!(parent(&extracted).tracestate(), "a=1,b=2,c=3,d=4");
}

#[test]
fn s2_s5_members_are_counted_across_fields() {
    let field = |from: usize| -> String {
        (from..from + 8)
            .map(|i| format!("k{i}=v"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let fields: Vec<String> = (0..4).map(|f| field(f * 8)).collect();
    let mut incoming: Vec<(&str, &str)> = vec![("traceparent", TP)];
    incoming.extend(fields.iter().map(|f| ("tracestate", f.as_str())));
    let extracted = extract(&incoming);
    assert_eq!(parent(&extracted).tracestate(), fields.join(","));

    incoming.push(("tracestate", "k32=v"));
    let extracted = extract(&incoming);
    assert_eq!(parent(&extracted).tracestate(), "");
    assert_eq!(
        extracted.tracestate_error().map(|e| e.kind()),
        Some(ErrorKind::MemberCount)
    );
}

#[test]
fn s3_whitespace_around_the_list_is_not_forwarded() {
    let incoming = [("traceparent", TP), ("tracestate", " \t a=1 , b=2\t ")];
    assert_eq!(parent(&extract(&incoming)).tracestate(), "a=1 , b=2");
}

#[test]
fn s10_empty_tracestate_is_not_sent() {
    for empty in ["", " ", ",", " , ,\t"] {
        let incoming = [("traceparent", TP), ("tracestate", empty)];
        let extracted = extract(&incoming);
        assert_eq!(extracted.tracestate_error(), None);
        let headers = parent(&extracted).headers();
        assert_eq!(headers.tracestate(), None);
        let mut out = [("", ""); 2];
        headers.inject(&mut out).unwrap();
        assert_eq!(out, [("traceparent", TP), ("", "")]);
    }
}

#[test]
fn s6_lenient_extraction_keeps_the_valid_members() {
    let incoming = [("traceparent", TP), ("tracestate", "a=1,B=2,c=3")];
    let lenient = Extracted::from_carrier(&incoming, Validation::Lenient);
    assert_eq!(parent(&lenient).tracestate(), "a=1,c=3");
    assert_eq!(lenient.tracestate_error(), None);
    let strict = Extracted::from_carrier(&incoming, Validation::Strict);
    assert_eq!(parent(&strict).tracestate(), "");
}

#[test]
fn s9_a_long_single_field_is_forwarded_whole_and_joined_fields_are_cut() {
    let members: Vec<String> = (0..32)
        .map(|i| format!("k{i:02}={}", "v".repeat(40)))
        .collect();
    let long = members.join(",");
    assert!(long.len() > 1400);
    let incoming = [("traceparent", TP), ("tracestate", long.as_str())];
    assert_eq!(parent(&extract(&incoming)).tracestate(), long);

    // Joined from two fields, the list goes into a 512-byte state, cut from the
    // right (S9).
    let (left, right) = members.split_at(16);
    let (left, right) = (left.join(","), right.join(","));
    let incoming = [
        ("traceparent", TP),
        ("tracestate", &left),
        ("tracestate", &right),
    ];
    let extracted = extract(&incoming);
    let forwarded = parent(&extracted).tracestate();
    assert!(forwarded.len() <= 512, "{}", forwarded.len());
    assert!(long.starts_with(forwarded));
    assert!(forwarded.ends_with(&"v".repeat(40)));
}

#[test]
fn c3_values_that_are_not_utf8_are_invalid() {
    let mut tp = TP.as_bytes().to_vec();
    tp[10] = 0xff;
    let incoming: [(&[u8], &[u8]); 1] = [(b"traceparent", &tp)];
    assert_eq!(
        extract(&incoming)
            .traceparent_error()
            .map(|e| (e.kind(), e.offset())),
        Some((ErrorKind::TraceId, 10))
    );
    let incoming: [(&[u8], &[u8]); 2] = [
        (b"traceparent", TP.as_bytes()),
        (b"tracestate", b"a=\xc3\xa9"),
    ];
    let extracted = extract(&incoming);
    assert_eq!(parent(&extracted).tracestate(), "");
    assert_eq!(
        extracted.tracestate_error().map(|e| e.kind()),
        Some(ErrorKind::Value)
    );
}

#[test]
fn t5_future_versions_continue_and_are_sent_as_version_00() {
    let incoming = [(
        "traceparent",
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff-what-the-future-holds",
    )];
    let extracted = extract(&incoming);
    let child = parent(&extracted).child(span(2));
    assert_eq!(
        child.headers().traceparent(),
        // T8: of flags ff only the known bits (sampled, random) are written.
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000002-03"
    );
}

/// A carrier whose iterator is not `Clone`: joining its fields must still work.
struct OneShot(Vec<(String, Vec<u8>)>);

struct NotClone<I>(I);

impl<'a, I: Iterator<Item = &'a [u8]>> Iterator for NotClone<I> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        self.0.next()
    }
}

impl Extractor for OneShot {
    fn get_all(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        NotClone(
            self.0
                .iter()
                .filter(move |(k, _)| k == name)
                .map(|(_, v)| v.as_slice()),
        )
    }
}

#[test]
fn s2_joining_works_with_any_carrier_iterator() {
    let carrier = OneShot(vec![
        ("traceparent".into(), TP.into()),
        ("tracestate".into(), b"a=1".to_vec()),
        ("tracestate".into(), b"b=2".to_vec()),
        ("tracestate".into(), b"c=3".to_vec()),
    ]);
    assert_eq!(parent(&extract(&carrier)).tracestate(), "a=1,b=2,c=3");
}

// ---------------------------------------------------------------- continuing

#[test]
fn t11_child_keeps_trace_id_and_flags_and_takes_the_new_span() {
    for flags in ["00", "01", "02", "03"] {
        let tp = format!("00-{TRACE}-00f067aa0ba902b7-{flags}");
        let incoming = [("traceparent", tp.as_str()), ("tracestate", "a=1")];
        let extracted = extract(&incoming);
        let parent = parent(&extracted);
        let child = parent.child(span(0x53995c3f42cd8ad8));
        assert_eq!(child.trace_id(), parent.trace_id());
        assert_eq!(child.flags(), parent.flags());
        assert_eq!(child.span_id(), span(0x53995c3f42cd8ad8));
        assert_eq!(child.parent_span_id(), Some(parent.span_id()));
        assert_eq!(parent.parent_span_id(), None);
        assert!(!child.is_remote());
        assert_eq!(child.tracestate(), "a=1");
        assert_eq!(
            child.headers().traceparent(),
            format!("00-{TRACE}-53995c3f42cd8ad8-{flags}")
        );
    }
}

#[test]
fn t11_sampled_changes_only_with_a_new_span_and_random_is_kept() {
    let incoming = [(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
    )];
    let extracted = extract(&incoming);
    let parent = parent(&extracted);
    let unsampled = parent.child_with_sampled(span(7), false);
    assert_eq!(unsampled.span_id(), span(7));
    assert!(!unsampled.is_sampled());
    assert!(
        unsampled.flags().is_random(),
        "T11: the random flag is copied exactly"
    );
    assert_eq!(unsampled.trace_id(), parent.trace_id());
    let resampled = unsampled.child_with_sampled(span(8), true);
    assert_eq!(resampled.flags(), TraceFlags::SAMPLED | TraceFlags::RANDOM);
}

#[test]
fn t8_reserved_flag_bits_are_not_sent() {
    let incoming = [(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09",
    )];
    let extracted = extract(&incoming);
    let parent = parent(&extracted);
    assert_eq!(parent.flags().bits(), 0x09, "read as received");
    assert!(
        parent
            .child(span(5))
            .headers()
            .traceparent()
            .ends_with("-01")
    );
}

#[test]
fn t9_t12_root_starts_a_new_trace_with_known_flags_only() {
    let root = Context::root(trace(0xabc), span(0xdef), TraceFlags::from_bits(0xff));
    assert_eq!(root.flags(), TraceFlags::SAMPLED | TraceFlags::RANDOM);
    assert_eq!(root.tracestate(), "");
    assert!(!root.is_remote());
    assert_eq!(
        root.headers().traceparent(),
        "00-00000000000000000000000000000abc-0000000000000def-03"
    );
}

#[test]
fn child_or_root_follows_the_outcome() {
    let continued = [("traceparent", TP)];
    let missing: [(&str, &str); 0] = [];
    let invalid = [("traceparent", "00-xyz")];
    let root_flags = TraceFlags::RANDOM;
    let c = extract(&continued).child_or_root(span(9), trace(1), root_flags);
    assert_eq!(c.trace_id().to_string(), TRACE);
    assert_eq!(c.span_id(), span(9));
    for restart in [extract(&missing), extract(&invalid)] {
        let r = restart.child_or_root(span(9), trace(1), root_flags);
        assert_eq!(r.trace_id(), trace(1));
        assert_eq!(r.flags(), root_flags);
    }
}

#[test]
fn s8_tracestate_edits_move_to_the_front_and_are_sent() {
    let incoming = [("traceparent", TP), ("tracestate", "rojo=1,congo=2")];
    let extracted = extract(&incoming);
    let mut child = parent(&extracted).child(span(3));
    child.tracestate_mut().insert("congo", "3").unwrap();
    assert_eq!(child.tracestate(), "congo=3,rojo=1");
    assert_eq!(child.headers().tracestate(), Some("congo=3,rojo=1"));
    // The parent is unchanged.
    assert_eq!(parent(&extracted).tracestate(), "rojo=1,congo=2");
}

#[test]
fn into_owned_outlives_the_carrier() {
    let owned = {
        let incoming = vec![
            ("traceparent".to_string(), TP.to_string()),
            ("tracestate".to_string(), "a=1, b=2".to_string()),
        ];
        let extracted = extract(&incoming);
        extracted.into_parent().unwrap().child(span(4)).into_owned()
    };
    assert_eq!(owned.tracestate(), "a=1,b=2");
    assert_eq!(owned.trace_id().to_string(), TRACE);
    assert_eq!(owned.parent_span_id(), Some(span(0x00f067aa0ba902b7)));
    assert!(!owned.is_remote());
    let incoming = [("traceparent", TP), ("tracestate", "a=1,b=2")];
    let again = extract(&incoming).into_parent().unwrap().child(span(4));
    assert_eq!(again, owned);
    assert_ne!(
        Context::new(owned.traceparent()),
        owned,
        "no parent span, no state"
    );
}

// ---------------------------------------------------------------- injection

fn continued_child(tracestate: &str) -> Context<'static> {
    let incoming = [("traceparent", TP), ("tracestate", tracestate)];
    extract(&incoming)
        .into_parent()
        .unwrap()
        .child(span(0x53995c3f42cd8ad8))
        .into_owned()
}

const CHILD_TP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-53995c3f42cd8ad8-01";

#[test]
fn inject_into_an_array_of_borrowed_pairs() {
    let child = continued_child("a=1");
    let headers = child.headers();
    // Stale, differently spelt entries are replaced; free slots are filled.
    let mut out = [
        ("TraceParent", "old"),
        ("", ""),
        ("x-other", "keep"),
        ("", ""),
    ];
    headers.inject(&mut out).unwrap();
    assert_eq!(
        out,
        [
            ("traceparent", CHILD_TP),
            ("tracestate", "a=1"),
            ("x-other", "keep"),
            ("", "")
        ]
    );
    // A duplicate left in the carrier is cleared, so one traceparent goes out (T7).
    let mut out = [
        ("traceparent", "a"),
        ("traceparent", "b"),
        ("tracestate", "old"),
    ];
    let root = Context::root(trace(1), span(1), TraceFlags::NONE);
    let root_headers = root.headers();
    root_headers.inject(&mut out).unwrap();
    assert_eq!(out[0].0, "traceparent");
    assert_eq!(
        out[1..],
        [("", ""), ("", "")],
        "S10: the stale tracestate is removed"
    );
}

#[test]
fn inject_into_a_full_array_is_an_error() {
    let child = continued_child("a=1");
    let headers = child.headers();
    let mut out = [("", "")];
    let error = headers.inject(&mut out).unwrap_err();
    assert_eq!(error, InjectError::full("tracestate"));
    assert!(error.is_full());
    assert_eq!(
        error.to_string(),
        "cannot write header `tracestate`: no free entry in the carrier"
    );
}

#[test]
fn inject_into_byte_pairs_and_owned_pairs() {
    let child = continued_child("a=1");
    let headers = child.headers();
    let mut bytes: [(&[u8], &[u8]); 2] = [(b"", b""); 2];
    headers.inject(&mut bytes).unwrap();
    assert_eq!(bytes[0], (&b"traceparent"[..], CHILD_TP.as_bytes()));

    let mut owned: [(String, Vec<u8>); 2] = Default::default();
    child.inject(&mut owned).unwrap();
    assert_eq!(owned[1], ("tracestate".to_string(), b"a=1".to_vec()));
}

#[test]
fn inject_into_a_vec_replaces_and_removes() {
    let child = continued_child("a=1");
    let mut out: Vec<(String, String)> = vec![
        ("accept".into(), "*/*".into()),
        ("TRACEPARENT".into(), "old".into()),
        ("traceparent".into(), "older".into()),
        ("tracestate".into(), "old=1".into()),
    ];
    child.inject(&mut out).unwrap();
    assert_eq!(
        out,
        [
            ("accept".to_string(), "*/*".to_string()),
            ("traceparent".to_string(), CHILD_TP.to_string()),
            ("tracestate".to_string(), "a=1".to_string()),
        ]
    );
    // S10 on a reused carrier: nothing to send, so the old value goes.
    Context::root(trace(1), span(1), TraceFlags::NONE)
        .inject(&mut out)
        .unwrap();
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|(k, _)| k != "tracestate"));

    let mut borrowed: Vec<(&str, &str)> = Vec::new();
    let headers = child.headers();
    headers.inject(&mut borrowed).unwrap();
    assert_eq!(borrowed, [("traceparent", CHILD_TP), ("tracestate", "a=1")]);
}

#[test]
fn maps_extract_case_insensitively_and_inject_lowercase() {
    let child = continued_child("a=1");

    let mut hash: HashMap<String, String> = HashMap::new();
    hash.insert("TraceState".into(), "old=1".into());
    child.inject(&mut hash).unwrap();
    assert_eq!(hash.len(), 2);
    assert_eq!(hash["traceparent"], CHILD_TP);
    assert_eq!(hash["tracestate"], "a=1");
    assert_eq!(extract(&hash).parent().unwrap().tracestate(), "a=1");
    Context::root(trace(1), span(1), TraceFlags::NONE)
        .inject(&mut hash)
        .unwrap();
    assert_eq!(hash.len(), 1);

    let mut tree: BTreeMap<String, String> = BTreeMap::new();
    tree.insert("TRACEPARENT".into(), "old".into());
    child.inject(&mut tree).unwrap();
    assert_eq!(
        tree.into_iter().collect::<Vec<_>>(),
        [
            ("traceparent".to_string(), CHILD_TP.to_string()),
            ("tracestate".to_string(), "a=1".to_string())
        ]
    );
    let mut tree = BTreeMap::new();
    tree.insert("Traceparent".to_string(), TP.to_string());
    assert!(extract(&tree).parent().is_some());
}

#[test]
fn extract_then_inject_round_trips_through_every_carrier() {
    let child = continued_child("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
    let want = (
        child.trace_id(),
        child.span_id(),
        child.tracestate().to_string(),
    );
    let check = |extracted: Extracted<'_>| {
        let p = extracted.into_parent().expect("continued");
        assert_eq!(
            (p.trace_id(), p.span_id(), p.tracestate().to_string()),
            want
        );
    };
    let mut vec: Vec<(String, String)> = Vec::new();
    child.inject(&mut vec).unwrap();
    check(extract(&vec));
    let mut hash: HashMap<String, String> = HashMap::new();
    child.inject(&mut hash).unwrap();
    check(extract(&hash));
    let mut tree: BTreeMap<String, String> = BTreeMap::new();
    child.inject(&mut tree).unwrap();
    check(extract(&tree));
    let headers = child.headers();
    let mut array = [("", ""); 2];
    headers.inject(&mut array).unwrap();
    check(extract(&array));
    check(extract(&array[..]));
    let mut by_ref = &mut vec;
    Injector::remove(&mut by_ref, "tracestate");
    assert_eq!(extract(&&vec).parent().unwrap().tracestate(), "");
}

#[cfg(feature = "http")]
#[test]
fn http_header_map_is_a_carrier() {
    use http::{HeaderMap, HeaderValue};
    let mut incoming = HeaderMap::new();
    incoming.insert("traceparent", HeaderValue::from_static(TP));
    incoming.append("tracestate", HeaderValue::from_static("a=1"));
    incoming.append("tracestate", HeaderValue::from_static("b=2"));
    let extracted = extract(&incoming);
    let child = parent(&extracted).child(span(0x53995c3f42cd8ad8));
    assert_eq!(child.tracestate(), "a=1,b=2");

    let mut outgoing = HeaderMap::new();
    outgoing.insert("tracestate", HeaderValue::from_static("stale=1"));
    child.inject(&mut outgoing).unwrap();
    assert_eq!(outgoing["traceparent"], CHILD_TP);
    assert_eq!(outgoing.get_all("tracestate").iter().count(), 1);
    assert_eq!(outgoing["tracestate"], "a=1,b=2");
    Context::root(trace(1), span(1), TraceFlags::NONE)
        .inject(&mut outgoing)
        .unwrap();
    assert!(outgoing.get("tracestate").is_none());

    incoming.append("traceparent", HeaderValue::from_static(TP));
    assert!(matches!(extract(&incoming), Extracted::Invalid(_)));
    // A name the map cannot hold is refused, not a panic.
    assert_eq!(
        outgoing.set("Not A Name", "x"),
        Err(InjectError::rejected("Not A Name"))
    );
}

// ---------------------------------------------------------------- response side

#[test]
fn r1_server_timing_round_trips_through_a_carrier() {
    let context = continued_child("a=1");
    let metric = context.server_timing();
    assert_eq!(&*metric, format!("trace;desc={CHILD_TP}"));
    let header = format!("cache;desc=hit, {}", &*metric);
    let response = [("Server-Timing", header.as_str())];
    assert_eq!(
        response::extract(&response),
        Ok(Some(context.traceparent()))
    );
    // Over two fields, the first `trace` metric counts.
    let response = [
        ("server-timing", "db;dur=53"),
        ("server-timing", header.as_str()),
        ("server-timing", "trace;desc=garbage"),
    ];
    assert_eq!(
        response::extract(&response),
        Ok(Some(context.traceparent()))
    );
}

#[test]
fn r1_an_invalid_desc_is_an_error_to_ignore() {
    let response = [(
        "server-timing",
        "trace;desc=00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
    )];
    let error = response::extract(&response).unwrap_err();
    assert_eq!(
        (error.kind(), error.offset()),
        (ErrorKind::ParentId, 11 + 36)
    );
}

#[test]
fn r2_legacy_traceresponse_is_read_when_there_is_no_metric() {
    let response = [("traceresponse", TP), ("server-timing", "db;dur=1")];
    assert_eq!(
        response::extract(&response),
        Ok(Some(TraceParent::parse(TP.as_bytes()).unwrap()))
    );
    let metric = format!("trace;desc={TP}");
    let both = [
        ("traceresponse", OTHER_TP),
        ("server-timing", metric.as_str()),
    ];
    assert_eq!(
        response::extract(&both),
        Ok(Some(TraceParent::parse(TP.as_bytes()).unwrap())),
        "the R1 metric wins over the legacy header"
    );
    let twice = [("traceresponse", TP), ("traceresponse", TP)];
    assert_eq!(
        response::extract(&twice).map_err(|e| e.kind()),
        Err(ErrorKind::Duplicate)
    );
    let none: [(&str, &str); 0] = [];
    assert_eq!(response::extract(&none), Ok(None));
}
