//! Coinbase frames to normalized values: integer ticks and lots of registered instruments.
//!
//! [`Decoder::decode`] parses one frame ([`wire`](super::wire) for Advanced Trade,
//! [`exchange`](super::exchange) for the legacy feed), resolves each event's `product_id` in
//! the [`Registry`], and converts every price and size onto the instrument's grid. The
//! exactness rules are every venue's: a price must be above zero, a size at least zero,
//! neither above 10^14 ticks or lots, and a value off the grid is a [`DecodeError`] naming the
//! product, the field and the value; nothing is rounded and nothing panics.
//!
//! **`-USDC` products.** Advanced Trade serves `-USDC` products as the `-USD` book on its
//! market-data channels (`docs/venues.md` §12): a `BTC-USDC` subscription is answered with
//! `product_id: "BTC-USD"` messages. So a product is looked up as sent, and a `-USD` product
//! that is not registered resolves to the registered `-USDC` instrument of the same base
//! (`BTC-USD` messages build the `coinbase:BTC-USDC` book). Register one of the two: with both,
//! the messages build the `-USD` book and the `-USDC` one never syncs.
//!
//! **Trades.** `side` is the maker's side in the recorded data (a `BUY` prints at the best
//! bid; the legacy feed documents `match.side` so), so the aggressor is the opposite side.
//! A `market_trades` `snapshot` event and a legacy `last_match` are trades from before the
//! subscription: decoded as [`Decoded::History`] and not emitted.

use super::exchange;
use super::wire::{self, Buffers, ClassifyError, Fields, Kind, RawLevel, Span, WireError, slice};
use crate::feed::Venue;
use crate::feed::json::JsonError;
use crate::feed::units::{Exact, Layouts, Units};
use crate::instrument::{Instrument, Registry};
use ladder_sdk::{GridError, InstrumentId, Level, Side, Trade, UnixNanos};
use std::fmt;

/// A product, channel or value named in an error: up to 40 bytes.
pub type Token = crate::feed::token::Token;
/// The venue's error text: up to 64 bytes.
pub type Message = crate::feed::token::Token<64>;

/// One book event of a frame: a snapshot or an update of one instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookHeader {
    /// The instrument.
    pub instrument: InstrumentId,
    /// True for a snapshot (replaces the book), false for an update.
    pub snapshot: bool,
    /// The frame's `sequence_num` (Advanced Trade; the legacy feed has none).
    pub sequence: Option<u64>,
    /// Exchange time: the envelope's `timestamp` (legacy: the update's `time`).
    pub ts_exchange: UnixNanos,
    /// Local receive time.
    pub ts_recv: UnixNanos,
}

/// A book event and where its levels are in the decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookEvent {
    /// Its header.
    pub header: BookHeader,
    bids: (usize, usize),
    asks: (usize, usize),
}

/// A decoded Coinbase frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    /// Book events of one instrument, in [`Decoder::events`].
    Book(InstrumentId),
    /// Trades, in [`Decoder::trades`]; the instrument of the first.
    Trades(InstrumentId),
    /// Trades from before the subscription (not emitted).
    History,
    /// `subscriptions`, `heartbeats`.
    Control,
    /// A known channel ladder does not use.
    Ignored,
}

