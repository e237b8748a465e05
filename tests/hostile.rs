//! Hostile inputs: huge, repetitive, mutated and non-UTF-8 headers get an error or
//! the documented truncation, never a panic (SPEC.md security notes, C3). Work is
//! bounded by construction (each test makes a fixed number of calls on inputs of a
//! fixed size); nothing here measures time.

mod common;

use common::*;
use tracecontext::{ErrorKind, TraceParent, TraceState, TraceStateView, Validation};

const TP: &[u8] = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const TP_FUTURE: &[u8] = b"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz";
const TS: &[u8] = b"rojo=00f067aa0ba902b7, congo=t61rcWkgMzE,,a@b=1 2 ,k_-*/=v\t";

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

/// The crate agrees with the reference on `input`, in every tracestate form.
#[track_caller]
fn agree_tracestate(input: &[u8]) {
    let want = ref_tracestate(input);
    let show = String::from_utf8_lossy(input);
    match TraceStateView::parse(input) {
        Ok(v) => assert_eq!(Some(view_members(&v)), want, "view {show:?}"),
        Err(e) => {
            assert_eq!(want, None, "view {show:?}: {e}");
            assert!(e.offset() <= input.len(), "{show:?}: {e}");
            assert_eq!(e.kind().header(), "tracestate");
        }
    }
    match TraceState::<512>::parse(input) {
        // These inputs are short: no S9 cut.
        Ok(s) => assert_eq!(Some(state_members(&s)), want, "owned {show:?}"),
        Err(e) => {
            assert_eq!(want, None, "owned {show:?}: {e}");
            assert!(e.offset() <= input.len(), "{show:?}: {e}");
        }
    }
}

#[track_caller]
fn agree_traceparent(input: &[u8]) {
    let got = TraceParent::parse(input);
    let want = ref_traceparent(input);
    let show = String::from_utf8_lossy(input);
    match got {
        Ok(tp) => assert_eq!(
            Some((
                tp.trace_id().to_u128(),
                tp.parent_id().to_u64(),
                tp.flags().bits()
            )),
            want,
            "{show:?}"
        ),
        Err(e) => {
            assert_eq!(want, None, "{show:?}: {e}");
            assert!(e.offset() <= input.len(), "{show:?}: {e}");
            assert_eq!(e.kind().header(), "traceparent");
        }
    }
}

// ---------------------------------------------------------------------------------
// Big tracestates.
// ---------------------------------------------------------------------------------

#[test]
fn tracestate_64k_one_member() {
    let mut input = b"k=".to_vec();
    input.resize(64 * KIB, b'v');
    let e = TraceStateView::parse(&input).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Value);
    assert_eq!(e.member(), Some(1));
    assert!(e.offset() <= input.len());
    assert_eq!(
        TraceState::<512>::parse(&input).unwrap_err().kind(),
        ErrorKind::Value
    );
    let lenient = TraceStateView::parse_fields_with([&input[..]], Validation::Lenient).unwrap();
    assert!(lenient.is_empty());

    // One huge key.
    let mut input = vec![b'k'; 64 * KIB];
    input.extend_from_slice(b"=1");
    let e = TraceStateView::parse(&input).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Key);
    assert!(e.offset() <= input.len());

    // A huge run of value characters with no key at all.
    let input = vec![b'='; 64 * KIB];
    let e = TraceStateView::parse(&input).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Key);
    assert_eq!(e.offset(), 0);
}

#[test]
fn tracestate_64k_many_members() {
    let mut input = Vec::new();
    let mut starts = Vec::new();
    let mut i = 0;
    while input.len() < 64 * KIB {
        starts.push(input.len());
        input.extend_from_slice(format!("k{i}=v{i},").as_bytes());
        i += 1;
    }
    let e = TraceStateView::parse(&input).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MemberCount);
    assert_eq!(e.member(), Some(33));
    assert_eq!(e.offset(), starts[32]);
    let e = TraceState::<512>::parse(&input).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MemberCount);

    let lenient = TraceStateView::parse_fields_with([&input[..]], Validation::Lenient).unwrap();
    assert_eq!(lenient.len(), 32);
    assert_eq!(lenient.iter().last(), Some(("k31", "v31")));
    let owned = TraceState::<512>::parse_fields_with([&input[..]], Validation::Lenient).unwrap();
    assert_eq!(owned.len(), 32);

    // The same members, each padded with whitespace to 2 KiB: still 33 members.
    let mut padded = Vec::new();
    for i in 0..40 {
        padded.extend_from_slice(&[b' '; 1000]);
        padded.extend_from_slice(format!("k{i}=v{i}").as_bytes());
        padded.extend_from_slice(&[b'\t'; 1000]);
        padded.push(b',');
    }
    let e = TraceStateView::parse(&padded).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MemberCount);
    assert!(e.offset() < padded.len());
}

