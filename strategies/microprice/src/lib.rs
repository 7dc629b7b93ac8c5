//! Example strategy: Stoikov micro-price quoting. Built as a `cdylib` the engine loads at run
//! time (`ladder paper --strategy target/release/libladder_strategy_microprice.so`) and as an
//! `rlib` for static linking in tests.
//!
//! # What it does
//!
//! It loads a G* table fitted by `ladder fit-microprice` (the file named by `table`, or the
//! built-in table whose tick matches `tick_size`: one fitted on a Binance USDⓈ-M BTCUSDT capture,
//! tick 0.1, and one on a Binance spot BTCUSDT capture, tick 0.01; see the crate README for
//! how it was made) and, on every book update of its instrument, emits the weighted mid and
//! Stoikov's micro-price `P = M + G*(I, S)` and quotes both sides around the micro-price with an
//! inventory skew:
//!
//! - reservation price `r = P − skew_ticks_per_lot · position` (ticks; position in lots, from the
//!   engine), so a long position lowers both quotes and a short one raises them;
//! - bid at `floor(r − half_spread_ticks)`, ask at `ceil(r + half_spread_ticks)`, each kept off
//!   the other side of the book (bid at most best ask − 1 tick, ask at least best bid + 1) so a
//!   post-only quote does not cross;
//! - one order of `order_qty` lots per side; when the desired price changes, the order is
//!   cancelled and the replacement placed once the engine confirms the cancel;
//! - a side is not quoted when its fill could take the position beyond `±max_position` lots;
//! - no quotes while the book is not synced: a book update that is not `Synced` or an
//!   `on_status` that says stale cancels both quotes.
//!
//! When the table has no value for the book (a spread wider than the table, a locked, crossed or
//! one-sided book) the strategy quotes around `fallback` (default: it pulls its quotes).
//!
//! The tick of the table must be the instrument's: `tick_size` (default `"0.1"`, the built-in
//! table's) is checked against the table in `new`, which fails with a clear error on a mismatch.
//!
//! The strategy trades one instrument: the one named by `symbol`, or else the first one it sees
//! a book for; events of other instruments are ignored. It tracks its own orders from its
//! requests and the engine's order updates and fills.
//!
//! # Signals
//!
//! All three are **prices in price units** (ticks × `tick_size`, as `f64`), emitted when defined,
//! in this order:
//!
//! | name | value |
//! |---|---|
//! | `weighted_mid` | `(Pb·Qa + Pa·Qb)/(Qa + Qb)` |
//! | `microprice` | Stoikov's micro-price `M + G*(I, S)` from the table |
//! | `reservation` | the price quoted around: micro-price (or `fallback`) minus the inventory skew |
//!
//! # Config
//!
//! TOML, or JSON when the first non-space character is `{`. Every key is optional (an empty
//! config runs the built-in table with the defaults); an unknown key is an error naming it.
//!
//! | key | default | meaning |
//! |---|---|---|
//! | `symbol` | none | instrument to trade, e.g. `"binance-usdm:BTCUSDT"`; none: the first seen |
//! | `table` | built-in | path of a G* table JSON written by `ladder fit-microprice` |
//! | `tick_size` | `"0.1"` | the instrument's tick, a decimal string; must equal the table's tick |
//! | `half_spread_ticks` | `0.5` | distance of each quote from the reservation price, ticks |
//! | `skew_ticks_per_lot` | `0.2` | reservation shift per lot of position, ticks |
//! | `order_qty` | `1` | quote size, lots |
//! | `max_position` | `5` | position cap, lots (`>= order_qty`) |
//! | `fallback` | `"none"` | without a table value: `"none"` (no quotes), `"mid"`, `"weighted_mid"` |
//! | `time_in_force` | `"post_only"` | `"post_only"` or `"gtc"` |
//!
//! ```toml
//! table = "tables/ethusdt_gstar.json"
//! tick_size = "0.01"
//! half_spread_ticks = 1.5
//! skew_ticks_per_lot = 0.05
//! order_qty = 10
//! max_position = 100
//! fallback = "weighted_mid"
//! ```
//!
//! The same as JSON: `{"table": "tables/ethusdt_gstar.json", "tick_size": "0.01"}`.
//!
//! # Hot reload
//!
//! The strategy hands its state to a new build of itself when the engine swaps its library
//! (`ladder paper` hot reload, `ladder replay --swap`), in state format version
//! [`STATE_VERSION`]: the quoter (its instrument, targets and working order ids). The G* table
//! is not state: the new build loads the table its config names, so a swap can ship a refitted
//! table while the working orders stay.
//!
//! # Hot path
//!
//! No allocation per event (the table is loaded in `new`); signals and orders go through the
//! `Context` only. Each book update is O(log buckets).

