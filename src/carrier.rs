//! Carriers: where the headers come from and go to.
//!
//! [`Extractor`] reads header values by name and [`Injector`] writes them. Both are
//! small enough to implement for any transport in a few lines, both work without
//! allocating, and both can be used as trait objects (`&dyn Extractor<'_>`,
//! `&mut dyn Injector<'_>`).
//!
//! - An extractor lends out the values it holds for the lifetime `'a` of the data,
//!   not of the extractor: `extract(Wrapper(&map))` gives a context that borrows
//!   `map`, however short-lived the wrapper. The crate implements it for references
//!   to carriers (`&[(K, V)]`, `&Vec<(K, V)>`, `&HashMap`, ...), so call
//!   [`extract(&carrier)`](crate::extract).
//! - An injector may keep the text it is given for `'v` (`Injector<'v>` receives
//!   `&'v str`, borrowed from the context being injected), so a carrier of
//!   `(&str, &str)` pairs receives the encoded headers with no copy at all.
//!
//! The crate implements them for:
//!
//! | carrier | reads names | writes |
//! |---|---|---|
//! | `[(K, V)]`, `[(K, V); N]` | case-insensitively | into the entry with that name, else into a free entry (empty name) |
//! | `Vec<(K, V)>` (`alloc`) | case-insensitively | replaces the first entry with that name, drops the others, else pushes |
//! | `HashMap<String, String>` (`std`) | case-insensitively | replaces every spelling of the name with the lowercase one |
//! | `BTreeMap<String, String>` (`alloc`) | case-insensitively | likewise |
//! | `http::HeaderMap` (feature `http`) | as stored (the map lowercases names) | `insert`, replacing |
//!
//! For pairs, `K` and `V` may be `&str`, `&[u8]`, `String` or `Vec<u8>` (any
//! [`Slot`]); for reading, anything that is `AsRef<[u8]>`. Writing a `String` or
//! `Vec<u8>` slot reuses its buffer, so a reused carrier of owned pairs stops
//! allocating after the first request.
//!
//! **gRPC metadata** needs no adapter: tonic's `MetadataMap` is an `http::HeaderMap`
//! inside (gRPC metadata keys are lowercase, rule [C1](crate::rules#c1)), and lends
//! it out. With the `http` feature, read with
//! `tracecontext::extract(request.metadata().as_ref())` and write with
//! `context.inject(request.metadata_mut().as_mut())`.
//!
//! # Adapting other carriers
//!
//! Names passed to the traits are lowercase ASCII (rules [T1](crate::rules#t1),
//! [S1](crate::rules#s1), [C2](crate::rules#c2)). An adapter compares them
//! case-insensitively unless its carrier already normalises names.
//!
//! **Message headers** (Kafka record headers, NATS headers, AMQP application
//! properties, MQTT 5 user properties) are lists of name/value pairs: the same text
//! values under the same names, with a new parent-id for each publish (rule
//! [C2](crate::rules#c2)). A header list shaped like `Vec<(String, Vec<u8>)>` already
//! is a carrier; any other list needs only its iteration:
//!
//! ```
//! use tracecontext::{Extractor, Values};
//!
//! /// A record header as a Kafka client hands it out.
//! struct Header { key: String, value: Option<Vec<u8>> }
//! struct Record { headers: Vec<Header> }
//!
//! impl<'a> Extractor<'a> for &'a Record {
//!     fn get_all(&self, name: &str, values: &mut Values<'a, '_>) {
//!         values.extend(
//!             self.headers
//!                 .iter()
//!                 .filter(|h| h.key.eq_ignore_ascii_case(name))
//!                 .filter_map(|h| h.value.as_deref()),
//!         );
//!     }
//! }
//!
//! let record = Record { headers: vec![Header {
//!     key: "traceparent".into(),
//!     value: Some(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_vec()),
//! }] };
//! assert!(tracecontext::extract(&record).parent().is_some());
//! ```
//!
//! A wrapper around a borrowed map works the same way, and what it extracts borrows
//! the map, not the wrapper:
//!
//! ```
//! use std::collections::HashMap;
//! use tracecontext::{Extractor, Values};
//!
//! struct Headers<'m>(&'m HashMap<String, String>);
//!
//! impl<'m> Extractor<'m> for Headers<'m> {
//!     fn get_all(&self, name: &str, values: &mut Values<'m, '_>) {
//!         self.0.get_all(name, values);
//!     }
//! }
//!
//! let map = HashMap::from([(
//!     "traceparent".to_string(),
//!     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_string(),
//! )]);
//! // The wrapper is a temporary; the context outlives it.
//! let extracted = tracecontext::extract(Headers(&map));
//! assert!(extracted.parent().is_some());
//!
//! // As a trait object.
//! let dynamic: &dyn Extractor<'_> = &Headers(&map);
//! assert!(tracecontext::extract(dynamic).parent().is_some());
//! // Boxed, it needs the data's lifetime spelled out.
//! let boxed: Box<dyn Extractor<'_> + '_> = Box::new(Headers(&map));
//! assert!(tracecontext::extract(&*boxed).parent().is_some());
//! ```
//!
//! **Environment variables** `TRACEPARENT` and `TRACESTATE` (rule
//! [C4](crate::rules#c4)), as CLI tools and batch jobs receive them: read them once,
//! then lend them out.
//!
//! ```
//! use tracecontext::{Extractor, Values};
//!
//! struct Env { traceparent: Option<String>, tracestate: Option<String> }
//!
//! impl Env {
//!     fn read() -> Self {
//!         let var = |name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
//!         Env { traceparent: var("TRACEPARENT"), tracestate: var("TRACESTATE") }
//!     }
//! }
//!
//! impl<'a> Extractor<'a> for &'a Env {
//!     fn get_all(&self, name: &str, values: &mut Values<'a, '_>) {
//!         let value = match name {
//!             "traceparent" => &self.traceparent,
//!             "tracestate" => &self.tracestate,
//!             _ => &None,
//!         };
//!         values.extend(value.as_deref().map(str::as_bytes));
//!     }
//! }
//!
//! let env = Env::read();
//! println!("{}", tracecontext::extract(&env));
//! ```
//!
//! (`to_string_lossy` turns bytes that are not UTF-8 into `U+FFFD`, which the parsers
//! then refuse, as rule [C3](crate::rules#c3) asks.) To hand a context to a child
//! process, set the two variables from [`Context::headers`](crate::Context::headers).

