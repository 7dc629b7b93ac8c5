//! The venue-neutral pieces every encoder works with: the shared outgoing [`Frame`], fixed-
//! decimal number formatting ([`Fmt`]), a symbol's wire names ([`SymbolWire`]) and the
//! model-side facts a message is built from (update-id spans, trades, best quotes).

use super::super::SimError;
use super::super::SimSymbol;
use super::super::stream::{BookTopic, KINDS, StreamKind};
use crate::feed::live::Endpoints;
use ladder_sdk::InstrumentSpec;
use std::fmt::Write as _;
use std::time::Duration;

/// One outgoing WebSocket message, built once and shared by every subscriber: the text a
/// combined-stream subscriber receives, with the raw payload as a slice of it (the same text
/// on venues without an envelope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    text: String,
    raw: std::ops::Range<usize>,
}

impl Frame {
    /// Builds `{"stream":"<stream>","data":<payload>}` with `payload` written by `write`.
    pub(crate) fn enveloped(stream: &str, write: impl FnOnce(&mut String)) -> Self {
        let mut text = String::with_capacity(256);
        text.push_str("{\"stream\":\"");
        text.push_str(stream);
        text.push_str("\",\"data\":");
        let start = text.len();
        write(&mut text);
        let end = text.len();
        text.push('}');
        Self {
            text,
            raw: start..end,
        }
    }

    /// A message without an envelope (Bybit, OKX): the text is the payload.
    pub(crate) fn plain(write: impl FnOnce(&mut String)) -> Self {
        let mut text = String::with_capacity(256);
        write(&mut text);
        let raw = 0..text.len();
        Self { text, raw }
    }

    /// The message as a combined-stream subscriber receives it.
    pub(crate) fn combined(&self) -> &str {
        &self.text
    }

    /// The raw payload, as a single-stream subscriber receives it.
    pub(crate) fn raw(&self) -> &str {
        &self.text[self.raw.clone()]
    }
}

/// Writes an instrument's prices and quantities as decimal strings with a fixed number of
/// decimals (Binance spot: always 8; futures: the tick's and the lot's own decimals).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fmt {
    /// `10^-price_dp` units per tick.
    price_unit: i128,
    /// `10^-qty_dp` units per lot.
    qty_unit: i128,
    price_dp: u32,
    qty_dp: u32,
    /// Trailing zeros (and a bare dot) are left out (`"65140"`, `"0.014"`: Bybit spot, OKX).
    trim: bool,
}

/// Most decimals any simulated venue shows.
const MAX_DP: u32 = 8;

fn units(d: rust_decimal::Decimal, dp: u32, what: &str) -> Result<i128, SimError> {
    let d = d.normalize();
    if d.scale() > dp {
        return Err(SimError::Config(format!(
            "{what} {d} has more than {dp} decimals, which the venue cannot show"
        )));
    }
    Ok(d.mantissa() * 10i128.pow(dp - d.scale()))
}

impl Fmt {
    /// Prices with `price_dp` decimals and quantities with `qty_dp` (at most 8 each); the
    /// grid of `spec` must fit them.
    pub(crate) fn new(spec: &InstrumentSpec, price_dp: u32, qty_dp: u32) -> Result<Self, SimError> {
        if price_dp > MAX_DP || qty_dp > MAX_DP {
            return Err(SimError::Config(format!(
                "tick size {} or lot size {} has more than {MAX_DP} decimals, which the venue \
                 cannot show",
                spec.tick_size(),
                spec.lot_size()
            )));
        }
        Ok(Self {
            price_unit: units(spec.tick_size(), price_dp, "tick size")?,
            qty_unit: units(spec.lot_size(), qty_dp, "lot size")?,
            price_dp,
            qty_dp,
            trim: false,
        })
    }

    /// The same numbers written without trailing zeros (`"65140"`, `"0.014"`).
    pub(crate) fn trimmed(self) -> Self {
        Self { trim: true, ..self }
    }

    /// Appends `"<price>"` (quoted).
    pub(crate) fn price(&self, out: &mut String, ticks: i64) {
        write_fixed(
            out,
            i128::from(ticks) * self.price_unit,
            self.price_dp,
            self.trim,
        );
    }

    /// Appends `"<qty>"` (quoted).
    pub(crate) fn qty(&self, out: &mut String, lots: i64) {
        write_fixed(
            out,
            i128::from(lots) * self.qty_unit,
            self.qty_dp,
            self.trim,
        );
    }

    /// A price as a bare string (no quotes).
    pub(crate) fn price_text(&self, ticks: i64) -> String {
        let mut s = String::new();
        self.price(&mut s, ticks);
        s.trim_matches('"').to_owned()
    }

