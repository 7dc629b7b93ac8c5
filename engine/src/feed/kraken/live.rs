//! Kraken's live side ([`LiveVenue`], `docs/venues.md` §5.1, §5.2 and §12): the public
//! WebSocket v2 (`wss://ws.kraken.com/v2`) with the `book` and `trade` channels subscribed by
//! message, the snapshot first on every book subscription ([`SnapshotSource::Stream`]), a
//! resync of one instrument by unsubscribing and subscribing that one symbol's book (never the
//! socket: on a many-decimal pair whose checksum fails, a peer tore down the whole connection,
//! §12), the client's own `{"method":"ping","req_id":..}` every [`PING_EVERY`], and the venue's
//! refusals (`"success":false`) as one error naming the symbol.
//!
//! ```text
//! sent      {"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD","ETH/USD"],
//!            "depth":25,"snapshot":true},"req_id":1}
//!           {"method":"subscribe","params":{"channel":"trade","symbol":[..],"snapshot":false},
//!            "req_id":2}
//!           {"method":"ping","req_id":5}
//! resync    {"method":"unsubscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":25},
//!            "req_id":3} then the subscribe of that one symbol ("req_id":4)
//! refusal   {"method":"subscribe","error":"Currency pair not supported XYZ/USD",
//!            "success":false,"symbol":"XYZ/USD","req_id":1,"time_in":..,"time_out":..}
//! ```
//!
//! Pongs, heartbeats, `status` (its `connection_id` is above `i64::MAX`: read as a `u64` where
//! read at all) and the acknowledgements are control frames of the books. The book depth is
//! [`LiveOptions::depth`], 25 by default: the checksum covers the top 10, and Kraken's own SDK
//! subscribes 25 for a top 10 so that a level deleted from the top 10 never leaves it short
//! (§5.2). The books truncate to the subscribed depth after every message
//! ([`Books::set_depth`], also learned from the acknowledgement).

use super::Books;
use super::decode::DEPTHS;
use super::rest::RestClient;
use crate::feed::Venue;
use crate::feed::live::{
    Endpoints, FeedError, KeepAlive, LiveVenue, PlannedConn, SnapshotSource, VenueMessage,
};
use crate::instrument::Registry;
use ladder_sdk::InstrumentId;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// How often the feed pings: Kraken documents no idle limit for v2 and sends a heartbeat each
/// second once subscribed; a ping every 20 s keeps proxies from closing a quiet socket.
pub const PING_EVERY: Duration = Duration::from_secs(20);

/// The depth subscribed by default (§5.2: the official SDK's wire depth for a top 10).
pub const DEFAULT_DEPTH: u32 = 25;

/// Symbols one connection carries at most: ladder's own bound on one socket's traffic (Kraken
/// documents no per-connection limit); more symbols open more connections.
pub const MAX_SYMBOLS_PER_CONNECTION: usize = 50;

/// The `req_id`s of ladder's requests: the book and trade subscriptions of a connection, the
/// unsubscribe and subscribe of a resync, and the ping.
pub mod req_id {
    /// The book subscription of a connection.
    pub const BOOK: u64 = 1;
    /// The trade subscription of a connection.
    pub const TRADE: u64 = 2;
    /// The unsubscribe of a resync.
    pub const UNSUBSCRIBE: u64 = 3;
    /// The subscribe of a resync.
    pub const RESUBSCRIBE: u64 = 4;
    /// The ping.
    pub const PING: u64 = 5;
}

/// Kraken's live feed settings (the `[venue]` key `book_depth`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveOptions {
    /// The book depth subscribed: 10, 25, 100, 500 or 1000. Default [`DEFAULT_DEPTH`].
    pub depth: u32,
    /// How often `{"method":"ping"}` is sent. Default [`PING_EVERY`].
    pub ping_every: Duration,
}

impl Default for LiveOptions {
    fn default() -> Self {
        Self {
            depth: DEFAULT_DEPTH,
            ping_every: PING_EVERY,
        }
    }
}

