//! Coinbase's [`FeedBooks`]: the decoder, the connection's `sequence_num` counter, one
//! [`Sequencer`] per instrument, and the adapter from the sequencer's decisions to normalized
//! events ([`Emit`]).
//!
//! Snapshots come in the stream and are taken by [`FeedBooks::on_frame`]; there is no REST
//! snapshot ([`FeedBooks::on_snapshot_body`] refuses one). A frame whose `sequence_num` does
//! not continue the connection's count is a fault of every book these books carry: each one is
//! marked stale and counted (once per instrument), and the frame is returned as
//! `Frame { instrument: None, fault: Some(..) }`, the connection-wide fault the live core
//! resyncs every book of the connection on (the capture pipeline marks each one stale). The
//! frame's own content is still taken after that (a snapshot in it syncs its book again).
//!
//! One `Books` follows one connection's count: the live side plans one connection per
//! `Books`, and [`FeedBooks::restart`] (a new connection) starts the count afresh.
//!
//! A frame that does not decode does not move the count when it is an `l2_data` frame (its
//! levels may have been a book's): the next frame then shows the gap and every book resyncs.
//! Other frames that do not decode (an unknown channel) move it on.

use super::decode::{BookHeader, DecodeError, Decoded, Decoder};
use super::sync::{ConnSequence, Outcome, Sequencer, SyncSink};
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

/// Coinbase books of every instrument of one venue (`coinbase` or `coinbase-exchange`) of a
/// registry.
#[derive(Debug)]
pub struct Books {
    venue: Venue,
    decoder: Decoder,
    conn: ConnSequence,
    ids: Vec<InstrumentId>,
    slots: Vec<Slot>,
    /// Registry index to slot.
    slot_of: Vec<Option<u32>>,
}

impl Books {
    /// Books for every `venue` instrument in `registry`, each awaiting its snapshot.
    pub fn new(venue: Venue, registry: &Registry) -> Self {
        let mut slot_of = vec![None; registry.len()];
        let (mut ids, mut slots) = (Vec::new(), Vec::new());
        for inst in registry.iter().filter(|i| i.venue == venue) {
            slot_of[inst.id.index()] = u32::try_from(slots.len()).ok();
            ids.push(inst.id);
            slots.push(Slot {
                seq: Sequencer::new(inst.id),
                before: SyncStats::default(),
            });
        }
        Self {
            venue,
            decoder: Decoder::new(venue),
            conn: ConnSequence::default(),
            ids,
            slots,
            slot_of,
        }
    }

    /// The sequencer of `instrument`, for tests that look inside.
    pub fn sequencer(&self, instrument: InstrumentId) -> Option<&Sequencer> {
        self.slot(instrument).map(|k| &self.slots[k].seq)
    }

    /// The connection's last `sequence_num`.
    pub fn last_sequence(&self) -> Option<u64> {
        self.conn.last()
    }

    #[inline]
    fn slot(&self, id: InstrumentId) -> Option<usize> {
        self.slot_of
            .get(id.index())
            .copied()
            .flatten()
            .map(|k| k as usize)
    }

    /// Checks the frame's `sequence_num`; on a break every book is stale.
    fn check_sequence<O: EventOut>(&mut self, ts_recv: UnixNanos, out: &mut O) -> Option<Fault> {
        let env = self.decoder.envelope()?;
        let kind = self.conn.next(env.sequence)?;
        let mut sink = Emit { out };
        let mut fault = None;
        for s in &mut self.slots {
            fault = Some(s.seq.on_connection_fault(kind, ts_recv, &mut sink));
        }
        Some(fault.unwrap_or(Fault { kind, ts_recv }))
    }

