//! The tracestate grammar (rules S3–S6): the one validator that every form uses,
//! and the walk over the members of one or several fields (S2).

use crate::error::{Error, ErrorKind, Reason};
use crate::traceparent::is_ows;

use super::{MAX_KEY_LEN, MAX_MEMBERS, MAX_VALUE_LEN, Validation};

/// Byte classes for the S4 grammar.
const KEY_FIRST: u8 = 1;
const KEY_REST: u8 = 2;
const VALUE: u8 = 4;

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let mut class = 0;
        if b.is_ascii_lowercase() || b.is_ascii_digit() {
            class |= KEY_FIRST | KEY_REST;
        }
        if matches!(b, b'_' | b'-' | b'*' | b'/' | b'@') {
            class |= KEY_REST;
        }
        if b >= 0x20 && b <= 0x7e && b != b',' && b != b'=' {
            class |= VALUE;
        }
        t[c] = class;
        c += 1;
    }
    t
};

#[inline(always)]
fn class(c: u8) -> u8 {
    CLASS[c as usize]
}

/// The index of the first byte at or after `i` outside the class `bit`.
///
/// A byte loop on purpose: its exit branch is predicted, so the processor runs ahead
/// into the next member, where a word-at-a-time search would make every member
/// boundary wait on the previous word's arithmetic (measured slower here).
#[inline(always)]
fn end_of_run(b: &[u8], mut i: usize, bit: u8) -> usize {
    // Eight bytes per bounds check.
    while let Some(chunk) = b.get(i..).and_then(|r| r.first_chunk::<8>()) {
        for (k, &c) in chunk.iter().enumerate() {
            if class(c) & bit == 0 {
                return i + k;
            }
        }
        i += 8;
    }
    while i < b.len() && class(b[i]) & bit != 0 {
        i += 1;
    }
    i
}

/// A problem in one member: kind, reason and the offset in its field.
pub(super) type Fault = (ErrorKind, Reason, usize);

/// Reads a key starting at `start` (which is in `b`): its end, after at most
/// 256 bytes of `[a-z0-9][a-z0-9_\-*/@]*` (S4). The byte at the end is whatever
/// stopped the key; the caller decides whether it may follow one.
#[inline(always)]
fn scan_key(b: &[u8], start: usize) -> Result<usize, Fault> {
    let first = b[start];
    if class(first) & KEY_FIRST == 0 {
        let reason = if first == b'=' {
            Reason::Empty
        } else {
            Reason::Invalid(first)
        };
        return Err((ErrorKind::Key, reason, start));
    }
    // The first character is in the key's rest class too.
    let end = end_of_run(b, start, KEY_REST);
    if end - start > MAX_KEY_LEN {
        return Err((
            ErrorKind::Key,
            Reason::TooLong(MAX_KEY_LEN as u16),
            start + MAX_KEY_LEN,
        ));
    }
    Ok(end)
}

/// Reads a value starting at `start`: `(end, stop)`, where `stop` is the first byte
/// outside the value characters (S4) and `end` is `stop` less trailing spaces, which
/// are whitespace and not part of the value.
#[inline(always)]
fn scan_value(b: &[u8], start: usize) -> (usize, usize) {
    let stop = end_of_run(b, start, VALUE);
    let mut end = stop;
    while end > start && b[end - 1] == b' ' {
        end -= 1;
    }
    (end, stop)
}

/// Reads one member starting at `start` (not whitespace, not a comma). On success
/// returns `(key_end, value_end, next)`: the value starts after the `=` at `key_end`,
/// and `next` is the index of the terminating comma or the end of the field.
#[inline(always)]
fn scan_member(b: &[u8], start: usize) -> Result<(usize, usize, usize), Fault> {
    let n = b.len();
    let key_end = scan_key(b, start)?;
    if key_end == n || b[key_end] != b'=' {
        return Err(key_stop(b, key_end));
    }
    let value_start = key_end + 1;
    let (value_end, stop) = scan_value(b, value_start);
    let mut i = stop;
    while i < n && is_ows(b[i]) {
        i += 1;
    }
    if i < n && b[i] != b',' {
        return Err((ErrorKind::Value, Reason::Invalid(b[stop]), stop));
    }
    if value_end == value_start {
        return Err((ErrorKind::Value, Reason::Empty, value_start));
    }
    if value_end - value_start > MAX_VALUE_LEN {
        return Err((
            ErrorKind::Value,
            Reason::TooLong(MAX_VALUE_LEN as u16),
            value_start + MAX_VALUE_LEN,
        ));
    }
    Ok((key_end, value_end, i))
}

