//! The `tracestate` header: a zero-copy validated view and an inline owned form.

use core::fmt;
use core::iter::Once;
use core::marker::PhantomData;
use core::str::FromStr;

use crate::error::{Error, ErrorKind, Reason};
use crate::swar;
use crate::traceparent::is_ows;

/// The most members a tracestate may hold (rule S5).
pub const MAX_MEMBERS: usize = 32;
/// The longest key, in bytes (rule S4).
pub const MAX_KEY_LEN: usize = 256;
/// The longest value, in bytes (rule S4).
pub const MAX_VALUE_LEN: usize = 256;
/// Members longer than this (key, `=` and value) are the first to go when a
/// tracestate is cut to a byte limit (rule S9).
pub const LONG_MEMBER: usize = 128;

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

/// How strictly a tracestate is read (rule S6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Validation {
    /// Any invalid member, or more than 32 members, makes the whole tracestate
    /// invalid. The default, and what the W3C conformance suite demands.
    #[default]
    Strict,
    /// Invalid members are skipped and the valid ones kept; past 32 valid members
    /// the rest of the list is ignored. Never an error.
    Lenient,
}

/// A problem in one member: kind, reason and the offset in its field.
type Fault = (ErrorKind, Reason, usize);

/// Reads one member starting at `start` (not whitespace, not a comma). On success
/// returns `(key_end, value_end, next)`: the value starts after the `=` at `key_end`,
/// and `next` is the index of the terminating comma or the end of the field.
#[inline(always)]
fn scan_member(b: &[u8], start: usize) -> Result<(usize, usize, usize), Fault> {
    let n = b.len();
    let first = b[start];
    if class(first) & KEY_FIRST == 0 {
        let reason = if first == b'=' {
            Reason::Empty
        } else {
            Reason::Invalid(first)
        };
        return Err((ErrorKind::Key, reason, start));
    }
    let mut i = end_of_run(b, start + 1, KEY_REST);
    let key_end = i;
    if key_end - start > MAX_KEY_LEN {
        return Err((
            ErrorKind::Key,
            Reason::TooLong(MAX_KEY_LEN as u16),
            start + MAX_KEY_LEN,
        ));
    }
    if i == n || b[i] != b'=' {
        return Err(key_stop(b, i));
    }
    let value_start = i + 1;
    i = end_of_run(b, value_start, VALUE);
    let stop = i;
    let mut value_end = i;
    while value_end > value_start && b[value_end - 1] == b' ' {
        value_end -= 1;
    }
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

/// One valid member, where it stands in the input.
#[derive(Clone, Copy)]
struct Raw<'a> {
    /// The field the member stands in, and where: `field[start..eq]` is the key,
    /// `field[eq + 1..end]` the value.
    field: &'a [u8],
    start: usize,
    eq: usize,
    end: usize,
}

impl<'a> Raw<'a> {
    fn member(self) -> &'a [u8] {
        &self.field[self.start..self.end]
    }

    fn key(self) -> &'a [u8] {
        &self.field[self.start..self.eq]
    }

    fn value(self) -> &'a [u8] {
        &self.field[self.eq + 1..self.end]
    }

    /// Whether `next` follows this member in the same field with only a comma
    /// between them, so that both can be copied as one run of bytes.
    fn adjoins(self, next: Raw<'_>) -> bool {
        core::ptr::eq(self.field, next.field) && next.start == self.end + 1
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

/// Walks the members of a list given as one or several fields (rule S2), validating
/// each. Strict: yields the first error and stops. Lenient: skips bad members and
/// stops after 32 good ones.
#[derive(Clone)]
struct Scan<'a, I> {
    fields: I,
    field: &'a [u8],
    pos: usize,
    /// Offset of `field` in the list joined with commas.
    base: usize,
    next_base: usize,
    /// Non-empty members met so far, valid or not (for error messages).
    seen: usize,
    /// Valid members yielded so far.
    valid: usize,
    validation: Validation,
    done: bool,
}

impl<'a, I: Iterator<Item = &'a [u8]>> Scan<'a, I> {
    fn new(fields: I, validation: Validation) -> Self {
        Scan {
            fields,
            field: &[],
            pos: 0,
            base: 0,
            next_base: 0,
            seen: 0,
            valid: 0,
            validation,
            done: false,
        }
    }
}