    /// A quantity as a bare string (no quotes).
    pub(crate) fn qty_text(&self, lots: i64) -> String {
        let mut s = String::new();
        self.qty(&mut s, lots);
        s.trim_matches('"').to_owned()
    }
}

/// Appends `units · 10^-dp` as a quoted decimal with exactly `dp` decimals, or with the
/// trailing zeros left out when `trim`.
fn write_fixed(out: &mut String, units: i128, dp: u32, trim: bool) {
    let sign = if units < 0 { "-" } else { "" };
    let u = units.unsigned_abs();
    if dp == 0 {
        let _ = write!(out, "\"{sign}{u}\"");
        return;
    }
    let scale = 10u128.pow(dp);
    let width = dp as usize;
    if !trim {
        let _ = write!(out, "\"{sign}{}.{:0width$}\"", u / scale, u % scale);
        return;
    }
    let (int, mut frac, mut width) = (u / scale, u % scale, width);
    if frac == 0 {
        let _ = write!(out, "\"{sign}{int}\"");
        return;
    }
    while frac % 10 == 0 {
        frac /= 10;
        width -= 1;
    }
    let _ = write!(out, "\"{sign}{int}.{frac:0width$}\"");
}

/// Appends `ms` (milliseconds since the Unix epoch) as an RFC 3339 UTC time with microseconds,
/// as Kraken and Coinbase stamp their messages: `2026-08-12T19:28:09.140000Z`.
pub(crate) fn write_rfc3339_ms(out: &mut String, ms: u64) {
    let (days, rem) = (ms / 86_400_000, ms % 86_400_000);
    // The civil date of a day count (Howard Hinnant's `civil_from_days`), 1970 on.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    let (h, mi, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1_000 % 60,
        rem % 1_000,
    );
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}000Z"
    );
}

/// A symbol as one venue shows it: its name on the wire, the key its stream names use, its
/// number format and the name of each stream it serves.
#[derive(Debug, Clone)]
pub(crate) struct SymbolWire {
    /// The symbol in messages and REST (`BTCUSDT`).
    pub(crate) symbol: String,
    /// The symbol in stream names (`btcusdt`).
    pub(crate) key: String,
    /// Prices and quantities.
    pub(crate) fmt: Fmt,
    /// Stream name per [`StreamKind::index`]; empty for kinds the venue does not serve.
    names: [String; KINDS],
}

impl SymbolWire {
    /// A symbol named `symbol` in messages and `key` in stream names, with `name_of` giving the
    /// full name of each stream kind it serves (`None` for the rest).
    pub(crate) fn new(
        symbol: String,
        key: String,
        fmt: Fmt,
        name_of: impl Fn(StreamKind) -> Option<String>,
    ) -> Self {
        let mut names: [String; KINDS] = Default::default();
        for k in StreamKind::all() {
            if let Some(n) = name_of(k) {
                names[k.index()] = n;
            }
        }
        Self {
            symbol,
            key,
            fmt,
            names,
        }
    }

    /// A symbol named by its upper-case name both in messages and in stream names (Bybit, OKX,
    /// Coinbase, Kraken), with `name_of(kind, name)` giving each stream's full name.
    pub(crate) fn upper_case(
        symbol: &SimSymbol,
        fmt: Fmt,
        name_of: impl Fn(StreamKind, &str) -> Option<String>,
    ) -> Self {
        let key = symbol.symbol.to_ascii_uppercase();
        Self::new(key.clone(), key.clone(), fmt, |k| name_of(k, &key))
    }

    /// The full name of one of its streams (empty if the venue does not serve the kind).
    pub(crate) fn name(&self, kind: StreamKind) -> &str {
        &self.names[kind.index()]
    }
}

/// The update ids and times one diff-depth message covers, in model ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DiffSpan {
    /// Event time (ms): the window's end, or the event's time.
    pub(crate) event_ms: u64,
    /// Time of the last book event in the message (ms).
    pub(crate) tx_ms: u64,
    /// Model id of the first change.
    pub(crate) first: u64,
    /// Model id of the last change.
    pub(crate) last: u64,
}

/// The state a partial-depth message shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PartialAt {
    /// Event time (ms).
    pub(crate) event_ms: u64,
    /// The model id the book is at.
    pub(crate) update_id: u64,
    /// The changes of the window that just closed, if it had any.
    pub(crate) window: Option<DiffSpan>,
}

