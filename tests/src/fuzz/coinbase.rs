//! The Coinbase fuzz target: mutated real Coinbase frames (Advanced Trade and the legacy
//! Exchange feed) through the engine's Coinbase books (decoder, the connection's
//! `sequence_num`, sequencer, `L2Book`), every invariant checked after every line. Same
//! machinery as the other targets ([`super::mutate`], [`super::rng`], findings grouped by
//! invariant, panics caught), with Coinbase's own corpus and checks.
//!
//! **Corpus** (`../shared/vectors/coinbase/`): the Advanced Trade recording of 2026-08-09 and
//! the legacy Exchange recording of 2021. Scenarios are cut every `stride` applied updates of
//! an instrument: a snapshot of the real book at that point (its top `levels` per side, in the
//! venue's format; an Advanced Trade one takes the `sequence_num` of the line it stands for),
//! followed by the next `window` real lines; plus the legacy recording's own start (its real
//! snapshots). The real 5 MB BTC-USD snapshot is not replayed per exec (a debug build would
//! spend the run on it); `engine`'s vector tests cover it. Besides the shared mutations, one
//! exec in four moves a `sequence_num`.
//!
//! **Invariants**, per instrument, after every line:
//! - **book**: bids strictly descending, asks strictly ascending, no zero quantity, the top-N
//!   view equal to the first N levels (the shared [`super::pipeline`] checks);
//! - **synced book**: no non-positive price, neither crossed nor locked;
//! - **events**: while `Synced`, the book built from the emitted events alone equals the
//!   sequencer's own book;
//! - **resync**: `Stale` or `Syncing` asks for a snapshot; `Synced` does not;
//! - **connection**: after a frame that broke the `sequence_num` count, no book of the
//!   connection is `Synced` but the one the frame itself held a snapshot of;
//! - **counters**: never decrease; `gaps` equals the faults by kind and the faults returned
//!   (a connection-wide fault counts once for every instrument).

use super::corpus::{CorpusOptions, Lines, infer_registry};
use super::mutate::{Dictionary, Mutation};
use super::pipeline::{Violation, check_book, check_synced_book};
use super::rng::Rng;
use super::{Budget, Stats};
use ladder_engine::book::{BookConfig, L2Book};
use ladder_engine::capture::parse_line;
use ladder_engine::feed::Venue;
use ladder_engine::feed::books::{FeedBooks, FrameKind, SyncStats};
use ladder_engine::feed::coinbase::Books;
use ladder_engine::instrument::Registry;
use ladder_sdk::{BookState, InstrumentId, MarketEvent, Side};

/// The target's name.
pub const NAME: &str = "coinbase";

/// One scenario: the venue whose books read it, and its lines.
pub type Scenario = (Venue, Lines);

/// The Coinbase target: instruments of both feeds, scenarios, values for splicing.
#[derive(Debug, Clone)]
pub struct CoinbaseTarget {
    /// The instruments, grids inferred from the sources.
    pub registry: Registry,
    /// The scenarios.
    pub scenarios: Vec<Scenario>,
    /// Values seen in the scenarios.
    pub dictionary: Dictionary,
}

#[derive(Debug, Clone, Default)]
struct Seen {
    last: SyncStats,
    faults: u64,
}

/// The books of both Coinbase feeds, a book per instrument rebuilt from the emitted events,
/// and the harness's account.
pub struct CoinbasePipeline {
    advanced: Books,
    exchange: Books,
    shadows: Vec<L2Book>,
    seen: Vec<Seen>,
    /// What the pipeline saw, summed over a run.
    pub counts: CoinbaseCounts,
}

/// What the pipeline saw, summed over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CoinbaseCounts {
    /// Lines fed.
    pub lines: u64,
    /// Lines that are not `<ts> <frame>`.
    pub line_errors: u64,
    /// Frames the books refused.
    pub decode_errors: u64,
    /// Integrity faults returned for one instrument (crossed books).
    pub faults: u64,
    /// Connection-wide faults returned (`sequence_num` breaks).
    pub connection_faults: u64,
    /// Snapshots taken.
    pub snapshots: u64,
    /// Book updates taken.
    pub updates: u64,
    /// Invariant checks made on a `Synced` book.
    pub synced_checks: u64,
}

