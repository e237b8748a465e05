//! One trace through an axum edge, a tonic gRPC service, an HTTP call made with
//! reqwest and a background task, every hop with the layers of this crate.
//!
//! ```sh
//! cargo run -p tracecontext-tower --all-features --example e2e
//! ```
//!
//! Three services on loopback ports the system picks:
//!
//! - `edge` (axum, `ServerLayer` with `server-timing`) spawns a background task and
//!   calls `inventory` over gRPC through a tonic channel wrapped in `ClientLayer`;
//! - `inventory` (tonic, `ServerLayer`) calls `pricing` with reqwest and
//!   `outgoing_headers()`;
//! - `pricing` (axum, `ServerLayer`) answers.
//!
//! The example sends one request with a caller's `traceparent` and one with a
//! malformed one, prints the log (every line carries the ids) and the span tree of
//! each request, and checks that one trace-id reaches every span, that each span's
//! parent is the span that called it, and that the malformed header restarts the
//! trace with its reason in the log. It exits non-zero if a check fails.
//!
//! The gRPC messages are UTF-8 strings with a codec written here by hand, so the
//! example needs no `.proto` file and no `protoc`.

use std::convert::Infallible;
use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use axum::routing::get;
use axum::{Extension, Router};
use bytes::{Buf, BufMut};
use http::uri::PathAndQuery;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::server::NamedService;
use tonic::{Status, body::Body as GrpcBody};
use tower::ServiceBuilder;
use tracecontext::{Context, TraceParent};
use tracecontext_tower::{ClientLayer, FutureExt, ServerLayer, current};

/// The gRPC method the edge calls.
const CHECK: &str = "/demo.Inventory/Check";

/// The caller of the first request: its trace and its span.
const CALLER: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// A span as one hop saw it: its name, its ids and its parent's span-id.
#[derive(Clone, Debug)]
pub struct Span {
    /// What the span is: a service handling a request, or a call it made.
    pub name: &'static str,
    /// The trace-id, in hex.
    pub trace_id: String,
    /// The span-id, in hex.
    pub span_id: String,
    /// The parent's span-id, in hex (`None` for a new trace).
    pub parent: Option<String>,
}

impl Span {
    fn of(name: &'static str, context: &Context) -> Self {
        Self {
            name,
            trace_id: context.trace_id().to_string(),
            span_id: context.span_id().to_string(),
            parent: context.parent_span_id().map(|p| p.to_string()),
        }
    }

    /// A call: the span it sent in `traceparent`, a child of the current context.
    fn call(name: &'static str, traceparent: &str) -> Self {
        let sent = TraceParent::parse(traceparent.as_bytes()).expect("a valid traceparent");
        Self {
            name,
            trace_id: sent.trace_id().to_string(),
            span_id: sent.parent_id().to_string(),
            parent: current().map(|c| c.span_id().to_string()),
        }
    }
}

/// Every span recorded by the services, in the order they were recorded.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<Span>>>);

impl Spans {
    fn push(&self, span: Span) {
        self.0.lock().unwrap().push(span);
    }

