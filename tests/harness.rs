//! The conformance suite's checks, played against the `w3c_service` example's
//! handler (`examples/support/w3c.rs`) over real HTTP on loopback.
//!
//! Each test starts the service and a callback listener on free ports, POSTs to the
//! service the headers under test and a list of calls back to the listener, and
//! checks what the listener received: exactly one `traceparent` (lowercase name,
//! version `00`, the trace-id kept or new as the rule says, a new parent-id, the
//! flags), and the `tracestate` exact or absent. The rule numbers are those of
//! `docs/RULES.md`. Further tests check the protocol's errors, the one-line log, and that
//! the service survives malformed HTTP.
//!
//! Every socket has a timeout, every wait on a channel has one, and the servers'
//! threads end with the test process.

#[path = "../examples/support/http.rs"]
mod http;
#[path = "../examples/support/w3c.rs"]
mod w3c;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use serde_json::{Value, json};
use tracecontext::TraceParent;

/// The trace-id and parent-id the requests under test carry.
const TRACE: &str = "12345678901234567890123456789012";
const PARENT: &str = "1234567890123456";
/// How long to wait for a callback that should already have arrived.
const WAIT: Duration = Duration::from_secs(5);
/// The timeout of every raw socket operation.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------
// The harness: service, callback listener, requests.
// ---------------------------------------------------------------------------------

/// A call the service made to the callback listener.
#[derive(Debug)]
struct Callback {
    path: String,
    headers: http::Fields,
    body: Vec<u8>,
}

/// The service and a callback listener, both on loopback.
struct Harness {
    service: SocketAddr,
    callbacks: SocketAddr,
    received: Receiver<Callback>,
    logs: Receiver<String>,
}

impl Harness {
    fn start() -> Self {
        let (log_sender, logs) = mpsc::channel();
        let service = http::spawn("127.0.0.1:0", move |request| {
            let mut line = Vec::new();
            let response = w3c::handle(request, &mut line);
            let _ = log_sender.send(String::from_utf8_lossy(&line).into_owned());
            response
        })
        .expect("the service listens");
        let (sender, received) = mpsc::channel();
        let callbacks = http::spawn("127.0.0.1:0", move |request: http::Request| {
            // A path that names `fail` answers 500, to test the service's errors.
            let status = if request.path.contains("fail") {
                500
            } else {
                200
            };
            let _ = sender.send(Callback {
                path: request.path,
                headers: request.headers,
                body: request.body,
            });
            http::Response::text(status, "null")
        })
        .expect("the callback listener listens");
        Self {
            service,
            callbacks,
            received,
            logs,
        }
    }

    fn service_url(&self) -> String {
        format!("http://{}{}", self.service, w3c::PATH)
    }

    fn callback_url(&self, name: &str) -> String {
        format!("http://{}/callback/{name}", self.callbacks)
    }

    /// The body asking for `count` calls back, with empty arguments.
    fn calls(&self, count: usize) -> Vec<u8> {
        let calls: Vec<Value> = (0..count)
            .map(|i| json!({"url": self.callback_url(&i.to_string()), "arguments": []}))
            .collect();
        serde_json::to_vec(&calls).expect("JSON")
    }

    /// POSTs `body` to the service with `headers`, and returns the response and
    /// the line the service logged about it.
    fn post_logged(&self, headers: &[(&str, &str)], body: &[u8]) -> (http::Response, String) {
        // Lines of requests sent over raw TCP, which nobody read.
        while self.logs.try_recv().is_ok() {}
        let response = http::post(&self.service_url(), headers, body).expect("the service answers");
        // The handler logs before it answers.
        let line = self.logs.try_recv().expect("a log line for the request");
        assert!(self.logs.try_recv().is_err(), "one log line per request");
        assert!(
            line.ends_with('\n') && line.matches('\n').count() == 1,
            "{line:?}"
        );
        (response, line)
    }

    /// POSTs `body` to the service with `headers`, and returns the response.
    fn post(&self, headers: &[(&str, &str)], body: &[u8]) -> http::Response {
        self.post_logged(headers, body).0
    }

    /// Sends `headers` and asks for `count` calls back; checks the service answered
    /// 200 and made exactly those calls, in order.
    fn request(&self, headers: &[(&str, &str)], count: usize) -> Vec<Callback> {
        let response = self.post(headers, &self.calls(count));
        assert_eq!(
            response.status,
            200,
            "the service failed: {}",
            String::from_utf8_lossy(&response.body)
        );
        let callbacks = self.collect(count);
        for (i, callback) in callbacks.iter().enumerate() {
            assert_eq!(callback.path, format!("/callback/{i}"), "calls in order");
        }
        callbacks
    }

    /// The `count` calls the service made, and no more.
    fn collect(&self, count: usize) -> Vec<Callback> {
        let callbacks: Vec<Callback> = (0..count)
            .map(|i| {
                self.received
                    .recv_timeout(WAIT)
                    .unwrap_or_else(|_| panic!("call {i} of {count} never came"))
            })
            .collect();
        // The service answers only after its calls are answered, so any extra
        // call has arrived already.
        if let Ok(extra) = self.received.try_recv() {
            panic!("an unexpected call: {extra:?}");
        }
        callbacks
    }

    /// Sends `headers`, asks for one call, and returns what it propagated.
    fn single(&self, headers: &[(&str, &str)]) -> Propagated {
        let callbacks = self.request(headers, 1);
        Propagated::read(&callbacks[0])
    }
}

