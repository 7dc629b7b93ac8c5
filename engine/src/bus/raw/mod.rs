//! Raw venue frames on the bus (`ladder feed --raw`): JetStream as the recorder.
//!
//! ```text
//!  venue ──ws──► live core (feed thread) ──FrameTap──► RawTap: one message per frame, numbered
//!        ──bounded channel──► raw publisher thread (tokio, its own connection)
//!        ──JetStream stream `ladder-raw`, subject ladder.raw.<venue>.<conn>
//!  later: `ladder record --source nats://...` (a capture file) or `ladder replay nats://...`
//!        read the stream back ([`crate::bus::replay`]) as the lines `ladder record` writes.
//! ```
//!
//! Each message is exactly what `ladder record`'s tap gets from the live core: a WebSocket data
//! frame and the time it was read, or a REST depth snapshot body with its symbol and time
//! ([`codec`], `docs/bus.md`). A reader turns it into the same capture line
//! ([`crate::record::tap::frame_line`], [`crate::record::tap::snapshot_line`]), so a capture
//! written from the bus equals the one `ladder record` would have written.
//!
//! Frames are numbered per subject under the publisher's epoch before they are offered to the
//! channel: a frame refused by a full channel (counted as `refused`) or never acknowledged
//! (`failed`) leaves a hole in the numbers that every reader detects and counts as a gap, and
//! the replay's own sequencer then sees the venue's gap and resyncs from the next snapshot. The
//! feed heals such a hole itself ([`heal`]): it resyncs the venue's books, so that next
//! snapshot comes right after the hole.

pub mod codec;
pub mod heal;
pub mod publish;

pub use publish::{RawCounts, RawPublisher, RawStats, RawTap};

/// The JetStream stream of raw frames (subjects `ladder.raw.>`), beside `ladder-md`, with the
/// same retention limits.
pub const STREAM: &str = "ladder-raw";
/// The subjects of [`STREAM`].
pub const SUBJECTS: &str = "ladder.raw.>";
/// The subject prefix of raw frames.
pub const PREFIX: &str = "ladder.raw.";
