//! Pre-trade risk checks and the kill switch, per strategy.
//!
//! [`RiskEngine::check`] runs before a request goes to the paper exchange. Cancels and
//! cancel-alls always pass (reducing risk is never refused). A new order is refused, with the
//! first reason that applies, in this order:
//!
//! 1. `StrategyDisabled` once [`RiskEngine::disable`] was called; `KillSwitch` once the kill
//!    switch tripped;
//! 2. `MaxOrderQty`: quantity above `max_order_qty`;
//! 3. `PriceBand` (limit orders): `|price − mid| × 10000 > price_band_bps × |mid|`, in ticks,
//!    exact; refused when there is no mid;
//! 4. `MaxNotional`: `qty × price` (the mid for market orders) above `max_notional`; a market
//!    order with no mid is refused;
//! 5. `MaxPosition`: the worst case `|position ± (open lots on the order's side + qty)|` above
//!    `max_position` (open orders of the order's instrument only);
//! 6. `MaxOpenOrders`: `open_orders.len() + 1` above `max_open_orders`;
//! 7. `RateLimit`: `max_orders_per_sec` orders already passed in the second before `now`.
//!
//! Only orders that pass count towards the rate.
//!
//! [`RiskEngine::on_equity`] follows each strategy's equity (PnL since start after fees, as
//! [`PaperExchange::equity`](crate::paper::PaperExchange::equity) gives it) and trips the kill
//! switch once, when equity falls below `−max_loss` or more than `max_drawdown` below its running
//! peak (the peak starts at zero). Cancelling, flattening ([`flatten_request`]) and disabling the
//! strategy is the hot loop's job.
//!
//! # Hot path
//! `check` and `on_equity` allocate nothing: state is sized in [`RiskEngine::new`].
//!
//! Files: `limits` (the `[risk]` section), `rate` (order-rate rings), `flatten`.

mod flatten;
mod limits;
mod rate;

#[cfg(test)]
mod tests;

pub use flatten::flatten_request;
pub use limits::{MAX_ORDERS_PER_SEC, RiskError, RiskLimits};

use crate::paper::StrategyIdx;
use ladder_sdk::{
    InstrumentSpec, OpenOrder, OrderRequest, OrderType, Price, RejectReason, RequestKind, UnixNanos,
};
use rate::RateWindows;
use rust_decimal::Decimal;
use std::fmt;

/// What the risk check needs to know of the strategy and the market for one request.
#[derive(Debug, Clone, Copy)]
pub struct RiskView<'a> {
    /// The strategy's position in the request's instrument, in lots.
    pub position: i64,
    /// The strategy's open orders (all instruments; the position check keeps those of the
    /// request's instrument).
    pub open_orders: &'a [OpenOrder],
    /// The instrument's mid, if both sides of the book exist.
    pub mid: Option<Price>,
    /// The instrument's spec (for notional).
    pub spec: &'a InstrumentSpec,
}

/// Why the kill switch tripped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KillReason {
    /// Equity fell below `−limit`.
    MaxLoss {
        /// Equity when it tripped.
        equity: Decimal,
        /// `max_loss`.
        limit: Decimal,
    },
    /// Equity fell more than `limit` below its peak.
    MaxDrawdown {
        /// The peak equity.
        peak: Decimal,
        /// Equity when it tripped.
        equity: Decimal,
        /// `max_drawdown`.
        limit: Decimal,
    },
    /// Tripped by hand ([`RiskEngine::kill`]).
    Manual,
}

impl fmt::Display for KillReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MaxLoss { equity, limit } => {
                write!(f, "max loss: equity {equity} is below -{limit}")
            }
            Self::MaxDrawdown {
                peak,
                equity,
                limit,
            } => write!(
                f,
                "max drawdown: equity {equity} is {} below its peak {peak} (limit {limit})",
                peak - equity
            ),
            Self::Manual => f.write_str("killed by hand"),
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct StrategyRisk {
    peak: Decimal,
    killed: Option<(UnixNanos, KillReason)>,
    disabled: bool,
}

/// Limits and per-strategy risk state (order-rate ring, peak equity, kill switch).
#[derive(Debug, Clone)]
pub struct RiskEngine {
    limits: RiskLimits,
    strategies: Vec<StrategyRisk>,
    rate: Option<RateWindows>,
}

