//! Consistent probability sampling as an SDK `ShouldSample`.

use std::fmt;
use std::sync::Arc;

use opentelemetry::trace::{
    Link, SpanKind, TraceContextExt as _, TraceId as OtelTraceId, TraceState,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{SamplingDecision, SamplingResult, ShouldSample};
use tracecontext::sampling::{Configured, Decision, Input, OT_KEY, OtUpdate, Parent, Sampler};
use tracecontext::{Error, IdSource as _, ThreadIds};

use crate::convert;

/// An OpenTelemetry SDK sampler (`ShouldSample`) that decides with one of the
/// core's [`Sampler`]s: consistent probability sampling (rules [P1](tracecontext::rules#p1)–[P7](tracecontext::rules#p7), [P9](tracecontext::rules#p9)), the five
/// parent-based branches, or a sampler named by OpenTelemetry's configuration ([P8](tracecontext::rules#p8)).
///
/// It reads the parent's `ot` tracestate value and the random flag, and writes the
/// threshold the span carries (`ot=th:…`) into the sampling result's tracestate,
/// so services sampling at different rates keep nested sets of whole traces:
/// below a sampled parent a probability sampler only raises the threshold, and it
/// never keeps a trace its caller dropped (rule [P9](tracecontext::rules#p9), where the core departs from
/// OpenTelemetry's text). The tracestate is passed on unchanged when the decision
/// leaves `ot` as it was.
///
/// The SDK gives root spans no random flag (it cannot be set from a sampler), so
/// a new trace's probability decision draws fresh random bits and records them as
/// `ot=rv:…` (rule [P3](tracecontext::rules#p3)), which every later service reads.
///
/// One sampler is shared by every span of the provider (`Arc`): a
/// [`RateLimited`](tracecontext::sampling::RateLimited) sampler holds its limit
/// across threads and clones.
///
/// ```
/// use opentelemetry_sdk::trace::SdkTracerProvider;
/// use tracecontext::sampling::{ParentBased, Probability, Rule};
/// use tracecontext_opentelemetry::ConsistentSampler;
///
/// // 10% of new traces; below a remote parent, the caller's decision (the default);
/// // below a local parent that was not sampled, a fresh 10% decision.
/// let sampler = ParentBased::new(Probability::new(0.1)).local_not_sampled(Rule::Root);
/// let provider = SdkTracerProvider::builder()
///     .with_sampler(ConsistentSampler::new(sampler))
///     .build();
/// # drop(provider);
///
/// // Or by OpenTelemetry's names, from strings or from the environment:
/// let sampler = ConsistentSampler::parse("parentbased_traceidratio", Some("0.25"))?;
/// # Ok::<(), tracecontext::Error>(())
/// ```
pub struct ConsistentSampler<S = Configured> {
    sampler: Arc<S>,
}

impl<S> ConsistentSampler<S> {
    /// A sampler that decides with `sampler`.
    #[must_use]
    pub fn new(sampler: S) -> Self {
        Self {
            sampler: Arc::new(sampler),
        }
    }

    /// The core sampler that decides.
    #[must_use]
    pub fn get_ref(&self) -> &S {
        &self.sampler
    }
}

impl ConsistentSampler<Configured> {
    /// The sampler OpenTelemetry's configuration names (rule [P8](tracecontext::rules#p8)), such as
    /// `parse("parentbased_traceidratio", Some("0.25"))`.
    ///
    /// # Errors
    ///
    /// An unknown name ([`ErrorKind::SamplerName`](tracecontext::ErrorKind::SamplerName))
    /// or a bad argument ([`ErrorKind::SamplerArg`](tracecontext::ErrorKind::SamplerArg)).
    pub fn parse(name: &str, arg: Option<&str>) -> Result<Self, Error> {
        Configured::parse(name, arg).map(Self::new)
    }

    /// The sampler named by `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`,
    /// never failing (rule [P8](tracecontext::rules#p8)): an unset or unknown name
    /// gives `parentbased_always_on` (OpenTelemetry's default), and a ratio
    /// sampler's missing or bad argument gives the ratio 1.0 (everything sampled).
    /// Each problem is returned beside the sampler, to report.
    ///
    /// ```
    /// use tracecontext_opentelemetry::ConsistentSampler;
    ///
    /// let (sampler, problem) = ConsistentSampler::from_settings(Some("traceidratio"), Some("0,5"));
    /// assert_eq!(sampler.to_string(), "traceidratio 1");
    /// assert_eq!(problem.unwrap().to_string(), "OTEL_TRACES_SAMPLER_ARG: not a number");
    /// ```
    #[must_use]
    pub fn from_env() -> (Self, Option<Error>) {
        let (sampler, problem) = Configured::from_env();
        (Self::new(sampler), problem)
    }

    /// [`from_env`](Self::from_env) with the two settings given.
    #[must_use]
    pub fn from_settings(name: Option<&str>, arg: Option<&str>) -> (Self, Option<Error>) {
        let (sampler, problem) = Configured::from_settings(name, arg);
        (Self::new(sampler), problem)
    }
}

impl<S: Default> Default for ConsistentSampler<S> {
    /// The core sampler's default: for [`Configured`], `parentbased_always_on`.
    fn default() -> Self {
        Self::new(S::default())
    }
}

impl<S> Clone for ConsistentSampler<S> {
    /// Another handle on the same sampler.
    fn clone(&self) -> Self {
        Self {
            sampler: Arc::clone(&self.sampler),
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for ConsistentSampler<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ConsistentSampler")
            .field(&self.sampler)
            .finish()
    }
}

impl<S: fmt::Display> fmt::Display for ConsistentSampler<S> {
    /// The core sampler's account, such as `parentbased_traceidratio 0.25`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.sampler.fmt(f)
    }
}

impl<S> ShouldSample for ConsistentSampler<S>
where
    S: Sampler + fmt::Debug + Send + Sync + 'static,
{
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: OtelTraceId,
        _name: &str,
        _span_kind: &SpanKind,
        _attributes: &[KeyValue],
        _links: &[Link],
    ) -> SamplingResult {
        let Some(id) = convert::from_trace_id(trace_id) else {
            return result(false, TraceState::NONE);
        };
        if let Some(cx) = parent_context {
            let span = cx.span();
            let parent = span.span_context();
            if parent.is_valid() {
                let flags = convert::from_flags(parent.trace_flags());
                let kind = if parent.is_remote() {
                    Parent::Remote(flags)
                } else {
                    Parent::Local(flags)
                };
                let state = parent.trace_state();
                let input = Input::child(kind, id, state.get(OT_KEY));
                let decision = self.sampler.decide(&input);
                return result(decision.is_sampled(), updated(state, &input, &decision));
            }
        }
        // A new trace: its trace-id carries no random flag, so the randomness is
        // drawn here and recorded as `rv` by a probability decision (P3).
        let fresh = ThreadIds.trace_id().to_u128() as u64;
        let input = Input::root(id, false).with_fresh_randomness(fresh);
        let decision = self.sampler.decide(&input);
        result(
            decision.is_sampled(),
            updated(&TraceState::NONE, &input, &decision),
        )
    }
}

