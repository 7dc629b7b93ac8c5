//! `ladder new-strategy NAME [--path DIR]`: scaffold a strategy crate that builds and loads as
//! is: `Cargo.toml` (cdylib + rlib, its own `[workspace]`), `src/lib.rs` implementing
//! `Strategy` with `export_strategy!`, a README with the three steps, and a `.gitignore`.
//!
//! The `ladder-sdk` dependency is a path to this workspace's `sdk/` when the crate is created
//! inside a ladder checkout (or `--sdk-path` names one), else the released `ladder-sdk`.

use anyhow::{Context as _, bail};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `ladder new-strategy`.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Crate name of the new strategy, e.g. `my-strategy` (letters, digits, `-`, `_`).
    name: String,
    /// Directory to create the crate in (default: the current directory).
    #[arg(long, value_name = "DIR")]
    path: Option<PathBuf>,
    /// Depend on the `ladder-sdk` at this path (default: this workspace's `sdk/` when DIR is
    /// inside a ladder checkout, else the released crate).
    #[arg(long, value_name = "SDK_DIR")]
    sdk_path: Option<PathBuf>,
}

pub(super) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    validate_name(&args.name)?;
    let parent = match &args.path {
        Some(p) => p.clone(),
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create directory {}", parent.display()))?;
    let parent = parent
        .canonicalize()
        .with_context(|| format!("cannot resolve directory {}", parent.display()))?;
    let dir = parent.join(&args.name);
    if dir.exists() {
        bail!(
            "{} already exists; choose another name or --path",
            dir.display()
        );
    }
    let sdk_dep = sdk_dependency(args.sdk_path.as_deref(), &dir)?;
    let files = render(&args.name, &sdk_dep);
    std::fs::create_dir_all(dir.join("src"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    for (rel, text) in &files {
        let path = dir.join(rel);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    println!(
        "created strategy crate `{}` in {}",
        args.name,
        dir.display()
    );
    println!("  ladder-sdk: {sdk_dep}");
    println!("next: cd {} && cargo build --release", dir.display());
    println!(
        "then: ladder plugins check target/release/{}",
        lib_file(&args.name)
    );
    Ok(ExitCode::SUCCESS)
}

/// A crate name cargo accepts and that makes a Rust type name.
fn validate_name(name: &str) -> anyhow::Result<()> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && name.len() <= 64;
    if !ok {
        bail!(
            "invalid strategy name `{name}`: use a letter then letters, digits, `-` or `_` \
             (at most 64), e.g. `my-strategy`"
        );
    }
    if matches!(name, "ladder-sdk" | "ladder_sdk" | "test" | "core" | "std") {
        bail!("invalid strategy name `{name}`: it clashes with a crate the strategy uses");
    }
    Ok(())
}

/// `my-strategy` → `MyStrategy`.
fn type_name(name: &str) -> String {
    name.split(['-', '_'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// `my-strategy` → `libmy_strategy.so` (platform prefix and suffix).
fn lib_file(name: &str) -> String {
    use std::env::consts::{DLL_PREFIX, DLL_SUFFIX};
    format!("{DLL_PREFIX}{}{DLL_SUFFIX}", name.replace('-', "_"))
}

/// True if `dir` holds a `Cargo.toml` of package `ladder-sdk`.
fn is_sdk_dir(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|t| {
        t.lines()
            .any(|l| l.trim().replace(' ', "") == "name=\"ladder-sdk\"")
    })
}

/// The ladder workspace root `dir` is inside, if any.
fn enclosing_workspace(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().skip(1).find_map(|a| {
        let manifest = std::fs::read_to_string(a.join("Cargo.toml")).ok()?;
        (manifest.contains("[workspace]") && is_sdk_dir(&a.join("sdk"))).then(|| a.to_owned())
    })
}

/// `ladder-sdk = ...` for the new crate at `dir`.
fn sdk_dependency(explicit: Option<&Path>, dir: &Path) -> anyhow::Result<String> {
    if let Some(sdk) = explicit {
        let sdk = sdk
            .canonicalize()
            .with_context(|| format!("--sdk-path {} does not exist", sdk.display()))?;
        if !is_sdk_dir(&sdk) {
            bail!(
                "--sdk-path {}: no Cargo.toml of package `ladder-sdk` there",
                sdk.display()
            );
        }
        return Ok(format!("{{ path = {} }}", toml_str(&sdk.to_string_lossy())));
    }
    if let Some(root) = enclosing_workspace(dir) {
        let depth = dir
            .strip_prefix(&root)
            .map_or(0, |rel| rel.components().count());
        let rel = format!("{}sdk", "../".repeat(depth));
        return Ok(format!("{{ path = {} }}", toml_str(&rel)));
    }
    Ok(toml_str(ladder_sdk::SDK_VERSION))
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn render(name: &str, sdk_dep: &str) -> Vec<(&'static str, String)> {
    let fill = |t: &str| {
        t.replace("{{NAME}}", name)
            .replace("{{TYPE}}", &type_name(name))
            .replace("{{SDK_DEP}}", sdk_dep)
            .replace("{{LIB_FILE}}", &lib_file(name))
    };
    vec![
        ("Cargo.toml", fill(CARGO_TOML)),
        ("src/lib.rs", fill(LIB_RS)),
        ("README.md", fill(README)),
        (".gitignore", "/target\n".to_owned()),
    ]
}

const CARGO_TOML: &str = r#"[package]
name = "{{NAME}}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
# cdylib: the plugin the engine loads; rlib: the same strategy linked into tests.
crate-type = ["cdylib", "rlib"]

[dependencies]
ladder-sdk = {{SDK_DEP}}

# Its own workspace: the strategy builds on its own, also inside a ladder checkout.
[workspace]

[profile.release]
# Required: a panic must unwind so the plugin can catch it and the engine keeps running.
panic = "unwind"
"#;

const LIB_RS: &str = r#"//! `{{NAME}}`: a ladder strategy. Build it with `cargo build --release` and load
//! `target/release/{{LIB_FILE}}` into the engine.

use ladder_sdk::prelude::*;

/// Emits the top-of-book imbalance `(bid qty - ask qty) / (bid qty + ask qty)` of every synced
/// book it sees. Replace the body of `on_book` with your own logic.
pub struct {{TYPE}} {
    imbalance: SignalId,
}

impl Strategy for {{TYPE}} {
    fn new(config: &str, ctx: &mut InitContext<'_>) -> Result<Self, StrategyError> {
        if !config.trim().is_empty() {
            return Err(StrategyError::new(format!(
                "{{NAME}} takes no config yet, got `{}`",
                config.trim()
            )));
        }
        Ok(Self { imbalance: ctx.register_signal("imbalance")? })
    }

    fn on_book(&mut self, ctx: &mut Context<'_>, book: &BookView<'_>) {
        if !book.is_synced() {
            return;
        }
        let (Some(bid), Some(ask)) = (book.best_bid(), book.best_ask()) else {
            return;
        };
        let (b, a) = (bid.qty.lots() as f64, ask.qty.lots() as f64);
        if b + a > 0.0 {
            // The signal buffer has a fixed size per call: when full the value is dropped,
            // nothing allocates.
            let _ = ctx.emit(self.imbalance, (b - a) / (b + a));
        }
    }
}

export_strategy!({{TYPE}});
"#;

const README: &str = r#"# {{NAME}}

A [ladder](https://github.com/ladder-rs/ladder) strategy, built as a plugin the engine loads at
run time.

1. **Edit** `src/lib.rs`: `new` reads the config and registers named signals; `on_book`,
   `on_trade`, `on_fill`, `on_order_update`, `on_timer` and `on_status` answer events through
   the `Context` (emit signals, place and cancel orders, read positions, set a timer).
2. **Build**: `cargo build --release` writes `target/release/{{LIB_FILE}}`.
3. **Run**: `ladder plugins check target/release/{{LIB_FILE}}` checks that the engine can load
   it, then `ladder paper --strategy target/release/{{LIB_FILE}}` runs it.

Keep `panic = "unwind"`: a panic in a strategy is caught in the plugin, the strategy is
disabled and its orders cancelled, and the engine keeps running. Build with the same rustc and
a compatible `ladder-sdk` as the engine; `ladder plugins check` lists every mismatch.
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_name_camel_cases_dashes_and_underscores() {
        assert_eq!(type_name("my-strategy"), "MyStrategy");
        assert_eq!(type_name("demo"), "Demo");
        assert_eq!(type_name("a_b-c2"), "ABC2");
    }

    #[test]
    fn validate_name_rejects_unusable_names() {
        assert!(validate_name("demo").is_ok());
        assert!(validate_name("my-strategy_2").is_ok());
        for bad in ["", "2fast", "has space", "ünï", "ladder-sdk", "a/b"] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn render_fills_every_placeholder() {
        for (file, text) in render("my-strat", "\"0.1.0\"") {
            assert!(!text.contains("{{"), "{file} has an unfilled placeholder");
        }
        let files = render("my-strat", "{ path = \"../sdk\" }");
        assert!(files[0].1.contains("ladder-sdk = { path = \"../sdk\" }"));
        assert!(files[1].1.contains("export_strategy!(MyStrat);"));
        assert!(files[2].1.contains(&lib_file("my-strat")));
    }

    #[test]
    fn sdk_dependency_is_relative_inside_the_workspace_and_versioned_outside() {
        let ws = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(Path::to_owned);
        let Some(ws) = ws.filter(|w| is_sdk_dir(&w.join("sdk"))) else {
            return;
        };
        let inside = ws.join("target").join("x").join("demo");
        assert_eq!(
            sdk_dependency(None, &inside).ok().as_deref(),
            Some("{ path = \"../../../sdk\" }")
        );
        let outside = Path::new("/").join("nonexistent-ladder-dir").join("demo");
        assert_eq!(
            sdk_dependency(None, &outside).ok(),
            Some(format!("\"{}\"", ladder_sdk::SDK_VERSION))
        );
    }
}
