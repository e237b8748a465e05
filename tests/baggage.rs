//! W3C Baggage (rules B1–B10 in docs/RULES.md): the view against the spec's
//! examples and edge cases, against a slow reference reader on arbitrary input,
//! the percent-encoding round trip, the limits, and hostile inputs. The decoded
//! values are read with `Member::value`, which needs the `alloc` feature.
#![cfg(feature = "alloc")]

use proptest::prelude::*;
use tracecontext::baggage::{self, BaggageView, MAX_BYTES, MAX_MEMBERS};
use tracecontext::{ErrorKind, Validation};

fn keys<'a>(view: &BaggageView<'a>) -> Vec<&'a str> {
    view.iter().map(|m| m.key()).collect()
}

fn decoded(raw_member: &str) -> String {
    let view = BaggageView::parse(raw_member);
    view.iter().next().unwrap().value().into_owned()
}

#[test]
fn b10_the_specs_examples() {
    let view = BaggageView::parse(
        "key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue",
    );
    assert_eq!(view.problem(), None);
    assert_eq!(keys(&view), ["key1", "key2", "key3"]);
    let key1 = view.get("key1").unwrap();
    assert_eq!(key1.raw_value(), "value1");
    let props: Vec<_> = key1
        .properties()
        .map(|p| (p.key(), p.raw_value()))
        .collect();
    assert_eq!(props, [("property1", None), ("property2", None)]);
    assert_eq!(view.get("key2").unwrap().raw_value(), "value2");
    let key3: Vec<_> = view.get("key3").unwrap().properties().collect();
    assert_eq!(key3[0].key(), "propertyKey");
    assert_eq!(key3[0].raw_value(), Some("propertyValue"));

    let view = BaggageView::parse("userId=Am%C3%A9lie,serverNode=DF%2028,isProduction=false");
    assert_eq!(view.get("userId").unwrap().value(), "Amélie");
    assert_eq!(view.get("serverNode").unwrap().value(), "DF 28");
    assert_eq!(view.get("isProduction").unwrap().value(), "false");
}

#[test]
fn b4_a_value_may_contain_equals_signs() {
    let view = BaggageView::parse("token=a=b==,k=");
    assert_eq!(view.get("token").unwrap().raw_value(), "a=b==");
    assert_eq!(
        view.get("k").unwrap().raw_value(),
        "",
        "an empty value is valid"
    );
    let view = BaggageView::parse("k=v;p=x=y");
    let p = view.get("k").unwrap().properties().next().unwrap();
    assert_eq!(p.raw_value(), Some("x=y"));
}

#[test]
fn b2_whitespace_is_allowed_around_every_separator_and_is_not_part_of_anything() {
    let view = BaggageView::parse(" \t a \t= \t1 \t; \tp \t= \tq \t; \tr \t, \t b=2\t");
    assert_eq!(view.problem(), None);
    let a = view.get("a").unwrap();
    assert_eq!(a.raw_value(), "1");
    assert_eq!(a.as_str(), "a \t= \t1 \t; \tp \t= \tq \t; \tr");
    let props: Vec<_> = a.properties().map(|p| (p.key(), p.raw_value())).collect();
    assert_eq!(props, [("p", Some("q")), ("r", None)]);
    assert_eq!(view.get("b").unwrap().raw_value(), "2");
    // Inside a value, a space is not allowed.
    let view = BaggageView::parse("a=1 2,b=3");
    assert_eq!(keys(&view), ["b"]);
    let problem = view.problem().unwrap();
    assert_eq!(problem.kind(), ErrorKind::Member);
    assert_eq!((problem.member(), problem.offset()), (Some(1), 4));
}

#[test]
fn b3_keys_are_tokens_and_keep_their_case() {
    let view = BaggageView::parse("UserId=1,userid=2,a!#$%&'*+-.^_`|~9=3");
    assert_eq!(keys(&view), ["UserId", "userid", "a!#$%&'*+-.^_`|~9"]);
    assert_eq!(view.get("userid").unwrap().raw_value(), "2");
    for bad in ["a@b=1", "a/b=1", "(a)=1", "=1", "a\"=1", "é=1"] {
        let view = BaggageView::parse(bad);
        assert!(view.is_empty(), "{bad:?}");
        let kind = view.problem().unwrap().kind();
        assert!(
            matches!(kind, ErrorKind::Key | ErrorKind::Member),
            "{bad:?}: {kind:?}"
        );
    }
}

#[test]
fn b4_value_octets() {
    for c in 0u8..=0x7f {
        let text = format!("k=a{}b", c as char);
        let view = BaggageView::parse(&text);
        let allowed = matches!(c, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e);
        // `,` splits into two members and `;` starts a property: both stay valid
        // in another shape; `%` needs hex digits after it.
        match c {
            b',' => assert_eq!(view.len(), 1, "{text:?}"),
            b';' => assert_eq!(view.get("k").unwrap().raw_value(), "a", "{text:?}"),
            b'%' => assert!(view.is_empty(), "{text:?}"),
            _ => assert_eq!(view.len() == 1, allowed, "{text:?}"),
        }
    }
    // Non-ASCII bytes, as a carrier may hand them over, are invalid members.
    let fields: [&[u8]; 1] = [b"a=\xc3\xa9,b=2"];
    let view = BaggageView::parse_fields_with(fields, Validation::Lenient).unwrap();
    assert_eq!(keys(&view), ["b"]);
    assert_eq!(view.problem().unwrap().offset(), 2);
}

