//! Tick and lot sizes for a capture's symbols: configured, or inferred from the capture.
//!
//! Inference counts, per symbol, how many of its prices (and non-zero quantities) use each
//! number of decimal places (`61837.63000000` has 2), and takes the scale that covers all of
//! them but a tiny fraction ([`tolerated`]): with at least [`MIN_VALUES`] values, one value (or
//! one in [`OUTLIER_RATIO`], whichever is more) may be finer than the rest without making the
//! grid finer. So a single value with 28 decimals cannot set a tick of 1e-28 and turn every
//! other line into an error: that one value is off the grid instead, and its line is a parse
//! error, counted and reported (the report says from how many values each grid was inferred
//! and how many were finer). The real venue grid may be coarser (a tick of `0.05` is inferred as
//! `0.01`), which changes nothing but the size of a tick.
//!
//! A frame holding a value the decoder rejects (not a decimal, a negative quantity) or a book
//! cannot hold (a zero or negative price) contributes nothing: it is an error of its own line.
//! Streams ladder does not use contribute nothing either. A bare REST snapshot names no symbol:
//! its values count for every symbol of the capture.

use crate::capture::{CaptureError, CaptureReader, Next};
use crate::feed::binance::wire::{self, Fields, Kind, RawLevel};
use ladder_sdk::{InstrumentSpec, RawDecimal};
use rust_decimal::Decimal;
use serde::Serialize;
use std::path::Path;

/// Fewer values than this are too few to call any of them an outlier: every value counts.
pub const MIN_VALUES: u64 = 20;

/// In a large capture, up to one value in this many may be finer than the inferred grid.
pub const OUTLIER_RATIO: u64 = 100_000;

/// Decimal places a parsed decimal can have (`RawDecimal` holds at most 28).
const SCALES: usize = 29;

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

/// What an inferred grid was inferred from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Inference {
    /// Prices counted.
    pub prices: u64,
    /// Of those, prices with more decimals than the tick (each an error on its line).
    pub finer_prices: u64,
    /// Non-zero quantities counted.
    pub quantities: u64,
    /// Of those, quantities with more decimals than the lot.
    pub finer_quantities: u64,
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
    /// For an inferred grid, what it was inferred from.
    pub inference: Option<Inference>,
}

/// The symbols of a capture, in order of first appearance.
#[derive(Debug, Clone, Default)]
pub struct CaptureGrids {
    /// One entry per symbol.
    pub symbols: Vec<SymbolGrid>,
}

/// How many values use each number of decimal places.
#[derive(Debug, Clone, Copy)]
struct Scales([u64; SCALES]);

impl Default for Scales {
    fn default() -> Self {
        Self([0; SCALES])
    }
}

impl Scales {
    fn add(&mut self, d: RawDecimal) {
        self.0[usize::from(d.scale).min(SCALES - 1)] += 1;
    }

    fn merged(mut self, other: &Self) -> Self {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
        self
    }

    /// The inferred number of decimals, the values counted, and the values finer than it.
    fn infer(&self) -> (u32, u64, u64) {
        let total: u64 = self.0.iter().sum();
        let allowed = tolerated(total);
        let mut finer = 0u64;
        for scale in (0..SCALES).rev() {
            if finer + self.0[scale] > allowed || scale == 0 {
                return (scale as u32, total, finer);
            }
            finer += self.0[scale];
        }
        (0, total, finer)
    }
}

/// How many of `total` values may be finer than the inferred grid: none below [`MIN_VALUES`],
/// else one, or one in [`OUTLIER_RATIO`] if that is more.
pub const fn tolerated(total: u64) -> u64 {
    if total < MIN_VALUES {
        0
    } else if total / OUTLIER_RATIO > 1 {
        total / OUTLIER_RATIO
    } else {
        1
    }
}

struct Seen {
    symbol: String,
    prices: Scales,
    quantities: Scales,
}

/// Reusable buffers for reading the values of one frame.
#[derive(Default)]
struct Probe {
    bids: Vec<RawLevel>,
    asks: Vec<RawLevel>,
    values: Vec<RawLevel>,
}

