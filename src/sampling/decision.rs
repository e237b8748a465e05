//! What a sampler is told ([`Input`]) and what it answers ([`Decision`]).

use crate::encoded::Encoded;
use crate::error::Error;
use crate::flags::TraceFlags;
use crate::id::TraceId;

use super::MASK;
use super::OT_MAX_LEN;
use super::ot::{NO_OT, OtValue};
use super::threshold::Threshold;

/// The parent of the span being decided on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Parent {
    /// A new trace.
    None,
    /// A parent from another service (extracted from a request), with its flags.
    Remote(TraceFlags),
    /// A parent in this service, with its flags.
    Local(TraceFlags),
}

impl Parent {
    /// The parent's flags; `None` for a new trace.
    #[must_use]
    pub const fn flags(self) -> Option<TraceFlags> {
        match self {
            Self::None => None,
            Self::Remote(flags) | Self::Local(flags) => Some(flags),
        }
    }

    /// Whether the parent is sampled; `false` for a new trace.
    #[must_use]
    pub const fn is_sampled(self) -> bool {
        match self.flags() {
            Some(flags) => flags.is_sampled(),
            None => false,
        }
    }

    /// Whether the parent came from another service.
    #[must_use]
    pub const fn is_remote(self) -> bool {
        matches!(self, Self::Remote(_))
    }
}

/// Where the randomness `R` of a decision comes from (rule [P4](crate::rules#p4)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Randomness {
    /// The `rv` sub-key of the incoming `ot` value.
    Explicit(u64),
    /// The low 56 bits of a trace-id known to be random: the random flag is set, or
    /// the new trace's ID source promises random trace-ids.
    TraceId(u64),
    /// The low 56 bits of a trace-id not known to be random: a decision on it works,
    /// but its probability is only as good as the caller's IDs.
    UnflaggedTraceId(u64),
    /// Fresh random bits for a new trace whose trace-id is not random: a probability
    /// decision records them as `rv`.
    Fresh(u64),
}

impl Randomness {
    /// The 56-bit value `R`.
    #[must_use]
    pub const fn value(self) -> u64 {
        match self {
            Self::Explicit(r) | Self::TraceId(r) | Self::UnflaggedTraceId(r) | Self::Fresh(r) => r,
        }
    }
}

/// What a [`Sampler`](super::Sampler) is told about the span it decides on: its
/// parent, its trace-id, the incoming `ot` tracestate value, and where the
/// randomness `R` comes from.
///
/// The contexts build it; a sampler answers with one of [`follow`](Self::follow),
/// [`probability`](Self::probability) or
/// [`without_threshold`](Self::without_threshold), which apply rule
/// [P6](crate::rules#p6) to the `th` the span will carry, so a sampler written
/// outside the crate keeps the rules too.
///
/// ```
/// use tracecontext::sampling::{Decision, Input, Parent, Sampler};
/// use tracecontext::{TraceFlags, TraceId};
///
/// /// Keeps errors' traces: a sampler that follows the parent, except for one
/// /// caller that is always recorded.
/// struct Follow;
/// impl Sampler for Follow {
///     fn decide(&self, input: &Input<'_>) -> Decision {
///         input.follow(input.parent().is_sampled())
///     }
/// }
///
/// let trace_id = TraceId::from_u128(0x4bf92f3577b34da6a3ce929d0e0e4736).unwrap();
/// let parent = Parent::Remote(TraceFlags::SAMPLED | TraceFlags::RANDOM);
/// let input = Input::child(parent, trace_id, Some("th:c"));
/// let decision = Follow.decide(&input);
/// assert!(decision.is_sampled());
/// assert_eq!(decision.threshold(), input.threshold()); // consistent, passed on (P6)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Input<'a> {
    parent: Parent,
    trace_id: TraceId,
    random_trace_id: bool,
    ot: Option<OtValue<'a>>,
    ot_error: Option<Error>,
    fresh: Option<u64>,
}

impl Input<'static> {
    /// The input for a new trace: `random_trace_id` says whether the ID source
    /// promises random trace-ids (rule [T12](crate::rules#t12)).
    #[must_use]
    pub const fn root(trace_id: TraceId, random_trace_id: bool) -> Self {
        Self {
            parent: Parent::None,
            trace_id,
            random_trace_id,
            ot: None,
            ot_error: None,
            fresh: None,
        }
    }
}

