//! The zero-copy, validated tracestate view.

use core::fmt;
use core::iter::Once;
use core::marker::PhantomData;

use crate::error::Error;

use super::Validation;
use super::grammar::{self, Raw, Scan, Trusted, count_trusted, text};

/// A validated, zero-copy view of a tracestate given as one or several header fields.
///
/// Parsing checks every member against rules [S3](crate::rules#s3)–[S6](crate::rules#s6)
/// and counts them; nothing is copied or allocated, and the view borrows the header
/// values. Several `tracestate` fields are read as one list, as if joined with `,`
/// (rule [S2](crate::rules#s2)), without joining them. Duplicate keys are accepted;
/// [`get`](TraceStateView::get) returns the left-most (rule [S7](crate::rules#s7)).
/// Iteration yields `(key, value)` pairs in order, skipping empty members.
///
/// The view stores no index of its members: each iteration or lookup reads the
/// header again, in time linear in its length. For repeated access, convert it into
/// a [`TraceState`](crate::tracestate::TraceState) (`TraceState::from(&view)`), which indexes its
/// members.
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
    /// The first invalid member ([`ErrorKind::Key`](crate::ErrorKind::Key),
    /// [`ErrorKind::Value`](crate::ErrorKind::Value),
    /// [`ErrorKind::Member`](crate::ErrorKind::Member)) or a 33rd member
    /// ([`ErrorKind::MemberCount`](crate::ErrorKind::MemberCount)), with its byte
    /// offset and member number.
    pub fn parse(input: &'a [u8]) -> Result<Self, Error> {
        Self::parse_fields(core::iter::once(input))
    }

    /// A view of a list that was validated before (by the crate), without checking
    /// it again.
    pub(crate) fn trusted(list: &'a str) -> Self {
        let len = count_trusted(list.as_bytes());
        Self {
            fields: core::iter::once(list.as_bytes()),
            validation: Validation::Strict,
            len: u8::try_from(len).unwrap_or(u8::MAX),
            _borrow: PhantomData,
        }
    }

    /// The header value the view was parsed from, as given (whitespace and empty
    /// members included).
    #[must_use]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.fields.clone().next().unwrap_or_default()
    }

    /// The header value the view was parsed from, as text. A strictly parsed view is
    /// always ASCII; for a lenient view of bytes that are not UTF-8, this is empty.
    #[must_use]
    pub fn as_str(&self) -> &'a str {
        core::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

impl<'a, I: Iterator<Item = &'a [u8]> + Clone> TraceStateView<'a, I> {
    /// Parses the values of several `tracestate` fields, in order, as one list
    /// (rule [S2](crate::rules#s2)), strictly. Offsets in errors count through the
    /// fields as if joined with `,`.
    ///
    /// # Errors
    ///
    /// As for [`parse`](TraceStateView::parse).
    pub fn parse_fields<F: IntoIterator<IntoIter = I>>(fields: F) -> Result<Self, Error> {
        Self::parse_fields_with(fields, Validation::Strict)
    }

    /// Parses the values of several `tracestate` fields with the given validation.
    ///
    /// The view keeps `fields` and reads a clone of it on each pass (iteration,
    /// `get`), so every clone must give the same fields: a strictly validated view
    /// does not check its members again.
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
        // One field written plainly, the common case, is read in one pass.
        let mut rest = fields.clone();
        let plain = match (rest.next(), rest.next()) {
            (Some(only), None) => grammar::plain(only, b""),
            _ => None,
        };
        if let Some(plain) = plain {
            return Ok(Self {
                fields,
                validation,
                // At most 32.
                len: u8::try_from(plain.members).unwrap_or(u8::MAX),
                _borrow: PhantomData,
            });
        }
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

    /// Whether there are no members. An empty tracestate is valid but not sent
    /// (rule [S10](crate::rules#s10)).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The validation the view was parsed with.
    #[must_use]
    pub fn validation(&self) -> Validation {
        self.validation
    }

    /// The value of the left-most member with this key (rule [S7](crate::rules#s7)).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The members, in order, as `(key, value)`.
    #[must_use]
    pub fn iter(&self) -> ViewIter<'a, I> {
        let members = match self.validation {
            // Every member is valid: found by its commas, not checked again.
            Validation::Strict => Members::Trusted(Trusted::new(self.fields.clone())),
            // The invalid members, and those past the limit, are skipped again.
            Validation::Lenient => {
                Members::Checked(Scan::new(self.fields.clone(), self.validation))
            }
        };
        ViewIter {
            members,
            field: None,
        }
    }

    /// The fields behind the view.
    pub(super) fn fields(&self) -> I {
        self.fields.clone()
    }
}

impl<'a, I: Iterator<Item = &'a [u8]> + Clone> IntoIterator for &TraceStateView<'a, I> {
    type Item = (&'a str, &'a str);
    type IntoIter = ViewIter<'a, I>;
    fn into_iter(self) -> ViewIter<'a, I> {
        self.iter()
    }
}

impl<'a, I: Iterator<Item = &'a [u8]> + Clone> fmt::Debug for TraceStateView<'a, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Writes `key=value` members separated by commas.
pub(super) fn write_members<'a>(
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

/// The members of a [`TraceStateView`], in order: from
/// [`TraceStateView::iter`].
#[derive(Clone)]
pub struct ViewIter<'a, I> {
    members: Members<'a, I>,
    /// The field the last member came from, as text when it is UTF-8 as a whole
    /// (always so for a strictly validated view): one UTF-8 check a field, not two a
    /// member.
    field: Option<(&'a [u8], Option<&'a str>)>,
}

/// How a [`ViewIter`] finds the members.
#[derive(Clone)]
enum Members<'a, I> {
    /// A strictly validated view: every member is valid.
    Trusted(Trusted<'a, I>),
    /// A lenient view: the grammar is checked again to skip what it dropped.
    Checked(Scan<'a, I>),
}

impl<'a, I: Iterator<Item = &'a [u8]>> Iterator for ViewIter<'a, I> {
    type Item = (&'a str, &'a str);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let raw: Raw<'a> = match &mut self.members {
            Members::Trusted(members) => members.next()?,
            // Lenient: errors are the members the view dropped.
            Members::Checked(scan) => scan.by_ref().flatten().next()?,
        };
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

impl<'a, I: Iterator<Item = &'a [u8]>> fmt::Debug for ViewIter<'a, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ViewIter { .. }")
    }
}
