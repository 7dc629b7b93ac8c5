//! Example strategy: order-book imbalance. Built as a `cdylib` the engine loads at run time
//! (`ladder paper --strategy target/release/libladder_strategy_imbalance.so`) and as an `rlib`
//! for static linking in tests.
//!
//! # What it does
//!
//! On every book update of its instrument it computes, with the sdk's signal functions,
//! top-of-book imbalance `ρ`, depth-weighted imbalance `ρ_N(w)` and order-flow imbalance (OFI)
//! and emits them; on every trade it emits the normalised trade flow. It smooths the imbalance
//! chosen by `signal` (EMA or rolling mean) and trades one rule:
//!
//! - smoothed imbalance `> threshold`: join the best bid (one order of `order_qty` lots at the
//!   best bid price, post-only by default); `< −threshold`: join the best ask;
//! - keep that order while the smoothed imbalance stays beyond the exit band (`> exit_band` for
//!   the bid, `< −exit_band` for the ask), and cancel it once it falls back inside;
//! - re-quote when the best price moves away from the order: cancel, and place the replacement at
//!   the new best price once the engine confirms the cancel;
//! - at most one working order per side, and never an order that could take the position beyond
//!   `±max_position` lots (position from the engine plus the order's quantity);
//! - no order while the book is not synced: a book update that is not `Synced` or an
//!   `on_status` that says stale cancels the working orders, clears the smoothing and OFI state,
//!   and the rule waits for `warmup` fresh values after the resync.
//!
//! The strategy trades one instrument: the one named by `symbol`, or else the first one it sees
//! an event for; events of other instruments are ignored. It tracks its own orders from its
//! requests and the engine's order updates and fills.
//!
//! # Signals
//!
//! | name | value |
//! |---|---|
//! | `top_imbalance` | `ρ = (Qb − Qa)/(Qb + Qa)` at the best level, in [−1, 1] |
//! | `depth_imbalance` | `Σ w_i (Qb_i − Qa_i) / Σ w_i (Qb_i + Qa_i)` over `levels` levels |
//! | `ofi` | best-level OFI in lots, summed over the last `ofi_window` book updates |
//! | `smoothed_imbalance` | the smoothed `signal` imbalance the rule trades on |
//! | `trade_flow` | `(buy − sell)/(buy + sell)` volume over the last `trade_window` trades |
//!
//! A value is emitted only when it is defined (two-sided, uncrossed book with size; see
//! `ladder_sdk::signal`), in the order of the table, once per event.
//!
//! # Config
//!
//! TOML, or JSON when the first non-space character is `{`. Every key is optional (an empty
//! config runs the defaults); an unknown key is an error naming it.
//!
//! | key | default | meaning |
//! |---|---|---|
//! | `symbol` | none | instrument to trade, e.g. `"binance-usdm:BTCUSDT"`; none: the first seen |
//! | `signal` | `"depth"` | imbalance the rule trades on: `"top"` or `"depth"` |
//! | `levels` | `5` | levels of the depth imbalance |
//! | `weighting` | `"geometric"` | depth weights: `"uniform"`, `"geometric"`, `"harmonic"`, `"price_distance"` |
//! | `decay` | `0.5` | `λ` of geometric weights `λ^(i−1)`, or `κ` per tick of `price_distance` |
//! | `ofi_convention` | `"cks"` | `"cks"` (previous queue on a worsened price) or `"ccz"` |
//! | `ofi_window` | `50` | book updates summed in `ofi` |
//! | `trade_window` | `100` | trades in `trade_flow` |
//! | `smoothing` | `"ema"` | `"ema"` or `"mean"` (rolling mean) |
//! | `ema_alpha` | `0.1` | EMA weight of the newest value, in (0, 1] |
//! | `window` | `20` | values in the rolling mean |
//! | `warmup` | `20` | smoothed values needed (after start or a resync) before trading |
//! | `threshold` | `0.3` | entry level of the smoothed imbalance, in (0, 1] |
//! | `exit_band` | `0.1` | cancel once `abs(smoothed) <= exit_band`; `0 <= exit_band < threshold` |
//! | `order_qty` | `1` | order size, lots |
//! | `max_position` | `5` | position cap, lots (`>= order_qty`) |
//! | `time_in_force` | `"post_only"` | `"post_only"` or `"gtc"` |
//!
//! ```toml
//! signal = "depth"
//! levels = 10
//! weighting = "geometric"
//! decay = 0.7
//! smoothing = "mean"
//! window = 50
//! threshold = 0.4
//! exit_band = 0.15
//! order_qty = 2
//! max_position = 10
//! ```
//!
//! The same as JSON: `{"signal": "depth", "levels": 10, "smoothing": "mean", "window": 50}`.
//!
//! # Hot reload
//!
//! The strategy hands its warm state to a new build of itself when the engine swaps its library
//! (`ladder paper` hot reload, `ladder replay --swap`), in state format version
//! [`STATE_VERSION`]: the smoother (EMA value or rolling-mean window), the warm-up count, the OFI
//! window, the trade window, the quoting intents and the quoter's working orders. The new
//! instance is built from its own config first: a config that changed a window size or the
//! smoothing kind refuses the state (the new instance then starts fresh).
//!
//! # Hot path
//!
//! No allocation per event: the windows are allocated in `new`; signals and orders go through
//! the `Context` only. Each book update is O(`levels`).

