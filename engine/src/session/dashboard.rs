//! The live dashboard (ratatui): per instrument the top of the book and the last trades, each
//! strategy's PnL, position, orders and signals with sparklines, feed status and latency.
//! `q` (or Esc, or Ctrl-C) quits cleanly.

use super::View;
use super::snapshot::{BookSnap, SHOWN_LEVELS, Snapshot};
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ladder_sdk::{BookState, InstrumentId, InstrumentSpec, Side};
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Sparkline, Table};
use std::collections::VecDeque;
use std::time::Duration;

/// Samples kept per signal for its sparkline.
const HISTORY: usize = 120;

/// Runs the dashboard until `q` or the session ends.
pub(crate) fn run(view: &View<'_>) -> std::io::Result<()> {
    let mut terminal = ratatui::try_init()?;
    let mut history: Vec<Vec<VecDeque<f64>>> = Vec::new();
    let result = (|| -> std::io::Result<()> {
        loop {
            if view.should_stop() {
                return Ok(());
            }
            let snap = view.snapshot.lock().map(|s| s.clone()).unwrap_or_default();
            record(&mut history, &snap);
            terminal.draw(|f| render(f, view, &snap, &history))?;
            if event::poll(Duration::from_millis(250))?
                && let Event::Key(key) = event::read()?
                && key.kind == KeyEventKind::Press
            {
                let ctrl_c =
                    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
                if matches!(key.code, KeyCode::Char('q') | KeyCode::Esc) || ctrl_c {
                    return Ok(());
                }
                if key.code == KeyCode::Char('r')
                    && let Some(reload) = view.reload
                {
                    reload.request();
                }
            }
        }
    })();
    ratatui::restore();
    result
}

fn record(history: &mut Vec<Vec<VecDeque<f64>>>, snap: &Snapshot) {
    history.resize_with(snap.strategies.len(), Vec::new);
    for (h, s) in history.iter_mut().zip(&snap.strategies) {
        h.resize_with(s.signals.len(), || VecDeque::with_capacity(HISTORY));
        for (q, v) in h.iter_mut().zip(&s.signals) {
            if v.is_finite() {
                if q.len() == HISTORY {
                    q.pop_front();
                }
                q.push_back(*v);
            }
        }
    }
}

fn render(f: &mut Frame<'_>, view: &View<'_>, snap: &Snapshot, history: &[Vec<VecDeque<f64>>]) {
    let feed = feed_lines(view);
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Length(feed.len() as u16 + 1),
            Constraint::Length(16),
            Constraint::Min(8),
            Constraint::Length(1),
        ])
        .split(f.area());
    let secs = view.started.elapsed_ns() as f64 / 1e9;
    let title = format!(
        " ladder paper — {} — {:.0} s — {} events ({:.0}/s) — {}q quits ",
        view.venue,
        secs,
        snap.events,
        snap.events as f64 / secs.max(1e-9),
        if view.reload.is_some() {
            "r reloads strategies — "
        } else {
            ""
        }
    );
    f.render_widget(
        Paragraph::new(title).style(Style::default().add_modifier(Modifier::BOLD)),
        rows[0],
    );
    f.render_widget(
        Paragraph::new(feed).block(Block::default().borders(Borders::TOP).title(" feeds ")),
        rows[1],
    );
    let books = Layout::default()
        .direction(Direction::Horizontal)
        .constraints(vec![
            Constraint::Ratio(1, snap.books.len().max(1) as u32);
            snap.books.len().max(1)
        ])
        .split(rows[2]);
    for (i, area) in books.iter().enumerate().take(snap.books.len()) {
        render_book(f, view, snap, i, *area);
    }
    render_strategies(f, view, snap, history, rows[3]);
    let reload = view
        .reload
        .and_then(super::reload::ReloadStatus::message)
        .or_else(|| snap.last_swap.clone())
        .map_or(String::new(), |m| format!("  |  {m}"));
    let lat = format!(
        " tick→done p50 {:.1} µs  p99 {:.1} µs  max {:.1} µs  |  hot-thread processing p50 {} ns  p99 {} ns  ({} samples){reload}",
        snap.tick_to_done.p50 as f64 / 1e3,
        snap.tick_to_done.p99 as f64 / 1e3,
        snap.tick_to_done.max as f64 / 1e3,
        snap.processing.p50,
        snap.processing.p99,
        snap.processing.count
    );
    f.render_widget(Paragraph::new(lat), rows[4]);
}

