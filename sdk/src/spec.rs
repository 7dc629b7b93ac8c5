//! Instrument specification: the tick and lot grids, and exact conversion between decimal
//! strings and integer ticks and lots.
//!
//! A value that is not a whole multiple of the tick (or lot) is an error, never rounded. Prices
//! and quantities from a venue also have a sane range ([`InstrumentSpec::market_price_from_raw`],
//! [`InstrumentSpec::market_qty_from_raw`]): positive prices, non-negative quantities, each at
//! most 10^14 ticks or lots.

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
    /// A venue's price was zero or negative.
    #[error("price {0} is not positive")]
    NotPositive(DisplayDecimal),
    /// A venue's price is above [`InstrumentSpec::MAX_MARKET_TICKS`].
    #[error(
        "price {value} is above the limit of {} ticks of {unit}",
        InstrumentSpec::MAX_MARKET_TICKS
    )]
    PriceAboveLimit {
        /// The value as parsed.
        value: DisplayDecimal,
        /// The tick size.
        unit: DisplayDecimal,
    },
    /// A venue's quantity is above [`InstrumentSpec::MAX_MARKET_LOTS`].
    #[error(
        "quantity {value} is above the limit of {} lots of {unit}",
        InstrumentSpec::MAX_MARKET_LOTS
    )]
    QtyAboveLimit {
        /// The value as parsed.
        value: DisplayDecimal,
        /// The lot size.
        unit: DisplayDecimal,
    },
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
    /// The largest price, in ticks, a venue message may carry: 10^14.
    ///
    /// With [`InstrumentSpec::MAX_MARKET_LOTS`], `ticks × lots <= 10^28 < 2^96`: one level's
    /// price × quantity in grid units fits the 96-bit mantissa of `rust_decimal::Decimal`, the
    /// paper exchange's arithmetic, so a notional is exact for the usual 10^-k tick and lot
    /// sizes and never overflows. It still holds BTC on a 10^-8 tick (6×10^12 ticks) and
    /// SHIB-like sizes (10^11 lots). A bid of `92233720368547758.07` on a 0.01 tick
    /// (9.2×10^18 ticks) is rejected.
    pub const MAX_MARKET_TICKS: i64 = 100_000_000_000_000;
    /// The largest quantity, in lots, a venue message may carry: 10^14 (see
    /// [`InstrumentSpec::MAX_MARKET_TICKS`]).
    pub const MAX_MARKET_LOTS: i64 = 100_000_000_000_000;

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

    /// A venue's price in ticks: on the grid, positive, at most
    /// [`InstrumentSpec::MAX_MARKET_TICKS`]. A zero or negative price is
    /// [`GridError::NotPositive`], a larger one [`GridError::PriceAboveLimit`].
    ///
    /// # Hot path
    /// No allocation.
    #[inline]
    pub fn market_price_from_raw(&self, value: RawDecimal) -> Result<Price, GridError> {
        if value.negative || value.mantissa == 0 {
            return Err(GridError::NotPositive(DisplayDecimal(value)));
        }
        match self.tick.to_units(value) {
            Ok(t) if t <= Self::MAX_MARKET_TICKS => Ok(Price::from_ticks(t)),
            Ok(_) | Err(GridError::OutOfRange { .. }) => Err(GridError::PriceAboveLimit {
                value: DisplayDecimal(value),
                unit: self.tick.display(),
            }),
            Err(e) => Err(e),
        }
    }

    /// A venue's quantity in lots: on the grid, zero or more, at most
    /// [`InstrumentSpec::MAX_MARKET_LOTS`].
    ///
    /// # Hot path
    /// No allocation.
    #[inline]
    pub fn market_qty_from_raw(&self, value: RawDecimal) -> Result<Quantity, GridError> {
        match self.qty_from_raw(value) {
            Ok(q) if q.lots() <= Self::MAX_MARKET_LOTS => Ok(q),
            Ok(_) | Err(GridError::OutOfRange { .. }) => Err(GridError::QtyAboveLimit {
                value: DisplayDecimal(value),
                unit: self.lot.display(),
            }),
            Err(e) => Err(e),
        }
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

    #[rstest]
    #[case::zero_price("0.00000000", "1", "price 0 is not positive")]
    #[case::negative_price("-61837.63", "1", "price -61837.63 is not positive")]
    #[case::i64_max_price_in_cents(
        "92233720368547758.07",
        "100000",
        "price 92233720368547758.07 is above the limit of 100000000000000 ticks of 0.01"
    )]
    #[case::price_beyond_i64("1e30", "1", "not a decimal")]
    #[case::price_past_the_limit(
        "1000000000000.01",
        "1",
        "price 1000000000000.01 is above the limit of 100000000000000 ticks of 0.01"
    )]
    #[case::qty_past_the_limit(
        "1",
        "1000000000.00001",
        "quantity 1000000000.00001 is above the limit of 100000000000000 lots of 0.00001"
    )]
    #[case::qty_beyond_i64(
        "1",
        "92233720368547758.08",
        "quantity 92233720368547758.08 is above the limit"
    )]
    #[case::negative_qty("1", "-0.5", "quantity -0.5 is negative")]
    fn market_values_outside_the_sane_range_are_errors_naming_the_value(
        #[case] price: &str,
        #[case] qty: &str,
        #[case] message: &str,
    ) {
        let s = spec("0.01", "0.00001");
        let p = RawDecimal::parse(price.as_bytes()).map_err(GridError::from);
        let q = RawDecimal::parse(qty.as_bytes()).map_err(GridError::from);
        let got = p
            .and_then(|p| s.market_price_from_raw(p))
            .and_then(|_| q.and_then(|q| s.market_qty_from_raw(q)))
            .unwrap_err();
        assert!(got.to_string().contains(message), "{got}");
    }

    #[rstest]
    #[case::smallest_price("0.01", "0", 1, 0)]
    #[case::largest_price("1000000000000", "1", InstrumentSpec::MAX_MARKET_TICKS, 100_000)]
    #[case::largest_qty("61837.63", "1000000000", 6_183_763, InstrumentSpec::MAX_MARKET_LOTS)]
    fn market_values_at_the_range_edges_are_accepted(
        #[case] price: &str,
        #[case] qty: &str,
        #[case] ticks: i64,
        #[case] lots: i64,
    ) {
        let s = spec("0.01", "0.00001");
        let raw = |t: &str| RawDecimal::parse(t.as_bytes()).unwrap();
        assert_eq!(s.market_price_from_raw(raw(price)).unwrap().ticks(), ticks);
        assert_eq!(s.market_qty_from_raw(raw(qty)).unwrap().lots(), lots);
    }

    #[test]
    fn market_range_keeps_price_times_qty_within_a_decimal_mantissa() {
        let product = i128::from(InstrumentSpec::MAX_MARKET_TICKS)
            * i128::from(InstrumentSpec::MAX_MARKET_LOTS);
        assert!(product < 1i128 << 96, "{product}");
        let s = spec("0.01", "0.00001");
        let px = s.price_to_decimal(Price::from_ticks(InstrumentSpec::MAX_MARKET_TICKS));
        let q = s.qty_to_decimal(Quantity::from_lots(InstrumentSpec::MAX_MARKET_LOTS));
        assert_eq!(
            px.checked_mul(q),
            Some(Decimal::from_i128_with_scale(product, 7))
        );
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
