//! The bench's threads and passes: where each thread runs (`Placement`, `pin_to`) and the
//! hand-over between the feed thread, the hot thread and the driver, pass by pass (`PassSync`).

use crossbeam::utils::CachePadded;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

/// Pins the calling thread to `core` without consulting the (possibly already narrowed) core
/// list; false if the OS refused.
pub(crate) fn pin_to(core: usize) -> bool {
    core_affinity::set_for_current(core_affinity::CoreId { id: core })
}

/// Hand-over between the feed thread, the hot thread and the driver, pass by pass.
pub(crate) struct PassSync {
    /// Frames the hot thread has finished in the current pass (for `--in-flight`).
    pub(super) done: CachePadded<AtomicU64>,
    ready: AtomicU32,
    pub(super) stops: Vec<Arc<AtomicBool>>,
    starts: Vec<AtomicU64>,
    abort: AtomicBool,
}

impl PassSync {
    pub(super) fn new(passes: u32) -> Self {
        Self {
            done: CachePadded::new(AtomicU64::new(0)),
            ready: AtomicU32::new(0),
            stops: (0..passes)
                .map(|_| Arc::new(AtomicBool::new(false)))
                .collect(),
            starts: (0..passes).map(|_| AtomicU64::new(0)).collect(),
            abort: AtomicBool::new(false),
        }
    }

    pub(crate) fn passes(&self) -> u32 {
        self.stops.len() as u32
    }

    /// Waits until the hot thread is ready for `pass`; false if the run was aborted.
    pub(crate) fn wait_ready(&self, pass: u32) -> bool {
        loop {
            if self.ready.load(Ordering::Acquire) > pass {
                return true;
            }
            if self.abort.load(Ordering::Acquire) {
                return false;
            }
            std::thread::yield_now();
        }
    }

    pub(super) fn set_ready(&self, pass: u32) {
        self.done.store(0, Ordering::Release);
        self.ready.store(pass + 1, Ordering::Release);
    }

    /// Frames finished by the hot thread in this pass.
    pub(crate) fn done(&self) -> u64 {
        self.done.load(Ordering::Acquire)
    }

    pub(crate) fn set_start(&self, pass: u32, t: u64) {
        self.starts[pass as usize].store(t, Ordering::Release);
    }

    pub(super) fn start(&self, pass: u32) -> u64 {
        self.starts[pass as usize].load(Ordering::Acquire)
    }

    /// No more events for `pass`: the hot thread drains the ring and ends the pass.
    pub(crate) fn finish(&self, pass: u32) {
        self.stops[pass as usize].store(true, Ordering::Release);
    }

    pub(super) fn abort(&self) {
        self.abort.store(true, Ordering::Release);
        for s in &self.stops {
            s.store(true, Ordering::Release);
        }
    }
}

/// Core placement: the hot thread on its own core, everything else on another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Placement {
    pub(crate) cores: usize,
    pub(crate) hot: Option<usize>,
    pub(crate) other: Option<usize>,
}

pub(crate) fn placement(requested: Option<usize>) -> Placement {
    // Query before any pinning: a pinned thread sees only its own core.
    let ids: Vec<usize> = core_affinity::get_core_ids()
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.id)
        .collect();
    let hot = match requested {
        Some(c) if ids.contains(&c) => Some(c),
        Some(c) => {
            eprintln!("note: core {c} is not available here; the hot thread is not pinned");
            None
        }
        None => ids.last().copied(),
    };
    let other = ids.iter().copied().find(|&c| Some(c) != hot);
    Placement {
        cores: ids.len(),
        hot,
        other,
    }
}
