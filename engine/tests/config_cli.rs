//! Config validation through the real binary: every bad value ends `ladder paper` and
//! `ladder replay` with one clear error naming the key and its `file:line:col`, exit code 1
//! (2 for a bad flag), never a panic (101) or a signal, and before anything starts; every bad
//! key of a file is reported at once; unencrypted endpoints are warned about unless allowed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::ladder;
use rstest::rstest;
use std::path::{Path, PathBuf};
use std::process::Output;

/// A two-line capture: enough for a replay to start if a bad value slipped through.
const CAPTURE: &str = "\
1723161254087891268 {\"stream\":\"btcusdt@bookTicker\",\"data\":{\"u\":1,\"s\":\"BTCUSDT\",\"b\":\"61837.63\",\"B\":\"3.7\",\"a\":\"61837.64\",\"A\":\"1.5\"}}
1723161254187891268 {\"stream\":\"btcusdt@bookTicker\",\"data\":{\"u\":2,\"s\":\"BTCUSDT\",\"b\":\"61837.62\",\"B\":\"3.7\",\"a\":\"61837.64\",\"A\":\"1.5\"}}
";

struct Files {
    dir: tempfile::TempDir,
    config: PathBuf,
    capture: PathBuf,
}

fn files(config_text: &str) -> Files {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, config_text).unwrap();
    let capture = dir.path().join("capture.txt");
    std::fs::write(&capture, CAPTURE).unwrap();
    Files {
        dir,
        config,
        capture,
    }
}

fn paper(f: &Files) -> Output {
    ladder()
        .current_dir(f.dir.path())
        .args(["paper", "--headless", "--duration", "1s", "--config"])
        .arg(&f.config)
        .arg("--report")
        .arg(f.dir.path().join("paper-report"))
        .output()
        .unwrap()
}

fn replay(f: &Files) -> Output {
    ladder()
        .current_dir(f.dir.path())
        .arg("replay")
        .arg(&f.capture)
        .args(["--venue", "binance-spot", "--config"])
        .arg(&f.config)
        .arg("--report")
        .arg(f.dir.path().join("replay-report"))
        .output()
        .unwrap()
}

