//! The Bybit fuzz targets: the engine's Bybit decoder and sequencer with a book per instrument,
//! every invariant checked after every line, on scenarios cut from the shared Bybit recordings.
//!
//! Invariants, per instrument the line touched (besides the book structure and the synced-book
//! checks every venue shares, [`check_book`] and [`check_synced_book`]):
//! - **one book**: while `Synced`, the book built from what the sequencer told its sink equals
//!   the sequencer's own, and no side is deeper than the subscribed depth;
//! - **resync**: a `Stale` book has asked for a snapshot; a `Syncing` one has too, unless the
//!   venue said there is no book; a `Synced` one has not and knows its update id;
//! - **counters**: never decrease; `depth_updates + snapshots` equal the messages sequenced,
//!   `applied` and `gaps` the deltas and faults the sink was told, and `applied + discarded +
//!   faults` never exceed the deltas plus snapshots.
//!
//! Scenarios: the real start of each recording, and every `stride` applied messages of an
//! instrument a snapshot of its real book at that point (as the venue sends one, at the same
//! `u`), followed by the next `window` real lines.

use super::corpus::{CorpusOptions, Lines, Target, infer_registry, read_capture};
use super::mutate::Dictionary;
use super::pipeline::{Counts, Fed, Violation, check_book, check_synced_book};
use ladder_engine::book::{BookConfig, L2Book};
use ladder_engine::capture::parse_line;
use ladder_engine::feed::Venue;
use ladder_engine::feed::bybit::{BookHeader, Decoded, Decoder, Outcome, Sequencer, SyncSink};
use ladder_engine::feed::integrity::Fault;
use ladder_engine::instrument::Registry;
use ladder_sdk::{BookState, InstrumentId, Level, Side};

fn violation(invariant: &'static str, detail: String) -> Result<(), Violation> {
    Err(Violation { invariant, detail })
}

/// The harness's own account of what an instrument's sequencer was told and did.
#[derive(Debug, Default)]
struct Expect {
    calls: u64,
    deltas: u64,
    faults: u64,
    last: (u64, u64, u64, u64, u64),
}

struct Inst {
    seq: Sequencer,
    book: L2Book,
    depth: Option<u32>,
    expect: Expect,
}

/// Applies the sequencer's decisions to a book, counting them.
struct Sink<'a> {
    book: &'a mut L2Book,
    expect: &'a mut Expect,
}

impl Sink<'_> {
    fn apply(&mut self, bids: &[Level], asks: &[Level]) {
        for l in bids {
            self.book.apply(Side::Buy, l.price, l.qty);
        }
        for l in asks {
            self.book.apply(Side::Sell, l.price, l.qty);
        }
    }
}

impl SyncSink for Sink<'_> {
    fn snapshot(&mut self, _: &BookHeader, bids: &[Level], asks: &[Level]) {
        self.book.clear();
        self.apply(bids, asks);
    }
    fn delta(&mut self, _: &BookHeader, bids: &[Level], asks: &[Level]) {
        self.expect.deltas += 1;
        self.apply(bids, asks);
    }
    fn unavailable(&mut self, _: &BookHeader) {
        self.book.clear();
    }
    fn fault(&mut self, _: InstrumentId, _: Fault) {
        self.expect.faults += 1;
    }
}

/// Decoder, one sequencer and one book per instrument of a Bybit venue.
pub struct BybitPipeline {
    decoder: Decoder,
    insts: Vec<Inst>,
}

impl BybitPipeline {
    /// A pipeline for every instrument of `registry` (all of `venue`).
    pub fn new(registry: &Registry, venue: Venue) -> Self {
        let config = BookConfig {
            far_capacity: 1024,
            ..BookConfig::default()
        };
        Self {
            decoder: Decoder::new(venue),
            insts: registry
                .iter()
                .map(|i| Inst {
                    seq: Sequencer::new(i.id),
                    book: L2Book::new(config),
                    depth: None,
                    expect: Expect::default(),
                })
                .collect(),
        }
    }

    /// Back to the start: new sequencers, empty books (their memory is kept).
    pub fn reset(&mut self) {
        for inst in &mut self.insts {
            inst.seq = Sequencer::new(inst.seq.instrument());
            inst.book.clear();
            inst.depth = None;
            inst.expect = Expect::default();
        }
    }

    /// The sequencer of `id`.
    pub fn sequencer(&self, id: InstrumentId) -> &Sequencer {
        &self.insts[id.index()].seq
    }

