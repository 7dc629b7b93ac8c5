//! `ladder new-strategy NAME [--path DIR] [--sdk SDK_DIR | --sdk-git URL]`: scaffold a strategy
//! crate that builds and loads as is, wherever it is created: `Cargo.toml` (cdylib + rlib, its
//! own `[workspace]` so no enclosing workspace swallows it), `src/lib.rs` implementing
//! `Strategy` with `export_strategy!`, a README with the three steps, and a `.gitignore`.
//!
//! `ladder-sdk` is not published on a registry, so the crate depends on a copy the user has:
//! `--sdk SDK_DIR` or `--sdk-git URL` when given; else the `sdk/` of the ladder checkout the
//! crate is created in; else the `sdk/` this engine was built from. A path inside the crate's
//! own checkout is written relative (the pair moves together), any other path absolute.

use anyhow::{Context as _, bail};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The `sdk/` of the checkout this engine was built from; checked at run time, since the
/// binary may have been moved or the checkout deleted since.
const BUILT_FROM_SDK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../sdk");

/// Arguments of `ladder new-strategy`.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Crate name of the new strategy, e.g. `my-strategy` (letters, digits, `-`, `_`).
    name: String,
    /// Directory to create the crate in (default: the current directory).
    #[arg(long, value_name = "DIR")]
    path: Option<PathBuf>,
    /// Depend on the `ladder-sdk` in this folder (a ladder checkout's `sdk/`). Default: the
    /// `sdk/` of the ladder checkout DIR is in, else the one this engine was built from.
    #[arg(long = "sdk", visible_alias = "sdk-path", value_name = "SDK_DIR")]
    sdk: Option<PathBuf>,
    /// Depend on the `ladder-sdk` of this git repository (a ladder repository URL).
    #[arg(long, value_name = "URL", conflicts_with = "sdk")]
    sdk_git: Option<String>,
}

/// Where the new crate gets `ladder-sdk` from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SdkSource {
    /// A folder holding the `ladder-sdk` package (canonical).
    Path(PathBuf),
    /// A git repository holding it.
    Git(String),
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
    let source = sdk_source(args, &dir, Path::new(BUILT_FROM_SDK))?;
    let sdk_dep = sdk_dependency(&source, &dir);
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
    println!("  ladder-sdk = {sdk_dep}");
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

/// True if `dir` holds a `Cargo.toml` with a `[workspace]` table.
fn is_workspace_root(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml"))
        .is_ok_and(|t| t.lines().any(|l| l.trim() == "[workspace]"))
}

/// The `sdk/` of the ladder checkout `dir` is inside, if any.
fn enclosing_checkout_sdk(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .skip(1)
        .find(|a| is_workspace_root(a) && is_sdk_dir(&a.join("sdk")))
        .map(|a| a.join("sdk"))
}

/// Picks the SDK for the new crate at `dir`: `--sdk`, `--sdk-git`, the enclosing checkout's
/// `sdk/`, or `built_from` (this engine's own `sdk/`) when it still exists.
fn sdk_source(args: &Args, dir: &Path, built_from: &Path) -> anyhow::Result<SdkSource> {
    if let Some(url) = &args.sdk_git {
        validate_git_url(url)?;
        return Ok(SdkSource::Git(url.clone()));
    }
    if let Some(sdk) = &args.sdk {
        let canonical = sdk
            .canonicalize()
            .with_context(|| format!("--sdk {} does not exist", sdk.display()))?;
        if !is_sdk_dir(&canonical) {
            bail!(
                "--sdk {}: no Cargo.toml of package `ladder-sdk` there (give a ladder \
                 checkout's sdk/ folder)",
                sdk.display()
            );
        }
        return Ok(SdkSource::Path(canonical));
    }
    if let Some(sdk) = enclosing_checkout_sdk(dir) {
        return Ok(SdkSource::Path(sdk));
    }
    match built_from.canonicalize() {
        Ok(sdk) if is_sdk_dir(&sdk) => Ok(SdkSource::Path(sdk)),
        _ => bail!(
            "the ladder-sdk this engine was built from ({}) is gone (was the binary moved or \
             the checkout deleted?); pass --sdk SDK_DIR (a ladder checkout's sdk/ folder) or \
             --sdk-git URL (a ladder repository)",
            built_from.display()
        ),
    }
}

/// A URL cargo can fetch a git dependency from: `scheme://rest`, no spaces or quotes.
fn validate_git_url(url: &str) -> anyhow::Result<()> {
    let ok = url.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            && !rest.is_empty()
    }) && !url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\\');
    if !ok {
        bail!(
            "--sdk-git `{url}` is not a git URL cargo can fetch \
             (e.g. https://github.com/ladder-rs/ladder)"
        );
    }
    Ok(())
}

