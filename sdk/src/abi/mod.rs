//! The plugin ABI: what crosses between the engine and a strategy library, and
//! [`export_strategy!`](crate::export_strategy) which writes a strategy's side of it.
//!
//! A strategy library (`cdylib`) exports one versioned symbol, [`ENTRY_SYMBOL`]
//! (`ladder_strategy_v1`, suffixed with `__<crate name>` by the macro), an `extern "C"`
//! function returning a pointer to a static [`Manifest`]: magic, ABI version,
//! header size, the [`LAYOUT_HASH`] of every boundary type, the panic strategy, the SDK and rustc
//! versions it was built with, its name and version, and a [`VTable`] of `extern "C"` functions.
//! Only `#[repr(C)]` data, `#[repr(u8)]` enums, pointers and lengths cross; strategy state is an
//! opaque pointer the plugin allocates and frees; the book view, the [`Context`] and its buffers
//! belong to the host and are lent for one call. See `docs/hotpath.md` §1 for why.
//!
//! Layout rules for ABI 1: the manifest's first 24 bytes ([`ManifestPrefix`]) never change;
//! fields are only appended to the manifest and the vtable (`header_size`, `vtable_size` tell the
//! host what a plugin has); any other change bumps [`ABI_MAJOR`] and the entry symbol's name.
//!
//! ABI 1.1 appended the state handoff entries to the vtable (`handoff`, `export_state`,
//! `import_state`; see [`crate::state`]). A 1.0 library (its `vtable_size` is
//! [`VTABLE_SIZE_V1_0`]) still loads and simply hands no state over. The layout hash covers the
//! 1.0 part of the vtable ([`VTableV1_0`]) so that 1.0 libraries keep their hash; the appended
//! entries are announced by `abi_minor` and `vtable_size`.

mod book;
mod context;
mod init;
mod layout;
mod trampoline;

#[cfg(test)]
mod tests;

pub use book::BookView;
pub use context::{Context, ContextParts, OrderRange};
pub use init::{InitContext, InitHost, RegisterError};
pub use layout::LAYOUT_HASH;

use crate::state::Handoff;
use crate::strategy::{Fill, OrderUpdate, StatusEvent, Strategy, TradeEvent};
use std::ffi::c_void;

/// Major ABI version: a plugin is loadable only with the same major. A breaking change bumps it
/// and renames the entry symbol.
pub const ABI_MAJOR: u16 = 1;
/// Minor ABI version: grows when fields or vtable entries are appended (1: state handoff).
pub const ABI_MINOR: u16 = 1;
/// The entry symbol of ABI 1. [`export_strategy!`](crate::export_strategy) exports it as
/// `ladder_strategy_v1__<crate name>` ([`ENTRY_SYMBOL_PREFIX`] + `CARGO_CRATE_NAME`), unique per
/// crate, so that several strategy `rlib`s can be linked statically into one binary (a fixed
/// `#[no_mangle]` name would be a duplicate symbol there). The host looks for the bare name
/// first, then for the prefixed one.
pub const ENTRY_SYMBOL: &str = "ladder_strategy_v1";
/// Prefix of the per-crate entry symbol: `ladder_strategy_v1__<crate name>`.
pub const ENTRY_SYMBOL_PREFIX: &str = "ladder_strategy_v1__";
/// `"LADDRSTR"`: the first 8 bytes of every manifest.
pub const MAGIC: u64 = u64::from_le_bytes(*b"LADDRSTR");
/// The rustc that compiled this SDK, and so the strategy (`rustc --version`).
pub const RUSTC_VERSION: &str = env!("LADDER_SDK_RUSTC_VERSION");

/// Return code: the call succeeded.
pub const OK: i32 = 0;
/// Return code: the strategy panicked; the panic was caught in the plugin, the message is
/// available from `last_error`, and the host must stop calling this instance.
pub const PANICKED: i32 = -1;
/// Return code of `create`: [`Strategy::new`] returned an error (message in the error buffer).
pub const CREATE_FAILED: i32 = -2;
/// Return code: a required pointer was null.
pub const NULL_ARGUMENT: i32 = -3;
/// Return code of `import_state`: the strategy refused the state (message in the error buffer).
pub const REFUSED: i32 = -4;

/// A borrowed UTF-8 string as `(ptr, len)`; in a manifest it points to static data of the
/// plugin.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct StrRef {
    /// First byte.
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: usize,
}

impl StrRef {
    /// A reference to a static string.
    pub const fn from_static(s: &'static str) -> Self {
        Self {
            ptr: s.as_ptr(),
            len: s.len(),
        }
    }
}

