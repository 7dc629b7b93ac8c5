//! [`StrategyInstance`]: how the engine calls a strategy, the same way whether it is a loaded
//! plugin (through its C vtable) or a statically linked Rust type (through the `Strategy`
//! trait). Both write into the instance's [`HostBuffers`]; a panic disables the instance.
#![allow(unsafe_code)]

use super::error::PluginError;
use super::host::{CallOutput, Finished, HostBuffers, HostConfig, SignalRegistry};
use super::loader::{LibraryOrigin, Plugin};
use ladder_sdk::abi::{CREATE_FAILED, ErrorBuf, OK, PANICKED, REFUSED, VTable};
use ladder_sdk::state::{Handoff, StateReader, StateWriter};
use ladder_sdk::{
    BookView, Context, Fill, InitContext, InstrumentId, OpenOrder, OrderUpdate, SignalId,
    StatusEvent, Strategy, TradeEvent, UnixNanos,
};
use std::any::Any;
use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::NonNull;

/// How an instance is called.
enum Driver {
    /// A plugin: its vtable and the opaque instance it created (freed by its `destroy`).
    Dynamic {
        vtable: VTable,
        handle: NonNull<c_void>,
    },
    /// A statically linked strategy.
    Static(Box<dyn Strategy>),
}

/// The kind of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceKind {
    /// Loaded from a shared library, called through its C vtable.
    Dynamic,
    /// Linked into the engine, called through the `Strategy` trait.
    Static,
}

/// What happened to one call.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// The strategy ran; its output is in [`StrategyInstance::output`].
    Ok,
    /// The strategy panicked during this call: it is now disabled, its output was dropped, and
    /// the caller must cancel its open orders. [`StrategyInstance::disabled_reason`] says why.
    Faulted,
    /// The strategy was already disabled and was not called.
    Disabled,
}

/// One created strategy and the host memory it works with.
///
/// Not `Send`: create, call and drop it on the hot thread (a plugin's thread-local state lives
/// there).
pub struct StrategyInstance {
    name: String,
    library: Option<LibraryOrigin>,
    driver: Driver,
    buffers: HostBuffers,
    signal_names: Vec<String>,
    disabled: Option<String>,
    handoff: Handoff,
}

/// Why a state handoff between two instances did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandoffError {
    /// The strategy panicked while exporting or importing (message and location).
    Panicked(String),
    /// The new instance refused the state (its reason), or the library has no handoff.
    Refused(String),
}

impl std::fmt::Display for HandoffError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Panicked(m) => write!(f, "{m}"),
            Self::Refused(m) => write!(f, "refused: {m}"),
        }
    }
}

impl std::fmt::Debug for StrategyInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StrategyInstance")
            .field("name", &self.name)
            .field("kind", &self.kind())
            .field("signals", &self.signal_names)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// The text of a panic payload caught on the host side.
