//! Opening a WebSocket in three told-apart steps: TCP connect, TLS (rustls with the webpki
//! roots, ring provider), WebSocket upgrade. Each step has a timeout and its own
//! [`FeedError`], so "port closed", "not a TLS server" and "HTTP 404 on upgrade" read
//! differently on the dashboard.
//!
//! Incoming WebSocket messages are bounded by [`MAX_WS_MESSAGE_BYTES`]: a frame that declares a
//! larger payload is refused from its header, before the payload is read.

use super::FeedError;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::http::Uri;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

/// Largest WebSocket message (and single frame) a live feed accepts: 8 MiB.
///
/// The largest real market-data message in the team's venue notes is a Coinbase Advanced Trade
/// level2 snapshot, one frame of 5,079,379 bytes (BTC-USD, 46,000 levels); the notes ask for at
/// least 8 MiB (`docs/venues.md`, Coinbase). Binance depth frames are a few kilobytes. A larger
/// message ends the connection with [`FeedError::MessageTooLarge`], counted in
/// [`FeedCounters::oversized`](super::FeedCounters::oversized); the connection is reopened after
/// the backoff delay and the books resync, as after any disconnect.
pub const MAX_WS_MESSAGE_BYTES: usize = 8 << 20;

/// A byte stream, plain or TLS.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// An open WebSocket.
pub(crate) type WsStream = WebSocketStream<Box<dyn Io>>;