/// Exit code 1 or 2 (a signal has no code; a panic is 101) and the stderr text.
fn failed_cleanly(what: &str, out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code();
    assert!(
        matches!(code, Some(1 | 2)),
        "{what}: exit {:?}, want 1 or 2; stderr:\n{stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "{what} panicked:\n{stderr}");
    stderr
}

#[rstest]
#[case::negative_max_position("[risk]\nmax_position = -1\n", 2, "max_position")]
#[case::negative_max_notional("[risk]\nmax_notional = \"-5\"\n", 2, "max_notional")]
#[case::negative_max_loss("[risk]\n\nmax_loss = \"-100\"\n", 3, "max_loss")]
#[case::negative_max_drawdown("[risk]\nmax_drawdown = \"-1\"\n", 2, "max_drawdown")]
#[case::negative_max_order_qty("[risk]\nmax_order_qty = -3\n", 2, "max_order_qty")]
#[case::max_orders_per_sec_u32_max(
    "[risk]\nmax_orders_per_sec = 4294967295\n",
    2,
    "max_orders_per_sec"
)]
#[case::uniform_latency_min_above_max(
    "[paper]\nentry_latency = { uniform = { min_ns = 5, max_ns = 1 } }\n",
    2,
    "entry_latency"
)]
#[case::log_normal_sigma_nan(
    "[paper]\nresponse_latency = { log_normal = { median_ns = 1, sigma = nan, max_ns = 9 } }\n",
    2,
    "response_latency"
)]
#[case::log_normal_sigma_inf(
    "[paper]\nentry_latency = { log_normal = { median_ns = 1, sigma = inf, max_ns = 9 } }\n",
    2,
    "entry_latency"
)]
#[case::log_normal_sigma_negative(
    "[paper]\nentry_latency = { log_normal = { median_ns = 1, sigma = -0.5, max_ns = 9 } }\n",
    2,
    "entry_latency"
)]
#[case::latency_of_a_year(
    "[paper]\nentry_latency = { constant = { ns = 31536000000000000 } }\n",
    2,
    "entry_latency"
)]
#[case::taker_fee_10001_bps("[paper]\ntaker_fee_bps = \"10001\"\n", 2, "taker_fee_bps")]
#[case::maker_fee_minus_10001_bps("[paper]\nmaker_fee_bps = \"-10001\"\n", 2, "maker_fee_bps")]
#[case::max_orders_zero("[paper]\nmax_orders = 0\n", 2, "max_orders")]
#[case::max_orders_u32_max("[paper]\nmax_orders = 4294967295\n", 2, "max_orders")]
#[case::max_orders_negative("[paper]\nmax_orders = -1\n", 2, "max_orders")]
#[case::output_capacity_a_billion("[hot]\noutput_capacity = 1000000000\n", 2, "output_capacity")]
#[case::ring_capacity_zero("[hot]\nring_capacity = 0\n", 2, "ring_capacity")]
#[case::ring_capacity_huge("[hot]\nring_capacity = 4294967296\n", 2, "ring_capacity")]
#[case::top_levels_huge("[hot]\ntop_levels = 1000000000000\n", 2, "top_levels")]
#[case::top_levels_zero("[hot]\ntop_levels = 0\n", 2, "top_levels")]
#[case::instrument_zero_tick(
    "[[instrument]]\nsymbol = \"BTCUSDT\"\ntick_size = \"0\"\nlot_size = \"0.001\"\n",
    3,
    "tick_size"
)]
#[case::instrument_negative_lot(
    "[[instrument]]\nsymbol = \"BTCUSDT\"\ntick_size = \"0.01\"\nlot_size = \"-1\"\n",
    4,
    "lot_size"
)]
#[case::instrument_twice(
    "[[instrument]]\nsymbol = \"BTCUSDT\"\ntick_size = \"0.01\"\nlot_size = \"0.001\"\n\
     [[instrument]]\nsymbol = \"BTCUSDT\"\ntick_size = \"0.1\"\nlot_size = \"0.001\"\n",
    6,
    "already configured"
)]
#[case::strategy_config_and_config_file(
    "[[strategy]]\nlibrary = \"lib.so\"\nconfig = \"a\"\nconfig_file = \"b.toml\"\n",
    4,
    "config_file"
)]
#[case::watchdog_zero(
    "[venue]\nname = \"binance-spot\"\nwatchdog_secs = 0\n",
    3,
    "watchdog_secs"
)]
#[case::websocket_endpoint_with_rest_scheme(
    "[venue]\nname = \"binance-spot\"\nws_book = \"https://example.invalid/stream\"\n",
    3,
    "ws_book"
)]
#[case::unknown_key("[paper]\nmax_order = 5\n", 2, "max_order")]
#[case::source_url_http("[source]\nurl = \"http://127.0.0.1:4222\"\n", 2, "source.url")]
#[case::source_url_without_host("[source]\n\nurl = \"nats://\"\n", 3, "source.url")]
#[case::source_unknown_key("[source]\nurl = \"nats://127.0.0.1:4222\"\nport = 4222\n", 3, "port")]
#[case::source_tls_ca_file_missing(
    "[source]\nurl = \"tls://127.0.0.1:4222\"\nca_file = \"no-such-ca.pem\"\n",
    3,
    "source.ca_file no-such-ca.pem: no such file"
)]
#[case::source_token_and_user(
    "[source]\nuser = \"u\"\npassword = \"p\"\ntoken = \"t\"\n",
    4,
    "source.token: give one way to log in"
)]
#[case::source_user_without_password(
    "[source]\nuser = \"u\"\n",
    2,
    "source.user and source.password"
)]
fn bad_config_value_fails_cleanly_naming_key_and_line(
    #[case] text: &str,
    #[case] line: usize,
    #[case] key: &str,
) {
    let f = files(text);
    for (what, out) in [("paper", paper(&f)), ("replay", replay(&f))] {
        let stderr = failed_cleanly(what, &out);
        let at = format!("{}:{line}:", f.config.display());
        let error = stderr
            .lines()
            .find(|l| l.starts_with("error: "))
            .unwrap_or_else(|| panic!("{what}: no error line:\n{stderr}"));
        assert!(
            error.contains(&at) && error.contains(key),
            "{what}: want `{at}` and `{key}` in the error:\n{stderr}"
        );
        assert!(
            !f.dir.path().join(format!("{what}-report")).exists(),
            "{what} started before the config was rejected"
        );
    }
}