/// One trade print (or aggregated trade).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TradePrint {
    /// Event time in ms.
    pub(crate) event_ms: u64,
    /// Trade time in ms.
    pub(crate) trade_ms: u64,
    /// Trade id, or aggregate id.
    pub(crate) id: u64,
    /// Price in ticks.
    pub(crate) price: i64,
    /// Quantity in lots.
    pub(crate) qty: i64,
    /// The buyer is the maker (the taker sold).
    pub(crate) buyer_is_maker: bool,
    /// The model update id of the event that printed it (Bybit's cross sequence `seq`, OKX's
    /// `seqId`).
    pub(crate) seq: u64,
    /// The direction of the price against the trades before it (Bybit's `L`).
    pub(crate) tick: Tick,
}

/// A trade's tick direction: the price rose, fell, or stayed after a rise or a fall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tick {
    /// Above the last price.
    Plus,
    /// At the last price, which last moved up (or the first trade).
    ZeroPlus,
    /// Below the last price.
    Minus,
    /// At the last price, which last moved down.
    ZeroMinus,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AggIds {
    /// First trade id.
    pub(crate) first: u64,
    /// Last trade id.
    pub(crate) last: u64,
}

/// Best bid and ask `(price ticks, qty lots)` at a model update id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Top {
    /// The model update id the book is at.
    pub(crate) update_id: u64,
    /// Best bid.
    pub(crate) bid: (i64, i64),
    /// Best ask.
    pub(crate) ask: (i64, i64),
    /// Time of the change (ms).
    pub(crate) time_ms: u64,
}

/// What a WebSocket handshake path asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WsRoute {
    /// Combined-stream envelopes (else raw payloads).
    pub(crate) combined: bool,
    /// Stream names given in the path or query, in order.
    pub(crate) names: Vec<String>,
    /// The stream kinds this path may carry, as [`StreamKind::bit`]s.
    pub(crate) allowed: u32,
    /// The path is accepted but never carries data (a retired endpoint).
    pub(crate) silent: bool,
}

impl WsRoute {
    /// The route of a venue whose one WebSocket path `want` (`/v2`; `""` is the root) carries
    /// every stream kind, subscribed by message (Bybit, OKX, Coinbase, Kraken); a trailing `/`
    /// of `path` is ignored, any other path refused naming the one to use.
    pub(crate) fn single_path(path: &str, want: &str) -> Result<Self, String> {
        if path.trim_end_matches('/') != want {
            let want = if want.is_empty() { "/" } else { want };
            return Err(format!("unknown path {path:?}: use {want}"));
        }
        Ok(Self {
            combined: false,
            names: Vec::new(),
            allowed: StreamKind::all().fold(0, |m, k| m | k.bit()),
            silent: false,
        })
    }
}

/// Endpoints of a venue whose one socket `ws` carries books and trades.
pub(crate) fn one_socket(ws: String, rest_base: &str) -> Endpoints {
    Endpoints {
        ws_book: ws.clone(),
        ws_trades: ws,
        rest: rest_base.to_owned(),
    }
}

/// Both sides of a book or a diff, best first: `(price ticks, qty lots)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sides<'a> {
    /// Bids, highest first.
    pub(crate) bids: &'a [(i64, i64)],
    /// Asks, lowest first.
    pub(crate) asks: &'a [(i64, i64)],
}

/// A venue's defaults for a simulator of it.
#[derive(Debug, Clone)]
pub(crate) struct VenueDefaults {
    /// The symbols served when none are named.
    pub(crate) symbols: Vec<SimSymbol>,
    /// How often the server pings.
    pub(crate) ping_interval: Duration,
    /// How long a ping may stay unanswered.
    pub(crate) pong_timeout: Duration,
    /// REST weight per window.
    pub(crate) weight_limit: u32,
    /// The REST weight window.
    pub(crate) weight_window: Duration,
}

/// One message of a book topic ([`StreamKind::Book`](super::super::stream::StreamKind)), in
/// model terms; the encoder writes the venue's ids and checksum from it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BookMsg<'a> {
    /// The topic.
    pub(crate) topic: BookTopic,
    /// A snapshot (the first message of a subscription, or a restart); else a delta (or, on
    /// a full topic, the next image).
    pub(crate) snapshot: bool,
    /// The levels the message carries: the image for a snapshot or a full topic, the changed
    /// levels (size 0: removed) for a delta.
    pub(crate) levels: Sides<'a>,
    /// The whole image after the message (what a checksum covers).
    pub(crate) image: Sides<'a>,
    /// The message's sequence id on the venue (Bybit `u`, OKX `seqId`).
    pub(crate) seq: u64,
    /// The previous message's sequence id (OKX `prevSeqId`); `None` for a snapshot.
    pub(crate) prev: Option<u64>,
    /// The model update id the image is at (Bybit's cross sequence `seq`).
    pub(crate) model_id: u64,
    /// When the venue sent it (ms).
    pub(crate) event_ms: u64,
    /// When the matching engine made the last change (ms, Bybit `cts`).
    pub(crate) engine_ms: u64,
    /// The venue's own fault to write into it, if any.
    pub(crate) fault: Option<BookFault>,
}

