//! ID generation (T12, T13) and sampling (P1–P9): the spec's examples, the 1-in-N
//! thresholds, rates within binomial tolerance, consistency along a chain of
//! services, the parent cases, the rate limiter shared by threads, the samplers named
//! by configuration, and malformed `ot` values.
//!
//! Rule numbers (T12, P1–P9, ...) are those of `docs/RULES.md`.
//!
//! Decisions are checked both on the sampler (`Input` in, `Decision` out) and through
//! the contexts that apply them (`Context::root`, `child_decided`,
//! `Extracted::child_or_root`), reading the `ot` member the context forwards.

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use tracecontext::sampling::{
    AlwaysOff, AlwaysOn, Clock, Configured, Decision, Input, OtValue, Parent, ParentBased,
    Probability, Randomness, RateLimited, Rule, Sampler, StdClock, Threshold,
};
use tracecontext::{
    Context, ErrorKind, IdSource, SeededIds, SpanId, ThreadIds, TraceFlags, TraceId,
};

/// The trace-id of the P7 examples: R = 0xce929d0e0e4736.
const P7_TRACE: u128 = 0x4bf92f3577b34da6a3ce929d0e0e4736;
/// The low 56 bits.
const MASK: u64 = (1 << 56) - 1;
const SECOND: u64 = 1_000_000_000;
const SAMPLED: TraceFlags = TraceFlags::SAMPLED;
const RANDOM: TraceFlags = TraceFlags::RANDOM;

fn trace(n: u128) -> TraceId {
    TraceId::from_u128(n).unwrap()
}

/// The P7 trace-id with its low 56 bits (its randomness R, P4) replaced by `r`.
fn with_r(r: u64) -> u128 {
    (P7_TRACE & !u128::from(MASK)) | u128::from(r & MASK)
}

fn th(text: &str) -> Threshold {
    Threshold::parse(text).unwrap()
}

/// A traceparent value for `trace` with these flag bits.
fn traceparent(trace: u128, flags: u8) -> String {
    format!("00-{trace:032x}-00f067aa0ba902b7-{flags:02x}")
}

/// This service's hop for an incoming request: extract, decide, child; kept owned.
fn serve(
    traceparent: &str,
    tracestate: Option<&str>,
    sampler: &(impl Sampler + ?Sized),
) -> (Context, Decision) {
    let mut headers = vec![("traceparent", traceparent)];
    headers.extend(tracestate.map(|ts| ("tracestate", ts)));
    let extracted = tracecontext::extract(&headers);
    assert!(extracted.parent().is_some(), "{extracted}");
    assert!(extracted.tracestate_error().is_none(), "{extracted}");
    let (hop, decision) = extracted.child_or_root(&mut SeededIds::new(0), sampler);
    assert_eq!(hop.is_sampled(), decision.is_sampled());
    (hop.into_owned(), decision)
}

/// A local context of this service, with an `ot` member if given.
fn local(trace: u128, flags: TraceFlags, ot: Option<&str>, other: Option<(&str, &str)>) -> Context {
    let mut context = Context::new(
        TraceId::from_u128(trace).unwrap(),
        SpanId::from_u64(0x1234).unwrap(),
        flags,
    );
    context.edit_tracestate(|state| {
        if let Some((key, value)) = other {
            state.insert(key, value).unwrap();
        }
        if let Some(ot) = ot {
            state.insert("ot", ot).unwrap();
        }
    });
    context
}

/// The `ot` member a context forwards.
fn ot(context: &Context) -> Option<&str> {
    context.tracestate().get("ot")
}

/// The `th` a context forwards, read back through the `ot` codec.
fn written_th(context: &Context) -> Option<Threshold> {
    ot(context).and_then(|ot| OtValue::parse(ot).expect("a valid ot value").threshold())
}

/// An ID source with a fixed trace-id, counting span-ids, that may or may not promise
/// random trace-ids and may give fresh randomness.
struct Fixed {
    trace: u128,
    span: u64,
    random: bool,
    fresh: Option<u64>,
}

impl Fixed {
    fn new(trace: u128, random: bool, fresh: Option<u64>) -> Self {
        Self {
            trace,
            span: 0,
            random,
            fresh,
        }
    }
}

impl IdSource for Fixed {
    fn trace_id(&mut self) -> TraceId {
        trace(self.trace)
    }
    fn span_id(&mut self) -> SpanId {
        self.span += 1;
        SpanId::from_u64(self.span).unwrap()
    }
    fn random_trace_ids(&self) -> bool {
        self.random
    }
    fn randomness(&mut self) -> Option<u64> {
        self.fresh
    }
}

/// What [`Spy`] saw of one input.
type Seen = (
    Parent,
    TraceId,
    Randomness,
    Option<Threshold>,
    Option<String>,
);

/// Records what it is told, and follows the parent.
#[derive(Default)]
struct Spy {
    seen: RefCell<Vec<Seen>>,
}

impl Sampler for Spy {
    fn decide(&self, input: &Input<'_>) -> Decision {
        self.seen.borrow_mut().push((
            input.parent(),
            input.trace_id(),
            input.randomness(),
            input.threshold(),
            input.ot().map(|ot| ot.as_str().to_owned()),
        ));
        input.follow(input.parent().is_sampled())
    }
}

// ---------------------------------------------------------------- thresholds (P2, P5, P7)

#[test]
fn p2_p7_threshold_examples() {
    assert_eq!(th("0").probability(), 1.0);
    assert_eq!(th("8").probability(), 0.5);
    assert_eq!(th("c").probability(), 0.25);
    assert_eq!(th("c").adjusted_count(), 4.0);
    assert_eq!(th("4").probability(), 0.75);
    assert_eq!(th("08").probability(), 0.96875);
    assert_eq!(th("fd70a").value(), 0xfd70a000000000);
    // Right-padding with zeros (P2).
    assert_eq!(th("8"), th("80000000000000"));
    // Encoding: 14 digits, trailing zeros stripped, zero is "0".
    assert_eq!(th("80000000000000").to_string(), "8");
    assert_eq!(Threshold::ALWAYS.to_string(), "0");
    assert_eq!(
        Threshold::from_value(0xfd70a3d70a3d70).unwrap().to_string(),
        "fd70a3d70a3d7"
    );
    assert_eq!(Threshold::from_value(1 << 56), None);
    // P5: sampled exactly when R >= T.
    assert!(th("c").samples(0xc0000000000000));
    assert!(!th("c").samples(0xbfffffffffffff));
    assert!(Threshold::ALWAYS.samples(0));
}

#[test]
fn p7_one_percent_at_default_precision() {
    let t = Threshold::from_probability(0.01).unwrap();
    assert_eq!(t.to_string(), "fd70a");
    // The exact value, at full precision.
    let exact = Threshold::with_precision(0.01, 14).unwrap();
    assert!(exact.value().abs_diff(0xfd70a3d70a3d70) <= 1, "{exact}");
}

#[test]
fn one_in_n_thresholds() {
    for (n, want) in [
        (1, "0"),
        (2, "8"),
        (3, "aaab"),
        (10, "e666"),
        (100, "fd70a"),
        (1000, "ffbe77"),
    ] {
        let t = Threshold::from_probability(1.0 / f64::from(n)).unwrap();
        assert_eq!(t.to_string(), want, "1 in {n}");
    }
    assert_eq!(Threshold::from_probability(0.0), None);
    assert_eq!(Threshold::from_probability(-1.0), None);
    assert_eq!(Threshold::from_probability(f64::NAN), None);
    assert_eq!(Threshold::from_probability(2.0), Some(Threshold::ALWAYS));
}

#[test]
fn p7_the_spec_trace_is_sampled_at_c_and_not_at_fd70a() {
    // R = 0xce929d0e0e4736 (P4, the low 56 bits of the trace-id).
    let quarter = Probability::new(0.25);
    let decision = quarter.decide(&Input::root(trace(P7_TRACE), true));
    assert!(decision.is_sampled());
    assert_eq!(decision.threshold(), Some(th("c")));
    let (root, decision) = Context::root(&mut Fixed::new(P7_TRACE, true, None), &quarter);
    assert!(decision.is_sampled() && root.is_sampled());
    assert_eq!(ot(&root), Some("th:c"), "P6: a sampling decision writes th");

    let one_percent = Probability::new(0.01);
    let decision = one_percent.decide(&Input::root(trace(P7_TRACE), true));
    assert!(!decision.is_sampled());
    assert_eq!(decision.threshold(), None);
    let (root, decision) = Context::root(&mut Fixed::new(P7_TRACE, true, None), &one_percent);
    assert!(!decision.is_sampled() && !root.is_sampled());
    assert_eq!(ot(&root), None, "P6: a dropped trace carries no th");
    assert!(root.tracestate().is_empty());
}

#[test]
fn p4_rv_wins_over_the_trace_id() {
    let half = Probability::new(0.5);
    // The trace-id says R = 0xce... (sampled at 50%), rv says R = 0x01... (not).
    let input = Input::child(
        Parent::Remote(SAMPLED),
        trace(P7_TRACE),
        Some("rv:01000000000000"),
    );
    assert_eq!(input.randomness(), Randomness::Explicit(0x01000000000000));
    assert!(!half.decide(&input).is_sampled());
    let (hop, decision) = serve(
        &traceparent(P7_TRACE, 0x01),
        Some("ot=rv:01000000000000"),
        &half,
    );
    assert!(!decision.is_sampled());
    assert_eq!(ot(&hop), Some("rv:01000000000000"), "P3: rv is kept");
    // The trace-id says R = 1 (dropped at 50%), rv says R = 0xff... (kept).
    let (hop, decision) = serve(
        &traceparent(1, 0x01),
        Some("ot=rv:ff000000000000;x:y"),
        &half,
    );
    assert!(decision.is_sampled());
    assert_eq!(
        ot(&hop),
        Some("th:8;rv:ff000000000000;x:y"),
        "P1: other sub-keys kept"
    );
}

// ---------------------------------------------------------------- ot codec (P1–P3)

