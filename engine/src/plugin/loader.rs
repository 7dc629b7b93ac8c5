//! Opening strategy libraries: the file is read once, checked (an ELF shared object must have
//! its header, program headers and segments inside the file: a truncated one would otherwise
//! crash the process with `SIGBUS` once mapped), hashed, and those very bytes are loaded: on
//! Linux they are copied into a sealed `memfd` and `dlopen`ed as `/proc/self/fd/N`, so the hash
//! in a report is the hash of the code that runs, and a library rebuilt, replaced or truncated
//! on disk while the engine runs cannot change or crash it. Then `dlopen` with
//! `RTLD_NOW | RTLD_LOCAL`, the entry symbol, the manifest check.
//!
//! Libraries are never unloaded (see `docs/hotpath.md` §1.1): each one opened is leaked into a
//! `'static`, so function pointers, vtables and plugin TLS stay valid for the life of the
//! process. The same bytes (same SHA-256) are loaded once: a second load reuses the library.
//! That is also what makes a hot reload load new code: `dlopen` caches by name, but each set of
//! bytes gets its own memfd, so a rebuilt library at the same path is a new library.
//!
//! A library built with ABI 1.0 (no state handoff entries: its `vtable_size` is the 1.0 size)
//! loads with handoff entries that hand nothing over ([`VTableV1_0::upgrade`]).
#![allow(unsafe_code)]

use super::elf;
use super::error::{LoaderMessage, PluginError};
use super::manifest::{HostAbi, ManifestInfo, Mismatches, validate};
use ladder_sdk::abi::{
    ENTRY_SYMBOL, ENTRY_SYMBOL_PREFIX, MAGIC, Manifest, ManifestPrefix, StrRef, VTable, VTableV1_0,
};
use ladder_sdk::state::Handoff;
use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Longest manifest string the host copies; longer means a broken manifest.
const MAX_STR: usize = 4096;

/// Largest file taken for a strategy library (the examples are a few MiB).
const MAX_LIBRARY_BYTES: u64 = 1 << 30;

/// Which file a strategy library was loaded from, and the SHA-256 of the bytes loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryOrigin {
    /// The path as given (command line, or the config's value joined to the config's folder).
    pub given: PathBuf,
    /// The absolute path of the file that was opened (symbolic links resolved).
    pub resolved: PathBuf,
    /// SHA-256 of the bytes read from it, which are the bytes loaded (lowercase hex).
    pub sha256: String,
}

/// A validated strategy library, loaded for the life of the process.
#[derive(Debug)]
pub struct Plugin {
    origin: LibraryOrigin,
    info: ManifestInfo,
    vtable: VTable,
    handoff: Handoff,
}

impl Plugin {
    /// The library path it was loaded from, as given.
    pub fn path(&self) -> &Path {
        &self.origin.given
    }

    /// Where it was loaded from and the SHA-256 of the bytes loaded.
    pub fn origin(&self) -> &LibraryOrigin {
        &self.origin
    }

    /// Its manifest.
    pub fn manifest(&self) -> &ManifestInfo {
        &self.info
    }

    /// The strategy's name (crate name).
    pub fn name(&self) -> &str {
        self.info.name.as_deref().unwrap_or("unknown")
    }

    /// Its entry points (for tools and benches; the engine calls them through
    /// [`StrategyInstance`](super::StrategyInstance)).
    pub fn vtable(&self) -> &VTable {
        &self.vtable
    }

    /// What the strategy says about state handoff on a hot swap ([`Handoff::NONE`] for an
    /// ABI 1.0 library).
    pub fn handoff(&self) -> Handoff {
        self.handoff
    }
}

/// The result of [`inspect`]: the manifest and every reason it cannot be loaded.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// The manifest as read.
    pub info: ManifestInfo,
    /// Every mismatch with this engine (empty: loadable).
    pub mismatches: Mismatches,
    /// The file and the SHA-256 of the bytes loaded.
    pub origin: LibraryOrigin,
}

