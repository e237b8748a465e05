//! ID generation and sampling decisions.
//!
//! Every routine checks its result, so a benchmark cannot measure a wrong answer.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tracecontext::sampling::{Parent, ParentBased, Probability, RateLimited, Sampler};
use tracecontext::{IdSource, SeededIds, ThreadIds, TraceId, TraceState};

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
    let kept = TraceId::from_u128(0x4bf92f3577b34da6a3ce929d0e0e4736).unwrap();
    let dropped = TraceId::from_u128(0x4bf92f3577b34da6a30000000000002a).unwrap();
    let mut sampler = Probability::new(0.25);

    // Alternating traces, so that every decision changes the tracestate: the kept
    // one inserts `ot=th:c` at the front, the dropped one removes it.
    let mut state = TraceState::<512>::parse(b"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE").unwrap();
    let mut flip = false;
    g.bench_function("probability/with_update", |b| {
        b.iter(|| {
            flip = !flip;
            let id = if flip { kept } else { dropped };
            let decision = sampler.decide(Parent::None, black_box(id), &mut state);
            assert_eq!(decision.sampled(), flip);
            assert_eq!(state.len(), 2 + usize::from(flip));
        })
    });

    // The threshold is already there: read, decide, no write.
    let mut state = TraceState::<512>::parse(b"ot=th:c,rojo=00f067aa0ba902b7").unwrap();
    g.bench_function("probability/unchanged", |b| {
        b.iter(|| {
            let decision = sampler.decide(Parent::None, black_box(kept), &mut state);
            assert!(decision.sampled());
        })
    });

    let mut follow = ParentBased::new(Probability::new(0.25));
    let mut state = TraceState::<512>::parse(b"ot=th:c,rojo=00f067aa0ba902b7").unwrap();
    g.bench_function("parent_based/follow", |b| {
        b.iter(|| {
            let parent = black_box(Parent::Remote { sampled: true });
            assert!(follow.decide(parent, kept, &mut state).sampled());
        })
    });

    // A clock that moves 1 ms a call: 1 000 a second, under the limit of 2 000.
    let now = std::cell::Cell::new(0u64);
    let mut limiter = RateLimited::new(2_000, 1, || now.get());
    let mut state = TraceState::<512>::new();
    g.bench_function("rate_limited", |b| {
        b.iter(|| {
            now.set(now.get() + 1_000_000);
            assert!(limiter.decide(Parent::None, kept, &mut state).sampled());
        })
    });
    g.finish();
}

criterion_group!(benches, ids, sampling);
criterion_main!(benches);
