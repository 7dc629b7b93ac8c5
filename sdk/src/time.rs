//! Timestamps as nanoseconds since the Unix epoch.

use std::fmt;

/// Nanoseconds since 1970-01-01T00:00:00Z. Venue millisecond and microsecond times convert
/// exactly; a receive timestamp (19 digits) never goes through `f64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct UnixNanos(u64);

impl UnixNanos {
    /// The epoch itself; also "unknown" for venues that send no exchange time.
    pub const ZERO: Self = Self(0);

    /// From nanoseconds.
    #[inline]
    pub const fn from_nanos(ns: u64) -> Self {
        Self(ns)
    }

    /// From milliseconds, saturating at the far future.
    #[inline]
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms.saturating_mul(1_000_000))
    }

    /// From microseconds, saturating at the far future.
    #[inline]
    pub const fn from_micros(us: u64) -> Self {
        Self(us.saturating_mul(1_000))
    }

    /// Nanoseconds since the epoch.
    #[inline]
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// `self - earlier` in nanoseconds, zero if `earlier` is later.
    #[inline]
    pub const fn saturating_since(self, earlier: Self) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// This time plus `ns` nanoseconds, saturating.
    #[inline]
    pub const fn saturating_add_nanos(self, ns: u64) -> Self {
        Self(self.0.saturating_add(ns))
    }
}

impl fmt::Display for UnixNanos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_millis_is_exact() {
        assert_eq!(
            UnixNanos::from_millis(1_723_161_255_208).as_nanos(),
            1_723_161_255_208_000_000
        );
        assert_eq!(UnixNanos::from_millis(u64::MAX).as_nanos(), u64::MAX);
    }
}
