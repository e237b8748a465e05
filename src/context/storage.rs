//! Where a context keeps its `tracestate`.

#[cfg(feature = "alloc")]
use alloc::sync::Arc;

use crate::sampling::OT_KEY;
use crate::tracestate::{TraceState, find_trusted};

/// Where a [`Context`](super::Context) keeps its `tracestate`: [`Shared`] (the small
/// owned context a service stores), [`Borrowed`] (the hop, borrowing the request),
/// or [`TraceState<CAP>`](TraceState) (inline, with no allocator).
///
/// The trait is sealed: these are the only storages. All of them clone (a borrowed
/// slice, an `Arc`, or the inline bytes).
pub trait Storage: sealed::Store + Clone {}

pub(crate) mod sealed {
    use crate::error::Error;
    use crate::tracestate::TraceState;

    /// The storage operations, private to the crate. Every text a storage holds is
    /// a tracestate validated as a whole (rules S3–S6).
    pub trait Store: Sized {
        /// A storage with no tracestate.
        const EMPTY: Self;

        /// The same tracestate, shared: a new `Arc` unless it is one already.
        #[cfg(feature = "alloc")]
        fn into_shared(self) -> super::Shared {
            super::Shared::from_text(self.as_str())
        }

        /// The tracestate text to forward; empty when there is none.
        fn as_str(&self) -> &str;

        /// The `ot` member's value.
        fn ot_value(&self) -> Option<&str> {
            super::find_ot(self.as_str())
        }

        /// Runs `f` on the tracestate as an owned state, and keeps what it leaves.
        fn edit<R>(&mut self, f: impl FnOnce(&mut TraceState) -> R) -> R;

        /// Sets the `ot` member to `value`, or removes it.
        fn set_ot(&mut self, value: Option<&str>) -> Result<(), Error> {
            self.edit(|state| match value {
                Some(value) => state.insert(super::OT_KEY, value),
                None => {
                    state.remove(super::OT_KEY);
                    Ok(())
                }
            })
        }
    }
}

/// The tracestate of a context made for one hop: borrowed from the request it was
/// extracted from (a single field is forwarded exactly as received), or inline when
/// it had to be joined from several fields or was changed. Never allocates.
///
/// A [`Context<Borrowed<'a>>`](super::Context) lives as long as the request's
/// headers; [`into_owned`](super::Context::into_owned) makes the `'static` one.
#[derive(Debug)]
pub struct Borrowed<'a>(Repr<'a>);

#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // inline on purpose: the hop never allocates
enum Repr<'a> {
    /// A validated single field, forwarded verbatim; `""` when there is none.
    /// `ot` is where its `ot` member's value lies in `text`, noted while it was
    /// validated, so a decision reads it without scanning the list again.
    Text {
        text: &'a str,
        ot: Option<(usize, usize)>,
    },
    /// A list that was joined, filtered or changed.
    Inline(TraceState),
}

impl<'a> Borrowed<'a> {
    /// No tracestate.
    pub(super) const NONE: Self = Self(Repr::Text { text: "", ot: None });

    /// A validated single field, `text`, with its `ot` value at `ot` (byte offsets
    /// in `text`).
    #[inline(always)]
    pub(super) fn text(text: &'a str, ot: Option<(usize, usize)>) -> Self {
        Self(Repr::Text { text, ot })
    }

    /// A list that was joined or filtered.
    pub(super) const fn inline(state: TraceState) -> Self {
        Self(Repr::Inline(state))
    }
}

impl Clone for Borrowed<'_> {
    /// Copies only what the variant holds: a derived `clone` copies the whole enum,
    /// 700 bytes, even for a borrowed slice. Out of line, each case a call that
    /// writes its result where the caller wants it: inlined, the result was built
    /// in a temporary and then copied whole into the context being made.
    #[inline(never)]
    fn clone(&self) -> Self {
        match &self.0 {
            Repr::Text { text, ot } => Self::text_out(text, *ot),
            Repr::Inline(state) => Self::copied(state),
        }
    }
}

impl<'a> Borrowed<'a> {
    /// [`text`](Self::text), out of line for [`clone`](Clone::clone).
    #[inline(never)]
    fn text_out(text: &'a str, ot: Option<(usize, usize)>) -> Self {
        Self::text(text, ot)
    }

    /// An inline state's copy, apart from the borrowed case so that case builds
    /// its result in place.
    #[cold]
    #[inline(never)]
    fn copied(state: &TraceState) -> Self {
        Self(Repr::Inline(state.clone()))
    }
}

impl Storage for Borrowed<'_> {}

impl sealed::Store for Borrowed<'_> {
    const EMPTY: Self = Self::NONE;

    fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Text { text, .. } => text,
            Repr::Inline(state) => state.as_str(),
        }
    }

    #[inline]
    fn ot_value(&self) -> Option<&str> {
        match &self.0 {
            Repr::Text { text, ot } => {
                let (start, end) = (*ot)?;
                text.get(start..end)
            }
            Repr::Inline(state) => find_ot(state.as_str()),
        }
    }

    fn edit<R>(&mut self, f: impl FnOnce(&mut TraceState) -> R) -> R {
        match &mut self.0 {
            Repr::Inline(state) => f(state),
            Repr::Text { text, .. } => {
                let mut state = TraceState::trusted(text);
                let out = f(&mut state);
                self.0 = Repr::Inline(state);
                out
            }
        }
    }
}

/// The `ot` member's value in a validated list.
fn find_ot(list: &str) -> Option<&str> {
    let value = find_trusted(list.as_bytes(), OT_KEY.as_bytes())?;
    // Validated tracestate values are ASCII.
    core::str::from_utf8(value).ok()
}

/// The tracestate of the context a service stores: shared, immutable text behind
/// an `Arc` (feature `alloc`), so that the context is small (88 bytes on 64-bit
/// targets), `Send + Sync + 'static`, and clones without copying the tracestate.
/// An empty tracestate allocates nothing; editing one makes a new `Arc`.
#[cfg(feature = "alloc")]
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Shared(Option<Arc<str>>);

#[cfg(feature = "alloc")]
impl Shared {
    pub(super) fn from_text(text: &str) -> Self {
        Self((!text.is_empty()).then(|| Arc::from(text)))
    }
}

#[cfg(feature = "alloc")]
impl Storage for Shared {}

#[cfg(feature = "alloc")]
impl sealed::Store for Shared {
    const EMPTY: Self = Self(None);

    fn as_str(&self) -> &str {
        self.0.as_deref().unwrap_or_default()
    }

    fn edit<R>(&mut self, f: impl FnOnce(&mut TraceState) -> R) -> R {
        let mut state = TraceState::trusted(self.as_str());
        let out = f(&mut state);
        *self = Self::from_text(state.as_str());
        out
    }

    fn into_shared(self) -> Shared {
        self
    }
}

impl<const CAP: usize> Storage for TraceState<CAP> {}

impl<const CAP: usize> sealed::Store for TraceState<CAP> {
    const EMPTY: Self = Self::new();

    fn as_str(&self) -> &str {
        TraceState::as_str(self)
    }

    fn edit<R>(&mut self, f: impl FnOnce(&mut TraceState) -> R) -> R {
        let mut state = TraceState::trusted(TraceState::as_str(self));
        let out = f(&mut state);
        *self = Self::trusted(state.as_str());
        out
    }
}
