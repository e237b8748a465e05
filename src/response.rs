//! The response side: telling the caller which trace and span served it.
//!
//! A server may return its context in a `Server-Timing` metric named `trace` whose
//! `desc` holds a traceparent (rule R1): `server-timing: trace;desc=00-<trace-id>-<span-id>-<flags>`.
//! Older servers send the same value in a `traceresponse` header (rule R2), which
//! [`extract`] still reads.
//!
//! ```
//! use tracecontext::{Context, SpanId, TraceFlags, TraceId, response};
//!
//! // Server: add the metric to the response (beside any other metrics it sends).
//! let context = Context::root(
//!     TraceId::from_u128(0x4bf92f3577b34da6a3ce929d0e0e4736).unwrap(),
//!     SpanId::from_u64(0x00f067aa0ba902b7).unwrap(),
//!     TraceFlags::SAMPLED,
//! );
//! let metric = context.server_timing();
//! let header = format!("db;dur=53, {}", &*metric);
//! assert_eq!(header, "db;dur=53, trace;desc=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
//!
//! // Client: read it back.
//! let response = [("Server-Timing", header.as_str())];
//! let served_by = response::extract(&response)?.unwrap();
//! assert_eq!(served_by, context.traceparent());
//! # Ok::<(), tracecontext::Error>(())
//! ```

use crate::carrier::Extractor;
use crate::encoded::Encoded;
use crate::error::{Error, ErrorKind, Reason};
use crate::traceparent::{TraceParent, is_ows};

/// The `server-timing` header name, lowercase.
pub const SERVER_TIMING: &str = "server-timing";
/// The legacy `traceresponse` header name, lowercase (rule R2).
pub const TRACERESPONSE: &str = "traceresponse";
/// The length of a [`server_timing`] metric: `trace;desc=` and 55 bytes.
pub const SERVER_TIMING_LEN: usize = METRIC_PREFIX.len() + TraceParent::LEN;

const METRIC_PREFIX: &[u8; 11] = b"trace;desc=";

/// The Server-Timing metric for `traceparent` (rule R1):
/// `trace;desc=00-<trace-id>-<span-id>-<flags>`, on the stack. Join it to other
/// metrics with `", "`, or send it as the whole `server-timing` value.
#[must_use]
pub fn server_timing(traceparent: &TraceParent) -> Encoded<SERVER_TIMING_LEN> {
    let mut out = [0u8; SERVER_TIMING_LEN];
    out[..METRIC_PREFIX.len()].copy_from_slice(METRIC_PREFIX);
    out[METRIC_PREFIX.len()..].copy_from_slice(traceparent.encode().as_bytes());
    Encoded(out)
}

/// Finds the first metric named `trace` (in any case) in a `Server-Timing` value and
/// parses its `desc` parameter as a traceparent (rule R1).
///
/// Returns `Ok(None)` when there is no `trace` metric or it has no `desc`. Other
/// metrics, and their parameters, are skipped however they are written, and a
/// quoted `desc` is unquoted. Runs in time linear in the value and never allocates.
///
/// # Errors
///
/// The traceparent error when the `desc` is not a valid traceparent (the caller then
/// ignores it), with the offset counted from the start of `value`.
///
/// ```
/// use tracecontext::response::parse_server_timing;
///
/// let value = b"cache;desc=\"hit, warm\", TRACE;dur=0;desc=\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"";
/// let traceparent = parse_server_timing(value)?.unwrap();
/// assert_eq!(traceparent.parent_id().to_string(), "00f067aa0ba902b7");
///
/// assert_eq!(parse_server_timing(b"db;dur=53")?, None);
/// let bad = parse_server_timing(b"trace;desc=00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01");
/// assert_eq!(bad.unwrap_err().to_string(), "traceparent: all zeros is not allowed in parent-id at byte 47");
/// # Ok::<(), tracecontext::Error>(())
/// ```
pub fn parse_server_timing(value: &[u8]) -> Result<Option<TraceParent>, Error> {
    match trace_metric(value) {
        Some(metric) => metric.parse(value),
        None => Ok(None),
    }
}

/// The first metric named `trace` in a `Server-Timing` value.
fn trace_metric(value: &[u8]) -> Option<Metric> {
    let mut at = 0;
    while at < value.len() {
        let metric = Metric::read(value, at);
        at = metric.end;
        if metric.is_trace {
            return Some(metric);
        }
    }
    None
}

