//! The propagation procedure through every carrier, by the rules of docs/RULES.md
//! (cited as "rule T7" and so on): extract (rules T1, T7, T9, T10, S1, S2, S6, C3),
//! continue or restart (rules T5, T8, T11, T12), inject (rules T1, S1, S10), the
//! carrier traits composing (references, wrappers, trait objects), forwarding a
//! tracestate byte for byte unless sampling changes `ot` (rules S3, S8, P6), and the
//! response side (rules R1, R2).
//!
//! Arrays and slices of pairs, `Context<Borrowed>` and `InlineContext` work with no
//! features at all, so most of this file runs in every configuration; the owned
//! `Context` (`Shared`) needs `alloc`, the `Vec` and map carriers `alloc`/`std`, and
//! `http::HeaderMap` the `http` feature.

use std::cell::Cell;

use tracecontext::context::Borrowed;
use tracecontext::sampling::{AlwaysOff, AlwaysOn, OtValue, ParentBased, Probability, Threshold};
use tracecontext::{
    Context, Error, ErrorKind, Extracted, Extractor, Injector, InlineContext, SeededIds, SpanId,
    TraceFlags, TraceId, TraceParent, Validation, Values, extract, response,
};

const TP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// The same parent with the random flag too (rule T8: `0x02`).
const TP_RANDOM: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03";
const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const OTHER_TP: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

fn span(n: u64) -> SpanId {
    SpanId::from_u64(n).unwrap()
}

fn trace(n: u128) -> TraceId {
    TraceId::from_u128(n).unwrap()
}

#[track_caller]
fn parent<'e, 'a>(extracted: &'e Extracted<'a>) -> &'e Context<Borrowed<'a>> {
    match extracted.parent() {
        Some(parent) => parent,
        None => panic!("expected a continued trace, got: {extracted}"),
    }
}

/// The tracestate text a context forwards.
fn ts<S: tracecontext::context::Storage>(context: &Context<S>) -> &str {
    context.tracestate().as_str()
}

/// A carrier that hands its values over one `push` at a time (no iterator at all)
/// and counts what it was asked: how many `get_all` calls per header, and how many
/// values it handed out per header.
struct Counting<'m> {
    pairs: &'m [(&'m str, &'m [u8])],
    traceparent_calls: Cell<usize>,
    tracestate_calls: Cell<usize>,
    traceparent_values: Cell<usize>,
    tracestate_values: Cell<usize>,
}

impl<'m> Counting<'m> {
    fn new(pairs: &'m [(&'m str, &'m [u8])]) -> Self {
        Self {
            pairs,
            traceparent_calls: Cell::new(0),
            tracestate_calls: Cell::new(0),
            traceparent_values: Cell::new(0),
            tracestate_values: Cell::new(0),
        }
    }
}

impl<'m> Extractor<'m> for Counting<'m> {
    fn get_all(&self, name: &str, values: &mut Values<'m, '_>) {
        let (calls, handed) = match name {
            "traceparent" => (&self.traceparent_calls, &self.traceparent_values),
            "tracestate" => (&self.tracestate_calls, &self.tracestate_values),
            other => panic!("asked for an unexpected header {other:?}"),
        };
        calls.set(calls.get() + 1);
        for (key, value) in self.pairs {
            if key.eq_ignore_ascii_case(name) {
                handed.set(handed.get() + 1);
                if !values.push(value) {
                    return;
                }
            }
        }
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
        assert_eq!(ts(parent), "a=1");
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
    assert!(extracted.parent().is_none());
    assert_eq!(extracted.tracestate_error(), None);
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
        assert_eq!(error.header(), "traceparent");
        assert_eq!(
            error.to_string(),
            "traceparent: more than one traceparent field"
        );
        assert_eq!(
            extracted.to_string(),
            "invalid traceparent, new trace: traceparent: more than one traceparent field"
        );
    }
}

#[cfg(feature = "std")]
#[test]
fn t7_a_map_with_two_spellings_holds_two_fields() {
    use std::collections::HashMap;
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
    assert_eq!(error.header(), "traceparent");
    assert_eq!(extracted.tracestate_error(), None);
    assert!(extracted.parent().is_none());
    assert_eq!(
        extracted.to_string(),
        "invalid traceparent, new trace: traceparent: all zeros is not allowed in parent-id at byte 36"
    );
}

#[test]
fn t9_t10_a_restart_never_asks_the_carrier_for_tracestate() {
    // Rule T9 and rule T10: with a missing, invalid or duplicated traceparent the incoming
    // tracestate is not read at all (`extract` documents "not even read").
    let two: [(&str, &[u8]); 3] = [
        ("traceparent", TP.as_bytes()),
        ("traceparent", TP.as_bytes()),
        ("tracestate", b"a=1"),
    ];
    let invalid: [(&str, &[u8]); 2] = [("traceparent", b"00-zz"), ("tracestate", b"a=1")];
    let missing: [(&str, &[u8]); 1] = [("tracestate", b"a=1")];
    for pairs in [&two[..], &invalid[..], &missing[..]] {
        let carrier = Counting::new(pairs);
        assert!(extract(&carrier).parent().is_none());
        assert_eq!(carrier.traceparent_calls.get(), 1);
        assert_eq!(carrier.tracestate_calls.get(), 0);
        assert_eq!(carrier.tracestate_values.get(), 0);
    }
    // The control: a valid traceparent does make it ask.
    let valid: [(&str, &[u8]); 2] = [("traceparent", TP.as_bytes()), ("tracestate", b"a=1")];
    let carrier = Counting::new(&valid);
    assert_eq!(ts(parent(&extract(&carrier))), "a=1");
    assert!(carrier.tracestate_calls.get() >= 1);
}

#[test]
fn t9_tracestate_error_drops_only_the_tracestate() {
    for bad in ["foo=bar=baz", "FOO=1", "a=1,,b", "@foo=1", "foo =1"] {
        let incoming = [("traceparent", TP), ("tracestate", bad)];
        let extracted = extract(&incoming);
        let parent = parent(&extracted);
        assert_eq!(parent.trace_id().to_string(), TRACE, "{bad}");
        assert_eq!(ts(parent), "", "{bad}");
        assert!(parent.tracestate().is_empty());
        assert!(parent.headers().tracestate().is_none());
        let error = extracted.tracestate_error().expect("dropped");
        assert_eq!(error.header(), "tracestate");
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
    assert_eq!(ts(parent(&extracted)), "a=1,b=2,c=3,d=4");
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
    // Through a slice (no features), and through the `Vec` itself (alloc).
    let extracted = extract(incoming.as_slice());
    assert_eq!(ts(parent(&extracted)), fields.join(","));
    #[cfg(feature = "alloc")]
    assert_eq!(ts(parent(&extract(&incoming))), fields.join(","));

    incoming.push(("tracestate", "k32=v"));
    let extracted = extract(incoming.as_slice());
    assert_eq!(ts(parent(&extracted)), "");
    assert_eq!(
        extracted.tracestate_error().map(|e| e.kind()),
        Some(ErrorKind::MemberCount)
    );
}

#[test]
fn s3_whitespace_around_the_list_is_not_forwarded() {
    let incoming = [("traceparent", TP), ("tracestate", " \t a=1 , b=2\t ")];
    assert_eq!(ts(parent(&extract(&incoming))), "a=1 , b=2");
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
        // Iterating the headers gives the same: no tracestate pair.
        assert!(headers.into_iter().eq([("traceparent", TP)]));
    }
}

