//! Tests of the `tracecontext` core crate against the carrier types of other crates,
//! kept apart so that the core's own dev-dependencies stay light. Nothing here is
//! published; see `tests/`.
