//! Percent-encoding of baggage values (rule [B5](crate::rules#b5)).

use core::fmt;

use super::grammar::is_plain;
use crate::error::{Error, ErrorKind, Reason};

/// The value of a hex digit the grammar has already checked.
#[inline(always)]
fn hex_value(c: u8) -> u8 {
    HEX_VALUE[usize::from(c)]
}

/// The value of each hex digit, as a table.
static HEX_VALUE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => b.wrapping_sub(b'A').wrapping_add(10),
        };
        c += 1;
    }
    table
};

/// The bytes a raw value stands for: each `%XX` as its byte, anything else as it is.
/// The raw value has been checked, so every `%` has its two hex digits.
fn decoded_bytes(bytes: &[u8]) -> impl Iterator<Item = u8> + '_ {
    let mut at = 0;
    core::iter::from_fn(move || {
        let c = *bytes.get(at)?;
        if c == b'%' && at + 2 < bytes.len() {
            let byte = (hex_value(bytes[at + 1]) << 4) | hex_value(bytes[at + 2]);
            at += 3;
            Some(byte)
        } else {
            at += 1;
            Some(c)
        }
    })
}

/// Turns decoded bytes into UTF-8, each ill-formed sequence replaced by U+FFFD as
/// `String::from_utf8_lossy` does (one replacement per maximal subpart).
struct Lossy {
    pending: [u8; 4],
    len: usize,
    need: usize,
    lo: u8,
    hi: u8,
}

const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

/// What a byte that starts a character needs after it: how many continuation
/// bytes, and the range of the first of them (the others are `0x80..=0xbf`);
/// `None` for a byte that starts no character.
const fn lead(b: u8) -> Option<(usize, u8, u8)> {
    Some(match b {
        0x00..=0x7f => (0, 0x80, 0xbf),
        0xc2..=0xdf => (1, 0x80, 0xbf),
        0xe0 => (2, 0xa0, 0xbf),
        0xe1..=0xec | 0xee..=0xef => (2, 0x80, 0xbf),
        0xed => (2, 0x80, 0x9f),
        0xf0 => (3, 0x90, 0xbf),
        0xf1..=0xf3 => (3, 0x80, 0xbf),
        0xf4 => (3, 0x80, 0x8f),
        _ => return None,
    })
}

impl Lossy {
    const fn new() -> Self {
        Self {
            pending: [0; 4],
            len: 0,
            need: 0,
            lo: 0x80,
            hi: 0xbf,
        }
    }

    fn push(&mut self, b: u8, out: &mut impl FnMut(&[u8])) {
        if self.need > 0 {
            if (self.lo..=self.hi).contains(&b) {
                self.pending[self.len] = b;
                self.len += 1;
                self.need -= 1;
                (self.lo, self.hi) = (0x80, 0xbf);
                if self.need == 0 {
                    out(&self.pending[..self.len]);
                    self.len = 0;
                }
                return;
            }
            // The sequence so far is a maximal subpart: one replacement for it,
            // and `b` starts afresh.
            out(REPLACEMENT);
            self.len = 0;
            self.need = 0;
            (self.lo, self.hi) = (0x80, 0xbf);
        }
        let (need, lo, hi) = match lead(b) {
            Some((0, _, _)) => {
                out(&[b]);
                return;
            }
            Some(lead) => lead,
            None => {
                out(REPLACEMENT);
                return;
            }
        };
        self.pending[0] = b;
        self.len = 1;
        self.need = need;
        (self.lo, self.hi) = (lo, hi);
    }

    fn finish(self, out: &mut impl FnMut(&[u8])) {
        if self.need > 0 {
            out(REPLACEMENT);
        }
    }
}

/// Calls `out` with the decoded value's UTF-8, piece by piece.
fn decode_with(raw: &[u8], mut out: impl FnMut(&[u8])) {
    let mut lossy = Lossy::new();
    for b in decoded_bytes(raw) {
        lossy.push(b, &mut out);
    }
    lossy.finish(&mut out);
}

/// Whether a raw value needs decoding at all.
#[cfg(feature = "alloc")]
pub(crate) fn has_escapes(raw: &str) -> bool {
    raw.as_bytes().contains(&b'%')
}

/// Why the bytes of a value were not written as they are.
enum Slow {
    /// They do not fit.
    NoRoom,
    /// They are not UTF-8 (or not simply: the replacing decoder decides).
    NotUtf8,
}

