//! Fault injection: what the simulated venue does wrong on purpose, and counters of what it did.
//!
//! Depth faults act per connection on diff-depth messages (`@depth`, `@depth@100ms`,
//! `@depth@0ms`), counted in the order that connection would have received them:
//!
//! - **drop** every Nth: the message is not sent; a spot sequencer sees `U > prev_u + 1`;
//! - **duplicate** every Nth: sent twice; the second copy has `u <= prev_u` and is dropped;
//! - **reorder** every Nth: held back and sent right after the next diff of the same stream, so
//!   the two arrive swapped (a gap, then a stale diff).
//!
//! Connection faults: **disconnect** closes every connection that long after it opened (a Close
//! frame, then the socket); **stall** stops sending data on a connection `after` its opening for
//! `duration` while the socket stays open and control messages and pings keep working. Data
//! published during a stall is lost to that connection, as after a real outage.
//!
//! Book-topic faults (Bybit, OKX) act on the venue's messages themselves, for every connection
//! alike, counted per topic of each symbol (every Nth message of the topic that changed the
//! book):
//!
//! - **restart** (Bybit): a fresh snapshot with `u = 1` in place of a delta, as after a service
//!   restart; the deltas that follow count from `u = 2`;
//! - **bad checksum** (OKX): the message's `checksum` is not the CRC32 of the book it leaves;
//! - **seq break** (OKX): the message's `prevSeqId` is not the previous message's `seqId`;
//!   (Coinbase) every Nth message of a connection skips one `sequence_num`, a gap of every
//!   book on that connection.
//!
//! On these venues drop, duplicate and reorder act on the deltas of the book topics, per
//! connection, like on Binance's diff streams.
//!
//! REST faults: every Nth request answered 429 or 418, or the next N on demand
//! ([`SimHandle::fail_next_rest`](super::SimHandle::fail_next_rest)).
//!
//! On demand, while running: [`SimHandle::disconnect_all`](super::SimHandle::disconnect_all)
//! closes every open connection, [`SimHandle::drop_next_depth`](super::SimHandle::drop_next_depth)
//! drops the next N diff-depth messages (counted as `disconnects` and `dropped`).

use super::encode::Frame;
use crate::feed::Venue;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A stall: no data for `duration`, starting `after` a connection opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stall {
    /// Time from the connection's opening to the start of the stall.
    pub after: Duration,
    /// How long nothing is sent.
    pub duration: Duration,
}

/// Which faults to inject; the default injects none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultConfig {
    /// Drop every Nth diff-depth message of each connection.
    pub drop_every: Option<u64>,
    /// Send every Nth diff-depth message twice.
    pub duplicate_every: Option<u64>,
    /// Swap every Nth diff-depth message with the next one of the same stream.
    pub reorder_every: Option<u64>,
    /// Close each connection this long after it opened.
    pub disconnect_every: Option<Duration>,
    /// Stall each connection once.
    pub stall: Option<Stall>,
    /// Answer every Nth REST request with HTTP 429.
    pub rest_429_every: Option<u64>,
    /// Answer every Nth REST request with HTTP 418.
    pub rest_418_every: Option<u64>,
    /// Bybit: every Nth book message of a topic is a `u = 1` restart snapshot.
    pub restart_every: Option<u64>,
    /// OKX and Kraken: every Nth book message of a topic carries a wrong checksum.
    pub bad_checksum_every: Option<u64>,
    /// OKX: every Nth book message of a topic breaks the `prevSeqId` chain; Coinbase: every
    /// Nth message of a connection skips one `sequence_num`.
    pub seq_break_every: Option<u64>,
}

impl FaultConfig {
    /// Checks that every "every N" is at least 1 and durations are non-zero.
    pub fn validate(&self) -> Result<(), super::SimError> {
        self.check().map_err(super::SimError::Config)
    }