fn payload_text(payload: &(dyn Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("panic with a non-string payload");
    format!("panicked: {text}")
}

impl StrategyInstance {
    /// Creates an instance of a loaded plugin from its config text.
    ///
    /// # Errors
    /// [`PluginError::Config`] when the strategy refuses the config,
    /// [`PluginError::CreatePanicked`] when it panics.
    pub fn from_plugin(
        plugin: &'static Plugin,
        config: &str,
        host: &HostConfig,
    ) -> Result<Self, PluginError> {
        let vtable = *plugin.vtable();
        let mut registry = SignalRegistry::new(host);
        let mut init = InitContext::new(&mut registry);
        let mut handle: *mut c_void = std::ptr::null_mut();
        let mut msg = vec![0u8; 4096];
        let mut err = ErrorBuf {
            ptr: msg.as_mut_ptr(),
            cap: msg.len(),
            len: 0,
        };
        // SAFETY: `create` comes from a validated manifest of a never-unloaded library; the
        // config bytes, init context, out pointer and error buffer are live for the call.
        let rc = unsafe {
            (vtable.create)(
                config.as_ptr(),
                config.len(),
                &mut init,
                &mut handle,
                &mut err,
            )
        };
        let name = plugin.name().to_owned();
        let message = String::from_utf8_lossy(&msg[..err.len.min(msg.len())]).into_owned();
        let handle = match (rc, NonNull::new(handle)) {
            (OK, Some(h)) => h,
            (PANICKED, _) => return Err(PluginError::CreatePanicked { name, message }),
            (CREATE_FAILED, _) => return Err(PluginError::Config { name, message }),
            (rc, _) => {
                let message = format!("create returned code {rc} and no instance");
                return Err(PluginError::Config { name, message });
            }
        };
        Ok(Self {
            name,
            library: Some(plugin.origin().clone()),
            driver: Driver::Dynamic { vtable, handle },
            buffers: HostBuffers::new(host),
            signal_names: registry.names,
            disabled: None,
            handoff: plugin.handoff(),
        })
    }

    /// Loads the library at `path` (see [`load`](super::load)) and creates an instance.
    ///
    /// # Errors
    /// Any [`PluginError`] of loading or creating.
    pub fn load(
        path: &std::path::Path,
        config: &str,
        host: &HostConfig,
    ) -> Result<Self, PluginError> {
        Self::from_plugin(super::load(path)?, config, host)
    }

    /// Creates an instance of a statically linked strategy type, named `name`.
    ///
    /// # Errors
    /// As [`StrategyInstance::from_plugin`].
    pub fn new_static<S: Strategy>(
        name: &str,
        config: &str,
        host: &HostConfig,
    ) -> Result<Self, PluginError> {
        let mut registry = SignalRegistry::new(host);
        let created = {
            let mut init = InitContext::new(&mut registry);
            catch_unwind(AssertUnwindSafe(|| S::new(config, &mut init)))
        };
        let name = name.to_owned();
        let strategy = match created {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                return Err(PluginError::Config {
                    name,
                    message: e.to_string(),
                });
            }
            Err(p) => {
                return Err(PluginError::CreatePanicked {
                    name,
                    message: payload_text(&*p),
                });
            }
        };
        Ok(Self {
            name,
            library: None,
            driver: Driver::Static(Box::new(strategy)),
            buffers: HostBuffers::new(host),
            signal_names: registry.names,
            disabled: None,
            handoff: S::handoff(),
        })
    }

    /// The strategy's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// For a plugin: the file it was loaded from and the SHA-256 of the bytes loaded.
    pub fn library(&self) -> Option<&LibraryOrigin> {
        self.library.as_ref()
    }

    /// Plugin or statically linked.
    pub fn kind(&self) -> InstanceKind {
        match self.driver {
            Driver::Dynamic { .. } => InstanceKind::Dynamic,
            Driver::Static(_) => InstanceKind::Static,
        }
    }

    /// The names of the strategy's signals, indexed by [`SignalId::index`].
    pub fn signal_names(&self) -> &[String] {
        &self.signal_names
    }

    /// The name of signal `id`.
    pub fn signal_name(&self, id: SignalId) -> Option<&str> {
        self.signal_names.get(id.index()).map(String::as_str)
    }

    /// True once a call faulted: the instance is never called again.
    pub fn is_disabled(&self) -> bool {
        self.disabled.is_some()
    }

    /// Why the instance was disabled (the panic message and location).
    pub fn disabled_reason(&self) -> Option<&str> {
        self.disabled.as_deref()
    }

    /// Disables the instance (a kill switch tripped, say): it is not called again. The first
    /// reason given is kept.
    pub fn disable(&mut self, reason: &str) {
        if self.disabled.is_none() {
            self.disabled = Some(reason.to_owned());
        }
        self.buffers.clear_output();
    }

    /// What the last call produced (empty after a fault or a skipped call).
    #[inline]
    pub fn output(&self) -> CallOutput<'_> {
        self.buffers.output()
    }

    /// The host buffers: positions, open orders, the pending timer.
    pub fn buffers(&self) -> &HostBuffers {
        &self.buffers
    }

    /// Sets the strategy's signed position in `instrument` (lots).
    pub fn set_position(&mut self, instrument: InstrumentId, lots: i64) {
        self.buffers.set_position(instrument, lots);
    }

    /// Replaces the strategy's open orders.
    pub fn set_open_orders(&mut self, orders: &[OpenOrder]) {
        self.buffers.set_open_orders(orders);
    }

    /// The strategy's pending timer.
    pub fn pending_timer(&self) -> Option<UnixNanos> {
        self.buffers.timer()
    }

    /// Runs one call: lends the buffers, calls through the vtable or the trait, and disables
    /// the instance on a panic.
    ///
    /// # Hot path
    /// No allocation unless the strategy panics.
    #[inline(always)]
    fn call(
        &mut self,
        now: UnixNanos,
        dynamic: impl FnOnce(&VTable, *mut c_void, *mut Context<'_>) -> i32,
        fixed: impl FnOnce(&mut dyn Strategy, &mut Context<'_>),
    ) -> CallOutcome {
        if self.disabled.is_some() {
            self.buffers.clear_output();
            return CallOutcome::Disabled;
        }
        let mut ctx = self.buffers.context(now);
        let (rc, static_panic) = match &mut self.driver {
            Driver::Dynamic { vtable, handle } => {
                (dynamic(vtable, handle.as_ptr(), &mut ctx), None)
            }
            Driver::Static(s) => match catch_unwind(AssertUnwindSafe(|| fixed(&mut **s, &mut ctx)))
            {
                Ok(()) => (OK, None),
                Err(p) => (PANICKED, Some(payload_text(&*p))),
            },
        };
        if rc == OK {
            let done = Finished::of(&ctx);
            self.buffers.finish(done);
            return CallOutcome::Ok;
        }
        self.buffers.clear_output();
        self.disabled = Some(match static_panic {
            Some(msg) => msg,
            None => self.fetch_last_error(rc),
        });
        CallOutcome::Faulted
    }

    /// Asks a faulted plugin instance for its message, once.
    #[cold]
    fn fetch_last_error(&self, rc: i32) -> String {
        let Driver::Dynamic { vtable, handle } = &self.driver else {
            return format!("returned code {rc}");
        };
        let mut buf = vec![0u8; 1024];
        // SAFETY: `last_error` of the validated vtable, on the live instance it created; the
        // buffer has `len` writable bytes.
        let full = unsafe { (vtable.last_error)(handle.as_ptr(), buf.as_mut_ptr(), buf.len()) };
        if full > buf.len() {
            buf.resize(full.min(64 * 1024), 0);
            // SAFETY: as above, with the larger buffer.
            unsafe { (vtable.last_error)(handle.as_ptr(), buf.as_mut_ptr(), buf.len()) };
        }
        buf.truncate(full);
        match (rc, buf.is_empty()) {
            (PANICKED, false) => String::from_utf8_lossy(&buf).into_owned(),
            (PANICKED, true) => "panicked (no message)".to_owned(),
            (rc, _) => format!("returned error code {rc}"),
        }
    }

    /// Calls `on_start`.
    pub fn on_start(&mut self, now: UnixNanos) -> CallOutcome {
        self.call(
            now,
            // SAFETY: (and for every `dynamic` closure below) a validated vtable of a
            // never-unloaded library, the live instance it created, and a context and event
            // live for the call.
            |vt, h, ctx| unsafe { (vt.on_start)(h, ctx) },
            |s, ctx| s.on_start(ctx),
        )
    }

    /// Calls `on_book` with the top of a book.
    ///
    /// # Hot path
    /// Zero-copy: `book` is lent as is. No allocation.
    #[inline]
    pub fn on_book(&mut self, now: UnixNanos, book: &BookView<'_>) -> CallOutcome {
        self.call(
            now,
            // SAFETY: see `on_start`.
            |vt, h, ctx| unsafe { (vt.on_book)(h, ctx, book) },
            |s, ctx| s.on_book(ctx, book),
        )
    }

    /// Calls `on_trade`.
    #[inline]
    pub fn on_trade(&mut self, now: UnixNanos, trade: &TradeEvent) -> CallOutcome {
        self.call(
            now,
            // SAFETY: see `on_start`.
            |vt, h, ctx| unsafe { (vt.on_trade)(h, ctx, trade) },
            |s, ctx| s.on_trade(ctx, trade),
        )
    }

    /// Calls `on_order_update`.
    pub fn on_order_update(&mut self, now: UnixNanos, update: &OrderUpdate) -> CallOutcome {
        self.call(
            now,
            // SAFETY: see `on_start`.
            |vt, h, ctx| unsafe { (vt.on_order_update)(h, ctx, update) },
            |s, ctx| s.on_order_update(ctx, update),
        )
    }

    /// Calls `on_fill`.
    pub fn on_fill(&mut self, now: UnixNanos, fill: &Fill) -> CallOutcome {
        self.call(
            now,
            // SAFETY: see `on_start`.
            |vt, h, ctx| unsafe { (vt.on_fill)(h, ctx, fill) },
            |s, ctx| s.on_fill(ctx, fill),
        )
    }

    /// Calls `on_status`.
    pub fn on_status(&mut self, now: UnixNanos, status: &StatusEvent) -> CallOutcome {
        self.call(
            now,
            // SAFETY: see `on_start`.
            |vt, h, ctx| unsafe { (vt.on_status)(h, ctx, status) },
            |s, ctx| s.on_status(ctx, status),
        )
    }

    /// Fires the pending timer at `now` (clearing it first; the strategy may set a new one).
    pub fn on_timer(&mut self, now: UnixNanos) -> CallOutcome {
        self.buffers.clear_timer();
        self.call(
            now,
            // SAFETY: see `on_start`.
            |vt, h, ctx| unsafe { (vt.on_timer)(h, ctx) },
            |s, ctx| s.on_timer(ctx),
        )
    }

    /// Calls `on_stop`.
    pub fn on_stop(&mut self, now: UnixNanos) -> CallOutcome {
        self.call(
            now,
            // SAFETY: see `on_start`.
            |vt, h, ctx| unsafe { (vt.on_stop)(h, ctx) },
            |s, ctx| s.on_stop(ctx),
        )
    }
}

/// State handoff on a hot swap (`hot::engine::swap`).
impl StrategyInstance {
    /// What the strategy says about handing its state over.
    pub fn handoff(&self) -> Handoff {
        self.handoff
    }

    /// Exports the strategy's state into `out` (cleared first).
    ///
    /// # Errors
    /// [`HandoffError::Panicked`] if the strategy panicked (it is then disabled), or
    /// [`HandoffError::Refused`] when it declares no handoff.
    pub fn export_state(&mut self, out: &mut Vec<u8>) -> Result<(), HandoffError> {
        out.clear();
        if !self.handoff.has_state() {
            return Err(HandoffError::Refused("no state handoff".into()));
        }
        let rc = match &mut self.driver {
            Driver::Dynamic { vtable, handle } => {
                let (mut ptr, mut len) = (std::ptr::null::<u8>(), 0usize);
                // SAFETY: `export_state` of a validated vtable (a 1.0 library has the refusing
                // stub), on the live instance it created; the out pointers are live locals.
                let rc = unsafe { (vtable.export_state)(handle.as_ptr(), &mut ptr, &mut len) };
                if rc == OK && !ptr.is_null() && len > 0 {
                    // SAFETY: on OK the plugin lent `len` bytes at `ptr`, valid until its next
                    // call on this instance; they are copied now.
                    out.extend_from_slice(unsafe { std::slice::from_raw_parts(ptr, len) });
                }
                rc
            }
            Driver::Static(s) => {
                match catch_unwind(AssertUnwindSafe(|| {
                    s.export_state(&mut StateWriter::new(out))
                })) {
                    Ok(()) => OK,
                    Err(p) => {
                        let msg = payload_text(&*p);
                        self.disabled.get_or_insert(msg.clone());
                        return Err(HandoffError::Panicked(msg));
                    }
                }
            }
        };
        match rc {
            OK => Ok(()),
            REFUSED => Err(HandoffError::Refused("the library exports no state".into())),
            rc => {
                let msg = self.fetch_last_error(rc);
                self.disabled.get_or_insert(msg.clone());
                Err(HandoffError::Panicked(msg))
            }
        }
    }

    /// Imports a state exported by a build whose handoff version is `version`.
    ///
    /// # Errors
    /// [`HandoffError::Refused`] with the strategy's reason, or [`HandoffError::Panicked`]. On
    /// an error the instance may be half-restored: discard it.
    pub fn import_state(&mut self, version: u32, state: &[u8]) -> Result<(), HandoffError> {
        if !self.handoff.has_state() {
            return Err(HandoffError::Refused(
                "this build declares no handoff".into(),
            ));
        }
        match &mut self.driver {
            Driver::Dynamic { vtable, handle } => {
                let mut msg = vec![0u8; 1024];
                let mut err = ErrorBuf {
                    ptr: msg.as_mut_ptr(),
                    cap: msg.len(),
                    len: 0,
                };
                // SAFETY: `import_state` of a validated vtable on the live instance it created;
                // the state bytes and the error buffer are live for the call.
                let rc = unsafe {
                    (vtable.import_state)(
                        handle.as_ptr(),
                        version,
                        state.as_ptr(),
                        state.len(),
                        &mut err,
                    )
                };
                let text = || String::from_utf8_lossy(&msg[..err.len.min(msg.len())]).into_owned();
                match rc {
                    OK => Ok(()),
                    REFUSED => Err(HandoffError::Refused(text())),
                    PANICKED => Err(HandoffError::Panicked(text())),
                    rc => Err(HandoffError::Refused(format!("import returned code {rc}"))),
                }
            }
            Driver::Static(s) => {
                let imported = catch_unwind(AssertUnwindSafe(|| {
                    s.import_state(version, &mut StateReader::new(state))
                }));
                match imported {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(HandoffError::Refused(e.to_string())),
                    Err(p) => Err(HandoffError::Panicked(payload_text(&*p))),
                }
            }
        }
    }

    /// Takes over `old`'s host memory: positions, open orders, the order id sequence (ids stay
    /// unique across the swap), and its pending timer when `keep_timer` (a handoff: the state
    /// that set it moved too). `old` is left with this instance's empty buffers.
    pub fn take_over_buffers(&mut self, old: &mut StrategyInstance, keep_timer: bool) {
        std::mem::swap(&mut self.buffers, &mut old.buffers);
        if !keep_timer {
            self.buffers.clear_timer();
        }
        self.buffers.clear_output();
    }
}

impl Drop for StrategyInstance {
    fn drop(&mut self) {
        if let Driver::Dynamic { vtable, handle } = &self.driver {
            // SAFETY: the instance was created by this vtable's `create` and is destroyed once,
            // here; `destroy` catches a panicking `Drop` inside the plugin.
            unsafe { (vtable.destroy)(handle.as_ptr()) };
        }
    }
}
