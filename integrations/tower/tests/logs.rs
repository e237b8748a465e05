//! With the `tracing` feature: a stock `tracing_subscriber::fmt` setup prints the
//! request's ids on every line written while it is served, and the reason a trace
//! restarted.
#![cfg(feature = "tracing")]

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::routing::get;
use axum::{Extension, Router};
use http::Request;
use tower::ServiceExt;
use tracecontext::Context;
use tracecontext_tower::{FutureExt, ServerLayer, current};

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// Everything the subscriber wrote.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines(&self) -> Vec<String> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
    }
}

/// A stock `fmt` subscriber at debug level, this thread's default while the guard
/// lives, writing into what it returns.
fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

/// A handler that logs, and logs again from a task it spawns and from a thread it
/// starts; it answers with its context's span-id.
fn app(layer: ServerLayer) -> Router {
    Router::new()
        .route(
            "/",
            get(|Extension(context): Extension<Context>| async move {
                tracing::info!("handling");
                tokio::spawn(async { tracing::info!("in the task") }.in_current_context())
                    .await
                    .unwrap();
                // The test's subscriber is this thread's default (a service sets a
                // global one), so the thread is given it too.
                let subscriber = tracing::dispatcher::get_default(Clone::clone);
                let log = current::bind(|| tracing::info!("on a thread"));
                std::thread::spawn(move || tracing::dispatcher::with_default(&subscriber, log))
                    .join()
                    .unwrap();
                context.span_id().to_string()
            }),
        )
        .layer(layer)
}

/// Serves one request with `traceparent` (if any) under a stock `fmt` subscriber at
/// debug level, returning what it printed and the span-id the handler had.
async fn serve(traceparent: Option<&str>) -> (Vec<String>, String) {
    let (captured, _default) = capture();
    let mut request = Request::get("/");
    if let Some(traceparent) = traceparent {
        request = request.header("traceparent", traceparent);
    }
    let response = app(ServerLayer::default())
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let body = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .unwrap();
    (captured.lines(), String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn every_line_of_a_request_carries_its_ids() {
    let (lines, span_id) = serve(Some(TRACEPARENT)).await;
    let logged: Vec<&String> = lines
        .iter()
        .filter(|l| {
            ["handling", "in the task", "on a thread"]
                .iter()
                .any(|m| l.contains(m))
        })
        .collect();
    assert_eq!(logged.len(), 3, "{lines:#?}");
    for line in logged {
        assert!(
            line.contains("trace_id=4bf92f3577b34da6a3ce929d0e0e4736"),
            "{line}"
        );
        assert!(line.contains(&format!("span_id={span_id}")), "{line}");
        assert!(line.contains("parent_span_id=00f067aa0ba902b7"), "{line}");
        assert!(line.contains("sampled=true"), "{line}");
    }
    // A continued trace is not reported.
    assert!(!lines.iter().any(|l| l.contains("not taken")), "{lines:#?}");
}

#[tokio::test]
async fn a_restart_is_a_debug_event_with_its_reason_and_the_new_ids() {
    let bad = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01";
    let (lines, span_id) = serve(Some(bad)).await;
    let report: Vec<&String> = lines.iter().filter(|l| l.contains("not taken")).collect();
    assert_eq!(report.len(), 1, "{lines:#?}");
    let report = report[0];
    assert!(report.contains("DEBUG"), "{report}");
    assert!(
        report.contains("invalid traceparent, new trace: traceparent: invalid hex digit 'B'"),
        "{report}"
    );
    // Written inside the new trace's span: it names the ids the request got.
    assert!(report.contains(&format!("span_id={span_id}")), "{report}");
    assert!(
        !report.contains("4bf92f3577b34da6a3ce929d0e0e4736"),
        "{report}"
    );
    assert!(
        !report.contains("parent_span_id"),
        "a root has no parent: {report}"
    );
    let (lines, _) = serve(None).await;
    assert!(
        lines
            .iter()
            .any(|l| l.contains("no traceparent, new trace")),
        "{lines:#?}"
    );
}

#[tokio::test]
async fn each_outgoing_call_is_a_debug_event_naming_the_span_it_sends() {
    use tower::{Layer, Service};
    use tracecontext_tower::{ClientLayer, outgoing_headers};

    let (captured, _default) = capture();
    // A downstream that answers with the span-id it was sent.
    let downstream = tower::service_fn(|request: Request<Body>| async move {
        let sent = request.headers()["traceparent"]
            .to_str()
            .unwrap()
            .to_owned();
        Ok::<_, std::convert::Infallible>(http::Response::new(sent[36..52].to_owned()))
    });
    let app = Router::new()
        .route(
            "/",
            get(move || async move {
                let mut client = ClientLayer::new().layer(downstream);
                let by_layer = client.call(Request::new(Body::empty())).await.unwrap();
                let by_headers =
                    outgoing_headers()["traceparent"].to_str().unwrap()[36..52].to_owned();
                let own = current().unwrap().span_id().to_string();
                format!("{own} {} {by_headers}", by_layer.into_body())
            }),
        )
        .layer(ServerLayer::default());
    let request = Request::get("/").header("traceparent", TRACEPARENT);
    let response = app
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let body = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .unwrap();
    let body = String::from_utf8(body.to_vec()).unwrap();
    let ids: Vec<&str> = body.split(' ').collect();
    let [own, by_layer, by_headers] = ids[..] else {
        panic!("{body}")
    };
    assert_ne!(by_layer, by_headers, "each call is a new span");
    let lines = captured.lines();
    let calls: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("outgoing request"))
        .collect();
    assert_eq!(calls.len(), 2, "{lines:#?}");
    for (line, sent) in calls.into_iter().zip([by_layer, by_headers]) {
        assert!(line.contains("DEBUG"), "{line}");
        assert!(line.contains(&format!("call_span_id={sent}")), "{line}");
        // In the caller's span: its own ids are on the line.
        assert!(line.contains(&format!("span_id={own}")), "{line}");
        assert!(
            line.contains("trace_id=4bf92f3577b34da6a3ce929d0e0e4736"),
            "{line}"
        );
    }
}