#[test]
fn p1_p3_malformed_ot_values() {
    let long = format!("x:{}", "a".repeat(255));
    let cases: [(&str, ErrorKind, usize); 11] = [
        ("th:ffffffffffffffff", ErrorKind::Threshold, 3),
        ("th:", ErrorKind::Threshold, 3),
        ("th:C", ErrorKind::Threshold, 3),
        ("rv:3", ErrorKind::Randomness, 3),
        ("rv:0123456789abcdef", ErrorKind::Randomness, 3),
        ("rv:0123456789abcG", ErrorKind::Randomness, 16),
        // A repeated sub-key is a SubKey error (was OtErrorKind::Duplicate).
        ("th:8;th:c", ErrorKind::SubKey, 5),
        ("x:1;y:2;x:3", ErrorKind::SubKey, 8),
        (long.as_str(), ErrorKind::OtLength, 256),
        ("Th:8", ErrorKind::SubKey, 0),
        ("x:a+b", ErrorKind::SubValue, 3),
    ];
    for (value, kind, offset) in cases {
        let error = OtValue::parse(value).unwrap_err();
        assert_eq!((error.kind(), error.offset()), (kind, offset), "{value}");
        assert_eq!(error.header(), "tracestate ot");
        assert!(error.to_string().starts_with("tracestate ot: "), "{error}");
    }
    assert_eq!(
        OtValue::parse("th:ffffffffffffffff")
            .unwrap_err()
            .to_string(),
        "tracestate ot: th must be 1 to 14 lowercase hex digits at byte 3"
    );
    // Unknown sub-keys are valid and kept.
    let ot = OtValue::parse("future:1.0;th:c;k9:A-b_c.d").unwrap();
    assert_eq!(ot.threshold(), Threshold::from_value(0xc0000000000000));
    assert_eq!(ot.with_threshold(None).unwrap(), "future:1.0;k9:A-b_c.d");
}

#[test]
fn ot_value_accessors() {
    let text = "rv:ce929d0e0e4736;th:c;x:keep;future:1.0";
    let ot = OtValue::parse(text).unwrap();
    assert_eq!(ot.as_str(), text);
    assert_eq!(ot.to_string(), text);
    assert_eq!(ot.threshold(), Some(th("c")));
    assert_eq!(ot.randomness(), Some(0xce929d0e0e4736));
    assert_eq!(ot.get("x"), Some("keep"));
    assert_eq!(ot.get("th"), Some("c"));
    assert_eq!(ot.get("rv"), Some("ce929d0e0e4736"));
    assert_eq!(ot.get("future"), Some("1.0"));
    assert_eq!(
        ot.get("t"),
        None,
        "a prefix of a sub-key is not the sub-key"
    );
    assert_eq!(ot.get("keep"), None, "values are not keys");
    assert_eq!(ot.get("nope"), None);
    let all: Vec<(&str, &str)> = ot.iter().collect();
    assert_eq!(
        all,
        [
            ("rv", "ce929d0e0e4736"),
            ("th", "c"),
            ("x", "keep"),
            ("future", "1.0")
        ]
    );
    // The iterator is a cheap copy that restarts nothing.
    let mut iter = ot.iter();
    assert_eq!(iter.next(), Some(("rv", "ce929d0e0e4736")));
    let rest = iter.clone();
    assert_eq!(iter.count(), 3);
    assert_eq!(rest.count(), 3);
    // An empty sub-key value is allowed by P1 ([A-Za-z0-9._-]*).
    let empty = OtValue::parse("x:;th:0").unwrap();
    assert_eq!(empty.get("x"), Some(""));
    assert_eq!(empty.iter().collect::<Vec<_>>(), [("x", ""), ("th", "0")]);
    assert_eq!(empty.threshold(), Some(Threshold::ALWAYS));
    // P1: setting th leaves the other sub-keys in place; erasing it too.
    assert_eq!(
        ot.with_threshold(Some(th("8"))).unwrap(),
        "rv:ce929d0e0e4736;th:8;x:keep;future:1.0"
    );
    assert_eq!(
        ot.with_threshold(None).unwrap(),
        "rv:ce929d0e0e4736;x:keep;future:1.0"
    );
    assert_eq!(
        OtValue::parse("th:c")
            .unwrap()
            .with_threshold(None)
            .unwrap(),
        ""
    );
    let added = OtValue::parse("x:1")
        .unwrap()
        .with_threshold(Some(th("c")))
        .unwrap();
    let added = OtValue::parse(&added).unwrap();
    assert_eq!(added.threshold(), Some(th("c")));
    assert_eq!(added.get("x"), Some("1"));
}

#[test]
fn p1_an_update_past_256_characters_is_refused() {
    let filler = format!("x:{}", "a".repeat(250)); // 252 characters
    let ot_value = OtValue::parse(&filler).unwrap();
    let err = ot_value
        .with_threshold(Threshold::from_probability(0.5))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OtLength);
    // In a decision: reported, the value left as it was, the decision made.
    let (hop, decision) = serve(
        &traceparent(P7_TRACE, 0x01),
        Some(&format!("ot={filler}")),
        &Probability::new(0.5),
    );
    assert!(decision.is_sampled() && hop.is_sampled());
    assert_eq!(
        decision.error().map(|e| e.kind()),
        Some(ErrorKind::OtLength)
    );
    assert_eq!(ot(&hop), Some(filler.as_str()));
    assert_eq!(decision.threshold(), None, "the th the span carries: none");
    // The same for a root-less sampler check on the input alone: the sampler's
    // decision is sampled with th:8, the refusal happens when it is written.
    let input = Input::child(Parent::Remote(SAMPLED), trace(P7_TRACE), Some(&filler));
    let decision = Probability::new(0.5).decide(&input);
    assert!(decision.is_sampled());
    assert_eq!(decision.threshold(), Some(th("8")));
}

#[test]
fn a_malformed_ot_is_ignored_for_reading_and_replaced_when_written() {
    // rv malformed: R comes from the trace-id (0xce...), sampled at 50%.
    let (hop, decision) = serve(
        &traceparent(P7_TRACE, 0x01),
        Some("ot=rv:3;th:0,other=1"),
        &Probability::new(0.5),
    );
    assert!(decision.is_sampled());
    assert_eq!(
        decision.error().map(|e| e.kind()),
        Some(ErrorKind::Randomness)
    );
    assert_eq!(ot(&hop), Some("th:8"));
    assert_eq!(hop.tracestate().get("other"), Some("1"));
    assert_eq!(
        hop.tracestate().as_str(),
        "ot=th:8,other=1",
        "S8: ot in front"
    );
    // The input says why it read no ot.
    let input = Input::child(Parent::Remote(SAMPLED), trace(P7_TRACE), Some("rv:3;th:0"));
    assert!(input.ot().is_none() && input.threshold().is_none());
    assert_eq!(
        input.ot_error().map(|e| e.kind()),
        Some(ErrorKind::Randomness)
    );
    // Dropped: the malformed value is removed.
    let (hop, decision) = serve(
        &traceparent(P7_TRACE, 0x01),
        Some("ot=th:xyz,other=1"),
        &AlwaysOff,
    );
    assert!(!decision.is_sampled());
    assert_eq!(
        decision.error().map(|e| e.kind()),
        Some(ErrorKind::Threshold)
    );
    assert_eq!(hop.tracestate().as_str(), "other=1");
}

// ---------------------------------------------------------------- P6 and the parent cases

#[test]
fn p6_parent_based_passes_consistent_th_and_erases_the_rest() {
    let follow = ParentBased::new(AlwaysOff);
    // R = 0xce... >= c: sampled and consistent, passed through untouched.
    let (hop, decision) = serve(&traceparent(P7_TRACE, 0x01), Some("ot=th:c,a=1"), &follow);
    assert!(decision.is_sampled());
    assert_eq!(decision.threshold(), Some(th("c")));
    assert_eq!(hop.tracestate().as_str(), "ot=th:c,a=1", "byte for byte");
    // R (the rv) < fd70a but the parent says sampled: inconsistent, th erased.
    let (hop, decision) = serve(
        &traceparent(P7_TRACE, 0x01),
        Some("ot=th:fd70a;rv:ce929d0e0e4736"),
        &follow,
    );
    assert!(decision.is_sampled());
    assert_eq!(decision.threshold(), None);
    assert_eq!(ot(&hop), Some("rv:ce929d0e0e4736"));
    // The parent says not sampled but th:0 says sampled: inconsistent, erased.
    let (hop, decision) = serve(&traceparent(P7_TRACE, 0x00), Some("ot=th:0,a=1"), &follow);
    assert!(!decision.is_sampled());
    assert_eq!(hop.tracestate().as_str(), "a=1");
    // Not sampled: th erased, and the member goes when nothing is left.
    let parent = local(P7_TRACE, TraceFlags::NONE, Some("th:c"), Some(("a", "1")));
    assert_eq!(parent.tracestate().as_str(), "ot=th:c,a=1");
    let (child, decision) = parent.child_decided(&mut SeededIds::new(1), &follow);
    assert!(!decision.is_sampled() && !child.is_sampled());
    assert_eq!(child.tracestate().as_str(), "a=1");
}

#[test]
fn p6_downstream_only_raises_the_threshold() {
    // The parent sampled at 25% (th:c); a 50% sampler downstream keeps th:c.
    let (hop, decision) = serve(
        &traceparent(P7_TRACE, 0x01),
        Some("ot=th:c"),
        &Probability::new(0.5),
    );
    assert!(decision.is_sampled());
    assert_eq!(ot(&hop), Some("th:c"));
    // A 1% sampler downstream raises it, and drops this trace.
    let parent = local(P7_TRACE, SAMPLED, Some("th:c"), None);
    let (child, decision) = parent.child_decided(&mut SeededIds::new(1), &Probability::new(0.01));
    assert!(!decision.is_sampled() && !child.is_sampled());
    assert_eq!(ot(&child), None);
    // A 1% sampler over a trace with R above fd70a raises th:c to th:fd70a.
    let parent = local(with_r(0xfe000000000000), SAMPLED, Some("th:c"), None);
    let (child, decision) = parent.child_decided(&mut SeededIds::new(1), &Probability::new(0.01));
    assert!(decision.is_sampled());
    assert_eq!(ot(&child), Some("th:fd70a"));
}

