//! The layout of a column's quoted decimals (see [`units`](super)): masks of where a value's
//! digits and fixed bytes are, learnt from a value the SWAR reader read and checked against the
//! next values of the column with a few 64-bit operations.
//!
//! A column whose values keep changing shape (venues that trim trailing zeros: OKX, Bybit,
//! Coinbase write `65062.5`, `65061.91`, `0.00583`) would pay for a layout check that misses and
//! for layouts it never reuses, so a column counts its misses (and the level loops its reads,
//! [`Units::count`](super::Units::count)) and, at a frame's start, reads without layouts
//! ([`swar_units`] straight) for the next [`PLAIN_READS`] values when more than a third of the
//! last window's values missed; then it tries layouts again.

use super::{
    POW10, SwarNumber, ZEROS, nondigits64, parse_eight, swar_number, swar_units, swar_units_tail,
};

/// Reads through layouts after which a column decides, at the next frame's start, whether
/// layouts pay for it.
const WINDOW: u32 = 64;
/// Reads without layouts before a column that went plain tries layouts again.
pub(super) const PLAIN_READS: u32 = 1024;
use std::cell::Cell;

/// The layouts of a decoder's two columns (prices, quantities), kept from value to value and
/// from frame to frame (see the module docs).
#[derive(Debug, Default, Clone)]
pub struct Layouts {
    pub(super) price: Column,
    pub(super) qty: Column,
}

/// One column's layout and the grid scale it was learnt on.
#[derive(Debug, Default, Clone)]
pub(super) struct Column {
    pub(super) layout: Cell<Layout>,
    scale: Cell<Option<u32>>,
    /// The shape (integer digits, decimals, dot, leading `0`) of the last value that missed.
    shape: Cell<u32>,
    /// The column reads without layouts (see the module docs).
    pub(super) plain: Cell<bool>,
    /// Values read, and values that missed the layout, since the last decision.
    reads: Cell<u32>,
    misses: Cell<u32>,
}

impl Column {
    /// At a frame's start: forgets the layout if it was learnt on another grid scale, and
    /// decides whether the column reads through layouts (see the module docs).
    #[inline(always)]
    pub(super) fn keep_for(&self, scale: Option<u32>) {
        if self.scale.get() != scale {
            self.layout.set(Layout::NONE);
            self.scale.set(scale);
            self.shape.set(u32::MAX);
        }
        let reads = self.reads.get();
        if reads
            >= if self.plain.get() {
                PLAIN_READS
            } else {
                WINDOW
            }
        {
            self.decide(reads);
        }
    }

    /// Counts `values` read by the caller's level loop (a loop that does not count leaves the
    /// column on layouts).
    #[inline(always)]
    pub(super) fn count(&self, values: u32) {
        self.reads.set(self.reads.get().saturating_add(values));
    }

    /// Ends a window of `reads` values: plain after a window of layouts that missed more than a
    /// third of its values, layouts again after a plain one.
    #[inline(never)]
    fn decide(&self, reads: u32) {
        let plain = !self.plain.get() && self.misses.get() * 3 > reads;
        self.plain.set(plain);
        self.reads.set(0);
        self.misses.set(0);
    }

    /// The quoted decimal at `buf[pos]` (`"`) in units of `10^-scale`, and the position after
    /// its closing quote: through the column's layout if the value has it, else through
    /// [`swar_units`], whose result teaches the column the value's layout; `plain` (the
    /// column's choice at the frame's start, held by [`Units`](super::Units)) reads through
    /// [`swar_units`] alone. The same answers as [`swar_units`] either way (tests
    /// check it).
    ///
    /// # Hot path
    /// No allocation; on a match two loads, a few masks and one or two eight-digit steps.
    #[inline(always)]
    pub(super) fn read(
        &self,
        buf: &[u8],
        pos: usize,
        scale: u32,
        plain: bool,
    ) -> Option<(u64, usize)> {
        if plain {
            if buf.len() < pos + 17 {
                return swar_units_tail(buf, pos, scale);
            }
            return swar_units(buf, pos, scale);
        }
        let start = pos + 1;
        if let Some(window) = buf.get(start..start + 16) {
            let (lo, hi) = window.split_at(8);
            let lo = u64::from_le_bytes(lo.try_into().ok()?);
            let hi = u64::from_le_bytes(hi.try_into().ok()?);
            let layout = self.layout.get();
            if let Some(units) = layout.read(lo, hi)
                && buf.get(pos) == Some(&b'"')
            {
                return Some((units, start + layout.len));
            }
        }
        self.learn(buf, pos, scale)
    }

