//! A validated, borrowed view of one or several `baggage` fields.

use core::fmt;

use super::grammar::{self, Spans};
use super::{BAGGAGE, MAX_BYTES, MAX_MEMBERS, percent};
use crate::carrier::{Extractor, Values};
use crate::error::{Error, ErrorKind, Reason};
use crate::tracestate::Validation;

/// One or several `baggage` fields, checked and limited, borrowing the input
/// (rules [B1](crate::rules#b1) to [B8](crate::rules#b8)).
///
/// Reading never allocates and takes time linear in the input, whatever its size.
/// [`parse`](Self::parse) drops an invalid member and keeps the others (rule
/// [B8](crate::rules#b8)); [`parse_fields_with`](Self::parse_fields_with) with
/// [`Validation::Strict`] rejects the whole header instead. Either way, past 64
/// members or 8192 bytes the members on the right are dropped whole (rule
/// [B6](crate::rules#b6)), and [`problem`](Self::problem) says what was dropped
/// first and why.
///
/// ```
/// use tracecontext::baggage::BaggageView;
///
/// let view = BaggageView::parse("userId=Am%C3%A9lie, serverNode = DF%2028;region=eu, bad key=1");
/// assert_eq!(view.len(), 2);
/// let user = view.get("userId").unwrap();
/// assert_eq!(user.raw_value(), "Am%C3%A9lie"); // as forwarded
/// let mut buf = [0u8; 16];
/// assert_eq!(user.decode_value_into(&mut buf).unwrap(), "Amélie");
/// let node = view.get("serverNode").unwrap();
/// assert_eq!(node.properties().next().unwrap().key(), "region");
/// // The third member was dropped, with its reason.
/// assert_eq!(
///     view.problem().unwrap().to_string(),
///     "baggage: no '=' between key and value in member 3 at byte 56"
/// );
/// ```
#[derive(Clone, Copy, Debug)]
pub struct BaggageView<'a> {
    /// The kept members.
    kept: Kept<'a>,
    /// How many members are kept (the first this many valid ones).
    members: u8,
    /// The kept members' length joined with `,`.
    len: u16,
    dropped: u32,
    problem: Option<Error>,
}

