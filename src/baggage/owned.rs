//! The owned baggage list, with inline storage: read, edit, send.

use core::fmt;
use core::str::FromStr;

use super::grammar::{as_key, check_key, entries, has_key};
use super::percent::{encode, encode_into};
use super::view::{Reader, find_member, only_field, read_carrier, saturate};
use super::{BAGGAGE, BaggageView, MAX_BYTES, MAX_MEMBERS, Member, Members};
use crate::carrier::{Extractor, Injector};
use crate::error::{Error, ErrorKind, Reason};
use crate::swar::find_comma;
use crate::tracestate::Validation;

/// A baggage list that owns its members, inline: up to `MEMBERS` members and
/// `BYTES` bytes, with no allocation. [`Baggage`] is this with the limits of
/// rule [B6](crate::rules#b6); see it for the details.
///
/// ```
/// use tracecontext::baggage::InlineBaggage;
///
/// let small = InlineBaggage::<32, 2>::parse("a=1,b=2,c=3");
/// assert_eq!(small.as_str(), "a=1,b=2");
/// assert_eq!(small.problem().unwrap().to_string(), "baggage: more than 2 members at byte 8");
/// ```
#[derive(Clone)]
pub struct InlineBaggage<const BYTES: usize, const MEMBERS: usize> {
    buf: [u8; BYTES],
    /// How many bytes of `buf` the members take.
    bytes: usize,
    members: usize,
    dropped: u32,
    problem: Option<Error>,
}

