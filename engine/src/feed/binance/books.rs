//! Binance's [`FeedBooks`]: the decoder, one [`Sequencer`] per instrument, and the rule for
//! which instrument a bare REST snapshot (a body that names no symbol) belongs to.
//!
//! The one adapter from the sequencer's decisions to normalized events lives here
//! ([`Emit`]); faults are not turned into events here but returned in [`Frame::fault`], so
//! each caller shows them its way (the capture pipeline as a stale status at the frame's time,
//! the live connector through its book state machine).

use super::decode::{DecodeError, Decoded, Decoder, DepthHeader};
use super::sync::{Sequencer, SyncRule, SyncSink, snapshot_owner};
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
    /// Counters of sequencers replaced by [`FeedBooks::restart`].
    before: SyncStats,
}

/// Binance books of one venue's instruments.
#[derive(Debug)]
pub struct Books {
    venue: Venue,
    rule: SyncRule,
    decoder: Decoder,
    ids: Vec<InstrumentId>,
    slots: Vec<Slot>,
    /// Registry index to slot.
    slot_of: Vec<Option<u32>>,
}

impl Books {
    /// Books for every instrument of `venue` in `registry`, each awaiting its snapshot.
    pub fn new(venue: Venue, registry: &Registry) -> Self {
        let rule = SyncRule::for_venue(venue);
        let mut slot_of = vec![None; registry.len()];
        let (mut ids, mut slots) = (Vec::new(), Vec::new());
        for inst in registry.iter().filter(|i| i.venue == venue) {
            slot_of[inst.id.index()] = u32::try_from(slots.len()).ok();
            ids.push(inst.id);
            slots.push(Slot {
                seq: Sequencer::new(inst.id, rule),
                before: SyncStats::default(),
            });
        }
        Self {
            venue,
            rule,
            decoder: Decoder::new(venue),
            ids,
            slots,
            slot_of,
        }
    }

    /// The sequencer of `instrument`, for tests that look inside.
    pub fn sequencer(&self, instrument: InstrumentId) -> Option<&Sequencer> {
        self.slot(instrument).map(|k| &self.slots[k].seq)
    }

    #[inline]
    fn slot(&self, id: InstrumentId) -> Option<usize> {
        self.slot_of
            .get(id.index())
            .copied()
            .flatten()
            .map(|k| k as usize)
    }

    fn apply_snapshot<O: EventOut>(
        &mut self,
        k: usize,
        last_update_id: u64,
        ts_exchange: UnixNanos,
        ts_recv: UnixNanos,
        out: &mut O,
    ) -> Frame {
        let mut sink = Emit {
            out,
            ts_recv,
            ts_exchange,
        };
        let (bids, asks) = (self.decoder.bids(), self.decoder.asks());
        let fault = self.slots[k]
            .seq
            .on_snapshot(last_update_id, bids, asks, &mut sink);
        Frame {
            kind: FrameKind::Snapshot,
            instrument: Some(self.ids[k]),
            fault,
        }
    }
}