mod config;
mod window;

#[cfg(test)]
mod tests;

use config::{Config, Driver};
use ladder_sdk::config as sdk_config;
use ladder_sdk::prelude::*;
use ladder_sdk::signal::{TradeImbalance, TradeWindow, depth_imbalance, top_imbalance};
use window::{OfiWindow, Smoother};

/// The format of the state handed to a new build on a hot swap (see "Hot reload").
pub const STATE_VERSION: u32 = 1;

/// The imbalance strategy; see the crate docs.
#[derive(Debug)]
pub struct ImbalanceStrategy {
    config: Config,
    ids: Signals,
    /// The two-sided quote on the traded instrument.
    quoter: Quoter,
    smoother: Smoother,
    samples: usize,
    ofi: OfiWindow,
    trades: TradeImbalance,
    want_buy: bool,
    want_sell: bool,
}

#[derive(Debug, Clone, Copy)]
struct Signals {
    top: SignalId,
    depth: SignalId,
    ofi: SignalId,
    smoothed: SignalId,
    trade_flow: SignalId,
}

impl Strategy for ImbalanceStrategy {
    fn new(config: &str, ctx: &mut InitContext<'_>) -> Result<Self, StrategyError> {
        let config = Config::parse(config)?;
        let instrument = sdk_config::instrument("imbalance", ctx, config.symbol.as_deref())?;
        let ids = Signals {
            top: ctx.register_signal("top_imbalance")?,
            depth: ctx.register_signal("depth_imbalance")?,
            ofi: ctx.register_signal("ofi")?,
            smoothed: ctx.register_signal("smoothed_imbalance")?,
            trade_flow: ctx.register_signal("trade_flow")?,
        };
        let trades = TradeImbalance::new_checked(TradeWindow::Count(config.trade_window))
            .map_err(|e| StrategyError::new(format!("imbalance config: `trade_window`: {e}")))?;
        Ok(Self {
            ids,
            quoter: Quoter::new(
                instrument,
                Quantity::from_lots(config.order_qty),
                config.time_in_force.into(),
                config.max_position,
            ),
            smoother: Smoother::new(&config),
            samples: 0,
            ofi: OfiWindow::new(&config),
            trades,
            want_buy: false,
            want_sell: false,
            config,
        })
    }

