//! Capture files: one frame per line, `<ts_recv_unix_ns> <frame>`, plain text or gzip.
//!
//! This is what `ladder record` writes and `ladder replay` / `ladder inspect` read, and the
//! format of the real captures in `shared/captures/` (`docs/venues.md` §9). Gzip is detected by
//! its magic bytes, not the file name. Reading streams line by line into one reused buffer, so
//! memory stays constant on a file of any size. A malformed line is reported with its line
//! number and skipped; reading goes on.

use flate2::read::MultiGzDecoder;
use ladder_sdk::UnixNanos;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why a capture could not be opened or read.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// The file could not be opened.
    #[error("cannot open capture {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Reading failed (a truncated or corrupt gzip stream, say).
    #[error("cannot read capture {path} after line {line}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Last line read successfully.
        line: u64,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
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
pub struct CaptureReader {
    path: PathBuf,
    inner: Box<dyn BufRead + Send>,
    buf: Vec<u8>,
    line: u64,
    compressed: bool,
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
        let open_err = |source| CaptureError::Open {
            path: path.clone(),
            source,
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
        Ok(Self {
            path,
            inner,
            buf: Vec::with_capacity(1 << 16),
            line: 0,
            compressed,
        })
    }

    /// Reads from any source (tests, stdin); `name` is used in messages.
    pub fn from_reader(name: impl Into<PathBuf>, reader: impl Read + Send + 'static) -> Self {
        Self {
            path: name.into(),
            inner: Box::new(BufReader::new(reader)),
            buf: Vec::new(),
            line: 0,
            compressed: false,
        }
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

    /// The next non-empty line, `Ok(None)` at the end of the file, or an error if the file
    /// cannot be read further (a corrupt gzip stream: reading cannot go on).
    pub fn next_line(&mut self) -> Result<Option<Next<'_>>, CaptureError> {
        loop {
            self.buf.clear();
            let n = self
                .inner
                .read_until(b'\n', &mut self.buf)
                .map_err(|source| CaptureError::Read {
                    path: self.path.clone(),
                    line: self.line,
                    source,
                })?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            if !self.buf.trim_ascii().is_empty() {
                break;
            }
        }
        let line = self.line;
        Ok(Some(match parse_line(self.buf.trim_ascii()) {
            Ok((ts_recv, frame)) => Next::Line(CaptureLine {
                line,
                ts_recv,
                frame,
            }),
            Err(error) => Next::Malformed { line, error },
        }))
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
}
