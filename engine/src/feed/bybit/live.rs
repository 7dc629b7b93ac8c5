//! Bybit's live side ([`LiveVenue`], `docs/venues.md` §3.1 and §12): one public endpoint per
//! product (`wss://stream.bybit.com/v5/public/{spot,linear,inverse}`), topics subscribed by
//! message, the snapshot first on every subscription ([`SnapshotSource::Stream`]), a resync by
//! unsubscribing and subscribing one instrument's book topic, the client's own
//! `{"op":"ping"}` every 20 s, and the venue's refusals `{"success":false,..}` as errors naming
//! the topics. [`LiveOptions`] are its settings.
//!
//! Each instrument has two topics, `orderbook.{depth}.{symbol}` and `publicTrade.{symbol}`,
//! sent in one subscribe request (at most [`MAX_ARGS_PER_REQUEST`] topics a request: spot's
//! limit, kept for every product). Instruments are spread over as many connections as
//! needed to keep each connection's topics within [`MAX_ARGS_CHARS_PER_CONNECTION`]
//! characters. Trades ride on the book connection (`ws_trades` is not used: Bybit serves both
//! on one endpoint). The `req_id` of each request names its symbols (`sub:BTCUSDT,ETHUSDT`),
//! so a refusal that echoes it names the topics refused.

use super::Books;
use super::rest::RestClient;
use crate::feed::Venue;
use crate::feed::live::{
    Endpoints, FeedError, KeepAlive, LiveVenue, PlannedConn, SnapshotSource, VenueMessage,
};
use crate::instrument::Registry;
use ladder_sdk::InstrumentId;
use serde::Deserialize;
use std::time::Duration;

/// Book depths a spot, linear or inverse subscription may ask for today (`docs/venues.md`
/// §12: `orderbook.500` was removed for futures on 2025-09-11; options' 25 and 100 are not
/// served here).
pub const LIVE_DEPTHS: [u32; 4] = [1, 50, 200, 1000];

/// Topics one subscribe request may carry (spot's documented limit, §3.1).
pub const MAX_ARGS_PER_REQUEST: usize = 10;

/// Characters of topics one connection may subscribe to (§3.1: "at most 21 000 characters of
/// args per connection").
pub const MAX_ARGS_CHARS_PER_CONNECTION: usize = 21_000;

/// Bybit's live feed settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveOptions {
    /// Book depth subscribed (`orderbook.{depth}.{symbol}`): 1, 50, 200 or 1000. Default 50
    /// (a push every 20 ms).
    pub depth: u32,
    /// How often `{"op":"ping"}` is sent. Default 20 s (the venue drops a connection after
    /// about 10 minutes without ping or data).
    pub ping_every: Duration,
}

impl Default for LiveOptions {
    fn default() -> Self {
        Self {
            depth: 50,
            ping_every: Duration::from_secs(20),
        }
    }
}

impl LiveOptions {
    /// Checks the options for `venue`: a depth the venue serves, a ping interval that is not
    /// zero and within the venue's idle limit.
    ///
    /// # Errors
    /// [`FeedError::Config`] naming the setting.
    pub fn validate(&self, venue: Venue, _symbols: usize) -> Result<(), FeedError> {
        if !LIVE_DEPTHS.contains(&self.depth) {
            return Err(FeedError::Config(format!(
                "book_depth {} is not a depth {venue} serves (one of {})",
                self.depth,
                depths_text()
            )));
        }
        if self.ping_every.is_zero() || self.ping_every > Duration::from_secs(300) {
            return Err(FeedError::Config(format!(
                "the {venue} ping interval must be within 1 ms..=300 s, got {} ms",
                self.ping_every.as_millis()
            )));
        }
        Ok(())
    }
}

/// `1, 50, 200, 1000`.
pub(crate) fn depths_text() -> String {
    LIVE_DEPTHS.map(|d| d.to_string()).join(", ")
}

/// Bybit's [`LiveVenue`] for spot, linear or inverse.
#[derive(Debug, Clone)]
pub struct Live {
    venue: Venue,
    options: LiveOptions,
}

impl Live {
    /// The live side of `venue` (spot, linear or inverse) with `options`.
    pub fn new(venue: Venue, options: LiveOptions) -> Self {
        Self { venue, options }
    }

    /// The book topic of `symbol` (`orderbook.50.BTCUSDT`).
    pub fn book_topic(&self, symbol: &str) -> String {
        format!("orderbook.{}.{symbol}", self.options.depth)
    }

    fn topics(&self, symbol: &str) -> [String; 2] {
        [self.book_topic(symbol), format!("publicTrade.{symbol}")]
    }
}

