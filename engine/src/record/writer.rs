//! The writer thread of `ladder record`: capture lines from the channel into files, gzip when
//! the name ends in `.gz`, rotated by size or time, flushed every second, synced to disk every
//! few seconds. An existing file is never overwritten unless asked (`--force`).
//!
//! # File names
//! Without rotation the capture is exactly `FILE`. With rotation every file is numbered from 1,
//! four digits (more past 9999), before the extension: `.gz` and one more extension are kept
//! together, so `cap.txt.gz` → `cap.0001.txt.gz`, `cap.0002.txt.gz`, ...; `cap.gz` →
//! `cap.0001.gz`; `cap.txt` → `cap.0001.txt`; `cap` → `cap.0001`.
//!
//! A recording of several venues writes one capture per venue, the venue's name before the
//! extension (and before the rotation number): `cap.txt.gz` → `cap.binance-spot.txt.gz` and
//! `cap.binance-usdm.txt.gz`; rotated, `cap.binance-spot.0001.txt.gz`, ... A recording of one
//! venue keeps the name as given ([`capture_path`]).
//!
//! # Rotation
//! A file is closed before the first line that finds it at or past `--rotate-size` bytes on
//! disk (for gzip: compressed bytes written so far, which trail the input by up to a second),
//! or `--rotate-every` after it was opened; the line goes into the next file. On each rotation
//! the writer calls its `on_rotate` hook: `ladder record` asks the connector for a fresh REST
//! snapshot of every symbol, so each file holds a snapshot of every symbol a moment after its
//! start (the diffs before it are the ones buffered for it) and inspects or replays on its own.
//! Taken together, in order, the files are the continuous recording; a replay of them one after
//! the other meets each rotation's snapshot mid-stream and restarts the book from it.
//!
//! # Durability
//! Lines go through a buffered writer that is flushed at least every `flush_every` (1 s): for
//! gzip a `Z_SYNC_FLUSH`, so everything written so far decodes from the file as it is on disk
//! (without the gzip trailer, which is written when the file is closed). A killed process loses
//! at most the last second: `ladder inspect` and `ladder replay` read such a file up to its last
//! complete line and say where it stopped. The file is also synced to the disk (`fdatasync`)
//! every `sync_every` (`--sync-every`, default 5 s) and in full (`fsync`, with its directory
//! entry) when it is closed at a rotation or at the end, so a power loss or an OS crash loses at
//! most the last `sync_every`.
//!
//! # Existing files
//! Without `overwrite` (`--force`) every file is created only if it does not exist yet: an
//! existing `--out` (or numbered file of a rotation) is an error naming it, before anything is
//! written.

use super::tap::Msg;
use crate::feed::Venue;
use crossbeam::channel::{Receiver, RecvTimeoutError};
use flate2::Compression;
use flate2::write::GzEncoder;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// When to start a new file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotate {
    /// One file.
    Never,
    /// When the file reaches this many bytes on disk.
    Size(u64),
    /// This long after the file was opened.
    Every(Duration),
}

/// Where and how to write.
#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// The capture path as given (`--out`).
    pub path: PathBuf,
    /// The venue named in the file names, when a recording writes one capture per venue
    /// (`None`: the name as given).
    pub venue: Option<Venue>,
    /// Rotation.
    pub rotate: Rotate,
    /// Longest time between flushes.
    pub flush_every: Duration,
    /// Longest time between syncs to the disk.
    pub sync_every: Duration,
    /// Replace existing files (`--force`); otherwise an existing file is an error.
    pub overwrite: bool,
}

/// Default of `--sync-every`.
pub const DEFAULT_SYNC_EVERY: Duration = Duration::from_secs(5);

/// One file written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileWritten {
    /// Its path.
    pub path: PathBuf,
    /// Lines in it.
    pub lines: u64,
    /// Its size on disk.
    pub bytes: u64,
}

/// Live progress, readable while the writer runs.
#[derive(Debug, Default)]
pub struct Progress {
    /// Lines written.
    pub lines: AtomicU64,
    /// Line bytes written (uncompressed).
    pub raw_bytes: AtomicU64,
    /// Files opened.
    pub files: AtomicU64,
    /// Syncs to the disk (periodic and at each close).
    pub syncs: AtomicU64,
}

/// The `n`th file (from 1) of a rotated capture named `path` (see the module docs).
pub fn rotated_path(path: &Path, n: u32) -> PathBuf {
    capture_path(path, None, Some(n))
}