impl<'a> Input<'a> {
    /// The input for a span whose parent is `parent`, in the trace `trace_id`, with
    /// the incoming `ot` tracestate value `ot` if there is one. The trace-id counts
    /// as random when the parent's random flag is set.
    ///
    /// A malformed `ot` is read as absent and reported by the decision
    /// ([`Decision::error`]).
    #[must_use]
    pub fn child(parent: Parent, trace_id: TraceId, ot: Option<&'a str>) -> Self {
        let random_trace_id = match parent.flags() {
            Some(flags) => flags.is_random(),
            None => false,
        };
        let mut input = Self {
            parent,
            trace_id,
            random_trace_id,
            ot: None,
            ot_error: None,
            fresh: None,
        };
        if let Some(text) = ot {
            // Each outcome written where it goes: matching on the whole `Result`
            // moved the error's bytes through the stack on the common path.
            match OtValue::parse(text) {
                Ok(ot) => input.ot = Some(ot),
                Err(error) => input.ot_error = Some(error),
            }
        }
        input
    }

    /// This input with fresh random bits (the low 56 are used) for a new trace
    /// whose trace-id is not random: a [`probability`](Self::probability) decision
    /// then reads them as `R` and records them as `rv` (rule
    /// [P3](crate::rules#p3)). Ignored for a trace-id known to be random and when
    /// an `rv` arrived.
    #[must_use]
    pub const fn with_fresh_randomness(mut self, bits: u64) -> Self {
        self.fresh = Some(bits & MASK);
        self
    }

    /// This input as if the span had no parent, for a trust boundary, where the
    /// caller's decision must not count: no parent (so no sampled flag) and no
    /// incoming `th`. The trace-id, whether it is random, and an incoming `rv` stay:
    /// the randomness is the trace's, and rule [P3](crate::rules#p3) forbids erasing
    /// `rv`. The decision still erases the caller's `th` when it writes none.
    #[must_use]
    pub const fn ignoring_parent(mut self) -> Self {
        self.parent = Parent::None;
        if let Some(ot) = &mut self.ot {
            *ot = ot.without_threshold();
        }
        self
    }

    /// The parent of the span.
    #[must_use]
    pub const fn parent(&self) -> Parent {
        self.parent
    }