impl<'a, I: Iterator<Item = &'a [u8]>> Iterator for Scan<'a, I> {
    type Item = Result<Raw<'a>, Error>;

    // Inlined so the member travels in registers: returned through memory and read
    // back at once, it costs a store-forwarding stall on every member.
    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let Some(step) = next_member(self.field, &mut self.pos) else {
                match self.fields.next() {
                    Some(field) => {
                        self.base = self.next_base;
                        self.next_base = self.base.saturating_add(field.len() + 1);
                        self.field = field;
                        self.pos = 0;
                    }
                    None => self.done = true,
                }
                continue;
            };
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
                            Reason::TooMany,
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

/// Text known to be ASCII as `&str`.
#[inline(always)]
fn text(b: &[u8]) -> &str {
    // Only validated members reach here, and their bytes are all ASCII.
    core::str::from_utf8(b).unwrap_or_default()
}

/// A validated, zero-copy view of a tracestate given as one or several header fields.
///
/// Parsing checks every member against rules S3–S6 and counts them; nothing is
/// copied or allocated, and the view borrows the header values. Several `tracestate`
/// fields are read as one list, as if joined with `,` (rule S2), without joining them.
/// Duplicate keys are accepted; [`get`](TraceStateView::get) returns the left-most
/// (rule S7). Iteration yields `(key, value)` pairs in order, skipping empty members.
///
/// The view stores no index of its members: each iteration or lookup reads the
/// header again, in time linear in its length. For repeated access, convert it into
/// a [`TraceState`] (`TraceState::from(&view)`), which indexes its members.
///
/// ```
/// use tracecontext::TraceStateView;
///
/// let state = TraceStateView::parse(b"congo=t61rcWkgMzE, rojo=00f067aa0ba902b7")?;
/// assert_eq!(state.len(), 2);
/// assert_eq!(state.get("rojo"), Some("00f067aa0ba902b7"));
/// let keys: Vec<&str> = state.iter().map(|(k, _)| k).collect();
/// assert_eq!(keys, ["congo", "rojo"]);
///
/// // Two header fields, one list.
/// let fields: [&[u8]; 2] = [b"congo=t61rcWkgMzE", b"rojo=00f067aa0ba902b7"];
/// let joined = TraceStateView::parse_fields(fields)?;
/// assert!(joined.iter().eq(state.iter()));
/// # Ok::<(), tracecontext::Error>(())
/// ```
#[derive(Clone)]
pub struct TraceStateView<'a, I = Once<&'a [u8]>> {
    fields: I,
    validation: Validation,
    len: u8,
    _borrow: PhantomData<&'a [u8]>,
}

impl<'a> TraceStateView<'a> {
    /// Parses one tracestate header value, strictly.
    ///
    /// # Errors
    ///
    /// The first invalid member ([`ErrorKind::Key`], [`ErrorKind::Value`],
    /// [`ErrorKind::Member`]) or a 33rd member ([`ErrorKind::MemberCount`]), with its
    /// byte offset and member number.
    pub fn parse(input: &'a [u8]) -> Result<Self, Error> {
        Self::parse_fields(core::iter::once(input))
    }
}

impl<'a, I: Iterator<Item = &'a [u8]> + Clone> TraceStateView<'a, I> {
    /// Parses the values of several `tracestate` fields, in order, as one list
    /// (rule S2), strictly. Offsets in errors count through the fields as if joined
    /// with `,`.
    ///
    /// # Errors
    ///
    /// As for [`parse`](TraceStateView::parse).
    pub fn parse_fields<F: IntoIterator<IntoIter = I>>(fields: F) -> Result<Self, Error> {
        Self::parse_fields_with(fields, Validation::Strict)
    }

    /// Parses the values of several `tracestate` fields with the given validation.
    ///
    /// # Errors
    ///
    /// With [`Validation::Strict`], as for [`parse`](TraceStateView::parse). With
    /// [`Validation::Lenient`], never.
    ///
    /// ```
    /// use tracecontext::{TraceStateView, Validation};
    ///
    /// let input: [&[u8]; 1] = [b"ok=1,Bad=2,fine=3"];
    /// assert!(TraceStateView::parse_fields(input).is_err());
    /// let state = TraceStateView::parse_fields_with(input, Validation::Lenient)?;
    /// assert_eq!(state.iter().collect::<Vec<_>>(), [("ok", "1"), ("fine", "3")]);
    /// # Ok::<(), tracecontext::Error>(())
    /// ```
    pub fn parse_fields_with<F: IntoIterator<IntoIter = I>>(
        fields: F,
        validation: Validation,
    ) -> Result<Self, Error> {
        let fields = fields.into_iter();
        let mut len = 0u8;
        for member in Scan::new(fields.clone(), validation) {
            member?;
            len += 1;
        }
        Ok(Self {
            fields,
            validation,
            len,
            _borrow: PhantomData,
        })
    }

    /// The number of members (empty members are not counted).
    #[must_use]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether there are no members. An empty tracestate is valid but not sent (S10).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The validation the view was parsed with.
    #[must_use]
    pub fn validation(&self) -> Validation {
        self.validation
    }

    /// The value of the left-most member with this key (rule S7).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The members, in order, as `(key, value)`.
    #[must_use]
    pub fn iter(&self) -> Members<'a, I> {
        Members {
            scan: Scan::new(self.fields.clone(), self.validation),
            field: None,
        }
    }
}

