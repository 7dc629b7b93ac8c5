//! Hot swap of a strategy's library, on the hot thread between two events
//! ([`HotEngine::swap_strategy`]).
//!
//! The new library was loaded and checked off the hot thread (`session::reload`, or
//! `ladder replay --swap` before the run); here the new instance is created, the signals of both
//! builds compared (they must be the same names in the same order, else the swap is refused and
//! the old instance keeps trading), and then:
//!
//! - **handoff** (both builds declare a state version, ABI 1.1): the old instance exports its
//!   state, the new one imports it; the new instance takes over the old one's host buffers
//!   (positions, open orders, order ids, pending timer) and its open orders stay working
//!   (adopted). It is not sent `on_start`: it continues.
//! - **fresh** (either build hands nothing over, the import was refused or panicked, the old
//!   instance was disabled): a fresh instance (created again if an import was tried) takes over
//!   the positions, open orders and order ids, not the timer; the old open orders are cancelled,
//!   or adopted if the new build says so ([`Handoff::adopting_orders`]); it gets `on_start`.
//!
//! The old instance is not sent `on_stop` and is dropped (its library stays loaded). A kill
//! switch that tripped stays tripped: the new instance starts disabled. Every swap, refused ones
//! included, is an [`OutputRecord::Swap`] and a [`SwapReport`] in the engine's final state
//! (`summary.json` `swaps`), and a log line (written here: a swap is not the per-event path).
//!
//! [`Handoff::adopting_orders`]: ladder_sdk::state::Handoff::adopting_orders
//!
//! # Hot path
//! Nothing here runs per event. A swap allocates (the new instance, the state bytes) and costs
//! what the strategy's `new`, `export_state` and `import_state` cost; [`SwapCost`] measures it.

use super::*;
use crate::clock::Stopwatch;
use crate::plugin::PluginError;

/// What replaces a strategy: where it comes from (for the report) and how to create it.
pub struct Replacement {
    /// The library as given (path), or a label.
    pub library: String,
    /// SHA-256 of the library's bytes (`None` for a statically linked strategy).
    pub sha256: Option<String>,
    /// Creates an instance on the hot thread; called a second time for a fresh start after an
    /// import that failed.
    pub create: Box<dyn Fn() -> Result<StrategyInstance, PluginError> + Send>,
}

impl std::fmt::Debug for Replacement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replacement")
            .field("library", &self.library)
            .field("sha256", &self.sha256)
            .finish_non_exhaustive()
    }
}

/// How a swap went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SwapMode {
    /// The state was handed over; the open orders stay.
    Handoff,
    /// The new instance started fresh (the report says why).
    Fresh,
    /// The swap did not happen; the old instance runs on (the report says why).
    Refused,
}

impl SwapMode {
    /// `handoff`, `fresh`, `refused`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Handoff => "handoff",
            Self::Fresh => "fresh",
            Self::Refused => "refused",
        }
    }
}

/// What a swap cost the hot thread, in nanoseconds (machine-dependent: the summary keeps it
/// under `timing`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SwapCost {
    /// Export, import and the switch of instances (the time the events wait for the handoff).
    pub handoff_ns: u64,
    /// All of it, creating the new instance and cancelling orders included.
    pub total_ns: u64,
}

/// One swap (or refused swap), for the report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SwapReport {
    /// The strategy's name.
    pub strategy: String,
    /// Its index (order on the command line / in the config).
    pub strategy_index: usize,
    /// Engine time of the swap, ns since the epoch.
    pub ts_ns: u64,
    /// Events the hot loop had processed before the swap.
    pub event: u64,
    /// The new library as given.
    pub library: String,
    /// SHA-256 of the running library (`None`: statically linked).
    pub old_sha256: Option<String>,
    /// SHA-256 of the new library.
    pub new_sha256: Option<String>,
    /// Handoff, fresh or refused.
    pub mode: SwapMode,
    /// Why fresh or refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// State format version of the running build (0: no handoff).
    pub old_state_version: u32,
    /// State format version of the new build (0: no handoff).
    pub new_state_version: u32,
    /// Bytes of state handed over.
    pub state_bytes: usize,
    /// Open orders the engine cancelled.
    pub orders_cancelled: usize,
    /// Open orders the new instance adopted.
    pub orders_adopted: usize,
    /// What it cost the hot thread.
    #[serde(skip)]
    pub cost: SwapCost,
}

/// Where a reload thread sends swaps: strategy index and replacement.
pub type SwapSender = crossbeam::channel::Sender<(usize, Replacement)>;
/// Where the hot thread takes them from, between two events ([`HotEngine::poll_swaps`]).
pub type SwapReceiver = crossbeam::channel::Receiver<(usize, Replacement)>;

/// A bounded swap channel (a swap is rare: a few slots are plenty).
pub fn swap_channel() -> (SwapSender, SwapReceiver) {
    crossbeam::channel::bounded(4)
}

impl<O: OutputSink> HotEngine<O> {
    /// Applies the swap waiting on `swaps`, if any; true if one was applied. Call it between
    /// two events.
    ///
    /// # Hot path
    /// With nothing pending: one `try_recv` on an empty bounded channel (a few atomic loads),
    /// no lock, no allocation (asserted by `tests/tests/hot_alloc.rs`).
    #[inline]
    pub fn poll_swaps(&mut self, swaps: &SwapReceiver) -> bool {
        match swaps.try_recv() {
            Ok((s, replacement)) => {
                self.swap_strategy(s, &replacement);
                true
            }
            Err(_) => false,
        }
    }

