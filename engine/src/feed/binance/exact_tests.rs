//! Binance's exact-shape decode path against its general walk, on the real frames of the shared
//! vectors and on mutations of them (the harness: `feed::units::exact_check`).

use super::Decoder;
use crate::feed::Venue;
use crate::feed::units::exact_check::{T, registry, run};

#[test]
fn exact_binance_depth_equals_general_walk_on_captures_and_mutations() {
    for (rel, venue, specs, min_fast) in [
        (
            "captures/binance-spot_btcusdt_20240808.gz",
            Venue::BinanceSpot,
            [("BTCUSDT", 1, 2, 1, 8)],
            3_451,
        ),
        (
            "captures/binance-usdm_btcusdt_20240808.gz",
            Venue::BinanceUsdm,
            [("BTCUSDT", 1, 1, 1, 3)],
            6_000,
        ),
    ] {
        let reg = registry(venue, &specs);
        let (mut a, mut b) = (Decoder::new(venue), Decoder::new(venue));
        run(rel, 400, min_fast, |f| {
            let fast = a.depth_exact(f, T, &reg).is_some();
            let (x, y) = (a.decode(f, T, &reg), b.decode_general(f, T, &reg));
            assert_eq!(x, y, "{}", String::from_utf8_lossy(f));
            if x.is_ok() {
                assert_eq!((a.bids(), a.asks()), (b.bids(), b.asks()));
            }
            fast
        });
    }
}
