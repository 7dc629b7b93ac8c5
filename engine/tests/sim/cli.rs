//! `ladder sim --venue` and `ladder paper --sim --venue` through the real binary.

use assert_cmd::Command;
use predicates::prelude::*;
use rstest::rstest;

fn ladder() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ladder"))
}

/// `ladder sim` with `args` serves its venue and prints, among its lines, each of `wants`: the
/// venue and its symbols, the WebSocket path with a subscription, the REST URLs.
#[rstest]
#[case::binance_usdm(
    &["--venue", "binance-usdm", "--symbols", "ETHUSDT", "--duration", "1s"],
    &[
        "simulated binance-usdm venue for ETHUSDT",
        "/public/stream?streams=ethusdt@depth@100ms/ethusdt@bookTicker",
        "/market/stream?streams=ethusdt@trade",
        "/fapi/v1/depth?symbol=ETHUSDT&limit=1000",
    ]
)]
#[case::default_venue_is_binance_spot(
    &["--duration", "500ms"],
    &[
        "simulated binance-spot venue for BTCUSDT, ETHUSDT",
        "/api/v3/depth?symbol=BTCUSDT&limit=1000",
    ]
)]
#[case::okx(
    &["--venue", "okx", "--duration", "1s"],
    &[
        "simulated okx venue for BTC-USDT, BTC-USDT-SWAP",
        r#"/ws/v5/public then {"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}"#,
        "/api/v5/market/books?instId=BTC-USDT&sz=400",
        "/api/v5/public/instruments?instType=SPOT",
    ]
)]
#[case::kraken_with_the_checksum_fault(
    &[
        "--venue",
        "kraken",
        "--symbols",
        "sol/usd,PEPE/USD:0.00000001:1:1",
        "--bad-checksum-every",
        "20",
        "--duration",
        "1s",
    ],
    &[
        "simulated kraken venue for SOL/USD, PEPE/USD",
        r#"/v2 then {"method":"subscribe","params":{"channel":"book","depth":25,"symbol":["SOL/USD"]}}"#,
        "/0/public/AssetPairs",
    ]
)]
#[case::bybit_linear_with_the_restart_fault(
    &["--venue", "bybit-linear", "--restart-every", "20", "--duration", "1s"],
    &[
        "simulated bybit-linear venue for BTCUSDT, ETHUSDT",
        r#"/v5/public/linear then {"op":"subscribe","args":["orderbook.50.BTCUSDT"]}"#,
        "/v5/market/instruments-info?category=linear",
    ]
)]
fn ladder_sim_serves_the_venue_and_prints_its_paths_and_urls(
    #[case] args: &[&str],
    #[case] wants: &[&str],
) {
    let mut out = ladder()
        .arg("sim")
        .args(args)
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .success();
    for want in wants {
        out = out.stdout(predicate::str::contains(*want));
    }
}

#[test]
fn ladder_sim_refuses_a_venue_without_an_encoder_and_a_missing_preset() {
    ladder()
        .args(["sim", "--venue", "binance-coinm"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "[possible values: binance-spot, binance-usdm, bybit-spot, bybit-linear, \
             bybit-inverse, okx, coinbase, kraken]",
        ));
    ladder()
        .args(["sim", "--venue", "binance-usdm", "--symbols", "XRPUSDT"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "no binance-usdm preset for symbol \"XRPUSDT\"; use BTCUSDT, ETHUSDT or SYMBOL:TICK:LOT:PRICE",
        ));
}

#[test]
fn ladder_paper_sim_refuses_a_venue_the_simulator_does_not_serve() {
    ladder()
        .args([
            "paper",
            "--sim",
            "--venue",
            "binance-coinm",
            "--headless",
            "--duration",
            "1s",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "--venue: invalid sim configuration: the simulator does not serve binance-coinm; it \
             serves binance-spot, binance-usdm, bybit-spot, bybit-linear, bybit-inverse, okx, \
             coinbase, kraken",
        ));
}

#[test]
fn ladder_sim_refuses_another_venues_fault() {
    ladder()
        .args(["sim", "--venue", "okx", "--restart-every", "5"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "invalid sim configuration: restart_every is a fault of bybit-spot, bybit-linear and \
             bybit-inverse, not of okx",
        ));
    ladder()
        .args(["sim", "--venue", "bybit-spot", "--bad-checksum-every", "5"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "bad_checksum_every is a fault of okx and kraken, not of bybit-spot",
        ));
    ladder()
        .args(["sim", "--venue", "kraken", "--seq-break-every", "5"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "seq_break_every is a fault of okx and coinbase, not of kraken",
        ));
}
