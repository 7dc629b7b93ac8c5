//! The mutations: what the fuzzer does to a scenario's capture lines (`<ts_recv_ns> <frame>`).
//!
//! - bytes: flip a bit, set a byte to a JSON-significant one, insert or delete bytes;
//! - JSON-aware values: replace a number (ids, times, the capture timestamp) or a decimal
//!   string (prices, quantities) with an extreme (`0`, `-1`, `2^64-1`, `2^64`, 30 decimals,
//!   `Decimal::MAX`, ...), a neighbour (one tick or one id away), or a value from elsewhere in
//!   the corpus; flip a boolean; rename a key;
//! - lines: truncate, duplicate, reorder, drop;
//! - ids: jump `U`/`u`/`pu`/`lastUpdateId` of one line, or of every line from one on, by a
//!   small or huge amount, or set them to `0` or `u64::MAX`;
//! - books: insert a level taken from elsewhere into the start of a bid or ask array (this is
//!   what crosses a book).
//!
//! The snapshot is one of the lines, so snapshot bodies are mutated like everything else.

use super::rng::Rng;

/// One kind of mutation, for the per-kind counts a run reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mutation {
    /// Flip one bit of one byte.
    BitFlip = 0,
    /// Set one byte to a JSON-significant byte.
    ByteSet = 1,
    /// Insert or delete a few bytes.
    ByteInsertDelete = 2,
    /// Replace a number or decimal string with an extreme, a neighbour or a corpus value.
    Value = 3,
    /// Flip `true`/`false` or rename a key.
    KeyOrBool = 4,
    /// Cut a line short.
    Truncate = 5,
    /// Copy a line to another place.
    Duplicate = 6,
    /// Swap or move lines.
    Reorder = 7,
    /// Remove a line.
    Drop = 8,
    /// Move update ids.
    IdJump = 9,
    /// Insert a level into a bid or ask array.
    SpliceLevel = 10,
}

impl Mutation {
    /// Every kind, in discriminant order.
    pub const ALL: [Self; 11] = [
        Self::BitFlip,
        Self::ByteSet,
        Self::ByteInsertDelete,
        Self::Value,
        Self::KeyOrBool,
        Self::Truncate,
        Self::Duplicate,
        Self::Reorder,
        Self::Drop,
        Self::IdJump,
        Self::SpliceLevel,
    ];

    /// Lowercase name for reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BitFlip => "bit_flip",
            Self::ByteSet => "byte_set",
            Self::ByteInsertDelete => "byte_insert_delete",
            Self::Value => "value",
            Self::KeyOrBool => "key_or_bool",
            Self::Truncate => "truncate",
            Self::Duplicate => "duplicate",
            Self::Reorder => "reorder",
            Self::Drop => "drop",
            Self::IdJump => "id_jump",
            Self::SpliceLevel => "splice_level",
        }
    }
}

/// Values taken from the corpus, spliced into other places.
#[derive(Debug, Clone, Default)]
pub struct Dictionary {
    /// Decimal strings (prices and quantities), without quotes.
    pub decimals: Vec<Vec<u8>>,
    /// Bare numbers (ids, times).
    pub numbers: Vec<Vec<u8>>,
}

impl Dictionary {
    /// Adds the values of `line`, keeping at most `cap` of each kind.
    pub fn learn(&mut self, line: &[u8], cap: usize) {
        for t in tokens(line) {
            let v = line[t.start..t.end].to_vec();
            let list = match t.kind {
                TokenKind::Decimal => &mut self.decimals,
                TokenKind::Number => &mut self.numbers,
                TokenKind::Bool | TokenKind::Key => continue,
            };
            if list.len() < cap && !list.contains(&v) {
                list.push(v);
            }
        }
    }
}

const SPECIAL_BYTES: &[u8] = b"\"{}[],:-.0123456789eE \\\t\x00\xff";

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "4294967296",
    "999999999999999999999999999999",
    "1e3",
    "1.5",
    "",
    "null",
    "\"1\"",
];

const DECIMALS: &[&str] = &[
    "0",
    "0.00000000",
    "-0",
    "-1.5",
    "-61837.63",
    "0.000000000000000000000000000001",
    "1.0000000000000000000000000000001",
    "79228162514264337593543950335",
    "79228162514264337593543950336",
    "18446744073709551615",
    "9223372036854775807",
    "92233720368547758.07",
    "1e5",
    ".",
    "-",
    "",
    "1.",
    ".5",
    "NaN",
    "1,5",
];

const ID_KEYS: &[&[u8]] = &[b"\"U\":", b"\"u\":", b"\"pu\":", b"\"lastUpdateId\":"];
const ARRAY_KEYS: &[&[u8]] = &[b"\"b\":[", b"\"a\":[", b"\"bids\":[", b"\"asks\":["];

