//! The [`Strategy`] trait a strategy author implements, and the types it sees.
//!
//! The engine pushes events into a strategy one call at a time; the strategy answers through the
//! [`Context`](crate::Context) lent for that call: it emits signal values and order requests into
//! buffers the host owns (fixed capacity, never allocating), reads its positions and open orders,
//! and sets a timer. The same type runs statically linked (backtests, tests) or as a plugin
//! loaded at run time (`export_strategy!`), with the same behaviour.

mod event;
mod order;
mod quoter;
mod slot;

pub use event::{SignalId, SignalValue, StatusEvent, TradeEvent};
pub use order::{
    ClientOrderId, Fill, Liquidity, OpenOrder, OrderRequest, OrderStatus, OrderType, OrderUpdate,
    RejectReason, RequestKind, TimeInForce,
};
pub use quoter::Quoter;
pub use slot::{Freed, OrderSlot, Working};

use crate::abi::{BookView, Context, InitContext};
use crate::state::{Handoff, StateReader, StateWriter};
use std::fmt;
use thiserror::Error;

/// A trading strategy: created once from its config, then fed events on the engine's hot
/// thread.
///
/// Only [`Strategy::new`] and [`Strategy::on_book`] are required; every other event has a
/// default that does nothing. Callbacks must not block, must not spawn threads, and should not
/// allocate once warm: the engine calls them on its pinned hot thread. A panic in any callback
/// is caught; the engine then disables the strategy and cancels its orders.
pub trait Strategy: 'static {
    /// Builds the strategy from its config string (the text after the library path on the
    /// command line, or the config file's section, as given). Register named signals here, once.
    ///
    /// # Errors
    /// A [`StrategyError`] with a clear sentence when the config is unusable.
    fn new(config: &str, ctx: &mut InitContext<'_>) -> Result<Self, StrategyError>
    where
        Self: Sized;

    /// Called once before the first event.
    fn on_start(&mut self, ctx: &mut Context<'_>) {
        let _ = ctx;
    }

    /// A book changed: `book` is the top of the book after the update, borrowed for this call.
    fn on_book(&mut self, ctx: &mut Context<'_>, book: &BookView<'_>);

    /// A trade printed on the venue.
    fn on_trade(&mut self, ctx: &mut Context<'_>, trade: &TradeEvent) {
        let _ = (ctx, trade);
    }

    /// One of the strategy's orders was accepted, rejected (with a reason), cancelled, expired
    /// or finished.
    fn on_order_update(&mut self, ctx: &mut Context<'_>, update: &OrderUpdate) {
        let _ = (ctx, update);
    }

    /// One of the strategy's orders (partly) filled.
    fn on_fill(&mut self, ctx: &mut Context<'_>, fill: &Fill) {
        let _ = (ctx, fill);
    }

    /// The timer set with [`Context::set_timer`](crate::Context::set_timer) fired;
    /// [`Context::now`](crate::Context::now) is the time it fired at.
    fn on_timer(&mut self, ctx: &mut Context<'_>) {
        let _ = ctx;
    }

    /// A book went stale (stop trusting it) or was resynced.
    fn on_status(&mut self, ctx: &mut Context<'_>, status: &StatusEvent) {
        let _ = (ctx, status);
    }

    /// Called once when the engine stops the strategy; requests made here (e.g. cancel-all) are
    /// still executed. Not called on an instance a hot swap replaces (its orders are adopted or
    /// cancelled by the engine, see [`Strategy::handoff`]).
    fn on_stop(&mut self, ctx: &mut Context<'_>) {
        let _ = ctx;
    }

    /// How this strategy hands its state over when the engine swaps its library for a new build
    /// while the session runs (`crate::state`): the state format version
    /// [`Strategy::export_state`] writes (the default, [`Handoff::NONE`], hands nothing over: the
    /// new instance starts fresh and the old open orders are cancelled) and whether a fresh
    /// start adopts the old open orders instead ([`Handoff::adopting_orders`]).
    fn handoff() -> Handoff
    where
        Self: Sized,
    {
        Handoff::NONE
    }

    /// Writes the warm state (signal windows, working order ids, ...) for a new build of the
    /// strategy; called on the running instance at a swap when both builds declare a handoff.
    /// The instance is not called again afterwards.
    fn export_state(&self, out: &mut StateWriter<'_>) {
        let _ = out;
    }

    /// Reads a state written by [`Strategy::export_state`] of a build whose handoff version is
    /// `version` into this instance, just created from its own config and not yet called. The
    /// open orders and positions are the engine's (the old instance's orders stay working).
    ///
    /// # Errors
    /// Refuse a version or a state it cannot take (a [`StateError`](crate::state::StateError)
    /// converts): the engine then discards this instance and starts a fresh one, and the report
    /// gives this error as the reason.
    fn import_state(
        &mut self,
        version: u32,
        state: &mut StateReader<'_>,
    ) -> Result<(), StrategyError> {
        let _ = state;
        Err(StrategyError::new(format!(
            "this build does not import state (version {version} offered)"
        )))
    }
}

/// A strategy could not be created: the reason as one clear sentence.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct StrategyError {
    message: String,
}

impl StrategyError {
    /// An error with message `message` (one lowercase sentence naming the field involved).
    pub fn new(message: impl fmt::Display) -> Self {
        Self {
            message: message.to_string(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<String> for StrategyError {
    fn from(message: String) -> Self {
        Self { message }
    }
}

impl From<&str> for StrategyError {
    fn from(message: &str) -> Self {
        Self {
            message: message.to_owned(),
        }
    }
}

/// A host buffer lent for one call is full: the value was not written. Nothing allocates; the
/// host sizes its buffers (see the engine's strategy settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("buffer full: capacity {capacity} per call")]
pub struct BufferFull {
    /// The buffer's capacity.
    pub capacity: u32,
}

/// An order request was not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum OrderError {
    /// The host's order buffer for this call is full.
    #[error("order buffer full: capacity {} per call", .0.capacity)]
    BufferFull(#[from] BufferFull),
    /// The quantity was zero.
    #[error("order quantity must not be zero")]
    ZeroQuantity,
}
