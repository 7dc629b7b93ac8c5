//! Coinbase Advanced Trade's live side ([`LiveVenue`], `docs/venues.md` §6.1 and §12): the
//! public market-data WebSocket (`wss://advanced-trade-ws.coinbase.com`), one channel per
//! subscribe message — `level2`, `market_trades` and `heartbeats`, each for every product of
//! the feed — the snapshot first on every `level2` subscription ([`SnapshotSource::Stream`]),
//! a resync by unsubscribing and subscribing one product's `level2`, and the venue's refusals
//! `{"type":"error","message":".."}` as errors.
//!
//! **One connection.** `sequence_num` is one counter per connection over every channel, and
//! the venue's books ([`super::Books`]) follow one connection's count: every product rides on
//! the one connection this plans. A break of the count is a fault of every book on it (the
//! books report it as `Frame { instrument: None, fault }`): the live core marks each stale and
//! resubscribes each one's `level2`; the count goes on from the number that broke it (the
//! venue keeps counting across resubscriptions), and a new connection starts it afresh.
//!
//! **Large frames.** A BTC-USD snapshot is one 5 MB frame (46,000 levels): a connection reads
//! messages up to [`MAX_MESSAGE_BYTES`] (16 MiB; other venues 8 MiB).
//!
//! **Keep-alive.** The venue closes channels idle for 60–90 s: `heartbeats` (one frame a
//! second) keeps the connection open and feeds the watchdog. The client sends no ping of its
//! own; the venue's pings are answered.
//!
//! **`-USDC` products** are served as the `-USD` book (§12): a `BTC-USDC` feed subscribes
//! `BTC-USDC` and its `BTC-USD` messages build the `coinbase:BTC-USDC` book (the decoder's
//! mapping, [`super::decode`]). A feed of both `BTC-USD` and `BTC-USDC` would get one stream
//! for two books and is refused ([`check_symbols`]).
//!
//! **Authentication** is optional ([`super::auth`]): with credentials every subscription
//! carries a fresh ES256 JWT, signed when the frame is sent (the venue's JWTs live 2 minutes,
//! so a reconnect signs anew) and never logged.

use super::Books;
use super::auth::Credentials;
use super::rest::RestClient;
use crate::feed::Venue;
use crate::feed::live::{
    Endpoints, FeedError, FrameSigner, KeepAlive, LiveVenue, PlannedConn, SnapshotSource,
    VenueMessage,
};
use crate::instrument::Registry;
use ladder_sdk::InstrumentId;
use serde::Deserialize;
use std::sync::Arc;

/// The channels subscribed for every product, one subscribe message each, in this order.
pub const CHANNELS: [&str; 3] = ["level2", "market_trades", "heartbeats"];

/// The largest message a connection reads: 16 MiB, three times the largest seen (BTC-USD's
/// snapshot, one 5,079,379-byte frame of 46,000 levels; `docs/venues.md` §12), since a
/// snapshot grows with the book.
pub const MAX_MESSAGE_BYTES: usize = 16 << 20;

/// Messages a connection sends per second at most: the venue's limit of unauthenticated
/// messages per IP (`docs/venues.md` §6.1). A connection-wide gap resubscribes every product
/// (two messages each): the live core spaces them within this.
pub const MAX_MESSAGES_PER_SECOND: u32 = 8;

/// Coinbase Advanced Trade's live feed settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveOptions {
    /// API credentials that sign each subscription with a JWT; `None`: unauthenticated (the
    /// market-data channels need no auth). [`LiveOptions::from_env`] reads them.
    pub credentials: Option<Credentials>,
    /// Why the environment's credentials could not be read ([`LiveOptions::from_env_checked`]),
    /// reported by [`LiveOptions::validate`].
    env_error: Option<String>,
}

impl LiveOptions {
    /// The options with credentials from `COINBASE_API_KEY` / `COINBASE_API_SECRET` when both
    /// are set ([`Credentials::from_env`]).
    ///
    /// # Errors
    /// [`FeedError::Config`] naming the variable when one is set without the other or the
    /// secret is not an EC P-256 private key.
    pub fn from_env() -> Result<Self, FeedError> {
        Ok(Self {
            credentials: Credentials::from_env()?,
            env_error: None,
        })
    }

    /// Options that sign every subscription with `credentials`.
    pub fn authenticated(credentials: Credentials) -> Self {
        Self {
            credentials: Some(credentials),
            env_error: None,
        }
    }

