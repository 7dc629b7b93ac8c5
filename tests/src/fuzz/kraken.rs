//! The Kraken fuzz target: mutated real Kraken frames (v1 and v2) through the engine's Kraken
//! books (decoder, sequencer with its depth truncation and checksum, `L2Book`), every invariant
//! checked after every line. Same machinery as the other targets ([`super::mutate`],
//! [`super::rng`], findings grouped by invariant, panics caught), with Kraken's own corpus and
//! checks.
//!
//! **Corpus** (`../shared/vectors/kraken/`): the 2021 v1 `book-1000` recording (XMR/USD,
//! XBT/CHF, 1135 real checksums) converted to capture lines, and the two 2026 v2 BTC/USD
//! recordings. Scenarios are cut every `stride` applied updates of an instrument: a snapshot
//! of the real book at that point, written as the source writes it (v1 strings with the
//! pair's wire decimals, or v2 numbers) with its checksum, followed by the next `window` real
//! lines; plus each source's own start. Besides the shared mutations, one exec in four changes
//! one digit of one level, which only the checksum can catch.
//!
//! **Invariants**, per instrument, after every line:
//! - **book**: bids strictly descending, asks strictly ascending, no zero quantity, the top-N
//!   view equal to the first N levels (the shared [`super::pipeline`] checks);
//! - **synced book**: no non-positive price, neither crossed nor locked, no side deeper than
//!   the subscribed depth;
//! - **events**: while `Synced`, the book built from the emitted events alone
//!   (`L2Book::apply_event`) equals the sequencer's own book (truncation's removals included);
//! - **resync**: `Stale` or `Syncing` asks for a snapshot; `Synced` does not;
//! - **counters**: never decrease; `gaps` equals the faults by kind and the faults returned.

use super::corpus::{CorpusOptions, Lines, infer_registry, read_capture};
use super::mutate::{Dictionary, Mutation};
use super::pipeline::{Violation, check_book, check_synced_book};
use super::rng::Rng;
use super::{Budget, Stats};
use ladder_engine::book::{BookConfig, L2Book};
use ladder_engine::capture::parse_line;
use ladder_engine::feed::Venue;
use ladder_engine::feed::books::{FeedBooks, FrameKind, SyncStats};
use ladder_engine::feed::integrity::IntegrityFault;
use ladder_engine::feed::kraken::Books;
use ladder_engine::instrument::Registry;
use ladder_sdk::{BookState, InstrumentId, MarketEvent, Side};
use std::path::Path;

/// The target's name.
pub const NAME: &str = "kraken";

/// The Kraken target: instruments, scenarios, values for splicing.
#[derive(Debug, Clone)]
pub struct KrakenTarget {
    /// The instruments, grids inferred from the sources.
    pub registry: Registry,
    /// The scenarios.
    pub scenarios: Vec<Lines>,
    /// Values seen in the scenarios.
    pub dictionary: Dictionary,
}

#[derive(Debug, Clone, Default)]
struct Seen {
    last: SyncStats,
    faults: u64,
}

/// The Kraken books of a registry, a book per instrument rebuilt from the emitted events, and
/// the harness's account.
pub struct KrakenPipeline {
    books: Books,
    shadows: Vec<L2Book>,
    seen: Vec<Seen>,
    /// What the pipeline saw, summed over a run.
    pub counts: KrakenCounts,
}

/// What the pipeline saw, summed over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KrakenCounts {
    /// Lines fed.
    pub lines: u64,
    /// Lines that are not `<ts> <frame>`.
    pub line_errors: u64,
    /// Frames the books refused.
    pub decode_errors: u64,
    /// Integrity faults returned.
    pub faults: u64,
    /// Checksum mismatches among them.
    pub checksum_faults: u64,
    /// Snapshots taken.
    pub snapshots: u64,
    /// Book updates taken.
    pub updates: u64,
    /// Invariant checks made on a `Synced` book.
    pub synced_checks: u64,
}

impl KrakenPipeline {
    /// Books for every instrument of `registry`.
    pub fn new(registry: &Registry) -> Self {
        let config = BookConfig {
            far_capacity: 2048,
            ..BookConfig::default()
        };
        Self {
            books: Books::new(registry),
            shadows: registry.iter().map(|_| L2Book::new(config)).collect(),
            seen: vec![Seen::default(); registry.len()],
            counts: KrakenCounts::default(),
        }
    }

