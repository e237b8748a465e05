//! Oracles for the `tracecontext` fuzz targets.
//!
//! Each `check_*` function takes the raw fuzzer input and panics when the crate
//! disagrees with a round trip, an invariant, or a slow reference implementation
//! written from the rules, `docs/RULES.md` ([`model`]). The libFuzzer targets in
//! `fuzz_targets/` call them, and so does the `replay` binary, which runs the
//! committed corpus on stable Rust.

mod baggage;
pub mod model;
pub mod ops;
pub mod seeds;

use std::hash::{Hash, Hasher};

use tracecontext::context::Storage;
use tracecontext::sampling::{Decision, OtValue, Sampler, Threshold};
use tracecontext::{
    Context, Error, ErrorKind, IdSource, SeededIds, SpanId, TraceFlags, TraceId, TraceParent,
    TraceState, TraceStateView, Validation,
};

pub use baggage::check_baggage;
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
    ("baggage", check_baggage),
];

/// Checks an error's offset, header and message.
fn check_error(e: &Error, input_len: usize, header: &str) {
    assert!(
        e.offset() <= input_len,
        "error offset {} past the input ({input_len} bytes): {e}",
        e.offset()
    );
    assert_eq!(e.header(), header, "{e}");
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
    // The crate's limits are the rules' (S5, S9).
    assert_eq!(tracecontext::tracestate::MAX_MEMBERS, model::MAX_MEMBERS);
    assert_eq!(tracecontext::tracestate::LONG_MEMBER, model::LONG_MEMBER);
    assert_eq!(tracecontext::tracestate::MAX_KEY_LEN, 256);
    assert_eq!(tracecontext::tracestate::MAX_VALUE_LEN, 256);
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

/// A description for assertion messages, formatted only when one fails.
struct Lazy<F>(F);

impl<F: Fn(&mut std::fmt::Formatter<'_>) -> std::fmt::Result> std::fmt::Display for Lazy<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (self.0)(f)
    }
}

fn lazy<F: Fn(&mut std::fmt::Formatter<'_>) -> std::fmt::Result>(f: F) -> Lazy<F> {
    Lazy(f)
}

/// A 64-bit FNV-1a hash of the input, for values derived from it (seeds, flags,
/// thresholds, escapes).
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The low 56 bits of a trace-id: its randomness when there is no `rv` (P4).
fn low56(id: TraceId) -> u64 {
    id.to_u128() as u64 & model::MASK
}

fn hash_of(value: &impl Hash) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// The members of a context's tracestate.
fn context_members<S: Storage>(context: &Context<S>) -> Vec<Member> {
    view_members(&context.tracestate())
}

/// The `th` and `rv` of a well-formed `ot` value, read by the model.
fn model_th_rv(ot: Option<&str>) -> (Option<u64>, Option<u64>) {
    match ot.map(model::ot) {
        Some(Ok(items)) => (
            model::ot_get(&items, "th").map(|d| model::threshold(d).expect("valid th")),
            model::ot_get(&items, "rv").map(|d| model::randomness(d).expect("valid rv")),
        ),
        _ => (None, None),
    }
}

/// An ID source with a chosen promise about its trace-ids (T12) and, optionally,
/// fresh randomness for roots whose trace-ids are not random.
#[derive(Clone, Debug)]
struct Ids {
    seeded: SeededIds,
    random: bool,
    fresh: Option<u64>,
}

impl IdSource for Ids {
    fn trace_id(&mut self) -> TraceId {
        self.seeded.trace_id()
    }
    fn span_id(&mut self) -> SpanId {
        self.seeded.span_id()
    }
    fn random_trace_ids(&self) -> bool {
        self.random
    }
    fn randomness(&mut self) -> Option<u64> {
        self.fresh
    }
}

/// Threshold values of the P7 examples.
const TH_QUARTER: u64 = 0xc0_0000_0000_0000;
const TH_HALF: u64 = 0x80_0000_0000_0000;
const TH_ONE_PERCENT: u64 = 0xfd_70a0_0000_0000;

