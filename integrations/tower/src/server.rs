//! The server side: every request continues its caller's trace, or starts one.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context as TaskContext, Poll, ready};
use std::sync::Arc;

use http::{HeaderMap, HeaderValue, Request, Response};
use tower_layer::Layer;
use tower_service::Service;
use tracecontext::baggage::{Baggage, BaggageView, SharedBaggage};
use tracecontext::response::SERVER_TIMING;
use tracecontext::sampling::{AlwaysOn, Decision, Input, Parent, ParentBased, Sampler};
use tracecontext::{Context, Error, Extracted, ThreadIds};

use crate::current::WithContext;
use crate::log::LogSpan;

/// A shared sampler, as the layer holds it.
pub type SharedSampler = Arc<dyn Sampler + Send + Sync>;

/// A hook told why a request's trace context or baggage was not taken as it came.
type ReportHook = Arc<dyn Fn(&Report) + Send + Sync>;

/// The [`Layer`] that gives every request a trace context.
///
/// For each request it reads `traceparent` and `tracestate` with the core crate's
/// strict rules ([`tracecontext::extract`]), asks the sampler, and makes this
/// service's context: a child of the caller's, or a new root when the request has
/// no valid `traceparent`. That context (a [`tracecontext::Context`]) is
///
/// - in the request's extensions, for handlers (axum: `Extension<Context>`);
/// - the [current](mod@crate::current) context while the inner service runs, so code
///   called from the handler and tasks it spawns with
///   [`in_current_context`](crate::current::FutureExt::in_current_context) see it,
///   and the [`ClientLayer`](crate::ClientLayer) sends it on;
/// - with the `tracing` feature, in a `request` span's fields (`trace_id`,
///   `span_id`, `parent_span_id`, `sampled`), so every log line of the request
///   carries them.
///
/// It also reads the request's `baggage` fields, on their own (a missing or invalid
/// `traceparent` does not drop them), into a
/// [`SharedBaggage`](tracecontext::baggage::SharedBaggage): in the extensions
/// when there is some (axum: `Option<Extension<SharedBaggage>>`; a request without
/// baggage costs nothing) and the [current baggage](crate::current::baggage)
/// (empty when there is none), which the
/// [`ClientLayer`](crate::ClientLayer) sends on. An edge that must not pass on what
/// callers put there turns this off with [`baggage(false)`](Self::baggage).
///
/// Why a trace restarted (no or an invalid `traceparent`), lost its `tracestate`
/// or some baggage members goes to the [`on_report`](Self::on_report) hook: by
/// default nothing, or a `debug` event with the `tracing` feature.
///
/// The layer works for any service of `http::Request`: axum routers, hyper
/// services, tonic servers (`Server::builder().layer(..)`).
///
/// ```
/// use axum::{Extension, Router, routing::get};
/// use tracecontext::Context;
/// use tracecontext::sampling::Configured;
/// use tracecontext_tower::ServerLayer;
///
/// async fn handler(Extension(context): Extension<Context>) -> String {
///     format!("trace {}", context.trace_id())
/// }
///
/// // The sampler named by OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG.
/// let (sampler, _problem) = Configured::from_env();
/// let app: Router = Router::new()
///     .route("/", get(handler))
///     .layer(ServerLayer::new(sampler).server_timing(true));
/// ```
#[derive(Clone)]
#[must_use]
pub struct ServerLayer {
    config: Arc<Config>,
}

#[derive(Clone)]
struct Config {
    sampler: SharedSampler,
    untrusted: bool,
    tracestate: Incoming,
    server_timing: bool,
    baggage: bool,
    baggage_keys: Option<Arc<[String]>>,
    report: Option<ReportHook>,
}

/// What the layer does with an incoming `tracestate`.
#[derive(Clone, Debug)]
enum Incoming {
    Keep,
    Drop,
    Remove(Arc<[String]>),
}

impl Default for ServerLayer {
    /// The OpenTelemetry default sampler, `parentbased_always_on`: a caller's
    /// decision is followed, a new trace is sampled.
    fn default() -> Self {
        Self::new(ParentBased::new(AlwaysOn))
    }
}

impl ServerLayer {
    /// A layer deciding with `sampler`, shared by every request (and every clone of
    /// the layer).
    pub fn new(sampler: impl Sampler + Send + Sync + 'static) -> Self {
        Self::with_shared_sampler(Arc::new(sampler))
    }

