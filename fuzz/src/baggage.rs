//! The oracles of the `baggage` target.

use std::borrow::Cow;

use tracecontext::baggage::{
    self, Baggage, BaggageView, InlineBaggage, MAX_BYTES, MAX_MEMBERS, Member, SharedBaggage,
};
use tracecontext::{Error, ErrorKind, Validation};

use crate::model::baggage as model;
use crate::{check_error, split_point};

/// The members of a list as text, in order.
fn texts<'a>(members: impl Iterator<Item = Member<'a>>) -> Vec<&'a str> {
    members.map(|m| m.as_str()).collect()
}

/// The fields joined with `,`, as B1 reads them.
fn joined(fields: &[&[u8]]) -> Vec<u8> {
    fields.join(&b","[..])
}

/// `baggage`: arbitrary bytes, read as one field, as several fields split at each
/// `\n` (so corpus files can hold one field per line), and as two fields split at
/// a position derived from the input. For each:
///
/// - the view keeps at most 64 members and 8192 bytes, and its length is its
///   members joined with `,`; it agrees with [`model::read`] (members, dropped
///   count, the first dropped member's number and offset, leniently and strictly);
///   a strict reading that succeeds agrees with the lenient one, and one that
///   fails leaves the lenient one a problem (B6, B8); the fields read as their
///   join with `,` (B1);
/// - each member's key, raw value and properties are the model's; `get` finds the
///   first member with the key, and nothing for a key that is no member's (B7);
/// - `Baggage` and `SharedBaggage` hold exactly the view's members (same problem,
///   same count of dropped members, strict or not);
/// - what `Baggage` sends reads back strictly as the same list, nothing dropped;
/// - a smaller `InlineBaggage::<64, 4>` keeps the longest prefix of the view's
///   whole members within its limits (the model with those limits);
/// - every value decodes into a buffer of its raw length, as the model decodes it,
///   and not into a shorter buffer than the decoded text; `encode` writes the
///   model's encoding, which reads strictly and decodes back to the same text (B5).
///
/// Then the lines after the first are edits of an `InlineBaggage::<128, 6>` read
/// from the first (see [`edits`]).
pub fn check_baggage(data: &[u8]) {
    check_fields(&[data]);
    let lines: Vec<&[u8]> = data.split(|&c| c == b'\n').collect();
    if lines.len() > 1 {
        check_fields(&lines);
    }
    let (a, b) = data.split_at(split_point(data));
    check_fields(&[a, b]);
    edits(&lines);
}

/// Checks an error against the model's first dropped member.
fn check_dropped(error: &Error, dropped: &model::Dropped, list_len: usize) {
    check_error(error, list_len, "baggage");
    assert_eq!(error.member(), Some(dropped.member), "{error}: {dropped:?}");
    match dropped.limit {
        Some(kind) => {
            assert_eq!(error.kind(), kind, "{error}: {dropped:?}");
            assert_eq!(error.offset(), dropped.start, "{error}: {dropped:?}");
        }
        None => {
            assert!(
                matches!(
                    error.kind(),
                    ErrorKind::Member | ErrorKind::Key | ErrorKind::Value | ErrorKind::Property
                ),
                "{error}: {dropped:?}"
            );
            assert!(
                (dropped.start..=dropped.end).contains(&error.offset()),
                "{error}: {dropped:?}"
            );
        }
    }
}

/// Checks a list read leniently (members, dropped count, problem) against the model.
fn check_read(
    members: &[&str],
    dropped: usize,
    problem: Option<Error>,
    expected: &model::List,
    list_len: usize,
) {
    assert_eq!(members, expected.members, "members");
    assert_eq!(dropped, expected.dropped, "dropped");
    match (problem, expected.first_dropped) {
        (None, None) => {}
        (Some(error), Some(first)) => check_dropped(&error, &first, list_len),
        (problem, first) => panic!("problem {problem:?}, model {first:?}"),
    }
}

