//! [`Quoter`]: a two-sided quote on one instrument under a position cap, built on two
//! [`OrderSlot`]s. Say where the bid and the ask should rest after each book update
//! ([`Quoter::quote`]), pass order updates and fills through, and [`Quoter::withdraw`] when the
//! book cannot be trusted or the strategy stops. Both example strategies quote this way.
//!
//! A side is quoted only while the order would keep the position within `±max_position` lots
//! and the quoter is active (the book is synced).

use super::slot::{Freed, OrderSlot};
use super::{Fill, OrderUpdate, TimeInForce};
use crate::abi::Context;
use crate::{InstrumentId, Price, Quantity, Side};

/// A bid and an ask on one instrument.
#[derive(Debug, Clone, Copy)]
pub struct Quoter {
    instrument: Option<InstrumentId>,
    qty: Quantity,
    tif: TimeInForce,
    max_position: i64,
    /// The book is synced: orders are allowed.
    active: bool,
    /// Where the slots should rest after the last book update.
    target_bid: Option<Price>,
    target_ask: Option<Price>,
    bid: OrderSlot,
    ask: OrderSlot,
}

impl Quoter {
    /// A quoter of `qty` per order with `tif`, holding at most `max_position` lots either way,
    /// on `instrument` (`None`: the first instrument it is asked about, see [`Quoter::owns`]).
    /// Inactive until the first [`Quoter::quote`].
    pub const fn new(
        instrument: Option<InstrumentId>,
        qty: Quantity,
        tif: TimeInForce,
        max_position: i64,
    ) -> Self {
        Self {
            instrument,
            qty,
            tif,
            max_position,
            active: false,
            target_bid: None,
            target_ask: None,
            bid: OrderSlot::new(Side::Buy),
            ask: OrderSlot::new(Side::Sell),
        }
    }

    /// The quoted instrument, once known.
    pub const fn instrument(&self) -> Option<InstrumentId> {
        self.instrument
    }

    /// True for the quoted instrument; binds the first instrument asked about when none was
    /// given.
    pub fn owns(&mut self, instrument: InstrumentId) -> bool {
        *self.instrument.get_or_insert(instrument) == instrument
    }

    /// The book is synced: rest the bid at `bid` and the ask at `ask` (`None`: no order on that
    /// side), within the position cap.
    ///
    /// # Hot path
    /// No allocation, O(1).
    pub fn quote(&mut self, ctx: &mut Context<'_>, bid: Option<Price>, ask: Option<Price>) {
        self.active = true;
        self.target_bid = bid;
        self.target_ask = ask;
        self.steer(ctx, Side::Buy);
        self.steer(ctx, Side::Sell);
    }

    /// Cancels both sides and quotes nothing until the next [`Quoter::quote`] (a stale book, the
    /// strategy stopping).
    pub fn withdraw(&mut self, ctx: &mut Context<'_>) {
        self.active = false;
        self.target_bid = None;
        self.target_ask = None;
        self.steer(ctx, Side::Buy);
        self.steer(ctx, Side::Sell);
    }

    /// Follows an order update; a side whose cancel was confirmed is placed again at its
    /// target.
    pub fn on_order_update(&mut self, ctx: &mut Context<'_>, update: &OrderUpdate) {
        if self.bid.on_update(update) == Freed::Cancelled {
            self.steer(ctx, Side::Buy);
        }
        if self.ask.on_update(update) == Freed::Cancelled {
            self.steer(ctx, Side::Sell);
        }
    }

    /// Follows a fill: a filled order frees its side; the next [`Quoter::quote`] (with the new
    /// position) places the next one.
    pub fn on_fill(&mut self, fill: &Fill) {
        let _ = self.bid.on_fill(fill);
        let _ = self.ask.on_fill(fill);
    }

    fn steer(&mut self, ctx: &mut Context<'_>, side: Side) {
        let Some(instrument) = self.instrument else {
            return;
        };
        let position = ctx.position(instrument);
        let lots = self.qty.lots();
        let (slot, target, room) = match side {
            Side::Buy => (
                &mut self.bid,
                self.target_bid,
                position.saturating_add(lots) <= self.max_position,
            ),
            Side::Sell => (
                &mut self.ask,
                self.target_ask,
                position.saturating_sub(lots) >= -self.max_position,
            ),
        };
        let target = target.filter(|_| room && self.active);
        slot.steer(ctx, instrument, target, self.qty, self.tif);
    }
}

impl crate::state::Save for Quoter {
    /// The quoted instrument, whether it is active, its targets and both working orders; the
    /// order size, time in force and position cap come from the new instance's config.
    fn save(&self, w: &mut crate::state::StateWriter<'_>) {
        w.bool(self.instrument.is_some());
        w.u64(u64::from(self.instrument.map_or(0, InstrumentId::get)));
        w.bool(self.active);
        for target in [self.target_bid, self.target_ask] {
            w.bool(target.is_some());
            w.price(target.unwrap_or(Price::from_ticks(0)));
        }
        w.save(&self.bid);
        w.save(&self.ask);
    }

    fn restore(
        &mut self,
        r: &mut crate::state::StateReader<'_>,
    ) -> Result<(), crate::state::StateError> {
        let bound = r.bool("quoter instrument")?;
        let id = u32::try_from(r.u64()?).map_err(|_| crate::state::StateError::Invalid {
            what: "quoter instrument",
        })?;
        if bound {
            let id = InstrumentId::new(id);
            // A config that names another instrument than the running one refuses the state.
            if self.instrument.is_some_and(|mine| mine != id) {
                return Err(crate::state::StateError::Invalid {
                    what: "quoter instrument",
                });
            }
            self.instrument = Some(id);
        }
        self.active = r.bool("quoter active")?;
        let mut targets = [None, None];
        for t in &mut targets {
            let some = r.bool("quoter target")?;
            let price = r.price()?;
            *t = some.then_some(price);
        }
        [self.target_bid, self.target_ask] = targets;
        r.restore(&mut self.bid)?;
        r.restore(&mut self.ask)?;
        Ok(())
    }
}
