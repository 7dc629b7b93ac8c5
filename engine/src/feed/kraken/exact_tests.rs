//! Kraken's exact-shape decode path against its general walk, on the real frames of the shared
//! vectors and on mutations of them (the harness: `feed::units::exact_check`).

use super::Decoder;
use crate::feed::Venue;
use crate::feed::units::exact_check::{T, registry, run};

#[test]
fn exact_kraken_v2_book_equals_general_walk_on_vectors_and_mutations() {
    let reg = registry(
        Venue::Kraken,
        &[
            ("XMR/USD", 1, 2, 1, 8),
            ("XBT/CHF", 1, 1, 1, 8),
            ("BTC/USD", 1, 1, 1, 8),
        ],
    );
    for (rel, min_fast) in [
        ("vectors/kraken/capture_ccxt_v2_book_BTCUSD_20260812.txt", 2),
        (
            "vectors/kraken/capture_ccxt_v2_book_BTCUSD_20261006_resnapshot.txt",
            5,
        ),
    ] {
        let (mut a, mut b) = (Decoder::new(), Decoder::new());
        run(rel, 50, min_fast, |f| {
            let fast = a.book_v2_exact(f, T, &reg).is_some();
            let (x, y) = (a.decode(f, T, &reg), b.decode_general(f, T, &reg));
            assert_eq!(x, y, "{}", String::from_utf8_lossy(f));
            if x.is_ok() {
                assert_eq!((a.bids(), a.asks()), (b.bids(), b.asks()));
            }
            fast
        });
    }
}
