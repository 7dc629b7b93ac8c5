//! Parsing, validation and location of config errors.

use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("ladder.toml"))
}

#[test]
fn empty_config_is_all_defaults() {
    let c = parse("").unwrap();
    assert_eq!(c.hot, HotConfig::default());
    assert!(c.strategies.is_empty());
}

#[test]
fn full_config_parses() {
    let c = parse(
        "[hot]\ncore = 1\nwait = \"spin_then_yield\"\n\n[output]\nsignals_every = 5\n\n\
         [[instrument]]\nsymbol = \"BTCUSDT\"\ntick_size = \"0.1\"\nlot_size = \"0.001\"\n\n\
         [[strategy]]\nlibrary = \"lib.so\"\nconfig = \"threshold = 0.3\"\n",
    )
    .unwrap();
    assert_eq!(c.hot.core, Some(1));
    assert_eq!(c.hot.wait, WaitStrategy::SpinThenYield);
    assert_eq!(c.output.signals_every, 5);
    assert_eq!(c.instruments[0].tick_size, Decimal::new(1, 1));
    assert_eq!(c.strategies[0].config.as_deref(), Some("threshold = 0.3"));
}

#[test]
fn unknown_key_names_key_and_line() {
    let err = parse("[hot]\ncore = 1\ncorez = 2\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("ladder.toml:3:"), "{err}");
    assert!(err.contains("corez"), "{err}");
}

#[test]
fn bad_value_names_line() {
    let err = parse("[[instrument]]\nsymbol = \"X\"\ntick_size = \"abc\"\nlot_size = \"1\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("ladder.toml:3:"), "{err}");
}

#[test]
fn venue_section_overrides_endpoints() {
    let c = parse("[venue]\nname = \"binance-usdm\"\nsymbols = [\"BTCUSDT\"]\nrest = \"http://127.0.0.1:1\"\n").unwrap();
    let v = &c.venues.as_slice()[0];
    assert_eq!(c.venues.len(), 1);
    assert_eq!(v.name, Venue::BinanceUsdm);
    let e = v.endpoints();
    assert_eq!(e.rest, "http://127.0.0.1:1");
    assert!(e.ws_book.starts_with("wss://fstream.binance.com/public"));
    let err = parse("[venue]\nname = \"deribit\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown venue"), "{err}");
}

#[test]
fn readme_config_example_parses() {
    let readme = include_str!("../../../README.md");
    let start = readme.find("```toml\n").expect("README has a TOML example") + 8;
    let end = start + readme[start..].find("```").expect("closed");
    let c = parse(&readme[start..end]).unwrap();
    assert_eq!(c.venues.as_slice()[0].name, Venue::BinanceUsdm);
    assert_eq!(c.hot.core, Some(1));
    assert_eq!(c.risk.max_position, Some(5));
    assert_eq!(c.strategies.len(), 1);
}

#[test]
fn unknown_section_is_an_error() {
    let err = parse("[hott]\n").unwrap_err().to_string();
    assert!(err.contains("hott"), "{err}");
}

fn bad_values(text: &str) -> Vec<String> {
    match parse(text) {
        Err(ConfigError::BadValues(b)) => b.0.iter().map(ToString::to_string).collect(),
        other => panic!("expected bad values, got {other:?}"),
    }
}

#[test]
fn bad_values_are_all_reported_at_once_in_file_order_at_their_keys() {
    let got = bad_values(
        "[risk]\nmax_orders_per_sec = 4294967295\nmax_position = -1\n\n\
         [hot]\n  top_levels = 0\n\n[paper]\nmax_orders = 0\n",
    );
    assert_eq!(
        got,
        [
            "ladder.toml:2:1: risk max_orders_per_sec must be at most 100000, got 4294967295",
            "ladder.toml:3:1: risk max_position must not be negative, got -1 lots",
            "ladder.toml:6:3: hot.top_levels must be within 1..=5000, got 0",
            "ladder.toml:9:1: paper max_orders must be within 1..=1048576, got 0",
        ]
    );
}

#[test]
fn bad_values_are_located_in_dotted_keys_inline_tables_and_arrays_of_tables() {
    let got = bad_values(
        "paper.max_orders = 0\n\
         [[instrument]]\nsymbol = \"A\"\ntick_size = \"0.1\"\nlot_size = \"1\"\n\
         [[instrument]]\nsymbol = \"B\"\ntick_size = \"0\"\nlot_size = \"1\"\n\
         [venue]\nname = \"binance-spot\"\nsymbols = [\"A\", \" \"]\n",
    );
    assert_eq!(
        got,
        [
            "ladder.toml:1:7: paper max_orders must be within 1..=1048576, got 0",
            "ladder.toml:8:1: instrument[1].tick_size must be positive, got 0",
            "ladder.toml:12:17: venue.symbols[1] \" \" is not a symbol",
        ]
    );
}

#[test]
fn defaults_and_the_documented_bounds_pass() {
    let c = parse(
        "[hot]\nring_capacity = 1048576\noutput_capacity = 2\ntop_levels = 5000\n\
         [paper]\nmax_orders = 1048576\n\
         entry_latency = { log_normal = { median_ns = 1, sigma = 10.0, max_ns = 60000000000 } }\n\
         [risk]\nmax_orders_per_sec = 100000\nmax_position = 0\n\
         [venue]\nname = \"binance-spot\"\nwatchdog_secs = 3600\n",
    )
    .unwrap();
    assert_eq!(c.hot.top_levels, MAX_TOP_LEVELS);
    assert!(c.venues.as_slice()[0].warnings().is_empty());
}

#[test]
fn insecure_endpoints_are_warned_about_at_their_line_unless_allowed() {
    let text = "[venue]\nname = \"binance-spot\"\nws_book = \"ws://10.0.0.1/stream\"\n\
                rest = \"https://api.binance.com\"\n";
    let v = parse(text).unwrap().venues.as_slice()[0].clone();
    assert_eq!(v.warnings().len(), 1, "{:?}", v.warnings());
    let w = &v.warnings()[0];
    assert!(w.starts_with("ladder.toml:3:1: venue.ws_book "), "{w}");
    assert!(
        w.contains("not encrypted") && w.contains("allow_insecure = true"),
        "{w}"
    );
    let allowed = parse(&format!("{text}allow_insecure = true\n")).unwrap();
    assert!(allowed.venues.as_slice()[0].warnings().is_empty());
}

#[test]
fn endpoint_of_the_wrong_scheme_is_a_bad_value() {
    let got = bad_values("[venue]\nname = \"binance-spot\"\nrest = \"wss://x/stream\"\n");
    assert_eq!(got.len(), 1);
    assert!(
        got[0].starts_with("ladder.toml:3:1: venue.rest: expected a https://"),
        "{}",
        got[0]
    );
}

#[test]
fn load_resolves_relative_library_against_the_config_folder_only() {
    // `Cargo.toml` exists in the working directory of this test (the engine crate); it must
    // not shadow the config folder's file of the same name.
    assert!(Path::new("Cargo.toml").exists());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ladder.toml");
    std::fs::write(
        &path,
        "[[strategy]]\nlibrary = \"Cargo.toml\"\nconfig_file = \"s.toml\"\n",
    )
    .unwrap();
    let c = Config::load(&path).unwrap();
    assert_eq!(c.strategies[0].library, dir.path().join("Cargo.toml"));
    assert_eq!(
        c.strategies[0].config_file.as_deref(),
        Some(dir.path().join("s.toml").as_path())
    );
}

#[rstest::rstest]
#[case::negative_usize(
    "[paper]\nmax_orders = -1\n",
    "ladder.toml:2:14: paper.max_orders: invalid value"
)]
#[case::negative_lots(
    "[risk]\nmax_order_qty = -3\n",
    "ladder.toml:2:17: risk.max_order_qty: quantity"
)]
#[case::wrong_type_in_inline_table(
    "[paper]\nentry_latency = { constant = { ns = \"x\" } }\n",
    "ladder.toml:2:37: paper.entry_latency.constant.ns: invalid type"
)]
#[case::array_of_tables(
    "[[instrument]]\nsymbol = 5\ntick_size = \"1\"\nlot_size = \"1\"\n",
    "ladder.toml:2:10: instrument[0].symbol: invalid type"
)]
#[case::unknown_key_named_once("[hot]\ncorez = 2\n", "ladder.toml:2:1: unknown field `corez`")]
fn parse_error_names_the_key_it_is_about(#[case] text: &str, #[case] want: &str) {
    let err = parse(text).unwrap_err().to_string();
    assert!(err.starts_with(want), "{err}");
}

