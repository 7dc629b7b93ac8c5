//! Capture files: one frame per line, `<ts_recv_unix_ns> <frame>`, plain text or gzip.
//!
//! This is what `ladder record` writes and `ladder replay` / `ladder inspect` read, and the
//! format of the real captures in `shared/captures/` (`docs/venues.md` §9). Gzip is detected by
//! its magic bytes, not the file name. Reading streams line by line, a read-ahead thread
//! inflating and splitting batches of lines into a small ring of reused buffers (`ahead`), so
//! memory stays constant on a file of any size. A malformed line is reported with its line
//! number and skipped; reading goes on. A line longer than [`MAX_LINE_BYTES`] is a malformed
//! line too: its bytes are skipped up to the next newline, never held.
//!
//! A file that cannot be read to its end (a recording killed before it closed its gzip stream,
//! a file cut short, a corrupt block) keeps every complete line before the damage: the reader
//! returns the error once, naming the file and the last line read, then ends the stream, and
//! [`CaptureReader::truncation`] says where and why it stopped. `inspect` and `replay` report
//! it and go on with what was read.

mod ahead;
pub mod clock;
pub mod grid;
pub mod merge;
pub mod pipeline;

use ahead::{Ahead, Batch, LineSource, Stop};
use flate2::read::MultiGzDecoder;
use ladder_sdk::UnixNanos;
use serde::Serialize;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The longest capture line read (64 MiB, newline excluded). Binance's largest frames (a
/// 5,000-level REST snapshot) are under 1 MiB; a longer line is a malformed line, skipped.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// Why a capture could not be opened or read.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// The file could not be opened.
    #[error("cannot open capture {path}: {error}")]
    Open {
        /// The file.
        path: PathBuf,
        /// The I/O error (in the message, not a source: a chained report would say it twice).
        error: io::Error,
    },
    /// Reading failed (a truncated or corrupt gzip stream, say).
    #[error("cannot read capture {path} after line {line}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Last line read successfully.
        line: u64,
        /// The I/O error (in the message).
        error: io::Error,
    },
    /// A capture could not be read to its end (said by callers that need whole files).
    #[error("capture cannot be read to its end: {0}")]
    Truncated(Truncation),
}

/// Why one line is not a capture line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LineError {
    /// No space between the timestamp and the frame.
    #[error("expected `<ts_recv_unix_ns> <frame>`, found no space")]
    NoSeparator,
    /// The timestamp is not an unsigned 64-bit integer of nanoseconds.
    #[error("expected `<ts_recv_unix_ns> <frame>`, the timestamp is not an integer of nanoseconds")]
    BadTimestamp,
    /// Nothing after the timestamp.
    #[error("the frame after the timestamp is empty")]
    EmptyFrame,
    /// The line is not UTF-8 text (a binary file?).
    #[error("the line is not UTF-8 text")]
    NotText,
    /// The line is longer than the reader's limit ([`MAX_LINE_BYTES`]); it was skipped.
    #[error("the line is longer than {limit} bytes; skipped to the next line")]
    TooLong {
        /// The limit in bytes.
        limit: usize,
    },
}

/// Where and why a capture stopped before its end: every line up to `after_line` was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Truncation {
    /// The last line read in full (0: none).
    pub after_line: u64,
    /// What stopped the reading (`unexpected end of file` for a gzip file cut short).
    pub error: String,
}

impl std::fmt::Display for Truncation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "reading stopped after line {}: {}; the lines before it were used",
            self.after_line, self.error
        )
    }
}

/// One line of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureLine<'a> {
    /// 1-based line number in the (decompressed) file.
    pub line: u64,
    /// When the frame was received.
    pub ts_recv: UnixNanos,
    /// The raw frame text.
    pub frame: &'a [u8],
}

/// Splits one capture line (without its newline).
pub fn parse_line(text: &[u8]) -> Result<(UnixNanos, &[u8]), LineError> {
    let sp = text
        .iter()
        .position(|&b| b == b' ')
        .ok_or(LineError::NoSeparator)?;
    let (ts, rest) = text.split_at(sp);
    if ts.is_empty() || ts.len() > 20 || !ts.iter().all(u8::is_ascii_digit) {
        return Err(LineError::BadTimestamp);
    }
    let mut ns: u64 = 0;
    for &d in ts {
        ns = ns
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or(LineError::BadTimestamp)?;
    }
    let frame = rest[1..].trim_ascii();
    if frame.is_empty() {
        return Err(LineError::EmptyFrame);
    }
    if std::str::from_utf8(frame).is_err() {
        return Err(LineError::NotText);
    }
    Ok((UnixNanos::from_nanos(ns), frame))
}