impl CoinbasePipeline {
    /// Books for every Coinbase instrument of `registry`.
    pub fn new(registry: &Registry) -> Self {
        let config = BookConfig {
            far_capacity: 1024,
            ..BookConfig::default()
        };
        Self {
            advanced: Books::new(Venue::Coinbase, registry),
            exchange: Books::new(Venue::CoinbaseExchange, registry),
            shadows: registry.iter().map(|_| L2Book::new(config)).collect(),
            seen: vec![Seen::default(); registry.len()],
            counts: CoinbaseCounts::default(),
        }
    }

    /// Back to the start (the counts are kept).
    pub fn reset(&mut self, registry: &Registry) {
        self.advanced = Books::new(Venue::Coinbase, registry);
        self.exchange = Books::new(Venue::CoinbaseExchange, registry);
        for s in &mut self.shadows {
            s.clear();
        }
        for s in &mut self.seen {
            *s = Seen::default();
        }
    }

    /// Feeds one capture line of `venue` and checks every instrument.
    pub fn feed(
        &mut self,
        registry: &Registry,
        venue: Venue,
        line: &[u8],
    ) -> Result<(), Violation> {
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
        let books = if venue == Venue::CoinbaseExchange {
            &mut self.exchange
        } else {
            &mut self.advanced
        };
        let mut connection_fault = None;
        match books.on_frame(registry, ts, frame, &mut apply) {
            Err(_) => self.counts.decode_errors += 1,
            Ok(f) => {
                match f.kind {
                    FrameKind::Snapshot => self.counts.snapshots += 1,
                    FrameKind::Depth => self.counts.updates += 1,
                    _ => {}
                }
                match (f.fault, f.instrument) {
                    (Some(_), Some(id)) => {
                        self.counts.faults += 1;
                        if let Some(s) = self.seen.get_mut(id.index()) {
                            s.faults += 1;
                        }
                    }
                    (Some(_), None) => {
                        self.counts.connection_faults += 1;
                        for &id in books.instruments() {
                            self.seen[id.index()].faults += 1;
                        }
                        connection_fault = Some(f.kind == FrameKind::Snapshot);
                    }
                    (None, _) => {}
                }
            }
        }
        if let Some(snapshot) = connection_fault {
            let books = self.books(venue);
            let synced = books
                .instruments()
                .iter()
                .filter(|&&i| books.view(i).is_some_and(|v| v.state == BookState::Synced))
                .count();
            if synced > usize::from(snapshot) {
                return fail(
                    "connection_fault",
                    format!("{synced} books synced after a sequence_num break"),
                );
            }
        }
        for inst in registry.iter() {
            self.check(inst.venue, inst.id)?;
        }
        Ok(())
    }

    fn books(&self, venue: Venue) -> &Books {
        if venue == Venue::CoinbaseExchange {
            &self.exchange
        } else {
            &self.advanced
        }
    }

    fn check(&mut self, venue: Venue, id: InstrumentId) -> Result<(), Violation> {
        let books = if venue == Venue::CoinbaseExchange {
            &self.exchange
        } else {
            &self.advanced
        };
        let Some(view) = books.view(id) else {
            return Ok(());
        };
        let seen = &mut self.seen[id.index()];
        let (s, l) = (view.stats, seen.last);
        let monotone = s.depth_updates >= l.depth_updates
            && s.applied >= l.applied
            && s.discarded >= l.discarded
            && s.gaps >= l.gaps
            && s.snapshots >= l.snapshots;
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
        let needs = books.needs_snapshot(id);
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
fn read_cryptofeed(path: &std::path::Path) -> Result<Lines, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let (ts, frame) = l.split_once(": ")?;
            let (secs, frac) = ts.split_once('.')?;
            if !secs.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
                return None;
            }
            let frac: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
            let ns = secs.parse::<u64>().ok()? * 1_000_000_000 + frac.parse::<u64>().ok()?;
            Some(format!("{ns} {frame}").into_bytes())
        })
        .collect())
}

