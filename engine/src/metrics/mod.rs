//! Prometheus metrics of a running session: `ladder paper --metrics ADDR` and `ladder feed
//! --metrics ADDR` (or `[metrics]` in the config) serve `GET /metrics` in the Prometheus text
//! format (0.0.4, encoded by the `prometheus` crate) on their own thread.
//!
//! Nothing here touches the hot thread. A scrape reads what the other threads already keep:
//!
//! - each feed's [`FeedStatus`] (atomics written by the feed thread): messages, gaps and faults by
//!   kind, resyncs, reconnects, watchdog timeouts, ring overflows, book states;
//! - the dashboard [`Snapshot`] the hot thread publishes every 100 ms (behind a mutex it only
//!   `try_lock`s): events, positions, PnL, fees, fills, disabled strategies and the latency
//!   histograms;
//! - the report writer's [`WriterTotals`] (copied by the writer thread when its ring runs empty):
//!   signals, orders, cancels, rejects by reason;
//! - in `ladder feed`, the bus publisher's [`PublisherStats`] (atomics), and no hot loop or
//!   strategies ([`MetricsSources::session`] is `None`).
//!
//! The metric names and labels are listed in the README ("Metrics"); [`render`] is the one
//! place they are defined. The listener binds 127.0.0.1 unless the address names another host.

mod render;
mod server;

pub use render::render;
pub use server::{MetricsListener, MetricsServer};

use crate::bus::publish::PublisherStats;
use crate::feed::live::FeedStatus;
use crate::report::writer::WriterTotals;
use crate::session::snapshot::Snapshot;
use ladder_sdk::InstrumentSpec;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex};

/// Where a scrape reads from.
#[derive(Debug, Clone)]
pub struct MetricsSources {
    /// One status per feed (venue).
    pub feeds: Vec<Arc<FeedStatus>>,
    /// Venue-qualified instrument names by instrument index (`binance-usdm:BTCUSDT`).
    pub instruments: Vec<String>,
    /// Specs by instrument index (positions are exported in instrument units).
    pub specs: Vec<InstrumentSpec>,
    /// The hot loop, the strategies and the report writer (`None` in `ladder feed`).
    pub session: Option<SessionSources>,
    /// The bus counters, when the session consumes from a bus (`--source nats://...`).
    pub bus: Option<Arc<crate::bus::consume::BusStats>>,
    /// The bus publisher's counters (`ladder feed`).
    pub publisher: Option<Arc<PublisherStats>>,
}

/// What a session with a hot loop adds to a scrape.
#[derive(Debug, Clone)]
pub struct SessionSources {
    /// Strategy names by strategy index.
    pub strategies: Vec<String>,
    /// What the hot thread publishes.
    pub snapshot: Arc<Mutex<Snapshot>>,
    /// What the report writer has counted.
    pub writer: Arc<Mutex<WriterTotals>>,
}

/// Parses a listen address: `HOST:PORT`, `[V6]:PORT`, or a bare `PORT` / `:PORT` (then
/// 127.0.0.1). Host names are resolved (`localhost:9464`).
///
/// # Errors
/// A message naming the value.
pub fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    let t = s.trim();
    let port_only = t.strip_prefix(':').unwrap_or(t);
    if let Ok(port) = port_only.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    t.to_socket_addrs()
        .map_err(|e| format!("metrics address {s:?} is not HOST:PORT or PORT: {e}"))?
        .next()
        .ok_or_else(|| format!("metrics address {s:?} resolves to no address"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::bare_port("9464", "127.0.0.1:9464")]
    #[case::colon_port(":9464", "127.0.0.1:9464")]
    #[case::any_host("0.0.0.0:9100", "0.0.0.0:9100")]
    #[case::v6("[::1]:9100", "[::1]:9100")]
    #[case::port_zero("127.0.0.1:0", "127.0.0.1:0")]
    fn listen_addresses_default_to_localhost(#[case] given: &str, #[case] want: &str) {
        assert_eq!(parse_listen(given).unwrap().to_string(), want);
    }

    #[rstest]
    #[case::word("metrics")]
    #[case::port_too_big("70000")]
    #[case::empty("")]
    fn bad_listen_addresses_name_the_value(#[case] given: &str) {
        let e = parse_listen(given).unwrap_err();
        assert!(e.contains(&format!("{given:?}")), "{e}");
    }
}
