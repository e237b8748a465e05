//! Hostile inputs: huge, repetitive, mutated and non-UTF-8 headers get an error or
//! the documented truncation, never a panic (docs/RULES.md, Security; rule C3). Work
//! is bounded by construction (each test makes a fixed number of calls on inputs of
//! a fixed size); nothing here measures time. Where the work depends on the crate
//! (a request with 100 000 tracestate fields), a counting carrier measures it in
//! values handed out, not in seconds.

mod common;

use std::cell::Cell;

use common::*;
use tracecontext::{
    ErrorKind, Extracted, Extractor, TraceParent, TraceState, TraceStateView, Validation, Values,
};

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
            assert_eq!(e.header(), "tracestate");
        }
    }
    match TraceState::<512>::parse(input) {
        // These inputs are short: no rule S9 cut.
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
            assert_eq!(e.header(), "traceparent");
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
    // Empty members around real ones are skipped (rule S3).
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
        assert_eq!(e.header(), "traceparent");
    }

    // A valid header followed by 1 MiB: version 00 allows nothing after the flags
    // (rule T3); a future version ignores a `-`-separated rest (rule T5).
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

    // 1 MiB of spaces and tabs around a valid header still parses (rule T6).
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
    // (rule T3: `ff` invalid, `00` exactly 55 bytes; rule T5: others need `-` after the flags).
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
// Bytes that are not UTF-8 (rule C3).
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
        // Future versions ignore the rest, whatever its bytes (rule T5).
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

/// A request: header name and value pairs, as bytes.
type Request = Vec<(&'static str, Vec<u8>)>;

/// Extracts from a request through a slice of its pairs (a carrier with no
/// features), and with `alloc` checks that the `Vec` carrier agrees.
fn extract_request(request: &Request) -> Extracted<'_> {
    let extracted = tracecontext::extract(request.as_slice());
    #[cfg(feature = "alloc")]
    assert_eq!(
        tracecontext::extract(request).to_string(),
        extracted.to_string()
    );
    extracted
}

/// The tracestate text the extracted context forwards.
#[track_caller]
fn forwarded<'e>(extracted: &'e Extracted<'_>) -> &'e str {
    match extracted.parent() {
        Some(parent) => parent.tracestate().as_str(),
        None => panic!("expected a continued trace, got: {extracted}"),
    }
}

const DUPLICATE: &str =
    "invalid traceparent, new trace: traceparent: more than one traceparent field";

#[test]
fn requests_with_duplicate_and_conflicting_headers() {
    let tp = TP.to_vec();
    let other = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_vec();
    let cases: [(Request, &str); 5] = [
        (
            vec![("traceparent", tp.clone()), ("traceparent", tp.clone())],
            DUPLICATE,
        ),
        (
            vec![("traceparent", tp.clone()), ("TRACEPARENT", other.clone())],
            DUPLICATE,
        ),
        (
            // The first valid, the second invalid: still two fields (rule T7).
            vec![
                ("traceparent", tp.clone()),
                ("traceparent", b"garbage".to_vec()),
            ],
            DUPLICATE,
        ),
        (
            // Two empty fields are two fields too.
            vec![("traceparent", Vec::new()), ("traceparent", Vec::new())],
            DUPLICATE,
        ),
        (
            // Conflicting tracestate members are not an error (rule S7): left-most wins.
            vec![
                ("traceparent", tp.clone()),
                ("tracestate", b"a=1".to_vec()),
                ("tracestate", b"a=2".to_vec()),
            ],
            "continued trace 4bf92f3577b34da6a3ce929d0e0e4736",
        ),
    ];
    for (request, outcome) in cases {
        let extracted = extract_request(&request);
        assert_eq!(extracted.to_string(), outcome);
        if outcome == DUPLICATE {
            assert!(extracted.parent().is_none(), "T7: the trace restarts");
            assert_eq!(
                extracted
                    .traceparent_error()
                    .map(|e| (e.kind(), e.header())),
                Some((ErrorKind::Duplicate, "traceparent"))
            );
        }
    }
    let request: Request = vec![
        ("traceparent", tp.clone()),
        ("tracestate", b"a=1".to_vec()),
        ("tracestate", b"a=2".to_vec()),
    ];
    let extracted = extract_request(&request);
    let parent = extracted.parent().unwrap();
    assert_eq!(parent.tracestate().get("a"), Some("1"));
}

