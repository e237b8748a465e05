//! Baggage, side by side in one run on the same requests (the contenders are in
//! `tracecontext_bench::baggage`):
//!
//! ```sh
//! cargo bench -p tracecontext-bench --bench baggage
//! ```
//!
//! - `baggage/extract_4` and `baggage/extract_64`: read a request's `baggage`
//!   (4 members; 64 members, 8 KiB, in one field) and one value, decoded;
//! - `baggage/update_inject`: read the 4 members, set one, remove one, write the
//!   `baggage` header of an outgoing request.
//!
//! The owned `Baggage` is measured twice: returned by `Baggage::extract`, and
//! read in place with `Baggage::extract_from` (no copy of its 8 KiB).
//!
//! Before timing, each contender's result is checked against the others'.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use http::HeaderMap;
use opentelemetry_sdk::propagation::BaggagePropagator;
use tracecontext_bench::baggage::{self as b, FOUR, VALUE};

fn extract(c: &mut Criterion) {
    let propagator = BaggagePropagator::new();
    for (name, list) in [
        ("extract_4", FOUR.to_owned()),
        ("extract_64", b::sixty_four()),
    ] {
        let headers = b::headers(&list);
        // Each contender reads the same value.
        assert_eq!(b::read_view(&headers), VALUE.len());
        assert_eq!(b::read_owned(&headers), VALUE.len());
        assert_eq!(b::read_owned_in_place(&headers), VALUE.len());
        assert_eq!(b::read_shared(&headers).1, VALUE.len());
        assert_eq!(b::read_otel(&propagator, &headers), VALUE.len());
        assert_eq!(b::read_naive(&headers), VALUE.len());
        let mut group = c.benchmark_group(format!("baggage/{name}"));
        group.bench_function("tracecontext_view", |bench| {
            bench.iter(|| b::read_view(black_box(&headers)));
        });
        group.bench_function("tracecontext_baggage", |bench| {
            bench.iter(|| b::read_owned(black_box(&headers)));
        });
        group.bench_function("tracecontext_baggage_in_place", |bench| {
            bench.iter(|| b::read_owned_in_place(black_box(&headers)));
        });
        group.bench_function("tracecontext_shared", |bench| {
            bench.iter(|| b::read_shared(black_box(&headers)));
        });
        group.bench_function("opentelemetry_sdk", |bench| {
            bench.iter(|| b::read_otel(&propagator, black_box(&headers)));
        });
        group.bench_function("naive_split", |bench| {
            bench.iter(|| b::read_naive(black_box(&headers)));
        });
        group.finish();
    }
}

/// The members sent into a fresh `HeaderMap` by `update`, sorted (OpenTelemetry
/// and the map do not keep the order).
fn sent(update: impl FnOnce(&mut HeaderMap) -> usize) -> Vec<String> {
    let mut outgoing = HeaderMap::new();
    let len = update(&mut outgoing);
    let header = outgoing["baggage"].to_str().expect("ASCII");
    assert_eq!(len, header.len());
    let mut members: Vec<String> = header.split(',').map(str::to_owned).collect();
    members.sort();
    members
}

/// An update that sends into an outgoing `HeaderMap`; the length sent.
type IntoMap<'p> = dyn Fn(&HeaderMap, &mut HeaderMap) -> usize + 'p;
/// An update that sends into an array of pairs; the length sent.
type IntoArray = fn(&HeaderMap) -> usize;

fn update_inject(c: &mut Criterion) {
    let propagator = BaggagePropagator::new();
    let headers = b::headers(FOUR);
    // Every contender sends the same members.
    let ours = sent(|out| b::update_owned(&headers, out));
    assert_eq!(ours, sent(|out| b::update_shared(&headers, out).1));
    assert_eq!(ours, sent(|out| b::update_otel(&propagator, &headers, out)));
    assert_eq!(ours, sent(|out| b::update_naive(&headers, out)));
    assert_eq!(ours, sent(|out| b::update_owned_in_place(&headers, out)));
    assert_eq!(b::update_owned_array(&headers), ours.join(",").len());
    assert_eq!(
        b::update_owned_array_in_place(&headers),
        ours.join(",").len()
    );

    // Each routine writes into a new `HeaderMap`, as for a new outgoing request
    // (made and dropped inside the timed routine), or into an array of pairs.
    let mut group = c.benchmark_group("baggage/update_inject");
    let into_map: [(&str, &IntoMap<'_>); 5] = [
        ("tracecontext_baggage", &|h, out| b::update_owned(h, out)),
        ("tracecontext_baggage_in_place", &|h, out| {
            b::update_owned_in_place(h, out)
        }),
        ("tracecontext_shared", &|h, out| b::update_shared(h, out).1),
        ("opentelemetry_sdk", &|h, out| {
            b::update_otel(&propagator, h, out)
        }),
        ("naive_split", &|h, out| b::update_naive(h, out)),
    ];
    for (name, update) in into_map {
        group.bench_function(name, |bench| {
            bench.iter(|| {
                let mut outgoing = HeaderMap::new();
                let len = update(black_box(&headers), &mut outgoing);
                (len, outgoing)
            });
        });
    }
    let into_array: [(&str, IntoArray); 2] = [
        ("tracecontext_baggage_array", b::update_owned_array),
        (
            "tracecontext_baggage_array_in_place",
            b::update_owned_array_in_place,
        ),
    ];
    for (name, update) in into_array {
        group.bench_function(name, |bench| {
            bench.iter(|| update(black_box(&headers)));
        });
    }
    group.finish();
}

criterion_group!(benches, extract, update_inject);
criterion_main!(benches);
