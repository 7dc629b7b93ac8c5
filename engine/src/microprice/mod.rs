//! Stoikov micro-price estimation (`ladder fit-microprice`), as in `docs/signals.md` §3.3–3.4.
//!
//! - [`input`]: top-of-book quotes from the author's headerless CSV layout or from a capture's
//!   best bid/offer messages through the capture pipeline (last quote of each second);
//! - [`bucket`]: imbalance bucket edges (quantile, convention A; symmetric, convention B) and the
//!   shared bin rule;
//! - [`fit`]: the estimator (transitions, symmetrisation, Q/R1/R2, G1, B, G6, G*);
//! - [`linalg`]: a small dense solver with partial pivoting;
//! - [`table`]: the JSON table written by the command and its loader into the sdk's
//!   [`MicropriceTable`](ladder_sdk::MicropriceTable).

pub mod bucket;
mod error;
pub mod fit;
pub mod input;
pub mod linalg;
pub mod table;

pub use bucket::Bucketing;
pub use error::FitError;
pub use fit::{Fit, FitConfig, State, fit};
pub use input::{CaptureQuotes, Quote, is_capture, read_capture, read_csv};
pub use table::{TableFile, load_table};