impl<const BYTES: usize, const MEMBERS: usize> InlineBaggage<BYTES, MEMBERS> {
    /// An empty list.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            buf: [0; BYTES],
            bytes: 0,
            members: 0,
            dropped: 0,
            problem: None,
        }
    }

    /// Reads one `baggage` field, dropping invalid members (rule
    /// [B8](crate::rules#b8)) and the members past the capacity.
    #[must_use]
    pub fn parse(field: &str) -> Self {
        Self::lenient(field.as_bytes())
    }

    /// Reads one field, dropping invalid members.
    fn lenient(field: &[u8]) -> Self {
        // Returned by value, so copied once more (see `extract_from`).
        let mut baggage = Self::new();
        let mut reader = Reader::new(Validation::Lenient, MEMBERS, BYTES);
        let _lenient_never_fails = baggage.read(&mut reader, field);
        baggage.finish(&reader);
        baggage
    }

    /// Reads several `baggage` fields as one list (rule [B1](crate::rules#b1)),
    /// as [`BaggageView::parse_fields_with`] does, with this form's capacity as
    /// the limits.
    ///
    /// # Errors
    ///
    /// With [`Validation::Strict`], the first invalid member's error.
    pub fn parse_fields_with<'a, I>(fields: I, validation: Validation) -> Result<Self, Error>
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        let mut baggage = Self::new();
        let mut reader = Reader::new(validation, MEMBERS, BYTES);
        for field in fields {
            if !baggage.read(&mut reader, field)? {
                break;
            }
        }
        baggage.finish(&reader);
        Ok(baggage)
    }

    /// Reads every `baggage` field of a request's `carrier`, dropping invalid
    /// members (see [`BaggageView::extract`]); nothing is allocated.
    ///
    /// The list is returned by value, which copies all of its `BYTES` bytes; to
    /// read a request's baggage where the list is kept, see
    /// [`extract_from`](Self::extract_from).
    #[must_use]
    pub fn extract<'a>(carrier: impl Extractor<'a>) -> Self {
        let mut baggage = Self::new();
        baggage.extract_from(carrier);
        baggage
    }

    /// Replaces the members with those of every `baggage` field of `carrier`,
    /// read as [`extract`](Self::extract) reads them, in place.
    ///
    /// A list is kilobytes (8 KiB for [`Baggage`]), and returning one from
    /// `extract` copies all of it, which costs more than reading a few members:
    /// reading into a list made where it is used, or kept and reused from
    /// request to request, copies only the members.
    ///
    /// ```
    /// use tracecontext::baggage::Baggage;
    ///
    /// let mut baggage = Baggage::new();
    /// for request in [[("baggage", "tenant=acme,class=batch")], [("baggage", "class=web")]] {
    ///     baggage.extract_from(&request);
    ///     assert!(baggage.get("class").is_some());
    /// }
    /// assert_eq!(baggage.as_str(), "class=web");
    /// ```
    pub fn extract_from<'a>(&mut self, carrier: impl Extractor<'a>) {
        // Reading appends after `bytes`; `finish` sets the counts and the problem.
        self.bytes = 0;
        let mut reader = Reader::new(Validation::Lenient, MEMBERS, BYTES);
        match only_field(&carrier) {
            Some(field) => {
                let _lenient_never_fails = self.read(&mut reader, field);
            }
            None => self.read_several(&mut reader, carrier),
        }
        self.finish(&reader);
    }

    /// Reads several fields, dropping invalid members.
    #[cold]
    #[inline(never)]
    fn read_several<'a>(&mut self, reader: &mut Reader, carrier: impl Extractor<'a>) {
        let _lenient_never_fails = read_carrier(carrier, |field| self.read(reader, field));
    }

    /// Reads every `baggage` field of `carrier` with the given validation.
    ///
    /// # Errors
    ///
    /// With [`Validation::Strict`], the first invalid member's error.
    pub fn from_carrier<'a>(
        carrier: impl Extractor<'a>,
        validation: Validation,
    ) -> Result<Self, Error> {
        let mut baggage = Self::new();
        let mut reader = Reader::new(validation, MEMBERS, BYTES);
        read_carrier(carrier, |field| baggage.read(&mut reader, field))?;
        baggage.finish(&reader);
        Ok(baggage)
    }

    /// Appends the members the reader keeps from one field; `Ok(false)` once a
    /// limit is reached.
    fn read(&mut self, reader: &mut Reader, field: &[u8]) -> Result<bool, Error> {
        let buf = &mut self.buf;
        let len = &mut self.bytes;
        // The reader keeps no more than `BYTES` bytes, separators included.
        let mut append = |members: &[u8]| {
            if *len > 0 {
                buf[*len] = b',';
                *len += 1;
            }
            buf[*len..*len + members.len()].copy_from_slice(members);
            *len += members.len();
        };
        // A plain field is kept whole; an empty one adds nothing.
        if reader.plain_field(field) {
            if !field.is_empty() {
                append(field);
            }
            return Ok(true);
        }
        reader.field(field, append)
    }

    fn finish(&mut self, reader: &Reader) {
        self.members = reader.members;
        self.dropped = reader.dropped;
        self.problem = reader.problem;
    }

    /// How many members the list holds.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.members
    }

    /// Whether the list holds no member.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.members == 0
    }

    /// The length of [`as_str`](Self::as_str), what injecting sends.
    #[must_use]
    pub const fn encoded_len(&self) -> usize {
        self.bytes
    }

    /// The header value: the members joined with `,`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Members are ASCII, checked as they came in or encoded as they were put in.
        core::str::from_utf8(&self.buf[..self.bytes]).unwrap_or_default()
    }

    /// How many members were dropped when the list was read, for being invalid or
    /// past the capacity (see [`BaggageView::dropped`]).
    #[must_use]
    pub const fn dropped(&self) -> usize {
        self.dropped as usize
    }

    /// Why the first member dropped when the list was read was dropped.
    #[must_use]
    pub const fn problem(&self) -> Option<Error> {
        self.problem
    }

    /// The members, in order.
    #[must_use]
    pub fn iter(&self) -> Members<'_, '_> {
        Members::one(&self.buf[..self.bytes])
    }

    /// The first member with the key `key` (rule [B7](crate::rules#b7)).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<Member<'_>> {
        find_member(&self.buf[..self.bytes], key)
    }

    /// Removes every member.
    pub fn clear(&mut self) {
        self.bytes = 0;
        self.members = 0;
    }

    /// Sets the member `key` to `value`, without properties: see
    /// [`insert_with_properties`](Self::insert_with_properties).
    ///
    /// # Errors
    ///
    /// As [`insert_with_properties`](Self::insert_with_properties).
    pub fn insert(&mut self, key: &str, value: &str) -> Result<(), Error> {
        self.insert_with_properties(key, value, &[])
    }

    /// Sets the member `key` to `value` with `properties` (each a key, with or
    /// without a value). The value and the property values are any text: they
    /// are percent-encoded as rule [B5](crate::rules#b5) requires. A member with
    /// this key takes the place of the first one there was, and any others with
    /// the key go (the list never gets a duplicate this way, rule
    /// [B7](crate::rules#b7)); otherwise it is appended.
    ///
    /// ```
    /// use tracecontext::baggage::Baggage;
    ///
    /// let mut baggage: Baggage = "a=1,b=2,a=3".parse()?;
    /// baggage.insert_with_properties("a", "50%", &[("ttl", Some("30")), ("internal", None)])?;
    /// assert_eq!(baggage.as_str(), "a=50%25;ttl=30;internal,b=2");
    /// let err = baggage.insert("no spaces", "x").unwrap_err();
    /// assert_eq!(err.to_string(), "baggage: invalid character ' ' in key at byte 2");
    /// # Ok::<(), tracecontext::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Nothing changes when it fails:
    ///
    /// - [`ErrorKind::Key`] or [`ErrorKind::Property`] for a key that is not an
    ///   HTTP token (rule [B3](crate::rules#b3)), with the offset in that key;
    /// - [`ErrorKind::MemberCount`] when the list would hold more than `MEMBERS`
    ///   members, [`ErrorKind::Capacity`] when more than `BYTES` bytes.
    pub fn insert_with_properties(
        &mut self,
        key: &str,
        value: &str,
        properties: &[(&str, Option<&str>)],
    ) -> Result<(), Error> {
        let checked = |text: &str, kind| {
            check_key(text.as_bytes(), kind).map_err(|(kind, reason, offset)| {
                Error::new(kind, reason, offset).for_header(BAGGAGE)
            })
        };
        checked(key, ErrorKind::Key)?;
        let mut size = key.len() + 1 + encode(value).len();
        for (name, value) in properties {
            checked(name, ErrorKind::Property)?;
            size += 1 + name.len() + value.map_or(0, |value| 1 + encode(value).len());
        }
        // What the list holds once the members with this key are gone, and where
        // the first of them was.
        let (mut others, mut others_len, mut place) = (0, 0, None);
        for member in entries(&self.buf[..self.bytes]) {
            if has_key(member, key.as_bytes()) {
                place.get_or_insert(others);
            } else {
                others_len += usize::from(others > 0) + member.len();
                others += 1;
            }
        }
        if others + 1 > MEMBERS {
            let reason = Reason::TooMany(saturate(MEMBERS));
            return Err(Error::new(ErrorKind::MemberCount, reason, 0).for_header(BAGGAGE));
        }
        if others_len + usize::from(others > 0) + size > BYTES {
            let reason = Reason::NoRoom(saturate(BYTES));
            return Err(Error::new(ErrorKind::Capacity, reason, 0).for_header(BAGGAGE));
        }
        if place.is_some() {
            self.retain_members(|member| !has_key(member, key.as_bytes()));
        }
        let at = self.open(place.unwrap_or(self.members), size);
        let out = &mut self.buf[at..at + size];
        let mut end = key.len();
        out[..end].copy_from_slice(key.as_bytes());
        out[end] = b'=';
        end += 1 + encode_into(value, &mut out[end + 1..]);
        for (name, value) in properties {
            out[end] = b';';
            out[end + 1..end + 1 + name.len()].copy_from_slice(name.as_bytes());
            end += 1 + name.len();
            if let Some(value) = value {
                out[end] = b'=';
                end += 1 + encode_into(value, &mut out[end + 1..]);
            }
        }
        Ok(())
    }

    /// Makes room for a member of `size` bytes before the member at `index` (or
    /// at the end), separators included; returns where it goes. The caller has
    /// checked that it fits.
    fn open(&mut self, index: usize, size: usize) -> usize {
        let at = if index == self.members {
            if self.bytes > 0 {
                self.buf[self.bytes] = b',';
                self.bytes += 1;
            }
            self.bytes
        } else {
            // At the start, or after the `index`-th separator.
            let at = match index.checked_sub(1) {
                None => 0,
                Some(nth) => self.buf[..self.bytes]
                    .iter()
                    .enumerate()
                    .filter(|&(_, &c)| c == b',')
                    .nth(nth)
                    .map_or(self.bytes, |(at, _)| at + 1),
            };
            self.buf.copy_within(at..self.bytes, at + size + 1);
            self.buf[at + size] = b',';
            self.bytes += 1;
            at
        };
        self.bytes += size;
        self.members += 1;
        at
    }

    /// Removes every member with the key `key`; returns whether there was one.
    pub fn remove(&mut self, key: &str) -> bool {
        // No member has a key that is not one.
        let Some(key) = as_key(key) else {
            return false;
        };
        let before = self.members;
        // The list is valid: the keys alone decide, nothing else is read.
        self.retain_members(|member| !has_key(member, key));
        self.members != before
    }

    /// Keeps only the members for which `keep` returns `true`, in order: for an
    /// edge that lets only some keys through (rule [B9](crate::rules#b9)).
    ///
    /// ```
    /// use tracecontext::baggage::InlineBaggage;
    ///
    /// let mut baggage = InlineBaggage::<256, 8>::parse("tenant=acme,debug=1,session=s3cr3t");
    /// baggage.retain(|member| ["tenant", "debug"].contains(&member.key()));
    /// assert_eq!(baggage.as_str(), "tenant=acme,debug=1");
    /// ```
    pub fn retain(&mut self, mut keep: impl FnMut(&Member<'_>) -> bool) {
        self.retain_members(|member| keep(&Member::of(member)));
    }

    /// Keeps only the members whose text `keep` accepts, in order.
    fn retain_members(&mut self, mut keep: impl FnMut(&[u8]) -> bool) {
        let (mut read, mut write, mut kept) = (0, 0, 0);
        while read < self.bytes {
            let end = find_comma(&self.buf[..self.bytes], read).unwrap_or(self.bytes);
            if keep(&self.buf[read..end]) {
                // Everything before `read` has been read, so nothing is lost.
                if kept > 0 {
                    self.buf[write] = b',';
                    write += 1;
                }
                if write != read {
                    self.buf.copy_within(read..end, write);
                }
                write += end - read;
                kept += 1;
            }
            read = end + 1;
        }
        self.bytes = write;
        self.members = kept;
    }

    /// Writes the list into `carrier` as one `baggage` header, or removes the
    /// header when the list is empty (an empty `baggage` header is never sent).
    ///
    /// # Errors
    ///
    /// When the carrier refuses the header or has no room for it.
    pub fn inject<'c, I: Injector<'c> + ?Sized>(&'c self, carrier: &mut I) -> Result<(), Error> {
        inject(self.as_str(), carrier)
    }
}

