//! Once warm, the hot thread allocates nothing per event, with a trace-level log subscriber
//! installed: thousands of real events through book + both example strategies (statically
//! linked, so their allocations are visible here) + risk + paper exchange, counted by a global
//! allocator on this thread only.
//!
//! The second test sends the same events through the stamped path (feed ring with `t0..t2`,
//! `t3` on pop, hot stage stamps into the latency histograms) and counts both the feed side and
//! the hot side.
#![allow(clippy::unwrap_used, clippy::expect_used, unsafe_code)]

use ladder_engine::capture::merge::CaptureInput;
use ladder_engine::capture::pipeline::read_events;
use ladder_engine::clock::Clock;
use ladder_engine::clock::tsc;
use ladder_engine::config::Config;
use ladder_engine::feed::Venue;
use ladder_engine::hot::HotEngine;
use ladder_engine::hot::output::CountSink;
use ladder_engine::hot::ring::feed_ring;
use ladder_engine::hot::stamps::{Stage, StampedEvent, StrategyStage};
use ladder_engine::plugin::HostConfig;
use ladder_engine::replay::StrategySource;
use ladder_engine::session::snapshot::{Snapshot, copy_histogram};
use ladder_sdk::{MarketEvent, UnixNanos};
use ladder_tests::{example_strategies, shared};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn counting() -> bool {
    COUNTING.try_with(Cell::get).unwrap_or(false)
}

// SAFETY: every call forwards to the system allocator unchanged; the counter is a relaxed
// atomic and the thread-local flag is const-initialized (touching it never allocates).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counting() {
            let n = ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            // `LADDER_ALLOC_TRACE=1 cargo test --test hot_alloc -- --nocapture` shows where.
            if n < 3 && std::env::var_os("LADDER_ALLOC_TRACE").is_some() {
                COUNTING.with(|c| c.set(false));
                let trace = std::backtrace::Backtrace::force_capture();
                eprintln!("allocation {n} of {} bytes:\n{trace}", layout.size());
                COUNTING.with(|c| c.set(true));
            }
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if counting() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: `ptr` came from `System` with `layout`; same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Real pre-decoded events and an engine running both example strategies.
fn setup() -> Option<(Vec<MarketEvent>, HotEngine<CountSink>)> {
    // Logging on, at its most verbose, as `--log-level trace` installs it.
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(std::io::sink)
        .try_init();
    let capture = shared("captures/binance-usdm_btcusdt_20240808.gz")?;
    let config = Config::default();
    // Real events through the capture pipeline (not measured here: the decoder has its own
    // zero-allocation path).
    let input = [CaptureInput {
        path: capture,
        venue: Venue::BinanceUsdm,
    }];
    let (registry, mut events) = read_events(&input, &config.instruments).unwrap();
    events.truncate(400_000);
    let specs = registry.iter().map(|i| i.spec).collect::<Vec<_>>();
    let host = HostConfig {
        instruments: registry.iter().map(|i| i.name.clone()).collect(),
        ..HostConfig::default()
    };
    let strategies = example_strategies()
        .into_iter()
        .map(|s| match s {
            StrategySource::Static { factory, .. } => factory(&host).unwrap(),
            StrategySource::Library { .. } => unreachable!(),
        })
        .collect();
    let engine = HotEngine::new(
        Clock::replay(UnixNanos::ZERO),
        specs,
        strategies,
        config.paper.clone(),
        config.risk.clone(),
        config.hot.top_levels,
        CountSink::default(),
    );
    Some((events, engine))
}

#[test]
fn hot_engine_allocates_nothing_per_event_once_warm() {
    let Some((events, mut engine)) = setup() else {
        return;
    };
    engine.start();
    let warm = events.len() / 4;
    for ev in &events[..warm] {
        engine.on_event(ev);
    }
    ALLOCATIONS.store(0, Ordering::Relaxed);
    COUNTING.with(|c| c.set(true));
    for ev in &events[warm..] {
        engine.on_event(ev);
    }
    COUNTING.with(|c| c.set(false));
    let measured = events.len() - warm;
    let allocations = ALLOCATIONS.load(Ordering::Relaxed);
    let stats = engine.stats();
    eprintln!(
        "{measured} events measured ({} book updates, {} trades, {} strategy calls, {} records out): {allocations} allocations",
        stats.book_updates,
        stats.trades,
        stats.strategy_calls,
        engine.output().0
    );
    assert!(measured > 10_000);
    assert!(
        engine.output().0 > 0,
        "the strategies produced output while measured"
    );
    assert_eq!(allocations, 0, "allocations on the hot thread once warm");
}