    /// A layer deciding with a sampler already shared, for one sampler across
    /// several layers (a rate limit for the whole process, say).
    pub fn with_shared_sampler(sampler: SharedSampler) -> Self {
        Self {
            config: Arc::new(Config {
                sampler,
                untrusted: false,
                tracestate: Incoming::Keep,
                server_timing: false,
                baggage: true,
                baggage_keys: None,
                report: None,
            }),
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(Arc::make_mut(&mut self.config));
        self
    }

    /// For a trust boundary (an edge facing the internet): a caller's sampled flag
    /// and `ot` threshold do not count. The sampler decides for a request with a
    /// valid `traceparent` as for a new trace
    /// ([`Input::ignoring_parent`]); the trace-id is still continued.
    pub fn untrusted(self) -> Self {
        self.edit(|c| c.untrusted = true)
    }

    /// Drops every incoming `tracestate` member (before the sampler decides, so an
    /// incoming `ot` does not count either).
    pub fn drop_tracestate(self) -> Self {
        self.edit(|c| c.tracestate = Incoming::Drop)
    }

    /// Drops the incoming `tracestate` members with these keys, and keeps the rest
    /// as they came.
    pub fn drop_tracestate_members<K: Into<String>>(
        self,
        keys: impl IntoIterator<Item = K>,
    ) -> Self {
        let keys: Arc<[String]> = keys.into_iter().map(Into::into).collect();
        self.edit(|c| c.tracestate = Incoming::Remove(keys))
    }

    /// Whether responses carry `server-timing: trace;desc=<traceparent>` (rule R1
    /// of the core crate's rules), telling the caller which trace and span
    /// answered. Off by default: it shows callers this service's ids.
    pub fn server_timing(self, on: bool) -> Self {
        self.edit(|c| c.server_timing = on)
    }

    /// Whether the request's `baggage` is read, handed to handlers and sent on by
    /// the client layer (on by default). Off, incoming baggage goes no further
    /// than this layer: for an edge facing callers it does not trust, since
    /// baggage is whatever the caller put there.
    pub fn baggage(self, on: bool) -> Self {
        self.edit(|c| c.baggage = on)
    }

    /// Lets in only the incoming `baggage` members with these keys, as they came;
    /// the others go no further than this layer (handlers, the current baggage
    /// and outgoing calls never see them). For an edge that passes on a few
    /// agreed keys and nothing else.
    ///
    /// ```
    /// use tracecontext_tower::ServerLayer;
    ///
    /// let edge = ServerLayer::default().keep_baggage_members(["tenant", "request.class"]);
    /// # drop(edge);
    /// ```
    pub fn keep_baggage_members<K: Into<String>>(self, keys: impl IntoIterator<Item = K>) -> Self {
        let keys: Arc<[String]> = keys.into_iter().map(Into::into).collect();
        self.edit(|c| {
            c.baggage = true;
            c.baggage_keys = Some(keys);
        })
    }

    /// Calls `hook` for each request whose trace context was not taken as it came:
    /// no `traceparent`, an invalid one (the trace restarts), or a `tracestate`
    /// dropped (the trace continues); and for each whose baggage lost members
    /// (invalid, or past 64 members or 8192 bytes). It runs inside the request's context (and
    /// `tracing` span), so a log line written there carries the new ids.
    ///
    /// ```
    /// use tracecontext_tower::ServerLayer;
    ///
    /// let layer = ServerLayer::default().on_report(|report| {
    ///     if report.restarts_trace() {
    ///         eprintln!("{report}"); // e.g. "invalid traceparent, new trace: ..."
    ///     }
    /// });
    /// # drop(layer);
    /// ```
    pub fn on_report(self, hook: impl Fn(&Report) + Send + Sync + 'static) -> Self {
        let hook: ReportHook = Arc::new(hook);
        self.edit(|c| c.report = Some(hook))
    }
}

impl fmt::Debug for ServerLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerLayer")
            .field("untrusted", &self.config.untrusted)
            .field("tracestate", &self.config.tracestate)
            .field("server_timing", &self.config.server_timing)
            .field("baggage", &self.config.baggage)
            .field("baggage_keys", &self.config.baggage_keys)
            .field("report", &self.config.report.is_some())
            .finish_non_exhaustive()
    }
}

impl<S> Layer<S> for ServerLayer {
    type Service = ServerService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ServerService {
            inner,
            config: Arc::clone(&self.config),
        }
    }
}

/// Why a request's trace context or baggage was not taken as it came: what
/// [`ServerLayer::on_report`] is told. `Display` gives one line for a log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Report {
    /// No `traceparent`: a new trace.
    NoTraceparent,
    /// An invalid `traceparent`, or more than one: a new trace.
    InvalidTraceparent(Error),
    /// The trace continues, but its `tracestate` was invalid and dropped.
    TracestateDropped(Error),
    /// Some `baggage` members were dropped (the others are kept): the first
    /// one's error, numbered among the request's members.
    BaggageDropped(Error),
}

impl Report {
    /// Whether the request starts a new trace.
    #[must_use]
    pub const fn restarts_trace(&self) -> bool {
        matches!(self, Self::NoTraceparent | Self::InvalidTraceparent(_))
    }

    /// The header error, when there was one.
    #[must_use]
    pub const fn error(&self) -> Option<Error> {
        match self {
            Self::NoTraceparent => None,
            Self::InvalidTraceparent(error)
            | Self::TracestateDropped(error)
            | Self::BaggageDropped(error) => Some(*error),
        }
    }