/// The stateless samplers the decision oracles run, each with the model's reading
/// of it. `own` are extra thresholds for probability samplers (derived from the
/// input, and on either side of the span's randomness).
fn samplers(own: &[u64]) -> Vec<(model::Sampler, Box<dyn Sampler>)> {
    use model::{Basic as B, Rule as R, Sampler as M};
    use tracecontext::sampling::{AlwaysOff, AlwaysOn, Configured, ParentBased, Probability, Rule};
    let th = |t: u64| Threshold::from_value(t).expect("a 56-bit threshold");
    let pb = |root: B, rules: [R; 4], trust_remote_th: bool| M::ParentBased {
        root,
        rules,
        trust_remote_th,
    };
    let follow = [R::Follow; 4];
    let mut out: Vec<(model::Sampler, Box<dyn Sampler>)> = vec![
        (M::Basic(B::On), Box::new(AlwaysOn)),
        (M::Basic(B::Off), Box::new(AlwaysOff)),
        (
            M::Basic(B::Probability(Some(TH_QUARTER))),
            Box::new(Probability::new(0.25)),
        ),
        (
            M::Basic(B::Probability(Some(TH_ONE_PERCENT))),
            Box::new(Probability::new(0.01)),
        ),
        (
            M::Basic(B::Probability(Some(0))),
            Box::new(Probability::new(1.0)),
        ),
        (
            M::Basic(B::Probability(None)),
            Box::new(Probability::new(0.0)),
        ),
        (
            pb(B::Probability(Some(TH_QUARTER)), follow, true),
            Box::new(ParentBased::new(Probability::new(0.25))),
        ),
        (
            pb(
                B::Probability(Some(TH_ONE_PERCENT)),
                [R::Root, R::Root, R::Follow, R::Follow],
                false,
            ),
            Box::new(ParentBased::untrusted(Probability::new(0.01))),
        ),
        (
            pb(
                B::Probability(Some(TH_HALF)),
                [R::On, R::Root, R::Off, R::On],
                true,
            ),
            Box::new(
                ParentBased::new(Probability::new(0.5))
                    .remote_sampled(Rule::On)
                    .remote_not_sampled(Rule::Root)
                    .local_sampled(Rule::Off)
                    .local_not_sampled(Rule::On),
            ),
        ),
        (
            pb(B::Probability(Some(TH_QUARTER)), follow, true),
            Box::new(
                Configured::parse("parentbased_traceidratio", Some("0.25"))
                    .expect("a valid configuration"),
            ),
        ),
        (
            M::Basic(B::Probability(Some(TH_HALF))),
            Box::new(Configured::parse("traceidratio", Some("0.5")).expect("valid")),
        ),
        (
            pb(B::Off, follow, true),
            Box::new(Configured::parse("parentbased_always_off", None).expect("valid")),
        ),
    ];
    for &t in own {
        out.push((
            M::Basic(B::Probability(Some(t))),
            Box::new(Probability::with_threshold(Some(th(t)))),
        ));
        out.push((
            pb(B::Probability(Some(t)), [R::Root; 4], false),
            Box::new(
                ParentBased::untrusted(Probability::with_threshold(Some(th(t))))
                    .local_sampled(Rule::Root)
                    .local_not_sampled(Rule::Root),
            ),
        ));
    }
    out
}

/// Thresholds on both sides of `r` (P5: sampled when `R >= T`), and one from `h`.
fn thresholds_around(r: u64, h: u64) -> Vec<u64> {
    let mut own = vec![r, h & model::MASK];
    if r < model::MASK {
        own.push(r + 1);
    }
    own
}

/// The oracles of a decision applied to a span (a child or a root) whose parent
/// forwarded `in_text` with `ot` member `in_ot`:
///
/// - the decision and the span's tracestate agree with [`model::decide`] and
///   [`model::ot_update`] (sampled flag, `th`, `rv`, error, and the members: the
///   same text byte for byte when `ot` is kept, else the S8/S9 model of setting or
///   removing `ot`);
/// - a span whose `ot` member is unchanged forwards the tracestate byte for byte;
/// - `Decision::threshold()` is the `th` of the forwarded `ot`, and `th` is there
///   only when the span is sampled (P6).
fn check_applied<S: Storage>(
    in_text: &str,
    in_ot: Option<&str>,
    span: &Context<S>,
    in_members: &[Member],
    decision: &Decision,
    want: &model::Decided,
    what: &dyn std::fmt::Display,
) {
    assert_eq!(decision.is_sampled(), want.sampled, "{what}: sampled");
    assert_eq!(span.is_sampled(), want.sampled, "{what}: the sampled flag");
    assert_eq!(
        decision.is_randomness_assumed(),
        want.assumed,
        "{what}: randomness assumed"
    );
    let out_text = span.tracestate().as_str();
    let out = TraceStateView::parse(out_text.as_bytes())
        .unwrap_or_else(|e| panic!("{what}: the tracestate is no longer valid: {e}"));
    let out_members = view_members(&out);
    assert_eq!(out_members, context_members(span), "{what}");
    let incoming = in_ot.map(model::ot);
    let in_error = incoming.as_ref().and_then(|r| r.as_ref().err().copied());
    let (in_th, _) = model_th_rv(in_ot);
    let outcome = model::ot_update(in_ot, want);
    let th_value = decision.threshold().map(Threshold::value);
    let error = decision.error();
    match &outcome {
        model::OtOutcome::Keep => {
            assert_eq!(out_text, in_text, "{what}: ot kept, tracestate changed");
            assert_eq!(th_value, want.th, "{what}: th");
        }
        model::OtOutcome::Refused => {
            assert_eq!(out_text, in_text, "{what}: a refused update changed it");
            assert_eq!(th_value, in_th, "{what}: a refused update keeps th");
            let e = error.unwrap_or_else(|| panic!("{what}: a refused update says so"));
            assert_eq!(e.kind(), ErrorKind::OtLength, "{what}: {e}");
            assert_eq!(decision.added_randomness(), None, "{what}");
        }
        model::OtOutcome::Set(value) => {
            let mut model = Model::parsed(in_members.to_vec(), 512);
            model.insert("ot", value).expect("a valid ot member fits");
            assert_eq!(out_members, model.members, "{what}: ot set to {value:?}");
            assert_eq!(th_value, want.th, "{what}: th");
        }
        model::OtOutcome::Remove => {
            let mut model = Model::parsed(in_members.to_vec(), 512);
            model.remove("ot");
            assert_eq!(out_members, model.members, "{what}: ot removed");
            assert_eq!(th_value, want.th, "{what}: th");
        }
    }
    if outcome != model::OtOutcome::Refused {
        assert_eq!(
            error.map(|e| (e.kind(), e.offset())),
            in_error,
            "{what}: the decision's error"
        );
        assert_eq!(decision.added_randomness(), want.rv, "{what}: rv");
    }
    if let Some(e) = &error {
        check_error(e, in_ot.map_or(0, str::len).max(256), "tracestate ot");
    }
    let out_ot = out.get("ot");
    if out_ot == in_ot {
        assert_eq!(
            out_text, in_text,
            "{what}: ot unchanged, tracestate rewritten"
        );
    }
    let out_th = out_ot.and_then(|v| {
        OtValue::parse(v)
            .unwrap_or_else(|e| panic!("{what}: the forwarded ot {v:?} does not parse: {e}"))
            .threshold()
    });
    assert_eq!(
        decision.threshold(),
        out_th,
        "{what}: Decision::threshold() is not the forwarded th"
    );
    assert!(
        decision.threshold().is_none() || decision.is_sampled(),
        "{what}: th on a span that is not sampled (P6)"
    );
}

