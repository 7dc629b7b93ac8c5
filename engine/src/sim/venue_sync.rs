//! The Bybit, OKX and Kraken encoders against the real books: a long simulated run (the market tasks
//! driven by a test clock) whose frames are decoded and sequenced by `VenueBooks`, as one
//! connection would receive them. A subscription starts with its snapshot; when the books ask
//! for one (a fault) the harness resubscribes, as the live core does. Checked: no fault where
//! none is injected, each injected fault detected as its own kind and nothing else, and the
//! book equal to the model's top levels at every step.

use super::faults::{DepthFaults, FaultConfig, FaultStats};
use super::market::{self, Clock};
use super::stream::{BookTopic, KINDS, StreamKind};
use super::{Published, Shared, SimConfig};
use crate::feed::books::{Discard, FeedBooks};
use crate::feed::integrity::FaultCounts;
use crate::feed::{Venue, VenueBooks};
use crate::instrument::Registry;
use ladder_sdk::{BookState, Side, UnixNanos};
use std::sync::Arc;

const EPOCH_NS: u64 = 1_786_310_816_000_000_000;
const STEP_NS: u64 = 10_000_000;

/// What a run saw.
struct Run {
    /// Faults the books detected, over all instruments.
    detected: FaultCounts,
    /// Faults the simulator injected.
    injected: FaultStats,
    /// Book messages applied (deltas and snapshots) over all instruments.
    applied: u64,
    /// Trades decoded.
    trades: u64,
    /// Resubscriptions the books asked for.
    resyncs: u64,
    /// Steps at which a synced book differed from the model's top levels.
    mismatches: u64,
    /// Bybit: `u = 1` restarts the books took.
    restarts: u64,
    /// Bybit: book messages sent again with the last message's `u`.
    resent: u64,
    books: VenueBooks,
    topic: BookTopic,
    secs: u64,
}

/// Runs `venue` for `secs` of simulated time, one connection subscribed to `topic` and the
/// trades of every symbol.
fn run(venue: Venue, topic: BookTopic, faults: FaultConfig, secs: u64) -> Run {
    run_at(venue, topic, faults, secs, 400.0)
}

/// [`run`] at `rate` book events per second (over both symbols).
fn run_at(venue: Venue, topic: BookTopic, faults: FaultConfig, secs: u64, rate: f64) -> Run {
    let config = SimConfig {
        messages_per_sec: rate,
        faults,
        ..SimConfig::for_venue(venue).unwrap()
    };
    run_with(config, topic, secs)
}

