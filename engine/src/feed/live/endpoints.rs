//! Where a live feed connects: the WebSocket URL that carries the books, the one that carries
//! trades, and the REST base (snapshots where the venue serves them that way, and instrument
//! metadata), with each venue's production defaults and the `[venue]` config section that
//! overrides them (testnets, a local simulated venue, tests on 127.0.0.1).
//!
//! The production URLs are the venue's own (`Endpoints::production` and
//! `EndpointsConfig::resolve` are defined with the one dispatch, [`crate::feed::dispatch`]); how a connection's URL is completed
//! (Binance appends `?streams=a/b/c`; Bybit and OKX subscribe by message) is the venue's
//! connection plan. When the two WebSocket URLs are equal, one connection carries every stream.
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

use serde::Deserialize;

/// Resolved endpoints of one venue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoints {
    /// WebSocket URL of the connection that carries the books (depth and best bid/offer).
    pub ws_book: String,
    /// WebSocket URL for trades; equal to `ws_book` for a single connection.
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
    /// True when trades ride on the book connection.
    pub fn single_connection(&self) -> bool {
        self.ws_book == self.ws_trades
    }

    /// The REST base without a trailing slash.
    pub fn rest_base(&self) -> &str {
        self.rest.trim_end_matches('/')
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::Venue;

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
}