impl FeedBooks for Books {
    fn venue(&self) -> Venue {
        self.venue
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
            Decoded::Depth(h) => {
                let Some(k) = self.slot(h.instrument) else {
                    return Ok(Frame::of(FrameKind::Ignored, None));
                };
                let mut sink = Emit {
                    out,
                    ts_recv,
                    ts_exchange: UnixNanos::ZERO,
                };
                let outcome = self.slots[k].seq.on_depth(
                    &h,
                    self.decoder.bids(),
                    self.decoder.asks(),
                    &mut sink,
                );
                Frame {
                    kind: FrameKind::Depth,
                    instrument: Some(h.instrument),
                    fault: match outcome {
                        super::DepthOutcome::Fault(f) => Some(f),
                        _ => None,
                    },
                }
            }
            Decoded::Snapshot(s) => {
                let k = match s.instrument {
                    Some(id) => self.slot(id),
                    None => {
                        let owner =
                            snapshot_owner(s.last_update_id, self.slots.iter().map(|s| &s.seq));
                        let owner = owner.ok_or(FrameError::UnownedSnapshot)?;
                        self.decoder
                            .resolve_snapshot(registry.get(owner))
                            .map_err(FrameError::decode)?;
                        self.slot(owner)
                    }
                };
                let k = k.ok_or(FrameError::UnownedSnapshot)?;
                self.apply_snapshot(k, s.last_update_id, s.ts_exchange, ts_recv, out)
            }
            Decoded::Trade(t) => {
                out.event(MarketEvent::Trade(t));
                Frame::of(FrameKind::Trade, Some(t.instrument))
            }
            Decoded::BookTicker(b) => {
                out.event(MarketEvent::Bbo(b));
                Frame::of(FrameKind::Bbo(b), Some(b.instrument))
            }
            Decoded::SpecialTrade(t) => Frame::of(FrameKind::SpecialTrade, Some(t.instrument)),
            Decoded::AggTrade(t) => Frame::of(FrameKind::AggTrade, Some(t.instrument)),
            Decoded::Control => Frame::of(FrameKind::Control, None),
            Decoded::ServerShutdown => Frame::of(FrameKind::Shutdown, None),
            Decoded::Ignored => Frame::of(FrameKind::Ignored, None),
        })
    }

    fn on_snapshot_body(
        &mut self,
        registry: &Registry,
        instrument: InstrumentId,
        ts_recv: UnixNanos,
        body: &[u8],
        out: &mut impl EventOut,
    ) -> Result<Frame, FrameError> {
        let k = self.slot(instrument).ok_or(FrameError::UnownedSnapshot)?;
        let h = match self.decoder.decode(body, ts_recv, registry) {
            Ok(Decoded::Snapshot(h)) => h,
            Ok(_) => return Err(FrameError::decode(DecodeError::Unrecognized)),
            Err(e) => return Err(FrameError::decode(e)),
        };
        self.decoder
            .resolve_snapshot(registry.get(instrument))
            .map_err(FrameError::decode)?;
        Ok(self.apply_snapshot(k, h.last_update_id, h.ts_exchange, ts_recv, out))
    }

    fn instruments(&self) -> &[InstrumentId] {
        &self.ids
    }

    fn view(&self, instrument: InstrumentId) -> Option<BookView<'_>> {
        let k = self.slot(instrument)?;
        let s = &self.slots[k];
        Some(BookView {
            instrument,
            book: s.seq.book(),
            state: s.seq.state(),
            stats: total(&s.before, s.seq.stats()),
            last_update_id: s.seq.last_update_id(),
        })
    }

    fn needs_snapshot(&self, instrument: InstrumentId) -> bool {
        self.slot(instrument)
            .is_some_and(|k| self.slots[k].seq.needs_snapshot())
    }

    fn has_pending(&self, instrument: InstrumentId) -> bool {
        self.slot(instrument)
            .is_some_and(|k| self.slots[k].seq.pending_range().is_some())
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
            s.seq = Sequencer::new(instrument, self.rule);
        }
    }
}

/// The counters of restarted sequencers plus the current one's.
fn total(before: &SyncStats, now: &SyncStats) -> SyncStats {
    let mut t = *before;
    t.add(now);
    t
}

/// The sequencer's decisions as [`MarketEvent`]s: a snapshot framed by `SnapshotBegin` /
/// `SnapshotEnd` at the time of the line or reply it came in, a diff as its levels at its own
/// times. The one adapter from sequencer to events (capture pipeline and live connector).
struct Emit<'a, O> {
    out: &'a mut O,
    ts_recv: UnixNanos,
    ts_exchange: UnixNanos,
}

impl<O: EventOut> SyncSink for Emit<'_, O> {
    fn snapshot(
        &mut self,
        instrument: InstrumentId,
        last_update_id: u64,
        bids: &[Level],
        asks: &[Level],
    ) {
        let m = BookMarker {
            instrument,
            update_id: last_update_id,
            ts_exchange: self.ts_exchange,
            ts_recv: self.ts_recv,
        };
        events::snapshot(&m, bids, asks, &mut |e| self.out.event(e));
    }

    fn delta(&mut self, h: &DepthHeader, bids: &[Level], asks: &[Level]) {
        let m = BookMarker {
            instrument: h.instrument,
            update_id: h.last_id,
            ts_exchange: h.ts_exchange,
            ts_recv: h.ts_recv,
        };
        events::levels(&m, bids, asks, true, &mut |e| self.out.event(e));
    }

    /// Returned in [`Frame::fault`] instead.
    fn fault(&mut self, _: InstrumentId, _: Fault) {}
}
