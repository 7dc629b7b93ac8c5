//! One input through the engine's own pipeline — capture line split, the venue's decoder,
//! sequencer, `L2Book` — with every invariant checked after every line. This file holds the
//! Binance pipeline and the invariants of every book; Bybit's is in [`super::bybit`].
//!
//! Invariants, per instrument the line touched:
//! - **book**: bids strictly descending, asks strictly ascending, no zero or negative
//!   quantity, the lazily refreshed top-N view equal to the first N levels;
//! - **synced book**: while the sequencer says `Synced`, no price is zero or negative and the
//!   book is neither crossed nor locked (best bid < best ask);
//! - **resync**: a `Stale` (or `Syncing`) book has asked for a snapshot (`needs_snapshot`);
//!   a `Synced` one has not and knows its update id, which never goes back between snapshots;
//! - **counters**: the sequencer's counters never decrease; `depth_updates` and `snapshots`
//!   equal the calls made, `applied` and `gaps` the sink calls it made; `applied +
//!   dropped_stale + buffer_overflows` never exceeds `depth_updates` and equals it when
//!   nothing is buffered.

use ladder_engine::book::{BookConfig, L2Book};
use ladder_engine::capture::parse_line;
use ladder_engine::feed::Venue;
use ladder_engine::feed::binance::{
    Decoded, Decoder, DepthHeader, DepthOutcome, Sequencer, SyncRule, SyncSink, SyncStats,
    snapshot_owner,
};
use ladder_engine::feed::integrity::Fault;
use ladder_engine::instrument::Registry;
use ladder_sdk::{BookState, InstrumentId, Level, Side};

/// A broken invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Which invariant (a short lowercase name, the key findings are grouped by).
    pub invariant: &'static str,
    /// The values that broke it.
    pub detail: String,
}

fn violation(invariant: &'static str, detail: String) -> Result<(), Violation> {
    Err(Violation { invariant, detail })
}

/// What the pipeline saw, summed over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Lines fed.
    pub lines: u64,
    /// Lines that are not `<ts> <frame>`.
    pub line_errors: u64,
    /// Frames the decoder rejected (and bare snapshots of an unknown owner).
    pub decode_errors: u64,
    /// Diffs sequenced.
    pub depth: u64,
    /// Diffs applied (as they came, or replayed after a snapshot).
    pub applied: u64,
    /// Gaps reported (as diffs came, or in a replay after a snapshot).
    pub gaps: u64,
    /// Snapshots applied.
    pub snapshots: u64,
    /// Trades, book tickers and other frames decoded.
    pub other: u64,
    /// Invariant checks made on a `Synced` book.
    pub synced_checks: u64,
}

/// What feeding one line did, for the corpus builder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fed {
    /// A diff and what the sequencer did with it.
    Depth(DepthHeader, DepthOutcome),
    /// A snapshot applied to this instrument.
    Snapshot(InstrumentId),
    /// Anything else, or an error.
    Other,
}

/// The harness's own account of what an instrument's sequencer was told and did.
#[derive(Debug, Default)]
struct Expect {
    depth_calls: u64,
    snapshot_calls: u64,
    deltas: u64,
    gaps: u64,
    last: SyncStats,
    synced_id: Option<u64>,
}

struct Inst {
    seq: Sequencer,
    book: L2Book,
    expect: Expect,
}

/// Applies the sequencer's decisions to a book, counting them.
struct Sink<'a> {
    book: &'a mut L2Book,
    expect: &'a mut Expect,
}

impl SyncSink for Sink<'_> {
    fn snapshot(&mut self, _: InstrumentId, _: u64, bids: &[Level], asks: &[Level]) {
        self.book.clear();
        self.apply(bids, asks);
    }

    fn delta(&mut self, _: &DepthHeader, bids: &[Level], asks: &[Level]) {
        self.expect.deltas += 1;
        self.apply(bids, asks);
    }

    fn fault(&mut self, _: InstrumentId, _: Fault) {
        self.expect.gaps += 1;
    }
}

