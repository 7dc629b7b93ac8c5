//! The G* table: the JSON `ladder fit-microprice` writes, read into the sdk's
//! [`MicropriceTable`]. The strategy does not link the engine, so it reads the few fields it
//! needs itself (the engine's `microprice::table` documents the whole format).

use ladder_sdk::StrategyError;
use ladder_sdk::signal::MicropriceTable;
use serde::Deserialize;

/// The table fitted on `binance-usdm_btcusdt_20240808.gz` (tick 0.1); see the crate README.
pub(crate) const DEFAULT_TABLE: &str = include_str!("../data/default_gstar.json");

/// The table fitted on `binance-spot_btcusdt_20240808.gz` (tick 0.01); see the crate README.
pub(crate) const SPOT_TABLE: &str = include_str!("../data/spot_btcusdt_gstar.json");

/// The fields the strategy uses; the others (`g1`, `g6`, `counts`, ...) document the fit.
#[derive(Debug, Deserialize)]
struct TableFile {
    tick: f64,
    imbalance_edges: Vec<f64>,
    spread_ticks: Vec<u32>,
    g_star: Vec<Vec<f64>>,
}

/// Parses table text from `source` (a path, or "the built-in table").
///
/// # Errors
/// One sentence naming `source` and the problem.
pub(crate) fn parse(text: &str, source: &str) -> Result<MicropriceTable, StrategyError> {
    let file: TableFile = serde_json::from_str(text).map_err(|e| {
        StrategyError::new(format!("microprice table {source} is not a G* table: {e}"))
    })?;
    let expected: Vec<u32> = (1..=file.g_star.len() as u32).collect();
    if file.spread_ticks != expected {
        return Err(StrategyError::new(format!(
            "microprice table {source}: spread_ticks must be [1, …, {}] (one per g_star row), got {:?}",
            file.g_star.len(),
            file.spread_ticks
        )));
    }
    MicropriceTable::new(file.tick, file.imbalance_edges, file.g_star)
        .map_err(|e| StrategyError::new(format!("microprice table {source}: {e}")))
}

/// The table at `path`, or the built-in one whose tick is `tick` (the USDⓈ-M table, tick 0.1,
/// when none matches; the caller's tick check then says so).
///
/// # Errors
/// When the file cannot be read or is not a valid table.
pub(crate) fn load(path: Option<&str>, tick: f64) -> Result<MicropriceTable, StrategyError> {
    match path {
        None => {
            let spot = parse(SPOT_TABLE, "(built-in, spot BTCUSDT)")?;
            if (spot.tick() - tick).abs() <= 1e-9 * tick.max(spot.tick()) {
                return Ok(spot);
            }
            parse(DEFAULT_TABLE, "(built-in)")
        }
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                StrategyError::new(format!(
                    "microprice config: cannot read `table` {path:?}: {e}"
                ))
            })?;
            parse(&text, &format!("{path:?}"))
        }
    }
}
