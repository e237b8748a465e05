//! One trace across three HTTP services and a message queue, then consistent
//! sampling across the same services; both checked at the end.
//!
//! ```text
//! cargo run --example services
//! ```
//!
//! The program runs two phases. Each starts its own set of services: edge, orders
//! and payments on loopback ports (each serving on its own threads), and a queue
//! consumer thread, shipping. A client (this `main`) calls edge.
//!
//! Each service is configured the way OpenTelemetry configures a sampler, by name
//! and argument ([`Configured::parse`], the values of `OTEL_TRACES_SAMPLER` and
//! `OTEL_TRACES_SAMPLER_ARG`), and holds that one sampler for its whole life: every
//! connection thread decides through a shared reference to it (samplers take
//! `&self`). Edge, orders and payments use `traceidratio`, consistent probability
//! sampling with their own ratio; shipping uses `parentbased_always_on` and follows
//! the producer of each message.
//!
//! # Phase 1: one checkout, hop by hop
//!
//! Every service samples with ratio 1 here, so the one trace is recorded whole. The
//! client starts it, sampled with `ot=th:0` in `tracestate`, and calls the first
//! service:
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
//! - **shipping**, a consumer thread, continues the trace from the message headers,
//!   and hands its span's context back to the client thread.
//!
//! Every hop does the same three steps. It reads the incoming context with
//! [`tracecontext::extract`]; makes its server (or consumer) span with
//! [`Extracted::child_or_root`], a child of the caller's span with a new span-id
//! from [`ThreadIds`] (or a new root, when the carrier has no valid `traceparent`),
//! sampled as the service's sampler decides; and makes each outgoing call a further
//! child ([`Context::child`]: a new span-id, the same decision), injected into the
//! request ([`Context::inject`]). The hop's context borrows the request's headers
//! and allocates nothing; shipping's context leaves its thread, so it takes the
//! owned form ([`Context::into_owned`]). Each sampled span is recorded in a shared
//! collector; the program prints the span tree and checks:
//!
//! - one trace-id across all the spans, which form one tree with unique span-ids;
//! - the payment attempts are siblings under the orders server span, and the last
//!   one succeeded;
//! - each `server-timing` metric names the payments span that served the attempt;
//! - the queue consumer's parent is the producer span, a child of orders;
//! - the `edge` entry reached every span after edge, payments and the consumer
//!   included.
//!
//! # Phase 2: a batch, sampled consistently
//!
//! The services start again with smaller ratios (edge 0.5, orders 0.25, payments
//! 0.1; no warm-up failure, no narration), and the client sends 200 checkouts, each
//! a new trace. Every service decides for itself on every request, whatever its
//! caller decided: `traceidratio` keeps a trace when its randomness `R` (here the
//! low 56 bits of the trace-id) reaches the service's threshold `T`, and writes
//! `ot=th:T`, raising the caller's threshold, never lowering it (rules P5, P6, P9).
//! Spans a service starts under its own spans keep their flags, and shipping
//! follows the producer span. Spans that are not sampled are not recorded.
//!
//! The services never talk about sampling, yet they agree: the ratios fall along
//! the calls, so the thresholds rise, and a trace that passes payments' threshold
//! has passed orders' and edge's too. The program prints how many traces each
//! service sampled and checks:
//!
//! - the sampled sets are nested: every trace payments sampled, orders and edge
//!   sampled, and every trace orders sampled, edge sampled;
//! - there are no partial traces: every sampled span's parent was sampled;
//! - each service sampled exactly the traces whose `R` reaches its `T`, and its
//!   sampled spans forward `ot=th:T`;
//! - each service's share is within 5 standard deviations of its ratio.
//!
//! Sample output (IDs and counts change on each run; long lines are cut here):
//!
//! ```text
//! client: new trace b5e9ea6fb4853768d653adb6b3aa022b, calling edge
//! edge: continued trace b5e9ea6fb4853768d653adb6b3aa022b, tracestate now "edge=4b6bda9395a48be0,ot=th:0"
//! orders: payments attempt 1 answered 503, retrying
//! orders: payments answered 200, server-timing trace;desc=00-b5e9ea6fb4853768d653adb6b3aa022b-f9dfd70bd46bbad4-03 (payments span f9dfd70bd46bbad4)
//! orders: published orders.paid with traceparent 00-b5e9ea6fb4853768d653adb6b3aa022b-67eec60f25767311-03
//! client: edge answered 200 "order accepted"
//! client: shipping processed orders.paid {"order":"A-1001","amount":"12.50"} in span c8f86b53efa36279
//!
//! trace b5e9ea6fb4853768d653adb6b3aa022b, 10 spans:
//! client client: POST /checkout -> edge                       span 3708bb8f5aa5c117  200  tracestate now "ot=th:0"
//!   edge server: POST /checkout                               span 4b6bda9395a48be0  200  tracestate now "edge=4b6bda9395a48be0,ot=th:0"
//!     edge client: POST /orders -> orders                     span 8232b35394e06e51  200
//!       orders server: POST /orders                           span 872e0baa791224cb  200
//!         orders client: POST /charge -> payments, attempt 1  span 9c9a79a33ba7e0b0  503  server-timing: span 5d734efc56b2336d
//!           payments server: POST /charge                     span 5d734efc56b2336d  503
//!         orders client: POST /charge -> payments, attempt 2  span da2e2e668b4e4b21  200  server-timing: span f9dfd70bd46bbad4
//!           payments server: POST /charge                     span f9dfd70bd46bbad4  200
//!         orders producer: publish orders.paid                span 67eec60f25767311  done
//!           shipping consumer: process orders.paid            span c8f86b53efa36279  done
//!
//! ok    one trace-id, one tree, unique span-ids
//! ok    payment attempts are siblings under the orders server span
//! ok    server-timing names the payments span of each attempt
//! ok    the queue consumer continues from the producer span
//! ok    the edge tracestate entry reaches every later span
//!
//! walkthrough: one trace-id b5e9ea6fb4853768d653adb6b3aa022b across 10 spans; 2 payment attempts under ...
//!
//! batch: 200 checkouts, each a new trace; edge, orders and payments each sample on their own
//! service   probability  threshold  sampled
//! edge      0.5          th:8        96/200 = 0.480
//! orders    0.25         th:c        49/200 = 0.245
//! payments  0.1          th:e666     23/200 = 0.115
//! shipping  follows      -           49/200 = 0.245
//!
//! ok    the sampled sets are nested: payments within orders within edge
//! ok    no partial traces: every sampled span's parent span was sampled
//! ok    each service sampled exactly the traces with R >= its T, and forwarded th:T
//! ok    each service's rate is near its probability
//!
//! batch: sampled traces nested: payments 23 within orders 49 within edge 96; 611 sampled spans, ...
//!
//! ok: walkthrough and batch passed (147ms)
//! ```
//!
//! A `tracestate` is shown in the tree only where it differs from the parent
//! span's. On a failure (a service unreachable, a check not met) the program says
//! what failed, still prints what it has, and exits with status 1, so it doubles as
//! a smoke test.

