//! [`InitContext`]: what a strategy can ask the host while it is created.
//!
//! `#[repr(C)]`: a host pointer and two `extern "C"` callbacks into the host, so the plugin's
//! copy of this code calls back into the engine's copy. The callbacks are monomorphised for the
//! host's [`InitHost`] type, so no trait object crosses the boundary.

use crate::ids::InstrumentId;
use crate::strategy::{SignalId, StrategyError};
use std::ffi::c_void;
use std::marker::PhantomData;

/// Why the host refused to register a signal. Crosses the boundary as its `u8` discriminant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RegisterError {
    /// The strategy already registered a signal with this name.
    Duplicate = 1,
    /// The strategy registered as many signals as the host allows.
    TooMany = 2,
    /// The name is empty, too long, or not of `[A-Za-z0-9_.:-]`.
    InvalidName = 3,
}

impl RegisterError {
    const fn from_code(code: i32) -> Self {
        match code {
            1 => Self::Duplicate,
            2 => Self::TooMany,
            _ => Self::InvalidName,
        }
    }
}

/// The host side of [`InitContext`]: implemented by the engine.
pub trait InitHost {
    /// Registers the strategy's signal `name` and returns its id.
    ///
    /// # Errors
    /// A [`RegisterError`].
    fn register_signal(&mut self, name: &str) -> Result<SignalId, RegisterError>;

    /// The id of the instrument called `symbol` (e.g. `"binance-spot:BTCUSDT"`), if the engine
    /// knows it.
    fn instrument(&self, symbol: &str) -> Option<InstrumentId>;
}

type RegisterFn =
    unsafe extern "C" fn(host: *mut c_void, name: *const u8, len: usize, out: *mut u32) -> i32;
type InstrumentFn =
    unsafe extern "C" fn(host: *mut c_void, symbol: *const u8, len: usize, out: *mut u32) -> i32;

/// What a strategy can ask the host while it is being created: register its named signals and
/// look up instruments by symbol.
#[repr(C)]
#[derive(Debug)]
pub struct InitContext<'a> {
    pub(super) host: *mut c_void,
    pub(super) register_signal: RegisterFn,
    pub(super) instrument: InstrumentFn,
    pub(super) _borrow: PhantomData<&'a mut ()>,
}

impl<'a> InitContext<'a> {
    /// Host side: an init context backed by `host` for one `create` call.
    pub fn new<H: InitHost>(host: &'a mut H) -> Self {
        Self {
            host: (host as *mut H).cast(),
            register_signal: register_trampoline::<H>,
            instrument: instrument_trampoline::<H>,
            _borrow: PhantomData,
        }
    }

    /// Registers the named signal `name` (unique per strategy) and returns the id to
    /// [`emit`](crate::Context::emit) it with.
    ///
    /// # Errors
    /// A [`StrategyError`] naming the signal when the host refuses it.
    pub fn register_signal(&mut self, name: &str) -> Result<SignalId, StrategyError> {
        let mut out = 0u32;
        // SAFETY: `host` and `register_signal` were paired by `InitContext::new` for a host
        // borrowed for 'a; `name` is a live `&str` for the call and `out` a live `u32`.
        let rc = unsafe { (self.register_signal)(self.host, name.as_ptr(), name.len(), &mut out) };
        match rc {
            0 => Ok(SignalId::new(out)),
            code => Err(StrategyError::new(match RegisterError::from_code(code) {
                RegisterError::Duplicate => format!("signal `{name}` is registered twice"),
                RegisterError::TooMany => format!("too many signals: `{name}` is one too many"),
                RegisterError::InvalidName => format!(
                    "invalid signal name `{name}`: use 1 to 64 characters of [A-Za-z0-9_.:-]"
                ),
            })),
        }
    }

