//! One strategy's account in one instrument: position, average entry, realized PnL, fees and
//! traded volume, all exact `Decimal` from the instrument's tick and lot values.
//!
//! # Accounting
//! Average cost. The open position carries a signed cost basis (Σ side · qty · price of what is
//! open, exact). Reducing `n` of `|pos|` lots realizes `exit value − basis · n / |pos|` and keeps
//! the rest of the basis, so the average entry of what remains is unchanged; a fill through zero
//! closes the old position and opens the remainder at the fill price. An average of several
//! entry prices need not be a finite decimal (three lots at 100, 100, 101), so the basis released
//! by a partial close, `basis · n / |pos|`, is rounded to [`COST_DECIMALS`] places (half to even);
//! the rest of the basis stays exact, so a position that goes back to flat realizes exactly
//! Σ sells − Σ buys and rounding only moves PnL between partial closes. Anyone can recompute the
//! figures from `fills.csv` with this rule. Fees are `notional · bps / 10000`, exact, and are kept
//! apart from realized PnL: net PnL = realized − fees.

use ladder_sdk::{InstrumentSpec, Price, Quantity, Side};
use rust_decimal::{Decimal, RoundingStrategy};

/// Decimal places of the cost basis released by a partial close (and of the average entry).
pub const COST_DECIMALS: u32 = 12;

/// Position and PnL of one strategy in one instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Account {
    /// Signed position in lots (positive long).
    pub position: i64,
    /// Average entry price of the open position (zero when flat).
    pub avg_entry: Decimal,
    /// Signed cost basis of the open position: `position × avg_entry` in quote currency.
    pub cost_basis: Decimal,
    /// Realized PnL before fees.
    pub realized_pnl: Decimal,
    /// Fees paid (negative when maker rebates exceed fees paid).
    pub fees: Decimal,
    /// Traded quantity (base units, both sides).
    pub volume: Decimal,
    /// Traded notional (quote units, both sides).
    pub notional: Decimal,
    /// Number of fills.
    pub fills: u64,
}

impl Account {
    /// A flat account with nothing traded.
    pub const EMPTY: Self = Self {
        position: 0,
        avg_entry: Decimal::ZERO,
        cost_basis: Decimal::ZERO,
        realized_pnl: Decimal::ZERO,
        fees: Decimal::ZERO,
        volume: Decimal::ZERO,
        notional: Decimal::ZERO,
        fills: 0,
    };

    /// Books a fill of `qty` at `price` with fee rate `fee_rate` (a fraction of notional, not
    /// bps); returns the fee.
    ///
    /// # Hot path
    /// No allocation; a few `Decimal` multiplications (one division when a position is reduced).
    pub(super) fn apply_fill(
        &mut self,
        spec: &InstrumentSpec,
        side: Side,
        price: Price,
        qty: Quantity,
        fee_rate: Decimal,
    ) -> Decimal {
        let px = spec.price_to_decimal(price);
        let q = spec.qty_to_decimal(qty);
        let notional = px * q;
        let fee = notional * fee_rate;
        self.fees += fee;
        self.volume += q;
        self.notional += notional;
        self.fills += 1;

        let pos = self.position;
        let signed = side.sign() * qty.lots();
        if pos == 0 || pos.signum() == signed.signum() {
            self.cost_basis += if side == Side::Buy {
                notional
            } else {
                -notional
            };
        } else {
            let closing = pos.unsigned_abs().min(qty.lots().unsigned_abs());
            let portion = if closing == pos.unsigned_abs() {
                self.cost_basis
            } else {
                (self.cost_basis * Decimal::from(closing) / Decimal::from(pos.unsigned_abs()))
                    .round_dp_with_strategy(COST_DECIMALS, RoundingStrategy::MidpointNearestEven)
            };
            // Exit value of the closed lots, signed like the position.
            let closed = spec.lot_grid().to_decimal(pos.signum() * closing as i64);
            self.realized_pnl += closed * px - portion;
            self.cost_basis -= portion;
            let opening = qty.lots() - closing as i64;
            if opening > 0 {
                self.cost_basis = spec.lot_grid().to_decimal(side.sign() * opening) * px;
            }
        }
        self.position = pos + signed;
        self.avg_entry = if self.position == 0 {
            self.cost_basis = Decimal::ZERO;
            Decimal::ZERO
        } else {
            (self.cost_basis / spec.lot_grid().to_decimal(self.position))
                .round_dp_with_strategy(COST_DECIMALS, RoundingStrategy::MidpointNearestEven)
                .normalize()
        };
        fee
    }

    /// Unrealized PnL of the open position marked at `mark`.
    pub fn unrealized(&self, spec: &InstrumentSpec, mark: Price) -> Decimal {
        self.unrealized_at(spec, spec.price_to_decimal(mark))
    }

