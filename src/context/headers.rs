//! The header values of a context, ready to write.

use crate::carrier::Injector;
use crate::error::Error;
use crate::traceparent::TRACEPARENT;
use crate::tracestate::TRACESTATE;

/// The encoded headers of a [`Context`](crate::Context), borrowed from it: from
/// [`Context::headers`](crate::Context::headers).
///
/// Iterating gives the `(name, value)` pairs to send, for request builders that take
/// headers one at a time:
///
/// ```
/// use tracecontext::{Context, SpanId, TraceFlags, TraceId};
///
/// let context = Context::new(
///     TraceId::from_static("4bf92f3577b34da6a3ce929d0e0e4736"),
///     SpanId::from_static("00f067aa0ba902b7"),
///     TraceFlags::SAMPLED,
/// );
/// let mut request = Vec::new(); // a request builder, say
/// for (name, value) in context.headers() {
///     request.push(format!("{name}: {value}"));
/// }
/// assert_eq!(request, ["traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Headers<'c> {
    traceparent: &'c str,
    tracestate: Option<&'c str>,
}

impl<'c> Headers<'c> {
    pub(super) fn new(traceparent: &'c str, tracestate: &'c str) -> Self {
        Self {
            traceparent,
            tracestate: if tracestate.is_empty() {
                None
            } else {
                Some(tracestate)
            },
        }
    }

    /// The `traceparent` value.
    #[must_use]
    pub const fn traceparent(&self) -> &'c str {
        self.traceparent
    }

    /// The `tracestate` value, or `None` when there is none to send (rule
    /// [S10](crate::rules#s10)).
    #[must_use]
    pub const fn tracestate(&self) -> Option<&'c str> {
        self.tracestate
    }

    /// Writes the headers into `carrier` under lowercase names; when there is no
    /// `tracestate`, removes one left in the carrier.
    ///
    /// # Errors
    ///
    /// When the carrier refuses a header, or has no room for it.
    pub fn inject<I: Injector<'c> + ?Sized>(&self, carrier: &mut I) -> Result<(), Error> {
        carrier.set(TRACEPARENT, self.traceparent)?;
        match self.tracestate {
            Some(tracestate) => carrier.set(TRACESTATE, tracestate),
            None => {
                carrier.remove(TRACESTATE);
                Ok(())
            }
        }
    }
}

impl<'c> IntoIterator for Headers<'c> {
    type Item = (&'static str, &'c str);
    type IntoIter = core::iter::Chain<
        core::iter::Once<(&'static str, &'c str)>,
        core::option::IntoIter<(&'static str, &'c str)>,
    >;

    /// `("traceparent", value)`, then `("tracestate", value)` when there is one.
    fn into_iter(self) -> Self::IntoIter {
        core::iter::once((TRACEPARENT, self.traceparent))
            .chain(self.tracestate.map(|value| (TRACESTATE, value)))
    }
}
