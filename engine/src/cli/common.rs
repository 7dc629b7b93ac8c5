//! What several subcommands parse the same way: the config file, the markets to connect to, and
//! the strategies to run.

use super::args::{MarketArgs, VenueGroup};
use crate::config::{Config, VenueConfig};
use crate::feed::Venue;
use crate::feed::binance::endpoints::Endpoints;
use crate::replay::StrategySource;
use crate::session::{Market, SessionMarket};
use crate::sim::SimConfig;
use anyhow::Context as _;
use std::path::PathBuf;
use std::time::Duration;

/// The config at `path` (every value checked) and the SHA-256 of the text parsed, or the
/// defaults.
pub(super) fn load_config(path: Option<&PathBuf>) -> anyhow::Result<(Config, Option<String>)> {
    let Some(path) = path else {
        return Ok((Config::default(), None));
    };
    let (config, text) = Config::load_with_text(path)?;
    Ok((config, Some(Config::hash_text(&text))))
}

/// Prints the config's warnings about a venue entry about to be connected to.
fn warn_venue(section: &VenueConfig) {
    for w in section.warnings() {
        eprintln!("warning: {w}");
    }
}

/// The watchdog of `venue`'s feed: its config entry's `watchdog_secs`, else 30 s.
fn watchdog(config: &Config, venue: Venue) -> Duration {
    config
        .venues
        .get(venue)
        .map_or(SessionMarket::DEFAULT_WATCHDOG, |v| {
            Duration::from_secs(v.watchdog_secs)
        })
}

/// The markets of a live command, one per venue: the one resolver of `--venue`/`--symbol`
/// groups, `--sim` and the config's `[venue]`/`[[venue]]` entries.
///
/// - The venues are the `--venue`s given, else the config's entries, else one simulated
///   binance-spot. Each venue once.
/// - Each `--symbol` belongs to the `--venue` before it; one before any `--venue` belongs to
///   the only venue, and is an error when there are several.
/// - Simulated (`--sim`, or no venue named anywhere): one simulator per venue, in its wire
///   format, with the venue's `--symbol`s (default: its presets), `--sim-rate` events per
///   second each, seeds `--seed`, `--seed`+1, ...
/// - Live: the venue's `--symbol`s, else its entry's `symbols`; its entry's endpoints (else the
///   production ones).
///
/// Each feed's watchdog is its venue entry's `watchdog_secs` (default 30 s).
pub(super) fn markets(args: &MarketArgs, config: &Config) -> anyhow::Result<Vec<SessionMarket>> {
    for (k, g) in args.groups.iter().enumerate() {
        if args.groups[..k].iter().any(|h| h.venue == g.venue) {
            anyhow::bail!(
                "--venue {} is given twice; give each venue once, with its --symbols after it",
                g.venue
            );
        }
    }
    let sim = args.sim || (args.groups.is_empty() && config.venues.is_empty());
    let mut groups: Vec<VenueGroup> = if !args.groups.is_empty() {
        args.groups.clone()
    } else if sim {
        vec![VenueGroup {
            venue: Venue::BinanceSpot,
            symbols: Vec::new(),
        }]
    } else {
        config
            .venues
            .iter()
            .map(|v| VenueGroup {
                venue: v.name,
                symbols: Vec::new(),
            })
            .collect()
    };
    if !args.leading.is_empty() {
        let [only] = groups.as_mut_slice() else {
            anyhow::bail!(
                "--symbol {} comes before any --venue, and there are {} venues ({}); give each \
                 venue's symbols after its --venue",
                args.leading[0],
                groups.len(),
                groups
                    .iter()
                    .map(|g| g.venue.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        };
        let mut symbols = args.leading.clone();
        symbols.append(&mut only.symbols);
        only.symbols = symbols;
    }
    if sim {
        if !(args.sim_rate.is_finite() && args.sim_rate > 0.0) {
            anyhow::bail!(
                "--sim-rate must be a positive number of events per second, got {}",
                args.sim_rate
            );
        }
        return groups
            .into_iter()
            .zip(0u64..)
            .map(|(g, k)| {
                let sim = SimConfig::for_venue(g.venue)
                    .map_err(|e| anyhow::anyhow!("--venue {}: {e}", g.venue))?
                    .with_symbols(&g.symbols)
                    .map_err(|e| anyhow::anyhow!("--symbol of {}: {e}", g.venue))?;
                Ok(SessionMarket {
                    market: Market::Sim(Box::new(SimConfig {
                        messages_per_sec: args.sim_rate,
                        seed: args.seed.wrapping_add(k),
                        ..sim
                    })),
                    watchdog: watchdog(config, g.venue),
                })
            })
            .collect();
    }
    groups
        .into_iter()
        .map(|g| {
            let entry = config.venues.get(g.venue);
            if let Some(v) = entry {
                warn_venue(v);
            }
            let symbols = if g.symbols.is_empty() {
                entry.map(|v| v.symbols.clone()).unwrap_or_default()
            } else {
                g.symbols
            };
            if symbols.is_empty() {
                anyhow::bail!(
                    "{} needs at least one --symbol after --venue {} (or `symbols` in its \
                     [venue] entry of the config)",
                    g.venue,
                    g.venue
                );
            }
            Ok(SessionMarket {
                market: Market::Live {
                    venue: g.venue,
                    symbols,
                    endpoints: entry
                        .map_or_else(|| Endpoints::production(g.venue), VenueConfig::endpoints),
                },
                watchdog: watchdog(config, g.venue),
            })
        })
        .collect()
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
