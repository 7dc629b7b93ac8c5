//! `ladder record --source nats://...`: the raw frames JetStream retained, written as capture
//! files exactly as `ladder record` writes a live venue's (the same lines, gzip when the name
//! ends in `.gz`, rotation, flushing and syncing by [`crate::record::writer`]); one capture per
//! venue, named as `record` names them for several venues (`cap.txt.gz` →
//! `cap.binance-spot.txt.gz`), or `--out` as given when the subject holds one venue.
//!
//! Ends at the end of what was retained, or with `follow` keeps recording live until Ctrl-C
//! or the duration. A rotation cannot ask the bus for a fresh snapshot (there is no connector to
//! ask): the files of a rotated capture from the bus continue each other and are replayed
//! together, in order.

use super::{LineSink, ReadCounts, ReadOptions, read_raw};
use crate::bus::BusError;
use crate::feed::Venue;
use crate::record::tap::Msg;
use crate::record::writer::{self, FileWritten, Progress, WriterConfig};
use crossbeam::channel::Sender;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Instant;

/// Lines buffered between the reader and each writer.
const CHANNEL_LINES: usize = 1 << 14;

/// Set by the Ctrl-C handler.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Everything `ladder record --source` needs.
#[derive(Debug, Clone)]
pub struct BusRecordOptions {
    /// What to read.
    pub read: ReadOptions,
    /// The capture as given (`--out`), rotation, flushing.
    pub writer: WriterConfig,
}

/// What a recording from the bus wrote.
#[derive(Debug, Clone)]
pub struct BusRecordSummary {
    /// What was read.
    pub counts: ReadCounts,
    /// Each venue's files, in order.
    pub venues: Vec<(Venue, Vec<FileWritten>)>,
    /// Wall time.
    pub seconds: f64,
}

impl BusRecordSummary {
    /// A few lines for a person.
    pub fn to_human(&self, url: &str, subject: &str) -> String {
        use std::fmt::Write as _;
        let c = &self.counts;
        let mut o = String::new();
        let _ = writeln!(
            o,
            "recorded {} frames ({} snapshots) of {subject} at {url} in {:.1}s; {} outside the \
             window, {} gaps, {} publisher restarts, {} undecodable",
            c.frames, c.snapshots, self.seconds, c.outside, c.gaps, c.restarts, c.decode_errors
        );
        for (venue, files) in &self.venues {
            let _ = writeln!(
                o,
                "{venue}: {} frames",
                c.per_venue.get(venue.name()).copied().unwrap_or(0)
            );
            for f in files {
                let _ = writeln!(
                    o,
                    "  {}  {} lines, {} bytes",
                    f.path.display(),
                    f.lines,
                    f.bytes
                );
            }
        }
        o
    }
}

/// One venue's writer thread.
struct Writer {
    venue: Venue,
    tx: Sender<Msg>,
    thread: JoinHandle<std::io::Result<Vec<FileWritten>>>,
}

/// The sink: a writer thread per venue.
struct Files {
    config: WriterConfig,
    writers: Vec<Writer>,
}

fn write_err(e: &dyn std::fmt::Display) -> BusError {
    BusError::Config(format!("cannot write the capture: {e}"))
}

impl LineSink for Files {
    fn start(&mut self, venues: &[Venue]) -> Result<(), BusError> {
        let several = venues.len() > 1;
        let configs: Vec<WriterConfig> = venues
            .iter()
            .map(|v| WriterConfig {
                venue: several.then_some(*v),
                ..self.config.clone()
            })
            .collect();
        let mut created = Vec::new();
        for c in &configs {
            match writer::create_first(c) {
                Ok(p) => created.push(p),
                Err(e) => {
                    for p in created {
                        let _ = std::fs::remove_file(p);
                    }
                    return Err(write_err(&e));
                }
            }
        }
        for (venue, config) in venues.iter().zip(configs) {
            let (tx, rx) = crossbeam::channel::bounded(CHANNEL_LINES);
            let thread = std::thread::Builder::new()
                .name(format!("ladder-record-writer-{venue}"))
                .spawn(move || {
                    let progress = Arc::new(Progress::default());
                    writer::write_lines(&config, &rx, &progress, &mut || {})
                })
                .map_err(|e| BusError::Thread(format!("cannot start the capture writer: {e}")))?;
            self.writers.push(Writer {
                venue: *venue,
                tx,
                thread,
            });
        }
        Ok(())
    }

    fn line(&mut self, venue: Venue, line: Vec<u8>) -> Result<(), BusError> {
        match self.writers.iter().find(|w| w.venue == venue) {
            Some(w) => {
                w.tx.send(Msg::Line(line))
                    .map_err(|_| BusError::Thread(format!("the capture writer of {venue} stopped")))
            }
            None => {
                // A venue that appeared on the subject after the recording started (--follow).
                tracing::warn!(%venue, "raw frames of a venue not on the bus at the start skipped");
                Ok(())
            }
        }
    }
}

impl Files {
    /// Closes every capture; the files written per venue.
    fn finish(self) -> Result<Vec<(Venue, Vec<FileWritten>)>, BusError> {
        let mut out = Vec::new();
        let mut first_err = None;
        for w in self.writers {
            let _ = w.tx.send(Msg::Close);
            drop(w.tx);
            match w.thread.join() {
                Ok(Ok(files)) => out.push((w.venue, files)),
                Ok(Err(e)) => {
                    first_err.get_or_insert(write_err(&e));
                }
                Err(_) => {
                    first_err.get_or_insert(BusError::Thread("the capture writer panicked".into()));
                }
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }
}

/// Records what the bus retained (or, following, receives) on `opts.read.subject`.
///
/// # Errors
/// [`BusError`] naming the URL or the file: the server cannot be reached, nothing is retained,
/// a capture cannot be written.
pub fn record_from_bus(opts: &BusRecordOptions) -> Result<BusRecordSummary, BusError> {
    INTERRUPTED.store(false, Ordering::Relaxed);
    if opts.read.follow {
        let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::Relaxed));
    }
    let started = Instant::now();
    let mut files = Files {
        config: opts.writer.clone(),
        writers: Vec::new(),
    };
    let read = read_raw(&opts.read, &mut files, &INTERRUPTED);
    let venues = files.finish();
    let counts = read?;
    Ok(BusRecordSummary {
        counts,
        venues: venues?,
        seconds: started.elapsed().as_secs_f64(),
    })
}
