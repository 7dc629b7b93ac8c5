//! The ladder's storage: a `u32` quantity slot per tick of the widest window and an occupancy
//! bit per slot, 64 to a word, read and written on the hot path without bounds checks.
//!
//! The one `unsafe` of the book, kept to this file. Its soundness rests on one invariant, set
//! in [`Slots::new`] and never changed after: `qty.len()` is a power of two of at least 64,
//! `bits.len() == qty.len() / 64`, and `last == qty.len() - 1`. Every unchecked access masks its
//! slot with `last` first, so whatever slot a caller passes, the index is in bounds. The slices
//! lent for the cold paths cannot change a length either. The masking costs one `and`, against
//! a load of the length, a compare and a branch for each checked access (7 instructions per
//! level update on the shared captures, callgrind).

/// Quantity slots and occupancy bits over a power-of-two number of slots.
#[derive(Clone)]
pub(super) struct Slots {
    qty: Box<[u32]>,
    bits: Box<[u64]>,
    /// `qty.len() - 1`.
    last: usize,
}

impl Slots {
    /// `capacity` empty slots.
    ///
    /// # Panics
    /// If `capacity` is not a power of two of at least 64.
    pub(super) fn new(capacity: usize) -> Self {
        assert!(
            capacity.is_power_of_two() && capacity >= 64,
            "slots: capacity {capacity} is not a power of two of at least 64"
        );
        Self {
            qty: vec![0; capacity].into_boxed_slice(),
            bits: vec![0; capacity / 64].into_boxed_slice(),
            last: capacity - 1,
        }
    }

    /// Number of slots.
    #[inline]
    pub(super) fn capacity(&self) -> usize {
        self.last + 1
    }

    /// The quantity slot `slot & (capacity - 1)`.
    #[inline]
    pub(super) fn get(&self, slot: usize) -> u32 {
        let i = slot & self.last;
        // SAFETY: `i <= last == qty.len() - 1` (the invariant in the module docs).
        #[allow(unsafe_code)]
        unsafe {
            *self.qty.get_unchecked(i)
        }
    }

    /// Stores `value` in the quantity slot `slot & (capacity - 1)`.
    #[inline]
    pub(super) fn set(&mut self, slot: usize, value: u32) {
        let i = slot & self.last;
        // SAFETY: `i <= last == qty.len() - 1` (the invariant in the module docs).
        #[allow(unsafe_code)]
        unsafe {
            *self.qty.get_unchecked_mut(i) = value;
        }
    }

    /// Stores `value` in the quantity slot `slot & (capacity - 1)` and returns the old value.
    #[inline]
    pub(super) fn replace(&mut self, slot: usize, value: u32) -> u32 {
        let old = self.get(slot);
        self.set(slot, value);
        old
    }

    /// Flips the occupancy bit of slot `slot & (capacity - 1)` if `flip` is 1 (`flip` is 0 or 1).
    #[inline]
    pub(super) fn flip(&mut self, slot: usize, flip: u64) {
        debug_assert!(flip <= 1);
        let i = slot & self.last;
        // SAFETY: `i >> 6 <= last >> 6 == qty.len() / 64 - 1 == bits.len() - 1` (the invariant
        // in the module docs: `qty.len()` is a multiple of 64).
        #[allow(unsafe_code)]
        unsafe {
            *self.bits.get_unchecked_mut(i >> 6) ^= flip << (i & 63);
        }
    }

    /// Every quantity slot (checked access); test builds only.
    #[cfg(test)]
    pub(super) fn qty(&self) -> &[u32] {
        &self.qty
    }

    /// Every quantity slot, mutable (a slice: its length cannot change).
    #[inline]
    pub(super) fn qty_mut(&mut self) -> &mut [u32] {
        &mut self.qty
    }

    /// Every occupancy word (checked access, for the cold paths).
    #[inline]
    pub(super) fn bits(&self) -> &[u64] {
        &self.bits
    }

    /// Every occupancy word, mutable (a slice: its length cannot change).
    #[inline]
    pub(super) fn bits_mut(&mut self) -> &mut [u64] {
        &mut self.bits
    }
}

#[cfg(test)]
mod tests {
    use super::Slots;

    #[test]
    fn any_slot_is_masked_into_bounds() {
        let mut s = Slots::new(128);
        s.set(130, 7); // slot 2
        assert_eq!(s.get(2), 7);
        assert_eq!(s.replace(usize::MAX, 9), 0); // slot 127
        assert_eq!(s.qty()[127], 9);
        s.flip(usize::MAX, 1);
        s.flip(64, 1);
        assert_eq!(s.bits(), &[0, 1 << 63 | 1]);
        s.flip(64, 0);
        assert_eq!(s.bits()[1], 1 << 63 | 1);
    }

    #[test]
    #[should_panic(expected = "power of two")]
    fn a_capacity_not_a_power_of_two_is_rejected() {
        let _ = Slots::new(96);
    }
}
