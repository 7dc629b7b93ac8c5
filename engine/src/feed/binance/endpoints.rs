//! Binance endpoints: production defaults per venue and the `[venue]` config section that
//! overrides them (testnets, a local simulated venue, tests on 127.0.0.1).
//!
//! | venue | depth + bookTicker WS | trades WS | REST |
//! |---|---|---|---|
//! | `binance-spot` | `wss://stream.binance.com:9443/stream` | same connection | `https://api.binance.com` |
//! | `binance-usdm` | `wss://fstream.binance.com/public/stream` | `wss://fstream.binance.com/market/stream` | `https://fapi.binance.com` |
//! | `binance-coinm` | `wss://dstream.binance.com/stream` | same connection | `https://dapi.binance.com` |
//!
//! USD-M's split into `/public` (depth, bookTicker) and `/market` (trades) is mandatory since
//! 2026-04-23 (`docs/venues.md` §2.1); the legacy `/stream` accepts and then sends nothing.
//! WebSocket URLs end at `/stream`: the connector appends `?streams=a/b/c` (combined streams).
//! When the two WebSocket URLs are equal, one connection carries every stream.
//!
//! ```toml
//! [venue]
//! name = "binance-usdm"
//! ws_book = "ws://127.0.0.1:9001/public/stream"
//! ws_trades = "ws://127.0.0.1:9001/market/stream"
//! rest = "http://127.0.0.1:9001"
//! allow_insecure = true        # ws:// and http:// are warned about loudly without it
//! ```
//!
//! [`check_endpoint`] is the URL check the config runs on each override: the right scheme for
//! the connection (`wss://`/`ws://`, `https://`/`http://`), a host, no whitespace; an
//! unencrypted scheme is reported so the config can warn.

use crate::feed::Venue;
use crate::feed::live::LiveFeedConfig;
use crate::instrument::Registry;
use ladder_sdk::InstrumentId;
use serde::Deserialize;

/// Resolved endpoints of one venue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoints {
    /// Combined-stream URL for depth and bookTicker (up to `/stream`).
    pub ws_book: String,
    /// Combined-stream URL for trades; equal to `ws_book` for a single connection.
    pub ws_trades: String,
    /// REST base URL (`https://api.binance.com`), no trailing slash needed.
    pub rest: String,
}

/// The `[venue]` config section: any endpoint left out keeps the venue's production default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointsConfig {
    /// Overrides [`Endpoints::ws_book`].
    pub ws_book: Option<String>,
    /// Overrides [`Endpoints::ws_trades`]. When only `ws_book` is given, trades share its
    /// connection.
    pub ws_trades: Option<String>,
    /// Overrides [`Endpoints::rest`].
    pub rest: Option<String>,
}

impl Endpoints {
    /// The production endpoints of `venue`.
    pub fn production(venue: Venue) -> Self {
        let (book, trades, rest) = match venue {
            Venue::BinanceSpot => (
                "wss://stream.binance.com:9443/stream",
                "wss://stream.binance.com:9443/stream",
                "https://api.binance.com",
            ),
            Venue::BinanceUsdm => (
                "wss://fstream.binance.com/public/stream",
                "wss://fstream.binance.com/market/stream",
                "https://fapi.binance.com",
            ),
            Venue::BinanceCoinm => (
                "wss://dstream.binance.com/stream",
                "wss://dstream.binance.com/stream",
                "https://dapi.binance.com",
            ),
            // Live OKX is not available yet (`RestClient::new` refuses it): its public URLs.
            Venue::Okx => (
                "wss://ws.okx.com:8443/ws/v5/public",
                "wss://ws.okx.com:8443/ws/v5/public",
                "https://www.okx.com",
            ),
        };
        Self {
            ws_book: book.to_owned(),
            ws_trades: trades.to_owned(),
            rest: rest.to_owned(),
        }
    }

    /// True when trades ride on the depth connection.
    pub fn single_connection(&self) -> bool {
        self.ws_book == self.ws_trades
    }

    /// The REST base without a trailing slash.
    pub fn rest_base(&self) -> &str {
        self.rest.trim_end_matches('/')
    }
}

impl EndpointsConfig {
    /// The venue's production endpoints with this section's overrides.
    pub fn resolve(&self, venue: Venue) -> Endpoints {
        let mut e = Endpoints::production(venue);
        if let Some(book) = &self.ws_book {
            e.ws_book = book.clone();
            e.ws_trades = book.clone();
        }
        if let Some(trades) = &self.ws_trades {
            e.ws_trades = trades.clone();
        }
        if let Some(rest) = &self.rest {
            e.rest = rest.clone();
        }
        e
    }
}

