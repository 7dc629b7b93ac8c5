//! Exact L2 order books in integer ticks and lots.
