//! `ladder bench`: per-stage latency of the real two-thread pipeline, with a platform hiccup
//! meter running in the same run.
//!
//! ```text
//!  capture (in memory) or sim venue (ws 127.0.0.1)
//!     └─ feed thread (pinned to the other core): read t0, decode t1, sequence, push t2
//!          ──SPSC ring (StampedEvent)──► hot thread (pinned, busy-spin): pop t3, book t4,
//!                                         strategy t5, order t6, risk t7, paper ack t8
//!  hiccup meter: a SCHED_IDLE thread on the other core + the hot thread's own idle polls
//! ```
//!
//! - **Capture**: the capture is loaded into memory first (gunzip and disk stay out). Each pass
//!   replays it through a fresh decoder and sequencers and a fresh engine with freshly created
//!   strategy instances (the replay clock cannot go back, so the engine restarts per pass);
//!   the feed waits until the hot thread is ready before a pass starts. At full speed a full
//!   ring makes the feed wait (back-pressure, counted) instead of the live overflow → resync,
//!   so every frame is measured. With `--rate N` each frame `k` is scheduled at
//!   `start + k/N`; its end-to-end latencies start at that scheduled time (coordinated-omission
//!   correction).
//! - **Sim**: the built-in simulated venue runs in-process on 127.0.0.1 at `N` book events per
//!   second (`@depth@0ms`: one WebSocket message per event) and the live connector subscribes,
//!   so the socket read and the WebSocket decode are inside the measurement; `t0` is the
//!   connector's receive stamp and `t1` is not measured.
//!
//! Stamps, stages and their exact meaning: `hot::stamps`.

mod capture;
mod hiccup;
mod pass;
mod plot;
mod report;

pub use hiccup::{HiccupMeter, HiccupRecorder, HiccupReport};
pub use plot::{PlotError, plot};
pub use report::{BenchReport, Machine, PassReport};

pub(crate) use pass::{PassSync, Placement, pin_to, placement};

use crate::capture::CaptureError;
use crate::capture::grid::{RegistryBuildError, build_registry};
use crate::capture::merge::{CaptureInput, describe};
use crate::clock::Clock;
use crate::clock::tsc::{self, TscScale};
use crate::config::{Config, WaitStrategy};
use crate::feed::live::{FeedError, LiveFeedConfig};
use crate::feed::{VenueOptions, spawn_feed_with};
use crate::hot::output::CountSink;
use crate::hot::ring::{FeedConsumer, feed_ring};
use crate::hot::stamps::{LatencyRecorder, closes_frame};
use crate::hot::{HotEngine, poll_loop_stamped};
use crate::plugin::{HostConfig, StrategyInstance};
use crate::replay::StrategySource;
use crate::sim::{SimConfig, SimConnection, SimError, SimSymbol};
use ladder_sdk::{InstrumentSpec, UnixNanos};
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use thiserror::Error;

/// What to measure.
#[derive(Debug, Clone)]
pub enum BenchSource {
    /// A capture replayed through the pipeline.
    Capture {
        /// The capture files, each with its venue (one stream, as in replay).
        captures: Vec<CaptureInput>,
        /// Frames per second (`None`: full speed).
        rate: Option<f64>,
        /// Passes over the capture.
        passes: u32,
        /// At full speed, frames in flight at most (read but not yet finished by the hot
        /// thread); 0: unbounded (the ring fills and latency becomes queueing).
        in_flight: u32,
    },
    /// The built-in simulated venue over its local WebSocket.
    Sim {
        /// Book events (= depth messages) per second.
        rate: f64,
        /// How long to measure.
        duration: Duration,
    },
}

/// Everything `ladder bench` needs.
#[derive(Debug)]
pub struct BenchOptions {
    /// What to measure.
    pub source: BenchSource,
    /// Strategies, in order.
    pub strategies: Vec<StrategySource>,
    /// Engine config (paper exchange, risk, ring capacity, top levels).
    pub config: Config,
    /// The hot thread's core (default: the last core).
    pub hot_core: Option<usize>,
    /// Gaps above this count as hiccups.
    pub hiccup_threshold_ns: u64,
}

