//! The crate's one error type.

use core::fmt;

/// Which field or limit a header failed on. Returned by [`Error::kind`].
///
/// New kinds may be added in minor releases, so match with a wildcard arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// traceparent: the version field (not two lowercase hex digits, or `ff`).
    Version,
    /// traceparent: the trace-id field (wrong length, not lowercase hex, or all zeros).
    TraceId,
    /// traceparent: the parent-id field (wrong length, not lowercase hex, or all zeros).
    ParentId,
    /// traceparent: the trace-flags field (wrong length or not lowercase hex).
    TraceFlags,
    /// traceparent: bytes after trace-flags that the version does not allow
    /// (version `00` allows none; later versions need a `-` first).
    Trailing,
    /// tracestate: a member with no `=` between key and value.
    Member,
    /// tracestate: a key (empty, too long, or a character outside its grammar).
    Key,
    /// tracestate: a value (empty, too long, or a character outside its grammar).
    Value,
    /// tracestate: more than 32 members.
    MemberCount,
    /// tracestate: a member that cannot fit in an owned state's byte capacity.
    Capacity,
    /// traceparent: more than one `traceparent` field in one request (rule T7).
    Duplicate,
}

impl ErrorKind {
    /// The header the kind belongs to: `"traceparent"` or `"tracestate"`.
    #[must_use]
    pub const fn header(self) -> &'static str {
        match self {
            Self::Version
            | Self::TraceId
            | Self::ParentId
            | Self::TraceFlags
            | Self::Trailing
            | Self::Duplicate => "traceparent",
            Self::Member | Self::Key | Self::Value | Self::MemberCount | Self::Capacity => {
                "tracestate"
            }
        }
    }

    const fn field(self) -> &'static str {
        match self {
            Self::Version => "version",
            Self::TraceId => "trace-id",
            Self::ParentId => "parent-id",
            Self::TraceFlags => "trace-flags",
            Self::Trailing => "data after trace-flags",
            Self::Member => "member",
            Self::Key => "key",
            Self::Value => "value",
            Self::MemberCount => "member list",
            Self::Capacity => "member",
            Self::Duplicate => "request",
        }
    }
}

/// What exactly was wrong; shown by `Display`, not part of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Reason {
    /// A byte outside the field's grammar.
    Invalid(u8),
    /// The value ended before the field was complete.
    End,
    /// A `-` separator was expected but this byte was found.
    Separator(u8),
    /// The field has more characters than its width allows.
    TooLong(u16),
    /// The field has fewer characters than its width needs.
    TooShort(u16),
    /// Bytes after trace-flags in a version `00` value.
    AfterVersion00(u8),
    /// The field is all zeros.
    Zero,
    /// Version `ff`.
    Forbidden,
    /// An empty key or value.
    Empty,
    /// No `=` in a member.
    NoEquals,
    /// More members than the limit.
    TooMany,
    /// Does not fit in the owned state's capacity.
    NoRoom(u16),
    /// A second field of a header that must occur once.
    Repeated,
}

/// A traceparent or tracestate that could not be used: what went wrong and where.
///
/// The error is small and `Copy`, and never allocates. [`kind`](Error::kind) names the
/// field or limit, [`offset`](Error::offset) the first bad byte, and `Display` gives a
/// message precise enough to fix the header with:
///
/// ```
/// use tracecontext::{ErrorKind, TraceParent};
///
/// let err = TraceParent::parse(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0G").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::TraceFlags);
/// assert_eq!(err.offset(), 54);
/// assert_eq!(
///     err.to_string(),
///     "traceparent: invalid hex digit 'G' in trace-flags at byte 54",
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Error {
    kind: ErrorKind,
    reason: Reason,
    /// 1-based tracestate member number, 0 when not about a member.
    member: u16,
    offset: usize,
}

impl Error {
    #[cold]
    #[inline(never)]
    pub(crate) const fn new(kind: ErrorKind, reason: Reason, offset: usize) -> Self {
        Self {
            kind,
            reason,
            member: 0,
            offset,
        }
    }