/// The trace context a call carried.
#[derive(Debug)]
struct Propagated {
    trace_id: String,
    parent_id: String,
    flags: String,
    tracestate: Option<String>,
}

impl Propagated {
    /// Reads and checks the headers of a call: exactly one `traceparent`, written
    /// lowercase (T1), version `00` and 55 bytes of lowercase hex (T2, T5); at most
    /// one `tracestate`, lowercase (S1), never empty (S10).
    fn read(callback: &Callback) -> Self {
        let named = |name: &str| -> Vec<(&String, &Vec<u8>)> {
            callback
                .headers
                .iter()
                .filter(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(key, value)| (key, value))
                .collect()
        };
        let traceparents = named("traceparent");
        assert_eq!(
            traceparents.len(),
            1,
            "T7: exactly one traceparent per call: {:?}",
            callback.headers
        );
        let (name, value) = traceparents[0];
        assert_eq!(name, "traceparent", "T1: written lowercase");
        let value = std::str::from_utf8(value).expect("traceparent is ASCII");
        assert_eq!(value.len(), 55, "T2: version 00 is 55 bytes: {value}");
        let fields: Vec<&str> = value.split('-').collect();
        assert_eq!(fields.len(), 4, "T2: four fields: {value}");
        assert_eq!(fields[0], "00", "T5: always sent as version 00");
        let lower_hex = |s: &str| s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
        assert!(
            lower_hex(&value.replace('-', "")),
            "T2: lowercase hex: {value}"
        );
        assert!(
            TraceParent::parse(value.as_bytes()).is_ok(),
            "T2-T4: {value}"
        );

        let tracestates = named("tracestate");
        assert!(
            tracestates.len() <= 1,
            "S2: one tracestate field sent: {tracestates:?}"
        );
        let tracestate = tracestates.first().map(|(name, value)| {
            assert_eq!(name.as_str(), "tracestate", "S1: written lowercase");
            assert!(!value.is_empty(), "S10: an empty tracestate is not sent");
            String::from_utf8(value.to_vec()).expect("tracestate is ASCII")
        });
        Self {
            trace_id: fields[1].to_string(),
            parent_id: fields[2].to_string(),
            flags: fields[3].to_string(),
            tracestate,
        }
    }
}

/// Checks that the service continued the trace [`TRACE`] with `flags` and
/// forwarded `tracestate`.
#[track_caller]
fn assert_continued(got: &Propagated, flags: &str, tracestate: Option<&str>, case: &str) {
    assert_eq!(got.trace_id, TRACE, "{case}: the trace-id is kept");
    assert_ne!(got.parent_id, PARENT, "{case}: T11: a new parent-id");
    assert_eq!(got.flags, flags, "{case}: flags");
    assert_eq!(got.tracestate.as_deref(), tracestate, "{case}: tracestate");
}

/// Checks that the service started a new trace: a trace-id that is none of
/// `old_ids`, flags `03` (sampled, random), and no tracestate (T9, T10).
#[track_caller]
fn assert_restarted(got: &Propagated, old_ids: &[&str], case: &str) {
    for old in old_ids {
        assert_ne!(&got.trace_id, old, "{case}: a new trace-id");
    }
    assert_ne!(got.trace_id, "0".repeat(32), "{case}: T4");
    // Sampled, because the service records what it starts; random, because its
    // `ThreadIds` promise random trace-ids (T12).
    assert_eq!(got.flags, "03", "{case}: flags of a new trace");
    assert_eq!(got.tracestate, None, "{case}: T9/T10: tracestate dropped");
}

/// Sends `traceparent` with a tracestate and checks the trace restarted, the
/// tracestate unread (T9).
#[track_caller]
fn check_restart(harness: &Harness, traceparent: &str, old_ids: &[&str], case: &str) {
    let got = harness.single(&[("traceparent", traceparent), ("tracestate", "foo=1")]);
    assert_restarted(&got, old_ids, &format!("{case} ({traceparent:?})"));
}

/// Sends `traceparent` and checks the trace continued with `flags`.
#[track_caller]
fn check_continue(harness: &Harness, traceparent: &str, flags: &str, case: &str) {
    let got = harness.single(&[("traceparent", traceparent)]);
    assert_continued(&got, flags, None, &format!("{case} ({traceparent:?})"));
}

/// Sends a valid traceparent with these `tracestate` fields, and checks the trace
/// continued with `expected` as its tracestate.
#[track_caller]
fn check_tracestate(harness: &Harness, fields: &[&str], expected: Option<&str>, case: &str) {
    let traceparent = format!("00-{TRACE}-{PARENT}-00");
    let mut headers = vec![("traceparent", traceparent.as_str())];
    headers.extend(fields.iter().map(|field| ("tracestate", *field)));
    let got = harness.single(&headers);
    assert_continued(&got, "00", expected, &format!("{case} ({fields:?})"));
}

// ---------------------------------------------------------------------------------
// traceparent
// ---------------------------------------------------------------------------------

#[test]
fn t10_no_headers_start_a_new_trace() {
    let harness = Harness::start();
    let got = harness.single(&[]);
    assert_restarted(&got, &[], "T10: no traceparent");
}

#[test]
fn t10_tracestate_without_traceparent_is_discarded() {
    let harness = Harness::start();
    for tracestate in ["foo=1", "foo=1,bar=2"] {
        let got = harness.single(&[("tracestate", tracestate)]);
        assert_restarted(&got, &[], "T10: tracestate alone");
    }
}