#[test]
fn s6_lenient_extraction_keeps_the_valid_members() {
    let incoming = [("traceparent", TP), ("tracestate", "a=1,B=2,c=3")];
    let lenient = Extracted::from_carrier(&incoming, Validation::Lenient);
    assert_eq!(ts(parent(&lenient)), "a=1,c=3");
    assert_eq!(lenient.tracestate_error(), None);
    let strict = Extracted::from_carrier(&incoming, Validation::Strict);
    assert_eq!(ts(parent(&strict)), "");
    assert_eq!(
        strict.tracestate_error().map(|e| e.kind()),
        Some(ErrorKind::Key)
    );
}

#[test]
fn s9_a_long_single_field_is_forwarded_whole_and_joined_fields_are_cut() {
    let members: Vec<String> = (0..32)
        .map(|i| format!("k{i:02}={}", "v".repeat(40)))
        .collect();
    let long = members.join(",");
    assert!(long.len() > 1400);
    let incoming = [("traceparent", TP), ("tracestate", long.as_str())];
    assert_eq!(ts(parent(&extract(&incoming))), long);

    // Joined from two fields, the list goes into a 512-byte state, cut from the
    // right (rule S9): the members kept are a prefix of the list, whole.
    let (left, right) = members.split_at(16);
    let (left, right) = (left.join(","), right.join(","));
    let incoming = [
        ("traceparent", TP),
        ("tracestate", &left),
        ("tracestate", &right),
    ];
    let extracted = extract(&incoming);
    let forwarded = ts(parent(&extracted));
    assert!(forwarded.len() <= 512, "{}", forwarded.len());
    // Each member is 44 bytes, 45 with its comma: 11 fit in 512 (11 * 45 - 1 = 494),
    // 12 do not (539).
    assert_eq!(forwarded, members[..11].join(","));
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
    assert_eq!(ts(parent(&extracted)), "");
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
    let child = parent(&extracted).child_with_span_id(span(2));
    assert_eq!(
        child.headers().traceparent(),
        // Rule T8: of flags ff only the known bits (sampled, random) are written.
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000002-03"
    );
}

/// A carrier with no iterator to hand out: it can only push its values one by one.
struct OneShot(Vec<(String, Vec<u8>)>);

impl<'a> Extractor<'a> for &'a OneShot {
    fn get_all(&self, name: &str, values: &mut Values<'a, '_>) {
        let mut i = 0;
        while let Some((k, v)) = self.0.get(i) {
            if k == name && !values.push(v) {
                return;
            }
            i += 1;
        }
    }
}

#[test]
fn s2_joining_works_with_any_carrier() {
    // The old trait handed out iterators, and joining had to work with one that was
    // not `Clone`; the new one pushes values, and joining must work with a carrier
    // that only pushes (and may be asked more than once, rule S9's second pass).
    let carrier = OneShot(vec![
        ("traceparent".into(), TP.into()),
        ("tracestate".into(), b"a=1".to_vec()),
        ("tracestate".into(), b"b=2".to_vec()),
        ("tracestate".into(), b"c=3".to_vec()),
    ]);
    assert_eq!(ts(parent(&extract(&carrier))), "a=1,b=2,c=3");
}

// ---------------------------------------------------------------- continuing

#[test]
fn t11_child_keeps_trace_id_and_flags_and_takes_the_new_span() {
    for flags in ["00", "01", "02", "03"] {
        let tp = format!("00-{TRACE}-00f067aa0ba902b7-{flags}");
        let incoming = [("traceparent", tp.as_str()), ("tracestate", "a=1")];
        let extracted = extract(&incoming);
        let parent = parent(&extracted);
        let child = parent.child_with_span_id(span(0x53995c3f42cd8ad8));
        assert_eq!(child.trace_id(), parent.trace_id());
        assert_eq!(child.flags(), parent.flags());
        assert_eq!(child.span_id(), span(0x53995c3f42cd8ad8));
        assert_eq!(child.parent_span_id(), Some(parent.span_id()));
        assert_eq!(parent.parent_span_id(), None);
        assert!(!child.is_remote());
        assert_eq!(ts(&child), "a=1");
        assert_eq!(
            child.headers().traceparent(),
            format!("00-{TRACE}-53995c3f42cd8ad8-{flags}")
        );

        // `child(&mut ids)` is the same with the span-id taken from the source.
        let mut ids = SeededIds::new(5);
        let mut same = ids.clone();
        let from_ids = parent.child(&mut ids);
        assert_eq!(
            from_ids,
            parent.child_with_span_id(tracecontext::IdSource::span_id(&mut same))
        );
    }
}

#[test]
fn t11_sampled_changes_only_with_a_new_span_and_random_is_kept() {
    let incoming = [("traceparent", TP_RANDOM)];
    let extracted = extract(&incoming);
    let parent = parent(&extracted);
    let mut ids = SeededIds::new(7);
    let (unsampled, decision) = parent.child_decided(&mut ids, &AlwaysOff);
    assert!(!decision.is_sampled());
    assert!(!unsampled.is_sampled());
    assert_ne!(unsampled.span_id(), parent.span_id(), "a new span-id");
    assert_eq!(unsampled.parent_span_id(), Some(parent.span_id()));
    assert!(
        unsampled.is_random(),
        "T11: the random flag is copied exactly"
    );
    assert_eq!(unsampled.trace_id(), parent.trace_id());
    assert!(unsampled.headers().traceparent().ends_with("-02"));
    let (resampled, decision) = unsampled.child_decided(&mut ids, &AlwaysOn);
    assert!(decision.is_sampled());
    assert_eq!(resampled.flags(), TraceFlags::SAMPLED | TraceFlags::RANDOM);
    assert_ne!(resampled.span_id(), unsampled.span_id());
    // A plain child never changes the sampled flag.
    assert_eq!(
        unsampled.child(&mut ids).flags(),
        unsampled.flags(),
        "T11: no flag change without a decision"
    );
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
            .child_with_span_id(span(5))
            .headers()
            .traceparent()
            .ends_with("-01")
    );
    // The extracted context itself, injected again, also drops them.
    assert!(parent.headers().traceparent().ends_with("-01"));
}