#[test]
fn parent_helpers() {
    assert_eq!(Parent::None.flags(), None);
    assert!(!Parent::None.is_sampled() && !Parent::None.is_remote());
    let remote = Parent::Remote(SAMPLED | RANDOM);
    assert_eq!(remote.flags(), Some(SAMPLED | RANDOM));
    assert!(remote.is_sampled() && remote.is_remote());
    assert!(!Parent::Remote(RANDOM).is_sampled());
    let local = Parent::Local(SAMPLED);
    assert!(local.is_sampled() && !local.is_remote());
    assert_eq!(local.flags(), Some(SAMPLED));
    // T8: the sampled bit is read by mask, whatever the reserved bits say.
    assert!(Parent::Remote(TraceFlags::from_bits(0x81)).is_sampled());
    assert!(!Parent::Local(TraceFlags::from_bits(0xfe)).is_sampled());

    // What the contexts tell a sampler (the replacement of `Parent::of(context)`).
    let spy = Spy::default();
    let (hop, _) = serve(&traceparent(P7_TRACE, 0x81), Some("ot=th:c;x:1"), &spy);
    let (child, _) = hop.child_decided(&mut SeededIds::new(1), &spy);
    let _ = Context::root(&mut Fixed::new(with_r(7), true, None), &spy);
    assert!(child.is_sampled(), "followed");
    let seen = spy.seen.take();
    assert_eq!(
        seen,
        [
            (
                Parent::Remote(TraceFlags::from_bits(0x81)), // as read
                trace(P7_TRACE),
                Randomness::UnflaggedTraceId(0xce929d0e0e4736),
                Some(th("c")),
                Some("th:c;x:1".to_owned()),
            ),
            (
                Parent::Local(TraceFlags::from_bits(0x81)),
                trace(P7_TRACE),
                Randomness::UnflaggedTraceId(0xce929d0e0e4736),
                Some(th("c")),
                Some("th:c;x:1".to_owned()),
            ),
            (
                Parent::None,
                trace(with_r(7)),
                Randomness::TraceId(7),
                None,
                None
            ),
        ]
    );
}

#[test]
fn parent_based_rules_for_each_case() {
    let cases = [
        (Parent::Remote(SAMPLED), true),
        (Parent::Remote(TraceFlags::NONE), false),
        (Parent::Local(SAMPLED), true),
        (Parent::Local(TraceFlags::NONE), false),
    ];
    let decide = |sampler: &dyn Sampler, parent| {
        sampler
            .decide(&Input::child(parent, trace(1), None))
            .is_sampled()
    };
    let follow = ParentBased::new(AlwaysOn);
    for (parent, want) in cases {
        assert_eq!(decide(&follow, parent), want, "{parent:?}");
        assert_eq!(follow.rule(parent), Rule::Follow);
    }
    assert!(
        follow.decide(&Input::root(trace(1), true)).is_sampled(),
        "root: AlwaysOn"
    );
    assert_eq!(follow.rule(Parent::None), Rule::Root);
    assert_eq!(*follow.root(), AlwaysOn);

    let inverted = ParentBased::new(AlwaysOff)
        .remote_sampled(Rule::Off)
        .remote_not_sampled(Rule::On)
        .local_sampled(Rule::Off)
        .local_not_sampled(Rule::On);
    for (parent, want) in cases {
        assert_eq!(decide(&inverted, parent), !want, "{parent:?}");
    }
    assert!(!inverted.decide(&Input::root(trace(1), true)).is_sampled());
    // Each case is its own: only the local sampled case is switched off here.
    let one = ParentBased::new(AlwaysOn).local_sampled(Rule::Off);
    assert_eq!(
        cases.map(|(parent, _)| decide(&one, parent)),
        [true, false, false, false]
    );
    // Rule::Root asks the root sampler for that case.
    let ask_root = ParentBased::new(AlwaysOff).local_sampled(Rule::Root);
    assert_eq!(
        cases.map(|(parent, _)| decide(&ask_root, parent)),
        [true, false, false, false]
    );
    // Default: every parent followed, AlwaysOn for roots.
    let default = ParentBased::<AlwaysOn>::default();
    assert_eq!(default, ParentBased::new(AlwaysOn));
}

#[test]
fn trust_boundary_ignores_the_callers_flag() {
    // A caller that sets sampled on every request cannot force recording.
    let edge = ParentBased::untrusted(Probability::new(0.01));
    let mut ids = SeededIds::new(3);
    let mut kept = 0;
    for _ in 0..10_000 {
        let input = Input::child(Parent::Remote(SAMPLED | RANDOM), ids.trace_id(), None);
        kept += u32::from(edge.decide(&input).is_sampled());
    }
    assert!((50..=160).contains(&kept), "{kept} of 10 000 at 1%");
    // Nor with th:0 in the tracestate.
    let mut kept = 0;
    for _ in 0..10_000 {
        let input = Input::child(
            Parent::Remote(SAMPLED | RANDOM),
            ids.trace_id(),
            Some("th:0"),
        );
        let decision = edge.decide(&input);
        if decision.is_sampled() {
            assert_eq!(decision.threshold(), Some(th("fd70a")), "the edge's own th");
        }
        kept += u32::from(decision.is_sampled());
    }
    assert!(
        (50..=160).contains(&kept),
        "{kept} of 10 000 at 1%, th:0 ignored"
    );
    // Nor switch it off with a high th: R = 0xfe... >= fd70a, below the caller's ff.
    let high = Input::child(
        Parent::Remote(SAMPLED | RANDOM),
        trace(with_r(0xfe000000000000)),
        Some("th:ff"),
    );
    let decision = edge.decide(&high);
    assert!(decision.is_sampled());
    assert_eq!(decision.threshold(), Some(th("fd70a")));
    // A trusting service that asks its root sampler lets the caller's th count (P6).
    let trusting = ParentBased::new(Probability::new(0.01)).remote_sampled(Rule::Root);
    assert!(!trusting.decide(&high).is_sampled());
    // Through the context: the forwarded th is the edge's.
    let (hop, decision) = serve(
        &traceparent(with_r(0xfe000000000000), 0x03),
        Some("ot=th:ff;x:1"),
        &edge,
    );
    assert!(decision.is_sampled());
    assert_eq!(ot(&hop), Some("th:fd70a;x:1"));
    // Local parents are still followed.
    assert!(
        edge.decide(&Input::child(Parent::Local(SAMPLED), trace(1), None))
            .is_sampled()
    );
    assert!(
        !edge
            .decide(&Input::child(
                Parent::Local(TraceFlags::NONE),
                trace(P7_TRACE),
                None
            ))
            .is_sampled()
    );
}

#[test]
fn input_ignoring_parent() {
    // R = 0x90...: sampled at th:8, not at th:c.
    let input = Input::child(
        Parent::Remote(SAMPLED | RANDOM),
        trace(with_r(0x90000000000000)),
        Some("th:c;x:1"),
    );
    assert_eq!(input.threshold(), Some(th("c")));
    let stripped = input.ignoring_parent();
    assert_eq!(stripped.threshold(), None);
    // The parent is gone; the rest of the input is unchanged, the ot text included.
    assert_eq!(stripped.parent(), Parent::None);
    assert_eq!(stripped.ot().map(|ot| ot.as_str()), Some("th:c;x:1"));
    assert_eq!(stripped.ot().and_then(|ot| ot.get("x")), Some("1"));
    assert_eq!(stripped.randomness(), input.randomness());
    assert_eq!(stripped.trace_id(), input.trace_id());
    // Without the parent, its flag does not count either (P9 applies below a
    // parent): an unsampled caller's trace is decided afresh.
    let unsampled = Input::child(
        Parent::Remote(RANDOM),
        trace(with_r(0x90000000000000)),
        None,
    );
    assert!(!Probability::new(0.5).decide(&unsampled).is_sampled());
    assert!(
        Probability::new(0.5)
            .decide(&unsampled.ignoring_parent())
            .is_sampled()
    );
    // P6: with the caller's th:c, 50% keeps th:c and drops R = 0x90...; without it,
    // the sampler's own th:8 decides.
    let half = Probability::new(0.5);
    assert!(!half.decide(&input).is_sampled());
    let decision = half.decide(&stripped);
    assert!(decision.is_sampled());
    assert_eq!(decision.threshold(), Some(th("8")));
    // Following: the caller's consistent th is passed on, unless it does not count.
    let p7 = Input::child(Parent::Remote(SAMPLED), trace(P7_TRACE), Some("th:c"));
    assert_eq!(p7.follow(true).threshold(), Some(th("c")));
    assert_eq!(p7.ignoring_parent().follow(true).threshold(), None);
    // Without an ot value, nothing changes.
    let bare = Input::child(Parent::Remote(SAMPLED), trace(P7_TRACE), None);
    assert!(bare.ignoring_parent().ot().is_none());
}

// ---------------------------------------------------------------- statistics and consistency

/// The number of `n` traces from `seed` that `sampler` keeps as roots, checking that
/// each root forwards the decision's th.
fn kept(sampler: &impl Sampler, seed: u64, n: u32) -> u32 {
    let mut ids = SeededIds::new(seed);
    (0..n)
        .map(|_| {
            let (root, decision) = Context::root(&mut ids, sampler);
            assert_eq!(written_th(&root), decision.threshold());
            u32::from(root.is_sampled())
        })
        .sum()
}

#[test]
fn p5_rates_are_within_binomial_tolerance() {
    const N: u32 = 100_000;
    for (p, seed) in [(0.5, 11), (0.1, 12), (0.01, 13)] {
        let t = Threshold::from_probability(p).unwrap();
        let expected = f64::from(N) * t.probability();
        let sd = (expected * (1.0 - t.probability())).sqrt();
        let got = f64::from(kept(&Probability::new(p), seed, N));
        assert!(
            (got - expected).abs() <= 5.0 * sd,
            "p = {p}: kept {got}, expected {expected:.0} ± {:.0}",
            5.0 * sd
        );
    }
}

/// One call from `caller` to a service deciding with `sampler`: injected into a
/// carrier, extracted on the other side.
fn call(
    caller: &Context,
    ids: &mut impl IdSource,
    sampler: &(impl Sampler + ?Sized),
) -> (Context, Decision) {
    let mut carrier = [("", ""); 2];
    caller.inject(&mut carrier).unwrap();
    let extracted = tracecontext::extract(&carrier);
    assert!(extracted.parent().is_some_and(|p| p.is_remote()));
    let (hop, decision) = extracted.child_or_root(ids, sampler);
    (hop.into_owned(), decision)
}

