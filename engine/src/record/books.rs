//! The recorder's own books: the live feed's events applied to one [`L2Book`] per instrument,
//! so `ladder record` can say what the book was when it stopped (`--books FILE`) and a test can
//! check that replaying the capture gives the same book.

use crate::book::{BookConfig, L2Book};
use crate::feed::live::{FeedOutput, FeedStatus};
use crate::instrument::Registry;
use ladder_sdk::{MarketEvent, Side};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

/// The books, shared between the feed thread (which applies events) and the recorder.
pub type SharedBooks = Arc<Mutex<Vec<L2Book>>>;

/// A [`FeedOutput`] applying book events to [`SharedBooks`]; never full.
#[derive(Debug)]
pub struct BookOutput {
    books: SharedBooks,
}

impl BookOutput {
    /// Empty books for every instrument of `registry` (indexed by instrument id).
    pub fn new(registry: &Registry) -> (Self, SharedBooks) {
        let books: SharedBooks = Arc::new(Mutex::new(
            (0..registry.len())
                .map(|_| L2Book::new(BookConfig::default()))
                .collect(),
        ));
        (
            Self {
                books: Arc::clone(&books),
            },
            books,
        )
    }
}

impl FeedOutput for BookOutput {
    fn push(&mut self, event: MarketEvent) -> bool {
        let mut books = self.books.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(book) = books.get_mut(event.instrument().index()) else {
            return true;
        };
        book.apply_event(&event);
        true
    }
}

/// One instrument's book when recording stopped, in the shape of `ladder inspect --json`'s
/// `instruments` entries.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FinalBook {
    /// The connector's book state (`synced`, `stale`, ...).
    pub state: &'static str,
    /// The update id the book is valid at (the connector's sequencer); `None` (`null`, as
    /// `ladder inspect --json` writes it) for a venue without update ids (Kraken).
    pub last_update_id: Option<u64>,
    /// Top bids, best first, as `[price, size]` decimal strings.
    pub bids: Vec<[String; 2]>,
    /// Top asks, best first.
    pub asks: Vec<[String; 2]>,
}

/// The top `depth` levels of every book the feed of `status` carries, by instrument name
/// (`binance-spot:BTCUSDT`, as `ladder inspect --json` names them).
pub fn final_books(
    books: &SharedBooks,
    registry: &Registry,
    status: &FeedStatus,
    depth: usize,
) -> BTreeMap<String, FinalBook> {
    let books = books.lock().unwrap_or_else(PoisonError::into_inner);
    let mut out = BTreeMap::new();
    for inst in registry.iter() {
        let Some(book) = books.get(inst.id.index()) else {
            continue;
        };
        let Some(st) = status.instrument(inst.id) else {
            continue;
        };
        let side = |s: Side| -> Vec<[String; 2]> {
            book.levels(s)
                .take(depth)
                .map(|l| [inst.spec.format_price(l.price), inst.spec.format_qty(l.qty)])
                .collect()
        };
        out.insert(
            inst.name.clone(),
            FinalBook {
                state: st.state.as_str(),
                // The status holds 0 until an update id is seen; venues without ids never set one.
                last_update_id: (st.last_update_id != 0).then_some(st.last_update_id),
                bids: side(Side::Buy),
                asks: side(Side::Sell),
            },
        );
    }
    out
}
