//! The crate's one error type.

use core::fmt;

/// Which field or limit an input failed on, or which operation failed. Returned by
/// [`Error::kind`].
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
    /// tracestate or baggage: a member with no `=` between key and value.
    Member,
    /// tracestate or baggage: a key (empty, too long, or a character outside its
    /// grammar).
    Key,
    /// tracestate or baggage: a value (empty, too long, a character outside its
    /// grammar, or in baggage a `%` not followed by two hex digits).
    Value,
    /// baggage: a property of a member (a key or value outside its grammar, rule
    /// [B2](crate::rules#b2)).
    Property,
    /// tracestate: more than 32 members; baggage: more than 64 (rule
    /// [B6](crate::rules#b6)).
    MemberCount,
    /// tracestate: a member that cannot fit in an owned state's byte capacity;
    /// baggage: a member past the 8192-byte limit (rule [B6](crate::rules#b6)), or
    /// a decoded value that does not fit the caller's buffer.
    Capacity,
    /// A header that must appear once appeared more than once: two `traceparent`
    /// fields in a request (rule T7), or two `traceresponse` fields in a response.
    /// [`Error::header`] names it.
    Duplicate,
    /// The `ot` tracestate value: a sub-key that is not `[a-z][a-z0-9]*` followed by
    /// `:`, or the same sub-key twice (rule P1).
    SubKey,
    /// The `ot` tracestate value: a sub-key value with a character outside
    /// `[A-Za-z0-9._-]` (rule P1).
    SubValue,
    /// The `ot` tracestate value: a `th` that is not 1 to 14 lowercase hex digits
    /// (rule P2).
    Threshold,
    /// The `ot` tracestate value: an `rv` that is not exactly 14 lowercase hex digits
    /// (rule P3).
    Randomness,
    /// The `ot` tracestate value is, or an update would make it, longer than 256
    /// characters (rule P1).
    OtLength,
    /// Injection: a fixed-size carrier has no free entry for the header.
    CarrierFull,
    /// Injection: the carrier refused the header's name or value (for example a
    /// header type with its own validation).
    CarrierRefused,
    /// Sampler configuration: a sampler name that is unknown or not supported
    /// (rule P8).
    SamplerName,
    /// Sampler configuration: a sampler argument that is missing, not a number, or
    /// not in `[0, 1]` (rule P8).
    SamplerArg,
}

impl ErrorKind {
    /// The field the kind is about, as `Display` names it after " in ".
    const fn field(self) -> Option<&'static str> {
        Some(match self {
            Self::Version => "version",
            Self::TraceId => "trace-id",
            Self::ParentId => "parent-id",
            Self::TraceFlags => "trace-flags",
            Self::Trailing => "data after trace-flags",
            Self::Key => "key",
            Self::Value => "value",
            Self::Property => "a property",
            _ => return None,
        })
    }

    /// Whether the error's offset means something (it is shown by `Display`).
    const fn has_offset(self) -> bool {
        !matches!(
            self,
            Self::CarrierFull
                | Self::CarrierRefused
                | Self::SamplerName
                | Self::SamplerArg
                | Self::Duplicate
        )
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
    /// An empty key, value or field.
    Empty,
    /// No `=` in a member.
    NoEquals,
    /// More members than the limit (32 for tracestate, 64 for baggage).
    TooMany(u16),
    /// A `%` not followed by two hex digits.
    BadEscape,
    /// Does not fit in the owned state's capacity.
    NoRoom(u16),
    /// A second field of a header that must occur once, or a second sub-key.
    Repeated,
    /// A fixed carrier with no free entry.
    Full,
    /// A carrier that refused a header.
    Refused,
    /// A sampler name nobody knows.
    Unknown,
    /// A sampler name this crate knows but does not implement.
    Unsupported,
    /// A sampler argument that is not a number.
    NotANumber,
    /// A sampler argument outside `[0, 1]`.
    OutOfRange,
    /// A sampler argument that a ratio sampler needs but was not given.
    Missing,
}

/// Something that could not be used or done: what went wrong and where.
///
/// The crate has this one error type. It is small and `Copy`, never allocates, and
/// carries [`header`](Error::header) (the header or setting it is about),
/// [`kind`](Error::kind) (the field, limit or operation), [`offset`](Error::offset)
/// (the first bad byte) and, for tracestate members, [`member`](Error::member).
/// `Display` gives a message precise enough to fix the input with:
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
    header: &'static str,
    offset: usize,
    kind: ErrorKind,
    reason: Reason,
    /// 1-based tracestate member number, 0 when not about a member.
    member: u16,
}