impl Probe {
    /// The symbol (if the frame names one) of a frame the decoder uses, with its
    /// `(price, quantity)` pairs left in `values`; `None` for a frame that does not decode or
    /// is not used. A frame holding a value the decoder or the book rejects still names its
    /// symbol (the replay pass reports the value on its line) but leaves no values.
    fn read<'a>(&mut self, frame: &'a [u8]) -> Option<Option<&'a [u8]>> {
        let mut f = Fields::default();
        wire::parse(frame, &mut f, &mut self.bids, &mut self.asks).ok()?;
        let kind = wire::classify(&f).ok()?;
        self.values.clear();
        let mut pair = |p: Option<&[u8]>, q: Option<&[u8]>| -> Option<()> {
            let p = RawDecimal::parse(p?).ok()?;
            let q = RawDecimal::parse(q?).ok()?;
            self.values.push((p, q));
            Some(())
        };
        match kind {
            Kind::Trade | Kind::AggTrade => pair(f.price, f.qty)?,
            Kind::BookTicker => {
                pair(f.bid_price, f.bid_qty)?;
                pair(f.ask_price, f.ask_qty)?;
            }
            Kind::Depth | Kind::Snapshot => {
                self.values.extend_from_slice(&self.bids);
                self.values.extend_from_slice(&self.asks);
            }
            Kind::Control | Kind::ServerShutdown | Kind::Ignored => return None,
        }
        let valid = |(p, q): &RawLevel| !p.negative && p.mantissa != 0 && !q.negative;
        if !self.values.iter().all(valid) {
            self.values.clear();
        }
        Some(f.symbol.or_else(|| f.stream.and_then(wire::stream_symbol)))
    }
}

