//! The simulator's streams in venue-neutral terms: what a stream carries and how often. A venue's
//! encoder names the kinds it serves (`btcusdt@depth@100ms` on Binance) and leaves the rest out.

/// How often a depth stream publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Window {
    /// One message per book event (not on any real venue's documented list; Binance futures
    /// serve it as `@depth@0ms`).
    Event,
    /// Every 100 ms.
    Ms100,
    /// Every 250 ms.
    Ms250,
    /// Every 500 ms.
    Ms500,
    /// Every 1000 ms.
    Ms1000,
}

impl Window {
    /// The batch windows, shortest first (every window but [`Window::Event`]).
    pub(crate) const BATCHED: [Self; 4] = [Self::Ms100, Self::Ms250, Self::Ms500, Self::Ms1000];

    /// The window in milliseconds (0 for [`Window::Event`]).
    pub(crate) const fn ms(self) -> u64 {
        match self {
            Self::Event => 0,
            Self::Ms100 => 100,
            Self::Ms250 => 250,
            Self::Ms500 => 500,
            Self::Ms1000 => 1000,
        }
    }

    /// The window in nanoseconds of model time.
    pub(crate) const fn ns(self) -> u64 {
        self.ms() * 1_000_000
    }

    const fn index(self) -> usize {
        match self {
            Self::Event => 0,
            Self::Ms100 => 1,
            Self::Ms250 => 2,
            Self::Ms500 => 3,
            Self::Ms1000 => 4,
        }
    }
}

/// Levels per side of the partial-depth streams.
pub(crate) const PARTIAL_LEVELS: [u8; 3] = [5, 10, 20];

/// What one stream of one symbol carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum StreamKind {
    /// Diff depth: the levels that changed over the window, with the update ids they cover.
    Diff(Window),
    /// The top `levels` (5, 10 or 20) per side at the end of each window (a batched window).
    Partial {
        /// 5, 10 or 20.
        levels: u8,
        /// How often.
        window: Window,
    },
    /// One message per trade (one maker order filled).
    Trade,
    /// One message per taker order and price.
    AggTrade,
    /// Best bid and ask, on every change.
    BookTicker,
}

/// Number of distinct [`StreamKind`]s ([`StreamKind::index`] is below it).
pub(crate) const KINDS: usize = 20;

impl StreamKind {
    /// Every kind, in [`StreamKind::index`] order.
    pub(crate) fn all() -> impl Iterator<Item = Self> {
        let diffs = [
            Window::Event,
            Window::Ms100,
            Window::Ms250,
            Window::Ms500,
            Window::Ms1000,
        ]
        .map(Self::Diff);
        let partials = PARTIAL_LEVELS
            .into_iter()
            .flat_map(|levels| Window::BATCHED.map(move |window| Self::Partial { levels, window }));
        diffs
            .into_iter()
            .chain(partials)
            .chain([Self::Trade, Self::AggTrade, Self::BookTicker])
    }

    /// A dense index below [`KINDS`], for per-kind tables and subscription masks.
    pub(crate) fn index(self) -> usize {
        match self {
            Self::Diff(w) => w.index(),
            Self::Partial { levels, window } => {
                let l = PARTIAL_LEVELS
                    .iter()
                    .position(|&n| n == levels)
                    .unwrap_or(2);
                // Batched windows are 1..=4.
                5 + l * 4 + window.index().saturating_sub(1)
            }
            Self::Trade => 17,
            Self::AggTrade => 18,
            Self::BookTicker => 19,
        }
    }

    /// True for the diff-depth streams (the ones depth faults act on).
    pub(crate) fn is_diff(self) -> bool {
        matches!(self, Self::Diff(_))
    }

    /// A one-bit mask of this kind, for sets of kinds.
    pub(crate) fn bit(self) -> u32 {
        1 << self.index()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_kind_index_is_dense_and_unique() {
        let all: Vec<StreamKind> = StreamKind::all().collect();
        assert_eq!(all.len(), KINDS);
        for (i, k) in all.iter().enumerate() {
            assert_eq!(k.index(), i, "{k:?}");
        }
    }
}
