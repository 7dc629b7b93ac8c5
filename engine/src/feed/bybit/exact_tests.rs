//! Bybit's exact-shape decode path against its general walk, on the real frames of the shared
//! vectors and on mutations of them (the harness: `feed::units::exact_check`).

use super::Decoder;
use crate::feed::Venue;
use crate::feed::units::exact_check::{T, registry, run};

#[test]
fn exact_bybit_book_equals_general_walk_on_vectors_and_mutations() {
    for (rel, venue, specs, min_fast) in [
        (
            "vectors/bybit/capture_bybit-v5-spot_cryptofeed_20260809.txt.gz",
            Venue::BybitSpot,
            [("BTCUSDT", 1, 1, 1, 6), ("ETHUSDT", 1, 2, 1, 5)],
            500,
        ),
        (
            "vectors/bybit/nautilus_2024-12-01_XRPUSDT_ob500.data",
            Venue::BybitLinear,
            [("XRPUSDT", 1, 4, 1, 0), ("BTCUSDT", 1, 1, 1, 6)],
            45,
        ),
    ] {
        let reg = registry(venue, &specs);
        let (mut a, mut b) = (Decoder::new(venue), Decoder::new(venue));
        run(rel, 300, min_fast, |f| {
            let fast = a.book_exact(f, T, &reg).is_some();
            let (x, y) = (a.decode(f, T, &reg), b.decode_general(f, T, &reg));
            assert_eq!(x, y, "{}", String::from_utf8_lossy(f));
            if x.is_ok() {
                assert_eq!((a.bids(), a.asks()), (b.bids(), b.asks()));
                assert_eq!(a.trades(), b.trades());
            }
            fast
        });
    }
}