const TWO_VENUES: &str = "[[venue]]\nname = \"binance-spot\"\nsymbols = [\"BTCUSDT\"]\n\n\
                          [[venue]]\nname = \"binance-usdm\"\nsymbols = [\"BTCUSDT\", \"ETHUSDT\"]\n\
                          rest = \"https://testnet.binancefuture.com\"\nwatchdog_secs = 10\n";

#[test]
fn venue_entries_parse_in_file_order_each_with_its_own_symbols_and_endpoints() {
    let c = parse(TWO_VENUES).unwrap();
    let names: Vec<Venue> = c.venues.iter().map(|v| v.name).collect();
    assert_eq!(names, [Venue::BinanceSpot, Venue::BinanceUsdm]);
    let (spot, usdm) = (&c.venues.as_slice()[0], &c.venues.as_slice()[1]);
    assert_eq!(spot.symbols, ["BTCUSDT"]);
    assert_eq!(usdm.symbols, ["BTCUSDT", "ETHUSDT"]);
    assert_eq!((spot.watchdog_secs, usdm.watchdog_secs), (30, 10));
    assert_eq!(usdm.endpoints().rest, "https://testnet.binancefuture.com");
    assert_eq!(spot.endpoints().rest, "https://api.binance.com");
    assert_eq!(c.venues.get(Venue::BinanceUsdm), Some(usdm));
    assert_eq!(c.venues.get(Venue::BinanceCoinm), None);
}