    fn of(extracted: &Extracted<'_>) -> Option<Self> {
        match extracted {
            Extracted::Missing => Some(Self::NoTraceparent),
            Extracted::Invalid(error) => Some(Self::InvalidTraceparent(*error)),
            Extracted::Continued {
                tracestate_error: Some(error),
                ..
            } => Some(Self::TracestateDropped(*error)),
            Extracted::Continued { .. } => None,
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoTraceparent => f.write_str("no traceparent, new trace"),
            Self::InvalidTraceparent(error) => write!(f, "invalid traceparent, new trace: {error}"),
            Self::TracestateDropped(error) => write!(f, "tracestate dropped: {error}"),
            Self::BaggageDropped(error) => write!(f, "baggage members dropped: {error}"),
        }
    }
}

/// The sampler behind [`ServerLayer::untrusted`]: a remote parent's flags and
/// threshold do not reach it.
struct IgnoringRemote<'s>(&'s (dyn Sampler + Send + Sync));

impl Sampler for IgnoringRemote<'_> {
    fn decide(&self, input: &Input<'_>) -> Decision {
        match input.parent() {
            Parent::Remote(_) => self.0.decide(&input.ignoring_parent()),
            _ => self.0.decide(input),
        }
    }
}

impl Config {
    /// This service's context for a request with these headers, and what to report.
    fn context(&self, headers: &HeaderMap) -> (Context, Option<Report>) {
        // The extracted context is used where it is: a borrowed context holds its
        // tracestate inline, and moving it would copy hundreds of bytes.
        let mut extracted = tracecontext::extract(headers);
        let report = Report::of(&extracted);
        let sampler = &*self.sampler;
        if let Extracted::Continued { parent, .. } = &mut extracted {
            match &self.tracestate {
                Incoming::Keep => {}
                Incoming::Drop => parent.edit_tracestate(|state| state.clear()),
                Incoming::Remove(keys) => parent.edit_tracestate(|state| {
                    for key in keys.iter() {
                        state.remove(key);
                    }
                }),
            }
        }
        let Some(parent) = extracted.parent() else {
            return (Context::root(&mut ThreadIds, sampler).0, report);
        };
        let (child, _) = if self.untrusted {
            parent.child_decided(&mut ThreadIds, &IgnoringRemote(sampler))
        } else {
            parent.child_decided(&mut ThreadIds, sampler)
        };
        (child.into_owned(), report)
    }

    /// The request's baggage, and what to report about it.
    fn baggage(&self, headers: &HeaderMap) -> (SharedBaggage, Option<Report>) {
        if !self.baggage {
            return (SharedBaggage::EMPTY, None);
        }
        let view = BaggageView::extract(headers);
        let report = view.problem().map(Report::BaggageDropped);
        let Some(keys) = &self.baggage_keys else {
            return (SharedBaggage::from(&view), report);
        };
        let mut kept = Baggage::from(&view);
        kept.retain(|member| keys.iter().any(|key| key == member.key()));
        (SharedBaggage::from(&kept), report)
    }

    fn report(&self, report: &Report) {
        match &self.report {
            Some(hook) => hook(report),
            None => crate::log::default_report(report),
        }
    }
}

/// The service made by [`ServerLayer`].
#[derive(Clone)]
pub struct ServerService<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S: fmt::Debug> fmt::Debug for ServerService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, B, R> Service<Request<B>> for ServerService<S>
where
    S: Service<Request<B>, Response = Response<R>>,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = ServerFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let (context, report) = self.config.context(request.headers());
        let (baggage, baggage_report) = self.config.baggage(request.headers());
        let span = LogSpan::request(&context, &request);
        let timing = if self.config.server_timing {
            HeaderValue::from_str(context.server_timing().as_str()).ok()
        } else {
            None
        };
        request.extensions_mut().insert(context.clone());
        if !baggage.is_empty() {
            request.extensions_mut().insert(baggage.clone());
        }
        // The inner service's `call` may do work before its future: it runs in the
        // request's context too.
        let inner = span.in_scope(|| {
            let _entered = crate::current::enter(context.clone());
            for report in report.iter().chain(&baggage_report) {
                self.config.report(report);
            }
            crate::current::scope_baggage(baggage.clone(), || self.inner.call(request))
        });
        ServerFuture {
            inner: WithContext::in_span(inner, Some(context), baggage, span),
            timing,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`ServerService`]: the inner service's, run in the
    /// request's context.
    #[must_use = "futures do nothing unless polled"]
    pub struct ServerFuture<F> {
        #[pin]
        inner: WithContext<F>,
        timing: Option<HeaderValue>,
    }
}

impl<F: fmt::Debug> fmt::Debug for ServerFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerFuture")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<F, R, E> Future for ServerFuture<F>
where
    F: Future<Output = Result<Response<R>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        Poll::Ready(result.map(|mut response| {
            if let Some(timing) = this.timing.take() {
                response.headers_mut().append(SERVER_TIMING, timing);
            }
            response
        }))
    }
}
