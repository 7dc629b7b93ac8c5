//! Occupancy bitmap helpers over physical slot ranges.
//!
//! One bit per ladder slot, 64 slots per `u64` word. Every function takes a half-open physical
//! range `[lo, hi)` that does not wrap; the ring mapping from logical offsets to physical slots
//! lives in [`super::ladder`]. Scans skip empty words whole and find the bit with
//! `leading_zeros` / `trailing_zeros`, so a scan over `k` slots costs `O(k / 64)`.

/// Sets bit `p`.
#[inline]
pub(super) fn set(words: &mut [u64], p: usize) {
    words[p >> 6] |= 1u64 << (p & 63);
}

/// Clears bit `p`.
#[inline]
pub(super) fn clear(words: &mut [u64], p: usize) {
    words[p >> 6] &= !(1u64 << (p & 63));
}

/// The highest set bit in `[lo, hi)`, if any.
///
/// # Hot path
/// No allocation, no lock. `O((hi - lo) / 64)` word reads; one or two when a level is near.
#[inline]
pub(super) fn highest_in(words: &[u64], lo: usize, hi: usize) -> Option<usize> {
    if lo >= hi {
        return None;
    }
    let last = hi - 1;
    let lo_w = lo >> 6;
    let mut w = last >> 6;
    let mut word = words[w] & (u64::MAX >> (63 - (last & 63)));
    loop {
        if w == lo_w {
            word &= u64::MAX << (lo & 63);
        }
        if word != 0 {
            return Some((w << 6) + 63 - word.leading_zeros() as usize);
        }
        if w == lo_w {
            return None;
        }
        w -= 1;
        word = words[w];
    }
}

/// Clears every set bit in `[lo, hi)` and calls `f` with each one, lowest first.
///
/// `O((hi - lo) / 64 + bits set)`; used only when the window moves.
pub(super) fn drain_in(words: &mut [u64], lo: usize, hi: usize, mut f: impl FnMut(usize)) {
    if lo >= hi {
        return;
    }
    let last = hi - 1;
    let hi_w = last >> 6;
    let mut w = lo >> 6;
    let mut keep_mask = !(u64::MAX << (lo & 63));
    loop {
        if w == hi_w {
            keep_mask |= !(u64::MAX >> (63 - (last & 63)));
        }
        let mut taken = words[w] & !keep_mask;
        words[w] &= keep_mask;
        while taken != 0 {
            f((w << 6) + taken.trailing_zeros() as usize);
            taken &= taken - 1;
        }
        if w == hi_w {
            return;
        }
        w += 1;
        keep_mask = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_bits(bits: &[usize]) -> Vec<u64> {
        let mut words = vec![0u64; 4];
        for &b in bits {
            set(&mut words, b);
        }
        words
    }

    #[test]
    fn highest_in_range_respects_both_bounds() {
        let words = with_bits(&[3, 64, 130, 255]);
        assert_eq!(highest_in(&words, 0, 256), Some(255));
        assert_eq!(highest_in(&words, 0, 255), Some(130));
        assert_eq!(highest_in(&words, 0, 130), Some(64));
        assert_eq!(highest_in(&words, 4, 64), None);
        assert_eq!(highest_in(&words, 3, 4), Some(3));
        assert_eq!(highest_in(&words, 65, 130), None);
        assert_eq!(highest_in(&words, 10, 10), None);
    }

    #[test]
    fn drain_in_range_clears_only_inside_lowest_first() {
        let mut words = with_bits(&[3, 63, 64, 130, 255]);
        let mut seen = Vec::new();
        drain_in(&mut words, 4, 131, |p| seen.push(p));
        assert_eq!(seen, vec![63, 64, 130]);
        assert_eq!(words, with_bits(&[3, 255]));
        clear(&mut words, 3);
        assert_eq!(words, with_bits(&[255]));
    }
}
