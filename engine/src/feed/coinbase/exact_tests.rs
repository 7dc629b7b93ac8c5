//! Coinbase's exact-shape decode path against its general walk, on the real frames of the shared
//! vectors and on mutations of them (the harness: `feed::units::exact_check`).

use super::{BookHeader, Decoder};
use crate::feed::Venue;
use crate::feed::units::exact_check::{T, registry, run};
use ladder_sdk::Level;

fn coinbase_levels(d: &Decoder) -> Vec<(BookHeader, Vec<Level>, Vec<Level>)> {
    d.events()
        .iter()
        .map(|e| {
            let (b, a) = d.levels(e);
            (e.header, b.to_vec(), a.to_vec())
        })
        .collect()
}

#[test]
fn exact_coinbase_l2_equals_general_walk_on_vectors_and_mutations() {
    let reg = registry(
        Venue::Coinbase,
        &[("BTC-USD", 1, 2, 1, 8), ("ETH-USD", 1, 2, 1, 8)],
    );
    let mut a = Decoder::new(Venue::Coinbase);
    let mut b = Decoder::new(Venue::Coinbase);
    run(
        "vectors/coinbase/capture_coinbase-advanced_cryptofeed_20260809.txt.gz",
        300,
        700,
        |f| {
            let fast = a.book_exact(f, T, &reg).is_some();
            let (x, y) = (a.decode(f, T, &reg), b.decode_general(f, T, &reg));
            assert_eq!(x, y, "{}", String::from_utf8_lossy(f));
            if x.is_ok() {
                assert_eq!(coinbase_levels(&a), coinbase_levels(&b));
                assert_eq!(a.envelope(), b.envelope());
                assert_eq!(a.trades(), b.trades());
            }
            fast
        },
    );
}
