//! Book integrity faults, venue-neutral: what a sequencer found wrong with a venue's messages
//! or with the book they built, with the data to say why.
//!
//! Every fault is handled the same way, whatever the venue: it is counted (by kind, in
//! [`FaultCounts`]), the instrument's book is marked stale, the consumer is told (a
//! `MarketEvent::Status` with [`IntegrityFault::stale_reason`]) and a new snapshot is asked for.
//! A book is exact or loudly stale, never silently wrong.
//!
//! Binance's sequencer (`feed/binance/sync.rs`) raises the sequence, id and snapshot faults and,
//! from the book it keeps, [`IntegrityFault::Crossed`]; Bybit's (`feed/bybit/sync.rs`) adds
//! [`IntegrityFault::DepthExceeded`] (a book deeper than the venue's window) and
//! [`IntegrityFault::GridChanged`] (a book restart on another tick or lot grid); OKX's
//! (`feed/okx/sync.rs`) raises a broken `prevSeqId` chain as a [`IntegrityFault::SequenceGap`] and
//! a book whose checksum does not match as [`IntegrityFault::ChecksumMismatch`]; Coinbase's
//! (`feed/coinbase/sync.rs`) raises a break in the connection's `sequence_num` as a
//! [`IntegrityFault::SequenceGap`] (or [`IntegrityFault::IdsBackward`]) of every book of the
//! connection. The next venues add their own kinds here rather than a type of their own.

use ladder_sdk::{RawDecimal, StaleReason, UnixNanos};
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt;

/// What broke. `Copy` and allocation-free: it is built on the feed's hot path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IntegrityFault {
    /// A message did not continue the sequence: it skips ids (a message was lost) or does not
    /// chain to the last applied one (spot `U != prev_u + 1`, futures `pu != prev_u`), or a
    /// snapshot is older than the first message that could follow it.
    SequenceGap {
        /// The id the message had to continue from.
        expected: u64,
        /// The id it carried instead.
        got: u64,
    },
    /// Update ids went backwards: the book is at `last` and a message that is not a repeat of
    /// the last one ended at `got <= last` (an id reset, a replayed or reordered message, or
    /// anything after an id of `u64::MAX`, which nothing can follow).
    IdsBackward {
        /// The id the book is at.
        last: u64,
        /// The last id of the message.
        got: u64,
    },
    /// A message's first id is above its last (`U > u`).
    IdsReversed {
        /// Its first id.
        first: u64,
        /// Its last id.
        last: u64,
    },
    /// The stream never reached the snapshot: messages kept arriving that it already covers,
    /// past the sequencer's bound (a snapshot id ahead of the stream, or ids reset below it).
    SnapshotAhead {
        /// The snapshot's id.
        snapshot: u64,
        /// The last id of the message that reached the bound.
        got: u64,
    },
    /// After a complete message the best bid is at or above the best ask (crossed or locked).
    Crossed {
        /// Best bid, in ticks.
        bid: i64,
        /// Best ask, in ticks.
        ask: i64,
    },
    /// After a complete message a side holds more levels than the subscribed depth. A venue
    /// that keeps the depth window itself (Bybit) sends the levels that leave it, so a deeper
    /// book missed or misapplied a message.
    DepthExceeded {
        /// Levels on the deeper side.
        levels: u32,
        /// The subscribed depth.
        depth: u32,
    },
    /// The venue restarted the book (Bybit `u = 1`) with a value off the instrument's grid:
    /// its tick or lot size changed, and the instrument spec must be reloaded before the book
    /// can sync again.
    GridChanged {
        /// True for a price (the tick changed), false for a quantity (the lot changed).
        price: bool,
        /// The value off the grid.
        value: RawDecimal,
    },
    /// After a complete message the checksum of the local book is not the venue's (OKX: the
    /// signed CRC32 of the top 25 levels' wire text): a message was lost or misapplied.
    ChecksumMismatch {
        /// The checksum the message carried.
        expected: i32,
        /// The checksum of the local book.
        computed: i32,
    },
}