    /// Back to the start (the counts are kept).
    pub fn reset(&mut self, registry: &Registry) {
        self.books = Books::new(registry);
        for s in &mut self.shadows {
            s.clear();
        }
        for s in &mut self.seen {
            *s = Seen::default();
        }
    }

    /// Feeds one capture line and checks every instrument.
    pub fn feed(&mut self, registry: &Registry, line: &[u8]) -> Result<(), Violation> {
        self.counts.lines += 1;
        let Ok((ts, frame)) = parse_line(line) else {
            self.counts.line_errors += 1;
            return Ok(());
        };
        let shadows = &mut self.shadows;
        let mut apply = |e: MarketEvent| {
            let id = match &e {
                MarketEvent::BookDelta(d) => d.instrument,
                MarketEvent::SnapshotBegin(m) | MarketEvent::SnapshotEnd(m) => m.instrument,
                _ => return,
            };
            if let Some(b) = shadows.get_mut(id.index()) {
                b.apply_event(&e);
            }
        };
        match self.books.on_frame(registry, ts, frame, &mut apply) {
            Err(_) => self.counts.decode_errors += 1,
            Ok(f) => {
                match f.kind {
                    FrameKind::Snapshot => self.counts.snapshots += 1,
                    FrameKind::Depth => self.counts.updates += 1,
                    _ => {}
                }
                if let (Some(fault), Some(id)) = (f.fault, f.instrument) {
                    self.counts.faults += 1;
                    self.counts.checksum_faults += u64::from(matches!(
                        fault.kind,
                        IntegrityFault::ChecksumMismatch { .. }
                    ));
                    if let Some(s) = self.seen.get_mut(id.index()) {
                        s.faults += 1;
                    }
                }
            }
        }
        for inst in registry.iter() {
            self.check(inst.id)?;
        }
        Ok(())
    }

    fn check(&mut self, id: InstrumentId) -> Result<(), Violation> {
        let Some(view) = self.books.view(id) else {
            return Ok(());
        };
        let seen = &mut self.seen[id.index()];
        let (s, l) = (view.stats, seen.last);
        let monotone = s.depth_updates >= l.depth_updates
            && s.applied >= l.applied
            && s.discarded >= l.discarded
            && s.gaps >= l.gaps
            && s.snapshots >= l.snapshots
            && s.checksums >= l.checksums;
        if !monotone {
            return fail("counters", format!("went down: {l:?} -> {s:?}"));
        }
        seen.last = s;
        if s.gaps != s.faults.total() || s.gaps != seen.faults {
            return fail(
                "counters",
                format!(
                    "gaps {} vs by kind {:?} vs returned {}",
                    s.gaps, s.faults, seen.faults
                ),
            );
        }
        let needs = self.books.needs_snapshot(id);
        match view.state {
            BookState::Stale | BookState::Syncing if !needs => {
                return fail(
                    "stale_without_resync",
                    format!("state {:?} but needs_snapshot() is false", view.state),
                );
            }
            BookState::Synced if needs => {
                return fail("synced_state", "Synced but needs_snapshot()".into());
            }
            _ => {}
        }
        let mut book = view.book.clone();
        check_book(&mut book)?;
        if view.state == BookState::Synced {
            self.counts.synced_checks += 1;
            check_synced_book(&book)?;
            if let Some(depth) = self.books.depth(id) {
                let deepest = book.len(Side::Buy).max(book.len(Side::Sell));
                if deepest > depth as usize {
                    return fail("depth", format!("{deepest} levels, subscribed {depth}"));
                }
            }
            let shadow = &self.shadows[id.index()];
            for side in [Side::Buy, Side::Sell] {
                if !book.levels(side).eq(shadow.levels(side)) {
                    return fail(
                        "events_vs_book",
                        format!(
                            "{side:?}: events built {} levels, the sequencer holds {}",
                            shadow.len(side),
                            book.len(side)
                        ),
                    );
                }
            }
        }
        Ok(())
    }
}

