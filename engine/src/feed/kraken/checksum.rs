//! Kraken's book checksum (`docs/venues.md` §5.3, v1 and v2 alike): the top 10 asks, low to
//! high, then the top 10 bids, high to low; for each level its price text then its quantity
//! text, each written with the pair's precision, the decimal point removed and leading zeros
//! stripped; CRC32 (IEEE) of the whole, compared as an unsigned 32-bit integer. Fewer than 10
//! levels: those there are.
//!
//! A value written with `d` decimals, point removed and leading zeros stripped, is the integer
//! `value × 10^d` in decimal. So no text is kept per level: the book holds ticks and lots, and
//! [`Render`] turns a count of ticks (lots) into that integer with the instrument's grid and
//! the pair's precision (the decimals the venue writes: [`Decimals`]). Kraken writes every
//! value of a pair with the same precision, trailing zeros kept (v2 `0.10000000`, v1
//! `"56218.30000"`), and that precision can be finer than the grid's (the v1 XBT/CHF vector
//! writes 5 price decimals on a 0.1 grid) or than a registry inferred from the digits.
//!
//! # Hot path
//! [`checksum`] does not allocate: 40 integers written into a stack buffer and one CRC32 over
//! at most a few hundred bytes.

use super::wire::Decimals;
use crate::book::L2Book;
use ladder_sdk::{InstrumentSpec, Side};
use rust_decimal::Decimal;

/// Levels per side the checksum covers.
pub const DEPTH: usize = 10;

/// The digits of `0..100`, two by two.
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// A grid unit as `mantissa × 10^-scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Unit {
    mantissa: u128,
    scale: u8,
}

impl Unit {
    fn of(unit: Decimal) -> Self {
        let n = unit.normalize();
        Self {
            mantissa: u128::try_from(n.mantissa()).unwrap_or(1),
            scale: u8::try_from(n.scale()).unwrap_or(0),
        }
    }
}

/// Units of a grid to the integer text of their value written with some decimals:
/// `units × mul / div`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Scale {
    mul: u128,
    div: u128,
    /// `mul` when `div` is 1 and `mul` fits 64 bits: the usual case (the venue writes at
    /// least the grid's decimals), one 64-bit multiply per value, no 128-bit division.
    fast: Option<u64>,
}

impl Scale {
    fn new(unit: Unit, decimals: u8) -> Self {
        let pow = |n: u8| 10u128.pow(u32::from(n.min(38)));
        let (mul, div) = if decimals >= unit.scale {
            (unit.mantissa.saturating_mul(pow(decimals - unit.scale)), 1)
        } else {
            // Values written with fewer decimals than the grid's: exact for every value the
            // venue wrote (each had at most `decimals` decimals).
            (unit.mantissa, pow(unit.scale - decimals))
        };
        let fast = if div == 1 {
            u64::try_from(mul).ok()
        } else {
            None
        };
        Self { mul, div, fast }
    }

    /// Writes the text of `units` at `buf[at..]`; returns the new end.
    #[inline]
    fn write(&self, units: i64, buf: &mut [u8; BUF], at: usize) -> usize {
        let u = units.unsigned_abs();
        if let Some(v) = self.fast.and_then(|m| u.checked_mul(m)) {
            return write_u64(v, buf, at);
        }
        let v = u128::from(u).saturating_mul(self.mul) / self.div;
        match u64::try_from(v) {
            Ok(v) => write_u64(v, buf, at),
            Err(_) => write_u128(v, buf, at),
        }
    }
}

/// Bytes of the checksum text: 40 values of at most 39 digits.
const BUF: usize = 2 * 2 * DEPTH * 40;