impl LiveOptions {
    /// Checks the options: a depth Kraken serves, a ping interval within 1 ms..=60 s.
    ///
    /// # Errors
    /// [`FeedError::Config`] naming the setting.
    pub fn validate(&self) -> Result<(), FeedError> {
        if !DEPTHS.contains(&self.depth) {
            return Err(FeedError::Config(format!(
                "book_depth {} is not a depth kraken serves (one of {})",
                self.depth,
                depths_text()
            )));
        }
        if self.ping_every.is_zero() || self.ping_every > Duration::from_secs(60) {
            return Err(FeedError::Config(format!(
                "the kraken ping interval must be within 1 ms..=60 s, got {} ms",
                self.ping_every.as_millis()
            )));
        }
        Ok(())
    }
}

/// `10, 25, 100, 500, 1000`.
pub(crate) fn depths_text() -> String {
    DEPTHS.map(|d| d.to_string()).join(", ")
}

/// Kraken's [`LiveVenue`].
#[derive(Debug, Clone)]
pub struct Live {
    options: LiveOptions,
}

impl Live {
    /// The live side of Kraken with `options`.
    pub fn new(options: LiveOptions) -> Self {
        Self { options }
    }

    /// A book request for `symbols` (`snapshot` only on a subscribe).
    fn book(&self, method: &str, symbols: &[&str], req_id: u64) -> String {
        let mut params = json!({
            "channel": "book",
            "symbol": symbols,
            "depth": self.options.depth,
        });
        if method == "subscribe" {
            params["snapshot"] = json!(true);
        }
        json!({"method": method, "params": params, "req_id": req_id}).to_string()
    }

    /// The trade subscription of `symbols`, without the recent trades Kraken would send first.
    fn trades(symbols: &[&str]) -> String {
        json!({
            "method": "subscribe",
            "params": {"channel": "trade", "symbol": symbols, "snapshot": false},
            "req_id": req_id::TRADE,
        })
        .to_string()
    }
}

impl LiveVenue for Live {
    type Books = Books;
    type Rest = RestClient;

    fn venue(&self) -> Venue {
        Venue::Kraken
    }

    /// Books truncated at the subscribed depth from the start.
    fn books(&self, registry: &Registry) -> Books {
        let mut books = Books::new(registry);
        for inst in registry.iter().filter(|i| i.venue == Venue::Kraken) {
            books.set_depth(inst.id, self.options.depth);
        }
        books
    }

    /// Every channel on `ws_book` (Kraken's v2 socket carries books and trades), at most
    /// [`MAX_SYMBOLS_PER_CONNECTION`] symbols a connection, each connection subscribing its
    /// books in one request and its trades in another.
    fn connections(
        &self,
        instruments: &[(InstrumentId, String)],
        endpoints: &Endpoints,
    ) -> Vec<PlannedConn> {
        let indexed: Vec<(usize, &str)> = instruments
            .iter()
            .enumerate()
            .map(|(k, (_, s))| (k, s.as_str()))
            .collect();
        indexed
            .chunks(MAX_SYMBOLS_PER_CONNECTION)
            .map(|chunk| {
                let symbols: Vec<&str> = chunk.iter().map(|(_, s)| *s).collect();
                let streams = symbols
                    .iter()
                    .flat_map(|s| {
                        [
                            format!("book.{}.{s}", self.options.depth),
                            format!("trade.{s}"),
                        ]
                    })
                    .collect();
                PlannedConn {
                    base: endpoints.ws_book.clone(),
                    url: endpoints.ws_book.clone(),
                    streams,
                    books: chunk.iter().map(|(k, _)| *k).collect(),
                    subscribe: vec![
                        self.book("subscribe", &symbols, req_id::BOOK),
                        Self::trades(&symbols),
                    ],
                    keep_alive: KeepAlive::Send {
                        every: self.options.ping_every,
                        message: json!({"method": "ping", "req_id": req_id::PING}).to_string(),
                    },
                }
            })
            .collect()
    }

    fn snapshots(&self) -> SnapshotSource {
        SnapshotSource::Stream
    }