/// Scans `path` for its symbols; gives each `configured` if set, else infers its grid.
///
/// A capture that cannot be read to its end gives the grids of the lines read before the
/// damage; the reading pass that follows reports where it stopped.
pub fn infer_grids(
    path: &Path,
    configured: Option<InstrumentSpec>,
) -> Result<CaptureGrids, CaptureError> {
    let mut reader = CaptureReader::open(path)?;
    let mut probe = Probe::default();
    let mut seen: Vec<Seen> = Vec::new();
    let (mut orphan_prices, mut orphan_quantities) = (Scales::default(), Scales::default());
    // A read error ends the scan; the replay pass meets it again and reports it.
    while let Ok(Some(next)) = reader.next_line() {
        let Next::Line(line) = next else { continue };
        // Frames that do not decode are reported by the replay pass.
        let Some(symbol) = probe.read(line.frame) else {
            continue;
        };
        let (prices, quantities) = match symbol {
            // A bare REST snapshot names no symbol.
            None => (&mut orphan_prices, &mut orphan_quantities),
            Some(symbol) => {
                let valid = symbol
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
                if symbol.is_empty() || !valid {
                    continue;
                }
                let i = match seen
                    .iter()
                    .position(|s| s.symbol.as_bytes().eq_ignore_ascii_case(symbol))
                {
                    Some(i) => i,
                    None => {
                        seen.push(Seen {
                            symbol: String::from_utf8_lossy(symbol).to_ascii_uppercase(),
                            prices: Scales::default(),
                            quantities: Scales::default(),
                        });
                        seen.len() - 1
                    }
                };
                let s = &mut seen[i];
                (&mut s.prices, &mut s.quantities)
            }
        };
        for &(p, q) in &probe.values {
            prices.add(p);
            // A zero quantity says nothing about the lot size.
            if q.mantissa != 0 {
                quantities.add(q);
            }
        }
    }
    let symbols = seen
        .into_iter()
        .filter_map(|s| match configured {
            Some(spec) => Some(SymbolGrid {
                symbol: s.symbol,
                spec,
                source: GridSource::Configured,
                inference: None,
            }),
            None => {
                let (tick_scale, prices, finer_prices) = s.prices.merged(&orphan_prices).infer();
                let (lot_scale, quantities, finer_quantities) =
                    s.quantities.merged(&orphan_quantities).infer();
                let tick = Decimal::new(1, tick_scale);
                let lot = Decimal::new(1, lot_scale);
                let spec = InstrumentSpec::new(tick, lot).ok()?;
                Some(SymbolGrid {
                    symbol: s.symbol,
                    spec,
                    source: GridSource::Inferred,
                    inference: Some(Inference {
                        prices,
                        finer_prices,
                        quantities,
                        finer_quantities,
                    }),
                })
            }
        })
        .collect();
    Ok(CaptureGrids { symbols })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn scales(counts: &[(usize, u64)]) -> Scales {
        let mut s = Scales::default();
        for &(scale, n) in counts {
            s.0[scale] = n;
        }
        s
    }

    #[rstest]
    #[case::empty(&[], (0, 0, 0))]
    #[case::few_values_all_count(&[(2, 5), (8, 1)], (8, 6, 0))]
    #[case::one_outlier_of_many_is_outvoted(&[(2, 500), (28, 1)], (2, 501, 1))]
    #[case::two_values_set_a_finer_grid(&[(2, 500), (3, 2)], (3, 502, 0))]
    // The shared spot capture: three real 6-decimal quantities among 132,740.
    #[case::spot_capture_quantities(
        &[(0, 7), (1, 356), (2, 2794), (3, 1948), (4, 15586), (5, 112046), (6, 3)],
        (6, 132_740, 0)
    )]
    #[case::large_capture_tolerates_one_in_100k(&[(1, 999_990), (9, 10)], (1, 1_000_000, 10))]
    fn infer_takes_the_scale_covering_all_but_a_tiny_fraction(
        #[case] counts: &[(usize, u64)],
        #[case] want: (u32, u64, u64),
    ) {
        assert_eq!(scales(counts).infer(), want);
    }

    fn write(lines: &[String]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cap.txt");
        let text: String = lines
            .iter()
            .enumerate()
            .map(|(i, l)| format!("{} {l}\n", 1_000 + i))
            .collect();
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    fn trade(price: &str, qty: &str) -> String {
        format!(
            r#"{{"stream":"btcusdt@trade","data":{{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"{price}","q":"{qty}","T":1,"m":true}}}}"#
        )
    }

    fn grid_of(lines: &[String]) -> SymbolGrid {
        let (_dir, path) = write(lines);
        let grids = infer_grids(&path, None).unwrap();
        assert_eq!(grids.symbols.len(), 1);
        grids.symbols[0].clone()
    }

    #[test]
    fn infer_grids_one_28_decimal_price_does_not_set_the_tick() {
        let mut lines: Vec<String> = (0..30)
            .map(|i| trade(&format!("100.{i:02}"), "1.5"))
            .collect();
        lines.push(trade("0.0000000000000000000000000001", "1.5"));
        let g = grid_of(&lines);
        assert_eq!(g.spec.tick_size(), Decimal::new(1, 2));
        assert_eq!(g.spec.lot_size(), Decimal::new(1, 1));
        let inf = g.inference.unwrap();
        assert_eq!((inf.prices, inf.finer_prices), (31, 1));
        assert_eq!((inf.quantities, inf.finer_quantities), (31, 0));
    }

    #[rstest]
    #[case::negative_qty("100.5", "-1.505")]
    #[case::zero_price("0.00000", "1.001")]
    #[case::negative_price("-100.5000001", "1")]
    #[case::not_a_number("abc", "1.00001")]
    fn infer_grids_rejected_value_never_contributes(#[case] price: &str, #[case] qty: &str) {
        let lines = vec![
            trade("100.25", "1.5"),
            trade(price, qty),
            trade("100.5", "2"),
        ];
        let g = grid_of(&lines);
        assert_eq!(g.spec.tick_size(), Decimal::new(1, 2), "{price} {qty}");
        assert_eq!(g.spec.lot_size(), Decimal::new(1, 1), "{price} {qty}");
        assert_eq!(g.inference.unwrap().prices, 2);
    }

    #[test]
    fn infer_grids_bare_snapshot_values_count_for_the_symbol() {
        let lines = vec![
            trade("100.5", "1"),
            r#"{"lastUpdateId":10,"bids":[["100.25","0.001"]],"asks":[["100.75","0"]]}"#.to_owned(),
        ];
        let g = grid_of(&lines);
        assert_eq!(g.spec.tick_size(), Decimal::new(1, 2));
        assert_eq!(g.spec.lot_size(), Decimal::new(1, 3));
        let inf = g.inference.unwrap();
        assert_eq!((inf.prices, inf.quantities), (3, 2));
    }

    #[test]
    fn infer_grids_configured_spec_has_no_inference() {
        let (_dir, path) = write(&[trade("100.5", "1")]);
        let spec = InstrumentSpec::new(Decimal::new(5, 1), Decimal::ONE).unwrap();
        let grids = infer_grids(&path, Some(spec)).unwrap();
        assert_eq!(grids.symbols[0].source, GridSource::Configured);
        assert_eq!(grids.symbols[0].inference, None);
        assert_eq!(grids.symbols[0].spec, spec);
    }
}
