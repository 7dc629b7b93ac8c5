//! Coinbase Advanced Trade REST ([`LiveRest`]): instrument specs from the public market
//! products endpoint, `GET /api/v3/brokerage/market/products/{product_id}` (no auth; docs:
//! <https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/rest-api/public/get-public-product>),
//! one request per product.
//!
//! ```json
//! {"product_id":"BTC-USD","price":"65083.67","base_increment":"0.00000001",
//!  "quote_increment":"0.01","price_increment":"0.01","status":"online","product_type":"SPOT",
//!  "alias":"","alias_to":["BTC-USDC"], ...}
//! ```
//!
//! The tick is `price_increment` (the book's price grid), or `quote_increment` where a body
//! has no `price_increment` (the two are equal on spot products); the lot is
//! `base_increment`. Advanced Trade is chosen over the Exchange's `GET /products/{id}` because
//! it is the host of the feed's own venue (one `rest` endpoint in `[venue]`). A 404, or a 400
//! whose `error` is `NOT_FOUND` or `INVALID_ARGUMENT`, is [`FeedError::UnknownSymbol`]; other
//! statuses are errors naming the URL with the venue's `error`/`message`. Book snapshots come
//! in the stream: [`LiveRest::snapshot`] is never asked of Coinbase and says so if it is.

use crate::clock::Clock;
use crate::feed::Venue;
use crate::feed::live::http::{client, get};
use crate::feed::live::{Endpoints, FeedError, LiveRest, RestBody, VenueMessage};
use ladder_sdk::InstrumentSpec;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::str::FromStr;

/// Largest product body accepted (one product is about 2 kB).
pub const MAX_PRODUCT_BODY_BYTES: usize = 1 << 20;