#[cfg(feature = "alloc")]
use alloc::{collections::BTreeMap, string::String, vec::Vec};

use crate::error::Error;

/// Where an [`Extractor`] puts the values of one header: each value in turn, until
/// the reader has seen enough.
///
/// The reader decides how many values it needs (two `traceparent` fields are
/// already one too many, rule [T7](crate::rules#t7)), so [`push`](Values::push) says
/// whether to go on and [`extend`](Values::extend) stops by itself.
pub struct Values<'a, 's> {
    to: To<'a, 's>,
}

/// Where the values go.
enum To<'a, 's> {
    /// To the reader's function.
    Sink(&'s mut dyn FnMut(&'a [u8]) -> bool),
    /// The first value is kept, and whether another came: what extraction asks
    /// about `traceparent` and `tracestate`, answered with no call through the
    /// function pointer.
    FirstTwo { first: Option<&'a [u8]>, more: bool },
}

impl<'a, 's> Values<'a, 's> {
    /// Values that go to `sink`, which returns whether it wants more. For calling an
    /// [`Extractor`] directly, for example in a test of one.
    ///
    /// ```
    /// use tracecontext::{Extractor, Values};
    ///
    /// let carrier = [("tracestate", "a=1"), ("other", "x"), ("TraceState", "b=2")];
    /// let mut seen = Vec::new();
    /// let mut collect = |value: &[u8]| {
    ///     seen.push(value.to_vec());
    ///     true
    /// };
    /// (&carrier).get_all("tracestate", &mut Values::new(&mut collect));
    /// assert_eq!(seen, [b"a=1".to_vec(), b"b=2".to_vec()]);
    /// ```
    pub fn new(sink: &'s mut dyn FnMut(&'a [u8]) -> bool) -> Self {
        Self { to: To::Sink(sink) }
    }

    /// Values of which only the first, and whether there is a second, are kept.
    #[inline]
    pub(crate) const fn first_two() -> Self {
        Self {
            to: To::FirstTwo {
                first: None,
                more: false,
            },
        }
    }

    /// For [`first_two`](Self::first_two): the first value, and whether there was
    /// another.
    #[inline]
    pub(crate) fn into_first_two(self) -> (Option<&'a [u8]>, bool) {
        match self.to {
            To::FirstTwo { first, more } => (first, more),
            To::Sink(_) => (None, false),
        }
    }

    /// Hands over one value. Returns `false` when the reader wants no more: stop
    /// then.
    #[inline]
    pub fn push(&mut self, value: &'a [u8]) -> bool {
        match &mut self.to {
            To::Sink(sink) => sink(value),
            To::FirstTwo { first: None, .. } => {
                self.to = To::FirstTwo {
                    first: Some(value),
                    more: false,
                };
                true
            }
            To::FirstTwo { more, .. } => {
                *more = true;
                false
            }
        }
    }

    /// Hands over values in order, until the reader wants no more.
    #[inline]
    pub fn extend<I: IntoIterator<Item = &'a [u8]>>(&mut self, values: I) {
        for value in values {
            if !self.push(value) {
                return;
            }
        }
    }
}

