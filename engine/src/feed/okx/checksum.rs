//! The OKX book checksum, over the original wire strings of each level (`docs/venues.md` §4.4,
//! §12).
//!
//! Take the first 25 bids (best first) and 25 asks of the local book; interleave
//! `bid1, ask1, bid2, ask2, ...`, each level as `price:size` in the **text the venue sent**
//! (`"0.5000"` is not `"0.5"`); when one side runs out, continue with the other; join with `:`;
//! CRC32 (IEEE) read as a signed 32-bit integer. A message's `checksum` of `0` means "not
//! sent" (OKX has sent `0` on every book channel since 2026-06-23): neither checked nor a
//! mismatch.
//!
//! [`WireTexts`] is the book side of that: per instrument, one map per side from a level's
//! price in ticks to its price and size text, updated with every level the sequencer applies
//! and bounded by the book (a level removed from the book is removed here).

use crate::book::L2Book;
use ladder_sdk::{Level, Side};
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

/// Levels per side the checksum covers.
pub const DEPTH: usize = 25;

/// Levels per side a map is sized for up front (the 400 of `books`, rounded up).
const RESERVED: usize = 512;

/// The wire text of one side's levels, in the order of the levels: each level's price then
/// size text back to back in `bytes`, their lengths in `lens`.
#[derive(Debug, Clone, Copy, Default)]
pub struct LevelTexts<'a> {
    /// The text, back to back.
    pub bytes: &'a [u8],
    /// `(price length, size length)` per level.
    pub lens: &'a [(u16, u16)],
}

impl<'a> LevelTexts<'a> {
    /// `(price text, size text)` of each level, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a {
        let bytes = self.bytes;
        let mut at = 0usize;
        self.lens.iter().map(move |&(p, s)| {
            let (p, s) = (usize::from(p), usize::from(s));
            let px = bytes.get(at..at + p).unwrap_or_default();
            let sz = bytes.get(at + p..at + p + s).unwrap_or_default();
            at += p + s;
            (px, sz)
        })
    }
}

/// The wire text of a message's bid and ask levels.
#[derive(Debug, Clone, Copy, Default)]
pub struct Texts<'a> {
    /// Bids, in the order of the bid levels.
    pub bids: LevelTexts<'a>,
    /// Asks, in the order of the ask levels.
    pub asks: LevelTexts<'a>,
}

/// Price and size text of one level, inline when short (every real OKX level is).
#[derive(Debug, Clone)]
enum Text {
    Inline { buf: [u8; 38], price: u8, size: u8 },
    Long(Box<[u8]>, usize),
}

impl Text {
    fn new(price: &[u8], size: &[u8]) -> Self {
        let n = price.len() + size.len();
        let mut buf = [0u8; 38];
        match buf.get_mut(..n) {
            Some(dst) if price.len() <= 255 && size.len() <= 255 => {
                dst[..price.len()].copy_from_slice(price);
                dst[price.len()..].copy_from_slice(size);
                Self::Inline {
                    buf,
                    price: price.len() as u8,
                    size: size.len() as u8,
                }
            }
            // Longer than any venue sends: allowed, at the cost of an allocation.
            _ => Self::Long([price, size].concat().into_boxed_slice(), price.len()),
        }
    }

    fn parts(&self) -> (&[u8], &[u8]) {
        match self {
            Self::Inline { buf, price, size } => {
                let (p, s) = (usize::from(*price), usize::from(*size));
                (&buf[..p], &buf[p..p + s])
            }
            Self::Long(b, p) => b.split_at((*p).min(b.len())),
        }
    }
}

/// A multiply-shift hasher for tick keys (the map is on the hot path; SipHash is not needed
/// for keys the venue cannot choose to collide on purpose cheaply, and a level count bounded
/// by the book).
#[derive(Debug, Default, Clone, Copy)]
struct TickHasher(u64);

impl Hasher for TickHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_i64(&mut self, v: i64) {
        self.0 = (v as u64 ^ 0x9e37_79b9_7f4a_7c15).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        self.0 ^= self.0 >> 31;
    }
}

type TextMap = HashMap<i64, Text, BuildHasherDefault<TickHasher>>;

/// The wire text of every level of one instrument's book.
#[derive(Debug, Clone)]
pub struct WireTexts {
    bids: TextMap,
    asks: TextMap,
}

impl Default for WireTexts {
    fn default() -> Self {
        Self::new()
    }
}

impl WireTexts {
    /// Empty maps, sized for a 400-level book.
    pub fn new() -> Self {
        Self {
            bids: TextMap::with_capacity_and_hasher(RESERVED, BuildHasherDefault::default()),
            asks: TextMap::with_capacity_and_hasher(RESERVED, BuildHasherDefault::default()),
        }
    }

