//! Read-ahead for [`super::CaptureReader`]: a thread inflates the capture, splits it into lines
//! and parses each line's timestamp, handing batches of lines to the reader through a bounded
//! ring, so gzip inflation and line splitting overlap the work done on each line (decode, book,
//! strategies in `replay`; the grid scan before it).
//!
//! ```text
//! file -> gzip -> [ladder-capture thread: read_until, parse_line] -> Batch ==full==> reader
//!                                              ^                                   |
//!                                              +============== free ===============+
//! ```
//!
//! Batches are recycled through a second channel, so once [`RING`] + 2 batches exist nothing
//! is allocated per line on either side (a batch grows to its largest line once). Memory is
//! bounded: at most `RING + 2` batches of about [`BATCH_BYTES`] each (plus one line of at most
//! [`super::MAX_LINE_BYTES`]). The lines, their numbers, every malformed-line verdict and the
//! read error that ends a damaged file arrive in the order a single thread would have met them,
//! so everything downstream (replay determinism included) is unchanged.

use super::grid::GridTap;
use super::{LineError, parse_line};
use crossbeam::channel::{Receiver, Sender, bounded};
use ladder_sdk::UnixNanos;
use std::io::{self, BufRead, Read};
use std::sync::PoisonError;

/// Batches in flight between the read-ahead thread and the reader.
pub(super) const RING: usize = 4;

/// A batch is handed over once it holds this many bytes of lines (or [`BATCH_LINES`] lines).
pub(super) const BATCH_BYTES: usize = 256 << 10;

/// Most lines in one batch.
const BATCH_LINES: usize = 4096;

/// One non-empty line of a batch: its number and its frame's range in [`Batch::data`], or what
/// is wrong with it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Entry {
    /// 1-based line number in the (decompressed) file.
    pub(super) line: u64,
    /// The stamp and the frame's `start..end` in the batch's bytes, or the line's fault.
    pub(super) parsed: Result<(UnixNanos, usize, usize), LineError>,
}

/// How the file ended, after the last entry of the last batch.
#[derive(Debug)]
pub(super) enum Stop {
    /// The end of the file; `line` lines were read (blank ones included).
    End {
        /// Lines read.
        line: u64,
    },
    /// A read error (a gzip stream cut short or corrupt); `line` lines were read in full.
    Error {
        /// Lines read in full before the error.
        line: u64,
        /// The error.
        error: io::Error,
    },
}

/// Consecutive lines of a capture.
#[derive(Debug, Default)]
pub(super) struct Batch {
    /// The bytes of the lines (each line's own bytes, newline included).
    pub(super) data: Vec<u8>,
    /// The non-empty lines, in order.
    pub(super) entries: Vec<Entry>,
    /// Set on the last batch of the file.
    pub(super) stop: Option<Stop>,
}

/// What one raw read gave.
enum Raw {
    /// A line was appended (its newline, if any, included).
    Line,
    /// A line over the limit was skipped.
    TooLong,
    /// The end of the file.
    End,
}

/// The reading side: the decompressed byte stream and the line count.
pub(super) struct LineSource {
    inner: Box<dyn BufRead + Send>,
    line: u64,
    max_line: usize,
    /// Counts the values of every well-formed frame, batch by batch (`replay`'s grid check).
    tap: Option<GridTap>,
}

impl LineSource {
    /// Lines of `inner`, each at most `max_line` bytes.
    pub(super) fn new(inner: Box<dyn BufRead + Send>, max_line: usize) -> Self {
        Self {
            inner,
            line: 0,
            max_line,
            tap: None,
        }
    }

    /// Counts every well-formed frame into `tap` before its batch is handed over.
    pub(super) fn set_tap(&mut self, tap: GridTap) {
        self.tap = Some(tap);
    }

    /// Sets the longest line read.
    pub(super) fn set_max_line(&mut self, bytes: usize) {
        self.max_line = bytes;
    }

    /// Refills `b` (emptied first) with the next lines, up to about [`BATCH_BYTES`]; sets
    /// `b.stop` at the end of the file or at a read error (whatever partial line came before
    /// the error is dropped: only complete lines are kept). Blank lines are counted, not kept.
    ///
    /// With a tap, every well-formed frame of the batch is then counted into it, under one lock
    /// per batch: when the reader receives the last batch, the tap holds the whole file.
    pub(super) fn fill(&mut self, b: &mut Batch) {
        self.fill_lines(b);
        if let Some(tap) = &self.tap {
            let mut scan = tap.lock().unwrap_or_else(PoisonError::into_inner);
            for e in &b.entries {
                if let Ok((_, start, end)) = e.parsed {
                    scan.add(&b.data[start..end]);
                }
            }
        }
    }

