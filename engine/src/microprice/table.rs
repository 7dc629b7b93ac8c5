//! The fitted table as JSON (written by `ladder fit-microprice`) and its loader into the sdk's
//! [`MicropriceTable`].
//!
//! ```json
//! {"tick": 0.01, "imbalance_edges": [0.2, 0.5, 0.8], "spread_ticks": [1],
//!  "g1": [[-0.00142857, 0.00142857]], "g6": [[..]], "g_star": [[-0.00166667, 0.00166667]],
//!  "counts": [[20, 20]], "rows_used": 21, "bucketing": "symmetric", "k": [-0.01, 0.01],
//!  "g_star_terms": 16}
//! ```
//! Rows are spreads `1..=M` ticks, columns imbalance buckets; G values in price units.

use super::FitError;
use super::fit::Fit;
use ladder_sdk::MicropriceTable;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The JSON table. The loader needs `tick`, `imbalance_edges`, `spread_ticks` and `g_star`; the
/// rest documents the fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableFile {
    /// Price units per tick.
    pub tick: f64,
    /// The `N + 1` imbalance bucket edges.
    pub imbalance_edges: Vec<f64>,
    /// The spreads of the rows, `[1, 2, …, M]` ticks.
    pub spread_ticks: Vec<u32>,
    /// `G1[spread][bucket]`.
    #[serde(default)]
    pub g1: Vec<Vec<f64>>,
    /// `G6[spread][bucket]`.
    #[serde(default)]
    pub g6: Vec<Vec<f64>>,
    /// `G*[spread][bucket]`.
    pub g_star: Vec<Vec<f64>>,
    /// Transitions from each state after symmetrisation (0 = unvisited, G = 0 there).
    #[serde(default)]
    pub counts: Vec<Vec<u64>>,
    /// Quote rows kept.
    #[serde(default)]
    pub rows_used: usize,
    /// `symmetric` or `quantile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucketing: Option<String>,
    /// Observed non-zero mid moves, price units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<Vec<f64>>,
    /// Terms summed for G*.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub g_star_terms: Option<usize>,
}

impl TableFile {
    /// The table of a fit.
    pub fn from_fit(fit: &Fit) -> Self {
        Self {
            tick: fit.tick,
            imbalance_edges: fit.edges.clone(),
            spread_ticks: (1..=fit.config.spread_ticks as u32).collect(),
            g1: fit.by_spread(&fit.g1),
            g6: fit.by_spread(&fit.g6),
            g_star: fit.by_spread(&fit.g_star),
            counts: fit.by_spread(&fit.counts),
            rows_used: fit.rows_used,
            bucketing: Some(fit.config.bucketing.as_str().to_owned()),
            k: Some(fit.k.clone()),
            g_star_terms: Some(fit.g_star_terms),
        }
    }

    /// The sdk table, validated: `spread_ticks` must be `1..=M` with one `g_star` row each.
    ///
    /// # Errors
    /// A message naming the invalid field.
    pub fn to_table(&self) -> Result<MicropriceTable, String> {
        let expected: Vec<u32> = (1..=self.g_star.len() as u32).collect();
        if self.spread_ticks != expected {
            return Err(format!(
                "spread_ticks must be [1, …, {}] (one per g_star row), got {:?}",
                self.g_star.len(),
                self.spread_ticks
            ));
        }
        MicropriceTable::new(self.tick, self.imbalance_edges.clone(), self.g_star.clone())
            .map_err(|e| e.to_string())
    }
}

/// Reads a table written by `ladder fit-microprice` into the sdk's [`MicropriceTable`].
///
/// # Errors
/// [`FitError::Io`], [`FitError::TableJson`] or [`FitError::TableInvalid`], naming the file.
pub fn load_table(path: &Path) -> Result<MicropriceTable, FitError> {
    let text = std::fs::read_to_string(path).map_err(|source| FitError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let file: TableFile = serde_json::from_str(&text).map_err(|source| FitError::TableJson {
        path: path.to_path_buf(),
        source,
    })?;
    file.to_table().map_err(|reason| FitError::TableInvalid {
        path: path.to_path_buf(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const MINIMAL: &str = r#"{"tick": 0.01, "imbalance_edges": [0.2, 0.3333333333333333, 0.8],
        "spread_ticks": [1], "g_star": [[-0.0016666666666666668, 0.0016666666666666668]]}"#;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().expect("temp");
        f.write_all(text.as_bytes()).expect("write");
        f
    }

    #[test]
    fn load_minimal_table_gives_handcheck_microprice() {
        let f = write(MINIMAL);
        let t = load_table(f.path()).expect("valid");
        let lvl = |p, q| {
            ladder_sdk::Level::new(
                ladder_sdk::Price::from_ticks(p),
                ladder_sdk::Quantity::from_lots(q),
            )
        };
        let m = t
            .microprice(&[lvl(10_000, 300)], &[lvl(10_001, 100)])
            .expect("in table");
        assert!((m * 0.01 - 15_001.0 / 150.0).abs() < 1e-9);
    }

    #[test]
    fn load_rejects_bad_spread_list_naming_the_file() {
        let f = write(&MINIMAL.replace("[1]", "[2]"));
        let e = load_table(f.path()).expect_err("bad spreads").to_string();
        assert!(
            e.contains(&f.path().display().to_string()) && e.contains("spread_ticks"),
            "{e}"
        );
    }

    #[test]
    fn load_rejects_invalid_edges_and_json() {
        let f = write(&MINIMAL.replace("0.8]", "0.1]"));
        assert!(matches!(
            load_table(f.path()),
            Err(FitError::TableInvalid { .. })
        ));
        let f = write("{\"tick\": 0.01");
        assert!(matches!(
            load_table(f.path()),
            Err(FitError::TableJson { .. })
        ));
    }

    #[test]
    fn fitted_table_roundtrips_through_json() {
        let quotes: Vec<_> = [
            (30.0, 10.0, "10.00", "10.01"),
            (10.0, 30.0, "10.01", "10.02"),
            (20.0, 25.0, "10.00", "10.01"),
        ]
        .iter()
        .map(|&(bs, as_, b, a)| super::super::Quote {
            bid: b.parse().expect("dec"),
            bid_size: bs,
            ask: a.parse().expect("dec"),
            ask_size: as_,
        })
        .collect();
        let cfg = super::super::FitConfig {
            tick: "0.01".parse().expect("dec"),
            imbalance_buckets: 2,
            spread_ticks: 1,
            bucketing: super::super::Bucketing::Symmetric,
        };
        let fit = super::super::fit(&quotes, cfg).expect("fit");
        let file = TableFile::from_fit(&fit);
        let text = serde_json::to_string(&file).expect("json");
        let back: TableFile = serde_json::from_str(&text).expect("json");
        assert_eq!(back, file);
        let t = back.to_table().expect("valid");
        assert_eq!(
            t.g_star_row(1).map(<[f64]>::to_vec),
            Some(fit.g_star.clone())
        );
    }
}