fn check_fields(fields: &[&[u8]]) {
    let list = joined(fields);
    let expected = model::read(&list, false, MAX_MEMBERS, MAX_BYTES).expect("lenient");

    // The view: limits, length, the model, the strict reading.
    let view = BaggageView::parse_fields_with(fields.iter().copied(), Validation::Lenient)
        .expect("lenient reading never fails");
    let members = texts(view.iter());
    let text = members.join(",");
    assert!(view.len() <= MAX_MEMBERS && view.encoded_len() <= MAX_BYTES);
    assert_eq!(
        (members.len(), text.len()),
        (view.len(), view.encoded_len())
    );
    assert_eq!(view.is_empty(), members.is_empty());
    assert_eq!(view.dropped() > 0, view.problem().is_some());
    check_read(
        &members,
        view.dropped(),
        view.problem(),
        &expected,
        list.len(),
    );
    let strict = BaggageView::parse_fields_with(fields.iter().copied(), Validation::Strict);
    match (&strict, model::read(&list, true, MAX_MEMBERS, MAX_BYTES)) {
        (Ok(strict), Ok(_)) => {
            assert_eq!(texts(strict.iter()), members);
            assert_eq!(
                (strict.dropped(), strict.problem()),
                (view.dropped(), view.problem())
            );
        }
        (Err(error), Err(first)) => {
            check_dropped(error, &first, list.len());
            assert!(view.problem().is_some(), "strict: {error}");
        }
        (strict, model) => panic!("strict {strict:?}, model {model:?}"),
    }
    // B1: the fields read as one list joined with `,`.
    let one = BaggageView::parse_fields_with([&list[..]], Validation::Lenient).unwrap();
    assert_eq!(texts(one.iter()), members);
    assert_eq!(
        (one.dropped(), one.problem()),
        (view.dropped(), view.problem())
    );

    // Each member's parts, and lookups.
    for member in view.iter() {
        let parsed = model::member(member.as_str().as_bytes()).expect("a kept member is valid");
        assert_eq!(member.key(), parsed.key);
        assert_eq!(member.raw_value(), parsed.value);
        let properties: Vec<(&str, Option<&str>)> = member
            .properties()
            .map(|p| (p.key(), p.raw_value()))
            .collect();
        let want: Vec<(&str, Option<&str>)> = parsed
            .properties
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref()))
            .collect();
        assert_eq!(properties, want, "{member:?}");
        for property in member.properties() {
            if let Some(raw) = property.raw_value() {
                let mut buf = vec![0u8; raw.len()];
                let decoded = property.decode_value_into(&mut buf).unwrap().unwrap();
                assert_eq!(decoded, model::decode(raw));
            }
        }
        check_value(&member);
    }
    let keys: Vec<String> = members.iter().map(|m| model::key_of(m)).collect();
    let probes = probes(&keys, &members);
    check_get(&members, &keys, &probes, |key| view.get(key));

    // The owned and shared forms hold the view's members.
    let owned = Baggage::parse_fields_with(fields.iter().copied(), Validation::Lenient).unwrap();
    assert_eq!(owned.as_str(), text);
    assert_eq!(texts(owned.iter()), members);
    assert_eq!(
        (
            owned.len(),
            owned.encoded_len(),
            owned.problem(),
            owned.dropped()
        ),
        (
            view.len(),
            view.encoded_len(),
            view.problem(),
            view.dropped()
        )
    );
    assert_eq!(Baggage::from(&view), owned);
    match (
        Baggage::parse_fields_with(fields.iter().copied(), Validation::Strict),
        &strict,
    ) {
        (Ok(a), Ok(b)) => assert_eq!(
            (a.as_str(), a.dropped(), a.problem()),
            (text.as_str(), b.dropped(), b.problem())
        ),
        (Err(a), Err(b)) => assert_eq!(a, *b),
        (a, b) => panic!("owned {a:?}, view {b:?}"),
    }
    check_get(&members, &keys, &probes, |key| owned.get(key));
    let shared = SharedBaggage::from(&view);
    assert_eq!(shared.as_str(), text);
    assert_eq!(texts(shared.iter()), members);
    assert_eq!(
        (shared.len(), shared.is_empty()),
        (view.len(), view.is_empty())
    );
    assert_eq!(SharedBaggage::from(&owned).as_str(), text);
    assert_eq!(Baggage::from(&shared), owned);
    check_get(&members, &keys, &probes, |key| shared.get(key));

    // What is sent reads back strictly as the same list.
    let again = Baggage::parse_fields_with([owned.as_str().as_bytes()], Validation::Strict)
        .expect("what is sent reads back strictly");
    assert_eq!(
        (
            again.as_str(),
            again.len(),
            again.dropped(),
            again.problem()
        ),
        (text.as_str(), view.len(), 0, None)
    );

    // A smaller capacity keeps the longest prefix of whole members that fits.
    let small =
        InlineBaggage::<64, 4>::parse_fields_with(fields.iter().copied(), Validation::Lenient)
            .unwrap();
    let kept = texts(small.iter());
    assert!(small.len() <= 4 && small.encoded_len() <= 64);
    assert_eq!(
        (small.as_str(), small.len()),
        (kept.join(",").as_str(), kept.len())
    );
    assert_eq!(kept[..], members[..kept.len()], "a prefix, whole members");
    let expected_small = model::read(&list, false, 4, 64).expect("lenient");
    check_read(
        &kept,
        small.dropped(),
        small.problem(),
        &expected_small,
        list.len(),
    );
    assert_eq!(InlineBaggage::<64, 4>::from(&view), small);
    match (
        InlineBaggage::<64, 4>::parse_fields_with(fields.iter().copied(), Validation::Strict),
        model::read(&list, true, 4, 64),
    ) {
        (Ok(strict), Ok(_)) => assert_eq!(strict, small),
        (Err(error), Err(first)) => check_dropped(&error, &first, list.len()),
        (a, b) => panic!("small strict {a:?}, model {b:?}"),
    }
}

