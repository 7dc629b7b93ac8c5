//! Strategy plugins end to end: fixture libraries built by cargo, `ladder plugins check` on good
//! and bad libraries, a panicking plugin disabled while the host goes on, the same strategy
//! through the vtable and statically linked giving identical outputs. (`ladder new-strategy` is
//! tested in `engine/tests/new_strategy_cli.rs`.)
//!
//! The fixtures (`tests/fixtures/strategy`, `tests/fixtures/old-abi`) and the `ladder` binary are
//! built once per test binary with `cargo build` into the workspace's target directory. The
//! plain C library needs `cc`: without it that test prints a skip reason, unless `CI=true`.

use assert_cmd::Command;
use ladder_engine::plugin::{
    self, CallOutcome, HostConfig, InstanceKind, Mismatch, PluginError, StrategyInstance,
};
use ladder_fixture_strategy::FixtureStrategy;
use ladder_sdk::abi::LAYOUT_HASH;
use ladder_sdk::{
    BookState, BookView, ClientOrderId, Fill, InstrumentId, Level, Liquidity, OpenOrder,
    OrderRequest, OrderStatus, OrderType, OrderUpdate, Price, Quantity, RejectReason, RequestKind,
    Side, SignalValue, StatusEvent, TimeInForce, TradeEvent, UnixNanos,
};
use ladder_tests::build::{ladder_and_libraries, ladder_bin, lib_name, newest_lib};
use predicates::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Paths of the artifacts the tests use.
struct Built {
    ladder: PathBuf,
    strategy: PathBuf,
    old_abi: PathBuf,
}

/// Builds the `ladder` binary and the fixture libraries once per test binary.
fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = ladder_and_libraries(
            env!("CARGO_TARGET_TMPDIR"),
            &["ladder-fixture-strategy", "ladder-fixture-old-abi"],
        );
        let built = Built {
            ladder: ladder_bin(&out),
            strategy: newest_lib(&out, "ladder_fixture_strategy"),
            old_abi: newest_lib(&out, "ladder_fixture_old_abi"),
        };
        for p in [&built.ladder, &built.strategy, &built.old_abi] {
            assert!(p.exists(), "{} was not built", p.display());
        }
        built
    })
}

fn ladder() -> Command {
    Command::new(&built().ladder)
}

// ---- ladder plugins check -------------------------------------------------------------------

#[test]
fn check_accepts_fixture_strategy_and_prints_manifest() {
    let out = ladder()
        .args(["plugins", "check"])
        .arg(&built().strategy)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for want in [
        "name:         ladder-fixture-strategy".to_owned(),
        "version:      0.1.0".to_owned(),
        format!("sdk:          {}", ladder_sdk::SDK_VERSION),
        format!("rustc:        {}", ladder_sdk::abi::RUSTC_VERSION),
        format!("abi:          1.{}", ladder_sdk::abi::ABI_MINOR),
        format!("layout hash:  {LAYOUT_HASH:#018x}"),
        "panic:        unwind".to_owned(),
        "ok: ladder-fixture-strategy 0.1.0 can be loaded".to_owned(),
    ] {
        assert!(stdout.contains(&want), "missing `{want}` in:\n{stdout}");
    }
}

#[test]
fn check_rejects_old_abi_listing_every_reason_in_one_message() {
    let out = ladder()
        .args(["plugins", "check"])
        .arg(&built().old_abi)
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "one error message:\n{stderr}");
    let msg = lines[0];
    for want in [
        "(old-abi-strategy 0.0.1) cannot be loaded: ".to_owned(),
        format!(
            "built with sdk 0.0.1, engine has {}",
            ladder_sdk::SDK_VERSION
        ),
        "rustc 1.80.0 vs ".to_owned(),
        "abi major 0 vs 1".to_owned(),
        format!("layout hash 0x0123456789abcdef vs {LAYOUT_HASH:#018x}"),
        "built with panic = \"abort\", strategies need panic = \"unwind\"".to_owned(),
    ] {
        assert!(msg.contains(&want), "missing `{want}` in:\n{msg}");
    }
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        stdout.contains("abi:          0.9"),
        "manifest still printed:\n{stdout}"
    );
}

