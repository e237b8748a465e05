//! ID generation (T12, T13) and sampling (P1–P7): the spec's examples, the 1-in-N
//! thresholds, rates within binomial tolerance, consistency along a chain of
//! services, the parent cases, the rate limiter and malformed `ot` values.

use proptest::prelude::*;
use tracecontext::sampling::{
    AlwaysOff, AlwaysOn, OtErrorKind, OtValue, Parent, ParentBased, Probability, RateLimited, Rule,
    Sampler, Threshold,
};
use tracecontext::{Context, IdSource, SeededIds, TraceFlags, TraceId, TraceState};

const P7_TRACE: u128 = 0x4bf92f3577b34da6a3ce929d0e0e4736;

fn trace(n: u128) -> TraceId {
    TraceId::from_u128(n).unwrap()
}

fn state(text: &str) -> TraceState {
    TraceState::parse(text.as_bytes()).unwrap()
}

fn decide(sampler: &mut impl Sampler, parent: Parent, id: u128, ts: &mut TraceState) -> bool {
    sampler.decide(parent, trace(id), ts).sampled()
}

// ---------------------------------------------------------------- thresholds (P2, P5, P7)

#[test]
fn p2_p7_threshold_examples() {
    let th = |text: &str| Threshold::parse(text).unwrap();
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
    let mut quarter = Probability::new(0.25);
    let mut ts = TraceState::new();
    assert!(decide(&mut quarter, Parent::None, P7_TRACE, &mut ts));
    assert_eq!(
        ts.get("ot"),
        Some("th:c"),
        "P6: a sampling decision writes th"
    );
    let mut one_percent = Probability::new(0.01);
    let mut ts = TraceState::new();
    assert!(!decide(&mut one_percent, Parent::None, P7_TRACE, &mut ts));
    assert_eq!(ts.get("ot"), None, "P6: dropping erases th");
}

#[test]
fn p4_rv_wins_over_the_trace_id() {
    let mut half = Probability::new(0.5);
    // The trace-id says R = 0xce... (sampled at 50%), rv says R = 0x01... (not).
    let mut ts = state("ot=rv:01000000000000");
    assert!(!decide(&mut half, Parent::None, P7_TRACE, &mut ts));
    assert_eq!(ts.get("ot"), Some("rv:01000000000000"), "P3: rv is kept");
    let mut ts = state("ot=rv:ff000000000000;x:y");
    assert!(decide(&mut half, Parent::None, 1, &mut ts));
    assert_eq!(
        ts.get("ot"),
        Some("th:8;rv:ff000000000000;x:y"),
        "P1: other sub-keys kept"
    );
}

// ---------------------------------------------------------------- ot codec (P1–P3)

