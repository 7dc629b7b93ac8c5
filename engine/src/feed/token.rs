//! [`Token`]: a short name copied out of a frame for an error message (a symbol, an
//! instrument id, a topic), without allocating: decode errors are built on the hot path and are
//! `Copy`. Every venue's decoder names what it refused with it.

use std::fmt;

/// Up to 64 bytes of a frame, shown quoted, with `...` when cut.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Token {
    bytes: [u8; 64],
    len: u8,
    truncated: bool,
}

impl Token {
    /// Copies `s` (at most 64 bytes of it).
    pub fn new(s: &[u8]) -> Self {
        let mut bytes = [0u8; 64];
        let n = s.len().min(bytes.len());
        bytes[..n].copy_from_slice(&s[..n]);
        Self {
            bytes,
            len: n as u8,
            truncated: s.len() > n,
        }
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Token {
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
        assert_eq!(Token::new(b"BTCUSDT").to_string(), "\"BTCUSDT\"");
        let long = [b'A'; 70];
        assert_eq!(
            Token::new(&long).to_string(),
            format!("\"{}...\"", "A".repeat(64))
        );
    }
}