#[test]
fn venue_table_and_a_single_venue_entry_read_the_same() {
    let table = parse("[venue]\nname = \"binance-usdm\"\nsymbols = [\"BTCUSDT\"]\n").unwrap();
    let entry = parse("[[venue]]\nname = \"binance-usdm\"\nsymbols = [\"BTCUSDT\"]\n").unwrap();
    assert_eq!(table.venues.as_slice(), entry.venues.as_slice());
    assert!(parse("").unwrap().venues.is_empty());
}

#[test]
fn duplicate_venue_entry_is_a_bad_value_at_its_name() {
    let got = bad_values(&format!(
        "{TWO_VENUES}\n[[venue]]\nname = \"binance-spot\"\nsymbols = [\"ETHUSDT\"]\n"
    ));
    assert_eq!(
        got,
        [
            "ladder.toml:12:1: venue[2].name binance-spot is already configured by venue[0]; \
          give each venue one entry"
        ]
    );
}

#[rstest::rstest]
#[case::bad_symbol(
    "symbols = [\"ETH USDT\"]\n",
    "ladder.toml:8:12: venue[1].symbols[0] \"ETH USDT\" is not a symbol"
)]
#[case::watchdog_out_of_range(
    "watchdog_secs = 0\n",
    "ladder.toml:8:1: venue[1].watchdog_secs must be within 1..=3600 seconds, got 0"
)]
#[case::endpoint_of_the_wrong_scheme(
    "ws_book = \"https://x\"\n",
    "ladder.toml:8:1: venue[1].ws_book: expected a wss://"
)]
fn bad_venue_entry_is_located_at_its_key_in_that_entry(#[case] line: &str, #[case] want: &str) {
    let text = format!(
        "[[venue]]\nname = \"binance-spot\"\nsymbols = [\"BTCUSDT\"]\n\n\
         [hot]\ncore = 0\n[[venue]]\n{line}name = \"binance-usdm\"\n"
    );
    let got = bad_values(&text);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with(want), "{}", got[0]);
}

#[rstest::rstest]
#[case::unknown_venue(
    "[[venue]]\nname = \"binance-spot\"\n[[venue]]\nname = \"deribit\"\n",
    "ladder.toml:4:8: venue[1].name: unknown venue"
)]
#[case::unknown_key(
    "[[venue]]\nname = \"binance-spot\"\n[[venue]]\nname = \"binance-usdm\"\nwatchdog = 3\n",
    "ladder.toml:5:1: unknown field `watchdog`"
)]
#[case::not_a_table("venue = \"binance-spot\"\n", "ladder.toml:1:9: ")]
fn malformed_venue_entry_names_its_line(#[case] text: &str, #[case] want: &str) {
    let err = parse(text).unwrap_err().to_string();
    assert!(err.starts_with(want), "{err}");
    if text.starts_with("venue =") {
        assert!(err.contains("[venue] table or [[venue]] entries"), "{err}");
    }
}

#[test]
fn insecure_endpoint_of_a_venue_entry_is_warned_about_in_that_entry_only() {
    let c = parse(
        "[[venue]]\nname = \"binance-spot\"\n\
         [[venue]]\nname = \"binance-usdm\"\nrest = \"http://127.0.0.1:9\"\n",
    )
    .unwrap();
    assert!(c.venues.as_slice()[0].warnings().is_empty());
    let w = c.venues.as_slice()[1].warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].starts_with("ladder.toml:5:1: venue[1].rest ") && w[0].contains("[[venue]] entry"),
        "{}",
        w[0]
    );
}

#[test]
fn metrics_listen_parses_and_a_bad_address_is_located_at_its_key() {
    let c = parse("[metrics]\nlisten = \"9464\"\n").unwrap();
    assert_eq!(c.metrics.listen.as_deref(), Some("9464"));
    let got = bad_values("[metrics]\nlisten = \"everywhere\"\n");
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("ladder.toml:2:1: metrics.listen: metrics address \"everywhere\""),
        "{got:?}"
    );
}

