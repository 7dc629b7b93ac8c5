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
        source: LoaderMessage,
    },
    /// The file is an ELF object the dynamic loader must not map: cut short (its header,
    /// program headers or a segment run past the end of the file), or not a shared object.
    #[error("{} is not a valid shared library: {reason}", path.display())]
    Malformed {
        /// The library path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The library's bytes could not be copied into memory to be loaded.
    #[error("cannot stage strategy library {} in memory for loading: {source}", path.display())]
    Copy {
        /// The library path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The file looks like a shared library but the dynamic loader refused it (missing
    /// dependency, wrong architecture, ...).
    #[error("cannot load shared library {}", path.display())]
    Open {
        /// The library path.
        path: PathBuf,
        /// What the dynamic loader said.
        #[source]
        source: LoaderMessage,
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

/// What the dynamic loader said about a library, naming the file as the user gave it (the
/// loader itself only saw the in-memory copy, `/proc/self/fd/N`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct LoaderMessage(pub String);
