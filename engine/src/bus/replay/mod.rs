//! Reading the raw frames JetStream retained (`ladder feed --raw`) back as capture lines:
//! `ladder record --source nats://...` writes them as capture files ([`record`]),
//! `ladder replay nats://...` replays them through the capture pipeline ([`pipeline`]).
//!
//! ```text
//!  stream `ladder-raw` ──ordered consumer, subject filter (ladder.raw.>)──► this thread
//!     each message: decode (`bus::raw::codec`) ─► continuity per subject (epoch, seq)
//!     ─► window on ts_recv (--from/--to) ─► the capture line `ladder record` writes
//!     (`record::tap::frame_line` / `snapshot_line`) ─► a LineSink, per venue
//! ```
//!
//! Reading ends at the end of what was retained when it started (the stream's last sequence
//! then, or nothing pending), or, with `follow`, keeps reading live until Ctrl-C or the
//! duration. The window is on the frames' receive time (`ts_recv`, Unix nanoseconds): a frame
//! belongs to it when `from <= ts_recv < to`.
//!
//! Every hole is counted, never silent: a missing number on a subject (a frame the feed could
//! not publish) is a `gap`, a new epoch (another `ladder feed` run) a `restart`, an undecodable
//! message a `decode_error`; the replay's sequencer then sees the venue's own gap and resyncs
//! from the next snapshot in the frames.
//!
//! Only raw subjects are read: the normalized events of `ladder.md.>` are refused with an error
//! that names the raw subject (they are not frames a capture holds).

pub mod pipeline;
pub mod record;

use super::raw::{self, codec::RawKind};
use super::{BusError, SourceConfig};
use crate::feed::Venue;
use crate::record::tap::{frame_line, snapshot_line};
use async_nats::jetstream;
use futures_util::{StreamExt as _, TryStreamExt as _};
use std::collections::BTreeMap;
use std::str::FromStr as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Longest wait for the next retained message before reading stops with an error.
const IDLE: Duration = Duration::from_secs(10);

/// The receive-time window of frames read: `from <= ts_recv < to`, Unix nanoseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// First receive time kept.
    pub from: Option<u64>,
    /// Receive times at or after this are left out.
    pub to: Option<u64>,
}

impl Window {
    /// True when `ts` is in the window.
    pub fn contains(&self, ts: u64) -> bool {
        self.from.is_none_or(|f| ts >= f) && self.to.is_none_or(|t| ts < t)
    }

    /// `[--from X] [--to Y]` as given, for messages (empty: everything).
    pub fn describe(&self) -> String {
        match (self.from, self.to) {
            (None, None) => String::new(),
            (f, t) => format!(
                " between {} and {}",
                f.map_or("the start".into(), |v| format!("{v} ns")),
                t.map_or("the end".into(), |v| format!("{v} ns"))
            ),
        }
    }
}

/// `--from`/`--to`: an RFC 3339 time (`2024-08-08T13:00:00Z`, `2024-08-08T15:00:00.5+02:00`)
/// or Unix nanoseconds (digits only).
///
/// # Errors
/// One sentence naming the value and both accepted forms.
pub fn parse_time(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse::<u64>()
            .map_err(|_| format!("{s:?} is too large for Unix nanoseconds"));
    }
    let dt = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .map_err(|e| {
            format!(
                "{s:?} is neither an RFC 3339 time (2024-08-08T13:00:00Z) nor Unix nanoseconds: {e}"
            )
        })?;
    u64::try_from(dt.unix_timestamp_nanos())
        .map_err(|_| format!("{s:?} is before 1970 or too far ahead"))
}

/// Checks a subject filter: raw frames only.
///
/// # Errors
/// [`BusError::Config`]: the normalized stream (`ladder.md.>`) or any subject that is not under
/// `ladder.raw.`.
pub fn check_subject(subject: &str) -> Result<(), BusError> {
    if subject.starts_with(raw::PREFIX) && subject.len() > raw::PREFIX.len() {
        return Ok(());
    }
    let why = if subject.starts_with("ladder.md.") || subject == "ladder.>" || subject == ">" {
        "holds the normalized events, which are no capture"
    } else {
        "is not a raw-frame subject"
    };
    Err(BusError::Config(format!(
        "subject {subject} {why}: replay or record the raw frames that `ladder feed --raw` \
         publishes, --subject ladder.raw.> (or ladder.raw.<venue>.>)"
    )))
}