/// The owned forms of a context: `into_owned` keeps the headers exactly (equal
/// across storages, same hash), `into_inline` keeps the members, cut by S9.
fn check_owned_forms<S: Storage + Clone>(context: &Context<S>) {
    let owned: Context = context.clone().into_owned();
    assert!(owned == *context, "into_owned: {owned:?} != {context:?}");
    assert!(*context == owned);
    assert_eq!(owned.headers(), context.headers(), "into_owned headers");
    assert_eq!(
        hash_of(&owned),
        hash_of(context),
        "equal contexts, same hash"
    );
    assert_eq!(owned.clone(), owned);
    assert_eq!(owned.is_remote(), context.is_remote());
    assert_eq!(owned.parent_span_id(), context.parent_span_id());
    let members = context_members(context);
    let inline = context.clone().into_inline::<512>();
    let cut = Model::parsed(members.clone(), 512).members;
    assert_eq!(context_members(&inline), cut, "into_inline members");
    assert_eq!(
        inline.headers().traceparent(),
        context.headers().traceparent()
    );
    if context.tracestate().as_str() == model::encode(&members) && cut == members {
        assert!(inline == *context, "into_inline: {inline:?} != {context:?}");
    }
}

/// `traceparent` text for the IDs and flags, formatted here (T2, T5, T8).
fn expected_traceparent(trace: TraceId, span: SpanId, flags: TraceFlags) -> String {
    format!(
        "00-{:032x}-{:016x}-{:02x}",
        trace.to_u128(),
        span.to_u64(),
        flags.bits() & 0x03
    )
}

/// Decided children of `parent`, for every sampler: T11 (same trace-id and random
/// flag, a new span-id, the sampled flag as decided), [`check_applied`] and
/// [`check_owned_forms`].
fn check_decided<S: Storage + Clone>(parent: &Context<S>, seed: u64) {
    let in_text = parent.tracestate().as_str();
    let in_ot = parent.tracestate().get("ot");
    let in_members = context_members(parent);
    let first = std::cell::Cell::new(true);
    let (th, rv) = model_th_rv(in_ot);
    let span = model::Span {
        parent: Some((parent.is_remote(), parent.is_sampled())),
        th,
        rv,
        low: low56(parent.trace_id()),
        random: parent.is_random(),
        fresh: None,
    };
    let mut own = thresholds_around(rv.unwrap_or(span.low), seed);
    own.extend(th);
    let one = |model_sampler: &model::Sampler, sampler: &dyn Sampler| {
        let mut ids = SeededIds::new(seed);
        let span_id = ids.clone().span_id();
        let (child, decision) = parent.child_decided(&mut ids, sampler);
        let what = lazy(|f| write!(f, "{model_sampler:?} below {parent:?}"));
        assert_eq!(child.trace_id(), parent.trace_id(), "{what}: T11");
        assert_eq!(child.span_id(), span_id, "{what}");
        assert_eq!(child.parent_span_id(), Some(parent.span_id()), "{what}");
        assert!(!child.is_remote(), "{what}");
        assert_eq!(
            child.flags(),
            parent.flags().with_sampled(decision.is_sampled()),
            "{what}: only the sampled flag may change (T11)"
        );
        assert_eq!(
            child.headers().traceparent(),
            expected_traceparent(child.trace_id(), span_id, child.flags()),
            "{what}"
        );
        let want = model::decide(model_sampler, &span);
        check_applied(in_text, in_ot, &child, &in_members, &decision, &want, &what);
        // The owned forms of a tracestate the decision rewrote, and of one kept.
        if child.tracestate().as_str() != in_text || first.replace(false) {
            check_owned_forms(&child);
        }
    };
    for (model_sampler, sampler) in samplers(&own) {
        one(&model_sampler, &*sampler);
    }
    // A rate limit of one a second with a stopped clock: one decision, then none.
    let limiter = tracecontext::sampling::RateLimited::new(1, 1, || 0u64);
    one(&model::Sampler::Rate(true), &limiter);
    one(&model::Sampler::Rate(false), &limiter);
}

