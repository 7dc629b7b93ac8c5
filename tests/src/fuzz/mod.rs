//! A mutation fuzzer for the feed pipeline that runs on the stable toolchain (`cargo fuzz` and
//! libFuzzer need nightly). Deterministic: exec `n` of a run seeded with `s` is always the same
//! input, so a finding is reproduced from its seed and exec number alone.
//!
//! Each exec takes one real scenario of the [`corpus`] (a snapshot and the capture lines after
//! it), applies one to eight [`mutate`] mutations (about one exec in 32 runs unmutated, which
//! proves the corpus itself clean), and feeds every line through the [`pipeline`]: capture
//! line split, the venue's decoder and sequencer (Binance spot or futures rule, or
//! [`bybit`]'s), `L2Book`, checking every invariant after every line. A panic is caught (`catch_unwind`) and reported like a broken
//! invariant, with the input that caused it. Findings are grouped by invariant (or panic
//! location); the first input of each is kept.
//!
//! OKX has its own target ([`okx`]): the same mutations and run loop over OKX's corpus,
//! books and invariants; so has Coinbase ([`coinbase`]: Advanced Trade and the legacy
//! Exchange feed, with the connection-wide `sequence_num`), and so has Kraken ([`kraken`]).
//!
//! Used by the bounded run in `tests/tests/fuzz.rs` (part of `cargo test`) and by the
//! `ladder-fuzz` binary behind `scripts/fuzz.sh`.

pub mod bus;
pub mod bybit;
pub mod coinbase;
pub mod corpus;
pub mod kraken;
pub mod mutate;
pub mod okx;
pub mod pipeline;
pub mod rng;

use corpus::{Lines, Target};
use mutate::{Dictionary, Mutation};
use pipeline::{Counts, Pipeline, Violation};
use rng::Rng;
use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;
use std::time::{Duration, Instant};

/// How long a run goes on: whichever limit comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Execs to run.
    pub execs: u64,
    /// Wall time, if limited.
    pub time: Option<Duration>,
}

impl Budget {
    /// Exactly `execs` execs.
    pub const fn execs(execs: u64) -> Self {
        Self { execs, time: None }
    }
}

/// One distinct problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The invariant broken, or `panic`.
    pub invariant: &'static str,
    /// What broke it (the first occurrence): values, or the panic message and location.
    pub detail: String,
    /// The seed of the run.
    pub seed: u64,
    /// The first exec that found it: `ladder-fuzz --seed SEED --repro EXEC` replays it.
    pub exec: u64,
    /// Execs that found it.
    pub count: u64,
    /// The input of the first exec, as capture lines (`ladder inspect` reads them).
    pub input: Lines,
}

impl Finding {
    /// The key findings are grouped by: the invariant, or for a panic its location.
    fn key(&self) -> (&'static str, &str) {
        let site = if self.invariant == "panic" {
            self.detail.split(": ").next().unwrap_or("")
        } else {
            ""
        };
        (self.invariant, site)
    }
}

/// The finding with its seed, exec and whole input, as a test failure prints it.
impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{}] x{} first at seed {} exec {}: {}\n{}",
            self.invariant,
            self.count,
            self.seed,
            self.exec,
            self.detail,
            lines_text(&self.input, usize::MAX)
        )
    }
}

/// Capture lines as text, one per line, each cut to its first `max_chars` characters.
pub fn lines_text(lines: &Lines, max_chars: usize) -> String {
    lines
        .iter()
        .map(|l| String::from_utf8_lossy(l).chars().take(max_chars).collect())
        .collect::<Vec<String>>()
        .join("\n")
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Execs run.
    pub execs: u64,
    /// Execs run without a mutation.
    pub unmutated: u64,
    /// Mutations applied, per [`Mutation`] kind.
    pub mutations: [u64; Mutation::ALL.len()],
    /// What the pipeline saw.
    pub counts: Counts,
    /// Distinct findings, in order of discovery.
    pub findings: Vec<Finding>,
    /// Wall time.
    pub elapsed: Duration,
}

impl Stats {
    /// Execs per second.
    pub fn execs_per_sec(&self) -> f64 {
        self.execs as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Findings other than those of the invariants named in `allowed`.
    pub fn findings_except<'a>(&'a self, allowed: &'a [&str]) -> impl Iterator<Item = &'a Finding> {
        self.findings
            .iter()
            .filter(move |f| !allowed.contains(&f.invariant))
    }
}

thread_local! {
    /// True while this thread runs an exec under [`check`].
    static CATCHING: Cell<bool> = const { Cell::new(false) };
    /// Message and location of the last panic caught on this thread.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs (once) a panic hook that, while an exec runs under [`check`], keeps the panic's
/// message and location for the report instead of printing them (a long run may catch
/// thousands); any other panic goes to the previous hook as usual.
pub fn quiet_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CATCHING.with(Cell::get) {
                return previous(info);
            }
            let location = info
                .location()
                .map_or_else(String::new, |l| format!("{}:{}", l.file(), l.line()));
            let payload = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{location}: {payload}")));
        }));
    });
}

