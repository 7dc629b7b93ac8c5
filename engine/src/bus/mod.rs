//! Scale-out on NATS JetStream: `ladder feed` publishes the normalized events of its venue
//! connectors to the bus; `ladder paper --source nats://...` consumes them on other hosts.
//!
//! ```text
//!  venue ──ws──► live core (feed thread) ──BusOutput──► publisher thread (tokio, async-nats)
//!        ──JetStream stream `ladder-md`, subject ladder.md.<venue>.<symbol> (events, schema 1)
//!        ──KV bucket `ladder-books`, key <venue>.<symbol>: the book image + its stream position
//!  consumer host: bus thread (tokio) ──reads the images, then the stream──► SPSC ring ──► hot
//! ```
//!
//! Files: [`codec`] (the versioned binary encoding, `docs/bus.md`), [`subject`] (subject and
//! key names, the symbol mapping), [`connect`] (the `[source]` settings, TLS and credentials),
//! [`publish`] (`ladder feed`'s publisher), [`consume`] (the consumer side: joins from the
//! images, checks each instrument's continuity, resyncs a gap from the bucket), [`raw`] (`ladder
//! feed --raw`: the venues' raw frames on `ladder.raw.<venue>.<conn>`), [`replay`] (reads the
//! raw frames back: `ladder record --source nats://...`, `ladder replay nats://...`).
//!
//! A consumer's book is exact or loudly stale: every message carries its publisher's epoch and
//! its sequence among that instrument's messages; a missing sequence, a new epoch (publisher
//! restart) or a lost connection makes the book stale (`Status(Stale)` into the ring, counted
//! as a bus gap) until a newer image from the bucket lines up with the stream again.

pub mod codec;
pub mod connect;
pub mod consume;
pub mod feed;
pub mod publish;
pub mod raw;
pub mod replay;
pub mod subject;

pub use connect::{BusError, SourceConfig};

/// The JetStream stream of normalized events (subjects `ladder.md.>`; raw frames have their own
/// stream, [`raw::STREAM`]).
pub const STREAM: &str = "ladder-md";
/// The KV bucket of book images.
pub const BUCKET: &str = "ladder-books";
/// Core NATS subject a consumer asks on for fresh images (payload: a key, or empty for all).
pub const SNAPSHOT_REQUEST: &str = "ladder.ctl.snapshot";