/// Writes the bytes a checked raw value stands for (what [`decoded_bytes`]
/// yields) at the start of `out`, checking as it goes that they are UTF-8;
/// returns how many.
fn decode_utf8(raw: &[u8], out: &mut [u8]) -> Result<usize, Slow> {
    let (mut at, mut len) = (0, 0);
    // The continuation bytes still expected, and the range of the next.
    let (mut need, mut lo, mut hi) = (0, 0x80, 0xbf);
    loop {
        // A run without `%`: ASCII in a checked value, copied as it is.
        let mut ascii = true;
        let start = at;
        while let Some(&c) = raw.get(at) {
            if c == b'%' {
                break;
            }
            *out.get_mut(len).ok_or(Slow::NoRoom)? = c;
            ascii &= c.is_ascii();
            len += 1;
            at += 1;
        }
        if at > start && (need > 0 || !ascii) {
            return Err(Slow::NotUtf8);
        }
        // An escape, or the end (a `%` too near it, never in a checked value, is
        // left to the replacing decoder).
        let Some(&[_, high, low]) = raw.get(at..at + 3) else {
            return if at < raw.len() || need > 0 {
                Err(Slow::NotUtf8)
            } else {
                Ok(len)
            };
        };
        let byte = (hex_value(high) << 4) | hex_value(low);
        *out.get_mut(len).ok_or(Slow::NoRoom)? = byte;
        len += 1;
        at += 3;
        if need > 0 {
            if !(lo..=hi).contains(&byte) {
                return Err(Slow::NotUtf8);
            }
            need -= 1;
            (lo, hi) = (0x80, 0xbf);
        } else if byte >= 0x80 {
            (need, lo, hi) = lead(byte).ok_or(Slow::NotUtf8)?;
        }
    }
}

/// The error for a buffer too short for a decoded value.
#[cold]
fn no_room(buf: &[u8]) -> Error {
    let cap = u16::try_from(buf.len()).unwrap_or(u16::MAX);
    Error::new(ErrorKind::Capacity, Reason::NoRoom(cap), 0).for_header(super::BAGGAGE)
}

/// Decodes a checked raw value into `buf`, returning the text written.
///
/// The decoded value is never longer than the raw one, so a buffer of the raw
/// value's length always suffices.
pub(crate) fn decode_into<'b>(raw: &[u8], buf: &'b mut [u8]) -> Result<&'b str, Error> {
    // Most values decode to UTF-8: the bytes are written as they are, then
    // checked once. Replacing ill-formed sequences makes the text no shorter, so
    // bytes that do not fit never fit once replaced either.
    let len = match decode_utf8(raw, buf) {
        Ok(len) => len,
        Err(Slow::NoRoom) => return Err(no_room(buf)),
        Err(Slow::NotUtf8) => decode_lossy_into(raw, buf)?,
    };
    let text: &'b [u8] = buf;
    match core::str::from_utf8(&text[..len]) {
        Ok(text) => Ok(text),
        // Both ways write only well-formed UTF-8.
        Err(_) => Ok(""),
    }
}

/// Decodes a checked raw value into `buf`, each ill-formed sequence replaced by
/// U+FFFD; returns the length written.
#[cold]
fn decode_lossy_into(raw: &[u8], buf: &mut [u8]) -> Result<usize, Error> {
    let mut len = 0;
    let mut overflow = false;
    decode_with(raw, |piece| {
        match buf.get_mut(len..len + piece.len()) {
            Some(slot) if !overflow => slot.copy_from_slice(piece),
            _ => overflow = true,
        }
        len += piece.len();
    });
    if overflow {
        return Err(no_room(buf));
    }
    Ok(len)
}

/// Decodes a checked raw value, borrowing it when it has no `%`.
#[cfg(feature = "alloc")]
pub(crate) fn decode(raw: &str) -> alloc::borrow::Cow<'_, str> {
    if !has_escapes(raw) {
        return alloc::borrow::Cow::Borrowed(raw);
    }
    let mut bytes = alloc::vec::Vec::with_capacity(raw.len());
    decode_with(raw.as_bytes(), |piece| bytes.extend_from_slice(piece));
    alloc::borrow::Cow::Owned(alloc::string::String::from_utf8(bytes).unwrap_or_default())
}

/// A value percent-encoded for a `baggage` header: `Display` writes every byte
/// outside the value grammar, and every `%`, as `%XX` (rule
/// [B5](crate::rules#b5)). Made by [`encode`]; nothing is allocated.
#[derive(Clone, Copy, Debug)]
pub struct Encode<'a>(&'a str);