/// Writes a list's text as the `baggage` header, or removes the header.
pub(crate) fn inject<'c, I: Injector<'c> + ?Sized>(
    text: &'c str,
    carrier: &mut I,
) -> Result<(), Error> {
    if text.is_empty() {
        carrier.remove(BAGGAGE);
        Ok(())
    } else {
        carrier.set(BAGGAGE, text)
    }
}

/// A baggage list that owns its members, inline: up to 64 members and 8192 bytes,
/// the limits of rule [B6](crate::rules#b6), with no allocation. For other
/// limits, use [`InlineBaggage`] with yours.
///
/// It holds what would be sent: the members, each without the whitespace around
/// it, joined with `,`. Members read from a request are kept as they came (still
/// percent-encoded), so forwarding changes nothing but that whitespace. Members
/// written with [`insert`](Self::insert) have their key checked and their value
/// percent-encoded (rule [B5](crate::rules#b5)).
///
/// Reading follows [`BaggageView`]: invalid members are dropped with a reason
/// ([`problem`](Self::problem)) or, strictly, reject the list; members past the
/// capacity are dropped whole from the right. Editing never drops a member: an
/// insert that does not fit is refused with an error and changes nothing.
///
/// Without `alloc` this is the form to keep baggage in; with it,
/// [`SharedBaggage`](super::SharedBaggage) is the small, cheaply cloned form to
/// store in a request or a task, and this one is for editing.
///
/// ```
/// use tracecontext::baggage::Baggage;
///
/// let incoming = [("baggage", "tenant=acme, class = batch;ttl=30")];
/// let mut baggage = Baggage::extract(&incoming);
/// baggage.insert("user", "Amélie Poulain")?;
/// baggage.remove("class");
///
/// let mut outgoing = [("", ""); 1];
/// baggage.inject(&mut outgoing)?;
/// assert_eq!(outgoing[0], ("baggage", "tenant=acme,user=Am%C3%A9lie%20Poulain"));
/// assert_eq!(baggage.get("user").unwrap().value(), "Amélie Poulain");
/// # Ok::<(), tracecontext::Error>(())
/// ```
pub type Baggage = InlineBaggage<MAX_BYTES, MAX_MEMBERS>;