    /// [`Column::read`] when the value does not have the column's layout.
    #[inline(never)]
    fn learn(&self, buf: &[u8], pos: usize, scale: u32) -> Option<(u64, usize)> {
        self.misses.set(self.misses.get().wrapping_add(1));
        if buf.len() < pos + 17 {
            return swar_units_tail(buf, pos, scale);
        }
        if buf.get(pos) != Some(&b'"') {
            return None;
        }
        let n = swar_number(buf, pos + 1, scale)?;
        if buf.get(n.end) != Some(&b'"') {
            return None;
        }
        let written = if n.dot { 1 + n.decimals as usize } else { 0 };
        let digits = n.end - (pos + 1) - written;
        // A new layout is built only when two values in a row share their shape: a column whose
        // widths keep changing (OKX sizes, Bybit's XRP quantities) reads through `swar_number`
        // without paying for layouts it would not reuse.
        let shape = (digits as u32)
            | (n.decimals << 8)
            | (u32::from(n.dot) << 16)
            | (u32::from(buf[pos + 1] == b'0') << 17);
        if self.shape.replace(shape) == shape
            && let Some(layout) = Layout::of(digits, n, scale, buf[pos + 1])
        {
            self.layout.set(layout);
        }
        Some((n.units, n.end + 1))
    }
}

/// Where a quoted decimal's bytes are, as masks over the 16 bytes after its opening quote (the
/// low word `lo`, bytes 0–7, and `hi`, bytes 8–15), and how to read its value from them.
/// Built from a value [`swar_number`] read ([`Layout::of`]); a value has the layout iff its
/// digit bytes are digits and its other bytes (the dot, the closing quote, a `0.` integer part,
/// the digits past the grid) are exactly the layout's, so it then reads to what
/// [`swar_number`] gives.
#[derive(Debug, Clone, Copy)]
pub(super) struct Layout {
    /// `0x80` in each digit byte.
    digits: [u64; 2],
    /// `0xFF` in each byte of fixed value, and those values.
    fixed_mask: [u64; 2],
    fixed: [u64; 2],
    /// The digits with the dot (or a `0.` integer part) taken out, first digit in the low byte:
    /// `(lo & keep) | ((lo >> down) & !keep) | ((hi << up) & from_hi)`.
    keep: u64,
    down: u32,
    up: u32,
    from_hi: u64,
    /// More than eight digits count: the first eight, then the rest from `hi >> rest_down`.
    two_steps: bool,
    rest_down: u32,
    /// Each step's digits moved to the top of the word, the low bytes filled with `'0'`.
    shift: [u32; 2],
    fill: [u64; 2],
    /// `10^(digits of the second step)`, and `10^(grid decimals not written)`.
    first_mul: u64,
    scale_mul: u64,
    /// Bytes from the first digit through the closing quote.
    pub(super) len: usize,
}

impl Default for Layout {
    fn default() -> Self {
        Self::NONE
    }
}

impl Layout {
    /// A layout no value has: byte 0 would be a digit and `0x01` at once.
    const NONE: Layout = Layout {
        digits: [0x80, 0],
        fixed_mask: [0xFF, 0],
        fixed: [0x01, 0],
        keep: 0,
        down: 0,
        up: 0,
        from_hi: 0,
        two_steps: false,
        rest_down: 0,
        shift: [0; 2],
        fill: [0; 2],
        first_mul: 0,
        scale_mul: 0,
        len: 0,
    };