/// New traces from `ids`, for every sampler: the IDs and flags from the source
/// (T12), the decision and the tracestate by the model ([`check_applied`]), the
/// inline root equal to the shared one.
fn check_roots(ids: &Ids) {
    let mut copy = ids.clone();
    let trace = copy.trace_id();
    let span_id = copy.span_id();
    let span = model::Span {
        parent: None,
        th: None,
        rv: None,
        low: low56(trace),
        random: ids.random,
        fresh: ids.fresh,
    };
    let one = |model_sampler: &model::Sampler, sampler: &dyn Sampler| {
        let (root, decision) = Context::root(&mut ids.clone(), sampler);
        let what = lazy(|f| write!(f, "{model_sampler:?} for a root from {ids:?}"));
        assert_eq!(root.trace_id(), trace, "{what}");
        assert_eq!(root.span_id(), span_id, "{what}");
        assert_eq!(root.parent_span_id(), None, "{what}");
        assert!(!root.is_remote(), "{what}");
        assert_eq!(
            root.flags(),
            TraceFlags::NONE
                .with_random(ids.random)
                .with_sampled(decision.is_sampled()),
            "{what}: T12"
        );
        let want = model::decide(model_sampler, &span);
        check_applied("", None, &root, &[], &decision, &want, &what);
        check_owned_forms(&root);
        root
    };
    let own = thresholds_around(span.low, fnv(&trace.to_bytes()));
    for (model_sampler, sampler) in samplers(&own) {
        let root = one(&model_sampler, &*sampler);
        let (inline, decision) =
            tracecontext::InlineContext::<64>::root_inline(&mut ids.clone(), &*sampler);
        assert!(inline == root, "{model_sampler:?}: {inline:?} != {root:?}");
        assert_eq!(Some(decision), root_decision(&root, &*sampler, ids));
    }
    let limiter = tracecontext::sampling::RateLimited::new(1, 1, || 0u64);
    one(&model::Sampler::Rate(true), &limiter);
    one(&model::Sampler::Rate(false), &limiter);
}

/// The decision a root gets again from the same source and sampler.
fn root_decision(root: &Context, sampler: &dyn Sampler, ids: &Ids) -> Option<Decision> {
    let (again, decision) = Context::root(&mut ids.clone(), sampler);
    (again == *root).then_some(decision)
}

/// The `server-timing` oracles for a desc text: the metric `trace;desc=<desc>`,
/// quoted with backslash escapes where `escapes` says (and before every `"` and
/// `\`), after other metrics, reads as `TraceParent::parse(desc)` does: the same
/// traceparent, or the same error kind about `server-timing` at the byte of the
/// header that holds the bad character (R1). Unquoted when `desc` is a token.
fn check_desc(desc: &[u8], escapes: u64) {
    let want = TraceParent::parse(desc);
    let prefixes: [&[u8]; 3] = [
        b"",
        b"db;dur=53, ",
        b"cache;desc=\"a,trace;desc=b\";dur=1 , ",
    ];
    let expect = |value: &[u8], pos: &[usize]| {
        let got = tracecontext::response::parse_server_timing(value);
        let what = lazy(|f| write!(f, "server-timing \"{}\"", value.escape_ascii()));
        match (&got, &want) {
            (Ok(Some(got)), Ok(want)) => assert_eq!(got, want, "{what}"),
            (Err(got), Err(want)) => {
                assert_eq!(got.kind(), want.kind(), "{what}: {got} vs {want}");
                assert_eq!(got.header(), "server-timing", "{what}: {got}");
                assert_eq!(
                    got.offset(),
                    pos[want.offset()],
                    "{what}: {got}, want the byte holding desc byte {} ({want})",
                    want.offset()
                );
                check_error(got, value.len(), "server-timing");
            }
            _ => panic!("{what}: got {got:?}, the desc alone gives {want:?}"),
        }
    };
    for prefix in prefixes {
        for bits in [escapes, 0, u64::MAX] {
            let mut value = prefix.to_vec();
            value.extend_from_slice(b"trace;desc=\"");
            let mut pos = Vec::new();
            for (i, &c) in desc.iter().enumerate() {
                if c == b'"' || c == b'\\' || bits >> (i % 64) & 1 == 1 {
                    value.push(b'\\');
                }
                pos.push(value.len());
                value.push(c);
            }
            pos.push(value.len());
            value.push(b'"');
            expect(&value, &pos);
        }
        let tchar = |c: &u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(c);
        if !desc.is_empty() && desc.iter().all(tchar) {
            let mut value = prefix.to_vec();
            value.extend_from_slice(b"trace;desc=");
            let pos: Vec<usize> = (0..=desc.len()).map(|i| value.len() + i).collect();
            value.extend_from_slice(desc);
            expect(&value, &pos);
        }
    }
}

