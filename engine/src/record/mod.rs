//! `ladder record`: write what a live feed receives as a capture file (`docs/venues.md` §9).
//!
//! ```text
//!  venue (Binance or the built-in sim) ──ws/rest──► feed thread: the live connector (resyncs,
//!        reconnects) ──FrameTap: one line per frame / snapshot──► bounded channel
//!        ──► writer thread: FILE (gzip if *.gz), rotated, flushed every second, synced
//!            every --sync-every (never replacing an existing file without --force)
//!  feed thread ──FeedOutput──► the recorder's own books (final top-N, `--books`)
//! ```
//!
//! Several venues are recorded side by side, each with its own feed, tap, writer and capture
//! file, the venue's name before the extension (`cap.txt.gz` → `cap.binance-spot.txt.gz`,
//! `cap.binance-usdm.txt.gz`; [`writer::capture_path`]), so each capture holds one venue's
//! wire format and inspects on its own, and `ladder replay` of the files together merges them
//! by receive time. One venue keeps the name as given.
//!
//! Lines are `<ts_recv_unix_ns> <frame>`: every WebSocket data frame exactly as received
//! (combined-stream envelopes; CR/LF, which Binance never sends, become spaces), stamped when it
//! was read, and every REST depth snapshot the connector took up, as
//! `{"stream":"<symbol>@depthSnapshot","data":<body>}` stamped when its body was read. Lines are
//! in the order the connector processed them, so `ladder inspect` / `ladder replay` on the file
//! repeat the connector's sequencing. File naming, rotation and flushing: [`writer`].
//!
//! Where a replay and the live feed can differ: the connector starts a fresh sequencer on a
//! reconnect (a replay sees the jump in update ids as a gap, then resyncs on the next snapshot
//! in the file), and a snapshot the connector found older than its buffered diffs, discarded and
//! fetched again, is in the file too (a replay counts it as a gap, then lines up with the next
//! one). On a clean run both end with the same book: `--books` writes the recorder's.

mod books;
pub mod tap;
pub mod writer;

pub use books::{BookOutput, FinalBook, SharedBooks, final_books};
pub use tap::{RecordTap, TapCounts};
pub use writer::{FileWritten, Rotate, WriterConfig, capture_path, rotated_path};

use crate::config::InstrumentConfig;
use crate::feed::Venue;
use crate::feed::live::{FeedCounters, FeedStatus, FrameTap, LiveFeedHandle, ResyncRequester};
use crate::instrument::Registry;
use crate::session::{ConnectedVenue, MarketError, SessionMarket, connect};
use crossbeam::channel::Sender;
use ladder_sdk::InstrumentId;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use thiserror::Error;

/// Lines buffered between a feed thread and its writer (about 10 s at 20,000 frames/s).
pub const CHANNEL_LINES: usize = 1 << 18;

/// Everything `ladder record` needs.
#[derive(Debug, Clone)]
pub struct RecordOptions {
    /// What to record: one venue, or several (one capture each), each with its feed watchdog.
    pub markets: Vec<SessionMarket>,
    /// Configured tick and lot sizes; other symbols' come from exchangeInfo.
    pub instruments: Vec<InstrumentConfig>,
    /// Output file as given, rotation, flushing. With several venues each writes its own
    /// capture, the venue named in the file name ([`capture_path`]).
    pub writer: WriterConfig,
    /// Stop after this long (else at Ctrl-C).
    pub duration: Option<Duration>,
    /// A status line on stderr this often.
    pub status_every: Option<Duration>,
    /// Levels per side in the final books.
    pub depth: usize,
}

/// What a recording wrote for one venue.
#[derive(Debug, Clone)]
pub struct VenueRecording {
    /// The venue.
    pub venue: Venue,
    /// True for the built-in simulated venue.
    pub simulated: bool,
    /// Frames and snapshots the tap saw, and drops.
    pub tap: TapCounts,
    /// Files written, in order.
    pub files: Vec<FileWritten>,
    /// The feed's counters at the end.
    pub feed: FeedCounters,
}