/// A venue's own book fault, written into one message by the encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BookFault {
    /// OKX: a checksum that does not match the image.
    BadChecksum,
    /// OKX: a `prevSeqId` that is not the previous message's `seqId`.
    SeqBreak,
}

/// Example URLs of a running simulator, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimUrls {
    /// A combined-stream URL carrying the first symbol's depth and book ticker (Bybit, OKX:
    /// the connection URL and the subscribe message for its book).
    pub book_stream: String,
    /// A combined-stream URL carrying its trades (Bybit, OKX: URL and subscribe message).
    pub trade_stream: String,
    /// Its REST depth snapshot (Bybit: none, the snapshot comes in the stream).
    pub depth_snapshot: String,
    /// The instruments endpoint.
    pub exchange_info: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn spec(tick: &str, lot: &str) -> InstrumentSpec {
        InstrumentSpec::new(
            Decimal::from_str(tick).unwrap(),
            Decimal::from_str(lot).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn fmt_with_8_decimals_writes_real_spot_strings() {
        let f = Fmt::new(&spec("0.01", "0.00001"), 8, 8).unwrap();
        let mut s = String::new();
        f.price(&mut s, 6_183_763);
        f.qty(&mut s, 105);
        f.qty(&mut s, 0);
        assert_eq!(s, "\"61837.63000000\"\"0.00105000\"\"0.00000000\"");
    }

    #[test]
    fn fmt_holds_shib_like_quantities_and_rejects_nine_decimals() {
        let f = Fmt::new(&spec("0.00000001", "1"), 8, 8).unwrap();
        let mut s = String::new();
        f.price(&mut s, 1_234);
        f.qty(&mut s, 100_000_000_000);
        assert_eq!(s, "\"0.00001234\"\"100000000000.00000000\"");
        assert!(Fmt::new(&spec("0.000000001", "1"), 8, 8).is_err());
        assert!(Fmt::new(&spec("0.01", "1"), 9, 0).is_err());
    }

    #[test]
    fn fmt_trimmed_leaves_out_trailing_zeros_as_bybit_spot_and_okx_write() {
        let f = Fmt::new(&spec("0.1", "0.000001"), 1, 6).unwrap().trimmed();
        assert_eq!(f.price_text(651_404), "65140.4");
        assert_eq!(f.price_text(651_400), "65140");
        assert_eq!(f.qty_text(14_000), "0.014");
        assert_eq!(f.qty_text(885_797), "0.885797");
        assert_eq!(f.qty_text(0), "0");
        assert_eq!(f.qty_text(2_000_000), "2");
    }

    #[test]
    fn fmt_with_the_grids_own_decimals_writes_real_futures_strings() {
        let f = Fmt::new(&spec("0.10", "0.001"), 2, 3).unwrap();
        assert_eq!(f.price_text(618_002), "61800.20");
        assert_eq!(f.qty_text(6), "0.006");
        assert_eq!(f.qty_text(12_111), "12.111");
        let whole = Fmt::new(&spec("0.0001", "1"), 4, 0).unwrap();
        assert_eq!(whole.qty_text(17), "17");
        assert!(
            Fmt::new(&spec("0.05", "1"), 1, 0).is_err(),
            "tick needs 2 decimals"
        );
    }

    #[rstest::rstest]
    #[case::epoch(0, "1970-01-01T00:00:00.000000Z")]
    #[case::leap_day(1_709_208_000_123, "2024-02-29T12:00:00.123000Z")]
    #[case::kraken_capture(1_786_562_889_140, "2026-08-12T19:28:09.140000Z")]
    #[case::new_year(1_798_761_599_999, "2026-12-31T23:59:59.999000Z")]
    fn rfc3339_ms_writes_utc_times_the_kraken_reader_reads_back(
        #[case] ms: u64,
        #[case] want: &str,
    ) {
        let mut s = String::new();
        write_rfc3339_ms(&mut s, ms);
        assert_eq!(s, want);
        assert_eq!(
            crate::feed::kraken::time::rfc3339_nanos(s.as_bytes()),
            Some(ms * 1_000_000)
        );
    }

    #[test]
    fn frame_raw_is_the_payload_of_the_envelope() {
        let f = Frame::enveloped("btcusdt@trade", |o| o.push_str("{\"x\":1}"));
        assert_eq!(
            f.combined(),
            "{\"stream\":\"btcusdt@trade\",\"data\":{\"x\":1}}"
        );
        assert_eq!(f.raw(), "{\"x\":1}");
    }
}
