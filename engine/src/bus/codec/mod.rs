//! The bus encoding (schema 1): a compact, versioned binary form of the normalized events
//! ([`MarketEvent`]) and of a whole book ([`BookImage`]), integers only (ticks, lots, ns).
//!
//! The exact byte layout is in `docs/bus.md`. In short, every message starts with a fixed
//! header (schema version, kind, publisher epoch, per-instrument sequence), then LEB128
//! varints (signed values zigzag-encoded). The instrument is not in the payload: the subject
//! names it (`ladder.md.<venue>.<symbol>`), so ids stay local to each process. Decoding never
//! panics: a short, garbled or over-long message is one [`CodecError`] naming what was wrong
//! and at which byte.

use ladder_sdk::{
    Bbo, BookDelta, BookMarker, BookState, BookStatus, InstrumentId, MarketEvent, Price, Quantity,
    Side, StaleReason, Trade, UnixNanos,
};

/// The schema version this build writes and reads (also the `Ladder-Schema` header).
pub const SCHEMA: u8 = 1;
/// The NATS header carrying [`SCHEMA`].
pub const SCHEMA_HEADER: &str = "Ladder-Schema";
/// Fixed header bytes: version, kind, epoch (u64 LE), sequence (u64 LE).
pub const HEADER_LEN: usize = 18;
/// Most events one message may declare (a guard against a garbled count).
pub const MAX_EVENTS: u64 = 1 << 20;
/// Most levels per side one book image may declare.
pub const MAX_LEVELS: u64 = 1 << 22;

const KIND_EVENTS: u8 = 1;
const KIND_IMAGE: u8 = 2;

const TAG_DELTA: u8 = 1;
const TAG_BEGIN: u8 = 2;
const TAG_END: u8 = 3;
const TAG_TRADE: u8 = 4;
const TAG_BBO: u8 = 5;
const TAG_STATUS: u8 = 6;

/// Why a bus message could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The message ends before the field it was reading.
    #[error("bus message truncated at byte {at}: expected {what}")]
    Truncated {
        /// Byte offset.
        at: usize,
        /// The field.
        what: &'static str,
    },
    /// A schema version this build does not read.
    #[error("bus message has schema {got}, this build reads schema {SCHEMA}")]
    Schema {
        /// The version found.
        got: u8,
    },
    /// A field holds a value outside its range.
    #[error("bus message has a bad {what} at byte {at}")]
    Bad {
        /// Byte offset.
        at: usize,
        /// The field.
        what: &'static str,
    },
    /// Bytes left after the last field.
    #[error("bus message has {extra} unexpected bytes after its end at byte {at}")]
    Trailing {
        /// Byte offset of the end.
        at: usize,
        /// How many bytes follow it.
        extra: usize,
    },
}

/// Where a message sits in its instrument's stream: the publisher that wrote it and its
/// sequence among that publisher's messages of that instrument (1, 2, 3, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Position {
    /// The publisher's epoch: a new value each time `ladder feed` starts.
    pub epoch: u64,
    /// Messages of this instrument from this epoch, counting from 1.
    pub seq: u64,
}

/// A whole book at one position of its instrument's stream: what the snapshot bucket holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookImage {
    /// The last events message the image includes.
    pub position: Position,
    /// A stream sequence at or before the first message after the image: a consumer that
    /// joins from this image reads the stream from here on (and skips what the image holds).
    pub stream_seq: u64,
    /// The venue (`binance-spot`, ...).
    pub venue: String,
    /// The venue's symbol (`BTCUSDT`, `BTC/USD`, ...).
    pub symbol: String,
    /// Tick size, as a decimal string.
    pub tick_size: String,
    /// Lot size, as a decimal string.
    pub lot_size: String,
    /// The publisher's book state at the image.
    pub state: BookState,
    /// The venue update id the book is valid at.
    pub update_id: u64,
    /// Exchange time of the last update.
    pub ts_exchange: UnixNanos,
    /// Receive time of the last update.
    pub ts_recv: UnixNanos,
    /// Bids, best first: (ticks, lots).
    pub bids: Vec<(i64, i64)>,
    /// Asks, best first: (ticks, lots).
    pub asks: Vec<(i64, i64)>,
}

