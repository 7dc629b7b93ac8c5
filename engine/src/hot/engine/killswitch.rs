//! Equity, drawdown and the kill switch: marks every strategy holding an instrument at the
//! exact mid, trips the kill switch on max loss or drawdown (cancel everything, flatten if
//! configured, disable), and disables a strategy that faulted.

use super::*;

impl<O: OutputSink> HotEngine<O> {
    /// Updates equity, drawdown and the kill switch of every strategy holding `instrument`.
    pub(super) fn mark_equity(&mut self, instrument: InstrumentId, now: UnixNanos) {
        for s in 0..self.slots.len() {
            if self.slots[s].position[instrument.index()] == 0
                && self.slots[s].peak_equity.is_zero()
            {
                continue;
            }
            let equity = self.paper.equity_at_mid(idx(s));
            let slot = &mut self.slots[s];
            if equity > slot.peak_equity {
                slot.peak_equity = equity;
            }
            let dd = slot.peak_equity - equity;
            if dd > slot.max_drawdown {
                slot.max_drawdown = dd;
            }
            if let Some(kill) = self.risk.on_equity(idx(s), now, equity) {
                self.kill(s, now, &kill.to_string());
            }
        }
    }

    pub(super) fn kill(&mut self, s: usize, now: UnixNanos, reason: &str) {
        if self.slots[s].kill_reason.is_some() {
            return;
        }
        self.slots[s].kill_reason = Some(format!("kill switch: {reason}"));
        self.paper.cancel_all_for(now, idx(s));
        if self.flatten_on_kill {
            for i in 0..self.specs.len() {
                let position = self.slots[s].position[i];
                self.next_engine_order += 1;
                let id = ClientOrderId::new(self.next_engine_order);
                if let Some(req) = flatten_request(position, InstrumentId::new(i as u32), id) {
                    self.out.push(OutputRecord::Request {
                        ts: now,
                        strategy: s as StrategyNo,
                        request: req,
                    });
                    self.paper.submit(now, idx(s), &req);
                }
            }
        }
        let reason = self.slots[s].kill_reason.clone().unwrap_or_default();
        self.slots[s].instance.disable(&reason);
        self.out.push(OutputRecord::Disabled {
            ts: now,
            strategy: s as StrategyNo,
            kill_switch: true,
        });
    }

    /// A strategy faulted (its instance disabled itself): cancel its orders, record it.
    pub(super) fn disable(&mut self, s: usize, now: UnixNanos) {
        self.paper.cancel_all_for(now, idx(s));
        self.out.push(OutputRecord::Disabled {
            ts: now,
            strategy: s as StrategyNo,
            kill_switch: false,
        });
    }
}
