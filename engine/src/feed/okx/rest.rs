//! OKX REST ([`LiveRest`]): order-book snapshots for the REST join
//! (`GET /api/v5/market/books?instId=..&sz=400`) and tick and lot sizes from
//! `GET /api/v5/public/instruments?instType=..&instId=..` (`tickSz`, `lotSz`), the instrument
//! type read from the id's shape ([`inst_type`]). Docs:
//! <https://www.okx.com/docs-v5/en/#order-book-trading-market-data-get-order-book>,
//! `#public-data-rest-api-get-instruments`.
//!
//! OKX answers errors as `{"code":"51001","msg":"Instrument ID does not exist","data":[]}`,
//! with HTTP 200 or an error status: a `code` other than `"0"` is an error naming the URL, an
//! instrument the venue does not list is [`FeedError::UnknownSymbol`]. HTTP 429 is
//! [`FeedError::RateLimited`]. Instruments are asked one request each, spaced by
//! [`INSTRUMENTS_SPACING`] (OKX allows 20 per 2 s per IP).

use super::live::message;
use crate::clock::Clock;
use crate::feed::Venue;
use crate::feed::live::http::{self, client};
use crate::feed::live::{
    Endpoints, FeedError, LiveRest, MAX_SNAPSHOT_BODY_BYTES, RestBody, VenueMessage,
};
use ladder_sdk::InstrumentSpec;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

/// Largest instruments body accepted (one instrument's entry is under 2 kB).
pub const MAX_INSTRUMENTS_BODY_BYTES: usize = 1 << 20;

/// Time between two instruments requests.
pub const INSTRUMENTS_SPACING: Duration = Duration::from_millis(110);

/// OKX's "Instrument ID does not exist" (51001) and "Parameter instId error" (51000, what an id
/// of no listed family gets): both mean the venue does not list the id asked for.
const UNKNOWN_INSTRUMENT: [i64; 2] = [51001, 51000];

/// The `instType` of an instrument id: `BTC-USDT` spot, `BTC-USDT-SWAP` a swap,
/// `BTC-USD-250328` a dated future, `BTC-USD-250328-60000-C` an option; `None` for another
/// shape.
pub fn inst_type(inst: &str) -> Option<&'static str> {
    let parts: Vec<&str> = inst.split('-').collect();
    let dated = |s: &str| s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [b, q] if !b.is_empty() && !q.is_empty() => Some("SPOT"),
        [_, _, "SWAP"] => Some("SWAP"),
        [_, _, d] if dated(d) => Some("FUTURES"),
        [_, _, d, strike, "C" | "P"] if dated(d) && !strike.is_empty() => Some("OPTION"),
        _ => None,
    }
}

