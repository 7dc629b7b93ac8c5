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
        let (negative, digits) = match s.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, s),
        };
        if digits.is_empty() {
            return Err(DecimalParseError::Empty);
        }
        let mut mantissa: u64 = 0;
        let mut scale: u32 = 0;
        let mut in_fraction = false;
        let mut pending_zeros: u32 = 0;
        let mut any_digit = false;
        for &b in digits {
            match b {
                b'0'..=b'9' => {
                    any_digit = true;
                    let d = u64::from(b - b'0');
                    if in_fraction {
                        if d == 0 {
                            pending_zeros += 1;
                            continue;
                        }
                        let mul = 10u64
                            .checked_pow(pending_zeros + 1)
                            .ok_or(DecimalParseError::Overflow)?;
                        mantissa = mantissa
                            .checked_mul(mul)
                            .and_then(|m| m.checked_add(d))
                            .ok_or(DecimalParseError::Overflow)?;
                        scale += pending_zeros + 1;
                        pending_zeros = 0;
                    } else {
                        mantissa = mantissa
                            .checked_mul(10)
                            .and_then(|m| m.checked_add(d))
                            .ok_or(DecimalParseError::Overflow)?;
                    }
                }
                b'.' if !in_fraction => in_fraction = true,
                other => return Err(DecimalParseError::InvalidChar(char::from(other))),
            }
        }
        if !any_digit {
            return Err(DecimalParseError::Empty);
        }
        if scale > 28 {
            return Err(DecimalParseError::Overflow);
        }
        // The loop bounds scale by 28 above; the cast cannot truncate.
        let scale = u8::try_from(scale).map_err(|_| DecimalParseError::Overflow)?;
        Ok(Self {
            mantissa,
            scale,
            negative: negative && mantissa != 0,
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
