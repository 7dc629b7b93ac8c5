//! The checks a parsed config passes before anything starts: every value reachable from the
//! file is in range, and every problem is reported at once, each at its key's `file:line:col`
//! (found by walking the same text with `toml_edit`, which keeps spans). Insecure endpoints are
//! warnings, located the same way.

use super::{Config, HotConfig, InstrumentConfig, StrategyConfig, VenueConfig, Venues};
use crate::feed::bybit::live::LIVE_DEPTHS;
use crate::feed::live::{EndpointScheme, check_endpoint};
use crate::feed::{Venue, kraken};
use ladder_sdk::Grid;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use toml_edit::{ImDocument, Item, TableLike, Value};

/// Largest ring between a feed and the hot thread, and between the hot thread and the writer
/// (events or records of about 100 bytes, allocated up front).
pub const MAX_RING_CAPACITY: usize = 1 << 20;
/// Most book levels per side lent to strategies (Binance's deepest snapshot).
pub const MAX_TOP_LEVELS: usize = 5000;
/// Longest watchdog timeout, in seconds.
pub const MAX_WATCHDOG_SECS: u64 = 3600;

/// One step of a key path: a key, or an index into an array of tables or an array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Seg {
    Key(String),
    Index(usize),
}

fn key(k: impl Into<String>) -> Seg {
    Seg::Key(k.into())
}

/// A bad value (or an insecure endpoint) before it is located in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Problem {
    pub(super) path: Vec<Seg>,
    pub(super) message: String,
}

/// A located problem: `file:line:col: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadValue {
    /// The config file.
    pub path: PathBuf,
    /// 1-based line of the key.
    pub line: usize,
    /// 1-based column of the key.
    pub column: usize,
    /// What is wrong, naming the key.
    pub message: String,
}

impl Display for BadValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// Every bad value, one per line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BadValues(pub Vec<BadValue>);

impl Display for BadValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{b}")?;
        }
        Ok(())
    }
}

struct Collect {
    out: Vec<Problem>,
}

impl Collect {
    fn push(&mut self, path: Vec<Seg>, message: impl Into<String>) {
        self.out.push(Problem {
            path,
            message: message.into(),
        });
    }

    /// `section.field` must lie in `lo..=hi`.
    fn range<T: PartialOrd + Display + Copy>(
        &mut self,
        section: &str,
        field: &str,
        value: T,
        (lo, hi): (T, T),
        unit: &str,
    ) {
        if value < lo || value > hi {
            self.push(
                vec![key(section), key(field)],
                format!("{section}.{field} must be within {lo}..={hi}{unit}, got {value}"),
            );
        }
    }
}

/// Every out-of-range value of `config`, in file order of the sections.
pub(super) fn problems(config: &Config) -> Vec<Problem> {
    let mut c = Collect { out: Vec::new() };
    hot(&mut c, &config.hot);
    for e in config.paper.problems() {
        let k = e.config_key().unwrap_or_default();
        c.push(vec![key("paper"), key(k)], e.to_string());
    }
    for e in config.risk.problems() {
        c.push(vec![key("risk"), key(e.config_key())], e.to_string());
    }
    for (i, inst) in config.instruments.iter().enumerate() {
        instrument(&mut c, i, inst, &config.instruments[..i]);
    }
    for (i, s) in config.strategies.iter().enumerate() {
        strategy(&mut c, i, s);
    }
    for (i, v) in config.venues.iter().enumerate() {
        venue(&mut c, &config.venues, i, v);
    }
    if let Some(source) = &config.source {
        for (k, message) in source.problems() {
            c.push(vec![key("source"), key(k)], message);
        }
    }
    if let Some(listen) = &config.metrics.listen
        && let Err(e) = crate::metrics::parse_listen(listen)
    {
        c.push(
            vec![key("metrics"), key("listen")],
            format!("metrics.listen: {e}"),
        );
    }
    c.out
}

fn hot(c: &mut Collect, h: &HotConfig) {
    c.range(
        "hot",
        "ring_capacity",
        h.ring_capacity,
        (2, MAX_RING_CAPACITY),
        " events",
    );
    c.range(
        "hot",
        "output_capacity",
        h.output_capacity,
        (2, MAX_RING_CAPACITY),
        " records",
    );
    c.range("hot", "top_levels", h.top_levels, (1, MAX_TOP_LEVELS), "");
}

