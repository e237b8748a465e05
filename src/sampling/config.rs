//! Samplers named by OpenTelemetry's configuration (rule P8).

use core::fmt;

use crate::error::{Error, ErrorKind, Reason};

use super::Sampler;
use super::basic::{AlwaysOff, AlwaysOn, Probability};
use super::decision::{Decision, Input};
use super::parent_based::ParentBased;

/// A sampler chosen by name, as OpenTelemetry's `OTEL_TRACES_SAMPLER` and
/// `OTEL_TRACES_SAMPLER_ARG` name them (rule [P8](crate::rules#p8)): for picking the
/// sampler from configuration at run time, with no allocation.
///
/// | name | sampler |
/// |---|---|
/// | `always_on` | [`AlwaysOn`] |
/// | `always_off` | [`AlwaysOff`] |
/// | `traceidratio` | [`Probability`] with the argument as the ratio |
/// | `parentbased_always_on` (the default) | [`ParentBased`] over [`AlwaysOn`] |
/// | `parentbased_always_off` | [`ParentBased`] over [`AlwaysOff`] |
/// | `parentbased_traceidratio` | [`ParentBased`] over [`Probability`] |
///
/// `traceidratio` here is consistent probability sampling (rules
/// [P4](crate::rules#p4)–[P6](crate::rules#p6)): it reads and writes `th`, so
/// services with different ratios keep nested sets of traces. Below a parent it never
/// keeps a trace the caller dropped (it only raises a sampled caller's threshold),
/// where OpenTelemetry's text lets it decide on its own (rule
/// [P9](crate::rules#p9), a deliberate difference).
///
/// ```
/// use tracecontext::sampling::Configured;
///
/// let sampler = Configured::parse("parentbased_traceidratio", Some("0.25"))?;
/// assert_eq!(sampler.to_string(), "parentbased_traceidratio 0.25");
///
/// let err = Configured::parse("parentbased_ratio", None).unwrap_err();
/// assert!(err.to_string().starts_with("OTEL_TRACES_SAMPLER: unknown sampler"));
/// let err = Configured::parse("traceidratio", Some("1.5")).unwrap_err();
/// assert_eq!(err.to_string(), "OTEL_TRACES_SAMPLER_ARG: not a ratio in [0, 1]");
/// # Ok::<(), tracecontext::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Configured {
    name: Name,
    /// The ratio's bits (never NaN, never -0.0), so that the type is `Eq`.
    ratio: u64,
    sampler: ParentBased<Basic>,
}

/// The names of rule P8.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Name {
    AlwaysOn,
    AlwaysOff,
    TraceIdRatio,
    ParentBasedAlwaysOn,
    ParentBasedAlwaysOff,
    ParentBasedTraceIdRatio,
}

impl Name {
    const ALL: [(&'static str, Self); 6] = [
        ("always_on", Self::AlwaysOn),
        ("always_off", Self::AlwaysOff),
        ("traceidratio", Self::TraceIdRatio),
        ("parentbased_always_on", Self::ParentBasedAlwaysOn),
        ("parentbased_always_off", Self::ParentBasedAlwaysOff),
        ("parentbased_traceidratio", Self::ParentBasedTraceIdRatio),
    ];

    /// Names OpenTelemetry defines for samplers this crate does not provide.
    const UNSUPPORTED: [&'static str; 3] = ["jaeger_remote", "parentbased_jaeger_remote", "xray"];

    fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, name)| *name == self)
            .map_or("", |(text, _)| text)
    }

    const fn takes_ratio(self) -> bool {
        matches!(self, Self::TraceIdRatio | Self::ParentBasedTraceIdRatio)
    }

    const fn is_parent_based(self) -> bool {
        matches!(
            self,
            Self::ParentBasedAlwaysOn | Self::ParentBasedAlwaysOff | Self::ParentBasedTraceIdRatio
        )
    }
}

/// The samplers a configured one is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Basic {
    On,
    Off,
    Ratio(Probability),
}

impl Sampler for Basic {
    fn decide(&self, input: &Input<'_>) -> Decision {
        match self {
            Self::On => AlwaysOn.decide(input),
            Self::Off => AlwaysOff.decide(input),
            Self::Ratio(probability) => probability.decide(input),
        }
    }
}

impl Configured {
    /// The sampler `name` (case-insensitive, surrounding spaces ignored), with the
    /// ratio `arg` for the ratio samplers (surrounding spaces ignored; `None`: 1.0,
    /// OpenTelemetry's default). Samplers without a ratio ignore `arg`. There is no
    /// name for [`RateLimited`](crate::sampling::RateLimited), as OpenTelemetry has
    /// none: build it in code.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::SamplerName`] for a name that is unknown or not supported here
    /// (`jaeger_remote`, `parentbased_jaeger_remote`, `xray`);
    /// [`ErrorKind::SamplerArg`] for a ratio sampler's argument that is not a number
    /// in `[0, 1]`.
    pub fn parse(name: &str, arg: Option<&str>) -> Result<Self, Error> {
        let name = parse_name(name)?;
        let ratio = match arg {
            Some(arg) if name.takes_ratio() => parse_ratio(arg)?,
            _ => 1.0,
        };
        Ok(Self::build(name, ratio))
    }

