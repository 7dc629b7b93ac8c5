//! Venue feeds: wire decoders and sequencers, one folder per venue.
//!
//! Every venue folder has the same files: `wire.rs` (the raw JSON shapes, parsed straight from
//! bytes), `decode.rs` (wire values to integer ticks and lots of registered instruments),
//! `sync.rs` (the venue's snapshot + diff sequencing rules). What every venue shares lives here:
//! [`integrity`] (the faults a sequencer reports, counted by kind) and [`pending`] (diffs held
//! while a book waits for its snapshot, bounded in bytes).

pub mod binance;
pub mod books;
pub mod events;
pub mod integrity;
pub mod json;
pub mod live;
pub mod okx;
pub mod pending;
mod venue;

pub use venue::{UnknownVenue, Venue, VenueBooks, VenueInfo, VenueProbe};
