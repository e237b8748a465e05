//! Property tests (proptest): round trips, the fast parsers against slow reference
//! parsers written straight from the rules (`docs/RULES.md`), and the owned
//! `TraceState` against a `Vec` model of rules S5, S7, S8 and S9.

use proptest::prelude::*;
use proptest::sample::select;
mod common;

use common::*;
use tracecontext::{
    Error, ErrorKind, SpanId, TraceFlags, TraceId, TraceParent, TraceState, TraceStateView,
    Validation,
};

// ---------------------------------------------------------------------------------
// Checks shared by the properties.
// ---------------------------------------------------------------------------------

fn tp_tuple(tp: &TraceParent) -> RefTp {
    (
        tp.trace_id().to_u128(),
        tp.parent_id().to_u64(),
        tp.flags().bits(),
    )
}

fn show(b: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(b))
}

fn check_error(e: &Error, input_len: usize, header: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        e.offset() <= input_len,
        "offset {} > len {}: {e}",
        e.offset(),
        input_len
    );
    prop_assert_eq!(e.header(), header);
    Ok(())
}

fn check_traceparent(input: &[u8]) -> Result<(), TestCaseError> {
    let got = TraceParent::parse(input);
    let want = ref_traceparent(input);
    prop_assert_eq!(
        got.as_ref().ok().map(tp_tuple),
        want,
        "input {} gave {:?}",
        show(input),
        got
    );
    match got {
        Ok(tp) => {
            // Version 00 out, reserved flag bits cleared (T5, T8).
            let (t, p, f) = want.unwrap();
            let expect = format!("00-{t:032x}-{p:016x}-{:02x}", f & 0x03);
            prop_assert_eq!(&*tp.encode(), expect.as_str());
        }
        Err(e) => check_error(&e, input.len(), "traceparent")?,
    }
    Ok(())
}

fn check_ids(input: &[u8]) -> Result<(), TestCaseError> {
    let got = TraceId::parse(input);
    prop_assert_eq!(
        got.as_ref().ok().map(|id| id.to_u128()),
        ref_id(input, 32),
        "TraceId {}",
        show(input)
    );
    if let Err(e) = got {
        prop_assert_eq!(e.kind(), ErrorKind::TraceId);
        check_error(&e, input.len(), "traceparent")?;
    }
    let got = SpanId::parse(input);
    prop_assert_eq!(
        got.as_ref().ok().map(|id| u128::from(id.to_u64())),
        ref_id(input, 16),
        "SpanId {}",
        show(input)
    );
    if let Err(e) = got {
        prop_assert_eq!(e.kind(), ErrorKind::ParentId);
        check_error(&e, input.len(), "traceparent")?;
    }
    Ok(())
}

fn left_most<'m>(members: &'m [(String, String)], key: &str) -> Option<&'m str> {
    members
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Compares an owned state with the model, member by member.
fn check_state<const CAP: usize>(
    state: &TraceState<CAP>,
    model: &[(String, String)],
    keys: &[&str],
) -> Result<(), TestCaseError> {
    prop_assert_eq!(state_members(state), model.to_vec());
    prop_assert_eq!(state.len(), model.len());
    prop_assert_eq!(state.is_empty(), model.is_empty());
    let joined = ref_join(model);
    prop_assert_eq!(state.as_str(), joined.as_str());
    prop_assert_eq!(state.encoded_len(), joined.len());
    prop_assert!(state.encoded_len() <= CAP);
    for key in keys {
        prop_assert_eq!(state.get(key), left_most(model, key), "get({})", key);
    }
    for (k, _) in model {
        prop_assert_eq!(state.get(k), left_most(model, k), "get({})", k);
    }
    Ok(())
}