/// Decoding and encoding one member's value (B5).
fn check_value(member: &Member<'_>) {
    let raw = member.raw_value();
    let mut buf = vec![0u8; raw.len()];
    let decoded = member
        .decode_value_into(&mut buf)
        .expect("a buffer of the raw length suffices");
    assert_eq!(decoded, model::decode(raw), "{raw:?}");
    assert_eq!(member.value(), decoded);
    assert_eq!(
        matches!(member.value(), Cow::Borrowed(_)),
        !raw.contains('%')
    );
    if let Some(short) = decoded.len().checked_sub(1) {
        let mut buf = vec![0u8; short];
        let error = member.decode_value_into(&mut buf).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Capacity);
    }
    let decoded = decoded.to_owned();
    let encoded = baggage::encode(&decoded).to_string();
    assert_eq!(encoded, model::encode(&decoded));
    assert_eq!(baggage::encode(&decoded).len(), encoded.len());
    assert_eq!(baggage::encode(&decoded).is_empty(), decoded.is_empty());
    let field = format!("k={encoded}");
    let mut buf = vec![0u8; encoded.len()];
    let mut decodes_back = |member: Member<'_>| {
        assert_eq!(member.raw_value(), encoded);
        assert_eq!(member.decode_value_into(&mut buf).unwrap(), decoded);
    };
    if field.len() <= MAX_BYTES {
        let back = BaggageView::parse_fields_with([field.as_bytes()], Validation::Strict)
            .expect("an encoded value is valid");
        decodes_back(back.get("k").expect("the member"));
    } else {
        // The encoding may be up to three times as long (U+FFFD for one `%XX` is
        // nine bytes encoded): read it back with room for that.
        let back = InlineBaggage::<{ 3 * MAX_BYTES + 2 }, 1>::parse_fields_with(
            [field.as_bytes()],
            Validation::Strict,
        )
        .expect("an encoded value is valid");
        decodes_back(back.get("k").expect("the member"));
    }
}

/// Keys to look up in a list: the keys of its first and last eight members and
/// other keys like them (another case, a character more or less), and the empty
/// text. (Each lookup reads the list: all of them would be quadratic.)
///
/// Also texts that are no key but begin a member (`a ` in `a =1`, `a=` in
/// `a==1`): the key and one or two bytes after it.
fn probes(keys: &[String], members: &[&str]) -> Vec<String> {
    let mut probes: Vec<String> = ["", "k", "K", "zz"].map(String::from).to_vec();
    let ends = keys.iter().take(8).chain(keys.iter().skip(8).rev().take(8));
    for key in ends {
        probes.push(format!("{key}x"));
        probes.push(key.to_ascii_uppercase());
        probes.push(key[..key.len() - 1].to_owned());
        probes.push(key.clone());
    }
    let firsts = members
        .iter()
        .take(8)
        .chain(members.iter().skip(8).rev().take(8));
    for member in firsts {
        let key = model::key_of(member).len();
        for more in 1..=2 {
            // Members are ASCII: any byte offset is a character boundary.
            probes.extend(member.get(..key + more).map(str::to_owned));
        }
    }
    probes.sort();
    probes.dedup();
    probes
}

/// `get` finds the first member with the key (`keys` are the members' keys), or
/// none (B7).
fn check_get<'a>(
    members: &[&str],
    keys: &[String],
    probes: &[String],
    get: impl Fn(&str) -> Option<Member<'a>>,
) {
    for key in probes {
        let want = keys.iter().position(|k| k == key).map(|i| members[i]);
        let got = get(key);
        assert_eq!(got.map(|m| m.as_str()), want, "get({key:?})");
        if let Some(got) = got {
            assert_eq!(got.key(), key);
        }
    }
}