mod config;
mod table;

#[cfg(test)]
mod tests;

use config::{Config, Fallback};
use ladder_sdk::config as sdk_config;
use ladder_sdk::prelude::*;
use ladder_sdk::signal::{MicropriceTable, mid, weighted_mid};

/// The format of the state handed to a new build on a hot swap (see "Hot reload").
pub const STATE_VERSION: u32 = 1;

/// Relative tolerance of the tick check (the table stores its tick as `f64`).
const TICK_TOLERANCE: f64 = 1e-9;

/// Rounding slack so that a price exactly on a tick is not pushed one tick out by `f64` noise.
const ROUNDING_SLACK: f64 = 1e-9;

/// The micro-price quoting strategy; see the crate docs.
#[derive(Debug)]
pub struct MicropriceStrategy {
    config: Config,
    table: MicropriceTable,
    /// Price units per tick.
    tick: f64,
    ids: Signals,
    /// The two-sided quote on the traded instrument.
    quoter: Quoter,
}

#[derive(Debug, Clone, Copy)]
struct Signals {
    weighted_mid: SignalId,
    microprice: SignalId,
    reservation: SignalId,
}

impl Strategy for MicropriceStrategy {
    fn new(config: &str, ctx: &mut InitContext<'_>) -> Result<Self, StrategyError> {
        let config = Config::parse(config)?;
        let tick = config.tick()?;
        let table = table::load(config.table.as_deref(), tick)?;
        if (table.tick() - tick).abs() > TICK_TOLERANCE * tick.max(table.tick()) {
            return Err(StrategyError::new(format!(
                "microprice config: `tick_size` {} does not match the tick {} of the table {}; \
                 fit a table for this instrument with `ladder fit-microprice --tick {}`",
                config.tick_size.trim(),
                table.tick(),
                config.table.as_deref().unwrap_or("(built-in)"),
                config.tick_size.trim(),
            )));
        }
        let instrument = sdk_config::instrument("microprice", ctx, config.symbol.as_deref())?;
        let ids = Signals {
            weighted_mid: ctx.register_signal("weighted_mid")?,
            microprice: ctx.register_signal("microprice")?,
            reservation: ctx.register_signal("reservation")?,
        };
        Ok(Self {
            table,
            tick,
            ids,
            quoter: Quoter::new(
                instrument,
                Quantity::from_lots(config.order_qty),
                config.time_in_force.into(),
                config.max_position,
            ),
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
        let wmid = weighted_mid(bids, asks);
        let micro = self.table.microprice(bids, asks);
        // A full signal buffer drops the value, never allocates.
        if let Some(w) = wmid {
            let _ = ctx.emit(self.ids.weighted_mid, w * self.tick);
        }
        if let Some(m) = micro {
            let _ = ctx.emit(self.ids.microprice, m * self.tick);
        }
        let reference = micro.or(match self.config.fallback {
            Fallback::None => None,
            Fallback::Mid => mid(bids, asks),
            Fallback::WeightedMid => wmid,
        });
        let position = self.quoter.instrument().map_or(0, |i| ctx.position(i));
        let reservation = reference.map(|r| r - self.config.skew_ticks_per_lot * position as f64);
        if let Some(r) = reservation {
            let _ = ctx.emit(self.ids.reservation, r * self.tick);
        }
        let (bid, ask) = match (reservation, book.best_bid(), book.best_ask()) {
            (Some(r), Some(b), Some(a)) if b.price < a.price => {
                let h = self.config.half_spread_ticks;
                let bid = ((r - h + ROUNDING_SLACK).floor() as i64).min(a.price.ticks() - 1);
                let ask = ((r + h - ROUNDING_SLACK).ceil() as i64).max(b.price.ticks() + 1);
                (
                    (bid > 0).then_some(Price::from_ticks(bid)),
                    (ask > 0).then_some(Price::from_ticks(ask)),
                )
            }
            _ => (None, None),
        };
        self.quoter.quote(ctx, bid, ask);
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
        state.restore(&mut self.quoter)?;
        state.finish()?;
        Ok(())
    }
}

impl MicropriceStrategy {
    /// The book cannot be trusted: cancel both quotes.
    fn go_stale(&mut self, ctx: &mut Context<'_>) {
        self.quoter.withdraw(ctx);
    }
}

export_strategy!(MicropriceStrategy);