#[path = "support/http.rs"]
mod http;

use std::collections::BTreeSet;
use std::fmt::{self, Write as _};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use tracecontext::context::{Borrowed, Shared, Storage};
use tracecontext::sampling::{Configured, Decision, OtValue, Threshold};
use tracecontext::{
    Context, Extracted, Extractor, SpanId, ThreadIds, TraceId, TraceParent, TraceStateView,
};

/// How many times orders tries to charge a payment.
const PAYMENT_ATTEMPTS: u32 = 3;
/// How long the client waits for the queue consumer after the last call returns.
const CONSUMER_WAIT: Duration = Duration::from_secs(2);
/// The queue topic orders publishes to.
const TOPIC: &str = "orders.paid";
/// The vendor key edge adds to `tracestate`.
const EDGE_KEY: &str = "edge";
/// How many checkouts, each a new trace, the client sends in the batch.
const BATCH_SIZE: usize = 200;
/// How far, in standard deviations, a service's sampled count may be from its
/// expected value before the batch check fails.
const MAX_SIGMAS: f64 = 5.0;

// ---------------------------------------------------------------------------
// Set-ups and samplers
// ---------------------------------------------------------------------------

/// The sampler of edge, orders, payments and the client, by its
/// `OTEL_TRACES_SAMPLER` name: consistent probability sampling, deciding for every
/// span it is asked about whatever the caller decided, and only ever raising the
/// caller's threshold (rules P5, P6, P9). A service asks it once per request, for
/// its server span; the spans it starts under that one keep its decision.
const SERVICE_SAMPLER: &str = "traceidratio";
/// The sampler of shipping: it follows the producer's decision, as
/// OpenTelemetry's default sampler does.
const CONSUMER_SAMPLER: &str = "parentbased_always_on";
/// The client's ratio: it records every trace it starts, with `ot=th:0`.
const CLIENT_RATIO: &str = "1";

