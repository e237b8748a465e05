//! The oracles of the `baggage` target.

use tracecontext::Validation;
use tracecontext::baggage::{
    self, Baggage, BaggageView, InlineBaggage, MAX_BYTES, MAX_MEMBERS, SharedBaggage,
};

/// The members of a list as text, in order.
fn texts<'a>(members: impl Iterator<Item = tracecontext::baggage::Member<'a>>) -> Vec<&'a str> {
    members.map(|m| m.as_str()).collect()
}

/// `baggage`: the input's lines are `baggage` fields.
///
/// - the view keeps at most 64 members and 8192 bytes, and its length is its
///   members joined with `,`; a strict reading that succeeds agrees with the lenient
///   one, and one that fails leaves the lenient one a problem (B6, B8);
/// - `Baggage` and `SharedBaggage` hold exactly the view's members (same problem,
///   same count of dropped members);
/// - what `Baggage` sends reads back strictly as the same list, nothing dropped;
/// - a smaller `InlineBaggage::<64, 4>` keeps a prefix of the view's members within
///   its limits;
/// - every value decodes into a buffer of its raw length, and decoding the encoding
///   of the decoded value gives it back (B5);
/// - edits read from the lines (insert, remove, retain) keep an
///   `InlineBaggage::<128, 6>` valid: it re-reads strictly as itself, a refused
///   insert changes nothing, and after an insert the key is there once, with the
///   value.
pub fn check_baggage(data: &[u8]) {
    let fields: Vec<&[u8]> = data.split(|&c| c == b'\n').collect();
    let view = BaggageView::parse_fields_with(fields.iter().copied(), Validation::Lenient)
        .expect("lenient reading never fails");
    let members = texts(view.iter());
    let joined = members.join(",");
    assert!(view.len() <= MAX_MEMBERS && view.encoded_len() <= MAX_BYTES);
    assert_eq!(
        (members.len(), joined.len()),
        (view.len(), view.encoded_len())
    );
    assert_eq!(view.dropped() > 0, view.problem().is_some());
    match BaggageView::parse_fields_with(fields.iter().copied(), Validation::Strict) {
        Ok(strict) => assert_eq!(texts(strict.iter()), members),
        Err(error) => {
            assert_eq!(error.header(), "baggage");
            assert!(view.problem().is_some(), "strict: {error}");
        }
    }

    let owned = Baggage::parse_fields_with(fields.iter().copied(), Validation::Lenient).unwrap();
    assert_eq!(owned.as_str(), joined);
    assert_eq!(
        (owned.len(), owned.problem(), owned.dropped()),
        (view.len(), view.problem(), view.dropped())
    );
    assert_eq!(Baggage::from(&view), owned);
    assert_eq!(SharedBaggage::from(&view).as_str(), joined);
    let again: Baggage = owned.as_str().parse().expect("what is sent reads back");
    assert_eq!((again.as_str(), again.dropped()), (joined.as_str(), 0));

    let small =
        InlineBaggage::<64, 4>::parse_fields_with(fields.iter().copied(), Validation::Lenient)
            .unwrap();
    let kept = texts(small.iter());
    assert!(kept.len() <= 4 && small.encoded_len() <= 64);
    assert_eq!(kept[..], members[..kept.len()], "a prefix, whole members");

    let mut buf = vec![0u8; MAX_BYTES];
    for member in view.iter() {
        let raw = member.raw_value();
        let value = member
            .decode_value_into(&mut buf[..raw.len()])
            .expect("raw length suffices");
        let value = value.to_owned();
        assert_eq!(member.value(), value);
        let text = format!("k={}", baggage::encode(&value));
        let back = BaggageView::parse(&text);
        assert_eq!(back.get("k").map(|m| m.value().into_owned()), Some(value));
    }

    edits(&fields);
}

/// Edits read from the lines after the first: the first byte picks insert,
/// remove or retain; the rest is `key:value`.
fn edits(fields: &[&[u8]]) {
    let Some((first, rest)) = fields.split_first() else {
        return;
    };
    let mut list =
        InlineBaggage::<128, 6>::parse_fields_with([*first], Validation::Lenient).unwrap();
    for line in rest.iter().take(32) {
        let Some((&op, text)) = line.split_first() else {
            continue;
        };
        let text = String::from_utf8_lossy(text);
        let (key, value) = text.split_once(':').unwrap_or((&text, ""));
        match op % 3 {
            0 => {
                let before = list.clone();
                match list.insert(key, value) {
                    Ok(()) => {
                        let found: Vec<_> = list.iter().filter(|m| m.key() == key).collect();
                        assert_eq!(found.len(), 1, "{key:?} once");
                        assert_eq!(found[0].value(), value);
                    }
                    Err(error) => {
                        assert_eq!(list, before, "a refused insert changes nothing: {error}");
                    }
                }
            }
            1 => {
                let had = list.get(key).is_some();
                assert_eq!(list.remove(key), had);
                assert!(list.get(key).is_none());
            }
            _ => {
                let limit = usize::from(op) % 16;
                list.retain(|m| m.as_str().len() <= limit);
                assert!(list.iter().all(|m| m.as_str().len() <= limit));
            }
        }
        assert!(list.len() <= 6 && list.encoded_len() <= 128);
        let reread: InlineBaggage<128, 6> = list.as_str().parse().expect("valid after edits");
        assert_eq!(reread, list);
        assert_eq!(reread.len(), list.len());
    }
}
