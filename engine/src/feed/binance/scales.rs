//! Binance frames read for the decimal places of their values only: what grid inference counts
//! over a whole capture (`capture::grid`), without building a decimal or a level list.
//!
//! [`read`] gives, for the frames it accepts, exactly the answer of [`super::probe::Probe::read`]
//! (the symbol, whether the frame is used, and each `(price, quantity)` pair, here as decimal
//! places), in one pass over the bytes. It accepts only the compact shape Binance sends and
//! ladder records:
//!
//! ```text
//! {"stream":"<name>","data":{"<key>":<value>,...}}
//! ```
//!
//! no whitespace, no escapes, each key of `data` at most once, levels as `["<dec>","<dec>"]`,
//! decimals of 1 to 19 digits with at most one `.` (no sign), integers of 1 to 19 digits, keys
//! ladder does not read holding a string, a number or a literal. Every frame shaped otherwise
//! (a bare REST snapshot, a negative value, a nested object, a duplicate key, an escape, a
//! control reply, damage) is [`Scanned::Unsure`], and the caller asks the full probe: so the
//! counts are the full parse's on every input. A test compares the two frame by frame over
//! the shared captures and the vectors.

use super::wire::{self, Kind};

/// The decimal places of one `(price, quantity)` pair; `None` for a zero quantity (it says
/// nothing about the lot size). A zero price never appears: it voids the frame's values.
pub type PairScales = (u8, Option<u8>);

/// What [`read`] made of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scanned<'a> {
    /// A frame the decoder uses, naming its symbol (`None`: it names none); its pairs are in
    /// the output (none if one of them is a value the decoder or a book rejects).
    Used(Option<&'a [u8]>),
    /// A frame that does not decode or is not used: it counts nothing.
    Unused,
    /// Shaped otherwise than this reader accepts: ask [`super::probe::Probe::read`].
    Unsure,
}

const PREFIX: &[u8] = br#"{"stream":""#;
const MID: &[u8] = br#"","data":{"#;

/// Reads `frame`'s symbol and the decimal places of its pairs into `out` (cleared first;
/// capacity is kept, so a warm reader does not allocate).
pub fn read<'a>(frame: &'a [u8], out: &mut Vec<PairScales>) -> Scanned<'a> {
    out.clear();
    match scan(frame, out) {
        Some(s) => s,
        None => {
            out.clear();
            Scanned::Unsure
        }
    }
}

/// The keys of `data` the full parser reads, as bits (a second occurrence is `Unsure`).
mod key {
    pub(super) const E_TYPE: u32 = 1;
    pub(super) const E_TIME: u32 = 1 << 1;
    pub(super) const T: u32 = 1 << 2;
    pub(super) const S: u32 = 1 << 3;
    pub(super) const U_FIRST: u32 = 1 << 4;
    pub(super) const U_LAST: u32 = 1 << 5;
    pub(super) const PU: u32 = 1 << 6;
    pub(super) const LAST_UPDATE_ID: u32 = 1 << 7;
    pub(super) const TRADE_ID: u32 = 1 << 8;
    pub(super) const P: u32 = 1 << 9;
    pub(super) const Q: u32 = 1 << 10;
    pub(super) const M: u32 = 1 << 11;
    pub(super) const X: u32 = 1 << 12;
    pub(super) const BID_QTY: u32 = 1 << 13;
    pub(super) const ASK_QTY: u32 = 1 << 14;
    /// `b` or `bids`.
    pub(super) const BIDS: u32 = 1 << 15;
    /// `a` or `asks`.
    pub(super) const ASKS: u32 = 1 << 16;
}

/// The fields of `data` a pair may come from, read.
#[derive(Default)]
struct Strings<'a> {
    seen: u32,
    symbol: Option<&'a [u8]>,
    price: Option<Places>,
    qty: Option<Places>,
    bid_price: Option<Places>,
    bid_qty: Option<Places>,
    ask_price: Option<Places>,
    ask_qty: Option<Places>,
    /// A level with a zero price was read.
    zero_price: bool,
}