/// Explains a key that stopped at `i` without an `=`.
#[cold]
fn key_stop(b: &[u8], i: usize) -> Fault {
    let mut j = i;
    while j < b.len() && is_ows(b[j]) {
        j += 1;
    }
    if j == b.len() || b[j] == b',' {
        (ErrorKind::Member, Reason::NoEquals, i)
    } else {
        (ErrorKind::Key, Reason::Invalid(b[i]), i)
    }
}

/// Checks a key given on its own (to an insert) by the grammar above; the error
/// offset is within the key.
pub(super) fn check_key(key: &[u8]) -> Result<(), Error> {
    if key.is_empty() {
        return Err(Error::new(ErrorKind::Key, Reason::Empty, 0));
    }
    let end = scan_key(key, 0).map_err(fault_error)?;
    if end < key.len() {
        return Err(Error::new(ErrorKind::Key, Reason::Invalid(key[end]), end));
    }
    Ok(())
}

/// Checks a value given on its own by the grammar above: all of it must be value
/// characters and it may not end in a space; the error offset is within the value.
pub(super) fn check_value(value: &[u8]) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::new(ErrorKind::Value, Reason::Empty, 0));
    }
    let (end, stop) = scan_value(value, 0);
    if stop < value.len() {
        return Err(Error::new(
            ErrorKind::Value,
            Reason::Invalid(value[stop]),
            stop,
        ));
    }
    if value.len() > MAX_VALUE_LEN {
        let e = Error::new(
            ErrorKind::Value,
            Reason::TooLong(MAX_VALUE_LEN as u16),
            MAX_VALUE_LEN,
        );
        return Err(e);
    }
    if end < value.len() {
        let last = value.len() - 1;
        return Err(Error::new(ErrorKind::Value, Reason::Invalid(b' '), last));
    }
    Ok(())
}

#[cold]
fn fault_error((kind, reason, at): Fault) -> Error {
    Error::new(kind, reason, at)
}

/// One valid member, where it stands in its field: `field[start..eq]` is the key,
/// `field[eq + 1..end]` the value.
#[derive(Clone, Copy)]
pub(super) struct Raw<'a> {
    pub(super) field: &'a [u8],
    pub(super) start: usize,
    pub(super) eq: usize,
    pub(super) end: usize,
}

impl<'a> Raw<'a> {
    pub(super) fn key(self) -> &'a [u8] {
        &self.field[self.start..self.eq]
    }

    pub(super) fn value(self) -> &'a [u8] {
        &self.field[self.eq + 1..self.end]
    }

    pub(super) fn len(self) -> usize {
        self.end - self.start
    }
}

/// The next member of one field at or after `*pos`, skipping whitespace and empty
/// members (rule S3). After a fault, `*pos` moves past the bad member's comma so a
/// lenient reader can go on.
#[inline(always)]
fn next_member<'a>(b: &'a [u8], pos: &mut usize) -> Option<Result<Raw<'a>, Fault>> {
    let n = b.len();
    let mut i = *pos;
    loop {
        while i < n && is_ows(b[i]) {
            i += 1;
        }
        if i == n {
            *pos = n;
            return None;
        }
        if b[i] != b',' {
            break;
        }
        i += 1;
    }
    let start = i;
    match scan_member(b, start) {
        Ok((key_end, value_end, next)) => {
            *pos = next;
            Some(Ok(Raw {
                field: b,
                start,
                eq: key_end,
                end: value_end,
            }))
        }
        Err(fault) => {
            let mut j = fault.2;
            while j < n && b[j] != b',' {
                j += 1;
            }
            *pos = j;
            Some(Err(fault))
        }
    }
}