impl<'a, I: Iterator<Item = &'a [u8]> + Clone> IntoIterator for &TraceStateView<'a, I> {
    type Item = (&'a str, &'a str);
    type IntoIter = Members<'a, I>;
    fn into_iter(self) -> Members<'a, I> {
        self.iter()
    }
}

impl<'a, I: Iterator<Item = &'a [u8]> + Clone> fmt::Debug for TraceStateView<'a, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Writes `key=value` members separated by commas.
fn write_members<'a>(
    f: &mut fmt::Formatter<'_>,
    members: impl Iterator<Item = (&'a str, &'a str)>,
) -> fmt::Result {
    for (i, (k, v)) in members.enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        write!(f, "{k}={v}")?;
    }
    Ok(())
}

/// Writes the members normalised: no whitespace around them, no empty members.
impl<'a, I: Iterator<Item = &'a [u8]> + Clone> fmt::Display for TraceStateView<'a, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_members(f, self.iter())
    }
}

impl<'a, 'b, I, J> PartialEq<TraceStateView<'b, J>> for TraceStateView<'a, I>
where
    I: Iterator<Item = &'a [u8]> + Clone,
    J: Iterator<Item = &'b [u8]> + Clone,
{
    /// Views are equal when they hold the same members in the same order.
    fn eq(&self, other: &TraceStateView<'b, J>) -> bool {
        self.len == other.len
            && self
                .iter()
                .zip(other.iter())
                .all(|((a, b), (c, d))| a == c && b == d)
    }
}

impl<'a, I: Iterator<Item = &'a [u8]> + Clone> Eq for TraceStateView<'a, I> {}

impl<'a, I: Iterator<Item = &'a [u8]> + Clone> core::hash::Hash for TraceStateView<'a, I> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        for member in self.iter() {
            member.hash(state);
        }
    }
}

/// The members of a [`TraceStateView`], in order.
#[derive(Clone)]
pub struct Members<'a, I> {
    scan: Scan<'a, I>,
    /// The field the last member came from, as text when it is UTF-8 as a whole
    /// (always so for a strictly validated view): one UTF-8 check a field, not two a
    /// member.
    field: Option<(&'a [u8], Option<&'a str>)>,
}

impl<'a, I: Iterator<Item = &'a [u8]>> Iterator for Members<'a, I> {
    type Item = (&'a str, &'a str);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        // The view was validated, so a strict scan yields no errors here.
        let raw = self.scan.by_ref().flatten().next()?;
        let field_text = match self.field {
            Some((field, field_text)) if core::ptr::eq(field, raw.field) => field_text,
            _ => {
                let field_text = core::str::from_utf8(raw.field).ok();
                self.field = Some((raw.field, field_text));
                field_text
            }
        };
        let member =
            field_text.and_then(|t| Some((t.get(raw.start..raw.eq)?, t.get(raw.eq + 1..raw.end)?)));
        // A lenient view's field may hold bytes that are not UTF-8 outside its
        // valid members: then check the member alone.
        Some(member.unwrap_or_else(|| (text(raw.key()), text(raw.value()))))
    }
}

impl<'a, I: Iterator<Item = &'a [u8]>> fmt::Debug for Members<'a, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Members { .. }")
    }
}

/// Checks a key against rule S4; the error offset is within the key.
fn check_key(key: &[u8]) -> Result<(), Error> {
    match key.first() {
        None => return Err(Error::new(ErrorKind::Key, Reason::Empty, 0)),
        Some(&c) if class(c) & KEY_FIRST == 0 => {
            return Err(Error::new(ErrorKind::Key, Reason::Invalid(c), 0));
        }
        Some(_) => {}
    }
    if let Some(i) = key.iter().position(|&c| class(c) & KEY_REST == 0) {
        return Err(Error::new(ErrorKind::Key, Reason::Invalid(key[i]), i));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(Error::new(
            ErrorKind::Key,
            Reason::TooLong(MAX_KEY_LEN as u16),
            MAX_KEY_LEN,
        ));
    }
    Ok(())
}

