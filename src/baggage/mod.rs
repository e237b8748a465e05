//! W3C Baggage: the `baggage` header read, edited and sent strictly and within
//! bounds, without allocating (rules [B1](crate::rules#b1) to
//! [B10](crate::rules#b10)).
//!
//! Baggage carries application data along a request (a tenant, a request class, a
//! feature flag) beside the trace context, and independently of it: a missing or
//! invalid `traceparent` does not drop it (rule [B9](crate::rules#b9)). It crosses
//! every service and trust boundary in clear text, so it must not carry secrets.
//!
//! Three forms share one grammar and the same limits:
//!
//! - [`BaggageView`] reads a request's fields, borrowing them: members in order,
//!   each with its key, its raw (encoded) value and its properties; values are
//!   decoded on demand into a caller's buffer (or, with `alloc`, a `Cow`). No
//!   allocation.
//! - [`Baggage`] owns a list inline (8192 bytes, 64 members; [`InlineBaggage`]
//!   for other limits) for adding, replacing and removing members: keys are
//!   checked, values percent-encoded. No allocation.
//! - [`SharedBaggage`] (with `alloc`) is what a service keeps in a request or a
//!   task: three words, cloned by a reference count.
//!
//! Each is read from a carrier with `extract` (the same [`Extractor`](crate::Extractor)
//! as the trace context, every `baggage` field joined) and sent with `inject`.
//! [`encode`] percent-encodes a single value.
//!
//! ```
//! use tracecontext::baggage::{self, Baggage, BaggageView};
//!
//! let request = [("baggage", "userId=Am%C3%A9lie,serverNode=DF%2028,isProduction=false")];
//! let view = BaggageView::extract(&request);
//! let mut buf = [0u8; 32];
//! assert_eq!(view.get("serverNode").unwrap().decode_value_into(&mut buf)?, "DF 28");
//! assert_eq!(baggage::encode("DF 28").to_string(), "DF%2028");
//!
//! let mut outgoing = Baggage::from(&view);
//! outgoing.remove("userId");
//! let mut headers = [("", ""); 1];
//! outgoing.inject(&mut headers)?;
//! assert_eq!(headers[0].1, "serverNode=DF%2028,isProduction=false");
//! # Ok::<(), tracecontext::Error>(())
//! ```

mod grammar;
mod owned;
mod percent;
#[cfg(feature = "alloc")]
mod shared;
mod view;

pub use owned::{Baggage, InlineBaggage};
pub use percent::{Encode, encode};
#[cfg(feature = "alloc")]
pub use shared::SharedBaggage;
pub use view::{BaggageView, Member, Members, Properties, Property};

/// The header's name, lowercase (rule [B1](crate::rules#b1)).
pub const BAGGAGE: &str = "baggage";

/// The most members a list keeps (rule [B6](crate::rules#b6)).
pub const MAX_MEMBERS: usize = 64;

/// The most bytes a list keeps, its members joined with `,` (rule
/// [B6](crate::rules#b6)).
pub const MAX_BYTES: usize = 8192;
