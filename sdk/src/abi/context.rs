//! [`Context`]: what a strategy can do during one call, backed by buffers the host lends.
//!
//! `#[repr(C)]`: the host builds one from its own buffers with [`Context::new`] and passes a
//! pointer to it across the plugin boundary unchanged, so a plugin and a statically linked
//! strategy write into the very same memory. Its fields are private raw parts of borrowed
//! slices; every accessor stays inside those slices.

use crate::ids::{InstrumentId, Side};
use crate::num::{Price, Quantity};
use crate::strategy::{
    BufferFull, ClientOrderId, OpenOrder, OrderError, OrderRequest, OrderType, SignalId,
    SignalValue, TimeInForce,
};
use crate::time::UnixNanos;
use std::marker::PhantomData;

/// Where one instrument's open orders sit in the host's flat open-order slice:
/// `open_orders[start..start + len]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(C)]
pub struct OrderRange {
    /// First index.
    pub start: u32,
    /// Number of orders.
    pub len: u32,
}

/// The host's buffers and state lent to a strategy for one call; see [`Context::new`].
#[derive(Debug)]
pub struct ContextParts<'a> {
    /// The engine's current time (event time in replay).
    pub now: UnixNanos,
    /// The strategy's pending timer, if any.
    pub timer: Option<UnixNanos>,
    /// The id the next order placed will get (ids start at 1 and only grow).
    pub next_order_id: u64,
    /// Signal buffer; its length is the capacity for this call.
    pub signals: &'a mut [SignalValue],
    /// Order-request buffer; its length is the capacity for this call.
    pub orders: &'a mut [OrderRequest],
    /// Signed position in lots, indexed by [`InstrumentId::index`].
    pub positions: &'a [i64],
    /// Every open order of the strategy, grouped by instrument.
    pub open_orders: &'a [OpenOrder],
    /// Per instrument (by index), where its group sits in `open_orders`.
    pub open_order_ranges: &'a [OrderRange],
}

/// What a strategy can do during one call: emit signals, request orders, read positions and
/// open orders, set its timer. Nothing here allocates; a full buffer is an error.
///
/// # Hot path
/// Every method is O(1) (the open-order lookup is an index), lock-free and allocation-free.
#[repr(C)]
#[derive(Debug)]
pub struct Context<'a> {
    pub(super) now: UnixNanos,
    /// Pending timer, `UnixNanos::ZERO` for none.
    pub(super) timer: UnixNanos,
    pub(super) next_order_id: u64,
    pub(super) signals: *mut SignalValue,
    pub(super) orders: *mut OrderRequest,
    pub(super) positions: *const i64,
    pub(super) open_orders: *const OpenOrder,
    pub(super) open_order_ranges: *const OrderRange,
    pub(super) signals_cap: u32,
    pub(super) signals_len: u32,
    pub(super) orders_cap: u32,
    pub(super) orders_len: u32,
    pub(super) positions_len: u32,
    pub(super) open_orders_len: u32,
    pub(super) open_order_ranges_len: u32,
    pub(super) _reserved: u32,
    pub(super) _borrow: PhantomData<&'a mut [SignalValue]>,
}

/// Clamps a slice length to the `u32` the boundary carries.
#[inline]
fn len32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

impl<'a> Context<'a> {
    /// Lends the host's buffers for one call. The signal and order buffers start empty; their
    /// lengths are the capacities.
    #[inline]
    pub fn new(parts: ContextParts<'a>) -> Self {
        Self {
            now: parts.now,
            timer: parts.timer.unwrap_or(UnixNanos::ZERO),
            next_order_id: parts.next_order_id.max(1),
            signals_cap: len32(parts.signals.len()),
            signals: parts.signals.as_mut_ptr(),
            orders_cap: len32(parts.orders.len()),
            orders: parts.orders.as_mut_ptr(),
            positions_len: len32(parts.positions.len()),
            positions: parts.positions.as_ptr(),
            open_orders_len: len32(parts.open_orders.len()),
            open_orders: parts.open_orders.as_ptr(),
            open_order_ranges_len: len32(parts.open_order_ranges.len()),
            open_order_ranges: parts.open_order_ranges.as_ptr(),
            signals_len: 0,
            orders_len: 0,
            _reserved: 0,
            _borrow: PhantomData,
        }
    }