    /// Checks that the venue faults set are `venue`'s own (a restart is Bybit's; a bad
    /// checksum is OKX's and Kraken's; a seq break is OKX's).
    pub(crate) fn validate_for(&self, venue: Venue) -> Result<(), super::SimError> {
        let bybit = matches!(
            venue,
            Venue::BybitSpot | Venue::BybitLinear | Venue::BybitInverse
        );
        let wrong = |name: &str, owner: &str| {
            Err(super::SimError::Config(format!(
                "{name} is a fault of {owner}, not of {venue}"
            )))
        };
        if self.restart_every.is_some() && !bybit {
            return wrong(
                "restart_every",
                "bybit-spot, bybit-linear and bybit-inverse",
            );
        }
        if self.bad_checksum_every.is_some() && !matches!(venue, Venue::Okx | Venue::Kraken) {
            return wrong("bad_checksum_every", "okx and kraken");
        }
        if self.seq_break_every.is_some() && !matches!(venue, Venue::Okx | Venue::Coinbase) {
            return wrong("seq_break_every", "okx and coinbase");
        }
        Ok(())
    }

    fn check(&self) -> Result<(), String> {
        for (name, v) in [
            ("drop_every", self.drop_every),
            ("duplicate_every", self.duplicate_every),
            ("reorder_every", self.reorder_every),
            ("rest_429_every", self.rest_429_every),
            ("rest_418_every", self.rest_418_every),
            ("restart_every", self.restart_every),
            ("bad_checksum_every", self.bad_checksum_every),
            ("seq_break_every", self.seq_break_every),
        ] {
            if v == Some(0) {
                return Err(format!("{name} must be at least 1"));
            }
        }
        if self.disconnect_every == Some(Duration::ZERO) {
            return Err("disconnect_every must be longer than zero".into());
        }
        if self.stall.is_some_and(|s| s.duration.is_zero()) {
            return Err("a stall must last longer than zero".into());
        }
        Ok(())
    }
}

/// What was injected so far, over all connections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultStats {
    /// Diff-depth messages dropped.
    pub dropped: u64,
    /// Diff-depth messages sent twice.
    pub duplicated: u64,
    /// Pairs of diff-depth messages swapped.
    pub reordered: u64,
    /// Connections closed by the disconnect fault.
    pub disconnects: u64,
    /// Stalls started.
    pub stalls: u64,
    /// Data messages not sent because their connection was stalled.
    pub stalled_messages: u64,
    /// REST requests answered 429 by the fault (not by the weight limit).
    pub rest_429: u64,
    /// REST requests answered 418.
    pub rest_418: u64,
    /// Bybit `u = 1` restart snapshots sent.
    pub restarts: u64,
    /// OKX book messages sent with a wrong checksum.
    pub bad_checksums: u64,
    /// OKX book messages sent with a broken `prevSeqId`; Coinbase `sequence_num`s skipped.
    pub seq_breaks: u64,
}

/// Shared atomic counters behind [`FaultStats`].
#[derive(Debug, Default)]
pub(crate) struct FaultCounters {
    pub(crate) dropped: AtomicU64,
    pub(crate) duplicated: AtomicU64,
    pub(crate) reordered: AtomicU64,
    pub(crate) disconnects: AtomicU64,
    pub(crate) stalls: AtomicU64,
    pub(crate) stalled_messages: AtomicU64,
    pub(crate) rest_429: AtomicU64,
    pub(crate) rest_418: AtomicU64,
    pub(crate) restarts: AtomicU64,
    pub(crate) bad_checksums: AtomicU64,
    pub(crate) seq_breaks: AtomicU64,
}

impl FaultCounters {
    pub(crate) fn snapshot(&self) -> FaultStats {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        FaultStats {
            dropped: g(&self.dropped),
            duplicated: g(&self.duplicated),
            reordered: g(&self.reordered),
            disconnects: g(&self.disconnects),
            stalls: g(&self.stalls),
            stalled_messages: g(&self.stalled_messages),
            rest_429: g(&self.rest_429),
            rest_418: g(&self.rest_418),
            restarts: g(&self.restarts),
            bad_checksums: g(&self.bad_checksums),
            seq_breaks: g(&self.seq_breaks),
        }
    }
}

pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// A diff-depth frame on its way to one connection, with the stream it belongs to.
pub(crate) type Keyed = (u32, Arc<Frame>);

/// Per-connection depth fault state.
#[derive(Debug, Default)]
pub(crate) struct DepthFaults {
    seen: u64,
    held: Option<Keyed>,
}