/// Applies one random mutation to `lines`; returns which.
pub fn mutate(rng: &mut Rng, lines: &mut Vec<Vec<u8>>, dict: &Dictionary) -> Mutation {
    if lines.is_empty() {
        lines.push(Vec::new());
    }
    let kind = *rng.pick(&Mutation::ALL);
    let i = rng.below(lines.len());
    match kind {
        Mutation::BitFlip => {
            let line = &mut lines[i];
            if !line.is_empty() {
                let at = rng.below(line.len());
                line[at] ^= 1 << rng.below(8);
            }
        }
        Mutation::ByteSet => {
            let line = &mut lines[i];
            if !line.is_empty() {
                let at = rng.below(line.len());
                line[at] = *rng.pick(SPECIAL_BYTES);
            }
        }
        Mutation::ByteInsertDelete => {
            let line = &mut lines[i];
            let at = rng.below(line.len() + 1);
            if rng.chance(1, 2) || line.is_empty() {
                let n = 1 + rng.below(4);
                for _ in 0..n {
                    line.insert(at, *rng.pick(SPECIAL_BYTES));
                }
            } else {
                let end = (at + 1 + rng.below(8)).min(line.len());
                line.drain(at.min(end)..end);
            }
        }
        Mutation::Value => mutate_value(rng, &mut lines[i], dict),
        Mutation::KeyOrBool => mutate_key_or_bool(rng, &mut lines[i]),
        Mutation::Truncate => {
            let line = &mut lines[i];
            let at = rng.below(line.len() + 1);
            line.truncate(at);
        }
        Mutation::Duplicate => {
            let copy = lines[i].clone();
            let at = if rng.chance(1, 2) {
                i + 1
            } else {
                rng.below(lines.len() + 1)
            };
            lines.insert(at, copy);
        }
        Mutation::Reorder => {
            let j = rng.below(lines.len());
            if rng.chance(1, 2) {
                lines.swap(i, j);
            } else {
                let line = lines.remove(i);
                lines.insert(j.min(lines.len()), line);
            }
        }
        Mutation::Drop => {
            lines.remove(i);
        }
        Mutation::IdJump => id_jump(rng, lines, i),
        Mutation::SpliceLevel => splice_level(rng, &mut lines[i], dict),
    }
    kind
}

fn mutate_value(rng: &mut Rng, line: &mut Vec<u8>, dict: &Dictionary) {
    let values: Vec<Token> = tokens(line)
        .filter(|t| matches!(t.kind, TokenKind::Number | TokenKind::Decimal))
        .collect();
    if values.is_empty() {
        return;
    }
    let t = *rng.pick(&values);
    let old = line[t.start..t.end].to_vec();
    let new: Vec<u8> = match (t.kind, rng.below(4)) {
        (TokenKind::Number, 0) => rng.pick(NUMBERS).as_bytes().to_vec(),
        (TokenKind::Number, 1) if !dict.numbers.is_empty() => rng.pick(&dict.numbers).clone(),
        (TokenKind::Number, _) => {
            let v = parse_u64(&old).unwrap_or(0);
            let delta = 1 + rng.below(3) as u64;
            let next = match rng.below(4) {
                0 => v.wrapping_add(delta),
                1 => v.wrapping_sub(delta),
                2 => v.wrapping_mul(2),
                _ => v / 2,
            };
            next.to_string().into_bytes()
        }
        (_, 0) => rng.pick(DECIMALS).as_bytes().to_vec(),
        (_, 1) if !dict.decimals.is_empty() => rng.pick(&dict.decimals).clone(),
        (_, 2) => bump_last_digit(&old, rng.chance(1, 2)),
        (_, _) => match rng.below(3) {
            0 if old.first() == Some(&b'-') => old[1..].to_vec(),
            0 => [b"-".as_slice(), &old].concat(),
            1 => times_ten(&old),
            _ => [old.as_slice(), b"0000000000000000000001"].concat(),
        },
    };
    line.splice(t.start..t.end, new);
}

fn mutate_key_or_bool(rng: &mut Rng, line: &mut [u8]) {
    let candidates: Vec<Token> = tokens(line)
        .filter(|t| matches!(t.kind, TokenKind::Bool | TokenKind::Key))
        .collect();
    if candidates.is_empty() {
        return;
    }
    let t = *rng.pick(&candidates);
    match t.kind {
        // `true` ↔ `false` differ in length: write a same-length wrong literal instead.
        TokenKind::Bool => {
            let word: &[u8] = if line[t.start] == b't' {
                b"fals"
            } else {
                b"truee"
            };
            line[t.start..t.end].copy_from_slice(&word[..t.end - t.start]);
        }
        _ if t.end > t.start => {
            let at = t.start + rng.below(t.end - t.start);
            line[at] = *rng.pick(b"xUupPbBaAeEsS");
        }
        _ => {}
    }
}