    /// The sampler the OpenTelemetry conventions give for these values of
    /// `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`, never failing: an unset
    /// or unknown name gives the default (`parentbased_always_on`), a ratio
    /// sampler's missing or bad argument gives the ratio 1.0. Each problem is
    /// returned beside the sampler, to report (rule [P8](crate::rules#p8)).
    ///
    /// ```
    /// use tracecontext::ErrorKind;
    /// use tracecontext::sampling::Configured;
    ///
    /// let (sampler, problem) = Configured::from_settings(Some("traceidratio"), Some("half"));
    /// assert_eq!(sampler.to_string(), "traceidratio 1");
    /// assert_eq!(problem.unwrap().kind(), ErrorKind::SamplerArg);
    ///
    /// let (sampler, problem) = Configured::from_settings(None, None);
    /// assert_eq!((sampler, problem), (Configured::default(), None));
    /// ```
    #[must_use]
    pub fn from_settings(name: Option<&str>, arg: Option<&str>) -> (Self, Option<Error>) {
        let name = match name.map(parse_name) {
            None => Name::ParentBasedAlwaysOn,
            Some(Ok(name)) => name,
            Some(Err(error)) => return (Self::default(), Some(error)),
        };
        if !name.takes_ratio() {
            return (Self::build(name, 1.0), None);
        }
        let missing = Error::new(ErrorKind::SamplerArg, Reason::Missing, 0);
        match arg.map_or(Err(missing), parse_ratio) {
            Ok(ratio) => (Self::build(name, ratio), None),
            Err(error) => (Self::build(name, 1.0), Some(error)),
        }
    }

    /// [`from_settings`](Self::from_settings) with the process's
    /// `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` (feature `std`). A value
    /// that is not UTF-8 counts as a bad one.
    #[cfg(feature = "std")]
    #[must_use]
    pub fn from_env() -> (Self, Option<Error>) {
        let var = |key| std::env::var_os(key).map(|v| v.to_string_lossy().into_owned());
        let (name, arg) = (var("OTEL_TRACES_SAMPLER"), var("OTEL_TRACES_SAMPLER_ARG"));
        Self::from_settings(name.as_deref(), arg.as_deref())
    }

    fn build(name: Name, ratio: f64) -> Self {
        let basic = match name {
            Name::AlwaysOn | Name::ParentBasedAlwaysOn => Basic::On,
            Name::AlwaysOff | Name::ParentBasedAlwaysOff => Basic::Off,
            Name::TraceIdRatio | Name::ParentBasedTraceIdRatio => {
                Basic::Ratio(Probability::new(ratio))
            }
        };
        Self {
            name,
            // Adding 0.0 turns -0.0 into 0.0.
            ratio: (ratio + 0.0).to_bits(),
            sampler: ParentBased::new(basic),
        }
    }

    /// The sampler's name, as OpenTelemetry writes it.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name.as_str()
    }

    /// The ratio, for the ratio samplers.
    #[must_use]
    pub fn ratio(&self) -> Option<f64> {
        self.name
            .takes_ratio()
            .then_some(f64::from_bits(self.ratio))
    }
}

impl Default for Configured {
    /// `parentbased_always_on`, OpenTelemetry's default.
    fn default() -> Self {
        Self::build(Name::ParentBasedAlwaysOn, 1.0)
    }
}

impl Sampler for Configured {
    fn decide(&self, input: &Input<'_>) -> Decision {
        if self.name.is_parent_based() {
            self.sampler.decide(input)
        } else {
            self.sampler.root().decide(input)
        }
    }
}

impl fmt::Debug for Configured {
    /// The name and the ratio as a number: `Configured { name: "traceidratio",
    /// ratio: Some(0.25) }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Configured")
            .field("name", &self.name())
            .field("ratio", &self.ratio())
            .finish()
    }
}

impl fmt::Display for Configured {
    /// The name, then the ratio for a ratio sampler: `parentbased_traceidratio 0.25`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self.ratio() {
            Some(ratio) => write!(f, " {ratio}"),
            None => Ok(()),
        }
    }
}

fn parse_name(text: &str) -> Result<Name, Error> {
    let text = text.trim();
    let known = |name: &str| name.eq_ignore_ascii_case(text);
    if let Some((_, name)) = Name::ALL.iter().find(|(name, _)| known(name)) {
        return Ok(*name);
    }
    let reason = if Name::UNSUPPORTED.iter().any(|name| known(name)) {
        Reason::Unsupported
    } else {
        Reason::Unknown
    };
    Err(Error::new(ErrorKind::SamplerName, reason, 0))
}

fn parse_ratio(text: &str) -> Result<f64, Error> {
    let Ok(ratio) = text.trim().parse::<f64>() else {
        return Err(Error::new(ErrorKind::SamplerArg, Reason::NotANumber, 0));
    };
    if !(0.0..=1.0).contains(&ratio) {
        return Err(Error::new(ErrorKind::SamplerArg, Reason::OutOfRange, 0));
    }
    Ok(ratio)
}