#[test]
fn okx_venue_keys_give_its_live_options() {
    let c = parse(
        "[venue]\nname = \"okx\"\nsymbols = [\"BTC-USDT\"]\nbook_channel = \"books5\"\n\
         trades = false\n",
    )
    .unwrap();
    let want = crate::feed::okx::LiveOptions {
        book_channel: crate::feed::okx::BookChannel::Books5,
        trades: false,
        ..crate::feed::okx::LiveOptions::default()
    };
    assert_eq!(
        c.venues.as_slice()[0].options(),
        Ok(VenueOptions::Okx(want))
    );
    let plain = parse("[venue]\nname = \"okx\"\n").unwrap();
    assert_eq!(
        plain.venues.as_slice()[0].options(),
        Ok(VenueOptions::defaults(Venue::Okx))
    );
}

#[rstest::rstest]
#[case::bybit_depth_200("bybit-linear", "book_depth = 200\n", None)]
#[case::bybit_depth_500_removed(
    "bybit-linear",
    "book_depth = 500\n",
    Some(
        "ladder.toml:3:1: venue.book_depth 500 is not a depth bybit-linear serves (one of 1, 50, 200, 1000)"
    )
)]
#[case::bybit_takes_no_ws_trades(
    "bybit-spot",
    "ws_trades = \"wss://stream.bybit.com/v5/public/spot\"\n",
    Some(
        "ladder.toml:3:1: venue.ws_trades is not used by bybit-spot: its trades come on the ws_book connection; remove it"
    )
)]
#[case::binance_has_no_book_depth(
    "binance-spot",
    "book_depth = 50\n",
    Some(
        "ladder.toml:3:1: venue.book_depth is a Bybit and Kraken setting; binance-spot takes no book_depth"
    )
)]
fn venue_book_depth_is_a_bybit_depth_the_venue_serves_and_bybit_has_no_ws_trades(
    #[case] venue: &str,
    #[case] line: &str,
    #[case] want: Option<&str>,
) {
    let text = format!("[venue]\nname = \"{venue}\"\n{line}");
    match want {
        None => {
            let c = parse(&text).unwrap();
            let options = c.venues.as_slice()[0].options().unwrap();
            let crate::feed::VenueOptions::Bybit(o) = options else {
                panic!("{options:?}");
            };
            assert_eq!(o.depth, 200);
        }
        Some(want) => assert_eq!(bad_values(&text), [want]),
    }
}

#[rstest::rstest]
#[case::unknown_channel(
    "name = \"okx\"\nbook_channel = \"books400\"\n",
    "ladder.toml:3:1: venue.book_channel \"books400\" is not an okx book channel; expected one of \
     books, books5, bbo-tbt, books50-l2-tbt, books-l2-tbt"
)]
#[case::login_channel(
    "name = \"okx\"\nbook_channel = \"books-l2-tbt\"\n",
    "ladder.toml:3:1: venue.book_channel books-l2-tbt needs an okx login (VIP6 account or above), \
     which ladder does not do; use books, books5 or bbo-tbt"
)]
#[case::unknown_join(
    "name = \"okx\"\njoin = \"never\"\n",
    "ladder.toml:3:1: venue.join \"never\" is not an okx join; expected auto or rest"
)]
#[case::rest_join_of_full_images(
    "name = \"okx\"\nbook_channel = \"bbo-tbt\"\njoin = \"rest\"\n",
    "ladder.toml:4:1: venue.join = \"rest\" applies to the incremental book channels; bbo-tbt \
     pushes a full image every time"
)]
#[case::okx_key_on_binance(
    "name = \"binance-spot\"\njoin = \"rest\"\n",
    "ladder.toml:3:1: venue.join is an okx setting; binance-spot does not take it"
)]
fn bad_okx_venue_key_is_located_and_named(#[case] body: &str, #[case] want: &str) {
    let got = bad_values(&format!("[venue]\n{body}"));
    assert_eq!(got, [want]);
}

#[rstest::rstest]
#[case::depth_10("book_depth = 10\n", Ok(10))]
#[case::depth_1000("book_depth = 1000\n", Ok(1000))]
#[case::default_25("", Ok(25))]
#[case::depth_50_not_kraken(
    "book_depth = 50\n",
    Err(
        "ladder.toml:3:1: venue.book_depth 50 is not a depth kraken serves (one of 10, 25, 100, 500, 1000)"
    )
)]
fn venue_book_depth_of_kraken_is_one_kraken_serves_checked_at_its_line(
    #[case] line: &str,
    #[case] want: Result<u32, &str>,
) {
    let text = format!("[venue]\nname = \"kraken\"\n{line}");
    match want {
        Ok(depth) => {
            let c = parse(&text).unwrap();
            let options = c.venues.as_slice()[0].options().unwrap();
            let crate::feed::VenueOptions::Kraken(o) = options else {
                panic!("{options:?}");
            };
            assert_eq!(o.depth, depth);
        }
        Err(want) => assert_eq!(bad_values(&text), [want]),
    }
}
