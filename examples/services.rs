//! One trace across three HTTP services and a message queue, checked at the end.
//!
//! ```text
//! cargo run --example services
//! ```
//!
//! The program starts three services on loopback ports (each serving on its own
//! threads) and a queue consumer thread; then a client (this `main`) starts a new
//! trace and calls the first service:
//!
//! - **edge** continues the trace, adds its own `tracestate` entry (`edge=<span-id>`,
//!   at the front by rule S8) and calls orders;
//! - **orders** calls payments, **retrying** on 503 (each attempt is its own client
//!   span, with its own span-id, under the orders server span), reads the
//!   `server-timing: trace;desc=...` metric that payments returns (rule R1), then
//!   **publishes** a message to an in-process queue with the context in the message
//!   headers, from a producer span of its own (rule C2: a new parent-id per
//!   publish);
//! - **payments** fails its first request with 503, deterministically, and names
//!   its server span in the `server-timing` of every response;
//! - **shipping**, a consumer thread, continues the trace from the message headers.
//!
//! Every hop extracts the incoming context with [`tracecontext::extract`], makes its
//! server (or consumer) span a child with a new span-id, and injects a further child
//! into each outgoing call. Each span is recorded in a shared collector; at the end
//! the program prints the span tree, checks the facts below, and exits with status 1
//! if one fails, so it doubles as a smoke test:
//!
//! - one trace-id across all the spans, which form one tree with unique span-ids;
//! - the payment attempts are siblings under the orders server span, and the last
//!   one succeeded;
//! - each `server-timing` metric names the payments span that served the attempt;
//! - the queue consumer's parent is the producer span, a child of orders;
//! - the `edge` entry reached every span after edge, payments and the consumer
//!   included.
//!
//! Sample output (IDs are random on each run; the last line is cut here):
//!
//! ```text
//! client: new trace 93d523fe3ffae576564a0c945c282d9c, calling edge
//! edge: continued trace 93d523fe3ffae576564a0c945c282d9c, tracestate now "edge=e8f80184c6429977"
//! orders: payments attempt 1 answered 503, retrying
//! orders: payments answered 200, server-timing trace;desc=00-93d523fe3ffae576564a0c945c282d9c-4bfc84790a037038-03 (payments span 4bfc84790a037038)
//! orders: published orders.paid with traceparent 00-93d523fe3ffae576564a0c945c282d9c-a920cef0502df93f-03
//! client: edge answered 200 "order accepted"
//! client: shipping processed orders.paid {"order":"A-1001","amount":"12.50"} in span 3fa260cafdf6491b
//!
//! trace 93d523fe3ffae576564a0c945c282d9c, 10 spans:
//! client client: POST /checkout -> edge                       span 735e66fa03c50cd2  200
//!   edge server: POST /checkout                               span e8f80184c6429977  200  tracestate now "edge=e8f80184c6429977"
//!     edge client: POST /orders -> orders                     span 5fda94ffaee9441a  200
//!       orders server: POST /orders                           span d99243dd079adaee  200
//!         orders client: POST /charge -> payments, attempt 1  span 5cfe2724454c1a8a  503  server-timing: span be6d0b1ec8b70145
//!           payments server: POST /charge                     span be6d0b1ec8b70145  503
//!         orders client: POST /charge -> payments, attempt 2  span 5693dd20f683fcca  200  server-timing: span 4bfc84790a037038
//!           payments server: POST /charge                     span 4bfc84790a037038  200
//!         orders producer: publish orders.paid                span a920cef0502df93f  done
//!           shipping consumer: process orders.paid            span 3fa260cafdf6491b  done
//!
//! ok    one trace-id, one tree, unique span-ids
//! ok    payment attempts are siblings under the orders server span
//! ok    server-timing names the payments span of each attempt
//! ok    the queue consumer continues from the producer span
//! ok    the edge tracestate entry reaches every later span
//!
//! ok: one trace-id 93d523fe3ffae576564a0c945c282d9c across 10 spans; 2 payment attempts under the same parent span d99243dd079adaee; ...
//! ```
//!
//! A `tracestate` is shown in the tree only where it differs from the parent
//! span's. On a failure (a service unreachable, a check not met) the program says
//! what failed, still prints the spans it has, and exits with status 1.

#[path = "support/http.rs"]
mod http;
#[path = "support/ids.rs"]
mod ids;

