//! The `traceparent` header.

use core::fmt;
use core::str::FromStr;

use crate::encoded::Encoded;
use crate::error::{Error, ErrorKind, Reason};
use crate::flags::TraceFlags;
use crate::hex;
use crate::id::{SpanId, TraceId};
use crate::swar;

/// The `traceparent` header name, lowercase (rule [T1](crate::rules#t1)). Match
/// incoming names case-insensitively.
pub const TRACEPARENT: &str = "traceparent";

/// Byte offsets of the fields (rule T2).
pub(crate) const TRACE_ID_AT: usize = 3;
pub(crate) const PARENT_ID_AT: usize = 36;
pub(crate) const FLAGS_AT: usize = 53;

/// Whether `c` is HTTP optional whitespace (space or tab).
#[inline(always)]
pub(crate) const fn is_ows(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// `s` without leading and trailing spaces and tabs, and the offset where it starts.
#[inline(always)]
pub(crate) const fn trim_ows(s: &[u8]) -> (usize, &[u8]) {
    let mut start = 0;
    let mut end = s.len();
    while start < end && is_ows(s[start]) {
        start += 1;
    }
    while end > start && is_ows(s[end - 1]) {
        end -= 1;
    }
    let (_, rest) = s.split_at(start);
    (start, rest.split_at(end - start).0)
}

/// A parsed `traceparent` header: trace-id, parent-id and trace-flags.
///
/// [`parse`](TraceParent::parse) follows rules T1–T8 exactly: version `00` is exactly
/// 55 bytes of lowercase hex and dashes, later versions (`01`–`fe`) keep their first
/// three fields and ignore a `-`-separated rest, version `ff`, uppercase hex, all-zero
/// IDs and every other deviation are errors. Spaces and tabs around the whole value
/// are tolerated (T6). [`encode`](TraceParent::encode) always writes version `00` with
/// the reserved flag bits cleared (T5, T8), into a 55-byte stack buffer.
///
/// ```
/// use tracecontext::TraceParent;
///
/// let tp: TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse()?;
/// assert_eq!(tp.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert_eq!(tp.parent_id().to_string(), "00f067aa0ba902b7");
/// assert!(tp.is_sampled());
/// assert_eq!(&*tp.encode(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
/// # Ok::<(), tracecontext::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceParent {
    trace_id: TraceId,
    parent_id: SpanId,
    flags: TraceFlags,
}

impl TraceParent {
    /// The length of an encoded traceparent (version `00`): 55 bytes.
    pub const LEN: usize = 55;
    const LEN_IS_55: () = assert!(Self::LEN == 55);

    /// A traceparent from its three fields.
    #[must_use]
    pub const fn new(trace_id: TraceId, parent_id: SpanId, flags: TraceFlags) -> Self {
        Self {
            trace_id,
            parent_id,
            flags,
        }
    }

    /// Parses a traceparent header value.
    ///
    /// Accepts version `00` exactly as specified, and versions `01`–`fe` with at least
    /// the version-00 fields followed by the end of the value or by `-` and anything
    /// (rule T5): what follows that `-` is ignored unread, whatever its bytes. Spaces and tabs around the value are skipped (T6). The flags keep
    /// every bit that arrived (readable through [`TraceFlags::bits`]); encoding writes
    /// only the known ones.
    ///
    /// Runs in time linear in the input (constant after trimming whitespace) and
    /// allocates nothing.
    ///
    /// # Errors
    ///
    /// An [`Error`] naming the field ([`ErrorKind::Version`], [`ErrorKind::TraceId`],
    /// [`ErrorKind::ParentId`], [`ErrorKind::TraceFlags`], [`ErrorKind::Trailing`]) and
    /// the byte offset of the first problem, counted in `input`.
    ///
    /// ```
    /// use tracecontext::{ErrorKind, TraceParent};
    ///
    /// let err = TraceParent::parse(b"00-00000000000000000000000000000000-00f067aa0ba902b7-01").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::TraceId);
    /// assert_eq!(err.to_string(), "traceparent: all zeros is not allowed in trace-id at byte 3");
    /// ```
    // Always inlined: returned through memory from a call, the 48-byte result costs
    // the caller a store-forwarding stall that is a quarter of the whole parse.
    #[inline(always)]
    pub const fn parse(input: &[u8]) -> Result<Self, Error> {
        let (start, s) = trim_ows(input);
        match Self::parse_trimmed(s) {
            Some(tp) => Ok(tp),
            None => Err(fault_error(diagnose(s), start)),
        }
    }

