//! The plugin host: loads strategy libraries built with `ladder-sdk`'s `export_strategy!` and
//! calls strategies through one interface whether they are plugins or statically linked.
//!
//! - [`load`] / [`inspect`]: the file read once, checked (a truncated ELF file is refused
//!   before it is mapped), hashed, and those bytes `dlopen`ed with `RTLD_NOW | RTLD_LOCAL`
//!   ([`LibraryOrigin`] says which file and which SHA-256); the `ladder_strategy_v1` entry
//!   symbol, and a manifest check that reports every mismatch at once (SDK and rustc
//!   versions, ABI version, layout hash, panic strategy, sizes). Libraries are never unloaded.
//! - [`StrategyInstance`]: a created strategy with its [`HostBuffers`]; `on_book`, `on_trade`,
//!   ... go through the plugin's C vtable or the `Strategy` trait, into the same buffers. A
//!   panic is caught (inside the plugin, by its own std) and disables the instance. On a hot
//!   swap, [`StrategyInstance::export_state`] / [`StrategyInstance::import_state`] hand the
//!   state over (ABI 1.1, `ladder_sdk::state`) and the new instance takes over the old one's
//!   host buffers.
//!
//! See `docs/hotpath.md` §1 for the hazards this design avoids.

mod elf;
mod error;
mod host;
mod instance;
mod loader;
mod manifest;
mod source;

pub use error::{LoaderMessage, PluginError};
pub use host::{CallOutput, HostBuffers, HostConfig};
pub use instance::{CallOutcome, HandoffError, InstanceKind, StrategyInstance};
pub use loader::{Inspection, LibraryOrigin, Plugin, inspect, load};
pub use manifest::{HostAbi, ManifestInfo, Mismatch, Mismatches, validate};
pub use source::{StrategyFactory, StrategySource};