#[test]
fn tracestate_10000_commas_is_empty() {
    for input in [
        vec![b','; 10_000],
        b" ,\t".repeat(10_000),
        vec![b' '; 10_000],
    ] {
        let view = TraceStateView::parse(&input).unwrap();
        assert!(view.is_empty());
        assert_eq!(view.iter().count(), 0);
        let owned = TraceState::<512>::parse(&input).unwrap();
        assert!(owned.is_empty());
        assert_eq!(owned.as_str(), "");
    }
    // Empty members around real ones are skipped (S3).
    let mut input = vec![b','; 5_000];
    input.extend_from_slice(b"a=1");
    input.extend_from_slice(&[b','; 5_000]);
    input.extend_from_slice(b"b=2");
    input.extend_from_slice(&[b','; 5_000]);
    let view = TraceStateView::parse(&input).unwrap();
    assert_eq!(
        view_members(&view),
        [("a".into(), "1".into()), ("b".into(), "2".into())]
    );
    assert_eq!(
        TraceState::<512>::parse(&input).unwrap().as_str(),
        "a=1,b=2"
    );
}

#[test]
fn tracestate_10000_members() {
    let input = (0..10_000)
        .map(|i| format!("k{i}=v"))
        .collect::<Vec<_>>()
        .join(",");
    let input = input.as_bytes();
    let e = TraceStateView::parse(input).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MemberCount);
    assert_eq!(e.member(), Some(33));
    let at = input
        .windows(5)
        .position(|w| w == b",k32=")
        .map(|p| p + 1)
        .unwrap();
    assert_eq!(e.offset(), at);
    assert_eq!(
        TraceState::<512>::parse(input).unwrap_err().kind(),
        ErrorKind::MemberCount
    );

    // Lenient keeps the first 32.
    let view = TraceStateView::parse_fields_with([input], Validation::Lenient).unwrap();
    assert_eq!(view.len(), 32);
    let keys: Vec<String> = view.iter().map(|(k, _)| k.to_owned()).collect();
    let expect: Vec<String> = (0..32).map(|i| format!("k{i}")).collect();
    assert_eq!(keys, expect);
    let owned = TraceState::<512>::parse_fields_with([input], Validation::Lenient).unwrap();
    assert_eq!(owned.len(), 32);
    assert_eq!(owned.get("k31"), Some("v"));
    assert_eq!(owned.get("k32"), None);

    // 10 000 invalid members: strict fails on the first, lenient keeps none.
    let bad = "K=v,".repeat(10_000);
    let e = TraceStateView::parse(bad.as_bytes()).unwrap_err();
    assert_eq!(
        (e.kind(), e.offset(), e.member()),
        (ErrorKind::Key, 0, Some(1))
    );
    let view = TraceStateView::parse_fields_with([bad.as_bytes()], Validation::Lenient).unwrap();
    assert!(view.is_empty());

    // 10 000 duplicates of one key: too many members, even though one key.
    let dup = "a=1,".repeat(10_000);
    let e = TraceStateView::parse(dup.as_bytes()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MemberCount);
    assert_eq!(e.offset(), 32 * 4);
}