#[test]
fn t9_t12_root_starts_a_new_trace_with_known_flags_only() {
    let want = "00-00000000000000000000000000000abc-0000000000000def-03";
    let inline =
        InlineContext::<64>::new_inline(trace(0xabc), span(0xdef), TraceFlags::from_bits(0xff));
    assert_eq!(inline.flags(), TraceFlags::SAMPLED | TraceFlags::RANDOM);
    assert_eq!(ts(&inline), "");
    assert!(!inline.is_remote());
    assert_eq!(inline.parent_span_id(), None);
    assert_eq!(inline.headers().traceparent(), want);
    #[cfg(feature = "alloc")]
    {
        let root = Context::new(trace(0xabc), span(0xdef), TraceFlags::from_bits(0xff));
        assert_eq!(root.flags(), TraceFlags::SAMPLED | TraceFlags::RANDOM);
        assert_eq!(ts(&root), "");
        assert!(!root.is_remote());
        assert_eq!(root.headers().traceparent(), want);
        // Equality does not depend on where the tracestate is kept.
        assert_eq!(root, inline);
    }
}

#[test]
fn child_or_root_follows_the_outcome() {
    let continued = [("traceparent", TP)];
    let missing: [(&str, &str); 0] = [];
    let invalid = [("traceparent", "00-xyz")];
    // Follows a parent (sampled here); never samples a new trace.
    let sampler = ParentBased::new(AlwaysOff);

    let mut ids = SeededIds::new(9);
    let mut same = ids.clone();
    let (c, decision) = extract(&continued).child_or_root(&mut ids, &sampler);
    assert_eq!(c.trace_id().to_string(), TRACE);
    assert_eq!(c.span_id(), tracecontext::IdSource::span_id(&mut same));
    assert_eq!(c.parent_span_id(), Some(span(0x00f067aa0ba902b7)));
    assert!(decision.is_sampled() && c.is_sampled());
    assert!(!c.is_remote());

    for restart in [extract(&missing), extract(&invalid)] {
        let (r, decision) = restart.child_or_root(&mut SeededIds::new(9), &sampler);
        assert_ne!(r.trace_id().to_string(), TRACE);
        assert_eq!(r.parent_span_id(), None);
        assert!(!r.is_remote());
        assert!(!decision.is_sampled());
        // Rule T12: SeededIds promises random trace-ids, so the flag is set.
        assert_eq!(r.flags(), TraceFlags::RANDOM);
        // The IDs come from the source: the same seed, the same root.
        let (again, _) = restart.child_or_root(&mut SeededIds::new(9), &sampler);
        assert_eq!(again, r);
        let (other, _) = restart.child_or_root(&mut SeededIds::new(10), &sampler);
        assert_ne!(other.trace_id(), r.trace_id());
    }
}

#[test]
fn s8_tracestate_edits_move_to_the_front_and_are_sent() {
    let incoming = [("traceparent", TP), ("tracestate", "rojo=1,congo=2")];
    let extracted = extract(&incoming);
    let mut child = parent(&extracted).child_with_span_id(span(3));
    child
        .edit_tracestate(|state| state.insert("congo", "3"))
        .unwrap();
    assert_eq!(ts(&child), "congo=3,rojo=1");
    assert_eq!(child.headers().tracestate(), Some("congo=3,rojo=1"));
    // The parent is unchanged.
    assert_eq!(ts(parent(&extracted)), "rojo=1,congo=2");
    // An edit's error comes back through `edit_tracestate`, and changes nothing.
    let error = child
        .edit_tracestate(|state| state.insert("Bad", "x"))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Key);
    assert_eq!(ts(&child), "congo=3,rojo=1");
}

#[cfg(feature = "alloc")]
#[test]
fn into_owned_outlives_the_carrier() {
    let owned: Context = {
        let incoming = vec![
            ("traceparent".to_string(), TP.to_string()),
            ("tracestate".to_string(), "a=1, b=2".to_string()),
        ];
        let extracted = extract(&incoming);
        extracted
            .into_parent()
            .unwrap()
            .child_with_span_id(span(4))
            .into_owned()
    };
    // Forwarded byte for byte (the inner space stays; only the ends are trimmed, rule S3).
    assert_eq!(ts(&owned), "a=1, b=2");
    assert_eq!(owned.trace_id().to_string(), TRACE);
    assert_eq!(owned.parent_span_id(), Some(span(0x00f067aa0ba902b7)));
    assert!(!owned.is_remote());
    let incoming = [("traceparent", TP), ("tracestate", "a=1, b=2")];
    let extracted = extract(&incoming);
    let again = parent(&extracted).child_with_span_id(span(4));
    // `Context<Borrowed>` and `Context<Shared>` compare.
    assert_eq!(again, owned);
    assert_ne!(
        Context::new(owned.trace_id(), owned.span_id(), owned.flags()),
        owned,
        "no parent span, no state"
    );
    // The owned context is 'static, Send and Sync.
    fn keep<T: Send + Sync + 'static>(_: &T) {}
    keep(&owned);
}

// ---------------------------------------------------------------- injection

/// The context of the injection tests: a child of `TP` with span `53995c3f42cd8ad8`,
/// kept inline (no features needed).
fn continued_inline(tracestate: &str) -> InlineContext {
    let incoming = [("traceparent", TP), ("tracestate", tracestate)];
    extract(&incoming)
        .into_parent()
        .unwrap()
        .child_with_span_id(span(0x53995c3f42cd8ad8))
        .into_inline()
}

/// The same context, owned (`Shared`).
#[cfg(feature = "alloc")]
fn continued_child(tracestate: &str) -> Context {
    let incoming = [("traceparent", TP), ("tracestate", tracestate)];
    extract(&incoming)
        .into_parent()
        .unwrap()
        .child_with_span_id(span(0x53995c3f42cd8ad8))
        .into_owned()
}

const CHILD_TP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-53995c3f42cd8ad8-01";

fn check_inject_into_an_array<S: tracecontext::context::Storage>(child: &Context<S>) {
    // Stale, differently spelt entries are replaced; free slots are filled.
    let mut out = [
        ("TraceParent", "old"),
        ("", ""),
        ("x-other", "keep"),
        ("", ""),
    ];
    child.inject(&mut out).unwrap();
    assert_eq!(
        out,
        [
            ("traceparent", CHILD_TP),
            ("tracestate", "a=1"),
            ("x-other", "keep"),
            ("", "")
        ]
    );
}

#[test]
fn inject_into_an_array_of_borrowed_pairs() {
    check_inject_into_an_array(&continued_inline("a=1"));
    #[cfg(feature = "alloc")]
    check_inject_into_an_array(&continued_child("a=1"));
    // The borrowed hop itself, with no conversion.
    let incoming = [("traceparent", TP), ("tracestate", "a=1")];
    let extracted = extract(&incoming);
    check_inject_into_an_array(&parent(&extracted).child_with_span_id(span(0x53995c3f42cd8ad8)));

    // A duplicate left in the carrier is cleared, so one traceparent goes out (rule T7).
    let mut out = [
        ("traceparent", "a"),
        ("traceparent", "b"),
        ("tracestate", "old"),
    ];
    let root = InlineContext::<64>::new_inline(trace(1), span(1), TraceFlags::NONE);
    root.inject(&mut out).unwrap();
    assert_eq!(
        out[0],
        (
            "traceparent",
            "00-00000000000000000000000000000001-0000000000000001-00"
        )
    );
    assert_eq!(
        out[1..],
        [("", ""), ("", "")],
        "S10: the stale tracestate is removed"
    );
}

