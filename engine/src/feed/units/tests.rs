use super::*;
use ladder_sdk::GridError;
use proptest::prelude::*;
use rstest::rstest;
use rust_decimal::Decimal;

fn spec(tick: &str, lot: &str) -> InstrumentSpec {
    InstrumentSpec::new(tick.parse().unwrap(), lot.parse().unwrap()).unwrap()
}

/// What the general path gives for the quoted value at the start of `text`, and where it ends.
fn general_price(spec: &InstrumentSpec, text: &[u8]) -> Option<(Price, usize)> {
    let mut s = Scanner::new(text);
    let raw = s.decimal_str().ok()?;
    Some((spec.market_price_from_raw(raw).ok()?, s.position()))
}

fn general_qty(spec: &InstrumentSpec, text: &[u8]) -> Option<(Quantity, usize)> {
    let mut s = Scanner::new(text);
    let raw = s.decimal_str().ok()?;
    Some((spec.market_qty_from_raw(raw).ok()?, s.position()))
}

/// Checks fast == general (value and end) for `value` on `spec`, with a long tail (the SWAR
/// window) and at the very end of the buffer (the general path).
/// Each value is read three times: the first two reads teach the column its layout (a layout
/// is built when two values in a row share their shape), the third takes the layout path when
/// the value has one.
fn check(spec: &InstrumentSpec, value: &str) {
    let layouts = Layouts::default();
    let units = Units::new(spec, &layouts);
    for tail in ["", "]", ",\"0.1\"]]}}}}}}}}}}}}}}"] {
        let buf = format!("\"{value}\"{tail}");
        let b = buf.as_bytes();
        for _ in 0..3 {
            assert_eq!(units.price(b, 0), general_price(spec, b), "price {buf:?}");
            assert_eq!(units.qty(b, 0), general_qty(spec, b), "qty {buf:?}");
        }
    }
}

/// `value` read after the columns learnt the layout of `taught`: the same as the general path.
fn check_after(spec: &InstrumentSpec, taught: &str, value: &str) {
    let layouts = Layouts::default();
    let units = Units::new(spec, &layouts);
    let tail = ",\"0.1\"]]}}}}}}}}}}}}}}";
    let first = format!("\"{taught}\"{tail}");
    for _ in 0..2 {
        units.price(first.as_bytes(), 0);
        units.qty(first.as_bytes(), 0);
    }
    let buf = format!("\"{value}\"{tail}");
    let b = buf.as_bytes();
    assert_eq!(
        units.price(b, 0),
        general_price(spec, b),
        "price {buf:?} after {taught:?}"
    );
    assert_eq!(
        units.qty(b, 0),
        general_qty(spec, b),
        "qty {buf:?} after {taught:?}"
    );
}

#[rstest]
#[case::binance_spot_price("61837.63000000")]
#[case::binance_spot_zero_qty("0.00000000")]
#[case::binance_spot_small_qty("0.00105000")]
#[case::usdm_price("61496.50")]
#[case::usdm_qty("12.111")]
#[case::integer("7")]
#[case::integer_eight_digits("12345678")]
#[case::integer_nine_digits("123456789")]
#[case::eight_int_digits_and_fraction("12345678.5")]
#[case::trailing_dot("7.")]
#[case::leading_dot(".5")]
#[case::negative("-1.5")]
#[case::negative_zero("-0")]
#[case::off_grid_price("61837.635")]
#[case::off_grid_last_digit("0.000000001")]
#[case::nine_fraction_digits("1.123456789")]
#[case::sixteen_digit_window("1234567.12345678")]
#[case::long_zeros("0.0000000000000000001234")]
#[case::exponent("1e5")]
#[case::two_dots("1.2.3")]
#[case::empty("")]
#[case::escape("1\\u0030")]
#[case::letter_in_fraction("1.0000000a")]
#[case::above_limit("99999999.99")]
#[case::leading_zeros("007.10")]
#[case::thirteen_fraction_digits("1.1234567890000")]
#[case::nonzero_fifteenth_byte("12.000000000001")]
#[case::fraction_fills_window("1.12345678901234")]
fn units_fast_path_agrees_with_general_path(#[case] value: &str) {
    for (tick, lot) in [
        ("0.01", "0.00001"),
        ("0.1", "0.001"),
        ("1", "1"),
        ("0.00000001", "0.00000001"),
        ("0.5", "10"),
        ("0.0000000001", "0.0000000001"),
        ("0.000000000001", "0.1"),
    ] {
        check(&spec(tick, lot), value);
    }
}