#[test]
fn a_chain_of_services_samples_nested_sets_with_no_partial_traces() {
    // 0.5 → 0.25 → 0.1, each a parent-based sampler whose root and parent cases
    // decide by probability, with the threshold carried in the tracestate.
    let probabilities = [0.5, 0.25, 0.1];
    let services = probabilities.map(|p| {
        ParentBased::new(Probability::new(p))
            .remote_sampled(Rule::Root)
            .remote_not_sampled(Rule::Root)
    });
    let mut ids = SeededIds::new(99);
    let mut counts = [0u32; 3];
    for _ in 0..20_000 {
        let (mut context, mut decision) = Context::root(&mut ids, &services[0]);
        let mut previous = true;
        for (hop, sampler) in services.iter().enumerate() {
            if hop > 0 {
                (context, decision) = call(&context, &mut ids, sampler);
            }
            let sampled = decision.is_sampled();
            // Nested: a lower-probability service keeps only what higher ones kept,
            // so no service records a trace that its caller dropped.
            assert!(
                previous || !sampled,
                "hop {hop} kept a trace its caller dropped"
            );
            // P6: each hop raises th to its own (the highest so far), and forwards it.
            let own = Threshold::from_probability(probabilities[hop]);
            assert_eq!(written_th(&context), own.filter(|_| sampled), "hop {hop}");
            assert_eq!(decision.threshold(), written_th(&context));
            counts[hop] += u32::from(sampled);
            previous = sampled;
        }
    }
    assert!(counts[0] > counts[1] && counts[1] > counts[2], "{counts:?}");
    // Each set is about its probability of the whole.
    for (count, p) in counts.iter().zip(probabilities) {
        let rate = f64::from(*count) / 20_000.0;
        assert!((rate - p).abs() < 0.02, "rate {rate}, p {p}");
    }
}

#[test]
fn decision_threshold_is_the_th_written() {
    let now = AtomicU64::new(0);
    let limiter = RateLimited::new(1000, 50, || now.load(Ordering::Relaxed));
    let untrusted = ParentBased::untrusted(Probability::new(0.3));
    let raising = ParentBased::new(Probability::new(0.2)).remote_sampled(Rule::Root);
    let samplers: [&dyn Sampler; 8] = [
        &Probability::new(0.5),
        &Probability::new(0.1),
        &AlwaysOn,
        &AlwaysOff,
        &limiter,
        &untrusted,
        &raising,
        &ParentBased::new(Probability::new(0.7)),
    ];
    let mut ids = SeededIds::new(2024);
    let check = |context: &Context, decision: &Decision, what: &str| {
        assert_eq!(written_th(context), decision.threshold(), "{what}");
        assert_eq!(context.is_sampled(), decision.is_sampled(), "{what}");
        if let Some(t) = decision.threshold() {
            // P6: only a sampled span carries th, and only a consistent one (P5).
            assert!(decision.is_sampled(), "{what}");
            let r = context.trace_id().to_u128() as u64 & MASK;
            assert!(t.samples(r), "{what}: R {r:x} < {t:?}");
        }
    };
    for i in 0..3_000usize {
        let first = samplers[i % samplers.len()];
        let second = samplers[(i / samplers.len()) % samplers.len()];
        let third = samplers[(i * 7 + 3) % samplers.len()];
        let (root, decision) = Context::root(&mut ids, first);
        check(&root, &decision, "root");
        let (child, decision) = root.child_decided(&mut ids, second);
        check(&child, &decision, "child");
        let (hop, decision) = call(&child, &mut ids, third);
        check(&hop, &decision, "remote hop");
        now.fetch_add(SECOND / 500, Ordering::Relaxed);
    }
}

// ---------------------------------------------------------------- randomness (P3, P4)

#[test]
fn randomness_is_assumed_only_for_unflagged_trace_ids() {
    let half = Probability::new(0.5);
    // A remote parent without the random flag and without rv: assumed.
    let (_, decision) = serve(&traceparent(P7_TRACE, 0x01), None, &half);
    assert!(decision.is_sampled() && decision.is_randomness_assumed());
    let (_, decision) = serve(&traceparent(with_r(1), 0x01), None, &half);
    assert!(
        !decision.is_sampled() && decision.is_randomness_assumed(),
        "dropped too"
    );
    // With the random flag (T12): not assumed.
    let (_, decision) = serve(&traceparent(P7_TRACE, 0x03), None, &half);
    assert!(decision.is_sampled() && !decision.is_randomness_assumed());
    // With an rv (P4): not assumed, and the rv decides.
    let (_, decision) = serve(
        &traceparent(P7_TRACE, 0x01),
        Some("ot=rv:ce929d0e0e4736"),
        &half,
    );
    assert!(decision.is_sampled() && !decision.is_randomness_assumed());
    // Local parents, by their flag.
    let unflagged = local(P7_TRACE, SAMPLED, None, None);
    let (_, decision) = unflagged.child_decided(&mut SeededIds::new(1), &half);
    assert!(decision.is_randomness_assumed());
    let flagged = local(P7_TRACE, SAMPLED | RANDOM, None, None);
    let (_, decision) = flagged.child_decided(&mut SeededIds::new(1), &half);
    assert!(!decision.is_randomness_assumed());
    // Roots: by the ID source's promise.
    let (_, decision) = Context::root(&mut SeededIds::new(1), &half);
    assert!(!decision.is_randomness_assumed());
    let (root, decision) = Context::root(&mut Fixed::new(P7_TRACE, false, None), &half);
    assert!(decision.is_randomness_assumed() && !root.is_random());
    // A decision that reads no randomness assumes none.
    let (_, decision) = serve(
        &traceparent(P7_TRACE, 0x01),
        None,
        &ParentBased::new(AlwaysOff),
    );
    assert!(!decision.is_randomness_assumed());
    let input = Input::child(Parent::Remote(SAMPLED), trace(P7_TRACE), None);
    assert_eq!(
        input.randomness(),
        Randomness::UnflaggedTraceId(0xce929d0e0e4736)
    );
    assert!(input.probability(Some(th("8"))).is_randomness_assumed());
    assert!(!input.follow(true).is_randomness_assumed());
    assert!(!input.without_threshold(true).is_randomness_assumed());
}

#[test]
fn a_root_from_a_non_random_source_records_fresh_randomness_as_rv() {
    let half = Probability::new(0.5);
    // The trace-id alone (R = 1) would be dropped at 50%; the fresh bits (low 56 of
    // them, 0xf0...) are kept.
    let trace_id = with_r(1);
    assert!(
        !half
            .decide(&Input::root(trace(trace_id), false))
            .is_sampled()
    );
    let mut ids = Fixed::new(trace_id, false, Some(0xabf0_0000_0000_0000));
    // The same through `&mut` forwarding of the source (`&mut &mut Fixed`).
    let mut by_ref = &mut ids;
    let (through_ref, _) = Context::root(&mut by_ref, &half);
    assert_eq!(
        OtValue::parse(ot(&through_ref).unwrap())
            .unwrap()
            .randomness(),
        Some(0xf0000000000000)
    );
    let mut ids = Fixed::new(trace_id, false, Some(0xabf0_0000_0000_0000));
    let (root, decision) = Context::root(&mut ids, &half);
    assert!(decision.is_sampled() && root.is_sampled());
    assert!(!root.is_random(), "T12: the trace-id is not random");
    assert!(!decision.is_randomness_assumed());
    assert_eq!(decision.added_randomness(), Some(0xf0000000000000));
    let written = OtValue::parse(ot(&root).unwrap()).unwrap();
    assert_eq!(
        written.get("rv"),
        Some("f0000000000000"),
        "P3: 14 hex digits"
    );
    assert_eq!(written.randomness(), Some(0xf0000000000000));
    assert_eq!(written.threshold(), Some(th("8")));
    assert_eq!(written.iter().count(), 2);
    // Downstream, R is the rv (P4): a 25% service keeps it although the trace-id
    // alone (R = 1) would be dropped there too.
    let quarter = ParentBased::new(Probability::new(0.25)).remote_sampled(Rule::Root);
    let (hop, decision) = call(&root, &mut SeededIds::new(1), &quarter);
    assert!(decision.is_sampled());
    assert_eq!(
        OtValue::parse(ot(&hop).unwrap()).unwrap().randomness(),
        Some(0xf0000000000000)
    );
    assert_eq!(written_th(&hop), Some(th("c")));

    // The other way round: the trace-id (R = 0xce...) would be kept, the fresh bits
    // (0x01...) are not; the rv is still recorded, for the services downstream.
    let mut ids = Fixed::new(P7_TRACE, false, Some(0x01000000000000));
    let (root, decision) = Context::root(&mut ids, &half);
    assert!(!decision.is_sampled() && !root.is_sampled());
    assert_eq!(decision.added_randomness(), Some(0x01000000000000));
    assert_eq!(ot(&root), Some("rv:01000000000000"));
    let (hop, decision) = call(
        &root,
        &mut SeededIds::new(1),
        &quarter.remote_not_sampled(Rule::Root),
    );
    assert!(!decision.is_sampled(), "R is the rv, below th:c");
    assert_eq!(ot(&hop), Some("rv:01000000000000"));

    // A source that promises random trace-ids is not asked for fresh bits' use.
    let mut ids = Fixed::new(with_r(1), true, Some(0xf0000000000000));
    let (root, decision) = Context::root(&mut ids, &half);
    assert!(!decision.is_sampled() && root.is_random());
    assert_eq!(decision.added_randomness(), None);
    assert_eq!(ot(&root), None);
}

#[test]
fn a_sampler_is_told_the_fresh_randomness_of_a_root() {
    // The decision of a root with fresh bits reads R from them and records them as
    // rv (P3, P4), so a sampler asking `Input::randomness` must be told that R, as
    // `Randomness::Fresh` documents ("Fresh random bits for a new trace whose
    // trace-id is not random").
    let spy = Spy::default();
    let mut ids = Fixed::new(with_r(1), false, Some(0xf0000000000000));
    let _ = Context::root(&mut ids, &spy);
    let input = Input::root(trace(with_r(1)), false).with_fresh_randomness(0xfff0_0000_0000_0000);
    // A custom sampler reading `randomness()` sees the R that is recorded as rv
    // (P4: R is the rv).
    assert_eq!(spy.seen.take()[0].2, Randomness::Fresh(0xf0000000000000));
    assert_eq!(input.randomness(), Randomness::Fresh(0xf0000000000000));
}

