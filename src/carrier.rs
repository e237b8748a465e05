//! Carriers: where the headers come from and go to.
//!
//! [`Extractor`] reads header values by name and [`Injector`] writes them. Both are
//! small enough to implement for any transport in a few lines, and both work without
//! allocating: an extractor lends out the values it holds, and an injector may keep
//! the borrowed text it is given (`Injector<'v>` receives `&'v str`), so a carrier of
//! `(&str, &str)` pairs receives the encoded headers with no copy at all.
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
//! # Adapting other carriers
//!
//! Names passed to the traits are lowercase ASCII (rules T1, S1, C1, C2). An adapter
//! compares them case-insensitively unless its carrier already normalises names.
//!
//! **gRPC metadata** (for example `tonic::metadata::MetadataMap`, whose keys are
//! lowercase already):
//!
//! ```
//! # mod tonic { pub mod metadata {
//! #     // A stand-in with the same shape as tonic's types, so this example compiles.
//! #     #[derive(Default)] pub struct MetadataMap(Vec<(&'static str, MetadataValue)>);
//! #     pub struct MetadataValue(String);
//! #     pub struct GetAll<'a>(Vec<&'a MetadataValue>);
//! #     impl<'a> GetAll<'a> { pub fn iter(&self) -> std::vec::IntoIter<&'a MetadataValue> { self.0.clone().into_iter() } }
//! #     impl MetadataValue { pub fn as_encoded_bytes(&self) -> &[u8] { self.0.as_bytes() } }
//! #     impl std::str::FromStr for MetadataValue { type Err = (); fn from_str(s: &str) -> Result<Self, ()> { Ok(Self(s.into())) } }
//! #     impl MetadataMap {
//! #         pub fn get_all(&self, key: &str) -> GetAll<'_> { GetAll(self.0.iter().filter(|(k, _)| *k == key).map(|(_, v)| v).collect()) }
//! #         pub fn insert(&mut self, key: &'static str, value: MetadataValue) { self.remove(key); self.0.push((key, value)); }
//! #         pub fn remove(&mut self, key: &str) { self.0.retain(|(k, _)| *k != key); }
//! #     }
//! # } }
//! use tracecontext::{Extractor, InjectError, Injector};
//!
//! struct Grpc<'m>(&'m mut tonic::metadata::MetadataMap);
//!
//! impl Extractor for Grpc<'_> {
//!     fn get_all(&self, name: &str) -> impl Iterator<Item = &[u8]> {
//!         self.0.get_all(name).iter().map(|v| v.as_encoded_bytes())
//!     }
//! }
//!
//! impl Injector<'_> for Grpc<'_> {
//!     fn set(&mut self, name: &'static str, value: &str) -> Result<(), InjectError> {
//!         let value = value.parse().map_err(|_| InjectError::rejected(name))?;
//!         self.0.insert(name, value);
//!         Ok(())
//!     }
//!     fn remove(&mut self, name: &'static str) {
//!         self.0.remove(name);
//!     }
//! }
//!
//! let mut metadata = tonic::metadata::MetadataMap::default();
//! let context = tracecontext::Context::root(
//!     tracecontext::TraceId::from_u128(1).unwrap(),
//!     tracecontext::SpanId::from_u64(2).unwrap(),
//!     tracecontext::TraceFlags::SAMPLED,
//! );
//! context.inject(&mut Grpc(&mut metadata))?;
//! let carrier = Grpc(&mut metadata);
//! let received = tracecontext::extract(&carrier).into_parent().unwrap();
//! assert_eq!(received.trace_id(), context.trace_id());
//! # Ok::<(), InjectError>(())
//! ```
//!
//! **Message headers** (Kafka record headers, NATS headers, AMQP application
//! properties, MQTT 5 user properties) are lists of name/value pairs: the same text
//! values under the same names, with a new parent-id for each publish (C2). A header
//! list shaped like `Vec<(String, Vec<u8>)>` already is a carrier; any other list
//! needs only its iteration:
//!
//! ```
//! use tracecontext::Extractor;
//!
//! /// A record header as a Kafka client hands it out.
//! struct Header { key: String, value: Option<Vec<u8>> }
//! struct Record { headers: Vec<Header> }
//!
//! impl Extractor for Record {
//!     fn get_all(&self, name: &str) -> impl Iterator<Item = &[u8]> {
//!         self.headers
//!             .iter()
//!             .filter(move |h| h.key.eq_ignore_ascii_case(name))
//!             .filter_map(|h| h.value.as_deref())
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
//! **Environment variables** `TRACEPARENT` and `TRACESTATE`, as CLI tools and batch
//! jobs receive them: read them once, then lend them out.
//!
//! ```
//! use tracecontext::Extractor;
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
//! impl Extractor for Env {
//!     fn get_all(&self, name: &str) -> impl Iterator<Item = &[u8]> {
//!         let value = match name {
//!             "traceparent" => &self.traceparent,
//!             "tracestate" => &self.tracestate,
//!             _ => &None,
//!         };
//!         value.as_deref().map(str::as_bytes).into_iter()
//!     }
//! }
//!
//! let env = Env::read();
//! println!("{}", tracecontext::extract(&env));
//! ```
//!
//! (`to_string_lossy` turns bytes that are not UTF-8 into `U+FFFD`, which the parsers
//! then refuse, as rule C3 asks.) To hand a context to a child process, set the two
//! variables from [`Context::headers`](crate::Context::headers).