impl<const BYTES: usize, const MEMBERS: usize> Default for InlineBaggage<BYTES, MEMBERS> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const BYTES: usize, const MEMBERS: usize> From<&BaggageView<'_>>
    for InlineBaggage<BYTES, MEMBERS>
{
    /// The view's members, copied; when this form is smaller than the view,
    /// the members past its capacity are dropped from the right, and
    /// [`problem`](InlineBaggage::problem) numbers the first of them among the view's
    /// members, with its offset in the view's list as sent.
    fn from(view: &BaggageView<'_>) -> Self {
        let mut baggage = Self::new();
        let mut reader = Reader::new(Validation::Lenient, MEMBERS, BYTES);
        for member in view {
            if !matches!(
                baggage.read(&mut reader, member.as_str().as_bytes()),
                Ok(true)
            ) {
                break;
            }
        }
        baggage.finish(&reader);
        if view.problem().is_some() {
            baggage.problem = view.problem();
            baggage.dropped = baggage.dropped.saturating_add(view.dropped() as u32);
        }
        baggage
    }
}

impl<const BYTES: usize, const MEMBERS: usize> PartialEq for InlineBaggage<BYTES, MEMBERS> {
    /// Two lists are equal when they would send the same header.
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl<const BYTES: usize, const MEMBERS: usize> Eq for InlineBaggage<BYTES, MEMBERS> {}

impl<const BYTES: usize, const MEMBERS: usize> core::hash::Hash for InlineBaggage<BYTES, MEMBERS> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl<const BYTES: usize, const MEMBERS: usize> fmt::Debug for InlineBaggage<BYTES, MEMBERS> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Baggage").field(&self.as_str()).finish()
    }
}

impl<const BYTES: usize, const MEMBERS: usize> fmt::Display for InlineBaggage<BYTES, MEMBERS> {
    /// The header value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const BYTES: usize, const MEMBERS: usize> FromStr for InlineBaggage<BYTES, MEMBERS> {
    type Err = Error;

    /// Reads one field strictly: an invalid member is an error. Members past the
    /// capacity are still dropped from the right (see
    /// [`problem`](InlineBaggage::problem)).
    fn from_str(field: &str) -> Result<Self, Error> {
        Self::parse_fields_with([field.as_bytes()], Validation::Strict)
    }
}

impl<'s, const BYTES: usize, const MEMBERS: usize> IntoIterator
    for &'s InlineBaggage<BYTES, MEMBERS>
{
    type Item = Member<'s>;
    type IntoIter = Members<'s, 's>;

    fn into_iter(self) -> Members<'s, 's> {
        self.iter()
    }
}
