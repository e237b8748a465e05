//! The layers' services pass readiness through, and every public type prints
//! something useful with `Debug`.

use std::convert::Infallible;
use std::future::Ready;
use std::task::{Context as TaskContext, Poll, Waker};

use http::{Request, Response};
use tower::{Layer, Service, ServiceExt};
use tracecontext::{Context, SpanId, TraceFlags, TraceId};
use tracecontext_tower::{ClientLayer, FutureExt, ServerLayer, current};

/// A service that is not ready once, then fails readiness, then is ready.
#[derive(Debug, Default)]
struct Busy {
    polls: usize,
}

impl Service<Request<()>> for Busy {
    type Response = Response<()>;
    type Error = &'static str;
    type Future = Ready<Result<Response<()>, &'static str>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.polls += 1;
        match self.polls {
            1 => Poll::Pending,
            2 => Poll::Ready(Err("busy")),
            _ => Poll::Ready(Ok(())),
        }
    }

    fn call(&mut self, _: Request<()>) -> Self::Future {
        std::future::ready(Ok(Response::new(())))
    }
}

fn readiness<S: Service<Request<()>, Error = &'static str>>(mut service: S) -> Vec<String> {
    let mut cx = TaskContext::from_waker(Waker::noop());
    (0..3)
        .map(|_| format!("{:?}", service.poll_ready(&mut cx)))
        .collect()
}

#[test]
fn readiness_is_the_inner_services() {
    let want = ["Pending", "Ready(Err(\"busy\"))", "Ready(Ok(()))"];
    assert_eq!(readiness(Busy::default()), want);
    assert_eq!(
        readiness(ServerLayer::default().layer(Busy::default())),
        want
    );
    assert_eq!(readiness(ClientLayer::new().layer(Busy::default())), want);
}

fn context() -> Context {
    Context::new(
        TraceId::from_static("4bf92f3577b34da6a3ce929d0e0e4736"),
        SpanId::from_static("00f067aa0ba902b7"),
        TraceFlags::SAMPLED,
    )
}

#[tokio::test]
async fn debug_output_names_the_type_and_its_settings() {
    let layer = ServerLayer::default().server_timing(true).untrusted();
    let printed = format!("{layer:?}");
    for part in [
        "ServerLayer",
        "untrusted: true",
        "server_timing: true",
        "report: false",
        "baggage: true",
    ] {
        assert!(printed.contains(part), "{printed}");
    }
    let layer = ServerLayer::default().drop_tracestate_members(["secret"]);
    assert!(format!("{layer:?}").contains("Remove([\"secret\"])"));

    let inner = tower::service_fn(|_: Request<()>| {
        std::future::ready(Ok::<_, Infallible>(Response::new(())))
    });
    let mut server = layer.layer(inner);
    assert!(format!("{server:?}").starts_with("ServerService { inner: "));
    let future = server.ready().await.unwrap().call(Request::new(()));
    assert!(format!("{future:?}").starts_with("ServerFuture { inner: WithContext { inner: "));
    future.await.unwrap();

    let client = ClientLayer::new().layer(Busy::default());
    assert_eq!(
        format!("{client:?}"),
        "ClientService { inner: Busy { polls: 0 }, baggage: true }"
    );

    let entered = current::enter(context());
    assert_eq!(format!("{entered:?}"), "Entered { .. }");
    drop(entered);
    let future = std::future::ready(()).with_context(context());
    let printed = format!("{future:?}");
    assert!(
        printed.contains("4bf92f3577b34da6a3ce929d0e0e4736"),
        "{printed}"
    );
    assert!(printed.contains("span: LogSpan"), "{printed}");
}
