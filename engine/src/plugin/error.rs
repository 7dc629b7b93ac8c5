//! [`PluginError`]: why a strategy library cannot be loaded or a strategy cannot be created.

use super::manifest::Mismatches;
use std::io;
use std::path::PathBuf;
use thiserror::Error;

/// A strategy library could not be loaded, or a strategy could not be created.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PluginError {
    /// The file could not be read (missing, unreadable).
    #[error("cannot read strategy library {}", path.display())]
    Read {
        /// The library path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The file is not a shared library at all.
    #[error("{} is not a shared library", path.display())]
    NotSharedLibrary {
        /// The library path.
        path: PathBuf,
        /// What the dynamic loader said.
        #[source]
        source: libloading::Error,
    },
    /// The file looks like a shared library but the dynamic loader refused it (missing
    /// dependency, wrong architecture, ...).
    #[error("cannot load shared library {}", path.display())]
    Open {
        /// The library path.
        path: PathBuf,
        /// What the dynamic loader said.
        #[source]
        source: libloading::Error,
    },
    /// A shared library without the entry symbol.
    #[error(
        "{} is a shared library but not a ladder strategy (no `{}` symbol)",
        path.display(),
        ladder_sdk::abi::ENTRY_SYMBOL
    )]
    NoEntrySymbol {
        /// The library path.
        path: PathBuf,
    },
    /// The entry symbol returned something that is not a ladder manifest.
    #[error("{} is not a ladder strategy: its `{}` returned {what}", path.display(), ladder_sdk::abi::ENTRY_SYMBOL)]
    BadManifest {
        /// The library path.
        path: PathBuf,
        /// What came back (a null pointer, the wrong magic number, ...).
        what: String,
    },
    /// A ladder strategy built in a way this engine cannot load; every reason is listed.
    #[error("{} ({}) cannot be loaded: {mismatches}", path.display(), name)]
    Incompatible {
        /// The library path.
        path: PathBuf,
        /// `name version` from the manifest, or `unknown strategy`.
        name: String,
        /// Every reason.
        mismatches: Mismatches,
    },
    /// The strategy refused its config.
    #[error("strategy `{name}` rejected its config: {message}")]
    Config {
        /// The strategy's name.
        name: String,
        /// Its message.
        message: String,
    },
    /// The strategy panicked while being created.
    #[error("strategy `{name}` panicked while being created: {message}")]
    CreatePanicked {
        /// The strategy's name.
        name: String,
        /// The panic message and location.
        message: String,
    },
}
