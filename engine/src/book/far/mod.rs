//! Levels of one side that lie outside its window: a B+tree over a pool of fixed-size nodes.
//!
//! Far levels are always worse than every level in the window (see the invariants in
//! [`super::side`]). The window hands levels over at the far store's best end: a move up pushes
//! the levels it evicts (each better than every far level), a move down drains the far levels
//! that enter it (a suffix of the best ones).
//!
//! # Why a tree
//! The store used to be one sorted `Vec`. An insert worse than every level (a diff listing deep
//! bids in descending order, far from the touch) then shifted the whole `Vec`: 200,000 such
//! levels took 5.4 s (issue 9). Here every insert, update and removal is `O(log n)`: a descent
//! through nodes of at most [`B`] ranks, a shift of at most `B` entries in one node, and a split
//! or merge per level at worst. Appending above every level (the window's hand-over, an
//! ascending diff) skips the descent while the last leaf has room, and an update within the
//! first or the last leaf's ranks skips it too: on the shared USD-M capture, 46 % of the far
//! updates are three stub bids at 1,000, 5,000 and 33,000 USDT (the book's lowest), and the
//! levels just below the window are the far store's best.
//!
//! # Layout
//! Nodes live in one `Vec` used as a pool: a node freed by a merge goes on a free list and is
//! reused before the `Vec` grows, so nothing allocates once the pool has reached the side's
//! peak size. [`Far::with_capacity`] reserves the nodes that `capacity` levels can need in the
//! worst case (every non-root node at least half full). Each node holds up to `B` sorted ranks
//! with a value per rank: lots in a leaf, a child's index in an inner node. Leaves are linked
//! both ways in rank order for best-first iteration.
//!
//! # Invariants ([`Far::check`])
//! - Every leaf is at the same depth; ranks are strictly ascending along the leaf chain.
//! - Every node but the root holds at least [`MIN`] entries; an inner root holds at least 2.
//! - In an inner node, `keys[i]` (`i >= 1`) separates child `i - 1` (all ranks `< keys[i]`) from
//!   child `i` (all ranks `>= keys[i]`). `keys[0]` takes no part in routing; before entries move
//!   between two siblings it is set to the parent's separator, so that it moves as one.
//! - No leaf is empty, and no level has zero lots.

/// Most entries per node. 32 ranks and 32 values fill 512 bytes: eight cache lines, short
/// shifts, and at most five nodes from the root to any of 100,000 levels.
pub(super) const B: usize = 32;
/// Fewest entries per non-root node.
const MIN: usize = B / 2;
/// Inner levels the fixed descent path can record. A tree `h` inner levels deep holds at least
/// `2 * MIN^h` levels, so memory runs out long before this depth.
const MAX_DEPTH: usize = 16;
/// No node.
const NIL: u32 = u32::MAX;

/// One far entry, in rank space (`rank = price ^ flip`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FarLevel {
    /// Rank of the level; higher is better.
    pub(super) rank: i64,
    /// Lots resting there, `> 0`.
    pub(super) lots: i64,
}

/// A node: a leaf (values are lots) or an inner node (values are child indices).
#[derive(Clone, Copy)]
struct Node {
    len: u32,
    /// Leaves: the previous leaf in rank order (`NIL` for the first).
    prev: u32,
    /// Leaves: the next leaf in rank order (`NIL` for the last); free nodes: the next free node.
    next: u32,
    keys: [i64; B],
    vals: [i64; B],
}

impl Node {
    const EMPTY: Node = Node {
        len: 0,
        prev: NIL,
        next: NIL,
        keys: [0; B],
        vals: [0; B],
    };

    #[inline]
    fn len(&self) -> usize {
        self.len as usize
    }

    /// The child of an inner node at `slot`.
    #[inline]
    fn child(&self, slot: usize) -> u32 {
        self.vals[slot] as u32
    }

    /// The slot of an inner node whose child covers `rank`.
    #[inline]
    fn route(&self, rank: i64) -> usize {
        self.keys[1..self.len()].partition_point(|&k| k <= rank)
    }

