//! Tick and lot sizes for a capture's symbols: configured, or inferred from the capture.
//!
//! Inference takes, per symbol, the most decimal places any of its prices (and non-zero
//! quantities) uses: `61837.63000000` → tick `0.01`. Every value seen is then exactly on the
//! grid, so the book is exact; the real venue grid may be coarser (a tick of `0.05` is inferred
//! as `0.01`), which changes nothing but the size of a tick.

use crate::capture::{CaptureError, CaptureReader, Next};
use crate::feed::binance::Decoder;
use ladder_sdk::InstrumentSpec;
use rust_decimal::Decimal;
use std::path::Path;

/// Where a symbol's grid came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GridSource {
    /// Given on the command line or in a config.
    Configured,
    /// Inferred from the decimal places in the capture.
    Inferred,
}

impl GridSource {
    /// Lowercase name for reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Configured => "configured",
            Self::Inferred => "inferred",
        }
    }
}

/// One symbol of a capture and its grid.
#[derive(Debug, Clone)]
pub struct SymbolGrid {
    /// Uppercase symbol.
    pub symbol: String,
    /// Tick and lot sizes.
    pub spec: InstrumentSpec,
    /// Where they came from.
    pub source: GridSource,
}

/// The symbols of a capture, in order of first appearance.
#[derive(Debug, Clone, Default)]
pub struct CaptureGrids {
    /// One entry per symbol.
    pub symbols: Vec<SymbolGrid>,
}

struct Seen {
    symbol: String,
    price_scale: u8,
    qty_scale: u8,
}

/// Scans `path` for its symbols; gives each `configured` if set, else infers its grid.
pub fn infer_grids(
    path: &Path,
    configured: Option<InstrumentSpec>,
) -> Result<CaptureGrids, CaptureError> {
    let mut reader = CaptureReader::open(path)?;
    let mut decoder = Decoder::new();
    let mut seen: Vec<Seen> = Vec::new();
    let (mut orphan_price, mut orphan_qty) = (0u8, 0u8);
    while let Some(next) = reader.next_line()? {
        let Next::Line(line) = next else { continue };
        // Frames that do not decode are reported by the replay pass.
        let Ok(sample) = decoder.probe_grid(line.frame) else {
            continue;
        };
        let Some(symbol) = sample.symbol else {
            // A bare REST snapshot names no symbol.
            orphan_price = orphan_price.max(sample.price_scale);
            orphan_qty = orphan_qty.max(sample.qty_scale);
            continue;
        };
        let valid = symbol
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        if symbol.is_empty() || !valid {
            continue;
        }
        let entry = match seen
            .iter_mut()
            .position(|s| s.symbol.as_bytes().eq_ignore_ascii_case(symbol))
        {
            Some(i) => &mut seen[i],
            None => {
                seen.push(Seen {
                    symbol: String::from_utf8_lossy(symbol).to_ascii_uppercase(),
                    price_scale: 0,
                    qty_scale: 0,
                });
                let last = seen.len() - 1;
                &mut seen[last]
            }
        };
        entry.price_scale = entry.price_scale.max(sample.price_scale);
        entry.qty_scale = entry.qty_scale.max(sample.qty_scale);
    }
    // Snapshot precision can only make a grid finer, which keeps every value exact.
    let symbols = seen
        .into_iter()
        .filter_map(|s| match configured {
            Some(spec) => Some(SymbolGrid {
                symbol: s.symbol,
                spec,
                source: GridSource::Configured,
            }),
            None => {
                // Scales come from parsed decimals, which are at most 28 places.
                let tick = Decimal::new(1, u32::from(s.price_scale.max(orphan_price)));
                let lot = Decimal::new(1, u32::from(s.qty_scale.max(orphan_qty)));
                let spec = InstrumentSpec::new(tick, lot).ok()?;
                Some(SymbolGrid {
                    symbol: s.symbol,
                    spec,
                    source: GridSource::Inferred,
                })
            }
        })
        .collect();
    Ok(CaptureGrids { symbols })
}
