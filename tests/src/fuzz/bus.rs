//! The bus codec's fuzz target: encoded events messages and book images (each kind of event,
//! deep and empty books) mutated with the shared mutation stack; each exec decodes every
//! message as events and as an image. Invariants: no panic (`guarded`), and a message that
//! decodes re-encodes to a message that decodes to the same thing.

use super::corpus::Lines;
use super::mutate::{Dictionary, Mutation};
use super::pipeline::Violation;
use super::rng::Rng;
use super::{Budget, Stats, drive, guarded, mutate_some};
use ladder_engine::bus::codec::{self, BookImage, Position};
use ladder_sdk::{
    BookDelta, BookMarker, BookState, BookStatus, InstrumentId, MarketEvent, Price, Quantity, Side,
    StaleReason, Trade, UnixNanos,
};

const ID: InstrumentId = InstrumentId::new(0);

/// The seed messages: every event kind, and images of a few depths.
pub fn corpus() -> Lines {
    let t = UnixNanos::from_nanos(1_723_075_200_000_000_000);
    let marker = BookMarker {
        instrument: ID,
        update_id: 77,
        ts_exchange: t,
        ts_recv: t,
    };
    let delta = |side, last, p, q| {
        MarketEvent::BookDelta(BookDelta {
            instrument: ID,
            side,
            last,
            price: Price::from_ticks(p),
            qty: Quantity::from_lots(q),
            update_id: 78,
            ts_exchange: t,
            ts_recv: t,
        })
    };
    let mut lines = Vec::new();
    let trade = MarketEvent::Trade(Trade {
        instrument: ID,
        aggressor: Side::Buy,
        price: Price::from_ticks(6_000_001),
        qty: Quantity::from_lots(3),
        trade_id: 2,
        ts_exchange: t,
        ts_recv: t,
    });
    let messages: [Vec<MarketEvent>; 5] = [
        // A batch of `ladder feed`: several whole venue updates in one message.
        vec![
            delta(Side::Buy, true, 6_000_000, 4),
            trade,
            delta(Side::Sell, false, 6_000_002, 0),
            delta(Side::Sell, true, 6_000_003, 8),
            delta(Side::Buy, true, 5_999_999, 1),
        ],
        vec![
            MarketEvent::SnapshotBegin(marker),
            delta(Side::Buy, false, 6_000_000, 5),
            delta(Side::Sell, false, 6_000_001, 0),
            MarketEvent::SnapshotEnd(marker),
        ],
        vec![
            delta(Side::Buy, false, -3, i64::MAX),
            delta(Side::Sell, true, 9, 1),
        ],
        vec![MarketEvent::Trade(Trade {
            instrument: ID,
            aggressor: Side::Sell,
            price: Price::from_ticks(6_000_000),
            qty: Quantity::from_lots(12),
            trade_id: 1 << 40,
            ts_exchange: t,
            ts_recv: t,
        })],
        vec![MarketEvent::Status(BookStatus {
            instrument: ID,
            state: BookState::Stale,
            reason: Some(StaleReason::SequenceGap),
            ts_recv: t,
        })],
    ];
    for (i, m) in messages.iter().enumerate() {
        let mut buf = Vec::new();
        codec::encode_events(
            &mut buf,
            Position {
                epoch: 5,
                seq: i as u64 + 1,
            },
            m,
        );
        lines.push(buf);
    }
    for depth in [0, 1, 40] {
        let levels: Vec<(i64, i64)> = (0..depth).map(|i| (6_000_000 - i, i + 1)).collect();
        let image = BookImage {
            position: Position { epoch: 5, seq: 9 },
            stream_seq: 1234,
            venue: "binance-spot".into(),
            symbol: "BTCUSDT".into(),
            tick_size: "0.01".into(),
            lot_size: "0.00001".into(),
            state: BookState::Synced,
            update_id: 99,
            ts_exchange: t,
            ts_recv: t,
            bids: levels.clone(),
            asks: levels,
        };
        let mut buf = Vec::new();
        codec::encode_image(&mut buf, &image);
        lines.push(buf);
    }
    lines
}

/// Decodes every message both ways; a decoded one must survive a re-encode.
pub fn check(lines: &Lines) -> Result<(), Violation> {
    let mut events = Vec::new();
    let mut again = Vec::new();
    for line in lines {
        if let Ok(at) = codec::decode_events(line, ID, &mut events) {
            let mut buf = Vec::new();
            codec::encode_events(&mut buf, at, &events);
            let back = codec::decode_events(&buf, ID, &mut again);
            if back != Ok(at) || again != events {
                return Err(Violation {
                    invariant: "bus events re-encode",
                    detail: format!("{events:?} came back as {back:?} {again:?}"),
                });
            }
        }
        if let Ok(image) = codec::decode_image(line) {
            let mut buf = Vec::new();
            codec::encode_image(&mut buf, &image);
            if codec::decode_image(&buf).as_ref() != Ok(&image) {
                return Err(Violation {
                    invariant: "bus image re-encode",
                    detail: format!("{image:?}"),
                });
            }
        }
    }
    Ok(())
}

/// The input of exec `exec` of a run seeded `seed`.
pub fn input(seed: u64, exec: u64) -> (Lines, Vec<Mutation>) {
    let mut rng = Rng::new(seed ^ exec.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut lines = corpus();
    let applied = mutate_some(&mut rng, &mut lines, &Dictionary::default());
    (lines, applied)
}

/// `budget` execs of mutated corpora through the decoders.
pub fn run(seed: u64, budget: Budget) -> Stats {
    drive(seed, budget, |n| {
        let (lines, applied) = input(seed, n);
        let result = guarded(&mut (), |_| check(&lines), |_| {});
        (lines, applied, result)
    })
}
