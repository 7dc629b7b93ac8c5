//! Exact decimal strings as `(mantissa, scale)`: the edge format between venue text and ticks.
//!
//! Parsing strips trailing fractional zeros as it goes, so `"100000000000.00000000"` is
//! `1e11 × 10^0` and fits a `u64` mantissa even though the string has 20 digits.

use thiserror::Error;

/// A decimal number `(-1)^negative × mantissa × 10^-scale`, normalized (no trailing zero in the
/// fraction), as read from a venue's decimal string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RawDecimal {
    /// Digits without the decimal point.
    pub mantissa: u64,
    /// Number of digits after the decimal point (at most 28).
    pub scale: u8,
    /// Sign; `-0` parses as `0` with `negative == false`.
    pub negative: bool,
}

/// Why a decimal string did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecimalParseError {
    /// The string was empty (or only a sign).
    #[error("empty decimal")]
    Empty,
    /// A byte that is not a digit, `.` or a leading `-`.
    #[error("invalid character {0:?} in decimal")]
    InvalidChar(char),
    /// More significant digits than a `u64` mantissa holds.
    #[error("decimal has too many significant digits")]
    Overflow,
}

impl RawDecimal {
    /// Zero.
    pub const ZERO: Self = Self {
        mantissa: 0,
        scale: 0,
        negative: false,
    };

    /// Parses a plain decimal string (`"61837.63000000"`, `"-0.5"`, `"100"`). No exponent, no
    /// `+`, no surrounding spaces.
    ///
    /// # Hot path
    /// No allocation; one pass over the bytes.
    #[inline]
    pub fn parse(s: &[u8]) -> Result<Self, DecimalParseError> {
        let (negative, mut digits) = match s.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, s),
        };
        // Trailing fractional zeros carry no value: drop them before reading digits.
        if digits.contains(&b'.') {
            while let [rest @ .., b'0'] = digits {
                digits = rest;
            }
        }
        let mut mantissa: u64 = 0;
        let mut count: u32 = 0;
        let mut scale: u32 = 0;
        let mut in_fraction = false;
        for &b in digits {
            match b {
                b'0'..=b'9' => {
                    mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
                    count += 1;
                    scale += u32::from(in_fraction);
                }
                b'.' if !in_fraction => in_fraction = true,
                other => return Err(DecimalParseError::InvalidChar(char::from(other))),
            }
        }
        if count == 0 {
            // Only a sign, a dot, or fractional zeros after a dot ("0." is zero, "." is not).
            return if digits.iter().any(u8::is_ascii_digit) || s.iter().any(u8::is_ascii_digit) {
                Ok(Self::ZERO)
            } else {
                Err(DecimalParseError::Empty)
            };
        }
        if count > 19 {
            mantissa = Self::checked_digits(digits)?;
        }
        if scale > 28 {
            return Err(DecimalParseError::Overflow);
        }
        // `scale` is at most 28 here.
        let scale = u8::try_from(scale).map_err(|_| DecimalParseError::Overflow)?;
        Ok(Self {
            mantissa,
            scale,
            negative: negative && mantissa != 0,
        })
    }

    /// The exact value as a [`rust_decimal::Decimal`] (for edges: config, reports, offline tools).
    pub fn to_decimal(self) -> rust_decimal::Decimal {
        let m = i128::from(self.mantissa);
        rust_decimal::Decimal::from_i128_with_scale(
            if self.negative { -m } else { m },
            u32::from(self.scale),
        )
    }

    /// Slow path for long digit strings: leading zeros are free, overflow is an error.
    fn checked_digits(digits: &[u8]) -> Result<u64, DecimalParseError> {
        digits
            .iter()
            .filter(|b| b.is_ascii_digit())
            .try_fold(0u64, |m, &b| {
                m.checked_mul(10)
                    .and_then(|m| m.checked_add(u64::from(b - b'0')))
                    .ok_or(DecimalParseError::Overflow)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::btc_price("61837.63000000", 6_183_763, 2)]
    #[case::integer("100", 100, 0)]
    #[case::shib_qty("100000000000.00000000", 100_000_000_000, 0)]
    #[case::shib_price("0.00001234", 1234, 8)]
    #[case::zero("0.00000000", 0, 0)]
    #[case::leading_dot(".5", 5, 1)]
    #[case::trailing_dot("7.", 7, 0)]
    #[case::zero_point("0.", 0, 0)]
    #[case::long_leading_zeros("0.0000000000000000001234", 1234, 22)]
    #[case::integer_zeros_kept("1200", 1200, 0)]
    fn parse_normalizes(#[case] s: &str, #[case] mantissa: u64, #[case] scale: u8) {
        let d = RawDecimal::parse(s.as_bytes()).unwrap();
        assert_eq!((d.mantissa, d.scale, d.negative), (mantissa, scale, false));
    }

    #[rstest]
    #[case::empty("", DecimalParseError::Empty)]
    #[case::sign_only("-", DecimalParseError::Empty)]
    #[case::dot_only(".", DecimalParseError::Empty)]
    #[case::exponent("1e5", DecimalParseError::InvalidChar('e'))]
    #[case::two_dots("1.2.3", DecimalParseError::InvalidChar('.'))]
    #[case::overflow("184467440737095516160", DecimalParseError::Overflow)]
    fn parse_rejects(#[case] s: &str, #[case] err: DecimalParseError) {
        assert_eq!(RawDecimal::parse(s.as_bytes()), Err(err));
    }

    #[test]
    fn parse_negative_zero_is_zero() {
        assert_eq!(RawDecimal::parse(b"-0.0").unwrap(), RawDecimal::ZERO);
        assert!(RawDecimal::parse(b"-1.5").unwrap().negative);
    }
}