#[test]
fn b5_percent_decoding_edge_cases() {
    assert_eq!(decoded("k=%41%62"), "Ab");
    assert_eq!(decoded("k=%e2%82%ac"), "€", "lowercase hex is accepted");
    assert_eq!(decoded("k=%25"), "%");
    assert_eq!(decoded("k=%FF"), "\u{FFFD}", "not UTF-8");
    assert_eq!(decoded("k=a%C3"), "a\u{FFFD}", "a cut sequence");
    assert_eq!(decoded("k=%C0%AF"), "\u{FFFD}\u{FFFD}", "overlong");
    assert_eq!(
        decoded("k=%ED%A0%80"),
        "\u{FFFD}\u{FFFD}\u{FFFD}",
        "a surrogate"
    );
    assert_eq!(decoded("k=%EF%BF%BD"), "\u{FFFD}", "U+FFFD itself");
    assert_eq!(decoded("k=%F0%9F%98%80x"), "😀x");
    // Into a buffer: a sequence cut by a plain byte, or by the end; a buffer that
    // holds the bytes decoded but not their replacement.
    let into = |field: &str, len: usize| {
        let view = BaggageView::parse(field);
        let mut buf = vec![0u8; len];
        let member = view.iter().next().unwrap();
        member.decode_value_into(&mut buf).map(str::to_owned)
    };
    assert_eq!(into("k=%E2%82x", 8).unwrap(), "\u{FFFD}x");
    assert_eq!(into("k=x%F0%9F%98", 8).unwrap(), "x\u{FFFD}");
    assert_eq!(into("k=%C3%A9", 2).unwrap(), "é");
    assert_eq!(into("k=%FF", 1).unwrap_err().kind(), ErrorKind::Capacity);
    assert_eq!(into("k=%FF", 3).unwrap(), "\u{FFFD}");
    for bad in ["k=%", "k=%4", "k=%zz", "k=%4g", "k=a%"] {
        let view = BaggageView::parse(bad);
        assert!(view.is_empty(), "{bad:?}");
        let problem = view.problem().unwrap();
        assert_eq!(problem.kind(), ErrorKind::Value, "{bad:?}");
        assert!(
            problem
                .to_string()
                .contains("'%' not followed by two hex digits"),
            "{problem}"
        );
    }
    let view = BaggageView::parse("k=v;p=%zz");
    assert_eq!(view.problem().unwrap().kind(), ErrorKind::Property);
    // Into a buffer: the raw length always suffices; a shorter one is an error.
    let view = BaggageView::parse("k=Am%C3%A9lie");
    let member = view.iter().next().unwrap();
    let mut buf = [0u8; 11];
    assert_eq!(member.decode_value_into(&mut buf).unwrap(), "Amélie");
    let mut small = [0u8; 6];
    let error = member.decode_value_into(&mut small).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Capacity);
    assert!(matches!(member.value(), std::borrow::Cow::Owned(_)));
    let plain = BaggageView::parse("k=plain");
    assert!(matches!(
        plain.iter().next().unwrap().value(),
        std::borrow::Cow::Borrowed("plain")
    ));
}

#[test]
fn b5_encoding_escapes_exactly_what_the_grammar_does_not_allow() {
    assert_eq!(baggage::encode("Amélie").to_string(), "Am%C3%A9lie");
    assert_eq!(baggage::encode("DF 28").to_string(), "DF%2028");
    assert_eq!(baggage::encode("a=b").to_string(), "a=b");
    assert_eq!(baggage::encode("50%").to_string(), "50%25");
    assert_eq!(baggage::encode("\",;\\").to_string(), "%22%2C%3B%5C");
    assert_eq!(baggage::encode("\u{7f}\t").to_string(), "%7F%09");
    let e = baggage::encode("é x");
    assert_eq!(e.len(), e.to_string().len());
    assert!(baggage::encode("").is_empty());
}

#[test]
fn b7_duplicates_keep_their_order_and_get_returns_the_first() {
    let view = BaggageView::parse("k=1,j=0,k=2");
    assert_eq!(keys(&view), ["k", "j", "k"]);
    assert_eq!(view.get("k").unwrap().raw_value(), "1");
    assert!(view.get("K").is_none());
}

#[test]
fn b1_several_fields_are_one_list() {
    let fields: [&[u8]; 4] = [b"a=1", b"", b" , ", b"b=2,c=3"];
    let view = BaggageView::parse_fields_with(fields, Validation::Strict).unwrap();
    assert_eq!(keys(&view), ["a", "b", "c"]);
    assert_eq!(view.encoded_len(), "a=1,b=2,c=3".len());
    // Offsets count through the fields as if joined with `,`: the `=` was due
    // after `c`, at byte 9 of `a=1,b=2,c`.
    let fields: [&[u8]; 2] = [b"a=1", b"b=2,c"];
    let error = BaggageView::parse_fields_with(fields, Validation::Strict).unwrap_err();
    assert_eq!((error.member(), error.offset()), (Some(3), 9));
    assert_eq!(error.header(), "baggage");
}

#[test]
fn b8_lenient_drops_bad_members_strict_rejects_the_list() {
    let text = "a=1,b c=2,d=3,e=%zz,f=4";
    let view = BaggageView::parse(text);
    assert_eq!(keys(&view), ["a", "d", "f"]);
    assert_eq!(view.dropped(), 2);
    let first = view.problem().unwrap();
    assert_eq!((first.member(), first.offset()), (Some(2), 6));
    assert_eq!(
        first.to_string(),
        "baggage: no '=' between key and value in member 2 at byte 6"
    );
    let strict = BaggageView::parse_fields_with([text.as_bytes()], Validation::Strict);
    assert_eq!(strict.unwrap_err(), first);
}

