//! A strategy library's manifest as read by the host ([`ManifestInfo`]), what this engine
//! expects ([`HostAbi`]), and the check between the two: every [`Mismatch`] at once.

use ladder_sdk::abi::{
    ABI_MAJOR, ABI_MINOR, LAYOUT_HASH, MAGIC, Manifest, RUSTC_VERSION, VTABLE_SIZE_V1_0, VTable,
};
use std::fmt;

/// What this engine expects of a plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostAbi {
    /// ABI major: must be equal.
    pub abi_major: u16,
    /// Smallest ABI minor the engine can use.
    pub abi_minor_required: u16,
    /// The engine's layout hash: must be equal.
    pub layout_hash: u64,
    /// Smallest manifest the engine can read.
    pub header_size: u32,
    /// Smallest vtable the engine calls into.
    pub vtable_size: u32,
    /// The engine's `ladder-sdk` version (semver-compatible required).
    pub sdk_version: String,
    /// The engine's `rustc --version` (must be equal).
    pub rustc_version: String,
}

impl HostAbi {
    /// What this build of the engine expects: ABI 1.0 or later (a 1.0 library runs without
    /// state handoff), so the vtable must hold at least the 1.0 entries.
    pub fn current() -> Self {
        Self {
            abi_major: ABI_MAJOR,
            abi_minor_required: 0,
            layout_hash: LAYOUT_HASH,
            header_size: size_u32::<Manifest>(),
            vtable_size: VTABLE_SIZE_V1_0,
            sdk_version: ladder_sdk::SDK_VERSION.to_owned(),
            rustc_version: RUSTC_VERSION.to_owned(),
        }
    }
}

fn size_u32<T>() -> u32 {
    u32::try_from(std::mem::size_of::<T>()).unwrap_or(u32::MAX)
}

/// A plugin's manifest, copied out of the library. Fields past the fixed 24-byte prefix are
/// `None` when the manifest is too short to hold them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestInfo {
    /// Magic number (always [`MAGIC`] once read successfully).
    pub magic: u64,
    /// ABI major.
    pub abi_major: u16,
    /// ABI minor.
    pub abi_minor: u16,
    /// Manifest size in the plugin.
    pub header_size: u32,
    /// Layout hash of the plugin's SDK.
    pub layout_hash: u64,
    /// Built with `panic = "unwind"`.
    pub panic_unwind: Option<bool>,
    /// SDK version.
    pub sdk_version: Option<String>,
    /// `rustc --version` of the plugin's compiler.
    pub rustc_version: Option<String>,
    /// Strategy crate name.
    pub name: Option<String>,
    /// Strategy crate version.
    pub version: Option<String>,
    /// Vtable size in the plugin.
    pub vtable_size: Option<u32>,
    /// The vtable pointer was non-null.
    pub has_vtable: bool,
}

impl ManifestInfo {
    /// `name version`, or `unknown strategy` when the manifest does not say.
    pub fn display_name(&self) -> String {
        match (&self.name, &self.version) {
            (Some(n), Some(v)) => format!("{n} {v}"),
            (Some(n), None) => n.clone(),
            _ => "unknown strategy".to_owned(),
        }
    }

    /// The manifest of this engine's own SDK for strategy `name` (for tests and tools).
    pub fn of_host(name: &str, version: &str) -> Self {
        let host = HostAbi::current();
        Self {
            magic: MAGIC,
            abi_major: host.abi_major,
            abi_minor: ABI_MINOR,
            header_size: host.header_size,
            layout_hash: host.layout_hash,
            panic_unwind: Some(true),
            sdk_version: Some(host.sdk_version),
            rustc_version: Some(host.rustc_version),
            name: Some(name.to_owned()),
            version: Some(version.to_owned()),
            vtable_size: Some(size_u32::<VTable>()),
            has_vtable: true,
        }
    }
}

impl fmt::Display for ManifestInfo {
    /// One `key: value` per line, as `ladder plugins check` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unknown = "(not in manifest)";
        let opt = |s: &Option<String>| s.clone().unwrap_or_else(|| unknown.to_owned());
        writeln!(f, "name:         {}", opt(&self.name))?;
        writeln!(f, "version:      {}", opt(&self.version))?;
        writeln!(f, "sdk:          {}", opt(&self.sdk_version))?;
        writeln!(f, "rustc:        {}", opt(&self.rustc_version))?;
        writeln!(f, "abi:          {}.{}", self.abi_major, self.abi_minor)?;
        writeln!(f, "layout hash:  {:#018x}", self.layout_hash)?;
        let panic = match self.panic_unwind {
            Some(true) => "unwind",
            Some(false) => "abort",
            None => unknown,
        };
        write!(f, "panic:        {panic}")
    }
}

