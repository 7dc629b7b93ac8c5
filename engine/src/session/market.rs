//! Where a live session connects: one or several venues, each the built-in simulated venue
//! (started in-process) or a real venue, resolved to endpoints and to instruments in one
//! registry whose ids are dense across venues (the first venue's instruments first). Shared by
//! `ladder paper` and `ladder record`, which start one live feed per venue here
//! ([`ConnectedVenue::spawn_feed`]).

use crate::config::InstrumentConfig;
use crate::feed::Venue;
use crate::feed::live::{
    Endpoints, FeedError, FeedOutput, FrameTap, LiveFeedConfig, LiveFeedHandle,
};
use crate::feed::{VenueOptions, fetch_instruments_blocking, spawn_feed_with};
use crate::instrument::Registry;
use crate::sim::{SimConfig, SimConnection, SimRunning};
use ladder_sdk::InstrumentSpec;
use std::sync::Arc;
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
        /// Its live settings (the venue's defaults, or its `[venue]` keys).
        options: VenueOptions,
    },
}

impl Market {
    /// The venue whose wire format and rules apply.
    pub fn venue(&self) -> Venue {
        match self {
            Self::Sim(c) => c.venue,
            Self::Live { venue, .. } => *venue,
        }
    }
}

/// One venue of a session: the market and its feed's watchdog.
#[derive(Debug, Clone)]
pub struct SessionMarket {
    /// Where to connect.
    pub market: Market,
    /// A connection of this venue's feed with no data for this long is dead.
    pub watchdog: Duration,
}

impl SessionMarket {
    /// The default feed watchdog (`watchdog_secs` of `[venue]`).
    pub const DEFAULT_WATCHDOG: Duration = Duration::from_secs(30);

    /// The simulated venue of `config`, with the default watchdog.
    pub fn sim(config: SimConfig) -> Self {
        Self {
            market: Market::Sim(Box::new(config)),
            watchdog: Self::DEFAULT_WATCHDOG,
        }
    }
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
    /// No venue to connect to.
    #[error("no venue to connect to")]
    NoVenue,
    /// The same venue twice: its instruments would be registered twice.
    #[error("venue {0} is given twice; give each venue once, with all its symbols")]
    DuplicateVenue(Venue),
}

/// One venue ready to subscribe to.
#[derive(Debug)]
pub struct ConnectedVenue {
    /// The venue whose wire format and rules apply.
    pub venue: Venue,
    /// Where to connect.
    pub endpoints: Endpoints,
    /// Its symbols, as registered (uppercase), in registry order.
    pub symbols: Vec<String>,
    /// Its feed's watchdog.
    pub watchdog: Duration,
    /// Its live settings.
    pub options: VenueOptions,
    sim: Option<SimRunning>,
}

impl ConnectedVenue {
    /// True for the built-in simulated venue.
    pub fn is_simulated(&self) -> bool {
        self.sim.is_some()
    }

    /// The simulator, when this venue is simulated (counters, on-demand faults).
    pub fn sim(&self) -> Option<&SimRunning> {
        self.sim.as_ref()
    }

    /// A label for reports: the venue, marked when simulated.
    pub fn label(&self) -> String {
        if self.is_simulated() {
            format!("{} (simulated, 127.0.0.1)", self.venue)
        } else {
            self.venue.to_string()
        }
    }

    /// Starts this venue's live feed (its symbols, endpoints and watchdog) into `output`;
    /// `tap` sees its raw frames (`ladder record`). The one place a session starts a feed.
    pub fn spawn_feed(
        &self,
        registry: Arc<Registry>,
        output: impl FeedOutput,
        tap: Option<Arc<dyn FrameTap>>,
    ) -> Result<LiveFeedHandle, FeedError> {
        let mut config = LiveFeedConfig::new(self.venue, self.symbols.clone());
        config.endpoints = self.endpoints.clone();
        config.watchdog = self.watchdog;
        config.tap = tap;
        spawn_feed_with(config, &self.options, registry, output)
    }