    fn on_book<O: EventOut>(&mut self, id: InstrumentId, out: &mut O) -> Frame {
        let Some(k) = self.slot(id) else {
            return Frame::of(FrameKind::Ignored, None);
        };
        let mut sink = Emit { out };
        let (mut kind, mut fault) = (FrameKind::Depth, None);
        for ev in self.decoder.events() {
            let (bids, asks) = self.decoder.levels(ev);
            if ev.header.snapshot {
                kind = FrameKind::Snapshot;
            }
            if let Outcome::Fault(f) = self.slots[k]
                .seq
                .on_event(&ev.header, bids, asks, &mut sink)
            {
                fault.get_or_insert(f);
            }
        }
        Frame {
            kind,
            instrument: Some(id),
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
        let decoded = match self.decoder.decode(frame, ts_recv, registry) {
            Ok(d) => d,
            Err(e) => {
                if let Some(env) = self.decoder.envelope().filter(|e| !e.book)
                    && self.conn.continues(env.sequence)
                {
                    // Not a book's frame and in sequence: the count moves on. (One that
                    // breaks the count leaves it: the next frame shows the break.)
                    self.conn.next(env.sequence);
                }
                return Err(FrameError::decode(e));
            }
        };
        out.decoded();
        let gap = self.check_sequence(ts_recv, out);
        let mut f = match decoded {
            Decoded::Book(id) => self.on_book(id, out),
            Decoded::Trades(id) => {
                for &t in self.decoder.trades() {
                    out.event(MarketEvent::Trade(t));
                }
                Frame::of(FrameKind::Trade, Some(id))
            }
            Decoded::History | Decoded::Ignored => Frame::of(FrameKind::Ignored, None),
            Decoded::Control => Frame::of(FrameKind::Control, None),
        };
        if let Some(g) = gap {
            f.instrument = None;
            f.fault = Some(g);
        }
        Ok(f)
    }

    fn on_snapshot_body(
        &mut self,
        _: &Registry,
        _: InstrumentId,
        _: UnixNanos,
        _: &[u8],
        _: &mut impl EventOut,
    ) -> Result<Frame, FrameError> {
        Err(FrameError::decode(DecodeError::Unrecognized {
            venue: self.venue,
        }))
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
            last_update_id: s.seq.last_update_id(),
        })
    }

    fn needs_snapshot(&self, instrument: InstrumentId) -> bool {
        self.slot(instrument)
            .is_some_and(|k| self.slots[k].seq.needs_snapshot())
    }

    fn has_pending(&self, _: InstrumentId) -> bool {
        false
    }

    fn invalidate(&mut self, instrument: InstrumentId) {
        if let Some(k) = self.slot(instrument) {
            self.slots[k].seq.invalidate();
        }
    }

    fn restart(&mut self, instrument: InstrumentId) {
        self.conn.reset();
        if let Some(k) = self.slot(instrument) {
            let s = &mut self.slots[k];
            s.before.add(s.seq.stats());
            s.seq = Sequencer::new(instrument);
        }
    }
}

/// The sequencer's decisions as [`MarketEvent`]s: a snapshot framed by `SnapshotBegin` /
/// `SnapshotEnd`, an update as its levels, each at its frame's `sequence_num` and times.
struct Emit<'a, O> {
    out: &'a mut O,
}

impl<O: EventOut> SyncSink for Emit<'_, O> {
    fn snapshot(&mut self, h: &BookHeader, bids: &[Level], asks: &[Level]) {
        events::snapshot(&marker(h), bids, asks, &mut |e| self.out.event(e));
    }

    fn delta(&mut self, h: &BookHeader, bids: &[Level], asks: &[Level]) {
        events::levels(&marker(h), bids, asks, true, &mut |e| self.out.event(e));
    }

    /// Returned in [`Frame::fault`] instead.
    fn fault(&mut self, _: InstrumentId, _: Fault) {}
}

fn marker(h: &BookHeader) -> BookMarker {
    BookMarker {
        instrument: h.instrument,
        update_id: h.sequence.unwrap_or(0),
        ts_exchange: h.ts_exchange,
        ts_recv: h.ts_recv,
    }
}
