//! The public API's behaviour: trait impls, conversions, formatting, error messages,
//! flag bits, sizes, const parsing and the fixed-capacity tracestate.
//!
//! Rule numbers (T2, S4, P1, ...) are those of `docs/RULES.md`. Runs in every
//! feature set: the parts that need the `alloc` or `std` features of the library are
//! gated with `cfg` (the test crate itself always has `std`).

use std::collections::HashSet;
use std::collections::hash_map::DefaultHasher;
use std::fmt::{Debug, Display};
use std::hash::{Hash, Hasher};
use std::num::{NonZeroU64, NonZeroU128};

use tracecontext::context::{Borrowed, Storage};
use tracecontext::sampling::{
    AlwaysOff, AlwaysOn, Clock, Configured, Decision, Input, OtIter, OtUpdate, OtValue, Parent,
    ParentBased, Probability, Randomness, RateLimited, Rule, Sampler, Threshold,
};
use tracecontext::tracestate::{self, LONG_MEMBER, MAX_KEY_LEN, MAX_MEMBERS, MAX_VALUE_LEN};
use tracecontext::{
    Encoded, Error, ErrorKind, Extracted, Headers, IdSource, Injector, InlineContext, SeededIds,
    SpanId, TRACEPARENT, TRACESTATE, TraceFlags, TraceId, TraceParent, TraceState, TraceStateView,
    Validation, response,
};

const TP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN: &str = "00f067aa0ba902b7";

fn trace_id() -> TraceId {
    TraceId::from_u128(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736).unwrap()
}

fn span_id() -> SpanId {
    SpanId::from_u64(0x00f0_67aa_0ba9_02b7).unwrap()
}

fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

// ---------------------------------------------------------------------------------
// Trait bounds, checked at compile time.
// ---------------------------------------------------------------------------------

const fn owned<T: Send + Sync + 'static + ?Sized>() {}
const fn debug<T: Debug + ?Sized>() {}
const fn display<T: Display + ?Sized>() {}
const fn cloned<T: Clone>() {}
const fn copied<T: Copy>() {}
const fn defaulted<T: Default>() {}
const fn ordered<T: PartialOrd + Ord>() {}
/// Compared and hashed by value.
const fn eq_hash<T: PartialEq + Eq + Hash + ?Sized>() {}
/// Small `Copy` values: IDs, flags, errors, decisions, configuration.
const fn value_type<T: Debug + Clone + Copy + PartialEq + Eq + Hash + Send + Sync + 'static>() {}
/// Owned values that are not `Copy` (they hold a buffer or an `Arc`).
const fn owned_value<T: Debug + Clone + PartialEq + Eq + Hash + Send + Sync + 'static>() {}
const fn std_error<T: std::error::Error + Send + Sync + 'static>() {}
/// What a service shares between its threads: any sampler.
const fn shared_sampler<T: Sampler + Send + Sync + 'static + ?Sized>() {}
const fn any_sampler<T: Sampler + ?Sized>() {}
const fn id_source<T: IdSource + Send + Sync + 'static>() {}
const fn clock<T: Clock + Send + Sync + 'static>() {}
const fn iterator<T: Iterator + Clone + Debug + Send + Sync + 'static>() {}
const fn storage<T: Storage + Debug + Send + Sync>() {}

/// A clock as a plain function pointer (`RateLimited<fn() -> u64>`).
fn zero_clock() -> u64 {
    0
}

#[test]
fn public_types_are_send_sync_and_have_their_traits() {
    // Contexts (the hop form and the inline one; the `Shared` one below, with alloc).
    const _: () = {
        owned_value::<tracecontext::Context<Borrowed<'static>>>();
        owned_value::<InlineContext<64>>();
        owned_value::<InlineContext>();
        display::<tracecontext::Context<Borrowed<'static>>>();
        display::<InlineContext>();
        storage::<Borrowed<'static>>();
        storage::<TraceState<64>>();
        cloned::<Borrowed<'static>>();
        owned::<Borrowed<'static>>();
        // Extracted holds a context and errors: cloneable, not comparable.
        owned::<Extracted<'static>>();
        debug::<Extracted<'static>>();
        display::<Extracted<'static>>();
        cloned::<Extracted<'static>>();
        value_type::<Headers<'static>>();
        // `Values` is not here on purpose: it wraps a `&mut dyn FnMut` (the reader's
        // sink, which need not be Send), so it is neither Send nor Sync. It only
        // lives for one `get_all` call, never crosses a thread.
    };

    // Samplers: every one is Send + Sync, so one sampler serves every thread.
    const _: () = {
        value_type::<AlwaysOn>();
        value_type::<AlwaysOff>();
        defaulted::<AlwaysOn>();
        defaulted::<AlwaysOff>();
        value_type::<Probability>();
        value_type::<ParentBased<Probability>>();
        value_type::<ParentBased<AlwaysOn>>();
        defaulted::<ParentBased<AlwaysOn>>();
        value_type::<Configured>();
        defaulted::<Configured>();
        display::<Configured>();
        shared_sampler::<AlwaysOn>();
        shared_sampler::<AlwaysOff>();
        shared_sampler::<Probability>();
        shared_sampler::<ParentBased<Probability>>();
        shared_sampler::<ParentBased<RateLimited<fn() -> u64>>>();
        shared_sampler::<RateLimited<fn() -> u64>>();
        shared_sampler::<Configured>();
        shared_sampler::<&'static Configured>();
        shared_sampler::<dyn Sampler + Send + Sync>();
        debug::<RateLimited<fn() -> u64>>();
        clock::<fn() -> u64>();
        any_sampler::<dyn Sampler>();
        any_sampler::<&'static dyn Sampler>();
        // Sampling values.
        value_type::<Decision>();
        owned::<OtUpdate>();
        cloned::<OtUpdate>();
        debug::<OtUpdate>();
        value_type::<Parent>();
        value_type::<Randomness>();
        value_type::<Rule>();
        value_type::<Threshold>();
        ordered::<Threshold>();
        value_type::<OtValue<'static>>();
        display::<OtValue<'static>>();
        iterator::<OtIter<'static>>();
        // Input is a description, not a value to compare.
        copied::<Input<'static>>();
        debug::<Input<'static>>();
        owned::<Input<'static>>();
    };

    // Errors, IDs, traceparent, tracestate.
    const _: () = {
        value_type::<Error>();
        std_error::<Error>();
        value_type::<ErrorKind>();
        value_type::<Encoded<14>>();
        value_type::<Encoded<55>>();
        value_type::<Encoded<256>>();
        ordered::<Encoded<55>>();
        value_type::<TraceId>();
        value_type::<SpanId>();
        ordered::<TraceId>();
        ordered::<SpanId>();
        value_type::<TraceFlags>();
        defaulted::<TraceFlags>();
        value_type::<TraceParent>();
        value_type::<Validation>();
        defaulted::<Validation>();
        owned_value::<TraceState>();
        owned_value::<TraceState<64>>();
        defaulted::<TraceState>();
        defaulted::<TraceState<96>>();
        owned::<TraceStateView<'static>>();
        cloned::<TraceStateView<'static>>();
        debug::<TraceStateView<'static>>();
        eq_hash::<TraceStateView<'static>>();
        iterator::<tracestate::Iter<'static>>();
        iterator::<tracestate::ViewIter<'static, std::iter::Once<&'static [u8]>>>();
        // ID sources.
        id_source::<SeededIds>();
        debug::<SeededIds>();
        cloned::<SeededIds>();
    };

    // The owned context and the allocating samplers (feature alloc).
    #[cfg(feature = "alloc")]
    const _: () = {
        use std::sync::Arc;
        use tracecontext::Context;
        use tracecontext::context::Shared;
        owned_value::<Context>();
        owned_value::<Context<Shared>>();
        owned_value::<Shared>();
        defaulted::<Shared>();
        storage::<Shared>();
        shared_sampler::<Box<dyn Sampler + Send + Sync>>();
        shared_sampler::<Arc<dyn Sampler + Send + Sync>>();
        shared_sampler::<Arc<Configured>>();
        any_sampler::<Arc<dyn Sampler>>();
        any_sampler::<Box<dyn Sampler>>();
    };

    // What needs std.
    #[cfg(feature = "std")]
    const _: () = {
        use tracecontext::ThreadIds;
        use tracecontext::sampling::StdClock;
        id_source::<ThreadIds>();
        debug::<ThreadIds>();
        copied::<ThreadIds>();
        defaulted::<ThreadIds>();
        clock::<StdClock>();
        debug::<StdClock>();
        copied::<StdClock>();
        defaulted::<StdClock>();
        shared_sampler::<RateLimited<StdClock>>();
        debug::<RateLimited<StdClock>>();
        shared_sampler::<ParentBased<RateLimited<StdClock>>>();
        shared_sampler::<std::sync::Arc<RateLimited<StdClock>>>();
    };

    // A function pointer is a clock at run time too.
    let limiter: RateLimited<fn() -> u64> = RateLimited::new(1, 1, zero_clock);
    let input = Input::root(trace_id(), true);
    assert!(
        limiter.decide(&input).is_sampled(),
        "the bucket starts full"
    );
    assert!(!limiter.decide(&input).is_sampled(), "a burst of one");
}

