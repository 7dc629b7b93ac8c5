//! OKX's live side ([`LiveVenue`]): the public WebSocket (`/ws/v5/public`, `docs/venues.md`
//! §4.1) with one book channel and (optionally) `trades` per instrument subscribed by message,
//! split over connections of at most [`MAX_CHANNELS_PER_CONNECTION`] channels opened
//! [`CONNECTION_SPACING`] apart; the text `ping`
//! sent every [`PING_EVERY`] (OKX drops a connection silent for 30 s; its `pong` is a control
//! frame of the books); a resync of one instrument by unsubscribing and subscribing its book
//! channel; and OKX's error events `{"event":"error","code":"60012","msg":..}`.
//!
//! Snapshots: OKX sends one as the first message of an incremental channel's subscription, and
//! announced replacing it by a REST join (§12). By default ([`Join::Auto`]) the connector takes
//! the stream's snapshot when it comes and otherwise, [`REST_JOIN_AFTER`] after the
//! subscription with updates buffered, joins `GET /api/v5/market/books` to them
//! ([`SnapshotSource::StreamOrRequest`]); [`Join::Rest`] always joins by REST (and resyncs by
//! fetching again). `books5` and `bbo-tbt` push a full image every time: no join.

use super::Books;
use super::rest::RestClient;
use crate::feed::Venue;
use crate::feed::live::{
    Endpoints, FeedError, KeepAlive, LiveVenue, PlannedConn, SnapshotSource, VenueMessage,
};
use crate::instrument::Registry;
use ladder_sdk::InstrumentId;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Channels one connection carries at most: OKX asks for "fewer than 30 channels" per
/// connection for many 400/50-level books (`docs/venues.md` §4.1).
pub const MAX_CHANNELS_PER_CONNECTION: usize = 28;

/// How often the text `ping` is sent: under OKX's 30 s idle limit.
pub const PING_EVERY: Duration = Duration::from_secs(25);

/// How long after a subscription the stream's own snapshot is waited for before the REST join
/// ([`Join::Auto`]). OKX sends it first, well within this.
pub const REST_JOIN_AFTER: Duration = Duration::from_millis(1500);

/// The time between opening two connections of one feed: OKX accepts 3 connection requests
/// per second per IP (`docs/venues.md` §4.1).
pub const CONNECTION_SPACING: Duration = Duration::from_millis(350);

/// Subscribe, unsubscribe and login requests OKX accepts per connection per hour
/// (`docs/venues.md` §4.1).
pub const MAX_REQUESTS_PER_HOUR: u32 = 480;

/// Levels asked of `GET /api/v5/market/books` (`sz`; the endpoint's maximum, the depth of
/// `books`).
pub const REST_DEPTH: u32 = 400;

/// The OKX order-book channel a feed subscribes to (`docs/venues.md` §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BookChannel {
    /// `books`: 400 levels, a snapshot then updates every 100 ms (public).
    #[default]
    Books,
    /// `books5`: the top 5 levels as a full image every push (public).
    Books5,
    /// `bbo-tbt`: the best bid and offer as a full image, tick by tick (public).
    BboTbt,
    /// `books50-l2-tbt`: 50 levels tick by tick; OKX requires a login (VIP5 and above).
    Books50L2Tbt,
    /// `books-l2-tbt`: 400 levels tick by tick; OKX requires a login (VIP6 and above).
    BooksL2Tbt,
}

impl BookChannel {
    /// Every channel, in the order the config's errors list them.
    pub const ALL: [Self; 5] = [
        Self::Books,
        Self::Books5,
        Self::BboTbt,
        Self::Books50L2Tbt,
        Self::BooksL2Tbt,
    ];

