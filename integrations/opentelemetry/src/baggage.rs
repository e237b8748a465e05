//! The baggage propagator: `baggage` by the core's rules [B1](tracecontext::rules#b1)–[B10](tracecontext::rules#b10).

use std::fmt::Write as _;
use std::sync::LazyLock;

use opentelemetry::Context;
use opentelemetry::baggage::{Baggage as OtelBaggage, BaggageExt as _};
use opentelemetry::propagation::text_map_propagator::FieldIter;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use tracecontext::baggage::{BAGGAGE, Baggage, BaggageView, Member, encode};

use crate::carrier::{Incoming, Outgoing};

static FIELDS: LazyLock<[String; 1]> = LazyLock::new(|| [BAGGAGE.to_owned()]);

/// A `TextMapPropagator` for W3C Baggage with the core's rules, in place of
/// `opentelemetry_sdk::propagation::BaggagePropagator`.
///
/// Extraction reads every `baggage` field as one list (rule [B1](tracecontext::rules#b1)), in bounded time
/// and memory whatever arrives. A member is split at its first `=` only, so a value
/// may hold `=` ([B2](tracecontext::rules#b2)); a value is percent-decoded, with U+FFFD for bytes that are
/// not UTF-8 ([B5](tracecontext::rules#b5)); an invalid member is dropped and the others kept ([B8](tracecontext::rules#b8)); past 64
/// members or 8192 bytes whole members are dropped from the right ([B6](tracecontext::rules#b6)); the first
/// member with a key wins ([B7](tracecontext::rules#b7)). Each member's properties are kept in the entry's
/// metadata as they arrived (`ttl=30;flag`, still percent-encoded), so that they
/// go out unchanged.
///
/// Injection writes one `baggage` field: keys as they are, values percent-encoded
/// exactly where rule [B5](tracecontext::rules#b5) requires, metadata as properties after `;`. A member the
/// core's grammar refuses (a key that is not a token, metadata that is not
/// properties) is left out, and so are members past the limits; an empty baggage
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BaggagePropagator {
    _private: (),
}

impl BaggagePropagator {
    /// The propagator.
    #[must_use]
    pub const fn new() -> Self {
        Self { _private: () }
    }
}

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
        let mut len = 0;
        for (key, (value, metadata)) in baggage {
            len += key.as_str().len() + 2 + encode(value.as_str()).len() + metadata.as_str().len();
        }
        let mut text = String::with_capacity(len);
        for (key, (value, metadata)) in baggage {
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
        // Read back by the core: when a member is invalid or past the limits, the
        // list is rebuilt without it.
        if BaggageView::parse(&text).dropped() == 0 {
            injector.set(BAGGAGE, text);
        } else {
            let _never_refused = Baggage::parse(&text).inject(&mut Outgoing(injector));
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let view = BaggageView::extract(Incoming(extractor));
        if view.is_empty() {
            return cx.clone();
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