#[test]
fn sizes() {
    assert_eq!(size_of::<TraceId>(), 16);
    assert_eq!(size_of::<SpanId>(), 8);
    assert_eq!(size_of::<TraceFlags>(), 1);
    assert_eq!(size_of::<Option<TraceId>>(), size_of::<TraceId>());
    assert_eq!(size_of::<Option<SpanId>>(), size_of::<SpanId>());
    assert_eq!(size_of::<Option<TraceParent>>(), size_of::<TraceParent>());
    // A threshold and an optional one are one word.
    assert_eq!(size_of::<Option<Threshold>>(), 8);
    // The error is small and Copy. The redesign added the header's name (a
    // `&'static str`, two words) to it; the old bound was 24 bytes.
    assert!(size_of::<Error>() <= 32, "{}", size_of::<Error>());
    assert!(size_of::<TraceState<64>>() < size_of::<TraceState<512>>());
    assert!(size_of::<InlineContext<64>>() < size_of::<InlineContext<512>>());
}

/// The owned context is what services store and move around: it must stay small
/// (an `Arc` for the tracestate, the encoded traceparent inline).
#[cfg(all(target_pointer_width = "64", feature = "alloc"))]
#[test]
fn the_shared_context_is_at_most_96_bytes() {
    use tracecontext::Context;
    assert!(size_of::<Context>() <= 96, "{}", size_of::<Context>());
    // Whatever its tracestate: the text lives behind the Arc.
    let mut context = Context::new(trace_id(), span_id(), TraceFlags::SAMPLED);
    context
        .edit_tracestate(|state| state.insert("big", &"v".repeat(200)))
        .unwrap();
    assert_eq!(context.tracestate().get("big").map(str::len), Some(200));
    assert!(size_of_val(&context) <= 96);
}

#[test]
fn constants() {
    assert_eq!(TRACEPARENT, "traceparent");
    assert_eq!(TRACESTATE, "tracestate");
    assert_eq!(MAX_MEMBERS, 32);
    assert_eq!(MAX_KEY_LEN, 256);
    assert_eq!(MAX_VALUE_LEN, 256);
    assert_eq!(LONG_MEMBER, 128);
    assert_eq!(TraceParent::LEN, 55);
    assert_eq!((TraceId::BYTES, TraceId::HEX_LEN), (16, 32));
    assert_eq!((SpanId::BYTES, SpanId::HEX_LEN), (8, 16));
    assert_eq!(<TraceState>::CAPACITY, 512);
    assert_eq!(TraceState::<64>::CAPACITY, 64);
    assert_eq!(Validation::default(), Validation::Strict);
    assert_eq!(response::SERVER_TIMING, "server-timing");
    assert_eq!(response::TRACERESPONSE, "traceresponse");
    assert_eq!(tracecontext::sampling::OT_KEY, "ot");
    assert_eq!(tracecontext::sampling::OT_MAX_LEN, 256); // P1
    assert_eq!(Threshold::MAX_LEN, 14); // P2
}

// ---------------------------------------------------------------------------------
// Const parsing: IDs and traceparents in `const` items.
// ---------------------------------------------------------------------------------

