//! Sampling decisions that agree across services (rules P1–P7).
//!
//! Services that decide independently record different parts of the same trace.
//! Consistent probability sampling avoids that without any coordination: every
//! service reads the same randomness `R` from the trace (the `rv` sub-key of the
//! `ot` tracestate member, else the low 56 bits of the trace-id, P4) and samples
//! when `R >= T` for its threshold `T` (P5). A service with a lower probability (a
//! higher `T`) therefore keeps a subset of what a higher-probability service keeps,
//! and the threshold travels in `ot=th:...` so that downstream services can follow
//! or only raise it (P6).
//!
//! The samplers here implement [`Sampler`]; none allocates or needs `std`:
//!
//! | sampler | decides |
//! |---|---|
//! | [`AlwaysOn`], [`AlwaysOff`] | yes, no |
//! | [`Probability`] | `R >= T`, writing `th` (consistent probability sampling) |
//! | [`ParentBased`] | by the parent's flag, configurable per case (no parent, remote or local parent, sampled or not); a case can defer to a root sampler, which is the trust-boundary option |
//! | [`RateLimited`] | at most so many traces per second (token bucket), with a caller-given [`Clock`] |
//!
//! Choosing: a service inside a trusted system uses `ParentBased::new(Probability::new(p))`
//! (follow the caller, decide with probability `p` for new traces). An edge service
//! facing untrusted callers uses [`ParentBased::untrusted`], which ignores the
//! caller's sampled flag (a caller could otherwise force recording, a cost attack)
//! and decides with the root sampler, for example a rate limiter or a probability.
//!
//! ```
//! use tracecontext::sampling::{Parent, ParentBased, Probability, Sampler};
//! use tracecontext::{TraceId, TraceState};
//!
//! let mut sampler = ParentBased::new(Probability::new(0.25));
//! let trace_id = TraceId::from_u128(0x4bf92f3577b34da6a3ce929d0e0e4736).unwrap();
//! let mut state = TraceState::<512>::new();
//!
//! // A new trace: R = 0xce929d0e0e4736 >= T = 0xc0000000000000, so it is sampled,
//! // and the threshold is recorded for the services downstream (P6, P7).
//! let decision = sampler.decide(Parent::None, trace_id, &mut state);
//! assert!(decision.sampled());
//! assert_eq!(state.get("ot"), Some("th:c"));
//! ```

use core::fmt;

use crate::context::Context;
use crate::hex;
use crate::id::TraceId;
use crate::tracestate::TraceState;

/// The largest threshold plus one: `2^56`.
const SPACE: u64 = 1 << 56;
/// The low 56 bits.
const MASK: u64 = SPACE - 1;
/// The tracestate key of OpenTelemetry's sub-keys.
pub const OT_KEY: &str = "ot";
/// The longest `ot` value (P1).
pub const OT_MAX_LEN: usize = 256;

// ----------------------------------------------------------------------- threshold

/// A sampling threshold `T` in `[0, 2^56)`: a trace is sampled when its randomness
/// `R >= T`, so the probability is `(2^56 - T) / 2^56` (P5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Threshold(u64);

impl Threshold {
    /// `th:0`: everything is sampled.
    pub const ALWAYS: Self = Self(0);
    /// The default precision of [`from_probability`](Self::from_probability): hex
    /// digits kept after any leading `f` digits.
    pub const DEFAULT_PRECISION: u32 = 4;

    /// The threshold for probability `p`, rounded to
    /// [`DEFAULT_PRECISION`](Self::DEFAULT_PRECISION) significant hex digits (after
    /// the leading `f` digits, so that small probabilities keep their precision).
    /// `None` when `p` is 0 or less, or NaN: no threshold samples nothing. A `p` of
    /// 1 or more is `th:0`.
    ///
    /// ```
    /// use tracecontext::sampling::Threshold;
    ///
    /// let th = |p| Threshold::from_probability(p).unwrap().to_string();
    /// assert_eq!(th(0.5), "8");
    /// assert_eq!(th(1.0 / 3.0), "aaab");
    /// assert_eq!(th(0.01), "fd70a");
    /// assert_eq!(th(0.001), "ffbe77");
    /// ```
    #[must_use]
    pub fn from_probability(p: f64) -> Option<Self> {
        Self::with_precision(p, Self::DEFAULT_PRECISION)
    }

