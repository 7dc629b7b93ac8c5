//! [`VenueProbe`]: a venue's frames read without a registry (grid inference), one arm per venue
//! folder's probe; part of the one dispatch of [`super`].

pub use crate::feed::binance::scales::PairScales;

use crate::feed::venue::Venue;
use crate::feed::{binance, bybit, coinbase, kraken, okx};
use ladder_sdk::RawDecimal;

/// Reads the values of a venue's frames without a registry (grid inference).
#[derive(Debug)]
pub enum VenueProbe {
    /// Binance spot, USD-M and COIN-M.
    Binance(binance::probe::Probe),
    /// Bybit spot, linear and inverse.
    Bybit(bybit::probe::Probe),
    /// OKX.
    Okx(okx::probe::Probe),
    /// Coinbase Advanced Trade and the legacy Exchange feed.
    Coinbase(coinbase::probe::Probe),
    /// Kraken.
    Kraken(kraken::probe::Probe),
}

impl VenueProbe {
    /// A probe for `venue`'s wire format.
    pub fn new(venue: Venue) -> Self {
        match venue {
            Venue::BinanceSpot | Venue::BinanceUsdm | Venue::BinanceCoinm => {
                Self::Binance(binance::probe::Probe::default())
            }
            Venue::BybitSpot | Venue::BybitLinear | Venue::BybitInverse => {
                Self::Bybit(bybit::probe::Probe::default())
            }
            Venue::Okx => Self::Okx(okx::probe::Probe::default()),
            Venue::Coinbase | Venue::CoinbaseExchange => {
                Self::Coinbase(coinbase::probe::Probe::new(venue))
            }
            Venue::Kraken => Self::Kraken(kraken::probe::Probe::default()),
        }
    }

    /// The symbol of a frame the venue's decoder uses (`Some(None)`: a frame that names none,
    /// a bare REST snapshot), with its `(price, quantity)` pairs in [`VenueProbe::values`];
    /// `None` for a frame that does not decode or is not used.
    pub fn read<'a>(&mut self, frame: &'a [u8]) -> Option<Option<&'a [u8]>> {
        match self {
            Self::Binance(p) => p.read(frame),
            Self::Okx(p) => p.read(frame),
            Self::Bybit(p) => p.read(frame),
            Self::Coinbase(p) => p.read(frame),
            Self::Kraken(p) => p.read(frame),
        }
    }

    /// [`VenueProbe::read`] for grid inference, which needs only the decimal places of each
    /// value: the same answer, with each pair's places in `pairs` (cleared first; see
    /// [`PairScales`]). Binance frames of the compact shape its venues send take a one-pass
    /// reader (`binance::scales`) that builds no decimal; every other frame the full probe.
    pub fn read_scales<'a>(
        &mut self,
        frame: &'a [u8],
        pairs: &mut Vec<PairScales>,
    ) -> Option<Option<&'a [u8]>> {
        if let Self::Binance(_) = self {
            match binance::scales::read(frame, pairs) {
                binance::scales::Scanned::Used(symbol) => return Some(symbol),
                binance::scales::Scanned::Unused => return None,
                binance::scales::Scanned::Unsure => {}
            }
        }
        pairs.clear();
        let symbol = self.read(frame)?;
        let places =
            |(p, q): &(RawDecimal, RawDecimal)| (p.scale, (q.mantissa != 0).then_some(q.scale));
        pairs.extend(self.values().iter().map(places));
        Some(symbol)
    }

    /// The `(price, quantity)` pairs of the last frame read; empty if one of them is a value
    /// the decoder or a book rejects.
    pub fn values(&self) -> &[(RawDecimal, RawDecimal)] {
        match self {
            Self::Binance(p) => p.values(),
            Self::Okx(p) => p.values(),
            Self::Bybit(p) => p.values(),
            Self::Coinbase(p) => p.values(),
            Self::Kraken(p) => p.values(),
        }
    }
}
