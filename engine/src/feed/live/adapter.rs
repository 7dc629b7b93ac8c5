//! What a venue plugs into the live core: [`LiveVenue`] (its connection plan, how its books get
//! a snapshot and how one instrument is resynced, its error frames, its books and its REST
//! client) and [`LiveRest`] (snapshots by request, instrument metadata).
//!
//! Each venue folder implements both (Binance: `feed/binance/live.rs` and `rest.rs`); the one
//! dispatch, [`VenueLive`](crate::feed::VenueLive), picks the venue. The core in
//! [`super::core`] runs every venue the same way and asks only these questions, so the shapes
//! of the venues to come fit without changing it (`docs/venues.md` §3–6):
//!
//! | | connection plan | snapshot | resync | keep-alive |
//! |---|---|---|---|---|
//! | Binance | streams in the URL, book and trade connections | [`SnapshotSource::Request`] (REST, within a weight budget) | fetch again | answer the venue's pings |
//! | Bybit | subscribe messages | [`SnapshotSource::Stream`] (first message of a subscription) | unsubscribe + subscribe the instrument | send `{"op":"ping"}` ([`KeepAlive::Send`]) |
//! | OKX | subscribe messages | [`SnapshotSource::StreamOrRequest`] (in the stream; else its REST join) | unsubscribe + subscribe the instrument | send `ping` ([`KeepAlive::Send`]) |
//! | Kraken, Coinbase | subscribe messages | in the stream | resubscribe; a checksum or connection-wide sequence fault is the books' to report | send a ping / subscribe to heartbeats |
//!
//! A fault the books report without an instrument (a connection-wide sequence gap, Coinbase's
//! `sequence_num`) makes every book carried by that connection stale and resyncs each.

use super::http::RestBody;
use super::{Endpoints, FeedError, VenueMessage};
use crate::feed::Venue;
use crate::feed::books::FeedBooks;
use crate::instrument::Registry;
use ladder_sdk::{InstrumentId, InstrumentSpec};
use std::future::Future;
use std::time::Duration;

/// How a connection is kept alive. Pings the venue sends are always answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeepAlive {
    /// The venue pings and the client answers (Binance: a ping every 20 s spot, 3 min futures).
    AnswerPings,
    /// The client sends `message` as a text frame every `every` (Bybit
    /// `{"op":"ping"}` every 20 s, OKX `ping` under 30 s); the replies reach the books as
    /// control frames.
    Send {
        /// How often.
        every: Duration,
        /// The text sent.
        message: String,
    },
}

/// One WebSocket connection of a feed, as the venue plans it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedConn {
    /// The endpoint as shown in the status and named in errors about its frames (Binance: the
    /// URL up to `/stream`).
    pub base: String,
    /// The URL connected to (Binance: the base with `?streams=a/b/c`).
    pub url: String,
    /// The streams or channels it carries, for the status.
    pub streams: Vec<String>,
    /// The instruments (indexes into the plan's instruments) whose books it carries: when it
    /// goes down they go stale, when it opens they resync. Every instrument is carried by
    /// exactly one connection.
    pub books: Vec<usize>,
    /// Text frames sent in order right after each open (subscriptions); empty when the URL
    /// names the streams (Binance).
    pub subscribe: Vec<String>,
    /// How it is kept alive.
    pub keep_alive: KeepAlive,
}

/// Signs text frames just before they are sent (subscriptions and resubscriptions, not
/// keep-alives): a venue whose requests carry a short-lived token (Coinbase's optional JWT,
/// valid 2 minutes) signs each one as it goes out, so a reconnect signs anew. The connection
/// logs the unsigned frame; the signed one is only written to the socket.
pub trait FrameSigner: std::fmt::Debug + Send + Sync + 'static {
    /// `frame` with its token.
    ///
    /// # Errors
    /// [`FeedError::Config`] when it cannot be signed (the connection is reopened after the
    /// backoff delay).
    fn sign(&self, frame: &str) -> Result<String, FeedError>;
}

/// How a venue's books get their snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotSource {
    /// Requested once updates are buffered (Binance: REST, `docs/venues.md` §1.4, §2.3),
    /// through [`LiveRest::snapshot`], one at a time; a resync requests again.
    Request,
    /// Sent in the stream as the first message of a subscription (Bybit, Kraken, Coinbase); a
    /// resync sends [`LiveVenue::resubscribe`] on the book's connection.
    Stream,
    /// In the stream as with [`SnapshotSource::Stream`], else requested as with
    /// [`SnapshotSource::Request`]: when none has come `wait` after a subscription (or
    /// resubscription) and updates are buffered, one is fetched through
    /// [`LiveRest::snapshot`] and joined to them (OKX, which announced dropping its in-stream
    /// snapshot for a REST join: `docs/venues.md` §12). Whichever lines up first is used.
    StreamOrRequest {
        /// How long after a subscription the stream's snapshot is waited for.
        wait: Duration,
    },
}

impl SnapshotSource {
    /// True when the snapshot may come in the stream (a subscription brings it).
    pub fn in_stream(self) -> bool {
        matches!(self, Self::Stream | Self::StreamOrRequest { .. })
    }

    /// True when snapshots may be fetched through [`LiveRest::snapshot`].
    pub fn requested(self) -> bool {
        matches!(self, Self::Request | Self::StreamOrRequest { .. })
    }
}

