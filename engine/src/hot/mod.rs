//! The hot loop: one thread, pinned to a core, that turns market events into book updates,
//! strategy calls, risk checks and simulated fills.
//!
//! - [`engine`]: the per-event work ([`HotEngine::on_event`]);
//! - [`ring`]: bounded SPSC rings from feed threads, with overflow → stale → resync;
//! - [`runner`]: pinning and the busy-poll loop with its wait strategy;
//! - [`output`]: records leaving the hot thread for the report writer;
//! - [`stamps`]: stage stamps (`t0` frame read … `t8` exchange ack) and their histograms.

pub mod engine;
pub mod output;
pub mod ring;
pub mod runner;
pub mod stamps;

pub use engine::{
    EngineFinal, FinalBook, HotEngine, HotStats, RECENT_TRADES, Replacement, StrategySummary,
    SwapCost, SwapMode, SwapReceiver, SwapReport, SwapSender, swap_channel,
};
pub use runner::{pin_current_thread, poll_loop, poll_loop_stamped};
pub use stamps::{LatencyRecorder, StampedEvent};
