//! OKX's [`FeedBooks`]: the decoder, one [`Sequencer`] per instrument, the REST join, and the
//! adapter from the sequencer's decisions to normalized events ([`Emit`]).
//!
//! Snapshots come in the stream (`action: snapshot`, and every `books5` / `bbo-tbt` push) and
//! are taken by [`FeedBooks::on_frame`]; where OKX sends none, the REST reply of
//! `GET /api/v5/market/books` joins the buffered updates: [`FeedBooks::on_snapshot_body`] for
//! the instrument it was fetched for, or a capture line holding the body (its owner is the one
//! instrument it can belong to, [`rest_owner`]). A `books5` or `bbo-tbt` push for an instrument
//! whose book comes from an incremental channel is not an image of that book: it is emitted as
//! a best bid/offer ([`FrameKind::Bbo`]) at its `seqId`. Faults are returned in
//! [`Frame::fault`], not emitted.

use super::decode::{Action, BookHeader, DecodeError, Decoded, Decoder};
use super::sync::{Outcome, Sequencer, SyncSink, rest_owner};
use crate::feed::Venue;
use crate::feed::books::{BookView, EventOut, FeedBooks, Frame, FrameError, FrameKind, SyncStats};
use crate::feed::events;
use crate::feed::integrity::Fault;
use crate::instrument::Registry;
use ladder_sdk::{Bbo, BookMarker, InstrumentId, Level, MarketEvent, UnixNanos};

/// One instrument's sequencing.
#[derive(Debug)]
struct Slot {
    seq: Sequencer,
    /// Counters of sequencers replaced by [`FeedBooks::restart`].
    before: SyncStats,
}

/// OKX books of every `okx` instrument of a registry.
#[derive(Debug)]
pub struct Books {
    decoder: Decoder,
    ids: Vec<InstrumentId>,
    slots: Vec<Slot>,
    /// Registry index to slot.
    slot_of: Vec<Option<u32>>,
}

impl Books {
    /// Books for every OKX instrument in `registry`, each awaiting its snapshot.
    pub fn new(registry: &Registry) -> Self {
        let mut slot_of = vec![None; registry.len()];
        let (mut ids, mut slots) = (Vec::new(), Vec::new());
        for inst in registry.iter().filter(|i| i.venue == Venue::Okx) {
            slot_of[inst.id.index()] = u32::try_from(slots.len()).ok();
            ids.push(inst.id);
            slots.push(Slot {
                seq: Sequencer::new(inst.id),
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

    fn on_book<O: EventOut>(&mut self, h: &BookHeader, out: &mut O) -> Frame {
        let Some(k) = self.slot(h.instrument) else {
            return Frame::of(FrameKind::Ignored, None);
        };
        let seq = &mut self.slots[k].seq;
        if h.action == Action::Full && seq.is_incremental() {
            return match top(h, self.decoder.bids(), self.decoder.asks()) {
                Some(bbo) => {
                    out.event(MarketEvent::Bbo(bbo));
                    Frame::of(FrameKind::Bbo(bbo), Some(h.instrument))
                }
                None => Frame::of(FrameKind::Ignored, Some(h.instrument)),
            };
        }
        let mut sink = Emit { out };
        let outcome = seq.on_book(
            h,
            self.decoder.bids(),
            self.decoder.asks(),
            self.decoder.texts(),
            &mut sink,
        );
        Frame {
            kind: match h.action {
                Action::Update => FrameKind::Depth,
                Action::Snapshot | Action::Full => FrameKind::Snapshot,
            },
            instrument: Some(h.instrument),
            fault: match outcome {
                Outcome::Fault(f) => Some(f),
                _ => None,
            },
        }
    }

    fn apply_rest<O: EventOut>(
        &mut self,
        k: usize,
        seq_id: u64,
        ts_exchange: UnixNanos,
        ts_recv: UnixNanos,
        out: &mut O,
    ) -> Frame {
        let mut sink = Emit { out };
        let fault = self.slots[k].seq.on_rest(
            seq_id,
            ts_exchange,
            ts_recv,
            self.decoder.bids(),
            self.decoder.asks(),
            self.decoder.texts(),
            &mut sink,
        );
        Frame {
            kind: FrameKind::Snapshot,
            instrument: Some(self.ids[k]),
            fault,
        }
    }
}

/// The best bid and offer of a full-image push, if it has both sides.
fn top(h: &BookHeader, bids: &[Level], asks: &[Level]) -> Option<Bbo> {
    let best_bid = bids
        .iter()
        .filter(|l| l.qty.lots() > 0)
        .max_by_key(|l| l.price)?;
    let best_ask = asks
        .iter()
        .filter(|l| l.qty.lots() > 0)
        .min_by_key(|l| l.price)?;
    Some(Bbo {
        instrument: h.instrument,
        bid_price: best_bid.price,
        bid_qty: best_bid.qty,
        ask_price: best_ask.price,
        ask_qty: best_ask.qty,
        update_id: h.seq_id.unwrap_or(0),
        ts_recv: h.ts_recv,
    })
}

impl FeedBooks for Books {
    fn venue(&self) -> Venue {
        Venue::Okx
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
            Decoded::Book(h) => self.on_book(&h, out),
            Decoded::Rest(r) => {
                let k = match r.instrument {
                    Some(id) => self.slot(id),
                    None => {
                        let owner = rest_owner(r.seq_id, self.slots.iter().map(|s| &s.seq))
                            .ok_or(FrameError::decode(DecodeError::UnownedRest))?;
                        self.decoder
                            .resolve_rest(registry.get(owner))
                            .map_err(FrameError::decode)?;
                        self.slot(owner)
                    }
                };
                let k = k.ok_or(FrameError::decode(DecodeError::UnownedRest))?;
                self.apply_rest(k, r.seq_id, r.ts_exchange, ts_recv, out)
            }
            Decoded::Trades(id) => {
                for &t in self.decoder.trades() {
                    out.event(MarketEvent::Trade(t));
                }
                Frame::of(FrameKind::Trade, Some(id))
            }
            Decoded::Control => Frame::of(FrameKind::Control, None),
            Decoded::Notice => Frame::of(FrameKind::Shutdown, None),
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
        let k = self
            .slot(instrument)
            .ok_or(FrameError::decode(DecodeError::UnownedRest))?;
        let r = match self.decoder.decode(body, ts_recv, registry) {
            Ok(Decoded::Rest(r)) => r,
            Ok(_) => return Err(FrameError::decode(DecodeError::Unrecognized)),
            Err(e) => return Err(FrameError::decode(e)),
        };
        if r.instrument.is_some_and(|id| id != instrument) {
            return Err(FrameError::decode(DecodeError::UnownedRest));
        }
        self.decoder
            .resolve_rest(registry.get(instrument))
            .map_err(FrameError::decode)?;
        Ok(self.apply_rest(k, r.seq_id, r.ts_exchange, ts_recv, out))
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

    fn has_pending(&self, instrument: InstrumentId) -> bool {
        self.slot(instrument)
            .is_some_and(|k| self.slots[k].seq.pending_len() > 0)
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
            s.seq = Sequencer::new(instrument);
        }
    }
}

/// The sequencer's decisions as [`MarketEvent`]s: a snapshot framed by `SnapshotBegin` /
/// `SnapshotEnd`, an update as its levels, each at its message's `seqId` and times.
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
        update_id: h.seq_id.unwrap_or(0),
        ts_exchange: h.ts_exchange,
        ts_recv: h.ts_recv,
    }
}