/// A streaming reader over a capture file.
///
/// A read-ahead thread (`ahead`, started at the first [`CaptureReader::next_line`]) inflates
/// the file and splits it into lines while the caller works on the lines already read.
pub struct CaptureReader {
    path: PathBuf,
    compressed: bool,
    /// The source, until the read-ahead thread takes it.
    source: Option<LineSource>,
    ahead: Option<Ahead>,
    /// The batch being read and the index of its next entry.
    batch: Batch,
    pos: usize,
    line: u64,
    ended: bool,
    truncation: Option<Truncation>,
    /// The last line returned: its stamp and the frame's range in `batch.data`, or what is
    /// wrong.
    current: Option<Result<(UnixNanos, usize, usize), LineError>>,
}

impl std::fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader")
            .field("path", &self.path)
            .field("line", &self.line)
            .finish()
    }
}

/// What [`CaptureReader::next_line`] yields.
#[derive(Debug)]
pub enum Next<'a> {
    /// A well-formed line.
    Line(CaptureLine<'a>),
    /// A malformed line: its number and what is wrong. Reading can go on.
    Malformed {
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        error: LineError,
    },
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

impl CaptureReader {
    /// Opens a capture, plain or gzip (detected by its first two bytes).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, CaptureError> {
        let path = path.as_ref().to_path_buf();
        let open_err = |error| CaptureError::Open {
            path: path.clone(),
            error,
        };
        let file = File::open(&path).map_err(open_err)?;
        let mut raw = BufReader::with_capacity(1 << 16, file);
        let head = raw.fill_buf().map_err(open_err)?;
        let compressed = head.starts_with(&GZIP_MAGIC);
        let inner: Box<dyn BufRead + Send> = if compressed {
            Box::new(BufReader::with_capacity(1 << 16, MultiGzDecoder::new(raw)))
        } else {
            Box::new(raw)
        };
        Ok(Self::with_source(path, inner, compressed))
    }

    /// Reads from any source (tests, stdin); `name` is used in messages.
    pub fn from_reader(name: impl Into<PathBuf>, reader: impl Read + Send + 'static) -> Self {
        Self::with_source(name.into(), Box::new(BufReader::new(reader)), false)
    }

    fn with_source(path: PathBuf, inner: Box<dyn BufRead + Send>, compressed: bool) -> Self {
        Self {
            path,
            compressed,
            source: Some(LineSource::new(inner, MAX_LINE_BYTES)),
            ahead: None,
            batch: Batch::default(),
            pos: 0,
            line: 0,
            ended: false,
            truncation: None,
            current: None,
        }
    }

    /// Sets the longest line read (default [`MAX_LINE_BYTES`]; tests use a small one). Takes
    /// effect only before the first line is read.
    pub fn with_max_line(mut self, bytes: usize) -> Self {
        if let Some(source) = &mut self.source {
            source.set_max_line(bytes.max(1));
        }
        self
    }

    /// Has the read-ahead thread count every well-formed frame into `tap` (once per batch,
    /// before handing the batch over). Takes effect only before the first line is read.
    pub fn with_tap(mut self, tap: grid::GridTap) -> Self {
        if let Some(source) = &mut self.source {
            source.set_tap(tap);
        }
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True if the file is gzip-compressed.
    pub fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// Line number of the last line returned.
    pub fn line_number(&self) -> u64 {
        self.line
    }

    /// Where and why reading stopped before the end of the file, once it has.
    pub fn truncation(&self) -> Option<&Truncation> {
        self.truncation.as_ref()
    }

    /// The next non-empty line, or `Ok(None)` at the end of the file.
    ///
    /// A read error (a gzip stream cut short or corrupt, an I/O error) is returned once, naming
    /// the file and the last line read in full; the stream then ends (`Ok(None)`), and
    /// [`CaptureReader::truncation`] keeps where and why. A partial last line before the error
    /// is dropped: only complete lines are returned.
    ///
    /// # Hot path
    /// No allocation once the read-ahead ring is warm; per line an index step, and per batch of
    /// lines (about [`ahead::BATCH_BYTES`]) a hand-over that waits only if inflation is behind.
    pub fn next_line(&mut self) -> Result<Option<Next<'_>>, CaptureError> {
        self.current = None;
        if self.ended {
            return Ok(None);
        }
        while self.pos == self.batch.entries.len() {
            if let Some(stop) = self.batch.stop.take() {
                self.ended = true;
                return match stop {
                    Stop::End { line } => {
                        self.line = line;
                        Ok(None)
                    }
                    Stop::Error { line, error } => Err(self.read_error(line, error)),
                };
            }
            if let Err(error) = self.next_batch() {
                self.ended = true;
                return Err(self.read_error(self.line, error));
            }
        }
        let entry = self.batch.entries[self.pos];
        self.pos += 1;
        self.line = entry.line;
        self.current = Some(entry.parsed);
        Ok(self.current())
    }

    /// Swaps in the next batch from the read-ahead thread, starting it on first use.
    fn next_batch(&mut self) -> io::Result<()> {
        if self.ahead.is_none()
            && let Some(source) = self.source.take()
        {
            self.ahead = Some(Ahead::start(source)?);
        }
        let ahead = self
            .ahead
            .as_ref()
            .ok_or_else(|| io::Error::other("the capture read-ahead thread did not start"))?;
        self.batch = ahead.swap(std::mem::take(&mut self.batch))?;
        self.pos = 0;
        Ok(())
    }

    /// Records where reading stopped and makes the error for it.
    fn read_error(&mut self, line: u64, error: io::Error) -> CaptureError {
        self.line = line;
        self.truncation = Some(Truncation {
            after_line: line,
            error: error.to_string(),
        });
        CaptureError::Read {
            path: self.path.clone(),
            line,
            error,
        }
    }

    /// The line the last [`CaptureReader::next_line`] returned, again; `None` after the end.
    pub fn current(&self) -> Option<Next<'_>> {
        let line = self.line;
        Some(match self.current? {
            Ok((ts_recv, start, end)) => Next::Line(CaptureLine {
                line,
                ts_recv,
                frame: &self.batch.data[start..end],
            }),
            Err(error) => Next::Malformed { line, error },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use std::io::Write;

    #[rstest]
    #[case::no_space(b"1723161253937085768", LineError::NoSeparator)]
    #[case::bad_ts(b"17231612x3 {}", LineError::BadTimestamp)]
    #[case::ts_overflow(b"99999999999999999999 {}", LineError::BadTimestamp)]
    #[case::empty_frame(b"1723161253937085768   ", LineError::EmptyFrame)]
    #[case::not_text(b"1 \xff\xfe", LineError::NotText)]
    fn parse_line_rejects(#[case] text: &[u8], #[case] err: LineError) {
        assert_eq!(parse_line(text), Err(err));
    }

    #[test]
    fn parse_line_keeps_19_digit_timestamp_exact() {
        let (ts, frame) = parse_line(b"1723161253937085768 {\"a\":1}").unwrap();
        assert_eq!(ts.as_nanos(), 1_723_161_253_937_085_768);
        assert_eq!(frame, b"{\"a\":1}");
    }

    fn collect(mut r: CaptureReader) -> (Vec<(u64, u64)>, Vec<u64>) {
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        while let Some(n) = r.next_line().unwrap() {
            match n {
                Next::Line(l) => good.push((l.line, l.ts_recv.as_nanos())),
                Next::Malformed { line, .. } => bad.push(line),
            }
        }
        (good, bad)
    }

    #[test]
    fn reader_reports_malformed_line_numbers_and_goes_on() {
        let text = "1 {}\n\ngarbage\n3 {}\r\n4\n";
        let r = CaptureReader::from_reader("mem", std::io::Cursor::new(text.as_bytes().to_vec()));
        let (good, bad) = collect(r);
        assert_eq!(good, vec![(1, 1), (4, 3)]);
        assert_eq!(bad, vec![3, 5]);
    }

    #[test]
    fn open_detects_gzip_by_magic_not_name() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("plain-name.txt");
        let mut enc = flate2::write::GzEncoder::new(File::create(&gz).unwrap(), Default::default());
        enc.write_all(b"10 {\"x\":1}\n20 {\"x\":2}\n").unwrap();
        enc.finish().unwrap();
        let r = CaptureReader::open(&gz).unwrap();
        assert!(r.is_compressed());
        assert_eq!(collect(r).0, vec![(1, 10), (2, 20)]);
    }

    #[test]
    fn non_gzip_named_gz_reads_as_text() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fake.gz");
        std::fs::write(&p, "5 {}\n").unwrap();
        let r = CaptureReader::open(&p).unwrap();
        assert!(!r.is_compressed());
        assert_eq!(collect(r).0, vec![(1, 5)]);
    }

    #[test]
    fn corrupt_gzip_is_a_read_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.gz");
        std::fs::write(&p, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5]).unwrap();
        let mut r = CaptureReader::open(&p).unwrap();
        let err = loop {
            match r.next_line() {
                Err(e) => break e,
                Ok(None) => panic!("corrupt gzip read to the end"),
                Ok(Some(_)) => {}
            }
        };
        assert!(err.to_string().contains("bad.gz"), "{err}");
    }

    #[test]
    fn open_missing_file_names_it() {
        let err = CaptureReader::open("/nonexistent/cap.gz").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/cap.gz"), "{err}");
    }

    #[rstest]
    #[case::at_limit_is_a_line(b"1 {\"a\":1}\n2 {}\n", 10, vec![(1, 1), (2, 2)], vec![])]
    #[case::over_limit_is_skipped(b"1 {}\n2 {\"a\":12345}\n3 {}\n", 10, vec![(1, 1), (3, 3)], vec![2])]
    #[case::over_limit_at_eof(b"1 {}\n2 {\"a\":12345}", 10, vec![(1, 1)], vec![2])]
    #[case::huge_line_among_others(
        &[&b"1 {}\n2 "[..], &[b'x'; 100_000], &b"\n3 {}\n"[..]].concat(),
        64, vec![(1, 1), (3, 3)], vec![2]
    )]
    fn reader_bounds_line_length(
        #[case] text: &[u8],
        #[case] max: usize,
        #[case] good: Vec<(u64, u64)>,
        #[case] bad: Vec<u64>,
    ) {
        let r = CaptureReader::from_reader("mem", std::io::Cursor::new(text.to_vec()))
            .with_max_line(max);
        assert_eq!(collect(r), (good, bad));
    }

    #[test]
    fn reader_too_long_line_error_names_the_limit() {
        let mut r =
            CaptureReader::from_reader("mem", std::io::Cursor::new(b"1 {}}}}}}}}}}\n".to_vec()))
                .with_max_line(4);
        match r.next_line().unwrap() {
            Some(Next::Malformed { line: 1, error }) => {
                assert_eq!(error, LineError::TooLong { limit: 4 });
                assert!(error.to_string().contains("longer than 4 bytes"), "{error}");
            }
            other => panic!("{other:?}"),
        }
    }

    /// A gzip capture of `n` lines, flushed every 50 lines as the recorder does.
    fn gzip_lines(n: u64) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        for i in 1..=n {
            writeln!(enc, "{i} {{\"stream\":\"x@trade\",\"data\":{{\"n\":{i}}}}}").unwrap();
            if i % 50 == 0 {
                enc.flush().unwrap();
            }
        }
        enc.finish().unwrap()
    }

    #[rstest]
    #[case::cut_in_the_middle(0.5)]
    #[case::cut_near_the_end(0.95)]
    #[case::trailer_missing(0.0)]
    fn truncated_gzip_keeps_every_complete_line_then_reports_where_it_stopped(#[case] at: f64) {
        let full = gzip_lines(2_000);
        let cut = if at == 0.0 {
            full.len() - 8
        } else {
            (full.len() as f64 * at) as usize
        };
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cut.gz");
        std::fs::write(&p, &full[..cut]).unwrap();
        let mut r = CaptureReader::open(&p).unwrap();
        let mut seen = Vec::new();
        let err = loop {
            match r.next_line() {
                Ok(Some(Next::Line(l))) => {
                    assert_eq!(
                        l.frame,
                        format!("{{\"stream\":\"x@trade\",\"data\":{{\"n\":{}}}}}", l.line)
                            .as_bytes()
                    );
                    seen.push(l.ts_recv.as_nanos());
                }
                Ok(Some(Next::Malformed { line, error })) => panic!("line {line}: {error}"),
                Ok(None) => panic!("a cut gzip read to its end"),
                Err(e) => break e,
            }
        };
        let n = seen.len() as u64;
        assert_eq!(
            seen,
            (1..=n).collect::<Vec<_>>(),
            "complete lines, in order"
        );
        // Everything flushed before the cut decodes: at most the last 50 lines are lost.
        let floor = if at == 0.0 {
            2_000
        } else {
            (2_000.0 * at) as u64 - 150
        };
        assert!(n >= floor, "{n} lines read before the cut at {cut}");
        let msg = err.to_string();
        assert!(
            msg.contains("cut.gz") && msg.contains(&format!("after line {n}")),
            "{msg}"
        );
        assert!(
            r.next_line().unwrap().is_none(),
            "the stream ends after the error"
        );
        let stop = r.truncation().unwrap();
        assert_eq!(stop.after_line, n);
        assert!(
            stop.to_string().contains(&format!("after line {n}")),
            "{stop}"
        );
    }

    #[test]
    fn complete_gzip_has_no_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("whole.gz");
        std::fs::write(&p, gzip_lines(10)).unwrap();
        let mut r = CaptureReader::open(&p).unwrap();
        while r.next_line().unwrap().is_some() {}
        assert_eq!(r.truncation(), None);
        assert_eq!(r.line_number(), 10);
    }
}
