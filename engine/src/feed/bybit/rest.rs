//! Bybit REST ([`LiveRest`]): instrument specs from `GET /v5/market/instruments-info`
//! (<https://bybit-exchange.github.io/docs/v5/market/instrument>), one request per symbol.
//!
//! ```json
//! {"retCode":0,"retMsg":"OK","result":{"category":"linear","list":[{"symbol":"BTCUSDT",
//!  "status":"Trading","priceFilter":{"minPrice":"0.10","maxPrice":"1999999.80","tickSize":"0.10"},
//!  "lotSizeFilter":{"maxOrderQty":"1190.000","minOrderQty":"0.001","qtyStep":"0.001"}}],
//!  "nextPageCursor":""},"time":1672712468011}
//! ```
//!
//! The tick is `priceFilter.tickSize`; the lot is `lotSizeFilter.qtyStep` on linear and inverse,
//! and `lotSizeFilter.basePrecision` on spot (the precision of the book's sizes; spot lists no
//! `qtyStep`). A `retCode` other than 0 is an error naming the URL; an empty list is
//! [`FeedError::UnknownSymbol`]. Book snapshots come in the stream: [`LiveRest::snapshot`] is
//! never asked of Bybit and says so if it is.

use crate::clock::Clock;
use crate::feed::Venue;
use crate::feed::live::http::{self, client};
use crate::feed::live::{Endpoints, FeedError, LiveRest, RestBody, VenueMessage};
use ladder_sdk::InstrumentSpec;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::str::FromStr;

/// Largest instruments-info body accepted (one symbol's entry is about 1 kB).
pub const MAX_INSTRUMENTS_BODY_BYTES: usize = 1 << 20;

/// A REST client for one Bybit venue.
#[derive(Debug)]
pub struct RestClient {
    http: reqwest::Client,
    venue: Venue,
    base: String,
    clock: Clock,
}

impl RestClient {
    /// A client for `endpoints.rest`.
    ///
    /// # Errors
    /// [`FeedError::Config`] when the HTTP client cannot be built.
    pub fn new(venue: Venue, endpoints: &Endpoints) -> Result<Self, FeedError> {
        Ok(Self {
            http: client()?,
            venue,
            base: endpoints.rest_base().to_owned(),
            clock: Clock::live(),
        })
    }

    /// The `category` query value of the venue.
    fn category(&self) -> &'static str {
        match self.venue {
            Venue::BybitLinear => "linear",
            Venue::BybitInverse => "inverse",
            _ => "spot",
        }
    }

    /// The instruments-info URL of `symbol`.
    pub fn instruments_url(&self, symbol: &str) -> String {
        format!(
            "{}/v5/market/instruments-info?category={}&symbol={}",
            self.base,
            self.category(),
            symbol.to_ascii_uppercase()
        )
    }

    /// Tick and lot sizes of `symbols`, in the order given.
    ///
    /// # Errors
    /// [`FeedError::UnknownSymbol`], the venue's refusal, a malformed body, or the request's
    /// failure.
    pub async fn instruments_info(
        &mut self,
        symbols: &[String],
    ) -> Result<Vec<(String, InstrumentSpec)>, FeedError> {
        let mut out = Vec::with_capacity(symbols.len());
        for s in symbols {
            let url = self.instruments_url(s);
            let body = self.get(&url).await?;
            out.push(spec_of(self.venue, s, &url, &body.body)?);
        }
        Ok(out)
    }

    async fn get(&self, url: &str) -> Result<RestBody, FeedError> {
        http::get(
            &self.http,
            &self.clock,
            url,
            MAX_INSTRUMENTS_BODY_BYTES,
            |body| {
                serde_json::from_slice::<Envelope>(body)
                    .ok()
                    .map(|e| VenueMessage {
                        code: e.ret_code,
                        msg: e.ret_msg,
                    })
            },
        )
        .await
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "retCode")]
    ret_code: i64,
    #[serde(rename = "retMsg", default)]
    ret_msg: String,
}

#[derive(Deserialize)]
struct Info {
    #[serde(rename = "retCode")]
    ret_code: i64,
    #[serde(rename = "retMsg", default)]
    ret_msg: String,
    #[serde(default)]
    result: Option<InfoResult>,
}

#[derive(Deserialize)]
struct InfoResult {
    #[serde(default)]
    list: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    symbol: String,
    #[serde(rename = "priceFilter")]
    price_filter: PriceFilter,
    #[serde(rename = "lotSizeFilter")]
    lot_size_filter: LotSizeFilter,
}

#[derive(Deserialize)]
struct PriceFilter {
    #[serde(rename = "tickSize")]
    tick_size: String,
}

#[derive(Deserialize)]
struct LotSizeFilter {
    #[serde(rename = "qtyStep")]
    qty_step: Option<String>,
    #[serde(rename = "basePrecision")]
    base_precision: Option<String>,
}