    /// Waits (a bounded time) until `n` spans are in, and takes them.
    async fn take(&self, n: usize) -> Result<Vec<Span>, String> {
        for _ in 0..200 {
            if self.0.lock().unwrap().len() >= n {
                return Ok(std::mem::take(&mut *self.0.lock().unwrap()));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Err(format!(
            "expected {n} spans, got {:#?}",
            self.0.lock().unwrap()
        ))
    }
}

// ---- The gRPC codec and service, written by hand -------------------------------

/// A gRPC codec whose messages are UTF-8 strings.
#[derive(Clone, Copy, Debug, Default)]
struct Utf8Codec;

/// Encoder and decoder of [`Utf8Codec`].
#[derive(Debug)]
struct Utf8;

impl Encoder for Utf8 {
    type Item = String;
    type Error = Status;

    fn encode(&mut self, item: String, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(item.as_bytes());
        Ok(())
    }
}

impl Decoder for Utf8 {
    type Item = String;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<String>, Status> {
        let bytes = src.copy_to_bytes(src.remaining());
        String::from_utf8(bytes.to_vec())
            .map(Some)
            .map_err(|_| Status::invalid_argument("the message is not UTF-8"))
    }
}

impl Codec for Utf8Codec {
    type Encode = String;
    type Decode = String;
    type Encoder = Utf8;
    type Decoder = Utf8;

    fn encoder(&mut self) -> Utf8 {
        Utf8
    }

    fn decoder(&mut self) -> Utf8 {
        Utf8
    }
}

/// The `inventory` gRPC service: one unary method, [`CHECK`].
#[derive(Clone)]
struct Inventory {
    spans: Spans,
    pricing: String,
    http: reqwest::Client,
}

impl NamedService for Inventory {
    const NAME: &'static str = "demo.Inventory";
}

impl tower::Service<http::Request<GrpcBody>> for Inventory {
    type Response = http::Response<GrpcBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<GrpcBody>) -> Self::Future {
        let check = Check(self.clone());
        Box::pin(async move {
            if request.uri().path() != CHECK {
                return Ok(Status::unimplemented(request.uri().path()).into_http());
            }
            Ok(tonic::server::Grpc::new(Utf8Codec)
                .unary(check, request)
                .await)
        })
    }
}

/// The handler of [`CHECK`]: the item's price, asked of `pricing`.
struct Check(Inventory);

impl tonic::server::UnaryService<String> for Check {
    type Response = String;
    type Future = Pin<Box<dyn Future<Output = Result<tonic::Response<String>, Status>> + Send>>;

    fn call(&mut self, request: tonic::Request<String>) -> Self::Future {
        let inventory = self.0.clone();
        Box::pin(async move {
            // The server layer put the context in the request's extensions, and it
            // is current here.
            let context = request.extensions().get::<Context>().cloned();
            if context.is_none() || context != current() {
                return Err(Status::internal("no trace context in the gRPC handler"));
            }
            inventory
                .spans
                .push(Span::of("inventory", &context.unwrap()));
            tracing::info!(item = %request.get_ref(), "checking stock");
            // reqwest is not a tower service: the headers of a child span, by hand.
            let headers = tracecontext_tower::outgoing_headers();
            let sent = headers["traceparent"].to_str().unwrap_or_default();
            inventory
                .spans
                .push(Span::call("inventory → pricing", sent));
            let price = inventory
                .http
                .get(&inventory.pricing)
                .headers(headers)
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(|e| Status::unavailable(e.to_string()))?
                .text()
                .await
                .map_err(|e| Status::unavailable(e.to_string()))?;
            Ok(tonic::Response::new(format!(
                "{} in stock at {price}",
                request.get_ref()
            )))
        })
    }
}

// ---- The three services --------------------------------------------------------

/// Serves an axum router on a loopback port the system picks.
async fn serve_http(app: Router) -> Result<SocketAddr, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(addr)
}

async fn pricing(spans: Spans) -> Result<SocketAddr, String> {
    let app = Router::new()
        .route(
            "/price",
            get(move |Extension(context): Extension<Context>| async move {
                spans.push(Span::of("pricing", &context));
                tracing::info!("pricing");
                "4.20 EUR"
            }),
        )
        .layer(ServerLayer::default());
    serve_http(app).await
}

async fn inventory(spans: Spans, pricing: SocketAddr) -> Result<SocketAddr, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let service = Inventory {
        spans,
        pricing: format!("http://{pricing}/price"),
        http: reqwest::Client::new(),
    };
    let server = tonic::transport::Server::builder()
        .layer(ServerLayer::default())
        .add_service(service)
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener));
    tokio::spawn(server);
    Ok(addr)
}