/// Why a frame could not be decoded. `Copy` and allocation-free: it is built on the hot path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// Malformed or truncated JSON.
    Json(JsonError),
    /// A price, size or integer string that is not one.
    Decimal {
        /// The field.
        field: &'static str,
        /// Byte offset.
        at: usize,
    },
    /// A book level whose side is not the venue's (`bid` / `offer`; legacy `buy` / `sell`).
    Side {
        /// Byte offset of the level.
        at: usize,
    },
    /// A field the message needs is missing.
    MissingField {
        /// What kind of message.
        message: &'static str,
        /// The missing field.
        field: &'static str,
    },
    /// A value that is not one the field takes.
    BadValue {
        /// The field.
        field: &'static str,
        /// Its value.
        value: Token,
    },
    /// A value is off its instrument's tick or lot grid, or out of range.
    Grid {
        /// The field.
        field: &'static str,
        /// The product.
        product: Token,
        /// Details.
        error: GridError,
    },
    /// A channel (legacy: a message type) ladder does not know.
    UnknownChannel(Token),
    /// A product that is not registered.
    UnknownProduct(Token),
    /// The venue replied with an error.
    VenueError(Message),
    /// An `l2_data` message with events of two products.
    MixedProducts {
        /// The first product.
        first: Token,
        /// Another one.
        other: Token,
    },
    /// The frame is valid JSON but not a Coinbase message (another venue's?).
    Unrecognized {
        /// The venue whose format was expected.
        venue: Venue,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json(e) => write!(f, "malformed frame: {e}"),
            Self::Decimal { field, at } => write!(f, "{field}: not a decimal string at byte {at}"),
            Self::Side { at } => write!(
                f,
                "coinbase book level at byte {at} has a side other than bid or offer"
            ),
            Self::MissingField { message, field } => {
                write!(f, "coinbase {message} message without its {field:?} field")
            }
            Self::BadValue { field, value } => write!(f, "coinbase {field} {value} is not valid"),
            Self::Grid {
                field,
                product,
                error,
            } => write!(f, "{product} {field}: {error}"),
            Self::UnknownChannel(s) => write!(f, "unknown coinbase channel {s}"),
            Self::UnknownProduct(s) => write!(f, "unknown product {s} (not configured)"),
            Self::VenueError(msg) => write!(f, "coinbase replied with an error: {msg}"),
            Self::MixedProducts { first, other } => write!(
                f,
                "coinbase l2_data message with events of two products ({first} and {other})"
            ),
            Self::Unrecognized { venue } => write!(f, "not a {venue} market-data message"),
        }
    }
}

impl std::error::Error for DecodeError {}

impl From<WireError> for DecodeError {
    fn from(e: WireError) -> Self {
        match e {
            WireError::Json(j) => Self::Json(j),
            WireError::Decimal { field, at } => Self::Decimal { field, at },
            WireError::Side { at } => Self::Side { at },
            WireError::Level { field, .. } => Self::MissingField {
                message: "book level",
                field,
            },
        }
    }
}

/// What the last frame said about the connection's sequence, even when it did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope {
    /// Its `sequence_num`.
    pub sequence: u64,
    /// True for an `l2_data` frame (its content may belong to a book).
    pub book: bool,
}

/// Decodes Coinbase frames of one format with reusable buffers.
#[derive(Debug)]
pub struct Decoder {
    venue: Venue,
    raw: Buffers,
    events: Vec<BookEvent>,
    /// The layouts of the last price and quantity read (see [`Layouts`]).
    layouts: Layouts,
    bids: Vec<Level>,
    asks: Vec<Level>,
    trades: Vec<Trade>,
    envelope: Option<Envelope>,
}

impl Decoder {
    /// A decoder of `venue`'s format (`coinbase` or `coinbase-exchange`; any other venue reads
    /// as Advanced Trade).
    pub fn new(venue: Venue) -> Self {
        Self {
            layouts: Layouts::default(),
            venue,
            raw: Buffers::default(),
            events: Vec::new(),
            bids: Vec::new(),
            asks: Vec::new(),
            trades: Vec::new(),
            envelope: None,
        }
    }

    /// The book events of the last frame.
    pub fn events(&self) -> &[BookEvent] {
        &self.events
    }

    /// The bid and ask levels of `ev`, in wire order.
    pub fn levels(&self, ev: &BookEvent) -> (&[Level], &[Level]) {
        (
            self.bids.get(ev.bids.0..ev.bids.1).unwrap_or_default(),
            self.asks.get(ev.asks.0..ev.asks.1).unwrap_or_default(),
        )
    }

    /// Trades of the last frame.
    pub fn trades(&self) -> &[Trade] {
        &self.trades
    }

    /// The `sequence_num` of the last frame, if it parsed and had one (also when the frame
    /// did not decode: the connection's counter moved on).
    pub fn envelope(&self) -> Option<Envelope> {
        self.envelope
    }

    /// Decodes one frame received at `ts_recv`.
    ///
    /// # Hot path
    /// No allocation once the buffers have grown; one pass over the bytes plus one over the
    /// levels.
    pub fn decode(
        &mut self,
        frame: &[u8],
        ts_recv: UnixNanos,
        registry: &Registry,
    ) -> Result<Decoded, DecodeError> {
        if let Some(id) = self.book_exact(frame, ts_recv, registry) {
            return Ok(Decoded::Book(id));
        }
        self.decode_general(frame, ts_recv, registry)
    }