impl<'a> BaggageView<'a> {
    /// An empty view.
    pub const EMPTY: BaggageView<'static> = BaggageView {
        kept: Kept::Joined(b""),
        members: 0,
        len: 0,
        dropped: 0,
        problem: None,
    };

    /// Reads one `baggage` field, dropping invalid members (rule
    /// [B8](crate::rules#b8)).
    #[must_use]
    pub fn parse(field: &'a str) -> Self {
        Self::lenient(field.as_bytes())
    }

    /// Reads one field, dropping invalid members.
    fn lenient(field: &'a [u8]) -> Self {
        // A short field is checked first without noting the members: when every
        // member is kept and only commas lie between them, the field is the
        // list, and the view is built where it is returned, with no table of
        // members to fill or copy. A long one is noted member by member, so that
        // finding a member does not scan the whole field for commas again.
        if field.len() > JOINED_MAX {
            return Self::listed(field);
        }
        let mut reader = Reader::new(Validation::Lenient, MAX_MEMBERS, MAX_BYTES);
        if reader.plain_field(field) {
            return Self::with(Kept::Joined(field), &reader);
        }
        let _lenient_never_fails = reader.field(field, |_| {});
        match as_list(field, &reader) {
            Some(list) => Self::with(Kept::Joined(list), &reader),
            None => Self::listed(field),
        }
    }

    /// [`lenient`](Self::lenient) for a long field, or one with dropped
    /// members, whitespace or empty entries between them: each kept member is
    /// noted.
    #[cold]
    #[inline(never)]
    fn listed(field: &'a [u8]) -> Self {
        let mut listing = Listing::NEW;
        let mut reader = Reader::new(Validation::Lenient, MAX_MEMBERS, MAX_BYTES);
        let _lenient_never_fails = listing.read(&mut reader, field);
        listing.finish(&reader)
    }

    /// A view of `kept` with the reader's counts.
    fn with(kept: Kept<'a>, reader: &Reader) -> Self {
        Self {
            kept,
            // At most 64 and 8192.
            members: u8::try_from(reader.members).unwrap_or(u8::MAX),
            len: u16::try_from(reader.len).unwrap_or(u16::MAX),
            dropped: reader.dropped,
            problem: reader.problem,
        }
    }

    /// Reads several `baggage` fields as one list, in order (rule
    /// [B1](crate::rules#b1)). With [`Validation::Lenient`] an invalid member (a
    /// byte that is not ASCII is one) is dropped and the rest kept (what
    /// [`parse`](Self::parse) does); with [`Validation::Strict`] an invalid member
    /// rejects the whole list. The member and byte limits (rule
    /// [B6](crate::rules#b6)) drop members from the right in both.
    ///
    /// Error offsets count through the fields as if they were joined with `,`.
    ///
    /// # Errors
    ///
    /// With [`Validation::Strict`], the first invalid member's error.
    ///
    /// ```
    /// use tracecontext::Validation;
    /// use tracecontext::baggage::BaggageView;
    ///
    /// let fields: [&[u8]; 2] = [b"a=1", b"b=2;p"];
    /// let view = BaggageView::parse_fields_with(fields, Validation::Strict).unwrap();
    /// assert_eq!(view.iter().map(|m| m.key()).collect::<Vec<_>>(), ["a", "b"]);
    /// let bad: [&[u8]; 2] = [b"a=1", b"b=%zz"];
    /// let err = BaggageView::parse_fields_with(bad, Validation::Strict).unwrap_err();
    /// assert_eq!(err.to_string(), "baggage: '%' not followed by two hex digits in value of member 2 at byte 6");
    /// ```
    pub fn parse_fields_with<I>(fields: I, validation: Validation) -> Result<Self, Error>
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        let mut listing = Listing::NEW;
        let mut reader = Reader::new(validation, MAX_MEMBERS, MAX_BYTES);
        for field in fields {
            if !listing.read(&mut reader, field)? {
                break;
            }
        }
        Ok(listing.finish(&reader))
    }

    /// Reads every `baggage` field of a request's `carrier`, dropping invalid members
    /// (rule [B8](crate::rules#b8)). Nothing is allocated; the view borrows the
    /// carrier's data. The trace context is read separately, and whatever happens to
    /// it, the baggage stays (rule [B9](crate::rules#b9)).
    ///
    /// ```
    /// use tracecontext::baggage::BaggageView;
    ///
    /// let request = [
    ///     ("traceparent", "not a traceparent"),
    ///     ("baggage", "tenant=acme"),
    ///     ("Baggage", "class=batch"),
    /// ];
    /// let baggage = BaggageView::extract(&request);
    /// assert_eq!(baggage.get("class").unwrap().raw_value(), "batch");
    /// assert_eq!(baggage.len(), 2);
    /// ```
    #[must_use]
    pub fn extract(carrier: impl Extractor<'a>) -> Self {
        match only_field(&carrier) {
            Some(field) => Self::lenient(field),
            None => Self::several(carrier),
        }
    }

    /// Reads several fields, dropping invalid members.
    #[cold]
    #[inline(never)]
    fn several(carrier: impl Extractor<'a>) -> Self {
        let mut listing = Listing::NEW;
        let mut reader = Reader::new(Validation::Lenient, MAX_MEMBERS, MAX_BYTES);
        let _lenient_never_fails = read_carrier(carrier, |field| listing.read(&mut reader, field));
        listing.finish(&reader)
    }

    /// Reads every `baggage` field of `carrier` with the given validation (see
    /// [`parse_fields_with`](Self::parse_fields_with)).
    ///
    /// # Errors
    ///
    /// With [`Validation::Strict`], the first invalid member's error.
    pub fn from_carrier(
        carrier: impl Extractor<'a>,
        validation: Validation,
    ) -> Result<Self, Error> {
        let mut listing = Listing::NEW;
        let mut reader = Reader::new(validation, MAX_MEMBERS, MAX_BYTES);
        read_carrier(carrier, |field| listing.read(&mut reader, field))?;
        Ok(listing.finish(&reader))
    }

    /// How many members are kept.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.members as usize
    }

    /// Whether no member is kept.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.members == 0
    }

    /// The length of the kept members joined with `,`: what injecting them would
    /// send (at most 8192).
    #[must_use]
    pub const fn encoded_len(&self) -> usize {
        self.len as usize
    }

    /// How many members were dropped, for being invalid or past a limit. Past a
    /// limit the count stops at the first member dropped, so it is at least one
    /// when anything was dropped.
    #[must_use]
    pub const fn dropped(&self) -> usize {
        self.dropped as usize
    }

    /// Why the first dropped member was dropped: its error, with the member's
    /// number ([`Error::member`], counting from 1 over the non-empty members of
    /// all fields) and the byte offset.
    #[must_use]
    pub const fn problem(&self) -> Option<Error> {
        self.problem
    }

    /// The kept members, in order.
    #[must_use]
    pub fn iter(&self) -> Members<'a, '_> {
        match &self.kept {
            Kept::Joined(list) => Members::one(list),
            Kept::Listed { kept, .. } => Members::new(&kept[..usize::from(self.members)]),
        }
    }

    /// The kept members as one list, when they lie together in one field with
    /// nothing but `,` between them: then it can be copied as it is.
    #[cfg(feature = "alloc")]
    pub(crate) fn contiguous(&self) -> Option<&'a [u8]> {
        match self.kept {
            Kept::Joined(list) => Some(list),
            Kept::Listed { whole, .. } => whole,
        }
    }

    /// The first kept member with the key `key` (rule [B7](crate::rules#b7));
    /// keys are case-sensitive (rule [B3](crate::rules#b3)).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<Member<'a>> {
        let kept = match &self.kept {
            Kept::Joined(list) => return find_member(list, key),
            Kept::Listed { kept, .. } => &kept[..usize::from(self.members)],
        };
        let key = grammar::as_key(key)?;
        // Only a member with the key is read past its start.
        let found = kept.iter().find(|member| grammar::has_key(member, key))?;
        Some(Member::with_key(found, key.len()))
    }
}