/// The header an error kind belongs to when the parser that made it knows no more.
const fn default_header(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Version
        | ErrorKind::TraceId
        | ErrorKind::ParentId
        | ErrorKind::TraceFlags
        | ErrorKind::Trailing
        | ErrorKind::Duplicate => "traceparent",
        ErrorKind::SubKey
        | ErrorKind::SubValue
        | ErrorKind::Threshold
        | ErrorKind::Randomness
        | ErrorKind::OtLength => "tracestate ot",
        ErrorKind::SamplerName => "OTEL_TRACES_SAMPLER",
        ErrorKind::SamplerArg => "OTEL_TRACES_SAMPLER_ARG",
        _ => "tracestate",
    }
}

impl Error {
    #[cold]
    #[inline(never)]
    pub(crate) const fn new(kind: ErrorKind, reason: Reason, offset: usize) -> Self {
        Self {
            header: default_header(kind),
            offset,
            kind,
            reason,
            member: 0,
        }
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn in_member(kind: ErrorKind, reason: Reason, offset: usize, member: usize) -> Self {
        let mut error = Self::new(kind, reason, offset);
        // Tracestate reads stop at the 33rd member; a baggage list of more than
        // 65 535 members reports the largest number.
        error.member = u16::try_from(member).unwrap_or(u16::MAX);
        error
    }

    /// A second field of `header`, which must appear once.
    #[cold]
    pub(crate) const fn duplicate(header: &'static str) -> Self {
        Self::new(ErrorKind::Duplicate, Reason::Repeated, 0).for_header(header)
    }

    /// The error for a fixed-size carrier with no free entry for the header `name`
    /// ([`ErrorKind::CarrierFull`]), for [`Injector`](crate::Injector)
    /// implementations.
    #[cold]
    #[must_use]
    pub const fn carrier_full(name: &'static str) -> Self {
        Self::new(ErrorKind::CarrierFull, Reason::Full, 0).for_header(name)
    }

    /// The error for a carrier that refused the header `name` or its value
    /// ([`ErrorKind::CarrierRefused`]), for [`Injector`](crate::Injector)
    /// implementations.
    ///
    /// ```
    /// use tracecontext::{Error, ErrorKind};
    ///
    /// let err = Error::carrier_refused("traceparent");
    /// assert_eq!(err.kind(), ErrorKind::CarrierRefused);
    /// assert_eq!(err.header(), "traceparent");
    /// assert_eq!(err.to_string(), "traceparent: the carrier refused the header");
    /// ```
    #[cold]
    #[must_use]
    pub const fn carrier_refused(name: &'static str) -> Self {
        Self::new(ErrorKind::CarrierRefused, Reason::Refused, 0).for_header(name)
    }

    /// The same error, about another header (the parsers know only the grammar they
    /// read; the caller knows which header held it).
    pub(crate) const fn for_header(mut self, header: &'static str) -> Self {
        self.header = header;
        self
    }

    /// Moves the offset by `base` bytes (for a field that starts later in the list).
    pub(crate) const fn shifted(mut self, base: usize) -> Self {
        self.offset = self.offset.saturating_add(base);
        self
    }

    /// Which field, limit or operation failed.
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The header, or setting, the error is about: `"traceparent"`, `"tracestate"`,
    /// `"tracestate ot"` (the `ot` member's value), `"baggage"`, `"traceresponse"`,
    /// `"server-timing"`, the name of a header a carrier did not take, or
    /// `"OTEL_TRACES_SAMPLER"` / `"OTEL_TRACES_SAMPLER_ARG"`.
    #[must_use]
    pub const fn header(&self) -> &'static str {
        self.header
    }