/// A request frame: `{"req_id":"..","op":"..","args":[..]}`.
fn request(op: &str, req_id: &str, args: &[String]) -> String {
    serde_json::json!({ "req_id": req_id, "op": op, "args": args }).to_string()
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

    /// Instruments in the feed's order, a new connection whenever the next one's topics would
    /// pass [`MAX_ARGS_CHARS_PER_CONNECTION`]; each connection subscribes its instruments in
    /// requests of [`MAX_ARGS_PER_REQUEST`] topics.
    fn connections(
        &self,
        instruments: &[(InstrumentId, String)],
        endpoints: &Endpoints,
    ) -> Vec<PlannedConn> {
        let mut groups: Vec<(Vec<usize>, usize)> = Vec::new();
        for (k, (_, symbol)) in instruments.iter().enumerate() {
            let chars: usize = self.topics(symbol).iter().map(String::len).sum();
            match groups.last_mut() {
                Some((books, used)) if *used + chars <= MAX_ARGS_CHARS_PER_CONNECTION => {
                    books.push(k);
                    *used += chars;
                }
                _ => groups.push((vec![k], chars)),
            }
        }
        let per_request = MAX_ARGS_PER_REQUEST / 2;
        groups
            .into_iter()
            .map(|(books, _)| {
                let symbols: Vec<&str> = books.iter().map(|&k| instruments[k].1.as_str()).collect();
                let streams: Vec<String> = symbols.iter().flat_map(|s| self.topics(s)).collect();
                let subscribe = symbols
                    .chunks(per_request)
                    .map(|chunk| {
                        let args: Vec<String> = chunk.iter().flat_map(|s| self.topics(s)).collect();
                        request("subscribe", &format!("sub:{}", chunk.join(",")), &args)
                    })
                    .collect();
                PlannedConn {
                    base: endpoints.ws_book.clone(),
                    url: endpoints.ws_book.clone(),
                    streams,
                    books,
                    subscribe,
                    keep_alive: KeepAlive::Send {
                        every: self.options.ping_every,
                        message: r#"{"op":"ping"}"#.to_owned(),
                    },
                }
            })
            .collect()
    }

    fn snapshots(&self) -> SnapshotSource {
        SnapshotSource::Stream
    }

    /// Unsubscribe, then subscribe, the one book topic: the venue answers with a snapshot.
    fn resubscribe(&self, symbol: &str) -> Vec<String> {
        let args = [self.book_topic(symbol)];
        vec![
            request("unsubscribe", &format!("unsub:{symbol}"), &args),
            request("subscribe", &format!("resub:{symbol}"), &args),
        ]
    }

    fn error_frame(&self, frame: &[u8]) -> Option<VenueMessage> {
        refusal(frame, self.options.depth)
    }

    fn rest(&self, endpoints: &Endpoints) -> Result<RestClient, FeedError> {
        RestClient::new(self.venue, endpoints)
    }
}

/// A reply to a request: `{"success":false,"ret_msg":"..","op":"subscribe","req_id":".."}`.
#[derive(Deserialize)]
struct Reply {
    success: bool,
    #[serde(default)]
    ret_msg: String,
    #[serde(default)]
    op: String,
    #[serde(default)]
    req_id: Option<String>,
    #[serde(default)]
    ret_code: Option<i64>,
}

