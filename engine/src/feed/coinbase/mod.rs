//! Coinbase: Advanced Trade (`coinbase`) and, for replaying old recordings, the legacy
//! Exchange feed (`coinbase-exchange`), whose format differs (`docs/venues.md` §6 and §12).
//!
//! - [`wire`]: Advanced Trade's raw JSON shapes, parsed from bytes in any key order;
//! - [`exchange`]: the legacy feed's (`snapshot` / `l2update` / `match`);
//! - [`decode`]: wire values to integer ticks and lots of registered instruments (and how a
//!   `-USDC` product maps to the `-USD` book the venue serves it as);
//! - [`sync`]: in-stream snapshots, updates, and the connection-wide `sequence_num`: a break
//!   is a fault of every book of the connection;
//! - [`Books`]: the venue's `FeedBooks`;
//! - [`probe`]: registry-free reading (grid inference, recognizing a capture's venue);
//! - [`live`], [`rest`], [`auth`]: Advanced Trade's live connector (one connection, `level2`,
//!   `market_trades`, `heartbeats`), its instrument specs by REST, and the optional JWT.
//!
//! The legacy Exchange feed is replay-only: `ladder inspect`, `replay` and `bench` read its
//! captures; live it is refused with a clear error.

pub mod auth;
mod books;
pub mod decode;
pub(crate) mod endpoints;
pub mod exchange;
pub mod live;
pub mod probe;
pub mod rest;
pub mod sync;
pub mod wire;

pub use books::Books;
pub use decode::{BookEvent, BookHeader, DecodeError, Decoded, Decoder};
pub use live::{Live, LiveOptions};
pub use sync::{ConnSequence, NullSink, Outcome, Sequencer, SyncSink, SyncStats};

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
