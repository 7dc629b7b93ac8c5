//! Structured logs with `tracing`: what happens to a session (connects, subscriptions,
//! snapshots, gaps with their ids, resyncs, reconnects, plugin loads, strategies disabled or
//! killed, config warnings), as plain text or JSON lines, to a file or stderr.
//!
//! Off unless asked for: `--log FILE`, `--log-level LEVEL` or `RUST_LOG` (the filter syntax of
//! `tracing_subscriber::EnvFilter`, e.g. `ladder=debug`; `--log-level` wins). Without `--log`
//! the lines go to stderr, which the paper dashboard would draw over: `ladder paper` refuses
//! that combination and asks for `--log FILE` or `--headless`.
//!
//! Nothing is logged from the hot thread's per-event path: the feed threads log what happens
//! to connections and books, the report writer logs strategies disabled (it sees the hot
//! thread's records), the command threads log the rest.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use tracing_subscriber::EnvFilter;

/// The line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Plain,
    /// One JSON object per line (`timestamp`, `level`, `target`, `fields`).
    Json,
}

/// What the command line asked for.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    /// `--log-level` (a level or a filter); else `RUST_LOG`.
    pub level: Option<String>,
    /// `--log FILE`: append there; else stderr.
    pub file: Option<PathBuf>,
    /// `--log-format`.
    pub format: LogFormat,
}

static TO_STDERR: AtomicBool = AtomicBool::new(false);

/// Whether log lines go to stderr (logging on, no `--log FILE`).
pub fn writes_to_stderr() -> bool {
    TO_STDERR.load(Ordering::Relaxed)
}

/// Installs the process's subscriber as `opts` asks; nothing when logging is not asked for.
///
/// # Errors
/// A filter that does not parse, or a log file that cannot be opened, named.
pub fn init(opts: &LogOptions) -> Result<(), String> {
    let env = std::env::var("RUST_LOG")
        .ok()
        .filter(|s| !s.trim().is_empty());
    let filter = match (&opts.level, env, &opts.file) {
        (Some(level), _, _) => Some(level.clone()),
        (None, Some(env), _) => Some(env),
        (None, None, Some(_)) => Some("info".to_owned()),
        (None, None, None) => None,
    };
    let Some(filter) = filter else {
        return Ok(());
    };
    let filter = EnvFilter::try_new(&filter)
        .map_err(|e| format!("log level {filter:?} is not a level or a filter: {e}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_thread_names(true);
    let result = match (&opts.file, opts.format) {
        (Some(path), format) => {
            let file = open(path)?;
            let b = builder.with_ansi(false).with_writer(Mutex::new(file));
            match format {
                LogFormat::Plain => b.try_init(),
                LogFormat::Json => b.json().try_init(),
            }
        }
        (None, format) => {
            TO_STDERR.store(true, Ordering::Relaxed);
            let b = builder.with_writer(std::io::stderr);
            match format {
                LogFormat::Plain => b.try_init(),
                LogFormat::Json => b.json().try_init(),
            }
        }
    };
    // A second init in one process (tests) keeps the first subscriber.
    let _ = result;
    Ok(())
}

fn open(path: &Path) -> Result<File, String> {
    File::options()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open the log file {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_filter_and_an_unwritable_file_are_named() {
        let e = init(&LogOptions {
            level: Some("ladder=loud".into()),
            ..LogOptions::default()
        })
        .unwrap_err();
        assert!(e.contains("\"ladder=loud\""), "{e}");
        let e = init(&LogOptions {
            level: Some("info".into()),
            file: Some("/nonexistent-dir/x.log".into()),
            format: LogFormat::Json,
        })
        .unwrap_err();
        assert!(e.contains("/nonexistent-dir/x.log"), "{e}");
    }
}
