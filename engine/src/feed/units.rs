//! Venue decimal strings straight to integer ticks and lots: the fast number and level scanner
//! every venue decoder shares.
//!
//! The general path of a decoder reads a decimal string into a [`RawDecimal`] and converts it
//! with [`InstrumentSpec::market_price_from_raw`] afterwards: two passes and a 16-byte
//! intermediate per value. When the instrument is known before its levels (every venue names it
//! first) and its grid is a power of ten (tick `0.01`, lot `0.00001`), [`Units`] reads the digits
//! of `"61837.63000000"` straight into ticks with SWAR (eight digits at a time in a `u64`, the
//! simdjson technique, portable: no `unsafe`, no target feature): one 16-byte window finds the end
//! of the integer part, a second parses the fraction, and digits past the grid's decimals are
//! checked to be zeros instead of divided away.
//!
//! Every value read also teaches its column (prices, quantities) a layout (`units/layout.rs`):
//! where its digits, its dot and its closing quote are, and which digits past the grid must be
//! `'0'`. The next value of the column is first checked against that layout with a few 64-bit
//! masks (two unaligned loads, no scan, no per-byte branch) and, when it matches, read with one
//! or two eight-digit SWAR steps whose shifts the layout holds. Venues write a column with one
//! layout almost always (Binance spot: `61837.63000000` and `0.00105000`, 2.5 % of the
//! quantities change their integer width), so the scan that finds the dot and the end runs only
//! on a change. A layout is built when two values in a row share their shape, so a column whose
//! widths keep changing does not pay for layouts it would not reuse; and a column that missed
//! its layout on more than a third of a window's values (venues that trim trailing zeros: OKX,
//! Bybit, Coinbase write `65062.5`, `65061.91`, `0.00583`) reads plain, straight through the
//! SWAR reader, for the next 1024 values, decided at a frame's start from the counts the level
//! loops report ([`Units::count`]). The layouts live in the decoder ([`Layouts`]) and carry over
//! from frame to frame; they are reset when the instrument's grid changes.
//!
//! The contract is exactness by construction: the fast path answers only for the shapes whose
//! value it reads completely (`"`, 1–8 digits, optionally `.` and 0–8 digits, `"`), and only
//! with values inside the market range. Everything else (a sign, an exponent, a longer number, a
//! value off the grid, zero or out of range, an odd grid) goes through the general path, which
//! gives the value or the error the decoder always gave. A decoder's exact-shape path
//! ([`pair`]) returns `None` on any surprise, and the decoder then decodes the frame again with
//! its general walk, so errors name the same field and byte as before.
//!
//! # Hot path
//! No allocation, no division, a constant number of loads per value.

use crate::feed::json::{Scanner, string_end};
use ladder_sdk::{InstrumentSpec, Level, Price, Quantity, RawDecimal};

const ZEROS: u64 = 0x3030_3030_3030_3030;
const POW10: [u64; 11] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
];
/// The largest grid scale the fast path takes: 8 integer digits times 10^10 stays below 2^63.
const MAX_FAST_SCALE: u32 = 10;

/// One instrument's grids, as the level scanners use them: the spec for the general path and,
/// for power-of-ten units, their decimals for the fast one.
#[derive(Debug, Clone, Copy)]
pub struct Units<'s> {
    spec: &'s InstrumentSpec,
    tick_scale: Option<u32>,
    lot_scale: Option<u32>,
    layouts: &'s Layouts,
    /// The columns read without layouts in this frame (`units/layout.rs`).
    price_plain: bool,
    qty_plain: bool,
}

impl<'s> Units<'s> {
    /// The converter of `spec`'s prices and quantities, reading with (and teaching) the
    /// decoder's `layouts`; they are reset here if they were learnt on another grid.
    #[inline]
    pub fn new(spec: &'s InstrumentSpec, layouts: &'s Layouts) -> Self {
        let tick_scale = pow10_scale(spec.tick_grid());
        let lot_scale = pow10_scale(spec.lot_grid());
        layouts.price.keep_for(tick_scale);
        layouts.qty.keep_for(lot_scale);
        Self {
            spec,
            tick_scale,
            lot_scale,
            layouts,
            price_plain: layouts.price.plain.get(),
            qty_plain: layouts.qty.plain.get(),
        }
    }

