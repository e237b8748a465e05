//! Trace ids for log lines: the current ids for any logger, and (feature
//! `tracing`) the span the server layer opens for each request.

use core::fmt;

use tracecontext::{Context, SpanId, TraceId};

/// The ids of a context, for a log line: `Display` writes
/// `trace_id=<32 hex> span_id=<16 hex> parent_span_id=<16 hex or -> sampled=<bool>`,
/// and the fields are public for structured loggers (JSON, `log`'s key-values).
///
/// ```
/// use tracecontext::{Context, SpanId, TraceFlags, TraceId};
/// use tracecontext_tower::{Ids, current};
///
/// let context = Context::new(
///     TraceId::from_static("4bf92f3577b34da6a3ce929d0e0e4736"),
///     SpanId::from_static("00f067aa0ba902b7"),
///     TraceFlags::SAMPLED,
/// );
/// current::scope(context, || {
///     let ids = Ids::current().unwrap();
///     assert_eq!(
///         ids.to_string(),
///         "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7 parent_span_id=- sampled=true"
///     );
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Ids {
    /// The trace-id.
    pub trace_id: TraceId,
    /// This span's id.
    pub span_id: SpanId,
    /// The parent span's id (`None` for a root, or a context read from a caller).
    pub parent_span_id: Option<SpanId>,
    /// Whether the trace is sampled.
    pub sampled: bool,
}

impl Ids {
    /// The ids of `context`.
    #[must_use]
    pub fn of(context: &Context) -> Self {
        Self {
            trace_id: context.trace_id(),
            span_id: context.span_id(),
            parent_span_id: context.parent_span_id(),
            sampled: context.is_sampled(),
        }
    }

    /// The ids of the [current](mod@crate::current) context, if there is one.
    #[must_use]
    pub fn current() -> Option<Self> {
        crate::current::with(|context| context.map(Self::of))
    }
}

impl fmt::Display for Ids {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "trace_id={} span_id={} parent_span_id=",
            self.trace_id, self.span_id
        )?;
        match self.parent_span_id {
            Some(parent) => write!(f, "{parent}")?,
            None => f.write_str("-")?,
        }
        write!(f, " sampled={}", self.sampled)
    }
}

/// The `tracing` span a future or a closure runs in, beside its context: the
/// request's span the server layer opens, or the span current when a task was
/// wrapped for `spawn`. Nothing without the `tracing` feature.
pub(crate) struct LogSpan {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl LogSpan {
    /// The span of one request, whose fields are its context's ids.
    #[cfg(feature = "tracing")]
    pub(crate) fn request<B>(context: &Context, request: &http::Request<B>) -> Self {
        let span = tracing::info_span!(
            "request",
            method = %request.method(),
            path = request.uri().path(),
            trace_id = %context.trace_id(),
            span_id = %context.span_id(),
            parent_span_id = tracing::field::Empty,
            sampled = context.is_sampled(),
        );
        if let Some(parent) = context.parent_span_id() {
            span.record("parent_span_id", tracing::field::display(parent));
        }
        Self { span }
    }

    #[cfg(not(feature = "tracing"))]
    pub(crate) fn request<B>(_: &Context, _: &http::Request<B>) -> Self {
        Self {}
    }

    /// The span current now, to enter again elsewhere.
    pub(crate) fn current() -> Self {
        Self {
            #[cfg(feature = "tracing")]
            span: tracing::Span::current(),
        }
    }

    /// No span: what runs in it stays in the span of whoever runs it.
    pub(crate) fn none() -> Self {
        Self {
            #[cfg(feature = "tracing")]
            span: tracing::Span::none(),
        }
    }

    #[inline]
    pub(crate) fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        #[cfg(feature = "tracing")]
        let _entered = self.span.enter();
        f()
    }
}

impl fmt::Debug for LogSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("LogSpan");
        #[cfg(feature = "tracing")]
        out.field("span", &self.span);
        out.finish()
    }
}

/// Notes the span-id an outgoing request carries (feature `tracing`: a `debug`
/// event, written in the current span), so that a log links the callee's
/// `parent_span_id` to the caller's span.
pub(crate) fn outgoing(child: &Context) {
    #[cfg(feature = "tracing")]
    tracing::debug!(target: "tracecontext", call_span_id = %child.span_id(), "outgoing request");
    #[cfg(not(feature = "tracing"))]
    let _ = child;
}

/// What the server layer does with a report when no hook is set.
pub(crate) fn default_report(report: &crate::Report) {
    #[cfg(feature = "tracing")]
    tracing::debug!(target: "tracecontext", reason = %report, "request headers not taken as they came");
    #[cfg(not(feature = "tracing"))]
    let _ = report;
}
