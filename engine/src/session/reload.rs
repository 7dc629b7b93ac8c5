//! Hot reload in `ladder paper`: a strategy library replaced while the session runs.
//!
//! ```text
//!  `r` in the dashboard ─┐
//!  SIGHUP ───────────────┼─► reload thread: load + check the library (same manifest checks as at
//!  --watch (mtime+size) ─┘   start; new bytes → new memfd, so a rebuild at the same path is new
//!                            code), create a trial instance (config, signal names), then
//!        ──bounded channel (try_recv between two events)──► hot thread: swap (`hot::engine::swap`)
//! ```
//!
//! Everything that can fail slowly or loudly happens on the reload thread: a library that fails
//! the checks leaves the old one running and the reason is shown (dashboard line, headless
//! line, log). A library whose bytes did not change (same SHA-256) is not swapped. The hot thread
//! only polls the channel between events (`try_recv` on an empty bounded channel: atomic loads,
//! no lock, no allocation); the swap itself is measured there (`SwapCost`).
//!
//! `--watch` polls each library's modification time and size every [`WATCH_POLL`], off the hot
//! thread, and reloads once they are the same on two polls in a row (a file being written is not
//! loaded half-written).

use crate::hot::{Replacement, SwapSender};
use crate::plugin::{HostConfig, StrategyInstance, load};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// How often `--watch` looks at the libraries.
pub const WATCH_POLL: Duration = Duration::from_millis(250);

/// How hot reload is triggered in a paper session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReloadOptions {
    /// Reload a library when its file changes (modification time or size).
    pub watch: bool,
}

/// A strategy that can be reloaded: one loaded from a library.
#[derive(Debug, Clone)]
pub(crate) struct Reloadable {
    /// Its index in the engine.
    pub(crate) index: usize,
    /// Its name.
    pub(crate) name: String,
    /// The library path as given.
    pub(crate) path: PathBuf,
    /// Its config string.
    pub(crate) config: String,
    /// SHA-256 of the bytes running now.
    pub(crate) sha256: String,
    /// Its signal names (a new build must register the same).
    pub(crate) signals: Vec<String>,
    /// The file's modification time and size when it was loaded (`--watch` compares with it).
    pub(crate) stamp: Stamp,
}

/// What the display sees of the reload thread, and how it asks for a reload.
#[derive(Debug, Default)]
pub(crate) struct ReloadStatus {
    requested: AtomicBool,
    message: Mutex<Option<String>>,
}

impl ReloadStatus {
    /// Asks for a reload of every library strategy (the dashboard's `r`).
    pub(crate) fn request(&self) {
        self.requested.store(true, Ordering::Release);
    }

    /// The last thing the reload thread said, if anything.
    pub(crate) fn message(&self) -> Option<String> {
        self.message.lock().ok().and_then(|m| m.clone())
    }

    fn say(&self, text: String) {
        if let Ok(mut m) = self.message.lock() {
            *m = Some(text);
        }
    }
}

/// The running reload thread.
pub(crate) struct Reloader {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The SIGHUP action, removed when the session ends.
    #[cfg(unix)]
    hup: signal_hook::SigId,
}