/// The live side of a venue: what the core asks it.
pub trait LiveVenue: Send + 'static {
    /// The venue's books (decoding and sequencing).
    type Books: FeedBooks;
    /// The venue's REST client.
    type Rest: LiveRest;

    /// The venue.
    fn venue(&self) -> Venue;

    /// Empty books for every instrument of the venue in `registry`.
    fn books(&self, registry: &Registry) -> Self::Books;

    /// The connections that carry `instruments` (registry id and symbol, in the feed's order):
    /// URLs, streams, subscriptions and keep-alive, within the venue's streams-per-connection
    /// cap (checked by the venue's options).
    fn connections(
        &self,
        instruments: &[(InstrumentId, String)],
        endpoints: &Endpoints,
    ) -> Vec<PlannedConn>;

    /// How the books get a snapshot.
    fn snapshots(&self) -> SnapshotSource;

    /// The text frames that resync one instrument on its book connection (unsubscribe, then
    /// subscribe: the venue answers with a new snapshot). Asked only of venues whose snapshots
    /// come in the stream ([`SnapshotSource::in_stream`]).
    fn resubscribe(&self, symbol: &str) -> Vec<String>;

    /// The time between opening one connection of the plan and the next, for a venue that caps
    /// connection requests per IP (OKX: 3 per second). Default: none, all open at once.
    fn connection_spacing(&self) -> Duration {
        Duration::ZERO
    }

    /// Subscribe and unsubscribe requests one connection may send per hour, if the venue caps
    /// them (OKX: 480 per connection). The core counts the plan's subscriptions sent on open
    /// and every [`LiveVenue::resubscribe`] frame against it; a resubscription that would go
    /// over waits (its book stays stale) until the hour allows. `None` (the default): no cap.
    fn requests_per_hour(&self) -> Option<u32> {
        None
    }

    /// The largest WebSocket message (and frame) a connection reads; a larger one ends the
    /// connection (`oversized`). Default [`MAX_WS_MESSAGE_BYTES`](super::MAX_WS_MESSAGE_BYTES),
    /// 8 MiB; Coinbase, whose BTC-USD snapshot is one 5 MB frame, takes 16 MiB.
    fn max_message_bytes(&self) -> usize {
        super::MAX_WS_MESSAGE_BYTES
    }

    /// Subscribe and unsubscribe requests one connection may send per second, if the venue
    /// caps them (Coinbase: 8 unauthenticated messages a second). Counted like
    /// [`LiveVenue::requests_per_hour`]; a resubscription over it waits for a later tick.
    /// `None` (the default): no cap.
    fn requests_per_second(&self) -> Option<u32> {
        None
    }

    /// What signs the frames a connection sends, when the venue's requests carry a token
    /// (Coinbase with API credentials). Default: none, frames go as planned.
    fn signer(&self) -> Option<std::sync::Arc<dyn FrameSigner>> {
        None
    }

    /// A frame the books could not decode that is the venue's error reply (a rejected
    /// subscription): the connection is reopened after the backoff delay.
    fn error_frame(&self, frame: &[u8]) -> Option<VenueMessage>;

    /// A REST client for `endpoints`.
    ///
    /// # Errors
    /// [`FeedError::Config`] when the HTTP client cannot be built.
    fn rest(&self, endpoints: &Endpoints) -> Result<Self::Rest, FeedError>;
}

/// A venue's REST client: book snapshots (for [`SnapshotSource::requested`]) and instrument
/// metadata. Each call is one attempt; the caller retries, honouring
/// [`FeedError::retry_wait`].
pub trait LiveRest: Send + 'static {
    /// The URL a snapshot of `symbol` is fetched from (named in errors about its body).
    fn snapshot_url(&self, symbol: &str) -> String;

    /// One book snapshot of `symbol`.
    fn snapshot(
        &mut self,
        symbol: &str,
    ) -> impl Future<Output = Result<RestBody, FeedError>> + Send;

    /// Tick and lot sizes of `symbols` from the venue's instruments endpoint, in the order
    /// given, each symbol as the venue spells it; a symbol the venue does not list is
    /// [`FeedError::UnknownSymbol`].
    fn instruments(
        &mut self,
        symbols: &[String],
    ) -> impl Future<Output = Result<Vec<(String, InstrumentSpec)>, FeedError>> + Send;
}

/// `symbols` as a plan's instruments, numbered from 0 in order: what the venues' plan tests
/// hand to [`LiveVenue::connections`].
#[cfg(test)]
pub(crate) fn numbered(symbols: &[&str]) -> Vec<(InstrumentId, String)> {
    symbols
        .iter()
        .enumerate()
        .map(|(k, s)| (InstrumentId::new(k as u32), (*s).to_owned()))
        .collect()
}

/// The one connection `live` plans for `symbols` (numbered) on its venue's production
/// endpoints; panics, showing the plan, on any other number of connections.
#[cfg(test)]
pub(crate) fn planned_one(live: &impl LiveVenue, symbols: &[&str]) -> PlannedConn {
    let endpoints = Endpoints::production(live.venue());
    let conns = live.connections(&numbered(symbols), &endpoints);
    let [c] = conns.as_slice() else {
        panic!("one connection planned for {symbols:?}: {conns:?}")
    };
    c.clone()
}
