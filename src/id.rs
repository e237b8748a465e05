//! Trace and span identifiers.

use core::fmt;
use core::num::{NonZeroU64, NonZeroU128};
use core::str::FromStr;

use crate::encoded::Encoded;
use crate::error::{Error, ErrorKind, Reason};
use crate::hex;

/// Checks a standalone hex ID of `width` characters, returning the error for the
/// first problem. Only called once the fast path has failed.
#[cold]
pub(crate) const fn diagnose_hex(s: &[u8], width: usize, kind: ErrorKind) -> Error {
    let mut i = 0;
    while i < width && i < s.len() {
        if hex::digit(s[i]).is_none() {
            return Error::new(kind, Reason::Invalid(s[i]), i);
        }
        i += 1;
    }
    if s.len() < width {
        return Error::new(kind, Reason::End, s.len());
    }
    if s.len() > width {
        return Error::new(kind, Reason::TooLong(width as u16), width);
    }
    Error::new(kind, Reason::Zero, 0)
}

macro_rules! id_type {
    (
        $(#[$doc:meta])*
        $name:ident, $nonzero:ty, $int:ty, $from:ident, $to:ident, $words:path, $bytes:literal, $hex_len:literal, $kind:ident, $what:literal,
        $example_hex:literal, $example_int:literal
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name($nonzero);

        impl $name {
            /// The length of the ID in bytes.
            pub const BYTES: usize = $bytes;
            /// The smallest ID, 1.
            pub(crate) const MIN: Self = Self(<$nonzero>::MIN);
            /// The length of the ID in lowercase hex characters.
            pub const HEX_LEN: usize = $hex_len;
            const HEX_LEN_IS_TWICE_BYTES: () = assert!($hex_len == 2 * $bytes);

            #[doc = concat!("The ", $what, " from its big-endian bytes; `None` when they are all zero.")]
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use tracecontext::", stringify!($name), ";")]
            ///
            #[doc = concat!("assert!(", stringify!($name), "::from_bytes([0; ", stringify!($bytes), "]).is_none());")]
            #[doc = concat!("let id = ", stringify!($name), "::from_bytes([7; ", stringify!($bytes), "]).unwrap();")]
            #[doc = concat!("assert_eq!(id.to_bytes(), [7; ", stringify!($bytes), "]);")]
            /// ```
            #[must_use]
            pub const fn from_bytes(bytes: [u8; $bytes]) -> Option<Self> {
                Self::$from(<$int>::from_be_bytes(bytes))
            }

            #[doc = concat!("The ", $what, " from an integer; `None` for zero.")]
            #[must_use]
            pub const fn $from(value: $int) -> Option<Self> {
                match <$nonzero>::new(value) {
                    Some(v) => Some(Self(v)),
                    None => None,
                }
            }

            /// The ID as big-endian bytes (the order of its hex form).
            #[must_use]
            pub const fn to_bytes(self) -> [u8; $bytes] {
                self.0.get().to_be_bytes()
            }

            /// The ID as an integer, never zero.
            #[must_use]
            pub const fn $to(self) -> $int {
                self.0.get()
            }

            #[doc = concat!("Parses exactly ", stringify!($bytes), " bytes' worth of lowercase hex (no whitespace).")]
            ///
            /// # Errors
            ///
            #[doc = concat!("[`ErrorKind::", stringify!($kind), "`] with the offset of the first bad byte: ")]
            /// a character other than `0-9a-f` (uppercase included), a wrong length, or all zeros.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use tracecontext::", stringify!($name), ";")]
            ///
            #[doc = concat!("let id = ", stringify!($name), "::parse(b\"", $example_hex, "\").unwrap();")]
            #[doc = concat!("assert_eq!(id.", stringify!($to), "(), ", $example_int, ");")]
            #[doc = concat!("assert_eq!(id.to_string(), \"", $example_hex, "\");")]
            /// ```
            pub const fn parse(input: &[u8]) -> Result<Self, Error> {
                if input.len() == 2 * $bytes {
                    if let Some(bytes) = hex::decode::<$bytes>(input, 0) {
                        if let Some(id) = Self::from_bytes(bytes) {
                            return Ok(id);
                        }
                    }
                }
                Err(diagnose_hex(input, 2 * $bytes, ErrorKind::$kind))
            }

            #[doc = concat!("Parses a ", $what, " literal, for constants and tests: like [`parse`](Self::parse), in a `const` context too.")]
            ///
            /// # Panics
            ///
            /// When `hex` is not a valid ID (at compile time, in a `const`).
            ///
            /// ```
            #[doc = concat!("use tracecontext::", stringify!($name), ";")]
            ///
            #[doc = concat!("const ID: ", stringify!($name), " = ", stringify!($name), "::from_static(\"", $example_hex, "\");")]
            #[doc = concat!("assert_eq!(ID.", stringify!($to), "(), ", $example_int, ");")]
            /// ```
            #[must_use]
            #[track_caller]
            pub const fn from_static(hex: &'static str) -> Self {
                match Self::parse(hex.as_bytes()) {
                    Ok(id) => id,
                    Err(_) => panic!(concat!("invalid ", $what, " literal")),
                }
            }

            /// The lowercase hex form, in a stack buffer.
            #[must_use]
            pub const fn encode(self) -> Encoded<$hex_len> {
                let () = Self::HEX_LEN_IS_TWICE_BYTES;
                let mut out = [0u8; $hex_len];
                hex::encode_words($words(self.$to()), &mut out, 0);
                Encoded::full(out)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.encode().as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.encode().as_str())
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::parse(s.as_bytes())
            }
        }

        impl TryFrom<&str> for $name {
            type Error = Error;
            fn try_from(s: &str) -> Result<Self, Error> {
                Self::parse(s.as_bytes())
            }
        }

        impl TryFrom<&[u8]> for $name {
            type Error = Error;
            fn try_from(s: &[u8]) -> Result<Self, Error> {
                Self::parse(s)
            }
        }

        impl From<$name> for $nonzero {
            fn from(id: $name) -> $nonzero {
                id.0
            }
        }

        impl From<$nonzero> for $name {
            fn from(v: $nonzero) -> Self {
                Self(v)
            }
        }
    };
}

id_type!(
    /// A 16-byte trace-id. It can never be all zeros (rule T4).
    ///
    /// `Option<TraceId>` is the same size as `TraceId`.
    TraceId, NonZeroU128, u128, from_u128, to_u128, hex::words_u128, 16, 32, TraceId, "trace-id",
    "4bf92f3577b34da6a3ce929d0e0e4736", "0x4bf92f3577b34da6a3ce929d0e0e4736"
);

id_type!(
    /// An 8-byte span-id, the parent-id field of a traceparent. It can never be all
    /// zeros (rule T4).
    ///
    /// `Option<SpanId>` is the same size as `SpanId`.
    SpanId, NonZeroU64, u64, from_u64, to_u64, hex::words_u64, 8, 16, ParentId, "span-id",
    "00f067aa0ba902b7", "0x00f067aa0ba902b7"
);