/// Moves an update id of line `i`, or of every line from `i` on (a consistent jump: one gap).
fn id_jump(rng: &mut Rng, lines: &mut [Vec<u8>], i: usize) {
    let key = *rng.pick(ID_KEYS);
    let all_keys = rng.chance(1, 2);
    let through = if rng.chance(1, 2) { lines.len() } else { i + 1 };
    let op = rng.below(6);
    let delta: u64 = *rng.pick(&[1, 2, 3, 10, 1000, 1 << 32, 1 << 63]);
    for line in &mut lines[i..through] {
        for k in ID_KEYS {
            if !all_keys && *k != key {
                continue;
            }
            if let Some((start, end)) = find_number_after(line, k) {
                let v = parse_u64(&line[start..end]).unwrap_or(0);
                let next = match op {
                    0 | 1 => v.wrapping_add(delta),
                    2 | 3 => v.wrapping_sub(delta),
                    4 => u64::MAX - (delta & 3),
                    _ => delta & 3,
                };
                line.splice(start..end, next.to_string().into_bytes());
            }
        }
    }
}

/// Inserts `["price","qty"]` (values from the corpus) at the start of a bid or ask array.
fn splice_level(rng: &mut Rng, line: &mut Vec<u8>, dict: &Dictionary) {
    if dict.decimals.is_empty() {
        return;
    }
    let key = *rng.pick(ARRAY_KEYS);
    let Some(at) = find(line, key).map(|p| p + key.len()) else {
        return;
    };
    let (p, q) = (rng.pick(&dict.decimals), rng.pick(&dict.decimals));
    let mut level = [b"[\"", p.as_slice(), b"\",\"", q.as_slice(), b"\"]"].concat();
    if line.get(at) != Some(&b']') {
        level.push(b',');
    }
    line.splice(at..at, level);
}

/// `"61837.63"` → `"61837.64"` (up) or `"61837.62"` (down): one unit of the last digit, with
/// carries; a value that would go below zero stays as it is.
fn bump_last_digit(v: &[u8], up: bool) -> Vec<u8> {
    let mut out = v.to_vec();
    for at in (0..out.len()).rev() {
        match (out[at], up) {
            (b'0'..=b'8', true) => {
                out[at] += 1;
                return out;
            }
            (b'9', true) => out[at] = b'0',
            (b'1'..=b'9', false) => {
                out[at] -= 1;
                return out;
            }
            (b'0', false) => out[at] = b'9',
            _ => {}
        }
    }
    if up {
        let first_digit = out.iter().position(u8::is_ascii_digit).unwrap_or(0);
        out.insert(first_digit, b'1');
        out
    } else {
        v.to_vec()
    }
}

/// `"61837.63"` → `"618376.3"`; a value without a point gains a zero.
fn times_ten(v: &[u8]) -> Vec<u8> {
    match v.iter().position(|&b| b == b'.') {
        Some(dot) if dot + 1 < v.len() => {
            let mut out = v.to_vec();
            out.swap(dot, dot + 1);
            out
        }
        _ => [v, b"0"].concat(),
    }
}

fn parse_u64(s: &[u8]) -> Option<u64> {
    std::str::from_utf8(s).ok()?.parse().ok()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The digits of the bare number right after `key` (e.g. `"u":`), if any.
fn find_number_after(line: &[u8], key: &[u8]) -> Option<(usize, usize)> {
    let start = find(line, key)? + key.len();
    let len = line[start..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    (len > 0).then_some((start, start + len))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    /// A bare number outside strings (ids, times, the capture timestamp).
    Number,
    /// The content of a string value that is a plain decimal.
    Decimal,
    /// `true` or `false`.
    Bool,
    /// The content of an object key.
    Key,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    start: usize,
    end: usize,
    kind: TokenKind,
}

/// The value tokens of a line, found by a forgiving scan (the line may be malformed already).
fn tokens(line: &[u8]) -> impl Iterator<Item = Token> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < line.len() {
            let b = line[at];
            if b == b'"' {
                let start = at + 1;
                let mut end = start;
                while end < line.len() && line[end] != b'"' {
                    end += if line[end] == b'\\' { 2 } else { 1 };
                }
                let end = end.min(line.len());
                at = end + 1;
                let next = line[at.min(line.len())..]
                    .iter()
                    .find(|b| !b.is_ascii_whitespace());
                let kind = if next == Some(&b':') {
                    TokenKind::Key
                } else if is_decimal(&line[start..end]) {
                    TokenKind::Decimal
                } else {
                    continue;
                };
                return Some(Token { start, end, kind });
            }
            if b.is_ascii_digit() || (b == b'-' && line.get(at + 1).is_some_and(u8::is_ascii_digit))
            {
                let start = at;
                at += 1;
                while at < line.len()
                    && matches!(line[at], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    at += 1;
                }
                return Some(Token {
                    start,
                    end: at,
                    kind: TokenKind::Number,
                });
            }
            for word in [b"true".as_slice(), b"false"] {
                if line[at..].starts_with(word) {
                    let start = at;
                    at += word.len();
                    return Some(Token {
                        start,
                        end: at,
                        kind: TokenKind::Bool,
                    });
                }
            }
            at += 1;
        }
        None
    })
}

