//! Per-connection message numbers, for a venue that numbers every message of a connection
//! (Coinbase's `sequence_num`: 0, 1, 2, ... over every channel, [`Encoder::stamps_sequence`]).
//! Frames are built once for every subscriber with a placeholder number; each connection sets
//! its own as it sends them, before the depth faults, so a dropped message leaves a gap as on
//! the venue. The `seq_break_every` fault skips one number every Nth message.

use super::encode::Encoder;
use super::faults;
use std::sync::atomic::AtomicU64;

/// One connection's numbers.
#[derive(Debug, Default)]
pub(crate) struct Sequence {
    /// The next number.
    next: u64,
    /// Messages numbered so far.
    numbered: u64,
    /// Heartbeats sent.
    pub(crate) beats: u64,
}

impl Sequence {
    /// `text` with the connection's next number; every `skip_every`th message skips one
    /// number (counted in `skips`). A message without a number (an error reply) and every
    /// message of a venue that numbers none pass as they are.
    pub(crate) fn number(
        &mut self,
        encoder: &Encoder,
        skip_every: Option<u64>,
        skips: &AtomicU64,
        text: String,
    ) -> String {
        if !encoder.stamps_sequence() {
            return text;
        }
        let mut next = self.next;
        if skip_every.is_some_and(|n| (self.numbered + 1).is_multiple_of(n)) {
            next += 1;
        }
        match encoder.stamp(&text, next) {
            Some(stamped) => {
                self.numbered += 1;
                if next != self.next {
                    faults::bump(skips);
                }
                self.next = next + 1;
                stamped
            }
            None => text,
        }
    }
}
