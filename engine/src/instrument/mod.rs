//! The instrument registry: venue-qualified instruments to dense [`InstrumentId`]s and
//! tick/lot specs.
//!
//! An instrument is a venue and a symbol: `binance-usdm:BTCUSDT` and `binance-spot:BTCUSDT` are
//! two instruments. Hot events carry only the id; the venue, symbol and grid live here. Lookups
//! by symbol are a linear scan with an ASCII case-insensitive compare (venues send `BTCUSDT` in
//! payloads and `btcusdt` in stream names), which beats hashing for the handful of symbols a
//! feed carries.

use crate::feed::Venue;
use ladder_sdk::{InstrumentId, InstrumentSpec};
use thiserror::Error;

/// One registered instrument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instrument {
    /// Dense id.
    pub id: InstrumentId,
    /// The venue.
    pub venue: Venue,
    /// The venue's symbol, uppercase (`BTCUSDT`).
    pub symbol: String,
    /// `venue:SYMBOL` (`binance-usdm:BTCUSDT`): how reports and strategies name it.
    pub name: String,
    /// Tick and lot grids.
    pub spec: InstrumentSpec,
}

/// Why an instrument could not be registered or found.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The instrument is registered already.
    #[error("instrument {0} is registered twice")]
    Duplicate(String),
    /// The symbol is empty or has characters a venue symbol never has.
    #[error("invalid symbol {0:?}: expected letters, digits, '-', '_' or '/'")]
    InvalidSymbol(String),
    /// No instrument has that name.
    #[error("no instrument {0}")]
    Unknown(String),
    /// A bare symbol that several venues carry.
    #[error("{0} is on several venues; name one as venue:{0} ({1})")]
    Ambiguous(String, String),
}

/// Venue-qualified instruments to ids and specs.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    instruments: Vec<Instrument>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `symbol` of `venue` with `spec` and returns its id.
    pub fn add(
        &mut self,
        venue: Venue,
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
        let symbol = symbol.to_ascii_uppercase();
        let name = format!("{venue}:{symbol}");
        if self.lookup(venue, symbol.as_bytes()).is_some() {
            return Err(RegistryError::Duplicate(name));
        }
        let index = u32::try_from(self.instruments.len()).unwrap_or(u32::MAX);
        let id = InstrumentId::new(index);
        self.instruments.push(Instrument {
            id,
            venue,
            symbol,
            name,
            spec,
        });
        Ok(id)
    }

    /// The instrument of `venue` whose symbol equals `symbol` ignoring ASCII case.
    ///
    /// # Hot path
    /// No allocation; linear in the number of instruments.
    #[inline]
    pub fn lookup(&self, venue: Venue, symbol: &[u8]) -> Option<&Instrument> {
        self.instruments
            .iter()
            .find(|i| i.venue == venue && i.symbol.as_bytes().eq_ignore_ascii_case(symbol))
    }

    /// The instrument named `venue:SYMBOL`, or by a bare `SYMBOL` that only one venue carries.
    pub fn find(&self, name: &str) -> Result<&Instrument, RegistryError> {
        if let Some((venue, symbol)) = name.split_once(':') {
            let venue: Venue = venue
                .parse()
                .map_err(|_| RegistryError::Unknown(name.to_owned()))?;
            return self
                .lookup(venue, symbol.as_bytes())
                .ok_or_else(|| RegistryError::Unknown(name.to_owned()));
        }
        let mut found = self
            .instruments
            .iter()
            .filter(|i| i.symbol.eq_ignore_ascii_case(name));
        match (found.next(), found.next()) {
            (Some(i), None) => Ok(i),
            (None, _) => Err(RegistryError::Unknown(name.to_owned())),
            (Some(a), Some(b)) => Err(RegistryError::Ambiguous(
                a.symbol.clone(),
                format!("{}, {}", a.name, b.name),
            )),
        }
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

    /// The venues of the registered instruments, in order of first registration.
    pub fn venues(&self) -> Vec<Venue> {
        let mut v: Vec<Venue> = Vec::new();
        for i in &self.instruments {
            if !v.contains(&i.venue) {
                v.push(i.venue);
            }
        }
        v
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

    const SPOT: Venue = Venue::BinanceSpot;
    const USDM: Venue = Venue::BinanceUsdm;

    fn spec() -> InstrumentSpec {
        InstrumentSpec::new(Decimal::new(1, 2), Decimal::new(1, 5)).unwrap()
    }

    #[test]
    fn lookup_ignores_ascii_case_within_a_venue() {
        let mut r = Registry::new();
        let id = r.add(SPOT, "BTCUSDT", spec()).unwrap();
        assert_eq!(r.lookup(SPOT, b"btcusdt").map(|i| i.id), Some(id));
        assert!(r.lookup(SPOT, b"ETHUSDT").is_none());
        assert!(r.lookup(USDM, b"BTCUSDT").is_none());
        assert_eq!(r.get(id).name, "binance-spot:BTCUSDT");
    }

    #[test]
    fn the_same_symbol_on_two_venues_is_two_instruments() {
        let mut r = Registry::new();
        let a = r.add(SPOT, "BTCUSDT", spec()).unwrap();
        let b = r.add(USDM, "btcusdt", spec()).unwrap();
        assert_ne!(a, b);
        assert_eq!(r.find("binance-usdm:BTCUSDT").map(|i| i.id), Ok(b));
        assert_eq!(r.find("binance-spot:btcusdt").map(|i| i.id), Ok(a));
        let e = r.find("BTCUSDT").unwrap_err().to_string();
        assert!(
            e.contains("binance-spot:BTCUSDT, binance-usdm:BTCUSDT"),
            "{e}"
        );
        assert!(r.find("kraken:BTCUSDT").is_err());
        assert_eq!(r.venues(), [SPOT, USDM]);
    }

    #[test]
    fn add_rejects_duplicates_and_bad_symbols() {
        let mut r = Registry::new();
        r.add(SPOT, "btcusdt", spec()).unwrap();
        assert_eq!(
            r.add(SPOT, "BTCUSDT", spec()),
            Err(RegistryError::Duplicate("binance-spot:BTCUSDT".into()))
        );
        assert!(matches!(
            r.add(SPOT, "BTC USDT", spec()),
            Err(RegistryError::InvalidSymbol(_))
        ));
        assert!(matches!(
            r.add(SPOT, "", spec()),
            Err(RegistryError::InvalidSymbol(_))
        ));
    }
}
