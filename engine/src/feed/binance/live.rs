//! Binance's live side ([`LiveVenue`]): combined streams named in the URL (depth, bookTicker,
//! trade per symbol; USD-M's books on `/public`, trades on `/market`), snapshots by REST through
//! the weight-budgeted client ([`super::rest`]), resyncs by fetching again, pings answered, and
//! its error replies `{"code":..,"msg":..}`. [`LiveOptions`] are its settings.

use super::Books;
use super::endpoints::{depth_weight, valid_depth_limit};
use super::rest::RestClient;
use crate::feed::Venue;
use crate::feed::live::{
    Endpoints, FeedError, KeepAlive, LiveVenue, PlannedConn, SnapshotSource, VenueMessage,
};
use crate::instrument::Registry;
use ladder_sdk::InstrumentId;

/// Streams one connection may carry (`docs/venues.md` §1.1, §2.1).
pub const MAX_STREAMS_PER_CONNECTION: usize = 1024;

/// Streams per symbol at most on one connection: depth, bookTicker, trade.
const STREAMS_PER_SYMBOL: usize = 3;

/// Binance's live feed settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveOptions {
    /// Depth snapshot levels (`limit=`). Default 1000.
    pub snapshot_limit: u32,
    /// REST request weight per minute the feed stays under (`X-MBX-USED-WEIGHT-1m`).
    /// Default 1000 (spot allows 6000, futures 2400 per IP).
    pub rest_weight_budget: u32,
    /// Depth stream name after `<symbol>@`. Default `depth@100ms` (futures also take
    /// `depth@0ms`, `depth@250ms`, `depth@500ms`, `depth`).
    pub depth_stream: String,
}

impl Default for LiveOptions {
    fn default() -> Self {
        Self {
            snapshot_limit: 1000,
            rest_weight_budget: 1000,
            depth_stream: "depth@100ms".to_owned(),
        }
    }
}

impl LiveOptions {
    /// The defaults with the per-event diff stream `depth@0ms` (USD-M, COIN-M and the simulated
    /// venue serve it; real spot does not).
    pub fn per_event() -> Self {
        Self {
            depth_stream: "depth@0ms".to_owned(),
            ..Self::default()
        }
    }

    /// Checks the options for `venue` and a feed of `symbols` symbols: a depth limit the venue
    /// accepts, a budget that fits one snapshot, the streams within one connection's cap.
    ///
    /// # Errors
    /// [`FeedError::Config`] naming the setting.
    pub fn validate(&self, venue: Venue, symbols: usize) -> Result<(), FeedError> {
        if !valid_depth_limit(venue, self.snapshot_limit) {
            return Err(FeedError::Config(format!(
                "snapshot_limit {} is not a depth limit {venue} accepts",
                self.snapshot_limit
            )));
        }
        let weight = depth_weight(venue, self.snapshot_limit);
        if self.rest_weight_budget < weight {
            return Err(FeedError::Config(format!(
                "rest_weight_budget {} is below the weight of one depth snapshot ({weight})",
                self.rest_weight_budget
            )));
        }
        if symbols * STREAMS_PER_SYMBOL > MAX_STREAMS_PER_CONNECTION {
            return Err(FeedError::Config(format!(
                "{symbols} symbols need more than the {MAX_STREAMS_PER_CONNECTION} streams one \
                 connection may carry"
            )));
        }
        Ok(())
    }
}

/// Binance's [`LiveVenue`] for one of its venues.
#[derive(Debug, Clone)]
pub struct Live {
    venue: Venue,
    options: LiveOptions,
}

impl Live {
    /// The live side of `venue` (spot, USD-M or COIN-M) with `options`.
    pub fn new(venue: Venue, options: LiveOptions) -> Self {
        Self { venue, options }
    }
}

impl LiveVenue for Live {
    type Books = Books;
    type Rest = RestClient;

    fn venue(&self) -> Venue {
        self.venue
    }

    fn books(&self, registry: &Registry) -> Books {
        Books::new(self.venue, registry)
    }

    /// One connection when the two WebSocket URLs are equal, else books on `ws_book` and
    /// trades on `ws_trades`.
    fn connections(
        &self,
        instruments: &[(InstrumentId, String)],
        endpoints: &Endpoints,
    ) -> Vec<PlannedConn> {
        let lower: Vec<String> = instruments
            .iter()
            .map(|(_, s)| s.to_ascii_lowercase())
            .collect();
        let book: Vec<String> = lower
            .iter()
            .flat_map(|s| {
                [
                    format!("{s}@{}", self.options.depth_stream),
                    format!("{s}@bookTicker"),
                ]
            })
            .collect();
        let trades: Vec<String> = lower.iter().map(|s| format!("{s}@trade")).collect();
        let all: Vec<usize> = (0..instruments.len()).collect();
        if endpoints.single_connection() {
            let mut streams = book;
            streams.extend(trades);
            vec![conn(&endpoints.ws_book, streams, all)]
        } else {
            vec![
                conn(&endpoints.ws_book, book, all),
                conn(&endpoints.ws_trades, trades, Vec::new()),
            ]
        }
    }

    fn snapshots(&self) -> SnapshotSource {
        SnapshotSource::Request
    }

    /// Never asked: Binance's snapshots are fetched by REST.
    fn resubscribe(&self, _symbol: &str) -> Vec<String> {
        Vec::new()
    }

    fn error_frame(&self, frame: &[u8]) -> Option<VenueMessage> {
        venue_message(frame)
    }

