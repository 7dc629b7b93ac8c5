//! Hand-written cases for [`L2Book`]: window edges, far levels, re-centring, the top-N view.
//!
//! Most use a fixed 256-tick window (`min_window_ticks == window_ticks`), so "far" is a few hundred ticks away. The window's base is a
//! multiple of 64; it re-centres with the best at offset 128..192 when a new best lands outside
//! it or at offset >= 240, or when the best is deleted and the next one is below offset 128 or
//! only in the far store.

use super::*;

const W: usize = 256;

fn small_book(top_n: usize) -> L2Book {
    L2Book::new(BookConfig {
        window_ticks: W,
        min_window_ticks: W,
        top_n,
        far_capacity: 16,
    })
}

fn set(book: &mut L2Book, side: Side, px: i64, lots: i64) {
    book.apply(side, Price::from_ticks(px), Quantity::from_lots(lots));
    book.check_invariants();
}

fn levels(book: &L2Book, side: Side) -> Vec<(i64, i64)> {
    book.levels(side)
        .map(|l| (l.price.ticks(), l.qty.lots()))
        .collect()
}

fn best(level: Option<Level>) -> Option<(i64, i64)> {
    level.map(|l| (l.price.ticks(), l.qty.lots()))
}

fn pairs(levels: &[Level]) -> Vec<(i64, i64)> {
    levels
        .iter()
        .map(|l| (l.price.ticks(), l.qty.lots()))
        .collect()
}

#[test]
fn apply_positive_qty_sets_best_on_each_side() {
    let mut book = small_book(5);
    set(&mut book, Side::Buy, 100, 3);
    set(&mut book, Side::Buy, 99, 4);
    set(&mut book, Side::Sell, 102, 5);
    set(&mut book, Side::Sell, 103, 6);
    assert_eq!(best(book.best_bid()), Some((100, 3)));
    assert_eq!(best(book.best_ask()), Some((102, 5)));
    assert_eq!((book.len(Side::Buy), book.len(Side::Sell)), (2, 2));
    assert!(!book.is_empty());
}

#[test]
fn apply_existing_level_replaces_qty_absolutely() {
    let mut book = small_book(5);
    set(&mut book, Side::Buy, 100, 3);
    set(&mut book, Side::Buy, 100, 7);
    assert_eq!(levels(&book, Side::Buy), vec![(100, 7)]);
    assert_eq!(book.qty_at(Side::Buy, Price::from_ticks(100)).lots(), 7);
}

#[test]
fn apply_zero_qty_removes_level() {
    let mut book = small_book(5);
    set(&mut book, Side::Sell, 102, 5);
    set(&mut book, Side::Sell, 104, 6);
    set(&mut book, Side::Sell, 104, 0);
    assert_eq!(levels(&book, Side::Sell), vec![(102, 5)]);
    assert_eq!(
        book.qty_at(Side::Sell, Price::from_ticks(104)),
        Quantity::ZERO
    );
    assert_eq!(book.len(Side::Sell), 1);
}

#[test]
fn apply_zero_qty_on_absent_level_is_noop_everywhere() {
    let mut book = small_book(5);
    set(&mut book, Side::Buy, 0, 0); // empty side
    set(&mut book, Side::Buy, 1_000, 1);
    set(&mut book, Side::Buy, 990, 0); // inside the window
    set(&mut book, Side::Buy, 500, 0); // below the window
    set(&mut book, Side::Buy, 5_000, 0); // above the window
    assert_eq!(levels(&book, Side::Buy), vec![(1_000, 1)]);
    assert!(book.levels(Side::Sell).next().is_none());
}

#[test]
fn apply_bid_far_below_window_is_kept_and_listed_after_window_levels() {
    let mut book = small_book(5);
    set(&mut book, Side::Buy, 1_000, 1);
    set(&mut book, Side::Buy, 990, 2);
    set(&mut book, Side::Buy, 100, 3); // 900 ticks below: far store
    set(&mut book, Side::Buy, 500, 4); // far store, between
    assert_eq!(
        levels(&book, Side::Buy),
        vec![(1_000, 1), (990, 2), (500, 4), (100, 3)]
    );
    assert_eq!(book.qty_at(Side::Buy, Price::from_ticks(100)).lots(), 3);
    assert_eq!(book.len(Side::Buy), 4);
    set(&mut book, Side::Buy, 500, 0);
    assert_eq!(
        levels(&book, Side::Buy),
        vec![(1_000, 1), (990, 2), (100, 3)]
    );
}

