//! The `extern "C"` functions behind a strategy's [`VTable`](super::VTable), generic over the
//! [`Strategy`] type and monomorphised in the strategy's crate by `export_strategy!`.
//!
//! Every entry point catches panics *inside the plugin* (its own copy of std) and returns
//! [`PANICKED`](super::PANICKED); the message is kept for `last_error`. A quiet panic hook,
//! installed in the plugin's std by `create`, records message and location without a backtrace
//! or any I/O, so a caught panic costs microseconds.

use super::{
    BookView, CREATE_FAILED, Context, ErrorBuf, InitContext, NULL_ARGUMENT, OK, PANICKED, REFUSED,
};
use crate::state::{Handoff, StateReader, StateWriter};
use crate::strategy::{Fill, OrderUpdate, StatusEvent, Strategy, TradeEvent};
use std::any::Any;
use std::cell::RefCell;
use std::ffi::c_void;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

/// A created strategy and its last error, behind the opaque instance pointer.
struct Instance<S> {
    strategy: S,
    last_error: String,
    /// The last exported state, lent to the host until the next call.
    state: Vec<u8>,
}

thread_local! {
    /// Message and location of the last panic on this thread, recorded by the quiet hook.
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

static QUIET_HOOK: Once = Once::new();

/// Replaces the panic hook of the std this code is linked with (the plugin's own, for a
/// `cdylib`) by one that records message and location and does nothing else.
fn install_quiet_hook() {
    QUIET_HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let _ = LAST_PANIC.try_with(|cell| {
                if let Ok(mut msg) = cell.try_borrow_mut() {
                    msg.clear();
                    msg.push_str(
                        info.payload_as_str()
                            .unwrap_or("panic with a non-string payload"),
                    );
                    if let Some(loc) = info.location() {
                        let _ = write!(msg, " at {}:{}:{}", loc.file(), loc.line(), loc.column());
                    }
                }
            });
        }));
    });
}

/// The message of a caught panic: what the quiet hook recorded, else the payload.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    let recorded = LAST_PANIC
        .try_with(|cell| {
            cell.try_borrow_mut()
                .map(|mut m| std::mem::take(&mut *m))
                .unwrap_or_default()
        })
        .unwrap_or_default();
    if !recorded.is_empty() {
        return format!("panicked: {recorded}");
    }
    let text = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("panic with a non-string payload");
    format!("panicked: {text}")
}

/// Writes `msg` into the host's error buffer (truncated at a char boundary).
///
/// # Safety
/// `err` is null or points to a valid `ErrorBuf` whose `ptr` has `cap` writable bytes.
unsafe fn write_error(err: *mut ErrorBuf, msg: &str) {
    // SAFETY: guaranteed by the caller.
    let Some(err) = (unsafe { err.as_mut() }) else {
        return;
    };
    let mut n = msg.len().min(err.cap);
    while !msg.is_char_boundary(n) {
        n -= 1;
    }
    if !err.ptr.is_null() {
        // SAFETY: `err.ptr` has `cap >= n` writable bytes (caller); `msg` does not overlap the
        // host's buffer.
        unsafe { std::ptr::copy_nonoverlapping(msg.as_ptr(), err.ptr, n) };
    }
    err.len = n;
}

/// Runs `f` on the instance's strategy, catching a panic.
#[inline(always)]
fn guarded<S>(inst: &mut Instance<S>, f: impl FnOnce(&mut S)) -> i32 {
    match catch_unwind(AssertUnwindSafe(|| f(&mut inst.strategy))) {
        Ok(()) => OK,
        Err(payload) => {
            inst.last_error = panic_message(&*payload);
            drop(payload);
            PANICKED
        }
    }
}

