//! The baggage propagator: `baggage` by the core's rules [B1](tracecontext::rules#b1)–[B10](tracecontext::rules#b10).

use std::fmt::{self, Write as _};
use std::sync::LazyLock;

use opentelemetry::Context;
use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt as _};
use opentelemetry::propagation::text_map_propagator::FieldIter;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use tracecontext::baggage::{BAGGAGE, Baggage, BaggageView, Member, encode};
use tracecontext::{Error, Validation};

use crate::carrier::{Incoming, Outgoing};

static FIELDS: LazyLock<[String; 1]> = LazyLock::new(|| [BAGGAGE.to_owned()]);

/// A `TextMapPropagator` for W3C Baggage with the core's rules, in place of
/// `opentelemetry_sdk::propagation::BaggagePropagator`.
///
/// Extraction reads every `baggage` field as one list (rule [B1](tracecontext::rules#b1)), in bounded time
/// and memory whatever arrives. A member is split at its first `=` only, so a value
/// may hold `=` ([B2](tracecontext::rules#b2)); a value is percent-decoded, with U+FFFD for bytes that are
/// not UTF-8 ([B5](tracecontext::rules#b5)); an invalid member is dropped and the others kept ([B8](tracecontext::rules#b8),
/// or with [`strict`](Self::strict) none); past 64
/// members or 8192 bytes whole members are dropped from the right ([B6](tracecontext::rules#b6)); the first
/// member with a key wins ([B7](tracecontext::rules#b7)). What was dropped, and why, is read from the
/// returned context with [`ExtractionExt::dropped_baggage`](crate::ExtractionExt::dropped_baggage).
/// Each member's properties are kept in the entry's
/// metadata as they arrived (`ttl=30;flag`, still percent-encoded), so that they
/// go out unchanged.
///
/// Injection writes one `baggage` field: keys as they are, values percent-encoded
/// exactly where rule [B5](tracecontext::rules#b5) requires, metadata as properties after `;`. A member the
/// core's grammar refuses (a key that is not a token, metadata that is not
/// properties or holds a `,`) is left out, and so are members past the limits; an empty baggage
/// writes nothing.
///
/// ```
/// use opentelemetry::baggage::BaggageExt;
/// use opentelemetry::propagation::TextMapPropagator;
/// use std::collections::HashMap;
/// use tracecontext_opentelemetry::BaggagePropagator;
///
/// let propagator = BaggagePropagator::new();
/// let mut incoming = HashMap::new();
/// incoming.insert("baggage".to_owned(), "userId=Am%C3%A9lie,query=a%3D1=b;ttl=30".to_owned());
///
/// let cx = propagator.extract(&incoming);
/// assert_eq!(cx.baggage().get("userId").unwrap().as_str(), "Amélie");
/// assert_eq!(cx.baggage().get("query").unwrap().as_str(), "a=1=b"); // `=` kept (B2)
///
/// let mut outgoing = HashMap::new();
/// propagator.inject_context(&cx, &mut outgoing);
/// let mut sent: Vec<&str> = outgoing["baggage"].split(',').collect();
/// sent.sort(); // OpenTelemetry's `Baggage` does not keep the order
/// // `=` needs no encoding in a value (B5); `é` does.
/// assert_eq!(sent, ["query=a=1=b;ttl=30", "userId=Am%C3%A9lie"]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BaggagePropagator {
    validation: Validation,
}

impl BaggagePropagator {
    /// The propagator: an invalid member is dropped and the others kept (rule
    /// [B8](tracecontext::rules#b8), lenient).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            validation: Validation::Lenient,
        }
    }

    /// The propagator that takes no baggage from a request with an invalid member
    /// (rule [B8](tracecontext::rules#b8), strict).
    #[must_use]
    pub const fn strict() -> Self {
        Self {
            validation: Validation::Strict,
        }
    }
}

impl Default for BaggagePropagator {
    /// [`BaggagePropagator::new`].
    fn default() -> Self {
        Self::new()
    }
}

