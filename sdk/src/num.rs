//! Prices and quantities as exact integers: ticks and lots of an instrument.
//!
//! A [`Price`] is a whole number of ticks, a [`Quantity`] a whole number of lots; what a tick or a
//! lot is worth lives in the instrument's [`InstrumentSpec`](crate::InstrumentSpec). Both are
//! `#[repr(transparent)]` over `i64`, so a `[Level]` crosses the plugin boundary as-is.

use std::fmt;
use thiserror::Error;

/// A price as a whole number of ticks of its instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct Price(i64);

impl Price {
    /// A price of `ticks` ticks. Any `i64` is a valid price (some instruments trade negative).
    #[inline]
    pub const fn from_ticks(ticks: i64) -> Self {
        Self(ticks)
    }

    /// The number of ticks.
    #[inline]
    pub const fn ticks(self) -> i64 {
        self.0
    }

    /// This price moved by `delta` ticks, or `None` on overflow.
    #[inline]
    pub const fn checked_add_ticks(self, delta: i64) -> Option<Self> {
        match self.0.checked_add(delta) {
            Some(t) => Some(Self(t)),
            None => None,
        }
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ticks", self.0)
    }
}

/// A quantity as a whole, non-negative number of lots of its instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct Quantity(i64);

/// A negative number of lots was given where a quantity is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("quantity must not be negative, got {0} lots")]
pub struct NegativeQuantity(pub i64);

impl Quantity {
    /// No quantity; on a book level it removes the level.
    pub const ZERO: Self = Self(0);

    /// A quantity of `lots` lots, or an error if `lots` is negative.
    #[inline]
    pub const fn new_checked(lots: i64) -> Result<Self, NegativeQuantity> {
        if lots < 0 {
            Err(NegativeQuantity(lots))
        } else {
            Ok(Self(lots))
        }
    }

    /// A quantity of `lots` lots.
    ///
    /// # Panics
    /// If `lots` is negative; use [`Quantity::new_checked`] for untrusted input.
    #[inline]
    pub const fn from_lots(lots: i64) -> Self {
        match Self::new_checked(lots) {
            Ok(q) => q,
            Err(_) => panic!("quantity must not be negative"),
        }
    }

    /// The number of lots.
    #[inline]
    pub const fn lots(self) -> i64 {
        self.0
    }

    /// True for zero lots.
    #[inline]
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self - other`, floored at zero.
    #[inline]
    pub const fn saturating_sub(self, other: Self) -> Self {
        let d = self.0.saturating_sub(other.0);
        Self(if d < 0 { 0 } else { d })
    }

    /// `self + other`, or `None` on overflow.
    #[inline]
    pub const fn checked_add(self, other: Self) -> Option<Self> {
        match self.0.checked_add(other.0) {
            Some(q) => Some(Self(q)),
            None => None,
        }
    }

    /// The smaller of two quantities.
    #[inline]
    pub fn min(self, other: Self) -> Self {
        Ord::min(self, other)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} lots", self.0)
    }
}

/// One price level of a book: a price and the total quantity resting there.
///
/// `#[repr(C)]`: arrays of levels are lent to plugins without copying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(C)]
pub struct Level {
    /// Price in ticks.
    pub price: Price,
    /// Total resting quantity in lots (never zero in a book view).
    pub qty: Quantity,
}

impl Level {
    /// A level from ticks and lots.
    #[inline]
    pub const fn new(price: Price, qty: Quantity) -> Self {
        Self { price, qty }
    }
}

const _: () = assert!(std::mem::size_of::<Level>() == 16);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantity_new_checked_rejects_negative() {
        assert_eq!(Quantity::new_checked(-1), Err(NegativeQuantity(-1)));
        assert_eq!(Quantity::new_checked(5).map(Quantity::lots), Ok(5));
    }

    #[test]
    #[should_panic(expected = "must not be negative")]
    fn quantity_from_lots_negative_panics() {
        let _ = Quantity::from_lots(-3);
    }

    #[test]
    fn quantity_saturating_sub_floors_at_zero() {
        assert_eq!(
            Quantity::from_lots(3).saturating_sub(Quantity::from_lots(5)),
            Quantity::ZERO
        );
        assert_eq!(
            Quantity::from_lots(5)
                .saturating_sub(Quantity::from_lots(3))
                .lots(),
            2
        );
    }
}
