//! Bybit's [`FeedBooks`]: the decoder, one [`Sequencer`] per instrument, and the one adapter
//! from the sequencer's decisions to normalized events ([`Emit`]).
//!
//! Snapshots come in the stream ([`FeedBooks::on_frame`]); there is no REST snapshot to apply
//! ([`FeedBooks::on_snapshot_body`] says so). Each instrument's book follows one depth, the
//! depth of the first `orderbook` topic seen for it (until [`FeedBooks::restart`]): a message of
//! another depth for the same symbol is refused with an error rather than mixed into the book,
//! whose `u` chain is per topic. Faults are returned in [`Frame::fault`], not emitted.
//!
//! After the venue restarts a book on another tick or lot grid (`u == 1` off the grid), the
//! book asks for no resubscription (the same grid would come back) and its messages off the
//! old grid are dropped rather than each a decode error; the first after a reconnect is the
//! grid change again, so the book is stale, loudly, until ladder runs with the new spec.

use super::decode::{BookHeader, DecodeError, Decoded, Decoder, Token};
use super::sync::{Outcome, Sequencer, SyncSink};
use crate::feed::Venue;
use crate::feed::books::{BookView, EventOut, FeedBooks, Frame, FrameError, FrameKind, SyncStats};
use crate::feed::events;
use crate::feed::integrity::Fault;
use crate::instrument::Registry;
use ladder_sdk::{
    BookMarker, BookState, BookStatus, GridError, InstrumentId, Level, MarketEvent, UnixNanos,
};

/// One instrument's sequencing.
#[derive(Debug)]
struct Slot {
    seq: Sequencer,
    /// The depth this book follows (the first `orderbook` topic seen).
    depth: Option<u32>,
    /// Counters of sequencers replaced by [`FeedBooks::restart`].
    before: SyncStats,
    /// The venue restarted the book on another tick or lot grid (`u == 1` off the grid): no
    /// resubscription can help until the instrument spec is reloaded, so none is asked for
    /// ([`FeedBooks::needs_snapshot`] is false) and the book stays stale. Kept across
    /// [`FeedBooks::restart`]; cleared by a snapshot that fits the grid.
    grid_changed: bool,
}

/// Bybit books of one venue's instruments (spot, linear or inverse).
#[derive(Debug)]
pub struct Books {
    venue: Venue,
    decoder: Decoder,
    ids: Vec<InstrumentId>,
    slots: Vec<Slot>,
    /// Registry index to slot.
    slot_of: Vec<Option<u32>>,
}

impl Books {
    /// Books for every instrument of `venue` in `registry`, each awaiting its snapshot.
    pub fn new(venue: Venue, registry: &Registry) -> Self {
        let mut slot_of = vec![None; registry.len()];
        let (mut ids, mut slots) = (Vec::new(), Vec::new());
        for inst in registry.iter().filter(|i| i.venue == venue) {
            slot_of[inst.id.index()] = u32::try_from(slots.len()).ok();
            ids.push(inst.id);
            slots.push(Slot {
                seq: Sequencer::new(inst.id),
                depth: None,
                before: SyncStats::default(),
                grid_changed: false,
            });
        }
        Self {
            venue,
            decoder: Decoder::new(venue),
            ids,
            slots,
            slot_of,
        }
    }

    /// The sequencer of `instrument`, for tests and callers that look inside.
    pub fn sequencer(&self, instrument: InstrumentId) -> Option<&Sequencer> {
        self.slot(instrument).map(|k| &self.slots[k].seq)
    }

    /// The depth `instrument`'s book follows, once a book message was seen.
    pub fn depth(&self, instrument: InstrumentId) -> Option<u32> {
        self.slot(instrument).and_then(|k| self.slots[k].depth)
    }

    #[inline]
    fn slot(&self, id: InstrumentId) -> Option<usize> {
        self.slot_of
            .get(id.index())
            .copied()
            .flatten()
            .map(|k| k as usize)
    }

    /// The slot of a book message, binding the instrument to the message's depth.
    fn book_slot(&mut self, registry: &Registry, h: &BookHeader) -> Result<usize, FrameError> {
        let k = self
            .slot(h.instrument)
            // Not reached: the decoder looks symbols up among this venue's instruments.
            .ok_or_else(|| FrameError::decode(DecodeError::Unrecognized))?;
        match self.slots[k].depth {
            Some(d) if d != h.depth => Err(FrameError::decode(DecodeError::OtherDepth {
                symbol: Token::new(registry.get(h.instrument).symbol.as_bytes()),
                follows: d,
                got: h.depth,
            })),
            _ => {
                self.slots[k].depth = Some(h.depth);
                Ok(k)
            }
        }
    }
}

