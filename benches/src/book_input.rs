//! The book benches' input: the two shared Binance BTCUSDT captures (spot and USD-M) as level
//! updates in ticks and lots, the REST snapshot then every diff after it, grouped by message.
//! Used by `benches/benches/book.rs` and the peer-baseline crate `benches/peers/`.
//!
//! Prices and quantities become ticks and lots through `InstrumentSpec`, on each market's grid:
//! spot tick 0.01 and lot 0.000001 (not the exchange's 0.00001 step: three quantities in the
//! spot capture carry six decimals, e.g. `25.42618900`, and an off-grid quantity is an error,
//! never rounded); USD-M tick 0.1 and lot 0.001. Override a path with `LADDER_BOOK_SPOT=path` /
//! `LADDER_BOOK_USDM=path`. If a capture cannot be read the caller is told why and gets a
//! synthetic Binance-like stream instead.

use ladder_sdk::{InstrumentSpec, Price, Quantity, Side};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::io::{BufRead, BufReader};
use std::ops::Range;

/// One absolute level update.
#[derive(Debug, Clone, Copy)]
pub struct Update {
    pub side: Side,
    pub price: Price,
    pub qty: Quantity,
}

/// The replayed input: snapshot levels, diff levels, and the diff levels of each message.
pub struct Stream {
    /// `spot` or `usdm`: the group suffix.
    pub name: &'static str,
    /// Where it came from, for the bench's log.
    pub source: String,
    /// Tick and lot as `f64`, for peer books that take floats.
    pub tick: f64,
    pub lot: f64,
    /// The REST snapshot's levels.
    pub snapshot: Vec<Update>,
    /// Every level of every diff after the snapshot, in order.
    pub diffs: Vec<Update>,
    /// The range of `diffs` of each depth message.
    pub messages: Vec<Range<usize>>,
}

// --- the capture ------------------------------------------------------------------------------

/// `{"lastUpdateId":..,"bids":[["61837.63000000","3.78826000"],..],"asks":[..]}`
#[derive(Deserialize)]
struct RestSnapshot {
    #[serde(rename = "lastUpdateId")]
    last_update_id: u64,
    bids: Vec<[String; 2]>,
    asks: Vec<[String; 2]>,
}

/// `{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate",..,"u":..,"b":[..],"a":[..]}}`
#[derive(Deserialize)]
struct Combined {
    data: DepthUpdate,
}

#[derive(Deserialize)]
struct DepthUpdate {
    u: u64,
    b: Vec<[String; 2]>,
    a: Vec<[String; 2]>,
}

/// One shared capture and its market's grid.
pub struct Market {
    /// Group suffix.
    pub name: &'static str,
    /// Environment variable that overrides the path.
    pub env: &'static str,
    /// File name in `../shared/captures`.
    pub file: &'static str,
    /// Tick and lot as (mantissa, scale).
    pub tick: (i64, u32),
    pub lot: (i64, u32),
}

/// The two shared captures.
pub const MARKETS: [Market; 2] = [
    Market {
        name: "spot",
        env: "LADDER_BOOK_SPOT",
        file: "binance-spot_btcusdt_20240808.gz",
        tick: (1, 2),
        lot: (1, 6),
    },
    Market {
        name: "usdm",
        env: "LADDER_BOOK_USDM",
        file: "binance-usdm_btcusdt_20240808.gz",
        tick: (1, 1),
        lot: (1, 3),
    },
];

/// The capture file of a market (its environment variable overrides it).
pub fn capture_path(m: &Market) -> String {
    std::env::var(m.env).unwrap_or_else(|_| {
        format!(
            "{}/../../shared/captures/{}",
            env!("CARGO_MANIFEST_DIR"),
            m.file
        )
    })
}

/// The snapshot and the diffs after it of one capture, on its market's grid.
pub fn load_capture(m: &Market, path: &str) -> Result<Stream, String> {
    let tick = Decimal::new(m.tick.0, m.tick.1);
    let lot = Decimal::new(m.lot.0, m.lot.1);
    let spec = InstrumentSpec::new(tick, lot).map_err(|e| format!("bad instrument spec: {e}"))?;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open {path}: {e}"))?;
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let convert =
        |side: Side, levels: &[[String; 2]], out: &mut Vec<Update>| -> Result<(), String> {
            for [px, qty] in levels {
                let price = spec
                    .price_from_str(px)
                    .map_err(|e| format!("price {px:?}: {e}"))?;
                let qty = spec
                    .qty_from_str(qty)
                    .map_err(|e| format!("qty {qty:?}: {e}"))?;
                out.push(Update { side, price, qty });
            }
            Ok(())
        };
    let mut snapshot_id = None;
    let mut snapshot = Vec::new();
    let mut updates: Vec<DepthUpdate> = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| format!("{path}: line {}: {e}", n + 1))?;
        let Some((_ts, json)) = line.split_once(' ') else {
            continue;
        };
        if json.starts_with("{\"lastUpdateId\"") {
            let snap: RestSnapshot =
                serde_json::from_str(json).map_err(|e| format!("{path}: line {}: {e}", n + 1))?;
            convert(Side::Buy, &snap.bids, &mut snapshot)?;
            convert(Side::Sell, &snap.asks, &mut snapshot)?;
            snapshot_id = Some(snap.last_update_id);
        } else if json.contains("\"depthUpdate\"") {
            let msg: Combined =
                serde_json::from_str(json).map_err(|e| format!("{path}: line {}: {e}", n + 1))?;
            updates.push(msg.data);
        }
    }
    let last_id = snapshot_id.ok_or_else(|| format!("{path}: no REST snapshot line"))?;
    let (mut diffs, mut messages) = (Vec::new(), Vec::new());
    for msg in updates.iter().filter(|m| m.u > last_id) {
        let start = diffs.len();
        convert(Side::Buy, &msg.b, &mut diffs)?;
        convert(Side::Sell, &msg.a, &mut diffs)?;
        messages.push(start..diffs.len());
    }
    if diffs.is_empty() {
        return Err(format!("{path}: no depth update after the snapshot"));
    }
    Ok(Stream {
        name: m.name,
        source: format!("capture {path}"),
        tick: f64::from(m.tick.0 as i32) / 10f64.powi(m.tick.1 as i32),
        lot: f64::from(m.lot.0 as i32) / 10f64.powi(m.lot.1 as i32),
        snapshot,
        diffs,
        messages,
    })
}