#[test]
fn load_old_abi_returns_every_mismatch() {
    let err = plugin::load(&built().old_abi).expect_err("old ABI must not load");
    let PluginError::Incompatible { mismatches, .. } = &err else {
        panic!("expected Incompatible, got {err:?}");
    };
    let kinds: Vec<&str> = mismatches
        .0
        .iter()
        .map(|m| match m {
            Mismatch::SdkVersion { .. } => "sdk",
            Mismatch::Rustc { .. } => "rustc",
            Mismatch::AbiMajor {
                plugin: 0,
                engine: 1,
            } => "abi",
            Mismatch::LayoutHash {
                plugin: 0x0123_4567_89ab_cdef,
                ..
            } => "layout",
            Mismatch::PanicStrategy => "panic",
            other => panic!("unexpected mismatch {other:?}"),
        })
        .collect();
    assert_eq!(kinds, ["sdk", "rustc", "abi", "layout", "panic"]);
}

/// `cc` is on the machine, or the test is skipped (never under `CI=true`).
fn have_cc() -> bool {
    let ok = std::process::Command::new("cc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "cc is required under CI=true"
        );
        eprintln!("skipping: no `cc` to build the plain C shared library fixture");
    }
    ok
}

#[test]
fn check_rejects_plain_c_library_without_entry_symbol() {
    if !have_cc() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("plain.c");
    std::fs::write(&src, "int plain_answer(void) { return 42; }\n").expect("write C source");
    let lib = dir.path().join(lib_name("plain"));
    let status = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(&src)
        .status()
        .expect("run cc");
    assert!(status.success(), "cc -shared failed");
    ladder()
        .args(["plugins", "check"])
        .arg(&lib)
        .assert()
        .failure()
        .stderr(predicate::str::contains(format!(
            "{} is a shared library but not a ladder strategy (no `ladder_strategy_v1` symbol)",
            lib.display()
        )));
}

#[test]
fn check_rejects_file_that_is_not_a_shared_library() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = dir.path().join(lib_name("fake"));
    std::fs::write(&fake, "this is text, not ELF\n").expect("write");
    ladder()
        .args(["plugins", "check"])
        .arg(&fake)
        .assert()
        .failure()
        .stderr(predicate::str::contains(format!(
            "{} is not a shared library: ",
            fake.display()
        )))
        .stdout(predicate::str::is_empty());
}

#[test]
fn check_relative_path_without_slash_opens_the_file_not_the_search_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("notes.txt"), "plain text\n").expect("write");
    ladder()
        .current_dir(dir.path())
        .args(["plugins", "check", "notes.txt"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "notes.txt is not a shared library: ",
        ))
        .stderr(predicate::str::contains("No such file").not());
}

#[test]
fn check_finds_the_entry_of_a_renamed_library() {
    let dir = tempfile::tempdir().expect("tempdir");
    let renamed = dir.path().join(lib_name("renamed_copy"));
    std::fs::copy(&built().strategy, &renamed).expect("copy");
    ladder()
        .args(["plugins", "check"])
        .arg(&renamed)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "name:         ladder-fixture-strategy",
        ));
}

#[test]
fn check_missing_file_names_it() {
    ladder()
        .args(["plugins", "check", "/nonexistent/libnothing.so"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "cannot read strategy library /nonexistent/libnothing.so",
        ));
}

// ---- truncated, shadowed and replaced library files -----------------------------------------

/// A two-line capture for `ladder replay` (BTCUSDT book tickers).
const CAPTURE: &str = "\
1723161254087891268 {\"stream\":\"btcusdt@bookTicker\",\"data\":{\"u\":1,\"s\":\"BTCUSDT\",\"b\":\"61837.63\",\"B\":\"3.7\",\"a\":\"61837.64\",\"A\":\"1.5\"}}
1723161254187891268 {\"stream\":\"btcusdt@bookTicker\",\"data\":{\"u\":2,\"s\":\"BTCUSDT\",\"b\":\"61837.62\",\"B\":\"3.7\",\"a\":\"61837.64\",\"A\":\"1.5\"}}
";

fn write_capture(dir: &Path) -> PathBuf {
    let capture = dir.join("capture.txt");
    std::fs::write(&capture, CAPTURE).expect("write capture");
    capture
}

/// `ladder replay <capture> --venue binance-spot --report <dir>/report` plus `args`, in `cwd`.
fn replay_in(cwd: &Path, capture: &Path, args: &[&std::ffi::OsStr]) -> assert_cmd::assert::Assert {
    ladder()
        .current_dir(cwd)
        .arg("replay")
        .arg(capture)
        .args(["--venue", "binance-spot", "--report"])
        .arg(cwd.join("report"))
        .args(args)
        .assert()
}

fn sha256_of(path: &Path) -> String {
    ladder_engine::report::sha256_hex(&std::fs::read(path).expect("read library"))
}

/// The only `error:` line of a failed command's stderr; it must not have died of a signal.
fn one_error_line(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "exit code 1, no signal:\n{stderr}"
    );
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "one error line:\n{stderr}");
    errors[0].to_owned()
}

