//! Oracles for the `tracecontext` fuzz targets.
//!
//! Each `check_*` function takes the raw fuzzer input and panics when the crate
//! disagrees with a round trip, an invariant, or a slow reference implementation
//! written from SPEC.md ([`model`]). The libFuzzer targets in `fuzz_targets/` call
//! them, and so does the `replay` binary, which runs the committed corpus on stable
//! Rust.

pub mod model;
pub mod ops;
pub mod seeds;

use tracecontext::{Error, TraceParent, TraceState, TraceStateView, Validation};

use model::{Member, Model};
use ops::Op;
pub use ops::OpsInput;

/// An oracle: panics when the crate misbehaves on this input.
pub type Check = fn(&[u8]);

/// The fuzz targets, in the order `replay` runs them.
pub const TARGETS: &[(&str, Check)] = &[
    ("traceparent", check_traceparent),
    ("tracestate", check_tracestate),
    ("tracestate_ops", check_tracestate_ops),
    ("propagation", check_propagation),
    ("sampling", check_sampling),
];

/// Checks an error's offset, header and message.
fn check_error(e: &Error, input_len: usize, header: &str) {
    assert!(
        e.offset() <= input_len,
        "error offset {} past the input ({input_len} bytes): {e}",
        e.offset()
    );
    assert_eq!(e.kind().header(), header, "{e}");
    let msg = e.to_string();
    assert!(msg.starts_with(&format!("{header}: ")), "{msg}");
    assert!(msg.ends_with(&format!(" at byte {}", e.offset())), "{msg}");
}

/// `traceparent`: arbitrary bytes.
///
/// - parse agrees with [`model::traceparent`] (same verdict, same fields);
/// - on success, `encode` is 55 bytes of version `00`, equals `Display`, and parses
///   back to the same value with the reserved flag bits cleared (T5, T8); the value
///   surrounded by spaces and tabs parses the same (T6);
/// - on failure, the offset is within the input and the message is well formed;
/// - the `&str` entry points agree with `parse`.
pub fn check_traceparent(data: &[u8]) {
    let parsed = TraceParent::parse(data);
    match (&parsed, model::traceparent(data)) {
        (Ok(tp), Some((trace, parent, flags))) => {
            assert_eq!(tp.trace_id().to_u128(), trace);
            assert_eq!(tp.parent_id().to_u64(), parent);
            assert_eq!(tp.flags().bits(), flags);
            let enc = tp.encode();
            assert_eq!(enc.len(), TraceParent::LEN);
            assert!(enc.starts_with("00-"), "{enc}");
            assert_eq!(enc.as_str(), tp.to_string());
            let back = TraceParent::parse(enc.as_bytes()).expect("encode() re-parses");
            assert_eq!(back, tp.with_flags(tp.flags().known()));
            assert_eq!(back.flags().reserved(), 0);
            assert_eq!(back.encode(), enc);
            let padded = format!(" \t{enc}\t ");
            assert_eq!(TraceParent::parse(padded.as_bytes()), Ok(back));
        }
        (Err(e), None) => check_error(e, data.len(), "traceparent"),
        (got, want) => panic!("parse gave {got:?}, the reference {want:x?}"),
    }
    assert_eq!(TraceParent::try_from(data), parsed);
    if let Ok(s) = std::str::from_utf8(data) {
        assert_eq!(s.parse::<TraceParent>(), parsed);
        assert_eq!(TraceParent::try_from(s), parsed);
    }
}

