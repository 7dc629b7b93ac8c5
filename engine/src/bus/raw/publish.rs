//! The raw-frame publisher of `ladder feed --raw`: a [`RawTap`] per venue on the feed thread,
//! one publisher thread (its own tokio runtime and NATS connection) onto the stream
//! `ladder-raw`.
//!
//! The tap runs where `ladder record`'s tap runs (the feed thread, never a hot thread): it
//! numbers the frame on its subject, encodes the message ([`super::codec`]) and offers it to a
//! bounded channel without waiting; a full channel refuses it (counted as `refused`, the hole in
//! the numbers tells every reader). The publisher thread publishes with acks, at most
//! [`MAX_IN_FLIGHT`] awaited at once, and at the end waits (bounded) for the last acks. A frame
//! that did not reach the bus marks its subject for healing ([`super::heal`]): the venue's books
//! are resynced, so a fresh snapshot follows the hole.

use super::codec;
use super::heal::{HEAL_EVERY, Healer};
use crate::bus::codec::{Position, SCHEMA, SCHEMA_HEADER};
use crate::bus::publish::{MAX_IN_FLIGHT, PublishOptions, jetstream_publisher};
use crate::bus::{BusError, subject};
use crate::feed::Venue;
use crate::feed::live::{FrameTap, ResyncRequester};
use async_nats::jetstream;
use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use ladder_sdk::{InstrumentId, UnixNanos};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// Messages the channel holds before it refuses one (about 3 s of a busy Binance feed).
pub const CHANNEL_CAPACITY: usize = 1 << 16;
/// Longest wait for the last acks at the end.
const ACK_WAIT: Duration = Duration::from_secs(10);

/// The raw publisher's counters, readable from any thread.
#[derive(Debug, Default)]
pub struct RawStats {
    /// Frames and snapshots the taps saw.
    pub frames: AtomicU64,
    /// Messages published.
    pub published: AtomicU64,
    /// Messages the server acknowledged.
    pub acked: AtomicU64,
    /// Publishes that failed or whose ack never came (a hole on the bus).
    pub failed: AtomicU64,
    /// Frames a full channel refused (a hole on the bus).
    pub refused: AtomicU64,
    /// Bytes of the frames published (payloads without the header).
    pub bytes: AtomicU64,
    /// Disconnects seen.
    pub disconnects: AtomicU64,
    /// Venue resyncs asked for after lost frames (so a snapshot follows the hole).
    pub resyncs: AtomicU64,
    connected: AtomicBool,
}

/// [`RawStats`] at one moment (`feed.json`'s `raw`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RawCounts {
    /// Frames and snapshots the taps saw.
    pub frames: u64,
    /// Messages published.
    pub published: u64,
    /// Messages the server acknowledged.
    pub acked: u64,
    /// Publishes that failed or whose ack never came.
    pub failed: u64,
    /// Frames a full channel refused.
    pub refused: u64,
    /// Bytes of the frames published.
    pub bytes: u64,
    /// Venue resyncs asked for after lost frames.
    pub resyncs: u64,
}

impl RawStats {
    /// The counters as one headless line.
    pub fn line(&self) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "bus raw {}: frames {} published {} acked {} failed {} refused {} resyncs {} bytes {} disconnects {}",
            if self.connected.load(Ordering::Relaxed) {
                "up"
            } else {
                "down"
            },
            g(&self.frames),
            g(&self.published),
            g(&self.acked),
            g(&self.failed),
            g(&self.refused),
            g(&self.resyncs),
            g(&self.bytes),
            g(&self.disconnects),
        )
    }

    /// The counters now.
    pub fn counts(&self) -> RawCounts {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        RawCounts {
            frames: g(&self.frames),
            published: g(&self.published),
            acked: g(&self.acked),
            failed: g(&self.failed),
            refused: g(&self.refused),
            bytes: g(&self.bytes),
            resyncs: g(&self.resyncs),
        }
    }

    /// Frames that did not reach the bus (refused or failed): holes a reader will see.
    pub fn lost(&self) -> u64 {
        self.refused.load(Ordering::Relaxed) + self.failed.load(Ordering::Relaxed)
    }
}

/// One message for the publisher thread.
#[derive(Debug)]
struct Outgoing {
    subject: Arc<str>,
    payload: bytes::Bytes,
    frame_bytes: usize,
}

/// A venue connection's tap onto the bus (`ladder.raw.<venue>.<conn>`).
#[derive(Debug)]
pub struct RawTap {
    subject: Arc<str>,
    epoch: u64,
    seq: AtomicU64,
    tx: mpsc::Sender<Outgoing>,
    stats: Arc<RawStats>,
    healer: Arc<Healer>,
}

