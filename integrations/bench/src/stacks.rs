//! The server-side stacks compared, each around the same [`Bare`] service.
//!
//! | stack | what it does per request |
//! |---|---|
//! | [`Bare`] | answers at once |
//! | [`tracecontext_tower::ServerLayer`] | extract, decide (`parentbased_always_on`), child context, extension, current while the service runs; with `tracing` and a subscriber, a `request` span carrying the ids |
//! | [`OtelLayer`] | OpenTelemetry's `TraceContextPropagator` extracts; the SDK's tracer starts the child span (`parentbased_always_on`, no exporter); the `opentelemetry::Context` goes into the extensions and is attached while the service runs |
//! | [`OtelTracingLayer`] | the common `tracing` + `tracing-opentelemetry` stack: the propagator extracts, a `tracing` span gets the remote parent (`set_parent`), its OpenTelemetry context goes into the extensions, the future is instrumented with the span |
//!
//! The OpenTelemetry stacks are written as a competent user would write them (they
//! are what `axum-tracing-opentelemetry`-style middleware does), with the exporter
//! left out so that only propagation and span bookkeeping are measured.

use std::convert::Infallible;
use std::future::{Future, Ready};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Waker};

use http::{Request, Response};
use opentelemetry::context::FutureExt as _;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{TraceContextExt, Tracer as _, TracerProvider as _};
use opentelemetry_http::HeaderExtractor;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tower_layer::Layer;
use tower_service::Service;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;

/// The caller's `traceparent` in every request.
pub const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// Its trace-id.
pub const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
/// The 4-member `tracestate` of the second input.
pub const TRACESTATE: &str = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7,ot=th:8,vendor=x";

/// A request with the caller's `traceparent`, and its `tracestate` if asked.
#[must_use]
pub fn request(tracestate: bool) -> Request<()> {
    let mut request = Request::builder()
        .method("GET")
        .uri("/orders/7")
        .header("traceparent", TRACEPARENT);
    if tracestate {
        request = request.header("tracestate", TRACESTATE);
    }
    request.body(()).expect("a valid request")
}

/// The service every stack wraps: it answers at once and allocates nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bare;

impl<B> Service<Request<B>> for Bare {
    type Response = Response<()>;
    type Error = Infallible;
    type Future = Ready<Result<Response<()>, Infallible>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<B>) -> Self::Future {
        std::future::ready(Ok(Response::new(())))
    }
}

/// Runs a future that is ready at its first poll, as every stack's is here.
///
/// # Panics
///
/// If the future is not ready at once.
pub fn now<F: Future>(future: F) -> F::Output {
    let mut cx = TaskContext::from_waker(Waker::noop());
    match std::pin::pin!(future).poll(&mut cx) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the service was not ready at once"),
    }
}

/// One request through `service`, which must answer with a response.
///
/// # Panics
///
/// If the service is not ready at once.
pub fn serve<S>(service: &mut S, request: Request<()>) -> Response<()>
where
    S: Service<Request<()>, Response = Response<()>, Error = Infallible>,
{
    let Ok(response) = now(service.call(request));
    response
}

/// An SDK tracer provider with no exporter: spans are made, sampled
/// (`parentbased_always_on`, the SDK's default) and dropped.
#[must_use]
pub fn provider() -> SdkTracerProvider {
    SdkTracerProvider::builder().build()
}

/// The subscriber of the `tracing` + `tracing-opentelemetry` stack: a registry
/// with the OpenTelemetry layer over `provider`'s tracer.
#[must_use]
pub fn otel_subscriber(provider: &SdkTracerProvider) -> tracing::Dispatch {
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("bench"));
    tracing::Dispatch::new(tracing_subscriber::registry().with(layer))
}

/// A subscriber that keeps spans and prints nothing: a registry alone, for the
/// `tracing` span of [`tracecontext_tower::ServerLayer`].
#[must_use]
pub fn plain_subscriber() -> tracing::Dispatch {
    tracing::Dispatch::new(tracing_subscriber::registry())
}

/// OpenTelemetry's propagator and the SDK's tracer, without `tracing`.
#[derive(Clone, Debug)]
pub struct OtelLayer {
    propagator: Arc<TraceContextPropagator>,
    tracer: SdkTracer,
}

