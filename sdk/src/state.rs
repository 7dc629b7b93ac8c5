//! Strategy state handoff: the bytes a running strategy exports and a new build of it imports
//! when the engine swaps its library while the session runs (`ladder paper` hot reload,
//! `ladder replay --swap`).
//!
//! A strategy opts in with three methods of [`Strategy`](crate::Strategy):
//! [`handoff`](crate::Strategy::handoff) declares the state format version it writes and reads
//! (a [`Handoff`]), [`export_state`](crate::Strategy::export_state) writes its warm state with a
//! [`StateWriter`], and [`import_state`](crate::Strategy::import_state) reads it back with a
//! [`StateReader`] into an instance freshly built from its own config. A new build that changed
//! its state layout bumps the version and either migrates an older one or refuses it; a refused
//! import means the new instance starts fresh (the engine creates it again, so a half-read state
//! never trades) and the report says why.
//!
//! The format is plain little-endian fields in the order the strategy writes them; the
//! building blocks of the sdk write their own ([`Save`]: [`Quoter`](crate::Quoter),
//! [`OrderSlot`](crate::OrderSlot), the rolling windows of [`signal`](crate::signal)). A window
//! restores only into a window of the same capacity: a config that changed a window size
//! refuses the state rather than guessing.

use crate::num::{Level, Price, Quantity};
use std::fmt;

/// What a strategy says about handing its state over to a new build of itself. Crosses the ABI
/// as the return value of the vtable's `handoff` entry.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Handoff {
    /// Version of the state format [`export_state`](crate::Strategy::export_state) writes;
    /// 0: the strategy does not hand its state over.
    pub state_version: u32,
    /// 1: when the swap starts the new instance fresh, it adopts the old instance's open orders
    /// (they keep working); 0: the engine cancels them.
    pub adopt_orders: u8,
    /// Reserved, zero.
    pub _reserved: [u8; 3],
}

impl Handoff {
    /// No state handoff; a fresh instance after a swap, the old orders cancelled (the default).
    pub const NONE: Self = Self {
        state_version: 0,
        adopt_orders: 0,
        _reserved: [0; 3],
    };

    /// State handoff in format `version` (non-zero; 0 means no handoff).
    pub const fn versioned(version: u32) -> Self {
        Self {
            state_version: version,
            ..Self::NONE
        }
    }

    /// The same, but a fresh start adopts the old instance's open orders instead of having
    /// them cancelled.
    pub const fn adopting_orders(self) -> Self {
        Self {
            adopt_orders: 1,
            ..self
        }
    }

    /// True when the strategy exports and imports state.
    pub const fn has_state(&self) -> bool {
        self.state_version != 0
    }

    /// True when a fresh start adopts the old open orders.
    pub const fn adopts_orders(&self) -> bool {
        self.adopt_orders != 0
    }
}

impl Default for Handoff {
    fn default() -> Self {
        Self::NONE
    }
}

/// Why a state could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateError {
    /// The bytes ended before a field was complete.
    Truncated {
        /// Offset of the field.
        at: usize,
    },
    /// A field holds a value the reader cannot accept.
    Invalid {
        /// Which field.
        what: &'static str,
    },
    /// A size in the state differs from the new instance's (a window resized by its config).
    Mismatch {
        /// Which size.
        what: &'static str,
        /// The new instance's.
        expected: u64,
        /// The state's.
        got: u64,
    },
    /// Bytes are left after the last field.
    Trailing {
        /// How many.
        extra: usize,
    },
    /// The state's format version is not one this build reads.
    Version {
        /// The state's.
        got: u32,
        /// What this build writes.
        supported: u32,
    },
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { at } => write!(f, "state ends early at byte {at}"),
            Self::Invalid { what } => write!(f, "state field `{what}` is invalid"),
            Self::Mismatch {
                what,
                expected,
                got,
            } => write!(f, "state `{what}` is {got}, this instance has {expected}"),
            Self::Trailing { extra } => write!(f, "state has {extra} bytes past its end"),
            Self::Version { got, supported } => {
                write!(
                    f,
                    "state format version {got}, this build reads {supported}"
                )
            }
        }
    }
}

impl std::error::Error for StateError {}

impl From<StateError> for crate::StrategyError {
    fn from(e: StateError) -> Self {
        Self::new(e)
    }
}

/// Writes a state: little-endian fields appended to a buffer.
#[derive(Debug)]
pub struct StateWriter<'a> {
    buf: &'a mut Vec<u8>,
}

impl<'a> StateWriter<'a> {
    /// A writer appending to `buf`.
    pub fn new(buf: &'a mut Vec<u8>) -> Self {
        Self { buf }
    }

    /// Bytes written so far (the whole buffer).
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// One byte.
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    /// A bool as one byte.
    pub fn bool(&mut self, v: bool) {
        self.buf.push(u8::from(v));
    }

