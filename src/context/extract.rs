//! Reading a request's context: continue, or restart and say why.

use core::fmt;

use crate::carrier::{Extractor, Values};
use crate::error::Error;
use crate::random::IdSource;
use crate::sampling::OT_KEY;
use crate::sampling::{Decision, Sampler};
use crate::traceparent::{TRACEPARENT, TraceParent, trim_ows};
use crate::tracestate::{Builder, TRACESTATE, TraceState, Validation, validate_noting};

use super::Context;
use super::storage::Borrowed;

/// Reads the trace context of an incoming request, strictly.
///
/// Follows rules [T1](crate::rules#t1), [T7](crate::rules#t7), [T9](crate::rules#t9),
/// [T10](crate::rules#t10), [S1](crate::rules#s1), [S2](crate::rules#s2) and
/// [S6](crate::rules#s6): the result says whether the request
/// [continues](Extracted::Continued) a trace, carries [none](Extracted::Missing), or
/// carries an [invalid](Extracted::Invalid) one, and in the last two cases the
/// incoming `tracestate` is not even read. Nothing is allocated: a single valid
/// `tracestate` field is kept as a borrowed slice of the carrier and forwarded
/// verbatim, several fields are joined into an inline
/// [`TraceState`](crate::tracestate::TraceState) of 512 bytes (cut by rule [S9](crate::rules#s9)
/// if longer).
///
/// Pass a reference to the carrier (`extract(&headers)`, or
/// `extract(request.headers())` for an `http::HeaderMap`); the result borrows the
/// carrier's data.
///
/// ```
/// use tracecontext::sampling::{ParentBased, Probability};
/// use tracecontext::ThreadIds;
///
/// let incoming = [
///     ("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
///     ("tracestate", "congo=t61rcWkgMzE"),
/// ];
/// let extracted = tracecontext::extract(&incoming);
/// if extracted.parent().is_none() {
///     eprintln!("{extracted}"); // why: "no traceparent, new trace", ...
/// }
/// let sampler = ParentBased::new(Probability::new(0.1));
/// let (context, _) = extracted.child_or_root(&mut ThreadIds, &sampler);
///
/// // Borrowed pairs take the encoded headers without a copy; a `Vec`, a map or an
/// // `http::HeaderMap` works the same way.
/// let mut outgoing = [("", ""); 2];
/// context.inject(&mut outgoing)?;
/// assert_eq!(outgoing[0].1.get(..36), Some("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
/// assert_eq!(outgoing[1], ("tracestate", "congo=t61rcWkgMzE"));
/// # Ok::<(), tracecontext::Error>(())
/// ```
#[inline]
pub fn extract<'a>(carrier: impl Extractor<'a>) -> Extracted<'a> {
    Extracted::from_carrier(carrier, Validation::Strict)
}

/// What [`extract`] found in a request.
///
/// `Display` gives a one-line account for logs:
///
/// | found | `Display` |
/// |---|---|
/// | `Continued` | `continued trace 4bf92f3577b34da6a3ce929d0e0e4736` |
/// | `Continued`, `tracestate` dropped | `continued trace 4bf92f3577b34da6a3ce929d0e0e4736, tracestate dropped: tracestate: invalid character 'B' in key of member 2 at byte 4` |
/// | `Missing` | `no traceparent, new trace` |
/// | `Invalid` | `invalid traceparent, new trace: traceparent: all zeros is not allowed in trace-id at byte 3` |
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
#[allow(clippy::large_enum_variant)] // inline on purpose: extraction never allocates
pub enum Extracted<'a> {
    /// A valid `traceparent`: continue its trace from `parent`.
    Continued {
        /// The caller's context: its trace-id, span-id (the parent of this service's
        /// spans), flags and `tracestate`.
        parent: Context<Borrowed<'a>>,
        /// Why the incoming `tracestate` was dropped, if it was (rule
        /// [S6](crate::rules#s6)). The trace continues regardless (rule
        /// [T9](crate::rules#t9): a tracestate error never invalidates the
        /// traceparent).
        tracestate_error: Option<Error>,
    },
    /// No `traceparent`: start a new trace (rule [T10](crate::rules#t10)). Any
    /// `tracestate` was ignored.
    Missing,
    /// An invalid `traceparent`, or more than one (rule [T7](crate::rules#t7)):
    /// start a new trace (rule [T9](crate::rules#t9)). The `tracestate` was ignored
    /// unread.
    Invalid(Error),
}