#[test]
fn inject_into_a_full_array_is_an_error() {
    let child = continued_inline("a=1");
    let mut out = [("", "")];
    let error = child.inject(&mut out).unwrap_err();
    assert_eq!(error, Error::carrier_full("tracestate"));
    assert_eq!(error.kind(), ErrorKind::CarrierFull);
    assert_eq!(error.header(), "tracestate");
    assert_eq!(
        error.to_string(),
        "tracestate: the carrier has no free entry for the header"
    );
    // The traceparent went into the free entry before the tracestate found none.
    assert_eq!(out, [("traceparent", CHILD_TP)]);

    // No room even for the traceparent: an array of other headers, or none at all.
    let mut others = [("x-other", "keep")];
    let error = child.inject(&mut others).unwrap_err();
    assert_eq!(
        (error.kind(), error.header()),
        (ErrorKind::CarrierFull, "traceparent")
    );
    assert_eq!(others, [("x-other", "keep")], "nothing was overwritten");
    let mut none: [(&str, &str); 0] = [];
    assert_eq!(
        child.inject(&mut none),
        Err(Error::carrier_full("traceparent"))
    );
}

#[test]
fn inject_into_byte_pairs_and_owned_pairs() {
    let child = continued_inline("a=1");
    let mut bytes: [(&[u8], &[u8]); 2] = [(b"", b""); 2];
    child.inject(&mut bytes).unwrap();
    assert_eq!(bytes[0], (&b"traceparent"[..], CHILD_TP.as_bytes()));
    assert_eq!(bytes[1], (&b"tracestate"[..], &b"a=1"[..]));

    #[cfg(feature = "alloc")]
    {
        let mut owned: [(String, Vec<u8>); 2] = Default::default();
        child.inject(&mut owned).unwrap();
        assert_eq!(owned[0], ("traceparent".to_string(), CHILD_TP.into()));
        assert_eq!(owned[1], ("tracestate".to_string(), b"a=1".to_vec()));
    }
}

#[cfg(feature = "alloc")]
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
    // Rule S10 on a reused carrier: nothing to send, so the old value goes.
    Context::new(trace(1), span(1), TraceFlags::NONE)
        .inject(&mut out)
        .unwrap();
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|(k, _)| k != "tracestate"));

    let mut borrowed: Vec<(&str, &str)> = Vec::new();
    child.inject(&mut borrowed).unwrap();
    assert_eq!(borrowed, [("traceparent", CHILD_TP), ("tracestate", "a=1")]);
}

