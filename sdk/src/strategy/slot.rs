//! [`OrderSlot`]: one working order per side, tracked from the strategy's own requests and the
//! engine's order updates (not from `Context::open_orders`, which lags by the order latency).
//! The building block of a quoting strategy: say where the order should rest each time the book
//! moves ([`OrderSlot::steer`]) and pass order updates and fills through.
//!
//! A price change is a cancel, then — once the engine confirms the cancel — a new order: the
//! slot never has two orders at the exchange, so a cancelled order that fills before its cancel
//! lands can never add to a replacement's fill beyond the position cap.

use super::{ClientOrderId, Fill, OrderStatus, OrderUpdate, RejectReason, TimeInForce};
use crate::abi::Context;
use crate::{InstrumentId, Price, Quantity, Side};

/// The order of one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Working {
    /// Its id.
    pub id: ClientOrderId,
    /// Its limit price.
    pub price: Price,
    /// A cancel was requested and not yet confirmed.
    pub cancelling: bool,
}

/// What a slot update freed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freed {
    /// Not this slot's order, or the order is still working.
    No,
    /// The order is gone after a cancel this slot asked for: time to place the replacement.
    Cancelled,
    /// The order is gone otherwise (filled, rejected, expired).
    Done,
}

/// One side's working order, if any.
#[derive(Debug, Clone, Copy)]
pub struct OrderSlot {
    side: Side,
    order: Option<Working>,
}

impl OrderSlot {
    /// An empty slot for `side`.
    pub const fn new(side: Side) -> Self {
        Self { side, order: None }
    }

    /// Moves the slot towards `target`: `Some(price)` to rest one order of `qty` there, `None`
    /// to have no order. Places at once when the slot is empty; otherwise cancels first and
    /// waits for the confirmation ([`OrderSlot::on_update`]). A full host buffer leaves the slot as
    /// it was (the next call retries).
    ///
    /// # Hot path
    /// No allocation, O(1).
    pub fn steer(
        &mut self,
        ctx: &mut Context<'_>,
        instrument: InstrumentId,
        target: Option<Price>,
        qty: Quantity,
        tif: TimeInForce,
    ) {
        match (self.order.as_mut(), target) {
            (None, None) => {}
            (None, Some(price)) => {
                let placed = match tif {
                    TimeInForce::PostOnly => ctx.post_only(instrument, self.side, price, qty),
                    _ => ctx.limit(instrument, self.side, price, qty),
                };
                if let Ok(id) = placed {
                    self.order = Some(Working {
                        id,
                        price,
                        cancelling: false,
                    });
                }
            }
            (Some(w), _) if w.cancelling => {}
            (Some(w), Some(price)) if w.price == price => {}
            (Some(w), _) => {
                if ctx.cancel(w.id).is_ok() {
                    w.cancelling = true;
                }
            }
        }
    }

    /// Follows an engine order update.
    pub fn on_update(&mut self, update: &OrderUpdate) -> Freed {
        let Some(w) = self.order.as_mut() else {
            return Freed::No;
        };
        if w.id != update.id {
            return Freed::No;
        }
        if update.is_final() {
            let cancelled = w.cancelling && update.status == OrderStatus::Canceled;
            self.order = None;
            return if cancelled {
                Freed::Cancelled
            } else {
                Freed::Done
            };
        }
        if update.status == OrderStatus::CancelRejected {
            if update.reject_reason() == Some(RejectReason::UnknownOrder) {
                // The engine no longer knows the order: nothing is working.
                self.order = None;
                return Freed::Cancelled;
            }
            // Still working (e.g. the cancel raced a fill); the next steer decides again.
            w.cancelling = false;
        }
        Freed::No
    }

    /// The working order, if any.
    pub const fn working(&self) -> Option<Working> {
        self.order
    }

    /// Follows a fill: a fully filled order frees the slot.
    pub fn on_fill(&mut self, fill: &Fill) -> Freed {
        match self.order {
            Some(w) if w.id == fill.id && fill.leaves_qty.is_zero() => {
                self.order = None;
                Freed::Done
            }
            _ => Freed::No,
        }
    }
}

impl crate::state::Save for OrderSlot {
    /// The working order (id, price, cancelling); the side is the new instance's own.
    fn save(&self, w: &mut crate::state::StateWriter<'_>) {
        w.bool(self.order.is_some());
        if let Some(o) = self.order {
            w.u64(o.id.get());
            w.price(o.price);
            w.bool(o.cancelling);
        }
    }

    fn restore(
        &mut self,
        r: &mut crate::state::StateReader<'_>,
    ) -> Result<(), crate::state::StateError> {
        self.order = if r.bool("order slot")? {
            Some(Working {
                id: ClientOrderId::new(r.u64()?),
                price: r.price()?,
                cancelling: r.bool("order slot cancelling")?,
            })
        } else {
            None
        };
        Ok(())
    }
}