/// The venue's refusal of a request, its text naming the request and, when the reply echoes
/// one of ladder's `req_id`s, the topics it asked for (books at `depth`).
pub(crate) fn refusal(frame: &[u8], depth: u32) -> Option<VenueMessage> {
    let r: Reply = serde_json::from_slice(frame).ok()?;
    if r.success {
        return None;
    }
    let topics = r
        .req_id
        .as_deref()
        .and_then(|id| id.split_once(':'))
        .map(|(kind, symbols)| {
            symbols
                .split(',')
                .filter(|s| !s.is_empty())
                .flat_map(|s| {
                    let book = format!("orderbook.{depth}.{s}");
                    match kind {
                        "sub" => vec![book, format!("publicTrade.{s}")],
                        _ => vec![book],
                    }
                })
                .collect::<Vec<_>>()
        })
        .filter(|t| !t.is_empty());
    let op = if r.op.is_empty() { "request" } else { &r.op };
    let msg = match topics {
        Some(t) => format!("{op} {}: {}", t.join(", "), r.ret_msg),
        None => format!("{op}: {}", r.ret_msg),
    };
    Some(VenueMessage {
        code: r.ret_code.unwrap_or(0),
        msg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::live::{numbered, planned_one};

    fn args(frame: &str) -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(frame).unwrap();
        v["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn plan_subscribes_book_and_trades_in_requests_of_ten_topics_and_sends_pings() {
        let live = Live::new(Venue::BybitSpot, LiveOptions::default());
        let symbols: Vec<String> = (0..7).map(|k| format!("S{k}USDT")).collect();
        let refs: Vec<&str> = symbols.iter().map(String::as_str).collect();
        let c = planned_one(&live, &refs);
        assert_eq!(c.url, "wss://stream.bybit.com/v5/public/spot");
        assert_eq!(c.books, (0..7).collect::<Vec<_>>());
        assert_eq!(c.subscribe.len(), 2, "10 topics, then 4");
        assert_eq!(
            args(&c.subscribe[1]),
            [
                "orderbook.50.S5USDT",
                "publicTrade.S5USDT",
                "orderbook.50.S6USDT",
                "publicTrade.S6USDT"
            ]
        );
        assert_eq!(args(&c.subscribe[0]).len(), 10);
        assert!(
            c.subscribe[0].contains(r#""op":"subscribe""#),
            "{}",
            c.subscribe[0]
        );
        assert_eq!(c.streams.len(), 14);
        assert_eq!(
            c.keep_alive,
            KeepAlive::Send {
                every: Duration::from_secs(20),
                message: r#"{"op":"ping"}"#.into()
            }
        );
    }

    #[test]
    fn plan_splits_instruments_over_connections_past_the_args_characters_cap() {
        let live = Live::new(Venue::BybitLinear, LiveOptions::default());
        // `orderbook.50.` + `publicTrade.` + 2 x 10-char symbol = 45 characters each.
        let symbols: Vec<String> = (0..1000).map(|k| format!("X{k:05}USDT")).collect();
        let refs: Vec<&str> = symbols.iter().map(String::as_str).collect();
        let conns = live.connections(&numbered(&refs), &Endpoints::production(Venue::BybitLinear));
        assert_eq!(conns.len(), 3, "45 000 characters over 21 000 a connection");
        let mut carried: Vec<usize> = conns.iter().flat_map(|c| c.books.clone()).collect();
        carried.sort_unstable();
        assert_eq!(carried, (0..1000).collect::<Vec<_>>(), "each book once");
        for c in &conns {
            let chars: usize = c.streams.iter().map(String::len).sum();
            assert!(chars <= MAX_ARGS_CHARS_PER_CONNECTION, "{chars}");
        }
    }

    #[test]
    fn resubscribe_unsubscribes_then_subscribes_the_one_book_topic() {
        let live = Live::new(
            Venue::BybitLinear,
            LiveOptions {
                depth: 200,
                ..LiveOptions::default()
            },
        );
        let frames = live.resubscribe("ETHUSDT");
        assert_eq!(frames.len(), 2);
        assert!(frames[0].contains(r#""op":"unsubscribe""#), "{}", frames[0]);
        assert!(frames[1].contains(r#""op":"subscribe""#), "{}", frames[1]);
        for f in &frames {
            assert_eq!(args(f), ["orderbook.200.ETHUSDT"]);
        }
    }

    #[rstest::rstest]
    #[case::echoed_req_id(
        r#"{"success":false,"ret_msg":"Invalid symbol :[orderbook.50.XXXUSDT]","conn_id":"c","req_id":"sub:XXXUSDT","op":"subscribe"}"#,
        Some("subscribe orderbook.50.XXXUSDT, publicTrade.XXXUSDT: Invalid symbol :[orderbook.50.XXXUSDT]")
    )]
    #[case::resubscription(
        r#"{"success":false,"ret_msg":"error:handler not found","req_id":"resub:BTCUSDT","op":"subscribe"}"#,
        Some("subscribe orderbook.50.BTCUSDT: error:handler not found")
    )]
    #[case::spot_without_req_id(
        r#"{"success":false,"ret_msg":"Invalid symbol :[orderbook.50.XXXUSDT]","conn_id":"c","op":"subscribe"}"#,
        Some("subscribe: Invalid symbol :[orderbook.50.XXXUSDT]")
    )]
    #[case::ack(
        r#"{"success":true,"ret_msg":"subscribe","conn_id":"c","op":"subscribe"}"#,
        None
    )]
    #[case::pong(r#"{"success":true,"ret_msg":"pong","conn_id":"c","op":"ping"}"#, None)]
    #[case::data(r#"{"topic":"orderbook.50.BTCUSDT","type":"delta","data":{}}"#, None)]
    #[case::not_json("<html>", None)]
    fn refusal_names_the_request_and_its_topics(#[case] frame: &str, #[case] want: Option<&str>) {
        let got = refusal(frame.as_bytes(), 50);
        assert_eq!(got.as_ref().map(|m| m.msg.as_str()), want);
    }

    #[rstest::rstest]
    #[case::default(LiveOptions::default(), None)]
    #[case::depth_1000(LiveOptions { depth: 1000, ..LiveOptions::default() }, None)]
    #[case::depth_500_removed(LiveOptions { depth: 500, ..LiveOptions::default() }, Some("book_depth 500 is not a depth bybit-linear serves (one of 1, 50, 200, 1000)"))]
    #[case::zero_ping(LiveOptions { ping_every: Duration::ZERO, ..LiveOptions::default() }, Some("the bybit-linear ping interval must be within 1 ms..=300 s, got 0 ms"))]
    fn options_validate_depth_and_ping(#[case] options: LiveOptions, #[case] want: Option<&str>) {
        match (options.validate(Venue::BybitLinear, 1), want) {
            (Ok(()), None) => {}
            (Err(e), Some(want)) => {
                assert_eq!(e.to_string(), format!("invalid live feed config: {want}"))
            }
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }
}
