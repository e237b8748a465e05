//! The baggage member grammar (rules [B2](crate::rules#b2) to
//! [B5](crate::rules#b5)), one member at a time.

use crate::error::{ErrorKind, Reason};
use crate::swar::{find_comma, find_first_of};

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

/// How many bytes one block step looks at.
const BLOCK: usize = 16;

/// The offset of the first lane of `block` where `hit` holds, if any. Each lane
/// becomes `0xff` or `0` without branches, so that the compiler tests the whole
/// block at once with vector instructions.
#[inline(always)]
fn first_in_block(block: &[u8; BLOCK], hit: impl Fn(u8) -> bool) -> Option<usize> {
    let lanes = u128::from_le_bytes(block.map(|c| u8::from(hit(c)).wrapping_neg()));
    if lanes == 0 {
        None
    } else {
        Some((lanes.trailing_zeros() / 8) as usize)
    }
}

/// Whether a byte is not written as it is in a value (the negation of
/// [`is_plain`]), in operations that work on a block of bytes at once.
#[inline(always)]
fn not_plain(c: u8) -> bool {
    // The printable characters but space, then the five that are not value
    // characters as they are: `"`, `%`, `,`, `;` and `\`.
    let nearest = (c ^ b'"')
        .min(c ^ b'%')
        .min(c ^ b',')
        .min(c ^ b';')
        .min(c ^ b'\\');
    (c.wrapping_sub(0x21) > 0x7e - 0x21) | (nearest == 0)
}

/// Skips the value bytes written as they are from `at`, a block at a time while
/// a block remains: returns the offset of the first other byte, or the text's
/// length.
#[inline]
fn skip_plain(text: &[u8], mut at: usize) -> usize {
    while let Some(block) = text.get(at..).and_then(<[u8]>::first_chunk::<BLOCK>) {
        if let Some(lane) = first_in_block(block, not_plain) {
            return at + lane;
        }
        at += BLOCK;
    }
    while at < text.len() && is_plain(text[at]) {
        at += 1;
    }
    at
}

/// Skips the token characters from `at` (keys are short: a byte at a time).
#[inline]
fn skip_token(text: &[u8], mut at: usize) -> usize {
    while at < text.len() && token_byte(text[at]) {
        at += 1;
    }
    at
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
    /// The properties, from the first `;` on (`end` when there are none).
    pub(crate) properties: usize,
    /// The end of the member, without the whitespace after it.
    pub(crate) end: usize,
}

/// Skips spaces and tabs from `at`.
#[inline]
pub(crate) fn skip_ows(text: &[u8], mut at: usize) -> usize {
    while at < text.len() && is_ows(text[at]) {
        at += 1;
    }
    at
}

/// The byte at `at`, or `None` at the end of the member: the end of the text or
/// a `,`.
#[inline(always)]
fn peek(text: &[u8], at: usize) -> Option<u8> {
    text.get(at).copied().filter(|&c| c != b',')
}

/// Where the member ends without the whitespace before `at`, an offset at its
/// end (where [`peek`] says `None`): problems found at the end are reported
/// there.
fn trim_end(text: &[u8], mut at: usize) -> usize {
    while at > 0 && text.get(at - 1).copied().is_some_and(is_ows) {
        at -= 1;
    }
    at
}

/// The end of a run of key characters from `at`; an error when it is empty.
#[inline]
fn key(text: &[u8], at: usize, kind: ErrorKind) -> Result<usize, Problem> {
    let end = skip_token(text, at);
    if end == at {
        return Err(match peek(text, at) {
            Some(c) => (kind, Reason::Invalid(c), at),
            None => (kind, Reason::Empty, trim_end(text, at)),
        });
    }
    Ok(end)
}

/// The end of a run of value characters from `at`, each `%` followed by two hex
/// digits (rule B5).
#[inline(always)]
fn value(text: &[u8], at: usize, kind: ErrorKind) -> Result<usize, Problem> {
    value_with(text, at, skip_plain).map_err(|at| (kind, Reason::BadEscape, at))
}

/// [`value`] with `skip` to pass the characters written as they are; the error
/// is where a `%` lacks its two hex digits.
#[inline(always)]
fn value_with(
    text: &[u8],
    mut at: usize,
    skip: impl Fn(&[u8], usize) -> usize,
) -> Result<usize, usize> {
    loop {
        at = skip(text, at);
        if text.get(at) != Some(&b'%') {
            return Ok(at);
        }
        let hex = |i: usize| text.get(i).is_some_and(u8::is_ascii_hexdigit);
        if !(hex(at + 1) && hex(at + 2)) {
            return Err(at);
        }
        at += 3;
    }
}

