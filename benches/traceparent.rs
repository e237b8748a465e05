//! traceparent parsing and encoding, against the obvious `str::split` /
//! `from_str_radix` / `format!` code in the same group.
//!
//! Every routine asserts its result, so a benchmark cannot measure a wrong answer.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tracecontext::TraceParent;

const VALID: &[u8] = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// Uppercase hex in the last byte of the parent-id: found only near the end.
const INVALID_UPPERCASE: &[u8] = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bB-01";
/// Version `ff` (rule T3): well formed, refused.
const INVALID_VERSION_FF: &[u8] = b"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

const TRACE_ID: u128 = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736;
const PARENT_ID: u64 = 0x00f0_67aa_0ba9_02b7;

/// The obvious parser: UTF-8, trim, `split('-')`, `from_str_radix`, with the checks
/// the spec needs (widths, lowercase, no `+` sign, `ff`, zero IDs, version `00`
/// has exactly four fields).
fn naive_parse(input: &[u8]) -> Option<(u128, u64, u8)> {
    let s = std::str::from_utf8(input).ok()?.trim_matches([' ', '\t']);
    let mut parts = s.split('-');
    let (version, trace, parent, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |f: &str, width: usize| {
        f.len() == width && f.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
    };
    if !(hex(version, 2) && hex(trace, 32) && hex(parent, 16) && hex(flags, 2)) {
        return None;
    }
    if version == "ff" || (version == "00" && parts.next().is_some()) {
        return None;
    }
    let trace = u128::from_str_radix(trace, 16).ok()?;
    let parent = u64::from_str_radix(parent, 16).ok()?;
    let flags = u8::from_str_radix(flags, 16).ok()?;
    (trace != 0 && parent != 0).then_some((trace, parent, flags))
}

fn traceparent(c: &mut Criterion) {
    let mut g = c.benchmark_group("traceparent");

    g.bench_function("parse/valid", |b| {
        b.iter(|| {
            let tp = TraceParent::parse(black_box(VALID)).unwrap();
            assert_eq!(tp.parent_id().to_u64(), PARENT_ID);
            tp
        })
    });
    g.bench_function("naive/parse/valid", |b| {
        b.iter(|| {
            let tp = naive_parse(black_box(VALID)).unwrap();
            assert_eq!(tp.1, PARENT_ID);
            tp
        })
    });

    for (id, input) in [
        ("invalid_uppercase", INVALID_UPPERCASE),
        ("invalid_version_ff", INVALID_VERSION_FF),
    ] {
        g.bench_function(format!("parse/{id}"), |b| {
            b.iter(|| {
                let r = TraceParent::parse(black_box(input));
                assert!(r.is_err());
                r
            })
        });
        g.bench_function(format!("naive/parse/{id}"), |b| {
            b.iter(|| {
                let r = naive_parse(black_box(input));
                assert!(r.is_none());
                r
            })
        });
    }

    let tp = TraceParent::parse(VALID).unwrap();
    let expected: [u8; TraceParent::LEN] = VALID.try_into().unwrap();
    g.bench_function("encode", |b| {
        b.iter(|| {
            let out = black_box(&tp).encode();
            // A fixed-size comparison of all 55 bytes (no memcmp call to time).
            assert_eq!(out.as_bytes().first_chunk(), Some(&expected));
            out
        })
    });
    let fields = (TRACE_ID, PARENT_ID, 1u8);
    g.bench_function("naive/encode/format", |b| {
        b.iter(|| {
            let (t, p, f) = black_box(fields);
            let out = format!("00-{t:032x}-{p:016x}-{f:02x}");
            assert_eq!(out.as_bytes(), VALID);
            out
        })
    });
    let mut buf = String::with_capacity(TraceParent::LEN);
    g.bench_function("naive/encode/write_reused", |b| {
        b.iter(|| {
            let (t, p, f) = black_box(fields);
            buf.clear();
            write!(buf, "00-{t:032x}-{p:016x}-{f:02x}").unwrap();
            assert_eq!(buf.as_bytes(), VALID);
        })
    });

    g.finish();
}

criterion_group!(benches, traceparent);
criterion_main!(benches);