/// A source of header values: request headers, metadata, message headers.
///
/// `'a` is the lifetime of the data: the values handed out borrow it, so an
/// extracted context can live as long as the data does, not only as long as the
/// extractor. Implement the trait for a reference to your carrier
/// (`impl<'a> Extractor<'a> for &'a MyHeaders`) or for a wrapper that holds one
/// (`impl<'a> Extractor<'a> for Wrapper<'a>`); the crate forwards it through `&E`.
/// It is object safe.
///
/// Values are bytes because headers are bytes on the wire; values that are not
/// UTF-8 are invalid input for the parsers (rule [C3](crate::rules#c3)), never a
/// panic.
pub trait Extractor<'a> {
    /// Hands every value of the header `name`, in the order received, to `values`
    /// (which may stop early). `name` is lowercase ASCII; match it
    /// case-insensitively unless the carrier normalises names.
    fn get_all(&self, name: &str, values: &mut Values<'a, '_>);

    /// The first value of the header `name`. (Named so that it does not meet the
    /// carriers' own `get` methods, which method calls would find first.)
    ///
    /// ```
    /// use tracecontext::Extractor;
    ///
    /// let carrier = [("TraceParent", "first"), ("traceparent", "second")];
    /// assert_eq!((&carrier).first_value("traceparent"), Some(&b"first"[..]));
    /// assert_eq!((&carrier).first_value("tracestate"), None);
    /// ```
    fn first_value(&self, name: &str) -> Option<&'a [u8]> {
        let mut first = None;
        let mut take = |value: &'a [u8]| {
            first = Some(value);
            false
        };
        self.get_all(name, &mut Values::new(&mut take));
        first
    }
}

/// A destination for header values, able to keep text borrowed for `'v`.
///
/// A carrier that copies (a `String` map, `http::HeaderMap`) implements it for every
/// `'v`; a carrier of borrowed pairs, `[(&'v str, &'v str); N]`, for the lifetime of
/// its pairs, and then keeps text borrowed from the context it is given. It is
/// object safe.
pub trait Injector<'v> {
    /// Writes `value` under the lowercase `name`, replacing every earlier value of
    /// that name, in whatever case it was written.
    ///
    /// # Errors
    ///
    /// [`Error::carrier_full`] when the carrier has no room for the header,
    /// [`Error::carrier_refused`] when it refuses it.
    fn set(&mut self, name: &'static str, value: &'v str) -> Result<(), Error>;

    /// Removes every value of the header `name` (in any case). Injection calls it for
    /// `tracestate` when there is none to send (rule [S10](crate::rules#s10)), so that
    /// a reused carrier does not keep an earlier request's value.
    fn remove(&mut self, name: &'static str);
}

/// A name or value in a carrier of pairs that injection can overwrite with text
/// borrowed for `'v`: `&'v str`, `&'v [u8]`, `String` and `Vec<u8>`.
///
/// Overwriting a `String` or `Vec<u8>` reuses its buffer.
pub trait Slot<'v>: Sized {
    /// A slot holding `text`.
    fn from_text(text: &'v str) -> Self;

    /// Replaces the content with `text`.
    fn set_text(&mut self, text: &'v str) {
        *self = Self::from_text(text);
    }

    /// The content, as bytes.
    fn bytes(&self) -> &[u8];
}

impl<'v> Slot<'v> for &'v str {
    fn from_text(text: &'v str) -> Self {
        text
    }
    fn bytes(&self) -> &[u8] {
        str::as_bytes(self)
    }
}

impl<'v> Slot<'v> for &'v [u8] {
    fn from_text(text: &'v str) -> Self {
        text.as_bytes()
    }
    fn bytes(&self) -> &[u8] {
        self
    }
}