/// The rustls client config every connection of a feed shares: webpki roots, ring provider,
/// TLS 1.2 and 1.3.
pub(crate) fn tls_config() -> Result<Arc<ClientConfig>, FeedError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| FeedError::Config(format!("rustls: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Scheme, host and port of a `ws://` or `wss://` URL.
pub(crate) struct Target {
    pub(crate) tls: bool,
    pub(crate) host: String,
    pub(crate) port: u16,
}

pub(crate) fn parse_ws_url(url: &str) -> Result<Target, FeedError> {
    let bad = |reason: &str| FeedError::InvalidUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let uri: Uri = url
        .parse()
        .map_err(|e: tungstenite::http::uri::InvalidUri| bad(&e.to_string()))?;
    let tls = match uri.scheme_str() {
        Some("wss") => true,
        Some("ws") => false,
        _ => return Err(bad("expected a ws:// or wss:// url")),
    };
    let host = uri.host().ok_or_else(|| bad("no host"))?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    Ok(Target { tls, host, port })
}

/// Connects to `url`, each step bounded by `timeout`.
pub(crate) async fn connect_ws(
    url: &str,
    tls: &Arc<ClientConfig>,
    timeout: Duration,
    max_message: usize,
) -> Result<WsStream, FeedError> {
    let target = parse_ws_url(url)?;
    let timed_out = |during| FeedError::Timeout {
        url: url.to_owned(),
        after: timeout,
        during,
    };
    let tcp = tokio::time::timeout(
        timeout,
        TcpStream::connect((target.host.as_str(), target.port)),
    )
    .await
    .map_err(|_| timed_out("connecting"))?
    .map_err(|e| FeedError::Unreachable {
        url: url.to_owned(),
        source: Box::new(e),
    })?;
    // Small frames matter more than throughput here.
    let _ = tcp.set_nodelay(true);
    let stream: Box<dyn Io> = if target.tls {
        let name =
            ServerName::try_from(target.host.clone()).map_err(|e| FeedError::InvalidUrl {
                url: url.to_owned(),
                reason: format!("host is not a valid tls server name: {e}"),
            })?;
        let tls_stream = tokio::time::timeout(
            timeout,
            TlsConnector::from(Arc::clone(tls)).connect(name, tcp),
        )
        .await
        .map_err(|_| timed_out("negotiating tls"))?
        .map_err(|e| FeedError::Tls {
            url: url.to_owned(),
            source: Box::new(e),
        })?;
        Box::new(tls_stream)
    } else {
        Box::new(tcp)
    };
    let request = url
        .into_client_request()
        .map_err(|e| FeedError::InvalidUrl {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
    let config = ws_config(max_message);
    let (ws, _response) = tokio::time::timeout(
        timeout,
        tokio_tungstenite::client_async_with_config(request, stream, Some(config)),
    )
    .await
    .map_err(|_| timed_out("upgrading to websocket"))?
    .map_err(|e| handshake_error(url, e))?;
    Ok(ws)
}

/// The WebSocket settings of every feed connection: tungstenite's defaults with the message and
/// frame sizes bounded by `max_message` (the venue's, [`MAX_WS_MESSAGE_BYTES`] by default).
fn ws_config(max_message: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(max_message))
        .max_frame_size(Some(max_message))
}

/// The [`FeedError`] for a failed read on an open WebSocket.
pub(crate) fn read_error(url: &str, e: tungstenite::Error) -> FeedError {
    match e {
        tungstenite::Error::Capacity(tungstenite::error::CapacityError::MessageTooLong {
            size,
            max_size,
        }) => FeedError::MessageTooLarge {
            url: url.to_owned(),
            size: size as u64,
            limit: max_size as u64,
        },
        other => FeedError::WebSocket {
            url: url.to_owned(),
            source: Box::new(other),
        },
    }
}

fn handshake_error(url: &str, e: tungstenite::Error) -> FeedError {
    match e {
        tungstenite::Error::Http(resp) => {
            let status = resp.status().as_u16();
            let body = resp
                .body()
                .as_deref()
                .map(|b| String::from_utf8_lossy(&b[..b.len().min(200)]).into_owned())
                .unwrap_or_default();
            FeedError::Handshake {
                url: url.to_owned(),
                status: Some(status),
                detail: if body.is_empty() {
                    format!("the server answered http {status}")
                } else {
                    format!("the server answered http {status}: {body}")
                },
            }
        }
        other => FeedError::Handshake {
            url: url.to_owned(),
            status: None,
            detail: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_ws_url_reads_scheme_host_and_default_ports() {
        let t = parse_ws_url("wss://stream.binance.com:9443/stream").unwrap();
        assert!(t.tls);
        assert_eq!((t.host.as_str(), t.port), ("stream.binance.com", 9443));
        let t = parse_ws_url("wss://fstream.binance.com/public/stream").unwrap();
        assert_eq!(t.port, 443);
        let t = parse_ws_url("ws://127.0.0.1/stream").unwrap();
        assert_eq!((t.tls, t.port), (false, 80));
        assert!(matches!(
            parse_ws_url("https://x/"),
            Err(FeedError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn ws_config_bounds_messages_and_frames_at_8_mib() {
        let c = ws_config(MAX_WS_MESSAGE_BYTES);
        assert_eq!(c.max_message_size, Some(8 * 1024 * 1024));
        assert_eq!(c.max_frame_size, Some(8 * 1024 * 1024));
        let c = ws_config(16 << 20);
        assert_eq!(c.max_message_size, Some(16 * 1024 * 1024));
    }

    #[test]
    fn read_error_over_the_limit_names_url_size_and_limit() {
        use tungstenite::error::CapacityError;
        let too_long = tungstenite::Error::Capacity(CapacityError::MessageTooLong {
            size: 9_000_000,
            max_size: MAX_WS_MESSAGE_BYTES,
        });
        let e = read_error("wss://x/stream", too_long);
        assert!(matches!(e, FeedError::MessageTooLarge { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            "wss://x/stream sent a websocket message of 9000000 bytes, over the limit of 8388608 bytes"
        );
        let other = read_error("wss://x/stream", tungstenite::Error::ConnectionClosed);
        assert!(matches!(other, FeedError::WebSocket { .. }), "{other:?}");
    }

    #[test]
    fn tls_config_builds_with_ring_and_webpki_roots() {
        assert!(tls_config().is_ok());
    }
}