/// The file of a capture named `path` (as given to `--out`): with `venue`, that venue's
/// capture of a recording of several venues; with `rotation`, its `n`th file (from 1). Both go
/// before the extension, `.gz` and one more extension kept together: `cap.txt.gz`, venue
/// `binance-usdm`, file 2 → `cap.binance-usdm.0002.txt.gz`.
pub fn capture_path(path: &Path, venue: Option<Venue>, rotation: Option<u32>) -> PathBuf {
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (rest, gz) = match name.strip_suffix(".gz") {
        Some(r) if !r.is_empty() => (r, ".gz"),
        _ => (name.as_str(), ""),
    };
    let (stem, ext) = match rest.rfind('.') {
        Some(i) if i > 0 => (&rest[..i], &rest[i..]),
        _ => (rest, ""),
    };
    let venue = venue.map_or_else(String::new, |v| format!(".{v}"));
    let n = rotation.map_or_else(String::new, |n| format!(".{n:04}"));
    path.with_file_name(format!("{stem}{venue}{n}{ext}{gz}"))
}

impl WriterConfig {
    /// The `n`th file (from 1) this writer writes: numbered only when rotating.
    pub fn file(&self, n: u32) -> PathBuf {
        let rotation = (self.rotate != Rotate::Never).then_some(n);
        capture_path(&self.path, self.venue, rotation)
    }
}

/// A file that counts the bytes written to it.
struct Counted {
    file: File,
    bytes: u64,
}

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

enum Out {
    Plain(BufWriter<Counted>),
    Gzip(BufWriter<GzEncoder<Counted>>),
}

struct Open {
    path: PathBuf,
    out: Out,
    opened: Instant,
    lines: u64,
}

fn io_err(path: &Path, what: &str, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("cannot {what} {}: {e}", path.display()))
}

/// Creates `path` for writing: truncated if `overwrite`, else only if it does not exist.
fn create_file(path: &Path, overwrite: bool) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if overwrite {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    options.open(path).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            io::Error::new(
                e.kind(),
                format!(
                    "capture file {} already exists; pass --force to overwrite it",
                    path.display()
                ),
            )
        } else {
            io_err(path, "create", e)
        }
    })
}

/// Syncs the directory holding `path`, so a new file's name survives a crash. Best effort:
/// not every platform can open a directory.
fn sync_dir(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

impl Open {
    fn create(path: PathBuf, overwrite: bool) -> io::Result<Self> {
        let file = create_file(&path, overwrite)?;
        let counted = Counted { file, bytes: 0 };
        let gzip = path.extension().is_some_and(|e| e == "gz");
        let out = if gzip {
            Out::Gzip(BufWriter::with_capacity(
                1 << 16,
                GzEncoder::new(counted, Compression::default()),
            ))
        } else {
            Out::Plain(BufWriter::with_capacity(1 << 16, counted))
        };
        Ok(Self {
            path,
            out,
            opened: Instant::now(),
            lines: 0,
        })
    }

    /// Bytes on disk so far (plain: including what is still buffered).
    fn size(&self) -> u64 {
        match &self.out {
            Out::Plain(w) => w.get_ref().bytes + w.buffer().len() as u64,
            Out::Gzip(w) => w.get_ref().get_ref().bytes,
        }
    }

    fn write(&mut self, line: &[u8]) -> io::Result<()> {
        let r = match &mut self.out {
            Out::Plain(w) => w.write_all(line),
            Out::Gzip(w) => w.write_all(line),
        };
        self.lines += 1;
        r.map_err(|e| io_err(&self.path, "write", e))
    }

    /// Flushes the buffer and, for gzip, the compressor (`Z_SYNC_FLUSH`).
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.out {
            Out::Plain(w) => w.flush(),
            Out::Gzip(w) => w.flush(),
        }
        .map_err(|e| io_err(&self.path, "flush", e))
    }

    /// Flushes, then syncs the file's data to the disk.
    fn sync(&mut self) -> io::Result<()> {
        self.flush()?;
        let file = match &self.out {
            Out::Plain(w) => &w.get_ref().file,
            Out::Gzip(w) => &w.get_ref().get_ref().file,
        };
        file.sync_data().map_err(|e| io_err(&self.path, "sync", e))
    }

    fn close(self) -> io::Result<FileWritten> {
        let path = self.path;
        let err = |e| io_err(&path, "finish", e);
        let counted = match self.out {
            Out::Plain(w) => w.into_inner().map_err(|e| err(e.into_error()))?,
            Out::Gzip(w) => w
                .into_inner()
                .map_err(|e| err(e.into_error()))?
                .finish()
                .map_err(err)?,
        };
        counted.file.sync_all().map_err(err)?;
        sync_dir(&path);
        Ok(FileWritten {
            bytes: counted.bytes,
            lines: self.lines,
            path,
        })
    }
}