impl DepthFaults {
    /// Decides what to send for the next diff-depth frame of stream `key`; pushes it (and any
    /// frame it releases) onto `out` in send order.
    pub(crate) fn on_depth(
        &mut self,
        frame: Keyed,
        config: &FaultConfig,
        counters: &FaultCounters,
        out: &mut Vec<Arc<Frame>>,
    ) {
        self.seen += 1;
        let hit = |every: Option<u64>| every.is_some_and(|n| self.seen.is_multiple_of(n));
        if hit(config.drop_every) {
            bump(&counters.dropped);
            return;
        }
        if hit(config.reorder_every) && self.held.is_none() {
            self.held = Some(frame);
            return;
        }
        let key = frame.0;
        out.push(Arc::clone(&frame.1));
        if hit(config.duplicate_every) {
            out.push(Arc::clone(&frame.1));
            bump(&counters.duplicated);
        }
        if self.held.as_ref().is_some_and(|h| h.0 == key)
            && let Some(held) = self.held.take()
        {
            out.push(held.1);
            bump(&counters.reordered);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(n: usize) -> Vec<Arc<Frame>> {
        (0..n)
            .map(|i| Arc::new(Frame::enveloped("x@depth", |o| o.push_str(&i.to_string()))))
            .collect()
    }

    fn run(config: &FaultConfig, keys: &[u32]) -> (Vec<String>, FaultStats) {
        let counters = FaultCounters::default();
        let mut f = DepthFaults::default();
        let mut out = Vec::new();
        for (k, fr) in keys.iter().zip(frames(keys.len())) {
            f.on_depth((*k, fr), config, &counters, &mut out);
        }
        let sent = out.iter().map(|f| f.raw().to_owned()).collect();
        (sent, counters.snapshot())
    }

    #[test]
    fn depth_faults_drop_every_third() {
        let c = FaultConfig {
            drop_every: Some(3),
            ..FaultConfig::default()
        };
        let (sent, stats) = run(&c, &[0; 7]);
        assert_eq!(sent, ["0", "1", "3", "4", "6"]);
        assert_eq!(stats.dropped, 2);
    }

    #[test]
    fn depth_faults_duplicate_every_second() {
        let c = FaultConfig {
            duplicate_every: Some(2),
            ..FaultConfig::default()
        };
        let (sent, stats) = run(&c, &[0; 4]);
        assert_eq!(sent, ["0", "1", "1", "2", "3", "3"]);
        assert_eq!(stats.duplicated, 2);
    }

    #[test]
    fn depth_faults_reorder_swaps_with_next_of_same_stream() {
        let c = FaultConfig {
            reorder_every: Some(2),
            ..FaultConfig::default()
        };
        // Frame 1 (stream 0) is held past frame 2 (stream 1) until frame 3 (stream 0).
        let (sent, stats) = run(&c, &[0, 0, 1, 0, 0]);
        assert_eq!(sent, ["0", "2", "3", "1", "4"]);
        assert_eq!(stats.reordered, 1);
    }

    #[test]
    fn fault_config_rejects_every_zero() {
        let c = FaultConfig {
            drop_every: Some(0),
            ..FaultConfig::default()
        };
        assert!(c.validate().is_err());
        assert!(FaultConfig::default().validate().is_ok());
    }

    #[test]
    fn fault_config_refuses_another_venues_faults() {
        let restart = FaultConfig {
            restart_every: Some(5),
            ..FaultConfig::default()
        };
        assert!(restart.validate_for(Venue::BybitLinear).is_ok());
        let err = restart.validate_for(Venue::Okx).unwrap_err().to_string();
        assert!(err.contains("restart_every is a fault of bybit"), "{err}");
        let checksum = FaultConfig {
            bad_checksum_every: Some(5),
            ..FaultConfig::default()
        };
        assert!(checksum.validate_for(Venue::Okx).is_ok());
        assert!(checksum.validate_for(Venue::Kraken).is_ok());
        let err = checksum
            .validate_for(Venue::BinanceSpot)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("bad_checksum_every is a fault of okx and kraken, not of binance-spot"),
            "{err}"
        );
        let brk = FaultConfig {
            seq_break_every: Some(5),
            ..FaultConfig::default()
        };
        assert!(brk.validate_for(Venue::BybitSpot).is_err());
        assert!(brk.validate_for(Venue::Okx).is_ok());
        assert!(
            brk.validate_for(Venue::Coinbase).is_ok(),
            "coinbase skips a sequence_num"
        );
        assert!(brk.validate_for(Venue::Kraken).is_err());
    }
}
