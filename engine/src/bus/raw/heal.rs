//! Healing a hole in the raw frames: after frames of a venue connection did not reach the bus
//! (refused by a full channel, a publish that failed or was never acknowledged), the venue's
//! books are resynced from the venue, so a fresh snapshot follows the hole in the stream and a
//! replay of the frames syncs again at it instead of staying stale to the end.
//!
//! A tap or the publisher thread only marks the subject ([`Healer::mark`]: a short lock, no
//! wait); the publisher thread asks the feed for the resyncs every [`HEAL_EVERY`] while it is
//! connected ([`Healer::heal`]). A snapshot that is itself refused marks the subject again, so
//! healing goes on until one gets through.

use crate::feed::live::ResyncRequester;
use ladder_sdk::InstrumentId;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often marked subjects are healed.
pub const HEAL_EVERY: Duration = Duration::from_millis(250);

#[derive(Debug)]
struct Entry {
    resync: Option<(ResyncRequester, Vec<InstrumentId>)>,
    pending: bool,
}

/// The venue feeds to resync, by raw subject.
#[derive(Debug, Default)]
pub struct Healer {
    entries: Mutex<BTreeMap<Arc<str>, Entry>>,
}

impl Healer {
    /// Registers how to resync the instruments behind `subject`.
    pub fn register(&self, subject: Arc<str>, resync: ResyncRequester, ids: Vec<InstrumentId>) {
        if let Ok(mut e) = self.entries.lock() {
            e.entry(subject)
                .or_insert(Entry {
                    resync: None,
                    pending: false,
                })
                .resync = Some((resync, ids));
        }
    }

    /// Marks `subject` as having lost frames.
    pub fn mark(&self, subject: &Arc<str>) {
        if let Ok(mut e) = self.entries.lock() {
            e.entry(Arc::clone(subject))
                .or_insert(Entry {
                    resync: None,
                    pending: false,
                })
                .pending = true;
        }
    }

    /// The marked subjects, unmarked.
    pub fn take_pending(&self) -> Vec<Arc<str>> {
        let Ok(mut e) = self.entries.lock() else {
            return Vec::new();
        };
        e.iter_mut()
            .filter(|(_, v)| v.pending)
            .map(|(k, v)| {
                v.pending = false;
                Arc::clone(k)
            })
            .collect()
    }

    /// Asks for a resync of every instrument behind each marked subject; how many subjects.
    pub fn heal(&self) -> u64 {
        let subjects = self.take_pending();
        let Ok(e) = self.entries.lock() else {
            return 0;
        };
        let mut healed = 0;
        for s in subjects {
            if let Some(Entry {
                resync: Some((r, ids)),
                ..
            }) = e.get(&s)
            {
                for id in ids {
                    r.request(*id);
                }
                healed += 1;
                tracing::warn!(subject = %s, "raw frames lost on the bus: books resynced");
            }
        }
        healed
    }
}
