//! A small allocation-free JSON pull scanner for venue frames.
//!
//! Venue messages are flat objects of numbers, short strings and arrays of decimal-string pairs.
//! `serde_json::Value` costs ~170 allocations per depth frame and `Decimal` ~35 ns per field
//! (`docs/hotpath.md` §4); this scanner walks the bytes once, hands out borrowed string slices,
//! and lets each decoder read fields in any key order and skip the ones it does not know.
//!
//! # Hot path
//! No allocation, no recursion for skipped values (a depth counter), O(bytes).

use ladder_sdk::RawDecimal;
use std::fmt;

/// What went wrong while scanning, and where (byte offset into the frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonError {
    /// The frame ended in the middle of a value.
    Truncated {
        /// Byte offset where more input was needed.
        at: usize,
    },
    /// A byte that does not fit the grammar at this point.
    Unexpected {
        /// Byte offset.
        at: usize,
        /// The byte found.
        found: u8,
        /// What was expected instead.
        expected: &'static str,
    },
    /// A number did not fit the expected integer type.
    BadNumber {
        /// Byte offset of the number.
        at: usize,
    },
    /// A string with escape sequences where a plain token was expected.
    Escaped {
        /// Byte offset of the string.
        at: usize,
    },
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Truncated { at } => write!(f, "truncated JSON at byte {at}"),
            Self::Unexpected {
                at,
                found,
                expected,
            } => write!(
                f,
                "unexpected {} at byte {at}, expected {expected}",
                Printable(found)
            ),
            Self::BadNumber { at } => write!(f, "invalid or out-of-range number at byte {at}"),
            Self::Escaped { at } => write!(f, "unsupported escape sequence in string at byte {at}"),
        }
    }
}

impl std::error::Error for JsonError {}

struct Printable(u8);

impl fmt::Display for Printable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_ascii_graphic() {
            write!(f, "'{}'", char::from(self.0))
        } else {
            write!(f, "byte 0x{:02x}", self.0)
        }
    }
}

/// A cursor over one JSON document.
#[derive(Debug, Clone)]
pub struct Scanner<'a> {
    buf: &'a [u8],
    pos: usize,
}

type Result<T> = std::result::Result<T, JsonError>;

impl<'a> Scanner<'a> {
    /// A scanner at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// The current byte offset.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Moves the cursor to `pos` (at most the end): where a caller's own fast path over
    /// [`Scanner::position`]'s bytes stopped.
    #[inline]
    pub fn seek(&mut self, pos: usize) {
        self.pos = pos.min(self.buf.len());
    }

