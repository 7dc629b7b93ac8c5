//! What several subcommands parse the same way: the config file, the markets to connect to, and
//! the strategies to run.

use super::args::{MarketArgs, VenueGroup};
use crate::config::{Config, VenueConfig};
use crate::feed::live::Endpoints;
use crate::feed::{Venue, VenueOptions};
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
        tracing::warn!(warning = %w, "config");
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
                    .map_err(|e| anyhow::anyhow!("--venue: {e}"))?
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
                    options: match entry {
                        Some(v) => v.options().map_err(|e| {
                            anyhow::anyhow!("the [venue] entry of {}: {e}", g.venue)
                        })?,
                        None => VenueOptions::defaults(g.venue),
                    },
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;
    use std::path::Path;

    #[derive(Debug, clap::Parser)]
    struct Cmd {
        #[command(flatten)]
        market: MarketArgs,
    }

    fn resolve(args: &str, config: &str) -> anyhow::Result<Vec<SessionMarket>> {
        let cmd = Cmd::try_parse_from(std::iter::once("ladder").chain(args.split_whitespace()))?;
        let config = Config::parse(config, Path::new("ladder.toml"))?;
        markets(&cmd.market, &config)
    }

    /// Venue, symbols, seed (sims) and watchdog seconds of each market.
    fn shape(markets: &[SessionMarket]) -> Vec<(Venue, Vec<String>, Option<u64>, u64)> {
        markets
            .iter()
            .map(|m| match &m.market {
                Market::Sim(c) => (
                    c.venue,
                    c.symbols.iter().map(|s| s.symbol.clone()).collect(),
                    Some(c.seed),
                    m.watchdog.as_secs(),
                ),
                Market::Live { venue, symbols, .. } => {
                    (*venue, symbols.clone(), None, m.watchdog.as_secs())
                }
            })
            .collect()
    }

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| (*x).to_owned()).collect()
    }

    const TWO: &str = "[[venue]]\nname = \"binance-spot\"\nsymbols = [\"ETHUSDT\"]\n\
                       [[venue]]\nname = \"binance-usdm\"\nsymbols = [\"BTCUSDT\"]\n\
                       rest = \"https://127.0.0.2\"\nwatchdog_secs = 7\n";

    #[test]
    fn sim_with_two_venues_starts_one_simulator_each_with_its_own_seed() {
        let got = resolve(
            "--sim --seed 5 --venue binance-spot --symbol BTCUSDT --venue binance-usdm",
            "",
        )
        .unwrap();
        assert_eq!(
            shape(&got),
            [
                (Venue::BinanceSpot, v(&["BTCUSDT"]), Some(5), 30),
                (Venue::BinanceUsdm, v(&["BTCUSDT", "ETHUSDT"]), Some(6), 30),
            ]
        );
    }

    #[test]
    fn no_venue_anywhere_is_one_simulated_spot_venue_with_the_leading_symbols() {
        let got = resolve("--symbol ETHUSDT", "").unwrap();
        assert_eq!(
            shape(&got),
            [(Venue::BinanceSpot, v(&["ETHUSDT"]), Some(1), 30)]
        );
    }

    #[test]
    fn venue_entries_of_the_config_are_the_live_venues_with_their_symbols_and_endpoints() {
        let got = resolve("", TWO).unwrap();
        assert_eq!(
            shape(&got),
            [
                (Venue::BinanceSpot, v(&["ETHUSDT"]), None, 30),
                (Venue::BinanceUsdm, v(&["BTCUSDT"]), None, 7),
            ]
        );
        let Market::Live { endpoints, .. } = &got[1].market else {
            panic!("live");
        };
        assert_eq!(endpoints.rest, "https://127.0.0.2");
    }

    #[test]
    fn venue_flags_pick_the_venues_and_take_their_entries_endpoints() {
        let got = resolve("--venue binance-usdm --symbol ETHUSDT", TWO).unwrap();
        assert_eq!(
            shape(&got),
            [(Venue::BinanceUsdm, v(&["ETHUSDT"]), None, 7)]
        );
        let Market::Live { endpoints, .. } = &got[0].market else {
            panic!("live");
        };
        assert_eq!(endpoints.rest, "https://127.0.0.2");
    }

    #[test]
    fn sim_ignores_the_configured_venues_but_keeps_their_watchdog() {
        let got = resolve("--sim --venue binance-usdm", TWO).unwrap();
        assert_eq!(
            shape(&got),
            [(Venue::BinanceUsdm, v(&["BTCUSDT", "ETHUSDT"]), Some(1), 7)]
        );
    }

    #[rstest::rstest]
    #[case::symbol_before_two_venues(
        "--symbol BTCUSDT --venue binance-spot --venue binance-usdm",
        "",
        "--symbol BTCUSDT comes before any --venue, and there are 2 venues (binance-spot, binance-usdm)"
    )]
    #[case::symbol_with_two_configured_venues(
        "--symbol BTCUSDT",
        TWO,
        "--symbol BTCUSDT comes before any --venue, and there are 2 venues"
    )]
    #[case::venue_twice(
        "--sim --venue binance-usdm --venue binance-usdm",
        "",
        "--venue binance-usdm is given twice"
    )]
    #[case::live_venue_without_symbols(
        "--venue binance-spot --venue binance-usdm --symbol BTCUSDT",
        "",
        "binance-spot needs at least one --symbol after --venue binance-spot"
    )]
    #[case::unknown_sim_symbol(
        "--sim --venue binance-spot --venue binance-usdm --symbol NOPE",
        "",
        "--symbol of binance-usdm: "
    )]
    fn bad_market_is_one_clear_error(#[case] args: &str, #[case] config: &str, #[case] want: &str) {
        let err = resolve(args, config).unwrap_err().to_string();
        assert!(err.starts_with(want), "{err}");
    }
}
