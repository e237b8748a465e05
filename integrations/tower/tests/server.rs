//! The server layer in front of an axum router, driven in process.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::routing::get;
use axum::{Extension, Router};
use http::{Request, StatusCode};
use tower::ServiceExt;
use tracecontext::sampling::{AlwaysOff, AlwaysOn, ParentBased};
use tracecontext::{Context, ErrorKind};
use tracecontext_tower::{FutureExt, Ids, Report, ServerLayer, current};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER: &str = "00f067aa0ba902b7";
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// What a handler saw: the extension, the current context in the handler and in a
/// task it spawned.
#[derive(Debug)]
struct Seen {
    extension: Context,
    current: Option<Context>,
    spawned: Option<Context>,
}

fn app(layer: ServerLayer, seen: Arc<Mutex<Vec<Seen>>>) -> Router {
    Router::new()
        .route(
            "/",
            get(move |Extension(context): Extension<Context>| {
                let seen = Arc::clone(&seen);
                async move {
                    let here = current();
                    tokio::task::yield_now().await;
                    let spawned = tokio::spawn(async { current() }.in_current_context())
                        .await
                        .unwrap();
                    seen.lock().unwrap().push(Seen {
                        extension: context,
                        current: here,
                        spawned,
                    });
                    "ok"
                }
            }),
        )
        .layer(layer)
}

/// Request headers: names and raw values.
type Headers<'a> = &'a [(&'a str, &'a [u8])];

async fn send(layer: ServerLayer, headers: Headers<'_>) -> (http::Response<Body>, Seen) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut request = Request::get("/");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app(layer, Arc::clone(&seen))
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let seen = seen.lock().unwrap().pop().expect("the handler ran");
    (response, seen)
}

fn reports() -> (ServerLayer, Arc<Mutex<Vec<Report>>>) {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&reports);
    let layer = ServerLayer::default().on_report(move |r| sink.lock().unwrap().push(*r));
    (layer, reports)
}

#[tokio::test]
async fn a_request_continues_its_callers_trace_everywhere_in_the_handler() {
    let (layer, reports) = reports();
    let (response, seen) = send(
        layer,
        &[
            ("traceparent", TRACEPARENT.as_bytes()),
            ("tracestate", b"a=1, b=2"),
        ],
    )
    .await;
    let context = &seen.extension;
    assert_eq!(context.trace_id().to_string(), TRACE);
    assert_eq!(context.parent_span_id().unwrap().to_string(), CALLER);
    assert_ne!(context.span_id().to_string(), CALLER);
    assert!(context.is_sampled() && !context.is_remote());
    // Forwarded as it came (a decision that leaves `ot` alone).
    assert_eq!(context.tracestate().as_str(), "a=1, b=2");
    assert_eq!(seen.current.as_ref(), Some(context));
    assert_eq!(seen.spawned.as_ref(), Some(context));
    assert!(reports.lock().unwrap().is_empty());
    // Server-Timing is off unless asked for.
    assert!(response.headers().get("server-timing").is_none());
    // Outside the request nothing is current.
    assert!(current().is_none());
}

#[tokio::test]
async fn server_timing_names_this_services_span() {
    let layer = ServerLayer::default().server_timing(true);
    let (response, seen) = send(layer, &[("traceparent", TRACEPARENT.as_bytes())]).await;
    let timing = response
        .headers()
        .get("server-timing")
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(
        timing,
        format!("trace;desc={}", seen.extension.headers().traceparent())
    );
}

#[tokio::test]
async fn a_restart_is_reported_with_its_reason() {
    let cases: [(Headers, Report); 4] = [
        (&[], Report::NoTraceparent),
        (
            &[(
                "traceparent",
                b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
            )],
            Report::InvalidTraceparent(
                tracecontext::TraceParent::parse(
                    b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
                )
                .unwrap_err(),
            ),
        ),
        (
            &[
                ("traceparent", TRACEPARENT.as_bytes()),
                ("traceparent", TRACEPARENT.as_bytes()),
            ],
            Report::InvalidTraceparent(
                tracecontext::extract(&[
                    ("traceparent", TRACEPARENT),
                    ("traceparent", TRACEPARENT),
                ])
                .traceparent_error()
                .copied()
                .unwrap(),
            ),
        ),
        (
            &[
                ("traceparent", TRACEPARENT.as_bytes()),
                ("tracestate", b"Bad=1"),
            ],
            Report::TracestateDropped(
                tracecontext::TraceState::<512>::parse(b"Bad=1").unwrap_err(),
            ),
        ),
    ];
    for (headers, want) in cases {
        let (layer, reports) = reports();
        let (_, seen) = send(layer, headers).await;
        assert_eq!(*reports.lock().unwrap(), [want], "{headers:?}");
        let context = &seen.extension;
        if want.restarts_trace() {
            assert_ne!(context.trace_id().to_string(), TRACE);
            assert_eq!(context.parent_span_id(), None);
            assert!(context.is_sampled(), "parentbased_always_on samples roots");
        } else {
            assert_eq!(context.trace_id().to_string(), TRACE);
            assert!(context.tracestate().is_empty());
        }
        assert_eq!(seen.current.as_ref(), Some(context));
    }
}

