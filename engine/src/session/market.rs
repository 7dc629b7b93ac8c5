//! Where a live session connects: the built-in simulated venue (started in-process) or a real
//! venue, resolved to endpoints and an instrument registry. Shared by `ladder paper` and
//! `ladder record`.

use crate::config::InstrumentConfig;
use crate::feed::Venue;
use crate::feed::live::Endpoints;
use crate::feed::live::fetch_instruments_blocking;
use crate::instrument::Registry;
use crate::sim::{SimConfig, SimConnection, SimRunning};
use ladder_sdk::InstrumentSpec;
use std::time::Duration;

/// Which market to connect to.
#[derive(Debug, Clone)]
pub enum Market {
    /// The built-in simulated venue, started in-process on 127.0.0.1, serving the wire format
    /// of its config's venue.
    Sim(Box<SimConfig>),
    /// A real venue (or anything speaking its protocol, e.g. `ladder sim` via `[venue]`).
    Live {
        /// The venue.
        venue: Venue,
        /// Symbols.
        symbols: Vec<String>,
        /// Its endpoints (production by default).
        endpoints: Endpoints,
    },
}

/// Why a market could not be reached.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MarketError {
    /// The simulated venue did not start.
    #[error("cannot start the simulated venue: {0}")]
    Sim(#[from] crate::sim::SimError),
    /// The instruments' tick and lot sizes could not be had.
    #[error("cannot get instrument specs: {0}")]
    Instruments(String),
}

/// A market ready to subscribe to.
#[derive(Debug)]
pub struct Connected {
    /// The venue whose wire format and rules apply.
    pub venue: Venue,
    /// Where to connect.
    pub endpoints: Endpoints,
    /// Its instruments (configured or from exchangeInfo; the simulator's own specs).
    pub registry: Registry,
    sim: Option<SimRunning>,
}

impl Connected {
    /// True for the built-in simulated venue.
    pub fn is_simulated(&self) -> bool {
        self.sim.is_some()
    }

    /// A label for reports: the venue, marked when simulated.
    pub fn label(&self) -> String {
        if self.is_simulated() {
            format!("{} (simulated, 127.0.0.1)", self.venue)
        } else {
            self.venue.to_string()
        }
    }

    /// Stops the simulated venue, if one was started.
    pub fn stop(self) {
        if let Some(sim) = self.sim {
            sim.stop();
        }
    }
}

/// Starts the simulator or resolves the live venue's instruments (`instruments` first, the rest
/// from exchangeInfo, retried briefly).
pub fn connect(market: Market, instruments: &[InstrumentConfig]) -> Result<Connected, MarketError> {
    let err = |e: String| MarketError::Instruments(e);
    match market {
        Market::Sim(config) => {
            let sim = SimConnection::start(*config)?;
            Ok(Connected {
                venue: sim.venue,
                endpoints: sim.endpoints,
                registry: sim.registry,
                sim: Some(sim.running),
            })
        }
        Market::Live {
            venue,
            symbols,
            endpoints,
        } => {
            let mut registry = Registry::new();
            let mut missing = Vec::new();
            for s in &symbols {
                match instruments
                    .iter()
                    .find(|i| i.symbol.eq_ignore_ascii_case(s))
                {
                    Some(i) => {
                        let spec = InstrumentSpec::new(i.tick_size, i.lot_size)
                            .map_err(|e| err(format!("{s}: {e}")))?;
                        registry
                            .add(venue, s, spec)
                            .map_err(|e| err(e.to_string()))?;
                    }
                    None => missing.push(s.clone()),
                }
            }
            if !missing.is_empty() {
                for (symbol, spec) in exchange_info(venue, &endpoints, &missing)? {
                    registry
                        .add(venue, &symbol, spec)
                        .map_err(|e| err(e.to_string()))?;
                }
            }
            Ok(Connected {
                venue,
                endpoints,
                registry,
                sim: None,
            })
        }
    }
}

fn exchange_info(
    venue: Venue,
    endpoints: &Endpoints,
    symbols: &[String],
) -> Result<Vec<(String, InstrumentSpec)>, MarketError> {
    let mut last = String::new();
    for attempt in 0..5 {
        match fetch_instruments_blocking(venue, endpoints, symbols) {
            Ok(specs) => return Ok(specs),
            Err(e) if e.is_permanent() => return Err(MarketError::Instruments(e.to_string())),
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(200 << attempt));
    }
    Err(MarketError::Instruments(last))
}