// ---------------------------------------------------------------- writing

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_signed(out: &mut Vec<u8>, v: i64) {
    put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_header(out: &mut Vec<u8>, kind: u8, at: Position) {
    out.push(SCHEMA);
    out.push(kind);
    out.extend_from_slice(&at.epoch.to_le_bytes());
    out.extend_from_slice(&at.seq.to_le_bytes());
}

fn side_code(side: Side) -> u8 {
    match side {
        Side::Buy => 1,
        Side::Sell => 2,
    }
}

/// Appends the events message at `at` holding `events` to `out`.
pub fn encode_events(out: &mut Vec<u8>, at: Position, events: &[MarketEvent]) {
    put_header(out, KIND_EVENTS, at);
    put_varint(out, events.len() as u64);
    for ev in events {
        encode_event(out, ev);
    }
}

fn encode_event(out: &mut Vec<u8>, ev: &MarketEvent) {
    match ev {
        MarketEvent::BookDelta(d) => {
            out.push(TAG_DELTA);
            out.push(side_code(d.side));
            out.push(u8::from(d.last));
            put_signed(out, d.price.ticks());
            put_signed(out, d.qty.lots());
            put_varint(out, d.update_id);
            put_varint(out, d.ts_exchange.as_nanos());
            put_varint(out, d.ts_recv.as_nanos());
        }
        MarketEvent::SnapshotBegin(m) | MarketEvent::SnapshotEnd(m) => {
            out.push(if matches!(ev, MarketEvent::SnapshotBegin(_)) {
                TAG_BEGIN
            } else {
                TAG_END
            });
            put_varint(out, m.update_id);
            put_varint(out, m.ts_exchange.as_nanos());
            put_varint(out, m.ts_recv.as_nanos());
        }
        MarketEvent::Trade(t) => {
            out.push(TAG_TRADE);
            out.push(side_code(t.aggressor));
            put_signed(out, t.price.ticks());
            put_signed(out, t.qty.lots());
            put_varint(out, t.trade_id);
            put_varint(out, t.ts_exchange.as_nanos());
            put_varint(out, t.ts_recv.as_nanos());
        }
        MarketEvent::Bbo(b) => {
            out.push(TAG_BBO);
            put_signed(out, b.bid_price.ticks());
            put_signed(out, b.bid_qty.lots());
            put_signed(out, b.ask_price.ticks());
            put_signed(out, b.ask_qty.lots());
            put_varint(out, b.update_id);
            put_varint(out, b.ts_recv.as_nanos());
        }
        MarketEvent::Status(s) => {
            out.push(TAG_STATUS);
            out.push(s.state as u8);
            out.push(s.reason.map_or(0, |r| r as u8));
            put_varint(out, s.ts_recv.as_nanos());
        }
    }
}

/// Appends the book image `image` to `out`.
pub fn encode_image(out: &mut Vec<u8>, image: &BookImage) {
    put_header(out, KIND_IMAGE, image.position);
    put_varint(out, image.stream_seq);
    put_str(out, &image.venue);
    put_str(out, &image.symbol);
    put_str(out, &image.tick_size);
    put_str(out, &image.lot_size);
    out.push(image.state as u8);
    put_varint(out, image.update_id);
    put_varint(out, image.ts_exchange.as_nanos());
    put_varint(out, image.ts_recv.as_nanos());
    for side in [&image.bids, &image.asks] {
        put_varint(out, side.len() as u64);
        for &(p, q) in side {
            put_signed(out, p);
            put_signed(out, q);
        }
    }
}

// ---------------------------------------------------------------- reading

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self, what: &'static str) -> Result<u8, CodecError> {
        let b = *self
            .buf
            .get(self.at)
            .ok_or(CodecError::Truncated { at: self.at, what })?;
        self.at += 1;
        Ok(b)
    }

    fn fixed(&mut self, what: &'static str) -> Result<u64, CodecError> {
        let bytes = self
            .buf
            .get(self.at..self.at + 8)
            .ok_or(CodecError::Truncated { at: self.at, what })?;
        let mut a = [0u8; 8];
        a.copy_from_slice(bytes);
        self.at += 8;
        Ok(u64::from_le_bytes(a))
    }

    fn varint(&mut self, what: &'static str) -> Result<u64, CodecError> {
        let start = self.at;
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte(what)?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(CodecError::Bad { at: start, what });
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(CodecError::Bad { at: start, what })
    }

    fn signed(&mut self, what: &'static str) -> Result<i64, CodecError> {
        let z = self.varint(what)?;
        Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
    }

    fn lots(&mut self, what: &'static str) -> Result<Quantity, CodecError> {
        let at = self.at;
        let v = self.signed(what)?;
        Quantity::new_checked(v).map_err(|_| CodecError::Bad { at, what })
    }

    fn ns(&mut self, what: &'static str) -> Result<UnixNanos, CodecError> {
        self.varint(what).map(UnixNanos::from_nanos)
    }

    fn side(&mut self, what: &'static str) -> Result<Side, CodecError> {
        let at = self.at;
        match self.byte(what)? {
            1 => Ok(Side::Buy),
            2 => Ok(Side::Sell),
            _ => Err(CodecError::Bad { at, what }),
        }
    }

    fn string(&mut self, what: &'static str) -> Result<String, CodecError> {
        let at = self.at;
        let len = self.varint(what)?;
        let len = usize::try_from(len).map_err(|_| CodecError::Bad { at, what })?;
        let bytes = self
            .buf
            .get(self.at..self.at.saturating_add(len))
            .ok_or(CodecError::Truncated { at: self.at, what })?;
        let s = std::str::from_utf8(bytes).map_err(|_| CodecError::Bad { at, what })?;
        self.at += len;
        Ok(s.to_owned())
    }

    fn count(&mut self, what: &'static str, max: u64) -> Result<usize, CodecError> {
        let at = self.at;
        let n = self.varint(what)?;
        // Every item takes at least one byte: a count past the bytes left is garbled.
        if n > max || n > (self.buf.len() - self.at) as u64 {
            return Err(CodecError::Bad { at, what });
        }
        Ok(n as usize)
    }

    fn header(&mut self, kind: u8) -> Result<Position, CodecError> {
        let v = self.byte("schema version")?;
        if v != SCHEMA {
            return Err(CodecError::Schema { got: v });
        }
        let at = self.at;
        if self.byte("message kind")? != kind {
            return Err(CodecError::Bad {
                at,
                what: "message kind",
            });
        }
        Ok(Position {
            epoch: self.fixed("epoch")?,
            seq: self.fixed("sequence")?,
        })
    }

    fn end(&self) -> Result<(), CodecError> {
        if self.at == self.buf.len() {
            Ok(())
        } else {
            Err(CodecError::Trailing {
                at: self.at,
                extra: self.buf.len() - self.at,
            })
        }
    }
}