#[rstest::rstest]
#[case::cut_at_64_kib(65_536, "segment 1 (LOAD) needs ")]
#[case::cut_inside_the_elf_header(40, "ends inside the 64-byte ELF64 header")]
#[case::cut_inside_the_program_headers(100, "the program header table (")]
fn truncated_library_is_refused_before_it_is_mapped(#[case] cut: usize, #[case] want: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = std::fs::read(&built().strategy).expect("read fixture");
    assert!(bytes.len() > cut, "the fixture is larger than the cut");
    let t = dir.path().join("t.so");
    std::fs::write(&t, &bytes[..cut]).expect("write truncated copy");
    let message = format!("{} is not a valid shared library: ", t.display());
    let check = ladder()
        .args(["plugins", "check"])
        .arg(&t)
        .output()
        .expect("run check");
    let line = one_error_line(&check);
    assert!(line.contains(&message) && line.contains(want), "{line}");
    let capture = write_capture(dir.path());
    let replay = replay_in(
        dir.path(),
        &capture,
        &["--strategy".as_ref(), t.as_os_str()],
    );
    let line = one_error_line(replay.get_output());
    assert!(line.contains(&message) && line.contains(want), "{line}");
}

#[test]
fn config_library_resolves_against_the_config_folder_not_the_working_directory() {
    let cwd = tempfile::tempdir().expect("cwd");
    let cfg_dir = tempfile::tempdir().expect("config dir");
    let lib = cfg_dir.path().join("libstrategy.so");
    std::fs::copy(&built().strategy, &lib).expect("copy fixture");
    // A file of the same name in the working directory: loading it would fail.
    std::fs::write(cwd.path().join("libstrategy.so"), "not this one\n").expect("decoy");
    let config = cfg_dir.path().join("ladder.toml");
    std::fs::write(&config, "[[strategy]]\nlibrary = \"libstrategy.so\"\n").expect("config");
    let capture = write_capture(cwd.path());
    replay_in(
        cwd.path(),
        &capture,
        &["--config".as_ref(), config.as_os_str()],
    )
    .success();
    let summary: serde_json::Value = serde_json::from_slice(
        &std::fs::read(cwd.path().join("report/summary.json")).expect("summary.json"),
    )
    .expect("json");
    let s = &summary["strategies"][0];
    let resolved = lib.canonicalize().expect("canonical");
    assert_eq!(s["library_path"], resolved.display().to_string(), "{s}");
    assert_eq!(s["library_sha256"], sha256_of(&lib), "{s}");
}

#[test]
fn replay_reports_the_path_given_the_file_opened_and_the_sha256_of_its_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let link = dir.path().join("link.so");
    std::os::unix::fs::symlink(&built().strategy, &link).expect("symlink");
    let capture = write_capture(dir.path());
    let out = replay_in(
        dir.path(),
        &capture,
        &["--strategy".as_ref(), "link.so".as_ref()],
    )
    .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let real = built().strategy.canonicalize().expect("canonical");
    let sha = sha256_of(&real);
    assert!(
        stdout.contains(&format!("library {} sha256 {sha}", real.display())),
        "{stdout}"
    );
    let summary: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("report/summary.json")).expect("summary.json"),
    )
    .expect("json");
    let s = &summary["strategies"][0];
    assert_eq!(s["library"], "link.so", "{s}");
    assert_eq!(s["library_path"], real.display().to_string(), "{s}");
    assert_eq!(s["library_sha256"], sha, "{s}");
}

#[test]
fn check_prints_the_file_opened_and_its_sha256() {
    let real = built().strategy.canonicalize().expect("canonical");
    ladder()
        .args(["plugins", "check"])
        .arg(&built().strategy)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "file:         {}",
            real.display()
        )))
        .stdout(predicate::str::contains(format!(
            "sha256:       {}",
            sha256_of(&real)
        )));
}