    /// As [`from_probability`](Self::from_probability), with `precision` hex digits
    /// (1 to 14) after the leading `f` digits.
    #[must_use]
    pub fn with_precision(p: f64, precision: u32) -> Option<Self> {
        if p.is_nan() || p <= 0.0 {
            return None;
        }
        if p >= 1.0 {
            return Some(Self::ALWAYS);
        }
        // The exact threshold, computed from the rejection probability; `as` clamps.
        let exact = ((1.0 - p) * SPACE as f64) as u64;
        let exact = exact.min(MASK);
        let leading_fs = (exact << 8).leading_ones() / 4;
        let digits = (leading_fs + precision.clamp(1, 14)).min(14);
        let shift = 4 * (14 - digits);
        if shift == 0 {
            return Some(Self(exact));
        }
        let rounded = (exact + (1 << (shift - 1))) >> shift << shift;
        // Rounding up to 2^56 would mean "never": keep the truncated value instead.
        Some(Self(if rounded > MASK {
            exact >> shift << shift
        } else {
            rounded
        }))
    }

    /// The threshold with value `t`, if `t < 2^56`.
    #[must_use]
    pub const fn from_value(t: u64) -> Option<Self> {
        if t < SPACE { Some(Self(t)) } else { None }
    }

    /// The 56-bit value.
    #[must_use]
    pub const fn value(self) -> u64 {
        self.0
    }

    /// The sampling probability, `(2^56 - T) / 2^56`.
    #[must_use]
    pub fn probability(self) -> f64 {
        (SPACE - self.0) as f64 / SPACE as f64
    }

    /// How many traces each sampled one stands for: `2^56 / (2^56 - T)` (P5).
    #[must_use]
    pub fn adjusted_count(self) -> f64 {
        SPACE as f64 / (SPACE - self.0) as f64
    }

    /// Whether randomness `r` is sampled: `r >= T` (P5).
    #[must_use]
    pub const fn samples(self, r: u64) -> bool {
        r >= self.0
    }

    /// Parses `th` digits: 1 to 14 lowercase hex digits, right-padded with `0` (P2).
    ///
    /// # Errors
    ///
    /// [`OtErrorKind::Threshold`] for an empty value, more than 14 digits, or
    /// anything but lowercase hex.
    pub fn parse(digits: &str) -> Result<Self, OtError> {
        if digits.is_empty() || digits.len() > 14 {
            return Err(OtError::new(OtErrorKind::Threshold, 0));
        }
        let t = hex_value(digits, OtErrorKind::Threshold)?;
        Ok(Self(t << (4 * (14 - digits.len()))))
    }

    /// The `th` digits: 14 zero-padded hex digits with trailing zeros removed, `0`
    /// for zero (P2). On the stack.
    #[must_use]
    pub fn encode(self) -> ThresholdText {
        // 16 digits of the value shifted to the top: the first 14 are the threshold.
        let mut buf = [0u8; 16];
        hex::encode_words(hex::words_u64(self.0 << 8), &mut buf, 0);
        let mut len = 14;
        while len > 1 && buf[len - 1] == b'0' {
            len -= 1;
        }
        ThresholdText {
            buf,
            len: len as u8,
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.encode().as_str())
    }
}

/// A threshold's `th` digits, on the stack: from [`Threshold::encode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThresholdText {
    buf: [u8; 16],
    len: u8,
}

impl ThresholdText {
    /// The digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or_default()
    }
}

/// The value of lowercase hex `digits` (at most 16), or `kind` at the first bad one.
fn hex_value(digits: &str, kind: OtErrorKind) -> Result<u64, OtError> {
    digits.bytes().enumerate().try_fold(0u64, |value, (i, c)| {
        let d = hex::digit(c).ok_or(OtError::new(kind, i))?;
        Ok(value << 4 | u64::from(d))
    })
}

// ----------------------------------------------------------------------- ot value

