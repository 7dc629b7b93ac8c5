//! The layout hash: a `const` FNV-1a over the name, size, alignment and every field's name and
//! `offset_of!` of each type that crosses the plugin boundary, and the discriminants of every
//! boundary enum. A plugin and the engine agree on the boundary only if their hashes match.

use super::{BookView, Context, ErrorBuf, InitContext, Manifest, OrderRange, StrRef, VTableV1_0};
use crate::event::{BookState, StaleReason};
use crate::ids::{InstrumentId, Side};
use crate::num::{Level, Price, Quantity};
use crate::strategy::{
    ClientOrderId, Fill, Liquidity, OpenOrder, OrderRequest, OrderStatus, OrderType, OrderUpdate,
    RejectReason, RequestKind, SignalId, SignalValue, StatusEvent, TimeInForce, TradeEvent,
};
use crate::time::UnixNanos;
use std::mem::{align_of, offset_of, size_of};

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a of `bytes`, continuing from `hash`.
pub(super) const fn fnv_bytes(mut hash: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(FNV_PRIME);
        i += 1;
    }
    hash
}

/// FNV-1a of the little-endian bytes of `value`, continuing from `hash`.
pub(super) const fn fnv_u64(hash: u64, value: u64) -> u64 {
    fnv_bytes(hash, &value.to_le_bytes())
}

/// Hashes a struct: name, size, alignment, then each field's name and offset.
macro_rules! hash_struct {
    ($h:ident, $t:ty { $($field:ident),* $(,)? }) => {{
        let mut h = fnv_bytes($h, stringify!($t).as_bytes());
        h = fnv_u64(h, size_of::<$t>() as u64);
        h = fnv_u64(h, align_of::<$t>() as u64);
        $(
            h = fnv_bytes(h, stringify!($field).as_bytes());
            h = fnv_u64(h, offset_of!($t, $field) as u64);
        )*
        h
    }};
}

/// Hashes a struct under another name: `$name`, then as [`hash_struct!`]. The vtable is hashed
/// as its ABI 1.0 part under the name `VTable`, so that 1.0 libraries keep their hash.
macro_rules! hash_struct_as {
    ($h:ident, $name:literal, $t:ty { $($field:ident),* $(,)? }) => {{
        let mut h = fnv_bytes($h, $name.as_bytes());
        h = fnv_u64(h, size_of::<$t>() as u64);
        h = fnv_u64(h, align_of::<$t>() as u64);
        $(
            h = fnv_bytes(h, stringify!($field).as_bytes());
            h = fnv_u64(h, offset_of!($t, $field) as u64);
        )*
        h
    }};
}

/// Hashes an enum: name, size, then each variant's name and discriminant.
macro_rules! hash_enum {
    ($h:ident, $t:ident { $($variant:ident),* $(,)? }) => {{
        let mut h = fnv_bytes($h, stringify!($t).as_bytes());
        h = fnv_u64(h, size_of::<$t>() as u64);
        $(
            h = fnv_bytes(h, stringify!($variant).as_bytes());
            h = fnv_u64(h, $t::$variant as u64);
        )*
        h
    }};
}

/// Hashes a transparent newtype or primitive: name, size, alignment.
macro_rules! hash_scalar {
    ($h:ident, $t:ty) => {{
        let mut h = fnv_bytes($h, stringify!($t).as_bytes());
        h = fnv_u64(h, size_of::<$t>() as u64);
        fnv_u64(h, align_of::<$t>() as u64)
    }};
}

/// The layout hash of this SDK's plugin boundary.
pub const LAYOUT_HASH: u64 = layout_hash();

