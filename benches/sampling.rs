//! ID generation and sampling decisions.
//!
//! Every routine checks its result, so a benchmark cannot measure a wrong answer.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use tracecontext::sampling::{
    Configured, Input, Parent, ParentBased, Probability, RateLimited, Sampler,
};
use tracecontext::{
    IdSource, InlineContext, SeededIds, ThreadIds, TraceFlags, TraceId, TraceState,
};

fn ids(c: &mut Criterion) {
    let mut g = c.benchmark_group("ids");
    let mut seeded = SeededIds::new(0x5eed);
    g.bench_function("span_id/seeded", |b| {
        b.iter(|| assert_ne!(black_box(seeded.span_id()).to_u64(), 0))
    });
    g.bench_function("trace_id/seeded", |b| {
        b.iter(|| assert_ne!(black_box(seeded.trace_id()).to_u128(), 0))
    });
    g.bench_function("span_id/thread", |b| {
        b.iter(|| assert_ne!(black_box(ThreadIds.span_id()).to_u64(), 0))
    });
    g.bench_function("trace_id/thread", |b| {
        b.iter(|| assert_ne!(black_box(ThreadIds.trace_id()).to_u128(), 0))
    });
    g.finish();
}

fn sampling(c: &mut Criterion) {
    let mut g = c.benchmark_group("sampling");
    // R = 0xce929d0e0e4736: kept at 25% (th:c). R = 0x0000000000002a: dropped.
    let kept = TraceId::from_static("4bf92f3577b34da6a3ce929d0e0e4736");
    let dropped = TraceId::from_static("4bf92f3577b34da6a30000000000002a");
    let sampled = Parent::Remote(TraceFlags::SAMPLED | TraceFlags::RANDOM);
    let probability = Probability::new(0.25);

    // The threshold is already there: find `ot` in the state, read it, decide.
    let state = TraceState::<512>::parse(b"ot=th:c,rojo=00f067aa0ba902b7").unwrap();
    g.bench_function("probability/unchanged", |b| {
        b.iter(|| {
            let input = Input::child(sampled, black_box(kept), black_box(&state).get("ot"));
            let decision = probability.decide(&input);
            assert!(decision.is_sampled() && decision.threshold() == input.threshold());
        })
    });

    let follow = ParentBased::new(Probability::new(0.25));
    g.bench_function("parent_based/follow", |b| {
        b.iter(|| {
            let input = Input::child(black_box(sampled), kept, black_box(&state).get("ot"));
            assert!(follow.decide(&input).is_sampled());
        })
    });

    let configured = Configured::parse("parentbased_traceidratio", Some("0.25")).unwrap();
    g.bench_function("configured/follow", |b| {
        b.iter(|| {
            let input = Input::child(black_box(sampled), kept, black_box(&state).get("ot"));
            assert!(configured.decide(&input).is_sampled());
        })
    });

    // A decision applied to a child of a sampled parent with an inline state: the
    // kept trace's child gets `ot=th:c` at the front of its tracestate, the dropped
    // one's none (a probability decision below an unsampled parent would not sample,
    // rule P9).
    let vendors = b"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";
    let parents = [kept, dropped].map(|trace_id| {
        let mut parent = InlineContext::<512>::new_inline(
            trace_id,
            tracecontext::SpanId::from_static("00f067aa0ba902b7"),
            TraceFlags::SAMPLED | TraceFlags::RANDOM,
        );
        parent.edit_tracestate(|s| *s = TraceState::parse(vendors).unwrap());
        parent
    });
    let mut ids = SeededIds::new(1);
    let mut flip = false;
    g.bench_function("child_decided/inline_write_th", |b| {
        b.iter(|| {
            flip = !flip;
            let parent = &parents[usize::from(!flip)];
            let (child, decision) = parent.child_decided(&mut ids, black_box(&probability));
            assert_eq!(decision.is_sampled(), flip);
            assert_eq!(child.tracestate().len(), 2 + usize::from(flip));
        })
    });

    // A clock that moves 1 ms a call: 1 000 a second, under the limit of 2 000.
    let now = AtomicU64::new(0);
    let limiter = RateLimited::new(2_000, 1, || now.load(Ordering::Relaxed));
    let root = Input::root(kept, true);
    g.bench_function("rate_limited", |b| {
        b.iter(|| {
            now.fetch_add(1_000_000, Ordering::Relaxed);
            assert!(limiter.decide(black_box(&root)).is_sampled());
        })
    });
    g.finish();
}

criterion_group!(benches, ids, sampling);
criterion_main!(benches);
