//! W3C Trace Context for Rust: `traceparent` and `tracestate`, strict, fast, and
//! allocation-free, with no dependencies and no `std` required.
//!
//! A request that crosses services keeps one trace only if every hop reads the
//! incoming `traceparent` and `tracestate` headers exactly, writes them back
//! exactly, and decides whether to record in agreement with the other hops. This
//! crate does that part:
//!
//! - [`extract`] reads a request's context by the rules (a duplicate, invalid or
//!   missing `traceparent` restarts the trace and the incoming `tracestate` is never
//!   read), through the [`Extractor`]/[`Injector`] carrier traits: header lists,
//!   maps, `http::HeaderMap`, gRPC metadata, message headers;
//! - [`Context`] is the context a service holds: small, `'static`, `Send + Sync`,
//!   cheap to clone; its children keep the trace and take new span-ids;
//! - [`sampling`] decides which traces to record, consistently across services
//!   (OpenTelemetry's `ot=th:...` probability sampling, parent-based rules with a
//!   trust-boundary option, a lock-free rate limiter, samplers named by
//!   `OTEL_TRACES_SAMPLER`);
//! - [`TraceParent`], [`TraceStateView`] and [`TraceState`] are the strict parsers
//!   and encoders underneath, usable on their own;
//! - every failure is an [`Error`] that names the field and the byte offset.
//!
//! # Example
//!
//! A server hop: extract, decide, make the child, keep it, inject it.
//!
//! ```
//! use tracecontext::sampling::{ParentBased, Probability};
//! use tracecontext::{Context, ThreadIds};
//!
//! // One sampler for the whole service: follow callers, 10% of new traces.
//! let sampler = ParentBased::new(Probability::new(0.1));
//!
//! let request = [
//!     ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
//!     ("tracestate", "congo=t61rcWkgMzE"),
//! ];
//! let extracted = tracecontext::extract(&request);
//! let (hop, decision) = extracted.child_or_root(&mut ThreadIds, &sampler);
//! assert!(decision.is_sampled()); // the caller sampled it
//!
//! // The owned context, for request extensions, tasks and queues.
//! let context: Context = hop.into_owned();
//! assert_eq!(context.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
//! assert_eq!(context.parent_span_id().unwrap().to_string(), "00f067aa0ba902b7");
//!
//! // Outgoing: a fixed array of borrowed pairs takes the headers with no allocation.
//! let call = context.child(&mut ThreadIds);
//! let mut outgoing = [("", ""); 2];
//! call.inject(&mut outgoing)?;
//! assert_eq!(outgoing[1], ("tracestate", "congo=t61rcWkgMzE"));
//! # Ok::<(), tracecontext::Error>(())
//! ```
//!
//! # The model
//!
//! A service **extracts** the context from an incoming request, **decides** whether
//! to record, makes a **child** context (same trace-id, a new span-id as the parent
//! of whatever it calls), and **injects** that into each outgoing request. The hop
//! from extraction to injection borrows the request and never allocates
//! ([`Context<Borrowed<'_>>`](context::Borrowed)); [`Context::into_owned`] makes the
//! context to keep (one allocation when there is a tracestate, none otherwise);
//! without an allocator, [`InlineContext`] keeps it inline.
//!
//! New IDs come from an [`IdSource`] ([`ThreadIds`] with `std`, [`SeededIds`]
//! anywhere; see [`random`]). The [`response`] module covers the response side (a
//! `server-timing` metric naming the server's span, rules [R1](rules#r1) and
//! [R2](rules#r2)). The [`baggage`] module reads, edits and sends W3C Baggage
//! through the same carriers, on its own: whatever happens to a request's
//! `traceparent`, its baggage stays (rules [B1](rules#b1) to [B10](rules#b10)).
//!
//! # Strictness
//!
//! The parsers accept what the W3C Trace Context specification allows and nothing
//! else. The rule numbers in the docs (T1–T13 for traceparent, S1–S11 for
//! tracestate, P1–P9 for sampling, ...) are those of the project's rules document,
//! [`rules`], which links each rule to the text it comes from. A bad header gives an
//! error, never a panic; every parse runs in time linear in its input and in a fixed
//! amount of memory. A lenient tracestate mode that keeps only the valid members
//! exists ([`Validation::Lenient`]) but is never the default.
//!
//! # Crate features
//!
//! - `std` (default): [`ThreadIds`], [`sampling::StdClock`],
//!   [`sampling::Configured::from_env`], and the carrier traits for
//!   `HashMap<String, String>`. Implies `alloc`.
//! - `alloc`: the owned [`Context`] ([`context::Shared`]),
//!   [`baggage::SharedBaggage`], decoded baggage values as `Cow`, samplers in `Box` and
//!   `Arc`, the carrier traits for `Vec` of pairs, `BTreeMap<String, String>`, and
//!   `String`/`Vec<u8>` names and values ([`Slot`]).
//! - `http` (off by default): the carrier traits for `http::HeaderMap` (http 1.x,
//!   the crate's only optional dependency), and so for tonic's `MetadataMap`
//!   through `metadata().as_ref()` / `metadata_mut().as_mut()`. Implies `std`.
//!
//! With `default-features = false` everything else works on `core` alone, on
//! targets without an allocator: parsing, encoding, both tracestate forms,
//! extraction, inline contexts, sampling, baggage (the view and [`baggage::Baggage`]),
//! and injection into arrays and slices of pairs never allocate in any configuration.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod baggage;
mod carrier;
pub mod context;
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
pub mod tracestate;

pub use carrier::{Extractor, Injector, Slot, Values};
pub use context::{Context, Extracted, Headers, InlineContext, extract};
pub use encoded::Encoded;
pub use error::{Error, ErrorKind};
pub use flags::TraceFlags;
pub use id::{SpanId, TraceId};
#[cfg(feature = "std")]
pub use random::ThreadIds;
pub use random::{IdSource, SeededIds};
pub use traceparent::{TRACEPARENT, TraceParent};
pub use tracestate::{TRACESTATE, TraceState, TraceStateView, Validation};

/// The rules this crate implements, numbered as the docs, tests and test vectors
/// cite them, each linked to the W3C or OpenTelemetry text it comes from
/// (`docs/RULES.md` in the repository).
pub mod rules {
    #![doc = include_str!("../docs/RULES.md")]
}

/// The README's examples, run as doctests (with the default features, which they
/// assume).
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