/// The longest field a view keeps as one list when it can (see
/// [`BaggageView::lenient`]).
const JOINED_MAX: usize = 512;

/// The kept members of a view.
#[derive(Clone, Copy, Debug)]
// Inline on purpose: the view allocates nothing, and the common case (one field
// read as it came) writes only the small variant.
#[allow(clippy::large_enum_variant)]
enum Kept<'a> {
    /// All of them as one list, members joined by single commas, as they came in
    /// one field (nothing dropped, no whitespace or empty entry between them).
    Joined(&'a [u8]),
    /// Each member, without the whitespace around it, in order: the first
    /// `members` are set. `whole` is all of them as one list when they came so,
    /// too long to be read that way (see [`JOINED_MAX`]).
    Listed {
        kept: [&'a [u8]; MAX_MEMBERS],
        #[cfg(feature = "alloc")]
        whole: Option<&'a [u8]>,
    },
}

/// The kept members of a view being read, noted one by one.
struct Listing<'a> {
    kept: [&'a [u8]; MAX_MEMBERS],
    /// The first field that holds a kept member.
    first_field: &'a [u8],
    /// How many fields hold kept members.
    field_count: u8,
}

impl<'a> Listing<'a> {
    const NEW: Self = Self {
        kept: [b""; MAX_MEMBERS],
        first_field: b"",
        field_count: 0,
    };

    /// Reads one field; `Ok(false)` once a limit is reached.
    fn read(&mut self, reader: &mut Reader, field: &'a [u8]) -> Result<bool, Error> {
        // The count is the reader's until the view is made.
        let before = reader.members;
        let (kept, mut members) = (&mut self.kept, before);
        // The reader keeps no more than 64 members.
        let more = reader.field(field, |member| {
            kept[members] = member;
            members += 1;
        });
        if members > before {
            if self.field_count == 0 {
                self.first_field = field;
            }
            self.field_count += 1;
        }
        more
    }

    /// The view of what was read: one list when the members lie together in one
    /// field with nothing but `,` between them (members dropped from other
    /// fields do not matter) and it is short.
    fn finish(&self, reader: &Reader) -> BaggageView<'a> {
        // No field with members: the empty list.
        let whole = match self.field_count {
            0 | 1 => as_list(self.first_field, reader),
            _ => None,
        };
        let kept = match whole {
            Some(list) if list.len() <= JOINED_MAX => Kept::Joined(list),
            _ => Kept::Listed {
                kept: self.kept,
                #[cfg(feature = "alloc")]
                whole,
            },
        };
        BaggageView::with(kept, reader)
    }
}