impl Strings<'_> {
    fn once(&mut self, bit: u32) -> Option<()> {
        if self.seen & bit != 0 {
            return None;
        }
        self.seen |= bit;
        Some(())
    }
}

/// `None`: not the accepted shape.
fn scan<'a>(f: &'a [u8], out: &mut Vec<PairScales>) -> Option<Scanned<'a>> {
    if !f.starts_with(PREFIX) {
        return None;
    }
    let mut i = PREFIX.len();
    let n = string_len(&f[i..])?;
    let stream = &f[i..i + n];
    i += n;
    if !f[i..].starts_with(MID) {
        return None;
    }
    i += MID.len();
    let mut s = Strings::default();
    if f.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            if f.get(i) != Some(&b'"') {
                return None;
            }
            i += 1;
            // A one-byte key (most keys of `data`) without the string scan.
            let n = if f.get(i + 1) == Some(&b'"') && f[i] != b'\\' && f[i] != b'"' {
                1
            } else {
                string_len(&f[i..])?
            };
            let k = &f[i..i + n];
            i += n + 1;
            if f.get(i) != Some(&b':') {
                return None;
            }
            i = value(f, i + 1, k, &mut s, out)?;
            match f.get(i) {
                Some(b',') => i += 1,
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    if f.len() != i + 1 || f[i] != b'}' {
        return None;
    }
    let Ok(kind) = wire::classify_stream(stream) else {
        return Some(Scanned::Unused);
    };
    match kind {
        Kind::Depth | Kind::Snapshot => {}
        Kind::Trade | Kind::AggTrade => {
            out.clear();
            s.zero_price = false;
            if !pair(s.price, s.qty, &mut s.zero_price, out) {
                return Some(Scanned::Unused);
            }
        }
        Kind::BookTicker => {
            out.clear();
            s.zero_price = false;
            if !pair(s.bid_price, s.bid_qty, &mut s.zero_price, out)
                || !pair(s.ask_price, s.ask_qty, &mut s.zero_price, out)
            {
                return Some(Scanned::Unused);
            }
        }
        Kind::Control | Kind::ServerShutdown | Kind::Ignored => return Some(Scanned::Unused),
    }
    if s.zero_price {
        out.clear();
    }
    Some(Scanned::Used(
        s.symbol.or_else(|| wire::stream_symbol(stream)),
    ))
}

/// One pair from two decimal strings: `false` if one is missing (the frame is unused).
fn pair(
    p: Option<Places>,
    q: Option<Places>,
    zero_price: &mut bool,
    out: &mut Vec<PairScales>,
) -> bool {
    let (Some(p), Some(q)) = (p, q) else {
        return false;
    };
    *zero_price |= !p.nonzero;
    out.push((p.scale, q.nonzero.then_some(q.scale)));
    true
}