impl Sink<'_> {
    fn apply(&mut self, bids: &[Level], asks: &[Level]) {
        for l in bids {
            self.book.apply(Side::Buy, l.price, l.qty);
        }
        for l in asks {
            self.book.apply(Side::Sell, l.price, l.qty);
        }
    }
}

/// The Binance venue whose sequencing `rule` is (the fuzz targets use spot and USD-M).
pub fn venue_of(rule: SyncRule) -> Venue {
    match rule {
        SyncRule::Spot => Venue::BinanceSpot,
        SyncRule::Futures => Venue::BinanceUsdm,
    }
}

/// One fuzz target's pipeline, by venue.
pub enum Pipeline {
    /// Binance spot or USD-M.
    Binance(BinancePipeline),
    /// Bybit spot, linear or inverse.
    Bybit(super::bybit::BybitPipeline),
}

impl Pipeline {
    /// The pipeline of `venue` for every instrument of `registry`.
    pub fn new(registry: &Registry, venue: Venue) -> Self {
        match venue {
            Venue::BybitSpot | Venue::BybitLinear | Venue::BybitInverse => {
                Self::Bybit(super::bybit::BybitPipeline::new(registry, venue))
            }
            _ => Self::Binance(BinancePipeline::new(registry, SyncRule::for_venue(venue))),
        }
    }

    /// Back to the start: new sequencers, empty books (their memory is kept).
    pub fn reset(&mut self) {
        match self {
            Self::Binance(p) => p.reset(),
            Self::Bybit(p) => p.reset(),
        }
    }

    /// Feeds one capture line and checks the invariants of the instrument it touched.
    pub fn feed(
        &mut self,
        registry: &Registry,
        line: &[u8],
        counts: &mut Counts,
    ) -> Result<Fed, Violation> {
        match self {
            Self::Binance(p) => p.feed(registry, line, counts),
            Self::Bybit(p) => p.feed(registry, line, counts),
        }
    }
}

/// Decoder, one sequencer and one book per instrument of a registry.
pub struct BinancePipeline {
    rule: SyncRule,
    decoder: Decoder,
    insts: Vec<Inst>,
}

impl BinancePipeline {
    /// A pipeline for every instrument of `registry`, under `rule`.
    pub fn new(registry: &Registry, rule: SyncRule) -> Self {
        let config = BookConfig {
            far_capacity: 1024,
            ..BookConfig::default()
        };
        Self {
            rule,
            decoder: Decoder::new(venue_of(rule)),
            insts: registry
                .iter()
                .map(|i| Inst {
                    seq: Sequencer::new(i.id, rule),
                    book: L2Book::new(config),
                    expect: Expect::default(),
                })
                .collect(),
        }
    }

    /// Back to the start: new sequencers, empty books (their memory is kept).
    pub fn reset(&mut self) {
        for inst in &mut self.insts {
            inst.seq = Sequencer::new(inst.seq.instrument(), self.rule);
            inst.book.clear();
            inst.expect = Expect::default();
        }
    }

    /// The book of `id`.
    pub fn book(&self, id: InstrumentId) -> &L2Book {
        &self.insts[id.index()].book
    }

    /// The sequencer of `id`.
    pub fn sequencer(&self, id: InstrumentId) -> &Sequencer {
        &self.insts[id.index()].seq
    }

