//! The paper exchange: one simulated matching engine per instrument that sees the real book and
//! trades, fills strategies' orders against them, and keeps their accounts.
//!
//! # Time
//! A request sent at `t` reaches the exchange at `t + entry latency`. It acts on the first
//! [`PaperExchange::on_book`] or [`PaperExchange::on_trade`] call of its instrument whose time is
//! at or after that arrival, against the book passed to that call — the book *after* the event
//! (the hot loop applies an event, then calls the exchange). An order arriving between two events
//! therefore sees the later book; a hot loop that wants the book exactly as of the arrival calls
//! [`PaperExchange::advance_to`] with the pre-event book first, which processes arrivals strictly
//! before the event's time. On a trade, arrivals at or before the print are processed first, so
//! they are in the queue when it prints. Arrivals with the same time act in send order.
//!
//! Every report about an order (ack, fills, final update, cancel rejections) is stamped with the
//! exchange time it happened and reaches the strategy one *response latency* later; the
//! response latency is drawn once per order, so an order's reports keep their exchange order.
//! [`PaperExchange::poll_reports`] hands out due reports earliest first. Latency draws (two per
//! new order: entry then response; one per cancel) and probabilistic cancel draws come from one
//! seeded generator (`crate::rng`), so the same calls with the same seed give the same reports.
//!
//! # Orders
//! - **Limit GTC** takes what it can from the visible opposite book up to its price (taker, at
//!   each level's price), then rests.
//! - **IOC** does the same and the unfilled rest is `Expired`.
//! - **Post-only** is `Rejected` with `PostOnlyWouldCross` if the opposite best is at or through
//!   its price on arrival; otherwise it rests.
//! - **Market** walks the whole opposite book; the unfilled rest is `Expired`; if nothing at all
//!   can be taken it is `Rejected` with `NoLiquidity`.
//! - **Cancel** of an order that is not resting at the exchange on arrival (finished, unknown,
//!   or still in flight behind the cancel) is `CancelRejected` with `UnknownOrder`.
//!   **Cancel-all** cancels the strategy's resting orders of the instrument (in-flight ones are
//!   not at the exchange yet).
//! - Refused at once (at arrival time): unknown instrument, zero quantity, an id the strategy
//!   already has live (`DuplicateOrderId`), and no free slot (`MaxOpenOrders`, the exchange's
//!   `max_orders`).
//!
//! Accepted orders get `Accepted` first, then `Fill`s, then `Filled` / `Expired` / `Canceled`.
//!
//! # Liquidity
//! Taker fills walk the visible book level by level. The exchange cannot change the real book,
//! so it remembers per strategy how much of each level's displayed quantity it took; that
//! quantity is not available to the strategy again until `on_book` sees the level show a
//! different quantity (then all of the new quantity is). Strategies do not see each other's
//! orders: each trades against the market as if alone.
//!
//! # Queue position
//! A resting order joins behind the quantity displayed at its price on arrival (`ahead`). A trade
//! at its price on the passive side advances the queue by the traded quantity; what remains of
//! the trade once `ahead` is zero fills the order (partially if smaller than the order). A trade
//! through its price fills it without a queue. A decrease of the displayed quantity seen by
//! `on_book` is a cancel as far as the exchange can tell and advances the queue per
//! [`CancelModel`]; trades at the price are subtracted from the displayed quantity the order
//! remembers, so a depth update that follows its trade is not counted twice (one that comes
//! before its trade is, which errs optimistic). `ahead` never exceeds the displayed quantity.
//! When the opposite side of the book reaches a resting order's price, the order fills as maker
//! at its own price from the quantity visible there that the strategy has not taken.
//! All maker fills are at the order's limit price.
//!
//! # Money
//! Fees are basis points of notional (exact `Decimal`, negative maker fee = rebate); accounts
//! keep positions in lots and average-cost PnL in `Decimal`; see [`Account`].
//!
//! # Allocation
//! Everything is sized in [`PaperExchange::new`] from `max_orders`, the instruments and the
//! strategies. `submit`, `on_book`, `on_trade` and `poll_reports` do not allocate unless more
//! than `8 × max_orders` reports wait unpolled or a strategy remembers taken liquidity at more
//! than 64 levels of one instrument (both then grow rather than lose data).
//!
//! Files: `config` (the `[paper]` section), `exchange` (state, requests, reports, accounts),
//! `matching` (arrivals, taker walk, queues, maker fills), `orders` (the order slab),
//! `liquidity` (taken levels), `account`, `rng`, `timed` (heap entries), `error`.

mod account;
mod config;
mod error;
mod exchange;
mod liquidity;
mod matching;
mod orders;
mod timed;

#[cfg(test)]
mod tests;

pub use account::{Account, COST_DECIMALS};
pub use config::{CancelModel, LatencyModel, MAX_LATENCY_NS, MAX_ORDERS, MAX_SIGMA, PaperConfig};
pub use error::PaperError;
pub use exchange::PaperExchange;

use ladder_sdk::{Fill, OrderUpdate};
use rust_decimal::Decimal;

/// A strategy's index in the engine (dense, from zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StrategyIdx(pub u16);

/// What the exchange tells a strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// An order's state changed.
    Update(OrderUpdate),
    /// An order (partly) filled; the second field is the fee charged on this fill (negative for
    /// a rebate), in quote currency.
    Fill(Fill, Decimal),
}