fn fail(invariant: &'static str, detail: String) -> Result<(), Violation> {
    Err(Violation { invariant, detail })
}

/// A cryptofeed `*.ws.*` recording's received lines as capture lines.
fn read_cryptofeed_ws(path: &Path) -> Result<Lines, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let (ts, frame) = l.split_once(": ")?;
            let (secs, frac) = ts.split_once('.').unwrap_or((ts, ""));
            if !secs.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
                return None;
            }
            let frac: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
            let ns = secs.parse::<u64>().ok()? * 1_000_000_000 + frac.parse::<u64>().ok()?;
            Some(format!("{ns} {frame}").into_bytes())
        })
        .collect())
}

/// The book of `id` as a snapshot frame of the source's format, with its checksum (v2) or
/// without (v1 snapshots carry none).
fn render(books: &Books, registry: &Registry, id: InstrumentId, v1: bool, ts: u64) -> Vec<u8> {
    let Some(seq) = books.sequencer(id) else {
        return Vec::new();
    };
    let inst = registry.get(id);
    let d = seq.render().decimals();
    let (pd, qd) = (usize::from(d.price), usize::from(d.qty));
    let side = |s: Side| {
        seq.book()
            .levels(s)
            .map(|l| {
                let p = format!("{:.pd$}", inst.spec.price_to_decimal(l.price));
                let q = format!("{:.qd$}", inst.spec.qty_to_decimal(l.qty));
                if v1 {
                    format!(r#"["{p}","{q}","1618678133.000000"]"#)
                } else {
                    format!(r#"{{"price":{p},"qty":{q}}}"#)
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let (bids, asks) = (side(Side::Buy), side(Side::Sell));
    let depth = books.depth(id).unwrap_or(1000);
    let frame = if v1 {
        format!(
            r#"[1,{{"as":[{asks}],"bs":[{bids}]}},"book-{depth}","{}"]"#,
            inst.symbol
        )
    } else {
        let crc = ladder_engine::feed::kraken::checksum::checksum(seq.book(), seq.render());
        format!(
            r#"{{"channel":"book","type":"snapshot","data":[{{"symbol":"{}","bids":[{bids}],"asks":[{asks}],"checksum":{crc}}}]}}"#,
            inst.symbol
        )
    };
    format!("{ts} {frame}").into_bytes()
}

/// Scenarios of one source: its start, and a snapshot every `stride` applied updates of an
/// instrument followed by the next `window` lines.
fn cut(registry: &Registry, lines: &Lines, v1: bool, o: CorpusOptions, out: &mut Vec<Lines>) {
    let mut books = Books::new(registry);
    let mut applied = vec![0u64; registry.len()];
    let mut sink = |_: MarketEvent| {};
    let mut start_end = None;
    for (i, line) in lines.iter().enumerate() {
        let Ok((ts, frame)) = parse_line(line) else {
            continue;
        };
        let Ok(f) = books.on_frame(registry, ts, frame, &mut sink) else {
            continue;
        };
        let Some(id) = f.instrument else { continue };
        if f.kind == FrameKind::Snapshot {
            start_end = Some(i);
            continue;
        }
        if f.kind != FrameKind::Depth || f.fault.is_some() {
            continue;
        }
        let n = &mut applied[id.index()];
        *n += 1;
        if !(*n).is_multiple_of(o.stride.max(1)) {
            continue;
        }
        let next = &lines[i + 1..(i + 1 + o.window).min(lines.len())];
        let mut scenario = next.to_vec();
        scenario.insert(0, render(&books, registry, id, v1, ts.as_nanos()));
        if !v1 {
            // v2 messages do not say the depth: the acknowledgement does.
            scenario.insert(0, ack(registry, id, books.depth(id), ts.as_nanos()));
        }
        out.push(scenario);
    }
    if let Some(s) = start_end {
        out.push(lines[..(s + 1 + o.window).min(lines.len())].to_vec());
    }
}

fn ack(registry: &Registry, id: InstrumentId, depth: Option<u32>, ts: u64) -> Vec<u8> {
    format!(
        r#"{ts} {{"method":"subscribe","result":{{"channel":"book","depth":{},"snapshot":true,"symbol":"{}"}},"success":true}}"#,
        depth.unwrap_or(10),
        registry.get(id).symbol
    )
    .into_bytes()
}

/// Builds the Kraken target from the shared vectors (`None` when they are missing outside CI).
///
/// # Errors
/// A source that cannot be read, or one that yields no scenario.
pub fn kraken_target(options: CorpusOptions) -> Result<Option<KrakenTarget>, String> {
    let v1 = crate::shared("vectors/kraken/cryptofeed_KRAKEN.ws.50.0_XMRUSD_XBTCHF.txt");
    let a = crate::shared("vectors/kraken/capture_ccxt_v2_book_BTCUSD_20260812.txt");
    let b = crate::shared("vectors/kraken/capture_ccxt_v2_book_BTCUSD_20261006_resnapshot.txt");
    let (Some(v1), Some(a), Some(b)) = (v1, a, b) else {
        return Ok(None);
    };
    let recorded = read_cryptofeed_ws(&v1)?;
    let (a, b) = (read_capture(&a)?, read_capture(&b)?);
    let registry = infer_registry(Venue::Kraken, &[recorded.clone(), a.clone(), b.clone()])?;
    let mut scenarios = Vec::new();
    cut(&registry, &recorded, true, options, &mut scenarios);
    cut(&registry, &b, false, options, &mut scenarios);
    scenarios.push(a);
    if scenarios.len() < 4 {
        return Err("kraken: too few scenarios could be cut from the vectors".into());
    }
    let mut dictionary = Dictionary::default();
    for line in scenarios.iter().flatten() {
        dictionary.learn(line, 4096);
    }
    Ok(Some(KrakenTarget {
        registry,
        scenarios,
        dictionary,
    }))
}

/// Changes one digit of one price or quantity of one line (only the checksum can tell).
fn digit_flip(rng: &mut Rng, lines: &mut [Vec<u8>]) {
    if lines.is_empty() {
        return;
    }
    let line = &mut lines[rng.below(lines.len())];
    let digits: Vec<usize> = line
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[0] == b'.' && w[1].is_ascii_digit())
        .map(|(i, _)| i + 1)
        .collect();
    if digits.is_empty() {
        return;
    }
    let at = digits[rng.below(digits.len())];
    line[at] = if line[at] == b'9' { b'0' } else { line[at] + 1 };
}

/// The input of exec `exec` of a run seeded with `seed`, and the mutations applied.
pub fn input(target: &KrakenTarget, seed: u64, exec: u64) -> (Lines, Vec<Mutation>) {
    let mut rng = Rng::for_exec(seed, exec);
    let mut lines = rng.pick(&target.scenarios).clone();
    let applied = super::mutate_some(&mut rng, &mut lines, &target.dictionary);
    if !applied.is_empty() && rng.chance(1, 4) {
        digit_flip(&mut rng, &mut lines);
    }
    (lines, applied)
}

/// Feeds `lines` through a fresh pipeline; the first broken invariant, or the panic.
pub fn check(
    target: &KrakenTarget,
    pipeline: &mut KrakenPipeline,
    lines: &[Vec<u8>],
) -> Result<(), Violation> {
    super::guarded(
        pipeline,
        |pipeline| {
            pipeline.reset(&target.registry);
            for line in lines {
                pipeline.feed(&target.registry, line)?;
            }
            Ok(())
        },
        // The pipeline may be half-updated: a new one, keeping the run's counts.
        |pipeline| {
            let counts = pipeline.counts;
            *pipeline = KrakenPipeline::new(&target.registry);
            pipeline.counts = counts;
        },
    )
}

/// Runs the target from exec 0 of `seed` until `budget` is spent; the pipeline's counts
/// are returned beside the stats.
pub fn run(target: &KrakenTarget, seed: u64, budget: Budget) -> (Stats, KrakenCounts) {
    let mut pipeline = KrakenPipeline::new(&target.registry);
    let stats = super::drive(seed, budget, |exec| {
        let (lines, applied) = input(target, seed, exec);
        let result = check(target, &mut pipeline, &lines);
        (lines, applied, result)
    });
    (stats, pipeline.counts)
}