#[cfg(feature = "alloc")]
use alloc::{collections::BTreeMap, string::String, vec::Vec};
use core::fmt;

/// A source of header values: request headers, metadata, message headers.
///
/// Implement [`get_all`](Extractor::get_all); [`get`](Extractor::get) follows from
/// it. The returned values are bytes because headers are bytes on the wire; values
/// that are not UTF-8 are invalid input for the parsers (rule C3), never a panic.
pub trait Extractor {
    /// Every value of the header `name`, in the order received. `name` is lowercase
    /// ASCII; match it case-insensitively unless the carrier normalises names.
    fn get_all(&self, name: &str) -> impl Iterator<Item = &[u8]>;

    /// The first value of the header `name`.
    fn get(&self, name: &str) -> Option<&[u8]> {
        self.get_all(name).next()
    }
}

/// A destination for header values, able to keep text borrowed for `'v`.
///
/// A carrier that copies (a `String` map, `http::HeaderMap`) implements it for every
/// `'v`; a carrier of borrowed pairs implements it for the lifetime of its pairs.
/// [`Context::inject`](crate::Context::inject) needs the first kind;
/// [`Headers::inject`](crate::Headers::inject) takes either.
pub trait Injector<'v> {
    /// Writes `value` under the lowercase `name`, replacing every earlier value of
    /// that name, in whatever case it was written.
    ///
    /// # Errors
    ///
    /// When the carrier has no room for the header or refuses it.
    fn set(&mut self, name: &'static str, value: &'v str) -> Result<(), InjectError>;

    /// Removes every value of the header `name` (in any case). Injection calls it for
    /// `tracestate` when there is none to send (rule S10), so that a reused carrier
    /// does not keep an earlier request's value.
    fn remove(&mut self, name: &'static str);
}

/// Why a header could not be written into a carrier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InjectError {
    name: &'static str,
    full: bool,
}

impl InjectError {
    /// The carrier has no free entry for `name` (a fixed-size carrier).
    #[must_use]
    pub const fn full(name: &'static str) -> Self {
        Self { name, full: true }
    }

    /// The carrier refused the name or value (for example, a header type with its own
    /// validation).
    #[must_use]
    pub const fn rejected(name: &'static str) -> Self {
        Self { name, full: false }
    }

    /// The header that was not written.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Whether the carrier was full, rather than refusing the header.
    #[must_use]
    pub const fn is_full(&self) -> bool {
        self.full
    }
}

