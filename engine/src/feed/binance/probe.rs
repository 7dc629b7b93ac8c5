//! Reading Binance frames without a registry: the values a frame carries (to infer tick and
//! lot sizes from a capture) and which Binance venue a frame comes from (to recognize a
//! capture's venue from its content).

use super::wire::{self, Fields, Kind, RawLevel};
use crate::feed::Venue;
use ladder_sdk::RawDecimal;

/// Reusable buffers for reading the values of one frame.
#[derive(Debug, Default)]
pub struct Probe {
    bids: Vec<RawLevel>,
    asks: Vec<RawLevel>,
    values: Vec<RawLevel>,
}

impl Probe {
    /// The symbol (if the frame names one) of a frame the decoder uses, with its
    /// `(price, quantity)` pairs left in [`Probe::values`]; `None` for a frame that does not
    /// decode or is not used. A frame holding a value the decoder or the book rejects (not a
    /// decimal, a negative quantity, a zero or negative price) still names its symbol but
    /// leaves no values.
    pub fn read<'a>(&mut self, frame: &'a [u8]) -> Option<Option<&'a [u8]>> {
        let mut f = Fields::default();
        wire::parse(frame, &mut f, &mut self.bids, &mut self.asks).ok()?;
        let kind = wire::classify(&f).ok()?;
        self.values.clear();
        let mut pair = |p: Option<&[u8]>, q: Option<&[u8]>| -> Option<()> {
            let p = RawDecimal::parse(p?).ok()?;
            let q = RawDecimal::parse(q?).ok()?;
            self.values.push((p, q));
            Some(())
        };
        match kind {
            Kind::Trade | Kind::AggTrade => pair(f.price, f.qty)?,
            Kind::BookTicker => {
                pair(f.bid_price, f.bid_qty)?;
                pair(f.ask_price, f.ask_qty)?;
            }
            Kind::Depth | Kind::Snapshot => {
                self.values.extend_from_slice(&self.bids);
                self.values.extend_from_slice(&self.asks);
            }
            Kind::Control | Kind::ServerShutdown | Kind::Ignored => return None,
        }
        let valid = |(p, q): &RawLevel| !p.negative && p.mantissa != 0 && !q.negative;
        if !self.values.iter().all(valid) {
            self.values.clear();
        }
        Some(f.symbol.or_else(|| f.stream.and_then(wire::stream_symbol)))
    }

    /// The `(price, quantity)` pairs of the last frame [`Probe::read`] took.
    pub fn values(&self) -> &[RawLevel] {
        &self.values
    }
}

/// The Binance venue a frame comes from, when it says: a depth diff with `pu` is futures, one
/// without is spot; a bookTicker with an event type (`"e":"bookTicker"`) is futures, one
/// without is spot. Futures symbols with an `_` are COIN-M (`BTCUSD_PERP`). Other frames do not
/// tell.
pub fn sniff(frame: &[u8]) -> Option<Venue> {
    let (mut f, mut bids, mut asks) = (Fields::default(), Vec::new(), Vec::new());
    wire::parse(frame, &mut f, &mut bids, &mut asks).ok()?;
    let futures = match wire::classify(&f).ok()? {
        Kind::Depth => f.prev_last_id.is_some(),
        Kind::BookTicker => f.event.is_some(),
        _ => return None,
    };
    Some(match (futures, f.symbol) {
        (false, _) => Venue::BinanceSpot,
        (true, Some(s)) if s.contains(&b'_') => Venue::BinanceCoinm,
        (true, _) => Venue::BinanceUsdm,
    })
}