/// `field`, without the whitespace around it, when it is the list of the members
/// `reader` kept from it: nothing else fits between them (a dropped member,
/// whitespace, an empty entry) when the field is as long as they are joined.
fn as_list<'a>(field: &'a [u8], reader: &Reader) -> Option<&'a [u8]> {
    let text = trim(field);
    (text.len() == reader.len).then_some(text)
}

/// The first member with the key `key` in `list`, valid members joined by commas
/// (an owned or shared list): members with another key are not read past their
/// key.
pub(crate) fn find_member<'a>(list: &'a [u8], key: &str) -> Option<Member<'a>> {
    let key = grammar::as_key(key)?;
    let found = grammar::entries(list).find(|member| grammar::has_key(member, key))?;
    Some(Member::with_key(found, key.len()))
}

/// Reads the members of baggage fields in order: checks each, drops the invalid
/// ones (or stops at the first, when strict) and stops at the limits. Shared by the
/// view and the owned form, which keep the members differently.
pub(crate) struct Reader {
    validation: Validation,
    max_members: usize,
    max_bytes: usize,
    /// The offset of the next field, as if the fields were joined with `,`.
    base: usize,
    /// Non-empty members seen, valid or not.
    seen: usize,
    /// Members kept.
    pub(crate) members: usize,
    /// The kept members' length joined with `,`.
    pub(crate) len: usize,
    pub(crate) dropped: u32,
    pub(crate) problem: Option<Error>,
}

impl Reader {
    pub(crate) const fn new(validation: Validation, max_members: usize, max_bytes: usize) -> Self {
        Self {
            validation,
            max_members,
            max_bytes,
            base: 0,
            seen: 0,
            members: 0,
            len: 0,
            dropped: 0,
            problem: None,
        }
    }

    /// Reads the members of one field, handing each kept one (without the
    /// whitespace around it) to `keep`; `Ok(false)` once a limit is reached, when
    /// everything left is to be dropped unread.
    pub(crate) fn field<'a>(
        &mut self,
        bytes: &'a [u8],
        mut keep: impl FnMut(&'a [u8]),
    ) -> Result<bool, Error> {
        let base = self.base;
        self.base = base.saturating_add(bytes.len() + 1);
        let mut at = 0;
        // One pass: each member is read up to the `,` that ends it.
        loop {
            at = grammar::skip_ows(bytes, at);
            match bytes.get(at) {
                None => return Ok(true),
                // An empty entry.
                Some(b',') => {
                    at += 1;
                    continue;
                }
                Some(_) => {}
            }
            self.seen += 1;
            let spans = match grammar::member(&bytes[at..]) {
                Ok(spans) => spans,
                Err((kind, reason, offset)) => {
                    let error = Error::in_member(kind, reason, base + at + offset, self.seen)
                        .for_header(BAGGAGE);
                    if self.validation == Validation::Strict {
                        return Err(error);
                    }
                    self.drop_member(error);
                    // The problem lies before the `,` that ends the member.
                    at = crate::swar::find_comma(bytes, at + offset).map_or(bytes.len(), |c| c + 1);
                    continue;
                }
            };
            let member = &bytes[at..at + spans.end];
            let joined = self.len + usize::from(self.members > 0) + member.len();
            let limit = if self.members == self.max_members {
                Some((
                    ErrorKind::MemberCount,
                    Reason::TooMany(saturate(self.max_members)),
                ))
            } else if joined > self.max_bytes {
                Some((
                    ErrorKind::Capacity,
                    Reason::NoRoom(saturate(self.max_bytes)),
                ))
            } else {
                None
            };
            if let Some((kind, reason)) = limit {
                self.drop_member(
                    Error::in_member(kind, reason, base + at, self.seen).for_header(BAGGAGE),
                );
                return Ok(false);
            }
            keep(member);
            self.members += 1;
            self.len = joined;
            // Only whitespace lies between the member and its `,`.
            at = grammar::skip_ows(bytes, at + spans.end) + 1;
        }
    }

    /// Reads all of `bytes` at once when it is a plain list (see
    /// [`grammar::plain_list`]) that fits beside what was read, which the caller
    /// then keeps whole: `true`, and the counts are as [`field`](Self::field)
    /// would leave them. `false`, with nothing read, for anything else.
    pub(crate) fn plain_field(&mut self, bytes: &[u8]) -> bool {
        let joined = self.len + usize::from(self.members > 0) + bytes.len();
        // A long field is read member by member, which scans long values
        // faster.
        if bytes.len() > JOINED_MAX || joined > self.max_bytes {
            return false;
        }
        let Some(members) = grammar::plain_list(bytes, self.max_members - self.members) else {
            return false;
        };
        self.base = self.base.saturating_add(bytes.len() + 1);
        if members > 0 {
            self.seen += members;
            self.members += members;
            self.len = joined;
        }
        true
    }