    fn fill_lines(&mut self, b: &mut Batch) {
        b.data.clear();
        b.entries.clear();
        b.stop = None;
        while b.data.len() < BATCH_BYTES && b.entries.len() < BATCH_LINES {
            let start = b.data.len();
            match self.read_raw(&mut b.data) {
                Ok(Raw::End) => {
                    b.stop = Some(Stop::End { line: self.line });
                    return;
                }
                Ok(Raw::TooLong) => {
                    self.line += 1;
                    b.data.truncate(start);
                    b.entries.push(Entry {
                        line: self.line,
                        parsed: Err(LineError::TooLong {
                            limit: self.max_line,
                        }),
                    });
                }
                Ok(Raw::Line) => {
                    self.line += 1;
                    let raw = &b.data[start..];
                    let text = raw.trim_ascii();
                    if text.is_empty() {
                        b.data.truncate(start);
                        continue;
                    }
                    // The frame ends where the trimmed line ends.
                    let end = start + (raw.len() - raw.trim_ascii_start().len()) + text.len();
                    let parsed =
                        parse_line(text).map(|(ts_recv, frame)| (ts_recv, end - frame.len(), end));
                    b.entries.push(Entry {
                        line: self.line,
                        parsed,
                    });
                }
                Err(error) => {
                    b.data.truncate(start);
                    b.stop = Some(Stop::Error {
                        line: self.line,
                        error,
                    });
                    return;
                }
            }
        }
    }

    /// Appends one line to `buf`, at most `max_line` bytes and its newline; a longer line is
    /// consumed up to its newline without being kept (and `buf` is left as it was).
    fn read_raw(&mut self, buf: &mut Vec<u8>) -> io::Result<Raw> {
        let start = buf.len();
        let limit = self.max_line as u64 + 1;
        let n = (&mut self.inner).take(limit).read_until(b'\n', buf)?;
        if n == 0 {
            return Ok(Raw::End);
        }
        if (n as u64) < limit || buf.last() == Some(&b'\n') {
            return Ok(Raw::Line);
        }
        buf.truncate(start);
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                return Ok(Raw::TooLong);
            }
            match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.inner.consume(i + 1);
                    return Ok(Raw::TooLong);
                }
                None => {
                    let all = chunk.len();
                    self.inner.consume(all);
                }
            }
        }
    }
}

/// The reader's end of a running read-ahead thread. Dropping it stops the thread at its next
/// hand-over (it is not joined: a source that blocks, such as a pipe, must not block the drop).
pub(super) struct Ahead {
    full: Receiver<Batch>,
    free: Sender<Batch>,
}

impl Ahead {
    /// Starts the read-ahead thread over `source`.
    pub(super) fn start(mut source: LineSource) -> io::Result<Self> {
        let (full_tx, full) = bounded::<Batch>(RING);
        // Room for every batch that can exist, so returning one never blocks.
        let (free, free_rx) = bounded::<Batch>(RING + 2);
        std::thread::Builder::new()
            .name("ladder-capture".into())
            .spawn(move || {
                loop {
                    let mut batch = free_rx.try_recv().unwrap_or_default();
                    source.fill(&mut batch);
                    let last = batch.stop.is_some();
                    if full_tx.send(batch).is_err() || last {
                        return;
                    }
                }
            })?;
        Ok(Self { full, free })
    }

    /// The next batch, waiting for the thread if it is behind; `old` goes back for reuse.
    ///
    /// # Hot path
    /// No allocation; once per batch (not per line), a wait on the channel when the thread is
    /// behind.
    pub(super) fn swap(&self, old: Batch) -> io::Result<Batch> {
        // The free channel has room for every batch; a full one only means the thread is gone.
        let _ = self.free.try_send(old);
        self.full
            .recv()
            .map_err(|_| io::Error::other("the capture read-ahead thread stopped"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Cursor};

    fn source(text: &[u8]) -> LineSource {
        LineSource::new(
            Box::new(BufReader::new(Cursor::new(text.to_vec()))),
            1 << 20,
        )
    }

    #[test]
    fn fill_splits_lines_into_batches_of_bounded_size_and_keeps_numbers() {
        let line = format!("1 {}\n", "x".repeat(1000));
        let n = 3 * BATCH_BYTES / line.len();
        let mut src = source(line.repeat(n).as_bytes());
        let (mut b, mut seen, mut batches) = (Batch::default(), 0u64, 0);
        loop {
            src.fill(&mut b);
            batches += 1;
            assert!(b.data.len() < BATCH_BYTES + line.len(), "batch bounded");
            for e in &b.entries {
                seen += 1;
                assert_eq!(e.line, seen);
                let (ts, s, end) = e.parsed.unwrap();
                assert_eq!((ts.as_nanos(), end - s), (1, 1000));
            }
            if b.stop.is_some() {
                break;
            }
        }
        assert_eq!(seen as usize, n);
        assert!(batches >= 3, "{batches} batches");
        assert!(matches!(b.stop, Some(Stop::End { line }) if line == n as u64));
    }

    #[test]
    fn ahead_delivers_every_batch_in_order_then_stops() {
        let text: String = (1..=20_000)
            .map(|i| format!("{i} {{\"n\":{i}}}\n"))
            .collect();
        let ahead = Ahead::start(source(text.as_bytes())).unwrap();
        let mut b = Batch::default();
        let mut next = 1u64;
        loop {
            b = ahead.swap(b).unwrap();
            for e in &b.entries {
                let (ts, s, end) = e.parsed.unwrap();
                assert_eq!((e.line, ts.as_nanos()), (next, next));
                assert_eq!(&b.data[s..end], format!("{{\"n\":{next}}}").as_bytes());
                next += 1;
            }
            if b.stop.is_some() {
                break;
            }
        }
        assert_eq!(next, 20_001);
    }
}