    /// [`LiveOptions::from_env`], its error kept for [`LiveOptions::validate`] (the venue's
    /// defaults cannot fail; starting a feed with them does).
    pub fn from_env_checked() -> Self {
        Self::from_env().unwrap_or_else(|e| Self {
            credentials: None,
            env_error: Some(match e {
                FeedError::Config(m) => m,
                other => other.to_string(),
            }),
        })
    }

    /// Checks the options: credentials from the environment that could not be read are an
    /// error here, never a silent fall back to no authentication.
    ///
    /// # Errors
    /// [`FeedError::Config`] naming the environment variable.
    pub fn validate(&self) -> Result<(), FeedError> {
        match &self.env_error {
            Some(e) => Err(FeedError::Config(e.clone())),
            None => Ok(()),
        }
    }
}

/// Refuses a feed that names a `-USD` product and its `-USDC` twin: the venue serves both as
/// one `-USD` stream, so one of the two books would never sync.
///
/// # Errors
/// [`FeedError::Config`] naming both symbols.
pub fn check_symbols(symbols: &[String]) -> Result<(), FeedError> {
    for s in symbols {
        let upper = s.to_ascii_uppercase();
        let Some(base) = upper.strip_suffix("-USDC") else {
            continue;
        };
        let usd = format!("{base}-USD");
        if symbols.iter().any(|o| o.eq_ignore_ascii_case(&usd)) {
            return Err(FeedError::Config(format!(
                "coinbase serves {upper} as the {usd} book: subscribe one of {usd} and {upper}, \
                 not both"
            )));
        }
    }
    Ok(())
}

/// Coinbase Advanced Trade's [`LiveVenue`].
#[derive(Debug, Clone)]
pub struct Live {
    options: LiveOptions,
}

impl Live {
    /// The live side with `options`.
    pub fn new(options: LiveOptions) -> Self {
        Self { options }
    }
}

/// A subscribe or unsubscribe message of one channel:
/// `{"type":"subscribe","product_ids":["BTC-USD"],"channel":"level2"}`.
pub fn request(kind: &str, channel: &str, products: &[&str]) -> String {
    serde_json::json!({ "type": kind, "product_ids": products, "channel": channel }).to_string()
}

impl LiveVenue for Live {
    type Books = Books;
    type Rest = RestClient;

    fn venue(&self) -> Venue {
        Venue::Coinbase
    }

    fn books(&self, registry: &Registry) -> Books {
        Books::new(Venue::Coinbase, registry)
    }

    /// Every product on one connection (one `sequence_num` count for the venue's books), one
    /// subscribe message per channel.
    fn connections(
        &self,
        instruments: &[(InstrumentId, String)],
        endpoints: &Endpoints,
    ) -> Vec<PlannedConn> {
        let products: Vec<&str> = instruments.iter().map(|(_, s)| s.as_str()).collect();
        let streams = CHANNELS
            .iter()
            .flat_map(|c| products.iter().map(move |p| format!("{c}:{p}")))
            .collect();
        vec![PlannedConn {
            base: endpoints.ws_book.clone(),
            url: endpoints.ws_book.clone(),
            streams,
            books: (0..instruments.len()).collect(),
            subscribe: CHANNELS
                .iter()
                .map(|c| request("subscribe", c, &products))
                .collect(),
            keep_alive: KeepAlive::AnswerPings,
        }]
    }

    fn snapshots(&self) -> SnapshotSource {
        SnapshotSource::Stream
    }

    /// Unsubscribe, then subscribe, the product's `level2`: the venue answers with a snapshot.
    fn resubscribe(&self, symbol: &str) -> Vec<String> {
        vec![
            request("unsubscribe", "level2", &[symbol]),
            request("subscribe", "level2", &[symbol]),
        ]
    }

    fn requests_per_second(&self) -> Option<u32> {
        Some(MAX_MESSAGES_PER_SECOND)
    }

    fn max_message_bytes(&self) -> usize {
        MAX_MESSAGE_BYTES
    }

    fn signer(&self) -> Option<Arc<dyn FrameSigner>> {
        self.options
            .credentials
            .clone()
            .map(|c| Arc::new(c) as Arc<dyn FrameSigner>)
    }

    fn error_frame(&self, frame: &[u8]) -> Option<VenueMessage> {
        refusal(frame)
    }

    fn rest(&self, endpoints: &Endpoints) -> Result<RestClient, FeedError> {
        RestClient::new(endpoints)
    }
}