fn instrument(c: &mut Collect, i: usize, inst: &InstrumentConfig, before: &[InstrumentConfig]) {
    let at = |k: &str| vec![key("instrument"), Seg::Index(i), key(k)];
    let name = format!("instrument[{i}]");
    if inst.symbol.trim().is_empty() {
        c.push(at("symbol"), format!("{name}.symbol is empty"));
    } else if let Some(j) = before.iter().position(|b| b.symbol == inst.symbol) {
        c.push(
            at("symbol"),
            format!(
                "{name}.symbol {} is already configured by instrument[{j}]",
                inst.symbol
            ),
        );
    }
    for (field, unit) in [("tick_size", inst.tick_size), ("lot_size", inst.lot_size)] {
        if let Err(e) = Grid::new(unit, field) {
            c.push(at(field), format!("{name}.{e}"));
        }
    }
}

fn strategy(c: &mut Collect, i: usize, s: &StrategyConfig) {
    let at = |k: &str| vec![key("strategy"), Seg::Index(i), key(k)];
    if s.library.as_os_str().is_empty() {
        c.push(at("library"), format!("strategy[{i}].library is empty"));
    }
    if s.config.is_some() && s.config_file.is_some() {
        c.push(
            at("config_file"),
            format!("strategy[{i}] gives both config and config_file; give one"),
        );
    }
}

/// The key path of entry `i` of the venues: `venue` (one `[venue]` table) or `venue`, `[i]`.
fn venue_path(venues: &Venues, i: usize, rest: &[Seg]) -> Vec<Seg> {
    let mut path = vec![key("venue")];
    if !venues.is_table() {
        path.push(Seg::Index(i));
    }
    path.extend_from_slice(rest);
    path
}