#[cfg(feature = "alloc")]
impl Slot<'_> for String {
    fn from_text(text: &str) -> Self {
        String::from(text)
    }
    fn set_text(&mut self, text: &str) {
        self.clear();
        self.push_str(text);
    }
    fn bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}

#[cfg(feature = "alloc")]
impl Slot<'_> for Vec<u8> {
    fn from_text(text: &str) -> Self {
        Vec::from(text.as_bytes())
    }
    fn set_text(&mut self, text: &str) {
        self.clear();
        self.extend_from_slice(text.as_bytes());
    }
    fn bytes(&self) -> &[u8] {
        self
    }
}

/// Whether a carrier's name matches a lowercase `name`, ignoring ASCII case.
#[inline]
fn matches(key: &[u8], name: &str) -> bool {
    key.eq_ignore_ascii_case(name.as_bytes())
}

impl<'a, E: Extractor<'a> + ?Sized> Extractor<'a> for &E {
    fn get_all(&self, name: &str, values: &mut Values<'a, '_>) {
        (**self).get_all(name, values);
    }
}

impl<'v, I: Injector<'v> + ?Sized> Injector<'v> for &mut I {
    fn set(&mut self, name: &'static str, value: &'v str) -> Result<(), Error> {
        (**self).set(name, value)
    }
    fn remove(&mut self, name: &'static str) {
        (**self).remove(name);
    }
}

impl<'a, K: AsRef<[u8]>, V: AsRef<[u8]>> Extractor<'a> for &'a [(K, V)] {
    #[inline]
    fn get_all(&self, name: &str, values: &mut Values<'a, '_>) {
        values.extend(
            self.iter()
                .filter(|(k, _)| matches(k.as_ref(), name))
                .map(|(_, v)| v.as_ref()),
        );
    }
}

impl<'a, K: AsRef<[u8]>, V: AsRef<[u8]>, const N: usize> Extractor<'a> for &'a [(K, V); N] {
    #[inline]
    fn get_all(&self, name: &str, values: &mut Values<'a, '_>) {
        self.as_slice().get_all(name, values);
    }
}

#[cfg(feature = "alloc")]
impl<'a, K: AsRef<[u8]>, V: AsRef<[u8]>> Extractor<'a> for &'a Vec<(K, V)> {
    #[inline]
    fn get_all(&self, name: &str, values: &mut Values<'a, '_>) {
        self.as_slice().get_all(name, values);
    }
}

/// Writing into a fixed slice of pairs: the entries named `name` (any case), else an
/// entry whose name is empty, is the header's place.
impl<'v, K: Slot<'v>, V: Slot<'v>> Injector<'v> for [(K, V)] {
    fn set(&mut self, name: &'static str, value: &'v str) -> Result<(), Error> {
        let mut written = false;
        for (k, v) in self.iter_mut() {
            if matches(k.bytes(), name) {
                if written {
                    k.set_text("");
                    v.set_text("");
                } else {
                    k.set_text(name);
                    v.set_text(value);
                    written = true;
                }
            }
        }
        if written {
            return Ok(());
        }
        match self.iter_mut().find(|(k, _)| k.bytes().is_empty()) {
            Some((k, v)) => {
                k.set_text(name);
                v.set_text(value);
                Ok(())
            }
            None => Err(Error::carrier_full(name)),
        }
    }

    fn remove(&mut self, name: &'static str) {
        for (k, v) in self.iter_mut() {
            if matches(k.bytes(), name) {
                k.set_text("");
                v.set_text("");
            }
        }
    }
}

impl<'v, K: Slot<'v>, V: Slot<'v>, const N: usize> Injector<'v> for [(K, V); N] {
    fn set(&mut self, name: &'static str, value: &'v str) -> Result<(), Error> {
        self.as_mut_slice().set(name, value)
    }
    fn remove(&mut self, name: &'static str) {
        self.as_mut_slice().remove(name);
    }
}

#[cfg(feature = "alloc")]
impl<'v, K: Slot<'v>, V: Slot<'v>> Injector<'v> for Vec<(K, V)> {
    fn set(&mut self, name: &'static str, value: &'v str) -> Result<(), Error> {
        let Some(first) = self.iter().position(|(k, _)| matches(k.bytes(), name)) else {
            self.push((K::from_text(name), V::from_text(value)));
            return Ok(());
        };
        let (k, v) = &mut self[first];
        k.set_text(name);
        v.set_text(value);
        let mut index = 0;
        self.retain(|(k, _)| {
            let keep = index <= first || !matches(k.bytes(), name);
            index += 1;
            keep
        });
        Ok(())
    }