    /// Feeds one capture line and checks the invariants of the instrument it touched.
    pub fn feed(
        &mut self,
        registry: &Registry,
        line: &[u8],
        counts: &mut Counts,
    ) -> Result<Fed, Violation> {
        counts.lines += 1;
        let Ok((ts, frame)) = parse_line(line) else {
            counts.line_errors += 1;
            return Ok(Fed::Other);
        };
        let Ok(decoded) = self.decoder.decode(frame, ts, registry) else {
            counts.decode_errors += 1;
            return Ok(Fed::Other);
        };
        let (h, grid) = match decoded {
            Decoded::Book(h) => (h, None),
            Decoded::GridChanged {
                header,
                price,
                value,
            } => (header, Some((price, value))),
            Decoded::Trades { .. } | Decoded::Control | Decoded::Ignored => {
                counts.other += 1;
                return Ok(Fed::Other);
            }
        };
        let inst = &mut self.insts[h.instrument.index()];
        // One depth per instrument, as `feed::bybit::Books` keeps it.
        match inst.depth {
            Some(d) if d != h.depth => {
                counts.decode_errors += 1;
                return Ok(Fed::Other);
            }
            _ => inst.depth = Some(h.depth),
        }
        inst.expect.calls += 1;
        let mut sink = Sink {
            book: &mut inst.book,
            expect: &mut inst.expect,
        };
        let outcome = match grid {
            Some((price, value)) => {
                Outcome::Fault(inst.seq.on_grid_changed(&h, price, value, &mut sink))
            }
            None => inst
                .seq
                .on_message(&h, self.decoder.bids(), self.decoder.asks(), &mut sink),
        };
        match outcome {
            Outcome::Applied => counts.applied += 1,
            Outcome::Fault(_) => counts.gaps += 1,
            Outcome::Snapshot | Outcome::Resent => counts.snapshots += 1,
            Outcome::Unavailable | Outcome::Discarded => {}
        }
        counts.depth += u64::from(!h.replaces());
        check(inst, counts)?;
        Ok(Fed::Other)
    }
}

fn check(inst: &mut Inst, counts: &mut Counts) -> Result<(), Violation> {
    let s = *inst.seq.stats();
    let e = &mut inst.expect;
    let now = (s.depth_updates, s.snapshots, s.applied, s.gaps, s.discarded);
    let l = e.last;
    if now.0 < l.0 || now.1 < l.1 || now.2 < l.2 || now.3 < l.3 || now.4 < l.4 {
        return violation("counters", format!("went down: {l:?} -> {now:?}"));
    }
    e.last = now;
    if (s.depth_updates + s.snapshots, s.applied, s.gaps) != (e.calls, e.deltas, e.faults) {
        return violation(
            "counters",
            format!(
                "{s:?} but (calls, deltas, faults) = {:?}",
                (e.calls, e.deltas, e.faults)
            ),
        );
    }
    if s.applied + s.discarded + s.gaps > s.depth_updates + s.snapshots {
        return violation("counters", format!("more outcomes than messages: {s:?}"));
    }
    let (state, needs) = (inst.seq.state(), inst.seq.needs_snapshot());
    match state {
        BookState::Stale if !needs => {
            return violation(
                "stale_without_resync",
                "stale, needs_snapshot() false".into(),
            );
        }
        BookState::Syncing if !needs && !inst.seq.is_unavailable() => {
            return violation("syncing_without_resync", "syncing with a book".into());
        }
        BookState::Synced => {
            if needs || inst.seq.last_update_id().is_none() {
                return violation(
                    "synced_state",
                    format!(
                        "needs_snapshot() {needs}, last_update_id() {:?}",
                        inst.seq.last_update_id()
                    ),
                );
            }
            let own = inst.seq.book();
            for side in [Side::Buy, Side::Sell] {
                if !own.levels(side).eq(inst.book.levels(side)) {
                    return violation("one_book", format!("{side:?}: sink book differs"));
                }
                let depth = inst.depth.unwrap_or(0) as usize;
                if own.len(side) > depth {
                    return violation("depth", format!("{side:?}: {} > {depth}", own.len(side)));
                }
            }
        }
        _ => {}
    }
    check_book(&mut inst.book)?;
    if state == BookState::Synced {
        counts.synced_checks += 1;
        check_synced_book(&inst.book)?;
    }
    Ok(())
}