#[test]
fn p1_p3_malformed_ot_values() {
    let long = format!("x:{}", "a".repeat(255));
    let cases: [(&str, OtErrorKind, usize); 11] = [
        ("th:ffffffffffffffff", OtErrorKind::Threshold, 3),
        ("th:", OtErrorKind::Threshold, 3),
        ("th:C", OtErrorKind::Threshold, 3),
        ("rv:3", OtErrorKind::Randomness, 3),
        ("rv:0123456789abcdef", OtErrorKind::Randomness, 3),
        ("rv:0123456789abcG", OtErrorKind::Randomness, 16),
        ("th:8;th:c", OtErrorKind::Duplicate, 5),
        ("x:1;y:2;x:3", OtErrorKind::Duplicate, 8),
        (long.as_str(), OtErrorKind::TooLong, 256),
        ("Th:8", OtErrorKind::SubKey, 0),
        ("x:a+b", OtErrorKind::SubValue, 3),
    ];
    for (value, kind, offset) in cases {
        let error = OtValue::parse(value).unwrap_err();
        assert_eq!((error.kind(), error.offset()), (kind, offset), "{value}");
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
    let mut buf = [0u8; 256];
    assert_eq!(
        ot.with_threshold(None, &mut buf).unwrap(),
        "future:1.0;k9:A-b_c.d"
    );
}

#[test]
fn p1_an_update_past_256_characters_is_refused() {
    let filler = format!("x:{}", "a".repeat(250)); // 252 characters
    let ot = OtValue::parse(&filler).unwrap();
    let mut buf = [0u8; 256];
    let err = ot
        .with_threshold(Threshold::from_probability(0.5), &mut buf)
        .unwrap_err();
    assert_eq!(err.kind(), OtErrorKind::NoRoom);
    // In a decision: reported, the value left as it was, the decision made.
    let mut ts = state(&format!("ot={filler}"));
    let decision = Probability::new(0.5).decide(Parent::None, trace(P7_TRACE), &mut ts);
    assert!(decision.sampled());
    assert_eq!(
        decision.error().map(|e| e.kind()),
        Some(OtErrorKind::NoRoom)
    );
    assert_eq!(ts.get("ot"), Some(filler.as_str()));
}

#[test]
fn a_malformed_ot_is_ignored_for_reading_and_replaced_when_written() {
    // rv malformed: R comes from the trace-id (0xce...), sampled at 50%.
    let mut ts = state("ot=rv:3;th:0,other=1");
    let decision = Probability::new(0.5).decide(Parent::None, trace(P7_TRACE), &mut ts);
    assert!(decision.sampled());
    assert_eq!(
        decision.error().map(|e| e.kind()),
        Some(OtErrorKind::Randomness)
    );
    assert_eq!(ts.get("ot"), Some("th:8"));
    assert_eq!(ts.get("other"), Some("1"));
    // Dropped: the malformed value is removed.
    let mut ts = state("ot=th:xyz,other=1");
    let decision = AlwaysOff.decide(Parent::None, trace(P7_TRACE), &mut ts);
    assert!(!decision.sampled() && decision.error().is_some());
    assert_eq!(ts.as_str(), "other=1");
}

// ---------------------------------------------------------------- P6 and the parent cases

#[test]
fn p6_parent_based_passes_consistent_th_and_erases_the_rest() {
    let mut follow = ParentBased::new(AlwaysOff);
    // R = 0xce... >= c: sampled and consistent, passed through untouched.
    let mut ts = state("ot=th:c,a=1");
    assert!(decide(
        &mut follow,
        Parent::Remote { sampled: true },
        P7_TRACE,
        &mut ts
    ));
    assert_eq!(ts.as_str(), "ot=th:c,a=1");
    // R < fd70a but the parent says sampled: inconsistent, th erased.
    let mut ts = state("ot=th:fd70a;rv:ce929d0e0e4736");
    assert!(decide(
        &mut follow,
        Parent::Remote { sampled: true },
        P7_TRACE,
        &mut ts
    ));
    assert_eq!(ts.get("ot"), Some("rv:ce929d0e0e4736"));
    // Not sampled: th erased, and the member goes when nothing is left.
    let mut ts = state("ot=th:c,a=1");
    assert!(!decide(
        &mut follow,
        Parent::Local { sampled: false },
        P7_TRACE,
        &mut ts
    ));
    assert_eq!(ts.as_str(), "a=1");
}

#[test]
fn p6_downstream_only_raises_the_threshold() {
    // The parent sampled at 25% (th:c); a 50% sampler downstream keeps th:c.
    let mut half = Probability::new(0.5);
    let mut ts = state("ot=th:c");
    assert!(decide(
        &mut half,
        Parent::Remote { sampled: true },
        P7_TRACE,
        &mut ts
    ));
    assert_eq!(ts.get("ot"), Some("th:c"));
    // A 1% sampler downstream raises it, and drops this trace.
    let mut ts = state("ot=th:c");
    assert!(!decide(
        &mut Probability::new(0.01),
        Parent::Local { sampled: true },
        P7_TRACE,
        &mut ts
    ));
    assert_eq!(ts.get("ot"), None);
}

#[test]
fn parent_based_rules_for_each_case() {
    let cases = [
        (Parent::Remote { sampled: true }, true),
        (Parent::Remote { sampled: false }, false),
        (Parent::Local { sampled: true }, true),
        (Parent::Local { sampled: false }, false),
    ];
    let mut follow = ParentBased::new(AlwaysOn);
    for (parent, want) in cases {
        assert_eq!(
            decide(&mut follow, parent, 1, &mut TraceState::new()),
            want,
            "{parent:?}"
        );
    }
    assert!(
        decide(&mut follow, Parent::None, 1, &mut TraceState::new()),
        "root: AlwaysOn"
    );

    let mut inverted = ParentBased::new(AlwaysOff)
        .remote_sampled(Rule::Off)
        .remote_not_sampled(Rule::On)
        .local_sampled(Rule::Off)
        .local_not_sampled(Rule::On);
    for (parent, want) in cases {
        assert_eq!(
            decide(&mut inverted, parent, 1, &mut TraceState::new()),
            !want,
            "{parent:?}"
        );
    }
}

#[test]
fn trust_boundary_ignores_the_callers_flag() {
    // A caller that sets sampled on every request cannot force recording.
    let mut edge = ParentBased::untrusted(Probability::new(0.01));
    let mut ids = SeededIds::new(3);
    let mut kept = 0;
    for _ in 0..10_000 {
        let id = ids.trace_id().to_u128();
        kept += u32::from(decide(
            &mut edge,
            Parent::Remote { sampled: true },
            id,
            &mut TraceState::new(),
        ));
    }
    assert!((50..=160).contains(&kept), "{kept} of 10 000 at 1%");
    // Local parents are still followed.
    assert!(decide(
        &mut edge,
        Parent::Local { sampled: true },
        1,
        &mut TraceState::new()
    ));
}

// ---------------------------------------------------------------- statistics and consistency

/// The number of `n` traces from `seed` that `sampler` keeps as roots.
fn kept(sampler: &mut impl Sampler, seed: u64, n: u32) -> u32 {
    let mut ids = SeededIds::new(seed);
    (0..n)
        .map(|_| {
            u32::from(
                sampler
                    .decide(Parent::None, ids.trace_id(), &mut TraceState::<64>::new())
                    .sampled(),
            )
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
        let got = f64::from(kept(&mut Probability::new(p), seed, N));
        assert!(
            (got - expected).abs() <= 5.0 * sd,
            "p = {p}: kept {got}, expected {expected:.0} ± {:.0}",
            5.0 * sd
        );
    }
}

#[test]
fn a_chain_of_services_samples_nested_sets_with_no_partial_traces() {
    // 0.5 → 0.25 → 0.1, each a parent-based sampler whose root and parent cases
    // decide by probability, with the threshold carried in the tracestate.
    let mut services = [0.5, 0.25, 0.1].map(|p| {
        ParentBased::new(Probability::new(p))
            .remote_sampled(Rule::Root)
            .remote_not_sampled(Rule::Root)
    });
    let mut ids = SeededIds::new(99);
    let mut counts = [0u32; 3];
    for _ in 0..20_000 {
        let trace_id = ids.trace_id();
        let mut ts = TraceState::<512>::new();
        let mut parent = Parent::None;
        let mut previous = true;
        for (hop, sampler) in services.iter_mut().enumerate() {
            let sampled = sampler.decide(parent, trace_id, &mut ts).sampled();
            // Nested: a lower-probability service keeps only what higher ones kept,
            // so no service records a trace that its caller dropped.
            assert!(
                previous || !sampled,
                "hop {hop} kept a trace its caller dropped"
            );
            counts[hop] += u32::from(sampled);
            previous = sampled;
            parent = Parent::Remote { sampled };
        }
    }
    assert!(counts[0] > counts[1] && counts[1] > counts[2], "{counts:?}");
    // Each set is about its probability of the whole.
    for (count, p) in counts.iter().zip([0.5, 0.25, 0.1]) {
        let rate = f64::from(*count) / 20_000.0;
        assert!((rate - p).abs() < 0.02, "rate {rate}, p {p}");
    }
}

// ---------------------------------------------------------------- rate limiting

#[test]
fn rate_limiter_refills_and_survives_a_clock_going_backwards() {
    use std::cell::Cell;
    let now = Cell::new(10_000_000_000u64);
    let mut limiter = RateLimited::new(10, 5, || now.get());
    let take =
        |limiter: &mut RateLimited<_>| decide(limiter, Parent::None, 1, &mut TraceState::new());
    assert_eq!(
        (0..20).filter(|_| take(&mut limiter)).count(),
        5,
        "the burst"
    );
    now.set(now.get() + 300_000_000); // 0.3 s at 10/s: 3 tokens
    assert_eq!((0..20).filter(|_| take(&mut limiter)).count(), 3);
    // Backwards: nothing added, no panic.
    now.set(1);
    assert_eq!((0..20).filter(|_| take(&mut limiter)).count(), 0);
    // A huge jump refills to the burst, not beyond.
    now.set(u64::MAX);
    assert_eq!((0..20).filter(|_| take(&mut limiter)).count(), 5);
    // Rate-limited decisions are not probability decisions: th is erased (P6).
    now.set(u64::MAX);
    let mut ts = state("ot=th:0");
    let mut full = RateLimited::new(1, 1, || 0u64);
    assert!(full.decide(Parent::None, trace(1), &mut ts).sampled());
    assert_eq!(ts.get("ot"), None);
}

#[test]
fn rate_limiter_with_the_std_clock() {
    let mut limiter = RateLimited::new(1, 3, tracecontext::sampling::StdClock::new());
    let kept = (0..100)
        .filter(|_| decide(&mut limiter, Parent::None, 1, &mut TraceState::new()))
        .count();
    assert!((3..=4).contains(&kept), "{kept}");
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
        fn span_id(&mut self) -> tracecontext::SpanId {
            self.0 += 1;
            tracecontext::SpanId::from_u64(self.0).unwrap()
        }
        fn random_trace_ids(&self) -> bool {
            false
        }
    }
    let root = Context::root_from(&mut Counter(0), true);
    assert_eq!(root.flags(), TraceFlags::SAMPLED);
    let root = Context::root_from(&mut SeededIds::new(1), false);
    assert_eq!(root.flags(), TraceFlags::RANDOM);
    let root = Context::root_from(&mut tracecontext::ThreadIds, true);
    assert_eq!(root.flags(), TraceFlags::SAMPLED | TraceFlags::RANDOM);
}

#[test]
fn t13_thread_ids_differ_across_threads_started_together() {
    let handles: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(|| {
                (0..1000)
                    .map(|_| tracecontext::ThreadIds.span_id().to_u64())
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
    let (root, decision) = Context::root_decided(&mut ids, &mut Probability::new(1.0));
    assert!(decision.sampled() && root.is_sampled() && root.flags().is_random());
    assert_eq!(root.tracestate(), "ot=th:0");
    let (child, decision) = root.child_decided(&mut ids, &mut ParentBased::new(AlwaysOff));
    assert!(decision.sampled(), "a sampled local parent is followed");
    assert_eq!(child.trace_id(), root.trace_id());
    assert_ne!(child.span_id(), root.span_id());
    assert_eq!(child.tracestate(), "ot=th:0");
    let incoming = [(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
    )];
    let (served, decision) = tracecontext::extract(&incoming)
        .child_or_root_decided(&mut ids, &mut ParentBased::new(AlwaysOn));
    assert!(
        !decision.sampled(),
        "a remote parent that is not sampled is followed"
    );
    assert_eq!(served.trace_id().to_u128(), P7_TRACE);
    let (grandchild, _) = child.child_decided(&mut ids, &mut AlwaysOff);
    assert!(
        !grandchild.is_sampled() && grandchild.flags().is_random(),
        "T11: random kept"
    );
    assert_eq!(grandchild.tracestate(), "");
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
        let root = Context::root_from(&mut a, seed % 2 == 0);
        prop_assert!(root.flags().is_random());
        prop_assert_eq!(root.is_sampled(), seed % 2 == 0);
    }

    #[test]
    fn thresholds_round_trip(t in 0u64..(1 << 56)) {
        let th = Threshold::from_value(t).unwrap();
        prop_assert_eq!(Threshold::parse(th.encode().as_str()).unwrap(), th);
    }

    #[test]
    fn probability_is_monotonic(a in 0.0f64..=1.0, b in 0.0f64..=1.0) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        if let (Some(tl), Some(th)) = (Threshold::from_probability(lo), Threshold::from_probability(hi)) {
            prop_assert!(tl >= th, "p {lo} -> {tl}, p {hi} -> {th}");
        }
    }
}
