//! Instrument specification: the tick and lot grids, and exact conversion between decimal
//! strings and integer ticks and lots.
//!
//! A value that is not a whole multiple of the tick (or lot) is an error, never rounded.

use crate::decimal::{DecimalParseError, RawDecimal};
use crate::num::{Price, Quantity};
use rust_decimal::Decimal;
use thiserror::Error;

/// A grid unit (a tick size or a lot size) as `mantissa × 10^-scale`, with the conversion of
/// venue decimals to whole units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Grid {
    mantissa: u64,
    scale: u8,
}

/// A value could not be put on an instrument's tick or lot grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum GridError {
    /// The text was not a plain decimal.
    #[error("not a decimal: {0}")]
    Parse(#[from] DecimalParseError),
    /// The value is not a whole multiple of the grid unit.
    #[error("value {value} is off the grid of {unit}")]
    OffGrid {
        /// The value as parsed.
        value: DisplayDecimal,
        /// The grid unit.
        unit: DisplayDecimal,
    },
    /// The value in units does not fit an `i64`.
    #[error("value {value} is out of range for the grid of {unit}")]
    OutOfRange {
        /// The value as parsed.
        value: DisplayDecimal,
        /// The grid unit.
        unit: DisplayDecimal,
    },
    /// A quantity was negative.
    #[error("quantity {0} is negative")]
    Negative(DisplayDecimal),
}

/// A [`RawDecimal`] that prints as a decimal string, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisplayDecimal(pub RawDecimal);

impl std::fmt::Display for DisplayDecimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = Decimal::from_i128_with_scale(
            i128::from(self.0.mantissa) * if self.0.negative { -1 } else { 1 },
            u32::from(self.0.scale),
        );
        write!(f, "{d}")
    }
}

/// Why an [`InstrumentSpec`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SpecError {
    /// Tick or lot size was zero or negative.
    #[error("{what} must be positive, got {value}")]
    NotPositive {
        /// `"tick size"` or `"lot size"`.
        what: &'static str,
        /// The value given.
        value: Decimal,
    },
    /// Tick or lot size had more significant digits than supported.
    #[error("{what} {value} has too many digits")]
    TooPrecise {
        /// `"tick size"` or `"lot size"`.
        what: &'static str,
        /// The value given.
        value: Decimal,
    },
}

const POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

impl Grid {
    /// A grid whose unit is `unit`, which must be positive.
    pub fn new(unit: Decimal, what: &'static str) -> Result<Self, SpecError> {
        if unit <= Decimal::ZERO {
            return Err(SpecError::NotPositive { what, value: unit });
        }
        let n = unit.normalize();
        let mantissa =
            u64::try_from(n.mantissa()).map_err(|_| SpecError::TooPrecise { what, value: unit })?;
        let scale =
            u8::try_from(n.scale()).map_err(|_| SpecError::TooPrecise { what, value: unit })?;
        Ok(Self { mantissa, scale })
    }

    /// The unit as a decimal.
    pub fn unit(&self) -> Decimal {
        Decimal::from_i128_with_scale(i128::from(self.mantissa), u32::from(self.scale))
    }

    /// Number of decimal places of the unit (`0.01` → 2, `10` → 0).
    pub fn decimals(&self) -> u32 {
        u32::from(self.scale)
    }

    /// `value` in whole units, or an error if it is off the grid or out of `i64` range.
    ///
    /// # Hot path
    /// No allocation; one or two integer divisions.
    #[inline]
    pub fn to_units(&self, value: RawDecimal) -> Result<i64, GridError> {
        // value = m·10^-s, unit = um·10^-us  →  units = m·10^(us-s) / um.
        // `RawDecimal` is normalized (no trailing fractional zero), so with s > us the value
        // is a whole number of units only if um has the missing factors of ten, which a
        // normalized unit with more decimals than the value never does when um == 1.
        let units = if value.scale <= self.scale {
            let shift = usize::from(self.scale - value.scale);
            let num = POW10
                .get(shift)
                .and_then(|p| value.mantissa.checked_mul(*p))
                .ok_or_else(|| self.out_of_range(value))?;
            if self.mantissa == 1 {
                num
            } else if num.is_multiple_of(self.mantissa) {
                num / self.mantissa
            } else {
                return Err(self.off_grid(value));
            }
        } else {
            if self.mantissa == 1 {
                return Err(self.off_grid(value));
            }
            let den = POW10
                .get(usize::from(value.scale - self.scale))
                .and_then(|p| p.checked_mul(self.mantissa))
                .ok_or_else(|| self.off_grid(value))?;
            if !value.mantissa.is_multiple_of(den) {
                return Err(self.off_grid(value));
            }
            value.mantissa / den
        };
        let units = i64::try_from(units).map_err(|_| self.out_of_range(value))?;
        Ok(if value.negative { -units } else { units })
    }