/// `{"type":"error","message":"failure to subscribe"}`.
#[derive(Deserialize)]
struct ErrorReply {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    reason: String,
}

/// The venue's error reply, its message (and reason, when it gives one).
pub(crate) fn refusal(frame: &[u8]) -> Option<VenueMessage> {
    let r: ErrorReply = serde_json::from_slice(frame).ok()?;
    if r.kind != "error" {
        return None;
    }
    let msg = if r.reason.is_empty() {
        r.message
    } else {
        format!("{}: {}", r.message, r.reason)
    };
    Some(VenueMessage { code: 0, msg })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::live::planned_one;

    fn json(frame: &str) -> serde_json::Value {
        serde_json::from_str(frame).unwrap()
    }

    #[test]
    fn plan_is_one_connection_with_one_subscribe_per_channel_and_no_ping() {
        let live = Live::new(LiveOptions::default());
        let c = planned_one(&live, &["BTC-USD", "ETH-USD"]);
        assert_eq!(c.url, "wss://advanced-trade-ws.coinbase.com");
        assert_eq!(c.books, [0, 1]);
        let sent: Vec<(String, String, Vec<String>)> = c
            .subscribe
            .iter()
            .map(|f| {
                let v = json(f);
                let products = v["product_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap().to_owned())
                    .collect();
                (
                    v["type"].as_str().unwrap().to_owned(),
                    v["channel"].as_str().unwrap().to_owned(),
                    products,
                )
            })
            .collect();
        let both = vec!["BTC-USD".to_owned(), "ETH-USD".to_owned()];
        assert_eq!(
            sent,
            [
                ("subscribe".into(), "level2".into(), both.clone()),
                ("subscribe".into(), "market_trades".into(), both.clone()),
                ("subscribe".into(), "heartbeats".into(), both),
            ]
        );
        assert!(
            c.subscribe.iter().all(|f| !f.contains("jwt")),
            "no jwt without credentials"
        );
        assert_eq!(c.keep_alive, KeepAlive::AnswerPings);
        assert_eq!(c.streams.len(), 6);
        assert!(live.signer().is_none());
    }

    #[test]
    fn resubscribe_unsubscribes_then_subscribes_the_one_level2() {
        let frames = Live::new(LiveOptions::default()).resubscribe("ETH-USD");
        let got: Vec<(String, String, String)> = frames
            .iter()
            .map(|f| {
                let v = json(f);
                (
                    v["type"].as_str().unwrap().to_owned(),
                    v["channel"].as_str().unwrap().to_owned(),
                    v["product_ids"].to_string(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "unsubscribe".into(),
                    "level2".into(),
                    r#"["ETH-USD"]"#.into()
                ),
                ("subscribe".into(), "level2".into(), r#"["ETH-USD"]"#.into()),
            ]
        );
    }

    #[rstest::rstest]
    #[case::message(
        r#"{"type":"error","message":"failure to subscribe"}"#,
        Some("failure to subscribe")
    )]
    #[case::with_reason(
        r#"{"type":"error","message":"failure to subscribe","reason":"invalid product_id"}"#,
        Some("failure to subscribe: invalid product_id")
    )]
    #[case::data(r#"{"channel":"l2_data","sequence_num":1,"events":[]}"#, None)]
    #[case::not_json("<html>", None)]
    fn refusal_reads_the_venues_error_reply(#[case] frame: &str, #[case] want: Option<&str>) {
        let got = refusal(frame.as_bytes());
        assert_eq!(got.as_ref().map(|m| m.msg.as_str()), want);
    }

    #[rstest::rstest]
    #[case::usd_only(&["BTC-USD", "ETH-USD"], None)]
    #[case::usdc_only(&["BTC-USDC", "ETH-USD"], None)]
    #[case::both_twins(&["btc-usd", "ETH-USD", "BTC-USDC"], Some("coinbase serves BTC-USDC as the BTC-USD book: subscribe one of BTC-USD and BTC-USDC, not both"))]
    fn check_symbols_refuses_a_usd_product_with_its_usdc_twin(
        #[case] symbols: &[&str],
        #[case] want: Option<&str>,
    ) {
        let symbols: Vec<String> = symbols.iter().map(|s| (*s).to_owned()).collect();
        match (check_symbols(&symbols), want) {
            (Ok(()), None) => {}
            (Err(e), Some(w)) => {
                assert_eq!(e.to_string(), format!("invalid live feed config: {w}"))
            }
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }
}