    /// Inserts `(key, val)` at `at` (the node has room); returns the entries shifted.
    #[inline]
    fn insert_at(&mut self, at: usize, key: i64, val: i64) -> usize {
        let len = self.len();
        debug_assert!(len < B && at <= len);
        self.keys.copy_within(at..len, at + 1);
        self.vals.copy_within(at..len, at + 1);
        self.keys[at] = key;
        self.vals[at] = val;
        self.len += 1;
        len - at
    }

    /// Removes the entry at `at`; returns the entries shifted.
    #[inline]
    fn remove_at(&mut self, at: usize) -> usize {
        let len = self.len();
        debug_assert!(at < len);
        self.keys.copy_within(at + 1..len, at);
        self.vals.copy_within(at + 1..len, at);
        self.len -= 1;
        len - 1 - at
    }
}

/// A descent from the root: for each inner node on the way, the node and the slot taken.
struct Path {
    steps: [(u32, u32); MAX_DEPTH],
    depth: usize,
}

/// Far levels of one side.
pub(super) struct Far {
    nodes: Vec<Node>,
    /// Head of the free list (`NIL` when empty).
    free: u32,
    /// `NIL` when the store is empty.
    root: u32,
    /// Inner levels above the leaves (0: the root is a leaf).
    height: usize,
    /// The last leaf in rank order, holding the best level (`NIL` when empty).
    last: u32,
    /// The first leaf in rank order, holding the worst level (`NIL` when empty). A split keeps
    /// a node's lower half in place and a merge keeps the left node, so the first leaf stays
    /// the same node for as long as the store holds a level.
    first: u32,
    /// Number of levels.
    live: usize,
    /// Entries copied by inserts, removals, splits and merges since the last clear; test builds
    /// only, for the complexity tests.
    #[cfg(test)]
    moves: u64,
}

impl Clone for Far {
    /// Keeps the reserved pool (a derived clone would shrink it to the length).
    fn clone(&self) -> Self {
        let mut nodes = Vec::with_capacity(self.nodes.capacity());
        nodes.extend_from_slice(&self.nodes);
        Self {
            nodes,
            free: self.free,
            root: self.root,
            height: self.height,
            last: self.last,
            first: self.first,
            live: self.live,
            #[cfg(test)]
            moves: self.moves,
        }
    }
}

impl Far {
    /// An empty store whose pool can hold `capacity` levels, however they were inserted and
    /// removed, without allocating.
    pub(super) fn with_capacity(capacity: usize) -> Self {
        Self {
            nodes: Vec::with_capacity(nodes_for(capacity)),
            free: NIL,
            root: NIL,
            height: 0,
            last: NIL,
            first: NIL,
            live: 0,
            #[cfg(test)]
            moves: 0,
        }
    }