/// What to read.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// The server and login.
    pub source: SourceConfig,
    /// Subject filter under `ladder.raw.` (`ladder.raw.>`).
    pub subject: String,
    /// Receive-time window.
    pub window: Window,
    /// Keep reading live after the end of what was retained.
    pub follow: bool,
    /// With `follow`: stop after this long (else at `stop`).
    pub duration: Option<Duration>,
}

/// Where the lines go, one capture per venue.
pub trait LineSink {
    /// The venues found on the subject, before any line (in the order of their subjects).
    ///
    /// # Errors
    /// The sink cannot start (a file cannot be created).
    fn start(&mut self, venues: &[Venue]) -> Result<(), BusError>;
    /// One capture line of `venue`, newline included.
    ///
    /// # Errors
    /// The line cannot be written.
    fn line(&mut self, venue: Venue, line: Vec<u8>) -> Result<(), BusError>;
}

/// Counters of one read.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReadCounts {
    /// Messages read from the stream.
    pub messages: u64,
    /// Frames passed to the sink (in the window).
    pub frames: u64,
    /// Of them, REST snapshots.
    pub snapshots: u64,
    /// Frames outside the window, left out.
    pub outside: u64,
    /// Missing numbers on a subject: frames the feed could not publish.
    pub gaps: u64,
    /// New epochs on a subject after the first (another `ladder feed` run).
    pub restarts: u64,
    /// Messages that could not be decoded or name no venue (skipped).
    pub decode_errors: u64,
    /// Frames per venue passed to the sink.
    pub per_venue: BTreeMap<String, u64>,
}

/// The venue of a raw subject `ladder.raw.<venue>.<conn>`.
fn venue_of(subject: &str) -> Option<Venue> {
    let rest = subject.strip_prefix(raw::PREFIX)?;
    let (venue, _conn) = rest.split_once('.')?;
    Venue::from_str(venue).ok()
}

/// Continuity of one subject.
#[derive(Debug, Clone, Copy)]
struct Last {
    epoch: u64,
    seq: u64,
}

/// Reads what the stream retained on `opts.subject` into `sink`; `stop` ends a `follow` read.
///
/// # Errors
/// [`BusError`] naming the URL: the server cannot be reached, the stream does not exist,
/// nothing is retained on the subject, reading stalls, or the sink fails.
pub fn read_raw(
    opts: &ReadOptions,
    sink: &mut dyn LineSink,
    stop: &AtomicBool,
) -> Result<ReadCounts, BusError> {
    check_subject(&opts.subject)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| BusError::Thread(format!("cannot start the bus runtime: {e}")))?;
    rt.block_on(read(opts, sink, stop))
}