impl OtelLayer {
    /// The layer, starting spans with `provider`'s tracer.
    #[must_use]
    pub fn new(provider: &SdkTracerProvider) -> Self {
        Self {
            propagator: Arc::new(TraceContextPropagator::new()),
            tracer: provider.tracer("bench"),
        }
    }
}

impl<S> Layer<S> for OtelLayer {
    type Service = OtelService<S>;

    fn layer(&self, inner: S) -> OtelService<S> {
        OtelService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of [`OtelLayer`].
#[derive(Clone, Debug)]
pub struct OtelService<S> {
    inner: S,
    layer: OtelLayer,
}

impl<S, B> Service<Request<B>> for OtelService<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = opentelemetry::context::WithContext<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let parent = self
            .layer
            .propagator
            .extract(&HeaderExtractor(request.headers()));
        let span = self.layer.tracer.start_with_context("request", &parent);
        let context = parent.with_span(span);
        request.extensions_mut().insert(context.clone());
        let future = {
            let _attached = context.clone().attach();
            self.inner.call(request)
        };
        future.with_context(context)
    }
}

/// The `tracing` + `tracing-opentelemetry` stack: a `tracing` span per request
/// whose OpenTelemetry parent is the caller's.
#[derive(Clone, Debug, Default)]
pub struct OtelTracingLayer {
    propagator: Arc<TraceContextPropagator>,
}

impl<S> Layer<S> for OtelTracingLayer {
    type Service = OtelTracingService<S>;

    fn layer(&self, inner: S) -> OtelTracingService<S> {
        OtelTracingService {
            inner,
            propagator: Arc::clone(&self.propagator),
        }
    }
}

/// The service of [`OtelTracingLayer`].
#[derive(Clone, Debug)]
pub struct OtelTracingService<S> {
    inner: S,
    propagator: Arc<TraceContextPropagator>,
}

impl<S, B> Service<Request<B>> for OtelTracingService<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = tracing::instrument::Instrumented<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let parent = self.propagator.extract(&HeaderExtractor(request.headers()));
        let span = tracing::info_span!(
            "request",
            method = %request.method(),
            path = request.uri().path(),
        );
        // Without the OpenTelemetry layer in the subscriber this fails; the
        // checks in the tests make sure it does not.
        let _ = span.set_parent(parent);
        request.extensions_mut().insert(span.context());
        let future = span.in_scope(|| self.inner.call(request));
        future.instrument(span)
    }
}

/// What a service behind a stack sees: the trace-id of the context in its
/// request's extensions, and of the current context, in hex.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    /// The trace-id of the context in the request's extensions.
    pub extension: Option<String>,
    /// The trace-id of the current context.
    pub current: Option<String>,
    /// The span-id of the context in the request's extensions.
    pub span_id: Option<String>,
}

/// A service that records what it [`Seen`], for checking that each stack does
/// its job before it is timed.
#[derive(Clone, Debug, Default)]
pub struct Probe(pub Arc<std::sync::Mutex<Seen>>);

impl<B> Service<Request<B>> for Probe {
    type Response = Response<()>;
    type Error = Infallible;
    type Future = Ready<Result<Response<()>, Infallible>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let ours = request.extensions().get::<tracecontext::Context>();
        let theirs = request.extensions().get::<opentelemetry::Context>();
        let mut seen = self.0.lock().expect("not poisoned");
        seen.extension = ours
            .map(|c| c.trace_id().to_string())
            .or_else(|| theirs.map(|c| c.span().span_context().trace_id().to_string()));
        seen.span_id = ours
            .map(|c| c.span_id().to_string())
            .or_else(|| theirs.map(|c| c.span().span_context().span_id().to_string()));
        seen.current = tracecontext_tower::current()
            .map(|c| c.trace_id().to_string())
            .or_else(|| {
                let current = opentelemetry::Context::current();
                let span = current.span();
                let context = span.span_context();
                context.is_valid().then(|| context.trace_id().to_string())
            })
            .or_else(|| {
                // With `tracing-opentelemetry`, the current span's context.
                let current = tracing::Span::current().context();
                let span = current.span();
                let context = span.span_context();
                context.is_valid().then(|| context.trace_id().to_string())
            });
        std::future::ready(Ok(Response::new(())))
    }
}