#[test]
fn units_price_reads_ticks_and_end_of_binance_value() {
    let s = spec("0.01", "0.00001");
    let layouts = Layouts::default();
    let units = Units::new(&s, &layouts);
    let buf = br#"["61837.63000000","1.54698000"],["#;
    let (level, end) = pair(buf, 0, &units).unwrap();
    assert_eq!(level.price, Price::from_ticks(6_183_763));
    assert_eq!(level.qty, Quantity::from_lots(154_698));
    assert_eq!(buf[end], b']');
}

#[test]
fn units_pair_refuses_other_shapes() {
    let s = spec("0.01", "0.00001");
    let layouts = Layouts::default();
    let units = Units::new(&s, &layouts);
    for buf in [
        &br#"[ "61837.63","1.5"]"#[..],
        br#"["61837.63", "1.5"]"#,
        br#"[61837.63,"1.5"]"#,
        br#"["61837.631","1.5"]"#,
        br#"["0","1.5"]"#,
        br#"["1","-1.5"]"#,
        br#"["1""#,
    ] {
        assert!(
            pair(buf, 0, &units).is_none(),
            "{}",
            String::from_utf8_lossy(buf)
        );
    }
}

#[test]
fn units_pow10_scale_only_for_units_of_ten_to_minus_k() {
    assert_eq!(pow10_scale(spec("0.01", "1").tick_grid()), Some(2));
    assert_eq!(pow10_scale(spec("1", "1").tick_grid()), Some(0));
    assert_eq!(pow10_scale(spec("0.5", "1").tick_grid()), None);
    assert_eq!(pow10_scale(spec("10", "1").tick_grid()), None);
    assert_eq!(pow10_scale(spec("0.00000000001", "1").tick_grid()), None);
}

#[test]
fn units_general_errors_stay_with_the_general_path() {
    // The fast path never names an error: it answers None and the decoder's general walk
    // reports it (here: off the grid).
    let s = spec("0.01", "0.00001");
    let raw = Scanner::new(b"\"1.001\"").decimal_str().unwrap();
    assert!(matches!(
        s.market_price_from_raw(raw),
        Err(GridError::OffGrid { .. })
    ));
    let layouts = Layouts::default();
    let units = Units::new(&s, &layouts);
    // Learnt on 1.000, then 1.001 (the same layout but for a digit past the grid).
    for _ in 0..2 {
        assert!(units.price(b"\"1.000\"..................", 0).is_some());
    }
    assert!(units.price(b"\"1.001\"..................", 0).is_none());
}

#[rstest]
#[case::binance_price_one_cent_more("61837.63000000", "61837.64000000")]
#[case::binance_price_off_grid("61837.63000000", "61837.63000001")]
#[case::binance_price_shorter("61837.63000000", "9837.63000000")]
#[case::binance_price_longer("61837.63000000", "161837.63000000")]
#[case::binance_price_letter("61837.63000000", "61837.6300000x")]
#[case::binance_price_dot_moved("61837.63000000", "618376.3000000")]
#[case::binance_price_no_quote("61837.63000000", "61837.630000000")]
#[case::binance_price_escape("61837.63000000", "61837.6300000\\")]
#[case::qty_zero_then_one("0.00105000", "1.00105000")]
#[case::qty_one_then_zero("1.00105000", "0.00105000")]
#[case::qty_zero_then_nonzero_high_byte("0.00105000", "0.0010500\u{b0}")]
#[case::integer_then_fraction("7", "7.5")]
#[case::fraction_then_integer("7.5", "75")]
#[case::trailing_dot_then_digit("7.", "7.0")]
#[case::usdm_then_zero_price("61496.50", "00000.00")]
fn units_layout_path_agrees_with_general_path(#[case] taught: &str, #[case] value: &str) {
    for (tick, lot) in [
        ("0.01", "0.00000001"),
        ("0.1", "0.001"),
        ("1", "1"),
        ("0.0000000001", "0.0000000001"),
    ] {
        check_after(&spec(tick, lot), taught, value);
        check_after(&spec(tick, lot), value, taught);
    }
}

