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

proptest! {
    #[test]
    fn the_view_agrees_with_the_reference(fields in proptest::collection::vec(baggage_bytes(), 1..4)) {
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
}