fn check_tracestate(input: &[u8]) -> Result<(), TestCaseError> {
    let want = ref_tracestate(input);
    let view = TraceStateView::parse(input);
    match (&view, &want) {
        (Ok(view), Some(want)) => {
            prop_assert_eq!(&view_members(view), want, "input {}", show(input));
            prop_assert_eq!(view.len(), want.len());
            for (k, _) in want {
                prop_assert_eq!(view.get(k), left_most(want, k));
            }
            prop_assert_eq!(view.get("absent-key"), left_most(want, "absent-key"));
            prop_assert_eq!(view.to_string(), ref_join(want));
        }
        (Err(e), None) => check_error(e, input.len(), "tracestate")?,
        _ => prop_assert!(
            false,
            "view: input {} gave {:?}, reference {:?}",
            show(input),
            view.as_ref().map(view_members),
            want
        ),
    }

    // The owned form accepts exactly the same lists, cut by S9 when too big.
    let owned = TraceState::<512>::parse(input);
    match (&owned, &want) {
        (Ok(state), Some(want)) => {
            let mut model = want.clone();
            ref_cut(&mut model, 512, None);
            if ref_join(want).len() <= 512 {
                prop_assert_eq!(&model, want);
            }
            check_state(state, &model, &[])?;
        }
        (Err(e), None) => check_error(e, input.len(), "tracestate")?,
        _ => prop_assert!(
            false,
            "owned: input {} gave {:?}, reference {:?}",
            show(input),
            owned,
            want
        ),
    }

    // Lenient: the valid members, at most 32, never an error.
    let lenient = TraceStateView::parse_fields_with([input], Validation::Lenient);
    prop_assert!(lenient.is_ok());
    prop_assert_eq!(
        view_members(&lenient.unwrap()),
        ref_tracestate_lenient(input),
        "lenient: input {}",
        show(input)
    );
    Ok(())
}

/// The default number of cases, with no regression files written next to the
/// tests (failures are kept as plain `#[test]`s instead).
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------
// Generators.
// ---------------------------------------------------------------------------------

/// Non-zero IDs, biased towards ones with many zero digits (so that one mutation
/// can make them all-zero, T4).
fn trace_id_value() -> impl Strategy<Value = u128> {
    prop_oneof![
        1u128..=0xff,
        (0u32..128).prop_map(|s| 1u128 << s),
        1u128..=u128::MAX,
    ]
}

fn span_id_value() -> impl Strategy<Value = u64> {
    prop_oneof![
        1u64..=0xff,
        (0u32..64).prop_map(|s| 1u64 << s),
        1u64..=u64::MAX
    ]
}

fn ows() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(select(&b" \t"[..]), 0..3)
}

/// A valid traceparent value, possibly a future version with a suffix, possibly
/// with whitespace around it.
fn valid_traceparent() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![3 => Just(0u8), 1 => 1u8..=0xfe],
        trace_id_value(),
        span_id_value(),
        any::<u8>(),
        prop::option::of(prop::collection::vec(0x20u8..0x7f, 0..12)),
        ows(),
        ows(),
    )
        .prop_map(|(version, t, p, f, suffix, lead, trail)| {
            let mut out = lead;
            out.extend_from_slice(format!("{version:02x}-{t:032x}-{p:016x}-{f:02x}").as_bytes());
            if version != 0 {
                if let Some(suffix) = suffix {
                    out.push(b'-');
                    out.extend(suffix);
                }
            }
            out.extend(trail);
            out
        })
}

/// Bytes that matter to the parsers, and sometimes any byte.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        4 => select(&b"0123456789abcdefABCDEFgG- \t.x,=@_*/\0\x7f"[..]),
        1 => select(&[0x80u8, 0xc3, 0xff][..]),
        1 => any::<u8>(),
    ]
}

#[derive(Clone, Debug)]
enum Mutation {
    Replace(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Version([u8; 2]),
    Append(Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), interesting_byte()).prop_map(|(i, b)| Mutation::Replace(i, b)),
        2 => (any::<usize>(), interesting_byte()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        2 => any::<usize>().prop_map(Mutation::Delete),
        1 => prop_oneof![
            Just(*b"ff"),
            Just(*b"00"),
            prop::array::uniform2(select(&b"0123456789abcdefF"[..])),
        ]
        .prop_map(Mutation::Version),
        1 => prop::collection::vec(interesting_byte(), 0..6).prop_map(Mutation::Append),
    ]
}

