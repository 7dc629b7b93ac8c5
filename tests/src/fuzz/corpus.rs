//! The corpus: short scenarios of real capture lines, each a snapshot and the lines that
//! follow it (diffs, trades, book tickers), that sync cleanly when nothing is mutated.
//!
//! Sources are real recordings: `ladder` captures (the shared Binance captures and their
//! first-1000-line vectors) and cryptofeed's Binance sample (four spot symbols, its REST
//! snapshots turned into `<symbol>@depthSnapshot` capture lines). Each source is replayed once
//! through the pipeline; one scenario is its own start (the real snapshot with the diffs
//! buffered before it), the others are cut every `stride` applied diffs: a snapshot of the real
//! book at that point (its top `levels` per side, valid at the right id for the venue's rule,
//! as a bare REST body or in an envelope), placed before, among or after the next `window`
//! real lines, so that the buffered-diff replay is exercised too.

use super::mutate::Dictionary;
use super::pipeline::{BinancePipeline, Counts, Fed};
use ladder_engine::capture::{CaptureReader, Next, parse_line};
use ladder_engine::feed::binance::{Decoded, Decoder, DepthOutcome, SyncRule};
use ladder_engine::feed::{Venue, VenueProbe};
use ladder_engine::instrument::Registry;
use ladder_sdk::{InstrumentSpec, Side};
use rust_decimal::Decimal;
use std::io::BufRead;
use std::path::Path;

/// Lines of one recording, `<ts_recv_ns> <frame>` each.
pub type Lines = Vec<Vec<u8>>;

/// How scenarios are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorpusOptions {
    /// A scenario every this many applied diffs of an instrument.
    pub stride: u64,
    /// Real lines after the snapshot.
    pub window: usize,
    /// Levels per side in a synthesized snapshot.
    pub levels: usize,
}

impl Default for CorpusOptions {
    fn default() -> Self {
        Self {
            stride: 16,
            window: 12,
            levels: 40,
        }
    }
}

/// What one fuzz target runs: a venue's sequencing rule, its instruments and its scenarios.
#[derive(Debug, Clone)]
pub struct Target {
    /// Lowercase name for reports (`binance-spot`).
    pub name: String,
    /// The venue (its decoder and sequencing rules).
    pub venue: Venue,
    /// The instruments, grids inferred from the sources.
    pub registry: Registry,
    /// The scenarios.
    pub scenarios: Vec<Lines>,
    /// Values seen in the scenarios, for splicing.
    pub dictionary: Dictionary,
}

/// Reads a capture file (plain or gzip) as lines.
///
/// # Errors
/// If the file cannot be opened or read.
pub fn read_capture(path: &Path) -> Result<Lines, String> {
    let mut reader = CaptureReader::open(path).map_err(|e| e.to_string())?;
    let mut lines = Vec::new();
    while let Some(next) = reader.next_line().map_err(|e| e.to_string())? {
        if let Next::Line(l) = next {
            let mut line = l.ts_recv.as_nanos().to_string().into_bytes();
            line.push(b' ');
            line.extend_from_slice(l.frame);
            lines.push(line);
        }
    }
    Ok(lines)
}

/// Reads cryptofeed's Binance sample: `ws` lines `<secs.frac>: <frame>` (its first line is the
/// URL) and `http` lines `<url> -> <secs.frac>: <body>`; the REST bodies become
/// `<symbol>@depthSnapshot` envelopes; all lines merged in time order.
///
/// # Errors
/// If a file cannot be read or a line has no timestamp.
pub fn read_cryptofeed(ws: &Path, http: &Path) -> Result<Lines, String> {
    let read = |p: &Path| -> Result<Vec<String>, String> {
        let f = std::fs::File::open(p).map_err(|e| format!("cannot open {}: {e}", p.display()))?;
        std::io::BufReader::new(f)
            .lines()
            .collect::<Result<_, _>>()
            .map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    let mut timed: Vec<(u64, Vec<u8>)> = Vec::new();
    for (n, text) in read(ws)?.iter().enumerate().skip(1) {
        if text.trim().is_empty() {
            continue;
        }
        let (ts, frame) = split_cryptofeed(text)
            .ok_or_else(|| format!("{}:{}: no `<secs>: ` prefix", ws.display(), n + 1))?;
        timed.push((ts, frame.as_bytes().to_vec()));
    }
    for (n, text) in read(http)?.iter().enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        let err = || {
            format!(
                "{}:{}: not `<url> -> <secs>: <body>`",
                http.display(),
                n + 1
            )
        };
        let (url, rest) = text.split_once(" -> ").ok_or_else(err)?;
        let (ts, body) = split_cryptofeed(rest).ok_or_else(err)?;
        let symbol = url
            .split(['?', '&'])
            .find_map(|kv| kv.strip_prefix("symbol="))
            .ok_or_else(err)?
            .to_ascii_lowercase();
        let frame = format!("{{\"stream\":\"{symbol}@depthSnapshot\",\"data\":{body}}}");
        timed.push((ts, frame.into_bytes()));
    }
    timed.sort_by_key(|(ts, _)| *ts);
    Ok(timed
        .into_iter()
        .map(|(ts, frame)| [ts.to_string().as_bytes(), b" ", &frame].concat())
        .collect())
}