#[test]
fn tracestate_1000_fields() {
    // 1 000 empty or blank fields: an empty list.
    let blank: Vec<&[u8]> = (0..1000)
        .map(|i| if i % 2 == 0 { &b""[..] } else { &b" \t "[..] })
        .collect();
    let view = TraceStateView::parse_fields(blank.iter().copied()).unwrap();
    assert!(view.is_empty());
    assert!(
        TraceState::<512>::parse_fields(blank.iter().copied())
            .unwrap()
            .is_empty()
    );

    // 1 000 fields of one member each: a 33rd member, offset counted as if joined.
    let owned: Vec<String> = (0..1000).map(|i| format!("k{i}=v")).collect();
    let fields: Vec<&[u8]> = owned.iter().map(|s| s.as_bytes()).collect();
    let joined = fields.join(&b","[..]);
    let e = TraceStateView::parse_fields(fields.iter().copied()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MemberCount);
    assert_eq!(e.member(), Some(33));
    let at: usize = fields[..32].iter().map(|f| f.len() + 1).sum();
    assert_eq!(e.offset(), at);
    assert_eq!(e, TraceStateView::parse(&joined).unwrap_err());
    let lenient =
        TraceStateView::parse_fields_with(fields.iter().copied(), Validation::Lenient).unwrap();
    assert_eq!(lenient.len(), 32);

    // 32 members spread over 1 000 fields, the rest blank: valid, all kept.
    let spread: Vec<&[u8]> = (0..1000)
        .map(|i| {
            if i % 32 == 0 {
                fields[i / 32]
            } else {
                &b" "[..]
            }
        })
        .collect();
    let view = TraceStateView::parse_fields(spread.iter().copied()).unwrap();
    assert_eq!(view.len(), 32);
    let owned = TraceState::<512>::parse_fields(spread.iter().copied()).unwrap();
    assert_eq!(owned.len(), view.len());

    // A bad last field: its offset counts every field before it.
    let mut with_bad = blank.clone();
    with_bad.push(b"a=1,b c=2");
    let e = TraceStateView::parse_fields(with_bad.iter().copied()).unwrap_err();
    let joined = with_bad.join(&b","[..]);
    assert_eq!(e, TraceStateView::parse(&joined).unwrap_err());
    assert_eq!(e.kind(), ErrorKind::Key);
    assert_eq!(e.offset(), joined.len() - 4);
    assert_eq!(e.member(), Some(2));
}

// ---------------------------------------------------------------------------------
// Big traceparents.
// ---------------------------------------------------------------------------------

#[test]
fn traceparent_1mib() {
    for filler in [b'a', b'0', b'-', b'\0', 0xff, b' '] {
        let input = vec![filler; MIB];
        let e = TraceParent::parse(&input).unwrap_err();
        assert!(e.offset() <= input.len(), "{filler:#x}: {e}");
        assert_eq!(e.kind().header(), "traceparent");
    }

    // A valid header followed by 1 MiB: version 00 allows nothing after the flags
    // (T3); a future version ignores a `-`-separated rest (T5).
    let mut tail = TP.to_vec();
    tail.push(b'-');
    tail.resize(MIB, b'x');
    let e = TraceParent::parse(&tail).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::Trailing, 55));
    tail[0..2].copy_from_slice(b"cc");
    let tp = TraceParent::parse(&tail).unwrap();
    assert_eq!(tp, TraceParent::parse(TP).unwrap());
    tail[55] = b'x';
    let e = TraceParent::parse(&tail).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::Trailing, 55));

    // 1 MiB of spaces and tabs around a valid header still parses (T6).
    let mut padded = vec![b' '; MIB / 2];
    padded.extend_from_slice(TP);
    padded.resize(MIB, b'\t');
    let tp = TraceParent::parse(&padded).unwrap();
    assert_eq!(tp.encode().as_bytes(), TP);
    // ... and an error in it is reported at its place in the padded input.
    padded[MIB / 2 + 54] = b'G';
    let e = TraceParent::parse(&padded).unwrap_err();
    assert_eq!(
        (e.kind(), e.offset()),
        (ErrorKind::TraceFlags, MIB / 2 + 54)
    );
}

// ---------------------------------------------------------------------------------
// Every single-byte mutation.
// ---------------------------------------------------------------------------------

#[test]
fn traceparent_every_single_byte_replacement() {
    let mut oks = 0;
    for base in [TP, TP_FUTURE] {
        for pos in 0..base.len() {
            for byte in 0..=255u8 {
                let mut input = base.to_vec();
                input[pos] = byte;
                agree_traceparent(&input);
                oks += usize::from(ref_traceparent(&input).is_some());
            }
        }
    }
    // Sanity: the mutations that stay valid (other hex digits, mostly) were met.
    assert!(oks > 1000, "{oks}");
}

#[test]
fn traceparent_every_version() {
    // Both version bytes over all 65 536 pairs, on a bare header and a longer one
    // (T3: `ff` invalid, `00` exactly 55 bytes; T5: others need `-` after the flags).
    for base in [TP, TP_FUTURE] {
        let mut input = base.to_vec();
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                input[0] = a;
                input[1] = b;
                agree_traceparent(&input);
            }
        }
    }
}

#[test]
fn traceparent_every_single_byte_insertion_and_deletion() {
    for base in [
        TP,
        TP_FUTURE,
        b" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\t",
    ] {
        for pos in 0..=base.len() {
            for byte in [b'0', b'a', b'A', b'-', b' ', b'\t', b'x', 0, 0x80, 0xff] {
                let mut input = base.to_vec();
                input.insert(pos, byte);
                agree_traceparent(&input);
            }
            if pos < base.len() {
                let mut input = base.to_vec();
                input.remove(pos);
                agree_traceparent(&input);
                // Truncated at every length.
                agree_traceparent(&base[..pos]);
            }
        }
    }
}

