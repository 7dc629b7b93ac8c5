//! Stoikov micro-price estimation (`ladder fit-microprice`).