/// Opens `path` and reads its manifest without creating anything: what
/// `ladder plugins check` shows. The library stays loaded (never unloaded).
///
/// # Errors
/// A [`PluginError`] when the file is unreadable, not a shared library, or not a ladder
/// strategy. An incompatible strategy is *not* an error here: see [`Inspection::mismatches`].
pub fn inspect(path: &Path) -> Result<Inspection, PluginError> {
    let opened = open_manifest(path)?;
    let mismatches = validate(&opened.info, &HostAbi::current());
    Ok(Inspection {
        info: opened.info,
        mismatches,
        origin: opened.origin,
    })
}

/// Loads the strategy library at `path` for good: opens it, checks its manifest against this
/// engine and returns it as a `'static` [`Plugin`].
///
/// # Errors
/// [`PluginError::Incompatible`] listing every mismatch at once, or any error of [`inspect`].
pub fn load(path: &Path) -> Result<&'static Plugin, PluginError> {
    let Opened {
        info,
        manifest,
        origin,
    } = open_manifest(path)?;
    let mismatches = validate(&info, &HostAbi::current());
    let manifest = match manifest {
        Some(m) if mismatches.0.is_empty() => m,
        _ => {
            return Err(PluginError::Incompatible {
                path: path.to_owned(),
                name: info.display_name(),
                mismatches,
            });
        }
    };
    // SAFETY: the manifest passed validation: same ABI major, same layout hash, and a non-null
    // vtable at least as large as ABI 1.0's; it lives in a library that is never unloaded.
    let vtable = unsafe { vtable_of(manifest) };
    let handoff = (vtable.handoff)();
    Ok(Box::leak(Box::new(Plugin {
        origin,
        info,
        vtable,
        handoff,
    })))
}

/// The full vtable of a validated manifest: all of it for ABI 1.1 and later, else the 1.0
/// entries with handoff entries that hand nothing over.
///
/// # Safety
/// `manifest.vtable` is non-null, aligned and points to at least `manifest.vtable_size` bytes
/// of a vtable, which is at least [`VTABLE_SIZE_V1_0`](ladder_sdk::abi::VTABLE_SIZE_V1_0).
unsafe fn vtable_of(manifest: &Manifest) -> VTable {
    if manifest.abi_minor >= 1 && manifest.vtable_size as usize >= std::mem::size_of::<VTable>() {
        // SAFETY: the plugin's vtable covers all of ours (caller).
        unsafe { *manifest.vtable }
    } else {
        // SAFETY: every vtable starts with the 1.0 entries (caller).
        unsafe { *manifest.vtable.cast::<VTableV1_0>() }.upgrade()
    }
}

/// True if `head` starts like a shared object this platform could load: ELF, Mach-O 64
/// (little-endian) or a Mach-O universal binary.
fn looks_like_shared_object(head: &[u8]) -> bool {
    const MACHO_64: [u8; 4] = [0xcf, 0xfa, 0xed, 0xfe];
    const MACHO_UNIVERSAL: [u8; 4] = [0xca, 0xfe, 0xba, 0xbe];
    [elf::MAGIC, MACHO_64, MACHO_UNIVERSAL]
        .iter()
        .any(|magic| head.starts_with(magic))
}

/// A library file read into memory.
struct LibraryBytes {
    bytes: Vec<u8>,
    origin: LibraryOrigin,
}

/// Reads the whole file once; the path it really is comes from the open file itself.
fn read_library(path: &Path) -> Result<LibraryBytes, PluginError> {
    let read_err = |source| PluginError::Read {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read_err)?;
    let meta = file.metadata().map_err(read_err)?;
    if !meta.is_file() {
        return Err(read_err(std::io::Error::other("not a regular file")));
    }
    if meta.len() > MAX_LIBRARY_BYTES {
        return Err(PluginError::Malformed {
            path: path.to_owned(),
            reason: format!(
                "it is {} bytes, larger than any strategy library ({MAX_LIBRARY_BYTES})",
                meta.len()
            ),
        });
    }
    let resolved = opened_path(&file, path);
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(&mut bytes).map_err(read_err)?;
    let sha256 = crate::report::sha256_hex(&bytes);
    Ok(LibraryBytes {
        bytes,
        origin: LibraryOrigin {
            given: path.to_owned(),
            resolved,
            sha256,
        },
    })
}

