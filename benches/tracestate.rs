//! tracestate parsing and updating, for the zero-copy view and the inline owned
//! form, against the obvious `split(',')` / `split_once('=')` / `Vec` code in the
//! same group.
//!
//! Every routine asserts its result, so a benchmark cannot measure a wrong answer.

use std::hint::black_box;

mod common;

use common::{FOUR, thirty_two};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use tracecontext::{TraceState, TraceStateView};

type Members = Vec<(String, String)>;

/// The obvious parser: `split(',')`, trim, `split_once('=')`, owned strings, with
/// the checks the spec needs (key and value grammar, at most 32 members).
fn naive_parse(input: &str) -> Option<Members> {
    let mut out = Vec::new();
    for member in input.split(',') {
        let member = member.trim_matches([' ', '\t']);
        if member.is_empty() {
            continue;
        }
        let (key, value) = member.split_once('=')?;
        let key_ok = (1..=256).contains(&key.len())
            && key.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && key
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"_-*/@".contains(&c));
        let value_ok = (1..=256).contains(&value.len())
            && value
                .bytes()
                .all(|c| (0x20..=0x7e).contains(&c) && c != b',' && c != b'=')
            && !value.ends_with(' ');
        if !(key_ok && value_ok) || out.len() == 32 {
            return None;
        }
        out.push((key.to_owned(), value.to_owned()));
    }
    Some(out)
}

/// The obvious update: remove the key, insert at the front, join.
fn naive_update(members: &mut Members, key: &str, value: &str) -> String {
    members.retain(|(k, _)| k != key);
    members.insert(0, (key.to_owned(), value.to_owned()));
    let parts: Vec<String> = members.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join(",")
}

fn tracestate(c: &mut Criterion) {
    let mut g = c.benchmark_group("tracestate");
    let long = thirty_two();
    // (size, header, key to update, new value of the same length)
    let cases = [
        (4, FOUR, "congo", "ucfJifl5GOE"),
        (32, long.as_str(), "k20", "fedcba98765"),
    ];

    for (n, input, key, value) in cases {
        let bytes = input.as_bytes();

        g.bench_function(format!("view_parse/{n}"), |b| {
            b.iter(|| {
                let view = TraceStateView::parse(black_box(bytes)).unwrap();
                assert_eq!(view.len(), n);
                view
            })
        });
        g.bench_function(format!("view_parse_iter/{n}"), |b| {
            b.iter(|| {
                let view = TraceStateView::parse(black_box(bytes)).unwrap();
                let mut count = 0;
                for (k, v) in &view {
                    black_box((k, v));
                    count += 1;
                }
                assert_eq!(count, n);
            })
        });
        g.bench_function(format!("owned_parse/{n}"), |b| {
            b.iter(|| {
                let state = TraceState::<512>::parse(black_box(bytes)).unwrap();
                assert_eq!(state.len(), n);
                state
            })
        });
        g.bench_function(format!("naive/parse/{n}"), |b| {
            b.iter(|| {
                let members = naive_parse(black_box(input)).unwrap();
                assert_eq!(members.len(), n);
                members
            })
        });

        // The expected header after the update, from the naive code. The owned form
        // is compared through `as_bytes()`, which is its encoded header value.
        let expected = naive_update(&mut naive_parse(input).unwrap(), key, value);
        let parsed = TraceState::<512>::parse(bytes).unwrap();

        g.bench_function(format!("update_encode/fresh/{n}"), |b| {
            b.iter_batched(
                || TraceState::<512>::parse(bytes).unwrap(),
                |mut state| {
                    state.insert(black_box(key), black_box(value)).unwrap();
                    assert_eq!(state.as_bytes(), expected.as_bytes());
                    state
                },
                BatchSize::SmallInput,
            )
        });
        // The same, from a state already mutated once: no duplicate check (S7) left
        // to do, so the difference from `fresh` is that check.
        let mut mutated = parsed.clone();
        mutated.insert(key, value).unwrap();
        g.bench_function(format!("update_encode/fresh_deduped/{n}"), |b| {
            b.iter_batched(
                || mutated.clone(),
                |mut state| {
                    state.insert(black_box(key), black_box(value)).unwrap();
                    assert_eq!(state.as_bytes(), expected.as_bytes());
                    state
                },
                BatchSize::SmallInput,
            )
        });
        let mut state = parsed.clone();
        g.bench_function(format!("update_encode/reused/{n}"), |b| {
            b.iter(|| {
                state.insert(black_box(key), black_box(value)).unwrap();
                assert_eq!(state.as_bytes(), expected.as_bytes());
            })
        });
        g.bench_function(format!("naive/update_encode/fresh/{n}"), |b| {
            b.iter_batched(
                || naive_parse(input).unwrap(),
                |mut members| {
                    let out = naive_update(&mut members, black_box(key), black_box(value));
                    assert_eq!(out, expected);
                    (members, out)
                },
                BatchSize::SmallInput,
            )
        });
        let mut members = naive_parse(input).unwrap();
        g.bench_function(format!("naive/update_encode/reused/{n}"), |b| {
            b.iter(|| {
                let out = naive_update(&mut members, black_box(key), black_box(value));
                assert_eq!(out, expected);
                out
            })
        });
    }

    g.finish();
}

criterion_group!(benches, tracestate);
criterion_main!(benches);
