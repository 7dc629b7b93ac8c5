//! The one capture pipeline: capture lines to sequenced events and counters.
//!
//! ```text
//! Captures (one or more files, merged) -> Timeline (monotonic event time)
//!     -> Books (the venue's decoder + sequencers) -> EventOut
//! ```
//!
//! `inspect`, `replay`, `bench`, `record`'s book check, `fit-microprice` and the tests and
//! benches all read captures through this. An integrity fault shows as a
//! `Status(Stale, reason)` event at the receive time of the line that showed it (a fault shown
//! by a snapshot carries no time of its own), after the events the line produced; a fault of a
//! whole connection (Coinbase's `sequence_num`) shows as one for every book it left stale.
//!
//! A line a venue's decoder does not read that is ladder's recorded REST snapshot,
//! `{"stream":"<symbol>@depthSnapshot","data":<body>}` (what `ladder record` writes), goes to
//! that symbol's book as a REST body ([`FeedBooks::on_snapshot_body`]): how OKX's REST join is
//! read back (Binance's decoder reads the envelope itself).

use super::clock::{ClockReport, Timeline};
use super::merge::{CaptureInput, Captures};
use super::{CaptureError, LineError, Next, Truncation};
use crate::feed::books::{BookView, EventOut, FeedBooks, Frame, FrameError};
use crate::feed::{Venue, VenueBooks};
use crate::instrument::Registry;
use ladder_sdk::{BookState, BookStatus, InstrumentId, MarketEvent, UnixNanos};

/// The books of every venue of a registry, fed line by line.
#[derive(Debug)]
pub struct Books {
    venues: Vec<VenueBooks>,
}

impl Books {
    /// Books for every instrument of `registry`, one [`VenueBooks`] per venue.
    pub fn new(registry: &Registry) -> Self {
        Self {
            venues: registry
                .venues()
                .into_iter()
                .map(|v| VenueBooks::new(v, registry))
                .collect(),
        }
    }

    /// Decodes and sequences one frame of `venue` received at `ts_recv`; a fault is emitted
    /// as a stale status after the frame's events.
    ///
    /// # Hot path
    /// No allocation while books are synced (the venue lookup is a scan of a few entries).
    #[inline]
    pub fn on_line(
        &mut self,
        registry: &Registry,
        venue: Venue,
        ts_recv: UnixNanos,
        frame: &[u8],
        out: &mut impl EventOut,
    ) -> Result<Frame, FrameError> {
        let Some(books) = self.venues.iter_mut().find(|b| b.venue() == venue) else {
            return Err(FrameError::decode(NoInstruments(venue)));
        };
        let f = match books.on_frame(registry, ts_recv, frame, out) {
            Ok(f) => f,
            Err(e) => {
                let Some((symbol, body)) = recorded_snapshot(frame) else {
                    return Err(e);
                };
                let Some(inst) = registry.lookup(venue, symbol) else {
                    return Err(e);
                };
                books.on_snapshot_body(registry, inst.id, ts_recv, body, out)?
            }
        };
        let stale = |instrument| {
            MarketEvent::Status(BookStatus {
                instrument,
                state: BookState::Stale,
                reason: f.fault.map(|x| x.kind.stale_reason()),
                ts_recv,
            })
        };
        match (f.fault, f.instrument) {
            (Some(_), Some(instrument)) => out.event(stale(instrument)),
            // A connection-wide fault (Coinbase's `sequence_num`): every book of the venue it
            // left stale (a snapshot in the same frame may have synced its own book again).
            (Some(_), None) => {
                for &i in books.instruments() {
                    if books.view(i).is_some_and(|v| v.state == BookState::Stale) {
                        out.event(stale(i));
                    }
                }
            }
            (None, _) => {}
        }
        Ok(f)
    }

    /// One instrument's book, state and counters.
    pub fn view(&self, instrument: InstrumentId) -> Option<BookView<'_>> {
        self.venues.iter().find_map(|b| b.view(instrument))
    }

    /// Integrity faults over every book.
    pub fn gaps(&self) -> u64 {
        self.venues
            .iter()
            .flat_map(|b| b.instruments().iter().filter_map(|&i| b.view(i)))
            .map(|v| v.stats.gaps)
            .sum()
    }
}

