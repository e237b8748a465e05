//! Baggage through the layers, on loopback: an edge reads it (whatever its
//! `traceparent`), hands it to the handler and to spawned tasks, and the client
//! layer and `outgoing_headers` send it on; edits and the switches that turn it off.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::routing::get;
use axum::{Extension, Router};
use http::{HeaderMap, Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower::{Service, ServiceBuilder, ServiceExt};
use tracecontext::ErrorKind;
use tracecontext::baggage::{Baggage, SharedBaggage};
use tracecontext_tower::{ClientLayer, FutureExt, Report, ServerLayer, current};

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// Answers with the `baggage` header it received (several joined by ` | `).
async fn downstream() -> SocketAddr {
    serve(Router::new().route(
        "/",
        get(|headers: HeaderMap| async move {
            let values: Vec<&str> = headers
                .get_all("baggage")
                .iter()
                .map(|v| v.to_str().unwrap())
                .collect();
            values.join(" | ")
        }),
    ))
    .await
}

async fn body(response: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

async fn hyper_text(response: Response<hyper::body::Incoming>) -> String {
    body(response.map(Body::new)).await
}

/// What the edge's handler saw and what its calls sent downstream.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    extension: String,
    current: String,
    spawned: String,
    via_client_layer: String,
    via_client_layer_edited: String,
    via_outgoing_headers: String,
}

/// An edge service behind `layer` that calls `downstream` three ways.
fn edge(layer: ServerLayer, downstream: SocketAddr, seen: Arc<Mutex<Vec<Seen>>>) -> Router {
    let url = format!("http://{downstream}/");
    Router::new()
        .route(
            "/",
            get(move |baggage: Option<Extension<SharedBaggage>>| {
                let (seen, url) = (Arc::clone(&seen), url.clone());
                async move {
                    let mut client = ServiceBuilder::new()
                        .layer(ClientLayer::new())
                        .service(Client::builder(TokioExecutor::new()).build_http::<Body>());
                    let request = || Request::get(&url).body(Body::empty()).unwrap();
                    let sent = client.ready().await.unwrap().call(request()).await;
                    let via_client_layer = hyper_text(sent.unwrap()).await;

                    let mut edited = Baggage::from(&current::baggage());
                    // Full (64 members) in one test: then it goes on unedited.
                    let _full = edited.insert("hop", "edge 1");
                    // The layer reads the baggage when `call` is made: inside.
                    let call = async { client.ready().await.unwrap().call(request()).await };
                    let sent = call.with_baggage(SharedBaggage::from(&edited)).await;
                    let via_client_layer_edited = hyper_text(sent.unwrap()).await;

                    let via_outgoing_headers = reqwest::Client::new()
                        .get(&url)
                        .headers(tracecontext_tower::outgoing_headers())
                        .send()
                        .await
                        .unwrap()
                        .text()
                        .await
                        .unwrap();
                    let spawned =
                        tokio::spawn(async { current::baggage().to_string() }.in_current_context())
                            .await
                            .unwrap();
                    seen.lock().unwrap().push(Seen {
                        extension: baggage.map(|b| b.0.to_string()).unwrap_or_default(),
                        current: current::baggage().to_string(),
                        spawned,
                        via_client_layer,
                        via_client_layer_edited,
                        via_outgoing_headers,
                    });
                    "ok"
                }
            }),
        )
        .layer(layer)
}

async fn through(layer: ServerLayer, headers: &[(&str, &str)]) -> Seen {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = edge(layer, downstream().await, Arc::clone(&seen));
    let mut request = Request::get("/");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(body(response).await, "ok");
    seen.lock().unwrap().pop().expect("the handler ran")
}

#[tokio::test]
async fn baggage_reaches_the_handler_its_tasks_and_every_outgoing_call() {
    let seen = through(
        ServerLayer::default(),
        &[
            ("traceparent", TRACEPARENT),
            ("baggage", "tenant=acme, class=batch;ttl=30"),
            ("baggage", "user=Am%C3%A9lie"),
        ],
    )
    .await;
    let all = "tenant=acme,class=batch;ttl=30,user=Am%C3%A9lie";
    assert_eq!(
        seen,
        Seen {
            extension: all.into(),
            current: all.into(),
            spawned: all.into(),
            via_client_layer: all.into(),
            via_client_layer_edited: format!("{all},hop=edge%201"),
            via_outgoing_headers: all.into(),
        }
    );
}

#[tokio::test]
async fn b9_baggage_stays_when_the_traceparent_is_missing_or_invalid() {
    for traceparent in [None, Some("00-xyz"), Some(TRACEPARENT)] {
        let mut headers = vec![("baggage", "tenant=acme")];
        headers.extend(traceparent.map(|t| ("traceparent", t)));
        let seen = through(ServerLayer::default(), &headers).await;
        assert_eq!(seen.extension, "tenant=acme", "{traceparent:?}");
        assert_eq!(seen.via_client_layer, "tenant=acme", "{traceparent:?}");
    }
}

#[tokio::test]
async fn an_edge_can_refuse_incoming_baggage() {
    let seen = through(
        ServerLayer::default().baggage(false),
        &[("traceparent", TRACEPARENT), ("baggage", "session=s3cr3t")],
    )
    .await;
    assert_eq!(
        seen,
        Seen {
            via_client_layer_edited: "hop=edge%201".into(),
            ..Seen::default()
        }
    );
}

#[tokio::test]
async fn an_edge_can_let_in_only_some_keys() {
    let seen = through(
        ServerLayer::default().keep_baggage_members(["tenant", "class"]),
        &[
            ("traceparent", TRACEPARENT),
            (
                "baggage",
                "session=s3cr3t,tenant=acme;p, class = batch,debug=1",
            ),
        ],
    )
    .await;
    assert_eq!(seen.extension, "tenant=acme;p,class = batch");
    assert_eq!(seen.via_client_layer, "tenant=acme;p,class = batch");
    assert_eq!(seen.via_outgoing_headers, "tenant=acme;p,class = batch");
    let none = through(
        ServerLayer::default().keep_baggage_members(["tenant"]),
        &[("baggage", "session=s3cr3t")],
    )
    .await;
    assert_eq!(none.extension, "");
}

#[tokio::test]
async fn dropped_members_are_reported_and_the_rest_kept() {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&reports);
    let layer = ServerLayer::default().on_report(move |r| sink.lock().unwrap().push(*r));
    let many = (0..70)
        .map(|i| format!("k{i}=v"))
        .collect::<Vec<_>>()
        .join(",");
    let seen = through(
        layer.clone(),
        &[("traceparent", TRACEPARENT), ("baggage", "ok=1,bad key=2")],
    )
    .await;
    assert_eq!(seen.extension, "ok=1");
    let seen = through(layer, &[("baggage", &many)]).await;
    assert_eq!(seen.via_client_layer.matches('=').count(), 64);
    let reports = reports.lock().unwrap();
    let Report::BaggageDropped(first) = reports[0] else {
        panic!("{reports:?}")
    };
    assert_eq!((first.kind(), first.member()), (ErrorKind::Member, Some(2)));
    assert!(!reports[0].restarts_trace());
    assert_eq!(
        reports[0].to_string(),
        "baggage members dropped: baggage: no '=' between key and value in member 2 at byte 9"
    );
    // No traceparent, and 6 members too many: two reports.
    assert_eq!(reports[1], Report::NoTraceparent);
    let Report::BaggageDropped(limit) = reports[2] else {
        panic!("{reports:?}")
    };
    assert_eq!(
        (limit.kind(), limit.member()),
        (ErrorKind::MemberCount, Some(65))
    );
    assert_eq!(reports.len(), 3);
}