    fn drop_member(&mut self, error: Error) {
        if self.problem.is_none() {
            self.problem = Some(error);
        }
        self.dropped = self.dropped.saturating_add(1);
    }
}

/// The `baggage` field of `carrier` when it has at most one (an empty one when it
/// has none), or `None` when it has several. Asking this first hands the carrier
/// no function that holds the list being read, which lets the list be built
/// where it is returned rather than copied there.
pub(crate) fn only_field<'a>(carrier: &impl Extractor<'a>) -> Option<&'a [u8]> {
    let mut values = Values::first_two();
    carrier.get_all(BAGGAGE, &mut values);
    match values.into_first_two() {
        (_, true) => None,
        (first, false) => Some(first.unwrap_or_default()),
    }
}

/// Hands the `baggage` fields of `carrier` to `read` in order, until it returns
/// `Ok(false)` (a limit) or an error (a strict reading), which is returned.
pub(crate) fn read_carrier<'a>(
    carrier: impl Extractor<'a>,
    mut read: impl FnMut(&'a [u8]) -> Result<bool, Error>,
) -> Result<(), Error> {
    let mut error = None;
    let mut sink = |field: &'a [u8]| {
        read(field).unwrap_or_else(|problem| {
            error = Some(problem);
            false
        })
    };
    carrier.get_all(BAGGAGE, &mut Values::new(&mut sink));
    error.map_or(Ok(()), Err)
}

/// A limit as an error reason holds it.
pub(crate) fn saturate(limit: usize) -> u16 {
    u16::try_from(limit).unwrap_or(u16::MAX)
}

/// A field without the whitespace around it.
fn trim(field: &[u8]) -> &[u8] {
    let lead = field.iter().take_while(|&&c| grammar::is_ows(c)).count();
    let rest = &field[lead..];
    let tail = rest
        .iter()
        .rev()
        .take_while(|&&c| grammar::is_ows(c))
        .count();
    &rest[..rest.len() - tail]
}

impl<'a, 'v> IntoIterator for &'v BaggageView<'a> {
    type Item = Member<'a>;
    type IntoIter = Members<'a, 'v>;

    fn into_iter(self) -> Members<'a, 'v> {
        self.iter()
    }
}

/// The members of a [`BaggageView`] or a [`Baggage`](super::Baggage), in order.
#[derive(Clone, Debug)]
pub struct Members<'a, 'v> {
    /// The members of a view left to hand out, one each.
    kept: &'v [&'a [u8]],
    /// The rest of a list of valid members joined by commas.
    list: grammar::Entries<'a>,
}

impl<'a, 'v> Members<'a, 'v> {
    /// The members of a view, each one valid member.
    pub(crate) fn new(kept: &'v [&'a [u8]]) -> Self {
        Self {
            kept,
            list: grammar::entries(&[]),
        }
    }

    /// The members of one list of valid members joined by commas (an owned or
    /// shared list).
    pub(crate) fn one(list: &'a [u8]) -> Self {
        Self {
            kept: &[],
            list: grammar::entries(list),
        }
    }
}

impl<'a> Iterator for Members<'a, '_> {
    type Item = Member<'a>;

    fn next(&mut self) -> Option<Member<'a>> {
        if let Some((first, kept)) = self.kept.split_first() {
            self.kept = kept;
            return Some(Member::of(first));
        }
        self.list.next().map(Member::of)
    }
}

/// One member of a baggage list: a key, a value and properties (rule
/// [B2](crate::rules#b2)).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Member<'a> {
    /// A valid member, so ASCII: read as text only when asked for, since
    /// decoding the value needs only its bytes.
    text: &'a [u8],
    spans: Spans,
}

impl fmt::Debug for Member<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Member")
            .field("text", &self.as_str())
            .field("spans", &self.spans)
            .finish()
    }
}

impl<'a> Member<'a> {
    /// A member read from text known to be one valid member, without the
    /// whitespace around it: its parts are found, not checked again.
    pub(crate) fn of(text: &'a [u8]) -> Self {
        let spans = grammar::spans_of_valid(text);
        Self { text, spans }
    }

