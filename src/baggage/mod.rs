//! W3C Baggage: the `baggage` header read strictly and within bounds, without
//! allocating (rules [B1](crate::rules#b1) to [B10](crate::rules#b10)).
//!
//! Baggage carries application data along a request (a tenant, a request class, a
//! feature flag) beside the trace context, and independently of it: a missing or
//! invalid `traceparent` does not drop it (rule [B9](crate::rules#b9)). It crosses
//! every service and trust boundary in clear text, so it must not carry secrets.
//!
//! [`BaggageView`] reads one or several fields, borrowing them: members in order,
//! each with its key, its raw (encoded) value and its properties; values are
//! decoded on demand into a caller's buffer (or, with `alloc`, a `Cow`). [`encode`]
//! percent-encodes a value for sending.
//!
//! ```
//! use tracecontext::baggage::{self, BaggageView};
//!
//! let view = BaggageView::parse("userId=Am%C3%A9lie,serverNode=DF%2028,isProduction=false");
//! let mut buf = [0u8; 32];
//! assert_eq!(view.get("serverNode").unwrap().decode_value_into(&mut buf).unwrap(), "DF 28");
//! assert_eq!(baggage::encode("DF 28").to_string(), "DF%2028");
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