/// A host-owned byte buffer the plugin writes an error message into.
#[repr(C)]
#[derive(Debug)]
pub struct ErrorBuf {
    /// Start of the buffer (host memory).
    pub ptr: *mut u8,
    /// Its capacity in bytes.
    pub cap: usize,
    /// Bytes written by the plugin (UTF-8, possibly truncated at a char boundary).
    pub len: usize,
}

/// `create(config, config_len, init, out_instance, err) -> rc`.
pub type CreateFn = unsafe extern "C" fn(
    config: *const u8,
    config_len: usize,
    init: *mut InitContext<'_>,
    out: *mut *mut c_void,
    err: *mut ErrorBuf,
) -> i32;
/// `destroy(instance)`.
pub type DestroyFn = unsafe extern "C" fn(inst: *mut c_void);
/// `on_start` / `on_stop` / `on_timer`: `(instance, ctx) -> rc`.
pub type CallFn = unsafe extern "C" fn(inst: *mut c_void, ctx: *mut Context<'_>) -> i32;
/// `on_book(instance, ctx, book) -> rc`.
pub type BookFn = unsafe extern "C" fn(
    inst: *mut c_void,
    ctx: *mut Context<'_>,
    book: *const BookView<'_>,
) -> i32;
/// `on_trade(instance, ctx, trade) -> rc`.
pub type TradeFn =
    unsafe extern "C" fn(inst: *mut c_void, ctx: *mut Context<'_>, trade: *const TradeEvent) -> i32;
/// `on_order_update(instance, ctx, update) -> rc`.
pub type OrderUpdateFn = unsafe extern "C" fn(
    inst: *mut c_void,
    ctx: *mut Context<'_>,
    update: *const OrderUpdate,
) -> i32;
/// `on_fill(instance, ctx, fill) -> rc`.
pub type FillFn =
    unsafe extern "C" fn(inst: *mut c_void, ctx: *mut Context<'_>, fill: *const Fill) -> i32;
/// `on_status(instance, ctx, status) -> rc`.
pub type StatusFn = unsafe extern "C" fn(
    inst: *mut c_void,
    ctx: *mut Context<'_>,
    status: *const StatusEvent,
) -> i32;
/// `last_error(instance, buf, cap) -> full length`: copies at most `cap` bytes.
pub type LastErrorFn = unsafe extern "C" fn(inst: *mut c_void, buf: *mut u8, cap: usize) -> usize;
/// ABI 1.1: `handoff() -> Handoff`, what [`Strategy::handoff`] says.
pub type HandoffFn = extern "C" fn() -> Handoff;
/// ABI 1.1: `export_state(instance, out_ptr, out_len) -> rc`. The bytes belong to the instance
/// and stay valid until its next call; the host copies them.
pub type ExportStateFn =
    unsafe extern "C" fn(inst: *mut c_void, out_ptr: *mut *const u8, out_len: *mut usize) -> i32;
/// ABI 1.1: `import_state(instance, version, state, state_len, err) -> rc` ([`OK`],
/// [`REFUSED`] with the reason in `err`, or [`PANICKED`]).
pub type ImportStateFn = unsafe extern "C" fn(
    inst: *mut c_void,
    version: u32,
    state: *const u8,
    state_len: usize,
    err: *mut ErrorBuf,
) -> i32;

/// `size_of::<VTable>()` of ABI 1.0: the entries every library has.
pub const VTABLE_SIZE_V1_0: u32 = std::mem::size_of::<VTableV1_0>() as u32;

/// A strategy's entry points. Append-only: new entries go at the end (bump [`ABI_MINOR`]).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct VTable {
    /// Creates an instance from config bytes (UTF-8) and the host's [`InitContext`].
    pub create: CreateFn,
    /// Frees an instance (in the plugin).
    pub destroy: DestroyFn,
    /// [`Strategy::on_start`].
    pub on_start: CallFn,
    /// [`Strategy::on_stop`].
    pub on_stop: CallFn,
    /// [`Strategy::on_timer`].
    pub on_timer: CallFn,
    /// [`Strategy::on_book`].
    pub on_book: BookFn,
    /// [`Strategy::on_trade`].
    pub on_trade: TradeFn,
    /// [`Strategy::on_order_update`].
    pub on_order_update: OrderUpdateFn,
    /// [`Strategy::on_fill`].
    pub on_fill: FillFn,
    /// [`Strategy::on_status`].
    pub on_status: StatusFn,
    /// The message of the last panic (or error) of an instance.
    pub last_error: LastErrorFn,
    /// ABI 1.1: [`Strategy::handoff`].
    pub handoff: HandoffFn,
    /// ABI 1.1: [`Strategy::export_state`].
    pub export_state: ExportStateFn,
    /// ABI 1.1: [`Strategy::import_state`].
    pub import_state: ImportStateFn,
}

/// The vtable of ABI 1.0: the first entries of [`VTable`], all a 1.0 library has.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct VTableV1_0 {
    /// See [`VTable::create`].
    pub create: CreateFn,
    /// See [`VTable::destroy`].
    pub destroy: DestroyFn,
    /// See [`VTable::on_start`].
    pub on_start: CallFn,
    /// See [`VTable::on_stop`].
    pub on_stop: CallFn,
    /// See [`VTable::on_timer`].
    pub on_timer: CallFn,
    /// See [`VTable::on_book`].
    pub on_book: BookFn,
    /// See [`VTable::on_trade`].
    pub on_trade: TradeFn,
    /// See [`VTable::on_order_update`].
    pub on_order_update: OrderUpdateFn,
    /// See [`VTable::on_fill`].
    pub on_fill: FillFn,
    /// See [`VTable::on_status`].
    pub on_status: StatusFn,
    /// See [`VTable::last_error`].
    pub last_error: LastErrorFn,
}

impl VTableV1_0 {
    /// The full vtable of a 1.0 library: its entries, and handoff entries that hand nothing
    /// over ([`Handoff::NONE`]; export and import answer [`REFUSED`]).
    pub const fn upgrade(self) -> VTable {
        VTable {
            create: self.create,
            destroy: self.destroy,
            on_start: self.on_start,
            on_stop: self.on_stop,
            on_timer: self.on_timer,
            on_book: self.on_book,
            on_trade: self.on_trade,
            on_order_update: self.on_order_update,
            on_fill: self.on_fill,
            on_status: self.on_status,
            last_error: self.last_error,
            handoff: trampoline::no_handoff,
            export_state: trampoline::no_export,
            import_state: trampoline::no_import,
        }
    }
}

const _: () = {
    use std::mem::offset_of;
    assert!(offset_of!(VTable, create) == offset_of!(VTableV1_0, create));
    assert!(offset_of!(VTable, last_error) == offset_of!(VTableV1_0, last_error));
    assert!(offset_of!(VTable, handoff) == std::mem::size_of::<VTableV1_0>());
};

impl VTable {
    /// The vtable of strategy type `S`: `extern "C"` trampolines that catch every panic.
    pub const fn of<S: Strategy>() -> Self {
        Self {
            create: trampoline::create::<S>,
            destroy: trampoline::destroy::<S>,
            on_start: trampoline::on_start::<S>,
            on_stop: trampoline::on_stop::<S>,
            on_timer: trampoline::on_timer::<S>,
            on_book: trampoline::on_book::<S>,
            on_trade: trampoline::on_trade::<S>,
            on_order_update: trampoline::on_order_update::<S>,
            on_fill: trampoline::on_fill::<S>,
            on_status: trampoline::on_status::<S>,
            last_error: trampoline::last_error::<S>,
            handoff: trampoline::handoff::<S>,
            export_state: trampoline::export_state::<S>,
            import_state: trampoline::import_state::<S>,
        }
    }
}

/// The first 24 bytes of every [`Manifest`], fixed for all ABI versions using
/// [`ENTRY_SYMBOL`]: a host reads these first and the rest only if `header_size` covers it.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManifestPrefix {
    /// [`MAGIC`].
    pub magic: u64,
    /// [`ABI_MAJOR`] of the SDK the plugin was built with.
    pub abi_major: u16,
    /// [`ABI_MINOR`] of the SDK the plugin was built with.
    pub abi_minor: u16,
    /// `size_of::<Manifest>()` in the plugin.
    pub header_size: u32,
    /// [`LAYOUT_HASH`] of the plugin's SDK.
    pub layout_hash: u64,
}

