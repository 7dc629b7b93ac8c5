//! The simulator's streams in venue-neutral terms: what a stream carries and how often. A venue's
//! encoder names the kinds it serves (`btcusdt@depth@100ms` on Binance, `orderbook.50.BTCUSDT`
//! on Bybit, `books` of `BTC-USDT` on OKX) and leaves the rest out.
//!
//! Two families of book streams exist: Binance's diff streams ([`StreamKind::Diff`]), which send
//! every level changed in a window with the update ids it covers and leave the snapshot to REST,
//! and the book topics of venues whose snapshot comes in the stream ([`StreamKind::Book`]): the
//! first message of a subscription is the top `depth` levels, then every `every_ms` the venue
//! sends what changed in that window of the book (levels that leave it as size 0), or, for a
//! `full` topic, the whole image again when it changed.

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

/// A book topic: the top `depth` levels per side, pushed every `every_ms` when they changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct BookTopic {
    /// Levels per side.
    pub(crate) depth: u16,
    /// Push interval in milliseconds.
    pub(crate) every_ms: u16,
    /// Every push is the whole image (Bybit `orderbook.1`, OKX `books5`, `bbo-tbt`); else a
    /// snapshot, then deltas.
    pub(crate) full: bool,
}

impl BookTopic {
    const fn new(depth: u16, every_ms: u16, full: bool) -> Self {
        Self {
            depth,
            every_ms,
            full,
        }
    }

    /// The push interval in nanoseconds of model time.
    pub(crate) const fn ns(self) -> u64 {
        self.every_ms as u64 * 1_000_000
    }

    /// Its position in [`BOOK_TOPICS`].
    pub(crate) fn slot(self) -> usize {
        BOOK_TOPICS.iter().position(|&t| t == self).unwrap_or(0)
    }
}

/// Every book topic any venue serves (Bybit `orderbook.{1,50,200,1000}`; OKX `bbo-tbt`,
/// `books5`, `books50-l2-tbt`, `books`, `books-l2-tbt`; Kraken `book` at depth 10, 25, 100 and
/// 500, and 1000 on Bybit's topic).
pub(crate) const BOOK_TOPICS: [BookTopic; 12] = [
    BookTopic::new(1, 10, true),
    BookTopic::new(5, 100, true),
    BookTopic::new(50, 20, false),
    BookTopic::new(50, 10, false),
    BookTopic::new(200, 100, false),
    BookTopic::new(400, 100, false),
    BookTopic::new(400, 10, false),
    BookTopic::new(1000, 200, false),
    BookTopic::new(10, 10, false),
    BookTopic::new(25, 10, false),
    BookTopic::new(100, 10, false),
    BookTopic::new(500, 10, false),
];

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
    /// A book topic (snapshot in the stream, then deltas or full images).
    Book(BookTopic),
}

/// Number of distinct [`StreamKind`]s ([`StreamKind::index`] is below it).
pub(crate) const KINDS: usize = 20 + BOOK_TOPICS.len();

// Sets of kinds are `u32` masks (`StreamKind::bit`).
const _: () = assert!(KINDS <= 32);

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
            .chain(BOOK_TOPICS.map(Self::Book))
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
            Self::Book(t) => 20 + t.slot(),
        }
    }

    /// True for the diff-depth streams and book topics (the ones depth faults act on).
    pub(crate) fn is_diff(self) -> bool {
        matches!(self, Self::Diff(_) | Self::Book(_))
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
