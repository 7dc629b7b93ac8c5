//! Shared inputs for ladder's criterion benches: real frames from the team's captures.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;

/// `../shared/captures/<name>`, if present (benches print a reason and fall back otherwise).
pub fn capture_path(name: &str) -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/captures"
    ))
    .join(name);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "note: capture {} not found; using a synthetic input",
            p.display()
        );
        None
    }
}

/// The frames (without timestamps) of a gzip capture, in file order.
pub fn capture_frames(name: &str) -> Option<Vec<String>> {
    let path = capture_path(name)?;
    let file = std::fs::File::open(path).ok()?;
    let reader = BufReader::new(flate2::read::MultiGzDecoder::new(file));
    Some(
        reader
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| l.split_once(' ').map(|(_, f)| f.to_owned()))
            .collect(),
    )
}

/// The frames of `../shared/vectors/<rel>`, if present: capture lines (`<ts> <frame>`, plain or
/// gzip) or bare JSON lines, in file order.
pub fn vector_frames(rel: &str) -> Option<Vec<String>> {
    let path =
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors")).join(rel);
    let Ok(file) = std::fs::File::open(&path) else {
        eprintln!(
            "note: vector {} not found; using a synthetic input",
            path.display()
        );
        return None;
    };
    let reader: Box<dyn BufRead> = if rel.ends_with(".gz") {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    Some(
        reader
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| match l.split_once(' ') {
                _ if l.starts_with('{') => Some(l),
                Some((_, f)) => Some(f.to_owned()),
                None => None,
            })
            .collect(),
    )
}

pub mod book_input;
