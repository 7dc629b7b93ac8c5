//! [`FeedError`]: everything that can go wrong between ladder and a venue, each as one clear
//! sentence naming the URL or symbol involved. A live feed never stops on these: it records the
//! last one in [`FeedStatus`](super::FeedStatus), backs off and retries.

use crate::feed::Venue;
use std::fmt;
use std::time::Duration;
use thiserror::Error;
use tokio_tungstenite::tungstenite;

/// A venue's own error reply, as its folder reads it (Binance's
/// `{"code":-1121,"msg":"Invalid symbol."}`: `feed/binance/live.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueMessage {
    /// The venue's error code.
    pub code: i64,
    /// Its message.
    pub msg: String,
}

impl fmt::Display for VenueMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "code {}: {:?}", self.code, self.msg)
    }
}

/// What the feed does after an integrity fault: resync, except after a book restart on another
/// grid, which no new snapshot fixes while the registered spec is the old one.
fn integrity_next(fault: &crate::feed::integrity::IntegrityFault) -> &'static str {
    match fault {
        crate::feed::integrity::IntegrityFault::GridChanged { .. } => {
            "the book stays stale until ladder is restarted with the new spec"
        }
        _ => "resyncing from a new snapshot",
    }
}

fn venue_suffix(v: &Option<VenueMessage>) -> String {
    v.as_ref().map(|v| format!(", {v}")).unwrap_or_default()
}

/// Longest wait an HTTP 429's `Retry-After` can impose: 5 minutes, the longest window of
/// Binance's market-data request limits (spot `RAW_REQUESTS` counts per 5 minutes; request
/// weight per minute). A longer value is a broken or hostile header; waiting it out would
/// leave the books stale for as long.
pub const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(5 * 60);

/// Longest wait an HTTP 418's `Retry-After` can impose: 3 days. Binance's IP bans "scale in
/// duration for repeat offenders, from 2 minutes to 3 days" and its `Retry-After` on a 418 is
/// the time until the ban is over, so any longer value is not a real ban.
pub const MAX_BAN_WAIT: Duration = Duration::from_secs(3 * 24 * 60 * 60);

fn wait_text(d: &Option<Duration>, cap: Duration) -> String {
    match d {
        Some(d) if *d > cap => format!(
            "the venue asks to wait {} s, capped at {} s",
            d.as_secs(),
            cap.as_secs()
        ),
        Some(d) => format!("the venue asks to wait {} s", d.as_secs()),
        None => "no Retry-After given".to_owned(),
    }
}

fn declared_text(declared: &Option<u64>) -> String {
    declared
        .map(|n| format!(" (content-length {n})"))
        .unwrap_or_default()
}