#[test]
fn t11_valid_traceparent_continues_with_a_new_parent_id() {
    let harness = Harness::start();
    let got = harness.single(&[("traceparent", &format!("00-{TRACE}-{PARENT}-01"))]);
    assert_continued(&got, "01", None, "T11: child of the caller");
}

#[test]
fn t1_header_names_match_in_any_case() {
    let harness = Harness::start();
    let value = format!("00-{TRACE}-{PARENT}-01");
    for name in ["TraceParent", "TrAcEpArEnT", "TRACEPARENT"] {
        let got = harness.single(&[(name, &value)]);
        assert_continued(&got, "01", None, &format!("T1: name {name}"));
    }
}

#[test]
fn t1_other_header_names_are_not_traceparent() {
    let harness = Harness::start();
    let value = format!("00-{TRACE}-{PARENT}-01");
    for name in [
        "trace-parent",
        "trace.parent",
        "traceparent-",
        "xtraceparent",
    ] {
        let got = harness.single(&[(name, &value)]);
        assert_restarted(&got, &[TRACE], &format!("T1: name {name}"));
    }
}

#[test]
fn t7_duplicated_traceparent_restarts() {
    let harness = Harness::start();
    let first = format!("00-{TRACE}-{PARENT}-01");
    let other = "00-12345678901234567890123456789011-1234567890123456-01";
    let old = [TRACE, "12345678901234567890123456789011"];
    let got = harness.single(&[("traceparent", &first), ("traceparent", other)]);
    assert_restarted(&got, &old, "T7: two traceparent fields");
    // The same value twice, and names that differ only in case, are still two.
    let got = harness.single(&[("traceparent", &first), ("traceparent", &first)]);
    assert_restarted(&got, &old, "T7: the same traceparent twice");
    let got = harness.single(&[("traceparent", &first), ("TraceParent", &first)]);
    assert_restarted(&got, &old, "T7: two names, one in another case");
}

#[test]
fn t2_wrong_widths_restart() {
    let harness = Harness::start();
    let cases = [
        (
            format!("000-{TRACE}-{PARENT}-01"),
            "T2: version of 3 digits",
        ),
        (
            format!("0000-{TRACE}-{PARENT}-01"),
            "T2: version of 4 digits",
        ),
        (format!("0-{TRACE}-{PARENT}-01"), "T2: version of 1 digit"),
        (
            format!("00-{TRACE}3-{PARENT}-01"),
            "T2: trace-id of 33 digits",
        ),
        (
            format!("00-{}-{PARENT}-01", &TRACE[1..]),
            "T2: trace-id of 31 digits",
        ),
        (
            format!("00-{TRACE}-{PARENT}7-01"),
            "T2: parent-id of 17 digits",
        ),
        (
            format!("00-{TRACE}-{}-01", &PARENT[1..]),
            "T2: parent-id of 15 digits",
        ),
        (format!("00-{TRACE}-{PARENT}-001"), "T2: flags of 3 digits"),
        (format!("00-{TRACE}-{PARENT}-1"), "T2: flags of 1 digit"),
        (String::new(), "T2: empty value"),
    ];
    for (value, case) in &cases {
        // A 33-digit trace-id must not be cut to either 32-digit half.
        let old = [TRACE, "23456789012345678901234567890123"];
        check_restart(&harness, value, &old, case);
    }
}

#[test]
fn t2_characters_other_than_lowercase_hex_restart() {
    let harness = Harness::start();
    let cases = [
        (format!(".0-{TRACE}-{PARENT}-01"), "T2: version"),
        (format!("0.-{TRACE}-{PARENT}-01"), "T2: version"),
        (format!("00-.{}-{PARENT}-01", &TRACE[1..]), "T2: trace-id"),
        (format!("00-{}.-{PARENT}-01", &TRACE[..31]), "T2: trace-id"),
        (format!("00-{TRACE}-.{}-01", &PARENT[1..]), "T2: parent-id"),
        (format!("00-{TRACE}-{}.-01", &PARENT[..15]), "T2: parent-id"),
        (format!("00-{TRACE}-{PARENT}-.0"), "T2: flags"),
        (format!("00-{TRACE}-{PARENT}-0."), "T2: flags"),
        (
            format!("00-{}-{PARENT}-01", "ABCDEF7890123456789012345678901A"),
            "T2: uppercase trace-id",
        ),
        (
            format!("00-{TRACE}-ABCDEF7890123456-01"),
            "T2: uppercase parent-id",
        ),
        (format!("00-{TRACE}-{PARENT}-0A"), "T2: uppercase flags"),
        (format!("00_{TRACE}_{PARENT}_01"), "T2: separators"),
    ];
    for (value, case) in &cases {
        check_restart(&harness, value, &[TRACE], case);
    }
}

#[test]
fn t3_version_ff_and_version_00_with_more_restart() {
    let harness = Harness::start();
    let cases = [
        (format!("ff-{TRACE}-{PARENT}-01"), "T3: version ff"),
        (
            format!("00-{TRACE}-{PARENT}-01."),
            "T3: 00 with a trailing .",
        ),
        (
            format!("00-{TRACE}-{PARENT}-01.extra"),
            "T3: 00 with .extra",
        ),
        (
            format!("00-{TRACE}-{PARENT}-01-"),
            "T3: 00 with a trailing -",
        ),
        (
            format!("00-{TRACE}-{PARENT}-01-what-the-future-will-be-like"),
            "T3: 00 with future fields",
        ),
    ];
    for (value, case) in &cases {
        check_restart(&harness, value, &[TRACE], case);
    }
}