#[test]
fn tracestate_every_single_byte_mutation() {
    let interesting = [
        b'a', b'Z', b'0', b'_', b'-', b'*', b'/', b'@', b'=', b',', b' ', b'\t', b'.', b'~', b'"',
        0, 0x1f, 0x7f, 0x80, 0xc3, 0xff,
    ];
    for base in [TS, b"a=1".as_slice(), b"foo@bar@baz=  x ,  ".as_slice()] {
        agree_tracestate(base);
        for pos in 0..=base.len() {
            for byte in interesting {
                let mut input = base.to_vec();
                input.insert(pos, byte);
                agree_tracestate(&input);
                if pos < base.len() {
                    let mut input = base.to_vec();
                    input[pos] = byte;
                    agree_tracestate(&input);
                }
            }
            if pos < base.len() {
                let mut input = base.to_vec();
                input.remove(pos);
                agree_tracestate(&input);
                agree_tracestate(&base[..pos]);
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Bytes that are not UTF-8 (C3).
// ---------------------------------------------------------------------------------

#[test]
fn non_utf8_is_invalid_never_a_panic() {
    // traceparent: a two-byte UTF-8 sequence, a lone continuation byte, an invalid
    // lead byte, each in every field.
    for seq in [&b"\xc3\xa9"[..], b"\x80", b"\xff", b"\xed\xa0\x80"] {
        for at in [0, 3, 20, 36, 53, 54] {
            let mut input = TP.to_vec();
            let end = (at + seq.len()).min(input.len());
            input.splice(at..end, seq.iter().copied());
            let e = TraceParent::parse(&input).unwrap_err();
            assert_eq!(e.offset(), at, "{seq:?} at {at}: {e}");
            assert!(std::str::from_utf8(&input).is_err() || seq == b"\xc3\xa9");
        }
        let mut input = TP_FUTURE.to_vec();
        input.extend_from_slice(seq);
        // Future versions ignore the rest, whatever its bytes (T5).
        assert!(TraceParent::parse(&input).is_ok());
        assert!(TraceParent::try_from(&input[..]).is_ok());
    }

    // tracestate: non-ASCII in a key or a value.
    let cases: [(&[u8], ErrorKind, usize); 6] = [
        (b"a=caf\xc3\xa9", ErrorKind::Value, 5),
        (b"a=\x80", ErrorKind::Value, 2),
        (b"a=1,\xffb=2", ErrorKind::Key, 4),
        (b"k\xc3\xa9y=1", ErrorKind::Key, 1),
        (b"a=1 \xff", ErrorKind::Value, 4),
        (b"a=1,b=\xf0\x9f\x98\x80", ErrorKind::Value, 6),
    ];
    for (input, kind, offset) in cases {
        let e = TraceStateView::parse(input).unwrap_err();
        assert_eq!(
            (e.kind(), e.offset()),
            (kind, offset),
            "{:?}: {e}",
            String::from_utf8_lossy(input)
        );
        assert_eq!(TraceState::<512>::parse(input).unwrap_err(), e);
        assert_eq!(TraceState::<512>::try_from(input).unwrap_err(), e);
        // Lenient drops the bad member and keeps the rest, all ASCII.
        let view = TraceStateView::parse_fields_with([input], Validation::Lenient).unwrap();
        for (k, v) in view.iter() {
            assert!(k.is_ascii() && v.is_ascii());
        }
    }

    // Arbitrary bytes around valid content never panic in any form.
    let mut noise = Vec::new();
    let mut x: u32 = 0x1234_5678;
    for _ in 0..4096 {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        noise.push((x >> 24) as u8);
    }
    for chunk in noise.chunks(64) {
        agree_traceparent(chunk);
        agree_tracestate(chunk);
        let _ = TraceStateView::parse_fields_with([chunk, TS], Validation::Lenient).unwrap();
    }
}

// ---------------------------------------------------------------------------------
// Whole requests through `extract`: a clear outcome for each, with the reason.
// ---------------------------------------------------------------------------------

/// A request: header name and value pairs, as bytes (a carrier with `alloc`).
#[cfg(feature = "alloc")]
type Request = Vec<(&'static str, Vec<u8>)>;

#[cfg(feature = "alloc")]
#[test]
fn requests_with_duplicate_and_conflicting_headers() {
    let tp = TP.to_vec();
    let other = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_vec();
    let cases: [(Request, &str); 4] = [
        (
            vec![("traceparent", tp.clone()), ("traceparent", tp.clone())],
            "invalid traceparent, new trace: traceparent: more than one traceparent field in the request",
        ),
        (
            vec![("traceparent", tp.clone()), ("TRACEPARENT", other.clone())],
            "invalid traceparent, new trace: traceparent: more than one traceparent field in the request",
        ),
        (
            // The first valid, the second invalid: still two fields (T7).
            vec![
                ("traceparent", tp.clone()),
                ("traceparent", b"garbage".to_vec()),
            ],
            "invalid traceparent, new trace: traceparent: more than one traceparent field in the request",
        ),
        (
            // Conflicting tracestate members are not an error (S7): left-most wins.
            vec![
                ("traceparent", tp.clone()),
                ("tracestate", b"a=1".to_vec()),
                ("tracestate", b"a=2".to_vec()),
            ],
            "continued trace 4bf92f3577b34da6a3ce929d0e0e4736",
        ),
    ];
    for (request, outcome) in cases {
        assert_eq!(tracecontext::extract(&request).to_string(), outcome);
    }
}

#[cfg(feature = "alloc")]
#[test]
fn requests_with_headers_over_64k() {
    // A version-00 traceparent followed by 64 KiB: invalid, at byte 55.
    let mut long = TP.to_vec();
    long.resize(64 * KIB + 1, b'x');
    let request: Request = vec![("traceparent", long), ("tracestate", b"a=1".to_vec())];
    let extracted = tracecontext::extract(&request);
    let error = extracted.traceparent_error().unwrap();
    assert_eq!((error.kind(), error.offset()), (ErrorKind::Trailing, 55));

    // A future version may carry more: its tail is ignored unread (T5).
    let mut future = TP_FUTURE.to_vec();
    future.resize(64 * KIB + 1, b'x');
    let request: Request = vec![("traceparent", future)];
    assert!(tracecontext::extract(&request).parent().is_some());

    // A 64 KiB tracestate: dropped with the reason, the trace continues.
    let members: Vec<String> = (0..2000)
        .map(|i| format!("k{i}={}", "v".repeat(30)))
        .collect();
    let huge = members.join(",").into_bytes();
    assert!(huge.len() > 64 * KIB);
    let request: Request = vec![("traceparent", TP.to_vec()), ("tracestate", huge)];
    let extracted = tracecontext::extract(&request);
    assert_eq!(extracted.parent().unwrap().tracestate(), "");
    let error = extracted.tracestate_error().unwrap();
    assert_eq!(
        (error.kind(), error.member()),
        (ErrorKind::MemberCount, Some(33))
    );
}

#[cfg(feature = "alloc")]
#[test]
fn requests_with_1000_tracestate_fields() {
    let fields: Vec<String> = (0..1000).map(|i| format!("k{i}=v")).collect();
    let mut request: Request = vec![("traceparent", TP.to_vec())];
    request.extend(
        fields
            .iter()
            .map(|f| ("tracestate", f.clone().into_bytes())),
    );
    let extracted = tracecontext::extract(&request);
    assert_eq!(extracted.parent().unwrap().tracestate(), "");
    assert_eq!(
        extracted.tracestate_error().map(|e| (e.kind(), e.member())),
        Some((ErrorKind::MemberCount, Some(33)))
    );

    // 32 members spread over 1 000 fields: joined and kept.
    let mut request: Request = vec![("traceparent", TP.to_vec())];
    request.extend((0..1000).map(|i| {
        let value = if i % 32 == 0 {
            fields[i / 32].clone().into_bytes()
        } else {
            b" ".to_vec()
        };
        ("tracestate", value)
    }));
    let extracted = tracecontext::extract(&request);
    let kept = extracted.parent().unwrap().tracestate();
    assert_eq!(kept, fields[..32].join(","));
}

#[cfg(feature = "alloc")]
#[test]
fn requests_with_values_that_are_not_utf8() {
    for byte in [0x80u8, 0xc3, 0xff] {
        for at in [0, 2, 3, 20, 36, 53, 54] {
            let mut tp = TP.to_vec();
            tp[at] = byte;
            let request: Request = vec![("traceparent", tp)];
            let error = *tracecontext::extract(&request).traceparent_error().unwrap();
            assert_eq!(error.offset(), at);
        }
        let request: Request = vec![
            ("traceparent", TP.to_vec()),
            ("tracestate", vec![b'a', b'=', byte]),
        ];
        let extracted = tracecontext::extract(&request);
        assert_eq!(extracted.tracestate_error().map(|e| e.offset()), Some(2));
    }
}