/// An OKX REST client.
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

    /// The URL of the order-book snapshot of `inst`.
    pub fn books_url(&self, inst: &str) -> String {
        format!(
            "{}/api/v5/market/books?instId={}&sz={}",
            self.base,
            inst.to_ascii_uppercase(),
            super::live::REST_DEPTH
        )
    }

    /// The URL of the instruments entry of `inst`, `None` for an id of no known shape.
    pub fn instruments_url(&self, inst: &str) -> Option<String> {
        let inst = inst.to_ascii_uppercase();
        let kind = inst_type(&inst)?;
        let family = match kind {
            // Options are listed per family (`BTC-USD`), which the endpoint requires.
            "OPTION" => {
                let mut p = inst.splitn(3, '-');
                format!(
                    "&instFamily={}-{}",
                    p.next().unwrap_or(""),
                    p.next().unwrap_or("")
                )
            }
            _ => String::new(),
        };
        Some(format!(
            "{}/api/v5/public/instruments?instType={kind}{family}&instId={inst}",
            self.base
        ))
    }

    /// One order-book snapshot (no retry: the caller decides).
    ///
    /// # Errors
    /// The request's failure, an error status, or a `code` other than `"0"`.
    pub async fn books(&mut self, inst: &str) -> Result<RestBody, FeedError> {
        let url = self.books_url(inst);
        let body = self.get(&url, MAX_SNAPSHOT_BODY_BYTES).await?;
        if let Some(venue) = refusal(&body.body) {
            return Err(venue_error(url, 200, venue));
        }
        Ok(body)
    }

    /// Tick and lot sizes of `insts`, in the order given.
    ///
    /// # Errors
    /// [`FeedError::UnknownSymbol`] for an id the venue does not list (or of no OKX shape), a
    /// malformed body, or the request's failure.
    pub async fn specs(
        &mut self,
        insts: &[String],
    ) -> Result<Vec<(String, InstrumentSpec)>, FeedError> {
        let mut out = Vec::with_capacity(insts.len());
        for (k, inst) in insts.iter().enumerate() {
            let inst = inst.to_ascii_uppercase();
            let Some(url) = self.instruments_url(&inst) else {
                return Err(FeedError::UnknownSymbol {
                    venue: Venue::Okx,
                    symbol: inst.clone(),
                    url: format!(
                        "{}/api/v5/public/instruments (not a spot, swap, futures or option id)",
                        self.base
                    ),
                });
            };
            if k > 0 {
                tokio::time::sleep(INSTRUMENTS_SPACING).await;
            }
            out.push((inst.clone(), self.spec(&inst, &url).await?));
        }
        Ok(out)
    }

    async fn spec(&mut self, inst: &str, url: &str) -> Result<InstrumentSpec, FeedError> {
        let unknown = || FeedError::UnknownSymbol {
            venue: Venue::Okx,
            symbol: inst.to_owned(),
            url: url.to_owned(),
        };
        let body = match self.get(url, MAX_INSTRUMENTS_BODY_BYTES).await {
            Ok(b) => b,
            Err(FeedError::Http {
                venue: Some(VenueMessage { code, .. }),
                ..
            }) if UNKNOWN_INSTRUMENT.contains(&code) => return Err(unknown()),
            Err(e) => return Err(e),
        };
        let bad = |detail: String| FeedError::BadResponse {
            url: url.to_owned(),
            detail,
        };
        let reply: Instruments =
            serde_json::from_slice(&body.body).map_err(|e| bad(format!("instruments: {e}")))?;
        if reply.code != "0" {
            let venue = message(&serde_json::json!({"code": reply.code, "msg": reply.msg}));
            if UNKNOWN_INSTRUMENT.contains(&venue.code) {
                return Err(unknown());
            }
            return Err(venue_error(url.to_owned(), 200, venue));
        }
        let entry = reply
            .data
            .iter()
            .find(|i| i.inst_id.eq_ignore_ascii_case(inst))
            .ok_or_else(unknown)?;
        entry.spec().map_err(|d| bad(format!("{inst}: {d}")))
    }

    async fn get(&self, url: &str, max_body: usize) -> Result<RestBody, FeedError> {
        http::get(&self.http, &self.clock, url, max_body, |body| {
            serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .filter(|v| v.get("code").is_some())
                .map(|v| message(&v))
        })
        .await
    }
}

/// The venue's error of a 200 body whose `code` is not `"0"`.
fn refusal(body: &[u8]) -> Option<VenueMessage> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    match v.get("code")?.as_str() {
        Some("0") => None,
        _ => Some(message(&v)),
    }
}

fn venue_error(url: String, status: u16, venue: VenueMessage) -> FeedError {
    FeedError::Http {
        url,
        status,
        venue: Some(venue),
    }
}

#[derive(Deserialize)]
struct Instruments {
    code: String,
    #[serde(default)]
    msg: String,
    #[serde(default)]
    data: Vec<Instrument>,
}

#[derive(Deserialize)]
struct Instrument {
    #[serde(rename = "instId")]
    inst_id: String,
    #[serde(rename = "tickSz")]
    tick_sz: String,
    #[serde(rename = "lotSz")]
    lot_sz: String,
}

