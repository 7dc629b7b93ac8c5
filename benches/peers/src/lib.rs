//! Peer baselines for ladder's benches that CI does not build (see `Cargo.toml`); the benches
//! are in `benches/`.