/// The symbol and body of a recorded REST snapshot line,
/// `{"stream":"<symbol>@depthSnapshot","data":<body>}` exactly as `ladder record` writes it
/// (`record::tap::snapshot_line`).
pub fn recorded_snapshot(frame: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = frame.trim_ascii().strip_prefix(br#"{"stream":""#)?;
    let end = rest.iter().position(|&b| b == b'"')?;
    let (stream, rest) = rest.split_at(end);
    let symbol = stream.strip_suffix(b"@depthSnapshot")?;
    let body = rest.strip_prefix(br#"","data":"#)?.strip_suffix(b"}")?;
    (!symbol.is_empty() && !body.is_empty()).then_some((symbol, body))
}

/// A frame of a venue none of whose instruments is registered.
#[derive(Debug, thiserror::Error)]
#[error("no {0} instrument is registered for this frame")]
struct NoInstruments(Venue);

/// What one step of the pipeline read.
#[derive(Debug)]
pub enum Step {
    /// A line the books took.
    Frame {
        /// Its venue.
        venue: Venue,
        /// 1-based line number in its file.
        line: u64,
        /// Its event time (the receive stamp on the monotonic timeline).
        ts_recv: UnixNanos,
        /// What it was and did.
        frame: Frame,
    },
    /// A line that is not a capture line.
    Malformed {
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        error: LineError,
    },
    /// A frame the books could not use.
    Rejected {
        /// 1-based line number.
        line: u64,
        /// Why.
        error: FrameError,
    },
}

/// Captures through the books, line by line.
#[derive(Debug)]
pub struct Pipeline {
    captures: Captures,
    timeline: Timeline,
    books: Books,
    frames: u64,
    parse_errors: u64,
}

impl Pipeline {
    /// Opens `inputs` for the instruments of `registry`.
    pub fn open(inputs: &[CaptureInput], registry: &Registry) -> Result<Self, CaptureError> {
        Ok(Self::new(Captures::open(inputs)?, registry))
    }

    /// The pipeline over already opened captures.
    pub fn new(captures: Captures, registry: &Registry) -> Self {
        Self {
            captures,
            timeline: Timeline::new(),
            books: Books::new(registry),
            frames: 0,
            parse_errors: 0,
        }
    }

    /// Reads the next line and sends its events to `out`; `None` at the end of the captures.
    #[inline]
    pub fn step(&mut self, registry: &Registry, out: &mut impl EventOut) -> Option<Step> {
        self.step_with(registry, out, |_| {})
    }

    /// [`Pipeline::step`], calling `before` with a well-formed line's event time before its
    /// frame is decoded (replay paces and starts its per-frame stopwatch there).
    #[inline]
    pub fn step_with(
        &mut self,
        registry: &Registry,
        out: &mut impl EventOut,
        mut before: impl FnMut(UnixNanos),
    ) -> Option<Step> {
        let item = self.captures.next_item()?;
        self.frames += 1;
        let line = match item.next {
            Next::Line(l) => l,
            Next::Malformed { line, error } => {
                self.parse_errors += 1;
                return Some(Step::Malformed { line, error });
            }
        };
        // Before the first plausible stamp, event time is still zero.
        let ts_recv = self
            .timeline
            .step(line.line, line.ts_recv)
            .unwrap_or(UnixNanos::ZERO);
        before(ts_recv);
        match self
            .books
            .on_line(registry, item.venue, ts_recv, line.frame, out)
        {
            Ok(frame) => Some(Step::Frame {
                venue: item.venue,
                line: line.line,
                ts_recv,
                frame,
            }),
            Err(error) => {
                self.parse_errors += 1;
                Some(Step::Rejected {
                    line: line.line,
                    error,
                })
            }
        }
    }

    /// Runs to the end of the captures.
    pub fn run(&mut self, registry: &Registry, out: &mut impl EventOut) {
        while self.step(registry, out).is_some() {}
    }

    /// The books.
    pub fn books(&self) -> &Books {
        &self.books
    }

    /// Lines read (malformed ones included).
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Malformed lines and frames the books could not use.
    pub fn parse_errors(&self) -> u64 {
        self.parse_errors
    }

    /// Integrity faults over every book.
    pub fn gaps(&self) -> u64 {
        self.books.gaps()
    }

    /// Clock anomalies of the receive stamps.
    pub fn clock(&self) -> ClockReport {
        self.timeline.report()
    }

    /// Where reading stopped early, if it did.
    pub fn truncation(&self) -> Option<&Truncation> {
        self.captures.truncation()
    }

    /// True if any capture is gzip-compressed.
    pub fn is_compressed(&self) -> bool {
        self.captures.is_compressed()
    }
}

/// Every event of `inputs`, through the pipeline, with the registry built for them
/// ([`build_registry`](super::grid::build_registry) with `configured` first): for tests and
/// benches that feed an engine from memory.
pub fn read_events(
    inputs: &[CaptureInput],
    configured: &[crate::config::InstrumentConfig],
) -> Result<(Registry, Vec<MarketEvent>), super::grid::RegistryBuildError> {
    let (registry, _) = super::grid::build_registry(inputs, configured, None)?;
    let mut events = Vec::new();
    Pipeline::open(inputs, &registry)?.run(&registry, &mut |e| events.push(e));
    Ok((registry, events))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::tap::snapshot_line;
    use ladder_sdk::InstrumentSpec;
    use rust_decimal::Decimal;

    #[test]
    fn recorded_snapshot_reads_the_recorders_envelope_only() {
        let body = br#"{"code":"0","msg":"","data":[{"asks":[],"bids":[],"ts":"1","seqId":7}]}"#;
        let (line, _) = snapshot_line(UnixNanos::from_nanos(5), "BTC-USDT", body);
        let frame = &line[2..line.len() - 1];
        assert_eq!(
            recorded_snapshot(frame),
            Some((&b"btc-usdt"[..], &body[..]))
        );
        assert_eq!(
            recorded_snapshot(br#"{"stream":"btcusdt@trade","data":{}}"#),
            None
        );
        assert_eq!(
            recorded_snapshot(br#"{"stream":"@depthSnapshot","data":{}}"#),
            None
        );
        assert_eq!(recorded_snapshot(b"pong"), None);
    }

    /// OKX updates, then the recorder's line holding the REST body that joins them.
    #[test]
    fn okx_recorded_rest_snapshot_joins_the_buffered_updates_of_its_symbol() {
        let mut registry = Registry::new();
        let spec = InstrumentSpec::new(Decimal::new(1, 1), Decimal::new(1, 3)).unwrap();
        registry.add(Venue::Okx, "ETH-USDT", spec).unwrap();
        let btc = registry.add(Venue::Okx, "BTC-USDT", spec).unwrap();
        let update = |prev: u64, seq: u64, px: &str| {
            format!(
                r#"{{"arg":{{"channel":"books","instId":"BTC-USDT"}},"action":"update","data":[{{"asks":[],"bids":[["{px}","1","0","1"]],"ts":"1","checksum":0,"prevSeqId":{prev},"seqId":{seq}}}]}}"#
            )
        };
        let rest = br#"{"code":"0","msg":"","data":[{"asks":[["101.0","2","0","1"]],"bids":[["99.0","3","0","1"]],"ts":"1","seqId":12}]}"#;
        let (line, _) = snapshot_line(UnixNanos::from_nanos(3), "BTC-USDT", rest);
        let mut books = Books::new(&registry);
        let mut sink = crate::feed::books::Discard;
        let t = UnixNanos::from_nanos(1);
        for f in [update(5, 10, "98.0"), update(10, 15, "99.5")] {
            books
                .on_line(&registry, Venue::Okx, t, f.as_bytes(), &mut sink)
                .unwrap();
        }
        let frame = books
            .on_line(
                &registry,
                Venue::Okx,
                t,
                &line[2..line.len() - 1],
                &mut sink,
            )
            .unwrap();
        assert_eq!((frame.instrument, frame.fault), (Some(btc), None));
        let v = books.view(btc).unwrap();
        assert_eq!(v.state, BookState::Synced);
        assert_eq!(v.last_update_id, Some(15), "joined at 10 <= 12 < 15");
        assert_eq!(v.book.best_bid().map(|l| l.price.ticks()), Some(995));
        let err = books
            .on_line(
                &registry,
                Venue::Okx,
                t,
                br#"{"stream":"doge-usdt@depthSnapshot","data":{}}"#,
                &mut sink,
            )
            .unwrap_err();
        assert!(
            err.to_string().contains("not an OKX market-data message"),
            "{err}"
        );
    }
}