#[test]
fn t4_all_zero_ids_restart() {
    let harness = Harness::start();
    let zero_trace = "0".repeat(32);
    let zero_span = "0".repeat(16);
    let value = format!("00-{zero_trace}-{PARENT}-01");
    check_restart(&harness, &value, &[&zero_trace], "T4: all-zero trace-id");
    let value = format!("00-{TRACE}-{zero_span}-01");
    check_restart(&harness, &value, &[TRACE], "T4: all-zero parent-id");
}

#[test]
fn t5_future_version_keeps_the_trace_id() {
    let harness = Harness::start();
    for value in [
        format!("cc-{TRACE}-{PARENT}-01"),
        format!("cc-{TRACE}-{PARENT}-01-what-the-future-will-be-like"),
    ] {
        check_continue(&harness, &value, "01", "T5: version cc");
    }
    // Only the flag bits this crate knows go out (T5, T8).
    let value = format!("cc-{TRACE}-{PARENT}-ff-more");
    check_continue(&harness, &value, "03", "T5: version cc, unknown flags");
}

#[test]
fn t5_future_version_without_a_dash_after_the_flags_restarts() {
    let harness = Harness::start();
    for value in [
        format!("cc-{TRACE}-{PARENT}-01.what-the-future-will-be-like"),
        format!("cc-{TRACE}-{PARENT}-01x"),
        format!("cc-{TRACE}-{PARENT}-0"),
    ] {
        check_restart(&harness, &value, &[TRACE], "T5: version cc, malformed");
    }
}

#[test]
fn t6_spaces_and_tabs_around_the_value_are_accepted() {
    let harness = Harness::start();
    let value = format!("00-{TRACE}-{PARENT}-01");
    for padded in [
        format!(" {value}"),
        format!("\t{value}"),
        format!("{value} "),
        format!("{value}\t"),
        format!("\t {value} \t"),
    ] {
        check_continue(&harness, &padded, "01", "T6: OWS");
    }
}

#[test]
fn t8_flags_are_kept_bit_by_bit() {
    let harness = Harness::start();
    let cases = [
        ("00", "00", "T8: not sampled"),
        ("01", "01", "T8: sampled"),
        ("02", "02", "T8/T11: the random flag is kept"),
        ("03", "03", "T8: sampled and random"),
        ("81", "01", "T8: reserved bits are written as 0"),
        ("ff", "03", "T8: reserved bits are written as 0"),
    ];
    for (incoming, outgoing, case) in cases {
        let value = format!("00-{TRACE}-{PARENT}-{incoming}");
        check_continue(&harness, &value, outgoing, case);
    }
}

#[test]
fn t11_each_call_gets_a_new_parent_id_in_the_same_trace() {
    let harness = Harness::start();
    let value = format!("00-{TRACE}-{PARENT}-01");
    let callbacks = harness.request(&[("traceparent", &value), ("tracestate", "foo=1")], 2);
    let got: Vec<Propagated> = callbacks.iter().map(Propagated::read).collect();
    for one in &got {
        assert_continued(one, "01", Some("foo=1"), "T11: two calls");
    }
    assert_ne!(
        got[0].parent_id, got[1].parent_id,
        "T11/T13: each call is a new span"
    );
}

#[test]
fn t13_calls_of_a_new_trace_share_its_trace_id() {
    let harness = Harness::start();
    for headers in [
        vec![],
        vec![(
            "traceparent",
            "00-00000000000000000000000000000000-1234567890123456-01",
        )],
    ] {
        let callbacks = harness.request(&headers, 3);
        let got: Vec<Propagated> = callbacks.iter().map(Propagated::read).collect();
        for one in &got {
            assert_restarted(one, &[TRACE], "T9/T10: three calls");
            assert_eq!(one.trace_id, got[0].trace_id, "one trace for all calls");
        }
        let mut parents: Vec<&str> = got.iter().map(|p| p.parent_id.as_str()).collect();
        parents.sort_unstable();
        parents.dedup();
        assert_eq!(parents.len(), 3, "T13: a new parent-id for every call");
    }
}

#[test]
fn t13_new_traces_get_different_trace_ids() {
    let harness = Harness::start();
    let first = harness.single(&[]);
    let second = harness.single(&[]);
    assert_ne!(first.trace_id, second.trace_id, "T13: unique trace-ids");
}

// ---------------------------------------------------------------------------------
// tracestate
// ---------------------------------------------------------------------------------

#[test]
fn s1_header_names_match_in_any_case() {
    let harness = Harness::start();
    let traceparent = format!("00-{TRACE}-{PARENT}-00");
    for name in ["TraceState", "TrAcEsTaTe", "TRACESTATE"] {
        let got = harness.single(&[("traceparent", &traceparent), (name, "foo=1")]);
        assert_continued(&got, "00", Some("foo=1"), &format!("S1: name {name}"));
    }
    for name in ["trace-state", "trace.state"] {
        let got = harness.single(&[("traceparent", &traceparent), (name, "foo=1")]);
        assert_continued(&got, "00", None, &format!("S1: name {name} ignored"));
    }
}

#[test]
fn s2_fields_are_joined_in_order() {
    let harness = Harness::start();
    check_tracestate(
        &harness,
        &["foo=1,bar=2", "rojo=1,congo=2", "baz=3"],
        Some("foo=1,bar=2,rojo=1,congo=2,baz=3"),
        "S2: three fields",
    );
}

