//! Side-by-side measurements of the `tracecontext` crates against what a user
//! would pick instead, on the same inputs. Not published.
//!
//! [`stacks`] builds each server-side stack around the same bare service; the
//! `tower_layer` benchmark times a request through each, and the `alloc` test
//! counts each one's heap allocations per request. [`baggage`] does the same for
//! reading and sending W3C Baggage (the `baggage` benchmark, and a test in
//! `tests/stacks.rs`). [`bridge`] sets the OpenTelemetry bridge's propagators
//! beside the SDK's (the `bridge` benchmark, and the same test).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod baggage;
pub mod bridge;
pub mod stacks;