/// What is wrong with an `ot` tracestate value. Returned by [`OtValue::parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OtErrorKind {
    /// Longer than 256 characters (P1).
    TooLong,
    /// A sub-key that is not `[a-z][a-z0-9]*`, or no `:` after it (P1).
    SubKey,
    /// A sub-key value with a character outside `[A-Za-z0-9._-]` (P1).
    SubValue,
    /// The same sub-key twice (P1).
    Duplicate,
    /// A `th` that is not 1 to 14 lowercase hex digits (P2).
    Threshold,
    /// An `rv` that is not exactly 14 lowercase hex digits (P3).
    Randomness,
    /// Setting `th` would make the value longer than 256 characters (P1).
    NoRoom,
}

/// An `ot` value that could not be read or updated: the kind, and the byte offset in
/// the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OtError {
    kind: OtErrorKind,
    offset: usize,
}

impl OtError {
    const fn new(kind: OtErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }

    const fn shifted(self, by: usize) -> Self {
        Self::new(self.kind, self.offset + by)
    }

    /// What is wrong.
    #[must_use]
    pub const fn kind(&self) -> OtErrorKind {
        self.kind
    }

    /// The byte offset in the `ot` value.
    #[must_use]
    pub const fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for OtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            OtErrorKind::TooLong => "longer than 256 characters",
            OtErrorKind::SubKey => "a sub-key must be [a-z][a-z0-9]* followed by ':'",
            OtErrorKind::SubValue => "a sub-key value may hold only [A-Za-z0-9._-]",
            OtErrorKind::Duplicate => "a sub-key appears twice",
            OtErrorKind::Threshold => "th must be 1 to 14 lowercase hex digits",
            OtErrorKind::Randomness => "rv must be exactly 14 lowercase hex digits",
            OtErrorKind::NoRoom => "setting th would make it longer than 256 characters",
        };
        write!(f, "tracestate ot: {what} at byte {}", self.offset)
    }
}

impl core::error::Error for OtError {}

/// A validated `ot` tracestate value (P1–P3): its `th` and `rv`, and the other
/// sub-keys kept as they are.
///
/// ```
/// use tracecontext::sampling::{OtValue, Threshold};
///
/// let ot = OtValue::parse("rv:ce929d0e0e4736;th:c;x:keep")?;
/// assert_eq!(ot.threshold(), Threshold::from_value(0xc0000000000000));
/// assert_eq!(ot.randomness(), Some(0xce929d0e0e4736));
/// let mut buf = [0u8; 256];
/// assert_eq!(ot.with_threshold(Threshold::from_probability(0.5), &mut buf)?, "rv:ce929d0e0e4736;th:8;x:keep");
/// assert_eq!(ot.with_threshold(None, &mut buf)?, "rv:ce929d0e0e4736;x:keep");
///
/// assert!(OtValue::parse("th:ffffffffffffffff").is_err()); // too long (P7)
/// assert!(OtValue::parse("rv:3").is_err()); // not 14 digits (P7)
/// # Ok::<(), tracecontext::sampling::OtError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OtValue<'a> {
    text: &'a str,
    th: Option<Threshold>,
    rv: Option<u64>,
}

impl<'a> OtValue<'a> {
    /// Parses and checks an `ot` value.
    ///
    /// # Errors
    ///
    /// The first problem, with its byte offset (see [`OtErrorKind`]).
    pub fn parse(text: &'a str) -> Result<Self, OtError> {
        let b = text.as_bytes();
        if b.len() > OT_MAX_LEN {
            return Err(OtError::new(OtErrorKind::TooLong, OT_MAX_LEN));
        }
        let (mut th, mut rv) = (None, None);
        let mut at = 0;
        loop {
            let key_at = at;
            if !b.get(at).is_some_and(u8::is_ascii_lowercase) {
                return Err(OtError::new(OtErrorKind::SubKey, at));
            }
            at += 1;
            while at < b.len() && (b[at].is_ascii_lowercase() || b[at].is_ascii_digit()) {
                at += 1;
            }
            if b.get(at) != Some(&b':') {
                return Err(OtError::new(OtErrorKind::SubKey, at));
            }
            let key = &b[key_at..at];
            at += 1;
            let value_at = at;
            while at < b.len() && b[at] != b';' {
                let c = b[at];
                if !(c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-')) {
                    return Err(OtError::new(OtErrorKind::SubValue, at));
                }
                at += 1;
            }
            let value = &text[value_at..at];
            let duplicate = match key {
                b"th" => {
                    let t = Threshold::parse(value).map_err(|e| e.shifted(value_at))?;
                    th.replace(t).is_some()
                }
                b"rv" => {
                    let r = parse_rv(value).map_err(|e| e.shifted(value_at))?;
                    rv.replace(r).is_some()
                }
                _ => earlier_sub_key(&b[..key_at], key),
            };
            if duplicate {
                return Err(OtError::new(OtErrorKind::Duplicate, key_at));
            }
            if at == b.len() {
                return Ok(Self { text, th, rv });
            }
            at += 1; // the `;`
        }
    }

