//! The HTTP side every venue's REST client shares: one client setup, bodies read within a byte
//! bound, and transport failures told apart (unreachable, TLS, other) as [`FeedError`]s naming
//! the URL. What a venue adds (paths, request weights, its error bodies, what a status means)
//! lives in its folder (Binance: `feed/binance/rest.rs`); [`get`] is the one GET the venues
//! with a plain JSON error body share (Bybit, OKX, Kraken).

use super::is_tls_error;
use super::{FeedError, VenueMessage};
use crate::clock::Clock;
use ladder_sdk::UnixNanos;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Bytes;

/// Largest depth snapshot body accepted: 8 MiB, the same bound as a WebSocket message
/// ([`MAX_WS_MESSAGE_BYTES`](super::MAX_WS_MESSAGE_BYTES)). Binance's deepest snapshot
/// (`limit=5000`) is about 300 kB (the 1000-level spot body in `vectors/binance` is 48 kB); the
/// largest book snapshot in the venue notes, Coinbase's 5 MB, would fit too.
pub const MAX_SNAPSHOT_BODY_BYTES: usize = 8 << 20;

/// A response body and the time it was read.
#[derive(Debug, Clone)]
pub struct RestBody {
    /// The body.
    pub body: Bytes,
    /// Local time the body was fully read.
    pub ts_recv: UnixNanos,
}

/// The HTTP client a venue's REST client uses: 5 s to connect, 15 s per request, no Nagle,
/// `ladder/<version>` as user agent.
pub(crate) fn client() -> Result<reqwest::Client, FeedError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .tcp_nodelay(true)
        .user_agent(concat!("ladder/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| FeedError::Config(format!("cannot build the http client: {e}")))
}

/// One GET of `url` whose body is at most `max_body` bytes, the way every venue's REST client
/// asks: a 2xx status is the body with the time it was read; 429 is
/// [`FeedError::RateLimited`] (with `Retry-After` seconds when sent); another status is
/// [`FeedError::Http`]. `venue_message` reads the venue's own error out of a body, for both.
pub(crate) async fn get(
    http: &reqwest::Client,
    clock: &Clock,
    url: &str,
    max_body: usize,
    venue_message: impl Fn(&[u8]) -> Option<VenueMessage>,
) -> Result<RestBody, FeedError> {
    let resp = http
        .get(url)
        .send()
        .await
        .map_err(|e| request_error(url, e))?;
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = read_body(resp, url, max_body).await?;
    let ts_recv = clock.now();
    match status {
        200..=299 => Ok(RestBody { body, ts_recv }),
        429 => Err(FeedError::RateLimited {
            url: url.to_owned(),
            retry_after,
            venue: venue_message(&body),
        }),
        _ => Err(FeedError::Http {
            url: url.to_owned(),
            status,
            venue: venue_message(&body),
        }),
    }
}

/// Reads a whole body of at most `limit` bytes: refused from its `Content-Length` when that is
/// larger, otherwise read chunk by chunk and refused once it passes the limit.
pub(crate) async fn read_body(
    mut resp: reqwest::Response,
    url: &str,
    limit: usize,
) -> Result<Bytes, FeedError> {
    let too_large = |declared| FeedError::BodyTooLarge {
        url: url.to_owned(),
        declared,
        limit: limit as u64,
    };
    let declared = resp.content_length();
    if let Some(n) = declared.filter(|&n| n > limit as u64) {
        return Err(too_large(Some(n)));
    }
    let mut body = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    while let Some(chunk) = resp.chunk().await.map_err(|e| request_error(url, e))? {
        if body.len() + chunk.len() > limit {
            return Err(too_large(declared));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

/// A failed request as the error that names its cause: TLS, unreachable, or another request
/// failure.
pub(crate) fn request_error(url: &str, e: reqwest::Error) -> FeedError {
    // A TLS failure can surface as a bare I/O error ("tls handshake eof"): on https, a
    // connect error whose text speaks of TLS is one.
    let tls_text = || {
        let mut text = String::new();
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(err) = cur {
            text.push_str(&err.to_string().to_ascii_lowercase());
            cur = err.source();
        }
        ["tls", "certificate", "handshake"]
            .iter()
            .any(|w| text.contains(w))
    };
    let tls = is_tls_error(&e) || (url.starts_with("https://") && e.is_connect() && tls_text());
    let url = url.to_owned();
    if tls {
        FeedError::Tls {
            url,
            source: Box::new(e),
        }
    } else if e.is_connect() {
        FeedError::Unreachable {
            url,
            source: Box::new(e),
        }
    } else {
        FeedError::Request { url, source: e }
    }
}