fn venue(c: &mut Collect, venues: &Venues, i: usize, v: &VenueConfig) {
    let name = venues.label(i);
    let at = |k: &str| venue_path(venues, i, &[key(k)]);
    if let Some(j) = venues.as_slice()[..i].iter().position(|b| b.name == v.name) {
        c.push(
            at("name"),
            format!(
                "{name}.name {} is already configured by {}; give each venue one entry",
                v.name,
                venues.label(j)
            ),
        );
    }
    for (j, s) in v.symbols.iter().enumerate() {
        if s.trim().is_empty() || s.contains(char::is_whitespace) {
            c.push(
                venue_path(venues, i, &[key("symbols"), Seg::Index(j)]),
                format!("{name}.symbols[{j}] {s:?} is not a symbol"),
            );
        }
    }
    if !(1..=MAX_WATCHDOG_SECS).contains(&v.watchdog_secs) {
        c.push(
            at("watchdog_secs"),
            format!(
                "{name}.watchdog_secs must be within 1..={MAX_WATCHDOG_SECS} seconds, got {}",
                v.watchdog_secs
            ),
        );
    }
    let bybit = matches!(
        v.name,
        Venue::BybitSpot | Venue::BybitLinear | Venue::BybitInverse
    );
    if bybit && v.ws_trades.is_some() {
        c.push(
            at("ws_trades"),
            format!(
                "{name}.ws_trades is not used by {}: its trades come on the ws_book connection; \
                 remove it",
                v.name
            ),
        );
    }
    if let Some(depth) = v.book_depth {
        let depths: &[u32] = match v.name {
            _ if bybit => &LIVE_DEPTHS,
            Venue::Kraken => &kraken::decode::DEPTHS,
            _ => &[],
        };
        if depths.is_empty() {
            c.push(
                at("book_depth"),
                format!(
                    "{name}.book_depth is a Bybit and Kraken setting; {} takes no book_depth",
                    v.name
                ),
            );
        } else if !depths.contains(&depth) {
            c.push(
                at("book_depth"),
                format!(
                    "{name}.book_depth {depth} is not a depth {} serves (one of {})",
                    v.name,
                    depths
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
    for (field, url, ws) in endpoints(v) {
        if let Err(e) = check_endpoint(url, ws) {
            c.push(at(field), format!("{name}.{field}: {e}"));
        }
    }
    if let Err(e) = v.options() {
        let field = e.split(':').next().unwrap_or("name");
        let detail = e[field.len()..].trim_start_matches(':').trim_start();
        c.push(at(field), format!("{name}.{field} {detail}"));
    }
}

/// The endpoint overrides of a venue entry: key, URL, and whether it is a WebSocket one.
fn endpoints(v: &VenueConfig) -> Vec<(&'static str, &str, bool)> {
    [
        ("ws_book", v.ws_book.as_deref(), true),
        ("ws_trades", v.ws_trades.as_deref(), true),
        ("rest", v.rest.as_deref(), false),
    ]
    .into_iter()
    .filter_map(|(k, url, ws)| url.map(|u| (k, u, ws)))
    .collect()
}

/// Unencrypted endpoints of each venue entry, in entry order (none for an entry with
/// `allow_insecure = true`).
pub(super) fn insecure(venues: &Venues) -> Vec<Vec<Problem>> {
    venues
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if v.allow_insecure {
                return Vec::new();
            }
            let name = venues.label(i);
            endpoints(v)
                .into_iter()
                .filter(|(_, url, ws)| check_endpoint(url, *ws) == Ok(EndpointScheme::Plain))
                .map(|(field, url, _)| Problem {
                    path: venue_path(venues, i, &[key(field)]),
                    message: format!(
                        "{name}.{field} {url:?} is not encrypted: anyone on the way can read and \
                         alter the market data; use {}, or set allow_insecure = true in {} for \
                         local testing",
                        if field == "rest" {
                            "https://"
                        } else {
                            "wss://"
                        },
                        if venues.is_table() {
                            "[venue]"
                        } else {
                            "that [[venue]] entry"
                        }
                    ),
                })
                .collect()
        })
        .collect()
}

/// Locates each problem in `text` (the file at `path`), in file order.
pub(super) fn locate(text: &str, path: &Path, problems: Vec<Problem>) -> BadValues {
    let doc = ImDocument::parse(text).ok();
    let mut located: Vec<BadValue> = problems
        .into_iter()
        .map(|p| {
            let offset = doc.as_ref().and_then(|d| offset_of(d, &p.path));
            let (line, column) = super::line_col(text, offset.unwrap_or(0));
            BadValue {
                path: path.to_path_buf(),
                line,
                column,
                message: p.message,
            }
        })
        .collect();
    // In file order; problems of one key keep their order.
    located.sort_by_key(|b| (b.line, b.column));
    BadValues(located)
}

/// Byte offset of the deepest part of `path` found in the document: a key, a `[[table]]`
/// header, an array element.
fn offset_of(doc: &ImDocument<&str>, path: &[Seg]) -> Option<usize> {
    let start = |span: Option<std::ops::Range<usize>>| span.map(|s| s.start);
    let mut table: Option<&dyn TableLike> = Some(doc.as_table());
    let mut item: Option<&Item> = None;
    let mut best = None;
    for seg in path {
        match seg {
            Seg::Key(k) => {
                let Some((k, next)) = table
                    .or_else(|| item.and_then(Item::as_table_like))
                    .and_then(|t| t.get_key_value(k))
                else {
                    return best;
                };
                best = start(k.span()).or(best);
                (table, item) = (None, Some(next));
            }
            Seg::Index(i) => match item {
                Some(Item::ArrayOfTables(a)) => {
                    let Some(t) = a.get(*i) else { return best };
                    best = start(t.span()).or(best);
                    (table, item) = (Some(t as &dyn TableLike), None);
                }
                Some(Item::Value(Value::Array(a))) => {
                    return a.get(*i).and_then(|v| start(v.span())).or(best);
                }
                _ => return best,
            },
        }
    }
    best
}

/// The dotted path of the innermost key whose name or value covers byte `offset` of `text`
/// (`paper.max_orders`, `instrument[1].tick_size`): what a parse error at `offset` is about.
pub(super) fn key_at(text: &str, offset: usize) -> Option<String> {
    let doc = ImDocument::parse(text).ok()?;
    let mut best = None;
    in_table(doc.as_table(), "", offset, &mut best);
    best
}

fn covers(span: Option<std::ops::Range<usize>>, offset: usize) -> bool {
    span.is_some_and(|s| s.contains(&offset))
}

fn in_table(table: &dyn TableLike, prefix: &str, offset: usize, best: &mut Option<String>) {
    for (name, _) in table.iter() {
        let Some((k, item)) = table.get_key_value(name) else {
            continue;
        };
        let path = if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}.{name}")
        };
        match item {
            Item::Table(t) => in_table(t, &path, offset, best),
            Item::ArrayOfTables(a) => {
                for (i, t) in a.iter().enumerate() {
                    in_table(t, &format!("{path}[{i}]"), offset, best);
                }
            }
            Item::Value(Value::InlineTable(t)) => {
                if covers(k.span(), offset) || covers(t.span(), offset) {
                    *best = Some(path.clone());
                }
                in_table(t, &path, offset, best);
            }
            Item::Value(v) => {
                if covers(k.span(), offset) || covers(v.span(), offset) {
                    *best = Some(path);
                }
            }
            Item::None => {}
        }
    }
}
