//! Binance spot and USD-M futures as the simulator serves them (`docs/venues.md` §1, §2).
//!
//! Where the two differ, the feed's own tables decide, so the simulator and the connector cannot
//! drift apart: connection paths from [`Endpoints::production`] (spot: one `/stream`; USD-M:
//! depth and bookTicker on `/public/...`, trades on `/market/...`), REST paths, depth limits and
//! request weights from `feed::binance::endpoints`.
//!
//! | | spot | USD-M |
//! |---|---|---|
//! | diff depth | `@depth` (1000 ms), `@depth@100ms`, `@depth@0ms` | `@depth` (250 ms), `@depth@500ms`, `@depth@100ms`, `@depth@0ms` |
//! | diff fields | `e E s U u b a` | `e E T s U u pu b a` |
//! | partial depth `@depth5|10|20[@..ms]` | `{"lastUpdateId","bids","asks"}` every window | a `depthUpdate` of the top N, in windows with a change |
//! | numbers | 8 decimals | the tick's and the lot's decimals (`"61800.20"`, `"0.006"`) |
//! | update ids | one per level change | three per level change (`U != pu + 1`; continuity is `pu`) |
//! | legacy `/stream`, `/ws` | the endpoint | accepted, never sends data (as since 2026-04-23) |
//! | pings | every 20 s, 1 min to answer | every 3 min, 10 min to answer |
//! | REST weight limit | 6000 / min | 2400 / min |
//!
//! Endpoints other than depth and exchangeInfo (ping, time, bookTicker), which the feed never
//! calls, carry the weights of the venue's docs here.

mod control;
mod rest;
mod wire;

pub(crate) use control::control;
pub(crate) use rest::{banned, too_many_requests};

use super::{
    AggIds, DiffSpan, Fmt, Frame, PartialAt, Sides, SimUrls, SymbolWire, Top, TradePrint,
    VenueDefaults, WsRoute,
};
use crate::feed::Venue;
use crate::feed::binance::endpoints::rest_paths;
use crate::feed::live::Endpoints;
use crate::sim::stream::{StreamKind, Window};
use crate::sim::{SimError, SimSymbol};
use ladder_sdk::InstrumentSpec;
use rust_decimal::Decimal;
use std::time::Duration;

/// At most this many streams per connection (both venues): the feed's cap.
pub(crate) const MAX_STREAMS: usize = crate::feed::binance::live::MAX_STREAMS_PER_CONNECTION;

/// USD-M update ids advance this much per level change, so that `U` skips ids as on the venue.
const FUTURES_ID_STRIDE: u64 = 3;

const SPOT_WINDOWS: [Window; 2] = [Window::Ms100, Window::Ms1000];
const FUTURES_WINDOWS: [Window; 3] = [Window::Ms100, Window::Ms250, Window::Ms500];

/// A preset symbol: its grid as the venue lists it (mantissa, scale) and a start price.
struct Preset {
    name: &'static str,
    tick: (i64, u32),
    lot: (i64, u32),
    price: i64,
}

impl Preset {
    const fn new(name: &'static str, tick: (i64, u32), lot: (i64, u32), price: i64) -> Self {
        Self {
            name,
            tick,
            lot,
            price,
        }
    }

    fn symbol(&self) -> SimSymbol {
        let (base, quote) = self.name.split_at(self.name.len() - 4);
        SimSymbol {
            symbol: self.name.to_owned(),
            base_asset: base.to_owned(),
            quote_asset: quote.to_owned(),
            tick_size: Decimal::new(self.tick.0, self.tick.1),
            lot_size: Decimal::new(self.lot.0, self.lot.1),
            start_price: Decimal::from(self.price),
        }
    }
}

/// Spot grids as on `api.binance.com`.
const SPOT_PRESETS: [Preset; 5] = [
    Preset::new("BTCUSDT", (1, 2), (1, 5), 60_000),
    Preset::new("ETHUSDT", (1, 2), (1, 4), 3_000),
    Preset::new("SOLUSDT", (1, 2), (1, 3), 150),
    Preset::new("BNBUSDT", (1, 2), (1, 3), 550),
    Preset::new("XRPUSDT", (1, 4), (1, 0), 1),
];