/// The walk over the members of a list given as one or several fields (rule S2),
/// validating each, fed one field at a time. Strict: the first error ends the walk.
/// Lenient: bad members are skipped, and the walk ends after 32 good ones.
#[derive(Clone, Copy)]
pub(super) struct Walker {
    /// Offset of the current field in the list joined with commas.
    base: usize,
    next_base: usize,
    /// Non-empty members met so far, valid or not (for error messages).
    seen: usize,
    /// Valid members yielded so far.
    valid: usize,
    validation: Validation,
    done: bool,
}

impl Walker {
    pub(super) const fn new(validation: Validation) -> Self {
        Self {
            base: 0,
            next_base: 0,
            seen: 0,
            valid: 0,
            validation,
            done: false,
        }
    }

    /// The validation the walk applies.
    pub(super) const fn validation(&self) -> Validation {
        self.validation
    }

    /// Whether the walk is over: an error, or the last member a lenient read keeps.
    pub(super) const fn is_done(&self) -> bool {
        self.done
    }

    /// Starts the next field, `len` bytes long.
    #[inline(always)]
    pub(super) fn start_field(&mut self, len: usize) {
        self.base = self.next_base;
        self.next_base = self.base.saturating_add(len + 1);
    }

    /// The next member of the current `field` at or after `*pos`; `None` at the end
    /// of the field or of the walk.
    // Inlined so the member travels in registers: returned through memory and read
    // back at once, it costs a store-forwarding stall on every member.
    #[inline(always)]
    pub(super) fn next<'a>(
        &mut self,
        field: &'a [u8],
        pos: &mut usize,
    ) -> Option<Result<Raw<'a>, Error>> {
        while !self.done {
            let step = next_member(field, pos)?;
            self.seen += 1;
            match (step, self.validation) {
                (Ok(raw), validation) => {
                    if self.valid < MAX_MEMBERS {
                        self.valid += 1;
                        return Some(Ok(raw));
                    }
                    self.done = true;
                    if validation == Validation::Strict {
                        let at = self.base + raw.start;
                        let e = Error::in_member(
                            ErrorKind::MemberCount,
                            Reason::TooMany(32),
                            at,
                            self.seen,
                        );
                        return Some(Err(e));
                    }
                }
                (Err((kind, reason, at)), Validation::Strict) => {
                    self.done = true;
                    return Some(Err(Error::in_member(
                        kind,
                        reason,
                        self.base + at,
                        self.seen,
                    )));
                }
                (Err(_), Validation::Lenient) => {}
            }
        }
        None
    }
}

/// The walk over fields pulled from an iterator.
#[derive(Clone)]
pub(super) struct Scan<'a, I> {
    fields: I,
    field: &'a [u8],
    pos: usize,
    walker: Walker,
}

impl<'a, I: Iterator<Item = &'a [u8]>> Scan<'a, I> {
    pub(super) fn new(fields: I, validation: Validation) -> Self {
        Scan {
            fields,
            field: &[],
            pos: 0,
            walker: Walker::new(validation),
        }
    }
}

impl<'a, I: Iterator<Item = &'a [u8]>> Iterator for Scan<'a, I> {
    type Item = Result<Raw<'a>, Error>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(member) = self.walker.next(self.field, &mut self.pos) {
                return Some(member);
            }
            if self.walker.is_done() {
                return None;
            }
            let field = self.fields.next()?;
            self.walker.start_field(field.len());
            self.field = field;
            self.pos = 0;
        }
    }
}

/// The members of fields already validated strictly as a whole, found without
/// checking them again: a comma ends a member (no key or value contains one),
/// whitespace around members and empty members are skipped, and the first `=`
/// ends the key (keys have none).
#[derive(Clone)]
pub(super) struct Trusted<'a, I> {
    fields: I,
    field: &'a [u8],
    pos: usize,
}