    /// Feeds one capture line and checks the invariants of the instrument it touched.
    pub fn feed(
        &mut self,
        registry: &Registry,
        line: &[u8],
        counts: &mut Counts,
    ) -> Result<Fed, Violation> {
        counts.lines += 1;
        let Ok((ts, frame)) = parse_line(line) else {
            counts.line_errors += 1;
            return Ok(Fed::Other);
        };
        let decoded = match self.decoder.decode(frame, ts, registry) {
            Ok(d) => d,
            Err(_) => {
                counts.decode_errors += 1;
                return Ok(Fed::Other);
            }
        };
        let (id, fed) = match decoded {
            Decoded::Depth(h) => {
                let inst = &mut self.insts[h.instrument.index()];
                inst.expect.depth_calls += 1;
                let (deltas, gaps) = (inst.expect.deltas, inst.expect.gaps);
                let mut sink = Sink {
                    book: &mut inst.book,
                    expect: &mut inst.expect,
                };
                let outcome =
                    inst.seq
                        .on_depth(&h, self.decoder.bids(), self.decoder.asks(), &mut sink);
                let told = (inst.expect.deltas - deltas, inst.expect.gaps - gaps);
                let want = match outcome {
                    DepthOutcome::Applied => (1, 0),
                    DepthOutcome::Fault(_) => (0, 1),
                    DepthOutcome::Dropped | DepthOutcome::Duplicate | DepthOutcome::Buffered => {
                        (0, 0)
                    }
                };
                if told != want {
                    return violation(
                        "outcome_vs_sink",
                        format!("on_depth returned {outcome:?} but told the sink {told:?}"),
                    )
                    .map(|()| Fed::Other);
                }
                counts.depth += 1;
                counts.applied += u64::from(outcome == DepthOutcome::Applied);
                counts.gaps += u64::from(matches!(outcome, DepthOutcome::Fault(_)));
                (h.instrument, Fed::Depth(h, outcome))
            }
            Decoded::Snapshot(s) => {
                let id = match s.instrument {
                    Some(id) => id,
                    None => {
                        let owner =
                            snapshot_owner(s.last_update_id, self.insts.iter().map(|i| &i.seq));
                        let resolved = owner.and_then(|id| {
                            self.decoder.resolve_snapshot(registry.get(id)).ok()?;
                            Some(id)
                        });
                        let Some(id) = resolved else {
                            counts.decode_errors += 1;
                            return Ok(Fed::Other);
                        };
                        id
                    }
                };
                let inst = &mut self.insts[id.index()];
                inst.expect.snapshot_calls += 1;
                inst.expect.synced_id = None;
                let mut sink = Sink {
                    book: &mut inst.book,
                    expect: &mut inst.expect,
                };
                let (deltas, gaps) = (sink.expect.deltas, sink.expect.gaps);
                let replay_gap = inst.seq.on_snapshot(
                    s.last_update_id,
                    self.decoder.bids(),
                    self.decoder.asks(),
                    &mut sink,
                );
                if replay_gap.is_some() && inst.expect.gaps == gaps {
                    return violation(
                        "outcome_vs_sink",
                        format!("on_snapshot returned {replay_gap:?} but told the sink no gap"),
                    )
                    .map(|()| Fed::Other);
                }
                counts.snapshots += 1;
                counts.applied += inst.expect.deltas - deltas;
                counts.gaps += inst.expect.gaps - gaps;
                (id, Fed::Snapshot(id))
            }
            _ => {
                counts.other += 1;
                return Ok(Fed::Other);
            }
        };
        self.check(id, counts)?;
        Ok(fed)
    }

    /// Every invariant of one instrument.
    fn check(&mut self, id: InstrumentId, counts: &mut Counts) -> Result<(), Violation> {
        let inst = &mut self.insts[id.index()];
        check_counters(&inst.seq, &mut inst.expect)?;
        let state = inst.seq.state();
        let needs = inst.seq.needs_snapshot();
        match state {
            BookState::Stale | BookState::Syncing if !needs => {
                return violation(
                    "stale_without_resync",
                    format!("state {state:?} but needs_snapshot() is false"),
                );
            }
            BookState::Synced => {
                let Some(id) = inst.seq.last_update_id().filter(|_| !needs) else {
                    return violation(
                        "synced_state",
                        format!(
                            "Synced with needs_snapshot() {needs} and last_update_id() {:?}",
                            inst.seq.last_update_id()
                        ),
                    );
                };
                if let Some(prev) = inst.expect.synced_id
                    && id < prev
                {
                    return violation(
                        "update_id_went_back",
                        format!("last_update_id went from {prev} to {id} without a snapshot"),
                    );
                }
                inst.expect.synced_id = Some(id);
            }
            _ => inst.expect.synced_id = None,
        }
        check_book(&mut inst.book)?;
        if state == BookState::Synced {
            counts.synced_checks += 1;
            check_synced_book(&inst.book)?;
        }
        Ok(())
    }
}