    /// [`of`](Self::of) for a member found by its key, `key_len` bytes long.
    fn with_key(text: &'a [u8], key_len: usize) -> Self {
        let spans = grammar::spans_after_key(text, key_len);
        Self { text, spans }
    }

    /// The whole member as it came, without the whitespace around it.
    #[must_use]
    pub const fn as_str(&self) -> &'a str {
        ascii(self.text)
    }

    /// The key (case kept, rule [B3](crate::rules#b3)).
    #[must_use]
    pub fn key(&self) -> &'a str {
        ascii(self.text.get(..self.spans.key_end).unwrap_or_default())
    }

    /// The value as sent, percent-encoded (rule [B5](crate::rules#b5)); it may
    /// contain `=` (rule [B4](crate::rules#b4)).
    #[must_use]
    pub fn raw_value(&self) -> &'a str {
        ascii(self.raw_value_bytes())
    }

    fn raw_value_bytes(&self) -> &'a [u8] {
        let (start, end) = self.spans.value;
        self.text.get(start..end).unwrap_or_default()
    }

    /// The value decoded into `buf`: each `%XX` as its byte, and any sequence that
    /// is not UTF-8 as U+FFFD (rule [B5](crate::rules#b5)). A buffer as long as
    /// [`raw_value`](Self::raw_value) always suffices.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Capacity`] when `buf` is too short.
    pub fn decode_value_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, Error> {
        percent::decode_into(self.raw_value_bytes(), buf)
    }

    /// The value decoded (see [`decode_value_into`](Self::decode_value_into)),
    /// borrowed when it has no `%`.
    #[cfg(feature = "alloc")]
    #[must_use]
    pub fn value(&self) -> alloc::borrow::Cow<'a, str> {
        percent::decode(self.raw_value())
    }

    /// The properties, in order.
    #[must_use]
    pub fn properties(&self) -> Properties<'a> {
        Properties {
            text: self.as_str(),
            at: self.spans.properties,
        }
    }
}

/// Text known to be ASCII (a valid member or a part of one) as `&str`.
const fn ascii(bytes: &[u8]) -> &str {
    match core::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => "",
    }
}

/// The properties of a [`Member`].
#[derive(Clone, Debug)]
pub struct Properties<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Iterator for Properties<'a> {
    type Item = Property<'a>;

    fn next(&mut self) -> Option<Property<'a>> {
        if self.at >= self.text.len() {
            return None;
        }
        let spans = grammar::property(self.text.as_bytes(), self.at).ok()?;
        self.at = spans.next;
        let slice = |(start, end): (usize, usize)| self.text.get(start..end).unwrap_or_default();
        Some(Property {
            key: slice(spans.key),
            raw_value: spans.value.map(slice),
        })
    }
}

/// A property of a member: a key, with or without a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Property<'a> {
    key: &'a str,
    raw_value: Option<&'a str>,
}