impl RawTap {
    fn offer(&self, encode: impl FnOnce(&mut Vec<u8>, Position), frame_bytes: usize) {
        self.stats.frames.fetch_add(1, Ordering::Relaxed);
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let mut buf = Vec::with_capacity(codec::FRAME_PREFIX + 16 + frame_bytes);
        encode(
            &mut buf,
            Position {
                epoch: self.epoch,
                seq,
            },
        );
        let out = Outgoing {
            subject: Arc::clone(&self.subject),
            payload: bytes::Bytes::from(buf),
            frame_bytes,
        };
        if self.tx.try_send(out).is_err() {
            self.stats.refused.fetch_add(1, Ordering::Relaxed);
            self.healer.mark(&self.subject);
        }
    }
}

impl FrameTap for RawTap {
    fn frame(&self, ts_recv: UnixNanos, frame: &[u8]) {
        self.offer(
            |buf, at| codec::encode_frame(buf, at, ts_recv, frame),
            frame.len(),
        );
    }

    fn snapshot(&self, ts_recv: UnixNanos, symbol: &str, body: &[u8]) {
        self.offer(
            |buf, at| codec::encode_snapshot(buf, at, ts_recv, symbol, body),
            body.len(),
        );
    }
}

/// A running raw publisher.
#[derive(Debug)]
pub struct RawPublisher {
    tx: Option<mpsc::Sender<Outgoing>>,
    /// Its counters.
    pub stats: Arc<RawStats>,
    epoch: u64,
    healer: Arc<Healer>,
    thread: std::thread::JoinHandle<()>,
}

impl RawPublisher {
    /// Connects, creates or updates the stream `ladder-raw` with the limits of `opts`, and
    /// starts the publisher thread. `epoch` is the feed's (the events publisher's) epoch.
    ///
    /// # Errors
    /// [`BusError`] when the server cannot be reached or refuses the stream.
    pub fn start(opts: &PublishOptions, epoch: u64) -> Result<Self, BusError> {
        let stats = Arc::new(RawStats::default());
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let healer = Arc::new(Healer::default());
        let (opts, thread_stats, thread_healer) =
            (opts.clone(), Arc::clone(&stats), Arc::clone(&healer));
        let thread = std::thread::Builder::new()
            .name("ladder-bus-raw".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(BusError::Thread(format!(
                            "cannot start the raw bus runtime: {e}"
                        ))));
                        return;
                    }
                };
                rt.block_on(run(opts, rx, thread_stats, thread_healer, ready_tx));
            })
            .map_err(|e| BusError::Thread(format!("cannot start the raw bus publisher: {e}")))?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Self {
                tx: Some(tx),
                stats,
                epoch,
                healer,
                thread,
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(BusError::Thread(
                    "the raw bus publisher ended while starting".into(),
                ))
            }
        }
    }

    /// The tap of `venue`'s connection `conn` (`ladder.raw.<venue>.<conn>`).
    pub fn tap(&self, venue: Venue, conn: usize) -> Arc<dyn FrameTap> {
        Arc::new(RawTap {
            subject: subject::raw(venue, conn).into(),
            epoch: self.epoch,
            seq: AtomicU64::new(0),
            tx: self.tx.clone().unwrap_or_else(|| mpsc::channel(1).0),
            stats: Arc::clone(&self.stats),
            healer: Arc::clone(&self.healer),
        })
    }

    /// How to resync the books of `venue`'s connection `conn` after its frames were lost:
    /// its feed's requester and instruments.
    pub fn register(
        &self,
        venue: Venue,
        conn: usize,
        resync: ResyncRequester,
        ids: Vec<InstrumentId>,
    ) {
        self.healer
            .register(subject::raw(venue, conn).into(), resync, ids);
    }

    /// Waits until every tap is dropped (the feeds stopped) and the last frames are published
    /// and acked (at most 10 s; the rest count as failed).
    ///
    /// # Errors
    /// [`BusError::Thread`] if the publisher thread panicked.
    pub fn finish(mut self) -> Result<(), BusError> {
        self.tx = None;
        self.thread
            .join()
            .map_err(|_| BusError::Thread("the raw bus publisher panicked".into()))
    }
}

type AckFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = (Arc<str>, Result<(), String>)> + Send>>;