#[tokio::test]
async fn the_report_names_the_field_and_offset() {
    let (layer, reports) = reports();
    send(
        layer,
        &[(
            "traceparent",
            b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
        )],
    )
    .await;
    let report = reports.lock().unwrap()[0];
    let error = report.error().unwrap();
    assert_eq!((error.kind(), error.offset()), (ErrorKind::TraceFlags, 54));
    assert!(
        report
            .to_string()
            .starts_with("invalid traceparent, new trace: traceparent: ")
    );
    assert_eq!(
        Report::NoTraceparent.to_string(),
        "no traceparent, new trace"
    );
    assert_eq!(Report::NoTraceparent.error(), None);
}

#[tokio::test]
async fn an_untrusted_edge_decides_for_itself() {
    let sampler = ParentBased::new(AlwaysOff);
    let headers: Headers = &[
        ("traceparent", TRACEPARENT.as_bytes()),
        ("tracestate", b"ot=th:0"),
    ];
    // Trusted: the caller's sampled flag is followed.
    let (_, seen) = send(ServerLayer::new(sampler), headers).await;
    assert!(seen.extension.is_sampled());
    // Untrusted: the root sampler decides, as for a new trace, on the same trace.
    let (_, seen) = send(ServerLayer::new(sampler).untrusted(), headers).await;
    assert!(!seen.extension.is_sampled());
    assert_eq!(seen.extension.trace_id().to_string(), TRACE);
    // A local parent is still followed: untrusted touches remote parents only.
    let local = ParentBased::new(AlwaysOff);
    let (root, _) = Context::root(&mut tracecontext::ThreadIds, &AlwaysOn);
    let (child, _) = root.child_decided(&mut tracecontext::ThreadIds, &local);
    assert!(child.is_sampled());
}

#[tokio::test]
async fn incoming_tracestate_can_be_dropped_whole_or_by_key() {
    let headers: Headers = &[
        ("traceparent", TRACEPARENT.as_bytes()),
        ("tracestate", b"a=1,secret=2,b=3"),
    ];
    let (_, seen) = send(ServerLayer::default().drop_tracestate(), headers).await;
    assert!(seen.extension.tracestate().is_empty());
    let layer = ServerLayer::default().drop_tracestate_members(["secret", "absent"]);
    let (_, seen) = send(layer, headers).await;
    assert_eq!(seen.extension.tracestate().as_str(), "a=1,b=3");
}

#[tokio::test]
async fn a_shared_sampler_from_configuration_serves_every_request() {
    let (sampler, problem) = tracecontext::sampling::Configured::from_settings(
        Some("parentbased_traceidratio"),
        Some("0"),
    );
    assert!(problem.is_none());
    let shared: tracecontext_tower::SharedSampler = Arc::new(sampler);
    let layer = ServerLayer::with_shared_sampler(Arc::clone(&shared));
    let _copy = layer.clone();
    assert_eq!(
        Arc::strong_count(&shared),
        2,
        "layers share the sampler, not copies"
    );
    let (_, seen) = send(layer.clone(), &[]).await;
    assert!(!seen.extension.is_sampled(), "ratio 0 samples no root");
    let (_, seen) = send(layer, &[("traceparent", TRACEPARENT.as_bytes())]).await;
    assert!(seen.extension.is_sampled(), "a sampled parent is followed");
}

#[test]
fn ids_print_for_any_logger() {
    let context = Context::new(
        tracecontext::TraceId::from_static(TRACE),
        tracecontext::SpanId::from_static(CALLER),
        tracecontext::TraceFlags::NONE,
    );
    let child = context.child_with_span_id(tracecontext::SpanId::from_static("53995c3f42cd8ad8"));
    let ids = Ids::of(&child);
    assert_eq!(ids.parent_span_id, Some(context.span_id()));
    assert_eq!(
        ids.to_string(),
        format!("trace_id={TRACE} span_id=53995c3f42cd8ad8 parent_span_id={CALLER} sampled=false")
    );
    assert_eq!(Ids::current(), None);
    assert_eq!(current::scope(child.clone(), Ids::current), Some(ids));
}
