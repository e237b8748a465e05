//! The response side: telling the caller which trace and span served it.
//!
//! A server may return its context in a `Server-Timing` metric named `trace` whose
//! `desc` holds a traceparent (rule [R1](crate::rules#r1)):
//! `server-timing: trace;desc=00-<trace-id>-<span-id>-<flags>`. Older servers send
//! the same value in a `traceresponse` header (rule [R2](crate::rules#r2)), which
//! [`extract`] still reads.
//!
//! ```
//! use tracecontext::{Context, SpanId, TraceFlags, TraceId, response};
//!
//! // Server: add the metric to the response (beside any other metrics it sends).
//! let context = Context::new(
//!     TraceId::from_static("4bf92f3577b34da6a3ce929d0e0e4736"),
//!     SpanId::from_static("00f067aa0ba902b7"),
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

use crate::carrier::{Extractor, Values};
use crate::encoded::Encoded;
use crate::error::Error;
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
    metric(&traceparent.encode_array())
}

/// The metric for an encoded traceparent.
pub(crate) fn metric(traceparent: &[u8; TraceParent::LEN]) -> Encoded<SERVER_TIMING_LEN> {
    let mut out = [0u8; SERVER_TIMING_LEN];
    out[..METRIC_PREFIX.len()].copy_from_slice(METRIC_PREFIX);
    out[METRIC_PREFIX.len()..].copy_from_slice(traceparent);
    Encoded::full(out)
}

/// Finds the first metric named `trace` (in any case) that has a `desc` parameter in
/// a `Server-Timing` value, and parses the `desc` as a traceparent (rule
/// [R1](crate::rules#r1)).
///
/// Returns `Ok(None)` when there is no `trace` metric with a `desc`. Other
/// metrics, and their parameters, are skipped however they are written, and a
/// quoted `desc` is unquoted. Runs in time linear in the value and never allocates.
///
/// # Errors
///
/// The traceparent error when the `desc` is not a valid traceparent (the caller then
/// ignores it), about the header `server-timing`, with the offset counted from the
/// start of `value`.
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
/// assert_eq!(bad.unwrap_err().to_string(), "server-timing: all zeros is not allowed in parent-id at byte 47");
/// # Ok::<(), tracecontext::Error>(())
/// ```
pub fn parse_server_timing(value: &[u8]) -> Result<Option<TraceParent>, Error> {
    match trace_metric(value) {
        Some(metric) => metric.parse(value),
        None => Ok(None),
    }
}

/// The first metric named `trace` with a `desc` in a `Server-Timing` value.
fn trace_metric(value: &[u8]) -> Option<Metric> {
    let mut at = 0;
    while at < value.len() {
        let metric = Metric::read(value, at);
        at = metric.end;
        if metric.is_trace && metric.desc.is_some() {
            return Some(metric);
        }
    }
    None
}

