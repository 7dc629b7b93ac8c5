//! Reading Kraken frames without a registry: the values a frame carries (to infer tick and lot
//! sizes from a capture) and whether a frame is Kraken's (to recognize a capture's venue from
//! its content).

use super::wire::{self, Buffers, Fields, Kind, RawLevel, Version};
use crate::feed::Venue;

/// Reusable buffers for reading the values of one frame.
#[derive(Debug, Default)]
pub struct Probe {
    buf: Buffers,
    values: Vec<RawLevel>,
}

impl Probe {
    /// The symbol of a book or trade frame, with its `(price, quantity)` pairs left in
    /// [`Probe::values`]; `None` for a frame that does not parse or is not used. A frame
    /// holding a value the decoder or the book rejects (a negative quantity, a zero or
    /// negative price) still names its symbol but leaves no values.
    pub fn read<'a>(&mut self, frame: &'a [u8]) -> Option<Option<&'a [u8]>> {
        let mut f = Fields::default();
        wire::parse(frame, &mut f, &mut self.buf).ok()?;
        let kind = wire::classify(&f).ok()?;
        self.values.clear();
        let mut symbol = f.symbol;
        match kind {
            Kind::Book => {
                self.values.extend_from_slice(&self.buf.bids);
                self.values.extend_from_slice(&self.buf.asks);
            }
            Kind::Trades => {
                for t in &self.buf.trades {
                    self.values.push((t.price?, t.qty?));
                }
                if let (None, Some((at, len))) = (symbol, self.buf.trades.first()?.symbol) {
                    symbol = frame.get(at as usize..(at + len) as usize);
                }
            }
            Kind::BookAck | Kind::Control | Kind::Ignored => return None,
        }
        let valid = |(p, q): &RawLevel| !p.negative && p.mantissa != 0 && !q.negative;
        if !self.values.iter().all(valid) {
            self.values.clear();
        }
        Some(Some(symbol?))
    }

    /// The `(price, quantity)` pairs of the last frame [`Probe::read`] took.
    pub fn values(&self) -> &[RawLevel] {
        &self.values
    }
}

/// `Some(Venue::Kraken)` for a Kraken book or trade message (v2 `channel` `book` / `trade`
/// with `data`; a v1 array naming `book-N` or `trade`), a v2 `book` acknowledgement, or a v1
/// `systemStatus`; other frames do not tell.
pub fn sniff(frame: &[u8]) -> Option<Venue> {
    let (mut f, mut buf) = (Fields::default(), Buffers::default());
    wire::parse(frame, &mut f, &mut buf).ok()?;
    match wire::classify(&f).ok()? {
        Kind::Book | Kind::Trades | Kind::BookAck => Some(Venue::Kraken),
        Kind::Control if f.version == Version::V1 && f.event == Some(b"systemStatus") => {
            Some(Venue::Kraken)
        }
        _ => None,
    }
}