    /// The engine's current time: the event's receive time in replay, the clock live, the
    /// timer's time in [`Strategy::on_timer`](crate::Strategy::on_timer).
    #[inline]
    pub fn now(&self) -> UnixNanos {
        self.now
    }

    /// Emits one value of signal `id` (registered in
    /// [`InitContext::register_signal`](crate::InitContext::register_signal)).
    ///
    /// # Errors
    /// [`BufferFull`] when this call already emitted as many values as the host lent room for.
    #[inline]
    pub fn emit(&mut self, id: SignalId, value: f64) -> Result<(), BufferFull> {
        if self.signals_len >= self.signals_cap {
            return Err(BufferFull {
                capacity: self.signals_cap,
            });
        }
        // SAFETY: `signals` points to `signals_cap` elements mutably borrowed for 'a
        // (`Context::new`), and `signals_len < signals_cap`.
        unsafe {
            self.signals
                .add(self.signals_len as usize)
                .write(SignalValue::new(id, value))
        };
        self.signals_len += 1;
        Ok(())
    }

    /// Places a good-till-cancelled limit order; returns the id it was given.
    ///
    /// # Errors
    /// [`OrderError::BufferFull`] when the order buffer is full, [`OrderError::ZeroQuantity`].
    #[inline]
    pub fn limit(
        &mut self,
        instrument: InstrumentId,
        side: Side,
        price: Price,
        qty: Quantity,
    ) -> Result<ClientOrderId, OrderError> {
        self.place(
            instrument,
            side,
            OrderType::Limit,
            TimeInForce::Gtc,
            price,
            qty,
        )
    }

    /// Places a post-only limit order (rejected if it would take liquidity).
    ///
    /// # Errors
    /// As [`Context::limit`].
    #[inline]
    pub fn post_only(
        &mut self,
        instrument: InstrumentId,
        side: Side,
        price: Price,
        qty: Quantity,
    ) -> Result<ClientOrderId, OrderError> {
        self.place(
            instrument,
            side,
            OrderType::Limit,
            TimeInForce::PostOnly,
            price,
            qty,
        )
    }

    /// Places an immediate-or-cancel limit order.
    ///
    /// # Errors
    /// As [`Context::limit`].
    #[inline]
    pub fn ioc(
        &mut self,
        instrument: InstrumentId,
        side: Side,
        price: Price,
        qty: Quantity,
    ) -> Result<ClientOrderId, OrderError> {
        self.place(
            instrument,
            side,
            OrderType::Limit,
            TimeInForce::Ioc,
            price,
            qty,
        )
    }

    /// Places a market order (immediate or cancel, no price limit).
    ///
    /// # Errors
    /// As [`Context::limit`].
    #[inline]
    pub fn market(
        &mut self,
        instrument: InstrumentId,
        side: Side,
        qty: Quantity,
    ) -> Result<ClientOrderId, OrderError> {
        self.place(
            instrument,
            side,
            OrderType::Market,
            TimeInForce::Ioc,
            Price::from_ticks(0),
            qty,
        )
    }

    /// Requests the cancel of order `id`; the outcome arrives as an
    /// [`OrderUpdate`](crate::OrderUpdate).
    ///
    /// # Errors
    /// [`OrderError::BufferFull`].
    #[inline]
    pub fn cancel(&mut self, id: ClientOrderId) -> Result<(), OrderError> {
        self.push_order(OrderRequest::cancel(id))?;
        Ok(())
    }

    /// Requests the cancel of every open order of `instrument`.
    ///
    /// # Errors
    /// [`OrderError::BufferFull`].
    #[inline]
    pub fn cancel_all(&mut self, instrument: InstrumentId) -> Result<(), OrderError> {
        self.push_order(OrderRequest::cancel_all(instrument))?;
        Ok(())
    }

    fn place(
        &mut self,
        instrument: InstrumentId,
        side: Side,
        order_type: OrderType,
        tif: TimeInForce,
        price: Price,
        qty: Quantity,
    ) -> Result<ClientOrderId, OrderError> {
        if qty.is_zero() {
            return Err(OrderError::ZeroQuantity);
        }
        let id = ClientOrderId::new(self.next_order_id);
        self.push_order(OrderRequest::new_order(
            id, instrument, side, order_type, tif, price, qty,
        ))?;
        self.next_order_id += 1;
        Ok(id)
    }

