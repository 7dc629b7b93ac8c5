//! `ladder replay nats://HOST:PORT --subject ladder.raw.> [--from T --to T]`: the raw frames
//! JetStream retained, replayed through the same pipeline as a capture file.
//!
//! The frames in the window are first written, as the capture lines `ladder record` writes,
//! into the report directory (`bus-capture.<venue>.txt`, one per venue); then those files are
//! replayed by [`crate::replay::replay_with_swaps`] exactly as `ladder replay FILE...` replays
//! captures (decode, sync, the hot loop, strategies, the same report). The files stay in the
//! report: `ladder replay` of them gives the same report again, without the bus.

use super::{LineSink, ReadCounts, ReadOptions, read_raw};
use crate::bus::BusError;
use crate::capture::merge::CaptureInput;
use crate::feed::Venue;
use crate::record::writer::capture_path;
use crate::replay::{ReplayError, ReplayOptions, SwapAt, replay_with_swaps};
use crate::report::summary::Summary;
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use thiserror::Error;

/// The capture files' name in the report directory, before the venue is put in.
pub const CAPTURE_NAME: &str = "bus-capture.txt";

/// Why a replay from the bus failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BusReplayError {
    /// Reading the bus failed, or nothing was in the window.
    #[error(transparent)]
    Bus(#[from] BusError),
    /// The replay of the frames failed.
    #[error(transparent)]
    Replay(#[from] ReplayError),
}

/// What a replay from the bus ended with.
#[derive(Debug)]
pub struct BusReplay {
    /// What was read from the bus.
    pub counts: ReadCounts,
    /// The captures written and replayed, one per venue.
    pub captures: Vec<CaptureInput>,
    /// The replay's summary (also `summary.json` in the report directory).
    pub summary: Summary,
}

/// The sink: a plain capture file per venue in the report directory.
struct Files {
    dir: PathBuf,
    files: Vec<(Venue, PathBuf, BufWriter<File>, u64)>,
}

fn io_err(path: &Path, e: &std::io::Error) -> BusError {
    BusError::Config(format!("cannot write {}: {e}", path.display()))
}

impl LineSink for Files {
    fn start(&mut self, venues: &[Venue]) -> Result<(), BusError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| io_err(&self.dir, &e))?;
        for v in venues {
            let path = capture_path(&self.dir.join(CAPTURE_NAME), Some(*v), None);
            let file = File::create(&path).map_err(|e| io_err(&path, &e))?;
            self.files
                .push((*v, path, BufWriter::with_capacity(1 << 16, file), 0));
        }
        Ok(())
    }

    fn line(&mut self, venue: Venue, line: Vec<u8>) -> Result<(), BusError> {
        if let Some((_, path, w, n)) = self.files.iter_mut().find(|f| f.0 == venue) {
            w.write_all(&line).map_err(|e| io_err(path, &e))?;
            *n += 1;
        }
        Ok(())
    }
}

impl Files {
    /// Closes the files; those that got no line are removed and left out.
    fn finish(self) -> Result<Vec<CaptureInput>, BusError> {
        let mut out = Vec::new();
        for (venue, path, mut w, n) in self.files {
            w.flush().map_err(|e| io_err(&path, &e))?;
            drop(w);
            if n == 0 {
                let _ = std::fs::remove_file(&path);
            } else {
                out.push(CaptureInput { path, venue });
            }
        }
        Ok(out)
    }
}

/// Reads the frames of `read` into the report directory of `replay` and replays them (with
/// `swaps`, as `ladder replay --swap`). `replay.captures` is ignored: the captures are the
/// frames read.
///
/// # Errors
/// [`BusReplayError::Bus`] naming the URL (unreachable, nothing retained, nothing in the
/// window) or a file; [`BusReplayError::Replay`] as a replay of capture files fails.
pub fn replay_from_bus(
    read: &ReadOptions,
    mut replay: ReplayOptions,
    swaps: &[SwapAt],
) -> Result<BusReplay, BusReplayError> {
    let mut files = Files {
        dir: replay.report_dir.clone(),
        files: Vec::new(),
    };
    let counts = read_raw(read, &mut files, &AtomicBool::new(false));
    let captures = files.finish();
    let counts = counts?;
    let captures = captures?;
    if captures.is_empty() {
        return Err(BusError::Config(format!(
            "no frame of {} at {} is in the window{}: {} frames were outside it",
            read.subject,
            read.source.display_url(),
            read.window.describe(),
            counts.outside
        ))
        .into());
    }
    replay.captures.clone_from(&captures);
    let summary = replay_with_swaps(replay, swaps)?;
    Ok(BusReplay {
        counts,
        captures,
        summary,
    })
}
