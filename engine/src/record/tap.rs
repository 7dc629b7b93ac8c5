//! The frame tap of `ladder record`: turns every raw frame and REST snapshot body the live
//! connector sees into one capture line and hands it to the writer thread through a bounded
//! channel.
//!
//! Runs on the feed thread. When the channel is full the tap waits up to [`BLOCK`] for room
//! (the feed thread stalls briefly; the venue's frames queue up in the socket meanwhile); if the
//! writer is still behind, the line is dropped and counted, and later lines are offered without
//! waiting until the channel has room again, so a stuck disk cannot stall the feed for long.
//! Nothing is lost silently: drops are counted, reported and make `ladder record` fail.

use crossbeam::channel::{SendTimeoutError, Sender, TrySendError};
use ladder_sdk::UnixNanos;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::feed::live::FrameTap;

/// Longest wait for room in the channel before a line is dropped.
pub const BLOCK: Duration = Duration::from_millis(200);

/// What the tap sends the writer.
#[derive(Debug)]
pub(crate) enum Msg {
    /// One complete capture line, newline included.
    Line(Vec<u8>),
    /// No more lines: finish the file and stop.
    Close,
}

/// Counters of a [`RecordTap`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TapCounts {
    /// WebSocket frames seen.
    pub frames: u64,
    /// REST snapshot bodies seen.
    pub snapshots: u64,
    /// Lines dropped because the writer fell behind (or stopped).
    pub dropped: u64,
    /// Frames whose CR/LF bytes were turned into spaces to keep one frame per line.
    pub rewritten: u64,
}

/// A [`FrameTap`] writing capture lines into a bounded channel.
#[derive(Debug)]
pub struct RecordTap {
    tx: Sender<Msg>,
    frames: AtomicU64,
    snapshots: AtomicU64,
    dropped: AtomicU64,
    rewritten: AtomicU64,
    lagging: AtomicBool,
}

impl RecordTap {
    pub(crate) fn new(tx: Sender<Msg>) -> Self {
        Self {
            tx,
            frames: AtomicU64::new(0),
            snapshots: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            rewritten: AtomicU64::new(0),
            lagging: AtomicBool::new(false),
        }
    }

    /// Counters so far.
    pub fn counts(&self) -> TapCounts {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        TapCounts {
            frames: g(&self.frames),
            snapshots: g(&self.snapshots),
            dropped: g(&self.dropped),
            rewritten: g(&self.rewritten),
        }
    }