const CONST_TRACE: TraceId = TraceId::from_static(TRACE);
const CONST_SPAN: SpanId = SpanId::from_static(SPAN);
const CONST_TP: TraceParent = TraceParent::from_static(TP);
const PARSED_TP: Result<TraceParent, Error> = TraceParent::parse(TP.as_bytes());
const PARSED_TRACE: Result<TraceId, Error> = TraceId::parse(TRACE.as_bytes());
const BAD_FLAGS: Result<TraceParent, Error> =
    TraceParent::parse(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0G");
const UPPERCASE_TRACE: Result<TraceId, Error> = TraceId::parse(b"4BF92F3577B34DA6A3CE929D0E0E4736");
/// T6 in a const: surrounding whitespace is stripped.
const PADDED_TP: Result<TraceParent, Error> =
    TraceParent::parse(b" \t00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ");

// Checked by the compiler: matching on Ok/Err in const contexts.
const _: () = {
    assert!(CONST_TRACE.to_u128() == 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736);
    assert!(CONST_SPAN.to_u64() == 0x00f0_67aa_0ba9_02b7);
    assert!(CONST_TP.trace_id().to_u128() == CONST_TRACE.to_u128());
    assert!(CONST_TP.parent_id().to_u64() == CONST_SPAN.to_u64());
    assert!(CONST_TP.is_sampled() && !CONST_TP.is_random());
    match PARSED_TP {
        Ok(tp) => assert!(tp.flags().bits() == 0x01),
        Err(_) => panic!("a valid traceparent"),
    }
    assert!(matches!(PARSED_TRACE, Ok(id) if id.to_u128() == CONST_TRACE.to_u128()));
    match BAD_FLAGS {
        Ok(_) => panic!("T2: 'G' is not a hex digit"),
        Err(e) => assert!(matches!(e.kind(), ErrorKind::TraceFlags) && e.offset() == 54),
    }
    // T2: uppercase hex is invalid.
    assert!(matches!(UPPERCASE_TRACE, Err(e) if matches!(e.kind(), ErrorKind::TraceId)));
    match PADDED_TP {
        Ok(tp) => assert!(tp.trace_id().to_u128() == CONST_TRACE.to_u128()),
        Err(_) => panic!("T6: whitespace around the value is stripped"),
    }
};

/// A context in a `static`, built at compile time (the owned context, feature alloc).
#[cfg(feature = "alloc")]
static STATIC_CONTEXT: tracecontext::Context =
    tracecontext::Context::new(CONST_TRACE, CONST_SPAN, TraceFlags::SAMPLED);
/// The inline context, without an allocator.
const INLINE_CONTEXT: InlineContext<64> =
    InlineContext::<64>::new_inline(CONST_TRACE, CONST_SPAN, TraceFlags::from_bits(0x83));
/// A sampler in a `static`: shared by every thread, built at compile time.
static STATIC_SAMPLER: ParentBased<Probability> = ParentBased::new(Probability::with_threshold(
    Threshold::from_value(0xc0_0000_0000_0000),
));

#[test]
fn const_parsing_and_static_contexts() {
    assert_eq!(CONST_TRACE, trace_id());
    assert_eq!(CONST_SPAN, span_id());
    assert_eq!(
        CONST_TP,
        TraceParent::new(trace_id(), span_id(), TraceFlags::SAMPLED)
    );
    assert_eq!(PARSED_TP, Ok(CONST_TP));
    assert_eq!(PARSED_TRACE, Ok(CONST_TRACE));
    // The const error is the same error a run-time parse gives.
    let runtime = TraceParent::parse(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0G");
    assert_eq!(BAD_FLAGS, runtime);
    assert_eq!(
        BAD_FLAGS.unwrap_err().to_string(),
        "traceparent: invalid hex digit 'G' in trace-flags at byte 54"
    );
    assert_eq!(PADDED_TP, Ok(CONST_TP));

    #[cfg(feature = "alloc")]
    {
        assert_eq!(STATIC_CONTEXT.headers().traceparent(), TP);
        assert_eq!(STATIC_CONTEXT.trace_id(), trace_id());
        assert!(STATIC_CONTEXT.tracestate().is_empty());
    }
    // Context::new drops reserved flag bits (T8): 0x83 is sampled + random.
    assert_eq!(
        INLINE_CONTEXT.flags(),
        TraceFlags::SAMPLED | TraceFlags::RANDOM
    );
    assert_eq!(
        INLINE_CONTEXT.headers().traceparent(),
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03"
    );
    // The static sampler decides like any other: R = 0xce929d0e0e4736 >= th:c (P7).
    let (child, decision) = INLINE_CONTEXT.child_decided(&mut SeededIds::new(1), &STATIC_SAMPLER);
    assert!(decision.is_sampled() && child.is_sampled());
    let (root, decision) =
        InlineContext::<64>::root_inline(&mut SeededIds::new(2), &STATIC_SAMPLER);
    assert_eq!(root.is_sampled(), decision.is_sampled());
}

#[test]
#[should_panic(expected = "invalid trace-id literal")]
fn trace_id_from_static_panics_on_a_bad_literal() {
    let _ = TraceId::from_static(std::hint::black_box("4bf92f3577b34da6a3ce929d0e0e473"));
}

#[test]
#[should_panic(expected = "invalid span-id literal")]
fn span_id_from_static_panics_on_a_bad_literal() {
    let _ = SpanId::from_static(std::hint::black_box("0000000000000000"));
}

#[test]
#[should_panic(expected = "invalid traceparent literal")]
fn traceparent_from_static_panics_on_a_bad_literal() {
    let _ = TraceParent::from_static(std::hint::black_box(
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ));
}

// ---------------------------------------------------------------------------------
// IDs.
// ---------------------------------------------------------------------------------

#[test]
fn id_conversions_and_formatting() {
    let t = trace_id();
    let s = span_id();
    assert_eq!(TRACE.parse::<TraceId>(), Ok(t));
    assert_eq!(TraceId::try_from(TRACE), Ok(t));
    assert_eq!(TraceId::try_from(TRACE.as_bytes()), Ok(t));
    assert_eq!(SPAN.parse::<SpanId>(), Ok(s));
    assert_eq!(SpanId::try_from(SPAN), Ok(s));
    assert_eq!(SpanId::try_from(SPAN.as_bytes()), Ok(s));

    assert_eq!(t.to_string(), TRACE);
    assert_eq!(s.to_string(), SPAN);
    assert_eq!(&*t.encode(), TRACE);
    assert_eq!(s.encode().as_bytes(), SPAN.as_bytes());
    assert_eq!(format!("{t:?}"), format!("TraceId({TRACE})"));
    assert_eq!(format!("{s:?}"), format!("SpanId({SPAN})"));
    // Display honours width and alignment.
    assert_eq!(format!("[{s:>18}]"), format!("[  {SPAN}]"));
    assert_eq!(format!("[{s:<17}]"), format!("[{SPAN} ]"));

    assert_eq!(t.to_bytes()[0], 0x4b);
    assert_eq!(TraceId::from_bytes(t.to_bytes()), Some(t));
    assert_eq!(SpanId::from_bytes(s.to_bytes()), Some(s));
    assert_eq!(
        s.to_bytes(),
        [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]
    );
    assert_eq!(TraceId::from_bytes([0; 16]), None);
    assert_eq!(SpanId::from_bytes([0; 8]), None);
    assert_eq!(TraceId::from_u128(0), None);
    assert_eq!(SpanId::from_u64(0), None);

    let nz: NonZeroU128 = t.into();
    assert_eq!(TraceId::from(nz), t);
    let nz: NonZeroU64 = s.into();
    assert_eq!(SpanId::from(nz), s);

    // Ordered like their integers; usable as hash keys.
    assert!(TraceId::from_u128(1).unwrap() < t);
    let set: HashSet<SpanId> = [s, s, SpanId::from_u64(1).unwrap()].into_iter().collect();
    assert_eq!(set.len(), 2);
}

#[test]
fn id_errors() {
    let cases: &[(&[u8], bool, &str)] = &[
        (
            b"4bf92f3577b34da6a3ce929d0e0e473",
            true,
            "traceparent: value ends early in trace-id at byte 31",
        ),
        (
            b"4bf92f3577b34da6a3ce929d0e0e47361",
            true,
            "traceparent: longer than 32 characters in trace-id at byte 32",
        ),
        (
            b"00000000000000000000000000000000",
            true,
            "traceparent: all zeros is not allowed in trace-id at byte 0",
        ),
        (
            b"4BF92F3577B34DA6A3CE929D0E0E4736",
            true,
            "traceparent: invalid hex digit 'B' (hex must be lowercase) in trace-id at byte 1",
        ),
        (
            b"00f067aa0ba902bZ",
            false,
            "traceparent: invalid hex digit 'Z' in parent-id at byte 15",
        ),
        (
            b"",
            false,
            "traceparent: value ends early in parent-id at byte 0",
        ),
        (
            b"00f067aa0ba902b7 ",
            false,
            "traceparent: longer than 16 characters in parent-id at byte 16",
        ),
        (
            b" 00f067aa0ba902b7",
            false,
            "traceparent: invalid hex digit ' ' in parent-id at byte 0",
        ),
    ];
    for &(input, trace, message) in cases {
        let e = if trace {
            TraceId::parse(input).unwrap_err()
        } else {
            SpanId::parse(input).unwrap_err()
        };
        assert_eq!(e.to_string(), message);
        let kind = if trace {
            ErrorKind::TraceId
        } else {
            ErrorKind::ParentId
        };
        assert_eq!(e.kind(), kind);
        assert_eq!(e.member(), None);
        // Standalone IDs report the traceparent field they belong to.
        assert_eq!(e.header(), "traceparent");
    }
}

// ---------------------------------------------------------------------------------
// Flags (T8).
// ---------------------------------------------------------------------------------

#[test]
fn flags_bits() {
    let f = TraceFlags::from_bits(0xff);
    assert_eq!(f.bits(), 0xff);
    assert_eq!(f.reserved(), 0xfc);
    assert_eq!(f.known().bits(), 0x03);
    assert!(f.is_sampled() && f.is_random());
    assert!(f.contains(TraceFlags::SAMPLED | TraceFlags::RANDOM));
    assert_eq!(TraceFlags::KNOWN_BITS, 0x03);
    assert_eq!(TraceFlags::default(), TraceFlags::NONE);
    assert_eq!(TraceFlags::NONE.bits(), 0);
    assert_eq!(TraceFlags::SAMPLED.bits(), 0x01);
    assert_eq!(TraceFlags::RANDOM.bits(), 0x02);

    // Setting and clearing one bit leaves the others, reserved ones included.
    let g = f.with_sampled(false);
    assert_eq!(g.bits(), 0xfe);
    assert!(!g.is_sampled() && g.is_random());
    assert_eq!(g.with_random(false).bits(), 0xfc);
    assert_eq!(TraceFlags::NONE.with_sampled(true), TraceFlags::SAMPLED);
    assert_eq!(TraceFlags::NONE.with_random(true), TraceFlags::RANDOM);

    let mut h = TraceFlags::NONE;
    h |= TraceFlags::RANDOM;
    assert_eq!(h, TraceFlags::RANDOM);
    assert_eq!(h & TraceFlags::SAMPLED, TraceFlags::NONE);
    assert!(!h.contains(TraceFlags::SAMPLED));
    assert!(h.contains(TraceFlags::NONE));

    assert_eq!(TraceFlags::from(0x81u8).bits(), 0x81);
    assert_eq!(u8::from(TraceFlags::from_bits(0x42)), 0x42);
    assert_eq!(format!("{:02x}", TraceFlags::from_bits(0x0b)), "0b");
    assert_eq!(format!("{:?}", TraceFlags::NONE), "TraceFlags(NONE)");
    assert_eq!(format!("{:?}", TraceFlags::SAMPLED), "TraceFlags(SAMPLED)");
    assert_eq!(
        format!("{:?}", TraceFlags::from_bits(0x87)),
        "TraceFlags(SAMPLED | RANDOM | 0x84)"
    );
    assert_eq!(
        format!("{:?}", TraceFlags::from_bits(0x80)),
        "TraceFlags(0x80)"
    );
}

#[test]
fn reserved_flag_bits_are_read_but_never_encoded() {
    // T8: parse keeps every bit; encode writes only the known ones.
    for (flags, out) in [
        ("ff", "03"),
        ("80", "00"),
        ("02", "02"),
        ("09", "01"),
        ("00", "00"),
    ] {
        let tp: TraceParent = format!("00-{TRACE}-{SPAN}-{flags}").parse().unwrap();
        assert_eq!(tp.flags().bits(), u8::from_str_radix(flags, 16).unwrap());
        assert_eq!(tp.to_string(), format!("00-{TRACE}-{SPAN}-{out}"));
    }
    let tp = TraceParent::new(trace_id(), span_id(), TraceFlags::from_bits(0xfe));
    assert!(tp.encode().ends_with("-02"));
    assert!(tp.is_random() && !tp.is_sampled());
}

// ---------------------------------------------------------------------------------
// traceparent.
// ---------------------------------------------------------------------------------

#[test]
fn traceparent_conversions_and_formatting() {
    let tp = TraceParent::new(trace_id(), span_id(), TraceFlags::SAMPLED);
    assert_eq!(TP.parse::<TraceParent>(), Ok(tp));
    assert_eq!(TraceParent::try_from(TP), Ok(tp));
    assert_eq!(TraceParent::try_from(TP.as_bytes()), Ok(tp));
    assert_eq!(TraceParent::parse(TP.as_bytes()), Ok(tp));
    assert_eq!(tp.to_string(), TP);
    assert_eq!(&*tp.encode(), TP);
    assert_eq!(tp.encode().as_str(), TP);
    assert_eq!(tp.encode().len(), TraceParent::LEN);
    let encoded = tp.encode();
    let text: &str = encoded.as_ref();
    let bytes: &[u8] = encoded.as_ref();
    assert_eq!((text, bytes), (TP, TP.as_bytes()));
    assert_eq!(format!("{:?}", tp.encode()), format!("{TP:?}"));
    assert_eq!(format!("[{:>56}]", tp.encode()), format!("[ {TP}]"));
    assert_eq!(format!("[{tp:>56}]"), format!("[ {TP}]"));
    assert_eq!(
        format!("{tp:?}"),
        format!(
            "TraceParent {{ trace_id: TraceId({TRACE}), parent_id: SpanId({SPAN}), flags: TraceFlags(SAMPLED) }}"
        )
    );

    assert_eq!(tp.trace_id(), trace_id());
    assert_eq!(tp.parent_id(), span_id());
    assert_eq!(tp.flags(), TraceFlags::SAMPLED);
    assert!(tp.is_sampled() && !tp.is_random());

    let child = tp.with_parent_id(SpanId::from_u64(0x53995c3f42cd8ad8).unwrap());
    assert_eq!(child.trace_id(), tp.trace_id());
    assert_eq!(child.to_string(), format!("00-{TRACE}-53995c3f42cd8ad8-01"));
    assert_eq!(
        tp.with_flags(TraceFlags::NONE).to_string(),
        format!("00-{TRACE}-{SPAN}-00")
    );
}

#[test]
fn a_context_displays_the_traceparent_it_sends() {
    let incoming = [("traceparent", TP), ("tracestate", "a=1")];
    let Extracted::Continued { parent, .. } = tracecontext::extract(&incoming) else {
        panic!("a valid traceparent");
    };
    assert_eq!(parent.to_string(), TP);
    let child = parent.child_with_span_id(SpanId::from_static("53995c3f42cd8ad8"));
    assert_eq!(
        child.to_string(),
        "00-4bf92f3577b34da6a3ce929d0e0e4736-53995c3f42cd8ad8-01"
    );
    // Width and alignment apply, as for the other IDs.
    assert_eq!(format!("[{child:>57}]"), format!("[  {child}]"));
    #[cfg(feature = "alloc")]
    {
        let owned = child.clone().into_owned();
        assert_eq!(owned.to_string(), child.to_string());
    }
    #[cfg(feature = "std")]
    {
        use tracecontext::ThreadIds;
        let mut ids = ThreadIds::new();
        assert_ne!(ids.span_id(), ThreadIds.span_id());
    }
}

#[test]
fn traceparent_accepts() {
    // T6: spaces and tabs around the value.
    assert!(TraceParent::parse(format!(" \t{TP}\t ").as_bytes()).is_ok());
    // T5: future versions, with or without a `-` rest, are read as version 00.
    for input in [
        format!("cc-{TRACE}-{SPAN}-01"),
        format!("cc-{TRACE}-{SPAN}-01-what-the-future-will-be-like"),
        format!("01-{TRACE}-{SPAN}-01-"),
        format!("fe-{TRACE}-{SPAN}-01-\u{e9}"),
    ] {
        let tp = TraceParent::parse(input.as_bytes()).unwrap();
        assert_eq!(tp.to_string(), TP, "{input}");
    }
}

#[test]
fn traceparent_error_messages() {
    let flags_at = |s: &str| format!("00-{TRACE}-{SPAN}-{s}");
    let cases: Vec<(String, ErrorKind, usize, &str)> = vec![
        (
            flags_at("0G"),
            ErrorKind::TraceFlags,
            54,
            "traceparent: invalid hex digit 'G' in trace-flags at byte 54",
        ),
        (
            String::new(),
            ErrorKind::Version,
            0,
            "traceparent: value ends early in version at byte 0",
        ),
        (
            "0".into(),
            ErrorKind::Version,
            1,
            "traceparent: value ends early in version at byte 1",
        ),
        (
            "000".into(),
            ErrorKind::Version,
            2,
            "traceparent: longer than 2 characters in version at byte 2",
        ),
        (
            format!("ff-{TRACE}-{SPAN}-01"),
            ErrorKind::Version,
            0,
            "traceparent: version ff is not allowed in version at byte 0",
        ),
        (
            format!("0A-{TRACE}-{SPAN}-01"),
            ErrorKind::Version,
            1,
            "traceparent: invalid hex digit 'A' (hex must be lowercase) in version at byte 1",
        ),
        (
            format!("00_{TRACE}-{SPAN}-01"),
            ErrorKind::Version,
            2,
            "traceparent: expected '-' but found '_' in version at byte 2",
        ),
        (
            format!("00-{}-{SPAN}-01", TRACE.to_uppercase()),
            ErrorKind::TraceId,
            4,
            "traceparent: invalid hex digit 'B' (hex must be lowercase) in trace-id at byte 4",
        ),
        (
            format!("00-{}-{SPAN}-01", "0".repeat(32)),
            ErrorKind::TraceId,
            3,
            "traceparent: all zeros is not allowed in trace-id at byte 3",
        ),
        (
            format!("00-{TRACE}1-{SPAN}-01"),
            ErrorKind::TraceId,
            35,
            "traceparent: longer than 32 characters in trace-id at byte 35",
        ),
        (
            format!("00-{}-{SPAN}-01", &TRACE[..31]),
            ErrorKind::TraceId,
            34,
            "traceparent: shorter than 32 characters in trace-id at byte 34",
        ),
        (
            format!("00-{TRACE}_{SPAN}-01"),
            ErrorKind::TraceId,
            35,
            "traceparent: expected '-' but found '_' in trace-id at byte 35",
        ),
        (
            format!("\t00-{}x-{SPAN}-01", &TRACE[..31]),
            ErrorKind::TraceId,
            35,
            "traceparent: invalid hex digit 'x' in trace-id at byte 35",
        ),
        (
            format!("00-{TRACE}-{}-01", "0".repeat(16)),
            ErrorKind::ParentId,
            36,
            "traceparent: all zeros is not allowed in parent-id at byte 36",
        ),
        (
            format!("00-{TRACE}-{SPAN}1-01"),
            ErrorKind::ParentId,
            52,
            "traceparent: longer than 16 characters in parent-id at byte 52",
        ),
        (
            format!("00-{TRACE}-{}-01", &SPAN[..15]),
            ErrorKind::ParentId,
            51,
            "traceparent: shorter than 16 characters in parent-id at byte 51",
        ),
        (
            format!("00-{TRACE}-{SPAN}"),
            ErrorKind::ParentId,
            52,
            "traceparent: value ends early in parent-id at byte 52",
        ),
        (
            flags_at("001"),
            ErrorKind::TraceFlags,
            55,
            "traceparent: longer than 2 characters in trace-flags at byte 55",
        ),
        (
            flags_at("1"),
            ErrorKind::TraceFlags,
            54,
            "traceparent: value ends early in trace-flags at byte 54",
        ),
        (
            flags_at("0'"),
            ErrorKind::TraceFlags,
            54,
            "traceparent: invalid hex digit '\\'' in trace-flags at byte 54",
        ),
        (
            flags_at("0\u{e9}"),
            ErrorKind::TraceFlags,
            54,
            "traceparent: invalid hex digit byte 0xc3 in trace-flags at byte 54",
        ),
        (
            flags_at("01-"),
            ErrorKind::Trailing,
            55,
            "traceparent: unexpected '-' (version 00 ends after trace-flags) in data after trace-flags at byte 55",
        ),
        (
            flags_at("01.extra"),
            ErrorKind::Trailing,
            55,
            "traceparent: unexpected '.' (version 00 ends after trace-flags) in data after trace-flags at byte 55",
        ),
        (
            flags_at("01\n"),
            ErrorKind::Trailing,
            55,
            "traceparent: unexpected byte 0x0a (version 00 ends after trace-flags) in data after trace-flags at byte 55",
        ),
        (
            format!("cc-{TRACE}-{SPAN}-01.extra"),
            ErrorKind::Trailing,
            55,
            "traceparent: expected '-' but found '.' in data after trace-flags at byte 55",
        ),
        // Versions that share one digit with 00 are later versions all the same.
        (
            format!("01-{TRACE}-{SPAN}-01x"),
            ErrorKind::Trailing,
            55,
            "traceparent: expected '-' but found 'x' in data after trace-flags at byte 55",
        ),
        (
            format!("10-{TRACE}-{SPAN}-01x"),
            ErrorKind::Trailing,
            55,
            "traceparent: expected '-' but found 'x' in data after trace-flags at byte 55",
        ),
        // A `-` where a field should start is a bad digit, not a short field.
        (
            format!("00--{TRACE}-{SPAN}-01"),
            ErrorKind::TraceId,
            3,
            "traceparent: invalid hex digit '-' in trace-id at byte 3",
        ),
        (
            format!("00-{TRACE}--{SPAN}-01"),
            ErrorKind::ParentId,
            36,
            "traceparent: invalid hex digit '-' in parent-id at byte 36",
        ),
        // And versions that share one digit with ff are not ff.
        (
            format!("0f-4bf92f3577b34da6a3ce929d0e0e473G-{SPAN}-01"),
            ErrorKind::TraceId,
            34,
            "traceparent: invalid hex digit 'G' in trace-id at byte 34",
        ),
        (
            format!("f0-{TRACE}-{SPAN}-0g"),
            ErrorKind::TraceFlags,
            54,
            "traceparent: invalid hex digit 'g' in trace-flags at byte 54",
        ),
    ];
    for (input, kind, offset, message) in cases {
        let e = TraceParent::parse(input.as_bytes()).unwrap_err();
        assert_eq!(e.to_string(), message, "{input:?}");
        assert_eq!(
            (e.kind(), e.offset(), e.member()),
            (kind, offset, None),
            "{input:?}"
        );
        assert_eq!(e.header(), "traceparent");
        // FromStr and TryFrom give the very same error.
        assert_eq!(input.parse::<TraceParent>(), Err(e));
        assert_eq!(TraceParent::try_from(input.as_str()), Err(e));
    }
}

#[test]
fn errors_are_std_errors() {
    let e = TraceParent::parse(b"nope").unwrap_err();
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(e);
    assert!(boxed.source().is_none());
    assert_eq!(boxed.to_string(), e.to_string());
    assert!(format!("{e:?}").starts_with("Error"));
    // `ErrorKind::header` is gone: every error names its header, and Display starts
    // with it.
    let tp = |s: &str| TraceParent::parse(s.as_bytes()).unwrap_err();
    let ts = |s: &str| TraceStateView::parse(s.as_bytes()).unwrap_err();
    let cases = [
        (tp(""), ErrorKind::Version, "traceparent"),
        (
            tp(&format!("00-{}-{SPAN}-01", "0".repeat(32))),
            ErrorKind::TraceId,
            "traceparent",
        ),
        (
            tp(&format!("00-{TRACE}-{}-01", "0".repeat(16))),
            ErrorKind::ParentId,
            "traceparent",
        ),
        (
            tp(&format!("00-{TRACE}-{SPAN}-0x")),
            ErrorKind::TraceFlags,
            "traceparent",
        ),
        (tp(&format!("{TP}-")), ErrorKind::Trailing, "traceparent"),
        (ts("a=1,b"), ErrorKind::Member, "tracestate"),
        (ts("A=1"), ErrorKind::Key, "tracestate"),
        (ts("a=,"), ErrorKind::Value, "tracestate"),
        (
            ts(&(0..33)
                .map(|i| format!("k{i}=1"))
                .collect::<Vec<_>>()
                .join(",")),
            ErrorKind::MemberCount,
            "tracestate",
        ),
        (
            TraceState::<8>::new().insert("key", "value").unwrap_err(),
            ErrorKind::Capacity,
            "tracestate",
        ),
        (
            OtValue::parse("rv:3").unwrap_err(),
            ErrorKind::Randomness,
            "tracestate ot",
        ),
        (
            Error::carrier_full("x-trace"),
            ErrorKind::CarrierFull,
            "x-trace",
        ),
        (
            Configured::parse("nope", None).unwrap_err(),
            ErrorKind::SamplerName,
            "OTEL_TRACES_SAMPLER",
        ),
        (
            Configured::parse("traceidratio", Some("x")).unwrap_err(),
            ErrorKind::SamplerArg,
            "OTEL_TRACES_SAMPLER_ARG",
        ),
    ];
    for (error, kind, header) in cases {
        assert_eq!((error.kind(), error.header()), (kind, header), "{error}");
        assert!(
            error.to_string().starts_with(&format!("{header}: ")),
            "{error}"
        );
    }
}

// ---------------------------------------------------------------------------------
// tracestate.
// ---------------------------------------------------------------------------------

#[test]
fn tracestate_view_api() {
    let input = b" rojo=00f067aa0ba902b7 ,\t,congo=t61rcWkgMzE,rojo=dup";
    let view = TraceStateView::parse(input).unwrap();
    // A single-field view gives the value as it was given, whitespace and empty
    // members included.
    assert_eq!(view.as_bytes(), input);
    assert_eq!(view.as_str().as_bytes(), input);
    assert_eq!(view.len(), 3);
    assert!(!view.is_empty());
    assert_eq!(view.validation(), Validation::Strict);
    assert_eq!(view.get("rojo"), Some("00f067aa0ba902b7")); // S7: left-most
    assert_eq!(view.get("congo"), Some("t61rcWkgMzE"));
    assert_eq!(view.get("nope"), None);
    assert_eq!(
        view.to_string(),
        "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,rojo=dup"
    );
    assert_eq!(
        format!("{view:?}"),
        r#"{"rojo": "00f067aa0ba902b7", "congo": "t61rcWkgMzE", "rojo": "dup"}"#
    );
    let pairs: Vec<(&str, &str)> = (&view).into_iter().collect();
    assert_eq!(pairs.len(), 3);

    // Views of the same members compare equal, whatever the fields' shape.
    let fields: [&[u8]; 3] = [
        b"rojo=00f067aa0ba902b7",
        b"",
        b"congo=t61rcWkgMzE , rojo=dup",
    ];
    let multi = TraceStateView::parse_fields(fields).unwrap();
    assert!(multi == view);
    assert_eq!(multi.to_string(), view.to_string());
    let other = TraceStateView::parse(b"rojo=00f067aa0ba902b7").unwrap();
    assert!(other != view);

    let empty = TraceStateView::parse(b" , ,").unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty.to_string(), "");

    let lenient =
        TraceStateView::parse_fields_with([&b"a=1,B=2,c=3"[..]], Validation::Lenient).unwrap();
    assert_eq!(lenient.validation(), Validation::Lenient);
    assert_eq!(lenient.to_string(), "a=1,c=3");
}

#[test]
fn tracestate_accepts_harness_cases() {
    for input in [
        "foo@=1",
        "foo@@bar=1",
        "foo@bar@baz=1",
        "a=  leading spaces are value",
        "k=~!\"#$%&'()*+-./:;<>?@[\\]^_`{|}",
    ] {
        assert!(TraceStateView::parse(input.as_bytes()).is_ok(), "{input}");
    }
    let key256 = format!("{}=1", "k".repeat(256));
    assert!(TraceStateView::parse(key256.as_bytes()).is_ok());
    let value256 = format!("k={}", "v".repeat(256));
    assert!(TraceStateView::parse(value256.as_bytes()).is_ok());
    // 32 members over 4 fields are kept.
    let fields: Vec<String> = (0..4)
        .map(|f| {
            (0..8)
                .map(|i| format!("k{}=v", f * 8 + i))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    let view = TraceStateView::parse_fields(fields.iter().map(|s| s.as_bytes())).unwrap();
    assert_eq!(view.len(), 32);
    let owned = TraceState::<512>::parse_fields(fields.iter().map(|s| s.as_bytes())).unwrap();
    assert_eq!(owned.len(), 32);
}

#[test]
fn tracestate_error_messages() {
    let key257 = format!("{}=1", "k".repeat(257));
    let value257 = format!("k={}", "v".repeat(257));
    let members33 = (0..33)
        .map(|i| format!("k{i}=1"))
        .collect::<Vec<_>>()
        .join(",");
    let cases: Vec<(&str, ErrorKind, usize, Option<usize>, &str)> = vec![
        (
            "foo =1",
            ErrorKind::Key,
            3,
            Some(1),
            "tracestate: invalid character ' ' in key of member 1 at byte 3",
        ),
        (
            "FOO=1",
            ErrorKind::Key,
            0,
            Some(1),
            "tracestate: invalid character 'F' in key of member 1 at byte 0",
        ),
        (
            "foo.bar=1",
            ErrorKind::Key,
            3,
            Some(1),
            "tracestate: invalid character '.' in key of member 1 at byte 3",
        ),
        (
            "@foo=1",
            ErrorKind::Key,
            0,
            Some(1),
            "tracestate: invalid character '@' in key of member 1 at byte 0",
        ),
        (
            "foo=bar=baz",
            ErrorKind::Value,
            7,
            Some(1),
            "tracestate: invalid character '=' in value of member 1 at byte 7",
        ),
        (
            "foo=,bar=3",
            ErrorKind::Value,
            4,
            Some(1),
            "tracestate: empty in value of member 1 at byte 4",
        ),
        (
            "a=1,b",
            ErrorKind::Member,
            5,
            Some(2),
            "tracestate: no '=' between key and value in member 2 at byte 5",
        ),
        (
            "=1",
            ErrorKind::Key,
            0,
            Some(1),
            "tracestate: empty in key of member 1 at byte 0",
        ),
        (
            "a= ",
            ErrorKind::Value,
            2,
            Some(1),
            "tracestate: empty in value of member 1 at byte 2",
        ),
        (
            "a=b\tc",
            ErrorKind::Value,
            3,
            Some(1),
            "tracestate: invalid character '\\t' in value of member 1 at byte 3",
        ),
        (
            "a=1,,B=2",
            ErrorKind::Key,
            5,
            Some(2),
            "tracestate: invalid character 'B' in key of member 2 at byte 5",
        ),
        (
            "a=\u{7f}",
            ErrorKind::Value,
            2,
            Some(1),
            "tracestate: invalid character byte 0x7f in value of member 1 at byte 2",
        ),
        (
            &key257,
            ErrorKind::Key,
            256,
            Some(1),
            "tracestate: longer than 256 characters in key of member 1 at byte 256",
        ),
        (
            &value257,
            ErrorKind::Value,
            258,
            Some(1),
            "tracestate: longer than 256 characters in value of member 1 at byte 258",
        ),
        (
            &members33,
            ErrorKind::MemberCount,
            182,
            Some(33),
            "tracestate: more than 32 members at byte 182",
        ),
    ];
    for (input, kind, offset, member, message) in cases {
        let e = TraceStateView::parse(input.as_bytes()).unwrap_err();
        assert_eq!(e.to_string(), message, "{input:?}");
        assert_eq!(
            (e.kind(), e.offset(), e.member()),
            (kind, offset, member),
            "{input:?}"
        );
        assert_eq!(e.header(), "tracestate");
        // The owned form and its conversions report the same error.
        assert_eq!(TraceState::<512>::parse(input.as_bytes()).unwrap_err(), e);
        assert_eq!(input.parse::<TraceState>().unwrap_err(), e);
        assert_eq!(TraceState::<512>::try_from(input).unwrap_err(), e);
        assert_eq!(
            TraceState::<512>::try_from(input.as_bytes()).unwrap_err(),
            e
        );
    }
}

#[test]
fn tracestate_insert_errors() {
    let mut s = TraceState::<16>::new();
    s.insert("abc", "d").unwrap();
    let before = s.clone();
    let long_value = "v".repeat(257);
    let cases: Vec<(String, &str, ErrorKind, &str)> = vec![
        (
            "k".into(),
            "0123456789abcdef",
            ErrorKind::Capacity,
            "tracestate: does not fit in a capacity of 16 bytes at byte 0",
        ),
        (
            String::new(),
            "x",
            ErrorKind::Key,
            "tracestate: empty in key at byte 0",
        ),
        (
            "Vendor".into(),
            "x",
            ErrorKind::Key,
            "tracestate: invalid character 'V' in key at byte 0",
        ),
        (
            "a".into(),
            "",
            ErrorKind::Value,
            "tracestate: empty in value at byte 0",
        ),
        (
            "a".into(),
            "x ",
            ErrorKind::Value,
            "tracestate: invalid character ' ' in value at byte 1",
        ),
        (
            "a".into(),
            "x,",
            ErrorKind::Value,
            "tracestate: invalid character ',' in value at byte 1",
        ),
        (
            "k".repeat(257),
            "x",
            ErrorKind::Key,
            "tracestate: longer than 256 characters in key at byte 256",
        ),
        // The same validator as parsing: the length is reported, not the bad byte
        // after it.
        (
            format!("{}B", "k".repeat(257)),
            "x",
            ErrorKind::Key,
            "tracestate: longer than 256 characters in key at byte 256",
        ),
        (
            "k".into(),
            &long_value,
            ErrorKind::Value,
            "tracestate: longer than 256 characters in value at byte 256",
        ),
    ];
    for (key, value, kind, message) in cases {
        let e = s.insert(&key, value).unwrap_err();
        assert_eq!(e.to_string(), message, "{key:?}={value:?}");
        assert_eq!(e.kind(), kind);
        assert_eq!(e.member(), None);
        assert_eq!(e.header(), "tracestate");
        assert_eq!(s, before, "unchanged after an error");
    }
    let mut out = [0u8; 2];
    let e = s.encode_into(&mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Capacity);
    assert_eq!(
        e.to_string(),
        "tracestate: does not fit in a capacity of 2 bytes at byte 0"
    );
}

#[test]
fn tracestate_owned_api() {
    let mut s: TraceState = "rojo=00f067aa0ba902b7, congo=t61rcWkgMzE".parse().unwrap();
    assert_eq!(s.as_str(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    assert_eq!(s.as_bytes(), s.as_str().as_bytes());
    assert_eq!(s.to_string(), s.as_str());
    assert_eq!(s.encoded_len(), s.as_str().len());
    assert_eq!(
        format!("{s:?}"),
        r#"{"rojo": "00f067aa0ba902b7", "congo": "t61rcWkgMzE"}"#
    );
    assert_eq!(
        format!("{:?}", s.iter()),
        r#"[("rojo", "00f067aa0ba902b7"), ("congo", "t61rcWkgMzE")]"#
    );
    assert_eq!(s.iter().len(), 2);
    let keys: Vec<&str> = (&s).into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["rojo", "congo"]);

    // S8: updated and new keys go to the front; the rest keep their order.
    s.insert("congo", "ucfJifl5GOE").unwrap();
    assert_eq!(s.as_str(), "congo=ucfJifl5GOE,rojo=00f067aa0ba902b7");
    s.insert("ours", "s1").unwrap();
    assert_eq!(
        s.as_str(),
        "ours=s1,congo=ucfJifl5GOE,rojo=00f067aa0ba902b7"
    );
    assert!(s.remove("congo"));
    assert!(!s.remove("congo"));
    assert_eq!(s.as_str(), "ours=s1,rojo=00f067aa0ba902b7");
    let mut out = [0u8; 64];
    let n = s.encode_into(&mut out).unwrap();
    assert_eq!(&out[..n], s.as_bytes());

    s.clear();
    assert!(s.is_empty());
    assert_eq!(s.as_str(), "");
    assert_eq!(s, TraceState::default());
    assert_eq!(s, TraceState::new());

    // From a view, and conversions.
    let view = TraceStateView::parse(b"a=1 , b=2").unwrap();
    let owned = TraceState::<512>::from(&view);
    assert_eq!(owned.as_str(), "a=1,b=2");
    assert_eq!(TraceState::<512>::try_from("a=1,b=2"), Ok(owned.clone()));
    assert_eq!(
        TraceState::<512>::try_from(&b"a=1,b=2"[..]),
        Ok(owned.clone())
    );
    let set: HashSet<TraceState> = [owned.clone(), owned].into_iter().collect();
    assert_eq!(set.len(), 1);
}

#[test]
fn tracestate_small_capacity() {
    // S9 within a 64-byte state: members over 128 bytes cannot exist here, so
    // members go from the right-hand end, never the one just inserted.
    let mut s = TraceState::<64>::new();
    s.insert("a", &"x".repeat(20)).unwrap(); // 22 bytes
    s.insert("b", &"y".repeat(20)).unwrap(); // 22 + 1 + 22 = 45
    assert_eq!(s.len(), 2);
    s.insert("c", &"z".repeat(20)).unwrap(); // 68 > 64: "a" (right-most) goes
    assert_eq!(s.len(), 2);
    assert_eq!(s.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["c", "b"]);
    // Exactly filling the capacity is allowed.
    let mut t = TraceState::<64>::new();
    t.insert("k", &"v".repeat(62)).unwrap();
    assert_eq!(t.encoded_len(), 64);
    assert_eq!(
        t.insert("k", &"v".repeat(63)).unwrap_err().kind(),
        ErrorKind::Capacity
    );
    assert_eq!(t.encoded_len(), 64);

    // Parsing more than fits: cut by S9 (documented truncation), never an error.
    let long = "L".repeat(150);
    let input = format!("a=1,big={long},c=3,d={}", "d".repeat(40));
    let s = TraceState::<64>::parse(input.as_bytes()).unwrap();
    assert_eq!(s.as_str(), format!("a=1,c=3,d={}", "d".repeat(40)));
    let s = TraceState::<32>::parse(input.as_bytes()).unwrap();
    assert_eq!(s.as_str(), "a=1,c=3");
    // The 512-byte state keeps it all.
    let s = TraceState::<512>::parse(input.as_bytes()).unwrap();
    assert_eq!(s.as_str(), input);

    // truncate: long members first (right-most first), then from the right.
    let mut s: TraceState = format!("a=1,big1={long},b=2,big2={long},c=3")
        .parse()
        .unwrap();
    s.truncate(200);
    assert_eq!(s.as_str(), format!("a=1,big1={long},b=2,c=3"));
    s.truncate(7);
    assert_eq!(s.as_str(), "a=1,b=2");
    s.truncate(0);
    assert!(s.is_empty());
}

#[test]
fn tracestate_33rd_member_drops_the_right_most() {
    // S5: adding a 33rd member drops the right-most.
    let input = (0..32)
        .map(|i| format!("k{i}=v"))
        .collect::<Vec<_>>()
        .join(",");
    let mut s: TraceState = input.parse().unwrap();
    assert_eq!(s.len(), 32);
    s.insert("new", "1").unwrap();
    assert_eq!(s.len(), 32);
    assert_eq!(s.iter().next(), Some(("new", "1")));
    assert_eq!(s.get("k31"), None);
    assert_eq!(s.get("k30"), Some("v"));
    // Updating an existing key does not drop anything.
    s.insert("k0", "2").unwrap();
    assert_eq!(s.len(), 32);
    assert_eq!(s.get("k30"), Some("v"));
}

#[test]
fn tracestate_duplicates() {
    // S7: kept on input, left-most wins, dropped at the first mutation.
    let mut s = TraceState::<512>::parse(b"a=1,b=2,a=3").unwrap();
    assert_eq!(s.len(), 3);
    assert_eq!(s.get("a"), Some("1"));
    assert_eq!(s.as_str(), "a=1,b=2,a=3");
    s.insert("c", "4").unwrap();
    assert_eq!(s.as_str(), "c=4,a=1,b=2");

    let mut s = TraceState::<512>::parse(b"a=1,b=2,a=3").unwrap();
    s.insert("a", "5").unwrap();
    assert_eq!(s.as_str(), "a=5,b=2");

    let mut s = TraceState::<512>::parse(b"a=1,b=2,a=3").unwrap();
    s.truncate(512);
    assert_eq!(s.as_str(), "a=1,b=2");

    // A failed insert is not a mutation.
    let mut s = TraceState::<512>::parse(b"a=1,b=2,a=3").unwrap();
    assert!(s.insert("A", "1").is_err());
    assert_eq!(s.as_str(), "a=1,b=2,a=3");
}

// ---------------------------------------------------------------------------------
// Encoded text, thresholds.
// ---------------------------------------------------------------------------------

#[test]
fn threshold_debug_shows_the_th_text() {
    // P2, P7: the `th` digits, trailing zeros removed, zero written `0`.
    let cases = [
        (Threshold::from_probability(0.25), "Threshold(th:c)"),
        (Threshold::from_probability(0.5), "Threshold(th:8)"),
        (Some(Threshold::ALWAYS), "Threshold(th:0)"),
        (
            Threshold::from_value(0x40_0000_0000_0000),
            "Threshold(th:4)",
        ),
        (
            Threshold::from_value(0x08_0000_0000_0000),
            "Threshold(th:08)",
        ),
        (
            Threshold::from_value(0xfd_70a0_0000_0000),
            "Threshold(th:fd70a)",
        ),
        (
            Threshold::from_value(0xff_ffff_ffff_ffff),
            "Threshold(th:ffffffffffffff)",
        ),
        (Threshold::from_value(1), "Threshold(th:00000000000001)"),
    ];
    for (threshold, debug) in cases {
        let threshold = threshold.unwrap();
        assert_eq!(format!("{threshold:?}"), debug);
        // Display is the bare digits.
        assert_eq!(format!("Threshold(th:{threshold})"), debug, "{threshold:?}");
    }
    // Inside other Debug output too.
    assert_eq!(
        format!("{:?}", Threshold::from_probability(0.25)),
        "Some(Threshold(th:c))"
    );
}

#[test]
fn encoded_compares_orders_and_hashes_by_content() {
    let th = |digits: &str| Threshold::parse(digits).unwrap().encode();
    // Equal text, equal values: `8` and `80000000000000` are one threshold (P2).
    assert_eq!(th("8"), th("80000000000000"));
    assert_eq!(th("8"), "8");
    assert_eq!(th("8").len(), 1);
    assert_ne!(th("8"), th("08"));
    assert!(th("8") == *"8");
    // Against text: equal only to the same text.
    assert_ne!(th("8"), "80");
    assert_ne!(th("8"), "");
    assert!(th("8") != *"c");
    assert!(th("c") != *"C");
    // Ordered as text, byte by byte.
    let mut sorted = [
        th("fd70a"),
        th("c"),
        th("0"),
        th("08"),
        th("8"),
        th("80000000000001"),
    ];
    sorted.sort();
    let texts: Vec<&str> = sorted.iter().map(|e| e.as_str()).collect();
    assert_eq!(texts, ["0", "08", "8", "80000000000001", "c", "fd70a"]);
    assert!(th("8") < th("80000000000001"), "a prefix sorts first");
    // Hashed as the text: usable beside `str` keys.
    assert_eq!(hash_of(&th("c")), hash_of("c"));
    assert_eq!(hash_of(&th("fd70a")), hash_of("fd70a"));
    let set: HashSet<Encoded<14>> = [th("c"), th("c0"), th("c00"), th("8")]
        .into_iter()
        .collect();
    assert_eq!(set.len(), 2);

    // The same for a traceparent and an `ot` value.
    let tp = TraceParent::parse(TP.as_bytes()).unwrap().encode();
    assert_eq!(hash_of(&tp), hash_of(TP));
    assert_eq!(tp.as_bytes(), TP.as_bytes());
    let a = OtValue::parse("th:8;x:1")
        .unwrap()
        .with_threshold(Threshold::from_probability(0.25));
    let b = OtValue::parse("x:1")
        .unwrap()
        .with_threshold(Threshold::from_probability(0.25));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b);
    assert_eq!(a, "th:c;x:1");
    assert_eq!(hash_of(&a), hash_of(&b));
    assert_eq!(a.cmp(&b), std::cmp::Ordering::Equal);
    // Deref to str.
    assert!(a.starts_with("th:c"));
    assert_eq!(format!("[{a:>10}]"), "[  th:c;x:1]");
    assert_eq!(format!("{a:?}"), "\"th:c;x:1\"");
}

// ---------------------------------------------------------------------------------
// Error messages for the kinds beyond the header grammars.
// ---------------------------------------------------------------------------------

/// Refuses every header, as a carrier with its own validation may.
struct Refusing;

impl Injector<'_> for Refusing {
    fn set(&mut self, name: &'static str, _value: &str) -> Result<(), Error> {
        Err(Error::carrier_refused(name))
    }
    fn remove(&mut self, _name: &'static str) {}
}

#[test]
fn error_display_for_the_ot_kinds() {
    // P1-P3; offsets into the `ot` value.
    let long = format!("x:{}", "a".repeat(255)); // 257 characters
    let cases: [(&str, ErrorKind, usize, &str); 9] = [
        (
            "Th:8",
            ErrorKind::SubKey,
            0,
            "tracestate ot: a sub-key must be [a-z][a-z0-9]* followed by ':' at byte 0",
        ),
        (
            "th",
            ErrorKind::SubKey,
            2,
            "tracestate ot: a sub-key must be [a-z][a-z0-9]* followed by ':' at byte 2",
        ),
        (
            "th:8;th:c",
            ErrorKind::SubKey,
            5,
            "tracestate ot: a sub-key appears twice at byte 5",
        ),
        (
            "x:a+b",
            ErrorKind::SubValue,
            3,
            "tracestate ot: invalid character '+' in a sub-key value (allowed: [A-Za-z0-9._-]) at byte 3",
        ),
        (
            "th:ffffffffffffffff",
            ErrorKind::Threshold,
            3,
            "tracestate ot: th must be 1 to 14 lowercase hex digits at byte 3",
        ),
        (
            "x:1;th:C",
            ErrorKind::Threshold,
            7,
            "tracestate ot: th must be 1 to 14 lowercase hex digits at byte 7",
        ),
        (
            "rv:3",
            ErrorKind::Randomness,
            3,
            "tracestate ot: rv must be exactly 14 lowercase hex digits at byte 3",
        ),
        (
            "rv:0123456789abcG",
            ErrorKind::Randomness,
            16,
            "tracestate ot: rv must be exactly 14 lowercase hex digits at byte 16",
        ),
        (
            &long,
            ErrorKind::OtLength,
            256,
            "tracestate ot: longer than 256 characters at byte 256",
        ),
    ];
    for (value, kind, offset, message) in cases {
        let e = OtValue::parse(value).unwrap_err();
        assert_eq!(
            (e.kind(), e.offset(), e.header(), e.member()),
            (kind, offset, "tracestate ot", None),
            "{value}"
        );
        assert_eq!(e.to_string(), message);
    }
    // P1: an update that would pass 256 characters is refused.
    let filler = format!("x:{}", "a".repeat(250)); // 252 characters
    let e = OtValue::parse(&filler)
        .unwrap()
        .with_threshold(Threshold::from_probability(0.5))
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.header()),
        (ErrorKind::OtLength, "tracestate ot")
    );
    assert!(
        e.to_string().starts_with(
            "tracestate ot: the update would make it longer than 256 characters at byte "
        ),
        "{e}"
    );
    // Removing th never makes it longer.
    let ok = OtValue::parse(&filler)
        .unwrap()
        .with_threshold(None)
        .unwrap();
    assert_eq!(ok, filler.as_str());
}

#[test]
fn error_display_for_the_carrier_kinds() {
    let full = Error::carrier_full("x-trace");
    assert_eq!(
        (full.kind(), full.header(), full.offset()),
        (ErrorKind::CarrierFull, "x-trace", 0)
    );
    assert_eq!(full.member(), None);
    assert_eq!(
        full.to_string(),
        "x-trace: the carrier has no free entry for the header"
    );
    let refused = Error::carrier_refused("traceparent");
    assert_eq!(refused.kind(), ErrorKind::CarrierRefused);
    assert_eq!(
        refused.to_string(),
        "traceparent: the carrier refused the header"
    );

    // From injection: a one-entry array takes the traceparent, then is full.
    let mut context = InlineContext::<64>::new_inline(trace_id(), span_id(), TraceFlags::SAMPLED);
    context
        .edit_tracestate(|state| state.insert("congo", "t61rcWkgMzE"))
        .unwrap();
    let mut one = [("", ""); 1];
    let e = context.inject(&mut one).unwrap_err();
    assert_eq!(
        (e.kind(), e.header()),
        (ErrorKind::CarrierFull, "tracestate")
    );
    assert_eq!(
        e.to_string(),
        "tracestate: the carrier has no free entry for the header"
    );
    assert_eq!(one[0], ("traceparent", TP));
    // Through `&mut dyn Injector`, a refusal names the first header.
    let carrier: &mut dyn Injector<'_> = &mut Refusing;
    let e = context.inject(carrier).unwrap_err();
    assert_eq!(
        (e.kind(), e.header()),
        (ErrorKind::CarrierRefused, "traceparent")
    );
    assert_eq!(e.to_string(), "traceparent: the carrier refused the header");
    let e = context.headers().inject(&mut Refusing).unwrap_err();
    assert_eq!(e, Error::carrier_refused("traceparent"));
}

#[test]
fn error_display_for_the_sampler_kinds() {
    // P8: names and arguments of OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG.
    let unknown = "OTEL_TRACES_SAMPLER: unknown sampler (expected always_on, always_off, \
                   traceidratio, parentbased_always_on, parentbased_always_off or \
                   parentbased_traceidratio)";
    let unsupported = "OTEL_TRACES_SAMPLER: sampler not supported by this crate";
    let cases: [(&str, Option<&str>, ErrorKind, &str); 8] = [
        ("parentbased_ratio", None, ErrorKind::SamplerName, unknown),
        ("", None, ErrorKind::SamplerName, unknown),
        ("jaeger_remote", None, ErrorKind::SamplerName, unsupported),
        (
            "parentbased_jaeger_remote",
            None,
            ErrorKind::SamplerName,
            unsupported,
        ),
        ("xray", None, ErrorKind::SamplerName, unsupported),
        (
            "traceidratio",
            Some("half"),
            ErrorKind::SamplerArg,
            "OTEL_TRACES_SAMPLER_ARG: not a number",
        ),
        (
            "traceidratio",
            Some("1.5"),
            ErrorKind::SamplerArg,
            "OTEL_TRACES_SAMPLER_ARG: not a ratio in [0, 1]",
        ),
        (
            "parentbased_traceidratio",
            Some("NaN"),
            ErrorKind::SamplerArg,
            "OTEL_TRACES_SAMPLER_ARG: not a ratio in [0, 1]",
        ),
    ];
    for (name, arg, kind, message) in cases {
        let e = Configured::parse(name, arg).unwrap_err();
        assert_eq!(
            (e.kind(), e.offset(), e.member()),
            (kind, 0, None),
            "{name} {arg:?}"
        );
        assert_eq!(e.to_string(), message, "{name} {arg:?}");
    }
    let (_, missing) = Configured::from_settings(Some("traceidratio"), None);
    let missing = missing.unwrap();
    assert_eq!(missing.kind(), ErrorKind::SamplerArg);
    assert_eq!(
        missing.to_string(),
        "OTEL_TRACES_SAMPLER_ARG: missing (a ratio sampler needs it)"
    );
}

#[test]
fn error_display_for_duplicate_headers() {
    // T7: two traceparent fields, in any case, are an invalid traceparent.
    let two = [("traceparent", TP), ("TraceParent", TP)];
    let extracted = tracecontext::extract(&two);
    let e = *extracted.traceparent_error().unwrap();
    assert_eq!(
        (e.kind(), e.header(), e.offset()),
        (ErrorKind::Duplicate, "traceparent", 0)
    );
    assert_eq!(
        e.to_string(),
        "traceparent: more than one traceparent field"
    );
    assert_eq!(
        extracted.to_string(),
        "invalid traceparent, new trace: traceparent: more than one traceparent field"
    );
    // R2: two traceresponse fields; the error names that header.
    let two = [("traceresponse", TP), ("Traceresponse", TP)];
    let e = response::extract(&two).unwrap_err();
    assert_eq!(
        (e.kind(), e.header()),
        (ErrorKind::Duplicate, "traceresponse")
    );
    assert_eq!(
        e.to_string(),
        "traceresponse: more than one traceresponse field"
    );
    // The response headers' grammar errors name their header too.
    let zero_span = "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01";
    let e = response::extract(&[("traceresponse", zero_span)]).unwrap_err();
    assert_eq!(
        (e.kind(), e.header()),
        (ErrorKind::ParentId, "traceresponse")
    );
    assert_eq!(
        e.to_string(),
        "traceresponse: all zeros is not allowed in parent-id at byte 36"
    );
    let metric = format!("trace;desc={zero_span}");
    let e = response::parse_server_timing(metric.as_bytes()).unwrap_err();
    assert_eq!(
        (e.kind(), e.header()),
        (ErrorKind::ParentId, "server-timing")
    );
    assert_eq!(
        e.to_string(),
        "server-timing: all zeros is not allowed in parent-id at byte 47"
    );
}

// ---------------------------------------------------------------------------------
// Samplers and ID sources behind pointers.
// ---------------------------------------------------------------------------------

#[test]
fn dyn_samplers_and_id_sources_work_where_a_sampler_is_expected() {
    let parent = InlineContext::<64>::new_inline(trace_id(), span_id(), TraceFlags::SAMPLED);
    let mut seeded = SeededIds::new(1);
    let ids: &mut dyn IdSource = &mut seeded;
    // AlwaysOff overrides the sampled parent: the dyn call reaches it.
    let off: &dyn Sampler = &AlwaysOff;
    let (child, decision) = parent.child_decided(ids, off);
    assert!(!decision.is_sampled() && !child.is_sampled());
    let on: &(dyn Sampler + Send + Sync) = &AlwaysOn;
    let (grandchild, decision) = child.child_decided(ids, on);
    assert!(decision.is_sampled() && grandchild.is_sampled());
    assert_eq!(grandchild.parent_span_id(), Some(child.span_id()));
    let (root, decision) = InlineContext::<64>::root_inline(ids, off);
    assert!(!decision.is_sampled() && !root.is_sampled());
    assert!(root.is_random(), "T12: SeededIds promises random trace-ids");
}

#[cfg(feature = "alloc")]
#[test]
fn boxed_and_arc_samplers_work_where_a_sampler_is_expected() {
    use std::sync::Arc;
    use tracecontext::Context;

    let sampled = Context::new(
        trace_id(),
        span_id(),
        TraceFlags::SAMPLED | TraceFlags::RANDOM,
    );
    let dropped = Context::new(trace_id(), span_id(), TraceFlags::RANDOM);
    let mut ids = SeededIds::new(9);

    // Box<dyn Sampler + Send + Sync>, as a sampler chosen from configuration.
    let boxed: Box<dyn Sampler + Send + Sync> = Box::new(AlwaysOff);
    let (child, decision) = sampled.child_decided(&mut ids, &boxed);
    assert!(
        !decision.is_sampled() && !child.is_sampled(),
        "AlwaysOff decided"
    );
    let (child, decision) = sampled.child_decided(&mut ids, &*boxed);
    assert!(!decision.is_sampled() && !child.is_sampled());
    let configured: Box<dyn Sampler + Send + Sync> =
        Box::new(Configured::parse("always_on", None).unwrap());
    let (child, decision) = dropped.child_decided(&mut ids, &configured);
    assert!(
        decision.is_sampled() && child.is_sampled(),
        "always_on decided"
    );

    // Arc<dyn Sampler>, single-threaded.
    let on: Arc<dyn Sampler> = Arc::new(AlwaysOn);
    let (child, decision) = dropped.child_decided(&mut ids, &on);
    assert!(decision.is_sampled() && child.is_sampled());
    let (root, decision) = Context::root(&mut ids, &on);
    assert!(decision.is_sampled() && root.is_sampled());

    // Arc<dyn Sampler + Send + Sync>, shared with another thread.
    let shared: Arc<dyn Sampler + Send + Sync> = Arc::new(ParentBased::new(AlwaysOff));
    let (root, decision) = Context::root(&mut ids, &shared);
    assert!(
        !decision.is_sampled() && !root.is_sampled(),
        "the root sampler decided"
    );
    let task = std::thread::spawn({
        let shared = Arc::clone(&shared);
        let sampled = sampled.clone();
        move || {
            let (child, decision) = sampled.child_decided(&mut SeededIds::new(3), &shared);
            assert_eq!(child.trace_id(), sampled.trace_id());
            decision.is_sampled()
        }
    });
    assert!(task.join().unwrap(), "a sampled local parent is followed");
    // Through an extracted hop as well.
    let incoming = [("traceparent", TP)];
    let (hop, decision) = tracecontext::extract(&incoming).child_or_root(&mut ids, &boxed);
    assert!(!decision.is_sampled() && !hop.is_sampled());
    let (hop, decision) = tracecontext::extract(&incoming).child_or_root(&mut ids, &shared);
    assert!(
        decision.is_sampled() && hop.is_sampled(),
        "a sampled remote parent is followed"
    );
}

#[test]
fn tracestates_compare_and_hash_by_their_members() {
    // Owned states: equal when they encode to the same bytes.
    let a = TraceState::<512>::parse(b"a=1,b=2").unwrap();
    let same = TraceState::<512>::parse(b" a=1 ,, b=2 ").unwrap();
    let other_value = TraceState::<512>::parse(b"a=1,b=3").unwrap();
    let other_order = TraceState::<512>::parse(b"b=2,a=1").unwrap();
    let shorter = TraceState::<512>::parse(b"a=1").unwrap();
    assert_eq!(a, same);
    assert_eq!(hash_of(&a), hash_of(&same));
    for other in [&other_value, &other_order, &shorter, &TraceState::new()] {
        assert_ne!(&a, other, "{other}");
        assert_ne!(hash_of(&a), hash_of(other), "{other}");
    }
    // Views: equal when they hold the same members in the same order, whatever the
    // whitespace or the fields they came in.
    let view = TraceStateView::parse(b"a=1,b=2").unwrap();
    let spaced = TraceStateView::parse(b"a=1 , b=2").unwrap();
    let fields: [&[u8]; 2] = [b"a=1", b"b=2"];
    let joined = TraceStateView::parse_fields(fields).unwrap();
    assert!(view == spaced && view == joined);
    assert_eq!(hash_of(&view), hash_of(&spaced));
    assert_eq!(hash_of(&view), hash_of(&joined));
    // Same length, other members; other length, same start.
    for text in [&b"a=1,b=3"[..], b"b=2,a=1", b"a=1", b"a=1,b=2,c=3"] {
        let other = TraceStateView::parse(text).unwrap();
        assert!(view != other, "{other}");
        assert_ne!(hash_of(&view), hash_of(&other), "{other}");
    }
    // Debug of the iterators.
    assert_eq!(format!("{:?}", view.iter()), "ViewIter { .. }");
    assert_eq!(format!("{:?}", a.iter()), r#"[("a", "1"), ("b", "2")]"#);
}