    /// Stops the simulated venue, if one was started.
    pub fn stop(self) {
        if let Some(sim) = self.sim {
            sim.stop();
        }
    }
}

/// Every venue of a session, ready to subscribe to.
#[derive(Debug)]
pub struct Connected {
    /// The venues, in the order given.
    pub venues: Vec<ConnectedVenue>,
    /// The instruments of every venue (configured, from exchangeInfo, or the simulator's own
    /// specs), ids dense across venues in the order of the venues.
    pub registry: Registry,
}

impl Connected {
    /// A label for reports: each venue's label, joined by `, `.
    pub fn label(&self) -> String {
        self.venues
            .iter()
            .map(ConnectedVenue::label)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The venue names joined by `,` (`binance-spot,binance-usdm`), as reports name them.
    pub fn venue_names(&self) -> String {
        self.venues
            .iter()
            .map(|v| v.venue.name())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Stops every simulated venue that was started.
    pub fn stop(self) {
        for v in self.venues {
            v.stop();
        }
    }
}

/// Starts each simulator and resolves each live venue's instruments (`instruments` first: an
/// entry `venue:SYMBOL` for that venue, a bare `SYMBOL` for any; the rest from the venue's
/// exchangeInfo, retried briefly), all into one registry. On an error, the simulators started
/// so far are stopped.
pub fn connect(
    markets: Vec<SessionMarket>,
    instruments: &[InstrumentConfig],
) -> Result<Connected, MarketError> {
    if markets.is_empty() {
        return Err(MarketError::NoVenue);
    }
    let mut connected = Connected {
        venues: Vec::with_capacity(markets.len()),
        registry: Registry::new(),
    };
    for m in markets {
        let venue = m.market.venue();
        if connected.venues.iter().any(|v| v.venue == venue) {
            connected.stop();
            return Err(MarketError::DuplicateVenue(venue));
        }
        match connect_one(m, instruments, &mut connected.registry) {
            Ok(v) => connected.venues.push(v),
            Err(e) => {
                connected.stop();
                return Err(e);
            }
        }
    }
    Ok(connected)
}

fn connect_one(
    m: SessionMarket,
    instruments: &[InstrumentConfig],
    registry: &mut Registry,
) -> Result<ConnectedVenue, MarketError> {
    let err = |e: String| MarketError::Instruments(e);
    let mut add = |venue: Venue, symbol: &str, spec: InstrumentSpec| {
        registry
            .add(venue, symbol, spec)
            .map(|id| registry.get(id).symbol.clone())
            .map_err(|e| err(e.to_string()))
    };
    match m.market {
        Market::Sim(config) => {
            let sim = SimConnection::start(*config)?;
            let mut symbols = Vec::new();
            for i in sim.registry.iter() {
                match add(sim.venue, &i.symbol, i.spec) {
                    Ok(s) => symbols.push(s),
                    Err(e) => {
                        sim.running.stop();
                        return Err(e);
                    }
                }
            }
            Ok(ConnectedVenue {
                venue: sim.venue,
                endpoints: sim.endpoints,
                symbols,
                watchdog: m.watchdog,
                options: VenueOptions::defaults(sim.venue),
                sim: Some(sim.running),
            })
        }
        Market::Live {
            venue,
            symbols: wanted,
            endpoints,
            options,
        } => {
            let mut specs: Vec<(String, Option<InstrumentSpec>)> = Vec::new();
            for s in &wanted {
                let spec = configured(instruments, venue, s)
                    .map(|i| {
                        InstrumentSpec::new(i.tick_size, i.lot_size)
                            .map_err(|e| err(format!("{s}: {e}")))
                    })
                    .transpose()?;
                specs.push((s.clone(), spec));
            }
            let missing: Vec<String> = specs
                .iter()
                .filter(|(_, spec)| spec.is_none())
                .map(|(s, _)| s.clone())
                .collect();
            let fetched = if missing.is_empty() {
                Vec::new()
            } else {
                exchange_info(venue, &endpoints, &missing)?
            };
            let mut symbols = Vec::new();
            // Configured ones first, then the fetched ones, as before several venues.
            for (s, spec) in &specs {
                if let Some(spec) = spec {
                    symbols.push(add(venue, s, *spec)?);
                }
            }
            for (s, spec) in fetched {
                symbols.push(add(venue, &s, spec)?);
            }
            Ok(ConnectedVenue {
                venue,
                endpoints,
                symbols,
                watchdog: m.watchdog,
                options,
                sim: None,
            })
        }
    }
}

/// The `[[instrument]]` entry for `symbol` of `venue`: `venue:SYMBOL` first, then a bare
/// `SYMBOL`.
fn configured<'a>(
    instruments: &'a [InstrumentConfig],
    venue: Venue,
    symbol: &str,
) -> Option<&'a InstrumentConfig> {
    let qualified = instruments.iter().find(|i| {
        i.symbol
            .split_once(':')
            .is_some_and(|(v, s)| v == venue.name() && s.eq_ignore_ascii_case(symbol))
    });
    qualified.or_else(|| {
        instruments
            .iter()
            .find(|i| i.symbol.eq_ignore_ascii_case(symbol))
    })
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
    Err(MarketError::Instruments(format!("{venue}: {last}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn inst(symbol: &str, tick: i64) -> InstrumentConfig {
        InstrumentConfig {
            symbol: symbol.to_owned(),
            tick_size: Decimal::new(tick, 2),
            lot_size: Decimal::new(1, 3),
        }
    }

    #[test]
    fn configured_instrument_prefers_the_venue_qualified_entry() {
        let list = [inst("BTCUSDT", 1), inst("binance-usdm:BTCUSDT", 10)];
        let usdm = configured(&list, Venue::BinanceUsdm, "btcusdt").unwrap();
        assert_eq!(usdm.symbol, "binance-usdm:BTCUSDT");
        let spot = configured(&list, Venue::BinanceSpot, "BTCUSDT").unwrap();
        assert_eq!(spot.symbol, "BTCUSDT");
        assert!(configured(&list[1..], Venue::BinanceSpot, "BTCUSDT").is_none());
    }

    #[test]
    fn two_simulated_venues_share_one_registry_with_dense_ids() {
        let spot = SimConfig::for_venue(Venue::BinanceSpot)
            .unwrap()
            .with_symbols(&["BTCUSDT".to_owned()])
            .unwrap();
        let usdm = SimConfig::for_venue(Venue::BinanceUsdm).unwrap();
        let c = connect(
            vec![SessionMarket::sim(spot), SessionMarket::sim(usdm)],
            &[],
        )
        .unwrap();
        let names: Vec<(u32, &str)> = c
            .registry
            .iter()
            .map(|i| (i.id.index() as u32, i.name.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                (0, "binance-spot:BTCUSDT"),
                (1, "binance-usdm:BTCUSDT"),
                (2, "binance-usdm:ETHUSDT")
            ]
        );
        assert_eq!(c.venues[1].symbols, ["BTCUSDT", "ETHUSDT"]);
        assert_ne!(c.venues[0].endpoints.rest, c.venues[1].endpoints.rest);
        assert_eq!(c.venue_names(), "binance-spot,binance-usdm");
        assert!(c.label().contains("binance-usdm (simulated, 127.0.0.1)"));
        c.stop();
    }

    #[test]
    fn the_same_venue_twice_is_refused() {
        let sim = || SessionMarket::sim(SimConfig::default());
        let err = connect(vec![sim(), sim()], &[]).unwrap_err().to_string();
        assert_eq!(
            err,
            "venue binance-spot is given twice; give each venue once, with all its symbols"
        );
        assert!(matches!(
            connect(Vec::new(), &[]),
            Err(MarketError::NoVenue)
        ));
    }
}