impl IntegrityFault {
    /// Every kind's name, in the order [`FaultCounts`] lists them.
    pub const NAMES: [&'static str; 8] = [
        "sequence_gap",
        "ids_backward",
        "ids_reversed",
        "snapshot_ahead",
        "crossed",
        "depth_exceeded",
        "grid_changed",
        "checksum_mismatch",
    ];

    /// The kind's lowercase name, as reports print it.
    pub const fn name(&self) -> &'static str {
        Self::NAMES[self.index()]
    }

    /// The kind's position in [`IntegrityFault::NAMES`].
    pub const fn index(&self) -> usize {
        match self {
            Self::SequenceGap { .. } => 0,
            Self::IdsBackward { .. } => 1,
            Self::IdsReversed { .. } => 2,
            Self::SnapshotAhead { .. } => 3,
            Self::Crossed { .. } => 4,
            Self::DepthExceeded { .. } => 5,
            Self::GridChanged { .. } => 6,
            Self::ChecksumMismatch { .. } => 7,
        }
    }

    /// Whether the book must be rebuilt from a new snapshot. True for every kind so far: none
    /// of them leaves a book that can be trusted.
    pub const fn needs_resync(&self) -> bool {
        true
    }

    /// The reason a consumer is given with the stale status. The ABI has two integrity reasons:
    /// faults of the message sequence are [`StaleReason::SequenceGap`]; a book whose content is
    /// impossible ([`IntegrityFault::Crossed`]) is [`StaleReason::ChecksumMismatch`], the
    /// reason for "the local book does not match the venue's" (so are a book deeper than the
    /// venue's window, one the instrument's grid cannot hold, and one whose checksum does not
    /// match).
    pub const fn stale_reason(&self) -> StaleReason {
        match self {
            Self::Crossed { .. }
            | Self::DepthExceeded { .. }
            | Self::GridChanged { .. }
            | Self::ChecksumMismatch { .. } => StaleReason::ChecksumMismatch,
            Self::SequenceGap { .. }
            | Self::IdsBackward { .. }
            | Self::IdsReversed { .. }
            | Self::SnapshotAhead { .. } => StaleReason::SequenceGap,
        }
    }
}

impl IntegrityFault {
    /// What broke, in a few words (`"sequence gap"`).
    pub const fn title(&self) -> &'static str {
        match self {
            Self::SequenceGap { .. } => "sequence gap",
            Self::IdsBackward { .. } => "update ids went backwards",
            Self::IdsReversed { .. } => "reversed update ids",
            Self::SnapshotAhead { .. } => "snapshot ahead of the stream",
            Self::Crossed { .. } => "crossed book",
            Self::DepthExceeded { .. } => "book deeper than the subscribed depth",
            Self::GridChanged { .. } => "instrument grid changed",
            Self::ChecksumMismatch { .. } => "checksum mismatch",
        }
    }

    /// The data, as a sentence fragment (`"expected update id 7, got 9"`).
    pub const fn detail(&self) -> Detail {
        Detail(*self)
    }
}

/// [`IntegrityFault::detail`], printed on demand (no allocation).
#[derive(Debug, Clone, Copy)]
pub struct Detail(IntegrityFault);

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IntegrityFault::SequenceGap { expected, got } => {
                write!(f, "expected update id {expected}, got {got}")
            }
            IntegrityFault::IdsBackward { last, got } => write!(
                f,
                "the book is at update id {last}, a message ended at {got}"
            ),
            IntegrityFault::IdsReversed { first, last } => {
                write!(f, "first update id {first} is above last {last}")
            }
            IntegrityFault::SnapshotAhead { snapshot, got } => write!(
                f,
                "the snapshot is at update id {snapshot}, messages still end at {got}"
            ),
            IntegrityFault::Crossed { bid, ask } => write!(
                f,
                "best bid {bid} >= best ask {ask} (ticks) after a complete message"
            ),
            IntegrityFault::DepthExceeded { levels, depth } => write!(
                f,
                "{levels} levels on one side after a complete message, subscribed depth {depth}"
            ),
            IntegrityFault::GridChanged { price, value } => write!(
                f,
                "the venue restarted the book with {} {} off the instrument's {} grid; \
                 reload the instrument spec",
                if price { "price" } else { "quantity" },
                decimal(value),
                if price { "tick" } else { "lot" }
            ),
            IntegrityFault::ChecksumMismatch { expected, computed } => write!(
                f,
                "the message says {expected}, the local book's top 25 levels give {computed}"
            ),
        }
    }
}