/// Writes `v` in decimal at `buf[at..]` (two digits at a time, straight into place from the
/// last digit back: no intermediate buffer, no copy); returns the new end.
#[inline]
fn write_u64(mut v: u64, buf: &mut [u8; BUF], at: usize) -> usize {
    let n = v.checked_ilog10().unwrap_or(0) as usize + 1;
    let end = at + n;
    let Some(out) = buf.get_mut(at..end) else {
        return at;
    };
    let mut i = n;
    while v >= 100 {
        let k = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        out[i] = PAIRS[k];
        out[i + 1] = PAIRS[k + 1];
    }
    if v >= 10 {
        let k = v as usize * 2;
        out[0] = PAIRS[k];
        out[1] = PAIRS[k + 1];
    } else {
        out[0] = b'0' + v as u8;
    }
    end
}

fn write_u128(mut v: u128, buf: &mut [u8; BUF], at: usize) -> usize {
    let mut tmp = [0u8; 40];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let n = tmp.len() - i;
    let end = (at + n).min(BUF);
    buf[at..end].copy_from_slice(&tmp[i..i + (end - at)]);
    end
}

/// How one instrument's ticks and lots are written for the checksum: its grid and the
/// precision the venue writes its values with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Render {
    tick: Unit,
    lot: Unit,
    decimals: Decimals,
    price: Scale,
    qty: Scale,
}

impl Render {
    /// For an instrument on `spec`, values written with the grid's own decimals until
    /// [`Render::widen`] learns the venue's.
    pub fn new(spec: &InstrumentSpec) -> Self {
        let (tick, lot) = (Unit::of(spec.tick_size()), Unit::of(spec.lot_size()));
        let decimals = Decimals {
            price: tick.scale,
            qty: lot.scale,
        };
        Self {
            tick,
            lot,
            decimals,
            price: Scale::new(tick, decimals.price),
            qty: Scale::new(lot, decimals.qty),
        }
    }

    /// The precision in use.
    pub fn decimals(&self) -> Decimals {
        self.decimals
    }

    /// Sets the precision to `decimals` (what the venue wrote since the book was reset).
    #[inline]
    pub fn set(&mut self, decimals: Decimals) {
        if decimals != self.decimals {
            self.decimals = decimals;
            self.price = Scale::new(self.tick, decimals.price);
            self.qty = Scale::new(self.lot, decimals.qty);
        }
    }

    /// The checksum text of `book`'s top levels into `buf`; returns its length.
    #[inline]
    fn text(&self, book: &L2Book, buf: &mut [u8; BUF]) -> usize {
        let mut n = 0;
        for side in [Side::Sell, Side::Buy] {
            for l in book.levels(side).take(DEPTH) {
                n = self.price.write(l.price.ticks(), buf, n);
                n = self.qty.write(l.qty.lots(), buf, n);
            }
        }
        n
    }
}

/// The CRC32 of `book`'s top 10 asks then top 10 bids, written as `render` says.
///
/// # Hot path
/// No allocation; O(20 levels).
#[inline]
pub fn checksum(book: &L2Book, render: &Render) -> u32 {
    let mut buf = [0u8; BUF];
    let n = render.text(book, &mut buf);
    crc32fast::hash(&buf[..n])
}