/// Reads the context a server returned: the `trace` metric of the `server-timing`
/// fields (read in order, as one list), else a legacy `traceresponse` (rule
/// [R2](crate::rules#r2)).
///
/// # Errors
///
/// When the `trace` metric's `desc`, or the `traceresponse`, is not a valid
/// traceparent (the error names the header, and its offset counts from the start of
/// the field that held the value); two `traceresponse` fields are an
/// [`ErrorKind::Duplicate`](crate::ErrorKind::Duplicate) error.
///
/// ```
/// use tracecontext::response;
///
/// let response = [
///     ("traceresponse", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
///     ("traceresponse", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
/// ];
/// let err = response::extract(&response).unwrap_err();
/// assert_eq!(err.to_string(), "traceresponse: more than one traceresponse field");
/// ```
pub fn extract<'a>(carrier: impl Extractor<'a>) -> Result<Option<TraceParent>, Error> {
    let mut found: Option<(&'a [u8], Metric)> = None;
    let mut find = |field: &'a [u8]| match trace_metric(field) {
        Some(metric) => {
            found = Some((field, metric));
            false
        }
        None => true,
    };
    carrier.get_all(SERVER_TIMING, &mut Values::new(&mut find));
    if let Some((field, metric)) = found {
        return metric.parse(field);
    }
    let mut first = None;
    let mut more = false;
    let mut take = |value: &'a [u8]| {
        if first.is_none() {
            first = Some(value);
            true
        } else {
            more = true;
            false
        }
    };
    carrier.get_all(TRACERESPONSE, &mut Values::new(&mut take));
    match (first, more) {
        (None, _) => Ok(None),
        (Some(_), true) => Err(Error::duplicate(TRACERESPONSE)),
        (Some(value), false) => TraceParent::parse(value)
            .map(Some)
            .map_err(|e| e.for_header(TRACERESPONSE)),
    }
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
            return TraceParent::parse(raw)
                .map_err(|e| e.shifted(self.start).for_header(SERVER_TIMING));
        }
        // Unescape into a small buffer, noting where each byte came from so that an
        // error points into the header as written, and trim spaces and tabs around
        // the unescaped text (rule T6) on the way. One byte past the 55 of a
        // traceparent is all any version needs to see: version 00 must end at 55,
        // later versions need `-` there and ignore the rest.
        const KEEP: usize = TraceParent::LEN + 1;
        let mut buf = [0u8; KEEP];
        // Where each kept byte stands in `raw`, and where the text after it starts.
        let mut at = [0usize; KEEP];
        let mut after = [0usize; KEEP];
        let mut len = 0;
        // The kept length without trailing whitespace, and whether text other than
        // whitespace comes after the kept bytes.
        let mut trimmed = 0;
        let mut more = false;
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'\\' && i + 1 < raw.len() {
                i += 1;
            }
            let c = raw[i];
            i += 1;
            if len == 0 && is_ows(c) {
                continue; // leading whitespace
            }
            if len == KEEP {
                if !is_ows(c) {
                    more = true;
                    break;
                }
                continue;
            }
            buf[len] = c;
            at[len] = i - 1;
            after[len] = i;
            len += 1;
            if !is_ows(c) {
                trimmed = len;
            }
        }
        // With more text to come, the kept bytes are the start of a longer value,
        // whitespace included; else the value ends at its last other byte.
        let text = if more { &buf[..len] } else { &buf[..trimmed] };
        let start = if len == 0 { raw.len() } else { at[0] };
        TraceParent::parse_exact(text).map_err(|e| {
            // The byte that holds the unescaped byte at the error's offset (a
            // trailing space that was trimmed, say), else the end of the text.
            let offset = e.offset();
            let raw_at = if offset < len {
                at[offset]
            } else if len == 0 {
                start
            } else {
                after[len - 1]
            };
            e.shifted(raw_at - offset.min(raw_at) + self.start)
                .for_header(SERVER_TIMING)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

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
    fn r1_errors_in_an_escaped_desc_point_into_the_header_as_written() {
        // `trace;desc="` is 12 bytes. One escape (`\0`) comes before the bad flags
        // digit, which is byte 54 of the unescaped traceparent and byte 55 of the
        // raw `desc`: the error is at 12 + 55.
        let value = "trace;desc=\"\\00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g\"";
        assert_eq!(value.as_bytes()[67], b'g');
        let err = parse(value).unwrap_err();
        assert_eq!((err.kind(), err.offset()), (ErrorKind::TraceFlags, 67));
        assert_eq!(err.header(), SERVER_TIMING);
        // Three escapes, the last just before the bad byte.
        let value = "trace;desc=\"\\00-4bf92f3577b34da6a3ce929d0e0e4736-00f0\\67aa0ba902b7-0\\g\"";
        assert_eq!(value.as_bytes()[69], b'g');
        assert_eq!(parse(value).unwrap_err().offset(), 69);
        // A desc that ends early: the offset is the end of the raw desc.
        let value = "trace;desc=\"\\00-4bf9\"";
        let err = parse(value).unwrap_err();
        assert_eq!((err.kind(), err.offset()), (ErrorKind::TraceId, 20));
        // Without escapes, the offsets were right and stay so.
        let err = parse("trace;desc=\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g\"")
            .unwrap_err();
        assert_eq!(err.offset(), 12 + 54);
    }

    #[test]
    fn r2_two_traceresponse_fields_name_the_right_header() {
        let response = [("traceresponse", TP), ("TraceResponse", TP)];
        let err = extract(&response).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Duplicate);
        assert_eq!(err.header(), TRACERESPONSE);
        let mut text = [0u8; 64];
        let message = display(&err, &mut text);
        assert_eq!(message, "traceresponse: more than one traceresponse field");
        // One field is read, and its errors name the header too.
        let response = [(
            "traceresponse",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
        )];
        let err = extract(&response).unwrap_err();
        assert_eq!(
            (err.header(), err.kind()),
            (TRACERESPONSE, ErrorKind::TraceFlags)
        );
        let response = [("traceresponse", TP)];
        assert_eq!(
            extract(&response),
            Ok(Some(TraceParent::parse(TP.as_bytes()).unwrap()))
        );
        // A server-timing metric wins over a traceresponse.
        let metric = server_timing(&TraceParent::parse(TP.as_bytes()).unwrap());
        let response = [("traceresponse", "garbage"), ("server-timing", &*metric)];
        assert!(extract(&response).unwrap().is_some());
        let response: [(&str, &str); 0] = [];
        assert_eq!(extract(&response), Ok(None));
    }

    /// Formats an error into a fixed buffer (tests run without `alloc`).
    fn display<'b>(err: &Error, buf: &'b mut [u8]) -> &'b str {
        use core::fmt::Write;
        struct Out<'b>(&'b mut [u8], usize);
        impl Write for Out<'_> {
            fn write_str(&mut self, s: &str) -> core::fmt::Result {
                let end = self.1 + s.len();
                self.0
                    .get_mut(self.1..end)
                    .ok_or(core::fmt::Error)?
                    .copy_from_slice(s.as_bytes());
                self.1 = end;
                Ok(())
            }
        }
        let mut out = Out(buf, 0);
        write!(out, "{err}").unwrap();
        let len = out.1;
        core::str::from_utf8(&buf[..len]).unwrap()
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