fn apply(mut s: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        match m {
            Mutation::Replace(i, b) if !s.is_empty() => {
                let n = s.len();
                s[i % n] = *b;
            }
            Mutation::Insert(i, b) => s.insert(i % (s.len() + 1), *b),
            Mutation::Delete(i) if !s.is_empty() => {
                let n = s.len();
                s.remove(i % n);
            }
            Mutation::Version(v) => {
                // The version sits after any leading whitespace.
                let at = s.iter().position(|&c| c != b' ' && c != b'\t');
                if let Some(at) = at.filter(|&at| at + 2 <= s.len()) {
                    s[at..at + 2].copy_from_slice(v);
                }
            }
            Mutation::Append(tail) => s.extend_from_slice(tail),
            _ => {}
        }
    }
    s
}

const POOL: &[&str] = &[
    "a",
    "b",
    "congo",
    "rojo",
    "t0",
    "vendor@tenant",
    "x_y-z*/w",
    "k9",
];

fn value_char() -> impl Strategy<Value = u8> {
    let chars: Vec<u8> = (0x20u8..0x7f)
        .filter(|c| *c != b',' && *c != b'=')
        .collect();
    select(chars)
}

/// A valid S4 value of `len` bytes.
fn valid_value(len: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(value_char(), len).prop_map(|mut v| {
        if let Some(last) = v.last_mut() {
            if *last == b' ' {
                *last = b'v';
            }
        }
        String::from_utf8(v).unwrap()
    })
}

/// A value of varied length: mostly short, sometimes over the 128-byte S9 line.
fn varied_value() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => valid_value(1..=8),
        2 => valid_value(20..=60),
        2 => valid_value(120..=256),
    ]
}

fn valid_key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(POOL).prop_map(str::to_owned),
        2 => "[a-z0-9][a-z0-9_*/@-]{0,12}",
        1 => "[a-z0-9][a-z0-9_*/@-]{250,255}",
    ]
}

/// One member's text: valid, invalid in one of many ways, or empty.
fn member_text() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => (valid_key(), varied_value()).prop_map(|(k, v)| format!("{k}={v}")),
        1 => Just(String::new()),
        1 => Just(" \t ".to_owned()),
        1 => prop_oneof![
            Just("FOO=1".to_owned()),
            Just("foo =1".to_owned()),
            Just("foo.bar=1".to_owned()),
            Just("@foo=1".to_owned()),
            Just("_foo=1".to_owned()),
            Just("foo=bar=baz".to_owned()),
            Just("foo=".to_owned()),
            Just("foo= ".to_owned()),
            Just("foo".to_owned()),
            Just("=1".to_owned()),
            Just("foo=a\tb".to_owned()),
            Just("foo=\u{e9}".to_owned()),
            Just("foo=\x7f".to_owned()),
            Just(format!("k={}", "v".repeat(257))),
            Just(format!("{}=1", "k".repeat(257))),
        ],
        1 => prop::collection::vec(interesting_byte(), 1..8)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

/// A tracestate list: members with random whitespace around them.
fn tracestate_list() -> impl Strategy<Value = Vec<u8>> {
    let member = || {
        (ows(), member_text(), ows()).prop_map(|(a, m, b)| {
            let mut out = a;
            out.extend_from_slice(m.as_bytes());
            out.extend(b);
            out
        })
    };
    prop_oneof![
        prop::collection::vec(member(), 0..8),
        prop::collection::vec(member(), 28..38),
    ]
    .prop_map(|members| members.join(&b","[..]))
}

/// A key from the pool, or one of 40 numbered keys (so 33 distinct keys happen, S5).
fn model_key() -> impl Strategy<Value = String> {
    prop_oneof![
        select(POOL).prop_map(str::to_owned),
        (0u8..40).prop_map(|n| format!("n{n}")),
    ]
}

/// A strictly valid list (possibly with duplicate keys), used to start models from.
fn valid_list() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((ows(), model_key(), varied_value(), ows()), 0..=32).prop_map(|members| {
        let members: Vec<Vec<u8>> = members
            .into_iter()
            .map(|(a, k, v, b)| {
                let mut out = a;
                out.extend_from_slice(format!("{k}={v}").as_bytes());
                out.extend(b);
                out
            })
            .collect();
        members.join(&b","[..])
    })
}

/// 28 to 32 distinct numbered keys with short values: a nearly full state, so that
/// inserting new keys reaches the 33-member limit (S5).
fn nearly_full_list() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(valid_value(1..=4), 28..=32).prop_map(|values| {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("n{}={v}", 39 - i))
            .collect::<Vec<_>>()
            .join(",")
            .into_bytes()
    })
}