#[test]
fn swar_helpers_read_digits() {
    let chunk = |s: &[u8; 8]| u64::from_le_bytes(*s);
    assert_eq!(parse_digits(chunk(b"12345678"), 8), 12_345_678);
    assert_eq!(parse_digits(chunk(b"123\"xxxx"), 3), 123);
    assert_eq!(parse_digits(chunk(b"9xxxxxxx"), 1), 9);
    assert_eq!(parse_digits(chunk(b"xxxxxxxx"), 0), 0);
    let units = |text: &[u8], scale| swar_number(text, 0, scale).map(|n| (n.units, n.end));
    assert_eq!(units(b"0.00105000\"......", 8), Some((105_000, 10)));
    assert_eq!(units(b"61837.63000000\"..", 2), Some((6_183_763, 14)));
    assert_eq!(units(b"1.54698000\"......", 8), Some((154_698_000, 10)));
    assert_eq!(units(b"12345678\"........", 3), Some((12_345_678_000, 8)));
    assert_eq!(units(b"12345678.5\"......", 1), Some((123_456_785, 10)));
    assert_eq!(units(b"61837.635\".......", 2), None);
    let digits = |s: &[u8; 8]| nondigits64(chunk(s)).trailing_zeros() / 8;
    assert_eq!(digits(b"0123456/"), 7);
    assert_eq!(digits(b"0123456:"), 7);
    assert_eq!(digits(b"01234567"), 8);
    let mut high = *b"01234567";
    high[3] = 0xb3;
    assert_eq!(digits(&high), 3);
}

proptest! {
    /// Any short string of digits, dots, signs, quotes and letters: fast == general.
    #[test]
    fn units_fast_equals_general_on_any_short_value(
        value in "[0-9.\\-eE\"a]{0,12}|[0-9]{1,9}(\\.[0-9]{0,15})?|0\\.0{0,12}[1-9]0{0,4}",
        tick_exp in 0u32..12,
        lot_exp in 0u32..12,
    ) {
        let tick = Decimal::new(1, tick_exp).to_string();
        let lot = Decimal::new(1, lot_exp).to_string();
        check(&spec(&tick, &lot), &value);
    }

    /// Any value after any other value (the second read through the first one's layout when
    /// they share it): fast == general.
    #[test]
    fn units_layout_path_equals_general_after_any_value(
        taught in "[0-9]{1,8}(\\.[0-9]{0,8})?",
        value in "[0-9]{1,8}(\\.[0-9]{0,8})?|[0-9.\"a]{0,12}",
        tick_exp in 0u32..11,
        lot_exp in 0u32..11,
    ) {
        let tick = Decimal::new(1, tick_exp).to_string();
        let lot = Decimal::new(1, lot_exp).to_string();
        check_after(&spec(&tick, &lot), &taught, &value);
    }

    /// A value with the same layout as the one taught (every digit changed, the dot and the
    /// length kept): the layout path reads it, and it equals the general path.
    #[test]
    fn units_layout_path_equals_general_on_the_same_layout(
        taught in "[0-9]{1,8}(\\.[0-9]{0,8})?",
        shifts in proptest::collection::vec(0u8..10, 17),
        tick_exp in 0u32..11,
        lot_exp in 0u32..11,
    ) {
        let value: String = taught
            .bytes()
            .zip(&shifts)
            .map(|(c, d)| if c.is_ascii_digit() { char::from(b'0' + (c - b'0' + d) % 10) } else { char::from(c) })
            .collect();
        let tick = Decimal::new(1, tick_exp).to_string();
        let lot = Decimal::new(1, lot_exp).to_string();
        check_after(&spec(&tick, &lot), &taught, &value);
    }
}