/// A raw wire decimal as a decimal number (its scale is at most 28, as `Decimal` holds).
fn decimal(v: RawDecimal) -> Decimal {
    let m = i128::from(v.mantissa) * if v.negative { -1 } else { 1 };
    Decimal::try_from_i128_with_scale(m, u32::from(v.scale)).unwrap_or_default()
}

impl fmt::Display for IntegrityFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.title(), self.detail())
    }
}

/// A fault and when the message that showed it was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// What broke.
    pub kind: IntegrityFault,
    /// Receive time of the message that showed it.
    pub ts_recv: UnixNanos,
}

const _: () = assert!(std::mem::size_of::<Fault>() <= 32);

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)
    }
}

/// Faults counted by kind. Serialized as an object keyed by [`IntegrityFault::NAMES`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FaultCounts {
    /// [`IntegrityFault::SequenceGap`].
    pub sequence_gap: u64,
    /// [`IntegrityFault::IdsBackward`].
    pub ids_backward: u64,
    /// [`IntegrityFault::IdsReversed`].
    pub ids_reversed: u64,
    /// [`IntegrityFault::SnapshotAhead`].
    pub snapshot_ahead: u64,
    /// [`IntegrityFault::Crossed`].
    pub crossed: u64,
    /// [`IntegrityFault::DepthExceeded`].
    pub depth_exceeded: u64,
    /// [`IntegrityFault::GridChanged`].
    pub grid_changed: u64,
    /// [`IntegrityFault::ChecksumMismatch`].
    pub checksum_mismatch: u64,
}

impl FaultCounts {
    /// Counts given by kind, in [`IntegrityFault::NAMES`] order.
    pub fn from_array(counts: [u64; IntegrityFault::NAMES.len()]) -> Self {
        let mut c = Self::default();
        for (k, n) in counts.into_iter().enumerate() {
            *c.slot(k) = n;
        }
        c
    }

    /// Counts one fault.
    pub fn record(&mut self, fault: &IntegrityFault) {
        *self.slot(fault.index()) += 1;
    }

    /// All faults.
    pub fn total(&self) -> u64 {
        self.by_kind().iter().map(|(_, n)| n).sum()
    }

