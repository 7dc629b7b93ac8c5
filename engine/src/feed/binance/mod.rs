//! Binance spot, USD-M and COIN-M futures: one wire format, two sequencing rules.
//!
//! - [`wire`]: the raw JSON shapes, parsed from bytes in any key order;
//! - [`decode`]: wire values to integer ticks and lots of registered instruments;
//! - [`sync`]: snapshot + diff sequencing with gap detection;
//! - `books`: the venue's [`FeedBooks`](crate::feed::books::FeedBooks) ([`Books`]);
//! - [`live`]: its live side (connection plan, snapshots by REST, error replies) and
//!   [`LiveOptions`]; [`rest`]: the weight-budgeted REST client; [`endpoints`]: URLs, paths
//!   and request weights;
//! - [`probe`]: venue recognition and value probing without a registry.

mod books;
pub mod decode;
pub mod endpoints;
pub mod live;
pub mod probe;
pub mod rest;
pub mod scales;
pub mod sync;
pub mod wire;

pub use books::Books;
pub use decode::{DecodeError, Decoded, Decoder, DepthHeader, SnapshotHeader};
pub use live::{Live, LiveOptions};
pub use sync::{
    DepthOutcome, NullSink, Sequencer, SyncLimits, SyncRule, SyncSink, SyncStats, snapshot_owner,
};

#[cfg(test)]
mod exact_tests;
#[cfg(test)]
mod sync_props;
#[cfg(test)]
mod sync_tests;
#[cfg(test)]
mod tests;