#[test]
fn s3_whitespace_and_empty_members() {
    let harness = Harness::start();
    let cases: [(&[&str], Option<&str>); 10] = [
        (&[""], None),
        (&["foo=1", ""], Some("foo=1")),
        (&["", "foo=1"], Some("foo=1")),
        (&[" , ,\t"], None),
        // One field is forwarded as it came, less the whitespace around it.
        (
            &["foo=1 \t , \t bar=2, \t baz=3"],
            Some("foo=1 \t , \t bar=2, \t baz=3"),
        ),
        (&["\t foo=1 \t"], Some("foo=1")),
        (&["foo=1,,bar=2"], Some("foo=1,,bar=2")),
        // Several fields are joined into a new list, without the whitespace.
        (&["foo=1 , ", " bar=2\t"], Some("foo=1,bar=2")),
        (
            &["foo=1\t \t,\t \tbar=2", ",baz=3,"],
            Some("foo=1,bar=2,baz=3"),
        ),
        (&["foo= 1", "bar=2"], Some("foo= 1,bar=2")),
    ];
    for (fields, expected) in cases {
        check_tracestate(&harness, fields, expected, "S3");
    }
}

#[test]
fn s4_every_allowed_character_is_kept() {
    let harness = Harness::start();
    let key: String = ('a'..='z')
        .chain('0'..='9')
        .chain("_-*/@".chars())
        .collect();
    let value: String = (0x20u8..=0x7e)
        .filter(|&c| c != b',' && c != b'=')
        .map(char::from)
        .collect();
    let member = format!("{key}={value}");
    check_tracestate(
        &harness,
        &[&member],
        Some(&member),
        "S4: all key and value characters",
    );
    let member = format!("0{key}={value}");
    check_tracestate(
        &harness,
        &[&member],
        Some(&member),
        "S4: a key may start with a digit",
    );
}

#[test]
fn s4_at_signs_after_the_first_character_are_kept() {
    let harness = Harness::start();
    for list in ["foo@=1,bar=2", "foo@@bar=1,bar=2", "foo@bar@baz=1,bar=2"] {
        check_tracestate(&harness, &[list], Some(list), "S4: Level 2 key grammar");
    }
    let tenant = format!("{}@{}=1", "t".repeat(241), "v".repeat(14));
    let long_tenant = format!("{}@v=1", "t".repeat(242));
    let long_vendor = format!("t@{}=1", "v".repeat(15));
    for member in [&tenant, &long_tenant, &long_vendor] {
        let expected = format!("foo=1,{member}");
        check_tracestate(
            &harness,
            &["foo=1", member],
            Some(&expected),
            "S4: @ in long keys",
        );
    }
}

#[test]
fn s4_key_of_256_bytes_is_kept_and_257_dropped() {
    let harness = Harness::start();
    let key_256 = format!("{}=1", "z".repeat(256));
    let expected = format!("foo=1,{key_256}");
    check_tracestate(
        &harness,
        &["foo=1", &key_256],
        Some(&expected),
        "S4: 256-byte key",
    );
    let key_257 = format!("{}=1", "z".repeat(257));
    check_tracestate(&harness, &["foo=1", &key_257], None, "S4/S6: 257-byte key");
}

#[test]
fn s5_32_members_are_kept_and_33_dropped() {
    let harness = Harness::start();
    let members: Vec<String> = (1..=33).map(|i| format!("bar{i:02}={i:02}")).collect();
    let fields = |count: usize| -> Vec<String> {
        members[..count]
            .chunks(10)
            .map(|chunk| chunk.join(","))
            .collect()
    };
    let kept = fields(32);
    assert_eq!(kept.len(), 4, "32 members over 4 fields");
    let kept: Vec<&str> = kept.iter().map(String::as_str).collect();
    let expected = members[..32].join(",");
    check_tracestate(&harness, &kept, Some(&expected), "S5: 32 members");
    let dropped = fields(33);
    let dropped: Vec<&str> = dropped.iter().map(String::as_str).collect();
    check_tracestate(&harness, &dropped, None, "S5: 33 members");
}

#[test]
fn s6_an_invalid_member_drops_the_whole_tracestate() {
    let harness = Harness::start();
    for bad in [
        "foo =1",
        "FOO=1",
        "foo.bar=1",
        "@foo=1",
        "foo=bar=baz",
        "foo=,bar=3",
        "foo",
        "=1",
        "foo=1\t2",
        "foo=a,b",
        "foo=\u{7f}",
    ] {
        check_tracestate(&harness, &[bad], None, "S6: alone");
        let with_valid = format!("bar=2,{bad}");
        check_tracestate(&harness, &[&with_valid], None, "S6: after a valid member");
        check_tracestate(&harness, &["bar=2", bad], None, "S6: in a second field");
    }
}

#[test]
fn s7_duplicated_keys_are_kept_or_deduplicated() {
    let harness = Harness::start();
    for fields in [&["foo=1,foo=2"][..], &["foo=1", "foo=2"], &["foo=1,foo=1"]] {
        let traceparent = format!("00-{TRACE}-{PARENT}-00");
        let mut headers = vec![("traceparent", traceparent.as_str())];
        headers.extend(fields.iter().map(|field| ("tracestate", *field)));
        let got = harness.single(&headers);
        let joined = fields.join(",");
        let acceptable = [Some(joined.as_str()), Some("foo=1")];
        assert_eq!(got.trace_id, TRACE, "S7: {fields:?}");
        assert!(
            acceptable.contains(&got.tracestate.as_deref()),
            "S7: duplicates kept as-is or the later ones dropped: {fields:?} -> {:?}",
            got.tracestate
        );
    }
}

