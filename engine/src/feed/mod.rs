//! Venue feeds: wire decoders and sequencers, one folder per venue.
//!
//! Every venue folder has the same files: `wire.rs` (the raw JSON shapes, parsed straight from
//! bytes), `decode.rs` (wire values to integer ticks and lots of registered instruments),
//! `sync.rs` (the venue's snapshot + diff sequencing rules), `books.rs` (its [`books::FeedBooks`]),
//! `live.rs` (its [`live::LiveVenue`]: connection plan, snapshots and resyncs, error replies),
//! `rest.rs` (its [`live::LiveRest`]), `probe.rs` and `endpoints.rs`. A venue is registered in
//! the list ([`venue`]: [`Venue`] and its names) and the dispatch ([`dispatch`]: [`VenueBooks`],
//! [`VenueLive`], [`VenueRest`], [`VenueOptions`], [`VenueProbe`], [`spawn_feed`]), re-exported
//! here. Arrows point one way: the dispatch uses [`live`] and the venue folders; [`live`] uses
//! only the list. What every venue shares lives here: [`books`] (the book interface),
//! [`live`] (the live core: connections, book state machine, snapshots, delivery, status),
//! [`integrity`] (the faults a sequencer reports, counted by kind), [`pending`] (diffs held
//! while a book waits for its snapshot, bounded in bytes), [`json`] (the general scanner every
//! decoder walks frames with) and [`units`] (decimal text straight to ticks and lots: the
//! scanner of every decoder's exact-shape book path).

pub mod binance;
pub mod books;
pub mod bybit;
pub mod coinbase;
pub mod dispatch;
pub mod events;
pub mod integrity;
pub mod json;
pub mod kraken;
pub mod live;
pub mod okx;
pub mod pending;
pub mod token;
pub mod units;
pub mod venue;

pub use dispatch::{
    PairScales, VenueBooks, VenueLive, VenueOptions, VenueProbe, VenueRest, fetch_instruments,
    fetch_instruments_blocking, spawn_feed, spawn_feed_with,
};
pub use venue::{UnknownVenue, Venue, VenueInfo};
