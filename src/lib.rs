//! W3C Trace Context for Rust: `traceparent` and `tracestate`, strict, fast, and
//! allocation-free, with no dependencies and no `std` required.
//!
//! A request that crosses services keeps one trace only if every hop reads the
//! incoming `traceparent` and `tracestate` headers exactly, and writes them back
//! exactly. This crate does that part and nothing else:
//!
//! - [`TraceParent`] parses a header by the W3C rules (lowercase hex, exact widths,
//!   no all-zero IDs, version `ff` refused, future versions read forward-compatibly)
//!   and encodes one into a 55-byte stack buffer;
//! - [`TraceStateView`] validates a `tracestate` (one or several header fields) and
//!   reads it in place; [`TraceState`] holds one in a fixed inline buffer for
//!   updating and re-sending;
//! - [`TraceId`], [`SpanId`] and [`TraceFlags`] are small `Copy` types whose
//!   invalid states (zero IDs) cannot be built;
//! - every failure is an [`Error`] that names the field and the byte offset.
//!
//! # Example
//!
//! ```
//! use tracecontext::{SpanId, TraceParent, TraceState};
//!
//! // Extract: read what the caller sent.
//! let incoming = TraceParent::parse(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")?;
//! let mut state = TraceState::<512>::parse(b"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")?;
//!
//! // Child: same trace, our own span as the new parent, our vendor entry in front.
//! let our_span = SpanId::from_u64(0x53995c3f42cd8ad8).unwrap();
//! let outgoing = incoming.with_parent_id(our_span);
//! state.insert("ours", "s1")?;
//!
//! // Inject: the header values to send on, with no allocation.
//! assert_eq!(&*outgoing.encode(), "00-4bf92f3577b34da6a3ce929d0e0e4736-53995c3f42cd8ad8-01");
//! assert_eq!(state.as_str(), "ours=s1,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
//! # Ok::<(), tracecontext::Error>(())
//! ```
//!
//! # The model
//!
//! A service **extracts** the context from an incoming request, **decides** whether
//! to record, makes a **child** context (same trace-id, a new span-id as the parent
//! of whatever it calls), and **injects** that into each outgoing request.
//! [`extract`] does the first step by the rules (T7, T9, T10: a duplicate, invalid or
//! missing `traceparent` restarts the trace and the incoming `tracestate` is never
//! read), [`Context`] the other two, and [`Extractor`]/[`Injector`] adapt any
//! carrier: header lists, maps, `http::HeaderMap`, gRPC metadata, message headers.
//!
//! ```
//! use tracecontext::{Context, Extracted, SpanId, TraceFlags, TraceId};
//!
//! let request = [("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")];
//! let our_span = SpanId::from_u64(0x53995c3f42cd8ad8).unwrap();
//! let context = match tracecontext::extract(&request) {
//!     Extracted::Continued { parent, .. } => parent.child(our_span),
//!     restart => {
//!         eprintln!("{restart}"); // why: "no traceparent, new trace", ...
//!         let trace_id = TraceId::from_u128(0x0af7651916cd43dd8448eb211c80319c).unwrap();
//!         Context::root(trace_id, our_span, TraceFlags::SAMPLED | TraceFlags::RANDOM)
//!     }
//! };
//!
//! // Outgoing: a fixed array of borrowed pairs takes the headers with no allocation.
//! let headers = context.headers();
//! let mut outgoing = [("", ""); 2];
//! headers.inject(&mut outgoing)?;
//! assert_eq!(outgoing[0], ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-53995c3f42cd8ad8-01"));
//! # Ok::<(), tracecontext::InjectError>(())
//! ```
//!
//! New IDs come from an [`IdSource`] ([`ThreadIds`] with `std`, [`SeededIds`]
//! anywhere; see [`random`]), and [`sampling`] decides which traces to record,
//! consistently across services (OpenTelemetry's `ot=th:...` probability sampling,
//! parent-based rules with a trust-boundary option, rate limiting).
//!
//! The [`response`] module covers the response side (a `server-timing` metric
//! naming the server's span, rules R1 and R2).
//!
//! # Strictness
//!
//! The parsers accept what the W3C Trace Context specification allows and nothing
//! else: the rule numbers in the docs (T1–T13 for traceparent, S1–S11 for
//! tracestate) refer to the rules digest kept with the project. A bad header gives an
//! error, never a panic; every parse runs in time linear in its input and in a fixed
//! amount of memory. A lenient tracestate mode that keeps only the valid members
//! exists ([`Validation::Lenient`]) but is never the default.
//!
//! # Crate features
//!
//! - `std` (default): [`Extractor`]/[`Injector`] for `HashMap<String, String>`.
//!   Implies `alloc`.
//! - `alloc`: the carrier traits for `Vec` of pairs, `BTreeMap<String, String>`,
//!   and `String`/`Vec<u8>` names and values ([`Slot`]).
//! - `http` (off by default): the carrier traits for `http::HeaderMap` (http 1.x,
//!   the crate's only optional dependency). Implies `std`.
//!
//! With `default-features = false` everything else works on `core` alone, on
//! targets without an allocator: parsing, encoding, both tracestate forms,
//! extraction and injection into arrays and slices of pairs never allocate in any
//! configuration.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod carrier;
mod context;
mod encoded;
mod error;
mod flags;
mod hex;
mod id;
pub mod random;
pub mod response;
pub mod sampling;
mod swar;
mod traceparent;
mod tracestate;

pub use carrier::{Extractor, InjectError, Injector, Slot};
pub use context::{Context, Extracted, Headers, extract};
pub use encoded::Encoded;
pub use error::{Error, ErrorKind};
pub use flags::TraceFlags;
pub use id::{SpanId, TraceId};
#[cfg(feature = "std")]
pub use random::ThreadIds;
pub use random::{IdSource, SeededIds};
pub use traceparent::TraceParent;
pub use tracestate::{
    Iter, LONG_MEMBER, MAX_KEY_LEN, MAX_MEMBERS, MAX_VALUE_LEN, Members, TraceState,
    TraceStateView, Validation,
};

/// The `traceparent` header name, lowercase (rule T1). Match incoming names
/// case-insensitively.
pub const TRACEPARENT: &str = "traceparent";
/// The `tracestate` header name, lowercase (rule S1). Match incoming names
/// case-insensitively.
pub const TRACESTATE: &str = "tracestate";

/// The README's examples, run as doctests (with the default features, which they
/// assume).
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