fn members(n: usize, value_len: usize) -> String {
    (0..n)
        .map(|i| format!("k{i}={}", "v".repeat(value_len)))
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn b6_at_most_64_members() {
    let text = members(MAX_MEMBERS, 1);
    let view = BaggageView::parse(&text);
    assert_eq!((view.len(), view.dropped(), view.problem()), (64, 0, None));
    let text = members(MAX_MEMBERS + 3, 1);
    let view = BaggageView::parse(&text);
    assert_eq!(view.len(), 64);
    assert_eq!(view.iter().last().unwrap().key(), "k63");
    // Counting stops at the first member past the limit.
    assert_eq!(view.dropped(), 1);
    let problem = view.problem().unwrap();
    assert_eq!(problem.kind(), ErrorKind::MemberCount);
    assert_eq!(problem.member(), Some(65));
    assert_eq!(
        problem.to_string(),
        format!(
            "baggage: more than 64 members at byte {}",
            text.find("k64").unwrap()
        )
    );
    // Invalid members do not count toward the limit.
    let text = format!("bad,{}", members(MAX_MEMBERS, 1));
    assert_eq!(BaggageView::parse(&text).len(), 64);
}

#[test]
fn b6_at_most_8192_bytes_whole_members_dropped_from_the_right() {
    // 8 members of 1024 bytes joined: 8 * 1024 + 7 > 8192, so the 8th goes.
    let text = members(8, 1024 - "k0=".len());
    let view = BaggageView::parse(&text);
    assert_eq!(view.len(), 7);
    assert_eq!(view.problem().unwrap().kind(), ErrorKind::Capacity);
    assert!(view.encoded_len() <= MAX_BYTES);
    // Exactly 8192 joined is kept.
    let head = members(7, 1024 - "k0=".len());
    let last_len = MAX_BYTES - head.len() - 1;
    let text = format!("{head},z={}", "v".repeat(last_len - 2));
    let view = BaggageView::parse(&text);
    assert_eq!(
        (view.len(), view.encoded_len(), view.problem()),
        (8, MAX_BYTES, None)
    );
    // A smaller member after the one that did not fit is dropped too: a prefix is kept.
    let text = format!("a=1,big={},c=3", "v".repeat(MAX_BYTES));
    assert_eq!(keys(&BaggageView::parse(&text)), ["a"]);
}

#[test]
fn hostile_inputs_are_bounded() {
    let mib = "a".repeat(1024 * 1024);
    let view = BaggageView::parse(&mib);
    assert!(view.is_empty());
    let many = "k=v,".repeat(100_000);
    let view = BaggageView::parse(&many);
    assert_eq!(view.len(), 64);
    let field = b"k=v".as_slice();
    let fields = vec![field; 10_000];
    let view = BaggageView::parse_fields_with(fields.iter().copied(), Validation::Strict).unwrap();
    assert_eq!(view.len(), 64);
    let invalid = "@,".repeat(500_000);
    let view = BaggageView::parse(&invalid);
    assert_eq!(view.dropped(), 500_000);
    // The owned forms read the same way.
    assert!(Baggage::parse(&mib).is_empty());
    assert_eq!(Baggage::parse(&many).len(), 64);
    let owned = Baggage::parse_fields_with(fields.iter().copied(), Validation::Strict).unwrap();
    assert_eq!(owned.as_str(), vec!["k=v"; 64].join(","));
    assert_eq!(Baggage::parse(&invalid).dropped(), 500_000);
    let carrier: Vec<(&str, &str)> = vec![("baggage", "k=v"); 10_000];
    assert_eq!(SharedBaggage::extract(&carrier).len(), 64);
    assert_eq!(Baggage::extract(&carrier).len(), 64);
}

// ---------------------------------------------------------------- the reference

fn is_token(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

fn is_value(v: &str) -> bool {
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            if i + 2 >= b.len() || !(b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit()) {
                return false;
            }
            i += 3;
            continue;
        }
        if !(c == 0x21
            || (0x23..=0x2b).contains(&c)
            || (0x2d..=0x3a).contains(&c)
            || (0x3c..=0x5b).contains(&c)
            || (0x5d..=0x7e).contains(&c))
        {
            return false;
        }
        i += 1;
    }
    true
}

const OWS: [char; 2] = [' ', '\t'];

/// A slow, obvious reading of one member: `(key, raw value)` if it is valid.
fn ref_member(m: &str) -> Option<(String, String)> {
    let mut parts = m.split(';');
    let (k, v) = parts.next()?.split_once('=')?;
    let (k, v) = (k.trim_end_matches(OWS), v.trim_matches(OWS));
    if k.is_empty() || !k.bytes().all(is_token) || !is_value(v) {
        return None;
    }
    for p in parts {
        let p = p.trim_matches(OWS);
        let (pk, pv) = p.split_once('=').map_or((p, ""), |(a, b)| {
            (a.trim_end_matches(OWS), b.trim_start_matches(OWS))
        });
        if pk.is_empty() || !pk.bytes().all(is_token) || !is_value(pv) {
            return None;
        }
    }
    Some((k.to_owned(), v.to_owned()))
}

fn reference(fields: &[Vec<u8>]) -> Vec<(String, String)> {
    let mut kept = Vec::new();
    let mut len = 0;
    for field in fields {
        for piece in field.split(|&c| c == b',') {
            let Ok(text) = std::str::from_utf8(piece) else {
                continue;
            };
            let text = text.trim_matches(OWS);
            if text.is_empty() {
                continue;
            }
            if let Some(member) = ref_member(text) {
                let joined = len + usize::from(!kept.is_empty()) + text.len();
                if kept.len() == MAX_MEMBERS || joined > MAX_BYTES {
                    return kept;
                }
                len = joined;
                kept.push(member);
            }
        }
    }
    kept
}

fn baggage_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"k=v".to_vec()),
        Just(b",".to_vec()),
        Just(b";".to_vec()),
        Just(b"=".to_vec()),
        Just(b" ".to_vec()),
        Just(b"\t".to_vec()),
        Just(b"%".to_vec()),
        Just(b"%4".to_vec()),
        Just(b"%41".to_vec()),
        Just(b"a".to_vec()),
        Just(b"Z9".to_vec()),
        any::<u8>().prop_map(|b| vec![b]),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|p| p.concat())
}

/// Lists as senders write them, mostly valid: members joined by commas, with
/// now and then an invalid part, whitespace, an empty entry, and sometimes more
/// than 64 members.
fn list_bytes() -> impl Strategy<Value = Vec<u8>> {
    let key = prop_oneof![
        6 => Just("k"),
        3 => Just("userId"),
        1 => Just("a-b!%"),
        1 => Just(""),
        1 => Just("k k"),
        1 => Just("("),
    ];
    let value = prop_oneof![
        3 => Just(""),
        3 => Just("v"),
        2 => Just("a=b"),
        2 => Just("%41"),
        2 => Just("Am%C3%A9lie"),
        1 => Just("%4"),
        1 => Just("%zz"),
        1 => Just("\u{e9}"),
        1 => Just("\""),
        1 => Just(" v"),
    ];
    let properties = prop_oneof![
        4 => Just(""),
        2 => Just(";p"),
        2 => Just(";p=%20;q"),
        1 => Just(";"),
        1 => Just(";=x"),
        1 => Just("; p"),
    ];
    let equals = prop_oneof![8 => Just("="), 1 => Just("")];
    let any = (key, equals, value, properties).prop_map(|(k, e, v, p)| format!("{k}{e}{v}{p}"));
    let valid = (
        prop_oneof![Just("k"), Just("userId"), Just("a-b!%")],
        prop_oneof![Just(""), Just("v"), Just("a=b"), Just("Am%C3%A9lie")],
        prop_oneof![Just(""), Just(";p"), Just(";p=%20;q")],
    )
        .prop_map(|(k, v, p)| format!("{k}={v}{p}"));
    let member = prop_oneof![12 => valid, 1 => any];
    let separator =
        prop_oneof![30 => Just(","), 1 => Just(",,"), 1 => Just(" , "), 1 => Just(",\t")];
    (
        proptest::collection::vec(member, 0..70),
        proptest::collection::vec(separator, 70),
    )
        .prop_map(|(members, separators)| {
            let mut list = String::new();
            for (i, member) in members.iter().enumerate() {
                if i > 0 {
                    list.push_str(separators[i]);
                }
                list.push_str(member);
            }
            list.into_bytes()
        })
}

