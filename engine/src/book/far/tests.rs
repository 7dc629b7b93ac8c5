//! Far store against a `BTreeMap` model in every insert order; complexity, pool and drain.

use super::*;
use rstest::rstest;
use std::collections::BTreeMap;

/// `n` distinct ranks in a named order.
fn order(name: &str, n: i64) -> Vec<i64> {
    match name {
        "ascending" => (0..n).collect(),
        "descending" => (0..n).rev().collect(),
        // Alternately the lowest and the highest left: every insert lands in the middle.
        "zigzag_to_middle" => (0..n)
            .map(|i| if i % 2 == 0 { i / 2 } else { n - 1 - i / 2 })
            .collect(),
        // Strided: each pass fills the gaps of the one before, all over the store.
        "strided" => (0..7).flat_map(|r| (r..n).step_by(7)).collect(),
        "shuffled" => {
            let mut v: Vec<i64> = (0..n).collect();
            let mut x = 0x2545_F491_4F6C_DD1Du64;
            for i in (1..v.len()).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                v.swap(i, (x % (i as u64 + 1)) as usize);
            }
            v
        }
        _ => unreachable!("no order {name}"),
    }
}

fn contents(far: &Far) -> Vec<(i64, i64)> {
    far.iter_best_first().map(|l| (l.rank, l.lots)).collect()
}

fn model_contents(model: &BTreeMap<i64, i64>) -> Vec<(i64, i64)> {
    model.iter().rev().map(|(&r, &q)| (r, q)).collect()
}

#[rstest]
#[case::ascending("ascending")]
#[case::descending("descending")]
#[case::zigzag_to_middle("zigzag_to_middle")]
#[case::strided("strided")]
#[case::shuffled("shuffled")]
fn far_inserts_updates_and_removals_in_any_order_match_btreemap(#[case] name: &str) {
    let n = 3_000;
    let mut far = Far::with_capacity(64);
    let mut model = BTreeMap::new();
    for (i, &r) in order(name, n).iter().enumerate() {
        far.set(r * 3, r + 1);
        model.insert(r * 3, r + 1);
        if i % 97 == 0 {
            far.check(i64::MAX);
        }
    }
    far.check(i64::MAX);
    assert_eq!(contents(&far), model_contents(&model));
    // Updates change lots in place; gets see every level and nothing between them.
    for r in (0..n).step_by(5) {
        far.set(r * 3, 7);
        model.insert(r * 3, 7);
    }
    for r in 0..n * 3 {
        assert_eq!(far.get(r), model.get(&r).copied().unwrap_or(0), "get {r}");
    }
    // Remove two thirds in the same order (and some absent ranks), then the rest reversed.
    for (i, &r) in order(name, n).iter().enumerate() {
        if r % 3 != 0 {
            assert!(far.remove(r * 3));
            model.remove(&(r * 3));
        }
        assert!(!far.remove(r * 3 + 1), "absent rank");
        if i % 97 == 0 {
            far.check(i64::MAX);
        }
    }
    far.check(i64::MAX);
    assert_eq!(contents(&far), model_contents(&model));
    assert_eq!(
        far.best().map(|l| l.rank),
        model.keys().next_back().copied()
    );
    for &r in order(name, n).iter().rev() {
        assert_eq!(far.remove(r * 3), model.remove(&(r * 3)).is_some());
    }
    far.check(i64::MAX);
    assert_eq!((far.len(), far.best()), (0, None));
}

#[rstest]
#[case::descending("descending")]
#[case::zigzag_to_middle("zigzag_to_middle")]
#[case::shuffled("shuffled")]
fn far_insert_moves_a_bounded_number_of_entries_per_level_in_any_order(#[case] name: &str) {
    // A sorted `Vec` moves about n/2 entries per level in the first two orders; the tree
    // moves at most a node's worth per level on average, whatever n is.
    let n = 50_000;
    let mut far = Far::with_capacity(0);
    for r in order(name, n) {
        far.set(r, 1);
    }
    far.check(i64::MAX);
    let per_level = far.moves() as f64 / n as f64;
    assert!(per_level <= B as f64, "{per_level} entries moved per level");
    // Every non-root node at least half full: n levels need at most log_MIN(n) + 1 levels.
    let bound = (n as f64).log(MIN as f64).ceil() as usize;
    assert!(far.height() <= bound, "height {} > {bound}", far.height());
}

#[test]
fn far_pool_does_not_grow_within_the_reserved_capacity() {
    let levels = 2_000;
    let mut far = Far::with_capacity(levels);
    let reserved = far.capacity();
    for name in ["descending", "zigzag_to_middle", "shuffled", "ascending"] {
        for r in order(name, levels as i64) {
            far.set(r, 1);
        }
        for r in order(name, levels as i64)
            .into_iter()
            .filter(|r| r % 4 != 0)
        {
            far.remove(r);
        }
        far.check(i64::MAX);
    }
    assert_eq!(far.len(), levels / 4);
    assert_eq!(far.capacity(), reserved, "the pool grew");
    let copy = far.clone();
    assert_eq!(copy.capacity(), reserved, "a clone keeps the pool");
    assert_eq!(contents(&copy), contents(&far));
    far.clear();
    assert_eq!((far.len(), far.capacity()), (0, reserved));
}

#[rstest]
#[case::none_above(10_000, 0)]
#[case::within_the_last_leaf(2_990, 10)]
#[case::many_leaves(1_000, 2_000)]
#[case::everything(-5, 3_000)]
fn drain_from_hands_over_the_suffix_lowest_first(#[case] from: i64, #[case] want: usize) {
    let mut far = Far::with_capacity(16);
    for r in order("shuffled", 3_000) {
        far.set(r, r + 1);
    }
    let mut got = Vec::new();
    far.drain_from(from, |l| got.push((l.rank, l.lots)));
    far.check(from);
    let expect: Vec<(i64, i64)> = (from.max(0)..3_000).map(|r| (r, r + 1)).collect();
    assert_eq!(got, expect);
    assert_eq!(got.len(), want);
    assert_eq!(far.len(), 3_000 - want);
    assert_eq!(
        far.best().map(|l| l.rank),
        (from > 0).then(|| from.min(3_000) - 1)
    );
}