/// What a strategy library's entry symbol returns (a pointer to a `static`).
#[repr(C)]
#[derive(Debug)]
pub struct Manifest {
    /// [`MAGIC`].
    pub magic: u64,
    /// [`ABI_MAJOR`] of the SDK the plugin was built with.
    pub abi_major: u16,
    /// [`ABI_MINOR`] of the SDK the plugin was built with.
    pub abi_minor: u16,
    /// `size_of::<Manifest>()` in the plugin.
    pub header_size: u32,
    /// [`LAYOUT_HASH`] of the plugin's SDK.
    pub layout_hash: u64,
    /// 1 if the plugin was built with `panic = "unwind"` (required), 0 for `abort`.
    pub panic_unwind: u8,
    /// Reserved, zero.
    pub _reserved: [u8; 7],
    /// `ladder-sdk` version the plugin was built with.
    pub sdk_version: StrRef,
    /// `rustc --version` of the compiler that built the plugin.
    pub rustc_version: StrRef,
    /// The strategy crate's name.
    pub name: StrRef,
    /// The strategy crate's version.
    pub version: StrRef,
    /// The entry points.
    pub vtable: *const VTable,
    /// `size_of::<VTable>()` in the plugin.
    pub vtable_size: u32,
    /// Reserved, zero.
    pub _reserved2: u32,
}