    /// `units` whole units as an exact decimal, trailing zeros removed.
    pub fn to_decimal(&self, units: i64) -> Decimal {
        Decimal::from_i128_with_scale(
            i128::from(units) * i128::from(self.mantissa),
            u32::from(self.scale),
        )
        .normalize()
    }

    fn off_grid(&self, value: RawDecimal) -> GridError {
        GridError::OffGrid {
            value: DisplayDecimal(value),
            unit: self.display(),
        }
    }

    fn out_of_range(&self, value: RawDecimal) -> GridError {
        GridError::OutOfRange {
            value: DisplayDecimal(value),
            unit: self.display(),
        }
    }

    fn display(&self) -> DisplayDecimal {
        DisplayDecimal(RawDecimal {
            mantissa: self.mantissa,
            scale: self.scale,
            negative: false,
        })
    }
}

/// What the engine needs to know of an instrument to hold its book exactly: the tick size (price
/// grid) and the lot size (quantity grid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InstrumentSpec {
    tick: Grid,
    lot: Grid,
}

impl InstrumentSpec {
    /// A spec with tick size `tick_size` and lot size `lot_size`; both must be positive.
    pub fn new(tick_size: Decimal, lot_size: Decimal) -> Result<Self, SpecError> {
        Ok(Self {
            tick: Grid::new(tick_size, "tick size")?,
            lot: Grid::new(lot_size, "lot size")?,
        })
    }

    /// The tick size.
    pub fn tick_size(&self) -> Decimal {
        self.tick.unit()
    }

    /// The lot size.
    pub fn lot_size(&self) -> Decimal {
        self.lot.unit()
    }

    /// The price grid.
    pub fn tick_grid(&self) -> &Grid {
        &self.tick
    }

    /// The quantity grid.
    pub fn lot_grid(&self) -> &Grid {
        &self.lot
    }

    /// A parsed venue decimal as a price in ticks.
    ///
    /// # Hot path
    /// No allocation.
    #[inline]
    pub fn price_from_raw(&self, value: RawDecimal) -> Result<Price, GridError> {
        self.tick.to_units(value).map(Price::from_ticks)
    }

    /// A parsed venue decimal as a quantity in lots; negative quantities are an error.
    ///
    /// # Hot path
    /// No allocation.
    #[inline]
    pub fn qty_from_raw(&self, value: RawDecimal) -> Result<Quantity, GridError> {
        if value.negative {
            return Err(GridError::Negative(DisplayDecimal(value)));
        }
        // `to_units` of a non-negative value is non-negative.
        self.lot
            .to_units(value)
            .map(|l| Quantity::new_checked(l).unwrap_or(Quantity::ZERO))
    }

    /// A decimal string (`"61837.63"`) as a price in ticks.
    pub fn price_from_str(&self, s: &str) -> Result<Price, GridError> {
        self.price_from_raw(RawDecimal::parse(s.as_bytes())?)
    }

    /// A decimal string (`"0.00105"`) as a quantity in lots.
    pub fn qty_from_str(&self, s: &str) -> Result<Quantity, GridError> {
        self.qty_from_raw(RawDecimal::parse(s.as_bytes())?)
    }

    /// A [`Decimal`] (from a config, say) as a price in ticks.
    pub fn price_from_decimal(&self, d: Decimal) -> Result<Price, GridError> {
        self.price_from_str(&d.to_string())
    }

    /// A [`Decimal`] as a quantity in lots.
    pub fn qty_from_decimal(&self, d: Decimal) -> Result<Quantity, GridError> {
        self.qty_from_str(&d.to_string())
    }

    /// The exact decimal value of a price.
    pub fn price_to_decimal(&self, p: Price) -> Decimal {
        self.tick.to_decimal(p.ticks())
    }

