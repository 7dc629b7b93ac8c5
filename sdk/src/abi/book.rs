//! [`BookView`]: the top of one instrument's book, borrowed for one call, zero-copy.

use crate::event::BookState;
use crate::ids::InstrumentId;
use crate::num::Level;
use crate::time::UnixNanos;
use std::marker::PhantomData;

/// The top of one instrument's book after an update, lent to a strategy for one call.
///
/// `#[repr(C)]` over raw parts of the host's level slices, so it crosses the plugin boundary as
/// is and nothing is copied. Build one with [`BookView::new`].
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct BookView<'a> {
    pub(super) bids: *const Level,
    pub(super) asks: *const Level,
    pub(super) n_bids: u32,
    pub(super) n_asks: u32,
    pub(super) instrument: InstrumentId,
    pub(super) state: BookState,
    pub(super) _reserved: [u8; 3],
    pub(super) update_id: u64,
    pub(super) ts_exchange: UnixNanos,
    pub(super) ts_recv: UnixNanos,
    pub(super) _borrow: PhantomData<&'a [Level]>,
}

/// Clamps a slice to the `u32` length the boundary carries.
const fn clamp(levels: &[Level]) -> u32 {
    if levels.len() > u32::MAX as usize {
        u32::MAX
    } else {
        levels.len() as u32
    }
}

impl<'a> BookView<'a> {
    /// A view of `bids` (best, i.e. highest, first) and `asks` (best, i.e. lowest, first) of a
    /// synced book, with no update id or times; set them with [`BookView::with_times`] and
    /// [`BookView::with_state`].
    #[inline]
    pub const fn new(instrument: InstrumentId, bids: &'a [Level], asks: &'a [Level]) -> Self {
        Self {
            bids: bids.as_ptr(),
            asks: asks.as_ptr(),
            n_bids: clamp(bids),
            n_asks: clamp(asks),
            instrument,
            state: BookState::Synced,
            _reserved: [0; 3],
            update_id: 0,
            ts_exchange: UnixNanos::ZERO,
            ts_recv: UnixNanos::ZERO,
            _borrow: PhantomData,
        }
    }

    /// This view with the venue's update id and the exchange and receive times of the update.
    #[inline]
    pub const fn with_times(
        mut self,
        update_id: u64,
        ts_exchange: UnixNanos,
        ts_recv: UnixNanos,
    ) -> Self {
        self.update_id = update_id;
        self.ts_exchange = ts_exchange;
        self.ts_recv = ts_recv;
        self
    }

    /// This view with book state `state`.
    #[inline]
    pub const fn with_state(mut self, state: BookState) -> Self {
        self.state = state;
        self
    }

    /// The instrument.
    #[inline]
    pub const fn instrument(&self) -> InstrumentId {
        self.instrument
    }

    /// Bid levels, best (highest price) first.
    #[inline]
    pub const fn bids(&self) -> &'a [Level] {
        // SAFETY: `bids`/`n_bids` are the raw parts of a slice borrowed for 'a (`BookView::new`;
        // the length was clamped, never grown).
        unsafe { std::slice::from_raw_parts(self.bids, self.n_bids as usize) }
    }

    /// Ask levels, best (lowest price) first.
    #[inline]
    pub const fn asks(&self) -> &'a [Level] {
        // SAFETY: as for `bids`.
        unsafe { std::slice::from_raw_parts(self.asks, self.n_asks as usize) }
    }

    /// The best bid, if any.
    #[inline]
    pub const fn best_bid(&self) -> Option<Level> {
        match self.bids() {
            [first, ..] => Some(*first),
            [] => None,
        }
    }

    /// The best ask, if any.
    #[inline]
    pub const fn best_ask(&self) -> Option<Level> {
        match self.asks() {
            [first, ..] => Some(*first),
            [] => None,
        }
    }

    /// The venue's update id of the last message applied.
    #[inline]
    pub const fn update_id(&self) -> u64 {
        self.update_id
    }

    /// Exchange time of the update.
    #[inline]
    pub const fn ts_exchange(&self) -> UnixNanos {
        self.ts_exchange
    }

    /// Local receive time of the update.
    #[inline]
    pub const fn ts_recv(&self) -> UnixNanos {
        self.ts_recv
    }

    /// The book's synchronization state; anything but `Synced` means do not trust it.
    #[inline]
    pub const fn state(&self) -> BookState {
        self.state
    }

    /// True when the book matches the venue.
    #[inline]
    pub const fn is_synced(&self) -> bool {
        matches!(self.state, BookState::Synced)
    }
}