/// Reads the value of key `k` at `i`; the offset after it.
fn value<'a>(
    f: &'a [u8],
    i: usize,
    k: &[u8],
    s: &mut Strings<'a>,
    out: &mut Vec<PairScales>,
) -> Option<usize> {
    let first = *f.get(i)?;
    // A decimal string, read in place.
    let dec = |s: &mut Strings<'a>, bit: u32| -> Option<(Places, usize)> {
        s.once(bit)?;
        if first != b'"' {
            return None;
        }
        let (d, n) = decimal(&f[i + 1..])?;
        (f.get(i + 1 + n) == Some(&b'"')).then_some((d, i + n + 2))
    };
    Some(match k {
        b"e" | b"X" | b"s" => {
            s.once(match k {
                b"e" => key::E_TYPE,
                b"X" => key::X,
                _ => key::S,
            })?;
            if first != b'"' {
                return None;
            }
            let n = string_len(&f[i + 1..])?;
            if k == b"s" {
                s.symbol = Some(&f[i + 1..i + 1 + n]);
            }
            i + n + 2
        }
        b"p" => {
            let (d, next) = dec(s, key::P)?;
            s.price = Some(d);
            next
        }
        b"q" => {
            let (d, next) = dec(s, key::Q)?;
            s.qty = Some(d);
            next
        }
        b"B" => {
            let (d, next) = dec(s, key::BID_QTY)?;
            s.bid_qty = Some(d);
            next
        }
        b"A" => {
            let (d, next) = dec(s, key::ASK_QTY)?;
            s.ask_qty = Some(d);
            next
        }
        b"E" | b"T" | b"U" | b"u" | b"pu" | b"lastUpdateId" | b"t" => {
            s.once(match k {
                b"E" => key::E_TIME,
                b"T" => key::T,
                b"U" => key::U_FIRST,
                b"u" => key::U_LAST,
                b"pu" => key::PU,
                b"t" => key::TRADE_ID,
                _ => key::LAST_UPDATE_ID,
            })?;
            integer(f, i)?
        }
        b"m" => {
            s.once(key::M)?;
            literal(f, i)?
        }
        b"b" | b"bids" | b"a" | b"asks" => {
            let bids = matches!(k, b"b" | b"bids");
            s.once(if bids { key::BIDS } else { key::ASKS })?;
            match first {
                b'[' => levels(f, i, &mut s.zero_price, out)?,
                b'"' if k.len() == 1 => {
                    let (d, n) = decimal(&f[i + 1..])?;
                    if f.get(i + 1 + n) != Some(&b'"') {
                        return None;
                    }
                    if bids {
                        s.bid_price = Some(d);
                    } else {
                        s.ask_price = Some(d);
                    }
                    i + n + 2
                }
                // The aggregate trade id of an aggTrade.
                b'0'..=b'9' if k == b"a" => integer(f, i)?,
                _ => return None,
            }
        }
        // Keys the full parser treats apart (a venue error, a control reply's error).
        b"code" | b"error" => return None,
        // Every other key is skipped by the full parser: a scalar here.
        _ => match first {
            b'"' => i + string_len(&f[i + 1..])? + 2,
            b't' | b'f' | b'n' => {
                let word: &[u8] = match first {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                if !f[i..].starts_with(word) {
                    return None;
                }
                i + word.len()
            }
            b'-' | b'0'..=b'9' => {
                i + f[i..]
                    .iter()
                    .take_while(|b| matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                    .count()
            }
            _ => return None,
        },
    })
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// An unsigned integer of 1 to 19 digits at `i`; the offset after it.
#[inline]
fn integer(f: &[u8], i: usize) -> Option<usize> {
    let n = match f.get(i..i + 16) {
        Some(word) => {
            let x = u128::from_le_bytes(word.try_into().ok()?) ^ (0x30 * ONES128);
            let low = x & (0x7F * ONES128);
            let not_digit = (x | (low + 0x76 * ONES128)) & (0x80 * ONES128);
            match (not_digit.trailing_zeros() / 8) as usize {
                16 => f[i..].iter().take_while(|b| b.is_ascii_digit()).count(),
                n => n,
            }
        }
        None => f[i..].iter().take_while(|b| b.is_ascii_digit()).count(),
    };
    (1..=19).contains(&n).then_some(i + n)
}

const ONES128: u128 = 0x0101_0101_0101_0101_0101_0101_0101_0101;

/// `true` or `false` at `i`; the offset after it.
fn literal(f: &[u8], i: usize) -> Option<usize> {
    if f[i..].starts_with(b"true") {
        Some(i + 4)
    } else if f[i..].starts_with(b"false") {
        Some(i + 5)
    } else {
        None
    }
}

/// `[["<dec>","<dec>"],...]` at `i` (which holds `[`); the offset after it.
fn levels(
    f: &[u8],
    mut i: usize,
    zero_price: &mut bool,
    out: &mut Vec<PairScales>,
) -> Option<usize> {
    i += 1;
    if f.get(i) == Some(&b']') {
        return Some(i + 1);
    }
    loop {
        if f.get(i..i + 2) != Some(b"[\"") {
            return None;
        }
        i += 2;
        let (p, n) = decimal(&f[i..])?;
        i += n;
        if f.get(i..i + 3) != Some(b"\",\"") {
            return None;
        }
        i += 3;
        let (q, n) = decimal(&f[i..])?;
        i += n;
        if f.get(i..i + 2) != Some(b"\"]") {
            return None;
        }
        i += 2;
        *zero_price |= !p.nonzero;
        out.push((p.scale, q.nonzero.then_some(q.scale)));
        match f.get(i) {
            Some(b',') => i += 1,
            Some(b']') => return Some(i + 1),
            _ => return None,
        }
    }
}

/// A decimal's places (trailing fractional zeros not counted) and whether it is non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Places {
    scale: u8,
    nonzero: bool,
}

/// The decimal at the start of `s`, up to a `"` or the end of `s`: its places and its length.
/// `None` unless it is 1 to 19 digits with at most one `.` (so its mantissa fits a `u64` and
/// the full parser takes it without its slow path). A decimal of at most 15 bytes with 16
/// bytes to read (every price and quantity of the shared captures) is read in one 16-byte
/// word, without a branch per byte.
#[inline]
fn decimal(s: &[u8]) -> Option<(Places, usize)> {
    const ONES: u128 = 0x0101_0101_0101_0101_0101_0101_0101_0101;
    const HIGH: u128 = 0x80 * ONES;
    let Some(word) = s.get(..16) else {
        return decimal_tail(s, 0, 0, usize::MAX, 0);
    };
    let x = u128::from_le_bytes(word.try_into().ok()?) ^ (0x30 * ONES);
    let low = x & (0x7F * ONES);
    // High bit of each byte that is not a digit; of each that is not a `0`.
    let not_digit = (x | (low + 0x76 * ONES)) & HIGH;
    let not_zero = (low + 0x7F * ONES) & HIGH;
    let byte = |mask: u128| (mask.trailing_zeros() / 8) as usize;
    let mut end = byte(not_digit);
    if end == 16 {
        return decimal_tail(s, 0, 0, usize::MAX, 0);
    }
    let mut dot = usize::MAX;
    if s[end] == b'.' {
        dot = end;
        end = byte(not_digit & !(0x80u128 << (8 * dot)));
        if end == 16 {
            return decimal_tail(s, 0, 0, usize::MAX, 0);
        }
    }
    if s[end] != b'"' {
        return None;
    }
    // The digits before `end`, the dot excluded; the last non-zero one.
    let before = (1u128 << (8 * end)) - 1;
    let nz = not_zero & !not_digit & before;
    let last = if nz == 0 {
        0
    } else {
        (127 - nz.leading_zeros() as usize) / 8 + 1
    };
    let digits = end - usize::from(dot != usize::MAX);
    places(digits as u32, dot, last, end)
}

/// [`decimal`] from `j` on, a byte at a time (the last bytes of `s`).
#[cold]
fn decimal_tail(
    s: &[u8],
    mut j: usize,
    mut digits: u32,
    mut dot: usize,
    mut last: usize,
) -> Option<(Places, usize)> {
    while let Some(&b) = s.get(j) {
        match b {
            b'0' => digits += 1,
            b'1'..=b'9' => {
                digits += 1;
                last = j + 1;
            }
            b'.' if dot == usize::MAX => dot = j,
            b'"' => break,
            _ => return None,
        }
        j += 1;
    }
    places(digits, dot, last, j)
}

#[inline]
fn places(digits: u32, dot: usize, last: usize, len: usize) -> Option<(Places, usize)> {
    if digits == 0 || digits > 19 {
        return None;
    }
    let scale = if dot != usize::MAX && last > dot {
        last - dot - 1
    } else {
        0
    };
    Some((
        Places {
            scale: scale as u8,
            nonzero: last != 0,
        },
        len,
    ))
}

/// The length of the string starting at `s[0]` up to its closing `"`; `None` at an escape or
/// if it does not close. Eight bytes at a time where there are.
#[inline]
fn string_len(s: &[u8]) -> Option<usize> {
    let mut j = 0;
    while let Some(chunk) = s.get(j..j + 8) {
        let w = u64::from_le_bytes(chunk.try_into().ok()?);
        // High bit of each byte equal to `"` or `\` (exact up to the first one).
        let (q, b) = (w ^ (b'"' as u64 * ONES), w ^ (b'\\' as u64 * ONES));
        let hit = ((q.wrapping_sub(ONES) & !q) | (b.wrapping_sub(ONES) & !b)) & HIGH;
        if hit != 0 {
            let k = j + (hit.trailing_zeros() / 8) as usize;
            return (s[k] == b'"').then_some(k);
        }
        j += 8;
    }
    let k = j + s[j..].iter().position(|&b| b == b'"' || b == b'\\')?;
    (s[k] == b'"').then_some(k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::binance::probe::Probe;
    use std::io::Read;

    type Answer<'a> = Option<(Option<&'a [u8]>, Vec<PairScales>)>;

    /// The full probe's answer, as decimal places.
    fn full<'a>(probe: &mut Probe, frame: &'a [u8]) -> Answer<'a> {
        let symbol = probe.read(frame)?;
        let pairs = probe.values().iter();
        Some((
            symbol,
            pairs
                .map(|(p, q)| (p.scale, (q.mantissa != 0).then_some(q.scale)))
                .collect(),
        ))
    }

    /// Compares the two on `frame`; true if the fast reader answered (was not unsure).
    fn same(probe: &mut Probe, out: &mut Vec<PairScales>, frame: &[u8]) -> bool {
        let want = full(probe, frame);
        let text = String::from_utf8_lossy(frame);
        match read(frame, out) {
            Scanned::Unsure => false,
            Scanned::Unused => {
                assert_eq!(want, None, "{text}");
                true
            }
            Scanned::Used(symbol) => {
                assert_eq!(want, Some((symbol, out.clone())), "{text}");
                true
            }
        }
    }

    /// The frames of a shared capture or vector (each line from its first `{`).
    fn frames(rel: &str) -> Option<Vec<Vec<u8>>> {
        let path = crate::testutil::shared(rel)?;
        let raw = std::fs::read(&path).unwrap();
        let mut text = Vec::new();
        if raw.starts_with(&[0x1f, 0x8b]) {
            flate2::read::MultiGzDecoder::new(&raw[..])
                .read_to_end(&mut text)
                .unwrap();
        } else {
            text = raw;
        }
        let lines = text.split(|&b| b == b'\n');
        Some(
            lines
                .filter_map(|l| {
                    Some(
                        l[l.iter().position(|&b| b == b'{')?..]
                            .trim_ascii()
                            .to_vec(),
                    )
                })
                .collect(),
        )
    }

    #[rstest::rstest]
    #[case::usdm_capture("captures/binance-usdm_btcusdt_20240808.gz", 93_953)]
    #[case::spot_capture("captures/binance-spot_btcusdt_20240808.gz", 41_248)]
    #[case::usdm_vector("vectors/binance/hftbacktest_usdm_btcusdt_20240808_first1000.txt", 999)]
    #[case::spot_vector("vectors/binance/hftbacktest_spot_btcusdt_20240808_first1000.txt", 999)]
    #[case::cryptofeed_ws("vectors/binance/cryptofeed_BINANCE.ws.1.0", 0)]
    fn answers_like_the_full_probe_on_every_frame_of_the_shared_data(
        #[case] rel: &str,
        #[case] at_least: usize,
    ) {
        let Some(frames) = frames(rel) else {
            return;
        };
        let (mut probe, mut out) = (Probe::default(), Vec::new());
        let answered = frames
            .iter()
            .filter(|f| same(&mut probe, &mut out, f))
            .count();
        assert!(
            answered >= at_least,
            "{answered} of {} answered",
            frames.len()
        );
    }

    #[test]
    fn answers_like_the_full_probe_on_damaged_frames() {
        let Some(mut all) = frames("vectors/binance/cryptofeed_BINANCE.ws.1.0") else {
            return;
        };
        let usdm = frames("vectors/binance/hftbacktest_usdm_btcusdt_20240808_first1000.txt");
        // Every fifth byte of each frame, starting one byte further on the next frame: the
        // frames share their shape, so together they cover every position of it (a debug-build
        // test run stays in seconds).
        all.truncate(100);
        all.extend(usdm.into_iter().flatten().take(50));
        let (mut probe, mut out) = (Probe::default(), Vec::new());
        for (i, frame) in all.iter().enumerate() {
            for at in (i % 5..frame.len()).step_by(5) {
                for b in *b"\",:{}[]0 1.-\\eX" {
                    let mut f = frame.clone();
                    f[at] = b;
                    same(&mut probe, &mut out, &f);
                }
                same(&mut probe, &mut out, &frame[..at]);
            }
        }
    }

    #[rstest::rstest]
    #[case::zero_price(r#"{"stream":"x@depth","data":{"s":"X","b":[["0.00","1"]],"a":[]}}"#)]
    #[case::zero_qty(r#"{"stream":"x@depth","data":{"s":"X","b":[["1.50","0.000"]],"a":[]}}"#)]
    #[case::no_levels(r#"{"stream":"x@depth","data":{}}"#)]
    #[case::negative(r#"{"stream":"x@trade","data":{"s":"X","p":"-1","q":"1"}}"#)]
    #[case::no_qty(r#"{"stream":"x@trade","data":{"s":"X","p":"1"}}"#)]
    #[case::agg(r#"{"stream":"x@aggTrade","data":{"a":12,"p":"1.5","q":"2","m":true,"M":null}}"#)]
    #[case::ticker(
        r#"{"stream":"x@bookTicker","data":{"b":"1.1","B":"0","a":"1.20","A":"3.125"}}"#
    )]
    #[case::ticker_zero(r#"{"stream":"x@bookTicker","data":{"b":"0","B":"1","a":"1","A":"1"}}"#)]
    #[case::dup_symbol(r#"{"stream":"x@trade","data":{"s":"A","s":"B","p":"1","q":"1"}}"#)]
    #[case::bids_twice(r#"{"stream":"x@depth","data":{"b":[["1","1"]],"bids":[["2.5","1"]]}}"#)]
    #[case::long(r#"{"stream":"x@trade","data":{"p":"12345678901234567890","q":"1"}}"#)]
    #[case::exponent(r#"{"stream":"x@trade","data":{"x":1e5,"p":"1","q":"1.0e1"}}"#)]
    #[case::space(r#"{"stream":"x@trade","data":{"p":"1", "q":"1"}}"#)]
    #[case::escape(r#"{"stream":"x@trade","data":{"s":"A\"B","p":"1","q":"1"}}"#)]
    #[case::ignored(r#"{"stream":"x@kline_1m","data":{"k":{"o":"1"}}}"#)]
    #[case::unknown(r#"{"stream":"x@nothing","data":{"p":"1","q":"1"}}"#)]
    #[case::snapshot(r#"{"lastUpdateId":1,"bids":[["1.5","1"]],"asks":[]}"#)]
    #[case::dots(r#"{"stream":"x@trade","data":{"p":"1.2.3","q":".5"}}"#)]
    #[case::bare_dot(r#"{"stream":"x@trade","data":{"p":".","q":"7."}}"#)]
    #[case::big_id(r#"{"stream":"x@trade","data":{"E":99999999999999999999,"p":"1","q":"1"}}"#)]
    fn answers_like_the_full_probe_on_edge_frames(#[case] frame: &str) {
        same(&mut Probe::default(), &mut Vec::new(), frame.as_bytes());
    }
}