impl<'a, I: Iterator<Item = &'a [u8]>> Trusted<'a, I> {
    pub(super) fn new(fields: I) -> Self {
        Trusted {
            fields,
            field: &[],
            pos: 0,
        }
    }
}

impl<'a, I: Iterator<Item = &'a [u8]>> Iterator for Trusted<'a, I> {
    type Item = Raw<'a>;

    #[inline]
    fn next(&mut self) -> Option<Raw<'a>> {
        let field = loop {
            let field = self.field;
            while self.pos < field.len() && (field[self.pos] == b',' || is_ows(field[self.pos])) {
                self.pos += 1;
            }
            if self.pos < field.len() {
                break field;
            }
            self.field = self.fields.next()?;
            self.pos = 0;
        };
        let start = self.pos;
        let comma = crate::swar::find_comma(field, start).unwrap_or(field.len());
        self.pos = comma;
        let mut end = comma;
        while is_ows(field[end - 1]) {
            end -= 1;
        }
        // A valid member has an `=` after a key of at least one character.
        let eq = start + field[start..end].iter().position(|&c| c == b'=')?;
        Some(Raw {
            field,
            start,
            eq,
            end,
        })
    }
}

/// Text known to be ASCII as `&str`.
#[inline(always)]
pub(super) fn text(b: &[u8]) -> &str {
    // Only validated members reach here, and their bytes are all ASCII.
    core::str::from_utf8(b).unwrap_or_default()
}

/// The value of the left-most member with `key` in a list already validated as a
/// whole (no member needs checking again): members are found by their commas,
/// which no key or value contains.
#[inline]
pub(crate) fn find_trusted<'t>(list: &'t [u8], key: &[u8]) -> Option<&'t [u8]> {
    let mut rest = list;
    loop {
        // Skip whitespace and empty members.
        let start = rest.iter().position(|&c| c != b',' && !is_ows(c))?;
        rest = &rest[start..];
        let end = rest.iter().position(|&c| c == b',').unwrap_or(rest.len());
        let member = &rest[..end];
        if let Some(value) = member.strip_prefix(key).and_then(|v| v.strip_prefix(b"=")) {
            let trimmed = value.len() - value.iter().rev().take_while(|&&c| is_ows(c)).count();
            return Some(&value[..trimmed]);
        }
        rest = &rest[end..];
    }
}

/// Validates one field strictly as a whole list (what
/// [`TraceStateView::parse`](super::TraceStateView::parse) checks), and notes on
/// the way where the value of the first member with `key` lies in `field`, so that
/// it can be read later without a second scan. `None` for a list with no members.
pub(crate) fn validate_noting(field: &[u8], key: &[u8]) -> Result<Option<Noted>, Error> {
    if let Some(plain) = plain(field, key) {
        return Ok((plain.members > 0).then_some(Noted { value: plain.value }));
    }
    let mut any = false;
    let mut value = None;
    for member in Scan::new(core::iter::once(field), Validation::Strict) {
        let raw = member?;
        any = true;
        // The length first: most keys differ from `key` in it, and checked on
        // its own it keeps the scan's loop tight (measured: 3% of a 32-member
        // hop).
        if raw.eq - raw.start == key.len() && value.is_none() && raw.key() == key {
            value = Some((raw.eq + 1, raw.end));
        }
    }
    Ok(any.then_some(Noted { value }))
}

/// What [`plain`] found in a plain list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Plain {
    /// How many members it holds.
    pub(super) members: usize,
    /// Where the value of the first member with the key asked for lies.
    pub(super) value: Option<(usize, usize)>,
}