/// How a set of services is started.
#[derive(Clone, Copy, Debug)]
struct Setup {
    /// The ratio of edge's sampler, as `OTEL_TRACES_SAMPLER_ARG` would give it.
    edge: &'static str,
    /// The ratio of orders' sampler.
    orders: &'static str,
    /// The ratio of payments' sampler.
    payments: &'static str,
    /// Whether the services print a line for each step they take.
    narrate: bool,
    /// Whether payments fails its first request with 503, so that orders retries.
    warm_up: bool,
}

/// The walkthrough: every service samples everything, so that the one trace is
/// recorded whole, and payments fails once to show a retry.
const WALKTHROUGH: Setup = Setup {
    edge: "1",
    orders: "1",
    payments: "1",
    narrate: true,
    warm_up: true,
};

/// The batch: each service keeps a smaller share of the traces than its caller,
/// and the services stay quiet.
const BATCH: Setup = Setup {
    edge: "0.5",
    orders: "0.25",
    payments: "0.1",
    narrate: false,
    warm_up: false,
};

impl Setup {
    /// The samplers of the services that sample with a ratio of their own, in call
    /// order, as configured. A bad ratio is an error naming the service.
    fn samplers(&self) -> Result<[(&'static str, Configured); 3], String> {
        let configured = |service, ratio| {
            Configured::parse(SERVICE_SAMPLER, Some(ratio))
                .map(|sampler| (service, sampler))
                .map_err(|error| format!("{service}: {error}"))
        };
        Ok([
            configured("edge", self.edge)?,
            configured("orders", self.orders)?,
            configured("payments", self.payments)?,
        ])
    }
}

/// The client's sampler.
fn client_sampler() -> Result<Configured, String> {
    Configured::parse(SERVICE_SAMPLER, Some(CLIENT_RATIO))
        .map_err(|error| format!("client: {error}"))
}

/// Shipping's sampler.
fn consumer_sampler() -> Result<Configured, String> {
    Configured::parse(CONSUMER_SAMPLER, None).map_err(|error| format!("shipping: {error}"))
}

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

/// One service's handle on tracing: its name, its sampler, the collector, and
/// whether it narrates.
///
/// A service has exactly one. Its request handler owns it, and every connection
/// thread borrows it (the server shares the handler behind an `Arc`), so every
/// decision the service makes goes through the same sampler, by reference.
struct Tracer {
    service: &'static str,
    /// Decides for the spans this service starts from a caller or from nothing.
    sampler: Configured,
    collector: Collector,
    narrate: bool,
}

impl Tracer {
    fn new(
        service: &'static str,
        sampler: Configured,
        collector: &Collector,
        narrate: bool,
    ) -> Self {
        Self {
            service,
            sampler,
            collector: collector.clone(),
            narrate,
        }
    }

    /// Prints `line`, prefixed with the service's name, when the service narrates.
    fn say(&self, line: impl fmt::Display) {
        if self.narrate {
            println!("{}: {line}", self.service);
        }
    }

    /// Starts a new trace: a root span with IDs from [`ThreadIds`] (random, so the
    /// random flag is set, rule T12), sampled as the sampler decides. The root is
    /// the owned context: nothing is borrowed.
    fn root(&self, kind: Kind, operation: String) -> Span<'_> {
        let (context, decision) = Context::root(&mut ThreadIds, &self.sampler);
        let mut span = self.start(context, kind, operation);
        span.record.note = decision_note(&decision);
        span
    }