#[test]
fn p3_an_rv_is_never_replaced() {
    let rv = "rv:01000000000000";
    // Fresh bits are ignored when an rv arrived.
    let input = Input::child(Parent::None, trace(P7_TRACE), Some(rv))
        .with_fresh_randomness(0xff000000000000);
    assert_eq!(input.randomness(), Randomness::Explicit(0x01000000000000));
    let decision = input.probability(Some(th("8")));
    assert!(!decision.is_sampled(), "R is the rv");
    assert_eq!(decision.added_randomness(), None);
    // Along a chain of hops, whatever each decides, the rv stays as it came.
    let hops: [&dyn Sampler; 5] = [
        &Probability::new(0.5),
        &AlwaysOn,
        &ParentBased::new(Probability::new(0.001)).remote_sampled(Rule::Root),
        &AlwaysOff,
        &Probability::new(1.0),
    ];
    let (mut context, _) = serve(
        &traceparent(P7_TRACE, 0x01),
        Some(&format!("ot={rv};x:1")),
        hops[0],
    );
    for sampler in &hops[1..] {
        // A source with fresh bits of its own: never used below a parent.
        let mut ids = Fixed::new(1, false, Some(0xff000000000000));
        (context, _) = call(&context, &mut ids, sampler);
        let written = OtValue::parse(ot(&context).unwrap()).unwrap();
        assert_eq!(written.get("rv"), Some("01000000000000"));
        assert_eq!(written.get("x"), Some("1"));
    }
    // A dropped decision erases th, never rv.
    let parent = local(P7_TRACE, SAMPLED, Some(&format!("th:0;{rv}")), None);
    let (child, _) = parent.child_decided(&mut SeededIds::new(1), &AlwaysOff);
    assert_eq!(ot(&child), Some(rv));
}

// ---------------------------------------------------------------- P9

#[test]
fn p9_a_parent_based_chain_only_raises_the_callers_threshold() {
    // The caller sampled at 25% (th:c); this service samples 50% (th:8) of its new
    // traces. Following or asking its own sampler, it keeps th:c: never th:8.
    let follow = ParentBased::new(Probability::new(0.5));
    let own = ParentBased::new(Probability::new(0.5)).remote_sampled(Rule::Root);
    for sampler in [&follow, &own] {
        let (hop, decision) = serve(&traceparent(P7_TRACE, 0x03), Some("ot=th:c"), sampler);
        assert!(decision.is_sampled());
        assert_eq!(ot(&hop), Some("th:c"));
        assert_eq!(decision.threshold(), Some(th("c")));
        // A trace the caller dropped at 25% (R = 0x90... < c) is dropped here, even
        // though 50% of its own would keep it (OpenTelemetry's partial traces).
        let (hop, decision) = serve(&traceparent(with_r(0x90000000000000), 0x02), None, sampler);
        assert!(!decision.is_sampled());
        assert_eq!(ot(&hop), None);
    }
    // Over many traces: the service keeps exactly what its caller kept, all at th:c.
    let caller = Probability::new(0.25);
    let mut ids = SeededIds::new(77);
    let (mut by_caller, mut by_service) = (0, 0);
    for _ in 0..20_000 {
        let (root, decision) = Context::root(&mut ids, &caller);
        let (hop, child) = call(&root, &mut ids, &own);
        assert!(
            decision.is_sampled() || !child.is_sampled(),
            "P9: a partial trace"
        );
        assert_eq!(child.is_sampled(), decision.is_sampled());
        if child.is_sampled() {
            assert_eq!(written_th(&hop), Some(th("c")), "never lowered to th:8");
        }
        by_caller += u32::from(decision.is_sampled());
        by_service += u32::from(child.is_sampled());
    }
    assert_eq!(by_caller, by_service);
    assert!(
        (4_500..5_500).contains(&by_caller),
        "{by_caller} of 20 000 at 25%"
    );
}

#[test]
fn p9_a_probability_decision_below_a_parent_never_keeps_what_the_caller_dropped() {
    // The caller dropped the trace (its sampled flag is clear, its th erased, P6);
    // R = 0xce... is above this service's th:c. P9: "A sampling decision made below
    // a parent never keeps a trace that the parent dropped" ("a parent that did not
    // sample is not overruled"); the Configured docs say the same of traceidratio.
    let ratio = Configured::parse("traceidratio", Some("0.25")).unwrap();
    let samplers: [(&str, &dyn Sampler); 2] = [
        ("Probability", &Probability::new(0.25)),
        ("traceidratio", &ratio),
    ];
    let kept: Vec<(&str, Option<String>)> = samplers
        .iter()
        .filter_map(|(name, sampler)| {
            let (hop, decision) = serve(&traceparent(P7_TRACE, 0x02), None, *sampler);
            decision
                .is_sampled()
                .then(|| (*name, ot(&hop).map(str::to_owned)))
        })
        .collect();
    assert_eq!(kept, [], "kept a trace their caller dropped");
}

// ---------------------------------------------------------------- rate limiting

#[test]
fn rate_limiter_refills_and_survives_a_clock_going_backwards() {
    let now = Cell::new(10_000_000_000u64);
    let limiter = RateLimited::new(10, 5, || now.get());
    let take = || {
        limiter
            .decide(&Input::child(Parent::Remote(SAMPLED), trace(1), None))
            .is_sampled()
    };
    assert_eq!((0..20).filter(|_| take()).count(), 5, "the burst");
    now.set(now.get() + 300_000_000); // 0.3 s at 10/s: 3 tokens
    assert_eq!((0..20).filter(|_| take()).count(), 3);
    // Backwards: nothing added, no panic.
    let before = now.get();
    now.set(1);
    assert_eq!((0..20).filter(|_| take()).count(), 0);
    // Back to where it was: still nothing, the tokens were taken.
    now.set(before);
    assert_eq!((0..20).filter(|_| take()).count(), 0);
    // A long idle time refills to the burst, not beyond.
    now.set(before + 3600 * SECOND);
    assert_eq!((0..20).filter(|_| take()).count(), 5);
    // Rate-limited decisions are not probability decisions: th is erased (P6).
    let full = RateLimited::new(1, 1, || 0u64);
    let (hop, decision) = serve(&traceparent(P7_TRACE, 0x01), Some("ot=th:0,a=1"), &full);
    assert!(decision.is_sampled());
    assert_eq!(decision.threshold(), None);
    assert_eq!(hop.tracestate().as_str(), "a=1");
    // And whatever the parent says: the bucket is empty now.
    let (_, decision) = serve(&traceparent(P7_TRACE, 0x01), None, &full);
    assert!(!decision.is_sampled());
    // A rate of zero samples nothing.
    let never = RateLimited::new(0, 10, || 0u64);
    assert!(!never.decide(&Input::root(trace(1), true)).is_sampled());
}

#[test]
fn rate_limiter_at_the_end_of_the_clock_range() {
    // A jump to the last nanosecond the clock can tell refills to the burst, not
    // beyond ("the bucket never holds more than burst").
    let now = Cell::new(10_000_000_000u64);
    let limiter = RateLimited::new(10, 5, || now.get());
    let take = || limiter.decide(&Input::root(trace(1), true)).is_sampled();
    assert_eq!((0..20).filter(|_| take()).count(), 5, "the burst");
    now.set(u64::MAX);
    // At the end of the clock's range the limit still holds: a jump there refills
    // the bucket to its burst, and no more.
    assert_eq!((0..20).filter(|_| take()).count(), 5);
}

#[test]
fn rate_limiter_with_the_std_clock() {
    let limiter = RateLimited::new(1, 3, StdClock::new());
    let start = Instant::now();
    let kept = (0..100)
        .filter(|_| limiter.decide(&Input::root(trace(1), true)).is_sampled())
        .count();
    let elapsed = start.elapsed().as_secs_f64();
    assert!(kept >= 3, "the bucket starts full: {kept}");
    assert!(kept as f64 <= 3.0 + elapsed + 1.0, "{kept} in {elapsed} s");
}

#[test]
fn the_std_clock_counts_nanoseconds_from_its_start() {
    let clock = StdClock::new();
    let first = clock.now_nanos();
    std::thread::sleep(Duration::from_millis(5));
    let later = clock.now_nanos();
    assert!(later >= first + 5_000_000, "{first} then {later}");
    assert!(
        first < 1_000_000_000,
        "counts from its start, not from an epoch: {first}"
    );
    // A spent bucket refills as the std clock runs: 100 a second, burst 1.
    let limiter = RateLimited::new(100, 1, StdClock::new());
    let root = Input::root(trace(1), true);
    assert!(limiter.decide(&root).is_sampled());
    assert!(!limiter.decide(&root).is_sampled());
    std::thread::sleep(Duration::from_millis(30));
    assert!(limiter.decide(&root).is_sampled(), "refilled after 30 ms");
}

#[test]
fn a_custom_decision_with_an_rv_goes_after_the_incoming_th() {
    // A span whose ot has th and other sub-keys but no rv; the sampler's decision
    // adds an rv (rule P3 allows adding, never replacing): it is written after th,
    // and the other sub-keys keep their order (P1).
    let mut parent = local(P7_TRACE, SAMPLED, Some("x:1;th:c;y:2"), None);
    parent.edit_tracestate(|s| s.insert("a", "1")).unwrap();
    let (child, decision) = parent.child_decided(&mut SeededIds::new(1), &AsksForRv);
    assert_eq!(decision.threshold(), Some(th("c")));
    assert_eq!(
        child.tracestate().get("ot"),
        Some("x:1;th:c;rv:f0000000000000;y:2")
    );
    assert_eq!(
        child.tracestate().as_str(),
        "ot=x:1;th:c;rv:f0000000000000;y:2,a=1"
    );
}

