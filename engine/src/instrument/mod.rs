//! The instrument registry: symbols to dense ids and tick/lot specs.
