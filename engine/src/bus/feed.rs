//! `ladder feed`'s session: the venue connectors (the same markets and live core as `ladder
//! paper` and `ladder record`, `--sim` included) run headless into the bus publisher; status
//! lines on stderr; at the end `feed.json` in the report directory (the publisher's epoch, its
//! counters, every instrument's final book, top 10 levels, in the format of a paper summary's
//! `books`, so a consumer's books can be compared with it). With `--metrics ADDR`, `/metrics`
//! serves the feeds' counters and the publisher's (`crate::metrics`). With `raw`, every venue
//! frame also goes to the stream `ladder-raw` ([`super::raw`]), counted in `feed.json`'s `raw`.

use super::BusError;
use super::publish::{PublishOptions, Publisher, PublisherFinal};
use super::raw::{RawCounts, RawPublisher};
use crate::clock::Stopwatch;
use crate::feed::live::{FeedStatus, LiveFeedHandle};
use crate::session::{SessionMarket, connect};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Set by the Ctrl-C handler.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Everything `ladder feed` needs.
#[derive(Debug)]
pub struct FeedOptions {
    /// The venues.
    pub markets: Vec<SessionMarket>,
    /// `[[instrument]]` entries of the config.
    pub instruments: Vec<crate::config::InstrumentConfig>,
    /// Where and how to publish.
    pub publish: PublishOptions,
    /// Stop after this long (default: at Ctrl-C).
    pub duration: Option<Duration>,
    /// Seconds between status lines (zero: none).
    pub status_every: Duration,
    /// Where `feed.json` goes.
    pub report_dir: PathBuf,
    /// Where `/metrics` is served (bound before the session starts), if anywhere.
    pub metrics: Option<crate::metrics::MetricsListener>,
    /// Also publish every raw venue frame (`--raw`).
    pub raw: bool,
}

/// What `ladder feed` ends with.
#[derive(Debug, serde::Serialize)]
pub struct FeedSummary {
    /// The server (without credentials).
    pub url: String,
    /// The venues.
    pub venues: String,
    /// The publisher's epoch.
    pub epoch: u64,
    /// Events from the feeds.
    pub events: u64,
    /// Messages published.
    pub published: u64,
    /// Messages acknowledged.
    pub acked: u64,
    /// Publishes failed or not acknowledged.
    pub failed: u64,
    /// Events refused by a full channel (resynced from the venue).
    pub refused: u64,
    /// Images written.
    pub images: u64,
    /// Final books, by `venue:SYMBOL`.
    pub books: std::collections::BTreeMap<String, crate::report::summary::BookReport>,
    /// The raw frames' counters (`--raw` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<RawCounts>,
}