#[test]
fn s9_a_long_joined_list_is_cut_by_whole_members() {
    let harness = Harness::start();
    // Eight members of 70 bytes: 567 bytes joined, so the last one goes.
    let members: Vec<String> = (0..8).map(|i| format!("k{i}={}", "v".repeat(67))).collect();
    let fields: Vec<&str> = members.iter().map(String::as_str).collect();
    let expected = members[..7].join(",");
    check_tracestate(&harness, &fields, Some(&expected), "S9: cut from the right");
    // A member over 128 bytes goes first.
    let long = format!("long={}", "x".repeat(200));
    let mut fields = vec![long.as_str()];
    fields.extend(members[..5].iter().map(String::as_str));
    let expected = members[..5].join(",");
    check_tracestate(&harness, &fields, Some(&expected), "S9: long members first");
}

#[test]
fn t9_a_tracestate_error_keeps_the_trace() {
    let harness = Harness::start();
    let traceparent = format!("00-{TRACE}-{PARENT}-01");
    let got = harness.single(&[("traceparent", &traceparent), ("tracestate", "FOO=1")]);
    assert_continued(&got, "01", None, "T9: bad tracestate, trace continues");
}

#[test]
fn p6_the_sampler_keeps_an_agreeing_th_and_erases_the_rest() {
    // The service's sampler follows the caller (`w3c::SAMPLER`), and rule P6 lets
    // it pass on only a `th` that agrees with the sampled flag. R, the low 56 bits
    // of TRACE, is 0x90123456789012: th:8 samples it, th:c does not.
    let harness = Harness::start();
    let cases = [
        (
            "01",
            "foo=1,ot=th:8",
            Some("foo=1,ot=th:8"),
            "P6: th agrees, kept",
        ),
        (
            "01",
            "foo=1,ot=th:c",
            Some("foo=1"),
            "P6: th disagrees, erased",
        ),
        (
            "00",
            "ot=th:8,foo=1",
            Some("foo=1"),
            "P6: not sampled, erased",
        ),
        (
            "01",
            "ot=th:zz,foo=1",
            Some("foo=1"),
            "P1: malformed ot, removed",
        ),
        ("00", "ot=th:8", None, "P6/S10: nothing left to send"),
    ];
    for (flags, tracestate, expected, case) in cases {
        let traceparent = format!("00-{TRACE}-{PARENT}-{flags}");
        let got = harness.single(&[("traceparent", &traceparent), ("tracestate", tracestate)]);
        assert_continued(&got, flags, expected, &format!("{case} ({tracestate:?})"));
    }
}

// ---------------------------------------------------------------------------------
// The protocol: arguments, errors, response.
// ---------------------------------------------------------------------------------

#[test]
fn protocol_arguments_are_forwarded_as_json() {
    let harness = Harness::start();
    let nested = json!([{"url": "http://127.0.0.1:1/x", "arguments": []}, 1, "two", null]);
    let body = json!([
        {"url": harness.callback_url("0"), "arguments": nested},
        {"url": harness.callback_url("1")},
        {"url": harness.callback_url("2"), "arguments": {"a": [true, 1.5]}},
    ]);
    let response = harness.post(&[], &serde_json::to_vec(&body).unwrap());
    assert_eq!(response.status, 200);
    let callbacks = harness.collect(3);
    let parsed = |i: usize| -> Value { serde_json::from_slice(&callbacks[i].body).unwrap() };
    assert_eq!(parsed(0), nested, "arguments as given");
    assert_eq!(parsed(1), json!([]), "no arguments: []");
    assert_eq!(parsed(2), json!({"a": [true, 1.5]}));
    let content_type = callbacks[0]
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| value.as_slice());
    assert_eq!(content_type, Some(&b"application/json"[..]));
}

#[test]
fn protocol_an_empty_list_makes_no_call() {
    let harness = Harness::start();
    let callbacks = harness.request(&[], 0);
    assert!(callbacks.is_empty());
}

#[test]
fn r1_the_response_names_the_service_span() {
    let harness = Harness::start();
    let traceparent = format!("00-{TRACE}-{PARENT}-01");
    let response = harness.post(&[("traceparent", &traceparent)], &harness.calls(2));
    assert_eq!(response.status, 200);
    let served_by = tracecontext::response::extract(&response.headers)
        .expect("R1: a valid server-timing metric")
        .expect("R1: a trace metric");
    assert_eq!(served_by.trace_id().to_string(), TRACE, "R1: same trace");
    assert_eq!(served_by.flags().bits(), 0x01, "R1: same flags");
    let service_span = served_by.parent_id().to_string();
    assert_ne!(service_span, PARENT, "R1: the service's own span");
    for callback in harness.collect(2) {
        let got = Propagated::read(&callback);
        assert_ne!(got.parent_id, service_span, "each call is a child span");
    }
}