// ---------------------------------------------------------------------------------
// traceparent
// ---------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn traceparent_round_trips(t in trace_id_value(), p in span_id_value(), f in 0u8..=0x03) {
        let tp = TraceParent::new(
            TraceId::from_u128(t).unwrap(),
            SpanId::from_u64(p).unwrap(),
            TraceFlags::from_bits(f),
        );
        let text = tp.encode();
        prop_assert_eq!(TraceParent::parse(text.as_bytes()), Ok(tp));
        prop_assert_eq!(text.parse::<TraceParent>(), Ok(tp));
        prop_assert_eq!(tp.to_string(), &*text);
    }

    #[test]
    fn traceparent_encodes_version_00_and_known_flags(s in valid_traceparent()) {
        let tp = TraceParent::parse(&s);
        prop_assert!(tp.is_ok(), "{} gave {:?}", show(&s), tp);
        let (t, p, f) = ref_traceparent(&s).unwrap();
        let expect = format!("00-{t:032x}-{p:016x}-{:02x}", f & 0x03);
        let tp = tp.unwrap();
        prop_assert_eq!(&*tp.encode(), expect.as_str());
        prop_assert_eq!(tp.flags().bits(), f);
        // And the re-encoded header parses back to the same IDs with known flags.
        let again = TraceParent::parse(tp.encode().as_bytes()).unwrap();
        prop_assert_eq!(again, tp.with_flags(tp.flags().known()));
    }

    #[test]
    fn traceparent_agrees_with_reference_on_arbitrary_bytes(
        s in prop::collection::vec(any::<u8>(), 0..80),
    ) {
        check_traceparent(&s)?;
    }

    #[test]
    fn traceparent_agrees_with_reference_on_small_alphabet(
        s in prop::collection::vec(select(&b"0123456789abcdefABCDEF- \t.x\0"[..]), 50..60),
    ) {
        check_traceparent(&s)?;
    }

    #[test]
    fn traceparent_agrees_with_reference_on_mutations(
        s in valid_traceparent(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        check_traceparent(&s)?;
        check_traceparent(&apply(s, &mutations))?;
    }

    #[test]
    fn ids_agree_with_reference(
        s in prop_oneof![
            prop::collection::vec(select(&b"0123456789abcdefABCDEFg- \0"[..]), 0..40),
            prop::collection::vec(any::<u8>(), 0..40),
        ],
    ) {
        check_ids(&s)?;
    }

    #[test]
    fn ids_agree_with_reference_on_mutations(
        t in trace_id_value(),
        p in span_id_value(),
        mutations in prop::collection::vec(mutation(), 0..3),
    ) {
        let trace = format!("{t:032x}").into_bytes();
        let span = format!("{p:016x}").into_bytes();
        check_ids(&trace)?;
        check_ids(&span)?;
        check_ids(&apply(trace, &mutations))?;
        check_ids(&apply(span, &mutations))?;
    }

    #[test]
    fn ids_round_trip(t in trace_id_value(), p in span_id_value()) {
        let trace = TraceId::from_u128(t).unwrap();
        let span = SpanId::from_u64(p).unwrap();
        prop_assert_eq!(TraceId::parse(trace.encode().as_bytes()), Ok(trace));
        prop_assert_eq!(SpanId::parse(span.encode().as_bytes()), Ok(span));
        prop_assert_eq!(TraceId::from_bytes(trace.to_bytes()), Some(trace));
        prop_assert_eq!(SpanId::from_bytes(span.to_bytes()), Some(span));
        prop_assert_eq!(trace.to_string(), format!("{t:032x}"));
        prop_assert_eq!(span.to_string(), format!("{p:016x}"));
    }
}

