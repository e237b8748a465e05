//! Baggage, three ways, on the same requests: this crate, OpenTelemetry's
//! `BaggagePropagator`, and the hand-written `split` code a user would write
//! instead. Every carrier is an `http::HeaderMap`.
//!
//! | contender | extract, then read one value decoded | update + inject |
//! |---|---|---|
//! | `tracecontext` view | [`BaggageView::extract`], `get`, `decode_value_into` a stack buffer | — |
//! | `tracecontext` `Baggage` | [`Baggage::extract`] (inline, 8 KiB), the same read | [`Baggage::extract`], `insert`, `remove`, `inject` into the outgoing `HeaderMap`, or into an array of pairs |
//! | `tracecontext` `Baggage`, in place | [`Baggage::new`], [`Baggage::extract_from`], the same read | the same, the list read in place |
//! | `tracecontext` `SharedBaggage` | what a service keeps: [`SharedBaggage::extract`] (one `Arc`), the same read | the kept list, copied into a `Baggage` to edit, then as above |
//! | `opentelemetry_sdk` | `BaggagePropagator::extract` (`HeaderExtractor`) into a `Context`, `cx.baggage().get` | extract, a new `Baggage` from the context's entries (it is not `Clone`), `insert`, `remove`, `cx.with_baggage`, `inject_context` (`HeaderInjector`) |
//! | naive | `split(',')`, drop the properties, `split_once('=')`, `trim`, a percent-decoding loop, into a `HashMap<String, String>` | the same map, edited, its members written into one `String` |
//!
//! Every function returns what it read or wrote, so that the benchmark and the
//! allocation test (in `tests/stacks.rs`) run the same code and can check it.

use std::collections::HashMap;
use std::fmt::Write as _;

use http::{HeaderMap, HeaderValue};
use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt as _, KeyValueMetadata};
use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::propagation::BaggagePropagator;
use tracecontext::baggage::{Baggage, BaggageView, Member, SharedBaggage};

/// Four members: two percent-encoded values, one with a property.
pub const FOUR: &str =
    "userId=Am%C3%A9lie,serverNode=DF%2028,isProduction=false,tenant=acme;ttl=30";

/// The key every read looks up.
pub const KEY: &str = "userId";
/// The value of [`KEY`], decoded.
pub const VALUE: &str = "Amélie";

/// 64 members in one field, 8082 bytes (under the 8192 of the limits, which
/// every contender applies); [`KEY`] is the last, so that every member is read
/// before it is found.
#[must_use]
pub fn sixty_four() -> String {
    let mut list = String::with_capacity(8192);
    for i in 0..63 {
        write!(list, "member{i:02}={},", "v".repeat(118)).expect("a String takes it");
    }
    list.push_str("userId=Am%C3%A9lie");
    assert!(list.len() <= 8192, "{}", list.len());
    list
}

/// Request headers carrying `baggage` as one field.
///
/// # Panics
///
/// If `baggage` is not a valid header value.
#[must_use]
pub fn headers(baggage: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        "baggage",
        HeaderValue::from_str(baggage).expect("valid header"),
    );
    headers
}

// ---------------------------------------------------------------- extract + read

/// The length of `member`'s value decoded into a stack buffer, or 0.
fn decoded_len(member: Option<Member<'_>>) -> usize {
    let mut buf = [0u8; 64];
    member
        .and_then(|m| m.decode_value_into(&mut buf).ok().map(str::len))
        .unwrap_or(0)
}

/// This crate's view: borrowed from the headers. Returns the decoded value's length.
#[must_use]
pub fn read_view(headers: &HeaderMap) -> usize {
    let view = BaggageView::extract(headers);
    decoded_len(view.get(KEY))
}

/// This crate's inline owned form: the members copied into it.
#[must_use]
pub fn read_owned(headers: &HeaderMap) -> usize {
    let baggage = Baggage::extract(headers);
    decoded_len(baggage.get(KEY))
}

/// This crate's inline owned form, read in place
/// ([`Baggage::extract_from`]) into a list made where it is used: no copy of
/// the whole list on the way.
#[must_use]
pub fn read_owned_in_place(headers: &HeaderMap) -> usize {
    let mut baggage = Baggage::new();
    baggage.extract_from(headers);
    decoded_len(baggage.get(KEY))
}

/// This crate's shared form, what a service keeps for a request (returned, as
/// it would be kept).
#[must_use]
pub fn read_shared(headers: &HeaderMap) -> (SharedBaggage, usize) {
    let baggage = SharedBaggage::extract(headers);
    let len = decoded_len(baggage.get(KEY));
    (baggage, len)
}

/// OpenTelemetry's propagator, into a `Context`, read as its users read it (the
/// values come decoded).
#[must_use]
pub fn read_otel(propagator: &BaggagePropagator, headers: &HeaderMap) -> usize {
    let cx = propagator.extract(&HeaderExtractor(headers));
    cx.baggage().get(KEY).map_or(0, |v| v.as_str().len())
}

/// Decodes each `%XX` into its byte, the simple way; anything else is kept as it
/// is. `None` when the result is not UTF-8.
fn naive_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = if bytes[i] == b'%' {
            raw.get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        } else {
            None
        };
        if let Some(byte) = escaped {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Appends `value` with everything but ASCII letters, digits and `-._~`
/// percent-encoded, the simple way.
fn naive_encode(out: &mut String, value: &str) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            write!(out, "%{b:02X}").expect("a String takes it");
        }
    }
}