/// One reason a plugin cannot be loaded by this engine.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mismatch {
    /// Incompatible `ladder-sdk` versions.
    SdkVersion {
        /// The plugin's.
        plugin: String,
        /// The engine's.
        engine: String,
    },
    /// Different compilers.
    Rustc {
        /// The plugin's `rustc --version`.
        plugin: String,
        /// The engine's.
        engine: String,
    },
    /// Different ABI major version.
    AbiMajor {
        /// The plugin's.
        plugin: u16,
        /// The engine's.
        engine: u16,
    },
    /// The plugin's ABI minor is older than the engine needs.
    AbiMinor {
        /// The plugin's.
        plugin: u16,
        /// The smallest the engine can use.
        required: u16,
    },
    /// Different layout of the boundary types.
    LayoutHash {
        /// The plugin's.
        plugin: u64,
        /// The engine's.
        engine: u64,
    },
    /// Built with `panic = "abort"` (or the manifest does not say).
    PanicStrategy,
    /// The manifest is shorter than the engine reads.
    HeaderSize {
        /// The plugin's.
        plugin: u32,
        /// What the engine needs.
        required: u32,
    },
    /// The vtable is shorter than the engine calls (or missing).
    VtableSize {
        /// The plugin's, if any.
        plugin: Option<u32>,
        /// What the engine needs.
        required: u32,
    },
    /// The vtable pointer is null.
    NullVtable,
}

/// `rustc 1.95.0 (59807616e 2026-04-14)` → `1.95.0`.
fn rustc_number(full: &str) -> &str {
    full.split_whitespace().nth(1).unwrap_or(full)
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SdkVersion { plugin, engine } => {
                write!(f, "built with sdk {plugin}, engine has {engine}")
            }
            Self::Rustc { plugin, engine } => {
                let (p, e) = (rustc_number(plugin), rustc_number(engine));
                if p == e {
                    write!(f, "built with `{plugin}`, engine with `{engine}`")
                } else {
                    write!(f, "rustc {p} vs {e}")
                }
            }
            Self::AbiMajor { plugin, engine } => write!(f, "abi major {plugin} vs {engine}"),
            Self::AbiMinor { plugin, required } => {
                write!(f, "abi minor {plugin}, engine needs at least {required}")
            }
            Self::LayoutHash { plugin, engine } => {
                write!(f, "layout hash {plugin:#018x} vs {engine:#018x}")
            }
            Self::PanicStrategy => {
                f.write_str("built with panic = \"abort\", strategies need panic = \"unwind\"")
            }
            Self::HeaderSize { plugin, required } => {
                write!(f, "manifest is {plugin} bytes, engine reads {required}")
            }
            Self::VtableSize {
                plugin: Some(p),
                required,
            } => {
                write!(f, "vtable is {p} bytes, engine calls into {required}")
            }
            Self::VtableSize {
                plugin: None,
                required,
            } => {
                write!(f, "vtable size unknown, engine calls into {required} bytes")
            }
            Self::NullVtable => f.write_str("the vtable pointer is null"),
        }
    }
}

/// Every mismatch, displayed as one `; `-separated sentence.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mismatches(pub Vec<Mismatch>);

impl fmt::Display for Mismatches {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, m) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{m}")?;
        }
        Ok(())
    }
}