/// Fields of either kind: bytes that rarely make a member, or lists.
fn field_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![baggage_bytes(), list_bytes()]
}

proptest! {
    /// Extracting from a carrier with no field, one or several reads what the
    /// fields read as one list do, in each form.
    #[test]
    fn extracting_reads_the_fields_as_one_list(fields in proptest::collection::vec(field_bytes(), 0..4)) {
        let carrier: Vec<(&str, &[u8])> = fields
            .iter()
            .flat_map(|field| [("other", &b"x=1"[..]), ("Baggage", field.as_slice())])
            .collect();
        let joined = || fields.iter().map(Vec::as_slice);
        let want = BaggageView::parse_fields_with(joined(), Validation::Lenient).unwrap();
        let view = BaggageView::extract(carrier.as_slice());
        let members = |view: &BaggageView<'_>| view.iter().map(|m| m.as_str().to_owned()).collect::<Vec<_>>();
        prop_assert_eq!(members(&view), members(&want));
        prop_assert_eq!(view.problem(), want.problem());
        prop_assert_eq!(view.dropped(), want.dropped());
        prop_assert_eq!(view.encoded_len(), want.encoded_len());
        let owned = Baggage::extract(carrier.as_slice());
        let want = Baggage::parse_fields_with(joined(), Validation::Lenient).unwrap();
        prop_assert_eq!(owned.as_str(), want.as_str());
        prop_assert_eq!(owned.problem(), want.problem());
        prop_assert_eq!(owned.dropped(), want.dropped());
        let shared = SharedBaggage::extract(carrier.as_slice());
        prop_assert_eq!(shared.as_str(), want.as_str());
    }

    #[test]
    fn the_view_agrees_with_the_reference(fields in proptest::collection::vec(field_bytes(), 1..4)) {
        let want = reference(&fields);
        let view = BaggageView::parse_fields_with(fields.iter().map(Vec::as_slice), Validation::Lenient).unwrap();
        let got: Vec<(String, String)> = view.iter().map(|m| (m.key().to_owned(), m.raw_value().to_owned())).collect();
        prop_assert_eq!(&got, &want);
        prop_assert_eq!(view.len(), want.len());
        let strict = BaggageView::parse_fields_with(fields.iter().map(Vec::as_slice), Validation::Strict);
        if let Ok(strict) = strict {
            prop_assert_eq!(strict.len(), want.len());
        }
    }

    #[test]
    fn decode_of_encode_is_the_value(value in any::<String>()) {
        let text = format!("k={}", baggage::encode(&value));
        let view = BaggageView::parse(&text);
        let member = view.iter().next().unwrap();
        prop_assert_eq!(member.value(), value.as_str());
        let mut buf = vec![0u8; member.raw_value().len()];
        prop_assert_eq!(member.decode_value_into(&mut buf).unwrap(), value.as_str());
    }

    #[test]
    fn decoding_replaces_bad_utf8_as_the_standard_library_does(bytes in proptest::collection::vec(any::<u8>(), 0..24)) {
        let raw: String = bytes.iter().map(|b| format!("%{b:02X}")).collect();
        let text = format!("k={raw}");
        let view = BaggageView::parse(&text);
        let want = String::from_utf8_lossy(&bytes);
        prop_assert_eq!(view.iter().next().unwrap().value(), want);
    }

    /// Into a buffer of any length: the text `String::from_utf8_lossy` gives when
    /// it fits, a capacity error when it does not (a replacement may make the
    /// text longer than the bytes decoded).
    #[test]
    fn decoding_into_a_buffer_fits_the_replaced_text(
        pieces in proptest::collection::vec((any::<u8>(), any::<bool>()), 0..16),
    ) {
        let mut raw = String::new();
        let mut bytes = Vec::new();
        for (byte, escaped) in pieces {
            let plain = byte.is_ascii_alphanumeric();
            if plain && !escaped {
                raw.push(char::from(byte));
            } else {
                raw.push_str(&format!("%{byte:02X}"));
            }
            bytes.push(byte);
        }
        let text = format!("k={raw}");
        let view = BaggageView::parse(&text);
        let member = view.get("k").unwrap();
        let want = String::from_utf8_lossy(&bytes);
        for len in 0..=want.len() + 1 {
            let mut buf = vec![0u8; len];
            match member.decode_value_into(&mut buf) {
                Ok(text) => prop_assert!(len >= want.len() && text == want, "{len}: {text:?}"),
                Err(error) => {
                    prop_assert!(len < want.len(), "{len}");
                    prop_assert_eq!(error.kind(), ErrorKind::Capacity);
                    prop_assert_eq!(error.offset(), 0);
                }
            }
        }
    }
}

/// `get` compares whole keys, even with a key that no member can have, in the view,
/// the owned form and the shared form.
#[test]
fn b7_get_compares_whole_keys() {
    let field = "a ==x, b\t= y ;p, a=1";
    let view = BaggageView::parse(field);
    let owned = Baggage::parse(field);
    let shared = SharedBaggage::from(&view);
    assert_eq!(view.get("a").unwrap().raw_value(), "=x");
    assert_eq!(owned.get("a").unwrap().raw_value(), "=x");
    assert_eq!(shared.get("a").unwrap().raw_value(), "=x");
    for key in ["a =", "a=", "a ", "b\t", "b", "", "a =x"] {
        let want = (key == "b").then_some("b\t= y ;p");
        assert_eq!(view.get(key).map(|m| m.as_str()), want, "{key:?}");
        assert_eq!(owned.get(key).map(|m| m.as_str()), want, "{key:?}");
        assert_eq!(shared.get(key).map(|m| m.as_str()), want, "{key:?}");
    }
    let member = view.get("b").unwrap();
    assert_eq!((member.key(), member.raw_value()), ("b", "y"));
    assert_eq!(member.properties().next().unwrap().key(), "p");
    // Removing compares whole keys too: a key that no member can have removes
    // nothing, and a key removes only the members with exactly that key.
    let mut owned = Baggage::parse("a=b=c,ab=1,a=2,b=3");
    for key in ["a=b", "a=", "a ", "", "a,b", "A"] {
        assert!(!owned.remove(key), "{key:?}");
    }
    assert_eq!(owned.as_str(), "a=b=c,ab=1,a=2,b=3");
    assert!(owned.remove("a"));
    assert_eq!(owned.as_str(), "ab=1,b=3");
    owned.insert("b", "4").unwrap();
    assert_eq!(owned.as_str(), "ab=1,b=4");
}