impl Instrument {
    fn spec(&self) -> Result<InstrumentSpec, String> {
        let dec = |name: &str, text: &str| {
            Decimal::from_str(text)
                .map(|d| d.normalize())
                .map_err(|e| format!("{name} {text:?}: {e}"))
        };
        let tick = dec("tickSz", &self.tick_sz)?;
        let lot = dec("lotSz", &self.lot_sz)?;
        InstrumentSpec::new(tick, lot).map_err(|e| e.to_string())
    }
}

impl LiveRest for RestClient {
    fn snapshot_url(&self, symbol: &str) -> String {
        self.books_url(symbol)
    }

    fn snapshot(
        &mut self,
        symbol: &str,
    ) -> impl Future<Output = Result<RestBody, FeedError>> + Send {
        self.books(symbol)
    }

    fn instruments(
        &mut self,
        symbols: &[String],
    ) -> impl Future<Output = Result<Vec<(String, InstrumentSpec)>, FeedError>> + Send {
        self.specs(symbols)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case::spot("BTC-USDT", Some("SPOT"))]
    #[case::swap("BTC-USDT-SWAP", Some("SWAP"))]
    #[case::inverse_swap("BTC-USD-SWAP", Some("SWAP"))]
    #[case::future("BTC-USD-220527", Some("FUTURES"))]
    #[case::option("BTC-USD-250328-60000-C", Some("OPTION"))]
    #[case::put("ETH-USD-250328-3000-P", Some("OPTION"))]
    #[case::binance_symbol("BTCUSDT", None)]
    #[case::odd_suffix("BTC-USD-NEXT", None)]
    #[case::empty_quote("BTC-", None)]
    fn inst_type_follows_the_id_shape(#[case] inst: &str, #[case] want: Option<&str>) {
        assert_eq!(inst_type(inst), want);
    }

    #[test]
    fn urls_name_type_family_and_depth() {
        let c = RestClient::new(&Endpoints {
            ws_book: String::new(),
            ws_trades: String::new(),
            rest: "http://127.0.0.1:9/".into(),
        })
        .unwrap();
        assert_eq!(
            c.books_url("btc-usdt"),
            "http://127.0.0.1:9/api/v5/market/books?instId=BTC-USDT&sz=400"
        );
        assert_eq!(
            c.instruments_url("BTC-USDT-SWAP").unwrap(),
            "http://127.0.0.1:9/api/v5/public/instruments?instType=SWAP&instId=BTC-USDT-SWAP"
        );
        assert_eq!(
            c.instruments_url("BTC-USD-250328-60000-C").unwrap(),
            "http://127.0.0.1:9/api/v5/public/instruments?instType=OPTION&instFamily=BTC-USD\
             &instId=BTC-USD-250328-60000-C"
        );
        assert_eq!(c.instruments_url("BTCUSDT"), None);
    }

    #[test]
    fn instruments_entry_gives_tick_and_lot() {
        let reply: Instruments = serde_json::from_str(
            r#"{"code":"0","msg":"","data":[{"instType":"SPOT","instId":"BTC-USDT","tickSz":"0.1","lotSz":"0.00000001","minSz":"0.00001","state":"live"}]}"#,
        )
        .unwrap();
        let spec = reply.data[0].spec().unwrap();
        assert_eq!(spec.tick_size(), Decimal::new(1, 1));
        assert_eq!(spec.lot_size(), Decimal::new(1, 8));
        let bad: Instruments = serde_json::from_str(
            r#"{"code":"0","data":[{"instId":"X-Y","tickSz":"zero","lotSz":"1"}]}"#,
        )
        .unwrap();
        assert_eq!(
            bad.data[0].spec().unwrap_err(),
            "tickSz \"zero\": Invalid decimal: unknown character"
        );
    }

    #[test]
    fn refusal_reads_string_codes() {
        assert_eq!(refusal(br#"{"code":"0","msg":"","data":[]}"#), None);
        let r =
            refusal(br#"{"code":"51001","msg":"Instrument ID does not exist","data":[]}"#).unwrap();
        assert_eq!(
            (r.code, r.msg.as_str()),
            (51001, "Instrument ID does not exist")
        );
        assert_eq!(refusal(b"not json"), None);
    }
}