/// The hand-written reading: split, trim, decode, into a map.
#[must_use]
pub fn naive_map(headers: &HeaderMap) -> HashMap<String, String> {
    let mut map = HashMap::new();
    let Some(header) = headers.get("baggage").and_then(|v| v.to_str().ok()) else {
        return map;
    };
    for member in header.split(',') {
        let member = member.split(';').next().unwrap_or_default();
        let Some((key, value)) = member.split_once('=') else {
            continue;
        };
        if let Some(value) = naive_decode(value.trim()) {
            map.insert(key.trim().to_owned(), value);
        }
    }
    map
}

/// The hand-written reading, then the lookup.
#[must_use]
pub fn read_naive(headers: &HeaderMap) -> usize {
    naive_map(headers).get(KEY).map_or(0, String::len)
}

// ---------------------------------------------------------------- update + inject

/// The member every contender sets (a new key, a value that needs encoding).
pub const ADDED: (&str, &str) = ("retry", "2 of 3");
/// The member every contender removes.
pub const REMOVED: &str = "tenant";

/// This crate's inline owned form, edited and sent into an outgoing `HeaderMap`.
/// Returns the length of the header sent.
///
/// # Panics
///
/// If the edit or the injection fails (they do not on these inputs).
#[must_use]
pub fn update_owned(headers: &HeaderMap, outgoing: &mut HeaderMap) -> usize {
    let mut baggage = Baggage::extract(headers);
    edit_into_map(&mut baggage, outgoing)
}

/// The same into an array of borrowed pairs, which needs no allocation at all.
///
/// # Panics
///
/// As [`update_owned`].
#[must_use]
pub fn update_owned_array(headers: &HeaderMap) -> usize {
    let mut baggage = Baggage::extract(headers);
    edit_into_array(&mut baggage)
}

/// As [`update_owned`], the list read in place ([`Baggage::extract_from`]).
///
/// # Panics
///
/// As [`update_owned`].
#[must_use]
pub fn update_owned_in_place(headers: &HeaderMap, outgoing: &mut HeaderMap) -> usize {
    let mut baggage = Baggage::new();
    baggage.extract_from(headers);
    edit_into_map(&mut baggage, outgoing)
}

/// As [`update_owned_array`], the list read in place.
///
/// # Panics
///
/// As [`update_owned`].
#[must_use]
pub fn update_owned_array_in_place(headers: &HeaderMap) -> usize {
    let mut baggage = Baggage::new();
    baggage.extract_from(headers);
    edit_into_array(&mut baggage)
}

/// The edit every contender makes: one member set, one removed.
fn edit(baggage: &mut Baggage) {
    baggage.insert(ADDED.0, ADDED.1).expect("fits");
    baggage.remove(REMOVED);
}

/// [`edit`], then sent into `outgoing`; the length of the header sent.
fn edit_into_map(baggage: &mut Baggage, outgoing: &mut HeaderMap) -> usize {
    edit(baggage);
    baggage.inject(outgoing).expect("a HeaderMap takes it");
    baggage.encoded_len()
}

/// [`edit`], then sent into an array of borrowed pairs; the length of the
/// header sent.
fn edit_into_array(baggage: &mut Baggage) -> usize {
    edit(baggage);
    let mut outgoing = [("", ""); 1];
    baggage.inject(&mut outgoing).expect("room for one header");
    outgoing[0].1.len()
}

/// What a service does with the list it kept: extracted as a [`SharedBaggage`]
/// (returned, as it would be kept), copied into a [`Baggage`] for the outgoing
/// call, edited and sent into a `HeaderMap`.
///
/// # Panics
///
/// As [`update_owned`].
#[must_use]
pub fn update_shared(headers: &HeaderMap, outgoing: &mut HeaderMap) -> (SharedBaggage, usize) {
    let kept = SharedBaggage::extract(headers);
    let mut baggage = Baggage::from(&kept);
    let len = edit_into_map(&mut baggage, outgoing);
    (kept, len)
}

/// OpenTelemetry: extract into a `Context`, edit a new `Baggage` holding the
/// context's entries, put it in a new context, inject that.
#[must_use]
pub fn update_otel(
    propagator: &BaggagePropagator,
    headers: &HeaderMap,
    outgoing: &mut HeaderMap,
) -> usize {
    let cx = propagator.extract(&HeaderExtractor(headers));
    let mut baggage: OtelBaggage = cx
        .baggage()
        .iter()
        .map(|(k, (v, m))| KeyValueMetadata::new(k.clone(), v.clone(), m.clone()))
        .collect();
    let _previous = baggage.insert(ADDED.0, ADDED.1);
    let _removed = baggage.remove(REMOVED);
    let cx = cx.with_baggage(baggage);
    propagator.inject_context(&cx, &mut HeaderInjector(outgoing));
    outgoing.get("baggage").map_or(0, HeaderValue::len)
}

/// The hand-written way: the map, edited, its members written into a `String`.
///
/// # Panics
///
/// If the `String` is not a valid header value (it is ASCII).
#[must_use]
pub fn update_naive(headers: &HeaderMap, outgoing: &mut HeaderMap) -> usize {
    let mut map = naive_map(headers);
    map.insert(ADDED.0.to_owned(), ADDED.1.to_owned());
    map.remove(REMOVED);
    let mut value = String::new();
    for (key, member) in &map {
        if !value.is_empty() {
            value.push(',');
        }
        value.push_str(key);
        value.push('=');
        naive_encode(&mut value, member);
    }
    let len = value.len();
    outgoing.insert("baggage", HeaderValue::try_from(value).expect("ASCII"));
    len
}