async fn read(
    opts: &ReadOptions,
    sink: &mut dyn LineSink,
    stop: &AtomicBool,
) -> Result<ReadCounts, BusError> {
    let url = opts.source.display_url();
    let jerr = |what: &'static str, e: &dyn std::fmt::Display| BusError::JetStream {
        what,
        url: url.clone(),
        message: e.to_string(),
    };
    let client = opts.source.connect("ladder bus reader", |_| {}).await?;
    let js = jetstream::new(client);
    let stream = js.get_stream(raw::STREAM).await.map_err(|e| {
        BusError::Config(format!(
            "no stream {} at {url} ({e}): nothing was published there with `ladder feed --raw`",
            raw::STREAM
        ))
    })?;
    let mut venues: Vec<Venue> = Vec::new();
    let mut retained: u64 = 0;
    let mut subjects = stream
        .info_with_subjects(&opts.subject)
        .await
        .map_err(|e| jerr("raw stream info", &e))?;
    while let Some((subject, count)) = subjects
        .try_next()
        .await
        .map_err(|e| jerr("raw stream info", &e))?
    {
        retained += count as u64;
        if let Some(v) = venue_of(&subject)
            && !venues.contains(&v)
        {
            venues.push(v);
        }
    }
    if retained == 0 {
        return Err(BusError::Config(format!(
            "nothing is retained on {} in stream {} at {url}",
            opts.subject,
            raw::STREAM
        )));
    }
    if venues.is_empty() {
        return Err(BusError::Config(format!(
            "the {retained} messages retained on {} at {url} name no venue ladder knows",
            opts.subject
        )));
    }
    venues.sort_by_key(|v| v.name());
    let last_seq = stream
        .get_info()
        .await
        .map_err(|e| jerr("raw stream info", &e))?
        .state
        .last_sequence;
    sink.start(&venues)?;
    let consumer = stream
        .create_consumer(jetstream::consumer::pull::OrderedConfig {
            filter_subject: opts.subject.clone(),
            deliver_policy: jetstream::consumer::DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .map_err(|e| jerr("consumer create", &e))?;
    let mut messages = consumer
        .messages()
        .await
        .map_err(|e| jerr("consumer read", &e))?;
    let mut counts = ReadCounts::default();
    let mut last: BTreeMap<String, Last> = BTreeMap::new();
    let started = Instant::now();
    let mut idle_since = Instant::now();
    loop {
        if opts.follow
            && (stop.load(Ordering::Relaxed)
                || opts.duration.is_some_and(|d| started.elapsed() >= d))
        {
            break;
        }
        let msg = match tokio::time::timeout(Duration::from_millis(200), messages.next()).await {
            Ok(Some(Ok(m))) => m,
            Ok(Some(Err(e))) => return Err(jerr("consumer read", &e)),
            Ok(None) => return Err(jerr("consumer read", &"the stream of messages ended")),
            Err(_) => {
                if !opts.follow && idle_since.elapsed() >= IDLE {
                    return Err(jerr(
                        "consumer read",
                        &format!(
                            "no message for {}s after {} of {retained} on {}",
                            IDLE.as_secs(),
                            counts.messages,
                            opts.subject
                        ),
                    ));
                }
                continue;
            }
        };
        idle_since = Instant::now();
        counts.messages += 1;
        let (stream_seq, pending) = msg
            .info()
            .map(|i| (i.stream_sequence, i.pending))
            .unwrap_or((0, 1));
        on_message(
            &msg.subject,
            &msg.payload,
            opts,
            sink,
            &mut counts,
            &mut last,
        )?;
        if !opts.follow && (pending == 0 || stream_seq >= last_seq) {
            break;
        }
    }
    Ok(counts)
}

/// One message: continuity, window, the capture line into the sink.
fn on_message(
    subject: &str,
    payload: &[u8],
    opts: &ReadOptions,
    sink: &mut dyn LineSink,
    counts: &mut ReadCounts,
    last: &mut BTreeMap<String, Last>,
) -> Result<(), BusError> {
    let (Some(venue), Ok(m)) = (venue_of(subject), raw::codec::decode(payload)) else {
        counts.decode_errors += 1;
        if counts.decode_errors <= 3 {
            let why = match raw::codec::decode(payload) {
                Err(e) => e.to_string(),
                Ok(_) => "the subject names no venue ladder knows".into(),
            };
            eprintln!("warning: skipped a message on {subject}: {why}");
        }
        return Ok(());
    };
    let at = m.position;
    match last.get(subject) {
        Some(l) if l.epoch == at.epoch && at.seq <= l.seq => {
            // A message already read (cannot happen on one ordered read): not written twice.
            return Ok(());
        }
        Some(l) if l.epoch == at.epoch && at.seq != l.seq + 1 => {
            counts.gaps += 1;
            if counts.gaps <= 5 {
                eprintln!(
                    "warning: {} raw frame(s) missing on {subject} before number {} (the feed \
                 could not publish them); the replay sees the venue's gap",
                    at.seq - l.seq - 1,
                    at.seq
                );
            }
        }
        Some(l) if l.epoch != at.epoch => counts.restarts += 1,
        _ => {}
    }
    last.insert(
        subject.to_owned(),
        Last {
            epoch: at.epoch,
            seq: at.seq,
        },
    );
    if !opts.window.contains(m.ts_recv.as_nanos()) {
        counts.outside += 1;
        return Ok(());
    }
    let (line, _) = match m.kind {
        RawKind::Frame => frame_line(m.ts_recv, m.bytes),
        RawKind::Snapshot { symbol } => {
            counts.snapshots += 1;
            snapshot_line(m.ts_recv, symbol, m.bytes)
        }
    };
    counts.frames += 1;
    *counts.per_venue.entry(venue.name().to_owned()).or_default() += 1;
    sink.line(venue, line)
}

#[cfg(test)]
mod tests;
