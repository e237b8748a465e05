//! Decisions by the parent: five branches, one of them the root sampler.

use super::Sampler;
use super::decision::{Decision, Input, Parent};

/// What [`ParentBased`] does in one parent case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Follow the parent's sampled flag, passing `th` on when it agrees (rule
    /// [P6](crate::rules#p6)).
    Follow,
    /// Always sample.
    On,
    /// Never sample.
    Off,
    /// Ignore the parent's flag and ask the root sampler.
    Root,
}

/// Decides by the parent: the root sampler for new traces, and a [`Rule`] for each
/// kind of parent (remote or local, sampled or not). By default every parent is
/// followed.
///
/// ```
/// use tracecontext::sampling::{AlwaysOff, Input, Parent, ParentBased, Rule, Sampler};
/// use tracecontext::{TraceFlags, TraceId};
///
/// // An edge service: callers may not force recording; it decides itself.
/// let edge = ParentBased::untrusted(AlwaysOff);
/// let trace_id = TraceId::from_u128(1).unwrap();
/// let remote = Input::child(Parent::Remote(TraceFlags::SAMPLED), trace_id, None);
/// let local = Input::child(Parent::Local(TraceFlags::SAMPLED), trace_id, None);
/// assert!(!edge.decide(&remote).is_sampled());
/// assert!(edge.decide(&local).is_sampled());
///
/// // The same, case by case.
/// let spelled_out = ParentBased::new(AlwaysOff)
///     .remote_sampled(Rule::Root)
///     .remote_not_sampled(Rule::Root);
/// assert!(!spelled_out.decide(&remote).is_sampled());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParentBased<R> {
    root: R,
    remote_sampled: Rule,
    remote_not_sampled: Rule,
    local_sampled: Rule,
    local_not_sampled: Rule,
    /// Whether a remote parent's `th` counts when the root sampler decides for it.
    trust_remote_threshold: bool,
}

impl<R: Sampler> ParentBased<R> {
    /// `root` for new traces; every parent followed.
    #[must_use]
    pub const fn new(root: R) -> Self {
        Self {
            root,
            remote_sampled: Rule::Follow,
            remote_not_sampled: Rule::Follow,
            local_sampled: Rule::Follow,
            local_not_sampled: Rule::Follow,
            trust_remote_threshold: true,
        }
    }

    /// For a trust boundary: `root` decides for new traces and for remote parents,
    /// whatever their flag says, as for a new trace
    /// ([`Input::ignoring_parent`]); local parents are followed.
    ///
    /// A remote parent's `th` does not count when the root decides, so a caller
    /// cannot raise the threshold to switch recording off either. A caller still
    /// chooses the randomness that a [`Probability`](super::Probability) root reads
    /// (its trace-id, or an `rv`, which rule [P3](crate::rules#p3) forbids erasing),
    /// so a hostile caller can pick one that is always kept: to bound what callers
    /// can make an edge record, use [`RateLimited`](super::RateLimited) as the root.
    ///
    /// It belongs where requests come in from outside. Services behind the edge,
    /// whose callers are trusted, use [`new`](Self::new): with `untrusted` they would
    /// decide again for every hop (and spend a rate limiter's tokens on each).
    #[must_use]
    pub const fn untrusted(root: R) -> Self {
        let mut sampler = Self::new(root)
            .remote_sampled(Rule::Root)
            .remote_not_sampled(Rule::Root);
        sampler.trust_remote_threshold = false;
        sampler
    }

    /// The rule for a sampled remote parent.
    #[must_use]
    pub const fn remote_sampled(mut self, rule: Rule) -> Self {
        self.remote_sampled = rule;
        self
    }

    /// The rule for a remote parent that is not sampled.
    #[must_use]
    pub const fn remote_not_sampled(mut self, rule: Rule) -> Self {
        self.remote_not_sampled = rule;
        self
    }

    /// The rule for a sampled local parent.
    #[must_use]
    pub const fn local_sampled(mut self, rule: Rule) -> Self {
        self.local_sampled = rule;
        self
    }

    /// The rule for a local parent that is not sampled.
    #[must_use]
    pub const fn local_not_sampled(mut self, rule: Rule) -> Self {
        self.local_not_sampled = rule;
        self
    }

    /// The root sampler.
    #[must_use]
    pub const fn root(&self) -> &R {
        &self.root
    }

    /// The rule for `parent` ([`Rule::Root`] for a new trace).
    #[must_use]
    pub const fn rule(&self, parent: Parent) -> Rule {
        match parent {
            Parent::None => Rule::Root,
            Parent::Remote(flags) if flags.is_sampled() => self.remote_sampled,
            Parent::Remote(_) => self.remote_not_sampled,
            Parent::Local(flags) if flags.is_sampled() => self.local_sampled,
            Parent::Local(_) => self.local_not_sampled,
        }
    }
}

impl<R: Sampler + Default> Default for ParentBased<R> {
    /// Every parent followed, `R::default()` for new traces: with
    /// [`AlwaysOn`](super::AlwaysOn), OpenTelemetry's default sampler.
    fn default() -> Self {
        Self::new(R::default())
    }
}

impl<R: Sampler> Sampler for ParentBased<R> {
    #[inline]
    fn decide(&self, input: &Input<'_>) -> Decision {
        let parent = input.parent();
        match self.rule(parent) {
            Rule::Root if parent.is_remote() && !self.trust_remote_threshold => {
                self.root.decide(&input.ignoring_parent())
            }
            Rule::Root => self.root.decide(input),
            Rule::Follow => input.follow(parent.is_sampled()),
            Rule::On => input.follow(true),
            Rule::Off => input.follow(false),
        }
    }
}