/// Checks a value against rule S4; the error offset is within the value.
fn check_value(value: &[u8]) -> Result<(), Error> {
    let Some(&last) = value.last() else {
        return Err(Error::new(ErrorKind::Value, Reason::Empty, 0));
    };
    if let Some(i) = value.iter().position(|&c| class(c) & VALUE == 0) {
        return Err(Error::new(ErrorKind::Value, Reason::Invalid(value[i]), i));
    }
    if value.len() > MAX_VALUE_LEN {
        let e = Error::new(
            ErrorKind::Value,
            Reason::TooLong(MAX_VALUE_LEN as u16),
            MAX_VALUE_LEN,
        );
        return Err(e);
    }
    if last == b' ' {
        return Err(Error::new(
            ErrorKind::Value,
            Reason::Invalid(b' '),
            value.len() - 1,
        ));
    }
    Ok(())
}

/// Chooses members to drop so that the rest, joined with commas, fits in `limit`
/// bytes (rule S9): members longer than [`LONG_MEMBER`] first, right-most first,
/// then from the right-hand end. `lens[i]` is member `i`'s length without its comma;
/// `keep[i]` is cleared for each dropped member. `protect` names a member never
/// dropped (one just inserted), if any.
fn plan_cut(lens: &[u16], keep: &mut [bool], limit: usize, protect: Option<usize>) {
    let mut count = keep.iter().filter(|k| **k).count();
    let sum: usize = lens
        .iter()
        .zip(&*keep)
        .filter(|(_, k)| **k)
        .map(|(l, _)| usize::from(*l))
        .sum();
    let mut total = sum + count.saturating_sub(1);
    // Two sweeps from the right: long members first, then any. Each drop takes the
    // member's bytes and, unless it was the last one, one comma.
    for long_only in [true, false] {
        for i in (0..lens.len()).rev() {
            if total <= limit {
                return;
            }
            let len = usize::from(lens[i]);
            if keep[i] && Some(i) != protect && (!long_only || len > LONG_MEMBER) {
                keep[i] = false;
                total -= len + usize::from(count > 1);
                count -= 1;
            }
        }
    }
}

/// Where one member sits in an owned state's buffer: `buf[start..eq]` is the key,
/// `buf[eq + 1..end]` the value.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    start: u16,
    eq: u16,
    end: u16,
}

/// An owned tracestate with inline, fixed capacity: no allocator needed.
///
/// The members are kept encoded (`key=value,key=value`) in a `CAP`-byte array, plus
/// an index of up to 32 members, so [`as_str`](TraceState::as_str) is the header value
/// with no work at all. `CAP` defaults to 512 bytes, the size rule S9 asks every
/// vendor to forward; any `CAP` up to 65 535 works.
///
/// - [`insert`](TraceState::insert) validates the key and value (S4), moves the key
///   to the front (S8), drops the right-most member when a 33rd would be added (S5),
///   and makes room by the S9 rule when the bytes would not fit.
/// - [`parse`](TraceState::parse) accepts exactly what [`TraceStateView`] accepts.
///   **A valid incoming state larger than `CAP` is truncated by the S9 rule**
///   (members over 128 bytes first, right-most first, then from the right-hand end),
///   never cut inside a member.
/// - Duplicate keys are kept as they arrived until the first mutation
///   ([`insert`](TraceState::insert), [`remove`](TraceState::remove),
///   [`truncate`](TraceState::truncate)), which drops every later duplicate
///   (rule S7); lookups return the left-most.
///
/// ```
/// use tracecontext::TraceState;
///
/// let mut state: TraceState = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE".parse()?;
/// state.insert("congo", "ucfJifl5GOE")?;
/// assert_eq!(state.as_str(), "congo=ucfJifl5GOE,rojo=00f067aa0ba902b7");
/// assert!(state.remove("rojo"));
/// assert_eq!(state.to_string(), "congo=ucfJifl5GOE");
///
/// // A smaller capacity for constrained targets.
/// let mut small = tracecontext::TraceState::<64>::new();
/// small.insert("a", &"x".repeat(40))?;
/// small.insert("b", &"y".repeat(40))?; // does not fit beside "a": "a" is dropped
/// assert_eq!(small.len(), 1);
/// # Ok::<(), tracecontext::Error>(())
/// ```
#[derive(Clone)]
pub struct TraceState<const CAP: usize = 512> {
    buf: [u8; CAP],
    len: u16,
    count: u8,
    /// Whether later duplicates are known to be absent (rule S7).
    unique: bool,
    spans: [Span; MAX_MEMBERS],
}

