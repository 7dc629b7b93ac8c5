//! The OKX fuzz target: mutated real OKX frames through the engine's OKX books (decoder,
//! sequencer with its checksum and wire text, `L2Book`), every invariant checked after every
//! line. Same machinery as the Binance targets ([`super::mutate`], [`super::rng`], findings
//! grouped by invariant, panics caught), with OKX's own corpus and checks.
//!
//! **Corpus** (`../shared/vectors/okx/`): the 2022 cryptofeed `books` recording (three
//! instruments, real checksums, no `seqId`) as recorded, and the same recording with a
//! `prevSeqId`/`seqId` chain written into its book messages (steps that are not contiguous).
//! Scenarios are cut every `stride` applied updates of an instrument: a snapshot of the real
//! book at that point, in the original wire text with its checksum, either in the stream
//! (`action: snapshot`) or, on the chained copy, as a REST order-book body after the next
//! updates (the REST join), followed by the next `window` real lines; plus each source's own
//! start and the 2026 `books5`/`trades` frames. Besides the shared mutations, one exec in
//! four moves a `seqId` or `prevSeqId`.
//!
//! **Invariants**, per instrument, after every line:
//! - **book**: bids strictly descending, asks strictly ascending, no zero quantity, the top-N
//!   view equal to the first N levels (the shared [`super::pipeline`] checks);
//! - **synced book**: no non-positive price, neither crossed nor locked;
//! - **events**: while `Synced`, the book built from the emitted events alone
//!   (`L2Book::apply_event`) equals the sequencer's own book;
//! - **wire text**: the sequencer keeps exactly one wire text per level of its book;
//! - **resync**: `Stale` or `Syncing` asks for a snapshot; `Synced` does not;
//! - **counters**: never decrease; `gaps` equals the faults by kind and the faults returned.

use super::corpus::{CorpusOptions, Lines, infer_registry};
use super::mutate::{Dictionary, Mutation};
use super::pipeline::{Violation, check_book, check_synced_book};
use super::rng::Rng;
use super::{Budget, Stats};
use ladder_engine::book::{BookConfig, L2Book};
use ladder_engine::capture::parse_line;
use ladder_engine::feed::Venue;
use ladder_engine::feed::books::{FeedBooks, SyncStats};
use ladder_engine::feed::okx::Books;
use ladder_engine::instrument::Registry;
use ladder_sdk::{BookState, InstrumentId, MarketEvent, Side};
use std::path::Path;

/// The target's name.
pub const NAME: &str = "okx";

/// The OKX target: instruments, scenarios, values for splicing.
#[derive(Debug, Clone)]
pub struct OkxTarget {
    /// The instruments, grids inferred from the sources.
    pub registry: Registry,
    /// The scenarios.
    pub scenarios: Vec<Lines>,
    /// Values seen in the scenarios.
    pub dictionary: Dictionary,
}

/// What one instrument was told, as the harness keeps it.
#[derive(Debug, Clone, Default)]
struct Seen {
    last: SyncStats,
    faults: u64,
}

/// The OKX books of a registry, a book per instrument rebuilt from the emitted events, and
/// the harness's account.
pub struct OkxPipeline {
    books: Books,
    shadows: Vec<L2Book>,
    seen: Vec<Seen>,
    /// Lines fed, frames decoded, frames rejected, faults, snapshots, applied, synced checks.
    pub counts: OkxCounts,
}

/// What the pipeline saw, summed over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OkxCounts {
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
    /// Snapshots and full images taken.
    pub snapshots: u64,
    /// Book updates taken.
    pub updates: u64,
    /// Invariant checks made on a `Synced` book.
    pub synced_checks: u64,
}