/// USD-M grids as on `fapi.binance.com`, written with the venue's price precision (BTCUSDT
/// tick `0.10`).
const FUTURES_PRESETS: [Preset; 2] = [
    Preset::new("BTCUSDT", (10, 2), (1, 3), 60_000),
    Preset::new("ETHUSDT", (1, 2), (1, 3), 3_000),
];

/// Spot BTCUSDT: tick 0.01, lot 0.00001, start 60000.
pub(crate) fn spot_btcusdt() -> SimSymbol {
    SPOT_PRESETS[0].symbol()
}

/// Spot ETHUSDT: tick 0.01, lot 0.0001, start 3000.
pub(crate) fn spot_ethusdt() -> SimSymbol {
    SPOT_PRESETS[1].symbol()
}

/// Binance spot or USD-M.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Binance {
    venue: Venue,
    futures: bool,
}

/// The kinds a book connection carries (depth and bookTicker) and a trade connection carries.
fn book_kinds() -> u32 {
    StreamKind::all()
        .filter(|k| !matches!(k, StreamKind::Trade | StreamKind::AggTrade))
        .fold(0, |m, k| m | k.bit())
}

fn trade_kinds() -> u32 {
    StreamKind::Trade.bit() | StreamKind::AggTrade.bit()
}

/// The path of a URL (`wss://fstream.binance.com/public/stream` -> `/public/stream`).
fn url_path(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("", |i| &rest[i..])
}

