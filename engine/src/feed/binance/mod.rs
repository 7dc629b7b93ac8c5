//! Binance spot, USD-M and COIN-M futures: one wire format, two sequencing rules.
//!
//! - [`wire`]: the raw JSON shapes, parsed from bytes in any key order;
//! - [`decode`]: wire values to integer ticks and lots of registered instruments;
//! - [`sync`]: snapshot + diff sequencing with gap detection.

mod books;
pub mod connector;
pub mod decode;
pub mod endpoints;
pub mod probe;
pub mod rest;
pub mod sync;
pub mod wire;

pub use books::Books;
pub use decode::{DecodeError, Decoded, Decoder, DepthHeader, SnapshotHeader};
pub use endpoints::{Endpoints, EndpointsConfig};
pub use sync::{
    DepthOutcome, NullSink, Sequencer, SyncLimits, SyncRule, SyncSink, SyncStats, snapshot_owner,
};

#[cfg(test)]
mod sync_props;
#[cfg(test)]
mod sync_tests;
#[cfg(test)]
mod tests;
