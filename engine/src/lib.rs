//! # ladder-engine
//!
//! The engine behind the `ladder` command: venue decoders and sequencers (`feed`), exact L2
//! books (`book`), capture files (`capture`), the instrument registry (`instrument`), the plugin
//! host (`plugin`), and the command line (`cli`).
//!
//! Data flows bytes → [`feed`] decoder → sequencer → [`book::L2Book`]; see `DESIGN.md`.
#![deny(unsafe_code)]

pub mod bench;
pub mod book;
pub mod bus;
pub mod capture;
pub mod cli;
pub mod clock;
pub mod config;
pub mod feed;
pub mod hot;
pub mod inspect;
pub mod instrument;
pub mod logging;
pub mod metrics;
pub mod microprice;
pub mod paper;
pub mod plugin;
pub mod record;
pub mod replay;
pub mod report;
pub mod risk;
mod rng;
pub mod session;
pub mod sim;

#[cfg(test)]
mod testutil;
