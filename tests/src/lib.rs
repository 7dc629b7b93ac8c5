//! Shared helpers for ladder's cross-crate integration tests.

pub mod alloc;
pub mod build;
pub mod fuzz;
pub mod nats;
pub mod scrape;

use ladder_engine::plugin::{HostConfig, StrategyInstance};
use ladder_engine::replay::StrategySource;
use ladder_strategy_imbalance::ImbalanceStrategy;
use ladder_strategy_microprice::MicropriceStrategy;
use std::path::PathBuf;

/// `../shared/<rel>` next to the workspace. In CI (`CI=true`) a missing file fails the test
/// loudly; elsewhere it prints why the test is skipped and returns `None`.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")).join(rel);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "missing shared test data {} (CI=true requires ../shared beside the checkout)",
        path.display()
    );
    eprintln!("skipped: shared test data {} not found", path.display());
    None
}

/// A TCP port free on 127.0.0.1 right now (for a server a test starts on a port it must name
/// before the server runs).
///
/// # Panics
/// If no port can be bound.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// The two example strategies, statically linked, configured for BTCUSDT USD-M (tick 0.1).
pub fn example_strategies() -> Vec<StrategySource> {
    example_strategies_with("", "tick_size = \"0.1\"")
}

/// The two example strategies, statically linked, with these config strings.
pub fn example_strategies_with(imbalance: &str, microprice: &str) -> Vec<StrategySource> {
    let (imbalance, microprice) = (imbalance.to_owned(), microprice.to_owned());
    let (ic, mc) = (imbalance.clone(), microprice.clone());
    vec![
        StrategySource::Static {
            label: "imbalance".into(),
            config: imbalance,
            factory: Box::new(move |h: &HostConfig| {
                StrategyInstance::new_static::<ImbalanceStrategy>("imbalance", &ic, h)
            }),
        },
        StrategySource::Static {
            label: "microprice".into(),
            config: microprice,
            factory: Box::new(move |h: &HostConfig| {
                StrategyInstance::new_static::<MicropriceStrategy>("microprice", &mc, h)
            }),
        },
    ]
}