#[tokio::test]
async fn a_client_can_keep_baggage_in() {
    let addr = downstream().await;
    let url = format!("http://{addr}/");
    let http = Client::builder(TokioExecutor::new()).build_http::<Body>();
    let baggage = SharedBaggage::from(&"tenant=acme".parse::<Baggage>().unwrap());
    for (layer, want) in [
        (ClientLayer::new(), "tenant=acme"),
        (ClientLayer::new().baggage(false), "x=1"),
    ] {
        let mut client = ServiceBuilder::new().layer(layer).service(http.clone());
        let request = Request::get(&url)
            .header("baggage", "x=1")
            .body(Body::empty())
            .unwrap();
        let call = async { client.ready().await.unwrap().call(request).await };
        let sent = call.with_baggage(baggage.clone()).await.unwrap();
        assert_eq!(hyper_text(sent).await, want);
    }
    // Baggage given with the request wins over the current baggage; an empty
    // current baggage leaves a header set by hand alone.
    let mut client = ServiceBuilder::new()
        .layer(ClientLayer::new())
        .service(http);
    let mut request = Request::get(&url).body(Body::empty()).unwrap();
    request.extensions_mut().insert(baggage.clone());
    let sent = client.ready().await.unwrap().call(request).await.unwrap();
    assert_eq!(hyper_text(sent).await, "tenant=acme");
    let request = Request::get(&url)
        .header("baggage", "by=hand")
        .body(Body::empty())
        .unwrap();
    let sent = client.ready().await.unwrap().call(request).await.unwrap();
    assert_eq!(hyper_text(sent).await, "by=hand");
}

#[test]
fn bound_threads_and_scopes_carry_baggage() {
    let baggage = SharedBaggage::from(&"a=1".parse::<Baggage>().unwrap());
    let job = current::scope_baggage(baggage.clone(), || current::bind(current::baggage));
    assert_eq!(std::thread::spawn(job).join().unwrap(), baggage);
    assert!(current::baggage().is_empty());
    let caught = std::panic::catch_unwind(|| {
        current::scope_baggage(baggage.clone(), || panic!("inside"));
    });
    assert!(caught.is_err());
    assert!(current::with_baggage(SharedBaggage::is_empty));
}
