//! Reading Coinbase frames without a registry: the values a frame carries (to infer tick and
//! lot sizes from a capture) and which Coinbase feed a frame comes from (to recognize a
//! capture's venue from its content).

use super::exchange;
use super::wire::{self, Buffers, Fields, Kind, RawLevel, slice};
use crate::feed::Venue;

/// Reusable buffers for reading the values of one frame of one Coinbase format.
#[derive(Debug)]
pub struct Probe {
    venue: Venue,
    raw: Buffers,
    values: Vec<RawLevel>,
}

impl Probe {
    /// A probe of `venue`'s format (`coinbase` or `coinbase-exchange`).
    pub fn new(venue: Venue) -> Self {
        Self {
            venue,
            raw: Buffers::default(),
            values: Vec::new(),
        }
    }

    /// The product of a book or trade frame, with its `(price, size)` pairs left in
    /// [`Probe::values`] (a trade frame's values are those of its first product's trades);
    /// `None` for a frame that does not parse or is not used. A frame holding a value the
    /// decoder or the book rejects (a negative size, a zero or negative price) still names its
    /// product but leaves no values.
    pub fn read<'a>(&mut self, frame: &'a [u8]) -> Option<Option<&'a [u8]>> {
        let book = if self.venue == Venue::CoinbaseExchange {
            let mut f = exchange::Fields::default();
            exchange::parse(frame, &mut f, &mut self.raw).ok()?;
            match exchange::classify(&f).ok()? {
                exchange::Kind::Book => true,
                exchange::Kind::Trade => false,
                _ => return None,
            }
        } else {
            let mut f = Fields::default();
            wire::parse(frame, &mut f, &mut self.raw).ok()?;
            match wire::classify(&f).ok()? {
                Kind::Book => true,
                Kind::Trades => false,
                Kind::Control | Kind::Ignored => return None,
            }
        };
        self.values.clear();
        let product = if book {
            self.values.extend_from_slice(&self.raw.bids);
            self.values.extend_from_slice(&self.raw.asks);
            slice(frame, self.raw.events.first()?.product?)
        } else {
            let first = slice(frame, self.raw.trades.first()?.product?);
            for t in &self.raw.trades {
                if t.product.map(|p| slice(frame, p)) == Some(first) {
                    self.values.push((t.price?, t.qty?));
                }
            }
            first
        };
        let valid = |(p, q): &RawLevel| !p.negative && p.mantissa != 0 && !q.negative;
        if !self.values.iter().all(valid) {
            self.values.clear();
        }
        Some(Some(product))
    }

    /// The `(price, size)` pairs of the last frame [`Probe::read`] took.
    pub fn values(&self) -> &[RawLevel] {
        &self.values
    }
}

/// `Some(Venue::Coinbase)` for an Advanced Trade message of a channel ladder knows (with its
/// `events`), `Some(Venue::CoinbaseExchange)` for a legacy book or trade message (`snapshot` or
/// `l2update` with a `product_id`, `match`, `last_match`); other frames do not tell.
pub fn sniff(frame: &[u8]) -> Option<Venue> {
    let mut raw = Buffers::default();
    let mut f = Fields::default();
    if wire::parse(frame, &mut f, &mut raw).is_ok() && wire::classify(&f).is_ok() {
        return Some(Venue::Coinbase);
    }
    let mut f = exchange::Fields::default();
    exchange::parse(frame, &mut f, &mut raw).ok()?;
    match exchange::classify(&f).ok()? {
        exchange::Kind::Book | exchange::Kind::Trade | exchange::Kind::History => {
            Some(Venue::CoinbaseExchange)
        }
        _ => None,
    }
}