impl<const CAP: usize> TraceState<CAP> {
    /// The byte capacity.
    pub const CAPACITY: usize = CAP;
    const FITS_U16: () = assert!(CAP <= u16::MAX as usize, "TraceState capacity over 65535");

    /// An empty state.
    #[must_use]
    pub const fn new() -> Self {
        let () = Self::FITS_U16;
        Self {
            buf: [0; CAP],
            len: 0,
            count: 0,
            unique: true,
            spans: [Span {
                start: 0,
                eq: 0,
                end: 0,
            }; MAX_MEMBERS],
        }
    }

    /// Parses one tracestate header value, strictly (see the type's docs for
    /// truncation).
    ///
    /// # Errors
    ///
    /// As for [`TraceStateView::parse`].
    pub fn parse(input: &[u8]) -> Result<Self, Error> {
        Self::parse_fields(core::iter::once(input))
    }

    /// Parses several `tracestate` field values as one list (S2), strictly.
    ///
    /// # Errors
    ///
    /// As for [`TraceStateView::parse_fields`].
    pub fn parse_fields<'a, F>(fields: F) -> Result<Self, Error>
    where
        F: IntoIterator<Item = &'a [u8]>,
        F::IntoIter: Clone,
    {
        Self::parse_fields_with(fields, Validation::Strict)
    }

    /// Parses several `tracestate` field values with the given validation.
    ///
    /// # Errors
    ///
    /// With [`Validation::Strict`], as for [`TraceStateView::parse_fields`]; with
    /// [`Validation::Lenient`], never.
    pub fn parse_fields_with<'a, F>(fields: F, validation: Validation) -> Result<Self, Error>
    where
        F: IntoIterator<Item = &'a [u8]>,
        F::IntoIter: Clone,
    {
        Self::build(Scan::new(fields.into_iter(), validation))
    }

    /// Fills a state from a scan, cutting by S9 when it does not fit.
    fn build<'a, I: Iterator<Item = &'a [u8]> + Clone>(scan: Scan<'a, I>) -> Result<Self, Error> {
        let mut state = Self::new();
        let mut overflow = false;
        // Members that stand one after another in the input, separated by single
        // commas, are copied as one run: a header without whitespace is one copy.
        // The run: its first and last members, and where the first goes in `buf`.
        let mut run: Option<(Raw<'a>, Raw<'a>, usize)> = None;
        for member in scan.clone() {
            let raw = member?;
            if overflow {
                continue; // still validate the rest
            }
            let Some(at) = state.reserve(raw) else {
                overflow = true;
                continue;
            };
            run = match run {
                Some((first, last, to)) if last.adjoins(raw) => Some((first, raw, to)),
                Some((first, last, to)) => {
                    state.copy(first.field, first.start..last.end, to);
                    Some((raw, raw, at))
                }
                None => Some((raw, raw, at)),
            };
        }
        if let Some((first, last, to)) = run {
            state.copy(first.field, first.start..last.end, to);
        }
        if overflow {
            state.cut_while_building(scan);
        }
        state.unique = state.count <= 1;
        Ok(state)
    }

    /// Rebuilds from a valid list that does not fit, keeping the members that the
    /// S9 rule keeps.
    #[cold]
    #[inline(never)]
    fn cut_while_building<'a, I: Iterator<Item = &'a [u8]>>(&mut self, scan: Scan<'a, I>)
    where
        Scan<'a, I>: Clone,
    {
        let mut lens = [0u16; MAX_MEMBERS];
        let mut n = 0;
        for raw in scan.clone().flatten() {
            lens[n] = raw.member().len() as u16;
            n += 1;
        }
        let mut keep = [true; MAX_MEMBERS];
        plan_cut(&lens[..n], &mut keep[..n], CAP, None);
        self.clear();
        for (raw, _) in scan.flatten().zip(keep).filter(|(_, keep)| *keep) {
            if let Some(at) = self.reserve(raw) {
                self.copy(raw.field, raw.start..raw.end, at);
            }
        }
    }

    /// Makes room for a member (already validated) at the end: writes its comma and
    /// index entry and returns where its bytes go, or `None` when it does not fit.
    /// The caller copies the bytes.
    fn reserve(&mut self, raw: Raw<'_>) -> Option<usize> {
        let count = usize::from(self.count);
        let len = usize::from(self.len);
        let sep = usize::from(count > 0);
        let start = len + sep;
        let end = start + (raw.end - raw.start);
        if count == MAX_MEMBERS || end > CAP {
            return None;
        }
        if sep == 1 {
            self.buf[len] = b',';
        }
        let eq = start + (raw.eq - raw.start);
        self.spans[count] = Span {
            start: start as u16,
            eq: eq as u16,
            end: end as u16,
        };
        self.count += 1;
        self.len = end as u16;
        Some(start)
    }

    /// Copies `from[range]` into the buffer at `to`.
    fn copy(&mut self, from: &[u8], range: core::ops::Range<usize>, to: usize) {
        let bytes = &from[range];
        self.buf[to..to + bytes.len()].copy_from_slice(bytes);
    }

    /// The number of members.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether there are no members. An empty tracestate is not sent (rule S10).
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The length of the encoded header value in bytes.
    #[must_use]
    pub const fn encoded_len(&self) -> usize {
        self.len as usize
    }

    /// The encoded header value: `key=value` members joined by `,`.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    /// The encoded header value as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        text(self.as_bytes())
    }

