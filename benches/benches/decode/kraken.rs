//! Kraken v1 and v2 book frames, and the book checksum (CRC32 of the top 10) and its verification on a 1000 + 1000 level book.

use super::*;

/// A Kraken v2 `book` message, typed; numbers through `f64` into `Decimal`.
#[derive(Deserialize)]
struct KrakenV2<'a> {
    #[serde(borrow)]
    #[allow(dead_code)]
    channel: &'a str,
    #[serde(rename = "type")]
    #[allow(dead_code)]
    kind: &'a str,
    data: Vec<KrakenV2Book>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct KrakenV2Book {
    symbol: String,
    bids: Vec<KrakenV2Level>,
    asks: Vec<KrakenV2Level>,
    checksum: Option<u32>,
    timestamp: Option<String>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct KrakenV2Level {
    #[serde(deserialize_with = "f64_decimal")]
    price: Decimal,
    #[serde(deserialize_with = "f64_decimal")]
    qty: Decimal,
}

fn f64_decimal<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let v = f64::deserialize(d)?;
    Decimal::try_from(v).map_err(serde::de::Error::custom)
}

/// One element of a Kraken v1 array message, typed.
#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(untagged)]
enum KrakenV1Elem {
    Id(u64),
    Part(KrakenV1Part),
    Name(String),
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct KrakenV1Part {
    #[serde(default, rename = "as")]
    snap_asks: Vec<(Decimal, Decimal, String)>,
    #[serde(default, rename = "bs")]
    snap_bids: Vec<(Decimal, Decimal, String)>,
    #[serde(default)]
    a: Vec<(Decimal, Decimal, String)>,
    #[serde(default)]
    b: Vec<(Decimal, Decimal, String)>,
    c: Option<String>,
}

impl KrakenV1Part {
    fn levels(&self) -> usize {
        self.snap_asks.len() + self.snap_bids.len() + self.a.len() + self.b.len()
    }
}

/// The book frames of a Kraken vector (`v1`: the cryptofeed recording; else the two v2
/// captures), or nothing without `../shared`.
fn kraken_inputs(v1: bool) -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors/kraken/");
    let files: &[&str] = if v1 {
        &["cryptofeed_KRAKEN.ws.50.0_XMRUSD_XBTCHF.txt"]
    } else {
        &[
            "capture_ccxt_v2_book_BTCUSD_20260812.txt",
            "capture_ccxt_v2_book_BTCUSD_20261006_resnapshot.txt",
        ]
    };
    let mut frames = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(format!("{dir}{f}")) else {
            eprintln!("note: {dir}{f} not found; decode/kraken skipped");
            return Vec::new();
        };
        let sep = if v1 { ": " } else { " " };
        frames.extend(
            text.lines()
                .filter(|l| !l.starts_with("wss://"))
                .filter_map(|l| l.split_once(sep).map(|(_, f)| f.to_owned()))
                .filter(|f| f.contains("book")),
        );
    }
    frames.retain(|f| f.starts_with('[') || f.contains(r#""channel":"book""#));
    frames
}

fn kraken_registry() -> Registry {
    let mut registry = Registry::new();
    for (sym, tick) in [("XMR/USD", "0.01"), ("XBT/CHF", "0.1"), ("BTC/USD", "0.1")] {
        let spec = InstrumentSpec::new(tick.parse().expect("tick"), Decimal::new(1, 8));
        registry
            .add(Venue::Kraken, sym, spec.expect("spec"))
            .expect("register");
    }
    registry
}

pub(super) fn bench_kraken(c: &mut Criterion) {
    use ladder_engine::feed::kraken::{Decoded as KDecoded, Decoder as KDecoder};
    let registry = kraken_registry();
    for v1 in [true, false] {
        let frames = kraken_inputs(v1);
        if frames.is_empty() {
            continue;
        }
        let name = if v1 {
            "kraken_v1_book"
        } else {
            "kraken_v2_book"
        };
        let mut decoder = KDecoder::new();
        let ours_of =
            |f: &str, d: &mut KDecoder| match d.decode(f.as_bytes(), UnixNanos::ZERO, &registry) {
                Ok(KDecoded::Book(_)) => d.bids().len() + d.asks().len(),
                Ok(_) => 0,
                Err(e) => panic!("{e}: {f}"),
            };
        let theirs_of = |f: &str| -> usize {
            if v1 {
                serde_json::from_str::<Vec<KrakenV1Elem>>(f)
                    .map(|m| {
                        m.iter()
                            .map(|e| match e {
                                KrakenV1Elem::Part(p) => p.levels(),
                                _ => 0,
                            })
                            .sum()
                    })
                    .unwrap_or(0)
            } else {
                serde_json::from_str::<KrakenV2<'_>>(f)
                    .map(|m| m.data.iter().map(|d| d.bids.len() + d.asks.len()).sum())
                    .unwrap_or(0)
            }
        };
        // Both sides must read every level of every frame, or the ratio means nothing.
        let ours: usize = frames.iter().map(|f| ours_of(f, &mut decoder)).sum();
        let theirs: usize = frames.iter().map(|f| theirs_of(f)).sum();
        assert_eq!(ours, theirs, "{name}: levels read, ladder vs serde_json");
        let bytes: usize = frames.iter().map(String::len).sum();
        eprintln!(
            "decode/{name}: {} frames, {ours} levels, mean {} bytes",
            frames.len(),
            bytes / frames.len()
        );
        let mut group = c.benchmark_group(format!("decode/{name}"));
        group.throughput(Throughput::Elements(frames.len() as u64));
        group.bench_function(
            BenchmarkId::new("ladder_scanner_ticks", frames.len()),
            |b| {
                b.iter(|| {
                    frames
                        .iter()
                        .map(|f| ours_of(black_box(f), &mut decoder))
                        .sum::<usize>()
                });
            },
        );
        group.bench_function(
            BenchmarkId::new("serde_json_typed_decimal", frames.len()),
            |b| {
                b.iter(|| {
                    frames
                        .iter()
                        .map(|f| theirs_of(black_box(f)))
                        .sum::<usize>()
                })
            },
        );
        group.finish();
    }
}

/// The top-20 checksum on a book of 1000 levels a side (BTC/USD-like: 0.1 tick, 8-decimal
/// lots), per message; baseline: the decimal-string way.
pub(super) fn bench_kraken_checksum(c: &mut Criterion) {
    use ladder_engine::book::{BookConfig, L2Book};
    use ladder_engine::feed::kraken::checksum::{Render, checksum, checksum_text};
    use ladder_engine::feed::kraken::wire::Decimals;
    use ladder_sdk::{Price, Quantity, Side};
    let spec = InstrumentSpec::new(Decimal::new(1, 1), Decimal::new(1, 8)).expect("spec");
    let mut book = L2Book::new(BookConfig::default());
    for i in 0..1000i64 {
        let lots = Quantity::from_lots(1 + (i * 7_919_123) % 300_000_000);
        book.apply(Side::Buy, Price::from_ticks(632_994 - 3 * i), lots);
        book.apply(Side::Sell, Price::from_ticks(632_995 + 3 * i), lots);
    }
    let mut render = Render::new(&spec);
    render.set(Decimals { price: 1, qty: 8 });
    let by_strings = |book: &L2Book| -> u32 {
        let mut text = String::new();
        for side in [Side::Sell, Side::Buy] {
            for l in book.levels(side).take(10) {
                let p = format!("{:.1}", spec.price_to_decimal(l.price));
                let q = format!("{:.8}", spec.qty_to_decimal(l.qty));
                for v in [p, q] {
                    let digits: String = v.chars().filter(|&c| c != '.').collect();
                    text.push_str(digits.trim_start_matches('0'));
                }
            }
        }
        crc_of(text.as_bytes())
    };
    assert_eq!(checksum(&book, &render), by_strings(&book), "same checksum");
    assert_eq!(
        crc_of(checksum_text(&book, &render).as_bytes()),
        by_strings(&book)
    );
    let mut group = c.benchmark_group("checksum/kraken_1000");
    group.throughput(Throughput::Elements(1));
    group.bench_function("ladder_ticks_as_integers", |b| {
        b.iter(|| checksum(black_box(&book), &render));
    });
    group.bench_function("decimal_strings", |b| {
        b.iter(|| by_strings(black_box(&book)))
    });
    // The part of the checksum that only walks the top 10 levels of each side (no text, no
    // CRC): where the time goes.
    group.bench_function("top_10_walk_only", |b| {
        b.iter(|| {
            let book = black_box(&book);
            [Side::Sell, Side::Buy]
                .into_iter()
                .flat_map(|s| book.levels(s).take(10))
                .fold(0i64, |a, l| a ^ l.price.ticks() ^ l.qty.lots())
        })
    });
    group.finish();
}

/// One update of a 1000 + 1000 level book through Kraken's sequencer, with its checksum
/// verified, per message; baseline: the same update without a checksum (apply and truncate
/// only). The update sets two levels inside the top 10 to the values they hold after it, so
/// every iteration leaves the same book and the same checksum.
pub(super) fn bench_kraken_verify(c: &mut Criterion) {
    use ladder_engine::book::{BookConfig, L2Book};
    use ladder_engine::feed::kraken::checksum::{Render, checksum};
    use ladder_engine::feed::kraken::wire::{Decimals, Version};
    use ladder_engine::feed::kraken::{BookHeader, NullSink, Outcome, Sequencer};
    use ladder_sdk::{InstrumentId, Level, Price, Quantity, Side};
    let spec = InstrumentSpec::new(Decimal::new(1, 1), Decimal::new(1, 8)).expect("spec");
    let level =
        |ticks: i64, lots: i64| Level::new(Price::from_ticks(ticks), Quantity::from_lots(lots));
    let lots = |i: i64| 1 + (i * 7_919_123) % 300_000_000;
    let bids: Vec<Level> = (0..1000).map(|i| level(632_994 - 3 * i, lots(i))).collect();
    let asks: Vec<Level> = (0..1000).map(|i| level(632_995 + 3 * i, lots(i))).collect();
    let update_bids = [level(632_994 - 3 * 4, 12_345_678)];
    let update_asks = [level(632_995 + 3 * 7, 87_654_321)];
    let mut after = L2Book::new(BookConfig::default());
    for l in &bids {
        after.apply(Side::Buy, l.price, l.qty);
    }
    for l in &asks {
        after.apply(Side::Sell, l.price, l.qty);
    }
    after.apply(Side::Buy, update_bids[0].price, update_bids[0].qty);
    after.apply(Side::Sell, update_asks[0].price, update_asks[0].qty);
    let decimals = Decimals { price: 1, qty: 8 };
    let mut render = Render::new(&spec);
    render.set(decimals);
    let header = |snapshot: bool, checksum: Option<u32>| BookHeader {
        instrument: InstrumentId::new(0),
        snapshot,
        checksum,
        depth: Some(1000),
        decimals,
        version: Version::V2,
        ts_exchange: UnixNanos::from_nanos(1),
        ts_recv: UnixNanos::from_nanos(1),
    };
    let want = checksum(&after, &render);
    let mut seq = Sequencer::new(InstrumentId::new(0), Render::new(&spec));
    let snap = seq.on_message(&header(true, None), 1000, &bids, &asks, &mut NullSink);
    assert!(matches!(snap, Outcome::Snapshot), "{snap:?}");
    let (verified, plain) = (header(false, Some(want)), header(false, None));
    let outcome = seq.on_message(&verified, 1000, &update_bids, &update_asks, &mut NullSink);
    assert!(matches!(outcome, Outcome::Applied), "{outcome:?}");
    assert_eq!(seq.verified(), 1, "the update's checksum matched");
    let mut group = c.benchmark_group("checksum/kraken_verify_1000");
    group.throughput(Throughput::Elements(1));
    group.bench_function("update_with_checksum_verified", |b| {
        b.iter(|| {
            seq.on_message(
                black_box(&verified),
                1000,
                black_box(&update_bids),
                black_box(&update_asks),
                &mut NullSink,
            )
        });
    });
    group.bench_function("update_without_checksum", |b| {
        b.iter(|| {
            seq.on_message(
                black_box(&plain),
                1000,
                black_box(&update_bids),
                black_box(&update_asks),
                &mut NullSink,
            )
        });
    });
    group.finish();
    assert!(
        seq.stats().faults.total() == 0,
        "no mismatch while measured"
    );
}

/// CRC32 (IEEE) through flate2 (zlib's CRC, as peers use it): the same hash on both sides,
/// so the ratio is the cost of writing the text.
fn crc_of(bytes: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    crc.sum()
}