async fn edge(spans: Spans, inventory: SocketAddr) -> Result<SocketAddr, String> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{inventory}"))
        .map_err(|e| e.to_string())?
        .connect()
        .await
        .map_err(|e| e.to_string())?;
    // The client layer injects a child of the current context into each call; the
    // layer below it only records the span each call sent, for the checks.
    let recorded = spans.clone();
    let channel = ServiceBuilder::new()
        .layer(ClientLayer::new())
        .map_request(move |request: http::Request<GrpcBody>| {
            let sent = request.headers()["traceparent"]
                .to_str()
                .unwrap_or_default();
            recorded.push(Span::call("edge → inventory", sent));
            request
        })
        .service(channel);
    let client = tonic::client::Grpc::new(channel);
    let app = Router::new()
        .route(
            "/order",
            get(move |Extension(context): Extension<Context>| {
                let (spans, mut client) = (spans.clone(), client.clone());
                async move {
                    spans.push(Span::of("edge", &context));
                    tracing::info!("order received");
                    // Work that outlives the request keeps its context.
                    let background = spans.clone();
                    tokio::spawn(
                        async move {
                            tokio::time::sleep(Duration::from_millis(5)).await;
                            tracing::info!("background work");
                            if let Some(context) = current() {
                                background.push(Span::of("background task", &context));
                            }
                        }
                        .in_current_context(),
                    );
                    client.ready().await.map_err(|e| e.to_string())?;
                    let answer = client
                        .unary(
                            tonic::Request::new("umbrella".to_owned()),
                            PathAndQuery::from_static(CHECK),
                            Utf8Codec,
                        )
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok::<_, String>(answer.into_inner())
                }
            }),
        )
        .layer(ServerLayer::default().server_timing(true));
    serve_http(app).await
}

// ---- The run and its checks -----------------------------------------------------

/// What the run saw: the spans of the continued request, those of the restarted
/// one, and the log.
#[derive(Debug)]
pub struct Summary {
    /// The spans of the request sent with the caller's `traceparent`.
    pub continued: Vec<Span>,
    /// The spans of the request sent with a malformed `traceparent`.
    pub restarted: Vec<Span>,
    /// Every log line written during the run.
    pub log: String,
}

/// A log that keeps a copy of each line for the checks, and prints it if asked.
#[derive(Clone)]
pub struct Log {
    lines: Arc<Mutex<Vec<u8>>>,
    echo: bool,
}

impl Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.lines.lock().unwrap().extend_from_slice(bytes);
        if self.echo {
            std::io::stdout().write_all(bytes)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().flush()
    }
}

impl Log {
    /// A stock `fmt` subscriber writing to this log: `info` and above from the
    /// example, and this crate's `debug` events (the restart reasons). It is the
    /// global subscriber, so spawned tasks and every runtime thread log with it.
    pub fn install(echo: bool) -> Self {
        use tracing_subscriber::layer::SubscriberExt;
        let log = Self {
            lines: Arc::default(),
            echo,
        };
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || writer.clone())
            .finish()
            .with(
                tracing_subscriber::filter::Targets::new()
                    .with_target(module_path!(), tracing::Level::INFO)
                    .with_target("tracecontext", tracing::Level::DEBUG),
            );
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
        log
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.lines.lock().unwrap()).into_owned()
    }
}

/// Sends a request to the edge with `traceparent`, and returns the spans it made
/// once all six are in, and the `server-timing` the edge answered with.
async fn order(
    http: &reqwest::Client,
    edge: SocketAddr,
    traceparent: &str,
    spans: &Spans,
) -> Result<(Vec<Span>, String), String> {
    let response = http
        .get(format!("http://{edge}/order"))
        .header("traceparent", traceparent)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let timing = response
        .headers()
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let status = response.status();
    let body = response.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() || body != "umbrella in stock at 4.20 EUR" {
        return Err(format!("edge answered {status}: {body}"));
    }
    Ok((spans.take(6).await?, timing))
}

/// The span called `name`.
fn find<'s>(spans: &'s [Span], name: &str) -> Result<&'s Span, String> {
    spans
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| format!("no span {name:?} in {spans:#?}"))
}

/// Checks one request's spans: one trace, each span's parent the span that called
/// it, the background task in the edge's context. Returns the trace-id.
fn check_chain(spans: &[Span], caller: Option<&str>) -> Result<String, String> {
    let edge = find(spans, "edge")?;
    let chain = [
        edge,
        find(spans, "edge → inventory")?,
        find(spans, "inventory")?,
        find(spans, "inventory → pricing")?,
        find(spans, "pricing")?,
    ];
    if edge.parent.as_deref() != caller {
        return Err(format!(
            "the edge's parent is {:?}, not {caller:?}",
            edge.parent
        ));
    }
    for pair in chain.windows(2) {
        if pair[1].parent.as_ref() != Some(&pair[0].span_id) {
            return Err(format!("{:?} is not the parent of {:?}", pair[0], pair[1]));
        }
    }
    let mut ids: Vec<&str> = chain.iter().map(|s| s.span_id.as_str()).collect();
    ids.extend(caller);
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != chain.len() + usize::from(caller.is_some()) {
        return Err(format!("span-ids repeat: {spans:#?}"));
    }
    let background = find(spans, "background task")?;
    if background.span_id != edge.span_id || background.parent != edge.parent {
        return Err(format!(
            "the background task lost the edge's context: {background:?}"
        ));
    }
    if let Some(other) = spans.iter().find(|s| s.trace_id != edge.trace_id) {
        return Err(format!(
            "{other:?} is not in the edge's trace {}",
            edge.trace_id
        ));
    }
    Ok(edge.trace_id.clone())
}

