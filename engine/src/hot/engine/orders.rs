//! What a strategy call produced, and what comes back: signal values and order requests are
//! recorded; each request passes the risk checks and goes to the paper exchange, or is rejected
//! with its reason; the exchange's updates and fills (and local rejections) are delivered to the
//! strategies, bounded per event.

use super::*;

impl<O: OutputSink> HotEngine<O> {
    /// Records a call's output, routes its orders through risk to the exchange, or disables a
    /// faulted strategy.
    pub(super) fn after_call(
        &mut self,
        s: usize,
        outcome: crate::plugin::CallOutcome,
        now: UnixNanos,
        _instrument: Option<InstrumentId>,
    ) {
        use crate::plugin::CallOutcome;
        match outcome {
            CallOutcome::Disabled => return,
            CallOutcome::Faulted => {
                self.disable(s, now);
                return;
            }
            CallOutcome::Ok => {}
        }
        let no = s as StrategyNo;
        let slot = &mut self.slots[s];
        let out = slot.instance.output();
        for v in out.signals {
            if let Some(last) = slot.last_signals.get_mut(v.id.index()) {
                *last = v.value;
            }
            self.out.push(OutputRecord::Signal {
                ts: now,
                strategy: no,
                signal: v.id,
                value: v.value,
            });
        }
        // Orders are copied out of the host buffer (it is reused by the next call).
        let n = out.orders.len();
        for k in 0..n {
            let req = self.slots[s].instance.output().orders[k];
            self.out.push(OutputRecord::Request {
                ts: now,
                strategy: no,
                request: req,
            });
            self.stamp_order(s, StrategyStage::ReadOrder);
            self.route(s, &req, now);
        }
    }

    pub(super) fn route(&mut self, s: usize, req: &ladder_sdk::OrderRequest, now: UnixNanos) {
        let i = req.instrument.index();
        if req.kind == RequestKind::New && i >= self.specs.len() {
            self.reject(s, req, RejectReason::UnknownInstrument, now);
            return;
        }
        if req.kind == RequestKind::New && self.states[i] != BookState::Synced {
            self.reject(s, req, RejectReason::BookStale, now);
            return;
        }
        if req.kind == RequestKind::New {
            let slot = &self.slots[s];
            let view = RiskView {
                position: slot.position[i],
                open_orders: &slot.open,
                mid: mid(&self.books[i]),
                spec: &self.specs[i],
            };
            if let Err(reason) = self.risk.check(idx(s), now, req, view) {
                self.reject(s, req, reason, now);
                return;
            }
        }
        self.stamp_order(s, StrategyStage::OrderRisk);
        self.paper.submit(now, idx(s), req);
        self.stamp_order(s, StrategyStage::ReadAck);
    }

    pub(super) fn reject(
        &mut self,
        s: usize,
        req: &ladder_sdk::OrderRequest,
        reason: RejectReason,
        now: UnixNanos,
    ) {
        let update = OrderUpdate {
            id: req.id,
            instrument: req.instrument,
            status: OrderStatus::Rejected,
            side: req.side,
            reject_code: reason as u8,
            _reserved: 0,
            price: req.price,
            qty: req.qty,
            leaves_qty: Quantity::ZERO,
            ts: now,
        };
        self.pending.push_back((idx(s), Report::Update(update)));
    }

    /// Delivers the paper exchange's due reports and local rejections to the strategies.
    pub(super) fn deliver(&mut self, now: UnixNanos) {
        let pending = &mut self.pending;
        self.paper
            .poll_reports(now, &mut |s, r| pending.push_back((s, r)));
        let mut delivered = 0;
        while let Some((s, report)) = self.pending.pop_front() {
            if delivered == MAX_DELIVERIES_PER_EVENT {
                self.pending.push_front((s, report));
                self.stats.deferred_reports += 1;
                return;
            }
            delivered += 1;
            self.deliver_one(usize::from(s.0), report, now);
        }
    }

    pub(super) fn deliver_one(&mut self, s: usize, report: Report, now: UnixNanos) {
        let no = s as StrategyNo;
        match report {
            Report::Update(u) => {
                self.out.push(OutputRecord::Update {
                    ts: now,
                    strategy: no,
                    update: u,
                });
                let slot = &mut self.slots[s];
                match u.status {
                    OrderStatus::Accepted => {
                        if let Some(req) = slot.open.iter_mut().find(|o| o.id == u.id) {
                            req.leaves_qty = u.leaves_qty;
                        } else if slot.open.len() < slot.open.capacity() {
                            slot.open.push(open_order(&u));
                        }
                    }
                    OrderStatus::Rejected
                    | OrderStatus::Canceled
                    | OrderStatus::Expired
                    | OrderStatus::Filled => {
                        slot.open.retain(|o| o.id != u.id);
                    }
                    OrderStatus::CancelRejected => {}
                }
                slot.instance.set_open_orders(&slot.open);
                let outcome = slot.instance.on_order_update(now, &u);
                self.after_call(s, outcome, now, Some(u.instrument));
            }
            Report::Fill(f, fee) => {
                self.out.push(OutputRecord::Fill {
                    ts: now,
                    strategy: no,
                    fill: f,
                    fee,
                });
                let slot = &mut self.slots[s];
                let i = f.instrument.index();
                slot.position[i] = f.position;
                slot.instance.set_position(f.instrument, f.position);
                if let Some(o) = slot.open.iter_mut().find(|o| o.id == f.id) {
                    o.leaves_qty = f.leaves_qty;
                }
                slot.open.retain(|o| !o.leaves_qty.is_zero());
                slot.instance.set_open_orders(&slot.open);
                let outcome = slot.instance.on_fill(now, &f);
                self.after_call(s, outcome, now, Some(f.instrument));
                self.mark_equity(f.instrument, now);
            }
        }
    }
}

fn open_order(u: &OrderUpdate) -> OpenOrder {
    OpenOrder {
        id: u.id,
        instrument: u.instrument,
        side: u.side,
        order_type: ladder_sdk::OrderType::Limit,
        time_in_force: ladder_sdk::TimeInForce::Gtc,
        _reserved: 0,
        price: u.price,
        qty: u.qty,
        leaves_qty: u.leaves_qty,
    }
}