#[test]
fn threshold_rounding_stays_below_two_to_the_56() {
    // Probabilities whose exact threshold sits just under a run of `f` digits: the
    // rounded threshold never reaches 2^56 (which would mean "never sample").
    for p in [
        1e-3, 1e-5, 1e-7, 1e-9, 1e-12, 1e-15, 3e-16, 1e-16, 7e-17, 2e-17,
    ] {
        for precision in 1..=14 {
            if let Some(t) = Threshold::with_precision(p, precision) {
                assert!(t.value() < 1 << 56, "p {p} precision {precision}");
                assert!(t.probability() > 0.0);
            }
        }
    }
    // Rounding half up at the precision: 1/3 at 4 digits is aaab (P7's table), at 1
    // digit b, at 2 digits ab.
    let third = 1.0 / 3.0;
    assert_eq!(
        Threshold::with_precision(third, 4).unwrap().to_string(),
        "aaab"
    );
    assert_eq!(
        Threshold::with_precision(third, 1).unwrap().to_string(),
        "b"
    );
    assert_eq!(
        Threshold::with_precision(third, 2).unwrap().to_string(),
        "ab"
    );
    // 90%: exact T = 0x1999..., rounded up at 1 digit to 2, at 2 digits to 1a.
    assert_eq!(Threshold::with_precision(0.9, 1).unwrap().to_string(), "2");
    assert_eq!(Threshold::with_precision(0.9, 2).unwrap().to_string(), "1a");
    // 75%: exact T = 0x4, nothing to round.
    assert_eq!(Threshold::with_precision(0.75, 1).unwrap().to_string(), "4");
}