    /// `(name, count)` per kind, in [`IntegrityFault::NAMES`] order.
    pub fn by_kind(&self) -> [(&'static str, u64); 8] {
        let n = IntegrityFault::NAMES;
        [
            (n[0], self.sequence_gap),
            (n[1], self.ids_backward),
            (n[2], self.ids_reversed),
            (n[3], self.snapshot_ahead),
            (n[4], self.crossed),
            (n[5], self.depth_exceeded),
            (n[6], self.grid_changed),
            (n[7], self.checksum_mismatch),
        ]
    }

    /// Adds another instrument's counts.
    pub fn add(&mut self, other: &Self) {
        for (k, (_, n)) in other.by_kind().into_iter().enumerate() {
            *self.slot(k) += n;
        }
    }

    fn slot(&mut self, index: usize) -> &mut u64 {
        match index {
            0 => &mut self.sequence_gap,
            1 => &mut self.ids_backward,
            2 => &mut self.ids_reversed,
            3 => &mut self.snapshot_ahead,
            4 => &mut self.crossed,
            5 => &mut self.depth_exceeded,
            6 => &mut self.grid_changed,
            _ => &mut self.checksum_mismatch,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::gap(IntegrityFault::SequenceGap { expected: 7, got: 9 }, "sequence_gap", "expected update id 7, got 9")]
    #[case::backward(IntegrityFault::IdsBackward { last: u64::MAX, got: 102 }, "ids_backward", "update ids went backwards: the book is at update id 18446744073709551615, a message ended at 102")]
    #[case::reversed(IntegrityFault::IdsReversed { first: 5, last: 4 }, "ids_reversed", "reversed update ids: first update id 5 is above last 4")]
    #[case::ahead(IntegrityFault::SnapshotAhead { snapshot: u64::MAX, got: 3 }, "snapshot_ahead", "snapshot ahead of the stream: the snapshot is at update id 18446744073709551615, messages still end at 3")]
    #[case::crossed(IntegrityFault::Crossed { bid: 1050, ask: 1000 }, "crossed", "crossed book: best bid 1050 >= best ask 1000")]
    #[case::depth_exceeded(IntegrityFault::DepthExceeded { levels: 201, depth: 200 }, "depth_exceeded", "book deeper than the subscribed depth: 201 levels on one side after a complete message, subscribed depth 200")]
    #[case::grid_changed(IntegrityFault::GridChanged { price: true, value: RawDecimal { mantissa: 6514045, scale: 2, negative: false } }, "grid_changed", "instrument grid changed: the venue restarted the book with price 65140.45 off the instrument's tick grid; reload the instrument spec")]
    #[case::checksum(IntegrityFault::ChecksumMismatch { expected: -5, computed: 7 }, "checksum_mismatch", "checksum mismatch: the message says -5, the local book's top 25 levels give 7")]
    fn fault_names_and_messages_carry_their_data(
        #[case] fault: IntegrityFault,
        #[case] name: &str,
        #[case] text: &str,
    ) {
        assert_eq!(fault.name(), name);
        assert!(fault.to_string().contains(text), "{fault}");
        assert!(fault.needs_resync());
    }

    #[test]
    fn fault_counts_record_each_kind_in_its_own_counter_and_total_all() {
        let mut c = FaultCounts::default();
        c.record(&IntegrityFault::SequenceGap {
            expected: 1,
            got: 2,
        });
        c.record(&IntegrityFault::Crossed { bid: 2, ask: 1 });
        c.record(&IntegrityFault::Crossed { bid: 2, ask: 2 });
        assert_eq!((c.sequence_gap, c.crossed, c.ids_backward), (1, 2, 0));
        assert_eq!(c.total(), 3);
        let mut sum = FaultCounts::default();
        sum.add(&c);
        sum.add(&c);
        assert_eq!(sum.total(), 6);
        assert_eq!(sum.by_kind()[4], ("crossed", 4));
        c.record(&IntegrityFault::DepthExceeded {
            levels: 2,
            depth: 1,
        });
        assert_eq!((c.depth_exceeded, c.grid_changed, c.total()), (1, 0, 4));
    }

    #[test]
    fn crossed_is_reported_to_consumers_as_a_book_mismatch_not_a_gap() {
        assert_eq!(
            IntegrityFault::Crossed { bid: 1, ask: 1 }.stale_reason(),
            StaleReason::ChecksumMismatch
        );
        assert_eq!(
            IntegrityFault::ChecksumMismatch {
                expected: 1,
                computed: 2
            }
            .stale_reason(),
            StaleReason::ChecksumMismatch
        );
        assert_eq!(
            IntegrityFault::IdsReversed { first: 2, last: 1 }.stale_reason(),
            StaleReason::SequenceGap
        );
        assert_eq!(
            IntegrityFault::DepthExceeded {
                levels: 2,
                depth: 1
            }
            .stale_reason(),
            StaleReason::ChecksumMismatch
        );
    }
}