    /// The byte offset of the first bad byte, counted from the start of the value
    /// passed in (leading whitespace included). For a tracestate given as several
    /// fields, offsets count through the fields as if joined with `,` (rule S2); for
    /// `ot` problems, from the start of the `ot` value. Where the value ended too
    /// early, the offset is its length. Zero for errors that are not about a
    /// position (carrier errors, duplicates, an unknown sampler name).
    #[must_use]
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// For a tracestate or baggage error about one member, its position in the
    /// list, counting from 1 and skipping empty members (at most 65 535: a later
    /// member reports that).
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

impl Error {
    /// The message for the `ot` kinds, which have their own grammar.
    fn fmt_ot(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind, self.reason) {
            (ErrorKind::SubKey, Reason::Repeated) => f.write_str("a sub-key appears twice"),
            (ErrorKind::SubKey, _) => {
                f.write_str("a sub-key must be [a-z][a-z0-9]* followed by ':'")
            }
            (ErrorKind::SubValue, Reason::Invalid(c)) => write!(
                f,
                "invalid character {} in a sub-key value (allowed: [A-Za-z0-9._-])",
                Quoted(c)
            ),
            (ErrorKind::Threshold, _) => f.write_str("th must be 1 to 14 lowercase hex digits"),
            (ErrorKind::Randomness, _) => f.write_str("rv must be exactly 14 lowercase hex digits"),
            (ErrorKind::OtLength, Reason::NoRoom(max)) => {
                write!(f, "the update would make it longer than {max} characters")
            }
            _ => f.write_str("longer than 256 characters"),
        }
    }

    /// The message for the kinds that are not about a header's grammar.
    fn fmt_other(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason {
            Reason::Repeated => write!(f, "more than one {} field", self.header),
            Reason::Full => f.write_str("the carrier has no free entry for the header"),
            Reason::Refused => f.write_str("the carrier refused the header"),
            Reason::Unknown => f.write_str(
                "unknown sampler (expected always_on, always_off, traceidratio, \
                 parentbased_always_on, parentbased_always_off or parentbased_traceidratio)",
            ),
            Reason::Unsupported => f.write_str("sampler not supported by this crate"),
            Reason::NotANumber => f.write_str("not a number"),
            Reason::OutOfRange => f.write_str("not a ratio in [0, 1]"),
            Reason::Missing => f.write_str("missing (a ratio sampler needs it)"),
            _ => f.write_str("invalid"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind;
        write!(f, "{}: ", self.header)?;
        let hex_field = matches!(
            kind,
            ErrorKind::Version | ErrorKind::TraceId | ErrorKind::ParentId | ErrorKind::TraceFlags
        );
        match (kind, self.reason) {
            (
                ErrorKind::SubKey
                | ErrorKind::SubValue
                | ErrorKind::Threshold
                | ErrorKind::Randomness
                | ErrorKind::OtLength,
                _,
            ) => self.fmt_ot(f)?,
            (
                ErrorKind::Duplicate
                | ErrorKind::CarrierFull
                | ErrorKind::CarrierRefused
                | ErrorKind::SamplerName
                | ErrorKind::SamplerArg,
                _,
            ) => self.fmt_other(f)?,
            (_, Reason::Invalid(c)) if hex_field => {
                write!(f, "invalid hex digit {}", Quoted(c))?;
                if matches!(c, b'A'..=b'F') {
                    f.write_str(" (hex must be lowercase)")?;
                }
            }
            (_, Reason::Invalid(c)) => write!(f, "invalid character {}", Quoted(c))?,
            (_, Reason::End) => f.write_str("value ends early")?,
            (_, Reason::Separator(c)) => write!(f, "expected '-' but found {}", Quoted(c))?,
            (_, Reason::TooLong(max)) => write!(f, "longer than {max} characters")?,
            (_, Reason::TooShort(min)) => write!(f, "shorter than {min} characters")?,
            (_, Reason::AfterVersion00(c)) => write!(
                f,
                "unexpected {} (version 00 ends after trace-flags)",
                Quoted(c)
            )?,
            (_, Reason::Zero) => f.write_str("all zeros is not allowed")?,
            (_, Reason::Forbidden) => f.write_str("version ff is not allowed")?,
            (_, Reason::Empty) => f.write_str("empty")?,
            (_, Reason::NoEquals) => f.write_str("no '=' between key and value")?,
            (_, Reason::TooMany(max)) => write!(f, "more than {max} members")?,
            (_, Reason::BadEscape) => f.write_str("'%' not followed by two hex digits")?,
            (_, Reason::NoRoom(cap)) => write!(f, "does not fit in a capacity of {cap} bytes")?,
            (_, _) => self.fmt_other(f)?,
        }
        match (kind.field(), self.member) {
            (Some(field), member) if member != 0 => {
                write!(f, " in {field} of member {member}")?;
            }
            (Some(field), _) => write!(f, " in {field}")?,
            (None, member)
                if member != 0 && matches!(kind, ErrorKind::Member | ErrorKind::Capacity) =>
            {
                write!(f, " in member {member}")?;
            }
            (None, _) => {}
        }
        if kind.has_offset() {
            write!(f, " at byte {}", self.offset)?;
        }
        Ok(())
    }
}

impl core::error::Error for Error {}
