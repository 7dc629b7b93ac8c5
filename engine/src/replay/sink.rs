//! Turns the sequencer's decisions into normalized [`MarketEvent`]s for a consumer (the hot
//! engine in replay, a feed ring live).

use crate::feed::binance::{DepthHeader, SyncSink};
use crate::feed::events;
use crate::feed::integrity::Fault;
use ladder_sdk::{BookMarker, BookState, BookStatus, InstrumentId, Level, MarketEvent, UnixNanos};

/// A [`SyncSink`] that emits [`MarketEvent`]s to `emit`.
pub struct EventSink<F: FnMut(&MarketEvent)> {
    /// Receive time of the frame being sequenced (a snapshot body carries none of its own).
    pub ts_recv: UnixNanos,
    /// Exchange time of the snapshot being applied, if known.
    pub ts_exchange: UnixNanos,
    /// Where events go.
    pub emit: F,
}

impl<F: FnMut(&MarketEvent)> SyncSink for EventSink<F> {
    fn snapshot(
        &mut self,
        instrument: InstrumentId,
        last_update_id: u64,
        bids: &[Level],
        asks: &[Level],
    ) {
        let m = BookMarker {
            instrument,
            update_id: last_update_id,
            ts_exchange: self.ts_exchange,
            ts_recv: self.ts_recv,
        };
        events::snapshot(&m, bids, asks, &mut |e| (self.emit)(&e));
    }

    fn delta(&mut self, h: &DepthHeader, bids: &[Level], asks: &[Level]) {
        let m = BookMarker {
            instrument: h.instrument,
            update_id: h.last_id,
            ts_exchange: h.ts_exchange,
            ts_recv: h.ts_recv,
        };
        events::levels(&m, bids, asks, true, &mut |e| (self.emit)(&e));
    }

    fn fault(&mut self, instrument: InstrumentId, fault: Fault) {
        (self.emit)(&MarketEvent::Status(BookStatus {
            instrument,
            state: BookState::Stale,
            reason: Some(fault.kind.stale_reason()),
            // The frame being sequenced: a fault shown by a snapshot carries no time of its own.
            ts_recv: self.ts_recv,
        }));
    }
}