/// What [`BaggagePropagator`] left out of a request's baggage (rules
/// [B6](tracecontext::rules#b6), [B8](tracecontext::rules#b8)): read from the
/// context it returns with [`ExtractionExt::dropped_baggage`](crate::ExtractionExt::dropped_baggage).
///
/// ```
/// use opentelemetry::propagation::TextMapPropagator;
/// use std::collections::HashMap;
/// use tracecontext_opentelemetry::{BaggagePropagator, ExtractionExt};
///
/// let mut headers = HashMap::new();
/// headers.insert("baggage".to_owned(), "a=1,bad key=2,c=%zz".to_owned());
/// let cx = BaggagePropagator::new().extract(&headers);
/// let dropped = cx.dropped_baggage().unwrap();
/// assert_eq!(dropped.count(), 2);
/// assert_eq!(dropped.first().member(), Some(2));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DroppedBaggage {
    count: usize,
    first: Error,
}

impl DroppedBaggage {
    /// How many members were left out (past a limit, the count stops at the first
    /// member that did not fit). With [`BaggagePropagator::strict`], every member.
    #[must_use]
    pub const fn count(&self) -> usize {
        self.count
    }

    /// Why the first member left out was: its error, with the member's number and
    /// the byte offset.
    #[must_use]
    pub const fn first(&self) -> &Error {
        &self.first
    }
}

impl fmt::Display for DroppedBaggage {
    /// `2 baggage member(s) dropped, the first: …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} baggage member(s) dropped, the first: {}",
            self.count, self.first
        )
    }
}

/// The propagator's value in the context: what it dropped, if anything (`None`
/// when a later extraction into the same context dropped nothing).
#[derive(Debug)]
pub(crate) struct Dropped(pub(crate) Option<DroppedBaggage>);

/// The properties of `member` as they arrived, after its first `;` (a value holds
/// no `;`), without the spaces around them.
fn properties<'a>(member: &Member<'a>) -> &'a str {
    member
        .as_str()
        .split_once(';')
        .map_or("", |(_, properties)| properties.trim_matches([' ', '\t']))
}

impl TextMapPropagator for BaggagePropagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let baggage = cx.baggage();
        if baggage.is_empty() {
            return;
        }
        // Metadata is written as it is, so a `,` in it would start another member:
        // such an entry is left out.
        let entries = || {
            baggage
                .iter()
                .filter(|(_, (_, metadata))| !metadata.as_str().contains(','))
        };
        let mut len = 0;
        for (key, (value, metadata)) in entries() {
            len += key.as_str().len() + 2 + encode(value.as_str()).len() + metadata.as_str().len();
        }
        let mut text = String::with_capacity(len);
        for (key, (value, metadata)) in entries() {
            if !text.is_empty() {
                text.push(',');
            }
            text.push_str(key.as_str());
            text.push('=');
            let _infallible = write!(text, "{}", encode(value.as_str()));
            let metadata = metadata.as_str();
            if !metadata.is_empty() {
                text.push(';');
                text.push_str(metadata);
            }
        }
        if text.is_empty() {
            return;
        }
        // Read back by the core: when a member is invalid or past the limits, the
        // list is rebuilt without it.
        if BaggageView::parse(&text).dropped() == 0 {
            injector.set(BAGGAGE, text);
        } else {
            let _never_refused = Baggage::parse(&text).inject(&mut Outgoing(injector));
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let carrier = Incoming(extractor);
        let (view, dropped) = match BaggageView::from_carrier(carrier, self.validation) {
            Ok(view) => {
                let dropped = view.problem().map(|first| DroppedBaggage {
                    count: view.dropped(),
                    first,
                });
                (view, dropped)
            }
            Err(first) => {
                // Strict: nothing is taken; count what was there.
                let all = BaggageView::extract(carrier);
                let count = all.len() + all.dropped();
                (BaggageView::EMPTY, Some(DroppedBaggage { count, first }))
            }
        };
        let cx = if dropped.is_some() || cx.get::<Dropped>().is_some() {
            cx.with_value(Dropped(dropped))
        } else {
            cx.clone()
        };
        if view.is_empty() {
            return cx;
        }
        let mut baggage = OtelBaggage::new();
        for member in view.iter() {
            let key = member.key();
            let value = member.value().into_owned();
            let replaced = baggage.insert_with_metadata(key.to_owned(), value, properties(&member));
            // The first member with a key wins (B7); OpenTelemetry keeps the last, so
            // the first is put back.
            if let Some((first, metadata)) = replaced {
                let _same_size_fits = baggage.insert_with_metadata(key.to_owned(), first, metadata);
            }
        }
        cx.with_baggage(baggage)
    }

    fn fields(&self) -> FieldIter<'_> {
        FieldIter::new(FIELDS.as_slice())
    }
}