fn view_members<'a, I>(view: &TraceStateView<'a, I>) -> Vec<Member>
where
    I: Iterator<Item = &'a [u8]> + Clone,
{
    view.iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn owned_members<const CAP: usize>(state: &TraceState<CAP>) -> Vec<Member> {
    state
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Invariants of any owned state: the encoding matches the members, fits, re-parses
/// to the same state, and `get` returns the left-most value.
fn check_owned<const CAP: usize>(state: &TraceState<CAP>) {
    let members = owned_members(state);
    assert_eq!(state.len(), members.len());
    assert!(state.len() <= model::MAX_MEMBERS);
    assert_eq!(state.is_empty(), members.is_empty());
    assert_eq!(state.as_str(), model::encode(&members));
    assert_eq!(state.as_bytes(), state.as_str().as_bytes());
    assert_eq!(state.encoded_len(), state.as_str().len());
    assert!(state.encoded_len() <= CAP);
    assert_eq!(state.to_string(), state.as_str());
    let again = TraceState::<CAP>::parse(state.as_bytes()).expect("as_str() re-parses");
    assert_eq!(&again, state);
    let view = TraceStateView::parse(state.as_bytes()).expect("as_str() is a valid view");
    assert_eq!(view_members(&view), members);
    for (k, _) in &members {
        let first = members
            .iter()
            .find(|(k2, _)| k2 == k)
            .map(|(_, v)| v.as_str());
        assert_eq!(state.get(k), first);
    }
}

/// One list given as `fields`: every oracle of the `tracestate` target.
fn check_list(fields: &[&[u8]]) {
    let joined = fields.join(&b","[..]);
    let fields_iter = || fields.iter().copied();

    // The view agrees with the reference, field by field or joined (S2).
    let view = TraceStateView::parse(&joined);
    let view_fields = TraceStateView::parse_fields(fields_iter());
    let reference = model::tracestate(&joined, true);
    match (&view, &reference) {
        (Ok(v), Ok(want)) => {
            assert_eq!(&view_members(v), want);
            assert_eq!(v.len(), want.len());
            assert_eq!(v.to_string(), model::encode(want));
            for (k, _) in want {
                let first = want.iter().find(|(k2, _)| k2 == k).map(|(_, v)| v.as_str());
                assert_eq!(v.get(k), first);
            }
            let fv = view_fields
                .as_ref()
                .expect("fields parse like the joined list");
            assert_eq!(&view_members(fv), want);
            assert!(fv == v);
        }
        (Err(e), Err(refusal)) => {
            check_error(e, joined.len(), "tracestate");
            assert_eq!(e.member(), Some(refusal.member), "{e}: {refusal:?}");
            assert!(
                (refusal.start..=refusal.end).contains(&e.offset()),
                "{e}: offset outside the member, {refusal:?}"
            );
            assert_eq!(view_fields.as_ref().err(), Some(e));
        }
        (got, want) => panic!("view gave {got:?}, the reference {want:?}"),
    }

    // The owned form agrees with the view; it cuts by S9 only when over capacity.
    let owned = TraceState::<512>::parse_fields(fields_iter());
    assert_eq!(TraceState::<512>::parse(&joined), owned);
    let small = TraceState::<64>::parse_fields(fields_iter());
    match (&reference, &owned, &small) {
        (Ok(want), Ok(o), Ok(s)) => {
            check_owned(o);
            check_owned(s);
            if model::encoded_len(want) <= 512 {
                assert_eq!(&owned_members(o), want);
            }
            assert_eq!(owned_members(o), Model::parsed(want.clone(), 512).members);
            assert_eq!(owned_members(s), Model::parsed(want.clone(), 64).members);
        }
        (Err(_), Err(a), Err(b)) => {
            let e = view.as_ref().expect_err("the view refused too");
            assert_eq!((a, b), (e, e));
        }
        (want, a, b) => panic!("reference {want:?}, owned {a:?}, small {b:?}"),
    }

    // Lenient never errors, keeps exactly the valid members, each of which a
    // strict parse of that member alone accepts.
    let lenient = TraceStateView::parse_fields_with(fields_iter(), Validation::Lenient)
        .expect("lenient parsing never fails");
    assert_eq!(lenient.validation(), Validation::Lenient);
    let kept = view_members(&lenient);
    assert_eq!(Ok(kept.clone()), model::tracestate(&joined, false));
    for (k, v) in &kept {
        let one = format!("{k}={v}");
        let alone = TraceStateView::parse(one.as_bytes()).expect("a kept member is valid");
        assert_eq!(view_members(&alone), [(k.clone(), v.clone())]);
    }
    if let Ok(want) = &reference {
        assert_eq!(&kept, want);
    }
    let lenient_owned = TraceState::<512>::parse_fields_with(fields_iter(), Validation::Lenient)
        .expect("lenient parsing never fails");
    check_owned(&lenient_owned);
    assert_eq!(
        owned_members(&lenient_owned),
        Model::parsed(kept, 512).members
    );
}

/// A split position derived from the input, so that one input also checks one
/// arbitrary two-field split.
fn split_point(data: &[u8]) -> usize {
    let h = data.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    h as usize % (data.len() + 1)
}

/// `tracestate`: arbitrary bytes, read as one field; as several fields split at each
/// `\n` (so corpus files can hold one field per line); and as two fields split at a
/// position derived from the input. For each:
///
/// - the view agrees with [`model::tracestate`] (same members; on error the same
///   member number and an offset inside that member);
/// - `parse_fields(pieces)` equals `parse(pieces joined with ',')` (S2);
/// - the owned `TraceState::<512>` (and `::<64>`) agrees with the view: the same
///   error, the same members when they fit, otherwise the S9 cut of them; its
///   encoding re-parses to an equal state;
/// - lenient parsing never errors and keeps exactly the members that are valid on
///   their own.
pub fn check_tracestate(data: &[u8]) {
    check_list(&[data]);
    if data.contains(&b'\n') {
        let lines: Vec<&[u8]> = data.split(|&c| c == b'\n').collect();
        check_list(&lines);
    }
    let (a, b) = data.split_at(split_point(data));
    check_list(&[a, b]);
}

/// Runs `ops` on a `TraceState::<CAP>` parsed from `header` and on a [`Model`],
/// asserting that they agree after every step.
fn run_ops<const CAP: usize>(header: &[u8], ops: &[Op]) {
    let (mut state, mut model) = match (
        TraceStateView::parse(header),
        TraceState::<CAP>::parse(header),
    ) {
        (Ok(view), Ok(state)) => (state, Model::parsed(view_members(&view), CAP)),
        (Err(a), Err(b)) => {
            assert_eq!(a, b);
            (TraceState::<CAP>::new(), Model::parsed(Vec::new(), CAP))
        }
        (a, b) => panic!("view {a:?}, owned {b:?}"),
    };
    let agree = |state: &TraceState<CAP>, model: &Model, step: &dyn std::fmt::Debug| {
        assert_eq!(
            owned_members(state),
            model.members,
            "CAP {CAP}, after {step:?}"
        );
        check_owned(state);
    };
    agree(&state, &model, &"parse");
    for op in ops {
        match op {
            Op::Insert { key, value } => {
                let (k, v) = (key.text(), value.text());
                let got = state.insert(&k, &v);
                if let Err(e) = &got {
                    check_error(e, k.len().max(v.len()), "tracestate");
                }
                assert_eq!(
                    got.map_err(|e| e.kind()),
                    model.insert(&k, &v),
                    "CAP {CAP}, insert({k:?}, {v:?})"
                );
            }
            Op::Remove { key } => {
                let k = key.text();
                assert_eq!(
                    state.remove(&k),
                    model.remove(&k),
                    "CAP {CAP}, remove({k:?})"
                );
            }
            Op::Truncate { limit } => {
                let limit = usize::from(*limit) % 640;
                state.truncate(limit);
                model.truncate(limit);
                assert!(state.encoded_len() <= limit);
            }
            Op::Get { key } => {
                let k = key.text();
                assert_eq!(state.get(&k), model.get(&k), "CAP {CAP}, get({k:?})");
            }
        }
        agree(&state, &model, op);
        let copy = state.clone();
        assert_eq!(copy, state);
    }
}

/// `tracestate_ops`: the input, read by `arbitrary` as an [`OpsInput`], is a header
/// and a list of operations, run on `TraceState::<512>` and `TraceState::<100>`
/// against the `Vec` [`Model`] of S5, S7, S8 and S9.
pub fn check_tracestate_ops(data: &[u8]) {
    if let Some(input) = OpsInput::decode(data) {
        check_ops_input(&input);
    }
}

/// [`check_tracestate_ops`] on an already decoded input.
pub fn check_ops_input(input: &OpsInput) {
    let header = input.header.bytes();
    run_ops::<512>(&header, &input.ops);
    run_ops::<100>(&header, &input.ops);
}

/// Splits fuzzer input into a request's header fields: one `name:value` per line
/// (a line without `:` is a name with an empty value).
fn header_lines(data: &[u8]) -> Vec<(&[u8], &[u8])> {
    data.split(|&b| b == b'\n')
        .map(|line| match line.iter().position(|&b| b == b':') {
            Some(at) => (&line[..at], &line[at + 1..]),
            None => (line, &line[..0]),
        })
        .collect()
}

/// The values of header `name` (any case), in order.
fn values<'a>(fields: &[(&[u8], &'a [u8])], name: &str) -> Vec<&'a [u8]> {
    fields
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, v)| *v)
        .collect()
}

