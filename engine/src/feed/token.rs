//! [`Token`]: a short name copied out of a frame for an error message (a symbol, an
//! instrument id, a topic), without allocating: decode errors are built on the hot path and are
//! `Copy`. Every venue's decoder names what it refused with it.

use std::fmt;

/// Up to `N` bytes of a frame (40 by default: symbols), shown quoted, with `...` when cut.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Token<const N: usize = 40> {
    bytes: [u8; N],
    len: u8,
    truncated: bool,
}

impl<const N: usize> Token<N> {
    /// Copies `s` (at most `N` bytes of it).
    pub fn new(s: &[u8]) -> Self {
        let mut bytes = [0u8; N];
        let n = s.len().min(bytes.len());
        bytes[..n].copy_from_slice(&s[..n]);
        Self {
            bytes,
            len: n as u8,
            truncated: s.len() > n,
        }
    }
}

impl<const N: usize> fmt::Debug for Token<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl<const N: usize> fmt::Display for Token<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = String::from_utf8_lossy(&self.bytes[..usize::from(self.len)]);
        write!(f, "\"{s}{}\"", if self.truncated { "..." } else { "" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_quoted_and_marks_a_cut() {
        assert_eq!(Token::<40>::new(b"BTCUSDT").to_string(), "\"BTCUSDT\"");
        let long = [b'A'; 70];
        assert_eq!(
            Token::<64>::new(&long).to_string(),
            format!("\"{}...\"", "A".repeat(64))
        );
    }
}