    /// [`parse`](Self::parse), and the 55 bytes it was read from, for
    /// [`resend`](Self::resend).
    #[inline(always)]
    pub(crate) const fn parse_with_text(input: &[u8]) -> Result<(Self, &[u8; Self::LEN]), Error> {
        let (start, s) = trim_ows(input);
        match (Self::parse_trimmed(s), s.first_chunk::<{ Self::LEN }>()) {
            (Some(tp), Some(text)) => Ok((tp, text)),
            _ => Err(fault_error(diagnose(s), start)),
        }
    }

    /// `text`, from which `self` was parsed, as the header a context sends for it:
    /// version `00` and only the known flags (what
    /// [`encode_array`](Self::encode_array) would write, without encoding the IDs
    /// again). Call it where the header is stored. In the common case the header
    /// is the text as received, copied once with nothing written into it after:
    /// a byte written into a copy makes the next copy of the whole wait until
    /// that store has landed, as a load cannot take its bytes from two stores.
    #[inline(always)]
    pub(crate) const fn resend(&self, text: &[u8; Self::LEN]) -> [u8; Self::LEN] {
        let [hi, lo] = hex::byte_digits(self.flags.known().bits());
        let rewritten;
        let source = if text[0] == b'0'
            && text[1] == b'0'
            && text[FLAGS_AT] == hi
            && text[Self::LEN - 1] == lo
        {
            text
        } else {
            rewritten = Self::rewritten(text, hi, lo);
            &rewritten
        };
        // One copy, into where the caller stores the header.
        *source
    }

    /// [`resend`](Self::resend) for a version other than `00` or reserved flag
    /// bits.
    #[cold]
    #[inline(never)]
    const fn rewritten(text: &[u8; Self::LEN], hi: u8, lo: u8) -> [u8; Self::LEN] {
        let mut out = *text;
        out[0] = b'0';
        out[1] = b'0';
        out[FLAGS_AT] = hi;
        out[FLAGS_AT + 1] = lo;
        out
    }

    /// Parses a value that has no whitespace around it (a caller trimmed it), with
    /// nothing stripped: trailing spaces are part of the value.
    pub(crate) const fn parse_exact(s: &[u8]) -> Result<Self, Error> {
        match Self::parse_trimmed(s) {
            Some(tp) => Ok(tp),
            None => Err(fault_error(diagnose(s), 0)),
        }
    }

    /// Parses a traceparent literal, for constants and tests: like
    /// [`parse`](Self::parse), in a `const` context too.
    ///
    /// # Panics
    ///
    /// When `text` is not a valid traceparent (at compile time, in a `const`).
    ///
    /// ```
    /// use tracecontext::TraceParent;
    ///
    /// const PARENT: TraceParent =
    ///     TraceParent::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    /// assert!(PARENT.is_sampled());
    /// ```
    #[must_use]
    #[track_caller]
    pub const fn from_static(text: &'static str) -> Self {
        match Self::parse(text.as_bytes()) {
            Ok(tp) => tp,
            Err(_) => panic!("invalid traceparent literal"),
        }
    }

    /// The fast path: `None` on any problem, which [`diagnose`] then explains.
    #[inline(always)]
    const fn parse_trimmed(s: &[u8]) -> Option<Self> {
        let Some(h) = s.first_chunk::<{ Self::LEN }>() else {
            return None;
        };
        let version = hex::byte(h[0], h[1]);
        let flags = hex::byte(h[FLAGS_AT], h[FLAGS_AT + 1]);
        let dashes = (h[2] == b'-') & (h[PARENT_ID_AT - 1] == b'-') & (h[FLAGS_AT - 1] == b'-');
        let h = h.as_slice();
        let (t0, m0) = hex::decode_word(swar::load(h, TRACE_ID_AT));
        let (t1, m1) = hex::decode_word(swar::load(h, TRACE_ID_AT + 8));
        let (t2, m2) = hex::decode_word(swar::load(h, TRACE_ID_AT + 16));
        let (t3, m3) = hex::decode_word(swar::load(h, TRACE_ID_AT + 24));
        let (p0, m4) = hex::decode_word(swar::load(h, PARENT_ID_AT));
        let (p1, m5) = hex::decode_word(swar::load(h, PARENT_ID_AT + 8));
        if !(dashes & hex::all_valid(m0 & m1 & m2 & m3 & m4 & m5)) {
            return None;
        }
        let (Some(version), Some(flags)) = (version, flags) else {
            return None;
        };
        let rest_ok = match version {
            0x00 => s.len() == Self::LEN,
            0xff => false,
            _ => s.len() == Self::LEN || s[Self::LEN] == b'-',
        };
        if !rest_ok {
            return None;
        }
        let trace = (t0 as u128) << 96 | (t1 as u128) << 64 | (t2 as u128) << 32 | t3 as u128;
        let parent = (p0 as u64) << 32 | p1 as u64;
        match (TraceId::from_u128(trace), SpanId::from_u64(parent)) {
            (Some(trace_id), Some(parent_id)) => Some(Self {
                trace_id,
                parent_id,
                flags: TraceFlags::from_bits(flags),
            }),
            _ => None,
        }
    }