/// [`run`] of `config` (seed 7). Without snapshots in the stream each book joins the REST
/// book (`/api/v5/market/books`), at the start and at every resync.
fn run_with(config: SimConfig, topic: BookTopic, secs: u64) -> Run {
    let venue = config.venue;
    let config = SimConfig { seed: 7, ..config };
    let rest_join = !config.stream_snapshots;
    let shared = Arc::new(Shared::new(config).unwrap());
    let mut registry = Registry::new();
    let ids: Vec<_> = shared
        .markets
        .iter()
        .map(|m| {
            registry
                .add(venue, &m.symbol.symbol, m.symbol.spec().unwrap())
                .unwrap()
        })
        .collect();
    let mut books = VenueBooks::new(venue, &registry);
    if let VenueBooks::Kraken(b) = &mut books {
        // The live side sets the depth it subscribes; so does this harness.
        ids.iter()
            .for_each(|&id| b.set_depth(id, u32::from(topic.depth)));
    }
    let mut rx = shared.tx.subscribe();
    let kind = StreamKind::Book(topic);
    let trade_kind = if venue == Venue::Okx {
        StreamKind::AggTrade
    } else {
        StreamKind::Trade
    };
    let mut floors = vec![0u64; shared.markets.len() * KINDS];
    let mut conn_faults = DepthFaults::default();
    let mut out = Vec::new();
    let mut resyncs = 0;
    let feed = |books: &mut VenueBooks, text: &str, t: u64| {
        books
            .on_frame(
                &registry,
                UnixNanos::from_nanos(t),
                text.as_bytes(),
                &mut Discard,
            )
            .unwrap_or_else(|e| panic!("{e}: {text}"))
    };
    // A subscription's snapshot, fed to the books: the stream's, or the REST book.
    let snapshot = |i: usize, floors: &mut Vec<u64>, books: &mut VenueBooks, t: u64| {
        let s = shared.markets[i].book_snapshot(topic, &shared.encoder);
        floors[i * KINDS + kind.index()] = s.number;
        if rest_join {
            let query = [
                ("instId".to_owned(), shared.markets[i].symbol.symbol.clone()),
                ("sz".to_owned(), "400".to_owned()),
            ];
            let body = shared
                .encoder
                .rest_answer(&shared, "/api/v5/market/books", &query)
                .body;
            books
                .on_snapshot_body(
                    &registry,
                    ids[i],
                    UnixNanos::from_nanos(t),
                    body.as_bytes(),
                    &mut Discard,
                )
                .unwrap_or_else(|e| panic!("{e}: {body}"));
        } else {
            feed(books, s.frame.combined(), t);
        }
    };
    let mut trades = 0;
    let mut last_u: Vec<Option<u64>> = vec![None; shared.markets.len()];
    let mut resent = 0;
    for (i, m) in shared.markets.iter().enumerate() {
        m.subscribe(kind);
        m.subscribe(trade_kind);
        snapshot(i, &mut floors, &mut books, EPOCH_NS);
    }
    let clock = Clock {
        t0: tokio::time::Instant::now(),
        epoch_ns: EPOCH_NS,
    };
    let mut states: Vec<_> = (0..shared.markets.len())
        .map(|i| market::State::new(i, &shared.encoder))
        .collect();
    let mut mismatches = 0;
    let mut now = 0;
    while now <= secs * 1_000_000_000 {
        for (i, state) in states.iter_mut().enumerate() {
            state.advance_to(&shared, i, now, &clock);
        }
        let t = EPOCH_NS + now;
        while let Ok(p) = rx.try_recv() {
            let p: Arc<Published> = p;
            let key = p.symbol * KINDS + p.kind.index();
            if p.number != 0 && p.number <= floors[key] {
                continue;
            }
            if p.faultable {
                let key = u32::try_from(key).unwrap();
                let (config, counters) = (&shared.config.faults, &shared.faults);
                conn_faults.on_depth((key, Arc::clone(&p.frame)), config, counters, &mut out);
            } else {
                out.push(Arc::clone(&p.frame));
            }
            for f in out.drain(..) {
                if p.kind == kind && venue != Venue::Okx {
                    let v: serde_json::Value = serde_json::from_str(f.combined()).unwrap();
                    let u = v["data"]["u"].as_u64();
                    resent += u64::from(u.is_some() && u == last_u[p.symbol]);
                    last_u[p.symbol] = u;
                }
                let frame = feed(&mut books, f.combined(), t);
                if p.kind == trade_kind && frame.instrument.is_some() {
                    trades += 1;
                }
            }
            for (i, &id) in ids.iter().enumerate() {
                if books.needs_snapshot(id) {
                    resyncs += 1;
                    snapshot(i, &mut floors, &mut books, t);
                }
            }
        }
        // Right after the topic's interval closed the image sent is the model's top.
        let closed = now.is_multiple_of(topic.ns());
        for (i, &id) in ids.iter().enumerate() {
            let view = books.view(id).unwrap();
            if !closed || view.state != BookState::Synced {
                continue;
            }
            let model = shared.markets[i].model();
            let depth = usize::from(topic.depth);
            for side in [Side::Buy, Side::Sell] {
                let want = model.levels(side, depth);
                let got: Vec<(i64, i64)> = view
                    .book
                    .levels(side)
                    .take(depth + 1)
                    .map(|l| (l.price.ticks(), l.qty.lots()))
                    .collect();
                if got != want {
                    mismatches += 1;
                }
            }
        }
        now += STEP_NS;
    }
    let mut detected = FaultCounts::default();
    let mut applied = 0;
    for &id in &ids {
        let stats = books.view(id).unwrap().stats;
        detected.add(&stats.faults);
        applied += stats.applied + stats.snapshots;
    }
    let restarts = match &books {
        VenueBooks::Bybit(b) => ids
            .iter()
            .map(|&id| b.sequencer(id).map_or(0, |s| s.restarts()))
            .sum(),
        _ => 0,
    };
    Run {
        detected,
        injected: shared.faults.snapshot(),
        applied,
        trades,
        resyncs,
        mismatches,
        restarts,
        resent,
        books,
        topic,
        secs,
    }
}

fn topic(venue: Venue, depth: u16) -> BookTopic {
    *shared_topics(venue)
        .iter()
        .find(|t| t.depth == depth)
        .unwrap()
}