/// `1633998512.0633569: {...}` → nanoseconds and the frame.
fn split_cryptofeed(text: &str) -> Option<(u64, &str)> {
    let (secs, frame) = text.split_once(": ")?;
    let (whole, frac) = secs.split_once('.').unwrap_or((secs, "0"));
    let frac: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
    let ns = whole.parse::<u64>().ok()? * 1_000_000_000 + frac.parse::<u64>().ok()?;
    Some((ns, frame))
}

/// Registers every symbol of `sources` with the finest grid its values use (as `ladder
/// inspect` infers it).
pub(super) fn infer_registry(venue: Venue, sources: &[Lines]) -> Result<Registry, String> {
    let mut probe = VenueProbe::new(venue);
    let mut seen: Vec<(String, u8, u8)> = Vec::new();
    for line in sources.iter().flatten() {
        let Ok((_, frame)) = parse_line(line) else {
            continue;
        };
        let Some(Some(symbol)) = probe.read(frame) else {
            continue;
        };
        let symbol = String::from_utf8_lossy(symbol).to_ascii_uppercase();
        let price_scale = probe
            .values()
            .iter()
            .map(|(p, _)| p.scale)
            .max()
            .unwrap_or(0);
        // A zero quantity says nothing about the lot size.
        let qty_scale = probe
            .values()
            .iter()
            .filter(|(_, q)| q.mantissa != 0)
            .map(|(_, q)| q.scale)
            .max()
            .unwrap_or(0);
        match seen.iter_mut().find(|(s, ..)| *s == symbol) {
            Some((_, p, q)) => {
                *p = (*p).max(price_scale);
                *q = (*q).max(qty_scale);
            }
            None => seen.push((symbol, price_scale, qty_scale)),
        }
    }
    let mut registry = Registry::new();
    for (symbol, p, q) in seen {
        let spec =
            InstrumentSpec::new(Decimal::new(1, u32::from(p)), Decimal::new(1, u32::from(q)))
                .map_err(|e| format!("{symbol}: {e}"))?;
        registry
            .add(venue, &symbol, spec)
            .map_err(|e| format!("{symbol}: {e}"))?;
    }
    if registry.is_empty() {
        return Err("no symbols in the corpus sources".into());
    }
    Ok(registry)
}

/// Builds a target from its sources.
///
/// # Errors
/// If the sources hold no symbol, or no scenario could be cut.
pub fn build_target(
    name: &str,
    rule: SyncRule,
    sources: &[Lines],
    options: CorpusOptions,
) -> Result<Target, String> {
    let registry = infer_registry(super::pipeline::venue_of(rule), sources)?;
    let mut scenarios = Vec::new();
    for lines in sources {
        cut_scenarios(&registry, rule, lines, options, &mut scenarios);
    }
    if scenarios.is_empty() {
        return Err(format!("{name}: no scenario could be cut from the sources"));
    }
    let mut dictionary = Dictionary::default();
    for line in scenarios.iter().flatten() {
        dictionary.learn(line, 4096);
    }
    Ok(Target {
        name: name.to_owned(),
        venue: super::pipeline::venue_of(rule),
        registry,
        scenarios,
        dictionary,
    })
}

fn cut_scenarios(
    registry: &Registry,
    rule: SyncRule,
    lines: &Lines,
    options: CorpusOptions,
    out: &mut Vec<Lines>,
) {
    let mut pipeline = BinancePipeline::new(registry, rule);
    let mut counts = Counts::default();
    let mut applied = vec![0u64; registry.len()];
    let mut last_snapshot = None;
    let mut lookahead = Decoder::new(super::pipeline::venue_of(rule));
    for (i, line) in lines.iter().enumerate() {
        let fed = pipeline.feed(registry, line, &mut counts);
        match fed {
            Ok(Fed::Snapshot(_)) if i < 400 => last_snapshot = Some(i),
            Ok(Fed::Depth(h, DepthOutcome::Applied)) => {
                let n = &mut applied[h.instrument.index()];
                *n += 1;
                if !(*n).is_multiple_of(options.stride.max(1)) {
                    continue;
                }
                let next = &lines[i + 1..(i + 1 + options.window).min(lines.len())];
                // Spot: the book is valid at `u`. Futures: the snapshot's id must lie inside
                // the next diff's [U, u]; its `U` will do, the book being the one before it.
                let id = match rule {
                    SyncRule::Spot => Some(h.last_id),
                    SyncRule::Futures => next.iter().find_map(|l| {
                        let (ts, frame) = parse_line(l).ok()?;
                        match lookahead.decode(frame, ts, registry) {
                            Ok(Decoded::Depth(d)) if d.instrument == h.instrument => {
                                Some(d.first_id)
                            }
                            _ => None,
                        }
                    }),
                };
                let Some(id) = id else { continue };
                let envelope = registry.len() > 1 || out.len().is_multiple_of(2);
                let snapshot = render_snapshot(
                    registry,
                    &pipeline,
                    h.instrument,
                    id,
                    line,
                    envelope,
                    options.levels,
                );
                let mut scenario = next.to_vec();
                scenario.insert(out.len() % 3 % (scenario.len() + 1), snapshot);
                out.push(scenario);
            }
            _ => {}
        }
    }
    if let Some(s) = last_snapshot {
        out.push(lines[..(s + 1 + options.window).min(lines.len())].to_vec());
    }
}