#[test]
fn apply_ask_far_above_window_is_kept_and_listed_after_window_levels() {
    let mut book = small_book(5);
    set(&mut book, Side::Sell, 1_000, 1);
    set(&mut book, Side::Sell, 1_010, 2);
    set(&mut book, Side::Sell, 9_000, 3);
    set(&mut book, Side::Sell, 2_000, 4);
    assert_eq!(
        levels(&book, Side::Sell),
        vec![(1_000, 1), (1_010, 2), (2_000, 4), (9_000, 3)]
    );
    assert_eq!(best(book.best_ask()), Some((1_000, 1)));
    assert_eq!(book.qty_at(Side::Sell, Price::from_ticks(9_000)).lots(), 3);
}

#[test]
fn apply_bid_above_window_recentres_up_and_keeps_old_levels() {
    let mut book = small_book(5);
    set(&mut book, Side::Buy, 1_000, 1);
    set(&mut book, Side::Buy, 999, 2);
    set(&mut book, Side::Buy, 1_500, 3); // new best 500 ticks above the window
    assert_eq!(best(book.best_bid()), Some((1_500, 3)));
    assert_eq!(
        levels(&book, Side::Buy),
        vec![(1_500, 3), (1_000, 1), (999, 2)]
    );
    // The old levels are far now; deleting the new best brings them back into the window.
    set(&mut book, Side::Buy, 1_500, 0);
    assert_eq!(best(book.best_bid()), Some((1_000, 1)));
    assert_eq!(levels(&book, Side::Buy), vec![(1_000, 1), (999, 2)]);
}

#[test]
fn apply_ask_below_window_recentres_down_and_keeps_old_levels() {
    let mut book = small_book(5);
    set(&mut book, Side::Sell, 1_000, 1);
    set(&mut book, Side::Sell, 1_001, 2);
    set(&mut book, Side::Sell, 400, 3); // new best ask 600 ticks lower
    assert_eq!(best(book.best_ask()), Some((400, 3)));
    assert_eq!(
        levels(&book, Side::Sell),
        vec![(400, 3), (1_000, 1), (1_001, 2)]
    );
    set(&mut book, Side::Sell, 400, 0);
    assert_eq!(best(book.best_ask()), Some((1_000, 1)));
}

#[test]
fn apply_bid_near_window_top_recentres_up_and_keeps_deep_levels() {
    let mut book = small_book(5);
    set(&mut book, Side::Buy, 1_000, 1); // window [832, 1088)
    set(&mut book, Side::Buy, 850, 2);
    assert_eq!(book.bids.window_base(), 832);
    set(&mut book, Side::Buy, 1_080, 3); // offset 248: re-centre to [896, 1152)
    assert_eq!(book.bids.window_base(), 896);
    assert_eq!(
        levels(&book, Side::Buy),
        vec![(1_080, 3), (1_000, 1), (850, 2)]
    );
    assert_eq!(book.qty_at(Side::Buy, Price::from_ticks(850)).lots(), 2);
    set(&mut book, Side::Buy, 850, 0); // a far removal
    assert_eq!(levels(&book, Side::Buy), vec![(1_080, 3), (1_000, 1)]);
    set(&mut book, Side::Buy, 1_080, 0); // next best at offset 104: back down
    assert_eq!(book.bids.window_base(), 832);
    assert_eq!(levels(&book, Side::Buy), vec![(1_000, 1)]);
}

#[test]
fn delete_best_falls_back_to_next_best_in_window() {
    let mut book = small_book(5);
    set(&mut book, Side::Buy, 1_000, 1);
    set(&mut book, Side::Buy, 995, 2);
    set(&mut book, Side::Buy, 990, 3);
    set(&mut book, Side::Buy, 1_000, 0);
    assert_eq!(best(book.best_bid()), Some((995, 2)));
    set(&mut book, Side::Sell, 1_010, 1);
    set(&mut book, Side::Sell, 1_020, 2);
    set(&mut book, Side::Sell, 1_010, 0);
    assert_eq!(best(book.best_ask()), Some((1_020, 2)));
}

#[test]
fn delete_best_falls_back_to_next_best_in_far_store() {
    let mut book = small_book(5);
    set(&mut book, Side::Buy, 1_000, 1);
    set(&mut book, Side::Buy, 200, 2);
    set(&mut book, Side::Buy, 100, 3);
    set(&mut book, Side::Buy, 1_000, 0);
    assert_eq!(best(book.best_bid()), Some((200, 2)));
    assert_eq!(levels(&book, Side::Buy), vec![(200, 2), (100, 3)]);
    set(&mut book, Side::Sell, -50, 1);
    set(&mut book, Side::Sell, 700, 2);
    set(&mut book, Side::Sell, -50, 0);
    assert_eq!(best(book.best_ask()), Some((700, 2)));
    set(&mut book, Side::Sell, 700, 0);
    assert_eq!(best(book.best_ask()), None);
    assert_eq!(book.len(Side::Sell), 0);
}