/// `/stream` or `/ws[/..]` after a connection prefix: `(combined, names)`.
fn mode(rest: &str, query: Option<&str>) -> Option<(bool, Vec<String>)> {
    let split = |list: &str| -> Vec<String> {
        list.split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    if rest == "/stream" || rest == "/stream/" {
        let list = query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .find_map(|kv| kv.strip_prefix("streams="))
            .unwrap_or("");
        Some((true, split(list)))
    } else if rest == "/ws" || rest == "/ws/" {
        Some((false, Vec::new()))
    } else {
        rest.strip_prefix("/ws/").map(|list| (false, split(list)))
    }
}

impl Binance {
    pub(crate) fn new(venue: Venue) -> Self {
        Self {
            venue,
            futures: venue != Venue::BinanceSpot,
        }
    }

    pub(crate) fn defaults(self) -> VenueDefaults {
        let symbols = ["BTCUSDT", "ETHUSDT"]
            .iter()
            .filter_map(|n| self.preset(n))
            .collect();
        if self.futures {
            VenueDefaults {
                symbols,
                ping_interval: Duration::from_secs(180),
                pong_timeout: Duration::from_secs(600),
                weight_limit: 2_400,
                weight_window: Duration::from_secs(60),
            }
        } else {
            VenueDefaults {
                symbols,
                ping_interval: Duration::from_secs(20),
                pong_timeout: Duration::from_secs(60),
                weight_limit: 6_000,
                weight_window: Duration::from_secs(60),
            }
        }
    }

    fn presets(self) -> &'static [Preset] {
        if self.futures {
            &FUTURES_PRESETS
        } else {
            &SPOT_PRESETS
        }
    }

    pub(crate) fn preset_names(self) -> Vec<&'static str> {
        self.presets().iter().map(|p| p.name).collect()
    }

    pub(crate) fn preset(self, name: &str) -> Option<SimSymbol> {
        let name = name.trim().to_ascii_uppercase();
        self.presets()
            .iter()
            .find(|p| p.name == name)
            .map(Preset::symbol)
    }

    pub(crate) fn symbol_wire(
        self,
        symbol: &SimSymbol,
        spec: &InstrumentSpec,
    ) -> Result<SymbolWire, SimError> {
        let fmt = if self.futures {
            // The precision the grid is written with (`0.10`: 2 decimals).
            Fmt::new(spec, symbol.tick_size.scale(), symbol.lot_size.scale())?
        } else {
            Fmt::new(spec, 8, 8)?
        };
        let key = symbol.symbol.to_ascii_lowercase();
        let name_of = |k| self.suffix(k).map(|s| format!("{key}@{s}"));
        Ok(SymbolWire::new(
            symbol.symbol.clone(),
            key.clone(),
            fmt,
            name_of,
        ))
    }

    pub(crate) fn windows(self) -> &'static [Window] {
        if self.futures {
            &FUTURES_WINDOWS
        } else {
            &SPOT_WINDOWS
        }
    }

    /// The window a stream name without `@..ms` means.
    fn default_window(self) -> Window {
        if self.futures {
            Window::Ms250
        } else {
            Window::Ms1000
        }
    }

    pub(crate) fn wire_id(self, model_id: u64) -> u64 {
        if self.futures {
            model_id.saturating_mul(FUTURES_ID_STRIDE)
        } else {
            model_id
        }
    }

    /// The part of a stream name after `<symbol>@`, for the kinds this venue serves.
    fn suffix(self, kind: StreamKind) -> Option<String> {
        let timed = |base: String, w: Window| {
            if w == self.default_window() {
                base
            } else {
                format!("{base}@{}ms", w.ms())
            }
        };
        match kind {
            StreamKind::Diff(Window::Event) => Some("depth@0ms".into()),
            StreamKind::Diff(w) => self
                .windows()
                .contains(&w)
                .then(|| timed("depth".into(), w)),
            StreamKind::Partial { levels, window } => self
                .windows()
                .contains(&window)
                .then(|| timed(format!("depth{levels}"), window)),
            StreamKind::Trade => Some("trade".into()),
            StreamKind::AggTrade => Some("aggTrade".into()),
            StreamKind::BookTicker => Some("bookTicker".into()),
            // Binance's books are diff streams and REST snapshots.
            StreamKind::Book(_) => None,
        }
    }

    pub(crate) fn parse_stream(self, name: &str) -> Result<(&str, StreamKind), String> {
        let Some((sym, suffix)) = name.split_once('@') else {
            return Err(format!("invalid stream name {name:?}"));
        };
        if sym.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(format!("stream names are lowercase, got {name:?}"));
        }
        // `@depth@1000ms` (spot) and `@depth@250ms` (futures) name the default window too.
        let explicit_default = |k: StreamKind| {
            self.suffix(k)
                .map(|s| format!("{s}@{}ms", self.default_window().ms()))
        };
        StreamKind::all()
            .find(|&k| {
                self.suffix(k).as_deref() == Some(suffix)
                    || (matches!(k, StreamKind::Diff(w) | StreamKind::Partial { window: w, .. }
                        if w == self.default_window())
                        && explicit_default(k).as_deref() == Some(suffix))
            })
            .map(|k| (sym, k))
            .ok_or_else(|| format!("unknown stream type in {name:?}"))
    }

    /// The production endpoints of the venue: the paths the simulator serves.
    fn production(self) -> Endpoints {
        Endpoints::production(self.venue)
    }

    /// The venue's endpoints on the simulator's sockets (`ws://127.0.0.1:P`, `http://..`).
    pub(crate) fn endpoints(self, ws_base: &str, rest_base: &str) -> Endpoints {
        let p = self.production();
        Endpoints {
            ws_book: format!("{ws_base}{}", url_path(&p.ws_book)),
            ws_trades: format!("{ws_base}{}", url_path(&p.ws_trades)),
            rest: format!("{rest_base}{}", url_path(&p.rest)),
        }
    }

    pub(crate) fn ws_route(self, path: &str, query: Option<&str>) -> Result<WsRoute, String> {
        let p = self.production();
        let prefix = |url: &str| {
            let path = url_path(url);
            path.strip_suffix("/stream").unwrap_or(path).to_owned()
        };
        let (book, trades) = (prefix(&p.ws_book), prefix(&p.ws_trades));
        let groups = if book == trades {
            vec![(book, book_kinds() | trade_kinds())]
        } else {
            vec![(book, book_kinds()), (trades, trade_kinds())]
        };
        for (prefix, allowed) in &groups {
            if let Some((combined, names)) = path
                .strip_prefix(prefix.as_str())
                .and_then(|r| mode(r, query))
            {
                return Ok(WsRoute {
                    combined,
                    names,
                    allowed: *allowed,
                    silent: false,
                });
            }
        }
        // USD-M's retired single endpoint: the handshake completes, nothing ever arrives.
        if self.futures
            && let Some((combined, names)) = mode(path, query)
        {
            return Ok(WsRoute {
                combined,
                names,
                allowed: book_kinds() | trade_kinds(),
                silent: true,
            });
        }
        let paths: Vec<String> = groups
            .iter()
            .map(|(p, _)| format!("{p}/stream?streams=.. or {p}/ws/<stream>"))
            .collect();
        Err(format!("unknown path {path:?}: use {}", paths.join("; ")))
    }

    pub(crate) fn shutdown_notice(self, combined: bool, now_ms: u64) -> Option<String> {
        if self.futures {
            return None;
        }
        // Spot announces a shutdown before it closes the connection.
        let event = format!("{{\"e\":\"serverShutdown\",\"E\":{now_ms}}}");
        Some(if combined {
            format!("{{\"stream\":\"!serverShutdown\",\"data\":{event}}}")
        } else {
            event
        })
    }

    pub(crate) fn diff(
        self,
        s: &SymbolWire,
        kind: StreamKind,
        span: DiffSpan,
        changed: Sides<'_>,
    ) -> Frame {
        Frame::enveloped(s.name(kind), |o| {
            if self.futures {
                let ids = wire::FuturesIds {
                    event_ms: span.event_ms,
                    tx_ms: span.tx_ms,
                    first: self.wire_id(span.first),
                    last: self.wire_id(span.last),
                    prev_last: self.wire_id(span.first.saturating_sub(1)),
                };
                wire::futures_depth_update(o, &s.symbol, &s.fmt, ids, changed);
            } else {
                let ids = wire::DepthIds {
                    event_ms: span.event_ms,
                    first: span.first,
                    last: span.last,
                };
                wire::depth_update(o, &s.symbol, &s.fmt, ids, changed);
            }
        })
    }

    pub(crate) fn partial(
        self,
        s: &SymbolWire,
        kind: StreamKind,
        at: PartialAt,
        top: Sides<'_>,
    ) -> Option<Frame> {
        if !self.futures {
            return Some(Frame::enveloped(s.name(kind), |o| {
                wire::depth_snapshot(o, &s.fmt, at.update_id, top);
            }));
        }
        // Futures partial depth is a `depthUpdate` of the top N, sent for windows with a change.
        let w = at.window?;
        let ids = wire::FuturesIds {
            event_ms: at.event_ms,
            tx_ms: w.tx_ms,
            first: self.wire_id(w.first),
            last: self.wire_id(at.update_id),
            prev_last: self.wire_id(w.first.saturating_sub(1)),
        };
        Some(Frame::enveloped(s.name(kind), |o| {
            wire::futures_depth_update(o, &s.symbol, &s.fmt, ids, top);
        }))
    }

    pub(crate) fn trade(self, s: &SymbolWire, t: &TradePrint) -> Frame {
        Frame::enveloped(s.name(StreamKind::Trade), |o| {
            if self.futures {
                wire::futures_trade(o, &s.symbol, &s.fmt, t);
            } else {
                wire::trade(o, &s.symbol, &s.fmt, t);
            }
        })
    }

    pub(crate) fn agg_trade(self, s: &SymbolWire, t: &TradePrint, ids: AggIds) -> Frame {
        Frame::enveloped(s.name(StreamKind::AggTrade), |o| {
            if self.futures {
                wire::futures_agg_trade(o, &s.symbol, &s.fmt, t, ids);
            } else {
                wire::agg_trade(o, &s.symbol, &s.fmt, t, ids);
            }
        })
    }

    pub(crate) fn book_ticker(self, s: &SymbolWire, top: &Top) -> Frame {
        let top = Top {
            update_id: self.wire_id(top.update_id),
            ..*top
        };
        Frame::enveloped(s.name(StreamKind::BookTicker), |o| {
            if self.futures {
                wire::futures_book_ticker(o, &s.symbol, &s.fmt, &top);
            } else {
                wire::book_ticker(o, &s.symbol, &s.fmt, &top);
            }
        })
    }

    pub(crate) fn urls(self, ws_base: &str, rest_base: &str, first: &SymbolWire) -> SimUrls {
        let e = self.endpoints(ws_base, rest_base);
        let paths = rest_paths(self.venue);
        let k = &first.key;
        SimUrls {
            book_stream: format!(
                "{}?streams={}/{}",
                e.ws_book,
                first.name(StreamKind::Diff(Window::Ms100)),
                first.name(StreamKind::BookTicker)
            ),
            trade_stream: format!("{}?streams={k}@trade", e.ws_trades),
            depth_snapshot: format!(
                "{}{}?symbol={}&limit=1000",
                e.rest, paths.depth, first.symbol
            ),
            exchange_info: format!("{}{}", e.rest, paths.exchange_info),
        }
    }
}

#[cfg(test)]
mod tests;