// SAFETY: a manifest is immutable and its pointers refer to immutable `'static` data (string
// literals and a static vtable of function pointers), so sharing it between threads is sound.
unsafe impl Sync for Manifest {}

impl Manifest {
    /// The manifest of a strategy named `name` at `version` with entry points `vtable`, built
    /// with this SDK and compiler. `panic_unwind` is `cfg!(panic = "unwind")` in the plugin.
    pub const fn new(
        name: &'static str,
        version: &'static str,
        panic_unwind: bool,
        vtable: &'static VTable,
    ) -> Self {
        Self {
            magic: MAGIC,
            abi_major: ABI_MAJOR,
            abi_minor: ABI_MINOR,
            header_size: std::mem::size_of::<Self>() as u32,
            layout_hash: LAYOUT_HASH,
            panic_unwind: panic_unwind as u8,
            _reserved: [0; 7],
            sdk_version: StrRef::from_static(crate::SDK_VERSION),
            rustc_version: StrRef::from_static(RUSTC_VERSION),
            name: StrRef::from_static(name),
            version: StrRef::from_static(version),
            vtable,
            vtable_size: std::mem::size_of::<VTable>() as u32,
            _reserved2: 0,
        }
    }

    /// The fixed prefix.
    pub const fn prefix(&self) -> ManifestPrefix {
        ManifestPrefix {
            magic: self.magic,
            abi_major: self.abi_major,
            abi_minor: self.abi_minor,
            header_size: self.header_size,
            layout_hash: self.layout_hash,
        }
    }
}

const _: () = {
    use std::mem::offset_of;
    assert!(std::mem::size_of::<ManifestPrefix>() == 24);
    assert!(offset_of!(Manifest, magic) == offset_of!(ManifestPrefix, magic));
    assert!(offset_of!(Manifest, abi_major) == offset_of!(ManifestPrefix, abi_major));
    assert!(offset_of!(Manifest, abi_minor) == offset_of!(ManifestPrefix, abi_minor));
    assert!(offset_of!(Manifest, header_size) == offset_of!(ManifestPrefix, header_size));
    assert!(offset_of!(Manifest, layout_hash) == offset_of!(ManifestPrefix, layout_hash));
};

/// Exports a [`Strategy`](crate::Strategy) type as a ladder plugin.
///
/// Put it once in the strategy crate's `lib.rs` (crate type `cdylib`, plus `rlib` for tests):
/// it generates a static [`VTable`] of panic-catching `extern "C"` trampolines, a static
/// [`Manifest`] naming the crate (`CARGO_PKG_NAME`, `CARGO_PKG_VERSION`), and the
/// `extern "C"` entry symbol `ladder_strategy_v1__<crate name>` returning it. It fails to
/// compile under `panic = "abort"`: a panic in a plugin must be catchable.
///
/// The generated code contains no `unsafe` block; the entry symbol carries
/// `#[allow(unsafe_code)]` for `#[unsafe(export_name)]`, so it builds under
/// `#![deny(unsafe_code)]` (not under `forbid`).
///
/// ```
/// use ladder_sdk::{BookView, Context, InitContext, Strategy, StrategyError, export_strategy};
///
/// struct Noop;
///
/// impl Strategy for Noop {
///     fn new(_config: &str, _ctx: &mut InitContext<'_>) -> Result<Self, StrategyError> {
///         Ok(Noop)
///     }
///     fn on_book(&mut self, _ctx: &mut Context<'_>, _book: &BookView<'_>) {}
/// }
///
/// export_strategy!(Noop);
/// ```
#[macro_export]
macro_rules! export_strategy {
    ($strategy:ty) => {
        const _: () = {
            ::core::assert!(
                ::core::cfg!(panic = "unwind"),
                "ladder strategies must be built with panic = \"unwind\": set it in the profile"
            );

            static LADDER_VTABLE: $crate::abi::VTable = $crate::abi::VTable::of::<$strategy>();

            static LADDER_MANIFEST: $crate::abi::Manifest = $crate::abi::Manifest::new(
                ::core::env!("CARGO_PKG_NAME"),
                ::core::env!("CARGO_PKG_VERSION"),
                ::core::cfg!(panic = "unwind"),
                &LADDER_VTABLE,
            );

            /// The ladder plugin entry point: this library's manifest. Named
            /// `ladder_strategy_v1__<crate name>` so that several strategy `rlib`s link into one
            /// binary without a duplicate symbol.
            #[allow(unsafe_code)]
            #[unsafe(export_name = concat!("ladder_strategy_v1__", env!("CARGO_CRATE_NAME")))]
            extern "C" fn ladder_strategy_entry() -> *const $crate::abi::Manifest {
                &LADDER_MANIFEST
            }
        };
    };
}
