//! Several capture files read as one stream of lines.
//!
//! Files are grouped by venue, in the order given. The files of one venue are one stream,
//! read one after the other (daily files: the second continues the first's books). The
//! streams of different venues are merged by receive stamp; **ties go to the venue whose
//! first file came first on the command line**, and within one venue the file order holds, so
//! the merged order is a function of the files and their order alone. A malformed line (no
//! stamp) is passed on as soon as it is reached.
//!
//! A file that cannot be read to its end gives its complete lines; its venue's stream then goes
//! on with the next file (the books see the loss as the gap it is), and [`Captures::truncation`]
//! keeps the first such stop with the file it happened in.

use super::grid::GridTap;
use super::{CaptureError, CaptureLine, CaptureReader, LineError, Next, Truncation};
use crate::feed::Venue;
use ladder_sdk::UnixNanos;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};

/// One capture file and the venue whose wire format it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureInput {
    /// The file.
    pub path: PathBuf,
    /// Its venue.
    pub venue: Venue,
}

/// One line of the merged stream.
#[derive(Debug)]
pub struct Item<'a> {
    /// The venue of the file it came from.
    pub venue: Venue,
    /// The line.
    pub next: Next<'a>,
}

/// The line a stream holds next, copied out of its reader.
#[derive(Debug)]
enum Head {
    Empty,
    Line { line: u64, ts_recv: UnixNanos },
    Malformed { line: u64, error: LineError },
    Done,
}

#[derive(Debug)]
struct Stream {
    venue: Venue,
    /// The next files, each with the scan its read-ahead thread feeds (if any).
    files: VecDeque<(PathBuf, Option<GridTap>)>,
    reader: Option<CaptureReader>,
    head: Head,
    frame: Vec<u8>,
}

/// Several captures as one ordered stream of lines.
#[derive(Debug)]
pub struct Captures {
    streams: Vec<Stream>,
    truncation: Option<Truncation>,
    compressed: bool,
}

impl Captures {
    /// Opens every file (so a missing one is an error before anything is read).
    pub fn open(inputs: &[CaptureInput]) -> Result<Self, CaptureError> {
        Self::open_tapped(inputs, None)
    }

    /// [`Captures::open`], each file's read-ahead thread counting its values into the scan of
    /// the same index in `taps` (one per input) as it reads (`replay`'s grid check).
    pub fn open_tapped(
        inputs: &[CaptureInput],
        taps: Option<&[GridTap]>,
    ) -> Result<Self, CaptureError> {
        let mut streams: Vec<Stream> = Vec::new();
        let mut compressed = false;
        for (k, input) in inputs.iter().enumerate() {
            let tap = taps.and_then(|t| t.get(k)).cloned();
            let mut reader = CaptureReader::open(&input.path)?;
            compressed |= reader.is_compressed();
            if let Some(tap) = &tap {
                reader = reader.with_tap(tap.clone());
            }
            match streams.iter_mut().find(|s| s.venue == input.venue) {
                Some(s) => s.files.push_back((input.path.clone(), tap)),
                None => streams.push(Stream {
                    venue: input.venue,
                    files: VecDeque::new(),
                    reader: Some(reader),
                    head: Head::Empty,
                    frame: Vec::new(),
                }),
            }
        }
        Ok(Self {
            streams,
            truncation: None,
            compressed,
        })
    }

    /// Reads from one reader (tests, stdin) of `venue`.
    pub fn from_reader(venue: Venue, reader: CaptureReader) -> Self {
        let compressed = reader.is_compressed();
        Self {
            streams: vec![Stream {
                venue,
                files: VecDeque::new(),
                reader: Some(reader),
                head: Head::Empty,
                frame: Vec::new(),
            }],
            truncation: None,
            compressed,
        }
    }

    /// True if any file is gzip-compressed.
    pub fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// The first place a file could not be read to its end, once reading has passed it.
    pub fn truncation(&self) -> Option<&Truncation> {
        self.truncation.as_ref()
    }

