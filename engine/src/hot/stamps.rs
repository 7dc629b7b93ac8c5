//! Stage stamps of the hot path and the histograms they go into.
//!
//! Every stamp is a raw TSC reading ([`crate::clock::tsc::now`]); a zero stamp means "not
//! taken". Stamps are taken for the event that **completes a venue message** (the last delta of
//! a depth message, a snapshot's end, a trade, a book ticker: [`closes_frame`]), so each
//! measured latency is one frame's:
//!
//! | stamp | taken when | where |
//! |---|---|---|
//! | `sched` | the frame's intended send time under a fixed `--rate` (0 when not paced) | bench feed thread |
//! | `t0` | frame read: the frame's bytes are in hand (capture: taken from memory; live/sim: the WebSocket message was returned by the socket reader, i.e. the connector's `ts_recv`, converted to TSC) | feed thread |
//! | `t1` | decoded: the decoder returned the normalized frame (before sequencing); 0 on the live connector, which does not expose it | feed thread |
//! | `t2` | enqueued: just before the frame's last event was pushed into the SPSC ring (after sequencing) | feed thread |
//! | `t3` | dequeued: the hot thread popped that event | hot thread |
//! | `t4` | book applied: the book holds the whole message (trades: the trade reached the paper exchange), just before the strategies are called | hot thread |
//! | `t5` | strategy returned (per strategy) from `on_book`/`on_trade`; a *signal* when the call emitted at least one signal value | hot thread |
//! | `t6` | order request emitted: the engine copied the request out of the strategy's buffer and handed it to the output ring | hot thread |
//! | `t7` | risk passed: the pre-trade checks accepted the request | hot thread |
//! | `t8` | paper exchange acknowledged: `PaperExchange::submit` returned, i.e. the exchange took the request at the hot thread (its simulated order-entry latency is exchange time, not measured here) | hot thread |
//!
//! End-to-end figures start at the *origin*: `sched` when paced (coordinated-omission
//! correction: a stalled pipeline delays every frame scheduled behind it, and that delay is
//! measured), else `t0`.
//!
//! Histograms are pre-sized HdrHistograms in TSC ticks (1 tick .. 2^40 ticks, 3 significant
//! digits); values above the range saturate. Recording never allocates.

use crate::clock::tsc::TscScale;
use hdrhistogram::Histogram;
use ladder_sdk::MarketEvent;

/// A market event with its feed-side stamps, as it travels through the feed ring. The sdk's
/// [`MarketEvent`] stays as it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StampedEvent {
    /// The event.
    pub event: MarketEvent,
    /// Intended send time under a fixed rate (0: not paced).
    pub sched: u64,
    /// Frame read.
    pub t0: u64,
    /// Frame decoded (0: not measured).
    pub t1: u64,
    /// Pushed into the ring (set by the ring itself).
    pub t2: u64,
}

const _: () = assert!(std::mem::size_of::<StampedEvent>() <= 96);

impl StampedEvent {
    /// An event without stamps.
    pub const fn unstamped(event: MarketEvent) -> Self {
        Self {
            event,
            sched: 0,
            t0: 0,
            t1: 0,
            t2: 0,
        }
    }

    /// Where end-to-end latency starts: the scheduled time when paced, else the read time.
    #[inline]
    pub fn origin(&self) -> u64 {
        if self.sched != 0 { self.sched } else { self.t0 }
    }
}

/// True for the event that completes a venue message (the one whose stamps are measured).
#[inline]
pub fn closes_frame(ev: &MarketEvent) -> bool {
    match ev {
        MarketEvent::BookDelta(d) => d.last,
        MarketEvent::SnapshotEnd(_) | MarketEvent::Trade(_) | MarketEvent::Bbo(_) => true,
        MarketEvent::SnapshotBegin(_) | MarketEvent::Status(_) => false,
    }
}

/// A pipeline stage (one histogram each, over all frames).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// `t0 → t1`: decode.
    ReadDecoded,
    /// `t1 → t2`: sequencing and hand-off of the frame's events.
    DecodedEnqueued,
    /// `t0 → t2`: everything on the feed thread (the only feed stage live).
    ReadEnqueued,
    /// `t2 → t3`: the ring (cross-core).
    EnqueuedDequeued,
    /// `t3 → t4`: book update (and, for a trade, the paper exchange's trade handling).
    DequeuedApplied,
    /// `t3 →` end of `on_event`: all the hot thread did for the frame's last event.
    DequeuedDone,
    /// `sched → t0`: how late the feed read a paced frame.
    ScheduleLag,
}

impl Stage {
    /// Every stage, in pipeline order.
    pub const ALL: [Stage; 7] = [
        Stage::ReadDecoded,
        Stage::DecodedEnqueued,
        Stage::ReadEnqueued,
        Stage::EnqueuedDequeued,
        Stage::DequeuedApplied,
        Stage::DequeuedDone,
        Stage::ScheduleLag,
    ];