    /// Number of far levels.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.live
    }

    /// The best (highest-ranked) far level.
    #[inline]
    pub(super) fn best(&self) -> Option<FarLevel> {
        if self.last == NIL {
            return None;
        }
        let n = &self.nodes[self.last as usize];
        let i = n.len() - 1;
        Some(FarLevel {
            rank: n.keys[i],
            lots: n.vals[i],
        })
    }

    /// Lots at `rank`, `0` when absent. `O(log n)`.
    pub(super) fn get(&self, rank: i64) -> i64 {
        if self.root == NIL {
            return 0;
        }
        let leaf = &self.nodes[self.leaf_for(rank) as usize];
        leaf.keys[..leaf.len()]
            .binary_search(&rank)
            .map_or(0, |i| leaf.vals[i])
    }

    /// Sets `rank` to `lots > 0`, inserting the level if new.
    ///
    /// # Hot path
    /// No lock; no allocation while the pool has room (see [`Far::with_capacity`]).
    /// `O(log n)`: a descent, a shift of at most `B` entries, and at worst a split per level.
    /// `O(1)` above every far level while the last leaf has room; no descent for a rank within
    /// the first or the last leaf's ranks (see [`Self::end_or_leaf_for`]).
    #[inline]
    pub(super) fn set(&mut self, rank: i64, lots: i64) {
        debug_assert!(lots > 0);
        if self.last != NIL {
            let leaf = &mut self.nodes[self.last as usize];
            let len = leaf.len();
            if len < B && leaf.keys[len - 1] < rank {
                leaf.keys[len] = rank;
                leaf.vals[len] = lots;
                leaf.len += 1;
                self.live += 1;
                return;
            }
        } else {
            let leaf = self.alloc();
            let n = &mut self.nodes[leaf as usize];
            n.keys[0] = rank;
            n.vals[0] = lots;
            n.len = 1;
            (self.root, self.last, self.first, self.height) = (leaf, leaf, leaf, 0);
            self.live = 1;
            return;
        }
        let leaf = self.end_or_leaf_for(rank);
        let n = &mut self.nodes[leaf as usize];
        match n.keys[..n.len()].binary_search(&rank) {
            Ok(i) => n.vals[i] = lots,
            Err(i) => {
                self.live += 1;
                if n.len() < B {
                    let moved = n.insert_at(i, rank, lots);
                    self.count_moves(moved);
                } else {
                    // A split: descend again, recording the way up.
                    let (path, leaf) = self.descend(rank);
                    self.insert(&path, leaf, i, rank, lots);
                }
            }
        }
    }

    /// Removes the level at `rank`; returns whether one was there.
    ///
    /// # Hot path
    /// No allocation, no lock. `O(log n)`: a descent (none within the first or the last leaf),
    /// a shift of at most `B` entries, and at worst a merge per level.
    #[inline]
    pub(super) fn remove(&mut self, rank: i64) -> bool {
        if self.root == NIL {
            return false;
        }
        let leaf = self.end_or_leaf_for(rank);
        let n = &mut self.nodes[leaf as usize];
        let Ok(i) = n.keys[..n.len()].binary_search(&rank) else {
            return false;
        };
        let moved = n.remove_at(i);
        let underfull = (n.len() < MIN && leaf != self.root) || n.len() == 0;
        self.count_moves(moved);
        self.live -= 1;
        if underfull {
            // A merge or refill: descend again (the separators are unchanged), recording the
            // way up.
            let (path, leaf) = self.descend(rank);
            self.rebalance(&path, leaf);
        }
        true
    }

    /// Removes every level ranked `>= min_rank` (a suffix) and hands it to `f`, lowest first.
    ///
    /// `O(log n + k)` amortised for `k` levels: the last leaf is cut down to its minimum at
    /// once, then one ordinary removal merges or evens it out with its left sibling.
    pub(super) fn drain_from(&mut self, min_rank: i64, mut f: impl FnMut(FarLevel)) {
        if self.root == NIL {
            return;
        }
        let (_, mut leaf) = self.descend(min_rank);
        let n = &self.nodes[leaf as usize];
        let mut from = n.keys[..n.len()].partition_point(|&k| k < min_rank);
        let mut k = 0;
        while leaf != NIL {
            let n = &self.nodes[leaf as usize];
            for s in from..n.len() {
                f(FarLevel {
                    rank: n.keys[s],
                    lots: n.vals[s],
                });
            }
            k += n.len() - from;
            (leaf, from) = (n.next, 0);
        }
        while k > 0 {
            let n = &mut self.nodes[self.last as usize];
            let len = n.len();
            let spare = if self.height == 0 { len } else { len - MIN };
            let take = spare.min(k);
            if take > 0 {
                n.len -= take as u32;
                (self.live, k) = (self.live - take, k - take);
                if n.len == 0 {
                    self.release(self.root);
                    (self.root, self.last, self.first) = (NIL, NIL, NIL);
                }
            } else {
                let rank = n.keys[len - 1];
                self.remove(rank);
                k -= 1;
            }
        }
    }

    /// Every far level, best first.
    #[inline]
    pub(super) fn iter_best_first(&self) -> BestFirst<'_> {
        let left = if self.last == NIL {
            0
        } else {
            self.nodes[self.last as usize].len()
        };
        BestFirst::new(&self.nodes, self.last, left)
    }

    /// Removes every level; keeps the pool's memory.
    pub(super) fn clear(&mut self) {
        self.nodes.clear();
        (self.free, self.root, self.last, self.first) = (NIL, NIL, NIL, NIL);
        self.height = 0;
        self.live = 0;
        #[cfg(test)]
        {
            self.moves = 0;
        }
    }

    // ---- the tree ----

    /// [`Self::leaf_for`], without a descent when `rank` is within the first or the last leaf's
    /// ranks (the levels a venue keeps updating far from the touch are often the book's
    /// extremes, and those just below the window are the far store's best). The last leaf covers
    /// every rank from its first key (its separator is at most that key), the first every rank
    /// up to its last key (its right neighbour's separator is above it).
    #[inline]
    fn end_or_leaf_for(&self, rank: i64) -> u32 {
        let last = &self.nodes[self.last as usize];
        if rank >= last.keys[0] {
            return self.last;
        }
        let first = &self.nodes[self.first as usize];
        if rank <= first.keys[first.len() - 1] {
            return self.first;
        }
        self.leaf_for(rank)
    }

    /// The leaf whose range covers `rank` (the store is not empty).
    #[inline]
    fn leaf_for(&self, rank: i64) -> u32 {
        let mut node = self.root;
        for _ in 0..self.height {
            let n = &self.nodes[node as usize];
            node = n.child(n.route(rank));
        }
        node
    }

    /// The leaf whose range covers `rank`, and the inner nodes above it.
    #[inline]
    fn descend(&self, rank: i64) -> (Path, u32) {
        let mut path = Path {
            steps: [(NIL, 0); MAX_DEPTH],
            depth: self.height,
        };
        let mut node = self.root;
        for step in &mut path.steps[..self.height] {
            let n = &self.nodes[node as usize];
            let slot = n.route(rank);
            *step = (node, slot as u32);
            node = n.child(slot);
        }
        (path, node)
    }

    /// Inserts `(key, val)` at `at` in `node`, the node at depth `path.depth` of `path`,
    /// splitting it (and its ancestors) when full.
    fn insert(&mut self, path: &Path, mut node: u32, mut at: usize, mut key: i64, mut val: i64) {
        let mut depth = path.depth;
        loop {
            let n = &mut self.nodes[node as usize];
            if n.len() < B {
                let moved = n.insert_at(at, key, val);
                self.count_moves(moved);
                return;
            }
            // Full: move the upper half to a new right sibling, then insert into either half.
            let leaf = depth == self.height;
            let right = self.alloc();
            let [n, r] = self
                .nodes
                .get_disjoint_mut([node as usize, right as usize])
                .unwrap_or_else(|_| unreachable!("a fresh node is not the full one"));
            r.keys[..B - MIN].copy_from_slice(&n.keys[MIN..]);
            r.vals[..B - MIN].copy_from_slice(&n.vals[MIN..]);
            r.len = (B - MIN) as u32;
            n.len = MIN as u32;
            let moved = if at <= MIN {
                n.insert_at(at, key, val)
            } else {
                r.insert_at(at - MIN, key, val)
            };
            // The separator: the right half's lowest rank (leaf) or lower bound (inner node);
            // `at - MIN >= 1` above, so the insert did not change it.
            let sep = r.keys[0];
            let lower = n.keys[0];
            let next = n.next;
            if leaf {
                (r.prev, r.next, n.next) = (node, next, right);
                match next {
                    NIL => self.last = right,
                    next => self.nodes[next as usize].prev = right,
                }
            }
            self.count_moves(B - MIN + moved);
            if depth == 0 {
                let root = self.alloc();
                let n = &mut self.nodes[root as usize];
                n.keys[..2].copy_from_slice(&[lower, sep]);
                n.vals[..2].copy_from_slice(&[i64::from(node), i64::from(right)]);
                n.len = 2;
                self.root = root;
                self.height += 1;
                assert!(
                    self.height < MAX_DEPTH,
                    "far store deeper than {MAX_DEPTH} levels"
                );
                return;
            }
            depth -= 1;
            let (parent, slot) = path.steps[depth];
            (node, at, key, val) = (parent, slot as usize + 1, sep, i64::from(right));
        }
    }

    /// After a removal from `node` (the leaf at the end of `path`): merges or evens out
    /// underfull nodes up the path, and shortens the tree when the root is left with one child.
    fn rebalance(&mut self, path: &Path, mut node: u32) {
        let mut depth = path.depth;
        while depth > 0 && self.nodes[node as usize].len() < MIN {
            let leaf = depth == self.height;
            depth -= 1;
            let (parent, slot) = path.steps[depth];
            // The pair to even out: `left` at slot `j - 1` and `right` at slot `j` of `parent`.
            let j = (slot as usize).max(1);
            let p = &self.nodes[parent as usize];
            let (left, right, sep) = (p.child(j - 1), p.child(j), p.keys[j]);
            if !leaf {
                // An inner node's `keys[0]` may be stale; moving entries needs its bound.
                self.nodes[right as usize].keys[0] = sep;
            }
            let [l, r] = self
                .nodes
                .get_disjoint_mut([left as usize, right as usize])
                .unwrap_or_else(|_| unreachable!("siblings are distinct"));
            let (ll, rl) = (l.len(), r.len());
            if ll + rl <= B {
                // Merge `right` into `left` and drop it from `parent`.
                l.keys[ll..ll + rl].copy_from_slice(&r.keys[..rl]);
                l.vals[ll..ll + rl].copy_from_slice(&r.vals[..rl]);
                l.len = (ll + rl) as u32;
                let next = r.next;
                if leaf {
                    l.next = next;
                    match next {
                        NIL => self.last = left,
                        next => self.nodes[next as usize].prev = left,
                    }
                }
                self.release(right);
                let moved = self.nodes[parent as usize].remove_at(j);
                self.count_moves(rl + moved);
                node = parent;
            } else {
                // More than `B` between them: split them evenly, each at least `MIN`.
                let want = (ll + rl) / 2;
                if ll > want {
                    let m = ll - want;
                    r.keys.copy_within(..rl, m);
                    r.vals.copy_within(..rl, m);
                    r.keys[..m].copy_from_slice(&l.keys[want..ll]);
                    r.vals[..m].copy_from_slice(&l.vals[want..ll]);
                } else {
                    let m = want - ll;
                    l.keys[ll..want].copy_from_slice(&r.keys[..m]);
                    l.vals[ll..want].copy_from_slice(&r.vals[..m]);
                    r.keys.copy_within(m..rl, 0);
                    r.vals.copy_within(m..rl, 0);
                }
                l.len = want as u32;
                r.len = (ll + rl - want) as u32;
                // The right node's first rank (leaf) or its new lower bound (inner node).
                let sep = r.keys[0];
                self.nodes[parent as usize].keys[j] = sep;
                self.count_moves(ll + rl);
                return;
            }
        }
        if depth == 0 {
            let root = &self.nodes[self.root as usize];
            if self.height > 0 && root.len() == 1 {
                let child = root.child(0);
                self.release(self.root);
                self.root = child;
                self.height -= 1;
            } else if self.height == 0 && root.len() == 0 {
                self.release(self.root);
                (self.root, self.last, self.first) = (NIL, NIL, NIL);
            }
        }
    }

    /// A fresh node from the free list, or a new one (the only place the pool may grow).
    #[inline]
    fn alloc(&mut self) -> u32 {
        if self.free != NIL {
            let i = self.free;
            self.free = self.nodes[i as usize].next;
            self.nodes[i as usize] = Node::EMPTY;
            i
        } else {
            let i = u32::try_from(self.nodes.len()).expect("far store of 4 billion nodes");
            self.nodes.push(Node::EMPTY);
            i
        }
    }

    fn release(&mut self, i: u32) {
        let n = &mut self.nodes[i as usize];
        n.len = 0;
        n.next = self.free;
        self.free = i;
    }

    #[inline]
    fn count_moves(&mut self, _n: usize) {
        #[cfg(test)]
        {
            self.moves += _n as u64;
        }
    }
}

/// Nodes a store of `levels` levels can need: every non-root node at least [`MIN`] full.
fn nodes_for(levels: usize) -> usize {
    let mut total = 1;
    let mut row = levels.div_ceil(MIN);
    while row > 1 {
        total += row;
        row = row.div_ceil(MIN);
    }
    total
}

mod iter;

pub(super) use iter::BestFirst;

#[cfg(test)]
mod check;
#[cfg(test)]
mod tests;