/// Percent-encodes `value` for a `baggage` header, lazily: format it, or
/// `to_string()` it with `alloc`.
///
/// ```
/// use tracecontext::baggage;
///
/// assert_eq!(baggage::encode("Amélie, 50%").to_string(), "Am%C3%A9lie%2C%2050%25");
/// assert_eq!(baggage::encode("a=b").to_string(), "a=b"); // `=` may stay (rule B4)
/// ```
#[must_use]
pub const fn encode(value: &str) -> Encode<'_> {
    Encode(value)
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Writes `value` percent-encoded at the start of `out`, which must hold
/// [`Encode::len`] bytes; returns how many were written.
pub(crate) fn encode_into(value: &str, out: &mut [u8]) -> usize {
    let mut at = 0;
    for b in value.bytes() {
        if is_plain(b) {
            out[at] = b;
            at += 1;
        } else {
            out[at..at + 3].copy_from_slice(&[
                b'%',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ]);
            at += 3;
        }
    }
    at
}

impl Encode<'_> {
    /// The encoded length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0
            .bytes()
            .map(|b| if is_plain(b) { 1 } else { 3 })
            .sum()
    }

    /// Whether the value is empty.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Encode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.0.as_bytes();
        let mut plain_from = 0;
        for (at, &b) in bytes.iter().enumerate() {
            if is_plain(b) {
                continue;
            }
            // A run of plain bytes is ASCII, so it starts and ends on character
            // boundaries.
            f.write_str(self.0.get(plain_from..at).unwrap_or_default())?;
            let escape = [b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]];
            f.write_str(core::str::from_utf8(&escape).unwrap_or_default())?;
            plain_from = at + 1;
        }
        f.write_str(self.0.get(plain_from..).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass decoder writes what the replacing decoder writes, into any
    /// buffer, for raw values checked or not.
    #[test]
    fn the_one_pass_decoder_takes_utf8_and_leaves_the_rest() {
        // Valid UTF-8 never goes to the replacing decoder.
        for (raw, text) in [
            ("", ""),
            ("abc", "abc"),
            ("%41", "A"),
            ("a%C3%A9b", "a\u{e9}b"),
            ("%E2%82%AC%E2%82%AC", "\u{20ac}\u{20ac}"),
            ("x%F0%9F%98%80y%C3%A9", "x\u{1f600}y\u{e9}"),
            ("%c3%a9", "\u{e9}"),
        ] {
            let mut buf = [0u8; 32];
            let len = decode_utf8(raw.as_bytes(), &mut buf);
            assert_eq!(len.ok(), Some(text.len()), "{raw:?}");
            assert_eq!(&buf[..text.len()], text.as_bytes(), "{raw:?}");
        }
        // What is not UTF-8 (or not simply) is left to the replacing decoder.
        for raw in [
            "%C3",
            "%C3x",
            "%C3x%A9",
            "%FF",
            "%ED%A0%80",
            "%C3%C3",
            "%E2%82",
            "%",
            "a%4",
            "%80",
        ] {
            let mut buf = [0u8; 32];
            assert!(
                matches!(decode_utf8(raw.as_bytes(), &mut buf), Err(Slow::NotUtf8)),
                "{raw:?}"
            );
        }
        let mut short = [0u8; 2];
        assert!(matches!(decode_utf8(b"abc", &mut short), Err(Slow::NoRoom)));
    }

    #[test]
    fn one_pass_decoding_is_the_replacing_decoding() {
        let raws = [
            "",
            "a",
            "%41",
            "a%C3%A9b",
            "%C3",
            "%C3a",
            "a%E2%82",
            "%F0%9F%98%80",
            "%FF",
            "%4",
            "%",
            "a%",
            "%%41",
            "%C3%",
            "%C3%A",
            "\u{e9}",
            "%C3\u{e9}",
            "%ED%A0%80",
            "%C3a%A9",
        ];
        for raw in raws {
            for cap in 0..16 {
                let (mut fast, mut slow) = ([0u8; 16], [0u8; 16]);
                let fast = decode_into(raw.as_bytes(), &mut fast[..cap]).map(str::as_bytes);
                let slow =
                    decode_lossy_into(raw.as_bytes(), &mut slow[..cap]).map(|len| &slow[..len]);
                assert_eq!(fast, slow, "{raw:?} into {cap}");
            }
        }
    }
}
