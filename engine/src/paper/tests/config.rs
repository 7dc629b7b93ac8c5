//! Paper exchange tests: config.

use super::*;

#[test]
fn config_deserializes_from_toml_with_defaults() {
    let text = r#"
        entry_latency = { uniform = { min_ns = 500, max_ns = 2000 } }
        maker_fee_bps = "-0.5"
        taker_fee_bps = 1
        cancel_model = "none"
    "#;
    let cfg: PaperConfig = toml::from_str(text).unwrap();
    assert_eq!(
        cfg.entry_latency,
        LatencyModel::Uniform {
            min_ns: 500,
            max_ns: 2000
        }
    );
    assert_eq!(cfg.response_latency, LatencyModel::ONE_MS);
    assert_eq!(cfg.maker_fee_bps, dec("-0.5"));
    assert_eq!(cfg.taker_fee_bps, dec("1"));
    assert_eq!(cfg.cancel_model, CancelModel::NoAdvance);
    assert_eq!(cfg.max_orders, PaperConfig::default().max_orders);
    assert!(cfg.validate().is_ok());
}

#[rstest::rstest]
#[case::unknown_key("entry_latncy = { constant = { ns = 1 } }", "unknown field")]
#[case::unknown_model_key("entry_latency = { constant = { ns = 1, jitter = 2 } }", "jitter")]
#[case::unknown_cancel_model("cancel_model = \"optimistic\"", "unknown variant")]
fn config_rejects_unknown_keys(#[case] text: &str, #[case] expected: &str) {
    let err = toml::from_str::<PaperConfig>(text).unwrap_err().to_string();
    assert!(err.contains(expected), "{err}");
}

#[rstest::rstest]
#[case::upside_down_uniform(
    LatencyModel::Uniform { min_ns: 5, max_ns: 4 },
    "lower bound 5 ns is above upper bound 4 ns"
)]
#[case::negative_sigma(
    LatencyModel::LogNormal { median_ns: 5, sigma: -1.0, max_ns: 9 },
    "sigma must be finite"
)]
#[case::nan_sigma(
    LatencyModel::LogNormal { median_ns: 5, sigma: f64::NAN, max_ns: 9 },
    "sigma must be finite and within 0..=10, got NaN"
)]
#[case::huge_sigma(
    LatencyModel::LogNormal { median_ns: 5, sigma: 10.5, max_ns: 9 },
    "got 10.5"
)]
#[case::constant_beyond_a_minute(
    LatencyModel::Constant { ns: MAX_LATENCY_NS + 1 },
    "60000000001 ns is above the 60 s"
)]
#[case::uniform_beyond_a_minute(
    LatencyModel::Uniform { min_ns: 0, max_ns: u64::MAX },
    "18446744073709551615 ns is above"
)]
fn config_validate_names_the_bad_field(#[case] model: LatencyModel, #[case] expected: &str) {
    let cfg = PaperConfig {
        response_latency: model,
        ..PaperConfig::default()
    };
    let err = PaperExchange::try_new(cfg, &[spec()], 1)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("response_latency") && err.contains(expected),
        "{err}"
    );
}

#[test]
fn config_problems_lists_every_bad_field_and_bounds_max_orders() {
    let cfg = PaperConfig {
        entry_latency: LatencyModel::Uniform {
            min_ns: 2,
            max_ns: 1,
        },
        taker_fee_bps: dec("10001"),
        max_orders: MAX_ORDERS + 1,
        ..PaperConfig::default()
    };
    let keys: Vec<Option<String>> = cfg.problems().iter().map(PaperError::config_key).collect();
    assert_eq!(
        keys,
        [
            Some("entry_latency".to_owned()),
            Some("taker_fee_bps".to_owned()),
            Some("max_orders".to_owned())
        ]
    );
    let at_bound = PaperConfig {
        max_orders: MAX_ORDERS,
        ..PaperConfig::default()
    };
    assert_eq!(at_bound.validate(), Ok(()));
}