fn shared_topics(venue: Venue) -> &'static [BookTopic] {
    super::encode::Encoder::for_venue(venue)
        .unwrap()
        .book_topics()
}

/// Book messages a clean run must reach: 15 a second (level 1 changes far less often than
/// the deep books), or 80% of the intervals of a slow topic (two symbols).
fn enough(topic: BookTopic, secs: u64) -> u64 {
    (secs * 15).min(secs * 1000 / u64::from(topic.every_ms) * 2 * 8 / 10)
}

fn assert_clean(r: &Run, what: &str) {
    assert_eq!(r.detected.total(), 0, "{what}: {:?}", r.detected.by_kind());
    assert_eq!(r.resyncs, 0, "{what}");
    assert_eq!(r.mismatches, 0, "{what}: book differs from the model's");
    assert!(
        r.applied >= enough(r.topic, r.secs),
        "{what}: only {} book messages",
        r.applied
    );
    assert!(r.trades > 5, "{what}: only {} trades", r.trades);
}

#[test]
fn bybit_linear_orderbook_50_syncs_with_no_fault_and_the_models_book() {
    let r = run(
        Venue::BybitLinear,
        topic(Venue::BybitLinear, 50),
        FaultConfig::default(),
        20,
    );
    assert_clean(&r, "bybit-linear orderbook.50");
    assert_eq!(r.restarts, 0);
    assert_eq!(r.books.venue(), Venue::BybitLinear);
}

#[test]
fn bybit_spot_orderbook_200_and_level_1_sync_with_no_fault() {
    let r = run(
        Venue::BybitSpot,
        topic(Venue::BybitSpot, 200),
        FaultConfig::default(),
        20,
    );
    assert_clean(&r, "bybit-spot orderbook.200");
    let r = run(
        Venue::BybitSpot,
        topic(Venue::BybitSpot, 1),
        FaultConfig::default(),
        10,
    );
    assert_clean(&r, "bybit-spot orderbook.1");
}

#[test]
fn bybit_inverse_orderbook_1000_syncs_with_no_fault() {
    let r = run(
        Venue::BybitInverse,
        topic(Venue::BybitInverse, 1000),
        FaultConfig::default(),
        10,
    );
    assert_clean(&r, "bybit-inverse orderbook.1000");
}

#[test]
fn okx_books_and_tick_by_tick_channels_sync_with_checksums_and_no_fault() {
    for depth in [400, 50] {
        let r = run(
            Venue::Okx,
            topic(Venue::Okx, depth),
            FaultConfig::default(),
            20,
        );
        assert_clean(&r, &format!("okx depth {depth}"));
        let checksums: u64 = r
            .books
            .instruments()
            .iter()
            .map(|&id| r.books.view(id).unwrap().stats.checksums)
            .sum();
        assert!(
            checksums >= r.applied - 2,
            "every book message carries a checked checksum: {checksums} of {}",
            r.applied
        );
    }
    let r = run(Venue::Okx, topic(Venue::Okx, 5), FaultConfig::default(), 10);
    assert_clean(&r, "okx books5");
}

#[test]
fn bybit_restart_snapshot_replaces_the_book_with_no_fault() {
    let faults = FaultConfig {
        restart_every: Some(50),
        ..FaultConfig::default()
    };
    let r = run(
        Venue::BybitLinear,
        topic(Venue::BybitLinear, 50),
        faults,
        20,
    );
    assert!(r.injected.restarts >= 10, "{:?}", r.injected);
    assert_eq!(r.restarts, r.injected.restarts);
    assert_clean(&r, "bybit restarts");
}

#[test]
fn dropped_deltas_are_sequence_gaps_on_both_venues() {
    for (venue, depth) in [(Venue::BybitLinear, 50), (Venue::Okx, 400)] {
        let faults = FaultConfig {
            drop_every: Some(20),
            ..FaultConfig::default()
        };
        let r = run(venue, topic(venue, depth), faults, 20);
        let n = r.injected.dropped;
        assert!(n >= 10, "{venue}: {:?}", r.injected);
        // The last drop may have no message after it to reveal it.
        assert!(
            r.detected.sequence_gap == n || r.detected.sequence_gap + 1 == n,
            "{venue}: {} gaps for {n} drops",
            r.detected.sequence_gap
        );
        assert_eq!(
            r.detected.total(),
            r.detected.sequence_gap,
            "{venue}: {:?}",
            r.detected.by_kind()
        );
        // Between a dropped delta and the message that reveals it the book is behind: no
        // protocol can tell earlier, so the model comparison does not apply here.
    }
}

