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
pub use writer::{FileWritten, Rotate, WriterConfig, rotated_path};

use crate::config::InstrumentConfig;
use crate::feed::Venue;
use crate::feed::live::{FeedCounters, LiveFeedConfig, ResyncRequester, spawn_feed};
use crate::session::{Market, MarketError, connect};
use ladder_sdk::InstrumentId;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use thiserror::Error;

/// Lines buffered between the feed thread and the writer (about 10 s at 20,000 frames/s).
pub const CHANNEL_LINES: usize = 1 << 18;

/// Everything `ladder record` needs.
#[derive(Debug, Clone)]
pub struct RecordOptions {
    /// What to record.
    pub market: Market,
    /// Configured tick and lot sizes; other symbols' come from exchangeInfo.
    pub instruments: Vec<InstrumentConfig>,
    /// Output file, rotation, flushing.
    pub writer: WriterConfig,
    /// Stop after this long (else at Ctrl-C).
    pub duration: Option<Duration>,
    /// Feed watchdog.
    pub watchdog: Duration,
    /// A status line on stderr this often.
    pub status_every: Option<Duration>,
    /// Levels per side in the final books.
    pub depth: usize,
}

/// What a recording wrote.
#[derive(Debug, Clone)]
pub struct RecordSummary {
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
    /// Wall time.
    pub seconds: f64,
    /// Each symbol's book when recording stopped.
    pub books: BTreeMap<String, FinalBook>,
}

impl RecordSummary {
    /// Lines written over all files.
    pub fn lines(&self) -> u64 {
        self.files.iter().map(|f| f.lines).sum()
    }

    /// Bytes on disk over all files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    /// A few lines for a person.
    pub fn to_human(&self) -> String {
        use std::fmt::Write as _;
        let mut o = String::new();
        let t = &self.tap;
        let files = self.files.len();
        let _ = writeln!(
            o,
            "recorded {} frames and {} snapshots from {}{} in {:.1}s: {} lines, {} bytes in {} file{}; dropped {}",
            t.frames,
            t.snapshots,
            self.venue,
            if self.simulated { " (simulated)" } else { "" },
            self.seconds,
            self.lines(),
            self.bytes(),
            files,
            if files == 1 { "" } else { "s" },
            t.dropped,
        );
        for f in &self.files {
            let _ = writeln!(
                o,
                "  {}  {} lines, {} bytes",
                f.path.display(),
                f.lines,
                f.bytes
            );
        }
        let c = &self.feed;
        let states: Vec<String> = self
            .books
            .iter()
            .map(|(s, b)| format!("{s} {}", b.state))
            .collect();
        let _ = writeln!(
            o,
            "feed: {} messages, {} snapshots, {} gaps, {} resyncs, {} reconnects; {}",
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
                "note: {} frames held CR/LF, written as spaces",
                t.rewritten
            );
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

/// Records until Ctrl-C or the duration; returns what was written.
pub fn run_record(opts: RecordOptions) -> Result<RecordSummary, RecordError> {
    INTERRUPTED.store(false, Ordering::Relaxed);
    // Only the first handler of a process installs; a second recording reuses it.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::Relaxed));

    let connected = connect(opts.market, &opts.instruments)?;
    let simulated = connected.is_simulated();
    let (venue, endpoints, registry) = (
        connected.venue,
        connected.endpoints.clone(),
        connected.registry.clone(),
    );
    let symbols: Vec<String> = registry.iter().map(|i| i.symbol.clone()).collect();

    // The writer first: a path that cannot be written fails before anything connects.
    writer::create_first(&opts.writer).map_err(RecordError::Write)?;
    let (tx, rx) = crossbeam::channel::bounded(CHANNEL_LINES);
    let progress = Arc::new(writer::Progress::default());
    let resync: Arc<OnceLock<(ResyncRequester, Vec<InstrumentId>)>> = Arc::new(OnceLock::new());
    let writer_thread = {
        let (config, progress, resync) = (
            opts.writer.clone(),
            Arc::clone(&progress),
            Arc::clone(&resync),
        );
        std::thread::Builder::new()
            .name("ladder-record-writer".into())
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

    let mut feed_config = LiveFeedConfig::new(venue, symbols);
    feed_config.endpoints = endpoints;
    feed_config.watchdog = opts.watchdog;
    feed_config.tap = Some(Arc::clone(&tap) as Arc<dyn crate::feed::live::FrameTap>);
    let (output, books) = BookOutput::new(&registry);
    let registry = Arc::new(registry);
    let feed = spawn_feed(feed_config, Arc::clone(&registry), output)?;
    let ids: Vec<InstrumentId> = registry.iter().map(|i| i.id).collect();
    let _ = resync.set((feed.resync_requester(), ids));

    let started = Instant::now();
    let mut next_status = opts.status_every.map(|d| started + d);
    loop {
        std::thread::sleep(Duration::from_millis(50));
        if INTERRUPTED.load(Ordering::Relaxed)
            || opts.duration.is_some_and(|d| started.elapsed() >= d)
            || writer_thread.is_finished()
            || feed.is_finished()
        {
            break;
        }
        if let (Some(at), Some(every)) = (next_status, opts.status_every)
            && Instant::now() >= at
        {
            eprintln!("{}", status_line(started, &tap, &progress, &feed.status));
            next_status = Some(at + every);
        }
    }

    let status = Arc::clone(&feed.status);
    let feed_ok = feed.shutdown();
    let feed_counters = status.counters();
    let final_books = final_books(&books, &registry, &status, opts.depth);
    // The feed thread (and its tap) is gone: everything tapped is in the channel.
    let _ = tx.send(tap::Msg::Close);
    drop(tx);
    let files = writer_thread
        .join()
        .map_err(|_| RecordError::Thread("the capture writer panicked".into()))?
        .map_err(RecordError::Write)?;
    connected.stop();
    if !feed_ok {
        return Err(RecordError::Thread("the feed thread panicked".into()));
    }
    Ok(RecordSummary {
        venue,
        simulated,
        tap: tap.counts(),
        files,
        feed: feed_counters,
        seconds: started.elapsed().as_secs_f64(),
        books: final_books,
    })
}

fn status_line(
    started: Instant,
    tap: &RecordTap,
    progress: &writer::Progress,
    status: &crate::feed::live::FeedStatus,
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
        "[{:>5.0}s] frames {} snapshots {} | written {} lines {} bytes, {} file(s) | dropped {} | gaps {} reconnects {} | {}",
        started.elapsed().as_secs_f64(),
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
