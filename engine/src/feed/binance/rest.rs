//! Binance REST ([`LiveRest`]): depth snapshots and exchangeInfo, within the venue's
//! request-weight budget. The live core's snapshot worker (`feed/live/snapshot.rs`) asks it for
//! one snapshot at a time and retries.
//!
//! Every response's `X-MBX-USED-WEIGHT-1m` header is tracked; a request that would take the
//! used weight of the current minute past the configured budget waits for the next minute.
//! HTTP 429 and 418 become [`FeedError::RateLimited`] / [`FeedError::Banned`] carrying the
//! venue's `Retry-After`, which the caller honours (`docs/venues.md` §1.3) up to a cap
//! ([`FeedError::retry_wait`]).
//!
//! Response bodies are bounded in bytes ([`MAX_SNAPSHOT_BODY_BYTES`],
//! [`MAX_EXCHANGE_INFO_BODY_BYTES`]): a body over its limit is refused from its
//! `Content-Length`, or as soon as that many bytes arrived, with [`FeedError::BodyTooLarge`].

use super::endpoints::{depth_weight, exchange_info_weight, rest_paths};
use super::live::{LiveOptions, venue_message};
use crate::clock::Clock;
use crate::feed::Venue;
use crate::feed::live::http::{client, read_body, request_error};
use crate::feed::live::{
    Endpoints, FeedError, LiveRest, MAX_SNAPSHOT_BODY_BYTES, RestBody, VenueMessage,
};
use ladder_sdk::{InstrumentSpec, UnixNanos};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

/// Largest exchangeInfo body accepted: 32 MiB. USD-M and COIN-M list every symbol whatever
/// the query (a few MB); spot is asked for the configured symbols only.
pub const MAX_EXCHANGE_INFO_BODY_BYTES: usize = 32 << 20;

/// Used request weight in the current minute, against a budget.
#[derive(Debug, Clone, Copy)]
struct WeightGate {
    budget: u32,
    used: u32,
    minute: u64,
}

const MINUTE_NS: u64 = 60_000_000_000;

impl WeightGate {
    /// `None` if a request of `weight` fits now (and books it), else how long to wait.
    fn admit(&mut self, weight: u32, now: UnixNanos) -> Option<Duration> {
        let minute = now.as_nanos() / MINUTE_NS;
        if minute != self.minute {
            self.minute = minute;
            self.used = 0;
        }
        if self.used.saturating_add(weight) > self.budget {
            let next = (minute + 1) * MINUTE_NS;
            // A little past the boundary: the venue's minute and ours are not the same clock.
            return Some(Duration::from_nanos(next - now.as_nanos()) + Duration::from_millis(250));
        }
        self.used += weight;
        None
    }

    fn observe(&mut self, used: u32, now: UnixNanos) {
        let minute = now.as_nanos() / MINUTE_NS;
        if minute >= self.minute {
            self.minute = minute;
            self.used = used;
        }
    }
}

/// A REST client for one Binance venue.
#[derive(Debug)]
pub struct RestClient {
    http: reqwest::Client,
    venue: Venue,
    base: String,
    snapshot_limit: u32,
    gate: WeightGate,
    clock: Clock,
}

impl RestClient {
    /// A client for `endpoints.rest`, fetching snapshots of `options.snapshot_limit` levels and
    /// keeping the used weight under `options.rest_weight_budget` per minute.
    ///
    /// # Errors
    /// [`FeedError::Config`] when the HTTP client cannot be built.
    pub fn new(
        venue: Venue,
        endpoints: &Endpoints,
        options: &LiveOptions,
    ) -> Result<Self, FeedError> {
        Ok(Self {
            http: client()?,
            venue,
            base: endpoints.rest_base().to_owned(),
            snapshot_limit: options.snapshot_limit,
            gate: WeightGate {
                budget: options.rest_weight_budget,
                used: 0,
                minute: 0,
            },
            clock: Clock::live(),
        })
    }

    /// The URL of a depth snapshot of `symbol`.
    pub fn depth_url(&self, symbol: &str) -> String {
        format!(
            "{}{}?symbol={}&limit={}",
            self.base,
            rest_paths(self.venue).depth,
            symbol.to_ascii_uppercase(),
            self.snapshot_limit
        )
    }

    /// One depth snapshot request (no retry: the caller decides, honouring
    /// [`FeedError::retry_after`]).
    ///
    /// # Errors
    /// The request's failure, or the venue's answer as an error.
    pub async fn depth_snapshot(&mut self, symbol: &str) -> Result<RestBody, FeedError> {
        let url = self.depth_url(symbol);
        let weight = depth_weight(self.venue, self.snapshot_limit);
        self.get(&url, weight, MAX_SNAPSHOT_BODY_BYTES).await
    }

