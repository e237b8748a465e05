//! The service that the W3C Trace Context conformance suite drives, as a request
//! handler: shared by the `w3c_service` example and the `harness` integration test.
//!
//! The suite POSTs to `/test` with the headers under test and a JSON body listing
//! calls to make, `[{"url": "...", "arguments": ...}, ...]`. The service reads the
//! incoming trace context, continues the trace (or starts a new one), and POSTs each
//! call's `arguments` to its `url`, in order, each time as a new child span: exactly
//! one `traceparent` (version `00`, a parent-id never sent before) and the
//! `tracestate` when there is one. It answers only once every call is done.
//!
//! Choices the suite leaves open:
//!
//! - The service decides with one sampler, [`SAMPLER`]: [`ParentBased`] over
//!   [`AlwaysOn`], OpenTelemetry's default (`parentbased_always_on`). A continued
//!   trace keeps the caller's sampled flag, because the sampler follows it (rule
//!   T11 would let a sampler change it, the service's span having a new span-id;
//!   the suite expects it kept, rule T8). A new trace (no `traceparent`, or an
//!   invalid one: rules T9, T10) gets flags `03`: sampled, because the sampler
//!   records every trace the service starts, and random, because the IDs come from
//!   [`ThreadIds`], which promises random trace-ids (rule T12).
//! - The `tracestate` is forwarded as it came (one field verbatim, several joined).
//!   The sampler changes it only for OpenTelemetry's own `ot` member: a `th` that
//!   disagrees with the sampled flag, or a malformed `ot`, is erased (rule P6).
//! - `arguments` is forwarded as given, re-serialized; a call without `arguments`
//!   sends `[]`, as the suite itself does.
//! - The calls stop at the first failure (unreachable URL, or a status of 400 or
//!   more), and the service answers `502 Bad Gateway` saying which call failed.
//! - The answer carries this service's span in a `server-timing` metric (rule R1).
//!
//! Bad requests get a 4xx status with a one-line reason, never a panic: a method
//! other than POST (405), a path other than `/test` (404), a body that is not a JSON
//! list of calls, or a call whose `url` is not an `http://` URL (400). Every request
//! is logged on one line, with the reason a trace was continued or restarted.
//!
//! The handler makes requests to whatever URLs it is given: run it on loopback, or
//! on a network where that is harmless.

use std::io::Write;

use serde_json::Value;
use tracecontext::sampling::{AlwaysOn, ParentBased};
use tracecontext::{Extracted, ThreadIds};

use super::http;

/// The path the suite posts to.
pub const PATH: &str = "/test";

/// The most calls one request may ask for.
pub const MAX_CALLS: usize = 100;

/// The service's sampler, one for every connection thread (samplers take `&self`):
/// follow the caller's sampled flag, and sample every trace the service starts.
pub static SAMPLER: ParentBased<AlwaysOn> = ParentBased::new(AlwaysOn);

/// One call the suite asks for: where to POST, and the JSON body.
#[derive(Debug)]
struct Call {
    url: String,
    body: Vec<u8>,
}

/// Handles one request of the conformance suite (see the [module](self) docs), and
/// writes one line about it to `log`: the method, path and status, what was done,
/// and whether the trace was continued or why it was restarted.
///
/// A failure to write the log is ignored: a lost log line is better than a lost
/// response (`eprintln!` would panic on a closed stderr pipe).
pub fn handle(request: http::Request, log: &mut dyn Write) -> http::Response {
    let extracted = tracecontext::extract(&request.headers);
    let (response, note) = respond(&request, &extracted);
    let _ = writeln!(
        log,
        "w3c: {} {} -> {} ({}); {extracted}",
        printable(&request.method, 20),
        printable(&request.path, 100),
        response.status,
        printable(&note, 300),
    );
    response
}

/// The response, and a short note for the log line.
fn respond(request: &http::Request, extracted: &Extracted<'_>) -> (http::Response, String) {
    let path = request.path.split('?').next().unwrap_or_default();
    if path != PATH {
        let response = http::Response::text(404, format!("not found: only {PATH} is served\n"));
        return (response, "unknown path".into());
    }
    if request.method != "POST" {
        let mut response = http::Response::text(405, format!("{PATH} takes POST only\n"));
        response.headers.push(("allow".into(), b"POST".to_vec()));
        return (response, "wrong method".into());
    }
    let calls = match parse_calls(&request.body) {
        Ok(calls) => calls,
        Err(reason) => {
            let response = http::Response::text(400, format!("bad request body: {reason}\n"));
            return (response, reason);
        }
    };

    // This service's span: a child of the caller's, or the root of a new trace,
    // sampled as the sampler decides. It borrows the request's headers, which
    // outlive every call made here.
    let (context, _decision) = extracted.child_or_root(&mut ThreadIds, &SAMPLER);
    for (index, call) in calls.iter().enumerate() {
        // Each call is a span of its own, so each carries a new parent-id, with
        // the service span's decision.
        let outgoing = context.child(&mut ThreadIds);
        let mut carrier = [("", ""); 2];
        let sent = match outgoing.inject(&mut carrier) {
            Ok(()) => http::post(&call.url, &carrier, &call.body),
            // Two free entries always hold the two headers; should that ever
            // change, this is an error, not a panic.
            Err(error) => Err(std::io::Error::other(error)),
        };
        let failure = match sent {
            Ok(answer) if answer.status < 400 => continue,
            Ok(answer) => format!("answered {}", answer.status),
            Err(error) => error.to_string(),
        };
        let reason = format!("call {index} to {} failed: {failure}", call.url);
        let response = http::Response::text(502, format!("{reason}\n"));
        return (response, reason);
    }

    let mut response = http::Response::text(
        200,
        format!(
            "made {} call(s) in trace {}\n",
            calls.len(),
            context.trace_id()
        ),
    );
    response.headers.push((
        tracecontext::response::SERVER_TIMING.into(),
        context.server_timing().as_bytes().to_vec(),
    ));
    let note = format!("{} call(s) in trace {}", calls.len(), context.trace_id());
    (response, note)
}

/// Reads the list of calls, checking all of them before any is made.
fn parse_calls(body: &[u8]) -> Result<Vec<Call>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|error| format!("not JSON ({error})"))?;
    let Value::Array(items) = value else {
        return Err("expected a JSON list of {\"url\", \"arguments\"} objects".into());
    };
    if items.len() > MAX_CALLS {
        return Err(format!(
            "{} calls asked for, at most {MAX_CALLS} are made",
            items.len()
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let Value::Object(fields) = item else {
                return Err(format!("call {index} is not a JSON object"));
            };
            let Some(Value::String(url)) = fields.get("url") else {
                return Err(format!("call {index} has no string \"url\""));
            };
            if !url.starts_with("http://") {
                return Err(format!("call {index}: only http:// URLs are supported"));
            }
            let arguments = fields
                .get("arguments")
                .cloned()
                .unwrap_or_else(|| Value::Array(Vec::new()));
            let body = serde_json::to_vec(&arguments)
                .map_err(|error| format!("call {index}: arguments: {error}"))?;
            Ok(Call {
                url: url.clone(),
                body,
            })
        })
        .collect()
}

/// `text` for a log line: control characters escaped, at most `limit` characters.
fn printable(text: &str, limit: usize) -> String {
    let mut out = String::new();
    for c in text.chars().take(limit) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if text.chars().nth(limit).is_some() {
        out.push('…');
    }
    out
}
