//! Reading Bybit frames without a registry: the values a frame carries (to infer tick and lot
//! sizes from a capture) and which Bybit venue a frame comes from (to recognize a capture's
//! venue from its content).

use super::wire::{self, Fields, Kind, Parsed, RawLevel, Topic};
use crate::feed::Venue;

/// Reusable buffers for reading the values of one frame.
#[derive(Debug, Default)]
pub struct Probe {
    raw: Parsed,
    values: Vec<RawLevel>,
}

impl Probe {
    /// The symbol of a book or trade frame, with its `(price, quantity)` pairs left in
    /// [`Probe::values`]; `None` for a frame that does not parse or is not used. A frame
    /// holding a value the decoder or the book rejects (a negative quantity, a zero or
    /// negative price) still names its symbol but leaves no values.
    pub fn read<'a>(&mut self, frame: &'a [u8]) -> Option<Option<&'a [u8]>> {
        let mut f = Fields::default();
        wire::parse(frame, &mut f, &mut self.raw).ok()?;
        let kind = wire::classify(&f).ok()?;
        self.values.clear();
        match kind {
            Kind::Book { .. } => {
                self.values.extend_from_slice(&self.raw.bids);
                self.values.extend_from_slice(&self.raw.asks);
            }
            Kind::Trade => {
                for t in &self.raw.trades {
                    self.values.push((t.price?, t.qty?));
                }
            }
            Kind::Control | Kind::Ignored => return None,
        }
        let valid = |(p, q): &RawLevel| !p.negative && p.mantissa != 0 && !q.negative;
        if !self.values.iter().all(valid) {
            self.values.clear();
        }
        match wire::topic(f.topic?) {
            Topic::Book { symbol, .. } | Topic::Trade { symbol } => Some(Some(symbol)),
            Topic::Ignored | Topic::Unknown => None,
        }
    }

    /// The `(price, quantity)` pairs of the last frame [`Probe::read`] took.
    pub fn values(&self) -> &[RawLevel] {
        &self.values
    }
}

/// The Bybit venue a frame comes from, when it says (venues.md §12):
/// - a book or trade message of spot puts `ts` before `type`, of linear and inverse `type`
///   before `ts`; a trade with a tick direction `L` is a derivative's;
/// - a derivative whose symbol is quoted in `USD` (`BTCUSD`, or a dated `BTCUSDH26`) is
///   inverse; one quoted in `USDT` or `USDC`, a `PERP` or a dated `BTC-26DEC25` is linear;
///   other symbols do not tell;
/// - spot acknowledges a subscription with `ret_msg: "subscribe"` (linear and inverse with an
///   empty one).
pub fn sniff(frame: &[u8]) -> Option<Venue> {
    let (mut f, mut raw) = (Fields::default(), Parsed::default());
    wire::parse(frame, &mut f, &mut raw).ok()?;
    match wire::classify(&f).ok()? {
        Kind::Control => (f.op == Some(b"subscribe") && f.ret_msg == Some(b"subscribe"))
            .then_some(Venue::BybitSpot),
        Kind::Ignored => None,
        Kind::Book { .. } | Kind::Trade => {
            let derivative = f.type_first? || raw.trades.iter().any(|t| t.tick_direction);
            if !derivative {
                return Some(Venue::BybitSpot);
            }
            let symbol = match wire::topic(f.topic?) {
                Topic::Book { symbol, .. } | Topic::Trade { symbol } => symbol,
                Topic::Ignored | Topic::Unknown => return None,
            };
            derivative_venue(symbol)
        }
    }
}

/// Linear or inverse, from a derivative's symbol.
fn derivative_venue(symbol: &[u8]) -> Option<Venue> {
    let linear = [&b"USDT"[..], b"USDC", b"PERP"];
    if linear.iter().any(|q| symbol.ends_with(q)) || symbol.contains(&b'-') {
        return Some(Venue::BybitLinear);
    }
    if symbol.ends_with(b"USD") {
        return Some(Venue::BybitInverse);
    }
    // Inverse futures: `BTCUSD` + month code + two-digit year (`BTCUSDH26`).
    let n = symbol.len();
    let dated = n > 6
        && symbol[..n - 3].ends_with(b"USD")
        && b"FGHJKMNQUVXZ".contains(&symbol[n - 3])
        && symbol[n - 2..].iter().all(u8::is_ascii_digit);
    dated.then_some(Venue::BybitInverse)
}
