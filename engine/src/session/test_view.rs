//! A [`View`] of a session on two venues for the display tests: spot BTCUSDT (id 0) gone stale
//! after a gap with its feed's last error, USD-M BTCUSDT (id 1) synced.

use super::View;
use super::snapshot::{BookSnap, Snapshot};
use crate::clock::Stopwatch;
use crate::feed::Venue;
use crate::feed::live::FeedStatus;
use ladder_sdk::{BookState, InstrumentId, InstrumentSpec, StaleReason, UnixNanos};
use rust_decimal::Decimal;
use std::sync::{Arc, Mutex};

/// What a [`View`] borrows.
pub(crate) struct Fixture {
    snapshot: Mutex<Snapshot>,
    pub(crate) feeds: Vec<Arc<FeedStatus>>,
    symbols: Vec<String>,
    specs: Vec<InstrumentSpec>,
}

fn feed(venue: Venue, id: u32, messages: u64) -> FeedStatus {
    let status = FeedStatus::new(
        venue,
        vec![(InstrumentId::new(id), "BTCUSDT".to_owned())],
        vec![("ws://127.0.0.1:1/stream".to_owned(), Vec::new())],
    );
    for _ in 0..messages {
        status.on_message(0, 100, UnixNanos::from_nanos(1));
    }
    status
}

impl Fixture {
    /// Two venues: spot (3 messages, a gap, stale, an error) and USD-M (5 messages, synced).
    pub(crate) fn two_venues() -> Self {
        let spot = feed(Venue::BinanceSpot, 0, 3);
        spot.on_fault(
            0,
            &crate::feed::integrity::IntegrityFault::SequenceGap {
                expected: 5,
                got: 7,
            },
        );
        spot.set_book(
            0,
            BookState::Stale,
            Some(StaleReason::SequenceGap),
            UnixNanos::from_nanos(2),
        );
        spot.record_error(UnixNanos::from_nanos(2), &"sequence gap on BTCUSDT");
        let usdm = feed(Venue::BinanceUsdm, 1, 5);
        usdm.set_book(0, BookState::Synced, None, UnixNanos::from_nanos(2));
        Self::with(vec![spot, usdm])
    }

    /// One venue: spot, synced, 3 messages.
    pub(crate) fn one_venue() -> Self {
        let spot = feed(Venue::BinanceSpot, 0, 3);
        spot.set_book(0, BookState::Synced, None, UnixNanos::from_nanos(2));
        Self::with(vec![spot])
    }

    fn with(feeds: Vec<FeedStatus>) -> Self {
        let names = ["binance-spot:BTCUSDT", "binance-usdm:BTCUSDT"];
        let n = feeds.len();
        let book = BookSnap {
            // What the hot thread saw last; the feed's own state wins on screen.
            state: BookState::Syncing,
            bids: Vec::new(),
            asks: Vec::new(),
            trades: Vec::new(),
        };
        let snapshot = Snapshot {
            books: vec![book; n],
            ..Snapshot::default()
        };
        let spec = InstrumentSpec::new(Decimal::new(1, 2), Decimal::new(1, 5))
            .unwrap_or_else(|e| panic!("{e}"));
        Self {
            snapshot: Mutex::new(snapshot),
            feeds: feeds.into_iter().map(Arc::new).collect(),
            symbols: names[..n].iter().map(|s| (*s).to_owned()).collect(),
            specs: vec![spec; n],
        }
    }

    /// The view the display loops get.
    pub(crate) fn view(&self) -> View<'_> {
        View {
            snapshot: &self.snapshot,
            feeds: &self.feeds,
            symbols: &self.symbols,
            specs: &self.specs,
            strategies: &[],
            signal_names: &[],
            venue: "test".to_owned(),
            duration: None,
            started: Stopwatch::start(),
            reload: None,
            bus: None,
        }
    }

    /// The snapshot the view shows.
    pub(crate) fn snapshot(&self) -> Snapshot {
        self.snapshot
            .lock()
            .map(|s| s.clone())
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