    /// Name in reports.
    pub const fn name(self) -> &'static str {
        match self {
            Stage::ReadDecoded => "read_to_decoded",
            Stage::DecodedEnqueued => "decoded_to_enqueued",
            Stage::ReadEnqueued => "read_to_enqueued",
            Stage::EnqueuedDequeued => "enqueued_to_dequeued",
            Stage::DequeuedApplied => "dequeued_to_applied",
            Stage::DequeuedDone => "dequeued_to_event_done",
            Stage::ScheduleLag => "scheduled_to_read",
        }
    }

    /// Stamps it spans.
    pub const fn span(self) -> &'static str {
        match self {
            Stage::ReadDecoded => "t0-t1",
            Stage::DecodedEnqueued => "t1-t2",
            Stage::ReadEnqueued => "t0-t2",
            Stage::EnqueuedDequeued => "t2-t3",
            Stage::DequeuedApplied => "t3-t4",
            Stage::DequeuedDone => "t3-done",
            Stage::ScheduleLag => "sched-t0",
        }
    }
}

/// A per-strategy stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrategyStage {
    /// `t4 → t5`: book applied to this strategy's return (paper exchange's book pass, the
    /// strategies before it, its own call), every call.
    AppliedReturned,
    /// `t5 → t6`: return to order request emitted.
    ReturnedOrder,
    /// `t6 → t7`: risk checks.
    OrderRisk,
    /// `t7 → t8`: paper exchange submit.
    RiskAck,
    /// origin → `t5` on calls that emitted a signal: **tick-to-signal**.
    ReadSignal,
    /// origin → `t6`: tick-to-order.
    ReadOrder,
    /// origin → `t8`: tick-to-exchange-ack.
    ReadAck,
}

impl StrategyStage {
    /// Every per-strategy stage.
    pub const ALL: [StrategyStage; 7] = [
        StrategyStage::AppliedReturned,
        StrategyStage::ReturnedOrder,
        StrategyStage::OrderRisk,
        StrategyStage::RiskAck,
        StrategyStage::ReadSignal,
        StrategyStage::ReadOrder,
        StrategyStage::ReadAck,
    ];

    /// Name in reports.
    pub const fn name(self) -> &'static str {
        match self {
            StrategyStage::AppliedReturned => "applied_to_returned",
            StrategyStage::ReturnedOrder => "returned_to_order",
            StrategyStage::OrderRisk => "order_to_risk_passed",
            StrategyStage::RiskAck => "risk_passed_to_exchange_ack",
            StrategyStage::ReadSignal => "read_to_signal",
            StrategyStage::ReadOrder => "read_to_order",
            StrategyStage::ReadAck => "read_to_exchange_ack",
        }
    }

    /// Stamps it spans.
    pub const fn span(self) -> &'static str {
        match self {
            StrategyStage::AppliedReturned => "t4-t5",
            StrategyStage::ReturnedOrder => "t5-t6",
            StrategyStage::OrderRisk => "t6-t7",
            StrategyStage::RiskAck => "t7-t8",
            StrategyStage::ReadSignal => "origin-t5",
            StrategyStage::ReadOrder => "origin-t6",
            StrategyStage::ReadAck => "origin-t8",
        }
    }

    /// True for the end-to-end figures.
    pub const fn is_end_to_end(self) -> bool {
        matches!(
            self,
            StrategyStage::ReadSignal | StrategyStage::ReadOrder | StrategyStage::ReadAck
        )
    }
}

/// Upper bound of every histogram, in ticks (about 7 minutes at 2.5 GHz).
const HIGH: u64 = 1 << 40;

fn histogram() -> Histogram<u64> {
    // Valid constant bounds: 1 <= low, high >= 2 * low, 3 significant digits.
    Histogram::new_with_bounds(1, HIGH, 3)
        .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!()))
}

/// Pre-sized stage histograms (ticks) over all frames, and per strategy.
#[derive(Debug, Clone)]
pub struct LatencyRecorder {
    stages: Vec<Histogram<u64>>,
    strategies: Vec<Vec<Histogram<u64>>>,
    frames: u64,
}

impl LatencyRecorder {
    /// Histograms for `n_strategies` strategies (allocates; do it before the run).
    pub fn new(n_strategies: usize) -> Self {
        Self {
            stages: Stage::ALL.iter().map(|_| histogram()).collect(),
            strategies: (0..n_strategies)
                .map(|_| StrategyStage::ALL.iter().map(|_| histogram()).collect())
                .collect(),
            frames: 0,
        }
    }

    /// Records `to − from` ticks for a stage; nothing if either stamp is missing. A negative
    /// span (cross-core TSC offset) counts as 1 tick.
    ///
    /// # Hot path
    /// No allocation: an index into a pre-sized histogram.
    #[inline]
    pub fn record(&mut self, stage: Stage, from: u64, to: u64) {
        if from != 0 && to != 0 {
            self.stages[stage as usize].saturating_record(to.saturating_sub(from).max(1));
        }
    }

