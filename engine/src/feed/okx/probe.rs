//! Reading OKX frames without a registry: the values a frame carries (to infer tick and lot
//! sizes from a capture) and whether a frame is OKX's (to recognize a capture's venue from its
//! content).

use super::wire::{self, Buffers, Fields, Kind, RawLevel};
use crate::feed::Venue;

/// Reusable buffers for reading the values of one frame.
#[derive(Debug, Default)]
pub struct Probe {
    buf: Buffers,
    values: Vec<RawLevel>,
}

impl Probe {
    /// The instrument (if the frame names one) of a frame the decoder uses, with its
    /// `(price, size)` pairs left in [`Probe::values`]; `None` for a frame that does not decode
    /// or is not used. A frame holding a value the decoder or the book rejects (a negative
    /// size, a zero or negative price) still names its instrument but leaves no values. A REST
    /// order-book body names none (`Some(None)`).
    pub fn read<'a>(&mut self, frame: &'a [u8]) -> Option<Option<&'a [u8]>> {
        let mut f = Fields::default();
        wire::parse(frame, &mut f, &mut self.buf).ok()?;
        let kind = wire::classify(&f).ok()?;
        self.values.clear();
        match kind {
            Kind::Book(_) | Kind::Rest => {
                self.values.extend_from_slice(&self.buf.bids);
                self.values.extend_from_slice(&self.buf.asks);
            }
            Kind::Trades => {
                for t in &self.buf.trades {
                    self.values.push((t.price?, t.qty?));
                }
            }
            Kind::Control | Kind::Notice | Kind::Ignored => return None,
        }
        let valid = |(p, q): &RawLevel| !p.negative && p.mantissa != 0 && !q.negative;
        if !self.values.iter().all(valid) {
            self.values.clear();
        }
        Some(match kind {
            Kind::Rest => f.inst,
            _ => f.arg_inst.or(f.inst),
        })
    }

    /// The `(price, size)` pairs of the last frame [`Probe::read`] took.
    pub fn values(&self) -> &[RawLevel] {
        &self.values
    }
}

/// `Some(Venue::Okx)` for an OKX book or trades message (an `arg.channel` ladder reads, with
/// `data`); other frames do not tell.
pub fn sniff(frame: &[u8]) -> Option<Venue> {
    let (mut f, mut buf) = (Fields::default(), Buffers::default());
    wire::parse(frame, &mut f, &mut buf).ok()?;
    match wire::classify(&f).ok()? {
        Kind::Book(_) | Kind::Trades => Some(Venue::Okx),
        _ => None,
    }
}
