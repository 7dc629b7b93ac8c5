//! Shared inputs for ladder's criterion benches.