    #[inline]
    fn push_order(&mut self, request: OrderRequest) -> Result<(), BufferFull> {
        if self.orders_len >= self.orders_cap {
            return Err(BufferFull {
                capacity: self.orders_cap,
            });
        }
        // SAFETY: `orders` points to `orders_cap` elements mutably borrowed for 'a
        // (`Context::new`), and `orders_len < orders_cap`.
        unsafe { self.orders.add(self.orders_len as usize).write(request) };
        self.orders_len += 1;
        Ok(())
    }

    /// The strategy's signed position in `instrument`, in lots (positive long, negative short;
    /// zero for an instrument it never traded).
    #[inline]
    pub fn position(&self, instrument: InstrumentId) -> i64 {
        self.positions()
            .get(instrument.index())
            .copied()
            .unwrap_or(0)
    }

    /// Every signed position, indexed by [`InstrumentId::index`].
    #[inline]
    pub fn positions(&self) -> &[i64] {
        // SAFETY: `positions` and `positions_len` come from one slice borrowed for 'a
        // (`Context::new`); the returned borrow is tied to `self`, which lives no longer.
        unsafe { std::slice::from_raw_parts(self.positions, self.positions_len as usize) }
    }

    /// The strategy's open orders in `instrument` (as of the start of this call).
    #[inline]
    pub fn open_orders(&self, instrument: InstrumentId) -> &[OpenOrder] {
        let all = self.all_open_orders();
        // SAFETY: `open_order_ranges` and its length come from one slice borrowed for 'a
        // (`Context::new`).
        let ranges = unsafe {
            std::slice::from_raw_parts(self.open_order_ranges, self.open_order_ranges_len as usize)
        };
        match ranges.get(instrument.index()) {
            Some(r) => {
                let start = r.start as usize;
                all.get(start..start.saturating_add(r.len as usize))
                    .unwrap_or(&[])
            }
            None => &[],
        }
    }

    /// Every open order of the strategy, grouped by instrument.
    #[inline]
    pub fn all_open_orders(&self) -> &[OpenOrder] {
        // SAFETY: `open_orders` and `open_orders_len` come from one slice borrowed for 'a
        // (`Context::new`).
        unsafe { std::slice::from_raw_parts(self.open_orders, self.open_orders_len as usize) }
    }

    /// Sets the strategy's one timer to fire at `at` (replacing any pending one);
    /// [`Strategy::on_timer`](crate::Strategy::on_timer) runs once the engine's time reaches it.
    #[inline]
    pub fn set_timer(&mut self, at: UnixNanos) {
        // ZERO means "no timer" on the wire; the epoch is in the past anyway.
        self.timer = if at == UnixNanos::ZERO {
            UnixNanos::from_nanos(1)
        } else {
            at
        };
    }

    /// Cancels the pending timer, if any.
    #[inline]
    pub fn cancel_timer(&mut self) {
        self.timer = UnixNanos::ZERO;
    }

    /// The pending timer, if any.
    #[inline]
    pub fn timer(&self) -> Option<UnixNanos> {
        if self.timer == UnixNanos::ZERO {
            None
        } else {
            Some(self.timer)
        }
    }

    /// The signal values emitted so far in this call.
    #[inline]
    pub fn signals(&self) -> &[SignalValue] {
        // SAFETY: the first `signals_len` elements of the lent buffer were written by `emit`;
        // the buffer is borrowed for 'a (`Context::new`).
        unsafe { std::slice::from_raw_parts(self.signals, self.signals_len as usize) }
    }

    /// The order requests made so far in this call.
    #[inline]
    pub fn orders(&self) -> &[OrderRequest] {
        // SAFETY: the first `orders_len` elements of the lent buffer were written by
        // `push_order`; the buffer is borrowed for 'a (`Context::new`).
        unsafe { std::slice::from_raw_parts(self.orders, self.orders_len as usize) }
    }

    /// The id the next order will get.
    #[inline]
    pub fn next_order_id(&self) -> u64 {
        self.next_order_id
    }

    /// Room for signal values per call.
    #[inline]
    pub fn signal_capacity(&self) -> usize {
        self.signals_cap as usize
    }

    /// Room for order requests per call.
    #[inline]
    pub fn order_capacity(&self) -> usize {
        self.orders_cap as usize
    }

    /// Host side: drops what this call wrote (used when a call faulted).
    #[inline]
    pub fn discard_output(&mut self) {
        self.signals_len = 0;
        self.orders_len = 0;
    }
}
