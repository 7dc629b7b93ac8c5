//! OKX's exact-shape decode path against its general walk, on the real frames of the shared
//! vectors and on mutations of them (the harness: `feed::units::exact_check`).

use super::Decoder;
use crate::feed::Venue;
use crate::feed::units::exact_check::{T, registry, run};

fn okx_texts(d: &Decoder) -> Vec<(Vec<u8>, Vec<u8>)> {
    let t = d.texts();
    t.bids
        .iter()
        .chain(t.asks.iter())
        .map(|(p, q)| (p.to_vec(), q.to_vec()))
        .collect()
}

#[test]
fn exact_okx_books_equals_general_walk_on_vectors_and_mutations() {
    let reg = registry(
        Venue::Okx,
        &[
            ("BTC-USDT", 1, 1, 1, 8),
            ("BTC-USD-220527", 1, 1, 1, 0),
            ("UNI-USD-SWAP", 1, 3, 1, 0),
        ],
    );
    let (mut a, mut b) = (Decoder::new(), Decoder::new());
    run("vectors/okx/cryptofeed_OKX.ws.1.0", 300, 280, |f| {
        let fast = a.book_exact(f, T, &reg).is_some();
        let (x, y) = (a.decode(f, T, &reg), b.decode_general(f, T, &reg));
        assert_eq!(x, y, "{}", String::from_utf8_lossy(f));
        if x.is_ok() {
            assert_eq!((a.bids(), a.asks()), (b.bids(), b.asks()));
            assert_eq!(okx_texts(&a), okx_texts(&b));
        }
        fast
    });
}
