//! Top-of-book quotes for the estimator: the author's headerless CSV layout
//! `date,time,bid,bid_size,ask,ask_size`, or a capture's best bid/offer messages (Binance's
//! `bookTicker`) sampled once per second. A capture is read through the one capture pipeline
//! ([`crate::capture::pipeline`]), so it works for every venue ladder decodes.

use super::FitError;
use crate::capture::grid::build_registry;
use crate::capture::merge::{CaptureInput, SNIFF_LINES, detect_venue};
use crate::capture::pipeline::{Pipeline, Step};
use crate::capture::{CaptureReader, Next};
use crate::feed::Venue;
use crate::feed::books::EventOut;
use ladder_sdk::{Bbo, InstrumentId, InstrumentSpec, MarketEvent, UnixNanos};
use rust_decimal::Decimal;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::str::FromStr;

/// One top-of-book observation. Prices stay exact decimals; sizes only enter `I`, so they are
/// `f64` like in the reference estimator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quote {
    /// Best bid price.
    pub bid: Decimal,
    /// Size at the best bid.
    pub bid_size: f64,
    /// Best ask price.
    pub ask: Decimal,
    /// Size at the best ask.
    pub ask_size: f64,
}

fn open(path: &Path) -> Result<Box<dyn BufRead>, FitError> {
    let io = |source| FitError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    let mut magic = [0_u8; 2];
    let n = file.read(&mut magic).map_err(io)?;
    let file = File::open(path).map_err(io)?;
    if n == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(
            BufReader::new(file),
        ))))
    } else {
        Ok(Box::new(BufReader::new(file)))
    }
}

fn lines(path: &Path) -> Result<impl Iterator<Item = Result<(usize, String), FitError>>, FitError> {
    let reader = open(path)?;
    let path = path.to_path_buf();
    Ok(reader.lines().enumerate().map(move |(i, r)| {
        r.map(|l| (i + 1, l)).map_err(|source| FitError::Io {
            path: path.clone(),
            source,
        })
    }))
}

/// Reads the author's CSV layout: no header, `date,time,bid,bid_size,ask,ask_size` (spaces after
/// commas allowed; date and time are not used). Blank lines are skipped.
///
/// # Errors
/// [`FitError::Csv`] naming the file and line of the first bad row; [`FitError::Io`].
pub fn read_csv(path: &Path) -> Result<Vec<Quote>, FitError> {
    let mut out = Vec::new();
    for item in lines(path)? {
        let (line, text) = item?;
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let err = |reason: String| FitError::Csv {
            path: path.to_path_buf(),
            line,
            reason,
        };
        let fields: Vec<&str> = text.split(',').map(str::trim).collect();
        if fields.len() != 6 {
            let hint = if looks_like_capture(text) {
                " (this looks like a capture: pass --venue)"
            } else {
                ""
            };
            return Err(err(format!(
                "expected 6 fields date,time,bid,bid_size,ask,ask_size, got {}{hint}",
                fields.len()
            )));
        }
        let price = |i: usize, name: &str| {
            Decimal::from_str(fields[i])
                .map_err(|_| err(format!("{name} {:?} is not a decimal number", fields[i])))
        };
        let size = |i: usize, name: &str| match f64::from_str(fields[i]) {
            Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
            _ => Err(err(format!(
                "{name} {:?} is not a non-negative number",
                fields[i]
            ))),
        };
        out.push(Quote {
            bid: price(2, "bid")?,
            bid_size: size(3, "bid_size")?,
            ask: price(4, "ask")?,
            ask_size: size(5, "ask_size")?,
        });
    }
    Ok(out)
}

fn looks_like_capture(text: &str) -> bool {
    text.split_once(' ').is_some_and(|(ts, rest)| {
        !ts.is_empty()
            && ts.bytes().all(|b| b.is_ascii_digit())
            && rest.trim_start().starts_with('{')
    })
}

