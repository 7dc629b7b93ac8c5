//! The instruments a venue's simulator offers by name (`--symbols BTC-USD`), each with the grid
//! its instruments endpoint lists and a start price: one table per venue encoder
//! (`bybit`, `okx`, `kraken`, `coinbase`), read through the functions here.

use crate::sim::SimSymbol;
use rust_decimal::Decimal;

/// One named instrument of a venue's simulator.
pub(super) struct Preset {
    /// The venue's symbol (`BTCUSDT`, `BTC-USDT`, `BTC/USD`).
    pub(super) name: &'static str,
    /// Tick as `(mantissa, scale)`: `(1, 2)` is 0.01.
    pub(super) tick: (i64, u32),
    /// Lot as `(mantissa, scale)`.
    pub(super) lot: (i64, u32),
    /// Start price, in quote units.
    pub(super) price: i64,
}

/// A [`Preset`] (a `const` table entry).
pub(super) const fn preset(
    name: &'static str,
    tick: (i64, u32),
    lot: (i64, u32),
    price: i64,
) -> Preset {
    Preset {
        name,
        tick,
        lot,
        price,
    }
}

impl Preset {
    /// The simulated symbol, with its base and quote assets.
    pub(super) fn symbol(&self, base: &str, quote: &str) -> SimSymbol {
        SimSymbol {
            symbol: self.name.to_owned(),
            base_asset: base.to_owned(),
            quote_asset: quote.to_owned(),
            tick_size: Decimal::new(self.tick.0, self.tick.1),
            lot_size: Decimal::new(self.lot.0, self.lot.1),
            start_price: Decimal::from(self.price),
        }
    }

    /// The simulated symbol of a name written `BASE<sep>QUOTE[<sep>KIND]` (`BTC-USD`,
    /// `BTC/USD`, `BTC-USDT-SWAP`: base `BTC`, quote `USDT`).
    pub(super) fn split_symbol(&self, sep: char) -> SimSymbol {
        let mut parts = self.name.split(sep);
        let base = parts.next().unwrap_or_default();
        let quote = parts.next().unwrap_or_default();
        self.symbol(base, quote)
    }
}

/// The names of `presets`, in table order.
pub(super) fn names(presets: &[Preset]) -> Vec<&'static str> {
    presets.iter().map(|p| p.name).collect()
}

/// The preset called `name` (trimmed, any case).
pub(super) fn find<'a>(presets: &'a [Preset], name: &str) -> Option<&'a Preset> {
    let name = name.trim().to_ascii_uppercase();
    presets.iter().find(|p| p.name == name)
}

/// A venue's presets named `BASE<sep>QUOTE[<sep>KIND]` (OKX, Coinbase, Kraken): its table and
/// the separator its names are split on, and what the encoder asks of them.
pub(super) struct SplitPresets {
    /// The table, default symbols first.
    pub(super) table: &'static [Preset],
    /// The separator of base, quote and kind (`-`, `/`).
    pub(super) sep: char,
}

impl SplitPresets {
    /// The first two presets: the symbols served when none are named.
    pub(super) fn defaults(&self) -> Vec<SimSymbol> {
        self.table[..2]
            .iter()
            .map(|p| p.split_symbol(self.sep))
            .collect()
    }

    /// The names, in table order.
    pub(super) fn names(&self) -> Vec<&'static str> {
        names(self.table)
    }

    /// The preset called `name` (trimmed, any case) as a simulated symbol.
    pub(super) fn find(&self, name: &str) -> Option<SimSymbol> {
        find(self.table, name).map(|p| p.split_symbol(self.sep))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: [Preset; 2] = [
        preset("BTC-USD", (1, 2), (1, 8), 60_000),
        preset("ETH-USD", (5, 2), (1, 4), 3_000),
    ];

    #[test]
    fn split_takes_base_and_quote_before_a_kind_suffix() {
        let s = preset("BTC-USDT-SWAP", (1, 1), (1, 2), 60_000).split_symbol('-');
        assert_eq!(
            (s.base_asset.as_str(), s.quote_asset.as_str()),
            ("BTC", "USDT")
        );
        let s = preset("BTC/USD", (1, 1), (1, 8), 60_000).split_symbol('/');
        assert_eq!(
            (s.base_asset.as_str(), s.quote_asset.as_str()),
            ("BTC", "USD")
        );
    }

    #[test]
    fn find_ignores_case_and_spaces_and_split_names_base_and_quote() {
        let p = find(&TABLE, " eth-usd ").expect("found");
        let s = p.split_symbol('-');
        assert_eq!(
            (s.base_asset.as_str(), s.quote_asset.as_str()),
            ("ETH", "USD")
        );
        assert_eq!(s.tick_size, Decimal::new(5, 2));
        assert_eq!(s.lot_size, Decimal::new(1, 4));
        assert_eq!(s.start_price, Decimal::from(3_000));
        assert!(find(&TABLE, "SOL-USD").is_none());
        assert_eq!(names(&TABLE), ["BTC-USD", "ETH-USD"]);
    }

    #[test]
    fn split_presets_default_to_the_first_two_and_find_splits_on_their_separator() {
        const KRAKEN_LIKE: SplitPresets = SplitPresets {
            table: &[
                preset("BTC/USD", (1, 1), (1, 8), 60_000),
                preset("ETH/USD", (1, 2), (1, 8), 3_000),
                preset("SOL/USD", (1, 2), (1, 8), 150),
            ],
            sep: '/',
        };
        let kraken_like = KRAKEN_LIKE;
        let defaults: Vec<String> = kraken_like
            .defaults()
            .into_iter()
            .map(|s| s.symbol)
            .collect();
        assert_eq!(defaults, ["BTC/USD", "ETH/USD"]);
        let sol = kraken_like.find("sol/usd").expect("found");
        assert_eq!(
            (sol.base_asset.as_str(), sol.quote_asset.as_str()),
            ("SOL", "USD")
        );
        assert_eq!(sol.start_price, Decimal::from(150));
        assert!(kraken_like.find("SOL-USD").is_none());
        assert_eq!(kraken_like.names(), ["BTC/USD", "ETH/USD", "SOL/USD"]);
    }
}