#[test]
fn delete_best_leaving_next_near_window_bottom_recentres_down_and_pulls_far_levels() {
    let mut book = small_book(5);
    set(&mut book, Side::Buy, 1_000, 1); // window [832, 1088)
    set(&mut book, Side::Buy, 900, 2); // offset 68
    set(&mut book, Side::Buy, 820, 3); // far
    set(&mut book, Side::Buy, 800, 4); // far
    assert_eq!(book.bids.window_base(), 832);
    set(&mut book, Side::Buy, 1_000, 0); // next best at offset 68: re-centre to [768, 1024)
    assert_eq!(book.bids.window_base(), 768);
    assert_eq!(levels(&book, Side::Buy), vec![(900, 2), (820, 3), (800, 4)]);
    set(&mut book, Side::Buy, 800, 0); // now a window removal
    assert_eq!(levels(&book, Side::Buy), vec![(900, 2), (820, 3)]);
}

#[test]
fn clear_empties_both_sides_and_book_is_reusable() {
    let mut book = small_book(5);
    for px in [1_000, 990, 10, -500] {
        set(&mut book, Side::Buy, px, 1);
        set(&mut book, Side::Sell, px + 2_000, 1);
    }
    let _ = book.top();
    book.clear();
    book.check_invariants();
    assert!(book.is_empty());
    assert_eq!((book.best_bid(), book.best_ask()), (None, None));
    let top = book.top();
    assert!(top.bids.is_empty() && top.asks.is_empty());
    set(&mut book, Side::Buy, 7, 7);
    assert_eq!(levels(&book, Side::Buy), vec![(7, 7)]);
    assert_eq!(pairs(book.top().bids), vec![(7, 7)]);
}

#[test]
fn top_with_fewer_levels_than_n_returns_all_best_first() {
    let mut book = small_book(20);
    set(&mut book, Side::Buy, 100, 1);
    set(&mut book, Side::Buy, 98, 2);
    set(&mut book, Side::Buy, -500, 3); // far
    set(&mut book, Side::Sell, 101, 4);
    let top = book.top();
    assert_eq!(pairs(top.bids), vec![(100, 1), (98, 2), (-500, 3)]);
    assert_eq!(pairs(top.asks), vec![(101, 4)]);
}

#[test]
fn top_truncates_to_n_and_follows_updates_at_any_depth() {
    let mut book = small_book(2);
    for (px, q) in [(100, 1), (99, 2), (98, 3), (97, 4)] {
        set(&mut book, Side::Buy, px, q);
    }
    assert_eq!(pairs(book.top().bids), vec![(100, 1), (99, 2)]);
    set(&mut book, Side::Buy, 97, 9); // below the view
    assert_eq!(pairs(book.top().bids), vec![(100, 1), (99, 2)]);
    set(&mut book, Side::Buy, 99, 5); // the last level of the view
    assert_eq!(pairs(book.top().bids), vec![(100, 1), (99, 5)]);
    set(&mut book, Side::Buy, 100, 0);
    assert_eq!(pairs(book.top().bids), vec![(99, 5), (98, 3)]);
    set(&mut book, Side::Buy, 99, 0);
    set(&mut book, Side::Buy, 98, 0);
    assert_eq!(pairs(book.top().bids), vec![(97, 9)]);
    set(&mut book, Side::Buy, 50, 1); // view not full: a deeper level joins it
    assert_eq!(pairs(book.top().bids), vec![(97, 9), (50, 1)]);
}

#[test]
fn top_with_zero_n_returns_empty_views() {
    let mut book = small_book(0);
    set(&mut book, Side::Buy, 100, 1);
    set(&mut book, Side::Sell, 101, 1);
    let top = book.top();
    assert!(top.bids.is_empty() && top.asks.is_empty());
}

#[test]
fn negative_prices_order_far_store_and_recentre() {
    let mut book = small_book(3);
    set(&mut book, Side::Buy, -10, 1);
    set(&mut book, Side::Buy, -500, 2); // far
    set(&mut book, Side::Buy, 300, 3); // above the window: re-centre across zero
    set(&mut book, Side::Sell, -5, 4);
    set(&mut book, Side::Sell, 1_000, 5);
    set(&mut book, Side::Sell, -1_000, 6);
    assert_eq!(
        levels(&book, Side::Buy),
        vec![(300, 3), (-10, 1), (-500, 2)]
    );
    assert_eq!(
        levels(&book, Side::Sell),
        vec![(-1_000, 6), (-5, 4), (1_000, 5)]
    );
    assert!(book.is_crossed());
    set(&mut book, Side::Buy, 300, 0);
    set(&mut book, Side::Sell, -1_000, 0);
    assert_eq!(best(book.best_bid()), Some((-10, 1)));
    assert_eq!(best(book.best_ask()), Some((-5, 4)));
    assert_eq!(pairs(book.top().bids), vec![(-10, 1), (-500, 2)]);
}