use std::fmt::{self, Write as _};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use tracecontext::{
    Context, Extracted, Extractor, SpanId, TraceFlags, TraceId, TraceParent, TraceStateView,
};

/// How many times orders tries to charge a payment.
const PAYMENT_ATTEMPTS: u32 = 3;
/// How long the client waits for the queue consumer after the call chain returns.
const CONSUMER_WAIT: Duration = Duration::from_secs(2);
/// The queue topic orders publishes to.
const TOPIC: &str = "orders.paid";
/// The vendor key edge adds to `tracestate`.
const EDGE_KEY: &str = "edge";

// ---------------------------------------------------------------------------
// Spans and the collector
// ---------------------------------------------------------------------------

/// The role of a span, as tracing systems usually name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// An outgoing request.
    Client,
    /// The handling of an incoming request.
    Server,
    /// The publishing of a message.
    Producer,
    /// The processing of a received message.
    Consumer,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Client => "client",
            Self::Server => "server",
            Self::Producer => "producer",
            Self::Consumer => "consumer",
        })
    }
}

/// How a span ended.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    /// An HTTP status, sent or received.
    Status(u16),
    /// Work without a status (publishing, consuming), done.
    Done,
    /// A failure before any status: a network error, a refused header.
    Failed(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status(status) => write!(f, "{status}"),
            Self::Done => f.write_str("done"),
            Self::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

/// A finished span, as the collector keeps it.
#[derive(Clone, Debug)]
struct SpanRecord {
    /// Start order across the process, to print siblings in the order they began.
    seq: u64,
    service: &'static str,
    kind: Kind,
    operation: String,
    trace_id: TraceId,
    span_id: SpanId,
    /// The caller's span; `None` for a trace root.
    parent_id: Option<SpanId>,
    /// The `tracestate` the span forwards.
    tracestate: String,
    /// For a retried call, which attempt this was (from 1).
    attempt: Option<u32>,
    /// For a client span, the span that served it, as the `server-timing` metric says.
    served_by: Option<TraceParent>,
    /// Why the span started a new trace or dropped a `tracestate`, if it did.
    note: Option<String>,
    outcome: Outcome,
}

/// Where every service records its finished spans.
#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<SpanRecord>>>,
    next_seq: Arc<AtomicU64>,
}

impl Collector {
    fn next_seq(&self) -> u64 {
        self.next_seq.fetch_add(1, Ordering::Relaxed)
    }

    fn record(&self, span: SpanRecord) {
        // A thread that panicked while holding the lock cannot corrupt a `push`.
        self.spans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(span);
    }

    /// The spans recorded so far, in start order.
    fn snapshot(&self) -> Vec<SpanRecord> {
        let mut spans = self
            .spans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        spans.sort_by_key(|span| span.seq);
        spans
    }
}

/// One service's handle on tracing: its name and the collector.
#[derive(Clone)]
struct Tracer {
    service: &'static str,
    collector: Collector,
}

impl Tracer {
    fn new(service: &'static str, collector: &Collector) -> Self {
        Self {
            service,
            collector: collector.clone(),
        }
    }

    /// Starts a new trace: a root span with a random trace-id. The random flag is
    /// set because the IDs of `ids` are random (rule T12).
    fn root(&self, kind: Kind, operation: String) -> Span {
        let context = Context::root(ids::trace_id(), ids::span_id(), root_flags());
        self.start(context, None, kind, operation)
    }

    /// Continues the trace of an incoming request or message: extract, make this
    /// span a child with a new span-id (or a new root when the carrier has no valid
    /// `traceparent`, rules T9/T10), and start recording it.
    fn continue_from<E: Extractor + ?Sized>(
        &self,
        carrier: &E,
        kind: Kind,
        operation: String,
    ) -> Span {
        let extracted = tracecontext::extract(carrier);
        let context = extracted
            .child_or_root(ids::span_id(), ids::trace_id(), root_flags())
            .into_owned();
        let parent_id = extracted.parent().map(Context::span_id);
        let mut span = self.start(context, parent_id, kind, operation);
        span.record.note = match &extracted {
            Extracted::Continued {
                tracestate_error: None,
                ..
            } => None,
            other => Some(other.to_string()),
        };
        span
    }