    /// Copies the encoded header value into `out`, returning its length.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Capacity`] when `out` is shorter than
    /// [`encoded_len`](TraceState::encoded_len).
    pub fn encode_into(&self, out: &mut [u8]) -> Result<usize, Error> {
        let bytes = self.as_bytes();
        let Some(dst) = out.get_mut(..bytes.len()) else {
            let cap = u16::try_from(out.len()).unwrap_or(u16::MAX);
            return Err(Error::new(ErrorKind::Capacity, Reason::NoRoom(cap), 0));
        };
        dst.copy_from_slice(bytes);
        Ok(bytes.len())
    }

    fn key_at(&self, i: usize) -> &[u8] {
        let s = self.spans[i];
        &self.buf[usize::from(s.start)..usize::from(s.eq)]
    }

    fn member_len(&self, i: usize) -> u16 {
        self.spans[i].end - self.spans[i].start
    }

    fn find(&self, key: &[u8]) -> Option<usize> {
        (0..self.len()).find(|&i| self.key_at(i) == key)
    }

    /// A cheap hash of member `i`'s key into a byte, from its length, its first
    /// eight bytes and its last eight: equal keys always agree (wherever they sit in
    /// the buffer), different keys rarely.
    fn fingerprint(&self, i: usize) -> u8 {
        let s = self.spans[i];
        let (start, eq) = (usize::from(s.start), usize::from(s.eq));
        let n = eq - start;
        let head = if start + 8 <= CAP {
            let keep = if n >= 8 {
                u64::MAX
            } else {
                (1u64 << (8 * n)) - 1
            };
            swar::load(&self.buf, start) & keep
        } else {
            // Too near the end of the buffer for one load: the same bytes, one by one.
            self.buf[start..eq]
                .iter()
                .take(8)
                .rev()
                .fold(0, |w, &c| w << 8 | u64::from(c))
        };
        let tail = if n > 8 {
            swar::load(&self.buf, eq - 8)
        } else {
            0
        };
        let m =
            (head ^ tail.rotate_left(29) ^ (n as u64) << 58).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        ((m ^ (m >> 29)) >> 56) as u8
    }

