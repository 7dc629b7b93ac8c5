//! Errors of the stateful signal windows.

use thiserror::Error;

/// A signal window could not be built from the given parameters.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
#[non_exhaustive]
pub enum WindowError {
    /// A window or ring needs room for at least one element.
    #[error("{what} must be at least 1, got 0")]
    ZeroCapacity {
        /// Which parameter was zero.
        what: &'static str,
    },
    /// A parameter is not finite or out of its range.
    #[error("{what} must be finite and positive, got {value}")]
    InvalidParameter {
        /// Which parameter.
        what: &'static str,
        /// The rejected value.
        value: f64,
    },
}