    /// The trace-id.
    #[must_use]
    pub const fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    /// The incoming `ot` value, when it is well formed.
    #[must_use]
    pub const fn ot(&self) -> Option<&OtValue<'a>> {
        self.ot.as_ref()
    }

    /// Why the incoming `ot` value was ignored, when it was malformed.
    #[must_use]
    pub const fn ot_error(&self) -> Option<Error> {
        self.ot_error
    }

    /// The incoming threshold `th`.
    #[must_use]
    pub const fn threshold(&self) -> Option<Threshold> {
        match &self.ot {
            Some(ot) => ot.threshold(),
            None => None,
        }
    }

    /// The randomness `R` and where it comes from (rule [P4](crate::rules#p4)): the
    /// incoming `rv`, else the trace-id's low 56 bits when the trace-id is known to
    /// be random, else the fresh bits of a new trace
    /// ([`with_fresh_randomness`](Self::with_fresh_randomness)), else the trace-id's
    /// low 56 bits, not known to be random.
    #[must_use]
    pub const fn randomness(&self) -> Randomness {
        if let Some(ot) = &self.ot {
            if let Some(rv) = ot.randomness() {
                return Randomness::Explicit(rv);
            }
        }
        let low = (self.trace_id.to_u128() as u64) & MASK;
        match (self.random_trace_id, self.fresh, self.parent) {
            (true, _, _) => Randomness::TraceId(low),
            (false, Some(fresh), Parent::None) => Randomness::Fresh(fresh),
            (false, _, _) => Randomness::UnflaggedTraceId(low),
        }
    }

    /// The randomness a threshold is checked against for consistency (rule P6):
    /// the trace's own, never fresh bits (they are not recorded yet).
    const fn trace_randomness(&self) -> u64 {
        match self.randomness() {
            Randomness::Fresh(_) => (self.trace_id.to_u128() as u64) & MASK,
            other => other.value(),
        }
    }

    /// The decision to record (`sampled`) or not without any probability of its
    /// own: following a parent, or a fixed choice. The incoming `th` is passed on
    /// when it agrees with the decision (`sampled == (R >= T)`) and erased when it
    /// does not, or when the span is dropped (rule [P6](crate::rules#p6)).
    pub const fn follow(&self, sampled: bool) -> Decision {
        let r = self.trace_randomness();
        let threshold = match self.threshold() {
            Some(t) if sampled && t.samples(r) => Some(t),
            _ => None,
        };
        self.decision(sampled, threshold, None, false)
    }

    /// The consistent probability decision for `threshold` (rules
    /// [P4](crate::rules#p4)–[P6](crate::rules#p6), [P9](crate::rules#p9)):
    ///
    /// - for a new trace, the span is sampled when `R >= T` and then carries `th:T`;
    /// - below a sampled parent, the threshold in force is the higher of `threshold`
    ///   and the incoming `th` (downstream, thresholds are only raised), so the span
    ///   keeps a subset of what the parent kept;
    /// - below a parent that was not sampled, the span is not sampled: a probability
    ///   decision never keeps a trace its caller dropped (rule P9, where this crate
    ///   departs from OpenTelemetry's text). A trust boundary that wants its own
    ///   decision asks with [`ignoring_parent`](Self::ignoring_parent).
    ///
    /// A dropped span carries no `th`; `None` samples nothing. For a new trace with
    /// fresh randomness ([`with_fresh_randomness`](Self::with_fresh_randomness)) the
    /// decision reads `R` from it and records it as `rv`. A decision that read `R`
    /// from a trace-id not known to be random says so
    /// ([`Decision::is_randomness_assumed`]).
    pub const fn probability(&self, threshold: Option<Threshold>) -> Decision {
        let Some(own) = threshold else {
            return self.decision(false, None, None, false);
        };
        if !self.parent.is_sampled() && !matches!(self.parent, Parent::None) {
            return self.decision(false, None, None, false);
        }
        let t = match self.threshold() {
            Some(incoming) if incoming.value() > own.value() => incoming,
            _ => own,
        };
        let (r, rv, assumed) = match self.randomness() {
            Randomness::Fresh(fresh) => (fresh, Some(fresh), false),
            Randomness::UnflaggedTraceId(r) => (r, None, true),
            other => (other.value(), None, false),
        };
        let sampled = t.samples(r);
        if sampled {
            self.decision(true, Some(t), rv, assumed)
        } else {
            self.decision(false, None, rv, assumed)
        }
    }

    /// The decision to record (`sampled`) or not, made by other means than the
    /// trace's randomness (a rate limit, a rule about the request): the span carries
    /// no `th` (rule [P6](crate::rules#p6)).
    pub const fn without_threshold(&self, sampled: bool) -> Decision {
        self.decision(sampled, None, None, false)
    }

    const fn decision(
        &self,
        sampled: bool,
        threshold: Option<Threshold>,
        rv: Option<u64>,
        assumed: bool,
    ) -> Decision {
        Decision {
            sampled,
            threshold,
            added_randomness: rv,
            randomness_assumed: assumed,
            // Only `None` written on the common path: copying the whole slot
            // reloads bytes that were just written in smaller pieces.
            error: if self.ot_error.is_none() {
                None
            } else {
                self.copied_ot_error()
            },
        }
    }

    /// [`ot_error`](Self::ot_error), out of line: see [`decision`](Self::decision).
    #[cold]
    #[inline(never)]
    const fn copied_ot_error(&self) -> Option<Error> {
        self.ot_error
    }

    /// What `decision` (made on this input) does to the `ot` tracestate value the
    /// span forwards: [`OtUpdate::Keep`] when the threshold stays and no `rv` is
    /// added, else the new value or its removal (rules [P3](crate::rules#p3) and
    /// [P6](crate::rules#p6)). The crate's contexts apply it themselves; this is for
    /// code that keeps the tracestate in another form, such as a bridge to another
    /// tracing library.
    ///
    /// ```
    /// use tracecontext::sampling::{Input, OtUpdate, Parent, Probability, Sampler};
    /// use tracecontext::{TraceFlags, TraceId};
    ///
    /// let trace_id = TraceId::from_static("4bf92f3577b34da6a3ce929d0e0e4736");
    /// let parent = Parent::Remote(TraceFlags::SAMPLED | TraceFlags::RANDOM);
    /// let input = Input::child(parent, trace_id, Some("th:8"));
    ///
    /// // Sampling at 25% below a parent that sampled at 50% raises `th`.
    /// let decision = Probability::new(0.25).decide(&input);
    /// match input.ot_update(&decision)? {
    ///     OtUpdate::Set(value) => assert_eq!(value.as_str(), "th:c"),
    ///     other => panic!("{other:?}"),
    /// }
    /// // Following the parent leaves the tracestate as it came.
    /// assert_eq!(input.ot_update(&input.follow(true))?, OtUpdate::Keep);
    /// # Ok::<(), tracecontext::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::OtLength`](crate::ErrorKind::OtLength) when the new value would
    /// exceed 256 characters (rule [P1](crate::rules#p1)): leave the value as it was.
    pub fn ot_update(&self, decision: &Decision) -> Result<OtUpdate, Error> {
        let rv = decision
            .added_randomness
            .filter(|_| self.randomness_is_missing());
        if decision.threshold == self.threshold() && rv.is_none() && self.ot_error.is_none() {
            return Ok(OtUpdate::Keep);
        }
        let base = self.ot.unwrap_or(NO_OT);
        let value = base.updated(decision.threshold, rv)?;
        if value.is_empty() {
            if self.ot.is_none() && self.ot_error.is_none() {
                return Ok(OtUpdate::Keep);
            }
            return Ok(OtUpdate::Remove);
        }
        Ok(OtUpdate::Set(value))
    }

    fn randomness_is_missing(&self) -> bool {
        !matches!(self.randomness(), Randomness::Explicit(_))
    }
}

