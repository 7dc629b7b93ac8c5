//! The venues of a config: one `[venue]` table, or several `[[venue]]` entries, each with its
//! own name, symbols, endpoints and watchdog (see [`VenueConfig`]). A live command connects to
//! every entry (`ladder paper` and `ladder record` with several venues run one feed per venue).
//!
//! ```toml
//! [[venue]]
//! name = "binance-spot"
//! symbols = ["BTCUSDT"]
//!
//! [[venue]]
//! name = "binance-usdm"
//! symbols = ["BTCUSDT", "ETHUSDT"]
//! rest = "https://testnet.binancefuture.com"
//! ```
//!
//! Both spellings read into the same [`Venues`]; errors keep the file's own spelling
//! (`venue.watchdog_secs` for the table, `venue[1].watchdog_secs` for the second entry).

use super::VenueConfig;
use crate::feed::Venue;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// The configured venues, in file order: empty, one `[venue]` table, or `[[venue]]` entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Venues {
    entries: Vec<VenueConfig>,
    /// Written as one `[venue]` table (errors then say `venue.key`, not `venue[0].key`).
    table: bool,
}

impl Venues {
    /// Every entry, in file order.
    pub fn as_slice(&self) -> &[VenueConfig] {
        &self.entries
    }

    /// Every entry, in file order.
    pub fn iter(&self) -> std::slice::Iter<'_, VenueConfig> {
        self.entries.iter()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the config names no venue.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry of `venue`, if the config has one (names are unique: [`super::validate`]).
    pub fn get(&self, venue: Venue) -> Option<&VenueConfig> {
        self.entries.iter().find(|v| v.name == venue)
    }

    pub(super) fn iter_mut(&mut self) -> std::slice::IterMut<'_, VenueConfig> {
        self.entries.iter_mut()
    }

    /// How the file names entry `i` in messages: `venue` (the table) or `venue[i]`.
    pub(super) fn label(&self, i: usize) -> String {
        if self.table {
            "venue".to_owned()
        } else {
            format!("venue[{i}]")
        }
    }

    /// True when written as one `[venue]` table.
    pub(super) fn is_table(&self) -> bool {
        self.table
    }
}

impl<'a> IntoIterator for &'a Venues {
    type Item = &'a VenueConfig;
    type IntoIter = std::slice::Iter<'a, VenueConfig>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

impl<'de> Deserialize<'de> for Venues {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TableOrEntries;
        impl<'de> Visitor<'de> for TableOrEntries {
            type Value = Venues;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a [venue] table or [[venue]] entries")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Venues, A::Error> {
                Ok(Venues {
                    entries: vec![VenueConfig::deserialize(MapAccessDeserializer::new(map))?],
                    table: true,
                })
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Venues, A::Error> {
                Ok(Venues {
                    entries: Vec::deserialize(SeqAccessDeserializer::new(seq))?,
                    table: false,
                })
            }
        }
        d.deserialize_any(TableOrEntries)
    }
}