impl VenueRecording {
    /// Lines written over its files.
    pub fn lines(&self) -> u64 {
        self.files.iter().map(|f| f.lines).sum()
    }

    /// Bytes on disk over its files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
}

/// What a recording wrote.
#[derive(Debug, Clone)]
pub struct RecordSummary {
    /// Each venue's capture, in the order of the venues.
    pub venues: Vec<VenueRecording>,
    /// Wall time.
    pub seconds: f64,
    /// Each instrument's book when recording stopped, by name (`binance-spot:BTCUSDT`).
    pub books: BTreeMap<String, FinalBook>,
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl RecordSummary {
    /// Lines written over all files.
    pub fn lines(&self) -> u64 {
        self.venues.iter().map(VenueRecording::lines).sum()
    }

    /// Bytes on disk over all files.
    pub fn bytes(&self) -> u64 {
        self.venues.iter().map(VenueRecording::bytes).sum()
    }

    /// Lines dropped over all venues because a writer fell behind.
    pub fn dropped(&self) -> u64 {
        self.venues.iter().map(|v| v.tap.dropped).sum()
    }

    /// Files written over all venues.
    pub fn files(&self) -> impl Iterator<Item = &FileWritten> {
        self.venues.iter().flat_map(|v| &v.files)
    }

    /// A few lines for a person: per venue what was recorded, its files and its feed.
    pub fn to_human(&self) -> String {
        use std::fmt::Write as _;
        let mut o = String::new();
        let several = self.venues.len() > 1;
        if several {
            let files = self.files().count();
            let _ = writeln!(
                o,
                "recorded {} venues in {:.1}s: {} lines, {} bytes in {} files (one capture per venue); dropped {}",
                self.venues.len(),
                self.seconds,
                self.lines(),
                self.bytes(),
                files,
                self.dropped(),
            );
        }
        for v in &self.venues {
            let t = &v.tap;
            let files = v.files.len();
            let simulated = if v.simulated { " (simulated)" } else { "" };
            if several {
                let _ = writeln!(
                    o,
                    "{}{simulated}: {} frames and {} snapshots, {} lines, {} bytes in {} file{}; dropped {}",
                    v.venue,
                    t.frames,
                    t.snapshots,
                    v.lines(),
                    v.bytes(),
                    files,
                    plural(files),
                    t.dropped,
                );
            } else {
                let _ = writeln!(
                    o,
                    "recorded {} frames and {} snapshots from {}{simulated} in {:.1}s: {} lines, {} bytes in {} file{}; dropped {}",
                    t.frames,
                    t.snapshots,
                    v.venue,
                    self.seconds,
                    v.lines(),
                    v.bytes(),
                    files,
                    plural(files),
                    t.dropped,
                );
            }
            for f in &v.files {
                let _ = writeln!(
                    o,
                    "  {}  {} lines, {} bytes",
                    f.path.display(),
                    f.lines,
                    f.bytes
                );
            }
            let c = &v.feed;
            let prefix = format!("{}:", v.venue);
            let states: Vec<String> = self
                .books
                .iter()
                .filter(|(name, _)| name.starts_with(&prefix))
                .map(|(s, b)| format!("{s} {}", b.state))
                .collect();
            let _ = writeln!(
                o,
                "feed{}: {} messages, {} snapshots, {} gaps, {} resyncs, {} reconnects; {}",
                if several {
                    format!(" {}", v.venue)
                } else {
                    String::new()
                },
                c.messages,
                c.snapshots,
                c.gaps,
                c.resyncs,
                c.reconnects,
                states.join(", ")
            );
            if t.rewritten > 0 {
                let _ = writeln!(
                    o,
                    "note: {} frames of {} held CR/LF, written as spaces",
                    t.rewritten, v.venue
                );
            }
        }
        o
    }
}

/// Why recording failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The market could not be reached (simulator start, instrument specs).
    #[error(transparent)]
    Market(#[from] MarketError),
    /// The feed did not start.
    #[error("cannot start the feed: {0}")]
    Feed(#[from] crate::feed::live::FeedError),
    /// The capture could not be written (the message names the file).
    #[error(transparent)]
    Write(std::io::Error),
    /// A thread could not be started or ended badly.
    #[error("{0}")]
    Thread(String),
}

/// Set by the Ctrl-C handler.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// One venue being recorded: its tap, writer thread, books and feed.
struct Recorder {
    venue: Venue,
    simulated: bool,
    tx: Sender<tap::Msg>,
    tap: Arc<RecordTap>,
    progress: Arc<writer::Progress>,
    writer: JoinHandle<std::io::Result<Vec<FileWritten>>>,
    books: SharedBooks,
    feed: Option<LiveFeedHandle>,
}

impl Recorder {
    /// Starts the writer of `config` (its first file is created already) and the venue's feed
    /// with the tap.
    fn start(
        venue: &ConnectedVenue,
        config: WriterConfig,
        registry: &Arc<Registry>,
    ) -> Result<Self, RecordError> {
        let (tx, rx) = crossbeam::channel::bounded(CHANNEL_LINES);
        let progress = Arc::new(writer::Progress::default());
        let resync: Arc<OnceLock<(ResyncRequester, Vec<InstrumentId>)>> = Arc::new(OnceLock::new());
        let writer = {
            let (progress, resync) = (Arc::clone(&progress), Arc::clone(&resync));
            std::thread::Builder::new()
                .name(format!("ladder-record-writer-{}", venue.venue))
                .spawn(move || {
                    // A new file needs a fresh snapshot of every book to stand on its own.
                    let mut on_rotate = || {
                        if let Some((r, ids)) = resync.get() {
                            for id in ids {
                                r.request(*id);
                            }
                        }
                    };
                    writer::write_lines(&config, &rx, &progress, &mut on_rotate)
                })
                .map_err(|e| RecordError::Thread(format!("cannot start the capture writer: {e}")))?
        };
        let tap = Arc::new(RecordTap::new(tx.clone()));
        let (output, books) = BookOutput::new(registry);
        let mut recorder = Self {
            venue: venue.venue,
            simulated: venue.is_simulated(),
            tx,
            tap: Arc::clone(&tap),
            progress,
            writer,
            books,
            feed: None,
        };
        let tap_dyn: Arc<dyn FrameTap> = tap;
        match venue.spawn_feed(Arc::clone(registry), output, Some(tap_dyn)) {
            Ok(feed) => {
                let ids = registry
                    .iter()
                    .filter(|i| i.venue == venue.venue)
                    .map(|i| i.id)
                    .collect();
                let _ = resync.set((feed.resync_requester(), ids));
                recorder.feed = Some(feed);
                Ok(recorder)
            }
            Err(e) => {
                let _ = recorder.finish(registry, 0, &mut BTreeMap::new());
                Err(RecordError::Feed(e))
            }
        }
    }

    fn is_finished(&self) -> bool {
        self.writer.is_finished() || self.feed.as_ref().is_none_or(LiveFeedHandle::is_finished)
    }

    /// Stops the feed, takes its final books into `books`, closes the capture.
    fn finish(
        self,
        registry: &Registry,
        depth: usize,
        books: &mut BTreeMap<String, FinalBook>,
    ) -> Result<VenueRecording, RecordError> {
        let (feed_ok, feed) = match self.feed {
            Some(feed) => {
                let status = Arc::clone(&feed.status);
                let ok = feed.shutdown();
                books.extend(final_books(&self.books, registry, &status, depth));
                (ok, status.counters())
            }
            None => (true, FeedCounters::default()),
        };
        // The feed thread (and its tap) is gone: everything tapped is in the channel.
        let _ = self.tx.send(tap::Msg::Close);
        drop(self.tx);
        let files = self
            .writer
            .join()
            .map_err(|_| RecordError::Thread("the capture writer panicked".into()))?
            .map_err(RecordError::Write)?;
        if !feed_ok {
            return Err(RecordError::Thread(format!(
                "the feed thread of {} panicked",
                self.venue
            )));
        }
        Ok(VenueRecording {
            venue: self.venue,
            simulated: self.simulated,
            tap: self.tap.counts(),
            files,
            feed,
        })
    }
}

/// Creates the first file of every venue's capture, so a bad path or an existing file fails
/// before anything connects; on an error the files created here are removed again.
fn create_captures(configs: &[WriterConfig]) -> Result<(), RecordError> {
    let mut created: Vec<PathBuf> = Vec::new();
    for c in configs {
        match writer::create_first(c) {
            Ok(path) => created.push(path),
            Err(e) => {
                for p in created {
                    let _ = std::fs::remove_file(p);
                }
                return Err(RecordError::Write(e));
            }
        }
    }
    Ok(())
}

/// Records until Ctrl-C or the duration; returns what was written.
pub fn run_record(opts: RecordOptions) -> Result<RecordSummary, RecordError> {
    INTERRUPTED.store(false, Ordering::Relaxed);
    // Only the first handler of a process installs; a second recording reuses it.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::Relaxed));

    let connected = connect(opts.markets, &opts.instruments)?;
    let registry = Arc::new(connected.registry.clone());
    let several = connected.venues.len() > 1;
    let configs: Vec<WriterConfig> = connected
        .venues
        .iter()
        .map(|v| WriterConfig {
            venue: several.then_some(v.venue),
            ..opts.writer.clone()
        })
        .collect();
    // The writers first: a path that cannot be written fails before anything connects.
    if let Err(e) = create_captures(&configs) {
        connected.stop();
        return Err(e);
    }
    let mut recorders: Vec<Recorder> = Vec::with_capacity(configs.len());
    for (venue, config) in connected.venues.iter().zip(configs) {
        match Recorder::start(venue, config, &registry) {
            Ok(r) => recorders.push(r),
            Err(e) => {
                for r in recorders {
                    let _ = r.finish(&registry, 0, &mut BTreeMap::new());
                }
                connected.stop();
                return Err(e);
            }
        }
    }

    let started = Instant::now();
    let mut next_status = opts.status_every.map(|d| started + d);
    loop {
        std::thread::sleep(Duration::from_millis(50));
        if INTERRUPTED.load(Ordering::Relaxed)
            || opts.duration.is_some_and(|d| started.elapsed() >= d)
            || recorders.iter().any(Recorder::is_finished)
        {
            break;
        }
        if let (Some(at), Some(every)) = (next_status, opts.status_every)
            && Instant::now() >= at
        {
            for r in &recorders {
                if let Some(feed) = &r.feed {
                    let venue = several.then_some(r.venue);
                    eprintln!(
                        "{}",
                        status_line(started, venue, &r.tap, &r.progress, &feed.status)
                    );
                }
            }
            next_status = Some(at + every);
        }
    }

    let mut books = BTreeMap::new();
    let mut venues = Vec::with_capacity(recorders.len());
    let mut first_error = None;
    for r in recorders {
        match r.finish(&registry, opts.depth, &mut books) {
            Ok(v) => venues.push(v),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    connected.stop();
    if let Some(e) = first_error {
        return Err(e);
    }
    Ok(RecordSummary {
        venues,
        seconds: started.elapsed().as_secs_f64(),
        books,
    })
}

fn status_line(
    started: Instant,
    venue: Option<Venue>,
    tap: &RecordTap,
    progress: &writer::Progress,
    status: &FeedStatus,
) -> String {
    let t = tap.counts();
    let g = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    let states: Vec<String> = status
        .instruments()
        .iter()
        .map(|i| format!("{} {}", i.symbol, i.state.as_str()))
        .collect();
    let c = status.counters();
    format!(
        "[{:>5.0}s] {}frames {} snapshots {} | written {} lines {} bytes, {} file(s) | dropped {} | gaps {} reconnects {} | {}",
        started.elapsed().as_secs_f64(),
        venue.map_or_else(String::new, |v| format!("{v}: ")),
        t.frames,
        t.snapshots,
        g(&progress.lines),
        g(&progress.raw_bytes),
        g(&progress.files),
        t.dropped,
        c.gaps,
        c.reconnects,
        states.join(", ")
    )
}
