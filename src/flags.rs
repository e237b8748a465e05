//! The trace-flags byte.

use core::fmt;
use core::ops::{BitAnd, BitOr, BitOrAssign};

/// The trace-flags field of a traceparent: an 8-bit field read with masks (rule T8).
///
/// Two bits are defined: [`SAMPLED`](TraceFlags::SAMPLED) (`0x01`, the caller may have
/// recorded the trace) and [`RANDOM`](TraceFlags::RANDOM) (`0x02`, Level 2: the
/// right-most 7 bytes of the trace-id are random). A value parsed from a header keeps
/// every bit it arrived with, so the reserved ones stay readable through
/// [`bits`](TraceFlags::bits) and [`reserved`](TraceFlags::reserved), but encoding
/// writes only the known bits: reserved bits always go out as 0.
///
/// ```
/// use tracecontext::TraceFlags;
///
/// let flags = TraceFlags::from_bits(0x83);
/// assert!(flags.is_sampled() && flags.is_random());
/// assert_eq!(flags.reserved(), 0x80);
/// assert_eq!(flags.known(), TraceFlags::SAMPLED | TraceFlags::RANDOM);
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TraceFlags(u8);

impl TraceFlags {
    /// No flags set.
    pub const NONE: Self = Self(0);
    /// `0x01`: the caller may have recorded the trace.
    pub const SAMPLED: Self = Self(0x01);
    /// `0x02`: the right-most 7 bytes of the trace-id are uniformly random (Level 2).
    pub const RANDOM: Self = Self(0x02);
    /// The mask of every bit this crate knows; the others are reserved.
    pub const KNOWN_BITS: u8 = 0x03;

    /// Flags from a raw byte, reserved bits included.
    #[must_use]
    pub const fn from_bits(bits: u8) -> Self {
        Self(bits)
    }

    /// The raw byte, reserved bits included.
    #[must_use]
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Only the known bits: what encoding writes.
    #[must_use]
    pub const fn known(self) -> Self {
        Self(self.0 & Self::KNOWN_BITS)
    }

    /// The reserved bits that were set.
    #[must_use]
    pub const fn reserved(self) -> u8 {
        self.0 & !Self::KNOWN_BITS
    }

    /// Whether every bit of `other` is set in `self`.
    #[must_use]
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the sampled bit (`0x01`) is set.
    #[must_use]
    pub const fn is_sampled(self) -> bool {
        self.0 & Self::SAMPLED.0 != 0
    }

    /// Whether the random bit (`0x02`) is set.
    #[must_use]
    pub const fn is_random(self) -> bool {
        self.0 & Self::RANDOM.0 != 0
    }

    /// These flags with the sampled bit set or cleared.
    #[must_use]
    pub const fn with_sampled(self, sampled: bool) -> Self {
        if sampled {
            Self(self.0 | Self::SAMPLED.0)
        } else {
            Self(self.0 & !Self::SAMPLED.0)
        }
    }

    /// These flags with the random bit set or cleared.
    #[must_use]
    pub const fn with_random(self, random: bool) -> Self {
        if random {
            Self(self.0 | Self::RANDOM.0)
        } else {
            Self(self.0 & !Self::RANDOM.0)
        }
    }
}

impl BitOr for TraceFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl BitOrAssign for TraceFlags {
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for TraceFlags {
    type Output = Self;
    fn bitand(self, rhs: Self) -> Self {
        Self(self.0 & rhs.0)
    }
}

impl fmt::Debug for TraceFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TraceFlags(")?;
        let mut sep = "";
        if self.is_sampled() {
            f.write_str("SAMPLED")?;
            sep = " | ";
        }
        if self.is_random() {
            write!(f, "{sep}RANDOM")?;
            sep = " | ";
        }
        if self.reserved() != 0 {
            write!(f, "{sep}{:#04x}", self.reserved())?;
        } else if sep.is_empty() {
            f.write_str("NONE")?;
        }
        f.write_str(")")
    }
}

impl fmt::LowerHex for TraceFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerHex::fmt(&self.0, f)
    }
}

impl From<u8> for TraceFlags {
    fn from(bits: u8) -> Self {
        Self(bits)
    }
}

impl From<TraceFlags> for u8 {
    fn from(flags: TraceFlags) -> u8 {
        flags.0
    }
}