#[test]
fn loaded_library_keeps_running_after_its_file_is_truncated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join(lib_name("ladder_fixture_strategy"));
    std::fs::copy(&built().strategy, &copy).expect("copy fixture");
    let want = sha256_of(&copy);
    let lib = plugin::load(&copy).expect("loads");
    assert_eq!(lib.origin().sha256, want);
    assert_eq!(
        lib.origin().resolved,
        copy.canonicalize().expect("canonical")
    );
    // Truncate the file the library came from: had it been mapped from there, the next call
    // into it would die of SIGBUS.
    std::fs::File::create(&copy).expect("truncate");
    let mut inst = StrategyInstance::from_plugin(lib, "", &host()).expect("creates");
    let (bids, asks) = ([lv(1000, 5)], [lv(1001, 5)]);
    let view = BookView::new(BTC, &bids, &asks);
    assert_eq!(
        inst.on_book(UnixNanos::from_nanos(1), &view),
        CallOutcome::Ok
    );
    assert_eq!(
        inst.library().map(|o| o.sha256.as_str()),
        Some(want.as_str())
    );
}

#[test]
fn same_bytes_are_loaded_once_and_each_load_names_its_own_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("copy.so");
    std::fs::copy(&built().strategy, &copy).expect("copy fixture");
    let a = plugin::load(&built().strategy).expect("fixture loads");
    let b = plugin::load(&copy).expect("copy loads");
    assert_eq!(a.origin().sha256, b.origin().sha256);
    assert_eq!(b.origin().given, copy);
    assert_ne!(a.origin().resolved, b.origin().resolved);
    assert_eq!(
        a.vtable().create as usize,
        b.vtable().create as usize,
        "one library in memory for the same bytes"
    );
}

// ---- instances: fault handling and plugin vs static -----------------------------------------

/// A second exported strategy in this binary, beside the statically linked fixture: the entry
/// symbols are per crate, so this links (a fixed `#[no_mangle]` name would be a duplicate
/// symbol in debug builds), and the macro compiles under the workspace's strict lints.
struct LocalStrategy;

impl ladder_sdk::Strategy for LocalStrategy {
    fn new(
        _: &str,
        _: &mut ladder_sdk::InitContext<'_>,
    ) -> Result<Self, ladder_sdk::StrategyError> {
        Ok(Self)
    }

    fn on_book(&mut self, _: &mut ladder_sdk::Context<'_>, _: &BookView<'_>) {}
}

ladder_sdk::export_strategy!(LocalStrategy);

#[test]
fn two_exported_strategies_link_statically_into_one_binary() {
    let a = StrategyInstance::new_static::<LocalStrategy>("local", "", &host()).expect("local");
    let b = static_instance("");
    assert_eq!(
        (a.kind(), b.kind()),
        (InstanceKind::Static, InstanceKind::Static)
    );
}

const BTC: InstrumentId = InstrumentId::new(0);

fn host() -> HostConfig {
    HostConfig {
        instruments: vec!["test:BTC".into()],
        ..HostConfig::default()
    }
}

fn lv(px: i64, qty: i64) -> Level {
    Level::new(Price::from_ticks(px), Quantity::from_lots(qty))
}

fn plugin_instance(config: &str) -> StrategyInstance {
    let lib = plugin::load(&built().strategy).expect("fixture loads");
    StrategyInstance::from_plugin(lib, config, &host()).expect("fixture creates")
}

fn static_instance(config: &str) -> StrategyInstance {
    StrategyInstance::new_static::<FixtureStrategy>("ladder-fixture-strategy", config, &host())
        .expect("fixture creates")
}

#[test]
fn panicking_plugin_is_disabled_after_its_nth_event_and_host_goes_on() {
    let mut faulty = plugin_instance("panic_on_book=3");
    let mut healthy = plugin_instance("");
    assert_eq!(faulty.kind(), InstanceKind::Dynamic);
    let (bids, asks) = ([lv(100, 5)], [lv(101, 5)]);
    let book = BookView::new(BTC, &bids, &asks);
    let mut outcomes = Vec::new();
    for i in 1..=5u64 {
        let now = UnixNanos::from_nanos(i);
        outcomes.push(faulty.on_book(now, &book));
        assert_eq!(
            healthy.on_book(now, &book),
            CallOutcome::Ok,
            "the other instance goes on"
        );
        assert_eq!(
            healthy.output().signals.len(),
            2,
            "healthy output at event {i}"
        );
        if i >= 3 {
            assert!(
                faulty.output().signals.is_empty(),
                "no output from a faulted instance"
            );
        }
    }
    use CallOutcome::{Disabled, Faulted, Ok};
    assert_eq!(outcomes, [Ok, Ok, Faulted, Disabled, Disabled]);
    assert!(faulty.is_disabled() && !healthy.is_disabled());
    let reason = faulty.disabled_reason().expect("a reason");
    assert!(
        reason.contains("fixture panics on book update 3"),
        "{reason}"
    );
    assert!(
        reason.contains("src/lib.rs:"),
        "location recorded by the quiet hook: {reason}"
    );
    assert_eq!(
        faulty.on_trade(UnixNanos::from_nanos(9), &trade(1, Side::Buy, 1)),
        Disabled
    );
}