/// Reads the context a server returned: the `trace` metric of the `server-timing`
/// fields (joined in order, as one list), else a legacy `traceresponse` (R2).
///
/// # Errors
///
/// When the `trace` metric's `desc`, or the `traceresponse`, is not a valid
/// traceparent; two `traceresponse` fields are an [`ErrorKind::Duplicate`] error.
/// Offsets count from the start of the field that held the value.
pub fn extract<E: Extractor + ?Sized>(carrier: &E) -> Result<Option<TraceParent>, Error> {
    for field in carrier.get_all(SERVER_TIMING) {
        if let Some(metric) = trace_metric(field) {
            return metric.parse(field);
        }
    }
    let mut legacy = carrier.get_all(TRACERESPONSE);
    let Some(first) = legacy.next() else {
        return Ok(None);
    };
    if legacy.next().is_some() {
        return Err(Error::new(ErrorKind::Duplicate, Reason::Repeated, 0));
    }
    TraceParent::parse(first).map(Some)
}

/// One metric of a Server-Timing list, as far as this module needs it.
struct Metric {
    /// Whether the metric is named `trace`.
    is_trace: bool,
    /// Its `desc` parameter, if it has one.
    desc: Option<Desc>,
    /// Where the next metric may start (after the `,`, or the end).
    end: usize,
}

/// Where a `desc` value sits in the header.
struct Desc {
    start: usize,
    end: usize,
    quoted: bool,
}

/// Whether `c` may appear in an HTTP token (RFC 9110 `tchar`).
const fn is_tchar(c: u8) -> bool {
    matches!(c,
        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9'
        | b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.'
        | b'^' | b'_' | b'`' | b'|' | b'~')
}

fn skip_ows(b: &[u8], mut at: usize) -> usize {
    while at < b.len() && is_ows(b[at]) {
        at += 1;
    }
    at
}

fn token_end(b: &[u8], mut at: usize) -> usize {
    while at < b.len() && is_tchar(b[at]) {
        at += 1;
    }
    at
}

/// The end of a quoted string whose opening `"` is at `at`: the index after the
/// closing quote, or `None` when the input ends first.
fn quoted_end(b: &[u8], mut at: usize) -> Option<usize> {
    at += 1;
    while at < b.len() {
        match b[at] {
            b'"' => return Some(at + 1),
            b'\\' => at += 2,
            _ => at += 1,
        }
    }
    None
}

/// From `at`, the index after the next `,` outside quoted strings, or the end.
fn next_metric(b: &[u8], mut at: usize) -> usize {
    while at < b.len() {
        match b[at] {
            b',' => return at + 1,
            b'"' => at = quoted_end(b, at).unwrap_or(b.len()),
            _ => at += 1,
        }
    }
    b.len()
}

impl Metric {
    /// Reads the metric that starts at `at` (after any whitespace and empty list
    /// elements). A metric that breaks the grammar counts as not named `trace`.
    fn read(b: &[u8], at: usize) -> Self {
        let mut at = skip_ows(b, at);
        while at < b.len() && b[at] == b',' {
            at = skip_ows(b, at + 1);
        }
        let name_end = token_end(b, at);
        let is_trace = b[at..name_end].eq_ignore_ascii_case(b"trace");
        let mut desc = None;
        let mut i = name_end;
        let well_formed = loop {
            i = skip_ows(b, i);
            if i == b.len() || b[i] == b',' {
                break name_end > at;
            }
            if b[i] != b';' {
                break false;
            }
            i = skip_ows(b, i + 1);
            let param_start = i;
            i = token_end(b, i);
            let param = &b[param_start..i];
            if param.is_empty() {
                break false;
            }
            i = skip_ows(b, i);
            if i == b.len() || b[i] != b'=' {
                continue; // a parameter without a value
            }
            i = skip_ows(b, i + 1);
            let value = if i < b.len() && b[i] == b'"' {
                let Some(end) = quoted_end(b, i) else {
                    break false; // unterminated
                };
                let value = Desc {
                    start: i + 1,
                    end: end - 1,
                    quoted: true,
                };
                i = end;
                value
            } else {
                let end = token_end(b, i);
                let value = Desc {
                    start: i,
                    end,
                    quoted: false,
                };
                i = end;
                value
            };
            if desc.is_none() && param.eq_ignore_ascii_case(b"desc") {
                desc = Some(value);
            }
        };
        if !well_formed {
            return Self {
                is_trace: false,
                desc: None,
                end: next_metric(b, i.min(b.len())),
            };
        }
        Self {
            is_trace,
            desc,
            end: if i < b.len() { i + 1 } else { i },
        }
    }
}

