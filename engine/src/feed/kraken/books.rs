//! Kraken's [`FeedBooks`]: the decoder, one [`Sequencer`] per instrument, and the one adapter
//! from the sequencer's decisions to normalized events ([`Emit`]).
//!
//! Snapshots come in the stream ([`FeedBooks::on_frame`]); there is no snapshot body to apply
//! ([`FeedBooks::on_snapshot_body`] says so). Each instrument's book is truncated to its
//! subscribed depth, learned from the subscription acknowledgement (v2 `result.depth`, v1
//! `subscription.depth`), from the message itself (v1 `book-1000`), or, when a capture holds
//! neither, from the first snapshot (the smallest depth Kraken serves that holds it). The live
//! side sets it from its own subscription ([`Books::set_depth`]). Faults are returned in
//! [`Frame::fault`], not emitted.

use super::checksum::Render;
use super::decode::{BookHeader, DecodeError, Decoded, Decoder};
use super::sync::{Outcome, Sequencer, SyncSink, depth_of_snapshot};
use crate::feed::Venue;
use crate::feed::books::{BookView, EventOut, FeedBooks, Frame, FrameError, FrameKind, SyncStats};
use crate::feed::events;
use crate::feed::integrity::Fault;
use crate::instrument::Registry;
use ladder_sdk::{BookMarker, InstrumentId, Level, MarketEvent, UnixNanos};

/// One instrument's sequencing.
#[derive(Debug)]
struct Slot {
    seq: Sequencer,
    /// The subscribed depth, once known.
    depth: Option<u32>,
    /// How the checksum writes this instrument (kept for a restart).
    render: Render,
    /// Counters of sequencers replaced by [`FeedBooks::restart`].
    before: SyncStats,
}

/// Kraken books of every registered Kraken instrument.
#[derive(Debug)]
pub struct Books {
    decoder: Decoder,
    ids: Vec<InstrumentId>,
    slots: Vec<Slot>,
    /// Registry index to slot.
    slot_of: Vec<Option<u32>>,
}

impl Books {
    /// Books for every Kraken instrument in `registry`, each awaiting its snapshot.
    pub fn new(registry: &Registry) -> Self {
        let mut slot_of = vec![None; registry.len()];
        let (mut ids, mut slots) = (Vec::new(), Vec::new());
        for inst in registry.iter().filter(|i| i.venue == Venue::Kraken) {
            slot_of[inst.id.index()] = u32::try_from(slots.len()).ok();
            ids.push(inst.id);
            let render = Render::new(&inst.spec);
            slots.push(Slot {
                seq: Sequencer::new(inst.id, render),
                depth: None,
                render,
                before: SyncStats::default(),
            });
        }
        Self {
            decoder: Decoder::new(),
            ids,
            slots,
            slot_of,
        }
    }

    /// The sequencer of `instrument`, for tests and callers that look inside.
    pub fn sequencer(&self, instrument: InstrumentId) -> Option<&Sequencer> {
        self.slot(instrument).map(|k| &self.slots[k].seq)
    }

    /// The depth `instrument`'s book is truncated to, once known.
    pub fn depth(&self, instrument: InstrumentId) -> Option<u32> {
        self.slot(instrument).and_then(|k| self.slots[k].depth)
    }

    /// Sets the depth `instrument` is subscribed at (the live side, which subscribes).
    pub fn set_depth(&mut self, instrument: InstrumentId, depth: u32) {
        if let Some(k) = self.slot(instrument) {
            self.slots[k].depth = Some(depth);
        }
    }

    #[inline]
    fn slot(&self, id: InstrumentId) -> Option<usize> {
        self.slot_of
            .get(id.index())
            .copied()
            .flatten()
            .map(|k| k as usize)
    }
}

impl FeedBooks for Books {
    fn venue(&self) -> Venue {
        Venue::Kraken
    }

