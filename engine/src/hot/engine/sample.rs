//! Market samples for the report's charts: the top of each synced book folded into one
//! [`OutputRecord::Market`] per instrument per [`MARKET_SAMPLE_NS`] of engine time (lowest and
//! highest mid and spread, the last bid and ask). The record count is bounded by the session's
//! length, not by its event rate; the writer thread turns them into mid, spread and
//! mark-to-market PnL over time.

use super::*;
use crate::hot::output::{MARKET_SAMPLE_NS, MarketSample};

/// An instrument's open sampling interval.
#[derive(Debug, Clone, Copy)]
pub(super) struct OpenSample {
    /// Engine time of the last update folded in.
    last: UnixNanos,
    sample: MarketSample,
}

impl<O: OutputSink> HotEngine<O> {
    /// Folds the top of instrument `i`'s (synced) book into its interval; emits the interval
    /// first if it is [`MARKET_SAMPLE_NS`] old.
    ///
    /// # Hot path
    /// Two O(1) best-level reads and a few compares; a ring push once per interval. No
    /// allocation.
    #[inline]
    pub(super) fn sample_market(&mut self, instrument: InstrumentId, now: UnixNanos) {
        let i = instrument.index();
        let (Some(bid), Some(ask)) = (self.books[i].best_bid(), self.books[i].best_ask()) else {
            return;
        };
        if let Some(open) = &mut self.samples[i]
            && now.saturating_since(open.sample.start) < MARKET_SAMPLE_NS
        {
            open.sample.add(bid.price, ask.price);
            open.last = now;
            return;
        }
        self.flush_sample(instrument);
        self.samples[i] = Some(OpenSample {
            last: now,
            sample: MarketSample::first(now, bid.price, ask.price),
        });
    }

    /// Emits instrument `i`'s open interval, if any (the interval ends: time, a state change,
    /// the end of the session).
    pub(super) fn flush_sample(&mut self, instrument: InstrumentId) {
        if let Some(open) = self.samples[instrument.index()].take() {
            self.out.push(OutputRecord::Market {
                ts: open.last,
                instrument,
                sample: open.sample,
            });
        }
    }

    /// Emits every open interval.
    pub(super) fn flush_samples(&mut self) {
        for i in 0..self.samples.len() {
            self.flush_sample(InstrumentId::new(i as u32));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::clock::Clock;
    use crate::hot::HotEngine;
    use crate::hot::output::{MARKET_SAMPLE_NS, OutputRecord, VecSink};
    use ladder_sdk::{
        BookDelta, BookMarker, InstrumentId, InstrumentSpec, MarketEvent, Price, Quantity, Side,
        UnixNanos,
    };
    use rust_decimal::Decimal;

    fn engine() -> HotEngine<VecSink> {
        let spec = InstrumentSpec::new(Decimal::new(1, 1), Decimal::new(1, 3)).unwrap();
        HotEngine::new(
            Clock::replay(UnixNanos::ZERO),
            vec![spec],
            Vec::new(),
            Default::default(),
            Default::default(),
            10,
            VecSink::default(),
        )
    }

    fn delta(side: Side, price: i64, ts: u64, id: u64) -> MarketEvent {
        delta_qty(side, price, 1, ts, id)
    }

    fn delta_qty(side: Side, price: i64, lots: i64, ts: u64, id: u64) -> MarketEvent {
        MarketEvent::BookDelta(BookDelta {
            instrument: InstrumentId::new(0),
            side,
            last: true,
            price: Price::from_ticks(price),
            qty: Quantity::from_lots(lots),
            update_id: id,
            ts_exchange: UnixNanos::from_nanos(ts),
            ts_recv: UnixNanos::from_nanos(ts),
        })
    }

    fn marker(ts: u64) -> BookMarker {
        BookMarker {
            instrument: InstrumentId::new(0),
            update_id: 1,
            ts_exchange: UnixNanos::from_nanos(ts),
            ts_recv: UnixNanos::from_nanos(ts),
        }
    }

    #[test]
    fn market_samples_one_record_per_interval_with_extremes_and_a_final_flush() {
        let mut e = engine();
        let t0 = 1_000_000_000;
        e.on_event(&MarketEvent::SnapshotBegin(marker(t0)));
        e.on_event(&delta(Side::Buy, 100, t0, 1));
        e.on_event(&delta(Side::Sell, 102, t0, 1));
        e.on_event(&MarketEvent::SnapshotEnd(marker(t0)));
        // 1,000 updates inside the first interval (a bid at 101 comes and goes), then one in
        // the next.
        for k in 0..1_000u64 {
            let lots = i64::from(k % 2 == 0);
            e.on_event(&delta_qty(Side::Buy, 101, lots, t0 + 1 + k, 2 + k));
        }
        e.on_event(&delta(Side::Buy, 99, t0 + MARKET_SAMPLE_NS + 5, 5_000));
        e.stop();
        let samples: Vec<_> = e
            .output()
            .0
            .iter()
            .filter_map(|r| match r {
                OutputRecord::Market { ts, sample, .. } => Some((*ts, *sample)),
                _ => None,
            })
            .collect();
        assert_eq!(samples.len(), 2, "{samples:?}");
        let (ts, first) = samples[0];
        assert_eq!(first.start, UnixNanos::from_nanos(t0));
        assert_eq!(ts, UnixNanos::from_nanos(t0 + 1_000));
        assert_eq!((first.mid2_min, first.mid2_max), (202, 203));
        assert_eq!((first.spread_min, first.spread_max), (1, 2));
        assert_eq!(first.updates, 1_001, "the snapshot and the 1,000 deltas");
        let (ts, second) = samples[1];
        assert_eq!(ts, UnixNanos::from_nanos(t0 + MARKET_SAMPLE_NS + 5));
        assert_eq!(second.updates, 1);
        assert_eq!(second.bid, Price::from_ticks(100));
    }
}