#[rstest]
#[case::empty("")]
#[case::letter("x1")]
#[case::one_digit("7")]
#[case::binance_event_time("1723161265113")]
#[case::binance_update_id("50093243620")]
#[case::eight_digits("12345678")]
#[case::sixteen_digits("1234567812345678")]
#[case::leading_zeros("0000000000000042")]
#[case::max("18446744073709551615")]
#[case::max_plus_one("18446744073709551616")]
#[case::twenty_one_digits("999999999999999999999")]
#[case::high_byte("12\u{b0}4")]
fn exact_u64_reads_what_a_digit_loop_reads(#[case] digits: &str) {
    // The value of the leading digits, or None (no digit, or above u64::MAX).
    let expected = |text: &str| {
        let n = text.bytes().take_while(u8::is_ascii_digit).count();
        text[..n].parse::<u64>().ok().map(|v| (v, n))
    };
    for tail in ["", ",", ",\"b\":[[\"1\",\"2\"]]}"] {
        let buf = format!("{digits}{tail}");
        let mut c = Exact::new(buf.as_bytes());
        let got = c.u64().map(|v| (v, c.position()));
        assert_eq!(got, expected(&buf), "{buf:?}");
    }
}

#[test]
fn units_layout_is_built_after_two_values_of_one_shape_only() {
    let s = spec("0.01", "0.00000001");
    let layouts = Layouts::default();
    let units = Units::new(&s, &layouts);
    let read = |text: &[u8]| units.price(text, 0).map(|(p, _)| p);
    let long = b"\"61837.63000000\",\"0.00105000\"]]}";
    let short = b"\"7.5\",\"0.00105000\"]]}]]]]]]]]]]]]]";
    // Alternating shapes never build a layout.
    for text in [&long[..], short, long, short] {
        assert!(read(text).is_some());
        assert_eq!(layouts.price.layout.get().len, 0);
    }
    assert!(read(short).is_some());
    assert_eq!(
        layouts.price.layout.get().len,
        4,
        "\"7.5\" twice: its layout"
    );
    // The layout path then reads the same values the general path does.
    assert_eq!(
        read(b"\"9.1\",..............."),
        Some(Price::from_ticks(910))
    );
    assert_eq!(layouts.price.layout.get().len, 4);
    // Another grid forgets it.
    let other = spec("0.1", "0.00000001");
    let _ = Units::new(&other, &layouts);
    assert_eq!(layouts.price.layout.get().len, 0);
}

#[test]
fn units_column_of_changing_shapes_reads_plain_then_tries_layouts_again() {
    let s = spec("0.1", "0.00000001");
    let layouts = Layouts::default();
    // OKX-like trimmed prices: the shape changes at almost every value.
    let values = [
        "30238.8", "30249", "30249.6", "5", "30261.15", "0.5", "30316.1", "7.25",
    ];
    let frames: Vec<String> = values
        .iter()
        .map(|v| format!("\"{v}\",\"0.1\"]]}}"))
        .collect();
    let mut reads = 0u32;
    let mut went_plain = false;
    // Frames of eight values: the column decides at a frame's start.
    for _ in 0..(layout::PLAIN_READS / 8 + 40) {
        let units = Units::new(&s, &layouts);
        went_plain |= layouts.price.plain.get();
        for f in &frames {
            let b = f.as_bytes();
            assert_eq!(units.price(b, 0), general_price(&s, b), "{f}");
            reads += 1;
        }
        units.count(frames.len());
    }
    assert!(went_plain, "a column missing most values reads plain");
    assert!(reads > layout::PLAIN_READS);
    // A column of one shape goes back to layouts after its plain window and stays there.
    let steady = b"\"30238.8\",\"0.1\"]]}";
    for _ in 0..(layout::PLAIN_READS / 8 + 40) {
        let units = Units::new(&s, &layouts);
        for _ in 0..8 {
            assert_eq!(units.price(steady, 0), general_price(&s, steady));
        }
        units.count(8);
    }
    assert!(!layouts.price.plain.get());
    assert_eq!(layouts.price.layout.get().len, 8);
}
