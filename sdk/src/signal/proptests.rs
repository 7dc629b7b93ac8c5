//! Property tests: no signal function returns NaN or an infinity on any book, and the bounded
//! signals stay in their ranges.

use super::*;
use crate::{Level, Price, Quantity, Side, UnixNanos};
use proptest::prelude::*;

fn side(max_levels: usize) -> impl Strategy<Value = Vec<Level>> {
    prop::collection::vec(
        (
            prop_oneof![
                -5_i64..5,
                -1_000_000_000_000_i64..1_000_000_000_000,
                Just(i64::MAX / 4)
            ],
            prop_oneof![Just(0_i64), 0_i64..1_000, 0_i64..100_000_000_000_000],
        ),
        0..max_levels,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(p, q)| Level::new(Price::from_ticks(p), Quantity::from_lots(q)))
            .collect()
    })
}

fn finite(x: Option<f64>) -> bool {
    x.is_none_or(f64::is_finite)
}

proptest! {
    #[test]
    fn book_signals_are_never_nan(bids in side(6), asks in side(6), n in 0_usize..8, lambda in -1.0_f64..2.0) {
        prop_assert!(finite(mid(&bids, &asks)));
        prop_assert!(finite(weighted_mid(&bids, &asks)));
        prop_assert!(finite(vamp(&bids, &asks, n)));
        prop_assert!(finite(weighted_depth_price(&bids, &asks, n)));
        prop_assert!(finite(vamp_effective(&bids, &asks, n)));
        for w in [
            DepthWeights::Uniform,
            DepthWeights::Harmonic,
            DepthWeights::Geometric { lambda },
            DepthWeights::PriceDistance { kappa: lambda },
        ] {
            let r = depth_imbalance(&bids, &asks, n, w);
            prop_assert!(r.is_none_or(|r| (-1.0..=1.0).contains(&r)));
        }
        if let Some(t) = top_imbalance(&bids, &asks) {
            prop_assert!((-1.0..=1.0).contains(&t.rho) && (0.0..=1.0).contains(&t.i));
        }
        let table = MicropriceTable::new(0.01, vec![0.0, 0.5, 1.0], vec![vec![-0.004, 0.004]; 3])
            .expect("valid table");
        prop_assert!(finite(table.microprice(&bids, &asks)));
    }

    #[test]
    fn weighted_mid_lies_between_bid_and_ask(
        pb in -1_000_000_000_i64..1_000_000_000,
        s in 0_i64..1_000,
        qb in 0_i64..1_000_000_000_000,
        qa in 0_i64..1_000_000_000_000,
    ) {
        let bids = [Level::new(Price::from_ticks(pb), Quantity::from_lots(qb))];
        let asks = [Level::new(Price::from_ticks(pb + s), Quantity::from_lots(qa))];
        match weighted_mid(&bids, &asks) {
            Some(w) => prop_assert!(w >= pb as f64 && w <= (pb + s) as f64),
            None => prop_assert_eq!(qb + qa, 0),
        }
    }

    #[test]
    fn windows_are_never_nan(xs in prop::collection::vec(prop_oneof![-1e12_f64..1e12, Just(0.0), Just(f64::NAN)], 0..60)) {
        let mut z = RollingZScore::new(ZScoreConfig { window: 4, deviation: Deviation::Sample, current: CurrentSample::Excluded });
        let mut ti = TradeImbalance::new(TradeWindow::Time { span_ns: 5, capacity: 3 });
        let mut vpin = Vpin::new(10.0, 2);
        for (i, &x) in xs.iter().enumerate() {
            prop_assert!(finite(z.update(x)));
            let side = if x > 0.0 { Side::Buy } else { Side::Sell };
            ti.push(UnixNanos::from_nanos(i as u64), side, Quantity::from_lots((x.abs() % 100.0) as i64));
            prop_assert!(ti.normalized().is_none_or(|r| (-1.0..=1.0).contains(&r)));
            vpin.push(x.abs() % 7.0, (x * 3.0).abs() % 5.0);
            prop_assert!(vpin.value().is_none_or(|v| (0.0..=1.0).contains(&v)));
        }
    }
}
