//! OKX v5 (`okx`): spot, swaps, futures and options on one wire format (`docs/venues.md` §4
//! and §12).
//!
//! - [`wire`]: the raw JSON shapes, parsed from bytes in any key order, level text kept;
//! - [`decode`]: wire values to integer ticks and lots of registered instruments;
//! - [`checksum`]: the book's wire text per level and the signed CRC32 over its top 25;
//! - [`sync`]: snapshot + `seqId`/`prevSeqId` sequencing, the REST join, the checksum check
//!   (the per-message rules in `rules.rs`);
//! - [`Books`]: the venue's `FeedBooks`;
//! - [`live`]: its `LiveVenue` (connection plan, both join paths, resyncs, error events) and
//!   [`LiveOptions`]; [`rest`]: its `LiveRest` (order-book snapshots, instruments).

mod books;
pub mod checksum;
pub mod decode;
pub(crate) mod endpoints;
pub mod live;
pub mod probe;
pub mod rest;
mod rules;
pub mod sync;
pub mod wire;

pub use books::Books;
pub use decode::{Action, BookHeader, DecodeError, Decoded, Decoder, RestHeader};
pub use live::{BookChannel, Join, Live, LiveOptions};
pub use sync::{NullSink, Outcome, Sequencer, SyncLimits, SyncSink, SyncStats, rest_owner};

#[cfg(test)]
mod exact_tests;
#[cfg(test)]
mod sync_props;
#[cfg(test)]
mod sync_tests;
#[cfg(test)]
mod tests;