#[cfg(feature = "std")]
#[test]
fn maps_extract_case_insensitively_and_inject_lowercase() {
    use std::collections::{BTreeMap, HashMap};
    let child = continued_child("a=1");

    let mut hash: HashMap<String, String> = HashMap::new();
    hash.insert("TraceState".into(), "old=1".into());
    child.inject(&mut hash).unwrap();
    assert_eq!(hash.len(), 2);
    assert_eq!(hash["traceparent"], CHILD_TP);
    assert_eq!(hash["tracestate"], "a=1");
    assert_eq!(ts(parent(&extract(&hash))), "a=1");
    Context::new(trace(1), span(1), TraceFlags::NONE)
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

#[cfg(feature = "std")]
// The borrow is the point: these check that `extract(&carrier)` (the documented
// call) works through the `&E` forwarding.
#[allow(clippy::needless_borrows_for_generic_args)]
#[test]
fn extract_then_inject_round_trips_through_every_carrier() {
    use std::collections::{BTreeMap, HashMap};
    let child = continued_child("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
    let want = (child.trace_id(), child.span_id(), ts(&child).to_string());
    let check = |extracted: Extracted<'_>| {
        let p = extracted.into_parent().expect("continued");
        assert_eq!((p.trace_id(), p.span_id(), ts(&p).to_string()), want);
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
    let mut array = [("", ""); 2];
    child.inject(&mut array).unwrap();
    check(extract(&array));
    check(extract(&array[..]));
    let mut by_ref = &mut vec;
    Injector::remove(&mut by_ref, "tracestate");
    assert_eq!(ts(parent(&extract(&&vec))), "");
}

// ---------------------------------------------------------------- carriers compose

/// A wrapper around a borrowed carrier, as a service would write around its
/// framework's header type: what it extracts borrows the carrier, not the wrapper.
struct Wrapper<'m, C: ?Sized>(&'m C);

impl<'m, C: ?Sized> Extractor<'m> for Wrapper<'m, C>
where
    &'m C: Extractor<'m>,
{
    fn get_all(&self, name: &str, values: &mut Values<'m, '_>) {
        Extractor::get_all(&self.0, name, values);
    }
}

// The borrow is the point: these check that `extract(&carrier)` (the documented
// call) works through the `&E` forwarding.
#[allow(clippy::needless_borrows_for_generic_args)]
#[test]
fn carriers_compose_a_temporary_wrapper_lends_the_carrier_data() {
    let headers = [("traceparent", TP), ("tracestate", "a=1")];
    // The wrapper is a temporary, dropped at the end of this statement; the
    // extracted context borrows `headers` and is used after it. (That this compiles
    // is the proof: were the values borrowed from the wrapper, E0716.)
    let extracted = extract(&Wrapper(&headers));
    let hop = parent(&extracted).child_with_span_id(span(0x53995c3f42cd8ad8));
    assert_eq!(hop.trace_id().to_string(), TRACE);
    assert_eq!(ts(&hop), "a=1");
    let mut out = [("", ""); 2];
    hop.inject(&mut out).unwrap();
    assert_eq!(out, [("traceparent", CHILD_TP), ("tracestate", "a=1")]);
    // `into_parent` moves the borrowed context out of the temporary `Extracted` too.
    let moved = extract(&Wrapper(&headers)).into_parent().unwrap();
    assert_eq!(ts(&moved), "a=1");

    // Over a slice, and over a map (std).
    let slice: &[(&str, &str)] = &headers;
    assert_eq!(ts(parent(&extract(&Wrapper(slice)))), "a=1");
    #[cfg(feature = "std")]
    {
        let map = std::collections::HashMap::from([
            ("traceparent".to_string(), TP.to_string()),
            ("tracestate".to_string(), "m=1".to_string()),
        ]);
        let extracted = extract(&Wrapper(&map));
        let context = parent(&extracted);
        assert_eq!(ts(context), "m=1");
        assert_eq!(context.span_id(), span(0x00f067aa0ba902b7));
    }
}

// The borrow is the point: these check that `extract(&carrier)` (the documented
// call) works through the `&E` forwarding.
#[allow(clippy::needless_borrows_for_generic_args)]
#[test]
fn carriers_compose_as_trait_objects() {
    let headers = [("traceparent", TP), ("tracestate", "a=1")];
    let by_ref = &headers;
    let dynamic: &dyn Extractor<'_> = &by_ref;
    let extracted = extract(dynamic);
    assert_eq!(ts(parent(&extracted)), "a=1");
    // A reference to the trait object is a carrier too (the `&E` forwarding).
    assert_eq!(ts(parent(&extract(&dynamic))), "a=1");
    assert_eq!(dynamic.first_value("traceparent"), Some(TP.as_bytes()));
    // A boxed one.
    let boxed: Box<dyn Extractor<'_> + '_> = Box::new(Wrapper(&headers));
    assert_eq!(ts(parent(&extract(&*boxed))), "a=1");

    let child = parent(&extracted).child_with_span_id(span(0x53995c3f42cd8ad8));
    let mut out = [("", ""); 2];
    {
        let injector: &mut dyn Injector<'_> = &mut out;
        child.inject(injector).unwrap();
    }
    assert_eq!(out, [("traceparent", CHILD_TP), ("tracestate", "a=1")]);
    // `&mut &mut dyn Injector` (the `&mut I` forwarding), and `Headers::inject`.
    let mut out = [("", ""); 2];
    {
        let mut injector: &mut dyn Injector<'_> = &mut out;
        child.headers().inject(&mut injector).unwrap();
    }
    assert_eq!(out, [("traceparent", CHILD_TP), ("tracestate", "a=1")]);
    // Errors come back through the trait object.
    let mut full = [("", "")];
    let injector: &mut dyn Injector<'_> = &mut full;
    assert_eq!(
        child.inject(injector),
        Err(Error::carrier_full("tracestate"))
    );
}

#[test]
fn carriers_compose_inject_into_a_temporary_array() {
    let incoming = [("traceparent", TP), ("tracestate", "a=1")];
    let extracted = extract(&incoming);
    let context = parent(&extracted).child_with_span_id(span(0x53995c3f42cd8ad8));
    // Directly into a temporary: `[(&str, &str); N]` is an injector as it is.
    assert_eq!(context.inject(&mut [("", ""); 2]), Ok(()));
    assert_eq!(
        context.inject(&mut [("", ""); 1]),
        Err(Error::carrier_full("tracestate"))
    );
    // The extracted context itself (remote), without a child.
    assert_eq!(parent(&extracted).inject(&mut [("", ""); 2]), Ok(()));
}

#[test]
fn extractor_get_takes_the_first_value() {
    let carrier = [
        ("TraceParent", "first"),
        ("traceparent", "second"),
        ("TRACESTATE", "a=1"),
    ];
    // On an array reference, a slice, and through `&E` forwarding. (The name does
    // not meet a slice's inherent `get`, so method calls reach it.)
    let slice: &[(&str, &str)] = &carrier;
    assert_eq!((&carrier).first_value("traceparent"), Some(&b"first"[..]));
    assert_eq!(slice.first_value("traceparent"), Some(&b"first"[..]));
    assert_eq!(slice.first_value("tracestate"), Some(&b"a=1"[..]));
    assert_eq!(slice.first_value("baggage"), None);
    let by_ref = &slice;
    assert_eq!(
        Extractor::first_value(&by_ref, "traceparent"),
        Some(&b"first"[..])
    );
    assert_eq!(Extractor::first_value(&by_ref, "baggage"), None);
    let wrapped = Wrapper(slice);
    assert_eq!(wrapped.first_value("tracestate"), Some(&b"a=1"[..]));

    // `get` stops after the first value: the counting carrier handed out one.
    let pairs: [(&str, &[u8]); 3] = [
        ("traceparent", b"first"),
        ("traceparent", b"second"),
        ("traceparent", b"third"),
    ];
    let counting = Counting::new(&pairs);
    assert_eq!(counting.first_value("traceparent"), Some(&b"first"[..]));
    assert_eq!(counting.traceparent_values.get(), 1);
}

#[test]
fn values_push_stops_when_the_reader_has_enough() {
    // Five traceparent fields: rule T7 needs only two to know the request is invalid, so
    // the reader says "enough" at the second and the carrier stops there.
    let pairs: [(&str, &[u8]); 6] = [
        ("traceparent", TP.as_bytes()),
        ("traceparent", TP.as_bytes()),
        ("traceparent", TP.as_bytes()),
        ("tracestate", b"a=1"),
        ("traceparent", TP.as_bytes()),
        ("traceparent", TP.as_bytes()),
    ];
    let carrier = Counting::new(&pairs);
    let extracted = extract(&carrier);
    assert_eq!(
        extracted.traceparent_error().map(|e| e.kind()),
        Some(ErrorKind::Duplicate)
    );
    assert_eq!(carrier.traceparent_values.get(), 2);

    // `push` reports the reader's answer, and `extend` stops on it.
    let mut seen = Vec::new();
    let mut two = |value: &[u8]| {
        seen.push(value.to_vec());
        seen.len() < 2
    };
    let mut values = Values::new(&mut two);
    assert!(values.push(b"a"));
    assert!(!values.push(b"b"));
    let mut seen = Vec::new();
    let mut two = |value: &[u8]| {
        seen.push(value.to_vec());
        seen.len() < 2
    };
    Values::new(&mut two).extend([&b"a"[..], b"b", b"c", b"d"]);
    assert_eq!(seen, [b"a".to_vec(), b"b".to_vec()]);
}

#[test]
fn injector_forwards_through_mut_references() {
    let mut out = [("", ""); 3];
    {
        let mut by_ref = &mut out;
        Injector::set(&mut by_ref, "traceparent", TP).unwrap();
        Injector::set(&mut by_ref, "tracestate", "a=1").unwrap();
    }
    assert_eq!(out, [("traceparent", TP), ("tracestate", "a=1"), ("", "")]);
    {
        let mut by_ref = &mut out;
        Injector::remove(&mut by_ref, "tracestate");
    }
    assert_eq!(out, [("traceparent", TP), ("", ""), ("", "")]);
    // A slice behind `&mut`, and its errors.
    let mut one = [("", "")];
    let mut slice: &mut [(&str, &str)] = &mut one;
    Injector::set(&mut slice, "traceparent", TP).unwrap();
    assert_eq!(
        Injector::set(&mut slice, "tracestate", "a=1"),
        Err(Error::carrier_full("tracestate"))
    );
    assert_eq!(one, [("traceparent", TP)]);
}

/// A carrier with its own rules: it takes traceparent and refuses tracestate.
struct NoTracestate(Option<String>);

impl Injector<'_> for NoTracestate {
    fn set(&mut self, name: &'static str, value: &str) -> Result<(), Error> {
        if name == "tracestate" {
            return Err(Error::carrier_refused(name));
        }
        self.0 = Some(value.to_string());
        Ok(())
    }
    fn remove(&mut self, _: &'static str) {}
}

#[test]
fn carrier_error_constructors_and_texts() {
    let full = Error::carrier_full("tracestate");
    assert_eq!(full.kind(), ErrorKind::CarrierFull);
    assert_eq!(full.header(), "tracestate");
    assert_eq!(full.offset(), 0);
    assert_eq!(full.member(), None);
    assert_eq!(
        full.to_string(),
        "tracestate: the carrier has no free entry for the header"
    );
    let refused = Error::carrier_refused("traceparent");
    assert_eq!(refused.kind(), ErrorKind::CarrierRefused);
    assert_eq!(refused.header(), "traceparent");
    assert_eq!(refused.offset(), 0);
    assert_eq!(refused.member(), None);
    assert_eq!(
        refused.to_string(),
        "traceparent: the carrier refused the header"
    );
    // Any header name, as a carrier implementor passes it.
    assert_eq!(
        Error::carrier_refused("x-b3").to_string(),
        "x-b3: the carrier refused the header"
    );
    assert_ne!(Error::carrier_full("a"), Error::carrier_refused("a"));
    assert_ne!(Error::carrier_full("a"), Error::carrier_full("b"));

    // An implementor's refusal comes back from `inject` unchanged.
    let context = continued_inline("a=1");
    let mut carrier = NoTracestate(None);
    assert_eq!(context.inject(&mut carrier), Err(refused_tracestate()));
    assert_eq!(carrier.0.as_deref(), Some(CHILD_TP));
}

fn refused_tracestate() -> Error {
    Error::carrier_refused("tracestate")
}

// ---------------------------------------------------------------- forwarding exactness

/// A tracestate with whitespace inside and empty members (valid, rule S3), and the same
/// with OWS around it; only the ends are trimmed when it is forwarded.
const INNER: &str = "a=1 , ,b=2\t,c=3";
const PADDED: &str = " \ta=1 , ,b=2\t,c=3 \t";
/// The same with a consistent `ot` for `TRACE`: R = 0xce929d0e0e4736 >= th:c (rule P7).
const INNER_OT: &str = "a=1 , ot=th:c , ,b=2\t,c=3";
const PADDED_OT: &str = "\t a=1 , ot=th:c , ,b=2\t,c=3\t ";

/// The threshold the forwarded `ot` member carries.
fn forwarded_threshold<S: tracecontext::context::Storage>(
    context: &Context<S>,
) -> Option<Threshold> {
    let view = context.tracestate();
    let ot = view.get("ot")?;
    OtValue::parse(ot).unwrap().threshold()
}

/// A decision reads the `ot` member, not a member whose key starts with `ot`, both
/// from a single field (borrowed) and from fields joined by rule S2 (inline).
#[test]
fn a_decision_reads_the_ot_member_and_only_it() {
    let sampler = ParentBased::new(Probability::new(0.5));
    let th8 = Threshold::from_value(0x80_0000_0000_0000);
    for fields in [
        &[" otx=th:0 , ot=th:8 ,o=th:1 "][..],
        &["otx=th:0", "ot=th:8,o=th:1"][..],
    ] {
        let mut incoming = vec![("traceparent", TP_RANDOM)];
        incoming.extend(fields.iter().map(|field| ("tracestate", *field)));
        let extracted = extract(incoming.as_slice());
        let (child, decision) = parent(&extracted).child_decided(&mut SeededIds::new(1), &sampler);
        // R = 0xce929d0e0e4736 >= th:8: sampled, and th:8 passed on (rule P6).
        assert!(
            decision.is_sampled() && decision.error().is_none(),
            "{fields:?}"
        );
        assert_eq!(decision.threshold(), th8, "{fields:?}");
        assert_eq!(forwarded_threshold(&child), th8, "{fields:?}");
    }
}

#[test]
fn forwarding_keeps_the_tracestate_byte_for_byte() {
    for (padded, inner, canonical) in [
        (PADDED, INNER, "a=1,b=2,c=3"),
        (PADDED_OT, INNER_OT, "a=1,ot=th:c,b=2,c=3"),
    ] {
        let incoming = [("traceparent", TP_RANDOM), ("tracestate", padded)];
        let extracted = extract(&incoming);
        let parent = parent(&extracted);
        assert_eq!(ts(parent), inner, "S3: trimmed at the ends only");

        // A plain child.
        let child = parent.child(&mut SeededIds::new(1));
        assert_eq!(ts(&child), inner);
        let mut out = [("", ""); 2];
        child.inject(&mut out).unwrap();
        assert_eq!(out[1], ("tracestate", inner));

        // A decided child whose decision leaves `ot` as it was: following a sampled
        // parent with no `th`, or with a `th` that agrees (rule P6 passes it on).
        let sampler = ParentBased::new(Probability::new(0.5));
        let (decided, decision) = parent.child_decided(&mut SeededIds::new(1), &sampler);
        assert!(decision.is_sampled() && decided.is_sampled());
        assert_eq!(ts(&decided), inner, "P6: ot unchanged, so the text is too");
        assert_eq!(decision.threshold(), forwarded_threshold(&decided));
        assert_eq!(forwarded_threshold(&decided), forwarded_threshold(parent));
        let (grandchild, _) = decided.child_decided(&mut SeededIds::new(2), &sampler);
        assert_eq!(ts(&grandchild), inner);

        // Kept inline: an owned `TraceState` holds members, not text, so the list is
        // re-encoded (`key=value,...`) with the same members in the same order (rule S3:
        // whitespace and empty elements are not members).
        let inline = decided.clone().into_inline::<512>();
        assert!(inline.tracestate().iter().eq(decided.tracestate().iter()));
        assert_eq!(ts(&inline), canonical);
        // Kept owned (`Shared`): the text itself, byte for byte.
        #[cfg(feature = "alloc")]
        {
            let owned: Context = decided.into_owned();
            assert_eq!(ts(&owned), inner);
            assert_eq!(owned.headers().tracestate(), Some(inner));
            let (owned_child, decision) = owned.child_decided(&mut SeededIds::new(3), &sampler);
            assert_eq!(ts(&owned_child), inner);
            assert_eq!(decision.threshold(), forwarded_threshold(&owned_child));
        }
    }
    // The consistent `th` is the one rule P7 gives for 25%.
    let incoming = [("traceparent", TP_RANDOM), ("tracestate", PADDED_OT)];
    let extracted = extract(&incoming);
    assert_eq!(
        forwarded_threshold(parent(&extracted)),
        Threshold::from_value(0xc0_0000_0000_0000)
    );
}

/// (incoming tracestate, sampler, sampled?, forwarded tracestate, forwarded th)
type Case<'s> = (
    &'s str,
    &'s ParentBased<Probability>,
    bool,
    &'s str,
    Option<Threshold>,
);