    /// A `u32`.
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// A `u64`.
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// An `i64`.
    pub fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// An `i128`.
    pub fn i128(&mut self, v: i128) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// A `usize` as a `u64`.
    pub fn usize(&mut self, v: usize) {
        self.u64(v as u64);
    }

    /// An `f64`, bit for bit (NaN included).
    pub fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }

    /// An optional `f64`: a presence byte, then the value.
    pub fn opt_f64(&mut self, v: Option<f64>) {
        self.bool(v.is_some());
        if let Some(v) = v {
            self.f64(v);
        }
    }

    /// A price in ticks.
    pub fn price(&mut self, v: Price) {
        self.i64(v.ticks());
    }

    /// A quantity in lots.
    pub fn qty(&mut self, v: Quantity) {
        self.i64(v.lots());
    }

    /// An optional level: a presence byte, then price and quantity.
    pub fn opt_level(&mut self, v: Option<Level>) {
        self.bool(v.is_some());
        if let Some(l) = v {
            self.price(l.price);
            self.qty(l.qty);
        }
    }

    /// Anything that saves itself.
    pub fn save<T: Save + ?Sized>(&mut self, v: &T) {
        v.save(self);
    }
}

/// Reads a state written by [`StateWriter`], field by field, in the same order.
#[derive(Debug, Clone)]
pub struct StateReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> StateReader<'a> {
    /// A reader over `bytes`.
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// Bytes not read yet.
    pub const fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], StateError> {
        let at = self.pos;
        let end = at.checked_add(N).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(StateError::Truncated { at });
        };
        let mut out = [0u8; N];
        out.copy_from_slice(&self.bytes[at..end]);
        self.pos = end;
        Ok(out)
    }

    /// One byte.
    ///
    /// # Errors
    /// [`StateError::Truncated`].
    pub fn u8(&mut self) -> Result<u8, StateError> {
        Ok(self.take::<1>()?[0])
    }

    /// A bool (0 or 1).
    ///
    /// # Errors
    /// [`StateError::Truncated`], or [`StateError::Invalid`] for any other byte.
    pub fn bool(&mut self, what: &'static str) -> Result<bool, StateError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(StateError::Invalid { what }),
        }
    }

    /// A `u32`.
    ///
    /// # Errors
    /// [`StateError::Truncated`].
    pub fn u32(&mut self) -> Result<u32, StateError> {
        Ok(u32::from_le_bytes(self.take()?))
    }

    /// A `u64`.
    ///
    /// # Errors
    /// [`StateError::Truncated`].
    pub fn u64(&mut self) -> Result<u64, StateError> {
        Ok(u64::from_le_bytes(self.take()?))
    }

    /// An `i64`.
    ///
    /// # Errors
    /// [`StateError::Truncated`].
    pub fn i64(&mut self) -> Result<i64, StateError> {
        Ok(i64::from_le_bytes(self.take()?))
    }

    /// An `i128`.
    ///
    /// # Errors
    /// [`StateError::Truncated`].
    pub fn i128(&mut self) -> Result<i128, StateError> {
        Ok(i128::from_le_bytes(self.take()?))
    }

    /// A `usize` written as a `u64`.
    ///
    /// # Errors
    /// [`StateError::Truncated`], or [`StateError::Invalid`] past `usize::MAX`.
    pub fn usize(&mut self, what: &'static str) -> Result<usize, StateError> {
        usize::try_from(self.u64()?).map_err(|_| StateError::Invalid { what })
    }

    /// A `usize` that must be below `bound` (an index into a window of `bound` slots).
    ///
    /// # Errors
    /// As [`StateReader::usize`], or [`StateError::Invalid`] when `>= bound`.
    pub fn index(&mut self, what: &'static str, bound: usize) -> Result<usize, StateError> {
        let v = self.usize(what)?;
        if v < bound {
            Ok(v)
        } else {
            Err(StateError::Invalid { what })
        }
    }

    /// A size that must equal `expected` (a window's capacity).
    ///
    /// # Errors
    /// [`StateError::Mismatch`] when it differs.
    pub fn expect_size(&mut self, what: &'static str, expected: usize) -> Result<(), StateError> {
        let got = self.u64()?;
        if got == expected as u64 {
            Ok(())
        } else {
            Err(StateError::Mismatch {
                what,
                expected: expected as u64,
                got,
            })
        }
    }

    /// An `f64`, bit for bit.
    ///
    /// # Errors
    /// [`StateError::Truncated`].
    pub fn f64(&mut self) -> Result<f64, StateError> {
        Ok(f64::from_bits(self.u64()?))
    }

    /// An optional `f64`.
    ///
    /// # Errors
    /// As [`StateReader::bool`] and [`StateReader::f64`].
    pub fn opt_f64(&mut self, what: &'static str) -> Result<Option<f64>, StateError> {
        Ok(if self.bool(what)? {
            Some(self.f64()?)
        } else {
            None
        })
    }

    /// A price in ticks.
    ///
    /// # Errors
    /// [`StateError::Truncated`].
    pub fn price(&mut self) -> Result<Price, StateError> {
        Ok(Price::from_ticks(self.i64()?))
    }

    /// A quantity in lots.
    ///
    /// # Errors
    /// [`StateError::Truncated`], or [`StateError::Invalid`] when negative.
    pub fn qty(&mut self, what: &'static str) -> Result<Quantity, StateError> {
        let lots = self.i64()?;
        if lots < 0 {
            return Err(StateError::Invalid { what });
        }
        Ok(Quantity::from_lots(lots))
    }

    /// An optional level.
    ///
    /// # Errors
    /// As [`StateReader::bool`], [`StateReader::price`] and [`StateReader::qty`].
    pub fn opt_level(&mut self, what: &'static str) -> Result<Option<Level>, StateError> {
        if !self.bool(what)? {
            return Ok(None);
        }
        let price = self.price()?;
        let qty = self.qty(what)?;
        Ok(Some(Level { price, qty }))
    }

    /// Restores `into` from the next bytes.
    ///
    /// # Errors
    /// Whatever `into` refuses.
    pub fn restore<T: Save + ?Sized>(&mut self, into: &mut T) -> Result<(), StateError> {
        into.restore(self)
    }

    /// Succeeds only if every byte was read.
    ///
    /// # Errors
    /// [`StateError::Trailing`].
    pub fn finish(&self) -> Result<(), StateError> {
        match self.remaining() {
            0 => Ok(()),
            extra => Err(StateError::Trailing { extra }),
        }
    }
}