/// The response side (R1, R2) for the input read as a `server-timing` value, and for
/// `desc` as the traceparent a server returns.
fn check_response(data: &[u8], desc: &[u8]) {
    use tracecontext::response;

    let parsed = response::parse_server_timing(data);
    match &parsed {
        Ok(Some(tp)) => {
            let metric = response::server_timing(tp);
            assert_eq!(
                response::parse_server_timing(metric.as_bytes()),
                Ok(Some(tp.with_flags(tp.flags().known())))
            );
        }
        Ok(None) => {}
        Err(e) => check_error(e, data.len(), "server-timing"),
    }
    let one = [("Server-Timing", data)];
    assert_eq!(response::extract(&one), parsed, "one server-timing field");
    check_desc(desc, fnv(desc));
    // A legacy traceresponse (R2): the traceparent grammar, once.
    let legacy = [("traceresponse", desc)];
    match (response::extract(&legacy), TraceParent::parse(desc)) {
        (Ok(got), Ok(want)) => assert_eq!(got, Some(want)),
        (Err(got), Err(want)) => {
            assert_eq!((got.kind(), got.offset()), (want.kind(), want.offset()));
            check_error(&got, desc.len(), "traceresponse");
        }
        (got, want) => panic!("traceresponse gave {got:?}, the parser {want:?}"),
    }
    let twice = [("traceresponse", desc), ("TraceResponse", desc)];
    let e = response::extract(&twice).expect_err("two traceresponse fields");
    assert_eq!(
        (e.kind(), e.header()),
        (ErrorKind::Duplicate, "traceresponse")
    );
    assert_eq!(
        e.to_string(),
        "traceresponse: more than one traceresponse field"
    );
}