    /// Unsubscribe, then subscribe, the one symbol's book: Kraken answers with a snapshot.
    /// Its trades go on.
    fn resubscribe(&self, symbol: &str) -> Vec<String> {
        vec![
            self.book("unsubscribe", &[symbol], req_id::UNSUBSCRIBE),
            self.book("subscribe", &[symbol], req_id::RESUBSCRIBE),
        ]
    }

    fn error_frame(&self, frame: &[u8]) -> Option<VenueMessage> {
        refusal(frame)
    }

    fn rest(&self, endpoints: &Endpoints) -> Result<RestClient, FeedError> {
        RestClient::new(endpoints)
    }
}

/// A reply of Kraken v2: `{"method":"subscribe","success":false,"error":"..","symbol":"..",
/// "req_id":1}` (also `result.channel` / `result.symbol` on some replies).
#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    method: String,
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    symbol: Option<String>,
    #[serde(default)]
    result: Option<ReplyResult>,
    #[serde(default)]
    req_id: Option<u64>,
}

#[derive(Deserialize)]
struct ReplyResult {
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    symbol: Option<String>,
}

/// The venue's refusal of a request, named by its method, channel and symbol:
/// `subscribe book XYZ/USD: Currency pair not supported XYZ/USD`.
pub(crate) fn refusal(frame: &[u8]) -> Option<VenueMessage> {
    let r: Reply = serde_json::from_slice(frame).ok()?;
    if r.success != Some(false) && r.error.is_none() {
        return None;
    }
    let channel = r
        .result
        .as_ref()
        .and_then(|x| x.channel.clone())
        .or_else(|| match r.req_id {
            Some(req_id::TRADE) => Some("trade".to_owned()),
            Some(req_id::BOOK | req_id::UNSUBSCRIBE | req_id::RESUBSCRIBE) => {
                Some("book".to_owned())
            }
            _ => None,
        });
    let symbol = r
        .symbol
        .clone()
        .or_else(|| r.result.as_ref().and_then(|x| x.symbol.clone()));
    let method = if r.method.is_empty() {
        "request"
    } else {
        r.method.as_str()
    };
    let what: Vec<&str> = [Some(method), channel.as_deref(), symbol.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let error = r.error.as_deref().unwrap_or("refused");
    Some(VenueMessage {
        code: 0,
        msg: format!("{}: {error}", what.join(" ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::live::{numbered, planned_one};

    fn value(frame: &str) -> serde_json::Value {
        serde_json::from_str(frame).unwrap()
    }

    #[test]
    fn plan_subscribes_book_at_the_depth_and_trades_without_snapshot_and_pings() {
        let live = Live::new(LiveOptions::default());
        let c = planned_one(&live, &["BTC/USD", "ETH/USD"]);
        assert_eq!(c.url, "wss://ws.kraken.com/v2");
        assert_eq!(c.books, [0, 1]);
        assert_eq!(
            value(&c.subscribe[0]),
            json!({"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD","ETH/USD"],
                   "depth":25,"snapshot":true},"req_id":1})
        );
        assert_eq!(
            value(&c.subscribe[1]),
            json!({"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD","ETH/USD"],
                   "snapshot":false},"req_id":2})
        );
        assert_eq!(
            c.streams,
            [
                "book.25.BTC/USD",
                "trade.BTC/USD",
                "book.25.ETH/USD",
                "trade.ETH/USD"
            ]
        );
        let KeepAlive::Send { every, message } = &c.keep_alive else {
            panic!("{:?}", c.keep_alive)
        };
        assert_eq!(*every, PING_EVERY);
        assert_eq!(value(message), json!({"method":"ping","req_id":5}));
    }

    #[test]
    fn plan_splits_symbols_over_connections_of_fifty() {
        let live = Live::new(LiveOptions::default());
        let symbols: Vec<String> = (0..120).map(|k| format!("C{k}/USD")).collect();
        let refs: Vec<&str> = symbols.iter().map(String::as_str).collect();
        let conns = live.connections(&numbered(&refs), &Endpoints::production(Venue::Kraken));
        let sizes: Vec<usize> = conns.iter().map(|c| c.books.len()).collect();
        assert_eq!(sizes, [50, 50, 20]);
        let carried: Vec<usize> = conns.iter().flat_map(|c| c.books.clone()).collect();
        assert_eq!(carried, (0..120).collect::<Vec<_>>(), "each once, in order");
    }

    #[test]
    fn resubscribe_unsubscribes_then_subscribes_the_one_symbols_book_at_its_depth() {
        let live = Live::new(LiveOptions {
            depth: 100,
            ..LiveOptions::default()
        });
        let frames = live.resubscribe("ETH/USD");
        assert_eq!(
            frames.iter().map(|f| value(f)).collect::<Vec<_>>(),
            [
                json!({"method":"unsubscribe","params":{"channel":"book","symbol":["ETH/USD"],
                       "depth":100},"req_id":3}),
                json!({"method":"subscribe","params":{"channel":"book","symbol":["ETH/USD"],
                       "depth":100,"snapshot":true},"req_id":4}),
            ]
        );
    }

    #[test]
    fn books_are_truncated_at_the_configured_depth_before_any_ack() {
        let mut r = Registry::new();
        let spec = ladder_sdk::InstrumentSpec::new(
            rust_decimal::Decimal::new(1, 1),
            rust_decimal::Decimal::new(1, 8),
        )
        .unwrap();
        let id = r.add(Venue::Kraken, "BTC/USD", spec).unwrap();
        let live = Live::new(LiveOptions {
            depth: 500,
            ..LiveOptions::default()
        });
        assert_eq!(live.books(&r).depth(id), Some(500));
    }

    #[rstest::rstest]
    #[case::unsupported_pair(
        r#"{"error":"Currency pair not supported XYZ/USD","method":"subscribe","req_id":1,"success":false,"symbol":"XYZ/USD","time_in":"t","time_out":"t"}"#,
        Some("subscribe book XYZ/USD: Currency pair not supported XYZ/USD")
    )]
    #[case::trade_refused(
        r#"{"error":"Already subscribed","method":"subscribe","req_id":2,"success":false,"symbol":"BTC/USD"}"#,
        Some("subscribe trade BTC/USD: Already subscribed")
    )]
    #[case::no_symbol(
        r#"{"error":"Rate limit exceeded","method":"subscribe","success":false}"#,
        Some("subscribe: Rate limit exceeded")
    )]
    #[case::bare_error(r#"{"error":"Malformed request"}"#, Some("request: Malformed request"))]
    #[case::ack(
        r#"{"method":"subscribe","result":{"channel":"book","depth":25,"snapshot":true,"symbol":"BTC/USD"},"success":true,"req_id":1}"#,
        None
    )]
    #[case::pong(r#"{"method":"pong","req_id":5,"time_in":"t","time_out":"t"}"#, None)]
    #[case::data(r#"{"channel":"book","type":"update","data":[]}"#, None)]
    #[case::not_json("<html>", None)]
    fn refusal_names_the_method_channel_and_symbol(
        #[case] frame: &str,
        #[case] want: Option<&str>,
    ) {
        let got = refusal(frame.as_bytes());
        assert_eq!(got.as_ref().map(|m| m.msg.as_str()), want, "{frame}");
    }

    #[rstest::rstest]
    #[case::default(LiveOptions::default(), None)]
    #[case::depth_10(LiveOptions { depth: 10, ..LiveOptions::default() }, None)]
    #[case::depth_1000(LiveOptions { depth: 1000, ..LiveOptions::default() }, None)]
    #[case::depth_50(
        LiveOptions { depth: 50, ..LiveOptions::default() },
        Some("book_depth 50 is not a depth kraken serves (one of 10, 25, 100, 500, 1000)")
    )]
    #[case::zero_ping(
        LiveOptions { ping_every: Duration::ZERO, ..LiveOptions::default() },
        Some("the kraken ping interval must be within 1 ms..=60 s, got 0 ms")
    )]
    fn options_validate_depth_and_ping(#[case] options: LiveOptions, #[case] want: Option<&str>) {
        match (options.validate(), want) {
            (Ok(()), None) => {}
            (Err(e), Some(want)) => {
                assert_eq!(e.to_string(), format!("invalid live feed config: {want}"))
            }
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }
}