    fn send(&self, line: Vec<u8>) {
        let msg = match self.tx.try_send(Msg::Line(line)) {
            Ok(()) => {
                self.lagging.store(false, Ordering::Relaxed);
                return;
            }
            Err(TrySendError::Full(m)) if !self.lagging.load(Ordering::Relaxed) => m,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
        };
        match self.tx.send_timeout(msg, BLOCK) {
            Ok(()) => {}
            Err(SendTimeoutError::Timeout(_)) => {
                self.lagging.store(true, Ordering::Relaxed);
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Err(SendTimeoutError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Appends `bytes` with CR and LF turned into spaces (JSON allows either as whitespace between
/// tokens, and a JSON string cannot hold a raw one); `true` if any was.
fn push_one_line(line: &mut Vec<u8>, bytes: &[u8]) -> bool {
    let start = line.len();
    line.extend_from_slice(bytes);
    let mut changed = false;
    for b in &mut line[start..] {
        if *b == b'\n' || *b == b'\r' {
            *b = b' ';
            changed = true;
        }
    }
    changed
}

/// `<ts_recv> <frame>\n`.
pub fn frame_line(ts_recv: UnixNanos, frame: &[u8]) -> (Vec<u8>, bool) {
    let mut line = Vec::with_capacity(frame.len() + 22);
    line.extend_from_slice(ts_recv.as_nanos().to_string().as_bytes());
    line.push(b' ');
    let changed = push_one_line(&mut line, frame.trim_ascii());
    line.push(b'\n');
    (line, changed)
}

/// `<ts_recv> {"stream":"<symbol>@depthSnapshot","data":<body>}\n`: ladder's envelope of a REST
/// depth snapshot, which names its symbol (lowercase, like Binance stream names).
pub fn snapshot_line(ts_recv: UnixNanos, symbol: &str, body: &[u8]) -> (Vec<u8>, bool) {
    let mut line = Vec::with_capacity(body.len() + symbol.len() + 64);
    line.extend_from_slice(ts_recv.as_nanos().to_string().as_bytes());
    line.extend_from_slice(b" {\"stream\":\"");
    line.extend_from_slice(symbol.to_ascii_lowercase().as_bytes());
    line.extend_from_slice(b"@depthSnapshot\",\"data\":");
    let changed = push_one_line(&mut line, body.trim_ascii());
    line.extend_from_slice(b"}\n");
    (line, changed)
}

impl FrameTap for RecordTap {
    fn frame(&self, ts_recv: UnixNanos, frame: &[u8]) {
        self.frames.fetch_add(1, Ordering::Relaxed);
        let (line, changed) = frame_line(ts_recv, frame);
        if changed {
            self.rewritten.fetch_add(1, Ordering::Relaxed);
        }
        self.send(line);
    }

    fn snapshot(&self, ts_recv: UnixNanos, symbol: &str, body: &[u8]) {
        self.snapshots.fetch_add(1, Ordering::Relaxed);
        let (line, changed) = snapshot_line(ts_recv, symbol, body);
        if changed {
            self.rewritten.fetch_add(1, Ordering::Relaxed);
        }
        self.send(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::parse_line;
    use crate::capture::pipeline::Books;
    use crate::feed::Venue;
    use crate::feed::books::FrameKind;
    use crate::instrument::Registry;
    use ladder_sdk::InstrumentSpec;
    use ladder_sdk::{MarketEvent, Side};
    use rust_decimal::Decimal;

    #[test]
    fn frame_line_is_a_capture_line_with_the_exact_frame() {
        let frame = br#"{"stream":"btcusdt@trade","data":{"e":"trade"}}"#;
        let (line, changed) = frame_line(UnixNanos::from_nanos(1_723_161_253_937_085_768), frame);
        assert!(!changed);
        assert_eq!(line.last(), Some(&b'\n'));
        let (ts, got) = parse_line(&line[..line.len() - 1]).unwrap();
        assert_eq!(ts.as_nanos(), 1_723_161_253_937_085_768);
        assert_eq!(got, frame);
    }

    #[test]
    fn frame_line_turns_newlines_into_spaces() {
        let (line, changed) = frame_line(UnixNanos::from_nanos(5), b"{\"a\":\n1}");
        assert!(changed);
        assert_eq!(line, b"5 {\"a\": 1}\n");
    }

    #[test]
    fn snapshot_line_names_the_symbol_and_decodes_as_its_snapshot() {
        let body = br#"{"lastUpdateId":42,"bids":[["100.5","1"]],"asks":[["100.6","2"]]}"#;
        let (line, _) = snapshot_line(UnixNanos::from_nanos(9), "ETHUSDT", body);
        let mut registry = Registry::new();
        let spec = InstrumentSpec::new(Decimal::new(1, 2), Decimal::new(1, 4)).unwrap();
        registry.add(Venue::BinanceSpot, "BTCUSDT", spec).unwrap();
        let eth = registry.add(Venue::BinanceSpot, "ETHUSDT", spec).unwrap();
        let (ts, frame) = parse_line(&line[..line.len() - 1]).unwrap();
        let mut books = Books::new(&registry);
        let mut events = Vec::new();
        let got = books
            .on_line(&registry, Venue::BinanceSpot, ts, frame, &mut |e| {
                events.push(e)
            })
            .unwrap();
        assert_eq!((got.kind, got.instrument), (FrameKind::Snapshot, Some(eth)));
        let view = books.view(eth).unwrap();
        assert_eq!(view.last_update_id, Some(42));
        assert_eq!(
            (view.book.len(Side::Buy), view.book.len(Side::Sell)),
            (1, 1)
        );
        assert!(matches!(events[0], MarketEvent::SnapshotBegin(_)));
    }

    #[test]
    fn full_channel_waits_then_drops_and_counts() {
        let (tx, rx) = crossbeam::channel::bounded(1);
        let tap = RecordTap::new(tx);
        tap.frame(UnixNanos::from_nanos(1), b"{}");
        let t = std::time::Instant::now();
        tap.frame(UnixNanos::from_nanos(2), b"{}");
        assert!(t.elapsed() >= BLOCK, "waited for room first");
        // Lagging: the next drop does not wait.
        let t = std::time::Instant::now();
        tap.frame(UnixNanos::from_nanos(3), b"{}");
        assert!(t.elapsed() < BLOCK);
        assert_eq!(tap.counts().dropped, 2);
        assert_eq!(tap.counts().frames, 3);
        // Room again: lines go through and the tap waits again when full.
        assert!(matches!(rx.recv().unwrap(), Msg::Line(l) if l == b"1 {}\n"));
        tap.frame(UnixNanos::from_nanos(4), b"{}");
        assert!(matches!(rx.recv().unwrap(), Msg::Line(l) if l == b"4 {}\n"));
        assert_eq!(tap.counts().dropped, 2);
        drop(rx);
        tap.snapshot(UnixNanos::from_nanos(5), "BTCUSDT", b"{}");
        assert_eq!(tap.counts().dropped, 3, "a closed writer counts as a drop");
    }
}