/// The decisions `threads` threads make with `sampler` through `&` (scoped threads),
/// `per_thread` each: how many were sampled.
fn sampled_across_threads(sampler: &(impl Sampler + Sync), threads: u64, per_thread: u32) -> u32 {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let mut ids = SeededIds::new(t);
                    (0..per_thread)
                        .map(|_| {
                            let input = Input::root(ids.trace_id(), true);
                            u32::from(sampler.decide(&input).is_sampled())
                        })
                        .sum::<u32>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

#[test]
fn a_shared_rate_limiter_holds_its_limit_across_threads() {
    // 8 threads share one limiter by reference; the clock is frozen, so the whole
    // run happens in one instant and exactly `burst` decisions are sampled.
    let start = 50 * SECOND;
    let now = AtomicU64::new(start);
    let (per_second, burst) = (100, 7);
    let interval = SECOND / per_second;
    let limiter = RateLimited::new(per_second, burst, || now.load(Ordering::SeqCst));
    assert_eq!(sampled_across_threads(&limiter, 8, 10_000), 7, "the burst");
    assert_eq!(sampled_across_threads(&limiter, 8, 10_000), 0, "spent");
    // One interval later: exactly one more.
    now.store(start + interval, Ordering::SeqCst);
    assert_eq!(sampled_across_threads(&limiter, 8, 10_000), 1);
    // Half an interval: nothing.
    now.store(start + interval + interval / 2, Ordering::SeqCst);
    assert_eq!(sampled_across_threads(&limiter, 8, 10_000), 0);
    // A long time: the bucket refills to the burst, no further.
    let later = start + 3600 * SECOND;
    now.store(later, Ordering::SeqCst);
    assert_eq!(sampled_across_threads(&limiter, 8, 10_000), 7);
    // The clock going backwards adds nothing, and coming back adds nothing either.
    now.store(start, Ordering::SeqCst);
    assert_eq!(sampled_across_threads(&limiter, 8, 10_000), 0);
    now.store(0, Ordering::SeqCst);
    assert_eq!(sampled_across_threads(&limiter, 8, 10_000), 0);
    now.store(later, Ordering::SeqCst);
    assert_eq!(sampled_across_threads(&limiter, 8, 10_000), 0);
    now.store(later + 3 * interval, Ordering::SeqCst);
    assert_eq!(sampled_across_threads(&limiter, 8, 10_000), 3);
}

#[test]
fn a_rate_limiter_behind_an_arc_holds_its_limit_across_threads() {
    let now = Arc::new(AtomicU64::new(SECOND));
    let clock = {
        let now = Arc::clone(&now);
        move || now.load(Ordering::SeqCst)
    };
    let limiter: Arc<dyn Sampler + Send + Sync> = Arc::new(RateLimited::new(10, 4, clock));
    // Each thread serves requests from sampled callers, through the contexts.
    let round = || -> u32 {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let limiter = Arc::clone(&limiter);
                std::thread::spawn(move || {
                    let request = [("traceparent", traceparent(P7_TRACE, 0x03))];
                    let mut ids = SeededIds::new(t);
                    (0..5_000)
                        .map(|_| {
                            let extracted = tracecontext::extract(&request);
                            let (hop, _) = extracted.child_or_root(&mut ids, &limiter);
                            u32::from(hop.is_sampled())
                        })
                        .sum::<u32>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    };
    assert_eq!(round(), 4, "the burst, whatever the callers say");
    now.fetch_add(SECOND / 10, Ordering::SeqCst);
    assert_eq!(round(), 1, "one interval: one more");
    now.fetch_add(1000 * SECOND, Ordering::SeqCst);
    assert_eq!(round(), 4, "refilled to the burst");
    now.store(0, Ordering::SeqCst);
    assert_eq!(round(), 0, "backwards: nothing");
}

#[test]
fn a_shared_rate_limiter_with_the_std_clock_across_threads() {
    let (per_second, burst) = (200u32, 10u32);
    let start = Instant::now();
    let limiter = RateLimited::new(u64::from(per_second), u64::from(burst), StdClock::new());
    let run = Duration::from_millis(300);
    let total: u32 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8u64)
            .map(|t| {
                let limiter = &limiter;
                scope.spawn(move || {
                    let mut ids = SeededIds::new(t);
                    let mut sampled = 0;
                    while start.elapsed() < run {
                        let input = Input::root(ids.trace_id(), true);
                        sampled += u32::from(limiter.decide(&input).is_sampled());
                    }
                    sampled
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let elapsed = start.elapsed().as_secs_f64();
    // The bucket starts full, and nothing else takes its tokens.
    assert!(total >= burst, "{total} in {elapsed} s");
    // At most the burst plus what the rate refills in the time the clock ran.
    let bound = f64::from(per_second) * elapsed + f64::from(burst) + 2.0;
    assert!(
        f64::from(total) <= bound,
        "{total} > {bound:.1} in {elapsed} s"
    );
}

/// A service as the issue describes it: one sampler for every request, shared by
/// reference, and a handler per request.
struct Service<S> {
    sampler: S,
}

impl<S: Sampler> Service<S> {
    fn handle(&self, request: &[(&str, &str)], ids: &mut impl IdSource) -> bool {
        let extracted = tracecontext::extract(request);
        let (context, decision) = extracted.child_or_root(ids, &self.sampler);
        assert_eq!(context.is_sampled(), decision.is_sampled());
        context.is_sampled()
    }
}

#[test]
fn a_service_limited_to_one_trace_a_second_samples_one_of_1000_requests_at_once() {
    // The bug report: a limit of 1/s with burst 1, shared by a service, sampled
    // every one of 1000 requests arriving in the same instant. It must sample one.
    let now = AtomicU64::new(7 * SECOND);
    let service = Service {
        sampler: ParentBased::untrusted(RateLimited::new(1, 1, || now.load(Ordering::SeqCst))),
    };
    let forced = traceparent(P7_TRACE, 0x03);
    let requests: [&[(&str, &str)]; 2] = [&[("traceparent", forced.as_str())], &[]];
    let mut ids = SeededIds::new(1);
    let sampled = (0..1000)
        .filter(|i| service.handle(requests[i % 2], &mut ids))
        .count();
    assert_eq!(sampled, 1, "1 of 1000 requests in one instant");
    // One second later, from 8 threads at once: one more.
    now.fetch_add(SECOND, Ordering::SeqCst);
    let sampled: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8u64)
            .map(|t| {
                let service = &service;
                scope.spawn(move || {
                    let mut ids = SeededIds::new(t);
                    (0..125)
                        .filter(|i| service.handle(requests[i % 2], &mut ids))
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(sampled, 1, "1 of 1000 requests from 8 threads");
    // With the real clock, 1000 requests take far less than a second.
    let start = Instant::now();
    let service = Service {
        sampler: ParentBased::untrusted(RateLimited::new(1, 1, StdClock::new())),
    };
    let sampled = (0..1000)
        .filter(|i| service.handle(requests[i % 2], &mut ThreadIds))
        .count();
    let elapsed = start.elapsed().as_secs_f64();
    assert!(sampled >= 1, "the bucket starts full");
    assert!(sampled as f64 <= 1.0 + elapsed, "{sampled} in {elapsed} s");
}

// ---------------------------------------------------------------- configuration (P8)

/// What a sampler decides in six cases: roots with R = 0xce... and R = 0x10...;
/// a sampled remote parent with R = 0x10...; a remote parent that did not sample,
/// with R = 0xce...; a sampled local parent with R = 0x10...; a local parent that
/// did not sample, with R = 0xce....
fn behaviour(sampler: &dyn Sampler) -> [bool; 6] {
    let (high, low) = (trace(P7_TRACE), trace(with_r(0x10000000000000)));
    let flags = SAMPLED | RANDOM;
    [
        Input::root(high, true),
        Input::root(low, true),
        Input::child(Parent::Remote(flags), low, None),
        Input::child(Parent::Remote(RANDOM), high, None),
        Input::child(Parent::Local(flags), low, None),
        Input::child(Parent::Local(RANDOM), high, None),
    ]
    .map(|input| sampler.decide(&input).is_sampled())
}

#[test]
fn configured_names_map_to_their_samplers() {
    let quarter = Probability::new(0.25);
    /// A name, its argument, its behaviour, and a sampler that behaves the same.
    type Case<'a> = (&'a str, Option<&'a str>, [bool; 6], &'a dyn Sampler);
    let cases: [Case<'_>; 6] = [
        ("always_on", None, [true; 6], &AlwaysOn),
        ("always_off", None, [false; 6], &AlwaysOff),
        // The parent cases of a bare ratio sampler: see the P9 test.
        (
            "traceidratio",
            Some("0.25"),
            [true, false, false, false, false, false],
            &quarter,
        ),
        (
            "parentbased_always_on",
            None,
            [true, true, true, false, true, false],
            &ParentBased::new(AlwaysOn),
        ),
        (
            "parentbased_always_off",
            None,
            [false, false, true, false, true, false],
            &ParentBased::new(AlwaysOff),
        ),
        (
            "parentbased_traceidratio",
            Some("0.25"),
            [true, false, true, false, true, false],
            &ParentBased::new(quarter),
        ),
    ];
    for (name, arg, want, same_as) in cases {
        let configured = Configured::parse(name, arg).unwrap();
        assert_eq!(configured.name(), name);
        let got = behaviour(&configured);
        if name == "traceidratio" {
            // Only the root cases and the sampled parents (where P9 and
            // OpenTelemetry agree); the dropped parents are the P9 test's.
            assert_eq!(
                [got[0], got[1], got[2], got[4]],
                [want[0], want[1], want[2], want[4]]
            );
        } else {
            assert_eq!(got, want, "{name}");
            assert_eq!(got, behaviour(same_as), "{name}");
        }
        // Case and surrounding spaces do not matter.
        let shouted = format!("  {}\t", name.to_uppercase());
        let loud = Configured::parse(&shouted, arg.map(|a| format!(" {a} ")).as_deref()).unwrap();
        assert_eq!(loud, configured, "{shouted:?}");
        assert_eq!(behaviour(&loud), got);
    }
    // The ratio samplers write th (P6), consistent probability sampling (P8).
    for name in ["traceidratio", "parentbased_traceidratio"] {
        let configured = Configured::parse(name, Some("0.25")).unwrap();
        assert_eq!(configured.ratio(), Some(0.25));
        assert_eq!(configured.to_string(), format!("{name} 0.25"));
        assert_eq!(
            format!("{configured:?}"),
            format!("Configured {{ name: {name:?}, ratio: Some(0.25) }}")
        );
        let (root, decision) = Context::root(&mut Fixed::new(P7_TRACE, true, None), &configured);
        assert!(decision.is_sampled());
        assert_eq!(ot(&root), Some("th:c"), "{name}");
        // The ratio decides: R = 0x90... is kept at 0.5, not at 0.25.
        let between = Input::root(trace(with_r(0x90000000000000)), true);
        assert!(!configured.decide(&between).is_sampled());
        let half = Configured::parse(name, Some("0.5")).unwrap();
        assert!(half.decide(&between).is_sampled());
        // 0 samples nothing, 1 everything (R = 0 included, th:0).
        let zero = Configured::parse(name, Some("0")).unwrap();
        assert!(
            !zero
                .decide(&Input::root(trace(with_r(MASK)), true))
                .is_sampled()
        );
        let one = Configured::parse(name, Some("1")).unwrap();
        let decision = one.decide(&Input::root(trace(with_r(0)), true));
        assert!(decision.is_sampled());
        assert_eq!(decision.threshold(), Some(Threshold::ALWAYS));
        // A missing argument is OpenTelemetry's default ratio, 1.0.
        let missing = Configured::parse(name, None).unwrap();
        assert_eq!(missing.ratio(), Some(1.0));
        assert_eq!(missing, one);
        assert_eq!(missing.to_string(), format!("{name} 1"));
        assert_eq!(Configured::parse(name, Some("-0")).unwrap(), zero);
    }
    // Samplers without a ratio ignore the argument, whatever it is.
    for name in [
        "always_on",
        "always_off",
        "parentbased_always_on",
        "parentbased_always_off",
    ] {
        let configured = Configured::parse(name, Some("junk")).unwrap();
        assert_eq!(configured, Configured::parse(name, None).unwrap());
        assert_eq!(configured.ratio(), None);
        assert_eq!(configured.to_string(), name);
    }
    // The default is parentbased_always_on (P8).
    let default = Configured::default();
    assert_eq!(default.name(), "parentbased_always_on");
    assert_eq!(behaviour(&default), [true, true, true, false, true, false]);
}

#[test]
fn configured_rejects_unknown_names_and_bad_ratios() {
    for name in ["jaeger_remote", "parentbased_jaeger_remote", "xray", "XRay"] {
        let error = Configured::parse(name, None).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::SamplerName, "{name}");
        assert_eq!(error.header(), "OTEL_TRACES_SAMPLER");
        assert!(error.to_string().contains("not supported"), "{error}");
    }
    for name in [
        "",
        "always",
        "always on",
        "parentbased_ratio",
        "traceidratio0.5",
        "probability",
    ] {
        let error = Configured::parse(name, Some("0.5")).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::SamplerName, "{name:?}");
        assert!(error.to_string().contains("unknown sampler"), "{error}");
    }
    for arg in [
        "half", "", " ", "0.5.1", "NaN", "nan", "inf", "-inf", "1.5", "-0.1", "1e3", "2",
    ] {
        for name in ["traceidratio", "parentbased_traceidratio"] {
            let error = Configured::parse(name, Some(arg)).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::SamplerArg, "{name} {arg:?}");
            assert_eq!(error.header(), "OTEL_TRACES_SAMPLER_ARG");
        }
    }
    // In range, written any way f64 reads.
    for (arg, ratio) in [
        ("0", 0.0),
        ("1", 1.0),
        ("0.25", 0.25),
        (".5", 0.5),
        ("1e-2", 0.01),
        ("1.0", 1.0),
    ] {
        let configured = Configured::parse("traceidratio", Some(arg)).unwrap();
        assert_eq!(configured.ratio(), Some(ratio), "{arg}");
    }
}

#[test]
fn configured_from_settings_is_lenient() {
    // P8 policy: never fails; the problem is returned beside the sampler.
    let default = Configured::default();
    assert_eq!(Configured::from_settings(None, None), (default, None));
    assert_eq!(
        Configured::from_settings(None, Some("0.5")),
        (default, None)
    );
    for name in ["bogus", "xray", "jaeger_remote"] {
        let (sampler, error) = Configured::from_settings(Some(name), Some("0.5"));
        assert_eq!(sampler, default, "{name}");
        assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::SamplerName));
    }
    let one = Configured::parse("traceidratio", Some("1")).unwrap();
    for arg in [
        None,
        Some(""),
        Some("half"),
        Some("2"),
        Some("-1"),
        Some("NaN"),
    ] {
        let (sampler, error) = Configured::from_settings(Some("traceidratio"), arg);
        assert_eq!(sampler, one, "{arg:?}");
        assert_eq!(sampler.ratio(), Some(1.0));
        assert_eq!(
            error.map(|e| e.kind()),
            Some(ErrorKind::SamplerArg),
            "{arg:?}"
        );
        // It samples everything, R = 0 included.
        assert!(
            sampler
                .decide(&Input::root(trace(with_r(0)), true))
                .is_sampled()
        );
        let (sampler, error) = Configured::from_settings(Some("parentbased_traceidratio"), arg);
        assert_eq!(sampler.name(), "parentbased_traceidratio");
        assert_eq!(sampler.ratio(), Some(1.0));
        assert!(error.is_some());
    }
    let (sampler, error) =
        Configured::from_settings(Some("Parentbased_TraceIdRatio "), Some("0.1"));
    assert_eq!(error, None);
    assert_eq!(
        sampler,
        Configured::parse("parentbased_traceidratio", Some("0.1")).unwrap()
    );
    for name in ["always_on", "always_off", "parentbased_always_off"] {
        let (sampler, error) = Configured::from_settings(Some(name), None);
        assert_eq!(error, None, "{name}: no ratio needed");
        assert_eq!(sampler.name(), name);
    }
    // The decisions follow the name (not only the name is right).
    let (off, _) = Configured::from_settings(Some("always_off"), None);
    assert_eq!(behaviour(&off), [false; 6]);
}

#[test]
fn configured_from_env() {
    // Every use of these two variables is in this one test, so that no other test
    // sees them change.
    const NAME: &str = "OTEL_TRACES_SAMPLER";
    const ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
    let set = |name: Option<&str>, arg: Option<&str>| {
        // SAFETY: std serialises its own environment accesses, and no other test
        // in this binary reads or writes these variables.
        unsafe {
            match name {
                Some(value) => std::env::set_var(NAME, value),
                None => std::env::remove_var(NAME),
            }
            match arg {
                Some(value) => std::env::set_var(ARG, value),
                None => std::env::remove_var(ARG),
            }
        }
    };
    set(None, None);
    assert_eq!(Configured::from_env(), (Configured::default(), None));

    set(Some("parentbased_traceidratio"), Some("0.25"));
    let (sampler, error) = Configured::from_env();
    assert_eq!(error, None);
    assert_eq!(
        sampler,
        Configured::parse("parentbased_traceidratio", Some("0.25")).unwrap()
    );
    assert_eq!(behaviour(&sampler), [true, false, true, false, true, false]);

    set(Some("ALWAYS_OFF"), None);
    let (sampler, error) = Configured::from_env();
    assert_eq!((sampler.name(), error), ("always_off", None));
    assert_eq!(behaviour(&sampler), [false; 6]);

    set(Some("traceidratio"), Some("oops"));
    let (sampler, error) = Configured::from_env();
    assert_eq!(sampler.ratio(), Some(1.0));
    assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::SamplerArg));

    set(Some("traceidratio"), None);
    let (sampler, error) = Configured::from_env();
    assert_eq!(sampler.ratio(), Some(1.0));
    assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::SamplerArg));

    set(Some("jaeger_remote"), Some("0.5"));
    let (sampler, error) = Configured::from_env();
    assert_eq!(sampler, Configured::default());
    assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::SamplerName));

    #[cfg(unix)]
    {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        // Not UTF-8: a bad value, never a panic.
        // SAFETY: as above.
        unsafe { std::env::set_var(NAME, OsStr::from_bytes(b"always_on\xff")) };
        let (sampler, error) = Configured::from_env();
        assert_eq!(sampler, Configured::default());
        assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::SamplerName));
        // SAFETY: as above.
        unsafe {
            std::env::set_var(NAME, "traceidratio");
            std::env::set_var(ARG, OsStr::from_bytes(b"0.5\xff"));
        }
        let (sampler, error) = Configured::from_env();
        assert_eq!(sampler.ratio(), Some(1.0));
        assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::SamplerArg));
    }
    set(None, None);
}

// ---------------------------------------------------------------- IDs (T12, T13)