#[test]
fn forwarding_rewrites_the_tracestate_when_ot_changes() {
    let th = |digits: &str| Some(Threshold::parse(digits).unwrap());
    // An untrusted edge decides with its own probability root, ignoring the caller's
    // flag and th; R = 0xce929d0e0e4736 (rule P4).
    let half = ParentBased::untrusted(Probability::new(0.5));
    let one_percent = ParentBased::untrusted(Probability::new(0.01));
    let follow = ParentBased::new(Probability::new(0.5));
    let cases: [Case<'_>; 5] = [
        // A new th:8 (rule P6: a sampling probability decision records th), written
        // as a new `ot` member at the front (rule S8); the rest of the list keeps its
        // order, written normalised (the owned state encodes `key=value,...`).
        (PADDED, &half, true, "ot=th:8,a=1,b=2,c=3", th("8")),
        // The caller's th:c replaced by th:8: a changed member moves to the front.
        (PADDED_OT, &half, true, "ot=th:8,a=1,b=2,c=3", th("8")),
        // R < th:fd70a (rule P7): not sampled, and the caller's th is removed (rule P6).
        (PADDED_OT, &one_percent, false, "a=1,b=2,c=3", None),
        // A followed parent whose th contradicts its flag (R < th:f): th removed (rule P6),
        // and with it the whole `ot` member, which had nothing else.
        (
            "a=1 , ot=th:f , ,b=2\t,c=3",
            &follow,
            true,
            "a=1,b=2,c=3",
            None,
        ),
        // ... and with another sub-key, which stays (rule P1); the changed `ot` goes to
        // the front (rule S8).
        (
            "a=1 , ot=th:f;x:1 , ,b=2\t,c=3",
            &follow,
            true,
            "ot=x:1,a=1,b=2,c=3",
            None,
        ),
    ];
    for (incoming_ts, sampler, sampled, want, want_th) in cases {
        let incoming = [("traceparent", TP_RANDOM), ("tracestate", incoming_ts)];
        let extracted = extract(&incoming);
        let parent = parent(&extracted);
        let (child, decision) = parent.child_decided(&mut SeededIds::new(1), sampler);
        assert_eq!(decision.is_sampled(), sampled, "{incoming_ts:?}");
        assert_eq!(child.is_sampled(), sampled, "{incoming_ts:?}");
        assert_eq!(ts(&child), want, "{incoming_ts:?}");
        assert_eq!(decision.threshold(), want_th, "{incoming_ts:?}");
        assert_eq!(forwarded_threshold(&child), want_th, "{incoming_ts:?}");
        assert_eq!(decision.error(), None);
        // The parent's own text is not touched.
        assert_eq!(ts(parent), incoming_ts.trim_matches([' ', '\t']));
        // The rewritten list is what goes out, owned or not.
        let mut out = [("", ""); 2];
        child.inject(&mut out).unwrap();
        assert_eq!(out[1], ("tracestate", want));
        #[cfg(feature = "alloc")]
        assert_eq!(ts(&child.into_owned()), want);
    }
}