    fn remove(&mut self, name: &'static str) {
        self.retain(|(k, _)| !matches(k.bytes(), name));
    }
}

/// The carrier traits for a map from `String` names to `String` values, whose names
/// may be in any case: reads match case-insensitively, and a write leaves one entry,
/// under the lowercase name.
macro_rules! string_map_carrier {
    ($(#[$cfg:meta])* [$($generics:tt)*] $map:ty) => {
        $(#[$cfg])*
        impl<'a, $($generics)*> Extractor<'a> for &'a $map {
            fn get_all(&self, name: &str, values: &mut Values<'a, '_>) {
                values.extend(
                    self.iter()
                        .filter(|(k, _)| matches(k.as_bytes(), name))
                        .map(|(_, v)| v.as_bytes()),
                );
            }
        }

        $(#[$cfg])*
        impl<$($generics)*> Injector<'_> for $map {
            fn set(&mut self, name: &'static str, value: &str) -> Result<(), Error> {
                if self.keys().any(|k| k != name && matches(k.as_bytes(), name)) {
                    self.retain(|k, _| k == name || !matches(k.as_bytes(), name));
                }
                match self.get_mut(name) {
                    Some(v) => v.set_text(value),
                    None => {
                        self.insert(String::from(name), String::from(value));
                    }
                }
                Ok(())
            }

            fn remove(&mut self, name: &'static str) {
                self.retain(|k, _| !matches(k.as_bytes(), name));
            }
        }
    };
}

string_map_carrier!(
    #[cfg(feature = "std")]
    [S: core::hash::BuildHasher] std::collections::HashMap<String, String, S>
);
string_map_carrier!(#[cfg(feature = "alloc")] [] BTreeMap<String, String>);

#[cfg(feature = "http")]
impl<'a> Extractor<'a> for &'a http::HeaderMap {
    fn get_all(&self, name: &str, values: &mut Values<'a, '_>) {
        // `HeaderMap` stores names lowercase, so the lookup is exact. A name of
        // this crate's is looked up by its prepared `HeaderName`, which skips
        // parsing the text again on every request.
        let all = match known_header(name) {
            Some(known) => http::HeaderMap::get_all(self, known),
            None => http::HeaderMap::get_all(self, name),
        };
        values.extend(all.into_iter().map(http::HeaderValue::as_bytes));
    }
}

/// The prepared `HeaderName` of a header this crate reads or writes.
#[cfg(feature = "http")]
fn known_header(name: &str) -> Option<&'static http::HeaderName> {
    static TRACEPARENT: http::HeaderName = http::HeaderName::from_static(crate::TRACEPARENT);
    static TRACESTATE: http::HeaderName = http::HeaderName::from_static(crate::TRACESTATE);
    static SERVER_TIMING: http::HeaderName =
        http::HeaderName::from_static(crate::response::SERVER_TIMING);
    static TRACERESPONSE: http::HeaderName =
        http::HeaderName::from_static(crate::response::TRACERESPONSE);
    static BAGGAGE: http::HeaderName = http::HeaderName::from_static(crate::baggage::BAGGAGE);
    [
        &TRACEPARENT,
        &TRACESTATE,
        &BAGGAGE,
        &SERVER_TIMING,
        &TRACERESPONSE,
    ]
    .into_iter()
    .find(|known| known.as_str() == name)
}

#[cfg(feature = "http")]
impl Injector<'_> for http::HeaderMap {
    fn set(&mut self, name: &'static str, value: &str) -> Result<(), Error> {
        // `from_static` takes lowercase token names without copying, and panics on
        // anything else, so check first.
        let token = !name.is_empty()
            && name
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_');
        if !token {
            return Err(Error::carrier_refused(name));
        }
        let value = http::HeaderValue::from_str(value).map_err(|_| Error::carrier_refused(name))?;
        let name = known_header(name)
            .cloned()
            .unwrap_or_else(|| http::HeaderName::from_static(name));
        self.insert(name, value);
        Ok(())
    }

    fn remove(&mut self, name: &'static str) {
        match known_header(name) {
            Some(known) => http::HeaderMap::remove(self, known),
            None => http::HeaderMap::remove(self, name),
        };
    }
}