    /// The threshold `th`, if present.
    #[must_use]
    pub const fn threshold(&self) -> Option<Threshold> {
        self.th
    }

    /// The randomness `rv`, if present (P3).
    #[must_use]
    pub const fn randomness(&self) -> Option<u64> {
        self.rv
    }

    /// The value with `th` set to `threshold` (in place of the old one, else first)
    /// or removed (`None`), the other sub-keys kept in order, written into `buf`.
    /// Empty when nothing is left.
    ///
    /// # Errors
    ///
    /// [`OtErrorKind::NoRoom`] when the result would exceed 256 characters (P1); the
    /// caller then leaves the value as it was.
    pub fn with_threshold<'b>(
        &self,
        threshold: Option<Threshold>,
        buf: &'b mut [u8; OT_MAX_LEN],
    ) -> Result<&'b str, OtError> {
        let mut out = Writer { buf, len: 0 };
        let digits = threshold.map(Threshold::encode);
        let mut placed = false;
        let had_th = self.th.is_some();
        if let (Some(d), false) = (&digits, had_th) {
            out.sub_key("th", d.as_str())?;
            placed = true;
        }
        if !self.text.is_empty() {
            for part in self.text.split(';') {
                if part.starts_with("th:") {
                    if let (Some(d), false) = (&digits, placed) {
                        out.sub_key("th", d.as_str())?;
                        placed = true;
                    }
                } else {
                    out.part(part)?;
                }
            }
        }
        Ok(out.finish())
    }
}

/// A bounded writer of `;`-separated sub-keys.
struct Writer<'b> {
    buf: &'b mut [u8; OT_MAX_LEN],
    len: usize,
}

impl<'b> Writer<'b> {
    fn push(&mut self, bytes: &[u8]) -> Result<(), OtError> {
        let end = self.len + bytes.len();
        let dst = self
            .buf
            .get_mut(self.len..end)
            .ok_or(OtError::new(OtErrorKind::NoRoom, self.len))?;
        dst.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    fn part(&mut self, part: &str) -> Result<(), OtError> {
        if self.len > 0 {
            self.push(b";")?;
        }
        self.push(part.as_bytes())
    }

    fn sub_key(&mut self, key: &str, value: &str) -> Result<(), OtError> {
        if self.len > 0 {
            self.push(b";")?;
        }
        self.push(key.as_bytes())?;
        self.push(b":")?;
        self.push(value.as_bytes())
    }

    fn finish(self) -> &'b str {
        // Only ASCII is ever written.
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

/// Whether `key` is one of the sub-keys in `before` (valid `key:value;` items).
fn earlier_sub_key(before: &[u8], key: &[u8]) -> bool {
    before
        .split(|&c| c == b';')
        .any(|item| item.len() > key.len() && item.starts_with(key) && item[key.len()] == b':')
}

/// `rv`: exactly 14 lowercase hex digits (P3).
fn parse_rv(digits: &str) -> Result<u64, OtError> {
    if digits.len() != 14 {
        return Err(OtError::new(OtErrorKind::Randomness, 0));
    }
    hex_value(digits, OtErrorKind::Randomness)
}

// ----------------------------------------------------------------------- decisions

/// The parent of the span being decided on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Parent {
    /// A new trace.
    None,
    /// A parent from another service (extracted from a request).
    Remote {
        /// Its sampled flag.
        sampled: bool,
    },
    /// A parent in this service.
    Local {
        /// Its sampled flag.
        sampled: bool,
    },
}

impl Parent {
    /// The parent that `context` is for its children.
    #[must_use]
    pub const fn of(context: &Context<'_>) -> Self {
        let sampled = context.is_sampled();
        if context.is_remote() {
            Self::Remote { sampled }
        } else {
            Self::Local { sampled }
        }
    }