// ---------------------------------------------------------------- http::HeaderMap

#[cfg(feature = "http")]
#[test]
fn http_header_map_is_a_carrier() {
    use http::{HeaderMap, HeaderValue};
    let mut incoming = HeaderMap::new();
    incoming.insert("traceparent", HeaderValue::from_static(TP));
    incoming.append("tracestate", HeaderValue::from_static("a=1"));
    incoming.append("tracestate", HeaderValue::from_static("b=2"));
    let extracted = extract(&incoming);
    let child = parent(&extracted).child_with_span_id(span(0x53995c3f42cd8ad8));
    assert_eq!(ts(&child), "a=1,b=2");

    let mut outgoing = HeaderMap::new();
    outgoing.insert("tracestate", HeaderValue::from_static("stale=1"));
    child.inject(&mut outgoing).unwrap();
    assert_eq!(outgoing["traceparent"], CHILD_TP);
    assert_eq!(outgoing.get_all("tracestate").iter().count(), 1);
    assert_eq!(outgoing["tracestate"], "a=1,b=2");
    Context::new(trace(1), span(1), TraceFlags::NONE)
        .inject(&mut outgoing)
        .unwrap();
    assert!(outgoing.get("tracestate").is_none());

    incoming.append("traceparent", HeaderValue::from_static(TP));
    assert!(matches!(extract(&incoming), Extracted::Invalid(_)));
    // The crate's own names (looked up by prepared names) and any other name
    // are written, read back and removed alike.
    let mut map = HeaderMap::new();
    for name in [
        "traceparent",
        "tracestate",
        "baggage",
        "server-timing",
        "traceresponse",
        "x-other",
    ] {
        map.set(name, "v1").unwrap();
        map.set(name, name).unwrap();
        assert_eq!((&map).first_value(name), Some(name.as_bytes()));
        assert_eq!(map.get_all(name).iter().count(), 1, "{name}");
    }
    assert_eq!(map.len(), 6);
    for name in ["traceparent", "baggage", "server-timing", "x-other"] {
        Injector::remove(&mut map, name);
        assert_eq!((&map).first_value(name), None);
    }
    let mut left: Vec<_> = map.keys().map(http::HeaderName::as_str).collect();
    left.sort_unstable();
    assert_eq!(left, ["traceresponse", "tracestate"]);
    // A name the map cannot hold is refused, not a panic.
    assert_eq!(
        outgoing.set("Not A Name", "x"),
        Err(Error::carrier_refused("Not A Name"))
    );
}

#[cfg(feature = "http")]
#[test]
fn http_header_map_get_takes_the_first_value() {
    use http::{HeaderMap, HeaderName, HeaderValue};
    let mut map = HeaderMap::new();
    // Names arrive in any case; the map stores them lowercase (rule T1, rule S1).
    map.append(
        HeaderName::from_bytes(b"TraceParent").unwrap(),
        HeaderValue::from_static("first"),
    );
    map.append(
        HeaderName::from_bytes(b"TRACEPARENT").unwrap(),
        HeaderValue::from_static("second"),
    );
    // On a `&HeaderMap` (the type the trait is implemented for), and through `&E`.
    assert_eq!((&map).first_value("traceparent"), Some(&b"first"[..]));
    assert_eq!((&map).first_value("tracestate"), None);
    let by_ref = &&map;
    assert_eq!(by_ref.first_value("traceparent"), Some(&b"first"[..]));
    let dynamic: &dyn Extractor<'_> = &&map;
    assert_eq!(dynamic.first_value("traceparent"), Some(&b"first"[..]));
    // Two fields under two spellings are two fields (rule T7).
    assert_eq!(
        extract(&map).traceparent_error().map(|e| e.kind()),
        Some(ErrorKind::Duplicate)
    );
}

#[test]
fn a_request_without_tracestate_is_asked_for_it_once() {
    let pairs: [(&str, &[u8]); 1] = [("traceparent", TP.as_bytes())];
    let carrier = Counting::new(&pairs);
    let extracted = extract(&carrier);
    assert!(extracted.parent().unwrap().tracestate().is_empty());
    assert_eq!(carrier.tracestate_calls.get(), 1);
    assert_eq!(carrier.tracestate_values.get(), 0);
}