/// A carrier over borrowed pairs that pushes its values one at a time and counts
/// what it was asked for.
struct Counting<'m> {
    pairs: &'m [(&'m str, &'m [u8])],
    /// `get_all` calls for `tracestate`.
    tracestate_calls: Cell<usize>,
    /// Values handed out, per header.
    traceparent_values: Cell<usize>,
    tracestate_values: Cell<usize>,
}

impl<'m> Counting<'m> {
    fn new(pairs: &'m [(&'m str, &'m [u8])]) -> Self {
        Self {
            pairs,
            tracestate_calls: Cell::new(0),
            traceparent_values: Cell::new(0),
            tracestate_values: Cell::new(0),
        }
    }
}

impl<'m> Extractor<'m> for Counting<'m> {
    fn get_all(&self, name: &str, values: &mut Values<'m, '_>) {
        let handed = match name {
            "traceparent" => &self.traceparent_values,
            "tracestate" => {
                self.tracestate_calls.set(self.tracestate_calls.get() + 1);
                &self.tracestate_values
            }
            other => panic!("asked for an unexpected header {other:?}"),
        };
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

#[test]
fn requests_with_10000_traceparent_fields() {
    // Rule T7: two fields are enough to know; the carrier is asked for two values, and
    // the tracestate is never read (rule T9).
    let mut pairs: Vec<(&str, &[u8])> = vec![("tracestate", b"a=1")];
    pairs.extend((0..10_000).map(|i| ("traceparent", if i % 2 == 0 { TP } else { b"x" })));
    let carrier = Counting::new(&pairs);
    let extracted = tracecontext::extract(&carrier);
    assert_eq!(extracted.to_string(), DUPLICATE);
    assert_eq!(carrier.traceparent_values.get(), 2);
    assert_eq!(carrier.tracestate_calls.get(), 0);
}

#[test]
fn requests_with_100_000_tracestate_fields_stay_linear() {
    const N: usize = 100_000;
    // The extraction reads the carrier's tracestate in at most three calls: a probe
    // for one field or several (two values at most), the join, and the second pass
    // of a rule S9 cut. Each field is thus handed out at most twice by the join, and the
    // work is linear in the request: at most 2 + 2N values.
    #[track_caller]
    fn check_linear(carrier: &Counting<'_>) {
        assert!(
            carrier.tracestate_calls.get() <= 3,
            "{}",
            carrier.tracestate_calls.get()
        );
        assert!(
            carrier.tracestate_values.get() <= 2 + 2 * N,
            "{} values for {N} fields",
            carrier.tracestate_values.get()
        );
    }

    // 100 000 blank fields: an empty list (rule S3), nothing forwarded (rule S10); one pass.
    let mut pairs: Vec<(&str, &[u8])> = vec![("traceparent", TP)];
    pairs.extend((0..N).map(|i| ("tracestate", if i % 2 == 0 { &b""[..] } else { b" \t " })));
    let carrier = Counting::new(&pairs);
    let extracted = tracecontext::extract(&carrier);
    assert_eq!(extracted.tracestate_error(), None);
    assert_eq!(forwarded(&extracted), "");
    check_linear(&carrier);
    assert!(carrier.tracestate_values.get() <= 2 + N, "no cut, one pass");

    // 32 members of 100 bytes spread over 100 000 fields, the rest blank: valid (rule S2,
    // rule S5), too long for the 512-byte joined state, so cut by rule S9 with a second pass.
    let members: Vec<String> = (0..32)
        .map(|i| format!("k{i:02}={}", "v".repeat(96)))
        .collect();
    let mut pairs: Vec<(&str, &[u8])> = vec![("traceparent", TP)];
    pairs.extend((0..N).map(|i| {
        let field: &[u8] = if i % (N / 32) == 0 && i / (N / 32) < 32 {
            members[i / (N / 32)].as_bytes()
        } else {
            b" "
        };
        ("tracestate", field)
    }));
    let carrier = Counting::new(&pairs);
    let extracted = tracecontext::extract(&carrier);
    assert_eq!(extracted.tracestate_error(), None);
    let mut want = members
        .iter()
        .map(|m| {
            let (k, v) = m.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect::<Members>();
    ref_cut(&mut want, 512, None);
    // 100-byte members: 5 fit in 512 bytes (504), 6 do not (605).
    assert_eq!(want.len(), 5);
    assert_eq!(forwarded(&extracted), ref_join(&want));
    check_linear(&carrier);

    // 100 000 fields of one member each: the 33rd member makes the list invalid
    // (rule S5, rule S6); the join has seen enough there and stops asking.
    let owned: Vec<String> = (0..N).map(|i| format!("k{i}=v")).collect();
    let mut pairs: Vec<(&str, &[u8])> = vec![("traceparent", TP)];
    pairs.extend(owned.iter().map(|f| ("tracestate", f.as_bytes())));
    let carrier = Counting::new(&pairs);
    let extracted = tracecontext::extract(&carrier);
    assert_eq!(
        extracted.tracestate_error().map(|e| (e.kind(), e.member())),
        Some((ErrorKind::MemberCount, Some(33)))
    );
    assert_eq!(forwarded(&extracted), "");
    check_linear(&carrier);
    assert!(
        carrier.tracestate_values.get() <= 2 + 33,
        "{} values",
        carrier.tracestate_values.get()
    );

    // Lenient: the first 32 are kept and the rest is ignored (Validation::Lenient),
    // so it stops asking too.
    let carrier = Counting::new(&pairs);
    let extracted = Extracted::from_carrier(&carrier, Validation::Lenient);
    assert_eq!(forwarded(&extracted), owned[..32].join(","));
    check_linear(&carrier);
    assert!(
        carrier.tracestate_values.get() <= 2 + 33,
        "{} values",
        carrier.tracestate_values.get()
    );

    // 100 000 invalid fields, lenient: none kept, every field read once by the join.
    let mut pairs: Vec<(&str, &[u8])> = vec![("traceparent", TP)];
    pairs.extend((0..N).map(|_| ("tracestate", &b"K=v"[..])));
    let carrier = Counting::new(&pairs);
    let extracted = Extracted::from_carrier(&carrier, Validation::Lenient);
    assert_eq!(forwarded(&extracted), "");
    check_linear(&carrier);
}

#[test]
fn requests_with_headers_over_64k() {
    // A version-00 traceparent followed by 64 KiB: invalid, at byte 55.
    let mut long = TP.to_vec();
    long.resize(64 * KIB + 1, b'x');
    let request: Request = vec![("traceparent", long), ("tracestate", b"a=1".to_vec())];
    let extracted = extract_request(&request);
    let error = extracted.traceparent_error().unwrap();
    assert_eq!((error.kind(), error.offset()), (ErrorKind::Trailing, 55));

    // A future version may carry more: its tail is ignored unread (rule T5).
    let mut future = TP_FUTURE.to_vec();
    future.resize(64 * KIB + 1, b'x');
    let request: Request = vec![("traceparent", future)];
    assert!(extract_request(&request).parent().is_some());

    // A 64 KiB tracestate: dropped with the reason, the trace continues.
    let members: Vec<String> = (0..2000)
        .map(|i| format!("k{i}={}", "v".repeat(30)))
        .collect();
    let huge = members.join(",").into_bytes();
    assert!(huge.len() > 64 * KIB);
    let request: Request = vec![("traceparent", TP.to_vec()), ("tracestate", huge)];
    let extracted = extract_request(&request);
    assert_eq!(forwarded(&extracted), "");
    let error = extracted.tracestate_error().unwrap();
    assert_eq!(
        (error.kind(), error.member()),
        (ErrorKind::MemberCount, Some(33))
    );

    // A valid 64 KiB tracestate (32 members padded with whitespace, rule S3): one field
    // is forwarded as it came, less the whitespace at its ends; the same in two
    // fields is joined into the 512-byte state and cut by rule S9.
    let members: Vec<String> = (0..32)
        .map(|i| format!("k{i:02}={}", "v".repeat(60)))
        .collect();
    let pad = " ".repeat(1000);
    let padded: String = members
        .iter()
        .map(|m| format!("{pad}{m}{pad}"))
        .collect::<Vec<_>>()
        .join(",");
    assert!(padded.len() > 64 * KIB);
    let request: Request = vec![
        ("traceparent", TP.to_vec()),
        ("tracestate", padded.clone().into_bytes()),
    ];
    let extracted = extract_request(&request);
    assert_eq!(extracted.tracestate_error(), None);
    assert_eq!(forwarded(&extracted), padded.trim_matches(' '));
    assert_eq!(extracted.parent().unwrap().tracestate().len(), 32);
    // 33 members across two fields: too many (rule S2, rule S5).
    let request: Request = vec![
        ("traceparent", TP.to_vec()),
        ("tracestate", padded.clone().into_bytes()),
        ("tracestate", b"last=1".to_vec()),
    ];
    let extracted = extract_request(&request);
    assert_eq!(
        extracted.tracestate_error().map(|e| e.kind()),
        Some(ErrorKind::MemberCount)
    );
    // 32 members and an empty second field: joined, then cut to 512 bytes by rule S9.
    let request: Request = vec![
        ("traceparent", TP.to_vec()),
        ("tracestate", padded.into_bytes()),
        ("tracestate", b"".to_vec()),
    ];
    let extracted = extract_request(&request);
    assert_eq!(extracted.tracestate_error(), None);
    let mut want: Members = members
        .iter()
        .map(|m| (m[..3].to_owned(), m[4..].to_owned()))
        .collect();
    ref_cut(&mut want, 512, None);
    assert_eq!(forwarded(&extracted), ref_join(&want));
    assert!(forwarded(&extracted).len() <= 512);
}

#[test]
fn requests_with_1000_tracestate_fields() {
    let fields: Vec<String> = (0..1000).map(|i| format!("k{i}=v")).collect();
    let mut request: Request = vec![("traceparent", TP.to_vec())];
    request.extend(
        fields
            .iter()
            .map(|f| ("tracestate", f.clone().into_bytes())),
    );
    let extracted = extract_request(&request);
    assert_eq!(forwarded(&extracted), "");
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
    let extracted = extract_request(&request);
    assert_eq!(extracted.tracestate_error(), None);
    assert_eq!(forwarded(&extracted), fields[..32].join(","));

    // A duplicate traceparent among them still restarts (rule T7), tracestate unread.
    request.insert(500, ("TraceParent", TP.to_vec()));
    let extracted = extract_request(&request);
    assert_eq!(extracted.to_string(), DUPLICATE);
}

#[test]
fn requests_with_values_that_are_not_utf8() {
    // traceparent: a byte that is not UTF-8 (a continuation byte, a lead byte with
    // nothing after it, a byte never valid) at every position of every field and
    // separator: invalid there (rule C3), offset `at`, the trace restarts (rule T9).
    for byte in [0x80u8, 0xc3, 0xff] {
        for at in 0..TP.len() {
            let mut tp = TP.to_vec();
            tp[at] = byte;
            assert!(std::str::from_utf8(&tp).is_err());
            assert_eq!(ref_traceparent(&tp), None);
            let request: Request = vec![("traceparent", tp), ("tracestate", b"a=1".to_vec())];
            let extracted = extract_request(&request);
            let error = *extracted.traceparent_error().unwrap();
            assert_eq!(
                (error.offset(), error.header()),
                (at, "traceparent"),
                "{byte:#x} at {at}"
            );
            assert_eq!(extracted.tracestate_error(), None, "T9: tracestate unread");
        }
    }

    // tracestate: at every position of a list, in one field and as the second of
    // two fields (offsets count as if joined, rule S2); the trace continues (rule T9).
    let list = b"ab=1,c@d=x y,e=2";
    for byte in [0x80u8, 0xc3, 0xff] {
        for at in 0..list.len() {
            let mut ts = list.to_vec();
            ts[at] = byte;
            assert_eq!(ref_tracestate(&ts), None);
            for first in [None, Some(&b"z=0"[..])] {
                let mut request: Request = vec![("traceparent", TP.to_vec())];
                let base = match first {
                    Some(f) => {
                        request.push(("tracestate", f.to_vec()));
                        f.len() + 1
                    }
                    None => 0,
                };
                request.push(("tracestate", ts.clone()));
                let extracted = extract_request(&request);
                assert_eq!(forwarded(&extracted), "");
                let error = extracted.tracestate_error().unwrap();
                assert_eq!(error.offset(), base + at, "{byte:#x} at {at}: {error}");
                assert_eq!(error.header(), "tracestate");
                assert!(
                    matches!(error.kind(), ErrorKind::Key | ErrorKind::Value),
                    "{error}"
                );
            }
        }
    }

    // A value that ends in the byte (the old case): offset 2, in the value.
    for byte in [0x80u8, 0xc3, 0xff] {
        let request: Request = vec![
            ("traceparent", TP.to_vec()),
            ("tracestate", vec![b'a', b'=', byte]),
        ];
        let extracted = extract_request(&request);
        assert_eq!(
            extracted.tracestate_error().map(|e| (e.kind(), e.offset())),
            Some((ErrorKind::Value, 2))
        );
    }

    // A header name that is not UTF-8 is not traceparent (rule T1): no parent at all.
    let pairs: [(&[u8], &[u8]); 1] = [(b"trace\xffparent", TP)];
    assert!(matches!(tracecontext::extract(&pairs), Extracted::Missing));
}