const fn layout_hash() -> u64 {
    let h = FNV_OFFSET;
    let h = hash_scalar!(h, Price);
    let h = hash_scalar!(h, Quantity);
    let h = hash_scalar!(h, InstrumentId);
    let h = hash_scalar!(h, UnixNanos);
    let h = hash_scalar!(h, ClientOrderId);
    let h = hash_scalar!(h, SignalId);
    let h = hash_enum!(h, Side { Buy, Sell });
    let h = hash_enum!(
        h,
        BookState {
            Connecting,
            Syncing,
            Synced,
            Stale,
            Resyncing
        }
    );
    let h = hash_enum!(
        h,
        StaleReason {
            SequenceGap,
            ChecksumMismatch,
            QueueOverflow,
            FeedSilent,
            Disconnected
        }
    );
    let h = hash_enum!(h, OrderType { Limit, Market });
    let h = hash_enum!(h, TimeInForce { Gtc, Ioc, PostOnly });
    let h = hash_enum!(
        h,
        RequestKind {
            New,
            Cancel,
            CancelAll
        }
    );
    let h = hash_enum!(
        h,
        OrderStatus {
            Accepted,
            Rejected,
            Canceled,
            Expired,
            Filled,
            CancelRejected
        }
    );
    let h = hash_enum!(
        h,
        RejectReason {
            InvalidQuantity,
            InvalidPrice,
            UnknownInstrument,
            MaxOrderQty,
            MaxPosition,
            MaxNotional,
            MaxOpenOrders,
            RateLimit,
            PriceBand,
            KillSwitch,
            PostOnlyWouldCross,
            UnknownOrder,
            StrategyDisabled,
            BookStale,
            DuplicateOrderId,
            NoLiquidity,
        }
    );
    let h = hash_enum!(h, Liquidity { Maker, Taker });
    let h = hash_struct!(h, Level { price, qty });
    let h = hash_struct!(
        h,
        BookView<'static> {
            bids, asks, n_bids, n_asks, instrument, state, _reserved, update_id, ts_exchange,
            ts_recv,
        }
    );
    let h = hash_struct!(
        h,
        TradeEvent {
            instrument,
            aggressor,
            _reserved,
            price,
            qty,
            trade_id,
            ts_exchange,
            ts_recv
        }
    );
    let h = hash_struct!(
        h,
        StatusEvent {
            instrument,
            state,
            reason_code,
            _reserved,
            ts_recv
        }
    );
    let h = hash_struct!(
        h,
        SignalValue {
            id,
            _reserved,
            value
        }
    );
    let h = hash_struct!(
        h,
        OrderRequest {
            id,
            instrument,
            kind,
            side,
            order_type,
            time_in_force,
            price,
            qty
        }
    );
    let h = hash_struct!(
        h,
        OrderUpdate {
            id,
            instrument,
            status,
            side,
            reject_code,
            _reserved,
            price,
            qty,
            leaves_qty,
            ts,
        }
    );
    let h = hash_struct!(
        h,
        Fill {
            id,
            instrument,
            side,
            liquidity,
            _reserved,
            price,
            qty,
            leaves_qty,
            position,
            fill_id,
            ts,
        }
    );
    let h = hash_struct!(
        h,
        OpenOrder {
            id,
            instrument,
            side,
            order_type,
            time_in_force,
            _reserved,
            price,
            qty,
            leaves_qty,
        }
    );
    let h = hash_struct!(h, OrderRange { start, len });
    let h = hash_struct!(
        h,
        Context<'static> {
            now, timer, next_order_id, signals, orders, positions, open_orders,
            open_order_ranges, signals_cap, signals_len, orders_cap, orders_len, positions_len,
            open_orders_len, open_order_ranges_len, _reserved,
        }
    );
    let h = hash_struct!(h, InitContext<'static> { host, register_signal, instrument });
    let h = hash_struct!(h, StrRef { ptr, len });
    let h = hash_struct!(h, ErrorBuf { ptr, cap, len });
    let h = hash_struct_as!(
        h,
        "VTable",
        VTableV1_0 {
            create,
            destroy,
            on_start,
            on_stop,
            on_timer,
            on_book,
            on_trade,
            on_order_update,
            on_fill,
            on_status,
            last_error,
        }
    );
    hash_struct!(
        h,
        Manifest {
            magic,
            abi_major,
            abi_minor,
            header_size,
            layout_hash,
            panic_unwind,
            _reserved,
            sdk_version,
            rustc_version,
            name,
            version,
            vtable,
            vtable_size,
            _reserved2,
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_reference_vectors() {
        // FNV-1a 64 reference values (Fowler/Noll/Vo test suite).
        assert_eq!(fnv_bytes(FNV_OFFSET, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv_bytes(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv_bytes(FNV_OFFSET, b"foobar"), 0x8594_4171_f739_67e8);
    }

    mod v1 {
        #[repr(C)]
        pub(super) struct T {
            pub(super) x: u16,
            pub(super) y: u16,
            pub(super) z: u32,
        }
    }

    mod v2 {
        #[repr(C)]
        pub(super) struct T {
            pub(super) x: u32,
            pub(super) y: u16,
            pub(super) z: u16,
        }
    }

    #[test]
    fn layout_hash_changes_when_only_an_offset_changes() {
        let a = {
            use v1::T;
            hash_struct!(FNV_OFFSET, T { x, y, z })
        };
        let b = {
            use v2::T;
            hash_struct!(FNV_OFFSET, T { x, y, z })
        };
        assert_eq!(
            (size_of::<v1::T>(), align_of::<v1::T>()),
            (size_of::<v2::T>(), align_of::<v2::T>())
        );
        assert_ne!(a, b);
    }

    #[test]
    fn layout_hash_changes_when_a_field_is_renamed() {
        #[repr(C)]
        struct A {
            x: u64,
            y: u64,
        }
        let base = hash_struct!(FNV_OFFSET, A { x, y });
        let mut renamed = fnv_bytes(FNV_OFFSET, b"A");
        renamed = fnv_u64(renamed, 16);
        renamed = fnv_u64(renamed, 8);
        renamed = fnv_bytes(renamed, b"x");
        renamed = fnv_u64(renamed, 0);
        let same_as_base = fnv_u64(fnv_bytes(renamed, b"y"), 8);
        let with_z = fnv_u64(fnv_bytes(renamed, b"z"), 8);
        assert_eq!(base, same_as_base, "hand-computed hash matches the macro");
        assert_ne!(base, with_z);
    }

    #[test]
    fn layout_hash_is_stable_within_a_build() {
        assert_eq!(LAYOUT_HASH, layout_hash());
        assert_ne!(LAYOUT_HASH, FNV_OFFSET);
    }
}