#[test]
fn every_bad_value_of_a_config_is_reported_at_once_one_per_line() {
    let f = files(
        "[hot]\ntop_levels = 0\n\n[paper]\nmax_orders = 0\ntaker_fee_bps = \"10001\"\n\n\
         [risk]\nmax_position = -1\nmax_orders_per_sec = 4294967295\n",
    );
    let stderr = failed_cleanly("replay", &replay(&f));
    let path = f.config.display().to_string();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 5, "one line per bad key:\n{stderr}");
    for (i, (line, key)) in [
        (2, "top_levels"),
        (5, "max_orders"),
        (6, "taker_fee_bps"),
        (9, "max_position"),
        (10, "max_orders_per_sec"),
    ]
    .into_iter()
    .enumerate()
    {
        let prefix = if i == 0 { "error: " } else { "" };
        assert!(
            lines[i].starts_with(&format!("{prefix}{path}:{line}:1: ")) && lines[i].contains(key),
            "line {i}: {}",
            lines[i]
        );
    }
}

#[test]
fn bench_passes_out_of_range_is_a_usage_error() {
    let f = files("");
    for passes in ["0", "4294967295"] {
        let out = ladder()
            .args(["bench", "--venue", "binance-spot", "--capture"])
            .arg(&f.capture)
            .args(["--passes", passes])
            .output()
            .unwrap();
        let stderr = failed_cleanly("bench", &out);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("--passes"), "{stderr}");
    }
}

#[test]
fn paper_sim_rate_that_is_not_a_positive_number_fails_before_anything_starts() {
    let f = files("");
    for rate in ["nan", "inf", "0", "-5"] {
        let out = ladder()
            .current_dir(f.dir.path())
            .args(["paper", "--headless", "--duration", "1s"])
            .arg(format!("--sim-rate={rate}"))
            .output()
            .unwrap();
        let stderr = failed_cleanly("paper", &out);
        assert!(
            stderr.contains("--sim-rate must be a positive number"),
            "{rate}: {stderr}"
        );
    }
}

/// A `[venue]` on an unused local port over plain `ws://` and `http://`: the command fails to
/// connect (no network), after the warnings.
fn insecure_venue(extra: &str) -> String {
    format!(
        "[venue]\nname = \"binance-spot\"\nsymbols = [\"BTCUSDT\"]\n\
         ws_book = \"ws://127.0.0.1:1/stream\"\nrest = \"http://127.0.0.1:1\"\n{extra}"
    )
}

fn record_with(f: &Files) -> Output {
    ladder()
        .current_dir(f.dir.path())
        .args(["record", "--duration", "1s", "--config"])
        .arg(&f.config)
        .arg("--out")
        .arg(f.dir.path().join("out.txt"))
        .output()
        .unwrap()
}

#[test]
fn insecure_endpoints_are_warned_about_with_key_and_line() {
    let f = files(&insecure_venue(""));
    let out = record_with(&f);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let path = f.config.display().to_string();
    for (line, key) in [(4, "venue.ws_book"), (5, "venue.rest")] {
        let want = format!("warning: {path}:{line}:1: {key} ");
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with(&want) && l.contains("not encrypted")),
            "want `{want}`:\n{stderr}"
        );
    }
}

#[test]
fn allow_insecure_silences_the_warning() {
    let f = files(&insecure_venue("allow_insecure = true\n"));
    let out = record_with(&f);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("127.0.0.1:1"),
        "the venue was used: {stderr}"
    );
    assert!(!stderr.contains("not encrypted"), "{stderr}");
}

#[test]
fn the_built_in_simulator_endpoints_are_not_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let out = ladder()
        .current_dir(dir.path())
        .args([
            "record",
            "--sim",
            "--symbol",
            "BTCUSDT",
            "--duration",
            "1s",
            "--out",
        ])
        .arg(dir.path().join("sim.txt"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(Path::new(&dir.path().join("sim.txt")).exists());
    assert!(!stderr.contains("not encrypted"), "{stderr}");
}
