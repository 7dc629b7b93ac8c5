//! Kraken REST ([`LiveRest`]): instrument specs from `GET /0/public/AssetPairs`
//! (<https://docs.kraken.com/api/docs/rest-api/get-tradable-asset-pairs>), one request for all
//! the feed's symbols.
//!
//! ```json
//! {"error":[],"result":{"XXBTZUSD":{"altname":"XBTUSD","wsname":"XBT/USD","base":"XXBT",
//!  "quote":"ZUSD","pair_decimals":1,"cost_decimals":5,"lot_decimals":8,"ordermin":"0.0001",
//!  "tick_size":"0.1","status":"online"}}}
//! ```
//!
//! The tick is `tick_size` (else `10^-pair_decimals`), the lot `10^-lot_decimals`; a pair is
//! found by its `wsname` in the v2 spelling (`XBT/USD` is `BTC/USD`, `XDG` is `DOGE`). The
//! whole list is asked (one body of a few hundred kB) because the endpoint's `pair` parameter
//! takes Kraken's own names (`XBTUSD`), which a v2 symbol is not.
//!
//! Why REST rather than the v2 `instrument` channel: specs are needed before the feed starts
//! (`ladder paper` and `ladder record` build their registry from them, as for every venue), and
//! a plain request needs no WebSocket session. The checksum's precision (`pair_decimals`,
//! `lot_decimals`) is the grid's here, and the books follow the decimals the venue writes on the
//! wire anyway ([`Render`](super::checksum::Render)).
//!
//! Errors come as `{"error":["EQuery:Unknown asset pair"],"result":{}}`: a non-empty `error` is
//! an error naming the URL. A symbol Kraken does not list is [`FeedError::UnknownSymbol`]. Book
//! snapshots come in the stream: [`LiveRest::snapshot`] is never asked of Kraken and says so if
//! it is.

use super::decode::v2_spelling;
use crate::clock::Clock;
use crate::feed::Venue;
use crate::feed::live::http::{self, client};
use crate::feed::live::{Endpoints, FeedError, LiveRest, RestBody, VenueMessage};
use ladder_sdk::InstrumentSpec;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::HashMap;
use std::str::FromStr;

/// Largest AssetPairs body accepted (the whole list is about 600 kB).
pub const MAX_ASSET_PAIRS_BODY_BYTES: usize = 8 << 20;

/// The path of the instruments endpoint.
pub const ASSET_PAIRS: &str = "/0/public/AssetPairs";

/// A Kraken REST client.
#[derive(Debug)]
pub struct RestClient {
    http: reqwest::Client,
    base: String,
    clock: Clock,
}

impl RestClient {
    /// A client for `endpoints.rest`.
    ///
    /// # Errors
    /// [`FeedError::Config`] when the HTTP client cannot be built.
    pub fn new(endpoints: &Endpoints) -> Result<Self, FeedError> {
        Ok(Self {
            http: client()?,
            base: endpoints.rest_base().to_owned(),
            clock: Clock::live(),
        })
    }

    /// The AssetPairs URL.
    pub fn asset_pairs_url(&self) -> String {
        format!("{}{ASSET_PAIRS}", self.base)
    }

    /// Tick and lot sizes of `symbols`, in the order given, each in the v2 spelling.
    ///
    /// # Errors
    /// [`FeedError::UnknownSymbol`], the venue's refusal, a malformed body, or the request's
    /// failure.
    pub async fn specs(
        &mut self,
        symbols: &[String],
    ) -> Result<Vec<(String, InstrumentSpec)>, FeedError> {
        let url = self.asset_pairs_url();
        let body = http::get(
            &self.http,
            &self.clock,
            &url,
            MAX_ASSET_PAIRS_BODY_BYTES,
            venue_error,
        )
        .await?;
        specs_of(symbols, &url, &body.body)
    }
}

/// The first of a body's `error` texts, if it has any.
fn venue_error(body: &[u8]) -> Option<VenueMessage> {
    let reply: Reply = serde_json::from_slice(body).ok()?;
    reply
        .error
        .into_iter()
        .next()
        .map(|msg| VenueMessage { code: 0, msg })
}

#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    error: Vec<String>,
    #[serde(default)]
    result: HashMap<String, Pair>,
}

#[derive(Deserialize)]
struct Pair {
    #[serde(default)]
    wsname: Option<String>,
    pair_decimals: u32,
    lot_decimals: u32,
    #[serde(default)]
    tick_size: Option<String>,
}

impl Pair {
    fn spec(&self) -> Result<InstrumentSpec, String> {
        let power = |name: &str, d: u32| {
            if d > 28 {
                return Err(format!("{name} {d} is above 28"));
            }
            Ok(Decimal::new(1, d))
        };
        let tick = match &self.tick_size {
            Some(t) => Decimal::from_str(t)
                .map(|d| d.normalize())
                .map_err(|e| format!("tick_size {t:?}: {e}"))?,
            None => power("pair_decimals", self.pair_decimals)?,
        };
        let lot = power("lot_decimals", self.lot_decimals)?;
        InstrumentSpec::new(tick, lot).map_err(|e| e.to_string())
    }
}

