//! Subject and key names on the bus.
//!
//! Events of one instrument go to `ladder.md.<venue>.<token>`, its book image to the bucket key
//! `<venue>.<token>`. The token is the venue's symbol made safe for a NATS subject token and a
//! KV key: ASCII letters, digits, `-` and `_` are kept, and every other byte (`/` in Kraken's
//! `BTC/USD`, `.`, `*`, `>`, spaces, non-ASCII) becomes `_`. The true symbol travels inside the
//! image, so consumers never parse it back from the token; `ladder feed` refuses two symbols of
//! one venue that map to the same token.

use crate::feed::Venue;

/// The subject-safe token of `symbol`.
pub fn token(symbol: &str) -> String {
    symbol
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The bucket key of an instrument's image: `<venue>.<token>`.
pub fn key(venue: Venue, symbol: &str) -> String {
    format!("{}.{}", venue.name(), token(symbol))
}

/// The events subject of an instrument: `ladder.md.<venue>.<token>`.
pub fn events(venue: Venue, symbol: &str) -> String {
    format!("ladder.md.{}", key(venue, symbol))
}

/// The raw-frame subject of a venue's connection `conn`: `ladder.raw.<venue>.<conn>`.
pub fn raw(venue: Venue, conn: usize) -> String {
    format!("ladder.raw.{}.{conn}", venue.name())
}

/// The bucket key an events subject belongs to (`ladder.md.` stripped), if it is one.
pub fn key_of_subject(subject: &str) -> Option<&str> {
    subject.strip_prefix("ladder.md.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::plain("BTCUSDT", "BTCUSDT")]
    #[case::kraken_slash("BTC/USD", "BTC_USD")]
    #[case::coinbase_dash("BTC-USD", "BTC-USD")]
    #[case::dot_and_wildcards("A.B*C>D E", "A_B_C_D_E")]
    fn token_keeps_safe_characters_and_maps_the_rest(#[case] symbol: &str, #[case] want: &str) {
        assert_eq!(token(symbol), want);
    }

    #[test]
    fn subject_and_key_name_venue_and_token() {
        assert_eq!(
            events(Venue::BinanceUsdm, "BTCUSDT"),
            "ladder.md.binance-usdm.BTCUSDT"
        );
        assert_eq!(
            key_of_subject("ladder.md.binance-usdm.BTCUSDT"),
            Some("binance-usdm.BTCUSDT")
        );
        assert_eq!(key_of_subject("ladder.raw.binance-usdm.0"), None);
        assert_eq!(raw(Venue::BinanceSpot, 1), "ladder.raw.binance-spot.1");
    }
}