    /// Replaces strategy `s` by `replacement` now, between two events, and returns the report
    /// (also kept for [`HotEngine::swaps`]). Out of range: refused.
    pub fn swap_strategy(&mut self, s: usize, replacement: &Replacement) -> &SwapReport {
        let total = Stopwatch::start();
        let now = self.clock.now();
        let mut report = SwapReport {
            strategy: String::new(),
            strategy_index: s,
            ts_ns: now.as_nanos(),
            event: self.stats.events,
            library: replacement.library.clone(),
            old_sha256: None,
            new_sha256: replacement.sha256.clone(),
            mode: SwapMode::Refused,
            reason: None,
            old_state_version: 0,
            new_state_version: 0,
            state_bytes: 0,
            orders_cancelled: 0,
            orders_adopted: 0,
            cost: SwapCost::default(),
        };
        let Some(slot) = self.slots.get(s) else {
            return self.refused(report, format!("there is no strategy #{s}"), &total);
        };
        report.strategy = slot.instance.name().to_owned();
        report.old_sha256 = slot.instance.library().map(|o| o.sha256.clone());
        let old_handoff = slot.instance.handoff();
        report.old_state_version = old_handoff.state_version;
        let mut new = match (replacement.create)() {
            Ok(i) => i,
            Err(e) => return self.refused(report, format!("cannot create it: {e}"), &total),
        };
        let new_handoff = new.handoff();
        report.new_state_version = new_handoff.state_version;
        if new.signal_names() != self.slots[s].instance.signal_names() {
            let why = format!(
                "its signals [{}] are not the running ones [{}]",
                new.signal_names().join(", "),
                self.slots[s].instance.signal_names().join(", ")
            );
            return self.refused(report, why, &total);
        }

        let timed = Stopwatch::start();
        let old = &mut self.slots[s].instance;
        let mut tried_import = false;
        let fresh_reason = if let Some(why) = old.disabled_reason() {
            Some(format!("the running instance was disabled ({why})"))
        } else if !old_handoff.has_state() {
            Some("the running build hands no state over".to_owned())
        } else if !new_handoff.has_state() {
            Some("the new build takes no state".to_owned())
        } else {
            match old.export_state(&mut self.swap_state) {
                Err(e) => Some(format!("the running build could not export its state: {e}")),
                Ok(()) => {
                    report.state_bytes = self.swap_state.len();
                    tried_import = true;
                    new.import_state(old_handoff.state_version, &self.swap_state)
                        .err()
                        .map(|e| format!("the new build did not import the state: {e}"))
                }
            }
        };
        if fresh_reason.is_some() && tried_import {
            // A failed import may have left the instance half-restored: start a clean one.
            new = match (replacement.create)() {
                Ok(i) => i,
                Err(e) => return self.refused(report, format!("cannot create it: {e}"), &total),
            };
        }
        let handed_off = fresh_reason.is_none();
        let slot = &mut self.slots[s];
        new.take_over_buffers(&mut slot.instance, handed_off);
        if let Some(kill) = &slot.kill_reason {
            new.disable(kill);
        }
        let old = std::mem::replace(&mut slot.instance, new);
        report.cost.handoff_ns = timed.elapsed_ns();
        let open = slot.open.len();
        if handed_off || new_handoff.adopts_orders() {
            report.orders_adopted = open;
        } else {
            report.orders_cancelled = open;
            self.paper.cancel_all_for(now, idx(s));
        }
        drop(old);
        report.mode = if handed_off {
            SwapMode::Handoff
        } else {
            SwapMode::Fresh
        };
        report.reason = fresh_reason;
        self.out.push(OutputRecord::Swap {
            ts: now,
            strategy: s as StrategyNo,
            mode: report.mode,
        });
        if !handed_off {
            let outcome = self.slots[s].instance.on_start(now);
            self.after_call(s, outcome, now, None);
        }
        self.deliver(now);
        report.cost.total_ns = total.elapsed_ns();
        self.logged(report)
    }

    /// Swaps so far, refused ones included.
    pub fn swaps(&self) -> &[SwapReport] {
        &self.swaps
    }

    fn refused(&mut self, mut report: SwapReport, why: String, total: &Stopwatch) -> &SwapReport {
        report.mode = SwapMode::Refused;
        report.reason = Some(why);
        report.cost.total_ns = total.elapsed_ns();
        if report.strategy_index < self.slots.len() {
            self.out.push(OutputRecord::Swap {
                ts: self.clock.now(),
                strategy: report.strategy_index as StrategyNo,
                mode: SwapMode::Refused,
            });
        }
        self.logged(report)
    }

    fn logged(&mut self, report: SwapReport) -> &SwapReport {
        let sha = |s: &Option<String>| s.clone().unwrap_or_else(|| "static".to_owned());
        if report.mode == SwapMode::Refused {
            tracing::warn!(
                strategy = %report.strategy,
                library = %report.library,
                new_sha256 = %sha(&report.new_sha256),
                reason = report.reason.as_deref().unwrap_or(""),
                "strategy swap refused; the running build goes on"
            );
        } else {
            tracing::info!(
                strategy = %report.strategy,
                library = %report.library,
                old_sha256 = %sha(&report.old_sha256),
                new_sha256 = %sha(&report.new_sha256),
                mode = report.mode.as_str(),
                reason = report.reason.as_deref().unwrap_or(""),
                orders_cancelled = report.orders_cancelled,
                orders_adopted = report.orders_adopted,
                state_bytes = report.state_bytes,
                handoff_ns = report.cost.handoff_ns,
                "strategy swapped"
            );
        }
        self.swaps.push(report);
        let last = self.swaps.len() - 1;
        &self.swaps[last]
    }
}