    /// The next line in merged order, or `None` when every file is read.
    pub fn next_item(&mut self) -> Option<Item<'_>> {
        if self.streams.len() == 1 {
            // One venue: lines straight from the reader, no copy.
            let only = &mut self.streams[0];
            let venue = only.venue;
            return read_direct(only, &mut self.truncation).map(|next| Item { venue, next });
        }
        for s in &mut self.streams {
            if matches!(s.head, Head::Empty) {
                fill(s, &mut self.truncation);
            }
        }
        let mut best: Option<(usize, UnixNanos)> = None;
        for (k, s) in self.streams.iter().enumerate() {
            let key = match s.head {
                Head::Line { ts_recv, .. } => ts_recv,
                Head::Malformed { .. } => UnixNanos::ZERO,
                Head::Empty | Head::Done => continue,
            };
            if best.is_none_or(|(_, b)| key < b) {
                best = Some((k, key));
            }
        }
        let (k, _) = best?;
        let s = &mut self.streams[k];
        let next = match std::mem::replace(&mut s.head, Head::Empty) {
            Head::Line { line, ts_recv } => Next::Line(CaptureLine {
                line,
                ts_recv,
                frame: &s.frame,
            }),
            Head::Malformed { line, error } => Next::Malformed { line, error },
            Head::Empty | Head::Done => return None,
        };
        Some(Item {
            venue: s.venue,
            next,
        })
    }
}

/// Keeps the first stop of any file.
fn note(truncation: &mut Option<Truncation>, reader: &CaptureReader) {
    if truncation.is_none()
        && let Some(t) = reader.truncation()
    {
        *truncation = Some(Truncation {
            after_line: t.after_line,
            error: format!("{}: {}", reader.path().display(), t.error),
        });
    }
}

/// Moves a stream to its next file; `false` when it has none.
fn next_file(s: &mut Stream, truncation: &mut Option<Truncation>) -> bool {
    if let Some(r) = s.reader.take() {
        note(truncation, &r);
    }
    while let Some((path, tap)) = s.files.pop_front() {
        match CaptureReader::open(&path) {
            Ok(r) => {
                s.reader = Some(match tap {
                    Some(tap) => r.with_tap(tap),
                    None => r,
                });
                return true;
            }
            Err(e) => {
                if truncation.is_none() {
                    *truncation = Some(Truncation {
                        after_line: 0,
                        error: e.to_string(),
                    });
                }
            }
        }
    }
    false
}

fn read_direct<'a>(s: &'a mut Stream, truncation: &mut Option<Truncation>) -> Option<Next<'a>> {
    loop {
        let reader = s.reader.as_mut()?;
        // A read error ends the file: it is kept in the reader's truncation.
        if let Ok(Some(_)) = reader.next_line() {
            break;
        }
        if !next_file(s, truncation) {
            return None;
        }
    }
    s.reader.as_mut()?.current()
}

fn fill(s: &mut Stream, truncation: &mut Option<Truncation>) {
    loop {
        let Some(reader) = s.reader.as_mut() else {
            s.head = Head::Done;
            return;
        };
        match reader.next_line() {
            Ok(Some(Next::Line(l))) => {
                s.frame.clear();
                s.frame.extend_from_slice(l.frame);
                s.head = Head::Line {
                    line: l.line,
                    ts_recv: l.ts_recv,
                };
                return;
            }
            Ok(Some(Next::Malformed { line, error })) => {
                s.head = Head::Malformed { line, error };
                return;
            }
            Ok(None) | Err(_) => {
                if !next_file(s, truncation) {
                    s.head = Head::Done;
                    return;
                }
            }
        }
    }
}

/// Lines read at most to recognize a capture's venue.
pub const SNIFF_LINES: usize = 10_000;

/// Why the venue of a capture argument is not known.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The capture could not be read.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// Its content does not say.
    #[error(
        "cannot tell the venue of {path} from its first {SNIFF_LINES} lines (no frame names it); \
         give --venue V or write it as V:{path} (venues: {names})",
        names = Venue::names()
    )]
    Unknown {
        /// The file.
        path: String,
    },
}

impl CaptureInput {
    /// A capture argument: `PATH`, or `VENUE:PATH` naming its venue. Without one the venue is
    /// `venue` if given, else recognized from the file's content.
    pub fn parse(arg: &str, venue: Option<Venue>) -> Result<Self, InputError> {
        if let Some((v, path)) = arg.split_once(':')
            && let Ok(v) = v.parse::<Venue>()
        {
            return Ok(Self {
                path: PathBuf::from(path),
                venue: v,
            });
        }
        let path = PathBuf::from(arg);
        let venue = match venue {
            Some(v) => v,
            None => detect_venue(&path)?,
        };
        Ok(Self { path, venue })
    }
}