/// Prints one request's spans as a tree.
fn print_tree(title: &str, spans: &[Span]) {
    println!("\n{title}: trace {}", spans[0].trace_id);
    let mut depth = std::collections::HashMap::new();
    for span in spans {
        let level = span
            .parent
            .as_ref()
            .and_then(|p| depth.get(p).copied())
            .map_or(1, |d: usize| d + 1);
        // The background task shares the edge's span: it is drawn beside it.
        depth.entry(span.span_id.clone()).or_insert(level);
        let parent = span.parent.as_deref().unwrap_or("-");
        println!(
            "{:indent$}{} {}  (parent {parent})",
            "",
            span.span_id,
            span.name,
            indent = 2 * level
        );
    }
}

/// Starts the three services, sends the two requests, checks what they did.
pub async fn run(log: &Log) -> Result<Summary, String> {
    let spans = Spans::default();
    let pricing = pricing(spans.clone()).await?;
    let inventory = inventory(spans.clone(), pricing).await?;
    let edge = edge(spans.clone(), inventory).await?;
    let http = reqwest::Client::new();

    // 1. A caller's trace, continued through every hop.
    let (continued, timing) = order(&http, edge, CALLER, &spans).await?;
    let trace = check_chain(&continued, Some("00f067aa0ba902b7"))?;
    if trace != "4bf92f3577b34da6a3ce929d0e0e4736" {
        return Err(format!("the caller's trace was not continued: {trace}"));
    }
    let edge_span = &find(&continued, "edge")?.span_id;
    if !timing.starts_with(&format!("trace;desc=00-{trace}-{edge_span}-")) {
        return Err(format!(
            "server-timing does not name the edge's span: {timing:?}"
        ));
    }

    // 2. A malformed traceparent (uppercase hex): a new trace, and the reason logged.
    let malformed = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01";
    let (restarted, _) = order(&http, edge, malformed, &spans).await?;
    let new_trace = check_chain(&restarted, None)?;
    if new_trace == trace {
        return Err("the malformed traceparent was continued".to_owned());
    }
    let text = log.text();
    let reason = "invalid traceparent, new trace: traceparent: invalid hex digit 'B'";
    if !text
        .lines()
        .any(|l| l.contains(reason) && l.contains(&format!("trace_id={new_trace}")))
    {
        return Err(format!("no log line gives the restart's reason: {text}"));
    }
    // Every line the handlers wrote carries its request's trace-id.
    let messages = [
        "order received",
        "checking stock",
        "pricing",
        "background work",
    ];
    let written: Vec<&str> = text
        .lines()
        .filter(|l| messages.iter().any(|m| l.ends_with(m)) || l.contains("checking stock"))
        .collect();
    if written.len() != 2 * messages.len() {
        return Err(format!(
            "expected the handlers' {} lines: {text}",
            2 * messages.len()
        ));
    }
    for line in written {
        if !line.contains(&format!("trace_id={trace}"))
            && !line.contains(&format!("trace_id={new_trace}"))
        {
            return Err(format!("a log line without its trace-id: {line}"));
        }
    }
    Ok(Summary {
        continued,
        restarted,
        log: text,
    })
}

#[tokio::main]
async fn main() {
    let log = Log::install(true);
    match run(&log).await {
        Ok(summary) => {
            print_tree("A caller's request", &summary.continued);
            print_tree(
                "A request with a malformed traceparent, restarted",
                &summary.restarted,
            );
            println!(
                "\nok: one trace-id through axum → tonic → reqwest and a background task, \
                 each span's parent the span that called it, the restart's reason in the log"
            );
        }
        Err(problem) => {
            eprintln!("e2e: FAILED: {problem}");
            std::process::exit(1);
        }
    }
}