/// Checks one member at the start of `text`, which does not start with
/// whitespace or a `,`: the member ends at the first `,` or at the end of the
/// text, whichever comes first, and the whitespace before that end is not part
/// of it. Says where its parts lie; offsets are from the start of `text`.
#[inline(always)]
pub(crate) fn member(text: &[u8]) -> Result<Spans, Problem> {
    let key_end = key(text, 0, ErrorKind::Key)?;
    let at = skip_ows(text, key_end);
    match peek(text, at) {
        Some(b'=') => {}
        Some(c) if at == key_end => return Err((ErrorKind::Key, Reason::Invalid(c), at)),
        Some(_) => return Err((ErrorKind::Member, Reason::NoEquals, at)),
        None => {
            return Err((ErrorKind::Member, Reason::NoEquals, trim_end(text, at)));
        }
    }
    let start = skip_ows(text, at + 1);
    let end = value(text, start, ErrorKind::Value)?;
    let after = skip_ows(text, end);
    match peek(text, after) {
        None => {
            // An empty value may be followed by whitespace, which is not part of
            // the member.
            let member_end = trim_end(text, after);
            Ok(Spans {
                key_end,
                value: (start.min(member_end), end.min(member_end)),
                properties: member_end,
                end: member_end,
            })
        }
        Some(b';') => Ok(Spans {
            key_end,
            value: (start, end),
            properties: after,
            end: properties(text, after)?,
        }),
        Some(c) if after == end => Err((ErrorKind::Value, Reason::Invalid(c), after)),
        Some(c) => Err((ErrorKind::Member, Reason::Invalid(c), after)),
    }
}

/// The end of a value from `at` in a plain list (see [`plain_list`]), or `None`
/// for a `%` without two hex digits after it. Values in a short list are short:
/// the characters written as they are are passed a byte at a time.
#[inline(always)]
fn plain_value(text: &[u8], at: usize) -> Option<usize> {
    let bytewise = |text: &[u8], mut at: usize| {
        while text.get(at).copied().is_some_and(is_plain) {
            at += 1;
        }
        at
    };
    value_with(text, at, bytewise).ok()
}

/// How many members `text` holds when it is a plain list of at most `max`
/// members: valid members joined by single commas, with no whitespace anywhere
/// (`k=v;p=1,q=%20`), the form senders write. `None` for anything else, which
/// [`member`] reads one member at a time, with the same result where both
/// apply: this check only spares the common form the work of handling
/// whitespace and noting where each member lies.
pub(crate) fn plain_list(text: &[u8], max: usize) -> Option<usize> {
    if text.is_empty() {
        return Some(0);
    }
    let mut members = 0;
    let mut at = 0;
    loop {
        at = key(text, at, ErrorKind::Key).ok()?;
        if text.get(at) != Some(&b'=') {
            return None;
        }
        at = plain_value(text, at + 1)?;
        while text.get(at) == Some(&b';') {
            at = key(text, at + 1, ErrorKind::Property).ok()?;
            if text.get(at) == Some(&b'=') {
                at = plain_value(text, at + 1)?;
            }
        }
        members += 1;
        if members > max {
            return None;
        }
        match text.get(at) {
            None => return Some(members),
            Some(b',') => at += 1,
            Some(_) => return None,
        }
    }
}

/// Where the parts of a member known to be valid lie, without checking it again:
/// what [`member`] says of it. The text is the member without the whitespace
/// around it, so it ends where the member does, and no value character is a
/// `;` or whitespace.
pub(crate) fn spans_of_valid(text: &[u8]) -> Spans {
    // A valid member's key ends at its first `=` or whitespace.
    let key_end = find_first_of(text, 0, [b'=', b' ', b'\t']).unwrap_or(text.len());
    spans_after_key(text, key_end)
}

/// [`spans_of_valid`] for a member whose key is known to end at `key_end`.
#[inline(always)]
pub(crate) fn spans_after_key(text: &[u8], key_end: usize) -> Spans {
    let len = text.len();
    let start = skip_ows(text, skip_ows(text, key_end) + 1).min(len);
    // A valid value ends at its first `;` or whitespace.
    let value_end = find_first_of(text, start, [b';', b' ', b'\t']).unwrap_or(len);
    Spans {
        key_end,
        value: (start, value_end),
        properties: skip_ows(text, value_end),
        end: len,
    }
}

