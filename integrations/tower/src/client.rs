//! The client side: every outgoing request carries a child of the current context.

use core::fmt;
use core::task::{Context as TaskContext, Poll};

use http::{HeaderMap, Request};
use tower_layer::Layer;
use tower_service::Service;
use tracecontext::baggage::SharedBaggage;
use tracecontext::{Context, ThreadIds};

/// The [`Layer`] that sends the trace context on with every request.
///
/// For each request it takes the parent: a [`Context`] in the request's extensions
/// if there is one (to choose it per request), else the
/// [current](mod@crate::current) context. It makes a child of it (a new span-id: the
/// span of this call) and writes `traceparent` and `tracestate` into the request's
/// headers, replacing any there. With no parent, the request goes out as it is.
///
/// It sends baggage the same way: a [`SharedBaggage`] in the request's extensions,
/// else the [current baggage](crate::current::baggage), as one `baggage` header
/// (replacing any there) when it is not empty. [`baggage(false)`](Self::baggage)
/// turns this off, for calls leaving the system.
///
/// Both are read when `call` is made, not when its future is polled: to send
/// another context or baggage, make the call inside
/// [`current::scope`](crate::current::scope) or in a future wrapped with
/// [`with_baggage`](crate::FutureExt::with_baggage).
///
/// Every call makes a new child, so a retry (a `tower::retry` layer outside this
/// one, or a loop calling again) is a new span under the same parent. The callee
/// logs that span-id as its `parent_span_id`; with the `tracing` feature each call
/// writes a `debug` event (target `tracecontext`, field `call_span_id`) in the
/// caller's span, which links the two services' log lines.
///
/// It works for any service of `http::Request`: hyper-util's client, tonic's
/// `Channel`, a `tower::ServiceBuilder` stack.
///
/// ```
/// use tower::ServiceBuilder;
/// use tracecontext_tower::ClientLayer;
///
/// # fn client(channel: tonic::transport::Channel) {
/// // A tonic channel whose calls carry the context: pass `channel` to a generated
/// // client (`GreeterClient::new(channel)`).
/// let channel = ServiceBuilder::new().layer(ClientLayer::new()).service(channel);
/// # drop(channel);
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
#[must_use]
pub struct ClientLayer {
    baggage: bool,
}

impl ClientLayer {
    /// The layer, sending trace context and baggage.
    pub const fn new() -> Self {
        Self { baggage: true }
    }

    /// Whether calls carry the baggage (on by default).
    pub const fn baggage(self, on: bool) -> Self {
        Self { baggage: on }
    }
}

impl Default for ClientLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> Layer<S> for ClientLayer {
    type Service = ClientService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClientService {
            inner,
            baggage: self.baggage,
        }
    }
}

/// The service made by [`ClientLayer`].
#[derive(Clone)]
pub struct ClientService<S> {
    inner: S,
    baggage: bool,
}

impl<S: fmt::Debug> fmt::Debug for ClientService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientService")
            .field("inner", &self.inner)
            .field("baggage", &self.baggage)
            .finish()
    }
}

impl<S, B> Service<Request<B>> for ClientService<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let child = match request.extensions().get::<Context>() {
            Some(parent) => Some(parent.child(&mut ThreadIds)),
            None => crate::current::with(|parent| parent.map(|p| p.child(&mut ThreadIds))),
        };
        if let Some(child) = child {
            write(&child, request.headers_mut());
        }
        if self.baggage {
            match request.extensions().get::<SharedBaggage>().cloned() {
                Some(baggage) => write_baggage(&baggage, request.headers_mut()),
                None => crate::current::with_baggage(|b| write_baggage(b, request.headers_mut())),
            }
        }
        self.inner.call(request)
    }
}

/// Writes `context`'s headers into `headers`. A `HeaderMap` takes every valid
/// header, and the context's are valid by construction, so nothing can fail here.
fn write(context: &Context, headers: &mut HeaderMap) {
    crate::log::outgoing(context);
    let written = context.inject(headers);
    debug_assert!(written.is_ok(), "{written:?}");
}

/// Writes `baggage` as the `baggage` header, unless it is empty (then any header
/// already there stays).
fn write_baggage(baggage: &SharedBaggage, headers: &mut HeaderMap) {
    if !baggage.is_empty() {
        let written = baggage.inject(headers);
        debug_assert!(written.is_ok(), "{written:?}");
    }
}

/// The headers for an outgoing request made without a tower client (reqwest, say):
/// a child of the current context, as `traceparent` and `tracestate`, and the
/// current baggage as `baggage` when there is some. Empty when there is neither. Call it once per request: each call is a new span
/// (logged as [`ClientLayer`] logs its calls).
///
/// ```
/// # async fn call(client: reqwest::Client) -> Result<(), reqwest::Error> {
/// let response = client
///     .get("http://orders.internal/orders/7")
///     .headers(tracecontext_tower::outgoing_headers())
///     .send()
///     .await?;
/// # drop(response);
/// # Ok(())
/// # }
/// ```
#[must_use]
pub fn outgoing_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    crate::current::with(|parent| {
        if let Some(parent) = parent {
            write(&parent.child(&mut ThreadIds), &mut headers);
        }
    });
    crate::current::with_baggage(|baggage| write_baggage(baggage, &mut headers));
    headers
}
