//! A simulated symbol: its name, assets, grid and start price, from a venue's preset or a full
//! definition `SYMBOL:TICK:LOT:PRICE`.

use super::SimError;
use super::encode::Encoder;
use crate::feed::Venue;
use ladder_sdk::InstrumentSpec;
use rust_decimal::Decimal;
use std::str::FromStr;

/// One simulated symbol: its name, assets, grid and start price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimSymbol {
    /// Upper-case symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// Base asset, e.g. `BTC`.
    pub base_asset: String,
    /// Quote asset, e.g. `USDT`.
    pub quote_asset: String,
    /// Price grid (`PRICE_FILTER.tickSize`); at most 8 decimals. Futures venues write prices
    /// with as many decimals as it is written with (`0.10`: two).
    pub tick_size: Decimal,
    /// Quantity grid (`LOT_SIZE.stepSize`); at most 8 decimals, written likewise.
    pub lot_size: Decimal,
    /// Start mid-price (rounded to the tick grid).
    pub start_price: Decimal,
}

const QUOTES: [&str; 10] = [
    "USDT", "USDC", "FDUSD", "TUSD", "BUSD", "EUR", "TRY", "BTC", "ETH", "USD",
];

impl SimSymbol {
    /// A symbol; base and quote assets are split off a known quote suffix (`USDT`, `USDC`,
    /// `FDUSD`, `TUSD`, `BUSD`, `EUR`, `TRY`, `BTC`, `ETH`, `USD`), else the last 4 letters are
    /// the quote; an OKX id `BASE-QUOTE[-..]` is split at its dashes, a Kraken pair
    /// `BASE/QUOTE` at its slash.
    pub fn new(
        symbol: &str,
        tick_size: Decimal,
        lot_size: Decimal,
        start_price: Decimal,
    ) -> Result<Self, SimError> {
        let symbol = symbol.to_ascii_uppercase();
        if symbol.len() < 5
            || !symbol
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'/')
            || symbol.starts_with(['-', '/'])
            || symbol.ends_with(['-', '/'])
            || symbol.matches('/').count() > 1
        {
            return Err(SimError::Config(format!(
                "symbol {symbol:?} must be at least 5 letters or digits, like BTCUSDT (OKX: \
                 BTC-USDT, Kraken: BTC/USD)"
            )));
        }
        let (base, quote) = if let Some((base, quote)) = symbol.split_once('/') {
            // Kraken pairs: BASE/QUOTE.
            (base, quote)
        } else if let Some((base, rest)) = symbol.split_once('-') {
            // OKX ids: BASE-QUOTE[-SWAP].
            (base, rest.split('-').next().unwrap_or(rest))
        } else {
            let quote = QUOTES
                .iter()
                .find(|q| symbol.len() > q.len() && symbol.ends_with(*q))
                .map_or(&symbol[symbol.len() - 4..], |q| q);
            (&symbol[..symbol.len() - quote.len()], quote)
        };
        let s = Self {
            base_asset: base.to_owned(),
            quote_asset: quote.to_owned(),
            symbol: symbol.clone(),
            tick_size,
            lot_size,
            start_price,
        };
        s.spec()?;
        Ok(s)
    }

    /// Binance spot's BTCUSDT: tick 0.01, lot 0.00001, start 60000.
    pub fn btcusdt() -> Self {
        super::encode::binance::spot_btcusdt()
    }

    /// Binance spot's ETHUSDT: tick 0.01, lot 0.0001, start 3000.
    pub fn ethusdt() -> Self {
        super::encode::binance::spot_ethusdt()
    }

    /// A Binance spot preset (`BTCUSDT`, `ETHUSDT`, `SOLUSDT`, `BNBUSDT`, `XRPUSDT`) or a full
    /// definition: [`SimSymbol::parse_for`] on `binance-spot`.
    pub fn parse(text: &str) -> Result<Self, SimError> {
        Self::parse_for(Venue::BinanceSpot, text)
    }

    /// A preset of `venue` by name (case-insensitive) or a full definition
    /// `SYMBOL:TICK:LOT:PRICE` (`DOGEUSDT:0.00001:1:0.12`), checked against what the venue can
    /// show.
    pub fn parse_for(venue: Venue, text: &str) -> Result<Self, SimError> {
        let encoder = Encoder::for_venue(venue)?;
        let parts: Vec<&str> = text.split(':').collect();
        let dec = |s: &str, what: &str| {
            Decimal::from_str(s.trim()).map_err(|_| {
                SimError::Config(format!("{what} {s:?} in symbol {text:?} is not a decimal"))
            })
        };
        let symbol = match parts.as_slice() {
            [name] => encoder.preset(name).ok_or_else(|| {
                SimError::Config(format!(
                    "no {venue} preset for symbol {:?}; use {} or SYMBOL:TICK:LOT:PRICE",
                    name.trim().to_ascii_uppercase(),
                    encoder.preset_names().join(", ")
                ))
            })?,
            [name, tick, lot, price] => Self::new(
                name.trim(),
                dec(tick, "tick size")?,
                dec(lot, "lot size")?,
                dec(price, "start price")?,
            )?,
            _ => {
                return Err(SimError::Config(format!(
                    "symbol {text:?} is neither a preset name nor SYMBOL:TICK:LOT:PRICE"
                )));
            }
        };
        encoder.symbol_wire(&symbol)?;
        Ok(symbol)
    }

    /// The instrument spec (tick and lot grid).
    pub fn spec(&self) -> Result<InstrumentSpec, SimError> {
        InstrumentSpec::new(self.tick_size, self.lot_size)
            .map_err(|e| SimError::Config(format!("symbol {}: {e}", self.symbol)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_for_uses_each_venues_presets_and_checks_decimals() {
        let spot = SimSymbol::parse_for(Venue::BinanceSpot, "btcusdt").unwrap();
        assert_eq!(spot, SimSymbol::btcusdt());
        assert_eq!(spot.tick_size.to_string(), "0.01");
        let usdm = SimSymbol::parse_for(Venue::BinanceUsdm, "BTCUSDT").unwrap();
        assert_eq!(
            (usdm.tick_size.to_string(), usdm.lot_size.to_string()),
            ("0.10".to_owned(), "0.001".to_owned())
        );
        let err = SimSymbol::parse_for(Venue::BinanceUsdm, "XRPUSDT")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no binance-usdm preset") && err.contains("BTCUSDT, ETHUSDT"),
            "{err}"
        );
        assert!(SimSymbol::parse("DOGEUSDT:0.00001:1:0.12").is_ok());
        assert!(SimSymbol::parse("DOGEUSDT:0.0000000001:1:0.12").is_err());
        assert!(SimSymbol::parse_for(Venue::BinanceCoinm, "BTCUSDT").is_err());
    }
}
