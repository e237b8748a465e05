//! The sampling threshold `T` and its `th` text (rules P2, P5, P7).

use core::fmt;
use core::num::NonZeroU64;

use crate::encoded::Encoded;
use crate::error::{Error, ErrorKind, Reason};
use crate::hex;

use super::{MASK, SPACE};

/// A sampling threshold `T` in `[0, 2^56)`: a trace is sampled when its randomness
/// `R >= T`, so the probability is `(2^56 - T) / 2^56` (rule [P5](crate::rules#p5)).
///
/// `Debug` and `Display` show the `th` digits (rule [P2](crate::rules#p2)):
///
/// ```
/// use tracecontext::sampling::Threshold;
///
/// let quarter = Threshold::from_probability(0.25).unwrap();
/// assert_eq!(quarter.to_string(), "c");
/// assert_eq!(format!("{quarter:?}"), "Threshold(th:c)");
/// assert_eq!(quarter.value(), 0xc0_0000_0000_0000);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Threshold(
    /// The value plus one: never zero, so that `Option<Threshold>` is one word.
    NonZeroU64,
);

impl Threshold {
    /// `th:0`: everything is sampled.
    pub const ALWAYS: Self = Self::of(0);
    /// The default precision of [`from_probability`](Self::from_probability): hex
    /// digits kept after any leading `f` digits.
    pub const DEFAULT_PRECISION: u32 = 4;
    /// The longest `th` text: 14 hex digits.
    pub const MAX_LEN: usize = 14;

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
            return Some(Self::of(exact));
        }
        // Rounding half up never reaches 2^56: the digit after the leading `f`s is
        // not an `f` and is kept, so a carry stops there at the latest.
        Some(Self::of((exact + (1 << (shift - 1))) >> shift << shift))
    }

    /// The threshold with value `t`, if `t < 2^56`.
    #[must_use]
    pub const fn from_value(t: u64) -> Option<Self> {
        if t < SPACE { Some(Self::of(t)) } else { None }
    }

    /// The threshold with value `t`, which the caller keeps below 2^56.
    const fn of(t: u64) -> Self {
        match NonZeroU64::new(t.wrapping_add(1)) {
            Some(stored) => Self(stored),
            // Only for `t = u64::MAX`, which no caller passes.
            None => Self(NonZeroU64::MAX),
        }
    }

    /// The 56-bit value.
    #[must_use]
    pub const fn value(self) -> u64 {
        self.0.get() - 1
    }

    /// The sampling probability, `(2^56 - T) / 2^56`.
    #[must_use]
    pub fn probability(self) -> f64 {
        (SPACE - self.value()) as f64 / SPACE as f64
    }

    /// How many traces each sampled one stands for: `2^56 / (2^56 - T)`
    /// (rule [P5](crate::rules#p5)).
    #[must_use]
    pub fn adjusted_count(self) -> f64 {
        SPACE as f64 / (SPACE - self.value()) as f64
    }

    /// Whether randomness `r` is sampled: `r >= T` (rule [P5](crate::rules#p5)).
    #[must_use]
    pub const fn samples(self, r: u64) -> bool {
        r >= self.value()
    }

    /// Parses `th` digits: 1 to 14 lowercase hex digits, right-padded with `0`
    /// (rule [P2](crate::rules#p2)).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Threshold`] for an empty value, more than 14 digits, or
    /// anything but lowercase hex, with the offset of the problem in `digits`.
    pub fn parse(digits: &str) -> Result<Self, Error> {
        if digits.is_empty() || digits.len() > Self::MAX_LEN {
            return Err(Error::new(ErrorKind::Threshold, Reason::TooLong(14), 0));
        }
        let t = hex_value(digits, ErrorKind::Threshold)?;
        Ok(Self::of(t << (4 * (Self::MAX_LEN - digits.len()))))
    }

    /// The `th` digits: 14 zero-padded hex digits with trailing zeros removed, `0`
    /// for zero (rule [P2](crate::rules#p2)). On the stack.
    #[must_use]
    pub fn encode(self) -> Encoded<14> {
        // 16 digits of the value shifted to the top: the first 14 are the threshold.
        let mut digits = [0u8; 16];
        hex::encode_words(hex::words_u64(self.value() << 8), &mut digits, 0);
        let mut len = Self::MAX_LEN;
        while len > 1 && digits[len - 1] == b'0' {
            len -= 1;
        }
        let mut buf = [0u8; Self::MAX_LEN];
        buf.copy_from_slice(&digits[..Self::MAX_LEN]);
        Encoded::prefix(buf, len)
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.encode().as_str())
    }
}

impl fmt::Debug for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Threshold(th:{})", self.encode().as_str())
    }
}

/// The value of lowercase hex `digits` (at most 16), or `kind` at the first bad one.
pub(super) fn hex_value(digits: &str, kind: ErrorKind) -> Result<u64, Error> {
    let mut value = 0u64;
    for (i, c) in digits.bytes().enumerate() {
        let Some(d) = hex::digit(c) else {
            return Err(Error::new(kind, Reason::Invalid(c), i));
        };
        value = (value << 4) + u64::from(d);
    }
    Ok(value)
}
