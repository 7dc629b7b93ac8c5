//! Which way the arrows point in `engine/src`, checked on the source text (the rules of
//! `feed/mod.rs` and README "Adding a venue"):
//! - the venue list (`feed/venue.rs`) depends on nothing else of the feed;
//! - the live core (`feed/live/`) names no venue folder and not the dispatch: venues plug into
//!   it, never the other way round;
//! - a venue folder names no other venue folder and not the dispatch;
//! - outside its own folder, only the dispatch and the simulator's Binance encoder name
//!   `feed::binance` (every other module reaches a venue through the dispatch).
//!
//! Comments and `#[cfg(test)]` code are not looked at: a test may build what it checks from
//! any module.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// The venue folders under `feed/`.
const VENUES: [&str; 5] = ["binance", "bybit", "okx", "kraken", "coinbase"];

/// The names of the one dispatch (`feed/dispatch.rs` and its folder `feed/dispatch/`), as
/// re-exported by `feed`.
const DISPATCH: [&str; 8] = [
    "dispatch",
    "VenueBooks",
    "VenueProbe",
    "VenueLive",
    "VenueRest",
    "VenueOptions",
    "spawn_feed",
    "fetch_instruments",
];

/// `(path under src/, code)` of every `.rs` file under `src/`, comments and test code removed.
fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    assert!(
        files.len() > 100,
        "{} files under {}",
        files.len(),
        root.display()
    );
    files
        .into_iter()
        .filter_map(|p| {
            let rel = p.strip_prefix(&root).unwrap().to_str().unwrap().to_owned();
            let name = p.file_name().unwrap().to_str().unwrap();
            let test_file = name == "tests.rs" || name.ends_with("_tests.rs");
            let text = std::fs::read_to_string(&p).unwrap();
            (!test_file).then(|| (rel, code(&text)))
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The lines of `text` before its first `#[cfg(test)]` module, without `//` comments.
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|n| n.trim_start().starts_with("mod "))
        {
            // `#[cfg(test)] mod x;` declares a test file (skipped above); `mod x {` opens the
            // test module, which by the house style ends the file.
            if lines.peek().is_some_and(|n| n.trim_end().ends_with('{')) {
                break;
            }
            lines.next();
            continue;
        }
        let line = match t.find("//") {
            Some(_) if t.starts_with("//") => continue,
            _ => line,
        };
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every `(file, needle)` of `files` whose code names one of `needles` as a path segment
/// (`a::needle`, `needle::`, or inside a `use a::{..}` group).
fn naming<'a>(files: &'a [(String, String)], needles: &[String]) -> Vec<(&'a str, String)> {
    let mut found = Vec::new();
    for (rel, code) in files {
        for n in needles {
            let hit = code.match_indices(n.as_str()).any(|(at, _)| {
                let before = &code[..at];
                let after = &code[at + n.len()..];
                let word_end = !after.starts_with(|c: char| c.is_alphanumeric() || c == '_');
                let word_start = !before.ends_with(|c: char| c.is_alphanumeric() || c == '_');
                word_start
                    && word_end
                    && (before.ends_with("::") || after.starts_with("::") || in_use_group(before))
            });
            if hit {
                found.push((rel.as_str(), n.clone()));
            }
        }
    }
    found
}

/// Whether the text right before a name is inside an open `use ...::{` group.
fn in_use_group(before: &str) -> bool {
    let open = before.rfind('{');
    let close = before.rfind('}');
    let Some(open) = open else { return false };
    if close.is_some_and(|c| c > open) {
        return false;
    }
    let stmt_start = before[..open].rfind(';').map_or(0, |s| s + 1);
    let head = before[stmt_start..open].trim();
    head.contains("use ") && head.ends_with("::")
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn venue_list_depends_on_nothing_else_of_the_feed() {
    let files = sources();
    let (_, list) = files.iter().find(|(r, _)| r == "feed/venue.rs").unwrap();
    for line in list.lines().filter(|l| l.trim_start().starts_with("use ")) {
        assert!(
            !line.contains("feed::") && !line.contains("super::"),
            "feed/venue.rs imports from the feed: {line}"
        );
    }
}

#[test]
fn live_core_names_no_venue_folder_and_not_the_dispatch() {
    let files = sources();
    let live: Vec<(String, String)> = files
        .into_iter()
        .filter(|(r, _)| r.starts_with("feed/live/"))
        .collect();
    assert!(live.len() > 5, "{} files in feed/live", live.len());
    let mut needles = names(&VENUES);
    needles.extend(names(&DISPATCH));
    let found = naming(&live, &needles);
    assert!(found.is_empty(), "feed/live reaches out: {found:?}");
}

#[test]
fn venue_folders_name_no_other_venue_and_not_the_dispatch() {
    let files = sources();
    for venue in VENUES {
        let folder = format!("feed/{venue}/");
        let own: Vec<(String, String)> = files
            .iter()
            .filter(|(r, _)| r.starts_with(&folder))
            .cloned()
            .collect();
        assert!(own.len() > 5, "{} files in {folder}", own.len());
        let mut needles: Vec<String> = VENUES
            .iter()
            .filter(|v| **v != venue)
            .map(|v| format!("feed::{v}"))
            .collect();
        needles.extend(names(&DISPATCH));
        let found = naming(&own, &needles);
        assert!(found.is_empty(), "{folder} reaches out: {found:?}");
    }
}

#[test]
fn only_the_dispatch_and_the_simulators_binance_encoder_name_feed_binance() {
    let files = sources();
    let allowed = |r: &str| {
        r.starts_with("feed/binance/")
            || r == "feed/dispatch.rs"
            || r.starts_with("feed/dispatch/")
            || r.starts_with("sim/encode/binance/")
    };
    let others: Vec<(String, String)> = files.into_iter().filter(|(r, _)| !allowed(r)).collect();
    let found = naming(&others, &names(&["feed::binance"]));
    assert!(
        found.is_empty(),
        "feed::binance named outside its place: {found:?}"
    );
    // Inside `feed/`, `super::binance` would be the same reach.
    let inside: Vec<(String, String)> = others
        .into_iter()
        .filter(|(r, _)| r.starts_with("feed/"))
        .collect();
    let found = naming(&inside, &names(&["super::binance"]));
    assert!(
        found.is_empty(),
        "feed::binance named outside its place: {found:?}"
    );
}

/// The checks above would pass on an empty tree or a broken reader: they must see what they
/// forbid when it is there.
#[test]
fn the_checks_see_a_forbidden_name_in_code_and_ignore_comments_and_test_modules() {
    let files = vec![
        (
            "a.rs".to_owned(),
            code("use crate::feed::binance::Decoder;\n"),
        ),
        (
            "b.rs".to_owned(),
            code("use crate::feed::{live, dispatch};\n"),
        ),
        (
            "c.rs".to_owned(),
            code("// crate::feed::binance\nfn f() {}\n"),
        ),
        (
            "d.rs".to_owned(),
            code("fn f() {}\n#[cfg(test)]\nmod tests {\n    use crate::feed::binance;\n}\n"),
        ),
        ("e.rs".to_owned(), code("let binance_like = 1;\n")),
    ];
    let found = naming(&files, &names(&["feed::binance", "dispatch", "binance"]));
    assert_eq!(
        found,
        [
            ("a.rs", "feed::binance".to_owned()),
            ("a.rs", "binance".to_owned()),
            ("b.rs", "dispatch".to_owned()),
        ]
    );
}
