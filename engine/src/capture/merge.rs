//! Several capture files read as one stream of lines.
//!
//! Files are grouped by venue, in the order given. The files of one venue are one stream,
//! read one after the other (daily files: the second continues the first's books). The
//! streams of different venues are merged by receive stamp; **ties go to the venue whose
//! first file came first on the command line**, and within one venue the file order holds, so
//! the merged order is a function of the files and their order alone. A malformed line (no
//! stamp) is passed on as soon as it is reached.
//!
//! A file that cannot be read to its end gives its complete lines; its venue's stream then goes
//! on with the next file (the books see the loss as the gap it is), and [`Captures::truncation`]
//! keeps the first such stop with the file it happened in.

use super::{CaptureError, CaptureLine, CaptureReader, LineError, Next, Truncation};
use crate::feed::Venue;
use ladder_sdk::UnixNanos;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};

/// One capture file and the venue whose wire format it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureInput {
    /// The file.
    pub path: PathBuf,
    /// Its venue.
    pub venue: Venue,
}

/// One line of the merged stream.
#[derive(Debug)]
pub struct Item<'a> {
    /// The venue of the file it came from.
    pub venue: Venue,
    /// The line.
    pub next: Next<'a>,
}

/// The line a stream holds next, copied out of its reader.
#[derive(Debug)]
enum Head {
    Empty,
    Line { line: u64, ts_recv: UnixNanos },
    Malformed { line: u64, error: LineError },
    Done,
}

#[derive(Debug)]
struct Stream {
    venue: Venue,
    files: VecDeque<PathBuf>,
    reader: Option<CaptureReader>,
    head: Head,
    frame: Vec<u8>,
}

/// Several captures as one ordered stream of lines.
#[derive(Debug)]
pub struct Captures {
    streams: Vec<Stream>,
    truncation: Option<Truncation>,
    compressed: bool,
}

impl Captures {
    /// Opens every file (so a missing one is an error before anything is read).
    pub fn open(inputs: &[CaptureInput]) -> Result<Self, CaptureError> {
        let mut streams: Vec<Stream> = Vec::new();
        let mut compressed = false;
        for input in inputs {
            let reader = CaptureReader::open(&input.path)?;
            compressed |= reader.is_compressed();
            match streams.iter_mut().find(|s| s.venue == input.venue) {
                Some(s) => s.files.push_back(input.path.clone()),
                None => streams.push(Stream {
                    venue: input.venue,
                    files: VecDeque::new(),
                    reader: Some(reader),
                    head: Head::Empty,
                    frame: Vec::new(),
                }),
            }
        }
        Ok(Self {
            streams,
            truncation: None,
            compressed,
        })
    }

    /// Reads from one reader (tests, stdin) of `venue`.
    pub fn from_reader(venue: Venue, reader: CaptureReader) -> Self {
        let compressed = reader.is_compressed();
        Self {
            streams: vec![Stream {
                venue,
                files: VecDeque::new(),
                reader: Some(reader),
                head: Head::Empty,
                frame: Vec::new(),
            }],
            truncation: None,
            compressed,
        }
    }

    /// True if any file is gzip-compressed.
    pub fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// The first place a file could not be read to its end, once reading has passed it.
    pub fn truncation(&self) -> Option<&Truncation> {
        self.truncation.as_ref()
    }

    /// The next line in merged order, or `None` when every file is read.
    pub fn next_item(&mut self) -> Option<Item<'_>> {
        if self.streams.len() == 1 {
            // One venue: lines straight from the reader, no copy.
            let only = &mut self.streams[0];
            let venue = only.venue;
            return read_direct(only, &mut self.truncation).map(|next| Item { venue, next });
        }
        for s in &mut self.streams {
            if matches!(s.head, Head::Empty) {
                fill(s, &mut self.truncation);
            }
        }
        let mut best: Option<(usize, UnixNanos)> = None;
        for (k, s) in self.streams.iter().enumerate() {
            let key = match s.head {
                Head::Line { ts_recv, .. } => ts_recv,
                Head::Malformed { .. } => UnixNanos::ZERO,
                Head::Empty | Head::Done => continue,
            };
            if best.is_none_or(|(_, b)| key < b) {
                best = Some((k, key));
            }
        }
        let (k, _) = best?;
        let s = &mut self.streams[k];
        let next = match std::mem::replace(&mut s.head, Head::Empty) {
            Head::Line { line, ts_recv } => Next::Line(CaptureLine {
                line,
                ts_recv,
                frame: &s.frame,
            }),
            Head::Malformed { line, error } => Next::Malformed { line, error },
            Head::Empty | Head::Done => return None,
        };
        Some(Item {
            venue: s.venue,
            next,
        })
    }
}