/// Where the parts of one property lie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PropertySpans {
    /// The key.
    pub(crate) key: (usize, usize),
    /// The raw value, if the property has an `=`.
    pub(crate) value: Option<(usize, usize)>,
    /// Where the next `;` is, or the end of the member.
    pub(crate) next: usize,
}

/// One property starting after the `;` at `semicolon`.
#[inline]
pub(crate) fn property(text: &[u8], semicolon: usize) -> Result<PropertySpans, Problem> {
    let start = skip_ows(text, semicolon + 1);
    let key_end = key(text, start, ErrorKind::Property)?;
    let mut at = skip_ows(text, key_end);
    let mut value_span = None;
    if peek(text, at) == Some(b'=') {
        let value_start = skip_ows(text, at + 1);
        let value_end = value(text, value_start, ErrorKind::Property)?;
        value_span = Some((value_start, value_end));
        at = skip_ows(text, value_end);
    }
    match peek(text, at) {
        None | Some(b';') => Ok(PropertySpans {
            key: (start, key_end),
            value: value_span,
            next: at,
        }),
        Some(c) => Err((ErrorKind::Property, Reason::Invalid(c), at)),
    }
}

/// Checks every property from the `;` at `at` on; returns where the member
/// ends, without the whitespace after it.
#[inline(always)]
fn properties(text: &[u8], mut at: usize) -> Result<usize, Problem> {
    while peek(text, at).is_some() {
        at = property(text, at)?.next;
    }
    Ok(trim_end(text, at))
}

/// Whether a member known to be valid has the key `key`, itself a valid key
/// ([`as_key`]): the member starts with it, and the byte after it is not a token
/// character.
#[inline]
pub(crate) fn has_key(member: &[u8], key: &[u8]) -> bool {
    member.get(key.len()).is_some_and(|&c| !token_byte(c)) && member.starts_with(key)
}

/// `key` as bytes when it is a key, for [`has_key`]; `None` when it is not one
/// (`"a "`, `"a="`, `""`), which no member has.
#[inline]
pub(crate) fn as_key(key: &str) -> Option<&[u8]> {
    check_key(key.as_bytes(), ErrorKind::Key).ok()?;
    Some(key.as_bytes())
}

/// The entries of a list, split at its commas; none for an empty list.
#[derive(Clone, Debug)]
pub(crate) struct Entries<'a> {
    rest: Option<&'a [u8]>,
}