    /// Continues the trace of an incoming request or message: extract, then make
    /// this span a child with a new span-id (or a new root when the carrier has no
    /// valid `traceparent`, rules T9/T10), sampled as the sampler decides.
    ///
    /// The span's context borrows the carrier's `tracestate` (`Borrowed<'a>`): the
    /// hop allocates nothing, and lives as long as the request it handles.
    fn continue_from<'a>(
        &self,
        carrier: impl Extractor<'a>,
        kind: Kind,
        operation: String,
    ) -> Span<'_, Borrowed<'a>> {
        let extracted = tracecontext::extract(carrier);
        let (context, decision) = extracted.child_or_root(&mut ThreadIds, &self.sampler);
        let mut span = self.start(context, kind, operation);
        let extract_note = match &extracted {
            Extracted::Continued {
                tracestate_error: None,
                ..
            } => None,
            // Why the trace restarted, or why its tracestate was dropped.
            other => Some(other.to_string()),
        };
        span.record.note = match (extract_note, decision_note(&decision)) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        span
    }

    /// A span for `context`, whose parent is the span `context` was made from.
    fn start<S: Storage>(&self, context: Context<S>, kind: Kind, operation: String) -> Span<'_, S> {
        let record = SpanRecord {
            seq: self.collector.next_seq(),
            service: self.service,
            kind,
            operation,
            trace_id: context.trace_id(),
            span_id: context.span_id(),
            parent_id: context.parent_span_id(),
            tracestate: String::new(),
            attempt: None,
            served_by: None,
            note: None,
            outcome: Outcome::Done,
        };
        Span {
            tracer: self,
            context,
            record,
        }
    }
}

/// What went wrong with the incoming `ot` tracestate member in a sampling
/// decision, if anything: the sampler then ignored it and wrote a fresh one.
fn decision_note(decision: &Decision) -> Option<String> {
    decision.error().map(|error| format!("{error}, replaced"))
}

/// A span in progress: its service, its context (what its children and outgoing
/// calls are made from) and what the collector receives when it
/// [ends](Span::end).
///
/// `S` is where the context keeps its `tracestate`: [`Shared`] for the client's
/// roots, [`Borrowed`] for the spans of a request or message, which borrow it.
struct Span<'t, S: Storage = Shared> {
    tracer: &'t Tracer,
    context: Context<S>,
    record: SpanRecord,
}

/// What an outgoing call got back.
struct Reply {
    response: http::Response,
    /// The context of the span that served the call, from `server-timing` (rule R1).
    served_by: Option<TraceParent>,
}

impl<S: Storage> Span<'_, S> {
    /// Records the span as finished, if it is sampled; a span that is not sampled
    /// is dropped, as a tracing system would not export it.
    fn end(mut self, outcome: Outcome) {
        if !self.context.is_sampled() {
            return;
        }
        self.record.tracestate = self.context.tracestate().as_str().to_owned();
        self.record.outcome = outcome;
        self.tracer.collector.record(self.record);
    }
}

/// Children copy the parent's `tracestate`, hence `Clone` (every storage is).
impl<S: Storage + Clone> Span<'_, S> {
    /// A child span of the same service, with a new span-id (rule T11). It keeps
    /// this span's flags: a service's spans follow the decision made for it.
    fn child(&self, kind: Kind, operation: String) -> Self {
        let context = self.context.child(&mut ThreadIds);
        self.tracer.start(context, kind, operation)
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
        // Two borrowed pairs hold both headers, text borrowed from the context.
        let mut carrier = [("", ""); 2];
        self.context
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
        // The message outlives the request: its headers are copies.
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

/// The server span of a request: the shared first step of every handler. It
/// borrows the request's headers, and so lives no longer than the request.
fn server_span<'t, 'r>(tracer: &'t Tracer, request: &'r http::Request) -> Span<'t, Borrowed<'r>> {
    tracer.continue_from(
        &request.headers,
        Kind::Server,
        format!("{} {}", request.method, request.path),
    )
}

/// Ends `span` with the response's status and returns the response.
fn respond<S: Storage>(span: Span<'_, S>, response: http::Response) -> http::Response {
    span.end(Outcome::Status(response.status));
    response
}

/// Answers a failed downstream call with 502, and says why.
fn bad_gateway<S: Storage>(span: Span<'_, S>, why: &str) -> http::Response {
    println!("{}: {why}", span.record.service);
    respond(span, http::Response::text(502, why))
}

/// Edge: adds its `tracestate` entry, then forwards the order to orders.
fn edge(tracer: &Tracer, orders: &Peer, request: &http::Request) -> http::Response {
    let mut span = server_span(tracer, request);
    // Its own entry, at the front (rule S8); every span it starts carries it.
    let value = span.context.span_id().to_string();
    if let Err(error) = span
        .context
        .edit_tracestate(|state| state.insert(EDGE_KEY, &value))
    {
        println!("edge: cannot add its tracestate entry: {error}");
    }
    let how = match &span.record.note {
        Some(note) => note.clone(),
        None => format!("continued trace {}", span.context.trace_id()),
    };
    tracer.say(format_args!(
        "{how}, tracestate now {:?}",
        span.context.tracestate().as_str()
    ));
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
        Some(served_by) => tracer.say(format_args!(
            "payments answered 200, server-timing {} (payments span {})",
            tracecontext::response::server_timing(&served_by),
            served_by.parent_id()
        )),
        None => tracer.say("payments answered 200 without a server-timing trace metric"),
    }
    let body = String::from_utf8_lossy(&request.body).into_owned();
    match span.publish(queue, TOPIC, body) {
        Ok(traceparent) => {
            tracer.say(format_args!(
                "published {TOPIC} with traceparent {traceparent}"
            ));
            respond(span, http::Response::text(200, "paid"))
        }
        Err(why) => bad_gateway(span, &format!("cannot publish {TOPIC}: {why}")),
    }
}