/// The venue of the capture at `path`, from the first of its first [`SNIFF_LINES`] lines
/// whose frame says ([`Venue::sniff`]).
pub fn detect_venue(path: &Path) -> Result<Venue, InputError> {
    let mut reader = CaptureReader::open(path)?;
    for _ in 0..SNIFF_LINES {
        match reader.next_line() {
            Ok(Some(Next::Line(l))) => {
                if let Some(v) = Venue::sniff(l.frame) {
                    return Ok(v);
                }
            }
            Ok(Some(Next::Malformed { .. })) => {}
            Ok(None) | Err(_) => break,
        }
    }
    Err(InputError::Unknown {
        path: path.display().to_string(),
    })
}

/// The paths of `inputs`, for messages.
pub fn describe(inputs: &[CaptureInput]) -> String {
    inputs
        .iter()
        .map(|i| i.path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use std::io::Write as _;

    const SPOT: Venue = Venue::BinanceSpot;
    const USDM: Venue = Venue::BinanceUsdm;

    /// `text` written as `dir/name`.
    fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn input(path: &Path, venue: Venue) -> CaptureInput {
        CaptureInput {
            path: path.to_path_buf(),
            venue,
        }
    }

    /// What the merged stream gives: `(venue, line, stamp, frame)`, a malformed line as
    /// `(venue, line, 0, "!")`.
    fn drain(captures: &mut Captures) -> Vec<(Venue, u64, u64, String)> {
        let mut out = Vec::new();
        while let Some(item) = captures.next_item() {
            out.push(match item.next {
                Next::Line(l) => (
                    item.venue,
                    l.line,
                    l.ts_recv.as_nanos(),
                    String::from_utf8(l.frame.to_vec()).unwrap(),
                ),
                Next::Malformed { line, .. } => (item.venue, line, 0, "!".to_owned()),
            });
        }
        out
    }

    /// The frames of [`drain`], in order.
    fn frames(captures: &mut Captures) -> Vec<String> {
        drain(captures).into_iter().map(|i| i.3).collect()
    }

    /// Spot `s1` (stamps 10, 20, 20), USD-M `u` (20, 30), spot `s2` (20, 40: a later file of
    /// spot, its stamps need not follow the first file's).
    #[rstest]
    #[case::spot_first(&["s1", "u"], &["s10", "s20a", "s20b", "u20", "u30"])]
    #[case::usdm_first(&["u", "s1"], &["s10", "u20", "s20a", "s20b", "u30"])]
    #[case::spot_first_and_its_second_file_after_usdm(
        &["s1", "u", "s2"],
        &["s10", "s20a", "s20b", "s20c", "u20", "u30", "s40"]
    )]
    #[case::usdm_first_then_both_spot_files(
        &["u", "s1", "s2"],
        &["s10", "u20", "s20a", "s20b", "s20c", "u30", "s40"]
    )]
    fn next_item_equal_stamps_go_to_the_venue_whose_first_file_came_first(
        #[case] order: &[&str],
        #[case] want: &[&str],
    ) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let s1 = input(&file(d, "s1", "10 s10\n20 s20a\n20 s20b\n"), SPOT);
        let u = input(&file(d, "u", "20 u20\n30 u30\n"), USDM);
        let s2 = input(&file(d, "s2", "20 s20c\n40 s40\n"), SPOT);
        let inputs: Vec<CaptureInput> = order
            .iter()
            .map(|n| match *n {
                "s1" => s1.clone(),
                "u" => u.clone(),
                _ => s2.clone(),
            })
            .collect();
        let mut c = Captures::open(&inputs).unwrap();
        assert_eq!(frames(&mut c), want);
        assert!(c.truncation().is_none());
    }

    #[test]
    fn next_item_malformed_line_is_passed_on_when_its_file_reaches_it() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let spot = file(d, "spot", "10 a\ngarbage\n40 b\n");
        let usdm = file(d, "usdm", "20 c\n30 d\n");
        let mut c = Captures::open(&[input(&spot, SPOT), input(&usdm, USDM)]).unwrap();
        let got = drain(&mut c);
        let want = [
            (SPOT, 1, 10, "a"),
            // Before the USD-M line stamped 20: a malformed line has no stamp to wait for.
            (SPOT, 2, 0, "!"),
            (USDM, 1, 20, "c"),
            (USDM, 2, 30, "d"),
            (SPOT, 3, 40, "b"),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|&(v, line, ts, f)| (v, line, ts, f.to_owned()))
            .collect();
        assert_eq!(got, want);
    }

    /// `n` lines stamped from 1000, gzip-compressed as one stream and cut at 60 % of its bytes;
    /// returns the file and the complete lines a decoder gets out of it.
    fn cut_gzip(dir: &Path, n: u64) -> (PathBuf, Vec<String>) {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        for i in 0..n {
            // Varied text, so the compressed stream is long enough to cut.
            writeln!(enc, "{} cut{i}-{}", 1_000 + i, i * 7919 % 104_729).unwrap();
        }
        let bytes = enc.finish().unwrap();
        let path = dir.join("day1.gz");
        std::fs::write(&path, &bytes[..bytes.len() * 6 / 10]).unwrap();
        let mut whole = Vec::new();
        let mut r = CaptureReader::open(&path).unwrap();
        while let Ok(Some(Next::Line(l))) = r.next_line() {
            whole.push(String::from_utf8(l.frame.to_vec()).unwrap());
        }
        (path, whole)
    }

    #[rstest]
    #[case::one_venue(false)]
    #[case::beside_another_venue(true)]
    fn next_item_truncated_first_file_goes_on_with_the_second_and_names_the_first(
        #[case] other_venue: bool,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (day1, complete) = cut_gzip(d, 5_000);
        assert!(
            complete.len() > 100 && complete.len() < 5_000,
            "{}",
            complete.len()
        );
        let day2 = file(d, "day2.txt", "900000 next1\n900001 next2\n");
        let mut inputs = vec![input(&day1, SPOT), input(&day2, SPOT)];
        if other_venue {
            inputs.push(input(&file(d, "usdm.txt", "1 u1\n950000 u2\n"), USDM));
        }
        let mut c = Captures::open(&inputs).unwrap();
        let got = drain(&mut c);
        let spot: Vec<&str> = got
            .iter()
            .filter(|i| i.0 == SPOT)
            .map(|i| i.3.as_str())
            .collect();
        let mut want: Vec<&str> = complete.iter().map(String::as_str).collect();
        want.extend(["next1", "next2"]);
        assert_eq!(spot, want, "every complete line of day 1, then day 2");
        if other_venue {
            assert_eq!(got.first().map(|i| i.3.as_str()), Some("u1"));
            assert_eq!(got.last().map(|i| i.3.as_str()), Some("u2"));
        }
        let t = c.truncation().expect("the cut is kept");
        assert_eq!(t.after_line, complete.len() as u64);
        assert!(
            t.error.starts_with(&day1.display().to_string()),
            "names the first file: {t:?}"
        );
    }

    #[test]
    fn open_missing_file_is_an_error_naming_it_before_anything_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let good = file(dir.path(), "good.txt", "1 a\n");
        let missing = dir.path().join("missing.txt");
        // The missing file is the venue's second file: it is opened (and refused) up front, not
        // when the first file is done.
        let e = Captures::open(&[input(&good, SPOT), input(&missing, SPOT)]).unwrap_err();
        assert!(
            matches!(e, CaptureError::Open { ref path, .. } if *path == missing),
            "{e}"
        );
        assert!(e.to_string().contains("missing.txt"), "{e}");
    }

    // ---- venue recognition ---------------------------------------------------------------

    const SPOT_DIFF: &str = r#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":11,"u":12,"b":[["100.01","1.5"]],"a":[]}}"#;
    const USDM_DIFF: &str = r#"{"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":11,"u":12,"pu":10,"b":[["100.1","1.5"]],"a":[]}}"#;
    // COIN-M diffs carry `pu` like USD-M, and its symbols an `_` (`BTCUSD_PERP`).
    const COINM_DIFF: &str = r#"{"stream":"btcusd_perp@depth@0ms","data":{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSD_PERP","ps":"BTCUSD","U":11,"u":12,"pu":10,"b":[["100.1","15"]],"a":[]}}"#;
    const SPOT_TICKER: &str = r#"{"stream":"btcusdt@bookTicker","data":{"u":1,"s":"BTCUSDT","b":"100.01","B":"1","a":"100.02","A":"2"}}"#;
    const USDM_TICKER: &str = r#"{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":1,"s":"BTCUSDT","b":"100.1","B":"1","a":"100.2","A":"2","T":1,"E":1}}"#;
    const COINM_TICKER: &str = r#"{"stream":"btcusd_perp@bookTicker","data":{"e":"bookTicker","u":1,"s":"BTCUSD_PERP","ps":"BTCUSD","b":"100.1","B":"1","a":"100.2","A":"2","T":1,"E":1}}"#;
    const SNAPSHOT: &str = r#"{"lastUpdateId":10,"bids":[["100.00","1"]],"asks":[["100.03","1"]]}"#;
    const TRADE: &str = r#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"100.02","q":"0.5","T":1,"m":true}}"#;

    /// A capture whose depth diff or bookTicker comes after lines that do not tell the venue.
    #[rstest]
    #[case::spot_diff(SPOT_DIFF, Venue::BinanceSpot)]
    #[case::usdm_diff(USDM_DIFF, Venue::BinanceUsdm)]
    #[case::coinm_diff(COINM_DIFF, Venue::BinanceCoinm)]
    #[case::spot_ticker(SPOT_TICKER, Venue::BinanceSpot)]
    #[case::usdm_ticker(USDM_TICKER, Venue::BinanceUsdm)]
    #[case::coinm_ticker(COINM_TICKER, Venue::BinanceCoinm)]
    fn detect_venue_from_the_first_frame_that_tells(#[case] diff: &str, #[case] want: Venue) {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("1 {SNAPSHOT}\n2 {TRADE}\nnot a line\n3 {diff}\n");
        let path = file(dir.path(), "cap.txt", &text);
        assert_eq!(detect_venue(&path).unwrap(), want);
        let arg = path.to_str().unwrap();
        assert_eq!(CaptureInput::parse(arg, None).unwrap(), input(&path, want));
    }

    #[rstest]
    #[case::spot_vector(
        "vectors/binance/hftbacktest_spot_btcusdt_20240808_first1000.txt",
        Venue::BinanceSpot
    )]
    #[case::usdm_vector(
        "vectors/binance/hftbacktest_usdm_btcusdt_20240808_first1000.txt",
        Venue::BinanceUsdm
    )]
    #[case::spot_capture("captures/binance-spot_btcusdt_20240808.gz", Venue::BinanceSpot)]
    #[case::usdm_capture("captures/binance-usdm_btcusdt_20240808.gz", Venue::BinanceUsdm)]
    fn detect_venue_recognizes_the_shared_binance_captures(#[case] rel: &str, #[case] want: Venue) {
        let Some(path) = crate::testutil::shared(rel) else {
            return;
        };
        assert_eq!(detect_venue(&path).unwrap(), want);
    }

    #[test]
    fn detect_venue_without_a_frame_that_tells_is_an_error_naming_the_file_venue_and_venue_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(
            dir.path(),
            "nodepth.txt",
            &format!("1 {SNAPSHOT}\n2 {TRADE}\n"),
        );
        let e = detect_venue(&path).unwrap_err().to_string();
        let p = path.display().to_string();
        assert!(e.contains(&format!("cannot tell the venue of {p}")), "{e}");
        assert!(e.contains("--venue"), "{e}");
        assert!(e.contains(&format!("V:{p}")), "{e}");
        for v in Venue::ALL {
            assert!(e.contains(v.name()), "{e}");
        }
        let e = CaptureInput::parse(&p, None).unwrap_err();
        assert!(matches!(e, InputError::Unknown { .. }), "{e}");
    }

    #[test]
    fn parse_venue_path_overrides_the_content_and_the_venue_flag() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path(), "spot.txt", &format!("1 {SPOT_DIFF}\n"));
        let arg = format!("binance-usdm:{}", path.display());
        for flag in [None, Some(Venue::BinanceCoinm)] {
            assert_eq!(
                CaptureInput::parse(&arg, flag).unwrap(),
                input(&path, USDM),
                "{flag:?}"
            );
        }
    }

    #[test]
    fn parse_bare_path_takes_the_venue_flag_over_the_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path(), "spot.txt", &format!("1 {SPOT_DIFF}\n"));
        let arg = path.to_str().unwrap();
        assert_eq!(
            CaptureInput::parse(arg, Some(USDM)).unwrap(),
            input(&path, USDM)
        );
        assert_eq!(CaptureInput::parse(arg, None).unwrap(), input(&path, SPOT));
    }

    #[test]
    fn parse_prefix_that_is_no_venue_stays_part_of_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path(), "day:1.txt", &format!("1 {SPOT_DIFF}\n"));
        let arg = path.to_str().unwrap();
        assert_eq!(CaptureInput::parse(arg, None).unwrap(), input(&path, SPOT));
        let e = CaptureInput::parse("nosuchvenue:/no/such/file.txt", None).unwrap_err();
        assert!(
            e.to_string().contains("nosuchvenue:/no/such/file.txt"),
            "{e}"
        );
    }

    #[test]
    fn describe_lists_every_path_in_order() {
        let inputs = [
            input(Path::new("a.gz"), USDM),
            input(Path::new("b.gz"), SPOT),
        ];
        assert_eq!(describe(&inputs), "a.gz, b.gz");
    }
}
