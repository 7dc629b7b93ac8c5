//! The exchange's live orders: a fixed slab of `max_orders` slots, a free list, and the list of
//! live slots (resting ones in arrival order, which is their time priority).

use super::StrategyIdx;
use ladder_sdk::{
    ClientOrderId, InstrumentId, OpenOrder, OrderRequest, OrderStatus, OrderType, OrderUpdate,
    Price, Quantity, RejectReason, Side, TimeInForce, UnixNanos,
};

/// Where a live order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    /// Sent; not yet at the exchange.
    InFlight,
    /// At the exchange, in the queue at its price.
    Resting,
}

/// One order as the exchange holds it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Order {
    pub(super) strategy: StrategyIdx,
    pub(super) id: ClientOrderId,
    pub(super) instrument: InstrumentId,
    pub(super) side: Side,
    pub(super) order_type: OrderType,
    pub(super) time_in_force: TimeInForce,
    pub(super) price: Price,
    pub(super) qty: Quantity,
    pub(super) leaves: Quantity,
    pub(super) stage: Stage,
    /// Lots displayed ahead of the order at its price (resting orders).
    pub(super) ahead: i64,
    /// The displayed quantity at its price when last looked at (resting orders).
    pub(super) seen: i64,
    /// Response latency of every report about this order.
    pub(super) response_ns: u64,
    /// False once the slot is free.
    pub(super) live: bool,
}

impl Order {
    pub(super) fn from_request(
        strategy: StrategyIdx,
        req: &OrderRequest,
        response_ns: u64,
    ) -> Self {
        Self {
            strategy,
            id: req.id,
            instrument: req.instrument,
            side: req.side,
            order_type: req.order_type,
            time_in_force: req.time_in_force,
            price: req.price,
            qty: req.qty,
            leaves: req.qty,
            stage: Stage::InFlight,
            ahead: 0,
            seen: 0,
            response_ns,
            live: false,
        }
    }

    /// An update about this order; `leaves` is zero for final statuses.
    pub(super) fn update(
        &self,
        status: OrderStatus,
        ts: UnixNanos,
        reason: Option<RejectReason>,
    ) -> OrderUpdate {
        let final_ = !matches!(status, OrderStatus::Accepted | OrderStatus::CancelRejected);
        OrderUpdate {
            id: self.id,
            instrument: self.instrument,
            status,
            side: self.side,
            reject_code: reason.map_or(0, |r| r as u8),
            _reserved: 0,
            price: self.price,
            qty: self.qty,
            leaves_qty: if final_ { Quantity::ZERO } else { self.leaves },
            ts,
        }
    }

    pub(super) fn open_order(&self) -> OpenOrder {
        OpenOrder {
            id: self.id,
            instrument: self.instrument,
            side: self.side,
            order_type: self.order_type,
            time_in_force: self.time_in_force,
            _reserved: 0,
            price: self.price,
            qty: self.qty,
            leaves_qty: self.leaves,
        }
    }
}

/// Live orders in a slab sized once.
#[derive(Debug, Clone)]
pub(super) struct Orders {
    slots: Vec<Order>,
    free: Vec<u32>,
    live: Vec<u32>,
}

impl Orders {
    pub(super) fn new(capacity: usize) -> Self {
        let blank = Order::from_request(
            StrategyIdx(0),
            &OrderRequest::cancel(ClientOrderId::new(0)),
            0,
        );
        Self {
            slots: vec![blank; capacity],
            free: (0..capacity as u32).rev().collect(),
            live: Vec::with_capacity(capacity),
        }
    }

    /// Stores `order` as live; `None` when every slot is taken.
    pub(super) fn insert(&mut self, mut order: Order) -> Option<u32> {
        let slot = self.free.pop()?;
        order.live = true;
        self.slots[slot as usize] = order;
        self.live.push(slot);
        Some(slot)
    }

    /// Frees a live slot.
    pub(super) fn remove(&mut self, slot: u32) {
        if let Some(k) = self.live.iter().position(|s| *s == slot) {
            self.live.remove(k);
            self.slots[slot as usize].live = false;
            self.free.push(slot);
        }
    }

    /// Moves a live slot to the back of the live list (it just reached the queue).
    pub(super) fn move_to_back(&mut self, slot: u32) {
        if let Some(k) = self.live.iter().position(|s| *s == slot) {
            self.live.remove(k);
            self.live.push(slot);
        }
    }

    /// The live order of `strategy` with id `id`.
    pub(super) fn find(&self, strategy: StrategyIdx, id: ClientOrderId) -> Option<u32> {
        self.live.iter().copied().find(|s| {
            let o = &self.slots[*s as usize];
            o.strategy == strategy && o.id == id
        })
    }

    /// Live slots: in-flight orders in send order, resting ones in arrival order.
    pub(super) fn live(&self) -> &[u32] {
        &self.live
    }

    pub(super) fn get(&self, slot: u32) -> &Order {
        &self.slots[slot as usize]
    }

    pub(super) fn get_mut(&mut self, slot: u32) -> &mut Order {
        &mut self.slots[slot as usize]
    }
}
