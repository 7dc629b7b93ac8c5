//! Test-only views of a far store: its reserved capacity, moves, height, and a check of every
//! tree invariant (see the parent module's docs).

use super::*;

impl Far {
    /// Levels the reserved pool takes for sure (whatever the order of inserts and removals).
    pub(in crate::book) fn capacity(&self) -> usize {
        let nodes = self.nodes.capacity();
        let (mut lo, mut hi) = (0, nodes * B);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if nodes_for(mid) <= nodes {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }

    /// Entries copied since the last clear.
    pub(in crate::book) fn moves(&self) -> u64 {
        self.moves
    }

    /// Inner levels above the leaves.
    pub(in crate::book) fn height(&self) -> usize {
        self.height
    }

    /// Checks every invariant of the tree (see the module docs), and that all levels rank below
    /// `limit`.
    pub(in crate::book) fn check(&self, limit: i64) {
        if self.root == NIL {
            assert_eq!(
                (self.live, self.last, self.first, self.height),
                (0, NIL, NIL, 0),
                "empty store"
            );
            return;
        }
        let mut leaves = Vec::new();
        self.check_node(self.root, 0, None, None, &mut leaves);
        assert_eq!(leaves.last().copied(), Some(self.last), "last leaf");
        assert_eq!(leaves.first().copied(), Some(self.first), "first leaf");
        let mut prev = NIL;
        for (k, &leaf) in leaves.iter().enumerate() {
            let n = &self.nodes[leaf as usize];
            assert_eq!(n.prev, prev, "leaf {k}: prev link");
            assert_eq!(
                n.next,
                leaves.get(k + 1).copied().unwrap_or(NIL),
                "next link"
            );
            prev = leaf;
        }
        let all: Vec<FarLevel> = self.iter_best_first().collect();
        assert_eq!(all.len(), self.live, "live count");
        for pair in all.windows(2) {
            assert!(
                pair[0].rank > pair[1].rank,
                "not strictly ordered: {pair:?}"
            );
        }
        for l in &all {
            assert!(l.lots > 0, "far level without lots: {l:?}");
            assert!(
                l.rank < limit,
                "far level {l:?} not below the window base {limit}"
            );
        }
        let mut free = 0;
        let mut f = self.free;
        while f != NIL {
            free += 1;
            f = self.nodes[f as usize].next;
        }
        let used = self.nodes.len() - free;
        assert!(
            used <= nodes_for(self.live),
            "{used} nodes in use for {} levels",
            self.live
        );
    }

    fn check_node(
        &self,
        node: u32,
        depth: usize,
        lo: Option<i64>,
        hi: Option<i64>,
        leaves: &mut Vec<u32>,
    ) {
        let n = &self.nodes[node as usize];
        let len = n.len();
        let is_root = node == self.root;
        let min = match (is_root, depth == self.height) {
            (false, _) => MIN,
            (true, true) => 1,
            (true, false) => 2,
        };
        assert!(
            len >= min && len <= B,
            "node {node} at depth {depth}: {len} entries"
        );
        if depth == self.height {
            for w in n.keys[..len].windows(2) {
                assert!(w[0] < w[1], "leaf {node} not sorted");
            }
            if let Some(lo) = lo {
                assert!(n.keys[0] >= lo, "leaf {node} below its separator");
            }
            if let Some(hi) = hi {
                assert!(n.keys[len - 1] < hi, "leaf {node} above its separator");
            }
            leaves.push(node);
            return;
        }
        for w in n.keys[1..len].windows(2) {
            assert!(w[0] < w[1], "inner node {node} not sorted");
        }
        for s in 0..len {
            let lo = if s == 0 { lo } else { Some(n.keys[s]) };
            let hi = if s + 1 < len { Some(n.keys[s + 1]) } else { hi };
            self.check_node(n.child(s), depth + 1, lo, hi, leaves);
        }
    }
}