fn check_counters(seq: &Sequencer, e: &mut Expect) -> Result<(), Violation> {
    let s = *seq.stats();
    let l = e.last;
    let monotone = s.depth_updates >= l.depth_updates
        && s.applied >= l.applied
        && s.dropped_stale >= l.dropped_stale
        && s.gaps >= l.gaps
        && s.snapshots >= l.snapshots
        && s.buffer_overflows >= l.buffer_overflows;
    if !monotone {
        return violation("counters", format!("went down: {l:?} -> {s:?}"));
    }
    e.last = s;
    let calls = (e.depth_calls, e.snapshot_calls, e.deltas, e.gaps);
    if (s.depth_updates, s.snapshots, s.applied, s.gaps) != calls {
        return violation(
            "counters",
            format!("{s:?} but (depth calls, snapshot calls, deltas, gaps) = {calls:?}"),
        );
    }
    // Every diff ends applied, dropped (covered or an exact repeat), discarded from a full
    // buffer or from a chain a fault broke, discarded with its fault (`U > u`, or it crossed the book), or still buffered. A
    // crossed snapshot also counts as `crossed`, so the count may exceed the diffs by at most
    // the snapshots.
    let discarded = s.faults.ids_reversed + s.faults.crossed;
    let settled =
        s.applied + s.dropped_stale + s.duplicates + s.buffer_overflows + s.discarded + discarded;
    let idle = seq.pending_range().is_none();
    let within = settled <= s.depth_updates + s.snapshots;
    if !within || (idle && settled < s.depth_updates) {
        return violation(
            "counters",
            format!(
                "applied + dropped + duplicates + overflows + discarded = {settled} with nothing buffered: {idle}, {s:?}"
            ),
        );
    }
    Ok(())
}

/// Structure every book keeps, synced or not.
pub(crate) fn check_book(book: &mut L2Book) -> Result<(), Violation> {
    for (side, better) in [
        (Side::Buy, (|a, b| a > b) as fn(i64, i64) -> bool),
        (Side::Sell, |a, b| a < b),
    ] {
        let mut prev: Option<Level> = None;
        for l in book.levels(side) {
            if l.qty.lots() <= 0 {
                return violation("level_quantity", format!("{side:?} level {l:?}"));
            }
            if let Some(p) = prev
                && !better(p.price.ticks(), l.price.ticks())
            {
                return violation("level_order", format!("{side:?} {p:?} then {l:?}"));
            }
            prev = Some(l);
        }
    }
    let n = book.config().top_n;
    let want_bids: Vec<Level> = book.levels(Side::Buy).take(n).collect();
    let want_asks: Vec<Level> = book.levels(Side::Sell).take(n).collect();
    let top = book.top();
    if top.bids != want_bids.as_slice() || top.asks != want_asks.as_slice() {
        return violation(
            "top_view",
            format!(
                "top {:?}/{:?} vs levels {want_bids:?}/{want_asks:?}",
                top.bids, top.asks
            ),
        );
    }
    Ok(())
}