/// Runs `ladder feed` until Ctrl-C or the duration.
///
/// # Errors
/// [`BusError`] when the market or the bus cannot be reached, or the report cannot be written.
pub fn run_feed(opts: FeedOptions) -> Result<FeedSummary, BusError> {
    INTERRUPTED.store(false, Ordering::Relaxed);
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::Relaxed));
    let connected =
        connect(opts.markets, &opts.instruments).map_err(|e| BusError::Config(e.to_string()))?;
    let registry = Arc::new(connected.registry.clone());
    let url = opts.publish.source.display_url();
    let raw_publish = opts.raw.then(|| opts.publish.clone());
    let publisher = match Publisher::start(opts.publish, Arc::clone(&registry)) {
        Ok(p) => p,
        Err(e) => {
            connected.stop();
            return Err(e);
        }
    };
    let raw = if let Some(raw_publish) = &raw_publish {
        match RawPublisher::start(raw_publish, publisher.epoch) {
            Ok(r) => Some(r),
            Err(e) => {
                let _ = publisher.finish();
                connected.stop();
                return Err(e);
            }
        }
    } else {
        None
    };
    eprintln!(
        "feed: publishing {} instrument(s) of {} to {url} (epoch {}){}",
        registry.len(),
        connected.venue_names(),
        publisher.epoch,
        if raw.is_some() {
            ", raw frames too"
        } else {
            ""
        }
    );
    let mut feeds: Vec<LiveFeedHandle> = Vec::new();
    for venue in &connected.venues {
        // Each venue feed runs one connection: its raw frames go to `ladder.raw.<venue>.0`.
        let tap = raw.as_ref().map(|r| r.tap(venue.venue, 0));
        match venue.spawn_feed(Arc::clone(&registry), publisher.output(), tap) {
            Ok(f) => {
                if let Some(r) = &raw {
                    let ids = registry
                        .iter()
                        .filter(|i| i.venue == venue.venue)
                        .map(|i| i.id)
                        .collect();
                    r.register(venue.venue, 0, f.resync_requester(), ids);
                }
                feeds.push(f);
            }
            Err(e) => {
                for f in feeds {
                    f.shutdown();
                }
                let _ = publisher.finish();
                if let Some(r) = raw {
                    let _ = r.finish();
                }
                connected.stop();
                return Err(BusError::Config(format!("cannot start the feed: {e}")));
            }
        }
    }
    let statuses: Vec<Arc<FeedStatus>> = feeds.iter().map(|f| Arc::clone(&f.status)).collect();
    let _metrics = opts.metrics.and_then(|listener| {
        let addr = listener.addr();
        let served = listener.serve(crate::metrics::MetricsSources {
            feeds: statuses.clone(),
            instruments: registry.iter().map(|i| i.name.clone()).collect(),
            specs: registry.iter().map(|i| i.spec).collect(),
            session: None,
            bus: None,
            publisher: Some(Arc::clone(&publisher.stats)),
        });
        match served {
            Ok(server) => {
                eprintln!("metrics: http://{addr}/metrics");
                Some(server)
            }
            Err(e) => {
                eprintln!("warning: metrics are off: cannot start their thread: {e}");
                None
            }
        }
    });
    let started = Stopwatch::start();
    let mut last_line = Stopwatch::start();
    loop {
        std::thread::sleep(Duration::from_millis(50));
        if INTERRUPTED.load(Ordering::Relaxed)
            || opts
                .duration
                .is_some_and(|d| started.elapsed_ns() >= d.as_nanos() as u64)
        {
            break;
        }
        if !opts.status_every.is_zero()
            && last_line.elapsed_ns() >= opts.status_every.as_nanos() as u64
        {
            last_line = Stopwatch::start();
            for s in &statuses {
                let c = s.counters();
                let synced = s
                    .instruments()
                    .iter()
                    .filter(|i| i.state == ladder_sdk::BookState::Synced)
                    .count();
                eprintln!(
                    "feed {}: messages {} gaps {} resyncs {} synced {}/{}",
                    s.venue(),
                    c.messages,
                    c.gaps,
                    c.resyncs,
                    synced,
                    s.instruments().len()
                );
            }
            eprintln!("{}", publisher.stats.line());
            if let Some(r) = &raw {
                eprintln!("{}", r.stats.line());
            }
        }
    }
    for f in feeds {
        f.shutdown();
    }
    let venues = connected.venue_names();
    connected.stop();
    let stats = Arc::clone(&publisher.stats);
    let PublisherFinal { epoch, books } = publisher.finish()?;
    eprintln!("{}", stats.line());
    let raw = match raw {
        Some(r) => {
            let raw_stats = Arc::clone(&r.stats);
            r.finish()?;
            eprintln!("{}", raw_stats.line());
            Some(raw_stats.counts())
        }
        None => None,
    };
    let g = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    let summary = FeedSummary {
        url,
        venues,
        epoch,
        events: g(&stats.events),
        published: g(&stats.published),
        acked: g(&stats.acked),
        failed: g(&stats.failed),
        refused: g(&stats.refused),
        images: g(&stats.images),
        books,
        raw,
    };
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(&opts.report_dir)?;
        let text = serde_json::to_string_pretty(&summary).map_err(std::io::Error::other)?;
        std::fs::write(opts.report_dir.join("feed.json"), text + "\n")
    };
    write().map_err(|e| {
        BusError::Config(format!(
            "cannot write {}: {e}",
            opts.report_dir.join("feed.json").display()
        ))
    })?;
    Ok(summary)
}
