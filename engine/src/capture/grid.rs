//! Tick and lot sizes for a capture's symbols: configured, or inferred from the capture; and
//! the instrument registry built from them (the one place `inspect`, `replay`, `bench` and
//! `fit-microprice` get theirs).
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

use super::merge::CaptureInput;
use super::{CaptureError, CaptureReader, Next};
use crate::config::InstrumentConfig;
use crate::feed::{Venue, VenueProbe};
use crate::instrument::{Registry, RegistryError};
use ladder_sdk::{InstrumentSpec, RawDecimal};
use rust_decimal::Decimal;
use serde::Serialize;

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
    /// The venue of the capture it is in.
    pub venue: Venue,
    /// Uppercase symbol.
    pub symbol: String,
    /// Tick and lot sizes.
    pub spec: InstrumentSpec,
    /// Where they came from.
    pub source: GridSource,
    /// For an inferred grid, what it was inferred from.
    pub inference: Option<Inference>,
}

/// The symbols of the captures, in order of first appearance (captures in the order given).
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
    venue: Venue,
    symbol: String,
    prices: Scales,
    quantities: Scales,
}

/// Scans `inputs` for their symbols; gives each `configured` if set, else infers its grid.
///
/// A capture that cannot be read to its end gives the grids of the lines read before the
/// damage; the reading pass that follows reports where it stopped.
pub fn infer_grids(
    inputs: &[CaptureInput],
    configured: Option<InstrumentSpec>,
) -> Result<CaptureGrids, CaptureError> {
    let mut seen: Vec<Seen> = Vec::new();
    // Values of bare REST snapshots (they name no symbol), per venue.
    let mut orphans: Vec<(Venue, Scales, Scales)> = Vec::new();
    for input in inputs {
        scan(input, &mut seen, &mut orphans)?;
    }
    let orphan = |venue: Venue| {
        orphans
            .iter()
            .find(|o| o.0 == venue)
            .map_or((Scales::default(), Scales::default()), |o| (o.1, o.2))
    };
    let symbols = seen
        .into_iter()
        .filter_map(|s| match configured {
            Some(spec) => Some(SymbolGrid {
                venue: s.venue,
                symbol: s.symbol,
                spec,
                source: GridSource::Configured,
                inference: None,
            }),
            None => {
                let (orphan_prices, orphan_quantities) = orphan(s.venue);
                let (tick_scale, prices, finer_prices) = s.prices.merged(&orphan_prices).infer();
                let (lot_scale, quantities, finer_quantities) =
                    s.quantities.merged(&orphan_quantities).infer();
                let tick = Decimal::new(1, tick_scale);
                let lot = Decimal::new(1, lot_scale);
                let spec = InstrumentSpec::new(tick, lot).ok()?;
                Some(SymbolGrid {
                    venue: s.venue,
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

/// Adds the values of one capture to `seen` (per symbol) and `orphans` (per venue).
fn scan(
    input: &CaptureInput,
    seen: &mut Vec<Seen>,
    orphans: &mut Vec<(Venue, Scales, Scales)>,
) -> Result<(), CaptureError> {
    let venue = input.venue;
    let mut reader = CaptureReader::open(&input.path)?;
    let mut probe = VenueProbe::new(venue);
    // A read error ends the scan; the replay pass meets it again and reports it.
    while let Ok(Some(next)) = reader.next_line() {
        let Next::Line(line) = next else { continue };
        // Frames that do not decode are reported by the replay pass.
        let Some(symbol) = probe.read(line.frame) else {
            continue;
        };
        let (prices, quantities) = match symbol {
            // A bare REST snapshot names no symbol.
            None => {
                let k = match orphans.iter().position(|o| o.0 == venue) {
                    Some(k) => k,
                    None => {
                        orphans.push((venue, Scales::default(), Scales::default()));
                        orphans.len() - 1
                    }
                };
                let o = &mut orphans[k];
                (&mut o.1, &mut o.2)
            }
            Some(symbol) => {
                // The registry's rule: Kraken spells its pairs `BTC/USD`.
                let valid = symbol
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/'));
                if symbol.is_empty() || !valid {
                    continue;
                }
                let found = seen.iter().position(|s| {
                    s.venue == venue && s.symbol.as_bytes().eq_ignore_ascii_case(symbol)
                });
                let i = match found {
                    Some(i) => i,
                    None => {
                        seen.push(Seen {
                            venue,
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
        for &(p, q) in probe.values() {
            prices.add(p);
            // A zero quantity says nothing about the lot size.
            if q.mantissa != 0 {
                quantities.add(q);
            }
        }
    }
    Ok(())
}

/// Why a registry could not be built from captures and a config.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryBuildError {
    /// A capture could not be read.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// A configured instrument is invalid.
    #[error("instrument {symbol}: {message}")]
    Instrument {
        /// The configured name.
        symbol: String,
        /// Why.
        message: String,
    },
}

/// A registry for `inputs`: the `[[instrument]]`s of a config first (a `venue:SYMBOL` name on
/// that venue, a bare symbol on every venue of the inputs), then every other symbol of the
/// captures with its grid (`grid` for all if given, else inferred). Returns the grid entries of
/// the capture symbols, in registry order after the configured ones.
pub fn build_registry(
    inputs: &[CaptureInput],
    configured: &[InstrumentConfig],
    grid: Option<InstrumentSpec>,
) -> Result<(Registry, Vec<SymbolGrid>), RegistryBuildError> {
    let mut registry = Registry::new();
    let mut venues: Vec<Venue> = Vec::new();
    for i in inputs {
        if !venues.contains(&i.venue) {
            venues.push(i.venue);
        }
    }
    for i in configured {
        let err = |message: String| RegistryBuildError::Instrument {
            symbol: i.symbol.clone(),
            message,
        };
        let spec = InstrumentSpec::new(i.tick_size, i.lot_size).map_err(|e| err(e.to_string()))?;
        let (on, symbol): (Vec<Venue>, &str) = match i.symbol.split_once(':') {
            Some((v, s)) => (
                vec![
                    v.parse()
                        .map_err(|e: crate::feed::UnknownVenue| err(e.to_string()))?,
                ],
                s,
            ),
            None => (venues.clone(), &i.symbol),
        };
        for venue in on {
            registry
                .add(venue, symbol, spec)
                .map_err(|e| err(e.to_string()))?;
        }
    }
    let mut grids = Vec::new();
    for g in infer_grids(inputs, grid)?.symbols {
        if registry.lookup(g.venue, g.symbol.as_bytes()).is_none() {
            match registry.add(g.venue, &g.symbol, g.spec) {
                Ok(_) => grids.push(g),
                // Symbols come validated from the scan; a duplicate cannot occur.
                Err(RegistryError::Duplicate(_)) => {}
                Err(e) => {
                    return Err(RegistryBuildError::Instrument {
                        symbol: g.symbol.clone(),
                        message: e.to_string(),
                    });
                }
            }
        }
    }
    Ok((registry, grids))
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

    fn input(path: &std::path::Path) -> [CaptureInput; 1] {
        [CaptureInput {
            path: path.to_path_buf(),
            venue: Venue::BinanceSpot,
        }]
    }

    fn grid_of(lines: &[String]) -> SymbolGrid {
        let (_dir, path) = write(lines);
        let grids = infer_grids(&input(&path), None).unwrap();
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
        let grids = infer_grids(&input(&path), Some(spec)).unwrap();
        assert_eq!(grids.symbols[0].source, GridSource::Configured);
        assert_eq!(grids.symbols[0].inference, None);
        assert_eq!(grids.symbols[0].spec, spec);
    }
}