#[test]
fn protocol_bad_requests_get_4xx_and_make_no_call() {
    let harness = Harness::start();
    let url = harness.callback_url("0");
    let too_many: Vec<Value> = (0..=w3c::MAX_CALLS)
        .map(|_| json!({"url": url, "arguments": []}))
        .collect();
    let too_many = serde_json::to_string(&too_many).unwrap();
    let bodies = [
        ("", "not JSON"),
        ("[{\"url\": ", "not JSON"),
        ("{\"url\": \"http://x/\"}", "expected a JSON list"),
        ("[1]", "not a JSON object"),
        ("[{\"arguments\": []}]", "no string \"url\""),
        ("[{\"url\": 7}]", "no string \"url\""),
        ("[{\"url\": \"https://127.0.0.1/\"}]", "only http:// URLs"),
        (too_many.as_str(), "at most"),
    ];
    for (body, reason) in bodies {
        // A valid call first: nothing may be called when a later one is bad.
        let body = if body.starts_with("[{\"") && !body.contains(&url) {
            body.replacen('[', &format!("[{{\"url\": \"{url}\"}}, "), 1)
        } else {
            body.to_string()
        };
        let response = harness.post(&[], body.as_bytes());
        let text = String::from_utf8_lossy(&response.body);
        assert_eq!(response.status, 400, "bad body {body:?}: {text}");
        assert!(text.contains(reason), "{body:?}: the reason: {text}");
    }
    let response = http::post(
        &format!("http://{}/other", harness.service),
        &[],
        &harness.calls(1),
    )
    .unwrap();
    assert_eq!(response.status, 404, "wrong path");
    let response = raw_exchange(
        harness.service,
        format!("GET {} HTTP/1.1\r\nhost: x\r\n\r\n", w3c::PATH).as_bytes(),
    );
    assert_eq!(status_of(&response), 405, "wrong method");
    assert!(harness.received.try_recv().is_err(), "no call was made");
}

#[test]
fn protocol_a_failed_call_gives_502_and_stops() {
    let harness = Harness::start();
    // Port 0: connecting fails at once, and no other test can be listening there.
    let closed = "127.0.0.1:0";
    let cases = [
        (format!("http://{closed}/callback/0"), 0),
        (harness.callback_url("fail"), 1),
    ];
    for (first, calls_made) in cases {
        let body = json!([{"url": first}, {"url": harness.callback_url("1")}]);
        let response = harness.post(&[], &serde_json::to_vec(&body).unwrap());
        let text = String::from_utf8_lossy(&response.body);
        assert_eq!(response.status, 502, "{text}");
        assert!(text.contains("call 0"), "{text}");
        let callbacks = harness.collect(calls_made);
        assert!(callbacks.iter().all(|c| c.path.contains("fail")));
    }
}

// ---------------------------------------------------------------------------------
// Robustness over raw TCP.
// ---------------------------------------------------------------------------------

/// Sends `request` on a new connection, closes the sending side, and reads the
/// whole answer (empty when the server closed without one).
fn raw_exchange(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect");
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.write_all(request).expect("send");
    stream.shutdown(Shutdown::Write).expect("half-close");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read the answer");
    response
}

/// The status code of a raw response.
#[track_caller]
fn status_of(response: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(response);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"))
}

