//! Top-of-book quotes for the estimator: the author's headerless CSV layout
//! `date,time,bid,bid_size,ask,ask_size`, or a Binance capture's `bookTicker` messages sampled
//! once per second.

use super::FitError;
use crate::capture::{CaptureReader, Next};
use crate::feed::Venue;
use crate::feed::binance::DecodeError;
use crate::feed::binance::wire::{self, Fields, Kind};
use ladder_sdk::RawDecimal;
use rust_decimal::Decimal;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
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

/// Reads a capture (`<ts_recv_ns> <json>` lines, plain or gzip) and samples its `bookTicker`
/// messages once per second: the last quote received in each second of receive time (seconds
/// without a quote give no row). Other messages are skipped.
///
/// # Errors
/// [`FitError::Capture`] naming the file and line of a malformed line or of a `bookTicker` of
/// the wrong venue; [`FitError::NoQuotes`] if none is found; [`FitError::Io`].
pub fn read_capture(path: &Path, venue: Venue) -> Result<Vec<Quote>, FitError> {
    let mut reader = CaptureReader::open(path).map_err(|e| FitError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let mut out = Vec::new();
    let mut current: Option<(u64, Quote)> = None;
    let (mut bids, mut asks) = (Vec::new(), Vec::new());
    loop {
        let next = reader.next_line().map_err(|e| FitError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let line = match next {
            None => break,
            Some(Next::Line(line)) => line,
            Some(Next::Malformed { line, error }) => {
                return Err(FitError::Capture {
                    path: path.to_path_buf(),
                    line: line as usize,
                    reason: error.to_string(),
                });
            }
        };
        let err = |reason: String| FitError::Capture {
            path: PathBuf::from(path),
            line: line.line as usize,
            reason,
        };
        let mut fields = Fields::default();
        wire::parse(line.frame, &mut fields, &mut bids, &mut asks)
            .map_err(|e| err(DecodeError::from(e).to_string()))?;
        if wire::classify(&fields) != Ok(Kind::BookTicker) {
            continue;
        }
        let quote = book_ticker_quote(&fields, venue).map_err(err)?;
        let second = line.ts_recv.as_nanos() / 1_000_000_000;
        match current {
            Some((s, q)) if s != second => {
                out.push(q);
                current = Some((second, quote));
            }
            _ => current = Some((second, quote)),
        }
    }
    if let Some((_, q)) = current {
        out.push(q);
    }
    if out.is_empty() {
        return Err(FitError::NoQuotes {
            path: path.to_path_buf(),
            venue: venue.name(),
        });
    }
    Ok(out)
}

/// The quote of a `bookTicker` message; futures tickers carry an `e` field, spot ones do not.
fn book_ticker_quote(f: &Fields<'_>, venue: Venue) -> Result<Quote, String> {
    let futures = f.event.is_some();
    if futures != matches!(venue, Venue::BinanceUsdm | Venue::BinanceCoinm) {
        return Err(format!(
            "a {} bookTicker message, but --venue is {}",
            if futures { "futures" } else { "spot" },
            venue.name()
        ));
    }
    let decimal = |text: Option<&[u8]>, k: &str| {
        text.and_then(|t| RawDecimal::parse(t).ok())
            .filter(|d| !d.negative)
            .map(RawDecimal::to_decimal)
            .ok_or_else(|| format!("bookTicker field {k} is missing or not a non-negative decimal"))
    };
    let size = |text: Option<&[u8]>, k: &str| {
        decimal(text, k).and_then(|d| f64::try_from(d).map_err(|e| format!("{k}: {e}")))
    };
    Ok(Quote {
        bid: decimal(f.bid_price, "b")?,
        bid_size: size(f.bid_qty, "B")?,
        ask: decimal(f.ask_price, "a")?,
        ask_size: size(f.ask_qty, "A")?,
    })
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

    #[test]
    fn capture_samples_last_quote_per_second() {
        let f = file(SPOT);
        let q = read_capture(f.path(), Venue::BinanceSpot).expect("quotes");
        assert_eq!(q.len(), 2);
        assert_eq!(q[0].bid, Decimal::from_str("10.01").expect("dec"));
        assert_eq!(q[1].bid, Decimal::from_str("10.02").expect("dec"));
    }

    #[test]
    fn capture_gzip_reads_the_same() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(SPOT.as_bytes()).expect("gzip");
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(&gz.finish().expect("gzip")).expect("write");
        assert_eq!(
            read_capture(f.path(), Venue::BinanceSpot)
                .expect("quotes")
                .len(),
            2
        );
    }

    #[test]
    fn capture_wrong_venue_is_an_error_naming_the_line() {
        let f = file(SPOT);
        let e = read_capture(f.path(), Venue::BinanceUsdm)
            .expect_err("spot data")
            .to_string();
        assert!(e.contains(":1:") && e.contains("binance-usdm"), "{e}");
    }

    #[test]
    fn capture_without_quotes_is_an_error() {
        let f = file("1 {\"stream\":\"btcusdt@trade\",\"data\":{}}\n");
        assert!(matches!(
            read_capture(f.path(), Venue::BinanceSpot),
            Err(FitError::NoQuotes { .. })
        ));
    }
}
