//! Opening strategy libraries: `dlopen` with `RTLD_NOW | RTLD_LOCAL`, the entry symbol, the
//! manifest check. Libraries are never unloaded (see `docs/hotpath.md` §1.1): each one opened is
//! leaked into a `'static`, so function pointers, vtables and plugin TLS stay valid for the life
//! of the process.
#![allow(unsafe_code)]

use super::error::PluginError;
use super::manifest::{HostAbi, ManifestInfo, Mismatches, validate};
use ladder_sdk::abi::{
    ENTRY_SYMBOL, ENTRY_SYMBOL_PREFIX, MAGIC, Manifest, ManifestPrefix, StrRef, VTable,
};
use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Longest manifest string the host copies; longer means a broken manifest.
const MAX_STR: usize = 4096;

/// A validated strategy library, loaded for the life of the process.
#[derive(Debug)]
pub struct Plugin {
    path: PathBuf,
    info: ManifestInfo,
    vtable: VTable,
}

impl Plugin {
    /// The library path it was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
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
}

/// The result of [`inspect`]: the manifest and every reason it cannot be loaded.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// The manifest as read.
    pub info: ManifestInfo,
    /// Every mismatch with this engine (empty: loadable).
    pub mismatches: Mismatches,
}

/// Opens `path` and reads its manifest without creating anything: what
/// `ladder plugins check` shows. The library stays loaded (never unloaded).
///
/// # Errors
/// A [`PluginError`] when the file is unreadable, not a shared library, or not a ladder
/// strategy. An incompatible strategy is *not* an error here: see [`Inspection::mismatches`].
pub fn inspect(path: &Path) -> Result<Inspection, PluginError> {
    let (info, _) = open_manifest(path)?;
    let mismatches = validate(&info, &HostAbi::current());
    Ok(Inspection { info, mismatches })
}

/// Loads the strategy library at `path` for good: opens it, checks its manifest against this
/// engine and returns it as a `'static` [`Plugin`].
///
/// # Errors
/// [`PluginError::Incompatible`] listing every mismatch at once, or any error of [`inspect`].
pub fn load(path: &Path) -> Result<&'static Plugin, PluginError> {
    let (info, manifest) = open_manifest(path)?;
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
    // vtable at least as large as ours; it lives in a library that is never unloaded.
    let vtable = unsafe { *manifest.vtable };
    Ok(Box::leak(Box::new(Plugin {
        path: path.to_owned(),
        info,
        vtable,
    })))
}

/// True if the file starts like a shared object this platform could load.
fn looks_like_shared_object(path: &Path) -> bool {
    let mut head = [0u8; 4];
    let ok = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok();
    ok && matches!(
        head,
        [0x7f, b'E', b'L', b'F'] // ELF
            | [0xcf, 0xfa, 0xed, 0xfe] // Mach-O 64, little-endian
            | [0xca, 0xfe, 0xba, 0xbe] // Mach-O universal
    )
}

/// Opens the library (leaking it), resolves the entry symbol and copies the manifest out.
fn open_manifest(path: &Path) -> Result<(ManifestInfo, Option<&'static Manifest>), PluginError> {
    std::fs::metadata(path)
        .and_then(|m| {
            if m.is_file() {
                Ok(())
            } else {
                Err(std::io::Error::other("not a regular file"))
            }
        })
        .map_err(|source| PluginError::Read {
            path: path.to_owned(),
            source,
        })?;
    // A path without a `/` would make dlopen search the library path instead of opening it.
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    // SAFETY: loading a library runs its initialisers; that is the contract of a strategy
    // library (`ladder plugins check` documents it). RTLD_NOW binds every symbol now rather
    // than on the hot path; RTLD_LOCAL keeps its symbols out of the global namespace.
    let lib = match unsafe { Library::open(Some(&abs), RTLD_NOW | RTLD_LOCAL) } {
        Ok(lib) => lib,
        Err(source) if !looks_like_shared_object(path) => {
            return Err(PluginError::NotSharedLibrary {
                path: path.to_owned(),
                source,
            });
        }
        Err(source) => {
            return Err(PluginError::Open {
                path: path.to_owned(),
                source,
            });
        }
    };
    // Never unloaded: see the module docs.
    let lib: &'static Library = Box::leak(Box::new(lib));
    let entry = find_entry(lib, path).ok_or_else(|| PluginError::NoEntrySymbol {
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
        return Ok((info, None));
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
    Ok((info, Some(manifest)))
}

type EntryFn = unsafe extern "C" fn() -> *const ManifestPrefix;

/// The entry symbol: the bare `ladder_strategy_v1`, else `ladder_strategy_v1__<crate>` for the
/// crate the file is named after (`libmy_strategy.so` → `my_strategy`), else any
/// `ladder_strategy_v1__*` name found in the file (a renamed library).
fn find_entry(lib: &'static Library, path: &Path) -> Option<EntryFn> {
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
    entry_names_in_file(path)
        .iter()
        .find_map(|name| resolve(name))
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

/// Every distinct `ladder_strategy_v1__<ident>` string in the file (at most 16).
fn entry_names_in_file(path: &Path) -> Vec<String> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
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
    fn entry_names_in_file_finds_each_distinct_name() {
        let dir = std::env::temp_dir().join(format!("ladder-loader-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let f = dir.join("lib.bin");
        let bytes = b"\x00ladder_strategy_v1__alpha\x00junk ladder_strategy_v1__\x00\
                      ladder_strategy_v1__b_2.\x00ladder_strategy_v1__alpha\x00ladder_strategy_v1";
        std::fs::write(&f, bytes).expect("write");
        let names = entry_names_in_file(&f);
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(
            names,
            ["ladder_strategy_v1__alpha", "ladder_strategy_v1__b_2"]
        );
    }
}