/// Reads `field` when it is a plain list: valid members joined by single
/// commas, with no whitespace around them or between them (`a=1,b=x y`), the
/// form senders write; on the way, notes where the value of the first member
/// with `key` lies. `None` for anything else (whitespace, empty members, an
/// invalid member, more than 32), which the walk reads, with the same result
/// where both apply: this check only spares the common form the walk's
/// handling of whitespace and of the members' numbers.
#[inline(always)]
pub(super) fn plain(field: &[u8], key: &[u8]) -> Option<Plain> {
    let (mut at, mut members, mut value) = (0, 0, None);
    if field.is_empty() {
        return Some(Plain { members, value });
    }
    // The walk's `scan_key` and `scan_value` say the same of a member, but
    // through their errors they cost this loop 8% of a 32-member hop.
    loop {
        let start = at;
        if class(*field.get(start)?) & KEY_FIRST == 0 {
            return None;
        }
        let key_end = end_of_run(field, start, KEY_REST);
        if key_end - start > MAX_KEY_LEN || field.get(key_end) != Some(&b'=') {
            return None;
        }
        let value_start = key_end + 1;
        let stop = end_of_run(field, value_start, VALUE);
        // A value is not empty, and ends with a character that is not a space.
        if stop == value_start || stop - value_start > MAX_VALUE_LEN || field[stop - 1] == b' ' {
            return None;
        }
        members += 1;
        if members > MAX_MEMBERS {
            return None;
        }
        if key_end - start == key.len() && value.is_none() && &field[start..key_end] == key {
            value = Some((value_start, stop));
        }
        match field.get(stop) {
            None => return Some(Plain { members, value }),
            Some(b',') => at = stop + 1,
            Some(_) => return None,
        }
    }
}

/// What [`validate_noting`] found in a list with members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Noted {
    /// Where the value of the key's first member starts and ends, in bytes from
    /// the start of the field.
    pub(crate) value: Option<(usize, usize)>,
}