/// Whether an endpoint URL is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointScheme {
    /// `wss://` or `https://`.
    Tls,
    /// `ws://` or `http://`: readable and alterable by anyone on the way.
    Plain,
}

/// Checks an endpoint URL: a WebSocket one (`websocket`) or a REST one.
///
/// # Errors
/// A lowercase phrase saying what is wrong with the URL (quoted).
pub fn check_endpoint(url: &str, websocket: bool) -> Result<EndpointScheme, String> {
    let (tls, plain) = if websocket {
        ("wss", "ws")
    } else {
        ("https", "http")
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!("expected a {tls}:// URL, got {url:?}"));
    };
    let kind = if scheme.eq_ignore_ascii_case(tls) {
        EndpointScheme::Tls
    } else if scheme.eq_ignore_ascii_case(plain) {
        EndpointScheme::Plain
    } else {
        return Err(format!(
            "expected a {tls}:// (or {plain}://) URL, got {url:?}"
        ));
    };
    if url.contains(char::is_whitespace) {
        return Err(format!("URL {url:?} contains whitespace"));
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        return Err(format!("URL {url:?} has no host"));
    }
    Ok(kind)
}

/// REST paths of a venue.
pub(crate) struct RestPaths {
    pub(crate) depth: &'static str,
    pub(crate) exchange_info: &'static str,
}

pub(crate) const fn rest_paths(venue: Venue) -> RestPaths {
    match venue {
        Venue::BinanceSpot => RestPaths {
            depth: "/api/v3/depth",
            exchange_info: "/api/v3/exchangeInfo",
        },
        Venue::BinanceUsdm => RestPaths {
            depth: "/fapi/v1/depth",
            exchange_info: "/fapi/v1/exchangeInfo",
        },
        Venue::BinanceCoinm => RestPaths {
            depth: "/dapi/v1/depth",
            exchange_info: "/dapi/v1/exchangeInfo",
        },
        Venue::Okx => RestPaths {
            depth: "/api/v5/market/books",
            exchange_info: "/api/v5/public/instruments",
        },
    }
}

/// Request weight of a depth snapshot of `limit` levels (`docs/venues.md` §1.3, §2.2).
pub(crate) const fn depth_weight(venue: Venue, limit: u32) -> u32 {
    match venue {
        Venue::BinanceSpot => match limit {
            0..=100 => 5,
            101..=500 => 25,
            501..=1000 => 50,
            _ => 250,
        },
        Venue::BinanceUsdm | Venue::BinanceCoinm | Venue::Okx => match limit {
            0..=50 => 2,
            51..=100 => 5,
            101..=500 => 10,
            _ => 20,
        },
    }
}

/// Request weight of exchangeInfo.
pub(crate) const fn exchange_info_weight(venue: Venue) -> u32 {
    match venue {
        Venue::BinanceSpot => 20,
        Venue::BinanceUsdm | Venue::BinanceCoinm | Venue::Okx => 1,
    }
}

/// Depth limits the venue accepts.
pub(crate) fn valid_depth_limit(venue: Venue, limit: u32) -> bool {
    match venue {
        Venue::BinanceSpot => (1..=5000).contains(&limit),
        Venue::BinanceUsdm | Venue::BinanceCoinm => {
            [5, 10, 20, 50, 100, 500, 1000].contains(&limit)
        }
        Venue::Okx => (1..=400).contains(&limit),
    }
}

/// One planned WebSocket connection.
#[derive(Debug, Clone)]
pub(crate) struct PlannedConn {
    pub(crate) base: String,
    pub(crate) streams: Vec<String>,
    pub(crate) carries_book: bool,
}

impl PlannedConn {
    pub(crate) fn url(&self) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{sep}streams={}", self.base, self.streams.join("/"))
    }
}

/// Instruments and connections of a feed.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) slots: Vec<(InstrumentId, String)>,
    pub(crate) conns: Vec<PlannedConn>,
}

impl Plan {
    pub(crate) fn instruments(&self) -> Vec<(InstrumentId, String)> {
        self.slots.clone()
    }

    pub(crate) fn instrument_ids(&self) -> Vec<InstrumentId> {
        self.slots.iter().map(|(id, _)| *id).collect()
    }

    pub(crate) fn connections(&self) -> Vec<(String, Vec<String>)> {
        self.conns
            .iter()
            .map(|c| (c.base.clone(), c.streams.clone()))
            .collect()
    }
}