/// `create`: parses the config bytes as UTF-8 and calls [`Strategy::new`].
///
/// # Safety
/// `config` points to `config_len` readable bytes (or `config_len == 0`), `init` to a live
/// `InitContext`, `out` is writable, `err` as for [`write_error`].
pub(super) unsafe extern "C" fn create<S: Strategy>(
    config: *const u8,
    config_len: usize,
    init: *mut InitContext<'_>,
    out: *mut *mut c_void,
    err: *mut ErrorBuf,
) -> i32 {
    install_quiet_hook();
    if init.is_null() || out.is_null() {
        return NULL_ARGUMENT;
    }
    let bytes: &[u8] = if config_len == 0 || config.is_null() {
        &[]
    } else {
        // SAFETY: `config` points to `config_len` readable bytes (caller).
        unsafe { std::slice::from_raw_parts(config, config_len) }
    };
    // SAFETY: `init` is non-null and live for this call (caller); nothing else borrows it.
    let init = unsafe { &mut *init };
    let result = catch_unwind(AssertUnwindSafe(|| match std::str::from_utf8(bytes) {
        Ok(text) => S::new(text, init).map_err(|e| e.to_string()),
        Err(e) => Err(format!("config is not UTF-8: {e}")),
    }));
    let (rc, msg) = match result {
        Ok(Ok(strategy)) => {
            let inst = Box::new(Instance {
                strategy,
                last_error: String::new(),
                state: Vec::new(),
            });
            // SAFETY: `out` is non-null and writable (caller).
            unsafe { out.write(Box::into_raw(inst).cast()) };
            return OK;
        }
        Ok(Err(msg)) => (CREATE_FAILED, msg),
        Err(payload) => (PANICKED, panic_message(&*payload)),
    };
    // SAFETY: `err` as guaranteed by the caller.
    unsafe { write_error(err, &msg) };
    rc
}

/// `destroy`: drops the instance (in the plugin, with the plugin's allocator).
///
/// # Safety
/// `inst` is null or a pointer `create::<S>` returned that was not destroyed yet.
pub(super) unsafe extern "C" fn destroy<S: Strategy>(inst: *mut c_void) {
    if inst.is_null() {
        return;
    }
    // SAFETY: `inst` came from `Box::into_raw` in `create::<S>` and is destroyed once (caller).
    let inst = unsafe { Box::from_raw(inst.cast::<Instance<S>>()) };
    // A panicking `Drop` must not unwind into the host.
    let _ = catch_unwind(AssertUnwindSafe(move || drop(inst)));
}

/// `last_error`: copies the last error message into `buf` (at most `cap` bytes) and returns its
/// full length.
///
/// # Safety
/// `inst` is null or a live instance of `S`; `buf` has `cap` writable bytes (or is null).
pub(super) unsafe extern "C" fn last_error<S: Strategy>(
    inst: *mut c_void,
    buf: *mut u8,
    cap: usize,
) -> usize {
    if inst.is_null() {
        return 0;
    }
    // SAFETY: `inst` is a live `Instance<S>` (caller) and not borrowed elsewhere right now.
    let inst = unsafe { &*inst.cast::<Instance<S>>() };
    let msg = inst.last_error.as_bytes();
    if !buf.is_null() {
        // SAFETY: `buf` has `cap` writable bytes (caller); we copy at most `cap`.
        unsafe { std::ptr::copy_nonoverlapping(msg.as_ptr(), buf, msg.len().min(cap)) };
    }
    msg.len()
}