    /// The general walk of [`Decoder::decode`]: keys in any order, every shape the venue
    /// sends, and every error named. [`Decoder::decode`] tries the exact-shape path first and
    /// falls back to this one; both give the same result (tests check it on the shared
    /// vectors).
    pub(crate) fn decode_general(
        &mut self,
        frame: &[u8],
        ts_recv: UnixNanos,
        registry: &Registry,
    ) -> Result<Decoded, DecodeError> {
        self.events.clear();
        self.bids.clear();
        self.asks.clear();
        self.trades.clear();
        self.envelope = None;
        if self.venue == Venue::CoinbaseExchange {
            return self.decode_exchange(frame, ts_recv, registry);
        }
        let mut f = Fields::default();
        wire::parse(frame, &mut f, &mut self.raw)?;
        self.envelope = f.sequence_num.map(|sequence| Envelope {
            sequence,
            book: f.channel == Some(b"l2_data"),
        });
        let kind = wire::classify(&f).map_err(|e| self.classify_error(e))?;
        let ts_exchange = match f.timestamp {
            Some(t) => time(t, "timestamp")?,
            None => UnixNanos::ZERO,
        };
        Ok(match kind {
            Kind::Book => {
                let id = self.book_events(frame, f.sequence_num, ts_exchange, ts_recv, registry)?;
                Decoded::Book(id)
            }
            Kind::Trades => self.decode_trades(frame, ts_recv, registry)?,
            Kind::Control => Decoded::Control,
            Kind::Ignored => Decoded::Ignored,
        })
    }