    /// The next non-space byte, without consuming anything.
    #[inline]
    pub fn peek_byte(&self) -> Option<u8> {
        self.buf[self.pos.min(self.buf.len())..]
            .iter()
            .copied()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(&b) = self.buf.get(self.pos) {
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                break;
            }
            self.pos += 1;
        }
    }

    #[inline]
    fn peek(&mut self) -> Result<u8> {
        self.skip_ws();
        self.buf
            .get(self.pos)
            .copied()
            .ok_or(JsonError::Truncated { at: self.pos })
    }

    #[inline]
    fn expect(&mut self, want: u8, expected: &'static str) -> Result<()> {
        let b = self.peek()?;
        if b != want {
            return Err(JsonError::Unexpected {
                at: self.pos,
                found: b,
                expected,
            });
        }
        self.pos += 1;
        Ok(())
    }

    /// The next value is an object: consume `{`.
    #[inline]
    pub fn begin_object(&mut self) -> Result<()> {
        self.expect(b'{', "'{'")
    }

    /// The next key of the current object, or `None` after its closing `}`. Call after
    /// [`begin_object`](Self::begin_object) and after reading or skipping each value.
    #[inline]
    pub fn next_key(&mut self, first: &mut bool) -> Result<Option<&'a [u8]>> {
        let b = self.peek()?;
        if b == b'}' {
            self.pos += 1;
            return Ok(None);
        }
        if !*first {
            if b != b',' {
                return Err(JsonError::Unexpected {
                    at: self.pos,
                    found: b,
                    expected: "',' or '}'",
                });
            }
            self.pos += 1;
        }
        *first = false;
        let key = self.str()?;
        self.expect(b':', "':'")?;
        Ok(Some(key))
    }

    /// The next value is an array: consume `[`.
    #[inline]
    pub fn begin_array(&mut self) -> Result<()> {
        self.expect(b'[', "'['")
    }

    /// True if another element follows in the current array (consuming the `,`), false after
    /// its closing `]`.
    #[inline]
    pub fn next_element(&mut self, first: &mut bool) -> Result<bool> {
        let b = self.peek()?;
        if b == b']' {
            self.pos += 1;
            return Ok(false);
        }
        if !*first {
            if b != b',' {
                return Err(JsonError::Unexpected {
                    at: self.pos,
                    found: b,
                    expected: "',' or ']'",
                });
            }
            self.pos += 1;
        }
        *first = false;
        Ok(true)
    }

    /// A string value without escapes, as the bytes between the quotes.
    #[inline]
    pub fn str(&mut self) -> Result<&'a [u8]> {
        self.expect(b'"', "a string")?;
        let start = self.pos;
        let rest = &self.buf[start..];
        match string_end(rest) {
            Some(i) if rest[i] == b'"' => {
                self.pos = start + i + 1;
                Ok(&rest[..i])
            }
            Some(_) => Err(JsonError::Escaped { at: start - 1 }),
            None => Err(JsonError::Truncated { at: self.buf.len() }),
        }
    }

    /// A decimal string value (`"61837.63000000"`) read straight into a [`RawDecimal`] in one
    /// pass over its bytes, trailing fractional zeros stripped. Anything but an optional
    /// leading `-`, digits and one `.` is [`JsonError::BadNumber`].
    ///
    /// # Hot path
    /// No allocation, one pass, no division by a variable.
    #[inline]
    pub fn decimal_str(&mut self) -> Result<RawDecimal> {
        self.expect(b'"', "a decimal string")?;
        let start = self.pos;
        let bytes = &self.buf[start..];
        let bad = JsonError::BadNumber { at: start - 1 };
        let negative = bytes.first() == Some(&b'-');
        let mut i = usize::from(negative);
        let mut mantissa: u64 = 0;
        let mut digits: u32 = 0;
        let mut fraction: u32 = 0;
        let mut zeros: u32 = 0;
        let mut dot = false;
        loop {
            let Some(&b) = bytes.get(i) else {
                return Err(JsonError::Truncated { at: self.buf.len() });
            };
            let d = b.wrapping_sub(b'0');
            if d < 10 {
                mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
                digits += 1;
                fraction += u32::from(dot);
                zeros = if d == 0 { zeros + u32::from(dot) } else { 0 };
            } else if b == b'.' && !dot {
                dot = true;
                // Fast path: exactly eight fraction digits, then the closing quote (Binance
                // spot formats every price and quantity this way).
                if let Some(eight) = bytes.get(i + 1..i + 9)
                    && bytes.get(i + 9) == Some(&b'"')
                    && digits <= 11
                {
                    let chunk = u64::from_le_bytes(eight.try_into().unwrap_or([0; 8]));
                    if all_digits(chunk) {
                        mantissa = mantissa
                            .wrapping_mul(100_000_000)
                            .wrapping_add(parse_eight(chunk));
                        digits += 8;
                        fraction = 8;
                        zeros = trailing_zero_chars(chunk);
                        i += 9;
                        break;
                    }
                }
            } else if b == b'"' {
                break;
            } else {
                return Err(bad);
            }
            i += 1;
        }
        self.pos = start + i + 1;
        if digits == 0 {
            return Err(bad);
        }
        if digits > 19 {
            // Long strings (many leading zeros, say) take the checked path.
            let d = RawDecimal::parse(&bytes[..i]).map_err(|_| bad)?;
            return Ok(d);
        }
        mantissa = strip_zeros(mantissa, zeros);
        let scale = u8::try_from(fraction - zeros).map_err(|_| bad)?;
        if scale > 28 {
            return Err(bad);
        }
        Ok(RawDecimal {
            mantissa,
            scale,
            negative: negative && mantissa != 0,
        })
    }

    /// One `["<decimal>","<decimal>"]` pair written without whitespace (the shape every
    /// Binance level has), or `None` with the cursor unmoved if the bytes are shaped otherwise,
    /// so the caller can fall back to the general walk.
    ///
    /// # Hot path
    /// No allocation; reads each byte once.
    #[inline]
    pub fn compact_decimal_pair(&mut self) -> Option<Result<(RawDecimal, RawDecimal)>> {
        let save = self.pos;
        if self.buf.get(self.pos) != Some(&b'[') {
            return None;
        }
        self.pos += 1;
        let first = match self.decimal_str() {
            Ok(d) => d,
            Err(e) => return Some(Err(e)),
        };
        if self.buf.get(self.pos) != Some(&b',') {
            self.pos = save;
            return None;
        }
        self.pos += 1;
        let second = match self.decimal_str() {
            Ok(d) => d,
            Err(e) => return Some(Err(e)),
        };
        if self.buf.get(self.pos) != Some(&b']') {
            self.pos = save;
            return None;
        }
        self.pos += 1;
        Some(Ok((first, second)))
    }

    /// An unsigned integer value.
    #[inline]
    pub fn u64(&mut self) -> Result<u64> {
        self.skip_ws();
        let start = self.pos;
        let mut v: u64 = 0;
        while let Some(&b) = self.buf.get(self.pos) {
            if !b.is_ascii_digit() {
                break;
            }
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(b - b'0')))
                .ok_or(JsonError::BadNumber { at: start })?;
            self.pos += 1;
        }
        if self.pos == start {
            return match self.buf.get(start) {
                Some(&found) => Err(JsonError::Unexpected {
                    at: start,
                    found,
                    expected: "a number",
                }),
                None => Err(JsonError::Truncated { at: start }),
            };
        }
        if matches!(
            self.buf.get(self.pos),
            Some(b'.' | b'e' | b'E' | b'-' | b'+')
        ) {
            return Err(JsonError::BadNumber { at: start });
        }
        Ok(v)
    }

    /// A signed integer value.
    #[inline]
    pub fn i64(&mut self) -> Result<i64> {
        let neg = self.peek()? == b'-';
        if neg {
            self.pos += 1;
        }
        let at = self.pos;
        let v = self.u64()?;
        let v = i64::try_from(v).map_err(|_| JsonError::BadNumber { at })?;
        Ok(if neg { -v } else { v })
    }

    /// A `true` / `false` value.
    #[inline]
    pub fn bool(&mut self) -> Result<bool> {
        let b = self.peek()?;
        let (word, value): (&[u8], bool) = match b {
            b't' => (b"true", true),
            b'f' => (b"false", false),
            found => {
                return Err(JsonError::Unexpected {
                    at: self.pos,
                    found,
                    expected: "true or false",
                });
            }
        };
        self.literal(word)?;
        Ok(value)
    }

    /// True (and consumed) if the next value is `null`.
    #[inline]
    pub fn null(&mut self) -> Result<bool> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Ok(true);
        }
        Ok(false)
    }

    fn literal(&mut self, word: &[u8]) -> Result<()> {
        let end = self.pos + word.len();
        match self.buf.get(self.pos..end) {
            Some(s) if s == word => {
                self.pos = end;
                Ok(())
            }
            Some(_) => Err(JsonError::Unexpected {
                at: self.pos,
                found: self.buf[self.pos],
                expected: "a JSON literal",
            }),
            None => Err(JsonError::Truncated { at: self.buf.len() }),
        }
    }

    /// Skips one value of any kind (nested objects and arrays included). Inside containers it
    /// walks tokens with a depth counter; it validates only as much as it needs to stop at the
    /// right byte, and malformed or truncated input is an error, never a panic.
    pub fn skip_value(&mut self) -> Result<()> {
        let mut depth: usize = 0;
        loop {
            let b = self.peek()?;
            match b {
                b'{' | b'[' => {
                    depth += 1;
                    self.pos += 1;
                }
                b'}' | b']' | b',' | b':' if depth == 0 => {
                    return Err(JsonError::Unexpected {
                        at: self.pos,
                        found: b,
                        expected: "a value",
                    });
                }
                b'}' | b']' => {
                    depth -= 1;
                    self.pos += 1;
                }
                b',' | b':' => {
                    self.pos += 1;
                    continue;
                }
                b'"' => self.skip_string()?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                b'-' | b'0'..=b'9' => {
                    while let Some(&c) = self.buf.get(self.pos) {
                        if !matches!(c, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                found => {
                    return Err(JsonError::Unexpected {
                        at: self.pos,
                        found,
                        expected: "a value",
                    });
                }
            }
            if depth == 0 {
                return Ok(());
            }
        }
    }

    fn skip_string(&mut self) -> Result<()> {
        self.expect(b'"', "a string")?;
        while let Some(&b) = self.buf.get(self.pos) {
            self.pos += 1;
            match b {
                b'"' => return Ok(()),
                b'\\' => self.pos += 1,
                _ => {}
            }
        }
        Err(JsonError::Truncated { at: self.buf.len() })
    }

    /// Fails unless only whitespace is left.
    pub fn end(&mut self) -> Result<()> {
        self.skip_ws();
        match self.buf.get(self.pos) {
            None => Ok(()),
            Some(&found) => Err(JsonError::Unexpected {
                at: self.pos,
                found,
                expected: "end of frame",
            }),
        }
    }
}

/// True if all eight bytes of `chunk` are ASCII digits.
#[inline]
fn all_digits(chunk: u64) -> bool {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    ((chunk & HIGH) | (((chunk.wrapping_add(0x0606_0606_0606_0606)) & HIGH) >> 4))
        == 0x3333_3333_3333_3333
}

/// The value of eight ASCII digits loaded little-endian (first digit in the low byte), with
/// three multiplies (the simdjson / Lemire technique).
#[inline]
fn parse_eight(chunk: u64) -> u64 {
    let v = chunk.wrapping_sub(0x3030_3030_3030_3030);
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    let lo = (v & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32));
    let hi = ((v >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32));
    lo.wrapping_add(hi) >> 32
}

/// How many of the eight digits of `chunk`, counted from the last, are `'0'`.
#[inline]
fn trailing_zero_chars(chunk: u64) -> u32 {
    // The last character is the highest byte: zero bytes there are leading zeros of the XOR.
    (chunk ^ 0x3030_3030_3030_3030).leading_zeros() / 8
}

/// `m / 10^zeros` with constant divisors (multiply-shift, no `div`).
#[inline]
fn strip_zeros(m: u64, zeros: u32) -> u64 {
    match zeros {
        0 => m,
        1 => m / 10,
        2 => m / 100,
        3 => m / 1_000,
        4 => m / 10_000,
        5 => m / 100_000,
        6 => m / 1_000_000,
        7 => m / 10_000_000,
        8 => m / 100_000_000,
        9 => m / 1_000_000_000,
        z => m / 10u64.pow(z.min(19)),
    }
}

/// The index of the first `"` or `\\` in `bytes` (the end of a string's contents, or an
/// escape), if any.
///
/// # Hot path
/// Eight bytes a step (SWAR: a zero-byte test of the word xor each byte sought; the lowest hit
/// is exact, later ones may be false and are never used), then a byte at a time.
#[inline(always)]
pub(crate) fn string_end(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let w = u64::from_le_bytes(chunk);
        let quote = w ^ (ONES * u64::from(b'"'));
        let escape = w ^ (ONES * u64::from(b'\\'));
        let hit =
            ((quote.wrapping_sub(ONES) & !quote) | (escape.wrapping_sub(ONES) & !escape)) & HIGHS;
        if hit != 0 {
            return Some(i + (hit.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let tail = bytes.get(i..)?;
    tail.iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|p| i + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_end_finds_the_first_quote_or_escape_at_any_offset() {
        let naive = |b: &[u8]| b.iter().position(|&c| c == b'"' || c == b'\\');
        for len in 0..26 {
            for at in 0..=len {
                for (first, second) in [(b'"', b'\\'), (b'\\', b'"'), (b'"', b'"')] {
                    // Filler of every kind around the hit: ASCII, high bytes, bytes one off.
                    let mut buf: Vec<u8> = (0..len)
                        .map(|i| [b'a', 0xA2, b'!', b'#', 0xDC, b'[', 0x00, b'9'][i % 8])
                        .collect();
                    if at < len {
                        buf[at] = first;
                    }
                    if at + 3 < len {
                        buf[at + 3] = second;
                    }
                    assert_eq!(string_end(&buf), naive(&buf), "{buf:?}");
                }
            }
        }
    }

    #[test]
    fn reads_keys_in_any_order_and_skips_unknown() {
        let doc = br#"{"x":{"a":[1,{"b":"c"},[]],"d":null},"n":42,"s":"hi","t":true}"#;
        let mut s = Scanner::new(doc);
        s.begin_object().unwrap();
        let mut first = true;
        let mut seen = Vec::new();
        while let Some(k) = s.next_key(&mut first).unwrap() {
            match k {
                b"n" => assert_eq!(s.u64().unwrap(), 42),
                b"s" => assert_eq!(s.str().unwrap(), b"hi"),
                b"t" => assert!(s.bool().unwrap()),
                _ => s.skip_value().unwrap(),
            }
            seen.push(k.to_vec());
        }
        s.end().unwrap();
        assert_eq!(seen.len(), 4);
    }

    #[test]
    fn skip_value_handles_nested_objects_after_open_brace() {
        let doc = br#"{"a":{"k":{"k2":"v","k3":[1,2]},"z":1},"b":2}"#;
        let mut s = Scanner::new(doc);
        s.begin_object().unwrap();
        let mut first = true;
        assert_eq!(s.next_key(&mut first).unwrap(), Some(&b"a"[..]));
        s.skip_value().unwrap();
        assert_eq!(s.next_key(&mut first).unwrap(), Some(&b"b"[..]));
        assert_eq!(s.u64().unwrap(), 2);
        assert_eq!(s.next_key(&mut first).unwrap(), None);
    }

    #[test]
    fn truncated_input_is_an_error_not_a_panic() {
        let doc = br#"{"a":[["1.0","2"#;
        for end in 0..doc.len() {
            assert!(
                Scanner::new(&doc[..end]).skip_value().is_err(),
                "prefix {end} should fail"
            );
        }
    }

    #[test]
    fn error_messages_name_the_byte_offset() {
        let mut s = Scanner::new(b"  x");
        let err = s.begin_object().unwrap_err();
        assert_eq!(err.to_string(), "unexpected 'x' at byte 2, expected '{'");
    }

    #[test]
    fn decimal_str_matches_raw_decimal_parse() {
        for text in [
            "61837.63000000",
            "0.00000000",
            "0.00105000",
            "100000000000.00000000",
            "-1.50",
            "7",
            "7.",
            "0.0000000000000000001234",
            "12345678901234567.89",
            "0.12345678",
            "99999999999.99999999",
            "1.00000000",
        ] {
            let quoted = format!("\"{text}\"");
            let got = Scanner::new(quoted.as_bytes()).decimal_str().unwrap();
            assert_eq!(got, RawDecimal::parse(text.as_bytes()).unwrap(), "{text}");
        }
    }

    #[test]
    fn swar_eight_digits() {
        let chunk = |s: &[u8; 8]| u64::from_le_bytes(*s);
        assert_eq!(parse_eight(chunk(b"63000000")), 63_000_000);
        assert_eq!(parse_eight(chunk(b"00105000")), 105_000);
        assert_eq!(parse_eight(chunk(b"99999999")), 99_999_999);
        assert_eq!(trailing_zero_chars(chunk(b"63000000")), 6);
        assert_eq!(trailing_zero_chars(chunk(b"00000000")), 8);
        assert_eq!(trailing_zero_chars(chunk(b"12345678")), 0);
        assert!(all_digits(chunk(b"01234567")));
        assert!(!all_digits(chunk(b"0123456a")));
        assert!(!all_digits(chunk(b"0123:567")));
        assert!(!all_digits(chunk(b"/1234567")));
    }

    #[test]
    fn decimal_str_rejects_non_decimals() {
        for text in [
            "\"\"",
            "\"-\"",
            "\".\"",
            "\"1e5\"",
            "\"1.2.3\"",
            "\"1\\u0030\"",
            "\"12",
            "\"1.0000000a\"",
            "\"1.00000000",
        ] {
            assert!(
                Scanner::new(text.as_bytes()).decimal_str().is_err(),
                "{text}"
            );
        }
    }

    #[test]
    fn u64_rejects_fractions_and_overflow() {
        assert!(Scanner::new(b"1.5").u64().is_err());
        assert!(Scanner::new(b"99999999999999999999").u64().is_err());
        assert_eq!(Scanner::new(b"-7").i64().unwrap(), -7);
    }
}