    /// The value of the left-most member with this key (rule S7).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.find(key.as_bytes()).map(|i| {
            let s = self.spans[i];
            text(&self.buf[usize::from(s.eq) + 1..usize::from(s.end)])
        })
    }

    /// The members, in order, as `(key, value)`.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            text: self.as_str(),
            spans: self.spans[..self.len()].iter(),
        }
    }

    /// Removes every member.
    pub fn clear(&mut self) {
        self.len = 0;
        self.count = 0;
        self.unique = true;
    }

    /// Removes member `i` and its comma, shifting what follows.
    fn remove_at(&mut self, i: usize) {
        let count = self.len();
        let len = usize::from(self.len);
        let s = self.spans[i];
        let (from, to) = if count == 1 {
            (0, len)
        } else if i + 1 < count {
            (usize::from(s.start), usize::from(self.spans[i + 1].start))
        } else {
            (usize::from(self.spans[i - 1].end), usize::from(s.end))
        };
        self.buf.copy_within(to..len, from);
        let gone = (to - from) as u16;
        self.len -= gone;
        self.spans.copy_within(i + 1..count, i);
        self.count -= 1;
        for span in &mut self.spans[i..count - 1] {
            span.start -= gone;
            span.eq -= gone;
            span.end -= gone;
        }
    }

    /// Drops later duplicates (rule S7), once, before the first mutation.
    fn make_unique(&mut self) {
        if self.unique {
            return;
        }
        // Fingerprint every key, then look for two equal fingerprints with a 256-bit
        // set: without one there is no duplicate and no key is compared.
        let n = self.len();
        let mut prints = [0u8; MAX_MEMBERS];
        for (i, print) in prints.iter_mut().enumerate().take(n) {
            *print = self.fingerprint(i);
        }
        let mut seen = [0u64; 4];
        let mut clash = false;
        for &h in &prints[..n] {
            let (word, bit) = (usize::from(h / 64), 1u64 << (h % 64));
            clash |= seen[word] & bit != 0;
            seen[word] |= bit;
        }
        if clash {
            self.drop_later_duplicates(prints);
        }
        self.unique = true;
    }

    /// Removes each member whose key an earlier member has, comparing whole keys only
    /// where the fingerprints agree.
    #[cold]
    fn drop_later_duplicates(&mut self, mut prints: [u8; MAX_MEMBERS]) {
        let mut i = 1;
        while i < self.len() {
            let key = self.key_at(i);
            if (0..i).any(|j| prints[j] == prints[i] && self.key_at(j) == key) {
                self.remove_at(i);
                prints.copy_within(i + 1.., i);
            } else {
                i += 1;
            }
        }
    }

    /// Adds or updates a member; it becomes the left-most (rule S8).
    ///
    /// The key and value are checked against rule S4. When the state already holds
    /// 32 other members, the right-most one is dropped (S5). When the bytes would not
    /// fit in `CAP`, other members are dropped by the S9 rule until they do.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Key`] or [`ErrorKind::Value`] (offset within the key or value),
    /// or [`ErrorKind::Capacity`] when `key=value` alone is longer than `CAP`. The
    /// state is unchanged on error.
    ///
    /// ```
    /// use tracecontext::{ErrorKind, TraceState};
    ///
    /// let mut state = TraceState::<512>::new();
    /// state.insert("vendor@tenant", "opaque value")?;
    /// let err = state.insert("Vendor", "x").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Key);
    /// assert_eq!(err.to_string(), "tracestate: invalid character 'V' in key at byte 0");
    /// # Ok::<(), tracecontext::Error>(())
    /// ```
    pub fn insert(&mut self, key: &str, value: &str) -> Result<(), Error> {
        let (key, value) = (key.as_bytes(), value.as_bytes());
        check_key(key)?;
        check_value(value)?;
        let need = key.len() + 1 + value.len();
        if need > CAP {
            let cap = u16::try_from(CAP).unwrap_or(u16::MAX);
            return Err(Error::new(ErrorKind::Capacity, Reason::NoRoom(cap), 0));
        }
        self.make_unique();
        if let Some(i) = self.find(key) {
            self.remove_at(i);
        }
        if self.len() == MAX_MEMBERS {
            self.remove_at(MAX_MEMBERS - 1);
        }
        if usize::from(self.len) + need + usize::from(self.count > 0) > CAP {
            // Plan the S9 cut with the new member counted at the front.
            let n = self.len();
            let mut lens = [0u16; MAX_MEMBERS + 1];
            lens[0] = need as u16;
            for i in 0..n {
                lens[i + 1] = self.member_len(i);
            }
            let mut keep = [true; MAX_MEMBERS + 1];
            plan_cut(&lens[..=n], &mut keep[..=n], CAP, Some(0));
            for i in (0..n).rev() {
                if !keep[i + 1] {
                    self.remove_at(i);
                }
            }
        }
        self.push_front(key, value, need);
        Ok(())
    }

    /// Writes a member at the front; the caller has made room.
    fn push_front(&mut self, key: &[u8], value: &[u8], need: usize) {
        let count = self.len();
        let len = usize::from(self.len);
        let shift = need + usize::from(count > 0);
        self.buf.copy_within(..len, shift);
        self.buf[..key.len()].copy_from_slice(key);
        self.buf[key.len()] = b'=';
        self.buf[key.len() + 1..need].copy_from_slice(value);
        if count > 0 {
            self.buf[need] = b',';
        }
        self.spans.copy_within(..count, 1);
        let d = shift as u16;
        for span in &mut self.spans[1..=count] {
            span.start += d;
            span.eq += d;
            span.end += d;
        }
        self.spans[0] = Span {
            start: 0,
            eq: key.len() as u16,
            end: need as u16,
        };
        self.count += 1;
        self.len += d;
    }

    /// Removes the member with this key; returns whether there was one. Later
    /// duplicates of every key are dropped too (rule S7).
    pub fn remove(&mut self, key: &str) -> bool {
        self.make_unique();
        match self.find(key.as_bytes()) {
            Some(i) => {
                self.remove_at(i);
                true
            }
            None => false,
        }
    }

    /// Cuts the state to at most `limit` encoded bytes by rule S9: members longer
    /// than 128 bytes go first (right-most first), then members from the right-hand
    /// end. Whole members only; a limit shorter than every member empties the state.
    ///
    /// ```
    /// use tracecontext::TraceState;
    ///
    /// let long = "x".repeat(200);
    /// let mut state: TraceState = format!("a=1,big={long},c=3").parse()?;
    /// state.truncate(100);
    /// assert_eq!(state.as_str(), "a=1,c=3");
    /// state.truncate(3);
    /// assert_eq!(state.as_str(), "a=1");
    /// # Ok::<(), tracecontext::Error>(())
    /// ```
    pub fn truncate(&mut self, limit: usize) {
        self.make_unique();
        if usize::from(self.len) <= limit {
            return;
        }
        let n = self.len();
        let mut lens = [0u16; MAX_MEMBERS];
        for (i, l) in lens.iter_mut().enumerate().take(n) {
            *l = self.member_len(i);
        }
        let mut keep = [true; MAX_MEMBERS];
        plan_cut(&lens[..n], &mut keep[..n], limit, None);
        for i in (0..n).rev() {
            if !keep[i] {
                self.remove_at(i);
            }
        }
    }
}

