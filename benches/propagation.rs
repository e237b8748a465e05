//! The whole hop: extract (traceparent and tracestate) → child → inject, into a
//! carrier of borrowed pairs and into a reused carrier of owned strings, against the
//! obvious code that parses with `split` and builds owned strings; the same hop with
//! a sampling decision (a parent-based sampler that leaves `ot` as it is); and the
//! owned context's clone, beside an `Arc<str>`'s.
//!
//! Every hop asserts its result, so a benchmark cannot measure a wrong answer; the
//! owned clone is checked once, before it is timed.

use std::hint::black_box;
use std::sync::Arc;

mod common;

use common::{FOUR, thirty_two};
use criterion::{Criterion, criterion_group, criterion_main};
use tracecontext::sampling::{ParentBased, Probability};
use tracecontext::{Context, Extracted, SeededIds, SpanId, extract};

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const OUTGOING: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-53995c3f42cd8ad8-01";

/// The obvious hop: find the headers by name, split and check the fields, build
/// owned strings for the outgoing headers.
fn naive_hop(incoming: &[(&str, &str)], span: &str) -> Option<Vec<(String, String)>> {
    let tp = incoming
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("traceparent"))?
        .1;
    let parts: Vec<&str> = tp.split('-').collect();
    let hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    };
    if parts.len() != 4
        || parts[0] != "00"
        || !hex(parts[1], 32)
        || !hex(parts[2], 16)
        || !hex(parts[3], 2)
    {
        return None;
    }
    let mut out = vec![(
        "traceparent".to_string(),
        format!("00-{}-{span}-{}", parts[1], parts[3]),
    )];
    if let Some((_, ts)) = incoming
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("tracestate"))
    {
        let members: Vec<(String, String)> = ts
            .split(',')
            .filter_map(|m| {
                m.trim()
                    .split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
            })
            .collect();
        let joined: Vec<String> = members.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push(("tracestate".to_string(), joined.join(",")));
    }
    Some(out)
}

fn propagation(c: &mut Criterion) {
    let mut g = c.benchmark_group("propagation");
    let long = thirty_two();
    let span = SpanId::from_static("53995c3f42cd8ad8");
    // Follows the sampled caller; with the 4-member state's `ot=th:c` (25%) it
    // passes the threshold on unchanged, as R = 0xce929d0e0e4736 >= T (P6).
    let sampler = ParentBased::new(Probability::new(0.25));

    for (n, state) in [(4, FOUR), (32, long.as_str())] {
        let incoming = [("traceparent", TRACEPARENT), ("tracestate", state)];

        g.bench_function(format!("hop_array/{n}"), |b| {
            b.iter(|| {
                // The parent is used in place: binding it by value out of the enum
                // would move (copy) its 784 bytes.
                let extracted = extract(black_box(&incoming));
                let Extracted::Continued { parent, .. } = &extracted else {
                    panic!("valid input");
                };
                let child = parent.child_with_span_id(black_box(span));
                let mut outgoing = [("", ""); 2];
                child.inject(&mut outgoing).unwrap();
                assert_eq!(outgoing[0].1.len(), 55);
                assert_eq!(outgoing[1].1.len(), state.len());
                black_box(outgoing[1].1.as_ptr());
            })
        });

        let mut ids = SeededIds::new(0x5eed);
        g.bench_function(format!("hop_decided_array/{n}"), |b| {
            b.iter(|| {
                let extracted = extract(black_box(&incoming));
                let Extracted::Continued { parent, .. } = &extracted else {
                    panic!("valid input");
                };
                // Bound by reference for the same reason: destructured by value,
                // the child would be moved (copied) out of the returned pair.
                let (child, decision) = &parent.child_decided(&mut ids, black_box(&sampler));
                assert!(decision.is_sampled());
                let mut outgoing = [("", ""); 2];
                child.inject(&mut outgoing).unwrap();
                assert_eq!(outgoing[0].1.len(), 55);
                // Forwarded as received: the same bytes, borrowed from the request.
                assert_eq!(outgoing[1].1.as_ptr(), state.as_ptr());
                assert_eq!(outgoing[1].1.len(), state.len());
            })
        });

        let mut reused: Vec<(String, String)> = Vec::new();
        g.bench_function(format!("hop_reused_vec/{n}"), |b| {
            b.iter(|| {
                let extracted = extract(black_box(&incoming));
                let child = extracted
                    .parent()
                    .unwrap()
                    .child_with_span_id(black_box(span));
                child.inject(&mut reused).unwrap();
                assert_eq!(reused[0].1, OUTGOING);
                assert_eq!(reused[1].1.len(), state.len());
            })
        });

        g.bench_function(format!("naive_hop/{n}"), |b| {
            b.iter(|| {
                let out = naive_hop(black_box(&incoming), "53995c3f42cd8ad8").unwrap();
                assert_eq!(out[0].1, OUTGOING);
                assert_eq!(out[1].1.len(), state.len());
            })
        });

        // The owned context: what a service stores and moves into tasks. Its clone
        // shares the tracestate text: checked here, outside the timed routines,
        // because reading a context back (its tracestate view counts members, its IDs
        // are decoded from the header) would time more than the clone.
        let owned: Context = extract(&incoming).into_parent().unwrap().into_owned();
        let text = owned.tracestate().as_str();
        assert_eq!(text.len(), state.len());
        let copy = owned.clone();
        assert_eq!(copy.tracestate().as_str().as_ptr(), text.as_ptr());
        assert_eq!(copy, owned);
        drop(copy);
        // The clone and its drop: what a context handed to a task costs in all.
        g.bench_function(format!("owned_clone/{n}"), |b| {
            b.iter(|| black_box(&owned).clone())
        });
        // The least that sharing text between threads costs: an `Arc<str>` of the
        // same tracestate, cloned and dropped (two atomic operations).
        let shared: Arc<str> = Arc::from(state);
        g.bench_function(format!("arc_str_clone_drop/{n}"), |b| {
            b.iter(|| black_box(&shared).clone())
        });
    }
    g.finish();
}

criterion_group!(benches, propagation);
criterion_main!(benches);