impl Reloader {
    /// Starts the reload thread for `strategies`, sending swaps to the hot thread on `swaps`.
    /// SIGHUP (where the platform has it) and `status.request()` reload every library;
    /// `options.watch` also reloads a library whose file changed.
    pub(crate) fn spawn(
        strategies: Vec<Reloadable>,
        host: HostConfig,
        options: ReloadOptions,
        status: Arc<ReloadStatus>,
        swaps: SwapSender,
    ) -> std::io::Result<Self> {
        let hup = Arc::new(AtomicBool::new(false));
        #[cfg(unix)]
        let hup_id = signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&hup))?;
        let stop = Arc::new(AtomicBool::new(false));
        let stop_thread = Arc::clone(&stop);
        tracing::info!(
            strategies = strategies.len(),
            watch = options.watch,
            "hot reload ready: r in the dashboard or SIGHUP reloads the strategy libraries"
        );
        let thread = std::thread::Builder::new()
            .name("ladder-reload".into())
            .spawn(move || {
                let mut state = Watch::new(strategies, host, swaps, status);
                while !stop_thread.load(Ordering::Acquire) {
                    std::thread::sleep(Duration::from_millis(50));
                    let asked = hup.swap(false, Ordering::AcqRel)
                        | state.status.requested.swap(false, Ordering::AcqRel);
                    if asked {
                        state.reload_all();
                    }
                    if options.watch {
                        state.poll_files();
                    }
                }
            })?;
        Ok(Self {
            stop,
            thread: Some(thread),
            #[cfg(unix)]
            hup: hup_id,
        })
    }

    /// Stops the reload thread and waits for it.
    pub(crate) fn stop(mut self) {
        #[cfg(unix)]
        let _ = signal_hook::low_level::unregister(self.hup);
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A library file's modification time and size.
pub(crate) type Stamp = Option<(SystemTime, u64)>;

/// The modification time and size of the file at `path`, if it can be read.
pub(crate) fn stamp(path: &std::path::Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// The reload thread's state.
struct Watch {
    strategies: Vec<Reloadable>,
    host: HostConfig,
    swaps: SwapSender,
    status: Arc<ReloadStatus>,
    /// Per strategy: the stamp last acted on, and a changed stamp waiting to settle.
    seen: Vec<(Stamp, Option<Stamp>)>,
    last_poll: std::time::Instant,
}

impl Watch {
    fn new(
        strategies: Vec<Reloadable>,
        host: HostConfig,
        swaps: SwapSender,
        status: Arc<ReloadStatus>,
    ) -> Self {
        let seen = strategies.iter().map(|s| (s.stamp, None)).collect();
        Self {
            strategies,
            host,
            swaps,
            status,
            seen,
            last_poll: std::time::Instant::now(),
        }
    }

    fn reload_all(&mut self) {
        if self.strategies.is_empty() {
            self.status
                .say("reload: no strategy was loaded from a library".to_owned());
        }
        for k in 0..self.strategies.len() {
            self.reload(k);
        }
    }

    /// Reloads a library whose stamp changed and then held still for one poll.
    fn poll_files(&mut self) {
        if self.last_poll.elapsed() < WATCH_POLL {
            return;
        }
        self.last_poll = std::time::Instant::now();
        for k in 0..self.strategies.len() {
            let now = stamp(&self.strategies[k].path);
            let (acted, pending) = self.seen[k];
            if now == acted {
                self.seen[k].1 = None;
            } else if pending == Some(now) {
                self.seen[k] = (now, None);
                if now.is_some() {
                    self.reload(k);
                }
            } else {
                self.seen[k].1 = Some(now);
            }
        }
    }

    /// Loads, checks and trial-creates strategy `k`'s library, then hands it to the hot thread.
    fn reload(&mut self, k: usize) {
        let s = &self.strategies[k];
        let refuse = |why: String| {
            tracing::warn!(
                strategy = %s.name,
                path = %s.path.display(),
                reason = %why,
                "strategy reload refused; the running build goes on"
            );
            format!("reload of {} refused: {why}", s.name)
        };
        let plugin = match load(&s.path) {
            Ok(p) => p,
            Err(e) => return self.status.say(refuse(e.to_string())),
        };
        let sha = plugin.origin().sha256.clone();
        if sha == s.sha256 {
            let short: String = sha.chars().take(12).collect();
            return self.status.say(format!(
                "reload of {}: {} is unchanged (sha256 {short}…)",
                s.name,
                s.path.display()
            ));
        }
        // A trial instance, here, so a config or signal problem never reaches the hot thread.
        match StrategyInstance::from_plugin(plugin, &s.config, &self.host) {
            Err(e) => return self.status.say(refuse(e.to_string())),
            Ok(trial) if trial.signal_names() != s.signals.as_slice() => {
                let why = format!(
                    "its signals [{}] are not the running ones [{}]",
                    trial.signal_names().join(", "),
                    s.signals.join(", ")
                );
                return self.status.say(refuse(why));
            }
            Ok(_) => {}
        }
        let (config, host) = (s.config.clone(), self.host.clone());
        let replacement = Replacement {
            library: s.path.display().to_string(),
            sha256: Some(sha.clone()),
            create: Box::new(move || StrategyInstance::from_plugin(plugin, &config, &host)),
        };
        let short: String = sha.chars().take(12).collect();
        let name = s.name.clone();
        let index = s.index;
        if self.swaps.send((index, replacement)).is_err() {
            return;
        }
        self.strategies[k].sha256 = sha;
        tracing::info!(strategy = %name, sha256 = %short, "strategy reload sent to the hot thread");
        self.status.say(format!(
            "reload of {name}: sha256 {short}… loaded and checked; swapped between two events"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_request_is_taken_once_and_message_is_kept() {
        let st = ReloadStatus::default();
        assert_eq!(st.message(), None);
        st.request();
        assert!(st.requested.swap(false, Ordering::AcqRel));
        assert!(!st.requested.swap(false, Ordering::AcqRel));
        st.say("x".into());
        assert_eq!(st.message().as_deref(), Some("x"));
    }

    #[test]
    fn reload_of_a_missing_library_is_refused_with_its_path() {
        let (tx, rx) = crate::hot::swap_channel();
        let status = Arc::new(ReloadStatus::default());
        let mut w = Watch::new(
            vec![Reloadable {
                index: 0,
                name: "imb".into(),
                path: PathBuf::from("/nonexistent/libgone.so"),
                config: String::new(),
                sha256: "00".into(),
                signals: Vec::new(),
                stamp: None,
            }],
            HostConfig::default(),
            tx,
            Arc::clone(&status),
        );
        w.reload_all();
        let msg = status.message().unwrap_or_default();
        assert!(
            msg.starts_with("reload of imb refused: ") && msg.contains("/nonexistent/libgone.so"),
            "{msg}"
        );
        assert!(rx.try_recv().is_err(), "nothing may reach the hot thread");
    }
}