/// `(major, minor, patch)` of a `MAJOR.MINOR.PATCH[-pre][+build]` version.
fn semver(v: &str) -> Option<(u64, u64, u64)> {
    let core = v.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(str::parse::<u64>);
    let (Some(Ok(a)), Some(Ok(b)), Some(Ok(c)), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    Some((a, b, c))
}

/// Cargo's compatibility rule: same major, and for `0.x` the same minor (pre-releases and
/// unparsable versions must match exactly).
fn sdk_compatible(plugin: &str, engine: &str) -> bool {
    if plugin == engine {
        return true;
    }
    let pre = |v: &str| v.contains('-');
    match (semver(plugin), semver(engine)) {
        (Some(p), Some(e)) if !pre(plugin) && !pre(engine) => {
            if e.0 == 0 {
                (p.0, p.1) == (e.0, e.1)
            } else {
                p.0 == e.0
            }
        }
        _ => false,
    }
}

/// Every reason `info` cannot be loaded by an engine expecting `host`; empty when it can.
pub fn validate(info: &ManifestInfo, host: &HostAbi) -> Mismatches {
    let mut out = Vec::new();
    if let Some(sdk) = &info.sdk_version
        && !sdk_compatible(sdk, &host.sdk_version)
    {
        out.push(Mismatch::SdkVersion {
            plugin: sdk.clone(),
            engine: host.sdk_version.clone(),
        });
    }
    if let Some(rustc) = &info.rustc_version
        && *rustc != host.rustc_version
    {
        out.push(Mismatch::Rustc {
            plugin: rustc.clone(),
            engine: host.rustc_version.clone(),
        });
    }
    if info.abi_major != host.abi_major {
        out.push(Mismatch::AbiMajor {
            plugin: info.abi_major,
            engine: host.abi_major,
        });
    } else if info.abi_minor < host.abi_minor_required {
        out.push(Mismatch::AbiMinor {
            plugin: info.abi_minor,
            required: host.abi_minor_required,
        });
    }
    if info.layout_hash != host.layout_hash {
        out.push(Mismatch::LayoutHash {
            plugin: info.layout_hash,
            engine: host.layout_hash,
        });
    }
    if info.panic_unwind != Some(true) {
        out.push(Mismatch::PanicStrategy);
    }
    if info.header_size < host.header_size {
        out.push(Mismatch::HeaderSize {
            plugin: info.header_size,
            required: host.header_size,
        });
    }
    if !info.has_vtable && info.vtable_size.is_some() {
        out.push(Mismatch::NullVtable);
    } else if info.vtable_size.is_none_or(|s| s < host.vtable_size) {
        out.push(Mismatch::VtableSize {
            plugin: info.vtable_size,
            required: host.vtable_size,
        });
    }
    Mismatches(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> HostAbi {
        HostAbi {
            abi_major: 1,
            abi_minor_required: 0,
            layout_hash: 0xabc,
            header_size: 112,
            vtable_size: 88,
            sdk_version: "0.4.0".into(),
            rustc_version: "rustc 1.95.0 (59807616e 2026-04-14)".into(),
        }
    }

    fn good() -> ManifestInfo {
        let h = host();
        ManifestInfo {
            magic: MAGIC,
            abi_major: h.abi_major,
            abi_minor: 0,
            header_size: h.header_size,
            layout_hash: h.layout_hash,
            panic_unwind: Some(true),
            sdk_version: Some(h.sdk_version),
            rustc_version: Some(h.rustc_version),
            name: Some("demo".into()),
            version: Some("0.1.0".into()),
            vtable_size: Some(h.vtable_size),
            has_vtable: true,
        }
    }

    #[test]
    fn validate_matching_manifest_has_no_mismatch() {
        assert_eq!(validate(&good(), &host()), Mismatches::default());
    }

    #[test]
    fn validate_lists_every_mismatch_in_one_message() {
        let info = ManifestInfo {
            abi_major: 0,
            layout_hash: 0xdead,
            panic_unwind: Some(false),
            sdk_version: Some("0.3.0".into()),
            rustc_version: Some("rustc 1.94.0 (4a4ef493e 2026-03-02)".into()),
            header_size: 40,
            vtable_size: Some(16),
            ..good()
        };
        let m = validate(&info, &host());
        assert_eq!(m.0.len(), 7, "{m}");
        assert_eq!(
            m.to_string(),
            "built with sdk 0.3.0, engine has 0.4.0; rustc 1.94.0 vs 1.95.0; abi major 0 vs 1; \
             layout hash 0x000000000000dead vs 0x0000000000000abc; \
             built with panic = \"abort\", strategies need panic = \"unwind\"; \
             manifest is 40 bytes, engine reads 112; vtable is 16 bytes, engine calls into 88"
        );
    }

    #[test]
    fn validate_same_rustc_number_different_build_shows_full_strings() {
        let info = ManifestInfo {
            rustc_version: Some("rustc 1.95.0 (00000000 2026-01-01)".into()),
            ..good()
        };
        let m = validate(&info, &host()).to_string();
        assert!(m.contains("`rustc 1.95.0 (00000000 2026-01-01)`"), "{m}");
    }

    #[test]
    fn validate_short_manifest_reports_unknown_vtable_and_panic() {
        let info = ManifestInfo {
            header_size: 24,
            panic_unwind: None,
            sdk_version: None,
            rustc_version: None,
            name: None,
            version: None,
            vtable_size: None,
            has_vtable: false,
            ..good()
        };
        let m = validate(&info, &host());
        assert_eq!(
            m.0,
            [
                Mismatch::PanicStrategy,
                Mismatch::HeaderSize {
                    plugin: 24,
                    required: 112
                },
                Mismatch::VtableSize {
                    plugin: None,
                    required: 88
                },
            ]
        );
        assert_eq!(info.display_name(), "unknown strategy");
    }

    #[test]
    fn validate_null_vtable_is_reported() {
        let info = ManifestInfo {
            has_vtable: false,
            ..good()
        };
        assert_eq!(validate(&info, &host()).0, [Mismatch::NullVtable]);
    }

    #[test]
    fn sdk_versions_follow_cargo_compatibility() {
        assert!(sdk_compatible("0.4.0", "0.4.7"));
        assert!(!sdk_compatible("0.3.0", "0.4.0"));
        assert!(sdk_compatible("1.2.0", "1.9.1"));
        assert!(!sdk_compatible("1.2.0", "2.0.0"));
        assert!(!sdk_compatible("0.4.0-alpha", "0.4.0"));
        assert!(!sdk_compatible("garbage", "0.4.0"));
    }

    #[test]
    fn host_abi_current_matches_the_sdk() {
        let h = HostAbi::current();
        assert_eq!(h.layout_hash, LAYOUT_HASH);
        assert_eq!(h.sdk_version, ladder_sdk::SDK_VERSION);
        assert!(h.rustc_version.starts_with("rustc "));
        assert_eq!(
            validate(&ManifestInfo::of_host("x", "1"), &h),
            Mismatches::default()
        );
    }
}