/// Why a bench could not run.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BenchError {
    /// The capture could not be read.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// The capture's instruments could not be had.
    #[error(transparent)]
    Registry(#[from] RegistryBuildError),
    /// The simulated venue did not start.
    #[error("cannot start the simulated venue: {0}")]
    Sim(#[from] SimError),
    /// The live connector did not start.
    #[error("cannot start the feed: {0}")]
    Feed(#[from] FeedError),
    /// A strategy could not be loaded or created.
    #[error("strategy {which}: {message}")]
    Strategy {
        /// Which (path or label).
        which: String,
        /// Why.
        message: String,
    },
    /// A thread could not start or ended badly.
    #[error("{0}")]
    Thread(String),
    /// Nothing to measure.
    #[error("{0}")]
    Empty(String),
}

struct HotJob {
    core: Option<usize>,
    strategies: Vec<StrategySource>,
    host: HostConfig,
    specs: Vec<InstrumentSpec>,
    config: Config,
    live_clock: bool,
    consumer: FeedConsumer,
    sync: Arc<PassSync>,
    threshold_ns: u64,
    created: std::sync::mpsc::Sender<Result<Vec<String>, BenchError>>,
}

struct HotOutcome {
    latency: LatencyRecorder,
    passes: Vec<(u64, u64, u64)>,
    hiccups: HiccupReport,
    records: u64,
    strategy_calls: u64,
    disabled: Vec<Option<String>>,
}

fn create(
    sources: &[StrategySource],
    host: &HostConfig,
) -> Result<Vec<StrategyInstance>, BenchError> {
    sources
        .iter()
        .map(|s| {
            s.create(host)
                .map(|(instance, _)| instance)
                .map_err(|e| BenchError::Strategy {
                    which: s.label(),
                    message: e.to_string(),
                })
        })
        .collect()
}

/// The hot thread: per pass, a fresh engine with fresh strategy instances, busy-polling the
/// ring until the pass is done.
fn hot_thread(job: HotJob) -> Option<HotOutcome> {
    if let Some(c) = job.core {
        pin_to(c);
    }
    let scale = TscScale::get();
    let mut total = LatencyRecorder::new(job.strategies.len());
    let mut hiccups = HiccupRecorder::new(job.threshold_ns, scale);
    let mut passes = Vec::new();
    let (mut records, mut strategy_calls) = (0u64, 0u64);
    let mut disabled = Vec::new();
    let feeds = [job.consumer.clone()];
    for pass in 0..job.sync.passes() {
        let instances = match create(&job.strategies, &job.host) {
            Ok(i) => i,
            Err(e) => {
                let _ = job.created.send(Err(e));
                return None;
            }
        };
        if pass == 0 {
            let names = instances.iter().map(|i| i.name().to_owned()).collect();
            if job.created.send(Ok(names)).is_err() {
                return None;
            }
        }
        let clock = if job.live_clock {
            Clock::live()
        } else {
            Clock::replay(UnixNanos::ZERO)
        };
        let mut engine = HotEngine::new(
            clock,
            job.specs.clone(),
            instances,
            job.config.paper.clone(),
            job.config.risk.clone(),
            job.config.hot.top_levels,
            CountSink::default(),
        );
        engine.enable_latency();
        engine.start();
        job.sync.set_ready(pass);
        let mut frames_done = 0u64;
        // Both callbacks need the engine and the meter; a RefCell costs a flag check.
        let state = RefCell::new((engine, hiccups));
        poll_loop_stamped(
            &feeds,
            WaitStrategy::Spin,
            0,
            &job.sync.stops[pass as usize],
            |ev, t3| {
                let (engine, hiccups) = &mut *state.borrow_mut();
                hiccups.pause();
                engine.on_stamped(ev, t3);
                if closes_frame(&ev.event) {
                    frames_done += 1;
                    job.sync.done.store(frames_done, Ordering::Release);
                }
            },
            || {
                let (engine, hiccups) = &mut *state.borrow_mut();
                if job.live_clock {
                    engine.tick();
                }
                hiccups.observe(tsc::now());
            },
        );
        let end = tsc::now();
        let (mut engine, h) = state.into_inner();
        hiccups = h;
        engine.stop();
        if let Some(lat) = engine.latency() {
            total.add(lat);
        }
        let stats = engine.stats();
        passes.push((job.sync.start(pass), end, stats.events));
        records += engine.output().0;
        strategy_calls += stats.strategy_calls;
        disabled = engine
            .strategy_summaries()
            .into_iter()
            .map(|s| s.disabled)
            .collect();
    }
    Some(HotOutcome {
        latency: total,
        passes,
        hiccups: hiccups.report(scale),
        records,
        strategy_calls,
        disabled,
    })
}

/// Runs the bench and returns its report.
pub fn run(opts: BenchOptions) -> Result<BenchReport, BenchError> {
    let scale = TscScale::get();
    let place = placement(opts.hot_core);
    match opts.source.clone() {
        BenchSource::Capture {
            captures,
            rate,
            passes,
            in_flight,
        } => {
            let in_flight = if rate.is_some() { 0 } else { in_flight };
            let run = CaptureRun {
                captures,
                rate,
                passes: passes.max(1),
                in_flight,
            };
            run_capture(opts, place, scale, run)
        }
        BenchSource::Sim { rate, duration } => run_sim(opts, place, scale, rate, duration),
    }
}

struct Started {
    hot: std::thread::JoinHandle<Option<HotOutcome>>,
    names: Vec<String>,
    meter: HiccupMeter,
}

fn start_hot(
    opts: BenchOptions,
    place: Placement,
    specs: Vec<InstrumentSpec>,
    symbols: Vec<String>,
    live_clock: bool,
    consumer: FeedConsumer,
    sync: &Arc<PassSync>,
) -> Result<Started, BenchError> {
    let meter = HiccupMeter::spawn(place.other, opts.hiccup_threshold_ns, true);
    let (tx, rx) = std::sync::mpsc::channel();
    let job = HotJob {
        core: place.hot,
        strategies: opts.strategies,
        host: HostConfig {
            instruments: symbols,
            ..HostConfig::default()
        },
        specs,
        config: opts.config,
        live_clock,
        consumer,
        sync: Arc::clone(sync),
        threshold_ns: opts.hiccup_threshold_ns,
        created: tx,
    };
    let hot = std::thread::Builder::new()
        .name("ladder-hot".into())
        .spawn(move || hot_thread(job))
        .map_err(|e| BenchError::Thread(format!("cannot start the hot thread: {e}")))?;
    match rx.recv() {
        Ok(Ok(names)) => Ok(Started { hot, names, meter }),
        Ok(Err(e)) => {
            sync.abort();
            let _ = hot.join();
            Err(e)
        }
        Err(_) => {
            sync.abort();
            Err(BenchError::Thread(
                "the hot thread ended while starting".into(),
            ))
        }
    }
}

struct CaptureRun {
    captures: Vec<CaptureInput>,
    rate: Option<f64>,
    passes: u32,
    in_flight: u32,
}

fn run_capture(
    opts: BenchOptions,
    place: Placement,
    scale: TscScale,
    run: CaptureRun,
) -> Result<BenchReport, BenchError> {
    let CaptureRun {
        captures,
        rate,
        passes,
        in_flight,
    } = run;
    let (registry, _) = build_registry(&captures, &opts.config.instruments, None)?;
    if registry.is_empty() {
        return Err(BenchError::Empty(format!(
            "capture {} holds no market data of its venue",
            describe(&captures)
        )));
    }
    let venue = registry
        .venues()
        .iter()
        .map(|v| v.name())
        .collect::<Vec<_>>()
        .join(",");
    let frames = Arc::new(capture::Frames::load(&captures)?);
    let symbols: Vec<String> = registry.iter().map(|i| i.name.clone()).collect();
    let specs: Vec<InstrumentSpec> = registry.iter().map(|i| i.spec).collect();
    let (producer, consumer) = feed_ring(opts.config.hot.ring_capacity);
    let sync = Arc::new(PassSync::new(passes));
    let sources = strategy_labels(&opts.strategies);
    let ring_capacity = opts.config.hot.ring_capacity;
    let threshold = opts.hiccup_threshold_ns;
    let started = start_hot(opts, place, specs, symbols, false, consumer, &sync)?;
    let job = capture::FeedJob {
        frames: Arc::clone(&frames),
        registry: Arc::new(registry),
        producer,
        rate,
        in_flight,
        sync: Arc::clone(&sync),
        core: place.other,
    };
    let feed = std::thread::Builder::new()
        .name("ladder-bench-feed".into())
        .spawn(move || capture::feed_thread(job))
        .map_err(|e| BenchError::Thread(format!("cannot start the feed thread: {e}")))?;
    let feed_out = feed
        .join()
        .map_err(|_| BenchError::Thread("the feed thread panicked".into()))?;
    let hot = started
        .hot
        .join()
        .map_err(|_| BenchError::Thread("the hot thread panicked".into()))?
        .ok_or_else(|| BenchError::Thread("the hot thread ended early".into()))?;
    let other = started.meter.finish();
    let frames_per_pass = frames.len() as u64;
    Ok(BenchReport::build(report::Parts {
        mode: "capture",
        source: describe(&captures),
        venue,
        in_flight,
        rate,
        duration_s: None,
        scale,
        place,
        strategies: started.names,
        libraries: sources,
        latency: hot.latency,
        passes: hot
            .passes
            .iter()
            .map(|&(start, end, events)| PassReport {
                frames: frames_per_pass,
                events,
                wall_s: scale.to_ns(end.saturating_sub(start)) / 1e9,
            })
            .collect(),
        hiccups_other: other,
        hiccups_hot: hot.hiccups,
        threshold_ns: threshold,
        full_waits: feed_out.full_waits,
        decode_errors: feed_out.decode_errors + frames.malformed,
        gaps: feed_out.gaps,
        records: hot.records,
        strategy_calls: hot.strategy_calls,
        disabled: hot.disabled,
        ring_capacity,
    }))
}

fn strategy_labels(sources: &[StrategySource]) -> Vec<String> {
    sources
        .iter()
        .map(|s| match s {
            StrategySource::Library { path, .. } => path.display().to_string(),
            StrategySource::Static { label, .. } => format!("static:{label}"),
        })
        .collect()
}

fn run_sim(
    opts: BenchOptions,
    place: Placement,
    scale: TscScale,
    rate: f64,
    duration: Duration,
) -> Result<BenchReport, BenchError> {
    // Threads inherit their creator's affinity: the venue's runtime and the connector started
    // from here stay off the hot core.
    if let Some(c) = place.other {
        pin_to(c);
    }
    let sim_config = SimConfig {
        symbols: vec![SimSymbol::btcusdt()],
        messages_per_sec: rate,
        ..SimConfig::default()
    };
    let SimConnection {
        venue,
        endpoints,
        registry,
        running: sim,
    } = SimConnection::start(sim_config)?;
    let symbols: Vec<String> = registry.iter().map(|i| i.symbol.clone()).collect();
    let specs: Vec<InstrumentSpec> = registry.iter().map(|i| i.spec).collect();
    let (producer, consumer) = feed_ring(opts.config.hot.ring_capacity);
    let sync = Arc::new(PassSync::new(1));
    let sources = strategy_labels(&opts.strategies);
    let ring_capacity = opts.config.hot.ring_capacity;
    let threshold = opts.hiccup_threshold_ns;
    let started = start_hot(opts, place, specs, symbols.clone(), true, consumer, &sync)?;
    if !sync.wait_ready(0) {
        return Err(BenchError::Thread("the hot thread did not start".into()));
    }
    let mut feed_config = LiveFeedConfig::new(venue, symbols);
    feed_config.endpoints = endpoints;
    feed_config.watchdog = Duration::from_secs(5);
    let options = VenueOptions::per_event(venue);
    let feed = match spawn_feed_with(feed_config, &options, Arc::new(registry), producer) {
        Ok(f) => f,
        Err(e) => {
            sync.abort();
            let _ = started.hot.join();
            return Err(e.into());
        }
    };
    sync.set_start(0, tsc::now());
    std::thread::sleep(duration);
    let counters = feed.status.counters();
    feed.shutdown();
    sync.finish(0);
    let hot = started
        .hot
        .join()
        .map_err(|_| BenchError::Thread("the hot thread panicked".into()))?
        .ok_or_else(|| BenchError::Thread("the hot thread ended early".into()))?;
    let other = started.meter.finish();
    sim.stop();
    Ok(BenchReport::build(report::Parts {
        mode: "sim",
        in_flight: 0,
        source: "built-in simulated venue (Binance spot wire format, 127.0.0.1)".into(),
        venue: venue.to_string(),
        rate: Some(rate),
        duration_s: Some(duration.as_secs_f64()),
        scale,
        place,
        strategies: started.names,
        libraries: sources,
        latency: hot.latency,
        passes: hot
            .passes
            .iter()
            .map(|&(start, end, events)| PassReport {
                frames: counters.messages,
                events,
                wall_s: scale.to_ns(end.saturating_sub(start)) / 1e9,
            })
            .collect(),
        hiccups_other: other,
        hiccups_hot: hot.hiccups,
        threshold_ns: threshold,
        full_waits: 0,
        decode_errors: counters.decode_errors,
        gaps: counters.gaps,
        records: hot.records,
        strategy_calls: hot.strategy_calls,
        disabled: hot.disabled,
        ring_capacity,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hot::stamps::Stage;

    #[test]
    fn capture_bench_measures_every_feed_and_hot_stage_and_reports_json() {
        let Some(path) = crate::testutil::shared("captures/binance-spot_btcusdt_20240808.gz")
        else {
            return;
        };
        let report = run(BenchOptions {
            source: BenchSource::Capture {
                captures: vec![CaptureInput {
                    path,
                    venue: crate::feed::Venue::BinanceSpot,
                }],
                rate: None,
                passes: 2,
                in_flight: 1,
            },
            strategies: Vec::new(),
            config: Config::default(),
            hot_core: None,
            hiccup_threshold_ns: 1_000,
        })
        .expect("bench runs");
        let names: Vec<&str> = report.stages().iter().map(|l| l.name).collect();
        for s in [
            Stage::ReadDecoded,
            Stage::DecodedEnqueued,
            Stage::EnqueuedDequeued,
            Stage::DequeuedApplied,
            Stage::DequeuedDone,
        ] {
            assert!(names.contains(&s.name()), "{s:?} missing from {names:?}");
        }
        assert!(!names.contains(&Stage::ScheduleLag.name()), "not paced");
        let json = report.to_json();
        assert_eq!(
            json["throughput"]["passes"].as_array().map(Vec::len),
            Some(2)
        );
        let frames = json["throughput"]["frames"].as_u64().unwrap_or(0);
        assert!(frames > 80_000, "{frames}");
        assert_eq!(json["pipeline"]["decode_errors"].as_u64(), Some(0));
        assert!(json["machine"]["cpu_model"].is_string());
        assert!(json["hiccups"]["hot_core_idle_polls"]["observed_s"].is_number());
    }
}
