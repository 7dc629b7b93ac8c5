//! The handle of a running feed ([`LiveFeedHandle`]) and what it shares with the feed thread:
//! the stop signal and the per-instrument resync requests ([`ResyncRequester`]).

use super::FeedStatus;
use ladder_sdk::InstrumentId;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use tokio::sync::watch;

/// Shared between the handle and the feed thread.
#[derive(Debug)]
pub(crate) struct Control {
    pub(crate) stop: watch::Sender<bool>,
    /// The feed's instruments, in slot order.
    pub(crate) instruments: Vec<InstrumentId>,
    pub(crate) resync: Box<[AtomicBool]>,
    pub(crate) resync_any: AtomicBool,
}

impl Control {
    pub(crate) fn new(stop: watch::Sender<bool>, instruments: Vec<InstrumentId>) -> Self {
        Self {
            stop,
            resync: instruments.iter().map(|_| AtomicBool::new(false)).collect(),
            instruments,
            resync_any: AtomicBool::new(false),
        }
    }

    fn request_resync(&self, id: InstrumentId) -> bool {
        let Some(slot) = self.instruments.iter().position(|i| *i == id) else {
            return false;
        };
        self.resync[slot].store(true, Ordering::Release);
        self.resync_any.store(true, Ordering::Release);
        true
    }
}

/// Tells a running feed that an instrument must be resynced (the consumer lost events, e.g.
/// a ring further down overflowed). Cheap and lock-free: two atomic stores; the feed acts on
/// it within its next frame or 100 ms.
#[derive(Debug, Clone)]
pub struct ResyncRequester {
    control: Arc<Control>,
}

impl ResyncRequester {
    /// Asks for a resync of `instrument`; `false` if the feed does not carry it.
    pub fn request(&self, instrument: InstrumentId) -> bool {
        self.control.request_resync(instrument)
    }
}

/// A running live feed. Dropping it stops the feed and waits for its thread.
#[derive(Debug)]
pub struct LiveFeedHandle {
    /// State and counters, for the dashboard.
    pub status: Arc<FeedStatus>,
    control: Arc<Control>,
    thread: Option<JoinHandle<()>>,
}

impl LiveFeedHandle {
    pub(crate) fn new(
        status: Arc<FeedStatus>,
        control: Arc<Control>,
        thread: JoinHandle<()>,
    ) -> Self {
        Self {
            status,
            control,
            thread: Some(thread),
        }
    }

    /// Asks the feed to stop (returns at once).
    pub fn stop(&self) {
        self.control.stop.send_replace(true);
    }

    /// Waits for the feed thread to end (after [`LiveFeedHandle::stop`]); `false` if it
    /// panicked.
    pub fn join(mut self) -> bool {
        self.thread.take().is_none_or(|t| t.join().is_ok())
    }

    /// Stops the feed and waits for it.
    pub fn shutdown(self) -> bool {
        self.stop();
        self.join()
    }

    /// True once the feed thread has ended.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Asks for a resync of `instrument`; `false` if the feed does not carry it.
    pub fn request_resync(&self, instrument: InstrumentId) -> bool {
        self.control.request_resync(instrument)
    }

    /// A cloneable handle for asking resyncs from another thread.
    pub fn resync_requester(&self) -> ResyncRequester {
        ResyncRequester {
            control: Arc::clone(&self.control),
        }
    }
}

impl Drop for LiveFeedHandle {
    fn drop(&mut self) {
        self.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