#[test]
fn swap_poll_between_events_allocates_nothing_while_no_swap_is_pending() {
    let Some((events, mut engine)) = setup() else {
        return;
    };
    // As the paper session's hot thread does: the swap channel polled before every event.
    let (_reload_side, swaps) = ladder_engine::hot::swap_channel();
    engine.start();
    let warm = events.len() / 4;
    for ev in &events[..warm] {
        assert!(!engine.poll_swaps(&swaps));
        engine.on_event(ev);
    }
    ALLOCATIONS.store(0, Ordering::Relaxed);
    COUNTING.with(|c| c.set(true));
    for ev in &events[warm..] {
        engine.poll_swaps(&swaps);
        engine.on_event(ev);
    }
    COUNTING.with(|c| c.set(false));
    assert!(engine.swaps().is_empty());
    assert_eq!(
        ALLOCATIONS.load(Ordering::Relaxed),
        0,
        "allocations on the hot thread once warm, swap poll included"
    );
}

#[test]
fn stamped_pipeline_allocates_nothing_per_event_once_warm() {
    let Some((events, mut engine)) = setup() else {
        return;
    };
    engine.enable_latency();
    engine.start();
    let (mut producer, consumer) = feed_ring(1024);
    // One frame's worth at a time through the ring: stamp, push, pop, stamp, process.
    let mut run = |events: &[MarketEvent], engine: &mut HotEngine<CountSink>| {
        for chunk in events.chunks(256) {
            let t0 = tsc::now();
            let t1 = tsc::now();
            for ev in chunk {
                let stamped = StampedEvent {
                    t0,
                    t1,
                    ..StampedEvent::unstamped(*ev)
                };
                assert!(producer.try_push_stamped(stamped));
            }
            while let Some(ev) = consumer.pop_stamped() {
                engine.on_stamped(&ev, tsc::now());
            }
        }
    };
    let warm = events.len() / 4;
    run(&events[..warm], &mut engine);
    let frames_warm = engine.latency().unwrap().frames();
    ALLOCATIONS.store(0, Ordering::Relaxed);
    COUNTING.with(|c| c.set(true));
    run(&events[warm..], &mut engine);
    COUNTING.with(|c| c.set(false));
    let allocations = ALLOCATIONS.load(Ordering::Relaxed);
    let lat = engine.latency().unwrap();
    let frames = lat.frames() - frames_warm;
    eprintln!("{frames} stamped frames measured: {allocations} allocations");
    assert!(frames > 1_000, "frames were measured");
    assert!(!lat.stage(Stage::EnqueuedDequeued).is_empty());
    assert!(!lat.stage(Stage::DequeuedApplied).is_empty());
    assert!(
        !lat.strategy(0, StrategyStage::ReadSignal)
            .unwrap()
            .is_empty(),
        "the imbalance strategy's signals were timed"
    );
    assert!(
        (0..2).any(|s| !lat.strategy(s, StrategyStage::ReadAck).unwrap().is_empty()),
        "some order reached the paper exchange while measured"
    );
    assert_eq!(allocations, 0, "allocations on the stamped path once warm");
}

