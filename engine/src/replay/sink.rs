//! Turns the sequencer's decisions into normalized [`MarketEvent`]s for a consumer (the hot
//! engine in replay, a feed ring live).

use crate::feed::binance::{DepthHeader, Gap, SyncSink};
use ladder_sdk::{
    BookDelta, BookMarker, BookState, BookStatus, InstrumentId, Level, MarketEvent, Side,
    StaleReason, UnixNanos,
};

/// A [`SyncSink`] that emits [`MarketEvent`]s to `emit`.
pub struct EventSink<F: FnMut(&MarketEvent)> {
    /// Receive time of the frame being sequenced (a snapshot body carries none of its own).
    pub ts_recv: UnixNanos,
    /// Exchange time of the snapshot being applied, if known.
    pub ts_exchange: UnixNanos,
    /// Where events go.
    pub emit: F,
}

impl<F: FnMut(&MarketEvent)> EventSink<F> {
    /// Emits one message's levels; with `closes`, the last one is marked `last`.
    fn levels(&mut self, m: &BookMarker, bids: &[Level], asks: &[Level], closes: bool) {
        let n = bids.len() + asks.len();
        let sides = bids
            .iter()
            .map(|l| (Side::Buy, l))
            .chain(asks.iter().map(|l| (Side::Sell, l)));
        for (k, (side, l)) in sides.enumerate() {
            (self.emit)(&MarketEvent::BookDelta(BookDelta {
                instrument: m.instrument,
                side,
                last: closes && k + 1 == n,
                price: l.price,
                qty: l.qty,
                update_id: m.update_id,
                ts_exchange: m.ts_exchange,
                ts_recv: m.ts_recv,
            }));
        }
    }
}

impl<F: FnMut(&MarketEvent)> SyncSink for EventSink<F> {
    fn snapshot(
        &mut self,
        instrument: InstrumentId,
        last_update_id: u64,
        bids: &[Level],
        asks: &[Level],
    ) {
        let marker = BookMarker {
            instrument,
            update_id: last_update_id,
            ts_exchange: self.ts_exchange,
            ts_recv: self.ts_recv,
        };
        (self.emit)(&MarketEvent::SnapshotBegin(marker));
        self.levels(&marker, bids, asks, false);
        (self.emit)(&MarketEvent::SnapshotEnd(marker));
    }

    fn delta(&mut self, h: &DepthHeader, bids: &[Level], asks: &[Level]) {
        let m = BookMarker {
            instrument: h.instrument,
            update_id: h.last_id,
            ts_exchange: h.ts_exchange,
            ts_recv: h.ts_recv,
        };
        self.levels(&m, bids, asks, true);
    }

    fn gap(&mut self, instrument: InstrumentId, gap: Gap) {
        (self.emit)(&MarketEvent::Status(BookStatus {
            instrument,
            state: BookState::Stale,
            reason: Some(StaleReason::SequenceGap),
            ts_recv: gap.ts_recv,
        }));
    }
}
