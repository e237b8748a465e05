//! The layers on loopback: a real axum server, hyper-util and reqwest clients,
//! retries, many concurrent requests, and hostile headers.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::routing::get;
use axum::{Extension, Router};
use http::{HeaderMap, Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower::{Service, ServiceBuilder, ServiceExt};
use tracecontext::Context;
use tracecontext_tower::{ClientLayer, FutureExt, Report, ServerLayer, current};

/// Serves `app` on a free loopback port until the test's runtime ends.
async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// A service that answers with the `traceparent` it was sent.
fn echo() -> Router {
    Router::new().route(
        "/echo",
        get(|headers: HeaderMap| async move {
            headers
                .get("traceparent")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        }),
    )
}

async fn text(response: Response<hyper::body::Incoming>) -> String {
    let bytes = axum::body::to_bytes(Body::new(response.into_body()), usize::MAX)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn parent() -> Context {
    Context::root(
        &mut tracecontext::ThreadIds,
        &tracecontext::sampling::AlwaysOn,
    )
    .0
}

fn parse(traceparent: &str) -> tracecontext::TraceParent {
    tracecontext::TraceParent::parse(traceparent.as_bytes()).unwrap()
}

#[tokio::test]
async fn the_client_layer_sends_a_child_of_the_current_or_given_context() {
    let addr = serve(echo()).await;
    let mut client = ServiceBuilder::new()
        .layer(ClientLayer::new())
        .service(Client::builder(TokioExecutor::new()).build_http::<Body>());
    let url = format!("http://{addr}/echo");
    let request = || Request::get(&url).body(Body::empty()).unwrap();

    // No context: nothing is sent.
    let response = client.ready().await.unwrap().call(request()).await.unwrap();
    assert_eq!(text(response).await, "");

    // The current context's child.
    let context = parent();
    let call = async { client.ready().await.unwrap().call(request()).await };
    let sent = parse(&text(call.with_context(context.clone()).await.unwrap()).await);
    assert_eq!(sent.trace_id(), context.trace_id());
    assert_ne!(
        sent.parent_id(),
        context.span_id(),
        "a new span for the call"
    );
    // The layer reads the current context when `call` is made, so a call made
    // inside a scope carries it even if its future is polled elsewhere.
    let call = current::scope(context.clone(), || client.call(request()));
    assert_eq!(
        parse(&text(call.await.unwrap()).await).trace_id(),
        context.trace_id()
    );

    // A context given with the request wins over the current one.
    let given = parent();
    let mut with_given = request();
    with_given.extensions_mut().insert(given.clone());
    let call = current::scope(context, || client.call(with_given));
    assert_eq!(
        parse(&text(call.await.unwrap()).await).trace_id(),
        given.trace_id()
    );
}

/// Retries every failed request once.
#[derive(Clone)]
struct Once;

impl<E> tower::retry::Policy<Request<Body>, Response<hyper::body::Incoming>, E> for Once {
    type Future = std::future::Ready<()>;

    fn retry(
        &mut self,
        _: &mut Request<Body>,
        result: &mut Result<Response<hyper::body::Incoming>, E>,
    ) -> Option<Self::Future> {
        match result {
            Ok(response) if response.status() == StatusCode::SERVICE_UNAVAILABLE => {
                Some(std::future::ready(()))
            }
            _ => None,
        }
    }

    fn clone_request(&mut self, request: &Request<Body>) -> Option<Request<Body>> {
        let mut copy = Request::get(request.uri().clone())
            .body(Body::empty())
            .unwrap();
        *copy.headers_mut() = request.headers().clone();
        *copy.extensions_mut() = request.extensions().clone();
        Some(copy)
    }
}

#[tokio::test]
async fn a_retry_is_a_sibling_span_under_the_same_parent() {
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&attempts);
    let flaky = Router::new().route(
        "/flaky",
        get(move |headers: HeaderMap| {
            let seen = Arc::clone(&seen);
            async move {
                let tp = headers["traceparent"].to_str().unwrap().to_owned();
                let mut seen = seen.lock().unwrap();
                seen.push(tp);
                if seen.len() == 1 {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let addr = serve(flaky).await;
    let client = ServiceBuilder::new()
        .retry(Once)
        .layer(ClientLayer::new())
        .service(Client::builder(TokioExecutor::new()).build_http::<Body>());
    let context = parent();
    let request = Request::get(format!("http://{addr}/flaky"))
        .body(Body::empty())
        .unwrap();
    let response = client
        .oneshot(request)
        .with_context(context.clone())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let attempts = attempts.lock().unwrap();
    assert_eq!(attempts.len(), 2);
    let (first, second) = (parse(&attempts[0]), parse(&attempts[1]));
    assert_eq!(first.trace_id(), context.trace_id());
    assert_eq!(second.trace_id(), context.trace_id());
    assert_ne!(
        first.parent_id(),
        second.parent_id(),
        "each attempt is its own span"
    );
}

#[tokio::test]
async fn reqwest_sends_the_outgoing_headers() {
    let addr = serve(echo()).await;
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/echo");
    assert!(tracecontext_tower::outgoing_headers().is_empty());
    let context = parent();
    let send = current::scope(context.clone(), || {
        client
            .get(&url)
            .headers(tracecontext_tower::outgoing_headers())
            .send()
    });
    let sent = parse(&send.await.unwrap().text().await.unwrap());
    assert_eq!(sent.trace_id(), context.trace_id());
    assert_ne!(sent.parent_id(), context.span_id());
}

/// A handler that checks that it, a task it spawns and a thread it starts all see
/// the request's own context, and answers with the trace-id they saw.
fn isolated(reports: Arc<Mutex<Vec<Report>>>) -> Router {
    Router::new()
        .route(
            "/",
            get(|Extension(context): Extension<Context>| async move {
                let mine = Some(context.clone());
                if current() != mine {
                    return Err(StatusCode::INTERNAL_SERVER_ERROR);
                }
                tokio::time::sleep(Duration::from_micros(50)).await;
                let task = tokio::spawn(
                    async {
                        tokio::task::yield_now().await;
                        current()
                    }
                    .in_current_context(),
                );
                let thread = std::thread::spawn(tracecontext_tower::current::bind(current));
                if task.await.unwrap() != mine
                    || thread.join().unwrap() != mine
                    || current() != mine
                {
                    return Err(StatusCode::INTERNAL_SERVER_ERROR);
                }
                Ok::<_, StatusCode>(context.trace_id().to_string())
            }),
        )
        .layer(
            ServerLayer::default()
                .server_timing(true)
                .on_report(move |r| reports.lock().unwrap().push(*r)),
        )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_requests_on_64_connections_each_see_only_their_own_context() {
    const CONNECTIONS: usize = 64;
    const PER_CONNECTION: usize = 157; // 64 × 157 = 10 048 requests
    let reports = Arc::new(Mutex::new(Vec::new()));
    let addr = serve(isolated(Arc::clone(&reports))).await;
    let client = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(CONNECTIONS)
        .build_http::<Body>();
    let mut workers = Vec::new();
    for worker in 0..CONNECTIONS {
        let client = client.clone();
        workers.push(tokio::spawn(async move {
            for n in 0..PER_CONNECTION {
                let trace = format!("{:016x}{:016x}", worker + 1, n + 1);
                let traceparent = format!("00-{trace}-00f067aa0ba902b7-01");
                let request = Request::get(format!("http://{addr}/"))
                    .header("traceparent", &traceparent)
                    .body(Body::empty())
                    .unwrap();
                let response = client.request(request).await.unwrap();
                assert_eq!(response.status(), StatusCode::OK, "{traceparent}");
                let timing = response.headers()["server-timing"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                assert!(
                    timing.starts_with(&format!("trace;desc=00-{trace}-")),
                    "{timing}"
                );
                assert_eq!(text(response).await, trace);
            }
            PER_CONNECTION
        }));
    }
    let mut sent = 0;
    for worker in workers {
        sent += tokio::time::timeout(Duration::from_secs(120), worker)
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(sent, 10_048);
    assert!(
        reports.lock().unwrap().is_empty(),
        "every request continued its trace"
    );
}

/// A request's headers: names and raw values.
type Headers = Vec<(&'static str, Vec<u8>)>;

#[tokio::test]
async fn hostile_headers_restart_the_trace_and_the_service_keeps_answering() {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let addr = serve(isolated(Arc::clone(&reports))).await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
    let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let huge = format!("00-{}", "a".repeat(64 * 1024));
    // Each case: the request's headers, and whether the trace restarts.
    let cases: Vec<(Headers, bool)> = vec![
        (vec![], true),
        (
            vec![("traceparent", valid.into()), ("traceparent", valid.into())],
            true,
        ),
        (
            vec![(
                "traceparent",
                b"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01".to_vec(),
            )],
            true,
        ),
        (
            vec![(
                "traceparent",
                b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\xff".to_vec(),
            )],
            true,
        ),
        (vec![("traceparent", huge.clone().into_bytes())], true),
        (
            vec![
                ("traceparent", valid.into()),
                (
                    "tracestate",
                    format!("a={}", "b".repeat(64 * 1024)).into_bytes(),
                ),
            ],
            false,
        ),
        (
            vec![
                ("traceparent", valid.into()),
                ("tracestate", b"\xfe\xff=1".to_vec()),
            ],
            false,
        ),
    ];
    for (headers, restarts) in &cases {
        reports.lock().unwrap().clear();
        let mut request = Request::get(format!("http://{addr}/"));
        for (name, value) in headers {
            request = request.header(*name, http::HeaderValue::from_bytes(value).unwrap());
        }
        let response = client
            .request(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let trace = text(response).await;
        let reports = reports.lock().unwrap();
        assert_eq!(reports.len(), 1, "one report for {:?}", headers.first());
        assert_eq!(reports[0].restarts_trace(), *restarts);
        assert_eq!(trace == "4bf92f3577b34da6a3ce929d0e0e4736", !restarts);
        if !matches!(reports[0], Report::NoTraceparent) {
            assert!(reports[0].error().is_some());
        }
    }
    // Still answering, and continuing valid traces.
    let request = Request::get(format!("http://{addr}/")).header("traceparent", valid);
    let response = client
        .request(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(text(response).await, "4bf92f3577b34da6a3ce929d0e0e4736");
}