#[test]
fn extreme_prices_are_kept_without_overflow() {
    let mut book = small_book(3);
    for px in [i64::MAX, i64::MIN, 0, i64::MAX - 1, i64::MIN + 1] {
        set(&mut book, Side::Buy, px, 1);
        set(&mut book, Side::Sell, px, 2);
    }
    let expected = vec![i64::MAX, i64::MAX - 1, 0, i64::MIN + 1, i64::MIN];
    let bids: Vec<i64> = book.levels(Side::Buy).map(|l| l.price.ticks()).collect();
    let asks: Vec<i64> = book.levels(Side::Sell).map(|l| l.price.ticks()).collect();
    assert_eq!(bids, expected);
    assert_eq!(asks, expected.iter().rev().copied().collect::<Vec<_>>());
    for px in expected {
        set(&mut book, Side::Buy, px, 0);
        set(&mut book, Side::Sell, px, 0);
    }
    assert!(book.is_empty());
}

#[test]
fn is_crossed_false_when_locked_true_when_bid_above_ask() {
    let mut book = small_book(5);
    assert!(!book.is_crossed() && !book.is_locked());
    set(&mut book, Side::Buy, 100, 1);
    set(&mut book, Side::Sell, 100, 1);
    assert!(book.is_locked() && !book.is_crossed());
    set(&mut book, Side::Sell, 99, 1);
    assert!(book.is_crossed() && !book.is_locked());
}

#[test]
fn try_new_window_not_power_of_two_is_rejected() {
    for w in [0, 1, 32, 100] {
        let config = BookConfig {
            window_ticks: w,
            min_window_ticks: 64,
            ..BookConfig::default()
        };
        assert_eq!(
            L2Book::try_new(config).err(),
            Some(BookConfigError::WindowTicks { got: w })
        );
    }
    assert!(L2Book::try_new(BookConfig::default()).is_ok());
}

#[rstest::rstest]
#[case::min_not_power_of_two(100, 1024)]
#[case::min_below_64(32, 1024)]
#[case::min_above_max(2048, 1024)]
fn try_new_min_window_out_of_range_is_rejected(#[case] min: usize, #[case] max: usize) {
    let config = BookConfig {
        window_ticks: max,
        min_window_ticks: min,
        ..BookConfig::default()
    };
    let err = L2Book::try_new(config).err();
    assert_eq!(err, Some(BookConfigError::MinWindowTicks { got: min, max }));
    assert!(err.unwrap().to_string().contains("min_window_ticks"));
}

/// An adaptive book: 64 to 4,096 ticks.
fn adaptive_book() -> L2Book {
    L2Book::new(BookConfig {
        window_ticks: 4096,
        min_window_ticks: 64,
        top_n: 5,
        far_capacity: 64,
    })
}

#[rstest::rstest]
#[case::low_price_takes_the_minimum(1_000, 64)]
#[case::price_over_64_rounded_up(100_000, 2048)]
#[case::high_price_capped_at_the_maximum(10_000_000, 4096)]
fn first_level_sets_width_from_its_price(#[case] px: i64, #[case] width: u64) {
    let mut book = adaptive_book();
    set(&mut book, Side::Buy, px, 1);
    set(&mut book, Side::Sell, px + 1, 1);
    assert_eq!(book.bids.window_width(), width);
    assert_eq!(book.asks.window_width(), width);
}

#[test]
fn frequent_updates_just_below_window_double_it_and_keep_every_level() {
    let mut book = adaptive_book();
    // 100,000 ticks: 2,048 wide, base near 100,000 - 1,536.
    set(&mut book, Side::Buy, 100_000, 5);
    assert_eq!(book.bids.window_width(), 2048);
    let base = book.bids.window_base();
    // Keep setting and deleting levels within one width below the base: near misses.
    let mut model = std::collections::BTreeMap::new();
    model.insert(100_000i64, 5i64);
    for i in 0..600i64 {
        let px = base - 1 - (i * 7) % 500;
        let lots = if i % 3 == 2 { 0 } else { 1 + i };
        set(&mut book, Side::Buy, px, lots);
        if lots == 0 {
            model.remove(&px);
        } else {
            model.insert(px, lots);
        }
    }
    assert!(
        book.bids.window_width() >= 4096,
        "{}",
        book.bids.window_width()
    );
    let want: Vec<(i64, i64)> = model.iter().rev().map(|(&p, &q)| (p, q)).collect();
    assert_eq!(levels(&book, Side::Buy), want);
    assert_eq!(best(book.best_bid()), Some((100_000, 5)));
}

