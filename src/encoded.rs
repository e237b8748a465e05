//! A fixed-size, stack-allocated encoding result.

use core::fmt;
use core::ops::Deref;

/// Text produced by an `encode` method: exactly `N` ASCII bytes held inline, with no
/// allocation. Dereferences to `&str`; [`as_bytes`](Encoded::as_bytes) is free.
///
/// ```
/// use tracecontext::SpanId;
///
/// let id = SpanId::from_u64(0x00f0_67aa_0ba9_02b7).unwrap();
/// let text = id.encode();
/// assert_eq!(&*text, "00f067aa0ba902b7");
/// assert_eq!(text.as_bytes(), b"00f067aa0ba902b7");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Encoded<const N: usize>(pub(crate) [u8; N]);

impl<const N: usize> Encoded<N> {
    /// The encoded bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; N] {
        &self.0
    }

    /// The encoded text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Every constructor writes ASCII only, so this never takes the empty branch.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl<const N: usize> Deref for Encoded<N> {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl<const N: usize> AsRef<str> for Encoded<N> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl<const N: usize> AsRef<[u8]> for Encoded<N> {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl<const N: usize> fmt::Display for Encoded<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl<const N: usize> fmt::Debug for Encoded<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}