/// A piece of strategy state that writes itself into a handoff and reads itself back into an
/// instance built from the (possibly new) config.
pub trait Save {
    /// Writes the state.
    fn save(&self, w: &mut StateWriter<'_>);

    /// Reads it back into `self`; on an error `self` may be half-restored (the engine then
    /// discards the whole instance).
    ///
    /// # Errors
    /// A [`StateError`].
    fn restore(&mut self, r: &mut StateReader<'_>) -> Result<(), StateError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_reader_round_trip_every_field_kind() {
        let mut buf = Vec::new();
        let mut w = StateWriter::new(&mut buf);
        w.u8(7);
        w.bool(true);
        w.u32(0xdead_beef);
        w.u64(u64::MAX);
        w.i64(-5);
        w.i128(-(1 << 100));
        w.f64(f64::NAN);
        w.opt_f64(Some(0.25));
        w.opt_f64(None);
        w.opt_level(Some(Level {
            price: Price::from_ticks(-3),
            qty: Quantity::from_lots(9),
        }));
        let mut r = StateReader::new(&buf);
        assert_eq!(r.u8(), Ok(7));
        assert_eq!(r.bool("b"), Ok(true));
        assert_eq!(r.u32(), Ok(0xdead_beef));
        assert_eq!(r.u64(), Ok(u64::MAX));
        assert_eq!(r.i64(), Ok(-5));
        assert_eq!(r.i128(), Ok(-(1 << 100)));
        assert!(r.f64().is_ok_and(f64::is_nan));
        assert_eq!(r.opt_f64("x"), Ok(Some(0.25)));
        assert_eq!(r.opt_f64("y"), Ok(None));
        assert_eq!(
            r.opt_level("l"),
            Ok(Some(Level {
                price: Price::from_ticks(-3),
                qty: Quantity::from_lots(9)
            }))
        );
        assert_eq!(r.finish(), Ok(()));
    }

    #[test]
    fn reader_short_input_is_truncated_at_the_field_offset() {
        let mut r = StateReader::new(&[1, 2, 3]);
        assert_eq!(r.u8(), Ok(1));
        assert_eq!(r.u64(), Err(StateError::Truncated { at: 1 }));
    }

    #[test]
    fn reader_rejects_bad_bool_trailing_bytes_and_wrong_sizes() {
        assert_eq!(
            StateReader::new(&[2]).bool("flag"),
            Err(StateError::Invalid { what: "flag" })
        );
        let r = StateReader::new(&[0]);
        assert_eq!(r.finish(), Err(StateError::Trailing { extra: 1 }));
        let bytes = 5u64.to_le_bytes();
        let mut r = StateReader::new(&bytes);
        assert_eq!(
            r.expect_size("window", 4),
            Err(StateError::Mismatch {
                what: "window",
                expected: 4,
                got: 5
            })
        );
        let mut r = StateReader::new(&bytes);
        assert_eq!(
            r.index("head", 5),
            Err(StateError::Invalid { what: "head" })
        );
    }

    #[test]
    fn handoff_none_has_no_state_and_versioned_adopting_says_so() {
        assert!(!Handoff::NONE.has_state());
        assert!(!Handoff::default().adopts_orders());
        let h = Handoff::versioned(3).adopting_orders();
        assert_eq!((h.state_version, h.adopts_orders()), (3, true));
    }
}