    fn start(
        &self,
        context: Context<'static>,
        parent_id: Option<SpanId>,
        kind: Kind,
        operation: String,
    ) -> Span {
        let record = SpanRecord {
            seq: self.collector.next_seq(),
            service: self.service,
            kind,
            operation,
            trace_id: context.trace_id(),
            span_id: context.span_id(),
            parent_id,
            tracestate: String::new(),
            attempt: None,
            served_by: None,
            note: None,
            outcome: Outcome::Done,
        };
        Span {
            tracer: self.clone(),
            context,
            record,
        }
    }
}

/// The flags of a new trace: sampled, and random because the trace-id is.
fn root_flags() -> TraceFlags {
    TraceFlags::SAMPLED | TraceFlags::RANDOM
}

/// A span in progress: its context (what its children and outgoing calls are made
/// from) and what the collector receives when it [ends](Span::end).
struct Span {
    tracer: Tracer,
    context: Context<'static>,
    record: SpanRecord,
}

/// What an outgoing call got back.
struct Reply {
    response: http::Response,
    /// The context of the span that served the call, from `server-timing` (rule R1).
    served_by: Option<TraceParent>,
}

impl Span {
    /// A child span of the same service, with a new span-id (rule T11).
    fn child(&self, kind: Kind, operation: String) -> Self {
        let context = self.context.child(ids::span_id());
        self.tracer
            .start(context, Some(self.context.span_id()), kind, operation)
    }

    /// Records the span as finished.
    fn end(mut self, outcome: Outcome) {
        self.record.tracestate = self.context.tracestate().to_string();
        self.record.outcome = outcome;
        self.tracer.collector.record(self.record);
    }

    /// POSTs `body` to `peer` from a new client span that is injected into the
    /// request, and reads which span served it from the response's `server-timing`.
    fn call(&self, peer: &Peer, body: &[u8], attempt: Option<u32>) -> Result<Reply, String> {
        let mut span = self.child(Kind::Client, format!("POST {} -> {}", peer.path, peer.name));
        span.record.attempt = attempt;
        let result = span.post(peer, body);
        match &result {
            Ok(reply) => {
                span.record.served_by = reply.served_by;
                span.end(Outcome::Status(reply.response.status));
            }
            Err(why) => span.end(Outcome::Failed(why.clone())),
        }
        result
    }

    /// Sends the request with this span's headers. A client span of its own: a root,
    /// or a child made by [`call`](Span::call).
    fn post(&self, peer: &Peer, body: &[u8]) -> Result<Reply, String> {
        let headers = self.context.headers();
        let mut carrier = [("", ""); 2];
        headers
            .inject(&mut carrier)
            .map_err(|error| error.to_string())?;
        let response = http::post(&peer.url(), &carrier, body)
            .map_err(|error| format!("{} unreachable: {error}", peer.name))?;
        // An invalid metric is ignored, as rule R1 says; the call itself succeeded.
        let served_by = tracecontext::response::extract(&response.headers)
            .ok()
            .flatten();
        Ok(Reply {
            response,
            served_by,
        })
    }

