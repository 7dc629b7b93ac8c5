//! What several subcommands parse the same way: the config file, the market to connect to, and
//! the strategies to run.

use crate::config::{Config, VenueConfig};
use crate::feed::Venue;
use crate::feed::live::Endpoints;
use crate::replay::StrategySource;
use crate::session::Market;
use crate::sim::SimConfig;
use anyhow::Context as _;
use std::path::PathBuf;

/// The config at `path` (every value checked) and the SHA-256 of the text parsed, or the
/// defaults.
pub(super) fn load_config(path: Option<&PathBuf>) -> anyhow::Result<(Config, Option<String>)> {
    let Some(path) = path else {
        return Ok((Config::default(), None));
    };
    let (config, text) = Config::load_with_text(path)?;
    Ok((config, Some(Config::hash_text(&text))))
}

/// Prints the config's warnings about the `[venue]` section about to be connected to.
fn warn_venue(section: &VenueConfig) {
    for w in section.warnings() {
        eprintln!("warning: {w}");
    }
}

/// The market from `--sim`, `--venue`, `--symbol` and the config's `[venue]`: a live venue when
/// one is named (the section's endpoints apply when it names the same venue), else the built-in
/// simulated venue (`--symbol` then picks its symbols; with `--sim`, `--venue` picks the wire
/// format it serves, default binance-spot).
pub(super) fn market(
    sim: bool,
    venue: Option<Venue>,
    symbols: &[String],
    config: &Config,
    sim_rate: f64,
    seed: u64,
) -> anyhow::Result<Market> {
    let or_section = |section: &[String]| {
        if symbols.is_empty() {
            section.to_vec()
        } else {
            symbols.to_vec()
        }
    };
    let live = |venue: Venue, symbols: Vec<String>, endpoints: Endpoints| {
        if symbols.is_empty() {
            anyhow::bail!("{venue} needs at least one --symbol (or `symbols` in [venue])");
        }
        Ok(Market::Live {
            venue,
            symbols,
            endpoints,
        })
    };
    match (sim, venue, &config.venue) {
        (false, Some(venue), section) => {
            let section = section.as_ref().filter(|v| v.name == venue);
            if let Some(v) = section {
                warn_venue(v);
            }
            let endpoints = section.map_or_else(|| Endpoints::production(venue), |v| v.endpoints());
            live(
                venue,
                or_section(section.map_or(&[][..], |v| &v.symbols)),
                endpoints,
            )
        }
        (false, None, Some(v)) => {
            warn_venue(v);
            live(v.name, or_section(&v.symbols), v.endpoints())
        }
        _ => {
            if !(sim_rate.is_finite() && sim_rate > 0.0) {
                anyhow::bail!(
                    "--sim-rate must be a positive number of events per second, got {sim_rate}"
                );
            }
            let config = SimConfig::for_venue(venue.unwrap_or(Venue::BinanceSpot))
                .map_err(|e| anyhow::anyhow!("--venue: {e}"))?
                .with_symbols(symbols)
                .map_err(|e| anyhow::anyhow!("--symbol: {e}"))?;
            Ok(Market::Sim(Box::new(SimConfig {
                messages_per_sec: sim_rate,
                seed,
                ..config
            })))
        }
    }
}

/// Strategies from `--strategy LIB` / `--strategy-config FILE` pairs, else the config's
/// `[[strategy]]` entries; empty when neither names any.
pub(super) fn strategy_sources(
    libraries: &[PathBuf],
    configs: &[PathBuf],
    config: &Config,
) -> anyhow::Result<Vec<StrategySource>> {
    if configs.len() > libraries.len() {
        anyhow::bail!(
            "{} --strategy-config given for {} --strategy; give one per strategy, in the same order",
            configs.len(),
            libraries.len()
        );
    }
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p)
            .with_context(|| format!("cannot read strategy config {}", p.display()))
    };
    if !libraries.is_empty() {
        return libraries
            .iter()
            .enumerate()
            .map(|(k, path)| {
                let text = configs.get(k).map(read).transpose()?.unwrap_or_default();
                Ok(StrategySource::Library {
                    path: path.clone(),
                    config: text,
                })
            })
            .collect();
    }
    config
        .strategies
        .iter()
        .map(|s| {
            let text = match (&s.config, &s.config_file) {
                (Some(c), _) => c.clone(),
                (None, Some(f)) => read(f)?,
                (None, None) => String::new(),
            };
            Ok(StrategySource::Library {
                path: s.library.clone(),
                config: text,
            })
        })
        .collect()
}