impl OkxPipeline {
    /// Books for every instrument of `registry`.
    pub fn new(registry: &Registry) -> Self {
        let config = BookConfig {
            far_capacity: 1024,
            ..BookConfig::default()
        };
        Self {
            books: Books::new(registry),
            shadows: registry.iter().map(|_| L2Book::new(config)).collect(),
            seen: vec![Seen::default(); registry.len()],
            counts: OkxCounts::default(),
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
                use ladder_engine::feed::books::FrameKind;
                match f.kind {
                    FrameKind::Snapshot => self.counts.snapshots += 1,
                    FrameKind::Depth => self.counts.updates += 1,
                    _ => {}
                }
                if let (Some(fault), Some(id)) = (f.fault, f.instrument) {
                    self.counts.faults += 1;
                    self.counts.checksum_faults += u64::from(matches!(
                        fault.kind,
                        ladder_engine::feed::integrity::IntegrityFault::ChecksumMismatch { .. }
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
            && s.dropped_stale >= l.dropped_stale
            && s.gaps >= l.gaps
            && s.snapshots >= l.snapshots
            && s.checksums >= l.checksums;
        if !monotone {
            return fail("counters", format!("went down: {l:?} -> {s:?}"));
        }
        seen.last = s;
        // A fault found while replaying the buffer after a snapshot is returned with the
        // snapshot, so every fault counted was returned once.
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
        let Some(seq) = self.books.sequencer(id) else {
            return Ok(());
        };
        for side in [Side::Buy, Side::Sell] {
            let (texts, levels) = (seq.texts().len(side), seq.book().len(side));
            if texts != levels {
                return fail(
                    "wire_text",
                    format!("{side:?}: {texts} wire texts for {levels} levels"),
                );
            }
        }
        let mut book = seq.book().clone();
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

/// The 2022 recording's received lines as capture lines.
fn read_cryptofeed_okx(path: &Path) -> Result<Lines, String> {
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

/// The same lines with a `prevSeqId`/`seqId` chain per instrument written into each book
/// message (a snapshot `-1 -> s`, then steps of 1 to 97).
fn with_seq_ids(lines: &Lines) -> Lines {
    let mut chains: Vec<(Vec<u8>, u64)> = Vec::new();
    let mut step = 0u64;
    lines
        .iter()
        .map(|l| {
            let text = String::from_utf8_lossy(l);
            let Some(at) = text.find(r#""checksum":"#) else {
                return l.clone();
            };
            let Some(inst) = text
                .split_once(r#""channel":"books","instId":""#)
                .and_then(|(_, r)| r.split_once('"'))
                .map(|(i, _)| i.as_bytes().to_vec())
            else {
                return l.clone();
            };
            step = step * 37 % 97 + 1;
            let ids = if text.contains(r#""action":"snapshot""#) {
                // Each instrument's ids in a range of its own.
                let base = 1_000_000 * (1 + chains.len() as u64);
                chains.retain(|(i, _)| *i != inst);
                chains.push((inst, base));
                format!(r#""prevSeqId":-1,"seqId":{base},"#)
            } else {
                let Some(c) = chains.iter_mut().find(|(i, _)| *i == inst) else {
                    return l.clone();
                };
                let prev = c.1;
                c.1 += step;
                format!(r#""prevSeqId":{prev},"seqId":{},"#, c.1)
            };
            format!("{}{ids}{}", &text[..at], &text[at..]).into_bytes()
        })
        .collect()
}

/// The book of `id` in its wire text: a stream snapshot (`rest: false`) or a REST body.
fn render(books: &Books, registry: &Registry, id: InstrumentId, rest: bool, ts: u64) -> Vec<u8> {
    let Some(seq) = books.sequencer(id) else {
        return Vec::new();
    };
    let side = |s: Side| {
        seq.book()
            .levels(s)
            .filter_map(|l| {
                let (p, q) = seq.texts().text(s, l.price.ticks())?;
                Some(format!(
                    r#"["{}","{}","0","1"]"#,
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(q)
                ))
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let (bids, asks) = (side(Side::Buy), side(Side::Sell));
    let seq_id = seq.last_update_id();
    let frame = if rest {
        // OKX's body names no instrument (the books find its owner); a recorder may add it.
        let inst = if ts.is_multiple_of(2) {
            format!(r#""instId":"{}","#, registry.get(id).symbol)
        } else {
            String::new()
        };
        format!(
            r#"{{"code":"0","msg":"","data":[{{{inst}"asks":[{asks}],"bids":[{bids}],"ts":"1","seqId":{}}}]}}"#,
            seq_id.unwrap_or(0)
        )
    } else {
        let ids = seq_id.map_or_else(String::new, |s| format!(r#","prevSeqId":-1,"seqId":{s}"#));
        format!(
            r#"{{"arg":{{"channel":"books","instId":"{}"}},"action":"snapshot","data":[{{"asks":[{asks}],"bids":[{bids}],"ts":"1","checksum":{}{ids}}}]}}"#,
            registry.get(id).symbol,
            seq.texts().checksum(seq.book())
        )
    };
    format!("{ts} {frame}").into_bytes()
}

/// Scenarios of one source: its start, and a snapshot every `stride` applied updates of an
/// instrument followed by the next `window` lines (a REST body after two of them, when
/// `rest`).
fn cut(registry: &Registry, lines: &Lines, rest: bool, o: CorpusOptions, out: &mut Vec<Lines>) {
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
        if f.kind == ladder_engine::feed::books::FrameKind::Snapshot {
            start_end = Some(i);
            continue;
        }
        if f.kind != ladder_engine::feed::books::FrameKind::Depth || f.fault.is_some() {
            continue;
        }
        let n = &mut applied[id.index()];
        *n += 1;
        if !(*n).is_multiple_of(o.stride.max(1)) {
            continue;
        }
        let next = &lines[i + 1..(i + 1 + o.window).min(lines.len())];
        let snapshot = render(&books, registry, id, rest, ts.as_nanos());
        let mut scenario = next.to_vec();
        scenario.insert(if rest { 2.min(scenario.len()) } else { 0 }, snapshot);
        out.push(scenario);
    }
    if let Some(s) = start_end {
        out.push(lines[..(s + 1 + o.window).min(lines.len())].to_vec());
    }
}

/// Builds the OKX target from the shared vectors (`None` when they are missing outside CI).
///
/// # Errors
/// A source that cannot be read, or one that yields no scenario.
pub fn okx_target(options: CorpusOptions) -> Result<Option<OkxTarget>, String> {
    let ws = crate::shared("vectors/okx/cryptofeed_OKX.ws.1.0");
    let ccxt = crate::shared("vectors/okx/capture_ccxt_books5_trades_20260812.txt");
    let (Some(ws), Some(ccxt)) = (ws, ccxt) else {
        return Ok(None);
    };
    let recorded = read_cryptofeed_okx(&ws)?;
    let chained = with_seq_ids(&recorded);
    let books5 = super::corpus::read_capture(&ccxt)?;
    let registry = infer_registry(Venue::Okx, &[recorded.clone(), books5.clone()])?;
    let mut scenarios = Vec::new();
    cut(&registry, &recorded, false, options, &mut scenarios);
    cut(&registry, &chained, false, options, &mut scenarios);
    cut(&registry, &chained, true, options, &mut scenarios);
    scenarios.push(books5);
    if scenarios.len() < 4 {
        return Err("okx: too few scenarios could be cut from the vectors".into());
    }
    let mut dictionary = Dictionary::default();
    for line in scenarios.iter().flatten() {
        dictionary.learn(line, 4096);
    }
    Ok(Some(OkxTarget {
        registry,
        scenarios,
        dictionary,
    }))
}

/// Moves the `seqId` or `prevSeqId` of one line (or of every line from one on) by a little,
/// a lot, or to `0` / `-1`.
fn seq_jump(rng: &mut Rng, lines: &mut [Vec<u8>]) {
    if lines.is_empty() {
        return;
    }
    let key: &[u8] = if rng.chance(1, 2) {
        b"\"seqId\":"
    } else {
        b"\"prevSeqId\":"
    };
    let from = rng.below(lines.len());
    let through = if rng.chance(1, 2) {
        lines.len()
    } else {
        from + 1
    };
    let delta: i64 = match rng.below(4) {
        0 => 1,
        1 => -1,
        2 => 1 << 40,
        _ => -(1 << 20),
    };
    for line in &mut lines[from..through] {
        let Some(at) = line.windows(key.len()).position(|w| w == key) else {
            continue;
        };
        let start = at + key.len();
        let end = start
            + line[start..]
                .iter()
                .position(|b| !(b.is_ascii_digit() || *b == b'-'))
                .unwrap_or(line.len() - start);
        let Some(v) = std::str::from_utf8(&line[start..end])
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
        else {
            continue;
        };
        let new = v.saturating_add(delta).to_string();
        line.splice(start..end, new.into_bytes());
    }
}

/// The input of exec `exec` of a run seeded with `seed`, and the mutations applied.
pub fn input(target: &OkxTarget, seed: u64, exec: u64) -> (Lines, Vec<Mutation>) {
    let mut rng = Rng::for_exec(seed, exec);
    let mut lines = rng.pick(&target.scenarios).clone();
    let applied = super::mutate_some(&mut rng, &mut lines, &target.dictionary);
    if !applied.is_empty() && rng.chance(1, 4) {
        seq_jump(&mut rng, &mut lines);
    }
    (lines, applied)
}

/// Feeds `lines` through a fresh pipeline; the first broken invariant, or the panic.
pub fn check(
    target: &OkxTarget,
    pipeline: &mut OkxPipeline,
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
            *pipeline = OkxPipeline::new(&target.registry);
            pipeline.counts = counts;
        },
    )
}

/// Runs the target from exec 0 of `seed` until `budget` is spent; the pipeline's counts
/// are returned beside the stats.
pub fn run(target: &OkxTarget, seed: u64, budget: Budget) -> (Stats, OkxCounts) {
    let mut pipeline = OkxPipeline::new(&target.registry);
    let stats = super::drive(seed, budget, |exec| {
        let (lines, applied) = input(target, seed, exec);
        let result = check(target, &mut pipeline, &lines);
        (lines, applied, result)
    });
    (stats, pipeline.counts)
}
