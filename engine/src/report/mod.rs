//! The report directory of `ladder replay` and `ladder paper`:
//!
//! - `orders.csv`: every order request and every state change of it
//!   (`ts,strategy,instrument,id,side,type,price,qty,status,reason`);
//! - `fills.csv`: every fill at its exchange time
//!   (`ts,strategy,instrument,order_id,side,price,qty,liquidity,fee,position_after`);
//! - `signals.csv`: signal values, every Nth per strategy (`ts,strategy,signal,value`);
//! - `status.csv`: every book state change (`ts,instrument,state,reason`);
//! - `summary.json`: counts, rejects by reason, PnL per strategy and instrument, fees, drawdown,
//!   positions, versions and hashes; everything that depends on the machine (wall time,
//!   events/s, latency percentiles) lives under the one key `timing`, so two replays of the
//!   same input give byte-identical files once `timing` is set aside;
//! - `report.html`: one self-contained page with the summary's tables and inline SVG charts
//!   ([`html`]).
//!
//! The CSV files are written by [`writer::write_records`] on a writer thread from the hot
//! thread's output ring, which also gathers the charts' data; the hot thread never formats or
//! writes.

pub mod html;
pub mod summary;
pub mod writer;

use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Book levels as `[price, size]` decimal strings on the instrument's grid: the one shape every
/// report (`inspect --json`, `summary.json`, `record --books`) shows a book in.
pub fn decimal_levels(
    spec: &ladder_sdk::InstrumentSpec,
    levels: impl IntoIterator<Item = ladder_sdk::Level>,
) -> Vec<[String; 2]> {
    levels
        .into_iter()
        .map(|l| [spec.format_price(l.price), spec.format_qty(l.qty)])
        .collect()
}