    /// The exact-shape path of an Advanced Trade `l2_data` frame of one event: the keys in
    /// the order Coinbase writes them (`channel`, `client_id` if any, `timestamp`,
    /// `sequence_num`, `events:[{type, product_id, updates}]`, each update `side`,
    /// `event_time`, `price_level`, `new_quantity`), no whitespace, every value read straight
    /// into ticks and lots ([`units`](crate::feed::units)). `None` on any surprise:
    /// [`Decoder::decode`] then takes the general walk, which gives the same result or names
    /// the error.
    ///
    /// # Hot path
    /// No allocation once the buffers have grown; one pass over the bytes.
    #[inline]
    pub(crate) fn book_exact(
        &mut self,
        frame: &[u8],
        ts_recv: UnixNanos,
        registry: &Registry,
    ) -> Option<InstrumentId> {
        if self.venue == Venue::CoinbaseExchange {
            return None;
        }
        let mut c = Exact::new(frame);
        c.lit(br#"{"channel":"l2_data","#)?;
        if c.eat(br#""client_id":""#) {
            c.str()?;
            c.lit(b",")?;
        }
        c.lit(br#""timestamp":""#)?;
        let ts_exchange = UnixNanos::from_nanos(wire::rfc3339_nanos(c.str()?)?);
        c.lit(br#","sequence_num":"#)?;
        let sequence = c.u64()?;
        c.lit(br#","events":[{"type":""#)?;
        let snapshot = match c.str()? {
            b"snapshot" => true,
            b"update" | b"l2update" => false,
            _ => return None,
        };
        c.lit(br#","product_id":""#)?;
        let inst = lookup(registry, self.venue, c.str()?).ok()?;
        let units = Units::new(&inst.spec, &self.layouts);
        c.lit(br#","updates":["#)?;
        self.events.clear();
        self.bids.clear();
        self.asks.clear();
        self.trades.clear();
        self.envelope = None;
        if !c.eat(b"]") {
            loop {
                c.lit(br#"{"side":""#)?;
                let bid = if c.eat(br#"bid""#) {
                    true
                } else {
                    c.lit(br#"offer""#)?;
                    false
                };
                c.lit(br#","event_time":""#)?;
                c.str()?;
                c.lit(br#","price_level":"#)?;
                let price = c.price(&units)?;
                c.lit(br#","new_quantity":"#)?;
                let qty = c.qty(&units)?;
                c.lit(b"}")?;
                let side = if bid { &mut self.bids } else { &mut self.asks };
                side.push(Level::new(price, qty));
                if !c.eat(b",") {
                    c.lit(b"]")?;
                    break;
                }
            }
            units.count(self.bids.len() + self.asks.len());
        }
        c.lit(b"}]}")?;
        if !c.at_end() {
            return None;
        }
        self.envelope = Some(Envelope {
            sequence,
            book: true,
        });
        self.events.push(BookEvent {
            header: BookHeader {
                instrument: inst.id,
                snapshot,
                sequence: Some(sequence),
                ts_exchange,
                ts_recv,
            },
            bids: (0, self.bids.len()),
            asks: (0, self.asks.len()),
        });
        Some(inst.id)
    }

    fn decode_exchange(
        &mut self,
        frame: &[u8],
        ts_recv: UnixNanos,
        registry: &Registry,
    ) -> Result<Decoded, DecodeError> {
        let mut f = exchange::Fields::default();
        exchange::parse(frame, &mut f, &mut self.raw)?;
        let kind = exchange::classify(&f).map_err(|e| match e {
            exchange::ClassifyError::UnknownType(t) => DecodeError::UnknownChannel(Token::new(t)),
            exchange::ClassifyError::VenueError(m, r) => {
                DecodeError::VenueError(Message::new(if r.is_empty() { m } else { r }))
            }
            exchange::ClassifyError::Unrecognized => {
                DecodeError::Unrecognized { venue: self.venue }
            }
        })?;
        Ok(match kind {
            exchange::Kind::Book => {
                let ts = match f.time {
                    Some(t) => time(t, "time")?,
                    None => UnixNanos::ZERO,
                };
                Decoded::Book(self.book_events(frame, None, ts, ts_recv, registry)?)
            }
            exchange::Kind::Trade => self.decode_trades(frame, ts_recv, registry)?,
            exchange::Kind::History => Decoded::History,
            exchange::Kind::Control => Decoded::Control,
            exchange::Kind::Ignored => Decoded::Ignored,
        })
    }

    fn classify_error(&self, e: ClassifyError<'_>) -> DecodeError {
        match e {
            ClassifyError::UnknownChannel(s) => DecodeError::UnknownChannel(Token::new(s)),
            ClassifyError::VenueError(m) => DecodeError::VenueError(Message::new(m)),
            ClassifyError::NoEvents => DecodeError::MissingField {
                message: "channel",
                field: "events",
            },
            ClassifyError::Unrecognized => DecodeError::Unrecognized { venue: self.venue },
        }
    }

    /// Converts every book event; all must be of one product.
    fn book_events(
        &mut self,
        frame: &[u8],
        sequence: Option<u64>,
        ts_exchange: UnixNanos,
        ts_recv: UnixNanos,
        registry: &Registry,
    ) -> Result<InstrumentId, DecodeError> {
        const M: &str = "l2_data";
        let mut first: Option<(&Instrument, Span)> = None;
        for k in 0..self.raw.events.len() {
            let ev = self.raw.events[k];
            if !ev.has_updates {
                return Err(DecodeError::MissingField {
                    message: M,
                    field: "updates",
                });
            }
            let product = need(ev.product, M, "product_id")?;
            let kind = slice(frame, need(ev.kind, M, "type")?);
            let snapshot = match kind {
                b"snapshot" => true,
                b"update" | b"l2update" => false,
                other => {
                    return Err(DecodeError::BadValue {
                        field: "type",
                        value: Token::new(other),
                    });
                }
            };
            let inst = match first {
                Some((inst, p)) if slice(frame, p) == slice(frame, product) => inst,
                Some((_, p)) => {
                    return Err(DecodeError::MixedProducts {
                        first: Token::new(slice(frame, p)),
                        other: Token::new(slice(frame, product)),
                    });
                }
                None => {
                    let inst = lookup(registry, self.venue, slice(frame, product))?;
                    first = Some((inst, product));
                    inst
                }
            };
            let bids = convert(inst, range(&self.raw.bids, ev.bids), &mut self.bids)?;
            let asks = convert(inst, range(&self.raw.asks, ev.asks), &mut self.asks)?;
            self.events.push(BookEvent {
                header: BookHeader {
                    instrument: inst.id,
                    snapshot,
                    sequence,
                    ts_exchange,
                    ts_recv,
                },
                bids,
                asks,
            });
        }
        first
            .map(|(inst, _)| inst.id)
            .ok_or(DecodeError::MissingField {
                message: M,
                field: "events",
            })
    }

    fn decode_trades(
        &mut self,
        frame: &[u8],
        ts_recv: UnixNanos,
        registry: &Registry,
    ) -> Result<Decoded, DecodeError> {
        const M: &str = "market_trades";
        let mut first = None;
        for ev in &self.raw.events {
            let kind = ev.kind.map(|k| slice(frame, k));
            if matches!(kind, Some(b"snapshot" | b"last_match")) {
                continue;
            }
            for t in range(&self.raw.trades, ev.trades) {
                let product = slice(frame, need(t.product, M, "product_id")?);
                let inst = lookup(registry, self.venue, product)?;
                first.get_or_insert(inst.id);
                let side = slice(frame, need(t.side, M, "side")?);
                let aggressor = match side {
                    // The maker's side: the taker is the other one.
                    b"BUY" | b"buy" => Side::Sell,
                    b"SELL" | b"sell" => Side::Buy,
                    other => {
                        return Err(DecodeError::BadValue {
                            field: "side",
                            value: Token::new(other),
                        });
                    }
                };
                let grid = |field| {
                    move |error| DecodeError::Grid {
                        field,
                        product: Token::new(inst.symbol.as_bytes()),
                        error,
                    }
                };
                self.trades.push(Trade {
                    instrument: inst.id,
                    aggressor,
                    price: inst
                        .spec
                        .market_price_from_raw(need(t.price, M, "price")?)
                        .map_err(grid("price"))?,
                    qty: inst
                        .spec
                        .market_qty_from_raw(need(t.qty, M, "size")?)
                        .map_err(grid("size"))?,
                    trade_id: need(t.trade_id, M, "trade_id")?,
                    ts_exchange: match t.time {
                        Some(s) => time(slice(frame, s), "time")?,
                        None => UnixNanos::ZERO,
                    },
                    ts_recv,
                });
            }
        }
        Ok(first.map_or(Decoded::History, Decoded::Trades))
    }
}

fn range<T>(v: &[T], (a, b): (u32, u32)) -> &[T] {
    v.get(a as usize..b as usize).unwrap_or_default()
}

/// Converts `raw` onto `inst`'s grid, appending to `out`; the range it filled.
fn convert(
    inst: &Instrument,
    raw: &[RawLevel],
    out: &mut Vec<Level>,
) -> Result<(usize, usize), DecodeError> {
    let start = out.len();
    for &(p, q) in raw {
        let grid = |field| {
            move |error| DecodeError::Grid {
                field,
                product: Token::new(inst.symbol.as_bytes()),
                error,
            }
        };
        let price = inst
            .spec
            .market_price_from_raw(p)
            .map_err(grid("price_level"))?;
        let qty = inst
            .spec
            .market_qty_from_raw(q)
            .map_err(grid("new_quantity"))?;
        out.push(Level::new(price, qty));
    }
    Ok((start, out.len()))
}

fn time(text: &[u8], field: &'static str) -> Result<UnixNanos, DecodeError> {
    wire::rfc3339_nanos(text)
        .map(UnixNanos::from_nanos)
        .ok_or(DecodeError::BadValue {
            field,
            value: Token::new(text),
        })
}

fn need<T>(v: Option<T>, message: &'static str, field: &'static str) -> Result<T, DecodeError> {
    v.ok_or(DecodeError::MissingField { message, field })
}

/// The registered instrument of `product`, or of its `-USDC` twin for a `-USD` product.
fn lookup<'r>(
    registry: &'r Registry,
    venue: Venue,
    product: &[u8],
) -> Result<&'r Instrument, DecodeError> {
    if let Some(i) = registry.lookup(venue, product) {
        return Ok(i);
    }
    if venue == Venue::Coinbase && product.ends_with(b"-USD") {
        let mut buf = [0u8; 64];
        if let Some(dst) = buf.get_mut(..product.len() + 1) {
            dst[..product.len()].copy_from_slice(product);
            dst[product.len()] = b'C';
            if let Some(i) = registry.lookup(Venue::Coinbase, dst) {
                return Ok(i);
            }
        }
    }
    Err(DecodeError::UnknownProduct(Token::new(product)))
}
