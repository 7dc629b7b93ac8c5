//! A profiling driver for the book: replays every diff level of one shared capture into a
//! snapshot-loaded [`L2Book`], `passes` times, with nothing else in the loop, so that `perf` or
//! valgrind see the book alone (`BENCHMARKS.md`, the book section, has the commands).
//!
//! ```sh
//! cargo build --release -p ladder-benches --example book_profile
//! valgrind --tool=callgrind --toggle-collect='*replay_pass*' \
//!     target/release/examples/book_profile usdm 2
//! ```
//!
//! Arguments: the capture (`spot` or `usdm`, default `usdm`) and the passes (default 50). It
//! prints the levels applied and the final book's level counts (so the work cannot be elided).

use ladder_benches::book_input::{MARKETS, Stream, capture_path, load_capture};
use ladder_engine::book::{BookConfig, L2Book};
use ladder_sdk::Side;
use std::hint::black_box;
use std::process::ExitCode;

/// One pass: every diff level of the capture, in order.
#[inline(never)]
fn replay_pass(book: &mut L2Book, stream: &Stream) {
    for u in black_box(&stream.diffs[..]) {
        book.apply(u.side, u.price, u.qty);
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "usdm".to_owned());
    let passes: usize = match args.next().map(|p| p.parse()) {
        None => 50,
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            eprintln!("book_profile: passes must be a number: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Some(market) = MARKETS.iter().find(|m| m.name == name) else {
        eprintln!("book_profile: unknown capture {name:?} (spot or usdm)");
        return ExitCode::FAILURE;
    };
    let stream = match load_capture(market, &capture_path(market)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("book_profile: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut loaded = L2Book::new(BookConfig::default());
    for u in &stream.snapshot {
        loaded.apply(u.side, u.price, u.qty);
    }
    let mut levels = (0, 0);
    for _ in 0..passes {
        let mut book = loaded.clone();
        replay_pass(&mut book, &stream);
        levels = (book.len(Side::Buy), book.len(Side::Sell));
        black_box(&book);
    }
    println!(
        "book_profile: {name}: {} passes of {} diff levels; final book {} bids, {} asks",
        passes,
        stream.diffs.len(),
        levels.0,
        levels.1
    );
    ExitCode::SUCCESS
}