    const fn sampled(self) -> Option<bool> {
        match self {
            Self::None => None,
            Self::Remote { sampled } | Self::Local { sampled } => Some(sampled),
        }
    }
}

/// A sampling decision: the sampled flag to write, and a problem with the incoming
/// `ot` value if there was one (it was then ignored for reading, and replaced or
/// removed when written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct Decision {
    sampled: bool,
    error: Option<OtError>,
}

impl Decision {
    /// Whether to record the span: the sampled flag to write.
    pub const fn sampled(&self) -> bool {
        self.sampled
    }

    /// The problem with the incoming `ot` value, or with updating it, if any.
    pub const fn error(&self) -> Option<OtError> {
        self.error
    }
}

/// Makes sampling decisions.
///
/// `decide` returns the sampled flag for a new span and updates `tracestate` (the
/// state the span will forward) in place: the `th` sub-key of `ot` is written,
/// passed through, or erased as P6 says. Implementations never allocate.
pub trait Sampler {
    /// Decides for a span with this `parent` in the trace `trace_id`.
    fn decide<const CAP: usize>(
        &mut self,
        parent: Parent,
        trace_id: TraceId,
        tracestate: &mut TraceState<CAP>,
    ) -> Decision;
}

impl<S: Sampler + ?Sized> Sampler for &mut S {
    fn decide<const CAP: usize>(
        &mut self,
        parent: Parent,
        trace_id: TraceId,
        tracestate: &mut TraceState<CAP>,
    ) -> Decision {
        (**self).decide(parent, trace_id, tracestate)
    }
}

/// What a decision does to `th`.
#[derive(Clone, Copy)]
enum Th {
    /// Write this threshold.
    Set(Threshold),
    /// Keep an incoming `th` if it agrees with the decision, else erase it.
    Pass,
    /// Erase it.
    Erase,
}

/// Makes a decision and applies its `th` update to the tracestate.
///
/// `choose` gets the randomness R (P4) and the incoming threshold, and returns the
/// sampled flag and what to do with `th`. The `ot` member is read once; a new value
/// is built on the stack and written only when it differs. A malformed `ot` value
/// is ignored for reading, replaced when `th` is set and removed when it is erased.
#[inline]
fn decide_with<const CAP: usize>(
    trace_id: TraceId,
    tracestate: &mut TraceState<CAP>,
    choose: impl FnOnce(u64, Option<Threshold>) -> (bool, Th),
) -> Decision {
    let from_id = (trace_id.to_u128() as u64) & MASK;
    // Zeroed only when a new value is built.
    let mut buf: [u8; OT_MAX_LEN];
    let (sampled, change, mut error) = {
        let ot = tracestate.get(OT_KEY).map(OtValue::parse);
        let (r, th, error) = match &ot {
            None => (from_id, None, None),
            Some(Ok(ot)) => (ot.rv.unwrap_or(from_id), ot.th, None),
            Some(Err(e)) => (from_id, None, Some(*e)),
        };
        let (sampled, update) = choose(r, th);
        let wanted = match (sampled, update) {
            (false, _) | (true, Th::Erase) => None,
            (true, Th::Set(t)) => Some(t),
            // P6: pass `th` through only when it agrees with the decision.
            (true, Th::Pass) => th.filter(|t| t.samples(r)),
        };
        let change = if wanted != th || error.is_some() {
            buf = [0; OT_MAX_LEN];
            Some(match ot {
                Some(Ok(ot)) => ot.with_threshold(wanted, &mut buf),
                _ => NO_OT.with_threshold(wanted, &mut buf),
            })
        } else {
            None
        };
        (sampled, change, error)
    };
    match change {
        None => {}
        Some(Err(e)) => error = Some(e),
        Some(Ok("")) => {
            tracestate.remove(OT_KEY);
        }
        Some(Ok(value)) => {
            // A valid `ot` value is a valid tracestate value, so only a full state
            // can refuse it; the decision stands either way.
            let refused = tracestate.insert(OT_KEY, value).is_err();
            error = error.or(refused.then_some(OtError::new(OtErrorKind::NoRoom, 0)));
        }
    }
    Decision { sampled, error }
}

