//! `ladder paper`: paper trade strategies live, on one venue or several at once.
//!
//! ```text
//!  venue A (built-in sim or Binance) ──ws/rest──► feed thread A (tokio): decode, sequence, resync
//!        ──SPSC ring A──┐
//!  venue B ──ws/rest──► feed thread B ──SPSC ring B──┴─► hot thread (pinned, polls every ring):
//!        book, strategies, risk, paper exchange
//!        ──output ring──► writer thread: orders.csv, fills.csv, signals.csv
//!  hot thread ──snapshot every 100 ms (try_lock)──► dashboard / headless lines (main thread)
//! ```
//! Each venue has its own feed and its own ring: a full ring makes that venue's connector mark
//! the instrument stale and resync it from a new snapshot of that venue, and a fault on one
//! venue (a gap, a disconnect) touches only its own books. Instruments are venue-qualified
//! (`binance-usdm:BTCUSDT`) in one registry with ids dense across venues; strategies and the
//! report name them that way. On exit (`q`, Ctrl-C, `--duration`) the feeds stop, open paper
//! orders are cancelled, the report directory is written as by `ladder replay` (with each
//! venue's feed state under `feeds`), and the summary is returned.
//!
//! Hot reload (`reload`): `r` in the dashboard, SIGHUP, or a changed file with `--watch` loads
//! and checks a strategy's library on a reload thread, and the hot thread swaps it between two
//! events (`hot::engine::swap`).

mod console;
mod dashboard;
pub mod market;
mod reload;
pub mod snapshot;
#[cfg(test)]
mod test_view;

pub use market::{Connected, ConnectedVenue, Market, MarketError, SessionMarket, connect};
pub use reload::{ReloadOptions, WATCH_POLL};

use crate::clock::{Clock, Stopwatch};
use crate::config::Config;
use crate::feed::live::{FeedStatus, LiveFeedHandle};
use crate::hot::output::{RingSink, output_ring};
use crate::hot::ring::{FeedConsumer, feed_ring};
use crate::hot::stamps::{Stage, StrategyStage};
use crate::hot::{
    EngineFinal, HotEngine, LatencyRecorder, SwapReceiver, pin_current_thread, poll_loop_stamped,
    swap_channel,
};
use crate::instrument::Registry;
use crate::metrics::MetricsSources;
use crate::plugin::HostConfig;
use crate::replay::StrategySource;
use crate::report::html;
use crate::report::summary::{
    self, FeedReport, Percentiles, StrategyMeta, Summary, SummaryInput, Timing,
};
use crate::report::writer::{ReportContext, WriterTotals, write_records};
use ladder_sdk::{BookState, InstrumentId, InstrumentSpec, MarketEvent};
use snapshot::{LatencySnap, Snapshot};
use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use thiserror::Error;

/// How the session shows itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// The ratatui dashboard (needs a terminal).
    Dashboard,
    /// One summary line every `every`.
    Headless {
        /// Interval between lines.
        every: Duration,
    },
}

/// Everything `ladder paper` needs.
#[derive(Debug)]
pub struct PaperOptions {
    /// The venues, each with its feed's watchdog (at least one; each venue once).
    pub markets: Vec<SessionMarket>,
    /// Strategies, in order.
    pub strategies: Vec<StrategySource>,
    /// The config.
    pub config: Config,
    /// SHA-256 of the config file, if one was given.
    pub config_sha256: Option<String>,
    /// Report directory.
    pub report_dir: PathBuf,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Dashboard or headless.
    pub display: Display,
    /// Consume the normalized feed from a NATS bus (`--source nats://...`) instead of
    /// connecting to `markets`.
    pub source: Option<BusSource>,
}

/// A bus to consume from instead of the venues.
#[derive(Debug, Clone)]
pub struct BusSource {
    /// The server and login.
    pub config: crate::bus::SourceConfig,
    /// Keep only the instruments whose bucket key (`<venue>.<token>`) starts with this.
    pub filter: Option<String>,
}

/// Where a session's market data comes from: its own venue connections, or the bus.
enum Upstream {
    Venues(Connected),
    Bus(Box<crate::bus::consume::BusConsumer>),
}

impl Upstream {
    fn registry(&self) -> &Registry {
        match self {
            Self::Venues(c) => &c.registry,
            Self::Bus(b) => &b.registry,
        }
    }

