//! `ladder sim --venue` and `ladder paper --sim --venue` through the real binary.

use assert_cmd::Command;
use predicates::prelude::*;

fn ladder() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ladder"))
}

#[test]
fn ladder_sim_venue_usdm_prints_its_public_market_and_fapi_urls() {
    ladder()
        .args([
            "sim",
            "--venue",
            "binance-usdm",
            "--symbols",
            "ETHUSDT",
            "--duration",
            "1s",
        ])
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "simulated binance-usdm venue for ETHUSDT",
        ))
        .stdout(predicate::str::contains(
            "/public/stream?streams=ethusdt@depth@100ms/ethusdt@bookTicker",
        ))
        .stdout(predicate::str::contains(
            "/market/stream?streams=ethusdt@trade",
        ))
        .stdout(predicate::str::contains(
            "/fapi/v1/depth?symbol=ETHUSDT&limit=1000",
        ));
}

#[test]
fn ladder_sim_default_venue_is_spot() {
    ladder()
        .args(["sim", "--duration", "500ms"])
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "simulated binance-spot venue for BTCUSDT, ETHUSDT",
        ))
        .stdout(predicate::str::contains(
            "/api/v3/depth?symbol=BTCUSDT&limit=1000",
        ));
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
fn ladder_sim_venue_okx_prints_its_public_path_and_rest_urls() {
    ladder()
        .args(["sim", "--venue", "okx", "--duration", "1s"])
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "simulated okx venue for BTC-USDT, BTC-USDT-SWAP",
        ))
        .stdout(predicate::str::contains(
            r#"/ws/v5/public then {"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}"#,
        ))
        .stdout(predicate::str::contains(
            "/api/v5/market/books?instId=BTC-USDT&sz=400",
        ))
        .stdout(predicate::str::contains(
            "/api/v5/public/instruments?instType=SPOT",
        ));
}

#[test]
fn ladder_sim_venue_kraken_prints_its_v2_path_and_asset_pairs_and_takes_the_checksum_fault() {
    ladder()
        .args([
            "sim",
            "--venue",
            "kraken",
            "--symbols",
            "sol/usd,PEPE/USD:0.00000001:1:1",
            "--bad-checksum-every",
            "20",
            "--duration",
            "1s",
        ])
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "simulated kraken venue for SOL/USD, PEPE/USD",
        ))
        .stdout(predicate::str::contains(
            r#"/v2 then {"method":"subscribe","params":{"channel":"book","depth":25,"symbol":["SOL/USD"]}}"#,
        ))
        .stdout(predicate::str::contains("/0/public/AssetPairs"));
}

#[test]
fn ladder_sim_venue_bybit_linear_serves_its_category_and_takes_the_restart_fault() {
    ladder()
        .args([
            "sim",
            "--venue",
            "bybit-linear",
            "--restart-every",
            "20",
            "--duration",
            "1s",
        ])
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "simulated bybit-linear venue for BTCUSDT, ETHUSDT",
        ))
        .stdout(predicate::str::contains(
            r#"/v5/public/linear then {"op":"subscribe","args":["orderbook.50.BTCUSDT"]}"#,
        ))
        .stdout(predicate::str::contains(
            "/v5/market/instruments-info?category=linear",
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
