//! Parsing v2 and v1 frames: any key order, the decimals values were written with, times.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::feed::kraken::time::{epoch_nanos, rfc3339_nanos};
use rstest::rstest;

fn parsed(frame: &str) -> (Fields<'_>, Buffers) {
    let mut f = Fields::default();
    let mut b = Buffers::default();
    parse(frame.as_bytes(), &mut f, &mut b).expect("parses");
    (f, b)
}

#[test]
fn v2_book_in_any_key_order_keeps_values_exact_and_their_decimals() {
    let frame = r#"{"data":[{"checksum":3310070434,"asks":[{"qty":0.00100000,"price":45285.2}],"symbol":"BTC/USD","bids":[{"price":45283.5,"qty":0.10000000},{"price":45283.4,"qty":0}]}],"type":"snapshot","channel":"book"}"#;
    let (f, b) = parsed(frame);
    assert_eq!(classify(&f), Ok(Kind::Book));
    assert_eq!(f.symbol, Some(&b"BTC/USD"[..]));
    assert_eq!(f.checksum, Some(3_310_070_434));
    assert_eq!(f.decimals, Decimals { price: 1, qty: 8 });
    assert_eq!(b.bids.len(), 2);
    assert_eq!(b.asks[0].0, RawDecimal::parse(b"45285.2").unwrap());
    assert_eq!(b.asks[0].1, RawDecimal::parse(b"0.001").unwrap());
}

#[test]
fn v1_update_with_two_parts_reads_both_sides_and_the_checksum() {
    let frame = r#"[0,{"a":[["0.05120","0.00000500","1582905486.493008"]]},{"b":[["0.04765","0.00000500","1582905486.493034","r"]],"c":"974947235"},"book-1000","BTC/USD"]"#;
    let (f, b) = parsed(frame);
    assert_eq!(classify(&f), Ok(Kind::Book));
    assert_eq!(
        (f.version, f.v1_snapshot, f.v1_parts),
        (Version::V1, false, 2)
    );
    assert_eq!((b.asks.len(), b.bids.len()), (1, 1));
    assert_eq!(f.checksum, Some(974_947_235));
    assert_eq!(f.decimals, Decimals { price: 5, qty: 8 });
    assert_eq!(f.ts, Some(1_582_905_486_493_034_000));
    assert_eq!(v1_depth(f.channel.unwrap()), Some(1000));
}

#[rstest]
#[case::plain("45283.5", Some((452_835, 1, 1)))]
#[case::trailing_zeros("0.10000000", Some((1, 1, 8)))]
#[case::integer("7", Some((7, 0, 0)))]
#[case::exponent("1e-5", None)]
#[case::plus("+1", None)]
#[case::leading_dot(".5", None)]
#[case::trailing_dot("5.", None)]
#[case::two_dots("1.2.3", None)]
#[case::too_many_decimals("0.00000000000000000000000000001", None)]
fn lexeme_reads_value_and_written_decimals(
    #[case] text: &str,
    #[case] want: Option<(u64, u8, u8)>,
) {
    let got = lexeme(text.as_bytes()).map(|(v, d)| (v.mantissa, v.scale, d));
    assert_eq!(got, want);
}

#[rstest]
#[case::micros("2023-10-06T17:35:55.440295Z", Some(1_696_613_755_440_295_000))]
#[case::whole_seconds("1970-01-01T00:00:01Z", Some(1_000_000_000))]
#[case::leap_day("2024-02-29T00:00:00Z", Some(1_709_164_800_000_000_000))]
#[case::no_zone("2023-10-06T17:35:55.44", None)]
#[case::month_13("2023-13-06T17:35:55Z", None)]
#[case::before_1970("1969-12-31T23:59:59Z", None)]
fn rfc3339_nanos_reads_utc_times(#[case] text: &str, #[case] want: Option<u64>) {
    assert_eq!(rfc3339_nanos(text.as_bytes()), want);
}

#[test]
fn epoch_nanos_reads_fractional_seconds() {
    assert_eq!(
        epoch_nanos(b"1618678117.243818"),
        Some(1_618_678_117_243_818_000)
    );
    assert_eq!(epoch_nanos(b"1618678117"), Some(1_618_678_117_000_000_000));
    assert_eq!(epoch_nanos(b"1.2345678901"), None);
    assert_eq!(epoch_nanos(b"x"), None);
}