    /// Publishes a message from a new producer span, whose context goes into the
    /// message headers: a new parent-id per publish (rule C2).
    fn publish(
        &self,
        queue: &Sender<Message>,
        topic: &'static str,
        body: String,
    ) -> Result<TraceParent, String> {
        let span = self.child(Kind::Producer, format!("publish {topic}"));
        let mut headers = Vec::new();
        let sent = span
            .context
            .inject(&mut headers)
            .map_err(|error| error.to_string())
            .and_then(|()| {
                queue
                    .send(Message {
                        topic,
                        headers,
                        body,
                    })
                    .map_err(|_| "the queue consumer is gone".to_string())
            });
        let traceparent = span.context.traceparent();
        match sent {
            Ok(()) => {
                span.end(Outcome::Done);
                Ok(traceparent)
            }
            Err(why) => {
                span.end(Outcome::Failed(why.clone()));
                Err(why)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The services
// ---------------------------------------------------------------------------

/// A service to call: its name, address and the path it serves.
#[derive(Clone)]
struct Peer {
    name: &'static str,
    addr: std::net::SocketAddr,
    path: &'static str,
}

impl Peer {
    fn url(&self) -> String {
        format!("http://{}{}", self.addr, self.path)
    }
}

/// A message on the in-process queue: a header list, like Kafka record headers or
/// AMQP application properties, and a body.
struct Message {
    topic: &'static str,
    headers: Vec<(String, String)>,
    body: String,
}

/// The server span of a request: the shared first step of every handler.
fn server_span(tracer: &Tracer, request: &http::Request) -> Span {
    tracer.continue_from(
        &request.headers,
        Kind::Server,
        format!("{} {}", request.method, request.path),
    )
}

/// Ends `span` with the response's status and returns the response.
fn respond(span: Span, response: http::Response) -> http::Response {
    span.end(Outcome::Status(response.status));
    response
}

/// Answers a failed downstream call with 502, and says why.
fn bad_gateway(span: Span, why: &str) -> http::Response {
    println!("{}: {why}", span.record.service);
    respond(span, http::Response::text(502, why))
}

/// Edge: adds its `tracestate` entry, then forwards the order to orders.
fn edge(tracer: &Tracer, orders: &Peer, request: &http::Request) -> http::Response {
    let mut span = server_span(tracer, request);
    let value = span.context.span_id().to_string();
    if let Err(error) = span.context.tracestate_mut().insert(EDGE_KEY, &value) {
        println!("edge: cannot add its tracestate entry: {error}");
    }
    let how = match &span.record.note {
        Some(note) => note.clone(),
        None => format!("continued trace {}", span.context.trace_id()),
    };
    println!(
        "edge: {how}, tracestate now {:?}",
        span.context.tracestate()
    );
    match span.call(orders, &request.body, None) {
        Ok(reply) if reply.response.status == 200 => {
            respond(span, http::Response::text(200, "order accepted"))
        }
        Ok(reply) => {
            let why = format!(
                "orders answered {}: {}",
                reply.response.status,
                String::from_utf8_lossy(&reply.response.body)
            );
            bad_gateway(span, &why)
        }
        Err(why) => bad_gateway(span, &why),
    }
}

/// Orders: charges the payment (with retries), then publishes the paid order.
fn orders(
    tracer: &Tracer,
    payments: &Peer,
    queue: &Sender<Message>,
    request: &http::Request,
) -> http::Response {
    let span = server_span(tracer, request);
    let reply = match charge(&span, payments, &request.body) {
        Ok(reply) => reply,
        Err(why) => return bad_gateway(span, &why),
    };
    match reply.served_by {
        Some(served_by) => println!(
            "orders: payments answered 200, server-timing {} (payments span {})",
            tracecontext::response::server_timing(&served_by),
            served_by.parent_id()
        ),
        None => println!("orders: payments answered 200 without a server-timing trace metric"),
    }
    let body = String::from_utf8_lossy(&request.body).into_owned();
    match span.publish(queue, TOPIC, body) {
        Ok(traceparent) => {
            println!("orders: published {TOPIC} with traceparent {traceparent}");
            respond(span, http::Response::text(200, "paid"))
        }
        Err(why) => bad_gateway(span, &format!("cannot publish {TOPIC}: {why}")),
    }
}

/// Calls payments until it answers 200, at most [`PAYMENT_ATTEMPTS`] times,
/// retrying on 503. Each attempt is a new client span under `span`.
fn charge(span: &Span, payments: &Peer, body: &[u8]) -> Result<Reply, String> {
    let mut attempt = 1;
    loop {
        let reply = span.call(payments, body, Some(attempt))?;
        match reply.response.status {
            200 => return Ok(reply),
            503 if attempt < PAYMENT_ATTEMPTS => {
                println!("orders: payments attempt {attempt} answered 503, retrying");
                attempt += 1;
            }
            status => {
                return Err(format!(
                    "payments answered {status} on attempt {attempt}: {}",
                    String::from_utf8_lossy(&reply.response.body)
                ));
            }
        }
    }
}

/// Payments: fails its first request with 503, then charges; every response tells
/// the caller its server span in `server-timing` (rule R1).
fn payments(tracer: &Tracer, requests: &AtomicU32, request: &http::Request) -> http::Response {
    let span = server_span(tracer, request);
    let mut response = if requests.fetch_add(1, Ordering::Relaxed) == 0 {
        http::Response::text(503, "payments is warming up, try again")
    } else {
        http::Response::text(200, "charged")
    };
    response.headers.push((
        tracecontext::response::SERVER_TIMING.to_string(),
        span.context.server_timing().as_bytes().to_vec(),
    ));
    respond(span, response)
}

/// A message the queue consumer has processed, as it reports it.
struct Processed {
    span_id: SpanId,
    body: String,
}

/// Shipping: consumes the queue, continuing each message's trace from its headers,
/// and reports each processed message on `processed`.
fn shipping(tracer: &Tracer, queue: &Receiver<Message>, processed: &Sender<Processed>) {
    for message in queue {
        let operation = format!("process {}", message.topic);
        let span = tracer.continue_from(&message.headers, Kind::Consumer, operation);
        let span_id = span.context.span_id();
        span.end(Outcome::Done);
        let report = Processed {
            span_id,
            body: message.body,
        };
        if processed.send(report).is_err() {
            return;
        }
    }
}

/// Starts payments, orders, edge and the shipping consumer; returns edge and the
/// channel on which the consumer reports processed messages.
fn start_services(collector: &Collector) -> Result<(Peer, Receiver<Processed>), String> {
    let tracer = Tracer::new("payments", collector);
    let requests = AtomicU32::new(0);
    let payments_peer = bind("payments", "/charge", move |r| {
        payments(&tracer, &requests, &r)
    })?;

    let (queue, messages) = mpsc::channel();
    let (processed, consumed) = mpsc::channel();
    let tracer = Tracer::new("shipping", collector);
    thread::spawn(move || shipping(&tracer, &messages, &processed));

    let tracer = Tracer::new("orders", collector);
    let orders_peer = bind("orders", "/orders", move |r| {
        orders(&tracer, &payments_peer, &queue, &r)
    })?;

    let tracer = Tracer::new("edge", collector);
    let edge_peer = bind("edge", "/checkout", move |r| {
        edge(&tracer, &orders_peer, &r)
    })?;
    Ok((edge_peer, consumed))
}

/// Serves `handler` on a free loopback port, as the service `name` at `path`.
fn bind<F>(name: &'static str, path: &'static str, handler: F) -> Result<Peer, String>
where
    F: Fn(http::Request) -> http::Response + Send + Sync + 'static,
{
    let addr = http::spawn("127.0.0.1:0", handler)
        .map_err(|error| format!("cannot start {name}: {error}"))?;
    Ok(Peer { name, addr, path })
}

// ---------------------------------------------------------------------------
// The client, the tree and the checks
// ---------------------------------------------------------------------------

/// Runs one checkout from a new trace, and waits for the queue consumer.
fn run(collector: &Collector) -> Result<(), String> {
    let (edge, consumed) = start_services(collector)?;
    let client = Tracer::new("client", collector);
    let root = client.root(Kind::Client, format!("POST {} -> edge", edge.path));
    println!(
        "client: new trace {}, calling edge",
        root.context.trace_id()
    );

    let result = root.post(&edge, br#"{"order":"A-1001","amount":"12.50"}"#);
    let status = match &result {
        Ok(reply) => Outcome::Status(reply.response.status),
        Err(why) => Outcome::Failed(why.clone()),
    };
    root.end(status);
    let reply = result?;
    let body = String::from_utf8_lossy(&reply.response.body);
    println!("client: edge answered {} {body:?}", reply.response.status);
    if reply.response.status != 200 {
        return Err(format!("edge answered {}: {body}", reply.response.status));
    }
    let processed = consumed
        .recv_timeout(CONSUMER_WAIT)
        .map_err(|_| format!("the queue consumer did not finish within {CONSUMER_WAIT:?}"))?;
    println!(
        "client: shipping processed {TOPIC} {} in span {}",
        processed.body, processed.span_id
    );
    Ok(())
}

fn main() -> ExitCode {
    let started = Instant::now();
    let collector = Collector::default();
    let run_result = run(&collector);
    let spans = collector.snapshot();
    println!();
    print_tree(&spans);
    println!();

    let trace = Trace { spans: &spans };
    if let Err(why) = &run_result {
        println!("FAIL  run: {why}");
    }
    let mut failed = run_result.is_err();
    let mut facts = Vec::new();
    for (what, result) in trace.checks() {
        match result {
            Ok(fact) => {
                println!("ok    {what}");
                facts.push(fact);
            }
            Err(why) => {
                println!("FAIL  {what}: {why}");
                failed = true;
            }
        }
    }
    println!();
    if failed {
        println!("FAILED after {:.0?}", started.elapsed());
        return ExitCode::FAILURE;
    }
    println!("ok: {} ({:.0?})", facts.join("; "), started.elapsed());
    ExitCode::SUCCESS
}

/// Prints the spans as a tree, children under their parent in start order.
fn print_tree(spans: &[SpanRecord]) {
    let trace_ids: Vec<TraceId> = spans.iter().map(|s| s.trace_id).collect();
    match trace_ids.first() {
        Some(first) if trace_ids.iter().all(|id| id == first) => {
            println!("trace {first}, {} spans:", spans.len());
        }
        Some(_) => println!("{} spans in several traces:", spans.len()),
        None => println!("no spans recorded"),
    }
    let known = |id: &SpanId| spans.iter().any(|s| s.span_id == *id);
    let mut rows = Vec::new();
    // Roots, and spans whose parent was never recorded, start a tree each.
    for span in spans
        .iter()
        .filter(|s| !s.parent_id.as_ref().is_some_and(known))
    {
        tree_rows(spans, span, 0, "", &mut rows);
    }
    let width = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
    for (label, detail) in rows {
        println!("{label:<width$}  {detail}");
    }
}

/// Appends the rows of `span` and its descendants: an indented label, and the
/// details. A `tracestate` is shown where it differs from the parent's.
fn tree_rows(
    spans: &[SpanRecord],
    span: &SpanRecord,
    depth: usize,
    parent_state: &str,
    rows: &mut Vec<(String, String)>,
) {
    let attempt = span
        .attempt
        .map(|n| format!(", attempt {n}"))
        .unwrap_or_default();
    let label = format!(
        "{:indent$}{} {}: {}{attempt}",
        "",
        span.service,
        span.kind,
        span.operation,
        indent = 2 * depth,
    );
    let mut detail = format!("span {}  {}", span.span_id, span.outcome);
    if span.tracestate != parent_state {
        let _ = write!(detail, "  tracestate now {:?}", span.tracestate);
    }
    if let Some(served_by) = span.served_by {
        let _ = write!(detail, "  server-timing: span {}", served_by.parent_id());
    }
    if let Some(note) = &span.note {
        let _ = write!(detail, "  ({note})");
    }
    rows.push((label, detail));
    for child in spans.iter().filter(|s| s.parent_id == Some(span.span_id)) {
        tree_rows(spans, child, depth + 1, &span.tracestate, rows);
    }
}

/// The recorded spans, with the questions the checks ask of them.
struct Trace<'a> {
    spans: &'a [SpanRecord],
}

/// A check's description, and either the fact it confirmed or what went wrong.
type CheckResult = (&'static str, Result<String, String>);

impl<'a> Trace<'a> {
    fn checks(&self) -> Vec<CheckResult> {
        vec![
            ("one trace-id, one tree, unique span-ids", self.one_tree()),
            (
                "payment attempts are siblings under the orders server span",
                self.retries(),
            ),
            (
                "server-timing names the payments span of each attempt",
                self.server_timing(),
            ),
            (
                "the queue consumer continues from the producer span",
                self.queue(),
            ),
            (
                "the edge tracestate entry reaches every later span",
                self.tracestate(),
            ),
        ]
    }

    fn find(&self, service: &str, kind: Kind) -> Result<&'a SpanRecord, String> {
        let mut found = self
            .spans
            .iter()
            .filter(|s| s.service == service && s.kind == kind);
        match (found.next(), found.next()) {
            (Some(span), None) => Ok(span),
            (None, _) => Err(format!("no {service} {kind} span")),
            (Some(_), Some(_)) => Err(format!("more than one {service} {kind} span")),
        }
    }

    fn children(&self, parent: SpanId) -> impl Iterator<Item = &'a SpanRecord> {
        self.spans
            .iter()
            .filter(move |s| s.parent_id == Some(parent))
    }

    fn one_tree(&self) -> Result<String, String> {
        let root = self.find("client", Kind::Client)?;
        if root.parent_id.is_some() {
            return Err("the client span is not a root".into());
        }
        for span in self.spans {
            if span.trace_id != root.trace_id {
                return Err(format!(
                    "{} {} is in trace {}, not {}",
                    span.service, span.operation, span.trace_id, root.trace_id
                ));
            }
            if let Some(note) = &span.note {
                return Err(format!("{} {}: {note}", span.service, span.operation));
            }
            if self
                .spans
                .iter()
                .filter(|s| s.span_id == span.span_id)
                .count()
                > 1
            {
                return Err(format!("span-id {} used twice", span.span_id));
            }
            let parent_known = span
                .parent_id
                .is_none_or(|p| self.spans.iter().any(|s| s.span_id == p));
            if !parent_known || (span.parent_id.is_none() && span.seq != root.seq) {
                return Err(format!(
                    "{} {} is not linked into the tree",
                    span.service, span.operation
                ));
            }
        }
        Ok(format!(
            "one trace-id {} across {} spans",
            root.trace_id,
            self.spans.len()
        ))
    }

    fn attempts(&self) -> Vec<&'a SpanRecord> {
        self.spans.iter().filter(|s| s.attempt.is_some()).collect()
    }

    fn retries(&self) -> Result<String, String> {
        let orders = self.find("orders", Kind::Server)?;
        let attempts = self.attempts();
        if attempts.len() < 2 {
            return Err(format!(
                "{} payment attempt(s), expected a retry",
                attempts.len()
            ));
        }
        for (n, attempt) in (1..).zip(&attempts) {
            if attempt.attempt != Some(n) || attempt.parent_id != Some(orders.span_id) {
                return Err(format!(
                    "attempt {n} (span {}) is not a child of the orders server span {}",
                    attempt.span_id, orders.span_id
                ));
            }
        }
        let outcomes: Vec<&Outcome> = attempts.iter().map(|a| &a.outcome).collect();
        if outcomes.last() != Some(&&Outcome::Status(200)) {
            return Err(format!("the last attempt did not succeed: {outcomes:?}"));
        }
        Ok(format!(
            "{} payment attempts under the same parent span {}",
            attempts.len(),
            orders.span_id
        ))
    }

    fn server_timing(&self) -> Result<String, String> {
        for attempt in self.attempts() {
            let mut children = self.children(attempt.span_id);
            let payments = match (children.next(), children.next()) {
                (Some(child), None) if child.service == "payments" => child,
                _ => {
                    return Err(format!(
                        "attempt span {} has no single payments child",
                        attempt.span_id
                    ));
                }
            };
            let metric = attempt
                .served_by
                .ok_or_else(|| format!("attempt span {} got no server-timing", attempt.span_id))?;
            if metric.trace_id() != payments.trace_id || metric.parent_id() != payments.span_id {
                return Err(format!(
                    "server-timing {metric} does not name payments span {}",
                    payments.span_id
                ));
            }
        }
        Ok("server-timing matched every attempt".into())
    }

    fn queue(&self) -> Result<String, String> {
        let orders = self.find("orders", Kind::Server)?;
        let producer = self.find("orders", Kind::Producer)?;
        let consumer = self.find("shipping", Kind::Consumer)?;
        if producer.parent_id != Some(orders.span_id) || producer.span_id == orders.span_id {
            return Err(format!(
                "the producer span {} is not a new child of orders {}",
                producer.span_id, orders.span_id
            ));
        }
        if consumer.parent_id != Some(producer.span_id) {
            return Err(format!(
                "the consumer's parent is {:?}, not the producer {}",
                consumer.parent_id, producer.span_id
            ));
        }
        if consumer.outcome != Outcome::Done {
            return Err(format!("the consumer {}", consumer.outcome));
        }
        Ok(format!(
            "queue consumer {} linked to publisher {}",
            consumer.span_id, producer.span_id
        ))
    }

    fn tracestate(&self) -> Result<String, String> {
        let edge = self.find("edge", Kind::Server)?;
        let expected = edge.span_id.to_string();
        for span in self.spans.iter().filter(|s| s.seq >= edge.seq) {
            let value = TraceStateView::parse(span.tracestate.as_bytes())
                .ok()
                .and_then(|state| state.get(EDGE_KEY));
            if value != Some(expected.as_str()) {
                return Err(format!(
                    "{} {} forwards tracestate {:?}, without {EDGE_KEY}={expected}",
                    span.service, span.operation, span.tracestate
                ));
            }
        }
        Ok(format!(
            "tracestate {EDGE_KEY}={expected} reached every later hop"
        ))
    }
}