/// A REST client for Coinbase Advanced Trade.
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

    /// The product URL of `symbol`.
    pub fn product_url(&self, symbol: &str) -> String {
        format!(
            "{}/api/v3/brokerage/market/products/{}",
            self.base,
            symbol.to_ascii_uppercase()
        )
    }

    /// Tick and lot sizes of `symbols`, in the order given.
    ///
    /// # Errors
    /// [`FeedError::UnknownSymbol`], the venue's refusal, a malformed body, or the request's
    /// failure.
    pub async fn products(
        &mut self,
        symbols: &[String],
    ) -> Result<Vec<(String, InstrumentSpec)>, FeedError> {
        let mut out = Vec::with_capacity(symbols.len());
        for s in symbols {
            let url = self.product_url(s);
            match get(
                &self.http,
                &self.clock,
                &url,
                MAX_PRODUCT_BODY_BYTES,
                message,
            )
            .await
            {
                Ok(body) => out.push(spec_of(&url, &body.body)?),
                Err(FeedError::Http { status, venue, .. }) if unknown(status, venue.as_ref()) => {
                    return Err(FeedError::UnknownSymbol {
                        venue: Venue::Coinbase,
                        symbol: s.to_ascii_uppercase(),
                        url,
                    });
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}

/// True for the answers that mean "no such product".
fn unknown(status: u16, venue: Option<&VenueMessage>) -> bool {
    status == 404
        || (status == 400
            && venue.is_some_and(|v| {
                v.msg.starts_with("NOT_FOUND") || v.msg.starts_with("INVALID_ARGUMENT")
            }))
}

/// An error body: `{"error":"NOT_FOUND","error_details":"..","message":".."}`.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    message: String,
}

/// The venue's error in a body: `error: message`.
fn message(body: &[u8]) -> Option<VenueMessage> {
    let e: ErrorBody = serde_json::from_slice(body).ok()?;
    if e.error.is_empty() && e.message.is_empty() {
        return None;
    }
    Some(VenueMessage {
        code: 0,
        msg: format!("{}: {}", e.error, e.message),
    })
}

#[derive(Deserialize)]
struct Product {
    product_id: String,
    #[serde(default)]
    price_increment: Option<String>,
    #[serde(default)]
    quote_increment: Option<String>,
    #[serde(default)]
    base_increment: Option<String>,
}

/// The spec of the product in a body read from `url`.
fn spec_of(url: &str, body: &[u8]) -> Result<(String, InstrumentSpec), FeedError> {
    let bad = |detail: String| FeedError::BadResponse {
        url: url.to_owned(),
        detail,
    };
    let p: Product = serde_json::from_slice(body).map_err(|e| bad(format!("product: {e}")))?;
    let decimal = |name: &str, text: Option<&String>| -> Result<Decimal, FeedError> {
        let text = text.ok_or_else(|| bad(format!("{}: no {name}", p.product_id)))?;
        Decimal::from_str(text)
            .map(|d| d.normalize())
            .map_err(|e| bad(format!("{}: {name} {text:?}: {e}", p.product_id)))
    };
    let tick = match &p.price_increment {
        Some(t) => decimal("price_increment", Some(t))?,
        None => decimal("quote_increment", p.quote_increment.as_ref())?,
    };
    let lot = decimal("base_increment", p.base_increment.as_ref())?;
    let spec = InstrumentSpec::new(tick, lot).map_err(|e| bad(format!("{}: {e}", p.product_id)))?;
    Ok((p.product_id.to_ascii_uppercase(), spec))
}

impl LiveRest for RestClient {
    fn snapshot_url(&self, symbol: &str) -> String {
        format!(
            "{} (coinbase sends {symbol}'s snapshots in the stream)",
            self.base
        )
    }

    /// Never asked: Coinbase's snapshots come in the stream ([`super::Live`] says
    /// `SnapshotSource::Stream`).
    async fn snapshot(&mut self, symbol: &str) -> Result<RestBody, FeedError> {
        Err(FeedError::Config(format!(
            "coinbase has no REST book snapshot for {symbol}: its snapshots come in the stream"
        )))
    }

    async fn instruments(
        &mut self,
        symbols: &[String],
    ) -> Result<Vec<(String, InstrumentSpec)>, FeedError> {
        self.products(symbols).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://api.coinbase.com/api/v3/brokerage/market/products/BTC-USD";
    const BTC: &str = r#"{"product_id":"BTC-USD","price":"65083.67","price_percentage_change_24h":"0.1","volume_24h":"2867.5","base_increment":"0.00000001","quote_increment":"0.01","quote_min_size":"1","base_min_size":"0.00000001","status":"online","product_type":"SPOT","price_increment":"0.01","alias":"","alias_to":["BTC-USDC"]}"#;

    #[rstest::rstest]
    #[case::price_increment(BTC, "BTC-USD", "0.01", "0.00000001")]
    #[case::quote_increment_without_price_increment(
        r#"{"product_id":"shib-usd","base_increment":"1","quote_increment":"0.00000001"}"#,
        "SHIB-USD",
        "0.00000001",
        "1"
    )]
    fn product_gives_tick_and_lot(
        #[case] body: &str,
        #[case] symbol: &str,
        #[case] tick: &str,
        #[case] lot: &str,
    ) {
        let (got, spec) = spec_of(URL, body.as_bytes()).unwrap();
        assert_eq!(got, symbol);
        assert_eq!(spec.tick_size(), Decimal::from_str(tick).unwrap());
        assert_eq!(spec.lot_size(), Decimal::from_str(lot).unwrap());
    }

    #[rstest::rstest]
    #[case::no_base_increment(
        r#"{"product_id":"BTC-USD","price_increment":"0.01"}"#,
        "BTC-USD: no base_increment"
    )]
    #[case::bad_increment(
        r#"{"product_id":"BTC-USD","price_increment":"x","base_increment":"1"}"#,
        "BTC-USD: price_increment \"x\""
    )]
    #[case::not_json("<html>", "malformed response from https://api.coinbase.com")]
    fn product_errors_name_the_url_or_field(#[case] body: &str, #[case] want: &str) {
        let e = spec_of(URL, body.as_bytes()).unwrap_err();
        assert!(e.to_string().contains(want), "{e}");
    }

    #[rstest::rstest]
    #[case::not_found_404(404, None, true)]
    #[case::not_found_400(400, Some("NOT_FOUND: product not found"), true)]
    #[case::invalid_argument(400, Some("INVALID_ARGUMENT: valid product_id is required"), true)]
    #[case::server_error(500, Some("INTERNAL: boom"), false)]
    #[case::other_400(400, Some("PERMISSION_DENIED: x"), false)]
    fn unknown_is_404_or_a_not_found_400(
        #[case] status: u16,
        #[case] msg: Option<&str>,
        #[case] want: bool,
    ) {
        let v = msg.map(|m| VenueMessage {
            code: 0,
            msg: m.to_owned(),
        });
        assert_eq!(unknown(status, v.as_ref()), want);
    }

    #[test]
    fn error_body_reads_error_and_message() {
        let m =
            message(br#"{"error":"NOT_FOUND","error_details":"x","message":"product not found"}"#);
        assert_eq!(m.unwrap().msg, "NOT_FOUND: product not found");
        assert!(message(b"<html>").is_none());
    }

    #[tokio::test]
    async fn snapshot_is_refused_with_a_clear_error() {
        let mut rest = RestClient::new(&Endpoints::production(Venue::Coinbase)).unwrap();
        let e = rest.snapshot("BTC-USD").await.unwrap_err().to_string();
        assert!(e.contains("snapshots come in the stream"), "{e}");
    }
}