/// The `sequence_num` of a line, if it has one.
fn sequence_num(line: &[u8]) -> Option<u64> {
    const KEY: &[u8] = b"\"sequence_num\":";
    let at = line.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let digits: Vec<u8> = line[at..]
        .iter()
        .copied()
        .take_while(u8::is_ascii_digit)
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// The top `levels` per side of `id`'s book as a snapshot frame of `venue`'s format.
fn render(
    books: &Books,
    registry: &Registry,
    venue: Venue,
    id: InstrumentId,
    o: CorpusOptions,
    seq: Option<u64>,
    ts: u64,
) -> Vec<u8> {
    let Some(view) = books.view(id) else {
        return Vec::new();
    };
    let inst = registry.get(id);
    let level =
        |l: ladder_sdk::Level| (inst.spec.format_price(l.price), inst.spec.format_qty(l.qty));
    let side = |s: Side| {
        view.book
            .levels(s)
            .take(o.levels)
            .map(level)
            .collect::<Vec<_>>()
    };
    let (bids, asks) = (side(Side::Buy), side(Side::Sell));
    let frame = if venue == Venue::CoinbaseExchange {
        let list = |v: &[(String, String)]| {
            v.iter()
                .map(|(p, q)| format!(r#"["{p}","{q}"]"#))
                .collect::<Vec<_>>()
                .join(",")
        };
        format!(
            r#"{{"type":"snapshot","product_id":"{}","bids":[{}],"asks":[{}]}}"#,
            inst.symbol,
            list(&bids),
            list(&asks)
        )
    } else {
        let updates: Vec<String> = bids
            .iter()
            .map(|l| ("bid", l))
            .chain(asks.iter().map(|l| ("offer", l)))
            .map(|(s, (p, q))| {
                format!(
                    r#"{{"side":"{s}","event_time":"2026-08-09T21:05:48.170326Z","price_level":"{p}","new_quantity":"{q}"}}"#
                )
            })
            .collect();
        format!(
            r#"{{"channel":"l2_data","timestamp":"2026-08-09T21:05:48.483587501Z","sequence_num":{},"events":[{{"type":"snapshot","product_id":"{}","updates":[{}]}}]}}"#,
            seq.unwrap_or(0),
            inst.symbol,
            updates.join(",")
        )
    };
    format!("{ts} {frame}").into_bytes()
}

/// Scenarios of one source: a snapshot every `stride` applied updates of an instrument
/// followed by the next `window` lines.
fn cut(
    registry: &Registry,
    venue: Venue,
    lines: &Lines,
    o: CorpusOptions,
    out: &mut Vec<Scenario>,
) {
    let mut books = Books::new(venue, registry);
    let mut applied = vec![0u64; registry.len()];
    let mut sink = |_: MarketEvent| {};
    for (i, line) in lines.iter().enumerate() {
        let Ok((ts, frame)) = parse_line(line) else {
            continue;
        };
        let Ok(f) = books.on_frame(registry, ts, frame, &mut sink) else {
            continue;
        };
        let Some(id) = f.instrument else { continue };
        if f.kind != FrameKind::Depth || f.fault.is_some() {
            continue;
        }
        let n = &mut applied[id.index()];
        *n += 1;
        if !(*n).is_multiple_of(o.stride.max(1)) {
            continue;
        }
        let snapshot = render(
            &books,
            registry,
            venue,
            id,
            o,
            sequence_num(line),
            ts.as_nanos(),
        );
        let mut scenario = vec![snapshot];
        scenario.extend_from_slice(&lines[i + 1..(i + 1 + o.window).min(lines.len())]);
        out.push((venue, scenario));
    }
}

/// Builds the Coinbase target from the shared vectors (`None` when they are missing outside
/// CI).
///
/// # Errors
/// A source that cannot be read, or one that yields no scenario.
pub fn coinbase_target(options: CorpusOptions) -> Result<Option<CoinbaseTarget>, String> {
    let advanced =
        crate::shared("vectors/coinbase/capture_coinbase-advanced_cryptofeed_20260809.txt.gz");
    let legacy = crate::shared("vectors/coinbase/cryptofeed_COINBASE.ws.28.0_BANDGBP_YFIBTC.txt");
    let (Some(advanced), Some(legacy)) = (advanced, legacy) else {
        return Ok(None);
    };
    let advanced = super::corpus::read_capture(&advanced)?;
    let legacy = read_cryptofeed(&legacy)?;
    let mut registry = infer_registry(Venue::Coinbase, std::slice::from_ref(&advanced))?;
    let exchange = infer_registry(Venue::CoinbaseExchange, std::slice::from_ref(&legacy))?;
    for inst in exchange.iter() {
        registry
            .add(inst.venue, &inst.symbol, inst.spec)
            .map_err(|e| e.to_string())?;
    }
    let mut scenarios = Vec::new();
    cut(
        &registry,
        Venue::Coinbase,
        &advanced,
        options,
        &mut scenarios,
    );
    cut(
        &registry,
        Venue::CoinbaseExchange,
        &legacy,
        options,
        &mut scenarios,
    );
    let start = legacy
        .iter()
        .rposition(|l| l.windows(19).any(|w| w == b"\"type\":\"snapshot\",\""))
        .unwrap_or(0);
    scenarios.push((
        Venue::CoinbaseExchange,
        legacy[..(start + 1 + options.window).min(legacy.len())].to_vec(),
    ));
    if scenarios.len() < 4 {
        return Err("coinbase: too few scenarios could be cut from the vectors".into());
    }
    let mut dictionary = Dictionary::default();
    for line in scenarios.iter().flat_map(|(_, l)| l) {
        dictionary.learn(line, 4096);
    }
    Ok(Some(CoinbaseTarget {
        registry,
        scenarios,
        dictionary,
    }))
}

/// Moves the `sequence_num` of one line (or of every line from one on) by a little, a lot, or
/// back to `0`.
fn seq_jump(rng: &mut Rng, lines: &mut [Vec<u8>]) {
    const KEY: &[u8] = b"\"sequence_num\":";
    if lines.is_empty() {
        return;
    }
    let from = rng.below(lines.len());
    let through = if rng.chance(1, 2) {
        lines.len()
    } else {
        from + 1
    };
    let kind = rng.below(4);
    for line in &mut lines[from..through] {
        let Some(at) = line.windows(KEY.len()).position(|w| w == KEY) else {
            continue;
        };
        let start = at + KEY.len();
        let end = start
            + line[start..]
                .iter()
                .position(|b| !b.is_ascii_digit())
                .unwrap_or(line.len() - start);
        let Some(v) = std::str::from_utf8(&line[start..end])
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
        else {
            continue;
        };
        let new = match kind {
            0 => v + 1,
            1 => v.saturating_sub(1),
            2 => v + (1 << 40),
            _ => 0,
        };
        line.splice(start..end, new.to_string().into_bytes());
    }
}

/// The input of exec `exec` of a run seeded with `seed`: its venue, lines and the mutations
/// applied.
pub fn input(target: &CoinbaseTarget, seed: u64, exec: u64) -> (Venue, Lines, Vec<Mutation>) {
    let mut rng = Rng::for_exec(seed, exec);
    let (venue, lines) = rng.pick(&target.scenarios);
    let mut lines = lines.clone();
    let applied = super::mutate_some(&mut rng, &mut lines, &target.dictionary);
    if !applied.is_empty() && rng.chance(1, 4) {
        seq_jump(&mut rng, &mut lines);
    }
    (*venue, lines, applied)
}

/// Feeds `lines` of `venue` through a fresh pipeline; the first broken invariant, or the
/// panic.
pub fn check(
    target: &CoinbaseTarget,
    pipeline: &mut CoinbasePipeline,
    venue: Venue,
    lines: &[Vec<u8>],
) -> Result<(), Violation> {
    super::guarded(
        pipeline,
        |pipeline| {
            pipeline.reset(&target.registry);
            for line in lines {
                pipeline.feed(&target.registry, venue, line)?;
            }
            Ok(())
        },
        // The pipeline may be half-updated: a new one, keeping the run's counts.
        |pipeline| {
            let counts = pipeline.counts;
            *pipeline = CoinbasePipeline::new(&target.registry);
            pipeline.counts = counts;
        },
    )
}

/// Runs the target from exec 0 of `seed` until `budget` is spent; the pipeline's counts are
/// returned beside the stats.
pub fn run(target: &CoinbaseTarget, seed: u64, budget: Budget) -> (Stats, CoinbaseCounts) {
    let mut pipeline = CoinbasePipeline::new(&target.registry);
    let stats = super::drive(seed, budget, |exec| {
        let (venue, lines, applied) = input(target, seed, exec);
        let result = check(target, &mut pipeline, venue, &lines);
        (lines, applied, result)
    });
    (stats, pipeline.counts)
}
