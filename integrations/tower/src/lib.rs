//! Tower layers for W3C Trace Context, on the strict core of [`tracecontext`].
//!
//! - [`ServerLayer`]: every incoming request continues its caller's trace (or
//!   starts one, and says why), decided by a shared sampler; the context is in the
//!   request's extensions and is the [current](mod@current) context while the request
//!   is served.
//! - [`ClientLayer`]: every outgoing request carries a child of the current
//!   context; [`outgoing_headers`] does the same for clients that are not tower
//!   services (reqwest).
//! - Baggage: the server layer reads it into a
//!   [`SharedBaggage`](tracecontext::baggage::SharedBaggage) (in the extensions,
//!   and [current](current::baggage)), and the client side sends it on.
//! - [`current`](mod@current): the current context in async code and threads, for any runtime:
//!   [`current()`], [`current::scope`], [`FutureExt::in_current_context`] for
//!   spawned tasks, [`current::bind`] for threads.
//! - Logs: [`Ids`] for any logger; with the `tracing` feature the server layer
//!   opens a `request` span whose fields are the ids, so a stock
//!   `tracing_subscriber::fmt` setup prints them on every line of the request,
//!   and of the tasks and threads it hands its context to.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use tracecontext::sampling::{ParentBased, Probability};
//! use tracecontext_tower::{FutureExt, ServerLayer, current};
//!
//! async fn handler() -> &'static str {
//!     // The request's context is current here, and in the task it spawns.
//!     let trace = current().map(|c| c.trace_id());
//!     tokio::spawn(async move { assert_eq!(current().map(|c| c.trace_id()), trace) }.in_current_context());
//!     "ok"
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let app = Router::new()
//!     .route("/", get(handler))
//!     .layer(ServerLayer::new(ParentBased::new(Probability::new(0.25))));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! # Crate features
//!
//! - `tracing` (off by default): the per-request `tracing` span, and a `debug`
//!   event for each request whose context or baggage was not taken as it came.
//!
//! # Dependencies
//!
//! `tracecontext` (with its `http` carriers), `http`, `tower-layer`,
//! `tower-service`, `pin-project-lite`; `tracing` with the feature. No runtime: the
//! current context is a thread-local that futures carry from poll to poll.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;
pub mod current;
mod log;
mod server;

pub use client::{ClientLayer, ClientService, outgoing_headers};
pub use current::{FutureExt, WithContext};
pub use log::Ids;
pub use server::{Report, ServerFuture, ServerLayer, ServerService, SharedSampler};

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The current context, if any (see [`current`](mod@current)): a clone, which
/// copies no tracestate bytes.
#[must_use]
pub fn current() -> Option<tracecontext::Context> {
    current::get()
}