/// The `ladder-sdk = ...` value for the new crate at `dir`: a path relative to `dir` when
/// both are in the same ladder checkout, else the absolute path; or the git URL.
fn sdk_dependency(source: &SdkSource, dir: &Path) -> String {
    match source {
        SdkSource::Git(url) => format!("{{ git = {} }}", toml_str(url)),
        SdkSource::Path(sdk) => {
            let rel = sdk
                .parent()
                .filter(|root| is_workspace_root(root))
                .and_then(|root| dir.strip_prefix(root).ok());
            let path = match (rel, sdk.file_name()) {
                (Some(rel), Some(name)) => format!(
                    "{}{}",
                    "../".repeat(rel.components().count()),
                    name.to_string_lossy()
                ),
                _ => sdk.to_string_lossy().into_owned(),
            };
            format!("{{ path = {} }}", toml_str(&path))
        }
    }
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

`ladder-sdk` in `Cargo.toml` points at the SDK `ladder new-strategy` chose (`--sdk SDK_DIR` or
`--sdk-git URL` choose another); the strategy must use the SDK of the engine that loads it.

Keep `panic = "unwind"`: a panic in a strategy is caught in the plugin, the strategy is
disabled and its orders cancelled, and the engine keeps running. Build with the same rustc and
a compatible `ladder-sdk` as the engine; `ladder plugins check` lists every mismatch.
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn args(sdk: Option<&Path>, sdk_git: Option<&str>) -> Args {
        Args {
            name: "demo".into(),
            path: None,
            sdk: sdk.map(Path::to_owned),
            sdk_git: sdk_git.map(str::to_owned),
        }
    }

    /// A fake ladder checkout: a `[workspace]` manifest and `sdk/Cargo.toml` of `ladder-sdk`.
    fn fake_checkout(root: &Path) -> PathBuf {
        std::fs::create_dir_all(root.join("sdk")).expect("mkdir");
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"sdk\"]\n",
        )
        .expect("w");
        std::fs::write(
            root.join("sdk/Cargo.toml"),
            "[package]\nname = \"ladder-sdk\"\n",
        )
        .expect("write");
        root.join("sdk").canonicalize().expect("canonical")
    }

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
        for (file, text) in render("my-strat", "{ path = \"/x/sdk\" }") {
            assert!(!text.contains("{{"), "{file} has an unfilled placeholder");
        }
        let files = render("my-strat", "{ path = \"../sdk\" }");
        assert!(files[0].1.contains("ladder-sdk = { path = \"../sdk\" }"));
        assert!(
            files[0].1.contains("\n[workspace]\n"),
            "own workspace table"
        );
        assert!(files[1].1.contains("export_strategy!(MyStrat);"));
        assert!(files[2].1.contains(&lib_file("my-strat")));
    }

    #[rstest]
    #[case::https("https://github.com/ladder-rs/ladder", true)]
    #[case::ssh("ssh://git@github.com/ladder-rs/ladder.git", true)]
    #[case::git_plus_https("git+https://example.com/ladder", true)]
    #[case::scp_style("git@github.com:ladder-rs/ladder.git", false)]
    #[case::bare_path("../ladder", false)]
    #[case::empty_rest("https://", false)]
    #[case::space("https://example.com/a b", false)]
    #[case::quote("https://example.com/a\"b", false)]
    fn validate_git_url_accepts_only_fetchable_urls(#[case] url: &str, #[case] ok: bool) {
        assert_eq!(validate_git_url(url).is_ok(), ok, "{url}");
    }

    #[test]
    fn sdk_source_outside_any_checkout_is_the_built_from_sdk_by_absolute_path() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let sdk = fake_checkout(&tmp.path().join("ladder"));
        let dir = tmp.path().join("elsewhere").join("demo");
        let source = sdk_source(&args(None, None), &dir, &sdk.join("../sdk")).expect("source");
        assert_eq!(source, SdkSource::Path(sdk.clone()));
        assert_eq!(
            sdk_dependency(&source, &dir),
            format!("{{ path = {} }}", toml_str(&sdk.to_string_lossy()))
        );
    }

    #[test]
    fn sdk_source_inside_a_checkout_is_its_sdk_by_relative_path() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().canonicalize().expect("canonical").join("ladder");
        let sdk = fake_checkout(&root);
        let dir = root.join("strategies").join("mine").join("demo");
        let missing = tmp.path().join("gone/sdk");
        let source = sdk_source(&args(None, None), &dir, &missing).expect("source");
        assert_eq!(source, SdkSource::Path(sdk));
        assert_eq!(sdk_dependency(&source, &dir), "{ path = \"../../../sdk\" }");
    }

    #[test]
    fn sdk_source_without_the_built_from_sdk_asks_for_sdk_or_sdk_git() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let missing = tmp.path().join("moved-away/sdk");
        let err = sdk_source(&args(None, None), &tmp.path().join("demo"), &missing)
            .expect_err("no sdk")
            .to_string();
        assert!(
            err.contains(&missing.display().to_string())
                && err.contains("--sdk SDK_DIR")
                && err.contains("--sdk-git URL"),
            "{err}"
        );
    }

    #[test]
    fn sdk_source_explicit_path_must_hold_ladder_sdk() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("demo");
        let err = sdk_source(&args(Some(tmp.path()), None), &dir, tmp.path())
            .expect_err("not an sdk")
            .to_string();
        assert!(
            err.contains("no Cargo.toml of package `ladder-sdk`"),
            "{err}"
        );
        let gone = tmp.path().join("nope");
        let err = sdk_source(&args(Some(&gone), None), &dir, tmp.path())
            .expect_err("missing")
            .to_string();
        assert!(err.contains("does not exist"), "{err}");
    }

    #[test]
    fn sdk_source_git_url_becomes_a_git_dependency() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let url = "https://github.com/ladder-rs/ladder";
        let source = sdk_source(&args(None, Some(url)), &tmp.path().join("d"), tmp.path());
        let source = source.expect("git");
        assert_eq!(
            sdk_dependency(&source, tmp.path()),
            "{ git = \"https://github.com/ladder-rs/ladder\" }"
        );
    }

    #[test]
    fn built_from_sdk_of_this_build_exists() {
        let sdk = Path::new(BUILT_FROM_SDK);
        assert!(is_sdk_dir(sdk), "{} holds ladder-sdk", sdk.display());
    }
}
