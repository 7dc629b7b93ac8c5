//! Bybit `orderbook` frames: ladder against serde_json typed + `Decimal`.

use super::*;
use ladder_engine::feed::bybit;

/// A Bybit `orderbook` message, typed.
#[allow(dead_code)]
#[derive(Deserialize)]
struct BybitBook<'a> {
    #[serde(borrow)]
    topic: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    ts: u64,
    data: BybitData,
    cts: Option<u64>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct BybitData {
    s: String,
    b: Vec<[Decimal; 2]>,
    a: Vec<[Decimal; 2]>,
    u: u64,
    seq: Option<u64>,
}

/// A Bybit delta of `levels` levels, when the vectors are missing.
fn bybit_synthetic(levels: usize) -> String {
    let side = |base: u64, dir: i64| -> String {
        (0..levels / 2)
            .map(|i| {
                format!(
                    "[\"{}.{}\",\"0.{:06}\"]",
                    base as i64 + dir * i as i64,
                    i % 10,
                    1 + i
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        "{{\"topic\":\"orderbook.200.BTCUSDT\",\"ts\":1,\"type\":\"delta\",\"data\":{{\"s\":\"BTCUSDT\",\"b\":[{}],\"a\":[{}],\"u\":2,\"seq\":3}},\"cts\":1}}",
        side(65_000, -1),
        side(65_100, 1)
    )
}

pub(super) fn bench_decode_bybit(c: &mut Criterion) {
    let cases = [
        (
            "bybit_spot_ob200",
            Venue::BybitSpot,
            "bybit/capture_bybit-v5-spot_cryptofeed_20260809.txt.gz",
            [("BTCUSDT", 1, 6), ("ETHUSDT", 2, 5)],
        ),
        (
            "bybit_linear_ob500",
            Venue::BybitLinear,
            "bybit/nautilus_2024-12-01_XRPUSDT_ob500.data",
            [("XRPUSDT", 4, 0), ("BTCUSDT", 1, 6)],
        ),
    ];
    for (name, venue, rel, symbols) in cases {
        let mut registry = Registry::new();
        for (symbol, tick, lot) in symbols {
            let spec =
                InstrumentSpec::new(Decimal::new(1, tick), Decimal::new(1, lot)).expect("spec");
            registry.add(venue, symbol, spec).expect("register");
        }
        let frames: Vec<String> = vector_frames(rel)
            .map(|f| {
                f.into_iter()
                    .filter(|f| f.contains("\"topic\":\"orderbook."))
                    .collect()
            })
            .unwrap_or_else(|| vec![bybit_synthetic(50)]);
        let mut group = c.benchmark_group(format!("decode/{name}"));
        group.throughput(Throughput::Elements(frames.len() as u64));
        let bytes: usize = frames.iter().map(String::len).sum();
        eprintln!(
            "decode/{name}: {} frames, mean {} bytes",
            frames.len(),
            bytes / frames.len().max(1)
        );
        let mut decoder = bybit::Decoder::new(venue);
        // Every frame decodes (a bench of errors would measure nothing).
        for f in &frames {
            assert!(
                decoder
                    .decode(f.as_bytes(), UnixNanos::ZERO, &registry)
                    .is_ok(),
                "{name}"
            );
        }
        group.bench_function(
            BenchmarkId::new("ladder_scanner_ticks", frames.len()),
            |b| {
                b.iter(|| {
                    let mut levels = 0usize;
                    for f in &frames {
                        if let Ok(bybit::Decoded::Book(_)) =
                            decoder.decode(black_box(f.as_bytes()), UnixNanos::ZERO, &registry)
                        {
                            levels += decoder.bids().len() + decoder.asks().len();
                        }
                    }
                    levels
                });
            },
        );
        group.bench_function(
            BenchmarkId::new("serde_json_typed_decimal", frames.len()),
            |b| {
                b.iter(|| {
                    let mut levels = 0usize;
                    for f in &frames {
                        if let Ok(m) = serde_json::from_str::<BybitBook<'_>>(black_box(f)) {
                            levels += m.data.b.len() + m.data.a.len();
                        }
                    }
                    levels
                });
            },
        );
        group.finish();
    }
}