    /// The quoted decimal at `buf[pos]` (`"`) as a market price in ticks, and the position after
    /// its closing quote; `None` if it is not a plain decimal string or not a valid price (the
    /// caller's general path then names the error).
    ///
    /// # Hot path
    /// No allocation; SWAR for the usual shapes.
    #[inline(always)]
    pub fn price(&self, buf: &[u8], pos: usize) -> Option<(Price, usize)> {
        if let Some(scale) = self.tick_scale
            && let Some((ticks, end)) = self.layouts.price.read(buf, pos, scale, self.price_plain)
            && (1..=InstrumentSpec::MAX_MARKET_TICKS as u64).contains(&ticks)
        {
            return Some((Price::from_ticks(ticks as i64), end));
        }
        let (raw, end) = general(buf, pos)?;
        let p = self.spec.market_price_from_raw(raw).ok()?;
        Some((p, end))
    }

    /// The quoted decimal at `buf[pos]` as a market quantity in lots (see [`Units::price`]).
    ///
    /// # Hot path
    /// No allocation; SWAR for the usual shapes.
    #[inline(always)]
    pub fn qty(&self, buf: &[u8], pos: usize) -> Option<(Quantity, usize)> {
        if let Some(scale) = self.lot_scale
            && let Some((lots, end)) = self.layouts.qty.read(buf, pos, scale, self.qty_plain)
            && lots <= InstrumentSpec::MAX_MARKET_LOTS as u64
        {
            return Some((Quantity::from_lots(lots as i64), end));
        }
        let (raw, end) = general(buf, pos)?;
        let q = self.spec.market_qty_from_raw(raw).ok()?;
        Some((q, end))
    }
}

impl Units<'_> {
    /// Counts the `levels` a level loop read (a price and a quantity each), for the columns'
    /// choice between layouts and plain reads (`units/layout.rs`).
    #[inline(always)]
    pub fn count(&self, levels: usize) {
        let levels = u32::try_from(levels).unwrap_or(u32::MAX);
        self.layouts.price.count(levels);
        self.layouts.qty.count(levels);
    }

    /// The bare JSON number at `buf[pos]` (Kraken v2: `63296.7`), ended by `,` or `}`, as a
    /// market price in ticks, with the number of decimals it was written with and the position
    /// of the byte after it; `None` for any other shape, a value the fast path does not take
    /// or an invalid price (the caller's general path decides those).
    ///
    /// # Hot path
    /// No allocation; SWAR.
    #[inline(always)]
    pub fn price_number(&self, buf: &[u8], pos: usize) -> Option<(Price, u8, usize)> {
        let (ticks, decimals, end) = number_units(buf, pos, self.tick_scale?)?;
        (1..=InstrumentSpec::MAX_MARKET_TICKS as u64)
            .contains(&ticks)
            .then(|| (Price::from_ticks(ticks as i64), decimals, end))
    }

    /// The bare JSON number at `buf[pos]` as a market quantity in lots (see
    /// [`Units::price_number`]).
    ///
    /// # Hot path
    /// No allocation; SWAR.
    #[inline(always)]
    pub fn qty_number(&self, buf: &[u8], pos: usize) -> Option<(Quantity, u8, usize)> {
        let (lots, decimals, end) = number_units(buf, pos, self.lot_scale?)?;
        (lots <= InstrumentSpec::MAX_MARKET_LOTS as u64)
            .then(|| (Quantity::from_lots(lots as i64), decimals, end))
    }
}

/// A bare number: digits, optionally `.` and at least one digit (a trailing dot is not a
/// number), then `,` or `}`.
#[inline(always)]
fn number_units(buf: &[u8], pos: usize, scale: u32) -> Option<(u64, u8, usize)> {
    let n = swar_number(buf, pos, scale)?;
    if !matches!(buf.get(n.end), Some(b',' | b'}')) || (n.dot && n.decimals == 0) {
        return None;
    }
    Some((n.units, n.decimals as u8, n.end))
}