/// True if the first non-empty line of `path` is a capture line (`<ts_ns> {...}`), not CSV.
///
/// # Errors
/// [`FitError::Io`] if the file cannot be read.
pub fn is_capture(path: &Path) -> Result<bool, FitError> {
    for item in lines(path)? {
        let (_, text) = item?;
        let text = text.trim();
        if !text.is_empty() {
            return Ok(looks_like_capture(text));
        }
    }
    Ok(false)
}

/// The quotes of a capture, and the frames that could not be used.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureQuotes {
    /// The last quote of each second of receive time that had one, in order.
    pub quotes: Vec<Quote>,
    /// The instrument quoted (`venue:SYMBOL`).
    pub instrument: String,
    /// Frames the venue's decoder could not use (skipped, like `ladder inspect` counts them).
    pub rejected: u64,
    /// The first of those: its line and why.
    pub first_rejected: Option<(u64, String)>,
}

/// Reads a capture (`<ts_recv_ns> <frame>` lines, plain or gzip) through the capture pipeline
/// and samples its best bid/offer messages (`MarketEvent::Bbo`: Binance's `bookTicker`) once
/// per second: the last quote received in each second of receive time (seconds without a quote
/// give no row). Prices and sizes are the decoder's ticks and lots turned back into decimals
/// with the instrument's grid, inferred from the capture.
///
/// The venue is `venue` if given (a capture whose first frame that names its venue names
/// another is refused), else recognized from the content. The instrument is `symbol`
/// (`venue:SYMBOL` or a symbol) if given, else the one instrument the capture quotes. Frames
/// the decoder cannot use are skipped and counted ([`CaptureQuotes::rejected`]).
///
/// # Errors
/// [`FitError::Capture`] naming the file and line of a malformed line, of a frame of another
/// venue than `venue`, or where a capture cut short stops; [`FitError::Venue`] if the venue
/// cannot be recognized; [`FitError::Symbol`] for a `symbol` the capture does not hold;
/// [`FitError::SeveralInstruments`] if several are quoted and no `symbol` is given;
/// [`FitError::NoQuotes`] if none is found; [`FitError::Read`] if the file cannot be read.
pub fn read_capture(
    path: &Path,
    venue: Option<Venue>,
    symbol: Option<&str>,
) -> Result<CaptureQuotes, FitError> {
    let venue = match venue {
        Some(v) => {
            check_venue(path, v)?;
            v
        }
        None => detect_venue(path)?,
    };
    let inputs = [CaptureInput {
        path: path.to_path_buf(),
        venue,
    }];
    let (registry, _) = build_registry(&inputs, &[], None)?;
    let chosen = match symbol {
        Some(name) => Some(
            registry
                .find(name)
                .map_err(|source| FitError::Symbol {
                    path: path.to_path_buf(),
                    source,
                })?
                .id,
        ),
        None => None,
    };
    let capture_err = |line: u64, reason: String| FitError::Capture {
        path: path.to_path_buf(),
        line: line as usize,
        reason,
    };
    let mut pipeline = Pipeline::open(&inputs, &registry)?;
    let mut samplers: Vec<(InstrumentId, Sampler)> = Vec::new();
    let (mut rejected, mut first_rejected) = (0, None);
    let mut bbos = Bbos::default();
    while let Some(step) = pipeline.step(&registry, &mut bbos) {
        match step {
            Step::Malformed { line, error } => return Err(capture_err(line, error.to_string())),
            Step::Rejected { line, error } => {
                rejected += 1;
                first_rejected.get_or_insert((line, error.to_string()));
            }
            Step::Frame { line, .. } => {
                for b in bbos.0.drain(..) {
                    if chosen.is_some_and(|c| c != b.instrument) {
                        continue;
                    }
                    let spec = &registry.get(b.instrument).spec;
                    let quote = to_quote(spec, &b).map_err(|e| capture_err(line, e))?;
                    let k = match samplers.iter().position(|s| s.0 == b.instrument) {
                        Some(k) => k,
                        None => {
                            samplers.push((b.instrument, Sampler::default()));
                            samplers.len() - 1
                        }
                    };
                    samplers[k].1.add(b.ts_recv, quote);
                }
            }
        }
        bbos.0.clear();
    }
    if let Some(t) = pipeline.truncation() {
        let reason = format!("the capture cannot be read from here: {}", t.error);
        return Err(capture_err(t.after_line + 1, reason));
    }
    let names = |s: &[(InstrumentId, Sampler)]| {
        s.iter()
            .map(|(id, _)| registry.get(*id).name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if samplers.len() > 1 {
        return Err(FitError::SeveralInstruments {
            path: path.to_path_buf(),
            names: names(&samplers),
        });
    }
    let Some((id, sampler)) = samplers.pop() else {
        return Err(FitError::NoQuotes {
            path: path.to_path_buf(),
            what: match chosen {
                Some(id) => registry.get(id).name.clone(),
                None => venue.name().to_owned(),
            },
        });
    };
    Ok(CaptureQuotes {
        quotes: sampler.finish(),
        instrument: registry.get(id).name.clone(),
        rejected,
        first_rejected,
    })
}

/// Refuses a capture whose first frame that names its venue (within [`SNIFF_LINES`] lines)
/// names another than `venue`.
fn check_venue(path: &Path, venue: Venue) -> Result<(), FitError> {
    let mut reader = CaptureReader::open(path)?;
    for _ in 0..SNIFF_LINES {
        let Ok(Some(next)) = reader.next_line() else {
            break;
        };
        let Next::Line(line) = next else { continue };
        match Venue::sniff(line.frame) {
            Some(v) if v != venue => {
                return Err(FitError::Capture {
                    path: path.to_path_buf(),
                    line: line.line as usize,
                    reason: format!("a {v} message, but --venue is {venue}"),
                });
            }
            Some(_) => break,
            None => {}
        }
    }
    Ok(())
}

/// The best bid/offer events of one frame.
#[derive(Debug, Default)]
struct Bbos(Vec<Bbo>);

impl EventOut for Bbos {
    fn event(&mut self, event: MarketEvent) {
        if let MarketEvent::Bbo(b) = event {
            self.0.push(b);
        }
    }
}

/// A best bid/offer in decimals. Sizes go through `Decimal` to `f64` as the CSV's do.
fn to_quote(spec: &InstrumentSpec, b: &Bbo) -> Result<Quote, String> {
    let size = |q| {
        let d = spec.qty_to_decimal(q);
        f64::try_from(d).map_err(|e| format!("size {d}: {e}"))
    };
    Ok(Quote {
        bid: spec.price_to_decimal(b.bid_price),
        bid_size: size(b.bid_qty)?,
        ask: spec.price_to_decimal(b.ask_price),
        ask_size: size(b.ask_qty)?,
    })
}

/// The last quote of each second of receive time.
#[derive(Debug, Default)]
struct Sampler {
    out: Vec<Quote>,
    current: Option<(u64, Quote)>,
}

impl Sampler {
    fn add(&mut self, ts_recv: UnixNanos, quote: Quote) {
        let second = ts_recv.as_nanos() / 1_000_000_000;
        if let Some((s, q)) = self.current
            && s != second
        {
            self.out.push(q);
        }
        self.current = Some((second, quote));
    }

    fn finish(mut self) -> Vec<Quote> {
        self.out.extend(self.current.map(|(_, q)| q));
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(text.as_bytes()).expect("write");
        f
    }

    #[test]
    fn csv_with_spaces_parses() {
        let f = file("40603, 34221, 14.33, 8, 14.34, 468\n\n40603,34222,14.33,9,14.34,400\n");
        let q = read_csv(f.path()).expect("valid");
        assert_eq!(q.len(), 2);
        assert_eq!(q[0].bid, Decimal::from_str("14.33").expect("dec"));
        assert_eq!((q[0].bid_size, q[0].ask_size), (8.0, 468.0));
    }

    #[test]
    fn csv_bad_line_names_file_and_line() {
        let f = file("40603,34221,14.33,8,14.34,468\n40603,34222,abc,9,14.34,400\n");
        let e = read_csv(f.path()).expect_err("bad bid").to_string();
        assert!(e.contains(&format!("{}:2:", f.path().display())), "{e}");
        assert!(e.contains("bid \"abc\""), "{e}");
    }

    #[test]
    fn csv_capture_line_gets_a_hint() {
        let f = file("1723161254087891268 {\"stream\":\"x\"}\n");
        let e = read_csv(f.path()).expect_err("capture").to_string();
        assert!(e.contains("--venue"), "{e}");
    }

    #[test]
    fn csv_negative_size_is_an_error() {
        let f = file("40603,34221,14.33,-8,14.34,468\n");
        assert!(read_csv(f.path()).is_err());
    }

    const SPOT: &str = concat!(
        "1000000000 {\"stream\":\"btcusdt@bookTicker\",\"data\":{\"u\":1,\"s\":\"BTCUSDT\",\"b\":\"10.00\",\"B\":\"1.5\",\"a\":\"10.01\",\"A\":\"2\"}}\n",
        "1100000000 {\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"p\":\"10.00\"}}\n",
        "1500000000 {\"stream\":\"btcusdt@bookTicker\",\"data\":{\"u\":2,\"s\":\"BTCUSDT\",\"b\":\"10.01\",\"B\":\"3\",\"a\":\"10.02\",\"A\":\"1\"}}\n",
        "3200000000 {\"u\":3,\"s\":\"BTCUSDT\",\"b\":\"10.02\",\"B\":\"4\",\"a\":\"10.03\",\"A\":\"1\"}\n",
        "3300000000 {\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"b\":[[\"1\",\"2\"]],\"a\":[]}}\n",
    );

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal literal")
    }

    fn quotes(text: &str, venue: Option<Venue>) -> Result<CaptureQuotes, FitError> {
        let f = file(text);
        read_capture(f.path(), venue, None)
    }

    #[test]
    fn capture_samples_last_quote_per_second() {
        for venue in [Some(Venue::BinanceSpot), None] {
            let q = quotes(SPOT, venue).expect("quotes");
            assert_eq!(q.quotes.len(), 2);
            assert_eq!(q.quotes[0].bid, Decimal::from_str("10.01").expect("dec"));
            assert_eq!((q.quotes[0].bid_size, q.quotes[0].ask_size), (3.0, 1.0));
            assert_eq!(q.quotes[1].bid, Decimal::from_str("10.02").expect("dec"));
            assert_eq!(q.instrument, "binance-spot:BTCUSDT");
            // The trade without a symbol and the diff without ids are skipped, and counted.
            assert_eq!(q.rejected, 2, "{q:?}");
            assert_eq!(q.first_rejected.map(|r| r.0), Some(2));
        }
    }

    #[test]
    fn capture_gzip_reads_the_same() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(SPOT.as_bytes()).expect("gzip");
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(&gz.finish().expect("gzip")).expect("write");
        let q = read_capture(f.path(), Some(Venue::BinanceSpot), None).expect("quotes");
        assert_eq!(q, quotes(SPOT, None).expect("quotes"));
    }

    #[test]
    fn capture_wrong_venue_is_an_error_naming_the_line() {
        let e = quotes(SPOT, Some(Venue::BinanceUsdm))
            .expect_err("spot data")
            .to_string();
        assert!(e.contains(":1:") && e.contains("binance-usdm"), "{e}");
        assert!(e.contains("a binance-spot message"), "{e}");
    }

    #[test]
    fn capture_without_quotes_is_an_error() {
        let text = "1 {\"stream\":\"btcusdt@trade\",\"data\":{}}\n";
        assert!(matches!(
            quotes(text, Some(Venue::BinanceSpot)),
            Err(FitError::NoQuotes { .. })
        ));
    }

    #[test]
    fn capture_without_a_frame_naming_its_venue_needs_venue() {
        let text = concat!(
            "1 {\"lastUpdateId\":10,\"bids\":[[\"10.00\",\"1\"]],\"asks\":[[\"10.03\",\"1\"]]}\n",
            "2 {\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",",
            "\"t\":1,\"p\":\"10.02\",\"q\":\"0.5\",\"T\":1,\"m\":true}}\n",
        );
        let e = quotes(text, None).expect_err("no venue");
        assert!(matches!(e, FitError::Venue(_)), "{e}");
        assert!(e.to_string().contains("--venue"), "{e}");
        // Told the venue, it reads the capture, which has no quotes.
        let e = quotes(text, Some(Venue::BinanceSpot)).expect_err("no quotes");
        assert!(matches!(e, FitError::NoQuotes { .. }), "{e}");
    }

    /// A USD-M capture: futures tickers (`e`, `T`, `E`) of two symbols.
    fn usdm_two_symbols() -> String {
        let ticker = |ts: u64, sym: &str, bid: &str| {
            format!(
                "{ts} {{\"stream\":\"{}@bookTicker\",\"data\":{{\"e\":\"bookTicker\",\"u\":1,\"s\":\"{sym}\",\"b\":\"{bid}\",\"B\":\"1.5\",\"a\":\"70000.1\",\"A\":\"0.25\",\"T\":1,\"E\":1}}}}\n",
                sym.to_ascii_lowercase()
            )
        };
        [
            ticker(1_000_000_000, "BTCUSDT", "69999.9"),
            ticker(1_100_000_000, "ETHUSDT", "3000.5"),
            ticker(2_000_000_000, "BTCUSDT", "70000.0"),
        ]
        .concat()
    }

    #[test]
    fn capture_of_several_instruments_needs_symbol_and_gives_its_quotes() {
        let f = file(&usdm_two_symbols());
        let e = read_capture(f.path(), None, None).expect_err("two symbols");
        assert!(matches!(e, FitError::SeveralInstruments { .. }), "{e}");
        let e = e.to_string();
        assert!(
            e.contains("binance-usdm:BTCUSDT, binance-usdm:ETHUSDT") && e.contains("--symbol"),
            "{e}"
        );
        for name in ["BTCUSDT", "binance-usdm:BTCUSDT"] {
            let q = read_capture(f.path(), None, Some(name)).expect("quotes");
            assert_eq!(q.instrument, "binance-usdm:BTCUSDT");
            let bids: Vec<Decimal> = q.quotes.iter().map(|q| q.bid).collect();
            assert_eq!(bids, [dec("69999.9"), dec("70000")]);
            assert_eq!((q.quotes[0].bid_size, q.quotes[0].ask_size), (1.5, 0.25));
        }
        let e = read_capture(f.path(), None, Some("binance-spot:BTCUSDT"))
            .expect_err("not in the capture")
            .to_string();
        assert!(e.contains("no instrument binance-spot:BTCUSDT"), "{e}");
    }

    #[test]
    fn is_capture_tells_capture_lines_from_csv() {
        assert!(is_capture(file(SPOT).path()).expect("readable"));
        let csv = file("\n40603,34221,14.33,8,14.34,468\n");
        assert!(!is_capture(csv.path()).expect("readable"));
    }

    /// The shared captures through the pipeline: the quotes the built-in tables were fitted from
    /// (`strategies/microprice/README.md`: 346 spot and 345 USD-M one-per-second quotes).
    #[rstest::rstest]
    #[case::spot(
        "captures/binance-spot_btcusdt_20240808.gz",
        "binance-spot:BTCUSDT",
        346
    )]
    #[case::usdm(
        "captures/binance-usdm_btcusdt_20240808.gz",
        "binance-usdm:BTCUSDT",
        345
    )]
    fn capture_shared_quotes_one_per_second(
        #[case] rel: &str,
        #[case] instrument: &str,
        #[case] n: usize,
    ) {
        let Some(path) = crate::testutil::shared(rel) else {
            return;
        };
        let q = read_capture(&path, None, None).expect("quotes");
        assert_eq!(q.instrument, instrument);
        assert_eq!(q.quotes.len(), n);
        assert_eq!(q.rejected, 0);
        assert!(q.quotes.iter().all(|q| q.bid < q.ask && q.bid_size > 0.0));
    }
}
