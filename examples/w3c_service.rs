//! A service for the official W3C Trace Context conformance suite: it propagates
//! `traceparent` and `tracestate` with this crate, as the suite expects of a service
//! under test (see `support/w3c.rs` for what it does and the choices it makes).
//!
//! ```text
//! cargo run --example w3c_service                    # listens on 127.0.0.1:5000
//! cargo run --example w3c_service -- 127.0.0.1:8080  # or on another address
//! ```
//!
//! # Running the suite against it
//!
//! The suite is a Python 3 program in the `test` directory of the specification's
//! repository, and needs the `aiohttp` package. With the service running, in
//! another terminal:
//!
//! ```text
//! git clone https://github.com/w3c/trace-context
//! cd trace-context/test
//! python3 -m pip install aiohttp
//! SPEC_LEVEL=2 STRICT_LEVEL=2 python3 test.py http://127.0.0.1:5000/test
//! ```
//!
//! The suite listens for the service's calls on `127.0.0.1:7777` (`HARNESS_HOST`
//! and `HARNESS_PORT` change that). `STRICT_LEVEL=2` turns on the tests that want
//! an invalid `tracestate` dropped whole, which is what this crate does (rule S6);
//! `SPEC_LEVEL=2` adds the Level 2 test that the random flag is kept (rules T8,
//! T11). Both are the defaults of the current suite. Use a current checkout: older
//! ones test the Level 1 `tracestate` key grammar, in which `foo@@bar` is invalid,
//! and fail `test_tracestate_key_illegal_vendor_format` and
//! `test_tracestate_key_length_limit` against any Level 2 implementation (rule S4).
//!
//! To run some tests only, name them after the URL, as in
//! `python3 test.py http://127.0.0.1:5000/test TraceContextTest.test_traceparent_duplicated`;
//! `HARNESS_DEBUG=1` prints every request and call. The service logs one line per
//! request on stderr, saying whether it continued the trace or why it started a new
//! one. `cargo test --test harness` runs the same checks without Python.
//!
//! The service POSTs to whatever URLs a request names: keep it on loopback.

use std::net::TcpListener;
use std::process::ExitCode;

#[path = "support/http.rs"]
mod http;
#[path = "support/w3c.rs"]
mod w3c;

/// Where the service listens when no address is given.
const DEFAULT_ADDR: &str = "127.0.0.1:5000";

fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_ADDR.to_string());
    if addr == "-h" || addr == "--help" {
        eprintln!("usage: w3c_service [ADDRESS]   (default {DEFAULT_ADDR})");
        return ExitCode::SUCCESS;
    }
    let listener = match TcpListener::bind(&addr) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("w3c_service: cannot listen on {addr}: {error}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(local) => eprintln!("w3c_service: listening on http://{local}{}", w3c::PATH),
        Err(_) => eprintln!("w3c_service: listening on http://{addr}{}", w3c::PATH),
    }
    http::serve(listener, |request| {
        w3c::handle(request, &mut std::io::stderr())
    });
    ExitCode::SUCCESS
}