    /// The channel's name on the wire and in configs.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Books => "books",
            Self::Books5 => "books5",
            Self::BboTbt => "bbo-tbt",
            Self::Books50L2Tbt => "books50-l2-tbt",
            Self::BooksL2Tbt => "books-l2-tbt",
        }
    }

    /// True for the channels that send a snapshot and then updates.
    pub const fn incremental(self) -> bool {
        matches!(self, Self::Books | Self::Books50L2Tbt | Self::BooksL2Tbt)
    }

    /// The account OKX wants logged in for this channel, if any.
    const fn needs_login(self) -> Option<&'static str> {
        match self {
            Self::Books50L2Tbt => Some("VIP5"),
            Self::BooksL2Tbt => Some("VIP6"),
            Self::Books | Self::Books5 | Self::BboTbt => None,
        }
    }
}

impl fmt::Display for BookChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BookChannel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|c| c.name()).collect();
                format!(
                    "{s:?} is not an okx book channel; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// How a book from an incremental channel gets its snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Join {
    /// The stream's snapshot when it comes, else the REST join (`join = "auto"`).
    #[default]
    Auto,
    /// Always the REST join: `GET /api/v5/market/books` joined to the buffered updates; a
    /// resync fetches again (`join = "rest"`).
    Rest,
}

impl Join {
    /// The name in configs.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Rest => "rest",
        }
    }
}

impl FromStr for Join {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "rest" => Ok(Self::Rest),
            _ => Err(format!("{s:?} is not an okx join; expected auto or rest")),
        }
    }
}

/// OKX's live feed settings (the `[venue]` keys `book_channel`, `trades`, `join`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveOptions {
    /// The book channel. Default `books`.
    pub book_channel: BookChannel,
    /// Subscribe to `trades` too. Default true.
    pub trades: bool,
    /// How a book gets its snapshot. Default [`Join::Auto`].
    pub join: Join,
    /// How often the text `ping` is sent, under OKX's 30 s. Default [`PING_EVERY`].
    pub ping_every: Duration,
    /// Subscribe and unsubscribe requests per connection per hour the feed keeps under
    /// (`3..=480`). Default [`MAX_REQUESTS_PER_HOUR`].
    pub requests_per_hour: u32,
}

impl Default for LiveOptions {
    fn default() -> Self {
        Self {
            book_channel: BookChannel::Books,
            trades: true,
            join: Join::Auto,
            ping_every: PING_EVERY,
            requests_per_hour: MAX_REQUESTS_PER_HOUR,
        }
    }
}

impl LiveOptions {
    /// Channels per instrument.
    fn channels_per_instrument(&self) -> usize {
        1 + usize::from(self.trades)
    }

    /// Checks the options: a channel that needs no login, a REST join only for an incremental
    /// channel, a ping under OKX's 30 s idle limit.
    ///
    /// # Errors
    /// [`FeedError::Config`] naming the setting.
    pub fn validate(&self) -> Result<(), FeedError> {
        if let Some(tier) = self.book_channel.needs_login() {
            return Err(FeedError::Config(format!(
                "book_channel {} needs an okx login ({tier} account or above), which ladder \
                 does not do; use books, books5 or bbo-tbt",
                self.book_channel
            )));
        }
        if self.join == Join::Rest && !self.book_channel.incremental() {
            return Err(FeedError::Config(format!(
                "join = \"rest\" applies to the incremental book channels; {} pushes a full \
                 image every time",
                self.book_channel
            )));
        }
        if !(3..=MAX_REQUESTS_PER_HOUR).contains(&self.requests_per_hour) {
            return Err(FeedError::Config(format!(
                "requests_per_hour {} is not within 3..={MAX_REQUESTS_PER_HOUR} (a connection's \
                 subscription and one resubscription, up to okx's cap)",
                self.requests_per_hour
            )));
        }
        if self.ping_every.is_zero() || self.ping_every >= Duration::from_secs(30) {
            return Err(FeedError::Config(format!(
                "ping_every {} ms is not under okx's 30 s idle limit (and above 0)",
                self.ping_every.as_millis()
            )));
        }
        Ok(())
    }
}

/// OKX's [`LiveVenue`].
#[derive(Debug, Clone)]
pub struct Live {
    options: LiveOptions,
}