#[test]
fn panicking_static_strategy_is_disabled_the_same_way() {
    let mut s = static_instance("panic_on_book=2");
    let (bids, asks) = ([lv(100, 5)], [lv(101, 5)]);
    let book = BookView::new(BTC, &bids, &asks);
    let got: Vec<_> = (1..=3)
        .map(|i| s.on_book(UnixNanos::from_nanos(i), &book))
        .collect();
    assert_eq!(
        got,
        [CallOutcome::Ok, CallOutcome::Faulted, CallOutcome::Disabled]
    );
    assert!(
        s.disabled_reason()
            .is_some_and(|r| r.contains("fixture panics on book update 2"))
    );
}

#[test]
fn plugin_config_errors_are_reported_with_the_strategy_name() {
    let lib = plugin::load(&built().strategy).expect("fixture loads");
    let err = StrategyInstance::from_plugin(lib, "fail=1", &host()).expect_err("refused");
    assert!(matches!(err, PluginError::Config { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "strategy `ladder-fixture-strategy` rejected its config: config `fail` asks the fixture to refuse"
    );
    let err = StrategyInstance::from_plugin(lib, "colour=blue", &host()).expect_err("refused");
    assert!(
        err.to_string().contains("unknown config key `colour`"),
        "{err}"
    );
}

#[test]
fn plugin_registers_its_signals_through_the_host() {
    let p = plugin_instance("");
    assert_eq!(
        p.signal_names(),
        [
            "imbalance",
            "weighted_mid",
            "trade_flow",
            "position",
            "timer_ticks"
        ]
    );
}

fn trade(id: u64, side: Side, qty: i64) -> TradeEvent {
    TradeEvent {
        instrument: BTC,
        aggressor: side,
        _reserved: [0; 3],
        price: Price::from_ticks(100),
        qty: Quantity::from_lots(qty),
        trade_id: id,
        ts_exchange: UnixNanos::from_nanos(id),
        ts_recv: UnixNanos::from_nanos(id + 1),
    }
}

/// One scripted input.
enum Ev {
    Start,
    Book {
        bid: (i64, i64),
        ask: (i64, i64),
        state: BookState,
    },
    Trade(TradeEvent),
    Update(OrderUpdate),
    Fill(Fill),
    Status(StatusEvent),
    Timer,
    Stop,
}

fn script() -> Vec<Ev> {
    let mut v = vec![Ev::Start];
    // Imbalances swinging both ways, some books stale.
    for i in 0..40i64 {
        let bid_qty = 1 + (i * 7) % 13;
        let ask_qty = 1 + (i * 5) % 11;
        let state = if i % 17 == 16 {
            BookState::Stale
        } else {
            BookState::Synced
        };
        v.push(Ev::Book {
            bid: (1000 + i % 3, bid_qty),
            ask: (1001 + i % 3, ask_qty),
            state,
        });
        if i % 4 == 0 {
            v.push(Ev::Trade(trade(
                i as u64,
                if i % 8 == 0 { Side::Buy } else { Side::Sell },
                i + 1,
            )));
        }
        if i % 10 == 5 {
            v.push(Ev::Timer);
        }
    }
    v.push(Ev::Update(OrderUpdate {
        id: ClientOrderId::new(1),
        instrument: BTC,
        status: OrderStatus::Rejected,
        side: Side::Buy,
        reject_code: RejectReason::PostOnlyWouldCross as u8,
        _reserved: 0,
        price: Price::from_ticks(1000),
        qty: Quantity::from_lots(1),
        leaves_qty: Quantity::ZERO,
        ts: UnixNanos::from_nanos(99),
    }));
    v.push(Ev::Fill(Fill {
        id: ClientOrderId::new(2),
        instrument: BTC,
        side: Side::Buy,
        liquidity: Liquidity::Maker,
        _reserved: [0; 2],
        price: Price::from_ticks(1000),
        qty: Quantity::from_lots(1),
        leaves_qty: Quantity::ZERO,
        position: 1,
        fill_id: 7,
        ts: UnixNanos::from_nanos(100),
    }));
    v.push(Ev::Status(StatusEvent {
        instrument: BTC,
        state: BookState::Stale,
        reason_code: 1,
        _reserved: [0; 2],
        ts_recv: UnixNanos::from_nanos(101),
    }));
    v.push(Ev::Stop);
    v
}

/// Everything one call produced.
#[derive(Debug, PartialEq)]
struct Step {
    outcome: CallOutcome,
    signals: Vec<SignalValue>,
    orders: Vec<OrderRequest>,
    timer: Option<UnixNanos>,
}

/// Drives `inst` through the script with a toy exchange that rests every new order and applies
/// fills to the position, so the strategy's reads (positions, open orders) evolve too.
fn run(inst: &mut StrategyInstance) -> Vec<Step> {
    let mut open: Vec<OpenOrder> = Vec::new();
    let mut steps = Vec::new();
    for (i, ev) in script().iter().enumerate() {
        let now = UnixNanos::from_nanos(1_000 + i as u64);
        let outcome = match ev {
            Ev::Start => inst.on_start(now),
            Ev::Book { bid, ask, state } => {
                let (bids, asks) = ([lv(bid.0, bid.1)], [lv(ask.0, ask.1)]);
                let view = BookView::new(BTC, &bids, &asks)
                    .with_times(i as u64, now, now)
                    .with_state(*state);
                inst.on_book(now, &view)
            }
            Ev::Trade(t) => inst.on_trade(now, t),
            Ev::Update(u) => inst.on_order_update(now, u),
            Ev::Fill(f) => {
                inst.set_position(f.instrument, f.position);
                inst.on_fill(now, f)
            }
            Ev::Status(s) => inst.on_status(now, s),
            Ev::Timer => inst.on_timer(now),
            Ev::Stop => inst.on_stop(now),
        };
        let out = inst.output();
        steps.push(Step {
            outcome,
            signals: out.signals.to_vec(),
            orders: out.orders.to_vec(),
            timer: inst.pending_timer(),
        });
        for o in out.orders {
            match o.kind {
                RequestKind::New if o.time_in_force != TimeInForce::Ioc => open.push(OpenOrder {
                    id: o.id,
                    instrument: o.instrument,
                    side: o.side,
                    order_type: o.order_type,
                    time_in_force: o.time_in_force,
                    _reserved: 0,
                    price: o.price,
                    qty: o.qty,
                    leaves_qty: o.qty,
                }),
                RequestKind::New => {}
                RequestKind::Cancel => open.retain(|x| x.id != o.id),
                RequestKind::CancelAll => open.retain(|x| x.instrument != o.instrument),
            }
        }
        inst.set_open_orders(&open);
    }
    steps
}

#[test]
fn same_strategy_through_vtable_and_static_link_gives_identical_outputs() {
    let mut dynamic = plugin_instance("threshold=0.25");
    let mut fixed = static_instance("threshold=0.25");
    assert_eq!(
        (dynamic.kind(), fixed.kind()),
        (InstanceKind::Dynamic, InstanceKind::Static)
    );
    let (a, b) = (run(&mut dynamic), run(&mut fixed));
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x, y, "step {i} differs between plugin and static");
    }
    // The comparison must cover real output, not empty calls.
    let orders: Vec<&OrderRequest> = a.iter().flat_map(|s| &s.orders).collect();
    let kinds = |k| orders.iter().filter(|o| o.kind == k).count();
    assert!(kinds(RequestKind::New) >= 3, "{orders:?}");
    assert!(
        kinds(RequestKind::Cancel) + kinds(RequestKind::CancelAll) >= 2,
        "{orders:?}"
    );
    assert!(
        orders
            .iter()
            .any(|o| o.order_type == OrderType::Limit && o.time_in_force == TimeInForce::Gtc)
    );
    let signal_ids: std::collections::BTreeSet<usize> = a
        .iter()
        .flat_map(|s| s.signals.iter().map(|v| v.id.index()))
        .collect();
    assert_eq!(signal_ids.len(), 5, "every signal emitted at least once");
    assert!(a.iter().all(|s| s.outcome == CallOutcome::Ok));
    assert_eq!(
        a.last().and_then(|s| s.timer),
        None,
        "on_stop cancelled the timer"
    );
}