impl Books {
    /// A book message off the grid of an instrument the venue restarted on another grid
    /// (`docs/venues.md` §12), while the registered spec is still the old one: not a decode
    /// error per frame. The first one after a (re)start of the instrument's sequencer is the
    /// grid change again (after a reconnect, the subscription's snapshot comes on the new grid):
    /// the book is stale and the fault returned; the others are dropped like any message of a
    /// stale book (counted in `discarded`). Any other error is returned as it is.
    #[cold]
    fn off_a_changed_grid(
        &mut self,
        registry: &Registry,
        ts_recv: UnixNanos,
        e: DecodeError,
        out: &mut impl EventOut,
    ) -> Result<Frame, FrameError> {
        let DecodeError::Grid {
            field,
            symbol,
            error: GridError::OffGrid { value, .. },
        } = e
        else {
            return Err(FrameError::decode(e));
        };
        let price = match field {
            "b price" | "a price" => true,
            "b size" | "a size" => false,
            _ => return Err(FrameError::decode(e)),
        };
        let Some(k) = (0..self.slots.len()).find(|&k| {
            self.slots[k].grid_changed
                && Token::new(registry.get(self.ids[k]).symbol.as_bytes()) == symbol
        }) else {
            return Err(FrameError::decode(e));
        };
        out.decoded();
        let id = self.ids[k];
        let s = &mut self.slots[k];
        if s.seq.state() == BookState::Stale {
            s.before.discarded += 1;
            return Ok(Frame::of(FrameKind::Depth, Some(id)));
        }
        let header = BookHeader {
            instrument: id,
            depth: s.depth.unwrap_or(0),
            snapshot: true,
            update_id: 0,
            seq: None,
            ts_exchange: ts_recv,
            ts_recv,
        };
        let fault = s
            .seq
            .on_grid_changed(&header, price, value.0, &mut Emit { out });
        Ok(Frame {
            kind: FrameKind::Depth,
            instrument: Some(id),
            fault: Some(fault),
        })
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
            Err(e) => return self.off_a_changed_grid(registry, ts_recv, e, out),
        };
        out.decoded();
        Ok(match decoded {
            Decoded::Book(h) => {
                let k = self.book_slot(registry, &h)?;
                let mut sink = Emit { out };
                let (bids, asks) = (self.decoder.bids(), self.decoder.asks());
                let outcome = self.slots[k].seq.on_message(&h, bids, asks, &mut sink);
                if matches!(outcome, Outcome::Snapshot | Outcome::Unavailable) {
                    self.slots[k].grid_changed = false;
                }
                Frame {
                    kind: if h.replaces() {
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
            Decoded::GridChanged {
                header,
                price,
                value,
            } => {
                let k = self.book_slot(registry, &header)?;
                let fault =
                    self.slots[k]
                        .seq
                        .on_grid_changed(&header, price, value, &mut Emit { out });
                self.slots[k].grid_changed = true;
                Frame {
                    kind: FrameKind::Snapshot,
                    instrument: Some(header.instrument),
                    fault: Some(fault),
                }
            }
            Decoded::Trades { instrument, .. } => {
                let trades = self.decoder.trades();
                for t in trades {
                    out.event(MarketEvent::Trade(*t));
                }
                let kind = if trades.is_empty() {
                    FrameKind::SpecialTrade
                } else {
                    FrameKind::Trade
                };
                Frame::of(kind, Some(instrument))
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
            last_update_id: s.seq.last_update_id(),
        })
    }

    /// At the start and after a fault; not while the venue says there is no book, nor after
    /// a restart on another grid (the same snapshot would come back off the grid).
    fn needs_snapshot(&self, instrument: InstrumentId) -> bool {
        self.slot(instrument)
            .is_some_and(|k| !self.slots[k].grid_changed && self.slots[k].seq.needs_snapshot())
    }

    /// Bybit buffers nothing: a delta before its snapshot is of no use.
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
            s.seq = Sequencer::new(instrument);
            s.depth = None;
        }
    }
}

/// The sequencer's decisions as [`MarketEvent`]s: a snapshot framed by `SnapshotBegin` /
/// `SnapshotEnd`, a delta as its levels, both at the message's update id `u`, matching-engine
/// time `cts` and receive time. "No book" (`u == 1`, empty) is a `Syncing` status and a
/// `SnapshotBegin` that empties the consumer's book, with no `SnapshotEnd`: the book is not
/// synced again until the venue's snapshot.
struct Emit<'a, O> {
    out: &'a mut O,
}

fn marker(h: &BookHeader) -> BookMarker {
    BookMarker {
        instrument: h.instrument,
        update_id: h.update_id,
        ts_exchange: h.ts_exchange,
        ts_recv: h.ts_recv,
    }
}

impl<O: EventOut> SyncSink for Emit<'_, O> {
    fn snapshot(&mut self, h: &BookHeader, bids: &[Level], asks: &[Level]) {
        events::snapshot(&marker(h), bids, asks, &mut |e| self.out.event(e));
    }

    fn delta(&mut self, h: &BookHeader, bids: &[Level], asks: &[Level]) {
        events::levels(&marker(h), bids, asks, true, &mut |e| self.out.event(e));
    }

    fn unavailable(&mut self, h: &BookHeader) {
        self.out.event(MarketEvent::Status(BookStatus {
            instrument: h.instrument,
            state: BookState::Syncing,
            reason: None,
            ts_recv: h.ts_recv,
        }));
        self.out.event(MarketEvent::SnapshotBegin(marker(h)));
    }

    /// Returned in [`Frame::fault`] instead.
    fn fault(&mut self, _: InstrumentId, _: Fault) {}
}
