//! Trade imbalance `TI = Σ buy − Σ sell` and `TI/VOL` over a window (`docs/signals.md` §5.1).

use super::error::WindowError;
use crate::{Quantity, Side, UnixNanos};

/// Buy and sell volume of a set of trades, by aggressor side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TradeFlow {
    /// Buyer-initiated volume `V_B`, lots.
    pub buy: i64,
    /// Seller-initiated volume `V_S`, lots.
    pub sell: i64,
}

impl TradeFlow {
    /// `TI = V_B − V_S`, lots.
    pub fn imbalance(&self) -> i64 {
        self.buy.saturating_sub(self.sell)
    }

    /// `VOL = V_B + V_S`, lots.
    pub fn volume(&self) -> i64 {
        self.buy.saturating_add(self.sell)
    }

    /// `TI/VOL` ∈ [−1, 1]; `None` when `VOL = 0` (undefined, not 0).
    pub fn normalized(&self) -> Option<f64> {
        let vol = self.volume();
        (vol > 0).then(|| (self.imbalance() as f64 / vol as f64).clamp(-1.0, 1.0))
    }

    /// Adds one trade.
    #[inline]
    pub fn add(&mut self, aggressor: Side, qty: Quantity) {
        match aggressor {
            Side::Buy => self.buy = self.buy.saturating_add(qty.lots()),
            Side::Sell => self.sell = self.sell.saturating_add(qty.lots()),
        }
    }
}

/// The flow of a batch of trades `(aggressor, size)`. Trades without an aggressor (auction or
/// cross prints) must be left out by the caller.
///
/// # Hot path
/// No allocation, O(trades).
pub fn trade_flow(trades: impl IntoIterator<Item = (Side, Quantity)>) -> TradeFlow {
    let mut flow = TradeFlow::default();
    for (side, qty) in trades {
        flow.add(side, qty);
    }
    flow
}

/// The window of a [`TradeImbalance`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeWindow {
    /// The last `n` trades.
    Count(usize),
    /// Trades with timestamp in `(now − span_ns, now]`, where `now` is the latest time seen. At
    /// most `capacity` trades are held: on overflow the oldest trade leaves early and
    /// [`TradeImbalance::overflowed`] counts it, so size `capacity` for the busiest burst.
    Time {
        /// Window length in nanoseconds.
        span_ns: u64,
        /// Ring capacity in trades.
        capacity: usize,
    },
}

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    ts: u64,
    side_buy: bool,
    lots: i64,
}

/// Rolling trade imbalance over a count or time window, in a ring allocated once.
#[derive(Debug, Clone)]
pub struct TradeImbalance {
    window: TradeWindow,
    ring: Box<[Entry]>,
    head: usize,
    len: usize,
    flow: TradeFlow,
    now: u64,
    overflowed: u64,
}

impl TradeImbalance {
    /// A window.
    ///
    /// # Panics
    /// If the count or capacity is 0; see [`TradeImbalance::new_checked`].
    pub fn new(window: TradeWindow) -> Self {
        match Self::new_checked(window) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    /// A window, or an error if its count or capacity is 0.
    ///
    /// # Errors
    /// [`WindowError::ZeroCapacity`].
    pub fn new_checked(window: TradeWindow) -> Result<Self, WindowError> {
        let capacity = match window {
            TradeWindow::Count(n) => n,
            TradeWindow::Time { capacity, .. } => capacity,
        };
        if capacity == 0 {
            return Err(WindowError::ZeroCapacity {
                what: "trade window capacity",
            });
        }
        Ok(Self {
            window,
            ring: vec![Entry::default(); capacity].into_boxed_slice(),
            head: 0,
            len: 0,
            flow: TradeFlow::default(),
            now: 0,
            overflowed: 0,
        })
    }

    /// Adds a trade at time `ts` (its exchange or receive time; only time windows use it).
    ///
    /// # Hot path
    /// No allocation; amortised O(1).
    pub fn push(&mut self, ts: UnixNanos, aggressor: Side, qty: Quantity) {
        self.advance(ts);
        if self.len == self.ring.len() {
            if matches!(self.window, TradeWindow::Time { .. }) {
                self.overflowed += 1;
            }
            self.pop_oldest();
        }
        let idx = (self.head + self.len) % self.ring.len();
        self.ring[idx] = Entry {
            ts: ts.as_nanos(),
            side_buy: aggressor == Side::Buy,
            lots: qty.lots(),
        };
        self.len += 1;
        self.flow.add(aggressor, qty);
    }

    /// Moves the clock to `now` and expires trades that left a time window (no-op for counts).
    ///
    /// # Hot path
    /// No allocation; amortised O(1).
    pub fn advance(&mut self, now: UnixNanos) {
        self.now = self.now.max(now.as_nanos());
        if let TradeWindow::Time { span_ns, .. } = self.window {
            while self.len > 0 && self.now.saturating_sub(self.ring[self.head].ts) >= span_ns {
                self.pop_oldest();
            }
        }
    }

    fn pop_oldest(&mut self) {
        let e = self.ring[self.head];
        if e.side_buy {
            self.flow.buy -= e.lots;
        } else {
            self.flow.sell -= e.lots;
        }
        self.head = (self.head + 1) % self.ring.len();
        self.len -= 1;
    }

    /// The buy and sell volume in the window.
    pub fn flow(&self) -> TradeFlow {
        self.flow
    }

    /// `TI` in the window, lots.
    pub fn imbalance(&self) -> i64 {
        self.flow.imbalance()
    }

    /// `TI/VOL` in the window; `None` when the window holds no volume.
    pub fn normalized(&self) -> Option<f64> {
        self.flow.normalized()
    }

    /// Trades in the window.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the window holds no trade.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Trades pushed out of a time window early because the ring was full.
    pub fn overflowed(&self) -> u64 {
        self.overflowed
    }

    /// Empties the window (after a gap or a reset).
    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
        self.flow = TradeFlow::default();
    }
}