    /// The id of the instrument called `symbol`, if the engine knows it.
    pub fn instrument(&self, symbol: &str) -> Option<InstrumentId> {
        let mut out = 0u32;
        // SAFETY: as in `register_signal`.
        let rc = unsafe { (self.instrument)(self.host, symbol.as_ptr(), symbol.len(), &mut out) };
        (rc == 0).then_some(InstrumentId::new(out))
    }
}

/// Rebuilds a `&str` the other side lent as `(ptr, len)`; `None` if it is not UTF-8.
///
/// # Safety
/// `ptr` must point to `len` readable bytes (or be anything when `len` is 0).
unsafe fn borrowed_str<'s>(ptr: *const u8, len: usize) -> Option<&'s str> {
    if len == 0 || ptr.is_null() {
        return Some("");
    }
    // SAFETY: guaranteed by the caller.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    std::str::from_utf8(bytes).ok()
}

/// # Safety
/// `host` must be the `*mut H` stored by `InitContext::new`, `name` point to `len` bytes, and
/// `out` be writable.
unsafe extern "C" fn register_trampoline<H: InitHost>(
    host: *mut c_void,
    name: *const u8,
    len: usize,
    out: *mut u32,
) -> i32 {
    // SAFETY: guaranteed by the caller (`InitContext::register_signal`).
    let Some(name) = (unsafe { borrowed_str(name, len) }) else {
        return RegisterError::InvalidName as i32;
    };
    // SAFETY: `host` is the exclusive borrow `InitContext::new` took; no other reference to it
    // is live during the callback.
    let host = unsafe { &mut *host.cast::<H>() };
    match host.register_signal(name) {
        Ok(id) => {
            // SAFETY: `out` is writable (caller).
            unsafe { out.write(id.index() as u32) };
            0
        }
        Err(e) => e as i32,
    }
}

/// # Safety
/// As for `register_trampoline`.
unsafe extern "C" fn instrument_trampoline<H: InitHost>(
    host: *mut c_void,
    symbol: *const u8,
    len: usize,
    out: *mut u32,
) -> i32 {
    // SAFETY: guaranteed by the caller (`InitContext::instrument`).
    let Some(symbol) = (unsafe { borrowed_str(symbol, len) }) else {
        return 1;
    };
    // SAFETY: as in `register_trampoline`.
    let host = unsafe { &*host.cast::<H>() };
    match host.instrument(symbol) {
        Some(id) => {
            // SAFETY: `out` is writable (caller).
            unsafe { out.write(id.get()) };
            0
        }
        None => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Host {
        names: Vec<String>,
    }

    impl InitHost for Host {
        fn register_signal(&mut self, name: &str) -> Result<SignalId, RegisterError> {
            if name.is_empty() {
                return Err(RegisterError::InvalidName);
            }
            if self.names.iter().any(|n| n == name) {
                return Err(RegisterError::Duplicate);
            }
            self.names.push(name.to_owned());
            Ok(SignalId::new(self.names.len() as u32 - 1))
        }

        fn instrument(&self, symbol: &str) -> Option<InstrumentId> {
            (symbol == "btc").then_some(InstrumentId::new(7))
        }
    }

    #[test]
    fn register_signal_numbers_from_zero_and_rejects_duplicates() {
        let mut host = Host::default();
        let mut ctx = InitContext::new(&mut host);
        assert_eq!(ctx.register_signal("a"), Ok(SignalId::new(0)));
        assert_eq!(ctx.register_signal("b"), Ok(SignalId::new(1)));
        let err = ctx.register_signal("a").map(|_| ()).unwrap_err();
        assert!(err.message().contains("`a` is registered twice"), "{err}");
        assert!(ctx.register_signal("").is_err());
        assert_eq!(host.names, ["a", "b"]);
    }

    #[test]
    fn instrument_lookup_goes_through_host() {
        let mut host = Host::default();
        let ctx = InitContext::new(&mut host);
        assert_eq!(ctx.instrument("btc"), Some(InstrumentId::new(7)));
        assert_eq!(ctx.instrument("eth"), None);
    }
}