/// `propagation`: a request as `name:value` lines.
///
/// - `extract` restarts on no traceparent (T10) and on two or more (T7), and else
///   agrees with `TraceParent::parse` of the one field (T9);
/// - a continued trace forwards exactly the members of the joined tracestate fields
///   (S2), or none with the strict parser's error (S6);
/// - child, inject into a fixed array and extract again gives the same trace-id,
///   the new span-id, the known flags and the same members (T11, S10);
/// - the same bytes read as a `server-timing` value never panic, and a `trace`
///   metric found there survives a round trip (R1).
pub fn check_propagation(data: &[u8]) {
    use tracecontext::{Extracted, SpanId, response};

    let fields = header_lines(data);
    let traceparents = values(&fields, "traceparent");
    let extracted = tracecontext::extract(&fields);
    match (traceparents.as_slice(), &extracted) {
        ([], Extracted::Missing) => {}
        ([_, _, ..], Extracted::Invalid(e)) => {
            assert_eq!(e.kind(), tracecontext::ErrorKind::Duplicate)
        }
        ([one], Extracted::Invalid(e)) => assert_eq!(TraceParent::parse(one), Err(*e)),
        (
            [one],
            Extracted::Continued {
                parent,
                tracestate_error,
            },
        ) => {
            assert_eq!(TraceParent::parse(one), Ok(parent.traceparent()));
            let states = values(&fields, "tracestate");
            let reference = TraceStateView::parse_fields(states.iter().copied());
            match (&reference, tracestate_error) {
                (Err(want), Some(got)) => {
                    assert_eq!(want, got);
                    assert_eq!(parent.tracestate(), "");
                }
                (Ok(view), None) => {
                    let forwarded = TraceStateView::parse(parent.tracestate().as_bytes())
                        .expect("a forwarded tracestate is valid");
                    // The members joined with single commas: what fits in 512 bytes.
                    let joined: usize = view.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
                    if joined <= 513 || states.len() == 1 {
                        assert!(forwarded.iter().eq(view.iter()), "members differ");
                    } else {
                        // Joined into 512 bytes and cut by S9: a subsequence.
                        let mut all = view.iter();
                        for kept in forwarded.iter() {
                            assert!(all.any(|m| m == kept), "{kept:?} not in the input");
                        }
                    }
                }
                (reference, got) => panic!("tracestate: reference {reference:?}, extract {got:?}"),
            }
            // Round trip through a fixed carrier.
            let span = SpanId::from_u64(0x5399_5c3f_42cd_8ad8).unwrap();
            let child = parent.child(span);
            let headers = child.headers();
            let mut carrier = [("", ""); 2];
            headers.inject(&mut carrier).expect("two slots are enough");
            assert_eq!(
                carrier[1].0.is_empty(),
                child.tracestate().is_empty(),
                "S10"
            );
            let again = tracecontext::extract(&carrier);
            let again = again.parent().expect("what we inject extracts");
            assert_eq!(again.trace_id(), parent.trace_id());
            assert_eq!(again.span_id(), span);
            assert_eq!(again.flags(), parent.flags().known());
            assert_eq!(again.tracestate(), child.tracestate());
        }
        (fields, outcome) => panic!("{} traceparent fields gave {outcome}", fields.len()),
    }

    if let Ok(Some(tp)) = response::parse_server_timing(data) {
        let metric = response::server_timing(&tp);
        assert_eq!(
            response::parse_server_timing(metric.as_bytes()),
            Ok(Some(tp.with_flags(tp.flags().known())))
        );
    }
}

