//! Every venue's exact-shape path against its general walk, on the real frames of the shared
//! vectors and on mutations of them: the same result (value, levels, wire text) or the same
//! error, and the exact-shape path taken for the book frames it is written for.

use crate::feed::Venue;
use crate::feed::{binance, bybit, coinbase, kraken, okx};
use crate::instrument::Registry;
use crate::testutil::shared;
use ladder_sdk::{InstrumentSpec, Level, UnixNanos};
use rust_decimal::Decimal;
use std::io::BufRead;

/// The frames of a shared vector (`<ts> <frame>` or `<ts>: <frame>` lines, gzip or not).
fn frames(rel: &str) -> Option<Vec<Vec<u8>>> {
    let path = shared(rel)?;
    let file = std::fs::File::open(&path).unwrap();
    let reader: Box<dyn BufRead> = if rel.ends_with(".gz") {
        Box::new(std::io::BufReader::new(flate2::read::MultiGzDecoder::new(
            file,
        )))
    } else {
        Box::new(std::io::BufReader::new(file))
    };
    Some(
        reader
            .lines()
            .map(Result::unwrap)
            .filter_map(|l| {
                let at = l.find(['{', '['])?;
                Some(l.as_bytes()[at..].to_vec())
            })
            .collect(),
    )
}

fn registry(venue: Venue, specs: &[(&str, i64, u32, i64, u32)]) -> Registry {
    let mut r = Registry::new();
    for &(sym, tm, ts, lm, ls) in specs {
        let spec = InstrumentSpec::new(Decimal::new(tm, ts), Decimal::new(lm, ls)).unwrap();
        r.add(venue, sym, spec).unwrap();
    }
    r
}

/// Mutations of `frame`: a byte replaced with one of a few that change a number's or the
/// frame's shape, and cuts, at positions spread over the frame.
fn mutations(frame: &[u8], seed: usize) -> Vec<Vec<u8>> {
    const BYTES: &[u8] = b"\".09-,]}e 5";
    let mut out = Vec::new();
    if frame.is_empty() {
        return out;
    }
    for k in 0..12 {
        let at = (seed * 7919 + k * 104_729) % frame.len();
        let mut m = frame.to_vec();
        m[at] = BYTES[(seed + k) % BYTES.len()];
        out.push(m);
    }
    out.push(frame[..frame.len() * 2 / 3].to_vec());
    out.push(frame[..frame.len().saturating_sub(1)].to_vec());
    out
}

/// Runs `check(frame)` on every frame and on mutations of the first `mutated` ones; `check`
/// answers whether the exact-shape path took the frame. At least `min_fast` of the frames
/// (unmutated) must have taken it.
fn run(rel: &str, mutated: usize, min_fast: usize, mut check: impl FnMut(&[u8]) -> bool) {
    let Some(frames) = frames(rel) else {
        return;
    };
    let fast = frames.iter().filter(|f| check(f)).count();
    eprintln!(
        "{rel}: {fast} of {} frames took the exact-shape path",
        frames.len()
    );
    assert!(
        fast >= min_fast,
        "{rel}: the exact-shape path took {fast} frames, expected at least {min_fast}"
    );
    for (i, f) in frames.iter().take(mutated).enumerate() {
        for m in mutations(f, i) {
            check(&m);
        }
    }
}

const T: UnixNanos = UnixNanos::ZERO;

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
        let (mut a, mut b) = (binance::Decoder::new(venue), binance::Decoder::new(venue));
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
        let (mut a, mut b) = (bybit::Decoder::new(venue), bybit::Decoder::new(venue));
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

fn okx_texts(d: &okx::Decoder) -> Vec<(Vec<u8>, Vec<u8>)> {
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
    let (mut a, mut b) = (okx::Decoder::new(), okx::Decoder::new());
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

fn coinbase_levels(d: &coinbase::Decoder) -> Vec<(coinbase::BookHeader, Vec<Level>, Vec<Level>)> {
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
    let mut a = coinbase::Decoder::new(Venue::Coinbase);
    let mut b = coinbase::Decoder::new(Venue::Coinbase);
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
        let (mut a, mut b) = (kraken::Decoder::new(), kraken::Decoder::new());
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
