//! Parsing a strategy's config string (feature `config`): empty text is the default, text whose
//! first non-space character is `{` is JSON, anything else is TOML; errors name the strategy,
//! the format and (for TOML) the line and column. Both example strategies read their configs
//! this way; a strategy with `#[serde(deny_unknown_fields)]` refuses unknown keys by name.

use crate::abi::InitContext;
use crate::strategy::TimeInForce;
use crate::{InstrumentId, StrategyError};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// `time_in_force` of a quoting strategy's orders: `post_only` or `gtc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tif {
    /// Rests only; refused if it would take liquidity.
    PostOnly,
    /// Good till cancelled.
    Gtc,
}

impl From<Tif> for TimeInForce {
    fn from(t: Tif) -> Self {
        match t {
            Tif::PostOnly => Self::PostOnly,
            Tif::Gtc => Self::Gtc,
        }
    }
}

/// The instrument a `symbol` key names (`venue:SYMBOL`, or a symbol only one venue of the
/// session has); `None` when the key is not set (the strategy then trades the first instrument
/// it sees).
///
/// # Errors
/// When the engine has no such instrument, naming the key and the value.
pub fn instrument(
    strategy: &str,
    ctx: &InitContext<'_>,
    symbol: Option<&str>,
) -> Result<Option<InstrumentId>, StrategyError> {
    symbol
        .map(|s| {
            ctx.instrument(s).ok_or_else(|| {
                StrategyError::new(format!(
                    "{strategy} config: `symbol` {s:?} is not an instrument of the engine"
                ))
            })
        })
        .transpose()
}

/// Parses `text` as `strategy`'s config.
///
/// # Errors
/// A [`StrategyError`] such as `imbalance config (TOML at line 2 column 1): unknown field ...`.
pub fn parse_text<T: DeserializeOwned + Default>(
    strategy: &str,
    text: &str,
) -> Result<T, StrategyError> {
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Ok(T::default());
    }
    if trimmed.starts_with('{') {
        return serde_json::from_str(text)
            .map_err(|e| StrategyError::new(format!("{strategy} config (JSON): {e}")));
    }
    toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|span| {
                let (line, column) = line_column(text, span.start);
                format!(" at line {line} column {column}")
            })
            .unwrap_or_default();
        StrategyError::new(format!(
            "{strategy} config (TOML{at}): {}",
            e.message().trim()
        ))
    })
}

/// 1-based line and column of byte `offset`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, PartialEq, serde::Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct C {
        a: i64,
    }

    #[test]
    fn empty_is_default_json_and_toml_parse_and_errors_are_located() {
        assert_eq!(parse_text::<C>("s", "  "), Ok(C::default()));
        assert_eq!(parse_text::<C>("s", r#"{"a":2}"#), Ok(C { a: 2 }));
        assert_eq!(parse_text::<C>("s", "a = 3"), Ok(C { a: 3 }));
        let e = parse_text::<C>("s", "a = 1\nb = 2")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s config (TOML at line 2 column 1)"), "{e}");
        let e = parse_text::<C>("s", r#"{"b":1}"#).unwrap_err().to_string();
        assert!(e.starts_with("s config (JSON)"), "{e}");
    }
}