/// The spec of `symbol` in an instruments-info body read from `url`.
fn spec_of(
    venue: Venue,
    symbol: &str,
    url: &str,
    body: &[u8],
) -> Result<(String, InstrumentSpec), FeedError> {
    let bad = |detail: String| FeedError::BadResponse {
        url: url.to_owned(),
        detail,
    };
    let info: Info =
        serde_json::from_slice(body).map_err(|e| bad(format!("instruments-info: {e}")))?;
    if info.ret_code != 0 {
        return Err(FeedError::Http {
            url: url.to_owned(),
            status: 200,
            venue: Some(VenueMessage {
                code: info.ret_code,
                msg: info.ret_msg,
            }),
        });
    }
    let entry = info
        .result
        .into_iter()
        .flat_map(|r| r.list)
        .find(|e| e.symbol.eq_ignore_ascii_case(symbol))
        .ok_or_else(|| FeedError::UnknownSymbol {
            venue,
            symbol: symbol.to_ascii_uppercase(),
            url: url.to_owned(),
        })?;
    let decimal = |name: &str, text: Option<&String>| -> Result<Decimal, FeedError> {
        let text = text.ok_or_else(|| bad(format!("{}: no {name}", entry.symbol)))?;
        Decimal::from_str(text)
            .map(|d| d.normalize())
            .map_err(|e| bad(format!("{}: {name} {text:?}: {e}", entry.symbol)))
    };
    let tick = decimal("priceFilter.tickSize", Some(&entry.price_filter.tick_size))?;
    let lots = &entry.lot_size_filter;
    let lot = match venue {
        Venue::BybitSpot => decimal(
            "lotSizeFilter.basePrecision",
            lots.base_precision.as_ref().or(lots.qty_step.as_ref()),
        )?,
        _ => decimal("lotSizeFilter.qtyStep", lots.qty_step.as_ref())?,
    };
    let spec = InstrumentSpec::new(tick, lot).map_err(|e| bad(format!("{}: {e}", entry.symbol)))?;
    Ok((entry.symbol.to_ascii_uppercase(), spec))
}

impl LiveRest for RestClient {
    fn snapshot_url(&self, symbol: &str) -> String {
        format!(
            "{} (bybit sends {symbol}'s snapshots in the stream)",
            self.base
        )
    }

    /// Never asked: Bybit's snapshots come in the stream ([`super::Live`] says
    /// `SnapshotSource::Stream`).
    async fn snapshot(&mut self, symbol: &str) -> Result<RestBody, FeedError> {
        Err(FeedError::Config(format!(
            "{} has no REST book snapshot for {symbol}: its snapshots come in the stream",
            self.venue
        )))
    }

    async fn instruments(
        &mut self,
        symbols: &[String],
    ) -> Result<Vec<(String, InstrumentSpec)>, FeedError> {
        self.instruments_info(symbols).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINEAR: &str = r#"{"retCode":0,"retMsg":"OK","result":{"category":"linear","list":[{"symbol":"BTCUSDT","contractType":"LinearPerpetual","status":"Trading","priceScale":"2","priceFilter":{"minPrice":"0.10","maxPrice":"1999999.80","tickSize":"0.10"},"lotSizeFilter":{"maxOrderQty":"1190.000","minOrderQty":"0.001","qtyStep":"0.001","postOnlyMaxOrderQty":"1190.000"}}],"nextPageCursor":""},"retExtInfo":{},"time":1672712468011}"#;
    const SPOT: &str = r#"{"retCode":0,"retMsg":"OK","result":{"category":"spot","list":[{"symbol":"BTCUSDT","baseCoin":"BTC","quoteCoin":"USDT","status":"Trading","lotSizeFilter":{"basePrecision":"0.000001","quotePrecision":"0.00000001","minOrderQty":"0.000048","maxOrderQty":"71.73956243","minOrderAmt":"1","maxOrderAmt":"2000000"},"priceFilter":{"tickSize":"0.01"}}]},"retExtInfo":{},"time":1672712468011}"#;
    const URL: &str =
        "https://api.bybit.com/v5/market/instruments-info?category=linear&symbol=BTCUSDT";

    #[rstest::rstest]
    #[case::linear_qty_step(Venue::BybitLinear, LINEAR, "0.1", "0.001")]
    #[case::spot_base_precision(Venue::BybitSpot, SPOT, "0.01", "0.000001")]
    fn instruments_info_gives_tick_and_lot(
        #[case] venue: Venue,
        #[case] body: &str,
        #[case] tick: &str,
        #[case] lot: &str,
    ) {
        let (symbol, spec) = spec_of(venue, "btcusdt", URL, body.as_bytes()).unwrap();
        assert_eq!(symbol, "BTCUSDT");
        assert_eq!(spec.tick_size(), Decimal::from_str(tick).unwrap());
        assert_eq!(spec.lot_size(), Decimal::from_str(lot).unwrap());
    }

    #[rstest::rstest]
    #[case::empty_list_is_unknown(
        r#"{"retCode":0,"retMsg":"OK","result":{"category":"linear","list":[]}}"#,
        "unknown symbol BTCUSDT on bybit-linear: https://api.bybit.com/v5/market/instruments-info?category=linear&symbol=BTCUSDT does not list it"
    )]
    #[case::ret_code(
        r#"{"retCode":10001,"retMsg":"params error: symbol invalid","result":{}}"#,
        "https://api.bybit.com/v5/market/instruments-info?category=linear&symbol=BTCUSDT answered http 200, code 10001: \"params error: symbol invalid\""
    )]
    #[case::no_qty_step(
        r#"{"retCode":0,"result":{"list":[{"symbol":"BTCUSDT","priceFilter":{"tickSize":"0.1"},"lotSizeFilter":{}}]}}"#,
        "BTCUSDT: no lotSizeFilter.qtyStep"
    )]
    #[case::not_json("<html>", "malformed response from https://api.bybit.com")]
    fn instruments_info_errors_name_the_url_or_field(#[case] body: &str, #[case] want: &str) {
        let e = spec_of(Venue::BybitLinear, "BTCUSDT", URL, body.as_bytes()).unwrap_err();
        assert!(e.to_string().contains(want), "{e}");
    }

    #[tokio::test]
    async fn snapshot_is_refused_with_a_clear_error() {
        let mut rest = RestClient::new(
            Venue::BybitSpot,
            &crate::feed::live::Endpoints::production(Venue::BybitSpot),
        )
        .unwrap();
        let e = rest.snapshot("BTCUSDT").await.unwrap_err().to_string();
        assert!(e.contains("snapshots come in the stream"), "{e}");
    }
}
