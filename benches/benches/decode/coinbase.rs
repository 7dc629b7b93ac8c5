//! Coinbase Advanced Trade `l2_data` updates and its 5 MB snapshot: ladder against serde_json typed + `Decimal`.

use super::*;

/// Coinbase Advanced Trade `l2_data` message, the usual typed way.
#[derive(Deserialize)]
struct CoinbaseL2<'a> {
    #[allow(dead_code)]
    #[serde(borrow)]
    channel: &'a str,
    #[allow(dead_code)]
    sequence_num: u64,
    #[serde(borrow)]
    events: Vec<CoinbaseEvent<'a>>,
}

#[derive(Deserialize)]
struct CoinbaseEvent<'a> {
    #[allow(dead_code)]
    #[serde(rename = "type")]
    kind: &'a str,
    product_id: &'a str,
    #[serde(borrow)]
    updates: Vec<CoinbaseLevel<'a>>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct CoinbaseLevel<'a> {
    side: &'a str,
    price_level: Decimal,
    new_quantity: Decimal,
}

/// The `l2_data` update frames and the BTC-USD snapshot of the Advanced Trade recording (or
/// synthetic ones without `../shared`).
fn coinbase_inputs() -> (Vec<String>, String) {
    let frames = vector_frames("coinbase/capture_coinbase-advanced_cryptofeed_20260809.txt.gz")
        .unwrap_or_default();
    let l2 = |f: &&String| f.contains(r#""channel":"l2_data""#);
    let updates: Vec<String> = frames
        .iter()
        .filter(l2)
        .filter(|f| f.contains(r#""type":"update""#))
        .cloned()
        .collect();
    let snapshot = frames
        .iter()
        .filter(l2)
        .find(|f| f.contains(r#""type":"snapshot","product_id":"BTC-USD""#))
        .cloned();
    if let (false, Some(snapshot)) = (updates.is_empty(), snapshot) {
        return (updates, snapshot);
    }
    let level = |i: usize, bid: bool| {
        format!(
            r#"{{"side":"{}","event_time":"2026-08-09T21:05:48.170326Z","price_level":"{}.{:02}","new_quantity":"0.{:08}"}}"#,
            if bid { "bid" } else { "offer" },
            if bid { 65_000 - i } else { 65_001 + i },
            i % 100,
            12_345 * (i + 1)
        )
    };
    let frame = |kind: &str, n: usize| {
        let levels: Vec<String> = (0..n).map(|i| level(i, i % 2 == 0)).collect();
        format!(
            r#"{{"channel":"l2_data","timestamp":"2026-08-09T21:05:48.483587501Z","sequence_num":13,"events":[{{"type":"{kind}","product_id":"BTC-USD","updates":[{}]}}]}}"#,
            levels.join(",")
        )
    };
    (vec![frame("update", 2)], frame("snapshot", 46_000))
}

pub(super) fn bench_coinbase(c: &mut Criterion) {
    use ladder_engine::feed::coinbase::{Decoded as CbDecoded, Decoder as CbDecoder};
    let mut registry = Registry::new();
    let spec = InstrumentSpec::new(Decimal::new(1, 2), Decimal::new(1, 8)).expect("spec");
    for sym in ["BTC-USD", "ETH-USD"] {
        registry.add(Venue::Coinbase, sym, spec).expect("register");
    }
    let (updates, snapshot) = coinbase_inputs();
    let mut decoder = CbDecoder::new(Venue::Coinbase);
    let count = |d: &mut CbDecoder, f: &str| -> usize {
        match d.decode(black_box(f.as_bytes()), UnixNanos::ZERO, &registry) {
            Ok(CbDecoded::Book(_)) => d
                .events()
                .iter()
                .map(|e| {
                    let (b, a) = d.levels(e);
                    b.len() + a.len()
                })
                .sum(),
            _ => 0,
        }
    };
    let theirs = |f: &str| -> usize {
        serde_json::from_str::<CoinbaseL2<'_>>(black_box(f)).map_or(0, |m| {
            m.events
                .iter()
                .map(|e| e.product_id.len().min(1) * e.updates.len())
                .sum()
        })
    };
    for (name, frames) in [
        ("coinbase_l2_update", updates),
        ("coinbase_l2_snapshot", vec![snapshot]),
    ] {
        // Both sides must read every level of every frame, or the ratio means nothing.
        let ours: usize = frames.iter().map(|f| count(&mut decoder, f)).sum();
        let base: usize = frames.iter().map(|f| theirs(f)).sum();
        assert_eq!(ours, base, "levels read: ladder vs serde_json");
        let bytes: usize = frames.iter().map(String::len).sum();
        eprintln!(
            "decode/{name}: {} frames, mean {} bytes, {ours} levels",
            frames.len(),
            bytes / frames.len().max(1)
        );
        let mut group = c.benchmark_group(format!("decode/{name}"));
        group.throughput(Throughput::Elements(frames.len() as u64));
        if name == "coinbase_l2_snapshot" {
            group.sample_size(10);
        }
        group.bench_function(
            BenchmarkId::new("ladder_scanner_ticks", frames.len()),
            |b| b.iter(|| frames.iter().map(|f| count(&mut decoder, f)).sum::<usize>()),
        );
        group.bench_function(
            BenchmarkId::new("serde_json_typed_decimal", frames.len()),
            |b| b.iter(|| frames.iter().map(|f| theirs(f)).sum::<usize>()),
        );
        group.finish();
    }
}