/// The first value of the header `name` in `carrier`, and whether there was a
/// second.
#[inline]
fn first_two<'a>(carrier: &impl Extractor<'a>, name: &str) -> (Option<&'a [u8]>, bool) {
    let mut values = Values::first_two();
    carrier.get_all(name, &mut values);
    values.into_first_two()
}

impl<'a> Extracted<'a> {
    /// Reads the trace context from `carrier`, with the given `tracestate`
    /// validation. [`extract`] is this with [`Validation::Strict`].
    ///
    /// ```
    /// use tracecontext::{Extracted, Validation};
    ///
    /// let incoming = [
    ///     ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    ///     ("tracestate", "ok=1,Bad=2"),
    /// ];
    /// let lenient = Extracted::from_carrier(&incoming, Validation::Lenient);
    /// assert_eq!(lenient.parent().unwrap().tracestate().as_str(), "ok=1");
    /// // Strict (the default) drops the whole list, and says why.
    /// let strict = tracecontext::extract(&incoming);
    /// assert!(strict.parent().unwrap().tracestate().is_empty());
    /// assert!(strict.tracestate_error().is_some());
    /// ```
    #[inline]
    pub fn from_carrier(carrier: impl Extractor<'a>, validation: Validation) -> Self {
        let (first, more) = first_two(&carrier, TRACEPARENT);
        let Some(first) = first else {
            return Self::Missing;
        };
        if more {
            return Self::Invalid(Error::duplicate(TRACEPARENT));
        }
        let (traceparent, text) = match TraceParent::parse_with_text(first) {
            Ok(read) => read,
            Err(error) => return Self::Invalid(error),
        };
        // Each arm builds the result where it is returned: a state moved through a
        // local would be a 700-byte copy.
        match (first_two(&carrier, TRACESTATE), validation) {
            ((None, _), _) => Self::continued(&traceparent, text, Borrowed::NONE, None),
            ((Some(field), false), Validation::Strict) => match read_field(field) {
                Ok(field) => Self::continued_text(&traceparent, text, field),
                Err(error) => Self::continued(&traceparent, text, Borrowed::NONE, Some(error)),
            },
            _ => match join(&carrier, validation) {
                Ok(state) => Self::continued(&traceparent, text, Borrowed::inline(state), None),
                Err(error) => Self::continued(&traceparent, text, Borrowed::NONE, Some(error)),
            },
        }
    }

    #[inline(always)]
    fn continued(
        traceparent: &TraceParent,
        text: &[u8; TraceParent::LEN],
        state: Borrowed<'a>,
        error: Option<Error>,
    ) -> Self {
        Self::Continued {
            parent: Context::remote(traceparent, text, state),
            tracestate_error: error,
        }
    }

    /// [`continued`](Self::continued) with a single field's text, the state built
    /// where it is returned: passing a built one to [`Context::remote`] copies its
    /// whole inline form.
    #[inline(always)]
    fn continued_text(
        traceparent: &TraceParent,
        text: &[u8; TraceParent::LEN],
        field: Field<'a>,
    ) -> Self {
        Self::Continued {
            parent: Context {
                header: traceparent.resend(text),
                flags: traceparent.flags(),
                remote: true,
                parent_span_id: None,
                state: Borrowed::text(field.text, field.ot),
            },
            tracestate_error: None,
        }
    }