/// Why a live feed (or one of its requests) failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FeedError {
    /// An endpoint URL that cannot be used.
    #[error("invalid endpoint url {url:?}: {reason}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The TCP connection could not be made.
    #[error("cannot reach {url}: {source}")]
    Unreachable {
        /// The URL.
        url: String,
        /// The I/O or HTTP client error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The TLS handshake failed (not a TLS server, bad certificate, ...).
    #[error("tls handshake with {url} failed: {source}")]
    Tls {
        /// The URL.
        url: String,
        /// The TLS error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The WebSocket upgrade was refused or malformed.
    #[error("websocket handshake with {url} failed: {detail}")]
    Handshake {
        /// The URL.
        url: String,
        /// The HTTP status, when the server answered with one.
        status: Option<u16>,
        /// What happened.
        detail: String,
    },
    /// A step took too long.
    #[error("{url} did not answer within {} ms while {during}", .after.as_millis())]
    Timeout {
        /// The URL.
        url: String,
        /// The limit.
        after: Duration,
        /// What was under way.
        during: &'static str,
    },
    /// HTTP 429: too many requests.
    #[error("{url} rate-limited ladder (http 429{}); {}", venue_suffix(.venue), wait_text(.retry_after, MAX_RATE_LIMIT_WAIT))]
    RateLimited {
        /// The URL.
        url: String,
        /// `Retry-After`, when sent.
        retry_after: Option<Duration>,
        /// The venue's error body.
        venue: Option<VenueMessage>,
    },
    /// HTTP 418: the IP is banned for ignoring 429s.
    #[error("{url} has banned this ip for exceeding its rate limits (http 418{}); {}", venue_suffix(.venue), wait_text(.retry_after, MAX_BAN_WAIT))]
    Banned {
        /// The URL.
        url: String,
        /// `Retry-After`, when sent.
        retry_after: Option<Duration>,
        /// The venue's error body.
        venue: Option<VenueMessage>,
    },
    /// Another HTTP error status.
    #[error("{url} answered http {status}{}", venue_suffix(.venue))]
    Http {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// The venue's error body.
        venue: Option<VenueMessage>,
    },
    /// The HTTP request failed below the status line (reset, bad response, ...).
    #[error("http request to {url} failed: {source}")]
    Request {
        /// The URL.
        url: String,
        /// The client error.
        #[source]
        source: reqwest::Error,
    },
    /// A response body larger than its limit (a depth snapshot:
    /// [`MAX_SNAPSHOT_BODY_BYTES`](super::MAX_SNAPSHOT_BODY_BYTES)); refused
    /// from its `Content-Length` or once that many bytes arrived, never read in full.
    #[error("the response from {url} is larger than the limit of {limit} bytes{}", declared_text(.declared))]
    BodyTooLarge {
        /// The URL.
        url: String,
        /// The `Content-Length` the server sent, if it sent one.
        declared: Option<u64>,
        /// The limit.
        limit: u64,
    },
    /// The venue answered a subscription with an error.
    #[error("{url} rejected the subscription: {venue}")]
    Subscribe {
        /// The URL.
        url: String,
        /// The venue's error.
        venue: VenueMessage,
    },
    /// A configured symbol the venue does not list.
    #[error("unknown symbol {symbol} on {venue}: {url} does not list it")]
    UnknownSymbol {
        /// The venue.
        venue: Venue,
        /// The symbol.
        symbol: String,
        /// The exchangeInfo URL asked.
        url: String,
    },
    /// A configured symbol missing from the instrument registry.
    #[error(
        "symbol {symbol} is not in the instrument registry; register it with its tick and lot sizes (see fetch_instruments) before starting the feed"
    )]
    NotRegistered {
        /// The symbol.
        symbol: String,
    },
    /// A frame or snapshot body that could not be decoded (counted; the feed goes on).
    #[error("cannot decode a frame from {url}: {source}")]
    Decode {
        /// Where it came from.
        url: String,
        /// Why (the venue's decoder error, through
        /// [`FrameError`](crate::feed::books::FrameError)).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A response body that is not what the venue documents.
    #[error("malformed response from {url}: {detail}")]
    BadResponse {
        /// The URL.
        url: String,
        /// What is wrong.
        detail: String,
    },
    /// The watchdog saw no data for too long.
    #[error("no data from {url} for {} ms; the connection is treated as dead", .after.as_millis())]
    Silent {
        /// The URL.
        url: String,
        /// The watchdog limit.
        after: Duration,
    },
    /// The venue closed the connection.
    #[error("{url} closed the connection: {detail}")]
    Closed {
        /// The URL.
        url: String,
        /// Close frame or reason.
        detail: String,
    },
    /// A WebSocket message larger than
    /// [`MAX_WS_MESSAGE_BYTES`](super::MAX_WS_MESSAGE_BYTES): the connection is dropped and
    /// reopened after the backoff delay.
    #[error("{url} sent a websocket message of {size} bytes, over the limit of {limit} bytes")]
    MessageTooLarge {
        /// The URL.
        url: String,
        /// The size of the message, or of the frame that would have taken it over the limit.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The WebSocket failed mid-stream.
    #[error("the websocket connection to {url} failed: {source}")]
    WebSocket {
        /// The URL.
        url: String,
        /// The protocol or I/O error.
        #[source]
        source: Box<tungstenite::Error>,
    },
    /// The book failed an integrity check (a sequence gap, ids out of order, a crossed book):
    /// it is stale until a new snapshot.
    #[error(
        "{} on {symbol}: {}; {}",
        fault.title(),
        fault.detail(),
        integrity_next(fault)
    )]
    Integrity {
        /// The symbol.
        symbol: String,
        /// What broke.
        fault: crate::feed::integrity::IntegrityFault,
    },
    /// The output (ring to the hot thread) was full: the book is stale until resynced.
    #[error(
        "the output for {symbol} was full (consumer too slow); the book is marked stale and resynced"
    )]
    Overflow {
        /// The symbol.
        symbol: String,
    },
    /// The live feed config cannot work.
    #[error("invalid live feed config: {0}")]
    Config(String),
    /// The feed thread or its runtime could not start.
    #[error("cannot start the feed thread: {0}")]
    Spawn(#[source] std::io::Error),
}