/// `propagation`: a request as `name:value` lines.
///
/// - `extract` restarts on no traceparent (T10) and on two or more (T7), and else
///   agrees with `TraceParent::parse` of the one field (T9); a slice, a `Vec` and a
///   `&dyn Extractor` read the same;
/// - a continued trace forwards one `tracestate` field exactly as received (less
///   the whitespace around it), several fields as the joined members cut by S9
///   (S2), or none with the strict parser's error (S6);
/// - a child keeps the trace-id, flags and tracestate byte for byte with the new
///   span-id (T11); injected into a fixed array, a `Vec` and a map holding stale
///   entries and extracted again, it gives the same headers (S10);
/// - decided children and new roots agree with the sampling model for every
///   sampler ([`check_decided`], [`check_roots`]): an unchanged `ot` forwards the
///   tracestate byte for byte, `Decision::threshold()` is the forwarded `th`, `th`
///   only when sampled; `child_or_root` is `child_decided` or `Context::root`;
/// - `into_owned` keeps the headers exactly, across storages;
/// - the same bytes read as a `server-timing` value: a `trace` metric found there
///   survives a round trip, an error names `server-timing`; the traceparent field
///   as a quoted, escaped `desc` reads like the field itself, errors pointing at
///   the right byte of the header (R1); as a `traceresponse`, likewise (R2).
pub fn check_propagation(data: &[u8]) {
    use tracecontext::{Extracted, Extractor};

    let seed = fnv(data);
    let fields = header_lines(data);
    let traceparents = values(&fields, "traceparent");
    let extracted = tracecontext::extract(&fields);

    // Every form of the carrier reads the same.
    let slice = fields.as_slice();
    let dynamic: &dyn Extractor<'_> = &slice;
    let again = tracecontext::extract(dynamic);
    assert!(again.parent() == extracted.parent(), "&dyn Extractor");
    assert_eq!(again.traceparent_error(), extracted.traceparent_error());
    assert_eq!(again.tracestate_error(), extracted.tracestate_error());
    assert_eq!(
        Extractor::first_value(&slice, "traceparent"),
        traceparents.first().copied()
    );

    let sampler =
        tracecontext::sampling::ParentBased::new(tracecontext::sampling::Probability::new(0.25));
    let (hop, hop_decision) = extracted.child_or_root(&mut SeededIds::new(seed), &sampler);
    match (traceparents.as_slice(), &extracted) {
        ([], Extracted::Missing)
        | ([_, _, ..], Extracted::Invalid(_))
        | ([_], Extracted::Invalid(_)) => {
            match (&extracted, traceparents.as_slice()) {
                (Extracted::Invalid(e), [_, _, ..]) => {
                    assert_eq!(
                        (e.kind(), e.header()),
                        (ErrorKind::Duplicate, "traceparent")
                    );
                    assert_eq!(
                        e.to_string(),
                        "traceparent: more than one traceparent field"
                    );
                }
                (Extracted::Invalid(e), [one]) => assert_eq!(TraceParent::parse(one), Err(*e)),
                _ => {}
            }
            assert!(extracted.parent().is_none());
            // A restart: a new root, the incoming tracestate not even read (T9, T10).
            let (root, decision) = Context::root(&mut SeededIds::new(seed), &sampler);
            assert!(hop == root, "child_or_root without a parent is a root");
            assert_eq!(hop_decision, decision);
            check_owned_forms(&hop);
        }
        (
            [one],
            Extracted::Continued {
                parent,
                tracestate_error,
            },
        ) => {
            assert_eq!(TraceParent::parse(one), Ok(parent.traceparent()));
            assert!(parent.is_remote());
            assert_eq!(parent.parent_span_id(), None);
            let states = values(&fields, "tracestate");
            let reference = TraceStateView::parse_fields(states.iter().copied());
            let forwarded = parent.tracestate();
            match (&reference, tracestate_error) {
                (Err(want), Some(got)) => {
                    assert_eq!(want, got);
                    assert_eq!(forwarded.as_str(), "");
                }
                (Ok(view), None) => {
                    TraceStateView::parse(forwarded.as_bytes())
                        .expect("a forwarded tracestate is valid");
                    if let [field] = states.as_slice() {
                        // One field goes on as it came, less the OWS around it.
                        let want = if view.is_empty() {
                            &b""[..]
                        } else {
                            model::trim_ows(field).1
                        };
                        assert_eq!(forwarded.as_bytes(), want, "one field, verbatim");
                    } else {
                        // Joined (S2) and cut to 512 bytes by S9, written anew.
                        let want = Model::parsed(view_members(view), 512).members;
                        assert_eq!(view_members(&forwarded), want, "joined fields");
                        assert_eq!(forwarded.as_str(), model::encode(&want));
                    }
                }
                (reference, got) => panic!("tracestate: reference {reference:?}, extract {got:?}"),
            }
            assert_eq!(
                parent.headers().tracestate().is_none(),
                forwarded.as_str().is_empty()
            );
            check_owned_forms(parent);

            // A child: a new span-id, everything else as it came.
            let span = SpanId::from_u64(0x5399_5c3f_42cd_8ad8).unwrap();
            let child = parent.child_with_span_id(span);
            let mut ids = SeededIds::new(seed);
            let next = ids.clone().span_id();
            assert!(parent.child(&mut ids) == parent.child_with_span_id(next));
            assert_eq!(child.trace_id(), parent.trace_id());
            assert_eq!(child.span_id(), span);
            assert_eq!(child.flags(), parent.flags());
            assert_eq!(child.parent_span_id(), Some(parent.span_id()));
            assert!(!child.is_remote());
            assert_eq!(
                child.tracestate().as_str(),
                forwarded.as_str(),
                "byte for byte"
            );
            let headers = child.headers();
            assert_eq!(
                headers.traceparent(),
                expected_traceparent(parent.trace_id(), span, parent.flags())
            );
            check_owned_forms(&child);

            // Round trips through carriers.
            let mut carrier = [("", ""); 2];
            child.inject(&mut carrier).expect("two slots are enough");
            assert_eq!(carrier[0], ("traceparent", headers.traceparent()));
            let second = headers.tracestate().map_or(("", ""), |t| ("tracestate", t));
            assert_eq!(carrier[1], second, "S10");
            let pairs: Vec<_> = headers.into_iter().collect();
            assert_eq!(
                pairs,
                carrier
                    .iter()
                    .copied()
                    .filter(|(k, _)| !k.is_empty())
                    .collect::<Vec<_>>()
            );
            let back = tracecontext::extract(&carrier);
            let back = back.parent().expect("what we inject extracts");
            assert_eq!(back.trace_id(), parent.trace_id());
            assert_eq!(back.span_id(), span);
            assert_eq!(back.flags(), parent.flags().known());
            assert_eq!(back.tracestate().as_str(), child.tracestate().as_str());
            assert_eq!(back.headers(), child.headers());

            let mut list: Vec<(String, String)> = [
                ("TraceParent", "stale"),
                ("other", "kept"),
                ("TRACESTATE", "stale=1"),
                ("traceparent", "stale"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .to_vec();
            child.inject(&mut list).expect("a Vec takes anything");
            let back = tracecontext::extract(&list);
            let back = back.parent().expect("what we inject extracts");
            assert_eq!(
                back.headers(),
                child.headers(),
                "through a Vec with stale entries"
            );
            assert!(list.contains(&("other".to_owned(), "kept".to_owned())));
            let mut map = std::collections::BTreeMap::from([
                ("TraceState".to_owned(), "stale=1".to_owned()),
                ("Traceparent".to_owned(), "stale".to_owned()),
            ]);
            child.inject(&mut map).expect("a map takes anything");
            assert_eq!(map.len(), 1 + usize::from(headers.tracestate().is_some()));
            let back = tracecontext::extract(&map);
            let back = back.parent().expect("what we inject extracts");
            assert_eq!(
                back.headers(),
                child.headers(),
                "through a map with stale entries"
            );

            // The response side of this context.
            let metric = child.server_timing();
            assert_eq!(
                tracecontext::response::parse_server_timing(metric.as_bytes()),
                Ok(Some(child.traceparent().with_flags(child.flags().known())))
            );

            // Decisions.
            let (decided, decision) = parent.child_decided(&mut SeededIds::new(seed), &sampler);
            assert!(hop == decided, "child_or_root is child_decided");
            assert_eq!(hop_decision, decision);
            check_decided(parent, seed);
        }
        (fields, outcome) => panic!("{} traceparent fields gave {outcome}", fields.len()),
    }
    if traceparents.is_empty() || seed % 4 == 0 {
        check_roots(&Ids {
            seeded: SeededIds::new(seed),
            random: seed & 0x10 == 0,
            fresh: (seed & 0x20 == 0).then_some(seed.rotate_left(17)),
        });
    }

    let desc = traceparents
        .first()
        .copied()
        .unwrap_or_else(|| data.split(|&b| b == b'\n').next().unwrap_or_default());
    check_response(data, desc);
}

/// `OtValue` against the model's reading of P1–P3: the verdict, the error's kind
/// and offset, the sub-keys in order (`iter`, `get`), `th` and `rv`; setting `th`
/// (in place, else first) and erasing it give exactly the model's text, or an
/// `OtLength` error exactly when that text is over 256 characters.
fn check_ot_value(text: &str) {
    let parsed = OtValue::parse(text);
    let ot = match (&parsed, model::ot(text)) {
        (Ok(ot), Ok(items)) => {
            assert_eq!(ot.as_str(), text);
            assert_eq!(ot.to_string(), text);
            let got: model::OtItems = ot
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            assert_eq!(got, items, "{text:?}: OtValue::iter()");
            for (k, v) in &items {
                assert_eq!(ot.get(k), Some(v.as_str()), "{text:?}: get({k:?})");
            }
            assert_eq!(ot.get("zz9"), model::ot_get(&items, "zz9"));
            let (th, rv) = model_th_rv(Some(text));
            assert_eq!(ot.threshold().map(Threshold::value), th, "{text:?}: th");
            assert_eq!(ot.randomness(), rv, "{text:?}: rv");
            let h = fnv(text.as_bytes());
            let mut values = vec![0x00_c0ff_ee00_0000, 0, model::MASK, h & model::MASK];
            values.push((h >> 8) & 0xff << 48);
            values.extend(th);
            for t in values {
                let threshold = Threshold::from_value(t).expect("56 bits");
                let want = model::ot_encode(&model::ot_with(&items, Some(t), None));
                match ot.with_threshold(Some(threshold)) {
                    Ok(set) => {
                        assert_eq!(set.as_str(), want, "{text:?}: th set to {t:x}");
                        assert_eq!(set.as_bytes(), want.as_bytes());
                        let again = OtValue::parse(&set).expect("a set value parses");
                        assert_eq!(again.threshold(), Some(threshold));
                        assert_eq!(again.randomness(), ot.randomness());
                    }
                    Err(e) => {
                        assert!(want.len() > 256, "{text:?}: th {t:x} refused: {e}");
                        assert_eq!(e.kind(), ErrorKind::OtLength, "{e}");
                        check_error(&e, 256, "tracestate ot");
                    }
                }
            }
            let erased = ot.with_threshold(None).expect("erasing never grows");
            let want = model::ot_encode(&model::ot_with(&items, None, None));
            assert_eq!(erased.as_str(), want, "{text:?}: th erased");
            if !erased.is_empty() {
                let again = OtValue::parse(&erased).expect("an erased value parses");
                assert_eq!(again.threshold(), None);
                assert_eq!(again.randomness(), ot.randomness());
            }
            Some(*ot)
        }
        (Err(e), Err((kind, offset))) => {
            assert_eq!((e.kind(), e.offset()), (kind, offset), "{text:?}: {e}");
            check_error(e, text.len(), "tracestate ot");
            None
        }
        (got, want) => panic!("{text:?}: OtValue::parse gave {got:?}, the model {want:?}"),
    };

    // What a sampler is told about this value.
    use tracecontext::sampling::{Input, Parent, Randomness};
    let trace_id = TraceId::from_u128(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736).unwrap();
    let low = low56(trace_id);
    for flags in [TraceFlags::SAMPLED, TraceFlags::RANDOM] {
        for parent in [Parent::Remote(flags), Parent::Local(flags)] {
            let input = Input::child(parent, trace_id, Some(text));
            assert_eq!(input.parent(), parent);
            assert_eq!(input.trace_id(), trace_id);
            assert_eq!(input.ot(), ot.as_ref());
            assert_eq!(input.ot_error(), parsed.err());
            assert_eq!(input.threshold(), ot.and_then(|ot| ot.threshold()));
            let randomness = match ot.and_then(|ot| ot.randomness()) {
                Some(rv) => Randomness::Explicit(rv),
                None if flags.is_random() => Randomness::TraceId(low),
                None => Randomness::UnflaggedTraceId(low),
            };
            assert_eq!(input.randomness(), randomness, "P4");
            let blind = input.ignoring_parent();
            assert_eq!(blind.parent(), Parent::None);
            assert_eq!(blind.threshold(), None);
            assert_eq!(blind.randomness(), randomness);
            assert_eq!(blind.ot().map(OtValue::as_str), ot.map(|ot| ot.as_str()));
            assert_eq!(blind.ot_error(), input.ot_error());
        }
    }
    // A new trace's randomness: its trace-id's when random, else fresh bits when
    // offered (P4).
    let fresh = fnv(text.as_bytes());
    for random in [true, false] {
        let input = Input::root(trace_id, random);
        assert_eq!(input.parent(), Parent::None);
        let plain = if random {
            Randomness::TraceId(low)
        } else {
            Randomness::UnflaggedTraceId(low)
        };
        assert_eq!(input.randomness(), plain);
        let offered = input.with_fresh_randomness(fresh).randomness();
        if random {
            assert_eq!(offered, plain);
        } else {
            assert_eq!(offered, Randomness::Fresh(fresh & model::MASK));
        }
    }
}

/// `Threshold::parse` against the model's P2 reading, and the P2 encoding.
fn check_threshold_text(text: &str) {
    match (Threshold::parse(text), model::threshold(text)) {
        (Ok(t), Ok(want)) => {
            assert_eq!(t.value(), want, "{text:?}");
            let digits = model::threshold_digits(want);
            assert_eq!(t.encode().as_str(), digits);
            assert_eq!(t.to_string(), digits);
            assert_eq!(format!("{t:?}"), format!("Threshold(th:{digits})"));
            assert_eq!(Threshold::parse(&t.encode()), Ok(t));
            assert_eq!(Threshold::from_value(want), Some(t));
            // P5: sampled exactly when R >= T.
            assert!(t.samples(want));
            assert!(want.checked_sub(1).is_none_or(|r| !t.samples(r)));
        }
        (Err(e), Err(offset)) => {
            assert_eq!(
                (e.kind(), e.offset()),
                (ErrorKind::Threshold, offset),
                "{text:?}: {e}"
            );
            check_error(&e, text.len(), "tracestate ot");
        }
        (got, want) => panic!("{text:?}: Threshold::parse gave {got:?}, the model {want:?}"),
    }
}

/// `sampling`: any bytes as an `ot` value, as a `th` value, and as a tracestate.
///
/// - `OtValue::parse` agrees with a split-based reading of P1–P3 on the verdict,
///   the error's kind and offset, and on the sub-keys (`iter()` yields exactly the
///   model's, in order), `th` and `rv`; the `Input` a sampler is told agrees;
/// - setting `th` gives exactly the model's text (in place, else first, the other
///   sub-keys in order), or `OtLength` exactly when that is over 256 characters;
///   re-parsing gives that `th` and the same `rv`; erasing leaves none (P1, P6);
/// - `Threshold::parse` and `encode` agree with P2;
/// - parents whose tracestate is the bytes read leniently, or holds the bytes as
///   its `ot` value (local, remote, and remote through a lenient extraction: the
///   three storages), and a new root from a source with random trace-ids, with
///   fresh randomness, or with neither: every sampler's decision agrees with the model of P4–P6
///   and P9, keeps the tracestate valid, carries `th` only when sampled (exactly
///   when sampled, for a probability), forwards the tracestate byte for byte when
///   `ot` is unchanged, and `Decision::threshold()` is the forwarded `th`
///   ([`check_applied`]).
pub fn check_sampling(data: &[u8]) {
    use tracecontext::Extracted;

    if let Ok(text) = std::str::from_utf8(data) {
        check_ot_value(text);
        check_threshold_text(text);
    }

    let h = fnv(data);
    let trace_id = TraceId::from_u128(u128::from(h) << 64 | u128::from(h.rotate_left(29)) | 1)
        .expect("not zero");
    let span_id = SpanId::from_u64(h.rotate_left(7) | 1).expect("not zero");
    let flags = TraceFlags::from_bits((h >> 40) as u8 & 0x03);
    let lenient = TraceState::<512>::parse_fields_with(std::iter::once(data), Validation::Lenient)
        .expect("lenient parsing never fails");
    let mut states = vec![lenient];
    if let Ok(text) = std::str::from_utf8(data) {
        let mut state = TraceState::<512>::new();
        if state.insert("rojo", "00f067aa0ba902b7").is_ok() && state.insert("ot", text).is_ok() {
            states.push(state);
        }
    }
    // Each storage of the tracestate: shared (a local parent), borrowed text (a
    // remote parent with one valid field), inline (a lenient extraction).
    let traceparent = TraceParent::new(trace_id, span_id, flags).encode();
    for (i, state) in states.iter().enumerate() {
        if (h >> i) & 1 == 0 {
            let mut local = Context::new(trace_id, span_id, flags);
            local.edit_tracestate(|s| *s = state.clone());
            assert_eq!(local.tracestate().as_str(), state.as_str());
            check_decided(&local, h);
        } else {
            let carrier = [
                ("traceparent", traceparent.as_bytes()),
                ("tracestate", state.as_bytes()),
            ];
            let extracted = tracecontext::extract(&carrier);
            let remote = extracted.parent().expect("a valid traceparent");
            assert_eq!(remote.tracestate().as_str(), state.as_str());
            check_decided(remote, h);
        }
    }
    let carrier = [
        ("traceparent", traceparent.as_bytes()),
        ("tracestate", data),
    ];
    let extracted = Extracted::from_carrier(&carrier, Validation::Lenient);
    let remote = extracted.parent().expect("a valid traceparent");
    assert_eq!(remote.tracestate().as_str(), states[0].as_str());
    check_decided(remote, h);

    // A new trace, from a source with random trace-ids, or with fresh randomness
    // instead, or with neither.
    let (random, fresh) = match (h >> 44) % 3 {
        0 => (true, None),
        1 => (false, Some(h.rotate_left(3))),
        _ => (false, None),
    };
    check_roots(&Ids {
        seeded: SeededIds::new(h),
        random,
        fresh,
    });
}