impl Metric {
    /// The traceparent in the metric's `desc`, if it has one.
    fn parse(&self, value: &[u8]) -> Result<Option<TraceParent>, Error> {
        match &self.desc {
            None => Ok(None),
            Some(desc) => desc.parse(value).map(Some),
        }
    }
}

impl Desc {
    /// Parses the `desc` value as a traceparent, unquoting it first if needed.
    fn parse(&self, b: &[u8]) -> Result<TraceParent, Error> {
        let raw = &b[self.start..self.end];
        if !(self.quoted && raw.contains(&b'\\')) {
            return TraceParent::parse(raw).map_err(|e| e.shifted(self.start));
        }
        // Unescape into a small buffer. One byte past the 55 of a traceparent is all
        // any version needs to see: version 00 must end at 55, later versions need
        // `-` there and ignore the rest.
        let mut buf = [0u8; TraceParent::LEN + 1];
        let mut len = 0;
        let mut i = 0;
        while i < raw.len() && len < buf.len() {
            if raw[i] == b'\\' && i + 1 < raw.len() {
                i += 1;
            }
            buf[len] = raw[i];
            len += 1;
            i += 1;
        }
        TraceParent::parse(&buf[..len]).map_err(|e| e.shifted(self.start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn parse(value: &str) -> Result<Option<TraceParent>, Error> {
        parse_server_timing(value.as_bytes())
    }

    #[test]
    fn r1_metric_found_in_any_position_and_case() {
        let want = Some(TraceParent::parse(TP.as_bytes()).unwrap());
        for value in [
            alloc_free_format("trace;desc=", TP, ""),
            alloc_free_format("db;dur=53, trace;desc=", TP, ""),
            alloc_free_format("Trace ; DESC = ", TP, " ; dur=0"),
            alloc_free_format("a;desc=\"x,trace;desc=y\",trace;dur=1;desc=\"", TP, "\""),
            alloc_free_format(",, ,trace;desc=", TP, ",other"),
        ] {
            let value = core::str::from_utf8(&value.0[..value.1]).unwrap();
            assert_eq!(parse(value), Ok(want), "{value}");
        }
    }

    #[test]
    fn r1_no_metric_or_no_desc_is_none() {
        for value in [
            "",
            "db;dur=53",
            "trace",
            "trace;dur=2",
            "tracex;desc=1",
            ",,,",
            "\"trace;desc=1\"",
        ] {
            assert_eq!(parse(value), Ok(None), "{value}");
        }
    }

    #[test]
    fn r1_invalid_desc_is_an_error_with_offset() {
        let err = parse("trace;desc=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g")
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TraceFlags);
        assert_eq!(err.offset(), 11 + 54);
        let err = parse("trace;desc=\"zz\"").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Version);
        assert_eq!(err.offset(), 12);
    }

    #[test]
    fn r1_escaped_quoted_desc_is_unescaped() {
        let value = "trace;desc=\"\\00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"";
        assert_eq!(parse(value).unwrap().unwrap().encode().as_str(), TP);
        // Version 00 must still end at 55 bytes after unescaping.
        let long = "trace;desc=\"\\00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x\"";
        assert_eq!(parse(long).unwrap_err().kind(), ErrorKind::Trailing);
    }

    #[test]
    fn server_timing_round_trips() {
        let tp = TraceParent::parse(TP.as_bytes()).unwrap();
        let metric = server_timing(&tp);
        assert_eq!(metric.len(), SERVER_TIMING_LEN);
        assert_eq!(parse(&metric), Ok(Some(tp)));
    }

    #[test]
    fn r1_an_unterminated_quoted_desc_is_no_metric() {
        // The last quote is escaped, so the string never closes.
        let value = "trace;desc=\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\\\"";
        assert_eq!(parse(value), Ok(None));
    }

    #[test]
    fn malformed_lists_never_panic() {
        for value in [
            "\"",
            "trace;desc=\"",
            "trace;desc=\"\\",
            ";;;",
            "trace;=x",
            "a b c",
            "trace;desc",
            "trace;desc=,",
        ] {
            let _ = parse(value);
        }
    }

    /// Concatenates three strings into a fixed buffer (tests run without `alloc`).
    fn alloc_free_format(a: &str, b: &str, c: &str) -> ([u8; 256], usize) {
        let mut out = [0u8; 256];
        let mut len = 0;
        for part in [a, b, c] {
            out[len..len + part.len()].copy_from_slice(part.as_bytes());
            len += part.len();
        }
        (out, len)
    }
}