// ---------------------------------------------------------------------------------
// tracestate parsing
// ---------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn tracestate_agrees_with_reference_on_lists(s in tracestate_list()) {
        check_tracestate(&s)?;
    }

    #[test]
    fn tracestate_agrees_with_reference_on_valid_lists(s in valid_list()) {
        prop_assert!(ref_tracestate(&s).is_some());
        check_tracestate(&s)?;
    }

    #[test]
    fn tracestate_agrees_with_reference_on_arbitrary_bytes(
        s in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            prop::collection::vec(select(&b"az09_-*/@=, \tAZ.\x7f\x80"[..]), 0..64),
        ],
    ) {
        check_tracestate(&s)?;
    }

    #[test]
    fn tracestate_agrees_with_reference_on_mutations(
        s in valid_list(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        check_tracestate(&apply(s, &mutations))?;
    }

    #[test]
    fn parse_fields_equals_parse_of_joined(
        fields in prop::collection::vec(
            prop_oneof![3 => valid_list(), 1 => tracestate_list()],
            0..5,
        ),
    ) {
        let joined = fields.join(&b","[..]);
        let iter = fields.iter().map(Vec::as_slice);
        let multi = TraceStateView::parse_fields(iter.clone());
        let single = TraceStateView::parse(&joined);
        match (&multi, &single) {
            (Ok(m), Ok(s)) => {
                prop_assert_eq!(view_members(m), view_members(s));
                prop_assert_eq!(m.len(), s.len());
            }
            // Offsets count through the fields as if joined (S2).
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            _ => prop_assert!(false, "fields {:?} vs joined {:?}", multi.map(|_| ()), single.map(|_| ())),
        }
        let owned_multi = TraceState::<512>::parse_fields(iter.clone());
        let owned_single = TraceState::<512>::parse(&joined);
        prop_assert_eq!(owned_multi, owned_single);
        let lenient_multi = TraceStateView::parse_fields_with(iter, Validation::Lenient).unwrap();
        let lenient_single = TraceStateView::parse_fields_with([&joined[..]], Validation::Lenient).unwrap();
        prop_assert_eq!(view_members(&lenient_multi), view_members(&lenient_single));
        prop_assert_eq!(view_members(&lenient_multi), ref_tracestate_lenient(&joined));
    }

    #[test]
    fn tracestate_round_trips_after_inserts(
        inserts in prop::collection::vec((valid_key(), varied_value()), 0..40),
    ) {
        let mut state = TraceState::<512>::new();
        for (k, v) in &inserts {
            let r = state.insert(k, v);
            if k.len() + 1 + v.len() <= 512 {
                prop_assert!(r.is_ok());
            } else {
                prop_assert_eq!(r.map_err(|e| e.kind()), Err(ErrorKind::Capacity));
            }
        }
        let again = TraceState::<512>::parse(state.as_bytes()).unwrap();
        prop_assert_eq!(&again, &state);
        prop_assert_eq!(state_members(&again), state_members(&state));
        let view = TraceStateView::parse(state.as_bytes()).unwrap();
        prop_assert_eq!(view_members(&view), state_members(&state));
        let mut buf = [0u8; 512];
        let n = state.encode_into(&mut buf).unwrap();
        prop_assert_eq!(&buf[..n], state.as_bytes());
        prop_assert_eq!(TraceState::<512>::from(&view), state);
    }
}

// ---------------------------------------------------------------------------------
// The owned TraceState against a Vec model.
// ---------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Op {
    /// A key from the pool (index) and a valid value.
    Insert(usize, String),
    /// Any key and value, possibly invalid.
    InsertRaw(String, String),
    /// One of 40 numbered keys with a short value (fills up to 32 members).
    InsertNumbered(u8, String),
    Remove(usize),
    Truncate(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let raw_key = prop_oneof![
        valid_key(),
        Just("Bad".to_owned()),
        Just(String::new()),
        Just("_x".to_owned()),
        Just("a b".to_owned()),
        Just("k".repeat(257)),
    ];
    let raw_value = prop_oneof![
        varied_value(),
        Just(String::new()),
        Just("trailing ".to_owned()),
        Just("  leading".to_owned()),
        Just("a,b".to_owned()),
        Just("a=b".to_owned()),
        Just("tab\there".to_owned()),
        Just("v".repeat(257)),
    ];
    prop_oneof![
        8 => (0..POOL.len(), varied_value()).prop_map(|(k, v)| Op::Insert(k, v)),
        2 => (raw_key, raw_value).prop_map(|(k, v)| Op::InsertRaw(k, v)),
        6 => (0u8..40, valid_value(1..=4)).prop_map(|(k, v)| Op::InsertNumbered(k, v)),
        3 => (0..POOL.len()).prop_map(Op::Remove),
        1 => (0usize..600).prop_map(Op::Truncate),
    ]
}