    /// Rings into the hot thread: one per venue, or one for the bus.
    fn rings(&self) -> usize {
        match self {
            Self::Venues(c) => c.venues.len(),
            Self::Bus(_) => 1,
        }
    }

    fn label(&self) -> String {
        match self {
            Self::Venues(c) => c.label(),
            Self::Bus(b) => format!("bus {}", b.url),
        }
    }

    fn venue_names(&self) -> String {
        match self {
            Self::Venues(c) => c.venue_names(),
            Self::Bus(b) => b
                .registry
                .venues()
                .iter()
                .map(|v| v.name())
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    fn is_simulated(&self, feed: usize) -> bool {
        match self {
            Self::Venues(c) => c.venues.get(feed).is_some_and(ConnectedVenue::is_simulated),
            Self::Bus(_) => false,
        }
    }

    fn stop(self) {
        match self {
            Self::Venues(c) => c.stop(),
            Self::Bus(b) => {
                if let Err(e) = b.shutdown() {
                    eprintln!("warning: {e}");
                }
            }
        }
    }
}

/// Why a session could not run.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The market could not be reached (simulator start, instrument specs).
    #[error(transparent)]
    Market(#[from] MarketError),
    /// The metrics address is invalid or cannot be bound.
    #[error("metrics: {0}")]
    Metrics(String),
    /// The feed did not start.
    #[error("cannot start the feed: {0}")]
    Feed(#[from] crate::feed::live::FeedError),
    /// The bus could not be joined.
    #[error(transparent)]
    Bus(#[from] crate::bus::BusError),
    /// A strategy could not be loaded or created.
    #[error("strategy {which}: {message}")]
    Strategy {
        /// Which.
        which: String,
        /// Why.
        message: String,
    },
    /// A thread could not be started or ended badly.
    #[error("{0}")]
    Thread(String),
    /// The report could not be written.
    #[error("cannot write the report in {dir}: {source}")]
    Report {
        /// The directory.
        dir: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The terminal could not be used for the dashboard.
    #[error("dashboard: {0}")]
    Terminal(std::io::Error),
}

/// Set by the Ctrl-C handler.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// What the display loop can see.
pub(crate) struct View<'a> {
    pub(crate) snapshot: &'a Mutex<Snapshot>,
    /// Each venue's feed, in the order of the venues.
    pub(crate) feeds: &'a [Arc<FeedStatus>],
    /// Instrument names (`venue:SYMBOL`) by id.
    pub(crate) symbols: &'a [String],
    pub(crate) specs: &'a [InstrumentSpec],
    pub(crate) strategies: &'a [String],
    pub(crate) signal_names: &'a [Vec<String>],
    pub(crate) venue: String,
    pub(crate) duration: Option<Duration>,
    pub(crate) started: Stopwatch,
    /// The reload thread's status and trigger (`None`: no reload, e.g. in tests).
    pub(crate) reload: Option<&'a reload::ReloadStatus>,
    /// The bus counters, when the session consumes from a bus.
    pub(crate) bus: Option<&'a crate::bus::consume::BusStats>,
}

impl View<'_> {
    /// True when the session should end (duration or Ctrl-C).
    pub(crate) fn should_stop(&self) -> bool {
        INTERRUPTED.load(Ordering::Relaxed)
            || self
                .duration
                .is_some_and(|d| self.started.elapsed_ns() >= d.as_nanos() as u64)
    }

    /// The book state of instrument `id` as its venue's feed holds it.
    pub(crate) fn book_state(&self, id: InstrumentId) -> Option<BookState> {
        self.feeds.iter().find_map(|f| f.book_state(id))
    }

    /// How a line about `feed` starts: `feed` with one venue, `feed <venue>` with several.
    pub(crate) fn feed_label(&self, feed: &FeedStatus) -> String {
        if self.feeds.len() == 1 {
            "feed".to_owned()
        } else {
            format!("feed {}", feed.venue())
        }
    }
}

struct HotSetup {
    core: Option<usize>,
    config: Config,
    consumers: Vec<FeedConsumer>,
    strategies: Vec<StrategySource>,
    host: HostConfig,
    specs: Vec<InstrumentSpec>,
    sink: RingSink,
    stop: Arc<AtomicBool>,
    shared: Arc<Mutex<Snapshot>>,
    ready: std::sync::mpsc::Sender<Result<Created, SessionError>>,
    /// Swaps from the reload thread, polled between events.
    swaps: SwapReceiver,
}

struct Created {
    names: Vec<String>,
    signal_names: Vec<Vec<String>>,
    meta: Vec<StrategyMeta>,
    /// The strategies loaded from a library (hot reload can replace them).
    reloadable: Vec<reload::Reloadable>,
}

struct HotResult {
    engine: EngineFinal,
    output_waits: u64,
    processing: hdrhistogram::Histogram<u64>,
    tick_to_done: hdrhistogram::Histogram<u64>,
    /// The stage histograms (TSC ticks), for `report.html`.
    stages: Option<Box<LatencyRecorder>>,
}

type Histo = hdrhistogram::Histogram<u64>;

fn histogram() -> Histo {
    hdrhistogram::Histogram::new_with_bounds(1, 60_000_000_000, 3)
        .unwrap_or_else(|_| hdrhistogram::Histogram::new(3).unwrap_or_else(|_| unreachable!()))
}

fn latency(h: &hdrhistogram::Histogram<u64>) -> LatencySnap {
    LatencySnap {
        count: h.len(),
        p50: h.value_at_quantile(0.5),
        p99: h.value_at_quantile(0.99),
        max: h.max(),
    }
}

/// The hot thread: creates the strategies (they live and die here), then polls the rings.
fn hot_thread(setup: HotSetup) -> Option<HotResult> {
    if let Some(core) = setup.core
        && !pin_current_thread(core)
    {
        eprintln!("note: core {core} is not available; the hot thread is not pinned");
    }
    let mut instances = Vec::new();
    let mut meta = Vec::new();
    let mut reloadable = Vec::new();
    for source in setup.strategies {
        match source.create(&setup.host) {
            Ok((instance, m)) => {
                let stamp = reload::stamp(path_of(&source));
                if let (StrategySource::Library { path, config }, Some(origin)) =
                    (&source, instance.library())
                {
                    reloadable.push(reload::Reloadable {
                        index: instances.len(),
                        name: instance.name().to_owned(),
                        path: path.clone(),
                        config: config.clone(),
                        sha256: origin.sha256.clone(),
                        signals: instance.signal_names().to_vec(),
                        stamp,
                    });
                }
                instances.push(instance);
                meta.push(m);
            }
            Err(e) => {
                let _ = setup.ready.send(Err(SessionError::Strategy {
                    which: source.label(),
                    message: e.to_string(),
                }));
                return None;
            }
        }
    }
    let created = Created {
        names: instances.iter().map(|i| i.name().to_owned()).collect(),
        signal_names: instances
            .iter()
            .map(|i| i.signal_names().to_vec())
            .collect(),
        meta,
        reloadable,
    };
    let clock = Clock::live();
    let hot = &setup.config.hot;
    let mut engine = HotEngine::new(
        clock,
        setup.specs,
        instances,
        setup.config.paper.clone(),
        setup.config.risk.clone(),
        hot.top_levels,
        setup.sink,
    );
    if setup.ready.send(Ok(created)).is_err() {
        return None;
    }
    // Stage stamps through the ring (`hot::stamps`): histograms allocated here, not per event.
    engine.enable_latency();
    engine.start();
    let (processing, tick_to_done) = (histogram(), histogram());
    // Both the event and the idle callbacks need the engine; a RefCell costs one flag check.
    let hot_state = RefCell::new((engine, processing, tick_to_done, Stopwatch::start(), 0u64));
    // Publishes at most every 100 ms; `try_lock` so the hot thread never waits for the display.
    let publish = |state: &mut (HotEngine<RingSink>, Histo, Histo, Stopwatch, u64)| {
        let (engine, p, t, since, _) = state;
        if since.elapsed_ns() < 100_000_000 {
            return;
        }
        *since = Stopwatch::start();
        if let Ok(mut snap) = setup.shared.try_lock() {
            snap.publish(engine, clock.now());
            snap.processing = latency(p);
            snap.tick_to_done = latency(t);
            if snap.histograms {
                snapshot::copy_histogram(&mut snap.processing_histogram, p);
                snapshot::copy_histogram(&mut snap.tick_to_done_histogram, t);
            }
        }
    };
    poll_loop_stamped(
        &setup.consumers,
        hot.wait,
        hot.spin_iterations,
        &setup.stop,
        |stamped, t3| {
            let ev = &stamped.event;
            let mut state = hot_state.borrow_mut();
            // Between two events: a pending swap (an empty channel is a few atomic loads).
            state.0.poll_swaps(&setup.swaps);
            let t = Stopwatch::start();
            state.0.on_stamped(stamped, t3);
            let _ = state.1.record(t.elapsed_ns().max(1));
            let done = matches!(ev, MarketEvent::BookDelta(d) if d.last)
                || matches!(ev, MarketEvent::Trade(_));
            if done {
                let _ = state
                    .2
                    .record(clock.now().saturating_since(ev.ts_recv()).max(1));
            }
            state.4 += 1;
            if state.4.is_multiple_of(1024) {
                publish(&mut state);
            }
        },
        || {
            let mut state = hot_state.borrow_mut();
            state.0.poll_swaps(&setup.swaps);
            state.0.tick();
            publish(&mut state);
        },
    );
    let (mut engine, processing, tick_to_done, _, _) = hot_state.into_inner();
    engine.stop();
    if let Ok(mut snap) = setup.shared.lock() {
        snap.publish(&mut engine, clock.now());
    }
    Some(HotResult {
        engine: engine.final_state(),
        output_waits: engine.output().waits(),
        processing,
        tick_to_done,
        stages: engine.take_latency(),
    })
}

/// The library path of a strategy source (empty for a statically linked one).
fn path_of(source: &StrategySource) -> &std::path::Path {
    match source {
        StrategySource::Library { path, .. } => path,
        StrategySource::Static { .. } => std::path::Path::new(""),
    }
}

/// Each venue's final feed state and counters, for the report.
fn feed_report(feed: &FeedStatus, registry: &Registry, simulated: bool) -> FeedReport {
    let c = feed.counters();
    FeedReport {
        venue: feed.venue().name().to_owned(),
        simulated,
        messages: c.messages,
        gaps: c.gaps,
        resyncs: c.resyncs,
        reconnects: c.reconnects,
        snapshots: c.snapshots,
        watchdog_timeouts: c.watchdog_timeouts,
        overflows: c.overflows,
        decode_errors: c.decode_errors,
        states: feed
            .instruments()
            .into_iter()
            .map(|i| {
                (
                    registry.get(i.instrument).name.clone(),
                    i.state.as_str().to_owned(),
                )
            })
            .collect(),
        last_error: feed.last_error().map(|e| e.text),
    }
}

/// Runs a paper session until `q`, Ctrl-C or the duration; returns the summary (also written
/// to the report directory). Hot reload by SIGHUP and the dashboard's `r`; see
/// [`run_paper_with`] for `--watch`.
pub fn run_paper(opts: PaperOptions) -> Result<Summary, SessionError> {
    run_paper_with(opts, ReloadOptions::default())
}

/// [`run_paper`] with hot reload options (`--watch`).
///
/// # Errors
/// As [`run_paper`].
pub fn run_paper_with(opts: PaperOptions, reload: ReloadOptions) -> Result<Summary, SessionError> {
    INTERRUPTED.store(false, Ordering::Relaxed);
    // Only the first session of a process installs the handler; later ones reuse it.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::Relaxed));

    // Bound before anything starts: a bad or busy address fails the session at once.
    let metrics = match &opts.config.metrics.listen {
        Some(listen) => {
            let addr = crate::metrics::parse_listen(listen).map_err(SessionError::Metrics)?;
            Some(
                crate::metrics::MetricsListener::bind(addr)
                    .map_err(|e| SessionError::Metrics(e.to_string()))?,
            )
        }
        None => None,
    };
    let connected = match opts.source.clone() {
        Some(bus) => Upstream::Bus(Box::new(crate::bus::consume::BusConsumer::join(
            bus.config.with_env(),
            bus.filter,
        )?)),
        None => Upstream::Venues(connect(opts.markets, &opts.config.instruments)?),
    };
    let registry = Arc::new(connected.registry().clone());
    let names: Vec<String> = registry.iter().map(|i| i.name.clone()).collect();
    let specs: Vec<InstrumentSpec> = registry.iter().map(|i| i.spec).collect();

    // One ring per venue, each polled by the hot thread.
    let (producers, consumers): (Vec<_>, Vec<_>) = (0..connected.rings())
        .map(|_| feed_ring(opts.config.hot.ring_capacity))
        .unzip();
    let (sink, source, done) = output_ring(opts.config.hot.output_capacity);
    let stop = Arc::new(AtomicBool::new(false));
    let shared = Arc::new(Mutex::new(Snapshot {
        histograms: metrics.is_some(),
        ..Snapshot::default()
    }));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (swap_tx, swap_rx) = swap_channel();
    let setup = HotSetup {
        core: opts.config.hot.core,
        config: opts.config.clone(),
        consumers,
        strategies: opts.strategies,
        host: HostConfig {
            instruments: names.clone(),
            ..HostConfig::default()
        },
        specs: specs.clone(),
        sink,
        stop: Arc::clone(&stop),
        shared: Arc::clone(&shared),
        ready: ready_tx,
        swaps: swap_rx,
    };
    let hot = std::thread::Builder::new()
        .name("ladder-hot".into())
        .spawn(move || hot_thread(setup))
        .map_err(|e| SessionError::Thread(format!("cannot start the hot thread: {e}")))?;
    let created = match ready_rx.recv() {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            connected.stop();
            return Err(e);
        }
        Err(_) => {
            connected.stop();
            return Err(SessionError::Thread(
                "the hot thread ended while starting".into(),
            ));
        }
    };
    let ctx = ReportContext {
        symbols: names.clone(),
        specs: specs.clone(),
        strategies: created.names.clone(),
        signal_names: created.signal_names.clone(),
        signals_every: opts.config.output.signals_every,
    };
    let dir = opts.report_dir.clone();
    let writer_totals = Arc::new(Mutex::new(WriterTotals::default()));
    let live_totals = metrics.as_ref().map(|_| Arc::clone(&writer_totals));
    let writer = std::thread::Builder::new()
        .name("ladder-writer".into())
        .spawn(move || write_records(&dir, &ctx, &source, live_totals.as_deref()))
        .map_err(|e| SessionError::Thread(format!("cannot start the report writer: {e}")))?;

    // One feed per venue, each into its own ring: a ring's overflow resyncs from its venue.
    // From the bus: the bus thread into the one ring.
    let mut connected = connected;
    let mut producers = producers;
    let mut feeds: Vec<LiveFeedHandle> = Vec::with_capacity(producers.len());
    let mut statuses: Vec<Arc<FeedStatus>> = Vec::new();
    let mut bus_stats = None;
    let venues: &[ConnectedVenue] = match &mut connected {
        Upstream::Venues(c) => &c.venues,
        Upstream::Bus(b) => {
            statuses = b.statuses.clone();
            bus_stats = Some((Arc::clone(&b.stats), b.url.clone()));
            if let Some(producer) = producers.pop() {
                b.start(producer);
            }
            &[]
        }
    };
    for (venue, producer) in venues.iter().zip(producers) {
        match venue.spawn_feed(Arc::clone(&registry), producer, None) {
            Ok(feed) => feeds.push(feed),
            Err(e) => {
                for f in feeds {
                    f.shutdown();
                }
                stop.store(true, Ordering::Release);
                let _ = hot.join();
                done.store(true, Ordering::Release);
                let _ = writer.join();
                connected.stop();
                return Err(SessionError::Feed(e));
            }
        }
    }
    statuses.extend(feeds.iter().map(|f| Arc::clone(&f.status)));
    let metrics = match metrics {
        Some(listener) => {
            let addr = listener.addr();
            let server = listener.serve(MetricsSources {
                feeds: statuses.clone(),
                instruments: names.clone(),
                specs: specs.clone(),
                session: Some(crate::metrics::SessionSources {
                    strategies: created.names.clone(),
                    snapshot: Arc::clone(&shared),
                    writer: writer_totals,
                }),
                bus: bus_stats.as_ref().map(|(s, _)| Arc::clone(s)),
                publisher: None,
            });
            match server {
                Ok(server) => {
                    eprintln!("metrics: http://{addr}/metrics");
                    Some(server)
                }
                Err(e) => {
                    eprintln!("warning: metrics are off: cannot start their thread: {e}");
                    None
                }
            }
        }
        None => None,
    };

    let reload_status = Arc::new(reload::ReloadStatus::default());
    let reloader = reload::Reloader::spawn(
        created.reloadable.clone(),
        HostConfig {
            instruments: names.clone(),
            ..HostConfig::default()
        },
        reload,
        Arc::clone(&reload_status),
        swap_tx,
    )
    .map_err(|e| eprintln!("warning: hot reload is off: cannot start its thread: {e}"))
    .ok();
    let started = Stopwatch::start();
    let view = View {
        snapshot: &shared,
        feeds: &statuses,
        symbols: &names,
        specs: &specs,
        strategies: &created.names,
        signal_names: &created.signal_names,
        venue: connected.label(),
        duration: opts.duration,
        started,
        reload: Some(&reload_status),
        bus: bus_stats.as_ref().map(|(s, _)| &**s),
    };
    let shown = match opts.display {
        Display::Dashboard => dashboard::run(&view).map_err(SessionError::Terminal),
        Display::Headless { every } => {
            console::run(&view, every);
            Ok(())
        }
    };

    // Shut down in order: no more market data, then the hot thread (cancels open orders),
    // then the writer.
    let feed_reports: Vec<FeedReport> = statuses
        .iter()
        .enumerate()
        .map(|(i, st)| feed_report(st, &registry, connected.is_simulated(i)))
        .collect();
    let bus_report = bus_stats.as_ref().map(|(s, url)| s.report(url));
    if let Some(m) = metrics {
        m.stop();
    }
    if let Some(r) = reloader {
        r.stop();
    }
    for f in feeds {
        f.shutdown();
    }
    stop.store(true, Ordering::Release);
    let result = hot
        .join()
        .map_err(|_| SessionError::Thread("the hot thread panicked".into()))?;
    done.store(true, Ordering::Release);
    let written = writer
        .join()
        .map_err(|_| SessionError::Thread("the report writer panicked".into()))?
        .map_err(|source| SessionError::Report {
            dir: opts.report_dir.clone(),
            source,
        })?;
    let venue_names = connected.venue_names();
    connected.stop();
    shown?;
    let result = result.ok_or_else(|| SessionError::Thread("the hot thread ended early".into()))?;
    let wall_s = started.elapsed_ns().max(1) as f64 / 1e9;
    let feed_messages: u64 = feed_reports.iter().map(|f| f.messages).sum();
    let mut summary = summary::build(SummaryInput {
        source: view.venue.clone(),
        venue: venue_names,
        frames: feed_messages,
        parse_errors: feed_reports.iter().map(|f| f.decode_errors).sum(),
        gaps: feed_reports.iter().map(|f| f.gaps).sum(),
        engine: &result.engine,
        totals: &written.totals,
        meta: &created.meta,
        symbols: &names,
        specs: &specs,
        config_sha256: opts.config_sha256,
        feeds: feed_reports,
        timing: Timing {
            wall_seconds: wall_s,
            events_per_second: result.engine.stats.events as f64 / wall_s,
            frames_per_second: feed_messages as f64 / wall_s,
            frame_latency_ns: Percentiles::of(&result.tick_to_done),
            output_waits: result.output_waits,
            swap_cost_ns: Vec::new(),
        },
    });
    summary.bus = bus_report;
    std::fs::write(
        opts.report_dir.join("summary.json"),
        summary.to_json() + "\n",
    )
    .map_err(|source| SessionError::Report {
        dir: opts.report_dir.clone(),
        source,
    })?;
    let extras = html::Extras {
        latency: latency_curves(&result, &created.names),
        latency_note: "Live: tick_to_done is receive time to the end of the hot thread's work \
                       on the frame (the summary's frame_latency_ns); on_event is the hot \
                       thread's own time per event; the others are the stage stamps (t0 read … \
                       t8 exchange ack, see docs) per frame, and end to end per strategy."
            .to_owned(),
    };
    html::write(&opts.report_dir, &summary, &written.charts, &extras).map_err(|source| {
        SessionError::Report {
            dir: opts.report_dir.clone(),
            source,
        }
    })?;
    Ok(summary)
}

/// The latency curves of a session: tick to done, per event, every stage that was measured,
/// and each strategy's end-to-end stages.
fn latency_curves(result: &HotResult, strategies: &[String]) -> Vec<html::svg::Curve> {
    let mut curves: Vec<html::svg::Curve> = [
        html::curve("tick_to_done", &result.tick_to_done, 1.0),
        html::curve("on_event", &result.processing, 1.0),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(stages) = &result.stages {
        let ns_per_tick = 1.0 / crate::clock::tsc::TscScale::get().ticks_per_ns();
        for stage in Stage::ALL {
            curves.extend(html::curve(stage.name(), stages.stage(stage), ns_per_tick));
        }
        for (s, name) in strategies.iter().enumerate() {
            for stage in StrategyStage::ALL.into_iter().filter(|x| x.is_end_to_end()) {
                if let Some(h) = stages.strategy(s, stage) {
                    let label = format!("{name}: {}", stage.name());
                    curves.extend(html::curve(&label, h, ns_per_tick));
                }
            }
        }
    }
    curves
}
