//! The capture side of `ladder bench`: the capture loaded into memory once, then replayed by a
//! feed thread that reads, decodes, sequences and pushes each frame into the SPSC ring, at full
//! speed or on a fixed-rate schedule.

use super::PassSync;
use crate::capture::{CaptureError, CaptureReader, Next};
use crate::clock::tsc::{self, TscScale};
use crate::feed::Venue;
use crate::feed::binance::{Decoded, Decoder, Sequencer, SyncRule, snapshot_owner};
use crate::hot::ring::RingProducer;
use crate::hot::stamps::{StampedEvent, closes_frame};
use crate::instrument::Registry;
use crate::replay::EventSink;
use ladder_sdk::{MarketEvent, UnixNanos};
use std::path::Path;
use std::sync::Arc;

/// A capture's frames in memory (reading and gunzipping stay out of the measurement).
#[derive(Debug, Default)]
pub(crate) struct Frames {
    data: Vec<u8>,
    lines: Vec<(UnixNanos, usize, usize)>,
    pub(crate) malformed: u64,
}

impl Frames {
    pub(crate) fn load(path: &Path) -> Result<Self, CaptureError> {
        let mut reader = CaptureReader::open(path)?;
        let mut out = Frames::default();
        while let Some(next) = reader.next_line()? {
            match next {
                Next::Line(l) => {
                    let start = out.data.len();
                    out.data.extend_from_slice(l.frame);
                    out.lines.push((l.ts_recv, start, l.frame.len()));
                }
                Next::Malformed { .. } => out.malformed += 1,
            }
        }
        Ok(out)
    }

    pub(crate) fn len(&self) -> usize {
        self.lines.len()
    }

    fn get(&self, k: usize) -> (UnixNanos, &[u8]) {
        let (ts, start, len) = self.lines[k];
        (ts, &self.data[start..start + len])
    }
}

/// What the feed thread needs.
pub(crate) struct FeedJob {
    pub(crate) frames: Arc<Frames>,
    pub(crate) venue: Venue,
    pub(crate) registry: Arc<Registry>,
    pub(crate) producer: RingProducer,
    pub(crate) rate: Option<f64>,
    pub(crate) in_flight: u32,
    pub(crate) sync: Arc<PassSync>,
    pub(crate) core: Option<usize>,
}

/// What the feed thread saw.
#[derive(Debug, Clone, Default)]
pub(crate) struct FeedOutcome {
    /// Times a push found the ring full and waited (back-pressure instead of resync).
    pub(crate) full_waits: u64,
    pub(crate) decode_errors: u64,
    pub(crate) gaps: u64,
    pub(crate) events: u64,
}

/// Replays every pass: waits until the hot thread is ready for the pass, then pushes every
/// frame's events, then marks the pass done.
pub(crate) fn feed_thread(mut job: FeedJob) -> FeedOutcome {
    if let Some(c) = job.core {
        super::pin_to(c);
    }
    let scale = TscScale::get();
    let interval = job.rate.map(|r| scale.ticks_per_ns() * 1e9 / r);
    let rule = SyncRule::for_venue(job.venue);
    let mut out = FeedOutcome::default();
    let passes = job.sync.passes();
    for pass in 0..passes {
        if !job.sync.wait_ready(pass) {
            break;
        }
        let mut decoder = Decoder::new();
        let mut seqs: Vec<Sequencer> = job
            .registry
            .iter()
            .map(|i| Sequencer::new(i.id, rule))
            .collect();
        let start = tsc::now();
        job.sync.set_start(pass, start);
        let mut sent = 0u64;
        for k in 0..job.frames.len() {
            if job.in_flight > 0 {
                while sent.saturating_sub(job.sync.done()) >= u64::from(job.in_flight) {
                    std::hint::spin_loop();
                }
            }
            let sched = match interval {
                Some(ticks) => {
                    let due = start + (k as f64 * ticks) as u64;
                    while tsc::now() < due {
                        std::hint::spin_loop();
                    }
                    due
                }
                None => 0,
            };
            let (ts_recv, frame) = job.frames.get(k);
            let t0 = tsc::now();
            let decoded = decoder.decode(frame, ts_recv, &job.registry);
            let t1 = tsc::now();
            let producer = &mut job.producer;
            let (full_waits, events) = (&mut out.full_waits, &mut out.events);
            let mut closed = false;
            let mut sink = EventSink {
                ts_recv,
                ts_exchange: UnixNanos::ZERO,
                emit: |ev: &MarketEvent| {
                    let stamped = StampedEvent {
                        sched,
                        t0,
                        t1,
                        ..StampedEvent::unstamped(*ev)
                    };
                    *events += 1;
                    closed |= closes_frame(ev);
                    while !producer.try_push_stamped(stamped) {
                        *full_waits += 1;
                        std::hint::spin_loop();
                    }
                },
            };
            match decoded {
                Ok(Decoded::Depth(h)) => {
                    seqs[h.instrument.index()].on_depth(
                        &h,
                        decoder.bids(),
                        decoder.asks(),
                        &mut sink,
                    );
                }
                Ok(Decoded::Snapshot(s)) => {
                    let id = match s.instrument {
                        Some(id) => Some(id),
                        None => snapshot_owner(s.last_update_id, &seqs)
                            .filter(|&id| decoder.resolve_snapshot(job.registry.get(id)).is_ok()),
                    };
                    match id {
                        Some(id) => {
                            sink.ts_exchange = s.ts_exchange;
                            seqs[id.index()].on_snapshot(
                                s.last_update_id,
                                decoder.bids(),
                                decoder.asks(),
                                &mut sink,
                            );
                        }
                        None => out.decode_errors += 1,
                    }
                }
                Ok(Decoded::Trade(t)) => (sink.emit)(&MarketEvent::Trade(t)),
                Ok(Decoded::BookTicker(b)) => (sink.emit)(&MarketEvent::Bbo(b)),
                Ok(_) => {}
                Err(_) => out.decode_errors += 1,
            }
            if closed {
                sent += 1;
            }
        }
        out.gaps += seqs.iter().map(|s| s.stats().gaps).sum::<u64>();
        job.sync.finish(pass);
    }
    out
}
