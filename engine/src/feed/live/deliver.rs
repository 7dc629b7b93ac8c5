//! Delivering one instrument's events to a [`FeedOutput`] that can be full.
//!
//! A full output never blocks the feed and never loses a state change: the event that did not
//! fit marks the instrument overflowed (the connector then resyncs it), its book events are
//! held back until the next snapshot, and its status changes are owed and delivered in order,
//! a `Stale(QueueOverflow)` marker included, as soon as there is room.

use super::FeedOutput;
use super::status::{Counter, FeedStatus};
use ladder_sdk::{BookState, BookStatus, MarketEvent, StaleReason};

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