/// The number of members of a list already validated as a whole: its stretches
/// between commas that are not only whitespace.
pub(crate) fn count_trusted(list: &[u8]) -> usize {
    list.split(|&c| c == b',')
        .filter(|member| member.iter().any(|&c| !is_ows(c)))
        .count()
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::vec::Vec;

    /// Where each member lies: its field (by address) and offsets.
    fn spans<'a>(members: impl Iterator<Item = Raw<'a>>) -> Vec<(usize, usize, usize, usize)> {
        members
            .map(|raw| (raw.field.as_ptr() as usize, raw.start, raw.eq, raw.end))
            .collect()
    }

    #[test]
    fn the_trusted_scan_finds_what_the_strict_scan_checks() {
        let lists: [&[&[u8]]; 9] = [
            &[b"a=1"],
            &[b"a=1,b=2"],
            &[b" \ta=1 ,\t b=2\t, ,,c=x y \t"],
            &[b",,,a=1,,,"],
            &[b"a=1", b"", b"  ", b"b=2,c=3"],
            &[b"", b"a=1"],
            &[b"vendor@tenant=v", b"k=v  w ,x=y"],
            &[b"a=b c  d"],
            &[],
        ];
        for fields in lists {
            let checked: Vec<Raw<'_>> = Scan::new(fields.iter().copied(), Validation::Strict)
                .map(|member| member.unwrap())
                .collect();
            let trusted = spans(Trusted::new(fields.iter().copied()));
            assert_eq!(trusted, spans(checked.into_iter()), "{fields:?}");
        }
    }

    /// What the walk says of `field` as a plain list: valid, and each stretch
    /// between commas exactly one member with nothing around it.
    fn plain_by_walk(field: &[u8], key: &[u8]) -> Option<Plain> {
        let raws = Scan::new(core::iter::once(field), Validation::Strict)
            .collect::<Result<Vec<Raw<'_>>, Error>>()
            .ok()?;
        if field.is_empty() {
            return Some(Plain {
                members: 0,
                value: None,
            });
        }
        let mut start = 0;
        let pieces: Vec<(usize, usize)> = field
            .split(|&c| c == b',')
            .map(|piece| {
                let span = (start, start + piece.len());
                start += piece.len() + 1;
                span
            })
            .collect();
        if pieces.len() != raws.len()
            || pieces
                .iter()
                .zip(&raws)
                .any(|(&piece, raw)| piece != (raw.start, raw.end))
        {
            return None;
        }
        let value = raws
            .iter()
            .find(|raw| raw.key() == key)
            .map(|raw| (raw.eq + 1, raw.end));
        Some(Plain {
            members: raws.len(),
            value,
        })
    }

    #[test]
    fn a_plain_list_is_what_the_walk_says() {
        let long_key = [b'k'; MAX_KEY_LEN + 1];
        let long_value = [b'v'; MAX_VALUE_LEN + 1];
        let many: Vec<u8> = (0..MAX_MEMBERS + 1).flat_map(|_| *b"a=1,").collect();
        let cases: [(&[u8], Option<usize>); 16] = [
            (b"", Some(0)),
            (b"a=1", Some(1)),
            (b"ot=th:c,vendor@tenant=x y,k_-*/@=v", Some(3)),
            (b"a=1,", None),
            (b",a=1", None),
            (b"a=1,,b=2", None),
            (b" a=1", None),
            (b"a=1 ", None),
            (b"a=1 ,b=2", None),
            (b"a =1", None),
            (b"a=", None),
            (b"A=1", None),
            (b"a=1=2", None),
            (b"a=1\t", None),
            (&many[..4 * MAX_MEMBERS - 1], Some(MAX_MEMBERS)),
            (&many[..4 * MAX_MEMBERS + 3], None),
        ];
        for (field, members) in cases {
            assert_eq!(plain(field, b"ot").map(|p| p.members), members, "{field:?}");
            assert_eq!(
                plain(field, b"ot"),
                plain_by_walk(field, b"ot"),
                "{field:?}"
            );
        }
        let mut at_limit = long_key[1..].to_vec();
        at_limit.push(b'=');
        at_limit.extend_from_slice(&long_value[1..]);
        assert_eq!(plain(&at_limit, b"").map(|p| p.members), Some(1));
        // The limits hold for each member wherever it starts.
        let second = [b"a=1,", &at_limit[..], b",", &at_limit[..]].concat();
        assert_eq!(plain(&second, b"").map(|p| p.members), Some(3));
        for (key, value) in [
            (&long_key[..], &long_value[1..]),
            (&long_key[1..], &long_value[..]),
        ] {
            let field = [key, b"=", value].concat();
            assert_eq!(plain(&field, b""), None);
        }
        // Generated fields: every piece of a small alphabet up to three
        // pieces, then longer ones from a fixed generator.
        let pieces: [&[u8]; 16] = [
            b"a", b"=", b",", b" ", b"\t", b"1", b"ot", b"th:c", b"@", b"A", b"x y", b"a=1,",
            b"ot=", b"k", b"=\x80", b"rv:ab",
        ];
        let mut checked = 0;
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for round in 0..100_000u32 {
            let mut field = Vec::new();
            if round < 16 * 16 * 16 {
                for digit in [round % 16, round / 16 % 16, round / 256] {
                    field.extend_from_slice(pieces[digit as usize]);
                }
            } else {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                for i in 0..seed % 14 {
                    field.extend_from_slice(pieces[((seed >> (4 * i + 8)) % 16) as usize]);
                }
            }
            let found = plain(&field, b"ot");
            assert_eq!(found, plain_by_walk(&field, b"ot"), "{field:?}");
            checked += usize::from(found.is_some_and(|p| p.members > 0));
        }
        assert!(checked > 1000, "{checked}");
    }

    #[test]
    fn noting_says_none_for_a_list_without_members() {
        for field in [&b""[..], b" ", b",,", b"\t,"] {
            assert_eq!(validate_noting(field, b"ot"), Ok(None), "{field:?}");
        }
        for (field, value) in [(&b"a=1"[..], None), (b"a=1,ot=th:8", Some((7, 11)))] {
            let noted = Some(Noted { value });
            assert_eq!(validate_noting(field, b"ot"), Ok(noted), "{field:?}");
        }
    }
}