/// The instruments (registry ids, in config order, duplicates removed) and the connections
/// with their stream lists. `config` must have passed [`LiveFeedConfig::validate`].
pub(crate) fn plan(config: &LiveFeedConfig, registry: &Registry) -> Plan {
    let mut slots: Vec<(InstrumentId, String)> = Vec::new();
    for s in &config.symbols {
        if let Some(i) = registry.lookup(config.venue, s.as_bytes())
            && !slots.iter().any(|(id, _)| *id == i.id)
        {
            slots.push((i.id, i.symbol.clone()));
        }
    }
    let lower: Vec<String> = slots.iter().map(|(_, s)| s.to_ascii_lowercase()).collect();
    let book: Vec<String> = lower
        .iter()
        .flat_map(|s| {
            [
                format!("{s}@{}", config.depth_stream),
                format!("{s}@bookTicker"),
            ]
        })
        .collect();
    let trades: Vec<String> = lower.iter().map(|s| format!("{s}@trade")).collect();
    let e = &config.endpoints;
    let conns = if e.single_connection() {
        let mut streams = book;
        streams.extend(trades);
        vec![PlannedConn {
            base: e.ws_book.clone(),
            streams,
            carries_book: true,
        }]
    } else {
        vec![
            PlannedConn {
                base: e.ws_book.clone(),
                streams: book,
                carries_book: true,
            },
            PlannedConn {
                base: e.ws_trades.clone(),
                streams: trades,
                carries_book: false,
            },
        ]
    };
    Plan { slots, conns }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_endpoints_use_the_usdm_url_split() {
        let e = Endpoints::production(Venue::BinanceUsdm);
        assert_eq!(e.ws_book, "wss://fstream.binance.com/public/stream");
        assert_eq!(e.ws_trades, "wss://fstream.binance.com/market/stream");
        assert!(!e.single_connection());
        assert!(Endpoints::production(Venue::BinanceSpot).single_connection());
        assert_eq!(
            Endpoints::production(Venue::BinanceCoinm).rest,
            "https://dapi.binance.com"
        );
    }

    #[test]
    fn endpoints_config_overrides_and_rejects_unknown_keys() {
        let c: EndpointsConfig = toml::from_str("ws_book = \"ws://127.0.0.1:1/stream\"").unwrap();
        let e = c.resolve(Venue::BinanceUsdm);
        assert!(e.single_connection());
        assert_eq!(e.rest, "https://fapi.binance.com");
        let err = toml::from_str::<EndpointsConfig>("ws = \"x\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field"), "{err}");
    }

    #[rstest::rstest]
    #[case::wss("wss://stream.binance.com:9443/stream", true, Ok(EndpointScheme::Tls))]
    #[case::ws_local("ws://127.0.0.1:9001/stream", true, Ok(EndpointScheme::Plain))]
    #[case::https("https://api.binance.com", false, Ok(EndpointScheme::Tls))]
    #[case::http_upper_case("HTTP://127.0.0.1:1", false, Ok(EndpointScheme::Plain))]
    #[case::rest_url_for_websocket("https://api.binance.com", true, Err("expected a wss://"))]
    #[case::websocket_url_for_rest("wss://x/stream", false, Err("expected a https://"))]
    #[case::no_scheme("api.binance.com", false, Err("expected a https:// URL"))]
    #[case::no_host("wss:///stream", true, Err("has no host"))]
    #[case::port_without_host("ws://:9001/stream", true, Err("has no host"))]
    #[case::whitespace("wss://a b/stream", true, Err("contains whitespace"))]
    fn check_endpoint_wants_the_scheme_of_the_connection_and_a_host(
        #[case] url: &str,
        #[case] websocket: bool,
        #[case] want: Result<EndpointScheme, &str>,
    ) {
        match (check_endpoint(url, websocket), want) {
            (Ok(got), Ok(want)) => assert_eq!(got, want),
            (Err(e), Err(want)) => assert!(e.contains(want), "{e}"),
            (got, want) => panic!("{url}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn depth_weights_follow_the_documented_tables() {
        assert_eq!(depth_weight(Venue::BinanceSpot, 1000), 50);
        assert_eq!(depth_weight(Venue::BinanceSpot, 5000), 250);
        assert_eq!(depth_weight(Venue::BinanceUsdm, 1000), 20);
        assert!(valid_depth_limit(Venue::BinanceSpot, 5000));
        assert!(!valid_depth_limit(Venue::BinanceUsdm, 5000));
    }
}
