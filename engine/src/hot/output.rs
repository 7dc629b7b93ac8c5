//! What leaves the hot thread: signal values, order requests and their outcomes, fills,
//! strategy faults, and one market sample per instrument per interval of engine time (for the
//! report's charts). Records are `Copy` and go through a bounded ring to a writer thread, which
//! turns them into the report files; the hot thread never formats or writes.

use crossbeam::queue::ArrayQueue;
use ladder_sdk::{Fill, InstrumentId, OrderRequest, OrderUpdate, Price, SignalId, UnixNanos};
use rust_decimal::Decimal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Index of a strategy in the engine (its order on the command line / in the config).
pub type StrategyNo = u16;

/// One record for the writer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OutputRecord {
    /// A signal value a strategy emitted.
    Signal {
        /// Engine time.
        ts: UnixNanos,
        /// The strategy.
        strategy: StrategyNo,
        /// Its signal.
        signal: SignalId,
        /// The value.
        value: f64,
    },
    /// An order request a strategy made (before risk).
    Request {
        /// Engine time.
        ts: UnixNanos,
        /// The strategy.
        strategy: StrategyNo,
        /// The request.
        request: OrderRequest,
    },
    /// An order's state changed (accepted, rejected by risk or the exchange, cancelled, ...).
    Update {
        /// Time the strategy learns it.
        ts: UnixNanos,
        /// The strategy.
        strategy: StrategyNo,
        /// The update.
        update: OrderUpdate,
    },
    /// A (partial) fill.
    Fill {
        /// Time the strategy learns it.
        ts: UnixNanos,
        /// The strategy.
        strategy: StrategyNo,
        /// The fill.
        fill: Fill,
        /// Fee charged (negative: rebate), in quote currency.
        fee: Decimal,
    },
    /// An instrument's book state changed (synced, stale with a reason, resyncing).
    Status {
        /// Engine time.
        ts: UnixNanos,
        /// The change.
        status: ladder_sdk::BookStatus,
    },
    /// A strategy was disabled (panic, error, or kill switch); the engine keeps the reason.
    Disabled {
        /// Engine time.
        ts: UnixNanos,
        /// The strategy.
        strategy: StrategyNo,
        /// The kill switch tripped (else the strategy panicked or failed).
        kill_switch: bool,
    },
    /// A strategy's library was swapped (hot reload, `replay --swap`), or a swap was refused;
    /// the details are in the engine's [`SwapReport`](super::SwapReport)s.
    Swap {
        /// Engine time.
        ts: UnixNanos,
        /// The strategy.
        strategy: StrategyNo,
        /// Handoff, fresh or refused.
        mode: super::SwapMode,
    },
    /// The top of an instrument's synced book over one sampling interval
    /// ([`MARKET_SAMPLE_NS`]): at most one record per instrument per interval, so the count is
    /// bounded by the session's length, not by its event rate.
    Market {
        /// Engine time of the last book update in the interval.
        ts: UnixNanos,
        /// The instrument.
        instrument: InstrumentId,
        /// What the interval saw.
        sample: MarketSample,
    },
}

/// Engine time one [`OutputRecord::Market`] sample covers at most: 100 ms.
pub const MARKET_SAMPLE_NS: u64 = 100_000_000;

/// The top of a synced book over one sampling interval, in ticks. Mids are kept doubled
/// (`bid + ask`) so they stay exact integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketSample {
    /// Engine time of the interval's first book update.
    pub start: UnixNanos,
    /// Best bid at the last update.
    pub bid: Price,
    /// Best ask at the last update.
    pub ask: Price,
    /// Lowest `bid + ask` (twice the mid) in the interval.
    pub mid2_min: i64,
    /// Highest `bid + ask` in the interval.
    pub mid2_max: i64,
    /// Narrowest spread (`ask − bid`) in the interval.
    pub spread_min: i64,
    /// Widest spread in the interval.
    pub spread_max: i64,
    /// Book updates the interval covers.
    pub updates: u32,
}

impl MarketSample {
    /// A sample of one update.
    pub fn first(now: UnixNanos, bid: Price, ask: Price) -> Self {
        let (mid2, spread) = (bid.ticks() + ask.ticks(), ask.ticks() - bid.ticks());
        Self {
            start: now,
            bid,
            ask,
            mid2_min: mid2,
            mid2_max: mid2,
            spread_min: spread,
            spread_max: spread,
            updates: 1,
        }
    }

    /// Adds one update.
    ///
    /// # Hot path
    /// A few integer compares.
    #[inline]
    pub fn add(&mut self, bid: Price, ask: Price) {
        let (mid2, spread) = (bid.ticks() + ask.ticks(), ask.ticks() - bid.ticks());
        self.bid = bid;
        self.ask = ask;
        self.mid2_min = self.mid2_min.min(mid2);
        self.mid2_max = self.mid2_max.max(mid2);
        self.spread_min = self.spread_min.min(spread);
        self.spread_max = self.spread_max.max(spread);
        self.updates = self.updates.saturating_add(1);
    }
}

/// Where the hot thread puts its records.
pub trait OutputSink {
    /// Hands one record over.
    ///
    /// # Hot path
    /// Implementations must not allocate once warm.
    fn push(&mut self, record: OutputRecord);
}

/// Collects records in memory (tests, benches).
#[derive(Debug, Default)]
pub struct VecSink(pub Vec<OutputRecord>);

impl OutputSink for VecSink {
    fn push(&mut self, record: OutputRecord) {
        self.0.push(record);
    }
}

/// Drops records, counting them (benches of the bare hot path).
#[derive(Debug, Default)]
pub struct CountSink(pub u64);

impl OutputSink for CountSink {
    fn push(&mut self, _: OutputRecord) {
        self.0 += 1;
    }
}

/// The hot side of the output ring. When the ring is full it waits for the writer (records are
/// never dropped): in replay that is back-pressure; live, the ring is sized so it does not
/// happen, and every wait is counted.
#[derive(Debug)]
pub struct RingSink {
    ring: Arc<ArrayQueue<OutputRecord>>,
    waits: u64,
}

/// The writer side of the output ring.
#[derive(Debug, Clone)]
pub struct RingSource {
    ring: Arc<ArrayQueue<OutputRecord>>,
    done: Arc<AtomicBool>,
}

/// An output ring of `capacity` records.
pub fn output_ring(capacity: usize) -> (RingSink, RingSource, Arc<AtomicBool>) {
    let ring = Arc::new(ArrayQueue::new(capacity.max(2)));
    let done = Arc::new(AtomicBool::new(false));
    (
        RingSink {
            ring: Arc::clone(&ring),
            waits: 0,
        },
        RingSource {
            ring,
            done: Arc::clone(&done),
        },
        done,
    )
}

impl RingSink {
    /// Times the ring was full and the hot thread waited for the writer.
    pub fn waits(&self) -> u64 {
        self.waits
    }
}

impl OutputSink for RingSink {
    #[inline]
    fn push(&mut self, mut record: OutputRecord) {
        loop {
            match self.ring.push(record) {
                Ok(()) => return,
                Err(r) => {
                    record = r;
                    self.waits += 1;
                    std::hint::spin_loop();
                }
            }
        }
    }
}

impl RingSource {
    /// The next record; `None` when the ring is empty. Check [`RingSource::finished`] to know
    /// whether more will come.
    pub fn pop(&self) -> Option<OutputRecord> {
        self.ring.pop()
    }

    /// True once the producer said it is done and the ring is drained.
    pub fn finished(&self) -> bool {
        self.done.load(Ordering::Acquire) && self.ring.is_empty()
    }
}
