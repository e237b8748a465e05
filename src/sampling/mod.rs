//! Sampling decisions that agree across services (rules [P1](crate::rules#p1)–[P9](crate::rules#p9)).
//!
//! Services that decide independently record different parts of the same trace.
//! Consistent probability sampling avoids that without any coordination: every
//! service reads the same randomness `R` from the trace (the `rv` sub-key of the
//! `ot` tracestate member, else the low 56 bits of the trace-id, rule
//! [P4](crate::rules#p4)) and samples when `R >= T` for its threshold `T` (rule
//! [P5](crate::rules#p5)). A service with a lower probability (a higher `T`)
//! therefore keeps a subset of what a higher-probability service keeps, and the
//! threshold travels in `ot=th:...` so that downstream services can follow or only
//! raise it (rule [P6](crate::rules#p6)).
//!
//! A [`Sampler`] is told about the span in an [`Input`] and answers with a
//! [`Decision`]; the contexts apply it ([`Context::child_decided`],
//! [`Extracted::child_or_root`]), writing `th` only when it changes. Samplers take
//! `&self` and are `Send + Sync`: one sampler serves every thread of a service,
//! as a value, a `&'static`, an `Arc<dyn Sampler + Send + Sync>` or a
//! `Box<dyn Sampler + Send + Sync>`. None allocates or needs `std`:
//!
//! | sampler | decides |
//! |---|---|
//! | [`AlwaysOn`], [`AlwaysOff`] | yes, no |
//! | [`Probability`] | `R >= T`, writing `th` (consistent probability sampling) |
//! | [`ParentBased`] | by the parent's flag, configurable per case (no parent, remote or local parent, sampled or not); a case can defer to the root sampler, which is the trust-boundary option |
//! | [`RateLimited`] | at most so many traces per second (token bucket), with a caller-given [`Clock`], lock-free |
//! | [`Configured`] | one of the above, chosen by OpenTelemetry's configuration names (`OTEL_TRACES_SAMPLER`, rule [P8](crate::rules#p8)) |
//!
//! Choosing: a service inside a trusted system uses
//! `ParentBased::new(Probability::new(p))` (follow the caller, decide with
//! probability `p` for new traces). An edge service facing untrusted callers uses
//! [`ParentBased::untrusted`], which ignores the caller's sampled flag (a caller
//! could otherwise force recording, a cost attack) and decides with the root
//! sampler, for example a rate limiter or a probability.
//!
//! ```
//! use tracecontext::sampling::{ParentBased, Probability};
//! use tracecontext::{Context, SeededIds};
//!
//! let sampler = ParentBased::new(Probability::new(0.25));
//! let mut ids = SeededIds::new(7);
//! let (root, decision) = Context::root(&mut ids, &sampler);
//! // The decision is recorded for the services downstream (P6, P7).
//! if decision.is_sampled() {
//!     assert_eq!(root.tracestate().get("ot"), Some("th:c"));
//! }
//! ```
//!
//! # Difference from OpenTelemetry (rule [P9](crate::rules#p9))
//!
//! OpenTelemetry's probability sampler, used below a parent, ignores the parent's
//! decision and `th` and may keep traces the caller dropped: partial traces by
//! design. Here a probability decision below a parent never keeps a trace the
//! parent dropped: under an unsampled parent it does not sample, and under a
//! sampled one it uses the larger of its own threshold and the parent's `th`. Along
//! a call chain the kept traces nest. A service that wants its own decision whatever
//! its caller did says so: [`Rule::On`], or a trust boundary
//! ([`ParentBased::untrusted`]), where the root sampler decides for remote parents as
//! for a new trace ([`Input::ignoring_parent`]).
//!
//! [`Context::child_decided`]: crate::Context::child_decided
//! [`Extracted::child_or_root`]: crate::Extracted::child_or_root

mod basic;
mod config;
mod decision;
mod ot;
mod parent_based;
mod rate_limited;
mod threshold;

#[cfg(feature = "alloc")]
use alloc::{boxed::Box, sync::Arc};

pub use basic::{AlwaysOff, AlwaysOn, Probability};
pub use config::Configured;
pub use decision::{Decision, Input, OtUpdate, Parent, Randomness};
pub use ot::{OtIter, OtValue};
pub use parent_based::{ParentBased, Rule};
#[cfg(feature = "std")]
pub use rate_limited::StdClock;
pub use rate_limited::{Clock, RateLimited};
pub use threshold::Threshold;

/// The largest threshold plus one: `2^56`.
const SPACE: u64 = 1 << 56;
/// The low 56 bits.
const MASK: u64 = SPACE - 1;
/// The tracestate key of OpenTelemetry's sub-keys.
pub const OT_KEY: &str = "ot";
/// The longest `ot` value (rule [P1](crate::rules#p1)).
pub const OT_MAX_LEN: usize = 256;

/// Makes sampling decisions.
///
/// `decide` is told about the span ([`Input`]: its parent, trace-id, incoming `ot`
/// value and randomness) and returns the [`Decision`]: the sampled flag and the `th`
/// the span carries. Build the decision with [`Input::follow`],
/// [`Input::probability`] or [`Input::without_threshold`], which keep rule
/// [P6](crate::rules#p6). Implementations take `&self`, so that one sampler can
/// serve every thread, and should not allocate.
///
/// The trait is object safe:
///
/// ```
/// use std::sync::Arc;
/// use tracecontext::sampling::{AlwaysOn, Configured, Input, Sampler};
/// use tracecontext::TraceId;
///
/// let from_config: Box<dyn Sampler + Send + Sync> =
///     Box::new(Configured::parse("parentbased_always_off", None)?);
/// let shared: Arc<dyn Sampler + Send + Sync> = Arc::new(AlwaysOn);
/// let input = Input::root(TraceId::from_u128(1).unwrap(), true);
/// assert!(!from_config.decide(&input).is_sampled());
/// assert!(shared.decide(&input).is_sampled());
/// # Ok::<(), tracecontext::Error>(())
/// ```
pub trait Sampler {
    /// Decides for the span described by `input`.
    fn decide(&self, input: &Input<'_>) -> Decision;
}

impl<S: Sampler + ?Sized> Sampler for &S {
    fn decide(&self, input: &Input<'_>) -> Decision {
        (**self).decide(input)
    }
}

#[cfg(feature = "alloc")]
impl<S: Sampler + ?Sized> Sampler for Box<S> {
    fn decide(&self, input: &Input<'_>) -> Decision {
        (**self).decide(input)
    }
}

#[cfg(feature = "alloc")]
impl<S: Sampler + ?Sized> Sampler for Arc<S> {
    fn decide(&self, input: &Input<'_>) -> Decision {
        (**self).decide(input)
    }
}
