//! A venue message's levels as normalized [`MarketEvent`]s: one [`BookDelta`] per level, bids
//! first, the last of a diff marked `last` (the book is consistent after it); a snapshot is
//! framed by `SnapshotBegin` / `SnapshotEnd`. Every sequencer sink (replay, live connector)
//! emits book changes through these two functions.

use ladder_sdk::{BookDelta, BookMarker, Level, MarketEvent, Side};

/// Emits one diff's levels; the last one carries `last` when `closes`.
///
/// # Hot path
/// No allocation; O(levels).
#[inline]
pub fn levels(
    m: &BookMarker,
    bids: &[Level],
    asks: &[Level],
    closes: bool,
    emit: &mut impl FnMut(MarketEvent),
) {
    let n = bids.len() + asks.len();
    let sides = bids
        .iter()
        .map(|l| (Side::Buy, l))
        .chain(asks.iter().map(|l| (Side::Sell, l)));
    for (k, (side, l)) in sides.enumerate() {
        emit(MarketEvent::BookDelta(BookDelta {
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

/// Emits a full book image: `SnapshotBegin`, its levels, `SnapshotEnd`.
pub fn snapshot(
    m: &BookMarker,
    bids: &[Level],
    asks: &[Level],
    emit: &mut impl FnMut(MarketEvent),
) {
    emit(MarketEvent::SnapshotBegin(*m));
    levels(m, bids, asks, false, emit);
    emit(MarketEvent::SnapshotEnd(*m));
}

#[cfg(test)]
mod tests {
    use super::*;
    use ladder_sdk::{InstrumentId, Price, Quantity, UnixNanos};

    #[test]
    fn last_level_of_a_diff_is_marked_and_snapshots_are_framed() {
        let m = BookMarker {
            instrument: InstrumentId::new(0),
            update_id: 9,
            ts_exchange: UnixNanos::ZERO,
            ts_recv: UnixNanos::ZERO,
        };
        let l = |p| Level::new(Price::from_ticks(p), Quantity::from_lots(1));
        let mut out = Vec::new();
        levels(&m, &[l(1), l(0)], &[l(2)], true, &mut |e| out.push(e));
        let lasts: Vec<bool> = out
            .iter()
            .map(|e| matches!(e, MarketEvent::BookDelta(d) if d.last))
            .collect();
        assert_eq!(lasts, [false, false, true]);
        out.clear();
        snapshot(&m, &[l(1)], &[], &mut |e| out.push(e));
        assert!(matches!(out[0], MarketEvent::SnapshotBegin(_)));
        assert!(matches!(out[1], MarketEvent::BookDelta(d) if !d.last));
        assert!(matches!(out[2], MarketEvent::SnapshotEnd(_)));
    }
}
