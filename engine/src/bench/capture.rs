//! The capture side of `ladder bench`: the capture loaded into memory once, then replayed by a
//! feed thread that reads, decodes, sequences and pushes each frame into the SPSC ring, at full
//! speed or on a fixed-rate schedule.

use super::PassSync;
use crate::capture::merge::{CaptureInput, Captures};
use crate::capture::pipeline::Books;
use crate::capture::{CaptureError, Next};
use crate::clock::tsc::{self, TscScale};
use crate::feed::Venue;
use crate::feed::books::EventOut;
use crate::hot::ring::RingProducer;
use crate::hot::stamps::{StampedEvent, closes_frame};
use crate::instrument::Registry;
use ladder_sdk::{MarketEvent, UnixNanos};
use std::sync::Arc;

/// A capture's frames in memory (reading and gunzipping stay out of the measurement).
#[derive(Debug, Default)]
pub(crate) struct Frames {
    data: Vec<u8>,
    lines: Vec<(Venue, UnixNanos, usize, usize)>,
    pub(crate) malformed: u64,
}

impl Frames {
    /// Reads `inputs` in the capture pipeline's merged order; a capture that cannot be read to
    /// its end is an error (a benchmark of part of a file would mislead).
    pub(crate) fn load(inputs: &[CaptureInput]) -> Result<Self, CaptureError> {
        let mut captures = Captures::open(inputs)?;
        let mut out = Frames::default();
        while let Some(item) = captures.next_item() {
            match item.next {
                Next::Line(l) => {
                    let start = out.data.len();
                    out.data.extend_from_slice(l.frame);
                    out.lines
                        .push((item.venue, l.ts_recv, start, l.frame.len()));
                }
                Next::Malformed { .. } => out.malformed += 1,
            }
        }
        if let Some(stop) = captures.truncation() {
            return Err(CaptureError::Truncated(stop.clone()));
        }
        Ok(out)
    }

    pub(crate) fn len(&self) -> usize {
        self.lines.len()
    }

    fn get(&self, k: usize) -> (Venue, UnixNanos, &[u8]) {
        let (venue, ts, start, len) = self.lines[k];
        (venue, ts, &self.data[start..start + len])
    }
}

/// What the feed thread needs.
pub(crate) struct FeedJob {
    pub(crate) frames: Arc<Frames>,
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
    let mut out = FeedOutcome::default();
    let passes = job.sync.passes();
    for pass in 0..passes {
        if !job.sync.wait_ready(pass) {
            break;
        }
        let mut books = Books::new(&job.registry);
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
            let (venue, ts_recv, frame) = job.frames.get(k);
            let t0 = tsc::now();
            let mut push = Push {
                producer: &mut job.producer,
                sched,
                t0,
                t1: 0,
                full_waits: &mut out.full_waits,
                events: &mut out.events,
                closed: false,
            };
            if books
                .on_line(&job.registry, venue, ts_recv, frame, &mut push)
                .is_err()
            {
                out.decode_errors += 1;
            }
            if push.closed {
                sent += 1;
            }
        }
        out.gaps += books.gaps();
        job.sync.finish(pass);
    }
    out
}

/// Stamps and pushes one frame's events into the ring, waiting while it is full.
struct Push<'a> {
    producer: &'a mut RingProducer,
    sched: u64,
    t0: u64,
    t1: u64,
    full_waits: &'a mut u64,
    events: &'a mut u64,
    /// A frame-closing event was pushed.
    closed: bool,
}

impl EventOut for Push<'_> {
    #[inline]
    fn decoded(&mut self) {
        self.t1 = tsc::now();
    }

    #[inline]
    fn event(&mut self, ev: MarketEvent) {
        let stamped = StampedEvent {
            sched: self.sched,
            t0: self.t0,
            t1: self.t1,
            ..StampedEvent::unstamped(ev)
        };
        *self.events += 1;
        self.closed |= closes_frame(&ev);
        while !self.producer.try_push_stamped(stamped) {
            *self.full_waits += 1;
            std::hint::spin_loop();
        }
    }
}