/// Writes lines from `rx` until [`Msg::Close`] or every sender is gone; returns the files
/// written, in order. `on_rotate` runs after each new file (not the first) is opened. The first
/// file is the one [`create_first`] made; later ones must not exist unless `overwrite`.
pub(crate) fn write_lines(
    config: &WriterConfig,
    rx: &Receiver<Msg>,
    progress: &Arc<Progress>,
    on_rotate: &mut dyn FnMut(),
) -> io::Result<Vec<FileWritten>> {
    let mut n: u32 = 1;
    let name = |n: u32| config.file(n);
    let mut current = Open::create(name(1), true)?;
    progress.files.fetch_add(1, Ordering::Relaxed);
    let mut done = Vec::new();
    let mut next_flush = Instant::now() + config.flush_every;
    let mut next_sync = Instant::now() + config.sync_every;
    loop {
        let wait = next_flush
            .min(next_sync)
            .saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok(Msg::Line(line)) => {
                let full = match config.rotate {
                    Rotate::Never => false,
                    Rotate::Size(max) => current.size() >= max,
                    Rotate::Every(every) => current.opened.elapsed() >= every,
                };
                if full && current.lines > 0 {
                    n += 1;
                    let next = Open::create(name(n), config.overwrite)?;
                    done.push(std::mem::replace(&mut current, next).close()?);
                    progress.syncs.fetch_add(1, Ordering::Relaxed);
                    progress.files.fetch_add(1, Ordering::Relaxed);
                    next_sync = Instant::now() + config.sync_every;
                    on_rotate();
                }
                current.write(&line)?;
                progress.lines.fetch_add(1, Ordering::Relaxed);
                progress
                    .raw_bytes
                    .fetch_add(line.len() as u64, Ordering::Relaxed);
            }
            Ok(Msg::Close) | Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {}
        }
        let now = Instant::now();
        if now >= next_sync {
            current.sync()?;
            progress.syncs.fetch_add(1, Ordering::Relaxed);
            next_sync = now + config.sync_every;
            next_flush = now + config.flush_every;
        } else if now >= next_flush {
            current.flush()?;
            next_flush = now + config.flush_every;
        }
    }
    done.push(current.close()?);
    progress.syncs.fetch_add(1, Ordering::Relaxed);
    Ok(done)
}