/// The book of `id` as a Binance REST depth body valid at `last_update_id`, as a capture line
/// with the receive time of `after`.
fn render_snapshot(
    registry: &Registry,
    pipeline: &BinancePipeline,
    id: ladder_sdk::InstrumentId,
    last_update_id: u64,
    after: &[u8],
    envelope: bool,
    levels: usize,
) -> Vec<u8> {
    let inst = registry.get(id);
    let book = pipeline.book(id);
    let side = |s: Side| {
        book.levels(s)
            .take(levels)
            .map(|l| {
                format!(
                    "[\"{}\",\"{}\"]",
                    inst.spec.format_price(l.price),
                    inst.spec.format_qty(l.qty)
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let body = format!(
        "{{\"lastUpdateId\":{last_update_id},\"bids\":[{}],\"asks\":[{}]}}",
        side(Side::Buy),
        side(Side::Sell)
    );
    let frame = if envelope {
        format!(
            "{{\"stream\":\"{}@depthSnapshot\",\"data\":{body}}}",
            inst.symbol.to_ascii_lowercase()
        )
    } else {
        body
    };
    let ts = parse_line(after).map_or(0, |(ts, _)| ts.as_nanos());
    format!("{ts} {frame}").into_bytes()
}

/// Which recordings a standard target is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recordings {
    /// The first 1000 lines of each capture (`shared/vectors/binance/`): quick to load.
    Vectors,
    /// The full captures (`shared/captures/`).
    Captures,
}

/// The standard targets, by name: `binance-spot` (BTCUSDT spot, spot rule), `binance-usdm`
/// (BTCUSDT USD-M, futures rule), `binance-spot-multi` (cryptofeed's four spot symbols),
/// `bybit-spot` (the spot `orderbook.200` and `orderbook.1` recordings), `bybit-linear` (the
/// linear `orderbook.1` recording and the XRPUSDT `orderbook.500` history).
pub const TARGETS: [&str; 5] = [
    "binance-spot",
    "binance-usdm",
    "binance-spot-multi",
    "bybit-spot",
    "bybit-linear",
];

/// Builds the standard target `name` from the shared data (`None` when it is missing outside
/// CI: see [`crate::shared`]).
///
/// # Errors
/// An unknown name, or a source that cannot be read.
pub fn standard_target(
    name: &str,
    recordings: Recordings,
    options: CorpusOptions,
) -> Result<Option<Target>, String> {
    let capture = |venue: &str| match recordings {
        Recordings::Vectors => {
            format!("vectors/binance/hftbacktest_{venue}_btcusdt_20240808_first1000.txt")
        }
        Recordings::Captures => format!("captures/binance-{venue}_btcusdt_20240808.gz"),
    };
    let (rule, sources) = match name {
        "binance-spot" | "binance-usdm" => {
            let venue = &name["binance-".len()..];
            let Some(path) = crate::shared(&capture(venue)) else {
                return Ok(None);
            };
            let rule = if venue == "spot" {
                SyncRule::Spot
            } else {
                SyncRule::Futures
            };
            (rule, vec![read_capture(&path)?])
        }
        "bybit-spot" | "bybit-linear" => return super::bybit::standard_target(name, options),
        "binance-spot-multi" => {
            let ws = crate::shared("vectors/binance/cryptofeed_BINANCE.ws.1.0");
            let http = crate::shared("vectors/binance/cryptofeed_BINANCE.http.0.0");
            let (Some(ws), Some(http)) = (ws, http) else {
                return Ok(None);
            };
            (SyncRule::Spot, vec![read_cryptofeed(&ws, &http)?])
        }
        other => {
            return Err(format!(
                "unknown fuzz target `{other}` (known: {})",
                TARGETS.join(", ")
            ));
        }
    };
    build_target(name, rule, &sources, options).map(Some)
}