/// Defines an event trampoline: `(inst, ctx, event) -> i32`.
macro_rules! event_trampoline {
    ($(#[$doc:meta])* $name:ident, $event:ty, $method:ident) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// `inst` is a live instance `create::<S>` returned, `ctx` a live `Context` and `event`
        /// a live event, all exclusively lent for this call.
        pub(super) unsafe extern "C" fn $name<S: Strategy>(
            inst: *mut c_void,
            ctx: *mut Context<'_>,
            event: *const $event,
        ) -> i32 {
            // SAFETY: a live `Instance<S>` exclusively lent for this call, or null (caller).
            let inst = unsafe { inst.cast::<Instance<S>>().as_mut() };
            // SAFETY: a live `Context` exclusively lent for this call, or null (caller).
            let ctx = unsafe { ctx.as_mut() };
            // SAFETY: a live event lent for this call, or null (caller).
            let event = unsafe { event.as_ref() };
            let (Some(inst), Some(ctx), Some(event)) = (inst, ctx, event) else {
                return NULL_ARGUMENT;
            };
            guarded(inst, |s| s.$method(ctx, event))
        }
    };
}

/// Defines a trampoline without an event: `(inst, ctx) -> i32`.
macro_rules! plain_trampoline {
    ($(#[$doc:meta])* $name:ident, $method:ident) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// `inst` is a live instance `create::<S>` returned and `ctx` a live `Context`, both
        /// exclusively lent for this call.
        pub(super) unsafe extern "C" fn $name<S: Strategy>(
            inst: *mut c_void,
            ctx: *mut Context<'_>,
        ) -> i32 {
            // SAFETY: a live `Instance<S>` exclusively lent for this call, or null (caller).
            let inst = unsafe { inst.cast::<Instance<S>>().as_mut() };
            // SAFETY: a live `Context` exclusively lent for this call, or null (caller).
            let ctx = unsafe { ctx.as_mut() };
            let (Some(inst), Some(ctx)) = (inst, ctx) else {
                return NULL_ARGUMENT;
            };
            guarded(inst, |s| s.$method(ctx))
        }
    };
}

event_trampoline!(
    /// `on_book`.
    on_book, BookView<'_>, on_book
);
event_trampoline!(
    /// `on_trade`.
    on_trade, TradeEvent, on_trade
);
event_trampoline!(
    /// `on_order_update`.
    on_order_update, OrderUpdate, on_order_update
);
event_trampoline!(
    /// `on_fill`.
    on_fill, Fill, on_fill
);
event_trampoline!(
    /// `on_status`.
    on_status, StatusEvent, on_status
);
plain_trampoline!(
    /// `on_timer`.
    on_timer, on_timer
);
plain_trampoline!(
    /// `on_start`.
    on_start, on_start
);
plain_trampoline!(
    /// `on_stop`.
    on_stop, on_stop
);

/// `handoff`: [`Strategy::handoff`]; a panic there means no handoff.
pub(super) extern "C" fn handoff<S: Strategy>() -> Handoff {
    catch_unwind(S::handoff).unwrap_or(Handoff::NONE)
}

/// `export_state`: [`Strategy::export_state`] into the instance's own buffer, lent to the host.
///
/// # Safety
/// `inst` is a live instance `create::<S>` returned, exclusively lent for this call; `out_ptr`
/// and `out_len` are writable.
pub(super) unsafe extern "C" fn export_state<S: Strategy>(
    inst: *mut c_void,
    out_ptr: *mut *const u8,
    out_len: *mut usize,
) -> i32 {
    // SAFETY: a live `Instance<S>` exclusively lent for this call, or null (caller).
    let Some(inst) = (unsafe { inst.cast::<Instance<S>>().as_mut() }) else {
        return NULL_ARGUMENT;
    };
    if out_ptr.is_null() || out_len.is_null() {
        return NULL_ARGUMENT;
    }
    let mut state = std::mem::take(&mut inst.state);
    state.clear();
    let rc = guarded(inst, |s| s.export_state(&mut StateWriter::new(&mut state)));
    inst.state = state;
    if rc == OK {
        // SAFETY: both are non-null and writable (caller); the bytes live in the instance.
        unsafe {
            out_ptr.write(inst.state.as_ptr());
            out_len.write(inst.state.len());
        }
    }
    rc
}

/// `import_state`: [`Strategy::import_state`] of the lent bytes.
///
/// # Safety
/// `inst` as for [`export_state`]; `state` points to `state_len` readable bytes (or
/// `state_len == 0`); `err` as for [`write_error`].
pub(super) unsafe extern "C" fn import_state<S: Strategy>(
    inst: *mut c_void,
    version: u32,
    state: *const u8,
    state_len: usize,
    err: *mut ErrorBuf,
) -> i32 {
    // SAFETY: a live `Instance<S>` exclusively lent for this call, or null (caller).
    let Some(inst) = (unsafe { inst.cast::<Instance<S>>().as_mut() }) else {
        return NULL_ARGUMENT;
    };
    let bytes: &[u8] = if state_len == 0 || state.is_null() {
        &[]
    } else {
        // SAFETY: `state` points to `state_len` readable bytes (caller).
        unsafe { std::slice::from_raw_parts(state, state_len) }
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        inst.strategy
            .import_state(version, &mut StateReader::new(bytes))
    }));
    let (rc, msg) = match result {
        Ok(Ok(())) => return OK,
        Ok(Err(e)) => (REFUSED, e.to_string()),
        Err(payload) => (PANICKED, panic_message(&*payload)),
    };
    // SAFETY: `err` as guaranteed by the caller.
    unsafe { write_error(err, &msg) };
    rc
}

/// `handoff` of a 1.0 library: none.
pub(super) extern "C" fn no_handoff() -> Handoff {
    Handoff::NONE
}

/// `export_state` of a 1.0 library: refused.
///
/// # Safety
/// None needed: it reads nothing.
pub(super) unsafe extern "C" fn no_export(
    _inst: *mut c_void,
    _out_ptr: *mut *const u8,
    _out_len: *mut usize,
) -> i32 {
    REFUSED
}

/// `import_state` of a 1.0 library: refused.
///
/// # Safety
/// `err` as for [`write_error`].
pub(super) unsafe extern "C" fn no_import(
    _inst: *mut c_void,
    _version: u32,
    _state: *const u8,
    _state_len: usize,
    err: *mut ErrorBuf,
) -> i32 {
    // SAFETY: as guaranteed by the caller.
    unsafe { write_error(err, "built with abi 1.0, which has no state handoff") };
    REFUSED
}