    /// Tick and lot sizes of `symbols` from the venue's exchangeInfo, in the order given.
    /// A symbol the venue does not list is [`FeedError::UnknownSymbol`].
    ///
    /// # Errors
    /// [`FeedError::UnknownSymbol`], a malformed body, or the request's failure.
    pub async fn exchange_info(
        &mut self,
        symbols: &[String],
    ) -> Result<Vec<(String, InstrumentSpec)>, FeedError> {
        let path = rest_paths(self.venue).exchange_info;
        let weight = exchange_info_weight(self.venue);
        let url = match self.venue {
            // Spot filters server-side; futures return every symbol.
            Venue::BinanceSpot => format!("{}{path}?symbols={}", self.base, symbols_param(symbols)),
            Venue::BinanceUsdm | Venue::BinanceCoinm => format!("{}{path}", self.base),
            // Not reached: `RestClient::new` refuses the venues that are not Binance's.
            Venue::BybitSpot
            | Venue::BybitLinear
            | Venue::BybitInverse
            | Venue::Okx
            | Venue::Coinbase
            | Venue::CoinbaseExchange => {
                format!("{}{path}", self.base)
            }
        };
        let body = match self.get(&url, weight, MAX_EXCHANGE_INFO_BODY_BYTES).await {
            Ok(b) => b,
            // Spot answers a list with an unknown symbol with -1121 without naming it: ask one
            // by one to name it.
            Err(FeedError::Http {
                venue: Some(VenueMessage { code: -1121, .. }),
                ..
            }) if symbols.len() > 1 => {
                for s in symbols {
                    let one = format!("{}{path}?symbol={}", self.base, s.to_ascii_uppercase());
                    if let Err(FeedError::Http {
                        venue: Some(VenueMessage { code: -1121, .. }),
                        ..
                    }) = self.get(&one, weight, MAX_EXCHANGE_INFO_BODY_BYTES).await
                    {
                        return Err(self.unknown(s, &one));
                    }
                }
                return Err(FeedError::BadResponse {
                    url,
                    detail:
                        "the venue rejected the symbol list (-1121) but accepts each symbol alone"
                            .into(),
                });
            }
            Err(FeedError::Http {
                venue: Some(VenueMessage { code: -1121, .. }),
                ..
            }) => {
                return Err(self.unknown(symbols.first().map_or("", String::as_str), &url));
            }
            Err(e) => return Err(e),
        };
        let info: ExchangeInfo =
            serde_json::from_slice(&body.body).map_err(|e| FeedError::BadResponse {
                url: url.clone(),
                detail: format!("exchangeInfo: {e}"),
            })?;
        symbols
            .iter()
            .map(|s| {
                let entry = info
                    .symbols
                    .iter()
                    .find(|i| i.symbol.eq_ignore_ascii_case(s))
                    .ok_or_else(|| self.unknown(s, &url))?;
                let spec = entry.spec().map_err(|detail| FeedError::BadResponse {
                    url: url.clone(),
                    detail: format!("{}: {detail}", entry.symbol),
                })?;
                Ok((entry.symbol.to_ascii_uppercase(), spec))
            })
            .collect()
    }

    fn unknown(&self, symbol: &str, url: &str) -> FeedError {
        FeedError::UnknownSymbol {
            venue: self.venue,
            symbol: symbol.to_ascii_uppercase(),
            url: url.to_owned(),
        }
    }

    /// One GET within the weight budget; a body over `max_body` bytes is refused unread.
    async fn get(
        &mut self,
        url: &str,
        weight: u32,
        max_body: usize,
    ) -> Result<RestBody, FeedError> {
        while let Some(wait) = self.gate.admit(weight, self.clock.now()) {
            tokio::time::sleep(wait).await;
        }
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| request_error(url, e))?;
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        if let Some(used) = header("x-mbx-used-weight-1m").and_then(|v| v.parse::<u32>().ok()) {
            self.gate.observe(used, self.clock.now());
        }
        let retry_after = parse_retry_after(header("retry-after"));
        let body = read_body(resp, url, max_body).await?;
        let ts_recv = self.clock.now();
        let url = url.to_owned();
        match status {
            200..=299 => Ok(RestBody { body, ts_recv }),
            429 => Err(FeedError::RateLimited {
                url,
                retry_after,
                venue: venue_message(&body),
            }),
            418 => Err(FeedError::Banned {
                url,
                retry_after,
                venue: venue_message(&body),
            }),
            _ => Err(FeedError::Http {
                url,
                status,
                venue: venue_message(&body),
            }),
        }
    }
}