fn result(sampled: bool, trace_state: TraceState) -> SamplingResult {
    SamplingResult {
        decision: if sampled {
            SamplingDecision::RecordAndSample
        } else {
            SamplingDecision::Drop
        },
        attributes: Vec::new(),
        trace_state,
    }
}

/// The parent's tracestate with the `ot` member the decision leaves (moved to the
/// front when written, rule [S8](tracecontext::rules#s8)); the same list when it leaves `ot` alone or the
/// new value cannot be written.
fn updated(state: &TraceState, input: &Input<'_>, decision: &Decision) -> TraceState {
    let changed = match input.ot_update(decision) {
        Ok(OtUpdate::Remove) => Some(without_ot(state)),
        Ok(OtUpdate::Set(value)) => without_ot(state).insert(OT_KEY, value.as_str()).ok(),
        // `Keep`, or a value too long to write (P1): the list as it was.
        _ => None,
    };
    changed.unwrap_or_else(|| state.clone())
}

/// `state` without any `ot` member: OpenTelemetry's `delete` removes only the
/// first, and a list from elsewhere may hold more than one.
fn without_ot(state: &TraceState) -> TraceState {
    let mut without = state.clone();
    while without.get(OT_KEY).is_some() {
        match without.delete(OT_KEY) {
            Ok(next) => without = next,
            Err(_) => break,
        }
    }
    without
}