async fn setup(
    opts: &PublishOptions,
    stats: &Arc<RawStats>,
) -> Result<jetstream::Context, BusError> {
    let url = opts.source.display_url();
    let link = Arc::clone(stats);
    let js = jetstream_publisher(&opts.source, "ladder feed raw", move |up| {
        link.connected.store(up, Ordering::Relaxed);
        if !up {
            link.disconnects.fetch_add(1, Ordering::Relaxed);
        }
    })
    .await?;
    js.create_or_update_stream(jetstream::stream::Config {
        name: super::STREAM.to_owned(),
        subjects: vec![super::SUBJECTS.to_owned()],
        max_age: opts.max_age,
        max_bytes: opts.max_bytes,
        storage: jetstream::stream::StorageType::File,
        ..Default::default()
    })
    .await
    .map_err(|e| BusError::JetStream {
        what: "raw stream create",
        url,
        message: e.to_string(),
    })?;
    Ok(js)
}

async fn run(
    opts: PublishOptions,
    mut rx: mpsc::Receiver<Outgoing>,
    stats: Arc<RawStats>,
    healer: Arc<Healer>,
    ready: std::sync::mpsc::Sender<Result<(), BusError>>,
) {
    let js = match setup(&opts, &stats).await {
        Ok(js) => js,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    let mut acks: FuturesUnordered<AckFuture> = FuturesUnordered::new();
    let on_ack = |(subject, ack): (Arc<str>, Result<(), String>)| match ack {
        Ok(()) => {
            stats.acked.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => {
            stats.failed.fetch_add(1, Ordering::Relaxed);
            healer.mark(&subject);
            tracing::warn!(error = %e, "raw frame not acknowledged");
        }
    };
    let mut heal = tokio::time::interval(HEAL_EVERY);
    heal.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(msg) => {
                    while acks.len() >= MAX_IN_FLIGHT {
                        match acks.next().await {
                            Some(ack) => on_ack(ack),
                            None => break,
                        }
                    }
                    let mut headers = async_nats::HeaderMap::new();
                    headers.insert(SCHEMA_HEADER, SCHEMA.to_string().as_str());
                    let subject = msg.subject.to_string();
                    match js.publish_with_headers(subject, headers, msg.payload).await {
                        Ok(ack) => {
                            stats.published.fetch_add(1, Ordering::Relaxed);
                            stats.bytes.fetch_add(msg.frame_bytes as u64, Ordering::Relaxed);
                            let subject = msg.subject;
                            acks.push(Box::pin(async move {
                                (subject, ack.await.map(|_| ()).map_err(|e| e.to_string()))
                            }));
                        }
                        Err(e) => {
                            stats.failed.fetch_add(1, Ordering::Relaxed);
                            healer.mark(&msg.subject);
                            tracing::warn!(error = %e, "raw frame publish failed");
                        }
                    }
                }
                None => break,
            },
            Some(ack) = acks.next(), if !acks.is_empty() => on_ack(ack),
            _ = heal.tick() => {
                if stats.connected.load(Ordering::Relaxed) {
                    stats.resyncs.fetch_add(healer.heal(), Ordering::Relaxed);
                }
            }
        }
    }
    let deadline = tokio::time::Instant::now() + ACK_WAIT;
    while !acks.is_empty() {
        match tokio::time::timeout_at(deadline, acks.next()).await {
            Ok(Some(ack)) => on_ack(ack),
            Ok(None) => break,
            Err(_) => {
                stats.failed.fetch_add(acks.len() as u64, Ordering::Relaxed);
                break;
            }
        }
    }
    let _ = js.client().flush().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_frames_leave_a_hole_in_the_numbers_and_mark_the_subject_for_healing() {
        let (tx, mut rx) = mpsc::channel(1);
        let (stats, healer) = (Arc::new(RawStats::default()), Arc::new(Healer::default()));
        let tap = RawTap {
            subject: "ladder.raw.binance-spot.0".into(),
            epoch: 7,
            seq: AtomicU64::new(0),
            tx,
            stats: Arc::clone(&stats),
            healer: Arc::clone(&healer),
        };
        tap.frame(UnixNanos::from_nanos(1), b"{}");
        assert!(healer.take_pending().is_empty(), "nothing lost yet");
        tap.snapshot(UnixNanos::from_nanos(2), "BTCUSDT", b"{}");
        assert_eq!(stats.refused.load(Ordering::Relaxed), 1);
        assert_eq!(
            healer.take_pending(),
            vec![Arc::<str>::from("ladder.raw.binance-spot.0")]
        );
        assert!(healer.take_pending().is_empty(), "taken once");
        let first = rx.try_recv().unwrap();
        tap.frame(UnixNanos::from_nanos(3), b"{}");
        let third = rx.try_recv().unwrap();
        let seq = |o: &Outgoing| codec::decode(&o.payload).unwrap().position.seq;
        assert_eq!((seq(&first), seq(&third)), (1, 3), "number 2 is the hole");
        assert_eq!(stats.frames.load(Ordering::Relaxed), 3);
    }
}