impl<'a> Property<'a> {
    /// The key.
    #[must_use]
    pub const fn key(&self) -> &'a str {
        self.key
    }

    /// The value as sent, percent-encoded; `None` for a property without `=`.
    #[must_use]
    pub const fn raw_value(&self) -> Option<&'a str> {
        self.raw_value
    }

    /// The value decoded into `buf` (as [`Member::decode_value_into`]); `None` for
    /// a property without `=`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Capacity`] when `buf` is too short.
    pub fn decode_value_into<'b>(&self, buf: &'b mut [u8]) -> Option<Result<&'b str, Error>> {
        self.raw_value
            .map(|raw| percent::decode_into(raw.as_bytes(), buf))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::string::String;

    fn joined(view: &BaggageView<'_>) -> bool {
        matches!(view.kept, Kept::Joined(_))
    }

    /// A list of `n` members `k<i>=value-<i>`, joined by commas.
    fn list(n: usize) -> String {
        (0..n)
            .map(|i| std::format!("k{i}=value-{i:04}"))
            .collect::<std::vec::Vec<_>>()
            .join(",")
    }

    #[test]
    fn a_short_field_as_it_came_is_kept_as_one_list_and_a_long_one_member_by_member() {
        // Up to JOINED_MAX bytes: one list, read once, from both ways in.
        let short = "a".repeat(JOINED_MAX - 2) + "=1";
        for text in ["k=v,l=w", short.as_str()] {
            assert!(joined(&BaggageView::parse(text)), "{}", text.len());
            let fields = [text.as_bytes()];
            let view = BaggageView::parse_fields_with(fields, Validation::Lenient).unwrap();
            assert!(joined(&view));
        }
        // One byte longer, or not as it came: member by member.
        let long = "a".repeat(JOINED_MAX - 1) + "=1";
        let spaced = "k=v, l=w";
        for text in [long.as_str(), spaced] {
            assert!(!joined(&BaggageView::parse(text)), "{text:.10}");
            let fields = [text.as_bytes()];
            let view = BaggageView::parse_fields_with(fields, Validation::Lenient).unwrap();
            assert!(!joined(&view));
        }
        // Either way the same members, and a long list as it came is still one
        // piece to copy.
        let many = list(60);
        assert!(many.len() > JOINED_MAX);
        let view = BaggageView::parse(&many);
        assert_eq!(view.len(), 60);
        #[cfg(feature = "alloc")]
        assert_eq!(view.contiguous(), Some(many.as_bytes()));
        assert_eq!(view.get("k59").unwrap().raw_value(), "value-0059");
    }

    /// The reader's counts, all of them.
    fn counts(reader: &Reader) -> (usize, usize, usize, usize, u32, Option<Error>) {
        (
            reader.base,
            reader.seen,
            reader.members,
            reader.len,
            reader.dropped,
            reader.problem,
        )
    }

    #[test]
    fn a_plain_field_leaves_the_counts_a_reading_member_by_member_does() {
        let first = list(3);
        for (before, field) in [
            ("", "a=1"),
            ("", ""),
            ("x=1", "a=1,b=%41;p"),
            (first.as_str(), "a=1"),
            (first.as_str(), ""),
        ] {
            let mut fast = Reader::new(Validation::Lenient, 6, 64);
            let mut slow = Reader::new(Validation::Lenient, 6, 64);
            for reader in [&mut fast, &mut slow] {
                assert!(reader.field(before.as_bytes(), |_| {}).unwrap());
            }
            assert!(fast.plain_field(field.as_bytes()), "{field}");
            assert!(slow.field(field.as_bytes(), |_| {}).unwrap());
            assert_eq!(counts(&fast), counts(&slow), "{before} {field}");
            // A member dropped after it is numbered and placed alike.
            for reader in [&mut fast, &mut slow] {
                let _ = reader.field(b"ok=1,bad", |_| {});
            }
            assert_eq!(counts(&fast), counts(&slow), "{before} {field}");
            assert!(fast.problem.is_some());
        }
    }

    #[test]
    fn a_plain_field_past_a_limit_is_left_to_the_reading_member_by_member() {
        // Members: three fit beside one, not four.
        let mut reader = Reader::new(Validation::Lenient, 4, 64);
        assert!(reader.plain_field(b"a=1"));
        let before = counts(&reader);
        assert!(!reader.plain_field(b"b=1,c=2,d=3,e=4"));
        assert_eq!(counts(&reader), before);
        assert!(reader.plain_field(b"b=1,c=2,d=3"));
        assert_eq!(reader.members, 4);
        // Bytes: `a=1` and `,b=2` make 7.
        for (max, fits) in [(6, false), (7, true)] {
            let mut reader = Reader::new(Validation::Lenient, 64, max);
            assert!(reader.plain_field(b"a=1"));
            assert_eq!(reader.plain_field(b"b=2"), fits, "{max}");
        }
        // A long field is read member by member, however plain.
        let mut long = String::from("k=");
        long.extend(core::iter::repeat_n('v', JOINED_MAX - 2));
        for (field, plain) in [(long.clone() + "v", false), (long, true)] {
            let mut reader = Reader::new(Validation::Lenient, 64, MAX_BYTES);
            assert_eq!(
                reader.plain_field(field.as_bytes()),
                plain,
                "{}",
                field.len()
            );
        }
        // Anything but a plain list is left too.
        let mut reader = Reader::new(Validation::Lenient, 64, MAX_BYTES);
        assert!(!reader.plain_field(b"a=1, b=2"));
        assert_eq!(
            counts(&reader),
            counts(&Reader::new(Validation::Lenient, 64, MAX_BYTES))
        );
    }
}