/// Keeps the first stop of any file.
fn note(truncation: &mut Option<Truncation>, reader: &CaptureReader) {
    if truncation.is_none()
        && let Some(t) = reader.truncation()
    {
        *truncation = Some(Truncation {
            after_line: t.after_line,
            error: format!("{}: {}", reader.path().display(), t.error),
        });
    }
}

/// Moves a stream to its next file; `false` when it has none.
fn next_file(s: &mut Stream, truncation: &mut Option<Truncation>) -> bool {
    if let Some(r) = s.reader.take() {
        note(truncation, &r);
    }
    while let Some(path) = s.files.pop_front() {
        match CaptureReader::open(&path) {
            Ok(r) => {
                s.reader = Some(r);
                return true;
            }
            Err(e) => {
                if truncation.is_none() {
                    *truncation = Some(Truncation {
                        after_line: 0,
                        error: e.to_string(),
                    });
                }
            }
        }
    }
    false
}

fn read_direct<'a>(s: &'a mut Stream, truncation: &mut Option<Truncation>) -> Option<Next<'a>> {
    loop {
        let reader = s.reader.as_mut()?;
        // A read error ends the file: it is kept in the reader's truncation.
        if let Ok(Some(_)) = reader.next_line() {
            break;
        }
        if !next_file(s, truncation) {
            return None;
        }
    }
    s.reader.as_mut()?.current()
}

fn fill(s: &mut Stream, truncation: &mut Option<Truncation>) {
    loop {
        let Some(reader) = s.reader.as_mut() else {
            s.head = Head::Done;
            return;
        };
        match reader.next_line() {
            Ok(Some(Next::Line(l))) => {
                s.frame.clear();
                s.frame.extend_from_slice(l.frame);
                s.head = Head::Line {
                    line: l.line,
                    ts_recv: l.ts_recv,
                };
                return;
            }
            Ok(Some(Next::Malformed { line, error })) => {
                s.head = Head::Malformed { line, error };
                return;
            }
            Ok(None) | Err(_) => {
                if !next_file(s, truncation) {
                    s.head = Head::Done;
                    return;
                }
            }
        }
    }
}

/// Lines read at most to recognize a capture's venue.
pub const SNIFF_LINES: usize = 10_000;

/// Why the venue of a capture argument is not known.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The capture could not be read.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// Its content does not say.
    #[error(
        "cannot tell the venue of {path} from its first {SNIFF_LINES} lines (no frame names it); \
         give --venue V or write it as V:{path} (venues: {names})",
        names = Venue::names()
    )]
    Unknown {
        /// The file.
        path: String,
    },
}

impl CaptureInput {
    /// A capture argument: `PATH`, or `VENUE:PATH` naming its venue. Without one the venue is
    /// `venue` if given, else recognized from the file's content.
    pub fn parse(arg: &str, venue: Option<Venue>) -> Result<Self, InputError> {
        if let Some((v, path)) = arg.split_once(':')
            && let Ok(v) = v.parse::<Venue>()
        {
            return Ok(Self {
                path: PathBuf::from(path),
                venue: v,
            });
        }
        let path = PathBuf::from(arg);
        let venue = match venue {
            Some(v) => v,
            None => detect_venue(&path)?,
        };
        Ok(Self { path, venue })
    }
}

/// The venue of the capture at `path`, from the first of its first [`SNIFF_LINES`] lines
/// whose frame says ([`Venue::sniff`]).
pub fn detect_venue(path: &Path) -> Result<Venue, InputError> {
    let mut reader = CaptureReader::open(path)?;
    for _ in 0..SNIFF_LINES {
        match reader.next_line() {
            Ok(Some(Next::Line(l))) => {
                if let Some(v) = Venue::sniff(l.frame) {
                    return Ok(v);
                }
            }
            Ok(Some(Next::Malformed { .. })) => {}
            Ok(None) | Err(_) => break,
        }
    }
    Err(InputError::Unknown {
        path: path.display().to_string(),
    })
}

/// The paths of `inputs`, for messages.
pub fn describe(inputs: &[CaptureInput]) -> String {
    inputs
        .iter()
        .map(|i| i.path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