/// The input of exec `exec` of a run seeded with `seed`, and the mutations applied.
pub fn input(target: &Target, seed: u64, exec: u64) -> (Lines, Vec<Mutation>) {
    let mut rng = Rng::for_exec(seed, exec);
    let mut lines = rng.pick(&target.scenarios).clone();
    let applied = mutate_some(&mut rng, &mut lines, &target.dictionary);
    (lines, applied)
}

/// The mutations of one exec, shared by every target: none one exec in 32 (the corpus as
/// recorded), else one to eight stacked mutations. Returns them in order applied.
pub fn mutate_some(rng: &mut Rng, lines: &mut Lines, dictionary: &Dictionary) -> Vec<Mutation> {
    let mut applied = Vec::new();
    if !rng.chance(1, 32) {
        loop {
            applied.push(mutate::mutate(rng, lines, dictionary));
            if applied.len() == 8 || rng.chance(1, 2) {
                break;
            }
        }
    }
    applied
}

/// Feeds `lines` through a fresh pipeline; the first broken invariant, or the panic (with its
/// location when [`quiet_panics`] is installed).
pub fn check(
    target: &Target,
    pipeline: &mut Pipeline,
    lines: &[Vec<u8>],
    counts: &mut Counts,
) -> Result<(), Violation> {
    guarded(
        pipeline,
        |pipeline| {
            pipeline.reset();
            for line in lines {
                pipeline.feed(&target.registry, line, counts)?;
            }
            Ok(())
        },
        // The pipeline may be half-updated: start the next exec from a new one.
        |pipeline| *pipeline = Pipeline::new(&target.registry, target.venue),
    )
}

/// Runs one exec on `state` with panics caught: `exec`'s own result, or a `panic` violation
/// (with its location when [`quiet_panics`] is installed) after `after_panic` has replaced
/// whatever of `state` the panic may have left half-updated.
pub fn guarded<S>(
    state: &mut S,
    exec: impl FnOnce(&mut S) -> Result<(), Violation>,
    after_panic: impl FnOnce(&mut S),
) -> Result<(), Violation> {
    CATCHING.with(|c| c.set(true));
    let outcome = catch_unwind(AssertUnwindSafe(|| exec(&mut *state)));
    CATCHING.with(|c| c.set(false));
    outcome.unwrap_or_else(|payload| {
        let hooked = LAST_PANIC.with(|p| p.borrow_mut().take());
        let detail = hooked.unwrap_or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".to_owned())
        });
        after_panic(state);
        Err(Violation {
            invariant: "panic",
            detail,
        })
    })
}

/// Runs `target` from exec 0 of `seed` until `budget` is spent.
pub fn run(target: &Target, seed: u64, budget: Budget) -> Stats {
    let mut pipeline = Pipeline::new(&target.registry, target.venue);
    let mut counts = Counts::default();
    let mut stats = drive(seed, budget, |exec| {
        let (lines, applied) = input(target, seed, exec);
        let result = check(target, &mut pipeline, &lines, &mut counts);
        (lines, applied, result)
    });
    stats.counts = counts;
    stats
}

/// The run loop every target shares: from exec 0 of `seed` until `budget` is spent, `exec`
/// builds and checks one input (its lines, the mutations applied, the outcome); mutations are
/// counted and findings grouped.
pub fn drive(
    seed: u64,
    budget: Budget,
    mut exec: impl FnMut(u64) -> (Lines, Vec<Mutation>, Result<(), Violation>),
) -> Stats {
    quiet_panics();
    let mut stats = Stats::default();
    let start = Instant::now();
    for n in 0..budget.execs {
        // Reading the clock every exec would cost more than some execs.
        if n.is_multiple_of(256)
            && let Some(limit) = budget.time
            && start.elapsed() >= limit
        {
            break;
        }
        let (lines, applied, result) = exec(n);
        stats.unmutated += u64::from(applied.is_empty());
        for m in &applied {
            stats.mutations[*m as usize] += 1;
        }
        stats.execs += 1;
        if let Err(v) = result {
            record(&mut stats.findings, v, seed, n, lines);
        }
    }
    stats.elapsed = start.elapsed();
    stats
}

fn record(findings: &mut Vec<Finding>, v: Violation, seed: u64, exec: u64, input: Lines) {
    let finding = Finding {
        invariant: v.invariant,
        detail: v.detail,
        seed,
        exec,
        count: 1,
        input,
    };
    match findings.iter_mut().find(|f| f.key() == finding.key()) {
        Some(f) => f.count += 1,
        None => findings.push(finding),
    }
}