    #[inline]
    fn on_frame(
        &mut self,
        registry: &Registry,
        ts_recv: UnixNanos,
        frame: &[u8],
        out: &mut impl EventOut,
    ) -> Result<Frame, FrameError> {
        let decoded = self
            .decoder
            .decode(frame, ts_recv, registry)
            .map_err(FrameError::decode)?;
        out.decoded();
        Ok(match decoded {
            Decoded::Book(h) => {
                let k = self
                    .slot(h.instrument)
                    // Not reached: the decoder looks symbols up among Kraken's instruments.
                    .ok_or_else(|| FrameError::decode(DecodeError::Unrecognized))?;
                let (bids, asks) = (self.decoder.bids(), self.decoder.asks());
                let slot = &mut self.slots[k];
                if let Some(d) = h.depth {
                    slot.depth = Some(d);
                } else if slot.depth.is_none() && h.snapshot {
                    slot.depth = Some(depth_of_snapshot(bids.len(), asks.len()));
                }
                // An update before any snapshot is discarded whatever the depth.
                let depth = slot.depth.unwrap_or(super::decode::DEPTHS[4]);
                let outcome = slot
                    .seq
                    .on_message(&h, depth, bids, asks, &mut Emit { out });
                Frame {
                    kind: if h.snapshot {
                        FrameKind::Snapshot
                    } else {
                        FrameKind::Depth
                    },
                    instrument: Some(h.instrument),
                    fault: match outcome {
                        Outcome::Fault(f) => Some(f),
                        _ => None,
                    },
                }
            }
            Decoded::Subscribed { instrument, depth } => {
                self.set_depth(instrument, depth);
                Frame::of(FrameKind::Control, Some(instrument))
            }
            Decoded::Trades(instrument) => {
                for t in self.decoder.trades() {
                    out.event(MarketEvent::Trade(*t));
                }
                Frame::of(FrameKind::Trade, Some(instrument))
            }
            Decoded::Control => Frame::of(FrameKind::Control, None),
            Decoded::Ignored => Frame::of(FrameKind::Ignored, None),
        })
    }

    fn on_snapshot_body(
        &mut self,
        _: &Registry,
        _: InstrumentId,
        _: UnixNanos,
        _: &[u8],
        _: &mut impl EventOut,
    ) -> Result<Frame, FrameError> {
        Err(FrameError::decode(DecodeError::NoRestSnapshot))
    }

    fn instruments(&self) -> &[InstrumentId] {
        &self.ids
    }

    fn view(&self, instrument: InstrumentId) -> Option<BookView<'_>> {
        let k = self.slot(instrument)?;
        let s = &self.slots[k];
        let mut stats = s.before;
        stats.add(s.seq.stats());
        Some(BookView {
            instrument,
            book: s.seq.book(),
            state: s.seq.state(),
            stats,
            // Kraken has no update ids.
            last_update_id: None,
        })
    }

    fn needs_snapshot(&self, instrument: InstrumentId) -> bool {
        self.slot(instrument)
            .is_some_and(|k| self.slots[k].seq.needs_snapshot())
    }

    /// Kraken buffers nothing: an update before its snapshot is of no use.
    fn has_pending(&self, _: InstrumentId) -> bool {
        false
    }

    fn invalidate(&mut self, instrument: InstrumentId) {
        if let Some(k) = self.slot(instrument) {
            self.slots[k].seq.invalidate();
        }
    }

    fn restart(&mut self, instrument: InstrumentId) {
        if let Some(k) = self.slot(instrument) {
            let s = &mut self.slots[k];
            s.before.add(s.seq.stats());
            s.seq = Sequencer::new(instrument, s.render);
        }
    }
}

/// The sequencer's decisions as [`MarketEvent`]s: a snapshot framed by `SnapshotBegin` /
/// `SnapshotEnd`, an update as its levels, both at the instrument's message count, the
/// venue's time and the receive time.
struct Emit<'a, O> {
    out: &'a mut O,
}

fn marker(h: &BookHeader, update_id: u64) -> BookMarker {
    BookMarker {
        instrument: h.instrument,
        update_id,
        ts_exchange: h.ts_exchange,
        ts_recv: h.ts_recv,
    }
}

impl<O: EventOut> SyncSink for Emit<'_, O> {
    fn snapshot(&mut self, h: &BookHeader, update_id: u64, bids: &[Level], asks: &[Level]) {
        events::snapshot(&marker(h, update_id), bids, asks, &mut |e| {
            self.out.event(e)
        });
    }

    fn delta(&mut self, h: &BookHeader, update_id: u64, bids: &[Level], asks: &[Level]) {
        events::levels(&marker(h, update_id), bids, asks, true, &mut |e| {
            self.out.event(e)
        });
    }

    /// Returned in [`Frame::fault`] instead.
    fn fault(&mut self, _: InstrumentId, _: Fault) {}
}