    fn on_book(&mut self, ctx: &mut Context<'_>, book: &BookView<'_>) {
        if !self.quoter.owns(book.instrument()) {
            return;
        }
        if !book.is_synced() {
            self.go_stale(ctx);
            return;
        }
        let (bids, asks) = (book.bids(), book.asks());
        let top = top_imbalance(bids, asks).map(|t| t.rho);
        let depth = depth_imbalance(bids, asks, self.config.levels, self.config.depth_weights());
        let ofi = self.ofi.update(bids, asks);
        // A full signal buffer drops the value, never allocates.
        if let Some(v) = top {
            let _ = ctx.emit(self.ids.top, v);
        }
        if let Some(v) = depth {
            let _ = ctx.emit(self.ids.depth, v);
        }
        if let Some(v) = ofi {
            let _ = ctx.emit(self.ids.ofi, v as f64);
        }
        let raw = match self.config.signal {
            Driver::Top => top,
            Driver::Depth => depth,
        };
        if let Some(smoothed) = raw.and_then(|x| self.smoother.push(x)) {
            let _ = ctx.emit(self.ids.smoothed, smoothed);
            self.samples = self.samples.saturating_add(1);
            if self.samples >= self.config.warmup {
                self.update_intent(smoothed);
            }
        }
        // Join only a two-sided, strictly uncrossed book.
        let (target_bid, target_ask) = match (book.best_bid(), book.best_ask()) {
            (Some(b), Some(a)) if b.price < a.price => (
                self.want_buy.then_some(b.price),
                self.want_sell.then_some(a.price),
            ),
            _ => (None, None),
        };
        self.quoter.quote(ctx, target_bid, target_ask);
    }

    fn on_trade(&mut self, ctx: &mut Context<'_>, trade: &TradeEvent) {
        if !self.quoter.owns(trade.instrument) {
            return;
        }
        self.trades
            .push(trade.ts_exchange, trade.aggressor, trade.qty);
        if let Some(v) = self.trades.normalized() {
            let _ = ctx.emit(self.ids.trade_flow, v);
        }
    }

    fn on_order_update(&mut self, ctx: &mut Context<'_>, update: &OrderUpdate) {
        self.quoter.on_order_update(ctx, update);
    }

    fn on_fill(&mut self, _ctx: &mut Context<'_>, fill: &Fill) {
        self.quoter.on_fill(fill);
    }

    fn on_status(&mut self, ctx: &mut Context<'_>, status: &StatusEvent) {
        if self.quoter.instrument() == Some(status.instrument) && !status.is_synced() {
            self.go_stale(ctx);
        }
    }

    fn on_stop(&mut self, ctx: &mut Context<'_>) {
        self.quoter.withdraw(ctx);
    }

    fn handoff() -> Handoff {
        Handoff::versioned(STATE_VERSION)
    }

    fn export_state(&self, out: &mut StateWriter<'_>) {
        out.save(&self.smoother);
        out.usize(self.samples);
        out.save(&self.ofi);
        out.save(&self.trades);
        out.bool(self.want_buy);
        out.bool(self.want_sell);
        out.save(&self.quoter);
    }

    fn import_state(
        &mut self,
        version: u32,
        state: &mut StateReader<'_>,
    ) -> Result<(), StrategyError> {
        if version != STATE_VERSION {
            return Err(StateError::Version {
                got: version,
                supported: STATE_VERSION,
            }
            .into());
        }
        state.restore(&mut self.smoother)?;
        self.samples = state.usize("samples")?;
        state.restore(&mut self.ofi)?;
        state.restore(&mut self.trades)?;
        self.want_buy = state.bool("want_buy")?;
        self.want_sell = state.bool("want_sell")?;
        state.restore(&mut self.quoter)?;
        state.finish()?;
        Ok(())
    }
}

impl ImbalanceStrategy {
    /// Entry beyond `±threshold`, exit inside `±exit_band`, hold in between.
    fn update_intent(&mut self, smoothed: f64) {
        let (threshold, band) = (self.config.threshold, self.config.exit_band);
        if smoothed > threshold {
            self.want_buy = true;
        } else if smoothed <= band {
            self.want_buy = false;
        }
        if smoothed < -threshold {
            self.want_sell = true;
        } else if smoothed >= -band {
            self.want_sell = false;
        }
    }

    /// The book cannot be trusted: cancel everything working, forget the signal state.
    fn go_stale(&mut self, ctx: &mut Context<'_>) {
        self.want_buy = false;
        self.want_sell = false;
        self.smoother.reset();
        self.samples = 0;
        self.ofi.reset();
        self.quoter.withdraw(ctx);
    }
}

export_strategy!(ImbalanceStrategy);
