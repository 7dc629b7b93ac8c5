//! Stage timestamps on the hot thread: `t3` (popped) through `t8` (paper exchange took the
//! request), recorded into pre-sized histograms per stage and per strategy without allocation.
//! Off unless [`HotEngine::enable_latency`] is called (benches, paper sessions).

use super::*;

impl<O: OutputSink> HotEngine<O> {
    /// Turns on stage latency recording for [`HotEngine::on_stamped`]: allocates the
    /// histograms (call before the run).
    pub fn enable_latency(&mut self) {
        if self.latency.is_none() {
            self.latency = Some(Box::new(LatencyRecorder::new(self.slots.len())));
        }
    }

    /// The stage histograms, if enabled.
    pub fn latency(&self) -> Option<&LatencyRecorder> {
        self.latency.as_deref()
    }

    /// Takes the stage histograms out (recording stops).
    pub fn take_latency(&mut self) -> Option<Box<LatencyRecorder>> {
        self.latency.take()
    }

    /// Processes one event that came through a feed ring, `t3` being when it was popped.
    /// With latency recording on and an event that completes a venue message, records the
    /// feed stages carried in `ev` and stamps the hot stages as the event goes through.
    ///
    /// # Hot path
    /// As [`HotEngine::on_event`], plus a few TSC reads and histogram records per message
    /// (none per intermediate delta). No allocation.
    pub fn on_stamped(&mut self, ev: &StampedEvent, t3: u64) {
        let Some(lat) = self.latency.as_deref_mut() else {
            self.on_event(&ev.event);
            return;
        };
        if !closes_frame(&ev.event) || ev.t0 == 0 {
            self.on_event(&ev.event);
            return;
        }
        lat.record(Stage::ScheduleLag, ev.sched, ev.t0);
        lat.record(Stage::ReadDecoded, ev.t0, ev.t1);
        lat.record(Stage::DecodedEnqueued, ev.t1, ev.t2);
        lat.record(Stage::ReadEnqueued, ev.t0, ev.t2);
        lat.record(Stage::EnqueuedDequeued, ev.t2, t3);
        self.frame = FrameStamps {
            active: true,
            origin: ev.origin(),
            ..FrameStamps::default()
        };
        self.on_event(&ev.event);
        let done = tsc::now();
        let t4 = self.frame.t4;
        self.frame = FrameStamps::default();
        if let Some(lat) = self.latency.as_deref_mut() {
            lat.record(Stage::DequeuedApplied, t3, t4);
            lat.record(Stage::DequeuedDone, t3, done);
            lat.count_frame();
        }
    }

    /// `t4`: the book (or the trade) is applied; the strategies come next.
    #[inline]
    pub(super) fn stamp_applied(&mut self) {
        if self.frame.active && self.frame.t4 == 0 {
            self.frame.t4 = tsc::now();
        }
    }

    /// `t5`: strategy `s` returned from its market-driven call; its orders are measured until
    /// [`HotEngine::end_call`].
    #[inline]
    pub(super) fn stamp_returned(&mut self, s: usize) {
        if !self.frame.active {
            return;
        }
        let t5 = tsc::now();
        self.frame.t5 = t5;
        self.frame.in_call = true;
        let signalled = !self.slots[s].instance.output().signals.is_empty();
        if let Some(lat) = self.latency.as_deref_mut() {
            lat.record_strategy(s, StrategyStage::AppliedReturned, self.frame.t4, t5);
            if signalled {
                lat.record_strategy(s, StrategyStage::ReadSignal, self.frame.origin, t5);
            }
        }
    }

    #[inline]
    pub(super) fn end_call(&mut self) {
        self.frame.in_call = false;
    }

    /// Stamps `t6`/`t7`/`t8` of an order of strategy `s` made in a measured call.
    #[inline]
    pub(super) fn stamp_order(&mut self, s: usize, stage: StrategyStage) {
        if !self.frame.in_call {
            return;
        }
        let t = tsc::now();
        let f = &mut self.frame;
        let Some(lat) = self.latency.as_deref_mut() else {
            return;
        };
        match stage {
            StrategyStage::ReadOrder => {
                f.t6 = t;
                lat.record_strategy(s, StrategyStage::ReturnedOrder, f.t5, t);
                lat.record_strategy(s, StrategyStage::ReadOrder, f.origin, t);
            }
            StrategyStage::OrderRisk => {
                f.t7 = t;
                lat.record_strategy(s, StrategyStage::OrderRisk, f.t6, t);
            }
            StrategyStage::ReadAck => {
                lat.record_strategy(s, StrategyStage::RiskAck, f.t7, t);
                lat.record_strategy(s, StrategyStage::ReadAck, f.origin, t);
            }
            _ => {}
        }
    }
}
