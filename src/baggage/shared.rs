//! The shared baggage list: small, cloned by a reference count.

use alloc::string::String;
use alloc::sync::Arc;
use core::fmt;

use super::owned::inject;
use super::{BaggageView, InlineBaggage, Member, Members};
use crate::carrier::{Extractor, Injector};

/// A baggage list to keep and pass around: what a request handler, a task or
/// an outgoing call holds (needs `alloc`).
///
/// It is three words, `Send + Sync + 'static`, and a clone copies no bytes.
/// Making one allocates at most once from a [`Baggage`](super::Baggage) or a
/// view of one field (see [`extract`](Self::extract)), and not at all for an
/// empty list. It is
/// read-only: to edit, make a [`Baggage`](super::Baggage) from it, edit that, and make a new
/// one.
///
/// ```
/// use tracecontext::baggage::{Baggage, SharedBaggage};
///
/// let request = [("baggage", "tenant=acme,class=batch")];
/// let incoming = SharedBaggage::extract(&request);
/// assert_eq!(incoming.get("tenant").unwrap().raw_value(), "acme");
///
/// let mut edited = Baggage::from(&incoming);
/// edited.insert("retry", "2")?;
/// let outgoing = SharedBaggage::from(&edited);
/// let mut headers = [("", ""); 1];
/// outgoing.inject(&mut headers)?;
/// assert_eq!(headers[0].1, "tenant=acme,class=batch,retry=2");
/// # Ok::<(), tracecontext::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct SharedBaggage {
    text: Option<Arc<str>>,
    members: usize,
}

impl SharedBaggage {
    /// An empty list.
    pub const EMPTY: Self = Self {
        text: None,
        members: 0,
    };

    /// Reads every `baggage` field of a request's `carrier`, dropping invalid
    /// members (see [`BaggageView::extract`]). No allocation when there is no
    /// baggage; one when the members came in one field with nothing between them
    /// to cut (whitespace, empty entries, invalid members); two otherwise.
    #[must_use]
    pub fn extract<'a>(carrier: impl Extractor<'a>) -> Self {
        Self::from(&BaggageView::extract(carrier))
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

    /// The header value: the members joined with `,`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.text.as_deref().unwrap_or_default()
    }

    /// The members, in order.
    #[must_use]
    pub fn iter(&self) -> Members<'_, '_> {
        Members::one(self.as_str().as_bytes())
    }

    /// The first member with the key `key` (rule [B7](crate::rules#b7)).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<Member<'_>> {
        super::view::find_member(self.as_str().as_bytes(), key)
    }

    /// Writes the list into `carrier` as one `baggage` header, or removes the
    /// header when the list is empty.
    ///
    /// # Errors
    ///
    /// When the carrier refuses the header or has no room for it.
    pub fn inject<'c, I: Injector<'c> + ?Sized>(
        &'c self,
        carrier: &mut I,
    ) -> Result<(), crate::Error> {
        inject(self.as_str(), carrier)
    }

    fn of(text: &str, members: usize) -> Self {
        if members == 0 {
            return Self::EMPTY;
        }
        Self {
            text: Some(Arc::from(text)),
            members,
        }
    }
}

impl From<&BaggageView<'_>> for SharedBaggage {
    /// The view's members, joined with `,`.
    fn from(view: &BaggageView<'_>) -> Self {
        // Most often the members are one field as it came: one copy.
        if let Some(text) = view
            .contiguous()
            .and_then(|text| core::str::from_utf8(text).ok())
        {
            return Self::of(text, view.len());
        }
        let mut text = String::with_capacity(view.encoded_len());
        for member in view {
            if !text.is_empty() {
                text.push(',');
            }
            text.push_str(member.as_str());
        }
        Self::of(&text, view.len())
    }
}

impl<const BYTES: usize, const MEMBERS: usize> From<&InlineBaggage<BYTES, MEMBERS>>
    for SharedBaggage
{
    fn from(baggage: &InlineBaggage<BYTES, MEMBERS>) -> Self {
        Self::of(baggage.as_str(), baggage.len())
    }
}

impl<const BYTES: usize, const MEMBERS: usize> From<&SharedBaggage>
    for InlineBaggage<BYTES, MEMBERS>
{
    /// The members, copied; past this form's capacity the members on the right
    /// are dropped (see [`InlineBaggage::problem`]).
    fn from(shared: &SharedBaggage) -> Self {
        Self::parse(shared.as_str())
    }
}

impl<'s> IntoIterator for &'s SharedBaggage {
    type Item = Member<'s>;
    type IntoIter = Members<'s, 's>;

    fn into_iter(self) -> Members<'s, 's> {
        self.iter()
    }
}

impl fmt::Debug for SharedBaggage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SharedBaggage")
            .field(&self.as_str())
            .finish()
    }
}

impl fmt::Display for SharedBaggage {
    /// The header value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