    /// The exact decimal value of a quantity.
    pub fn qty_to_decimal(&self, q: Quantity) -> Decimal {
        self.lot.to_decimal(q.lots())
    }

    /// A price as a decimal string with trailing zeros removed (`"61685.99"`).
    pub fn format_price(&self, p: Price) -> String {
        self.price_to_decimal(p).to_string()
    }

    /// A quantity as a decimal string with trailing zeros removed (`"1.0087"`).
    pub fn format_qty(&self, q: Quantity) -> String {
        self.qty_to_decimal(q).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;
    use std::str::FromStr;

    fn spec(tick: &str, lot: &str) -> InstrumentSpec {
        InstrumentSpec::new(
            Decimal::from_str(tick).unwrap(),
            Decimal::from_str(lot).unwrap(),
        )
        .unwrap()
    }

    #[rstest]
    #[case::btc_price("0.01", "61837.63000000", 6_183_763, "61837.63")]
    #[case::btc_price_short("0.01", "61800.3", 6_180_030, "61800.3")]
    #[case::shib_price("0.00000001", "0.00001234", 1234, "0.00001234")]
    #[case::tick_of_five("0.05", "100.15", 2003, "100.15")]
    #[case::tick_of_ten("10", "61840", 6184, "61840")]
    #[case::zero("0.01", "0.00000000", 0, "0")]
    #[case::negative("0.25", "-1.5", -6, "-1.5")]
    fn price_round_trips(
        #[case] tick: &str,
        #[case] text: &str,
        #[case] ticks: i64,
        #[case] back: &str,
    ) {
        let s = spec(tick, "1");
        let p = s.price_from_str(text).unwrap();
        assert_eq!(p.ticks(), ticks);
        assert_eq!(s.format_price(p), back);
    }

    #[rstest]
    #[case::btc_qty("0.00001", "1.00870000", 100_870, "1.0087")]
    #[case::shib_qty("1", "100000000000", 100_000_000_000, "100000000000")]
    #[case::shib_qty_padded("1", "100000000000.00000000", 100_000_000_000, "100000000000")]
    #[case::usdm_qty("0.001", "20.004", 20_004, "20.004")]
    fn qty_round_trips(
        #[case] lot: &str,
        #[case] text: &str,
        #[case] lots: i64,
        #[case] back: &str,
    ) {
        let s = spec("0.01", lot);
        let q = s.qty_from_str(text).unwrap();
        assert_eq!(q.lots(), lots);
        assert_eq!(s.format_qty(q), back);
    }

    #[rstest]
    #[case::finer_than_tick("0.01", "61837.635")]
    #[case::not_multiple_of_five("0.05", "100.12")]
    #[case::not_multiple_of_ten("10", "61845")]
    fn price_off_grid_is_error(#[case] tick: &str, #[case] text: &str) {
        let err = spec(tick, "1").price_from_str(text).unwrap_err();
        assert!(matches!(err, GridError::OffGrid { .. }), "{err}");
        assert!(err.to_string().contains("off the grid"), "{err}");
    }

    #[test]
    fn qty_negative_is_error() {
        assert!(matches!(
            spec("0.01", "0.001").qty_from_str("-1"),
            Err(GridError::Negative(_))
        ));
    }

    #[test]
    fn price_out_of_i64_range_is_error() {
        let err = spec("0.00000001", "1")
            .price_from_str("1000000000000000")
            .unwrap_err();
        assert!(matches!(err, GridError::OutOfRange { .. }), "{err}");
    }

    #[test]
    fn spec_rejects_non_positive_sizes() {
        assert!(InstrumentSpec::new(Decimal::ZERO, Decimal::ONE).is_err());
        assert!(InstrumentSpec::new(Decimal::ONE, Decimal::from(-1)).is_err());
    }

    proptest! {
        #[test]
        fn price_ticks_round_trip_exactly(ticks in -1_000_000_000_000i64..1_000_000_000_000, tick_exp in 0u32..10) {
            let tick = Decimal::new(1, tick_exp);
            let s = InstrumentSpec::new(tick, Decimal::ONE).unwrap();
            let p = Price::from_ticks(ticks);
            let text = s.format_price(p);
            prop_assert_eq!(s.price_from_str(&text).unwrap(), p);
        }
    }
}