    #[cold]
    #[inline(never)]
    pub(crate) const fn in_member(
        kind: ErrorKind,
        reason: Reason,
        offset: usize,
        member: usize,
    ) -> Self {
        let member = if member > u16::MAX as usize {
            u16::MAX
        } else {
            member as u16
        };
        Self {
            kind,
            reason,
            member,
            offset,
        }
    }

    /// Moves the offset by `base` bytes (for a field that starts later in the list).
    pub(crate) const fn shifted(mut self, base: usize) -> Self {
        self.offset = self.offset.saturating_add(base);
        self
    }

    /// Which field or limit the header failed on.
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The byte offset of the first bad byte, counted from the start of the value
    /// passed in (leading whitespace included). For a tracestate given as several
    /// fields, offsets count through the fields as if joined with `,` (rule S2).
    /// Where the value ended too early, the offset is its length.
    #[must_use]
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// For a tracestate error about one member, its position in the list, counting
    /// from 1 and skipping empty members.
    #[must_use]
    pub const fn member(&self) -> Option<usize> {
        if self.member == 0 {
            None
        } else {
            Some(self.member as usize)
        }
    }
}

/// Writes a byte as a quoted character, escaping anything that is not printable ASCII.
struct Quoted(u8);

impl fmt::Display for Quoted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            b'\'' => f.write_str("'\\''"),
            b'\\' => f.write_str("'\\\\'"),
            c @ 0x20..=0x7e => write!(f, "'{}'", c as char),
            b'\t' => f.write_str("'\\t'"),
            c => write!(f, "byte 0x{c:02x}"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind;
        write!(f, "{}: ", kind.header())?;
        let hex_field = matches!(
            kind,
            ErrorKind::Version | ErrorKind::TraceId | ErrorKind::ParentId | ErrorKind::TraceFlags
        );
        match self.reason {
            Reason::Invalid(c) if hex_field => {
                write!(f, "invalid hex digit {}", Quoted(c))?;
                if matches!(c, b'A'..=b'F') {
                    f.write_str(" (hex must be lowercase)")?;
                }
            }
            Reason::Invalid(c) => write!(f, "invalid character {}", Quoted(c))?,
            Reason::End => f.write_str("value ends early")?,
            Reason::Separator(c) => write!(f, "expected '-' but found {}", Quoted(c))?,
            Reason::TooLong(max) => write!(f, "longer than {max} characters")?,
            Reason::TooShort(min) => write!(f, "shorter than {min} characters")?,
            Reason::AfterVersion00(c) => write!(
                f,
                "unexpected {} (version 00 ends after trace-flags)",
                Quoted(c)
            )?,
            Reason::Zero => f.write_str("all zeros is not allowed")?,
            Reason::Forbidden => f.write_str("version ff is not allowed")?,
            Reason::Empty => f.write_str("empty")?,
            Reason::NoEquals => f.write_str("no '=' between key and value")?,
            Reason::TooMany => f.write_str("more than 32 members")?,
            Reason::NoRoom(cap) => write!(f, "does not fit in a capacity of {cap} bytes")?,
            Reason::Repeated => {
                return write!(f, "more than one {} field in the request", kind.header());
            }
        }
        match kind {
            ErrorKind::Trailing => write!(f, " in {}", kind.field())?,
            ErrorKind::MemberCount => {}
            ErrorKind::Key | ErrorKind::Value if self.member != 0 => {
                write!(f, " in {} of member {}", kind.field(), self.member)?
            }
            ErrorKind::Member | ErrorKind::Capacity if self.member != 0 => {
                write!(f, " in member {}", self.member)?
            }
            ErrorKind::Member | ErrorKind::Capacity => {}
            _ => write!(f, " in {}", kind.field())?,
        }
        write!(f, " at byte {}", self.offset)
    }
}

impl core::error::Error for Error {}