    /// Unrealized PnL of the open position marked at a decimal price (e.g. a half-tick mid).
    pub fn unrealized_at(&self, spec: &InstrumentSpec, mark: Decimal) -> Decimal {
        if self.position == 0 {
            return Decimal::ZERO;
        }
        spec.lot_grid().to_decimal(self.position) * mark - self.cost_basis
    }

    /// Realized PnL minus fees.
    pub fn net_realized(&self) -> Decimal {
        self.realized_pnl - self.fees
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn spec() -> InstrumentSpec {
        InstrumentSpec::new(dec("0.01"), dec("0.001")).unwrap()
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn fill(a: &mut Account, side: Side, ticks: i64, lots: i64) {
        a.apply_fill(
            &spec(),
            side,
            Price::from_ticks(ticks),
            Quantity::from_lots(lots),
            Decimal::ZERO,
        );
    }

    #[test]
    fn short_then_cover_realizes_entry_minus_exit() {
        let mut a = Account::EMPTY;
        fill(&mut a, Side::Sell, 10_000, 3); // short 3 lots @ 100.00
        assert_eq!(a.avg_entry, dec("100"));
        fill(&mut a, Side::Buy, 9_000, 3); // cover @ 90.00
        assert_eq!(a.position, 0);
        assert_eq!(a.realized_pnl, dec("0.03")); // 10 × 0.003
        assert_eq!(a.cost_basis, Decimal::ZERO);
    }

    #[test]
    fn fill_through_zero_opens_remainder_at_fill_price() {
        let mut a = Account::EMPTY;
        fill(&mut a, Side::Buy, 10_000, 2);
        fill(&mut a, Side::Sell, 10_500, 5); // close 2 (+5 × 0.002), open short 3 @ 105
        assert_eq!(a.position, -3);
        assert_eq!(a.realized_pnl, dec("0.01"));
        assert_eq!(a.avg_entry, dec("105"));
        assert_eq!(
            a.unrealized(&spec(), Price::from_ticks(10_000)),
            dec("0.015")
        );
    }

    #[test]
    fn uneven_average_round_trip_to_flat_is_exact() {
        let mut a = Account::EMPTY;
        fill(&mut a, Side::Buy, 10_000, 2);
        fill(&mut a, Side::Buy, 10_001, 1); // avg 100.00333…
        fill(&mut a, Side::Sell, 10_100, 1);
        fill(&mut a, Side::Sell, 10_100, 2);
        assert_eq!(a.position, 0);
        // Σ sells − Σ buys = 3 × 101 × 0.001 − (2 × 100 + 100.01) × 0.001
        assert_eq!(a.realized_pnl, dec("0.00299"));
    }

    #[test]
    fn fee_is_exact_fraction_of_notional() {
        let mut a = Account::EMPTY;
        let fee = a.apply_fill(
            &spec(),
            Side::Buy,
            Price::from_ticks(6_183_763),
            Quantity::from_lots(7),
            dec("0.0001"), // 1 bps
        );
        assert_eq!(fee, dec("0.043286341")); // 61837.63 × 0.007 × 0.0001
        assert_eq!(a.fees, fee);
        assert_eq!(a.notional, dec("432.86341"));
    }
}

#[cfg(test)]
mod rounding_tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn partial_close_of_a_non_decimal_average_rounds_and_flat_is_exact() {
        let spec = InstrumentSpec::new(Decimal::from_str("0.01").unwrap(), Decimal::ONE).unwrap();
        let px = |s: &str| spec.price_from_str(s).unwrap();
        let mut a = Account::EMPTY;
        for p in ["100", "100", "101"] {
            a.apply_fill(
                &spec,
                Side::Buy,
                px(p),
                Quantity::from_lots(1),
                Decimal::ZERO,
            );
        }
        // Average entry 100.333…: released basis rounded to 12 places, half to even.
        a.apply_fill(
            &spec,
            Side::Sell,
            px("102"),
            Quantity::from_lots(1),
            Decimal::ZERO,
        );
        assert_eq!(a.realized_pnl, Decimal::from_str("1.666666666667").unwrap());
        // The remaining basis 200.666666666667 over 2 lots is …3335: half to even.
        assert_eq!(a.avg_entry, Decimal::from_str("100.333333333334").unwrap());
        a.apply_fill(
            &spec,
            Side::Sell,
            px("99"),
            Quantity::from_lots(2),
            Decimal::ZERO,
        );
        // Flat: exactly Σ sells − Σ buys = 102 + 198 − 301.
        assert_eq!(a.realized_pnl, Decimal::from(-1));
        assert_eq!(a.position, 0);
    }
}
