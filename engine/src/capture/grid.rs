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
//!
//! The counting is [`GridScan`]: [`infer_grids`] runs it in a reading pass of its own; `replay`
//! feeds it from each capture's read-ahead thread while it replays ([`GridTap`]) and checks its
//! first guess against it. It reads each frame with [`VenueProbe::read_scales`], which counts
//! decimal places without building decimals where it can (Binance frames of the compact shape)
//! and asks the venue's full probe otherwise: the counts are the full parse's either way.

use super::merge::CaptureInput;
use super::{CaptureError, CaptureReader, Next};
use crate::config::InstrumentConfig;
use crate::feed::{PairScales, Venue, VenueProbe};
use crate::instrument::{Registry, RegistryError};
use ladder_sdk::InstrumentSpec;
use rust_decimal::Decimal;
use serde::Serialize;
use std::sync::{Arc, Mutex};

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
    fn add(&mut self, scale: u8) {
        self.0[usize::from(scale).min(SCALES - 1)] += 1;
    }

    fn merged(mut self, other: &Self) -> Self {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
        self
    }

    /// The inferred number of decimals, the values counted, and the values finer than it, with
    /// `allowed(total)` values allowed finer than the grid ([`tolerated`] for an inference).
    fn infer_tolerating(&self, allowed: fn(u64) -> u64) -> (u32, u64, u64) {
        let total: u64 = self.0.iter().sum();
        let allowed = allowed(total);
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

#[derive(Debug)]
struct Seen {
    venue: Venue,
    symbol: String,
    prices: Scales,
    quantities: Scales,
}

/// The values of one capture, counted per symbol (and, for bare REST snapshots, per venue), as
/// its frames go by: what [`infer_grids`] counts in its reading pass, and what `replay` counts
/// on the read-ahead thread while it replays ([`GridTap`]).
#[derive(Debug)]
pub struct GridScan {
    venue: Venue,
    probe: VenueProbe,
    /// The decimal places of the pairs of the frame being counted.
    pairs: Vec<PairScales>,
    seen: Vec<Seen>,
    /// Values of bare REST snapshots (they name no symbol).
    orphans: Option<(Scales, Scales)>,
}

/// A [`GridScan`] shared with a capture's read-ahead thread, which adds every well-formed
/// frame to it before handing its batch over (locked once per batch, never per frame).
pub type GridTap = Arc<Mutex<GridScan>>;

impl GridScan {
    /// An empty count for a capture of `venue`.
    pub fn new(venue: Venue) -> Self {
        Self {
            venue,
            probe: VenueProbe::new(venue),
            pairs: Vec::new(),
            seen: Vec::new(),
            orphans: None,
        }
    }

    /// The venue of the capture scanned.
    pub fn venue(&self) -> Venue {
        self.venue
    }

    /// A scan shared with a read-ahead thread.
    pub fn tap(venue: Venue) -> GridTap {
        Arc::new(Mutex::new(Self::new(venue)))
    }

    /// Counts the values of one frame. Frames that do not decode, streams ladder does not
    /// use, and frames with a value the decoder or a book rejects count nothing.
    pub fn add(&mut self, frame: &[u8]) {
        let venue = self.venue;
        let Some(symbol) = self.probe.read_scales(frame, &mut self.pairs) else {
            return;
        };
        let (prices, quantities) = match symbol {
            // A bare REST snapshot names no symbol.
            None => {
                let o = self.orphans.get_or_insert_default();
                (&mut o.0, &mut o.1)
            }
            Some(symbol) => {
                // The registry's rule: Kraken spells its pairs `BTC/USD`.
                let valid = symbol
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/'));
                if symbol.is_empty() || !valid {
                    return;
                }
                let found = self
                    .seen
                    .iter()
                    .position(|s| s.symbol.as_bytes().eq_ignore_ascii_case(symbol));
                let i = match found {
                    Some(i) => i,
                    None => {
                        self.seen.push(Seen {
                            venue,
                            symbol: String::from_utf8_lossy(symbol).to_ascii_uppercase(),
                            prices: Scales::default(),
                            quantities: Scales::default(),
                        });
                        self.seen.len() - 1
                    }
                };
                let s = &mut self.seen[i];
                (&mut s.prices, &mut s.quantities)
            }
        };
        for &(p, q) in &self.pairs {
            prices.add(p);
            // A zero quantity (`None`) says nothing about the lot size.
            if let Some(q) = q {
                quantities.add(q);
            }
        }
    }

    /// Reads `input` (its first `max_lines` lines if given) into a scan; a read error ends it
    /// (the reading pass that follows meets it again and reports it).
    pub fn read(input: &CaptureInput, max_lines: Option<u64>) -> Result<Self, CaptureError> {
        let mut scan = Self::new(input.venue);
        let mut reader = CaptureReader::open(&input.path)?;
        while let Ok(Some(next)) = reader.next_line() {
            if let Next::Line(line) = next {
                scan.add(line.frame);
            }
            if max_lines.is_some_and(|m| reader.line_number() >= m) {
                break;
            }
        }
        Ok(scan)
    }
}

/// Scans `inputs` for their symbols; gives each `configured` if set, else infers its grid.
///
/// A capture that cannot be read to its end gives the grids of the lines read before the
/// damage; the reading pass that follows reports where it stopped.
pub fn infer_grids(
    inputs: &[CaptureInput],
    configured: Option<InstrumentSpec>,
) -> Result<CaptureGrids, CaptureError> {
    let scans = inputs
        .iter()
        .map(|i| GridScan::read(i, None))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(grids_of(&scans, configured))
}

/// The grids of scanned captures (in the order of `scans`, which is the order of the inputs):
/// each symbol `configured` if set, else inferred from its values over all of them.
pub fn grids_of(scans: &[GridScan], configured: Option<InstrumentSpec>) -> CaptureGrids {
    grids_tolerating(scans, configured, tolerated)
}

/// A guess of the grids of whole captures from scans of their first lines: the finest scale
/// of any value seen (no value is an outlier yet). A finer value in the first lines is taken as
/// the grid rather than as noise: on the shared spot capture one of its three 6-decimal
/// quantities is in the first lines, and the whole capture's lot is 6 decimals.
pub fn guess_grids_of(scans: &[GridScan]) -> CaptureGrids {
    grids_tolerating(scans, None, |_| 0)
}

fn grids_tolerating(
    scans: &[GridScan],
    configured: Option<InstrumentSpec>,
    allowed: fn(u64) -> u64,
) -> CaptureGrids {
    let mut seen: Vec<Seen> = Vec::new();
    // Values of bare REST snapshots, per venue.
    let mut orphans: Vec<(Venue, Scales, Scales)> = Vec::new();
    for scan in scans {
        for s in &scan.seen {
            match seen
                .iter_mut()
                .find(|t| t.venue == s.venue && t.symbol == s.symbol)
            {
                Some(t) => {
                    t.prices = t.prices.merged(&s.prices);
                    t.quantities = t.quantities.merged(&s.quantities);
                }
                None => seen.push(Seen {
                    venue: s.venue,
                    symbol: s.symbol.clone(),
                    prices: s.prices,
                    quantities: s.quantities,
                }),
            }
        }
        if let Some((p, q)) = &scan.orphans {
            match orphans.iter_mut().find(|o| o.0 == scan.venue) {
                Some(o) => {
                    o.1 = o.1.merged(p);
                    o.2 = o.2.merged(q);
                }
                None => orphans.push((scan.venue, *p, *q)),
            }
        }
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
                let (tick_scale, prices, finer_prices) =
                    s.prices.merged(&orphan_prices).infer_tolerating(allowed);
                let (lot_scale, quantities, finer_quantities) = s
                    .quantities
                    .merged(&orphan_quantities)
                    .infer_tolerating(allowed);
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
    CaptureGrids { symbols }
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
    registry_of(inputs, configured, infer_grids(inputs, grid)?)
}

/// [`build_registry`] with the capture symbols' grids already known (`grids`, from
/// [`infer_grids`] or [`grids_of`]).
pub fn registry_of(
    inputs: &[CaptureInput],
    configured: &[InstrumentConfig],
    found: CaptureGrids,
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
    for g in found.symbols {
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
        assert_eq!(scales(counts).infer_tolerating(tolerated), want);
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
    fn grid_tap_fed_by_the_read_ahead_thread_counts_like_the_reading_pass() {
        // Several batches, a late finer price and a bare snapshot among them.
        let mut lines: Vec<String> = (0..20_000)
            .map(|i| trade(&format!("100.{:02}", i % 100), &format!("1.{}", i % 10)))
            .collect();
        lines[15_000] = trade("100.125", "1.5");
        lines[17_000] = trade("100.375", "1.25");
        lines.push(
            r#"{"lastUpdateId":10,"bids":[["100.25","0.001"]],"asks":[["100.75","0"]]}"#.to_owned(),
        );
        let (_dir, path) = write(&lines);
        let tap = GridScan::tap(Venue::BinanceSpot);
        let mut reader = CaptureReader::open(&path).unwrap().with_tap(tap.clone());
        while reader.next_line().unwrap().is_some() {}
        drop(reader);
        let scan = std::mem::replace(&mut *tap.lock().unwrap(), GridScan::new(Venue::BinanceSpot));
        let tapped = grids_of(&[scan], None).symbols;
        let read = infer_grids(&input(&path), None).unwrap().symbols;
        assert_eq!(tapped.len(), 1);
        let (t, r) = (&tapped[0], &read[0]);
        assert_eq!(
            (&t.symbol, t.spec, t.inference),
            (&r.symbol, r.spec, r.inference)
        );
        assert_eq!(t.spec.tick_size(), Decimal::new(1, 3));
        assert_eq!(t.inference.unwrap().prices, 20_002);
    }

    #[test]
    fn grids_of_two_captures_merge_symbols_in_order_of_first_appearance() {
        let (_a, first) = write(&[trade("100.5", "1")]);
        let (_b, second) = write(&[
            trade("100.25", "1")
                .replace("BTCUSDT", "ETHUSDT")
                .replace("btcusdt", "ethusdt"),
            trade("100.125", "1"),
        ]);
        let inputs: Vec<CaptureInput> = [first, second]
            .iter()
            .map(|p| input(p)[0].clone())
            .collect();
        let scans: Vec<GridScan> = inputs
            .iter()
            .map(|i| GridScan::read(i, None).unwrap())
            .collect();
        let g = grids_of(&scans, None).symbols;
        let names: Vec<&str> = g.iter().map(|s| s.symbol.as_str()).collect();
        assert_eq!(names, ["BTCUSDT", "ETHUSDT"]);
        // Few values: every one counts, so BTCUSDT's second-capture price sets the tick.
        assert_eq!(g[0].spec.tick_size(), Decimal::new(1, 3));
        assert_eq!(g[0].inference.unwrap().prices, 2);
    }

    #[test]
    fn guess_grids_of_takes_the_finest_value_seen_where_inference_calls_it_an_outlier() {
        let mut lines: Vec<String> = (0..30)
            .map(|i| trade(&format!("100.{i:02}"), "1.5"))
            .collect();
        lines.push(trade("100.125", "1.5"));
        let (_dir, path) = write(&lines);
        let scans = [GridScan::read(&input(&path)[0], None).unwrap()];
        assert_eq!(
            grids_of(&scans, None).symbols[0].spec.tick_size(),
            Decimal::new(1, 2)
        );
        assert_eq!(
            guess_grids_of(&scans).symbols[0].spec.tick_size(),
            Decimal::new(1, 3)
        );
    }

    #[test]
    fn grid_scan_read_stops_after_max_lines() {
        let (_dir, path) = write(&[trade("100.5", "1"), trade("100.125", "1")]);
        let g = grids_of(&[GridScan::read(&input(&path)[0], Some(1)).unwrap()], None).symbols;
        assert_eq!(g[0].spec.tick_size(), Decimal::new(1, 1));
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