// --- synthetic fallback -----------------------------------------------------------------------

/// hotpath.md §2.6's workload: distance from the touch 60 % < 10 ticks, 30 % < 100, 10 % deeper;
/// about 45 % of updates delete; the mid random-walks.
pub fn synthetic(name: &'static str) -> Stream {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mid0 = 6_000_000i64;
    let mut snapshot = Vec::new();
    for d in 0..1000 {
        let qty = Quantity::from_lots(1 + (next() % 100_000) as i64);
        snapshot.push(Update {
            side: Side::Buy,
            price: Price::from_ticks(mid0 - 1 - d * 3),
            qty,
        });
        snapshot.push(Update {
            side: Side::Sell,
            price: Price::from_ticks(mid0 + d * 3),
            qty,
        });
    }
    let (mut diffs, mut messages, mut mid) = (Vec::new(), Vec::new(), mid0);
    for _ in 0..4_000 {
        mid += (next() % 5) as i64 - 2;
        let start = diffs.len();
        for _ in 0..30 {
            let r = next();
            let dist = match r % 10 {
                0..=5 => (r >> 8) % 10,
                6..=8 => 10 + (r >> 8) % 90,
                _ => 100 + (r >> 8) % 20_000,
            } as i64;
            let side = if r >> 40 & 1 == 0 {
                Side::Buy
            } else {
                Side::Sell
            };
            let price = match side {
                Side::Buy => mid - 1 - dist,
                Side::Sell => mid + dist,
            };
            let lots = if (r >> 32) % 100 < 45 {
                0
            } else {
                1 + ((r >> 20) % 100_000) as i64
            };
            diffs.push(Update {
                side,
                price: Price::from_ticks(price),
                qty: Quantity::from_lots(lots),
            });
        }
        messages.push(start..diffs.len());
    }
    Stream {
        name,
        source: "synthetic stream".to_owned(),
        tick: 0.01,
        lot: 0.000_001,
        snapshot,
        diffs,
        messages,
    }
}

/// Both captures (spot, then USD-M), each replaced by a synthetic stream if it cannot be read.
pub fn streams() -> Vec<Stream> {
    MARKETS
        .iter()
        .map(|m| {
            let path = capture_path(m);
            load_capture(m, &path).unwrap_or_else(|reason| {
                eprintln!("book bench: {reason}; falling back to a synthetic stream");
                synthetic(m.name)
            })
        })
        .collect()
}

/// A histogram for per-message book times in nanoseconds (1 ns to 60 s, 3 digits).
pub fn message_histogram() -> hdrhistogram::Histogram<u64> {
    hdrhistogram::Histogram::new_with_bounds(1, 60_000_000_000, 3)
        .unwrap_or_else(|e| panic!("histogram bounds: {e}"))
}

/// Times `apply` on every message of `stream`, `passes` times, each pass on a fresh book from
/// `fresh`; one `Instant` pair per message (included in every figure alike).
pub fn time_messages<B>(
    stream: &Stream,
    passes: usize,
    mut fresh: impl FnMut() -> B,
    mut apply: impl FnMut(&mut B, Range<usize>),
) -> hdrhistogram::Histogram<u64> {
    let mut h = message_histogram();
    for _ in 0..passes {
        let mut book = fresh();
        for m in &stream.messages {
            let t = std::time::Instant::now();
            apply(&mut book, m.clone());
            let _ = h.record((t.elapsed().as_nanos() as u64).max(1));
        }
        std::hint::black_box(&book);
    }
    h
}

/// Prints one book's per-message percentiles:
/// `book bench: <capture> per message <book>: p50 .. p99 .. p99.9 .. max`.
pub fn print_percentiles(stream: &Stream, book: &str, h: &hdrhistogram::Histogram<u64>) {
    eprintln!(
        "book bench: {} per message {book}: p50 {} ns, p99 {} ns, p99.9 {} ns, max {} ns \
         ({} messages, {} recorded, mean {:.1} levels a message)",
        stream.name,
        h.value_at_quantile(0.5),
        h.value_at_quantile(0.99),
        h.value_at_quantile(0.999),
        h.max(),
        stream.messages.len(),
        h.len(),
        stream.diffs.len() as f64 / stream.messages.len().max(1) as f64,
    );
}
