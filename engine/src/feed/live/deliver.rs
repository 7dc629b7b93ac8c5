//! Delivering one instrument's events to a [`FeedOutput`] that can be full.
//!
//! A full output never blocks the feed and never loses a state change: the event that did not
//! fit marks the instrument overflowed (the connector then resyncs it), its book events are
//! held back until the next snapshot, and its status changes are owed and delivered in order,
//! a `Stale(QueueOverflow)` marker included, as soon as there is room.
//!
//! [`Deliver`] is where the books' events enter: each goes to its instrument's [`Link`], and a
//! snapshot's events (with the buffered updates replayed on it) are staged until the books say
//! whether it lined up, so the output never sees a book that is not in sequence.

use super::FeedOutput;
use super::status::{Counter, FeedStatus};
use crate::feed::books::EventOut;
use ladder_sdk::{BookState, BookStatus, InstrumentId, MarketEvent, StaleReason};

/// Delivery state of one instrument toward the output.
#[derive(Debug, Default)]
pub(crate) struct Link {
    /// After an overflow: book events are held back until the next snapshot.
    pub(crate) suppress_book: bool,
    /// Statuses not yet delivered (the output was full), oldest first.
    pub(crate) owed: Vec<BookStatus>,
    /// An overflow happened inside a sequencer call; the core handles it after the call.
    pub(crate) overflow_pending: bool,
}

pub(crate) fn is_book_event(ev: &MarketEvent) -> bool {
    matches!(
        ev,
        MarketEvent::BookDelta(_) | MarketEvent::SnapshotBegin(_) | MarketEvent::SnapshotEnd(_)
    )
}

/// Offers one event of an instrument: owed statuses first, book events held back after an
/// overflow, and an overflow noted (not handled: the caller may be inside a sequencer call).
/// A status that cannot be delivered is owed, never lost: the output sees every state change
/// in order, ending with the current one.
///
/// # Hot path
/// No allocation; one `push` in the common case.
pub(crate) fn offer<O: FeedOutput>(
    out: &mut O,
    link: &mut Link,
    status: &FeedStatus,
    ev: MarketEvent,
) -> bool {
    if !flush_owed(out, link) {
        status.count(Counter::Undelivered);
        if let MarketEvent::Status(s) = ev {
            owe(link, s);
        }
        return false;
    }
    if link.suppress_book && is_book_event(&ev) {
        status.count(Counter::Undelivered);
        return false;
    }
    if out.push(ev) {
        return true;
    }
    status.count(Counter::Undelivered);
    if let MarketEvent::Status(s) = ev {
        owe(link, s);
    }
    if !link.suppress_book {
        link.suppress_book = true;
        link.overflow_pending = true;
        owe(
            link,
            BookStatus {
                instrument: ev.instrument(),
                state: BookState::Stale,
                reason: Some(StaleReason::QueueOverflow),
                ts_recv: ev.ts_recv(),
            },
        );
    }
    false
}

/// Delivers owed statuses in order; `true` once none is left.
pub(crate) fn flush_owed<O: FeedOutput>(out: &mut O, link: &mut Link) -> bool {
    while let Some(first) = link.owed.first().copied() {
        if !out.push(MarketEvent::Status(first)) {
            return false;
        }
        link.owed.remove(0);
    }
    true
}

/// Queues a status for later delivery (bounded: the oldest go first past 16).
pub(crate) fn owe(link: &mut Link, s: BookStatus) {
    if link
        .owed
        .last()
        .is_some_and(|l| l.state == s.state && l.reason == s.reason)
    {
        return;
    }
    if link.owed.len() >= 16 {
        link.owed.remove(0);
    }
    link.owed.push(s);
}

/// Which events [`Deliver`] holds back instead of offering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Every event of this slot (a snapshot body fetched for it).
    Slot(usize),
    /// From a `SnapshotBegin` on, the events of that instrument (a snapshot in the stream).
    Snapshots,
}

/// The books' [`EventOut`] in a live feed: events of the feed's instruments are offered to the
/// output through their slot's [`Link`] (others are dropped), trades delivered are counted, and
/// snapshot events are staged per [`Stage`].
pub(crate) struct Deliver<'a, O> {
    pub(crate) out: &'a mut O,
    /// One per slot.
    pub(crate) links: &'a mut [Link],
    /// Registry index to slot.
    pub(crate) slot_of: &'a [Option<usize>],
    pub(crate) status: &'a FeedStatus,
    /// Held-back events, in order; empty on entry.
    pub(crate) staged: &'a mut Vec<MarketEvent>,
    pub(crate) stage: Stage,
    /// The slot whose events are being staged, once known.
    pub(crate) staging: Option<usize>,
}

/// The slot of `id` in a registry-indexed table.
#[inline]
pub(crate) fn slot_of(table: &[Option<usize>], id: InstrumentId) -> Option<usize> {
    table.get(id.index()).copied().flatten()
}

impl<O: FeedOutput> EventOut for Deliver<'_, O> {
    /// # Hot path
    /// No allocation while nothing is staged; one `push` per event.
    #[inline]
    fn event(&mut self, ev: MarketEvent) {
        let Some(k) = slot_of(self.slot_of, ev.instrument()) else {
            return;
        };
        match self.stage {
            Stage::Slot(s) => self.staging = Some(s),
            Stage::Snapshots => {
                if self.staging.is_none() && matches!(ev, MarketEvent::SnapshotBegin(_)) {
                    self.staging = Some(k);
                }
            }
        }
        if self.staging == Some(k) {
            self.staged.push(ev);
            return;
        }
        if offer(self.out, &mut self.links[k], self.status, ev)
            && matches!(ev, MarketEvent::Trade(_))
        {
            self.status.count(Counter::Trade);
        }
    }
}