/// A pair name in the v2 spelling, upper case.
fn v2_name(name: &str) -> String {
    let upper = name.to_ascii_uppercase();
    let mut buf = [0u8; 64];
    match v2_spelling(upper.as_bytes(), &mut buf) {
        Some(v2) => String::from_utf8_lossy(v2).into_owned(),
        None => upper,
    }
}

/// The specs of `symbols` in an AssetPairs body read from `url`.
fn specs_of(
    symbols: &[String],
    url: &str,
    body: &[u8],
) -> Result<Vec<(String, InstrumentSpec)>, FeedError> {
    let bad = |detail: String| FeedError::BadResponse {
        url: url.to_owned(),
        detail,
    };
    let reply: Reply = serde_json::from_slice(body).map_err(|e| bad(format!("AssetPairs: {e}")))?;
    if let Some(msg) = reply.error.into_iter().next() {
        return Err(FeedError::Http {
            url: url.to_owned(),
            status: 200,
            venue: Some(VenueMessage { code: 0, msg }),
        });
    }
    let by_name: HashMap<String, &Pair> = reply
        .result
        .values()
        .filter_map(|p| Some((v2_name(p.wsname.as_deref()?), p)))
        .collect();
    symbols
        .iter()
        .map(|s| {
            let name = v2_name(s);
            let pair = by_name.get(&name).ok_or_else(|| FeedError::UnknownSymbol {
                venue: Venue::Kraken,
                symbol: name.clone(),
                url: url.to_owned(),
            })?;
            let spec = pair.spec().map_err(|d| bad(format!("{name}: {d}")))?;
            Ok((name, spec))
        })
        .collect()
}

impl LiveRest for RestClient {
    fn snapshot_url(&self, symbol: &str) -> String {
        format!(
            "{} (the first message of the {symbol} book subscription)",
            self.base
        )
    }

    async fn snapshot(&mut self, symbol: &str) -> Result<RestBody, FeedError> {
        Err(FeedError::Config(format!(
            "kraken sends the {symbol} book snapshot in the stream; none is fetched over rest"
        )))
    }

    fn instruments(
        &mut self,
        symbols: &[String],
    ) -> impl std::future::Future<Output = Result<Vec<(String, InstrumentSpec)>, FeedError>> + Send
    {
        self.specs(symbols)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"error":[],"result":{
        "XXBTZUSD":{"altname":"XBTUSD","wsname":"XBT/USD","pair_decimals":1,"lot_decimals":8,"ordermin":"0.0001","tick_size":"0.1","status":"online"},
        "XETHZUSD":{"altname":"ETHUSD","wsname":"ETH/USD","pair_decimals":2,"lot_decimals":8,"tick_size":"0.01"},
        "XDGUSD":{"altname":"XDGUSD","wsname":"XDG/USD","pair_decimals":7,"lot_decimals":8},
        "ZEUSZUSD.d":{"altname":"ZEUSZUSD.d","pair_decimals":5,"lot_decimals":8}}}"#;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn specs_match_v2_symbols_to_wsnames_in_the_order_asked() {
        let symbols = ["ETH/USD", "btc/usd", "DOGE/USD"].map(String::from);
        let got = specs_of(&symbols, "u", BODY.as_bytes()).unwrap();
        let got: Vec<(&str, Decimal, Decimal)> = got
            .iter()
            .map(|(s, spec)| (s.as_str(), spec.tick_size(), spec.lot_size()))
            .collect();
        assert_eq!(
            got,
            [
                ("ETH/USD", dec("0.01"), dec("0.00000001")),
                ("BTC/USD", dec("0.1"), dec("0.00000001")),
                ("DOGE/USD", dec("0.0000001"), dec("0.00000001")),
            ]
        );
    }

    #[test]
    fn an_unlisted_symbol_is_unknown_naming_it_and_the_url() {
        let e = specs_of(
            &["XYZ/USD".into()],
            "http://h/0/public/AssetPairs",
            BODY.as_bytes(),
        )
        .unwrap_err();
        assert!(
            matches!(&e, FeedError::UnknownSymbol { symbol, url, .. }
                if symbol == "XYZ/USD" && url == "http://h/0/public/AssetPairs"),
            "{e:?}"
        );
    }

    #[rstest::rstest]
    #[case::venue_error(
        r#"{"error":["EGeneral:Too many requests"],"result":{}}"#,
        "EGeneral:Too many requests"
    )]
    #[case::not_json("<html>", "AssetPairs: expected value")]
    #[case::bad_tick(
        r#"{"error":[],"result":{"X":{"wsname":"BTC/USD","pair_decimals":1,"lot_decimals":8,"tick_size":"zero"}}}"#,
        "BTC/USD: tick_size \"zero\""
    )]
    fn bad_bodies_are_one_error_naming_the_url(#[case] body: &str, #[case] want: &str) {
        let e = specs_of(
            &["BTC/USD".into()],
            "http://h/0/public/AssetPairs",
            body.as_bytes(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains(want) && e.contains("http://h/0/public/AssetPairs"),
            "{e}"
        );
    }

    #[test]
    fn venue_error_reads_the_first_error_text() {
        let m = venue_error(br#"{"error":["EAPI:Rate limit exceeded"]}"#).unwrap();
        assert_eq!(m.msg, "EAPI:Rate limit exceeded");
        assert!(venue_error(br#"{"error":[],"result":{}}"#).is_none());
    }
}