/// Decodes an events message: its position, and its events (for `instrument`) appended to
/// `out` (cleared first).
///
/// # Errors
/// [`CodecError`] for a message that is short, of another schema or kind, or garbled; `out`
/// then holds no event.
pub fn decode_events(
    buf: &[u8],
    instrument: InstrumentId,
    out: &mut Vec<MarketEvent>,
) -> Result<Position, CodecError> {
    out.clear();
    let r = decode_events_into(buf, instrument, out);
    if r.is_err() {
        out.clear();
    }
    r
}

fn decode_events_into(
    buf: &[u8],
    instrument: InstrumentId,
    out: &mut Vec<MarketEvent>,
) -> Result<Position, CodecError> {
    let mut r = Reader { buf, at: 0 };
    let at = r.header(KIND_EVENTS)?;
    let n = r.count("event count", MAX_EVENTS)?;
    out.reserve(n);
    for _ in 0..n {
        out.push(decode_event(&mut r, instrument)?);
    }
    r.end()?;
    Ok(at)
}

fn decode_event(r: &mut Reader<'_>, instrument: InstrumentId) -> Result<MarketEvent, CodecError> {
    let at = r.at;
    Ok(match r.byte("event tag")? {
        TAG_DELTA => {
            let side = r.side("delta side")?;
            let last_at = r.at;
            let last = match r.byte("delta last flag")? {
                0 => false,
                1 => true,
                _ => {
                    return Err(CodecError::Bad {
                        at: last_at,
                        what: "delta last flag",
                    });
                }
            };
            MarketEvent::BookDelta(BookDelta {
                instrument,
                side,
                last,
                price: Price::from_ticks(r.signed("delta price")?),
                qty: r.lots("delta quantity")?,
                update_id: r.varint("delta update id")?,
                ts_exchange: r.ns("delta exchange time")?,
                ts_recv: r.ns("delta receive time")?,
            })
        }
        tag @ (TAG_BEGIN | TAG_END) => {
            let m = BookMarker {
                instrument,
                update_id: r.varint("marker update id")?,
                ts_exchange: r.ns("marker exchange time")?,
                ts_recv: r.ns("marker receive time")?,
            };
            if tag == TAG_BEGIN {
                MarketEvent::SnapshotBegin(m)
            } else {
                MarketEvent::SnapshotEnd(m)
            }
        }
        TAG_TRADE => MarketEvent::Trade(Trade {
            instrument,
            aggressor: r.side("trade side")?,
            price: Price::from_ticks(r.signed("trade price")?),
            qty: r.lots("trade quantity")?,
            trade_id: r.varint("trade id")?,
            ts_exchange: r.ns("trade exchange time")?,
            ts_recv: r.ns("trade receive time")?,
        }),
        TAG_BBO => MarketEvent::Bbo(Bbo {
            instrument,
            bid_price: Price::from_ticks(r.signed("bbo bid price")?),
            bid_qty: r.lots("bbo bid quantity")?,
            ask_price: Price::from_ticks(r.signed("bbo ask price")?),
            ask_qty: r.lots("bbo ask quantity")?,
            update_id: r.varint("bbo update id")?,
            ts_recv: r.ns("bbo receive time")?,
        }),
        TAG_STATUS => {
            let state = r.state("status state")?;
            let reason_at = r.at;
            let reason = match r.byte("status reason")? {
                0 => None,
                c => Some(StaleReason::from_u8(c).ok_or(CodecError::Bad {
                    at: reason_at,
                    what: "status reason",
                })?),
            };
            MarketEvent::Status(BookStatus {
                instrument,
                state,
                reason,
                ts_recv: r.ns("status receive time")?,
            })
        }
        _ => {
            return Err(CodecError::Bad {
                at,
                what: "event tag",
            });
        }
    })
}

