//! The samplers that need no configuration beyond a probability: always on, always
//! off, and consistent probability sampling.

use super::Sampler;
use super::decision::{Decision, Input};
use super::threshold::Threshold;

/// Samples everything. An incoming `th` is passed on when it agrees, erased when it
/// does not (rule [P6](crate::rules#p6)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AlwaysOn;

impl Sampler for AlwaysOn {
    fn decide(&self, input: &Input<'_>) -> Decision {
        input.follow(true)
    }
}

/// Samples nothing, and erases `th` (rule [P6](crate::rules#p6)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AlwaysOff;

impl Sampler for AlwaysOff {
    fn decide(&self, input: &Input<'_>) -> Decision {
        input.follow(false)
    }
}

/// Consistent probability sampling (rules [P4](crate::rules#p4)–[P6](crate::rules#p6)):
/// sampled when `R >= T`, writing `th:T`.
///
/// Below a parent it never keeps a trace the parent dropped (rule
/// [P9](crate::rules#p9)): under a sampled parent, an incoming `th` higher than this
/// sampler's is kept (a downstream sampler only raises thresholds), and under a
/// parent that was not sampled the span is not sampled. So a chain of services, each
/// with its own probability, samples nested sets of traces. A dropped trace has its
/// `th` erased. See [`Input::probability`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Probability {
    threshold: Option<Threshold>,
}

impl Probability {
    /// Samples with probability `p` (rounded by [`Threshold::from_probability`]);
    /// `p <= 0` samples nothing.
    #[must_use]
    pub fn new(p: f64) -> Self {
        Self {
            threshold: Threshold::from_probability(p),
        }
    }

    /// Samples with the given threshold; `None` samples nothing.
    #[must_use]
    pub const fn with_threshold(threshold: Option<Threshold>) -> Self {
        Self { threshold }
    }

    /// The threshold, `None` for "never".
    #[must_use]
    pub const fn threshold(&self) -> Option<Threshold> {
        self.threshold
    }
}

impl Sampler for Probability {
    #[inline]
    fn decide(&self, input: &Input<'_>) -> Decision {
        input.probability(self.threshold)
    }
}