/// The absolute path of the open `file` (on Linux, what `/proc/self/fd/N` points at: the file
/// actually opened, whatever happened to `path` since); else `path` canonicalised.
fn opened_path(file: &std::fs::File, path: &Path) -> PathBuf {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd as _;
        if let Ok(p) = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
            && p.is_absolute()
        {
            return p;
        }
    }
    let _ = file;
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_owned())
}

/// Libraries loaded so far, by the SHA-256 of their bytes.
static LOADED: Mutex<Vec<(String, &'static Library)>> = Mutex::new(Vec::new());

/// `dlopen`s exactly `bytes` (see the module docs), or reuses the library already loaded from
/// the same bytes.
fn open_bytes(lib: &LibraryBytes) -> Result<&'static Library, PluginError> {
    let mut loaded = LOADED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, l)) = loaded.iter().find(|(h, _)| *h == lib.origin.sha256) {
        return Ok(l);
    }
    let path = &lib.origin.given;
    let opened = dlopen_bytes(&lib.bytes, path).map_err(|e| match e {
        Staged::Copy(source) => PluginError::Copy {
            path: path.clone(),
            source,
        },
        Staged::Dlopen { source, opened_as } => {
            let said = source.to_string();
            let source = LoaderMessage(match opened_as {
                Some(p) => said.replace(&p, &path.display().to_string()),
                None => said,
            });
            if looks_like_shared_object(&lib.bytes) {
                PluginError::Open {
                    path: path.clone(),
                    source,
                }
            } else {
                PluginError::NotSharedLibrary {
                    path: path.clone(),
                    source,
                }
            }
        }
    })?;
    tracing::info!(
        path = %path.display(),
        sha256 = %lib.origin.sha256,
        "strategy library loaded"
    );
    // Never unloaded: see the module docs.
    let opened: &'static Library = Box::leak(Box::new(opened));
    loaded.push((lib.origin.sha256.clone(), opened));
    Ok(opened)
}

/// Why [`dlopen_bytes`] failed.
enum Staged {
    /// The in-memory copy could not be made.
    Copy(std::io::Error),
    /// The dynamic loader refused it.
    Dlopen {
        /// What it said.
        source: libloading::Error,
        /// The name it was given, when that is not the user's path.
        opened_as: Option<String>,
    },
}

/// Times the write seal is asked again after EBUSY (20 ms apart).
#[cfg(target_os = "linux")]
const SEAL_BUSY_RETRIES: u32 = 25;

