//! Bybit v5 spot, linear and inverse: one wire format, one sequencing rule.
//!
//! - [`wire`]: the raw JSON shapes, parsed from bytes in any key order;
//! - [`decode`]: wire values to integer ticks and lots of registered instruments;
//! - [`sync`]: in-stream snapshots and `u`-chained deltas, with the `u == 1` cases;
//! - [`books`](Books): the venue's `FeedBooks`;
//! - [`probe`]: registry-free reading (grid inference, recognizing a capture's venue);
//! - [`live`]: its `LiveVenue` (subscriptions, keep-alive, resync by resubscribing) and
//!   [`LiveOptions`];
//! - [`rest`]: its `LiveRest` (instrument specs from `/v5/market/instruments-info`).

mod books;
pub mod decode;
pub(crate) mod endpoints;
pub mod live;
pub mod probe;
pub mod rest;
pub mod sync;
pub mod wire;

pub use books::Books;
pub use decode::{BookHeader, DecodeError, Decoded, Decoder};
pub use live::{Live, LiveOptions};
pub use sync::{NullSink, Outcome, Sequencer, SyncSink, SyncStats};

#[cfg(test)]
mod exact_tests;
#[cfg(test)]
mod sync_props;
#[cfg(test)]
mod sync_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod vector_tests;