impl<const CAP: usize> Default for TraceState<CAP> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a, I: Iterator<Item = &'a [u8]> + Clone, const CAP: usize> From<&TraceStateView<'a, I>>
    for TraceState<CAP>
{
    /// Copies a view's members, cutting by rule S9 when they exceed `CAP`.
    fn from(view: &TraceStateView<'a, I>) -> Self {
        let scan = Scan::new(view.fields.clone(), view.validation);
        // A view was validated when parsed, so building cannot fail.
        Self::build(scan).unwrap_or_default()
    }
}

impl<const CAP: usize> PartialEq for TraceState<CAP> {
    /// States are equal when they encode to the same bytes.
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<const CAP: usize> Eq for TraceState<CAP> {}

impl<const CAP: usize> core::hash::Hash for TraceState<CAP> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl<const CAP: usize> fmt::Debug for TraceState<CAP> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<const CAP: usize> fmt::Display for TraceState<CAP> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const CAP: usize> FromStr for TraceState<CAP> {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s.as_bytes())
    }
}

impl<const CAP: usize> TryFrom<&str> for TraceState<CAP> {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self, Error> {
        Self::parse(s.as_bytes())
    }
}

impl<const CAP: usize> TryFrom<&[u8]> for TraceState<CAP> {
    type Error = Error;
    fn try_from(s: &[u8]) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl<'s, const CAP: usize> IntoIterator for &'s TraceState<CAP> {
    type Item = (&'s str, &'s str);
    type IntoIter = Iter<'s>;
    fn into_iter(self) -> Iter<'s> {
        self.iter()
    }
}

/// The members of a [`TraceState`], in order.
#[derive(Clone)]
pub struct Iter<'s> {
    /// The whole encoded state, checked as UTF-8 once.
    text: &'s str,
    spans: core::slice::Iter<'s, Span>,
}

impl<'s> Iterator for Iter<'s> {
    type Item = (&'s str, &'s str);

    fn next(&mut self) -> Option<Self::Item> {
        let s = self.spans.next()?;
        let (start, eq, end) = (usize::from(s.start), usize::from(s.eq), usize::from(s.end));
        // The buffer is ASCII, so every span lies on character boundaries.
        Some((
            self.text.get(start..eq).unwrap_or_default(),
            self.text.get(eq + 1..end).unwrap_or_default(),
        ))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.spans.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl fmt::Debug for Iter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::format;

    #[test]
    fn duplicates_are_found_wherever_the_keys_sit() {
        // The second `ab` starts within eight bytes of the buffer's end, where the
        // fingerprint reads the key byte by byte: it must still match the first.
        let mut state = TraceState::<32>::parse(b"ab=1,x=123456789012345678,ab=2").unwrap();
        assert_eq!(state.len(), 3);
        assert!(!state.remove("zz"));
        assert_eq!(state.as_str(), "ab=1,x=123456789012345678");
        // Long keys that differ only in the middle share head and tail words.
        let (a, b) = ("tenant01@a-long-vendor-name", "tenant01@b-long-vendor-name");
        let input = format!("{a}=1,{b}=2,{a}=3");
        let mut state = TraceState::<512>::parse(input.as_bytes()).unwrap();
        state.insert("new", "v").unwrap();
        let expect = format!("new=v,{a}=1,{b}=2");
        assert_eq!(state.as_str(), expect);
    }
}