    /// Forgets every level (a new snapshot); keeps the memory.
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
    }

    /// Levels held on `side`.
    pub fn len(&self, side: Side) -> usize {
        self.side(side).len()
    }

    /// True when no level is held.
    pub fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }

    /// The price and size text recorded for the level at `ticks` on `side`.
    pub fn text(&self, side: Side, ticks: i64) -> Option<(&[u8], &[u8])> {
        self.side(side).get(&ticks).map(Text::parts)
    }

    /// Records the text of levels applied to the book on `side` (a zero size removes).
    ///
    /// # Hot path
    /// No allocation while the map is within its capacity and texts are short; O(levels).
    pub fn apply(&mut self, side: Side, levels: &[Level], texts: LevelTexts<'_>) {
        let map = match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        for (l, (px, sz)) in levels.iter().zip(texts.iter()) {
            let key = l.price.ticks();
            if l.qty.lots() == 0 {
                map.remove(&key);
            } else {
                map.insert(key, Text::new(px, sz));
            }
        }
    }

    /// The signed CRC32 of the top [`DEPTH`] levels of `book`, over the recorded text. A level
    /// with no text recorded (cannot happen while every applied level goes through
    /// [`WireTexts::apply`]) hashes as empty strings, and so mismatches.
    ///
    /// # Hot path
    /// No allocation; O(50 levels).
    pub fn checksum(&self, book: &L2Book) -> i32 {
        let mut h = crc32fast::Hasher::new();
        let mut bids = book.levels(Side::Buy).take(DEPTH);
        let mut asks = book.levels(Side::Sell).take(DEPTH);
        let mut first = true;
        let mut put = |h: &mut crc32fast::Hasher, (px, sz): (&[u8], &[u8])| {
            if !first {
                h.update(b":");
            }
            first = false;
            h.update(px);
            h.update(b":");
            h.update(sz);
        };
        loop {
            let (b, a) = (bids.next(), asks.next());
            if b.is_none() && a.is_none() {
                break;
            }
            if let Some(l) = b {
                put(&mut h, text_of(&self.bids, &l));
            }
            if let Some(l) = a {
                put(&mut h, text_of(&self.asks, &l));
            }
        }
        h.finalize() as i32
    }

    fn side(&self, side: Side) -> &TextMap {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }
}

fn text_of<'a>(map: &'a TextMap, l: &Level) -> (&'a [u8], &'a [u8]) {
    map.get(&l.price.ticks())
        .map_or((&[][..], &[][..]), Text::parts)
}

/// Bytes of level text a floor of capacity is kept for once the ring empties (64 KiB).
const FLOOR_TEXT: usize = 1 << 16;

/// The wire text of updates buffered while a book waits for its snapshot, one entry per
/// buffered update, kept in step with the sequencer's `PendingDiffs` (same pushes, same
/// discards from the front). Bounded in bytes by the caller.
#[derive(Debug, Default)]
pub struct PendingTexts {
    bytes: VecDeque<u8>,
    lens: VecDeque<(u16, u16)>,
    /// `(bytes, levels)` of each entry.
    entries: VecDeque<(u32, u32)>,
}

impl PendingTexts {
    /// Entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Text bytes held.
    pub fn bytes_held(&self) -> usize {
        self.bytes.len()
    }

    /// Appends one update's text (bids, then asks).
    pub fn push(&mut self, texts: Texts<'_>) {
        let n = texts.bids.bytes.len() + texts.asks.bytes.len();
        let levels = texts.bids.lens.len() + texts.asks.lens.len();
        self.bytes
            .extend(texts.bids.bytes.iter().chain(texts.asks.bytes));
        self.lens
            .extend(texts.bids.lens.iter().chain(texts.asks.lens));
        self.entries.push_back((
            u32::try_from(n).unwrap_or(u32::MAX),
            u32::try_from(levels).unwrap_or(u32::MAX),
        ));
    }

    /// Removes the oldest `n` entries (all of them if fewer are held); gives memory back
    /// once empty.
    pub fn discard_front(&mut self, n: usize) {
        for _ in 0..n.min(self.entries.len()) {
            if let Some((b, l)) = self.entries.pop_front() {
                self.bytes.drain(..(b as usize).min(self.bytes.len()));
                self.lens.drain(..(l as usize).min(self.lens.len()));
            }
        }
        if self.entries.is_empty() {
            self.bytes.clear();
            self.lens.clear();
            self.bytes.shrink_to(FLOOR_TEXT);
            self.lens.shrink_to(FLOOR_TEXT / 16);
            self.entries.shrink_to(256);
        }
    }

    /// Each entry's text, oldest first, split into bids (the first `bids(k)` levels of entry
    /// `k`) and asks. Moves the ring into one contiguous run first (no allocation).
    pub fn contiguous(&mut self) -> Contiguous<'_> {
        Contiguous {
            bytes: self.bytes.make_contiguous(),
            lens: self.lens.make_contiguous(),
            entries: &self.entries,
        }
    }
}