impl crate::state::Save for TradeImbalance {
    fn save(&self, w: &mut crate::state::StateWriter<'_>) {
        w.usize(self.ring.len());
        for e in &self.ring {
            w.u64(e.ts);
            w.bool(e.side_buy);
            w.i64(e.lots);
        }
        w.usize(self.head);
        w.usize(self.len);
        w.i64(self.flow.buy);
        w.i64(self.flow.sell);
        w.u64(self.now);
        w.u64(self.overflowed);
    }

    fn restore(
        &mut self,
        r: &mut crate::state::StateReader<'_>,
    ) -> Result<(), crate::state::StateError> {
        let cap = self.ring.len();
        r.expect_size("trade window", cap)?;
        for e in self.ring.iter_mut() {
            e.ts = r.u64()?;
            e.side_buy = r.bool("trade side")?;
            e.lots = r.i64()?;
        }
        self.head = r.index("trade window head", cap)?;
        self.len = r.usize("trade window len")?;
        if self.len > cap {
            return Err(crate::state::StateError::Invalid {
                what: "trade window len",
            });
        }
        self.flow.buy = r.i64()?;
        self.flow.sell = r.i64()?;
        self.now = r.u64()?;
        self.overflowed = r.u64()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const B: Side = Side::Buy;
    const S: Side = Side::Sell;

    fn q(lots: i64) -> Quantity {
        Quantity::from_lots(lots)
    }

    #[test]
    fn trade_flow_five_trades_example() {
        let flow = trade_flow([(B, q(100)), (S, q(40)), (B, q(60)), (S, q(120)), (B, q(20))]);
        assert_eq!(
            flow,
            TradeFlow {
                buy: 180,
                sell: 160
            }
        );
        assert_eq!(flow.imbalance(), 20);
        assert!((flow.normalized().expect("volume") - 20.0 / 340.0).abs() < 1e-15);
    }

    #[test]
    fn trade_flow_without_volume_is_undefined() {
        assert_eq!(trade_flow([]).normalized(), None);
        assert_eq!(trade_flow([(B, q(0))]).normalized(), None);
    }

    #[test]
    fn count_window_keeps_last_n() {
        let mut ti = TradeImbalance::new(TradeWindow::Count(2));
        for (i, (side, lots)) in [(B, 60), (B, 40), (S, 30)].into_iter().enumerate() {
            ti.push(UnixNanos::from_nanos(i as u64), side, q(lots));
        }
        assert_eq!(ti.flow(), TradeFlow { buy: 40, sell: 30 });
        assert_eq!(ti.len(), 2);
        assert_eq!(ti.overflowed(), 0);
    }

    #[test]
    fn ofi_sequence_trades_give_ti_100_normalised_1() {
        let mut ti = TradeImbalance::new(TradeWindow::Count(5));
        ti.push(UnixNanos::from_nanos(2), B, q(60));
        ti.push(UnixNanos::from_nanos(3), B, q(40));
        assert_eq!(ti.imbalance(), 100);
        assert_eq!(ti.normalized(), Some(1.0));
    }

    #[rstest]
    #[case::inside_span(1_999, 2, 30)]
    #[case::edge_expires(2_000, 1, 20)]
    #[case::all_expired(5_000, 0, 0)]
    fn time_window_expires_old_trades(#[case] now: u64, #[case] len: usize, #[case] sell: i64) {
        let mut ti = TradeImbalance::new(TradeWindow::Time {
            span_ns: 1_000,
            capacity: 8,
        });
        ti.push(UnixNanos::from_nanos(1_000), S, q(10));
        ti.push(UnixNanos::from_nanos(1_500), S, q(20));
        ti.advance(UnixNanos::from_nanos(now));
        assert_eq!((ti.len(), ti.flow().sell), (len, sell));
        assert_eq!(ti.normalized().is_none(), len == 0);
    }

    #[test]
    fn time_window_overflow_is_counted() {
        let mut ti = TradeImbalance::new(TradeWindow::Time {
            span_ns: 1_000_000,
            capacity: 2,
        });
        for t in 0..3 {
            ti.push(UnixNanos::from_nanos(t), B, q(1));
        }
        assert_eq!((ti.len(), ti.overflowed(), ti.flow().buy), (2, 1, 2));
        ti.clear();
        assert!(ti.is_empty());
    }

    #[test]
    fn zero_capacity_is_an_error() {
        assert!(TradeImbalance::new_checked(TradeWindow::Count(0)).is_err());
        assert!(
            TradeImbalance::new_checked(TradeWindow::Time {
                span_ns: 1,
                capacity: 0
            })
            .is_err()
        );
    }
}