/// What a decision does to a span's `ot` tracestate member: from
/// [`Input::ot_update`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // on the stack for one decision, never stored
#[non_exhaustive]
pub enum OtUpdate {
    /// Leave the tracestate as it is, byte for byte.
    Keep,
    /// Remove the `ot` member.
    Remove,
    /// Write `ot` with this value (it moves to the front, rule S8).
    Set(Encoded<OT_MAX_LEN>),
}

/// A sampling decision: the sampled flag to write, the threshold the span carries,
/// and what the sampler noticed on the way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
pub struct Decision {
    sampled: bool,
    threshold: Option<Threshold>,
    added_randomness: Option<u64>,
    randomness_assumed: bool,
    error: Option<Error>,
}

impl Decision {
    /// Whether to record the span: the sampled flag to write.
    #[must_use]
    pub const fn is_sampled(&self) -> bool {
        self.sampled
    }

    /// The threshold `th` the span's `ot` tracestate value carries after the
    /// decision (written, passed on, or `None` when erased or absent).
    #[must_use]
    pub const fn threshold(&self) -> Option<Threshold> {
        self.threshold
    }

    /// The `rv` the decision added for a new trace whose trace-id is not random.
    #[must_use]
    pub const fn added_randomness(&self) -> Option<u64> {
        self.added_randomness
    }

    /// Whether a probability decision read its randomness from a trace-id that is
    /// not known to be random (no random flag, no `rv`): it holds only as far as the
    /// caller's trace-ids are random.
    #[must_use]
    pub const fn is_randomness_assumed(&self) -> bool {
        self.randomness_assumed
    }

    /// A problem with the incoming `ot` value (it was then read as absent, and
    /// replaced or removed when written), or with writing the new one (the
    /// tracestate was then left as it was).
    #[must_use]
    pub const fn error(&self) -> Option<Error> {
        self.error
    }

    /// The decision, after writing its `ot` update failed with `error`: the span
    /// keeps the `th` it had.
    pub(crate) const fn refused(mut self, error: Error, kept: Option<Threshold>) -> Self {
        self.error = Some(error);
        self.threshold = kept;
        self.added_randomness = None;
        self
    }
}