    /// Records `to − from` ticks for strategy `s`'s stage.
    ///
    /// # Hot path
    /// No allocation.
    #[inline]
    pub fn record_strategy(&mut self, s: usize, stage: StrategyStage, from: u64, to: u64) {
        if from != 0
            && to != 0
            && let Some(h) = self.strategies.get_mut(s)
        {
            h[stage as usize].saturating_record(to.saturating_sub(from).max(1));
        }
    }

    /// Counts one measured frame.
    #[inline]
    pub fn count_frame(&mut self) {
        self.frames += 1;
    }

    /// Frames measured.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// A stage's histogram (ticks).
    pub fn stage(&self, stage: Stage) -> &Histogram<u64> {
        &self.stages[stage as usize]
    }

    /// Strategy `s`'s histogram of `stage` (ticks).
    pub fn strategy(&self, s: usize, stage: StrategyStage) -> Option<&Histogram<u64>> {
        self.strategies.get(s).map(|h| &h[stage as usize])
    }

    /// Number of strategies.
    pub fn strategy_count(&self) -> usize {
        self.strategies.len()
    }

    /// Adds `other`'s counts (another pass). Off the hot path.
    pub fn add(&mut self, other: &LatencyRecorder) {
        for (a, b) in self.stages.iter_mut().zip(&other.stages) {
            let _ = a.add(b);
        }
        for (sa, sb) in self.strategies.iter_mut().zip(&other.strategies) {
            for (a, b) in sa.iter_mut().zip(sb) {
                let _ = a.add(b);
            }
        }
        self.frames += other.frames;
    }
}

/// Percentiles of a tick histogram, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Summary {
    /// Samples.
    pub count: u64,
    /// Minimum.
    pub min: f64,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th.
    pub p99: f64,
    /// 99.9th.
    pub p999: f64,
    /// 99.99th.
    pub p9999: f64,
    /// Maximum.
    pub max: f64,
}

impl Summary {
    /// Summarises a tick histogram with `scale`.
    pub fn of(h: &Histogram<u64>, scale: TscScale) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let q = |x: f64| scale.to_ns(h.value_at_quantile(x));
        Self {
            count: h.len(),
            min: scale.to_ns(h.min()),
            mean: h.mean() / scale.ticks_per_ns(),
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            p999: q(0.999),
            p9999: q(0.9999),
            max: scale.to_ns(h.max()),
        }
    }
}

/// Per-frame stamps the engine keeps while it processes a frame's last event.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FrameStamps {
    /// A stamped frame is being processed.
    pub(crate) active: bool,
    /// Inside the market-driven call of a strategy (its orders are measured).
    pub(crate) in_call: bool,
    pub(crate) origin: u64,
    pub(crate) t4: u64,
    pub(crate) t5: u64,
    pub(crate) t6: u64,
    pub(crate) t7: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ladder_sdk::{BookDelta, InstrumentId, Price, Quantity, Side, UnixNanos};

    fn delta(last: bool) -> MarketEvent {
        MarketEvent::BookDelta(BookDelta {
            instrument: InstrumentId::new(0),
            side: Side::Buy,
            last,
            price: Price::from_ticks(1),
            qty: Quantity::from_lots(1),
            update_id: 1,
            ts_exchange: UnixNanos::ZERO,
            ts_recv: UnixNanos::ZERO,
        })
    }

    #[test]
    fn only_the_last_delta_of_a_message_closes_the_frame() {
        assert!(closes_frame(&delta(true)));
        assert!(!closes_frame(&delta(false)));
    }

    #[test]
    fn origin_is_the_schedule_when_paced() {
        let mut e = StampedEvent::unstamped(delta(true));
        e.t0 = 50;
        assert_eq!(e.origin(), 50);
        e.sched = 40;
        assert_eq!(e.origin(), 40);
    }

    #[test]
    fn missing_stamps_are_not_recorded_and_negative_spans_count_as_one_tick() {
        let mut r = LatencyRecorder::new(1);
        r.record(Stage::ReadDecoded, 0, 10);
        assert!(r.stage(Stage::ReadDecoded).is_empty());
        r.record(Stage::EnqueuedDequeued, 100, 90);
        assert_eq!(r.stage(Stage::EnqueuedDequeued).max(), 1);
        r.record_strategy(0, StrategyStage::ReadSignal, 100, 350);
        r.record_strategy(5, StrategyStage::ReadSignal, 100, 350);
        let h = r.strategy(0, StrategyStage::ReadSignal).unwrap();
        assert_eq!(h.len(), 1);
        let s = Summary::of(h, TscScale::from_ticks_per_ns(2.5));
        assert!((s.p50 - 100.0).abs() < 0.1, "{s:?}");
    }

    #[test]
    fn passes_add_up() {
        let mut a = LatencyRecorder::new(1);
        let mut b = LatencyRecorder::new(1);
        a.record(Stage::ReadDecoded, 1, 5);
        b.record(Stage::ReadDecoded, 1, 9);
        b.count_frame();
        a.add(&b);
        assert_eq!(a.stage(Stage::ReadDecoded).len(), 2);
        assert_eq!(a.frames(), 1);
    }
}