/// A raw POST to the service with `fields` (each a whole `name: value` line, as
/// bytes) asking for one call back.
fn raw_post(harness: &Harness, fields: &[Vec<u8>]) -> Vec<u8> {
    let body = harness.calls(1);
    let mut request = format!("POST {} HTTP/1.1\r\nhost: test\r\n", w3c::PATH).into_bytes();
    for field in fields {
        request.extend_from_slice(field);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
    request.extend_from_slice(&body);
    raw_exchange(harness.service, &request)
}

/// Checks that the service still serves a normal request.
#[track_caller]
fn assert_alive(harness: &Harness, after: &str) {
    let got = harness.single(&[("traceparent", &format!("00-{TRACE}-{PARENT}-01"))]);
    assert_eq!(got.trace_id, TRACE, "the service still works after {after}");
}

#[test]
fn http_garbage_request_line_gets_400() {
    let harness = Harness::start();
    for garbage in [
        &b"HELLO\r\n\r\n"[..],
        b"POST /test\r\n\r\n",
        b"POST test HTTP/1.1\r\n\r\n",
        b"POST /test HTTP/1.1 extra\r\n\r\n",
        b"\x00\xff\xfe garbage \x80\r\n\r\n",
        b"POST /test HTTP/1.1\r\nno colon here\r\n\r\n",
        b"POST /test HTTP/1.1\r\nbad name: 1\r\n\r\n",
    ] {
        let response = raw_exchange(harness.service, garbage);
        assert_eq!(
            status_of(&response),
            400,
            "{:?}",
            String::from_utf8_lossy(garbage)
        );
    }
    assert_alive(&harness, "garbage");
}

#[test]
fn http_header_block_over_64_kib_gets_431() {
    let harness = Harness::start();
    let mut request = b"POST /test HTTP/1.1\r\nhost: test\r\n".to_vec();
    for i in 0..70 {
        request.extend_from_slice(format!("x-pad-{i}: {}\r\n", "a".repeat(1024)).as_bytes());
    }
    request.extend_from_slice(b"content-length: 2\r\n\r\n[]");
    let response = raw_exchange(harness.service, &request);
    assert_eq!(status_of(&response), 431);
    // One field over the limit, never ending.
    let mut request = b"POST /test HTTP/1.1\r\nx-pad: ".to_vec();
    request.extend_from_slice(&vec![b'a'; http::MAX_HEAD + 10]);
    let response = raw_exchange(harness.service, &request);
    assert_eq!(status_of(&response), 431);
    assert_alive(&harness, "an oversized head");
}

#[test]
fn c3_non_utf8_traceparent_restarts() {
    let harness = Harness::start();
    let mut field = format!("traceparent: 00-{TRACE}-{PARENT}-0").into_bytes();
    field.push(0xff);
    let response = raw_post(&harness, &[field, b"tracestate: foo=1".to_vec()]);
    assert_eq!(status_of(&response), 200, "C3: served");
    let got = Propagated::read(&harness.collect(1)[0]);
    assert_restarted(&got, &[TRACE], "C3: traceparent with byte 0xff");
}

#[test]
fn c3_non_utf8_tracestate_is_dropped() {
    let harness = Harness::start();
    let traceparent = format!("traceparent: 00-{TRACE}-{PARENT}-01").into_bytes();
    let mut tracestate = b"tracestate: foo=".to_vec();
    tracestate.extend_from_slice(&[0xc3, 0xa9]);
    let response = raw_post(&harness, &[traceparent, tracestate]);
    assert_eq!(status_of(&response), 200, "C3: served");
    let got = Propagated::read(&harness.collect(1)[0]);
    assert_continued(&got, "01", None, "C3: tracestate with UTF-8 bytes");
}

#[test]
fn s5_a_thousand_tracestate_fields() {
    let harness = Harness::start();
    let traceparent = format!("00-{TRACE}-{PARENT}-01");
    // A thousand members: too many (S5), dropped, the trace continues.
    let names: Vec<String> = (0..1000).map(|i| format!("k{i}=1")).collect();
    let mut headers = vec![("traceparent", traceparent.as_str())];
    headers.extend(names.iter().map(|member| ("tracestate", member.as_str())));
    let got = harness.single(&headers);
    assert_continued(&got, "01", None, "S5: 1000 fields of one member");
    // A thousand empty fields hold no member (S3): the one real member is kept.
    let mut headers = vec![("traceparent", traceparent.as_str())];
    headers.extend(std::iter::repeat_n(("tracestate", ""), 500));
    headers.push(("tracestate", "foo=1"));
    headers.extend(std::iter::repeat_n(("tracestate", " , "), 500));
    let got = harness.single(&headers);
    assert_continued(&got, "01", Some("foo=1"), "S3: 1000 empty fields");
}

#[test]
fn http_conflicting_content_length_gets_400() {
    let harness = Harness::start();
    for lengths in [
        &["2", "3"][..],
        &["+2"],
        &["-1"],
        &["2, 2"],
        &["99999999999999999999999"],
    ] {
        let mut request = b"POST /test HTTP/1.1\r\nhost: test\r\n".to_vec();
        for length in lengths {
            request.extend_from_slice(format!("content-length: {length}\r\n").as_bytes());
        }
        request.extend_from_slice(b"\r\n[]");
        let response = raw_exchange(harness.service, &request);
        assert_eq!(status_of(&response), 400, "content-length {lengths:?}");
    }
    assert_alive(&harness, "bad lengths");
}

#[test]
fn http_connection_closed_mid_request_leaves_the_server_alive() {
    let harness = Harness::start();
    let body = harness.calls(1);
    let head = format!(
        "POST /test HTTP/1.1\r\nhost: test\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let cuts: [&[u8]; 4] = [
        b"",
        b"POST /te",
        b"POST /test HTTP/1.1\r\ntraceparent: 00-",
        &[head.as_bytes(), &body[..body.len() / 2]].concat(),
    ];
    for cut in cuts {
        let mut stream = TcpStream::connect_timeout(&harness.service, IO_TIMEOUT).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.write_all(cut).unwrap();
        drop(stream);
    }
    assert_alive(&harness, "connections cut mid-request");
    assert!(
        harness.received.try_recv().is_err(),
        "no call for a cut request"
    );
}

// ---------------------------------------------------------------------------------
// The log.
// ---------------------------------------------------------------------------------

#[test]
fn log_says_whether_the_trace_continued_and_why_not() {
    let harness = Harness::start();
    let valid = format!("00-{TRACE}-{PARENT}-01");
    type Headers<'a> = Vec<(&'a str, &'a str)>;
    let cases: [(Headers, &[&str]); 4] = [
        (vec![], &["POST /test -> 200", "no traceparent, new trace"]),
        (
            vec![("traceparent", &valid), ("traceparent", &valid)],
            &[
                "invalid traceparent, new trace",
                "more than one traceparent",
            ],
        ),
        (
            vec![("traceparent", "00-xyz")],
            &["invalid traceparent, new trace: traceparent:"],
        ),
        (
            vec![("traceparent", &valid), ("tracestate", "FOO=1")],
            &[&format!("continued trace {TRACE}, tracestate dropped:")],
        ),
    ];
    for (headers, expected) in cases {
        let (response, line) = harness.post_logged(&headers, &harness.calls(1));
        assert_eq!(response.status, 200);
        let got = Propagated::read(&harness.collect(1)[0]);
        assert!(
            line.contains(&got.trace_id),
            "the log names the trace: {line}"
        );
        for part in expected {
            assert!(line.contains(part), "{headers:?}: {part:?} in {line:?}");
        }
    }
}

#[test]
fn log_is_one_line_whatever_the_request_holds() {
    let harness = Harness::start();
    let (response, line) = harness.post_logged(&[], b"[{\"url\": 1}]");
    assert_eq!(response.status, 400);
    assert!(
        line.contains("-> 400") && line.contains("no string \"url\""),
        "{line}"
    );
    // A URL with a line break fails, and the break is escaped in the log.
    let body = br#"[{"url": "http://127.0.0.1:0/a\nb"}]"#;
    let (response, line) = harness.post_logged(&[], body);
    assert_eq!(response.status, 502);
    assert!(line.contains("/a\\nb"), "{line}");
}
