//! Text on the stack: what the `encode` methods return.

use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::ops::Deref;

/// Text produced by an `encode` method: up to `N` ASCII bytes held inline, with no
/// allocation. Dereferences to `&str`; [`as_bytes`](Encoded::as_bytes) is free.
///
/// Fixed-width encodings (IDs, a traceparent) fill all `N` bytes; variable ones (a
/// sampling threshold, an `ot` value) use a prefix.
///
/// ```
/// use tracecontext::SpanId;
///
/// let id = SpanId::from_u64(0x00f0_67aa_0ba9_02b7).unwrap();
/// let text = id.encode();
/// assert_eq!(&*text, "00f067aa0ba902b7");
/// assert_eq!(text.as_bytes(), b"00f067aa0ba902b7");
/// ```
#[derive(Clone, Copy)]
pub struct Encoded<const N: usize> {
    buf: [u8; N],
    len: u16,
}

impl<const N: usize> Encoded<N> {
    const FITS: () = assert!(N <= u16::MAX as usize, "Encoded capacity over 65535");

    /// All `N` bytes of `buf`, which must be ASCII.
    pub(crate) const fn full(buf: [u8; N]) -> Self {
        let () = Self::FITS;
        Self { buf, len: N as u16 }
    }

    /// The first `len` bytes of `buf`, which must be ASCII; `len <= N`.
    pub(crate) const fn prefix(buf: [u8; N], len: usize) -> Self {
        let () = Self::FITS;
        let len = if len > N { N } else { len };
        Self {
            buf,
            len: len as u16,
        }
    }

    /// The encoded bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    /// The encoded text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Every constructor writes ASCII only, so this never takes the empty branch.
        core::str::from_utf8(self.as_bytes()).unwrap_or_default()
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
        self.as_bytes()
    }
}

impl<const N: usize> PartialEq for Encoded<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<const N: usize> Eq for Encoded<N> {}

impl<const N: usize> PartialEq<str> for Encoded<N> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl<const N: usize> PartialEq<&str> for Encoded<N> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl<const N: usize> PartialOrd for Encoded<N> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<const N: usize> Ord for Encoded<N> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl<const N: usize> Hash for Encoded<N> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
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

#[cfg(test)]
mod tests {
    use super::Encoded;

    #[test]
    fn a_prefix_is_at_most_the_buffer() {
        assert_eq!(Encoded::prefix(*b"abcd", 2).as_str(), "ab");
        assert_eq!(Encoded::prefix(*b"abcd", 4).as_str(), "abcd");
        // A length past the buffer is the whole buffer, not a panic.
        assert_eq!(Encoded::prefix(*b"abcd", 9).as_str(), "abcd");
        assert_eq!(Encoded::full(*b"abcd").as_bytes(), b"abcd");
    }
}