/// An absent `ot` value, to build a new one from.
const NO_OT: OtValue<'static> = OtValue {
    text: "",
    th: None,
    rv: None,
};

/// Samples everything. An incoming `th` is passed through when it agrees, erased
/// when it does not (P6).
#[derive(Clone, Copy, Debug, Default)]
pub struct AlwaysOn;

impl Sampler for AlwaysOn {
    fn decide<const CAP: usize>(
        &mut self,
        _: Parent,
        trace_id: TraceId,
        tracestate: &mut TraceState<CAP>,
    ) -> Decision {
        decide_with(trace_id, tracestate, |_, _| (true, Th::Pass))
    }
}

/// Samples nothing, and erases `th` (P6).
#[derive(Clone, Copy, Debug, Default)]
pub struct AlwaysOff;

impl Sampler for AlwaysOff {
    fn decide<const CAP: usize>(
        &mut self,
        _: Parent,
        trace_id: TraceId,
        tracestate: &mut TraceState<CAP>,
    ) -> Decision {
        decide_with(trace_id, tracestate, |_, _| (false, Th::Erase))
    }
}

/// Consistent probability sampling (P4–P6): sampled when `R >= T`, writing `th:T`.
///
/// An incoming `th` higher than this sampler's is kept (a downstream sampler only
/// raises thresholds, P6), so a chain of services samples nested sets of traces.
/// A dropped trace has its `th` erased.
#[derive(Clone, Copy, Debug)]
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
    fn decide<const CAP: usize>(
        &mut self,
        _: Parent,
        trace_id: TraceId,
        tracestate: &mut TraceState<CAP>,
    ) -> Decision {
        let own = self.threshold;
        decide_with(trace_id, tracestate, |r, incoming| match own {
            None => (false, Th::Erase),
            // Downstream, a threshold is only raised (P6).
            Some(own) => {
                let t = incoming.map_or(own, |incoming| own.max(incoming));
                (t.samples(r), Th::Set(t))
            }
        })
    }
}

/// What [`ParentBased`] does in one parent case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Follow the parent's sampled flag, passing `th` through when it agrees (P6).
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
/// use tracecontext::sampling::{AlwaysOff, Parent, ParentBased, Rule, Sampler};
/// use tracecontext::{TraceId, TraceState};
///
/// // An edge service: callers may not force recording; it decides itself.
/// let mut edge = ParentBased::untrusted(AlwaysOff);
/// let trace_id = TraceId::from_u128(1).unwrap();
/// let mut state = TraceState::<512>::new();
/// assert!(!edge.decide(Parent::Remote { sampled: true }, trace_id, &mut state).sampled());
/// assert!(edge.decide(Parent::Local { sampled: true }, trace_id, &mut state).sampled());
///
/// // The same, case by case.
/// let mut spelled_out = ParentBased::new(AlwaysOff)
///     .remote_sampled(Rule::Root)
///     .remote_not_sampled(Rule::Root);
/// assert!(!spelled_out.decide(Parent::Remote { sampled: true }, trace_id, &mut state).sampled());
/// ```
#[derive(Clone, Copy, Debug)]
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
    /// whatever their flag says; local parents are followed.
    ///
    /// A remote parent's `th` is erased before the root decides, so a caller cannot
    /// raise the threshold to switch recording off either. A caller still chooses
    /// the randomness that a [`Probability`] root reads (its trace-id, or an `rv`,
    /// which P3 forbids erasing), so a hostile caller can pick one that is always
    /// kept: to bound what callers can make an edge record, use [`RateLimited`] as
    /// the root.
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
}

impl<R: Sampler> Sampler for ParentBased<R> {
    #[inline]
    fn decide<const CAP: usize>(
        &mut self,
        parent: Parent,
        trace_id: TraceId,
        tracestate: &mut TraceState<CAP>,
    ) -> Decision {
        let rule = match parent {
            Parent::None => Rule::Root,
            Parent::Remote { sampled: true } => self.remote_sampled,
            Parent::Remote { sampled: false } => self.remote_not_sampled,
            Parent::Local { sampled: true } => self.local_sampled,
            Parent::Local { sampled: false } => self.local_not_sampled,
        };
        let sampled = match rule {
            Rule::Root => {
                if matches!(parent, Parent::Remote { .. }) && !self.trust_remote_threshold {
                    // The decision is the root's; this only erases the caller's `th`.
                    let _ = decide_with(trace_id, tracestate, |_, _| (false, Th::Erase));
                }
                return self.root.decide(parent, trace_id, tracestate);
            }
            Rule::Follow => parent.sampled().unwrap_or(false),
            Rule::On => true,
            Rule::Off => false,
        };
        decide_with(trace_id, tracestate, |_, _| (sampled, Th::Pass))
    }
}