/// Creates the first file at once, so a bad path or an existing file (without `overwrite`)
/// fails before anything connects.
pub(crate) fn create_first(config: &WriterConfig) -> io::Result<PathBuf> {
    let path = config.file(1);
    create_file(&path, config.overwrite)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{CaptureReader, Next};
    use rstest::rstest;

    #[rstest]
    #[case::txt_gz("out/cap.txt.gz", 1, "out/cap.0001.txt.gz")]
    #[case::gz("cap.gz", 2, "cap.0002.gz")]
    #[case::txt("cap.txt", 12, "cap.0012.txt")]
    #[case::bare("cap", 3, "cap.0003")]
    #[case::dotted_stem("btc.2024.txt.gz", 1, "btc.2024.0001.txt.gz")]
    #[case::hidden(".cap", 1, ".cap.0001")]
    #[case::past_9999("cap.txt", 12345, "cap.12345.txt")]
    fn rotated_path_numbers_before_the_extension(
        #[case] path: &str,
        #[case] n: u32,
        #[case] want: &str,
    ) {
        assert_eq!(rotated_path(Path::new(path), n), PathBuf::from(want));
    }

    #[rstest]
    #[case::txt_gz("out/cap.txt.gz", None, "out/cap.binance-usdm.txt.gz")]
    #[case::txt_gz_rotated("out/cap.txt.gz", Some(2), "out/cap.binance-usdm.0002.txt.gz")]
    #[case::gz("cap.gz", None, "cap.binance-usdm.gz")]
    #[case::gz_rotated("cap.gz", Some(1), "cap.binance-usdm.0001.gz")]
    #[case::bare("cap", Some(3), "cap.binance-usdm.0003")]
    #[case::dotted_stem("btc.2024.txt", None, "btc.2024.binance-usdm.txt")]
    fn capture_path_names_the_venue_before_the_rotation_number_and_the_extension(
        #[case] path: &str,
        #[case] n: Option<u32>,
        #[case] want: &str,
    ) {
        let got = capture_path(Path::new(path), Some(Venue::BinanceUsdm), n);
        assert_eq!(got, PathBuf::from(want));
        assert_eq!(
            capture_path(Path::new(path), None, None),
            PathBuf::from(path),
            "one venue keeps the name as given"
        );
    }

    fn lines_of(path: &Path) -> Vec<u64> {
        let mut r = CaptureReader::open(path).unwrap();
        let mut ts = Vec::new();
        while let Some(n) = r.next_line().unwrap() {
            match n {
                Next::Line(l) => ts.push(l.ts_recv.as_nanos()),
                Next::Malformed { line, error } => panic!("line {line}: {error}"),
            }
        }
        ts
    }

    fn run(config: WriterConfig, lines: u64, pause_every: Option<u64>) -> (Vec<FileWritten>, u32) {
        let (tx, rx) = crossbeam::channel::bounded(16);
        let progress = Arc::new(Progress::default());
        let handle = std::thread::spawn(move || {
            let mut rotations = 0;
            let files = write_lines(&config, &rx, &progress, &mut || rotations += 1).unwrap();
            (files, rotations)
        });
        for i in 1..=lines {
            let line = format!(
                "{i} {{\"stream\":\"x@trade\",\"data\":{{\"pad\":\"{}\"}}}}\n",
                "p".repeat(100)
            );
            tx.send(Msg::Line(line.into_bytes())).unwrap();
            if pause_every.is_some_and(|p| i % p == 0) {
                std::thread::sleep(Duration::from_millis(60));
            }
        }
        tx.send(Msg::Close).unwrap();
        handle.join().unwrap()
    }

    // The gzip size grows only as the compressor flushes: 2,000 of these lines compress to
    // about 8.8 KB, so a 4 KiB limit gave two files on an idle machine (one flush per burst of
    // 100 lines) and three on a loaded one. 1 KiB gives several files either way.
    #[rstest]
    #[case::plain("cap.txt", 4096)]
    #[case::gzip("cap.txt.gz", 1024)]
    fn rotation_by_size_splits_lines_in_order_across_numbered_files(
        #[case] name: &str,
        #[case] limit: u64,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        let config = WriterConfig {
            path: path.clone(),
            venue: None,
            rotate: Rotate::Size(limit),
            flush_every: Duration::from_millis(1),
            sync_every: DEFAULT_SYNC_EVERY,
            overwrite: false,
        };
        let (files, rotations) = run(config, 2000, Some(100));
        assert!(files.len() >= 3, "{files:?}");
        assert_eq!(rotations as usize, files.len() - 1);
        let mut all = Vec::new();
        for (k, f) in files.iter().enumerate() {
            assert_eq!(f.path, rotated_path(&path, k as u32 + 1));
            assert_eq!(std::fs::metadata(&f.path).unwrap().len(), f.bytes);
            let ts = lines_of(&f.path);
            assert_eq!(ts.len() as u64, f.lines);
            all.extend(ts);
        }
        assert_eq!(all, (1..=2000).collect::<Vec<_>>());
        assert!(
            !path.exists(),
            "the unnumbered name is not written when rotating"
        );
    }

    #[test]
    fn rotation_by_time_starts_a_file_after_the_interval() {
        let dir = tempfile::tempdir().unwrap();
        let config = WriterConfig {
            path: dir.path().join("cap.txt"),
            venue: None,
            rotate: Rotate::Every(Duration::from_millis(100)),
            flush_every: Duration::from_secs(1),
            sync_every: DEFAULT_SYNC_EVERY,
            overwrite: false,
        };
        let (files, _) = run(config, 50, Some(10));
        assert!(files.len() >= 3, "{files:?}");
        assert_eq!(files.iter().map(|f| f.lines).sum::<u64>(), 50);
    }

    #[test]
    fn gzip_is_decodable_on_disk_after_a_flush_before_close() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cap.gz");
        let config = WriterConfig {
            path: path.clone(),
            venue: None,
            rotate: Rotate::Never,
            flush_every: Duration::from_millis(50),
            sync_every: DEFAULT_SYNC_EVERY,
            overwrite: false,
        };
        let (tx, rx) = crossbeam::channel::bounded(16);
        let progress = Arc::new(Progress::default());
        let handle = std::thread::spawn(move || write_lines(&config, &rx, &progress, &mut || {}));
        for i in 1..=10 {
            tx.send(Msg::Line(format!("{i} {{}}\n").into_bytes()))
                .unwrap();
        }
        std::thread::sleep(Duration::from_millis(300));
        // No trailer yet: the reader sees all ten lines, then an unexpected end.
        let mut r = CaptureReader::open(&path).unwrap();
        let mut seen = 0;
        while let Ok(Some(_)) = r.next_line() {
            seen += 1;
        }
        assert_eq!(seen, 10);
        tx.send(Msg::Close).unwrap();
        let files = handle.join().unwrap().unwrap();
        assert_eq!(lines_of(&path).len(), 10);
        assert_eq!(files[0].lines, 10);
    }

    #[test]
    fn create_first_refuses_an_existing_file_unless_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.txt.gz");
        std::fs::write(&path, "keep me").unwrap();
        let mut config = WriterConfig {
            path: path.clone(),
            venue: None,
            rotate: Rotate::Never,
            flush_every: Duration::from_secs(1),
            sync_every: DEFAULT_SYNC_EVERY,
            overwrite: false,
        };
        let err = create_first(&config).unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(
            err.contains("already exists") && err.contains("--force"),
            "{err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
        config.overwrite = true;
        create_first(&config).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    }

    #[test]
    fn create_first_with_rotation_refuses_an_existing_first_numbered_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cap.txt");
        let first = rotated_path(&path, 1);
        std::fs::write(&first, "old").unwrap();
        let config = WriterConfig {
            path,
            venue: None,
            rotate: Rotate::Size(1024),
            flush_every: Duration::from_secs(1),
            sync_every: DEFAULT_SYNC_EVERY,
            overwrite: false,
        };
        let err = create_first(&config).unwrap_err().to_string();
        assert!(err.contains(&first.display().to_string()), "{err}");
    }

    #[test]
    fn rotation_into_an_existing_numbered_file_stops_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cap.txt");
        let second = rotated_path(&path, 2);
        std::fs::write(&second, "old").unwrap();
        let config = WriterConfig {
            path: path.clone(),
            venue: None,
            rotate: Rotate::Size(1),
            flush_every: Duration::from_millis(1),
            sync_every: DEFAULT_SYNC_EVERY,
            overwrite: false,
        };
        create_first(&config).unwrap();
        let (tx, rx) = crossbeam::channel::bounded(16);
        let progress = Arc::new(Progress::default());
        let handle = std::thread::spawn(move || write_lines(&config, &rx, &progress, &mut || {}));
        for i in 1..=3 {
            let _ = tx.send(Msg::Line(format!("{i} {{}}\n").into_bytes()));
        }
        let _ = tx.send(Msg::Close);
        let err = handle.join().unwrap().unwrap_err().to_string();
        assert!(err.contains(&second.display().to_string()), "{err}");
        assert_eq!(std::fs::read(&second).unwrap(), b"old");
        assert_eq!(lines_of(&rotated_path(&path, 1)), vec![1]);
    }

    #[test]
    fn writer_syncs_on_the_interval_and_at_close() {
        /// Writes one line, waits `wait`, closes; the syncs seen before the close and in all.
        fn run(sync_every: Duration, wait: Duration) -> (u64, u64) {
            let dir = tempfile::tempdir().unwrap();
            let config = WriterConfig {
                path: dir.path().join("cap.gz"),
                venue: None,
                rotate: Rotate::Never,
                flush_every: Duration::from_secs(1),
                sync_every,
                overwrite: false,
            };
            let (tx, rx) = crossbeam::channel::bounded(16);
            let progress = Arc::new(Progress::default());
            let seen = Arc::clone(&progress);
            let handle =
                std::thread::spawn(move || write_lines(&config, &rx, &progress, &mut || {}));
            tx.send(Msg::Line(b"1 {}\n".to_vec())).unwrap();
            std::thread::sleep(wait);
            let before = seen.syncs.load(Ordering::Relaxed);
            tx.send(Msg::Close).unwrap();
            handle.join().unwrap().unwrap();
            (before, seen.syncs.load(Ordering::Relaxed))
        }
        // 300 ms at 20 ms: about 15 syncs; at least 3 even on a loaded machine (one more may
        // land between the count and the close).
        let (periodic, total) = run(Duration::from_millis(20), Duration::from_millis(300));
        assert!(periodic >= 3, "{periodic} syncs in 300 ms");
        assert!(total > periodic, "{periodic} then {total}");
        // An interval that never comes: the only sync is the one at close.
        assert_eq!(
            run(Duration::from_secs(3600), Duration::from_millis(50)),
            (0, 1),
            "one at close"
        );
    }
}