    fn rest(&self, endpoints: &Endpoints) -> Result<RestClient, FeedError> {
        RestClient::new(self.venue, endpoints, &self.options)
    }
}

/// A combined-stream connection to `base` (`?streams=a/b/c` appended).
fn conn(base: &str, streams: Vec<String>, books: Vec<usize>) -> PlannedConn {
    let sep = if base.contains('?') { '&' } else { '?' };
    PlannedConn {
        base: base.to_owned(),
        url: format!("{base}{sep}streams={}", streams.join("/")),
        streams,
        books,
        subscribe: Vec::new(),
        keep_alive: KeepAlive::AnswerPings,
    }
}

/// Binance's error body `{"code":..,"msg":..}`, also nested as
/// `{"error":{"code":..,"msg":..},"id":..}` (a WebSocket request's reply).
pub(crate) fn venue_message(body: &[u8]) -> Option<VenueMessage> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let o = v.get("error").filter(|e| e.is_object()).unwrap_or(&v);
    Some(VenueMessage {
        code: o.get("code")?.as_i64()?,
        msg: o
            .get("msg")
            .and_then(|m| m.as_str())
            .unwrap_or("")
            .to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::live::Endpoints;
    use crate::feed::live::numbered;

    #[test]
    fn venue_message_parses_flat_and_nested_bodies() {
        let flat = venue_message(br#"{"code":-1121,"msg":"Invalid symbol."}"#).unwrap();
        assert_eq!((flat.code, flat.msg.as_str()), (-1121, "Invalid symbol."));
        let nested =
            venue_message(br#"{"error":{"code":2,"msg":"Invalid request"},"id":1}"#).unwrap();
        assert_eq!(nested.code, 2);
        assert!(venue_message(b"<html>").is_none());
        assert!(venue_message(br#"{"stream":"btcusdt@trade","data":{}}"#).is_none());
    }

    #[test]
    fn usdm_plan_puts_books_on_public_and_trades_on_market() {
        let live = Live::new(Venue::BinanceUsdm, LiveOptions::default());
        let conns = live.connections(
            &numbered(&["BTCUSDT", "ETHUSDT"]),
            &Endpoints::production(Venue::BinanceUsdm),
        );
        assert_eq!(conns.len(), 2);
        assert_eq!(
            conns[0].url,
            "wss://fstream.binance.com/public/stream?streams=btcusdt@depth@100ms/\
             btcusdt@bookTicker/ethusdt@depth@100ms/ethusdt@bookTicker"
        );
        assert_eq!(conns[0].base, "wss://fstream.binance.com/public/stream");
        assert_eq!(conns[0].books, vec![0, 1]);
        assert_eq!(
            conns[1].url,
            "wss://fstream.binance.com/market/stream?streams=btcusdt@trade/ethusdt@trade"
        );
        assert!(conns[1].books.is_empty());
        for c in &conns {
            assert!(c.subscribe.is_empty(), "streams are named in the url");
            assert_eq!(c.keep_alive, KeepAlive::AnswerPings);
        }
    }

    #[test]
    fn spot_plan_is_one_connection_with_every_stream() {
        let live = Live::new(Venue::BinanceSpot, LiveOptions::per_event());
        let mut e = Endpoints::production(Venue::BinanceSpot);
        e.ws_book = "ws://127.0.0.1:9/stream?timeUnit=MICROSECOND".into();
        e.ws_trades = e.ws_book.clone();
        let conns = live.connections(&numbered(&["BTCUSDT"]), &e);
        assert_eq!(conns.len(), 1);
        assert_eq!(
            conns[0].url,
            "ws://127.0.0.1:9/stream?timeUnit=MICROSECOND&streams=btcusdt@depth@0ms/\
             btcusdt@bookTicker/btcusdt@trade"
        );
        assert_eq!(conns[0].books, vec![0]);
    }

    #[rstest::rstest]
    #[case::defaults(Venue::BinanceUsdm, LiveOptions::default(), 1, None)]
    #[case::spot_takes_5000(Venue::BinanceSpot, LiveOptions { snapshot_limit: 5000, rest_weight_budget: 250, ..LiveOptions::default() }, 1, None)]
    #[case::usdm_refuses_5000(Venue::BinanceUsdm, LiveOptions { snapshot_limit: 5000, ..LiveOptions::default() }, 1, Some("snapshot_limit 5000 is not a depth limit binance-usdm accepts"))]
    #[case::budget_below_one_snapshot(Venue::BinanceSpot, LiveOptions { rest_weight_budget: 49, ..LiveOptions::default() }, 1, Some("rest_weight_budget 49 is below the weight of one depth snapshot (50)"))]
    #[case::stream_cap_fits(Venue::BinanceSpot, LiveOptions::default(), 341, None)]
    #[case::stream_cap_exceeded(
        Venue::BinanceSpot,
        LiveOptions::default(),
        342,
        Some("342 symbols need more than the 1024 streams one connection may carry")
    )]
    fn options_validate_limit_budget_and_stream_cap(
        #[case] venue: Venue,
        #[case] options: LiveOptions,
        #[case] symbols: usize,
        #[case] want: Option<&str>,
    ) {
        match (options.validate(venue, symbols), want) {
            (Ok(()), None) => {}
            (Err(e), Some(want)) => {
                assert_eq!(e.to_string(), format!("invalid live feed config: {want}"))
            }
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }
}