/// `Retry-After` in seconds (Binance sends seconds, never an HTTP date); the cap is applied
/// where the wait is taken ([`FeedError::retry_wait`]).
fn parse_retry_after(value: Option<&str>) -> Option<Duration> {
    value
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// `["BTCUSDT","ETHUSDT"]`, percent-encoded for a query string.
fn symbols_param(symbols: &[String]) -> String {
    let list: Vec<String> = symbols
        .iter()
        .map(|s| format!("%22{}%22", s.to_ascii_uppercase()))
        .collect();
    format!("%5B{}%5D", list.join(","))
}

#[derive(Deserialize)]
struct ExchangeInfo {
    symbols: Vec<SymbolInfo>,
}

#[derive(Deserialize)]
struct SymbolInfo {
    symbol: String,
    #[serde(default)]
    filters: Vec<Filter>,
}

#[derive(Deserialize)]
struct Filter {
    #[serde(rename = "filterType")]
    filter_type: String,
    #[serde(rename = "tickSize")]
    tick_size: Option<String>,
    #[serde(rename = "stepSize")]
    step_size: Option<String>,
}

impl SymbolInfo {
    fn spec(&self) -> Result<InstrumentSpec, String> {
        let find = |kind: &str,
                    field: fn(&Filter) -> Option<&String>,
                    name: &str|
         -> Result<Decimal, String> {
            let text = self
                .filters
                .iter()
                .find(|f| f.filter_type == kind)
                .and_then(field)
                .ok_or_else(|| format!("no {kind}.{name}"))?;
            Decimal::from_str(text)
                .map(|d| d.normalize())
                .map_err(|e| format!("{kind}.{name} {text:?}: {e}"))
        };
        let tick = find("PRICE_FILTER", |f| f.tick_size.as_ref(), "tickSize")?;
        let lot = find("LOT_SIZE", |f| f.step_size.as_ref(), "stepSize")?;
        InstrumentSpec::new(tick, lot).map_err(|e| e.to_string())
    }
}

impl LiveRest for RestClient {
    fn snapshot_url(&self, symbol: &str) -> String {
        self.depth_url(symbol)
    }

    fn snapshot(
        &mut self,
        symbol: &str,
    ) -> impl Future<Output = Result<RestBody, FeedError>> + Send {
        self.depth_snapshot(symbol)
    }

    fn instruments(
        &mut self,
        symbols: &[String],
    ) -> impl Future<Output = Result<Vec<(String, InstrumentSpec)>, FeedError>> + Send {
        self.exchange_info(symbols)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_gate_waits_for_the_next_minute_past_budget() {
        let mut g = WeightGate {
            budget: 100,
            used: 0,
            minute: 0,
        };
        let t = UnixNanos::from_nanos(10 * MINUTE_NS + 1_000_000_000);
        assert_eq!(g.admit(50, t), None);
        assert_eq!(g.admit(50, t), None);
        let wait = g.admit(1, t).unwrap();
        assert!(
            wait > Duration::from_secs(58) && wait < Duration::from_secs(60),
            "{wait:?}"
        );
        g.observe(99, t);
        assert!(g.admit(2, t).is_some());
        assert_eq!(
            g.admit(2, UnixNanos::from_nanos(11 * MINUTE_NS)),
            None,
            "a new minute resets"
        );
    }

    #[test]
    fn retry_after_999999999_is_read_as_sent_and_capped_when_waited() {
        let asked = parse_retry_after(Some("999999999"));
        assert_eq!(asked, Some(Duration::from_secs(999_999_999)));
        let e = FeedError::RateLimited {
            url: "https://api.binance.com/api/v3/depth".into(),
            retry_after: asked,
            venue: None,
        };
        assert_eq!(e.retry_wait(), Some(crate::feed::live::MAX_RATE_LIMIT_WAIT));
        assert_eq!(parse_retry_after(Some("soon")), None);
        assert_eq!(parse_retry_after(None), None);
    }

    #[test]
    fn exchange_info_filters_give_tick_and_lot() {
        let info: ExchangeInfo = serde_json::from_str(
            r#"{"symbols":[{"symbol":"BTCUSDT","status":"TRADING","filters":[
                {"filterType":"PRICE_FILTER","minPrice":"0.01","maxPrice":"1000000","tickSize":"0.01000000"},
                {"filterType":"LOT_SIZE","minQty":"0.00001","maxQty":"9000","stepSize":"0.00001000"}]}]}"#,
        )
        .unwrap();
        let spec = info.symbols[0].spec().unwrap();
        assert_eq!(spec.tick_size(), Decimal::new(1, 2));
        assert_eq!(spec.lot_size(), Decimal::new(1, 5));
        assert_eq!(
            symbols_param(&["btcusdt".into(), "ETHUSDT".into()]),
            "%5B%22BTCUSDT%22,%22ETHUSDT%22%5D"
        );
    }
}
