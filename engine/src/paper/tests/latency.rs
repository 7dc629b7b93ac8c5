//! Paper exchange tests: latency.

use super::*;

#[test]
fn order_acts_on_book_at_arrival_and_reports_after_response_latency() {
    let mut sim = Sim::new(config());
    sim.send(0, market(1, Side::Buy, 2)); // ask 101 now
    sim.level(Side::Sell, 101, 0)
        .level(Side::Sell, 103, 5)
        .book_at(ENTRY / 2); // t + δ
    assert!(sim.poll(FAR).is_empty(), "not at the exchange yet");
    sim.book_at(ENTRY);
    assert!(
        sim.poll(ENTRY + RESPONSE - 1).is_empty(),
        "reports still on their way back"
    );
    let got = sim.poll(ENTRY + RESPONSE);
    assert_eq!(fills(&got), [(103, 2, Liquidity::Taker)]); // the later book
    assert_eq!(statuses(&got), [OrderStatus::Accepted, OrderStatus::Filled]);
    match got[1] {
        Report::Fill(f, _) => assert_eq!(f.ts, t(ENTRY)),
        Report::Update(_) => panic!("expected a fill"),
    }
}

#[test]
fn advance_to_uses_the_book_before_the_event() {
    let mut sim = Sim::new(config());
    sim.send(0, market(1, Side::Buy, 2));
    // The next event is at 1_500; the order arrived at 1_000 and sees the book before it.
    sim.ex.advance_to(t(1_500), I, &sim.book);
    sim.level(Side::Sell, 101, 0)
        .level(Side::Sell, 103, 5)
        .book_at(1_500);
    assert_eq!(fills(&sim.poll(FAR)), [(101, 2, Liquidity::Taker)]);
}

#[test]
fn uniform_latency_is_within_bounds_and_seeded() {
    let mut cfg = config();
    cfg.entry_latency = LatencyModel::Uniform {
        min_ns: 100,
        max_ns: 200,
    };
    let mut rng = crate::rng::SeededRng::new(9, 0);
    let draws: Vec<u64> = (0..200).map(|_| cfg.entry_latency.draw(&mut rng)).collect();
    assert!(draws.iter().all(|d| (100..=200).contains(d)));
    assert!(draws.iter().any(|d| *d < 125) && draws.iter().any(|d| *d > 175));
    let mut again = crate::rng::SeededRng::new(9, 0);
    assert!(
        draws
            .iter()
            .all(|d| *d == cfg.entry_latency.draw(&mut again))
    );
}

#[test]
fn log_normal_latency_is_capped_and_centred_on_median() {
    let model = LatencyModel::LogNormal {
        median_ns: 1_000,
        sigma: 0.5,
        max_ns: 3_000,
    };
    let mut rng = crate::rng::SeededRng::new(4, 0);
    let mut draws: Vec<u64> = (0..4_001).map(|_| model.draw(&mut rng)).collect();
    draws.sort_unstable();
    assert!(draws.iter().all(|d| *d <= 3_000));
    let median = draws[2_000];
    assert!((900..1_100).contains(&median), "median {median}");
}