impl FeedError {
    /// How long the venue asked to wait, for 429 and 418.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } | Self::Banned { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// How long to wait before retrying after a 429 or 418 that sent `Retry-After`: the venue's
    /// value, capped at [`MAX_RATE_LIMIT_WAIT`] (429) or [`MAX_BAN_WAIT`] (418).
    pub fn retry_wait(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => {
                retry_after.map(|d| d.min(MAX_RATE_LIMIT_WAIT))
            }
            Self::Banned { retry_after, .. } => retry_after.map(|d| d.min(MAX_BAN_WAIT)),
            _ => None,
        }
    }

    /// True for the failures a retry cannot fix without a config change (unknown symbol,
    /// invalid URL or config).
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            Self::InvalidUrl { .. }
                | Self::UnknownSymbol { .. }
                | Self::NotRegistered { .. }
                | Self::Config(_)
        )
    }
}

/// True if `e` or one of its sources is a rustls error (also when wrapped in an `io::Error`,
/// whose `source()` skips the wrapped error).
pub(crate) fn is_tls_error(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.downcast_ref::<tokio_rustls::rustls::Error>().is_some() {
            return true;
        }
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            && is_tls_error(inner)
        {
            return true;
        }
        cur = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_error_messages_name_url_and_venue_reply() {
        let e = FeedError::RateLimited {
            url: "https://api.binance.com/api/v3/depth".into(),
            retry_after: Some(Duration::from_secs(7)),
            venue: Some(VenueMessage {
                code: -1003,
                msg: "Too many requests".into(),
            }),
        };
        let s = e.to_string();
        assert!(
            s.contains("https://api.binance.com/api/v3/depth") && s.contains("429"),
            "{s}"
        );
        assert!(s.contains("-1003") && s.contains("7 s"), "{s}");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(e.retry_wait(), Some(Duration::from_secs(7)));
    }

    #[test]
    fn retry_wait_caps_a_huge_retry_after_and_says_so() {
        let huge = Some(Duration::from_secs(999_999_999));
        let limited = FeedError::RateLimited {
            url: "https://fapi.binance.com/fapi/v1/depth".into(),
            retry_after: huge,
            venue: None,
        };
        assert_eq!(limited.retry_after(), huge, "the venue's value is kept");
        assert_eq!(limited.retry_wait(), Some(MAX_RATE_LIMIT_WAIT));
        assert!(
            limited
                .to_string()
                .ends_with("the venue asks to wait 999999999 s, capped at 300 s"),
            "{limited}"
        );
        let banned = FeedError::Banned {
            url: "https://fapi.binance.com/fapi/v1/depth".into(),
            retry_after: huge,
            venue: None,
        };
        assert_eq!(banned.retry_wait(), Some(MAX_BAN_WAIT));
        assert!(
            banned.to_string().ends_with("capped at 259200 s"),
            "{banned}"
        );
        let two_days = Some(Duration::from_secs(2 * 86_400));
        let banned = FeedError::Banned {
            url: String::new(),
            retry_after: two_days,
            venue: None,
        };
        assert_eq!(
            banned.retry_wait(),
            two_days,
            "a real ban is waited out in full"
        );
        let no_header = FeedError::RateLimited {
            url: String::new(),
            retry_after: None,
            venue: None,
        };
        assert_eq!(no_header.retry_wait(), None);
    }
}
