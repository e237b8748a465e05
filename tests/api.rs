//! The public API's behaviour: trait impls, conversions, formatting, error messages,
//! flag bits, sizes and the fixed-capacity tracestate.

use std::collections::HashSet;
use std::fmt::Debug;
use std::hash::Hash;
use std::mem::size_of;
use std::num::{NonZeroU64, NonZeroU128};

use tracecontext::{
    Encoded, Error, ErrorKind, Iter, LONG_MEMBER, MAX_KEY_LEN, MAX_MEMBERS, MAX_VALUE_LEN, Members,
    SpanId, TRACEPARENT, TRACESTATE, TraceFlags, TraceId, TraceParent, TraceState, TraceStateView,
    Validation,
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

// ---------------------------------------------------------------------------------
// Trait bounds, checked at compile time.
// ---------------------------------------------------------------------------------

const fn send_sync<T: Send + Sync>() {}
const fn value_type<T: Debug + Clone + Copy + PartialEq + Eq + Hash + Send + Sync>() {}
const fn std_error<T: std::error::Error + Send + Sync + 'static>() {}

#[test]
fn public_types_are_send_sync_and_copy_where_small() {
    const _: () = {
        value_type::<TraceId>();
        value_type::<SpanId>();
        value_type::<TraceFlags>();
        value_type::<TraceParent>();
        value_type::<Error>();
        value_type::<ErrorKind>();
        value_type::<Validation>();
        value_type::<Encoded<55>>();
        std_error::<Error>();
        send_sync::<TraceState>();
        send_sync::<TraceState<64>>();
        send_sync::<TraceStateView<'static>>();
        send_sync::<Iter<'static>>();
        send_sync::<Members<'static, std::iter::Once<&'static [u8]>>>();
    };
    fn owned<T: Debug + Clone + PartialEq + Eq + Hash + Default + Send + Sync>() {}
    fn view<T: Debug + Clone + PartialEq + Eq + Hash + Send + Sync>() {}
    owned::<TraceState>();
    owned::<TraceState<96>>();
    view::<TraceStateView<'static>>();
}

#[test]
fn sizes() {
    assert_eq!(size_of::<TraceId>(), 16);
    assert_eq!(size_of::<SpanId>(), 8);
    assert_eq!(size_of::<TraceFlags>(), 1);
    assert_eq!(size_of::<Option<TraceId>>(), size_of::<TraceId>());
    assert_eq!(size_of::<Option<SpanId>>(), size_of::<SpanId>());
    assert_eq!(size_of::<Option<TraceParent>>(), size_of::<TraceParent>());
    assert!(size_of::<Error>() <= 24, "{}", size_of::<Error>());
    assert!(size_of::<TraceState<64>>() < size_of::<TraceState<512>>());
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
    ];
    for (input, kind, offset, message) in cases {
        let e = TraceParent::parse(input.as_bytes()).unwrap_err();
        assert_eq!(e.to_string(), message, "{input:?}");
        assert_eq!(
            (e.kind(), e.offset(), e.member()),
            (kind, offset, None),
            "{input:?}"
        );
        assert_eq!(e.kind().header(), "traceparent");
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
    for kind in [
        ErrorKind::Version,
        ErrorKind::TraceId,
        ErrorKind::ParentId,
        ErrorKind::TraceFlags,
        ErrorKind::Trailing,
    ] {
        assert_eq!(kind.header(), "traceparent");
    }
    for kind in [
        ErrorKind::Member,
        ErrorKind::Key,
        ErrorKind::Value,
        ErrorKind::MemberCount,
        ErrorKind::Capacity,
    ] {
        assert_eq!(kind.header(), "tracestate");
    }
}

// ---------------------------------------------------------------------------------
// tracestate.
// ---------------------------------------------------------------------------------

#[test]
fn tracestate_view_api() {
    let input = b" rojo=00f067aa0ba902b7 ,\t,congo=t61rcWkgMzE,rojo=dup";
    let view = TraceStateView::parse(input).unwrap();
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
    ];
    for (key, value, kind, message) in cases {
        let e = s.insert(&key, value).unwrap_err();
        assert_eq!(e.to_string(), message, "{key:?}={value:?}");
        assert_eq!(e.kind(), kind);
        assert_eq!(e.member(), None);
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
