//! The baggage member grammar (rules [B2](crate::rules#b2) to
//! [B5](crate::rules#b5)), one member at a time.

use crate::error::{ErrorKind, Reason};
use crate::swar::{HIGH, in_ranges, load};

/// The token characters (rule B3) as byte ranges, for eight bytes at a time.
const TOKEN: [(u8, u8); 9] = [
    (0x21, 0x21),
    (0x23, 0x27),
    (0x2a, 0x2b),
    (0x2d, 0x2e),
    (0x30, 0x39),
    (0x41, 0x5a),
    (0x5e, 0x7a),
    (0x7c, 0x7c),
    (0x7e, 0x7e),
];

/// The value characters (rule B4) but `%`, which starts an escape.
const PLAIN: [(u8, u8); 6] = [
    (0x21, 0x21),
    (0x23, 0x24),
    (0x26, 0x2b),
    (0x2d, 0x3a),
    (0x3c, 0x5b),
    (0x5d, 0x7e),
];

/// Skips the bytes that lie in `ranges` from `at`, eight at a time while eight
/// remain, then one at a time with `class`: returns the offset of the first byte
/// outside them, or the text's length.
#[inline(always)]
fn skip<const N: usize>(
    text: &[u8],
    mut at: usize,
    ranges: [(u8, u8); N],
    class: fn(u8) -> bool,
) -> usize {
    while at + 8 <= text.len() {
        let outside = !in_ranges(load(text, at), ranges) & HIGH;
        if outside != 0 {
            return at + (outside.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while at < text.len() && class(text[at]) {
        at += 1;
    }
    at
}

/// The byte classes as a table: bit 1 for a token character, bit 2 for a value
/// character other than `%`.
static CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = (is_token(b) as u8) | (((is_octet(b) && b != b'%') as u8) << 1);
        c += 1;
    }
    table
};

/// Whether a byte is a token character, by the table.
#[inline(always)]
fn token_byte(c: u8) -> bool {
    CLASS[usize::from(c)] & 1 != 0
}

/// Whether a value byte is written as it is (a value character but `%`), by the
/// table.
#[inline(always)]
pub(crate) fn is_plain(c: u8) -> bool {
    CLASS[usize::from(c)] & 2 != 0
}

/// The first `,` from `at`, a word at a time.
#[inline]
pub(crate) fn find_comma(text: &[u8], mut at: usize) -> Option<usize> {
    while at + 8 <= text.len() {
        let commas = in_ranges(load(text, at), [(b',', b',')]);
        if commas != 0 {
            // The lowest lane set is the first comma.
            return Some(at + (commas.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    text.get(at..)?
        .iter()
        .position(|&c| c == b',')
        .map(|i| at + i)
}

/// A problem in a member: the kind, the reason and the offset in the member text.
pub(crate) type Problem = (ErrorKind, Reason, usize);

/// Spaces and tabs, the only whitespace the grammar allows (rule B2).
#[inline]
pub(crate) const fn is_ows(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// An RFC 7230 `token` character, the characters of keys (rule B3).
#[inline]
const fn is_token(c: u8) -> bool {
    matches!(c,
        b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z'
        | b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.'
        | b'^' | b'_' | b'`' | b'|' | b'~')
}

/// A `baggage-octet`, the characters of values as sent (rule B4): printable ASCII
/// but for space, `"`, `,`, `;` and `\`.
#[inline]
pub(crate) const fn is_octet(c: u8) -> bool {
    matches!(c, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e)
}

/// Where the parts of a valid member lie in its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Spans {
    /// The key: `0..key_end`.
    pub(crate) key_end: usize,
    /// The raw value.
    pub(crate) value: (usize, usize),
    /// The properties, from the first `;` on (empty when there are none).
    pub(crate) properties: usize,
}

/// Skips spaces and tabs from `at`.
#[inline]
fn skip_ows(text: &[u8], mut at: usize) -> usize {
    while at < text.len() && is_ows(text[at]) {
        at += 1;
    }
    at
}

/// The end of a run of key characters from `at`; an error when it is empty.
#[inline]
fn key(text: &[u8], at: usize, kind: ErrorKind) -> Result<usize, Problem> {
    let end = skip(text, at, TOKEN, token_byte);
    if end == at {
        return Err(match text.get(at) {
            Some(&c) => (kind, Reason::Invalid(c), at),
            None => (kind, Reason::Empty, at),
        });
    }
    Ok(end)
}

/// The end of a run of value characters from `at`, each `%` followed by two hex
/// digits (rule B5).
#[inline]
fn value(text: &[u8], mut at: usize, kind: ErrorKind) -> Result<usize, Problem> {
    loop {
        at = skip(text, at, PLAIN, is_plain);
        if text.get(at) != Some(&b'%') {
            return Ok(at);
        }
        let hex = |i: usize| text.get(i).is_some_and(u8::is_ascii_hexdigit);
        if !(hex(at + 1) && hex(at + 2)) {
            return Err((kind, Reason::BadEscape, at));
        }
        at += 3;
    }
}

/// Checks one member, given without the whitespace around it and not empty, and
/// says where its parts lie.
pub(crate) fn member(text: &[u8]) -> Result<Spans, Problem> {
    let key_end = key(text, 0, ErrorKind::Key)?;
    let at = skip_ows(text, key_end);
    if text.get(at) != Some(&b'=') {
        return Err(match text.get(at) {
            Some(&c) if at == key_end => (ErrorKind::Key, Reason::Invalid(c), at),
            _ => (ErrorKind::Member, Reason::NoEquals, at),
        });
    }
    let start = skip_ows(text, at + 1);
    let end = value(text, start, ErrorKind::Value)?;
    let after = skip_ows(text, end);
    match text.get(after) {
        None => Ok(Spans {
            key_end,
            value: (start, end),
            properties: text.len(),
        }),
        Some(b';') => {
            properties(text, after)?;
            Ok(Spans {
                key_end,
                value: (start, end),
                properties: after,
            })
        }
        Some(&c) if after == end => Err((ErrorKind::Value, Reason::Invalid(c), after)),
        Some(&c) => Err((ErrorKind::Member, Reason::Invalid(c), after)),
    }
}

/// Where the parts of one property lie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PropertySpans {
    /// The key.
    pub(crate) key: (usize, usize),
    /// The raw value, if the property has an `=`.
    pub(crate) value: Option<(usize, usize)>,
    /// Where the next `;` is, or the end of the text.
    pub(crate) next: usize,
}

/// One property starting after the `;` at `semicolon`.
pub(crate) fn property(text: &[u8], semicolon: usize) -> Result<PropertySpans, Problem> {
    let start = skip_ows(text, semicolon + 1);
    let key_end = key(text, start, ErrorKind::Property)?;
    let mut at = skip_ows(text, key_end);
    let mut value_span = None;
    if text.get(at) == Some(&b'=') {
        let value_start = skip_ows(text, at + 1);
        let value_end = value(text, value_start, ErrorKind::Property)?;
        value_span = Some((value_start, value_end));
        at = skip_ows(text, value_end);
    }
    match text.get(at) {
        None | Some(b';') => Ok(PropertySpans {
            key: (start, key_end),
            value: value_span,
            next: at,
        }),
        Some(&c) => Err((ErrorKind::Property, Reason::Invalid(c), at)),
    }
}

/// Checks every property from the `;` at `at` on.
fn properties(text: &[u8], mut at: usize) -> Result<(), Problem> {
    while at < text.len() {
        at = property(text, at)?.next;
    }
    Ok(())
}

/// Checks a key given on its own (to be written into a list): one or more token
/// characters (rule B3).
pub(crate) fn check_key(text: &[u8], kind: ErrorKind) -> Result<(), Problem> {
    let end = key(text, 0, kind)?;
    match text.get(end) {
        None => Ok(()),
        Some(&c) => Err((kind, Reason::Invalid(c), end)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_classes_are_the_byte_classes() {
        for c in 0..=255u8 {
            for len in 1..=17 {
                for at in 0..len {
                    let mut text = [b'a'; 17];
                    text[at] = c;
                    let text = &text[..len];
                    let token_end = skip(text, 0, TOKEN, token_byte);
                    let want = if is_token(c) { len } else { at };
                    assert_eq!(token_end, want, "token {c:#04x} at {at} of {len}");
                    let plain_end = skip(text, 0, PLAIN, is_plain);
                    let want = if is_octet(c) && c != b'%' { len } else { at };
                    assert_eq!(plain_end, want, "plain {c:#04x} at {at} of {len}");
                    let comma = find_comma(text, 0);
                    assert_eq!(comma, (c == b',').then_some(at), "comma at {at} of {len}");
                }
            }
        }
        assert_eq!(skip(b"", 0, TOKEN, token_byte), 0);
        assert_eq!(find_comma(b"", 0), None);
        assert_eq!(find_comma(b"a,b,c", 2), Some(3));
    }
}