/// Calls payments until it answers 200, at most [`PAYMENT_ATTEMPTS`] times,
/// retrying on 503. Each attempt is a new client span under `span`.
fn charge<S: Storage + Clone>(
    span: &Span<'_, S>,
    payments: &Peer,
    body: &[u8],
) -> Result<Reply, String> {
    let mut attempt = 1;
    loop {
        let reply = span.call(payments, body, Some(attempt))?;
        match reply.response.status {
            200 => return Ok(reply),
            503 if attempt < PAYMENT_ATTEMPTS => {
                span.tracer.say(format_args!(
                    "payments attempt {attempt} answered 503, retrying"
                ));
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

/// Payments: fails its first request with 503 while `warming_up` is set (and
/// clears it), then charges; every response tells the caller its server span in
/// `server-timing` (rule R1).
fn payments(tracer: &Tracer, warming_up: &AtomicBool, request: &http::Request) -> http::Response {
    let span = server_span(tracer, request);
    let mut response = if warming_up.swap(false, Ordering::Relaxed) {
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

/// A message the queue consumer has processed, as it reports it: with the context
/// of the span that processed it, which goes to another thread.
struct Processed {
    context: Context,
    body: String,
}

/// Shipping: consumes the queue, continuing each message's trace from its headers,
/// and reports each processed message on `processed`.
fn shipping(tracer: &Tracer, queue: &Receiver<Message>, processed: &Sender<Processed>) {
    for message in queue {
        let operation = format!("process {}", message.topic);
        let span = tracer.continue_from(&message.headers, Kind::Consumer, operation);
        // The span borrows the message; the report outlives it and crosses
        // threads, so it takes the owned context ('static, Send + Sync).
        let context = span.context.clone().into_owned();
        span.end(Outcome::Done);
        let report = Processed {
            context,
            body: message.body,
        };
        if processed.send(report).is_err() {
            return;
        }
    }
}

/// Starts payments, orders, edge and the shipping consumer as `setup` says, each
/// recording into `collector`; returns edge and the channel on which the consumer
/// reports processed messages. The services run until the program ends.
fn start_services(
    setup: &Setup,
    collector: &Collector,
) -> Result<(Peer, Receiver<Processed>), String> {
    // One tracer, and so one sampler, per service, moved into its handler.
    let [edge_tracer, orders_tracer, payments_tracer] = setup
        .samplers()?
        .map(|(service, sampler)| Tracer::new(service, sampler, collector, setup.narrate));
    let shipping_tracer = Tracer::new("shipping", consumer_sampler()?, collector, setup.narrate);

    let warming_up = AtomicBool::new(setup.warm_up);
    let payments_peer = bind("payments", "/charge", move |r| {
        payments(&payments_tracer, &warming_up, &r)
    })?;

    let (queue, messages) = mpsc::channel();
    let (processed, consumed) = mpsc::channel();
    thread::spawn(move || shipping(&shipping_tracer, &messages, &processed));

    let orders_peer = bind("orders", "/orders", move |r| {
        orders(&orders_tracer, &payments_peer, &queue, &r)
    })?;

    let edge_peer = bind("edge", "/checkout", move |r| {
        edge(&edge_tracer, &orders_peer, &r)
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
// ---------------------------------------------------------------------------
// The client, the phases and the report
// ---------------------------------------------------------------------------

fn main() -> ExitCode {
    let started = Instant::now();
    let walkthrough_passed = walkthrough();
    println!();
    let batch_passed = batch();
    println!();
    if walkthrough_passed && batch_passed {
        println!(
            "ok: walkthrough and batch passed ({:.0?})",
            started.elapsed()
        );
        ExitCode::SUCCESS
    } else {
        println!("FAILED after {:.0?}", started.elapsed());
        ExitCode::FAILURE
    }
}

/// The first phase: one checkout through services that sample everything, its
/// span tree, and the checks on it. Returns whether everything passed.
fn walkthrough() -> bool {
    let collector = Collector::default();
    let run_result = run_walkthrough(&collector);
    let spans = collector.snapshot();
    println!();
    print_tree(&spans);
    println!();
    let trace = Trace { spans: &spans };
    report("walkthrough", run_result, trace.checks())
}

/// Runs one checkout from a new trace, and waits for the queue consumer.
fn run_walkthrough(collector: &Collector) -> Result<(), String> {
    let (edge, consumed) = start_services(&WALKTHROUGH, collector)?;
    let client = Tracer::new("client", client_sampler()?, collector, WALKTHROUGH.narrate);
    let root = client.root(Kind::Client, format!("POST {} -> edge", edge.path));
    client.say(format_args!(
        "new trace {}, calling edge",
        root.context.trace_id()
    ));
    checkout(root, &edge, br#"{"order":"A-1001","amount":"12.50"}"#)?;
    let processed = consumed
        .recv_timeout(CONSUMER_WAIT)
        .map_err(|_| format!("the queue consumer did not finish within {CONSUMER_WAIT:?}"))?;
    client.say(format_args!(
        "shipping processed {TOPIC} {} in span {}",
        processed.body,
        processed.context.span_id()
    ));
    Ok(())
}

/// The second phase: [`BATCH_SIZE`] new traces through services that each sample
/// with their own probability; prints how many traces each service kept and checks
/// that the services agree. Returns whether everything passed.
fn batch() -> bool {
    println!(
        "batch: {BATCH_SIZE} checkouts, each a new trace; edge, orders and payments \
         each sample on their own"
    );
    let samplers = match BATCH.samplers() {
        Ok(samplers) => samplers,
        Err(why) => return report("batch", Err(why), Vec::new()),
    };
    let collector = Collector::default();
    let mut trace_ids = Vec::with_capacity(BATCH_SIZE);
    let run_result = run_batch(&collector, &mut trace_ids);
    let spans = collector.snapshot();
    let sampled = Sampled::new(&samplers, &trace_ids, &spans);
    sampled.print_table();
    println!();
    report("batch", run_result, sampled.checks())
}

/// Sends [`BATCH_SIZE`] checkouts one after another, each from a new trace whose
/// trace-id goes to `trace_ids`, and waits until shipping has processed every
/// order.
fn run_batch(collector: &Collector, trace_ids: &mut Vec<TraceId>) -> Result<(), String> {
    let (edge, consumed) = start_services(&BATCH, collector)?;
    let client = Tracer::new("client", client_sampler()?, collector, BATCH.narrate);
    for n in 1..=BATCH_SIZE {
        let root = client.root(Kind::Client, format!("POST {} -> edge", edge.path));
        trace_ids.push(root.context.trace_id());
        let order = format!(r#"{{"order":"B-{n:04}","amount":"1.00"}}"#);
        checkout(root, &edge, order.as_bytes())?;
    }
    let deadline = Instant::now() + CONSUMER_WAIT;
    for done in 0..BATCH_SIZE {
        consumed
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .map_err(|_| {
                format!("shipping processed {done} of {BATCH_SIZE} orders within {CONSUMER_WAIT:?}")
            })?;
    }
    Ok(())
}

/// Sends the checkout `order` to edge from the client's root span, ends the span,
/// and fails unless edge answered 200.
fn checkout(root: Span<'_>, edge: &Peer, order: &[u8]) -> Result<(), String> {
    let reply = match root.post(edge, order) {
        Ok(reply) => reply,
        Err(why) => {
            root.end(Outcome::Failed(why.clone()));
            return Err(why);
        }
    };
    let status = reply.response.status;
    let body = String::from_utf8_lossy(&reply.response.body);
    root.tracer
        .say(format_args!("edge answered {status} {body:?}"));
    root.end(Outcome::Status(status));
    if status != 200 {
        return Err(format!("edge answered {status}: {body}"));
    }
    Ok(())
}

/// Prints each check's outcome, a failed `run` first; when everything passed,
/// prints the facts the checks confirmed. Returns whether everything passed.
fn report(phase: &str, run: Result<(), String>, checks: Vec<CheckResult>) -> bool {
    let mut passed = true;
    if let Err(why) = &run {
        println!("FAIL  {phase} run: {why}");
        passed = false;
    }
    let mut facts = Vec::new();
    for (what, result) in checks {
        match result {
            Ok(fact) => {
                println!("ok    {what}");
                facts.push(fact);
            }
            Err(why) => {
                println!("FAIL  {what}: {why}");
                passed = false;
            }
        }
    }
    if passed {
        println!();
        println!("{phase}: {}", facts.join("; "));
    }
    passed
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

// ---------------------------------------------------------------------------
// The batch: who sampled what
// ---------------------------------------------------------------------------

/// The randomness `R` of a trace whose `tracestate` has no `ot=rv`: the low 56
/// bits of its trace-id, which the random flag promises are random.
fn randomness(trace_id: TraceId) -> u64 {
    (trace_id.to_u128() as u64) & ((1 << 56) - 1)
}

/// The `th` a forwarded `tracestate` carries in its `ot` member, if any.
fn forwarded_threshold(tracestate: &str) -> Option<Threshold> {
    let state = TraceStateView::parse(tracestate.as_bytes()).ok()?;
    OtValue::parse(state.get("ot")?).ok()?.threshold()
}

/// One service's part in the batch.
struct Kept {
    service: &'static str,
    /// The service's probability: its sampler's ratio, as configured.
    probability: f64,
    /// The threshold its sampler applies (`probability`, rounded as the sampler
    /// rounds it); `None` for a probability of 0, which samples nothing.
    threshold: Option<Threshold>,
    /// The traces whose server span it sampled.
    traces: BTreeSet<TraceId>,
}

impl Kept {
    /// Whether the service's threshold keeps randomness `r`.
    fn samples(&self, r: u64) -> bool {
        self.threshold.is_some_and(|t| t.samples(r))
    }

    /// The probability the threshold stands for.
    fn effective_probability(&self) -> f64 {
        self.threshold.map_or(0.0, Threshold::probability)
    }

    /// The threshold as `ot` writes it, or "never".
    fn th(&self) -> String {
        self.threshold
            .map_or_else(|| "never".into(), |t| format!("th:{t}"))
    }
}

/// What the batch recorded, with the questions the checks ask of it.
struct Sampled<'a> {
    /// Every trace the client started.
    trace_ids: &'a [TraceId],
    /// The sampled spans, of all services.
    spans: &'a [SpanRecord],
    /// Edge, orders and payments, in call order.
    services: Vec<Kept>,
    /// The traces whose message shipping sampled, by following orders.
    shipping: BTreeSet<TraceId>,
}

impl<'a> Sampled<'a> {
    fn new(
        samplers: &[(&'static str, Configured)],
        trace_ids: &'a [TraceId],
        spans: &'a [SpanRecord],
    ) -> Self {
        let traces_of = |service: &str, kind: Kind| {
            spans
                .iter()
                .filter(|s| s.service == service && s.kind == kind)
                .map(|s| s.trace_id)
                .collect::<BTreeSet<_>>()
        };
        let services = samplers
            .iter()
            .map(|&(service, sampler)| {
                // `traceidratio` always has a ratio (1 when none is given).
                let probability = sampler.ratio().unwrap_or(1.0);
                Kept {
                    service,
                    probability,
                    threshold: Threshold::from_probability(probability),
                    traces: traces_of(service, Kind::Server),
                }
            })
            .collect();
        Self {
            trace_ids,
            spans,
            services,
            shipping: traces_of("shipping", Kind::Consumer),
        }
    }

    /// Prints, for each service, its probability, its threshold and how many of
    /// the traces it sampled.
    fn print_table(&self) {
        let total = self.trace_ids.len();
        let share = |kept: usize| kept as f64 / total.max(1) as f64;
        println!("service   probability  threshold  sampled");
        for kept in &self.services {
            let n = kept.traces.len();
            println!(
                "{:<9} {:<12} {:<10} {n:>3}/{total} = {:.3}",
                kept.service,
                kept.probability,
                kept.th(),
                share(n)
            );
        }
        let n = self.shipping.len();
        println!(
            "{:<9} {:<12} {:<10} {n:>3}/{total} = {:.3}",
            "shipping",
            "follows",
            "-",
            share(n)
        );
    }

    fn checks(&self) -> Vec<CheckResult> {
        vec![
            (
                "the sampled sets are nested: payments within orders within edge",
                self.nested(),
            ),
            (
                "no partial traces: every sampled span's parent span was sampled",
                self.whole(),
            ),
            (
                "each service sampled exactly the traces with R >= its T, and forwarded th:T",
                self.thresholds(),
            ),
            ("each service's rate is near its probability", self.rates()),
        ]
    }

    /// Every trace a service sampled was sampled by the service before it.
    fn nested(&self) -> Result<String, String> {
        for pair in self.services.windows(2) {
            let (caller, callee) = (&pair[0], &pair[1]);
            if let Some(missing) = callee.traces.difference(&caller.traces).next() {
                return Err(format!(
                    "{} sampled trace {missing}, {} did not",
                    callee.service, caller.service
                ));
            }
        }
        let sizes: Vec<String> = self
            .services
            .iter()
            .rev()
            .map(|kept| format!("{} {}", kept.service, kept.traces.len()))
            .collect();
        Ok(format!("sampled traces nested: {}", sizes.join(" within ")))
    }

    /// Every sampled span is a root (a client span) or has a sampled parent.
    fn whole(&self) -> Result<String, String> {
        let recorded: BTreeSet<SpanId> = self.spans.iter().map(|s| s.span_id).collect();
        for span in self.spans {
            match span.parent_id {
                Some(parent) if !recorded.contains(&parent) => {
                    return Err(format!(
                        "{} {} span {} in trace {} has no sampled parent {parent}",
                        span.service, span.kind, span.span_id, span.trace_id
                    ));
                }
                None if span.service != "client" => {
                    return Err(format!(
                        "{} {} span {} started a new trace {}",
                        span.service, span.kind, span.span_id, span.trace_id
                    ));
                }
                _ => {}
            }
        }
        Ok(format!("{} sampled spans, none orphaned", self.spans.len()))
    }

    /// Each service's decisions are `R >= T` for each trace, and each of its
    /// sampled server spans forwards its own threshold: with probabilities that
    /// fall along the calls, each threshold is the highest so far.
    fn thresholds(&self) -> Result<String, String> {
        for kept in &self.services {
            for &trace_id in self.trace_ids {
                let r = randomness(trace_id);
                let sampled = kept.traces.contains(&trace_id);
                if kept.samples(r) != sampled {
                    let verdict = if sampled { "sampled" } else { "dropped" };
                    return Err(format!(
                        "{} {verdict} trace {trace_id}, whose R is {r:014x}, with {}",
                        kept.service,
                        kept.th()
                    ));
                }
            }
            let server_spans = self
                .spans
                .iter()
                .filter(|s| s.service == kept.service && s.kind == Kind::Server);
            for span in server_spans {
                if forwarded_threshold(&span.tracestate) != kept.threshold {
                    return Err(format!(
                        "{} span {} forwards tracestate {:?}, not ot={}",
                        kept.service,
                        span.span_id,
                        span.tracestate,
                        kept.th()
                    ));
                }
            }
        }
        let each: Vec<String> = self
            .services
            .iter()
            .map(|kept| format!("{} {}", kept.service, kept.th()))
            .collect();
        Ok(format!("decisions were R >= T ({})", each.join(", ")))
    }

    /// Each service's sampled count is within [`MAX_SIGMAS`] standard deviations of
    /// its expected value (a binomial count).
    fn rates(&self) -> Result<String, String> {
        let n = self.trace_ids.len() as f64;
        if n == 0.0 {
            return Err("no traces were sent".into());
        }
        let mut rates = Vec::new();
        for kept in &self.services {
            let p = kept.effective_probability();
            let expected = n * p;
            let sigma = (n * p * (1.0 - p)).sqrt();
            let got = kept.traces.len() as f64;
            if (got - expected).abs() > MAX_SIGMAS * sigma {
                return Err(format!(
                    "{} sampled {got} of {n} traces, expected {expected:.1} +- {:.1}",
                    kept.service,
                    MAX_SIGMAS * sigma
                ));
            }
            rates.push(format!(
                "{} {:.3} for {}",
                kept.service,
                got / n,
                kept.probability
            ));
        }
        Ok(format!(
            "rates within {MAX_SIGMAS} sigma: {}",
            rates.join(", ")
        ))
    }
}