/// Each venue's feed: its books' states (with gaps and resyncs), its counters, and its last
/// error if it met one; the venue's name leads when there are several. On the bus
/// (`--source nats://...`), a last line with the bus connection and its counters.
fn feed_lines(view: &View<'_>) -> Vec<Line<'static>> {
    let secs = (view.started.elapsed_ns() as f64 / 1e9).max(1e-9);
    let mut lines = Vec::new();
    for feed in view.feeds {
        let c = feed.counters();
        let mut spans = Vec::new();
        if view.feeds.len() > 1 {
            spans.push(Span::styled(
                format!("{}  ", feed.venue()),
                Style::default().add_modifier(Modifier::BOLD),
            ));
        }
        for st in feed.instruments() {
            let color = match st.state {
                BookState::Synced => Color::Green,
                BookState::Stale => Color::Red,
                _ => Color::Yellow,
            };
            spans.push(Span::raw(format!("{} ", st.symbol)));
            spans.push(Span::styled(st.state.as_str(), Style::default().fg(color)));
            spans.push(Span::raw(format!(
                " (gaps {}, resyncs {})   ",
                st.gaps, st.resyncs
            )));
        }
        lines.push(Line::from(spans));
        lines.push(Line::from(format!(
            "messages {} ({:.0}/s)  gaps {}  resyncs {}  reconnects {}  watchdog {}  overflows {}  decode errors {}",
            c.messages,
            c.messages as f64 / secs,
            c.gaps,
            c.resyncs,
            c.reconnects,
            c.watchdog_timeouts,
            c.overflows,
            c.decode_errors
        )));
        if let Some(err) = feed.last_error() {
            lines.push(Line::styled(
                format!("last error: {}", err.text),
                Style::default().fg(Color::Red),
            ));
        }
    }
    if let Some(bus) = view.bus {
        lines.push(bus_line(bus));
    }
    lines
}

/// The bus consumer's connection (up in green, down in red) and counters.
fn bus_line(bus: &crate::bus::consume::BusStats) -> Line<'static> {
    use std::sync::atomic::Ordering::Relaxed;
    let up = bus.connected.load(Relaxed);
    Line::from(vec![
        Span::styled("bus ", Style::default().add_modifier(Modifier::BOLD)),
        Span::styled(
            if up { "up" } else { "down" },
            Style::default().fg(if up { Color::Green } else { Color::Red }),
        ),
        Span::raw(format!(
            "  messages {}  events {}  gaps {}  resyncs {}  redelivered {}  stale images {}  \
             decode errors {}  disconnects {}",
            bus.messages.load(Relaxed),
            bus.events.load(Relaxed),
            bus.gaps.load(Relaxed),
            bus.resyncs.load(Relaxed),
            bus.redelivered.load(Relaxed),
            bus.stale_images.load(Relaxed),
            bus.decode_errors.load(Relaxed),
            bus.disconnects.load(Relaxed),
        )),
    ])
}

fn render_book(f: &mut Frame<'_>, view: &View<'_>, snap: &Snapshot, i: usize, area: Rect) {
    let b = &snap.books[i];
    let state = view
        .book_state(InstrumentId::new(i as u32))
        .unwrap_or(b.state);
    book_panel(f, area, &view.symbols[i], state, &view.specs[i], b);
}