    /// The caller's context, when the trace continues.
    #[must_use]
    pub fn parent(&self) -> Option<&Context<Borrowed<'a>>> {
        match self {
            Self::Continued { parent, .. } => Some(parent),
            _ => None,
        }
    }

    /// The caller's context, when the trace continues.
    #[must_use]
    pub fn into_parent(self) -> Option<Context<Borrowed<'a>>> {
        match self {
            Self::Continued { parent, .. } => Some(parent),
            _ => None,
        }
    }

    /// Why the trace restarts: the `traceparent` error, for [`Invalid`](Self::Invalid).
    #[must_use]
    pub fn traceparent_error(&self) -> Option<&Error> {
        match self {
            Self::Invalid(error) => Some(error),
            _ => None,
        }
    }

    /// Why the incoming `tracestate` was dropped from a continued trace.
    #[must_use]
    pub fn tracestate_error(&self) -> Option<&Error> {
        match self {
            Self::Continued {
                tracestate_error, ..
            } => tracestate_error.as_ref(),
            _ => None,
        }
    }

    /// This service's context and the sampler's decision for it: when the trace
    /// continues, a child of the caller's ([`Context::child_decided`]: one new
    /// span-id); else a new root (a new trace-id and span-id, the random flag when
    /// `ids` promises random trace-ids, rule [T12](crate::rules#t12)).
    ///
    /// The result borrows the request like the extracted context does;
    /// [`into_owned`](Context::into_owned) makes the one to keep.
    pub fn child_or_root(
        &self,
        ids: &mut (impl IdSource + ?Sized),
        sampler: &(impl Sampler + ?Sized),
    ) -> (Context<Borrowed<'a>>, Decision) {
        match self {
            Self::Continued { parent, .. } => parent.child_decided(ids, sampler),
            _ => Context::make_root(ids, sampler),
        }
    }
}

impl fmt::Display for Extracted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Continued {
                parent,
                tracestate_error: None,
            } => write!(f, "continued trace {}", parent.trace_id()),
            Self::Continued {
                parent,
                tracestate_error: Some(error),
            } => write!(
                f,
                "continued trace {}, tracestate dropped: {error}",
                parent.trace_id()
            ),
            Self::Missing => f.write_str("no traceparent, new trace"),
            Self::Invalid(error) => write!(f, "invalid traceparent, new trace: {error}"),
        }
    }
}

/// One `tracestate` field, valid as a whole: forwarded as it came (less the
/// whitespace around it), with no copy. Where its `ot` value lies is noted on the
/// way, for the sampling decision.
#[inline]
fn read_field(field: &[u8]) -> Result<Field<'_>, Error> {
    let Some(noted) = validate_noting(field, OT_KEY.as_bytes())? else {
        return Ok(Field { text: "", ot: None });
    };
    let (lead, trimmed) = trim_ows(field);
    // Valid members are ASCII, so this never fails.
    let text = core::str::from_utf8(trimmed).unwrap_or_default();
    let ot = noted.value.map(|(start, end)| (start - lead, end - lead));
    Ok(Field { text, ot })
}

/// A valid `tracestate` field: its text, and where its `ot` value lies in it.
struct Field<'a> {
    text: &'a str,
    ot: Option<(usize, usize)>,
}

/// Several fields are joined (rule S2), and a lenient read keeps only the valid
/// members: either way the list to forward is a new one, built as the carrier hands
/// the fields over (twice, when the list must be cut to fit).
#[inline(never)]
fn join<'a>(carrier: &impl Extractor<'a>, validation: Validation) -> Result<TraceState, Error> {
    let mut builder = Builder::new(validation);
    let mut first = |field: &'a [u8]| builder.field(field);
    carrier.get_all(TRACESTATE, &mut Values::new(&mut first));
    builder.finish(|cut| {
        let mut second = |field: &'a [u8]| cut.field(field);
        carrier.get_all(TRACESTATE, &mut Values::new(&mut second));
    })
}