/// `sampling`: any bytes as an `ot` value and as a tracestate.
///
/// - `OtValue::parse` agrees with a split-based reading of P1–P3 on the verdict and
///   on `th` and `rv`;
/// - setting `th` then re-parsing gives that `th`, the same `rv` and the other
///   sub-keys in order; erasing it leaves no `th` (P1, P6);
/// - a probability decision on a tracestate read from the bytes leaves a valid
///   tracestate whose `ot` member, if any, parses, with `th` present exactly when
///   the decision sampled (P6).
pub fn check_sampling(data: &[u8]) {
    use tracecontext::sampling::{OtValue, Parent, Probability, Sampler, Threshold};

    if let Ok(text) = std::str::from_utf8(data) {
        let parsed = OtValue::parse(text);
        assert_eq!(
            parsed.is_ok(),
            model::ot_is_valid(text),
            "{text:?}: {parsed:?}"
        );
        if let Ok(ot) = parsed {
            let mut buf = [0u8; 256];
            let th = Threshold::from_value(0x00c0_ffee_0000_00).unwrap();
            if let Ok(set) = ot.with_threshold(Some(th), &mut buf) {
                let again = OtValue::parse(set).expect("a set value parses");
                assert_eq!(again.threshold(), Some(th));
                assert_eq!(again.randomness(), ot.randomness());
            }
            let mut buf = [0u8; 256];
            let erased = ot
                .with_threshold(None, &mut buf)
                .expect("erasing never grows");
            if !erased.is_empty() {
                let again = OtValue::parse(erased).expect("an erased value parses");
                assert_eq!(again.threshold(), None);
                assert_eq!(again.randomness(), ot.randomness());
            }
        }
    }

    if let Ok(mut state) =
        TraceState::<512>::parse_fields_with(std::iter::once(data), Validation::Lenient)
    {
        let trace_id =
            tracecontext::TraceId::from_u128(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736).unwrap();
        let decision = Probability::new(0.25).decide(Parent::None, trace_id, &mut state);
        TraceStateView::parse(state.as_bytes()).expect("still a valid tracestate");
        if let Some(ot) = state.get("ot") {
            let ot = OtValue::parse(ot);
            if decision.error().is_none() {
                let ot = ot.expect("a written ot parses");
                assert_eq!(ot.threshold().is_some(), decision.sampled());
            }
        }
    }
}
