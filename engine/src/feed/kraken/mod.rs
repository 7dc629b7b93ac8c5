//! Kraken spot (`kraken`): WebSocket v2, and v1 captures (`docs/venues.md` §5 and §12).
//!
//! - [`wire`]: the raw JSON shapes of v2 (objects, numbers) and v1 (arrays, strings: in
//!   `wire_v1.rs`), parsed from bytes in any key order, with the decimals each value was
//!   written with; [`time`]: their timestamps;
//! - [`decode`]: wire values to integer ticks and lots of registered instruments;
//! - [`checksum`]: the CRC32 of the top 10 asks and bids, written with the pair's precision;
//! - [`sync`]: in-stream snapshots, updates, truncation to the subscribed depth, the checksum
//!   check after every message;
//! - [`Books`]: the venue's `FeedBooks`;
//! - [`probe`]: registry-free reading (grid inference, recognizing a capture's venue);
//! - [`live`]: the live side (subscriptions, keep-alive, a resync of one symbol, refusals);
//!   [`rest`]: instrument specs from `AssetPairs`; `endpoints.rs`: the production URLs.

mod books;
pub mod checksum;
pub mod decode;
pub(crate) mod endpoints;
pub mod live;
pub mod probe;
pub mod rest;
pub mod sync;
pub mod time;
pub mod wire;
mod wire_v1;

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