/// The text [`checksum`] hashes (tests, and the doc examples' strings).
pub fn checksum_text(book: &L2Book, render: &Render) -> String {
    let mut buf = [0u8; BUF];
    let n = render.text(book, &mut buf);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::BookConfig;
    use crate::feed::kraken::wire::lexeme;
    use crate::testutil::shared;
    use ladder_sdk::Level;
    use rstest::rstest;

    /// A book of `(price, qty)` texts on `spec`, and its render with the texts' decimals.
    fn book_of(spec: &InstrumentSpec, asks: &[[&str; 2]], bids: &[[&str; 2]]) -> (L2Book, Render) {
        let mut book = L2Book::new(BookConfig::default());
        let mut d = Decimals::default();
        for (side, levels) in [(Side::Sell, asks), (Side::Buy, bids)] {
            for [p, q] in levels {
                let (pv, pd) = lexeme(p.as_bytes()).unwrap();
                let (qv, qd) = lexeme(q.as_bytes()).unwrap();
                d = d.max(Decimals { price: pd, qty: qd });
                let l = Level::new(
                    spec.market_price_from_raw(pv).unwrap(),
                    spec.market_qty_from_raw(qv).unwrap(),
                );
                book.apply(side, l.price, l.qty);
            }
        }
        let mut render = Render::new(spec);
        render.set(d);
        (book, render)
    }

    fn pairs(v: &serde_json::Value) -> Vec<[&str; 2]> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|l| [l[0].as_str().unwrap(), l[1].as_str().unwrap()])
            .collect()
    }

    fn spec(tick: &str, lot: &str) -> InstrumentSpec {
        InstrumentSpec::new(tick.parse().unwrap(), lot.parse().unwrap()).unwrap()
    }

    #[rstest]
    #[case::v2_btc_usd("doc_v2_book_checksum_example.json", "0.1", "0.00000001")]
    #[case::v1_low_price("doc_v1_book_checksum_example.json", "0.00001", "0.00000001")]
    // A registry inferred from the digits (trailing zeros dropped) is coarser than the text:
    // the checksum still writes the venue's decimals.
    #[case::v1_on_a_coarser_grid("doc_v1_book_checksum_example.json", "0.00005", "0.000005")]
    fn doc_checksum_example_reproduces_its_text_and_crc(
        #[case] file: &str,
        #[case] tick: &str,
        #[case] lot: &str,
    ) {
        let Some(path) = shared(&format!("vectors/kraken/{file}")) else {
            return;
        };
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let (book, render) = book_of(
            &spec(tick, lot),
            &pairs(&doc["asks_low_to_high"]),
            &pairs(&doc["bids_high_to_low"]),
        );
        let text = checksum_text(&book, &render);
        let want_text = match doc.get("expected_checksum_input") {
            Some(t) => t.as_str().unwrap().to_owned(),
            None => format!(
                "{}{}",
                doc["expected_asks_string"].as_str().unwrap(),
                doc["expected_bids_string"].as_str().unwrap()
            ),
        };
        assert_eq!(text, want_text);
        assert_eq!(
            u64::from(checksum(&book, &render)),
            doc["expected_checksum_u32"].as_u64().unwrap()
        );
    }

    #[test]
    fn checksum_takes_only_the_top_ten_of_each_side() {
        let s = spec("1", "1");
        let asks: Vec<[String; 2]> = (0..12)
            .map(|i| [format!("{}", 200 + i), "1".into()])
            .collect();
        let asks: Vec<[&str; 2]> = asks.iter().map(|[p, q]| [p.as_str(), q.as_str()]).collect();
        let (book, render) = book_of(&s, &asks, &[["100", "7"]]);
        let want: String = (0..10).map(|i| format!("{}1", 200 + i)).collect::<String>() + "1007";
        assert_eq!(checksum_text(&book, &render), want);
        assert_eq!(checksum(&book, &render), crc32fast::hash(want.as_bytes()));
    }

    #[rstest]
    #[case::one_digit(7, "7")]
    #[case::two_digits(42, "42")]
    #[case::odd_length(12345, "12345")]
    #[case::zero(0, "0")]
    #[case::max(u64::MAX, "18446744073709551615")]
    fn write_u64_writes_decimal_without_leading_zeros(#[case] v: u64, #[case] want: &str) {
        let mut buf = [0u8; BUF];
        let n = write_u64(v, &mut buf, 3);
        assert_eq!(&buf[3..n], want.as_bytes());
    }

    #[test]
    fn values_beyond_u64_are_written_exactly() {
        // 10^14 lots of a 1-lot grid written with 28 decimals: 10^42 does not fit; saturates
        // in u128 rather than panicking, and a 10^14 × 10^10 value is exact.
        let unit = Unit {
            mantissa: 1,
            scale: 0,
        };
        let mut buf = [0u8; BUF];
        let n = Scale::new(unit, 10).write(100_000_000_000_000, &mut buf, 0);
        assert_eq!(&buf[..n], format!("1{}", "0".repeat(24)).as_bytes());
    }
}