/// Copies `bytes` into a sealed memfd and `dlopen`s it.
#[cfg(target_os = "linux")]
fn dlopen_bytes(bytes: &[u8], path: &Path) -> Result<Library, Staged> {
    use rustix::fs::{MemfdFlags, SealFlags, fcntl_add_seals, memfd_create};
    use std::io::Write as _;
    use std::os::fd::AsRawFd as _;
    let name = path
        .file_name()
        .map_or_else(|| "ladder-strategy".into(), |n| n.to_string_lossy());
    let fd = memfd_create(&*name, MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)
        .map_err(|e| Staged::Copy(e.into()))?;
    let mut file = std::fs::File::from(fd);
    file.write_all(bytes).map_err(Staged::Copy)?;
    // Nothing can change the bytes from here on: not this process, not another one.
    // The kernel refuses the write seal (EBUSY) while a page of the file still holds an extra
    // reference, as a page just written can for a moment (another CPU's batch of pages not yet
    // on its LRU list); it waits briefly itself and gives up. On a loaded machine that wait was
    // seen to fall short (a strategy failed to load in a test run at load 6), so it is asked
    // again a few times before the load fails.
    let seals = SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE | SealFlags::SEAL;
    let mut busy = 0;
    loop {
        match fcntl_add_seals(&file, seals) {
            Err(rustix::io::Errno::BUSY) if busy < SEAL_BUSY_RETRIES => {
                busy += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            r => break r.map_err(|e| Staged::Copy(e.into()))?,
        }
    }
    let proc_path = format!("/proc/self/fd/{}", file.as_raw_fd());
    // SAFETY: loading a library runs its initialisers; that is the contract of a strategy
    // library (`ladder plugins check` documents it). The bytes passed `elf::check` (no segment
    // past the end of the file) and are sealed. RTLD_NOW binds every symbol now rather than on
    // the hot path; RTLD_LOCAL keeps its symbols out of the global namespace.
    let lib =
        unsafe { Library::open(Some(&proc_path), RTLD_NOW | RTLD_LOCAL) }.map_err(|source| {
            Staged::Dlopen {
                source,
                opened_as: Some(proc_path.clone()),
            }
        })?;
    // The loader knows the library by the name `/proc/self/fd/N` and matches later `dlopen`s by
    // name: were `N` closed and reused for another library, `dlopen` would hand back this one.
    // The descriptor stays open for the life of the process, as the library does.
    std::mem::forget(file);
    Ok(lib)
}

/// Elsewhere there is no memfd: the file itself is opened (the hash is of the bytes read just
/// before).
#[cfg(not(target_os = "linux"))]
fn dlopen_bytes(_bytes: &[u8], path: &Path) -> Result<Library, Staged> {
    // A path without a `/` would make dlopen search the library path instead of opening it.
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    // SAFETY: as above: loading runs the library's initialisers, the strategy contract.
    unsafe { Library::open(Some(&abs), RTLD_NOW | RTLD_LOCAL) }.map_err(|source| Staged::Dlopen {
        source,
        opened_as: None,
    })
}

/// What [`open_manifest`] found.
struct Opened {
    info: ManifestInfo,
    manifest: Option<&'static Manifest>,
    origin: LibraryOrigin,
}

/// Reads, checks and opens the library (leaking it), resolves the entry symbol and copies the
/// manifest out.
fn open_manifest(path: &Path) -> Result<Opened, PluginError> {
    let file = read_library(path)?;
    if file.bytes.starts_with(&elf::MAGIC) {
        elf::check(&file.bytes).map_err(|reason| PluginError::Malformed {
            path: path.to_owned(),
            reason,
        })?;
    }
    let lib = open_bytes(&file)?;
    let entry = find_entry(lib, path, &file.bytes).ok_or_else(|| PluginError::NoEntrySymbol {
        path: path.to_owned(),
    })?;
    let bad = |what: &str| PluginError::BadManifest {
        path: path.to_owned(),
        what: what.to_owned(),
    };
    // SAFETY: calling the entry symbol is the ABI contract; it only returns a pointer to a
    // static.
    let ptr = unsafe { entry() };
    if ptr.is_null() {
        return Err(bad("a null pointer"));
    }
    if !ptr.is_aligned() {
        return Err(bad("a misaligned pointer"));
    }
    // SAFETY: non-null and aligned; every manifest of the v1 entry symbol starts with the
    // 24-byte prefix, in a static of the never-unloaded library.
    let prefix = unsafe { ptr.read() };
    if prefix.magic != MAGIC {
        return Err(bad(&format!(
            "a manifest with magic {:#018x}, not a ladder one",
            prefix.magic
        )));
    }
    let mut info = ManifestInfo {
        magic: prefix.magic,
        abi_major: prefix.abi_major,
        abi_minor: prefix.abi_minor,
        header_size: prefix.header_size,
        layout_hash: prefix.layout_hash,
        panic_unwind: None,
        sdk_version: None,
        rustc_version: None,
        name: None,
        version: None,
        vtable_size: None,
        has_vtable: false,
    };
    if (prefix.header_size as usize) < std::mem::size_of::<Manifest>() {
        // Too short to read further; `validate` reports it.
        return Ok(Opened {
            info,
            manifest: None,
            origin: file.origin,
        });
    }
    // SAFETY: the plugin says its manifest is at least as large as ours, and the v1 manifest
    // layout only grows at the end; it is a static of the never-unloaded library.
    let manifest: &'static Manifest = unsafe { &*ptr.cast::<Manifest>() };
    info.panic_unwind = Some(manifest.panic_unwind == 1);
    info.sdk_version = read_str(manifest.sdk_version);
    info.rustc_version = read_str(manifest.rustc_version);
    info.name = read_str(manifest.name);
    info.version = read_str(manifest.version);
    info.vtable_size = Some(manifest.vtable_size);
    info.has_vtable = !manifest.vtable.is_null() && manifest.vtable.is_aligned();
    Ok(Opened {
        info,
        manifest: Some(manifest),
        origin: file.origin,
    })
}

type EntryFn = unsafe extern "C" fn() -> *const ManifestPrefix;

/// The entry symbol: the bare `ladder_strategy_v1`, else `ladder_strategy_v1__<crate>` for the
/// crate the file is named after (`libmy_strategy.so` → `my_strategy`), else any
/// `ladder_strategy_v1__*` name found in the file (a renamed library).
fn find_entry(lib: &'static Library, path: &Path, bytes: &[u8]) -> Option<EntryFn> {
    let resolve = |name: &str| {
        let symbol = format!("{name}\0");
        // SAFETY: an entry symbol of a ladder strategy has this signature (ABI contract); it
        // is copied out as a plain fn pointer, valid forever as the library is never unloaded.
        unsafe { lib.get::<EntryFn>(symbol.as_bytes()) }
            .ok()
            .map(|s| *s)
    };
    if let Some(f) = resolve(ENTRY_SYMBOL) {
        return Some(f);
    }
    if let Some(stem) = crate_stem(path)
        && let Some(f) = resolve(&format!("{ENTRY_SYMBOL_PREFIX}{stem}"))
    {
        return Some(f);
    }
    entry_names_in(bytes).iter().find_map(|name| resolve(name))
}

/// `…/libmy_strategy.so` → `my_strategy`.
fn crate_stem(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let name = name
        .strip_prefix(std::env::consts::DLL_PREFIX)
        .unwrap_or(name);
    name.split('.')
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Every distinct `ladder_strategy_v1__<ident>` string in the library's bytes (at most 16).
fn entry_names_in(bytes: &[u8]) -> Vec<String> {
    let prefix = ENTRY_SYMBOL_PREFIX.as_bytes();
    let mut names: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(off) = bytes[i..].windows(prefix.len()).position(|w| w == prefix) {
        let start = i + off;
        let end = bytes[start + prefix.len()..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
            .map_or(bytes.len(), |n| start + prefix.len() + n);
        if end > start + prefix.len()
            && let Ok(name) = std::str::from_utf8(&bytes[start..end])
            && !names.iter().any(|n| n == name)
        {
            names.push(name.to_owned());
            if names.len() == 16 {
                break;
            }
        }
        i = end.max(start + 1);
    }
    names
}

/// Copies a manifest string; `None` if null, absurdly long or not UTF-8.
fn read_str(s: StrRef) -> Option<String> {
    if s.ptr.is_null() || s.len > MAX_STR {
        return None;
    }
    // SAFETY: a non-null manifest string of bounded length pointing into the plugin's static
    // data (ABI contract); the library is never unloaded.
    let bytes = unsafe { std::slice::from_raw_parts(s.ptr, s.len) };
    std::str::from_utf8(bytes).ok().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ladder_sdk::abi::{REFUSED, VTABLE_SIZE_V1_0};
    use ladder_sdk::state::{StateReader, StateWriter};
    use ladder_sdk::{BookView, Context, InitContext, Strategy, StrategyError};

    struct WithState;

    impl Strategy for WithState {
        fn new(_: &str, _: &mut InitContext<'_>) -> Result<Self, StrategyError> {
            Ok(Self)
        }
        fn on_book(&mut self, _: &mut Context<'_>, _: &BookView<'_>) {}
        fn handoff() -> Handoff {
            Handoff::versioned(7)
        }
        fn export_state(&self, out: &mut StateWriter<'_>) {
            out.u8(1);
        }
        fn import_state(&mut self, _: u32, _: &mut StateReader<'_>) -> Result<(), StrategyError> {
            Ok(())
        }
    }

    static FULL: VTable = VTable::of::<WithState>();
    static V1_0: VTableV1_0 = VTableV1_0 {
        create: FULL.create,
        destroy: FULL.destroy,
        on_start: FULL.on_start,
        on_stop: FULL.on_stop,
        on_timer: FULL.on_timer,
        on_book: FULL.on_book,
        on_trade: FULL.on_trade,
        on_order_update: FULL.on_order_update,
        on_fill: FULL.on_fill,
        on_status: FULL.on_status,
        last_error: FULL.last_error,
    };

    fn manifest(abi_minor: u16, vtable: *const VTable, vtable_size: u32) -> Manifest {
        let mut m = Manifest::new("t", "0", true, &FULL);
        m.abi_minor = abi_minor;
        m.vtable = vtable;
        m.vtable_size = vtable_size;
        m
    }

    #[test]
    fn vtable_of_abi_1_1_keeps_the_handoff_entries() {
        let m = manifest(1, &FULL, std::mem::size_of::<VTable>() as u32);
        // SAFETY: `FULL` is a whole vtable.
        let vt = unsafe { vtable_of(&m) };
        assert_eq!((vt.handoff)(), Handoff::versioned(7));
    }

    #[test]
    fn vtable_of_abi_1_0_library_hands_nothing_over_and_refuses_export() {
        let m = manifest(0, (&raw const V1_0).cast(), VTABLE_SIZE_V1_0);
        // SAFETY: `V1_0` holds the 1.0 entries the manifest claims.
        let vt = unsafe { vtable_of(&m) };
        assert_eq!((vt.handoff)(), Handoff::NONE);
        let (mut p, mut n) = (std::ptr::null(), 0usize);
        // SAFETY: the 1.0 stub reads nothing.
        let rc = unsafe { (vt.export_state)(std::ptr::null_mut(), &mut p, &mut n) };
        assert_eq!(rc, REFUSED);
        let mut info = ManifestInfo::of_host("t", "0");
        info.abi_minor = 0;
        info.vtable_size = Some(VTABLE_SIZE_V1_0);
        assert_eq!(
            super::super::manifest::validate(&info, &HostAbi::current()),
            Mismatches::default(),
            "an ABI 1.0 library must stay loadable"
        );
    }

    #[test]
    fn crate_stem_strips_prefix_and_extensions() {
        let dll = |s: &str| {
            format!(
                "{}{s}{}",
                std::env::consts::DLL_PREFIX,
                std::env::consts::DLL_SUFFIX
            )
        };
        assert_eq!(
            crate_stem(&Path::new("/x").join(dll("my_strat"))).as_deref(),
            Some("my_strat")
        );
        assert_eq!(
            crate_stem(Path::new("plain.so.1")).as_deref(),
            Some("plain")
        );
        assert_eq!(crate_stem(Path::new("/")), None);
    }

    #[test]
    fn entry_names_in_finds_each_distinct_name() {
        let bytes = b"\x00ladder_strategy_v1__alpha\x00junk ladder_strategy_v1__\x00\
                      ladder_strategy_v1__b_2.\x00ladder_strategy_v1__alpha\x00ladder_strategy_v1";
        let names = entry_names_in(bytes);
        assert_eq!(
            names,
            ["ladder_strategy_v1__alpha", "ladder_strategy_v1__b_2"]
        );
    }
}