#[cfg(feature = "alloc")]
#[test]
fn contexts_are_equal_only_when_every_part_is() {
    use std::collections::hash_map::DefaultHasher;
    use std::hash::{Hash, Hasher};
    let hash = |context: &Context| {
        let mut hasher = DefaultHasher::new();
        context.hash(&mut hasher);
        hasher.finish()
    };
    let incoming = [("traceparent", TP), ("tracestate", "a=1")];
    let remote: Context = extract(&incoming).into_parent().unwrap().into_owned();
    let same: Context = extract(&incoming).into_parent().unwrap().into_owned();
    assert_eq!(remote, same);
    assert_eq!(hash(&remote), hash(&same));
    // One part differs at a time: the traceparent sent, the flags as read, the
    // parent span, the origin, the tracestate.
    let other_span = remote.child_with_span_id(span(9));
    let mut other_state = remote.clone();
    other_state.edit_tracestate(|s| s.insert("b", "2")).unwrap();
    let reserved = [
        (
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-81",
        ),
        ("tracestate", "a=1"),
    ];
    let other_flags: Context = extract(&reserved).into_parent().unwrap().into_owned();
    let child = remote.child_with_span_id(span(9));
    let grandchild_a = child.child_with_span_id(span(7));
    let grandchild_b = other_span.child_with_span_id(span(7)); // same header, same parent span
    assert_eq!(grandchild_a, grandchild_b);
    let local_twin = Context::new(remote.trace_id(), remote.span_id(), remote.flags());
    for (what, other) in [
        ("span-id", &other_span),
        ("tracestate", &other_state),
        ("reserved flag bits", &other_flags),
        ("origin and tracestate", &local_twin),
    ] {
        assert_ne!(&remote, other, "{what}");
        assert_ne!(hash(&remote), hash(other), "{what}");
    }
    // Same headers, different parent span.
    let from_other_parent = remote
        .child_with_span_id(span(1))
        .child_with_span_id(span(7));
    assert_eq!(from_other_parent.headers(), grandchild_a.headers());
    assert_ne!(from_other_parent, grandchild_a, "parent span");
    assert_ne!(hash(&from_other_parent), hash(&grandchild_a));
    // Same everything but the origin: a remote context and a local copy of it.
    let mut local_copy = Context::new(remote.trace_id(), remote.span_id(), remote.flags());
    local_copy.edit_tracestate(|s| s.insert("a", "1")).unwrap();
    assert_eq!(local_copy.headers(), remote.headers());
    assert_ne!(local_copy, remote, "origin");
    assert_ne!(hash(&local_copy), hash(&remote));
    // Debug shows every part.
    let debug = format!("{other_state:?}");
    for part in [TP, "b=2,a=1", "remote: true", "SAMPLED"] {
        assert!(debug.contains(part), "{part:?} in {debug}");
    }
    let debug = format!("{grandchild_a:?}");
    assert!(
        debug.contains("parent_span_id: Some(SpanId(0000000000000009))"),
        "{debug}"
    );
}

#[cfg(feature = "alloc")]
#[test]
fn byte_string_carriers_are_written_and_matched_by_their_bytes() {
    // A fresh `Vec` of byte pairs: injection pushes the headers (`Slot::from_text`).
    let context = Context::new(trace(0x4bf9), span(0xf067), TraceFlags::SAMPLED);
    let mut carrier: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    context.inject(&mut carrier).unwrap();
    assert_eq!(
        carrier,
        [(
            b"traceparent".to_vec(),
            context.headers().traceparent().as_bytes().to_vec()
        )]
    );
    // Entries are found by their bytes (`Slot::bytes`), in any case: a second
    // injection replaces the first value and drops a second spelling (T1).
    carrier.push((b"TraceParent".to_vec(), b"stale".to_vec()));
    carrier.push((b"tracestate".to_vec(), b"stale=1".to_vec()));
    let child = context.child_with_span_id(span(0x53995c3f42cd8ad8));
    child.inject(&mut carrier).unwrap();
    assert_eq!(
        carrier,
        [(
            b"traceparent".to_vec(),
            child.headers().traceparent().as_bytes().to_vec()
        )],
        "one traceparent, and the stale tracestate removed (S10)"
    );
    // And read back as a carrier.
    let extracted = extract(&carrier);
    assert_eq!(extracted.parent().unwrap().span_id(), child.span_id());
}

#[cfg(feature = "http")]
#[test]
fn http_header_map_refuses_bad_names_and_values() {
    use http::{HeaderMap, HeaderValue};
    let mut map = HeaderMap::new();
    map.insert("traceparent", HeaderValue::from_static(TP));
    for name in [
        "Traceparent",
        "TRACESTATE",
        "",
        "trace parent",
        "trace:parent",
    ] {
        let error = map.set(name, "x").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::CarrierRefused, "{name:?}");
        assert_eq!(error.header(), name);
        assert_eq!(error, Error::carrier_refused(name));
    }
    for value in ["a\nb", "a\rb", "\0", "a\x7fb"] {
        let error = map.set("traceparent", value).unwrap_err();
        assert_eq!(error, Error::carrier_refused("traceparent"), "{value:?}");
        assert_eq!(
            error.to_string(),
            "traceparent: the carrier refused the header"
        );
    }
    // Refusals leave the map as it was.
    assert_eq!(map.len(), 1);
    assert_eq!(map["traceparent"], TP);
    // Through `&mut` and a trait object too.
    let mut by_ref = &mut map;
    assert_eq!(
        Injector::set(&mut by_ref, "tracestate", "a\nb"),
        Err(Error::carrier_refused("tracestate"))
    );
    let dynamic: &mut dyn Injector<'_> = &mut map;
    assert_eq!(dynamic.set("Bad", "x"), Err(Error::carrier_refused("Bad")));
    // A good name and value are taken.
    assert_eq!(map.set("tracestate", "a=1"), Ok(()));
    assert_eq!(map["tracestate"], "a=1");
    // Every character of a lowercase token name is taken, digits, `-` and `_`
    // included (names other than the two of this crate come from other callers of
    // the trait).
    for name in ["x-b3-1", "x_trace", "v2", "a-", "_b"] {
        assert_eq!(map.set(name, "v"), Ok(()), "{name:?}");
        assert_eq!(map[name], "v");
    }
}

// ---------------------------------------------------------------- response side

#[test]
fn r1_server_timing_round_trips_through_a_carrier() {
    let context = continued_inline("a=1");
    let metric = context.server_timing();
    assert_eq!(&*metric, format!("trace;desc={CHILD_TP}"));
    assert_eq!(
        metric,
        response::server_timing(&context.traceparent()),
        "the context and the free function agree"
    );
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
    assert_eq!(error.header(), "server-timing");
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
    let error = response::extract(&twice).unwrap_err();
    assert_eq!(
        (error.kind(), error.header()),
        (ErrorKind::Duplicate, "traceresponse")
    );
    assert_eq!(
        error.to_string(),
        "traceresponse: more than one traceresponse field"
    );
    let bad = [("traceresponse", "00-zz")];
    assert_eq!(
        response::extract(&bad).map_err(|e| e.header()),
        Err("traceresponse")
    );
    let none: [(&str, &str); 0] = [];
    assert_eq!(response::extract(&none), Ok(None));
}