impl RiskEngine {
    /// Risk state for `n_strategies` strategies under `limits`.
    ///
    /// # Panics
    /// If the limits are invalid; see [`RiskEngine::try_new`].
    pub fn new(limits: RiskLimits, n_strategies: usize) -> Self {
        match Self::try_new(limits, n_strategies) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    /// Risk state, or an error if a limit is negative.
    pub fn try_new(limits: RiskLimits, n_strategies: usize) -> Result<Self, RiskError> {
        limits.validate()?;
        Ok(Self {
            rate: limits
                .max_orders_per_sec
                .map(|n| RateWindows::new(n, n_strategies)),
            limits,
            strategies: vec![StrategyRisk::default(); n_strategies],
        })
    }

    /// The limits.
    pub fn limits(&self) -> &RiskLimits {
        &self.limits
    }

    /// Checks `req` of `strategy` at `now`; see the module docs for the order of the checks.
    ///
    /// # Panics
    /// If `strategy` is not below `n_strategies`.
    ///
    /// # Hot path
    /// No allocation; `O(open orders)`.
    pub fn check(
        &mut self,
        strategy: StrategyIdx,
        now: UnixNanos,
        req: &OrderRequest,
        view: RiskView<'_>,
    ) -> Result<(), RejectReason> {
        if req.kind != RequestKind::New {
            return Ok(());
        }
        let s = usize::from(strategy.0);
        let state = &self.strategies[s];
        if state.disabled {
            return Err(RejectReason::StrategyDisabled);
        }
        if state.killed.is_some() {
            return Err(RejectReason::KillSwitch);
        }
        let l = &self.limits;
        if l.max_order_qty.is_some_and(|m| req.qty > m) {
            return Err(RejectReason::MaxOrderQty);
        }
        if let Some(band) = l.price_band_bps
            && req.order_type == OrderType::Limit
        {
            let Some(mid) = view.mid else {
                return Err(RejectReason::PriceBand);
            };
            let off = (i128::from(req.price.ticks()) - i128::from(mid.ticks())).abs();
            if off * 10_000 > i128::from(band) * i128::from(mid.ticks()).abs() {
                return Err(RejectReason::PriceBand);
            }
        }
        if let Some(max) = l.max_notional {
            let price = match req.order_type {
                OrderType::Limit => Some(req.price),
                OrderType::Market => view.mid,
            };
            let Some(price) = price else {
                return Err(RejectReason::MaxNotional);
            };
            let notional =
                (view.spec.qty_to_decimal(req.qty) * view.spec.price_to_decimal(price)).abs();
            if notional > max {
                return Err(RejectReason::MaxNotional);
            }
        }
        if let Some(max) = l.max_position {
            let open: i64 = view
                .open_orders
                .iter()
                .filter(|o| o.instrument == req.instrument && o.side == req.side)
                .map(|o| o.leaves_qty.lots())
                .sum();
            let worst = i128::from(view.position)
                + i128::from(req.side.sign()) * (i128::from(open) + i128::from(req.qty.lots()));
            if worst.abs() > i128::from(max) {
                return Err(RejectReason::MaxPosition);
            }
        }
        if l.max_open_orders
            .is_some_and(|m| view.open_orders.len() >= m)
        {
            return Err(RejectReason::MaxOpenOrders);
        }
        if let Some(rate) = &mut self.rate {
            if !rate.allows(s, now) {
                return Err(RejectReason::RateLimit);
            }
            rate.record(s, now);
        }
        Ok(())
    }

    /// Follows `strategy`'s equity; returns the reason the first time the kill switch trips,
    /// `None` otherwise (also every time after it tripped).
    ///
    /// # Hot path
    /// No allocation; two `Decimal` comparisons.
    pub fn on_equity(
        &mut self,
        strategy: StrategyIdx,
        now: UnixNanos,
        equity: Decimal,
    ) -> Option<KillReason> {
        let (max_loss, max_drawdown) = (self.limits.max_loss, self.limits.max_drawdown);
        let state = &mut self.strategies[usize::from(strategy.0)];
        if state.killed.is_some() {
            return None;
        }
        if equity > state.peak {
            state.peak = equity;
        }
        let reason = if let Some(limit) = max_loss.filter(|l| equity < -*l) {
            KillReason::MaxLoss { equity, limit }
        } else if let Some(limit) = max_drawdown.filter(|l| state.peak - equity > *l) {
            KillReason::MaxDrawdown {
                peak: state.peak,
                equity,
                limit,
            }
        } else {
            return None;
        };
        state.killed = Some((now, reason));
        Some(reason)
    }

    /// Trips the kill switch by hand; false if it had already tripped.
    pub fn kill(&mut self, strategy: StrategyIdx, now: UnixNanos, reason: KillReason) -> bool {
        let state = &mut self.strategies[usize::from(strategy.0)];
        if state.killed.is_some() {
            return false;
        }
        state.killed = Some((now, reason));
        true
    }

    /// Refuses every later order of `strategy` with `StrategyDisabled` (it faulted or stopped).
    pub fn disable(&mut self, strategy: StrategyIdx) {
        self.strategies[usize::from(strategy.0)].disabled = true;
    }

    /// Has the kill switch of `strategy` tripped?
    pub fn is_killed(&self, strategy: StrategyIdx) -> bool {
        self.strategies[usize::from(strategy.0)].killed.is_some()
    }

    /// When and why the kill switch of `strategy` tripped.
    pub fn kill_reason(&self, strategy: StrategyIdx) -> Option<(UnixNanos, KillReason)> {
        self.strategies[usize::from(strategy.0)].killed
    }

    /// The highest equity `strategy` reached (zero at the start).
    pub fn peak_equity(&self, strategy: StrategyIdx) -> Decimal {
        self.strategies[usize::from(strategy.0)].peak
    }
}