#[test]
fn rare_updates_far_below_window_do_not_grow_it() {
    let mut book = adaptive_book();
    set(&mut book, Side::Buy, 100_000, 5);
    for i in 0..2_000i64 {
        // Mostly near the touch; one in 50 at a tenth of the price.
        let px = if i % 50 == 0 {
            10_000 + i
        } else {
            99_990 - i % 8
        };
        set(&mut book, Side::Buy, px, 1 + i % 3);
    }
    assert_eq!(book.bids.window_width(), 2048);
}

#[test]
fn clone_keeps_levels_and_reserved_far_capacity() {
    let mut book = small_book(5);
    set(&mut book, Side::Buy, 1_000, 1);
    set(&mut book, Side::Buy, 10, 2);
    let copy = book.clone();
    assert_eq!(levels(&copy, Side::Buy), levels(&book, Side::Buy));
    assert_eq!(format!("{copy:?}"), format!("{book:?}"));
    assert_eq!(copy.bids.far_capacity(), book.bids.far_capacity());
    assert!(copy.bids.far_capacity() >= 16);
}

#[test]
fn far_diff_of_200k_descending_levels_moves_a_bounded_number_of_entries_per_level() {
    // Issue 9: one diff of 200,000 bids far below the touch, each worse than the one before,
    // took 5.4 s when every insert shifted all the far levels (about 100,000 moves per level).
    let mut book = L2Book::new(BookConfig::default());
    let touch = 6_000_000;
    for d in 0..20 {
        book.apply(
            Side::Buy,
            Price::from_ticks(touch - d),
            Quantity::from_lots(1),
        );
        book.apply(
            Side::Sell,
            Price::from_ticks(touch + 1 + d),
            Quantity::from_lots(1),
        );
    }
    let n = 200_000;
    let far = touch - 20_000; // below the 16,384-tick window
    for i in 0..n {
        let lots = 1 + i % 7;
        book.apply(
            Side::Buy,
            Price::from_ticks(far - i),
            Quantity::from_lots(lots),
        );
    }
    book.check_invariants();
    assert_eq!(book.len(Side::Buy), n as usize + 20);
    assert_eq!(best(book.best_bid()), Some((touch, 1)));
    assert_eq!(
        book.qty_at(Side::Buy, Price::from_ticks(far - 12_345))
            .lots(),
        1 + 12_345 % 7
    );
    let deepest = book.levels(Side::Buy).last().map(|l| l.price.ticks());
    assert_eq!(deepest, Some(far - (n - 1)));
    let per_level = book.bids.far_moves() / n as u64;
    assert!(
        per_level <= super::far::B as u64,
        "{per_level} far entries moved per level"
    );
    assert!(
        book.bids.far_height() <= 4,
        "far tree {} levels deep",
        book.bids.far_height()
    );
}

#[test]
fn apply_lots_beyond_a_u32_slot_stay_exact_in_window_far_store_and_top() {
    let mut book = small_book(3);
    let wide = i64::from(u32::MAX) + 1;
    set(&mut book, Side::Buy, 1_000, wide);
    set(&mut book, Side::Buy, 999, i64::MAX);
    set(&mut book, Side::Buy, 998, 7);
    // A new best far above moves the window: the wide levels go to the far store, exact.
    set(&mut book, Side::Buy, 5_000, wide * 2);
    assert_eq!(
        levels(&book, Side::Buy),
        vec![(5_000, wide * 2), (1_000, wide), (999, i64::MAX), (998, 7)]
    );
    // Removing the best brings them back into the window, still exact.
    set(&mut book, Side::Buy, 5_000, 0);
    assert_eq!(best(book.best_bid()), Some((1_000, wide)));
    assert_eq!(
        book.qty_at(Side::Buy, Price::from_ticks(999)).lots(),
        i64::MAX
    );
    assert_eq!(
        pairs(book.top().bids),
        vec![(1_000, wide), (999, i64::MAX), (998, 7)]
    );
    set(&mut book, Side::Buy, 999, 1);
    assert_eq!(book.qty_at(Side::Buy, Price::from_ticks(999)).lots(), 1);
}