/// The buffered text in one run: [`PendingTexts::contiguous`].
#[derive(Debug)]
pub struct Contiguous<'a> {
    /// Every entry's text, oldest first.
    pub bytes: &'a [u8],
    /// Every entry's level lengths, oldest first.
    pub lens: &'a [(u16, u16)],
    /// `(bytes, levels)` of each entry.
    pub entries: &'a VecDeque<(u32, u32)>,
}

/// Splits one update's text (as [`PendingTexts::push`] stored it) into bids and asks.
pub fn split_texts<'a>(bytes: &'a [u8], lens: &'a [(u16, u16)], bids: usize) -> Texts<'a> {
    let bids = bids.min(lens.len());
    let (bl, al) = lens.split_at(bids);
    let bid_bytes: usize = bl
        .iter()
        .map(|&(p, s)| usize::from(p) + usize::from(s))
        .sum();
    let (bb, ab) = bytes.split_at(bid_bytes.min(bytes.len()));
    Texts {
        bids: LevelTexts {
            bytes: bb,
            lens: bl,
        },
        asks: LevelTexts {
            bytes: ab,
            lens: al,
        },
    }
}

/// The signed CRC32 of a checksum string (tests and the doc examples).
pub fn signed_crc32(text: &[u8]) -> i32 {
    crc32fast::hash(text) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::BookConfig;
    use crate::testutil::shared;
    use ladder_sdk::{Price, Quantity};
    use rust_decimal::Decimal;
    use std::str::FromStr;

    /// Builds a book and its texts from `(price, size)` strings, ticks from the decimal value
    /// at 4 decimals.
    fn book_of(bids: &[[&str; 2]], asks: &[[&str; 2]]) -> (L2Book, WireTexts) {
        let mut book = L2Book::new(BookConfig::default());
        let mut texts = WireTexts::new();
        for (side, levels) in [(Side::Buy, bids), (Side::Sell, asks)] {
            for [p, s] in levels {
                let ticks = (Decimal::from_str(p).unwrap() * Decimal::from(10_000))
                    .try_into()
                    .unwrap();
                let l = Level::new(Price::from_ticks(ticks), Quantity::from_lots(1));
                book.apply(side, l.price, l.qty);
                let mut bytes = p.as_bytes().to_vec();
                bytes.extend_from_slice(s.as_bytes());
                let lens = [(p.len() as u16, s.len() as u16)];
                texts.apply(
                    side,
                    &[l],
                    LevelTexts {
                        bytes: &bytes,
                        lens: &lens,
                    },
                );
            }
        }
        (book, texts)
    }

    fn strings(v: &serde_json::Value) -> Vec<[&str; 2]> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|l| [l[0].as_str().unwrap(), l[1].as_str().unwrap()])
            .collect()
    }

    #[test]
    fn doc_checksum_examples_reproduce_their_strings_and_values() {
        let Some(path) = shared("vectors/okx/doc_checksum_examples.json") else {
            return;
        };
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let vectors = doc["vectors"].as_array().unwrap();
        assert_eq!(vectors.len(), 3);
        for v in vectors {
            let want = v["expected_checksum_i32"].as_i64().unwrap();
            let text = v["expected_string"].as_str().unwrap();
            assert_eq!(
                i64::from(signed_crc32(text.as_bytes())),
                want,
                "{}",
                v["name"]
            );
            let (book, texts) = book_of(&strings(&v["bids"]), &strings(&v["asks"]));
            assert_eq!(i64::from(texts.checksum(&book)), want, "{}", v["name"]);
        }
    }

    #[test]
    fn checksum_uses_the_wire_text_not_the_value() {
        let (book, texts) = book_of(&[["3366.1", "7"], ["3366", "6"]], &[["3366.8", "9"]]);
        let (_, padded) = book_of(&[["3366.10", "7"], ["3366", "6"]], &[["3366.8", "9"]]);
        assert_eq!(
            texts.checksum(&book),
            signed_crc32(b"3366.1:7:3366.8:9:3366:6")
        );
        assert_ne!(padded.checksum(&book), texts.checksum(&book));
    }

    #[test]
    fn zero_size_removes_the_text_and_only_the_top_25_count() {
        let bids: Vec<[String; 2]> = (0..30)
            .map(|i| [format!("{}", 100 - i), "1".into()])
            .collect();
        let bids: Vec<[&str; 2]> = bids.iter().map(|[p, s]| [p.as_str(), s.as_str()]).collect();
        let (book, mut texts) = book_of(&bids, &[]);
        let top: Vec<String> = (0..25).map(|i| format!("{}:1", 100 - i)).collect();
        assert_eq!(
            texts.checksum(&book),
            signed_crc32(top.join(":").as_bytes())
        );
        let gone = Level::new(Price::from_ticks(1_000_000), Quantity::from_lots(0));
        texts.apply(
            Side::Buy,
            &[gone],
            LevelTexts {
                bytes: b"1000",
                lens: &[(3, 1)],
            },
        );
        assert_eq!(texts.len(Side::Buy), 29);
    }
}
