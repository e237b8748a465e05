//! The owned tracestate: inline, fixed capacity, indexed.

use core::fmt;
use core::str::FromStr;

use crate::error::{Error, ErrorKind, Reason};
use crate::swar;

use super::cut::plan_cut;
use super::grammar::{Raw, Walker, check_key, check_value, text};
use super::view::TraceStateView;
use super::{MAX_MEMBERS, Validation};

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
/// with no work at all. `CAP` defaults to 512 bytes, the size rule [S9](crate::rules#s9) asks every
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

    /// A state holding a list validated before (by the crate), cut by rule S9 if it
    /// is longer than `CAP`.
    pub(crate) fn trusted(list: &str) -> Self {
        // Validated text parses; the default is never taken.
        Self::parse(list.as_bytes()).unwrap_or_default()
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
        let fields = fields.into_iter();
        let mut builder = Builder::new(validation);
        for field in fields.clone() {
            if !builder.field(field) {
                break;
            }
        }
        // Not `builder.finish`: passing the builder to it copies the state.
        if builder.settle()? {
            return Ok(builder.cut(|cut| {
                for field in fields {
                    if !cut.field(field) {
                        break;
                    }
                }
            }));
        }
        Ok(builder.state)
    }

    /// Makes room for a member (already validated) at the end: writes its comma and
    /// index entry and returns where its bytes go, or `None` when it does not fit.
    /// The caller copies the bytes.
    fn reserve(&mut self, raw: Raw<'_>) -> Option<usize> {
        let count = usize::from(self.count);
        let len = usize::from(self.len);
        let sep = usize::from(count > 0);
        let start = len + sep;
        let end = start + raw.len();
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
            // Plan the S9 cut with the new member counted at the front. At most 31
            // members are left (a 32nd was evicted above), so the new one fits in.
            let n = self.len();
            let mut lens = [0u16; MAX_MEMBERS];
            lens[0] = need as u16;
            for i in 0..n {
                lens[i + 1] = self.member_len(i);
            }
            let mut keep = [true; MAX_MEMBERS];
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
        // A view was validated when parsed, so building cannot fail.
        Self::parse_fields_with(view.fields(), view.validation()).unwrap_or_default()
    }
}

/// Fills an owned state from fields handed over one at a time (from an iterator or
/// from a carrier), validating every member. A list that does not fit in `CAP`
/// needs a second pass over the same fields, to keep what rule S9 keeps.
pub(crate) struct Builder<const CAP: usize> {
    state: TraceState<CAP>,
    walker: Walker,
    /// The lengths of the valid members so far, for planning a cut.
    lens: [u16; MAX_MEMBERS],
    members: usize,
    overflow: bool,
    error: Option<Error>,
}

impl<const CAP: usize> Builder<CAP> {
    pub(crate) fn new(validation: Validation) -> Self {
        Self {
            state: TraceState::new(),
            walker: Walker::new(validation),
            lens: [0; MAX_MEMBERS],
            members: 0,
            overflow: false,
            error: None,
        }
    }

    /// Reads the next field; `false` once the rest need not be read (an error, or
    /// all that a lenient read keeps).
    #[inline]
    pub(crate) fn field(&mut self, field: &[u8]) -> bool {
        if self.walker.is_done() {
            return false;
        }
        self.walker.start_field(field.len());
        let mut pos = 0;
        // Members that stand one after another in the field, separated by single
        // commas, are copied as one run: a header without whitespace is one copy.
        // The run: where it starts and ends in the field, and where it goes.
        let mut run: Option<(usize, usize, usize)> = None;
        while let Some(member) = self.walker.next(field, &mut pos) {
            let raw = match member {
                Ok(raw) => raw,
                Err(error) => {
                    self.error = Some(error);
                    return false;
                }
            };
            self.lens[self.members] = raw.len() as u16;
            self.members += 1;
            if self.overflow {
                continue; // still validate the rest
            }
            let Some(at) = self.state.reserve(raw) else {
                self.overflow = true;
                continue;
            };
            run = match run {
                Some((start, end, to)) if raw.start == end + 1 => Some((start, raw.end, to)),
                Some((start, end, to)) => {
                    self.state.copy(field, start..end, to);
                    Some((raw.start, raw.end, at))
                }
                None => Some((raw.start, raw.end, at)),
            };
        }
        if let Some((start, end, to)) = run {
            self.state.copy(field, start..end, to);
        }
        !self.walker.is_done()
    }

    /// The state read, or the first error. When the list did not fit, `again`
    /// reads the fields a second time into the pass that keeps what the S9 plan
    /// keeps.
    ///
    /// The state goes straight into the result: wrapping it in an enum on the
    /// way copied the whole inline state once more for each layer.
    pub(crate) fn finish(
        mut self,
        again: impl FnOnce(&mut CutPass<CAP>),
    ) -> Result<TraceState<CAP>, Error> {
        if self.settle()? {
            return Ok(self.cut(again));
        }
        Ok(self.state)
    }

    /// After the last field: the first error, or whether the list must be cut
    /// (read a second time, [`cut`](Self::cut)); a complete state is ready to
    /// be taken.
    #[inline(always)]
    fn settle(&mut self) -> Result<bool, Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        if !self.overflow {
            self.state.unique = self.state.count <= 1;
        }
        Ok(self.overflow)
    }

    /// The second pass, for a list that did not fit.
    #[cold]
    #[inline(never)]
    fn cut(&self, again: impl FnOnce(&mut CutPass<CAP>)) -> TraceState<CAP> {
        let mut cut = self.plan();
        again(&mut cut);
        cut.finish()
    }

    #[cold]
    fn plan(&self) -> CutPass<CAP> {
        let mut keep = [true; MAX_MEMBERS];
        plan_cut(
            &self.lens[..self.members],
            &mut keep[..self.members],
            CAP,
            None,
        );
        CutPass {
            state: TraceState::new(),
            walker: Walker::new(self.walker.validation()),
            keep,
            index: 0,
        }
    }
}

/// The second pass over a list that did not fit: copies the members the S9 plan
/// keeps.
pub(crate) struct CutPass<const CAP: usize> {
    state: TraceState<CAP>,
    walker: Walker,
    keep: [bool; MAX_MEMBERS],
    index: usize,
}

impl<const CAP: usize> CutPass<CAP> {
    /// Reads the next field again; `false` once the rest need not be read.
    #[cold]
    pub(crate) fn field(&mut self, field: &[u8]) -> bool {
        if self.walker.is_done() {
            return false;
        }
        self.walker.start_field(field.len());
        let mut pos = 0;
        while let Some(Ok(raw)) = self.walker.next(field, &mut pos) {
            if self.keep.get(self.index).copied().unwrap_or(false) {
                if let Some(at) = self.state.reserve(raw) {
                    self.state.copy(field, raw.start..raw.end, at);
                }
            }
            self.index += 1;
        }
        !self.walker.is_done()
    }

    /// The cut state.
    pub(crate) fn finish(self) -> TraceState<CAP> {
        let mut state = self.state;
        state.unique = state.count <= 1;
        state
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