/// A monotonic clock for [`RateLimited`], in nanoseconds from any fixed start.
pub trait Clock {
    /// Now.
    fn now_nanos(&self) -> u64;
}

impl<F: Fn() -> u64> Clock for F {
    fn now_nanos(&self) -> u64 {
        self()
    }
}

/// The `std` clock (`std::time::Instant`), from when it was made.
#[cfg(feature = "std")]
#[derive(Clone, Copy, Debug)]
pub struct StdClock(std::time::Instant);

#[cfg(feature = "std")]
impl StdClock {
    /// A clock starting now.
    #[must_use]
    pub fn new() -> Self {
        Self(std::time::Instant::now())
    }
}

#[cfg(feature = "std")]
impl Default for StdClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "std")]
impl Clock for StdClock {
    fn now_nanos(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// One token, in the bucket's units.
const TOKEN: u128 = 1_000_000_000;

/// Samples at most `per_second` traces a second on average, with bursts of up to
/// `burst` (a token bucket), whatever the parent says. Its decisions are not
/// probability decisions, so `th` is erased (P6).
///
/// The clock is the caller's, so this runs on `no_std` and needs no atomics (it is
/// `&mut`; share it behind the lock of your choice). A clock that goes backwards
/// adds no tokens, and the bucket never holds more than `burst`.
///
/// ```
/// use core::cell::Cell;
/// use tracecontext::sampling::{Parent, RateLimited, Sampler};
/// use tracecontext::{TraceId, TraceState};
///
/// let now = Cell::new(0u64);
/// let mut limiter = RateLimited::new(2, 2, || now.get());
/// let (id, mut state) = (TraceId::from_u128(1).unwrap(), TraceState::<512>::new());
/// let mut decide = |l: &mut RateLimited<_>| l.decide(Parent::None, id, &mut state).sampled();
/// assert!(decide(&mut limiter) && decide(&mut limiter));
/// assert!(!decide(&mut limiter)); // the burst is spent
/// now.set(500_000_000); // half a second: one more token
/// assert!(decide(&mut limiter) && !decide(&mut limiter));
/// ```
#[derive(Clone, Debug)]
pub struct RateLimited<C> {
    clock: C,
    per_second: u64,
    /// Capacity, in token units.
    capacity: u128,
    /// Tokens held, in units of 1e-9 token.
    tokens: u128,
    last: u64,
}

impl<C: Clock> RateLimited<C> {
    /// At most `per_second` a second on average, `burst` at once (at least 1); the
    /// bucket starts full.
    #[must_use]
    pub fn new(per_second: u64, burst: u64, clock: C) -> Self {
        let capacity = u128::from(burst.max(1)) * TOKEN;
        let last = clock.now_nanos();
        Self {
            clock,
            per_second,
            capacity,
            tokens: capacity,
            last,
        }
    }

    /// Takes a token if there is one.
    fn take(&mut self) -> bool {
        let now = self.clock.now_nanos();
        // A clock that went backwards adds nothing, and becomes the new reference.
        let elapsed = now.saturating_sub(self.last);
        self.last = now;
        let refill = u128::from(elapsed) * u128::from(self.per_second);
        self.tokens = self.tokens.saturating_add(refill).min(self.capacity);
        if self.tokens >= TOKEN {
            self.tokens -= TOKEN;
            true
        } else {
            false
        }
    }
}

impl<C: Clock> Sampler for RateLimited<C> {
    fn decide<const CAP: usize>(
        &mut self,
        _: Parent,
        trace_id: TraceId,
        tracestate: &mut TraceState<CAP>,
    ) -> Decision {
        let sampled = self.take();
        decide_with(trace_id, tracestate, |_, _| (sampled, Th::Erase))
    }
}
