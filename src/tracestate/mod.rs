//! The `tracestate` header: one grammar, a zero-copy validated view and an inline
//! owned form.
//!
//! - [`TraceStateView`] validates one or several header fields (rule
//!   [S2](crate::rules#s2)) and reads them in place;
//! - [`TraceState`] holds a state in a fixed inline buffer for updating and
//!   re-sending (rules [S5](crate::rules#s5), [S7](crate::rules#s7)–[S9](crate::rules#s9));
//! - both accept exactly the member grammar of rule [S4](crate::rules#s4), checked by
//!   one validator.

mod cut;
mod grammar;
mod owned;
mod view;

pub use owned::{Iter, TraceState};
pub use view::{TraceStateView, ViewIter};

pub(crate) use grammar::{find_trusted, validate_noting};
pub(crate) use owned::Builder;

/// The `tracestate` header name, lowercase (rule [S1](crate::rules#s1)). Match
/// incoming names case-insensitively.
pub const TRACESTATE: &str = "tracestate";

/// The most members a tracestate may hold (rule [S5](crate::rules#s5)).
pub const MAX_MEMBERS: usize = 32;
/// The longest key, in bytes (rule [S4](crate::rules#s4)).
pub const MAX_KEY_LEN: usize = 256;
/// The longest value, in bytes (rule [S4](crate::rules#s4)).
pub const MAX_VALUE_LEN: usize = 256;
/// Members longer than this (key, `=` and value) are the first to go when a
/// tracestate is cut to a byte limit (rule [S9](crate::rules#s9)).
pub const LONG_MEMBER: usize = 128;

/// How strictly a tracestate is read (rule [S6](crate::rules#s6)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Validation {
    /// Any invalid member, or more than 32 members, makes the whole tracestate
    /// invalid. The default, and what the W3C conformance suite demands.
    #[default]
    Strict,
    /// Invalid members are skipped and the valid ones kept; past 32 valid members
    /// the rest of the list is ignored. Never an error.
    Lenient,
}