impl fmt::Display for InjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.full {
            write!(
                f,
                "cannot write header `{}`: no free entry in the carrier",
                self.name
            )
        } else {
            write!(
                f,
                "cannot write header `{}`: the carrier refused it",
                self.name
            )
        }
    }
}

impl core::error::Error for InjectError {}

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

impl<E: Extractor + ?Sized> Extractor for &E {
    fn get_all(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        (**self).get_all(name)
    }
    fn get(&self, name: &str) -> Option<&[u8]> {
        (**self).get(name)
    }
}

impl<'v, I: Injector<'v> + ?Sized> Injector<'v> for &mut I {
    fn set(&mut self, name: &'static str, value: &'v str) -> Result<(), InjectError> {
        (**self).set(name, value)
    }
    fn remove(&mut self, name: &'static str) {
        (**self).remove(name);
    }
}

impl<K: AsRef<[u8]>, V: AsRef<[u8]>> Extractor for [(K, V)] {
    fn get_all(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.iter()
            .filter(move |(k, _)| matches(k.as_ref(), name))
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<[u8]>, V: AsRef<[u8]>, const N: usize> Extractor for [(K, V); N] {
    fn get_all(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.as_slice().get_all(name)
    }
}

/// Writing into a fixed slice of pairs: the entries named `name` (any case), else an
/// entry whose name is empty, is the header's place.
impl<'v, K: Slot<'v>, V: Slot<'v>> Injector<'v> for [(K, V)] {
    fn set(&mut self, name: &'static str, value: &'v str) -> Result<(), InjectError> {
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
            None => Err(InjectError::full(name)),
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
    fn set(&mut self, name: &'static str, value: &'v str) -> Result<(), InjectError> {
        self.as_mut_slice().set(name, value)
    }
    fn remove(&mut self, name: &'static str) {
        self.as_mut_slice().remove(name);
    }
}

#[cfg(feature = "alloc")]
impl<K: AsRef<[u8]>, V: AsRef<[u8]>> Extractor for Vec<(K, V)> {
    fn get_all(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.as_slice().get_all(name)
    }
}

#[cfg(feature = "alloc")]
impl<'v, K: Slot<'v>, V: Slot<'v>> Injector<'v> for Vec<(K, V)> {
    fn set(&mut self, name: &'static str, value: &'v str) -> Result<(), InjectError> {
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
        impl<$($generics)*> Extractor for $map {
            fn get_all(&self, name: &str) -> impl Iterator<Item = &[u8]> {
                self.iter()
                    .filter(move |(k, _)| matches(k.as_bytes(), name))
                    .map(|(_, v)| v.as_bytes())
            }
        }

        $(#[$cfg])*
        impl<$($generics)*> Injector<'_> for $map {
            fn set(&mut self, name: &'static str, value: &str) -> Result<(), InjectError> {
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
impl Extractor for http::HeaderMap {
    fn get_all(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        // `HeaderMap` stores names lowercase, so the lookup is exact.
        self.get_all(name)
            .into_iter()
            .map(http::HeaderValue::as_bytes)
    }
    fn get(&self, name: &str) -> Option<&[u8]> {
        http::HeaderMap::get(self, name).map(http::HeaderValue::as_bytes)
    }
}

#[cfg(feature = "http")]
impl Injector<'_> for http::HeaderMap {
    fn set(&mut self, name: &'static str, value: &str) -> Result<(), InjectError> {
        // `from_static` takes lowercase token names without copying, and panics on
        // anything else, so check first.
        let token = !name.is_empty()
            && name
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_');
        if !token {
            return Err(InjectError::rejected(name));
        }
        let value = http::HeaderValue::from_str(value).map_err(|_| InjectError::rejected(name))?;
        self.insert(http::HeaderName::from_static(name), value);
        Ok(())
    }

    fn remove(&mut self, name: &'static str) {
        http::HeaderMap::remove(self, name);
    }
}
