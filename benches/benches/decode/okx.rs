//! OKX `books` frames (wire text kept for the checksum): ladder against serde_json typed + `Decimal`.

use super::*;

/// OKX `books` message, the usual typed way.
#[derive(Deserialize)]
struct OkxBooks<'a> {
    #[serde(borrow)]
    arg: OkxArg<'a>,
    #[allow(dead_code)]
    action: Option<&'a str>,
    data: Vec<OkxBook>,
}

#[derive(Deserialize)]
struct OkxArg<'a> {
    #[allow(dead_code)]
    channel: &'a str,
    #[serde(rename = "instId")]
    inst_id: &'a str,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct OkxBook {
    asks: Vec<(
        Decimal,
        Decimal,
        serde::de::IgnoredAny,
        serde::de::IgnoredAny,
    )>,
    bids: Vec<(
        Decimal,
        Decimal,
        serde::de::IgnoredAny,
        serde::de::IgnoredAny,
    )>,
    ts: String,
    checksum: Option<i64>,
    #[serde(rename = "seqId")]
    seq_id: Option<i64>,
    #[serde(rename = "prevSeqId")]
    prev_seq_id: Option<i64>,
}

/// The `books` frames of the 2022 OKX recording (or a synthetic one without `../shared`).
fn okx_inputs() -> Vec<String> {
    let path = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/okx/cryptofeed_OKX.ws.1.0"
    ));
    let frames: Vec<String> = std::fs::read_to_string(&path)
        .map(|t| {
            t.lines()
                .filter(|l| !l.starts_with("wss://"))
                .filter_map(|l| l.split_once(": ").map(|(_, f)| f.to_owned()))
                .filter(|f| f.contains(r#""channel":"books""#) && f.contains(r#""data""#))
                .collect()
        })
        .unwrap_or_default();
    if !frames.is_empty() {
        return frames;
    }
    eprintln!(
        "note: {} not found; using a synthetic input",
        path.display()
    );
    let side = |base: i64, dir: i64| {
        (0..25)
            .map(|i| {
                format!(
                    r#"["{}.{}","0.{:08}","0","{}"]"#,
                    base + dir * i,
                    i % 10,
                    12_345 * i,
                    1 + i % 4
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    vec![format!(
        r#"{{"arg":{{"channel":"books","instId":"BTC-USDT"}},"action":"update","data":[{{"asks":[{}],"bids":[{}],"ts":"1652459227127","checksum":-1724950524}}]}}"#,
        side(30_300, 1),
        side(30_200, -1)
    )]
}

pub(super) fn bench_okx(c: &mut Criterion) {
    use ladder_engine::feed::okx::{Decoded as OkxDecoded, Decoder as OkxDecoder};
    let mut registry = Registry::new();
    for (sym, tick, lot) in [
        ("BTC-USDT", Decimal::new(1, 1), Decimal::new(1, 8)),
        ("BTC-USD-220527", Decimal::new(1, 1), Decimal::new(1, 0)),
        ("UNI-USD-SWAP", Decimal::new(1, 3), Decimal::new(1, 0)),
    ] {
        let spec = InstrumentSpec::new(tick, lot).expect("spec");
        registry
            .add(ladder_engine::feed::Venue::Okx, sym, spec)
            .expect("register");
    }
    let frames = okx_inputs();
    let mut group = c.benchmark_group("decode/okx_books");
    group.throughput(Throughput::Elements(frames.len() as u64));
    let bytes: usize = frames.iter().map(String::len).sum();
    eprintln!(
        "decode/okx_books: {} frames, mean {} bytes",
        frames.len(),
        bytes / frames.len().max(1)
    );
    let mut decoder = OkxDecoder::new();
    // Both sides must read every level of every frame, or the ratio means nothing.
    let ours: usize = frames
        .iter()
        .map(
            |f| match decoder.decode(f.as_bytes(), UnixNanos::ZERO, &registry) {
                Ok(OkxDecoded::Book(_)) => decoder.bids().len() + decoder.asks().len(),
                _ => 0,
            },
        )
        .sum();
    let theirs: usize = frames
        .iter()
        .filter_map(|f| serde_json::from_str::<OkxBooks<'_>>(f).ok())
        .map(|m| {
            m.data
                .iter()
                .map(|d| d.bids.len() + d.asks.len())
                .sum::<usize>()
        })
        .sum();
    assert_eq!(ours, theirs, "levels read: ladder vs serde_json");
    eprintln!("decode/okx_books: {ours} levels");
    group.bench_function(
        BenchmarkId::new("ladder_scanner_ticks", frames.len()),
        |b| {
            b.iter(|| {
                let mut levels = 0usize;
                for f in &frames {
                    if let Ok(OkxDecoded::Book(_)) =
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
                    if let Ok(m) = serde_json::from_str::<OkxBooks<'_>>(black_box(f)) {
                        levels += m.arg.inst_id.len().min(1)
                            * m.data
                                .iter()
                                .map(|d| d.bids.len() + d.asks.len())
                                .sum::<usize>();
                    }
                }
                levels
            });
        },
    );
    group.finish();
}