// ---------------------------------------------------------------- the owned form

use tracecontext::baggage::{Baggage, InlineBaggage, SharedBaggage};

/// The percent-encoding rule B5 asks for, written out the slow way.
fn ref_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            let plain = b != b'%' && is_value(std::str::from_utf8(&[b]).unwrap_or("\""));
            if plain {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn the_owned_form_reads_as_the_view_does() {
    let fields: [&[u8]; 3] = [b" a=1 ;p, bad key=2,,", b"", b"b = %41=;q=%20 ,c=3"];
    let view = BaggageView::parse_fields_with(fields, Validation::Lenient).unwrap();
    let owned = Baggage::parse_fields_with(fields, Validation::Lenient).unwrap();
    assert_eq!(owned.as_str(), "a=1 ;p,b = %41=;q=%20,c=3");
    assert_eq!(owned.encoded_len(), view.encoded_len());
    assert_eq!(owned.len(), 3);
    assert_eq!(
        (owned.dropped(), owned.problem()),
        (view.dropped(), view.problem())
    );
    assert_eq!(owned.get("b").unwrap().value(), "A=");
    assert_eq!(Baggage::from(&view), owned);
    let strict = Baggage::parse_fields_with(fields, Validation::Strict).unwrap_err();
    assert_eq!(strict.member(), Some(2));
    assert_eq!(strict.offset(), 13);
    assert!("a=1,b=%zz".parse::<Baggage>().is_err());
    assert_eq!(
        "a=1, b=2".parse::<Baggage>().unwrap().to_string(),
        "a=1,b=2"
    );
}

#[test]
fn b6_a_smaller_owned_form_drops_whole_members_from_the_right() {
    let three = "a=1,b=22,c=3";
    let by_count = InlineBaggage::<64, 2>::parse(three);
    assert_eq!(by_count.as_str(), "a=1,b=22");
    let problem = by_count.problem().unwrap();
    assert_eq!(
        (problem.kind(), problem.member(), problem.offset()),
        (ErrorKind::MemberCount, Some(3), 9)
    );
    // "a=1,b=22" is 8 bytes: with 7, the second member goes whole.
    let by_bytes = InlineBaggage::<7, 8>::parse(three);
    assert_eq!(by_bytes.as_str(), "a=1");
    assert_eq!(by_bytes.problem().unwrap().kind(), ErrorKind::Capacity);
    assert_eq!(by_bytes.dropped(), 1);
    // The same from a view, counting the view's members.
    let view = BaggageView::parse(three);
    let from_view = InlineBaggage::<7, 8>::from(&view);
    assert_eq!(from_view.as_str(), "a=1");
    assert_eq!(from_view.problem().unwrap().member(), Some(2));
    let exact = InlineBaggage::<8, 2>::parse(three);
    assert_eq!(exact.as_str(), "a=1,b=22");
}

#[test]
fn insert_checks_keys_encodes_values_and_replaces_in_place() {
    let mut baggage: Baggage = "a=1,b=2;p,a=3,c=4".parse().unwrap();
    baggage.insert("a", "x y").unwrap();
    assert_eq!(baggage.as_str(), "a=x%20y,b=2;p,c=4");
    baggage.insert("d", "").unwrap();
    assert_eq!(baggage.as_str(), "a=x%20y,b=2;p,c=4,d=");
    baggage
        .insert_with_properties("c", "=;,", &[("k", None), ("v", Some("\"é\""))])
        .unwrap();
    assert_eq!(
        baggage.as_str(),
        "a=x%20y,b=2;p,c==%3B%2C;k;v=%22%C3%A9%22,d="
    );
    let c = baggage.get("c").unwrap();
    assert_eq!(c.value(), "=;,");
    let props: Vec<_> = c.properties().map(|p| (p.key(), p.raw_value())).collect();
    assert_eq!(props, [("k", None), ("v", Some("%22%C3%A9%22"))]);
    assert!(baggage.remove("b"));
    assert!(!baggage.remove("b"));
    assert_eq!(baggage.as_str(), "a=x%20y,c==%3B%2C;k;v=%22%C3%A9%22,d=");

    let before = baggage.clone();
    for (key, props, kind, offset) in [
        ("", &[][..], ErrorKind::Key, 0),
        ("a b", &[][..], ErrorKind::Key, 1),
        ("ok", &[("", None)][..], ErrorKind::Property, 0),
        ("ok", &[("p;q", None)][..], ErrorKind::Property, 1),
        ("é", &[][..], ErrorKind::Key, 0),
    ] {
        let err = baggage.insert_with_properties(key, "v", props).unwrap_err();
        assert_eq!(
            (err.kind(), err.offset(), err.header()),
            (kind, offset, "baggage"),
            "{key:?}"
        );
        assert_eq!(baggage, before);
    }
}

#[test]
fn edits_compare_whole_keys() {
    // Keys that are prefixes of others, a key with whitespace before its `=`, and
    // keys followed by properties.
    let list = "ab=1,a =2;p,a=3;q=r,b=4,a;=5";
    assert!(list.parse::<Baggage>().is_err());
    let list = "ab=1,a =2;p,a=3;q=r,b=4";
    let mut baggage: Baggage = list.parse().unwrap();
    for absent in ["", "a ", "a=", "A", "abc", "ab=1"] {
        assert!(!baggage.remove(absent), "{absent:?}");
        assert_eq!(baggage.as_str(), list);
    }
    baggage.insert("a", "x").unwrap();
    assert_eq!(baggage.as_str(), "ab=1,a=x,b=4");
    baggage.insert("ab", "y").unwrap();
    assert_eq!(baggage.as_str(), "ab=y,a=x,b=4");
    baggage.insert("b", "z").unwrap();
    assert_eq!(baggage.as_str(), "ab=y,a=x,b=z");

    let mut baggage: Baggage = list.parse().unwrap();
    assert!(baggage.remove("a"));
    assert_eq!((baggage.as_str(), baggage.len()), ("ab=1,b=4", 2));
    assert!(baggage.remove("ab"));
    assert!(baggage.remove("b"));
    assert_eq!((baggage.as_str(), baggage.len()), ("", 0));
    assert!(!baggage.remove("b"));

    // Room is counted without the members the key replaces.
    let mut small = InlineBaggage::<12, 3>::parse("a=1,bb=2,a=3");
    assert_eq!(small.as_str(), "a=1,bb=2,a=3");
    small.insert("a", "12345").unwrap();
    assert_eq!(small.as_str(), "a=12345,bb=2");
    assert!(small.insert("c", "").is_err());
    assert_eq!(small.as_str(), "a=12345,bb=2");
}

#[test]
fn insert_refuses_what_does_not_fit_and_changes_nothing() {
    let mut two = InlineBaggage::<16, 2>::new();
    two.insert("a", "1").unwrap();
    two.insert("b", "2").unwrap();
    let err = two.insert("c", "3").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MemberCount);
    // Replacing keeps the count.
    two.insert("a", "123456").unwrap();
    assert_eq!(two.as_str(), "a=123456,b=2");
    // 16 bytes: "a=1234567,b=2" is 13, "a=12345678901,b=2" is 17.
    let err = two.insert("a", "12345678901").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Capacity);
    assert_eq!(two.as_str(), "a=123456,b=2");
    two.insert("a", "1234567890").unwrap();
    assert_eq!(two.as_str(), "a=1234567890,b=2");
    assert_eq!(two.encoded_len(), 16);
    // A value that grows by encoding counts encoded.
    let err = InlineBaggage::<4, 2>::new().insert("a", "é").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Capacity);
    two.clear();
    assert!(two.is_empty());
    assert_eq!(two.as_str(), "");
}