/// Edits read from the lines after the first, on an `InlineBaggage::<128, 6>`
/// read from the first and on a `Vec` of member texts ([`model::insert`]). The
/// first byte of a line picks the edit (modulo 4), the rest is its argument:
///
/// - `0`: insert `key:value`;
/// - `1`: remove `key`;
/// - `2`: retain the members whose keys are listed, `,`-separated; with nothing
///   listed, those at most `byte % 16` long;
/// - `3`: insert with properties, `key:value;name=value;name`.
///
/// After each, the list is the model's and within its limits, re-reads strictly as
/// itself, a refused insert has changed nothing, and an inserted key is there once,
/// with its value.
fn edits(lines: &[&[u8]]) {
    const BYTES: usize = 128;
    const MEMBERS: usize = 6;
    let Some((first, rest)) = lines.split_first() else {
        return;
    };
    let mut list =
        InlineBaggage::<BYTES, MEMBERS>::parse_fields_with([*first], Validation::Lenient).unwrap();
    let mut model = model::read(first, false, MEMBERS, BYTES)
        .expect("lenient")
        .members;
    assert_eq!(texts(list.iter()), model);
    for line in rest.iter().take(32) {
        let Some((&op, arg)) = line.split_first() else {
            continue;
        };
        let arg = String::from_utf8_lossy(arg);
        let (key, value) = arg.split_once(':').unwrap_or((&arg, ""));
        match op % 4 {
            0 | 3 => {
                let (value, properties) = if op % 4 == 3 {
                    let mut parts = value.split(';');
                    let value = parts.next().unwrap_or_default();
                    let properties: Vec<(&str, Option<&str>)> = parts
                        .map(|p| match p.split_once('=') {
                            Some((name, value)) => (name, Some(value)),
                            None => (p, None),
                        })
                        .collect();
                    (value, properties)
                } else {
                    (value, Vec::new())
                };
                let before = list.clone();
                let got = list.insert_with_properties(key, value, &properties);
                let want = model::insert(&mut model, key, value, &properties, MEMBERS, BYTES);
                assert_eq!(
                    got.map_err(|e| e.kind()),
                    want,
                    "insert({key:?}, {value:?}, {properties:?}) into {:?}",
                    before.as_str()
                );
                match got {
                    Ok(()) => {
                        let found: Vec<_> = list.iter().filter(|m| m.key() == key).collect();
                        assert_eq!(found.len(), 1, "{key:?} once");
                        let member = list.get(key).expect("inserted");
                        assert_eq!(member, found[0]);
                        let mut buf = vec![0u8; member.raw_value().len()];
                        assert_eq!(member.decode_value_into(&mut buf).unwrap(), value);
                        assert_eq!(member.value(), value);
                    }
                    Err(error) => {
                        assert_eq!(error.header(), "baggage");
                        if error.kind() == ErrorKind::Key {
                            assert!(error.offset() <= key.len(), "{error}");
                        }
                        assert_eq!(list.as_str(), before.as_str(), "refused: {error}");
                        assert_eq!(list.len(), before.len());
                    }
                }
            }
            1 => {
                let had = model.iter().any(|m| model::key_of(m) == key);
                model.retain(|m| model::key_of(m) != key);
                assert_eq!(list.remove(key), had, "remove({key:?})");
                assert!(list.get(key).is_none());
            }
            _ => {
                if arg.is_empty() {
                    let limit = usize::from(op) % 16;
                    list.retain(|m| m.as_str().len() <= limit);
                    model.retain(|m| m.len() <= limit);
                } else {
                    let keys: Vec<&str> = arg.split(',').collect();
                    list.retain(|m| keys.contains(&m.key()));
                    model.retain(|m| keys.contains(&model::key_of(m).as_str()));
                }
            }
        }
        assert_eq!(texts(list.iter()), model, "after {line:?}");
        assert_eq!(list.as_str(), model.join(","));
        assert_eq!(
            (list.len(), list.encoded_len()),
            (model.len(), list.as_str().len())
        );
        assert!(list.len() <= MEMBERS && list.encoded_len() <= BYTES);
        let reread = InlineBaggage::<BYTES, MEMBERS>::parse_fields_with(
            [list.as_str().as_bytes()],
            Validation::Strict,
        )
        .expect("valid after edits");
        assert_eq!(reread, list);
        assert_eq!((reread.len(), reread.dropped()), (list.len(), 0));
    }
}