impl Reader<'_> {
    fn state(&mut self, what: &'static str) -> Result<BookState, CodecError> {
        let at = self.at;
        Ok(match self.byte(what)? {
            1 => BookState::Connecting,
            2 => BookState::Syncing,
            3 => BookState::Synced,
            4 => BookState::Stale,
            5 => BookState::Resyncing,
            _ => return Err(CodecError::Bad { at, what }),
        })
    }

    fn levels(&mut self, what: &'static str) -> Result<Vec<(i64, i64)>, CodecError> {
        let n = self.count(what, MAX_LEVELS)?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            let p = self.signed("level price")?;
            let q = self.lots("level quantity")?.lots();
            v.push((p, q));
        }
        Ok(v)
    }
}

/// Decodes a book image (a snapshot bucket value).
///
/// # Errors
/// [`CodecError`] for a value that is short, of another schema or kind, or garbled.
pub fn decode_image(buf: &[u8]) -> Result<BookImage, CodecError> {
    let mut r = Reader { buf, at: 0 };
    let position = r.header(KIND_IMAGE)?;
    let image = BookImage {
        position,
        stream_seq: r.varint("stream sequence")?,
        venue: r.string("venue")?,
        symbol: r.string("symbol")?,
        tick_size: r.string("tick size")?,
        lot_size: r.string("lot size")?,
        state: r.state("book state")?,
        update_id: r.varint("update id")?,
        ts_exchange: r.ns("exchange time")?,
        ts_recv: r.ns("receive time")?,
        bids: r.levels("bid count")?,
        asks: r.levels("ask count")?,
    };
    r.end()?;
    Ok(image)
}

#[cfg(test)]
mod tests;