impl Live {
    /// The live side of OKX with `options`.
    pub fn new(options: LiveOptions) -> Self {
        Self { options }
    }

    fn arg(&self, channel: &str, inst: &str) -> String {
        // Instrument ids are registry symbols (ASCII letters, digits, `-`, `_`, `/`): no JSON
        // escaping needed.
        format!(r#"{{"channel":"{channel}","instId":"{inst}"}}"#)
    }

    fn request(op: &str, args: &[String]) -> String {
        format!(r#"{{"op":"{op}","args":[{}]}}"#, args.join(","))
    }
}

impl LiveVenue for Live {
    type Books = Books;
    type Rest = RestClient;

    fn venue(&self) -> Venue {
        Venue::Okx
    }

    fn books(&self, registry: &Registry) -> Books {
        Books::new(registry)
    }

    /// Every channel on `ws_book` (OKX's public WebSocket carries books and trades), at most
    /// [`MAX_CHANNELS_PER_CONNECTION`] per connection, each connection subscribing its
    /// instruments' channels in one request.
    fn connections(
        &self,
        instruments: &[(InstrumentId, String)],
        endpoints: &Endpoints,
    ) -> Vec<PlannedConn> {
        let per_conn =
            (MAX_CHANNELS_PER_CONNECTION / self.options.channels_per_instrument()).max(1);
        let book = self.options.book_channel.name();
        let indexed: Vec<(usize, &str)> = instruments
            .iter()
            .enumerate()
            .map(|(k, (_, s))| (k, s.as_str()))
            .collect();
        indexed
            .chunks(per_conn)
            .map(|chunk| {
                let mut streams = Vec::new();
                let mut args = Vec::new();
                for (_, inst) in chunk {
                    streams.push(format!("{book}:{inst}"));
                    args.push(self.arg(book, inst));
                    if self.options.trades {
                        streams.push(format!("trades:{inst}"));
                        args.push(self.arg("trades", inst));
                    }
                }
                PlannedConn {
                    base: endpoints.ws_book.clone(),
                    url: endpoints.ws_book.clone(),
                    streams,
                    books: chunk.iter().map(|(k, _)| *k).collect(),
                    subscribe: vec![Self::request("subscribe", &args)],
                    keep_alive: KeepAlive::Send {
                        every: self.options.ping_every,
                        message: "ping".to_owned(),
                    },
                }
            })
            .collect()
    }

    fn snapshots(&self) -> SnapshotSource {
        match (self.options.book_channel.incremental(), self.options.join) {
            (false, _) => SnapshotSource::Stream,
            (true, Join::Auto) => SnapshotSource::StreamOrRequest {
                wait: REST_JOIN_AFTER,
            },
            (true, Join::Rest) => SnapshotSource::Request,
        }
    }

    /// Unsubscribes and subscribes the book channel of `symbol` only (its trades go on).
    fn resubscribe(&self, symbol: &str) -> Vec<String> {
        let arg = [self.arg(self.options.book_channel.name(), symbol)];
        vec![
            Self::request("unsubscribe", &arg),
            Self::request("subscribe", &arg),
        ]
    }

    fn connection_spacing(&self) -> Duration {
        CONNECTION_SPACING
    }

    fn requests_per_hour(&self) -> Option<u32> {
        Some(self.options.requests_per_hour)
    }

    fn error_frame(&self, frame: &[u8]) -> Option<VenueMessage> {
        error_event(frame)
    }

    fn rest(&self, endpoints: &Endpoints) -> Result<RestClient, FeedError> {
        RestClient::new(endpoints)
    }
}

/// OKX's error event `{"event":"error","code":"60012","msg":".."}` (also
/// `channel-conn-count-error`). Its code is a string: read as a number when it is one, else 0
/// with the text kept in the message.
pub(crate) fn error_event(frame: &[u8]) -> Option<VenueMessage> {
    let v: serde_json::Value = serde_json::from_slice(frame).ok()?;
    match v.get("event")?.as_str()? {
        "error" | "channel-conn-count-error" => {}
        _ => return None,
    }
    Some(message(&v))
}

/// The `code` and `msg` of an OKX reply (codes are strings: `"51001"`).
pub(crate) fn message(v: &serde_json::Value) -> VenueMessage {
    let code = v.get("code");
    let text = code
        .and_then(|c| {
            c.as_str()
                .map(str::to_owned)
                .or_else(|| c.as_i64().map(|n| n.to_string()))
        })
        .unwrap_or_default();
    let msg = v
        .get("msg")
        .and_then(|m| m.as_str())
        .unwrap_or("")
        .to_owned();
    match text.parse::<i64>() {
        Ok(code) => VenueMessage { code, msg },
        Err(_) if text.is_empty() => VenueMessage { code: 0, msg },
        Err(_) => VenueMessage {
            code: 0,
            msg: format!("{text}: {msg}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instruments(n: usize) -> Vec<(InstrumentId, String)> {
        (0..n)
            .map(|k| (InstrumentId::new(k as u32), format!("C{k}-USDT")))
            .collect()
    }

    fn endpoints() -> Endpoints {
        super::super::endpoints::production()
    }

    #[test]
    fn plan_subscribes_books_and_trades_in_one_request_with_a_text_ping() {
        let live = Live::new(LiveOptions::default());
        let conns = live.connections(&[(InstrumentId::new(0), "BTC-USDT".into())], &endpoints());
        assert_eq!(conns.len(), 1);
        let c = &conns[0];
        assert_eq!(c.url, "wss://ws.okx.com:8443/ws/v5/public");
        assert_eq!(
            c.subscribe,
            [
                r#"{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"},{"channel":"trades","instId":"BTC-USDT"}]}"#
            ]
        );
        assert_eq!(c.streams, ["books:BTC-USDT", "trades:BTC-USDT"]);
        assert_eq!(c.books, [0]);
        assert_eq!(
            c.keep_alive,
            KeepAlive::Send {
                every: PING_EVERY,
                message: "ping".into()
            }
        );
        assert!(PING_EVERY < Duration::from_secs(30));
    }

    #[rstest::rstest]
    #[case::with_trades(true, 30, vec![14, 14, 2])]
    #[case::books_only(false, 30, vec![28, 2])]
    #[case::one(true, 1, vec![1])]
    fn plan_splits_instruments_under_the_channel_cap(
        #[case] trades: bool,
        #[case] n: usize,
        #[case] want: Vec<usize>,
    ) {
        let live = Live::new(LiveOptions {
            trades,
            ..LiveOptions::default()
        });
        let conns = live.connections(&instruments(n), &endpoints());
        let sizes: Vec<usize> = conns.iter().map(|c| c.books.len()).collect();
        assert_eq!(sizes, want);
        for c in &conns {
            assert!(
                c.streams.len() <= MAX_CHANNELS_PER_CONNECTION,
                "{:?}",
                c.streams
            );
        }
        let carried: Vec<usize> = conns.iter().flat_map(|c| c.books.clone()).collect();
        assert_eq!(carried, (0..n).collect::<Vec<_>>(), "each once, in order");
    }

    #[test]
    fn resubscribe_names_the_one_book_channel() {
        let live = Live::new(LiveOptions {
            book_channel: BookChannel::Books5,
            ..LiveOptions::default()
        });
        assert_eq!(
            live.resubscribe("ETH-USDT-SWAP"),
            [
                r#"{"op":"unsubscribe","args":[{"channel":"books5","instId":"ETH-USDT-SWAP"}]}"#,
                r#"{"op":"subscribe","args":[{"channel":"books5","instId":"ETH-USDT-SWAP"}]}"#
            ]
        );
    }

    #[rstest::rstest]
    #[case::books_auto(BookChannel::Books, Join::Auto, SnapshotSource::StreamOrRequest { wait: REST_JOIN_AFTER })]
    #[case::books_rest(BookChannel::Books, Join::Rest, SnapshotSource::Request)]
    #[case::books5(BookChannel::Books5, Join::Auto, SnapshotSource::Stream)]
    #[case::bbo(BookChannel::BboTbt, Join::Auto, SnapshotSource::Stream)]
    fn snapshots_follow_channel_and_join(
        #[case] book_channel: BookChannel,
        #[case] join: Join,
        #[case] want: SnapshotSource,
    ) {
        let live = Live::new(LiveOptions {
            book_channel,
            join,
            ..LiveOptions::default()
        });
        assert_eq!(live.snapshots(), want);
    }

    #[rstest::rstest]
    #[case::defaults(LiveOptions::default(), None)]
    #[case::bbo(LiveOptions { book_channel: BookChannel::BboTbt, ..LiveOptions::default() }, None)]
    #[case::requests_over_the_cap(
        LiveOptions { requests_per_hour: 481, ..LiveOptions::default() },
        Some("requests_per_hour 481 is not within 3..=480")
    )]
    #[case::ping_at_30s(
        LiveOptions { ping_every: Duration::from_secs(30), ..LiveOptions::default() },
        Some("ping_every 30000 ms is not under okx's 30 s idle limit")
    )]
    #[case::l2_tbt(
        LiveOptions { book_channel: BookChannel::BooksL2Tbt, ..LiveOptions::default() },
        Some("book_channel books-l2-tbt needs an okx login (VIP6 account or above), which ladder does not do; use books, books5 or bbo-tbt")
    )]
    #[case::l2_tbt_50(
        LiveOptions { book_channel: BookChannel::Books50L2Tbt, ..LiveOptions::default() },
        Some("book_channel books50-l2-tbt needs an okx login (VIP5 account or above)")
    )]
    #[case::rest_join_of_full_images(
        LiveOptions { book_channel: BookChannel::Books5, join: Join::Rest, ..LiveOptions::default() },
        Some("join = \"rest\" applies to the incremental book channels; books5 pushes a full image every time")
    )]
    fn options_refuse_login_channels_and_pointless_joins(
        #[case] options: LiveOptions,
        #[case] want: Option<&str>,
    ) {
        match (options.validate(), want) {
            (Ok(()), None) => {}
            (Err(e), Some(want)) => assert!(e.to_string().contains(want), "{e}"),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn names_parse_and_unknown_ones_list_the_choices() {
        for c in BookChannel::ALL {
            assert_eq!(c.name().parse::<BookChannel>(), Ok(c));
        }
        let e = "books400".parse::<BookChannel>().unwrap_err();
        assert_eq!(
            e,
            "\"books400\" is not an okx book channel; expected one of books, books5, bbo-tbt, \
             books50-l2-tbt, books-l2-tbt"
        );
        assert_eq!("rest".parse::<Join>(), Ok(Join::Rest));
        assert!("stream".parse::<Join>().is_err());
    }

    #[rstest::rstest]
    #[case::error(r#"{"event":"error","code":"60012","msg":"Invalid request: {\"op\": \"subscribe\"}","connId":"a"}"#, Some((60012, "Invalid request: {\"op\": \"subscribe\"}")))]
    #[case::conn_count(r#"{"event":"channel-conn-count-error","channel":"books","connCount":"30","code":"60030","msg":"too many"}"#, Some((60030, "too many")))]
    #[case::text_code(r#"{"event":"error","code":"x1","msg":"odd"}"#, Some((0, "x1: odd")))]
    #[case::subscribe_ack(
        r#"{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"a"}"#,
        None
    )]
    #[case::data(r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"data":[]}"#, None)]
    #[case::not_json("pong", None)]
    fn error_events_give_code_and_message(#[case] frame: &str, #[case] want: Option<(i64, &str)>) {
        let got = error_event(frame.as_bytes());
        assert_eq!(
            got.as_ref().map(|m| (m.code, m.msg.as_str())),
            want,
            "{frame}"
        );
    }
}