/// One instrument's panel: the top levels in a table, then its last trades on lines of their
/// own that span the panel (a trade is never cut; when they do not all fit, the oldest go).
fn book_panel(
    f: &mut Frame<'_>,
    area: Rect,
    symbol: &str,
    state: BookState,
    spec: &InstrumentSpec,
    b: &BookSnap,
) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {symbol} — {} ", state.as_str()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let parts = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1 + SHOWN_LEVELS as u16),
            Constraint::Min(0),
        ])
        .split(inner);
    let mut rows = Vec::new();
    for k in 0..SHOWN_LEVELS {
        let bid = b.bids.get(k);
        let ask = b.asks.get(k);
        rows.push(Row::new(vec![
            bid.map_or(String::new(), |l| spec.format_qty(l.qty)),
            bid.map_or(String::new(), |l| spec.format_price(l.price)),
            ask.map_or(String::new(), |l| spec.format_price(l.price)),
            ask.map_or(String::new(), |l| spec.format_qty(l.qty)),
        ]));
    }
    let table = Table::new(
        rows,
        [
            Constraint::Percentage(22),
            Constraint::Percentage(28),
            Constraint::Percentage(28),
            Constraint::Percentage(22),
        ],
    )
    .header(
        Row::new(vec!["bid size", "bid", "ask", "ask size"])
            .style(Style::default().add_modifier(Modifier::BOLD)),
    );
    f.render_widget(table, parts[0]);
    let trades: Vec<String> = b
        .trades
        .iter()
        .rev()
        .map(|t| {
            let side = if t.aggressor == Side::Buy { "B" } else { "S" };
            format!(
                "{side} {}×{}",
                spec.format_price(t.price),
                spec.format_qty(t.qty)
            )
        })
        .collect();
    let area = parts[1];
    let lines = trade_lines(&trades, usize::from(area.width), usize::from(area.height));
    f.render_widget(Paragraph::new(lines.join("\n")), area);
}

/// Packs `trades` (newest first) after a `last:` label into at most `height` lines of at most
/// `width` characters, whole trades only, two spaces apart. The trades that do not fit are
/// left out (the oldest), so none is ever shown cut.
fn trade_lines(trades: &[String], width: usize, height: usize) -> Vec<String> {
    let mut lines = vec!["last:".to_owned()];
    for t in trades {
        let Some(line) = lines.last_mut() else { break };
        let (used, add) = (line.chars().count(), t.chars().count());
        if used + 2 + add <= width {
            line.push_str("  ");
            line.push_str(t);
        } else if lines.len() < height && add <= width {
            lines.push(t.clone());
        } else {
            break;
        }
    }
    lines.truncate(height);
    lines
}

fn render_strategies(
    f: &mut Frame<'_>,
    view: &View<'_>,
    snap: &Snapshot,
    history: &[Vec<VecDeque<f64>>],
    area: Rect,
) {
    let n = snap.strategies.len().max(1);
    let areas = Layout::default()
        .direction(Direction::Vertical)
        .constraints(vec![Constraint::Ratio(1, n as u32); n])
        .split(area);
    for (s, st) in snap.strategies.iter().enumerate() {
        let area = areas[s];
        let name = view.strategies.get(s).map_or("?", String::as_str);
        let net = st.realized + st.unrealized - st.fees;
        let status = st
            .disabled
            .as_deref()
            .map_or("running".to_owned(), |d| format!("DISABLED: {d}"));
        let positions: Vec<String> = st
            .positions
            .iter()
            .enumerate()
            .map(|(i, p)| {
                format!(
                    "{} {}",
                    view.symbols[i],
                    view.specs[i].lot_grid().to_decimal(*p)
                )
            })
            .collect();
        let block = Block::default()
            .borders(Borders::ALL)
            .title(format!(" {name} — {status} "));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let parts = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Percentage(45), Constraint::Percentage(55)])
            .split(inner);
        let orders: Vec<String> = st
            .open_orders
            .iter()
            .take(4)
            .map(|o| {
                let spec = &view.specs[o.instrument.index().min(view.specs.len() - 1)];
                format!(
                    "{} {}@{}",
                    o.side,
                    spec.format_qty(o.leaves_qty),
                    spec.format_price(o.price)
                )
            })
            .collect();
        let text = vec![
            Line::from(format!(
                "net {}  realized {}  unrealized {}  fees {}",
                net.round_dp(6).normalize(),
                st.realized.round_dp(6).normalize(),
                st.unrealized.round_dp(6).normalize(),
                st.fees.round_dp(6).normalize()
            )),
            Line::from(format!(
                "position {}   fills {}",
                positions.join(", "),
                st.fills
            )),
            Line::from(format!(
                "open orders {}: {}",
                st.open_orders.len(),
                orders.join("  ")
            )),
        ];
        f.render_widget(Paragraph::new(text), parts[0]);
        render_signals(f, view, s, st.signals.as_slice(), history.get(s), parts[1]);
    }
}