/// The entries of `list` (see [`Entries`]).
pub(crate) fn entries(list: &[u8]) -> Entries<'_> {
    Entries {
        rest: (!list.is_empty()).then_some(list),
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        match find_comma(rest, 0) {
            Some(end) => {
                self.rest = Some(&rest[end + 1..]);
                Some(&rest[..end])
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
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
    fn the_block_classes_are_the_byte_classes() {
        for c in 0..=255u8 {
            assert_eq!(not_plain(c), !is_plain(c), "{c:#04x}");
            for len in 1..=40 {
                for at in 0..len {
                    let mut text = [b'a'; 40];
                    text[at] = c;
                    let text = &text[..len];
                    let want = if is_token(c) { len } else { at };
                    assert_eq!(skip_token(text, 0), want, "token {c:#04x} at {at} of {len}");
                    let want = if is_octet(c) && c != b'%' { len } else { at };
                    assert_eq!(skip_plain(text, 0), want, "plain {c:#04x} at {at} of {len}");
                }
            }
        }
        assert_eq!(skip_plain(b"", 0), 0);
    }

    #[test]
    fn the_spans_of_a_valid_member_are_what_the_grammar_says() {
        let ows = ["", " ", "\t ", "  "];
        let long = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
        let values = ["", "v", "%41b", "a=b", long];
        let properties = ["", ";p", "; p = 1 ;q", ";p=%20", " ;p", " "];
        let mut checked = 0;
        for key in ["k", "a-b!"] {
            for before in ows {
                for after in ows {
                    for value in values {
                        for props in properties {
                            let mut buf = [0u8; 128];
                            let mut len = 0;
                            for part in [key, before, "=", after, value, props] {
                                buf[len..len + part.len()].copy_from_slice(part.as_bytes());
                                len += part.len();
                            }
                            while len > 0 && is_ows(buf[len - 1]) {
                                len -= 1;
                            }
                            let text = &buf[..len];
                            let Ok(spans) = member(text) else { continue };
                            assert_eq!(spans_of_valid(text), spans, "{text:?}");
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 500, "{checked}");
    }

    /// What reading `text` member by member says of it as a plain list: the
    /// number of members when every entry is a valid member without whitespace
    /// and only single commas lie between them.
    fn plain_by_members(text: &[u8], max: usize) -> Option<usize> {
        if text.is_empty() {
            return Some(0);
        }
        if text.iter().copied().any(is_ows) {
            return None;
        }
        let mut count = 0;
        for entry in text.split(|&c| c == b',') {
            if member(entry).ok()?.end != entry.len() {
                return None;
            }
            count += 1;
        }
        (count <= max).then_some(count)
    }

    #[test]
    fn a_plain_list_is_what_reading_member_by_member_says() {
        let cases: [(&[u8], Option<usize>); 22] = [
            (b"", Some(0)),
            (b"k=v", Some(1)),
            (b"k=", Some(1)),
            (
                b"userId=Am%C3%A9lie,serverNode=DF%2028,tenant=acme;ttl=30",
                Some(3),
            ),
            (b"k=a=b;p;q=1;r=%41,j=2", Some(2)),
            (b"k=v,", None),
            (b",k=v", None),
            (b"k=v,,j=2", None),
            (b"k=v;", None),
            (b"k=v;=1", None),
            (b"k", None),
            (b"=v", None),
            (b"k(=v", None),
            (b"k=v(", Some(1)),
            (b"k=v\"", None),
            (b"k=%4", None),
            (b"k=%4g", None),
            (b"k=%g4", None),
            (b"k=%%41", None),
            (b"k=v ", None),
            (b"k = v", None),
            (b"k=v;p=%zz", None),
        ];
        for (text, want) in cases {
            assert_eq!(plain_list(text, 64), want, "{text:?}");
            assert_eq!(plain_by_members(text, 64), want, "{text:?}");
        }
        assert_eq!(plain_list(b"a=1,b=2,c=3", 3), Some(3));
        assert_eq!(plain_list(b"a=1,b=2,c=3", 2), None);
        // Every list of up to four pieces of a small alphabet, and longer ones
        // made by a fixed generator.
        let pieces: [&[u8]; 16] = [
            b"k", b"=", b",", b";", b"%", b"4", b"%41", b"v", b" ", b"\t", b"(", b"\"", b"\x80",
            b"a=b", b"%zz", b"Z",
        ];
        let mut checked = 0;
        let mut text = [0u8; 64];
        for n in 0..=4u32 {
            for mut index in 0..16usize.pow(n) {
                let mut len = 0;
                for _ in 0..n {
                    let piece = pieces[index % 16];
                    index /= 16;
                    text[len..len + piece.len()].copy_from_slice(piece);
                    len += piece.len();
                }
                let text = &text[..len];
                assert_eq!(plain_list(text, 2), plain_by_members(text, 2), "{text:?}");
                checked += usize::from(plain_list(text, 2).is_some());
            }
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            let mut len = 0;
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            for i in 0..(seed % 12) {
                let piece = pieces[((seed >> (4 * i + 8)) % 16) as usize];
                text[len..len + piece.len()].copy_from_slice(piece);
                len += piece.len();
            }
            let text = &text[..len];
            assert_eq!(plain_list(text, 3), plain_by_members(text, 3), "{text:?}");
            checked += usize::from(plain_list(text, 3).is_some());
        }
        assert!(checked > 1000, "{checked}");
    }

    #[test]
    fn a_member_ends_at_a_comma() {
        let spans = member(b"k = v ;p ,x=1").unwrap();
        assert_eq!(spans.key_end, 1);
        assert_eq!(spans.value, (4, 5));
        assert_eq!(spans.properties, 6);
        assert_eq!(spans.end, 8);
        let spans = member(b"k= \t, x").unwrap();
        assert_eq!((spans.value, spans.properties, spans.end), ((2, 2), 2, 2));
        // Problems at the end of a member are at its end, without the whitespace.
        let at = |text: &[u8]| member(text).unwrap_err();
        assert_eq!(at(b"k  ,"), (ErrorKind::Member, Reason::NoEquals, 1));
        assert_eq!(at(b"k=1; \t,"), (ErrorKind::Property, Reason::Empty, 4));
        assert_eq!(member(b"k=1;p= ,").unwrap().end, 6);
        assert_eq!(at(b"k=%4,"), (ErrorKind::Value, Reason::BadEscape, 2));
    }
}