    /// The trace-id.
    #[must_use]
    pub const fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    /// The parent-id: the span-id of the caller's span.
    #[must_use]
    pub const fn parent_id(&self) -> SpanId {
        self.parent_id
    }

    /// The trace-flags, with every bit that arrived.
    #[must_use]
    pub const fn flags(&self) -> TraceFlags {
        self.flags
    }

    /// Whether the sampled flag is set.
    #[must_use]
    pub const fn is_sampled(&self) -> bool {
        self.flags.is_sampled()
    }

    /// Whether the random flag (Level 2) is set.
    #[must_use]
    pub const fn is_random(&self) -> bool {
        self.flags.is_random()
    }

    /// This traceparent with another parent-id.
    #[must_use]
    pub const fn with_parent_id(self, parent_id: SpanId) -> Self {
        Self { parent_id, ..self }
    }

    /// This traceparent with other flags.
    #[must_use]
    pub const fn with_flags(self, flags: TraceFlags) -> Self {
        Self { flags, ..self }
    }

    /// Encodes the header value: version `00`, lowercase hex, reserved flag bits 0.
    ///
    /// ```
    /// use tracecontext::{SpanId, TraceFlags, TraceId, TraceParent};
    ///
    /// let tp = TraceParent::new(
    ///     TraceId::from_u128(0x4bf92f3577b34da6a3ce929d0e0e4736).unwrap(),
    ///     SpanId::from_u64(0x00f067aa0ba902b7).unwrap(),
    ///     TraceFlags::from_bits(0xff),
    /// );
    /// assert_eq!(&*tp.encode(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
    /// ```
    #[must_use]
    #[inline]
    pub const fn encode(&self) -> Encoded<55> {
        Encoded::full(self.encode_array())
    }

    /// The encoded header value as an array (version `00`, known flags only).
    #[inline]
    pub(crate) const fn encode_array(&self) -> [u8; Self::LEN] {
        let () = Self::LEN_IS_55;
        let mut out = [0u8; Self::LEN];
        out[0] = b'0';
        out[1] = b'0';
        out[2] = b'-';
        hex::encode_words(
            hex::words_u128(self.trace_id.to_u128()),
            &mut out,
            TRACE_ID_AT,
        );
        out[PARENT_ID_AT - 1] = b'-';
        hex::encode_words(
            hex::words_u64(self.parent_id.to_u64()),
            &mut out,
            PARENT_ID_AT,
        );
        out[FLAGS_AT - 1] = b'-';
        let [hi, lo] = hex::byte_digits(self.flags.known().bits());
        out[FLAGS_AT] = hi;
        out[FLAGS_AT + 1] = lo;
        out
    }
}

/// A problem [`diagnose`] found: the field, the reason and the offset. Small
/// enough to come back from a call in registers: an [`Error`] returned through
/// memory and read back at once in wider loads than it was stored with stalled
/// the diagnosis.
type Fault = (ErrorKind, Reason, usize);

/// The error for a problem found at `at` in the text that starts `start` bytes
/// into the input.
#[inline(always)]
const fn fault_error((kind, reason, at): Fault, start: usize) -> Error {
    Error::new(kind, reason, at.saturating_add(start))
}

