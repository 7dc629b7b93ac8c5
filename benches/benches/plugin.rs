//! Plugin call cost: the same strategy called directly (statically linked) and through its
//! `cdylib`'s C vtable, in the same run.
//!
//! The strategy is the test fixture `tests/fixtures/strategy` (imbalance + weighted mid, two
//! signal writes, an open-order lookup per book update). The bench builds its `cdylib` with
//! `cargo build --release -p ladder-fixture-strategy` first (or loads `LADDER_PLUGIN_LIB`).
//!
//! Groups (`Throughput::Elements(1)`: one call):
//! - `plugin/on_book`: `direct` (trait call on the concrete type), `vtable` (the plugin's
//!   `extern "C"` entry with its `catch_unwind`), and the engine's `StrategyInstance` over each
//!   (`instance_static`, `instance_dynamic`: lends the host buffers and checks the result).
//! - `plugin/on_trade`: a near-empty body (one add, one signal write): mostly call overhead.
//!
//! Every iteration empties the lent buffers first, the same way in every variant.
#![allow(unsafe_code)]

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use ladder_engine::plugin::{self, HostBuffers, HostConfig, Plugin, StrategyInstance};
use ladder_fixture_strategy::FixtureStrategy;
use ladder_sdk::abi::{ErrorBuf, InitHost, OK, RegisterError};
use ladder_sdk::{
    BookView, InitContext, InstrumentId, Level, Price, Quantity, Side, SignalId, Strategy,
    TradeEvent, UnixNanos,
};
use std::ffi::c_void;
use std::path::{Path, PathBuf};

const BTC: InstrumentId = InstrumentId::new(0);

/// Builds (or finds) the fixture strategy's cdylib.
fn plugin_path() -> PathBuf {
    if let Some(p) = std::env::var_os("LADDER_PLUGIN_LIB") {
        return PathBuf::from(p);
    }
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .to_owned();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_owned();
    let status = std::process::Command::new(env!("CARGO"))
        .current_dir(&root)
        .args([
            "build",
            "--quiet",
            "--release",
            "-p",
            "ladder-fixture-strategy",
            "--target-dir",
        ])
        .arg(&target)
        .status()
        .expect("run cargo build");
    assert!(
        status.success(),
        "cargo build --release -p ladder-fixture-strategy failed"
    );
    let file = format!(
        "{}ladder_fixture_strategy{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    target.join("release").join(file)
}

/// Signals numbered in order; no instruments.
struct Host(u32);

impl InitHost for Host {
    fn register_signal(&mut self, _: &str) -> Result<SignalId, RegisterError> {
        self.0 += 1;
        Ok(SignalId::new(self.0 - 1))
    }

    fn instrument(&self, _: &str) -> Option<InstrumentId> {
        None
    }
}

/// A raw plugin instance created through the vtable, for the `vtable` variant.
fn create_raw(plugin: &Plugin) -> *mut c_void {
    let mut host = Host(0);
    let mut init = InitContext::new(&mut host);
    let mut handle: *mut c_void = std::ptr::null_mut();
    let mut err = ErrorBuf {
        ptr: std::ptr::null_mut(),
        cap: 0,
        len: 0,
    };
    // SAFETY: a validated vtable of a never-unloaded library; every pointer is live for the
    // call and the config is empty.
    let rc = unsafe { (plugin.vtable().create)(b"".as_ptr(), 0, &mut init, &mut handle, &mut err) };
    assert!(rc == OK && !handle.is_null(), "create failed: rc {rc}");
    handle
}

fn trade() -> TradeEvent {
    TradeEvent {
        instrument: BTC,
        aggressor: Side::Buy,
        _reserved: [0; 3],
        price: Price::from_ticks(100_000),
        qty: Quantity::from_lots(3),
        trade_id: 1,
        ts_exchange: UnixNanos::from_nanos(1),
        ts_recv: UnixNanos::from_nanos(2),
    }
}

fn bench_plugin(c: &mut Criterion) {
    let path = plugin_path();
    let plugin = plugin::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let host = HostConfig {
        instruments: vec!["bench:BTC".into()],
        ..HostConfig::default()
    };

    // A 20-level book, imbalance inside the threshold: signals, no orders.
    let bids: Vec<Level> = (0..20)
        .map(|i| Level::new(Price::from_ticks(100_000 - i), Quantity::from_lots(5 + i)))
        .collect();
    let asks: Vec<Level> = (0..20)
        .map(|i| Level::new(Price::from_ticks(100_001 + i), Quantity::from_lots(4 + i)))
        .collect();
    let book = BookView::new(BTC, &bids, &asks);
    let trade = trade();

    let mut direct = FixtureStrategy::new("", &mut InitContext::new(&mut Host(0)))
        .unwrap_or_else(|e| panic!("{e}"));
    let raw = create_raw(plugin);
    let vtable = *plugin.vtable();
    let mut buffers = HostBuffers::new(&host);
    let mut inst_static =
        StrategyInstance::new_static::<FixtureStrategy>("fixture", "", &host).expect("static");
    let mut inst_dynamic = StrategyInstance::from_plugin(plugin, "", &host).expect("dynamic");

    let now = UnixNanos::from_nanos(1);
    {
        let mut g = c.benchmark_group("plugin/on_book");
        g.throughput(Throughput::Elements(1));
        g.bench_function("direct", |b| {
            let mut ctx = buffers.context(now);
            b.iter(|| {
                ctx.discard_output();
                black_box(&mut direct).on_book(&mut ctx, black_box(&book));
            });
        });
        g.bench_function("vtable", |b| {
            let mut ctx = buffers.context(now);
            b.iter(|| {
                ctx.discard_output();
                // SAFETY: the plugin's validated vtable, the live instance it created, and a
                // context and book live for the call.
                let rc = unsafe { (vtable.on_book)(black_box(raw), &mut ctx, black_box(&book)) };
                black_box(rc)
            });
        });
        g.bench_function("instance_static", |b| {
            b.iter(|| black_box(inst_static.on_book(now, black_box(&book))));
        });
        g.bench_function("instance_dynamic", |b| {
            b.iter(|| black_box(inst_dynamic.on_book(now, black_box(&book))));
        });
        g.finish();
    }
    {
        let mut g = c.benchmark_group("plugin/on_trade");
        g.throughput(Throughput::Elements(1));
        g.bench_function("direct", |b| {
            let mut ctx = buffers.context(now);
            b.iter(|| {
                ctx.discard_output();
                black_box(&mut direct).on_trade(&mut ctx, black_box(&trade));
            });
        });
        g.bench_function("vtable", |b| {
            let mut ctx = buffers.context(now);
            b.iter(|| {
                ctx.discard_output();
                // SAFETY: as for `on_book`.
                let rc = unsafe { (vtable.on_trade)(black_box(raw), &mut ctx, black_box(&trade)) };
                black_box(rc)
            });
        });
        g.bench_function("instance_static", |b| {
            b.iter(|| black_box(inst_static.on_trade(now, black_box(&trade))));
        });
        g.bench_function("instance_dynamic", |b| {
            b.iter(|| black_box(inst_dynamic.on_trade(now, black_box(&trade))));
        });
        g.finish();
    }
    assert!(!inst_dynamic.is_disabled() && !inst_static.is_disabled());
    // SAFETY: `raw` was created by this vtable and is destroyed once.
    unsafe { (vtable.destroy)(raw) };
}

criterion_group!(benches, bench_plugin);
criterion_main!(benches);