#[test]
fn bybit_level_1_resends_an_unchanged_top_with_the_same_u_and_no_fault() {
    let r = run_at(
        Venue::BybitLinear,
        topic(Venue::BybitLinear, 1),
        FaultConfig::default(),
        60,
        4.0,
    );
    assert!(r.resent >= 3, "{} re-sends", r.resent);
    assert_eq!(r.detected.total(), 0, "{:?}", r.detected.by_kind());
    assert_eq!(r.mismatches, 0);
    let busy = run(
        Venue::BybitLinear,
        topic(Venue::BybitLinear, 50),
        FaultConfig::default(),
        5,
    );
    assert_eq!(busy.resent, 0, "deeper topics never re-send");
}

#[test]
fn okx_without_stream_snapshots_joins_the_rest_book_and_resyncs_by_rest() {
    let config = SimConfig {
        stream_snapshots: false,
        messages_per_sec: 400.0,
        ..SimConfig::for_venue(Venue::Okx).unwrap()
    };
    let r = run_with(config.clone(), topic(Venue::Okx, 400), 20);
    assert_clean(&r, "okx REST join");
    let faulty = SimConfig {
        faults: FaultConfig {
            seq_break_every: Some(40),
            ..FaultConfig::default()
        },
        ..config
    };
    let r = run_with(faulty, topic(Venue::Okx, 400), 20);
    let n = r.injected.seq_breaks;
    assert!(n >= 10, "{:?}", r.injected);
    assert_eq!(r.detected.sequence_gap, n);
    assert_eq!(r.detected.total(), n, "{:?}", r.detected.by_kind());
    assert_eq!((r.resyncs, r.mismatches), (n, 0));
}

#[test]
fn kraken_books_sync_with_every_checksum_verified_and_no_fault() {
    for depth in [10, 25, 1000] {
        let r = run(
            Venue::Kraken,
            topic(Venue::Kraken, depth),
            FaultConfig::default(),
            10,
        );
        assert_clean(&r, &format!("kraken depth {depth}"));
        let verified: u64 = r
            .books
            .instruments()
            .iter()
            .map(|&id| match &r.books {
                VenueBooks::Kraken(b) => b.sequencer(id).map_or(0, |s| s.verified()),
                _ => 0,
            })
            .sum();
        assert_eq!(verified, r.applied, "depth {depth}: every message verified");
    }
}

/// One fault of a venue at a time: each injected one is detected as its own kind and nothing
/// else, and resynced, with the books equal to the model's.
#[rstest::rstest]
#[case::okx_bad_checksum_is_a_checksum_mismatch(
    Venue::Okx,
    400,
    FaultConfig { bad_checksum_every: Some(40), ..FaultConfig::default() },
    |i: &FaultStats| i.bad_checksums,
    |d: &FaultCounts| d.checksum_mismatch
)]
#[case::okx_prev_seq_id_break_is_a_sequence_gap(
    Venue::Okx,
    400,
    FaultConfig { seq_break_every: Some(40), ..FaultConfig::default() },
    |i: &FaultStats| i.seq_breaks,
    |d: &FaultCounts| d.sequence_gap
)]
#[case::kraken_bad_checksum_is_a_checksum_mismatch(
    Venue::Kraken,
    25,
    FaultConfig { bad_checksum_every: Some(40), ..FaultConfig::default() },
    |i: &FaultStats| i.bad_checksums,
    |d: &FaultCounts| d.checksum_mismatch
)]
fn injected_fault_is_detected_as_its_own_kind_only(
    #[case] venue: Venue,
    #[case] depth: u16,
    #[case] faults: FaultConfig,
    #[case] injected: fn(&FaultStats) -> u64,
    #[case] detected: fn(&FaultCounts) -> u64,
) {
    let r = run(venue, topic(venue, depth), faults, 20);
    let n = injected(&r.injected);
    assert!(n >= 10, "{:?}", r.injected);
    assert_eq!(detected(&r.detected), n);
    assert_eq!(r.detected.total(), n, "{:?}", r.detected.by_kind());
    assert_eq!(r.resyncs, n);
    assert_eq!(r.mismatches, 0);
}