fn is_decimal(s: &[u8]) -> bool {
    let digits = s.strip_prefix(b"-").unwrap_or(s);
    !digits.is_empty()
        && digits.iter().all(|b| b.is_ascii_digit() || *b == b'.')
        && digits.iter().filter(|b| **b == b'.').count() <= 1
        && digits.iter().any(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIFF: &[u8] = br#"1723161253937085768 {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":50093239189,"u":50093239202,"b":[["61737.63000000","0.00000000"]],"a":[]}}"#;

    fn kinds(line: &[u8]) -> Vec<(TokenKind, String)> {
        tokens(line)
            .map(|t| {
                let text = String::from_utf8_lossy(&line[t.start..t.end]).into_owned();
                (t.kind, text)
            })
            .collect()
    }

    #[test]
    fn tokens_find_timestamp_ids_decimals_and_keys() {
        let found = kinds(DIFF);
        let numbers: Vec<&str> = found
            .iter()
            .filter(|(k, _)| *k == TokenKind::Number)
            .map(|(_, s)| s.as_str())
            .collect();
        assert_eq!(
            numbers,
            [
                "1723161253937085768",
                "1723161255208",
                "50093239189",
                "50093239202"
            ]
        );
        let decimals: Vec<&str> = found
            .iter()
            .filter(|(k, _)| *k == TokenKind::Decimal)
            .map(|(_, s)| s.as_str())
            .collect();
        assert_eq!(decimals, ["61737.63000000", "0.00000000"]);
        assert!(found.contains(&(TokenKind::Key, "U".into())));
    }

    #[test]
    fn tokens_survive_truncated_and_binary_lines() {
        for cut in 0..DIFF.len() {
            let _ = tokens(&DIFF[..cut]).count();
        }
        let _ = tokens(b"\"\\").count();
        let _ = tokens(&[0xff, b'"', b'-', b'"', b':']).count();
    }

    #[test]
    fn id_jump_through_the_end_moves_every_later_line() {
        let mut lines = vec![DIFF.to_vec(), DIFF.to_vec()];
        // Find a seed whose jump hits `u` on both lines by an addition.
        let moved = (0..200).any(|seed| {
            let mut l = lines.clone();
            id_jump(&mut Rng::new(seed), &mut l, 0);
            let both = l[0] == l[1] && l[0] != DIFF;
            if both {
                lines = l;
            }
            both
        });
        assert!(moved, "some seed moves both lines alike");
    }

    #[test]
    fn bump_last_digit_carries_and_keeps_zero_floor() {
        assert_eq!(bump_last_digit(b"61837.63", true), b"61837.64");
        assert_eq!(bump_last_digit(b"0.99", true), b"1.00");
        assert_eq!(bump_last_digit(b"61837.60", false), b"61837.59");
        assert_eq!(bump_last_digit(b"0.00", false), b"0.00");
        assert_eq!(times_ten(b"61837.63"), b"618376.3");
        assert_eq!(times_ten(b"5"), b"50");
    }

    #[test]
    fn splice_level_inserts_a_whole_level_at_the_array_start() {
        let dict = Dictionary {
            decimals: vec![b"61837.64".to_vec()],
            numbers: Vec::new(),
        };
        let mut line = DIFF.to_vec();
        // Some seed picks the `"a":[` array (empty: no comma after the level).
        let hit = (0..100).any(|seed| {
            let mut l = line.clone();
            splice_level(&mut Rng::new(seed), &mut l, &dict);
            let want: &[u8] = br#""a":[["61837.64","61837.64"]]"#;
            let ok = find(&l, want).is_some();
            if ok {
                line = l;
            }
            ok
        });
        assert!(hit, "{}", String::from_utf8_lossy(&line));
    }

    #[test]
    fn mutate_never_panics_and_uses_every_kind() {
        let dict = Dictionary {
            decimals: vec![b"1.5".to_vec()],
            numbers: vec![b"7".to_vec()],
        };
        let mut seen = [false; Mutation::ALL.len()];
        let mut rng = Rng::new(11);
        for _ in 0..5_000 {
            let mut lines = vec![DIFF.to_vec(), b"".to_vec(), DIFF[..40].to_vec()];
            for _ in 0..4 {
                seen[mutate(&mut rng, &mut lines, &dict) as usize] = true;
            }
        }
        assert!(seen.iter().all(|s| *s), "{seen:?}");
    }
}
