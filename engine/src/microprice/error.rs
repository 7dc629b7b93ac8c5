//! Errors of the micro-price estimator and table loader.

use crate::capture::CaptureError;
use crate::capture::grid::RegistryBuildError;
use crate::capture::merge::InputError;
use crate::instrument::RegistryError;
use std::path::PathBuf;
use thiserror::Error;

/// Something `ladder fit-microprice` or the table loader cannot get past.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FitError {
    /// A file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A CSV line is malformed.
    #[error("{}:{line}: {reason}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A capture line is malformed.
    #[error("{}:{line}: {reason}", path.display())]
    Capture {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A capture could not be opened or read.
    #[error(transparent)]
    Read(#[from] CaptureError),
    /// The venue of a capture is not known.
    #[error(transparent)]
    Venue(#[from] InputError),
    /// A capture's instruments could not be registered.
    #[error(transparent)]
    Registry(#[from] RegistryBuildError),
    /// The instrument asked for is not in the capture.
    #[error("{}: {source}", path.display())]
    Symbol {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: RegistryError,
    },
    /// A capture quotes several instruments and none was chosen.
    #[error(
        "{} has bookTicker quotes of several instruments ({names}); choose one with --symbol",
        path.display()
    )]
    SeveralInstruments {
        /// The file.
        path: PathBuf,
        /// Their names, comma-separated.
        names: String,
    },
    /// A capture holds no `bookTicker` message of the venue (or of the instrument chosen).
    #[error("{} has no {what} bookTicker messages to sample quotes from", path.display())]
    NoQuotes {
        /// The file.
        path: PathBuf,
        /// The venue name, or the instrument's.
        what: String,
    },
    /// An argument is out of range.
    #[error("{0}")]
    InvalidArgument(String),
    /// Too few usable rows.
    #[error(
        "only {kept} quote rows have a spread of 1..={n_spread} ticks and a non-zero size; \
         at least 2 are needed to see a transition"
    )]
    NotEnoughRows {
        /// Rows kept.
        kept: usize,
        /// The spread limit.
        n_spread: usize,
    },
    /// Quantile edges coincide (`pandas.qcut` raises here too).
    #[error(
        "quantile imbalance edges are not distinct ({edges:?}); reduce --imbalance-buckets \
         or use --bucketing symmetric"
    )]
    DuplicateEdges {
        /// The edges.
        edges: Vec<f64>,
    },
    /// Every imbalance is 0.5 (or the symmetric range is empty).
    #[error("all imbalances equal 0.5: symmetric buckets on [lo, 1 − lo] are empty")]
    DegenerateImbalance,
    /// `I − Q` is singular.
    #[error(
        "the linear system (I − Q) is singular at state {state} (spread {spread_ticks} ticks, \
         bucket {bucket}): its no-move transitions never leave a closed set of states; use \
         more data, fewer buckets or fewer spreads"
    )]
    Singular {
        /// The state index `(spread − 1)·n + bucket`.
        state: usize,
        /// Its spread in ticks.
        spread_ticks: usize,
        /// Its bucket.
        bucket: usize,
    },
    /// The G* series did not converge.
    #[error("the G* series did not converge after {terms} terms (max |B^k G1| = {last})")]
    NoConvergence {
        /// Terms summed.
        terms: usize,
        /// The size of the last term.
        last: f64,
    },
    /// A table file is not valid JSON of the expected shape.
    #[error("{}: not a micro-price table: {source}", path.display())]
    TableJson {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// A table file's values are invalid.
    #[error("{}: {reason}", path.display())]
    TableInvalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}
