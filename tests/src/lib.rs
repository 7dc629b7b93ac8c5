//! Shared helpers for ladder's cross-crate integration tests.