/// `["<price>","<qty>"` at `buf[pos]`, written without whitespace, as a level and the position
/// after the quantity's closing quote (the caller checks what closes the level: `]` for
/// Binance and Bybit, more elements for OKX); `None` on any other shape or a bad value.
///
/// # Hot path
/// No allocation; reads each byte once.
#[inline(always)]
pub fn pair(buf: &[u8], pos: usize, units: &Units<'_>) -> Option<(Level, usize)> {
    if buf.get(pos..pos + 2)? != b"[\"" {
        return None;
    }
    let (price, end) = units.price(buf, pos + 1)?;
    if buf.get(end..end + 2)? != b",\"" {
        return None;
    }
    let (qty, end) = units.qty(buf, end + 1)?;
    Some((Level::new(price, qty), end))
}

/// A cursor over a frame of an exactly known shape (keys in the venue's order, no whitespace):
/// each step matches or answers `None`, and the decoder then takes its general walk.
#[derive(Debug, Clone)]
pub struct Exact<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Exact<'a> {
    /// A cursor at the start of `buf`.
    #[inline]
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Consumes `text`, which must come next.
    #[inline(always)]
    pub fn lit(&mut self, text: &[u8]) -> Option<()> {
        self.eat(text).then_some(())
    }

    /// Consumes `text` if it comes next.
    #[inline(always)]
    pub fn eat(&mut self, text: &[u8]) -> bool {
        let end = self.pos + text.len();
        if self.buf.get(self.pos..end) == Some(text) {
            self.pos = end;
            true
        } else {
            false
        }
    }

    /// An unsigned integer (digits only, no overflow). What follows is the caller's next
    /// [`Exact::lit`], so a fraction or an exponent after the digits never matches.
    ///
    /// # Hot path
    /// Eight digits a step (SWAR) while eight bytes remain, then a byte at a time.
    #[inline(always)]
    pub fn u64(&mut self) -> Option<u64> {
        let start = self.pos;
        let mut v: u64 = 0;
        while let Some(window) = self.buf.get(self.pos..self.pos + 8) {
            let chunk = u64::from_le_bytes(window.try_into().ok()?);
            let n = (nondigits64(chunk).trailing_zeros() / 8) as usize;
            if n == 0 {
                return (self.pos > start).then_some(v);
            }
            // Checked per step: the value overflows iff one of the steps does.
            v = v
                .checked_mul(POW10[n])?
                .checked_add(parse_digits(chunk, n))?;
            self.pos += n;
            if n < 8 {
                return Some(v);
            }
        }
        while let Some(&b) = self.buf.get(self.pos) {
            let d = b.wrapping_sub(b'0');
            if d >= 10 {
                break;
            }
            v = v.checked_mul(10)?.checked_add(u64::from(d))?;
            self.pos += 1;
        }
        (self.pos > start).then_some(v)
    }

    /// A signed integer in `i64` range (`-` and digits), as [`Scanner::i64`] reads it.
    #[inline(always)]
    pub fn i64(&mut self) -> Option<i64> {
        let negative = self.eat(b"-");
        let v = i64::try_from(self.u64()?).ok()?;
        Some(if negative { -v } else { v })
    }

    /// The rest of a string whose opening quote was matched: its bytes, up to and including the
    /// closing quote; `None` if it holds an escape or does not end.
    #[inline(always)]
    pub fn str(&mut self) -> Option<&'a [u8]> {
        let rest = &self.buf[self.pos.min(self.buf.len())..];
        let len = string_end(rest)?;
        if rest[len] != b'"' {
            return None;
        }
        self.pos += len + 1;
        Some(&rest[..len])
    }

    /// A quoted decimal as a market price (see [`Units::price`]).
    #[inline(always)]
    pub fn price(&mut self, units: &Units<'_>) -> Option<Price> {
        let (p, end) = units.price(self.buf, self.pos)?;
        self.pos = end;
        Some(p)
    }

    /// A quoted decimal as a market quantity (see [`Units::qty`]).
    #[inline(always)]
    pub fn qty(&mut self, units: &Units<'_>) -> Option<Quantity> {
        let (q, end) = units.qty(self.buf, self.pos)?;
        self.pos = end;
        Some(q)
    }

    /// `[["p","q"],...]`: every level converted with `units` into `out` (appended).
    ///
    /// # Hot path
    /// No allocation once `out` has grown; one pass over the bytes.
    #[inline]
    pub fn levels(&mut self, units: &Units<'_>, out: &mut Vec<Level>) -> Option<()> {
        self.lit(b"[")?;
        if self.eat(b"]") {
            return Some(());
        }
        let first = out.len();
        loop {
            let (level, end) = pair(self.buf, self.pos, units)?;
            let close = self.buf.get(end..end + 2)?;
            out.push(level);
            self.pos = end + 2;
            match close {
                b"]," => {}
                b"]]" => {
                    units.count(out.len() - first);
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// True at the end of the frame.
    #[inline]
    pub fn at_end(&self) -> bool {
        self.pos == self.buf.len()
    }

    /// The current byte offset.
    #[inline]
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The frame.
    #[inline]
    pub fn bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// Moves to `pos` (after a caller's own step over [`Exact::bytes`]).
    #[inline]
    pub fn seek(&mut self, pos: usize) {
        self.pos = pos;
    }
}

/// A decimal string of the general shape, read by the scanner every decoder's general path
/// uses (so the fast and general paths cannot disagree on what a decimal is).
#[cold]
fn general(buf: &[u8], pos: usize) -> Option<(RawDecimal, usize)> {
    let mut s = Scanner::new(buf);
    s.seek(pos);
    if buf.get(pos) != Some(&b'"') {
        return None;
    }
    let raw = s.decimal_str().ok()?;
    Some((raw, s.position()))
}

/// The number of decimals of a unit `10^-k` (`0.01` → 2, `1` → 0), or `None` for other units
/// (`0.5`, `10`) or more decimals than the fast path takes.
fn pow10_scale(grid: &ladder_sdk::Grid) -> Option<u32> {
    let scale = grid.decimals();
    let one_unit = RawDecimal {
        mantissa: 1,
        scale: u8::try_from(scale).ok()?,
        negative: false,
    };
    (scale <= MAX_FAST_SCALE && grid.to_units(one_unit) == Ok(1)).then_some(scale)
}

/// The quoted decimal at `buf[pos]` (the opening `"`) in units of `10^-scale`, and the position
/// after its closing quote. Takes `"` + 1–8 digits + optionally `.` and 0–8 digits + `"`,
/// the digits inside the 16 bytes after the opening quote; answers
/// `None` for anything else and for a value with non-zero digits past `scale` decimals (off the
/// grid): the general path decides those.
///
/// # Hot path
/// One unaligned 16-byte load, no loop, no division.
#[inline(always)]
fn swar_units(buf: &[u8], pos: usize, scale: u32) -> Option<(u64, usize)> {
    if buf.get(pos) != Some(&b'"') {
        return None;
    }
    let n = swar_number(buf, pos + 1, scale)?;
    (buf.get(n.end) == Some(&b'"')).then_some((n.units, n.end + 1))
}

/// [`swar_units`] for a value near the end of the frame (the last quantity of a frame has
/// fewer than 16 bytes after it): the rest of the frame copied into a zero-padded window, whose
/// zero bytes are not digits, so the number and its closing quote are read from real bytes
/// only.
#[inline(never)]
fn swar_units_tail(buf: &[u8], pos: usize, scale: u32) -> Option<(u64, usize)> {
    let rest = buf.get(pos..)?;
    let mut window = [0u8; 24];
    let n = rest.len().min(window.len());
    window[..n].copy_from_slice(&rest[..n]);
    let (units, end) = swar_units(&window, 0, scale)?;
    (end <= n).then_some((units, pos + end))
}

/// A number read by [`swar_number`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SwarNumber {
    /// The value in units of `10^-scale`.
    units: u64,
    /// The byte after the last digit (the terminator, which the caller checks).
    end: usize,
    /// Digits after the dot (0 without one).
    decimals: u32,
    /// A dot was written.
    dot: bool,
}

/// The plain decimal (1–8 digits, optionally `.` and 0–8 digits) starting at `buf[start]`, in
/// units of `10^-scale`; `None` if fewer than 16 bytes follow, for any other shape, or for
/// non-zero digits past `scale` decimals. The caller checks the terminator at `end`: a digit
/// there means the number was longer than the fast path takes.
///
/// One 16-byte window: a SWAR mask finds the dot, a second one the end of the fraction, digits
/// past the grid are checked to be `'0'`, and the digits that count are read eight at a time,
/// usually in one step: the integer and fraction digits joined when they fit in eight
/// (`61837.63|000000` on a 0.01 tick), the fraction alone after a `0.` (`0.00105000` on a
/// 0.00000001 lot).
#[inline(always)]
fn swar_number(buf: &[u8], start: usize, scale: u32) -> Option<SwarNumber> {
    let window: &[u8; 16] = buf.get(start..start + 16)?.try_into().ok()?;
    let w = u128::from_le_bytes(*window);
    let lo = w as u64;
    // The integer digits end in the first eight bytes, or at the ninth.
    let k = (nondigits64(lo).trailing_zeros() / 8) as usize;
    if k == 0 || (k == 8 && window[8].is_ascii_digit()) {
        return None;
    }
    let s = scale as usize;
    if window[k] != b'.' {
        return Some(SwarNumber {
            units: parse_digits(lo, k) * POW10[s],
            end: start + k,
            decimals: 0,
            dot: false,
        });
    }
    // The (up to) eight bytes after the dot; past the window they read as zero bytes, which
    // are not digits.
    let frac = (w >> (8 * (k + 1))) as u64;
    let f = (nondigits64(frac).trailing_zeros() / 8) as usize;
    let used = f.min(s);
    if f > s {
        // Digits past the grid must all be '0': the value is a whole number of units.
        let extra = (frac ^ ZEROS) >> (8 * s);
        if extra & (u64::MAX >> (64 - 8 * (f - s))) != 0 {
            return None;
        }
    }
    let units = if k == 1 && lo as u8 == b'0' {
        // `0.xxx`: the fraction digits alone.
        parse_digits(frac, used)
    } else if k + used <= 8 {
        // The integer digits, then the fraction digits, in one step.
        let joined =
            (lo & (u64::MAX >> (64 - 8 * k))) | frac.checked_shl(8 * k as u32).unwrap_or(0);
        parse_digits(joined, k + used)
    } else {
        parse_digits(lo, k) * POW10[used] + parse_digits(frac, used)
    };
    Some(SwarNumber {
        units: units * POW10[s - used],
        end: start + k + 1 + f,
        decimals: f as u32,
        dot: true,
    })
}

/// `0x80` in every byte of `w` that is not an ASCII digit.
#[inline(always)]
fn nondigits64(w: u64) -> u64 {
    let t = w ^ ZEROS;
    // A byte of `t` is a digit's value iff it is below 10: adding 0x76 to its low seven bits
    // sets bit 7 iff it is 10 or more (no carry between bytes), and bit 7 of `t` itself marks
    // bytes of 0x80 and above.
    (((t & 0x7F7F_7F7F_7F7F_7F7F) + 0x7676_7676_7676_7676) | t) & 0x8080_8080_8080_8080
}

/// The value of the first `n` (0..=8) bytes of `chunk`, all ASCII digits, first digit in the
/// low byte.
#[inline(always)]
fn parse_digits(chunk: u64, n: usize) -> u64 {
    if n == 0 {
        return 0;
    }
    // Move the n digits to the top and fill the low bytes with '0' (leading zeros).
    let digits = (chunk << (8 * (8 - n))) | (ZEROS >> 1 >> (8 * n - 1));
    parse_eight(digits)
}

/// The value of eight ASCII digits, first digit in the low byte (the simdjson / Lemire
/// technique: three multiplies).
#[inline(always)]
fn parse_eight(chunk: u64) -> u64 {
    let v = chunk.wrapping_sub(ZEROS);
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    let lo = (v & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32));
    let hi = ((v >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32));
    lo.wrapping_add(hi) >> 32
}

mod layout;
pub use layout::Layouts;

#[cfg(test)]
pub(crate) mod exact_check;
#[cfg(test)]
mod tests;