/// Explains why [`TraceParent::parse_trimmed`] refused `s`: the first problem in
/// reading order. Offsets are relative to `s`.
#[cold]
#[inline(never)]
const fn diagnose(s: &[u8]) -> Fault {
    use ErrorKind::{ParentId, TraceFlags as Flags, TraceId as Trace, Trailing, Version};
    // Version `ff` (rule T3), told before anything else is read: its digits are
    // valid, so nothing before it could be the first problem.
    if let [b'f', b'f', ..] = s {
        return (Version, Reason::Forbidden, 0);
    }
    // Each hex field, then the byte that must follow it.
    let fields = [
        (0, 2, Version),
        (TRACE_ID_AT, 32, Trace),
        (PARENT_ID_AT, 16, ParentId),
    ];
    let mut f = 0;
    while f < fields.len() {
        let (at, width, kind) = fields[f];
        f += 1;
        if let Err(e) = hex_field(s, at, width, kind) {
            return e;
        }
        if !matches!(kind, Version) && all_zeros(s, at, width) {
            return (kind, Reason::Zero, at);
        }
        let sep = at + width;
        if sep >= s.len() {
            return (kind, Reason::End, sep);
        }
        let c = s[sep];
        if c == b'-' {
            continue;
        }
        if hex::digit(c).is_some() {
            return (kind, Reason::TooLong(width as u16), sep);
        }
        return (kind, Reason::Separator(c), sep);
    }
    if let Err(e) = hex_field(s, FLAGS_AT, 2, Flags) {
        return e;
    }
    let end = TraceParent::LEN;
    if end >= s.len() {
        // Unreachable when the fast path and this function agree, which the
        // property tests check; an error is still the safe answer.
        return (Trailing, Reason::End, end);
    }
    let c = s[end];
    if hex::digit(c).is_some() {
        (Flags, Reason::TooLong(2), end)
    } else if s[0] == b'0' && s[1] == b'0' {
        (Trailing, Reason::AfterVersion00(c), end)
    } else {
        (Trailing, Reason::Separator(c), end)
    }
}

/// Whether `s[at..at + width]` (which exists) is all `0` digits.
const fn all_zeros(s: &[u8], at: usize, width: usize) -> bool {
    let mut i = at;
    while i < at + width {
        if s[i] != b'0' {
            return false;
        }
        i += 1;
    }
    true
}

/// Checks that `s[at..at + width]` is lowercase hex.
const fn hex_field(s: &[u8], at: usize, width: usize, kind: ErrorKind) -> Result<(), Fault> {
    // Skip whole words of valid digits, then look at the rest byte by byte.
    let end = at + width;
    let limit = if end < s.len() { end } else { s.len() };
    let mut from = at;
    while from + 8 <= limit && hex::all_valid(hex::decode_word(swar::load(s, from)).1) {
        from += 8;
    }
    let mut i = from;
    while i < end {
        if i >= s.len() {
            return Err((kind, Reason::End, s.len()));
        }
        let c = s[i];
        if c == b'-' && i > at {
            return Err((kind, Reason::TooShort(width as u16), i));
        }
        if hex::digit(c).is_none() {
            return Err((kind, Reason::Invalid(c), i));
        }
        i += 1;
    }
    Ok(())
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.encode().as_str())
    }
}

impl fmt::Debug for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceParent")
            .field("trace_id", &self.trace_id)
            .field("parent_id", &self.parent_id)
            .field("flags", &self.flags)
            .finish()
    }
}

impl FromStr for TraceParent {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s.as_bytes())
    }
}

impl TryFrom<&str> for TraceParent {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self, Error> {
        Self::parse(s.as_bytes())
    }
}

impl TryFrom<&[u8]> for TraceParent {
    type Error = Error;
    fn try_from(s: &[u8]) -> Result<Self, Error> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_problem_in_reading_order_is_reported() {
        // An all-zero trace-id (T4) comes before a bad flags digit (T2).
        let e = TraceParent::parse(b"00-00000000000000000000000000000000-00f067aa0ba902b7-0G")
            .unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::TraceId, 3));
        // A zero parent-id before bytes that version 00 does not allow (T3, T4).
        let e = TraceParent::parse(b"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01x")
            .unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::ParentId, 36));
    }

    #[test]
    fn the_header_read_is_the_header_encoded() {
        for input in [
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00\t",
            // A later version, reserved flags and an extension: sent on as 00,
            // known flags only, nothing after the flags.
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff-what-ever",
            "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-f2",
            // Each of the four digits rewritten alone (`04`: known flags 00).
            "10-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-f1",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-05",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-04",
        ] {
            let (tp, text) = TraceParent::parse_with_text(input.as_bytes()).unwrap();
            assert_eq!(tp, TraceParent::parse(input.as_bytes()).unwrap());
            assert_eq!(tp.resend(text), tp.encode_array(), "{input}");
        }
        let bad = b" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0G";
        let e = TraceParent::parse_with_text(bad).unwrap_err();
        assert_eq!(e, TraceParent::parse(bad).unwrap_err());
        assert_eq!((e.kind(), e.offset()), (ErrorKind::TraceFlags, 55));
    }
}