#[test]
fn t12_roots_carry_the_random_flag_only_from_random_sources() {
    struct Counter(u64);
    impl IdSource for Counter {
        fn trace_id(&mut self) -> TraceId {
            self.0 += 1;
            TraceId::from_u128(u128::from(self.0)).unwrap()
        }
        fn span_id(&mut self) -> SpanId {
            self.0 += 1;
            SpanId::from_u64(self.0).unwrap()
        }
        fn random_trace_ids(&self) -> bool {
            false
        }
    }
    let (root, _) = Context::root(&mut Counter(0), &AlwaysOn);
    assert_eq!(root.flags(), SAMPLED);
    let (root, _) = Context::root(&mut SeededIds::new(1), &AlwaysOff);
    assert_eq!(root.flags(), RANDOM);
    let (root, _) = Context::root(&mut ThreadIds, &AlwaysOn);
    assert_eq!(root.flags(), SAMPLED | RANDOM);
    assert!(root.is_random());
    // The default `randomness` gives nothing: no rv for a non-random source.
    assert_eq!(Counter(0).randomness(), None);
    let (root, decision) = Context::root(&mut Counter(0), &Probability::new(1.0));
    assert_eq!(decision.added_randomness(), None);
    assert_eq!(ot(&root), Some("th:0"));
}

#[test]
fn t13_thread_ids_differ_across_threads_started_together() {
    let handles: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(|| {
                (0..1000)
                    .map(|_| ThreadIds.span_id().to_u64())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<u64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let n = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(
        all.len(),
        n,
        "8 000 span-ids from 8 threads are all different"
    );
}

#[test]
fn decided_contexts_carry_the_decision() {
    let mut ids = SeededIds::new(5);
    let (root, decision) = Context::root(&mut ids, &Probability::new(1.0));
    assert!(decision.is_sampled() && root.is_sampled() && root.flags().is_random());
    assert_eq!(root.tracestate().as_str(), "ot=th:0");
    let (child, decision) = root.child_decided(&mut ids, &ParentBased::new(AlwaysOff));
    assert!(decision.is_sampled(), "a sampled local parent is followed");
    assert_eq!(child.trace_id(), root.trace_id());
    assert_ne!(child.span_id(), root.span_id());
    assert_eq!(child.parent_span_id(), Some(root.span_id()));
    assert_eq!(child.tracestate().as_str(), "ot=th:0");
    let incoming = [(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
    )];
    let (served, decision) =
        tracecontext::extract(&incoming).child_or_root(&mut ids, &ParentBased::new(AlwaysOn));
    assert!(
        !decision.is_sampled(),
        "a remote parent that is not sampled is followed"
    );
    assert_eq!(served.trace_id().to_u128(), P7_TRACE);
    let (grandchild, _) = child.child_decided(&mut ids, &AlwaysOff);
    assert!(
        !grandchild.is_sampled() && grandchild.flags().is_random(),
        "T11: random kept"
    );
    assert_eq!(grandchild.tracestate().as_str(), "");
    // No traceparent: a root, decided by the root sampler.
    let none: [(&str, &str); 0] = [];
    let (restarted, decision) =
        tracecontext::extract(&none).child_or_root(&mut ids, &ParentBased::new(AlwaysOff));
    assert!(!decision.is_sampled() && !restarted.is_remote());
    assert_eq!(restarted.parent_span_id(), None);
}

proptest! {
    #[test]
    fn ids_are_never_zero_and_streams_are_seeded(seed in any::<u64>()) {
        let mut a = SeededIds::new(seed);
        let mut b = SeededIds::new(seed);
        for _ in 0..64 {
            let (t, s) = (a.trace_id(), a.span_id());
            prop_assert_ne!(t.to_u128(), 0);
            prop_assert_ne!(s.to_u64(), 0);
            prop_assert_eq!((t, s), (b.trace_id(), b.span_id()));
        }
        let sampler: &dyn Sampler = if seed % 2 == 0 { &AlwaysOn } else { &AlwaysOff };
        let (root, decision) = Context::root(&mut a, sampler);
        prop_assert!(root.flags().is_random());
        prop_assert_eq!(root.is_sampled(), seed % 2 == 0);
        prop_assert_eq!(decision.is_sampled(), seed % 2 == 0);
    }

    #[test]
    fn thresholds_round_trip(t in 0u64..(1 << 56)) {
        let th = Threshold::from_value(t).unwrap();
        prop_assert_eq!(Threshold::parse(th.encode().as_str()).unwrap(), th);
        // P2: at most 14 digits, no trailing zero unless it is `0`.
        let text = th.encode();
        prop_assert!(!text.is_empty() && text.len() <= 14);
        prop_assert!(text.as_str() == "0" || !text.ends_with('0'));
    }

    #[test]
    fn probability_is_monotonic(a in 0.0f64..=1.0, b in 0.0f64..=1.0) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        if let (Some(tl), Some(th)) = (Threshold::from_probability(lo), Threshold::from_probability(hi)) {
            prop_assert!(tl >= th, "p {lo} -> {tl}, p {hi} -> {th}");
        }
    }

    #[test]
    fn probability_decisions_are_r_at_least_t(r in 0u64..(1 << 56), t in 0u64..(1 << 56)) {
        // P5, and P6: a sampled span carries th:T, a dropped one none.
        let threshold = Threshold::from_value(t).unwrap();
        let decision = Input::root(trace(with_r(r)), true).probability(Some(threshold));
        prop_assert_eq!(decision.is_sampled(), r >= t);
        prop_assert_eq!(decision.threshold(), Some(threshold).filter(|_| r >= t));
    }
}

// ---------------------------------------------------------------- edges of the ot codec and decisions

#[test]
fn p1_an_ot_value_of_256_characters_is_the_longest() {
    // `th:0` and then `;x:` sub-keys padded to exactly 256 characters.
    let mut value = String::from("th:0");
    while value.len() < 256 {
        let room = 256 - value.len();
        let pad = "y".repeat(room.saturating_sub(3).min(40));
        value.push_str(&format!(";x{}:{pad}", value.len()));
        value.truncate(256);
    }
    assert_eq!(value.len(), 256);
    let ot = OtValue::parse(&value);
    assert!(ot.is_ok(), "{value}: {ot:?}");
    let longer = format!("{value}y");
    let err = OtValue::parse(&longer).unwrap_err();
    assert_eq!((err.kind(), err.offset()), (ErrorKind::OtLength, 256));
}

#[test]
fn probability_exposes_its_threshold() {
    assert_eq!(Probability::new(0.25).threshold(), Some(th("c")));
    assert_eq!(Probability::new(1.0).threshold(), Some(Threshold::ALWAYS));
    assert_eq!(Probability::new(0.0).threshold(), None);
    assert_eq!(
        Probability::with_threshold(Some(th("8"))).threshold(),
        Some(th("8"))
    );
}

#[test]
fn p6_consistency_is_judged_on_the_traces_randomness_not_on_fresh_bits() {
    // A span with no parent, an incoming th:8 and fresh bits: following it checks the
    // th against the trace-id's R (what later services read), not the unrecorded
    // fresh bits. R = 0x90... passes th:8; the fresh bits (0x10...) would not.
    let r_passes = with_r(0x90_0000_0000_0000);
    let input = Input::child(Parent::None, trace(r_passes), Some("th:8"))
        .with_fresh_randomness(0x10_0000_0000_0000);
    assert_eq!(input.randomness(), Randomness::Fresh(0x10_0000_0000_0000));
    assert_eq!(
        input.follow(true).threshold(),
        Some(th("8")),
        "consistent with R"
    );
    // And the other way round: R = 0x10... fails th:8, whatever the fresh bits say.
    let r_fails = with_r(0x10_0000_0000_0000);
    let input = Input::child(Parent::None, trace(r_fails), Some("th:8"))
        .with_fresh_randomness(0x90_0000_0000_0000);
    assert_eq!(
        input.follow(true).threshold(),
        None,
        "inconsistent with R: erased"
    );
}

/// A sampler that ignores what it is told and answers with a decision made for a new
/// trace with fresh randomness: its decision asks for an `rv`.
struct AsksForRv;

impl Sampler for AsksForRv {
    fn decide(&self, input: &Input<'_>) -> Decision {
        Input::root(input.trace_id(), false)
            .with_fresh_randomness(0xf0_0000_0000_0000)
            .probability(input.threshold())
    }
}

#[test]
fn p3_a_decision_that_asks_for_an_rv_never_replaces_one() {
    // The span's ot already has an rv and a th: the decision keeps th:c, asks for a
    // new rv, which is not written, so the tracestate is forwarded as it is.
    // `ot` is not the first member, so any rewrite would move it to the front (S8).
    let mut parent = local(P7_TRACE, SAMPLED, Some("rv:ce929d0e0e4736;th:c"), None);
    parent.edit_tracestate(|s| s.insert("a", "1")).unwrap();
    let before = parent.tracestate().as_str().to_string();
    assert_eq!(before, "a=1,ot=rv:ce929d0e0e4736;th:c");
    let (child, decision) = parent.child_decided(&mut SeededIds::new(1), &AsksForRv);
    assert!(decision.is_sampled());
    assert_eq!(decision.added_randomness(), Some(0xf0_0000_0000_0000));
    assert_eq!(
        child.tracestate().as_str(),
        before,
        "unchanged, byte for byte"
    );
    assert_eq!(child.tracestate().get("ot"), Some("rv:ce929d0e0e4736;th:c"));
}

#[test]
fn decisions_read_the_ot_member_and_no_other() {
    // Members whose keys share a start with `ot`, or have its length, come first.
    for tracestate in [
        "ab=1,o=2,otx=th:0,ot2=th:8,ot=th:c",
        "otx=th:0,  ot=th:c  ,x=1",
        "o=th:0,ot=th:c,ot=th:8",
    ] {
        let tp = traceparent(P7_TRACE, 0x03);
        let follow = ParentBased::new(AlwaysOn);
        let (child, decision) = serve(&tp, Some(tracestate), &follow);
        // The left-most `ot` member is read (S7), its th:c is consistent with
        // R = 0xce929d0e0e4736 and passed on (P6), and nothing is rewritten.
        assert_eq!(decision.threshold(), Some(th("c")), "{tracestate}");
        assert_eq!(decision.error(), None, "{tracestate}");
        assert_eq!(child.tracestate().as_str(), tracestate);
    }
}