    /// The layout of a value `n` that [`swar_number`] read with `digits` integer digits, the
    /// first of them `first`, on a grid of `scale` decimals; `None` if it does not fit the 16
    /// bytes after the quote (such values always take [`swar_number`]).
    fn of(digits: usize, n: SwarNumber, scale: u32, first: u8) -> Option<Layout> {
        let (k, f, s) = (digits, n.decimals as usize, scale as usize);
        let len = if n.dot { k + 1 + f + 1 } else { k + 1 };
        // `0.xxx`: the integer part is a fixed '0' and only the fraction is read.
        let fraction_only = n.dot && k == 1 && first == b'0';
        let counted = if fraction_only { f.min(s) } else { k };
        if len > 16 || k == 0 || k > 8 || (n.dot && k == 8) || f > 8 || counted == 0 {
            // Too long for the window, or `0.000` on a whole-number grid (no digit counts).
            return None;
        }
        let mut l = Layout {
            digits: [0; 2],
            fixed_mask: [0; 2],
            fixed: [0; 2],
            ..Layout::NONE
        };
        let mut put = |i: usize, fixed: Option<u8>| {
            let (w, b) = (i / 8, 8 * (i % 8));
            match fixed {
                None => l.digits[w] |= 0x80 << b,
                Some(v) => {
                    l.fixed_mask[w] |= 0xFF << b;
                    l.fixed[w] |= u64::from(v) << b;
                }
            }
        };
        for i in 0..k {
            put(i, fraction_only.then_some(b'0'));
        }
        if n.dot {
            put(k, Some(b'.'));
            for i in 0..f {
                put(k + 1 + i, (i >= s).then_some(b'0'));
            }
        }
        put(len - 1, Some(b'"'));
        let used = if n.dot { f.min(s) } else { 0 };
        let count = if fraction_only { used } else { k + used };
        (l.keep, l.down, l.up, l.from_hi, l.rest_down) = if fraction_only {
            (0, 16, 48, u64::MAX, 16)
        } else if n.dot {
            (u64::MAX >> (64 - 8 * k), 8, 56, u64::MAX, 8)
        } else {
            (u64::MAX, 8, 56, 0, 8)
        };
        l.two_steps = count > 8;
        if l.two_steps {
            l.shift = [0, (64 - 8 * (count - 8)) as u32];
            l.fill = [0, ZEROS >> 1 >> (8 * (count - 8) - 1)];
            l.first_mul = POW10[count - 8];
        } else {
            l.shift = [(64 - 8 * count) as u32, 0];
            l.fill = [ZEROS >> 1 >> (8 * count - 1), 0];
        }
        l.scale_mul = POW10[s - used];
        l.len = len;
        Some(l)
    }

    /// The value in units of the bytes `lo`, `hi` after an opening quote, if they have this
    /// layout.
    ///
    /// # Hot path
    /// No branch but the match and the layout's step count; two or three multiplies per step.
    #[inline(always)]
    fn read(&self, lo: u64, hi: u64) -> Option<u64> {
        let wrong = (nondigits64(lo) & self.digits[0])
            | (nondigits64(hi) & self.digits[1])
            | ((lo & self.fixed_mask[0]) ^ self.fixed[0])
            | ((hi & self.fixed_mask[1]) ^ self.fixed[1]);
        if wrong != 0 {
            return None;
        }
        let joined =
            (lo & self.keep) | ((lo >> self.down) & !self.keep) | ((hi << self.up) & self.from_hi);
        let units = if self.two_steps {
            let rest = hi >> self.rest_down;
            parse_eight(joined) * self.first_mul
                + parse_eight((rest << self.shift[1]) | self.fill[1])
        } else {
            parse_eight((joined << self.shift[0]) | self.fill[0])
        };
        Some(units * self.scale_mul)
    }
}
