//! Best-first iteration over the far store's leaf chain (split from `far/mod.rs` to keep it
//! short): from the best level of the last leaf down to the worst of the first.

use super::{FarLevel, NIL, Node};

/// Far levels best first.
pub(in crate::book) struct BestFirst<'a> {
    nodes: &'a [Node],
    leaf: u32,
    /// Entries of `leaf` not yet visited.
    left: usize,
}

impl<'a> BestFirst<'a> {
    /// From the last `left` entries of `leaf` down through the leaf chain.
    pub(super) fn new(nodes: &'a [Node], leaf: u32, left: usize) -> Self {
        Self { nodes, leaf, left }
    }
}

impl Iterator for BestFirst<'_> {
    type Item = FarLevel;

    #[inline]
    fn next(&mut self) -> Option<FarLevel> {
        while self.left == 0 {
            if self.leaf == NIL {
                return None;
            }
            self.leaf = self.nodes[self.leaf as usize].prev;
            if self.leaf == NIL {
                return None;
            }
            self.left = self.nodes[self.leaf as usize].len();
        }
        self.left -= 1;
        let n = &self.nodes[self.leaf as usize];
        Some(FarLevel {
            rank: n.keys[self.left],
            lots: n.vals[self.left],
        })
    }
}
