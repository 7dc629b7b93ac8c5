//! Headless display: one summary line every few seconds on stdout.

use super::View;
use super::snapshot::Snapshot;
use ladder_sdk::{InstrumentId, InstrumentSpec, Level};
use std::fmt::Write as _;
use std::time::Duration;

/// Formats `level` as `price×qty`, or `-`.
fn level(spec: &InstrumentSpec, l: Option<&Level>) -> String {
    l.map_or_else(
        || "-".to_owned(),
        |l| format!("{}×{}", spec.format_price(l.price), spec.format_qty(l.qty)),
    )
}

/// One line about the session now.
pub(crate) fn line(view: &View<'_>, snap: &Snapshot) -> String {
    let secs = view.started.elapsed_ns() / 1_000_000_000;
    let mut o = format!("[{secs:>4}s] events {} | ", snap.events);
    for (i, b) in snap.books.iter().enumerate() {
        let spec = &view.specs[i];
        let state = view
            .book_state(InstrumentId::new(i as u32))
            .unwrap_or(b.state);
        let _ = write!(
            o,
            "{} {} {} / {} | ",
            view.symbols[i],
            state.as_str(),
            level(spec, b.bids.first()),
            level(spec, b.asks.first())
        );
    }
    for (s, st) in snap.strategies.iter().enumerate() {
        let net = st.realized + st.unrealized - st.fees;
        let pos: Vec<String> = st
            .positions
            .iter()
            .enumerate()
            .filter(|(_, p)| **p != 0)
            .map(|(i, p)| {
                format!(
                    "{} {}",
                    view.symbols[i],
                    view.specs[i].lot_grid().to_decimal(*p)
                )
            })
            .collect();
        let _ = write!(
            o,
            "{} net {} fills {} open {}{}{} | ",
            view.strategies.get(s).map_or("?", String::as_str),
            net.round_dp(6).normalize(),
            st.fills,
            st.open_orders.len(),
            if pos.is_empty() {
                String::new()
            } else {
                format!(" pos {}", pos.join(","))
            },
            if st.disabled.is_some() {
                " DISABLED"
            } else {
                ""
            }
        );
    }
    // Each venue's feed: its counters, and its last error if it met one.
    for feed in view.feeds {
        let c = feed.counters();
        let _ = write!(
            o,
            "{} {} msgs, {} gaps, {} resyncs, {} reconnects | ",
            view.feed_label(feed),
            c.messages,
            c.gaps,
            c.resyncs,
            c.reconnects,
        );
        if let Some(err) = feed.last_error() {
            let _ = write!(o, "{} last error: {} | ", view.feed_label(feed), err.text);
        }
    }
    if let Some(last) = &snap.last_swap {
        let _ = write!(o, "swaps {} last {last} | ", snap.swaps);
    }
    if let Some(msg) = view.reload.and_then(super::reload::ReloadStatus::message) {
        let _ = write!(o, "{msg} | ");
    }
    if let Some(bus) = view.bus {
        let _ = write!(o, "{} | ", bus.line());
    }
    let _ = write!(
        o,
        "tick→done p50 {} µs p99 {} µs",
        snap.tick_to_done.p50 / 1000,
        snap.tick_to_done.p99 / 1000
    );
    o
}

/// Prints a line every `every` until the session should stop.
pub(crate) fn run(view: &View<'_>, every: Duration) {
    let mut next = every;
    loop {
        std::thread::sleep(Duration::from_millis(50));
        if view.should_stop() {
            return;
        }
        if view.started.elapsed_ns() >= next.as_nanos() as u64 {
            next += every;
            let snap = view.snapshot.lock().map(|s| s.clone()).unwrap_or_default();
            println!("{}", line(view, &snap));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::line;
    use crate::session::test_view::Fixture;

    #[test]
    fn headless_line_shows_each_venues_feed_and_each_book_as_its_own_feed_holds_it() {
        let f = Fixture::two_venues();
        let got = line(&f.view(), &f.snapshot());
        for want in [
            "binance-spot:BTCUSDT stale - / - | binance-usdm:BTCUSDT synced - / - | ",
            "feed binance-spot 3 msgs, 1 gaps, 0 resyncs, 0 reconnects | \
             feed binance-spot last error: sequence gap on BTCUSDT | \
             feed binance-usdm 5 msgs, 0 gaps, 0 resyncs, 0 reconnects | tick→done",
        ] {
            assert!(got.contains(want), "{want:?} not in {got:?}");
        }
    }

    #[test]
    fn headless_line_of_one_venue_names_its_feed_plainly() {
        let f = Fixture::one_venue();
        let got = line(&f.view(), &f.snapshot());
        assert!(
            got.contains("binance-spot:BTCUSDT synced - / - | feed 3 msgs, 0 gaps,"),
            "{got:?}"
        );
    }
}