/// The model's insert: validation (S4), capacity, S7, S8, S5, S9.
fn model_insert(model: &mut Members, key: &str, value: &str, cap: usize) -> Result<(), ErrorKind> {
    if !ref_key_ok(key.as_bytes()) {
        return Err(ErrorKind::Key);
    }
    if !ref_value_ok(value.as_bytes()) {
        return Err(ErrorKind::Value);
    }
    if key.len() + 1 + value.len() > cap {
        return Err(ErrorKind::Capacity);
    }
    ref_dedupe(model);
    model.retain(|(k, _)| k != key);
    model.insert(0, (key.to_owned(), value.to_owned()));
    if model.len() > 32 {
        model.pop();
    }
    ref_cut(model, cap, Some(0));
    Ok(())
}

fn run_model<const CAP: usize>(initial: Option<&[u8]>, ops: &[Op]) -> Result<(), TestCaseError> {
    let (mut state, mut model) = match initial {
        None => (TraceState::<CAP>::new(), Vec::new()),
        Some(list) => {
            let mut model = ref_tracestate(list).unwrap();
            ref_cut(&mut model, CAP, None);
            (TraceState::<CAP>::parse(list).unwrap(), model)
        }
    };
    check_state(&state, &model, POOL)?;
    for op in ops {
        match op {
            Op::Insert(k, v) => {
                let got = state.insert(POOL[*k], v).map_err(|e| e.kind());
                let want = model_insert(&mut model, POOL[*k], v, CAP);
                prop_assert_eq!(got, want, "{:?}", op);
            }
            Op::InsertNumbered(n, v) => {
                let k = format!("n{n}");
                let got = state.insert(&k, v).map_err(|e| e.kind());
                let want = model_insert(&mut model, &k, v, CAP);
                prop_assert_eq!(got, want, "{:?}", op);
            }
            Op::InsertRaw(k, v) => {
                let got = state.insert(k, v).map_err(|e| e.kind());
                let want = model_insert(&mut model, k, v, CAP);
                prop_assert_eq!(got, want, "{:?}", op);
            }
            Op::Remove(k) => {
                ref_dedupe(&mut model);
                let before = model.len();
                model.retain(|(mk, _)| mk != POOL[*k]);
                prop_assert_eq!(state.remove(POOL[*k]), model.len() < before);
            }
            Op::Truncate(limit) => {
                ref_dedupe(&mut model);
                ref_cut(&mut model, *limit, None);
                state.truncate(*limit);
            }
        }
        check_state(&state, &model, POOL)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn owned_state_matches_model_512(ops in prop::collection::vec(op(), 1..100)) {
        run_model::<512>(None, &ops)?;
    }

    #[test]
    fn owned_state_matches_model_96(ops in prop::collection::vec(op(), 1..60)) {
        run_model::<96>(None, &ops)?;
    }

    #[test]
    fn owned_state_from_parsed_duplicates_matches_model_512(
        list in valid_list(),
        ops in prop::collection::vec(op(), 0..20),
    ) {
        run_model::<512>(Some(&list), &ops)?;
    }

    #[test]
    fn owned_state_from_nearly_full_list_matches_model_512(
        list in nearly_full_list(),
        ops in prop::collection::vec(op(), 0..30),
    ) {
        run_model::<512>(Some(&list), &ops)?;
    }

    #[test]
    fn owned_state_from_parsed_duplicates_matches_model_96(
        list in valid_list(),
        ops in prop::collection::vec(op(), 0..20),
    ) {
        run_model::<96>(Some(&list), &ops)?;
    }
}

/// Duplicates survive parsing and lookups, then go at the first mutation (S7).
#[test]
fn duplicates_kept_until_first_mutation() {
    let mut state = TraceState::<512>::parse(b"a=1,b=2,a=3,b=4,c=5").unwrap();
    assert_eq!(state.len(), 5);
    assert_eq!(state.get("a"), Some("1"));
    assert_eq!(state.as_str(), "a=1,b=2,a=3,b=4,c=5");
    assert!(!state.remove("zzz"));
    assert_eq!(state.as_str(), "a=1,b=2,c=5");
}