fn render_signals(
    f: &mut Frame<'_>,
    view: &View<'_>,
    s: usize,
    values: &[f64],
    history: Option<&Vec<VecDeque<f64>>>,
    area: Rect,
) {
    let names = view.signal_names.get(s).map_or(&[][..], Vec::as_slice);
    let shown = names.len().min(usize::from(area.height));
    if shown == 0 {
        return;
    }
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints(vec![Constraint::Length(1); shown])
        .split(area);
    for (k, row) in rows.iter().enumerate() {
        let cols = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Length(34), Constraint::Min(10)])
            .split(*row);
        let v = values.get(k).copied().unwrap_or(f64::NAN);
        let label = if v.is_finite() {
            format!("{:<20} {:>12.5}", names[k], v)
        } else {
            format!("{:<20} {:>12}", names[k], "-")
        };
        f.render_widget(Paragraph::new(label), cols[0]);
        if let Some(h) = history.and_then(|h| h.get(k)) {
            let (lo, hi) = h
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                    (a.min(*x), b.max(*x))
                });
            let span = if hi > lo { hi - lo } else { 1.0 };
            let data: Vec<u64> = h
                .iter()
                .map(|x| (((x - lo) / span) * 100.0) as u64 + 1)
                .collect();
            f.render_widget(
                Sparkline::default()
                    .data(&data)
                    .style(Style::default().fg(Color::Cyan)),
                cols[1],
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ladder_sdk::{Level, Price, Quantity, Trade, UnixNanos};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use rstest::rstest;
    use std::str::FromStr;

    fn spec() -> InstrumentSpec {
        let d = |s: &str| rust_decimal::Decimal::from_str(s).expect("decimal");
        InstrumentSpec::new(d("0.01"), d("0.00001")).expect("spec")
    }

    fn trade(aggressor: Side, ticks: i64, lots: i64) -> Trade {
        Trade {
            instrument: InstrumentId::new(0),
            aggressor,
            price: Price::from_ticks(ticks),
            qty: Quantity::from_lots(lots),
            trade_id: 1,
            ts_exchange: UnixNanos::ZERO,
            ts_recv: UnixNanos::ZERO,
        }
    }

    /// The panel drawn into a `width` × 16 terminal, as text lines.
    fn draw(b: &BookSnap, width: u16) -> Vec<String> {
        let mut terminal = Terminal::new(TestBackend::new(width, 16)).expect("terminal");
        terminal
            .draw(|f| book_panel(f, f.area(), "BTCUSDT", BookState::Synced, &spec(), b))
            .expect("draw");
        let buf = terminal.backend().buffer();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect()
    }

    fn text(lines: &[Line<'_>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn feed_panel_lists_each_venues_books_counters_and_last_error() {
        let f = crate::session::test_view::Fixture::two_venues();
        let got = text(&feed_lines(&f.view()));
        assert_eq!(got.len(), 5, "{got:#?}");
        assert_eq!(got[0], "binance-spot  BTCUSDT stale (gaps 1, resyncs 0)   ");
        assert!(got[1].starts_with("messages 3 ("), "{}", got[1]);
        assert!(
            got[1].contains("  gaps 1  resyncs 0  reconnects 0"),
            "{}",
            got[1]
        );
        assert_eq!(got[2], "last error: sequence gap on BTCUSDT");
        assert_eq!(
            got[3],
            "binance-usdm  BTCUSDT synced (gaps 0, resyncs 0)   "
        );
        assert!(got[4].starts_with("messages 5 ("), "{}", got[4]);
    }

    #[test]
    fn feed_panel_of_one_venue_leaves_the_venue_name_out() {
        let f = crate::session::test_view::Fixture::one_venue();
        let got = text(&feed_lines(&f.view()));
        assert_eq!(got[0], "BTCUSDT synced (gaps 0, resyncs 0)   ");
        assert_eq!(got.len(), 2, "{got:#?}");
    }

    #[test]
    fn feed_panel_on_the_bus_ends_with_the_bus_connection_and_counters() {
        use std::sync::atomic::Ordering::Relaxed;
        let f = crate::session::test_view::Fixture::one_venue();
        let bus = crate::bus::consume::BusStats::default();
        let mut view = f.view();
        view.bus = Some(&bus);
        let got = text(&feed_lines(&view));
        assert_eq!(got.len(), 3, "{got:#?}");
        assert_eq!(
            got[2],
            "bus down  messages 0  events 0  gaps 0  resyncs 0  redelivered 0  stale images 0  \
             decode errors 0  disconnects 0"
        );
        bus.connected.store(true, Relaxed);
        for (counter, n) in [
            (&bus.messages, 120),
            (&bus.events, 480),
            (&bus.gaps, 2),
            (&bus.resyncs, 1),
            (&bus.redelivered, 3),
            (&bus.stale_images, 4),
            (&bus.decode_errors, 5),
            (&bus.disconnects, 1),
        ] {
            counter.store(n, Relaxed);
        }
        let lines = feed_lines(&view);
        assert_eq!(
            text(&lines)[2],
            "bus up  messages 120  events 480  gaps 2  resyncs 1  redelivered 3  stale images 4  \
             decode errors 5  disconnects 1"
        );
        assert_eq!(lines[2].spans[1].style.fg, Some(Color::Green));
        // Without a bus, no bus line.
        assert_eq!(text(&feed_lines(&f.view())).len(), 2);
    }

    #[rstest]
    #[case::narrow_panel(36)]
    #[case::two_panels_on_80_columns(40)]
    #[case::wide_panel(120)]
    fn book_panel_shows_the_last_trade_size_whole(#[case] width: u16) {
        let b = BookSnap {
            state: BookState::Synced,
            bids: vec![Level::new(
                Price::from_ticks(6_000_003),
                Quantity::from_lots(150),
            )],
            asks: vec![Level::new(
                Price::from_ticks(6_000_004),
                Quantity::from_lots(7),
            )],
            trades: vec![
                trade(Side::Sell, 6_000_003, 1_000_000),
                trade(Side::Buy, 6_000_004, 123),
            ],
        };
        let text = draw(&b, width).join("\n");
        assert!(text.contains("B 60000.04×0.00123"), "{text}");
        assert!(text.contains("S 60000.03×10"), "{text}");
        assert!(
            text.contains("60000.03") && text.contains("0.0015"),
            "{text}"
        );
    }

    #[rstest]
    #[case::all_on_one_line(40, 3, &["last:  B 1×2  S 3×4  B 5×6  S 7×8"])]
    #[case::wraps_between_trades(16, 3, &["last:  B 1×2", "S 3×4  B 5×6", "S 7×8"])]
    #[case::oldest_left_out(12, 2, &["last:  B 1×2", "S 3×4  B 5×6"])]
    #[case::too_narrow_for_any(4, 3, &["last:"])]
    fn trade_lines_packs_whole_trades_newest_first(
        #[case] width: usize,
        #[case] height: usize,
        #[case] want: &[&str],
    ) {
        let trades: Vec<String> = ["B 1×2", "S 3×4", "B 5×6", "S 7×8"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let got = trade_lines(&trades, width, height);
        assert_eq!(got, want);
        assert!(got.iter().all(|l| l.chars().count() <= width.max(5)));
    }
}