/// The hot thread's snapshot publication (every 100 ms: dashboard, and with `--metrics` the
/// whole latency histograms for the Prometheus exporter) allocates nothing once its buffers
/// exist: events in chunks, a publication with histograms after each, the second half counted.
#[test]
fn snapshot_publication_with_metric_histograms_allocates_nothing_once_warm() {
    let Some((events, mut engine)) = setup() else {
        return;
    };
    engine.enable_latency();
    engine.start();
    let mut snap = Snapshot {
        histograms: true,
        ..Snapshot::default()
    };
    let mut processing =
        hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap();
    let (mut producer, consumer) = feed_ring(1024);
    let mut run =
        |events: &[MarketEvent], engine: &mut HotEngine<CountSink>, snap: &mut Snapshot| {
            for chunk in events.chunks(4096) {
                let t0 = tsc::now();
                for ev in chunk {
                    assert!(producer.try_push_stamped(StampedEvent {
                        t0,
                        t1: t0,
                        ..StampedEvent::unstamped(*ev)
                    }));
                    while let Some(ev) = consumer.pop_stamped() {
                        engine.on_stamped(&ev, tsc::now());
                        processing.record(1 + (ev.t0 & 1023)).unwrap();
                    }
                }
                snap.publish(engine, UnixNanos::from_nanos(1));
                copy_histogram(&mut snap.processing_histogram, &processing);
            }
        };
    let half = events.len() / 2;
    run(&events[..half], &mut engine, &mut snap);
    ALLOCATIONS.store(0, Ordering::Relaxed);
    COUNTING.with(|c| c.set(true));
    run(&events[half..], &mut engine, &mut snap);
    COUNTING.with(|c| c.set(false));
    let allocations = ALLOCATIONS.load(Ordering::Relaxed);
    let stages = snap
        .stages
        .iter()
        .flatten()
        .filter(|h| !h.is_empty())
        .count();
    assert!(stages >= 3, "stage histograms were copied: {stages}");
    assert_eq!(
        snap.processing_histogram
            .as_ref()
            .map(hdrhistogram::Histogram::len),
        Some(events.len() as u64)
    );
    assert_eq!(allocations, 0, "allocations while publishing once warm");
}

/// The Bybit book side (decode + sequence + events) allocates nothing per frame once its
/// buffers have grown: the spot `orderbook.200` capture twice through `VenueBooks`, the second
/// pass counted (it starts again from the recording's snapshot, so it syncs the same way).
#[test]
fn bybit_books_allocate_nothing_per_frame_once_warm() {
    use ladder_engine::capture::grid::build_registry;
    use ladder_engine::capture::{CaptureReader, Next};
    use ladder_engine::feed::VenueBooks;
    use ladder_engine::feed::books::FeedBooks;

    let Some(path) = shared("vectors/bybit/capture_bybit-v5-spot_cryptofeed_20260809.txt.gz")
    else {
        return;
    };
    let input = [CaptureInput {
        path: path.clone(),
        venue: Venue::BybitSpot,
    }];
    let (registry, _) = build_registry(&input, &[], None).unwrap();
    let mut frames: Vec<(UnixNanos, Vec<u8>)> = Vec::new();
    let mut reader = CaptureReader::open(&path).unwrap();
    while let Some(next) = reader.next_line().unwrap() {
        if let Next::Line(l) = next {
            frames.push((l.ts_recv, l.frame.to_vec()));
        }
    }
    let mut books = VenueBooks::new(Venue::BybitSpot, &registry);
    let (mut events, mut faults) = (0u64, 0u64);
    let pass = |books: &mut VenueBooks, events: &mut u64, faults: &mut u64| {
        for (ts, frame) in &frames {
            let f = books
                .on_frame(&registry, *ts, frame, &mut |_| *events += 1)
                .unwrap();
            *faults += u64::from(f.fault.is_some());
        }
    };
    pass(&mut books, &mut events, &mut faults);
    let warm = events;
    ALLOCATIONS.store(0, Ordering::Relaxed);
    COUNTING.with(|c| c.set(true));
    pass(&mut books, &mut events, &mut faults);
    COUNTING.with(|c| c.set(false));
    let allocations = ALLOCATIONS.load(Ordering::Relaxed);
    eprintln!(
        "{} frames, {} events measured: {allocations} allocations",
        frames.len(),
        events - warm
    );
    assert!(events - warm > 2_000);
    assert_eq!(faults, 0, "both passes sync cleanly");
    assert_eq!(
        allocations, 0,
        "allocations in the Bybit book side once warm"
    );
}
