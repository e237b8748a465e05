//! OpenTelemetry's carriers seen through the core's carrier traits.

use opentelemetry::propagation::{Extractor as OtelExtractor, Injector as OtelInjector};
use tracecontext::{Error, Extractor, Injector, Values};

/// An OpenTelemetry extractor read by the core: every value of a name, through
/// `get_all`, so that duplicates (rule [T7](tracecontext::rules#t7)) and several fields ([S2](tracecontext::rules#s2), [B1](tracecontext::rules#b1)) are seen.
#[derive(Clone, Copy)]
pub(crate) struct Incoming<'a>(pub(crate) &'a dyn OtelExtractor);

impl<'a> Extractor<'a> for Incoming<'a> {
    fn get_all(&self, name: &str, values: &mut Values<'a, '_>) {
        let carrier: &'a dyn OtelExtractor = self.0;
        if let Some(all) = carrier.get_all(name) {
            values.extend(all.into_iter().map(str::as_bytes));
        }
    }
}

/// An OpenTelemetry injector written by the core: each value copied into the
/// `String` OpenTelemetry's `set` takes.
pub(crate) struct Outgoing<'a>(pub(crate) &'a mut dyn OtelInjector);

impl Injector<'_> for Outgoing<'_> {
    fn set(&mut self, name: &'static str, value: &str) -> Result<(), Error> {
        self.0.set(name, value.to_owned());
        Ok(())
    }

    /// OpenTelemetry's injectors cannot remove a header: nothing is written.
    fn remove(&mut self, _name: &'static str) {}
}