#[test]
fn injecting_sends_one_header_or_none() {
    let mut baggage: Baggage = "a=1".parse().unwrap();
    let mut headers = vec![("baggage".to_owned(), "stale".to_owned())];
    baggage.inject(&mut headers).unwrap();
    assert_eq!(headers, [("baggage".to_owned(), "a=1".to_owned())]);
    baggage.clear();
    baggage.inject(&mut headers).unwrap();
    assert!(headers.is_empty(), "{headers:?}");
    let shared = SharedBaggage::from(&BaggageView::parse("k=v"));
    let mut array = [("", ""); 1];
    shared.inject(&mut array).unwrap();
    assert_eq!(array[0], ("baggage", "k=v"));
}

#[test]
fn b9_baggage_is_read_whatever_the_traceparent() {
    let requests: [&[(&str, &str)]; 4] = [
        &[("baggage", "tenant=acme")],
        &[
            (
                "traceparent",
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            ),
            ("baggage", "tenant=acme"),
        ],
        &[
            (
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
            ("traceparent", "x"),
            ("BAGGAGE", "tenant=acme"),
        ],
        &[
            (
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
            ("tracestate", "Bad=1"),
            ("baggage", "tenant=acme"),
        ],
    ];
    for request in requests {
        let trace = tracecontext::extract(request);
        let view = BaggageView::extract(request);
        assert_eq!(
            view.get("tenant").map(|m| m.raw_value()),
            Some("acme"),
            "{trace}"
        );
        assert_eq!(Baggage::extract(request).as_str(), "tenant=acme");
        assert_eq!(SharedBaggage::extract(request).as_str(), "tenant=acme");
    }
    let strict = Baggage::from_carrier(&[("baggage", "a=1"), ("baggage", "b")], Validation::Strict);
    assert_eq!(strict.unwrap_err().member(), Some(2));
    let strict_view =
        BaggageView::from_carrier(&[("baggage", "a=1"), ("baggage", "b")], Validation::Strict);
    assert_eq!(strict_view.unwrap_err().offset(), 5); // where its `=` is missing
}

#[test]
fn reading_in_place_replaces_the_list_as_extract_reads_it() {
    let requests: [&[(&str, &str)]; 5] = [
        &[("baggage", "tenant=acme,class=batch;ttl=30")],
        // Several fields, one invalid member, one empty field.
        &[
            ("baggage", "a=1"),
            ("Baggage", "bad key=2,b=2"),
            ("baggage", ""),
        ],
        &[("traceparent", "x")],
        &[("baggage", "")],
        // Past the member limit: members dropped from the right.
        &[("baggage", "k=v"); 65],
    ];
    // A list that already holds members and a problem; each read replaces what
    // the one before left.
    let mut kept = Baggage::parse("old=1,invalid key=2");
    assert!(kept.problem().is_some() && !kept.is_empty());
    for request in requests {
        let extracted = Baggage::extract(request);
        kept.extract_from(request);
        assert_eq!(kept.as_str(), extracted.as_str(), "{request:?}");
        assert_eq!(kept.len(), extracted.len(), "{request:?}");
        assert_eq!(kept.dropped(), extracted.dropped(), "{request:?}");
        assert_eq!(kept.problem(), extracted.problem(), "{request:?}");
    }
    // The last request dropped a member; a clean one leaves no trace of it.
    assert_eq!(kept.dropped(), 1);
    kept.extract_from(&[("baggage", "x=1")]);
    assert_eq!(
        (kept.as_str(), kept.dropped(), kept.problem()),
        ("x=1", 0, None)
    );
}

#[test]
fn shared_baggage_is_small_and_joins_what_is_not_one_piece() {
    assert_eq!(
        std::mem::size_of::<SharedBaggage>(),
        3 * std::mem::size_of::<usize>()
    );
    fn is_send_sync<T: Send + Sync + 'static>() {}
    is_send_sync::<SharedBaggage>();
    for (fields, want) in [
        (&[&b"a=1,b=2"[..]][..], "a=1,b=2"),
        (&[&b" a=1 , b=2 "[..]][..], "a=1,b=2"),
        (&[&b"a=1,,b=2"[..]][..], "a=1,b=2"),
        (&[&b",a=1"[..]][..], "a=1"),
        (&[&b"a=1,bad,b=2"[..]][..], "a=1,b=2"),
        (&[&b"a=1"[..], &b"b=2"[..]][..], "a=1,b=2"),
        (&[&b""[..]][..], ""),
    ] {
        let view =
            BaggageView::parse_fields_with(fields.iter().copied(), Validation::Lenient).unwrap();
        let shared = SharedBaggage::from(&view);
        assert_eq!(shared.as_str(), want);
        assert_eq!(shared.len(), view.len());
        assert_eq!(shared.is_empty(), want.is_empty());
        assert_eq!(
            shared.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
            view.iter().map(|m| m.as_str()).collect::<Vec<_>>()
        );
        assert_eq!(SharedBaggage::from(&Baggage::from(&shared)), shared);
        assert_eq!(shared.to_string(), want);
    }
    let shared = SharedBaggage::from(&BaggageView::parse("a=1,b=2"));
    assert_eq!(shared.get("b").unwrap().raw_value(), "2");
    assert!(shared.get("c").is_none());
    assert_eq!(format!("{shared:?}"), "SharedBaggage(\"a=1,b=2\")");
    assert_eq!(format!("{:?}", Baggage::parse("a=1")), "Baggage(\"a=1\")");
}

/// An edit of the owned form and its model.
#[derive(Clone, Debug)]
enum Edit {
    Insert(String, String, Vec<(String, Option<String>)>),
    Remove(String),
    RetainShort,
}

fn edit() -> impl Strategy<Value = Edit> {
    let key = prop_oneof![
        Just("a".to_owned()),
        Just("b".to_owned()),
        Just("Ab".to_owned()),
        "[a-c ]{0,3}"
    ];
    let value = prop_oneof![
        Just(String::new()),
        "[a-z=%]{0,6}",
        any::<String>().prop_map(|s| s.chars().take(4).collect())
    ];
    let property = (
        prop_oneof![Just("p".to_owned()), "[p-q;]{0,2}"],
        proptest::option::of("[x ]{0,2}"),
    );
    prop_oneof![
        4 => (key.clone(), value, proptest::collection::vec(property, 0..2)).prop_map(|(k, v, p)| Edit::Insert(k, v, p)),
        2 => key.prop_map(Edit::Remove),
        1 => Just(Edit::RetainShort),
    ]
}

proptest! {
    #[test]
    fn the_owned_form_edits_as_a_vec_does(initial in "[a-c]=[0-9]{0,3}(,[a-c]=[0-9]{0,3}){0,4}", edits in proptest::collection::vec(edit(), 0..12)) {
        const BYTES: usize = 40;
        const MEMBERS: usize = 4;
        let mut owned = InlineBaggage::<BYTES, MEMBERS>::parse(&initial);
        // The model: (key, member text) in order.
        let mut model: Vec<(String, String)> = owned.iter().map(|m| (m.key().to_owned(), m.as_str().to_owned())).collect();
        let joined = |model: &[(String, String)]| model.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join(",");
        for edit in edits {
            match edit {
                Edit::Insert(key, value, props) => {
                    let props_ref: Vec<(&str, Option<&str>)> = props.iter().map(|(k, v)| (k.as_str(), v.as_deref())).collect();
                    let got = owned.insert_with_properties(&key, &value, &props_ref);
                    let valid = |k: &str| !k.is_empty() && k.bytes().all(is_token);
                    let mut member = format!("{key}={}", ref_encode(&value));
                    for (k, v) in &props {
                        member.push(';');
                        member.push_str(k);
                        if let Some(v) = v {
                            member.push('=');
                            member.push_str(&ref_encode(v));
                        }
                    }
                    let mut next = model.clone();
                    match next.iter().position(|(k, _)| *k == key) {
                        Some(i) => {
                            next[i].1 = member;
                            let mut seen = false;
                            next.retain(|(k, _)| *k != key || !std::mem::replace(&mut seen, true));
                        }
                        None => next.push((key.clone(), member)),
                    }
                    let fits = next.len() <= MEMBERS && joined(&next).len() <= BYTES;
                    let ok = valid(&key) && props.iter().all(|(k, _)| valid(k)) && fits;
                    prop_assert_eq!(got.is_ok(), ok, "{:?}", got);
                    if ok {
                        model = next;
                    }
                }
                Edit::Remove(key) => {
                    let had = model.iter().any(|(k, _)| *k == key);
                    model.retain(|(k, _)| *k != key);
                    prop_assert_eq!(owned.remove(&key), had);
                }
                Edit::RetainShort => {
                    model.retain(|(_, m)| m.len() < 5);
                    owned.retain(|m| m.as_str().len() < 5);
                }
            }
            prop_assert_eq!(owned.as_str(), joined(&model));
            prop_assert_eq!(owned.len(), model.len());
            let keys: Vec<&str> = owned.iter().map(|m| m.key()).collect();
            prop_assert_eq!(keys, model.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>());
            // What it sends reads back the same.
            let again = InlineBaggage::<BYTES, MEMBERS>::parse(owned.as_str());
            prop_assert_eq!(&again, &owned);
            prop_assert_eq!(again.dropped(), 0);
        }
    }

    #[test]
    fn the_owned_form_and_the_view_agree(fields in proptest::collection::vec(field_bytes(), 1..4)) {
        let view = BaggageView::parse_fields_with(fields.iter().map(Vec::as_slice), Validation::Lenient).unwrap();
        let owned = Baggage::parse_fields_with(fields.iter().map(Vec::as_slice), Validation::Lenient).unwrap();
        let members: Vec<&str> = view.iter().map(|m| m.as_str()).collect();
        prop_assert_eq!(owned.as_str(), members.join(","));
        prop_assert_eq!(owned.len(), view.len());
        prop_assert_eq!(owned.encoded_len(), view.encoded_len());
        prop_assert_eq!(owned.problem(), view.problem());
        prop_assert_eq!(owned.dropped(), view.dropped());
        let shared = SharedBaggage::from(&view);
        prop_assert_eq!(shared.as_str(), owned.as_str());
    }
}

/// The crate's column of the README's table of differences from OpenTelemetry.
#[test]
fn the_readme_differences_hold() {
    let read = |field: &str| Baggage::parse(field);
    assert_eq!(read("k=a=b").get("k").unwrap().value(), "a=b");
    assert_eq!(
        read("k=%C0%AF").get("k").unwrap().value(),
        "\u{FFFD}\u{FFFD}"
    );
    for bad in ["k=%zz", "k=%4"] {
        assert!(read(bad).is_empty(), "{bad}");
        assert_eq!(read(bad).problem().unwrap().kind(), ErrorKind::Value);
    }
    let problem = read("bad key=1,ok=1").problem().unwrap();
    assert_eq!((problem.member(), problem.offset()), (Some(1), 4));
    assert_eq!(read("k=1;p=%3B").as_str(), "k=1;p=%3B");
    let twice = read("k=1,k=2");
    assert_eq!(
        (twice.as_str(), twice.get("k").unwrap().raw_value()),
        ("k=1,k=2", "1")
    );
    let long = format!("a=1,b={}", "x".repeat(8200));
    assert_eq!(read(&long).as_str(), "a=1");
    let half_invalid: Vec<String> = (0..70)
        .map(|i| {
            if i % 2 == 0 {
                "bad key=1".to_owned()
            } else {
                format!("k{i}=1")
            }
        })
        .collect();
    assert_eq!(read(&half_invalid.join(",")).len(), 35);
    let fields: [&[u8]; 2] = [b"a=1", b"b=2"];
    assert_eq!(
        Baggage::parse_fields_with(fields, Validation::Lenient)
            .unwrap()
            .len(),
        2
    );
    let mut sent = Baggage::new();
    sent.insert("k", "50% \\ é").unwrap();
    assert_eq!(sent.as_str(), "k=50%25%20%5C%20%C3%A9");
}

/// Each error names the part of the member where the problem is, and its byte.
#[test]
fn b8_errors_name_the_part_and_the_byte() {
    let cases: [(&str, ErrorKind, usize, &str); 8] = [
        ("a(b=1", ErrorKind::Key, 1, "invalid character '(' in key"),
        (
            "a (=1",
            ErrorKind::Member,
            2,
            "no '=' between key and value",
        ),
        ("a", ErrorKind::Member, 1, "no '=' between key and value"),
        ("=1", ErrorKind::Key, 0, "invalid character '=' in key"),
        (
            "a=1\"x",
            ErrorKind::Value,
            3,
            "invalid character '\"' in value",
        ),
        (
            "a=1 x",
            ErrorKind::Member,
            4,
            "invalid character 'x' in member",
        ),
        (
            "a=1;p x",
            ErrorKind::Property,
            6,
            "invalid character 'x' in a property",
        ),
        ("a=1;", ErrorKind::Property, 4, "property"),
    ];
    for (member, kind, offset, message) in cases {
        let err =
            BaggageView::parse_fields_with([member.as_bytes()], Validation::Strict).unwrap_err();
        assert_eq!(
            (err.kind(), err.offset()),
            (kind, offset),
            "{member}: {err}"
        );
        assert!(err.to_string().contains(message), "{member}: {err}");
        assert_eq!(BaggageView::parse(member).problem(), Some(err));
    }
}

#[test]
fn small_things_the_other_tests_do_not_reach() {
    // Exactly full, with no other member.
    let mut one = InlineBaggage::<3, 1>::new();
    one.insert("a", "1").unwrap();
    assert_eq!(one.as_str(), "a=1");
    assert!(!one.is_empty());
    // Several properties with values.
    let mut props = Baggage::new();
    props
        .insert_with_properties(
            "k",
            "v",
            &[("p", Some("1 2")), ("q", Some("3")), ("r", None)],
        )
        .unwrap();
    assert_eq!(props.as_str(), "k=v;p=1%202;q=3;r");
    let member = props.get("k").unwrap();
    let mut buf = [0u8; 8];
    let first = member.properties().next().unwrap();
    assert_eq!(first.decode_value_into(&mut buf).unwrap().unwrap(), "1 2");
    assert!(
        member
            .properties()
            .nth(2)
            .unwrap()
            .decode_value_into(&mut buf)
            .is_none()
    );
    assert!(first.decode_value_into(&mut [0u8; 2]).unwrap().is_err());
    // Equality and hashing follow the text.
    use std::collections::HashSet;
    let set: HashSet<Baggage> = ["a=1", "a=2", "a=1"]
        .iter()
        .map(|s| Baggage::parse(s))
        .collect();
    assert_eq!(set.len(), 2);
    assert_ne!(Baggage::parse("a=1"), Baggage::parse("a=2"));
    use std::hash::BuildHasher as _;
    let state = std::hash::RandomState::new();
    let (one, two) = (Baggage::parse("a=1"), Baggage::parse("a=2"));
    assert_ne!(state.hash_one(&one), state.hash_one(&two));
    assert_eq!(
        state.hash_one(&one),
        state.hash_one(Baggage::parse(" a=1 "))
    );
    // Lowercase hex and the last plane of Unicode decode.
    assert_eq!(decoded("k=%c3%a9%F4%8F%BF%BF"), "é\u{10FFFF}");
    // A lowercase digit in the low place of a byte whose high place is small.
    assert_eq!(decoded("k=%0a%4a%4A"), "\nJJ");
    assert_eq!(decoded("k=%f4%90%80%80"), "\u{FFFD}".repeat(4));
    assert!(!baggage::encode("x").is_empty());
    assert!(baggage::encode("").is_empty());
    assert!(!BaggageView::parse("a=1").is_empty());
    assert!(BaggageView::parse("").is_empty());
    // Two fields whose first, with its empty entries, is as long as the whole list.
    let fields: [&[u8]; 2] = [b"a=1,,,,", b"b=2"];
    let view = BaggageView::parse_fields_with(fields, Validation::Lenient).unwrap();
    assert_eq!(SharedBaggage::from(&view).as_str(), "a=1,b=2");
}

/// A lookup with text that is no key finds nothing, in every form.
#[test]
fn b7_lookups_compare_whole_keys() {
    for (list, key) in [
        ("a  =1", "a "),
        ("a==1", "a="),
        ("a=b=c", "a=b"),
        ("a\t=1", "a\t"),
        ("ab=1,a=2", "a"),
    ] {
        let view = BaggageView::parse(list);
        let want = view.iter().find(|m| m.key() == key);
        assert_eq!(view.get(key), want, "{list:?} {key:?}");
        assert_eq!(
            Baggage::parse(list).get(key).map(|m| m.as_str()),
            want.map(|m| m.as_str())
        );
        assert_eq!(
            SharedBaggage::from(&view).get(key).map(|m| m.as_str()),
            want.map(|m| m.as_str())
        );
    }
    assert_eq!(
        BaggageView::parse("ab=1,a=2").get("a").unwrap().raw_value(),
        "2"
    );
}

#[test]
fn a_members_debug_shows_its_text() {
    let view = BaggageView::parse("userId=Am%C3%A9lie;ttl=30");
    let member = view.get("userId").unwrap();
    let shown = format!("{member:?}");
    assert!(
        shown.starts_with("Member { text: \"userId=Am%C3%A9lie;ttl=30\""),
        "{shown}"
    );
}
