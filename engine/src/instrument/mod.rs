//! The instrument registry: symbols to dense [`InstrumentId`]s and tick/lot specs.
//!
//! Hot events carry only the id; the symbol and the grid live here. Lookups by symbol are a
//! linear scan with an ASCII case-insensitive compare (venues send `BTCUSDT` in payloads and
//! `btcusdt` in stream names), which beats hashing for the handful of symbols a feed carries.

use ladder_sdk::{InstrumentId, InstrumentSpec};
use thiserror::Error;

/// One registered instrument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instrument {
    /// Dense id.
    pub id: InstrumentId,
    /// The venue's symbol, uppercase (`BTCUSDT`).
    pub symbol: String,
    /// Tick and lot grids.
    pub spec: InstrumentSpec,
}

/// Why an instrument could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The symbol is registered already.
    #[error("instrument {0} is registered twice")]
    Duplicate(String),
    /// The symbol is empty or has characters a venue symbol never has.
    #[error("invalid symbol {0:?}: expected letters, digits, '-', '_' or '/'")]
    InvalidSymbol(String),
}

/// Symbols to ids and specs.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    instruments: Vec<Instrument>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `symbol` with `spec` and returns its id.
    pub fn add(
        &mut self,
        symbol: &str,
        spec: InstrumentSpec,
    ) -> Result<InstrumentId, RegistryError> {
        let valid = !symbol.is_empty()
            && symbol
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/'));
        if !valid {
            return Err(RegistryError::InvalidSymbol(symbol.to_owned()));
        }
        if self.lookup(symbol.as_bytes()).is_some() {
            return Err(RegistryError::Duplicate(symbol.to_ascii_uppercase()));
        }
        let index = u32::try_from(self.instruments.len()).unwrap_or(u32::MAX);
        let id = InstrumentId::new(index);
        self.instruments.push(Instrument {
            id,
            symbol: symbol.to_ascii_uppercase(),
            spec,
        });
        Ok(id)
    }

    /// The instrument whose symbol equals `symbol` ignoring ASCII case.
    ///
    /// # Hot path
    /// No allocation; linear in the number of instruments.
    #[inline]
    pub fn lookup(&self, symbol: &[u8]) -> Option<&Instrument> {
        self.instruments
            .iter()
            .find(|i| i.symbol.as_bytes().eq_ignore_ascii_case(symbol))
    }

    /// The instrument with id `id`.
    ///
    /// # Panics
    /// If `id` was not issued by this registry.
    pub fn get(&self, id: InstrumentId) -> &Instrument {
        &self.instruments[id.index()]
    }

    /// All instruments in id order.
    pub fn iter(&self) -> impl Iterator<Item = &Instrument> {
        self.instruments.iter()
    }

    /// Number of instruments.
    pub fn len(&self) -> usize {
        self.instruments.len()
    }

    /// True when nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.instruments.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn spec() -> InstrumentSpec {
        InstrumentSpec::new(Decimal::new(1, 2), Decimal::new(1, 5)).unwrap()
    }

    #[test]
    fn lookup_ignores_ascii_case() {
        let mut r = Registry::new();
        let id = r.add("BTCUSDT", spec()).unwrap();
        assert_eq!(r.lookup(b"btcusdt").map(|i| i.id), Some(id));
        assert!(r.lookup(b"ETHUSDT").is_none());
    }

    #[test]
    fn add_rejects_duplicates_and_bad_symbols() {
        let mut r = Registry::new();
        r.add("btcusdt", spec()).unwrap();
        assert_eq!(
            r.add("BTCUSDT", spec()),
            Err(RegistryError::Duplicate("BTCUSDT".into()))
        );
        assert!(matches!(
            r.add("BTC USDT", spec()),
            Err(RegistryError::InvalidSymbol(_))
        ));
        assert!(matches!(
            r.add("", spec()),
            Err(RegistryError::InvalidSymbol(_))
        ));
    }
}