/// The book of `id` as the venue's snapshot message at update id `u`, as a capture line with
/// the receive time of `after`.
fn render_snapshot(
    registry: &Registry,
    pipeline: &BybitPipeline,
    id: InstrumentId,
    u: u64,
    after: &[u8],
) -> Vec<u8> {
    let inst = registry.get(id);
    let i = &pipeline.insts[id.index()];
    let side = |s: Side| {
        i.book
            .levels(s)
            .map(|l| {
                format!(
                    "[\"{}\",\"{}\"]",
                    inst.spec.format_price(l.price),
                    inst.spec.format_qty(l.qty)
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let ts = parse_line(after).map_or(0, |(ts, _)| ts.as_nanos());
    format!(
        "{ts} {{\"topic\":\"orderbook.{}.{sym}\",\"type\":\"snapshot\",\"ts\":{ms},\"data\":{{\"s\":\"{sym}\",\"b\":[{}],\"a\":[{}],\"u\":{u},\"seq\":1}},\"cts\":{ms}}}",
        i.depth.unwrap_or(1),
        side(Side::Buy),
        side(Side::Sell),
        sym = inst.symbol,
        ms = ts / 1_000_000,
    )
    .into_bytes()
}

fn cut_scenarios(
    registry: &Registry,
    venue: Venue,
    lines: &Lines,
    options: CorpusOptions,
    out: &mut Vec<Lines>,
) {
    let mut pipeline = BybitPipeline::new(registry, venue);
    let mut counts = Counts::default();
    let mut applied = vec![0u64; registry.len()];
    let mut first_snapshot = None;
    let mut decoder = Decoder::new(venue);
    for (i, line) in lines.iter().enumerate() {
        let before = counts;
        if pipeline.feed(registry, line, &mut counts).is_err() {
            continue;
        }
        if counts.applied == before.applied && counts.snapshots == before.snapshots {
            continue;
        }
        first_snapshot.get_or_insert(i);
        let Ok((ts, frame)) = parse_line(line) else {
            continue;
        };
        let Ok(Decoded::Book(h)) = decoder.decode(frame, ts, registry) else {
            continue;
        };
        let n = &mut applied[h.instrument.index()];
        *n += 1;
        if !(*n).is_multiple_of(options.stride.max(1)) {
            continue;
        }
        let Some(u) = pipeline.sequencer(h.instrument).last_update_id() else {
            continue;
        };
        let next = &lines[i + 1..(i + 1 + options.window).min(lines.len())];
        let mut scenario = vec![render_snapshot(registry, &pipeline, h.instrument, u, line)];
        scenario.extend_from_slice(next);
        out.push(scenario);
    }
    if let Some(s) = first_snapshot {
        out.push(lines[..(s + 1 + options.window).min(lines.len())].to_vec());
    }
}

/// The XRPUSDT history file (bare JSON lines) as capture lines with synthetic stamps.
fn read_history(path: &std::path::Path) -> Result<Lines, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            format!(
                "{} {l}",
                1_733_011_200_000_000_000u64 + i as u64 * 1_000_000
            )
            .into_bytes()
        })
        .collect())
}

/// Builds the standard Bybit target `name` (`bybit-spot`, `bybit-linear`) from the shared
/// vectors (`None` when they are missing outside CI: see [`crate::shared`]).
///
/// # Errors
/// An unknown name, or a source that cannot be read.
pub fn standard_target(name: &str, options: CorpusOptions) -> Result<Option<Target>, String> {
    let dir = "vectors/bybit/";
    let (venue, sources) = match name {
        "bybit-spot" => {
            let (Some(ob200), Some(ob1)) = (
                crate::shared(&format!(
                    "{dir}capture_bybit-v5-spot_cryptofeed_20260809.txt.gz"
                )),
                crate::shared(&format!(
                    "{dir}capture_bybit-v5-spot-ob1_cryptofeed_20250613.txt"
                )),
            ) else {
                return Ok(None);
            };
            (
                Venue::BybitSpot,
                vec![read_capture(&ob200)?, read_capture(&ob1)?],
            )
        }
        "bybit-linear" => {
            let (Some(ob1), Some(ob500)) = (
                crate::shared(&format!(
                    "{dir}capture_bybit-v5-linear-ob1_cryptofeed_20250613.txt"
                )),
                crate::shared(&format!("{dir}nautilus_2024-12-01_XRPUSDT_ob500.data")),
            ) else {
                return Ok(None);
            };
            (
                Venue::BybitLinear,
                vec![read_capture(&ob1)?, read_history(&ob500)?],
            )
        }
        other => return Err(format!("unknown bybit fuzz target `{other}`")),
    };
    let registry = infer_registry(venue, &sources)?;
    let mut scenarios = Vec::new();
    for lines in &sources {
        cut_scenarios(&registry, venue, lines, options, &mut scenarios);
    }
    if scenarios.is_empty() {
        return Err(format!("{name}: no scenario could be cut from the sources"));
    }
    let mut dictionary = Dictionary::default();
    for line in scenarios.iter().flatten() {
        dictionary.learn(line, 4096);
    }
    Ok(Some(Target {
        name: name.to_owned(),
        venue,
        registry,
        scenarios,
        dictionary,
    }))
}
