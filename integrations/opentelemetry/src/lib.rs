//! The strict propagators and the consistent probability sampling of
//! [`tracecontext`], for services that trace with the OpenTelemetry SDK.
//!
//! Keep the SDK's tracer and exporters; swap what crosses the wire and what decides:
//!
//! - [`TraceContextPropagator`]: `traceparent` and `tracestate` read and written by
//!   the core's rules. Two `traceparent` fields restart the trace (rule [T7](tracecontext::rules#t7)),
//!   several `tracestate` fields are joined ([S2](tracecontext::rules#s2)), an invalid or oversized list is
//!   dropped whole ([S5](tracecontext::rules#s5), [S6](tracecontext::rules#s6)), the random flag goes through ([T11](tracecontext::rules#t11), [T12](tracecontext::rules#t12)), an empty
//!   `tracestate` is never sent, and every restart has a reason: [`Extraction`],
//!   read from the OpenTelemetry `Context` with [`ExtractionExt::extraction`].
//! - [`BaggagePropagator`]: `baggage` by rules [B1](tracecontext::rules#b1)–[B10](tracecontext::rules#b10): every field read, `=` kept in
//!   values, bad percent-encoded UTF-8 decoded to U+FFFD, whole members dropped at
//!   64 members or 8192 bytes, bounded work whatever arrives.
//! - [`ConsistentSampler`] (feature `sampler`, on by default): an SDK
//!   `ShouldSample` that samples by the trace's randomness and writes the
//!   threshold into `tracestate` (`ot=th:…`), so services sampling at different
//!   rates keep nested sets of whole traces; with the five parent-based branches,
//!   built from `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` if you like.
//! - [`convert`]: the core's [`Context`](tracecontext::Context) to and from
//!   OpenTelemetry's `SpanContext` and `TraceState`, each loss named.
//!
//! The rule numbers refer to the rules document of the core crate,
//! `docs/RULES.md` in the repository and [`tracecontext::rules`] on docs.rs.
//!
//! # Switching a service
//!
//! ```
//! use opentelemetry::propagation::TextMapCompositePropagator;
//! use tracecontext_opentelemetry::{BaggagePropagator, TraceContextPropagator};
//!
//! opentelemetry::global::set_text_map_propagator(TextMapCompositePropagator::new(vec![
//!     Box::new(TraceContextPropagator::new()),
//!     Box::new(BaggagePropagator::new()),
//! ]));
//! ```
//!
//! and, where the tracer provider is built, the sampler:
//!
//! ```
//! use opentelemetry_sdk::trace::SdkTracerProvider;
//! use tracecontext_opentelemetry::ConsistentSampler;
//!
//! // The sampler OTEL_TRACES_SAMPLER(_ARG) name, parentbased_always_on (OpenTelemetry's
//! // default) when unset or unknown; a ratio sampler with a bad ratio samples
//! // everything. Never fatal: report the problem.
//! let (sampler, problem) = ConsistentSampler::from_env();
//! if let Some(problem) = problem {
//!     eprintln!("sampler {sampler}: {problem}");
//! }
//! let provider = SdkTracerProvider::builder().with_sampler(sampler).build();
//! # drop(provider);
//! ```
//!
//! # Reading why a trace restarted
//!
//! ```
//! use opentelemetry::propagation::TextMapPropagator;
//! use std::collections::HashMap;
//! use tracecontext_opentelemetry::{Extraction, ExtractionExt, TraceContextPropagator};
//!
//! let mut headers = HashMap::new();
//! headers.insert("traceparent".to_owned(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0G".to_owned());
//!
//! let cx = TraceContextPropagator::new().extract(&headers);
//! match cx.extraction() {
//!     Some(Extraction::Invalid(error)) => {
//!         assert_eq!(error.to_string(), "traceparent: invalid hex digit 'G' in trace-flags at byte 54");
//!     }
//!     other => panic!("{other:?}"),
//! }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod baggage;
mod carrier;
pub mod convert;
mod propagator;
#[cfg(feature = "sampler")]
#[cfg_attr(docsrs, doc(cfg(feature = "sampler")))]
mod sampler;

pub use baggage::{BaggagePropagator, DroppedBaggage};
pub use propagator::{Extraction, ExtractionExt, TraceContextPropagator};
#[cfg(feature = "sampler")]
#[cfg_attr(docsrs, doc(cfg(feature = "sampler")))]
pub use sampler::ConsistentSampler;

/// The README's examples, compiled and run as doc tests.
#[cfg(all(doctest, feature = "sampler"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