/// What a book the engine calls synced must be.
pub(crate) fn check_synced_book(book: &L2Book) -> Result<(), Violation> {
    for side in [Side::Buy, Side::Sell] {
        if let Some(l) = book.levels(side).find(|l| l.price.ticks() <= 0) {
            return violation("synced_nonpositive_price", format!("{side:?} level {l:?}"));
        }
    }
    if let (Some(b), Some(a)) = (book.best_bid(), book.best_ask())
        && b.price >= a.price
    {
        let what = if b.price == a.price {
            "locked"
        } else {
            "crossed"
        };
        return violation(
            "synced_crossed_or_locked",
            format!("{what}: best bid {b:?} vs best ask {a:?}"),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ladder_sdk::{InstrumentSpec, Price, Quantity};
    use rstest::rstest;
    use rust_decimal::Decimal;

    fn book(bids: &[(i64, i64)], asks: &[(i64, i64)]) -> L2Book {
        let mut b = L2Book::new(BookConfig::default());
        for &(p, q) in bids {
            b.apply(Side::Buy, Price::from_ticks(p), Quantity::from_lots(q));
        }
        for &(p, q) in asks {
            b.apply(Side::Sell, Price::from_ticks(p), Quantity::from_lots(q));
        }
        b
    }

    #[rstest]
    #[case::spread(&[(100, 1), (99, 2)], &[(101, 1)], None)]
    #[case::one_side_only(&[(100, 1)], &[], None)]
    #[case::locked(&[(100, 1)], &[(100, 1)], Some("synced_crossed_or_locked"))]
    #[case::crossed(&[(102, 1)], &[(101, 1)], Some("synced_crossed_or_locked"))]
    #[case::zero_price(&[(0, 1)], &[(101, 1)], Some("synced_nonpositive_price"))]
    #[case::negative_price(&[(100, 1)], &[(-5, 1), (101, 1)], Some("synced_nonpositive_price"))]
    fn check_synced_book_flags_impossible_books(
        #[case] bids: &[(i64, i64)],
        #[case] asks: &[(i64, i64)],
        #[case] want: Option<&str>,
    ) {
        let got = check_synced_book(&book(bids, asks))
            .err()
            .map(|v| v.invariant);
        assert_eq!(got, want);
        // The structural checks hold for all of them.
        assert_eq!(check_book(&mut book(bids, asks)), Ok(()));
    }

    fn registry() -> Registry {
        let spec = InstrumentSpec::new(Decimal::new(1, 2), Decimal::new(1, 3)).expect("spec");
        let mut r = Registry::new();
        r.add(Venue::BinanceSpot, "BTCUSDT", spec).expect("add");
        r
    }

    fn diff(first: u64, last: u64, bid: &str) -> Vec<u8> {
        format!(
            "1 {{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":{first},\"u\":{last},\
             \"b\":[[\"{bid}\",\"1.000\"]],\"a\":[]}}"
        )
        .into_bytes()
    }

    #[test]
    fn feed_follows_snapshot_diff_and_gap_without_violation() {
        let r = registry();
        let mut p = BinancePipeline::new(&r, SyncRule::Spot);
        let mut counts = Counts::default();
        let lines = [
            diff(9, 10, "99.00"),
            b"2 {\"lastUpdateId\":10,\"bids\":[[\"100.00\",\"2.000\"]],\"asks\":[[\"101.00\",\"1.000\"]]}".to_vec(),
            diff(11, 12, "100.50"),
            diff(20, 21, "100.60"),
            b"3 not json".to_vec(),
            b"no timestamp".to_vec(),
        ];
        for line in &lines {
            p.feed(&r, line, &mut counts).expect("no violation");
        }
        let id = InstrumentId::new(0);
        assert_eq!(p.sequencer(id).state(), BookState::Stale);
        assert!(p.sequencer(id).needs_snapshot());
        assert_eq!(p.book(id).best_bid().map(|l| l.price.ticks()), Some(10_050));
        let want = Counts {
            lines: 6,
            line_errors: 1,
            decode_errors: 1,
            depth: 3,
            applied: 1,
            gaps: 1,
            snapshots: 1,
            other: 0,
            synced_checks: 2,
        };
        assert_eq!(counts, want);
    }
}
